/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Upstream transports (upstream_io.h): non-blocking TCP sockets with the
 * library's socket io.  Only the connect waits here, until the deadline
 * the session gives open(); every other wait is the worker's poll() on
 * what the session says it waits on (connection.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "upstream_io.h"

/* Non-blocking connect, waiting at most until `deadline`.  The socket
 * stays non-blocking: the worker waits for it in poll(), told by the
 * session what it waits on (connection.c). */
static int connect_by(const struct addrinfo *ai, ntspool_time_ms deadline) {
  int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
                  ai->ai_protocol);
  if (fd < 0)
    return -1;
  int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    ntspool_time_ms left = deadline - nts_pool_ke_now_ms();
    rc = -1;
    if (left > 0 &&
        poll(&p, 1, left > INT32_MAX ? INT32_MAX : (int)left) == 1 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
      rc = 0;
  }
  if (rc != 0) {
    close(fd);
    return -1;
  }
  return fd; /* ntspool_socket_io sets TCP_NODELAY */
}

static int up_open(void *user_data, const ntspool_upstream_target *t,
                   ntspool_io *io) {
  (void)user_data;
  /* A configured connect-address is where the operator says the source
   * is, whatever the client's family; a domain is resolved in the
   * client's family only (doc/protocol.md section 5.6). */
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_NUMERICSERV};
  if (!t->connect_address)
    hints.ai_family = t->family == 6 ? AF_INET6 : AF_INET;
  char port[8];
  snprintf(port, sizeof port, "%u", t->port);
  const char *host = t->connect_address ? t->connect_address : t->host;
  struct addrinfo *res = NULL;
  int gai = getaddrinfo(host, port, &hints, &res);
  if (gai != 0) {
    NTS_POOL_KE_DEBUG("upstream",
                      "cannot resolve source=%s host=%s family=%d: %s",
                      t->source_name, host, t->family, gai_strerror(gai));
    return NTSPOOL_ERR_IO;
  }
  int fd = -1;
  for (const struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
    fd = connect_by(ai, t->deadline);
  freeaddrinfo(res);
  if (fd < 0) {
    NTS_POOL_KE_DEBUG("upstream", "cannot connect source=%s host=%s port=%u",
                      t->source_name, host, t->port);
    return NTSPOOL_ERR_IO;
  }
  ntspool_socket_io(fd, io);
  return 0;
}

static void up_close(void *user_data, ntspool_io *io) {
  (void)user_data;
  close(ntspool_socket_io_fd(io));
}

static bool up_reusable(void *user_data, ntspool_io *io) {
  (void)user_data;
  struct pollfd p = {.fd = ntspool_socket_io_fd(io), .events = POLLIN};
  return poll(&p, 1, 0) <= 0; /* nothing arrived */
}

ntspool_upstream_ops nts_pool_ke_upstream_ops(const nts_pool_ke_config *cfg) {
  return (ntspool_upstream_ops){.version = NTSPOOL_UPSTREAM_OPS_VERSION,
                                .open = up_open,
                                .close = up_close,
                                .reusable = up_reusable,
                                .user_data = (void *)cfg};
}
