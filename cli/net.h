/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Socket helpers of nts-pool-ke: address and CIDR parsing, listeners,
 * socket timeouts and the monotonic clock the sessions run on.
 */
#ifndef NTS_POOL_KE_NET_H
#define NTS_POOL_KE_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ntspool.h>

/* "[ffff:...:ffff]:65535" and a NUL. */
#define NTS_POOL_KE_ADDR_TEXT 56

typedef struct nts_pool_ke_addr {
  struct sockaddr_storage ss;
  socklen_t len;
} nts_pool_ke_addr;

typedef struct nts_pool_ke_cidr {
  int family; /* AF_INET or AF_INET6 */
  uint8_t addr[16];
  unsigned prefix;
} nts_pool_ke_cidr;

/* Milliseconds on CLOCK_MONOTONIC: the "now" of every session; and
 * microseconds on the same clock (now_ms() == now_us() / 1000). */
ntspool_time_ms nts_pool_ke_now_ms(void);
int64_t nts_pool_ke_now_us(void);

/* "a.b.c.d:port" or "[v6]:port" (numeric only; port 0..65535, 0 asks the
 * kernel for one).  Returns 0 or -1. */
int nts_pool_ke_parse_addr(const char *text, nts_pool_ke_addr *out);

/* "a.b.c.d/n" or "v6/n"; without "/n" a single host.  Returns 0 or -1. */
int nts_pool_ke_parse_cidr(const char *text, nts_pool_ke_cidr *out);

/* Whether `sa` (an IPv4-mapped IPv6 address counts as IPv4) lies in one of
 * the n ranges. */
bool nts_pool_ke_cidr_match(const nts_pool_ke_cidr *list, size_t n,
                            const struct sockaddr *sa);

/* "1.2.3.4:5" / "[::1]:5" into buf (NTS_POOL_KE_ADDR_TEXT bytes). */
const char *nts_pool_ke_addr_text(const struct sockaddr *sa, char *buf);

/* A non-blocking listening TCP socket bound to `addr` (IPv6 sockets are
 * IPv6-only, so "[::]" and "0.0.0.0" can both be listed).  On success the
 * bound address (with the kernel's port for port 0) is written back.
 * Returns the fd or -1 with errno. */
int nts_pool_ke_listen(nts_pool_ke_addr *addr, int backlog);

/* As nts_pool_ke_listen, but with IPV6_V6ONLY off: an IPv6 socket that also
 * takes IPv4 clients, as IPv4-mapped addresses (::ffff:a.b.c.d). */
int nts_pool_ke_listen_dual_stack(nts_pool_ke_addr *addr, int backlog);

/* Whether listener i of list[0..n) should be dual-stack: it is the IPv6
 * wildcard "[::]" and no "0.0.0.0" is listed with the same port (as
 * written: port 0 matches port 0), so "[::]:4460" alone serves IPv4 too
 * while "0.0.0.0:4460" plus "[::]:4460" keeps one socket per family. */
bool nts_pool_ke_wants_dual_stack(const nts_pool_ke_addr *list, size_t n,
                                  size_t i);

/* An IPv4-mapped IPv6 address (a dual-stack socket's IPv4 peer) becomes
 * the plain IPv4 address it stands for; others are left as they are. */
void nts_pool_ke_addr_unmap(struct sockaddr_storage *ss);

/* SO_RCVTIMEO and SO_SNDTIMEO of `fd` (at least 1 ms: 0 would mean
 * "forever"). */
void nts_pool_ke_set_timeouts(int fd, ntspool_time_ms ms);

/* One recv() of up to len bytes that waits (in poll) no later than
 * `deadline`, however slowly the peer sends.  Returns as recv(), or -1
 * with errno ETIMEDOUT once the deadline passed. */
ssize_t nts_pool_ke_recv_by(int fd, void *buf, size_t len,
                            ntspool_time_ms deadline);

/* Reads exactly len bytes from a socket until `deadline`.
 * Returns 0, or -1 on EOF, error or deadline. */
int nts_pool_ke_read_exact(int fd, uint8_t *buf, size_t len,
                           ntspool_time_ms deadline);

#endif
