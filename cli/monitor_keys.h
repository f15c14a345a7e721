/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The monitor keys file (monitoring.json): a JSON array of strings, as
 * the NTS pool's management service publishes them (its /monitor_keys
 * answer, the same format the Rust nts-pool-ke reads).  Each string
 * becomes one [server] monitoring-key of the pool context, which then
 * accepts the monitor's probes (UUID requests) carrying it.  An empty
 * array is valid: no monitor is accepted.  Parsed with jansson.
 */
#ifndef NTS_POOL_KE_MONITOR_KEYS_H
#define NTS_POOL_KE_MONITOR_KEYS_H

#include "server_list.h"

/* Largest monitor keys file read. */
#define NTS_POOL_KE_MONITOR_KEYS_MAX (1u << 20)

/* Translates the keys in text[0..len) (read from `path`, which only names
 * it in messages) into [server] monitoring-key calls on `sink`.  Returns
 * the number of keys, or -1 with one line in err (a key itself is never
 * printed):
 *   "PATH:LINE:COLUMN: ..."   the JSON is malformed
 *   "PATH: entry I: ..."      an entry is not a usable key (I from 0)
 *   "PATH: ..."               anything else */
long nts_pool_ke_monitor_keys_parse(const char *path, const char *text,
                                    size_t len,
                                    const nts_pool_ke_key_sink *sink, char *err,
                                    size_t err_len);

#endif
