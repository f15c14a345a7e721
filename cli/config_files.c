/* SPDX-License-Identifier: BSD-2-Clause */
/* The files a configuration reads besides its own (config_files.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntspool.h"

#include "config_files.h"
#include "file.h"
#include "monitor_keys.h"
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

/* A file named by one key, once. */
static int name_once(nts_pool_ke_config_files *f, char **slot, const char *key,
                     const char *path, char *err, size_t err_len) {
  if (*slot != NULL) {
    snprintf(err, err_len, "%s: given twice", key);
    return -1;
  }
  if (*path == '\0') {
    snprintf(err, err_len, "%s is empty", key);
    return -1;
  }
  *slot = strdup(path);
  if (*slot == NULL || nts_pool_ke_config_files_add(f, path) != 0) {
    snprintf(err, err_len, "out of memory");
    return -1;
  }
  return 0;
}

int nts_pool_ke_config_files_set_list(nts_pool_ke_config_files *f,
                                      const char *path, char *err,
                                      size_t err_len) {
  return name_once(f, &f->server_list, "[upstream-tls] server-list-path", path,
                   err, err_len);
}

int nts_pool_ke_config_files_set_monitor_keys(nts_pool_ke_config_files *f,
                                              const char *path, char *err,
                                              size_t err_len) {
  return name_once(f, &f->monitor_keys, "[server] monitoring-keys-path", path,
                   err, err_len);
}

static int ctx_set(void *user, const char *section, const char *name,
                   const char *value) {
  return ntspool_ctx_set(user, section, name, value);
}

static const char *ctx_error(void *user) {
  return ntspool_ctx_error(user);
}

typedef long (*json_parse_fn)(const char *path, const char *text, size_t len,
                              const nts_pool_ke_key_sink *sink, char *err,
                              size_t err_len);

/* Reads one JSON file into ctx through `parse`.  Returns the count parse
 * gave, or -1 with one line in err.  The text is wiped: the monitor keys
 * are secrets. */
static long load_json(const char *path, size_t max, json_parse_fn parse,
                      ntspool_ctx *ctx, char *err, size_t err_len) {
  char *text;
  size_t len;
  char why[256];
  if (nts_pool_ke_file_read(path, max, &text, &len, why, sizeof why) != 0) {
    snprintf(err, err_len, "%s: %s", path, why);
    return -1;
  }
  nts_pool_ke_key_sink sink = {ctx_set, ctx_error, ctx};
  long n = parse(path, text, len, &sink, err, err_len);
  memset(text, 0, len);
  free(text);
  return n;
}

int nts_pool_ke_config_files_load_list(nts_pool_ke_config_files *f,
                                       ntspool_ctx *ctx, char *err,
                                       size_t err_len) {
  if (f->monitor_keys != NULL &&
      (f->n_keys =
           load_json(f->monitor_keys, NTS_POOL_KE_MONITOR_KEYS_MAX,
                     nts_pool_ke_monitor_keys_parse, ctx, err, err_len)) < 0)
    return -1;
  if (f->server_list == NULL)
    return 0;
  f->n_listed = load_json(f->server_list, NTS_POOL_KE_SERVER_LIST_MAX,
                          nts_pool_ke_server_list_parse, ctx, err, err_len);
  return f->n_listed < 0 ? -1 : 0;
}

void nts_pool_ke_config_files_free(nts_pool_ke_config_files *f) {
  for (size_t i = 0; i < f->n; i++)
    free(f->paths[i]);
  free(f->paths);
  free(f->server_list);
  free(f->monitor_keys);
  memset(f, 0, sizeof *f);
}
