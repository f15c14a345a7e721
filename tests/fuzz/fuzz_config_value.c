/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: configuration values through ntspool_ctx_set (every role)
 * and ntspool_policy_set, then ntspool_policy_commit.
 *
 * Input: a role byte, then operations: a selector byte (most of the time a
 * row of the schema, base/settings_table.h, so the values reach the
 * parsers; otherwise a fuzzed section and key), a length byte and that many
 * value bytes (NULs become '.').
 *
 * Invariants: a set returns 0, NTSPOOL_ERR_CONFIG or NTSPOOL_ERR_NO_MEMORY;
 * success leaves no message and kind OK; failure leaves kind not OK and a
 * message "[section] key: reason" (the names escaped); a secret (token, monitor
 * key, accepted token) is never in a message; a key that is not a list, once
 * taken, is refused the second time as REPEATED; commit returns a status.
 */
#include "fuzz.h"

#include "base/settings.h"

/* Bytes from the input: *p advances, never past end. */
static size_t take(const uint8_t **p, const uint8_t *end, char *out,
                   size_t max) {
  size_t n = *p < end ? **p : 0;
  if (*p < end)
    (*p)++;
  if (n > (size_t)(end - *p))
    n = (size_t)(end - *p);
  if (n > max)
    n = max;
  for (size_t i = 0; i < n; i++)
    out[i] = (*p)[i] ? (char)(*p)[i] : '.';
  out[n] = '\0';
  *p += n;
  return n;
}

static bool is_secret(const struct ntspool_setting *r) {
  return r->kind == NTSPOOL_KIND_TOKEN || r->kind == NTSPOOL_KIND_MONITOR_KEY ||
         (r->kind == NTSPOOL_KIND_TEXT &&
          strcmp(r->key, "accepted-token") == 0);
}

/* A byte no message of ours holds: a value with one is recognisable. */
static bool marked(const char *v) {
  for (; *v; v++)
    if ((unsigned char)*v < 0x20 || (unsigned char)*v >= 0x80)
      return true;
  return false;
}

static void check_failure(const char *msg, enum ntspool_config_error kind,
                          const char *section, const char *key,
                          const char *value, bool secret) {
  FUZZ_CHECK(kind != NTSPOOL_CONFIG_OK);
  /* The names as the message escapes them (they may come from files). */
  char head[2200], s[1024], k[256];
  snprintf(head, sizeof head,
           "[%s] %s: ", ntspool_log_escape(section, s, sizeof s),
           ntspool_log_escape(key, k, sizeof k));
  FUZZ_CHECK(strncmp(msg, head, strlen(head)) == 0);
  if (secret && marked(value))
    FUZZ_CHECK(strstr(msg + strlen(head), value) == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const uint8_t *p = data + 1, *end = data + size;
  enum ntspool_role role = (enum ntspool_role)(data[0] % 3);
  ntspool_ctx *ctx = NULL;
  ntspool_policy *pol = NULL;
  FUZZ_CHECK(ntspool_ctx_new(role, NULL, &ctx) == 0);
  FUZZ_CHECK(ntspool_policy_new(NULL, NULL, &pol) == 0);
  for (int ops = 0; p < end && ops < 64; ops++) {
    uint8_t sel = *p++;
    char section[300], key[300], value[300];
    const struct ntspool_setting *row = NULL;
    if (sel < 0xE0) {
      row = &ntspool_settings[sel % ntspool_settings_count];
      if (strcmp(row->section, "upstream") == 0)
        snprintf(section, sizeof section, "upstream s%u", (unsigned)(sel & 3));
      else
        snprintf(section, sizeof section, "%s", row->section);
      snprintf(key, sizeof key, "%s", row->key);
    } else {
      take(&p, end, section, 40);
      take(&p, end, key, 40);
    }
    take(&p, end, value, 255);
    bool secret = row != NULL && is_secret(row);

    int rc = ntspool_ctx_set(ctx, section, key, value);
    FUZZ_CHECK(rc == 0 || rc == NTSPOOL_ERR_CONFIG ||
               rc == NTSPOOL_ERR_NO_MEMORY);
    if (rc == 0) {
      FUZZ_CHECK(ntspool_ctx_error_kind(ctx) == NTSPOOL_CONFIG_OK);
      FUZZ_CHECK(ntspool_ctx_error(ctx)[0] == '\0');
      if (row != NULL && row->repeat == NTSPOOL_REPEAT_ONCE) {
        FUZZ_CHECK(ntspool_ctx_set(ctx, section, key, value) ==
                   NTSPOOL_ERR_CONFIG);
        FUZZ_CHECK(ntspool_ctx_error_kind(ctx) == NTSPOOL_CONFIG_REPEATED);
      }
    } else if (rc == NTSPOOL_ERR_CONFIG) {
      check_failure(ntspool_ctx_error(ctx), ntspool_ctx_error_kind(ctx),
                    section, key, value, secret);
    }

    rc = ntspool_policy_set(pol, section, key, value);
    FUZZ_CHECK(rc == 0 || rc == NTSPOOL_ERR_CONFIG ||
               rc == NTSPOOL_ERR_NOT_FOUND || rc == NTSPOOL_ERR_NO_MEMORY);
    if (rc == 0) {
      FUZZ_CHECK(ntspool_policy_config_error_kind(pol) == NTSPOOL_CONFIG_OK);
      FUZZ_CHECK(ntspool_policy_config_error(pol)[0] == '\0');
    } else if (rc == NTSPOOL_ERR_CONFIG) {
      check_failure(ntspool_policy_config_error(pol),
                    ntspool_policy_config_error_kind(pol), section, key, value,
                    secret);
    }
  }
  int rc = ntspool_policy_commit(pol);
  FUZZ_CHECK(rc == 0 || rc == NTSPOOL_ERR_CONFIG || rc == NTSPOOL_ERR_CRYPTO ||
             rc == NTSPOOL_ERR_NO_MEMORY);
  FUZZ_CHECK((rc == 0) ==
             (ntspool_policy_config_error_kind(pol) == NTSPOOL_CONFIG_OK));
  ntspool_policy_unref(pol);
  ntspool_ctx_unref(ctx);
  return 0;
}
