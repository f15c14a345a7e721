/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every session shares: creation, the handshake / receive / send /
 * close sequence, deadlines, what it waits on and the outcome.  The role
 * files supply the rest through the context's ntspool_role_ops (what
 * happens once a whole message has arrived, the work with time sources,
 * what to release); nothing here names a role.
 */
#include <stdio.h>
#include <string.h>

#include "base/crypto.h"
#include "session/session_internal.h"

int ntspool_session_alloc(ntspool_ctx *ctx, const ntspool_io *io,
                          ntspool_tls_config *tls, const char *server_name,
                          ntspool_time_ms now, ntspool_session **out) {
  if (!ctx || !io || !out || io->version != NTSPOOL_IO_VERSION || !io->send ||
      !io->recv)
    return NTSPOOL_ERR_INVALID_ARG;
  if (!ctx->ready)
    return NTSPOOL_ERR_STATE;
  /* One allocation per session: the struct, what only its role needs
   * (nothing for the pool, whose upstream work is allocated when a
   * request arrives) and both message buffers. */
  size_t part = ctx->role_ops->part_size;
  size_t size = sizeof(ntspool_session) + part + 2 * ctx->max_message;
  ntspool_session *s = ntspool_ctx_alloc(ctx, size);
  if (!s)
    return NTSPOOL_ERR_NO_MEMORY;
  s->size = size;
  s->io = *io;
  s->buffers = (uint8_t *)s->part + part;
  int rc =
      ntspool_channel_open(&s->ch, tls, io, server_name, s->buffers,
                           s->buffers + ctx->max_message, ctx->max_message);
  if (rc) {
    ntspool_ctx_free_mem(ctx, s);
    return rc;
  }
  ntspool_ctx_ref(ctx);
  s->ctx = ctx;
  s->ops = ctx->role_ops;
  s->state = NTSPOOL_ST_HANDSHAKE;
  s->status = NTSPOOL_ERR_WOULD_BLOCK;
  ntspool_session_set_deadline(s, NTSPOOL_WAIT_HANDSHAKE, now);
  *out = s;
  return 0;
}

int ntspool_session_new_server(ntspool_ctx *ctx, const ntspool_io *io,
                               const ntspool_peer *peer, ntspool_time_ms now,
                               ntspool_session **out) {
  if (ctx && !ctx->role_ops->serves)
    return NTSPOOL_ERR_STATE;
  ntspool_session *s;
  int rc = ntspool_session_alloc(ctx, io, ctx ? ctx->server_tls : NULL, NULL,
                                 now, &s);
  if (rc)
    return rc;
  s->family = peer && peer->family == NTSPOOL_FAMILY_IPV6 ? NTSPOOL_FAMILY_IPV6
                                                          : NTSPOOL_FAMILY_IPV4;
  snprintf(s->peer, sizeof s->peer, "%s",
           peer && peer->address ? peer->address : "-");
  *out = s;
  return 0;
}

void ntspool_session_free(ntspool_session *s) {
  if (!s)
    return;
  ntspool_ctx *ctx = s->ctx;
  if (s->ops->release)
    s->ops->release(s);
  ntspool_channel_free(&s->ch);
  /* Buffers held requests with keys (Fixed Key) and cookies. */
  ntspool_zeroize(s, s->size);
  ntspool_ctx_free_mem(ctx, s);
  ntspool_ctx_unref(ctx);
}

/* The class of a session that ended with `status` (session.h, enum
 * ntspool_result).  A failure of the session itself decides; after a
 * delivered answer, what the answer was (an Error record, no overlap). */
static enum ntspool_result result_of(int status, const ntspool_outcome *o) {
  switch (status) {
  case 0:
    if (o->sent_error)
      return NTSPOOL_RESULT_NTS_ERROR;
    if (o->status == NTSPOOL_ERR_NO_PROTOCOL ||
        o->status == NTSPOOL_ERR_NO_AEAD)
      return NTSPOOL_RESULT_NO_OVERLAP;
    return o->status == 0 ? NTSPOOL_RESULT_OK : NTSPOOL_RESULT_NTS_ERROR;
  case NTSPOOL_ERR_NO_PROTOCOL:
  case NTSPOOL_ERR_NO_AEAD:
    return NTSPOOL_RESULT_NO_OVERLAP;
  case NTSPOOL_ERR_PEER_ERROR:
  case NTSPOOL_ERR_PEER_WARNING:
    return NTSPOOL_RESULT_NTS_ERROR;
  case NTSPOOL_ERR_TIMEOUT:
    return NTSPOOL_RESULT_TIMEOUT;
  case NTSPOOL_ERR_TLS:
    return NTSPOOL_RESULT_TLS;
  case NTSPOOL_ERR_EOF:
  case NTSPOOL_ERR_IO:
    return NTSPOOL_RESULT_DROPPED;
  case NTSPOOL_ERR_BAD_RESPONSE:
  case NTSPOOL_ERR_MALFORMED:
  case NTSPOOL_ERR_TOO_LARGE:
  case NTSPOOL_ERR_TRAILING_DATA:
  case NTSPOOL_ERR_NEED_MORE:
  case NTSPOOL_ERR_UNKNOWN_CRITICAL:
    return NTSPOOL_RESULT_BAD_RESPONSE;
  default:
    return NTSPOOL_RESULT_INTERNAL;
  }
}

void ntspool_session_set_deadline(ntspool_session *s, enum ntspool_wait what,
                                  ntspool_time_ms now) {
  const ntspool_ctx *ctx = s->ctx;
  ntspool_time_ms until = s->session_deadline;
  switch (what) {
  case NTSPOOL_WAIT_HANDSHAKE:
    s->session_deadline = now + ctx->ke_timeout_ms;
    until = now + ctx->handshake_timeout_ms;
    break;
  case NTSPOOL_WAIT_EXCHANGE:
    break;
  case NTSPOOL_WAIT_UPSTREAM:
    until = now + ctx->upstream_timeout_ms;
    break;
  /* The key exchange is over: the wait for the next one, then the close,
   * takes its place. */
  case NTSPOOL_WAIT_IDLE:
    s->session_deadline = until = now + ctx->idle_timeout_ms;
    break;
  case NTSPOOL_WAIT_CLOSE:
    s->session_deadline = until = now + ctx->handshake_timeout_ms;
    break;
  }
  s->deadline = until < s->session_deadline ? until : s->session_deadline;
}

int ntspool_session_finish(ntspool_session *s, int status) {
  s->state = NTSPOOL_ST_DONE;
  s->status = status;
  if (status != 0) /* else keep the reason an answered error had */
    s->outcome.status = status;
  if (status == NTSPOOL_ERR_TLS)
    s->outcome.tls_error = ntspool_tls_last_error(s->ch.tls);
  s->outcome.result = result_of(status, &s->outcome);
  return status;
}

const char *ntspool_result_name(enum ntspool_result result) {
  static const char *const names[] = {
      [NTSPOOL_RESULT_PENDING] = "pending",
      [NTSPOOL_RESULT_OK] = "ok",
      [NTSPOOL_RESULT_NO_OVERLAP] = "no_overlap",
      [NTSPOOL_RESULT_NTS_ERROR] = "nts_error",
      [NTSPOOL_RESULT_TIMEOUT] = "timeout",
      [NTSPOOL_RESULT_TLS] = "tls",
      [NTSPOOL_RESULT_DROPPED] = "dropped",
      [NTSPOOL_RESULT_BAD_RESPONSE] = "bad_response",
      [NTSPOOL_RESULT_INTERNAL] = "internal"};
  return (unsigned)result < sizeof names / sizeof *names ? names[result]
                                                         : "unknown";
}

void ntspool_session_answer_error(ntspool_session *s, uint16_t code) {
  /* An Error record always fits: the buffers hold at least 1024 bytes. */
  ntspool_error_response_build(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len, code);
  s->outcome.sent_error = true;
  s->outcome.nts_error = code;
  ntspool_session_respond(s, 0, true);
}

int ntspool_session_respond(ntspool_session *s, int build_status,
                            bool close_after) {
  if (build_status) {
    ntspool_session_answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR);
    return 0;
  }
  s->ch.tx_sent = 0;
  s->close_after = close_after;
  s->state = NTSPOOL_ST_SEND;
  return 0;
}

/* A request that could not be framed still gets an answer when the
 * connection can carry one: Bad Request for an oversized or overlong
 * message, as RFC 8915 prescribes for malformed requests. */
static int recv_failed(ntspool_session *s, int rc) {
  if (s->ops->serves &&
      (rc == NTSPOOL_ERR_TOO_LARGE || rc == NTSPOOL_ERR_TRAILING_DATA)) {
    s->outcome.status = rc;
    ntspool_session_answer_error(s, NTSPOOL_NTS_BAD_REQUEST);
    return NTSPOOL_ERR_WOULD_BLOCK;
  }
  /* A kept-alive connection the pool closes between requests ends well. */
  if (rc == NTSPOOL_ERR_EOF && s->state == NTSPOOL_ST_IDLE)
    return ntspool_session_finish(s, 0);
  return ntspool_session_finish(s, rc);
}

/* Only a time source speaks the draft numbers on its own connections. */
static enum ntspool_numbering session_numbering(const ntspool_session *s) {
  return s->ops->own_numbering ? s->ctx->numbering : NTSPOOL_NUMBERING_IANA;
}

static int advance(ntspool_session *s, ntspool_time_ms now) {
  int rc;
  switch (s->state) {
  case NTSPOOL_ST_HANDSHAKE:
    rc = ntspool_tls_handshake(s->ch.tls);
    if (rc)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_session_finish(s, rc);
    ntspool_session_set_deadline(s, NTSPOOL_WAIT_EXCHANGE, now);
    if (!s->ops->start) { /* the peer speaks first */
      s->state = NTSPOOL_ST_RECV;
      return 0;
    }
    s->state = NTSPOOL_ST_SEND_REQUEST;
    return s->ops->start(s);
  case NTSPOOL_ST_SEND_REQUEST:
    rc = ntspool_channel_send(&s->ch);
    if (rc)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_session_finish(s, rc);
    s->state = NTSPOOL_ST_RECV;
    return 0;
  case NTSPOOL_ST_IDLE:
  case NTSPOOL_ST_RECV:
    rc = ntspool_channel_recv(&s->ch);
    if (s->state == NTSPOOL_ST_IDLE && s->ch.rx_len > 0)
      s->state = NTSPOOL_ST_RECV; /* the next request has begun */
    if (rc)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : recv_failed(s, rc);
    ntspool_log_records(s->ctx, "session", s->peer, "received", s->ch.rx,
                        s->ch.msg_len, session_numbering(s));
    return s->ops->on_message(s, now);
  case NTSPOOL_ST_UPSTREAM:
    return s->ops->step_upstream(s, now);
  case NTSPOOL_ST_SEND:
    if (s->ch.tx_sent == 0)
      ntspool_log_records(s->ctx, "session", s->peer, "sent", s->ch.tx,
                          s->ch.tx_len, session_numbering(s));
    rc = ntspool_channel_send(&s->ch);
    if (rc)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_session_finish(s, rc);
    if (s->close_after) {
      s->state = NTSPOOL_ST_CLOSE;
      return 0;
    }
    /* Kept alive: wait for the pool's next request. */
    ntspool_channel_consume(&s->ch);
    ntspool_session_set_deadline(s, NTSPOOL_WAIT_IDLE, now);
    s->state = NTSPOOL_ST_IDLE;
    return 0;
  case NTSPOOL_ST_CLOSE:
    rc = ntspool_channel_close(&s->ch);
    if (rc == NTSPOOL_ERR_WOULD_BLOCK)
      return rc;
    /* The answer is out; a peer that vanished before our close_notify
     * changes nothing about the outcome. */
    return ntspool_session_finish(s, 0);
  case NTSPOOL_ST_DONE:
    return s->status;
  }
  return ntspool_session_finish(s, NTSPOOL_ERR_STATE);
}

/* For the time-out line of the debug log. */
static const char *const state_names[] = {
    [NTSPOOL_ST_HANDSHAKE] = "handshake",
    [NTSPOOL_ST_SEND_REQUEST] = "send-request",
    [NTSPOOL_ST_RECV] = "recv",
    [NTSPOOL_ST_UPSTREAM] = "upstream",
    [NTSPOOL_ST_SEND] = "send",
    [NTSPOOL_ST_IDLE] = "idle",
    [NTSPOOL_ST_CLOSE] = "close",
    [NTSPOOL_ST_DONE] = "done",
};

int ntspool_session_step(ntspool_session *s, ntspool_time_ms now) {
  if (!s)
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_time_ms was = s->deadline;
  while (s->state != NTSPOOL_ST_DONE) {
    /* A new deadline goes back to the application first: its transport
     * may have to stop waiting earlier (session.h, "Driving a session"). */
    if (s->deadline != was)
      return NTSPOOL_ERR_WOULD_BLOCK;
    /* A kept-alive connection that stayed idle too long is closed
     * politely, so the pool sees close_notify and drops it from its cache
     * before trying to reuse it. */
    if (now >= s->deadline && s->state == NTSPOOL_ST_IDLE) {
      s->state = NTSPOOL_ST_CLOSE;
      ntspool_session_set_deadline(s, NTSPOOL_WAIT_CLOSE, now);
      continue;
    }
    /* The pool's work with time sources checks its own deadlines
     * (step_upstream): one time source being too slow is not the end. */
    if (now >= s->deadline && s->state != NTSPOOL_ST_UPSTREAM) {
      ntspool_log(s->ctx, NTSPOOL_LOG_DEBUG, "session",
                  "peer=%s timeout in state %s", s->peer,
                  state_names[s->state]);
      return ntspool_session_finish(s, NTSPOOL_ERR_TIMEOUT);
    }
    int rc = advance(s, now);
    if (rc == NTSPOOL_ERR_WOULD_BLOCK)
      return rc;
    if (rc < 0 && s->state == NTSPOOL_ST_DONE)
      return rc;
  }
  return s->status;
}

unsigned ntspool_session_wants(const ntspool_session *s,
                               const ntspool_io **io) {
  const ntspool_channel *ch = NULL;
  const ntspool_io *where = NULL;
  if (s && s->state == NTSPOOL_ST_UPSTREAM)
    ch = s->ops->upstream_channel(s, &where);
  else if (s && s->state != NTSPOOL_ST_DONE)
    ch = &s->ch, where = &s->io;
  /* The TLS layer remembers why its last call would block; a call that
   * went through (the step then stopped for a new deadline) clears it. */
  unsigned tls = ch ? ntspool_tls_wants(ch->tls) : 0;
  unsigned wants = (tls & NTSPOOL_TLS_WANT_READ ? NTSPOOL_IO_READ : 0) |
                   (tls & NTSPOOL_TLS_WANT_WRITE ? NTSPOOL_IO_WRITE : 0);
  if (io)
    *io = wants ? where : NULL;
  return wants;
}

ntspool_time_ms ntspool_session_deadline(const ntspool_session *s) {
  return s ? s->deadline : 0;
}

void ntspool_session_outcome(const ntspool_session *s, ntspool_outcome *out) {
  if (s && out)
    *out = s->outcome;
}

const char *ntspool_session_tls_error(const ntspool_session *s, char *buf,
                                      size_t len) {
  /* Only a session that failed in TLS: after a clean close mbedTLS
   * still keeps a code (the peer's close_notify). */
  if (s == NULL || s->outcome.tls_error == 0)
    return ntspool_tls_error_text(0, buf, len);
  return ntspool_tls_describe_error(s->ch.tls, buf, len);
}

int ntspool_session_result(const ntspool_session *s, ntspool_ke_result *out) {
  if (!s || !out)
    return NTSPOOL_ERR_INVALID_ARG;
  /* Only a client session has a result part at all. */
  if (!s->ops->result || s->state != NTSPOOL_ST_DONE || s->status != 0)
    return NTSPOOL_ERR_STATE;
  return s->ops->result(s, out);
}
