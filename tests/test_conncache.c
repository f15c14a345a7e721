/* SPDX-License-Identifier: BSD-2-Clause */
/* Connection cache: newest-first take, FIFO eviction, idle and age limits,
 * dead connections, expire(), reload and teardown close everything once. */
#include "policy_fixture.h"

#define V4 NTSPOOL_FAMILY_IPV4
#define V6 NTSPOOL_FAMILY_IPV6
#define S 1000 /* ms per second */

static const fx_kv small_cache[] = {
    {"upstream-tls", "connection-cache-size", "2"},
    {"upstream-tls", "connection-cache-max-idle-s", "10"},
    {"upstream-tls", "connection-cache-max-age-s", "60"},
    {"upstream a", "domain", "a.example"},
    {"upstream b", "domain", "b.example"},
    {NULL, NULL, NULL}};

static int take_id(ntspool_policy *p, const ntspool_source *s,
                   enum ntspool_family fam, ntspool_time_ms now) {
  void *conn = NULL;
  ntspool_time_ms created = -1;
  int rc = ntspool_policy_conn_take(p, s, fam, now, &conn, &created);
  assert_true(rc == 0 || rc == 1);
  if (rc == 0)
    return -1;
  int id = ((fx_conn *)conn)->id;
  fx_conn_close(NULL, conn);
  return id;
}

static void test_conncache_newest_first_fifo_eviction(void **state) {
  (void)state;
  fx_conns_reset();
  ntspool_policy *p = fx_policy(small_cache);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(1, true), 0, 0), 0);
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(2, true), 0, S), 0);
  /* Full: the oldest (1) is closed to make room. */
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(3, true), 0, 2 * S), 0);
  assert_int_equal(fx_last_closed_id, 1);
  assert_int_equal(atomic_load(&fx_conns_closed), 1);
  /* The other family and source have their own caches. */
  assert_int_equal(take_id(p, a, V6, 2 * S), -1);
  assert_int_equal(take_id(p, ntspool_registry_find(reg, "b"), V4, 2 * S), -1);
  void *conn;
  ntspool_time_ms created;
  assert_int_equal(ntspool_policy_conn_take(p, a, V4, 2 * S, &conn, &created),
                   1);
  assert_int_equal(((fx_conn *)conn)->id, 3);
  assert_int_equal(created, 0);
  fx_conn_close(NULL, conn);
  assert_int_equal(take_id(p, a, V4, 2 * S), 2);
  assert_int_equal(take_id(p, a, V4, 2 * S), -1);
  ntspool_source_stats st;
  assert_int_equal(ntspool_policy_source_stats(p, a, V4, 2 * S, &st), 0);
  assert_int_equal(st.conn_stored, 3);
  assert_int_equal(st.conn_evicted, 1);
  assert_int_equal(st.conn_reused, 2);
  assert_int_equal(st.idle_connections, 0);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
  assert_int_equal(atomic_load(&fx_conns_open), atomic_load(&fx_conns_closed));
}

static void test_conncache_idle_and_age_limits(void **state) {
  (void)state;
  fx_conns_reset();
  ntspool_policy *p = fx_policy(small_cache);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  /* Idle since 100 s: usable until 110 s. */
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(1, true), 95 * S, 100 * S),
      0);
  assert_int_equal(take_id(p, a, V4, 110 * S), -1);
  assert_int_equal(fx_last_closed_id, 1);
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(2, true), 95 * S, 100 * S),
      0);
  assert_int_equal(take_id(p, a, V4, 110 * S - 1), 2);
  /* Created at 0, max age 60 s: at 58 s fine, at 60 s gone even though it
   * was idle only 5 s. */
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(3, true), 0, 55 * S), 0);
  assert_int_equal(take_id(p, a, V4, 60 * S), -1);
  assert_int_equal(fx_last_closed_id, 3);
  /* Already too old when handed back: closed at once. */
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(4, true), 0, 61 * S), 1);
  assert_int_equal(fx_last_closed_id, 4);
  ntspool_source_stats st;
  assert_int_equal(ntspool_policy_source_stats(p, a, V4, 61 * S, &st), 0);
  assert_int_equal(st.conn_closed_expired, 3);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
  assert_int_equal(atomic_load(&fx_conns_open), atomic_load(&fx_conns_closed));
}

static void test_conncache_dead_connection_discarded(void **state) {
  (void)state;
  fx_conns_reset();
  ntspool_policy *p = fx_policy(small_cache);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V6, fx_conn_new(1, true), 0, 0), 0);
  /* 2 got EOF while idle: reusable() says no. */
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V6, fx_conn_new(2, false), 0, 0), 0);
  assert_int_equal(take_id(p, a, V6, S), 1);
  assert_int_equal(atomic_load(&fx_conns_closed), 2);
  ntspool_source_stats st;
  assert_int_equal(ntspool_policy_source_stats(p, a, V6, S, &st), 0);
  assert_int_equal(st.conn_closed_dead, 1);
  assert_int_equal(st.conn_reused, 1);
  /* Only dead ones: nothing to hand out. */
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V6, fx_conn_new(3, false), 0, 0), 0);
  assert_int_equal(take_id(p, a, V6, S), -1);
  assert_int_equal(ntspool_policy_source_stats(p, a, V6, S, &st), 0);
  assert_int_equal(st.conn_closed_dead, 2);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
  assert_int_equal(atomic_load(&fx_conns_open), atomic_load(&fx_conns_closed));
}

static void test_conncache_expire(void **state) {
  (void)state;
  fx_conns_reset();
  ntspool_policy *p = fx_policy(small_cache);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  const ntspool_source *b = ntspool_registry_find(reg, "b");
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(1, true), 0, 0), 0);
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V6, fx_conn_new(2, true), 0, 5 * S), 0);
  assert_int_equal(
      ntspool_policy_conn_put(p, b, V4, fx_conn_new(3, true), 0, 8 * S), 0);
  /* Idle limit 10 s: due at 10, 15 and 18 s. */
  assert_int_equal(ntspool_policy_conn_next_expiry(p), 10 * S);
  assert_int_equal(ntspool_policy_conn_expire(p, 9 * S), 0);
  assert_int_equal(ntspool_policy_conn_expire(p, 10 * S), 1);
  assert_int_equal(ntspool_policy_conn_next_expiry(p), 15 * S);
  assert_int_equal(ntspool_policy_conn_expire(p, 18 * S), 2);
  assert_int_equal(ntspool_policy_conn_next_expiry(p), NTSPOOL_TIME_NEVER);
  assert_int_equal(ntspool_policy_conn_next_expiry(NULL), NTSPOOL_TIME_NEVER);
  assert_int_equal(atomic_load(&fx_conns_closed), 3);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_conncache_reload_and_teardown(void **state) {
  (void)state;
  fx_conns_reset();
  ntspool_policy *p = fx_policy(small_cache);
  ntspool_registry *old = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(old, "a");
  const ntspool_source *b = ntspool_registry_find(old, "b");
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(1, true), 0, 0), 0);
  assert_int_equal(
      ntspool_policy_conn_put(p, b, V4, fx_conn_new(2, true), 0, 0), 0);
  /* b leaves the configuration, a stays: b's idle connection is closed at
   * the commit, a's survives and is found through the new registry. */
  static const fx_kv only_a[] = {{"upstream-tls", "connection-cache-size", "2"},
                                 {"upstream a", "domain", "a.example"},
                                 {NULL, NULL, NULL}};
  assert_int_equal(fx_configure(p, only_a), 0);
  assert_int_equal(atomic_load(&fx_conns_closed), 1);
  assert_int_equal(fx_last_closed_id, 2);
  ntspool_registry *cur = ntspool_policy_acquire(p);
  assert_int_equal(take_id(p, ntspool_registry_find(cur, "a"), V4, S), 1);
  /* A session of the old registry hands b's connection back: closed. */
  assert_int_equal(
      ntspool_policy_conn_put(p, b, V4, fx_conn_new(3, true), 0, S), 1);
  assert_int_equal(fx_last_closed_id, 3);
  /* A cached connection lives as long as some registry lists its source:
   * here the old registry, released after the policy. */
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(4, true), 0, S), 0);
  ntspool_registry_unref(cur);
  ntspool_policy_unref(p);
  assert_int_equal(atomic_load(&fx_conns_closed), 3);
  ntspool_registry_unref(old); /* after the policy: allowed */
  assert_int_equal(fx_last_closed_id, 4);
  assert_int_equal(atomic_load(&fx_conns_open), atomic_load(&fx_conns_closed));
}

static void test_conncache_disabled(void **state) {
  (void)state;
  fx_conns_reset();
  static const fx_kv zero[] = {{"upstream-tls", "connection-cache-size", "0"},
                               {"upstream a", "domain", "a.example"},
                               {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(zero);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_source(reg, 0);
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(1, true), 0, 0), 1);
  assert_int_equal(atomic_load(&fx_conns_closed), 1);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);

  /* Without conn_ops the caller keeps its connection. */
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  assert_int_equal(fx_configure(p, zero + 1), 0);
  reg = ntspool_policy_acquire(p);
  a = ntspool_registry_source(reg, 0);
  fx_conn *c = fx_conn_new(2, true);
  assert_int_equal(ntspool_policy_conn_put(p, a, V4, c, 0, 0),
                   NTSPOOL_ERR_STATE);
  assert_int_equal(take_id(p, a, V4, 0), -1);
  fx_conn_close(NULL, c);
  ntspool_conn_ops bad = fx_conn_ops;
  bad.version = NTSPOOL_CONN_OPS_VERSION + 1;
  ntspool_policy *q = NULL;
  assert_int_equal(ntspool_policy_new(NULL, &bad, &q), NTSPOOL_ERR_INVALID_ARG);
  assert_null(q);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

/* Every call of the connection callbacks carries the table's user_data:
 * one reusable() for a connection handed out, reusable() and close() for a
 * dead one. */
static void test_conncache_user_data(void **state) {
  (void)state;
  fx_conns_reset();
  ntspool_policy *p = fx_policy(small_cache);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(1, true), 0, 0), 0);
  assert_int_equal(atomic_load(&fx_conn_calls), 0);
  assert_int_equal(take_id(p, a, V4, S), 1);
  assert_int_equal(atomic_load(&fx_conn_calls), 1);
  assert_int_equal(
      ntspool_policy_conn_put(p, a, V4, fx_conn_new(2, false), 0, 0), 0);
  assert_int_equal(take_id(p, a, V4, S), -1);
  assert_int_equal(atomic_load(&fx_conn_calls), 3);
  assert_int_equal(atomic_load(&fx_last_closed_id), 2);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conncache_newest_first_fifo_eviction),
      cmocka_unit_test(test_conncache_idle_and_age_limits),
      cmocka_unit_test(test_conncache_dead_connection_discarded),
      cmocka_unit_test(test_conncache_expire),
      cmocka_unit_test(test_conncache_reload_and_teardown),
      cmocka_unit_test(test_conncache_disabled),
      cmocka_unit_test(test_conncache_user_data),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
