/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Prometheus text metrics of nts-pool-ke: the daemon's own counters (kept
 * here, updated by workers with atomics) and the library's policy counters
 * (read at scrape time), served by a tiny HTTP/1.0 responder on its own
 * thread at GET /metrics.
 */
#ifndef NTS_POOL_KE_METRICS_H
#define NTS_POOL_KE_METRICS_H

#include "config.h"

/* How one client connection ended, as counted and logged. */
enum nts_pool_ke_outcome {
  NTS_POOL_KE_OK,              /* cookies delivered */
  NTS_POOL_KE_NO_OVERLAP,      /* "nothing in common" answer */
  NTS_POOL_KE_ERROR_RESPONSE,  /* answered with an NTS-KE Error record */
  NTS_POOL_KE_TIMEOUT,         /* the client or a source was too slow */
  NTS_POOL_KE_TLS_ERROR,       /* TLS handshake or record failure */
  NTS_POOL_KE_DROPPED,         /* closed early, I/O error, oversized */
  NTS_POOL_KE_PROXY_UNTRUSTED, /* PROXY required, peer not trusted */
  NTS_POOL_KE_PROXY_INVALID,   /* missing, malformed or cut-off header */
  NTS_POOL_KE_INTERNAL,        /* the daemon could not start a session,
                                  or it failed on our side (memory) */
  NTS_POOL_KE_ADDRESS_LIMIT,   /* over max-connections-per-address */
  NTS_POOL_KE_OUTCOMES
};

const char *nts_pool_ke_outcome_name(enum nts_pool_ke_outcome o);

/* Counts a finished connection (a monitor's probe or not); duration from
 * accept to close. */
void nts_pool_ke_metrics_session(enum nts_pool_ke_outcome o,
                                 ntspool_time_ms duration_us, bool monitor,
                                 bool sent_error, uint16_t nts_error);
/* Counts a connection closed before any session (no duration). */
void nts_pool_ke_metrics_refused(enum nts_pool_ke_outcome o);
/* Connections being served (+1 at start, -1 at the end), and those of
 * them known to be monitor probes (+1 once known, -1 at the end). */
void nts_pool_ke_metrics_active(int delta);
void nts_pool_ke_metrics_active_monitors(int delta);
void nts_pool_ke_metrics_reload(bool ok);
/* A client given a source: the region level its set had and its numbered
 * group (ntspool_outcome subpool: 0 the whole set, g + 1 for "g."). */
void nts_pool_ke_metrics_selection(enum nts_pool_ke_geo_level level,
                                   unsigned subpool);

/* Binds the metrics listener (before privileges are dropped).
 * Returns the fd or -1 with errno. */
int nts_pool_ke_metrics_bind(nts_pool_ke_addr *addr);

/* Serves fd on a new thread; `current` returns a new reference to the
 * running configuration.  Returns 0 or -1. */
int nts_pool_ke_metrics_start(int fd, nts_pool_ke_config *(*current)(void));

/* Stops the thread and closes the listener (no-op if not started). */
void nts_pool_ke_metrics_stop(void);

/* The page as text (malloc'd, NUL-terminated) for `cfg`, for tests and the
 * server.  NULL when out of memory. */
char *nts_pool_ke_metrics_render(nts_pool_ke_config *cfg);

#endif
