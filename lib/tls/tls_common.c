/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The parts of the TLS module that do not depend on the TLS library, for
 * both backends (tls_common.h): config references, argument checks, the
 * state machine's entry checks, the accessors, and the key export of
 * RFC 8915 section 5.1 around the backend's exporter.
 */
#include <string.h>

#include "base/crypto.h"
#include "base/internal.h"
#ifdef NTSPOOL_TLS_OPENSSL
#include "tls/tls_openssl.h"
#else
#include "tls/tls_mbedtls.h"
#endif

ntspool_tls_config *ntspool_tls_config_ref(ntspool_tls_config *cfg) {
  if (cfg != NULL)
    atomic_fetch_add_explicit(&cfg->refs, 1, memory_order_relaxed);
  return cfg;
}

void ntspool_tls_config_unref(ntspool_tls_config *cfg) {
  if (cfg == NULL)
    return;
  /* acq_rel: the thread that frees sees every other user's last access. */
  if (atomic_fetch_sub_explicit(&cfg->refs, 1, memory_order_acq_rel) == 1)
    ntspool_tls_config_destroy(cfg);
}

bool ntspool_tls_credentials_given(const ntspool_tls_credentials *cred) {
  return cred->chain_path != NULL || cred->chain_pem.data != NULL ||
         cred->key_path != NULL || cred->key_pem.data != NULL;
}

bool ntspool_tls_credentials_complete(const ntspool_tls_credentials *cred) {
  bool chain = cred->chain_path != NULL ||
               (cred->chain_pem.data != NULL && cred->chain_pem.len > 0);
  bool key = cred->key_path != NULL ||
             (cred->key_pem.data != NULL && cred->key_pem.len > 0);
  return chain && key;
}

int ntspool_tls_config_args(ntspool_tls_config **out,
                            const ntspool_tls_credentials *cred, bool server,
                            int *raw_error) {
  if (raw_error != NULL)
    *raw_error = 0;
  if (out == NULL || cred == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  if (server || ntspool_tls_credentials_given(cred))
    if (!ntspool_tls_credentials_complete(cred))
      return NTSPOOL_ERR_INVALID_ARG;
  *out = NULL;
  return 0;
}

int ntspool_tls_config_failed(ntspool_tls_config *c, int rc, int raw,
                              int *raw_error) {
  if (raw_error != NULL)
    *raw_error = raw;
  ntspool_tls_config_destroy(c);
  return rc;
}

int ntspool_tls_new_args(const ntspool_tls_config *cfg, const ntspool_io *io,
                         const char *server_name, size_t *name_len) {
  if (cfg == NULL || io == NULL || io->version != NTSPOOL_IO_VERSION ||
      io->send == NULL || io->recv == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  *name_len = server_name != NULL ? strlen(server_name) : 0;
  if (!cfg->server && (*name_len == 0 || *name_len > NTSPOOL_TLS_MAX_SNI))
    return NTSPOOL_ERR_INVALID_ARG;
  return 0;
}

int ntspool_tls_fail(ntspool_tls *tls, int status) {
  tls->state = NTSPOOL_TLS_FAILED;
  tls->failure = status;
  return status;
}

int ntspool_tls_begin_handshake(ntspool_tls *tls) {
  tls->wants = 0;
  switch (tls->state) {
  case NTSPOOL_TLS_OPEN:
    return 0;
  case NTSPOOL_TLS_CLOSED:
    return tls->handshake_done ? 0 : NTSPOOL_ERR_STATE;
  case NTSPOOL_TLS_FAILED:
    return tls->failure;
  case NTSPOOL_TLS_REFUSING:
    return ntspool_tls_refuse_flush(tls);
  case NTSPOOL_TLS_HANDSHAKE:
    break;
  }
  return 1;
}

int ntspool_tls_begin_io(ntspool_tls *tls, bool writing) {
  tls->wants = 0;
  if (tls->state == NTSPOOL_TLS_FAILED)
    return tls->failure;
  if (writing && tls->state == NTSPOOL_TLS_CLOSED)
    return NTSPOOL_ERR_STATE;
  return tls->handshake_done ? 0 : ntspool_tls_handshake(tls);
}

int ntspool_tls_begin_close(ntspool_tls *tls) {
  tls->wants = 0;
  if (tls->state == NTSPOOL_TLS_FAILED)
    return tls->failure;
  if (!tls->handshake_done) {
    /* Nothing to say politely before the handshake finished. */
    tls->state = NTSPOOL_TLS_CLOSED;
    return 0;
  }
  if (tls->state == NTSPOOL_TLS_CLOSED && !tls->closing)
    return 0;
  tls->state = NTSPOOL_TLS_CLOSED;
  tls->closing = true;
  return 1;
}

/* RFC 8915 5.1: the exporter context is the next protocol and the AEAD ID,
 * then 0x00 for the client-to-server key, 0x01 for server-to-client.  Both
 * directions come from the same TLS exporter secret, so a pool that serves
 * the client's TLS session derives exactly the keys the client derives. */
int ntspool_tls_export_keys(ntspool_tls *tls, uint16_t protocol, uint16_t aead,
                            size_t key_len, uint8_t *c2s, uint8_t *s2c) {
  if (tls == NULL || c2s == NULL || s2c == NULL || key_len == 0 ||
      key_len > NTSPOOL_MAX_KEY_LEN || c2s == s2c)
    return NTSPOOL_ERR_INVALID_ARG;
  if (!ntspool_tls_established(tls))
    return NTSPOOL_ERR_STATE;
  unsigned char context[5] = {
      (unsigned char)(protocol >> 8), (unsigned char)protocol,
      (unsigned char)(aead >> 8), (unsigned char)aead, 0x00};
  int raw = ntspool_tls_export(tls, context, c2s, key_len);
  if (raw == 0) {
    context[4] = 0x01;
    raw = ntspool_tls_export(tls, context, s2c, key_len);
  }
  if (raw != 0) {
    ntspool_zeroize(c2s, key_len);
    ntspool_zeroize(s2c, key_len);
    tls->last_error = raw;
    return NTSPOOL_ERR_TLS;
  }
  return 0;
}

bool ntspool_tls_established(const ntspool_tls *tls) {
  return tls != NULL && tls->handshake_done && tls->state != NTSPOOL_TLS_FAILED;
}

const char *ntspool_tls_server_name(const ntspool_tls *tls) {
  return tls != NULL && tls->has_sni ? tls->sni : NULL;
}

int ntspool_tls_last_error(const ntspool_tls *tls) {
  return tls != NULL ? tls->last_error : 0;
}

unsigned ntspool_tls_wants(const ntspool_tls *tls) {
  return tls != NULL ? tls->wants : 0;
}

/* RFC 8446 appendix B.4. */
static const struct {
  uint16_t id;
  const char *name;
} ciphersuites[] = {{0x1301, "TLS_AES_128_GCM_SHA256"},
                    {0x1302, "TLS_AES_256_GCM_SHA384"},
                    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
                    {0x1304, "TLS_AES_128_CCM_SHA256"},
                    {0x1305, "TLS_AES_128_CCM_8_SHA256"}};

const char *ntspool_tls_ciphersuite_name(uint16_t id) {
  for (size_t i = 0; i < sizeof(ciphersuites) / sizeof(ciphersuites[0]); i++)
    if (ciphersuites[i].id == id)
      return ciphersuites[i].name;
  return NULL;
}

int ntspool_tls_ciphersuites_parse(const char *text, uint16_t *out, size_t max,
                                   size_t *n) {
  const char *p = text;
  for (;;) {
    size_t len = strcspn(p, ":");
    size_t i = 0;
    while (i < sizeof(ciphersuites) / sizeof(ciphersuites[0]) &&
           (strlen(ciphersuites[i].name) != len ||
            strncmp(ciphersuites[i].name, p, len) != 0))
      i++;
    if (i == sizeof(ciphersuites) / sizeof(ciphersuites[0]) || *n >= max)
      return NTSPOOL_ERR_CONFIG;
    out[(*n)++] = ciphersuites[i].id;
    if (p[len] == '\0')
      return 0;
    p += len + 1;
  }
}
