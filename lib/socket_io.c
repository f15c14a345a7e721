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
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "internal.h"

static int socket_send(void *user_data, const uint8_t *data, size_t len) {
  int fd = (int)(intptr_t)user_data;
  for (;;) {
    ssize_t n = send(fd, data, len > INT_MAX ? INT_MAX : len, MSG_NOSIGNAL);
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

int ntspool_socket_io_fd(const ntspool_io *io) {
  return (int)(intptr_t)io->user_data;
}
