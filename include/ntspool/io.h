/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool I/O: the only way bytes leave or enter a session.  The library
 * never opens sockets, polls, sleeps, starts threads or reads a clock; it
 * calls these functions and is told the time.
 *
 * Both callbacks may move fewer bytes than asked (a short write is normal)
 * and must not block if the application drives sessions from an event
 * loop: they return NTSPOOL_ERR_WOULD_BLOCK instead, and the application
 * calls the session again when the socket is ready in the direction
 * ntspool_session_wants() names.  Callbacks that block must return by the
 * session's deadline (ntspool_socket_io_deadline does), or the session
 * cannot enforce it: it only sees the time when step() is called.
 */
#ifndef NTSPOOL_IO_H
#define NTSPOOL_IO_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NTSPOOL_IO_VERSION 1

typedef struct ntspool_io {
  int version; /* NTSPOOL_IO_VERSION */

  /* Send up to len bytes.  Returns the number sent (> 0),
   * NTSPOOL_ERR_WOULD_BLOCK, or NTSPOOL_ERR_IO. */
  int (*send)(void *user_data, const uint8_t *data, size_t len);

  /* Receive up to len bytes.  Returns the number received (> 0),
   * NTSPOOL_ERR_WOULD_BLOCK, NTSPOOL_ERR_EOF when the peer closed the
   * transport, or NTSPOOL_ERR_IO. */
  int (*recv)(void *user_data, uint8_t *buf, size_t len);

  void *user_data;
} ntspool_io;

/* The directions a transport is waited on (ntspool_session_wants). */
#define NTSPOOL_IO_READ 1u
#define NTSPOOL_IO_WRITE 2u

/* Fills *io with send()/recv() on a connected stream socket `fd`, which
 * stays the caller's (the library never opens or closes sockets).  Sends
 * use MSG_NOSIGNAL, so a closed peer is NTSPOOL_ERR_IO, never SIGPIPE; EINTR
 * is retried; EAGAIN (a non-blocking socket, or a blocking one whose
 * SO_RCVTIMEO/SO_SNDTIMEO passed) is NTSPOOL_ERR_WOULD_BLOCK; recv() of 0
 * is NTSPOOL_ERR_EOF.  The fd travels in io->user_data.  Never fails.
 * Use it on non-blocking sockets an event loop watches; on a blocking
 * socket a peer that sends a byte now and then keeps a recv() going past
 * any deadline (SO_RCVTIMEO restarts with each byte): use
 * ntspool_socket_io_deadline there.
 *
 * On a TCP socket it also sets TCP_NODELAY (sessions write each message in
 * one call, so nothing is gained by holding it back) and every recv()
 * first calls ntspool_socket_quickack: a peer that sends a message as
 * several small writes with Nagle's algorithm on would otherwise wait for
 * our delayed ACK (up to 40 ms on Linux) before each one. */
NTSPOOL_API void ntspool_socket_io(int fd, ntspool_io *io);

/* Asks the kernel to acknowledge what arrives on TCP socket `fd` at once
 * (Linux TCP_QUICKACK) rather than delaying the ACK.  Linux leaves
 * quick-ACK mode again on its own, so an application with its own recv
 * callback calls this before each read (ntspool_socket_io's does).  Does
 * nothing where the option does not exist or fd is not TCP.  Never
 * fails. */
NTSPOOL_API void ntspool_socket_quickack(int fd);

/* A socket and the time its I/O must not wait past. */
typedef struct ntspool_socket {
  int fd;
  /* Milliseconds of CLOCK_MONOTONIC (tv_sec * 1000 + tv_nsec / 1000000):
   * give sessions driven over this io "now" from the same clock.  0: no
   * deadline, calls wait as long as the socket does. */
  ntspool_time_ms deadline;
} ntspool_socket;

/* Fills *io with send()/recv() on sock->fd (blocking or not) that never
 * wait past sock->deadline: each call first waits in poll() for at most the
 * time left, then moves what it can without blocking, with the conventions
 * of ntspool_socket_io.  The deadline passing is NTSPOOL_ERR_WOULD_BLOCK,
 * so the session's next step() sees its own deadline and ends.  This is
 * the one place the library reads a clock besides TLS certificate dates.
 * io->user_data is sock, which stays the caller's and must outlive the io;
 * the caller may change sock->deadline at any time between calls: the
 * driving loop sets it to ntspool_session_deadline() before every step()
 * (session.h).  Never fails. */
NTSPOOL_API void ntspool_socket_io_deadline(ntspool_socket *sock,
                                            ntspool_io *io);

/* The fd of an io made by ntspool_socket_io or ntspool_socket_io_deadline
 * (also the copy ntspool_session_wants points to). */
NTSPOOL_API int ntspool_socket_io_fd(const ntspool_io *io);

#ifdef __cplusplus
}
#endif
#endif
