/* SPDX-License-Identifier: BSD-2-Clause */
/* The pending configuration (the draft): freeing it, and building a
 * registry from it at commit.  Errors go into the caller's buffer, so
 * nothing here calls back into the policy object. */
#include <stdio.h>
#include <string.h>

#include "base/crypto.h"
#include "policy/policy_internal.h"

void ntspool_draft_free(const ntspool_allocator *a, struct ntspool_draft *d) {
  for (size_t i = 0; i < d->n_sources; i++) {
    struct ntspool_draft_source *s = &d->sources[i];
    ntspool_free(a, s->name);
    ntspool_free(a, s->domain);
    ntspool_free(a, s->connect_address);
    ntspool_free(a, s->uuid);
    ntspool_free(a, s->randomizer);
    ntspool_free(a, s->regions);
    ntspool_free_secret(a, s->token, s->token_len);
  }
  ntspool_free(a, d->sources);
  ntspool_name_index_free(a, &d->by_name);
  ntspool_free_secret(a, d->base_secret, d->base_secret_len);
  ntspool_free(a, d);
}

/* ---- Building from the pending configuration -------------------------- */

static int copy_string(const ntspool_allocator *a, const char *from,
                       char **to) {
  if (from == NULL)
    return 0;
  *to = ntspool_strdup(a, from);
  return *to != NULL ? 0 : NTSPOOL_ERR_NO_MEMORY;
}

/* The token of one source: the explicit one, else derived from the base
 * secret when the source has a uuid, else none. */
static int source_token(const ntspool_allocator *a,
                        const struct ntspool_draft *d,
                        const struct ntspool_draft_source *ds,
                        struct ntspool_source *s, char *err, size_t errlen) {
  if (ds->token != NULL) {
    s->token = ntspool_malloc(a, ds->token_len);
    if (s->token == NULL)
      return NTSPOOL_ERR_NO_MEMORY;
    memcpy(s->token, ds->token, ds->token_len);
    s->token_len = ds->token_len;
    return 0;
  }
  if (d->base_secret == NULL || ds->uuid == NULL) {
    if (!ds->wants_derivation)
      return 0;
    snprintf(err, errlen,
             "[upstream %s]: deriving a token needs uuid and "
             "[upstream-tls] base-shared-secret-path",
             ds->name);
    return NTSPOOL_ERR_CONFIG;
  }
  ntspool_bytes secret;
  if (ntspool_secret_line(d->base_secret, d->base_secret_len,
                          ds->base_key_index, &secret) != 0) {
    snprintf(err, errlen,
             "[upstream %s]: base-key-index %u, but the base secret file has "
             "%zu non-empty lines",
             ds->name, (unsigned)ds->base_key_index,
             ntspool_secret_line_count(d->base_secret, d->base_secret_len));
    return NTSPOOL_ERR_CONFIG;
  }
  char hex[65];
  int rc =
      ntspool_token_derive(secret.data, secret.len, ds->uuid,
                           ds->randomizer != NULL ? ds->randomizer : "", hex);
  if (rc == 0) {
    s->token = ntspool_malloc(a, 64);
    if (s->token == NULL)
      rc = NTSPOOL_ERR_NO_MEMORY;
    else {
      memcpy(s->token, hex, 64);
      s->token_len = 64;
    }
  }
  ntspool_zeroize(hex, sizeof hex);
  return rc;
}

/* One allocation: the pointer array, then the names it points into. */
static int copy_regions(const ntspool_allocator *a,
                        const struct ntspool_draft_source *ds,
                        struct ntspool_source *s) {
  if (ds->n_regions == 0)
    return 0;
  size_t ptrs = ds->n_regions * sizeof(char *);
  char *block = ntspool_malloc(a, ptrs + ds->regions_len);
  if (block == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  const char **list = (const char **)(void *)block;
  char *names = block + ptrs;
  memcpy(names, ds->regions, ds->regions_len);
  for (size_t i = 0; i < ds->n_regions; i++) {
    list[i] = names;
    names += strlen(names) + 1;
  }
  s->regions = list;
  s->n_regions = ds->n_regions;
  return 0;
}

static int build_source(const ntspool_allocator *a,
                        const struct ntspool_draft *d,
                        const struct ntspool_draft_source *ds,
                        struct ntspool_source *s, char *err, size_t errlen) {
  if (ds->domain == NULL) {
    snprintf(err, errlen, "[upstream %s]: domain is required", ds->name);
    return NTSPOOL_ERR_CONFIG;
  }
  int rc;
  if ((rc = copy_string(a, ds->name, &s->name)) != 0 ||
      (rc = copy_string(a, ds->domain, &s->domain)) != 0 ||
      (rc = copy_string(a, ds->connect_address, &s->connect_address)) != 0 ||
      (rc = copy_string(a, ds->uuid, &s->uuid)) != 0 ||
      (rc = copy_regions(a, ds, s)) != 0 ||
      (rc = source_token(a, d, ds, s, err, errlen)) != 0)
    return rc;
  s->port = ds->port;
  s->weight = ds->weight;
  s->ipv4 = ds->ipv4;
  s->ipv6 = ds->ipv6;
  s->enabled = ds->enabled;
  s->list_server_names = ds->list_server_names;
  s->numbering = ds->numbering;
  return 0;
}

/* Shares the state of old's source of the same name when its endpoint is
 * unchanged (keeping health, caches and connections), else makes one. */
static int attach_state(const ntspool_allocator *a, const ntspool_conn_ops *ops,
                        const struct ntspool_registry *old, bool *carried,
                        struct ntspool_source *s) {
  const struct ntspool_source *o = ntspool_registry_find(old, s->name);
  if (o != NULL && !carried[o->index] && ntspool_source_same_endpoint(o, s)) {
    s->state = o->state;
    ntspool_source_state_ref(s->state);
    carried[o->index] = true;
    return 0;
  }
  s->state = ntspool_source_state_new(a, ops);
  return s->state != NULL ? 0 : NTSPOOL_ERR_NO_MEMORY;
}

int ntspool_registry_build(const ntspool_allocator *a,
                           const ntspool_conn_ops *ops,
                           const struct ntspool_draft *d,
                           const struct ntspool_registry *old, bool *carried,
                           struct ntspool_registry **out, char *err,
                           size_t errlen) {
  const struct ntspool_settings *st = &d->settings;
  if (st->backoff_initial_ms > st->backoff_max_ms) {
    snprintf(err, errlen,
             "[selection] backoff-initial-ms is above "
             "backoff-max-ms");
    return NTSPOOL_ERR_CONFIG;
  }
  struct ntspool_registry *reg = ntspool_registry_alloc(a, d->n_sources);
  if (reg == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  reg->settings = *st;
  int rc = 0;
  for (size_t i = 0; i < d->n_sources && rc == 0; i++) {
    struct ntspool_source *s = &reg->sources[i];
    s->registry = reg;
    s->index = i;
    rc = build_source(a, d, &d->sources[i], s, err, errlen);
    if (rc != 0)
      break;
    size_t j;
    if ((rc = ntspool_registry_index_source(reg, i, &j)) > 0) {
      snprintf(err, errlen, "[upstream %s]: uuid %s is also [upstream %s]'s",
               s->name, s->uuid, reg->sources[j].name);
      rc = NTSPOOL_ERR_CONFIG;
    }
    if (rc == 0)
      rc = attach_state(a, ops, old, carried, s);
  }
  if (rc == 0)
    rc = ntspool_select_sets_build(reg);
  if (rc != 0) {
    /* Nothing was installed: hand back what was carried. */
    for (size_t i = 0; i < old->n_sources; i++)
      carried[i] = false;
    ntspool_registry_unref(reg);
    return rc;
  }
  *out = reg;
  return 0;
}
