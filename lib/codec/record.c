/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Single-record decoding and message framing.  Everything here works on the
 * caller's bytes in place; a decoded record is a view, never a copy.
 */
#include "ntspool.h"

/* The pool records in the older experimental numbering, indexed by their
 * logical (IANA) number minus 8. */
static const uint16_t draft_numbers[] = {
    0x4000, /*  8 Keep Alive */
    0x4004, /*  9 Supported Next Protocol List */
    0x4001, /* 10 Supported Algorithm List */
    0x4006, /* 11 List Server Names */
    0x4002, /* 12 Fixed Key Request */
    0x4003, /* 13 NTP Server Deny */
    0x4005, /* 14 Authentication */
};

#define POOL_FIRST NTSPOOL_REC_KEEP_ALIVE
#define POOL_LAST NTSPOOL_REC_AUTHENTICATION

uint16_t ntspool_record_type_from_wire(uint16_t wire,
                                       enum ntspool_numbering n) {
  wire &= 0x7FFF;
  if (wire <= NTSPOOL_REC_PORT || wire == NTSPOOL_REC_COMPLIANT_128GCM ||
      wire == NTSPOOL_REC_UUID)
    return wire;
  if (n != NTSPOOL_NUMBERING_DRAFT)
    return wire <= POOL_LAST ? wire : NTSPOOL_REC_UNKNOWN;
  for (uint16_t t = POOL_FIRST; t <= POOL_LAST; t++)
    if (draft_numbers[t - POOL_FIRST] == wire)
      return t;
  return NTSPOOL_REC_UNKNOWN;
}

uint16_t ntspool_record_type_to_wire(uint16_t type, enum ntspool_numbering n) {
  if (n == NTSPOOL_NUMBERING_DRAFT && type >= POOL_FIRST && type <= POOL_LAST)
    return draft_numbers[type - POOL_FIRST];
  return type & 0x7FFF;
}

const char *ntspool_record_name(uint16_t type) {
  static const char *const names[] = {
      "End of Message",
      "Next Protocol",
      "Error",
      "Warning",
      "AEAD Algorithm",
      "New Cookie",
      "NTPv4 Server",
      "NTPv4 Port",
      "Keep Alive",
      "Supported Next Protocol List",
      "Supported Algorithm List",
      "List Server Names",
      "Fixed Key Request",
      "NTP Server Deny",
      "Authentication",
  };
  if (type <= POOL_LAST)
    return names[type];
  if (type == NTSPOOL_REC_COMPLIANT_128GCM)
    return "Compliant AES-128-GCM-SIV Export";
  if (type == NTSPOOL_REC_UUID)
    return "UUID Request";
  return "Unknown";
}

ntspool_u16_list ntspool_record_u16_list(const ntspool_record *rec) {
  ntspool_u16_list l = {rec->body.data, rec->body.len / 2};
  return l;
}

uint16_t ntspool_u16_list_get(ntspool_u16_list list, size_t i) {
  return (uint16_t)(list.data[2 * i] << 8 | list.data[2 * i + 1]);
}

bool ntspool_u16_list_has(ntspool_u16_list list, uint16_t value) {
  for (size_t i = 0; i < list.count; i++)
    if (ntspool_u16_list_get(list, i) == value)
      return true;
  return false;
}

static bool printable_ascii(ntspool_bytes b) {
  for (size_t i = 0; i < b.len; i++)
    if (b.data[i] < 0x21 || b.data[i] > 0x7E)
      return false;
  return true;
}

/* The per-type body rule from RFC 8915 and the pool draft.  End of Message
 * and Keep Alive bodies are accepted and ignored: the length field bounds
 * them, so no reader can take them for anything else (doc/protocol.md
 * section 4.8). */
static bool body_ok(const ntspool_record *r) {
  size_t len = r->body.len;
  switch (r->type) {
  case NTSPOOL_REC_NEXT_PROTOCOL:
  case NTSPOOL_REC_AEAD:
  case NTSPOOL_REC_SUPPORTED_PROTOCOLS:
  case NTSPOOL_REC_FIXED_KEY:
    return len % 2 == 0;
  case NTSPOOL_REC_ERROR:
  case NTSPOOL_REC_WARNING:
  case NTSPOOL_REC_PORT:
    return len == 2;
  case NTSPOOL_REC_SUPPORTED_ALGORITHMS:
    return len % 4 == 0;
  case NTSPOOL_REC_SERVER:
  case NTSPOOL_REC_SERVER_DENY:
  case NTSPOOL_REC_AUTHENTICATION:
  case NTSPOOL_REC_UUID:
    return printable_ascii(r->body);
  default:
    return true;
  }
}

int ntspool_record_decode(const uint8_t *buf, size_t len,
                          enum ntspool_numbering n, ntspool_record *rec,
                          size_t *consumed) {
  if ((!buf && len) || !rec || !consumed)
    return NTSPOOL_ERR_INVALID_ARG;
  if (len < NTSPOOL_RECORD_HEADER_LEN)
    return NTSPOOL_ERR_NEED_MORE;
  uint16_t word = (uint16_t)(buf[0] << 8 | buf[1]);
  size_t body_len = (size_t)buf[2] << 8 | buf[3];
  if (len - NTSPOOL_RECORD_HEADER_LEN < body_len)
    return NTSPOOL_ERR_NEED_MORE;
  rec->critical = (word & NTSPOOL_CRITICAL_BIT) != 0;
  rec->wire_type = word & 0x7FFF;
  rec->type = ntspool_record_type_from_wire(rec->wire_type, n);
  rec->body.data = buf + NTSPOOL_RECORD_HEADER_LEN;
  rec->body.len = body_len;
  *consumed = NTSPOOL_RECORD_HEADER_LEN + body_len;
  return body_ok(rec) ? 0 : NTSPOOL_ERR_MALFORMED;
}

size_t ntspool_record_count(const ntspool_record *rec) {
  if (rec->type == NTSPOOL_REC_SUPPORTED_ALGORITHMS)
    return rec->body.len / 4;
  return rec->body.len / 2;
}

/* End of Message is wire type 0 in every numbering, so framing needs no
 * numbering and can run before the peer's numbering is known. */
int ntspool_message_frame(const uint8_t *buf, size_t len, size_t max_len,
                          size_t *msg_len) {
  if ((!buf && len) || !msg_len)
    return NTSPOOL_ERR_INVALID_ARG;
  if (max_len == 0)
    max_len = NTSPOOL_DEFAULT_MAX_MESSAGE;
  size_t off = 0;
  for (;;) {
    if (off + NTSPOOL_RECORD_HEADER_LEN > max_len)
      return NTSPOOL_ERR_TOO_LARGE;
    if (len - off < NTSPOOL_RECORD_HEADER_LEN)
      return NTSPOOL_ERR_NEED_MORE;
    const uint8_t *h = buf + off;
    size_t end = off + NTSPOOL_RECORD_HEADER_LEN + ((size_t)h[2] << 8 | h[3]);
    if (end > max_len)
      return NTSPOOL_ERR_TOO_LARGE;
    if (end > len)
      return NTSPOOL_ERR_NEED_MORE;
    off = end;
    if (((h[0] & 0x7F) | h[1]) == NTSPOOL_REC_END_OF_MESSAGE) {
      *msg_len = off;
      return off == len ? 0 : NTSPOOL_ERR_TRAILING_DATA;
    }
  }
}
