/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * OpenSSL backend: what a finished handshake tells (exported keys, the
 * peer's certificate, ALPN, the text of the last failure), the
 * library's few primitives outside TLS (hashing, randomness, wiping), and
 * the version checks that stop a build against the wrong OpenSSL.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/crypto.h"
#include "base/internal.h"
#include "tls/tls_openssl.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#error "libntspool's OpenSSL backend needs OpenSSL >= 3.0"
#endif
#ifdef OPENSSL_NO_TLS1_3
#error "OpenSSL was built without TLS 1.3"
#endif

/* ---- what the handshake told -------------------------------------------- */

/* RFC 8915 5.1, the label and context from tls_common.c. */
int ntspool_tls_export(ntspool_tls *tls, const unsigned char context[5],
                       uint8_t *out, size_t len) {
  static const char label[] = NTSPOOL_TLS_EXPORTER_LABEL;
  ERR_clear_error();
  if (SSL_export_keying_material(tls->ssl, out, len, label, sizeof(label) - 1,
                                 context, 5, 1) == 1)
    return 0;
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  return e != 0 ? ntspool_tls_raw_code(e)
                : ntspool_tls_raw_code(
                      ERR_PACK(ERR_LIB_SSL, 0, ERR_R_INTERNAL_ERROR));
}

int ntspool_tls_peer_cert(const ntspool_tls *tls, ntspool_bytes *der) {
  if (tls == NULL || der == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  der->data = NULL;
  der->len = 0;
  if (!tls->handshake_done)
    return NTSPOOL_ERR_STATE;
  if (tls->peer_der == NULL)
    return NTSPOOL_ERR_NOT_FOUND;
  der->data = tls->peer_der;
  der->len = tls->peer_der_len;
  return 0;
}

const char *ntspool_tls_alpn(const ntspool_tls *tls) {
  /* check_established made sure it is ours. */
  if (tls == NULL || !tls->handshake_done)
    return NULL;
  return NTSPOOL_TLS_ALPN;
}

uint16_t ntspool_tls_ciphersuite(const ntspool_tls *tls) {
  if (tls == NULL || !tls->handshake_done)
    return 0;
  const SSL_CIPHER *cs = SSL_get_current_cipher(tls->ssl);
  return cs ? SSL_CIPHER_get_protocol_id(cs) : 0;
}

const char *ntspool_tls_error_text(int raw_error, char *buf, size_t len) {
  if (buf == NULL || len == 0)
    return buf;
  if (raw_error == 0)
    snprintf(buf, len, "no error");
  else
    ERR_error_string_n((unsigned long)(unsigned)raw_error, buf, len);
  return buf;
}

const char *ntspool_tls_describe_error(const ntspool_tls *tls, char *buf,
                                       size_t len) {
  if (buf == NULL || len == 0)
    return buf;
  ntspool_tls_error_text(ntspool_tls_last_error(tls), buf, len);
  if (tls == NULL || tls->last_error == 0 || tls->verify_result == X509_V_OK)
    return buf;
  size_t n = strlen(buf);
  if (len - n > 4)
    snprintf(buf + n, len - n, "; %s",
             X509_verify_cert_error_string(tls->verify_result));
  return buf;
}

static char backend_name[64];
static pthread_once_t backend_once = PTHREAD_ONCE_INIT;

static void backend_name_init(void) {
  /* The version actually loaded, not the headers': "openssl 3.0.19". */
  snprintf(backend_name, sizeof(backend_name), "openssl %s",
           OpenSSL_version(OPENSSL_VERSION_STRING));
}

const char *ntspool_tls_backend(void) {
  pthread_once(&backend_once, backend_name_init);
  return backend_name;
}

/* ---- primitives (crypto.h) ---------------------------------------------- */

int ntspool_crypto_init(void) {
  /* Idempotent and thread safe; loads no configuration file, so what an
   * administrator put into openssl.cnf cannot change the TLS policy. */
  return OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL) == 1
             ? 0
             : NTSPOOL_ERR_CRYPTO;
}

int ntspool_sha3_256_parts(const void *const *parts, const size_t *lens,
                           size_t n, uint8_t out[32]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  int rc = NTSPOOL_ERR_CRYPTO;
  unsigned int len = 0;
  if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha3_256(), NULL) != 1)
    goto done;
  for (size_t i = 0; i < n; i++)
    if (EVP_DigestUpdate(ctx, parts[i], lens[i]) != 1)
      goto done;
  if (EVP_DigestFinal_ex(ctx, out, &len) != 1 || len != 32)
    goto done;
  rc = 0;
done:
  EVP_MD_CTX_free(ctx);
  return rc;
}

int ntspool_sha3_256(const void *data, size_t len, uint8_t out[32]) {
  return ntspool_sha3_256_parts(&data, &len, 1, out);
}

int ntspool_random(void *out, size_t len) {
  if (ntspool_crypto_init() != 0 || len > INT_MAX)
    return NTSPOOL_ERR_CRYPTO;
  return RAND_bytes(out, (int)len) == 1 ? 0 : NTSPOOL_ERR_CRYPTO;
}

void ntspool_zeroize(void *p, size_t len) {
  OPENSSL_cleanse(p, len);
}

int ntspool_ct_memcmp(const void *a, const void *b, size_t len) {
  return CRYPTO_memcmp(a, b, len);
}
