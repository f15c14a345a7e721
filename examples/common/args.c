/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line values shared by the example programs (args.h). */
#include "args.h"

#include <errno.h>
#include <stdlib.h>

bool ex_parse_long(const char *text, long min, long max, long *out) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno || end == text || *end || v < min || v > max)
    return false;
  *out = v;
  return true;
}
