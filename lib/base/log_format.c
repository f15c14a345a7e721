/* SPDX-License-Identifier: BSD-2-Clause */
/* The project's log line format (log.h), shared by the daemon and examples. */
#include <stdio.h>
#include <strings.h>
#include <time.h>

#include "base/internal.h"

int ntspool_log_level_parse(const char *text, enum ntspool_log_level *out) {
  static const struct {
    const char *name;
    enum ntspool_log_level level;
  } names[] = {{"error", NTSPOOL_LOG_ERROR},  {"warning", NTSPOOL_LOG_WARNING},
               {"warn", NTSPOOL_LOG_WARNING}, {"info", NTSPOOL_LOG_INFO},
               {"debug", NTSPOOL_LOG_DEBUG},  {"trace", NTSPOOL_LOG_TRACE}};
  for (size_t i = 0; text && i < sizeof names / sizeof *names; i++)
    if (strcasecmp(text, names[i].name) == 0) {
      *out = names[i].level;
      return 0;
    }
  return NTSPOOL_ERR_CONFIG;
}

const char *ntspool_log_level_name(enum ntspool_log_level level) {
  switch (level) {
  case NTSPOOL_LOG_ERROR:
    return "ERROR";
  case NTSPOOL_LOG_WARNING:
    return "WARN";
  case NTSPOOL_LOG_INFO:
    return "INFO";
  case NTSPOOL_LOG_DEBUG:
    break;
  case NTSPOOL_LOG_TRACE:
    return "TRACE";
  }
  return "DEBUG";
}

const char *ntspool_log_escape(const char *text, char *out, size_t out_len) {
  size_t n = 0;
  for (const char *s = text; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    bool plain = c >= 0x20 && c < 0x7f;
    size_t need = plain ? 1 : 4;
    if (n + need >= out_len)
      break;
    if (plain)
      out[n] = (char)c;
    else
      snprintf(out + n, 5, "\\x%02x", c);
    n += need;
  }
  if (out_len > 0)
    out[n] = '\0';
  return out;
}

static size_t advance(size_t n, int k, size_t cap) {
  n += k > 0 ? (size_t)k : 0;
  return n < cap ? n : cap;
}

size_t ntspool_log_format(char *buf, size_t cap, int64_t unix_sec, long usec,
                          enum ntspool_log_level level, const char *program,
                          const char *component, const char *fmt, va_list ap) {
  if (!buf || cap < 2)
    return 0;
  struct tm tm;
  time_t t = (time_t)unix_sec;
  gmtime_r(&t, &tm);
  size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
  n = advance(n,
              snprintf(buf + n, cap - n, ".%06ldZ %-5s %s::%s: ", usec,
                       ntspool_log_level_name(level), program ? program : "-",
                       component ? component : "-"),
              cap);
  if (n < cap)
    n = advance(n, vsnprintf(buf + n, cap - n, fmt, ap), cap);
  if (n > cap - 2) /* cut: keep room for the newline and the NUL */
    n = cap - 2;
  for (size_t i = 0; i < n; i++)
    if (buf[i] == '\n' || buf[i] == '\r')
      buf[i] = ' ';
  buf[n++] = '\n';
  buf[n] = '\0';
  return n;
}
