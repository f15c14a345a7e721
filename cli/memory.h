/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * How nts-pool-ke asks the C library's allocator to behave: few arenas, and
 * freed memory handed back to the kernel when the daemon goes idle, so that
 * its resident size follows what it holds rather than the busiest moment
 * it lived through (make soak measures it).  Without glibc both do
 * nothing.
 */
#ifndef NTS_POOL_KE_MEMORY_H
#define NTS_POOL_KE_MEMORY_H

#include <stdbool.h>

#include <ntspool.h>

/* One malloc arena per online CPU, unless MALLOC_ARENA_MAX or
 * GLIBC_TUNABLES is set.  Call before any thread starts. */
void nts_pool_ke_memory_limit_arenas(void);

/* Called by the accept thread on every turn of its loop: `idle` when no
 * connection is in flight, `worked` when it accepted a connection or closed
 * cached ones since the last turn.  Once idle after work, at most once a
 * second, returns the allocator's free pages to the kernel. */
void nts_pool_ke_memory_turn(bool idle, bool worked, ntspool_time_ms now);

#endif
