/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What every message parser shares: framing a whole message, walking its
 * records.
 */
#include <stdint.h>

#include "codec/message_internal.h"

int ntspool_unhandled_record(const ntspool_record *rec) {
  return rec->critical ? NTSPOOL_ERR_UNKNOWN_CRITICAL : 0;
}

int ntspool_message_walk(const uint8_t *msg, size_t len,
                         enum ntspool_numbering numbering, int malformed,
                         ntspool_record_fn fn, void *ctx) {
  if (numbering != NTSPOOL_NUMBERING_IANA &&
      numbering != NTSPOOL_NUMBERING_DRAFT)
    return NTSPOOL_ERR_INVALID_ARG;
  /* Framing first: whether we hold exactly one whole message is decided
   * before its content is judged, so a cut-off message is always NEED_MORE.
   * The caller already enforced its size limit while reading. */
  size_t msg_len;
  int st = ntspool_message_frame(msg, len, SIZE_MAX, &msg_len);
  if (st)
    return st;
  size_t off = 0;
  for (;;) {
    ntspool_record rec;
    size_t used;
    st =
        ntspool_record_decode(msg + off, msg_len - off, numbering, &rec, &used);
    if (st == NTSPOOL_ERR_MALFORMED)
      return malformed;
    if (st)
      return st; /* not reached: framing saw every header */
    off += used;
    if (rec.type == NTSPOOL_REC_END_OF_MESSAGE)
      return 0;
    st = fn(&rec, ctx);
    if (st)
      return st;
  }
}
