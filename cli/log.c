/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Log lines (log.h).  Formatting happens only for enabled levels, into a
 * stack buffer, and leaves with a single write(2) so that lines from
 * worker threads never interleave.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static atomic_int log_level = NTSPOOL_LOG_INFO;

void nts_pool_ke_log_set_level(enum ntspool_log_level level) {
  atomic_store(&log_level, (int)level);
}

enum ntspool_log_level nts_pool_ke_log_level(void) {
  return (enum ntspool_log_level)atomic_load(&log_level);
}

int nts_pool_ke_log_parse_level(const char *text, enum ntspool_log_level *out) {
  return ntspool_log_level_parse(text, out) == 0 ? 0 : -1;
}

__attribute__((format(printf, 4, 0))) static void
emit(enum ntspool_log_level level, const char *program, const char *component,
     const char *fmt, va_list ap) {
  char line[1024];
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  size_t n = ntspool_log_format(line, sizeof line, ts.tv_sec, ts.tv_nsec / 1000,
                                level, program, component, fmt, ap);
  ssize_t rc = write(STDERR_FILENO, line, n);
  (void)rc; /* nowhere left to report a failed log write */
}

void nts_pool_ke_log(enum ntspool_log_level level, const char *component,
                     const char *fmt, ...) {
  if ((int)level > atomic_load(&log_level))
    return;
  va_list ap;
  va_start(ap, fmt);
  emit(level, "nts_pool_ke", component, fmt, ap);
  va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void
emit_text(enum ntspool_log_level level, const char *component, const char *fmt,
          ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(level, "ntspool", component, fmt, ap);
  va_end(ap);
}

void nts_pool_ke_log_library(void *user_data, enum ntspool_log_level level,
                             const char *component, const char *line) {
  (void)user_data;
  /* The daemon writes one info line per client session with its outcome;
   * the library's own per-session notes would repeat it, so they go to
   * debug.  Warnings and errors keep their level. */
  if (level == NTSPOOL_LOG_INFO)
    level = NTSPOOL_LOG_DEBUG;
  if ((int)level > atomic_load(&log_level))
    return;
  emit_text(level, component ? component : "lib", "%s", line);
}
