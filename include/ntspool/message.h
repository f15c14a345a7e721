/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool messages: validate a whole NTS-KE message as one side of the
 * exchange sees it, producing a typed result or the exact reason it must be
 * refused; and build every message the four roles send, each as one
 * contiguous buffer (NTPsec needs a whole message in one TLS record).
 *
 * Like record.h this is pure: no allocation, no state.  Parsed results hold
 * views (ntspool_bytes, lists) into the caller's message buffer, which must
 * outlive the result.  Parsers take one complete message (see
 * ntspool_message_frame) and reject anything after End of Message.  The
 * message is framed before its content is judged, so NTSPOOL_ERR_NEED_MORE
 * (no End of Message, or a record cut off) and NTSPOOL_ERR_TRAILING_DATA win
 * over every other error.  Within the message the first failing record, in
 * record order, decides the result; the checks that need the whole message
 * (a missing record, forbidden combinations) come after the last record.  A
 * record whose body breaks its length rule (ntspool_record_decode's
 * NTSPOOL_ERR_MALFORMED) is reported as NTSPOOL_ERR_BAD_REQUEST by request
 * parsers and NTSPOOL_ERR_BAD_RESPONSE by response parsers.
 *
 * How failures map to the wire (doc/protocol.md section 4.6):
 *   NTSPOOL_ERR_UNKNOWN_CRITICAL  a server answers Error 0
 *   NTSPOOL_ERR_BAD_REQUEST       a server answers Error 1
 *   (ntspool_nts_error_for() does this mapping.)
 * A client side parser reports a refused response as NTSPOOL_ERR_BAD_RESPONSE,
 * NTSPOOL_ERR_UNKNOWN_CRITICAL, NTSPOOL_ERR_PEER_ERROR (code in the result),
 * NTSPOOL_ERR_PEER_WARNING, NTSPOOL_ERR_NO_PROTOCOL or NTSPOOL_ERR_NO_AEAD.
 * The critical bit of known records is not enforced (ntpd-rs, nts-pool and
 * chrony clients all accept either value); it is always set as RFC 8915 says
 * when building.
 */
#ifndef NTSPOOL_MESSAGE_H
#define NTSPOOL_MESSAGE_H

#include "record.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits on repeated records kept in a parsed result.  Further Server Deny
 * records are counted but not kept (the pool MAY ignore denies); further
 * cookies are counted and dropped (clients keep 8, as ntpd-rs does). */
#define NTSPOOL_MAX_DENIED 16
#define NTSPOOL_MAX_COOKIES 8
#define NTSPOOL_MAX_SERVER_NAMES 16

/* ---- Requests (server side) ------------------------------------------- */

enum ntspool_request_kind {
  NTSPOOL_REQUEST_KE = 0,    /* ordinary key exchange */
  NTSPOOL_REQUEST_SUPPORT,   /* capability / List Server Names query */
  NTSPOOL_REQUEST_FIXED_KEY, /* pool hands over a client's keys */
  NTSPOOL_REQUEST_UUID       /* pool monitor names the source to use */
};

/* Which capability lists a support request asks for (bit set). */
enum ntspool_want {
  NTSPOOL_WANT_PROTOCOLS = 1,   /* Supported Next Protocol List */
  NTSPOOL_WANT_ALGORITHMS = 2,  /* Supported Algorithm List */
  NTSPOOL_WANT_SERVER_NAMES = 4 /* List Server Names */
};

typedef struct ntspool_request {
  enum ntspool_request_kind kind;
  ntspool_u16_list protocols; /* client order; KE, FIXED_KEY, UUID */
  ntspool_u16_list aeads;     /* client order; KE, FIXED_KEY, UUID */
  unsigned want;              /* SUPPORT: enum ntspool_want bits */
  bool keep_alive;            /* a Keep Alive record was present (time
                                 source view only; the pool ignores it) */
  bool has_token;             /* an Authentication record was present */
  ntspool_bytes token;        /* its body */
  ntspool_bytes uuid;         /* UUID: the requested source */
  ntspool_bytes c2s_key;      /* FIXED_KEY: first half of the body */
  ntspool_bytes s2c_key;      /* FIXED_KEY: second half */
  bool compliant_128gcm;      /* chrony record 1024 was present */
  size_t n_denied;            /* Server Deny records seen */
  ntspool_bytes denied[NTSPOOL_MAX_DENIED]; /* the first ones kept */
} ntspool_request;

/* Validates a request as the pool (client-facing KE server) sees it, always
 * in IANA numbering (the pool's clients are RFC 8915 clients).
 * Accepts ordinary requests and monitor UUID requests (Authentication, then
 * UUID, no Server Deny; kind NTSPOOL_REQUEST_UUID).  Rules: exactly one Next
 * Protocol and one AEAD record; no Error, Warning, New Cookie or pool record
 * (9-12, C bit irrelevant); Keep Alive (keep_alive stays false), Server,
 * Port, unknown non-critical records and an Authentication without UUID are
 * ignored (has_token/token are still filled); duplicate Authentication or
 * UUID, a UUID before any Authentication, and UUID together with Server Deny
 * are refused.  Record 1024 sets compliant_128gcm.  An empty Next Protocol
 * list is valid (the answer is "no protocol in common").
 * Returns: 0; NTSPOOL_ERR_BAD_REQUEST; NTSPOOL_ERR_UNKNOWN_CRITICAL;
 * NTSPOOL_ERR_NEED_MORE (no End of Message); NTSPOOL_ERR_TRAILING_DATA;
 * NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_client_request_parse(const uint8_t *msg, size_t len,
                                             ntspool_request *out);

/* Options for ntspool_source_request_parse. */
enum ntspool_source_parse_flags {
  /* The peer is already a pool by its TLS client certificate, so pool
   * records need no Authentication record. */
  NTSPOOL_PARSE_CERT_AUTHENTICATED = 1
};

/* Validates a request as a time source sees it: an ordinary key exchange, a
 * support query (records 9/10/11, together with nothing negotiating), or a
 * Fixed Key Request (exactly one protocol and one AEAD ID, body of twice the
 * AEAD's key length, known AEAD).  Pool records need an Authentication
 * record before them unless NTSPOOL_PARSE_CERT_AUTHENTICATED is given;
 * whether the token is accepted is the caller's decision.  Duplicate Next
 * Protocol, AEAD, Authentication or pool records, and Error, Warning or New
 * Cookie are refused.  The UUID record is unknown here.  Keep Alive sets
 * keep_alive (repeats allowed).  In an ordinary request the token is ignored
 * (but reported) and Server Deny records are collected.
 * Returns: 0; NTSPOOL_ERR_BAD_REQUEST; NTSPOOL_ERR_UNKNOWN_CRITICAL;
 * NTSPOOL_ERR_NEED_MORE; NTSPOOL_ERR_TRAILING_DATA; NTSPOOL_ERR_INVALID_ARG
 * (also for a numbering outside the enum). */
NTSPOOL_API int ntspool_source_request_parse(const uint8_t *msg, size_t len,
                                             enum ntspool_numbering n,
                                             unsigned flags,
                                             ntspool_request *out);

/* ---- Responses (client side) ------------------------------------------ */

typedef struct ntspool_response {
  uint16_t protocol; /* valid when has_protocol */
  uint16_t aead;     /* valid when has_aead */
  bool has_protocol;
  bool has_aead;
  bool keep_alive;
  bool compliant_128gcm; /* record 1024 echoed */
  uint16_t error_code;   /* NTSPOOL_ERR_PEER_ERROR / _WARNING: the code */
  ntspool_bytes server;  /* Server record, len 0 if absent */
  bool has_port;
  uint16_t port;
  size_t n_cookies_seen; /* New Cookie records in the message */
  size_t n_cookies;      /* kept: at most NTSPOOL_MAX_COOKIES */
  ntspool_bytes cookies[NTSPOOL_MAX_COOKIES];
} ntspool_response;

/* Validates a key-exchange response as a client (or the pool reading a time
 * source's Fixed Key answer) sees it.  Exactly one Next Protocol with one ID
 * and one AEAD with one ID; an empty Next Protocol list (no AEAD needed) is
 * NTSPOOL_ERR_NO_PROTOCOL, an empty AEAD list NTSPOOL_ERR_NO_AEAD.  At most
 * one Server and one Port (non-empty Server).  The request-only records
 * (9-13 and UUID) make it invalid; Keep Alive and record 1024 set their
 * flags; Authentication and unknown non-critical records are ignored.
 * Cookies beyond NTSPOOL_MAX_COOKIES are counted in n_cookies_seen only.
 * Zero cookies is not an error here.  The protocol and AEAD are not checked
 * against the request (the caller knows what it offered).
 * Returns: 0; NTSPOOL_ERR_BAD_RESPONSE; NTSPOOL_ERR_UNKNOWN_CRITICAL;
 * NTSPOOL_ERR_PEER_ERROR; NTSPOOL_ERR_PEER_WARNING; NTSPOOL_ERR_NO_PROTOCOL;
 * NTSPOOL_ERR_NO_AEAD; NTSPOOL_ERR_NEED_MORE; NTSPOOL_ERR_TRAILING_DATA;
 * NTSPOOL_ERR_INVALID_ARG.  *out is filled as far as it got. */
NTSPOOL_API int ntspool_ke_response_parse(const uint8_t *msg, size_t len,
                                          enum ntspool_numbering n,
                                          ntspool_response *out);

typedef struct ntspool_support {
  bool keep_alive;
  uint16_t error_code; /* with NTSPOOL_ERR_PEER_ERROR / _WARNING */
  bool has_protocols;
  ntspool_u16_list protocols; /* Supported Next Protocol List */
  bool has_algorithms;
  ntspool_u16_list algorithms; /* pairs: id at 2i, key length at 2i+1;
                                  count is the number of u16 values */
  size_t n_names_seen;         /* Server records (List Server Names) */
  size_t n_names;
  ntspool_bytes names[NTSPOOL_MAX_SERVER_NAMES];
} ntspool_support;

/* Validates a time source's answer to a support query that asked for
 * `want` (enum ntspool_want bits).  Every list asked for must be present,
 * once (a list not asked for is accepted and reported); Next Protocol,
 * AEAD, New Cookie, List Server Names, Fixed Key, Server Deny and UUID make
 * it invalid.  Server records are collected as the List Server Names answer
 * (non-empty, at most NTSPOOL_MAX_SERVER_NAMES kept) when
 * NTSPOOL_WANT_SERVER_NAMES was asked, ignored otherwise; no Server record
 * at all is a valid answer.  Returns as ntspool_ke_response_parse (without
 * NO_PROTOCOL and NO_AEAD). */
NTSPOOL_API int ntspool_support_response_parse(const uint8_t *msg, size_t len,
                                               enum ntspool_numbering n,
                                               unsigned want,
                                               ntspool_support *out);

/* ---- Builders ---------------------------------------------------------- */
/* Each builder writes one whole message ending in End of Message into
 * buf[0..cap), sets *len and returns 0, or returns
 * NTSPOOL_ERR_BUFFER_TOO_SMALL / NTSPOOL_ERR_INVALID_ARG (len NULL, buf NULL
 * with a non-zero cap, a numbering outside the enum, a body over 65535
 * bytes, a NULL pointer with a non-zero count).  On failure *len is 0 and
 * nothing is written at or beyond buf[cap].  Critical bits as RFC 8915 and
 * the pool draft: Next Protocol, Error, Warning, AEAD, Server, Port, records
 * 9-12 and End of Message are critical; New Cookie, Keep Alive, Server Deny,
 * Authentication and record 1024 are not. */

/* Ordinary client request: Next Protocol (preference order), AEAD
 * (preference order), record 1024 if `compliant_128gcm`, one Server Deny per
 * name.  Always IANA numbering for Server Deny unless `n` says DRAFT. */
NTSPOOL_API int
ntspool_ke_request_build(uint8_t *buf, size_t cap, size_t *len,
                         enum ntspool_numbering n, const uint16_t *protocols,
                         size_t n_protocols, const uint16_t *aeads,
                         size_t n_aeads, const ntspool_bytes *denied,
                         size_t n_denied, bool compliant_128gcm);

/* A monitor's probe of one source through the pool (nts-pool's UUID
 * request, doc/protocol.md 3.4): Authentication (the monitor key), UUID
 * Request (critical, the source's uuid), Next Protocol, AEAD; the order
 * the pool requires and the nts-pool monitor sends.  Both bodies must be
 * non-empty.  Always IANA numbering. */
NTSPOOL_API int
ntspool_uuid_request_build(uint8_t *buf, size_t cap, size_t *len,
                           ntspool_bytes key, ntspool_bytes uuid,
                           const uint16_t *protocols, size_t n_protocols,
                           const uint16_t *aeads, size_t n_aeads);

/* Support query from the pool: Authentication (token) first, then the lists
 * in `want` (Supported Algorithm List, Supported Next Protocol List, List
 * Server Names: nts-pool-ke's order), Keep Alive if asked.  With a zero-length
 * token no Authentication record is written (certificate-authenticated pools).
 */
NTSPOOL_API int ntspool_support_request_build(uint8_t *buf, size_t cap,
                                              size_t *len,
                                              enum ntspool_numbering n,
                                              ntspool_bytes token,
                                              unsigned want, bool keep_alive);

/* Fixed Key Request: Authentication first (omitted for a zero-length
 * token), Fixed Key (C2S || S2C, each key_len bytes), Next Protocol [p],
 * AEAD [a], Keep Alive if asked. */
NTSPOOL_API int ntspool_fixed_key_request_build(
    uint8_t *buf, size_t cap, size_t *len, enum ntspool_numbering n,
    ntspool_bytes token, uint16_t protocol, uint16_t aead, const uint8_t *c2s,
    const uint8_t *s2c, size_t key_len, bool keep_alive);

/* Successful key-exchange response in the order ntpd-rs uses: Next Protocol
 * [protocol], AEAD [aead], the cookies, Server (if server.len), Port (if
 * has_port), record 1024 (if compliant_128gcm), Keep Alive (if keep_alive). */
typedef struct ntspool_ke_answer {
  uint16_t protocol;
  uint16_t aead;
  const ntspool_bytes *cookies;
  size_t n_cookies;
  ntspool_bytes server;
  bool has_port;
  uint16_t port;
  bool compliant_128gcm;
  bool keep_alive;
} ntspool_ke_answer;

NTSPOOL_API int ntspool_ke_response_build(uint8_t *buf, size_t cap, size_t *len,
                                          enum ntspool_numbering n,
                                          const ntspool_ke_answer *answer);

/* "Nothing in common" answers: with has_protocol false, Next Protocol []
 * (8001 0000); otherwise Next Protocol [protocol], AEAD [] . */
NTSPOOL_API int ntspool_no_overlap_response_build(uint8_t *buf, size_t cap,
                                                  size_t *len,
                                                  bool has_protocol,
                                                  uint16_t protocol);

/* Error response: Error [code], End of Message. */
NTSPOOL_API int ntspool_error_response_build(uint8_t *buf, size_t cap,
                                             size_t *len, uint16_t code);

/* Support response from a time source: Supported Algorithm List (pairs of
 * id, key length) if NTSPOOL_WANT_ALGORITHMS, Supported Next Protocol List
 * if NTSPOOL_WANT_PROTOCOLS, one Server record per name if
 * NTSPOOL_WANT_SERVER_NAMES, Keep Alive if keep_alive. */
typedef struct ntspool_support_answer {
  unsigned want;
  const uint16_t *protocols;
  size_t n_protocols;
  const uint16_t *algorithms; /* id, key length, id, key length, ... */
  size_t n_algorithms;        /* number of pairs */
  const ntspool_bytes *names;
  size_t n_names;
  bool keep_alive;
} ntspool_support_answer;

NTSPOOL_API int
ntspool_support_response_build(uint8_t *buf, size_t cap, size_t *len,
                               enum ntspool_numbering n,
                               const ntspool_support_answer *answer);

#ifdef __cplusplus
}
#endif
#endif
