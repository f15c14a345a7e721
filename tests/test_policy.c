/* SPDX-License-Identifier: BSD-2-Clause */
/* The policy object: configuration keys, commit/discard, registry views,
 * reload while sessions hold the old registry, the allocator hook, and
 * concurrent use from several threads. */
#include <pthread.h>

#include "policy_fixture.h"

#define V4 NTSPOOL_FAMILY_IPV4
#define V6 NTSPOOL_FAMILY_IPV6

static void test_policy_defaults_and_views(void **state) {
  (void)state;
  static const fx_kv kv[] = {
      {"upstream a", "domain", "a.example"},
      {"upstream  spaced name ", "domain", "b.example"},
      {"upstream  spaced name ", "port", "4461"},
      {"upstream  spaced name ", "connect-address", "192.0.2.7"},
      {"upstream  spaced name ", "weight", "1000000"},
      {"upstream  spaced name ", "ipv6", "off"},
      {"upstream  spaced name ", "record-numbering", "draft"},
      {"upstream  spaced name ", "enabled", "No"},
      {"upstream  spaced name ", "regions", " EU,NL  de-BY ,"},
      {NULL, NULL, NULL}};
  ntspool_policy *p = NULL;
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  assert_int_equal(ntspool_registry_count(reg), 0);
  assert_int_equal(ntspool_registry_generation(reg), 0);
  ntspool_registry_unref(reg);

  assert_int_equal(fx_configure(p, kv), 0);
  assert_string_equal(ntspool_policy_config_error(p), "");
  reg = ntspool_policy_acquire(p);
  assert_int_equal(ntspool_registry_generation(reg), 1);
  assert_int_equal(ntspool_registry_count(reg), 2);
  assert_null(ntspool_registry_source(reg, 2));
  const ntspool_source *a = ntspool_registry_source(reg, 0);
  assert_string_equal(ntspool_source_name(a), "a");
  assert_string_equal(ntspool_source_domain(a), "a.example");
  assert_int_equal(ntspool_source_port(a), NTSPOOL_DEFAULT_KE_PORT);
  assert_null(ntspool_source_connect_address(a));
  assert_null(ntspool_source_uuid(a));
  assert_int_equal(ntspool_source_weight(a), 1);
  assert_true(ntspool_source_enabled(a));
  assert_true(ntspool_source_has_family(a, V4));
  assert_true(ntspool_source_has_family(a, V6));
  assert_int_equal(ntspool_source_numbering(a), NTSPOOL_NUMBERING_IANA);
  assert_int_equal(ntspool_source_token(a).len, 0);
  assert_int_equal(ntspool_source_region_count(a), 0);
  assert_null(ntspool_source_region(a, 0));
  const ntspool_source *b = ntspool_registry_find(reg, "spaced name ");
  assert_non_null(b);
  assert_int_equal(ntspool_source_port(b), 4461);
  assert_string_equal(ntspool_source_connect_address(b), "192.0.2.7");
  assert_int_equal(ntspool_source_weight(b), 1000000);
  assert_false(ntspool_source_has_family(b, V6));
  assert_int_equal(ntspool_source_numbering(b), NTSPOOL_NUMBERING_DRAFT);
  assert_false(ntspool_source_enabled(b));
  assert_int_equal(ntspool_source_region_count(b), 3);
  assert_string_equal(ntspool_source_region(b, 0), "EU");
  assert_string_equal(ntspool_source_region(b, 1), "NL");
  assert_string_equal(ntspool_source_region(b, 2), "de-BY");
  assert_null(ntspool_source_region(b, 3));
  assert_null(ntspool_registry_find(reg, "c"));
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_policy_config_errors(void **state) {
  (void)state;
  ntspool_policy *p = NULL;
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  struct {
    const char *section, *name, *value;
    int rc;
  } cases[] = {
      {"selection", "strategy", "random", NTSPOOL_ERR_CONFIG},
      {"selection", "strategy", "round-robin", 0},
      {"selection", "strategy", "weighted", NTSPOOL_ERR_CONFIG}, /* twice */
      {"selection", "no-such-key", "1", NTSPOOL_ERR_CONFIG},
      {"selection", "deny-max-skips", "65", NTSPOOL_ERR_CONFIG},
      {"selection", "deny-max-skips", "-1", NTSPOOL_ERR_CONFIG},
      {"selection", "deny-max-skips", " 2", NTSPOOL_ERR_CONFIG},
      {"selection", "deny-max-skips", "2", 0},
      {"selection", "allowed-protocol", "ntpv5", NTSPOOL_ERR_CONFIG},
      {"selection", "allowed-protocol", "0x10000", NTSPOOL_ERR_CONFIG},
      {"selection", "allowed-protocol", "0", 0},
      {"selection", "allowed-protocol", "draft-ntpv5", 0}, /* a list */
      {"selection", "allowed-protocol", "32769", 0},       /* duplicate ok */
      {"upstream-tls", "connection-cache-size", "33", NTSPOOL_ERR_CONFIG},
      {"upstream-tls", "connection-cache-size", "0", 0},
      {"upstream-tls", "certificate-authority-path", "/x",
       NTSPOOL_ERR_NOT_FOUND},
      {"server", "listen", "[::]:4460", NTSPOOL_ERR_NOT_FOUND},
      {"upstream", "domain", "x", NTSPOOL_ERR_NOT_FOUND},
      {"upstream ", "domain", "x", NTSPOOL_ERR_CONFIG},
      {"upstream a", "domian", "a.example", NTSPOOL_ERR_CONFIG},
      {"upstream a", "domain", "has space", NTSPOOL_ERR_CONFIG},
      {"upstream a", "domain", "a.example", 0},
      {"upstream a", "domain", "b.example", NTSPOOL_ERR_CONFIG},
      {"upstream a", "port", "0", NTSPOOL_ERR_CONFIG},
      {"upstream a", "port", "65536", NTSPOOL_ERR_CONFIG},
      {"upstream a", "weight", "1000001", NTSPOOL_ERR_CONFIG},
      {"upstream a", "ipv4", "maybe", NTSPOOL_ERR_CONFIG},
      {"upstream a", "record-numbering", "0x40", NTSPOOL_ERR_CONFIG},
      {"upstream a", "base-key-index", "x", NTSPOOL_ERR_CONFIG},
      {"upstream a", "regions",
       "EU, aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
       NTSPOOL_ERR_CONFIG},
      {"upstream a", "regions", "EU, \x01", NTSPOOL_ERR_CONFIG},
      {"upstream a", "regions", "", 0},   /* global only */
      {"upstream a", "regions", "EU", 0}, /* repeatable: adds */
      {"upstream a", "region", "NL", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int rc =
        ntspool_policy_set(p, cases[i].section, cases[i].name, cases[i].value);
    if (rc != cases[i].rc)
      fail_msg("[%s] %s = %s: %d, expected %d", cases[i].section, cases[i].name,
               cases[i].value, rc, cases[i].rc);
    assert_true((rc == 0) == (ntspool_policy_config_error(p)[0] == '\0'));
  }
  assert_int_equal(ntspool_policy_set(p, NULL, "a", "b"),
                   NTSPOOL_ERR_INVALID_ARG);
  /* What was accepted took effect. */
  assert_int_equal(ntspool_policy_commit(p), 0);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  assert_int_equal(reg->settings.strategy, NTSPOOL_STRATEGY_ROUND_ROBIN);
  assert_int_equal(reg->settings.deny_max_skips, 2);
  assert_int_equal(reg->settings.n_allowed, 2);
  assert_int_equal(reg->settings.allowed[1], NTSPOOL_PROTO_DRAFT_NTPV5);
  assert_int_equal(reg->settings.conn_cache_size, 0);
  const ntspool_source *ra = ntspool_registry_find(reg, "a");
  assert_int_equal(ntspool_source_region_count(ra), 2);
  assert_string_equal(ntspool_source_region(ra, 0), "EU");
  assert_string_equal(ntspool_source_region(ra, 1), "NL");
  ntspool_registry_unref(reg);

  /* Commit-time checks keep the running configuration. */
  assert_int_equal(ntspool_policy_set(p, "upstream z", "port", "123"), 0);
  assert_int_equal(ntspool_policy_commit(p), NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_policy_config_error(p), "domain"));
  ntspool_policy_discard(p);
  assert_int_equal(
      ntspool_policy_set(p, "selection", "backoff-initial-ms", "5"), 0);
  assert_int_equal(ntspool_policy_set(p, "selection", "backoff-max-ms", "4"),
                   0);
  assert_int_equal(ntspool_policy_commit(p), NTSPOOL_ERR_CONFIG);
  ntspool_policy_discard(p);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "domain", "a.example"),
                   0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "uuid", "u-1"), 0);
  assert_int_equal(ntspool_policy_set(p, "upstream b", "domain", "b.example"),
                   0);
  assert_int_equal(ntspool_policy_set(p, "upstream b", "uuid", "u-1"), 0);
  assert_int_equal(ntspool_policy_commit(p), NTSPOOL_ERR_CONFIG);
  ntspool_policy_discard(p);
  reg = ntspool_policy_acquire(p);
  assert_int_equal(ntspool_registry_generation(reg), 1);
  assert_int_equal(ntspool_registry_count(reg), 1);
  ntspool_registry_unref(reg);
  /* A commit without keys installs the defaults and no sources. */
  assert_int_equal(ntspool_policy_commit(p), 0);
  reg = ntspool_policy_acquire(p);
  assert_int_equal(ntspool_registry_count(reg), 0);
  assert_int_equal(reg->settings.strategy, NTSPOOL_STRATEGY_WEIGHTED);
  assert_int_equal(reg->settings.n_allowed, 1);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_policy_reload_keeps_sessions(void **state) {
  (void)state;
  static const fx_kv first[] = {{"upstream a", "domain", "a.example"},
                                {"upstream a", "auth-token", "token-a"},
                                {"upstream b", "domain", "b.example"},
                                {NULL, NULL, NULL}};
  static const fx_kv second[] = {{"upstream a", "domain", "a.example"},
                                 {"upstream a", "auth-token", "token-a"},
                                 {"upstream a", "weight", "5"},
                                 {"upstream b", "domain", "b.example"},
                                 {"upstream b", "port", "4461"},
                                 {"upstream c", "domain", "c.example"},
                                 {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(first);
  /* A session starts with the first registry and picks b. */
  ntspool_registry *session = ntspool_policy_acquire(p);
  const ntspool_source *old_a = ntspool_registry_find(session, "a");
  const ntspool_source *old_b = ntspool_registry_find(session, "b");
  assert_int_equal(ntspool_policy_record_result(p, old_a, V4, false, 0), 0);
  assert_int_equal(ntspool_policy_record_result(p, old_b, V4, false, 0), 0);

  assert_int_equal(fx_configure(p, second), 0);
  ntspool_registry *cur = ntspool_policy_acquire(p);
  assert_ptr_not_equal(cur, session);
  assert_int_equal(ntspool_registry_count(cur), 3);
  assert_int_equal(ntspool_registry_count(session), 2);

  /* The old registry still works for the session in flight. */
  fx_client c;
  ntspool_attempts tried = {0};
  ntspool_selection sel;
  assert_int_equal(ntspool_policy_select(p, session, fx_client_init(&c, V4),
                                         &tried, NULL, 5000, &sel),
                   0);
  assert_true(sel.source == old_a || sel.source == old_b);
  assert_string_equal(ntspool_source_domain(old_b), "b.example");
  assert_int_equal(ntspool_policy_record_result(p, old_b, V4, true, 5000), 0);

  /* a did not change (weight is not identity): its health carried over.
   * b moved to another port: it starts afresh. */
  ntspool_source_stats st;
  const ntspool_source *new_a = ntspool_registry_find(cur, "a");
  const ntspool_source *new_b = ntspool_registry_find(cur, "b");
  assert_int_equal(ntspool_source_weight(new_a), 5);
  assert_int_equal(ntspool_policy_source_stats(p, new_a, V4, 0, &st), 0);
  assert_int_equal(st.failures, 1);
  assert_int_equal(ntspool_policy_source_stats(p, new_b, V4, 0, &st), 0);
  assert_int_equal(st.failures + st.successes, 0);
  ntspool_registry_unref(session);
  ntspool_registry_unref(cur);
  ntspool_policy_unref(p);
}

/* A counting allocator: every byte handed out comes back. */
struct counting {
  atomic_long live;
  atomic_long calls;
  long fail_at; /* fail the n-th allocation (0: never) */
};

static void *counting_malloc(size_t size, void *user) {
  struct counting *c = user;
  long n = atomic_fetch_add(&c->calls, 1) + 1;
  if (c->fail_at != 0 && n == c->fail_at)
    return NULL;
  size_t *p = malloc(size + sizeof(size_t) * 2);
  if (p == NULL)
    return NULL;
  p[0] = size;
  atomic_fetch_add(&c->live, 1);
  return p + 2;
}

static void counting_free(void *ptr, void *user) {
  struct counting *c = user;
  atomic_fetch_sub(&c->live, 1);
  free((size_t *)ptr - 2);
}

static int build_and_use(const ntspool_allocator *alloc) {
  char path[256];
  fx_write_file(path, sizeof path, "alloc-base", "s3cret\n", 0600);
  const fx_kv kv[] = {{"upstream-tls", "base-shared-secret-path", path},
                      {"upstream a", "domain", "a.example"},
                      {"upstream a", "uuid", "u"},
                      {"upstream b", "domain", "b.example"},
                      {NULL, NULL, NULL}};
  ntspool_policy *p = NULL;
  int rc = ntspool_policy_new(alloc, &fx_conn_ops, &p);
  if (rc != 0)
    goto out;
  for (const fx_kv *k = kv; k->section != NULL && rc == 0; k++)
    rc = ntspool_policy_set(p, k->section, k->name, k->value);
  if (rc == 0)
    rc = ntspool_policy_commit(p);
  if (rc == 0) {
    ntspool_registry *reg = ntspool_policy_acquire(p);
    fx_client c;
    fx_support sup;
    ntspool_attempts tried = {0};
    ntspool_selection sel;
    rc = ntspool_policy_select(p, reg, fx_client_init(&c, V4), &tried, NULL, 0,
                               &sel);
    if (rc == 0)
      rc = ntspool_policy_caps_store(p, sel.source, V4,
                                     fx_support_ntpd_rs(&sup), 0);
    if (rc == 0) {
      fx_conn *conn = fx_conn_new(1, true);
      rc = ntspool_policy_conn_put(p, sel.source, V4, conn, 0, 0);
      if (rc < 0) /* not taken: still ours */
        fx_conn_close(NULL, conn);
    }
    ntspool_registry_unref(reg);
  }
  ntspool_policy_unref(p);
out:
  unlink(path);
  return rc;
}

static void test_policy_allocator_hook(void **state) {
  (void)state;
  struct counting c = {0};
  ntspool_allocator alloc = {counting_malloc, counting_free, &c};
  assert_int_equal(build_and_use(&alloc), 0);
  assert_true(atomic_load(&c.calls) > 5);
  assert_int_equal(atomic_load(&c.live), 0);
  /* Every allocation failing in turn gives NO_MEMORY and leaks nothing. */
  long total = atomic_load(&c.calls);
  for (long i = 1; i <= total; i++) {
    struct counting f = {0};
    f.fail_at = i;
    ntspool_allocator fa = {counting_malloc, counting_free, &f};
    fx_conns_reset();
    int rc = build_and_use(&fa);
    assert_true(rc == 0 || rc == NTSPOOL_ERR_NO_MEMORY);
    assert_int_equal(atomic_load(&f.live), 0);
    assert_int_equal(atomic_load(&fx_conns_open),
                     atomic_load(&fx_conns_closed));
  }
  ntspool_allocator half = {counting_malloc, NULL, &c};
  ntspool_policy *p = NULL;
  assert_int_equal(ntspool_policy_new(&half, NULL, &p),
                   NTSPOOL_ERR_INVALID_ARG);
}

/* Names and uuids are found by hash among many sources, across a reload
 * that drops some and adds others. */
static void test_policy_lookups_many(void **state) {
  (void)state;
  ntspool_policy *p = NULL;
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  char section[40], uuid[40];
  for (int round = 0; round < 2; round++) {
    /* round 0: s0..s1999; round 1: s1000..s2999 */
    for (int i = round * 1000; i < round * 1000 + 2000; i++) {
      snprintf(section, sizeof section, "upstream s%d", i);
      snprintf(uuid, sizeof uuid, "uuid-%d", i);
      assert_int_equal(ntspool_policy_set(p, section, "domain", "x.example"),
                       0);
      assert_int_equal(ntspool_policy_set(p, section, "uuid", uuid), 0);
    }
    assert_int_equal(ntspool_policy_commit(p), 0);
    ntspool_registry *reg = ntspool_policy_acquire(p);
    for (int i = 0; i < 3000; i++) {
      snprintf(section, sizeof section, "s%d", i);
      snprintf(uuid, sizeof uuid, "uuid-%d", i);
      ntspool_bytes u = {(const uint8_t *)uuid, strlen(uuid)};
      const ntspool_source *by_name = ntspool_registry_find(reg, section);
      const ntspool_source *by_uuid = ntspool_registry_find_uuid(reg, u);
      bool listed = i >= round * 1000 && i < round * 1000 + 2000;
      assert_true((by_name != NULL) == listed);
      assert_ptr_equal(by_name, by_uuid);
      if (listed)
        assert_string_equal(ntspool_source_name(by_name), section);
    }
    /* A uuid with a NUL inside, or longer than any, is none. */
    ntspool_bytes nul = {(const uint8_t *)"uuid-1\0x", 8};
    assert_null(ntspool_registry_find_uuid(reg, nul));
    char long_uuid[300];
    memset(long_uuid, 'u', sizeof long_uuid);
    ntspool_bytes longer = {(const uint8_t *)long_uuid, sizeof long_uuid};
    assert_null(ntspool_registry_find_uuid(reg, longer));
    ntspool_bytes empty = {NULL, 0};
    assert_null(ntspool_registry_find_uuid(reg, empty));
    assert_null(ntspool_registry_find(reg, NULL));
    ntspool_registry_unref(reg);
  }
  ntspool_policy_unref(p);
}

/* ---- Threads ----------------------------------------------------------------
 */

#define THREADS 4
#define ITERATIONS 3000

static const fx_kv thread_cfg[2][5] = {
    {{"upstream a", "domain", "a.example"},
     {"upstream b", "domain", "b.example"},
     {"upstream c", "domain", "c.example"},
     {"upstream-tls", "connection-cache-size", "3"},
     {NULL, NULL, NULL}},
    {{"upstream a", "domain", "a.example"},
     {"upstream c", "domain", "c.example"},
     {"upstream d", "domain", "d.example"},
     {"selection", "strategy", "round-robin"},
     {NULL, NULL, NULL}}};

struct worker {
  ntspool_policy *policy;
  int id;
  int errors;
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  ntspool_policy *p = w->policy;
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, (uint64_t)w->id + 100);
  for (int i = 0; i < ITERATIONS; i++) {
    ntspool_time_ms now = i * 10;
    if (w->id == 0 && i % 250 == 0) {
      /* The configuration thread reloads while the others select. */
      const fx_kv *kv = thread_cfg[(i / 250) % 2];
      for (; kv->section != NULL; kv++)
        w->errors +=
            ntspool_policy_set(p, kv->section, kv->name, kv->value) != 0;
      w->errors += ntspool_policy_commit(p) != 0;
    }
    ntspool_registry *reg = ntspool_policy_acquire(p);
    fx_client c;
    enum ntspool_family fam = (i & 1) ? V4 : V6;
    ntspool_client_prefs *prefs = fx_client_init(&c, fam);
    if (i % 3 == 0)
      fx_client_deny(&c, "b.example");
    ntspool_attempts tried = {0};
    ntspool_selection sel;
    int rc = ntspool_policy_select(p, reg, prefs, &tried, &rng, now, &sel);
    if (rc != 0) {
      w->errors++;
      ntspool_registry_unref(reg);
      continue;
    }
    void *conn;
    ntspool_time_ms created;
    if (ntspool_policy_conn_take(p, sel.source, fam, now, &conn, &created) ==
        0) {
      conn = fx_conn_new(i, (i % 7) != 0);
      created = now;
    }
    if (sel.caps != NTSPOOL_CAPS_HIT) {
      fx_support sup;
      ntspool_policy_caps_store(p, sel.source, fam, fx_support_ntpd_rs(&sup),
                                now);
      w->errors +=
          ntspool_policy_negotiate(p, sel.source, prefs, now, &sel) != 0;
    }
    ntspool_policy_learn_server_name(
        p, sel.source, (ntspool_bytes){(const uint8_t *)"x.example", 9});
    bool ok = (i % 5) != 0;
    ntspool_policy_record_result(p, sel.source, fam, ok, now);
    if (ntspool_policy_conn_put(p, sel.source, fam, conn, created, now) < 0)
      w->errors++;
    if (i % 100 == 0)
      ntspool_policy_conn_expire(p, now);
    ntspool_source_stats st;
    ntspool_policy_source_stats(p, sel.source, fam, now, &st);
    ntspool_registry_unref(reg);
  }
  return NULL;
}

static void test_policy_concurrent_threads(void **state) {
  (void)state;
  fx_conns_reset();
  ntspool_policy *p = fx_policy(thread_cfg[0]);
  pthread_t t[THREADS];
  struct worker w[THREADS];
  for (int i = 0; i < THREADS; i++) {
    w[i] = (struct worker){p, i, 0};
    assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
  }
  for (int i = 0; i < THREADS; i++) {
    assert_int_equal(pthread_join(t[i], NULL), 0);
    assert_int_equal(w[i].errors, 0);
  }
  ntspool_policy_stats st;
  assert_int_equal(ntspool_policy_get_stats(p, &st), 0);
  assert_int_equal(st.selections, THREADS * ITERATIONS);
  ntspool_policy_unref(p);
  /* Every connection was closed exactly once. */
  assert_int_equal(atomic_load(&fx_conns_open), atomic_load(&fx_conns_closed));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_policy_defaults_and_views),
      cmocka_unit_test(test_policy_config_errors),
      cmocka_unit_test(test_policy_reload_keeps_sessions),
      cmocka_unit_test(test_policy_allocator_hook),
      cmocka_unit_test(test_policy_lookups_many),
      cmocka_unit_test(test_policy_concurrent_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
