/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool's upstream transports (ntspool_upstream_ops): non-blocking TCP
 * sockets to time sources.  open() connects within the deadline the
 * session passes; the worker waits for the rest like for its client.
 */
#ifndef NTS_POOL_KE_UPSTREAM_IO_H
#define NTS_POOL_KE_UPSTREAM_IO_H

#include "config.h"

/* The callbacks for a context of `cfg` (user_data = cfg, which outlives
 * its context). */
ntspool_upstream_ops nts_pool_ke_upstream_ops(const nts_pool_ke_config *cfg);

#endif
