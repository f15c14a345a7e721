/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A socket and the library's ntspool_io over it (ntspool_socket_io), kept
 * together for tests, plus O_NONBLOCK switching.
 */
#ifndef NTSPOOL_TEST_SOCKIO_H
#define NTSPOOL_TEST_SOCKIO_H

#include "ntspool/io.h"

typedef struct ntspool_test_sockio {
  ntspool_io io; /* ntspool_socket_io(fd) */
  int fd;
} ntspool_test_sockio;

/* Fills *s for `fd` (not owned: the test closes it). */
void ntspool_test_sockio_init(ntspool_test_sockio *s, int fd);

/* Sets or clears O_NONBLOCK.  Returns 0 or -1 (errno set). */
int ntspool_test_sockio_set_nonblocking(int fd, int on);

#endif
