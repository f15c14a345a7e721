/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ntske-client: the pool-aware NTS-KE client role as a command.  Gets keys
 * and cookies from HOST, prints what it got (keys only as fingerprints),
 * optionally collects several distinct sources from a pool by denying the
 * ones it has, and optionally proves the result with one NTS-protected NTP
 * exchange.  See --help.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "client.h"
#include "common/args.h"
#include "common/aes_siv.h"
#include "common/log.h"

#define EXIT_FAIL 1
#define EXIT_USAGE 64
#define MAX_SOURCES 16

static const char usage_text[] =
    "usage: ntske-client [options] HOST\n"
    "\n"
    "  --ca FILE        trust anchors (PEM); default: the system bundle\n"
    "  --port N         NTS-KE port (4460)\n"
    "  --deny NAME      send an NTP Server Deny for NAME (repeatable)\n"
    "  --count N        collect N distinct sources (1-16): each later\n"
    "                   request denies the servers already received\n"
    "  --aead ID        AEAD to offer, in order: 15, 16, 17 (repeatable;\n"
    "                   default 17 then 15)\n"
    "  --ntp            check each source with one NTS NTP exchange\n"
    "  --monitor-key FILE  probe one source as the NTS pool's monitor does:\n"
    "                   send the key in FILE (its first line) and\n"
    "  --uuid UUID      a UUID request naming the source (both needed;\n"
    "                   not with --deny or --count)\n"
    "  --timeout-ms N   per connection and exchange (5000)\n"
    "  --log-level L    library log lines on stderr (warning)\n"
    "  -h, --help    -V, --version\n"
    "\n"
    "Prints protocol, AEAD, server, port, cookie count and the first 8 hex\n"
    "digits of the SHA-256 of each key.  Exit status 0 only if everything\n"
    "asked for worked.\n";

enum {
  OPT_CA = 256,
  OPT_PORT,
  OPT_DENY,
  OPT_COUNT,
  OPT_AEAD,
  OPT_NTP,
  OPT_TIMEOUT,
  OPT_LOG_LEVEL,
  OPT_MONITOR_KEY,
  OPT_UUID
};

static const struct option long_options[] = {
    {"ca", required_argument, NULL, OPT_CA},
    {"port", required_argument, NULL, OPT_PORT},
    {"deny", required_argument, NULL, OPT_DENY},
    {"count", required_argument, NULL, OPT_COUNT},
    {"aead", required_argument, NULL, OPT_AEAD},
    {"ntp", no_argument, NULL, OPT_NTP},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"monitor-key", required_argument, NULL, OPT_MONITOR_KEY},
    {"uuid", required_argument, NULL, OPT_UUID},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0}};

typedef struct options {
  const char *port, *host;
  const char *uuid; /* --uuid: a monitor's probe */
  bool has_monitor_key;
  const char *denied[NTSPOOL_MAX_DENIED];
  size_t n_denied;
  long count, timeout_ms;
  bool ntp;
} options;

static int usage_error(const char *what, const char *arg) {
  fprintf(stderr, "ntske-client: %s%s\n(see ntske-client --help)\n", what, arg);
  return EXIT_USAGE;
}

/* --monitor-key FILE: the key is the file's first line (a secret: wiped
 * after the context copied it). */
static int set_monitor_key(ntspool_ctx *ctx, const char *path) {
  char line[1100] = "";
  FILE *f = fopen(path, "r");
  if (!f)
    return usage_error("--monitor-key: cannot open ", path);
  if (!fgets(line, sizeof line, f))
    line[0] = '\0';
  fclose(f);
  line[strcspn(line, "\r\n")] = '\0';
  int rc = ntspool_ctx_set(ctx, "client", "monitoring-key", line);
  mbedtls_platform_zeroize(line, sizeof line);
  return rc ? usage_error("--monitor-key: ", ntspool_ctx_error(ctx)) : 0;
}

static int parse_options(int argc, char **argv, ntspool_ctx *ctx, options *o) {
  int c;
  long v;
  enum ntspool_log_level level;
  while ((c = getopt_long(argc, argv, "hV", long_options, NULL)) != -1) {
    switch (c) {
    case OPT_CA:
      if (ntspool_ctx_set(ctx, "client", "certificate-authority-path", optarg))
        return usage_error("--ca: ", ntspool_ctx_error(ctx));
      break;
    case OPT_PORT:
      if (!ex_parse_long(optarg, 1, 65535, &v))
        return usage_error("--port: not a port: ", optarg);
      o->port = optarg;
      break;
    case OPT_DENY:
      if (o->n_denied == NTSPOOL_MAX_DENIED)
        return usage_error("--deny: too many names", "");
      o->denied[o->n_denied++] = optarg;
      break;
    case OPT_COUNT:
      if (!ex_parse_long(optarg, 1, MAX_SOURCES, &o->count))
        return usage_error("--count: expected 1 to 16: ", optarg);
      break;
    case OPT_AEAD:
      /* --ntp speaks AES-SIV only; the key exchange alone could take more,
       * but an example that cannot use what it negotiates misleads. */
      if (!ex_parse_long(optarg, 0, 65535, &v) || !aes_siv_key_len((uint16_t)v))
        return usage_error("--aead: not 15, 16 or 17: ", optarg);
      if (ntspool_ctx_set(ctx, "client", "aead", optarg))
        return usage_error("--aead: ", ntspool_ctx_error(ctx));
      break;
    case OPT_NTP:
      o->ntp = true;
      break;
    case OPT_TIMEOUT:
      if (!ex_parse_long(optarg, 1, 600000, &o->timeout_ms) ||
          ntspool_ctx_set(ctx, "client", "key-exchange-timeout-ms", optarg))
        return usage_error("--timeout-ms: expected 1 to 600000: ", optarg);
      break;
    case OPT_MONITOR_KEY:
      if (set_monitor_key(ctx, optarg))
        return EXIT_USAGE;
      o->has_monitor_key = true;
      break;
    case OPT_UUID:
      o->uuid = optarg;
      break;
    case OPT_LOG_LEVEL:
      if (ex_log_parse_level(optarg, &level))
        return usage_error("--log-level: unknown level ", optarg);
      ex_log_init("ntske_client", level);
      ntspool_ctx_set_logger(ctx, ex_log_library, NULL, level);
      break;
    case 'h':
      fputs(usage_text, stdout);
      exit(0);
    case 'V':
      printf("ntske-client (libntspool %s)\n", ntspool_version());
      exit(0);
    default:
      return usage_error("unknown option", "");
    }
  }
  if (optind + 1 != argc)
    return usage_error("expected one HOST", "");
  if (!o->uuid != !o->has_monitor_key)
    return usage_error("--monitor-key and --uuid go together", "");
  if (o->uuid && (o->n_denied || o->count > 1))
    return usage_error("a probe names its source: no --deny or --count", "");
  o->host = argv[optind];
  return 0;
}

static const char *aead_name(uint16_t aead) {
  switch (aead) {
  case NTSPOOL_AEAD_AES_SIV_CMAC_256:
    return "AEAD_AES_SIV_CMAC_256";
  case NTSPOOL_AEAD_AES_SIV_CMAC_384:
    return "AEAD_AES_SIV_CMAC_384";
  case NTSPOOL_AEAD_AES_SIV_CMAC_512:
    return "AEAD_AES_SIV_CMAC_512";
  default:
    return "unknown";
  }
}

/* First 8 hex digits of SHA-256(key): enough to compare two sides' keys
 * by eye, useless for recovering the key. */
static void fingerprint(const uint8_t *key, size_t len, char out[9]) {
  uint8_t digest[32];
  mbedtls_sha256(key, len, digest, 0);
  snprintf(out, 9, "%02x%02x%02x%02x", digest[0], digest[1], digest[2],
           digest[3]);
}

static void print_source(int index, const ntspool_ke_result *r) {
  char c2s[9], s2c[9];
  fingerprint(r->c2s, r->key_len, c2s);
  fingerprint(r->s2c, r->key_len, s2c);
  printf("source %d:\n", index);
  printf("  protocol: %u%s\n", r->protocol,
         r->protocol == NTSPOOL_PROTO_NTPV4 ? " (NTPv4)" : "");
  printf("  aead: %u (%s)\n", r->aead, aead_name(r->aead));
  printf("  server: %s\n", r->server);
  printf("  port: %u\n", r->port);
  printf("  cookies: %zu (first %zu bytes)\n", r->n_cookies,
         r->n_cookies ? r->cookies[0].len : 0);
  printf("  c2s key: sha256:%s\n", c2s);
  printf("  s2c key: sha256:%s\n", s2c);
  fflush(stdout);
}

/* --count N: N distinct sources, kept by the library's pool client:
 * each key exchange denies the servers already held (after the --deny
 * names), and an answer naming one of them means the pool has no other. */
static int run(ntspool_ctx *ctx, options *o) {
  char err[512];
  ntspool_ke_result res;
  int status = 0;
  ntspool_poolclient *pc;
  if (ntspool_poolclient_new((size_t)o->count, NULL, &pc) != 0)
    return EXIT_FAIL;

  for (long i = 0; ntspool_poolclient_missing(pc) > 0; i++) {
    const char *denied[NTSPOOL_MAX_DENIED];
    size_t n = o->n_denied;
    memcpy(denied, o->denied, n * sizeof *denied);
    n += ntspool_poolclient_denied(pc, denied + n, NTSPOOL_MAX_DENIED - n);
    if (client_ke(ctx, o->host, o->port, o->uuid, denied, n, (int)o->timeout_ms,
                  &res, err, sizeof err)) {
      fprintf(stderr, "ntske-client: key exchange failed: %s\n", err);
      status = EXIT_FAIL;
      break;
    }
    if (ntspool_poolclient_offer(pc, res.server) != 1) {
      /* The pool had nothing new: it may ignore denies then. */
      printf("pool returned %s again: %ld distinct source(s)\n", res.server, i);
      break;
    }
    print_source((int)i + 1, &res);

    if (o->ntp) {
      client_ntp_result m = {0};
      if (client_ntp(&res, (int)o->timeout_ms, &m, err, sizeof err)) {
        fprintf(stderr, "ntske-client: NTP with %s failed: %s\n", m.peer, err);
        status = EXIT_FAIL;
        break;
      }
      printf("  ntp server: %s\n", m.peer);
      printf("  stratum: %d\n", m.stratum);
      printf("  offset: %+.6f s\n", m.offset_s);
      printf("  delay: %.6f s\n", m.delay_s);
      printf("  new cookies: %zu\n", m.n_cookies);
      printf("  authenticated NTP reply: ok\n");
      fflush(stdout);
    }
  }
  ntspool_poolclient_free(pc);
  mbedtls_platform_zeroize(&res, sizeof res);
  return status;
}

int main(int argc, char **argv) {
  ntspool_ctx *ctx;
  options o = {.port = "4460", .count = 1, .timeout_ms = 5000};
  int rc;

  ex_log_init("ntske_client", NTSPOOL_LOG_WARNING);
  if ((rc = ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx)) != 0) {
    fprintf(stderr, "ntske-client: %s\n", ntspool_strerror(rc));
    return EXIT_FAIL;
  }
  ntspool_ctx_set_logger(ctx, ex_log_library, NULL, NTSPOOL_LOG_WARNING);
  if ((rc = parse_options(argc, argv, ctx, &o)) != 0) {
    ntspool_ctx_unref(ctx);
    return rc;
  }
  if (ntspool_ctx_ready(ctx)) {
    fprintf(stderr, "ntske-client: %s\n", ntspool_ctx_error(ctx));
    ntspool_ctx_unref(ctx);
    return EXIT_FAIL;
  }
  rc = run(ctx, &o);
  ntspool_ctx_unref(ctx);
  return rc;
}
