/*
 * Upstream transports (upstream_io.h).  Sockets stay blocking, but every
 * wait goes through poll() with the time left before the deadline of the
 * session this worker drives: the library checks its own timeouts only
 * when step() returns, so a transport that blocked past them would hold
 * the worker (and the client) hostage to a silent time source.
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

/* Longest single wait for a source's bytes.  The deadline a worker sets
 * before step() is the one the session had then; entering the upstream
 * phase inside step() moves it earlier (timesource-timeout-ms), which
 * this thread learns only when step() returns.  Waiting in slices bounds
 * how late that is noticed. */
#define SLICE_MS 250

static _Thread_local ntspool_time_ms thread_deadline;

void nts_pool_ke_upstream_set_deadline(ntspool_time_ms deadline) {
  thread_deadline = deadline;
}

/* Milliseconds poll() may wait: until the session's deadline, capped by
 * `cap`; 0 without a deadline. */
static int wait_ms(ntspool_time_ms cap) {
  if (thread_deadline == 0)
    return 0;
  ntspool_time_ms left = thread_deadline - nts_pool_ke_now_ms();
  if (cap > 0 && left > cap)
    left = cap;
  return left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}

static int wait_for(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  for (;;) {
    int n = poll(&p, 1, wait_ms(SLICE_MS));
    if (n >= 0)
      return n;
    if (errno != EINTR)
      return -1;
  }
}

static int up_send(void *user_data, const uint8_t *data, size_t len) {
  int fd = (int)(intptr_t)user_data;
  int ready = wait_for(fd, POLLOUT);
  if (ready == 0)
    return NTSPOOL_ERR_WOULD_BLOCK;
  if (ready < 0)
    return NTSPOOL_ERR_IO;
  ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0)
    return (int)n;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return NTSPOOL_ERR_WOULD_BLOCK;
  return NTSPOOL_ERR_IO;
}

static int up_recv(void *user_data, uint8_t *buf, size_t len) {
  int fd = (int)(intptr_t)user_data;
  /* A source that writes each record on its own with Nagle on waits for
   * our ACK between them (libntspool(3), TCP). */
  ntspool_socket_quickack(fd);
  int ready = wait_for(fd, POLLIN);
  if (ready == 0)
    return NTSPOOL_ERR_WOULD_BLOCK;
  if (ready < 0)
    return NTSPOOL_ERR_IO;
  ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
  if (n > 0)
    return (int)n;
  if (n == 0)
    return NTSPOOL_ERR_EOF;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
    return NTSPOOL_ERR_WOULD_BLOCK;
  return NTSPOOL_ERR_IO;
}

/* Non-blocking connect bounded by the upstream timeout and the session's
 * deadline. */
static int connect_bounded(const struct addrinfo *ai, ntspool_time_ms cap) {
  int fd =
      socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
  if (fd < 0)
    return -1;
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (rc != 0 && errno == EINPROGRESS) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int err = 0;
    socklen_t len = sizeof err;
    int ms = wait_ms(cap);
    rc = -1;
    if (poll(&p, 1, ms) == 1 &&
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
      rc = 0;
  }
  if (rc != 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, flags);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static int up_open(void *user_data, const ntspool_upstream_target *t,
                   ntspool_io *io) {
  const nts_pool_ke_config *cfg = user_data;
  /* A configured connect-address is where the operator says the source
   * is, whatever the client's family; a domain is resolved in the
   * client's family only (PROTOCOL.md 4.8). */
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
    fd = connect_bounded(ai, cfg->upstream_timeout_ms);
  freeaddrinfo(res);
  if (fd < 0) {
    NTS_POOL_KE_DEBUG("upstream", "cannot connect source=%s host=%s port=%u",
                      t->source_name, host, t->port);
    return NTSPOOL_ERR_IO;
  }
  *io = (ntspool_io){.version = NTSPOOL_IO_VERSION,
                     .send = up_send,
                     .recv = up_recv,
                     .user_data = (void *)(intptr_t)fd};
  return 0;
}

static void up_close(void *user_data, ntspool_io *io) {
  (void)user_data;
  close((int)(intptr_t)io->user_data);
}

static int up_readable(void *user_data, ntspool_io *io) {
  (void)user_data;
  struct pollfd p = {.fd = (int)(intptr_t)io->user_data, .events = POLLIN};
  return poll(&p, 1, 0) > 0;
}

ntspool_upstream_ops nts_pool_ke_upstream_ops(const nts_pool_ke_config *cfg) {
  return (ntspool_upstream_ops){.version = NTSPOOL_IO_VERSION,
                                .open = up_open,
                                .close = up_close,
                                .readable = up_readable,
                                .user_data = (void *)cfg};
}
