/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Contexts: the configuration keys of each role, their errors (with a
 * sentence from ntspool_ctx_error), and what ntspool_ctx_ready checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ntspool.h"

static int cookies(void *u, uint16_t p, uint16_t a, const uint8_t *c2s,
                   const uint8_t *s2c, size_t len, ntspool_cookie *out,
                   size_t max) {
  (void)u, (void)p, (void)a, (void)c2s, (void)s2c, (void)len, (void)out;
  return (int)max;
}

static ntspool_ctx *source(void) {
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_SOURCE, NULL, &ctx), 0);
  return ctx;
}

static void expect(ntspool_ctx *ctx, const char *sec, const char *k,
                   const char *v, int rc, const char *in_error) {
  assert_int_equal(ntspool_ctx_set(ctx, sec, k, v), rc);
  if (in_error)
    assert_non_null(strstr(ntspool_ctx_error(ctx), in_error));
}

static void test_ctx_source_keys(void **state) {
  (void)state;
  ntspool_ctx *ctx = source();
  expect(ctx, "time-source", "cookies", "8", 0, NULL);
  expect(ctx, "time-source", "cookies", "0", NTSPOOL_ERR_CONFIG, "1 to 8");
  expect(ctx, "time-source", "cookies", "9", NTSPOOL_ERR_CONFIG, "1 to 8");
  expect(ctx, "time-source", "max-keep-alive-connections", "-1",
         NTSPOOL_ERR_CONFIG, "0 to 100000");
  expect(ctx, "time-source", "aead", "2", NTSPOOL_ERR_CONFIG,
         "not an NTS algorithm");
  expect(ctx, "time-source", "aead", "17", 0, NULL);
  expect(ctx, "time-source", "aead", "17", NTSPOOL_ERR_CONFIG, "twice");
  expect(ctx, "time-source", "record-numbering", "draft", 0, NULL);
  expect(ctx, "time-source", "record-numbering", "old", NTSPOOL_ERR_CONFIG,
         "iana or draft");
  expect(ctx, "time-source", "ntp-port", "65536", NTSPOOL_ERR_CONFIG, "port");
  expect(ctx, "time-source", "idle-timeout-ms", "0", NTSPOOL_ERR_CONFIG,
         "milliseconds");
  expect(ctx, "time-source", "max-message-bytes", "512", NTSPOOL_ERR_CONFIG,
         "1024 to 65535");
  expect(ctx, "time-source", "ntp-server", "", NTSPOOL_ERR_CONFIG, "empty");
  expect(ctx, "time-source", "tls-ciphersuites",
         "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", 0, NULL);
  expect(ctx, "time-source", "tls-ciphersuites", "AES128-SHA",
         NTSPOOL_ERR_CONFIG, "not a list of TLS 1.3 cipher suites");
  expect(ctx, "time-source", "colour", "blue", NTSPOOL_ERR_CONFIG,
         "[time-source] colour: unknown key");
  expect(ctx, "server", "listen", "x", NTSPOOL_ERR_CONFIG,
         "[server] listen: unknown section");
  assert_int_equal(ntspool_ctx_set(ctx, NULL, "a", "b"),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_ctx_unref(ctx);
}

/* A certificate, key or CA path that names a directory or a FIFO fails
 * ctx_ready with an error, and at once: the TLS libraries' own file
 * readers would take a directory's size from the file system (2^63 on
 * ext4) and wait forever on a FIFO. */
static void test_ctx_credential_not_a_file(void **state) {
  (void)state;
  char dir[] = "/tmp/ntspool-ctx-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char fifo[64];
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  const char *bad[] = {dir, fifo};
  for (size_t b = 0; b < 2; b++)
    for (size_t k = 0; k < 2; k++) { /* k: the chain, then the key */
      ntspool_ctx *ctx = source();
      ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION, cookies, NULL};
      assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
      expect(ctx, "time-source", "certificate-chain-path",
             k == 0 ? bad[b] : "tests/pki/timesource.pem", 0, NULL);
      expect(ctx, "time-source", "private-key-path",
             k == 1 ? bad[b] : "tests/pki/timesource.key", 0, NULL);
      int rc = ntspool_ctx_ready(ctx);
      assert_true(rc == NTSPOOL_ERR_CONFIG || rc == NTSPOOL_ERR_NOT_FOUND);
      ntspool_ctx_unref(ctx);
    }
  /* A CA path: a FIFO is refused; a directory's FIFO is skipped. */
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx), 0);
  expect(ctx, "client", "certificate-authority-path", fifo, 0, NULL);
  assert_true(ntspool_ctx_ready(ctx) < 0);
  ntspool_ctx_unref(ctx);
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx), 0);
  expect(ctx, "client", "certificate-authority-path", dir, 0, NULL);
  assert_true(ntspool_ctx_ready(ctx) < 0); /* nothing in it parsed */
  ntspool_ctx_unref(ctx);
  unlink(fifo);
  rmdir(dir);
}

static void test_ctx_ready_checks(void **state) {
  (void)state;
  ntspool_ctx *ctx = source();
  /* No cookie callback. */
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "cookie callback"));
  ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION, cookies, NULL};
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
  /* No certificate. */
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "certificate-chain-path"));
  /* A token file that is not there. */
  expect(ctx, "time-source", "accepted-token-path", "/nonexistent/tokens", 0,
         NULL);
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_NOT_FOUND);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "/nonexistent/tokens"));
  ntspool_ctx_unref(ctx);

  ctx = source();
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
  expect(ctx, "time-source", "certificate-chain-path", "tests/pki/ca.pem", 0,
         NULL);
  expect(ctx, "time-source", "private-key-path", "tests/pki/localhost.key", 0,
         NULL);
  /* The key does not belong to the certificate. */
  assert_true(ntspool_ctx_ready(ctx) < 0);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "tests/pki/ca.pem"));
  ntspool_ctx_unref(ctx);

  ctx = source();
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
  expect(ctx, "time-source", "certificate-chain-path",
         "tests/pki/timesource.pem", 0, NULL);
  expect(ctx, "time-source", "private-key-path", "tests/pki/timesource.key", 0,
         NULL);
  assert_int_equal(ntspool_ctx_ready(ctx), 0);
  /* Ready contexts are immutable. */
  assert_int_equal(ntspool_ctx_set(ctx, "time-source", "cookies", "4"),
                   NTSPOOL_ERR_STATE);
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_STATE);
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), NTSPOOL_ERR_STATE);
  ntspool_ctx_unref(ctx);
}

static void test_ctx_pool_keys(void **state) {
  (void)state;
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &ctx), 0);
  /* Policy keys pass through, with the policy's sentence on error. */
  expect(ctx, "selection", "strategy", "round-robin", 0, NULL);
  expect(ctx, "selection", "strategy", "lottery", NTSPOOL_ERR_CONFIG,
         "strategy");
  expect(ctx, "upstream a", "weight", "x", NTSPOOL_ERR_CONFIG, "weight");
  expect(ctx, "upstream-tls", "timesource-timeout-ms", "2500", 0, NULL);
  expect(ctx, "upstream-tls", "nonsense", "1", NTSPOOL_ERR_CONFIG,
         "[upstream-tls] nonsense: unknown key");
  expect(ctx, "client", "aead", "15", NTSPOOL_ERR_CONFIG,
         "[client] aead: unknown section");
  /* A pool needs its upstream callbacks. */
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "upstream callbacks"));
  ntspool_ctx_unref(ctx);
}

static int up_open(void *u, const ntspool_upstream_target *t, ntspool_io *io) {
  (void)u, (void)t, (void)io;
  return NTSPOOL_ERR_IO;
}

static void up_close(void *u, ntspool_io *io) {
  (void)u, (void)io;
}

static bool up_reusable(void *u, ntspool_io *io) {
  (void)u, (void)io;
  return false;
}

/* Each callback table is checked against its own version macro, and the
 * reference pair and the read-only policy view work as documented. */
static void test_ctx_callback_versions_and_refs(void **state) {
  (void)state;
  ntspool_ctx *pool;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &pool), 0);
  ntspool_upstream_ops up = {NTSPOOL_UPSTREAM_OPS_VERSION, up_open, up_close,
                             up_reusable, NULL};
  ntspool_upstream_ops bad = up;
  bad.version = NTSPOOL_IO_VERSION; /* the macro 0.1 had these use */
  assert_int_equal(ntspool_ctx_set_upstream_ops(pool, &bad),
                   NTSPOOL_ERR_INVALID_ARG);
  bad = up;
  bad.reusable = NULL;
  assert_int_equal(ntspool_ctx_set_upstream_ops(pool, &bad),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ctx_set_upstream_ops(pool, &up), 0);
  assert_ptr_equal(ntspool_ctx_ref(pool), pool);
  ntspool_ctx_unref(pool);
  const ntspool_policy *pol = ntspool_ctx_policy(pool);
  assert_non_null(pol);
  ntspool_policy_stats st;
  assert_int_equal(ntspool_policy_get_stats(pol, &st), 0);
  assert_int_equal(st.sources, 0);
  ntspool_ctx_unref(pool);
  assert_null(ntspool_ctx_ref(NULL));

  ntspool_ctx *ctx = source();
  assert_null(ntspool_ctx_policy(ctx));
  ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION + 1, cookies, NULL};
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops),
                   NTSPOOL_ERR_INVALID_ARG);
  ops.version = NTSPOOL_SOURCE_OPS_VERSION;
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
  ntspool_ctx_unref(ctx);
}

static void test_ctx_client_defaults(void **state) {
  (void)state;
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx), 0);
  expect(ctx, "client", "certificate-authority-path", "tests/pki/ca.pem", 0,
         NULL);
  expect(ctx, "client", "certificate-chain-path", "tests/pki/pool-client.pem",
         0, NULL);
  /* A certificate without its key. */
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "both"));
  ntspool_ctx_unref(ctx);
  assert_int_equal(ntspool_ctx_new((enum ntspool_role)7, NULL, &ctx),
                   NTSPOOL_ERR_INVALID_ARG);
}

/* The bytes of tests/pki/NAME, from a fixed buffer. */
static const char *pki(const char *name, size_t *len) {
  static char bufs[3][8192];
  static int next;
  char path[64];
  snprintf(path, sizeof path, "tests/pki/%s", name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char *b = bufs[next++ % 3];
  *len = fread(b, 1, sizeof bufs[0] - 1, f);
  fclose(f);
  b[*len] = '\0';
  return b;
}

/* ntspool_ctx_set_credentials_pem and _set_ca_pem: which sections each
 * role has, and the rule that a certificate comes from paths or from
 * memory, never both. */
static void test_ctx_credentials_pem(void **state) {
  (void)state;
  size_t cl, kl, al;
  const char *chain = pki("timesource.pem", &cl);
  const char *key = pki("timesource.key", &kl);
  const char *ca = pki("ca.pem", &al);
  ntspool_ctx *ctx = source();
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(NULL, "time-source", chain, cl, key, kl),
      NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(ctx, NULL, chain, cl, key, kl),
      NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(ctx, "time-source", chain, 0, key, kl),
      NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(ctx, "time-source", chain, cl, NULL, kl),
      NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(ctx, "server", chain, cl, key, kl),
      NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "[server]"));
  assert_int_equal(ntspool_ctx_set_ca_pem(ctx, "time-source", ca, al),
                   NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_ctx_set_ca_pem(ctx, "client", ca, al),
                   NTSPOOL_ERR_CONFIG);
  ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION, cookies, NULL};
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
  /* Garbage in memory fails at ready, as a bad file does. */
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(ctx, "time-source", "junk", 4, key, kl),
      0);
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "in memory"));
  /* A repeated call replaces the bytes. */
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(ctx, "time-source", chain, cl, key, kl),
      0);
  expect(ctx, "time-source", "certificate-chain-path",
         "tests/pki/timesource.pem", 0, NULL);
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "both"));
  ntspool_ctx_unref(ctx);

  ctx = source();
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(ctx, "time-source", chain, cl, key, kl),
      0);
  assert_int_equal(ntspool_ctx_ready(ctx), 0);
  assert_int_equal(
      ntspool_ctx_set_credentials_pem(ctx, "time-source", chain, cl, key, kl),
      NTSPOOL_ERR_STATE);
  ntspool_ctx_unref(ctx);

  /* A client: its CA, and its certificate, in the [client] section. */
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx), 0);
  assert_int_equal(ntspool_ctx_set_ca_pem(ctx, "upstream-tls", ca, al),
                   NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_ctx_set_ca_pem(ctx, "client", ca, al), 0);
  expect(ctx, "client", "certificate-authority-path", "tests/pki/ca.pem", 0,
         NULL);
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_ctx_error(ctx), "both"));
  ntspool_ctx_unref(ctx);
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx), 0);
  assert_int_equal(ntspool_ctx_set_ca_pem(ctx, "client", "junk", 4), 0);
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  ntspool_ctx_unref(ctx);
}

static void *no_malloc(size_t size, void *user) {
  (void)size, (void)user;
  return NULL;
}

static void no_free(void *p, void *user) {
  (void)p, (void)user;
}

/* One allocator rule for every function that takes one: NULL or both
 * functions; half of one is refused, not replaced by malloc/free. */
static void test_ctx_allocator_rule(void **state) {
  (void)state;
  const ntspool_allocator halves[] = {{no_malloc, NULL, NULL},
                                      {NULL, no_free, NULL}};
  for (size_t i = 0; i < 2; i++) {
    ntspool_ctx *ctx = NULL;
    assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, &halves[i], &ctx),
                     NTSPOOL_ERR_INVALID_ARG);
    assert_null(ctx);
    ntspool_policy *p = NULL;
    assert_int_equal(ntspool_policy_new(&halves[i], NULL, &p),
                     NTSPOOL_ERR_INVALID_ARG);
    ntspool_poolclient *pc = NULL;
    assert_int_equal(ntspool_poolclient_new(1, &halves[i], &pc),
                     NTSPOOL_ERR_INVALID_ARG);
    assert_null(pc);
  }
  /* A whole one is used: this one has no memory to give. */
  const ntspool_allocator none = {no_malloc, no_free, NULL};
  ntspool_ctx *ctx = NULL;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, &none, &ctx),
                   NTSPOOL_ERR_NO_MEMORY);
  ntspool_poolclient *pc = NULL;
  assert_int_equal(ntspool_poolclient_new(1, &none, &pc),
                   NTSPOOL_ERR_NO_MEMORY);
  /* And the logger of a NULL context. */
  assert_int_equal(ntspool_ctx_set_logger(NULL, NULL, NULL, NTSPOOL_LOG_INFO),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ctx_ready(NULL), NTSPOOL_ERR_INVALID_ARG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ctx_source_keys),
      cmocka_unit_test(test_ctx_ready_checks),
      cmocka_unit_test(test_ctx_credential_not_a_file),
      cmocka_unit_test(test_ctx_pool_keys),
      cmocka_unit_test(test_ctx_client_defaults),
      cmocka_unit_test(test_ctx_credentials_pem),
      cmocka_unit_test(test_ctx_allocator_rule),
      cmocka_unit_test(test_ctx_callback_versions_and_refs),
  };
  return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
