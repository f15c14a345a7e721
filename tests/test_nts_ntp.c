/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NTS NTP packets and cookies of the example programs
 * (examples/common/nts_ntp.c, cookie.c, nts_server.c): header and timestamp
 * codecs, request/response round trips, the NTS NAK, cookie sealing with
 * key rotation, the responder's answers (time, NAK for an unknown cookie
 * or a forged request, silence for garbage), and every truncation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/cookie.h"
#include "common/nts_ntp.h"
#include "common/nts_server.h"

#define T0 1700000000 /* jar clock, seconds */

static const uint8_t uid_bytes[32] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54,
    0x76, 0x98, 0xba, 0xdc, 0xfe, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
    0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};
static const nts_bytes uid = {uid_bytes, sizeof uid_bytes};
static const uint8_t nonce[NTS_NONCE_LEN] = {7, 6, 5, 4, 3, 2, 1};

static void keys(uint8_t *c2s, uint8_t *s2c, size_t len) {
  for (size_t i = 0; i < len; i++) {
    c2s[i] = (uint8_t)i;
    s2c[i] = (uint8_t)(0x80 + i);
  }
}

static ntp_header client_header(void) {
  return (ntp_header){.version = 4,
                      .mode = NTP_MODE_CLIENT,
                      .poll = 6,
                      .transmit_ts = 0xe8d4a51000000001ull};
}

static void test_nts_ntp_header_round_trip(void **state) {
  (void)state;
  ntp_header h = {.leap = 3,
                  .version = 4,
                  .mode = 4,
                  .stratum = 10,
                  .poll = -3,
                  .precision = -20,
                  .root_delay = 0x00010002,
                  .root_dispersion = 0x00030004,
                  .reference_id = 0x4c4f434c,
                  .reference_ts = 0x1122334455667788ull,
                  .origin_ts = 0x99aabbccddeeff00ull,
                  .receive_ts = 1,
                  .transmit_ts = ~0ull},
             back;
  uint8_t wire[NTP_HEADER_LEN];
  ntp_header_write(&h, wire);
  assert_int_equal(wire[0], 0xe4); /* LI 3, VN 4, mode 4 */
  assert_int_equal(wire[2], 0xfd);
  ntp_header_read(wire, &back);
  assert_int_equal(back.leap, h.leap);
  assert_int_equal(back.version, h.version);
  assert_int_equal(back.mode, h.mode);
  assert_int_equal(back.stratum, h.stratum);
  assert_int_equal(back.poll, h.poll);
  assert_int_equal(back.precision, h.precision);
  assert_int_equal(back.root_delay, h.root_delay);
  assert_int_equal(back.root_dispersion, h.root_dispersion);
  assert_int_equal(back.reference_id, h.reference_id);
  assert_int_equal(back.reference_ts, h.reference_ts);
  assert_int_equal(back.origin_ts, h.origin_ts);
  assert_int_equal(back.receive_ts, h.receive_ts);
  assert_int_equal(back.transmit_ts, h.transmit_ts);
  /* 1970 is 2208988800 s into NTP era 0; half a second is 2^31. */
  assert_int_equal(ntp_ts_from_unix(0, 500000000) >> 32, NTP_UNIX_OFFSET);
  assert_int_equal(ntp_ts_from_unix(0, 500000000) & 0xffffffffu, 0x80000000u);
  double d = ntp_ts_to_double(ntp_ts_from_unix(1, 250000000));
  assert_true(d > NTP_UNIX_OFFSET + 1.2499 && d < NTP_UNIX_OFFSET + 1.2501);
}

/* Request: built by the client, parsed and verified by the server; every
 * changed byte before or inside the authenticator is caught. */
static void test_nts_ntp_request_round_trip(void **state) {
  (void)state;
  uint8_t c2s[32], s2c[32], cookie[100], pkt[1024], scratch[1024];
  keys(c2s, s2c, 32);
  memset(cookie, 0xc0, sizeof cookie);
  ntp_header h = client_header();
  int len =
      nts_build_request(pkt, sizeof pkt, &h, uid,
                        (nts_bytes){cookie, sizeof cookie}, 2, c2s, 32, nonce);
  /* 48 + UID 36 + cookie 104 + 2 placeholders 208 + auth 4+4+16+16 */
  assert_int_equal(len, 48 + 36 + 104 + 208 + 40);

  nts_request r;
  assert_int_equal(nts_parse_request(pkt, (size_t)len, &r), NTS_OK);
  assert_int_equal(r.header.transmit_ts, h.transmit_ts);
  assert_int_equal(r.uid.len, 32);
  assert_memory_equal(r.uid.data, uid_bytes, 32);
  assert_int_equal(r.cookie.len, sizeof cookie);
  assert_memory_equal(r.cookie.data, cookie, sizeof cookie);
  assert_int_equal(r.n_placeholders, 2);
  assert_int_equal(r.auth_offset, 48 + 36 + 104 + 208);
  size_t ph = r.n_placeholders;
  assert_int_equal(
      nts_verify_request(pkt, &r, c2s, 32, scratch, sizeof scratch, &ph),
      NTS_OK);
  assert_int_equal(ph, 2);
  /* The S2C key is not the C2S key. */
  assert_int_equal(
      nts_verify_request(pkt, &r, s2c, 32, scratch, sizeof scratch, &ph),
      NTS_ERR_AUTH);
  for (size_t i = 0; i < (size_t)len; i += 7) {
    pkt[i] ^= 0x01;
    if (nts_parse_request(pkt, (size_t)len, &r) == NTS_OK)
      assert_int_equal(
          nts_verify_request(pkt, &r, c2s, 32, scratch, sizeof scratch, &ph),
          NTS_ERR_AUTH);
    pkt[i] ^= 0x01;
  }
  /* Bad arguments. */
  assert_int_equal(
      nts_build_request(pkt, sizeof pkt, &h, (nts_bytes){uid_bytes, 31},
                        (nts_bytes){cookie, 100}, 0, c2s, 32, nonce),
      NTS_ERR_ARG);
  assert_int_equal(nts_build_request(pkt, sizeof pkt, &h, uid,
                                     (nts_bytes){cookie, 100}, 0, c2s, 16,
                                     nonce),
                   NTS_ERR_ARG);
  assert_int_equal(nts_build_request(pkt, 200, &h, uid,
                                     (nts_bytes){cookie, 100}, 1, c2s, 32,
                                     nonce),
                   NTS_ERR_SPACE);
}

/* Response: cookies travel encrypted and come back out intact. */
static void test_nts_ntp_response_round_trip(void **state) {
  (void)state;
  uint8_t c2s[64], s2c[64], ck[3][164], pkt[2048], scratch[2048];
  keys(c2s, s2c, 64);
  nts_bytes cookies[3];
  for (int i = 0; i < 3; i++) {
    memset(ck[i], 0x10 + i, sizeof ck[i]);
    cookies[i] = (nts_bytes){ck[i], sizeof ck[i]};
  }
  ntp_header h = {.version = 4, .mode = 4, .stratum = 10, .origin_ts = 42};
  int len =
      nts_build_response(pkt, sizeof pkt, &h, uid, cookies, 3, s2c, 64, nonce);
  assert_true(len > 0);
  /* No cookie appears in the clear. */
  for (int i = 0; i + 16 <= len; i++)
    assert_true(memcmp(pkt + i, ck[0], 16) != 0);

  nts_response resp;
  assert_int_equal(nts_parse_response(pkt, (size_t)len, uid, s2c, 64, scratch,
                                      sizeof scratch, &resp),
                   NTS_OK);
  assert_int_equal(resp.header.origin_ts, 42);
  assert_int_equal(resp.header.stratum, 10);
  assert_int_equal(resp.n_cookies, 3);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(resp.cookies[i].len, 164);
    assert_memory_equal(resp.cookies[i].data, ck[i], 164);
  }
  /* Another request's identifier, the wrong key, a changed byte. */
  uint8_t other[32];
  memset(other, 0x33, sizeof other);
  assert_int_equal(nts_parse_response(pkt, (size_t)len, (nts_bytes){other, 32},
                                      s2c, 64, scratch, sizeof scratch, &resp),
                   NTS_ERR_MISMATCH);
  assert_int_equal(nts_parse_response(pkt, (size_t)len, uid, c2s, 64, scratch,
                                      sizeof scratch, &resp),
                   NTS_ERR_AUTH);
  pkt[40] ^= 0x80; /* transmit timestamp: associated data */
  assert_int_equal(nts_parse_response(pkt, (size_t)len, uid, s2c, 64, scratch,
                                      sizeof scratch, &resp),
                   NTS_ERR_AUTH);
  pkt[40] ^= 0x80;
  assert_int_equal(
      nts_parse_response(pkt, (size_t)len, uid, s2c, 64, scratch, 100, &resp),
      NTS_ERR_SPACE);
  /* A request is not a response. */
  ntp_header c = client_header();
  int qlen = nts_build_request(pkt, sizeof pkt, &c, uid, cookies[0], 0, c2s, 64,
                               nonce);
  assert_true(qlen > 0);
  assert_int_equal(nts_parse_response(pkt, (size_t)qlen, uid, s2c, 64, scratch,
                                      sizeof scratch, &resp),
                   NTS_ERR_MALFORMED);
}

static void test_nts_ntp_nak(void **state) {
  (void)state;
  uint8_t pkt[256], scratch[256], s2c[32] = {0};
  ntp_header req = client_header();
  int len = nts_build_nak(pkt, sizeof pkt, &req, uid);
  assert_int_equal(len, 48 + 36);
  ntp_header h;
  ntp_header_read(pkt, &h);
  assert_int_equal(h.stratum, 0);
  assert_int_equal(h.leap, 3);
  assert_int_equal(h.mode, NTP_MODE_SERVER);
  assert_int_equal(h.reference_id, NTS_KISS_NTSN);
  assert_memory_equal(pkt + 12, "NTSN", 4);
  assert_int_equal(h.origin_ts, req.transmit_ts);
  nts_response resp;
  assert_int_equal(nts_parse_response(pkt, (size_t)len, uid, s2c, 32, scratch,
                                      sizeof scratch, &resp),
                   NTS_NAK);
  /* A NAK for someone else's request is not ours to act on. */
  uint8_t other[32] = {1};
  assert_int_equal(nts_parse_response(pkt, (size_t)len, (nts_bytes){other, 32},
                                      s2c, 32, scratch, sizeof scratch, &resp),
                   NTS_ERR_MISMATCH);
  /* Stratum 0 with another kiss code and no authenticator is no NAK. */
  pkt[15] = 'X';
  assert_int_equal(nts_parse_response(pkt, (size_t)len, uid, s2c, 32, scratch,
                                      sizeof scratch, &resp),
                   NTS_ERR_MALFORMED);
}

static void test_nts_ntp_cookie_seal_open(void **state) {
  (void)state;
  cookie_jar jar;
  uint8_t c2s[64], s2c[64], oc2s[64], os2c[64], ck[COOKIE_MAX_LEN];
  uint16_t aead;
  size_t kl;
  keys(c2s, s2c, 64);
  assert_int_equal(cookie_jar_init(&jar, T0, 3600, 3), 0);
  static const struct {
    uint16_t aead;
    size_t key_len, cookie_len;
  } sizes[] = {{15, 32, 100}, {16, 48, 132}, {17, 64, 164}};
  for (size_t i = 0; i < 3; i++) {
    int n = cookie_seal(&jar, T0, sizes[i].aead, c2s, s2c, sizes[i].key_len, ck,
                        sizeof ck);
    assert_int_equal(n, sizes[i].cookie_len);
    assert_int_equal(n % 4, 0);
    assert_int_equal(
        cookie_open(&jar, T0, ck, (size_t)n, &aead, oc2s, os2c, &kl), 0);
    assert_int_equal(aead, sizes[i].aead);
    assert_int_equal(kl, sizes[i].key_len);
    assert_memory_equal(oc2s, c2s, kl);
    assert_memory_equal(os2c, s2c, kl);
    /* No key material in the clear. */
    for (int j = 0; j + 8 <= n; j++)
      assert_true(memcmp(ck + j, c2s, 8) != 0 && memcmp(ck + j, s2c, 8) != 0);
  }
  /* Two cookies for the same keys differ (fresh nonce): unlinkable. */
  uint8_t ck2[COOKIE_MAX_LEN];
  assert_int_equal(cookie_seal(&jar, T0, 15, c2s, s2c, 32, ck, sizeof ck), 100);
  assert_int_equal(cookie_seal(&jar, T0, 15, c2s, s2c, 32, ck2, sizeof ck2),
                   100);
  assert_true(memcmp(ck, ck2, 100) != 0);
  /* Altered anywhere, truncated, or the wrong size for its AEAD. */
  for (size_t j = 0; j < 100; j++) {
    ck[j] ^= 0x04;
    assert_int_equal(cookie_open(&jar, T0, ck, 100, &aead, oc2s, os2c, &kl),
                     -1);
    ck[j] ^= 0x04;
  }
  assert_int_equal(cookie_open(&jar, T0, ck, 99, &aead, oc2s, os2c, &kl), -1);
  assert_int_equal(cookie_open(&jar, T0, ck, 0, &aead, oc2s, os2c, &kl), -1);
  assert_int_equal(cookie_seal(&jar, T0, 15, c2s, s2c, 64, ck2, sizeof ck2),
                   -1);
  assert_int_equal(cookie_seal(&jar, T0, 30, c2s, s2c, 16, ck2, sizeof ck2),
                   -1);
  assert_int_equal(cookie_seal(&jar, T0, 15, c2s, s2c, 32, ck2, 99), -1);

  /* Rotation: the cookie made at T0 opens while its key is among the
   * three kept, and not after. */
  assert_int_equal(cookie_jar_rotate(&jar, T0 + 3599), 0);
  assert_int_equal(cookie_jar_rotate(&jar, T0 + 3600), 1);
  int n = cookie_seal(&jar, T0 + 3600, 15, c2s, s2c, 32, ck2, sizeof ck2);
  assert_int_equal(n, 100);
  assert_true(ck2[0] != ck[0] || ck2[1] != ck[1]); /* a new key id */
  assert_int_equal(
      cookie_open(&jar, T0 + 7200, ck, 100, &aead, oc2s, os2c, &kl), 0);
  assert_int_equal(
      cookie_open(&jar, T0 + 10799, ck, 100, &aead, oc2s, os2c, &kl), 0);
  assert_int_equal(
      cookie_open(&jar, T0 + 10800, ck, 100, &aead, oc2s, os2c, &kl), -1);
  assert_int_equal(
      cookie_open(&jar, T0 + 10800, ck2, 100, &aead, oc2s, os2c, &kl), 0);
  /* After a pause longer than the window all old keys go at once, and
   * the new one is dated now. */
  assert_int_equal(cookie_jar_rotate(&jar, T0 + 1000000), 1);
  assert_int_equal(cookie_jar_rotate(&jar, T0 + 1000000 + 3599), 0);
  assert_int_equal(
      cookie_open(&jar, T0 + 1000000, ck2, 100, &aead, oc2s, os2c, &kl), -1);
  cookie_jar_free(&jar);
  assert_int_equal(cookie_jar_init(&jar, T0, 0, 3), -1);
  assert_int_equal(cookie_jar_init(&jar, T0, 1, COOKIE_MAX_KEYS + 1), -1);
}

/* ---- The responder ------------------------------------------------------ */

static uint64_t fixed_clock(void *user) {
  (void)user;
  return 0xe8d4a51100000000ull;
}

typedef struct exchange {
  cookie_jar jar;
  nts_server srv;
  uint8_t c2s[64], s2c[64];
  uint8_t cookie[COOKIE_MAX_LEN];
  size_t cookie_len, key_len;
} exchange;

static void exchange_setup(exchange *x, uint16_t aead) {
  memset(x, 0, sizeof *x);
  assert_int_equal(cookie_jar_init(&x->jar, T0, 3600, 2), 0);
  x->srv = (nts_server){.jar = &x->jar,
                        .stratum = 10,
                        .reference_id = 0x4c4f434c,
                        .precision = -20,
                        .clock = fixed_clock};
  x->key_len = aead == 17 ? 64 : 32;
  keys(x->c2s, x->s2c, x->key_len);
  int n = cookie_seal(&x->jar, T0, aead, x->c2s, x->s2c, x->key_len, x->cookie,
                      sizeof x->cookie);
  assert_true(n > 0);
  x->cookie_len = (size_t)n;
}

static int request(const exchange *x, size_t placeholders, uint8_t *pkt,
                   size_t cap) {
  ntp_header h = client_header();
  int len = nts_build_request(pkt, cap, &h, uid,
                              (nts_bytes){x->cookie, x->cookie_len},
                              placeholders, x->c2s, x->key_len, nonce);
  assert_true(len > 0);
  return len;
}

static void test_nts_ntp_server_answers_time(void **state) {
  (void)state;
  static const uint16_t aeads[] = {15, 17};
  for (size_t a = 0; a < 2; a++) {
    exchange x;
    exchange_setup(&x, aeads[a]);
    for (size_t ph = 0; ph < NTS_MAX_COOKIES; ph++) {
      uint8_t q[NTS_MAX_PACKET], r[NTS_MAX_PACKET], scratch[NTS_MAX_PACKET];
      int qlen = request(&x, ph, q, sizeof q);
      nts_answer_info info;
      size_t rlen = nts_server_answer(&x.srv, T0 + 1, 0x1234, q, (size_t)qlen,
                                      r, sizeof r, &info);
      assert_int_equal(info.kind, NTS_ANSWER_TIME);
      assert_int_equal(info.aead, aeads[a]);
      assert_int_equal(info.n_cookies, ph + 1);
      /* Same size as the request: placeholders paid for the cookies. */
      assert_int_equal(rlen, (size_t)qlen);
      nts_response resp;
      assert_int_equal(nts_parse_response(r, rlen, uid, x.s2c, x.key_len,
                                          scratch, sizeof scratch, &resp),
                       NTS_OK);
      assert_int_equal(resp.header.origin_ts, client_header().transmit_ts);
      assert_int_equal(resp.header.receive_ts, 0x1234);
      assert_int_equal(resp.header.transmit_ts, fixed_clock(NULL));
      assert_int_equal(resp.header.stratum, 10);
      assert_int_equal(resp.n_cookies, ph + 1);
      /* Each fresh cookie opens to the same keys. */
      for (size_t i = 0; i < resp.n_cookies; i++) {
        uint8_t c2s[64], s2c[64];
        uint16_t aead;
        size_t kl;
        assert_int_equal(cookie_open(&x.jar, T0 + 1, resp.cookies[i].data,
                                     resp.cookies[i].len, &aead, c2s, s2c, &kl),
                         0);
        assert_int_equal(aead, aeads[a]);
        assert_memory_equal(c2s, x.c2s, kl);
        assert_memory_equal(s2c, x.s2c, kl);
      }
    }
    cookie_jar_free(&x.jar);
  }
}

/* A cookie from another server (or from keys rotated away) and a request
 * sealed with the wrong key both get an NTS NAK that echoes the identifier
 * and carries no authenticator. */
static void test_nts_ntp_server_nak(void **state) {
  (void)state;
  exchange x, other;
  exchange_setup(&x, 15);
  exchange_setup(&other, 15);
  uint8_t q[1024], r[1024], scratch[1024];
  nts_answer_info info;
  nts_response resp;

  int qlen = request(&other, 1, q, sizeof q);
  size_t rlen =
      nts_server_answer(&x.srv, T0, 1, q, (size_t)qlen, r, sizeof r, &info);
  assert_int_equal(info.kind, NTS_ANSWER_NAK);
  assert_string_equal(info.why, "unknown or undecryptable cookie");
  assert_int_equal(rlen, 48 + 36);
  assert_int_equal(nts_parse_response(r, rlen, uid, x.s2c, 32, scratch,
                                      sizeof scratch, &resp),
                   NTS_NAK);

  x.c2s[0] ^= 1; /* the client seals with a key the cookie does not hold */
  qlen = request(&x, 0, q, sizeof q);
  x.c2s[0] ^= 1;
  rlen = nts_server_answer(&x.srv, T0, 1, q, (size_t)qlen, r, sizeof r, &info);
  assert_int_equal(info.kind, NTS_ANSWER_NAK);
  assert_string_equal(info.why, "request failed authentication");
  assert_int_equal(nts_parse_response(r, rlen, uid, x.s2c, 32, scratch,
                                      sizeof scratch, &resp),
                   NTS_NAK);

  /* Two rotations later (two keys kept) the cookie's key is gone. */
  qlen = request(&x, 0, q, sizeof q);
  rlen = nts_server_answer(&x.srv, T0 + 2 * 3600, 1, q, (size_t)qlen, r,
                           sizeof r, &info);
  assert_int_equal(info.kind, NTS_ANSWER_NAK);
  assert_string_equal(info.why, "unknown or undecryptable cookie");
  cookie_jar_free(&x.jar);
  cookie_jar_free(&other.jar);
}

/* Every proper prefix of a good request, and of a good response, is
 * refused; so are structural faults and random bytes. */
static void test_nts_ntp_truncated_and_garbage(void **state) {
  (void)state;
  exchange x;
  exchange_setup(&x, 15);
  uint8_t q[1024], r[1024], scratch[1024];
  nts_answer_info info;
  nts_response resp;
  int qlen = request(&x, 1, q, sizeof q);
  size_t rlen =
      nts_server_answer(&x.srv, T0, 1, q, (size_t)qlen, r, sizeof r, &info);
  assert_int_equal(info.kind, NTS_ANSWER_TIME);

  for (size_t n = 0; n < (size_t)qlen; n++) {
    assert_int_equal(
        nts_server_answer(&x.srv, T0, 1, q, n, r + 512, 512, &info), 0);
    assert_int_equal(info.kind, NTS_ANSWER_DROP);
  }
  for (size_t n = 0; n < rlen; n++)
    assert_true(nts_parse_response(r, n, uid, x.s2c, 32, scratch,
                                   sizeof scratch, &resp) < 0);

  nts_request req;
  /* Mode 4 or version 3 in a request. */
  q[0] = (uint8_t)((q[0] & ~7) | 4);
  assert_int_equal(nts_parse_request(q, (size_t)qlen, &req), NTS_ERR_MALFORMED);
  q[0] = 0x1b; /* LI 0, VN 3, mode 3 */
  assert_int_equal(nts_parse_request(q, (size_t)qlen, &req), NTS_ERR_MALFORMED);
  q[0] = 0x23; /* VN 4, mode 3 */
  assert_int_equal(nts_parse_request(q, (size_t)qlen, &req), NTS_OK);
  /* A field length that is not a multiple of 4, or under 16. */
  q[48 + 3] = 35;
  assert_int_equal(nts_parse_request(q, (size_t)qlen, &req), NTS_ERR_MALFORMED);
  q[48 + 3] = 12;
  assert_int_equal(nts_parse_request(q, (size_t)qlen, &req), NTS_ERR_MALFORMED);
  q[48 + 3] = 36;
  /* The identifier turned into a second cookie, or a short identifier. */
  q[48 + 1] = 0x04;
  q[48] = 0x02;
  assert_int_equal(nts_parse_request(q, (size_t)qlen, &req), NTS_ERR_MALFORMED);
  q[48] = 0x01;
  assert_int_equal(nts_parse_request(q, (size_t)qlen, &req), NTS_OK);
  /* A field after the authenticator. */
  memset(q + qlen, 0, 16);
  q[qlen] = 0x77;
  q[qlen + 3] = 16;
  assert_int_equal(nts_parse_request(q, (size_t)qlen + 16, &req),
                   NTS_ERR_MALFORMED);
  /* A nonce shorter than 16 bytes in the authenticator. */
  size_t auth = (size_t)qlen - 40;
  q[auth + 5] = 8;
  assert_int_equal(nts_parse_request(q, (size_t)qlen, &req), NTS_ERR_MALFORMED);

  /* Random bytes never get an answer (without a well-formed identifier
   * there is nothing to match a NAK to). */
  srand(8915);
  for (int round = 0; round < 2000; round++) {
    size_t n = (size_t)(rand() % 400);
    for (size_t i = 0; i < n; i++)
      q[i] = (uint8_t)rand();
    if (n > 0)
      q[0] = 0x23;
    assert_int_equal(nts_server_answer(&x.srv, T0, 1, q, n, r, sizeof r, &info),
                     0);
    assert_true(nts_parse_response(q, n, uid, x.s2c, 32, scratch,
                                   sizeof scratch, &resp) < 0);
  }
  cookie_jar_free(&x.jar);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_nts_ntp_header_round_trip),
      cmocka_unit_test(test_nts_ntp_request_round_trip),
      cmocka_unit_test(test_nts_ntp_response_round_trip),
      cmocka_unit_test(test_nts_ntp_nak),
      cmocka_unit_test(test_nts_ntp_cookie_seal_open),
      cmocka_unit_test(test_nts_ntp_server_answers_time),
      cmocka_unit_test(test_nts_ntp_server_nak),
      cmocka_unit_test(test_nts_ntp_truncated_and_garbage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
