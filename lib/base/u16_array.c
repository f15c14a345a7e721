/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Membership in a host-order u16 array: the protocol and AEAD IDs the
 * policy allows, a source's cached capabilities, what a time source
 * supports and what a client offered.
 */
#include "base/internal.h"

bool ntspool_u16_array_has(const uint16_t *values, size_t n, uint16_t value) {
  for (size_t i = 0; i < n; i++)
    if (values[i] == value)
      return true;
  return false;
}
