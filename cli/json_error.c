/* SPDX-License-Identifier: BSD-2-Clause */
/* One-line error messages about JSON files (json_error.h). */
#include <stdio.h>
#include <string.h>

#include "json_error.h"

const char *nts_pool_ke_json_quote(const char *s, char *out, size_t out_len) {
  size_t n = 0;
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    bool plain = c >= 0x20 && c < 0x7f;
    size_t need = plain ? 1 : 4;
    if (n + need >= out_len)
      break;
    if (plain)
      out[n] = (char)c;
    else
      snprintf(out + n, 5, "\\x%02x", c);
    n += need;
  }
  if (out_len > 0)
    out[n] = '\0';
  return out;
}

void nts_pool_ke_json_syntax_error(const char *path, const json_error_t *je,
                                   bool quote_input, char *err,
                                   size_t err_len) {
  /* jansson writes "WHAT near 'TEXT'", the text as it was in the file. */
  char what[sizeof je->text];
  memcpy(what, je->text, sizeof what);
  what[sizeof what - 1] = '\0';
  char *near = strstr(what, " near '");
  if (near != NULL && !quote_input)
    *near = '\0';
  char quoted[4 * sizeof what];
  snprintf(err, err_len, "%s:%d:%d: %s", path, je->line, je->column,
           nts_pool_ke_json_quote(what, quoted, sizeof quoted));
}
