/* SPDX-License-Identifier: BSD-2-Clause */
/* Health: exponential back-off with a cap on a hand-stepped clock,
 * recovery, the all-backing-off fallback and the counters. */
#include "policy_fixture.h"

#define V4 NTSPOOL_FAMILY_IPV4
#define V6 NTSPOOL_FAMILY_IPV6

static const fx_kv two_sources[] = {{"selection", "backoff-initial-ms", "1000"},
                                    {"selection", "backoff-max-ms", "5000"},
                                    {"upstream a", "domain", "a.example"},
                                    {"upstream b", "domain", "b.example"},
                                    {NULL, NULL, NULL}};

static const ntspool_source *pick(ntspool_policy *p, ntspool_registry *reg,
                                  enum ntspool_family fam, ntspool_rng *rng,
                                  ntspool_time_ms now, ntspool_selection *sel) {
  fx_client c;
  ntspool_attempts tried = {0};
  assert_int_equal(ntspool_policy_select(p, reg, fx_client_init(&c, fam),
                                         &tried, rng, now, sel),
                   0);
  return sel->source;
}

static void test_health_backoff_doubles_to_cap(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(two_sources);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  ntspool_source_stats st;
  const ntspool_time_ms expect[] = {1000, 2000, 4000, 5000, 5000};
  ntspool_time_ms now = 10000;
  for (int i = 0; i < 5; i++) {
    assert_int_equal(ntspool_policy_record_result(p, a, V4, false, now), 0);
    assert_int_equal(ntspool_policy_source_stats(p, a, V4, now, &st), 0);
    assert_int_equal(st.consecutive_failures, i + 1);
    assert_int_equal(st.backoff_until, now + expect[i]);
    assert_true(st.backing_off);
    now += 100;
  }
  assert_int_equal(st.failures, 5);
  assert_int_equal(st.successes, 0);
  /* A success restores it at once. */
  assert_int_equal(ntspool_policy_record_result(p, a, V4, true, now), 0);
  assert_int_equal(ntspool_policy_source_stats(p, a, V4, now, &st), 0);
  assert_int_equal(st.consecutive_failures, 0);
  assert_int_equal(st.backoff_until, 0);
  assert_false(st.backing_off);
  assert_int_equal(st.successes, 1);
  assert_int_equal(st.failures, 5);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_health_backoff_excludes_until_expiry(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(two_sources);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  const ntspool_source *b = ntspool_registry_find(reg, "b");
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 11);
  ntspool_selection sel;
  assert_int_equal(ntspool_policy_record_result(p, a, V4, false, 0), 0);
  assert_int_equal(ntspool_policy_record_result(p, a, V4, false, 0), 0);
  /* a backs off for 2000 ms for IPv4 only. */
  for (ntspool_time_ms t = 0; t < 2000; t += 250) {
    assert_ptr_equal(pick(p, reg, V4, &rng, t, &sel), b);
    assert_false(sel.backoff_fallback);
  }
  bool a_v6 = false;
  for (int i = 0; i < 40; i++)
    a_v6 |= pick(p, reg, V6, &rng, 0, &sel) == a;
  assert_true(a_v6);
  /* From the end of the back-off on, a is a candidate again. */
  bool a_back = false;
  for (int i = 0; i < 40; i++)
    a_back |= pick(p, reg, V4, &rng, 2000, &sel) == a;
  assert_true(a_back);
  /* It fails again at 2000: 4000 ms now (consecutive 3). */
  assert_int_equal(ntspool_policy_record_result(p, a, V4, false, 2000), 0);
  for (int i = 0; i < 40; i++)
    assert_ptr_equal(pick(p, reg, V4, &rng, 5999, &sel), b);
  ntspool_source_stats st;
  assert_int_equal(ntspool_policy_source_stats(p, a, V4, 6000, &st), 0);
  assert_false(st.backing_off);
  assert_int_equal(st.consecutive_failures, 3);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_health_all_backing_off_picks_earliest(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(two_sources);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  const ntspool_source *b = ntspool_registry_find(reg, "b");
  assert_int_equal(ntspool_policy_record_result(p, a, V4, false, 0), 0);
  assert_int_equal(ntspool_policy_record_result(p, a, V4, false, 0), 0);
  assert_int_equal(ntspool_policy_record_result(p, b, V4, false, 500), 0);
  /* a until 2000, b until 1500: b recovers first. */
  ntspool_selection sel;
  for (int i = 0; i < 10; i++) {
    assert_ptr_equal(pick(p, reg, V4, NULL, 1000, &sel), b);
    assert_true(sel.backoff_fallback);
  }
  ntspool_policy_stats ps;
  assert_int_equal(ntspool_policy_get_stats(p, &ps), 0);
  assert_int_equal(ps.backoff_fallbacks, 10);
  ntspool_source_stats st;
  assert_int_equal(ntspool_policy_source_stats(p, b, V4, 1000, &st), 0);
  assert_int_equal(st.selected, 10);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_health_invalid_arguments(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(two_sources);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_source(reg, 0);
  ntspool_source_stats st;
  assert_int_equal(ntspool_policy_record_result(p, NULL, V4, true, 0),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_policy_record_result(p, a, 0, true, 0),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_policy_source_stats(p, a, V4, 0, NULL),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_policy_source_stats(NULL, a, V4, 0, &st),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

/* Latency histograms: each reading lands in one bucket, by edge, per
 * exchange, outcome and family; above the last edge only in count. */
static void test_health_latency_histograms(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(two_sources);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  const uint32_t *edge = ntspool_latency_edges_us();
  assert_int_equal(edge[0], 0);
  assert_int_equal(edge[1], 1000);
  assert_int_equal(edge[NTSPOOL_LATENCY_BUCKETS - 1], 5000000);
  for (size_t i = 1; i < NTSPOOL_LATENCY_BUCKETS; i++)
    assert_true(edge[i] > edge[i - 1]);
  const ntspool_time_ms readings[] = {0, 1, 2, 3, 5000, 5001, -4};
  for (size_t i = 0; i < sizeof readings / sizeof *readings; i++)
    assert_int_equal(ntspool_policy_record_latency(
                         p, a, V4, NTSPOOL_EXCHANGE_SUPPORT, true, readings[i]),
                     0);
  assert_int_equal(ntspool_policy_record_latency(
                       p, a, V6, NTSPOOL_EXCHANGE_FIXED_KEY, false, 30),
                   0);
  ntspool_source_stats st;
  assert_int_equal(ntspool_policy_source_stats(p, a, V4, 0, &st), 0);
  const ntspool_latency *h = &st.latency[NTSPOOL_EXCHANGE_SUPPORT][1];
  assert_int_equal(h->buckets[0], 2); /* 0 ms, and -4 counted as 0 */
  assert_int_equal(h->buckets[1], 1); /* 1 ms */
  assert_int_equal(h->buckets[2], 1); /* 2 ms <= 2.5 ms */
  assert_int_equal(h->buckets[3], 1); /* 3 ms <= 5 ms */
  assert_int_equal(h->buckets[NTSPOOL_LATENCY_BUCKETS - 1], 1); /* 5 s */
  assert_int_equal(h->count, 7);                                /* + 5001 */
  assert_int_equal(h->sum_ms, 0 + 1 + 2 + 3 + 5000 + 5001);
  assert_int_equal(st.latency[NTSPOOL_EXCHANGE_SUPPORT][0].count, 0);
  assert_int_equal(st.latency[NTSPOOL_EXCHANGE_FIXED_KEY][0].count, 0);
  assert_int_equal(ntspool_policy_source_stats(p, a, V6, 0, &st), 0);
  h = &st.latency[NTSPOOL_EXCHANGE_FIXED_KEY][0];
  assert_int_equal(h->count, 1);
  assert_int_equal(h->buckets[6], 1); /* 30 ms: (25 ms, 50 ms] */
  assert_int_equal(ntspool_policy_record_latency(p, a, V4, 2, true, 1),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_policy_record_latency(
                       NULL, a, V4, NTSPOOL_EXCHANGE_SUPPORT, true, 1),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_health_backoff_doubles_to_cap),
      cmocka_unit_test(test_health_backoff_excludes_until_expiry),
      cmocka_unit_test(test_health_all_backing_off_picks_earliest),
      cmocka_unit_test(test_health_invalid_arguments),
      cmocka_unit_test(test_health_latency_histograms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
