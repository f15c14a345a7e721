/* SPDX-License-Identifier: BSD-2-Clause */
/* The daemon's server list (cli/server_list.c): servers.json entries into
 * [upstream UUID] keys of a real policy, every member, every default and
 * every error message; the monitor keys file (cli/monitor_keys.c) into a
 * real pool context; and the whole-file reader (cli/file.c). */
#include "policy_fixture.h"

#include "file.h"
#include "monitor_keys.h"
#include "server_list.h"
#include "session/session_internal.h"

#define V4 NTSPOOL_FAMILY_IPV4
#define V6 NTSPOOL_FAMILY_IPV6

static int sink_set(void *user, const char *section, const char *name,
                    const char *value) {
  return ntspool_policy_set(user, section, name, value);
}

static const char *sink_error(void *user) {
  return ntspool_policy_config_error(user);
}

static char secret_path[256];

/* A policy with a two-line base secret, and the list `json` parsed into
 * it; returns what the parser returned, with its message in err. */
static long parse(ntspool_policy **p, const char *json, char *err,
                  size_t err_len) {
  assert_int_equal(ntspool_policy_new(NULL, NULL, p), 0);
  fx_write_file(secret_path, sizeof secret_path, "list-base",
                "  first-secret \n\nsecond-secret\n", 0600);
  assert_int_equal(ntspool_policy_set(*p, "upstream-tls",
                                      "base-shared-secret-path", secret_path),
                   0);
  nts_pool_ke_key_sink sink = {sink_set, sink_error, *p};
  err[0] = '\0';
  return nts_pool_ke_server_list_parse("servers.json", json, strlen(json),
                                       &sink, err, err_len);
}

static void assert_token(const ntspool_source *s, const char *secret,
                         const char *uuid, const char *randomizer) {
  char hex[65];
  assert_int_equal(
      ntspool_token_derive(secret, strlen(secret), uuid, randomizer, hex), 0);
  ntspool_bytes t = ntspool_source_token(s);
  assert_int_equal(t.len, 64);
  assert_memory_equal(t.data, hex, 64);
}

static void test_list_every_member(void **state) {
  (void)state;
  static const char json[] =
      "[\n"
      "  {\"uuid\": \"0f1e2d3c-aaaa-4bbb-8ccc-000000000001\",\n"
      "   \"domain\": \"ts1.example.net\", \"port\": 4461, \"weight\": 7,\n"
      "   \"base-key-index\": 1, \"randomizer\": \"r4nd\",\n"
      "   \"regions\": [\"EUROPE\", \"NL\"],\n"
      "   \"ipv4-capable\": false, \"ipv6-capable\": true,\n"
      "   \"something-new\": {\"ignored\": [1, 2]}}\n"
      "]\n";
  ntspool_policy *p;
  char err[512];
  assert_int_equal(parse(&p, json, err, sizeof err), 1);
  assert_string_equal(err, "");
  assert_int_equal(ntspool_policy_commit(p), 0);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  assert_int_equal(ntspool_registry_count(reg), 1);
  const ntspool_source *s = ntspool_registry_source(reg, 0);
  assert_string_equal(ntspool_source_name(s),
                      "0f1e2d3c-aaaa-4bbb-8ccc-000000000001");
  assert_string_equal(ntspool_source_uuid(s),
                      "0f1e2d3c-aaaa-4bbb-8ccc-000000000001");
  assert_string_equal(ntspool_source_domain(s), "ts1.example.net");
  assert_null(ntspool_source_connect_address(s));
  assert_int_equal(ntspool_source_port(s), 4461);
  assert_int_equal(ntspool_source_weight(s), 7);
  assert_false(ntspool_source_has_family(s, V4));
  assert_true(ntspool_source_has_family(s, V6));
  assert_true(ntspool_source_enabled(s));
  assert_int_equal(ntspool_source_region_count(s), 2);
  assert_string_equal(ntspool_source_region(s, 0), "EUROPE");
  assert_string_equal(ntspool_source_region(s, 1), "NL");
  /* base-key-index 1: the second non-empty line, trimmed */
  assert_token(s, "second-secret", "0f1e2d3c-aaaa-4bbb-8ccc-000000000001",
               "r4nd");
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
  unlink(secret_path);
}

static void test_list_defaults(void **state) {
  (void)state;
  static const char json[] =
      "[{\"uuid\": \"u1\", \"domain\": \"a.example\", \"port\": 4460},"
      " {\"uuid\": \"u2\", \"domain\": \"b.example\", \"port\": 123,"
      "  \"ipv6-capable\": false, \"weight\": 0, \"regions\": []}]";
  ntspool_policy *p;
  char err[512];
  assert_int_equal(parse(&p, json, err, sizeof err), 2);
  assert_int_equal(ntspool_policy_commit(p), 0);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "u1");
  assert_non_null(a);
  assert_int_equal(ntspool_source_weight(a), 1);
  assert_true(ntspool_source_has_family(a, V4));
  assert_true(ntspool_source_has_family(a, V6));
  assert_int_equal(ntspool_source_region_count(a), 0);
  /* base-key-index 0 and randomizer "": the first line, nothing appended */
  assert_token(a, "first-secret", "u1", "");
  const ntspool_source *b = ntspool_registry_find(reg, "u2");
  assert_int_equal(ntspool_source_port(b), 123);
  assert_int_equal(ntspool_source_weight(b), 0);
  assert_true(ntspool_source_has_family(b, V4));
  assert_false(ntspool_source_has_family(b, V6));
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);

  /* An empty list is an empty pool, not an error. */
  assert_int_equal(parse(&p, " [ ] ", err, sizeof err), 0);
  ntspool_policy_unref(p);
  unlink(secret_path);
}

/* The list `json` fails with exactly `expect`. */
static void expect_error(const char *json, const char *expect) {
  ntspool_policy *p;
  char err[512];
  long n = parse(&p, json, err, sizeof err);
  if (n != -1 || strcmp(err, expect) != 0)
    fail_msg("%s\n  gave %ld: %s\n  expected: %s", json, n, err, expect);
  ntspool_policy_unref(p);
  unlink(secret_path);
}

#define ONE(members)                                                           \
  "[{\"uuid\": \"u1\", \"domain\": \"a.example\", " members "}]"

static void test_list_errors(void **state) {
  (void)state;
  /* Syntax: file, line and column. */
  expect_error("[\n  {\"uuid\": \"u1\",}\n]",
               "servers.json:2:17: string or '}' expected near '}'");
  expect_error("[{\"uuid\": \"u1\"}", "servers.json:1:15: ']' expected near "
                                      "end of file");
  expect_error("", "servers.json:1:0: '[' or '{' expected near end of file");
  /* What jansson quotes from the file stays on the line. */
  expect_error("[\"tor-86\\\n]",
               "servers.json:2:0: invalid escape near '\"tor-86\\\\x0a'");
  expect_error("[{\"uuid\": \"u1\",\n \"uuid\": \"u2\"}]",
               "servers.json:2:7: duplicate object key near '\"uuid\"'");
  /* Shape. */
  expect_error("{\"uuid\": \"u1\"}",
               "servers.json: expected an array of servers, not an object");
  expect_error("[{\"uuid\": \"u1\", \"domain\": \"a\", \"port\": 1}, 7]",
               "servers.json: entry 1: expected an object, not an integer");
  /* Required members. */
  expect_error("[{\"domain\": \"a.example\", \"port\": 1}]",
               "servers.json: entry 0: missing required member \"uuid\"");
  expect_error("[{\"uuid\": \"u1\", \"port\": 1}]",
               "servers.json: entry 0 (uuid u1): missing required member "
               "\"domain\"");
  expect_error("[{\"uuid\": \"u1\", \"domain\": \"a.example\"}]",
               "servers.json: entry 0 (uuid u1): missing required member "
               "\"port\"");
  /* Types and ranges. */
  expect_error("[{\"uuid\": 12, \"domain\": \"a\", \"port\": 1}]",
               "servers.json: entry 0: \"uuid\" must be a string, not an "
               "integer");
  expect_error("[{\"uuid\": \"u\\n1\", \"port\": 1}]",
               "servers.json: entry 0 (uuid u\\x0a1): missing required member "
               "\"domain\"");
  expect_error("[{\"uuid\": \"\", \"domain\": \"a\", \"port\": 1}]",
               "servers.json: entry 0: \"uuid\" is empty");
  expect_error(
      "[{\"uuid\": \"u\\u0000x\", \"domain\": \"a\", \"port\": 1}]",
      "servers.json:1:20: \\u0000 is not allowed without JSON_ALLOW_NUL "
      "near '\"u\\u0000x\"'");
  expect_error("[{\"uuid\": \"u1\", \"domain\": null, \"port\": 1}]",
               "servers.json: entry 0 (uuid u1): \"domain\" must be a string, "
               "not null");
  expect_error(ONE("\"port\": \"4460\""),
               "servers.json: entry 0 (uuid u1): \"port\" must be an integer, "
               "not a string");
  expect_error(ONE("\"port\": 0"), "servers.json: entry 0 (uuid u1): \"port\" "
                                   "must be from 1 to 65535, not 0");
  expect_error(ONE("\"port\": 65536"),
               "servers.json: entry 0 (uuid u1): \"port\" must be from 1 to "
               "65535, not 65536");
  expect_error(ONE("\"port\": 4460.0"),
               "servers.json: entry 0 (uuid u1): \"port\" must be an integer, "
               "not a number with a fraction");
  expect_error(ONE("\"port\": 1, \"weight\": -1"),
               "servers.json: entry 0 (uuid u1): \"weight\" must be from 0 to "
               "1000000, not -1");
  expect_error(ONE("\"port\": 1, \"weight\": 1000001"),
               "servers.json: entry 0 (uuid u1): \"weight\" must be from 0 to "
               "1000000, not 1000001");
  expect_error(ONE("\"port\": 1, \"weight\": true"),
               "servers.json: entry 0 (uuid u1): \"weight\" must be an "
               "integer, not a boolean");
  expect_error(ONE("\"port\": 1, \"base-key-index\": \"0\""),
               "servers.json: entry 0 (uuid u1): \"base-key-index\" must be an "
               "integer, not a string");
  expect_error(ONE("\"port\": 1, \"base-key-index\": 65536"),
               "servers.json: entry 0 (uuid u1): \"base-key-index\" must be "
               "from 0 to 65535, not 65536");
  expect_error(ONE("\"port\": 1, \"randomizer\": 5"),
               "servers.json: entry 0 (uuid u1): \"randomizer\" must be a "
               "string, not an integer");
  expect_error(ONE("\"port\": 1, \"regions\": \"EU\""),
               "servers.json: entry 0 (uuid u1): \"regions\" must be an array "
               "of strings, not a string");
  expect_error(ONE("\"port\": 1, \"regions\": [\"EU\", 3]"),
               "servers.json: entry 0 (uuid u1): \"regions\"[1] must be a "
               "string, not an integer");
  expect_error(ONE("\"port\": 1, \"regions\": [\"EU,NL\"]"),
               "servers.json: entry 0 (uuid u1): \"regions\"[0] must be 1 to "
               "64 characters without commas or spaces");
  expect_error(ONE("\"port\": 1, \"regions\": [\"\"]"),
               "servers.json: entry 0 (uuid u1): \"regions\"[0] must be 1 to "
               "64 characters without commas or spaces");
  expect_error(ONE("\"port\": 1, \"ipv4-capable\": \"yes\""),
               "servers.json: entry 0 (uuid u1): \"ipv4-capable\" must be true "
               "or false, not a string");
  expect_error(ONE("\"port\": 1, \"ipv6-capable\": 1"),
               "servers.json: entry 0 (uuid u1): \"ipv6-capable\" must be true "
               "or false, not an integer");
  /* Unique uuids. */
  expect_error("[{\"uuid\": \"u1\", \"domain\": \"a\", \"port\": 1},\n"
               " {\"uuid\": \"u2\", \"domain\": \"b\", \"port\": 1},\n"
               " {\"uuid\": \"u1\", \"domain\": \"c\", \"port\": 1}]",
               "servers.json: entry 2 (uuid u1): the same uuid as entry 0");
  /* What the library refuses is named with the entry too. */
  expect_error("[{\"uuid\": \"u1\", \"domain\": \"has space\", \"port\": 1}]",
               "servers.json: entry 0 (uuid u1): [upstream u1] domain: "
               "expected 1..255 printable characters without spaces");
}

/* A base-key-index past the secret's lines is found when the registry is
 * built (as for [upstream NAME] sections). */
static void test_list_key_index_past_secret(void **state) {
  (void)state;
  ntspool_policy *p;
  char err[512];
  assert_int_equal(
      parse(&p, ONE("\"port\": 1, \"base-key-index\": 2"), err, sizeof err), 1);
  assert_int_equal(ntspool_policy_commit(p), NTSPOOL_ERR_CONFIG);
  assert_string_equal(ntspool_policy_config_error(p),
                      "[upstream u1]: base-key-index 2, but the base secret "
                      "file has 2 non-empty lines");
  ntspool_policy_unref(p);
  unlink(secret_path);
}

static void test_file_read(void **state) {
  (void)state;
  char path[256], err[128];
  fx_write_file(path, sizeof path, "list-read", "[1, 2, 3]", 0644);
  char *text;
  size_t len;
  assert_int_equal(
      nts_pool_ke_file_read(path, 100, &text, &len, err, sizeof err), 0);
  assert_int_equal(len, 9);
  assert_string_equal(text, "[1, 2, 3]");
  free(text);
  assert_int_equal(nts_pool_ke_file_read(path, 4, &text, &len, err, sizeof err),
                   -1);
  assert_string_equal(err, "larger than 4 bytes");
  assert_null(text);
  unlink(path);
  assert_int_equal(
      nts_pool_ke_file_read(path, 100, &text, &len, err, sizeof err), -1);
  assert_string_equal(err, "cannot open: No such file or directory");
  assert_int_equal(
      nts_pool_ke_file_read("/", 100, &text, &len, err, sizeof err), -1);
  assert_string_equal(err, "not a regular file");
}

/* ---- monitoring.json ------------------------------------------------- */

static int ctx_sink_set(void *user, const char *section, const char *name,
                        const char *value) {
  return ntspool_ctx_set(user, section, name, value);
}

static const char *ctx_sink_error(void *user) {
  return ntspool_ctx_error(user);
}

/* The keys in `json` into a fresh pool context (*ctx, the caller's). */
static long parse_keys(ntspool_ctx **ctx, const char *json, char *err,
                       size_t err_len) {
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, ctx), 0);
  nts_pool_ke_key_sink sink = {ctx_sink_set, ctx_sink_error, *ctx};
  err[0] = '\0';
  return nts_pool_ke_monitor_keys_parse("monitoring.json", json, strlen(json),
                                        &sink, err, err_len);
}

static bool key_ok(const ntspool_ctx *ctx, const char *key) {
  return ntspool_monitor_key_ok(
      ctx, (ntspool_bytes){(const uint8_t *)key, strlen(key)});
}

static void test_monitor_keys(void **state) {
  (void)state;
  char err[256];
  ntspool_ctx *ctx;
  assert_int_equal(
      parse_keys(&ctx, "[\"key-one\", \"key two\"]", err, sizeof err), 2);
  assert_true(key_ok(ctx, "key-one"));
  assert_true(key_ok(ctx, "key two"));
  assert_false(key_ok(ctx, "key-on"));
  assert_false(key_ok(ctx, "key-one2"));
  assert_false(key_ok(ctx, ""));
  ntspool_ctx_unref(ctx);
  /* No key: no monitor. */
  assert_int_equal(parse_keys(&ctx, "[]", err, sizeof err), 0);
  assert_false(key_ok(ctx, "key-one"));
  ntspool_ctx_unref(ctx);
}

static void expect_keys_error(const char *json, const char *expect) {
  char err[256];
  ntspool_ctx *ctx;
  assert_int_equal(parse_keys(&ctx, json, err, sizeof err), -1);
  assert_string_equal(err, expect);
  ntspool_ctx_unref(ctx);
}

static void test_monitor_keys_errors(void **state) {
  (void)state;
  expect_keys_error("[\"a\",", "monitoring.json:1:5: ']' expected "
                               "near end of file");
  expect_keys_error("{\"a\": \"b\"}", "monitoring.json: expected an array "
                                      "of monitor keys (strings)");
  expect_keys_error("[\"a\", 3]",
                    "monitoring.json: entry 1: expected a string");
  expect_keys_error("[\"a\", \"\"]", "monitoring.json: entry 1: [server] "
                                     "monitoring-key: a monitoring key has 1 "
                                     "to 1024 characters");
  /* The key is never in the message, not even from jansson, who quotes
   * the file near a syntax error; and a line break in the file does not
   * break the message's line. */
  expect_keys_error("[\"secret-key-abc\x01\"]",
                    "monitoring.json:1:16: control character 0x1");
  expect_keys_error("[\"secret-key\\\n\"]",
                    "monitoring.json:2:0: invalid escape");
  expect_keys_error("[\"secret\\u0001key\"]",
                    "monitoring.json: entry 0: [server] monitoring-key: a "
                    "monitoring key is printable ASCII");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_list_every_member),
      cmocka_unit_test(test_list_defaults),
      cmocka_unit_test(test_list_errors),
      cmocka_unit_test(test_list_key_index_past_secret),
      cmocka_unit_test(test_file_read),
      cmocka_unit_test(test_monitor_keys),
      cmocka_unit_test(test_monitor_keys_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
