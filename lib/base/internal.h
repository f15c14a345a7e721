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

/* ---- Configuration values (config_value.c) ------------------------------- */

/* Decimal integer in [min, max], nothing else on the line.
 * Returns 0 or NTSPOOL_ERR_CONFIG. */
int ntspool_parse_uint(const char *value, uint64_t min, uint64_t max,
                       uint64_t *out);

/* true/yes/on/1 or false/no/off/0, any case.  Returns 0 or
 * NTSPOOL_ERR_CONFIG. */
int ntspool_parse_bool(const char *value, bool *out);

/* ---- u16 arrays (u16_array.c) ---------------------------------------------
 */

/* True if `value` is one of values[0..n).  For arrays in host order; a
 * list inside a record body is ntspool_u16_list_has. */
bool ntspool_u16_array_has(const uint16_t *values, size_t n, uint16_t value);

#endif
