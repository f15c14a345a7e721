/* SPDX-License-Identifier: BSD-2-Clause */
/* The files a configuration reads besides its own (config_files.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntspool.h"

#include "config_files.h"
#include "file.h"
#include "server_list.h"

int nts_pool_ke_config_files_add(nts_pool_ke_config_files *f,
                                 const char *path) {
  for (size_t i = 0; i < f->n; i++)
    if (strcmp(f->paths[i], path) == 0)
      return 0;
  if (f->n == f->cap) {
    size_t cap = f->cap ? 2 * f->cap : 8;
    char **bigger = realloc(f->paths, cap * sizeof *bigger);
    if (bigger == NULL)
      return -1;
    f->paths = bigger;
    f->cap = cap;
  }
  f->paths[f->n] = strdup(path);
  if (f->paths[f->n] == NULL)
    return -1;
  f->n++;
  return 0;
}

int nts_pool_ke_config_files_set_list(nts_pool_ke_config_files *f,
                                      const char *path, char *err,
                                      size_t err_len) {
  if (f->server_list != NULL) {
    snprintf(err, err_len, "[upstream-tls] server-list-path is set twice");
    return -1;
  }
  if (*path == '\0') {
    snprintf(err, err_len, "[upstream-tls] server-list-path is empty");
    return -1;
  }
  f->server_list = strdup(path);
  if (f->server_list == NULL || nts_pool_ke_config_files_add(f, path) != 0) {
    snprintf(err, err_len, "out of memory");
    return -1;
  }
  return 0;
}

static int ctx_set(void *user, const char *section, const char *name,
                   const char *value) {
  return ntspool_ctx_set(user, section, name, value);
}

static const char *ctx_error(void *user) {
  return ntspool_ctx_error(user);
}

int nts_pool_ke_config_files_load_list(nts_pool_ke_config_files *f,
                                       ntspool_ctx *ctx, char *err,
                                       size_t err_len) {
  if (f->server_list == NULL)
    return 0;
  char *text;
  size_t len;
  char why[256];
  if (nts_pool_ke_file_read(f->server_list, NTS_POOL_KE_SERVER_LIST_MAX, &text,
                            &len, why, sizeof why) != 0) {
    snprintf(err, err_len, "%s: %s", f->server_list, why);
    return -1;
  }
  nts_pool_ke_key_sink sink = {ctx_set, ctx_error, ctx};
  f->n_listed = nts_pool_ke_server_list_parse(f->server_list, text, len, &sink,
                                              err, err_len);
  free(text);
  return f->n_listed < 0 ? -1 : 0;
}

void nts_pool_ke_config_files_free(nts_pool_ke_config_files *f) {
  for (size_t i = 0; i < f->n; i++)
    free(f->paths[i]);
  free(f->paths);
  free(f->server_list);
  memset(f, 0, sizeof *f);
}
