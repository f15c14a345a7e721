/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Log lines of the example programs, in the project's format (the same as
 * nts-pool-ke's):
 *
 *   2026-11-26T07:05:55.123456Z INFO  time_source::ntp: message key=value
 *
 * UTC with microseconds, level, program::component, message with key=value
 * fields; one write(2) per line on stderr, so threads never interleave.
 * Nothing secret (keys, cookies, tokens) is ever passed in.
 */
#ifndef EXAMPLES_LOG_H
#define EXAMPLES_LOG_H

#include <ntspool.h>

/* Program name written before "::" and the most verbose level shown. */
void ex_log_init(const char *program, enum ntspool_log_level level);

/* "error", "warning" (or "warn"), "info", "debug": 0 and *out, else -1. */
int ex_log_parse_level(const char *text, enum ntspool_log_level *out);

void ex_log(enum ntspool_log_level level, const char *component,
            const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ntspool_log_fn for ntspool_ctx_set_logger: the library's lines appear as
 * "ntspool::<component>". */
void ex_log_library(void *user_data, enum ntspool_log_level level,
                    const char *component, const char *line);

#endif
