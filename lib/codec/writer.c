/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The record writer.  Its error is sticky so that a builder can emit a whole
 * message and check the outcome once, without a test after every record.
 */
#include <string.h>

#include "ntspool.h"

void ntspool_writer_init(ntspool_writer *w, uint8_t *buf, size_t cap,
                         enum ntspool_numbering n) {
  w->buf = buf;
  w->cap = buf ? cap : 0;
  w->len = 0;
  w->status = 0;
  w->numbering = n;
}

/* Reserves a record header for `type` with `body_len` and returns where the
 * body goes, or NULL (with the writer's status set). */
static uint8_t *begin(ntspool_writer *w, uint16_t type, bool critical,
                      size_t body_len) {
  if (w->status)
    return NULL;
  if (body_len > 0xFFFF) {
    w->status = NTSPOOL_ERR_INVALID_ARG;
    return NULL;
  }
  if (w->cap - w->len < NTSPOOL_RECORD_HEADER_LEN + body_len) {
    w->status = NTSPOOL_ERR_BUFFER_TOO_SMALL;
    return NULL;
  }
  uint16_t word = ntspool_record_type_to_wire(type, w->numbering);
  if (critical)
    word |= NTSPOOL_CRITICAL_BIT;
  uint8_t *p = w->buf + w->len;
  p[0] = (uint8_t)(word >> 8);
  p[1] = (uint8_t)word;
  p[2] = (uint8_t)(body_len >> 8);
  p[3] = (uint8_t)body_len;
  w->len += NTSPOOL_RECORD_HEADER_LEN + body_len;
  return p + NTSPOOL_RECORD_HEADER_LEN;
}

int ntspool_writer_put_record2(ntspool_writer *w, uint16_t type, bool critical,
                               const void *a, size_t alen, const void *b,
                               size_t blen) {
  if ((!a && alen) || (!b && blen) || alen > 0xFFFF || blen > 0xFFFF) {
    if (!w->status)
      w->status = NTSPOOL_ERR_INVALID_ARG;
    return w->status;
  }
  uint8_t *p = begin(w, type, critical, alen + blen);
  if (!p)
    return w->status;
  if (alen)
    memcpy(p, a, alen);
  if (blen)
    memcpy(p + alen, b, blen);
  return 0;
}

int ntspool_writer_put_record(ntspool_writer *w, uint16_t type, bool critical,
                              const void *body, size_t len) {
  return ntspool_writer_put_record2(w, type, critical, body, len, NULL, 0);
}

int ntspool_writer_put_u16s(ntspool_writer *w, uint16_t type, bool critical,
                            const uint16_t *values, size_t count) {
  if ((!values && count) || count > 0xFFFF / 2) {
    if (!w->status)
      w->status = NTSPOOL_ERR_INVALID_ARG;
    return w->status;
  }
  uint8_t *p = begin(w, type, critical, 2 * count);
  if (!p)
    return w->status;
  for (size_t i = 0; i < count; i++) {
    p[2 * i] = (uint8_t)(values[i] >> 8);
    p[2 * i + 1] = (uint8_t)values[i];
  }
  return 0;
}

int ntspool_writer_put_end(ntspool_writer *w) {
  return ntspool_writer_put_record(w, NTSPOOL_REC_END_OF_MESSAGE, true, NULL,
                                   0);
}

size_t ntspool_writer_len(const ntspool_writer *w) {
  return w->len;
}

int ntspool_writer_status(const ntspool_writer *w) {
  return w->status;
}
