/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Message validation and building (include/ntspool/message.h) against the
 * vectors of doc/protocol.md section 11.  Vectors are written in its notation
 * and turned into bytes by hx(): hex pairs, spaces ignored,
 * K[a..b] = the bytes a, a+1, ..., b, and "text" = those ASCII bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ntspool.h"

#define IANA NTSPOOL_NUMBERING_IANA
#define DRAFT NTSPOOL_NUMBERING_DRAFT
#define CERT NTSPOOL_PARSE_CERT_AUTHENTICATED
#define WANT_BOTH (NTSPOOL_WANT_PROTOCOLS | NTSPOOL_WANT_ALGORITHMS)

#define MAXMSG 2048

typedef struct tmsg {
  uint8_t b[MAXMSG];
  size_t len;
} tmsg;

/* The 64-character token of doc/protocol.md 11.6 (first uuid/randomizer). */
#define TOKEN64                                                                \
  "c680e5f1c4f161968dd9b72f271ca5e7d17b0fe2e71e20b7ba4002b9252dd751"

/* ---- helpers ------------------------------------------------------------ */

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void put_byte(tmsg *m, unsigned v, const char *vec) {
  if (m->len >= MAXMSG)
    fail_msg("vector too long: %s", vec);
  m->b[m->len++] = (uint8_t)v;
}

static tmsg hx(const char *vec) {
  tmsg m = {{0}, 0};
  const char *s = vec;
  while (*s) {
    if (*s == ' ') {
      s++;
    } else if (*s == 'K') {
      unsigned a, b;
      int used = 0;
      if (sscanf(s, "K[%x..%x]%n", &a, &b, &used) != 2 || used == 0 || a > b)
        fail_msg("bad K range in vector: %s", vec);
      for (unsigned i = a; i <= b; i++)
        put_byte(&m, i, vec);
      s += used;
    } else if (*s == '"') {
      for (s++; *s && *s != '"'; s++)
        put_byte(&m, (unsigned char)*s, vec);
      if (*s)
        s++;
    } else {
      int hi = hexval(s[0]), lo = s[1] ? hexval(s[1]) : -1;
      if (hi < 0 || lo < 0)
        fail_msg("bad hex in vector: %s", vec);
      put_byte(&m, (unsigned)(hi << 4 | lo), vec);
      s += 2;
    }
  }
  return m;
}

/* The message last parsed stays here, so result views stay valid until the
 * next parse. */
static tmsg g_msg;
static ntspool_request g_req;
static ntspool_response g_resp;
static ntspool_support g_sup;

static int client(const char *vec) {
  g_msg = hx(vec);
  return ntspool_client_request_parse(g_msg.b, g_msg.len, &g_req);
}

static int source_n(const char *vec, enum ntspool_numbering n, unsigned flags) {
  g_msg = hx(vec);
  return ntspool_source_request_parse(g_msg.b, g_msg.len, n, flags, &g_req);
}

static int source(const char *vec) {
  return source_n(vec, IANA, 0);
}

static int response_n(const char *vec, enum ntspool_numbering n) {
  g_msg = hx(vec);
  return ntspool_ke_response_parse(g_msg.b, g_msg.len, n, &g_resp);
}

static int response(const char *vec) {
  return response_n(vec, IANA);
}

static int support_n(const char *vec, enum ntspool_numbering n, unsigned want) {
  g_msg = hx(vec);
  return ntspool_support_response_parse(g_msg.b, g_msg.len, n, want, &g_sup);
}

static int support(const char *vec, unsigned want) {
  return support_n(vec, IANA, want);
}

static ntspool_bytes str(const char *s) {
  ntspool_bytes b = {(const uint8_t *)s, strlen(s)};
  return b;
}

#define assert_view(view, s)                                                   \
  do {                                                                         \
    assert_int_equal((view).len, strlen(s));                                   \
    assert_memory_equal((view).data, (s), strlen(s));                          \
  } while (0)

/* A view holding the bytes first, first+1, ..., first+len-1 (K[..]). */
static void check_seq(ntspool_bytes view, unsigned first, size_t len,
                      const char *file, int line) {
  _assert_int_equal(view.len, len, file, line);
  for (size_t i = 0; i < len; i++)
    _assert_int_equal(view.data[i], (first + i) & 0xFF, file, line);
}
#define assert_seq(view, first, len)                                           \
  check_seq(view, first, len, __FILE__, __LINE__)

/* A u16 list equal to the `count` values that follow. */
static void check_list(ntspool_u16_list list, const char *file, int line,
                       size_t count, ...) {
  va_list ap;
  _assert_int_equal(list.count, count, file, line);
  va_start(ap, count);
  for (size_t i = 0; i < count; i++)
    _assert_int_equal(ntspool_u16_list_get(list, i), va_arg(ap, unsigned), file,
                      line);
  va_end(ap);
}
#define assert_list(list, ...) check_list(list, __FILE__, __LINE__, __VA_ARGS__)

static void check_bytes(const uint8_t *got, size_t len, const char *vec,
                        const char *file, int line) {
  tmsg want = hx(vec);
  _assert_int_equal(len, want.len, file, line);
  _assert_memory_equal(got, want.b, len, file, line);
}

/* A builder with all its inputs fixed, so that one function can check its
 * output and its behaviour for every too-small buffer. */
typedef int (*builder)(uint8_t *buf, size_t cap, size_t *len);

static void check_build(builder fn, const char *vec, const char *file,
                        int line) {
  uint8_t buf[MAXMSG];
  size_t len = 12345;
  _assert_int_equal(fn(buf, sizeof buf, &len), 0, file, line);
  check_bytes(buf, len, vec, file, line);
}
#define assert_builds(fn, vec) check_build(fn, vec, __FILE__, __LINE__)

/* Every cap below the message length fails cleanly: BUFFER_TOO_SMALL,
 * *len 0, and nothing written at or beyond cap (guard bytes, and ASan on an
 * exactly sized heap block). */
static void check_too_small(builder fn, const char *file, int line) {
  uint8_t full[MAXMSG];
  size_t need;
  _assert_int_equal(fn(full, sizeof full, &need), 0, file, line);
  enum { GUARD = 16 };
  for (size_t cap = 0; cap < need; cap++) {
    uint8_t *buf = malloc(cap + GUARD);
    if (!buf)
      _fail(file, line);
    memset(buf, 0xA5, cap + GUARD);
    size_t len = 12345;
    _assert_int_equal(fn(buf, cap, &len), NTSPOOL_ERR_BUFFER_TOO_SMALL, file,
                      line);
    _assert_int_equal(len, 0, file, line);
    for (size_t i = cap; i < cap + GUARD; i++)
      _assert_int_equal(buf[i], 0xA5, file, line);
    free(buf);
  }
  /* And the exact size is enough. */
  uint8_t *exact = malloc(need);
  size_t len = 0;
  if (!exact)
    _fail(file, line);
  _assert_int_equal(fn(exact, need, &len), 0, file, line);
  _assert_int_equal(len, need, file, line);
  free(exact);
}
#define assert_too_small_fails(fn) check_too_small(fn, __FILE__, __LINE__)

/* K[00..7f], the key material of the fixed-key vectors. */
static uint8_t g_k[128];

static int setup_keys(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof g_k; i++)
    g_k[i] = (uint8_t)i;
  return 0;
}

/* ---- fixed builders for the (ser) vectors ---------------------------------
 */

static int b65(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0}, a[] = {17, 15};
  return ntspool_ke_request_build(buf, cap, len, IANA, p, 1, a, 2, NULL, 0,
                                  false);
}

static int b66(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0}, a[] = {15};
  ntspool_bytes deny[] = {str("hi")};
  return ntspool_ke_request_build(buf, cap, len, IANA, p, 1, a, 1, deny, 1,
                                  false);
}

/* The monitor's probe (doc/protocol.md 3.4): key, UUID, then negotiation. */
static int b_uuid_request(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0}, a[] = {17, 15};
  return ntspool_uuid_request_build(buf, cap, len, str("mk"), str("u1"), p, 1,
                                    a, 2);
}

static int b67(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0, 1}, a[] = {0, 1};
  ntspool_bytes deny[] = {str("test")};
  return ntspool_ke_request_build(buf, cap, len, IANA, p, 2, a, 2, deny, 1,
                                  false);
}

static int b_ke_request_1024(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0}, a[] = {30, 15};
  return ntspool_ke_request_build(buf, cap, len, IANA, p, 1, a, 2, NULL, 0,
                                  true);
}

static int b_ke_request_draft(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0}, a[] = {15};
  ntspool_bytes deny[] = {str("hi")};
  return ntspool_ke_request_build(buf, cap, len, DRAFT, p, 1, a, 1, deny, 1,
                                  false);
}

static int b74(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_fixed_key_request_build(buf, cap, len, IANA, str("a"), 0, 15,
                                         g_k, g_k + 32, 32, false);
}

static int b77(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_fixed_key_request_build(buf, cap, len, IANA, str("a"), 0, 15,
                                         g_k, g_k + 32, 32, true);
}

static int b75(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_fixed_key_request_build(buf, cap, len, IANA, str("a"), 0, 17,
                                         g_k, g_k + 64, 64, false);
}

static int b100(uint8_t *buf, size_t cap, size_t *len) {
  static const uint8_t c2s[] = {1, 2}, s2c[] = {3, 4};
  return ntspool_fixed_key_request_build(buf, cap, len, IANA, str("abcd"), 1, 2,
                                         c2s, s2c, 2, false);
}

static int b100_keep_alive(uint8_t *buf, size_t cap, size_t *len) {
  static const uint8_t c2s[] = {1, 2}, s2c[] = {3, 4};
  return ntspool_fixed_key_request_build(buf, cap, len, IANA, str("abcd"), 1, 2,
                                         c2s, s2c, 2, true);
}

static int b_fixed_key_token64(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_fixed_key_request_build(buf, cap, len, IANA, str(TOKEN64), 0,
                                         15, g_k, g_k + 32, 32, true);
}

static int b_fixed_key_draft_cert(uint8_t *buf, size_t cap, size_t *len) {
  ntspool_bytes none = {NULL, 0};
  return ntspool_fixed_key_request_build(buf, cap, len, DRAFT, none, 0, 15, g_k,
                                         g_k + 32, 32, false);
}

static int b_fixed_key_draft_token(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_fixed_key_request_build(buf, cap, len, DRAFT, str("a"), 0, 15,
                                         g_k, g_k + 32, 32, true);
}

static int b99(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_support_request_build(buf, cap, len, IANA, str("abcd"),
                                       WANT_BOTH, true);
}

static int b_support_request_token64(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_support_request_build(buf, cap, len, IANA, str(TOKEN64),
                                       WANT_BOTH, true);
}

static int b_support_request_names(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_support_request_build(buf, cap, len, IANA, str("a"),
                                       NTSPOOL_WANT_SERVER_NAMES, false);
}

static int b_support_request_draft_cert(uint8_t *buf, size_t cap, size_t *len) {
  ntspool_bytes none = {NULL, 0};
  return ntspool_support_request_build(buf, cap, len, DRAFT, none, WANT_BOTH,
                                       false);
}

static int b_support_request_draft_all(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_support_request_build(buf, cap, len, DRAFT, str("a"),
                                       WANT_BOTH | NTSPOOL_WANT_SERVER_NAMES,
                                       true);
}

static int b_ke_response_107(uint8_t *buf, size_t cap, size_t *len) {
  ntspool_bytes cookies[] = {{(const uint8_t *)"\x01\x02", 2},
                             {(const uint8_t *)"\x03\x04", 2}};
  ntspool_ke_answer a = {.protocol = 0,
                         .aead = 17,
                         .cookies = cookies,
                         .n_cookies = 2,
                         .server = str("hi"),
                         .has_port = true,
                         .port = 5,
                         .keep_alive = true};
  return ntspool_ke_response_build(buf, cap, len, IANA, &a);
}

static int b_ke_response_128(uint8_t *buf, size_t cap, size_t *len) {
  ntspool_bytes cookies[] = {{(const uint8_t *)"\x01\x02", 2},
                             {(const uint8_t *)"\x03\x04", 2}};
  ntspool_ke_answer a = {.protocol = 0,
                         .aead = 0,
                         .cookies = cookies,
                         .n_cookies = 2,
                         .server = str("a.test")};
  return ntspool_ke_response_build(buf, cap, len, IANA, &a);
}

static int b_ke_response_draft(uint8_t *buf, size_t cap, size_t *len) {
  ntspool_bytes cookies[] = {{(const uint8_t *)"\x01\x02", 2}};
  ntspool_ke_answer a = {.protocol = 0,
                         .aead = 30,
                         .cookies = cookies,
                         .n_cookies = 1,
                         .compliant_128gcm = true,
                         .keep_alive = true};
  return ntspool_ke_response_build(buf, cap, len, DRAFT, &a);
}

static int b_no_protocol(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_no_overlap_response_build(buf, cap, len, false, 0);
}

static int b_no_aead(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_no_overlap_response_build(buf, cap, len, true, 0);
}

static int b_error_1(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_error_response_build(buf, cap, len, NTSPOOL_NTS_BAD_REQUEST);
}

static int b_error_2(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_error_response_build(buf, cap, len,
                                      NTSPOOL_NTS_INTERNAL_ERROR);
}

static int b_error_no_such_server(uint8_t *buf, size_t cap, size_t *len) {
  return ntspool_error_response_build(buf, cap, len,
                                      NTSPOOL_NTS_NO_SUCH_SERVER);
}

static int b121(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0}, alg[] = {15, 32};
  ntspool_support_answer a = {.want = WANT_BOTH,
                              .protocols = p,
                              .n_protocols = 1,
                              .algorithms = alg,
                              .n_algorithms = 1};
  return ntspool_support_response_build(buf, cap, len, IANA, &a);
}

static int b122(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0};
  ntspool_support_answer a = {.want = NTSPOOL_WANT_PROTOCOLS,
                              .protocols = p,
                              .n_protocols = 1,
                              .keep_alive = true};
  return ntspool_support_response_build(buf, cap, len, IANA, &a);
}

static const uint16_t ntpd_rs_algorithms[] = {15, 32, 17, 64};

static int b_support_response_ntpd_rs(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0};
  ntspool_support_answer a = {.want = WANT_BOTH,
                              .protocols = p,
                              .n_protocols = 1,
                              .algorithms = ntpd_rs_algorithms,
                              .n_algorithms = 2};
  return ntspool_support_response_build(buf, cap, len, IANA, &a);
}

static int b_support_response_draft(uint8_t *buf, size_t cap, size_t *len) {
  static const uint16_t p[] = {0};
  ntspool_support_answer a = {.want = WANT_BOTH,
                              .protocols = p,
                              .n_protocols = 1,
                              .algorithms = ntpd_rs_algorithms,
                              .n_algorithms = 2,
                              .keep_alive = true};
  return ntspool_support_response_build(buf, cap, len, DRAFT, &a);
}

static int b_support_response_names(uint8_t *buf, size_t cap, size_t *len) {
  ntspool_bytes names[] = {str("a.test"), str("b.test")};
  ntspool_support_answer a = {
      .want = NTSPOOL_WANT_SERVER_NAMES, .names = names, .n_names = 2};
  return ntspool_support_response_build(buf, cap, len, IANA, &a);
}

/* ---- 11.2: key-exchange requests, pool (client-facing) view ------------- */

static void test_message_client_plain_48_49(void **state) {
  (void)state;
  assert_int_equal(client("80040002000f 800100020000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_KE);
  assert_list(g_req.protocols, 1, 0);
  assert_list(g_req.aeads, 1, 15);
  assert_false(g_req.has_token);
  assert_int_equal(g_req.n_denied, 0);

  assert_int_equal(client("800100048001 0000 800400020011 80000000"), 0);
  assert_list(g_req.protocols, 2, 0x8001, 0);
  assert_list(g_req.aeads, 1, 17);
}

static void test_message_client_missing_records_50_52(void **state) {
  (void)state;
  assert_int_equal(client("800100020000 80000000"), NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("80040002000f 80000000"), NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("80040002000f 800100020000"), NTSPOOL_ERR_NEED_MORE);
}

static void test_message_client_duplicates_53_54(void **state) {
  (void)state;
  assert_int_equal(client("80040002000f 800400020011 800100020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("80040002000f 800100020000 800100028001 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_client_pool_records_55_56(void **state) {
  (void)state;
  assert_int_equal(client("80040002000f 800100020000 800a0000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("80040002000f 800100020000 80090000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  /* Even with a token: the pool never answers pool records. */
  assert_int_equal(
      client("000e000161 80040002000f 800100020000 800a0000 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("80040002000f 800100020000 800b0000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_client_server_only_records_57_59(void **state) {
  (void)state;
  assert_int_equal(client("80040002000f 800100020000 800200020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("80040002000f 800100020000 800300020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(
      client("80040002000f 800100020000 0005000401020304 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_client_unknown_and_ignored_60_63(void **state) {
  (void)state;
  assert_int_equal(client("80040002000f 800100020000 803200020001 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(client("80040002000f 800100020000 003200020102 80000000"),
                   0);
  assert_int_equal(client("80040002000f 800100020000 800600026869 80000000"),
                   0);
  assert_int_equal(client("80040002000f 800100020000 80070002007c 80000000"),
                   0);
}

static void test_message_client_deny_64(void **state) {
  (void)state;
  assert_int_equal(
      client("000e000161 80040002000f 800100020000 000d00026869 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_KE);
  assert_int_equal(g_req.n_denied, 1);
  assert_view(g_req.denied[0], "hi");
  assert_true(g_req.has_token);
  assert_view(g_req.token, "a");
}

static void test_message_client_serialized_requests_65_67(void **state) {
  (void)state;
  assert_int_equal(client("800100020000 800400040011000f 80000000"), 0);
  assert_list(g_req.aeads, 2, 17, 15);
  assert_int_equal(client("800100020000 80040002000f 000d00026869 80000000"),
                   0);
  assert_view(g_req.denied[0], "hi");
  assert_int_equal(
      client("8001000400000001 8004000400000001 000d000474657374 80000000"), 0);
  assert_list(g_req.protocols, 2, 0, 1);
  assert_list(g_req.aeads, 2, 0, 1);
  assert_view(g_req.denied[0], "test");
}

static void test_message_client_pool_ordinary_68_69(void **state) {
  (void)state;
  assert_int_equal(client("800400020000 800100020000 00080000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_KE);
  assert_false(g_req.keep_alive); /* the pool ignores it */
  assert_int_equal(client("800400020000 800100020000 000e00026869 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_KE);
  assert_view(g_req.token, "hi");
}

static void test_message_client_pool_invalid_70_72(void **state) {
  (void)state;
  assert_int_equal(client("800400020000 800100020000 00090000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(
      client("800400020000 800100020000 000c000401020304 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("800400020000 800100020000 cf0100026869 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_client_uuid_73(void **state) {
  (void)state;
  assert_int_equal(
      client("800400020000 800100020000 000e00026162 cf0100026364 80000000"),
      0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_UUID);
  assert_view(g_req.token, "ab");
  assert_view(g_req.uuid, "cd");
  assert_list(g_req.protocols, 1, 0);
  assert_list(g_req.aeads, 1, 0);
}

static void test_message_client_uuid_rules(void **state) {
  (void)state;
  /* Token after the UUID does not authorise it. */
  assert_int_equal(
      client("800400020000 800100020000 cf0100026364 000e00026162 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("000e00026162 cf0100026364 cf0100026364 "
                          "800400020000 800100020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("000e00026162 000e00026162 cf0100026364 "
                          "800400020000 800100020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  /* UUID with Server Deny, in either order. */
  assert_int_equal(client("000d00026869 000e00026162 cf0100026364 "
                          "800400020000 800100020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("000e00026162 cf0100026364 000d00026869 "
                          "800400020000 800100020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  /* The C bit does not matter for UUID either. */
  assert_int_equal(
      client("000e00026162 4f0100026364 800400020000 800100020000 80000000"),
      0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_UUID);
  /* UUID still needs the negotiation records. */
  assert_int_equal(client("000e00026162 cf0100026364 800400020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_client_uuid_134_137(void **state) {
  (void)state;
  /* 134 and 135 are the same request (known or unknown uuid is policy). */
  assert_int_equal(client("800100020000 800400020000 000e000474657374 "
                          "cf01000475756964 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_UUID);
  assert_view(g_req.token, "test");
  assert_view(g_req.uuid, "uuid");
  /* 136: the key is checked by the caller, not the parser. */
  assert_int_equal(client("800100020000 800400020000 000e00046e6f6e65 "
                          "cf01000475756964 80000000"),
                   0);
  assert_view(g_req.token, "none");
  /* 137: no Authentication record. */
  assert_int_equal(
      client("800100020000 800400020000 cf01000475756964 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_client_pool_e2e_requests_128_133(void **state) {
  (void)state;
  assert_int_equal(client("800100020000 800400020000 80000000"), 0);
  assert_list(g_req.protocols, 1, 0);
  assert_int_equal(client("800100020002 800400020000 80000000"), 0);
  assert_list(g_req.protocols, 1, 2);
  assert_int_equal(client("800100020000 800400020001 80000000"), 0);
  assert_list(g_req.aeads, 1, 1);
  assert_int_equal(client("8001000400000001 8004000400000001 80000000"), 0);
  assert_list(g_req.protocols, 2, 0, 1);
  assert_int_equal(client("8001000400010000 8004000400010000 80000000"), 0);
  assert_list(g_req.aeads, 2, 1, 0);
}

static void test_message_client_empty_protocol_list(void **state) {
  (void)state;
  assert_int_equal(client("80010000 80040002000f 80000000"), 0);
  assert_int_equal(g_req.protocols.count, 0);
}

static void test_message_client_compliant_128gcm(void **state) {
  (void)state;
  assert_int_equal(client("800100020000 80040004001e000f 04000000 80000000"),
                   0);
  assert_true(g_req.compliant_128gcm);
  assert_int_equal(client("800100020000 80040002000f 80000000"), 0);
  assert_false(g_req.compliant_128gcm);
}

static void test_message_client_draft_numbers_are_unknown(void **state) {
  (void)state;
  /* The pool's clients speak IANA: 0x40xx is just an unknown record. */
  assert_int_equal(client("800100020000 80040002000f c0040000 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(client("800100020000 80040002000f 40000000 80000000"), 0);
}

static void test_message_client_max_denied(void **state) {
  (void)state;
  enum { N = NTSPOOL_MAX_DENIED + 4 };
  static const uint16_t p[] = {0}, a[] = {15};
  char names[N][4];
  ntspool_bytes deny[N];
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "d%02d", i);
    deny[i] = str(names[i]);
  }
  size_t len;
  assert_int_equal(ntspool_ke_request_build(g_msg.b, sizeof g_msg.b, &len, IANA,
                                            p, 1, a, 1, deny, N, false),
                   0);
  assert_int_equal(ntspool_client_request_parse(g_msg.b, len, &g_req), 0);
  assert_int_equal(g_req.n_denied, N);
  assert_view(g_req.denied[0], "d00");
  assert_view(g_req.denied[NTSPOOL_MAX_DENIED - 1], "d15");
}

/* ---- 11.2 again, as a time source sees it ------------------------------- */

static void test_message_source_plain_48_54(void **state) {
  (void)state;
  assert_int_equal(source("80040002000f 800100020000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_KE);
  assert_list(g_req.protocols, 1, 0);
  assert_list(g_req.aeads, 1, 15);
  assert_int_equal(source("800100048001 0000 800400020011 80000000"), 0);
  assert_list(g_req.protocols, 2, 0x8001, 0);
  assert_int_equal(source("800100020000 80000000"), NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("80040002000f 80000000"), NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("80040002000f 800100020000"), NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(source("80040002000f 800400020011 800100020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("80040002000f 800100020000 800100028001 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_source_invalid_55_60(void **state) {
  (void)state;
  assert_int_equal(source("80040002000f 800100020000 800a0000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("80040002000f 800100020000 80090000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("80040002000f 800100020000 800200020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("80040002000f 800100020000 800300020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(
      source("80040002000f 800100020000 0005000401020304 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("80040002000f 800100020000 803200020001 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
}

static void test_message_source_accepted_61_64(void **state) {
  (void)state;
  assert_int_equal(source("80040002000f 800100020000 003200020102 80000000"),
                   0);
  assert_int_equal(source("80040002000f 800100020000 800600026869 80000000"),
                   0);
  assert_int_equal(source("80040002000f 800100020000 80070002007c 80000000"),
                   0);
  assert_int_equal(
      source("000e000161 80040002000f 800100020000 000d00026869 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_KE);
  assert_int_equal(g_req.n_denied, 1);
  assert_view(g_req.denied[0], "hi");
  assert_view(g_req.token, "a");
}

static void test_message_source_pool_vectors_68_73(void **state) {
  (void)state;
  assert_int_equal(source("800400020000 800100020000 00080000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_KE);
  assert_true(g_req.keep_alive); /* reported; honouring it is policy */
  assert_int_equal(source("800400020000 800100020000 000e00026869 80000000"),
                   0);
  assert_int_equal(source("800400020000 800100020000 00090000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(
      source("800400020000 800100020000 000c000401020304 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
  /* UUID is pool-internal: a time source does not know it. */
  assert_int_equal(source("800400020000 800100020000 cf0100026869 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(
      source("800400020000 800100020000 000e00026162 cf0100026364 80000000"),
      NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(
      source("800400020000 800100020000 000e00026162 4f0100026364 80000000"),
      0);
}

/* ---- 11.3: pool records toward a time source ---------------------------- */

static void test_message_source_fixed_key_74(void **state) {
  (void)state;
  assert_int_equal(source("000e000161 800c0040 K[00..3f] 800100020000 "
                          "80040002000f 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_view(g_req.token, "a");
  assert_seq(g_req.c2s_key, 0x00, 32);
  assert_seq(g_req.s2c_key, 0x20, 32);
  assert_list(g_req.protocols, 1, 0);
  assert_list(g_req.aeads, 1, 15);
  assert_false(g_req.keep_alive);
}

static void test_message_source_fixed_key_75(void **state) {
  (void)state;
  assert_int_equal(source("000e000161 800c0080 K[00..7f] 800100020000 "
                          "800400020011 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_seq(g_req.c2s_key, 0x00, 64);
  assert_seq(g_req.s2c_key, 0x40, 64);
  assert_list(g_req.aeads, 1, 17);
}

static void test_message_source_fixed_key_order_76_77(void **state) {
  (void)state;
  assert_int_equal(source("000e000161 800100020000 80040002000f 800c0040 "
                          "K[00..3f] 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_seq(g_req.c2s_key, 0x00, 32);
  assert_seq(g_req.s2c_key, 0x20, 32);
  assert_false(g_req.keep_alive);
  assert_int_equal(source("000e000161 800100020000 80040002000f 800c0040 "
                          "K[00..3f] 00080000 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_true(g_req.keep_alive);
}

static void test_message_source_fixed_key_invalid_78_85(void **state) {
  (void)state;
  assert_int_equal(
      source("800100020000 80040002000f 800c0040 K[00..3f] 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(
      source("000e000161 800c0040 K[00..3f] 80040002000f 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(
      source("000e000161 800c0040 K[00..3f] 800100020000 80000000"),
      NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800c0040 K[00..3f] 800c0040 K[00..3f] "
                          "800100020000 80040002000f 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800c0040 K[00..3f] 800100040000 8001 "
                          "80040002000f 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800c0040 K[00..3f] 800100020000 "
                          "80040004000f000f 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  /* 84, 85: ntpd-rs drops the connection; we say Bad Request (chrony). */
  assert_int_equal(source("000e000161 800c000401020304 800100020000 "
                          "80040002000f 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800c0040 K[00..3f] 800100020000 "
                          "800400020002 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_source_fixed_key_extras_86_88(void **state) {
  (void)state;
  const char *head = "000e000161 800c0040 K[00..3f] 800100020000 "
                     "80040002000f ";
  static const char *const tails[] = {
      "800a0000 80000000",     "80090000 80000000",     "803200020102 80000000",
      "800600026869 80000000", "80070002007c 80000000", "000d00026869 80000000",
      "003200020102 80000000",
  };
  char vec[512];
#define WITH(i) (snprintf(vec, sizeof vec, "%s%s", head, tails[i]), vec)
  assert_int_equal(source(WITH(0)), NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source(WITH(1)), NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source(WITH(2)), NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(source(WITH(3)), 0);
  assert_int_equal(source(WITH(4)), 0);
  assert_int_equal(source(WITH(5)), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_int_equal(g_req.n_denied, 1);
  assert_int_equal(source(WITH(6)), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
#undef WITH
}

static void test_message_source_support_89_91(void **state) {
  (void)state;
  assert_int_equal(source("000e000161 800a0000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_int_equal(g_req.want, NTSPOOL_WANT_ALGORITHMS);
  assert_int_equal(source("000e000161 80090000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_int_equal(g_req.want, NTSPOOL_WANT_PROTOCOLS);
  assert_int_equal(source("000e000161 800a0000 80090000 00080000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_int_equal(g_req.want, WANT_BOTH);
  assert_true(g_req.keep_alive);
}

static void test_message_source_support_invalid_92_96(void **state) {
  (void)state;
  assert_int_equal(source("800a0000 80090000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800a0000 800a0000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800a0000 80090000 800c00020102 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800a0000 80090000 800100020000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800a0000 80090000 80040002000f 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800a0000 80090000 80320000 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
}

static void test_message_source_support_97_99(void **state) {
  (void)state;
  assert_int_equal(source("000e000161 800a0000 80090000 000d00026869 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_int_equal(g_req.n_denied, 1);
  assert_int_equal(source("000e000161 80090000 800a0000 00080000 80000000"), 0);
  assert_int_equal(g_req.want, WANT_BOTH);
  assert_true(g_req.keep_alive);
  assert_int_equal(
      source("000e000461626364 800a0000 80090000 00080000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_view(g_req.token, "abcd");
}

static void test_message_source_fixed_key_100(void **state) {
  (void)state;
  /* pool-nts's own test vector uses AEAD 2, which no time source knows. */
  assert_int_equal(source("000e000461626364 800c000401020304 800100020001 "
                          "800400020002 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000461626364 800c000401020304 800100020001 "
                          "800400020002 00080000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
}

static void test_message_source_mod_101_105(void **state) {
  (void)state;
  assert_int_equal(source("000e00026869 80090000 800a0000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_view(g_req.token, "hi");
  assert_int_equal(source("000e00026e6f 80090000 800a0000 80000000"), 0);
  assert_view(g_req.token, "no"); /* refusing it is the caller's job */
  assert_int_equal(source("000e00026869 800c0040 K[00..3f] 800100020000 "
                          "80040002000f 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_false(g_req.keep_alive);
  assert_int_equal(source("000e00026869 800c0040 K[00..3f] 800100020000 "
                          "80040002000f 00080000 80000000"),
                   0);
  assert_true(g_req.keep_alive);
  assert_int_equal(source("000e00026869 800c0040 K[00..3f] 800100020000 "
                          "80040002000f 00080000 00080000 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_true(g_req.keep_alive);
}

static void test_message_source_token_rules(void **state) {
  (void)state;
  /* The token authorises only what follows it. */
  assert_int_equal(source("800a0000 000e000161 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 000e000161 800a0000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 80090000 80090000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800b0000 800b0000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  /* An empty token still counts as one; its value is the caller's call. */
  assert_int_equal(source("000e0000 800a0000 80000000"), 0);
  assert_true(g_req.has_token);
  assert_int_equal(g_req.token.len, 0);
}

static void test_message_source_list_server_names(void **state) {
  (void)state;
  assert_int_equal(source("000e000161 800b0000 80000000"), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_int_equal(g_req.want, NTSPOOL_WANT_SERVER_NAMES);
  assert_int_equal(source("000e000161 800a0000 80090000 800b0000 80000000"), 0);
  assert_int_equal(g_req.want, WANT_BOTH | NTSPOOL_WANT_SERVER_NAMES);
}

static void test_message_source_fixed_key_aead_30(void **state) {
  (void)state;
  assert_int_equal(source("000e000161 800c0020 K[00..1f] 800100020000 "
                          "80040002001e 04000000 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_seq(g_req.c2s_key, 0x00, 16);
  assert_seq(g_req.s2c_key, 0x10, 16);
  assert_true(g_req.compliant_128gcm);
}

static void test_message_source_token64(void **state) {
  (void)state;
  assert_int_equal(source("000e0040 \"" TOKEN64 "\" 800a0000 80090000 "
                          "00080000 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_view(g_req.token, TOKEN64);
  assert_int_equal(source("000e0040 \"" TOKEN64 "\" 800c0040 K[00..3f] "
                          "800100020000 80040002000f 00080000 80000000"),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_view(g_req.token, TOKEN64);
}

static void test_message_source_cert_authenticated(void **state) {
  (void)state;
  assert_int_equal(
      source_n("800100020000 80040002000f 800c0040 K[00..3f] 80000000", IANA,
               CERT),
      0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_false(g_req.has_token);
  assert_int_equal(source_n("800a0000 80090000 80000000", IANA, CERT), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
}

/* ---- 11.8: the same pool requests in draft numbering -------------------- */

static void test_message_source_draft_fixed_key(void **state) {
  (void)state;
  const char *v = "c0020040 K[00..3f] 800100020000 80040002000f 80000000";
  assert_int_equal(source_n(v, DRAFT, CERT), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_seq(g_req.c2s_key, 0x00, 32);
  assert_seq(g_req.s2c_key, 0x20, 32);
  assert_int_equal(source_n(v, DRAFT, 0), NTSPOOL_ERR_BAD_REQUEST);
  /* In IANA numbering 0x4002 is an unknown critical record. */
  assert_int_equal(source_n(v, IANA, CERT), NTSPOOL_ERR_UNKNOWN_CRITICAL);
  /* With a draft-numbered token (0x4005) and Keep Alive (0x4000). */
  assert_int_equal(source_n("40050001 61 c0020040 K[00..3f] 800100020000 "
                            "80040002000f 40000000 80000000",
                            DRAFT, 0),
                   0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
  assert_view(g_req.token, "a");
  assert_true(g_req.keep_alive);
}

static void test_message_source_draft_support(void **state) {
  (void)state;
  assert_int_equal(source_n("c0040000 c0010000 80000000", DRAFT, CERT), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
  assert_int_equal(g_req.want, WANT_BOTH);
  assert_int_equal(source_n("c0040000 80000000", DRAFT, CERT), 0);
  assert_int_equal(g_req.want, NTSPOOL_WANT_PROTOCOLS);
  assert_int_equal(source_n("c0010000 80000000", DRAFT, CERT), 0);
  assert_int_equal(g_req.want, NTSPOOL_WANT_ALGORITHMS);
  assert_int_equal(source_n("40050001 61 c0060000 80000000", DRAFT, 0), 0);
  assert_int_equal(g_req.want, NTSPOOL_WANT_SERVER_NAMES);
  /* The IANA numbers mean nothing to a draft peer. */
  assert_int_equal(source_n("000e000161 800a0000 80000000", DRAFT, 0),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(source_n("c0040000 80000000", IANA, CERT),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
}

/* ---- 11.4: responses, client side --------------------------------------- */

static void test_message_response_106_107(void **state) {
  (void)state;
  assert_int_equal(response("800100020000 800400020011 80000000"), 0);
  assert_true(g_resp.has_protocol);
  assert_int_equal(g_resp.protocol, 0);
  assert_true(g_resp.has_aead);
  assert_int_equal(g_resp.aead, 17);
  assert_int_equal(g_resp.n_cookies, 0);
  assert_int_equal(g_resp.server.len, 0);
  assert_false(g_resp.has_port);

  assert_int_equal(response("800100020000 800400020011 800500020102 "
                            "800500020304 800600026869 800700020005 "
                            "00080000 80000000"),
                   0);
  assert_int_equal(g_resp.n_cookies, 2);
  assert_int_equal(g_resp.n_cookies_seen, 2);
  assert_view(g_resp.cookies[0], "\x01\x02");
  assert_view(g_resp.cookies[1], "\x03\x04");
  assert_view(g_resp.server, "hi");
  assert_true(g_resp.has_port);
  assert_int_equal(g_resp.port, 5);
  assert_true(g_resp.keep_alive);
}

static void test_message_response_invalid_108_112(void **state) {
  (void)state;
  assert_int_equal(response("800100020000 800400020004"),
                   NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(response("800100020000 80000000"), NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800400020004 80000000"), NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100040000 8001 80040002000f 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 80040004000f0011 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 80040002000f 800400020011 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
}

static void test_message_response_pool_records_113(void **state) {
  (void)state;
  assert_int_equal(response("800100020000 800400020004 80090000 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 800400020004 800a0000 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 800400020004 800c00020102 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 800400020004 800d00026869 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 800400020004 800b0000 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
}

static void test_message_response_unknown_114_115(void **state) {
  (void)state;
  assert_int_equal(response("800100020000 800400020004 80320000 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(response("800100020000 800400020004 00320000 80000000"), 0);
}

static void test_message_response_error_warning_116_117(void **state) {
  (void)state;
  assert_int_equal(response("800200020000 80000000"), NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(g_resp.error_code, 0);
  assert_int_equal(response("800300020001 80000000"), NTSPOOL_ERR_PEER_WARNING);
  assert_int_equal(g_resp.error_code, 1);
  assert_int_equal(response("800100020000 800200020002 80000000"),
                   NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(g_resp.error_code, 2);
}

static void test_message_response_no_overlap_118_119(void **state) {
  (void)state;
  assert_int_equal(response("80010000 80000000"), NTSPOOL_ERR_NO_PROTOCOL);
  assert_int_equal(response("800100020000 80040000 80000000"),
                   NTSPOOL_ERR_NO_AEAD);
  assert_true(g_resp.has_protocol);
  assert_int_equal(g_resp.protocol, 0);
}

static void test_message_response_uuid_120(void **state) {
  (void)state;
  assert_int_equal(response("800100020000 800400020004 4f0100026869 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
}

static void test_message_response_repeats(void **state) {
  (void)state;
  assert_int_equal(response("800100020000 800100020000 800400020004 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 800400020004 800600026869 "
                            "800600026869 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 800400020004 800700020005 "
                            "800700020005 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("800100020000 800400020004 80060000 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
}

static void test_message_response_ignored_and_flags(void **state) {
  (void)state;
  assert_int_equal(
      response("800100020000 80040002001e 000e00026869 04000000 80000000"), 0);
  assert_true(g_resp.compliant_128gcm);
  assert_false(g_resp.keep_alive);
  /* Draft numbering: Keep Alive is 0x4000; 0008 is an unknown record. */
  assert_int_equal(
      response_n("800100020000 80040002000f 40000000 80000000", DRAFT), 0);
  assert_true(g_resp.keep_alive);
  assert_int_equal(
      response_n("800100020000 80040002000f 00080000 80000000", DRAFT), 0);
  assert_false(g_resp.keep_alive);
  assert_int_equal(
      response_n("800100020000 80040002000f c0020000 80000000", DRAFT),
      NTSPOOL_ERR_BAD_RESPONSE);
}

static void test_message_response_max_cookies(void **state) {
  (void)state;
  enum { N = NTSPOOL_MAX_COOKIES + 2 };
  uint8_t bodies[N];
  ntspool_bytes cookies[N];
  for (int i = 0; i < N; i++) {
    bodies[i] = (uint8_t)i;
    cookies[i].data = &bodies[i];
    cookies[i].len = 1;
  }
  ntspool_ke_answer a = {
      .protocol = 0, .aead = 15, .cookies = cookies, .n_cookies = N};
  size_t len;
  assert_int_equal(
      ntspool_ke_response_build(g_msg.b, sizeof g_msg.b, &len, IANA, &a), 0);
  assert_int_equal(ntspool_ke_response_parse(g_msg.b, len, IANA, &g_resp), 0);
  assert_int_equal(g_resp.n_cookies_seen, N);
  assert_int_equal(g_resp.n_cookies, NTSPOOL_MAX_COOKIES);
  assert_int_equal(g_resp.cookies[NTSPOOL_MAX_COOKIES - 1].data[0],
                   NTSPOOL_MAX_COOKIES - 1);
}

static void test_message_response_pool_e2e_128_131(void **state) {
  (void)state;
  assert_int_equal(response("800100020000 800400020000 000500020102 "
                            "000500020304 80000000"),
                   0);
  assert_int_equal(g_resp.aead, 0);
  assert_int_equal(g_resp.n_cookies, 2);
  assert_false(g_resp.keep_alive);
  assert_int_equal(response("800100020000 800400020000 000500020102 "
                            "000500020304 00080000 80000000"),
                   0);
  assert_true(g_resp.keep_alive);
}

/* ---- 11.4: support responses --------------------------------------------- */

static void test_message_support_response_121_122(void **state) {
  (void)state;
  assert_int_equal(support("800a0004000f0020 800900020000 80000000", WANT_BOTH),
                   0);
  assert_true(g_sup.has_algorithms);
  assert_list(g_sup.algorithms, 2, 15, 32);
  assert_true(g_sup.has_protocols);
  assert_list(g_sup.protocols, 1, 0);
  assert_false(g_sup.keep_alive);
  assert_int_equal(
      support("800900020000 00080000 80000000", NTSPOOL_WANT_PROTOCOLS), 0);
  assert_list(g_sup.protocols, 1, 0);
  assert_false(g_sup.has_algorithms);
  assert_true(g_sup.keep_alive);
}

static void test_message_support_response_123_124(void **state) {
  (void)state;
  assert_int_equal(support("80090006000000010002 800a0008000000100001 0020 "
                           "00080000 80000000",
                           WANT_BOTH),
                   0);
  assert_list(g_sup.protocols, 3, 0, 1, 2);
  assert_list(g_sup.algorithms, 4, 0, 16, 1, 32);
  assert_true(g_sup.keep_alive);
  assert_int_equal(support("800a000400000010 800900020000 80000000", WANT_BOTH),
                   0);
  assert_list(g_sup.algorithms, 2, 0, 16);
  assert_list(g_sup.protocols, 1, 0);
}

static void test_message_support_response_invalid_125_127(void **state) {
  (void)state;
  assert_int_equal(support("800a000400000010 80000000", WANT_BOTH),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(support("800a000400000010 800900020000 000100020000 "
                           "80000000",
                           WANT_BOTH),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(support("800300020000 800a000400000010 800900020000 "
                           "80000000",
                           WANT_BOTH),
                   NTSPOOL_ERR_PEER_WARNING);
  assert_int_equal(g_sup.error_code, 0);
}

static void test_message_support_response_mod_101_102(void **state) {
  (void)state;
  assert_int_equal(
      support("800a0008000f002000110040 800900020000 80000000", WANT_BOTH), 0);
  assert_list(g_sup.algorithms, 4, 15, 32, 17, 64);
  assert_list(g_sup.protocols, 1, 0);
  assert_int_equal(support("80020002000180000000", WANT_BOTH),
                   NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(g_sup.error_code, 1);
}

static void test_message_support_response_rules(void **state) {
  (void)state;
  assert_int_equal(
      support("800900020000 800900020000 80000000", NTSPOOL_WANT_PROTOCOLS),
      NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(support("800900020000 80000000", NTSPOOL_WANT_ALGORITHMS),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(
      support("800900020000 00050000 80000000", NTSPOOL_WANT_PROTOCOLS),
      NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(
      support("800900020000 800c0000 80000000", NTSPOOL_WANT_PROTOCOLS),
      NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(
      support("800900020000 000d00026869 80000000", NTSPOOL_WANT_PROTOCOLS),
      NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(
      support("800900020000 cf0100026869 80000000", NTSPOOL_WANT_PROTOCOLS),
      NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(
      support("800900020000 800b0000 80000000", NTSPOOL_WANT_PROTOCOLS),
      NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(
      support("800900020000 80320000 80000000", NTSPOOL_WANT_PROTOCOLS),
      NTSPOOL_ERR_UNKNOWN_CRITICAL);
  /* Server, Port, Authentication, unknown non-critical: ignored. */
  assert_int_equal(support("800900020000 800600026869 800700020005 "
                           "000e00026869 00320000 80000000",
                           NTSPOOL_WANT_PROTOCOLS),
                   0);
  assert_int_equal(g_sup.n_names, 0);
}

static void test_message_support_response_server_names(void **state) {
  (void)state;
  assert_int_equal(support("80060006 \"a.test\" 80060006 \"b.test\" 80000000",
                           NTSPOOL_WANT_SERVER_NAMES),
                   0);
  assert_int_equal(g_sup.n_names, 2);
  assert_view(g_sup.names[0], "a.test");
  assert_view(g_sup.names[1], "b.test");
  /* The time source may have no names at all. */
  assert_int_equal(support("80000000", NTSPOOL_WANT_SERVER_NAMES), 0);
  assert_int_equal(g_sup.n_names_seen, 0);
  assert_int_equal(support("80060000 80000000", NTSPOOL_WANT_SERVER_NAMES),
                   NTSPOOL_ERR_BAD_RESPONSE);

  enum { N = NTSPOOL_MAX_SERVER_NAMES + 3 };
  char names[N][4];
  ntspool_bytes views[N];
  for (int i = 0; i < N; i++) {
    snprintf(names[i], sizeof names[i], "n%02d", i);
    views[i] = str(names[i]);
  }
  ntspool_support_answer a = {
      .want = NTSPOOL_WANT_SERVER_NAMES, .names = views, .n_names = N};
  size_t len;
  assert_int_equal(
      ntspool_support_response_build(g_msg.b, sizeof g_msg.b, &len, IANA, &a),
      0);
  assert_int_equal(ntspool_support_response_parse(
                       g_msg.b, len, IANA, NTSPOOL_WANT_SERVER_NAMES, &g_sup),
                   0);
  assert_int_equal(g_sup.n_names_seen, N);
  assert_int_equal(g_sup.n_names, NTSPOOL_MAX_SERVER_NAMES);
  assert_view(g_sup.names[NTSPOOL_MAX_SERVER_NAMES - 1], "n15");
}

static void test_message_support_response_draft(void **state) {
  (void)state;
  assert_int_equal(support_n("c00400020000 c0010008000f002000110040 80000000",
                             DRAFT, WANT_BOTH),
                   0);
  assert_list(g_sup.protocols, 1, 0);
  assert_list(g_sup.algorithms, 4, 15, 32, 17, 64);
  assert_int_equal(
      support_n("c00400020000 80000000", DRAFT, NTSPOOL_WANT_PROTOCOLS), 0);
  assert_list(g_sup.protocols, 1, 0);
  assert_int_equal(support_n("c00400020000 c0010008000f002000110040 80000000",
                             IANA, WANT_BOTH),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
}

/* ---- framing and malformed input, every parser -------------------------- */

static void test_message_trailing_data(void **state) {
  (void)state;
  assert_int_equal(client("800100020000 80040002000f 80000000 00"),
                   NTSPOOL_ERR_TRAILING_DATA);
  assert_int_equal(
      client("800100020000 80040002000f 80000000 800100020000 80000000"),
      NTSPOOL_ERR_TRAILING_DATA);
  assert_int_equal(source("000e000161 800a0000 80000000 80000000"),
                   NTSPOOL_ERR_TRAILING_DATA);
  assert_int_equal(response("800100020000 80040002000f 80000000 ff"),
                   NTSPOOL_ERR_TRAILING_DATA);
  assert_int_equal(support("800900020000 80000000 00", NTSPOOL_WANT_PROTOCOLS),
                   NTSPOOL_ERR_TRAILING_DATA);
}

static void test_message_missing_end(void **state) {
  (void)state;
  assert_int_equal(client(""), NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(client("800100020000 80040002000f"), NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(client("800100020000 80040002000f 8000"),
                   NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(client("800100040000"), NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(source("000e000161 800a0000"), NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(response("800100020000 800400020011 0005"),
                   NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(support("800900020000", NTSPOOL_WANT_PROTOCOLS),
                   NTSPOOL_ERR_NEED_MORE);
  /* Framing comes first: a cut-off message is NEED_MORE whatever it holds. */
  assert_int_equal(client("800200020000 800100020000"), NTSPOOL_ERR_NEED_MORE);
}

static void test_message_lenient_end(void **state) {
  (void)state;
  assert_int_equal(client("800100020000 80040002000f 00000000"), 0);
  assert_int_equal(client("800100020000 80040002000f 80000003010203"), 0);
  assert_int_equal(response("800100020000 80040002000f 00000000"), 0);
}

static void test_message_malformed_record(void **state) {
  (void)state;
  assert_int_equal(client("8001000100 80040002000f 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("800100020000 80040002000f 000d00020001 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800c0003010203 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(source("000e000161 800a0002 0000 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(response("800100020000 800400010f 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(
      response("800100020000 80040002000f 80070003007b05 80000000"),
      NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(response("8002000400030000 80000000"),
                   NTSPOOL_ERR_BAD_RESPONSE);
  assert_int_equal(support("800a0002000f 80000000", NTSPOOL_WANT_ALGORITHMS),
                   NTSPOOL_ERR_BAD_RESPONSE);
}

static void test_message_first_failure_wins(void **state) {
  (void)state;
  assert_int_equal(client("800300020000 803200020001 80000000"),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(client("803200020001 800300020000 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(client("803200020001 8001000100 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(response("803200020001 800200020001 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
  assert_int_equal(response("800200020001 803200020001 80000000"),
                   NTSPOOL_ERR_PEER_ERROR);
  /* Record-order failures come before the whole-message checks. */
  assert_int_equal(client("803200020001 80000000"),
                   NTSPOOL_ERR_UNKNOWN_CRITICAL);
}

static void test_message_parse_invalid_args(void **state) {
  (void)state;
  static const uint8_t eom[] = {0x80, 0, 0, 0};
  assert_int_equal(ntspool_client_request_parse(eom, 4, NULL),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_client_request_parse(NULL, 4, &g_req),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_source_request_parse(eom, 4, IANA, 0, NULL),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_source_request_parse(
                       eom, 4, (enum ntspool_numbering)7, 0, &g_req),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ke_response_parse(eom, 4, IANA, NULL),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ke_response_parse(NULL, 4, IANA, &g_resp),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_support_response_parse(eom, 4, IANA, 0, NULL),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_support_response_parse(NULL, 4, IANA, 0, &g_sup),
                   NTSPOOL_ERR_INVALID_ARG);
}

static void test_message_list_get_has(void **state) {
  (void)state;
  static const uint8_t data[] = {0x80, 0x01, 0x00, 0x00, 0x00, 0x0f};
  ntspool_u16_list l = {data, 3};
  assert_int_equal(ntspool_u16_list_get(l, 0), 0x8001);
  assert_int_equal(ntspool_u16_list_get(l, 2), 15);
  assert_true(ntspool_u16_list_has(l, 0));
  assert_true(ntspool_u16_list_has(l, 15));
  assert_false(ntspool_u16_list_has(l, 17));
  ntspool_u16_list empty = {NULL, 0};
  assert_false(ntspool_u16_list_has(empty, 0));
}

/* ---- builders: exact bytes ------------------------------------------------
 */

static void test_message_build_ke_request_65_67(void **state) {
  (void)state;
  assert_builds(b65, "800100020000 800400040011000f 80000000");
  assert_builds(b66, "800100020000 80040002000f 000d00026869 80000000");
  assert_builds(b67,
                "8001000400000001 8004000400000001 000d000474657374 80000000");
  assert_builds(b_ke_request_1024,
                "800100020000 80040004001e000f 04000000 80000000");
  assert_builds(b_ke_request_draft,
                "800100020000 80040002000f 400300026869 80000000");
  assert_builds(b_uuid_request, "000e00026d6b cf0100027531 800100020000 "
                                "800400040011000f 80000000");
  /* What it builds, the pool reads as a UUID request. */
  uint8_t msg[64];
  size_t len;
  ntspool_request req;
  assert_int_equal(b_uuid_request(msg, sizeof msg, &len), 0);
  assert_int_equal(ntspool_client_request_parse(msg, len, &req), 0);
  assert_int_equal(req.kind, NTSPOOL_REQUEST_UUID);
  assert_int_equal(req.uuid.len, 2);
  static const uint16_t p[] = {0};
  assert_int_equal(ntspool_uuid_request_build(msg, sizeof msg, &len, str(""),
                                              str("u1"), p, 1, p, 1),
                   NTSPOOL_ERR_INVALID_ARG);
}

static void test_message_build_fixed_key_74_77(void **state) {
  (void)state;
  assert_builds(b74, "000e000161 800c0040 K[00..3f] 800100020000 "
                     "80040002000f 80000000");
  assert_builds(b77, "000e000161 800c0040 K[00..3f] 800100020000 "
                     "80040002000f 00080000 80000000");
  assert_builds(b75, "000e000161 800c0080 K[00..7f] 800100020000 "
                     "800400020011 80000000");
  assert_builds(b_fixed_key_token64,
                "000e0040 \"" TOKEN64 "\" 800c0040 K[00..3f] 800100020000 "
                "80040002000f 00080000 80000000");
}

static void test_message_build_fixed_key_100(void **state) {
  (void)state;
  assert_builds(b100, "000e000461626364 800c000401020304 800100020001 "
                      "800400020002 80000000");
  assert_builds(b100_keep_alive,
                "000e000461626364 800c000401020304 800100020001 "
                "800400020002 00080000 80000000");
}

static void test_message_build_support_request_99(void **state) {
  (void)state;
  assert_builds(b99, "000e000461626364 800a0000 80090000 00080000 80000000");
  assert_builds(b_support_request_token64,
                "000e0040 \"" TOKEN64 "\" 800a0000 80090000 00080000 80000000");
  assert_builds(b_support_request_names, "000e000161 800b0000 80000000");
}

static void test_message_build_draft_pool_requests(void **state) {
  (void)state;
  /* The experimental-numbering Fixed Key Request (11.8), exactly. */
  assert_builds(b_fixed_key_draft_cert,
                "c0020040 K[00..3f] 800100020000 80040002000f 80000000");
  assert_builds(b_fixed_key_draft_token,
                "40050001 61 c0020040 K[00..3f] 800100020000 80040002000f "
                "40000000 80000000");
  /* The builder writes the support lists in the other order than 11.8's
   * example; the order is free. */
  assert_builds(b_support_request_draft_cert, "c0010000 c0040000 80000000");
  assert_builds(b_support_request_draft_all,
                "40050001 61 c0010000 c0040000 c0060000 40000000 80000000");
}

static void test_message_build_ke_response(void **state) {
  (void)state;
  assert_builds(b_ke_response_107,
                "800100020000 800400020011 000500020102 000500020304 "
                "800600026869 800700020005 00080000 80000000");
  assert_builds(b_ke_response_128, "800100020000 800400020000 000500020102 "
                                   "000500020304 80060006 \"a.test\" 80000000");
  assert_builds(b_ke_response_draft, "800100020000 80040002001e 000500020102 "
                                     "04000000 40000000 80000000");
}

static void test_message_build_no_overlap_118_119(void **state) {
  (void)state;
  assert_builds(b_no_protocol, "80010000 80000000");
  assert_builds(b_no_aead, "800100020000 80040000 80000000");
}

static void test_message_build_error_response(void **state) {
  (void)state;
  assert_builds(b_error_1, "80020002000180000000");
  assert_builds(b_error_2, "80020002000280000000");
  assert_builds(b_error_no_such_server, "8002 0002 f000 80000000");
}

static void test_message_build_support_response_121_122(void **state) {
  (void)state;
  assert_builds(b121, "800a0004000f0020 800900020000 80000000");
  assert_builds(b122, "800900020000 00080000 80000000");
  assert_builds(b_support_response_ntpd_rs,
                "800a0008 000f0020 00110040 80090002 0000 80000000");
  assert_builds(b_support_response_draft,
                "c0010008000f002000110040 c00400020000 40000000 80000000");
  assert_builds(b_support_response_names,
                "80060006 \"a.test\" 80060006 \"b.test\" 80000000");
}

/* ---- builders: every too-small buffer ----------------------------------- */

static void test_message_build_buffer_too_small(void **state) {
  (void)state;
  assert_too_small_fails(b65);
  assert_too_small_fails(b66);
  assert_too_small_fails(b67);
  assert_too_small_fails(b_ke_request_1024);
  assert_too_small_fails(b_ke_request_draft);
  assert_too_small_fails(b74);
  assert_too_small_fails(b77);
  assert_too_small_fails(b75);
  assert_too_small_fails(b100);
  assert_too_small_fails(b100_keep_alive);
  assert_too_small_fails(b_fixed_key_draft_token);
  assert_too_small_fails(b99);
  assert_too_small_fails(b_support_request_draft_all);
  assert_too_small_fails(b_ke_response_107);
  assert_too_small_fails(b_ke_response_draft);
  assert_too_small_fails(b_no_protocol);
  assert_too_small_fails(b_no_aead);
  assert_too_small_fails(b_error_1);
  assert_too_small_fails(b121);
  assert_too_small_fails(b122);
  assert_too_small_fails(b_support_response_names);
}

static void test_message_build_invalid_args(void **state) {
  (void)state;
  static uint8_t big[70000];
  uint8_t buf[64];
  size_t len;
  static const uint16_t p[] = {0};
  ntspool_bytes huge = {big, sizeof big};
  ntspool_bytes none = {NULL, 0};

  assert_int_equal(ntspool_error_response_build(buf, sizeof buf, NULL, 1),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_error_response_build(NULL, 8, &len, 1),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ke_request_build(buf, sizeof buf, &len, IANA, NULL,
                                            1, p, 1, NULL, 0, false),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ke_request_build(buf, sizeof buf, &len, IANA, p, 1,
                                            p, 1, NULL, 2, false),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ke_request_build(buf, sizeof buf, &len,
                                            (enum ntspool_numbering)9, p, 1, p,
                                            1, NULL, 0, false),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_support_request_build(buf, sizeof buf, &len, IANA,
                                                 huge, WANT_BOTH, false),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_fixed_key_request_build(buf, sizeof buf, &len, IANA,
                                                   none, 0, 15, NULL, g_k, 32,
                                                   false),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_fixed_key_request_build(buf, sizeof buf, &len, IANA,
                                                   none, 0, 15, big, big, 40000,
                                                   false),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ke_response_build(buf, sizeof buf, &len, IANA, NULL),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_ke_answer ka = {.protocol = 0, .aead = 15, .n_cookies = 1};
  assert_int_equal(ntspool_ke_response_build(buf, sizeof buf, &len, IANA, &ka),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(
      ntspool_support_response_build(buf, sizeof buf, &len, IANA, NULL),
      NTSPOOL_ERR_INVALID_ARG);
  ntspool_support_answer sa = {.want = NTSPOOL_WANT_PROTOCOLS,
                               .n_protocols = 1};
  assert_int_equal(
      ntspool_support_response_build(buf, sizeof buf, &len, IANA, &sa),
      NTSPOOL_ERR_INVALID_ARG);
  ntspool_support_answer many = {.want = NTSPOOL_WANT_ALGORITHMS,
                                 .algorithms = p,
                                 .n_algorithms = SIZE_MAX / 2 + 1};
  assert_int_equal(
      ntspool_support_response_build(buf, sizeof buf, &len, IANA, &many),
      NTSPOOL_ERR_INVALID_ARG);
}

/* ---- round trips: build, then parse with the peer's parser -------------- */

static void test_message_roundtrip_ke_request(void **state) {
  (void)state;
  static const uint16_t p[] = {0x8001, 0}, a[] = {30, 17, 15};
  ntspool_bytes deny[] = {str("a.test"), str("b.test")};
  size_t len;
  assert_int_equal(ntspool_ke_request_build(g_msg.b, sizeof g_msg.b, &len, IANA,
                                            p, 2, a, 3, deny, 2, true),
                   0);
  assert_int_equal(ntspool_client_request_parse(g_msg.b, len, &g_req), 0);
  assert_int_equal(g_req.kind, NTSPOOL_REQUEST_KE);
  assert_list(g_req.protocols, 2, 0x8001, 0);
  assert_list(g_req.aeads, 3, 30, 17, 15);
  assert_true(g_req.compliant_128gcm);
  assert_int_equal(g_req.n_denied, 2);
  assert_view(g_req.denied[1], "b.test");
  /* A draft-numbered request read by a draft time source. */
  assert_int_equal(ntspool_ke_request_build(g_msg.b, sizeof g_msg.b, &len,
                                            DRAFT, p, 2, a, 3, deny, 2, false),
                   0);
  assert_int_equal(ntspool_source_request_parse(g_msg.b, len, DRAFT, 0, &g_req),
                   0);
  assert_int_equal(g_req.n_denied, 2);
  assert_view(g_req.denied[0], "a.test");
}

static void test_message_roundtrip_support_request(void **state) {
  (void)state;
  const enum ntspool_numbering ns[] = {IANA, DRAFT};
  for (size_t i = 0; i < 2; i++) {
    size_t len;
    assert_int_equal(ntspool_support_request_build(
                         g_msg.b, sizeof g_msg.b, &len, ns[i], str(TOKEN64),
                         WANT_BOTH | NTSPOOL_WANT_SERVER_NAMES, true),
                     0);
    assert_int_equal(
        ntspool_source_request_parse(g_msg.b, len, ns[i], 0, &g_req), 0);
    assert_int_equal(g_req.kind, NTSPOOL_REQUEST_SUPPORT);
    assert_int_equal(g_req.want, WANT_BOTH | NTSPOOL_WANT_SERVER_NAMES);
    assert_true(g_req.keep_alive);
    assert_view(g_req.token, TOKEN64);
  }
  /* Without a token only a certificate-authenticated peer is served. */
  size_t len;
  ntspool_bytes none = {NULL, 0};
  assert_int_equal(ntspool_support_request_build(g_msg.b, sizeof g_msg.b, &len,
                                                 IANA, none,
                                                 NTSPOOL_WANT_PROTOCOLS, false),
                   0);
  assert_int_equal(ntspool_source_request_parse(g_msg.b, len, IANA, 0, &g_req),
                   NTSPOOL_ERR_BAD_REQUEST);
  assert_int_equal(
      ntspool_source_request_parse(g_msg.b, len, IANA, CERT, &g_req), 0);
  assert_int_equal(g_req.want, NTSPOOL_WANT_PROTOCOLS);
  assert_false(g_req.keep_alive);
}

static void test_message_roundtrip_fixed_key_request(void **state) {
  (void)state;
  const enum ntspool_numbering ns[] = {IANA, DRAFT};
  for (size_t i = 0; i < 2; i++) {
    size_t len;
    assert_int_equal(ntspool_fixed_key_request_build(
                         g_msg.b, sizeof g_msg.b, &len, ns[i], str("tok"),
                         0x8001, 17, g_k, g_k + 64, 64, true),
                     0);
    assert_int_equal(
        ntspool_source_request_parse(g_msg.b, len, ns[i], 0, &g_req), 0);
    assert_int_equal(g_req.kind, NTSPOOL_REQUEST_FIXED_KEY);
    assert_list(g_req.protocols, 1, 0x8001);
    assert_list(g_req.aeads, 1, 17);
    assert_seq(g_req.c2s_key, 0x00, 64);
    assert_seq(g_req.s2c_key, 0x40, 64);
    assert_view(g_req.token, "tok");
    assert_true(g_req.keep_alive);
  }
}

static void test_message_roundtrip_ke_response(void **state) {
  (void)state;
  const enum ntspool_numbering ns[] = {IANA, DRAFT};
  ntspool_bytes cookies[] = {str("cookie-one"), str("cookie-two"),
                             str("cookie-three")};
  ntspool_ke_answer a = {.protocol = 0,
                         .aead = 30,
                         .cookies = cookies,
                         .n_cookies = 3,
                         .server = str("ntp.example.org"),
                         .has_port = true,
                         .port = 4123,
                         .compliant_128gcm = true,
                         .keep_alive = true};
  for (size_t i = 0; i < 2; i++) {
    size_t len;
    assert_int_equal(
        ntspool_ke_response_build(g_msg.b, sizeof g_msg.b, &len, ns[i], &a), 0);
    assert_int_equal(ntspool_ke_response_parse(g_msg.b, len, ns[i], &g_resp),
                     0);
    assert_int_equal(g_resp.protocol, 0);
    assert_int_equal(g_resp.aead, 30);
    assert_int_equal(g_resp.n_cookies, 3);
    assert_view(g_resp.cookies[2], "cookie-three");
    assert_view(g_resp.server, "ntp.example.org");
    assert_true(g_resp.has_port);
    assert_int_equal(g_resp.port, 4123);
    assert_true(g_resp.compliant_128gcm);
    assert_true(g_resp.keep_alive);
  }
  /* The minimal answer: no cookies, server or port. */
  ntspool_ke_answer bare = {.protocol = 0x8001, .aead = 15};
  size_t len;
  assert_int_equal(
      ntspool_ke_response_build(g_msg.b, sizeof g_msg.b, &len, IANA, &bare), 0);
  assert_int_equal(ntspool_ke_response_parse(g_msg.b, len, IANA, &g_resp), 0);
  assert_int_equal(g_resp.protocol, 0x8001);
  assert_int_equal(g_resp.n_cookies, 0);
  assert_int_equal(g_resp.server.len, 0);
  assert_false(g_resp.has_port);
  assert_false(g_resp.keep_alive);
}

static void test_message_roundtrip_no_overlap(void **state) {
  (void)state;
  size_t len;
  assert_int_equal(ntspool_no_overlap_response_build(g_msg.b, sizeof g_msg.b,
                                                     &len, false, 0),
                   0);
  assert_int_equal(ntspool_ke_response_parse(g_msg.b, len, IANA, &g_resp),
                   NTSPOOL_ERR_NO_PROTOCOL);
  assert_int_equal(ntspool_no_overlap_response_build(g_msg.b, sizeof g_msg.b,
                                                     &len, true, 0x8001),
                   0);
  assert_int_equal(ntspool_ke_response_parse(g_msg.b, len, IANA, &g_resp),
                   NTSPOOL_ERR_NO_AEAD);
  assert_int_equal(g_resp.protocol, 0x8001);
}

static void test_message_roundtrip_error(void **state) {
  (void)state;
  size_t len;
  assert_int_equal(ntspool_error_response_build(g_msg.b, sizeof g_msg.b, &len,
                                                NTSPOOL_NTS_NO_SUCH_SERVER),
                   0);
  assert_int_equal(ntspool_ke_response_parse(g_msg.b, len, IANA, &g_resp),
                   NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(g_resp.error_code, NTSPOOL_NTS_NO_SUCH_SERVER);
  assert_int_equal(
      ntspool_support_response_parse(g_msg.b, len, DRAFT, WANT_BOTH, &g_sup),
      NTSPOOL_ERR_PEER_ERROR);
  assert_int_equal(g_sup.error_code, NTSPOOL_NTS_NO_SUCH_SERVER);
}

static void test_message_roundtrip_support_response(void **state) {
  (void)state;
  const enum ntspool_numbering ns[] = {IANA, DRAFT};
  static const uint16_t p[] = {0, 0x8001};
  static const uint16_t alg[] = {15, 32, 17, 64, 30, 16};
  ntspool_bytes names[] = {str("a.test")};
  ntspool_support_answer a = {.want = WANT_BOTH | NTSPOOL_WANT_SERVER_NAMES,
                              .protocols = p,
                              .n_protocols = 2,
                              .algorithms = alg,
                              .n_algorithms = 3,
                              .names = names,
                              .n_names = 1,
                              .keep_alive = true};
  for (size_t i = 0; i < 2; i++) {
    size_t len;
    assert_int_equal(ntspool_support_response_build(g_msg.b, sizeof g_msg.b,
                                                    &len, ns[i], &a),
                     0);
    assert_int_equal(
        ntspool_support_response_parse(g_msg.b, len, ns[i], a.want, &g_sup), 0);
    assert_list(g_sup.protocols, 2, 0, 0x8001);
    assert_list(g_sup.algorithms, 6, 15, 32, 17, 64, 30, 16);
    assert_int_equal(g_sup.n_names, 1);
    assert_view(g_sup.names[0], "a.test");
    assert_true(g_sup.keep_alive);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_message_client_plain_48_49),
      cmocka_unit_test(test_message_client_missing_records_50_52),
      cmocka_unit_test(test_message_client_duplicates_53_54),
      cmocka_unit_test(test_message_client_pool_records_55_56),
      cmocka_unit_test(test_message_client_server_only_records_57_59),
      cmocka_unit_test(test_message_client_unknown_and_ignored_60_63),
      cmocka_unit_test(test_message_client_deny_64),
      cmocka_unit_test(test_message_client_serialized_requests_65_67),
      cmocka_unit_test(test_message_client_pool_ordinary_68_69),
      cmocka_unit_test(test_message_client_pool_invalid_70_72),
      cmocka_unit_test(test_message_client_uuid_73),
      cmocka_unit_test(test_message_client_uuid_rules),
      cmocka_unit_test(test_message_client_uuid_134_137),
      cmocka_unit_test(test_message_client_pool_e2e_requests_128_133),
      cmocka_unit_test(test_message_client_empty_protocol_list),
      cmocka_unit_test(test_message_client_compliant_128gcm),
      cmocka_unit_test(test_message_client_draft_numbers_are_unknown),
      cmocka_unit_test(test_message_client_max_denied),
      cmocka_unit_test(test_message_source_plain_48_54),
      cmocka_unit_test(test_message_source_invalid_55_60),
      cmocka_unit_test(test_message_source_accepted_61_64),
      cmocka_unit_test(test_message_source_pool_vectors_68_73),
      cmocka_unit_test(test_message_source_fixed_key_74),
      cmocka_unit_test(test_message_source_fixed_key_75),
      cmocka_unit_test(test_message_source_fixed_key_order_76_77),
      cmocka_unit_test(test_message_source_fixed_key_invalid_78_85),
      cmocka_unit_test(test_message_source_fixed_key_extras_86_88),
      cmocka_unit_test(test_message_source_support_89_91),
      cmocka_unit_test(test_message_source_support_invalid_92_96),
      cmocka_unit_test(test_message_source_support_97_99),
      cmocka_unit_test(test_message_source_fixed_key_100),
      cmocka_unit_test(test_message_source_mod_101_105),
      cmocka_unit_test(test_message_source_token_rules),
      cmocka_unit_test(test_message_source_list_server_names),
      cmocka_unit_test(test_message_source_fixed_key_aead_30),
      cmocka_unit_test(test_message_source_token64),
      cmocka_unit_test(test_message_source_cert_authenticated),
      cmocka_unit_test(test_message_source_draft_fixed_key),
      cmocka_unit_test(test_message_source_draft_support),
      cmocka_unit_test(test_message_response_106_107),
      cmocka_unit_test(test_message_response_invalid_108_112),
      cmocka_unit_test(test_message_response_pool_records_113),
      cmocka_unit_test(test_message_response_unknown_114_115),
      cmocka_unit_test(test_message_response_error_warning_116_117),
      cmocka_unit_test(test_message_response_no_overlap_118_119),
      cmocka_unit_test(test_message_response_uuid_120),
      cmocka_unit_test(test_message_response_repeats),
      cmocka_unit_test(test_message_response_ignored_and_flags),
      cmocka_unit_test(test_message_response_max_cookies),
      cmocka_unit_test(test_message_response_pool_e2e_128_131),
      cmocka_unit_test(test_message_support_response_121_122),
      cmocka_unit_test(test_message_support_response_123_124),
      cmocka_unit_test(test_message_support_response_invalid_125_127),
      cmocka_unit_test(test_message_support_response_mod_101_102),
      cmocka_unit_test(test_message_support_response_rules),
      cmocka_unit_test(test_message_support_response_server_names),
      cmocka_unit_test(test_message_support_response_draft),
      cmocka_unit_test(test_message_trailing_data),
      cmocka_unit_test(test_message_missing_end),
      cmocka_unit_test(test_message_lenient_end),
      cmocka_unit_test(test_message_malformed_record),
      cmocka_unit_test(test_message_first_failure_wins),
      cmocka_unit_test(test_message_parse_invalid_args),
      cmocka_unit_test(test_message_list_get_has),
      cmocka_unit_test(test_message_build_ke_request_65_67),
      cmocka_unit_test(test_message_build_fixed_key_74_77),
      cmocka_unit_test(test_message_build_fixed_key_100),
      cmocka_unit_test(test_message_build_support_request_99),
      cmocka_unit_test(test_message_build_draft_pool_requests),
      cmocka_unit_test(test_message_build_ke_response),
      cmocka_unit_test(test_message_build_no_overlap_118_119),
      cmocka_unit_test(test_message_build_error_response),
      cmocka_unit_test(test_message_build_support_response_121_122),
      cmocka_unit_test(test_message_build_buffer_too_small),
      cmocka_unit_test(test_message_build_invalid_args),
      cmocka_unit_test(test_message_roundtrip_ke_request),
      cmocka_unit_test(test_message_roundtrip_support_request),
      cmocka_unit_test(test_message_roundtrip_fixed_key_request),
      cmocka_unit_test(test_message_roundtrip_ke_response),
      cmocka_unit_test(test_message_roundtrip_no_overlap),
      cmocka_unit_test(test_message_roundtrip_error),
      cmocka_unit_test(test_message_roundtrip_support_response),
  };
  return cmocka_run_group_tests(tests, setup_keys, NULL);
}
