/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The same sessions over real sockets, in the two shapes an application
 * uses: blocking sockets with a thread per session (ntspool_socket_io_deadline
 * and the loop of session.h), and non-blocking sockets driven from one
 * poll() loop on what ntspool_session_wants names, with the sessions'
 * deadlines as its timeout.  test_session.c covers the third shape,
 * in-memory pipes.  Peers that trickle bytes (a client dripping its request
 * in 1-byte records, a time source trickling its answer) are cut at the
 * session's deadline, within 100 ms, under both drivers.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ntspool.h"
#include "ntspool/session.h"
#include "support/sockio.h"
#include "tls/tls.h"

#define TOKEN "token-for-the-io-tests"

static ntspool_time_ms now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ntspool_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set(ntspool_ctx *ctx, const char *sec, const char *k,
                const char *v) {
  int rc = ntspool_ctx_set(ctx, sec, k, v);
  if (rc)
    fail_msg("[%s] %s = %s: %s", sec, k, v, ntspool_ctx_error(ctx));
}

static uint8_t seen_c2s[NTSPOOL_MAX_KEY_LEN];
static size_t seen_len;
/* This thread's source session got the keys and now answers them. */
static _Thread_local bool answering;

static int make_cookies(void *user, uint16_t protocol, uint16_t aead,
                        const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                        ntspool_cookie *cookies, size_t max) {
  (void)user, (void)protocol, (void)aead, (void)s2c;
  memcpy(seen_c2s, c2s, key_len);
  seen_len = key_len;
  answering = true;
  for (size_t i = 0; i < max; i++)
    cookies[i].len = (size_t)snprintf((char *)cookies[i].data,
                                      sizeof cookies[i].data, "c%zu", i);
  return (int)max;
}

static ntspool_ctx *source_ctx(void) {
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_SOURCE, NULL, &ctx), 0);
  set(ctx, "time-source", "certificate-chain-path", "tests/pki/timesource.pem");
  set(ctx, "time-source", "private-key-path", "tests/pki/timesource.key");
  set(ctx, "time-source", "accepted-token", TOKEN);
  ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION, make_cookies, NULL};
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
  assert_int_equal(ntspool_ctx_ready(ctx), 0);
  return ctx;
}

static ntspool_ctx *client_ctx(void) {
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx), 0);
  set(ctx, "client", "certificate-authority-path", "tests/pki/ca.pem");
  assert_int_equal(ntspool_ctx_ready(ctx), 0);
  return ctx;
}

/* ---- Blocking: one thread per session ---------------------------------- */

/* The blocking driver of session.h: the socket's waits end at the
 * session's deadline, whatever the peer does. */
static int run_blocking(ntspool_session *s, ntspool_socket *sock) {
  int rc;
  do {
    sock->deadline = ntspool_session_deadline(s);
    rc = ntspool_session_step(s, now_ms());
  } while (rc == NTSPOOL_ERR_WOULD_BLOCK);
  return rc;
}

struct server_thread {
  ntspool_ctx *ctx;
  ntspool_socket sock;
  int rc;
  ntspool_time_ms started, ended;
};

static void *run_server(void *arg) {
  struct server_thread *t = arg;
  ntspool_session *s;
  ntspool_peer peer = {4, "127.0.0.1"};
  ntspool_io io;
  ntspool_socket_io_deadline(&t->sock, &io);
  t->started = now_ms();
  t->rc = ntspool_session_new_server(t->ctx, &io, &peer, t->started, &s);
  if (t->rc == 0) {
    t->rc = run_blocking(s, &t->sock);
    ntspool_session_free(s);
  }
  t->ended = now_ms();
  close(t->sock.fd);
  return NULL;
}

static void test_session_io_blocking_sockets(void **state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  struct server_thread t = {.ctx = source_ctx(), .sock = {sv[1], 0}};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, run_server, &t), 0);

  ntspool_ctx *cctx = client_ctx();
  ntspool_socket csock = {sv[0], 0};
  ntspool_io cio;
  ntspool_socket_io_deadline(&csock, &cio);
  assert_int_equal(ntspool_socket_io_fd(&cio), sv[0]);
  ntspool_session *c;
  assert_int_equal(
      ntspool_session_new_client(cctx, &cio, "ts1.test", NULL, 0, now_ms(), &c),
      0);
  assert_int_equal(run_blocking(c, &csock), 0);
  ntspool_ke_result res;
  assert_int_equal(ntspool_session_result(c, &res), 0);
  ntspool_session_free(c);
  close(sv[0]);
  pthread_join(th, NULL);
  assert_int_equal(t.rc, 0);
  assert_int_equal(res.n_cookies, 8);
  assert_int_equal(seen_len, res.key_len);
  assert_memory_equal(seen_c2s, res.c2s, res.key_len);
  ntspool_ctx_unref(cctx);
  ntspool_ctx_unref(t.ctx);
}

/* ---- Non-blocking: client, pool and source in one poll() loop ---------------
 */

struct loop {
  ntspool_ctx *source;
  ntspool_session *up[4]; /* source sessions behind upstream links */
  ntspool_test_sockio up_io[4];
  int up_fd_pool[4];
  size_t n_up;
  size_t opened;
};

static int up_open(void *user, const ntspool_upstream_target *t,
                   ntspool_io *io) {
  struct loop *l = user;
  (void)t;
  int sv[2];
  if (l->n_up == 4 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
    return NTSPOOL_ERR_IO;
  ntspool_test_sockio_set_nonblocking(sv[0], 1);
  ntspool_test_sockio_set_nonblocking(sv[1], 1);
  size_t i = l->n_up++;
  l->opened++;
  ntspool_test_sockio_init(&l->up_io[i], sv[1]);
  ntspool_peer peer = {4, "pool"};
  if (ntspool_session_new_server(l->source, &l->up_io[i].io, &peer, now_ms(),
                                 &l->up[i]))
    return NTSPOOL_ERR_IO;
  l->up_fd_pool[i] = sv[0];
  ntspool_socket_io(sv[0], io); /* the pool's end */
  return 0;
}

static void up_close(void *user, ntspool_io *io) {
  (void)user;
  close(ntspool_socket_io_fd(io));
}

static bool up_reusable(void *user, ntspool_io *io) {
  (void)user;
  struct pollfd p = {.fd = ntspool_socket_io_fd(io), .events = POLLIN};
  return poll(&p, 1, 0) <= 0; /* nothing arrived */
}

static void test_session_io_nonblocking_poll(void **state) {
  (void)state;
  struct loop l = {.source = source_ctx()};
  ntspool_ctx *pool;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &pool), 0);
  set(pool, "server", "certificate-chain-path", "tests/pki/localhost.pem");
  set(pool, "server", "private-key-path", "tests/pki/localhost.key");
  set(pool, "upstream-tls", "certificate-authority-path", "tests/pki/ca.pem");
  set(pool, "upstream ts1", "domain", "ts1.test");
  set(pool, "upstream ts1", "auth-token", TOKEN);
  ntspool_upstream_ops ops = {NTSPOOL_UPSTREAM_OPS_VERSION, up_open, up_close,
                              up_reusable, &l};
  assert_int_equal(ntspool_ctx_set_upstream_ops(pool, &ops), 0);
  assert_int_equal(ntspool_ctx_ready(pool), 0);
  ntspool_ctx *cctx = client_ctx();

  for (int round = 0; round < 3; round++) {
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    ntspool_test_sockio_set_nonblocking(sv[0], 1);
    ntspool_test_sockio_set_nonblocking(sv[1], 1);
    ntspool_test_sockio cio, pio;
    ntspool_test_sockio_init(&cio, sv[0]);
    ntspool_test_sockio_init(&pio, sv[1]);
    ntspool_session *c, *p;
    ntspool_peer peer = {4, "127.0.0.1"};
    assert_int_equal(ntspool_session_new_client(cctx, &cio.io, "localhost",
                                                NULL, 0, now_ms(), &c),
                     0);
    assert_int_equal(
        ntspool_session_new_server(pool, &pio.io, &peer, now_ms(), &p), 0);
    int crc = NTSPOOL_ERR_WOULD_BLOCK, prc = NTSPOOL_ERR_WOULD_BLOCK;
    ntspool_time_ms stop = now_ms() + 10000;
    while ((crc == NTSPOOL_ERR_WOULD_BLOCK || prc == NTSPOOL_ERR_WOULD_BLOCK) &&
           now_ms() < stop) {
      if (crc == NTSPOOL_ERR_WOULD_BLOCK)
        crc = ntspool_session_step(c, now_ms());
      if (prc == NTSPOOL_ERR_WOULD_BLOCK)
        prc = ntspool_session_step(p, now_ms());
      for (size_t i = 0; i < l.n_up; i++)
        if (l.up[i] && ntspool_session_step(l.up[i], now_ms()) !=
                           NTSPOOL_ERR_WOULD_BLOCK) {
          ntspool_session_free(l.up[i]);
          l.up[i] = NULL;
          close(l.up_io[i].fd);
        }
      /* Wait for any socket, at most until the earliest deadline. */
      struct pollfd fds[6] = {{sv[0], POLLIN, 0}, {sv[1], POLLIN, 0}};
      nfds_t n = 2;
      for (size_t i = 0; i < l.n_up; i++)
        if (l.up[i])
          fds[n++] = (struct pollfd){l.up_io[i].fd, POLLIN, 0};
      ntspool_time_ms d = ntspool_session_deadline(p) - now_ms();
      poll(fds, n, d < 0 ? 0 : d > 50 ? 50 : (int)d);
    }
    assert_int_equal(crc, 0);
    assert_int_equal(prc, 0);
    ntspool_ke_result res;
    assert_int_equal(ntspool_session_result(c, &res), 0);
    /* A server session has no client result (nor memory for one). */
    assert_int_equal(ntspool_session_result(p, &res), NTSPOOL_ERR_STATE);
    assert_memory_equal(seen_c2s, res.c2s, res.key_len);
    assert_string_equal(res.server, "ts1.test");
    ntspool_session_free(c);
    ntspool_session_free(p);
    close(sv[0]);
    close(sv[1]);
  }
  /* Kept alive: three clients, one upstream connection. */
  assert_int_equal(l.opened, 1);
  ntspool_ctx_unref(pool); /* closes the cached upstream connection */
  for (size_t i = 0; i < l.n_up; i++)
    if (l.up[i]) {
      ntspool_session_step(l.up[i], now_ms());
      ntspool_session_free(l.up[i]);
      close(l.up_io[i].fd);
    }
  ntspool_ctx_unref(cctx);
  ntspool_ctx_unref(l.source);
}

/* ---- Peers that trickle ------------------------------------------------
 *
 * A session's deadline holds however a peer paces its bytes: each byte
 * would restart a socket timeout, so only a driver that waits by the
 * session's deadline (and a session that says what it waits on) can cut
 * such a peer off.  Here the deadlines are 1 s (key exchange) and 500 ms
 * (upstream) and every wait is bounded. */

#define DRIP_KE_TIMEOUT "1000"
/* How late after its deadline a session may end: the wake-up of a thread
 * on a loaded machine (sanitizers, parallel jobs), which can take a few
 * hundred ms.  Every case tells its deadline from the later event it must
 * not wait for by more than this: the drip would end at 1.6 s, the trickle
 * seconds after the upstream deadline. */
#define LATE_MS 250

/* When a session first met a deadline: the deadline, and the time of the
 * step() that saw it passed. */
struct cut {
  ntspool_time_ms deadline, at;
};

/* Steps s once at now_ms() and notes the first deadline it met. */
static int step_noting(ntspool_session *s, struct cut *cut) {
  ntspool_time_ms deadline = ntspool_session_deadline(s), now = now_ms();
  if (now >= deadline && !cut->at)
    *cut = (struct cut){deadline, now};
  return ntspool_session_step(s, now);
}

/* The poll() driver of session.h for one session: waits on exactly what
 * the session names, until its deadline. */
static int run_poll(ntspool_session *s, ntspool_time_ms give_up,
                    struct cut *cut) {
  int rc;
  *cut = (struct cut){0, 0};
  while ((rc = step_noting(s, cut)) == NTSPOOL_ERR_WOULD_BLOCK &&
         now_ms() < give_up) {
    const ntspool_io *io;
    unsigned want = ntspool_session_wants(s, &io);
    if (!want)
      continue; /* a new deadline only */
    struct pollfd p = {ntspool_socket_io_fd(io),
                       (short)((want & NTSPOOL_IO_READ ? POLLIN : 0) |
                               (want & NTSPOOL_IO_WRITE ? POLLOUT : 0)),
                       0};
    ntspool_time_ms left = ntspool_session_deadline(s) - now_ms();
    poll(&p, 1, left < 0 ? 0 : (int)left);
  }
  return rc;
}

/* The session met `deadline` and was cut within LATE_MS of it. */
static void assert_cut(const struct cut *cut, ntspool_time_ms deadline) {
  assert_int_equal(cut->deadline, deadline);
  assert_true(cut->at >= deadline && cut->at <= deadline + LATE_MS);
}

/* A client that finishes the TLS handshake, then sends a valid request
 * one byte per TLS record every 100 ms, until the server hangs up. */
struct dripper {
  int fd;
  size_t sent;
  bool handshake, closed;
};

static void *drip(void *arg) {
  static const uint8_t req[] = {0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04,
                                0x00, 0x02, 0x00, 0x0f, 0x80, 0x00, 0x00, 0x00};
  struct dripper *d = arg;
  ntspool_tls_config *cfg;
  ntspool_tls *tls;
  ntspool_tls_client_options o = {.ca_path = "tests/pki/ca.pem"};
  ntspool_io io;
  ntspool_socket_io(d->fd, &io);
  if (ntspool_tls_config_new_client(&cfg, &o, NULL, NULL))
    return NULL;
  if (ntspool_tls_new(&tls, cfg, &io, "localhost") == 0) {
    d->handshake = ntspool_tls_handshake(tls) == 0;
    while (d->handshake && !d->closed && d->sent < sizeof req) {
      if (ntspool_tls_write(tls, req + d->sent, 1) != 1)
        break;
      d->sent++;
      struct pollfd p = {d->fd, POLLIN, 0};
      uint8_t buf[64];
      if (poll(&p, 1, 100) > 0 &&
          ntspool_tls_read(tls, buf, sizeof buf) != NTSPOOL_ERR_WOULD_BLOCK)
        d->closed = true;
    }
    ntspool_tls_free(tls);
  }
  ntspool_tls_config_unref(cfg);
  return NULL;
}

static ntspool_ctx *
pool_ctx(struct loop *l, const char *ke_timeout, const char *upstream_timeout,
         int (*open)(void *, const ntspool_upstream_target *, ntspool_io *)) {
  ntspool_ctx *pool;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &pool), 0);
  set(pool, "server", "certificate-chain-path", "tests/pki/localhost.pem");
  set(pool, "server", "private-key-path", "tests/pki/localhost.key");
  set(pool, "server", "key-exchange-timeout-ms", ke_timeout);
  set(pool, "upstream-tls", "certificate-authority-path", "tests/pki/ca.pem");
  set(pool, "upstream-tls", "timesource-timeout-ms", upstream_timeout);
  set(pool, "upstream ts1", "domain", "ts1.test");
  set(pool, "upstream ts1", "auth-token", TOKEN);
  ntspool_upstream_ops ops = {NTSPOOL_UPSTREAM_OPS_VERSION, open, up_close,
                              up_reusable, l};
  assert_int_equal(ntspool_ctx_set_upstream_ops(pool, &ops), 0);
  assert_int_equal(ntspool_ctx_ready(pool), 0);
  return pool;
}

static void assert_dripper_cut(const struct dripper *d) {
  assert_true(d->handshake);
  assert_true(d->closed);
  assert_true(d->sent < 16); /* the request never got through */
}

/* Blocking sockets: the pool's thread is free again at the key-exchange
 * timeout, not when the drip ends. */
static void test_session_io_drip_blocking(void **state) {
  (void)state;
  struct loop l = {0};
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  struct server_thread t = {
      .ctx = pool_ctx(&l, DRIP_KE_TIMEOUT, "500", up_open), .sock = {sv[1], 0}};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, run_server, &t), 0);
  struct dripper d = {.fd = sv[0]};
  drip(&d);
  pthread_join(th, NULL);
  close(sv[0]);
  assert_int_equal(t.rc, NTSPOOL_ERR_TIMEOUT);
  assert_true(t.ended - t.started >= 1000);
  assert_true(t.ended - t.started <= 1000 + LATE_MS);
  assert_dripper_cut(&d);
  assert_int_equal(l.opened, 0);
  ntspool_ctx_unref(t.ctx);
}

/* Non-blocking sockets in a poll() loop driven by ntspool_session_wants. */
static void test_session_io_drip_poll(void **state) {
  (void)state;
  struct loop l = {0};
  ntspool_ctx *pool = pool_ctx(&l, DRIP_KE_TIMEOUT, "500", up_open);
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ntspool_test_sockio_set_nonblocking(sv[1], 1);
  ntspool_io io;
  ntspool_socket_io(sv[1], &io);
  struct dripper d = {.fd = sv[0]};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, drip, &d), 0);
  ntspool_session *p;
  ntspool_peer peer = {4, "127.0.0.1"};
  ntspool_time_ms start = now_ms();
  struct cut cut;
  assert_int_equal(ntspool_session_new_server(pool, &io, &peer, start, &p), 0);
  assert_int_equal(run_poll(p, start + 5000, &cut), NTSPOOL_ERR_TIMEOUT);
  ntspool_session_free(p);
  close(sv[1]);
  pthread_join(th, NULL);
  close(sv[0]);
  assert_cut(&cut, start + 1000);
  assert_dripper_cut(&d);
  ntspool_ctx_unref(pool);
}

/* A time source that takes the keys, then trickles its answer one byte
 * every 50 ms over a blocking socket in its own thread. */
struct trickler {
  ntspool_ctx *ctx;
  ntspool_socket sock;
  ntspool_io io;
  pthread_t thread;
};

static int trickle_send(void *user_data, const uint8_t *data, size_t len) {
  struct trickler *t = user_data;
  if (answering) {
    struct timespec pause = {0, 50 * 1000000L};
    nanosleep(&pause, NULL);
    len = 1;
  }
  return t->io.send(t->io.user_data, data, len);
}

static int trickle_recv(void *user_data, uint8_t *buf, size_t len) {
  struct trickler *t = user_data;
  return t->io.recv(t->io.user_data, buf, len);
}

static void *run_trickler(void *arg) {
  struct trickler *t = arg;
  ntspool_io io = {NTSPOOL_IO_VERSION, trickle_send, trickle_recv, t};
  ntspool_peer peer = {4, "pool"};
  ntspool_session *s;
  if (ntspool_session_new_server(t->ctx, &io, &peer, now_ms(), &s) == 0) {
    run_blocking(s, &t->sock);
    ntspool_session_free(s);
  }
  answering = false;
  close(t->sock.fd);
  return NULL;
}

static struct trickler tricklers[4];
static size_t n_tricklers;

static int trickle_open(void *user, const ntspool_upstream_target *target,
                        ntspool_io *io) {
  (void)user;
  int sv[2];
  /* The deadline the pool gives open() is its upstream deadline. */
  if (target->deadline <= now_ms() || n_tricklers == 4 ||
      socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
    return NTSPOOL_ERR_IO;
  struct trickler *t = &tricklers[n_tricklers];
  *t = (struct trickler){.ctx = source_ctx(), .sock = {sv[1], 0}};
  ntspool_socket_io_deadline(&t->sock, &t->io);
  if (pthread_create(&t->thread, NULL, run_trickler, t)) {
    ntspool_ctx_unref(t->ctx);
    close(sv[0]);
    close(sv[1]);
    return NTSPOOL_ERR_IO;
  }
  n_tricklers++;
  ntspool_test_sockio_set_nonblocking(sv[0], 1);
  ntspool_socket_io(sv[0], io);
  return 0;
}

struct client_run {
  ntspool_session *s;
  ntspool_socket *sock;
  int rc;
};

static void *run_client(void *arg) {
  struct client_run *r = arg;
  r->rc = run_blocking(r->s, r->sock);
  return NULL;
}

static void test_session_io_trickling_source(void **state) {
  (void)state;
  struct loop l = {0};
  ntspool_ctx *pool = pool_ctx(&l, "3000", "500", trickle_open);
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  ntspool_test_sockio_set_nonblocking(sv[1], 1);
  ntspool_io io;
  ntspool_socket_io(sv[1], &io);
  /* An ordinary client in its own thread, over a blocking socket. */
  ntspool_socket csock = {sv[0], 0};
  ntspool_ctx *cctx = client_ctx();
  ntspool_session *c, *p;
  ntspool_io cio;
  ntspool_socket_io_deadline(&csock, &cio);
  assert_int_equal(ntspool_session_new_client(cctx, &cio, "localhost", NULL, 0,
                                              now_ms(), &c),
                   0);
  ntspool_peer peer = {4, "127.0.0.1"};
  ntspool_time_ms start = now_ms();
  struct cut cut;
  assert_int_equal(ntspool_session_new_server(pool, &io, &peer, start, &p), 0);
  pthread_t th;
  struct client_run run = {c, &csock, 0};
  assert_int_equal(pthread_create(&th, NULL, run_client, &run), 0);
  assert_int_equal(run_poll(p, start + 5000, &cut), 0);
  ntspool_outcome o;
  ntspool_session_outcome(p, &o);
  pthread_join(th, NULL);
  for (size_t i = 0; i < n_tricklers; i++) {
    pthread_join(tricklers[i].thread, NULL);
    ntspool_ctx_unref(tricklers[i].ctx);
  }
  n_tricklers = 0;
  /* Keys went out, the answer trickled: Internal Server Error, at the
   * upstream deadline. */
  assert_int_equal(o.status, NTSPOOL_ERR_TIMEOUT);
  assert_true(o.sent_error);
  assert_int_equal(o.nts_error, NTSPOOL_NTS_INTERNAL_ERROR);
  assert_int_equal(run.rc, NTSPOOL_ERR_PEER_ERROR);
  /* The upstream deadline: 500 ms after the source was chosen. */
  assert_true(cut.deadline < start + 3000);
  assert_true(cut.at >= cut.deadline && cut.at <= cut.deadline + LATE_MS);
  ntspool_session_free(p);
  ntspool_session_free(c);
  close(sv[0]);
  close(sv[1]);
  ntspool_ctx_unref(cctx);
  ntspool_ctx_unref(pool);
}

/* A connected loopback TCP pair (port from the kernel). */
static void tcp_pair(int fds[2]) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  assert_true(l >= 0);
  assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(l, 1), 0);
  assert_int_equal(getsockname(l, (struct sockaddr *)&a, &len), 0);
  fds[0] = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(connect(fds[0], (struct sockaddr *)&a, sizeof a), 0);
  fds[1] = accept(l, NULL, NULL);
  assert_true(fds[1] >= 0);
  close(l);
}

static int tcp_option(int fd, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  assert_int_equal(getsockopt(fd, IPPROTO_TCP, name, &v, &len), 0);
  return v;
}

/* ntspool_socket_io turns Nagle off, and each recv() first re-arms quick
 * ACKs (a peer writing small records with Nagle on would wait up to 40 ms
 * for our delayed ACK otherwise).  A non-TCP socket is accepted as it
 * is. */
static void test_socket_io_tcp_options(void **state) {
  (void)state;
  int fds[2];
  tcp_pair(fds);
  assert_int_equal(tcp_option(fds[1], TCP_NODELAY), 0);
  ntspool_io io;
  ntspool_socket_io(fds[1], &io);
  assert_int_equal(tcp_option(fds[1], TCP_NODELAY), 1);
  int zero = 0;
  assert_int_equal(
      setsockopt(fds[1], IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero), 0);
  assert_int_equal(tcp_option(fds[1], TCP_QUICKACK), 0);
  ntspool_socket_quickack(fds[1]);
  assert_int_equal(tcp_option(fds[1], TCP_QUICKACK), 1);
  assert_int_equal(
      setsockopt(fds[1], IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof zero), 0);
  assert_int_equal(send(fds[0], "x", 1, 0), 1);
  uint8_t b;
  assert_int_equal(io.recv(io.user_data, &b, 1), 1);
  assert_int_equal(tcp_option(fds[1], TCP_QUICKACK), 1);
  close(fds[0]);
  close(fds[1]);
  int sp[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
  ntspool_socket_io(sp[0], &io);
  assert_int_equal(send(sp[1], "y", 1, 0), 1);
  assert_int_equal(io.recv(io.user_data, &b, 1), 1);
  assert_int_equal(b, 'y');
  close(sp[0]);
  close(sp[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_session_io_blocking_sockets),
      cmocka_unit_test(test_session_io_nonblocking_poll),
      cmocka_unit_test(test_session_io_drip_blocking),
      cmocka_unit_test(test_session_io_drip_poll),
      cmocka_unit_test(test_session_io_trickling_source),
      cmocka_unit_test(test_socket_io_tcp_options),
  };
  return cmocka_run_group_tests_name("session_io", tests, NULL, NULL);
}
