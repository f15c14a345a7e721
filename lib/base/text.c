/* SPDX-License-Identifier: BSD-2-Clause */
/* Small text checks shared by every layer (settings.h). */
#include "base/internal.h"

bool ntspool_printable(ntspool_bytes b, size_t max, bool spaces) {
  if (b.len == 0 || b.len > max)
    return false;
  unsigned char low = spaces ? 0x20 : 0x21;
  for (size_t i = 0; i < b.len; i++)
    if (b.data[i] < low || b.data[i] > 0x7E)
      return false;
  return true;
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

bool ntspool_each_line(const char *text, size_t len, size_t *pos,
                       ntspool_bytes *line) {
  while (*pos < len) {
    size_t a = *pos, end = a;
    while (end < len && text[end] != '\n')
      end++;
    *pos = end < len ? end + 1 : len;
    size_t b = end;
    while (a < b && is_space(text[a]))
      a++;
    while (b > a && is_space(text[b - 1]))
      b--;
    if (b > a) {
      line->data = (const uint8_t *)text + a;
      line->len = b - a;
      return true;
    }
  }
  return false;
}
