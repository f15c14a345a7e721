/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The time-source role: an NTS-KE server that also serves a pool.
 *
 * Ordinary clients get keys exported from their own TLS session.  A pool
 * proves itself with an Authentication token from the configured list
 * (compared in constant time) or, the older way, with a TLS client
 * certificate byte-equal to a configured one; only then are its support
 * queries answered and its Fixed Key Requests turned into cookies.  Keep
 * Alive is granted to authenticated pool requests only, up to a configured
 * number of long-lived connections, and such a connection never carries an
 * ordinary key exchange (its keys would not be the client's:
 * doc/protocol.md section 7.4).
 */
#include <string.h>

#include "base/crypto.h"
#include "session/session_internal.h"

/* Gives back the long-lived permit of a kept-alive connection. */
static void release(ntspool_session *s) {
  if (s->keep_alive) {
    atomic_fetch_sub(&s->ctx->keep_alive_in_use, 1);
    s->keep_alive = false;
  }
}

static bool token_accepted(const ntspool_ctx *ctx, ntspool_bytes token) {
  bool ok = false;
  /* Every configured token is compared, so timing tells nothing about
   * which one (or how much of one) matched. */
  for (size_t i = 0; i < ctx->tokens.count; i++) {
    const char *t = ctx->tokens.items[i];
    size_t len = strlen(t);
    if (len == token.len && ntspool_ct_memcmp(t, token.data, len) == 0)
      ok = true;
  }
  return ok;
}

static bool cert_accepted(const ntspool_session *s) {
  ntspool_bytes der;
  if (s->ctx->n_pool_certs == 0 || ntspool_tls_peer_cert(s->ch.tls, &der))
    return false;
  for (size_t i = 0; i < s->ctx->n_pool_certs; i++)
    if (s->ctx->pool_certs[i].len == der.len &&
        memcmp(s->ctx->pool_certs[i].data, der.data, der.len) == 0)
      return true;
  return false;
}

/* Grants Keep Alive when asked by an authenticated pool and a long-lived
 * permit is free; a connection that already holds one keeps it. */
static bool grant_keep_alive(ntspool_session *s, bool asked) {
  if (s->keep_alive)
    return true;
  if (!asked)
    return false;
  size_t used = atomic_load(&s->ctx->keep_alive_in_use);
  while (used < s->ctx->max_keep_alive)
    if (atomic_compare_exchange_weak(&s->ctx->keep_alive_in_use, &used,
                                     used + 1))
      return s->keep_alive = true;
  return false;
}

/* Asks the daemon for cookies and writes the key-exchange response. */
static int answer_keys(ntspool_session *s, uint16_t protocol, uint16_t aead,
                       const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                       bool compliant_128gcm, bool keep_alive) {
  const ntspool_ctx *ctx = s->ctx;
  int n = ctx->source_ops.make_cookies(ctx->source_ops.user_data, protocol,
                                       aead, c2s, s2c, key_len,
                                       s->part->cookies, ctx->n_cookies);
  if (n <= 0 || (size_t)n > ctx->n_cookies) {
    ntspool_log(ctx, NTSPOOL_LOG_WARNING, "source",
                "peer=%s cookie callback failed: %d", s->peer, n);
    ntspool_session_answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR);
    return 0;
  }
  ntspool_bytes views[NTSPOOL_MAX_COOKIES];
  for (int i = 0; i < n; i++)
    views[i] =
        (ntspool_bytes){s->part->cookies[i].data, s->part->cookies[i].len};
  ntspool_ke_answer a = {
      .protocol = protocol,
      .aead = aead,
      .cookies = views,
      .n_cookies = (size_t)n,
      .server = {(const uint8_t *)ctx->ntp_server,
                 ctx->ntp_server ? strlen(ctx->ntp_server) : 0},
      .has_port = ctx->ntp_port != 0,
      .port = ctx->ntp_port,
      .compliant_128gcm = compliant_128gcm,
      .keep_alive = keep_alive};
  int rc = ntspool_ke_response_build(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len,
                                     ctx->numbering, &a);
  ntspool_zeroize(s->part->cookies, sizeof s->part->cookies);
  return ntspool_session_respond(s, rc, !keep_alive);
}

/* An ordinary client: negotiate in the client's order, export its keys. */
static int serve_ke(ntspool_session *s, const ntspool_request *req) {
  const ntspool_ctx *ctx = s->ctx;
  bool has_protocol = false, has_aead = false;
  uint16_t protocol = 0, aead = 0;
  for (size_t i = 0; !has_protocol && i < req->protocols.count; i++)
    if (ntspool_u16_array_has(
            ctx->protocols, ctx->n_protocols,
            (protocol = ntspool_u16_list_get(req->protocols, i))))
      has_protocol = true;
  for (size_t i = 0; has_protocol && !has_aead && i < req->aeads.count; i++) {
    aead = ntspool_u16_list_get(req->aeads, i);
    /* AES-128-GCM-SIV only with a client that exports its keys the RFC
     * way (record 1024), doc/protocol.md section 3.6. */
    has_aead = ntspool_u16_array_has(ctx->aeads, ctx->n_aeads, aead) &&
               (aead != NTSPOOL_AEAD_AES_128_GCM_SIV || req->compliant_128gcm);
  }
  if (!has_protocol || !has_aead) {
    /* Refused as a pool refuses: the outcome says why (session.h). */
    s->outcome.status =
        has_protocol ? NTSPOOL_ERR_NO_AEAD : NTSPOOL_ERR_NO_PROTOCOL;
    return ntspool_session_respond(
        s,
        ntspool_no_overlap_response_build(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len,
                                          has_protocol, protocol),
        true);
  }
  size_t key_len = ntspool_aead_key_length(aead);
  uint8_t c2s[NTSPOOL_MAX_KEY_LEN], s2c[NTSPOOL_MAX_KEY_LEN];
  int rc =
      ntspool_tls_export_keys(s->ch.tls, protocol, aead, key_len, c2s, s2c);
  if (rc) {
    ntspool_session_answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR);
    return 0;
  }
  rc = answer_keys(s, protocol, aead, c2s, s2c, key_len,
                   aead == NTSPOOL_AEAD_AES_128_GCM_SIV, false);
  ntspool_zeroize(c2s, sizeof c2s);
  ntspool_zeroize(s2c, sizeof s2c);
  return rc;
}

static int serve_support(ntspool_session *s, const ntspool_request *req,
                         bool keep_alive) {
  const ntspool_ctx *ctx = s->ctx;
  uint16_t algs[2 * NTSPOOL_MAX_PREFS];
  for (size_t i = 0; i < ctx->n_aeads; i++) {
    algs[2 * i] = ctx->aeads[i];
    algs[2 * i + 1] = (uint16_t)ntspool_aead_key_length(ctx->aeads[i]);
  }
  /* List Server Names: every name this source may put in a Server record. */
  ntspool_bytes names[NTSPOOL_MAX_SERVER_NAMES];
  size_t n_names = 0;
  if (ctx->ntp_server)
    names[n_names++] = (ntspool_bytes){(const uint8_t *)ctx->ntp_server,
                                       strlen(ctx->ntp_server)};
  for (size_t i = 0;
       i < ctx->server_names.count && n_names < NTSPOOL_MAX_SERVER_NAMES; i++)
    names[n_names++] =
        (ntspool_bytes){(const uint8_t *)ctx->server_names.items[i],
                        strlen(ctx->server_names.items[i])};
  ntspool_support_answer a = {.want = req->want,
                              .protocols = ctx->protocols,
                              .n_protocols = ctx->n_protocols,
                              .algorithms = algs,
                              .n_algorithms = ctx->n_aeads,
                              .names = names,
                              .n_names = n_names,
                              .keep_alive = keep_alive};
  return ntspool_session_respond(
      s,
      ntspool_support_response_build(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len,
                                     ctx->numbering, &a),
      !keep_alive);
}

static int take_request(ntspool_session *s, ntspool_time_ms now) {
  (void)now;
  const ntspool_ctx *ctx = s->ctx;
  bool by_cert = cert_accepted(s);
  ntspool_request req;
  int rc = ntspool_source_request_parse(
      s->ch.rx, s->ch.msg_len, ctx->numbering,
      by_cert ? NTSPOOL_PARSE_CERT_AUTHENTICATED : 0, &req);
  if (rc) {
    ntspool_log(ctx, NTSPOOL_LOG_DEBUG, "source", "peer=%s request refused: %s",
                s->peer, ntspool_strerror(rc));
    s->outcome.status = rc;
    ntspool_session_answer_error(s, ntspool_nts_error_for(rc));
    return 0;
  }
  if (req.kind == NTSPOOL_REQUEST_KE) {
    /* A kept-alive connection belongs to a pool: an ordinary exchange on
     * it would export keys that are not a client's. */
    if (s->keep_alive) {
      ntspool_session_answer_error(s, NTSPOOL_NTS_BAD_REQUEST);
      return 0;
    }
    return serve_ke(s, &req);
  }
  bool authenticated =
      by_cert || (req.has_token && token_accepted(ctx, req.token)) ||
      s->keep_alive; /* a kept connection was authenticated when granted */
  if (!authenticated) {
    ntspool_log(ctx, NTSPOOL_LOG_INFO, "source",
                "peer=%s pool request without a valid token", s->peer);
    s->outcome.status = NTSPOOL_ERR_AUTH;
    ntspool_session_answer_error(s, NTSPOOL_NTS_BAD_REQUEST);
    return 0;
  }
  bool keep_alive = grant_keep_alive(s, req.keep_alive);
  if (req.kind == NTSPOOL_REQUEST_SUPPORT)
    return serve_support(s, &req, keep_alive);
  /* Fixed Key: the parser checked one protocol, one AEAD and the key
   * sizes; what remains is whether this source offers them. */
  uint16_t protocol = ntspool_u16_list_get(req.protocols, 0);
  uint16_t aead = ntspool_u16_list_get(req.aeads, 0);
  if (!ntspool_u16_array_has(ctx->protocols, ctx->n_protocols, protocol) ||
      !ntspool_u16_array_has(ctx->aeads, ctx->n_aeads, aead)) {
    ntspool_session_answer_error(s, NTSPOOL_NTS_BAD_REQUEST);
    return 0;
  }
  return answer_keys(s, protocol, aead, req.c2s_key.data, req.s2c_key.data,
                     req.c2s_key.len, aead == NTSPOOL_AEAD_AES_128_GCM_SIV,
                     keep_alive);
}

const struct ntspool_role_ops ntspool_source_role = {
    .part_size = sizeof(union ntspool_role_part),
    .serves = true,
    .own_numbering = true,
    .on_message = take_request,
    .release = release};
