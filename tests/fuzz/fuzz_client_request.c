/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: ntspool_client_request_parse (the pool reading an RFC 8915
 * client's request).
 *
 * Invariants: only the documented status codes come back; every view lies
 * inside the input, also after a failure; a success is exactly one framed
 * message; a UUID request carries a token and no Server Deny; and an
 * ordinary request rebuilt with ntspool_ke_request_build parses back to the
 * same protocols, AEADs, kept denies and record-1024 flag.
 */
#include "fuzz.h"

static uint16_t protocols[0x8000], aeads[0x8000];
static uint8_t out[1 << 17];

static void check_rebuild(const ntspool_request *req) {
  size_t np = fuzz_list_values(req->protocols, protocols, 0x8000);
  size_t na = fuzz_list_values(req->aeads, aeads, 0x8000);
  size_t nd =
      req->n_denied < NTSPOOL_MAX_DENIED ? req->n_denied : NTSPOOL_MAX_DENIED;
  size_t len;
  int rc = ntspool_ke_request_build(
      out, sizeof out, &len, NTSPOOL_NUMBERING_IANA, protocols, np, aeads, na,
      req->denied, nd, req->compliant_128gcm);
  FUZZ_CHECK(rc == 0);

  ntspool_request again;
  FUZZ_CHECK(ntspool_client_request_parse(out, len, &again) == 0);
  FUZZ_CHECK(again.kind == NTSPOOL_REQUEST_KE);
  FUZZ_CHECK(fuzz_same_list(again.protocols, req->protocols));
  FUZZ_CHECK(fuzz_same_list(again.aeads, req->aeads));
  FUZZ_CHECK(again.compliant_128gcm == req->compliant_128gcm);
  FUZZ_CHECK(again.n_denied == nd);
  for (size_t i = 0; i < nd; i++)
    FUZZ_CHECK(fuzz_same_bytes(again.denied[i], req->denied[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ntspool_request req;
  int rc = ntspool_client_request_parse(data, size, &req);
  FUZZ_CHECK(rc == 0 || rc == NTSPOOL_ERR_BAD_REQUEST ||
             rc == NTSPOOL_ERR_UNKNOWN_CRITICAL ||
             rc == NTSPOOL_ERR_NEED_MORE || rc == NTSPOOL_ERR_TRAILING_DATA);
  fuzz_check_request_views(data, size, &req);
  if (rc != 0)
    return 0;

  size_t msg_len;
  FUZZ_CHECK(ntspool_message_frame(data, size, SIZE_MAX, &msg_len) == 0);
  FUZZ_CHECK(msg_len == size);
  FUZZ_CHECK(req.kind == NTSPOOL_REQUEST_KE ||
             req.kind == NTSPOOL_REQUEST_UUID);
  /* Toward the pool, pool records are refused. */
  FUZZ_CHECK(req.want == 0);
  FUZZ_CHECK(req.c2s_key.len == 0 && req.s2c_key.len == 0);
  if (req.kind == NTSPOOL_REQUEST_UUID) {
    FUZZ_CHECK(req.has_token && req.n_denied == 0);
    return 0;
  }
  if (size < sizeof out / 2)
    check_rebuild(&req);
  return 0;
}
