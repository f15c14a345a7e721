/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AES-SIV (RFC 5297) on mbedTLS's AES and CMAC, for the example programs:
 * the AEAD that NTS protects NTP packets with (RFC 8915 5.6) and that the
 * example time source seals its cookies with.
 *
 * A key is two halves of equal size: the first keys S2V (CMAC), the second
 * keys CTR.  32-byte keys are AEAD_AES_SIV_CMAC_256 (ID 15), 48-byte
 * _384 (16), 64-byte _512 (17).  The output is the 16-byte synthetic IV
 * followed by the ciphertext, so it is always 16 bytes longer than the
 * plaintext.
 *
 * This is example code, not part of libntspool (the library itself never
 * touches NTP packets).
 */
#ifndef EXAMPLES_AES_SIV_H
#define EXAMPLES_AES_SIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AES_SIV_TAG_LEN 16

/* RFC 5297 allows up to 126 associated data strings plus the plaintext; a
 * handful is all NTS needs (associated data and nonce). */
#define AES_SIV_MAX_AD 8

typedef struct aes_siv_ad {
  const uint8_t *data;
  size_t len;
} aes_siv_ad;

/* Key length in bytes of an AES-SIV AEAD ID (15, 16, 17), else 0. */
size_t aes_siv_key_len(uint16_t aead);

/* Whether key_len is an AES-SIV key size (32, 48 or 64). */
bool aes_siv_key_len_ok(size_t key_len);

/* Deterministic/vector form: S2V over ad[0..n_ad) and the plaintext.
 * out receives pt_len + 16 bytes (it may not overlap pt).  Returns 0, or -1
 * for a bad key length, too many strings or an mbedTLS failure. */
int aes_siv_encrypt(const uint8_t *key, size_t key_len, const aes_siv_ad *ad,
                    size_t n_ad, const uint8_t *pt, size_t pt_len,
                    uint8_t *out);

/* Inverse of aes_siv_encrypt: in is tag || ciphertext (in_len >= 16); pt
 * receives in_len - 16 bytes.  Returns 0 when the tag verifies, else -1 (pt
 * is then wiped). */
int aes_siv_decrypt(const uint8_t *key, size_t key_len, const aes_siv_ad *ad,
                    size_t n_ad, const uint8_t *in, size_t in_len, uint8_t *pt);

/* The RFC 5116 AEAD interface as NTS uses it (RFC 5297 section 6): S2V
 * over the associated data, then the nonce, then the plaintext.  The
 * associated data is always one S2V string, even when empty, which is what
 * chrony, NTPsec (libaes_siv) and ntpd-rs do. */
int aes_siv_aead_encrypt(const uint8_t *key, size_t key_len,
                         const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *ad, size_t ad_len, const uint8_t *pt,
                         size_t pt_len, uint8_t *out);
int aes_siv_aead_decrypt(const uint8_t *key, size_t key_len,
                         const uint8_t *nonce, size_t nonce_len,
                         const uint8_t *ad, size_t ad_len, const uint8_t *in,
                         size_t in_len, uint8_t *pt);

#endif
