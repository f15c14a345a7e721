/* SPDX-License-Identifier: BSD-2-Clause */
/* Selection: weighted and round-robin draws, Server Deny, family and
 * capability filtering, protocol/AEAD negotiation, attempts. */
#include "policy_fixture.h"
#include "policy/policy_internal.h"

#define V4 NTSPOOL_FAMILY_IPV4
#define V6 NTSPOOL_FAMILY_IPV6

static const fx_kv weighted_1_2_7[] = {{"upstream a", "domain", "a.example"},
                                       {"upstream a", "weight", "1"},
                                       {"upstream b", "domain", "b.example"},
                                       {"upstream b", "weight", "2"},
                                       {"upstream c", "domain", "c.example"},
                                       {"upstream c", "weight", "7"},
                                       {NULL, NULL, NULL}};

static const fx_kv round_robin_5[] = {{"selection", "strategy", "round-robin"},
                                      {"upstream a", "domain", "a.example"},
                                      {"upstream b", "domain", "b.example"},
                                      {"upstream c", "domain", "c.example"},
                                      {"upstream d", "domain", "d.example"},
                                      {"upstream e", "domain", "e.example"},
                                      {NULL, NULL, NULL}};

/* One selection with fresh attempts; returns the status. */
static int pick(ntspool_policy *p, const ntspool_client_prefs *prefs,
                const ntspool_rng *rng, ntspool_time_ms now,
                ntspool_selection *sel) {
  ntspool_registry *reg = ntspool_policy_acquire(p);
  ntspool_attempts tried = {0};
  int rc = ntspool_policy_select(p, reg, prefs, &tried, rng, now, sel);
  ntspool_registry_unref(reg);
  return rc;
}

static const char *pick_name(ntspool_policy *p,
                             const ntspool_client_prefs *prefs,
                             const ntspool_rng *rng, ntspool_selection *sel) {
  assert_int_equal(pick(p, prefs, rng, 0, sel), 0);
  return ntspool_source_name(sel->source);
}

static void test_select_weighted_chi_square(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(weighted_1_2_7);
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 42);
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const int draws = 20000;
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < draws; i++) {
    ntspool_attempts tried = {0};
    ntspool_selection sel;
    assert_int_equal(
        ntspool_policy_select(p, reg, prefs, &tried, &rng, 0, &sel), 0);
    counts[ntspool_source_name(sel.source)[0] - 'a']++;
  }
  ntspool_registry_unref(reg);
  const double weights[3] = {1, 2, 7};
  double chi2 = 0;
  for (int i = 0; i < 3; i++) {
    double expected = draws * weights[i] / 10.0;
    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  /* 2 degrees of freedom, p = 0.001: 13.816. */
  print_message("weighted 1,2,7 x %d: %d %d %d, chi-square %.3f (< 13.816)\n",
                draws, counts[0], counts[1], counts[2], chi2);
  assert_true(chi2 < 13.816);
  ntspool_policy_stats st;
  assert_int_equal(ntspool_policy_get_stats(p, &st), 0);
  assert_int_equal(st.selections, draws);
  ntspool_policy_unref(p);
}

static void test_select_seed_is_deterministic(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(weighted_1_2_7);
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  char seq[2][64];
  for (int run = 0; run < 2; run++) {
    fx_rng_state rs;
    ntspool_rng rng = fx_rng(&rs, 7);
    for (int i = 0; i < 63; i++) {
      ntspool_selection sel;
      seq[run][i] = pick_name(p, prefs, &rng, &sel)[0];
    }
    seq[run][63] = '\0';
  }
  assert_string_equal(seq[0], seq[1]);
  /* The default generator (ntspool_random) works too. */
  ntspool_selection sel;
  assert_int_equal(pick(p, prefs, NULL, 0, &sel), 0);
  ntspool_policy_unref(p);
}

static void test_select_round_robin_cycles(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(round_robin_5);
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  char seq[16];
  for (int i = 0; i < 15; i++) {
    ntspool_selection sel;
    seq[i] = pick_name(p, prefs, NULL, &sel)[0];
  }
  seq[15] = '\0';
  assert_string_equal(seq, "abcdeabcdeabcde");
  ntspool_policy_unref(p);
}

static void test_select_deny_domain_and_bounded_skips(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(round_robin_5);
  ntspool_selection sel;
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  /* Counter at a: a and b denied (case differs), c is next in turn. */
  fx_client_deny(&c, "A.example");
  fx_client_deny(&c, "b.example");
  assert_string_equal(pick_name(p, prefs, NULL, &sel), "c");
  assert_false(sel.denied);
  /* Counter at b: b, c, d, e denied; three skips (b, c, d) then e stands. */
  fx_client_init(&c, V4);
  fx_client_deny(&c, "b.example");
  fx_client_deny(&c, "c.example");
  fx_client_deny(&c, "d.example");
  fx_client_deny(&c, "e.example");
  assert_string_equal(pick_name(p, prefs, NULL, &sel), "e");
  assert_true(sel.denied);
  ntspool_policy_stats st;
  assert_int_equal(ntspool_policy_get_stats(p, &st), 0);
  assert_int_equal(st.deny_skips, 2 + 3);
  assert_int_equal(st.deny_ignored, 1);
  ntspool_policy_unref(p);
}

static void test_select_deny_max_skips_setting(void **state) {
  (void)state;
  static const fx_kv kv[] = {{"selection", "strategy", "round-robin"},
                             {"selection", "deny-max-skips", "0"},
                             {"upstream a", "domain", "a.example"},
                             {"upstream b", "domain", "b.example"},
                             {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(kv);
  ntspool_selection sel;
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  fx_client_deny(&c, "a.example");
  assert_string_equal(pick_name(p, prefs, NULL, &sel), "a");
  assert_true(sel.denied);
  ntspool_policy_unref(p);
}

static void test_select_deny_never_excludes_last(void **state) {
  (void)state;
  static const fx_kv kv[] = {{"upstream only", "domain", "only.example"},
                             {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(kv);
  ntspool_selection sel;
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  fx_client_deny(&c, "only.example");
  assert_string_equal(pick_name(p, prefs, NULL, &sel), "only");
  assert_true(sel.denied);
  ntspool_policy_unref(p);

  /* Two sources, both denied, weighted: one is dropped, the other stands. */
  static const fx_kv two[] = {{"upstream a", "domain", "a.example"},
                              {"upstream b", "domain", "b.example"},
                              {NULL, NULL, NULL}};
  p = fx_policy(two);
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 1);
  prefs = fx_client_init(&c, V4);
  fx_client_deny(&c, "a.example");
  fx_client_deny(&c, "b.example");
  for (int i = 0; i < 50; i++) {
    assert_int_equal(pick(p, prefs, &rng, 0, &sel), 0);
    assert_true(sel.denied);
  }
  ntspool_policy_stats st;
  assert_int_equal(ntspool_policy_get_stats(p, &st), 0);
  assert_int_equal(st.deny_skips, 50);
  ntspool_policy_unref(p);
}

static void test_select_deny_learned_names(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(round_robin_5);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  const ntspool_source *b = ntspool_registry_find(reg, "b");
  /* a learned "ntp1.a.example" through List Server Names (IPv6 entry:
   * names count for every family); b named "time.b.example" in a Server
   * record. */
  fx_support sup;
  static const uint16_t protos[] = {0};
  static const uint16_t algs[] = {15, 32};
  static const char *const names[] = {"ntp1.a.example", "ntp2.a.example"};
  assert_int_equal(
      ntspool_policy_caps_store(
          p, a, V6, fx_support_make(&sup, 1, protos, 1, algs, 2, names), 0),
      0);
  ntspool_bytes server = {(const uint8_t *)"time.b.example", 14};
  assert_int_equal(ntspool_policy_learn_server_name(p, b, server), 0);
  assert_int_equal(ntspool_policy_learn_server_name(p, b, server), 0);

  ntspool_selection sel;
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  fx_client_deny(&c, "NTP2.a.example");
  fx_client_deny(&c, "time.b.example");
  assert_string_equal(pick_name(p, prefs, NULL, &sel), "c");
  assert_false(sel.denied);
  /* A name nobody has is no reason to skip. */
  prefs = fx_client_init(&c, V4);
  fx_client_deny(&c, "ntp3.a.example");
  assert_string_equal(pick_name(p, prefs, NULL, &sel), "b");
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_select_address_family(void **state) {
  (void)state;
  static const fx_kv kv[] = {{"upstream v4", "domain", "v4.example"},
                             {"upstream v4", "ipv6", "false"},
                             {"upstream v6", "domain", "v6.example"},
                             {"upstream v6", "ipv4", "no"},
                             {"upstream off", "domain", "off.example"},
                             {"upstream off", "enabled", "off"},
                             {"upstream zero", "domain", "zero.example"},
                             {"upstream zero", "weight", "0"},
                             {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(kv);
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 3);
  ntspool_selection sel;
  fx_client c4, c6;
  ntspool_client_prefs *p4 = fx_client_init(&c4, V4);
  ntspool_client_prefs *p6 = fx_client_init(&c6, V6);
  for (int i = 0; i < 100; i++) {
    assert_string_equal(pick_name(p, p4, &rng, &sel), "v4");
    assert_string_equal(pick_name(p, p6, &rng, &sel), "v6");
  }
  ntspool_policy_unref(p);

  static const fx_kv none[] = {{"upstream v4", "domain", "v4.example"},
                               {"upstream v4", "ipv6", "0"},
                               {NULL, NULL, NULL}};
  p = fx_policy(none);
  assert_int_equal(pick(p, p6, &rng, 0, &sel), NTSPOOL_ERR_NO_SOURCE);
  ntspool_policy_stats st;
  assert_int_equal(ntspool_policy_get_stats(p, &st), 0);
  assert_int_equal(st.no_source, 1);
  ntspool_policy_unref(p);
}

static void test_select_capability_filter(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(weighted_1_2_7);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_find(reg, "a");
  const ntspool_source *b = ntspool_registry_find(reg, "b");
  const ntspool_source *cc = ntspool_registry_find(reg, "c");
  fx_support sup, v5_sup, no_aead_sup;
  static const uint16_t v5[] = {NTSPOOL_PROTO_DRAFT_NTPV5};
  static const uint16_t cmac[] = {15, 32};
  /* b and c only speak draft NTPv5 (fresh); a is unknown: only a fits. */
  const ntspool_support *only_v5 =
      fx_support_make(&v5_sup, 1, v5, 1, cmac, 0, 0);
  assert_int_equal(ntspool_policy_caps_store(p, b, V4, only_v5, 1000), 0);
  assert_int_equal(ntspool_policy_caps_store(p, cc, V4, only_v5, 1000), 0);
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 5);
  ntspool_selection sel;
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  for (int i = 0; i < 20; i++) {
    assert_int_equal(pick(p, prefs, &rng, 2000, &sel), 0);
    assert_ptr_equal(sel.source, a);
    assert_int_equal(sel.caps, NTSPOOL_CAPS_MISSING);
    assert_false(sel.negotiated);
  }
  /* After a's capabilities arrive (and fit), the selection negotiates. */
  assert_int_equal(
      ntspool_policy_caps_store(p, a, V4, fx_support_ntpd_rs(&sup), 2000), 0);
  assert_int_equal(pick(p, prefs, &rng, 2000, &sel), 0);
  assert_ptr_equal(sel.source, a);
  assert_int_equal(sel.caps, NTSPOOL_CAPS_HIT);
  assert_true(sel.negotiated);
  assert_int_equal(sel.protocol, 0);
  assert_int_equal(sel.aead, 17);
  assert_int_equal(sel.key_len, 64);
  /* Stale entries (validity 300 s) no longer rule b and c out. */
  bool seen_b = false;
  for (int i = 0; i < 50; i++) {
    assert_int_equal(pick(p, prefs, &rng, 1000 + 300000, &sel), 0);
    seen_b |= sel.source == b;
    if (sel.source != a)
      assert_int_equal(sel.caps, NTSPOOL_CAPS_STALE);
  }
  assert_true(seen_b);
  /* Everything fresh and unfit: "nothing in common" rather than no source. */
  assert_int_equal(ntspool_policy_caps_store(p, a, V4, only_v5, 2000), 0);
  assert_int_equal(pick(p, prefs, &rng, 2000, &sel), NTSPOOL_ERR_NO_PROTOCOL);
  static const uint16_t v4[] = {0};
  static const uint16_t gcm[] = {31, 32};
  const ntspool_support *no_aead =
      fx_support_make(&no_aead_sup, 1, v4, 1, gcm, 0, 0);
  assert_int_equal(ntspool_policy_caps_store(p, b, V4, no_aead, 2000), 0);
  assert_int_equal(pick(p, prefs, &rng, 2000, &sel), NTSPOOL_ERR_NO_AEAD);
  assert_true(sel.has_protocol);
  assert_int_equal(sel.protocol, 0);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

/* Negotiation against one capability entry. */
static int negotiate(ntspool_policy *p, const ntspool_source *s,
                     const ntspool_client_prefs *prefs,
                     ntspool_selection *sel) {
  memset(sel, 0, sizeof *sel);
  return ntspool_policy_negotiate(p, s, prefs, 0, sel);
}

static void test_select_negotiation_client_order(void **state) {
  (void)state;
  static const fx_kv kv[] = {{"upstream a", "domain", "a.example"},
                             {NULL, NULL, NULL}};
  static const fx_kv kv_v5[] = {{"selection", "allowed-protocol", "ntpv4"},
                                {"selection", "allowed-protocol", "0x8001"},
                                {"upstream a", "domain", "a.example"},
                                {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(kv);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *a = ntspool_registry_source(reg, 0);
  ntspool_selection sel;
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  assert_int_equal(negotiate(p, a, prefs, &sel), NTSPOOL_ERR_NOT_FOUND);

  fx_support sup;
  static const uint16_t protos[] = {0, 0x8001};
  static const uint16_t algs[] = {15, 32, 17, 64, 30, 16};
  assert_int_equal(
      ntspool_policy_caps_store(
          p, a, V4, fx_support_make(&sup, 2, protos, 3, algs, 0, 0), 0),
      0);
  /* Client order wins: [0x8001, 0] but only NTPv4 is allowed by default. */
  FX_LIST(&c.protocols, 0x8001, 0);
  c.prefs.protocols = c.protocols.list;
  FX_LIST(&c.aeads, 15, 17);
  c.prefs.aeads = c.aeads.list;
  assert_int_equal(negotiate(p, a, prefs, &sel), 0);
  assert_int_equal(sel.protocol, 0);
  assert_int_equal(sel.aead, 15);
  assert_int_equal(sel.key_len, 32);
  FX_LIST(&c.aeads, 17, 15);
  c.prefs.aeads = c.aeads.list;
  assert_int_equal(negotiate(p, a, prefs, &sel), 0);
  assert_int_equal(sel.aead, 17);
  assert_int_equal(sel.key_len, 64);
  /* Only protocols the source lacks. */
  FX_LIST(&c.protocols, 7);
  c.prefs.protocols = c.protocols.list;
  assert_int_equal(negotiate(p, a, prefs, &sel), NTSPOOL_ERR_NO_PROTOCOL);
  assert_false(sel.has_protocol);
  ntspool_registry_unref(reg);

  /* With draft NTPv5 allowed, the client's first choice is taken. */
  assert_int_equal(fx_configure(p, kv_v5), 0);
  reg = ntspool_policy_acquire(p);
  a = ntspool_registry_source(reg, 0);
  assert_int_equal(
      ntspool_policy_caps_store(
          p, a, V4, fx_support_make(&sup, 2, protos, 3, algs, 0, 0), 0),
      0);
  FX_LIST(&c.protocols, 0x8001, 0);
  c.prefs.protocols = c.protocols.list;
  assert_int_equal(negotiate(p, a, prefs, &sel), 0);
  assert_int_equal(sel.protocol, 0x8001);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_select_aead_30_needs_record_1024(void **state) {
  (void)state;
  static const fx_kv kv[] = {{"upstream chrony", "domain", "c.example"},
                             {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(kv);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *s = ntspool_registry_source(reg, 0);
  fx_support sup;
  static const uint16_t protos[] = {0};
  static const uint16_t algs[] = {30, 16, 15, 32};
  assert_int_equal(
      ntspool_policy_caps_store(
          p, s, V6, fx_support_make(&sup, 1, protos, 2, algs, 0, 0), 0),
      0);
  ntspool_selection sel;
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V6);
  FX_LIST(&c.aeads, 30, 15); /* chrony's default "30 15" */
  c.prefs.aeads = c.aeads.list;
  assert_int_equal(negotiate(p, s, prefs, &sel), 0);
  assert_int_equal(sel.aead, 15);
  c.prefs.compliant_128gcm = true;
  assert_int_equal(negotiate(p, s, prefs, &sel), 0);
  assert_int_equal(sel.aead, 30);
  assert_int_equal(sel.key_len, 16);
  /* Only 30 offered by an old chrony: nothing usable. */
  FX_LIST(&c.aeads, 30);
  c.prefs.aeads = c.aeads.list;
  c.prefs.compliant_128gcm = false;
  assert_int_equal(negotiate(p, s, prefs, &sel), NTSPOOL_ERR_NO_AEAD);
  assert_true(sel.has_protocol);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_select_key_length_checks(void **state) {
  (void)state;
  static const fx_kv kv[] = {{"upstream a", "domain", "a.example"},
                             {NULL, NULL, NULL}};
  ntspool_policy *p = fx_policy(kv);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  const ntspool_source *s = ntspool_registry_source(reg, 0);
  fx_support sup;
  static const uint16_t protos[] = {0};
  /* 17 with a wrong length, 200 (unknown) with its own length, 15 ok. */
  static const uint16_t algs[] = {17, 32, 200, 24, 15, 32};
  assert_int_equal(
      ntspool_policy_caps_store(
          p, s, V4, fx_support_make(&sup, 1, protos, 3, algs, 0, 0), 0),
      0);
  ntspool_selection sel;
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  FX_LIST(&c.aeads, 17, 200, 15);
  c.prefs.aeads = c.aeads.list;
  assert_int_equal(negotiate(p, s, prefs, &sel), 0);
  assert_int_equal(sel.aead, 200);
  assert_int_equal(sel.key_len, 24);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

static void test_select_attempts_bounded(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(round_robin_5);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  ntspool_attempts tried = {0};
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  ntspool_selection sel;
  const ntspool_source *seen[NTSPOOL_MAX_ATTEMPTS];
  for (int i = 0; i < NTSPOOL_MAX_ATTEMPTS; i++) {
    assert_int_equal(
        ntspool_policy_select(p, reg, prefs, &tried, NULL, 0, &sel), 0);
    for (int j = 0; j < i; j++)
      assert_ptr_not_equal(seen[j], sel.source);
    seen[i] = sel.source;
    /* It failed before keys were sent: move on. */
    assert_int_equal(ntspool_policy_record_result(p, sel.source, V4, false, 0),
                     0);
  }
  assert_int_equal(tried.count, NTSPOOL_MAX_ATTEMPTS);
  assert_int_equal(ntspool_policy_select(p, reg, prefs, &tried, NULL, 0, &sel),
                   NTSPOOL_ERR_NO_SOURCE);

  /* With two sources, both tried, there is nothing left either. */
  static const fx_kv two[] = {{"upstream a", "domain", "a.example"},
                              {"upstream b", "domain", "b.example"},
                              {NULL, NULL, NULL}};
  ntspool_registry_unref(reg);
  assert_int_equal(fx_configure(p, two), 0);
  reg = ntspool_policy_acquire(p);
  memset(&tried, 0, sizeof tried);
  assert_int_equal(ntspool_policy_select(p, reg, prefs, &tried, NULL, 0, &sel),
                   0);
  assert_int_equal(ntspool_policy_select(p, reg, prefs, &tried, NULL, 0, &sel),
                   0);
  assert_ptr_not_equal(tried.tried[0], tried.tried[1]);
  assert_int_equal(ntspool_policy_select(p, reg, prefs, &tried, NULL, 0, &sel),
                   NTSPOOL_ERR_NO_SOURCE);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

/* Many sources, most of them backing off: every draw is a usable one, in
 * proportion to weight (the draws that land on a backing-off source are
 * repeated, and a set where nearly all weight is unusable is walked). */
static void test_select_weighted_skips_unusable(void **state) {
  (void)state;
  ntspool_policy *p = NULL;
  assert_int_equal(ntspool_policy_new(NULL, &fx_conn_ops, &p), 0);
  enum { N = 1000 };
  char section[32], weight[8];
  for (int i = 0; i < N; i++) {
    snprintf(section, sizeof section, "upstream s%d", i);
    assert_int_equal(ntspool_policy_set(p, section, "domain", "x.example"), 0);
    /* s0 weighs 1, s1 weighs 3, every other source 5 */
    snprintf(weight, sizeof weight, "%d", i == 0 ? 1 : i == 1 ? 3 : 5);
    assert_int_equal(ntspool_policy_set(p, section, "weight", weight), 0);
  }
  assert_int_equal(ntspool_policy_commit(p), 0);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 11);
  static const int usable_counts[] = {N, 500, 2};
  for (size_t round = 0; round < 3; round++) {
    int usable = usable_counts[round];
    /* Sources from `usable` on fail and back off. */
    for (int i = usable; i < N; i++)
      assert_int_equal(
          ntspool_policy_record_result(
              p, ntspool_registry_source(reg, (size_t)i), V4, false, 0),
          0);
    int counts[2] = {0, 0};
    const int draws = 4000;
    for (int i = 0; i < draws; i++) {
      ntspool_attempts tried = {0};
      ntspool_selection sel;
      assert_int_equal(
          ntspool_policy_select(p, reg, prefs, &tried, &rng, 1, &sel), 0);
      assert_false(sel.backoff_fallback);
      size_t idx = 0;
      while (ntspool_registry_source(reg, idx) != sel.source)
        idx++;
      assert_true(idx < (size_t)usable);
      if (idx < 2)
        counts[idx]++;
    }
    if (usable == 2) {
      /* s0:s1 = 1:3 (1 degree of freedom, p = 0.001: 10.828) */
      double e0 = draws / 4.0, e1 = draws * 3 / 4.0;
      double chi2 = (counts[0] - e0) * (counts[0] - e0) / e0 +
                    (counts[1] - e1) * (counts[1] - e1) / e1;
      print_message("998 of 1000 backing off: %d %d, chi-square %.3f\n",
                    counts[0], counts[1], chi2);
      assert_true(chi2 < 10.828);
    }
  }
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

/* The prefix-sum search against a walk, for every draw of sets of 1 to 99
 * members of uneven weights. */
static void test_select_set_find_exhaustive(void **state) {
  (void)state;
  uint64_t cum[100];
  const struct ntspool_source *members[100] = {NULL};
  for (size_t n = 1; n < 100; n++) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
      cum[i] = total += (i * 7) % 5 + 1;
    struct ntspool_select_set set = {n, members, cum, total};
    size_t want = 0;
    for (uint64_t r = 0; r < total; r++) {
      while (!(r < cum[want]))
        want++;
      assert_int_equal(ntspool_select_set_find(&set, r), want);
    }
    assert_int_equal(want, n - 1);
  }
}

static void test_select_prefs_from_request(void **state) {
  (void)state;
  ntspool_request req;
  memset(&req, 0, sizeof req);
  static const uint8_t protos[] = {0, 0};
  req.protocols.data = protos;
  req.protocols.count = 1;
  req.n_denied = NTSPOOL_MAX_DENIED + 5; /* counted beyond what was kept */
  req.compliant_128gcm = true;
  ntspool_client_prefs prefs;
  ntspool_client_prefs_from_request(&req, V6, &prefs);
  assert_int_equal(prefs.family, V6);
  assert_ptr_equal(prefs.protocols.data, protos);
  assert_int_equal(prefs.n_denied, NTSPOOL_MAX_DENIED);
  assert_ptr_equal(prefs.denied, req.denied);
  assert_true(prefs.compliant_128gcm);
}

static void test_select_invalid_arguments(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(round_robin_5);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  ntspool_attempts tried = {0};
  fx_client c;
  ntspool_client_prefs *prefs = fx_client_init(&c, V4);
  ntspool_selection sel;
  assert_int_equal(ntspool_policy_select(p, reg, NULL, &tried, NULL, 0, &sel),
                   NTSPOOL_ERR_INVALID_ARG);
  c.prefs.family = 5;
  assert_int_equal(ntspool_policy_select(p, reg, prefs, &tried, NULL, 0, &sel),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_registry_unref(reg);
  ntspool_policy_unref(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_select_weighted_chi_square),
      cmocka_unit_test(test_select_seed_is_deterministic),
      cmocka_unit_test(test_select_round_robin_cycles),
      cmocka_unit_test(test_select_deny_domain_and_bounded_skips),
      cmocka_unit_test(test_select_deny_max_skips_setting),
      cmocka_unit_test(test_select_deny_never_excludes_last),
      cmocka_unit_test(test_select_deny_learned_names),
      cmocka_unit_test(test_select_address_family),
      cmocka_unit_test(test_select_capability_filter),
      cmocka_unit_test(test_select_negotiation_client_order),
      cmocka_unit_test(test_select_aead_30_needs_record_1024),
      cmocka_unit_test(test_select_key_length_checks),
      cmocka_unit_test(test_select_attempts_bounded),
      cmocka_unit_test(test_select_weighted_skips_unusable),
      cmocka_unit_test(test_select_set_find_exhaustive),
      cmocka_unit_test(test_select_prefs_from_request),
      cmocka_unit_test(test_select_invalid_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
