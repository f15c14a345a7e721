/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS configs on OpenSSL 3: loading certificates and keys, and the fixed
 * protocol policy every connection inherits (TLS 1.3 only, ALPN ntske/1,
 * certificate-only key exchange, no tickets, no resumption, no 0-RTT).
 *
 * An SSL_CTX is safe to share between threads once set up and each SSL
 * takes a reference on it, so our config wraps one and is shared by
 * reference like the mbedTLS backend's.  Files are read into memory and
 * parsed by one function, so a path and a buffer accept the same formats
 * (PEM or DER), as with mbedTLS.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/crypto.h"
#include "base/internal.h"
#include "base/settings.h"
#include "tls/tls_openssl.h"

static int sys_error(int err) {
  return ntspool_tls_raw_code(ERR_PACK(ERR_LIB_SYS, 0, err));
}

/* The last OpenSSL error of this thread as a raw code (clearing the
 * queue), or `fallback` when OpenSSL recorded none. */
static int take_error(int fallback) {
  unsigned long e = ERR_peek_last_error();
  ERR_clear_error();
  return e != 0 ? ntspool_tls_raw_code(e) : fallback;
}

/* Reads a whole regular file (ntspool_file_read: a directory or a FIFO is
 * refused, not read).  It may hold a key: free with free_file.  Returns
 * 0, NTSPOOL_ERR_NOT_FOUND, NTSPOOL_ERR_CONFIG (not a regular file, too
 * large) or NTSPOOL_ERR_NO_MEMORY, with the system's reason in *raw. */
static int read_file(const ntspool_allocator *a, const char *path,
                     ntspool_bytes *out, int *raw) {
  char *text;
  size_t len;
  int sys_err;
  int rc = ntspool_file_read(a, path, NTSPOOL_CREDENTIAL_FILE_MAX, &text, &len,
                             &sys_err);
  if (rc != 0) {
    *raw = sys_error(sys_err);
    return rc;
  }
  *out = (ntspool_bytes){(const uint8_t *)text, len};
  return 0;
}

static void free_file(const ntspool_allocator *a, ntspool_bytes *b) {
  ntspool_free_secret(a, (void *)b->data, b->len);
  *b = (ntspool_bytes){0};
}

static bool looks_like_pem(ntspool_bytes in) {
  static const char tag[] = "-----BEGIN";
  for (size_t i = 0; i + sizeof(tag) - 1 <= in.len; i++)
    if (memcmp(in.data + i, tag, sizeof(tag) - 1) == 0)
      return true;
  return false;
}

/* Every certificate of a PEM buffer, or the one DER certificate.  Calls
 * add() for each; returns how many were added (0: none parsed). */
typedef int (*add_cert_fn)(void *ctx, X509 *x, int index);

static int parse_certs(ntspool_bytes in, add_cert_fn add, void *ctx,
                       bool *add_failed) {
  int n = 0;
  *add_failed = false;
  if (in.data == NULL || in.len == 0 || in.len > INT_MAX)
    return 0;
  if (!looks_like_pem(in)) {
    const unsigned char *p = in.data;
    X509 *x = d2i_X509(NULL, &p, (long)in.len);
    if (x == NULL)
      return 0;
    if (!add(ctx, x, 0)) {
      *add_failed = true;
      return 0;
    }
    return 1;
  }
  BIO *bio = BIO_new_mem_buf(in.data, (int)in.len);
  if (bio == NULL)
    return 0;
  X509 *x;
  while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
    if (!add(ctx, x, n)) {
      *add_failed = true;
      break;
    }
    n++;
  }
  BIO_free(bio);
  return n;
}

static EVP_PKEY *parse_key(ntspool_bytes in) {
  if (in.data == NULL || in.len == 0 || in.len > INT_MAX)
    return NULL;
  if (!looks_like_pem(in)) {
    const unsigned char *p = in.data;
    return d2i_AutoPrivateKey(NULL, &p, (long)in.len);
  }
  BIO *bio = BIO_new_mem_buf(in.data, (int)in.len);
  if (bio == NULL)
    return NULL;
  EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  return k;
}

/* Takes ownership of x: the leaf first, then the chain. */
static int add_own_cert(void *ctx, X509 *x, int index) {
  int ok = index == 0 ? SSL_CTX_use_certificate(ctx, x)
                      : SSL_CTX_add1_chain_cert(ctx, x);
  X509_free(x);
  return ok == 1;
}

/* Bytes from a path (which wins) or from memory. */
static int get_bytes(const ntspool_allocator *a, const char *path,
                     ntspool_bytes mem, ntspool_bytes *out, bool *owned,
                     int *raw) {
  *owned = false;
  if (path == NULL) {
    *out = mem;
    return 0;
  }
  int rc = read_file(a, path, out, raw);
  *owned = rc == 0;
  return rc;
}

/* Our own chain and key: every certificate must parse (a half-loaded chain
 * would fail at the peer, far from the cause) and the key must match. */
static int load_credentials(ntspool_tls_config *c,
                            const ntspool_tls_credentials *cred, int *raw) {
  ntspool_bytes chain, key;
  bool own_chain, own_key;
  int rc = get_bytes(&c->alloc, cred->chain_path, cred->chain_pem, &chain,
                     &own_chain, raw);
  if (rc != 0)
    return rc;
  bool add_failed;
  int n = parse_certs(chain, add_own_cert, c->ctx, &add_failed);
  if (own_chain)
    free_file(&c->alloc, &chain);
  if (n == 0 || add_failed) {
    *raw = take_error(
        ntspool_tls_raw_code(ERR_PACK(ERR_LIB_PEM, 0, PEM_R_NO_START_LINE)));
    return NTSPOOL_ERR_CONFIG;
  }
  ERR_clear_error(); /* the PEM reader's end-of-input */
  rc = get_bytes(&c->alloc, cred->key_path, cred->key_pem, &key, &own_key, raw);
  if (rc != 0)
    return rc;
  EVP_PKEY *k = parse_key(key);
  if (own_key)
    free_file(&c->alloc, &key);
  rc = 0;
  if (k == NULL || SSL_CTX_use_PrivateKey(c->ctx, k) != 1 ||
      SSL_CTX_check_private_key(c->ctx) != 1) {
    *raw = take_error(ntspool_tls_ssl_reason(SSL_R_BAD_VALUE));
    rc = NTSPOOL_ERR_CONFIG;
  }
  EVP_PKEY_free(k); /* the SSL_CTX holds its own reference */
  return rc;
}

static int add_ca(void *ctx, X509 *x, int index) {
  (void)index;
  int ok = X509_STORE_add_cert(ctx, x);
  X509_free(x);
  return ok == 1;
}

/* CAs from a buffer; returns how many. */
static int load_ca_bytes(X509_STORE *store, ntspool_bytes in) {
  bool add_failed;
  int n = parse_certs(in, add_ca, store, &add_failed);
  ERR_clear_error(); /* the PEM reader's end-of-input, duplicates */
  return n;
}

static int load_ca_file(const ntspool_allocator *a, X509_STORE *store,
                        const char *path, int *raw) {
  ntspool_bytes b;
  int rc = read_file(a, path, &b, raw);
  if (rc != 0)
    return rc;
  int n = load_ca_bytes(store, b);
  free_file(a, &b);
  return n;
}

/* Every regular file of a directory, like mbedTLS's parse_path (OpenSSL's
 * own directory lookup would need c_rehash's hash links). */
static int load_ca_dir(const ntspool_allocator *a, X509_STORE *store,
                       const char *dir, int *raw) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    *raw = sys_error(errno);
    return NTSPOOL_ERR_NOT_FOUND;
  }
  int total = 0;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    struct stat st;
    if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >=
            (int)sizeof(path) ||
        stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    int n = load_ca_file(a, store, path, raw);
    if (n > 0)
      total += n;
  }
  closedir(d);
  return total;
}

/* Adds the CAs of a file or directory to the store; at least one of this
 * path must load. */
static int load_ca_path(const ntspool_allocator *a, X509_STORE *store,
                        const char *path, int *raw) {
  struct stat st;
  if (stat(path, &st) != 0) {
    *raw = sys_error(errno);
    return NTSPOOL_ERR_NOT_FOUND;
  }
  int n = S_ISDIR(st.st_mode) ? load_ca_dir(a, store, path, raw)
                              : load_ca_file(a, store, path, raw);
  if (n < 0)
    return n;
  if (n == 0) { /* nothing parsed */
    *raw = ntspool_tls_raw_code(ERR_PACK(ERR_LIB_PEM, 0, PEM_R_NO_START_LINE));
    return NTSPOOL_ERR_CONFIG;
  }
  return 0;
}

static int load_cas(ntspool_tls_config *c, const ntspool_tls_client_options *o,
                    int *raw) {
  X509_STORE *store = SSL_CTX_get_cert_store(c->ctx);
  int rc;
  if (o->ca_path == NULL && o->ca_pem.data != NULL && o->ca_pem.len > 0) {
    if (load_ca_bytes(store, o->ca_pem) == 0) {
      *raw =
          ntspool_tls_raw_code(ERR_PACK(ERR_LIB_PEM, 0, PEM_R_NO_START_LINE));
      return NTSPOOL_ERR_CONFIG;
    }
  } else if ((rc = load_ca_path(&c->alloc, store,
                                o->ca_path ? o->ca_path
                                           : NTSPOOL_TLS_DEFAULT_CA_PATH,
                                raw)) != 0) {
    return rc;
  }
  /* Trusted next to the roots above, not instead of them. */
  for (size_t i = 0; i < o->n_extra_ca_paths; i++)
    if ((rc = load_ca_path(&c->alloc, store, o->extra_ca_paths[i], raw)) != 0)
      return rc;
  return 0;
}

/* The policy shared by both ends. */
static int setup_common(ntspool_tls_config *c, int *raw) {
  SSL_CTX *ctx = c->ctx;
  /* RFC 8915 4: "MUST NOT" negotiate anything older than TLS 1.3. */
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
    *raw = take_error(ntspool_tls_ssl_reason(SSL_R_UNSUPPORTED_PROTOCOL));
    return NTSPOOL_ERR_CONFIG;
  }
  /* Certificates only: no tickets, no session cache, no PSK callbacks, so
   * nothing can be resumed and no key is bound to an earlier check; no
   * early data.  A transport EOF is an EOF (messages end with End of
   * Message, a truncation cannot pass for one), which keeps the write
   * direction usable after the peer's read side ended. */
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF |
                               SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_max_early_data(ctx, 0);
  SSL_CTX_set_recv_max_early_data(ctx, 0);
  /* Same pointer and length are passed again after WOULD_BLOCK anyway;
   * partial writes never happen (one record per write, see write()). */
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  /* Whole records (and whatever follows) per transport read, not header
   * then body: half the reads; pending() reports what is buffered. */
  SSL_CTX_set_read_ahead(ctx, 1);
  return 0;
}

static int config_alloc(ntspool_tls_config **out,
                        const ntspool_allocator *alloc, bool server) {
  ntspool_allocator a = ntspool_allocator_or_default(alloc);
  if (ntspool_crypto_init() != 0)
    return NTSPOOL_ERR_CRYPTO;
  ntspool_tls_config *c = ntspool_calloc(&a, sizeof(*c));
  if (c == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  c->alloc = a;
  c->server = server;
  atomic_init(&c->refs, 1);
  c->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (c->ctx == NULL) {
    ERR_clear_error();
    ntspool_free(&a, c);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  *out = c;
  return 0;
}

void ntspool_tls_config_destroy(ntspool_tls_config *c) {
  ntspool_allocator a = c->alloc;
  SSL_CTX_free(c->ctx); /* the key is wiped with its last user */
  ntspool_free_secret(&a, c, sizeof(*c));
}

/* OpenSSL takes TLS 1.3 suites by their RFC 8446 names, colon-separated. */
static int set_ciphersuites(ntspool_tls_config *c,
                            const ntspool_tls_server_options *opt, int *raw) {
  char list[NTSPOOL_TLS_MAX_CIPHERSUITES * 32] = "";
  if (opt->n_ciphersuites == 0)
    return 0;
  for (size_t i = 0; i < opt->n_ciphersuites; i++) {
    const char *name = ntspool_tls_ciphersuite_name(opt->ciphersuites[i]);
    if (name == NULL || i >= NTSPOOL_TLS_MAX_CIPHERSUITES)
      return NTSPOOL_ERR_CONFIG;
    if (i > 0)
      strcat(list, ":");
    strcat(list, name);
  }
  if (SSL_CTX_set_ciphersuites(c->ctx, list) != 1) {
    *raw = (int)ERR_peek_last_error();
    return NTSPOOL_ERR_CONFIG;
  }
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
  if ((rc = config_alloc(&c, alloc, true)) != 0)
    return rc;
  if ((rc = setup_common(c, &raw)) != 0 ||
      (rc = load_credentials(c, &opt->cred, &raw)) != 0 ||
      (rc = set_ciphersuites(c, opt, &raw)) != 0)
    goto fail;
  SSL_CTX_set_num_tickets(c->ctx, 0);
  /* The ClientHello hook refuses a client without ALPN and keeps its SNI;
   * the ALPN callback picks ntske/1 or refuses. */
  SSL_CTX_set_client_hello_cb(c->ctx, ntspool_tls_client_hello_cb, NULL);
  SSL_CTX_set_alpn_select_cb(c->ctx, ntspool_tls_alpn_select_cb, NULL);
  /* With request_client_cert: ask, check possession of the key
   * (CertificateVerify), accept whatever chain; a client that sends none is
   * accepted too.  No CA names are sent. */
  SSL_CTX_set_verify(
      c->ctx, opt->request_client_cert ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
      opt->request_client_cert ? ntspool_tls_accept_any_cb : NULL);
  *out = c;
  return 0;
fail:
  ERR_clear_error();
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
  if ((rc = config_alloc(&c, alloc, false)) != 0)
    return rc;
  if ((rc = setup_common(c, &raw)) != 0 || (rc = load_cas(c, opt, &raw)) != 0)
    goto fail;
  if (ntspool_tls_credentials_given(&opt->cred) &&
      (rc = load_credentials(c, &opt->cred, &raw)) != 0)
    goto fail;
  static const unsigned char alpn[] = "\x07" NTSPOOL_TLS_ALPN;
  if (SSL_CTX_set_alpn_protos(c->ctx, alpn, sizeof(alpn) - 1) != 0) {
    raw = take_error(ntspool_tls_ssl_reason(SSL_R_BAD_VALUE));
    rc = NTSPOOL_ERR_NO_MEMORY;
    goto fail;
  }
  SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, ntspool_tls_client_verify_cb);
  *out = c;
  return 0;
fail:
  ERR_clear_error();
  return ntspool_tls_config_failed(c, rc, raw, raw_error);
}

/* Reads one certificate file into DER bytes from the allocator `a`: a time
 * source that trusts a pool by its exact client certificate compares them
 * with what the pool presents. */
static int keep_first(void *ctx, X509 *x, int index) {
  X509 **first = ctx;
  if (index == 0)
    *first = x;
  else
    X509_free(x);
  return index == 0;
}

int ntspool_tls_load_cert_der(const char *path, const ntspool_allocator *a,
                              ntspool_bytes *out) {
  int raw = 0;
  ntspool_bytes file;
  int rc = read_file(a, path, &file, &raw);
  if (rc != 0)
    return rc;
  X509 *x = NULL;
  bool ignored;
  parse_certs(file, keep_first, &x, &ignored);
  free_file(a, &file);
  ERR_clear_error();
  int n = x != NULL ? i2d_X509(x, NULL) : 0;
  if (n <= 0) {
    X509_free(x);
    return NTSPOOL_ERR_CONFIG;
  }
  uint8_t *der = ntspool_malloc(a, (size_t)n);
  if (der == NULL) {
    X509_free(x);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  unsigned char *p = der;
  i2d_X509(x, &p);
  X509_free(x);
  out->data = der;
  out->len = (size_t)n;
  return 0;
}
