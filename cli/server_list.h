/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The server list file (servers.json): the time sources as the NTS pool's
 * management service publishes them (its /poolke_servers answer), an
 * array of objects:
 *
 *   uuid            string, required, unique (also the source's name)
 *   domain          string, required: TLS name, deny name, connect host
 *   port            integer 1..65535, required
 *   weight          integer 0..1000000            (1)
 *   base-key-index  integer 0..65535              (0)
 *   randomizer      string                        ("")
 *   regions         array of strings              ([]: global only)
 *   ipv4-capable    boolean                       (true)
 *   ipv6-capable    boolean                       (true)
 *
 * Other members are ignored (management may add some).  Each entry becomes
 * the keys of an [upstream UUID] section (uuid, domain, port, weight,
 * base-key-index, randomizer, regions, ipv4, ipv6), so its token is derived
 * from [upstream-tls] base-shared-secret-path like any source's.
 * Parsed with jansson.
 */
#ifndef NTS_POOL_KE_SERVER_LIST_H
#define NTS_POOL_KE_SERVER_LIST_H

#include <stddef.h>
#include <stdint.h>

/* Where the translated keys go: set() as ntspool_ctx_set (0 or an error
 * status), error() the reason for the last failure ("" if none). */
typedef struct nts_pool_ke_key_sink {
  int (*set)(void *user, const char *section, const char *name,
             const char *value);
  const char *(*error)(void *user);
  void *user;
} nts_pool_ke_key_sink;

/* Largest list file read (a 10,000-source list is about 2 MiB). */
#define NTS_POOL_KE_SERVER_LIST_MAX (64u << 20)

/* Translates the list in text[0..len) (read from `path`, which only names
 * it in messages) into keys for `sink`.  Returns the number of sources, or
 * -1 with one line in err:
 *   "PATH:LINE:COLUMN: ..."              the JSON is malformed
 *   "PATH: entry I (uuid U): ..."        an entry is wrong (I from 0)
 *   "PATH: ..."                          anything else */
long nts_pool_ke_server_list_parse(const char *path, const char *text,
                                   size_t len, const nts_pool_ke_key_sink *sink,
                                   char *err, size_t err_len);

#endif
