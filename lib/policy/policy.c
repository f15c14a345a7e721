/* SPDX-License-Identifier: BSD-2-Clause */
/* The policy object: life cycle, installing registries (commit/reload) and
 * counters. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "policy/policy_internal.h"

/* ---- Life cycle ------------------------------------------------------- */

void ntspool_settings_defaults(struct ntspool_settings *s) {
  memset(s, 0, sizeof *s);
  s->strategy = NTSPOOL_STRATEGY_WEIGHTED;
  /* Only NTPv4 unless the operator opts in: the pool inserts NTPv4 Server
   * records, and nts-pool's example configuration allows [0]. */
  s->n_allowed = 1;
  s->allowed[0] = NTSPOOL_PROTO_NTPV4;
  s->deny_max_skips = 3;
  s->backoff_initial_ms = 1000;
  s->backoff_max_ms = 300000;
  s->caps_validity_ms = 300000;
  s->conn_cache_size = 5;
  s->conn_max_idle_ms = 300000;
  s->conn_max_age_ms = 3600000;
}

int ntspool_policy_new(const ntspool_allocator *allocator,
                       const ntspool_conn_ops *conn_ops, ntspool_policy **out) {
  if (out == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  *out = NULL;
  if (!ntspool_allocator_valid(allocator))
    return NTSPOOL_ERR_INVALID_ARG;
  if (conn_ops != NULL &&
      (conn_ops->version != NTSPOOL_CONN_OPS_VERSION ||
       conn_ops->reusable == NULL || conn_ops->close == NULL))
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_allocator a = ntspool_allocator_or_default(allocator);
  ntspool_policy *p = ntspool_calloc(&a, sizeof *p);
  if (p == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  atomic_init(&p->refs, 1);
  p->alloc = a;
  if (conn_ops != NULL) {
    p->has_ops = true;
    p->ops = *conn_ops;
  }
  p->current = ntspool_registry_alloc(&a, 0);
  if (p->current == NULL || pthread_mutex_init(&p->lock, NULL) != 0) {
    ntspool_registry_unref(p->current);
    ntspool_free(&a, p);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  atomic_init(&p->rr_counter, 0);
  atomic_init(&p->selections, 0);
  atomic_init(&p->no_source, 0);
  atomic_init(&p->deny_skips, 0);
  atomic_init(&p->deny_ignored, 0);
  atomic_init(&p->backoff_fallbacks, 0);
  *out = p;
  return 0;
}

ntspool_policy *ntspool_policy_ref(ntspool_policy *p) {
  if (p != NULL)
    atomic_fetch_add(&p->refs, 1);
  return p;
}

void ntspool_policy_unref(ntspool_policy *p) {
  if (p == NULL || atomic_fetch_sub(&p->refs, 1) != 1)
    return;
  ntspool_policy_discard(p);
  ntspool_registry_unref(p->current);
  pthread_mutex_destroy(&p->lock);
  ntspool_allocator a = p->alloc;
  ntspool_free(&a, p);
}

ntspool_registry *ntspool_policy_acquire(const ntspool_policy *policy) {
  if (policy == NULL)
    return NULL;
  /* Reading the current registry only takes the lock that guards the
   * swap: the one part of a const policy that changes. */
  ntspool_policy *p = (ntspool_policy *)policy;
  pthread_mutex_lock(&p->lock);
  ntspool_registry *r = ntspool_registry_ref(p->current);
  pthread_mutex_unlock(&p->lock);
  return r;
}

void ntspool_policy_error(ntspool_policy *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->error, sizeof p->error, fmt, ap);
  va_end(ap);
}

const char *ntspool_policy_config_error(const ntspool_policy *p) {
  return p != NULL ? p->error : "";
}

void ntspool_policy_discard(ntspool_policy *p) {
  if (p == NULL || p->draft == NULL)
    return;
  ntspool_draft_free(&p->alloc, p->draft);
  p->draft = NULL;
}

int ntspool_policy_commit(ntspool_policy *p) {
  if (p == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  p->error[0] = '\0';
  struct ntspool_draft empty;
  const struct ntspool_draft *d = p->draft;
  if (d == NULL) {
    memset(&empty, 0, sizeof empty);
    ntspool_settings_defaults(&empty.settings);
    d = &empty;
  }
  /* Only this (configuration) thread replaces `current`, so reading it
   * needs no reference of its own while the new registry is built. */
  struct ntspool_registry *old = p->current;
  bool *carried = NULL;
  if (old->n_sources > 0) {
    carried = ntspool_calloc(&p->alloc, old->n_sources);
    if (carried == NULL)
      return NTSPOOL_ERR_NO_MEMORY;
  }
  struct ntspool_registry *reg = NULL;
  int rc = ntspool_registry_build(p, d, old, carried, &reg);
  if (rc != 0) {
    ntspool_free(&p->alloc, carried);
    return rc;
  }
  reg->generation = ++p->generation;
  pthread_mutex_lock(&p->lock);
  p->current = reg;
  pthread_mutex_unlock(&p->lock);
  /* Sources that left (or changed) stop caching connections now rather
   * than when the last session holding the old registry ends. */
  for (size_t i = 0; i < old->n_sources; i++)
    if (!carried[i])
      ntspool_source_state_retire(old->sources[i].state);
  ntspool_free(&p->alloc, carried);
  ntspool_registry_unref(old);
  ntspool_policy_discard(p);
  return 0;
}

/* ---- Counters and helpers --------------------------------------------- */

int ntspool_policy_get_stats(const ntspool_policy *p,
                             ntspool_policy_stats *out) {
  if (p == NULL || out == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_registry *r = ntspool_policy_acquire(p);
  out->generation = r->generation;
  out->sources = r->n_sources;
  ntspool_registry_unref(r);
  out->selections = atomic_load(&p->selections);
  out->no_source = atomic_load(&p->no_source);
  out->deny_skips = atomic_load(&p->deny_skips);
  out->deny_ignored = atomic_load(&p->deny_ignored);
  out->backoff_fallbacks = atomic_load(&p->backoff_fallbacks);
  return 0;
}

void ntspool_client_prefs_from_request(const ntspool_request *req,
                                       enum ntspool_family family,
                                       ntspool_client_prefs *out) {
  if (req == NULL || out == NULL)
    return;
  memset(out, 0, sizeof *out);
  out->family = family;
  out->protocols = req->protocols;
  out->aeads = req->aeads;
  out->denied = req->denied;
  out->n_denied =
      req->n_denied < NTSPOOL_MAX_DENIED ? req->n_denied : NTSPOOL_MAX_DENIED;
  out->compliant_128gcm = req->compliant_128gcm;
}
