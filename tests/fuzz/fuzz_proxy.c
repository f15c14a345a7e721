/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: ntspool_proxy_parse over the whole input.
 *
 * Invariants: success consumes exactly `needed` bytes, within the input,
 * with a family that matches the command; NEED_MORE comes with a `needed`
 * beyond the input (so a caller reading exactly that much always makes
 * progress and never spins); a result is the same when parsed again from
 * just the header bytes, and every proper prefix of an accepted header
 * needs more (none is refused, none accepted early).
 */
#include "fuzz.h"

#include "ntspool/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ntspool_proxy_result r;
  int rc = ntspool_proxy_parse(data, size, &r);
  if (rc == NTSPOOL_ERR_NEED_MORE) {
    FUZZ_CHECK(r.needed > size && r.needed <= NTSPOOL_PROXY_MAX_LEN);
    return 0;
  }
  if (rc < 0) {
    FUZZ_CHECK(rc == NTSPOOL_ERR_MALFORMED);
    return 0;
  }
  FUZZ_CHECK((size_t)rc == r.needed && r.needed <= size);
  FUZZ_CHECK(r.needed >= NTSPOOL_PROXY_FIXED_LEN);
  if (r.local)
    FUZZ_CHECK(r.family == 0 && r.port == 0);
  else
    FUZZ_CHECK(r.family == 4 || r.family == 6);

  ntspool_proxy_result again;
  FUZZ_CHECK(ntspool_proxy_parse(data, r.needed, &again) == rc);
  FUZZ_CHECK(again.needed == r.needed && again.local == r.local &&
             again.family == r.family && again.port == r.port &&
             memcmp(again.address, r.address, sizeof r.address) == 0);
  size_t cuts[] = {r.needed - 1, r.needed / 2, NTSPOOL_PROXY_FIXED_LEN - 1};
  for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
    if (cuts[i] >= r.needed)
      continue;
    FUZZ_CHECK(ntspool_proxy_parse(data, cuts[i], &again) ==
               NTSPOOL_ERR_NEED_MORE);
    FUZZ_CHECK(again.needed > cuts[i]);
  }
  return 0;
}
