/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NTS NTPv4 packet code (RFC 8915 section 5, RFC 7822 extension fields).
 * Parsing is strict where a lenient reading could be abused (lengths,
 * duplicates, fields after the authenticator, which nothing would
 * authenticate) and lenient where the RFC asks for it (unknown fields are
 * skipped).
 */
#include "nts_ntp.h"

#include <string.h>

#include "aes_siv.h"

#define EF_MIN_LEN 16 /* RFC 7822 */

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, (uint16_t)(v >> 16));
  put16(p + 2, (uint16_t)v);
}

static void put64(uint8_t *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static size_t pad4(size_t n) {
  return (n + 3) & ~(size_t)3;
}

void ntp_header_write(const ntp_header *h, uint8_t out[NTP_HEADER_LEN]) {
  out[0] =
      (uint8_t)((h->leap & 3) << 6 | (h->version & 7) << 3 | (h->mode & 7));
  out[1] = h->stratum;
  out[2] = (uint8_t)h->poll;
  out[3] = (uint8_t)h->precision;
  put32(out + 4, h->root_delay);
  put32(out + 8, h->root_dispersion);
  put32(out + 12, h->reference_id);
  put64(out + 16, h->reference_ts);
  put64(out + 24, h->origin_ts);
  put64(out + 32, h->receive_ts);
  put64(out + 40, h->transmit_ts);
}

void ntp_header_read(const uint8_t in[NTP_HEADER_LEN], ntp_header *h) {
  h->leap = in[0] >> 6;
  h->version = (in[0] >> 3) & 7;
  h->mode = in[0] & 7;
  h->stratum = in[1];
  h->poll = (int8_t)in[2];
  h->precision = (int8_t)in[3];
  h->root_delay = get32(in + 4);
  h->root_dispersion = get32(in + 8);
  h->reference_id = get32(in + 12);
  h->reference_ts = get64(in + 16);
  h->origin_ts = get64(in + 24);
  h->receive_ts = get64(in + 32);
  h->transmit_ts = get64(in + 40);
}

uint64_t ntp_ts_from_unix(int64_t sec, long nsec) {
  /* Era 0 wraps in 2036; the 32-bit seconds field simply wraps with it,
   * as on the wire. */
  uint64_t s = (uint64_t)(sec + NTP_UNIX_OFFSET) & 0xffffffffu;
  uint64_t frac = ((uint64_t)nsec << 32) / 1000000000u;
  return s << 32 | frac;
}

double ntp_ts_to_double(uint64_t ts) {
  return (double)(ts >> 32) + (double)(ts & 0xffffffffu) / 4294967296.0;
}

/* ---- Extension fields -----------------------------------------------------
 */

/* Appends one field, its body padded with zeros to a multiple of 4 and to
 * at least the minimum field size. */
static int ef_put(uint8_t *out, size_t cap, size_t *pos, uint16_t type,
                  const uint8_t *body, size_t len) {
  size_t total = 4 + pad4(len);
  if (total < EF_MIN_LEN)
    total = EF_MIN_LEN;
  if (total > 0xffff || *pos > cap || cap - *pos < total)
    return NTS_ERR_SPACE;
  put16(out + *pos, type);
  put16(out + *pos + 2, (uint16_t)total);
  if (len)
    memcpy(out + *pos + 4, body, len);
  memset(out + *pos + 4 + len, 0, total - 4 - len);
  *pos += total;
  return NTS_OK;
}

typedef struct ef_iter {
  const uint8_t *p;
  size_t len, pos, min_len;
} ef_iter;

/* Next field: 1 with its type, body and start offset; 0 at the end;
 * NTS_ERR_MALFORMED for a length that is short, unaligned or runs past the
 * data. */
static int ef_next(ef_iter *it, uint16_t *type, nts_bytes *body,
                   size_t *start) {
  if (it->pos == it->len)
    return 0;
  if (it->len - it->pos < 4)
    return NTS_ERR_MALFORMED;
  size_t flen = get16(it->p + it->pos + 2);
  if (flen < it->min_len || flen % 4 || flen > it->len - it->pos)
    return NTS_ERR_MALFORMED;
  *type = get16(it->p + it->pos);
  *start = it->pos;
  body->data = it->p + it->pos + 4;
  body->len = flen - 4;
  it->pos += flen;
  return 1;
}

/* Authenticator body: nonce length, ciphertext length, nonce and
 * ciphertext each padded to 4, then optional padding (RFC 8915 5.6). */
static int auth_parse(nts_bytes body, nts_bytes *nonce, nts_bytes *ct) {
  if (body.len < 4)
    return NTS_ERR_MALFORMED;
  size_t nlen = get16(body.data), clen = get16(body.data + 2);
  if (nlen < NTS_NONCE_LEN || clen < 16 ||
      4 + pad4(nlen) + pad4(clen) > body.len)
    return NTS_ERR_MALFORMED;
  nonce->data = body.data + 4;
  nonce->len = nlen;
  ct->data = body.data + 4 + pad4(nlen);
  ct->len = clen;
  return NTS_OK;
}

/* Appends the Authenticator: everything already in out[0, pos) is the
 * associated data, pt the extension fields to encrypt. */
static int auth_put(uint8_t *out, size_t cap, size_t *pos, const uint8_t *key,
                    size_t key_len, const uint8_t nonce[NTS_NONCE_LEN],
                    const uint8_t *pt, size_t pt_len) {
  size_t ct_len = pt_len + 16;
  size_t total = 4 + 4 + NTS_NONCE_LEN + pad4(ct_len);
  if (ct_len > 0xffff || total > 0xffff || *pos > cap || cap - *pos < total)
    return NTS_ERR_SPACE;
  uint8_t *f = out + *pos;
  memset(f, 0, total);
  put16(f, NTS_EF_AUTHENTICATOR);
  put16(f + 2, (uint16_t)total);
  put16(f + 4, NTS_NONCE_LEN);
  put16(f + 6, (uint16_t)ct_len);
  memcpy(f + 8, nonce, NTS_NONCE_LEN);
  if (aes_siv_aead_encrypt(key, key_len, nonce, NTS_NONCE_LEN, out, *pos, pt,
                           pt_len, f + 8 + NTS_NONCE_LEN))
    return NTS_ERR_ARG;
  *pos += total;
  return NTS_OK;
}

static bool uid_ok(nts_bytes uid) {
  return uid.len >= NTS_UID_MIN_LEN && uid.len <= 0xffff - 4;
}

/* ---- Client side -------------------------------------------------------- */

int nts_build_request(uint8_t *out, size_t cap, const ntp_header *h,
                      nts_bytes uid, nts_bytes cookie, size_t n_placeholders,
                      const uint8_t *c2s, size_t key_len,
                      const uint8_t nonce[NTS_NONCE_LEN]) {
  static const uint8_t zeros[NTS_MAX_COOKIE_LEN];
  size_t pos = NTP_HEADER_LEN;
  int rc;
  if (!uid_ok(uid) || cookie.len == 0 || cookie.len > NTS_MAX_COOKIE_LEN ||
      n_placeholders >= NTS_MAX_COOKIES || !aes_siv_key_len_ok(key_len))
    return NTS_ERR_ARG;
  if (cap < NTP_HEADER_LEN)
    return NTS_ERR_SPACE;
  ntp_header_write(h, out);
  if ((rc = ef_put(out, cap, &pos, NTS_EF_UNIQUE_ID, uid.data, uid.len)) ||
      (rc = ef_put(out, cap, &pos, NTS_EF_COOKIE, cookie.data, cookie.len)))
    return rc;
  /* A placeholder as long as the cookie makes the request as large as the
   * response that carries the extra cookie (no amplification). */
  for (size_t i = 0; i < n_placeholders; i++)
    if ((rc = ef_put(out, cap, &pos, NTS_EF_COOKIE_PLACEHOLDER, zeros,
                     cookie.len)))
      return rc;
  if ((rc = auth_put(out, cap, &pos, c2s, key_len, nonce, NULL, 0)))
    return rc;
  return (int)pos;
}

/* Walks the outer fields of a reply: the identifier (one) and the
 * authenticator (one, last); anything else is skipped, including cookies
 * sent in the clear, which no one vouches for. */
static int response_fields(const uint8_t *pkt, size_t len, nts_bytes *uid,
                           nts_bytes *auth, size_t *auth_offset) {
  ef_iter it = {pkt, len, NTP_HEADER_LEN, EF_MIN_LEN};
  uint16_t type;
  nts_bytes body;
  size_t start;
  int rc;
  uid->data = auth->data = NULL;
  while ((rc = ef_next(&it, &type, &body, &start)) == 1) {
    if (auth->data)
      return NTS_ERR_MALFORMED;
    if (type == NTS_EF_UNIQUE_ID) {
      if (uid->data)
        return NTS_ERR_MALFORMED;
      *uid = body;
    } else if (type == NTS_EF_AUTHENTICATOR) {
      *auth = body;
      *auth_offset = start;
    }
  }
  return rc < 0 ? rc : NTS_OK;
}

int nts_parse_response(const uint8_t *pkt, size_t len, nts_bytes uid,
                       const uint8_t *s2c, size_t key_len, uint8_t *scratch,
                       size_t scratch_cap, nts_response *resp) {
  nts_bytes got_uid, auth, nonce, ct;
  size_t auth_offset = 0;
  int rc;
  memset(resp, 0, sizeof *resp);
  if (len < NTP_HEADER_LEN || len > NTS_MAX_PACKET)
    return NTS_ERR_MALFORMED;
  ntp_header_read(pkt, &resp->header);
  if (resp->header.mode != NTP_MODE_SERVER || resp->header.version != 4)
    return NTS_ERR_MALFORMED;
  if ((rc = response_fields(pkt, len, &got_uid, &auth, &auth_offset)))
    return rc;
  if (!got_uid.data)
    return NTS_ERR_MALFORMED;
  /* The identifier ties the reply to our request; its padding is part of
   * the field, so compare the padded form we sent. */
  if (got_uid.len < uid.len || memcmp(got_uid.data, uid.data, uid.len) != 0)
    return NTS_ERR_MISMATCH;
  if (resp->header.stratum == 0 && resp->header.reference_id == NTS_KISS_NTSN)
    return NTS_NAK;
  if (!auth.data || (rc = auth_parse(auth, &nonce, &ct)))
    return NTS_ERR_MALFORMED;
  size_t pt_len = ct.len - 16;
  if (scratch_cap < pt_len)
    return NTS_ERR_SPACE;
  if (aes_siv_aead_decrypt(s2c, key_len, nonce.data, nonce.len, pkt,
                           auth_offset, ct.data, ct.len, scratch))
    return NTS_ERR_AUTH;

  ef_iter it = {scratch, pt_len, 0, 4};
  uint16_t type;
  nts_bytes body;
  size_t start;
  while ((rc = ef_next(&it, &type, &body, &start)) == 1)
    if (type == NTS_EF_COOKIE && body.len <= NTS_MAX_COOKIE_LEN &&
        resp->n_cookies < NTS_MAX_COOKIES)
      resp->cookies[resp->n_cookies++] = body;
  return rc < 0 ? rc : NTS_OK;
}

/* ---- Server side -------------------------------------------------------- */

int nts_parse_request(const uint8_t *pkt, size_t len, nts_request *req) {
  ef_iter it = {pkt, len, NTP_HEADER_LEN, EF_MIN_LEN};
  uint16_t type;
  nts_bytes body, auth = {NULL, 0};
  size_t start;
  int rc;
  memset(req, 0, sizeof *req);
  if (len < NTP_HEADER_LEN || len > NTS_MAX_PACKET)
    return NTS_ERR_MALFORMED;
  ntp_header_read(pkt, &req->header);
  if (req->header.mode != NTP_MODE_CLIENT || req->header.version != 4)
    return NTS_ERR_MALFORMED;
  while ((rc = ef_next(&it, &type, &body, &start)) == 1) {
    if (auth.data) /* nothing may follow the authenticator */
      return NTS_ERR_MALFORMED;
    switch (type) {
    case NTS_EF_UNIQUE_ID:
      if (req->uid.data || !uid_ok(body))
        return NTS_ERR_MALFORMED;
      req->uid = body;
      break;
    case NTS_EF_COOKIE:
      if (req->cookie.data || body.len > NTS_MAX_COOKIE_LEN)
        return NTS_ERR_MALFORMED;
      req->cookie = body;
      break;
    case NTS_EF_COOKIE_PLACEHOLDER:
      req->n_placeholders++;
      break;
    case NTS_EF_AUTHENTICATOR:
      auth = body;
      req->auth_offset = start;
      break;
    default: /* unknown fields are skipped (and still authenticated) */
      break;
    }
  }
  if (rc < 0 || !req->uid.data || !req->cookie.data || !auth.data)
    return NTS_ERR_MALFORMED;
  return auth_parse(auth, &req->nonce, &req->ciphertext);
}

int nts_verify_request(const uint8_t *pkt, const nts_request *req,
                       const uint8_t *c2s, size_t key_len, uint8_t *scratch,
                       size_t scratch_cap, size_t *n_placeholders) {
  size_t pt_len = req->ciphertext.len - 16;
  if (scratch_cap < pt_len)
    return NTS_ERR_MALFORMED;
  if (aes_siv_aead_decrypt(c2s, key_len, req->nonce.data, req->nonce.len, pkt,
                           req->auth_offset, req->ciphertext.data,
                           req->ciphertext.len, scratch))
    return NTS_ERR_AUTH;
  /* Placeholders may travel encrypted too; they count the same. */
  ef_iter it = {scratch, pt_len, 0, 4};
  uint16_t type;
  nts_bytes body;
  size_t start;
  int rc;
  while ((rc = ef_next(&it, &type, &body, &start)) == 1)
    if (type == NTS_EF_COOKIE_PLACEHOLDER)
      (*n_placeholders)++;
  return rc < 0 ? rc : NTS_OK;
}

int nts_build_response(uint8_t *out, size_t cap, const ntp_header *h,
                       nts_bytes uid, const nts_bytes *cookies,
                       size_t n_cookies, const uint8_t *s2c, size_t key_len,
                       const uint8_t nonce[NTS_NONCE_LEN]) {
  uint8_t pt[NTS_MAX_COOKIES * (4 + NTS_MAX_COOKIE_LEN)];
  size_t pos = NTP_HEADER_LEN, pt_len = 0;
  int rc;
  if (!uid_ok(uid) || n_cookies > NTS_MAX_COOKIES ||
      !aes_siv_key_len_ok(key_len))
    return NTS_ERR_ARG;
  for (size_t i = 0; i < n_cookies; i++)
    if (cookies[i].len == 0 || cookies[i].len > NTS_MAX_COOKIE_LEN ||
        ef_put(pt, sizeof pt, &pt_len, NTS_EF_COOKIE, cookies[i].data,
               cookies[i].len))
      return NTS_ERR_ARG;
  if (cap < NTP_HEADER_LEN)
    return NTS_ERR_SPACE;
  ntp_header_write(h, out);
  if ((rc = ef_put(out, cap, &pos, NTS_EF_UNIQUE_ID, uid.data, uid.len)) ||
      (rc = auth_put(out, cap, &pos, s2c, key_len, nonce, pt, pt_len)))
    return rc;
  return (int)pos;
}

int nts_build_nak(uint8_t *out, size_t cap, const ntp_header *req,
                  nts_bytes uid) {
  ntp_header h = {.leap = 3,
                  .version = req->version,
                  .mode = NTP_MODE_SERVER,
                  .stratum = 0,
                  .poll = req->poll,
                  .reference_id = NTS_KISS_NTSN,
                  .origin_ts = req->transmit_ts};
  size_t pos = NTP_HEADER_LEN;
  int rc;
  if (!uid_ok(uid))
    return NTS_ERR_ARG;
  if (cap < NTP_HEADER_LEN)
    return NTS_ERR_SPACE;
  ntp_header_write(&h, out);
  if ((rc = ef_put(out, cap, &pos, NTS_EF_UNIQUE_ID, uid.data, uid.len)))
    return rc;
  return (int)pos;
}
