/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool logging: the levels and callback the library logs through, and
 * the project's log line format for programs that want to write the same
 * lines (nts-pool-ke, the examples):
 *
 *   2026-11-26T07:05:55.123456Z INFO  nts_pool_ke::pool: message key=value
 *
 * UTC RFC 3339 with microseconds, the level padded to five characters,
 * "program::component", then the message.  The library itself never reads
 * a clock: the caller passes the time.
 */
#ifndef NTSPOOL_LOG_H
#define NTSPOOL_LOG_H

#include <stdarg.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* printf format checking where the compiler has it (GCC, Clang); other
 * C99 compilers see nothing. */
#if defined(__GNUC__)
#define NTSPOOL_PRINTF_FORMAT(fmt, args)                                       \
  __attribute__((format(printf, fmt, args)))
#else
#define NTSPOOL_PRINTF_FORMAT(fmt, args)
#endif

enum ntspool_log_level {
  NTSPOOL_LOG_ERROR = 0,
  NTSPOOL_LOG_WARNING = 1,
  NTSPOOL_LOG_INFO = 2,
  NTSPOOL_LOG_DEBUG = 3,
  /* DEBUG plus one line per NTS-KE record received or sent: type, critical
   * bit, length, and the values of lists (protocols, AEADs), never the
   * bodies of cookies, keys, tokens or names. */
  NTSPOOL_LOG_TRACE = 4
};

/* Receives one formatted line (no newline) with its level and the
 * component that wrote it ("pool", "upstream", "source", "client", "tls").
 * Lines never contain keys, cookies or tokens.  Called from whichever thread
 * drives the session; must be thread-safe if sessions run on several. */
typedef void (*ntspool_log_fn)(void *user_data, enum ntspool_log_level level,
                               const char *component, const char *line);

/* "error", "warning" (or "warn"), "info", "debug", "trace", in any case.
 * Returns 0 and sets *out, or NTSPOOL_ERR_CONFIG. */
NTSPOOL_API int ntspool_log_level_parse(const char *text,
                                        enum ntspool_log_level *out);

/* "ERROR", "WARN", "INFO", "DEBUG" or "TRACE".  Never NULL. */
NTSPOOL_API const char *ntspool_log_level_name(enum ntspool_log_level level);

/* Formats one line into buf[0..cap): the time (unix_sec, usec, UTC), the
 * level, "program::component: ", the printf-formatted message, and "\n".
 * A CR or LF inside the message becomes a space, so one call is always one
 * line (a field cannot forge another entry).  A long message is cut; the
 * line still ends in "\n" and buf is NUL-terminated.  Returns the length
 * without the NUL (0 if cap < 2).  Write it with one write(2) so lines
 * from several threads never interleave. */
NTSPOOL_API size_t ntspool_log_format(char *buf, size_t cap, int64_t unix_sec,
                                      long usec, enum ntspool_log_level level,
                                      const char *program,
                                      const char *component, const char *fmt,
                                      va_list ap) NTSPOOL_PRINTF_FORMAT(8, 0);

/* Copies text from outside (a file, the network) into out[0..out_len),
 * always NUL-terminated and cut if it must be, with every byte outside
 * printable ASCII written as \xNN: one printable line, for reading (a
 * backslash stays as it is).  Returns out. */
NTSPOOL_API const char *ntspool_log_escape(const char *text, char *out,
                                           size_t out_len);

#ifdef __cplusplus
}
#endif
#endif
