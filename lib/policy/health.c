/* SPDX-License-Identifier: BSD-2-Clause */
/* Source health: exponential back-off after consecutive failures, and the
 * per-source counters and latency histograms exposed for metrics. */
#include <string.h>

#include "policy/policy_internal.h"

static ntspool_time_ms backoff_delay(const struct ntspool_settings *s,
                                     uint32_t consecutive) {
  ntspool_time_ms d = s->backoff_initial_ms;
  for (uint32_t i = 1; i < consecutive && d < s->backoff_max_ms; i++)
    d *= 2;
  return d < s->backoff_max_ms ? d : s->backoff_max_ms;
}

int ntspool_policy_record_result(ntspool_policy *p, const ntspool_source *src,
                                 enum ntspool_family family, bool ok,
                                 ntspool_time_ms now) {
  int f = ntspool_family_index(family);
  if (p == NULL || src == NULL || f < 0)
    return NTSPOOL_ERR_INVALID_ARG;
  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  struct ntspool_family_state *fs = &st->fam[f];
  if (ok) {
    fs->successes++;
    fs->consecutive_failures = 0;
    fs->backoff_until = 0;
  } else {
    fs->failures++;
    if (fs->consecutive_failures < UINT32_MAX)
      fs->consecutive_failures++;
    fs->backoff_until =
        now + backoff_delay(&src->registry->settings, fs->consecutive_failures);
  }
  pthread_mutex_unlock(&st->lock);
  return 0;
}

static const uint32_t latency_edges_us[NTSPOOL_LATENCY_BUCKETS] = {
    0,      1000,   2500,   5000,    10000,   25000,  50000,
    100000, 250000, 500000, 1000000, 2500000, 5000000};

const uint32_t *ntspool_latency_edges_us(void) {
  return latency_edges_us;
}

int ntspool_policy_record_latency(ntspool_policy *p, const ntspool_source *src,
                                  enum ntspool_family family,
                                  enum ntspool_exchange exchange, bool ok,
                                  ntspool_time_ms ms) {
  int f = ntspool_family_index(family);
  if (p == NULL || src == NULL || f < 0 ||
      (exchange != NTSPOOL_EXCHANGE_SUPPORT &&
       exchange != NTSPOOL_EXCHANGE_FIXED_KEY))
    return NTSPOOL_ERR_INVALID_ARG;
  if (ms < 0) /* a clock that went back: count it as instant */
    ms = 0;
  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  struct ntspool_family_state *fs = &st->fam[f];
  if (fs->latency == NULL &&
      (fs->latency = ntspool_calloc(&st->alloc, 2 * sizeof *fs->latency)) ==
          NULL) {
    pthread_mutex_unlock(&st->lock);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  ntspool_latency *h = &fs->latency[exchange][ok];
  for (size_t i = 0; i < NTSPOOL_LATENCY_BUCKETS; i++)
    if ((uint64_t)ms * 1000 <= latency_edges_us[i]) {
      h->buckets[i]++;
      break;
    }
  h->count++;
  h->sum_ms += (uint64_t)ms;
  pthread_mutex_unlock(&st->lock);
  return 0;
}

int ntspool_policy_record_probe(ntspool_policy *p, const ntspool_source *src,
                                enum ntspool_family family, bool ok) {
  int f = ntspool_family_index(family);
  if (p == NULL || src == NULL || f < 0)
    return NTSPOOL_ERR_INVALID_ARG;
  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  st->fam[f].probes[ok]++;
  pthread_mutex_unlock(&st->lock);
  return 0;
}

int ntspool_policy_source_stats(const ntspool_policy *p,
                                const ntspool_source *src,
                                enum ntspool_family family, ntspool_time_ms now,
                                ntspool_source_stats *out) {
  int f = ntspool_family_index(family);
  if (p == NULL || src == NULL || out == NULL || f < 0)
    return NTSPOOL_ERR_INVALID_ARG;
  memset(out, 0, sizeof *out);
  struct ntspool_source_state *st = src->state;
  pthread_mutex_lock(&st->lock);
  const struct ntspool_family_state *fs = &st->fam[f];
  out->selected = atomic_load_explicit(&fs->selected, memory_order_relaxed);
  out->successes = fs->successes;
  out->failures = fs->failures;
  out->probe_successes = fs->probes[1];
  out->probe_failures = fs->probes[0];
  out->consecutive_failures = fs->consecutive_failures;
  out->backoff_until = fs->backoff_until;
  out->backing_off = fs->backoff_until > now;
  out->caps = ntspool_caps_state_of(fs, &src->registry->settings, now);
  if (fs->has_caps)
    out->caps_fetched_at = fs->caps.fetched_at;
  out->idle_connections = fs->n_conns;
  out->conn_reused = fs->conn_reused;
  out->conn_stored = fs->conn_stored;
  out->conn_closed_dead = fs->conn_closed_dead;
  out->conn_closed_expired = fs->conn_closed_expired;
  out->conn_evicted = fs->conn_evicted;
  if (fs->latency != NULL)
    memcpy(out->latency, fs->latency, sizeof out->latency);
  pthread_mutex_unlock(&st->lock);
  return 0;
}
