/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: ntspool_support_response_parse (the pool reading a time
 * source's capabilities), in both numberings.  The first input byte is
 * `want` (its low three bits), the rest the message.
 *
 * Invariants: documented status codes only; every view inside the input,
 * also after a failure; a success has every list that was asked for, the
 * algorithm list in whole (id, key length) pairs, the names kept within
 * NTSPOOL_MAX_SERVER_NAMES; and the answer rebuilt with
 * ntspool_support_response_build parses back to the same lists, names and
 * Keep Alive.
 */
#include "fuzz.h"

static uint16_t protocols[0x8000], algorithms[0x8000];
static uint8_t out[1 << 17];

static void check_views(const uint8_t *msg, size_t len,
                        const ntspool_support *s) {
  FUZZ_CHECK(fuzz_list_inside(msg, len, s->protocols));
  FUZZ_CHECK(fuzz_list_inside(msg, len, s->algorithms));
  FUZZ_CHECK(s->n_names <= NTSPOOL_MAX_SERVER_NAMES);
  FUZZ_CHECK(s->n_names <= s->n_names_seen);
  for (size_t i = 0; i < s->n_names; i++)
    FUZZ_CHECK(fuzz_bytes_inside(msg, len, s->names[i]));
}

static void rebuild(const ntspool_support *s, enum ntspool_numbering n,
                    unsigned want) {
  ntspool_support_answer a = {
      .want = want,
      .protocols = protocols,
      .n_protocols = fuzz_list_values(s->protocols, protocols, 0x8000),
      .algorithms = algorithms,
      .n_algorithms = fuzz_list_values(s->algorithms, algorithms, 0x8000) / 2,
      .names = s->names,
      .n_names = s->n_names,
      .keep_alive = s->keep_alive,
  };
  size_t len;
  FUZZ_CHECK(ntspool_support_response_build(out, sizeof out, &len, n, &a) == 0);
  ntspool_support again;
  FUZZ_CHECK(ntspool_support_response_parse(out, len, n, want, &again) == 0);
  if (want & NTSPOOL_WANT_PROTOCOLS)
    FUZZ_CHECK(fuzz_same_list(again.protocols, s->protocols));
  if (want & NTSPOOL_WANT_ALGORITHMS)
    FUZZ_CHECK(fuzz_same_list(again.algorithms, s->algorithms));
  FUZZ_CHECK(again.n_names == s->n_names);
  for (size_t i = 0; i < s->n_names; i++)
    FUZZ_CHECK(fuzz_same_bytes(again.names[i], s->names[i]));
  FUZZ_CHECK(again.keep_alive == s->keep_alive);
}

static void check(const uint8_t *msg, size_t len, enum ntspool_numbering n,
                  unsigned want) {
  ntspool_support s;
  int rc = ntspool_support_response_parse(msg, len, n, want, &s);
  FUZZ_CHECK(rc == 0 || rc == NTSPOOL_ERR_BAD_RESPONSE ||
             rc == NTSPOOL_ERR_UNKNOWN_CRITICAL ||
             rc == NTSPOOL_ERR_PEER_ERROR || rc == NTSPOOL_ERR_PEER_WARNING ||
             rc == NTSPOOL_ERR_NEED_MORE || rc == NTSPOOL_ERR_TRAILING_DATA);
  check_views(msg, len, &s);
  if (rc != 0)
    return;
  FUZZ_CHECK(!(want & NTSPOOL_WANT_PROTOCOLS) || s.has_protocols);
  FUZZ_CHECK(!(want & NTSPOOL_WANT_ALGORITHMS) || s.has_algorithms);
  /* Pairs of (AEAD id, key length). */
  FUZZ_CHECK(s.algorithms.count % 2 == 0);
  /* Names are only collected when asked for. */
  FUZZ_CHECK((want & NTSPOOL_WANT_SERVER_NAMES) || s.n_names_seen == 0);
  if (s.n_names_seen <= NTSPOOL_MAX_SERVER_NAMES)
    FUZZ_CHECK(s.n_names == s.n_names_seen);
  if (len < sizeof out / 2)
    rebuild(&s, n, want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  unsigned want = data[0] & 7u;
  check(data + 1, size - 1, NTSPOOL_NUMBERING_IANA, want);
  check(data + 1, size - 1, NTSPOOL_NUMBERING_DRAFT, want);
  return 0;
}
