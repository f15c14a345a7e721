/* SPDX-License-Identifier: BSD-2-Clause */
/* Connection cache: idle kept-alive upstream connections per source and
 * family, oldest first.  The connections are the caller's opaque objects;
 * the cache only keeps them, asks whether they are still alive and closes
 * them, always outside the state lock (close may do I/O). */
#include "policy/policy_internal.h"

/* When a cached connection passes its idle or age limit. */
static ntspool_time_ms expires_at(const struct ntspool_cached_conn *c,
                                  const struct ntspool_settings *s) {
  ntspool_time_ms idle = c->idle_since + s->conn_max_idle_ms;
  ntspool_time_ms age = c->created_at + s->conn_max_age_ms;
  return idle < age ? idle : age;
}

static bool expired(const struct ntspool_cached_conn *c,
                    const struct ntspool_settings *s, ntspool_time_ms now) {
  return now >= expires_at(c, s);
}

/* Removes (into out[]) the entries past their idle or age limit, then the
 * oldest ones until at most `keep` remain.  Caller holds the lock.  Returns
 * how many were removed. */
static size_t trim(struct ntspool_family_state *fs,
                   const struct ntspool_settings *s, ntspool_time_ms now,
                   size_t keep, void *out[NTSPOOL_MAX_CACHED_CONNS]) {
  size_t n_out = 0, kept = 0;
  for (size_t i = 0; i < fs->n_conns; i++) {
    if (expired(&fs->conns[i], s, now)) {
      out[n_out++] = fs->conns[i].conn;
      fs->conn_closed_expired++;
    } else {
      fs->conns[kept++] = fs->conns[i];
    }
  }
  fs->n_conns = kept;
  size_t excess = kept > keep ? kept - keep : 0;
  for (size_t i = 0; i < excess; i++) {
    out[n_out++] = fs->conns[i].conn;
    fs->conn_evicted++;
  }
  for (size_t i = excess; i < kept; i++)
    fs->conns[i - excess] = fs->conns[i];
  fs->n_conns -= excess;
  return n_out;
}

void ntspool_source_state_close_conns(const struct ntspool_source_state *st,
                                      void **conns, size_t n) {
  for (size_t i = 0; i < n; i++)
    st->ops.close(st->ops.user_data, conns[i]);
}

int ntspool_policy_conn_take(ntspool_policy *p, const ntspool_source *src,
                             enum ntspool_family family, ntspool_time_ms now,
                             void **conn, ntspool_time_ms *created_at) {
  int f = ntspool_family_index(family);
  if (p == NULL || src == NULL || conn == NULL || created_at == NULL || f < 0)
    return NTSPOOL_ERR_INVALID_ARG;
  struct ntspool_source_state *st = src->state;
  const struct ntspool_settings *s = &src->registry->settings;
  if (!st->has_ops)
    return 0;
  struct ntspool_family_state *fs = &st->fam[f];
  uint64_t dead = 0;
  for (;;) {
    void *victims[NTSPOOL_MAX_CACHED_CONNS];
    struct ntspool_cached_conn c = {NULL, 0, 0};
    pthread_mutex_lock(&st->lock);
    fs->conn_closed_dead += dead;
    dead = 0;
    size_t n = trim(fs, s, now, s->conn_cache_size, victims);
    if (fs->n_conns > 0)
      c = fs->conns[--fs->n_conns]; /* newest: the most likely alive */
    pthread_mutex_unlock(&st->lock);
    ntspool_source_state_close_conns(st, victims, n);
    if (c.conn == NULL)
      return 0;
    /* Asked outside the lock: reusable() peeks at a socket. */
    if (st->ops.reusable(st->ops.user_data, c.conn)) {
      pthread_mutex_lock(&st->lock);
      fs->conn_reused++;
      pthread_mutex_unlock(&st->lock);
      *conn = c.conn;
      *created_at = c.created_at;
      return 1;
    }
    st->ops.close(st->ops.user_data, c.conn);
    dead++;
  }
}

int ntspool_policy_conn_put(ntspool_policy *p, const ntspool_source *src,
                            enum ntspool_family family, void *conn,
                            ntspool_time_ms created_at, ntspool_time_ms now) {
  int f = ntspool_family_index(family);
  if (p == NULL || src == NULL || conn == NULL || f < 0)
    return NTSPOOL_ERR_INVALID_ARG;
  struct ntspool_source_state *st = src->state;
  const struct ntspool_settings *s = &src->registry->settings;
  if (!st->has_ops)
    return NTSPOOL_ERR_STATE;
  struct ntspool_family_state *fs = &st->fam[f];
  struct ntspool_cached_conn c = {conn, created_at, now};
  void *victims[NTSPOOL_MAX_CACHED_CONNS + 1];
  size_t n = 0;
  int rc = 0;
  pthread_mutex_lock(&st->lock);
  if (st->retired || s->conn_cache_size == 0) {
    victims[n++] = conn;
    rc = 1;
  } else if (expired(&c, s, now)) {
    victims[n++] = conn;
    fs->conn_closed_expired++;
    rc = 1;
  } else if (fs->conns == NULL &&
             (fs->conns = ntspool_calloc(&st->alloc, NTSPOOL_MAX_CACHED_CONNS *
                                                         sizeof *fs->conns)) ==
                 NULL) {
    rc = NTSPOOL_ERR_NO_MEMORY; /* the caller still owns conn */
  } else {
    n = trim(fs, s, now, s->conn_cache_size - 1, victims);
    fs->conns[fs->n_conns++] = c;
    fs->conn_stored++;
  }
  pthread_mutex_unlock(&st->lock);
  ntspool_source_state_close_conns(st, victims, n);
  return rc;
}

int ntspool_policy_conn_expire(ntspool_policy *p, ntspool_time_ms now) {
  if (p == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const struct ntspool_settings *s = &reg->settings;
  int total = 0;
  for (size_t i = 0; i < reg->n_sources; i++) {
    struct ntspool_source_state *st = reg->sources[i].state;
    if (!st->has_ops)
      continue;
    for (int f = 0; f < 2; f++) {
      void *victims[NTSPOOL_MAX_CACHED_CONNS];
      pthread_mutex_lock(&st->lock);
      size_t n = trim(&st->fam[f], s, now, s->conn_cache_size, victims);
      pthread_mutex_unlock(&st->lock);
      ntspool_source_state_close_conns(st, victims, n);
      total += (int)n;
    }
  }
  ntspool_registry_unref(reg);
  return total;
}

ntspool_time_ms ntspool_policy_conn_next_expiry(ntspool_policy *p) {
  ntspool_time_ms next = NTSPOOL_TIME_NEVER;
  if (p == NULL)
    return next;
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const struct ntspool_settings *s = &reg->settings;
  for (size_t i = 0; i < reg->n_sources; i++) {
    struct ntspool_source_state *st = reg->sources[i].state;
    if (!st->has_ops)
      continue;
    pthread_mutex_lock(&st->lock);
    for (int f = 0; f < 2; f++)
      for (size_t k = 0; k < st->fam[f].n_conns; k++) {
        ntspool_time_ms t = expires_at(&st->fam[f].conns[k], s);
        if (t < next)
          next = t;
      }
    pthread_mutex_unlock(&st->lock);
  }
  ntspool_registry_unref(reg);
  return next;
}
