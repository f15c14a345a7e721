/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Request validation for the two server roles: the pool facing RFC 8915
 * clients, and a time source facing the pool.  Both views share one
 * per-record handler; they differ only in what the pool records mean (and
 * whether UUID is known), which `struct request_parse` records.
 */
#include <string.h>

#include "codec/message_internal.h"

/* Which server is looking at the request. */
enum request_view {
  VIEW_POOL,  /* client-facing pool: pool records are refused */
  VIEW_SOURCE /* time source: pool records with authentication */
};

struct request_parse {
  ntspool_request *out;
  enum request_view view;
  bool cert_authenticated; /* SOURCE: pool records need no token */
  bool has_protocols;
  bool has_aeads;
  bool has_uuid;
  bool has_fixed_key;
  ntspool_bytes fixed_key;
};

/* Stores the one allowed instance of a list record. */
static int take_list(bool *seen, ntspool_u16_list *list,
                     const ntspool_record *rec) {
  if (*seen)
    return NTSPOOL_ERR_BAD_REQUEST;
  *seen = true;
  *list = ntspool_record_u16_list(rec);
  return 0;
}

static int take_deny(struct request_parse *p, const ntspool_record *rec) {
  ntspool_request *out = p->out;
  /* A monitor names its source; a deny list makes no sense with it. */
  if (p->has_uuid)
    return NTSPOOL_ERR_BAD_REQUEST;
  if (out->n_denied < NTSPOOL_MAX_DENIED)
    out->denied[out->n_denied] = rec->body;
  out->n_denied++;
  return 0;
}

static int take_token(struct request_parse *p, const ntspool_record *rec) {
  if (p->out->has_token)
    return NTSPOOL_ERR_BAD_REQUEST;
  p->out->has_token = true;
  p->out->token = rec->body;
  return 0;
}

/* nts-pool accepts a UUID only after the token that authorises it (the
 * order matters, as in pool-nts) and never together with Server Deny. */
static int take_uuid(struct request_parse *p, const ntspool_record *rec) {
  if (!p->out->has_token || p->has_uuid || p->out->n_denied)
    return NTSPOOL_ERR_BAD_REQUEST;
  p->has_uuid = true;
  p->out->uuid = rec->body;
  return 0;
}

/* Records 9-12 as a time source sees them.  A token only authorises what
 * follows it (chrony's rule, the stricter one). */
static int take_pool_record(struct request_parse *p,
                            const ntspool_record *rec) {
  static const unsigned want_bit[] = {
      [NTSPOOL_REC_SUPPORTED_PROTOCOLS] = NTSPOOL_WANT_PROTOCOLS,
      [NTSPOOL_REC_SUPPORTED_ALGORITHMS] = NTSPOOL_WANT_ALGORITHMS,
      [NTSPOOL_REC_LIST_SERVER_NAMES] = NTSPOOL_WANT_SERVER_NAMES,
  };
  if (!p->out->has_token && !p->cert_authenticated)
    return NTSPOOL_ERR_BAD_REQUEST;
  if (rec->type == NTSPOOL_REC_FIXED_KEY) {
    if (p->has_fixed_key)
      return NTSPOOL_ERR_BAD_REQUEST;
    p->has_fixed_key = true;
    p->fixed_key = rec->body;
    return 0;
  }
  unsigned bit = want_bit[rec->type];
  if (p->out->want & bit)
    return NTSPOOL_ERR_BAD_REQUEST;
  p->out->want |= bit; /* the request form's body is ignored */
  return 0;
}

static int on_request_record(const ntspool_record *rec, void *ctx) {
  struct request_parse *p = ctx;
  ntspool_request *out = p->out;
  switch (rec->type) {
  case NTSPOOL_REC_NEXT_PROTOCOL:
    return take_list(&p->has_protocols, &out->protocols, rec);
  case NTSPOOL_REC_AEAD:
    return take_list(&p->has_aeads, &out->aeads, rec);
  case NTSPOOL_REC_ERROR:
  case NTSPOOL_REC_WARNING:
  case NTSPOOL_REC_NEW_COOKIE:
    return NTSPOOL_ERR_BAD_REQUEST; /* server-only records */
  case NTSPOOL_REC_SERVER:
  case NTSPOOL_REC_PORT:
    return 0; /* a client's preference; nobody honours it */
  case NTSPOOL_REC_KEEP_ALIVE:
    /* The pool ignores Keep Alive from end clients (it only keeps
     * upstream connections); a time source reports it. */
    if (p->view == VIEW_SOURCE)
      out->keep_alive = true;
    return 0;
  case NTSPOOL_REC_SUPPORTED_PROTOCOLS:
  case NTSPOOL_REC_SUPPORTED_ALGORITHMS:
  case NTSPOOL_REC_LIST_SERVER_NAMES:
  case NTSPOOL_REC_FIXED_KEY:
    /* Toward the pool these are refused whatever the C bit says. */
    if (p->view == VIEW_POOL)
      return NTSPOOL_ERR_BAD_REQUEST;
    return take_pool_record(p, rec);
  case NTSPOOL_REC_SERVER_DENY:
    return take_deny(p, rec);
  case NTSPOOL_REC_AUTHENTICATION:
    return take_token(p, rec);
  case NTSPOOL_REC_COMPLIANT_128GCM:
    out->compliant_128gcm = true;
    return 0;
  case NTSPOOL_REC_UUID:
    if (p->view == VIEW_POOL)
      return take_uuid(p, rec);
    return ntspool_unhandled_record(rec); /* pool-internal */
  default:
    return ntspool_unhandled_record(rec);
  }
}

/* The checks that need the whole message, in the time source's view. */
static int classify_source_request(struct request_parse *p) {
  ntspool_request *out = p->out;
  if (out->want) {
    /* ntpd-rs and chrony turn the draft's SHOULD NOT into a refusal. */
    if (p->has_protocols || p->has_aeads || p->has_fixed_key)
      return NTSPOOL_ERR_BAD_REQUEST;
    out->kind = NTSPOOL_REQUEST_SUPPORT;
    return 0;
  }
  if (!p->has_protocols || !p->has_aeads)
    return NTSPOOL_ERR_BAD_REQUEST;
  if (!p->has_fixed_key)
    return 0;
  if (out->protocols.count != 1 || out->aeads.count != 1)
    return NTSPOOL_ERR_BAD_REQUEST;
  size_t key_len = ntspool_aead_key_length(ntspool_u16_list_get(out->aeads, 0));
  if (key_len == 0 || p->fixed_key.len != 2 * key_len)
    return NTSPOOL_ERR_BAD_REQUEST;
  out->c2s_key.data = p->fixed_key.data;
  out->c2s_key.len = key_len;
  out->s2c_key.data = p->fixed_key.data + key_len;
  out->s2c_key.len = key_len;
  out->kind = NTSPOOL_REQUEST_FIXED_KEY;
  return 0;
}

static int parse_request(const uint8_t *msg, size_t len,
                         enum ntspool_numbering n, struct request_parse *p) {
  if (!p->out)
    return NTSPOOL_ERR_INVALID_ARG;
  memset(p->out, 0, sizeof(*p->out));
  p->out->kind = NTSPOOL_REQUEST_KE;
  return ntspool_message_walk(msg, len, n, NTSPOOL_ERR_BAD_REQUEST,
                              on_request_record, p);
}

int ntspool_client_request_parse(const uint8_t *msg, size_t len,
                                 ntspool_request *out) {
  struct request_parse p = {.out = out, .view = VIEW_POOL};
  int st = parse_request(msg, len, NTSPOOL_NUMBERING_IANA, &p);
  if (st)
    return st;
  if (!p.has_protocols || !p.has_aeads)
    return NTSPOOL_ERR_BAD_REQUEST;
  if (p.has_uuid)
    out->kind = NTSPOOL_REQUEST_UUID;
  return 0;
}

int ntspool_source_request_parse(const uint8_t *msg, size_t len,
                                 enum ntspool_numbering n, unsigned flags,
                                 ntspool_request *out) {
  struct request_parse p = {
      .out = out,
      .view = VIEW_SOURCE,
      .cert_authenticated = (flags & NTSPOOL_PARSE_CERT_AUTHENTICATED) != 0,
  };
  int st = parse_request(msg, len, n, &p);
  if (st)
    return st;
  return classify_source_request(&p);
}
