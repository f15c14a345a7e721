/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hashing, randomness and wiping on mbedTLS/PSA.  Part of the TLS module, the
 * one place allowed to include mbedTLS.
 */
#include <mbedtls/constant_time.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha3.h>
#include <psa/crypto.h>

#include "base/crypto.h"
#include "base/internal.h"

int ntspool_crypto_init(void) {
  /* psa_crypto_init is idempotent and, with MBEDTLS_THREADING_C, safe to
   * race; it must run before any TLS 1.3 handshake. */
  return psa_crypto_init() == PSA_SUCCESS ? 0 : NTSPOOL_ERR_CRYPTO;
}

int ntspool_sha3_256_parts(const void *const *parts, const size_t *lens,
                           size_t n, uint8_t out[32]) {
  mbedtls_sha3_context ctx;
  int rc = NTSPOOL_ERR_CRYPTO;
  mbedtls_sha3_init(&ctx);
  if (mbedtls_sha3_starts(&ctx, MBEDTLS_SHA3_256) != 0)
    goto done;
  for (size_t i = 0; i < n; i++)
    if (mbedtls_sha3_update(&ctx, parts[i], lens[i]) != 0)
      goto done;
  if (mbedtls_sha3_finish(&ctx, out, 32) != 0)
    goto done;
  rc = 0;
done:
  mbedtls_sha3_free(&ctx);
  return rc;
}

int ntspool_sha3_256(const void *data, size_t len, uint8_t out[32]) {
  return ntspool_sha3_256_parts(&data, &len, 1, out);
}

int ntspool_random(void *out, size_t len) {
  if (ntspool_crypto_init() != 0)
    return NTSPOOL_ERR_CRYPTO;
  return psa_generate_random(out, len) == PSA_SUCCESS ? 0 : NTSPOOL_ERR_CRYPTO;
}

void ntspool_zeroize(void *p, size_t len) {
  mbedtls_platform_zeroize(p, len);
}

int ntspool_ct_memcmp(const void *a, const void *b, size_t len) {
  return mbedtls_ct_memcmp(a, b, len);
}
