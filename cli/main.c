/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nts-pool-ke: the NTS pool key-exchange daemon.  Reads the configuration,
 * binds, drops privileges, serves until SIGTERM.  See nts-pool-ke(8).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "describe.h"
#include "log.h"
#include "memory.h"
#include "metrics.h"
#include "serve.h"

#ifndef NTS_POOL_KE_DEFAULT_CONFIG
#define NTS_POOL_KE_DEFAULT_CONFIG "/etc/nts-pool-ke/nts-pool-ke.conf"
#endif

static void usage(FILE *to) {
  fprintf(to,
          "Usage: nts-pool-ke [-c FILE] [-t] [-l LEVEL] [-h] [-v]\n"
          "  -c, --config FILE      configuration file, nts-pool-ke.conf(5)\n"
          "                         or the Rust nts-pool-ke's TOML (default\n"
          "                         %s)\n"
          "  -t, --test             check the configuration, print what each\n"
          "                         Rust nts-pool-ke key became, and exit\n"
          "  -l, --log-level LEVEL  error, warning, info, debug or trace\n"
          "                         (overrides [observability] log-level)\n"
          "  -h, --help             show this help\n"
          "  -v, -V, --version      show the version\n"
          "Runs in the foreground; SIGHUP reloads, SIGTERM stops.\n",
          NTS_POOL_KE_DEFAULT_CONFIG);
}

int main(int argc, char **argv) {
  nts_pool_ke_memory_limit_arenas();
  static const struct option longs[] = {
      {"config", required_argument, NULL, 'c'},
      {"test", no_argument, NULL, 't'},
      {"log-level", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'v'},
      {NULL, 0, NULL, 0}};
  const char *path = NTS_POOL_KE_DEFAULT_CONFIG;
  bool check_only = false;
  enum ntspool_log_level level;
  const enum ntspool_log_level *override = NULL;
  int opt;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":c:tl:hvV", longs, NULL)) != -1) {
    switch (opt) {
    case 'c':
      path = optarg;
      break;
    case 't':
      check_only = true;
      break;
    case 'l':
      if (nts_pool_ke_log_parse_level(optarg, &level) != 0) {
        fprintf(stderr, "nts-pool-ke: -l: expected error, warning, info, "
                        "debug or trace\n");
        return EX_USAGE;
      }
      override = &level;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'v':
    case 'V':
      printf("nts-pool-ke %s (libntspool %s, %s)\n", NTSPOOL_VERSION,
             ntspool_version(), ntspool_tls_backend());
      return 0;
    case ':':
      if (optopt)
        fprintf(stderr, "nts-pool-ke: -%c needs a value\n", optopt);
      else
        fprintf(stderr, "nts-pool-ke: %s needs a value\n", argv[optind - 1]);
      usage(stderr);
      return EX_USAGE;
    default:
      if (optopt)
        fprintf(stderr, "nts-pool-ke: unknown option -%c\n", optopt);
      else
        fprintf(stderr, "nts-pool-ke: unknown option %s\n", argv[optind - 1]);
      usage(stderr);
      return EX_USAGE;
    }
  }
  if (optind != argc) {
    fprintf(stderr, "nts-pool-ke: unexpected argument '%s'\n", argv[optind]);
    usage(stderr);
    return EX_USAGE;
  }
  if (override)
    nts_pool_ke_log_set_level(*override);

  char err[NTS_POOL_KE_ERROR_LEN];
  nts_pool_ke_config *cfg;
  if (nts_pool_ke_config_load(path, override, NULL, &cfg, err, sizeof err) !=
      0) {
    fprintf(stderr, "%s\n", err);
    return EX_CONFIG;
  }
  if (check_only) {
    printf("%s: configuration OK\n", path);
    if (cfg->kelb_style)
      printf("%s: the Rust nts-pool-ke's format; its keys became:\n%s", path,
             cfg->mapping);
    nts_pool_ke_describe(cfg, stdout);
    nts_pool_ke_config_unref(cfg);
    return 0;
  }
  if (!override && cfg->has_log_level)
    nts_pool_ke_log_set_level(cfg->log_level);

  if (nts_pool_ke_serve_signals() != 0) {
    NTS_POOL_KE_ERROR("server", "cannot install signal handlers: %s",
                      strerror(errno));
    return EX_OSERR;
  }
  if (nts_pool_ke_serve_bind(cfg) != 0)
    return EX_OSERR;
  int metrics_fd = -1;
  if (cfg->has_metrics) {
    nts_pool_ke_addr a = cfg->metrics;
    char text[NTS_POOL_KE_ADDR_TEXT];
    metrics_fd = nts_pool_ke_metrics_bind(&a);
    if (metrics_fd < 0) {
      NTS_POOL_KE_ERROR(
          "metrics", "cannot listen address=%s: %s",
          nts_pool_ke_addr_text((struct sockaddr *)&cfg->metrics.ss, text),
          strerror(errno));
      return EX_OSERR;
    }
    NTS_POOL_KE_INFO("metrics", "listening address=%s path=/metrics",
                     nts_pool_ke_addr_text((struct sockaddr *)&a.ss, text));
  }
  if (*cfg->pid_file && nts_pool_ke_write_pid_file(cfg->pid_file) != 0) {
    NTS_POOL_KE_ERROR("daemon", "cannot write pid file path=%s: %s",
                      cfg->pid_file, strerror(errno));
    return EX_CANTCREAT;
  }
  if (nts_pool_ke_drop_privileges(cfg->user, cfg->group, err, sizeof err)) {
    NTS_POOL_KE_ERROR("daemon", "cannot drop privileges: %s", err);
    return EX_NOPERM;
  }

  char pid_file[sizeof cfg->pid_file];
  memcpy(pid_file, cfg->pid_file, sizeof pid_file);
  nts_pool_ke_serve_options o = {
      .config_path = path, .log_override = override, .metrics_fd = metrics_fd};
  int rc = nts_pool_ke_serve_run(cfg, &o);
  if (rc < 0)
    return EX_SOFTWARE;
  /* After dropping privileges this may fail; the pid file is advisory. */
  if (*pid_file)
    unlink(pid_file);
  NTS_POOL_KE_INFO("server", "stopped");
  if (rc > 0)
    _exit(0); /* workers still hold connections: do not run exit handlers
                 under them */
  return 0;
}
