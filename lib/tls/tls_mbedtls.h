/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the mbedTLS backend (tls_*.c): the structs behind the opaque
 * handles of tls.h.  Nothing outside the TLS module includes this file.
 */
#ifndef NTSPOOL_TLS_MBEDTLS_H
#define NTSPOOL_TLS_MBEDTLS_H

#include <stdatomic.h>

#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "tls/tls_common.h"

struct ntspool_tls_config {
  ntspool_allocator alloc; /* also used for the connections */
  atomic_int refs;
  bool server;
  bool request_client_cert;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt own_chain;
  mbedtls_pk_context own_key;
  mbedtls_x509_crt ca; /* client: trusted CAs */
  /* server: the suites allowed, 0-terminated (mbedTLS keeps the pointer) */
  int ciphersuites[NTSPOOL_TLS_MAX_CIPHERSUITES + 1];
};

struct ntspool_tls {
  mbedtls_ssl_context ssl;
  ntspool_tls_config *cfg;
  ntspool_io io;
  enum ntspool_tls_state state;
  int failure;      /* NTSPOOL_ERR_* returned while FAILED */
  int last_error;   /* raw mbedTLS code, 0 if none */
  int refuse_error; /* REFUSING: the mbedTLS code to report afterwards */
  unsigned char refuse_alert; /* REFUSING: the alert we send */
  bool handshake_done;        /* set once, never cleared */
  bool closing;               /* close(): close_notify not yet flushed */
  bool transport_eof;
  bool transport_error;
  bool peer_closed;  /* read() saw close_notify or transport EOF */
  bool alpn_missing; /* server: ClientHello carried no ALPN */
  bool has_sni;
  unsigned wants; /* NTSPOOL_TLS_WANT_*: why the last call would block */
  char sni[NTSPOOL_TLS_MAX_SNI + 1];
};

/* Server certificate-selection callback (mbedtls_ssl_conf_cert_cb): keeps
 * the SNI name and refuses a ClientHello without ALPN. */
int ntspool_tls_client_hello_cb(mbedtls_ssl_context *ssl);

/* Maps a failing mbedTLS return code to NTSPOOL_ERR_*, recording it as the
 * connection's last error unless it only means "would block". */
int ntspool_tls_map_error(ntspool_tls *tls, int ret);

/* Reads the regular file at path (ntspool_file_read: a directory or a FIFO
 * is refused, not read; mbedTLS's own file functions would take a
 * directory's size for 2^63 and wait on a FIFO) and hands its bytes to
 * parse, PEM with its NUL as mbedTLS wants it.  Returns parse's result, or
 * MBEDTLS_ERR_X509_FILE_IO_ERROR / MBEDTLS_ERR_X509_ALLOC_FAILED. */
int ntspool_mbedtls_parse_file(const ntspool_allocator *a, const char *path,
                               int (*parse)(void *ctx, const uint8_t *buf,
                                            size_t len),
                               void *ctx);

/* mbedtls_x509_crt_parse with a void * chain, for parse_file. */
int ntspool_mbedtls_parse_crt(void *ctx, const uint8_t *buf, size_t len);

#endif
