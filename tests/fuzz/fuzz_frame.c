/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: ntspool_message_frame.  The first two input bytes are the
 * size limit (big-endian; 0 means the 4096 default), the rest the stream.
 *
 * Invariants, checked against an independent walk over the record headers:
 * success means exactly one whole message ending in End of Message (any C
 * bit) within the limit; TRAILING_DATA the same for a proper prefix;
 * NEED_MORE only while fewer than `max` bytes were seen and no End of
 * Message is complete; TOO_LARGE only when the message cannot end within the
 * limit.  Framing is also stable under a larger limit and under truncation.
 */
#include "fuzz.h"

struct walk {
  size_t eom_end;  /* end of the first End of Message, 0 if none complete */
  size_t complete; /* bytes in complete records before it */
};

/* Header-only walk, written without the library. */
static struct walk walk(const uint8_t *buf, size_t len) {
  struct walk w = {0, 0};
  size_t off = 0;
  while (len - off >= NTSPOOL_RECORD_HEADER_LEN) {
    size_t end = off + NTSPOOL_RECORD_HEADER_LEN +
                 ((size_t)buf[off + 2] << 8 | buf[off + 3]);
    if (end > len)
      break;
    bool eom = (buf[off] & 0x7F) == 0 && buf[off + 1] == 0;
    off = end;
    w.complete = off;
    if (eom) {
      w.eom_end = off;
      break;
    }
  }
  return w;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2)
    return 0;
  size_t max = (size_t)data[0] << 8 | data[1];
  size_t limit = max ? max : NTSPOOL_DEFAULT_MAX_MESSAGE;
  const uint8_t *buf = data + 2;
  size_t len = size - 2;

  struct walk w = walk(buf, len);
  size_t msg_len = SIZE_MAX;
  int rc = ntspool_message_frame(buf, len, max, &msg_len);
  switch (rc) {
  case 0:
    FUZZ_CHECK(w.eom_end == len && msg_len == len && len <= limit);
    break;
  case NTSPOOL_ERR_TRAILING_DATA:
    FUZZ_CHECK(w.eom_end && msg_len == w.eom_end && msg_len < len &&
               msg_len <= limit);
    /* The message alone frames cleanly. */
    FUZZ_CHECK(ntspool_message_frame(buf, msg_len, max, &msg_len) == 0);
    FUZZ_CHECK(msg_len == w.eom_end);
    break;
  case NTSPOOL_ERR_NEED_MORE:
    FUZZ_CHECK(w.eom_end == 0 && len < limit && msg_len == SIZE_MAX);
    break;
  case NTSPOOL_ERR_TOO_LARGE:
    /* No End of Message ends within the limit, and either the limit is
     * already passed by a declared record or no header fits after the
     * complete ones. */
    FUZZ_CHECK(w.eom_end == 0 || w.eom_end > limit);
    FUZZ_CHECK(
        w.complete + NTSPOOL_RECORD_HEADER_LEN > limit ||
        (len - w.complete >= NTSPOOL_RECORD_HEADER_LEN &&
         w.complete + NTSPOOL_RECORD_HEADER_LEN +
                 ((size_t)buf[w.complete + 2] << 8 | buf[w.complete + 3]) >
             limit));
    break;
  default:
    FUZZ_CHECK(!"unexpected status");
  }

  /* A limit large enough for any input never changes a success. */
  if (rc == 0 || rc == NTSPOOL_ERR_TRAILING_DATA) {
    size_t big;
    FUZZ_CHECK(ntspool_message_frame(buf, len, SIZE_MAX, &big) == rc);
    FUZZ_CHECK(big == w.eom_end);
  }
  /* A whole message cut anywhere (here: one byte short, and half) needs
   * more. */
  if (rc == 0 && len > 0) {
    size_t ignored;
    FUZZ_CHECK(ntspool_message_frame(buf, len - 1, max, &ignored) ==
               NTSPOOL_ERR_NEED_MORE);
    FUZZ_CHECK(ntspool_message_frame(buf, len / 2, max, &ignored) ==
               NTSPOOL_ERR_NEED_MORE);
  }
  return 0;
}
