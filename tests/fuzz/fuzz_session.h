/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the targets that drive whole sessions after TLS
 * (fuzz_source_session, fuzz_client_session) and the PROXY hand-over
 * (fuzz_proxy_stream): setup that must not fail, and a session put back
 * into the state advance() (lib/session/session.c) leaves it in after the
 * handshake, holding what the TLS layer would have delivered.  A session
 * is made once and reused: one per input would spend nearly all its time
 * setting up a TLS context.
 */
#ifndef NTSPOOL_FUZZ_SESSION_H
#define NTSPOOL_FUZZ_SESSION_H

#include "fuzz.h"

#include "session/session_internal.h"

/* For LLVMFuzzerInitialize: stops with the library's reason. */
static inline void fuzz_must(int rc, ntspool_ctx *ctx, const char *what) {
  if (rc) {
    fprintf(stderr, "fuzz: %s: %s %s\n", what, ntspool_strerror(rc),
            ctx ? ntspool_ctx_error(ctx) : "");
    abort();
  }
}

/* Resets what a role's on_message reads and writes (the role part is the
 * caller's) and delivers data[0..size), cut at the receive buffer as the
 * channel would.  Returns the bytes delivered. */
static inline size_t fuzz_session_deliver(ntspool_session *s,
                                          const uint8_t *data, size_t size) {
  s->state = NTSPOOL_ST_RECV;
  s->status = 0;
  s->deadline = s->session_deadline;
  s->outcome = (ntspool_outcome){0};
  s->close_after = false;
  s->ch.tx_len = s->ch.tx_sent = s->ch.msg_len = 0;
  size_t n = size < s->ch.rx_cap ? size : s->ch.rx_cap;
  memcpy(s->ch.rx, data, n);
  s->ch.rx_len = n;
  return n;
}

/* How the channel frames what was delivered: NTSPOOL_ERR_TOO_LARGE for a
 * full buffer without End of Message (it cannot read more). */
static inline int fuzz_session_frame(const ntspool_session *s) {
  size_t msg_len;
  int rc =
      ntspool_message_frame(s->ch.rx, s->ch.rx_len, s->ch.rx_cap, &msg_len);
  if (rc == NTSPOOL_ERR_NEED_MORE && s->ch.rx_len == s->ch.rx_cap)
    rc = NTSPOOL_ERR_TOO_LARGE;
  return rc;
}

#endif
