/* SPDX-License-Identifier: BSD-2-Clause */
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
  return ntspool_log_level_parse(text, out) == 0 ? 0 : -1;
}

/* The attribute lets the compiler check callers' formats through va_list. */
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
