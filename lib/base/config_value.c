/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration values as text, shared by every ntspool_*_set function so
 * that a number or a boolean means the same thing in every section.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/internal.h"

int ntspool_parse_uint(const char *value, uint64_t min, uint64_t max,
                       uint64_t *out) {
  if (!value || *value < '0' || *value > '9')
    return NTSPOOL_ERR_CONFIG;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(value, &end, 10);
  if (errno || *end || v < min || v > max)
    return NTSPOOL_ERR_CONFIG;
  *out = v;
  return 0;
}

int ntspool_parse_bool(const char *value, bool *out) {
  static const char *const yes[] = {"true", "yes", "on", "1"};
  static const char *const no[] = {"false", "no", "off", "0"};
  for (size_t i = 0; i < 4; i++) {
    if (value && strcasecmp(value, yes[i]) == 0)
      return *out = true, 0;
    if (value && strcasecmp(value, no[i]) == 0)
      return *out = false, 0;
  }
  return NTSPOOL_ERR_CONFIG;
}
