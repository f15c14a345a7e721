/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nts-pool-ke.conf(5): the INI file read with inih, or the Rust
 * nts-pool-ke's TOML file, whose keys config_kelb.h maps onto the same
 * settings in the same pass.  The daemon keeps the keys about sockets,
 * logging and privileges; every other key goes to a new NTSPOOL_ROLE_POOL
 * context with ntspool_ctx_set().  One loaded file is
 * one nts_pool_ke_config: immutable after loading and reference counted,
 * so a reload (SIGHUP) builds a new one and swaps it in while sessions
 * finish on the old.
 */
#ifndef NTS_POOL_KE_CONFIG_H
#define NTS_POOL_KE_CONFIG_H

#include <limits.h>
#include <stdatomic.h>

#include "config_files.h"
#include "geo.h"
#include "net.h"

#define NTS_POOL_KE_MAX_LISTEN 16
#define NTS_POOL_KE_MAX_TRUSTED 64
#define NTS_POOL_KE_MAX_CONNECTIONS 4096
#define NTS_POOL_KE_ERROR_LEN 512

typedef struct nts_pool_ke_config {
  atomic_int refs;
  ntspool_ctx *ctx; /* ready pool context, one reference */

  /* [server] */
  size_t n_listen;
  nts_pool_ke_addr listen[NTS_POOL_KE_MAX_LISTEN];
  unsigned max_connections;
  unsigned max_per_address; /* concurrent, per address (addr_limit.h) */
  bool use_proxy;
  size_t n_trusted;
  nts_pool_ke_cidr trusted[NTS_POOL_KE_MAX_TRUSTED];
  ntspool_time_ms ke_timeout_ms;        /* read back: ntspool_ctx_get_ms */
  ntspool_time_ms handshake_timeout_ms; /* ditto: bounds the PROXY header */
  unsigned watch_interval_s;            /* 0: no watch (watch.h) */
  char geolocation_db[PATH_MAX];        /* "": every client is global */
  nts_pool_ke_geo *geo;                 /* open geolocation_db, or NULL */

  /* files read besides this one: server list, watched paths */
  nts_pool_ke_config_files files;

  /* [observability] */
  bool has_log_level;
  enum ntspool_log_level log_level;
  bool has_metrics;
  nts_pool_ke_addr metrics;

  /* The Rust nts-pool-ke's format (config_kelb.h): one line per Rust key
   * saying what it became (nts-pool-ke -t prints them). */
  bool kelb_style;
  char mapping[8192];

  /* [daemon] */
  char user[64];
  char group[64];
  char pid_file[PATH_MAX];
} nts_pool_ke_config;

/* Reads `path` into a new configuration with a ready pool context whose
 * library lines go to the daemon's log, at level *level_override when
 * given (-l), else the file's log-level.  Warnings (the library's, about
 * secret files others can read) are logged with the file and line.  Returns 0
 * and *out (one reference), or -1 with one line in err: "FILE:LINE: message"
 * ("FILE: message" for what has no line).  With `previous` (a reload), the new
 * context shares the running one's pool state (ntspool_ctx_keep_state): health,
 * caches and idle upstream connections of unchanged sources survive the reload.
 */
int nts_pool_ke_config_load(const char *path,
                            const enum ntspool_log_level *level_override,
                            nts_pool_ke_config *previous,
                            nts_pool_ke_config **out, char *err,
                            size_t err_len);

nts_pool_ke_config *nts_pool_ke_config_ref(nts_pool_ke_config *cfg);
/* Drops a reference; the last one releases the context.  NULL ignored. */
void nts_pool_ke_config_unref(nts_pool_ke_config *cfg);

#endif
