/* SPDX-License-Identifier: BSD-2-Clause */
/* The scale rows of make bench: the pool policy alone, in one process.
 *
 *   select  ns per ntspool_policy_select (default generator, IPv4 client,
 *           nothing cached) with 10, 1,000 and 10,000 listed sources;
 *   reload  CPU ms to configure and commit (registry build and swap) a
 *           10,000-source list over the running one, while threads keep
 *           selecting from whatever registry is current: every one of
 *           their selections must succeed;
 *   memory  VmRSS growth per listed source once 10,000 are committed (no
 *           connection cached);
 *   geo     ns per selection with 10,000 sources in 50 regions (40
 *           countries, 10 continents; each source in one of each) for a
 *           client with a country and a continent, and the same client
 *           asking for a numbered name; CPU ms of that commit.
 *
 * Sources are configured as the server list gives them: uuid, domain,
 * port, weight, tokens derived from a base secret.
 * Usage: select_bench [ITERATIONS]   prints key=value lines. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ntspool.h"

static char secret_path[256];

static void must(int rc, const char *what, ntspool_policy *p) {
  if (rc != 0) {
    fprintf(stderr, "select_bench: %s: %s %s\n", what, ntspool_strerror(rc),
            p != NULL ? ntspool_policy_config_error(p) : "");
    exit(1);
  }
}

static double seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmRSS: %ld", &kib) == 1)
      break;
  if (f != NULL)
    fclose(f);
  return kib;
}

/* Configures n sources (generation `gen` changes the randomizer of every
 * tenth, as a list update would; with `regions`, source i is in country
 * C(i mod 40) and continent K(i mod 40 / 4)) and commits. */
static void configure_in(ntspool_policy *p, int n, int gen, bool regions) {
  must(ntspool_policy_set(p, "upstream-tls", "base-shared-secret-path",
                          secret_path),
       "base secret", p);
  for (int i = 0; i < n; i++) {
    char section[64], uuid[40], domain[64], weight[8], rnd[16];
    snprintf(section, sizeof section, "upstream %08x-0000-4000-8000-%012d",
             (unsigned)i, i);
    snprintf(uuid, sizeof uuid, "%08x-0000-4000-8000-%012d", (unsigned)i, i);
    snprintf(domain, sizeof domain, "ts%d.example.net", i);
    snprintf(weight, sizeof weight, "%d", 1 + i % 10);
    snprintf(rnd, sizeof rnd, "r%d", i % 10 == 0 ? gen : 0);
    must(ntspool_policy_set(p, section, "uuid", uuid), "uuid", p);
    must(ntspool_policy_set(p, section, "domain", domain), "domain", p);
    must(ntspool_policy_set(p, section, "weight", weight), "weight", p);
    must(ntspool_policy_set(p, section, "randomizer", rnd), "randomizer", p);
    if (regions) {
      char where[32];
      snprintf(where, sizeof where, "C%02d K%d", i % 40, i % 40 / 4);
      must(ntspool_policy_set(p, section, "regions", where), "regions", p);
    }
  }
  must(ntspool_policy_commit(p), "commit", p);
}

static void configure(ntspool_policy *p, int n, int gen) {
  configure_in(p, n, gen, false);
}

/* The client of the geo rows: none means global, as the other rows. */
static const char *const *client_regions;
static size_t client_n_regions;
static unsigned client_subpool;

static int select_once(ntspool_policy *p, ntspool_registry *reg) {
  ntspool_attempts tried = {0};
  ntspool_client_prefs prefs;
  memset(&prefs, 0, sizeof prefs);
  prefs.family = NTSPOOL_FAMILY_IPV4;
  prefs.regions = client_regions;
  prefs.n_regions = client_n_regions;
  prefs.subpool = client_subpool;
  ntspool_selection sel;
  return ntspool_policy_select(p, reg, &prefs, &tried, NULL, 0, &sel);
}

/* ns per selection over `iters` selections from one registry. */
static double select_cost(ntspool_policy *p, int iters) {
  ntspool_registry *reg = ntspool_policy_acquire(p);
  double t0 = seconds(CLOCK_MONOTONIC);
  for (int i = 0; i < iters; i++)
    must(select_once(p, reg), "select", p);
  double ns = (seconds(CLOCK_MONOTONIC) - t0) * 1e9 / iters;
  ntspool_registry_unref(reg);
  return ns;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

struct selector {
  ntspool_policy *p;
  atomic_bool *stop;
  unsigned long ok, failed;
};

/* A session's view of a reload: acquire whatever is current, select, and
 * release, over and over. */
static void *selector_main(void *arg) {
  struct selector *s = arg;
  while (!atomic_load(s->stop)) {
    ntspool_registry *reg = ntspool_policy_acquire(s->p);
    if (select_once(s->p, reg) == 0)
      s->ok++;
    else
      s->failed++;
    ntspool_registry_unref(reg);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 200000;
  if (iters < 10)
    iters = 10;
  char dir[] = "/tmp/select-bench-XXXXXX";
  if (mkdtemp(dir) == NULL)
    return 1;
  snprintf(secret_path, sizeof secret_path, "%s/base-secret", dir);
  FILE *f = fopen(secret_path, "w");
  if (f == NULL || chmod(secret_path, 0600) != 0)
    return 1;
  fputs("bench-base-secret-0123456789abcdef\n", f);
  fclose(f);

  /* Memory first, before anything freed leaves room to reuse: the policy
   * with 10,000 sources against the empty one. */
  ntspool_policy *p = NULL;
  must(ntspool_policy_new(NULL, NULL, &p), "policy", NULL);
  long before = rss_kib();
  configure(p, 10000, 0);
  long after = rss_kib();
  printf("rss_per_source_bytes=%.0f\n", (after - before) * 1024.0 / 10000);

  /* The sizes take turns, ROUNDS times, and each reports its median, so
   * that other work on the machine hurts them alike. */
  enum { SIZES = 3, ROUNDS = 7 };
  static const int sizes[SIZES] = {10, 1000, 10000};
  ntspool_policy *ps[SIZES];
  double ns[SIZES][ROUNDS];
  for (int i = 0; i < SIZES; i++) {
    ps[i] = NULL;
    must(ntspool_policy_new(NULL, NULL, &ps[i]), "policy", NULL);
    configure(ps[i], sizes[i], 0);
    select_cost(ps[i], iters / 10); /* warm caches and the generator */
  }
  for (int r = 0; r < ROUNDS; r++)
    for (int i = 0; i < SIZES; i++)
      ns[i][r] = select_cost(ps[i], iters / ROUNDS);
  for (int i = 0; i < SIZES; i++) {
    qsort(ns[i], ROUNDS, sizeof ns[i][0], by_value);
    printf("select_ns_%d=%.0f\n", sizes[i], ns[i][ROUNDS / 2]);
    ntspool_policy_unref(ps[i]);
  }

  /* Regions: 10,000 sources in 50 regions; a client in country C07
   * (continent K1), then the same client with a numbered name. */
  {
    ntspool_policy *g = NULL;
    must(ntspool_policy_new(NULL, NULL, &g), "policy", NULL);
    double t0 = seconds(CLOCK_THREAD_CPUTIME_ID);
    configure_in(g, 10000, 0, true);
    printf("geo_commit_cpu_ms=%.1f\n",
           (seconds(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e3);
    static const char *const where[] = {"C07", "K1"};
    client_regions = where;
    client_n_regions = 2;
    double geo[ROUNDS], sub[ROUNDS];
    select_cost(g, iters / 10);
    for (int r = 0; r < ROUNDS; r++) {
      client_subpool = 0;
      geo[r] = select_cost(g, iters / ROUNDS);
      client_subpool = 2;
      sub[r] = select_cost(g, iters / ROUNDS);
    }
    qsort(geo, ROUNDS, sizeof geo[0], by_value);
    qsort(sub, ROUNDS, sizeof sub[0], by_value);
    printf("select_ns_geo_10000=%.0f\nselect_ns_subpool_10000=%.0f\n",
           geo[ROUNDS / 2], sub[ROUNDS / 2]);
    client_regions = NULL;
    client_n_regions = 0;
    client_subpool = 0;
    ntspool_policy_unref(g);
  }

  /* Reload, twice, under selection from four threads. */
  atomic_bool stop;
  atomic_init(&stop, false);
  struct selector sel[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    sel[i] = (struct selector){p, &stop, 0, 0};
    pthread_create(&th[i], NULL, selector_main, &sel[i]);
  }
  double worst = 0;
  for (int gen = 1; gen <= 2; gen++) {
    double t0 = seconds(CLOCK_THREAD_CPUTIME_ID);
    configure(p, 10000, gen);
    double ms = (seconds(CLOCK_THREAD_CPUTIME_ID) - t0) * 1e3;
    worst = ms > worst ? ms : worst;
  }
  atomic_store(&stop, true);
  unsigned long ok = 0, failed = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    ok += sel[i].ok;
    failed += sel[i].failed;
  }
  printf("reload_cpu_ms=%.1f\n", worst);
  printf("reload_selections_ok=%lu\nreload_selections_failed=%lu\n", ok,
         failed);
  ntspool_policy_unref(p);
  unlink(secret_path);
  rmdir(dir);
  return failed == 0 ? 0 : 2;
}
