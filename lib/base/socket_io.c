/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ntspool_io over a socket the application opened (io.h).  Every program
 * that drives sessions over plain sockets needs exactly this, so it lives
 * here once; the library still never opens, polls or closes a socket.
 *
 * TCP options.  An NTS-KE exchange is a handful of small TLS records each
 * way.  A peer that writes them one by one with Nagle's algorithm on
 * holds its second record until the first is acknowledged, and Linux
 * delays that acknowledgement by up to 40 ms: every session would pay it.
 * So every read re-arms TCP_QUICKACK (Linux clears it again on its own),
 * and since the library writes each message whole, TCP_NODELAY costs no
 * extra packets and keeps our own records from waiting on the peer's ACK.
 * Both are best effort: on a socket that is not TCP they simply fail.
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "base/internal.h"

static int send_flags(int fd, const uint8_t *data, size_t len, int flags) {
  for (;;) {
    ssize_t n =
        send(fd, data, len > INT_MAX ? INT_MAX : len, MSG_NOSIGNAL | flags);
    if (n > 0)
      return (int)n;
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0 || errno == EAGAIN || errno == EWOULDBLOCK)
      return NTSPOOL_ERR_WOULD_BLOCK;
    return NTSPOOL_ERR_IO;
  }
}

void ntspool_socket_quickack(int fd) {
#ifdef TCP_QUICKACK
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
#else
  (void)fd;
#endif
}

static int socket_send(void *user_data, const uint8_t *data, size_t len) {
  return send_flags((int)(intptr_t)user_data, data, len, 0);
}

static int socket_recv(void *user_data, uint8_t *buf, size_t len) {
  int fd = (int)(intptr_t)user_data;
  ntspool_socket_quickack(fd);
  for (;;) {
    ssize_t n = recv(fd, buf, len > INT_MAX ? INT_MAX : len, 0);
    if (n > 0)
      return (int)n;
    if (n == 0)
      return NTSPOOL_ERR_EOF;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return NTSPOOL_ERR_WOULD_BLOCK;
    return NTSPOOL_ERR_IO;
  }
}

void ntspool_socket_io(int fd, ntspool_io *io) {
  int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  *io = (ntspool_io){.version = NTSPOOL_IO_VERSION,
                     .send = socket_send,
                     .recv = socket_recv,
                     .user_data = (void *)(intptr_t)fd};
}

/* ---- Bounded by a deadline ----------------------------------------------
 *
 * A blocking recv() that a peer feeds one byte at a time never times out
 * (SO_RCVTIMEO restarts with every byte), so each call waits in poll() for
 * no longer than the time left, then moves bytes without blocking.  The
 * session never reads a clock; this adapter, which the application chose,
 * does. */

static ntspool_time_ms monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ntspool_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when fd is ready for `events` before sock's deadline, 0 when the
 * deadline came first, -1 on failure. */
static int wait_ready(const ntspool_socket *sock, short events) {
  for (;;) {
    int ms = -1;
    if (sock->deadline) {
      ntspool_time_ms left = sock->deadline - monotonic_ms();
      ms = left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
    }
    struct pollfd p = {.fd = sock->fd, .events = events};
    int n = poll(&p, 1, ms);
    if (n >= 0)
      return n > 0;
    if (errno != EINTR)
      return -1;
  }
}

/* A blocking send() would wait for room for all of len: never. */
static int deadline_send(void *user_data, const uint8_t *data, size_t len) {
  ntspool_socket *sock = user_data;
  int ready = wait_ready(sock, POLLOUT);
  if (ready <= 0)
    return ready == 0 ? NTSPOOL_ERR_WOULD_BLOCK : NTSPOOL_ERR_IO;
  return send_flags(sock->fd, data, len, MSG_DONTWAIT);
}

/* Readable: recv() returns what is there, or EOF, without waiting. */
static int deadline_recv(void *user_data, uint8_t *buf, size_t len) {
  ntspool_socket *sock = user_data;
  /* Before the wait: the ACK that matters is the one for what arrives
   * during it. */
  ntspool_socket_quickack(sock->fd);
  int ready = wait_ready(sock, POLLIN);
  if (ready <= 0)
    return ready == 0 ? NTSPOOL_ERR_WOULD_BLOCK : NTSPOOL_ERR_IO;
  return socket_recv((void *)(intptr_t)sock->fd, buf, len);
}

void ntspool_socket_io_deadline(ntspool_socket *sock, ntspool_io *io) {
  int one = 1;
  (void)setsockopt(sock->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  *io = (ntspool_io){.version = NTSPOOL_IO_VERSION,
                     .send = deadline_send,
                     .recv = deadline_recv,
                     .user_data = sock};
}

int ntspool_socket_io_fd(const ntspool_io *io) {
  if (io->send == deadline_send)
    return ((const ntspool_socket *)io->user_data)->fd;
  return (int)(intptr_t)io->user_data;
}
