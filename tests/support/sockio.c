/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ntspool_io over a socket for tests; see sockio.h.
 */
#include "support/sockio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/types.h>

void ntspool_test_sockio_init(ntspool_test_sockio *s, int fd) {
  ntspool_socket_io(fd, &s->io);
  s->fd = fd;
}

int ntspool_test_sockio_set_nonblocking(int fd, int on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0)
    return -1;
  flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  return fcntl(fd, F_SETFL, flags);
}
