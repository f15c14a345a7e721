/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The few primitives outside TLS that the library needs, implemented by the
 * TLS backend (tls_crypto.c) so that no other file includes mbedTLS.
 */
#ifndef NTSPOOL_CRYPTO_H
#define NTSPOOL_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* Starts PSA crypto once per process (safe to call from several threads;
 * later calls are cheap).  Returns 0 or NTSPOOL_ERR_CRYPTO. */
int ntspool_crypto_init(void);

/* SHA3-256 of `len` bytes.  Returns 0 or NTSPOOL_ERR_CRYPTO. */
int ntspool_sha3_256(const void *data, size_t len, uint8_t out[32]);

/* SHA3-256 over several pieces, as if concatenated. */
int ntspool_sha3_256_parts(const void *const *parts, const size_t *lens,
                           size_t n, uint8_t out[32]);

/* Cryptographically secure random bytes.  Returns 0 or NTSPOOL_ERR_CRYPTO. */
int ntspool_random(void *out, size_t len);

/* Overwrites memory so the compiler cannot drop the write (secrets). */
void ntspool_zeroize(void *p, size_t len);

/* Compares in time that depends only on len: 0 if equal. */
int ntspool_ct_memcmp(const void *a, const void *b, size_t len);

#endif
