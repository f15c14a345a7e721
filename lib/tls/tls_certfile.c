/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reads one certificate file into DER bytes.  A time source that trusts a
 * pool by its exact client certificate (doc/protocol.md section 7.3)
 * compares these bytes with the certificate the pool presents.  Part of the
 * TLS module.
 */
#include <string.h>

#include <mbedtls/x509_crt.h>

#include "base/internal.h"
#include "tls/tls.h"
#include "tls/tls_mbedtls.h"

int ntspool_tls_load_cert_der(const char *path, const ntspool_allocator *a,
                              ntspool_bytes *out) {
  mbedtls_x509_crt crt;
  mbedtls_x509_crt_init(&crt);
  int rc = ntspool_mbedtls_parse_file(a, path, ntspool_mbedtls_parse_crt, &crt);
  if (rc != 0 || crt.raw.len == 0) {
    mbedtls_x509_crt_free(&crt);
    return rc == MBEDTLS_ERR_X509_FILE_IO_ERROR  ? NTSPOOL_ERR_NOT_FOUND
           : rc == MBEDTLS_ERR_X509_ALLOC_FAILED ? NTSPOOL_ERR_NO_MEMORY
                                                 : NTSPOOL_ERR_CONFIG;
  }
  uint8_t *der = ntspool_malloc(a, crt.raw.len);
  if (!der) {
    mbedtls_x509_crt_free(&crt);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  memcpy(der, crt.raw.p, crt.raw.len);
  out->data = der;
  out->len = crt.raw.len;
  mbedtls_x509_crt_free(&crt);
  return 0;
}
