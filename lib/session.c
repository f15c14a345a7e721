/*
 * What every session shares: creation, the handshake / receive / send /
 * close sequence, deadlines and the outcome.  The role files supply what
 * happens once a whole message has arrived.
 */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "session_internal.h"

static int session_alloc(ntspool_ctx *ctx, const ntspool_io *io,
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
  size_t role =
      ctx->role == NTSPOOL_ROLE_POOL ? 0 : sizeof(union ntspool_role_part);
  size_t size = sizeof(ntspool_session) + role + 2 * ctx->max_message;
  ntspool_session *s = ntspool_ctx_alloc(ctx, size);
  if (!s)
    return NTSPOOL_ERR_NO_MEMORY;
  s->size = size;
  s->io = *io;
  s->buffers = (uint8_t *)s->role + role;
  int rc =
      ntspool_channel_open(&s->ch, tls, io, server_name, s->buffers,
                           s->buffers + ctx->max_message, ctx->max_message);
  if (rc) {
    ntspool_ctx_free_mem(ctx, s);
    return rc;
  }
  ntspool_ctx_ref(ctx);
  s->ctx = ctx;
  s->state = NTSPOOL_ST_HANDSHAKE;
  s->status = NTSPOOL_ERR_WOULD_BLOCK;
  s->session_deadline = now + ctx->ke_timeout_ms;
  s->deadline = now + ctx->handshake_timeout_ms;
  if (s->deadline > s->session_deadline)
    s->deadline = s->session_deadline;
  *out = s;
  return 0;
}

int ntspool_session_new_server(ntspool_ctx *ctx, const ntspool_io *io,
                               const ntspool_peer *peer, ntspool_time_ms now,
                               ntspool_session **out) {
  if (ctx && ctx->role == NTSPOOL_ROLE_CLIENT)
    return NTSPOOL_ERR_STATE;
  ntspool_session *s;
  int rc = session_alloc(ctx, io, ctx ? ctx->server_tls : NULL, NULL, now, &s);
  if (rc)
    return rc;
  s->process = ctx->role == NTSPOOL_ROLE_POOL ? ntspool_pool_process
                                              : ntspool_source_process;
  s->family = peer && peer->family == 6 ? 6 : 4;
  snprintf(s->peer, sizeof s->peer, "%s",
           peer && peer->address ? peer->address : "-");
  *out = s;
  return 0;
}

int ntspool_session_new_client(ntspool_ctx *ctx, const ntspool_io *io,
                               const char *host, const char *const *denied,
                               size_t n_denied, ntspool_time_ms now,
                               ntspool_session **out) {
  if (!host || !*host ||
      strlen(host) >= sizeof((union ntspool_role_part *)0)->client.host ||
      (n_denied && !denied) || n_denied > NTSPOOL_MAX_DENIED)
    return NTSPOOL_ERR_INVALID_ARG;
  for (size_t i = 0; i < n_denied; i++)
    if (!denied[i] || !*denied[i] || strlen(denied[i]) > 255)
      return NTSPOOL_ERR_INVALID_ARG;
  if (ctx && ctx->role != NTSPOOL_ROLE_CLIENT)
    return NTSPOOL_ERR_STATE;
  ntspool_session *s;
  int rc = session_alloc(ctx, io, ctx ? ctx->client_tls : NULL, host, now, &s);
  if (rc)
    return rc;
  s->process = ntspool_client_process;
  snprintf(s->role->client.host, sizeof s->role->client.host, "%s", host);
  snprintf(s->peer, sizeof s->peer, "%s", host);
  if (n_denied) {
    s->denied = ntspool_ctx_alloc(ctx, n_denied * sizeof *s->denied);
    for (size_t i = 0; s->denied && i < n_denied; i++)
      if ((s->denied[i] = ntspool_strdup(&ctx->alloc, denied[i])) != NULL)
        s->n_denied++;
    if (s->n_denied != n_denied) {
      ntspool_session_free(s);
      return NTSPOOL_ERR_NO_MEMORY;
    }
  }
  s->state = NTSPOOL_ST_HANDSHAKE;
  /* A client's whole exchange runs under one deadline. */
  s->deadline = s->session_deadline;
  *out = s;
  return 0;
}

void ntspool_session_free(ntspool_session *s) {
  if (!s)
    return;
  ntspool_ctx *ctx = s->ctx;
  if (ctx->role == NTSPOOL_ROLE_POOL)
    ntspool_pool_free_work(s);
  if (ctx->role == NTSPOOL_ROLE_SOURCE)
    ntspool_source_release(s);
  for (size_t i = 0; i < s->n_denied; i++)
    ntspool_ctx_free_mem(ctx, s->denied[i]);
  ntspool_ctx_free_mem(ctx, s->denied);
  ntspool_channel_free(&s->ch);
  /* Buffers held requests with keys (Fixed Key) and cookies. */
  ntspool_zeroize(s, s->size);
  ntspool_ctx_free_mem(ctx, s);
  ntspool_ctx_unref(ctx);
}

int ntspool_session_finish(ntspool_session *s, int status) {
  s->state = NTSPOOL_ST_DONE;
  s->status = status;
  if (status != 0) /* else keep the reason an answered error had */
    s->outcome.status = status;
  if (status == NTSPOOL_ERR_TLS)
    s->outcome.tls_error = ntspool_tls_last_error(s->ch.tls);
  return status;
}

void ntspool_session_answer_error(ntspool_session *s, uint16_t code) {
  /* An Error record always fits: the buffers hold at least 1024 bytes. */
  ntspool_build_error_response(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len, code);
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
  if (s->ctx->role != NTSPOOL_ROLE_CLIENT &&
      (rc == NTSPOOL_ERR_TOO_LARGE || rc == NTSPOOL_ERR_TRAILING_DATA)) {
    s->outcome.status = rc;
    ntspool_session_answer_error(s, NTSPOOL_NTS_BAD_REQUEST);
    return NTSPOOL_ERR_WOULD_BLOCK;
  }
  /* A kept-alive connection the pool closes between requests ends well. */
  if (rc == NTSPOOL_ERR_EOF && s->keep_alive && s->ch.rx_len == 0)
    return ntspool_session_finish(s, 0);
  return ntspool_session_finish(s, rc);
}

static int advance(ntspool_session *s, ntspool_time_ms now) {
  int rc;
  switch (s->state) {
  case NTSPOOL_ST_HANDSHAKE:
    rc = ntspool_tls_handshake(s->ch.tls);
    if (rc)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_session_finish(s, rc);
    s->deadline = s->session_deadline;
    /* The client speaks first; its request is built by the role. */
    s->state = s->ctx->role == NTSPOOL_ROLE_CLIENT ? NTSPOOL_ST_SEND_REQUEST
                                                   : NTSPOOL_ST_RECV;
    if (s->state == NTSPOOL_ST_SEND_REQUEST)
      return s->process(s, now);
    return 0;
  case NTSPOOL_ST_SEND_REQUEST:
    rc = ntspool_channel_send(&s->ch);
    if (rc)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_session_finish(s, rc);
    s->state = NTSPOOL_ST_RECV;
    return 0;
  case NTSPOOL_ST_RECV:
    rc = ntspool_channel_recv(&s->ch);
    if (rc)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : recv_failed(s, rc);
    return s->process(s, now);
  case NTSPOOL_ST_UPSTREAM:
    return ntspool_pool_upstream_step(s, now);
  case NTSPOOL_ST_SEND:
    rc = ntspool_channel_send(&s->ch);
    if (rc)
      return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : ntspool_session_finish(s, rc);
    if (s->close_after) {
      s->state = NTSPOOL_ST_CLOSE;
      return 0;
    }
    /* Kept alive: wait for the pool's next request. */
    ntspool_channel_consume(&s->ch);
    s->deadline = now + s->ctx->idle_timeout_ms;
    s->state = NTSPOOL_ST_RECV;
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
    if (now >= s->deadline && s->state == NTSPOOL_ST_RECV && s->keep_alive &&
        s->ch.rx_len == 0) {
      s->state = NTSPOOL_ST_CLOSE;
      s->deadline = now + s->ctx->handshake_timeout_ms;
      continue;
    }
    /* Upstream work has deadlines of its own and answers the client. */
    if (now >= s->deadline && s->state != NTSPOOL_ST_UPSTREAM) {
      ntspool_log(s->ctx, NTSPOOL_LOG_DEBUG, "session",
                  "peer=%s timeout in state %d", s->peer, (int)s->state);
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
    ch = ntspool_pool_upstream_channel(s, &where);
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

int ntspool_session_result(const ntspool_session *s, ntspool_ke_result *out) {
  if (!s || !out)
    return NTSPOOL_ERR_INVALID_ARG;
  /* Only a client session has a result part at all. */
  if (s->ctx->role != NTSPOOL_ROLE_CLIENT || s->state != NTSPOOL_ST_DONE ||
      s->status != 0 || !s->role->client.has_result)
    return NTSPOOL_ERR_STATE;
  *out = s->role->client.result;
  return 0;
}
