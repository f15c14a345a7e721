/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a finished handshake tells on mbedTLS: exported keys, the peer's
 * certificate, ALPN, and the text of the last failure for logs.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "base/crypto.h"
#include "base/internal.h"
#include "tls/tls_mbedtls.h"

/* RFC 8915 5.1, the label and context from tls_common.c. */
int ntspool_tls_export(ntspool_tls *tls, const unsigned char context[5],
                       uint8_t *out, size_t len) {
  static const char label[] = NTSPOOL_TLS_EXPORTER_LABEL;
  return mbedtls_ssl_export_keying_material(&tls->ssl, out, len, label,
                                            sizeof(label) - 1, context, 5, 1);
}

int ntspool_tls_peer_cert(const ntspool_tls *tls, ntspool_bytes *der) {
  if (tls == NULL || der == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  der->data = NULL;
  der->len = 0;
  if (!tls->handshake_done)
    return NTSPOOL_ERR_STATE;
  const mbedtls_x509_crt *crt = mbedtls_ssl_get_peer_cert(&tls->ssl);
  if (crt == NULL || crt->raw.p == NULL)
    return NTSPOOL_ERR_NOT_FOUND;
  der->data = crt->raw.p;
  der->len = crt->raw.len;
  return 0;
}

const char *ntspool_tls_alpn(const ntspool_tls *tls) {
  if (tls == NULL || !tls->handshake_done)
    return NULL;
  return mbedtls_ssl_get_alpn_protocol(&tls->ssl);
}

uint16_t ntspool_tls_ciphersuite(const ntspool_tls *tls) {
  if (tls == NULL || !tls->handshake_done)
    return 0;
  return (uint16_t)mbedtls_ssl_get_ciphersuite_id_from_ssl(&tls->ssl);
}

const char *ntspool_tls_error_text(int raw_error, char *buf, size_t len) {
  if (buf == NULL || len == 0)
    return buf;
  if (raw_error == 0)
    snprintf(buf, len, "no error");
  else
    mbedtls_strerror(raw_error, buf, len);
  return buf;
}

/* mbedtls_x509_crt_verify_info writes one "prefix reason\n" line per flag;
 * a log line wants them on one line. */
const char *ntspool_tls_describe_error(const ntspool_tls *tls, char *buf,
                                       size_t len) {
  if (buf == NULL || len == 0)
    return buf;
  ntspool_tls_error_text(ntspool_tls_last_error(tls), buf, len);
  if (tls == NULL || tls->last_error == 0)
    return buf;
  uint32_t flags = mbedtls_ssl_get_verify_result(&tls->ssl);
  if (flags == 0 || flags == UINT32_MAX)
    return buf;
  size_t n = strlen(buf);
  if (len - n < 4)
    return buf;
  int w = mbedtls_x509_crt_verify_info(buf + n, len - n, "; ", flags);
  if (w < 0)
    buf[n] = '\0';
  for (char *p = buf + n; *p != '\0'; p++)
    if (*p == '\n')
      *p = p[1] == '\0' ? '\0' : ' ';
  return buf;
}
