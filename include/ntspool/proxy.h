/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool PROXY protocol: the binary version 2 header a load balancer
 * (HAProxy `send-proxy-v2`) puts in front of a TCP stream to tell the
 * server who the client really is (doc/protocol.md section 9).  Version 1
 * (text) is not accepted.
 *
 * The header is 16 fixed bytes (12-byte signature, version/command, family,
 * 16-bit length) followed by `length` bytes of addresses and TLVs.  A
 * server that must not read past the header (the TLS handshake follows in
 * the same stream) reads 16 bytes, calls ntspool_proxy_parse, and on
 * NTSPOOL_ERR_NEED_MORE reads exactly out->needed - 16 more bytes:
 *
 *   have = read_exactly(fd, buf, NTSPOOL_PROXY_FIXED_LEN);
 *   while ((rc = ntspool_proxy_parse(buf, have, &r)) == NTSPOOL_ERR_NEED_MORE)
 *     have += read_exactly(fd, buf + have, r.needed - have);  // EOF: drop
 *   if (rc < 0) drop the connection;
 *
 * Only LOCAL (keep the socket's own address) and PROXY over TCP/IPv4 or
 * TCP/IPv6 are accepted; anything else is malformed, so a connection never
 * proceeds with an address the server does not understand.
 *
 * Pure: no allocation, no I/O.  Reentrant.
 */
#ifndef NTSPOOL_PROXY_H
#define NTSPOOL_PROXY_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The fixed part every header starts with, and the longest header
 * (fixed part plus the largest 16-bit length). */
#define NTSPOOL_PROXY_FIXED_LEN 16
#define NTSPOOL_PROXY_MAX_LEN (NTSPOOL_PROXY_FIXED_LEN + 65535)

typedef struct ntspool_proxy_result {
  /* Total header length: on success the bytes consumed; with
   * NTSPOOL_ERR_NEED_MORE the length the whole header will have once the
   * fixed part is known (NTSPOOL_PROXY_FIXED_LEN before that). */
  size_t needed;
  /* LOCAL command (health checks from the balancer itself): no address
   * follows; use the socket's peer address.  family, address and port
   * are 0 (family is then no enum ntspool_family value). */
  bool local;
  /* PROXY command: the original client.  An IPv4-mapped IPv6 source
   * (::ffff:a.b.c.d) is reported as NTSPOOL_FAMILY_IPV4, the way the pool
   * classifies clients.  address holds 4 or 16 bytes in network
   * order; port is in host order. */
  enum ntspool_family family;
  uint8_t address[16];
  uint16_t port;
} ntspool_proxy_result;

/* Parses a PROXY v2 header at the start of buf[0..len).  Bytes after the
 * header are not looked at.  A signature mismatch is reported as soon as
 * the first differing byte is in buf, so a client speaking TLS directly is
 * refused without waiting for 16 bytes.
 * Returns: the header length (> 0, also in out->needed);
 * NTSPOOL_ERR_NEED_MORE (see out->needed); NTSPOOL_ERR_MALFORMED (bad
 * signature, version other than 2, a command other than LOCAL or PROXY,
 * PROXY with a family other than TCP over IPv4/IPv6, or a length too short
 * for the addresses); NTSPOOL_ERR_INVALID_ARG (buf or out NULL). */
NTSPOOL_API int ntspool_proxy_parse(const uint8_t *buf, size_t len,
                                    ntspool_proxy_result *out);

#ifdef __cplusplus
}
#endif
#endif
