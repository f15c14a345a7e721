/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ntspool_io over a socket the application opened (io.h).  Every program
 * that drives sessions over plain sockets needs exactly this, so it lives
 * here once; the library still never opens, polls or closes a socket.
 */
#include <errno.h>
#include <limits.h>
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

static int socket_recv(void *user_data, uint8_t *buf, size_t len) {
  int fd = (int)(intptr_t)user_data;
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
  *io = (ntspool_io){.version = NTSPOOL_IO_VERSION,
                     .send = socket_send,
                     .recv = socket_recv,
                     .user_data = (void *)(intptr_t)fd};
}

int ntspool_socket_io_fd(const ntspool_io *io) {
  return (int)(intptr_t)io->user_data;
}
