/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the TLS module: what both backends share.  Each backend's
 * header (tls_mbedtls.h, tls_openssl.h) includes this one and defines
 * struct ntspool_tls_config with at least
 *     ntspool_allocator alloc; atomic_int refs; bool server;
 * and struct ntspool_tls with at least
 *     ntspool_tls_config *cfg; enum ntspool_tls_state state; int failure;
 *     int last_error; unsigned wants; bool handshake_done, closing, has_sni;
 *     char sni[NTSPOOL_TLS_MAX_SNI + 1];
 * so that tls_common.c can implement the rules that do not depend on the
 * TLS library: reference counting, argument checks, the connection state
 * machine's entry checks, the accessors and RFC 8915's export context.
 */
#ifndef NTSPOOL_TLS_COMMON_H
#define NTSPOOL_TLS_COMMON_H

#include "tls/tls.h"

enum ntspool_tls_state {
  NTSPOOL_TLS_HANDSHAKE, /* handshake not finished */
  NTSPOOL_TLS_REFUSING,  /* we refuse the peer: flushing our fatal alert */
  NTSPOOL_TLS_OPEN,      /* established */
  NTSPOOL_TLS_CLOSED,    /* close_notify queued or sent */
  NTSPOOL_TLS_FAILED,    /* dead; `failure` is returned again */
};

/* Longest SNI host name we keep (a DNS name has at most 253 characters). */
#define NTSPOOL_TLS_MAX_SNI 255

/* ---- implemented by each backend ---------------------------------------- */

/* Frees a config whose last reference is gone (keys wiped). */
void ntspool_tls_config_destroy(ntspool_tls_config *cfg);

/* REFUSING: sends what is left of our fatal alert; NTSPOOL_ERR_WOULD_BLOCK
 * until it is out, then the refusal (NTSPOOL_ERR_TLS). */
int ntspool_tls_refuse_flush(ntspool_tls *tls);

/* One RFC 8915 exporter output of `len` bytes for the 5-byte context.
 * Returns 0 or the backend's raw error code. */
int ntspool_tls_export(ntspool_tls *tls, const unsigned char context[5],
                       uint8_t *out, size_t len);

/* ---- tls_common.c ---------------------------------------------------------
 */

/* Whether any item of cred is set; whether both chain and key are. */
bool ntspool_tls_credentials_given(const ntspool_tls_credentials *cred);
bool ntspool_tls_credentials_complete(const ntspool_tls_credentials *cred);

/* The start of config_new_server (server) and config_new_client: clears
 * *raw_error (if not NULL), checks the arguments (a server needs a chain
 * and a key; a client's own certificate is optional but then complete) and
 * clears *out.  Returns 0 or NTSPOOL_ERR_INVALID_ARG. */
int ntspool_tls_config_args(ntspool_tls_config **out,
                            const ntspool_tls_credentials *cred, bool server,
                            int *raw_error);

/* A config constructor's failure: `raw` into *raw_error (if not NULL), the
 * half-made config freed; returns rc. */
int ntspool_tls_config_failed(ntspool_tls_config *c, int rc, int raw,
                              int *raw_error);

/* The checks of ntspool_tls_new before anything is allocated: returns 0
 * (and the name's length in *name_len) or NTSPOOL_ERR_INVALID_ARG. */
int ntspool_tls_new_args(const ntspool_tls_config *cfg, const ntspool_io *io,
                         const char *server_name, size_t *name_len);

/* The start of handshake(): clears wants; returns 1 while the handshake
 * is to be run, else the result (0 once established, a dead connection's
 * failure, the refusal being flushed). */
int ntspool_tls_begin_handshake(ntspool_tls *tls);

/* The start of read() and write() (writing: true): clears wants, returns
 * a dead connection's failure, refuses writes after close, runs the
 * handshake when it is not done.  Returns 0 to go on, or the result. */
int ntspool_tls_begin_io(ntspool_tls *tls, bool writing);

/* The start of close(): returns 1 when close_notify must be sent or
 * flushed (the state is then CLOSED with `closing` set), 0 when there is
 * nothing to do, or a dead connection's failure. */
int ntspool_tls_begin_close(ntspool_tls *tls);

/* Marks the connection dead with `status`; returns it. */
int ntspool_tls_fail(ntspool_tls *tls, int status);

#endif
