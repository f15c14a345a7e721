/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool-aware client role: an ordinary NTS-KE client that adds one NTP
 * Server Deny record per server it already uses, so a pool hands it a
 * different source.  Stricter than RFC 8915 asks in one way: the protocol
 * and AEAD the server chose must be ones this client offered.
 */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "session_internal.h"

static bool offered(const uint16_t *list, size_t n, uint16_t id) {
  for (size_t i = 0; i < n; i++)
    if (list[i] == id)
      return true;
  return false;
}

/* Builds the request into ch.tx (state SEND_REQUEST). */
static int build_request(ntspool_session *s) {
  const ntspool_ctx *ctx = s->ctx;
  ntspool_bytes denied[NTSPOOL_MAX_DENIED];
  for (size_t i = 0; i < s->n_denied; i++)
    denied[i] =
        (ntspool_bytes){(const uint8_t *)s->denied[i], strlen(s->denied[i])};
  /* Record 1024 tells a chrony server we export AES-128-GCM-SIV keys with
   * the RFC context, so offering 30 is safe. */
  bool gcm = offered(ctx->aeads, ctx->n_aeads, NTSPOOL_AEAD_AES_128_GCM_SIV);
  int rc = ntspool_build_ke_request(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len,
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
  if (!offered(ctx->protocols, ctx->n_protocols, r->protocol) ||
      !offered(ctx->aeads, ctx->n_aeads, r->aead)) {
    ntspool_log(ctx, NTSPOOL_LOG_WARNING, "client",
                "server=%s chose protocol %u / AEAD %u, not offered",
                s->role->client.host, r->protocol, r->aead);
    return NTSPOOL_ERR_BAD_RESPONSE;
  }
  if (r->n_cookies == 0) {
    ntspool_log(ctx, NTSPOOL_LOG_WARNING, "client", "server=%s sent no cookie",
                s->role->client.host);
    return NTSPOOL_ERR_BAD_RESPONSE;
  }
  for (size_t i = 0; i < r->n_cookies; i++)
    if (r->cookies[i].len == 0 || r->cookies[i].len > NTSPOOL_MAX_COOKIE_LEN) {
      ntspool_log(ctx, NTSPOOL_LOG_WARNING, "client",
                  "server=%s sent a cookie of %zu bytes", s->role->client.host,
                  r->cookies[i].len);
      return NTSPOOL_ERR_BAD_RESPONSE;
    }
  if (r->server.len >= sizeof s->role->client.result.server)
    return NTSPOOL_ERR_BAD_RESPONSE;
  return 0;
}

static int take_result(ntspool_session *s, const ntspool_response *r) {
  ntspool_ke_result *res = &s->role->client.result;
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
    snprintf(res->server, sizeof res->server, "%s", s->role->client.host);
  }
  res->port = r->has_port ? r->port : 123;
  s->role->client.has_result = true;
  return 0;
}

int ntspool_client_process(ntspool_session *s, ntspool_time_ms now) {
  (void)now;
  if (s->state == NTSPOOL_ST_SEND_REQUEST)
    return build_request(s);
  ntspool_response r;
  int rc = ntspool_parse_ke_response(s->ch.rx, s->ch.msg_len,
                                     NTSPOOL_NUMBERING_IANA, &r);
  if (rc == NTSPOOL_ERR_PEER_ERROR || rc == NTSPOOL_ERR_PEER_WARNING) {
    s->outcome.nts_error = r.error_code;
    ntspool_log(s->ctx, NTSPOOL_LOG_INFO, "client",
                "server=%s answered with %s %u", s->role->client.host,
                rc == NTSPOOL_ERR_PEER_ERROR ? "error" : "warning",
                r.error_code);
  }
  if (rc == 0)
    rc = check_response(s, &r);
  if (rc == 0)
    rc = take_result(s, &r);
  if (rc) {
    ntspool_zeroize(&s->role->client.result, sizeof s->role->client.result);
    return ntspool_session_finish(s, rc);
  }
  s->outcome.status = 0;
  s->state = NTSPOOL_ST_CLOSE;
  return 0;
}
