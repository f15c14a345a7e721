/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * PROXY protocol v2 header (proxy.h).  The nts-pool-ke original skips the
 * TLV bytes in a loop that spins forever on early EOF; here the whole
 * length is known from the fixed part, so the caller reads exactly that
 * many bytes and any shortfall is an ordinary NEED_MORE / EOF.
 */
#include <string.h>

#include "ntspool/proxy.h"

static const uint8_t signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
                                      0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

enum {
  CMD_LOCAL = 0x20, /* version 2, LOCAL */
  CMD_PROXY = 0x21, /* version 2, PROXY */
  FAM_TCP4 = 0x11,
  FAM_TCP6 = 0x21,
  TCP4_ADDR_LEN = 12, /* src, dst, src port, dst port */
  TCP6_ADDR_LEN = 36
};

static bool v4_mapped(const uint8_t a[16]) {
  static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(a, prefix, sizeof prefix) == 0;
}

int ntspool_proxy_parse(const uint8_t *buf, size_t len,
                        ntspool_proxy_result *out) {
  if (!buf || !out)
    return NTSPOOL_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  out->needed = NTSPOOL_PROXY_FIXED_LEN;

  size_t sig = len < sizeof signature ? len : sizeof signature;
  if (memcmp(buf, signature, sig) != 0)
    return NTSPOOL_ERR_MALFORMED;
  /* The command and family bytes can be judged before the length. */
  if (len > 12 && buf[12] != CMD_LOCAL && buf[12] != CMD_PROXY)
    return NTSPOOL_ERR_MALFORMED;
  if (len > 13 && buf[12] == CMD_PROXY && buf[13] != FAM_TCP4 &&
      buf[13] != FAM_TCP6)
    return NTSPOOL_ERR_MALFORMED;
  if (len < NTSPOOL_PROXY_FIXED_LEN)
    return NTSPOOL_ERR_NEED_MORE;

  size_t body = (size_t)buf[14] << 8 | buf[15];
  if (buf[12] == CMD_PROXY &&
      body < (buf[13] == FAM_TCP4 ? TCP4_ADDR_LEN : TCP6_ADDR_LEN))
    return NTSPOOL_ERR_MALFORMED;
  out->needed = NTSPOOL_PROXY_FIXED_LEN + body;
  if (len < out->needed)
    return NTSPOOL_ERR_NEED_MORE;

  const uint8_t *p = buf + NTSPOOL_PROXY_FIXED_LEN;
  if (buf[12] == CMD_LOCAL) {
    out->local = true;
  } else if (buf[13] == FAM_TCP4) {
    out->family = NTSPOOL_FAMILY_IPV4;
    memcpy(out->address, p, 4);
    out->port = (uint16_t)(p[8] << 8 | p[9]);
  } else if (v4_mapped(p)) {
    out->family = NTSPOOL_FAMILY_IPV4;
    memcpy(out->address, p + 12, 4);
    out->port = (uint16_t)(p[32] << 8 | p[33]);
  } else {
    out->family = NTSPOOL_FAMILY_IPV6;
    memcpy(out->address, p, 16);
    out->port = (uint16_t)(p[32] << 8 | p[33]);
  }
  return (int)out->needed;
}
