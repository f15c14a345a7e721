/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Message builders.  Each writes a whole message with the sticky-error
 * writer and checks once at the end.  Critical bits follow RFC 8915 and the
 * pool draft: negotiation, Error, Warning, Server, Port, the pool request
 * records and End of Message are critical; New Cookie, Keep Alive, Server
 * Deny, Authentication and record 1024 are not (old peers must be able to
 * skip them).
 */
#include "codec/message_internal.h"

/* Shared argument check: a NULL output pointer, or a NULL buffer that
 * claims room. */
static int start(ntspool_writer *w, uint8_t *buf, size_t cap, size_t *len,
                 enum ntspool_numbering n) {
  if (!len || (!buf && cap))
    return NTSPOOL_ERR_INVALID_ARG;
  *len = 0;
  if (n != NTSPOOL_NUMBERING_IANA && n != NTSPOOL_NUMBERING_DRAFT)
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_writer_init(w, buf, cap, n);
  return 0;
}

static int finish(ntspool_writer *w, size_t *len) {
  int st = ntspool_writer_put_end(w);
  if (st)
    return st;
  *len = ntspool_writer_len(w);
  return 0;
}

static void put_u16(ntspool_writer *w, uint16_t type, uint16_t value) {
  ntspool_writer_put_u16s(w, type, true, &value, 1);
}

static void put_empty(ntspool_writer *w, uint16_t type, bool critical) {
  ntspool_writer_put_record(w, type, critical, NULL, 0);
}

static void put_token(ntspool_writer *w, ntspool_bytes token) {
  /* Zero length: authenticated some other way (a TLS client certificate). */
  if (token.len)
    ntspool_writer_put_record(w, NTSPOOL_REC_AUTHENTICATION, false, token.data,
                              token.len);
}

/* One record per name; a NULL array with a count is the caller's bug. */
static int put_names(ntspool_writer *w, uint16_t type, bool critical,
                     const ntspool_bytes *names, size_t count) {
  if (!names && count)
    return NTSPOOL_ERR_INVALID_ARG;
  for (size_t i = 0; i < count; i++)
    ntspool_writer_put_record(w, type, critical, names[i].data, names[i].len);
  return 0;
}

int ntspool_ke_request_build(uint8_t *buf, size_t cap, size_t *len,
                             enum ntspool_numbering n,
                             const uint16_t *protocols, size_t n_protocols,
                             const uint16_t *aeads, size_t n_aeads,
                             const ntspool_bytes *denied, size_t n_denied,
                             bool compliant_128gcm) {
  ntspool_writer w;
  int st = start(&w, buf, cap, len, n);
  if (st)
    return st;
  ntspool_writer_put_u16s(&w, NTSPOOL_REC_NEXT_PROTOCOL, true, protocols,
                          n_protocols);
  ntspool_writer_put_u16s(&w, NTSPOOL_REC_AEAD, true, aeads, n_aeads);
  if (compliant_128gcm)
    put_empty(&w, NTSPOOL_REC_COMPLIANT_128GCM, false);
  st = put_names(&w, NTSPOOL_REC_SERVER_DENY, false, denied, n_denied);
  if (st)
    return st;
  return finish(&w, len);
}

int ntspool_uuid_request_build(uint8_t *buf, size_t cap, size_t *len,
                               ntspool_bytes key, ntspool_bytes uuid,
                               const uint16_t *protocols, size_t n_protocols,
                               const uint16_t *aeads, size_t n_aeads) {
  ntspool_writer w;
  int st = start(&w, buf, cap, len, NTSPOOL_NUMBERING_IANA);
  if (st)
    return st;
  /* The pool takes a UUID only after the key that authorises it. */
  if (!key.len || !uuid.len || !key.data || !uuid.data)
    return NTSPOOL_ERR_INVALID_ARG;
  put_token(&w, key);
  ntspool_writer_put_record(&w, NTSPOOL_REC_UUID, true, uuid.data, uuid.len);
  ntspool_writer_put_u16s(&w, NTSPOOL_REC_NEXT_PROTOCOL, true, protocols,
                          n_protocols);
  ntspool_writer_put_u16s(&w, NTSPOOL_REC_AEAD, true, aeads, n_aeads);
  return finish(&w, len);
}

int ntspool_support_request_build(uint8_t *buf, size_t cap, size_t *len,
                                  enum ntspool_numbering n, ntspool_bytes token,
                                  unsigned want, bool keep_alive) {
  ntspool_writer w;
  int st = start(&w, buf, cap, len, n);
  if (st)
    return st;
  /* The token goes first: chrony only trusts records after it. */
  put_token(&w, token);
  /* Algorithms before protocols, as nts-pool-ke sends them. */
  if (want & NTSPOOL_WANT_ALGORITHMS)
    put_empty(&w, NTSPOOL_REC_SUPPORTED_ALGORITHMS, true);
  if (want & NTSPOOL_WANT_PROTOCOLS)
    put_empty(&w, NTSPOOL_REC_SUPPORTED_PROTOCOLS, true);
  if (want & NTSPOOL_WANT_SERVER_NAMES)
    put_empty(&w, NTSPOOL_REC_LIST_SERVER_NAMES, true);
  if (keep_alive)
    put_empty(&w, NTSPOOL_REC_KEEP_ALIVE, false);
  return finish(&w, len);
}

int ntspool_fixed_key_request_build(uint8_t *buf, size_t cap, size_t *len,
                                    enum ntspool_numbering n,
                                    ntspool_bytes token, uint16_t protocol,
                                    uint16_t aead, const uint8_t *c2s,
                                    const uint8_t *s2c, size_t key_len,
                                    bool keep_alive) {
  ntspool_writer w;
  int st = start(&w, buf, cap, len, n);
  if (st)
    return st;
  put_token(&w, token);
  ntspool_writer_put_record2(&w, NTSPOOL_REC_FIXED_KEY, true, c2s, key_len, s2c,
                             key_len);
  put_u16(&w, NTSPOOL_REC_NEXT_PROTOCOL, protocol);
  put_u16(&w, NTSPOOL_REC_AEAD, aead);
  if (keep_alive)
    put_empty(&w, NTSPOOL_REC_KEEP_ALIVE, false);
  return finish(&w, len);
}

int ntspool_ke_response_build(uint8_t *buf, size_t cap, size_t *len,
                              enum ntspool_numbering n,
                              const ntspool_ke_answer *answer) {
  ntspool_writer w;
  int st = start(&w, buf, cap, len, n);
  if (st)
    return st;
  if (!answer)
    return NTSPOOL_ERR_INVALID_ARG;
  put_u16(&w, NTSPOOL_REC_NEXT_PROTOCOL, answer->protocol);
  put_u16(&w, NTSPOOL_REC_AEAD, answer->aead);
  st = put_names(&w, NTSPOOL_REC_NEW_COOKIE, false, answer->cookies,
                 answer->n_cookies);
  if (st)
    return st;
  if (answer->server.len)
    ntspool_writer_put_record(&w, NTSPOOL_REC_SERVER, true, answer->server.data,
                              answer->server.len);
  if (answer->has_port)
    put_u16(&w, NTSPOOL_REC_PORT, answer->port);
  if (answer->compliant_128gcm)
    put_empty(&w, NTSPOOL_REC_COMPLIANT_128GCM, false);
  if (answer->keep_alive)
    put_empty(&w, NTSPOOL_REC_KEEP_ALIVE, false);
  return finish(&w, len);
}

int ntspool_no_overlap_response_build(uint8_t *buf, size_t cap, size_t *len,
                                      bool has_protocol, uint16_t protocol) {
  ntspool_writer w;
  /* Only RFC 8915 records: the numbering does not matter. */
  int st = start(&w, buf, cap, len, NTSPOOL_NUMBERING_IANA);
  if (st)
    return st;
  if (has_protocol) {
    put_u16(&w, NTSPOOL_REC_NEXT_PROTOCOL, protocol);
    put_empty(&w, NTSPOOL_REC_AEAD, true);
  } else {
    put_empty(&w, NTSPOOL_REC_NEXT_PROTOCOL, true);
  }
  return finish(&w, len);
}

int ntspool_error_response_build(uint8_t *buf, size_t cap, size_t *len,
                                 uint16_t code) {
  ntspool_writer w;
  int st = start(&w, buf, cap, len, NTSPOOL_NUMBERING_IANA);
  if (st)
    return st;
  put_u16(&w, NTSPOOL_REC_ERROR, code);
  return finish(&w, len);
}

int ntspool_support_response_build(uint8_t *buf, size_t cap, size_t *len,
                                   enum ntspool_numbering n,
                                   const ntspool_support_answer *answer) {
  ntspool_writer w;
  int st = start(&w, buf, cap, len, n);
  if (st)
    return st;
  if (!answer)
    return NTSPOOL_ERR_INVALID_ARG;
  /* Guard the pair count before doubling it. */
  if (answer->n_algorithms > 0xFFFF / 4)
    return NTSPOOL_ERR_INVALID_ARG;
  /* ntpd-rs order: algorithms, protocols, Keep Alive. */
  if (answer->want & NTSPOOL_WANT_ALGORITHMS)
    ntspool_writer_put_u16s(&w, NTSPOOL_REC_SUPPORTED_ALGORITHMS, true,
                            answer->algorithms, 2 * answer->n_algorithms);
  if (answer->want & NTSPOOL_WANT_PROTOCOLS)
    ntspool_writer_put_u16s(&w, NTSPOOL_REC_SUPPORTED_PROTOCOLS, true,
                            answer->protocols, answer->n_protocols);
  if (answer->want & NTSPOOL_WANT_SERVER_NAMES) {
    st =
        put_names(&w, NTSPOOL_REC_SERVER, true, answer->names, answer->n_names);
    if (st)
      return st;
  }
  if (answer->keep_alive)
    put_empty(&w, NTSPOOL_REC_KEEP_ALIVE, false);
  return finish(&w, len);
}
