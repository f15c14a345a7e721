/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AES-SIV of the example programs (examples/common/aes_siv.c): the RFC 5297
 * appendix A vectors (A.1 deterministic, A.2 nonce-based), published
 * vectors for empty inputs and for 512-bit keys, the AEAD form NTS uses,
 * round trips at every key size and plaintext length around the block
 * size, and tamper detection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/aes_siv.h"
#include "support/hex.h"

typedef struct vector {
  const char *key;
  const char *ad[3];
  size_t n_ad;
  const char *pt;
  const char *out;
} vector;

/* Encrypts to the expected bytes, decrypts back, and refuses every
 * single-bit change of the output. */
static void check_vector(const vector *v) {
  uint8_t key[64], ad[3][64], pt[64], want[96], out[96], back[64];
  aes_siv_ad s[3];
  size_t key_len = ntspool_test_hex(v->key, key, sizeof key);
  for (size_t i = 0; i < v->n_ad; i++) {
    s[i].data = ad[i];
    s[i].len = ntspool_test_hex(v->ad[i], ad[i], sizeof ad[i]);
  }
  size_t pt_len = ntspool_test_hex(v->pt, pt, sizeof pt);
  size_t out_len = ntspool_test_hex(v->out, want, sizeof want);
  assert_int_equal(out_len, pt_len + AES_SIV_TAG_LEN);

  assert_int_equal(aes_siv_encrypt(key, key_len, s, v->n_ad, pt, pt_len, out),
                   0);
  assert_memory_equal(out, want, out_len);
  memset(back, 0xee, sizeof back);
  assert_int_equal(
      aes_siv_decrypt(key, key_len, s, v->n_ad, out, out_len, back), 0);
  if (pt_len)
    assert_memory_equal(back, pt, pt_len);
  for (size_t bit = 0; bit < out_len * 8; bit++) {
    out[bit / 8] ^= (uint8_t)(1u << bit % 8);
    assert_int_equal(
        aes_siv_decrypt(key, key_len, s, v->n_ad, out, out_len, back), -1);
    out[bit / 8] ^= (uint8_t)(1u << bit % 8);
  }
}

/* RFC 5297 A.1: Deterministic Authenticated Encryption Example. */
static void test_aes_siv_rfc5297_a1(void **state) {
  (void)state;
  const vector v = {
      .key = "fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0"
             "f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff",
      .ad = {"10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627"},
      .n_ad = 1,
      .pt = "11223344 55667788 99aabbcc ddee",
      .out = "85632d07 c6e8f37f 950acd32 0a2ecc93"
             "40c02b96 90c4dc04 daef7f6a fe5c"};
  check_vector(&v);
}

/* RFC 5297 A.2: Nonce-Based Authenticated Encryption Example (AD1, AD2,
 * nonce, plaintext), the construction NTS packets use. */
#define A2_KEY                                                                 \
  "7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f"
#define A2_AD1                                                                 \
  "00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 "   \
  "77665544 33221100"
#define A2_AD2 "10203040 50607080 90a0"
#define A2_NONCE "09f91102 9d74e35b d84156c5 635688c0"
#define A2_PT                                                                  \
  "74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970 "   \
  "74207573 696e6720 5349562d 414553"
#define A2_OUT                                                                 \
  "7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 c889bf17 "   \
  "dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c 485b62a3 fd5c0d"

static void test_aes_siv_rfc5297_a2(void **state) {
  (void)state;
  const vector v = {.key = A2_KEY,
                    .ad = {A2_AD1, A2_AD2, A2_NONCE},
                    .n_ad = 3,
                    .pt = A2_PT,
                    .out = A2_OUT};
  check_vector(&v);
}

/* Published vectors (miscreant's aes_siv.tjson) for the edge cases the RFC
 * leaves out: no associated data with an empty and a one-block plaintext,
 * and 64-byte keys (AEAD_AES_SIV_CMAC_512, AES-256 in both halves). */
static void test_aes_siv_edge_and_512_vectors(void **state) {
  (void)state;
  const vector vs[] = {
      {.key = "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0"
              "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
       .pt = "",
       .out = "f2007a5beb2b8900c588a7adf599f172"},
      {.key = "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0"
              "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
       .pt = "00112233445566778899aabbccddeeff",
       .out = "f304f912863e303d5b540e5057c7010c"
              "942ffaf45b0e5ca5fb9a56a5263bb065"},
      {.key = "fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0"
              "6f6e6d6c6b6a69686766656463626160"
              "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
              "000102030405060708090a0b0c0d0e0f",
       .ad = {"101112131415161718191a1b1c1d1e1f2021222324252627"},
       .n_ad = 1,
       .pt = "112233445566778899aabbccddee",
       .out = "f125274c598065cfc26b0e7157502908"
              "8b035217e380cac8919ee800c126"},
      {.key = "7f7e7d7c7b7a79787776757473727170"
              "6f6e6d6c6b6a69686766656463626160"
              "404142434445464748494a4b4c4d4e4f"
              "505152535455565758595a5b5b5d5e5f",
       .ad = {A2_AD1, A2_AD2, A2_NONCE},
       .n_ad = 3,
       .pt = A2_PT,
       .out = "85b8167310038db7dc4692c0281ca358"
              "68181b2762f3c24f2efa5fb80cb14351"
              "6ce6c434b898a6fd8eb98a418842f51f"
              "66fc67de43ac185a66dd72475bbb08"},
  };
  for (size_t i = 0; i < sizeof vs / sizeof vs[0]; i++)
    check_vector(&vs[i]);
}

/* The AEAD form is S2V(A, N, P): with A2's two AD strings joined into one
 * it is a different computation, so check it against the generic form. */
static void test_aes_siv_aead_form(void **state) {
  (void)state;
  uint8_t key[32], nonce[16], ad[40], pt[47], a[80], b[80], back[47];
  ntspool_test_hex(A2_KEY, key, sizeof key);
  ntspool_test_hex(A2_NONCE, nonce, sizeof nonce);
  ntspool_test_hex(A2_AD1, ad, sizeof ad);
  ntspool_test_hex(A2_PT, pt, sizeof pt);
  aes_siv_ad s[2] = {{ad, sizeof ad}, {nonce, sizeof nonce}};
  assert_int_equal(aes_siv_encrypt(key, 32, s, 2, pt, sizeof pt, a), 0);
  assert_int_equal(aes_siv_aead_encrypt(key, 32, nonce, sizeof nonce, ad,
                                        sizeof ad, pt, sizeof pt, b),
                   0);
  assert_memory_equal(a, b, sizeof pt + 16);
  assert_int_equal(aes_siv_aead_decrypt(key, 32, nonce, sizeof nonce, ad,
                                        sizeof ad, b, sizeof pt + 16, back),
                   0);
  assert_memory_equal(back, pt, sizeof pt);
  /* Another nonce, or the same bytes moved between AD and nonce, fails. */
  nonce[0] ^= 1;
  assert_int_equal(aes_siv_aead_decrypt(key, 32, nonce, sizeof nonce, ad,
                                        sizeof ad, b, sizeof pt + 16, back),
                   -1);
  nonce[0] ^= 1;
  assert_int_equal(aes_siv_aead_decrypt(key, 32, ad, sizeof ad, nonce,
                                        sizeof nonce, b, sizeof pt + 16, back),
                   -1);
}

/* Every key size NTS registers for AES-SIV, every plaintext length from 0
 * to three blocks (both S2V branches and partial CTR blocks). */
static void test_aes_siv_round_trip_all_sizes(void **state) {
  (void)state;
  static const uint16_t aeads[] = {15, 16, 17};
  uint8_t key[64], nonce[16], ad[21], pt[48], out[64], back[48];
  for (size_t i = 0; i < sizeof key; i++)
    key[i] = (uint8_t)(i * 7 + 3);
  memset(nonce, 0x5a, sizeof nonce);
  memset(ad, 0xa5, sizeof ad);
  for (size_t i = 0; i < sizeof pt; i++)
    pt[i] = (uint8_t)i;
  for (size_t k = 0; k < 3; k++) {
    size_t key_len = aes_siv_key_len(aeads[k]);
    assert_int_equal(key_len, 32 + 16 * k);
    for (size_t len = 0; len <= sizeof pt; len++) {
      assert_int_equal(aes_siv_aead_encrypt(key, key_len, nonce, 16, ad,
                                            sizeof ad, pt, len, out),
                       0);
      assert_int_equal(aes_siv_aead_decrypt(key, key_len, nonce, 16, ad,
                                            sizeof ad, out, len + 16, back),
                       0);
      if (len)
        assert_memory_equal(back, pt, len);
      /* The wrong key size for the same bytes never authenticates. */
      size_t other = key_len == 64 ? 32 : 64;
      assert_int_equal(aes_siv_aead_decrypt(key, other, nonce, 16, ad,
                                            sizeof ad, out, len + 16, back),
                       -1);
    }
  }
}

/* Changed associated data, a changed key, truncation and bad sizes are
 * refused, and refused plaintext is wiped. */
static void test_aes_siv_tamper(void **state) {
  (void)state;
  uint8_t key[64] = {1, 2, 3}, nonce[16] = {9}, ad[8] = "header!", pt[20],
          out[36], back[20];
  memset(pt, 0x42, sizeof pt);
  assert_int_equal(aes_siv_aead_encrypt(key, 64, nonce, 16, ad, sizeof ad, pt,
                                        sizeof pt, out),
                   0);
  ad[3] ^= 0x80;
  memset(back, 0x42, sizeof back);
  assert_int_equal(aes_siv_aead_decrypt(key, 64, nonce, 16, ad, sizeof ad, out,
                                        sizeof out, back),
                   -1);
  for (size_t i = 0; i < sizeof back; i++)
    assert_int_equal(back[i], 0);
  ad[3] ^= 0x80;
  key[63] ^= 1;
  assert_int_equal(aes_siv_aead_decrypt(key, 64, nonce, 16, ad, sizeof ad, out,
                                        sizeof out, back),
                   -1);
  key[63] ^= 1;
  assert_int_equal(aes_siv_aead_decrypt(key, 64, nonce, 16, ad, sizeof ad, out,
                                        sizeof out - 1, back),
                   -1);
  assert_int_equal(
      aes_siv_aead_decrypt(key, 64, nonce, 16, ad, sizeof ad, out, 15, back),
      -1);
  assert_int_equal(aes_siv_aead_encrypt(key, 40, nonce, 16, ad, sizeof ad, pt,
                                        sizeof pt, out),
                   -1);
  assert_int_equal(aes_siv_key_len(30), 0);
  aes_siv_ad many[AES_SIV_MAX_AD + 1] = {{0}};
  assert_int_equal(
      aes_siv_encrypt(key, 32, many, AES_SIV_MAX_AD + 1, pt, sizeof pt, out),
      -1);
  assert_int_equal(aes_siv_aead_decrypt(key, 64, nonce, 16, ad, sizeof ad, out,
                                        sizeof out, back),
                   0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_aes_siv_rfc5297_a1),
      cmocka_unit_test(test_aes_siv_rfc5297_a2),
      cmocka_unit_test(test_aes_siv_edge_and_512_vectors),
      cmocka_unit_test(test_aes_siv_aead_form),
      cmocka_unit_test(test_aes_siv_round_trip_all_sizes),
      cmocka_unit_test(test_aes_siv_tamper),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
