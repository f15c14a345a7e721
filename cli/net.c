/* SPDX-License-Identifier: BSD-2-Clause */
/* Socket helpers (net.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

int64_t nts_pool_ke_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

ntspool_time_ms nts_pool_ke_now_ms(void) {
  return nts_pool_ke_now_us() / 1000;
}

static int parse_port(const char *s, uint16_t *out) {
  if (*s < '0' || *s > '9')
    return -1;
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || *end || v > 65535)
    return -1;
  *out = (uint16_t)v;
  return 0;
}

int nts_pool_ke_parse_addr(const char *text, nts_pool_ke_addr *out) {
  char host[64];
  const char *port;
  memset(out, 0, sizeof *out);
  if (text[0] == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof host)
      return -1;
    memcpy(host, text + 1, (size_t)(close - text - 1));
    host[close - text - 1] = '\0';
    port = close + 2;
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->ss;
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1 ||
        parse_port(port, &a->sin6_port))
      return -1;
    a->sin6_port = htons(a->sin6_port);
    out->len = sizeof *a;
    return 0;
  }
  const char *colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof host)
    return -1;
  memcpy(host, text, (size_t)(colon - text));
  host[colon - text] = '\0';
  struct sockaddr_in *a = (struct sockaddr_in *)&out->ss;
  a->sin_family = AF_INET;
  if (inet_pton(AF_INET, host, &a->sin_addr) != 1 ||
      parse_port(colon + 1, &a->sin_port))
    return -1;
  a->sin_port = htons(a->sin_port);
  out->len = sizeof *a;
  return 0;
}

int nts_pool_ke_parse_cidr(const char *text, nts_pool_ke_cidr *out) {
  char host[64];
  const char *slash = strchr(text, '/');
  size_t n = slash ? (size_t)(slash - text) : strlen(text);
  if (n == 0 || n >= sizeof host)
    return -1;
  memcpy(host, text, n);
  host[n] = '\0';
  memset(out, 0, sizeof *out);
  unsigned max;
  if (inet_pton(AF_INET, host, out->addr) == 1) {
    out->family = AF_INET;
    max = 32;
  } else if (inet_pton(AF_INET6, host, out->addr) == 1) {
    out->family = AF_INET6;
    max = 128;
  } else {
    return -1;
  }
  out->prefix = max;
  if (slash) {
    uint16_t p;
    if (parse_port(slash + 1, &p) || p > max)
      return -1;
    out->prefix = p;
  }
  return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits) {
  unsigned bytes = bits / 8, rest = bits % 8;
  if (memcmp(a, b, bytes) != 0)
    return false;
  if (!rest)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (a[bytes] & mask) == (b[bytes] & mask);
}

bool nts_pool_ke_cidr_match(const nts_pool_ke_cidr *list, size_t n,
                            const struct sockaddr *sa) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const uint8_t *addr;
  int family = sa->sa_family;
  if (family == AF_INET) {
    addr = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
  } else if (family == AF_INET6) {
    addr = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (memcmp(addr, mapped, sizeof mapped) == 0) {
      addr += 12;
      family = AF_INET;
    }
  } else {
    return false;
  }
  for (size_t i = 0; i < n; i++)
    if (list[i].family == family &&
        prefix_equal(addr, list[i].addr, list[i].prefix))
      return true;
  return false;
}

const char *nts_pool_ke_addr_text(const struct sockaddr *sa, char *buf) {
  char host[INET6_ADDRSTRLEN];
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    snprintf(buf, NTS_POOL_KE_ADDR_TEXT, "%s:%u", host, ntohs(a->sin_port));
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    snprintf(buf, NTS_POOL_KE_ADDR_TEXT, "[%s]:%u", host, ntohs(a->sin6_port));
  } else {
    snprintf(buf, NTS_POOL_KE_ADDR_TEXT, "-");
  }
  return buf;
}

static int listen_socket(nts_pool_ke_addr *addr, int backlog, int v6only) {
  int family = addr->ss.ss_family;
  int fd = socket(family, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  /* Set either way: the default (net.ipv6.bindv6only) is the host's. */
  if (family == AF_INET6 &&
      setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  socklen_t len = addr->len;
  if (bind(fd, (struct sockaddr *)&addr->ss, addr->len) != 0 ||
      listen(fd, backlog) != 0 ||
      getsockname(fd, (struct sockaddr *)&addr->ss, &len) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  return fd;
}

int nts_pool_ke_listen(nts_pool_ke_addr *addr, int backlog) {
  return listen_socket(addr, backlog, 1);
}

int nts_pool_ke_listen_dual_stack(nts_pool_ke_addr *addr, int backlog) {
  return listen_socket(addr, backlog, 0);
}

static bool is_wildcard(const nts_pool_ke_addr *a, int family) {
  if (a->ss.ss_family != family)
    return false;
  if (family == AF_INET)
    return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
           htonl(INADDR_ANY);
  return IN6_IS_ADDR_UNSPECIFIED(
      &((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

static unsigned port_of(const nts_pool_ke_addr *a) {
  return a->ss.ss_family == AF_INET
             ? ntohs(((const struct sockaddr_in *)&a->ss)->sin_port)
             : ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

bool nts_pool_ke_wants_dual_stack(const nts_pool_ke_addr *list, size_t n,
                                  size_t i) {
  if (i >= n || !is_wildcard(&list[i], AF_INET6))
    return false;
  for (size_t k = 0; k < n; k++)
    if (is_wildcard(&list[k], AF_INET) &&
        port_of(&list[k]) == port_of(&list[i]))
      return false;
  return true;
}

void nts_pool_ke_addr_unmap(struct sockaddr_storage *ss) {
  if (ss->ss_family != AF_INET6)
    return;
  struct sockaddr_in6 a6 = *(struct sockaddr_in6 *)ss;
  if (!IN6_IS_ADDR_V4MAPPED(&a6.sin6_addr))
    return;
  struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = a6.sin6_port};
  memcpy(&a4.sin_addr, a6.sin6_addr.s6_addr + 12, 4);
  memset(ss, 0, sizeof *ss);
  memcpy(ss, &a4, sizeof a4);
}

void nts_pool_ke_set_timeouts(int fd, ntspool_time_ms ms) {
  if (ms < 1)
    ms = 1;
  struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
                       .tv_usec = (suseconds_t)(ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

ssize_t nts_pool_ke_recv_by(int fd, void *buf, size_t len,
                            ntspool_time_ms deadline) {
  for (;;) {
    ntspool_time_ms left = deadline - nts_pool_ke_now_ms();
    if (left <= 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int ready = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
    if (ready < 0 && errno != EINTR)
      return -1;
    if (ready <= 0)
      continue;
    ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);
    if (n >= 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK))
      return n;
  }
}

int nts_pool_ke_read_exact(int fd, uint8_t *buf, size_t len,
                           ntspool_time_ms deadline) {
  size_t have = 0;
  while (have < len) {
    ntspool_socket_quickack(fd); /* a PROXY header may come in pieces too */
    ssize_t n = nts_pool_ke_recv_by(fd, buf + have, len - have, deadline);
    if (n <= 0)
      return -1; /* EOF, error or late: never wait for bytes that cannot come */
    have += (size_t)n;
  }
  return 0;
}
