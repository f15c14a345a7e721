/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * event-loop: libntspool's POOL role driven from libevent, the way a daemon
 * with its own event loop would embed it.  Everything a maintainer needs
 * is in drive(): step the session; if it would block, ask
 * ntspool_session_wants() which socket and which direction(s), and arm one
 * libevent event on exactly that, with the session's deadline as its
 * timeout; whatever fires (readiness or timeout), step again.  The session
 * reads no clock and opens no socket: the loop hands it "now", and the
 * upstream callbacks below open non-blocking sockets it then waits on the
 * same way.
 *
 *   event-loop --listen 127.0.0.1:0 --set SECTION.KEY=VALUE ...
 *
 * --set takes any key of nts-pool-ke.conf(5) that the library owns (the
 * section is everything before the last dot: --set 'upstream ts1.port=4460').
 * Prints "listening on ADDR:PORT" when ready and one line per client;
 * SIGINT/SIGTERM stop it once the sessions in flight are done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <ntspool.h>

static struct event_base *base;
static ntspool_ctx *pool;
static struct event *expire; /* the context's own timers */
static size_t n_clients;
static bool stopping;

/* The sessions' clock: the one ntspool_socket_io_deadline would use. */
static ntspool_time_ms now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ntspool_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int nonblocking_socket(int family) {
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (fd >= 0)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* ---- One client: a session and the one event it waits on -------------- */

struct client {
  ntspool_session *session;
  int fd;
  struct event *ev; /* re-armed after every step */
  char peer[64];
};

static void on_ready(evutil_socket_t fd, short what, void *arg);

/* (Re)arms the context's timer for ntspool_ctx_expiry: a step may have
 * put an upstream connection into the cache, due to close later. */
static void arm_expiry(void) {
  ntspool_time_ms due = ntspool_ctx_expiry(pool);
  if (due == NTSPOOL_TIME_NEVER) {
    event_del(expire);
    return;
  }
  ntspool_time_ms left = due - now_ms();
  if (left < 0)
    left = 0;
  struct timeval tv = {left / 1000, (left % 1000) * 1000};
  event_add(expire, &tv);
}

static void finish(struct client *cl) {
  ntspool_outcome o;
  ntspool_session_outcome(cl->session, &o);
  if (o.result == NTSPOOL_RESULT_OK)
    printf("client %s: served by %s\n", cl->peer,
           o.source_name ? o.source_name : "?");
  else
    printf("client %s: %s (%s)\n", cl->peer, ntspool_result_name(o.result),
           ntspool_strerror(o.status));
  fflush(stdout);
  event_free(cl->ev);
  ntspool_session_free(cl->session);
  close(cl->fd);
  free(cl);
  if (--n_clients == 0 && stopping)
    event_base_loopbreak(base);
}

/* Steps the session and arms its event on what it waits on, until its
 * deadline.  This is the whole contract between libntspool and a loop. */
static void drive(struct client *cl) {
  int rc = ntspool_session_step(cl->session, now_ms());
  arm_expiry();
  if (rc != NTSPOOL_ERR_WOULD_BLOCK) {
    finish(cl);
    return;
  }
  const ntspool_io *io;
  unsigned want = ntspool_session_wants(cl->session, &io);
  ntspool_time_ms left = ntspool_session_deadline(cl->session) - now_ms();
  struct timeval tv = {0, 0}; /* want 0: a new deadline, step at once */
  if (want && left > 0)
    tv = (struct timeval){left / 1000, (left % 1000) * 1000};
  short events = (short)((want & NTSPOOL_IO_READ ? EV_READ : 0) |
                         (want & NTSPOOL_IO_WRITE ? EV_WRITE : 0));
  event_del(cl->ev);
  event_assign(cl->ev, base, want ? ntspool_socket_io_fd(io) : -1, events,
               on_ready, cl);
  event_add(cl->ev, &tv);
}

static void on_ready(evutil_socket_t fd, short what, void *arg) {
  (void)fd, (void)what; /* ready or timed out: step() decides */
  drive(arg);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg) {
  (void)what, (void)arg;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  int fd = accept(lfd, (struct sockaddr *)&ss, &len);
  if (fd >= 0)
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  struct client *cl = fd >= 0 ? calloc(1, sizeof *cl) : NULL;
  if (!cl || stopping) {
    if (fd >= 0)
      close(fd);
    free(cl);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char ip[INET6_ADDRSTRLEN] = "?";
  const void *a = ss.ss_family == AF_INET6
                      ? (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
                      : (const void *)&((struct sockaddr_in *)&ss)->sin_addr;
  inet_ntop(ss.ss_family, a, ip, sizeof ip);
  snprintf(cl->peer, sizeof cl->peer, "%s", ip);
  cl->fd = fd;
  ntspool_io io;
  ntspool_socket_io(fd, &io);
  ntspool_peer peer = {.family = ss.ss_family == AF_INET6 ? 6 : 4,
                       .address = cl->peer};
  cl->ev = event_new(base, -1, 0, on_ready, cl);
  if (!cl->ev ||
      ntspool_session_new_server(pool, &io, &peer, now_ms(), &cl->session)) {
    if (cl->ev)
      event_free(cl->ev);
    close(fd);
    free(cl);
    return;
  }
  n_clients++;
  drive(cl);
}

/* ---- Upstream connections: non-blocking sockets the sessions wait on --- */

/* The connect may still be in progress when this returns: the socket io
 * then says WOULD_BLOCK and the session waits for it to be writable.
 * getaddrinfo() does block: give sources a connect-address (or a name in
 * /etc/hosts) to keep the loop responsive. */
static int up_open(void *user_data, const ntspool_upstream_target *t,
                   ntspool_io *io) {
  (void)user_data;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_NUMERICSERV};
  if (!t->connect_address) /* a name: the client's family */
    hints.ai_family = t->family == 6 ? AF_INET6 : AF_INET;
  char port[8];
  snprintf(port, sizeof port, "%u", t->port);
  struct addrinfo *res = NULL;
  if (getaddrinfo(t->connect_address ? t->connect_address : t->host, port,
                  &hints, &res) != 0)
    return NTSPOOL_ERR_IO;
  int fd = nonblocking_socket(res->ai_family);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0 &&
      errno != EINPROGRESS) {
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0)
    return NTSPOOL_ERR_IO;
  ntspool_socket_io(fd, io);
  return 0;
}

static void up_close(void *user_data, ntspool_io *io) {
  (void)user_data;
  close(ntspool_socket_io_fd(io));
}

static bool up_reusable(void *user_data, ntspool_io *io) {
  (void)user_data;
  struct pollfd p = {.fd = ntspool_socket_io_fd(io), .events = POLLIN};
  return poll(&p, 1, 0) == 0; /* nothing arrived */
}

/* ---- Pool-wide timers, signals, set-up --------------------------------- */

/* The context's timers: idle upstream connections past their limits. */
static void on_expire(evutil_socket_t fd, short what, void *arg) {
  (void)fd, (void)what, (void)arg;
  ntspool_ctx_handle_expiry(pool, now_ms());
  arm_expiry();
}

static void on_signal(evutil_socket_t sig, short what, void *arg) {
  (void)sig, (void)what;
  event_del(arg); /* the listener: no new clients */
  stopping = true;
  if (n_clients == 0)
    event_base_loopbreak(base);
}

/* --listen 127.0.0.1:PORT or [::1]:PORT; returns the listening fd. */
static int listen_on(const char *text) {
  char host[64];
  struct sockaddr_storage ss = {0};
  const char *colon = strrchr(text, ':');
  bool v6 = text[0] == '[';
  if (!colon || colon - text - 2 * v6 >= (long)sizeof host)
    return -1;
  snprintf(host, sizeof host, "%.*s", (int)(colon - text - 2 * v6), text + v6);
  struct sockaddr_in *in = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
  uint16_t port = htons((uint16_t)atoi(colon + 1));
  socklen_t len = v6 ? sizeof *in6 : sizeof *in;
  if (v6 ? inet_pton(AF_INET6, host, &in6->sin6_addr) != 1
         : inet_pton(AF_INET, host, &in->sin_addr) != 1)
    return -1;
  ss.ss_family = v6 ? AF_INET6 : AF_INET;
  if (v6)
    in6->sin6_port = port;
  else
    in->sin_port = port;
  int fd = nonblocking_socket(ss.ss_family);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 ||
      listen(fd, 64) != 0 || getsockname(fd, (struct sockaddr *)&ss, &len)) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  printf(v6 ? "listening on [%s]:%u\n" : "listening on %s:%u\n", host,
         ntohs(v6 ? in6->sin6_port : in->sin_port));
  fflush(stdout);
  return fd;
}

/* --set SECTION.KEY=VALUE */
static int set_key(ntspool_ctx *ctx, const char *arg) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", arg);
  char *eq = strchr(buf, '=');
  if (eq)
    *eq = '\0';
  char *dot = eq ? strrchr(buf, '.') : NULL;
  if (!dot || dot == buf) {
    fprintf(stderr, "event-loop: --set %s: expected SECTION.KEY=VALUE\n", arg);
    return -1;
  }
  *dot = '\0';
  if (ntspool_ctx_set(ctx, buf, dot + 1, eq + 1) != 0) {
    fprintf(stderr, "event-loop: --set [%s] %s: %s\n", buf, dot + 1,
            ntspool_ctx_error(ctx));
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *listen_at = "127.0.0.1:4460";
  if (ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &pool) != 0)
    return 70;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && strcmp(argv[i], "--listen") == 0) {
      listen_at = argv[++i];
    } else if (i + 1 < argc && strcmp(argv[i], "--set") == 0) {
      if (set_key(pool, argv[++i]))
        return 64;
    } else {
      fprintf(stderr, "usage: event-loop [--listen ADDR:PORT] "
                      "[--set SECTION.KEY=VALUE]...\n");
      return 64;
    }
  }
  ntspool_upstream_ops ops = {NTSPOOL_UPSTREAM_OPS_VERSION, up_open, up_close,
                              up_reusable, NULL};
  if (ntspool_ctx_set_upstream_ops(pool, &ops) || ntspool_ctx_ready(pool)) {
    fprintf(stderr, "event-loop: %s\n", ntspool_ctx_error(pool));
    return 78;
  }
  signal(SIGPIPE, SIG_IGN);
  int lfd = listen_on(listen_at);
  base = event_base_new();
  if (lfd < 0 || !base) {
    fprintf(stderr, "event-loop: cannot listen on %s\n", listen_at);
    return 71;
  }
  struct event *listener =
      event_new(base, lfd, EV_READ | EV_PERSIST, on_accept, NULL);
  expire = event_new(base, -1, 0, on_expire, NULL);
  struct event *term = evsignal_new(base, SIGTERM, on_signal, listener);
  struct event *intr = evsignal_new(base, SIGINT, on_signal, listener);
  event_add(listener, NULL);
  event_add(term, NULL);
  event_add(intr, NULL);
  event_base_dispatch(base);
  event_free(listener);
  event_free(expire);
  event_free(term);
  event_free(intr);
  event_base_free(base);
  close(lfd);
  ntspool_ctx_unref(pool); /* closes the cached upstream connections */
  printf("stopped\n");
  return 0;
}
