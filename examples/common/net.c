/* SPDX-License-Identifier: BSD-2-Clause */
/* Sockets for the example programs (see net.h). */
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

int ex_split_hostport(const char *text, char *host, size_t host_cap, char *port,
                      size_t port_cap) {
  const char *h = text, *colon;
  size_t hlen;
  if (*text == '[') {
    const char *close = strchr(text, ']');
    if (!close || close[1] != ':')
      return -1;
    h = text + 1;
    hlen = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(text, ':');
    if (!colon || strchr(text, ':') != colon) /* bare IPv6 needs [] */
      return -1;
    hlen = (size_t)(colon - text);
  }
  const char *p = colon + 1;
  size_t plen = strlen(p);
  if (hlen == 0 || hlen >= host_cap || plen == 0 || plen >= port_cap ||
      strspn(p, "0123456789") != plen)
    return -1;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  memcpy(port, p, plen + 1);
  return 0;
}

static struct addrinfo *resolve(const char *host, const char *port, int type,
                                int flags, char *err, size_t err_cap) {
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = type, .ai_flags = flags};
  struct addrinfo *res = NULL;
  int rc = getaddrinfo(host, port, &hints, &res);
  if (rc) {
    snprintf(err, err_cap, "%s port %s: %s", host, port, gai_strerror(rc));
    return NULL;
  }
  return res;
}

int ex_listen(const char *hostport, int type, char *err, size_t err_cap) {
  char host[256], port[16];
  if (ex_split_hostport(hostport, host, sizeof host, port, sizeof port)) {
    snprintf(err, err_cap, "'%s' is not ADDR:PORT", hostport);
    return -1;
  }
  /* Numeric only: a listening address is configuration, not a lookup. */
  struct addrinfo *res =
      resolve(host, port, type, AI_PASSIVE | AI_NUMERICHOST, err, err_cap);
  if (!res)
    return -1;
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  int one = 1;
  if (fd < 0 ||
      (type == SOCK_STREAM &&
       setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)) ||
      bind(fd, res->ai_addr, res->ai_addrlen) ||
      (type == SOCK_STREAM && listen(fd, 64))) {
    snprintf(err, err_cap, "%s: %s", hostport, strerror(errno));
    if (fd >= 0)
      close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  return fd;
}

/* Non-blocking connect bounded by poll, then back to blocking. */
static int connect_one(const struct addrinfo *ai, int timeout_ms) {
  int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
  if (fd < 0)
    return -1;
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
    goto fail;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen)) {
    if (errno != EINPROGRESS)
      goto fail;
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int soerr = 0;
    socklen_t len = sizeof soerr;
    int n = poll(&p, 1, timeout_ms);
    if (n == 0)
      errno = ETIMEDOUT;
    if (n <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
      goto fail;
    if (soerr) {
      errno = soerr;
      goto fail;
    }
  }
  if (fcntl(fd, F_SETFL, flags))
    goto fail;
  return fd;
fail:;
  int saved = errno;
  close(fd);
  errno = saved;
  return -1;
}

int ex_connect(const char *host, const char *port, int type, int timeout_ms,
               char *err, size_t err_cap) {
  struct addrinfo *res = resolve(host, port, type, 0, err, err_cap);
  if (!res)
    return -1;
  int fd = -1;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = connect_one(ai, timeout_ms);
    if (fd < 0) {
      char where[80];
      ex_addr_text(ai->ai_addr, where, sizeof where);
      snprintf(err, err_cap, "%s (%s): %s", host, where, strerror(errno));
    }
  }
  freeaddrinfo(res);
  return fd;
}

int ex_set_timeouts(int fd, int ms) {
  struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
  return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) ||
                 setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv)
             ? -1
             : 0;
}

void ex_addr_text(const struct sockaddr *sa, char *out, size_t cap) {
  char ip[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    port = ntohs(in->sin_port);
    snprintf(out, cap, "%s:%u", ip, port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
    port = ntohs(in6->sin6_port);
    snprintf(out, cap, "[%s]:%u", ip, port);
  } else {
    snprintf(out, cap, "?");
  }
}

ntspool_time_ms ex_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ntspool_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
