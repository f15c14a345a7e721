/* SPDX-License-Identifier: BSD-2-Clause */
/* Capability cache: what each source supports per address family (protocols,
 * algorithms with key lengths, List Server Names), and the names a source
 * is known by for NTP Server Deny matching. */
#include <string.h>

#include "policy/policy_internal.h"

enum ntspool_caps_state
ntspool_caps_state_of(const struct ntspool_family_state *fs,
                      const struct ntspool_settings *s, ntspool_time_ms now) {
  if (!fs->has_caps)
    return NTSPOOL_CAPS_MISSING;
  return now - fs->caps.fetched_at < s->caps_validity_ms ? NTSPOOL_CAPS_HIT
                                                         : NTSPOOL_CAPS_STALE;
}

static bool usable_name(ntspool_bytes n) {
  return n.len > 0 && n.len <= NTSPOOL_MAX_NAME_LEN && n.data != NULL;
}

int ntspool_policy_caps_store(ntspool_policy *p, const ntspool_source *src,
                              enum ntspool_family family,
                              const ntspool_support *sup, ntspool_time_ms now) {
  int f = ntspool_family_index(family);
  if (p == NULL || src == NULL || sup == NULL || f < 0 || !sup->has_protocols ||
      !sup->has_algorithms)
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_caps caps;
  memset(&caps, 0, sizeof caps);
  caps.fetched_at = now;
  for (size_t i = 0; i < sup->protocols.count && i < NTSPOOL_MAX_CAPS; i++)
    caps.protocols[caps.n_protocols++] =
        ntspool_u16_list_get(sup->protocols, i);
  for (size_t i = 0;
       i + 1 < sup->algorithms.count && caps.n_algorithms < NTSPOOL_MAX_CAPS;
       i += 2) {
    ntspool_algorithm *alg = &caps.algorithms[caps.n_algorithms++];
    alg->id = ntspool_u16_list_get(sup->algorithms, i);
    alg->key_len = ntspool_u16_list_get(sup->algorithms, i + 1);
  }

  /* Names go into one block built before locking, so the lock only swaps
   * pointers. */
  size_t n_names = sup->n_names < NTSPOOL_MAX_SERVER_NAMES
                       ? sup->n_names
                       : NTSPOOL_MAX_SERVER_NAMES;
  size_t total = 0;
  for (size_t i = 0; i < n_names; i++)
    if (usable_name(sup->names[i]))
      total += sup->names[i].len + 1;
  char *names = NULL;
  if (total > 0) {
    names = ntspool_malloc(&p->alloc, total);
    if (names == NULL)
      return NTSPOOL_ERR_NO_MEMORY;
    char *w = names;
    for (size_t i = 0; i < n_names; i++) {
      if (!usable_name(sup->names[i]))
        continue;
      memcpy(w, sup->names[i].data, sup->names[i].len);
      w += sup->names[i].len;
      *w++ = '\0';
      caps.n_names++;
    }
  }

  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  struct ntspool_family_state *fs = &st->fam[f];
  char *old = fs->names;
  fs->names = names;
  fs->caps = caps;
  fs->has_caps = true;
  pthread_mutex_unlock(&st->lock);
  ntspool_free(&p->alloc, old);
  return 0;
}

enum ntspool_caps_state ntspool_policy_caps_lookup(const ntspool_policy *p,
                                                   const ntspool_source *src,
                                                   enum ntspool_family family,
                                                   ntspool_time_ms now,
                                                   ntspool_caps *out) {
  int f = ntspool_family_index(family);
  if (p == NULL || src == NULL || f < 0)
    return NTSPOOL_CAPS_MISSING;
  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  const struct ntspool_family_state *fs = &st->fam[f];
  enum ntspool_caps_state state =
      ntspool_caps_state_of(fs, &src->registry->settings, now);
  if (state != NTSPOOL_CAPS_MISSING && out != NULL)
    *out = fs->caps;
  pthread_mutex_unlock(&st->lock);
  return state;
}

int ntspool_policy_learn_server_name(ntspool_policy *p,
                                     const ntspool_source *src,
                                     ntspool_bytes name) {
  if (p == NULL || src == NULL || !usable_name(name))
    return NTSPOOL_ERR_INVALID_ARG;
  if (ntspool_source_matches_name(src, name))
    return 0;
  char *copy = ntspool_malloc(&p->alloc, name.len + 1);
  if (copy == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  memcpy(copy, name.data, name.len);
  copy[name.len] = '\0';
  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  char *old = st->learned[st->learned_next];
  st->learned[st->learned_next] = copy;
  st->learned_next = (st->learned_next + 1) % NTSPOOL_LEARNED_NAMES;
  pthread_mutex_unlock(&st->lock);
  ntspool_free(&p->alloc, old);
  return 0;
}

/* DNS names compare without regard to ASCII case. */
static bool same_name(const char *known, size_t known_len, ntspool_bytes n) {
  if (known_len != n.len)
    return false;
  for (size_t i = 0; i < n.len; i++) {
    unsigned char a = (unsigned char)known[i], b = n.data[i];
    if (a >= 'A' && a <= 'Z')
      a = (unsigned char)(a - 'A' + 'a');
    if (b >= 'A' && b <= 'Z')
      b = (unsigned char)(b - 'A' + 'a');
    if (a != b)
      return false;
  }
  return true;
}

bool ntspool_source_matches_name(const struct ntspool_source *src,
                                 ntspool_bytes name) {
  if (same_name(src->domain, strlen(src->domain), name))
    return true;
  struct ntspool_source_state *st = src->state;
  bool found = false;
  pthread_mutex_lock(&st->lock);
  /* Names from a stale capability entry still describe the source. */
  for (int f = 0; f < 2 && !found; f++) {
    const char *w = st->fam[f].names;
    for (size_t i = 0; i < st->fam[f].caps.n_names && !found; i++) {
      size_t len = strlen(w);
      found = same_name(w, len, name);
      w += len + 1;
    }
  }
  for (size_t i = 0; i < NTSPOOL_LEARNED_NAMES && !found; i++)
    found = st->learned[i] != NULL &&
            same_name(st->learned[i], strlen(st->learned[i]), name);
  pthread_mutex_unlock(&st->lock);
  return found;
}
