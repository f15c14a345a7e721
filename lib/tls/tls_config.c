/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS configs on mbedTLS: loading certificates and keys, and the fixed
 * protocol policy every connection inherits (TLS 1.3 only, ALPN ntske/1,
 * ephemeral key exchange only, no tickets).
 *
 * An mbedtls_ssl_config is read-only once set up, and each connection keeps
 * a pointer to it, so the config is shared by reference and freed with its
 * last user.  mbedTLS documents a config (with its own certificate and key)
 * as shareable between threads when the RNG is thread safe; ours is PSA's.
 */
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/pk.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "base/crypto.h"
#include "base/internal.h"
#include "base/settings.h"
#include "tls/tls_mbedtls.h"

/* mbedtls_ssl_conf_alpn_protocols keeps the pointer: static storage. */
static const char *ntspool_tls_alpn_list[] = {NTSPOOL_TLS_ALPN, NULL};

/* File errors become NOT_FOUND so an operator sees "no such file" rather
 * than "bad certificate"; everything else is a parse problem. */
static int load_status(int ret) {
  switch (ret) {
  case 0:
    return 0;
  case MBEDTLS_ERR_PK_FILE_IO_ERROR:
  case MBEDTLS_ERR_X509_FILE_IO_ERROR:
    return NTSPOOL_ERR_NOT_FOUND;
  case MBEDTLS_ERR_PK_ALLOC_FAILED:
  case MBEDTLS_ERR_X509_ALLOC_FAILED:
    return NTSPOOL_ERR_NO_MEMORY;
  default:
    return NTSPOOL_ERR_CONFIG;
  }
}

/* mbedTLS parses PEM from memory only when the buffer includes the
 * terminating NUL, and DER only when it does not carry an extra byte.
 * Callers hand us file contents, so try the bytes as given (DER, or PEM
 * with its NUL) and then a NUL-terminated copy; the copy is wiped since it
 * may hold a key. */
typedef int (*parse_fn)(void *ctx, const uint8_t *buf, size_t len);

static int parse_bytes(const ntspool_allocator *a, ntspool_bytes in,
                       parse_fn parse, void *ctx) {
  int ret = parse(ctx, in.data, in.len);
  if (ret == 0 || in.len == 0 || in.data[in.len - 1] == '\0')
    return ret;
  uint8_t *copy = ntspool_malloc(a, in.len + 1);
  if (copy == NULL)
    return MBEDTLS_ERR_X509_ALLOC_FAILED;
  memcpy(copy, in.data, in.len);
  copy[in.len] = '\0';
  ret = parse(ctx, copy, in.len + 1);
  ntspool_free_secret(a, copy, in.len + 1);
  return ret;
}

int ntspool_mbedtls_parse_file(const ntspool_allocator *a, const char *path,
                               int (*parse)(void *ctx, const uint8_t *buf,
                                            size_t len),
                               void *ctx) {
  char *text;
  size_t len;
  int sys_err;
  int rc = ntspool_file_read(a, path, NTSPOOL_CREDENTIAL_FILE_MAX, &text, &len,
                             &sys_err);
  if (rc != 0)
    return rc == NTSPOOL_ERR_NO_MEMORY ? MBEDTLS_ERR_X509_ALLOC_FAILED
                                       : MBEDTLS_ERR_X509_FILE_IO_ERROR;
  /* As mbedTLS's own file functions: PEM with its NUL, DER without. */
  size_t n = strstr(text, "-----BEGIN ") != NULL ? len + 1 : len;
  int ret = parse(ctx, (const uint8_t *)text, n);
  ntspool_free_secret(a, text, len);
  return ret;
}

int ntspool_mbedtls_parse_crt(void *ctx, const uint8_t *buf, size_t len) {
  return mbedtls_x509_crt_parse(ctx, buf, len);
}

static int parse_key(void *ctx, const uint8_t *buf, size_t len) {
  return mbedtls_pk_parse_key(ctx, buf, len, NULL, 0, mbedtls_psa_get_random,
                              MBEDTLS_PSA_RANDOM_STATE);
}

/* Our own chain and key: every certificate must parse (a half-loaded chain
 * would fail at the peer, far from the cause) and the key must match. */
static int load_credentials(ntspool_tls_config *c,
                            const ntspool_tls_credentials *cred, int *raw) {
  int ret;
  if (cred->chain_path != NULL)
    ret = ntspool_mbedtls_parse_file(&c->alloc, cred->chain_path,
                                     ntspool_mbedtls_parse_crt, &c->own_chain);
  else
    ret = parse_bytes(&c->alloc, cred->chain_pem, ntspool_mbedtls_parse_crt,
                      &c->own_chain);
  if (ret != 0) {
    *raw = ret > 0 ? MBEDTLS_ERR_X509_INVALID_FORMAT : ret;
    return load_status(*raw);
  }
  if (cred->key_path != NULL)
    ret = ntspool_mbedtls_parse_file(&c->alloc, cred->key_path, parse_key,
                                     &c->own_key);
  else
    ret = parse_bytes(&c->alloc, cred->key_pem, parse_key, &c->own_key);
  if (ret == 0)
    ret =
        mbedtls_pk_check_pair(&c->own_chain.pk, &c->own_key,
                              mbedtls_psa_get_random, MBEDTLS_PSA_RANDOM_STATE);
  if (ret != 0) {
    *raw = ret;
    return load_status(ret);
  }
  ret = mbedtls_ssl_conf_own_cert(&c->conf, &c->own_chain, &c->own_key);
  if (ret != 0) {
    *raw = ret;
    return NTSPOOL_ERR_NO_MEMORY;
  }
  return 0;
}

static size_t ca_count(const mbedtls_x509_crt *crt) {
  size_t n = 0;
  for (; crt && crt->version; crt = crt->next)
    n++;
  return n;
}

/* Appends the CAs of a file or directory to c->ca.  A CA bundle may hold
 * certificates mbedTLS cannot parse (the distribution bundle sometimes
 * does); mbedTLS then returns how many it skipped.  Accept that as long as
 * at least one CA of this path loaded. */
static int load_ca_path(ntspool_tls_config *c, const char *path, int *raw) {
  struct stat st;
  if (stat(path, &st) != 0) {
    *raw = MBEDTLS_ERR_X509_FILE_IO_ERROR;
    return NTSPOOL_ERR_NOT_FOUND;
  }
  size_t before = ca_count(&c->ca);
  /* A directory's entries that are not regular files are skipped. */
  int ret = S_ISDIR(st.st_mode)
                ? mbedtls_x509_crt_parse_path(&c->ca, path)
                : ntspool_mbedtls_parse_file(&c->alloc, path,
                                             ntspool_mbedtls_parse_crt, &c->ca);
  if (ret < 0) {
    *raw = ret;
    return load_status(ret);
  }
  if (ca_count(&c->ca) == before) { /* nothing parsed */
    *raw = MBEDTLS_ERR_X509_INVALID_FORMAT;
    return NTSPOOL_ERR_CONFIG;
  }
  return 0;
}

static int load_cas(ntspool_tls_config *c, const ntspool_tls_client_options *o,
                    int *raw) {
  int rc;
  if (o->ca_path == NULL && o->ca_pem.data != NULL && o->ca_pem.len > 0) {
    int ret =
        parse_bytes(&c->alloc, o->ca_pem, ntspool_mbedtls_parse_crt, &c->ca);
    if (ret < 0) {
      *raw = ret;
      return load_status(ret);
    }
    if (c->ca.version == 0) {
      *raw = MBEDTLS_ERR_X509_INVALID_FORMAT;
      return NTSPOOL_ERR_CONFIG;
    }
  } else if ((rc = load_ca_path(
                  c, o->ca_path ? o->ca_path : NTSPOOL_TLS_DEFAULT_CA_PATH,
                  raw)) != 0) {
    return rc;
  }
  for (size_t i = 0; i < o->n_extra_ca_paths; i++)
    if ((rc = load_ca_path(c, o->extra_ca_paths[i], raw)) != 0)
      return rc;
  mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
  return 0;
}

/* The policy shared by both ends. */
static int setup_common(ntspool_tls_config *c, int endpoint, int *raw) {
  int ret = mbedtls_ssl_config_defaults(&c->conf, endpoint,
                                        MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT);
  if (ret != 0) {
    *raw = ret;
    return NTSPOOL_ERR_NO_MEMORY;
  }
  /* RFC 8915 4: "MUST NOT" negotiate anything older than TLS 1.3. */
  mbedtls_ssl_conf_min_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_3);
  mbedtls_ssl_conf_max_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_3);
  mbedtls_ssl_conf_rng(&c->conf, mbedtls_psa_get_random,
                       MBEDTLS_PSA_RANDOM_STATE);
  ret = mbedtls_ssl_conf_alpn_protocols(&c->conf, ntspool_tls_alpn_list);
  if (ret != 0) {
    *raw = ret;
    return NTSPOOL_ERR_CONFIG;
  }
  /* Certificates only: keys exported from a PSK or resumed session would
   * not be bound to a certificate check made on this connection. */
  mbedtls_ssl_conf_tls13_key_exchange_modes(
      &c->conf, MBEDTLS_SSL_TLS1_3_KEY_EXCHANGE_MODE_EPHEMERAL);
  return 0;
}

static int config_alloc(ntspool_tls_config **out,
                        const ntspool_allocator *alloc) {
  ntspool_allocator a = ntspool_allocator_or_default(alloc);
  if (ntspool_crypto_init() != 0)
    return NTSPOOL_ERR_CRYPTO;
  ntspool_tls_config *c = ntspool_calloc(&a, sizeof(*c));
  if (c == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  c->alloc = a;
  atomic_init(&c->refs, 1);
  mbedtls_ssl_config_init(&c->conf);
  mbedtls_x509_crt_init(&c->own_chain);
  mbedtls_pk_init(&c->own_key);
  mbedtls_x509_crt_init(&c->ca);
  *out = c;
  return 0;
}

void ntspool_tls_config_destroy(ntspool_tls_config *c) {
  ntspool_allocator a = c->alloc;
  mbedtls_ssl_config_free(&c->conf);
  mbedtls_x509_crt_free(&c->own_chain);
  mbedtls_pk_free(&c->own_key); /* wipes the key */
  mbedtls_x509_crt_free(&c->ca);
  ntspool_free_secret(&a, c, sizeof(*c));
}

/* Each suite must be one this mbedTLS build has for TLS 1.3. */
static int set_ciphersuites(ntspool_tls_config *c,
                            const ntspool_tls_server_options *opt) {
  if (opt->n_ciphersuites == 0)
    return 0;
  if (opt->n_ciphersuites > NTSPOOL_TLS_MAX_CIPHERSUITES)
    return NTSPOOL_ERR_CONFIG;
  for (size_t i = 0; i < opt->n_ciphersuites; i++) {
    const mbedtls_ssl_ciphersuite_t *cs =
        mbedtls_ssl_ciphersuite_from_id(opt->ciphersuites[i]);
    if (cs == NULL ||
        ntspool_tls_ciphersuite_name(opt->ciphersuites[i]) == NULL)
      return NTSPOOL_ERR_CONFIG;
    c->ciphersuites[i] = opt->ciphersuites[i];
  }
  c->ciphersuites[opt->n_ciphersuites] = 0;
  mbedtls_ssl_conf_ciphersuites(&c->conf, c->ciphersuites);
  return 0;
}

int ntspool_tls_config_new_server(ntspool_tls_config **out,
                                  const ntspool_tls_server_options *opt,
                                  const ntspool_allocator *alloc,
                                  int *raw_error) {
  int raw = 0;
  ntspool_tls_config *c = NULL;
  int rc =
      ntspool_tls_config_args(out, opt ? &opt->cred : NULL, true, raw_error);
  if (rc != 0)
    return rc;
  if ((rc = config_alloc(&c, alloc)) != 0)
    return rc;
  c->server = true;
  c->request_client_cert = opt->request_client_cert;
  if ((rc = setup_common(c, MBEDTLS_SSL_IS_SERVER, &raw)) != 0 ||
      (rc = load_credentials(c, &opt->cred, &raw)) != 0 ||
      (rc = set_ciphersuites(c, opt)) != 0)
    goto fail;
  /* No CA chain: with OPTIONAL, mbedTLS asks for a certificate, checks the
   * CertificateVerify signature (possession of the key) and records, but
   * does not act on, the failed chain validation. */
  mbedtls_ssl_conf_authmode(&c->conf, opt->request_client_cert
                                          ? MBEDTLS_SSL_VERIFY_OPTIONAL
                                          : MBEDTLS_SSL_VERIFY_NONE);
  /* Runs after the whole ClientHello is parsed: the place to refuse a
   * client without ALPN and to keep its SNI. */
  mbedtls_ssl_conf_cert_cb(&c->conf, ntspool_tls_client_hello_cb);
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
  /* Tickets are off on a server as long as no ticket callbacks are set;
   * zero tickets says it twice.  NTS-KE connections are one-shot (or kept
   * alive as they are), resumption would only cost work and memory. */
  mbedtls_ssl_conf_new_session_tickets(&c->conf, 0);
#endif
  *out = c;
  return 0;
fail:
  return ntspool_tls_config_failed(c, rc, raw, raw_error);
}

int ntspool_tls_config_new_client(ntspool_tls_config **out,
                                  const ntspool_tls_client_options *opt,
                                  const ntspool_allocator *alloc,
                                  int *raw_error) {
  int raw = 0;
  ntspool_tls_config *c = NULL;
  int rc =
      ntspool_tls_config_args(out, opt ? &opt->cred : NULL, false, raw_error);
  if (rc != 0)
    return rc;
  if ((rc = config_alloc(&c, alloc)) != 0)
    return rc;
  if ((rc = setup_common(c, MBEDTLS_SSL_IS_CLIENT, &raw)) != 0 ||
      (rc = load_cas(c, opt, &raw)) != 0)
    goto fail;
  if (ntspool_tls_credentials_given(&opt->cred) &&
      (rc = load_credentials(c, &opt->cred, &raw)) != 0)
    goto fail;
  mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
#if defined(MBEDTLS_SSL_SESSION_TICKETS)
  /* Ignore tickets a server sends anyway (the TLS 1.3 default, made
   * explicit); read() still retries if one is ever signalled. */
  mbedtls_ssl_conf_session_tickets(&c->conf,
                                   MBEDTLS_SSL_SESSION_TICKETS_DISABLED);
  mbedtls_ssl_conf_tls13_enable_signal_new_session_tickets(
      &c->conf, MBEDTLS_SSL_TLS1_3_SIGNAL_NEW_SESSION_TICKETS_DISABLED);
#endif
  *out = c;
  return 0;
fail:
  return ntspool_tls_config_failed(c, rc, raw, raw_error);
}
