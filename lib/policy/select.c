/* SPDX-License-Identifier: BSD-2-Clause */
/* Selection: which source serves a client (weighted random or round robin
 * over healthy, reachable, capable sources, honouring NTP Server Deny), and
 * which protocol and AEAD it uses. */
#include <string.h>

#include "base/crypto.h"
#include "policy/policy_internal.h"

/* ---- Randomness ------------------------------------------------------- */

static int default_fill(void *state, void *out, size_t len) {
  (void)state;
  return ntspool_random(out, len);
}

static int rng_below(const ntspool_rng *rng, uint64_t n, uint64_t *out) {
  if (n <= 1) {
    *out = 0;
    return 0;
  }
  /* Rejecting the 2^64 mod n lowest values makes x % n exactly uniform; a
   * broken generator gets a biased answer after 64 tries, not a hang. */
  uint64_t threshold = (0 - n) % n;
  for (int i = 0;; i++) {
    uint64_t x;
    int rc = rng->fill(rng->state, &x, sizeof x);
    if (rc != 0)
      return rc < 0 ? rc : NTSPOOL_ERR_CRYPTO;
    if (x >= threshold || i == 63) {
      *out = x % n;
      return 0;
    }
  }
}

/* ---- Negotiation ------------------------------------------------------ */

/* The key length to export for AEAD id, or 0 if it cannot be used. */
static uint16_t usable_key_len(const ntspool_caps *c, uint16_t id) {
  for (size_t i = 0; i < c->n_algorithms; i++) {
    if (c->algorithms[i].id != id)
      continue;
    uint16_t len = c->algorithms[i].key_len;
    /* The source's length is what the pool exports, so it needs no AEAD
     * table; but for a registered AEAD a different length can only give the
     * client keys it did not derive. */
    size_t registered = ntspool_aead_key_length(id);
    if (len == 0 || len > NTSPOOL_MAX_KEY_LEN ||
        (registered != 0 && registered != len))
      return 0;
    return len;
  }
  return 0;
}

static int negotiate_caps(const ntspool_caps *caps,
                          const struct ntspool_settings *settings,
                          const ntspool_client_prefs *prefs,
                          ntspool_selection *sel) {
  sel->negotiated = false;
  sel->has_protocol = false;
  for (size_t i = 0; i < prefs->protocols.count && !sel->has_protocol; i++) {
    uint16_t id = ntspool_u16_list_get(prefs->protocols, i);
    if (ntspool_u16_array_has(settings->allowed, settings->n_allowed, id) &&
        ntspool_u16_array_has(caps->protocols, caps->n_protocols, id)) {
      sel->protocol = id;
      sel->has_protocol = true;
    }
  }
  if (!sel->has_protocol)
    return NTSPOOL_ERR_NO_PROTOCOL;
  for (size_t i = 0; i < prefs->aeads.count; i++) {
    uint16_t id = ntspool_u16_list_get(prefs->aeads, i);
    /* chrony before 4.6.1 exports AES-128-GCM-SIV keys with the context of
     * 15; only a client that sent record 1024 derives them as we do. */
    if (id == NTSPOOL_AEAD_AES_128_GCM_SIV && !prefs->compliant_128gcm)
      continue;
    uint16_t len = usable_key_len(caps, id);
    if (len != 0) {
      sel->aead = id;
      sel->key_len = len;
      sel->negotiated = true;
      return 0;
    }
  }
  return NTSPOOL_ERR_NO_AEAD;
}

int ntspool_policy_negotiate(ntspool_policy *p, const ntspool_source *src,
                             const ntspool_client_prefs *prefs,
                             ntspool_time_ms now, ntspool_selection *sel) {
  int f = prefs != NULL ? ntspool_family_index(prefs->family) : -1;
  if (p == NULL || src == NULL || sel == NULL || f < 0)
    return NTSPOOL_ERR_INVALID_ARG;
  const struct ntspool_settings *s = &src->registry->settings;
  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  const struct ntspool_family_state *fs = &st->fam[f];
  sel->caps = ntspool_caps_state_of(fs, s, now);
  int rc = NTSPOOL_ERR_NOT_FOUND;
  if (fs->has_caps)
    rc = negotiate_caps(&fs->caps, s, prefs, sel);
  pthread_mutex_unlock(&st->lock);
  return rc;
}

/* ---- Selection -------------------------------------------------------- */

/* A candidate and what was known about it when it was judged, so the
 * answer is consistent even if another thread updates the caches. */
struct cand {
  const ntspool_source *src;
  enum ntspool_caps_state caps;
  ntspool_selection neg;
};

/* Draws a weighted candidate at random this many times before walking the
 * whole set: enough that a set where half the weight is unusable (backing
 * off, tried, refused) almost never walks (2^-32), few enough that a set
 * where nearly everything is unusable walks soon. */
#define WEIGHTED_DRAWS 32

/* What one selection carries between draws: the client, the sources it
 * must not get again, and the outcome of a walk over the set. */
struct pick {
  ntspool_policy *p;
  const struct ntspool_settings *s;
  const ntspool_client_prefs *prefs;
  const ntspool_attempts *attempts;
  const ntspool_rng *rng;
  ntspool_time_ms now;
  int f;
  bool last; /* drawing from the last set: nothing wider to fall back to */
  /* denied candidates dropped so far (at most deny-max-skips) */
  unsigned skips;
  const ntspool_source *dropped[NTSPOOL_MAX_DENY_SKIPS];
  struct cand pending; /* the last one dropped: used if nothing else is */
  /* from a walk: why capable-looking sources were refused, and the
   * backing-off source that recovers first */
  int refusal;
  ntspool_selection refused;
  struct cand fallback;
  ntspool_time_ms fallback_until;
};

static bool listed(const ntspool_source *const *list, size_t n,
                   const ntspool_source *s) {
  for (size_t i = 0; i < n; i++)
    if (list[i] == s)
      return true;
  return false;
}

static bool is_denied(const ntspool_source *s,
                      const ntspool_client_prefs *prefs) {
  for (size_t i = 0; i < prefs->n_denied; i++)
    if (ntspool_source_matches_name(s, prefs->denied[i]))
      return true;
  return false;
}

enum verdict { USABLE, EXCLUDED, REFUSED, BACKING_OFF };

/* Whether src can serve this client now: not tried or dropped, and (with
 * fresh capabilities) able to negotiate, and not backing off.  Fills *c;
 * *until is the end of the back-off. */
static enum verdict judge(struct pick *k, const ntspool_source *src,
                          struct cand *c, int *refusal,
                          ntspool_time_ms *until) {
  if (listed(k->attempts->tried, k->attempts->count, src) ||
      listed(k->dropped, k->skips, src))
    return EXCLUDED;
  memset(c, 0, sizeof *c);
  c->src = src;
  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  const struct ntspool_family_state *fs = &st->fam[k->f];
  c->caps = ntspool_caps_state_of(fs, k->s, k->now);
  /* Stale capabilities may be outdated in either direction, so only fresh
   * ones rule a source out. */
  *refusal = 0;
  if (c->caps == NTSPOOL_CAPS_HIT)
    *refusal = negotiate_caps(&fs->caps, k->s, k->prefs, &c->neg);
  *until = fs->backoff_until;
  pthread_mutex_unlock(&st->lock);
  if (*refusal != 0)
    return REFUSED;
  return *until > k->now ? BACKING_OFF : USABLE;
}

/* Notes a refusal for the answer when nothing else is left: "no AEAD" (with
 * the protocol that would have been used) wins over "no protocol". */
static void note_refusal(struct pick *k, int rc, const struct cand *c) {
  if (rc == NTSPOOL_ERR_NO_AEAD && k->refusal != NTSPOOL_ERR_NO_AEAD) {
    k->refusal = rc;
    k->refused = c->neg;
  } else if (k->refusal == 0) {
    k->refusal = rc;
  }
}

/* Judges member i of the walk; true if it is usable (then *c holds it). */
static bool walk_one(struct pick *k, const ntspool_source *src,
                     struct cand *c) {
  int rc;
  ntspool_time_ms until;
  switch (judge(k, src, c, &rc, &until)) {
  case USABLE:
    return true;
  case REFUSED:
    note_refusal(k, rc, c);
    break;
  case BACKING_OFF:
    if (k->fallback.src == NULL || until < k->fallback_until) {
      k->fallback = *c;
      k->fallback_until = until;
    }
    break;
  case EXCLUDED:
    break;
  }
  return false;
}

/* Weighted, exactly: the usable members' weights are summed in one walk,
 * and a second walk stops at a draw below that sum.  A source that changes
 * between the walks shifts the draw to a neighbour, never outside the
 * usable ones.  Returns 1 with *out, 0 if no member is usable, or a
 * status. */
static int walk_weighted(struct pick *k, const struct ntspool_select_set *set,
                         struct cand *out) {
  uint64_t total = 0;
  struct cand c;
  for (size_t i = 0; i < set->n; i++)
    if (walk_one(k, set->members[i], &c))
      total += set->members[i]->weight;
  if (total == 0)
    return 0;
  uint64_t r;
  int rc = rng_below(k->rng, total, &r);
  if (rc != 0)
    return rc;
  bool found = false;
  for (size_t i = 0; i < set->n; i++) {
    int refusal;
    ntspool_time_ms until;
    if (judge(k, set->members[i], &c, &refusal, &until) != USABLE)
      continue;
    *out = c;
    found = true;
    if (r < set->members[i]->weight)
      break;
    r -= set->members[i]->weight;
  }
  return found ? 1 : 0;
}

/* Weighted: draws by binary search over the prefix sums and judges only
 * the draw; an unusable draw is drawn again, which keeps the choice
 * proportional to weight among the usable ones.  After WEIGHTED_DRAWS
 * misses, walks the set. */
static int next_weighted(struct pick *k, const struct ntspool_select_set *set,
                         struct cand *out) {
  for (int i = 0; i < WEIGHTED_DRAWS; i++) {
    uint64_t r;
    int rc = rng_below(k->rng, set->total, &r);
    if (rc != 0)
      return rc;
    const ntspool_source *src = set->members[ntspool_select_set_find(set, r)];
    int refusal;
    ntspool_time_ms until;
    if (judge(k, src, out, &refusal, &until) == USABLE)
      return 1;
  }
  return walk_weighted(k, set, out);
}

/* Round robin: the first usable member from the shared counter on. */
static int next_in_turn(struct pick *k, const struct ntspool_select_set *set,
                        size_t start, struct cand *out) {
  for (size_t i = 0; i < set->n; i++)
    if (walk_one(k, set->members[(start + i) % set->n], out))
      return 1;
  return 0;
}

/* The candidate for this client from `set`: drawn (or taken in turn), a
 * denied one dropped and the draw repeated at most deny-max-skips times in
 * all sets.  In the last set the last one dropped stands rather than
 * nothing; in a narrower one a denied draw means "try the wider set".
 * Returns 1 with *chosen, 0 if nothing is usable, or a status. */
static int choose(struct pick *k, const struct ntspool_select_set *set,
                  struct cand *chosen, bool *denied) {
  size_t start = 0;
  if (k->s->strategy == NTSPOOL_STRATEGY_ROUND_ROBIN)
    start = (size_t)(atomic_fetch_add(&k->p->rr_counter, 1) % set->n);
  for (;;) {
    int rc = k->s->strategy == NTSPOOL_STRATEGY_ROUND_ROBIN
                 ? next_in_turn(k, set, start, chosen)
                 : next_weighted(k, set, chosen);
    if (rc < 0)
      return rc;
    if (rc == 0) {
      if (k->pending.src == NULL || !k->last)
        return 0;
      /* Everything else is gone: the last one dropped stands. */
      *chosen = k->pending;
      *denied = true;
      atomic_fetch_add(&k->p->deny_ignored, 1);
      return 1;
    }
    if (k->pending.src != NULL) /* another one was there: a real skip */
      atomic_fetch_add(&k->p->deny_skips, 1);
    *denied = k->prefs->n_denied > 0 && is_denied(chosen->src, k->prefs);
    if (!*denied)
      return 1;
    if (k->skips >= k->s->deny_max_skips) {
      if (!k->last)
        return 0;
      atomic_fetch_add(&k->p->deny_ignored, 1);
      return 1;
    }
    k->dropped[k->skips++] = chosen->src;
    k->pending = *chosen;
  }
}

/* One set a client may draw from, and what sel->region/subpool say of it. */
struct level {
  const struct ntspool_select_set *set;
  unsigned region, subpool;
};

/* The sets this client draws from, narrowest first, the whole global set
 * last.  Returns how many (at most NTSPOOL_MAX_CLIENT_REGIONS + 2). */
static size_t levels_of(const struct ntspool_registry *reg, int f,
                        const ntspool_client_prefs *prefs, struct level *out) {
  size_t n = 0;
  unsigned g = prefs->subpool;
  for (size_t i = 0; i < prefs->n_regions; i++) {
    const struct ntspool_select_level *l =
        ntspool_select_level_find(reg, f, prefs->regions[i]);
    if (l != NULL)
      out[n++] =
          (struct level){g ? &l->group[g - 1] : &l->whole, (unsigned)i + 1, g};
  }
  const struct ntspool_select_level *global = &reg->sets[f].global;
  if (g != 0)
    out[n++] = (struct level){&global->group[g - 1], 0, g};
  out[n++] = (struct level){&global->whole, 0, 0};
  return n;
}

/* What a selection settled on. */
struct choice {
  struct cand cand;
  size_t level; /* of the levels drawn from */
  bool denied;
  bool backoff_fallback;
};

/* Collects the candidate: draws from the levels in order, judging each
 * draw under its source's lock (choose).  Returns 1 with *c, 0 if no
 * level gave one (k then holds the refusals and the back-off fallback
 * met), or a status. */
static int collect(struct pick *k, const struct level *levels, size_t n,
                   struct choice *c) {
  for (size_t i = 0; i < n; i++) {
    const struct ntspool_select_set *set = levels[i].set;
    k->last = i + 1 == n;
    /* A set no larger than the client's deny list may hold nothing but
     * sources it already has. */
    if (set->n == 0 || (!k->last && set->n <= k->prefs->n_denied))
      continue;
    c->level = i;
    int rc = choose(k, set, &c->cand, &c->denied);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* Nothing usable: every candidate backing off gives the one that recovers
 * first (from the whole global set) rather than failing every client
 * until a back-off ends; else a refusal by fresh capabilities is the
 * answer (note_refusal kept the one that says most), else there is no
 * source.  Returns 1 with *c, or the status. */
static int fall_back(struct pick *k, size_t n_levels, struct choice *c,
                     ntspool_selection *sel) {
  if (k->fallback.src != NULL) {
    c->cand = k->fallback;
    c->level = n_levels - 1;
    c->denied = k->prefs->n_denied > 0 && is_denied(c->cand.src, k->prefs);
    c->backoff_fallback = true;
    atomic_fetch_add(&k->p->backoff_fallbacks, 1);
    return 1;
  }
  if (k->refusal != 0) {
    sel->has_protocol = k->refused.has_protocol;
    sel->protocol = k->refused.protocol;
    return k->refusal;
  }
  atomic_fetch_add(&k->p->no_source, 1);
  return NTSPOOL_ERR_NO_SOURCE;
}

/* Commits the choice: counted, returned in *sel, added to the attempts. */
static void commit_choice(struct pick *k, const struct level *levels,
                          const struct choice *c, ntspool_attempts *attempts,
                          ntspool_selection *sel) {
  atomic_fetch_add_explicit(&c->cand.src->state->fam[k->f].selected, 1,
                            memory_order_relaxed);
  *sel = c->cand.neg;
  sel->source = c->cand.src;
  sel->caps = c->cand.caps;
  sel->denied = c->denied;
  sel->backoff_fallback = c->backoff_fallback;
  sel->region = levels[c->level].region;
  sel->subpool = levels[c->level].subpool;
  attempts->tried[attempts->count++] = c->cand.src;
  atomic_fetch_add(&k->p->selections, 1);
}

static bool select_args_ok(const ntspool_policy *p, const ntspool_registry *reg,
                           const ntspool_client_prefs *prefs,
                           const ntspool_attempts *attempts,
                           const ntspool_selection *sel, int f) {
  if (p == NULL || reg == NULL || attempts == NULL || sel == NULL || f < 0 ||
      attempts->count > NTSPOOL_MAX_ATTEMPTS ||
      (prefs->n_denied > 0 && prefs->denied == NULL) ||
      prefs->n_regions > NTSPOOL_MAX_CLIENT_REGIONS ||
      (prefs->n_regions > 0 && prefs->regions == NULL) ||
      prefs->subpool > NTSPOOL_SUBPOOLS)
    return false;
  for (size_t i = 0; i < prefs->n_regions; i++)
    if (prefs->regions[i] == NULL)
      return false;
  return true;
}

int ntspool_policy_select(ntspool_policy *p, const ntspool_registry *reg,
                          const ntspool_client_prefs *prefs,
                          ntspool_attempts *attempts, const ntspool_rng *rng,
                          ntspool_time_ms now, ntspool_selection *sel) {
  int f = prefs != NULL ? ntspool_family_index(prefs->family) : -1;
  if (!select_args_ok(p, reg, prefs, attempts, sel, f))
    return NTSPOOL_ERR_INVALID_ARG;
  memset(sel, 0, sizeof *sel);
  static const ntspool_rng default_rng = {default_fill, NULL};
  const struct ntspool_select_set *set = ntspool_select_set_of(reg, f);
  if (attempts->count == NTSPOOL_MAX_ATTEMPTS || set->n == 0) {
    atomic_fetch_add(&p->no_source, 1);
    return NTSPOOL_ERR_NO_SOURCE;
  }
  struct pick k;
  memset(&k, 0, sizeof k);
  k.p = p;
  k.s = &reg->settings;
  k.prefs = prefs;
  k.attempts = attempts;
  k.rng = rng != NULL ? rng : &default_rng;
  k.now = now;
  k.f = f;

  struct level levels[NTSPOOL_MAX_CLIENT_REGIONS + 2];
  size_t n_levels = levels_of(reg, f, prefs, levels);
  struct choice c = {.cand = {NULL, NTSPOOL_CAPS_MISSING, {0}},
                     .level = n_levels - 1};
  int rc = collect(&k, levels, n_levels, &c);
  if (rc == 0)
    rc = fall_back(&k, n_levels, &c, sel);
  if (rc < 0)
    return rc;
  commit_choice(&k, levels, &c, attempts, sel);
  return 0;
}
