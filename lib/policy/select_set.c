/* SPDX-License-Identifier: BSD-2-Clause */
/* Selection sets: for each address family, the sources a client may be
 * given and the running sums of their weights, built once per registry so
 * that a weighted draw is a binary search (O(log n), no allocation, no
 * lock) instead of a walk over every source.  Besides the global set of a
 * family there is one per region its members list; each member has one of
 * four groups, and every set has a subset per group, which the numbered
 * names (0. to 3.) draw from. */
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"

static void set_free(const ntspool_allocator *a, struct ntspool_select_set *s) {
  ntspool_free(a, s->members);
  ntspool_free(a, s->cum);
  memset(s, 0, sizeof *s);
}

static void level_free(const ntspool_allocator *a,
                       struct ntspool_select_level *l) {
  set_free(a, &l->whole);
  for (int g = 0; g < NTSPOOL_SUBPOOLS; g++)
    set_free(a, &l->group[g]);
}

void ntspool_select_sets_free(struct ntspool_registry *reg) {
  for (size_t f = 0; f < NTSPOOL_SELECT_SETS; f++) {
    struct ntspool_family_sets *fs = &reg->sets[f];
    level_free(&reg->alloc, &fs->global);
    for (size_t i = 0; i < fs->n_regions; i++)
      level_free(&reg->alloc, &fs->regions[i]);
    ntspool_free(&reg->alloc, fs->regions);
    memset(fs, 0, sizeof *fs);
  }
}

/* Whether src belongs in the sets of family index f.  Only what never
 * changes during the registry's life counts here: health, capabilities and
 * a client's deny and attempts are judged per draw. */
static bool static_member(const struct ntspool_source *src, int f) {
  return src->enabled && src->weight > 0 && (f == 0 ? src->ipv4 : src->ipv6);
}

/* Fills `set` with the n sources of `members` (registry order) whose
 * group (group[registry index]) is `which`, or all of them when group is
 * NULL. */
static int set_fill(const ntspool_allocator *a, struct ntspool_select_set *set,
                    const struct ntspool_source *const *members, size_t n,
                    const unsigned char *group, unsigned char which) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    k += group == NULL || group[members[i]->index] == which;
  if (k == 0)
    return 0;
  set->members = ntspool_calloc(a, k * sizeof *set->members);
  set->cum = ntspool_calloc(a, k * sizeof *set->cum);
  if (set->members == NULL || set->cum == NULL) {
    set_free(a, set);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  uint64_t total = 0; /* at most 2^32 sources of weight < 2^32: no wrap */
  for (size_t i = 0; i < n; i++) {
    if (group != NULL && group[members[i]->index] != which)
      continue;
    total += members[i]->weight;
    set->members[set->n] = members[i];
    set->cum[set->n] = total;
    set->n++;
  }
  set->total = total;
  return 0;
}

/* What orders sources for the split: the uuid when there is one (the
 * identity the server list gives), else the configured name. */
static const char *split_key(const struct ntspool_source *s) {
  return s->uuid != NULL ? s->uuid : s->name;
}

/* A member and the set it is balanced in: its home, the smallest of its
 * regions (the global set when it lists none). */
struct split_item {
  const struct ntspool_source *src;
  size_t home; /* index into the family's regions; n_regions: global */
};

/* By home, then heaviest first, then by key and name: an order that
 * depends only on what the configuration says about each source. */
static int split_order(const void *x, const void *y) {
  const struct split_item *p = x, *q = y;
  if (p->home != q->home)
    return p->home < q->home ? -1 : 1;
  const struct ntspool_source *a = p->src, *b = q->src;
  if (a->weight != b->weight)
    return a->weight > b->weight ? -1 : 1;
  int c = strcmp(split_key(a), split_key(b));
  return c != 0 ? c : strcmp(a->name, b->name);
}

static size_t home_of(const struct ntspool_family_sets *fs,
                      const struct ntspool_source *s) {
  size_t home = fs->n_regions;
  for (size_t r = 0; r < s->n_regions; r++) {
    size_t lo = 0, hi = fs->n_regions;
    while (lo < hi) { /* the level of region r: it exists */
      size_t mid = lo + (hi - lo) / 2;
      if (ntspool_region_cmp(fs->regions[mid].name, s->regions[r]) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (home == fs->n_regions ||
        fs->regions[lo].whole.n < fs->regions[home].whole.n ||
        (fs->regions[lo].whole.n == fs->regions[home].whole.n && lo < home))
      home = lo;
  }
  return home;
}

/* Gives every member of family f one group of four, the same in each set
 * it belongs to, so the numbered names draw from disjoint sources at every
 * level and a fall-back to a wider set keeps them apart.  Members are
 * balanced by weight within their home (the smallest region they list):
 * taken by home, heaviest first, each goes to the group with the least
 * weight in its home so far, then the least weight overall, then the
 * lowest number.  So a home's groups differ by at most one member's
 * weight, and the result depends only on the members' weights, uuids,
 * names and regions: never on list order, hash seeds or earlier
 * registries, so every replica with the same list splits alike.  Writes
 * group[registry index]. */
static int split_family(const ntspool_allocator *a,
                        const struct ntspool_family_sets *fs,
                        unsigned char *group) {
  const struct ntspool_select_set *all = &fs->global.whole;
  struct split_item *items = ntspool_calloc(a, all->n * sizeof *items);
  uint64_t(*home_load)[NTSPOOL_SUBPOOLS] =
      ntspool_calloc(a, (fs->n_regions + 1) * sizeof *home_load);
  if (items == NULL || home_load == NULL) {
    ntspool_free(a, items);
    ntspool_free(a, home_load);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  for (size_t i = 0; i < all->n; i++)
    items[i] =
        (struct split_item){all->members[i], home_of(fs, all->members[i])};
  qsort(items, all->n, sizeof *items, split_order);
  uint64_t load[NTSPOOL_SUBPOOLS] = {0};
  for (size_t i = 0; i < all->n; i++) {
    uint64_t *home = home_load[items[i].home];
    unsigned g = 0;
    for (unsigned j = 1; j < NTSPOOL_SUBPOOLS; j++)
      if (home[j] < home[g] || (home[j] == home[g] && load[j] < load[g]))
        g = j;
    home[g] += items[i].src->weight;
    load[g] += items[i].src->weight;
    group[items[i].src->index] = (unsigned char)g;
  }
  ntspool_free(a, items);
  ntspool_free(a, home_load);
  return 0;
}

static int level_groups(const ntspool_allocator *a,
                        struct ntspool_select_level *l,
                        const unsigned char *group) {
  int rc = 0;
  for (unsigned g = 0; g < NTSPOOL_SUBPOOLS && rc == 0; g++)
    rc = set_fill(a, &l->group[g], l->whole.members, l->whole.n, group,
                  (unsigned char)g);
  return rc;
}

int ntspool_region_cmp(const char *a, const char *b) {
  for (;; a++, b++) {
    unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
    x = x >= 'A' && x <= 'Z' ? (unsigned char)(x + 32) : x == '_' ? '-' : x;
    y = y >= 'A' && y <= 'Z' ? (unsigned char)(y + 32) : y == '_' ? '-' : y;
    if (x != y || x == '\0')
      return x < y ? -1 : x > y;
  }
}

/* One (region, member) pair, for grouping the members by region. */
struct region_entry {
  const char *name;
  const struct ntspool_source *src;
};

static int entry_order(const void *x, const void *y) {
  const struct region_entry *a = x, *b = y;
  int c = ntspool_region_cmp(a->name, b->name);
  if (c != 0)
    return c;
  return a->src->index < b->src->index ? -1 : a->src->index > b->src->index;
}

/* The per-region levels of family f: every (region, member) pair sorted by
 * region then registry order, so each run of one name is a region's
 * members in registry order.  O(e log e) for e pairs. */
static int regions_build(struct ntspool_registry *reg, int f,
                         struct ntspool_family_sets *fs) {
  const ntspool_allocator *a = &reg->alloc;
  size_t e = 0;
  for (size_t i = 0; i < reg->n_sources; i++)
    if (static_member(&reg->sources[i], f))
      e += reg->sources[i].n_regions;
  if (e == 0)
    return 0;
  struct region_entry *ent = ntspool_calloc(a, e * sizeof *ent);
  const struct ntspool_source **run = ntspool_calloc(a, e * sizeof *run);
  int rc = NTSPOOL_ERR_NO_MEMORY;
  if (ent == NULL || run == NULL)
    goto out;
  e = 0;
  for (size_t i = 0; i < reg->n_sources; i++) {
    const struct ntspool_source *s = &reg->sources[i];
    if (static_member(s, f))
      for (size_t r = 0; r < s->n_regions; r++)
        ent[e++] = (struct region_entry){s->regions[r], s};
  }
  qsort(ent, e, sizeof *ent, entry_order);
  size_t n_names = 0;
  for (size_t i = 0; i < e; i++)
    n_names += i == 0 || ntspool_region_cmp(ent[i - 1].name, ent[i].name) != 0;
  fs->regions = ntspool_calloc(a, n_names * sizeof *fs->regions);
  if (fs->regions == NULL)
    goto out;
  rc = 0;
  for (size_t i = 0; i < e && rc == 0;) {
    struct ntspool_select_level *l = &fs->regions[fs->n_regions++];
    l->name = ent[i].name;
    size_t n = 0;
    for (; i < e && ntspool_region_cmp(ent[i].name, l->name) == 0; i++)
      if (n == 0 || run[n - 1] != ent[i].src) /* a name listed twice */
        run[n++] = ent[i].src;
    rc = set_fill(a, &l->whole, run, n, NULL, 0);
  }
out:
  ntspool_free(a, ent);
  ntspool_free(a, run);
  return rc;
}

static int family_build(struct ntspool_registry *reg, int f) {
  const ntspool_allocator *a = &reg->alloc;
  struct ntspool_family_sets *fs = &reg->sets[f];
  size_t n = 0;
  for (size_t i = 0; i < reg->n_sources; i++)
    n += static_member(&reg->sources[i], f);
  if (n == 0)
    return 0;
  const struct ntspool_source **all = ntspool_calloc(a, n * sizeof *all);
  unsigned char *group = ntspool_calloc(a, reg->n_sources);
  int rc = NTSPOOL_ERR_NO_MEMORY;
  if (all == NULL || group == NULL)
    goto out;
  n = 0;
  for (size_t i = 0; i < reg->n_sources; i++)
    if (static_member(&reg->sources[i], f))
      all[n++] = &reg->sources[i];
  rc = set_fill(a, &fs->global.whole, all, n, NULL, 0);
  if (rc == 0)
    rc = regions_build(reg, f, fs);
  if (rc == 0)
    rc = split_family(a, fs, group);
  if (rc == 0)
    rc = level_groups(a, &fs->global, group);
  for (size_t i = 0; i < fs->n_regions && rc == 0; i++)
    rc = level_groups(a, &fs->regions[i], group);
out:
  ntspool_free(a, all);
  ntspool_free(a, group);
  return rc;
}

int ntspool_select_sets_build(struct ntspool_registry *reg) {
  for (int f = 0; f < NTSPOOL_SELECT_SETS; f++) {
    int rc = family_build(reg, f);
    if (rc != 0) {
      ntspool_select_sets_free(reg);
      return rc;
    }
  }
  return 0;
}

const struct ntspool_select_set *
ntspool_select_set_of(const struct ntspool_registry *reg, int f) {
  return f >= 0 && f < NTSPOOL_SELECT_SETS ? &reg->sets[f].global.whole : NULL;
}

const struct ntspool_select_level *
ntspool_select_level_find(const struct ntspool_registry *reg, int f,
                          const char *name) {
  if (f < 0 || f >= NTSPOOL_SELECT_SETS || name == NULL)
    return NULL;
  const struct ntspool_family_sets *fs = &reg->sets[f];
  size_t lo = 0, hi = fs->n_regions;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = ntspool_region_cmp(fs->regions[mid].name, name);
    if (c == 0)
      return &fs->regions[mid];
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

const char *ntspool_registry_region(const ntspool_registry *reg,
                                    enum ntspool_family family, size_t i,
                                    size_t counts[5]) {
  int f = ntspool_family_index(family);
  if (reg == NULL || counts == NULL || f < 0 || i > reg->sets[f].n_regions)
    return NULL;
  const struct ntspool_select_level *l =
      i == 0 ? &reg->sets[f].global : &reg->sets[f].regions[i - 1];
  counts[0] = l->whole.n;
  for (int g = 0; g < NTSPOOL_SUBPOOLS; g++)
    counts[g + 1] = l->group[g].n;
  return i == 0 ? "*" : l->name;
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
