/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: ntspool_ke_response_parse (a client, or the pool reading a
 * time source's Fixed Key answer), in both numberings.
 *
 * Invariants: documented status codes only; every view inside the input,
 * also after a failure; cookie counts consistent; a success has one protocol
 * and one AEAD; and each outcome rebuilt with its builder (a full answer, an
 * Error, a "nothing in common" answer) parses back to the same outcome:
 * same protocol, AEAD, cookies, server, port and flags.
 */
#include "fuzz.h"

static uint8_t out[1 << 17];

static void check_views(const uint8_t *msg, size_t len,
                        const ntspool_response *r) {
  FUZZ_CHECK(r->n_cookies <= NTSPOOL_MAX_COOKIES);
  FUZZ_CHECK(r->n_cookies <= r->n_cookies_seen);
  for (size_t i = 0; i < r->n_cookies; i++)
    FUZZ_CHECK(fuzz_bytes_inside(msg, len, r->cookies[i]));
  FUZZ_CHECK(fuzz_bytes_inside(msg, len, r->server));
}

static void rebuild_answer(const ntspool_response *r,
                           enum ntspool_numbering n) {
  ntspool_ke_answer a = {
      .protocol = r->protocol,
      .aead = r->aead,
      .cookies = r->cookies,
      .n_cookies = r->n_cookies,
      .server = r->server,
      .has_port = r->has_port,
      .port = r->port,
      .compliant_128gcm = r->compliant_128gcm,
      .keep_alive = r->keep_alive,
  };
  size_t len;
  FUZZ_CHECK(ntspool_ke_response_build(out, sizeof out, &len, n, &a) == 0);
  ntspool_response again;
  FUZZ_CHECK(ntspool_ke_response_parse(out, len, n, &again) == 0);
  FUZZ_CHECK(again.protocol == r->protocol && again.aead == r->aead);
  FUZZ_CHECK(again.n_cookies == r->n_cookies);
  for (size_t i = 0; i < r->n_cookies; i++)
    FUZZ_CHECK(fuzz_same_bytes(again.cookies[i], r->cookies[i]));
  FUZZ_CHECK(fuzz_same_bytes(again.server, r->server));
  FUZZ_CHECK(again.has_port == r->has_port);
  FUZZ_CHECK(!r->has_port || again.port == r->port);
  FUZZ_CHECK(again.keep_alive == r->keep_alive);
  FUZZ_CHECK(again.compliant_128gcm == r->compliant_128gcm);
}

/* Parses out[0..len) and expects status `rc` (and the same error code). */
static void expect_reparse(size_t len, enum ntspool_numbering n, int rc,
                           const ntspool_response *r) {
  ntspool_response again;
  FUZZ_CHECK(ntspool_ke_response_parse(out, len, n, &again) == rc);
  if (rc == NTSPOOL_ERR_PEER_ERROR)
    FUZZ_CHECK(again.error_code == r->error_code);
  if (rc == NTSPOOL_ERR_NO_AEAD)
    FUZZ_CHECK(again.has_protocol && again.protocol == r->protocol);
}

static void check(const uint8_t *data, size_t size, enum ntspool_numbering n) {
  ntspool_response r;
  int rc = ntspool_ke_response_parse(data, size, n, &r);
  FUZZ_CHECK(rc == 0 || rc == NTSPOOL_ERR_BAD_RESPONSE ||
             rc == NTSPOOL_ERR_UNKNOWN_CRITICAL ||
             rc == NTSPOOL_ERR_PEER_ERROR || rc == NTSPOOL_ERR_PEER_WARNING ||
             rc == NTSPOOL_ERR_NO_PROTOCOL || rc == NTSPOOL_ERR_NO_AEAD ||
             rc == NTSPOOL_ERR_NEED_MORE || rc == NTSPOOL_ERR_TRAILING_DATA);
  check_views(data, size, &r);
  if (size >= sizeof out / 2)
    return;

  size_t len;
  switch (rc) {
  case 0:
    FUZZ_CHECK(r.has_protocol && r.has_aead);
    FUZZ_CHECK(r.n_cookies == (r.n_cookies_seen < NTSPOOL_MAX_COOKIES
                                   ? r.n_cookies_seen
                                   : NTSPOOL_MAX_COOKIES));
    rebuild_answer(&r, n);
    break;
  case NTSPOOL_ERR_PEER_ERROR:
    FUZZ_CHECK(
        ntspool_error_response_build(out, sizeof out, &len, r.error_code) == 0);
    expect_reparse(len, n, rc, &r);
    break;
  case NTSPOOL_ERR_NO_PROTOCOL:
    FUZZ_CHECK(ntspool_no_overlap_response_build(out, sizeof out, &len, false,
                                                 0) == 0);
    expect_reparse(len, n, rc, &r);
    break;
  case NTSPOOL_ERR_NO_AEAD:
    if (!r.has_protocol)
      break; /* AEAD [] came before Next Protocol */
    FUZZ_CHECK(ntspool_no_overlap_response_build(out, sizeof out, &len, true,
                                                 r.protocol) == 0);
    expect_reparse(len, n, rc, &r);
    break;
  default:
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(data, size, NTSPOOL_NUMBERING_IANA);
  check(data, size, NTSPOOL_NUMBERING_DRAFT);
  return 0;
}
