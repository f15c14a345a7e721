/*
 * libntspool I/O: the only way bytes leave or enter a session.  The library
 * never opens sockets, polls, sleeps, starts threads or reads a clock; it
 * calls these functions and is told the time.
 *
 * Both callbacks may move fewer bytes than asked (a short write is normal)
 * and must not block if the application drives sessions from an event
 * loop: they return NTSPOOL_ERR_WOULD_BLOCK instead, and the application
 * calls the session again when the socket is ready.  Over a blocking socket
 * they simply block.
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

/* Fills *io with send()/recv() on a connected stream socket `fd`, which
 * stays the caller's (the library never opens or closes sockets).  Sends
 * use MSG_NOSIGNAL, so a closed peer is NTSPOOL_ERR_IO, never SIGPIPE; EINTR
 * is retried; EAGAIN (a non-blocking socket, or a blocking one whose
 * SO_RCVTIMEO/SO_SNDTIMEO passed) is NTSPOOL_ERR_WOULD_BLOCK; recv() of 0
 * is NTSPOOL_ERR_EOF.  The fd travels in io->user_data.
 *
 * On a TCP socket it also sets TCP_NODELAY (sessions write each message in
 * one call, so nothing is gained by holding it back) and every recv()
 * first calls ntspool_socket_quickack: a peer that sends a message as
 * several small writes with Nagle's algorithm on would otherwise wait for
 * our delayed ACK (up to 40 ms on Linux) before each one.  Never fails. */
NTSPOOL_API void ntspool_socket_io(int fd, ntspool_io *io);

/* Asks the kernel to acknowledge what arrives on TCP socket `fd` at once
 * (Linux TCP_QUICKACK) rather than delaying the ACK.  Linux leaves
 * quick-ACK mode again on its own, so an application with its own recv
 * callback calls this before each read (ntspool_socket_io's does).  Does
 * nothing where the option does not exist or fd is not TCP.  Never
 * fails. */
NTSPOOL_API void ntspool_socket_quickack(int fd);

/* The fd of an io made by ntspool_socket_io. */
NTSPOOL_API int ntspool_socket_io_fd(const ntspool_io *io);

/* Milliseconds on a monotonic clock chosen by the application; only
 * differences matter.  Sessions are handed "now" and report deadlines in the
 * same unit. */
typedef int64_t ntspool_time_ms;

#ifdef __cplusplus
}
#endif
#endif
