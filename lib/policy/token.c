/* SPDX-License-Identifier: BSD-2-Clause */
/* Upstream authentication tokens: the running NTS pool's derivation, and
 * the lines of the secret files they come from (read by secret_file.c). */
#include <string.h>

#include "base/crypto.h"
#include "policy/policy_internal.h"

int ntspool_token_derive(const void *secret, size_t secret_len,
                         const char *uuid, const char *randomizer,
                         char out[65]) {
  if ((secret == NULL && secret_len > 0) || uuid == NULL ||
      randomizer == NULL || out == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  const void *parts[3] = {secret, uuid, randomizer};
  size_t lens[3] = {secret_len, strlen(uuid), strlen(randomizer)};
  uint8_t digest[32];
  int rc = ntspool_sha3_256_parts(parts, lens, 3, digest);
  if (rc == 0) {
    /* Zero-padded lowercase hex: nts-pool before f23f391 space-padded bytes
     * below 0x10, which time sources no longer accept. */
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = '\0';
  }
  ntspool_zeroize(digest, sizeof digest);
  return rc;
}

int ntspool_secret_line(const char *text, size_t len, size_t index,
                        ntspool_bytes *out) {
  size_t pos = 0;
  ntspool_bytes line;
  for (size_t i = 0; ntspool_each_line(text, len, &pos, &line); i++)
    if (i == index) {
      *out = line;
      return 0;
    }
  return NTSPOOL_ERR_NOT_FOUND;
}

size_t ntspool_secret_line_count(const char *text, size_t len) {
  size_t pos = 0, n = 0;
  ntspool_bytes line;
  while (ntspool_each_line(text, len, &pos, &line))
    n++;
  return n;
}
