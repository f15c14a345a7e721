/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The watch: nts-pool-ke notices on its own that a file of its
 * configuration changed (the configuration file, the server list, every
 * file a key names: certificates, keys, CA bundle, secrets) and reloads as
 * SIGHUP does.  Contents are compared (SHA-256), not modification times:
 * a Kubernetes ConfigMap or Secret update swaps a symbolic link to a new
 * directory, which may keep every timestamp the old files had.
 */
#ifndef NTS_POOL_KE_WATCH_H
#define NTS_POOL_KE_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct nts_pool_ke_watched {
  char *path;
  bool present; /* readable when hashed */
  uint8_t hash[32];
} nts_pool_ke_watched;

typedef struct nts_pool_ke_watch {
  size_t n;
  nts_pool_ke_watched *files;
} nts_pool_ke_watch;

/* Replaces *w with cfg's files, each with the hash it has in `known` (the
 * contents a reload just read) or, if `known` (may be NULL) lacks it, its
 * contents now.  Returns 0 or -1 (no memory: *w is then empty). */
int nts_pool_ke_watch_set(nts_pool_ke_watch *w, const nts_pool_ke_config *cfg,
                          const nts_pool_ke_watch *known);

/* Hashes w's files now into *now (same order).  Returns the path of the
 * first whose content (or presence) differs from w's, or NULL when none
 * does or on no memory (then *now is empty). */
const char *nts_pool_ke_watch_check(const nts_pool_ke_watch *w,
                                    nts_pool_ke_watch *now);

/* Moves *from into *to (freeing what *to held). */
void nts_pool_ke_watch_move(nts_pool_ke_watch *to, nts_pool_ke_watch *from);

void nts_pool_ke_watch_free(nts_pool_ke_watch *w);

#endif
