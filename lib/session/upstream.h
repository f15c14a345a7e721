/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool's connections to time sources (upstream.c).
 */
#ifndef NTSPOOL_UPSTREAM_H
#define NTSPOOL_UPSTREAM_H

#include "session/session_internal.h"

typedef struct ntspool_upconn {
  ntspool_allocator alloc;
  ntspool_upstream_ops ops;
  ntspool_io io;
  bool io_open;
  ntspool_channel ch;
  ntspool_time_ms created_at;
  size_t cap;
  uint8_t buffers[]; /* rx, tx */
} ntspool_upconn;

/* Opens a transport to `src` through the application (which must be done
 * by `deadline`) and starts TLS with the source's domain as the verified
 * name.  Returns 0, the open()
 * callback's failure (NTSPOOL_ERR_IO), NTSPOOL_ERR_NO_MEMORY or a TLS setup
 * error. */
int ntspool_upconn_open(ntspool_ctx *ctx, const ntspool_source *src,
                        enum ntspool_family family, ntspool_time_ms now,
                        ntspool_time_ms deadline, ntspool_upconn **out);

/* Sends close_notify once without waiting, closes the transport, frees.
 * NULL is ignored. */
void ntspool_upconn_close(ntspool_upconn *c);

/* Starts a request already built in c->ch.tx[0..request_len). */
void ntspool_upconn_begin(ntspool_upconn *c, size_t request_len);

/* Handshake (if needed), sends the request, receives the whole answer.
 * Returns 0 when the answer is in c->ch.rx[0..msg_len),
 * NTSPOOL_ERR_WOULD_BLOCK, or the failure. */
int ntspool_upconn_exchange(ntspool_upconn *c);

/* Why an exchange on c failed with `why`, for the log: the status's
 * sentence, or for a TLS failure the backend's description of this
 * connection's, with the certificate's faults ("certificate has expired",
 * a name mismatch) when verification failed.  Writes into buf, returns
 * it.  c may be NULL. */
const char *ntspool_upconn_why(const ntspool_upconn *c, int why, char *buf,
                               size_t len);

#endif
