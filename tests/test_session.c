/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The four roles end to end over in-memory pipes: pool-aware client ->
 * pool session -> upstream connection -> time-source session, in both
 * record numberings, with keep-alive reuse, one-byte transports, Server
 * Deny, and the failure matrix (every failure before and after the Fixed
 * Key Request, asserting that no client's keys ever reach two sources).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/hex.h"
#include "session/session_internal.h"
#include "support/world.h"

static world W;

static int teardown(void **state) {
  (void)state;
  /* Every WOULD_BLOCK of every test named what it waits on correctly. */
  if (W.wants_bad)
    fail_msg("%zu WOULD_BLOCKs misreported: %s", W.wants_bad, W.wants_error);
  world_free(&W);
  return 0;
}

/* The wants checks of world.h ran on both sides of the pool. */
static void assert_wants_checked(bool upstream) {
  assert_int_equal(W.wants_bad, 0);
  assert_true(W.wants_client > 0);
  if (upstream)
    assert_true(W.wants_upstream > 0);
}

/* The keys the client exported are the keys the source minted cookies
 * from, and they went to exactly one source. */
static void assert_keys_match(const ntspool_ke_result *res, size_t n_keys) {
  assert_int_equal(W.n_keys, n_keys);
  const world_keys *k = &W.keys[W.n_keys - 1];
  assert_int_equal(k->aead, res->aead);
  assert_int_equal(k->protocol, res->protocol);
  assert_int_equal(k->key_len, res->key_len);
  assert_memory_equal(k->c2s, res->c2s, res->key_len);
  assert_memory_equal(k->s2c, res->s2c, res->key_len);
  assert_memory_not_equal(k->c2s, k->s2c, res->key_len);
}

static void run_chain(enum ntspool_numbering n, const char *aead,
                      size_t key_len) {
  const char *extra[] = {"client", "aead", aead, NULL};
  world_init(&W, 1, n, extra);
  ntspool_ke_result res;
  ntspool_outcome out;
  char source[64];
  assert_int_equal(
      world_run_client(&W, -1, NULL, 4, &res, &out, source, sizeof source), 0);
  assert_int_equal(out.status, 0);
  assert_false(out.sent_error);
  assert_int_equal(out.result, NTSPOOL_RESULT_OK);
  assert_int_equal(W.client_out.result, NTSPOOL_RESULT_OK);
  assert_string_equal(source, "ts1");
  assert_int_equal(res.protocol, 0);
  assert_int_equal(res.key_len, key_len);
  assert_int_equal(res.n_cookies, 8);
  assert_memory_equal(res.cookies[0].data, "cookie-0-0-", 11);
  /* The source sent no Server record: the pool names its domain. */
  assert_string_equal(res.server, "ts1.test");
  assert_int_equal(res.port, 123);
  assert_keys_match(&res, 1);
  /* One support query and one Fixed Key Request, each timed. */
  ntspool_source_stats st = world_source_stats(&W, "ts1");
  assert_int_equal(st.latency[NTSPOOL_EXCHANGE_SUPPORT][1].count, 1);
  assert_int_equal(st.latency[NTSPOOL_EXCHANGE_FIXED_KEY][1].count, 1);
  assert_int_equal(st.latency[NTSPOOL_EXCHANGE_SUPPORT][0].count, 0);
  assert_int_equal(st.latency[NTSPOOL_EXCHANGE_FIXED_KEY][0].count, 0);
}

static void test_session_chain_aead15_iana(void **state) {
  (void)state;
  run_chain(NTSPOOL_NUMBERING_IANA, "15", 32);
}

static void test_session_chain_aead17_iana(void **state) {
  (void)state;
  run_chain(NTSPOOL_NUMBERING_IANA, "17", 64);
}

static void test_session_chain_aead15_draft(void **state) {
  (void)state;
  run_chain(NTSPOOL_NUMBERING_DRAFT, "15", 32);
}

static void test_session_chain_aead17_draft(void **state) {
  (void)state;
  run_chain(NTSPOOL_NUMBERING_DRAFT, "17", 64);
}

/* The client role straight against a time source (no pool). */
static void test_session_client_to_source(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_ke_result res;
  assert_int_equal(world_run_client(&W, 0, NULL, 4, &res, NULL, NULL, 0), 0);
  assert_int_equal(res.aead, 17); /* the client's first choice */
  assert_string_equal(res.server, "ts1.test");
  assert_keys_match(&res, 1);
}

/* The older way (doc/protocol.md section 7.3): the pool presents a client
 * certificate that the source lists byte for byte, and sends no token. */
static void test_session_chain_cert_auth(void **state) {
  (void)state;
  world_init_cert_auth(&W, 1);
  for (size_t i = 1; i <= 2; i++) {
    ntspool_ke_result res;
    assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
    assert_keys_match(&res, i);
  }
  assert_int_equal(world_links_opened(&W, 0), 1);
}

/* A pool without token or certificate gets Bad Request from the source. */
static void test_session_no_auth_refused(void **state) {
  (void)state;
  world_init_cert_auth(&W, 1);
  W.sources[0].fault = WORLD_WRONG_TOKEN; /* a source that knows no pool */
  ntspool_outcome out;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, NULL, &out, NULL, 0),
                   NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(out.nts_error, NTSPOOL_NTS_INTERNAL_ERROR);
  assert_int_equal(W.n_keys, 0);
}

/* Debug logging of a whole chain and of refusals never shows a key, a
 * cookie or a token. */
static void test_session_logs_no_secrets(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_ke_result res;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
  W.sources[0].fault = WORLD_WRONG_TOKEN;
  world_run_client(&W, -1, NULL, 4, NULL, NULL, NULL, 0);
  assert_true(W.log_len > 0);
  W.log[W.log_len] = '\0';
  assert_null(strstr(W.log, "c680e5f1")); /* the token */
  assert_null(strstr(W.log, "cookie-"));  /* cookies */
  assert_null(strstr(W.log, "another-token"));
  char hex[9];
  snprintf(hex, sizeof hex, "%02x%02x%02x%02x", res.c2s[0], res.c2s[1],
           res.c2s[2], res.c2s[3]);
  assert_null(strstr(W.log, hex));
}

/* A source closes a kept-alive connection that stayed idle: the pool
 * notices before reuse and opens a new one; the client never suffers. */
static void test_session_idle_close_noticed(void **state) {
  (void)state;
  const char *extra[] = {"time-source", "idle-timeout-ms", "1000", NULL};
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, extra);
  ntspool_ke_result res;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
  assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
  assert_int_equal(world_links_opened(&W, 0), 1);
  for (int i = 0; i < 30; i++) { /* 3 s pass: the source hangs up */
    W.now += 100;
    world_step_sources(&W);
  }
  assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
  assert_keys_match(&res, 3);
  assert_int_equal(world_links_opened(&W, 0), 2);
}

/* With list-server-names the pool learns the names a source puts in Server
 * records from its capability answer, so a client's deny of such a name
 * steers it away even though it is not the source's domain. */
static void test_session_list_server_names(void **state) {
  (void)state;
  const char *extra[] = {"time-source 0",
                         "ntp-server",
                         "ntp-a.example",
                         "upstream ts1",
                         "list-server-names",
                         "true",
                         "upstream ts2",
                         "list-server-names",
                         "true",
                         NULL};
  world_init(&W, 2, NTSPOOL_NUMBERING_IANA, extra);
  ntspool_policy *pol = W.pool->policy;
  ntspool_registry *reg = ntspool_policy_acquire(pol);
  const ntspool_source *ts1 = ntspool_registry_find(reg, "ts1");
  const ntspool_source *ts2 = ntspool_registry_find(reg, "ts2");
  ntspool_caps caps;
  /* Plain clients until both sources' capabilities are known. */
  for (int i = 0; i < 60; i++) {
    if (ntspool_policy_caps_lookup(pol, ts1, NTSPOOL_FAMILY_IPV4, W.now,
                                   &caps) == NTSPOOL_CAPS_HIT &&
        ntspool_policy_caps_lookup(pol, ts2, NTSPOOL_FAMILY_IPV4, W.now,
                                   NULL) == NTSPOOL_CAPS_HIT)
      break;
    assert_int_equal(world_run_client(&W, -1, NULL, 4, NULL, NULL, NULL, 0), 0);
  }
  assert_int_equal(caps.n_names, 1);
  ntspool_registry_unref(reg);
  const char *denied[] = {"ntp-a.example", NULL};
  for (int i = 0; i < 8; i++) {
    ntspool_ke_result res;
    assert_int_equal(world_run_client(&W, -1, denied, 4, &res, NULL, NULL, 0),
                     0);
    assert_string_equal(res.server, "ts2.test");
  }
}

/* A reload with ntspool_ctx_keep_state keeps the upstream connection (and
 * health, capabilities) of an unchanged source; a session that started
 * before the reload finishes on the old context. */
static void test_session_reload_keeps_state(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_ke_result res;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
  ntspool_ctx *old = W.pool;
  W.pool = world_new_pool(&W, old, NULL);
  ntspool_ctx_unref(old);
  for (size_t i = 2; i <= 4; i++) {
    assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
    assert_keys_match(&res, i);
  }
  assert_int_equal(world_links_opened(&W, 0), 1);
}

/* A replacement that fails to configure changes nothing for the running
 * context, and leaves no staged keys in the state they share. */
static void test_session_reload_failed(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_ke_result res;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
  ntspool_ctx *bad;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &bad), 0);
  assert_int_equal(ntspool_ctx_keep_state(bad, bad), NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ctx_keep_state(bad, W.pool), 0);
  assert_int_equal(ntspool_ctx_set(bad, "upstream gone", "domain", "x.test"),
                   0);
  assert_int_equal(ntspool_ctx_set(bad, "selection", "strategy", "lottery"),
                   NTSPOOL_ERR_CONFIG);
  ntspool_ctx_unref(bad);
  /* A later good reload sees none of the bad one's keys. */
  ntspool_ctx *old = W.pool;
  W.pool = world_new_pool(&W, old, NULL);
  ntspool_ctx_unref(old);
  ntspool_registry *reg = ntspool_policy_acquire(W.pool->policy);
  assert_int_equal(ntspool_registry_count(reg), 1);
  assert_null(ntspool_registry_find(reg, "gone"));
  ntspool_registry_unref(reg);
  assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
  assert_keys_match(&res, 2);
  assert_int_equal(world_links_opened(&W, 0), 1);
}

/* Several clients over one kept-alive upstream connection: one support
 * query and one TLS handshake for all of them. */
static void test_session_keep_alive_reuse(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  for (size_t i = 1; i <= 6; i++) {
    ntspool_ke_result res;
    assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
    assert_keys_match(&res, i);
  }
  assert_int_equal(world_links_opened(&W, 0), 1);
}

/* The context's expiry pair closes the kept-alive connection once it
 * outlived its idle limit (connection-cache-max-idle-s, 300 s); a context
 * without a pool has nothing due. */
static void test_session_ctx_expiry(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  assert_int_equal(ntspool_ctx_expiry(W.pool), NTSPOOL_TIME_NEVER);
  ntspool_time_ms t0 = W.now;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, NULL, NULL, NULL, 0), 0);
  ntspool_time_ms due = ntspool_ctx_expiry(W.pool);
  assert_true(due >= t0 + 300000 && due <= W.now + 300000);
  assert_int_equal(ntspool_ctx_handle_expiry(W.pool, due - 1), 0);
  assert_int_equal(ntspool_ctx_expiry(W.pool), due); /* not yet */
  assert_int_equal(ntspool_ctx_handle_expiry(W.pool, due), 0);
  assert_int_equal(ntspool_ctx_expiry(W.pool), NTSPOOL_TIME_NEVER);
  W.now = due;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, NULL, NULL, NULL, 0), 0);
  assert_int_equal(world_links_opened(&W, 0), 2); /* a fresh connection */
  assert_int_equal(ntspool_ctx_expiry(W.sources[0].ctx), NTSPOOL_TIME_NEVER);
  assert_int_equal(ntspool_ctx_expiry(W.client), NTSPOOL_TIME_NEVER);
  assert_int_equal(ntspool_ctx_expiry(NULL), NTSPOOL_TIME_NEVER);
  assert_int_equal(ntspool_ctx_handle_expiry(W.client, W.now), 0);
  assert_int_equal(ntspool_ctx_handle_expiry(NULL, W.now),
                   NTSPOOL_ERR_INVALID_ARG);
}

static void test_session_one_byte_at_a_time(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  W.pipe_max_per_call = 1;
  W.pipe_block_alternate = true;
  for (size_t i = 1; i <= 2; i++) {
    ntspool_ke_result res;
    assert_int_equal(world_run_client(&W, -1, NULL, 6, &res, NULL, NULL, 0), 0);
    assert_keys_match(&res, i);
  }
  assert_wants_checked(true);
  /* The handshake's end and the upstream phase moved the deadline. */
  assert_true(W.wants_deadline > 0);
}

/* Server Deny: a client that already uses ts1.test gets ts2.test. */
static void test_session_deny(void **state) {
  (void)state;
  world_init(&W, 2, NTSPOOL_NUMBERING_IANA, NULL);
  const char *denied[] = {"ts1.test", NULL};
  for (int i = 0; i < 8; i++) {
    ntspool_ke_result res;
    assert_int_equal(world_run_client(&W, -1, denied, 4, &res, NULL, NULL, 0),
                     0);
    assert_string_equal(res.server, "ts2.test");
  }
}

/* A fault before the keys are sent: the only source -> Internal Server
 * Error, and no source ever saw keys. */
static void fault_single(enum world_fault f) {
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  W.sources[0].fault = f;
  ntspool_time_ms start = W.now;
  ntspool_outcome out;
  int rc = world_run_client(&W, -1, NULL, 4, NULL, &out, NULL, 0);
  assert_int_equal(rc, NTSPOOL_ERR_PEER_ERROR);
  assert_true(out.sent_error);
  assert_int_equal(out.nts_error, NTSPOOL_NTS_INTERNAL_ERROR);
  /* Both ends classify it alike: the pool sent an Error, the client got
   * one. */
  assert_int_equal(out.result, NTSPOOL_RESULT_NTS_ERROR);
  assert_int_equal(W.client_out.result, NTSPOOL_RESULT_NTS_ERROR);
  assert_int_equal(W.client_out.nts_error, NTSPOOL_NTS_INTERNAL_ERROR);
  assert_int_equal(W.n_keys, 0);
  /* Answered within the key-exchange timeout (5 s). */
  assert_true(W.now - start < 5000);
  /* A refused, closed or garbled link fails without ever blocking. */
  assert_wants_checked(f == WORLD_STALL || f == WORLD_WRONG_TOKEN);
}

static void test_session_fault_refused(void **state) {
  (void)state;
  fault_single(WORLD_REFUSE);
}

static void test_session_fault_closed(void **state) {
  (void)state;
  fault_single(WORLD_CLOSE_AT_ONCE);
}

static void test_session_fault_stall(void **state) {
  (void)state;
  fault_single(WORLD_STALL);
}

static void test_session_fault_garbage(void **state) {
  (void)state;
  fault_single(WORLD_GARBAGE);
}

/* The source answers the support query with an Error record. */
static void test_session_fault_error_before_keys(void **state) {
  (void)state;
  fault_single(WORLD_WRONG_TOKEN);
}

/* A fault before the keys: the pool moves on to the healthy source. */
static void fault_then_other(enum world_fault f) {
  world_init(&W, 2, NTSPOOL_NUMBERING_IANA, NULL);
  W.sources[0].fault = f;
  for (size_t i = 1; i <= 6; i++) {
    ntspool_ke_result res;
    assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
    assert_string_equal(res.server, "ts2.test");
    assert_keys_match(&res, i);
    assert_int_equal(W.keys[i - 1].source, 1);
  }
}

static void test_session_fault_refused_moves_on(void **state) {
  (void)state;
  fault_then_other(WORLD_REFUSE);
}

static void test_session_fault_garbage_moves_on(void **state) {
  (void)state;
  fault_then_other(WORLD_GARBAGE);
}

/* A fault after the keys: Internal Server Error, never a second source. */
static void fault_after_keys(enum world_fault f) {
  world_init(&W, 2, NTSPOOL_NUMBERING_IANA, NULL);
  W.sources[0].fault = W.sources[1].fault = f;
  for (int i = 0; i < 4; i++) {
    size_t before = W.n_keys;
    ntspool_time_ms t0 = W.now;
    ntspool_outcome out;
    int rc = world_run_client(&W, -1, NULL, 4, NULL, &out, NULL, 0);
    assert_true(W.now - t0 < 5000); /* within the key-exchange timeout */
    assert_int_equal(rc, NTSPOOL_ERR_PEER_ERROR);
    assert_int_equal(out.nts_error, NTSPOOL_NTS_INTERNAL_ERROR);
    assert_int_equal(out.result, NTSPOOL_RESULT_NTS_ERROR);
    assert_int_equal(W.client_out.result, NTSPOOL_RESULT_NTS_ERROR);
    assert_int_equal(W.n_keys, before + 1); /* exactly one source */
  }
  assert_wants_checked(true);
}

static void test_session_fault_close_after_keys(void **state) {
  (void)state;
  fault_after_keys(WORLD_CLOSE_AFTER_KEYS);
}

static void test_session_fault_error_after_keys(void **state) {
  (void)state;
  fault_after_keys(WORLD_ERROR_AFTER_KEYS);
}

static void test_session_fault_stall_after_keys(void **state) {
  (void)state;
  fault_after_keys(WORLD_STALL_AFTER_KEYS);
}

/* ---- How sessions end: ntspool_outcome.result ---------------------------- */

/* A pool session on pipe p (the client at end 0), stepped as the world's
 * clock moves until it ends. */
static int serve(ntspool_test_pipe *p, ntspool_session **out) {
  ntspool_peer peer = {4, "127.0.0.1"};
  assert_int_equal(ntspool_session_new_server(
                       W.pool, ntspool_test_pipe_io(p, 1), &peer, W.now, out),
                   0);
  int rc = NTSPOOL_ERR_WOULD_BLOCK;
  for (int i = 0; i < 1000 && rc == NTSPOOL_ERR_WOULD_BLOCK; i++) {
    rc = ntspool_session_step(*out, W.now);
    W.now += 100;
  }
  return rc;
}

/* The classes a server session ends in without answering: a client that
 * never speaks, one that hangs up, one that does not speak TLS; and one
 * that has not ended. */
static void test_session_result_server_failures(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_outcome o;
  ntspool_session *s;
  char text[256];
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  assert_int_equal(serve(p, &s), NTSPOOL_ERR_TIMEOUT);
  ntspool_session_outcome(s, &o);
  assert_int_equal(o.result, NTSPOOL_RESULT_TIMEOUT);
  assert_int_equal(o.status, NTSPOOL_ERR_TIMEOUT);
  assert_string_equal(ntspool_session_tls_error(s, text, sizeof text),
                      "no error");
  ntspool_session_free(s);
  ntspool_test_pipe_free(p);

  p = ntspool_test_pipe_new(0);
  ntspool_test_pipe_shutdown(p, 0);
  assert_int_equal(serve(p, &s), NTSPOOL_ERR_EOF);
  ntspool_session_outcome(s, &o);
  assert_int_equal(o.result, NTSPOOL_RESULT_DROPPED);
  ntspool_session_free(s);
  ntspool_test_pipe_free(p);

  p = ntspool_test_pipe_new(0);
  static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const ntspool_io *cio = ntspool_test_pipe_io(p, 0);
  cio->send(cio->user_data, junk, sizeof junk - 1);
  assert_int_equal(serve(p, &s), NTSPOOL_ERR_TLS);
  ntspool_session_outcome(s, &o);
  assert_int_equal(o.result, NTSPOOL_RESULT_TLS);
  assert_int_not_equal(o.tls_error, 0);
  /* The text starts with the backend's words for the raw code. */
  char raw[256];
  ntspool_tls_error_text(o.tls_error, raw, sizeof raw);
  assert_string_not_equal(raw, "no error");
  assert_memory_equal(ntspool_session_tls_error(s, text, sizeof text), raw,
                      strlen(raw));
  ntspool_session_free(s);

  ntspool_peer peer = {4, "127.0.0.1"};
  assert_int_equal(ntspool_session_new_server(
                       W.pool, ntspool_test_pipe_io(p, 1), &peer, W.now, &s),
                   0);
  ntspool_session_outcome(s, &o);
  assert_int_equal(o.result, NTSPOOL_RESULT_PENDING);
  ntspool_session_free(s);
  ntspool_test_pipe_free(p);
}

/* A client session against a bare TLS server that answers its request
 * with resp_hex. */
static int client_against(const char *resp_hex, ntspool_outcome *o) {
  ntspool_tls_server_options so = {
      .cred = {.chain_path = "tests/pki/localhost.pem",
               .key_path = "tests/pki/localhost.key"}};
  ntspool_tls_config *cfg;
  assert_int_equal(ntspool_tls_config_new_server(&cfg, &so, NULL, NULL), 0);
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  ntspool_tls *srv;
  assert_int_equal(ntspool_tls_new(&srv, cfg, ntspool_test_pipe_io(p, 1), NULL),
                   0);
  ntspool_session *c;
  assert_int_equal(ntspool_session_new_client(W.client,
                                              ntspool_test_pipe_io(p, 0),
                                              "localhost", NULL, 0, W.now, &c),
                   0);
  uint8_t resp[256], buf[2048];
  size_t resp_len = ntspool_test_hex(resp_hex, resp, sizeof resp);
  bool answered = false;
  int rc = NTSPOOL_ERR_WOULD_BLOCK;
  for (int i = 0; i < 10000 && rc == NTSPOOL_ERR_WOULD_BLOCK; i++) {
    rc = ntspool_session_step(c, W.now);
    if (!answered && ntspool_tls_read(srv, buf, sizeof buf) > 0)
      answered = ntspool_tls_write(srv, resp, resp_len) == (int)resp_len;
    W.now += 1;
  }
  ntspool_session_outcome(c, o);
  ntspool_session_free(c);
  ntspool_tls_free(srv);
  ntspool_tls_config_unref(cfg);
  ntspool_test_pipe_free(p);
  return rc;
}

/* The classes a client tells apart in what it receives. */
static void test_session_result_client(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_outcome o;
  /* No cookies: not a valid key exchange. */
  assert_int_equal(client_against("800100020000 80040002000f 80000000", &o),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(o.result, NTSPOOL_RESULT_BAD_RESPONSE);
  assert_int_equal(client_against("800200020001 80000000", &o),
                   NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(o.result, NTSPOOL_RESULT_NTS_ERROR);
  assert_int_equal(o.nts_error, NTSPOOL_NTS_BAD_REQUEST);
  assert_int_equal(client_against("80010000 80000000", &o),
                   NTSPOOL_ERR_NO_PROTOCOL);
  assert_int_equal(o.result, NTSPOOL_RESULT_NO_OVERLAP);
  /* A server whose certificate expired: the client says why. */
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  ntspool_peer peer = {NTSPOOL_FAMILY_IPV4, "127.0.0.1"};
  ntspool_session *c, *ss;
  assert_int_equal(ntspool_session_new_server(W.expired,
                                              ntspool_test_pipe_io(p, 1), &peer,
                                              W.now, &ss),
                   0);
  assert_int_equal(ntspool_session_new_client(W.client,
                                              ntspool_test_pipe_io(p, 0),
                                              "ts1.test", NULL, 0, W.now, &c),
                   0);
  int crc = NTSPOOL_ERR_WOULD_BLOCK;
  for (int i = 0; i < 1000 && crc == NTSPOOL_ERR_WOULD_BLOCK; i++) {
    crc = ntspool_session_step(c, W.now);
    ntspool_session_step(ss, W.now);
  }
  assert_int_equal(crc, NTSPOOL_ERR_TLS);
  ntspool_session_outcome(c, &o);
  assert_int_equal(o.result, NTSPOOL_RESULT_TLS);
  char text[256];
  assert_non_null(
      strstr(ntspool_session_tls_error(c, text, sizeof text), "expired"));
  ntspool_session_free(c);
  ntspool_session_free(ss);
  ntspool_test_pipe_free(p);
  /* Through the pool: a client that offers only NTPv5 (draft). */
  world_free(&W);
  const char *extra[] = {"client", "protocol", "32769", NULL};
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, extra);
  ntspool_outcome pool;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, NULL, &pool, NULL, 0),
                   NTSPOOL_ERR_NO_PROTOCOL);
  assert_int_equal(pool.result, NTSPOOL_RESULT_NO_OVERLAP);
  assert_int_equal(W.client_out.result, NTSPOOL_RESULT_NO_OVERLAP);
}

/* An allocator that fails once told to. */
static bool out_of_memory;

static void *failing_malloc(size_t size, void *user) {
  (void)user;
  return out_of_memory ? NULL : malloc(size);
}

static void plain_free(void *p, void *user) {
  (void)user;
  free(p);
}

/* A pool that cannot allocate the work for a request it received still
 * answers it: Internal Server Error (NTS_ERROR, status NO_MEMORY, on its
 * side), which the client gets as Error 2.  tests/test_alloc_fail.c fails
 * every other allocation too. */
static void test_session_result_out_of_memory(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  const ntspool_allocator a = {failing_malloc, plain_free, NULL};
  ntspool_ctx *pool;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, &a, &pool), 0);
  assert_int_equal(ntspool_ctx_set(pool, "server", "certificate-chain-path",
                                   "tests/pki/localhost.pem"),
                   0);
  assert_int_equal(ntspool_ctx_set(pool, "server", "private-key-path",
                                   "tests/pki/localhost.key"),
                   0);
  assert_int_equal(ntspool_ctx_set(pool, "upstream ts1", "domain", "ts1.test"),
                   0);
  assert_int_equal(
      ntspool_ctx_set_upstream_ops(pool, &world_unreachable_upstream), 0);
  assert_int_equal(ntspool_ctx_ready(pool), 0);
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  ntspool_peer peer = {4, "127.0.0.1"};
  ntspool_session *c, *ps;
  assert_int_equal(ntspool_session_new_server(pool, ntspool_test_pipe_io(p, 1),
                                              &peer, W.now, &ps),
                   0);
  assert_int_equal(ntspool_session_new_client(W.client,
                                              ntspool_test_pipe_io(p, 0),
                                              "localhost", NULL, 0, W.now, &c),
                   0);
  out_of_memory = true;
  int crc = NTSPOOL_ERR_WOULD_BLOCK, prc = NTSPOOL_ERR_WOULD_BLOCK;
  for (int i = 0; i < 10000 && crc == NTSPOOL_ERR_WOULD_BLOCK; i++) {
    if (prc == NTSPOOL_ERR_WOULD_BLOCK &&
        (prc = ntspool_session_step(ps, W.now)) != NTSPOOL_ERR_WOULD_BLOCK)
      ntspool_test_pipe_shutdown(p, 1);
    crc = ntspool_session_step(c, W.now);
    W.now += 1;
  }
  out_of_memory = false;
  ntspool_outcome o;
  assert_int_equal(prc, 0);
  ntspool_session_outcome(ps, &o);
  assert_int_equal(o.result, NTSPOOL_RESULT_NTS_ERROR);
  assert_int_equal(o.status, NTSPOOL_ERR_NO_MEMORY);
  assert_true(o.sent_error);
  assert_int_equal(o.nts_error, NTSPOOL_NTS_INTERNAL_ERROR);
  assert_int_equal(crc, NTSPOOL_ERR_PEER_ERROR);
  ntspool_session_outcome(c, &o);
  assert_int_equal(o.result, NTSPOOL_RESULT_NTS_ERROR);
  assert_int_equal(o.nts_error, NTSPOOL_NTS_INTERNAL_ERROR);
  ntspool_session_free(c);
  ntspool_session_free(ps);
  ntspool_test_pipe_free(p);
  ntspool_ctx_unref(pool);
}

static void test_session_result_names(void **state) {
  (void)state;
  static const char *const want[] = {"pending",   "ok",           "no_overlap",
                                     "nts_error", "timeout",      "tls",
                                     "dropped",   "bad_response", "internal"};
  for (int r = NTSPOOL_RESULT_PENDING; r <= NTSPOOL_RESULT_INTERNAL; r++)
    assert_string_equal(ntspool_result_name((enum ntspool_result)r), want[r]);
  assert_string_equal(
      ntspool_result_name((enum ntspool_result)(NTSPOOL_RESULT_INTERNAL + 1)),
      "unknown");
}

/* A time source whose certificate expired: the pool says so in the log,
 * as a warning, with the backend's words, not only "TLS failed". */
static void test_session_upstream_cert_logged(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  W.sources[0].fault = WORLD_EXPIRED_CERT;
  ntspool_outcome out;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, NULL, &out, NULL, 0),
                   NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(W.n_keys, 0);
  W.log[W.log_len] = '\0';
  const char *line = strstr(W.log, "WARN pool: peer=127.0.0.1 source=ts1 "
                                   "failed before keys were sent: TLS failed");
  assert_non_null(line);
  const char *end = strchr(line, '\n');
  char text[512];
  snprintf(text, sizeof text, "%.*s", (int)(end - line), line);
  assert_non_null(strstr(text, "expired"));
}

/* ---- Credentials from memory ---------------------------------------------
 * Pool and time sources with their certificates, keys and CAs given as
 * bytes (the pool's client certificate too, which the sources authorize
 * by file) talk to a client whose CA is a file, and the other way round. */
static void test_session_credentials_from_memory(void **state) {
  (void)state;
  world_init_pem(&W, 1);
  ntspool_ke_result res;
  for (size_t i = 1; i <= 2; i++) {
    assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
    assert_keys_match(&res, i);
  }
  assert_int_equal(world_run_client(&W, 0, NULL, 4, &res, NULL, NULL, 0), 0);
  assert_keys_match(&res, 3);
  world_free(&W);
  /* A client whose CA comes from memory, against a pool from files. */
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_ctx *c;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &c), 0);
  size_t len;
  char *ca = world_read_file("tests/pki/ca.pem", &len);
  assert_int_equal(ntspool_ctx_set_ca_pem(c, "client", ca, len), 0);
  free(ca);
  assert_int_equal(ntspool_ctx_ready(c), 0);
  ntspool_ctx_unref(W.client);
  W.client = c;
  assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, NULL, NULL, 0), 0);
  assert_keys_match(&res, 1);
}

/* ---- Raw requests: the NTS errors the protocol prescribes -------------- */

static void raw(int target, const char *req_hex, const char *want_hex) {
  uint8_t req[512], resp[4096], want[512];
  size_t req_len = ntspool_test_hex(req_hex, req, sizeof req);
  size_t want_len = ntspool_test_hex(want_hex, want, sizeof want);
  size_t resp_len;
  assert_int_equal(world_raw_exchange(&W, target, req, req_len, resp,
                                      sizeof resp, &resp_len),
                   0);
  assert_int_equal(resp_len, want_len);
  assert_memory_equal(resp, want, want_len);
}

static void test_session_pool_refuses(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  /* Vector 60: unknown critical record -> Error 0. */
  raw(-1, "80040002000f 800100020000 803200020001 80000000",
      "800200020000 80000000");
  assert_int_equal(W.raw_out.result, NTSPOOL_RESULT_NTS_ERROR);
  /* Vector 50: no AEAD -> Bad Request. */
  raw(-1, "800100020000 80000000", "800200020001 80000000");
  /* Vector 71: a pool record from a client -> Bad Request. */
  raw(-1, "800400020000 800100020000 000c000401020304 80000000",
      "800200020001 80000000");
  /* Vector 137: UUID without a token -> Bad Request. */
  raw(-1, "800100020000 800400020000 cf01000475756964 80000000",
      "800200020001 80000000");
  /* No protocol in common: "8001 0000", nothing sent upstream. */
  raw(-1, "800100020002 80040002000f 80000000", "80010000 80000000");
  assert_int_equal(W.raw_out.result, NTSPOOL_RESULT_NO_OVERLAP);
  assert_int_equal(W.raw_out.status, NTSPOOL_ERR_NO_PROTOCOL);
  /* Protocol but no AEAD. */
  raw(-1, "800100020000 800400020001 80000000",
      "800100020000 80040000 80000000");
  assert_int_equal(W.raw_out.result, NTSPOOL_RESULT_NO_OVERLAP);
  assert_int_equal(W.raw_out.status, NTSPOOL_ERR_NO_AEAD);
  assert_int_equal(W.n_keys, 0);
}

#define TOKEN_HEX                                                              \
  "000e0040"                                                                   \
  "6336383065356631633466313631393638646439623732663237316361356537"           \
  "6431376230666532653731653230623762613430303262393235326464373531"

static void test_session_source_refuses(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  /* Vector 92: support query without a token -> Bad Request. */
  raw(0, "800a0000 80090000 80000000", "800200020001 80000000");
  assert_int_equal(W.raw_out.result, NTSPOOL_RESULT_NTS_ERROR);
  /* A client with no protocol in common: refused as the pool refuses. */
  raw(0, "800100020002 80040002000f 80000000", "80010000 80000000");
  assert_int_equal(W.raw_out.result, NTSPOOL_RESULT_NO_OVERLAP);
  assert_int_equal(W.raw_out.status, NTSPOOL_ERR_NO_PROTOCOL);
  /* Vector 102: a token not in the list -> Bad Request. */
  raw(0, "000e00026e6f 80090000 800a0000 80000000", "800200020001 80000000");
  /* The right token: algorithms then protocols (ntpd-rs order); by
   * default AEAD 17 then 15, as ntpd-rs. */
  raw(0, TOKEN_HEX " 800a0000 80090000 80000000",
      "800a0008 00110040 000f0020 80090002 0000 80000000");
  /* Vector 84 with the right token: wrong key size -> Bad Request. */
  raw(0, TOKEN_HEX " 800c000401020304 800100020000 80040002000f 80000000",
      "800200020001 80000000");
  /* Fixed Key for an AEAD this source does not offer (16). */
  raw(0,
      TOKEN_HEX
      " 800c0060"
      "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
      "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
      "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
      " 800100020000 800400020010 80000000",
      "800200020001 80000000");
  assert_int_equal(W.n_keys, 0);
}

static bool has_keep_alive(const uint8_t *msg, size_t len) {
  ntspool_record rec;
  size_t used;
  for (size_t at = 0; at < len; at += used) {
    assert_int_equal(ntspool_record_decode(msg + at, len - at,
                                           NTSPOOL_NUMBERING_IANA, &rec, &used),
                     0);
    if (rec.type == NTSPOOL_REC_KEEP_ALIVE)
      return true;
  }
  return false;
}

/* The time source's default limit: 51 kept-alive pool connections at once
 * (ntpd-rs's 512 concurrent connections / 10), so several pool replicas
 * with 5 cached connections per family each fit; the 52nd connection that
 * asks is answered without Keep Alive. */
#define N_HELD 52
static void test_session_source_keep_alive_default(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  uint8_t req[512];
  size_t req_len = ntspool_test_hex(
      TOKEN_HEX " 800a0000 80090000 00080000 80000000", req, sizeof req);
  ntspool_tls_client_options o = {.ca_path = "tests/pki/ca.pem"};
  ntspool_tls_config *cfg;
  assert_int_equal(ntspool_tls_config_new_client(&cfg, &o, NULL, NULL), 0);
  struct {
    ntspool_test_pipe *p;
    ntspool_tls *tls;
    ntspool_session *ss;
  } held[N_HELD];
  size_t granted = 0;
  bool last_granted = true;
  for (int k = 0; k < N_HELD; k++) {
    held[k].p = ntspool_test_pipe_new(0);
    assert_int_equal(ntspool_tls_new(&held[k].tls, cfg,
                                     ntspool_test_pipe_io(held[k].p, 0),
                                     "ts1.test"),
                     0);
    ntspool_peer peer = {4, "127.0.0.1"};
    assert_int_equal(ntspool_session_new_server(
                         W.sources[0].ctx, ntspool_test_pipe_io(held[k].p, 1),
                         &peer, W.now, &held[k].ss),
                     0);
    uint8_t resp[1024];
    size_t resp_len = 0, sent = 0, msg_len = 0;
    for (int i = 0; i < 10000 && !msg_len; i++) {
      if (sent < req_len) {
        int n = ntspool_tls_write(held[k].tls, req + sent, req_len - sent);
        if (n > 0)
          sent += (size_t)n;
      } else {
        int n = ntspool_tls_read(held[k].tls, resp + resp_len,
                                 sizeof resp - resp_len);
        if (n > 0)
          resp_len += (size_t)n;
        if (ntspool_message_frame(resp, resp_len, sizeof resp, &msg_len))
          msg_len = 0;
      }
      ntspool_session_step(held[k].ss, W.now);
      W.now += 1;
    }
    assert_true(msg_len > 0);
    last_granted = has_keep_alive(resp, msg_len);
    granted += last_granted;
  }
  assert_int_equal(granted, 51);
  assert_false(last_granted);
  for (int k = 0; k < N_HELD; k++) {
    ntspool_session_free(held[k].ss);
    ntspool_tls_free(held[k].tls);
    ntspool_test_pipe_free(held[k].p);
  }
  ntspool_tls_config_unref(cfg);
}

/* The client's regions: copied by a pool session, checked, and refused by
 * other roles. */
static void test_session_set_regions(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  ntspool_peer peer = {4, "127.0.0.1"};
  ntspool_session *ps, *ss;
  assert_int_equal(ntspool_session_new_server(
                       W.pool, ntspool_test_pipe_io(p, 1), &peer, W.now, &ps),
                   0);
  char where[2][8] = {"NL", "EUROPE"};
  const char *regions[NTSPOOL_MAX_CLIENT_REGIONS + 1] = {where[0], where[1]};
  assert_int_equal(ntspool_session_set_regions(ps, regions, 2), 0);
  where[0][0] = 'X'; /* copied: the caller's strings may go */
  assert_string_equal(ps->regions[0], "NL");
  assert_int_equal(ps->n_regions, 2);
  assert_int_equal(ntspool_session_set_regions(ps, NULL, 0), 0);
  assert_int_equal(ps->n_regions, 0);
  char long_name[65];
  memset(long_name, 'A', 64);
  long_name[64] = '\0';
  regions[0] = long_name;
  assert_int_equal(ntspool_session_set_regions(ps, regions, 1),
                   NTSPOOL_ERR_INVALID_ARG);
  regions[0] = "";
  assert_int_equal(ntspool_session_set_regions(ps, regions, 1),
                   NTSPOOL_ERR_INVALID_ARG);
  regions[0] = NULL;
  assert_int_equal(ntspool_session_set_regions(ps, regions, 1),
                   NTSPOOL_ERR_INVALID_ARG);
  for (size_t i = 0; i <= NTSPOOL_MAX_CLIENT_REGIONS; i++)
    regions[i] = "NL";
  assert_int_equal(
      ntspool_session_set_regions(ps, regions, NTSPOOL_MAX_CLIENT_REGIONS + 1),
      NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_session_set_regions(ps, NULL, 1),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ps->n_regions, 0); /* a refused call changes nothing */
  ntspool_session_free(ps);
  assert_int_equal(ntspool_session_new_server(W.sources[0].ctx,
                                              ntspool_test_pipe_io(p, 1), &peer,
                                              W.now, &ss),
                   0);
  assert_int_equal(ntspool_session_set_regions(ss, regions, 1),
                   NTSPOOL_ERR_STATE);
  ntspool_session_free(ss);
  ntspool_test_pipe_free(p);
}

/* ---- Monitor probes ------------------------------------------------------
 * Two sources: ts1 (uuid u-1) that no ordinary client may get (weight 0, no
 * IPv4), ts2 (u-2) an ordinary one; the pool knows two monitor keys. */

static void probe_world(const char *client_key) {
  static const char *extra[] = {"server",
                                "monitoring-key",
                                "mk-other",
                                "server",
                                "monitoring-key",
                                "mk-good",
                                "upstream ts1",
                                "uuid",
                                "u-1",
                                "upstream ts1",
                                "weight",
                                "0",
                                "upstream ts1",
                                "ipv4",
                                "false",
                                "upstream ts2",
                                "uuid",
                                "u-2",
                                "client",
                                "monitoring-key",
                                NULL,
                                NULL};
  extra[20] = client_key;
  world_init(&W, 2, NTSPOOL_NUMBERING_IANA, extra);
}

static ntspool_source_stats probe_stats(const char *name) {
  return world_source_stats(&W, name);
}

static int probe(const char *uuid, ntspool_ke_result *res,
                 ntspool_outcome *out) {
  W.probe_uuid = uuid;
  int rc = world_run_client(&W, -1, NULL, 4, res, out, NULL, 0);
  W.probe_uuid = NULL;
  return rc;
}

/* The named source serves the probe although no ordinary client could get
 * it, over a new connection each time, and its health stays untouched. */
static void test_session_probe_named_source(void **state) {
  (void)state;
  probe_world("mk-good");
  ntspool_ke_result res;
  ntspool_outcome out;
  for (int i = 0; i < 2; i++) {
    assert_int_equal(probe("u-1", &res, &out), 0);
    assert_true(out.monitor);
    assert_false(out.sent_error);
    assert_string_equal(res.server, "ts1.test");
    assert_int_equal(res.n_cookies, 8);
    assert_keys_match(&res, (size_t)i + 1);
    assert_int_equal(W.keys[i].source, 0);
    assert_int_equal(world_links_opened(&W, 0), (size_t)i + 1);
  }
  ntspool_source_stats st = probe_stats("ts1");
  assert_int_equal(st.probe_successes, 2);
  assert_int_equal(st.probe_failures, 0);
  assert_int_equal(st.successes + st.failures + st.selected, 0);
  assert_int_equal(st.latency[NTSPOOL_EXCHANGE_SUPPORT][1].count, 0);
  /* It filled the capability cache as any support query does. */
  assert_int_equal(st.caps, NTSPOOL_CAPS_HIT);
  /* Ordinary clients still never get ts1. */
  for (int i = 0; i < 4; i++) {
    assert_int_equal(world_run_client(&W, -1, NULL, 4, &res, &out, NULL, 0), 0);
    assert_false(out.monitor);
    assert_string_equal(res.server, "ts2.test");
  }
}

static void test_session_probe_refused(void **state) {
  (void)state;
  probe_world("mk-good");
  ntspool_outcome out;
  assert_int_equal(probe("u-9", NULL, &out), NTSPOOL_ERR_PEER_ERROR);
  assert_true(out.monitor);
  assert_int_equal(out.nts_error, NTSPOOL_NTS_NO_SUCH_SERVER);
  assert_int_equal(world_links_opened(&W, 0) + world_links_opened(&W, 1), 0);
  world_free(&W);
  /* A key the pool does not know: Bad Request, and not a monitor. */
  probe_world("mk-bad");
  assert_int_equal(probe("u-1", NULL, &out), NTSPOOL_ERR_PEER_ERROR);
  assert_false(out.monitor);
  assert_int_equal(out.nts_error, NTSPOOL_NTS_BAD_REQUEST);
  assert_int_equal(out.status, NTSPOOL_ERR_AUTH);
  assert_int_equal(world_links_opened(&W, 0), 0);
}

/* A probe of a failing source gets the nts-pool code, no other source is
 * tried and the source's health is unchanged; an ordinary client of the
 * same failing source gets Internal Server Error, never 0xF00x. */
static void probe_fault(enum world_fault f, uint16_t want) {
  probe_world("mk-good");
  W.sources[1].fault = f;
  ntspool_outcome out;
  assert_int_equal(probe("u-2", NULL, &out), NTSPOOL_ERR_PEER_ERROR);
  assert_true(out.monitor);
  assert_true(out.sent_error);
  assert_int_equal(out.nts_error, want);
  assert_int_equal(out.result, NTSPOOL_RESULT_NTS_ERROR);
  assert_int_equal(world_links_opened(&W, 0), 0);
  ntspool_source_stats st = probe_stats("ts2");
  assert_int_equal(st.probe_failures, 1);
  assert_int_equal(st.failures + st.consecutive_failures, 0);
  assert_false(st.backing_off);
  assert_int_equal(world_run_client(&W, -1, NULL, 4, NULL, &out, NULL, 0),
                   NTSPOOL_ERR_PEER_ERROR);
  assert_false(out.monitor);
  assert_int_equal(out.nts_error, NTSPOOL_NTS_INTERNAL_ERROR);
}

static void test_session_probe_faults(void **state) {
  (void)state;
  static const struct {
    enum world_fault f;
    uint16_t want;
  } table[] = {
      {WORLD_REFUSE, NTSPOOL_NTS_COULD_NOT_CONNECT},
      {WORLD_CLOSE_AT_ONCE, NTSPOOL_NTS_COULD_NOT_CONNECT},
      {WORLD_GARBAGE, NTSPOOL_NTS_COULD_NOT_CONNECT},
      {WORLD_STALL, NTSPOOL_NTS_COULD_NOT_GET_CAPABILITIES},
      {WORLD_WRONG_TOKEN, NTSPOOL_NTS_COULD_NOT_GET_CAPABILITIES},
      {WORLD_CLOSE_AFTER_KEYS, NTSPOOL_NTS_COULD_NOT_CONNECT},
      {WORLD_ERROR_AFTER_KEYS, NTSPOOL_NTS_INTERNAL_ERROR}, /* passed on */
      {WORLD_STALL_AFTER_KEYS, NTSPOOL_NTS_INTERNAL_ERROR}, /* timeout */
  };
  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    probe_fault(table[i].f, table[i].want);
    world_free(&W);
  }
  /* The source's Error 1 to the Fixed Key Request (capabilities were
   * fresh, so the keys went first): 0xF003. */
  probe_world("mk-good");
  ntspool_outcome out;
  assert_int_equal(probe("u-2", NULL, &out), 0);
  W.sources[1].fault = WORLD_WRONG_TOKEN;
  assert_int_equal(probe("u-2", NULL, &out), NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(out.nts_error, NTSPOOL_NTS_COULD_NOT_GET_COOKIES);
}

/* The mapping itself (probe.c), as the NTS pool's KE answers its monitor. */
static void test_session_probe_error_table(void **state) {
  (void)state;
  static const struct {
    bool keys_sent;
    int status;
    uint16_t source_code, want;
  } table[] = {
      {false, NTSPOOL_ERR_IO, 0, 0xF001},
      {false, NTSPOOL_ERR_TLS, 0, 0xF001},
      {false, NTSPOOL_ERR_EOF, 0, 0xF001},
      {false, NTSPOOL_ERR_TIMEOUT, 0, 0xF002},
      {false, NTSPOOL_ERR_BAD_RESPONSE, 0, 0xF002},
      {false, NTSPOOL_ERR_PEER_ERROR, 1, 0xF002},
      {false, NTSPOOL_ERR_NO_MEMORY, 0, 0xF002},
      {true, NTSPOOL_ERR_IO, 0, 0xF001},
      {true, NTSPOOL_ERR_TLS, 0, 0xF001},
      {true, NTSPOOL_ERR_EOF, 0, 0xF001},
      {true, NTSPOOL_ERR_PEER_ERROR, 0, 0xF003},
      {true, NTSPOOL_ERR_PEER_ERROR, 1, 0xF003},
      {true, NTSPOOL_ERR_PEER_ERROR, 2, 2},
      {true, NTSPOOL_ERR_PEER_ERROR, 0x8123, 0x8123},
      {true, NTSPOOL_ERR_TIMEOUT, 0, 2},
      {true, NTSPOOL_ERR_BAD_RESPONSE, 0, 2},
      {true, NTSPOOL_ERR_PEER_WARNING, 0, 2},
  };
  for (size_t i = 0; i < sizeof table / sizeof *table; i++)
    assert_int_equal(ntspool_probe_error(table[i].keys_sent, table[i].status,
                                         table[i].source_code),
                     table[i].want);
}

/* A client context without a monitoring key cannot probe; a bad uuid is
 * refused before anything is sent. */
static void test_session_probe_client_args(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  ntspool_session *s = NULL;
  assert_int_equal(ntspool_session_new_probe(W.client,
                                             ntspool_test_pipe_io(p, 0),
                                             "localhost", "u-1", W.now, &s),
                   NTSPOOL_ERR_STATE);
  assert_int_equal(ntspool_session_new_probe(W.client,
                                             ntspool_test_pipe_io(p, 0),
                                             "localhost", "", W.now, &s),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_null(s);
  ntspool_test_pipe_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_session_chain_aead15_iana, teardown),
      cmocka_unit_test_teardown(test_session_chain_aead17_iana, teardown),
      cmocka_unit_test_teardown(test_session_chain_aead15_draft, teardown),
      cmocka_unit_test_teardown(test_session_chain_aead17_draft, teardown),
      cmocka_unit_test_teardown(test_session_client_to_source, teardown),
      cmocka_unit_test_teardown(test_session_chain_cert_auth, teardown),
      cmocka_unit_test_teardown(test_session_no_auth_refused, teardown),
      cmocka_unit_test_teardown(test_session_logs_no_secrets, teardown),
      cmocka_unit_test_teardown(test_session_keep_alive_reuse, teardown),
      cmocka_unit_test_teardown(test_session_source_keep_alive_default,
                                teardown),
      cmocka_unit_test_teardown(test_session_reload_keeps_state, teardown),
      cmocka_unit_test_teardown(test_session_reload_failed, teardown),
      cmocka_unit_test_teardown(test_session_idle_close_noticed, teardown),
      cmocka_unit_test_teardown(test_session_list_server_names, teardown),
      cmocka_unit_test_teardown(test_session_ctx_expiry, teardown),
      cmocka_unit_test_teardown(test_session_one_byte_at_a_time, teardown),
      cmocka_unit_test_teardown(test_session_deny, teardown),
      cmocka_unit_test_teardown(test_session_fault_refused, teardown),
      cmocka_unit_test_teardown(test_session_fault_closed, teardown),
      cmocka_unit_test_teardown(test_session_fault_stall, teardown),
      cmocka_unit_test_teardown(test_session_fault_garbage, teardown),
      cmocka_unit_test_teardown(test_session_fault_error_before_keys, teardown),
      cmocka_unit_test_teardown(test_session_fault_refused_moves_on, teardown),
      cmocka_unit_test_teardown(test_session_fault_garbage_moves_on, teardown),
      cmocka_unit_test_teardown(test_session_fault_close_after_keys, teardown),
      cmocka_unit_test_teardown(test_session_fault_error_after_keys, teardown),
      cmocka_unit_test_teardown(test_session_fault_stall_after_keys, teardown),
      cmocka_unit_test_teardown(test_session_result_server_failures, teardown),
      cmocka_unit_test_teardown(test_session_result_client, teardown),
      cmocka_unit_test_teardown(test_session_result_out_of_memory, teardown),
      cmocka_unit_test(test_session_result_names),
      cmocka_unit_test_teardown(test_session_upstream_cert_logged, teardown),
      cmocka_unit_test_teardown(test_session_credentials_from_memory, teardown),
      cmocka_unit_test_teardown(test_session_pool_refuses, teardown),
      cmocka_unit_test_teardown(test_session_source_refuses, teardown),
      cmocka_unit_test_teardown(test_session_set_regions, teardown),
      cmocka_unit_test_teardown(test_session_probe_named_source, teardown),
      cmocka_unit_test_teardown(test_session_probe_refused, teardown),
      cmocka_unit_test_teardown(test_session_probe_faults, teardown),
      cmocka_unit_test(test_session_probe_error_table),
      cmocka_unit_test_teardown(test_session_probe_client_args, teardown),
  };
  return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
