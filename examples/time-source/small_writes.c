/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * --small-writes: the example time source behaving like servers that write
 * each NTS record of an answer on its own, in a small TLS record and a
 * write() of its own, with Nagle's algorithm on.  Such a peer sends its
 * second piece only once the first is acknowledged, so a pool that delays
 * its ACKs (Linux: up to 40 ms) stalls on every session; the bench and the
 * integration tests use this mode to show that nts-pool-ke does not.
 *
 * The library writes each answer as one TLS record, and the example sees
 * only ciphertext, so the pieces are cut from that record: every write
 * after the handshake flight leaves in pieces of --small-writes bytes (about
 * one NTS record), each with its own send().  On the wire that is the same
 * sequence of small segments, each waiting for the previous one's ACK.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <sys/socket.h>

#include "time_source.h"

static int small_send(void *user_data, const uint8_t *data, size_t len) {
  ts_small_io *s = user_data;
  /* The handshake flight goes out as TLS wrote it; answers are cut. */
  size_t piece = s->answering ? s->piece : len;
  size_t done = 0;
  while (done < len) {
    size_t n = len - done < piece ? len - done : piece;
    ssize_t w = send(s->fd, data + done, n, MSG_NOSIGNAL);
    if (w > 0) {
      done += (size_t)w;
      s->sent = true;
      continue;
    }
    if (w < 0 && errno == EINTR)
      continue;
    if (done > 0)
      break; /* report what went; the library sends the rest again */
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return NTSPOOL_ERR_WOULD_BLOCK;
    return NTSPOOL_ERR_IO;
  }
  return (int)done;
}

static int small_recv(void *user_data, uint8_t *buf, size_t len) {
  ts_small_io *s = user_data;
  int n = s->inner.recv(s->inner.user_data, buf, len);
  /* Bytes from the client after we sent something: the handshake flight
   * is behind us, what we write next answers a request. */
  if (n > 0 && s->sent)
    s->answering = true;
  return n;
}

void ts_small_writes_io(int fd, size_t piece, ts_small_io *s, ntspool_io *io) {
  *s = (ts_small_io){.fd = fd, .piece = piece};
  ntspool_socket_io(fd, &s->inner);
  /* Nagle on, as such servers leave it (ntspool_socket_io turned it off). */
  int zero = 0;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof zero);
  *io = (ntspool_io){.version = NTSPOOL_IO_VERSION,
                     .send = small_send,
                     .recv = small_recv,
                     .user_data = s};
}
