/*
 * ntspool_io over a socket file descriptor, for tests (blocking or not: a
 * non-blocking socket yields NTSPOOL_ERR_WOULD_BLOCK on EAGAIN).  Sends use
 * MSG_NOSIGNAL so a closed peer is an error, not a SIGPIPE.
 */
#ifndef NTSPOOL_TEST_SOCKIO_H
#define NTSPOOL_TEST_SOCKIO_H

#include "ntspool/io.h"

typedef struct ntspool_test_sockio {
  ntspool_io io; /* io.user_data points at this struct */
  int fd;
} ntspool_test_sockio;

/* Fills *s for `fd` (not owned: the test closes it). */
void ntspool_test_sockio_init(ntspool_test_sockio *s, int fd);

/* Sets or clears O_NONBLOCK.  Returns 0 or -1 (errno set). */
int ntspool_test_sockio_set_nonblocking(int fd, int on);

#endif
