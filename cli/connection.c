/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Client connections (connection.h).  A worker drives one session over
 * non-blocking sockets: after each step() it waits in poll() for the one
 * socket, and the direction, the session says it waits on, never past the
 * session's deadline.  So a client (or a time source) that trickles bytes
 * holds a worker no longer than the key-exchange (or upstream) timeout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr_limit.h"
#include "connection.h"
#include "log.h"
#include "metrics.h"
#include "upstream_io.h"

/* Reads the PROXY v2 header without reading past it (the TLS handshake
 * follows in the same stream).  Returns 0 with *peer replaced by the
 * client's address (kept for LOCAL), or -1. */
static int read_proxy(int fd, struct sockaddr_storage *peer,
                      ntspool_time_ms deadline) {
  uint8_t small[NTSPOOL_PROXY_FIXED_LEN + 216];
  uint8_t *buf = small;
  size_t have = NTSPOOL_PROXY_FIXED_LEN;
  ntspool_proxy_result r;
  int rc = -1;
  if (nts_pool_ke_read_exact(fd, buf, have, deadline) != 0)
    return -1;
  /* At most two rounds: the fixed part tells the whole length. */
  for (int round = 0; round < 2; round++) {
    rc = ntspool_proxy_parse(buf, have, &r);
    if (rc != NTSPOOL_ERR_NEED_MORE)
      break;
    if (r.needed > sizeof small && buf == small) {
      buf = malloc(r.needed);
      if (!buf)
        return -1;
      memcpy(buf, small, have);
    }
    if (nts_pool_ke_read_exact(fd, buf + have, r.needed - have, deadline)) {
      rc = -1;
      break;
    }
    have = r.needed;
  }
  if (buf != small)
    free(buf);
  if (rc < 0)
    return -1;
  if (r.local)
    return 0;
  memset(peer, 0, sizeof *peer);
  if (r.family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)peer;
    a->sin_family = AF_INET;
    memcpy(&a->sin_addr, r.address, 4);
    a->sin_port = htons(r.port);
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)peer;
    a->sin6_family = AF_INET6;
    memcpy(&a->sin6_addr, r.address, 16);
    a->sin6_port = htons(r.port);
  }
  return 0;
}

/* The family selection sees: an IPv4-mapped IPv6 peer is an IPv4 client
 * (doc/protocol.md section 5.1). */
static int family_of(const struct sockaddr_storage *ss) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (ss->ss_family != AF_INET6)
    return 4;
  const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
  return memcmp(a->sin6_addr.s6_addr, mapped, 12) == 0 ? 4 : 6;
}

/* The library classifies every session (ntspool_outcome.result); the
 * daemon only names the classes as its metrics always have. */
static enum nts_pool_ke_outcome outcome_of(const ntspool_outcome *o) {
  switch (o->result) {
  case NTSPOOL_RESULT_OK:
    return NTS_POOL_KE_OK;
  case NTSPOOL_RESULT_NO_OVERLAP:
    return NTS_POOL_KE_NO_OVERLAP;
  case NTSPOOL_RESULT_NTS_ERROR:
    return NTS_POOL_KE_ERROR_RESPONSE;
  case NTSPOOL_RESULT_TIMEOUT:
    return NTS_POOL_KE_TIMEOUT;
  case NTSPOOL_RESULT_TLS:
    return NTS_POOL_KE_TLS_ERROR;
  case NTSPOOL_RESULT_INTERNAL:
    return NTS_POOL_KE_INTERNAL;
  default: /* DROPPED; a pool session has no BAD_RESPONSE or PENDING */
    return NTS_POOL_KE_DROPPED;
  }
}

/* Where the client is, given to the session as its regions; the levels
 * are kept for the metrics. */
static void locate(const nts_pool_ke_config *cfg, ntspool_session *s,
                   const struct sockaddr_storage *peer,
                   nts_pool_ke_geo_result *where) {
  memset(where, 0, sizeof *where);
  if (!cfg->geo)
    return;
  nts_pool_ke_geo_lookup(cfg->geo, (const struct sockaddr *)peer, where);
  const char *names[2] = {where->names[0], where->names[1]};
  if (where->n > 0 && ntspool_session_set_regions(s, names, where->n) != 0)
    where->n = 0;
}

/* Counts the set a source came from (metrics.h). */
static void count_selection(const nts_pool_ke_geo_result *where,
                            const ntspool_outcome *o) {
  if (!o->source_name)
    return;
  enum nts_pool_ke_geo_level level = NTS_POOL_KE_GEO_GLOBAL;
  if (o->region >= 1 && o->region <= where->n)
    level = where->level[o->region - 1];
  nts_pool_ke_metrics_selection(level, o->subpool);
}

static void finish(enum nts_pool_ke_outcome outcome, const char *peer,
                   int64_t accepted_us, const ntspool_outcome *o) {
  int64_t us = nts_pool_ke_now_us() - accepted_us;
  static const ntspool_outcome none = {0};
  if (!o)
    o = &none;
  nts_pool_ke_metrics_session(outcome, us, o->monitor, o->sent_error,
                              o->nts_error);
  char extra[200] = "";
  if (o->region || o->subpool) /* not the whole global set */
    snprintf(extra, sizeof extra, " region=%u subpool=%u", o->region,
             o->subpool);
  if (o->sent_error) {
    size_t n = strlen(extra);
    snprintf(extra + n, sizeof extra - n, " nts_error=%u", o->nts_error);
  }
  if (o->status != 0) {
    size_t n = strlen(extra);
    snprintf(extra + n, sizeof extra - n, " reason=\"%s\"",
             ntspool_strerror(o->status));
  }
  NTS_POOL_KE_INFO("session",
                   "client session peer=%s outcome=%s source=%s "
                   "duration_ms=%.3f%s%s",
                   peer, nts_pool_ke_outcome_name(outcome),
                   o->source_name ? o->source_name : "-", (double)us / 1000.0,
                   o->monitor ? " monitor=yes" : "", extra);
}

/* A client address over max-connections-per-address: closed at once,
 * counted, and said at most once per 10 s however hard it pushes (the
 * daemon has no notice level: warning). */
static void refuse_over_cap(const nts_pool_ke_config *cfg, const char *peer) {
  static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  static ntspool_time_ms next_line;
  static unsigned long unsaid;
  nts_pool_ke_metrics_refused(NTS_POOL_KE_ADDRESS_LIMIT);
  ntspool_time_ms now = nts_pool_ke_now_ms();
  pthread_mutex_lock(&lock);
  bool say = now >= next_line;
  unsigned long before = unsaid;
  if (say) {
    next_line = now + 10000;
    unsaid = 0;
  } else {
    unsaid++;
  }
  pthread_mutex_unlock(&lock);
  if (say)
    NTS_POOL_KE_WARN("session",
                     "connection refused peer=%s: max-connections-per-address"
                     "=%u reached; refused_unlogged=%lu",
                     peer, cfg->max_per_address, before);
}

/* Waits until the transport the session waits on is ready or its
 * deadline passed (either way the next step() decides). */
static void wait_session(const ntspool_session *s) {
  const ntspool_io *io;
  unsigned want = ntspool_session_wants(s, &io);
  if (!want)
    return; /* a new deadline, nothing to wait for */
  struct pollfd p = {.fd = ntspool_socket_io_fd(io),
                     .events =
                         (short)((want & NTSPOOL_IO_READ ? POLLIN : 0) |
                                 (want & NTSPOOL_IO_WRITE ? POLLOUT : 0))};
  ntspool_time_ms left = ntspool_session_deadline(s) - nts_pool_ke_now_ms();
  if (left > 0)
    poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left);
}

void nts_pool_ke_connection_serve(nts_pool_ke_config *cfg, int fd,
                                  const struct sockaddr_storage *from,
                                  int64_t accepted_us) {
  ntspool_time_ms accepted_at = accepted_us / 1000;
  struct sockaddr_storage peer = *from;
  char text[NTS_POOL_KE_ADDR_TEXT];
  nts_pool_ke_metrics_active(1);

  if (cfg->use_proxy) {
    nts_pool_ke_addr_text((const struct sockaddr *)from, text);
    if (!nts_pool_ke_cidr_match(cfg->trusted, cfg->n_trusted,
                                (const struct sockaddr *)from)) {
      /* Only a trusted balancer may name the client: anyone else could
       * claim any address (doc/protocol.md section 9). */
      finish(NTS_POOL_KE_PROXY_UNTRUSTED, text, accepted_us, NULL);
      goto out;
    }
    /* Part of the handshake: a balancer sends it at once. */
    ntspool_time_ms proxy_ms = cfg->handshake_timeout_ms < cfg->ke_timeout_ms
                                   ? cfg->handshake_timeout_ms
                                   : cfg->ke_timeout_ms;
    if (read_proxy(fd, &peer, accepted_at + proxy_ms) != 0) {
      finish(NTS_POOL_KE_PROXY_INVALID, text, accepted_us, NULL);
      goto out;
    }
    nts_pool_ke_addr_unmap(&peer); /* a TCP6 header may carry one */
  }
  nts_pool_ke_addr_text((const struct sockaddr *)&peer, text);
  /* Counted on the client's own address: after PROXY, if any. */
  if (!nts_pool_ke_addr_limit_take((const struct sockaddr *)&peer,
                                   cfg->max_per_address)) {
    refuse_over_cap(cfg, text);
    goto out;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  ntspool_io io;
  ntspool_socket_io(fd, &io);
  ntspool_peer who = {.family = family_of(&peer), .address = text};
  ntspool_session *s = NULL;
  int rc = ntspool_session_new_server(cfg->ctx, &io, &who, accepted_at, &s);
  if (rc) {
    NTS_POOL_KE_ERROR("session", "cannot start a session peer=%s: %s", text,
                      ntspool_strerror(rc));
    finish(NTS_POOL_KE_INTERNAL, text, accepted_us, NULL);
    goto done;
  }
  nts_pool_ke_geo_result where;
  locate(cfg, s, &peer, &where);
  ntspool_outcome o = {0};
  /* A probe is known once its request was read: from then on it counts
   * among the active monitors. */
  while ((rc = ntspool_session_step(s, nts_pool_ke_now_ms())) ==
         NTSPOOL_ERR_WOULD_BLOCK) {
    if (!o.monitor) {
      ntspool_session_outcome(s, &o);
      if (o.monitor)
        nts_pool_ke_metrics_active_monitors(1);
    }
    wait_session(s);
  }
  bool counted = o.monitor;
  ntspool_session_outcome(s, &o);
  if (counted)
    nts_pool_ke_metrics_active_monitors(-1);
  count_selection(&where, &o);
  finish(outcome_of(&o), text, accepted_us, &o);
  ntspool_session_free(s);
done:
  nts_pool_ke_addr_limit_release((const struct sockaddr *)&peer);
out:
  close(fd);
  nts_pool_ke_metrics_active(-1);
}
