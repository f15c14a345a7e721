/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A pool-aware NTS-KE client for the integration tests (the library's
 * client role on a blocking socket, ntspool_socket_io_deadline).
 *
 *   test-client -a ADDR -p PORT [-n TLS_NAME] [-d DENY]... [-c COUNT]
 *               [-x SRC_ADDR:PORT] [-b LOCAL_ADDR] [-C CA_FILE]
 *               [-t TIMEOUT_MS] [-D] [-M MONITOR_KEY -U UUID]
 *
 * Runs COUNT key exchanges one after another and prints one line each:
 * "ok server=NAME port=N aead=N cookies=N local_port=N us=N" (us: from
 * connect() to the result, in microseconds) or "fail status=...".  -x sends
 * a PROXY protocol v2 header naming SRC_ADDR:PORT first (IPv4 or [IPv6]),
 * as a load balancer would.  -b binds the connection to LOCAL_ADDR first
 * (say 127.0.0.2: a client from another loopback address, for the
 * geographic selection).  -M and -U make each exchange a monitor's probe of
 * source UUID (ntspool_session_new_probe), as the NTS pool's monitor sends
 * it, behind PROXY too.  Exits 0 when every exchange succeeded.
 *
 * -D is the slow-drip attacker instead: it completes the TLS handshake,
 * then sends a valid request one byte per TLS record, one record a second,
 * and prints "drip held_ms=N bytes=N answered=yes|no": how long after the
 * handshake the server kept the connection open, how many bytes it let
 * through, and whether it answered.  Exits 0 when the server closed the
 * connection before the request was complete.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ntspool.h>

#include "tls/tls.h" /* the drip needs records of its own size */

static ntspool_time_ms now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ntspool_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* PROXY v2 header for `src` ("1.2.3.4:9" or "[2001:db8::1]:9"), with the
 * destination left zero.  Returns its length or 0. */
static size_t proxy_header(const char *src, uint8_t *out) {
  static const uint8_t sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                  0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
  char host[64];
  const char *colon = strrchr(src, ':');
  if (!colon)
    return 0;
  unsigned port = (unsigned)atoi(colon + 1);
  memcpy(out, sig, 12);
  out[12] = 0x21;
  if (src[0] == '[') {
    snprintf(host, sizeof host, "%.*s", (int)(colon - src - 2), src + 1);
    out[13] = 0x21;
    out[14] = 0, out[15] = 36;
    memset(out + 16, 0, 36);
    if (inet_pton(AF_INET6, host, out + 16) != 1)
      return 0;
    out[48] = (uint8_t)(port >> 8), out[49] = (uint8_t)port;
    return 52;
  }
  snprintf(host, sizeof host, "%.*s", (int)(colon - src), src);
  out[13] = 0x11;
  out[14] = 0, out[15] = 12;
  memset(out + 16, 0, 12);
  if (inet_pton(AF_INET, host, out + 16) != 1)
    return 0;
  out[24] = (uint8_t)(port >> 8), out[25] = (uint8_t)port;
  return 28;
}

static const char *local_addr; /* -b */

static int connect_to(const char *addr, const char *port) {
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
  struct addrinfo *res, *local = NULL;
  if (getaddrinfo(addr, port, &hints, &res) != 0)
    return -1;
  if (local_addr && getaddrinfo(local_addr, "0", &hints, &local) != 0) {
    freeaddrinfo(res);
    return -1;
  }
  int fd = socket(res->ai_family, SOCK_STREAM, 0);
  if (fd >= 0 && local && bind(fd, local->ai_addr, local->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  if (local)
    freeaddrinfo(local);
  if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
    close(fd);
    fd = -1;
  }
  int one = 1;
  if (fd >= 0)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  freeaddrinfo(res);
  return fd;
}

static int64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int exchange(ntspool_ctx *ctx, const char *addr, const char *port,
                    const char *name, const char *const *deny, size_t n_deny,
                    const char *proxy_src, const char *uuid) {
  int64_t started = now_us();
  int fd = connect_to(addr, port);
  if (fd < 0) {
    printf("fail status=connect: %s\n", strerror(errno));
    return 1;
  }
  if (proxy_src) {
    uint8_t hdr[64];
    size_t len = proxy_header(proxy_src, hdr);
    if (!len || send(fd, hdr, len, MSG_NOSIGNAL) != (ssize_t)len) {
      printf("fail status=proxy header\n");
      close(fd);
      return 1;
    }
  }
  ntspool_socket sock = {.fd = fd};
  ntspool_io io;
  ntspool_socket_io_deadline(&sock, &io);
  ntspool_session *s;
  int rc = uuid ? ntspool_session_new_probe(ctx, &io, name, uuid, now_ms(), &s)
                : ntspool_session_new_client(ctx, &io, name, deny, n_deny,
                                             now_ms(), &s);
  if (rc) {
    printf("fail status=%s\n", ntspool_strerror(rc));
    close(fd);
    return 1;
  }
  do {
    sock.deadline = ntspool_session_deadline(s);
    rc = ntspool_session_step(s, now_ms());
  } while (rc == NTSPOOL_ERR_WOULD_BLOCK);
  ntspool_ke_result r;
  struct sockaddr_storage local;
  socklen_t local_len = sizeof local;
  unsigned local_port = 0;
  if (getsockname(fd, (struct sockaddr *)&local, &local_len) == 0)
    local_port = ntohs(local.ss_family == AF_INET6
                           ? ((struct sockaddr_in6 *)&local)->sin6_port
                           : ((struct sockaddr_in *)&local)->sin_port);
  if (rc == 0 && ntspool_session_result(s, &r) == 0) {
    printf("ok server=%s port=%u aead=%u cookies=%zu local_port=%u us=%lld\n",
           r.server, r.port, r.aead, r.n_cookies, local_port,
           (long long)(now_us() - started));
  } else {
    ntspool_outcome o;
    ntspool_session_outcome(s, &o);
    printf("fail status=%s", ntspool_strerror(rc ? rc : o.status));
    if (o.sent_error || o.nts_error)
      printf(" nts_error=%u", o.nts_error);
    printf("\n");
    rc = rc ? rc : -1;
  }
  memset(&r, 0, sizeof r);
  ntspool_session_free(s);
  close(fd);
  return rc ? 1 : 0;
}

/* The server closed, failed or answered: 1 (answered: *answered set), or 0
 * when nothing arrived within `ms`. */
static int server_spoke(int fd, ntspool_tls *tls, int ms, bool *answered) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (ntspool_tls_pending(tls) == 0 && poll(&p, 1, ms) <= 0)
    return 0;
  uint8_t buf[512];
  int n = ntspool_tls_read(tls, buf, sizeof buf);
  if (n > 0)
    *answered = true;
  return n != NTSPOOL_ERR_WOULD_BLOCK;
}

static int drip(const char *addr, const char *port, const char *name,
                const char *ca) {
  /* NTPv4, AES-SIV-CMAC-256, End of Message: 16 bytes, 16 records. */
  static const uint8_t req[] = {0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04,
                                0x00, 0x02, 0x00, 0x0f, 0x80, 0x00, 0x00, 0x00};
  int fd = connect_to(addr, port);
  ntspool_tls_config *cfg = NULL;
  ntspool_tls *tls = NULL;
  ntspool_tls_client_options o = {.ca_path = ca};
  ntspool_io io;
  ntspool_socket_io(fd, &io);
  if (fd < 0 || ntspool_tls_config_new_client(&cfg, &o, NULL, NULL) ||
      ntspool_tls_new(&tls, cfg, &io, name) || ntspool_tls_handshake(tls)) {
    printf("fail status=drip handshake\n");
    return 1;
  }
  ntspool_time_ms start = now_ms();
  size_t sent = 0;
  bool answered = false, closed = false;
  while (!closed && sent < sizeof req) {
    if (ntspool_tls_write(tls, req + sent, 1) != 1)
      break;
    sent++;
    closed = server_spoke(fd, tls, 1000, &answered);
  }
  /* Whole request out and still open: see how long until it ends. */
  for (int i = 0; !closed && i < 30; i++)
    closed = server_spoke(fd, tls, 1000, &answered);
  printf("drip held_ms=%lld bytes=%zu answered=%s\n",
         (long long)(now_ms() - start), sent, answered ? "yes" : "no");
  ntspool_tls_free(tls);
  ntspool_tls_config_unref(cfg);
  close(fd);
  return sent < sizeof req ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *addr = "127.0.0.1", *port = NULL, *name = "localhost";
  const char *ca = "tests/pki/ca.pem", *proxy_src = NULL, *timeout = NULL;
  const char *monitor_key = NULL, *uuid = NULL;
  const char *deny[8];
  size_t n_deny = 0;
  long count = 1;
  int opt;
  bool slow_drip = false;
  while ((opt = getopt(argc, argv, "a:p:n:d:c:x:b:C:t:DM:U:")) != -1) {
    switch (opt) {
    case 'D':
      slow_drip = true;
      break;
    case 'M':
      monitor_key = optarg;
      break;
    case 'U':
      uuid = optarg;
      break;
    case 'a':
      addr = optarg;
      break;
    case 'p':
      port = optarg;
      break;
    case 'n':
      name = optarg;
      break;
    case 'd':
      if (n_deny < 8)
        deny[n_deny++] = optarg;
      break;
    case 'c':
      count = atol(optarg);
      break;
    case 'x':
      proxy_src = optarg;
      break;
    case 'b':
      local_addr = optarg;
      break;
    case 'C':
      ca = optarg;
      break;
    case 't':
      timeout = optarg;
      break;
    default:
      fprintf(stderr,
              "usage: test-client -a ADDR -p PORT [-n NAME] "
              "[-d DENY]... [-c COUNT] [-x SRC:PORT] [-b LOCAL] [-C CA] "
              "[-t MS] [-D] [-M KEY -U UUID]\n");
      return 2;
    }
  }
  if (!port) {
    fprintf(stderr, "test-client: -p is required\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  if (slow_drip)
    return drip(addr, port, name, ca);
  ntspool_ctx *ctx;
  if (ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx) != 0 ||
      ntspool_ctx_set(ctx, "client", "certificate-authority-path", ca) != 0 ||
      (timeout && ntspool_ctx_set(ctx, "client", "key-exchange-timeout-ms",
                                  timeout) != 0) ||
      (monitor_key &&
       ntspool_ctx_set(ctx, "client", "monitoring-key", monitor_key) != 0) ||
      ntspool_ctx_ready(ctx) != 0) {
    fprintf(stderr, "test-client: %s\n", ntspool_ctx_error(ctx));
    return 2;
  }
  int failed = 0;
  for (long i = 0; i < count; i++) {
    failed += exchange(ctx, addr, port, name, deny, n_deny, proxy_src, uuid);
    fflush(stdout);
  }
  ntspool_ctx_unref(ctx);
  return failed ? 1 : 0;
}
