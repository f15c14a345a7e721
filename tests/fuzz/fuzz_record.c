/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: ntspool_record_decode over a stream of records, in both
 * numberings, and the writer re-encoding what decoded.
 *
 * Invariants: a decoded record never claims bytes past the input; header
 * fields are reported as on the wire; a record that decoded is written back
 * byte for byte (same logical type, C bit and body) whenever its wire number
 * can be expressed in that numbering, and in every form the writer has
 * (plain body, u16 list, two halves); the re-encoding decodes to the same
 * record again.
 */
#include "fuzz.h"

/* Largest record: header plus a 65535-byte body. */
static uint8_t out[NTSPOOL_RECORD_HEADER_LEN + 0xFFFF];

static bool is_u16_list(uint16_t t) {
  return t == NTSPOOL_REC_NEXT_PROTOCOL || t == NTSPOOL_REC_AEAD ||
         t == NTSPOOL_REC_SUPPORTED_PROTOCOLS ||
         t == NTSPOOL_REC_SUPPORTED_ALGORITHMS;
}

static void check_same_record(const ntspool_record *a,
                              const ntspool_record *b) {
  FUZZ_CHECK(a->type == b->type);
  FUZZ_CHECK(a->wire_type == b->wire_type);
  FUZZ_CHECK(a->critical == b->critical);
  FUZZ_CHECK(fuzz_same_bytes(a->body, b->body));
}

/* Writes `rec` back with every writer call that can express it and checks
 * the bytes against the original `in`. */
static void check_reencode(const ntspool_record *rec, const uint8_t *in,
                           size_t in_len, enum ntspool_numbering n) {
  /* Unknown records are written by their wire number. */
  uint16_t put = rec->type != NTSPOOL_REC_UNKNOWN ? rec->type : rec->wire_type;
  if (ntspool_record_type_to_wire(put, n) != rec->wire_type) {
    /* The one case the writer cannot express: in DRAFT numbering, wire
     * numbers 8-14 are unknown records, but as logical values they name the
     * pool records and get renumbered. */
    FUZZ_CHECK(n == NTSPOOL_NUMBERING_DRAFT &&
               rec->type == NTSPOOL_REC_UNKNOWN && rec->wire_type >= 8 &&
               rec->wire_type <= 14);
    return;
  }

  ntspool_writer w;
  ntspool_writer_init(&w, out, sizeof out, n);
  FUZZ_CHECK(ntspool_writer_put_record(&w, put, rec->critical, rec->body.data,
                                       rec->body.len) == 0);
  FUZZ_CHECK(ntspool_writer_len(&w) == in_len);
  FUZZ_CHECK(memcmp(out, in, in_len) == 0);

  ntspool_record again;
  size_t consumed;
  FUZZ_CHECK(ntspool_record_decode(out, in_len, n, &again, &consumed) == 0);
  FUZZ_CHECK(consumed == in_len);
  check_same_record(rec, &again);

  if (is_u16_list(rec->type)) {
    static uint16_t values[0xFFFF / 2];
    size_t count = rec->body.len / 2;
    for (size_t i = 0; i < count; i++)
      values[i] = ntspool_u16_list_get(ntspool_record_u16_list(rec), i);
    ntspool_writer_init(&w, out, sizeof out, n);
    FUZZ_CHECK(ntspool_writer_put_u16s(&w, put, rec->critical, values, count) ==
               0);
    FUZZ_CHECK(ntspool_writer_len(&w) == in_len);
    FUZZ_CHECK(memcmp(out, in, in_len) == 0);
  }
  if (rec->type == NTSPOOL_REC_FIXED_KEY) {
    size_t half = rec->body.len / 2;
    ntspool_writer_init(&w, out, sizeof out, n);
    FUZZ_CHECK(ntspool_writer_put_record2(&w, put, rec->critical,
                                          rec->body.data, half,
                                          rec->body.data + half, half) == 0);
    FUZZ_CHECK(ntspool_writer_len(&w) == in_len);
    FUZZ_CHECK(memcmp(out, in, in_len) == 0);
  }
}

static void walk(const uint8_t *data, size_t size, enum ntspool_numbering n) {
  size_t off = 0;
  while (off < size) {
    const uint8_t *p = data + off;
    size_t left = size - off;
    ntspool_record rec;
    size_t consumed = SIZE_MAX;
    int rc = ntspool_record_decode(p, left, n, &rec, &consumed);
    if (rc == NTSPOOL_ERR_NEED_MORE) {
      FUZZ_CHECK(left < NTSPOOL_RECORD_HEADER_LEN ||
                 NTSPOOL_RECORD_HEADER_LEN + ((size_t)p[2] << 8 | p[3]) > left);
      return;
    }
    FUZZ_CHECK(rc == 0 || rc == NTSPOOL_ERR_MALFORMED);
    size_t body_len = (size_t)p[2] << 8 | p[3];
    FUZZ_CHECK(consumed == NTSPOOL_RECORD_HEADER_LEN + body_len);
    FUZZ_CHECK(consumed <= left);
    FUZZ_CHECK(rec.body.data == p + NTSPOOL_RECORD_HEADER_LEN);
    FUZZ_CHECK(rec.body.len == body_len);
    FUZZ_CHECK(rec.critical == ((p[0] & 0x80) != 0));
    FUZZ_CHECK(rec.wire_type == ((p[0] & 0x7F) << 8 | p[1]));
    FUZZ_CHECK(rec.type == ntspool_record_type_from_wire(rec.wire_type, n));
    if (rc == 0) {
      /* Lists must be readable up to their count (ASan checks the reads). */
      if (is_u16_list(rec.type)) {
        size_t items = ntspool_record_count(&rec);
        size_t words =
            rec.type == NTSPOOL_REC_SUPPORTED_ALGORITHMS ? 2 * items : items;
        FUZZ_CHECK(2 * words == rec.body.len);
        unsigned sum = 0;
        for (size_t i = 0; i < words; i++)
          sum += ntspool_u16_list_get(ntspool_record_u16_list(&rec), i);
        (void)sum;
      }
      FUZZ_CHECK(ntspool_record_name(rec.type) != NULL);
      check_reencode(&rec, p, consumed, n);
    }
    off += consumed;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  walk(data, size, NTSPOOL_NUMBERING_IANA);
  walk(data, size, NTSPOOL_NUMBERING_DRAFT);
  return 0;
}
