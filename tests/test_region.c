/* SPDX-License-Identifier: BSD-2-Clause */
/* Geographic selection: the fall-back order of a client's regions per
 * family, the four-way split for the numbered names, and small regions
 * that must not pin a client that denied their sources. */
#include "policy_fixture.h"
#include "policy/policy_internal.h"

#define V4 NTSPOOL_FAMILY_IPV4
#define V6 NTSPOOL_FAMILY_IPV6

/* nl: NL and EUROPE, both families; de: EUROPE, IPv4 only; us:
 * NORTH-AMERICA; any: no region. */
static const fx_kv world[] = {{"upstream nl", "domain", "nl.example"},
                              {"upstream nl", "region", "NL"},
                              {"upstream nl", "region", "EUROPE"},
                              {"upstream de", "domain", "de.example"},
                              {"upstream de", "regions", "de, europe"},
                              {"upstream de", "ipv6", "false"},
                              {"upstream us", "domain", "us.example"},
                              {"upstream us", "regions", "US NORTH_AMERICA"},
                              {"upstream any", "domain", "any.example"},
                              {NULL, NULL, NULL}};

/* One selection from the current registry with fresh attempts. */
static int select1(ntspool_policy *p, const ntspool_client_prefs *prefs,
                   ntspool_rng *rng, ntspool_selection *sel) {
  return ntspool_policy_select(p, p->current, prefs, &(ntspool_attempts){0},
                               rng, 0, sel);
}

/* A client of family fam in the given regions. */
static ntspool_client_prefs *client_in(fx_client *c, enum ntspool_family fam,
                                       const char *const *regions, size_t n) {
  ntspool_client_prefs *prefs = fx_client_init(c, fam);
  prefs->regions = regions;
  prefs->n_regions = n;
  return prefs;
}

/* Draws `rounds` times with fresh attempts, recording which names came
 * and from which set; fails on any other region than `region`. */
static unsigned draw_mask(ntspool_policy *p, const ntspool_client_prefs *prefs,
                          ntspool_rng *rng, unsigned region,
                          const char *const *names, size_t n_names) {
  unsigned mask = 0;
  for (int i = 0; i < 200; i++) {
    ntspool_selection sel;
    assert_int_equal(select1(p, prefs, rng, &sel), 0);
    assert_int_equal(sel.region, region);
    const char *got = ntspool_source_name(sel.source);
    size_t j = 0;
    while (j < n_names && strcmp(names[j], got) != 0)
      j++;
    assert_true(j < n_names);
    mask |= 1u << j;
  }
  return mask;
}

static const char *const all[] = {"nl", "de", "us", "any"};
#define NL 1u
#define DE 2u
#define US 4u
#define ANY 8u

static void test_region_fallback_order(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(world);
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 7);
  fx_client c;
  const char *nl_eu[] = {"nl", "EUROPE"};
  ntspool_client_prefs *prefs = client_in(&c, V4, nl_eu, 2);
  /* The country first, in either family. */
  assert_int_equal(draw_mask(p, prefs, &rng, 1, all, 4), NL);
  prefs->family = V6;
  assert_int_equal(draw_mask(p, prefs, &rng, 1, all, 4), NL);
  /* A country without sources: its continent (IPv6 has only nl there). */
  const char *fr_eu[] = {"FR", "Europe"};
  prefs->regions = fr_eu;
  assert_int_equal(draw_mask(p, prefs, &rng, 2, all, 4), NL);
  prefs->family = V4;
  assert_int_equal(draw_mask(p, prefs, &rng, 2, all, 4), NL | DE);
  /* '_' and '-' are one: NORTH-AMERICA finds NORTH_AMERICA. */
  const char *ca_na[] = {"CA", "NORTH-AMERICA"};
  prefs->regions = ca_na;
  assert_int_equal(draw_mask(p, prefs, &rng, 2, all, 4), US);
  /* Nowhere listed: global, every source of the family. */
  const char *jp_as[] = {"JP", "ASIA"};
  prefs->regions = jp_as;
  assert_int_equal(draw_mask(p, prefs, &rng, 0, all, 4), NL | DE | US | ANY);
  prefs->family = V6;
  assert_int_equal(draw_mask(p, prefs, &rng, 0, all, 4), NL | US | ANY);

  /* A source tried already: the wider set, not a failure. */
  prefs->family = V4;
  prefs->regions = nl_eu;
  ntspool_registry *reg = ntspool_policy_acquire(p);
  ntspool_attempts tried = {0};
  ntspool_selection sel;
  assert_int_equal(ntspool_policy_select(p, reg, prefs, &tried, &rng, 0, &sel),
                   0);
  assert_string_equal(ntspool_source_name(sel.source), "nl");
  assert_int_equal(ntspool_policy_select(p, reg, prefs, &tried, &rng, 0, &sel),
                   0);
  assert_string_equal(ntspool_source_name(sel.source), "de");
  assert_int_equal(sel.region, 2);
  assert_int_equal(ntspool_policy_select(p, reg, prefs, &tried, &rng, 0, &sel),
                   0);
  assert_int_equal(sel.region, 0);
  assert_true(strcmp(ntspool_source_name(sel.source), "us") == 0 ||
              strcmp(ntspool_source_name(sel.source), "any") == 0);
  ntspool_registry_unref(reg);

  /* Bad arguments. */
  prefs->n_regions = NTSPOOL_MAX_CLIENT_REGIONS + 1;
  assert_int_equal(select1(p, prefs, &rng, &sel), NTSPOOL_ERR_INVALID_ARG);
  prefs->n_regions = 1;
  prefs->subpool = NTSPOOL_SUBPOOLS + 1;
  assert_int_equal(select1(p, prefs, &rng, &sel), NTSPOOL_ERR_INVALID_ARG);
  ntspool_policy_unref(p);
}

/* Sets sixteen sources in region EU, weights 1..16, in the order given. */
static void set_sixteen(ntspool_policy *p, bool reversed) {
  for (int k = 0; k < 16; k++) {
    int i = reversed ? 15 - k : k;
    char sec[32], dom[32], w[8];
    snprintf(sec, sizeof sec, "upstream s%02d", i);
    snprintf(dom, sizeof dom, "s%02d.example", i);
    snprintf(w, sizeof w, "%d", i + 1);
    assert_int_equal(ntspool_policy_set(p, sec, "domain", dom), 0);
    assert_int_equal(ntspool_policy_set(p, sec, "weight", w), 0);
    assert_int_equal(ntspool_policy_set(p, sec, "region", "EU"), 0);
  }
  assert_int_equal(ntspool_policy_commit(p), 0);
}

static ntspool_policy *sixteen(bool reversed) {
  ntspool_policy *p = NULL;
  assert_int_equal(ntspool_policy_new(NULL, &fx_conn_ops, &p), 0);
  set_sixteen(p, reversed);
  return p;
}

/* The group of each source by name index (s00..s15), from level l. */
static void groups_of(const struct ntspool_select_level *l, int *group) {
  for (int i = 0; i < 16; i++)
    group[i] = -1;
  for (int g = 0; g < NTSPOOL_SUBPOOLS; g++)
    for (size_t j = 0; j < l->group[g].n; j++) {
      int i = atoi(l->group[g].members[j]->name + 1);
      assert_int_equal(group[i], -1); /* disjoint */
      group[i] = g;
    }
}

static void test_region_split(void **state) {
  (void)state;
  ntspool_policy *p = sixteen(false), *q = sixteen(true);
  int a[16], b[16], c[16];
  for (int f = 0; f < 2; f++) {
    groups_of(ntspool_select_level_find(p->current, f, "eu"), a);
    groups_of(ntspool_select_level_find(q->current, f, "EU"), b);
    groups_of(&p->current->sets[f].global, c);
    uint64_t load[4] = {0};
    for (int i = 0; i < 16; i++) {
      assert_true(a[i] >= 0);       /* every member is in one group */
      assert_int_equal(a[i], b[i]); /* list order does not matter */
      assert_int_equal(a[i], c[i]); /* same members, same split */
      load[a[i]] += (uint64_t)i + 1;
    }
    /* 136 in all: greedy heaviest-first gives 34 each. */
    for (int g = 0; g < 4; g++)
      assert_int_equal(load[g], 34);
  }
  /* A reload that changes nothing splits alike. */
  struct ntspool_registry *before = p->current;
  ntspool_registry_ref(before);
  set_sixteen(p, false);
  assert_ptr_not_equal(before, p->current);
  groups_of(ntspool_select_level_find(before, 0, "EU"), b);
  groups_of(ntspool_select_level_find(p->current, 0, "EU"), c);
  for (int i = 0; i < 16; i++)
    assert_int_equal(b[i], c[i]);
  ntspool_registry_unref(before);

  /* Numbered clients draw only from their group. */
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 11);
  fx_client cl;
  const char *eu[] = {"EU"};
  ntspool_client_prefs *prefs = client_in(&cl, V4, eu, 1);
  for (unsigned g = 1; g <= 4; g++) {
    prefs->subpool = g;
    for (int i = 0; i < 100; i++) {
      ntspool_selection sel;
      assert_int_equal(select1(p, prefs, &rng, &sel), 0);
      assert_int_equal(sel.region, 1);
      assert_int_equal(sel.subpool, g);
      assert_int_equal(a[atoi(ntspool_source_name(sel.source) + 1)],
                       (int)g - 1);
    }
  }
  ntspool_policy_unref(p);
  ntspool_policy_unref(q);
}

static void test_region_small_with_deny(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(world);
  fx_rng_state rs;
  ntspool_rng rng = fx_rng(&rs, 5);
  fx_client c;
  const char *nl_eu[] = {"NL", "EUROPE"};
  ntspool_client_prefs *prefs = client_in(&c, V4, nl_eu, 2);
  /* NL has one source and the client denied it: never pinned to it. */
  fx_client_deny(&c, "nl.example");
  for (int i = 0; i < 100; i++) {
    ntspool_selection sel;
    assert_int_equal(select1(p, prefs, &rng, &sel), 0);
    assert_string_equal(ntspool_source_name(sel.source), "de");
    assert_int_equal(sel.region, 2);
    assert_false(sel.denied);
  }
  /* Denied both European sources: global, and never a denied one. */
  fx_client_deny(&c, "de.example");
  unsigned seen = 0;
  for (int i = 0; i < 100; i++) {
    ntspool_selection sel;
    assert_int_equal(select1(p, prefs, &rng, &sel), 0);
    assert_int_equal(sel.region, 0);
    assert_false(sel.denied);
    seen |= strcmp(ntspool_source_name(sel.source), "us") == 0 ? 1u : 2u;
  }
  assert_int_equal(seen, 3); /* not one predictable pick */

  /* Numbered names: every source has one group, the same in every set
   * (homes: de in DE, nl in NL, us in NORTH_AMERICA, any global; taken in
   * that order of homes, each to the group lightest overall: de 0, nl 1,
   * us 2, any 3).  A group empty in NL falls back to the continent's, then
   * the global one, and the four names never share a source. */
  fx_client c2;
  prefs = client_in(&c2, V4, nl_eu, 2);
  static const char *const want_name[5] = {NULL, "de", "nl", "us", "any"};
  static const unsigned want_region[5] = {0, 2, 1, 0, 0};
  for (unsigned g = 1; g <= 4; g++) {
    prefs->subpool = g;
    for (int i = 0; i < 20; i++) {
      ntspool_selection sel;
      assert_int_equal(select1(p, prefs, &rng, &sel), 0);
      assert_string_equal(ntspool_source_name(sel.source), want_name[g]);
      assert_int_equal(sel.region, want_region[g]);
      assert_int_equal(sel.subpool, g);
    }
  }
  /* Group 0 denied (de): the wider sets' group 0 has nothing else, so the
   * whole global set, never the denied one. */
  fx_client_deny(&c2, "de.example");
  prefs->subpool = 1;
  for (int i = 0; i < 50; i++) {
    ntspool_selection sel;
    assert_int_equal(select1(p, prefs, &rng, &sel), 0);
    assert_int_equal(sel.region, 0);
    assert_int_equal(sel.subpool, 0);
    assert_false(sel.denied);
  }
  ntspool_policy_unref(p);
}

/* What nts-pool-ke -t prints: every set of a family with its groups. */
static void test_region_listing(void **state) {
  (void)state;
  ntspool_policy *p = fx_policy(world);
  size_t c[5];
  static const char *const v4[] = {"*", "de", "EUROPE", "NL", "NORTH_AMERICA",
                                   "US"};
  static const size_t v4_n[] = {4, 1, 2, 1, 1, 1};
  for (size_t i = 0; i < 6; i++) {
    const char *name = ntspool_registry_region(p->current, V4, i, c);
    assert_non_null(name);
    assert_string_equal(name, v4[i]);
    assert_int_equal(c[0], v4_n[i]);
    assert_int_equal(c[1] + c[2] + c[3] + c[4], c[0]);
  }
  assert_null(ntspool_registry_region(p->current, V4, 6, c));
  /* IPv6: de serves IPv4 only, so its country is not a set there. */
  assert_string_equal(ntspool_registry_region(p->current, V6, 1, c), "EUROPE");
  assert_int_equal(c[0], 1);
  assert_null(ntspool_registry_region(p->current, V6, 5, c));
  assert_null(ntspool_registry_region(NULL, V4, 0, c));
  assert_null(ntspool_registry_region(p->current, V4, 0, NULL));
  ntspool_policy_unref(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_region_fallback_order),
      cmocka_unit_test(test_region_split),
      cmocka_unit_test(test_region_small_with_deny),
      cmocka_unit_test(test_region_listing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
