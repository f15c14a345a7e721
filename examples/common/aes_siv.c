/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AES-SIV, RFC 5297 section 2: S2V (a CMAC chain over every associated
 * data string and the plaintext) gives the synthetic IV, which is both the
 * tag and, with two bits cleared, the CTR counter.
 */
#include "aes_siv.h"

#include <string.h>

#include <mbedtls/aes.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>

size_t aes_siv_key_len(uint16_t aead) {
  switch (aead) {
  case 15:
    return 32;
  case 16:
    return 48;
  case 17:
    return 64;
  default:
    return 0;
  }
}

/* Doubling in GF(2^128) with the polynomial x^128 + x^7 + x^2 + x + 1. */
static void dbl(uint8_t b[16]) {
  uint8_t carry = b[0] >> 7;
  for (int i = 0; i < 15; i++)
    b[i] = (uint8_t)(b[i] << 1 | b[i + 1] >> 7);
  b[15] = (uint8_t)(b[15] << 1);
  /* Branch-free, so the tag's timing does not depend on secret bits. */
  b[15] ^= (uint8_t)(0x87 & -carry);
}

static const mbedtls_cipher_info_t *ecb_info(size_t half) {
  switch (half) {
  case 16:
    return mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);
  case 24:
    return mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_192_ECB);
  case 32:
    return mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_256_ECB);
  default:
    return NULL;
  }
}

/* One CMAC over a, then b (either may be empty), then restart. */
static int cmac2(mbedtls_cipher_context_t *c, const uint8_t *a, size_t a_len,
                 const uint8_t *b, size_t b_len, uint8_t out[16]) {
  if ((a_len && mbedtls_cipher_cmac_update(c, a, a_len)) ||
      (b_len && mbedtls_cipher_cmac_update(c, b, b_len)) ||
      mbedtls_cipher_cmac_finish(c, out) || mbedtls_cipher_cmac_reset(c))
    return -1;
  return 0;
}

/* S2V(K1, S1, ..., Sn) with Sn = the plaintext, RFC 5297 2.4. */
static int s2v(const uint8_t *k1, size_t half, const aes_siv_ad *ad,
               size_t n_ad, const uint8_t *pt, size_t pt_len, uint8_t v[16]) {
  static const uint8_t zero[16];
  const mbedtls_cipher_info_t *info = ecb_info(half);
  mbedtls_cipher_context_t c;
  uint8_t d[16], t[16];
  int rc = -1;

  if (!info)
    return -1;
  mbedtls_cipher_init(&c);
  if (mbedtls_cipher_setup(&c, info) ||
      mbedtls_cipher_cmac_starts(&c, k1, half * 8) ||
      cmac2(&c, zero, sizeof zero, NULL, 0, d))
    goto out;
  for (size_t i = 0; i < n_ad; i++) {
    dbl(d);
    if (cmac2(&c, ad[i].data, ad[i].len, NULL, 0, t))
      goto out;
    for (int j = 0; j < 16; j++)
      d[j] ^= t[j];
  }
  if (pt_len >= 16) {
    /* T = Sn xorend D: the last 16 bytes of Sn take D, without copying a
     * plaintext of any length. */
    for (int j = 0; j < 16; j++)
      t[j] = pt[pt_len - 16 + j] ^ d[j];
    if (cmac2(&c, pt, pt_len - 16, t, 16, v))
      goto out;
  } else {
    /* T = dbl(D) xor pad(Sn), pad = Sn || 0x80 || 0...0. */
    dbl(d);
    memset(t, 0, sizeof t);
    if (pt_len)
      memcpy(t, pt, pt_len);
    t[pt_len] = 0x80;
    for (int j = 0; j < 16; j++)
      t[j] ^= d[j];
    if (cmac2(&c, t, 16, NULL, 0, v))
      goto out;
  }
  rc = 0;
out:
  mbedtls_cipher_free(&c);
  mbedtls_platform_zeroize(d, sizeof d);
  mbedtls_platform_zeroize(t, sizeof t);
  return rc;
}

/* CTR with Q = V with the top bits of its last two 32-bit words cleared
 * (RFC 5297 2.5), so 32- and 64-bit counter implementations agree. */
static int ctr(const uint8_t *k2, size_t half, const uint8_t v[16],
               const uint8_t *in, size_t len, uint8_t *out) {
  mbedtls_aes_context aes;
  uint8_t q[16], stream[16];
  size_t off = 0;
  int rc;

  memcpy(q, v, 16);
  q[8] &= 0x7f;
  q[12] &= 0x7f;
  mbedtls_aes_init(&aes);
  rc = mbedtls_aes_setkey_enc(&aes, k2, (unsigned)(half * 8));
  if (rc == 0 && len)
    rc = mbedtls_aes_crypt_ctr(&aes, len, &off, q, stream, in, out);
  mbedtls_aes_free(&aes);
  mbedtls_platform_zeroize(stream, sizeof stream);
  return rc ? -1 : 0;
}

bool aes_siv_key_len_ok(size_t key_len) {
  return key_len == 32 || key_len == 48 || key_len == 64;
}

static size_t half_of(size_t key_len) {
  return aes_siv_key_len_ok(key_len) ? key_len / 2 : 0;
}

int aes_siv_encrypt(const uint8_t *key, size_t key_len, const aes_siv_ad *ad,
                    size_t n_ad, const uint8_t *pt, size_t pt_len,
                    uint8_t *out) {
  size_t half = half_of(key_len);
  if (!half || n_ad > AES_SIV_MAX_AD)
    return -1;
  if (s2v(key, half, ad, n_ad, pt, pt_len, out))
    return -1;
  return ctr(key + half, half, out, pt, pt_len, out + AES_SIV_TAG_LEN);
}

int aes_siv_decrypt(const uint8_t *key, size_t key_len, const aes_siv_ad *ad,
                    size_t n_ad, const uint8_t *in, size_t in_len,
                    uint8_t *pt) {
  size_t half = half_of(key_len);
  uint8_t v[16];
  if (!half || n_ad > AES_SIV_MAX_AD || in_len < AES_SIV_TAG_LEN)
    return -1;
  size_t len = in_len - AES_SIV_TAG_LEN;
  if (ctr(key + half, half, in, in + AES_SIV_TAG_LEN, len, pt) ||
      s2v(key, half, ad, n_ad, pt, len, v) ||
      mbedtls_ct_memcmp(v, in, AES_SIV_TAG_LEN) != 0) {
    /* Never hand out plaintext that did not authenticate. */
    mbedtls_platform_zeroize(pt, len);
    return -1;
  }
  return 0;
}

int aes_siv_aead_encrypt(const uint8_t *key, size_t key_len,
                         const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *ad, size_t ad_len, const uint8_t *pt,
                         size_t pt_len, uint8_t *out) {
  aes_siv_ad s[2] = {{ad, ad_len}, {nonce, nonce_len}};
  return aes_siv_encrypt(key, key_len, s, 2, pt, pt_len, out);
}

int aes_siv_aead_decrypt(const uint8_t *key, size_t key_len,
                         const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *ad, size_t ad_len, const uint8_t *in,
                         size_t in_len, uint8_t *pt) {
  aes_siv_ad s[2] = {{ad, ad_len}, {nonce, nonce_len}};
  return aes_siv_decrypt(key, key_len, s, 2, in, in_len, pt);
}
