/* SPDX-License-Identifier: BSD-2-Clause */
/* Capability cache: hit / stale / missing on a hand-stepped clock, per
 * family, configurable validity, bounds. */
#include "policy_fixture.h"

#define V4 NTSPOOL_FAMILY_IPV4
#define V6 NTSPOOL_FAMILY_IPV6

static const fx_kv one_source[] = {
    {"upstream-tls", "support-cache-validity-s", "10"},
    {"upstream a", "domain", "a.example"},
    {NULL, NULL, NULL}};

static void test_capcache_hit_stale_missing(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(one_source);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_source(reg, 0);
  ntspool_caps caps;
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V4, 0, &caps),
                   NTSPOOL_CAPS_MISSING);
  fx_support sup;
  static const uint16_t protos[] = {0, 0x8001};
  static const uint16_t algs[] = {15, 32, 17, 64};
  static const char *const names[] = {"ntp.a.example", "", "ntp6.a.example"};
  assert_int_equal(
      ntspool_policy_caps_store(
          p, a, V4, fx_support_make(&sup, 2, protos, 2, algs, 3, names), 5000),
      0);
  memset(&caps, 0, sizeof caps);
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V4, 5000, &caps),
                   NTSPOOL_CAPS_HIT);
  assert_int_equal(caps.fetched_at, 5000);
  assert_int_equal(caps.n_protocols, 2);
  assert_int_equal(caps.protocols[1], 0x8001);
  assert_int_equal(caps.n_algorithms, 2);
  assert_int_equal(caps.algorithms[1].id, 17);
  assert_int_equal(caps.algorithms[1].key_len, 64);
  assert_int_equal(caps.n_names, 2); /* the empty name is dropped */
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V4, 14999, NULL),
                   NTSPOOL_CAPS_HIT);
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V4, 15000, &caps),
                   NTSPOOL_CAPS_STALE);
  assert_int_equal(caps.n_protocols, 2);
  /* The other family knows nothing yet. */
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V6, 5000, &caps),
                   NTSPOOL_CAPS_MISSING);
  /* A refresh replaces the entry and makes it fresh again. */
  assert_int_equal(
      ntspool_policy_caps_store(p, a, V4, fx_support_ntpd_rs(&sup), 20000), 0);
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V4, 20000, &caps),
                   NTSPOOL_CAPS_HIT);
  assert_int_equal(caps.n_protocols, 1);
  assert_int_equal(caps.n_names, 0);
  ntspool_source_stats st;
  assert_int_equal(ntspool_policy_source_stats(p, a, V4, 30000, &st), 0);
  assert_int_equal(st.caps, NTSPOOL_CAPS_STALE);
  assert_int_equal(st.caps_fetched_at, 20000);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_capcache_default_validity_300s(void **state) {
  (void)state;
  static const fx_kv kv[] = {{"upstream a", "domain", "a.example"},
                             {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(kv);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_source(reg, 0);
  fx_support sup;
  assert_int_equal(
      ntspool_policy_caps_store(p, a, V6, fx_support_ntpd_rs(&sup), 0), 0);
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V6, 299999, NULL),
                   NTSPOOL_CAPS_HIT);
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V6, 300000, NULL),
                   NTSPOOL_CAPS_STALE);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_capcache_bounds_and_errors(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(one_source);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_source(reg, 0);
  uint16_t protos[20], algs[40];
  for (int i = 0; i < 20; i++) {
    protos[i] = (uint16_t)i;
    algs[2 * i] = (uint16_t)(100 + i);
    algs[2 * i + 1] = 16;
  }
  fx_support sup;
  memset(&sup, 0, sizeof sup);
  /* fx_list holds 32 values; build the long lists by hand. */
  uint8_t pbytes[40], abytes[80];
  for (int i = 0; i < 20; i++) {
    pbytes[2 * i] = 0;
    pbytes[2 * i + 1] = (uint8_t)protos[i];
  }
  for (int i = 0; i < 40; i++) {
    abytes[2 * i] = (uint8_t)(algs[i] >> 8);
    abytes[2 * i + 1] = (uint8_t)algs[i];
  }
  sup.s.has_protocols = sup.s.has_algorithms = true;
  sup.s.protocols.data = pbytes;
  sup.s.protocols.count = 20;
  sup.s.algorithms.data = abytes;
  sup.s.algorithms.count = 40;
  assert_int_equal(ntspool_policy_caps_store(p, a, V4, &sup.s, 0), 0);
  ntspool_caps caps;
  assert_int_equal(ntspool_policy_caps_lookup(p, a, V4, 0, &caps),
                   NTSPOOL_CAPS_HIT);
  assert_int_equal(caps.n_protocols, NTSPOOL_MAX_CAPS);
  assert_int_equal(caps.n_algorithms, NTSPOOL_MAX_CAPS);
  assert_int_equal(caps.algorithms[15].id, 115);

  sup.s.has_algorithms = false;
  assert_int_equal(ntspool_policy_caps_store(p, a, V4, &sup.s, 0),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_policy_caps_store(p, a, 5, &sup.s, 0),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_policy_caps_lookup(p, NULL, V4, 0, &caps),
                   NTSPOOL_CAPS_MISSING);
  ntspool_bytes empty = {(const uint8_t *)"", 0};
  assert_int_equal(ntspool_policy_learn_server_name(p, a, empty),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_capcache_hit_stale_missing),
      cmocka_unit_test(test_capcache_default_validity_300s),
      cmocka_unit_test(test_capcache_bounds_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
