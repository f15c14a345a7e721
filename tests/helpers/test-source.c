/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A tiny time source for the integration tests: NTSPOOL_ROLE_SOURCE on
 * blocking sockets, one thread per connection (the pool keeps its
 * connections alive), cookies that name the source.  No NTP at all: the
 * tests only look at the key exchange.
 *
 *   test-source -l ADDR:PORT [-l ...] -n NAME [-t TOKEN] [-A POOL_CERT]
 *               [-d DELAY_MS] [-T TRICKLE_MS] [-k CERT -K KEY]
 *
 * Prints "listening ADDR:PORT" per listener once bound (port 0 picks one)
 * and "keys NAME aead=N" for every set of keys it receives (before the
 * optional delay), so a test sees which source got a client's keys.  -T
 * trickles the answer to those keys: one byte every TRICKLE_MS.  The pool
 * authenticates with TOKEN, or with the client certificate POOL_CERT (the 2023
 * design). CERT/KEY default to the test PKI's timesource.pem (ts1.test,
 * ts2.test). Stops on SIGTERM/SIGKILL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ntspool.h>

#define MAX_LISTEN 4
#define MAX_THREADS 64

static const char *name = "source";
static long delay_ms;
static long trickle_ms;
/* This thread's session is answering a Fixed Key Request (-T). */
static _Thread_local bool answering;
static atomic_int threads;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static ntspool_time_ms now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ntspool_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int make_cookies(void *user_data, uint16_t protocol, uint16_t aead,
                        const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                        ntspool_cookie *cookies, size_t max) {
  (void)user_data, (void)protocol, (void)c2s, (void)s2c, (void)key_len;
  /* Printed before the delay: a test waits for it to know the keys have
   * arrived while the pool still waits for the cookies. */
  pthread_mutex_lock(&out_lock);
  printf("keys %s aead=%u\n", name, aead);
  fflush(stdout);
  pthread_mutex_unlock(&out_lock);
  if (delay_ms > 0) {
    struct timespec d = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
    nanosleep(&d, NULL);
  }
  answering = true;
  static atomic_uint serial;
  for (size_t i = 0; i < max; i++)
    cookies[i].len =
        (size_t)snprintf((char *)cookies[i].data, sizeof cookies[i].data,
                         "%s-%u", name, atomic_fetch_add(&serial, 1));
  return (int)max;
}

struct conn {
  ntspool_ctx *ctx;
  ntspool_socket sock;
  int family;
  ntspool_io io; /* over sock, bounded by its deadline */
};

/* -T: once the keys arrived, every send is one byte after a pause. */
static int trickle_send(void *user_data, const uint8_t *data, size_t len) {
  const ntspool_io *plain = &((struct conn *)user_data)->io;
  if (answering && trickle_ms > 0) {
    struct timespec d = {trickle_ms / 1000, (trickle_ms % 1000) * 1000000};
    nanosleep(&d, NULL);
    len = 1;
  }
  return plain->send(plain->user_data, data, len);
}

static int plain_recv(void *user_data, uint8_t *buf, size_t len) {
  const ntspool_io *plain = &((struct conn *)user_data)->io;
  return plain->recv(plain->user_data, buf, len);
}

static void *serve(void *arg) {
  struct conn *c = arg;
  ntspool_socket_io_deadline(&c->sock, &c->io);
  ntspool_io io = c->io;
  io.send = trickle_send;
  io.recv = plain_recv;
  io.user_data = c;
  ntspool_peer peer = {.family = c->family, .address = "pool"};
  ntspool_session *s;
  if (ntspool_session_new_server(c->ctx, &io, &peer, now_ms(), &s) == 0) {
    do
      c->sock.deadline = ntspool_session_deadline(s);
    while (ntspool_session_step(s, now_ms()) == NTSPOOL_ERR_WOULD_BLOCK);
    ntspool_session_free(s);
  }
  close(c->sock.fd);
  free(c);
  atomic_fetch_sub(&threads, 1);
  return NULL;
}

static int listen_on(const char *text) {
  char host[64];
  struct sockaddr_storage ss = {0};
  socklen_t len;
  const char *colon = strrchr(text, ':');
  if (!colon || colon - text >= (long)sizeof host)
    return -1;
  int port = atoi(colon + 1);
  if (text[0] == '[') {
    snprintf(host, sizeof host, "%.*s", (int)(colon - text - 2), text + 1);
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
      return -1;
    len = sizeof *a;
  } else {
    snprintf(host, sizeof host, "%.*s", (int)(colon - text), text);
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
      return -1;
    len = sizeof *a;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (ss.ss_family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 ||
      listen(fd, 64) != 0 || getsockname(fd, (struct sockaddr *)&ss, &len))
    return -1;
  int bound =
      ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                     : ((struct sockaddr_in *)&ss)->sin_port);
  printf(ss.ss_family == AF_INET6 ? "listening [%s]:%d\n" : "listening %s:%d\n",
         host, bound);
  fflush(stdout);
  return fd;
}

static void set(ntspool_ctx *ctx, const char *k, const char *v) {
  if (ntspool_ctx_set(ctx, "time-source", k, v) != 0) {
    fprintf(stderr, "test-source: %s: %s\n", k, ntspool_ctx_error(ctx));
    exit(2);
  }
}

int main(int argc, char **argv) {
  const char *addrs[MAX_LISTEN];
  int n_addrs = 0, opt;
  const char *token = NULL, *pool_cert = NULL;
  const char *cert = "tests/pki/timesource.pem";
  const char *key = "tests/pki/timesource.key";
  while ((opt = getopt(argc, argv, "l:t:n:d:T:k:K:A:")) != -1) {
    if (opt == 'l' && n_addrs < MAX_LISTEN)
      addrs[n_addrs++] = optarg;
    else if (opt == 't')
      token = optarg;
    else if (opt == 'n')
      name = optarg;
    else if (opt == 'd')
      delay_ms = atol(optarg);
    else if (opt == 'T')
      trickle_ms = atol(optarg);
    else if (opt == 'k')
      cert = optarg;
    else if (opt == 'K')
      key = optarg;
    else if (opt == 'A')
      pool_cert = optarg;
    else {
      fprintf(stderr, "usage: test-source -l ADDR:PORT -n NAME [-t TOKEN] "
                      "[-A POOL_CERT] [-d DELAY_MS] [-T TRICKLE_MS] "
                      "[-k CERT -K KEY]\n");
      return 2;
    }
  }
  if (!n_addrs || (!token && !pool_cert)) {
    fprintf(stderr, "test-source: -l and -t or -A are required\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  ntspool_ctx *ctx;
  ntspool_source_ops ops = {.version = NTSPOOL_SOURCE_OPS_VERSION,
                            .make_cookies = make_cookies};
  if (ntspool_ctx_new(NTSPOOL_ROLE_SOURCE, NULL, &ctx) != 0)
    return 2;
  set(ctx, "certificate-chain-path", cert);
  set(ctx, "private-key-path", key);
  if (token)
    set(ctx, "accepted-token", token);
  if (pool_cert)
    set(ctx, "authorized-pool-certificate-path", pool_cert);
  set(ctx, "ntp-server", name);
  set(ctx, "aead", "15");
  set(ctx, "aead", "17");
  set(ctx, "max-keep-alive-connections", "32");
  if (ntspool_ctx_set_source_ops(ctx, &ops) != 0 ||
      ntspool_ctx_ready(ctx) != 0) {
    fprintf(stderr, "test-source: %s\n", ntspool_ctx_error(ctx));
    return 2;
  }
  struct pollfd p[MAX_LISTEN];
  for (int i = 0; i < n_addrs; i++) {
    p[i] = (struct pollfd){.fd = listen_on(addrs[i]), .events = POLLIN};
    if (p[i].fd < 0) {
      fprintf(stderr, "test-source: cannot listen on %s: %s\n", addrs[i],
              strerror(errno));
      return 2;
    }
  }
  for (;;) {
    if (poll(p, (nfds_t)n_addrs, -1) < 0)
      continue;
    for (int i = 0; i < n_addrs; i++) {
      if (!(p[i].revents & POLLIN))
        continue;
      struct sockaddr_storage ss;
      socklen_t len = sizeof ss;
      int fd = accept(p[i].fd, (struct sockaddr *)&ss, &len);
      if (fd < 0)
        continue;
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      /* Counted by the tests: upstream connections the pool opened. */
      printf("connection\n");
      fflush(stdout);
      if (atomic_load(&threads) >= MAX_THREADS) {
        close(fd);
        continue;
      }
      struct conn *c = malloc(sizeof *c);
      *c = (struct conn){.ctx = ctx,
                         .sock = {fd, 0},
                         .family = ss.ss_family == AF_INET6 ? 6 : 4};
      pthread_t t;
      atomic_fetch_add(&threads, 1);
      if (pthread_create(&t, NULL, serve, c) != 0) {
        atomic_fetch_sub(&threads, 1);
        close(fd);
        free(c);
        continue;
      }
      pthread_detach(t);
    }
  }
}
