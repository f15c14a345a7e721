/* SPDX-License-Identifier: BSD-2-Clause */
/* Selection: which source serves a client (weighted random or round robin
 * over healthy, reachable, capable sources, honouring NTP Server Deny), and
 * which protocol and AEAD it uses. */
#include <string.h>

#include "crypto.h"
#include "policy_internal.h"

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

static bool protocol_allowed(const struct ntspool_settings *s, uint16_t id) {
  for (size_t i = 0; i < s->n_allowed; i++)
    if (s->allowed[i] == id)
      return true;
  return false;
}

static bool caps_has_protocol(const ntspool_caps *c, uint16_t id) {
  for (size_t i = 0; i < c->n_protocols; i++)
    if (c->protocols[i] == id)
      return true;
  return false;
}

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
    uint16_t id = ntspool_list_get(prefs->protocols, i);
    if (protocol_allowed(settings, id) && caps_has_protocol(caps, id)) {
      sel->protocol = id;
      sel->has_protocol = true;
    }
  }
  if (!sel->has_protocol)
    return NTSPOOL_ERR_NO_PROTOCOL;
  for (size_t i = 0; i < prefs->aeads.count; i++) {
    uint16_t id = ntspool_list_get(prefs->aeads, i);
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

/* A candidate and what was known about it when the list was made, so the
 * answer is consistent even if another thread updates the caches. */
struct cand {
  const ntspool_source *src;
  enum ntspool_caps_state caps;
  ntspool_selection neg;
};

static bool already_tried(const ntspool_attempts *a, const ntspool_source *s) {
  for (size_t i = 0; i < a->count; i++)
    if (a->tried[i] == s)
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

/* Index of the weighted draw among cands[0..n). */
static int draw_weighted(const ntspool_rng *rng, const struct cand *cands,
                         size_t n, size_t *out) {
  uint64_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += cands[i].src->weight;
  uint64_t r;
  int rc = rng_below(rng, total, &r);
  if (rc != 0)
    return rc;
  for (size_t i = 0; i < n; i++) {
    if (r < cands[i].src->weight) {
      *out = i;
      return 0;
    }
    r -= cands[i].src->weight;
  }
  *out = n - 1; /* unreachable: r < total */
  return 0;
}

/* Draws among cands[0..n) (n >= 1), dropping denied draws within the skip
 * budget.  Reorders and shrinks cands; returns the index of the choice. */
static int draw(ntspool_policy *p, const struct ntspool_settings *s,
                struct cand *cands, size_t n, const ntspool_client_prefs *prefs,
                const ntspool_rng *rng, size_t *chosen, bool *denied) {
  size_t pos = 0;
  if (s->strategy == NTSPOOL_STRATEGY_ROUND_ROBIN)
    pos = (size_t)(atomic_fetch_add(&p->rr_counter, 1) % n);
  for (unsigned skips = 0;; skips++) {
    if (s->strategy == NTSPOOL_STRATEGY_WEIGHTED) {
      int rc = draw_weighted(rng, cands, n, &pos);
      if (rc != 0)
        return rc;
    }
    *chosen = pos;
    *denied = prefs->n_denied > 0 && is_denied(cands[pos].src, prefs);
    if (!*denied)
      return 0;
    if (n == 1 || skips >= s->deny_max_skips) {
      atomic_fetch_add(&p->deny_ignored, 1);
      return 0;
    }
    /* Drop it; in round robin the next one in turn slides into pos. */
    memmove(&cands[pos], &cands[pos + 1], (n - pos - 1) * sizeof *cands);
    n--;
    pos %= n;
    atomic_fetch_add(&p->deny_skips, 1);
  }
}

int ntspool_policy_select(ntspool_policy *p, const ntspool_registry *reg,
                          const ntspool_client_prefs *prefs,
                          ntspool_attempts *attempts, const ntspool_rng *rng,
                          ntspool_time_ms now, ntspool_selection *sel) {
  int f = prefs != NULL ? ntspool_family_index(prefs->family) : -1;
  if (p == NULL || reg == NULL || attempts == NULL || sel == NULL || f < 0 ||
      attempts->count > NTSPOOL_MAX_ATTEMPTS ||
      (prefs->n_denied > 0 && prefs->denied == NULL))
    return NTSPOOL_ERR_INVALID_ARG;
  memset(sel, 0, sizeof *sel);
  static const ntspool_rng default_rng = {default_fill, NULL};
  if (rng == NULL)
    rng = &default_rng;
  if (attempts->count == NTSPOOL_MAX_ATTEMPTS || reg->n_sources == 0) {
    atomic_fetch_add(&p->no_source, 1);
    return NTSPOOL_ERR_NO_SOURCE;
  }
  const struct ntspool_settings *s = &reg->settings;
  struct cand *cands =
      ntspool_malloc(&p->alloc, reg->n_sources * sizeof *cands);
  if (cands == NULL)
    return NTSPOOL_ERR_NO_MEMORY;

  size_t n = 0;
  struct cand fallback = {NULL, NTSPOOL_CAPS_MISSING, {0}};
  ntspool_time_ms fallback_until = 0;
  int refusal = 0; /* why capable-looking sources were refused */
  ntspool_selection refused = {0};
  for (size_t i = 0; i < reg->n_sources; i++) {
    const ntspool_source *src = &reg->sources[i];
    if (!src->enabled || src->weight == 0 ||
        !ntspool_source_has_family(src, prefs->family) ||
        already_tried(attempts, src))
      continue;
    struct cand c = {src, NTSPOOL_CAPS_MISSING, {0}};
    int rc = 0;
    struct ntspool_source_state *st = src->state;
    pthread_mutex_lock(&st->lock);
    const struct ntspool_family_state *fs = &st->fam[f];
    c.caps = ntspool_caps_state_of(fs, s, now);
    /* Stale capabilities may be outdated in either direction, so only
     * fresh ones rule a source out. */
    if (c.caps == NTSPOOL_CAPS_HIT)
      rc = negotiate_caps(&fs->caps, s, prefs, &c.neg);
    ntspool_time_ms until = fs->backoff_until;
    pthread_mutex_unlock(&st->lock);
    if (rc != 0) {
      if (rc == NTSPOOL_ERR_NO_AEAD && refusal != NTSPOOL_ERR_NO_AEAD) {
        refusal = rc;
        refused = c.neg;
      } else if (refusal == 0) {
        refusal = rc;
      }
      continue;
    }
    if (until > now) {
      if (fallback.src == NULL || until < fallback_until) {
        fallback = c;
        fallback_until = until;
      }
      continue;
    }
    cands[n++] = c;
  }

  int rc = 0;
  struct cand chosen = {NULL, NTSPOOL_CAPS_MISSING, {0}};
  bool denied = false;
  if (n > 0) {
    size_t i = 0;
    rc = draw(p, s, cands, n, prefs, rng, &i, &denied);
    chosen = cands[i];
  } else if (fallback.src != NULL) {
    /* Every candidate is backing off: try the one that recovers first
     * rather than fail every client until a back-off ends. */
    chosen = fallback;
    denied = prefs->n_denied > 0 && is_denied(chosen.src, prefs);
    sel->backoff_fallback = true;
    atomic_fetch_add(&p->backoff_fallbacks, 1);
  } else if (refusal != 0) {
    rc = refusal;
    sel->has_protocol = refused.has_protocol;
    sel->protocol = refused.protocol;
  } else {
    rc = NTSPOOL_ERR_NO_SOURCE;
    atomic_fetch_add(&p->no_source, 1);
  }
  ntspool_free(&p->alloc, cands);
  if (rc != 0)
    return rc;

  struct ntspool_source_state *st = chosen.src->state;
  pthread_mutex_lock(&st->lock);
  st->fam[f].selected++;
  pthread_mutex_unlock(&st->lock);
  bool fallback_used = sel->backoff_fallback;
  *sel = chosen.neg;
  sel->source = chosen.src;
  sel->caps = chosen.caps;
  sel->denied = denied;
  sel->backoff_fallback = fallback_used;
  attempts->tried[attempts->count++] = chosen.src;
  atomic_fetch_add(&p->selections, 1);
  return 0;
}
