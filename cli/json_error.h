/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One-line error messages about the JSON files the daemon reads (the
 * server list, the monitor keys).  A message goes to the log as one line,
 * so no byte of a file may break it, and the monitor keys are secrets, so
 * none of their text may be in it.
 */
#ifndef NTS_POOL_KE_JSON_ERROR_H
#define NTS_POOL_KE_JSON_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Writes "PATH:LINE:COLUMN: WHAT" for a file jansson could not parse.
 * jansson's WHAT ends with up to 20 bytes of the file near the error;
 * with `quote_input` they stay, escaped as by ntspool_log_escape, and
 * without it they are left out. */
void nts_pool_ke_json_syntax_error(const char *path, const json_error_t *je,
                                   bool quote_input, char *err, size_t err_len);

#endif
