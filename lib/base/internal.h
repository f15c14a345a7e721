/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internal declarations shared by the library's files.  Nothing here is
 * exported from the shared library (-fvisibility=hidden); the tests reach
 * these symbols through the static library.
 */
#ifndef NTSPOOL_INTERNAL_H
#define NTSPOOL_INTERNAL_H

#include "ntspool.h"

/* ---- Memory (alloc.c) ---------------------------------------------------- */

/* *a when it has both functions, else malloc/free. */
ntspool_allocator ntspool_allocator_or_default(const ntspool_allocator *a);
/* The one rule of every public function that takes an allocator: NULL
 * (malloc/free) or both functions; half of one is refused, never guessed
 * at. */
bool ntspool_allocator_valid(const ntspool_allocator *a);
void *ntspool_malloc(const ntspool_allocator *a, size_t size);
void *ntspool_calloc(const ntspool_allocator *a, size_t size);
void ntspool_free(const ntspool_allocator *a, void *ptr);
/* Wipes len bytes, then frees. */
void ntspool_free_secret(const ntspool_allocator *a, void *ptr, size_t len);
char *ntspool_strdup(const ntspool_allocator *a, const char *s);

/* ntspool_parse_uint and ntspool_parse_bool (config_value.c) are public:
 * <ntspool/common.h>. */

/* ---- Text (text.c) ------------------------------------------------------- */

/* True if b.len is 1..max and every byte is printable ASCII: 0x20..0x7E
 * with spaces, 0x21..0x7E without (what Server and Authentication records
 * may carry, doc/protocol.md 3.3). */
bool ntspool_printable(ntspool_bytes b, size_t max, bool spaces);

/* The next non-empty line of text[*pos..len), white space trimmed at both
 * ends; *pos moves past it.  Returns false when none is left.  Lines may
 * be of any length. */
bool ntspool_each_line(const char *text, size_t len, size_t *pos,
                       ntspool_bytes *line);

/* Elements of an array. */
#define NTSPOOL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- u16 arrays (u16_array.c) ---------------------------------------------
 */

/* True if `value` is one of values[0..n).  For arrays in host order; a
 * list inside a record body is ntspool_u16_list_has. */
bool ntspool_u16_array_has(const uint16_t *values, size_t n, uint16_t value);

#endif
