/* SPDX-License-Identifier: BSD-2-Clause */
/* Command-line values shared by the example programs. */
#ifndef EX_ARGS_H
#define EX_ARGS_H

#include <stdbool.h>

/* A decimal integer in [min, max] and nothing else: sets *out, true. */
bool ex_parse_long(const char *text, long min, long max, long *out);

#endif
