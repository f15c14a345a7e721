/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the pool role needs for the NTS pool monitor's probes (session.h,
 * "Monitor probes"): the key check, and the Error codes a failed probe is
 * answered with.
 */
#include <string.h>

#include "base/crypto.h"
#include "session/session_internal.h"

/* Keys are compared as SHA3-256 digests, each in constant time and all of
 * them always, so neither where a key differs nor its length, nor which
 * key matched, shows in the time taken. */
bool ntspool_monitor_key_ok(const ntspool_ctx *ctx, ntspool_bytes key) {
  uint8_t given[32], known[32];
  if (ctx->monitoring_keys.count == 0 || key.len == 0 ||
      ntspool_sha3_256(key.data, key.len, given) != 0)
    return false;
  unsigned match = 0;
  for (size_t i = 0; i < ctx->monitoring_keys.count; i++) {
    const char *k = ctx->monitoring_keys.items[i];
    if (ntspool_sha3_256(k, strlen(k), known) != 0)
      continue;
    match |= ntspool_ct_memcmp(given, known, sizeof known) == 0;
  }
  ntspool_zeroize(given, sizeof given);
  ntspool_zeroize(known, sizeof known);
  return match != 0;
}

static bool transport_failure(int status) {
  return status == NTSPOOL_ERR_IO || status == NTSPOOL_ERR_TLS ||
         status == NTSPOOL_ERR_EOF;
}

/* As the NTS pool's KE answers its monitor (doc/protocol.md 6.4). */
uint16_t ntspool_probe_error(bool keys_sent, int status, uint16_t source_code) {
  if (transport_failure(status))
    return NTSPOOL_NTS_COULD_NOT_CONNECT;
  if (!keys_sent)
    return NTSPOOL_NTS_COULD_NOT_GET_CAPABILITIES;
  if (status != NTSPOOL_ERR_PEER_ERROR)
    return NTSPOOL_NTS_INTERNAL_ERROR;
  if (source_code == NTSPOOL_NTS_UNRECOGNIZED_CRITICAL ||
      source_code == NTSPOOL_NTS_BAD_REQUEST)
    return NTSPOOL_NTS_COULD_NOT_GET_COOKIES;
  return source_code;
}
