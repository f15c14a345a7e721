/* SPDX-License-Identifier: BSD-2-Clause */
/* Hex text to bytes for test vectors (see hex.h). */
#include "hex.h"

#include <stdio.h>
#include <stdlib.h>

static int nibble(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void fail(const char *why, const char *hex) {
  fprintf(stderr, "ntspool_test_hex: %s in \"%s\"\n", why, hex);
  abort();
}

size_t ntspool_test_hex(const char *spaced_hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  int high = -1; /* first digit of a pair still waiting for its second */
  for (const char *p = spaced_hex; *p; p++) {
    if (*p == ' ' || *p == '\t' || *p == '\n')
      continue;
    int v = nibble(*p);
    if (v < 0)
      fail("not a hex digit", spaced_hex);
    if (high < 0) {
      high = v;
      continue;
    }
    if (n == cap)
      fail("output buffer too small", spaced_hex);
    out[n++] = (uint8_t)(high << 4 | v);
    high = -1;
  }
  if (high >= 0)
    fail("odd number of hex digits", spaced_hex);
  return n;
}
