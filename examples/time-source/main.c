/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * time-source: a minimal NTS time source built on libntspool's time-source
 * role.  NTS-KE on a TCP port (ordinary clients, and pools with a token:
 * support queries, Fixed Key requests, Keep Alive) and NTS-protected
 * NTPv4 on a UDP port, answering with the local clock, which it only
 * reads.  See --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/args.h"
#include "common/aes_siv.h"
#include "common/log.h"
#include "common/net.h"
#include "time_source.h"

/* sysexits(3) codes, as nts-pool-ke uses them. */
#define EXIT_USAGE 64
#define EXIT_SOFTWARE 70
#define EXIT_OSERR 71
#define EXIT_CONFIG 78

#define KEYS_KEPT 7 /* master keys kept, as ntpd-rs does */

static const char usage_text[] =
    "usage: time-source --cert FILE --key FILE [options]\n"
    "\n"
    "  --ke-listen ADDR:PORT     NTS-KE (TLS) listener (127.0.0.1:4460)\n"
    "  --ntp-listen ADDR:PORT    NTS NTP (UDP) listener (127.0.0.1:123)\n"
    "  --cert FILE --key FILE    certificate chain and private key (PEM)\n"
    "  --ntp-server NAME         Server record sent to clients (default none:\n"
    "                            clients use the KE host name)\n"
    "  --ntp-port N              Port record (default: the --ntp-listen port\n"
    "                            when it is not 123)\n"
    "  --token TOKEN             accept pool requests with this token\n"
    "                            (repeatable; prefer --token-file)\n"
    "  --token-file FILE         tokens, one per line (repeatable)\n"
    "  --max-keep-alive N        kept-alive pool connections (51)\n"
    "  --record-numbering iana|draft  pool record numbers (iana)\n"
    "  --aead ID                 AEAD offered: 15, 16, 17 (repeatable;\n"
    "                            default 17 and 15)\n"
    "  --stratum N               stratum announced, 1-15 (10, refid LOCL)\n"
    "  --key-rotation SECONDS    new cookie master key interval (86400)\n"
    "  --small-writes BYTES      send answers in pieces of BYTES, one write\n"
    "                            each, Nagle on (a test peer for pools)\n"
    "  --ke-timeout-ms MS        whole key-exchange deadline (5000)\n"
    "  --pid-file FILE           write the process id there\n"
    "  --log-level LEVEL         error, warning, info (default), debug\n"
    "  -h, --help    -V, --version\n"
    "\n"
    "Never sets the clock.  SIGTERM or SIGINT: stop accepting, let sessions\n"
    "finish (up to 5 s), exit 0.\n";

enum {
  OPT_KE_LISTEN = 256,
  OPT_NTP_LISTEN,
  OPT_CERT,
  OPT_KEY,
  OPT_NTP_SERVER,
  OPT_NTP_PORT,
  OPT_TOKEN,
  OPT_TOKEN_FILE,
  OPT_MAX_KEEP_ALIVE,
  OPT_NUMBERING,
  OPT_AEAD,
  OPT_STRATUM,
  OPT_ROTATION,
  OPT_PID_FILE,
  OPT_KE_TIMEOUT,
  OPT_LOG_LEVEL,
  OPT_SMALL_WRITES,
};

static const struct option long_options[] = {
    {"ke-listen", required_argument, NULL, OPT_KE_LISTEN},
    {"ntp-listen", required_argument, NULL, OPT_NTP_LISTEN},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"ntp-server", required_argument, NULL, OPT_NTP_SERVER},
    {"ntp-port", required_argument, NULL, OPT_NTP_PORT},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"max-keep-alive", required_argument, NULL, OPT_MAX_KEEP_ALIVE},
    {"record-numbering", required_argument, NULL, OPT_NUMBERING},
    {"aead", required_argument, NULL, OPT_AEAD},
    {"stratum", required_argument, NULL, OPT_STRATUM},
    {"key-rotation", required_argument, NULL, OPT_ROTATION},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"ke-timeout-ms", required_argument, NULL, OPT_KE_TIMEOUT},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"small-writes", required_argument, NULL, OPT_SMALL_WRITES},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

typedef struct options {
  const char *ke_listen, *ntp_listen, *pid_file;
  enum ntspool_log_level log_level;
  long stratum, rotation_s, small_writes;
  bool has_cert, has_key, has_ntp_port;
} options;

static int sig_pipe[2] = {-1, -1};

static void on_signal(int sig) {
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  ssize_t rc = write(sig_pipe[1], &b, 1);
  (void)rc; /* a full pipe already holds a wake-up */
  errno = saved;
}

static int usage_error(const char *what, const char *arg) {
  fprintf(stderr, "time-source: %s%s\n(see time-source --help)\n", what, arg);
  return EXIT_USAGE;
}

/* Sets one key of the [time-source] section, reporting a bad value with
 * the option that gave it. */
static int set(ntspool_ctx *ctx, const char *option, const char *name,
               const char *value) {
  if (ntspool_ctx_set(ctx, "time-source", name, value) == 0)
    return 0;
  fprintf(stderr, "time-source: --%s: %s\n", option, ntspool_ctx_error(ctx));
  return EXIT_USAGE;
}

static void warn_if_world_readable(const char *path) {
  struct stat st;
  if (stat(path, &st) == 0 && (st.st_mode & S_IROTH))
    ex_log(NTSPOOL_LOG_WARNING, "config",
           "token file is world-readable path=%s", path);
}

static int parse_options(int argc, char **argv, ntspool_ctx *ctx, options *o) {
  int c, rc = 0;
  long v;
  while (rc == 0 &&
         (c = getopt_long(argc, argv, "hV", long_options, NULL)) != -1) {
    const char *name = c >= 256 ? long_options[c - 256].name : "";
    switch (c) {
    case OPT_KE_LISTEN:
      o->ke_listen = optarg;
      break;
    case OPT_NTP_LISTEN:
      o->ntp_listen = optarg;
      break;
    case OPT_CERT:
      o->has_cert = true;
      rc = set(ctx, name, "certificate-chain-path", optarg);
      break;
    case OPT_KEY:
      o->has_key = true;
      rc = set(ctx, name, "private-key-path", optarg);
      break;
    case OPT_NTP_SERVER:
      rc = set(ctx, name, "ntp-server", optarg);
      break;
    case OPT_NTP_PORT:
      o->has_ntp_port = true;
      rc = set(ctx, name, "ntp-port", optarg);
      break;
    case OPT_TOKEN:
      rc = set(ctx, name, "accepted-token", optarg);
      break;
    case OPT_TOKEN_FILE:
      warn_if_world_readable(optarg);
      rc = set(ctx, name, "accepted-token-path", optarg);
      break;
    case OPT_MAX_KEEP_ALIVE:
      rc = set(ctx, name, "max-keep-alive-connections", optarg);
      break;
    case OPT_NUMBERING:
      rc = set(ctx, name, "record-numbering", optarg);
      break;
    case OPT_AEAD:
      /* Our NTP side implements AES-SIV only. */
      if (!ex_parse_long(optarg, 0, 65535, &v) || !aes_siv_key_len((uint16_t)v))
        return usage_error("--aead: not 15, 16 or 17 (AES-SIV): ", optarg);
      rc = set(ctx, name, "aead", optarg);
      break;
    case OPT_STRATUM:
      if (!ex_parse_long(optarg, 1, 15, &o->stratum))
        return usage_error("--stratum: expected 1 to 15: ", optarg);
      break;
    case OPT_ROTATION:
      if (!ex_parse_long(optarg, 1, 365L * 86400, &o->rotation_s))
        return usage_error("--key-rotation: expected seconds: ", optarg);
      break;
    case OPT_PID_FILE:
      o->pid_file = optarg;
      break;
    case OPT_KE_TIMEOUT:
      rc = set(ctx, name, "key-exchange-timeout-ms", optarg);
      break;
    case OPT_SMALL_WRITES:
      if (!ex_parse_long(optarg, 1, 16384, &o->small_writes))
        return usage_error("--small-writes: expected 1 to 16384 bytes: ",
                           optarg);
      break;
    case OPT_LOG_LEVEL:
      if (ex_log_parse_level(optarg, &o->log_level))
        return usage_error("--log-level: unknown level ", optarg);
      ex_log_init("time_source", o->log_level);
      break;
    case 'h':
      fputs(usage_text, stdout);
      exit(0);
    case 'V':
      printf("time-source (libntspool %s)\n", ntspool_version());
      exit(0);
    default:
      return usage_error("unknown option", "");
    }
  }
  if (rc)
    return rc;
  if (optind != argc)
    return usage_error("unexpected argument ", argv[optind]);
  if (!o->has_cert || !o->has_key)
    return usage_error("--cert and --key are required", "");
  /* Tell clients the UDP port when it is not the default one. */
  char host[256], port[16];
  if (ex_split_hostport(o->ntp_listen, host, sizeof host, port, sizeof port))
    return usage_error("--ntp-listen: not ADDR:PORT: ", o->ntp_listen);
  if (!o->has_ntp_port && strcmp(port, "123") != 0)
    return set(ctx, "ntp-listen", "ntp-port", port);
  return 0;
}

/* log2 of the clock's resolution, the NTP precision field. */
static int8_t clock_precision(void) {
  struct timespec res;
  int8_t p = -20;
  if (clock_getres(CLOCK_REALTIME, &res) == 0) {
    double r = (double)res.tv_sec + (double)res.tv_nsec / 1e9;
    for (p = 0; r < 1.0 && p > -30; p--)
      r *= 2;
  }
  return p;
}

static int write_pid_file(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0)
    return -1;
  char text[32];
  int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
  int rc = write(fd, text, (size_t)n) == n ? 0 : -1;
  close(fd);
  return rc;
}

static int setup_signals(void) {
  if (pipe(sig_pipe))
    return -1;
  for (int i = 0; i < 2; i++)
    fcntl(sig_pipe[i], F_SETFL, fcntl(sig_pipe[i], F_GETFL) | O_NONBLOCK);
  struct sigaction sa = {.sa_handler = on_signal};
  sigemptyset(&sa.sa_mask);
  struct sigaction ign = {.sa_handler = SIG_IGN};
  sigemptyset(&ign.sa_mask);
  return sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL) ||
                 sigaction(SIGPIPE, &ign, NULL)
             ? -1
             : 0;
}

static void serve(ts_server *ts) {
  struct pollfd fds[3] = {{.fd = ts->ke_fd, .events = POLLIN},
                          {.fd = ts->ntp_fd, .events = POLLIN},
                          {.fd = sig_pipe[0], .events = POLLIN}};
  while (!atomic_load(&ts->stopping)) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      ex_log(NTSPOOL_LOG_ERROR, "main", "poll failed errno=%d", errno);
      break;
    }
    if (fds[2].revents) {
      unsigned char sig = 0;
      ssize_t rc = read(sig_pipe[0], &sig, 1);
      (void)rc;
      ex_log(NTSPOOL_LOG_INFO, "main", "stopping signal=%d", sig);
      break;
    }
    if (fds[1].revents)
      ts_ntp_serve(ts);
    if (fds[0].revents)
      ts_ke_accept(ts);
  }
  atomic_store(&ts->stopping, true);
  /* Never read: readable from now on, for every connection thread. */
  ssize_t rc = write(ts->stop_pipe[1], "x", 1);
  (void)rc;
}

int main(int argc, char **argv) {
  static ts_server ts;
  options o = {.ke_listen = "127.0.0.1:4460",
               .ntp_listen = "127.0.0.1:123",
               .log_level = NTSPOOL_LOG_INFO,
               .stratum = 10,
               .rotation_s = 86400};
  char err[256];
  int rc;

  ex_log_init("time_source", o.log_level);
  if ((rc = ntspool_ctx_new(NTSPOOL_ROLE_SOURCE, NULL, &ts.ctx)) != 0) {
    fprintf(stderr, "time-source: %s\n", ntspool_strerror(rc));
    return EXIT_SOFTWARE;
  }
  if ((rc = parse_options(argc, argv, ts.ctx, &o)) != 0)
    return rc;

  ntspool_source_ops ops = {.version = NTSPOOL_SOURCE_OPS_VERSION,
                            .make_cookies = ts_make_cookies,
                            .user_data = &ts};
  if (cookie_jar_init(&ts.jar, ts_mono_s(), o.rotation_s, KEYS_KEPT) ||
      pthread_mutex_init(&ts.lock, NULL) || pthread_cond_init(&ts.idle, NULL)) {
    ex_log(NTSPOOL_LOG_ERROR, "main", "cannot initialise (random source?)");
    return EXIT_OSERR;
  }
  ntspool_ctx_set_logger(ts.ctx, ex_log_library, NULL, o.log_level);
  ntspool_ctx_set_source_ops(ts.ctx, &ops);
  if ((rc = ntspool_ctx_ready(ts.ctx)) != 0) {
    ex_log(NTSPOOL_LOG_ERROR, "config", "%s", ntspool_ctx_error(ts.ctx));
    return EXIT_CONFIG;
  }
  ts.nts = (nts_server){.jar = &ts.jar,
                        .stratum = (uint8_t)o.stratum,
                        .reference_id = 0x4c4f434c, /* "LOCL" */
                        .precision = clock_precision(),
                        .clock = ts_ntp_now};
  ts.grace_ms = 5000; /* the library's default KE timeout */
  ts.small_writes = (size_t)o.small_writes;

  if ((ts.ke_fd = ex_listen(o.ke_listen, SOCK_STREAM, err, sizeof err)) < 0 ||
      (ts.ntp_fd = ex_listen(o.ntp_listen, SOCK_DGRAM, err, sizeof err)) < 0) {
    ex_log(NTSPOOL_LOG_ERROR, "main", "cannot listen: %s", err);
    return EXIT_OSERR;
  }
  if (setup_signals() || pipe(ts.stop_pipe)) {
    ex_log(NTSPOOL_LOG_ERROR, "main", "cannot install signal handlers");
    return EXIT_OSERR;
  }
  if (o.pid_file && write_pid_file(o.pid_file)) {
    ex_log(NTSPOOL_LOG_ERROR, "main", "cannot write pid file path=%s",
           o.pid_file);
    return EXIT_OSERR;
  }
  ex_log(NTSPOOL_LOG_INFO, "main",
         "listening ke=%s ntp=%s stratum=%ld key_rotation_s=%ld version=%s",
         o.ke_listen, o.ntp_listen, o.stratum, o.rotation_s, ntspool_version());

  serve(&ts);
  close(ts.ke_fd);
  int left = ts_ke_wait(&ts, ts.grace_ms + 1000);
  ex_log(NTSPOOL_LOG_INFO, "main",
         "stopped ke_ok=%lu ke_failed=%lu ke_refused=%lu ntp_time=%lu "
         "ntp_nak=%lu ntp_dropped=%lu unfinished=%d",
         atomic_load(&ts.ke_ok), atomic_load(&ts.ke_failed),
         atomic_load(&ts.ke_refused), atomic_load(&ts.ntp_time),
         atomic_load(&ts.ntp_nak), atomic_load(&ts.ntp_dropped), left);
  if (o.pid_file)
    unlink(o.pid_file);
  if (left == 0) {
    /* Threads that outlived the grace period still use these; process
     * exit reclaims them instead. */
    ntspool_ctx_unref(ts.ctx);
    cookie_jar_free(&ts.jar);
  }
  close(ts.ntp_fd);
  return 0;
}
