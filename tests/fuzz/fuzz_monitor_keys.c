/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the daemon's monitor keys file (cli/monitor_keys.c), a JSON
 * array of strings, into [server] monitoring-key values of a pool context.
 *
 * Invariants: -1 with one line of printable ASCII in err that names the
 * file and never holds a key it was given; or the number of entries, with
 * no message, and every entry is then a key that the context accepts a
 * monitor's probe with.
 */
#include <jansson.h>

#include "fuzz.h"

#include "monitor_keys.h"
#include "session/session_internal.h"

static int sink_set(void *user, const char *section, const char *name,
                    const char *value) {
  return ntspool_ctx_set(user, section, name, value);
}

static const char *sink_error(void *user) {
  return ntspool_ctx_error(user);
}

/* The strings of the input's array, if it is one (jansson's view, which
 * the parser shares), each checked with `fn`. */
static void each_string(const uint8_t *data, size_t size,
                        void (*fn)(const char *key, void *arg), void *arg) {
  json_t *root = json_loadb((const char *)data, size, 0, NULL);
  if (json_is_array(root))
    for (size_t i = 0; i < json_array_size(root); i++)
      if (json_is_string(json_array_get(root, i)))
        fn(json_string_value(json_array_get(root, i)), arg);
  json_decref(root);
}

/* Each check hashes every key of the context (a constant-time compare):
 * the first, the middle and the last key are enough to catch one lost or
 * cut, at a cost that does not grow with the square of the count. */
typedef struct {
  const ntspool_ctx *ctx;
  size_t seen, count;
} accepted;

static void check_accepted(const char *key, void *arg) {
  accepted *a = arg;
  if (a->seen == 0 || a->seen == a->count / 2 || a->seen + 1 == a->count) {
    ntspool_bytes k = {(const uint8_t *)key, strlen(key)};
    FUZZ_CHECK(ntspool_monitor_key_ok(a->ctx, k));
  }
  a->seen++;
}

/* A key is never in a message.  Only keys that cannot be words of one are
 * checked: the messages (jansson's and ours) have none of these marks. */
static void check_not_printed(const char *key, void *err) {
  if (strlen(key) >= 4 && strpbrk(key, "~@#|") != NULL)
    FUZZ_CHECK(strstr(err, key) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ntspool_ctx *ctx = NULL;
  FUZZ_CHECK(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &ctx) == 0);
  nts_pool_ke_key_sink sink = {sink_set, sink_error, ctx};
  char err[512] = "";
  long n = nts_pool_ke_monitor_keys_parse("fuzz.json", (const char *)data, size,
                                          &sink, err, sizeof err);
  if (n < 0) {
    FUZZ_CHECK(n == -1 && strncmp(err, "fuzz.json:", 10) == 0);
    for (const char *c = err; *c != '\0'; c++)
      FUZZ_CHECK(*c >= 0x20 && *c < 0x7f);
    each_string(data, size, check_not_printed, err);
  } else {
    FUZZ_CHECK(err[0] == '\0');
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    FUZZ_CHECK(json_is_array(root) && json_array_size(root) == (size_t)n);
    json_decref(root);
    accepted a = {ctx, 0, (size_t)n};
    each_string(data, size, check_accepted, &a);
    FUZZ_CHECK(a.seen == (size_t)n);
  }
  ntspool_ctx_unref(ctx);
  return 0;
}
