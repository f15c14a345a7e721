/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of the pool policy (policy.h), shared by registry.c, select.c,
 * health.c, capcache.c, conncache.c, token.c and the policy_*.c files.
 *
 * Ownership: the policy holds one reference to the current registry; each
 * registry owns its sources; each source holds one reference to its
 * per-source state, which a later registry shares when the source is
 * unchanged.  Registries and states are freed by their last reference, so
 * either may outlive the policy.  Everything in a registry is immutable;
 * the state's mutable parts are guarded by the state's own mutex.
 */
#ifndef NTSPOOL_POLICY_INTERNAL_H
#define NTSPOOL_POLICY_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/internal.h"

enum ntspool_strategy {
  NTSPOOL_STRATEGY_WEIGHTED = 0,
  NTSPOOL_STRATEGY_ROUND_ROBIN = 1
};

/* The largest deny-max-skips: a selection keeps the sources it dropped. */
#define NTSPOOL_MAX_DENY_SKIPS 64

/* Settings that travel with a registry, so a session sees one consistent
 * set for its whole life. */
struct ntspool_settings {
  enum ntspool_strategy strategy;
  size_t n_allowed;
  uint16_t allowed[NTSPOOL_MAX_ALLOWED_PROTOCOLS];
  unsigned deny_max_skips;
  ntspool_time_ms backoff_initial_ms;
  ntspool_time_ms backoff_max_ms;
  ntspool_time_ms caps_validity_ms;
  size_t conn_cache_size;
  ntspool_time_ms conn_max_idle_ms;
  ntspool_time_ms conn_max_age_ms;
};

void ntspool_settings_defaults(struct ntspool_settings *s);

/* ---- Per-source state ------------------------------------------------- */

#define NTSPOOL_MAX_NAME_LEN 255
#define NTSPOOL_LEARNED_NAMES 4

struct ntspool_cached_conn {
  void *conn;
  ntspool_time_ms created_at;
  ntspool_time_ms idle_since;
};

/* What is known about a source for one address family. */
struct ntspool_family_state {
  /* what a selection reads: back-off and capability freshness */
  ntspool_time_ms backoff_until;
  bool has_caps;
  ntspool_caps caps; /* fetched_at first */
  /* health */
  atomic_uint_fast64_t selected; /* counted without the lock */
  uint64_t successes, failures;
  uint32_t consecutive_failures;
  char *names; /* n_names NUL-terminated strings back to back */
  /* connection cache, oldest first; the array (NTSPOOL_MAX_CACHED_CONNS
   * entries) is allocated when the first connection is kept, so a listed
   * source that never serves costs no room for one */
  size_t n_conns;
  struct ntspool_cached_conn *conns;
  uint64_t conn_reused, conn_stored, conn_closed_dead, conn_closed_expired,
      conn_evicted;
  /* latency histograms, [enum ntspool_exchange][ok]: allocated with the
   * first reading (like conns), so a source that is never used costs no
   * room for them */
  ntspool_latency (*latency)[2];
  uint64_t probes[2]; /* monitor probes, [ok] */
};

struct ntspool_source_state {
  /* What every selection reads first (the lock, then the family's health
   * and capability freshness) comes first, so one draw touches few cache
   * lines. */
  pthread_mutex_t lock;
  struct ntspool_family_state fam[2];
  atomic_size_t refs;
  ntspool_allocator alloc;
  bool has_ops;
  ntspool_conn_ops ops;
  bool retired; /* no longer configured: connections handed back close */
  char *learned[NTSPOOL_LEARNED_NAMES];
  size_t learned_next;
};

struct ntspool_source_state *
ntspool_source_state_new(const ntspool_allocator *a,
                         const ntspool_conn_ops *ops);
void ntspool_source_state_ref(struct ntspool_source_state *st);
void ntspool_source_state_unref(struct ntspool_source_state *st);

/* Marks a state as no longer configured and closes its idle connections. */
void ntspool_source_state_retire(struct ntspool_source_state *st);

/* Closes conns[0..n), connections taken out of st's cache (conncache.c);
 * called without the lock, since closing may do I/O. */
void ntspool_source_state_close_conns(const struct ntspool_source_state *st,
                                      void **conns, size_t n);

/* 0 for IPv4, 1 for IPv6, -1 for anything else. */
int ntspool_family_index(enum ntspool_family family);

/* ---- Name index (name_index.c) --------------------------------------- */

/* Indices 0..n of an array, found by a string key each element has: the
 * table stores indices only and asks key_of(owner, index) for the key. */
struct ntspool_name_index {
  size_t cap, used;
  size_t *slots; /* index + 1; 0 = empty */
};

void ntspool_name_index_free(const ntspool_allocator *a,
                             struct ntspool_name_index *ix);
/* 0 and *out = the index holding key; NTSPOOL_ERR_NOT_FOUND. */
int ntspool_name_index_find(const struct ntspool_name_index *ix,
                            const char *key,
                            const char *(*key_of)(const void *, size_t),
                            const void *owner, size_t *out);
/* Adds `index` under its key: 0; 1 when the key is already there (then
 * *existing is its index and nothing changes); NTSPOOL_ERR_NO_MEMORY. */
int ntspool_name_index_add(const ntspool_allocator *a,
                           struct ntspool_name_index *ix, size_t index,
                           const char *(*key_of)(const void *, size_t),
                           const void *owner, size_t *existing);

/* ---- Registry --------------------------------------------------------- */

struct ntspool_source {
  const struct ntspool_registry *registry;
  struct ntspool_source_state *state;
  size_t index;
  char *name;
  char *domain;
  char *connect_address; /* NULL: resolve domain */
  char *uuid;            /* NULL: none */
  uint8_t *token;        /* secret; NULL when token_len is 0 */
  size_t token_len;
  uint16_t port;
  uint32_t weight;
  bool ipv4, ipv6, enabled;
  bool list_server_names;
  enum ntspool_numbering numbering;
  size_t n_regions;
  const char **regions; /* n_regions strings; one allocation */
};

/* The sources one kind of client may draw (static membership: enabled,
 * weight > 0, reach the family) with prefix sums of their weights, so a
 * weighted draw is a binary search. */
struct ntspool_select_set {
  size_t n;
  const struct ntspool_source **members; /* in registry order */
  uint64_t *cum; /* cum[i] = weight of members[0..i]; NULL when n is 0 */
  uint64_t total;
};

#define NTSPOOL_SELECT_SETS 2 /* indexed by ntspool_family_index */
#define NTSPOOL_SUBPOOLS 4    /* numbered names 0. to 3. */

/* One region (or the global set) of one family: its members, and the four
 * disjoint groups the numbered names draw from. */
struct ntspool_select_level {
  const char *name; /* a source's region name; NULL for the global set */
  struct ntspool_select_set whole;
  struct ntspool_select_set group[NTSPOOL_SUBPOOLS];
};

struct ntspool_family_sets {
  struct ntspool_select_level global; /* every member of the family */
  size_t n_regions;
  struct ntspool_select_level *regions; /* ordered by ntspool_region_cmp */
};

struct ntspool_registry {
  atomic_size_t refs;
  ntspool_allocator alloc;
  uint64_t generation;
  struct ntspool_settings settings;
  size_t n_sources;
  struct ntspool_source *sources;
  struct ntspool_family_sets sets[NTSPOOL_SELECT_SETS];
  struct ntspool_name_index by_name, by_uuid; /* lookups without a walk */
};

/* Builds reg->sets from reg->sources (once, before the registry is
 * shared).  Returns 0 or NTSPOOL_ERR_NO_MEMORY (then no set is kept). */
int ntspool_select_sets_build(struct ntspool_registry *reg);
void ntspool_select_sets_free(struct ntspool_registry *reg);

/* The global set for family index f (0 IPv4, 1 IPv6), or NULL. */
const struct ntspool_select_set *
ntspool_select_set_of(const struct ntspool_registry *reg, int f);

/* The level of region `name` for family index f, or NULL when no member
 * of the family lists it.  O(log regions). */
const struct ntspool_select_level *
ntspool_select_level_find(const struct ntspool_registry *reg, int f,
                          const char *name);

/* Region names compare ASCII case-insensitively with '-' equal to '_'
 * (the Rust KELB names one continent SOUTH_AMERICA, another
 * NORTH-AMERICA). */
int ntspool_region_cmp(const char *a, const char *b);

/* Index of the member that owns r, for r < set->total (set->n >= 1). */
size_t ntspool_select_set_find(const struct ntspool_select_set *set,
                               uint64_t r);

/* A registry with default settings and n zeroed sources (one reference). */
struct ntspool_registry *ntspool_registry_alloc(const ntspool_allocator *a,
                                                size_t n);

/* True if two sources talk to the same endpoint with the same credentials,
 * so their state (health, caches, connections) may be shared. */
bool ntspool_source_same_endpoint(const struct ntspool_source *a,
                                  const struct ntspool_source *b);

/* ---- Pending configuration -------------------------------------------- */

struct ntspool_draft_source {
  char *name;
  char *domain;
  char *connect_address;
  char *uuid;
  char *randomizer;
  uint8_t *token; /* secret, from auth-token or auth-token-path */
  size_t token_len;
  uint32_t base_key_index;
  bool wants_derivation; /* randomizer or base-key-index given */
  uint16_t port;
  uint32_t weight;
  bool ipv4, ipv6, enabled;
  bool list_server_names;
  enum ntspool_numbering numbering;
  char *regions; /* n_regions NUL-terminated names back to back */
  size_t n_regions, regions_len;
  unsigned seen; /* bit per key, for "repeated key" */
};

struct ntspool_draft {
  struct ntspool_settings settings;
  unsigned seen;     /* bit per [selection]/[upstream-tls] key */
  char *base_secret; /* secret file contents; NULL if not configured */
  size_t base_secret_len;
  size_t n_sources, cap_sources;
  struct ntspool_draft_source *sources;
  struct ntspool_name_index by_name; /* sources by name */
};

void ntspool_draft_free(const ntspool_allocator *a, struct ntspool_draft *d);

/* ---- Policy ----------------------------------------------------------- */

struct ntspool_policy {
  atomic_size_t refs; /* contexts sharing it across reloads */
  ntspool_allocator alloc;
  bool has_ops;
  ntspool_conn_ops ops;
  pthread_mutex_t lock; /* guards `current` only */
  struct ntspool_registry *current;
  uint64_t generation;
  atomic_uint_fast64_t rr_counter;
  atomic_uint_fast64_t selections, no_source, deny_skips, deny_ignored,
      backoff_fallbacks;
  struct ntspool_draft *draft; /* pending configuration or NULL */
  char error[512];
};

/* Formats the message ntspool_policy_config_error returns. */
void ntspool_policy_error(ntspool_policy *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Builds a registry from the draft (tokens derived, states shared with the
 * sources of `old` that did not change).  *carried[i] is set for each
 * source of `old` whose state was taken over.  Returns a status. */
int ntspool_registry_build(ntspool_policy *p, const struct ntspool_draft *d,
                           const struct ntspool_registry *old, bool *carried,
                           struct ntspool_registry **out);

/* ---- Shared by the policy files --------------------------------------- */

/* Freshness of a family's capability entry under settings s. */
enum ntspool_caps_state
ntspool_caps_state_of(const struct ntspool_family_state *fs,
                      const struct ntspool_settings *s, ntspool_time_ms now);

/* True if `name` equals (ASCII case-insensitively) the domain or a name
 * the state knows.  Takes the state lock. */
bool ntspool_source_matches_name(const struct ntspool_source *src,
                                 ntspool_bytes name);

/* ---- Secret files and tokens ------------------------------------------ */

/* Reads a secret file (regular, not readable by others, at most 64 KiB)
 * into *out, NUL-terminated; free it with ntspool_free_secret(a, *out,
 * *len).
 * On failure writes a reason into err.  Returns a status. */
int ntspool_secret_file_read(const ntspool_allocator *a, const char *path,
                             char **out, size_t *len, char *err, size_t errlen);

/* Line `index` (0 = first) of text after trimming each line and dropping
 * empty ones, as a view into text.  Returns 0 or NTSPOOL_ERR_NOT_FOUND. */
int ntspool_secret_line(const char *text, size_t len, size_t index,
                        ntspool_bytes *out);

/* Number of non-empty trimmed lines in text. */
size_t ntspool_secret_line_count(const char *text, size_t len);

#endif
