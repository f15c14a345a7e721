/*
 * Log lines (log.h).  Formatting happens only for enabled levels, into a
 * stack buffer, and leaves with a single write(2) so that lines from
 * worker threads never interleave.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
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
  static const struct {
    const char *name;
    enum ntspool_log_level level;
  } names[] = {{"error", NTSPOOL_LOG_ERROR},
               {"warning", NTSPOOL_LOG_WARNING},
               {"warn", NTSPOOL_LOG_WARNING},
               {"info", NTSPOOL_LOG_INFO},
               {"debug", NTSPOOL_LOG_DEBUG}};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strcasecmp(text, names[i].name) == 0) {
      *out = names[i].level;
      return 0;
    }
  return -1;
}

static const char *level_name(enum ntspool_log_level level) {
  switch (level) {
  case NTSPOOL_LOG_ERROR:
    return "ERROR";
  case NTSPOOL_LOG_WARNING:
    return "WARN";
  case NTSPOOL_LOG_INFO:
    return "INFO";
  case NTSPOOL_LOG_DEBUG:
    break;
  }
  return "DEBUG";
}

__attribute__((format(printf, 4, 0))) static void
emit(enum ntspool_log_level level, const char *prefix, const char *component,
     const char *fmt, va_list ap) {
  char line[1024];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  int k = snprintf(line + n, sizeof line - n,
                   ".%06ldZ %-5s %s%s: ", ts.tv_nsec / 1000, level_name(level),
                   prefix, component);
  n += k > 0 ? (size_t)k : 0;
  if (n < sizeof line) {
    k = vsnprintf(line + n, sizeof line - n, fmt, ap);
    n += k > 0 ? (size_t)k : 0;
  }
  if (n > sizeof line - 2) /* truncated: keep the newline */
    n = sizeof line - 2;
  /* One line per call: a stray newline would forge a second entry. */
  for (size_t i = 0; i < n; i++)
    if (line[i] == '\n' || line[i] == '\r')
      line[i] = ' ';
  line[n++] = '\n';
  ssize_t rc = write(STDERR_FILENO, line, n);
  (void)rc; /* nowhere left to report a failed log write */
}

void nts_pool_ke_log(enum ntspool_log_level level, const char *component,
                     const char *fmt, ...) {
  if ((int)level > atomic_load(&log_level))
    return;
  va_list ap;
  va_start(ap, fmt);
  emit(level, "nts_pool_ke::", component, fmt, ap);
  va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void
emit_text(enum ntspool_log_level level, const char *component, const char *fmt,
          ...) {
  va_list ap;
  va_start(ap, fmt);
  emit(level, "ntspool::", component, fmt, ap);
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
