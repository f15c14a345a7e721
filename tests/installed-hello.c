/* SPDX-License-Identifier: BSD-2-Clause */
/* An embedder's first program, built against an installed libntspool
 * (tests/install-test, tests/package-check) with nothing but pkg-config:
 * it encodes an NTS-KE request, parses it back and prints the version. */
#include <ntspool.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  uint8_t buf[64];
  size_t len;
  static const uint16_t p[] = {0}, a[] = {15};
  if (ntspool_ke_request_build(buf, sizeof buf, &len, NTSPOOL_NUMBERING_IANA, p,
                               1, a, 1, NULL, 0, false) != 0)
    return 1;
  ntspool_request req;
  if (ntspool_client_request_parse(buf, len, &req) != 0)
    return 2;
  printf("libntspool %s: %zu-byte request, %zu protocol, %zu AEAD\n",
         ntspool_version(), len, req.protocols.count, req.aeads.count);
  if (req.protocols.count != 1 || req.aeads.count != 1)
    return 3;
  /* The header and the library linked must be the same release. */
  return strcmp(ntspool_version(), NTSPOOL_VERSION) != 0;
}
