/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Trace lines: one per record of a whole NTS-KE message (the TRACE level
 * of log.h).  Lists of numbers are shown; bodies that carry keys, cookies,
 * tokens, names or unknown content are shown by length only, so a trace log
 * can be shared.
 */
#include <stdio.h>

#include "session/session_internal.h"

static bool shows_values(uint16_t type) {
  switch (type) {
  case NTSPOOL_REC_NEXT_PROTOCOL:
  case NTSPOOL_REC_ERROR:
  case NTSPOOL_REC_WARNING:
  case NTSPOOL_REC_AEAD:
  case NTSPOOL_REC_PORT:
  case NTSPOOL_REC_SUPPORTED_PROTOCOLS:
  case NTSPOOL_REC_SUPPORTED_ALGORITHMS:
    return true;
  default:
    return false;
  }
}

void ntspool_log_records(const ntspool_ctx *ctx, const char *component,
                         const char *peer, const char *what, const uint8_t *msg,
                         size_t len, enum ntspool_numbering numbering) {
  if (!ctx->log_fn || ctx->log_level < NTSPOOL_LOG_TRACE)
    return;
  size_t at = 0;
  for (unsigned i = 0; at < len; i++) {
    ntspool_record rec;
    size_t used;
    if (ntspool_record_decode(msg + at, len - at, numbering, &rec, &used)) {
      ntspool_log(ctx, NTSPOOL_LOG_TRACE, component,
                  "peer=%s %s record=%u undecodable at offset %zu", peer, what,
                  i, at);
      return;
    }
    char values[160] = "";
    if (shows_values(rec.type)) {
      size_t n = 0, count = rec.body.len / 2;
      for (size_t k = 0; k < count && n + 8 < sizeof values; k++)
        n += (size_t)snprintf(
            values + n, sizeof values - n, "%s%u", k ? "," : " values=",
            ntspool_u16_list_get(ntspool_record_u16_list(&rec), k));
    }
    ntspool_log(ctx, NTSPOOL_LOG_TRACE, component,
                "peer=%s %s record=%u type=%u name=\"%s\" critical=%d "
                "length=%zu%s",
                peer, what, i, rec.wire_type, ntspool_record_name(rec.type),
                rec.critical, rec.body.len, values);
    at += used;
  }
}
