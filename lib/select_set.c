/* SPDX-License-Identifier: BSD-2-Clause */
/* Selection sets: for each address family, the sources a client may be
 * given and the running sums of their weights, built once per registry so
 * that a weighted draw is a binary search (O(log n), no allocation, no
 * lock) instead of a walk over every source. */
#include <string.h>

#include "policy_internal.h"

static void set_free(const ntspool_allocator *a, struct ntspool_select_set *s) {
  ntspool_free(a, s->members);
  ntspool_free(a, s->cum);
  memset(s, 0, sizeof *s);
}

void ntspool_select_sets_free(struct ntspool_registry *reg) {
  for (size_t i = 0; i < NTSPOOL_SELECT_SETS; i++)
    set_free(&reg->alloc, &reg->sets[i]);
}

/* Whether src belongs in the set of family index f.  Only what never
 * changes during the registry's life counts here: health, capabilities and
 * a client's deny and attempts are judged per draw. */
static bool static_member(const struct ntspool_source *src, int f) {
  return src->enabled && src->weight > 0 && (f == 0 ? src->ipv4 : src->ipv6);
}

static int set_build(struct ntspool_registry *reg, int f,
                     struct ntspool_select_set *set) {
  size_t n = 0;
  for (size_t i = 0; i < reg->n_sources; i++)
    n += static_member(&reg->sources[i], f);
  if (n == 0)
    return 0;
  set->members = ntspool_calloc(&reg->alloc, n * sizeof *set->members);
  set->cum = ntspool_calloc(&reg->alloc, n * sizeof *set->cum);
  if (set->members == NULL || set->cum == NULL) {
    set_free(&reg->alloc, set);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  uint64_t total = 0; /* at most 2^32 sources of weight < 2^32: no wrap */
  for (size_t i = 0; i < reg->n_sources; i++) {
    const struct ntspool_source *src = &reg->sources[i];
    if (!static_member(src, f))
      continue;
    total += src->weight;
    set->members[set->n] = src;
    set->cum[set->n] = total;
    set->n++;
  }
  set->total = total;
  return 0;
}

int ntspool_select_sets_build(struct ntspool_registry *reg) {
  for (int f = 0; f < 2; f++) {
    int rc = set_build(reg, f, &reg->sets[f]);
    if (rc != 0) {
      ntspool_select_sets_free(reg);
      return rc;
    }
  }
  return 0;
}

const struct ntspool_select_set *
ntspool_select_set_of(const struct ntspool_registry *reg, int f) {
  return f >= 0 && f < 2 ? &reg->sets[f] : NULL;
}

size_t ntspool_select_set_find(const struct ntspool_select_set *set,
                               uint64_t r) {
  /* The first i with r < cum[i]: member i owns [cum[i-1], cum[i]).  The
   * halving has no data-dependent branch (the compiler makes the choice a
   * conditional move), which matters once the sums outgrow the caches. */
  const uint64_t *base = set->cum;
  size_t len = set->n;
  while (len > 1) {
    size_t half = len / 2;
    base = base[half - 1] <= r ? base + half : base;
    len -= half;
  }
  return (size_t)(base - set->cum) + (*base <= r);
}
