/* SPDX-License-Identifier: BSD-2-Clause */
/* The watch (watch.h): files hashed, compared, and handed on. */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include "file.h"
#include "server_list.h"
#include "watch.h"

/* The largest file hashed: the server list's limit, which is the largest
 * any configured file may be. */
#define WATCH_FILE_MAX NTS_POOL_KE_SERVER_LIST_MAX

static void hash_file(nts_pool_ke_watched *f) {
  char *text;
  size_t len;
  char why[128];
  memset(f->hash, 0, sizeof f->hash);
  f->present = nts_pool_ke_file_read(f->path, WATCH_FILE_MAX, &text, &len, why,
                                     sizeof why) == 0;
  if (!f->present)
    return; /* unreadable is a state too: its end is a change */
  mbedtls_sha256((const unsigned char *)text, len, f->hash, 0);
  /* Keys and secrets are watched too: leave no copy in freed memory. */
  mbedtls_platform_zeroize(text, len);
  free(text);
}

static const nts_pool_ke_watched *find(const nts_pool_ke_watch *w,
                                       const char *path) {
  for (size_t i = 0; w != NULL && i < w->n; i++)
    if (strcmp(w->files[i].path, path) == 0)
      return &w->files[i];
  return NULL;
}

/* An empty watch with room for n files, or -1. */
static int alloc_files(nts_pool_ke_watch *w, size_t n) {
  w->n = 0;
  w->files = n ? calloc(n, sizeof *w->files) : NULL;
  return n && w->files == NULL ? -1 : 0;
}

int nts_pool_ke_watch_set(nts_pool_ke_watch *w, const nts_pool_ke_config *cfg,
                          const nts_pool_ke_watch *known) {
  nts_pool_ke_watch next;
  const nts_pool_ke_config_files *cf = &cfg->files;
  if (alloc_files(&next, cf->n) != 0) {
    nts_pool_ke_watch_free(w);
    return -1;
  }
  for (size_t i = 0; i < cf->n; i++) {
    nts_pool_ke_watched *f = &next.files[next.n];
    f->path = strdup(cf->paths[i]);
    if (f->path == NULL) {
      nts_pool_ke_watch_free(&next);
      nts_pool_ke_watch_free(w);
      return -1;
    }
    next.n++;
    const nts_pool_ke_watched *k = find(known, f->path);
    if (k != NULL) {
      f->present = k->present;
      memcpy(f->hash, k->hash, sizeof f->hash);
    } else {
      hash_file(f);
    }
  }
  nts_pool_ke_watch_move(w, &next);
  return 0;
}

const char *nts_pool_ke_watch_check(const nts_pool_ke_watch *w,
                                    nts_pool_ke_watch *now) {
  if (alloc_files(now, w->n) != 0)
    return NULL;
  const char *changed = NULL;
  for (size_t i = 0; i < w->n; i++) {
    nts_pool_ke_watched *f = &now->files[now->n];
    f->path = strdup(w->files[i].path);
    if (f->path == NULL) {
      nts_pool_ke_watch_free(now);
      return NULL;
    }
    now->n++;
    hash_file(f);
    if (changed == NULL &&
        (f->present != w->files[i].present ||
         memcmp(f->hash, w->files[i].hash, sizeof f->hash) != 0))
      changed = w->files[i].path;
  }
  return changed;
}

void nts_pool_ke_watch_move(nts_pool_ke_watch *to, nts_pool_ke_watch *from) {
  nts_pool_ke_watch_free(to);
  *to = *from;
  from->n = 0;
  from->files = NULL;
}

void nts_pool_ke_watch_free(nts_pool_ke_watch *w) {
  for (size_t i = 0; i < w->n; i++)
    free(w->files[i].path);
  free(w->files);
  w->n = 0;
  w->files = NULL;
}
