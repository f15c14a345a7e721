/*
 * ntspool_io over a socket for tests; see sockio.h.
 */
#include "support/sockio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/types.h>

static int sock_send(void *user_data, const uint8_t *data, size_t len) {
  ntspool_test_sockio *s = user_data;
  if (len > INT_MAX)
    len = INT_MAX;
  for (;;) {
    ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
    if (n >= 0)
      return n > 0 ? (int)n : NTSPOOL_ERR_WOULD_BLOCK;
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return NTSPOOL_ERR_WOULD_BLOCK;
    return NTSPOOL_ERR_IO;
  }
}

static int sock_recv(void *user_data, uint8_t *buf, size_t len) {
  ntspool_test_sockio *s = user_data;
  if (len > INT_MAX)
    len = INT_MAX;
  for (;;) {
    ssize_t n = recv(s->fd, buf, len, 0);
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

void ntspool_test_sockio_init(ntspool_test_sockio *s, int fd) {
  s->io.version = NTSPOOL_IO_VERSION;
  s->io.send = sock_send;
  s->io.recv = sock_recv;
  s->io.user_data = s;
  s->fd = fd;
}

int ntspool_test_sockio_set_nonblocking(int fd, int on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0)
    return -1;
  flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  return fcntl(fd, F_SETFL, flags);
}
