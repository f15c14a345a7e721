/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool records: decode and encode single NTS-KE records and find
 * message boundaries.  Pure functions over caller buffers: nothing here
 * allocates, reads a clock or keeps state, and every decoded view points into
 * the caller's buffer (which must outlive the view).
 *
 * Record numbering.  The pool extension records had experimental numbers
 * (0x4000-0x4006) before IANA assigned 8-14.  The library works with one
 * logical type per record (enum ntspool_record_type, equal to the IANA number)
 * and translates at the wire according to an ntspool_numbering chosen per
 * peer:
 *
 *   record                          IANA   DRAFT
 *   Keep Alive                         8   0x4000
 *   Supported Next Protocol List       9   0x4004
 *   Supported Algorithm List          10   0x4001
 *   List Server Names                 11   0x4006
 *   Fixed Key Request                 12   0x4002
 *   NTP Server Deny                   13   0x4003
 *   Authentication                    14   0x4005
 *
 * DRAFT is what deployed ntpd-rs, nts-pool and the chrony fork used from late
 * 2025 until June 2026 (Authentication at 0x4005, List Server Names moved to
 * 0x4006 as in draft-ietf-ntp-nts-keyexchange-pool-00).  In each numbering the
 * other one's numbers are simply unknown records.  Types 0-7, the nts-pool
 * UUID Request (0x4F01) and chrony's record 1024 are the same in both.
 */
#ifndef NTSPOOL_RECORD_H
#define NTSPOOL_RECORD_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ntspool_numbering {
  NTSPOOL_NUMBERING_IANA = 0, /* current numbers 8-14 (the default) */
  NTSPOOL_NUMBERING_DRAFT = 1 /* older experimental numbers 0x4000-0x4006 */
};

/* Logical record types (the IANA numbers). */
enum ntspool_record_type {
  NTSPOOL_REC_END_OF_MESSAGE = 0,
  NTSPOOL_REC_NEXT_PROTOCOL = 1,
  NTSPOOL_REC_ERROR = 2,
  NTSPOOL_REC_WARNING = 3,
  NTSPOOL_REC_AEAD = 4,
  NTSPOOL_REC_NEW_COOKIE = 5,
  NTSPOOL_REC_SERVER = 6,
  NTSPOOL_REC_PORT = 7,
  NTSPOOL_REC_KEEP_ALIVE = 8,
  NTSPOOL_REC_SUPPORTED_PROTOCOLS = 9,
  NTSPOOL_REC_SUPPORTED_ALGORITHMS = 10,
  NTSPOOL_REC_LIST_SERVER_NAMES = 11,
  NTSPOOL_REC_FIXED_KEY = 12,
  NTSPOOL_REC_SERVER_DENY = 13,
  NTSPOOL_REC_AUTHENTICATION = 14,
  NTSPOOL_REC_COMPLIANT_128GCM = 1024, /* chrony: AES-128-GCM-SIV export fix */
  NTSPOOL_REC_UUID = 0x4F01,           /* nts-pool monitor: use this source */
  NTSPOOL_REC_UNKNOWN = 0xFFFF         /* not known in this numbering */
};

#define NTSPOOL_RECORD_HEADER_LEN 4
#define NTSPOOL_CRITICAL_BIT 0x8000u
#define NTSPOOL_DEFAULT_MAX_MESSAGE 4096

/* One decoded record.  `body` points into the decoded buffer. */
typedef struct ntspool_record {
  uint16_t type;      /* enum ntspool_record_type, or NTSPOOL_REC_UNKNOWN */
  uint16_t wire_type; /* the 15-bit type as it was on the wire */
  bool critical;
  ntspool_bytes body;
} ntspool_record;

/* Logical type of a 15-bit wire type in `numbering` (NTSPOOL_REC_UNKNOWN if
 * it has none).  Never fails. */
NTSPOOL_API uint16_t ntspool_record_type_from_wire(uint16_t wire_type,
                                                   enum ntspool_numbering n);

/* Wire type of a logical type in `numbering`.  Other values are returned
 * unchanged (masked to 15 bits), so any type outside 8-14 can be written
 * as it is; in DRAFT numbering 8-14 always mean the pool records.  A
 * numbering other than DRAFT is taken as IANA, here and when decoding. */
NTSPOOL_API uint16_t ntspool_record_type_to_wire(uint16_t type,
                                                 enum ntspool_numbering n);

/* A short English name for a logical type ("Fixed Key Request"), for logs. */
NTSPOOL_API const char *ntspool_record_name(uint16_t type);

/* Decodes the record at the start of buf[0..len).  On success fills *rec,
 * sets *consumed to header + body length and returns 0.  The body is checked
 * against its type's length rule: lists of u16 (Next Protocol, AEAD,
 * Supported Next Protocol List, Fixed Key) need an even length, Error,
 * Warning and Port exactly 2 bytes, Supported Algorithm List a multiple of 4,
 * and names (Server, Server Deny, Authentication, UUID) printable ASCII.
 * Other bodies, and the C bit, are not checked here (End of Message and Keep
 * Alive bodies are accepted and ignored, as ntpd-rs does).
 * Returns: 0; NTSPOOL_ERR_NEED_MORE (buf ends inside the record);
 * NTSPOOL_ERR_MALFORMED (body breaks its rule); NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_record_decode(const uint8_t *buf, size_t len,
                                      enum ntspool_numbering n,
                                      ntspool_record *rec, size_t *consumed);

/* Number of u16 items (or (u16, u16) pairs for Supported Algorithm List) in
 * a decoded list record's body. */
NTSPOOL_API size_t ntspool_record_count(const ntspool_record *rec);

/* A list of big-endian u16 values inside a record body (a view into it). */
typedef struct ntspool_u16_list {
  const uint8_t *data;
  size_t count;
} ntspool_u16_list;

/* The body of `rec` as a u16 list: body.len / 2 values (a Supported
 * Algorithm List gives id, key length, id, ...; Error, Warning and Port
 * one value).  Never fails. */
NTSPOOL_API ntspool_u16_list ntspool_record_u16_list(const ntspool_record *rec);

/* Value i of a list (i < count; not checked). */
NTSPOOL_API uint16_t ntspool_u16_list_get(ntspool_u16_list list, size_t i);

/* True if `value` is in the list. */
NTSPOOL_API bool ntspool_u16_list_has(ntspool_u16_list list, uint16_t value);

/* Finds the end of the first complete message in buf[0..len): scans record
 * headers up to and including End of Message and sets *msg_len.  Bodies are
 * not validated here (see message.h).
 * Returns: 0; NTSPOOL_ERR_NEED_MORE (no End of Message yet and fewer than
 * max_len bytes seen); NTSPOOL_ERR_TOO_LARGE (the message would exceed
 * max_len; 0 means NTSPOOL_DEFAULT_MAX_MESSAGE); NTSPOOL_ERR_TRAILING_DATA
 * (bytes follow End of Message; *msg_len is still set);
 * NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_message_frame(const uint8_t *buf, size_t len,
                                      size_t max_len, size_t *msg_len);

/* Record writer: a cursor over a caller buffer with a sticky error.  After
 * the first failure every further put fails too, so a builder can write all
 * its records and check once.  Fields are private; use the functions. */
typedef struct ntspool_writer {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int status;
  enum ntspool_numbering numbering;
} ntspool_writer;

/* Starts writing into buf[0..cap) with `numbering`.  Never fails. */
NTSPOOL_API void ntspool_writer_init(ntspool_writer *w, uint8_t *buf,
                                     size_t cap, enum ntspool_numbering n);

/* Appends one record of logical `type` with the given body (body may be NULL
 * when len is 0).  Returns: 0; NTSPOOL_ERR_BUFFER_TOO_SMALL;
 * NTSPOOL_ERR_INVALID_ARG (body longer than 65535); an earlier failure. */
NTSPOOL_API int ntspool_writer_put_record(ntspool_writer *w, uint16_t type,
                                          bool critical, const void *body,
                                          size_t len);

/* Appends a record whose body is `count` big-endian u16 values.
 * Returns as ntspool_writer_put_record. */
NTSPOOL_API int ntspool_writer_put_u16s(ntspool_writer *w, uint16_t type,
                                        bool critical, const uint16_t *values,
                                        size_t count);

/* Appends a record whose body is two byte strings back to back (the Fixed
 * Key Request's C2S || S2C).  Returns as ntspool_writer_put_record. */
NTSPOOL_API int ntspool_writer_put_record2(ntspool_writer *w, uint16_t type,
                                           bool critical, const void *a,
                                           size_t alen, const void *b,
                                           size_t blen);

/* Appends End of Message (critical, empty).  Returns as
 * ntspool_writer_put_record. */
NTSPOOL_API int ntspool_writer_put_end(ntspool_writer *w);

/* Bytes written so far (valid while status is 0). */
NTSPOOL_API size_t ntspool_writer_len(const ntspool_writer *w);

/* The writer's sticky status: 0 or the first failure. */
NTSPOOL_API int ntspool_writer_status(const ntspool_writer *w);

#ifdef __cplusplus
}
#endif
#endif
