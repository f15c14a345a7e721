/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool's upstream transports (ntspool_upstream_ops): blocking TCP
 * sockets to time sources.  Waits are bounded by the deadline of the
 * session the calling worker is driving, so a stalled source costs a
 * worker no more than the library's timesource-timeout-ms.
 */
#ifndef NTS_POOL_KE_UPSTREAM_IO_H
#define NTS_POOL_KE_UPSTREAM_IO_H

#include "config.h"

/* The callbacks for a context of `cfg` (user_data = cfg, which outlives
 * its context). */
ntspool_upstream_ops nts_pool_ke_upstream_ops(const nts_pool_ke_config *cfg);

/* The deadline of the session this thread drives (0: none; then I/O on an
 * upstream transport does not wait, as when another thread closes an idle
 * connection from the cache). */
void nts_pool_ke_upstream_set_deadline(ntspool_time_ms deadline);

#endif
