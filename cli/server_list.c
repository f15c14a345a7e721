/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * servers.json into [upstream UUID] keys (server_list.h).  jansson parses
 * (it reports the line and column of a syntax error, rejects duplicate
 * member names on request, and \u0000 in strings unless asked, so every
 * string is a C string); this file checks every entry's members and
 * types before the library sees a key, so a message can name the entry.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "json_error.h"
#include "ntspool.h"
#include "server_list.h"

#define WEIGHT_MAX 1000000
#define KEY_INDEX_MAX 65535
#define REGIONS_MAX 64
#define REGIONS_TEXT 4096

typedef struct entry_ctx {
  const char *path;
  size_t index;
  const char *uuid; /* NULL until known */
  char *err;
  size_t err_len;
} entry_ctx;

__attribute__((format(printf, 2, 3))) static long bad(const entry_ctx *e,
                                                      const char *fmt, ...) {
  int n;
  char uuid[4 * 64];
  if (e->uuid != NULL)
    n = snprintf(e->err, e->err_len, "%s: entry %zu (uuid %s): ", e->path,
                 e->index, ntspool_log_escape(e->uuid, uuid, sizeof uuid));
  else
    n = snprintf(e->err, e->err_len, "%s: entry %zu: ", e->path, e->index);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < e->err_len)
    vsnprintf(e->err + n, e->err_len - (size_t)n, fmt, ap);
  va_end(ap);
  return -1;
}

static const char *type_name(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    return "an object";
  case JSON_ARRAY:
    return "an array";
  case JSON_STRING:
    return "a string";
  case JSON_INTEGER:
    return "an integer";
  case JSON_REAL:
    return "a number with a fraction";
  case JSON_TRUE:
  case JSON_FALSE:
    return "a boolean";
  case JSON_NULL:
    return "null";
  }
  return "something else";
}

/* Member `name` as a string; NULL (and *missing) when absent. */
static long get_string(const entry_ctx *e, const json_t *obj, const char *name,
                       bool required, const char **out) {
  const json_t *v = json_object_get(obj, name);
  *out = NULL;
  if (v == NULL)
    return required ? bad(e, "missing required member \"%s\"", name) : 0;
  if (!json_is_string(v))
    return bad(e, "\"%s\" must be a string, not %s", name, type_name(v));
  *out = json_string_value(v);
  return 0;
}

static long get_integer(const entry_ctx *e, const json_t *obj, const char *name,
                        bool required, json_int_t min, json_int_t max,
                        json_int_t *out) {
  const json_t *v = json_object_get(obj, name);
  if (v == NULL)
    return required ? bad(e, "missing required member \"%s\"", name) : 0;
  if (!json_is_integer(v))
    return bad(e, "\"%s\" must be an integer, not %s", name, type_name(v));
  json_int_t x = json_integer_value(v);
  if (x < min || x > max)
    return bad(e, "\"%s\" must be from %lld to %lld, not %lld", name,
               (long long)min, (long long)max, (long long)x);
  *out = x;
  return 0;
}

static long get_bool(const entry_ctx *e, const json_t *obj, const char *name,
                     bool *out) {
  const json_t *v = json_object_get(obj, name);
  if (v == NULL)
    return 0;
  if (!json_is_boolean(v))
    return bad(e, "\"%s\" must be true or false, not %s", name, type_name(v));
  *out = json_is_true(v);
  return 0;
}

/* regions: an array of names, joined with commas for the library. */
static long get_regions(const entry_ctx *e, const json_t *obj, char *out,
                        size_t cap) {
  const json_t *v = json_object_get(obj, "regions");
  out[0] = '\0';
  if (v == NULL)
    return 0;
  if (!json_is_array(v))
    return bad(e, "\"regions\" must be an array of strings, not %s",
               type_name(v));
  if (json_array_size(v) > REGIONS_MAX)
    return bad(e, "\"regions\" holds more than %d names", REGIONS_MAX);
  size_t used = 0;
  for (size_t i = 0; i < json_array_size(v); i++) {
    const json_t *r = json_array_get(v, i);
    if (!json_is_string(r))
      return bad(e, "\"regions\"[%zu] must be a string, not %s", i,
                 type_name(r));
    const char *name = json_string_value(r);
    size_t n = json_string_length(r);
    if (n == 0 || n > 64 || strcspn(name, ", \t") != n)
      return bad(e,
                 "\"regions\"[%zu] must be 1 to 64 characters without "
                 "commas or spaces",
                 i);
    if (used + n + 2 > cap)
      return bad(e, "\"regions\" is too long");
    if (used > 0)
      out[used++] = ',';
    memcpy(out + used, name, n + 1);
    used += n;
  }
  return 0;
}

/* One key of the entry's section, with the library's reason on failure. */
static long put(const entry_ctx *e, const nts_pool_ke_key_sink *sink,
                const char *section, const char *name, const char *value) {
  if (sink->set(sink->user, section, name, value) == 0)
    return 0;
  const char *why = sink->error(sink->user);
  return bad(e, "%s", *why ? why : "rejected");
}

static long entry(const entry_ctx *e0, const json_t *obj,
                  const json_t *seen_uuids, const nts_pool_ke_key_sink *sink) {
  entry_ctx e = *e0;
  if (!json_is_object(obj))
    return bad(&e, "expected an object, not %s", type_name(obj));
  const char *uuid, *domain, *randomizer;
  if (get_string(&e, obj, "uuid", true, &uuid) != 0)
    return -1;
  if (*uuid == '\0')
    return bad(&e, "\"uuid\" is empty");
  e.uuid = uuid;
  const json_t *first = json_object_get(seen_uuids, uuid);
  if (first != NULL)
    return bad(&e, "the same uuid as entry %lld",
               (long long)json_integer_value(first));
  json_int_t port = 0, weight = 1, key_index = 0;
  bool v4 = true, v6 = true;
  char regions[REGIONS_TEXT];
  if (get_string(&e, obj, "domain", true, &domain) != 0 ||
      get_integer(&e, obj, "port", true, 1, 65535, &port) != 0 ||
      get_integer(&e, obj, "weight", false, 0, WEIGHT_MAX, &weight) != 0 ||
      get_integer(&e, obj, "base-key-index", false, 0, KEY_INDEX_MAX,
                  &key_index) != 0 ||
      get_string(&e, obj, "randomizer", false, &randomizer) != 0 ||
      get_regions(&e, obj, regions, sizeof regions) != 0 ||
      get_bool(&e, obj, "ipv4-capable", &v4) != 0 ||
      get_bool(&e, obj, "ipv6-capable", &v6) != 0)
    return -1;

  char section[300], num[3][24];
  if (snprintf(section, sizeof section, "upstream %s", uuid) >=
      (int)sizeof section)
    return bad(&e, "\"uuid\" is longer than 255 characters");
  snprintf(num[0], sizeof num[0], "%lld", (long long)port);
  snprintf(num[1], sizeof num[1], "%lld", (long long)weight);
  snprintf(num[2], sizeof num[2], "%lld", (long long)key_index);
  const char *const keys[][2] = {
      {"uuid", uuid},
      {"domain", domain},
      {"port", num[0]},
      {"weight", num[1]},
      {"base-key-index", num[2]},
      {"randomizer", randomizer != NULL ? randomizer : ""},
      {"regions", regions},
      {"ipv4", v4 ? "true" : "false"},
      {"ipv6", v6 ? "true" : "false"},
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (put(&e, sink, section, keys[i][0], keys[i][1]) != 0)
      return -1;
  return 0;
}

long nts_pool_ke_server_list_parse(const char *path, const char *text,
                                   size_t len, const nts_pool_ke_key_sink *sink,
                                   char *err, size_t err_len) {
  json_error_t je;
  json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (root == NULL) {
    nts_pool_ke_json_syntax_error(path, &je, true, err, err_len);
    return -1;
  }
  long rc = 0;
  json_t *uuids = json_object(); /* uuid -> index of its first entry */
  if (uuids == NULL) {
    snprintf(err, err_len, "%s: out of memory", path);
    rc = -1;
  } else if (!json_is_array(root)) {
    snprintf(err, err_len, "%s: expected an array of servers, not %s", path,
             type_name(root));
    rc = -1;
  }
  for (size_t i = 0; rc == 0 && i < json_array_size(root); i++) {
    entry_ctx e = {path, i, NULL, err, err_len};
    const json_t *obj = json_array_get(root, i);
    rc = entry(&e, obj, uuids, sink);
    if (rc == 0 && json_object_set_new(
                       uuids, json_string_value(json_object_get(obj, "uuid")),
                       json_integer((json_int_t)i)) != 0) {
      snprintf(err, err_len, "%s: out of memory", path);
      rc = -1;
    }
  }
  long n = rc == 0 ? (long)json_array_size(root) : -1;
  json_decref(uuids);
  json_decref(root);
  return n;
}
