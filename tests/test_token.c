/* SPDX-License-Identifier: BSD-2-Clause */
/* Tokens: the derivation vectors of doc/protocol.md 11.6, base-secret line
 * selection, secret file checks, and tokens reaching the registry. */
#include "policy_fixture.h"

#define SECRET "even-more-secrets-this-time-with-no-min-length"
#define UUID_A "1532f796-7a16-40bd-8d5a-4d09fc90e061"
#define RAND_A "4a4A8wEJ2ZKte6DJ3VxK6e"
#define TOKEN_A                                                                \
  "c680e5f1c4f161968dd9b72f271ca5e7d17b0fe2e71e20b7ba4002b9252dd751"
#define UUID_B "de9b1a09-691a-431e-908a-2625e3c34a84"
#define RAND_B "rehrJnlBAKWNJyQE0V2MVv"
#define TOKEN_B                                                                \
  "b236df899c9e0b9ccc636f69cbc055c17262371732298d97f62a050a1f574193"

static void assert_token(const ntspool_source *s, const char *expected) {
  ntspool_bytes t = ntspool_source_token(s);
  assert_int_equal(t.len, strlen(expected));
  assert_memory_equal(t.data, expected, t.len);
}

static void test_token_vectors(void **state) {
  (void)state;
  char out[65];
  assert_int_equal(
      ntspool_token_derive(SECRET, strlen(SECRET), UUID_A, RAND_A, out), 0);
  assert_string_equal(out, TOKEN_A);
  assert_int_equal(
      ntspool_token_derive(SECRET, strlen(SECRET), UUID_B, RAND_B, out), 0);
  assert_string_equal(out, TOKEN_B);
  assert_int_equal(ntspool_token_derive(SECRET, 3, NULL, RAND_B, out),
                   NTSPOOL_ERR_INVALID_ARG);
}

static void test_token_base_secret_lines(void **state) {
  (void)state;
  static const char text[] = "\n  first \r\n\n\t\nsecond\n   \n  third";
  ntspool_bytes line;
  assert_int_equal(ntspool_secret_line_count(text, strlen(text)), 3);
  assert_int_equal(ntspool_secret_line(text, strlen(text), 0, &line), 0);
  assert_int_equal(line.len, 5);
  assert_memory_equal(line.data, "first", 5);
  assert_int_equal(ntspool_secret_line(text, strlen(text), 1, &line), 0);
  assert_memory_equal(line.data, "second", 6);
  assert_int_equal(ntspool_secret_line(text, strlen(text), 2, &line), 0);
  assert_int_equal(line.len, 5);
  assert_memory_equal(line.data, "third", 5);
  assert_int_equal(ntspool_secret_line(text, strlen(text), 3, &line),
                   NTSPOOL_ERR_NOT_FOUND);
  assert_int_equal(ntspool_secret_line_count("", 0), 0);
}

static void test_token_derived_from_config(void **state) {
  (void)state;
  char path[256];
  /* Line 1 after dropping the empty ones is the pool's secret. */
  fx_write_file(path, sizeof path, "base", "old-secret\n\n  " SECRET "  \n",
                0600);
  const fx_kv kv[] = {{"upstream-tls", "base-shared-secret-path", path},
                      {"upstream a", "domain", "a.example"},
                      {"upstream a", "uuid", UUID_A},
                      {"upstream a", "randomizer", RAND_A},
                      {"upstream a", "base-key-index", "1"},
                      {"upstream b", "domain", "b.example"},
                      {"upstream b", "uuid", UUID_B},
                      {"upstream b", "randomizer", RAND_B},
                      {"upstream b", "base-key-index", "1"},
                      {"upstream c", "domain", "c.example"},
                      {"upstream c", "auth-token", "literal-token"},
                      {"upstream d", "domain", "d.example"},
                      {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(kv);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  assert_token(ntspool_registry_find(reg, "a"), TOKEN_A);
  assert_token(ntspool_registry_find(reg, "b"), TOKEN_B);
  assert_token(ntspool_registry_find(reg, "c"), "literal-token");
  assert_int_equal(ntspool_source_token(ntspool_registry_find(reg, "d")).len,
                   0);
  ntspool_bytes u = {(const uint8_t *)UUID_B, strlen(UUID_B)};
  assert_ptr_equal(ntspool_registry_find_uuid(reg, u),
                   ntspool_registry_find(reg, "b"));
  u.len--;
  assert_null(ntspool_registry_find_uuid(reg, u));
  ntspool_registry_unref(reg);

  /* base-key-index past the last line. */
  assert_int_equal(
      ntspool_policy_set(p, "upstream-tls", "base-shared-secret-path", path),
      0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "domain", "a.example"),
                   0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "uuid", UUID_A), 0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "base-key-index", "2"),
                   0);
  assert_int_equal(ntspool_policy_commit(p), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_policy_config_error(p), "base-key-index 2"));
  /* The running registry is untouched by the failed commit. */
  reg = ntspool_policy_acquire(p);
  assert_int_equal(ntspool_registry_count(reg), 4);
  ntspool_registry_unref(reg);
  ntspool_policy_discard(p);

  /* Derivation keys without a base secret. */
  assert_int_equal(ntspool_policy_set(p, "upstream a", "domain", "a.example"),
                   0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "randomizer", RAND_A),
                   0);
  assert_int_equal(ntspool_policy_commit(p), NTSPOOL_ERR_CONFIG);
  ntspool_policy_discard(p);
  ntspool_policy_unref(p);
  unlink(path);
}

static void test_token_files(void **state) {
  (void)state;
  char good[256], open_to_all[256], two_lines[256], dir[256];
  fx_write_file(good, sizeof good, "tok", "\n  " TOKEN_A "\n\n", 0600);
  fx_write_file(open_to_all, sizeof open_to_all, "tok-644", TOKEN_A "\n", 0644);
  fx_write_file(two_lines, sizeof two_lines, "tok-2", "a\nb\n", 0600);
  ntspool_policy *p = NULL;
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "domain", "a.example"),
                   0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "auth-token-path", good),
                   0);
  /* auth-token and auth-token-path are one key. */
  assert_int_equal(ntspool_policy_set(p, "upstream a", "auth-token", "x"),
                   NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_policy_commit(p), 0);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  assert_token(ntspool_registry_source(reg, 0), TOKEN_A);
  ntspool_registry_unref(reg);

  assert_int_equal(
      ntspool_policy_set(p, "upstream b", "auth-token-path", open_to_all),
      NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_policy_config_error(p), "readable by others"));
  /* ... and says how to mount it from a Kubernetes Secret. */
  assert_non_null(strstr(ntspool_policy_config_error(p), "defaultMode: 0400"));
  /* Never the secret itself in a message. */
  assert_null(strstr(ntspool_policy_config_error(p), TOKEN_A));
  assert_int_equal(
      ntspool_policy_set(p, "upstream b", "auth-token-path", two_lines),
      NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_policy_set(p, "upstream b", "auth-token-path",
                                      "/nonexistent/token"),
                   NTSPOOL_ERR_CONFIG);
  snprintf(dir, sizeof dir, "%s", "/");
  assert_int_equal(ntspool_policy_set(p, "upstream b", "auth-token-path", dir),
                   NTSPOOL_ERR_CONFIG);
  assert_int_equal(
      ntspool_policy_set(p, "upstream b", "auth-token", "with space"),
      NTSPOOL_ERR_CONFIG);
  assert_null(strstr(ntspool_policy_config_error(p), "with space"));
  ntspool_policy_unref(p);
  unlink(good);
  unlink(open_to_all);
  unlink(two_lines);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_token_vectors),
      cmocka_unit_test(test_token_base_secret_lines),
      cmocka_unit_test(test_token_derived_from_config),
      cmocka_unit_test(test_token_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
