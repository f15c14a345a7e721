/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What a finished handshake tells: exported keys, the peer's certificate,
 * SNI, ALPN, and the text of the last failure for logs.
 */
#include <stdio.h>
#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "crypto.h"
#include "internal.h"
#include "tls_mbedtls.h"

/* RFC 8915 5.1: the exporter context is the next protocol and the AEAD ID,
 * then 0x00 for the client-to-server key, 0x01 for server-to-client.  Both
 * directions come from the same TLS exporter secret, so a pool that serves
 * the client's TLS session derives exactly the keys the client derives. */
int ntspool_tls_export_keys(ntspool_tls *tls, uint16_t protocol, uint16_t aead,
                            size_t key_len, uint8_t *c2s, uint8_t *s2c) {
  static const char label[] = NTSPOOL_TLS_EXPORTER_LABEL;
  if (tls == NULL || c2s == NULL || s2c == NULL || key_len == 0 ||
      key_len > NTSPOOL_MAX_KEY_LEN || c2s == s2c)
    return NTSPOOL_ERR_INVALID_ARG;
  if (!ntspool_tls_established(tls))
    return NTSPOOL_ERR_STATE;
  unsigned char context[5] = {
      (unsigned char)(protocol >> 8), (unsigned char)protocol,
      (unsigned char)(aead >> 8), (unsigned char)aead, 0x00};
  int ret = mbedtls_ssl_export_keying_material(&tls->ssl, c2s, key_len, label,
                                               sizeof(label) - 1, context,
                                               sizeof(context), 1);
  if (ret == 0) {
    context[4] = 0x01;
    ret = mbedtls_ssl_export_keying_material(&tls->ssl, s2c, key_len, label,
                                             sizeof(label) - 1, context,
                                             sizeof(context), 1);
  }
  if (ret != 0) {
    ntspool_zeroize(c2s, key_len);
    ntspool_zeroize(s2c, key_len);
    tls->last_error = ret;
    return NTSPOOL_ERR_TLS;
  }
  return 0;
}

bool ntspool_tls_established(const ntspool_tls *tls) {
  return tls != NULL && tls->handshake_done && tls->state != NTSPOOL_TLS_FAILED;
}

bool ntspool_tls_is_server(const ntspool_tls *tls) {
  return tls != NULL && tls->cfg->server;
}

const char *ntspool_tls_server_name(const ntspool_tls *tls) {
  return tls != NULL && tls->has_sni ? tls->sni : NULL;
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

int ntspool_tls_last_error(const ntspool_tls *tls) {
  return tls != NULL ? tls->last_error : 0;
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
