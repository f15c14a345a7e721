/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The files a configuration reads besides its own: the server list
 * ([upstream-tls] server-list-path) and the monitor keys ([server]
 * monitoring-keys-path), both loaded into the pool context, and
 * every file a key names (certificates, keys, CA bundle, secrets), which
 * the watch (watch.h) hashes to notice a change.
 */
#ifndef NTS_POOL_KE_CONFIG_FILES_H
#define NTS_POOL_KE_CONFIG_FILES_H

#include <stddef.h>

#include "ntspool.h"

typedef struct nts_pool_ke_config_files {
  char *server_list;  /* NULL: none configured */
  long n_listed;      /* sources the list gave, once loaded */
  char *monitor_keys; /* NULL: none configured */
  long n_keys;        /* keys it gave, once loaded */
  size_t n, cap;
  char **paths; /* the configuration file first, then each file named */
} nts_pool_ke_config_files;

/* Adds path to the watched files (once).  Returns 0 or -1 (no memory). */
int nts_pool_ke_config_files_add(nts_pool_ke_config_files *f, const char *path);

/* Names the server list (and watches it).  Returns 0, or -1 with a
 * sentence in err. */
int nts_pool_ke_config_files_set_list(nts_pool_ke_config_files *f,
                                      const char *path, char *err,
                                      size_t err_len);

/* Names the monitor keys file (and watches it).  Returns 0, or -1 with a
 * sentence in err. */
int nts_pool_ke_config_files_set_monitor_keys(nts_pool_ke_config_files *f,
                                              const char *path, char *err,
                                              size_t err_len);

/* Reads the monitor keys and the server list, those that are named, into
 * ctx ([server] monitoring-key values, [upstream UUID] sections).  Returns
 * 0, or -1 with one line in err (monitor_keys.h, server_list.h). */
int nts_pool_ke_config_files_load_list(nts_pool_ke_config_files *f,
                                       ntspool_ctx *ctx, char *err,
                                       size_t err_len);

void nts_pool_ke_config_files_free(nts_pool_ke_config_files *f);

#endif
