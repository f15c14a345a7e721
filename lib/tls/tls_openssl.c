/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS connections on OpenSSL 3: the BIO between OpenSSL and an ntspool_io,
 * the handshake with its post-conditions, read, write, close.
 *
 * The BIO never makes OpenSSL wait for the transport on a write: whatever
 * the transport does not take at once is kept in a stash (one record or
 * flight at most) and reported written; every call of ours first sends the
 * stash and returns NTSPOOL_ERR_WOULD_BLOCK while it cannot.  Two reasons.
 * A fatal alert OpenSSL sends while failing a handshake is never retried
 * by OpenSSL itself (the connection is already dead to it), yet the peer
 * must see our refusal; and OpenSSL's rules for retrying a blocked write
 * (same record type, same buffer) need no care when it never blocks.
 * Reads block in the ordinary way.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "base/crypto.h"
#include "base/internal.h"
#include "tls/tls_openssl.h"

/* ---- BIO ---------------------------------------------------------------- */

/* Sends what is in the stash.  Returns 0 (empty), NTSPOOL_ERR_WOULD_BLOCK,
 * NTSPOOL_ERR_EOF or NTSPOOL_ERR_IO (the transport flags are set). */
static int stash_flush(ntspool_tls *tls) {
  while (tls->stash_off < tls->stash_len) {
    size_t left = tls->stash_len - tls->stash_off;
    int r = tls->io.send(tls->io.user_data, tls->stash + tls->stash_off,
                         left > INT_MAX ? INT_MAX : left);
    if (r > 0 && (size_t)r <= left) {
      tls->stash_off += (size_t)r;
      continue;
    }
    if (r == NTSPOOL_ERR_WOULD_BLOCK)
      return r;
    if (r == NTSPOOL_ERR_EOF) {
      tls->transport_eof = true;
      return NTSPOOL_ERR_EOF;
    }
    tls->transport_error = true;
    return NTSPOOL_ERR_IO;
  }
  tls->stash_off = tls->stash_len = 0;
  return 0;
}

static int bio_write(BIO *b, const char *data, int len) {
  ntspool_tls *tls = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (len <= 0)
    return 0;
  int rc = stash_flush(tls);
  if (rc == NTSPOOL_ERR_WOULD_BLOCK) {
    BIO_set_retry_write(b);
    return -1;
  }
  if (rc != 0)
    return -1;
  int sent =
      tls->io.send(tls->io.user_data, (const uint8_t *)data, (size_t)len);
  if (sent > 0 && sent <= len) {
    if (sent == len)
      return len;
  } else if (sent == NTSPOOL_ERR_WOULD_BLOCK) {
    sent = 0;
  } else {
    if (sent == NTSPOOL_ERR_EOF)
      tls->transport_eof = true;
    else
      tls->transport_error = true;
    return -1;
  }
  if (tls->stash == NULL) {
    tls->stash = OPENSSL_malloc(NTSPOOL_TLS_STASH_CAP);
    if (tls->stash == NULL)
      return sent > 0 ? sent : -1;
  }
  size_t keep = (size_t)(len - sent);
  if (keep > NTSPOOL_TLS_STASH_CAP)
    keep = NTSPOOL_TLS_STASH_CAP;
  memcpy(tls->stash, data + sent, keep);
  tls->stash_off = 0;
  tls->stash_len = keep;
  return sent + (int)keep;
}

static int bio_read(BIO *b, char *buf, int len) {
  ntspool_tls *tls = BIO_get_data(b);
  BIO_clear_retry_flags(b);
  if (len <= 0)
    return 0;
  int r = tls->io.recv(tls->io.user_data, (uint8_t *)buf, (size_t)len);
  if (r > 0 && r <= len)
    return r;
  if (r == NTSPOOL_ERR_WOULD_BLOCK) {
    BIO_set_retry_read(b);
    return -1;
  }
  if (r == NTSPOOL_ERR_EOF || r == 0) {
    tls->transport_eof = true;
    return 0;
  }
  tls->transport_error = true;
  return -1;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
  (void)num;
  (void)ptr;
  ntspool_tls *tls = BIO_get_data(b);
  switch (cmd) {
  case BIO_CTRL_FLUSH: /* the stash goes out with our next call */
    return 1;
  case BIO_CTRL_EOF:
    return tls != NULL && tls->transport_eof;
  default:
    return 0;
  }
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static void bio_method_init(void) {
  BIO_METHOD *m =
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ntspool_io");
  if (m == NULL || !BIO_meth_set_write(m, bio_write) ||
      !BIO_meth_set_read(m, bio_read) || !BIO_meth_set_ctrl(m, bio_ctrl) ||
      !BIO_meth_set_create(m, bio_create)) {
    BIO_meth_free(m);
    return;
  }
  bio_method = m;
}

/* ---- errors ------------------------------------------------------------- */

int ntspool_tls_raw_code(unsigned long err) {
  /* OpenSSL 3 packs library and reason into 31 bits; only the "system
   * error" flag lies above, and those keep their errno below it. */
  return (int)(err & (unsigned long)INT_MAX);
}

int ntspool_tls_ssl_reason(int reason) {
  return ntspool_tls_raw_code(ERR_PACK(ERR_LIB_SSL, 0, reason));
}

/* Maps the result of a failed SSL_* call to NTSPOOL_ERR_*, recording the
 * raw error unless it only means "would block".  Clears the thread's
 * OpenSSL error queue, so the next call starts clean. */
static int map_error(ntspool_tls *tls, int ret) {
  int e = SSL_get_error(tls->ssl, ret);
  unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  switch (e) {
  case SSL_ERROR_WANT_READ:
  case SSL_ERROR_WANT_WRITE:
    /* Our own bytes go first: while the stash is not empty, the peer
     * cannot answer what we are waiting for. */
    if (stash_flush(tls) == NTSPOOL_ERR_WOULD_BLOCK)
      tls->wants = NTSPOOL_TLS_WANT_WRITE;
    else
      tls->wants = e == SSL_ERROR_WANT_READ ? NTSPOOL_TLS_WANT_READ
                                            : NTSPOOL_TLS_WANT_WRITE;
    return NTSPOOL_ERR_WOULD_BLOCK;
  case SSL_ERROR_ZERO_RETURN:
    return NTSPOOL_ERR_EOF;
  default:
    break;
  }
  if (tls->alpn_refused)
    tls->last_error = ntspool_tls_ssl_reason(SSL_R_NO_APPLICATION_PROTOCOL);
  else if (err != 0)
    tls->last_error = ntspool_tls_raw_code(err);
  else if (tls->last_error == 0)
    tls->last_error =
        ntspool_tls_ssl_reason(SSL_R_UNEXPECTED_EOF_WHILE_READING);
  long v = SSL_get_verify_result(tls->ssl);
  if (v != X509_V_OK)
    tls->verify_result = v;
  /* The transport flags win: OpenSSL reports them as generic failures. */
  if (tls->transport_error)
    return NTSPOOL_ERR_IO;
  if (tls->transport_eof)
    return NTSPOOL_ERR_EOF;
  return e == SSL_ERROR_SYSCALL ? NTSPOOL_ERR_IO : NTSPOOL_ERR_TLS;
}

/* Sends the stash before anything else; 0 when it is empty. */
static int flush_first(ntspool_tls *tls) {
  int rc = stash_flush(tls);
  if (rc == NTSPOOL_ERR_WOULD_BLOCK)
    tls->wants = NTSPOOL_TLS_WANT_WRITE;
  return rc;
}

/* ---- server hello hooks ------------------------------------------------- */

/* The first host_name of a server_name extension (RFC 6066 3): list
 * length, then entries of type (1 byte), length (2), name. */
static void keep_sni(ntspool_tls *tls, const unsigned char *p, size_t n) {
  tls->has_sni = false;
  if (n < 2 || (size_t)((p[0] << 8) | p[1]) != n - 2)
    return;
  p += 2;
  n -= 2;
  while (n >= 3) {
    size_t len = (size_t)((p[1] << 8) | p[2]);
    if (len > n - 3)
      return;
    if (p[0] == TLSEXT_NAMETYPE_host_name) {
      if (len > 0 && len <= NTSPOOL_TLS_MAX_SNI &&
          memchr(p + 3, 0, len) == NULL) {
        memcpy(tls->sni, p + 3, len);
        tls->sni[len] = '\0';
        tls->has_sni = true;
      }
      return;
    }
    p += 3 + len;
    n -= 3 + len;
  }
}

int ntspool_tls_client_hello_cb(SSL *ssl, int *alert, void *arg) {
  (void)arg;
  ntspool_tls *tls = SSL_get_app_data(ssl);
  const unsigned char *ext = NULL;
  size_t len = 0;
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len))
    keep_sni(tls, ext, len);
  /* OpenSSL's ALPN callback only runs for a client that sends the
   * extension; RFC 8915 4 requires it, so refuse its absence here, before
   * we spend a signature on the client. */
  if (!SSL_client_hello_get0_ext(
          ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext,
          &len)) {
    tls->alpn_refused = true;
    *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
    return SSL_CLIENT_HELLO_ERROR;
  }
  return SSL_CLIENT_HELLO_SUCCESS;
}

int ntspool_tls_alpn_select_cb(SSL *ssl, const unsigned char **out,
                               unsigned char *outlen, const unsigned char *in,
                               unsigned int inlen, void *arg) {
  (void)arg;
  static const unsigned char ours[] = "\x07" NTSPOOL_TLS_ALPN;
  unsigned char *sel = NULL;
  if (SSL_select_next_proto(&sel, outlen, ours, sizeof(ours) - 1, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
  }
  ntspool_tls *tls = SSL_get_app_data(ssl);
  tls->alpn_refused = true;
  return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
}

static bool alpn_is_ours(const SSL *ssl) {
  const unsigned char *p = NULL;
  unsigned int n = 0;
  SSL_get0_alpn_selected(ssl, &p, &n);
  return n == sizeof(NTSPOOL_TLS_ALPN) - 1 &&
         memcmp(p, NTSPOOL_TLS_ALPN, n) == 0;
}

int ntspool_tls_client_verify_cb(int preverify_ok, X509_STORE_CTX *store) {
  /* The server's EncryptedExtensions (with its ALPN choice) precede its
   * Certificate in TLS 1.3, so this is the first moment a client can refuse
   * a server that selected nothing, and it does so with an alert. */
  SSL *ssl =
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  if (preverify_ok && X509_STORE_CTX_get_error_depth(store) == 0 &&
      !alpn_is_ours(ssl)) {
    ntspool_tls *tls = SSL_get_app_data(ssl);
    tls->alpn_refused = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  return preverify_ok;
}

int ntspool_tls_accept_any_cb(int preverify_ok, X509_STORE_CTX *store) {
  (void)preverify_ok;
  (void)store;
  return 1;
}

/* ---- life cycle --------------------------------------------------------- */

static bool is_ip_address(const char *name) {
  ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name);
  ASN1_OCTET_STRING_free(ip);
  return ip != NULL;
}

/* SNI and the name the certificate must carry.  An IP address is matched
 * against the IP SANs and, as RFC 6066 3 requires, never sent as SNI. */
static int set_peer_name(SSL *ssl, const char *name) {
  if (is_ip_address(name)) {
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    return X509_VERIFY_PARAM_set1_ip_asc(param, name) == 1 ? 0 : -1;
  }
  return SSL_set_tlsext_host_name(ssl, name) == 1 &&
                 SSL_set1_host(ssl, name) == 1
             ? 0
             : -1;
}

int ntspool_tls_new(ntspool_tls **out, ntspool_tls_config *cfg,
                    const ntspool_io *io, const char *server_name) {
  if (out == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  *out = NULL;
  size_t name_len;
  if (ntspool_tls_new_args(cfg, io, server_name, &name_len) != 0)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ntspool_crypto_init() != 0 ||
      pthread_once(&bio_once, bio_method_init) != 0 || bio_method == NULL)
    return NTSPOOL_ERR_CRYPTO;

  ntspool_tls *tls = ntspool_calloc(&cfg->alloc, sizeof(*tls));
  if (tls == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  tls->io = *io;
  tls->state = NTSPOOL_TLS_HANDSHAKE;
  ERR_clear_error();
  int rc = NTSPOOL_ERR_NO_MEMORY;
  tls->ssl = SSL_new(cfg->ctx);
  BIO *bio = tls->ssl != NULL ? BIO_new(bio_method) : NULL;
  if (bio == NULL)
    goto fail;
  BIO_set_data(bio, tls);
  SSL_set_bio(tls->ssl, bio, bio); /* the SSL owns it now */
  SSL_set_app_data(tls->ssl, tls);
  if (cfg->server) {
    SSL_set_accept_state(tls->ssl);
  } else {
    SSL_set_connect_state(tls->ssl);
    rc = NTSPOOL_ERR_TLS;
    if (set_peer_name(tls->ssl, server_name) != 0)
      goto fail;
    memcpy(tls->sni, server_name, name_len + 1);
    tls->has_sni = true;
  }
  tls->cfg = ntspool_tls_config_ref(cfg);
  *out = tls;
  return 0;
fail:
  ERR_clear_error();
  SSL_free(tls->ssl);
  ntspool_free_secret(&cfg->alloc, tls, sizeof(*tls));
  return rc;
}

void ntspool_tls_free(ntspool_tls *tls) {
  if (tls == NULL)
    return;
  ntspool_tls_config *cfg = tls->cfg;
  SSL_free(tls->ssl); /* wipes traffic keys, frees the BIO */
  OPENSSL_free(tls->peer_der);
  OPENSSL_clear_free(tls->stash, NTSPOOL_TLS_STASH_CAP);
  ntspool_free_secret(&cfg->alloc, tls, sizeof(*tls));
  ntspool_tls_config_unref(cfg);
}

/* ---- handshake ---------------------------------------------------------- */

/* What OpenSSL does not check for us once the handshake is over.  The
 * version can only be 1.3 (min = max) and the ALPN can only be ours (both
 * callbacks refuse anything else), but both are the protocol's
 * foundations, so look; a violation fails without a word to the peer. */
static int check_established(ntspool_tls *tls) {
  if (SSL_version(tls->ssl) != TLS1_3_VERSION) {
    tls->last_error = ntspool_tls_ssl_reason(SSL_R_UNSUPPORTED_PROTOCOL);
    return ntspool_tls_fail(tls, NTSPOOL_ERR_TLS);
  }
  if (!alpn_is_ours(tls->ssl)) {
    tls->last_error = ntspool_tls_ssl_reason(SSL_R_NO_APPLICATION_PROTOCOL);
    return ntspool_tls_fail(tls, NTSPOOL_ERR_TLS);
  }
  X509 *peer = SSL_get0_peer_certificate(tls->ssl);
  if (peer != NULL) {
    int n = i2d_X509(peer, &tls->peer_der);
    if (n <= 0)
      return ntspool_tls_fail(tls, NTSPOOL_ERR_NO_MEMORY);
    tls->peer_der_len = (size_t)n;
  }
  tls->state = NTSPOOL_TLS_OPEN;
  tls->handshake_done = true;
  return 0;
}

/* Our refusal (or OpenSSL's alert) may still sit in the stash: it goes out
 * before the caller hears of the failure. */
int ntspool_tls_refuse_flush(ntspool_tls *tls) {
  int rc = flush_first(tls);
  if (rc == NTSPOOL_ERR_WOULD_BLOCK)
    return rc;
  return ntspool_tls_fail(tls, tls->failure);
}

int ntspool_tls_handshake(ntspool_tls *tls) {
  if (tls == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  int rc = ntspool_tls_begin_handshake(tls);
  if (rc != 1)
    return rc;
  rc = flush_first(tls);
  if (rc != 0)
    return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_tls_fail(tls, rc);
  ERR_clear_error();
  int ret = SSL_do_handshake(tls->ssl);
  if (ret == 1) {
    /* Done once our last flight is out (the next call asks OpenSSL again,
     * which answers at once). */
    rc = flush_first(tls);
    if (rc != 0)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_tls_fail(tls, rc);
    return check_established(tls);
  }
  int status = map_error(tls, ret);
  if (status == NTSPOOL_ERR_WOULD_BLOCK)
    return status;
  if (status == NTSPOOL_ERR_TLS && tls->stash_len > tls->stash_off) {
    tls->state = NTSPOOL_TLS_REFUSING;
    tls->failure = status;
    return ntspool_tls_refuse_flush(tls);
  }
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
  rc = flush_first(tls);
  if (rc != 0)
    return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_tls_fail(tls, rc);
  ERR_clear_error();
  int ret = SSL_read(tls->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
  if (ret > 0)
    return ret;
  int status = map_error(tls, ret);
  if (status == NTSPOOL_ERR_WOULD_BLOCK) {
    /* A NewSessionTicket alone may have been consumed: the transport may
     * well have nothing more, so this is the ordinary answer. */
    return status;
  }
  if (status == NTSPOOL_ERR_EOF) {
    /* A closed read direction is not a failure: the response may still be
     * written (TLS 1.3 allows half-close). */
    tls->peer_closed = true;
    return status;
  }
  return ntspool_tls_fail(tls, status);
}

int ntspool_tls_write(ntspool_tls *tls, const uint8_t *buf, size_t len) {
  if (tls == NULL || buf == NULL || len == 0)
    return NTSPOOL_ERR_INVALID_ARG;
  int rc = ntspool_tls_begin_io(tls, true);
  if (rc != 0)
    return rc;
  rc = flush_first(tls);
  if (rc != 0)
    return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_tls_fail(tls, rc);
  if (tls->written > 0) {
    /* The caller's retry of data that was encrypted last time. */
    int n = tls->written;
    tls->written = 0;
    return n;
  }
  /* One record at most, like the mbedTLS backend: a message written in one
   * call travels in one record. */
  if (len > SSL3_RT_MAX_PLAIN_LENGTH)
    len = SSL3_RT_MAX_PLAIN_LENGTH;
  ERR_clear_error();
  int ret = SSL_write(tls->ssl, buf, (int)len);
  if (ret > 0) {
    /* Written means sent, as with mbedTLS: the caller must not go on to
     * wait for an answer to bytes that sit in our stash. */
    rc = flush_first(tls);
    if (rc == 0)
      return ret;
    if (rc != NTSPOOL_ERR_WOULD_BLOCK)
      return ntspool_tls_fail(tls, rc);
    tls->written = ret;
    return rc;
  }
  int status = map_error(tls, ret);
  return status == NTSPOOL_ERR_WOULD_BLOCK ? status
                                           : ntspool_tls_fail(tls, status);
}

int ntspool_tls_close(ntspool_tls *tls) {
  if (tls == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  int rc = ntspool_tls_begin_close(tls);
  if (rc != 1)
    return rc;
  if (!tls->shutdown_sent) {
    ERR_clear_error();
    int ret = SSL_shutdown(tls->ssl); /* 0: sent, the peer's not seen */
    if (ret < 0) {
      int status = map_error(tls, ret);
      return status == NTSPOOL_ERR_WOULD_BLOCK ? status
                                               : ntspool_tls_fail(tls, status);
    }
    tls->shutdown_sent = true;
  }
  rc = flush_first(tls);
  if (rc == NTSPOOL_ERR_WOULD_BLOCK)
    return rc;
  if (rc != 0)
    return ntspool_tls_fail(tls, rc);
  tls->closing = false;
  return 0;
}

size_t ntspool_tls_pending(const ntspool_tls *tls) {
  if (tls == NULL)
    return 0;
  int n = SSL_pending(tls->ssl);
  if (n > 0)
    return (size_t)n;
  return SSL_has_pending(tls->ssl) ? 1 : 0;
}
