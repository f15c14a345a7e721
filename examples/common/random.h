/* SPDX-License-Identifier: BSD-2-Clause */
/* Random bytes for the example programs (keys, nonces, identifiers). */
#ifndef EXAMPLES_RANDOM_H
#define EXAMPLES_RANDOM_H

#include <stddef.h>

/* Fills buf from the kernel's CSPRNG.  Returns 0, or -1 if it failed
 * (then nothing secret may be made from buf). */
int ex_random(void *buf, size_t len);

#endif
