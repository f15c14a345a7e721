/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the pool policy tests (test_select, test_health,
 * test_capcache, test_conncache, test_token, test_policy): a seeded random
 * generator, configuration from a table, big-endian lists, support answers
 * and fake connections that count their closes.
 */
#ifndef NTSPOOL_POLICY_FIXTURE_H
#define NTSPOOL_POLICY_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ntspool.h"
#include "policy/policy_internal.h"

/* splitmix64: small, seedable, good enough for frequency tests. */
typedef struct fx_rng_state {
  uint64_t s;
} fx_rng_state;

static inline int fx_rng_fill(void *state, void *out, size_t len) {
  fx_rng_state *st = state;
  uint8_t *o = out;
  while (len > 0) {
    uint64_t z = (st->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    size_t n = len < 8 ? len : 8;
    memcpy(o, &z, n);
    o += n;
    len -= n;
  }
  return 0;
}

static inline ntspool_rng fx_rng(fx_rng_state *st, uint64_t seed) {
  st->s = seed;
  ntspool_rng r = {fx_rng_fill, st};
  return r;
}

/* Configuration from {section, name, value} triples ending with NULL. */
typedef struct fx_kv {
  const char *section, *name, *value;
} fx_kv;

static inline int fx_configure(ntspool_policy *p, const fx_kv *kv) {
  for (; kv->section != NULL; kv++) {
    int rc = ntspool_policy_set(p, kv->section, kv->name, kv->value);
    if (rc != 0) {
      print_error("set [%s] %s = %s: %s (%s)\n", kv->section, kv->name,
                  kv->value, ntspool_strerror(rc),
                  ntspool_policy_config_error(p));
      return rc;
    }
  }
  int rc = ntspool_policy_commit(p);
  if (rc != 0)
    print_error("commit: %s\n", ntspool_policy_config_error(p));
  return rc;
}

/* A list of up to 16 big-endian u16 values. */
typedef struct fx_list {
  uint8_t bytes[64];
  ntspool_u16_list list;
} fx_list;

static inline void fx_list_set(fx_list *l, size_t n, const uint16_t *v) {
  for (size_t i = 0; i < n; i++) {
    l->bytes[2 * i] = (uint8_t)(v[i] >> 8);
    l->bytes[2 * i + 1] = (uint8_t)v[i];
  }
  l->list.data = l->bytes;
  l->list.count = n;
}

#define FX_LIST(l, ...)                                                        \
  do {                                                                         \
    static const uint16_t fx_v_[] = {__VA_ARGS__};                             \
    fx_list_set((l), sizeof fx_v_ / sizeof fx_v_[0], fx_v_);                   \
  } while (0)

/* Client preferences with their own list storage. */
typedef struct fx_client {
  fx_list protocols, aeads;
  ntspool_bytes denied[8];
  ntspool_client_prefs prefs;
} fx_client;

static inline ntspool_client_prefs *fx_client_init(fx_client *c,
                                                   enum ntspool_family fam) {
  memset(c, 0, sizeof *c);
  static const uint16_t p[] = {NTSPOOL_PROTO_NTPV4};
  static const uint16_t a[] = {NTSPOOL_AEAD_AES_SIV_CMAC_512,
                               NTSPOOL_AEAD_AES_SIV_CMAC_256};
  fx_list_set(&c->protocols, 1, p);
  fx_list_set(&c->aeads, 2, a);
  c->prefs.family = fam;
  c->prefs.protocols = c->protocols.list;
  c->prefs.aeads = c->aeads.list;
  c->prefs.denied = c->denied;
  return &c->prefs;
}

static inline void fx_client_deny(fx_client *c, const char *name) {
  c->denied[c->prefs.n_denied].data = (const uint8_t *)name;
  c->denied[c->prefs.n_denied].len = strlen(name);
  c->prefs.n_denied++;
}

/* A support answer: protocols, (id, key length) pairs, names. */
typedef struct fx_support {
  fx_list protocols, algorithms;
  ntspool_support s;
} fx_support;

static inline const ntspool_support *
fx_support_make(fx_support *f, size_t n_protocols, const uint16_t *protocols,
                size_t n_pairs, const uint16_t *pairs, size_t n_names,
                const char *const *names) {
  memset(f, 0, sizeof *f);
  fx_list_set(&f->protocols, n_protocols, protocols);
  fx_list_set(&f->algorithms, 2 * n_pairs, pairs);
  f->s.has_protocols = f->s.has_algorithms = true;
  f->s.protocols = f->protocols.list;
  f->s.algorithms = f->algorithms.list;
  for (size_t i = 0; i < n_names; i++) {
    f->s.names[i].data = (const uint8_t *)names[i];
    f->s.names[i].len = strlen(names[i]);
  }
  f->s.n_names = f->s.n_names_seen = n_names;
  return &f->s;
}

/* NTPv4 with AES-SIV-CMAC-256 and -512, as ntpd-rs answers. */
static inline const ntspool_support *fx_support_ntpd_rs(fx_support *f) {
  static const uint16_t p[] = {NTSPOOL_PROTO_NTPV4};
  static const uint16_t a[] = {15, 32, 17, 64};
  return fx_support_make(f, 1, p, 2, a, 0, NULL);
}

/* Fake connections: closing one counts it (and frees it). */
typedef struct fx_conn {
  int id;
  bool alive;
} fx_conn;

static atomic_int fx_conns_open;
static atomic_int fx_conns_closed;
static atomic_int fx_last_closed_id;

static inline fx_conn *fx_conn_new(int id, bool alive) {
  fx_conn *c = malloc(sizeof *c);
  c->id = id;
  c->alive = alive;
  atomic_fetch_add(&fx_conns_open, 1);
  return c;
}

/* The user_data of fx_conn_ops: every call through the policy counts
 * itself here, so a test sees that the policy hands user_data on.  A test
 * closing a connection of its own passes NULL. */
static atomic_int fx_conn_calls;

static inline bool fx_conn_reusable(void *user_data, void *conn) {
  if (user_data != NULL)
    atomic_fetch_add((atomic_int *)user_data, 1);
  return ((fx_conn *)conn)->alive;
}

static inline void fx_conn_close(void *user_data, void *conn) {
  if (user_data != NULL)
    atomic_fetch_add((atomic_int *)user_data, 1);
  atomic_store(&fx_last_closed_id, ((fx_conn *)conn)->id);
  atomic_fetch_add(&fx_conns_closed, 1);
  free(conn);
}

static const ntspool_conn_ops fx_conn_ops = {
    NTSPOOL_CONN_OPS_VERSION, fx_conn_reusable, fx_conn_close, &fx_conn_calls};

static inline void fx_conns_reset(void) {
  atomic_store(&fx_conns_open, 0);
  atomic_store(&fx_conns_closed, 0);
  atomic_store(&fx_last_closed_id, -1);
  atomic_store(&fx_conn_calls, 0);
}

/* A policy with conn ops, configured from kv. */
static inline ntspool_policy *fx_policy(const fx_kv *kv) {
  ntspool_policy *p = NULL;
  assert_int_equal(ntspool_policy_new(NULL, &fx_conn_ops, &p), 0);
  assert_int_equal(fx_configure(p, kv), 0);
  return p;
}

/* Writes a file with the given mode; returns its path (static buffer per
 * call site is the caller's). */
static inline void fx_write_file(char *path, size_t cap, const char *name,
                                 const char *content, unsigned mode) {
  const char *dir = getenv("TMPDIR");
  snprintf(path, cap, "%s/ntspool-test-%ld-%s", dir ? dir : "/tmp",
           (long)getpid(), name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(content, f);
  fclose(f);
  assert_int_equal(chmod(path, mode), 0);
}

#endif
