/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Response validation on the client side: a key-exchange answer (seen by an
 * NTS client, or by the pool reading a time source's Fixed Key answer) and a
 * time source's answer to a support query.
 */
#include <string.h>

#include "codec/message_internal.h"

struct ke_parse {
  ntspool_response *out;
  bool has_server;
};

/* Error and Warning end the exchange; the code goes to the caller. */
static int peer_failure(const ntspool_record *rec, uint16_t *code) {
  *code = ntspool_u16_list_get(ntspool_record_u16_list(rec), 0);
  return rec->type == NTSPOOL_REC_ERROR ? NTSPOOL_ERR_PEER_ERROR
                                        : NTSPOOL_ERR_PEER_WARNING;
}

/* A server's Next Protocol / AEAD record: exactly one of each, with one
 * chosen ID; an empty list is the server saying "nothing in common". */
static int take_choice(const ntspool_record *rec, bool *has, uint16_t *value,
                       int none) {
  if (*has)
    return NTSPOOL_ERR_BAD_RESPONSE;
  size_t count = ntspool_record_count(rec);
  if (count == 0)
    return none;
  if (count > 1)
    return NTSPOOL_ERR_BAD_RESPONSE;
  *has = true;
  *value = ntspool_u16_list_get(ntspool_record_u16_list(rec), 0);
  return 0;
}

static int take_cookie(ntspool_response *out, const ntspool_record *rec) {
  if (out->n_cookies < NTSPOOL_MAX_COOKIES)
    out->cookies[out->n_cookies++] = rec->body;
  out->n_cookies_seen++;
  return 0;
}

static int take_server(struct ke_parse *p, const ntspool_record *rec) {
  if (p->has_server || rec->body.len == 0)
    return NTSPOOL_ERR_BAD_RESPONSE;
  p->has_server = true;
  p->out->server = rec->body;
  return 0;
}

static int take_port(ntspool_response *out, const ntspool_record *rec) {
  if (out->has_port)
    return NTSPOOL_ERR_BAD_RESPONSE;
  out->has_port = true;
  out->port = ntspool_u16_list_get(ntspool_record_u16_list(rec), 0);
  return 0;
}

static int on_ke_record(const ntspool_record *rec, void *ctx) {
  struct ke_parse *p = ctx;
  ntspool_response *out = p->out;
  switch (rec->type) {
  case NTSPOOL_REC_NEXT_PROTOCOL:
    return take_choice(rec, &out->has_protocol, &out->protocol,
                       NTSPOOL_ERR_NO_PROTOCOL);
  case NTSPOOL_REC_AEAD:
    return take_choice(rec, &out->has_aead, &out->aead, NTSPOOL_ERR_NO_AEAD);
  case NTSPOOL_REC_ERROR:
  case NTSPOOL_REC_WARNING:
    return peer_failure(rec, &out->error_code);
  case NTSPOOL_REC_NEW_COOKIE:
    return take_cookie(out, rec);
  case NTSPOOL_REC_SERVER:
    return take_server(p, rec);
  case NTSPOOL_REC_PORT:
    return take_port(out, rec);
  case NTSPOOL_REC_KEEP_ALIVE:
    out->keep_alive = true;
    return 0;
  case NTSPOOL_REC_COMPLIANT_128GCM:
    out->compliant_128gcm = true;
    return 0;
  case NTSPOOL_REC_AUTHENTICATION:
    return 0; /* ntpd-rs ignores it in responses */
  case NTSPOOL_REC_SUPPORTED_PROTOCOLS:
  case NTSPOOL_REC_SUPPORTED_ALGORITHMS:
  case NTSPOOL_REC_LIST_SERVER_NAMES:
  case NTSPOOL_REC_FIXED_KEY:
  case NTSPOOL_REC_SERVER_DENY:
  case NTSPOOL_REC_UUID:
    return NTSPOOL_ERR_BAD_RESPONSE; /* requests only */
  default:
    return ntspool_unhandled_record(rec);
  }
}

int ntspool_ke_response_parse(const uint8_t *msg, size_t len,
                              enum ntspool_numbering n, ntspool_response *out) {
  if (!out)
    return NTSPOOL_ERR_INVALID_ARG;
  memset(out, 0, sizeof(*out));
  struct ke_parse p = {.out = out};
  int st = ntspool_message_walk(msg, len, n, NTSPOOL_ERR_BAD_RESPONSE,
                                on_ke_record, &p);
  if (st)
    return st;
  /* Reaching here means both lists were non-empty wherever present. */
  if (!out->has_protocol || !out->has_aead)
    return NTSPOOL_ERR_BAD_RESPONSE;
  return 0;
}

struct support_parse {
  ntspool_support *out;
  unsigned want;
};

static int take_capabilities(bool *has, ntspool_u16_list *list,
                             const ntspool_record *rec) {
  if (*has)
    return NTSPOOL_ERR_BAD_RESPONSE;
  *has = true;
  *list = ntspool_record_u16_list(rec);
  return 0;
}

/* Server records answer List Server Names; otherwise they are the ordinary
 * (ignored) NTPv4 Server record. */
static int take_name(struct support_parse *p, const ntspool_record *rec) {
  ntspool_support *out = p->out;
  if (!(p->want & NTSPOOL_WANT_SERVER_NAMES))
    return 0;
  if (rec->body.len == 0)
    return NTSPOOL_ERR_BAD_RESPONSE;
  if (out->n_names < NTSPOOL_MAX_SERVER_NAMES)
    out->names[out->n_names++] = rec->body;
  out->n_names_seen++;
  return 0;
}

static int on_support_record(const ntspool_record *rec, void *ctx) {
  struct support_parse *p = ctx;
  ntspool_support *out = p->out;
  switch (rec->type) {
  case NTSPOOL_REC_SUPPORTED_PROTOCOLS:
    return take_capabilities(&out->has_protocols, &out->protocols, rec);
  case NTSPOOL_REC_SUPPORTED_ALGORITHMS:
    return take_capabilities(&out->has_algorithms, &out->algorithms, rec);
  case NTSPOOL_REC_ERROR:
  case NTSPOOL_REC_WARNING:
    return peer_failure(rec, &out->error_code);
  case NTSPOOL_REC_SERVER:
    return take_name(p, rec);
  case NTSPOOL_REC_KEEP_ALIVE:
    out->keep_alive = true;
    return 0;
  case NTSPOOL_REC_PORT:
  case NTSPOOL_REC_AUTHENTICATION:
  case NTSPOOL_REC_COMPLIANT_128GCM:
    return 0;
  case NTSPOOL_REC_NEXT_PROTOCOL:
  case NTSPOOL_REC_AEAD:
  case NTSPOOL_REC_NEW_COOKIE:
  case NTSPOOL_REC_LIST_SERVER_NAMES:
  case NTSPOOL_REC_FIXED_KEY:
  case NTSPOOL_REC_SERVER_DENY:
  case NTSPOOL_REC_UUID:
    /* No negotiation happens for a support query (pool-nts rule). */
    return NTSPOOL_ERR_BAD_RESPONSE;
  default:
    return ntspool_unhandled_record(rec);
  }
}

int ntspool_support_response_parse(const uint8_t *msg, size_t len,
                                   enum ntspool_numbering n, unsigned want,
                                   ntspool_support *out) {
  if (!out)
    return NTSPOOL_ERR_INVALID_ARG;
  memset(out, 0, sizeof(*out));
  struct support_parse p = {.out = out, .want = want};
  int st = ntspool_message_walk(msg, len, n, NTSPOOL_ERR_BAD_RESPONSE,
                                on_support_record, &p);
  if (st)
    return st;
  if ((want & NTSPOOL_WANT_PROTOCOLS) && !out->has_protocols)
    return NTSPOOL_ERR_BAD_RESPONSE;
  if ((want & NTSPOOL_WANT_ALGORITHMS) && !out->has_algorithms)
    return NTSPOOL_ERR_BAD_RESPONSE;
  return 0;
}
