/* Log lines on stderr in the project's format (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *log_program = "example";
static atomic_int log_level = NTSPOOL_LOG_INFO;

void ex_log_init(const char *program, enum ntspool_log_level level) {
  log_program = program;
  atomic_store(&log_level, (int)level);
}

int ex_log_parse_level(const char *text, enum ntspool_log_level *out) {
  static const struct {
    const char *name;
    enum ntspool_log_level level;
  } names[] = {{"error", NTSPOOL_LOG_ERROR},
               {"warning", NTSPOOL_LOG_WARNING},
               {"warn", NTSPOOL_LOG_WARNING},
               {"info", NTSPOOL_LOG_INFO},
               {"debug", NTSPOOL_LOG_DEBUG}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(text, names[i].name) == 0) {
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

/* The attribute lets the compiler check callers' formats through va_list. */
__attribute__((format(printf, 4, 0))) static void
emit(enum ntspool_log_level level, const char *program, const char *component,
     const char *fmt, va_list ap) {
  char line[1024];
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  int k = snprintf(line + n, sizeof line - n,
                   ".%06ldZ %-5s %s::%s: ", ts.tv_nsec / 1000,
                   level_name(level), program, component);
  n += k > 0 ? (size_t)k : 0;
  if (n < sizeof line) {
    k = vsnprintf(line + n, sizeof line - n, fmt, ap);
    n += k > 0 ? (size_t)k : 0;
  }
  if (n > sizeof line - 2) /* truncated: keep room for the newline */
    n = sizeof line - 2;
  /* One entry per call: a newline inside a field would forge another. */
  for (size_t i = 0; i < n; i++)
    if (line[i] == '\n' || line[i] == '\r')
      line[i] = ' ';
  line[n++] = '\n';
  ssize_t rc = write(STDERR_FILENO, line, n);
  (void)rc; /* nowhere left to report a failed log write */
}

void ex_log(enum ntspool_log_level level, const char *component,
            const char *fmt, ...) {
  if ((int)level > atomic_load(&log_level))
    return;
  va_list ap;
  va_start(ap, fmt);
  emit(level, log_program, component, fmt, ap);
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

void ex_log_library(void *user_data, enum ntspool_log_level level,
                    const char *component, const char *line) {
  (void)user_data;
  if ((int)level > atomic_load(&log_level))
    return;
  emit_text(level, component ? component : "lib", "%s", line);
}
