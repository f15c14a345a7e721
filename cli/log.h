/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nts-pool-ke log lines, the format of ntspool/log.h:
 *
 *   2026-11-26T07:05:55.123456Z INFO  nts_pool_ke::server: message key=value
 *
 * UTC with microseconds, level, component, then the message with key=value
 * fields, one line per call on stderr.  Thread-safe: each line is written
 * with one write(2).
 */
#ifndef NTS_POOL_KE_LOG_H
#define NTS_POOL_KE_LOG_H

#include <ntspool.h>

/* The most verbose level written (default NTSPOOL_LOG_INFO).  May change
 * while other threads log (a reload). */
void nts_pool_ke_log_set_level(enum ntspool_log_level level);
enum ntspool_log_level nts_pool_ke_log_level(void);

/* "error", "warning" (or "warn"), "info", "debug", "trace": 0 and *out,
 * else -1. */
int nts_pool_ke_log_parse_level(const char *text, enum ntspool_log_level *out);

/* One line from the daemon; `component` is the part after
 * "nts_pool_ke::". */
void nts_pool_ke_log(enum ntspool_log_level level, const char *component,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The library's log callback (ntspool_ctx_set_logger): its lines appear as
 * component "ntspool::<component>". */
void nts_pool_ke_log_library(void *user_data, enum ntspool_log_level level,
                             const char *component, const char *line);

#define NTS_POOL_KE_ERROR(comp, ...)                                           \
  nts_pool_ke_log(NTSPOOL_LOG_ERROR, comp, __VA_ARGS__)
#define NTS_POOL_KE_WARN(comp, ...)                                            \
  nts_pool_ke_log(NTSPOOL_LOG_WARNING, comp, __VA_ARGS__)
#define NTS_POOL_KE_INFO(comp, ...)                                            \
  nts_pool_ke_log(NTSPOOL_LOG_INFO, comp, __VA_ARGS__)
#define NTS_POOL_KE_DEBUG(comp, ...)                                           \
  nts_pool_ke_log(NTSPOOL_LOG_DEBUG, comp, __VA_ARGS__)

#endif
