/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool-aware client role: an ordinary NTS-KE client that adds one NTP
 * Server Deny record per server it already uses, so a pool hands it a
 * different source.  Stricter than RFC 8915 asks in one way: the protocol
 * and AEAD the server chose must be ones this client offered.
 */
#include <stdio.h>
#include <string.h>

#include "base/crypto.h"
#include "session/session_internal.h"

/* Builds the request into ch.tx (state SEND_REQUEST): the client speaks
 * first. */
static int build_request(ntspool_session *s) {
  const ntspool_ctx *ctx = s->ctx;
  ntspool_bytes denied[NTSPOOL_MAX_DENIED];
  for (size_t i = 0; i < s->n_denied; i++)
    denied[i] =
        (ntspool_bytes){(const uint8_t *)s->denied[i], strlen(s->denied[i])};
  /* Record 1024 tells a chrony server we export AES-128-GCM-SIV keys with
   * the RFC context, so offering 30 is safe. */
  bool gcm = ntspool_u16_array_has(ctx->aeads, ctx->n_aeads,
                                   NTSPOOL_AEAD_AES_128_GCM_SIV);
  const char *uuid = s->part->client.uuid;
  int rc;
  if (*uuid) {
    const char *key = ctx->monitoring_keys.items[0];
    rc = ntspool_uuid_request_build(
        s->ch.tx, s->ch.tx_cap, &s->ch.tx_len,
        (ntspool_bytes){(const uint8_t *)key, strlen(key)},
        (ntspool_bytes){(const uint8_t *)uuid, strlen(uuid)}, ctx->protocols,
        ctx->n_protocols, ctx->aeads, ctx->n_aeads);
    if (rc)
      return ntspool_session_finish(s, rc);
    s->ch.tx_sent = 0;
    return 0;
  }
  rc = ntspool_ke_request_build(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len,
                                NTSPOOL_NUMBERING_IANA, ctx->protocols,
                                ctx->n_protocols, ctx->aeads, ctx->n_aeads,
                                denied, s->n_denied, gcm);
  if (rc)
    return ntspool_session_finish(s, rc);
  s->ch.tx_sent = 0;
  return 0;
}

static int check_response(ntspool_session *s, const ntspool_response *r) {
  const ntspool_ctx *ctx = s->ctx;
  if (!ntspool_u16_array_has(ctx->protocols, ctx->n_protocols, r->protocol) ||
      !ntspool_u16_array_has(ctx->aeads, ctx->n_aeads, r->aead)) {
    ntspool_log(ctx, NTSPOOL_LOG_WARNING, "client",
                "server=%s chose protocol %u / AEAD %u, not offered",
                s->part->client.host, r->protocol, r->aead);
    return NTSPOOL_ERR_BAD_RESPONSE;
  }
  if (r->n_cookies == 0) {
    ntspool_log(ctx, NTSPOOL_LOG_WARNING, "client", "server=%s sent no cookie",
                s->part->client.host);
    return NTSPOOL_ERR_BAD_RESPONSE;
  }
  for (size_t i = 0; i < r->n_cookies; i++)
    if (r->cookies[i].len == 0 || r->cookies[i].len > NTSPOOL_MAX_COOKIE_LEN) {
      ntspool_log(ctx, NTSPOOL_LOG_WARNING, "client",
                  "server=%s sent a cookie of %zu bytes", s->part->client.host,
                  r->cookies[i].len);
      return NTSPOOL_ERR_BAD_RESPONSE;
    }
  if (r->server.len >= sizeof s->part->client.result.server)
    return NTSPOOL_ERR_BAD_RESPONSE;
  return 0;
}

static int take_result(ntspool_session *s, const ntspool_response *r) {
  ntspool_ke_result *res = &s->part->client.result;
  res->protocol = r->protocol;
  res->aead = r->aead;
  res->key_len = ntspool_aead_key_length(r->aead);
  /* chrony servers that did not echo record 1024 derive AES-128-GCM-SIV
   * keys with AEAD 15 in the exporter context (doc/protocol.md 3.6). */
  uint16_t context_aead =
      r->aead == NTSPOOL_AEAD_AES_128_GCM_SIV && !r->compliant_128gcm
          ? NTSPOOL_AEAD_AES_SIV_CMAC_256
          : r->aead;
  int rc = ntspool_tls_export_keys(s->ch.tls, r->protocol, context_aead,
                                   res->key_len, res->c2s, res->s2c);
  if (rc)
    return rc;
  res->n_cookies = r->n_cookies;
  for (size_t i = 0; i < r->n_cookies; i++) {
    res->cookies[i].len = r->cookies[i].len;
    memcpy(res->cookies[i].data, r->cookies[i].data, r->cookies[i].len);
  }
  if (r->server.len) {
    memcpy(res->server, r->server.data, r->server.len);
    res->server[r->server.len] = '\0';
  } else {
    snprintf(res->server, sizeof res->server, "%s", s->part->client.host);
  }
  res->port = r->has_port ? r->port : 123;
  s->part->client.has_result = true;
  return 0;
}

static int check_answer(ntspool_session *s, ntspool_time_ms now) {
  (void)now;
  ntspool_response r;
  int rc = ntspool_ke_response_parse(s->ch.rx, s->ch.msg_len,
                                     NTSPOOL_NUMBERING_IANA, &r);
  if (rc == NTSPOOL_ERR_PEER_ERROR || rc == NTSPOOL_ERR_PEER_WARNING) {
    s->outcome.nts_error = r.error_code;
    ntspool_log(s->ctx, NTSPOOL_LOG_INFO, "client",
                "server=%s answered with %s %u", s->part->client.host,
                rc == NTSPOOL_ERR_PEER_ERROR ? "error" : "warning",
                r.error_code);
  }
  if (rc == 0)
    rc = check_response(s, &r);
  if (rc == 0)
    rc = take_result(s, &r);
  if (rc) {
    ntspool_zeroize(&s->part->client.result, sizeof s->part->client.result);
    return ntspool_session_finish(s, rc);
  }
  s->outcome.status = 0;
  s->state = NTSPOOL_ST_CLOSE;
  return 0;
}

static int copy_result(const ntspool_session *s, ntspool_ke_result *out) {
  if (!s->part->client.has_result)
    return NTSPOOL_ERR_STATE;
  *out = s->part->client.result;
  return 0;
}

static void release(ntspool_session *s) {
  for (size_t i = 0; i < s->n_denied; i++)
    ntspool_ctx_free_mem(s->ctx, s->denied[i]);
  ntspool_ctx_free_mem(s->ctx, s->denied);
  s->denied = NULL;
  s->n_denied = 0;
}

const struct ntspool_role_ops ntspool_client_role = {
    .part_size = sizeof(union ntspool_role_part),
    .serves = false,
    .start = build_request,
    .on_message = check_answer,
    .result = copy_result,
    .release = release};

int ntspool_session_new_probe(ntspool_ctx *ctx, const ntspool_io *io,
                              const char *host, const char *uuid,
                              ntspool_time_ms now, ntspool_session **out) {
  size_t n = uuid ? strlen(uuid) : 0;
  if (!ntspool_printable((ntspool_bytes){(const uint8_t *)uuid, n}, 255, true))
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx && ctx->role_ops == &ntspool_client_role &&
      ctx->monitoring_keys.count == 0)
    return NTSPOOL_ERR_STATE;
  int rc = ntspool_session_new_client(ctx, io, host, NULL, 0, now, out);
  if (rc == 0)
    memcpy((*out)->part->client.uuid, uuid, n + 1);
  return rc;
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
  if (ctx && ctx->role_ops != &ntspool_client_role)
    return NTSPOOL_ERR_STATE;
  ntspool_session *s;
  int rc = ntspool_session_alloc(ctx, io, ctx ? ctx->client_tls : NULL, host,
                                 now, &s);
  if (rc)
    return rc;
  snprintf(s->part->client.host, sizeof s->part->client.host, "%s", host);
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
  /* A client's whole exchange runs under one deadline. */
  ntspool_session_set_deadline(s, NTSPOOL_WAIT_EXCHANGE, now);
  *out = s;
  return 0;
}
