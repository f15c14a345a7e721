/* SPDX-License-Identifier: BSD-2-Clause */
/* One-line error messages about JSON files (json_error.h). */
#include <stdio.h>
#include <string.h>

#include "ntspool.h"

#include "json_error.h"

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
           ntspool_log_escape(what, quoted, sizeof quoted));
}
