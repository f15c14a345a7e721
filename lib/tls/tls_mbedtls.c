/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS connections on mbedTLS: the BIO adapter between mbedTLS and an
 * ntspool_io, the handshake with its post-conditions, read, write, close.
 *
 * mbedTLS drives a non-blocking transport by returning WANT_READ/WANT_WRITE
 * and expecting the very same call again; we pass that through as
 * NTSPOOL_ERR_WOULD_BLOCK, remember the direction for ntspool_tls_wants (an
 * event loop must know what to wait for) and keep no partial state of our
 * own, except for
 * two things mbedTLS cannot know: whether the transport ended or failed (it
 * only sees "0" or "some error" from the BIO), and that we are in the
 * middle of refusing the peer with an alert of our choosing.
 */
#include <limits.h>
#include <string.h>

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include "base/crypto.h"
#include "base/internal.h"
#include "tls/tls_mbedtls.h"

/* ---- BIO ---------------------------------------------------------------- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len) {
  ntspool_tls *tls = ctx;
  if (len > INT_MAX)
    len = INT_MAX;
  int r = tls->io.send(tls->io.user_data, buf, len);
  if (r > 0 && (size_t)r <= len)
    return r;
  if (r == NTSPOOL_ERR_WOULD_BLOCK) {
    tls->wants |= NTSPOOL_TLS_WANT_WRITE;
    return MBEDTLS_ERR_SSL_WANT_WRITE;
  }
  if (r == NTSPOOL_ERR_EOF)
    tls->transport_eof = true;
  else
    tls->transport_error = true;
  return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len) {
  ntspool_tls *tls = ctx;
  if (len > INT_MAX)
    len = INT_MAX;
  int r = tls->io.recv(tls->io.user_data, buf, len);
  if (r > 0 && (size_t)r <= len)
    return r;
  if (r == NTSPOOL_ERR_WOULD_BLOCK) {
    tls->wants |= NTSPOOL_TLS_WANT_READ;
    return MBEDTLS_ERR_SSL_WANT_READ;
  }
  if (r == NTSPOOL_ERR_EOF || r == 0) {
    /* mbedTLS turns 0 into MBEDTLS_ERR_SSL_CONN_EOF (or a 0 from read). */
    tls->transport_eof = true;
    return 0;
  }
  tls->transport_error = true;
  return MBEDTLS_ERR_NET_RECV_FAILED;
}

/* ---- errors ------------------------------------------------------------- */

int ntspool_tls_map_error(ntspool_tls *tls, int ret) {
  switch (ret) {
  case MBEDTLS_ERR_SSL_WANT_READ:
    tls->wants |= NTSPOOL_TLS_WANT_READ;
    return NTSPOOL_ERR_WOULD_BLOCK;
  case MBEDTLS_ERR_SSL_WANT_WRITE:
    tls->wants |= NTSPOOL_TLS_WANT_WRITE;
    return NTSPOOL_ERR_WOULD_BLOCK;
  case MBEDTLS_ERR_SSL_ASYNC_IN_PROGRESS:
  case MBEDTLS_ERR_SSL_CRYPTO_IN_PROGRESS:
    tls->wants = NTSPOOL_TLS_WANT_READ | NTSPOOL_TLS_WANT_WRITE;
    return NTSPOOL_ERR_WOULD_BLOCK;
  default:
    break;
  }
  tls->last_error = ret;
  /* The transport flags win: mbedTLS reports them as generic failures. */
  if (tls->transport_error)
    return NTSPOOL_ERR_IO;
  if (tls->transport_eof || ret == MBEDTLS_ERR_SSL_CONN_EOF ||
      ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
    return NTSPOOL_ERR_EOF;
  return NTSPOOL_ERR_TLS;
}

/* ---- refusing the peer -------------------------------------------------- */

/* mbedtls_ssl_send_alert_message queues the record and flushes; when the
 * flush would block, calling it again only flushes what is queued (it
 * checks out_left first), so re-entry sends the alert exactly once. */
int ntspool_tls_refuse_flush(ntspool_tls *tls) {
  int ret = mbedtls_ssl_send_alert_message(
      &tls->ssl, MBEDTLS_SSL_ALERT_LEVEL_FATAL, tls->refuse_alert);
  if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
    tls->wants |= NTSPOOL_TLS_WANT_WRITE;
    return NTSPOOL_ERR_WOULD_BLOCK;
  }
  /* Sent or not, the refusal is what the caller must hear about. */
  tls->last_error = tls->refuse_error;
  return ntspool_tls_fail(tls, NTSPOOL_ERR_TLS);
}

static int refuse(ntspool_tls *tls, unsigned char alert, int error) {
  tls->state = NTSPOOL_TLS_REFUSING;
  tls->refuse_alert = alert;
  tls->refuse_error = error;
  tls->last_error = error;
  return ntspool_tls_refuse_flush(tls);
}

/* ---- server hello hook -------------------------------------------------- */

int ntspool_tls_client_hello_cb(mbedtls_ssl_context *ssl) {
  ntspool_tls *tls = mbedtls_ssl_get_user_data_p(ssl);
  size_t n = 0;
  const unsigned char *name = mbedtls_ssl_get_hs_sni(ssl, &n);
  tls->has_sni = false;
  if (name != NULL && n > 0 && n <= NTSPOOL_TLS_MAX_SNI &&
      memchr(name, 0, n) == NULL) {
    memcpy(tls->sni, name, n);
    tls->sni[n] = '\0';
    tls->has_sni = true;
  }
  /* mbedTLS already refuses a client whose ALPN list lacks ntske/1 (with a
   * no_application_protocol alert) but accepts one that sends no ALPN at
   * all.  RFC 8915 4 requires the extension, so refuse that too, before we
   * spend a signature on it; handshake() sends the alert. */
  if (mbedtls_ssl_get_alpn_protocol(ssl) == NULL) {
    tls->alpn_missing = true;
    return MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL;
  }
  return 0;
}

/* ---- life cycle --------------------------------------------------------- */

int ntspool_tls_new(ntspool_tls **out, ntspool_tls_config *cfg,
                    const ntspool_io *io, const char *server_name) {
  if (out == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  *out = NULL;
  size_t name_len;
  if (ntspool_tls_new_args(cfg, io, server_name, &name_len) != 0)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ntspool_crypto_init() != 0)
    return NTSPOOL_ERR_CRYPTO;

  ntspool_tls *tls = ntspool_calloc(&cfg->alloc, sizeof(*tls));
  if (tls == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  mbedtls_ssl_init(&tls->ssl);
  tls->io = *io;
  tls->state = NTSPOOL_TLS_HANDSHAKE;

  int ret = mbedtls_ssl_setup(&tls->ssl, &cfg->conf);
  if (ret == 0 && !cfg->server) {
    /* Sets both SNI and the name the certificate must carry; mbedTLS 3.6
     * refuses to verify a server certificate without it. */
    ret = mbedtls_ssl_set_hostname(&tls->ssl, server_name);
    memcpy(tls->sni, server_name, name_len + 1);
    tls->has_sni = true;
  }
  if (ret != 0) {
    mbedtls_ssl_free(&tls->ssl);
    ntspool_free_secret(&cfg->alloc, tls, sizeof(*tls));
    return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? NTSPOOL_ERR_NO_MEMORY
                                               : NTSPOOL_ERR_TLS;
  }
  mbedtls_ssl_set_bio(&tls->ssl, tls, bio_send, bio_recv, NULL);
  mbedtls_ssl_set_user_data_p(&tls->ssl, tls);
  tls->cfg = ntspool_tls_config_ref(cfg);
  *out = tls;
  return 0;
}

void ntspool_tls_free(ntspool_tls *tls) {
  if (tls == NULL)
    return;
  ntspool_tls_config *cfg = tls->cfg;
  mbedtls_ssl_free(&tls->ssl); /* wipes traffic keys and record buffers */
  ntspool_free_secret(&cfg->alloc, tls, sizeof(*tls));
  ntspool_tls_config_unref(cfg);
}

/* ---- handshake ---------------------------------------------------------- */

/* What mbedTLS does not check for us once the handshake is over.  The
 * version can only be 1.3 (min = max) and a client's ALPN can only be ours
 * if set, but both are the protocol's foundations, so look. */
static int check_established(ntspool_tls *tls) {
  if (mbedtls_ssl_get_version_number(&tls->ssl) != MBEDTLS_SSL_VERSION_TLS1_3)
    return refuse(tls, MBEDTLS_SSL_ALERT_MSG_PROTOCOL_VERSION,
                  MBEDTLS_ERR_SSL_BAD_PROTOCOL_VERSION);
  const char *alpn = mbedtls_ssl_get_alpn_protocol(&tls->ssl);
  if (alpn == NULL || strcmp(alpn, NTSPOOL_TLS_ALPN) != 0)
    return refuse(tls, MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL,
                  MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL);
  tls->state = NTSPOOL_TLS_OPEN;
  tls->handshake_done = true;
  return 0;
}

int ntspool_tls_handshake(ntspool_tls *tls) {
  if (tls == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  int rc = ntspool_tls_begin_handshake(tls);
  if (rc != 1)
    return rc;
  int ret = mbedtls_ssl_handshake(&tls->ssl);
  if (ret == 0)
    return check_established(tls);
  int status = ntspool_tls_map_error(tls, ret);
  if (status == NTSPOOL_ERR_WOULD_BLOCK)
    return status;
  if (tls->alpn_missing)
    return refuse(tls, MBEDTLS_SSL_ALERT_MSG_NO_APPLICATION_PROTOCOL,
                  MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL);
  return ntspool_tls_fail(tls, status);
}

/* ---- data --------------------------------------------------------------- */

int ntspool_tls_read(ntspool_tls *tls, uint8_t *buf, size_t len) {
  if (tls == NULL || buf == NULL || len == 0)
    return NTSPOOL_ERR_INVALID_ARG;
  int rc = ntspool_tls_begin_io(tls, false);
  if (rc != 0)
    return rc;
  if (tls->peer_closed)
    return NTSPOOL_ERR_EOF;
  if (len > INT_MAX)
    len = INT_MAX;
  for (;;) {
    int ret = mbedtls_ssl_read(&tls->ssl, buf, len);
    if (ret > 0)
      return ret;
    /* Only returned if enabled, which we do not; a retry is harmless. */
    if (ret == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
      continue;
    int status = ret == 0 ? NTSPOOL_ERR_EOF : ntspool_tls_map_error(tls, ret);
    if (status == NTSPOOL_ERR_WOULD_BLOCK)
      return status;
    if (status == NTSPOOL_ERR_EOF) {
      /* A closed read direction is not a failure: the response may still
       * be written (TLS 1.3 allows half-close). */
      if (ret != 0)
        tls->last_error = ret;
      tls->peer_closed = true;
      return status;
    }
    return ntspool_tls_fail(tls, status);
  }
}

int ntspool_tls_write(ntspool_tls *tls, const uint8_t *buf, size_t len) {
  if (tls == NULL || buf == NULL || len == 0)
    return NTSPOOL_ERR_INVALID_ARG;
  int rc = ntspool_tls_begin_io(tls, true);
  if (rc != 0)
    return rc;
  if (len > INT_MAX)
    len = INT_MAX;
  int ret = mbedtls_ssl_write(&tls->ssl, buf, len);
  if (ret > 0)
    return ret;
  int status = ntspool_tls_map_error(tls, ret);
  return status == NTSPOOL_ERR_WOULD_BLOCK ? status
                                           : ntspool_tls_fail(tls, status);
}

int ntspool_tls_close(ntspool_tls *tls) {
  if (tls == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  int rc = ntspool_tls_begin_close(tls);
  if (rc != 1)
    return rc;
  /* Re-entered after WANT_WRITE it only flushes what is queued. */
  int ret = mbedtls_ssl_close_notify(&tls->ssl);
  if (ret == 0) {
    tls->closing = false;
    return 0;
  }
  int status = ntspool_tls_map_error(tls, ret);
  return status == NTSPOOL_ERR_WOULD_BLOCK ? status
                                           : ntspool_tls_fail(tls, status);
}

size_t ntspool_tls_pending(const ntspool_tls *tls) {
  if (tls == NULL)
    return 0;
  size_t n = mbedtls_ssl_get_bytes_avail(&tls->ssl);
  if (n > 0)
    return n;
  return mbedtls_ssl_check_pending(&tls->ssl) ? 1 : 0;
}
