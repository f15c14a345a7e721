/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One client connection of nts-pool-ke, from accept to close: the PROXY
 * header when required, then a pool session driven to its end on the
 * blocking socket, then one log line and the metrics.
 */
#ifndef NTS_POOL_KE_CONNECTION_H
#define NTS_POOL_KE_CONNECTION_H

#include "config.h"

/* Serves the accepted socket fd (closed on return) from `peer` with the
 * configuration `cfg` (the caller's reference).  accepted_us
 * (nts_pool_ke_now_us) starts the key-exchange timeout, which covers the
 * PROXY header too, and the session's duration. */
void nts_pool_ke_connection_serve(nts_pool_ke_config *cfg, int fd,
                                  const struct sockaddr_storage *peer,
                                  int64_t accepted_us);

#endif
