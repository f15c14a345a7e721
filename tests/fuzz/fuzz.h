/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared by the libFuzzer targets: an invariant check that stops the run
 * (libFuzzer saves the input as a crash), and "does this view lie inside the
 * input" helpers.  Header-only (static inline) because each target is built
 * from a single .c file plus the library sources.
 */
#ifndef NTSPOOL_FUZZ_H
#define NTSPOOL_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntspool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: one-time setup before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Not assert(): it must also fire in builds with NDEBUG. */
#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,     \
              #cond);                                                          \
      abort();                                                                 \
    }                                                                          \
  } while (0)

/* True if p[0..n) lies within buf[0..len).  Empty views may point anywhere
 * (nothing is read through them).  Compared as integers: relational
 * comparison of unrelated pointers is undefined in C. */
static inline int fuzz_inside(const uint8_t *buf, size_t len, const void *p,
                              size_t n) {
  if (n == 0)
    return 1;
  uintptr_t b = (uintptr_t)buf, q = (uintptr_t)p;
  return q >= b && q - b <= len && n <= len - (q - b);
}

static inline int fuzz_bytes_inside(const uint8_t *buf, size_t len,
                                    ntspool_bytes v) {
  return fuzz_inside(buf, len, v.data, v.len);
}

static inline int fuzz_list_inside(const uint8_t *buf, size_t len,
                                   ntspool_u16_list l) {
  return l.count <= len / 2 && fuzz_inside(buf, len, l.data, 2 * l.count);
}

static inline int fuzz_same_bytes(ntspool_bytes a, ntspool_bytes b) {
  return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static inline int fuzz_same_list(ntspool_u16_list a, ntspool_u16_list b) {
  return a.count == b.count &&
         (a.count == 0 || memcmp(a.data, b.data, 2 * a.count) == 0);
}

/* Copies a list into host-order values for a builder; returns the count. */
static inline size_t fuzz_list_values(ntspool_u16_list l, uint16_t *out,
                                      size_t cap) {
  FUZZ_CHECK(l.count <= cap);
  for (size_t i = 0; i < l.count; i++)
    out[i] = ntspool_u16_list_get(l, i);
  return l.count;
}

/* Every view of a parsed request lies inside the message it came from;
 * holds for failed parses too (the result is filled as far as it got). */
static inline void fuzz_check_request_views(const uint8_t *msg, size_t len,
                                            const ntspool_request *r) {
  FUZZ_CHECK(fuzz_list_inside(msg, len, r->protocols));
  FUZZ_CHECK(fuzz_list_inside(msg, len, r->aeads));
  FUZZ_CHECK(fuzz_bytes_inside(msg, len, r->token));
  FUZZ_CHECK(fuzz_bytes_inside(msg, len, r->uuid));
  FUZZ_CHECK(fuzz_bytes_inside(msg, len, r->c2s_key));
  FUZZ_CHECK(fuzz_bytes_inside(msg, len, r->s2c_key));
  size_t kept =
      r->n_denied < NTSPOOL_MAX_DENIED ? r->n_denied : NTSPOOL_MAX_DENIED;
  for (size_t i = 0; i < kept; i++)
    FUZZ_CHECK(fuzz_bytes_inside(msg, len, r->denied[i]));
}

#endif
