/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One NTS request to one answer (RFC 8915 5.7): open the cookie, check
 * the request with the C2S key found in it, answer with the S2C key and as
 * many fresh cookies as the client used (its cookie plus placeholders), so
 * the client never runs dry and the answer is never larger than the
 * question.
 */
#include "nts_server.h"

#include <mbedtls/platform_util.h>

#include "random.h"

static size_t nak(const nts_request *r, uint8_t *out, size_t cap,
                  nts_answer_info *info, const char *why) {
  info->kind = NTS_ANSWER_NAK;
  info->why = why;
  int n = nts_build_nak(out, cap, &r->header, r->uid);
  if (n <= 0) {
    info->kind = NTS_ANSWER_DROP;
    return 0;
  }
  return (size_t)n;
}

size_t nts_server_answer(const nts_server *srv, int64_t now_s, uint64_t rx_ts,
                         const uint8_t *req, size_t len, uint8_t *out,
                         size_t cap, nts_answer_info *info) {
  uint8_t c2s[64], s2c[64], scratch[NTS_MAX_PACKET];
  uint8_t cookies[NTS_MAX_COOKIES][COOKIE_MAX_LEN];
  nts_bytes views[NTS_MAX_COOKIES];
  uint8_t nonce[NTS_NONCE_LEN];
  size_t key_len, n_cookies = 0, answer = 0;
  uint16_t aead;
  nts_request r;

  *info = (nts_answer_info){NTS_ANSWER_DROP, "malformed request", 0, 0};
  if (nts_parse_request(req, len, &r))
    return 0;
  if (cookie_open(srv->jar, now_s, r.cookie.data, r.cookie.len, &aead, c2s, s2c,
                  &key_len))
    return nak(&r, out, cap, info, "unknown or undecryptable cookie");
  size_t placeholders = r.n_placeholders;
  if (nts_verify_request(req, &r, c2s, key_len, scratch, sizeof scratch,
                         &placeholders)) {
    answer = nak(&r, out, cap, info, "request failed authentication");
    goto out;
  }

  info->why = "could not make cookies";
  size_t want = 1 + placeholders;
  if (want > NTS_MAX_COOKIES)
    want = NTS_MAX_COOKIES;
  for (; n_cookies < want; n_cookies++) {
    int n = cookie_seal(srv->jar, now_s, aead, c2s, s2c, key_len,
                        cookies[n_cookies], sizeof cookies[n_cookies]);
    if (n <= 0)
      goto out; /* internal failure: drop, the client will retry */
    views[n_cookies] = (nts_bytes){cookies[n_cookies], (size_t)n};
  }
  if (ex_random(nonce, sizeof nonce))
    goto out;

  ntp_header h = {.leap = 0,
                  .version = r.header.version,
                  .mode = NTP_MODE_SERVER,
                  .stratum = srv->stratum,
                  .poll = r.header.poll,
                  .precision = srv->precision,
                  .reference_id = srv->reference_id,
                  .reference_ts = rx_ts,
                  .origin_ts = r.header.transmit_ts,
                  .receive_ts = rx_ts};
  /* Fewer cookies when the placeholders were shorter than our cookies:
   * the answer must not outgrow the request (no amplification). */
  for (size_t n = n_cookies; n >= 1; n--) {
    h.transmit_ts = srv->clock(srv->user);
    int rc =
        nts_build_response(out, cap, &h, r.uid, views, n, s2c, key_len, nonce);
    if (rc > 0 && ((size_t)rc <= len || n == 1)) {
      *info = (nts_answer_info){NTS_ANSWER_TIME, "ok", aead, n};
      answer = (size_t)rc;
      break;
    }
  }
  if (!answer)
    info->why = "reply does not fit";
out:
  mbedtls_platform_zeroize(c2s, sizeof c2s);
  mbedtls_platform_zeroize(s2c, sizeof s2c);
  mbedtls_platform_zeroize(scratch, sizeof scratch);
  return answer;
}
