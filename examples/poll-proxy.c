/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * poll-proxy: the smallest non-blocking embedding of libntspool's POOL role.
 * One thread, one poll() loop, every socket non-blocking: it accepts NTS-KE
 * clients, drives one ntspool_session per client with ntspool_session_step()
 * and ntspool_session_deadline() as the poll timeout, and opens the
 * sessions' upstream connections (to time sources) through
 * ntspool_upstream_ops with a non-blocking connect().  It shows that the
 * callback API never needs a blocking socket or a thread per client; the
 * daemon nts-pool-ke is the production embedding.
 *
 *   poll-proxy --listen 127.0.0.1:4460 --cert pool.pem --key pool.key
 *              --ca ca.pem --source ts1=localhost:4461:TOKEN ...
 *   poll-proxy -c pool.conf
 *
 * Every library key can be given as --set SECTION.KEY=VALUE (the section is
 * everything before the last dot, so "--set 'upstream ts1.weight=2'") or in
 * a file of [section] / key = value lines, the keys of nts-pool-ke.conf(5)
 * that the library owns, plus `listen` in [server].
 *
 * How the loop knows what to wait for: after each step() that returned
 * WOULD_BLOCK, ntspool_session_wants() names the one transport (the
 * client's, or the upstream connection the session works with) and the
 * direction(s); poll() watches exactly that, with the earliest session
 * deadline as its timeout, and steps a session when its transport is ready
 * or its deadline came.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ntspool.h>

#define MAX_LISTEN 8

static const char *usage_text =
    "usage: poll-proxy [-c FILE] [--listen ADDR:PORT] [--cert FILE] "
    "[--key FILE]\n"
    "                  [--ca FILE] [--source NAME=HOST:PORT[:TOKEN]]...\n"
    "                  [--set SECTION.KEY=VALUE]... [--max-clients N] [-v]\n"
    "  ADDR is IPv4 or [IPv6]; PORT 0 picks a free port.  Prints\n"
    "  'listening on ADDR:PORT' when ready; SIGINT/SIGTERM stop it after\n"
    "  the sessions in flight.  A TOKEN on the command line is visible to\n"
    "  other users (ps); prefer --set 'upstream NAME.auth-token-path=FILE'.\n"
    "  Keys: those of nts-pool-ke.conf(5) the library owns ([server],\n"
    "  [upstream-tls], [selection], [upstream NAME]), plus [server] listen.\n";

/* One transport: a client's socket or an upstream connection; its
 * ntspool_io carries it in user_data. */
struct conn {
  int fd;
  bool connecting;   /* upstream: connect() still in progress */
  struct conn *next; /* list of upstream connections */
  char name[64];     /* for logs */
};

struct client {
  struct conn conn;
  ntspool_session *session;
  char peer[64];
  bool ready; /* what its session waits on is ready */
  struct client *next;
};

static struct conn *upstreams;
static struct client *clients;
static size_t n_clients;
static bool verbose;
static int stop_pipe[2] = {-1, -1};

static ntspool_time_ms now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ntspool_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("poll-proxy: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static void log_line(void *user, enum ntspool_log_level level,
                     const char *component, const char *line) {
  static const char *const names[] = {"error", "warning", "info", "debug"};
  (void)user;
  fprintf(stderr, "poll-proxy: %s %s: %s\n", names[level], component, line);
}

static int set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return -1;
  return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* ---- Transport callbacks ------------------------------------------------ */

/* Finishes a non-blocking connect: 0 connected, WOULD_BLOCK, or IO. */
static int finish_connect(struct conn *c) {
  struct pollfd p = {.fd = c->fd, .events = POLLOUT};
  if (poll(&p, 1, 0) == 0)
    return NTSPOOL_ERR_WOULD_BLOCK; /* the session then waits to write */
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    if (verbose)
      say("connect to %s failed: %s", c->name, strerror(err ? err : errno));
    return NTSPOOL_ERR_IO;
  }
  c->connecting = false;
  return 0;
}

static int io_send(void *user_data, const uint8_t *data, size_t len) {
  struct conn *c = user_data;
  if (c->connecting) {
    int rc = finish_connect(c);
    if (rc)
      return rc;
  }
  ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);
  if (n > 0)
    return (int)n;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return NTSPOOL_ERR_WOULD_BLOCK;
  return NTSPOOL_ERR_IO;
}

static int io_recv(void *user_data, uint8_t *buf, size_t len) {
  struct conn *c = user_data;
  if (c->connecting) {
    int rc = finish_connect(c);
    if (rc)
      return rc;
  }
  ntspool_socket_quickack(c->fd); /* see libntspool(3), TCP */
  ssize_t n = recv(c->fd, buf, len, 0);
  if (n > 0)
    return (int)n;
  if (n == 0)
    return NTSPOOL_ERR_EOF;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return NTSPOOL_ERR_WOULD_BLOCK;
  return NTSPOOL_ERR_IO;
}

static void conn_io(struct conn *c, ntspool_io *io) {
  *io = (ntspool_io){.version = NTSPOOL_IO_VERSION,
                     .send = io_send,
                     .recv = io_recv,
                     .user_data = c};
}

/* ---- Upstream callbacks ------------------------------------------------- */

/* Opens a connection to a time source without waiting for it: the connect
 * completes (or fails) later, inside io_send/io_recv.  Name resolution
 * (getaddrinfo) does block; configure connect-address, or a numeric or
 * /etc/hosts name such as localhost, to keep it instant. */
static int up_open(void *user_data, const ntspool_upstream_target *t,
                   ntspool_io *io) {
  (void)user_data;
  const char *host = t->connect_address ? t->connect_address : t->host;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_NUMERICSERV};
  if (!t->connect_address) /* a name: the client's family */
    hints.ai_family = t->family == 6 ? AF_INET6 : AF_INET;
  char port[8];
  snprintf(port, sizeof port, "%u", t->port);
  struct addrinfo *res = NULL;
  if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
    say("source %s: cannot resolve %s", t->source_name, host);
    return NTSPOOL_ERR_IO;
  }
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd < 0 || set_nonblocking(fd) < 0) {
    freeaddrinfo(res);
    if (fd >= 0)
      close(fd);
    return NTSPOOL_ERR_IO;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int rc = connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 && errno != EINPROGRESS) {
    say("source %s: connect to %s port %s: %s", t->source_name, host, port,
        strerror(errno));
    close(fd);
    return NTSPOOL_ERR_IO;
  }
  struct conn *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  c->fd = fd;
  c->connecting = rc != 0;
  snprintf(c->name, sizeof c->name, "%s", t->source_name);
  c->next = upstreams;
  upstreams = c;
  conn_io(c, io);
  if (verbose)
    say("upstream %s: connecting to %s port %s (fd %d)", c->name, host, port,
        fd);
  return 0;
}

static void up_close(void *user_data, ntspool_io *io) {
  (void)user_data;
  struct conn *c = io->user_data;
  for (struct conn **p = &upstreams; *p; p = &(*p)->next) {
    if (*p == c) {
      *p = c->next;
      break;
    }
  }
  if (verbose)
    say("upstream %s: closed (fd %d)", c->name, c->fd);
  close(c->fd);
  free(c);
}

/* Whether an idle kept-alive connection has anything waiting (data, EOF,
 * an error): then the pool must not reuse it. */
static bool up_reusable(void *user_data, ntspool_io *io) {
  (void)user_data;
  struct conn *c = io->user_data;
  struct pollfd p = {.fd = c->fd, .events = POLLIN};
  return poll(&p, 1, 0) == 0; /* nothing arrived */
}

/* ---- Configuration ------------------------------------------------------ */

struct listen_addr {
  struct sockaddr_storage ss;
  socklen_t len;
};

static struct listen_addr listens[MAX_LISTEN];
static size_t n_listens;

static int parse_addr(const char *text, struct listen_addr *out) {
  char host[64];
  const char *colon;
  if (text[0] == '[') {
    const char *end = strchr(text, ']');
    if (!end || end[1] != ':' || (size_t)(end - text - 1) >= sizeof host)
      return -1;
    memcpy(host, text + 1, (size_t)(end - text - 1));
    host[end - text - 1] = '\0';
    colon = end + 1;
  } else {
    colon = strrchr(text, ':');
    if (!colon || (size_t)(colon - text) >= sizeof host)
      return -1;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || end == colon + 1 || port < 0 || port > 65535)
    return -1;
  memset(out, 0, sizeof *out);
  struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    out->len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    out->len = sizeof *v6;
  } else {
    return -1;
  }
  return 0;
}

static const char *addr_text(const struct sockaddr *sa, char *buf, size_t cap) {
  char host[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
    port = ntohs(v6->sin6_port);
    snprintf(buf, cap, "[%s]:%u", host, port);
  } else {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
    port = ntohs(v4->sin_port);
    snprintf(buf, cap, "%s:%u", host, port);
  }
  return buf;
}

/* One (section, key, value): `listen` in [server] is ours, the rest goes to
 * the library.  Returns 0 or -1 after saying why. */
static int set_key(ntspool_ctx *ctx, const char *section, const char *key,
                   const char *value, const char *where) {
  if (strcmp(section, "server") == 0 && strcmp(key, "listen") == 0) {
    if (n_listens == MAX_LISTEN || parse_addr(value, &listens[n_listens])) {
      say("%s: bad or too many listen addresses: %s", where, value);
      return -1;
    }
    n_listens++;
    return 0;
  }
  if (ntspool_ctx_set(ctx, section, key, value) != 0) {
    say("%s: %s", where, ntspool_ctx_error(ctx));
    return -1;
  }
  return 0;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  char *e = s + strlen(s);
  while (e > s &&
         (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
    *--e = '\0';
  return s;
}

/* A small INI reader: [section], key = value, '#' or ';' comments. */
static int read_config(ntspool_ctx *ctx, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    say("%s: %s", path, strerror(errno));
    return -1;
  }
  char line[1024], section[256] = "", where[300];
  int lineno = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    lineno++;
    snprintf(where, sizeof where, "%s:%d", path, lineno);
    char *s = trim(line);
    if (*s == '\0' || *s == '#' || *s == ';')
      continue;
    if (*s == '[') {
      char *end = strchr(s, ']');
      if (!end || end[1] != '\0') {
        say("%s: bad section header", where);
        rc = -1;
        break;
      }
      *end = '\0';
      snprintf(section, sizeof section, "%s", trim(s + 1));
      continue;
    }
    char *eq = strchr(s, '=');
    if (!eq || !section[0]) {
      say("%s: expected key = value inside a [section]", where);
      rc = -1;
      break;
    }
    *eq = '\0';
    rc = set_key(ctx, section, trim(s), trim(eq + 1), where);
  }
  fclose(f);
  return rc;
}

/* --set SECTION.KEY=VALUE, the section being everything before the last
 * dot of the part before '='. */
static int set_option(ntspool_ctx *ctx, const char *arg) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", arg);
  char *eq = strchr(buf, '=');
  if (!eq) {
    say("--set %s: expected SECTION.KEY=VALUE", arg);
    return -1;
  }
  *eq = '\0';
  char *dot = strrchr(buf, '.');
  if (!dot || dot == buf || !dot[1]) {
    say("--set %s: expected SECTION.KEY=VALUE", arg);
    return -1;
  }
  *dot = '\0';
  return set_key(ctx, buf, dot + 1, eq + 1, "--set");
}

/* --source NAME=HOST:PORT[:TOKEN] */
static int set_source(ntspool_ctx *ctx, const char *arg) {
  char buf[1024], section[1040];
  snprintf(buf, sizeof buf, "%s", arg);
  char *eq = strchr(buf, '=');
  char *host = eq ? eq + 1 : NULL;
  char *port = host ? strchr(host, ':') : NULL;
  if (!eq || eq == buf || !port || port == host) {
    say("--source %s: expected NAME=HOST:PORT[:TOKEN]", arg);
    return -1;
  }
  *eq = '\0';
  *port++ = '\0';
  char *token = strchr(port, ':');
  if (token)
    *token++ = '\0';
  snprintf(section, sizeof section, "upstream %s", buf);
  int rc = set_key(ctx, section, "domain", host, "--source");
  if (rc == 0)
    rc = set_key(ctx, section, "port", port, "--source");
  if (rc == 0 && token && *token)
    rc = set_key(ctx, section, "auth-token", token, "--source");
  memset(buf, 0, sizeof buf); /* the token */
  return rc;
}

/* ---- Clients ------------------------------------------------------------ */

static void finish_client(struct client *cl, bool finished) {
  ntspool_outcome o;
  ntspool_session_outcome(cl->session, &o);
  if (!finished)
    say("client %s: abandoned", cl->peer);
  else if (o.result == NTSPOOL_RESULT_OK)
    say("client %s: served by %s", cl->peer,
        o.source_name ? o.source_name : "?");
  else if (o.result == NTSPOOL_RESULT_NTS_ERROR)
    say("client %s: answered Error %u (%s)", cl->peer, o.nts_error,
        ntspool_strerror(o.status));
  else
    say("client %s: %s: %s", cl->peer, ntspool_result_name(o.result),
        ntspool_strerror(o.status));
  ntspool_session_free(cl->session);
  close(cl->conn.fd);
  for (struct client **p = &clients; *p; p = &(*p)->next) {
    if (*p == cl) {
      *p = cl->next;
      break;
    }
  }
  free(cl);
  n_clients--;
}

/* Runs a session as far as it goes now.  Returns true if it finished (and
 * cl was freed). */
static bool step_client(struct client *cl, ntspool_time_ms now) {
  cl->ready = false;
  int rc = ntspool_session_step(cl->session, now);
  if (rc == NTSPOOL_ERR_WOULD_BLOCK)
    return false;
  finish_client(cl, true);
  return true;
}

static void accept_clients(ntspool_ctx *ctx, int lfd, size_t max_clients) {
  while (n_clients < max_clients) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    int fd = accept(lfd, (struct sockaddr *)&ss, &len);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
          errno != ECONNABORTED)
        say("accept: %s", strerror(errno));
      return;
    }
    struct client *cl = calloc(1, sizeof *cl);
    if (!cl || set_nonblocking(fd) < 0) {
      free(cl);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    cl->conn.fd = fd;
    addr_text((struct sockaddr *)&ss, cl->peer, sizeof cl->peer);
    snprintf(cl->conn.name, sizeof cl->conn.name, "%s", cl->peer);
    ntspool_io io;
    conn_io(&cl->conn, &io);
    ntspool_peer peer = {.family = ss.ss_family == AF_INET6 ? 6 : 4,
                         .address = cl->peer};
    ntspool_time_ms now = now_ms();
    int rc = ntspool_session_new_server(ctx, &io, &peer, now, &cl->session);
    if (rc) {
      say("client %s: no session: %s", cl->peer, ntspool_strerror(rc));
      close(fd);
      free(cl);
      continue;
    }
    cl->next = clients;
    clients = cl;
    n_clients++;
    if (verbose)
      say("client %s: accepted", cl->peer);
    step_client(cl, now);
  }
}

static void on_signal(int sig) {
  (void)sig;
  int saved = errno;
  if (write(stop_pipe[1], "x", 1) < 0) {
    /* nothing to do: the pipe already holds a wake-up */
  }
  errno = saved;
}

/* ---- Main --------------------------------------------------------------- */

int main(int argc, char **argv) {
  ntspool_ctx *ctx = NULL;
  size_t max_clients = 256;
  int status = 1;

  if (ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &ctx) != 0) {
    say("cannot create a pool context");
    return 70;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    int rc = 0;
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      ntspool_ctx_unref(ctx);
      return 0;
    } else if (strcmp(a, "-v") == 0) {
      verbose = true;
      continue;
    } else if (!v) {
      fputs(usage_text, stderr);
      ntspool_ctx_unref(ctx);
      return 64;
    } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
      rc = read_config(ctx, v);
    } else if (strcmp(a, "--listen") == 0) {
      rc = set_key(ctx, "server", "listen", v, a);
    } else if (strcmp(a, "--cert") == 0) {
      rc = set_key(ctx, "server", "certificate-chain-path", v, a);
    } else if (strcmp(a, "--key") == 0) {
      rc = set_key(ctx, "server", "private-key-path", v, a);
    } else if (strcmp(a, "--ca") == 0) {
      rc = set_key(ctx, "upstream-tls", "certificate-authority-path", v, a);
    } else if (strcmp(a, "--source") == 0) {
      rc = set_source(ctx, v);
    } else if (strcmp(a, "--set") == 0) {
      rc = set_option(ctx, v);
    } else if (strcmp(a, "--max-clients") == 0) {
      max_clients = strtoul(v, NULL, 10);
      if (max_clients == 0)
        max_clients = 1;
    } else {
      fputs(usage_text, stderr);
      ntspool_ctx_unref(ctx);
      return 64;
    }
    i++;
    if (rc) {
      ntspool_ctx_unref(ctx);
      return 78;
    }
  }
  if (n_listens == 0) {
    say("nothing to listen on: give --listen ADDR:PORT");
    ntspool_ctx_unref(ctx);
    return 64;
  }

  ntspool_upstream_ops ops = {.version = NTSPOOL_UPSTREAM_OPS_VERSION,
                              .open = up_open,
                              .close = up_close,
                              .reusable = up_reusable};
  ntspool_ctx_set_upstream_ops(ctx, &ops);
  ntspool_ctx_set_logger(ctx, log_line, NULL,
                         verbose ? NTSPOOL_LOG_DEBUG : NTSPOOL_LOG_WARNING);
  if (ntspool_ctx_ready(ctx) != 0) {
    say("configuration: %s", ntspool_ctx_error(ctx));
    ntspool_ctx_unref(ctx);
    return 78;
  }

  int lfds[MAX_LISTEN];
  size_t n_lfds = 0;
  for (size_t i = 0; i < n_listens; i++) {
    struct listen_addr *a = &listens[i];
    char text[80];
    int fd = socket(a->ss.ss_family, SOCK_STREAM, 0);
    int one = 1;
    if (fd >= 0) {
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (a->ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (fd < 0 || set_nonblocking(fd) < 0 ||
        bind(fd, (struct sockaddr *)&a->ss, a->len) < 0 || listen(fd, 64) < 0 ||
        getsockname(fd, (struct sockaddr *)&a->ss, &a->len) < 0) {
      say("listen on %s: %s",
          addr_text((struct sockaddr *)&a->ss, text, sizeof text),
          strerror(errno));
      if (fd >= 0)
        close(fd);
      goto out;
    }
    lfds[n_lfds++] = fd;
    printf("listening on %s\n",
           addr_text((struct sockaddr *)&a->ss, text, sizeof text));
  }
  fflush(stdout);

  if (pipe(stop_pipe) < 0 || set_nonblocking(stop_pipe[0]) < 0 ||
      set_nonblocking(stop_pipe[1]) < 0) {
    say("pipe: %s", strerror(errno));
    goto out;
  }
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  bool stopping = false;
  for (;;) {
    if (stopping && n_clients == 0)
      break;
    /* What to wait for: the listeners (room permitting), the stop pipe,
     * and for each session the transport it waits on. */
    size_t cap = n_lfds + 1 + n_clients, n = 0;
    struct pollfd *pfd = calloc(cap, sizeof *pfd);
    struct client **who = calloc(cap, sizeof *who);
    if (!pfd || !who) {
      say("out of memory");
      free(pfd);
      free(who);
      goto out;
    }
    pfd[n++] = (struct pollfd){.fd = stop_pipe[0], .events = POLLIN};
    if (!stopping && n_clients < max_clients)
      for (size_t i = 0; i < n_lfds; i++)
        pfd[n++] = (struct pollfd){.fd = lfds[i], .events = POLLIN};
    size_t first_conn = n;
    /* The context's own timers (idle upstream connections) and each
     * session's deadline. */
    ntspool_time_ms now = now_ms(), wake = ntspool_ctx_expiry(ctx);
    for (struct client *cl = clients; cl; cl = cl->next) {
      ntspool_time_ms d = ntspool_session_deadline(cl->session);
      const ntspool_io *io;
      unsigned want = ntspool_session_wants(cl->session, &io);
      if (!want) /* only its deadline changed: step it again at once */
        d = now;
      if (d < wake)
        wake = d;
      if (want) {
        const struct conn *c = io->user_data;
        who[n] = cl;
        pfd[n++] = (struct pollfd){
            .fd = c->fd,
            .events = (short)((want & NTSPOOL_IO_READ ? POLLIN : 0) |
                              (want & NTSPOOL_IO_WRITE ? POLLOUT : 0))};
      }
    }
    ntspool_time_ms wait = wake - now;
    if (wait < 0)
      wait = 0;
    int ready = poll(pfd, (nfds_t)n, (int)(wait > 60000 ? 60000 : wait));
    if (ready < 0 && errno != EINTR) {
      say("poll: %s", strerror(errno));
      free(pfd);
      free(who);
      goto out;
    }
    now = now_ms();
    /* Mark first, step after: a step may close connections. */
    for (size_t i = first_conn; ready > 0 && i < n; i++)
      if (pfd[i].revents)
        who[i]->ready = true;
    if (ready > 0 && pfd[0].revents) {
      char drain[16];
      while (read(stop_pipe[0], drain, sizeof drain) > 0) {
      }
      if (!stopping)
        say("stopping: finishing %zu session%s", n_clients,
            n_clients == 1 ? "" : "s");
      stopping = true;
    }
    bool accept_now[MAX_LISTEN] = {false};
    for (size_t i = 1; i < first_conn; i++)
      if (pfd[i].revents)
        for (size_t j = 0; j < n_lfds; j++)
          if (lfds[j] == pfd[i].fd)
            accept_now[j] = true;
    free(pfd);
    free(who);

    struct client *cl = clients;
    while (cl) {
      struct client *next = cl->next;
      if (cl->ready || now >= ntspool_session_deadline(cl->session) ||
          !ntspool_session_wants(cl->session, NULL))
        step_client(cl, now);
      cl = next;
    }
    for (size_t j = 0; j < n_lfds; j++)
      if (accept_now[j])
        accept_clients(ctx, lfds[j], max_clients);
    if (now >= ntspool_ctx_expiry(ctx))
      ntspool_ctx_handle_expiry(ctx, now);
  }
  status = 0;

out:
  while (clients)
    finish_client(clients, false);
  for (size_t i = 0; i < n_lfds; i++)
    close(lfds[i]);
  /* The last reference closes the cached upstream connections. */
  ntspool_ctx_unref(ctx);
  if (status == 0)
    say("stopped");
  return status;
}
