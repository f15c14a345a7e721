/* SPDX-License-Identifier: BSD-2-Clause */
/* A string-to-index hash table (open addressing, FNV-1a), so building a
 * configuration of thousands of sources finds names in O(1) rather than by
 * a walk over every source before it. */
#include <string.h>

#include "policy/policy_internal.h"

static uint64_t hash(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s != '\0'; s++)
    h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

void ntspool_name_index_free(const ntspool_allocator *a,
                             struct ntspool_name_index *ix) {
  ntspool_free(a, ix->slots);
  memset(ix, 0, sizeof *ix);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t probe(const struct ntspool_name_index *ix, const char *key,
                    const char *(*key_of)(const void *, size_t),
                    const void *owner) {
  size_t mask = ix->cap - 1;
  for (size_t i = (size_t)hash(key) & mask;; i = (i + 1) & mask) {
    size_t v = ix->slots[i];
    if (v == 0 || strcmp(key_of(owner, v - 1), key) == 0)
      return i;
  }
}

static int grow(const ntspool_allocator *a, struct ntspool_name_index *ix,
                const char *(*key_of)(const void *, size_t),
                const void *owner) {
  size_t cap = ix->cap ? 2 * ix->cap : 16;
  struct ntspool_name_index bigger = {cap, 0, NULL};
  bigger.slots = ntspool_calloc(a, cap * sizeof *bigger.slots);
  if (bigger.slots == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  for (size_t i = 0; i < ix->cap; i++) {
    size_t v = ix->slots[i];
    if (v != 0)
      bigger.slots[probe(&bigger, key_of(owner, v - 1), key_of, owner)] = v;
  }
  bigger.used = ix->used;
  ntspool_free(a, ix->slots);
  *ix = bigger;
  return 0;
}

int ntspool_name_index_find(const struct ntspool_name_index *ix,
                            const char *key,
                            const char *(*key_of)(const void *, size_t),
                            const void *owner, size_t *out) {
  if (ix->cap == 0 || key == NULL)
    return NTSPOOL_ERR_NOT_FOUND;
  size_t v = ix->slots[probe(ix, key, key_of, owner)];
  if (v == 0)
    return NTSPOOL_ERR_NOT_FOUND;
  *out = v - 1;
  return 0;
}

int ntspool_name_index_add(const ntspool_allocator *a,
                           struct ntspool_name_index *ix, size_t index,
                           const char *(*key_of)(const void *, size_t),
                           const void *owner, size_t *existing) {
  /* At most half full, so probes stay short and always end. */
  if (2 * (ix->used + 1) > ix->cap) {
    int rc = grow(a, ix, key_of, owner);
    if (rc != 0)
      return rc;
  }
  size_t slot = probe(ix, key_of(owner, index), key_of, owner);
  if (ix->slots[slot] != 0) {
    *existing = ix->slots[slot] - 1;
    return 1;
  }
  ix->slots[slot] = index + 1;
  ix->used++;
  return 0;
}
