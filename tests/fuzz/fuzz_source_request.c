/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: ntspool_source_request_parse (a time source reading the
 * pool's or a client's request), in both numberings, with and without
 * NTSPOOL_PARSE_CERT_AUTHENTICATED.
 *
 * Invariants: documented status codes only; every view inside the input; a
 * time source never sees a UUID request; pool requests are authenticated
 * (token or flag); a support query asks for something and negotiates
 * nothing; a FIXED_KEY result has one protocol, one AEAD and C2S/S2C of equal
 * length = that AEAD's key length, back to back; and each kind rebuilt with
 * its builder parses back to the same request.
 */
#include "fuzz.h"

static uint16_t protocols[0x8000], aeads[0x8000];
static uint8_t out[1 << 17];

static void reparse(size_t len, enum ntspool_numbering n, unsigned flags,
                    ntspool_request *again) {
  FUZZ_CHECK(ntspool_source_request_parse(out, len, n, flags, again) == 0);
}

static void rebuild_ke(const ntspool_request *req, enum ntspool_numbering n,
                       unsigned flags) {
  size_t np = fuzz_list_values(req->protocols, protocols, 0x8000);
  size_t na = fuzz_list_values(req->aeads, aeads, 0x8000);
  size_t nd =
      req->n_denied < NTSPOOL_MAX_DENIED ? req->n_denied : NTSPOOL_MAX_DENIED;
  size_t len;
  FUZZ_CHECK(ntspool_ke_request_build(out, sizeof out, &len, n, protocols, np,
                                      aeads, na, req->denied, nd,
                                      req->compliant_128gcm) == 0);
  ntspool_request again;
  reparse(len, n, flags, &again);
  FUZZ_CHECK(again.kind == NTSPOOL_REQUEST_KE);
  FUZZ_CHECK(fuzz_same_list(again.protocols, req->protocols));
  FUZZ_CHECK(fuzz_same_list(again.aeads, req->aeads));
  FUZZ_CHECK(again.compliant_128gcm == req->compliant_128gcm);
  FUZZ_CHECK(again.n_denied == nd);
  for (size_t i = 0; i < nd; i++)
    FUZZ_CHECK(fuzz_same_bytes(again.denied[i], req->denied[i]));
}

static void rebuild_support(const ntspool_request *req,
                            enum ntspool_numbering n, unsigned flags) {
  size_t len;
  FUZZ_CHECK(ntspool_support_request_build(out, sizeof out, &len, n, req->token,
                                           req->want, req->keep_alive) == 0);
  ntspool_request again;
  reparse(len, n, flags, &again);
  FUZZ_CHECK(again.kind == NTSPOOL_REQUEST_SUPPORT);
  FUZZ_CHECK(again.want == req->want);
  FUZZ_CHECK(again.keep_alive == req->keep_alive);
  FUZZ_CHECK(fuzz_same_bytes(again.token, req->token));
}

static void rebuild_fixed_key(const ntspool_request *req,
                              enum ntspool_numbering n, unsigned flags) {
  size_t len;
  FUZZ_CHECK(ntspool_fixed_key_request_build(
                 out, sizeof out, &len, n, req->token,
                 ntspool_u16_list_get(req->protocols, 0),
                 ntspool_u16_list_get(req->aeads, 0), req->c2s_key.data,
                 req->s2c_key.data, req->c2s_key.len, req->keep_alive) == 0);
  ntspool_request again;
  reparse(len, n, flags, &again);
  FUZZ_CHECK(again.kind == NTSPOOL_REQUEST_FIXED_KEY);
  FUZZ_CHECK(fuzz_same_list(again.protocols, req->protocols));
  FUZZ_CHECK(fuzz_same_list(again.aeads, req->aeads));
  FUZZ_CHECK(fuzz_same_bytes(again.c2s_key, req->c2s_key));
  FUZZ_CHECK(fuzz_same_bytes(again.s2c_key, req->s2c_key));
  FUZZ_CHECK(again.keep_alive == req->keep_alive);
  FUZZ_CHECK(fuzz_same_bytes(again.token, req->token));
}

static void check(const uint8_t *data, size_t size, enum ntspool_numbering n,
                  unsigned flags) {
  ntspool_request req;
  int rc = ntspool_source_request_parse(data, size, n, flags, &req);
  FUZZ_CHECK(rc == 0 || rc == NTSPOOL_ERR_BAD_REQUEST ||
             rc == NTSPOOL_ERR_UNKNOWN_CRITICAL ||
             rc == NTSPOOL_ERR_NEED_MORE || rc == NTSPOOL_ERR_TRAILING_DATA);
  fuzz_check_request_views(data, size, &req);
  if (rc != 0)
    return;

  size_t msg_len;
  FUZZ_CHECK(ntspool_message_frame(data, size, SIZE_MAX, &msg_len) == 0);
  FUZZ_CHECK(msg_len == size);
  bool cert = (flags & NTSPOOL_PARSE_CERT_AUTHENTICATED) != 0;
  /* A builder writes no Authentication record for an empty token, so such a
   * request can only be rebuilt when the certificate authenticates it. */
  bool rebuildable = size < sizeof out / 2 && (req.token.len || cert);

  switch (req.kind) {
  case NTSPOOL_REQUEST_KE:
    FUZZ_CHECK(req.want == 0 && req.c2s_key.len == 0);
    if (size < sizeof out / 2)
      rebuild_ke(&req, n, flags);
    break;
  case NTSPOOL_REQUEST_SUPPORT:
    FUZZ_CHECK(req.has_token || cert);
    FUZZ_CHECK(req.want != 0 && (req.want & ~7u) == 0);
    FUZZ_CHECK(req.protocols.count == 0 && req.aeads.count == 0);
    if (rebuildable)
      rebuild_support(&req, n, flags);
    break;
  case NTSPOOL_REQUEST_FIXED_KEY: {
    FUZZ_CHECK(req.has_token || cert);
    FUZZ_CHECK(req.protocols.count == 1 && req.aeads.count == 1);
    size_t key_len =
        ntspool_aead_key_length(ntspool_u16_list_get(req.aeads, 0));
    FUZZ_CHECK(key_len != 0 && key_len <= NTSPOOL_MAX_KEY_LEN);
    FUZZ_CHECK(req.c2s_key.len == key_len && req.s2c_key.len == key_len);
    FUZZ_CHECK(req.c2s_key.data + key_len == req.s2c_key.data);
    if (rebuildable)
      rebuild_fixed_key(&req, n, flags);
    break;
  }
  default:
    FUZZ_CHECK(!"a time source never sees this request kind");
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  check(data, size, NTSPOOL_NUMBERING_IANA, 0);
  check(data, size, NTSPOOL_NUMBERING_IANA, NTSPOOL_PARSE_CERT_AUTHENTICATED);
  check(data, size, NTSPOOL_NUMBERING_DRAFT, 0);
  check(data, size, NTSPOOL_NUMBERING_DRAFT, NTSPOOL_PARSE_CERT_AUTHENTICATED);
  return 0;
}
