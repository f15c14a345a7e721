/* SPDX-License-Identifier: BSD-2-Clause */
/* PROXY protocol v2 header: vectors 138-145 (doc/protocol.md 11.7), byte-wise
 * arrival, and refusal of whatever is not LOCAL or TCP over IPv4/IPv6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ntspool/proxy.h"
#include "support/hex.h"

#define SIG "0d0a0d0a000d0a515549540a"

typedef struct {
  uint8_t buf[128];
  size_t len;
} vec;

static vec from_hex(const char *hex) {
  vec v;
  v.len = ntspool_test_hex(hex, v.buf, sizeof v.buf);
  return v;
}

static void test_proxy_v138_ipv4(void **state) {
  (void)state;
  vec v = from_hex(SIG "2111000c 01020304 05060708 000a 000b");
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r), 28);
  assert_int_equal(r.needed, 28);
  assert_false(r.local);
  assert_int_equal(r.family, 4);
  assert_memory_equal(r.address, "\x01\x02\x03\x04", 4);
  assert_int_equal(r.port, 10);
}

static void test_proxy_v139_extra_bytes_skipped(void **state) {
  (void)state;
  vec v = from_hex(SIG "2111000f 01020304 05060708 000a 000b 112233 16030100");
  ntspool_proxy_result r;
  /* The three TLV bytes are consumed, the TLS bytes after them are not. */
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r), 31);
  assert_int_equal(r.family, 4);
  assert_int_equal(r.port, 10);
}

static void test_proxy_v140_too_short(void **state) {
  (void)state;
  vec v = from_hex(SIG "2111000b 01020304 05060708 000a 00");
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r),
                   NTSPOOL_ERR_MALFORMED);
  /* Refused on the fixed part alone: no waiting for the body. */
  assert_int_equal(ntspool_proxy_parse(v.buf, 16, &r), NTSPOOL_ERR_MALFORMED);
}

static void test_proxy_v141_ipv6(void **state) {
  (void)state;
  vec v = from_hex(SIG "21210024"
                       "00000000000000000000000000000001"
                       "00000000000000000000000000000002"
                       "0003 0004");
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r), 52);
  assert_int_equal(r.family, 6);
  static const uint8_t one[16] = {[15] = 1};
  assert_memory_equal(r.address, one, 16);
  assert_int_equal(r.port, 3);
}

static void test_proxy_v141_mapped_is_ipv4(void **state) {
  (void)state;
  vec v = from_hex(SIG "21210024"
                       "00000000000000000000ffffc0000201"
                       "00000000000000000000000000000002"
                       "1234 0004");
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r), 52);
  assert_int_equal(r.family, 4);
  assert_memory_equal(r.address, "\xc0\x00\x02\x01", 4);
  assert_int_equal(r.port, 0x1234);
}

static void test_proxy_v142_local(void **state) {
  (void)state;
  vec v = from_hex(SIG "20000000");
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r), 16);
  assert_true(r.local);
  assert_int_equal(r.family, 0);
}

static void test_proxy_v143_local_with_body(void **state) {
  (void)state;
  vec v = from_hex(SIG "20150002 abcd");
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r), 18);
  assert_true(r.local);
}

static void test_proxy_v144_refused(void **state) {
  (void)state;
  static const char *const bad[] = {
      "0e0a0d0a000d0a515549540a 2111000c 01020304 05060708 000a 000b",
      "0d0a0d0a000d0a515549540f 2111000c 01020304 05060708 000a 000b",
      SIG "2112000c 01020304 05060708 000a 000b",
      SIG "2211000c 01020304 05060708 000a 000b",
      /* version 1 in the high nibble, UNSPEC, UDP, unix, IPv6 too short */
      SIG "1111000c 01020304 05060708 000a 000b", SIG "21000000",
      SIG "2122000c 01020304 05060708 000a 000b", SIG "21310000",
      SIG "21210023",
      /* the text PROXY v1 header and a TLS ClientHello */
      "50524f5859205443503420", "160301020001"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    vec v = from_hex(bad[i]);
    ntspool_proxy_result r;
    assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r),
                     NTSPOOL_ERR_MALFORMED);
  }
}

static void test_proxy_v145_pool_example(void **state) {
  (void)state;
  vec v = from_hex("0d0a0d0a000d0a515549540a2111000c01020304050607080009000a"
                   "160303");
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r), 28);
  assert_int_equal(r.family, 4);
  assert_memory_equal(r.address, "\x01\x02\x03\x04", 4);
  assert_int_equal(r.port, 9);
}

/* Every prefix of a valid header needs more, and `needed` tells the exact
 * total as soon as the fixed part is there. */
static void test_proxy_prefixes_need_more(void **state) {
  (void)state;
  vec v = from_hex(SIG "2111000f 01020304 05060708 000a 000b 112233");
  ntspool_proxy_result r;
  for (size_t n = 0; n < v.len; n++) {
    assert_int_equal(ntspool_proxy_parse(v.buf, n, &r), NTSPOOL_ERR_NEED_MORE);
    assert_int_equal(r.needed, n < 16 ? 16 : 31);
  }
  assert_int_equal(ntspool_proxy_parse(v.buf, v.len, &r), 31);
}

static void test_proxy_signature_mismatch_early(void **state) {
  (void)state;
  static const uint8_t tls[] = {0x16, 0x03};
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(tls, 1, &r), NTSPOOL_ERR_MALFORMED);
  assert_int_equal(ntspool_proxy_parse(tls, 0, &r), NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(ntspool_proxy_parse(NULL, 0, &r), NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_proxy_parse(tls, 2, NULL), NTSPOOL_ERR_INVALID_ARG);
}

static void test_proxy_largest_length(void **state) {
  (void)state;
  static uint8_t big[NTSPOOL_PROXY_MAX_LEN];
  vec v = from_hex(SIG "2111ffff 01020304 05060708 000a 000b");
  memcpy(big, v.buf, v.len);
  ntspool_proxy_result r;
  assert_int_equal(ntspool_proxy_parse(big, sizeof big - 1, &r),
                   NTSPOOL_ERR_NEED_MORE);
  assert_int_equal(r.needed, NTSPOOL_PROXY_MAX_LEN);
  assert_int_equal(ntspool_proxy_parse(big, sizeof big, &r),
                   NTSPOOL_PROXY_MAX_LEN);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_proxy_v138_ipv4),
      cmocka_unit_test(test_proxy_v139_extra_bytes_skipped),
      cmocka_unit_test(test_proxy_v140_too_short),
      cmocka_unit_test(test_proxy_v141_ipv6),
      cmocka_unit_test(test_proxy_v141_mapped_is_ipv4),
      cmocka_unit_test(test_proxy_v142_local),
      cmocka_unit_test(test_proxy_v143_local_with_body),
      cmocka_unit_test(test_proxy_v144_refused),
      cmocka_unit_test(test_proxy_v145_pool_example),
      cmocka_unit_test(test_proxy_prefixes_need_more),
      cmocka_unit_test(test_proxy_signature_mismatch_early),
      cmocka_unit_test(test_proxy_largest_length),
  };
  return cmocka_run_group_tests_name("proxy", tests, NULL, NULL);
}
