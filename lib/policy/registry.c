/* SPDX-License-Identifier: BSD-2-Clause */
/* Registries (immutable snapshots of the configured time sources), their
 * source views, and the shared per-source state. */
#include <string.h>

#include "base/crypto.h"
#include "policy/policy_internal.h"

int ntspool_family_index(enum ntspool_family family) {
  switch (family) {
  case NTSPOOL_FAMILY_IPV4:
    return 0;
  case NTSPOOL_FAMILY_IPV6:
    return 1;
  }
  return -1;
}

/* ---- Per-source state ------------------------------------------------- */

struct ntspool_source_state *
ntspool_source_state_new(const ntspool_allocator *a,
                         const ntspool_conn_ops *ops) {
  struct ntspool_source_state *st = ntspool_calloc(a, sizeof *st);
  if (st == NULL)
    return NULL;
  if (pthread_mutex_init(&st->lock, NULL) != 0) {
    ntspool_free(a, st);
    return NULL;
  }
  atomic_init(&st->refs, 1);
  st->alloc = *a;
  if (ops != NULL) {
    st->has_ops = true;
    st->ops = *ops;
  }
  return st;
}

void ntspool_source_state_ref(struct ntspool_source_state *st) {
  atomic_fetch_add(&st->refs, 1);
}

/* Moves every cached connection of st out (caller holds the lock) into
 * out[]; returns how many. */
static size_t drain_conns(struct ntspool_source_state *st,
                          void *out[2 * NTSPOOL_MAX_CACHED_CONNS]) {
  size_t n = 0;
  for (int f = 0; f < 2; f++) {
    struct ntspool_family_state *fs = &st->fam[f];
    for (size_t i = 0; i < fs->n_conns; i++)
      out[n++] = fs->conns[i].conn;
    fs->n_conns = 0;
  }
  return n;
}

void ntspool_source_state_unref(struct ntspool_source_state *st) {
  if (st == NULL || atomic_fetch_sub(&st->refs, 1) != 1)
    return;
  /* Last reference: nobody else can reach st, no lock needed. */
  void *conns[2 * NTSPOOL_MAX_CACHED_CONNS];
  ntspool_source_state_close_conns(st, conns, drain_conns(st, conns));
  for (int f = 0; f < 2; f++) {
    ntspool_free(&st->alloc, st->fam[f].names);
    ntspool_free(&st->alloc, st->fam[f].conns);
    ntspool_free(&st->alloc, st->fam[f].latency);
  }
  for (size_t i = 0; i < NTSPOOL_LEARNED_NAMES; i++)
    ntspool_free(&st->alloc, st->learned[i]);
  pthread_mutex_destroy(&st->lock);
  ntspool_allocator a = st->alloc;
  ntspool_free(&a, st);
}

void ntspool_source_state_retire(struct ntspool_source_state *st) {
  void *conns[2 * NTSPOOL_MAX_CACHED_CONNS];
  pthread_mutex_lock(&st->lock);
  st->retired = true;
  size_t n = drain_conns(st, conns);
  pthread_mutex_unlock(&st->lock);
  ntspool_source_state_close_conns(st, conns, n);
}

/* ---- Registry --------------------------------------------------------- */

struct ntspool_registry *ntspool_registry_alloc(const ntspool_allocator *a,
                                                size_t n) {
  struct ntspool_registry *r = ntspool_calloc(a, sizeof *r);
  if (r == NULL)
    return NULL;
  if (n > 0) {
    r->sources = ntspool_calloc(a, n * sizeof *r->sources);
    if (r->sources == NULL) {
      ntspool_free(a, r);
      return NULL;
    }
  }
  atomic_init(&r->refs, 1);
  r->alloc = *a;
  r->n_sources = n;
  ntspool_settings_defaults(&r->settings);
  return r;
}

ntspool_registry *ntspool_registry_ref(ntspool_registry *reg) {
  if (reg != NULL)
    atomic_fetch_add(&reg->refs, 1);
  return reg;
}

void ntspool_registry_unref(ntspool_registry *reg) {
  if (reg == NULL || atomic_fetch_sub(&reg->refs, 1) != 1)
    return;
  const ntspool_allocator *a = &reg->alloc;
  for (size_t i = 0; i < reg->n_sources; i++) {
    struct ntspool_source *s = &reg->sources[i];
    ntspool_source_state_unref(s->state);
    ntspool_free(a, s->name);
    ntspool_free(a, s->domain);
    ntspool_free(a, s->connect_address);
    ntspool_free(a, s->uuid);
    ntspool_free(a, (void *)s->regions);
    ntspool_free_secret(a, s->token, s->token_len);
  }
  ntspool_free(a, reg->sources);
  ntspool_select_sets_free(reg);
  ntspool_name_index_free(a, &reg->by_name);
  ntspool_name_index_free(a, &reg->by_uuid);
  ntspool_allocator copy = reg->alloc;
  ntspool_free(&copy, reg);
}

uint64_t ntspool_registry_generation(const ntspool_registry *reg) {
  return reg != NULL ? reg->generation : 0;
}

size_t ntspool_registry_count(const ntspool_registry *reg) {
  return reg != NULL ? reg->n_sources : 0;
}

const ntspool_source *ntspool_registry_source(const ntspool_registry *reg,
                                              size_t i) {
  return reg != NULL && i < reg->n_sources ? &reg->sources[i] : NULL;
}

static const char *reg_name_of(const void *reg, size_t i) {
  return ((const struct ntspool_registry *)reg)->sources[i].name;
}

static const char *reg_uuid_of(const void *reg, size_t i) {
  return ((const struct ntspool_registry *)reg)->sources[i].uuid;
}

const ntspool_source *ntspool_registry_find(const ntspool_registry *reg,
                                            const char *name) {
  size_t i;
  if (reg == NULL ||
      ntspool_name_index_find(&reg->by_name, name, reg_name_of, reg, &i) != 0)
    return NULL;
  return &reg->sources[i];
}

const ntspool_source *ntspool_registry_find_uuid(const ntspool_registry *reg,
                                                 ntspool_bytes uuid) {
  /* Stored uuids are C strings of at most NTSPOOL_MAX_NAME_LEN bytes: a
   * longer one, or one holding a NUL, is none of them. */
  char key[NTSPOOL_MAX_NAME_LEN + 1];
  size_t i;
  if (reg == NULL || (uuid.data == NULL && uuid.len > 0) ||
      uuid.len >= sizeof key ||
      (uuid.len > 0 && memchr(uuid.data, 0, uuid.len) != NULL))
    return NULL;
  if (uuid.len > 0)
    memcpy(key, uuid.data, uuid.len);
  key[uuid.len] = '\0';
  if (ntspool_name_index_find(&reg->by_uuid, key, reg_uuid_of, reg, &i) != 0)
    return NULL;
  return &reg->sources[i];
}

static bool same_string(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

bool ntspool_source_same_endpoint(const struct ntspool_source *a,
                                  const struct ntspool_source *b) {
  return same_string(a->name, b->name) && same_string(a->domain, b->domain) &&
         same_string(a->connect_address, b->connect_address) &&
         a->port == b->port && a->numbering == b->numbering &&
         a->token_len == b->token_len &&
         (a->token_len == 0 ||
          ntspool_ct_memcmp(a->token, b->token, a->token_len) == 0);
}

/* ---- Source views ----------------------------------------------------- */

const char *ntspool_source_name(const ntspool_source *s) {
  return s != NULL ? s->name : NULL;
}

const char *ntspool_source_domain(const ntspool_source *s) {
  return s != NULL ? s->domain : NULL;
}

uint16_t ntspool_source_port(const ntspool_source *s) {
  return s != NULL ? s->port : 0;
}

const char *ntspool_source_connect_address(const ntspool_source *s) {
  return s != NULL ? s->connect_address : NULL;
}

const char *ntspool_source_uuid(const ntspool_source *s) {
  return s != NULL ? s->uuid : NULL;
}

uint32_t ntspool_source_weight(const ntspool_source *s) {
  return s != NULL ? s->weight : 0;
}

bool ntspool_source_enabled(const ntspool_source *s) {
  return s != NULL && s->enabled;
}

bool ntspool_source_has_family(const ntspool_source *s,
                               enum ntspool_family family) {
  if (s == NULL)
    return false;
  switch (ntspool_family_index(family)) {
  case 0:
    return s->ipv4;
  case 1:
    return s->ipv6;
  }
  return false;
}

enum ntspool_numbering ntspool_source_numbering(const ntspool_source *s) {
  return s != NULL ? s->numbering : NTSPOOL_NUMBERING_IANA;
}

size_t ntspool_source_region_count(const ntspool_source *s) {
  return s != NULL ? s->n_regions : 0;
}

const char *ntspool_source_region(const ntspool_source *s, size_t i) {
  return s != NULL && i < s->n_regions ? s->regions[i] : NULL;
}

bool ntspool_source_lists_server_names(const ntspool_source *s) {
  return s != NULL && s->list_server_names;
}

ntspool_bytes ntspool_source_token(const ntspool_source *s) {
  ntspool_bytes b = {NULL, 0};
  if (s != NULL) {
    b.data = s->token;
    b.len = s->token_len;
  }
  return b;
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
static int source_token(ntspool_policy *p, const struct ntspool_draft *d,
                        const struct ntspool_draft_source *ds,
                        struct ntspool_source *s) {
  const ntspool_allocator *a = &p->alloc;
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
    ntspool_policy_error(p,
                         "[upstream %s]: deriving a token needs uuid and "
                         "[upstream-tls] base-shared-secret-path",
                         ds->name);
    return NTSPOOL_ERR_CONFIG;
  }
  ntspool_bytes secret;
  if (ntspool_secret_line(d->base_secret, d->base_secret_len,
                          ds->base_key_index, &secret) != 0) {
    ntspool_policy_error(
        p,
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

static int build_source(ntspool_policy *p, const struct ntspool_draft *d,
                        const struct ntspool_draft_source *ds,
                        struct ntspool_source *s) {
  const ntspool_allocator *a = &p->alloc;
  if (ds->domain == NULL) {
    ntspool_policy_error(p, "[upstream %s]: domain is required", ds->name);
    return NTSPOOL_ERR_CONFIG;
  }
  int rc;
  if ((rc = copy_string(a, ds->name, &s->name)) != 0 ||
      (rc = copy_string(a, ds->domain, &s->domain)) != 0 ||
      (rc = copy_string(a, ds->connect_address, &s->connect_address)) != 0 ||
      (rc = copy_string(a, ds->uuid, &s->uuid)) != 0 ||
      (rc = copy_regions(a, ds, s)) != 0 ||
      (rc = source_token(p, d, ds, s)) != 0)
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
static int attach_state(ntspool_policy *p, const struct ntspool_registry *old,
                        bool *carried, struct ntspool_source *s) {
  size_t j;
  if (ntspool_name_index_find(&old->by_name, s->name, reg_name_of, old, &j) ==
          0 &&
      !carried[j] && ntspool_source_same_endpoint(&old->sources[j], s)) {
    s->state = old->sources[j].state;
    ntspool_source_state_ref(s->state);
    carried[j] = true;
    return 0;
  }
  s->state = ntspool_source_state_new(&p->alloc, p->has_ops ? &p->ops : NULL);
  return s->state != NULL ? 0 : NTSPOOL_ERR_NO_MEMORY;
}

int ntspool_registry_build(ntspool_policy *p, const struct ntspool_draft *d,
                           const struct ntspool_registry *old, bool *carried,
                           struct ntspool_registry **out) {
  const struct ntspool_settings *st = &d->settings;
  if (st->backoff_initial_ms > st->backoff_max_ms) {
    ntspool_policy_error(p, "[selection] backoff-initial-ms is above "
                            "backoff-max-ms");
    return NTSPOOL_ERR_CONFIG;
  }
  struct ntspool_registry *reg =
      ntspool_registry_alloc(&p->alloc, d->n_sources);
  if (reg == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  reg->settings = *st;
  int rc = 0;
  for (size_t i = 0; i < d->n_sources && rc == 0; i++) {
    struct ntspool_source *s = &reg->sources[i];
    s->registry = reg;
    s->index = i;
    rc = build_source(p, d, &d->sources[i], s);
    if (rc != 0)
      break;
    /* Names are unique already (a repeated section continues a source). */
    size_t j;
    rc = ntspool_name_index_add(&p->alloc, &reg->by_name, i, reg_name_of, reg,
                                &j);
    if (rc == 0 && s->uuid != NULL &&
        (rc = ntspool_name_index_add(&p->alloc, &reg->by_uuid, i, reg_uuid_of,
                                     reg, &j)) > 0) {
      ntspool_policy_error(p, "[upstream %s]: uuid %s is also [upstream %s]'s",
                           s->name, s->uuid, reg->sources[j].name);
      rc = NTSPOOL_ERR_CONFIG;
    }
    if (rc == 0)
      rc = attach_state(p, old, carried, s);
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
