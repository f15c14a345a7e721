/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the OpenSSL backend (tls_openssl*.c, built by make TLS=openssl):
 * the structs behind the opaque handles of tls.h.  Nothing outside the TLS
 * module includes this file.
 */
#ifndef NTSPOOL_TLS_OPENSSL_H
#define NTSPOOL_TLS_OPENSSL_H

#include <stdatomic.h>

#include <openssl/ssl.h>

#include "tls/tls_common.h"

struct ntspool_tls_config {
  ntspool_allocator alloc; /* also used for the connections */
  atomic_int refs;
  bool server;
  SSL_CTX *ctx; /* reference counted by OpenSSL; each SSL holds one */
};

/* What the BIO takes over from OpenSSL when the transport would block: one
 * full record (16 KiB of data plus TLS 1.3 overhead) or a handshake flight
 * of a few certificates.  See tls_openssl.c for why. */
#define NTSPOOL_TLS_STASH_CAP (16384 + 4096)

struct ntspool_tls {
  SSL *ssl;
  ntspool_tls_config *cfg;
  ntspool_io io;
  enum ntspool_tls_state state;
  int failure;    /* NTSPOOL_ERR_* returned while FAILED (or after REFUSING) */
  int last_error; /* raw OpenSSL code (ERR_get_error), 0 if none */
  long verify_result;  /* X509_V_* of a failed certificate check */
  unsigned wants;      /* NTSPOOL_TLS_WANT_* of the last WOULD_BLOCK */
  bool handshake_done; /* set once, never cleared */
  bool closing;        /* close(): close_notify not yet flushed */
  bool shutdown_sent;  /* SSL_shutdown queued our close_notify */
  bool transport_eof;
  bool transport_error;
  bool peer_closed;  /* read() saw close_notify or transport EOF */
  bool alpn_refused; /* we refused the peer's ALPN (or its lack) */
  bool has_sni;
  char sni[NTSPOOL_TLS_MAX_SNI + 1];
  unsigned char *peer_der; /* the peer's leaf (OPENSSL_malloc), or NULL */
  size_t peer_der_len;
  unsigned char *stash; /* bytes accepted from OpenSSL, not yet sent */
  size_t stash_len, stash_off;
  int written; /* write(): encrypted, stash not yet flushed; the count
                * the caller's retry gets */
};

/* Raw code of the last OpenSSL error of this thread (0 if none), as the
 * int that ntspool_tls_last_error reports. */
int ntspool_tls_raw_code(unsigned long err);

/* The raw code of an SSL library reason, e.g. SSL_R_NO_APPLICATION_PROTOCOL. */
int ntspool_tls_ssl_reason(int reason);

/* Server callbacks: the ClientHello check (ALPN present, SNI kept) and ALPN
 * selection (ntske/1 or a no_application_protocol alert). */
int ntspool_tls_client_hello_cb(SSL *ssl, int *alert, void *arg);
int ntspool_tls_alpn_select_cb(SSL *ssl, const unsigned char **out,
                               unsigned char *outlen, const unsigned char *in,
                               unsigned int inlen, void *arg);

/* Client certificate callback: keeps OpenSSL's verdict on the chain and
 * the name, and refuses a server that did not select ntske/1. */
int ntspool_tls_client_verify_cb(int preverify_ok, X509_STORE_CTX *store);

/* Server certificate callback with request_client_cert: accepts any chain
 * (the application judges the certificate; OpenSSL still checks that the
 * client holds the key). */
int ntspool_tls_accept_any_cb(int preverify_ok, X509_STORE_CTX *store);

#endif
