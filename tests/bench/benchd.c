/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bench's own servers, all built on libntspool, all with the same
 * thread model as nts-pool-ke (blocking sockets, a fixed pool of worker
 * threads, each driving one connection to the end):
 *
 *   benchd raw    the raw TLS limit: the library's own TLS module
 *                 (lib/tls_*.c, so exactly the pool's TLS 1.3 policy:
 *                 same certificate, groups, ALPN ntske/1, no tickets) doing
 *                 the handshake, reading the request and answering a
 *                 canned key-exchange response of the pool's size.  No
 *                 session layer, no upstream: the ceiling for a pool.
 *   benchd source an NTSPOOL_ROLE_SOURCE time source (stands in for
 *                 examples/time-source while that is not built).
 *   benchd pool   an NTSPOOL_ROLE_POOL pool over blocking upstream
 *                 sockets (stands in for nts-pool-ke while that is not
 *                 built, and shows what the library alone costs).
 *
 * Options: --listen 127.0.0.1:PORT --workers W --cert FILE --key FILE
 *   --stats FILE (counters, see below)
 *   source: --token T --max-keep-alive K
 *   pool:   --ca FILE --upstream NAME=DOMAIN@PORT (repeat) --token T
 *           --set SECTION/NAME=VALUE (repeat; any ntspool_ctx_set key)
 *
 * --stats FILE is a 64-byte file mapped shared; the driver reads the
 * counters with od while the server runs, at no cost to it:
 *   u64[0] connections accepted   u64[1] sessions finished well
 *   u64[2] sessions failed        u64[3] upstream connections opened
 * SIGTERM or SIGINT ends the process at once (the bench stops it by PID).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <psa/crypto.h>

#include <ntspool.h>

#include "tls/tls.h" /* the library's internal TLS module (raw mode) */

#include "addr.h"

#define IO_TIMEOUT_MS 5000
#define MAX_UPSTREAMS 8
#define MAX_SETS 32
#define RAW_COOKIE_LEN 100

enum mode { MODE_RAW, MODE_SOURCE, MODE_POOL };

static struct {
  enum mode mode;
  struct sockaddr_in listen;
  int workers;
  const char *cert, *key, *ca, *token;
  const char *max_keep_alive;
  int n_up;
  char *up[MAX_UPSTREAMS];
  int n_sets;
  char *sets[MAX_SETS];
  int lfd;
  volatile uint64_t *stats;
  ntspool_ctx *ctx;        /* source, pool */
  ntspool_tls_config *tls; /* raw */
  uint8_t canned[2048];    /* raw: the answer */
  size_t canned_len;
  psa_key_id_t cookie_key; /* source */
} g = {.workers = 4};

static uint64_t zero_stats[8];

static void count(int i) {
  __atomic_fetch_add(&g.stats[i], 1, __ATOMIC_RELAXED);
}

static ntspool_time_ms now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ntspool_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fatal(const char *what, const char *detail) {
  fprintf(stderr, "benchd: %s%s%s\n", what, detail ? ": " : "",
          detail ? detail : "");
  exit(1);
}

/* ---- socket I/O ---------------------------------------------------------- */

/* Sockets are blocking, with timeouts (tune_socket) that the library's
 * adapter, ntspool_socket_io, turns into WOULD_BLOCK, as in nts-pool-ke. */
static void socket_io(int fd, ntspool_io *io) {
  ntspool_socket_io(fd, io);
}

/* Every socket: NODELAY, since TLS flights are several small records
 * written one by one and Nagle would hold the later ones for an ACK; and
 * timeouts, so no worker waits forever. */
static void tune_socket(int fd) {
  int one = 1;
  struct timeval tv = {IO_TIMEOUT_MS / 1000, 0};
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* ---- pool: upstream transports ------------------------------------------- */

static int up_open(void *u, const ntspool_upstream_target *t, ntspool_io *io) {
  (void)u;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(t->port)};
  if (!t->connect_address ||
      inet_pton(AF_INET, t->connect_address, &a.sin_addr) != 1)
    return NTSPOOL_ERR_IO;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return NTSPOOL_ERR_IO;
  tune_socket(fd);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return NTSPOOL_ERR_IO;
  }
  count(3);
  socket_io(fd, io);
  return 0;
}

static void up_close(void *u, ntspool_io *io) {
  (void)u;
  close(ntspool_socket_io_fd(io));
}

static bool up_reusable(void *u, ntspool_io *io) {
  (void)u;
  struct pollfd p = {ntspool_socket_io_fd(io), POLLIN, 0};
  return poll(&p, 1, 0) == 0; /* nothing arrived */
}

/* ---- source: cookies ----------------------------------------------------- */

/* A cookie as the example time source makes one, in cost and size: a
 * fresh nonce and the keys sealed under a master key (AES-256-GCM here;
 * the pool never reads cookies, only their size and count matter). */
static int make_cookies(void *u, uint16_t protocol, uint16_t aead,
                        const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                        ntspool_cookie *cookies, size_t max) {
  (void)u, (void)protocol;
  uint8_t plain[2 + 2 * NTSPOOL_MAX_KEY_LEN];
  plain[0] = (uint8_t)(aead >> 8), plain[1] = (uint8_t)aead;
  memcpy(plain + 2, c2s, key_len);
  memcpy(plain + 2 + key_len, s2c, key_len);
  size_t plain_len = 2 + 2 * key_len;
  for (size_t i = 0; i < max; i++) {
    uint8_t *c = cookies[i].data;
    size_t out_len;
    c[0] = 0, c[1] = 1; /* key id */
    if (psa_generate_random(c + 2, 12) != PSA_SUCCESS ||
        psa_aead_encrypt(g.cookie_key, PSA_ALG_GCM, c + 2, 12, c, 2, plain,
                         plain_len, c + 14, NTSPOOL_MAX_COOKIE_LEN - 14,
                         &out_len) != PSA_SUCCESS)
      return NTSPOOL_ERR_CRYPTO;
    cookies[i].len = 14 + out_len;
  }
  memset(plain, 0, sizeof plain);
  return (int)max;
}

static void cookie_key_init(void) {
  psa_key_attributes_t at = PSA_KEY_ATTRIBUTES_INIT;
  psa_set_key_type(&at, PSA_KEY_TYPE_AES);
  psa_set_key_bits(&at, 256);
  psa_set_key_usage_flags(&at, PSA_KEY_USAGE_ENCRYPT);
  psa_set_key_algorithm(&at, PSA_ALG_GCM);
  if (psa_crypto_init() != PSA_SUCCESS ||
      psa_generate_key(&at, &g.cookie_key) != PSA_SUCCESS)
    fatal("cannot make the cookie key", NULL);
}

/* ---- contexts ------------------------------------------------------------ */

static void set(const char *section, const char *name, const char *value) {
  if (ntspool_ctx_set(g.ctx, section, name, value) != 0)
    fatal(ntspool_ctx_error(g.ctx), name);
}

static void setup_source(void) {
  cookie_key_init();
  if (ntspool_ctx_new(NTSPOOL_ROLE_SOURCE, NULL, &g.ctx))
    fatal("ntspool_ctx_new", NULL);
  set("time-source", "certificate-chain-path", g.cert);
  set("time-source", "private-key-path", g.key);
  if (g.token)
    set("time-source", "accepted-token", g.token);
  if (g.max_keep_alive)
    set("time-source", "max-keep-alive-connections", g.max_keep_alive);
  ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION, make_cookies, NULL};
  ntspool_ctx_set_source_ops(g.ctx, &ops);
}

static void setup_pool(void) {
  if (ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &g.ctx))
    fatal("ntspool_ctx_new", NULL);
  set("server", "certificate-chain-path", g.cert);
  set("server", "private-key-path", g.key);
  set("upstream-tls", "certificate-authority-path", g.ca);
  for (int i = 0; i < g.n_up; i++) {
    /* NAME=DOMAIN@PORT */
    char section[96], *eq = strchr(g.up[i], '='), *at = strchr(g.up[i], '@');
    if (!eq || !at || at < eq)
      fatal("bad --upstream", g.up[i]);
    *eq = *at = '\0';
    snprintf(section, sizeof section, "upstream %s", g.up[i]);
    set(section, "domain", eq + 1);
    set(section, "port", at + 1);
    set(section, "connect-address", "127.0.0.1");
    if (g.token)
      set(section, "auth-token", g.token);
  }
  for (int i = 0; i < g.n_sets; i++) {
    char *slash = strchr(g.sets[i], '/'), *eq = strchr(g.sets[i], '=');
    if (!slash || !eq || eq < slash)
      fatal("bad --set", g.sets[i]);
    *slash = *eq = '\0';
    set(g.sets[i], slash + 1, eq + 1);
  }
  ntspool_upstream_ops ops = {NTSPOOL_UPSTREAM_OPS_VERSION, up_open, up_close,
                              up_reusable, NULL};
  ntspool_ctx_set_upstream_ops(g.ctx, &ops);
}

/* The raw server answers what a pool answers: NTPv4, AES-SIV-CMAC-256,
 * eight 100-byte cookies (the example source's size), a Server record. */
static void setup_raw(void) {
  ntspool_tls_server_options o = {
      .cred = {.chain_path = g.cert, .key_path = g.key}};
  int raw = 0;
  if (ntspool_tls_config_new_server(&g.tls, &o, NULL, &raw) != 0)
    fatal("cannot load the certificate", g.cert);
  static uint8_t cookie[NTSPOOL_MAX_COOKIES][RAW_COOKIE_LEN];
  ntspool_bytes views[NTSPOOL_MAX_COOKIES];
  for (size_t i = 0; i < NTSPOOL_MAX_COOKIES; i++) {
    memset(cookie[i], (int)i + 1, RAW_COOKIE_LEN);
    views[i] = (ntspool_bytes){cookie[i], RAW_COOKIE_LEN};
  }
  ntspool_ke_answer a = {.protocol = NTSPOOL_PROTO_NTPV4,
                         .aead = NTSPOOL_AEAD_AES_SIV_CMAC_256,
                         .cookies = views,
                         .n_cookies = NTSPOOL_MAX_COOKIES,
                         .server = {(const uint8_t *)"ts1.test", 8}};
  if (ntspool_ke_response_build(g.canned, sizeof g.canned, &g.canned_len,
                                NTSPOOL_NUMBERING_IANA, &a) != 0)
    fatal("cannot build the canned response", NULL);
}

/* ---- connections --------------------------------------------------------- */

/* Raw: handshake, one whole request, the canned answer, close_notify. */
static int serve_raw(int fd) {
  ntspool_io io;
  ntspool_tls *tls;
  socket_io(fd, &io);
  if (ntspool_tls_new(&tls, g.tls, &io, NULL) != 0)
    return -1;
  int rc = ntspool_tls_handshake(tls);
  uint8_t buf[4096];
  size_t len = 0, msg_len = 0;
  while (rc == 0) {
    int n = ntspool_tls_read(tls, buf + len, sizeof buf - len);
    if (n < 0) {
      rc = n;
      break;
    }
    len += (size_t)n;
    int f = ntspool_message_frame(buf, len, sizeof buf, &msg_len);
    if (f == 0)
      break;
    if (f != NTSPOOL_ERR_NEED_MORE)
      rc = f;
  }
  if (rc == 0) {
    int n = ntspool_tls_write(tls, g.canned, g.canned_len);
    rc = n == (int)g.canned_len ? 0 : -1;
  }
  if (rc == 0)
    rc = ntspool_tls_close(tls);
  ntspool_tls_free(tls);
  return rc;
}

/* Pool or source: drive a server session over the blocking socket.  A
 * timed-out read surfaces as WOULD_BLOCK; the session's own deadline
 * bounds the loop (and the count, in case the clock misbehaves). */
static int serve_session(int fd) {
  ntspool_io io;
  ntspool_session *s;
  socket_io(fd, &io);
  ntspool_peer peer = {4, "127.0.0.1"};
  if (ntspool_session_new_server(g.ctx, &io, &peer, now_ms(), &s) != 0)
    return -1;
  int rc = NTSPOOL_ERR_WOULD_BLOCK;
  for (int i = 0; i < 100000 && rc == NTSPOOL_ERR_WOULD_BLOCK; i++)
    rc = ntspool_session_step(s, now_ms());
  ntspool_outcome o;
  ntspool_session_outcome(s, &o);
  ntspool_session_free(s);
  return rc == 0 && !o.sent_error ? 0 : -1;
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    int fd = accept4(g.lfd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
          errno == ENFILE)
        continue;
      return NULL;
    }
    count(0);
    tune_socket(fd);
    int rc = g.mode == MODE_RAW ? serve_raw(fd) : serve_session(fd);
    count(rc == 0 ? 1 : 2);
    close(fd);
  }
}

/* ---- main ---------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr, "usage: benchd raw|source|pool --listen ADDR:PORT "
                  "--cert F --key F [--workers W] [--stats F]\n"
                  "  source: [--token T] [--max-keep-alive K]\n"
                  "  pool: --ca F --upstream NAME=DOMAIN@PORT ... [--token T] "
                  "[--set SECTION/NAME=VALUE ...]\n");
  exit(64);
}

static void map_stats(const char *path) {
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, 64) != 0)
    fatal("cannot create the stats file", path);
  void *p = mmap(NULL, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    fatal("cannot map the stats file", path);
  close(fd);
  g.stats = p;
}

int main(int argc, char **argv) {
  if (argc < 2)
    usage();
  if (!strcmp(argv[1], "raw"))
    g.mode = MODE_RAW;
  else if (!strcmp(argv[1], "source"))
    g.mode = MODE_SOURCE;
  else if (!strcmp(argv[1], "pool"))
    g.mode = MODE_POOL;
  else
    usage();
  g.stats = zero_stats;
  bool have_listen = false;
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *a = argv[i];
    char *v = argv[i + 1];
    if (!strcmp(a, "--listen"))
      have_listen = bench_parse_addr(v, &g.listen) == 0;
    else if (!strcmp(a, "--workers"))
      g.workers = atoi(v);
    else if (!strcmp(a, "--cert"))
      g.cert = v;
    else if (!strcmp(a, "--key"))
      g.key = v;
    else if (!strcmp(a, "--ca"))
      g.ca = v;
    else if (!strcmp(a, "--token"))
      g.token = v;
    else if (!strcmp(a, "--max-keep-alive"))
      g.max_keep_alive = v;
    else if (!strcmp(a, "--upstream") && g.n_up < MAX_UPSTREAMS)
      g.up[g.n_up++] = v;
    else if (!strcmp(a, "--set") && g.n_sets < MAX_SETS)
      g.sets[g.n_sets++] = v;
    else if (!strcmp(a, "--stats"))
      map_stats(v);
    else
      usage();
  }
  if ((argc % 2) != 0 || !have_listen || !g.cert || !g.key || g.workers < 1 ||
      g.workers > 4096 || (g.mode == MODE_POOL && (!g.ca || g.n_up == 0)))
    usage();

  if (g.mode == MODE_RAW)
    setup_raw();
  else {
    if (g.mode == MODE_SOURCE)
      setup_source();
    else
      setup_pool();
    if (ntspool_ctx_ready(g.ctx) != 0)
      fatal("configuration", ntspool_ctx_error(g.ctx));
  }

  g.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(g.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (g.lfd < 0 ||
      bind(g.lfd, (struct sockaddr *)&g.listen, sizeof g.listen) != 0 ||
      listen(g.lfd, 4096) != 0)
    fatal("cannot listen", strerror(errno));

  /* Workers inherit a mask without the stop signals; main waits for them. */
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, NULL);
  signal(SIGPIPE, SIG_IGN);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  /* Small stacks: a worker needs a few pages, and a thousand workers with
   * 8 MiB each would only blur the memory numbers. */
  pthread_attr_setstacksize(&attr, 256 * 1024);
  for (int i = 0; i < g.workers; i++) {
    pthread_t t;
    if (pthread_create(&t, &attr, worker, NULL) != 0)
      fatal("cannot start a worker", NULL);
  }
  int sig;
  sigwait(&stop, &sig);
  _exit(0);
}
