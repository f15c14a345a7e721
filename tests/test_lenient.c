/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The three cases doc/protocol.md section 4.8 decides, in every role: an
 * End of Message record with a body (accepted, body ignored), bytes after
 * End of Message (refused: Bad Request from a server, TRAILING_DATA at a
 * client or at the pool reading a source), and a Next Protocol record
 * without the critical bit (accepted).  The pool and the time source are
 * sent raw requests over TLS (world.h); the client session reads raw
 * answers from a TLS server this file runs; the pool's reading of a
 * source's support and Fixed Key answers is its parsers and its channel's
 * framing, checked directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support/hex.h"
#include "support/pipe.h"
#include "support/world.h"
#include "tls/tls.h"

#define TOKEN_HEX                                                              \
  "000e0040"                                                                   \
  "6336383065356631633466313631393638646439623732663237316361356537"           \
  "6431376230666532653731653230623762613430303262393235326464373531"
#define KEYS_HEX                                                               \
  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"           \
  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
#define BAD_REQUEST "800200020001 80000000"

static world W;

static int teardown(void **state) {
  (void)state;
  world_free(&W);
  return 0;
}

/* Sends req_hex to the pool (target -1) or time source 0 and returns the
 * answer in resp. */
static size_t exchange(int target, const char *req_hex, uint8_t *resp,
                       size_t cap) {
  uint8_t req[512];
  size_t req_len = ntspool_test_hex(req_hex, req, sizeof req), resp_len;
  assert_int_equal(
      world_raw_exchange(&W, target, req, req_len, resp, cap, &resp_len), 0);
  return resp_len;
}

/* The answer is keys: AEAD 15, the source's eight cookies. */
static void assert_keys(int target, const char *req_hex) {
  uint8_t resp[4096];
  size_t len = exchange(target, req_hex, resp, sizeof resp);
  ntspool_response r;
  assert_int_equal(
      ntspool_ke_response_parse(resp, len, NTSPOOL_NUMBERING_IANA, &r), 0);
  assert_int_equal(r.protocol, 0);
  assert_int_equal(r.aead, 15);
  assert_int_equal(r.n_cookies, 8);
}

static void assert_answer(int target, const char *req_hex,
                          const char *want_hex) {
  uint8_t resp[4096], want[512];
  size_t len = exchange(target, req_hex, resp, sizeof resp);
  size_t want_len = ntspool_test_hex(want_hex, want, sizeof want);
  assert_int_equal(len, want_len);
  assert_memory_equal(resp, want, want_len);
}

/* ---- The pool, reading a client's request ------------------------------ */

static void test_lenient_pool_request(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  /* (a) End of Message with a body: served. */
  assert_keys(-1, "800100020000 80040002000f 80000003010203");
  /* (b) Anything after End of Message: Bad Request, no source asked. */
  size_t keys = W.n_keys;
  assert_answer(-1, "800100020000 80040002000f 80000000 00", BAD_REQUEST);
  assert_answer(-1,
                "800100020000 80040002000f 80000000 "
                "800100020000 80040002000f 80000000",
                BAD_REQUEST);
  assert_int_equal(W.n_keys, keys);
  /* (c) Next Protocol without the critical bit: served. */
  assert_keys(-1, "000100020000 80040002000f 80000000");
}

/* ---- The time source, reading a client's or the pool's request --------- */

static void test_lenient_source_request(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  /* An ordinary client's request. */
  assert_keys(0, "800100020000 80040002000f 80000003010203");
  assert_answer(0, "800100020000 80040002000f 80000000 00", BAD_REQUEST);
  assert_keys(0, "000100020000 80040002000f 80000000");
  /* The pool's support query: (a) answered, (b) Bad Request. */
  const char *support = "800a0008 00110040 000f0020 80090002 0000 80000000";
  assert_answer(0, TOKEN_HEX " 800a0000 80090000 80000003010203", support);
  assert_answer(0, TOKEN_HEX " 800a0000 80090000 80000000 80000000",
                BAD_REQUEST);
  /* The pool's Fixed Key Request: (a) and (c) turned into cookies, (b)
   * Bad Request before the keys reach the cookie callback. */
  size_t keys = W.n_keys;
  assert_keys(0, TOKEN_HEX " 800c0040 " KEYS_HEX
                           " 800100020000 80040002000f 80000003010203");
  assert_keys(0, TOKEN_HEX " 800c0040 " KEYS_HEX
                           " 000100020000 80040002000f 80000000");
  assert_int_equal(W.n_keys, keys + 2);
  assert_answer(0,
                TOKEN_HEX " 800c0040 " KEYS_HEX
                          " 800100020000 80040002000f 80000000 0008",
                BAD_REQUEST);
  assert_int_equal(W.n_keys, keys + 2);
}

/* ---- The client, reading a server's answer ----------------------------- */

/* Runs a client session against a TLS server that answers resp_hex to
 * whatever it is asked; returns the client's final status. */
static int client_reads(const char *resp_hex, ntspool_ke_result *res) {
  uint8_t resp[512], req[1024];
  size_t resp_len = ntspool_test_hex(resp_hex, resp, sizeof resp);
  ntspool_tls_server_options o = {
      .cred = {.chain_path = "tests/pki/localhost.pem",
               .key_path = "tests/pki/localhost.key"}};
  ntspool_tls_config *cfg;
  assert_int_equal(ntspool_tls_config_new_server(&cfg, &o, NULL, NULL), 0);
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  ntspool_tls *server;
  assert_int_equal(
      ntspool_tls_new(&server, cfg, ntspool_test_pipe_io(p, 1), NULL), 0);
  ntspool_session *s;
  assert_int_equal(ntspool_session_new_client(W.client,
                                              ntspool_test_pipe_io(p, 0),
                                              "localhost", NULL, 0, W.now, &s),
                   0);
  size_t req_len = 0, msg_len = 0, sent = 0;
  int rc = NTSPOOL_ERR_WOULD_BLOCK;
  for (int i = 0; i < 10000 && rc == NTSPOOL_ERR_WOULD_BLOCK; i++) {
    rc = ntspool_session_step(s, W.now);
    if (!msg_len) {
      int n = ntspool_tls_read(server, req + req_len, sizeof req - req_len);
      if (n > 0)
        req_len += (size_t)n;
      if (ntspool_message_frame(req, req_len, sizeof req, &msg_len))
        msg_len = 0;
    } else if (sent < resp_len) {
      int n = ntspool_tls_write(server, resp + sent, resp_len - sent);
      if (n > 0)
        sent += (size_t)n;
    } else {
      ntspool_tls_close(server);
    }
  }
  assert_int_not_equal(rc, NTSPOOL_ERR_WOULD_BLOCK);
  assert_int_equal(sent, resp_len); /* one write: one TLS record */
  if (rc == 0)
    assert_int_equal(ntspool_session_result(s, res), 0);
  ntspool_session_free(s);
  ntspool_tls_free(server);
  ntspool_test_pipe_free(p);
  ntspool_tls_config_unref(cfg);
  return rc;
}

static void test_lenient_client_response(void **state) {
  (void)state;
  world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_ke_result res;
  /* (a) End of Message with a body: the keys and the cookie are taken. */
  assert_int_equal(client_reads("800100020000 80040002000f 000500020102 "
                                "80000003010203",
                                &res),
                   0);
  assert_int_equal(res.aead, 15);
  assert_int_equal(res.n_cookies, 1);
  /* (b) Anything after End of Message: refused. */
  assert_int_equal(
      client_reads("800100020000 80040002000f 000500020102 80000000 00", &res),
      NTSPOOL_ERR_TRAILING_DATA);
  /* (c) Next Protocol without the critical bit: taken. */
  assert_int_equal(
      client_reads("000100020000 80040002000f 000500020102 80000000", &res), 0);
  assert_int_equal(res.protocol, 0);
  assert_int_equal(res.n_cookies, 1);
}

/* ---- The pool, reading a time source's answers ------------------------- */

static int parse_hex(const char *hex, bool support, enum ntspool_numbering n) {
  uint8_t msg[512];
  size_t len = ntspool_test_hex(hex, msg, sizeof msg);
  /* The upstream channel frames first (session/channel.c), as here. */
  size_t msg_len;
  int rc = ntspool_message_frame(msg, len, sizeof msg, &msg_len);
  if (rc)
    return rc;
  if (support) {
    ntspool_support sup;
    return ntspool_support_response_parse(
        msg, len, n, NTSPOOL_WANT_PROTOCOLS | NTSPOOL_WANT_ALGORITHMS, &sup);
  }
  ntspool_response r;
  return ntspool_ke_response_parse(msg, len, n, &r);
}

static void test_lenient_source_answers(void **state) {
  (void)state;
  const enum ntspool_numbering I = NTSPOOL_NUMBERING_IANA,
                               D = NTSPOOL_NUMBERING_DRAFT;
  /* Support answers, both numberings: (a) accepted, (b) refused. */
  assert_int_equal(
      parse_hex("800a0004000f0020 800900020000 80000003010203", true, I), 0);
  assert_int_equal(
      parse_hex("c0010004000f0020 c00400020000 80000003010203", true, D), 0);
  assert_int_equal(
      parse_hex("800a0004000f0020 800900020000 80000000 00", true, I),
      NTSPOOL_ERR_TRAILING_DATA);
  /* Fixed Key answers: (a) and (c) accepted, (b) refused. */
  assert_int_equal(parse_hex("800100020000 80040002000f 000500020102 "
                             "80000003010203",
                             false, I),
                   0);
  assert_int_equal(
      parse_hex("000100020000 80040002000f 000500020102 80000000", false, I),
      0);
  assert_int_equal(
      parse_hex("000100020000 80040002000f 000500020102 80000000", false, D),
      0);
  assert_int_equal(parse_hex("800100020000 80040002000f 000500020102 "
                             "80000000 000500020102",
                             false, I),
                   NTSPOOL_ERR_TRAILING_DATA);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_lenient_pool_request, teardown),
      cmocka_unit_test_teardown(test_lenient_source_request, teardown),
      cmocka_unit_test_teardown(test_lenient_client_response, teardown),
      cmocka_unit_test(test_lenient_source_answers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
