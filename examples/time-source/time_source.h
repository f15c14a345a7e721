/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The example NTS time source: shared state of its three parts.
 *
 *   main.c  options, the library context, signals, the poll loop
 *   ke.c    NTS-KE: one thread per accepted TCP connection, each driving
 *           one library session (ordinary clients and pools alike)
 *   ntp.c   the NTS-protected NTPv4 responder on the UDP socket
 *   small_writes.c  --small-writes: answers in small pieces, Nagle on
 *
 * The library does the key exchange and calls make_cookies(); everything
 * about cookies and NTP packets is this program's own (examples/common).
 */
#ifndef TIME_SOURCE_H
#define TIME_SOURCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <ntspool.h>

#include "common/cookie.h"
#include "common/nts_server.h"

/* Concurrent KE connections; more are closed at once (a pool keeps a few
 * alive, ordinary clients come and go within the KE timeout). */
#define TS_MAX_CONNECTIONS 128

typedef struct ts_server {
  ntspool_ctx *ctx;
  cookie_jar jar;
  nts_server nts;
  int ke_fd, ntp_fd;
  int grace_ms;        /* how long sessions may finish after a stop request */
  size_t small_writes; /* --small-writes piece size, 0: off */
  atomic_bool stopping;
  int stop_pipe[2]; /* readable once stopping: wakes connection threads */

  pthread_mutex_t lock; /* guards active */
  pthread_cond_t idle;  /* signalled when active drops */
  int active;           /* KE connection threads running */

  atomic_ulong ke_ok, ke_failed, ke_refused;
  atomic_ulong ntp_time, ntp_nak, ntp_dropped;
} ts_server;

/* Seconds on the monotonic clock: the cookie jar's time, so key rotation
 * follows elapsed time whatever happens to the wall clock. */
int64_t ts_mono_s(void);

/* ntspool_source_ops.make_cookies: user_data is the ts_server. */
int ts_make_cookies(void *user_data, uint16_t protocol, uint16_t aead,
                    const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                    ntspool_cookie *cookies, size_t max);

/* Accepts one pending connection and starts its thread. */
void ts_ke_accept(ts_server *ts);

/* Waits until no connection thread runs or timeout_ms passed; returns
 * how many still run. */
int ts_ke_wait(ts_server *ts, int timeout_ms);

/* The transport of one KE connection in --small-writes mode. */
typedef struct ts_small_io {
  ntspool_io inner; /* ntspool_socket_io on fd, for reads */
  int fd;
  size_t piece;   /* bytes per write() of an answer */
  bool sent;      /* something was written on this connection */
  bool answering; /* past the handshake flight: cut writes into pieces */
} ts_small_io;

/* Fills *io for connection `fd`: reads as ntspool_socket_io, Nagle on,
 * every write after the handshake flight sent in pieces of `piece` bytes,
 * one send() each.  *s holds the state and must outlive the io. */
void ts_small_writes_io(int fd, size_t piece, ts_small_io *s, ntspool_io *io);

/* Answers the datagrams waiting on the NTP socket (a bounded batch). */
void ts_ntp_serve(ts_server *ts);

/* The current time as an NTP timestamp (CLOCK_REALTIME, read only). */
uint64_t ts_ntp_now(void *unused);

#endif
