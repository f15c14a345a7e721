/* SPDX-License-Identifier: BSD-2-Clause */
/* The allocator's settings and idle release (memory.h). */
#include <stdlib.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "memory.h"

/* glibc gives each busy thread an arena of its own, up to 8 per core, and
 * every worker thread allocates for its sessions (TLS state, buffers): with
 * 16 arenas on 2 cores, each keeping its own high-water mark, the resident
 * memory crept up by 4-7 % per 100,000 sessions in the soak, and by about
 * 2 % with one arena per CPU, at the same CPU time per session (the workers
 * spend their time in TLS, not in malloc). */
void nts_pool_ke_memory_limit_arenas(void) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
  if (getenv("MALLOC_ARENA_MAX") || getenv("GLIBC_TUNABLES"))
    return;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  mallopt(M_ARENA_MAX, cpus > 0 && cpus < 1024 ? (int)cpus : 1);
#endif
}

/* Freed memory stays in glibc's arenas (only the top of a heap is ever
 * given back on its own), so after a burst, a reload (the old context is
 * freed when its last session ends) or expired upstream connections the
 * daemon would keep the pages.  malloc_trim(0) releases every free page of
 * every arena; it takes each arena's lock for a moment, so it runs only
 * with no connection in flight, and at most once a second. */
void nts_pool_ke_memory_turn(bool idle, bool worked, ntspool_time_ms now) {
#ifdef __GLIBC__
  static bool pending;
  static ntspool_time_ms last;
  pending = pending || worked;
  if (!idle || !pending || now - last < 1000)
    return;
  malloc_trim(0);
  pending = false;
  last = now;
#else
  (void)idle;
  (void)worked;
  (void)now;
#endif
}
