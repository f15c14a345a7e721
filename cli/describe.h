/* SPDX-License-Identifier: BSD-2-Clause */
/* What nts-pool-ke -t prints after "configuration OK": the sources as the
 * pool will use them (never their tokens), and how many monitor keys it
 * read (never the keys). */
#ifndef NTS_POOL_KE_DESCRIBE_H
#define NTS_POOL_KE_DESCRIBE_H

#include <stdio.h>

#include "config.h"

void nts_pool_ke_describe(nts_pool_ke_config *cfg, FILE *out);

#endif
