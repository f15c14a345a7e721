/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Concurrent connections per client address, so that one address cannot
 * take every worker of nts-pool-ke ([server] max-connections-per-address).
 * An IPv4 client counts by its address, an IPv6 client by its /64 (the
 * smallest network a provider hands out: one host can hold all of it),
 * an IPv4-mapped IPv6 address as the IPv4 address it stands for.  The
 * address is the client's as the daemon knows it: after the PROXY header
 * when use-proxy-protocol is on.  Thread-safe.
 */
#ifndef NTS_POOL_KE_ADDR_LIMIT_H
#define NTS_POOL_KE_ADDR_LIMIT_H

#include <stdbool.h>
#include <sys/socket.h>

/* Sizes the table for `slots` connections at once (the workers: no more
 * can be counted at the same time).  Returns 0 or -1 (out of memory). */
int nts_pool_ke_addr_limit_init(unsigned slots);

/* Counts one more connection from sa's address or network, unless it has
 * `cap` already.  Returns true when counted (release it later), false
 * when the connection is over the cap. */
bool nts_pool_ke_addr_limit_take(const struct sockaddr *sa, unsigned cap);

/* Ends one connection counted by take(). */
void nts_pool_ke_addr_limit_release(const struct sockaddr *sa);

/* The table's memory (at exit). */
void nts_pool_ke_addr_limit_free(void);

#endif
