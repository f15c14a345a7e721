/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool: an embeddable NTS pool (RFC 8915 NTS-KE with the pool
 * extensions).  This umbrella header is the whole public API; the parts:
 *
 *   ntspool/common.h   version, status codes, allocator, byte views,
 *                      address family, time
 *   ntspool/record.h   record encode/decode, numbering, message framing
 *   ntspool/message.h  message validation per kind, message builders
 *   ntspool/io.h       transport callbacks, socket helpers
 *   ntspool/policy.h   pool policy: sources, selection, health, caches
 *   ntspool/log.h      log levels, callback and the log line format
 *   ntspool/session.h  contexts and sessions of the roles (pool, time
 *                      source, pool-aware client)
 *   ntspool/proxy.h    PROXY protocol v2 header parser (behind a balancer)
 *   ntspool/poolclient.h  keeping N distinct sources from one pool (clients)
 *
 * Link with `pkg-config --cflags --libs libntspool`.
 */
#ifndef NTSPOOL_H
#define NTSPOOL_H

#include "ntspool/common.h"
#include "ntspool/record.h"
#include "ntspool/message.h"
#include "ntspool/io.h"
#include "ntspool/policy.h"
#include "ntspool/log.h"
#include "ntspool/session.h"
#include "ntspool/proxy.h"
#include "ntspool/poolclient.h"

#endif
