/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NTS-protected NTPv4 packets (RFC 8915 section 5) for the example
 * programs: building and parsing the client request and the server
 * response, and the NTS NAK.  Pure functions over caller buffers; the
 * caller supplies nonces, times and keys (AES-SIV only: AEAD 15, 16, 17).
 *
 * Layout used here: the 48-byte NTP header, then extension fields (RFC
 * 7822: type, length including the 4-byte header, body padded with zeros to
 * a multiple of 4, at least 16 bytes in all).  A request carries Unique
 * Identifier, NTS Cookie, any NTS Cookie Placeholders and finally the NTS
 * Authenticator and Encrypted Extension Fields, whose ciphertext
 * authenticates everything before it.  A response carries the Unique
 * Identifier and the Authenticator, with the new cookies encrypted inside
 * it (RFC 8915 5.7), so an observer cannot link them to this exchange.
 */
#ifndef EXAMPLES_NTS_NTP_H
#define EXAMPLES_NTS_NTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NTP_HEADER_LEN 48
#define NTP_MODE_CLIENT 3
#define NTP_MODE_SERVER 4
/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
#define NTP_UNIX_OFFSET 2208988800u

#define NTS_EF_UNIQUE_ID 0x0104
#define NTS_EF_COOKIE 0x0204
#define NTS_EF_COOKIE_PLACEHOLDER 0x0304
#define NTS_EF_AUTHENTICATOR 0x0404

#define NTS_UID_MIN_LEN 32 /* RFC 8915 5.3: at least 32 octets */
#define NTS_NONCE_LEN 16   /* what this code sends; also the minimum taken */
#define NTS_MAX_COOKIES 8  /* per response, RFC 8915's customary eight */
#define NTS_MAX_COOKIE_LEN 256
/* Largest packet either side handles: header, identifier, cookie, eight
 * placeholders and an authenticator with room to spare. */
#define NTS_MAX_PACKET 4096

/* The kiss code of an NTS NAK, "NTSN", as the reference ID. */
#define NTS_KISS_NTSN 0x4e54534eu

enum nts_status {
  NTS_OK = 0,
  NTS_NAK = 1,            /* parse_response: the server sent an NTS NAK */
  NTS_ERR_MALFORMED = -1, /* not a well-formed NTS packet of this kind */
  NTS_ERR_AUTH = -2,      /* the authenticator did not verify */
  NTS_ERR_SPACE = -3,     /* the output buffer is too small */
  NTS_ERR_ARG = -4,       /* bad key length, too many cookies, ... */
  NTS_ERR_MISMATCH = -5,  /* response for another request (identifier) */
};

typedef struct nts_bytes {
  const uint8_t *data;
  size_t len;
} nts_bytes;

/* The NTP header with host-order fields; timestamps are 32.32 fixed point
 * seconds since 1900. */
typedef struct ntp_header {
  uint8_t leap, version, mode, stratum;
  int8_t poll, precision;
  uint32_t root_delay, root_dispersion, reference_id;
  uint64_t reference_ts, origin_ts, receive_ts, transmit_ts;
} ntp_header;

void ntp_header_write(const ntp_header *h, uint8_t out[NTP_HEADER_LEN]);
void ntp_header_read(const uint8_t in[NTP_HEADER_LEN], ntp_header *h);

/* Seconds since the Unix epoch to NTP 32.32, and back (as a double, for
 * offsets). */
uint64_t ntp_ts_from_unix(int64_t sec, long nsec);
double ntp_ts_to_double(uint64_t ts);

/* ---- Client side -------------------------------------------------------- */

/* Writes a request: h (mode 3 expected), Unique Identifier uid, one NTS
 * Cookie, n_placeholders placeholders as long as the cookie, and the
 * Authenticator sealed with c2s under `nonce` (NTS_NONCE_LEN bytes).
 * Returns the packet length (> 0), NTS_ERR_SPACE or NTS_ERR_ARG. */
int nts_build_request(uint8_t *out, size_t cap, const ntp_header *h,
                      nts_bytes uid, nts_bytes cookie, size_t n_placeholders,
                      const uint8_t *c2s, size_t key_len,
                      const uint8_t nonce[NTS_NONCE_LEN]);

typedef struct nts_response {
  ntp_header header;
  size_t n_cookies;
  nts_bytes cookies[NTS_MAX_COOKIES]; /* point into the caller's scratch */
} nts_response;

/* Checks a server's reply to the request that carried `uid`: mode 4, the
 * same identifier, an Authenticator that verifies with s2c over everything
 * before it; the decrypted fields go to scratch (at least len bytes) and
 * the fresh cookies found there are listed in *resp.  A Kiss-o'-Death with
 * code NTSN, stratum 0 and the right identifier is an NTS NAK (it cannot
 * be authenticated: the server could not read the cookie).  The caller
 * still checks the origin timestamp against its transmit timestamp.
 * Returns NTS_OK, NTS_NAK, NTS_ERR_MALFORMED, NTS_ERR_MISMATCH,
 * NTS_ERR_AUTH or NTS_ERR_SPACE. */
int nts_parse_response(const uint8_t *pkt, size_t len, nts_bytes uid,
                       const uint8_t *s2c, size_t key_len, uint8_t *scratch,
                       size_t scratch_cap, nts_response *resp);

/* ---- Server side -------------------------------------------------------- */

typedef struct nts_request {
  ntp_header header;
  nts_bytes uid;
  nts_bytes cookie;
  size_t n_placeholders; /* outside the encrypted part */
  size_t auth_offset;    /* associated data = pkt[0, auth_offset) */
  nts_bytes nonce;
  nts_bytes ciphertext;
} nts_request;

/* Structure of a client request, no cryptography: mode 3, exactly one
 * Unique Identifier (>= 32 bytes) and one NTS Cookie, placeholders, and the
 * Authenticator as the last field.  Unknown fields before it are skipped.
 * A request that fails here gets no answer at all (without an identifier
 * there is nothing a NAK could be matched with).
 * Returns NTS_OK or NTS_ERR_MALFORMED. */
int nts_parse_request(const uint8_t *pkt, size_t len, nts_request *req);

/* Verifies the Authenticator of a parsed request with c2s (the keys came
 * out of its cookie).  The decrypted fields go to scratch (at least
 * req->ciphertext.len bytes); placeholders found there are added to
 * *n_placeholders.  Returns NTS_OK, NTS_ERR_AUTH or NTS_ERR_MALFORMED. */
int nts_verify_request(const uint8_t *pkt, const nts_request *req,
                       const uint8_t *c2s, size_t key_len, uint8_t *scratch,
                       size_t scratch_cap, size_t *n_placeholders);

/* Writes a response: h (mode 4), the Unique Identifier, and the
 * Authenticator sealed with s2c under `nonce`, whose ciphertext holds one
 * NTS Cookie field per cookie.  Returns the length, NTS_ERR_SPACE or
 * NTS_ERR_ARG. */
int nts_build_response(uint8_t *out, size_t cap, const ntp_header *h,
                       nts_bytes uid, const nts_bytes *cookies,
                       size_t n_cookies, const uint8_t *s2c, size_t key_len,
                       const uint8_t nonce[NTS_NONCE_LEN]);

/* Writes an NTS NAK answering request header `req`: leap 3, the request's
 * version, mode 4, stratum 0, reference ID "NTSN", origin = the request's
 * transmit timestamp, and the Unique Identifier; no authenticator.
 * Returns the length or NTS_ERR_SPACE. */
int nts_build_nak(uint8_t *out, size_t cap, const ntp_header *req,
                  nts_bytes uid);

#endif
