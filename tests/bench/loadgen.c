/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The bench's NTS-KE load generator (OpenSSL libssl, not mbedTLS, so the
 * client side costs little next to the server under test and shares no code
 * with it).  Every row of the bench table uses this one program.
 *
 *   loadgen rate HOST:PORT --name N --ca FILE -j CONC
 *           [--sessions M] [--seconds S] [--warmup W] [--groups LIST]
 *           [--small-writes 1] [--fail-log FILE] [--max-rate R]
 *     CONC threads run full NTS-KE sessions back to back: TCP connect,
 *     TLS 1.3 handshake with ALPN ntske/1 and the certificate verified
 *     against FILE for name N, one real request (ntspool_ke_request_build),
 *     the whole response read and checked (ntspool_ke_response_parse), both
 *     keys exported (RFC 8915 5.1), close_notify, close.  Stops after M
 *     sessions or S seconds, whichever comes first; the first W sessions
 *     are a warm-up and are neither timed nor counted.  --small-writes 1
 *     sends each NTS record of the request in a TLS record and a write() of
 *     its own with Nagle's algorithm on, as some clients do: each record
 *     then waits for the server's ACK of the one before.  Prints one line:
 *       sessions= errors= seconds= rate= p50_ms= p99_ms= mean_ms= cpu_ms=
 *     where cpu_ms is the generator's own CPU time per timed session (on a
 *     small machine it bounds what any server can be measured at).
 *     --fail-log FILE appends one line per failed session, warm-up
 *     included: the wall-clock time it failed (seconds since the epoch,
 *     CLOCK_REALTIME, so a driver can set it against its own events), the
 *     step and the detail, e.g. "1764608400.123456 response nts_error=2"
 *     (tests/soak/run explains each failure with it).  --max-rate R
 *     paces the timed sessions: session i starts no earlier than i / R
 *     seconds after the timed window opened (the soak's short form uses
 *     it to span its kill and reload schedule).
 *
 *   loadgen hold HOST:PORT --pid PID -n CONNS [--stage tcp|hello]
 *           [--linger S]
 *     Opens CONNS connections and leaves them open: "tcp" only connects,
 *     "hello" also sends a ClientHello and then goes quiet, so the server
 *     sits mid-handshake with its full TLS state.  Once the server's
 *     VmRSS (/proc/PID/status) stops moving it prints
 *       conns= established= rss_base_kb= rss_kb= per_conn_kb=
 *     where per_conn_kb is (rss - rss_base) / conns, keeps them S seconds
 *     more (default 0), then closes them all.
 *
 * Everything is bounded: connects and reads time out after 5 s, a run
 * after its --seconds, a hold after 10 s of waiting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <ntspool.h>

#include "addr.h"

#define IO_TIMEOUT_S 5
#define MAX_LATENCIES 2000000
#define MAX_THREADS 256
#define MAX_HOLD 20000

static struct {
  struct sockaddr_in addr;
  const char *name;
  const char *ca;
  const char *groups;
  int conc;
  int small_writes; /* one record per write, Nagle on */
  long sessions;    /* timed sessions to run (after warm-up) */
  double seconds;
  long warmup;
  SSL_CTX *ctx;
  uint8_t request[256];
  size_t request_len;
  FILE *fail_log;
  double max_rate; /* sessions/s, 0: as fast as they go */
} g = {.name = "localhost",
       .ca = "tests/pki/ca.pem",
       .conc = 1,
       .sessions = 1000000,
       .seconds = 10};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s\n", what);
  exit(2);
}

/* ---- one session -------------------------------------------------------- */

static atomic_long next_session; /* sessions handed out, warm-up included */
static atomic_long n_errors;
static atomic_int errors_printed;
static double run_start, run_end;

static pthread_mutex_t fail_log_lock = PTHREAD_MUTEX_INITIALIZER;

/* A session failed at step `what`; `detail` (may be NULL) says how. */
static void report_error(const char *what, const char *detail) {
  const char *reason = ERR_reason_error_string(ERR_peek_last_error());
  if (atomic_fetch_add(&errors_printed, 1) < 5)
    fprintf(stderr, "loadgen: session failed: %s%s%s%s%s\n", what,
            detail ? " " : "", detail ? detail : "", reason ? ": " : "",
            reason ? reason : "");
  if (g.fail_log) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pthread_mutex_lock(&fail_log_lock);
    fprintf(g.fail_log, "%lld.%06ld %s%s%s%s%s\n", (long long)ts.tv_sec,
            ts.tv_nsec / 1000, what, detail ? " " : "", detail ? detail : "",
            reason ? " tls=" : "", reason ? reason : "");
    fflush(g.fail_log);
    pthread_mutex_unlock(&fail_log_lock);
  }
  ERR_clear_error();
  atomic_fetch_add(&n_errors, 1);
}

static int connect_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  struct timeval tv = {IO_TIMEOUT_S, 0};
  /* Handshake flights are several small records: without NODELAY the
   * request could wait for an ACK of the previous segment (which is the
   * point of --small-writes). */
  if (!g.small_writes)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, (struct sockaddr *)&g.addr, sizeof g.addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* RFC 8915 5.1: context = protocol (u16) | AEAD (u16) | 0 for C2S, 1 S2C. */
static int export_keys(SSL *ssl, uint16_t aead, size_t key_len) {
  static const char label[] = "EXPORTER-network-time-security";
  uint8_t keys[2][64];
  for (int dir = 0; dir < 2; dir++) {
    const uint8_t context[5] = {0, 0, (uint8_t)(aead >> 8), (uint8_t)aead,
                                (uint8_t)dir};
    if (SSL_export_keying_material(ssl, keys[dir], key_len, label,
                                   sizeof label - 1, context, sizeof context,
                                   1) != 1)
      return -1;
  }
  /* Keys the client would keep; checked only for not being all zero. */
  uint8_t any = 0;
  for (size_t i = 0; i < key_len; i++)
    any |= keys[0][i] | keys[1][i];
  return any ? 0 : -1;
}

/* The whole request in one TLS record, as most clients send it; or with
 * --small-writes one SSL_write (one record, one write()) per NTS record. */
static int write_request(SSL *ssl) {
  if (!g.small_writes)
    return SSL_write(ssl, g.request, (int)g.request_len) == (int)g.request_len
               ? 0
               : -1;
  for (size_t off = 0; off + NTSPOOL_RECORD_HEADER_LEN <= g.request_len;) {
    size_t n = NTSPOOL_RECORD_HEADER_LEN +
               (size_t)((g.request[off + 2] << 8) | g.request[off + 3]);
    if (n > g.request_len - off ||
        SSL_write(ssl, g.request + off, (int)n) != (int)n)
      return -1;
    off += n;
  }
  return 0;
}

/* Returns 0 for a complete, valid session. */
static int run_session(void) {
  int fd = connect_socket();
  if (fd < 0) {
    report_error("connect", strerror(errno));
    return -1;
  }
  int rc = -1;
  const char *why = "TLS setup";
  char detail[64] = "";
  SSL *ssl = SSL_new(g.ctx);
  if (!ssl || !SSL_set_fd(ssl, fd) || !SSL_set_tlsext_host_name(ssl, g.name) ||
      !SSL_set1_host(ssl, g.name))
    goto out;
  why = "handshake";
  if (SSL_connect(ssl) != 1)
    goto out;
  const unsigned char *alpn;
  unsigned alpn_len;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  why = "ALPN";
  if (alpn_len != 7 || memcmp(alpn, "ntske/1", 7) != 0)
    goto out;
  why = "write";
  if (write_request(ssl) != 0)
    goto out;
  uint8_t buf[16384];
  size_t len = 0, msg_len = 0;
  why = "read";
  for (;;) {
    int n = SSL_read(ssl, buf + len, (int)(sizeof buf - len));
    if (n <= 0) {
      int e = SSL_get_error(ssl, n);
      snprintf(detail, sizeof detail, "%s after %zu bytes",
               e == SSL_ERROR_ZERO_RETURN ? "close_notify"
               : e == SSL_ERROR_SYSCALL   ? (errno ? strerror(errno) : "EOF")
                                          : "TLS error",
               len);
      goto out;
    }
    len += (size_t)n;
    int f = ntspool_message_frame(buf, len, sizeof buf, &msg_len);
    if (f == 0)
      break;
    if (f != NTSPOOL_ERR_NEED_MORE)
      goto out;
  }
  ntspool_response r;
  why = "response";
  int prc = ntspool_ke_response_parse(buf, msg_len, NTSPOOL_NUMBERING_IANA, &r);
  if (prc == NTSPOOL_ERR_PEER_ERROR)
    snprintf(detail, sizeof detail, "nts_error=%u", r.error_code);
  else if (prc != 0)
    snprintf(detail, sizeof detail, "%s", ntspool_strerror(prc));
  if (prc != 0 || !r.has_protocol || r.protocol != NTSPOOL_PROTO_NTPV4 ||
      !r.has_aead || r.aead != NTSPOOL_AEAD_AES_SIV_CMAC_256 ||
      r.n_cookies == 0)
    goto out;
  why = "export";
  if (export_keys(ssl, r.aead, ntspool_aead_key_length(r.aead)) != 0)
    goto out;
  rc = 0;
  SSL_shutdown(ssl); /* our close_notify; the server's is not awaited */
out:
  if (rc)
    report_error(why, detail[0] ? detail : NULL);
  SSL_free(ssl);
  close(fd);
  return rc;
}

/* ---- rate --------------------------------------------------------------- */

typedef struct worker {
  pthread_t thread;
  double *lat; /* ms */
  size_t n_lat, cap;
} worker;

static void *rate_thread(void *arg) {
  worker *w = arg;
  for (;;) {
    long i = atomic_fetch_add(&next_session, 1);
    if (i >= g.warmup + g.sessions || now_s() >= run_end)
      break;
    if (g.max_rate > 0 && i >= g.warmup) {
      double due = run_start + (double)(i - g.warmup) / g.max_rate;
      double wait = due - now_s();
      if (wait > 0) {
        if (due >= run_end)
          break;
        struct timespec ts = {(time_t)wait,
                              (long)((wait - (double)(time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
      }
    }
    double t0 = now_s();
    int rc = run_session();
    double ms = (now_s() - t0) * 1e3;
    if (rc == 0 && i >= g.warmup && w->n_lat < w->cap)
      w->lat[w->n_lat++] = ms;
  }
  return NULL;
}

/* CPU time of this process so far, in seconds. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double percentile(const double *v, size_t n, double p) {
  if (n == 0)
    return 0;
  size_t i = (size_t)(p * (double)(n - 1) + 0.5);
  return v[i < n ? i : n - 1];
}

static int run_rate(void) {
  static worker workers[MAX_THREADS];
  size_t cap =
      (size_t)(g.sessions < MAX_LATENCIES ? g.sessions : MAX_LATENCIES);
  /* Warm-up first, single batch, so the timed window starts warm. */
  if (g.warmup > 0) {
    long total = g.sessions;
    g.sessions = 0;
    run_end = now_s() + g.seconds;
    for (int i = 0; i < g.conc; i++)
      pthread_create(&workers[i].thread, NULL, rate_thread, &workers[i]);
    for (int i = 0; i < g.conc; i++)
      pthread_join(workers[i].thread, NULL);
    g.sessions = total;
    /* Each warm-up thread took one more number on its way out. */
    atomic_store(&next_session, g.warmup);
    atomic_store(&n_errors, 0);
  }
  for (int i = 0; i < g.conc; i++) {
    workers[i].cap = cap;
    workers[i].lat = malloc(cap * sizeof(double));
    if (!workers[i].lat)
      die("out of memory");
  }
  double t0 = now_s(), c0 = cpu_s();
  run_start = t0;
  run_end = t0 + g.seconds;
  for (int i = 0; i < g.conc; i++)
    pthread_create(&workers[i].thread, NULL, rate_thread, &workers[i]);
  for (int i = 0; i < g.conc; i++)
    pthread_join(workers[i].thread, NULL);
  double elapsed = now_s() - t0, cpu = cpu_s() - c0;

  size_t n = 0;
  for (int i = 0; i < g.conc; i++)
    n += workers[i].n_lat;
  double *all = malloc((n ? n : 1) * sizeof(double)), sum = 0;
  if (!all)
    die("out of memory");
  for (int i = 0, k = 0; i < g.conc; i++)
    for (size_t j = 0; j < workers[i].n_lat; j++, k++)
      sum += all[k] = workers[i].lat[j];
  qsort(all, n, sizeof *all, cmp_double);
  printf("sessions=%zu errors=%ld seconds=%.3f rate=%.1f p50_ms=%.3f "
         "p99_ms=%.3f mean_ms=%.3f cpu_ms=%.3f\n",
         n, atomic_load(&n_errors), elapsed, (double)n / elapsed,
         percentile(all, n, 0.50), percentile(all, n, 0.99),
         n ? sum / (double)n : 0.0, n ? cpu * 1e3 / (double)n : 0.0);
  fflush(stdout); /* before anything at exit (a sanitizer's report) */
  free(all);
  for (int i = 0; i < g.conc; i++)
    free(workers[i].lat);
  return n > 0 ? 0 : 1;
}

/* ---- hold --------------------------------------------------------------- */

static long vm_rss_kb(int pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", pid);
  FILE *f = fopen(path, "r");
  long kb = -1;
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
      break;
  fclose(f);
  return kb;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Waits until the RSS has not changed by more than 1% over 3 samples 100
 * ms apart (or 10 s passed): the server has handled what it will. */
static long settled_rss(int pid) {
  long prev = vm_rss_kb(pid), stable = 0;
  for (int i = 0; i < 100 && stable < 3; i++) {
    sleep_ms(100);
    long cur = vm_rss_kb(pid);
    stable = labs(cur - prev) * 100 <= prev ? stable + 1 : 0;
    prev = cur;
  }
  return prev;
}

static int run_hold(int pid, int conns, int hello, int linger_s) {
  static int fds[MAX_HOLD];
  static SSL *ssls[MAX_HOLD];
  if (conns <= 0 || conns > MAX_HOLD)
    die("hold: -n must be 1.."
        "20000");
  long base = settled_rss(pid);
  if (base < 0)
    die("hold: cannot read the server's VmRSS");
  int opened = 0;
  for (int i = 0; i < conns; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
      break;
    if (connect(fd, (struct sockaddr *)&g.addr, sizeof g.addr) != 0 &&
        errno != EINPROGRESS) {
      close(fd);
      break;
    }
    fds[opened++] = fd;
  }
  /* Connected when writable; a full accept queue leaves some pending. */
  int established = 0;
  double end = now_s() + 5;
  for (int i = 0; i < opened; i++) {
    struct pollfd p = {fds[i], POLLOUT, 0};
    int left = (int)((end - now_s()) * 1e3);
    int err = 0;
    socklen_t el = sizeof err;
    if (poll(&p, 1, left > 0 ? left : 0) == 1 &&
        getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
      established++;
    else
      continue;
    if (hello) {
      /* One SSL_connect on a non-blocking socket writes the ClientHello
       * and stops at WANT_READ: the server now holds a handshake. */
      ssls[i] = SSL_new(g.ctx);
      if (ssls[i] && SSL_set_fd(ssls[i], fds[i]) &&
          SSL_set_tlsext_host_name(ssls[i], g.name))
        (void)SSL_connect(ssls[i]);
      ERR_clear_error();
    }
  }
  long rss = settled_rss(pid);
  printf("conns=%d established=%d rss_base_kb=%ld rss_kb=%ld "
         "per_conn_kb=%.1f\n",
         opened, established, base, rss,
         opened ? (double)(rss - base) / opened : 0.0);
  fflush(stdout);
  /* Still open for a while, so the driver can read the server's own view
   * (its metrics page) of what is held. */
  if (linger_s > 0 && linger_s <= 60)
    sleep_ms(linger_s * 1000L);
  for (int i = 0; i < opened; i++) {
    SSL_free(ssls[i]);
    close(fds[i]);
  }
  return 0;
}

/* ---- main --------------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen rate HOST:PORT [--name N] [--ca FILE] [-j CONC]\n"
          "         [--sessions M] [--seconds S] [--warmup W] [--groups L]\n"
          "         [--small-writes 1] [--fail-log FILE] [--max-rate R]\n"
          "       loadgen hold HOST:PORT --pid PID -n CONNS "
          "[--stage tcp|hello] [--linger S]\n");
  exit(64);
}

int main(int argc, char **argv) {
  if (argc < 3 || bench_parse_addr(argv[2], &g.addr) != 0)
    usage();
  /* A server that refuses or drops a connection while we write to it is a
   * failed session to count, not the end of the run. */
  signal(SIGPIPE, SIG_IGN);
  const char *mode = argv[1];
  int pid = 0, conns = 0, hello = 1, linger = 0;
  for (int i = 3; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v)
      usage();
    i++;
    if (!strcmp(a, "--name"))
      g.name = v;
    else if (!strcmp(a, "--ca"))
      g.ca = v;
    else if (!strcmp(a, "-j"))
      g.conc = atoi(v);
    else if (!strcmp(a, "--sessions"))
      g.sessions = atol(v);
    else if (!strcmp(a, "--seconds"))
      g.seconds = atof(v);
    else if (!strcmp(a, "--warmup"))
      g.warmup = atol(v);
    else if (!strcmp(a, "--groups"))
      g.groups = v;
    else if (!strcmp(a, "--small-writes"))
      g.small_writes = atoi(v) != 0;
    else if (!strcmp(a, "--max-rate"))
      g.max_rate = atof(v);
    else if (!strcmp(a, "--fail-log")) {
      if (!(g.fail_log = fopen(v, "a")))
        die("cannot open the --fail-log file");
    } else if (!strcmp(a, "--pid"))
      pid = atoi(v);
    else if (!strcmp(a, "-n"))
      conns = atoi(v);
    else if (!strcmp(a, "--linger"))
      linger = atoi(v);
    else if (!strcmp(a, "--stage"))
      hello = strcmp(v, "tcp") != 0;
    else
      usage();
  }
  if (g.conc < 1 || g.conc > MAX_THREADS || g.sessions < 1 || g.seconds <= 0 ||
      g.max_rate < 0)
    usage();

  g.ctx = SSL_CTX_new(TLS_client_method());
  if (!g.ctx)
    die("SSL_CTX_new");
  static const unsigned char alpn[] = "\x07ntske/1";
  SSL_CTX_set_min_proto_version(g.ctx, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(g.ctx, TLS1_3_VERSION);
  /* Every session is a full handshake, as for a real NTS client. */
  SSL_CTX_set_session_cache_mode(g.ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(g.ctx, SSL_OP_NO_TICKET);
  /* Whole records per read(), not header then body: fewer system calls
   * in the generator, which shares the two cores with the server. */
  SSL_CTX_set_read_ahead(g.ctx, 1);
  SSL_CTX_set_verify(g.ctx, SSL_VERIFY_PEER, NULL);
  if (SSL_CTX_load_verify_locations(g.ctx, g.ca, NULL) != 1)
    die("cannot load the CA file");
  if (SSL_CTX_set_alpn_protos(g.ctx, alpn, sizeof alpn - 1) != 0)
    die("ALPN");
  if (g.groups && SSL_CTX_set1_groups_list(g.ctx, g.groups) != 1)
    die("unknown group in --groups");

  const uint16_t protocols[] = {NTSPOOL_PROTO_NTPV4};
  const uint16_t aeads[] = {NTSPOOL_AEAD_AES_SIV_CMAC_256};
  if (ntspool_ke_request_build(g.request, sizeof g.request, &g.request_len,
                               NTSPOOL_NUMBERING_IANA, protocols, 1, aeads, 1,
                               NULL, 0, false) != 0)
    die("cannot build the request");

  if (!strcmp(mode, "rate"))
    return run_rate();
  if (!strcmp(mode, "hold")) {
    if (pid <= 0)
      usage();
    return run_hold(pid, conns, hello, linger);
  }
  usage();
}
