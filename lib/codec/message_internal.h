/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal helpers shared by the message parsers (message_*.c).  Not part of
 * the public API.
 */
#ifndef NTSPOOL_MESSAGE_INTERNAL_H
#define NTSPOOL_MESSAGE_INTERNAL_H

#include "ntspool.h"

/* Called for every record before End of Message; a non-zero return stops
 * the walk and becomes its result. */
typedef int (*ntspool_record_fn)(const ntspool_record *rec, void *ctx);

/* Frames msg[0..len) as exactly one message, then decodes it record by
 * record in `numbering`, calling fn for each record before End of Message.
 * A record whose body breaks its length rule yields `malformed` (the
 * caller's BAD_REQUEST or BAD_RESPONSE).
 * Returns: 0; fn's first non-zero result; `malformed`;
 * NTSPOOL_ERR_NEED_MORE; NTSPOOL_ERR_TRAILING_DATA; NTSPOOL_ERR_INVALID_ARG. */
int ntspool_message_walk(const uint8_t *msg, size_t len,
                         enum ntspool_numbering numbering, int malformed,
                         ntspool_record_fn fn, void *ctx);

/* The status for a record the parser does not handle: unknown critical
 * records refuse the message, everything else is ignored. */
int ntspool_unhandled_record(const ntspool_record *rec);

#endif
