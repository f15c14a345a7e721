/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every allocation failing, one at a time.  A counting allocator fails the
 * Nth allocation of one role's context for N = 1, 2, ... until a run makes
 * fewer than N allocations (so needed no failure), over:
 *
 *   - context set-up of each role (ntspool_ctx_new, ntspool_ctx_set,
 *     ntspool_ctx_ready with its TLS configurations and the pool policy),
 *     and a pool reload (a new context sharing the running one's state);
 *   - whole sessions: client -> pool -> upstream -> time source (a cold pool
 *     that opens its upstream connection and asks the source's capabilities,
 *     a warm one that reuses both, a monitor's probe), and client -> time
 *     source, with the failing allocator in the pool's, the source's or the
 *     client's context; and a pool whose kept connection turns out dead
 *     when reused, so it opens another for the same source.
 *
 * Each run must end cleanly: the role that failed reports
 * NTSPOOL_ERR_NO_MEMORY, and its peer gets an NTS Error (Internal Server
 * Error, 2, or for a source that failed the pool the pool's own answer) or,
 * only when no TLS connection could be made, a closed connection.  Nothing
 * crashes (ASan and UBSan under make test SAN=1); once the world is freed
 * every allocation of the context is given back (counted here, and
 * LeakSanitizer under SAN=1); the next session on the same contexts with the
 * allocator working again succeeds; a reload that failed left the running
 * pool as it was.  A pool may serve a client without a latency sample or
 * without keeping the upstream connection: checked that one of them is what
 * went missing.
 *
 * What this covers: the library's own allocations, which all go through the
 * context's ntspool_allocator: contexts, strings and lists of the
 * configuration, the pool policy (registry, selection sets, caches, latency
 * histograms), TLS configurations and the per-connection ntspool_tls
 * struct, sessions, the pool's work area, upstream connections.  Counted on
 * both backends: set-up 50 (pool), 9 (time source), 5 (client), reload 50;
 * per session 7 (cold pool), 3 (warm pool), 6 (pool serving a probe),
 * 5 (pool replacing a dead kept connection), 2 (time source), 4 (client
 * with a Server Deny), 2 (probing client): the "covers" lines print them.
 * What it does not cover: the TLS backend's internal allocations
 * (mbedTLS's record buffers and parsed certificates through its platform
 * calloc, OpenSSL's through OPENSSL_malloc), which no library hook
 * reaches; each backend handles its own failures.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/world.h"

typedef struct counting {
  size_t calls;   /* malloc_fn calls so far */
  size_t fail_at; /* the call that returns NULL (1-based), 0: none */
  size_t failed;  /* NULLs returned */
  size_t live;    /* allocated and not yet freed */
} counting;

/* Where a failure happens: `break failing_here` in gdb shows whose
 * allocation it was. */
__attribute__((noinline)) void failing_here(void);
void failing_here(void) {
  __asm__ volatile("");
}

static void *count_malloc(size_t size, void *user) {
  counting *c = user;
  if (++c->calls == c->fail_at) {
    c->failed++;
    failing_here();
    return NULL;
  }
  void *p = malloc(size);
  if (p)
    c->live++;
  return p;
}

static void count_free(void *p, void *user) {
  counting *c = user;
  assert_true(c->live > 0);
  c->live--;
  free(p);
}

/* ---- Context set-up ---------------------------------------------------- */

#define TOKEN "c680e5f1c4f161968dd9b72f271ca5e7d17b0fe2e71e20b7ba4002b9252dd751"

static int no_cookies(void *user, uint16_t protocol, uint16_t aead,
                      const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                      ntspool_cookie *cookies, size_t max) {
  (void)user, (void)protocol, (void)aead, (void)c2s, (void)s2c, (void)key_len;
  (void)cookies, (void)max;
  return 0;
}

/* section, key, value triples of each role, NULL-terminated */
/* clang-format off */
static const char *const pool_keys[] = {
    "server", "certificate-chain-path", "tests/pki/localhost.pem",
    "server", "private-key-path", "tests/pki/localhost.key",
    "server", "monitoring-key", "monitor-key-1",
    "upstream-tls", "certificate-authority-path", "tests/pki/ca.pem",
    "upstream ts1", "domain", "ts1.test",
    "upstream ts1", "auth-token", TOKEN,
    "upstream ts2", "domain", "ts2.test",
    "upstream ts2", "auth-token", TOKEN,
    NULL};
static const char *const source_keys[] = {
    "time-source", "certificate-chain-path", "tests/pki/timesource.pem",
    "time-source", "private-key-path", "tests/pki/timesource.key",
    "time-source", "accepted-token", TOKEN,
    "time-source", "authorized-pool-certificate-path",
    "tests/pki/pool-client.pem",
    NULL};
static const char *const client_keys[] = {
    "client", "certificate-authority-path", "tests/pki/ca.pem",
    "client", "monitoring-key", "monitor-key-1",
    NULL};
/* clang-format on */

/* Makes, configures and readies a context of `role` with allocator a,
 * then frees it; a pool with `previous` shares its state, as a reload.
 * Returns the first failure. */
static int setup_once(enum ntspool_role role, const ntspool_allocator *a,
                      ntspool_ctx *previous) {
  ntspool_ctx *ctx;
  int rc = ntspool_ctx_new(role, a, &ctx);
  if (rc)
    return rc;
  if (previous)
    rc = ntspool_ctx_keep_state(ctx, previous);
  const char *const *keys = role == NTSPOOL_ROLE_POOL     ? pool_keys
                            : role == NTSPOOL_ROLE_SOURCE ? source_keys
                                                          : client_keys;
  for (size_t i = 0; keys[i] && !rc; i += 3)
    rc = ntspool_ctx_set(ctx, keys[i], keys[i + 1], keys[i + 2]);
  if (!rc && role == NTSPOOL_ROLE_POOL)
    rc = ntspool_ctx_set_upstream_ops(ctx, &world_unreachable_upstream);
  if (!rc && role == NTSPOOL_ROLE_SOURCE) {
    ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION, no_cookies, NULL};
    rc = ntspool_ctx_set_source_ops(ctx, &ops);
  }
  if (!rc)
    rc = ntspool_ctx_ready(ctx);
  ntspool_ctx_unref(ctx);
  return rc;
}

static const char *const role_name[] = {"pool", "time source", "client"};

static void setup_every_failure(enum ntspool_role role) {
  size_t n;
  for (n = 1;; n++) {
    counting c = {.fail_at = n};
    ntspool_allocator a = {count_malloc, count_free, &c};
    int rc = setup_once(role, &a, NULL);
    assert_int_equal(c.live, 0);
    if (!c.failed) { /* every allocation succeeded: the set-up works */
      assert_int_equal(rc, 0);
      break;
    }
    if (rc != NTSPOOL_ERR_NO_MEMORY)
      fail_msg("%s set-up, allocation %zu failing: %s", role_name[role], n,
               ntspool_strerror(rc));
  }
  print_message("covers: %s set-up makes %zu allocations, each failed once\n",
                role_name[role], n - 1);
}

/* The role of a set-up test, or role and path of a session test: each
 * test's prestate. */
typedef struct scenario {
  enum ntspool_role role;
  int path; /* enum path, sessions only */
} scenario;

static void test_setup(void **state) {
  setup_every_failure(((const scenario *)*state)->role);
}

/* ---- Whole sessions ---------------------------------------------------- */

static world W;

enum path {
  VIA_COLD_POOL,
  VIA_WARM_POOL,
  DIRECT_TO_SOURCE,
  MONITOR_PROBE,
  VIA_STALE_POOL
};
static const char *const path_name[] = {
    "client -> cold pool -> source", "client -> warm pool -> source",
    "client -> source", "monitor probe -> pool -> source",
    "client -> pool (kept connection dead) -> source"};

/* For VIA_STALE_POOL: capabilities are asked every time, so the pool sends
 * a support query over the connection it kept. */
static const char *const stale_keys[] = {"upstream-tls",
                                         "support-cache-validity-s", "0", NULL};

/* The sources hang up the connections the pool keeps, silently (no
 * close_notify, so the pool reuses one and only then sees it dead: it
 * opens a new one for the same source, doc/protocol.md section 5). */
static void drop_kept_links(void) {
  for (size_t i = 0; i < WORLD_MAX_LINKS; i++) {
    world_link *l = &W.links[i];
    if (l->used && !l->pool_closed && !l->source_done) {
      ntspool_test_pipe_shutdown(l->pipe, 1);
      l->frozen = l->source_done = true;
    }
  }
}

/* For MONITOR_PROBE: the pool knows the monitor's key, the source has a
 * uuid (doc/protocol.md, monitor probes); the client probes "u-1". */
/* clang-format off */
static const char *const probe_keys[] = {
    "server", "monitoring-key", "mk-good",
    "upstream ts1", "uuid", "u-1",
    "client", "monitoring-key", "mk-good",
    NULL};
/* clang-format on */

/* Whether one failed run ended as it may.  rc: the client's status. */
static void check_failed_run(enum ntspool_role role, enum path path, size_t n,
                             int rc, const ntspool_outcome *out) {
  char what[160];
  snprintf(what, sizeof what, "%s, %s allocation %zu failing", path_name[path],
           role_name[role], n);
  /* A client allocates only while its session is made: it never starts. */
  if (role == NTSPOOL_ROLE_CLIENT) {
    if (rc != NTSPOOL_ERR_NO_MEMORY)
      fail_msg("%s: client ended with %s", what, ntspool_strerror(rc));
    return;
  }
  /* A server that failed: the client sees an Error record or the
   * connection closed, never keys. */
  /* The pool keeps statistics and idle connections in memory it may not
   * get; it serves the client all the same (checked in the caller). */
  if (rc == 0 && role == NTSPOOL_ROLE_POOL &&
      (path == VIA_COLD_POOL || path == MONITOR_PROBE))
    return;
  if (rc == 0)
    fail_msg("%s: the client got keys", what);
  if (rc != NTSPOOL_ERR_PEER_ERROR && rc != NTSPOOL_ERR_EOF)
    fail_msg("%s: client ended with %s", what, ntspool_strerror(rc));
  if (path == DIRECT_TO_SOURCE || role == NTSPOOL_ROLE_POOL) {
    /* The server that ran out says so and answers Internal Server Error
     * when it still can. */
    if (out->status != NTSPOOL_ERR_NO_MEMORY)
      fail_msg("%s: server ended with %s", what, ntspool_strerror(out->status));
    if (out->sent_error && out->nts_error != NTSPOOL_NTS_INTERNAL_ERROR)
      fail_msg("%s: server sent Error %u", what, out->nts_error);
    if (rc == NTSPOOL_ERR_EOF && out->sent_error)
      fail_msg("%s: the Error record was lost", what);
    return;
  }
  /* The source behind the pool failed: the pool tells the client it could
   * not reach it or get what it needed (0xF001..0xF003, or 2). */
  if (rc != NTSPOOL_ERR_PEER_ERROR || !out->sent_error ||
      (out->nts_error != NTSPOOL_NTS_INTERNAL_ERROR &&
       (out->nts_error < NTSPOOL_NTS_COULD_NOT_CONNECT ||
        out->nts_error > NTSPOOL_NTS_COULD_NOT_GET_COOKIES)))
    fail_msg("%s: pool ended with %s, Error %u", what,
             ntspool_strerror(out->status), out->nts_error);
}

static int run(enum path path, ntspool_ke_result *res, ntspool_outcome *out) {
  /* A Server Deny, so the client allocates its list of names too. */
  static const char *const denied[] = {"ts9.test", NULL};
  W.probe_uuid = path == MONITOR_PROBE ? "u-1" : NULL;
  int rc = world_run_client(&W, path == DIRECT_TO_SOURCE ? 0 : -1, denied, 4,
                            res, out, NULL, 0);
  W.probe_uuid = NULL;
  return rc;
}

/* Whether the pool, after a session served over a new connection, lacks
 * something such a session leaves: its two latency samples (a probe
 * records none) or the idle connection it kept. */
static bool pool_lost_something(enum path path) {
  ntspool_source_stats st = world_source_stats(&W, "ts1");
  uint64_t samples = st.latency[NTSPOOL_EXCHANGE_SUPPORT][1].count +
                     st.latency[NTSPOOL_EXCHANGE_FIXED_KEY][1].count;
  return st.idle_connections == 0 ||
         samples < (path == MONITOR_PROBE ? 0u : 2u);
}

/* The allocator of the role under test, kept here so that a test that
 * fails half-way leaves no dangling pointer to the next (teardown). */
static counting C;
static const ntspool_allocator A = {count_malloc, count_free, &C};

static int teardown(void **state) {
  (void)state;
  for (int r = NTSPOOL_ROLE_POOL; r <= NTSPOOL_ROLE_CLIENT; r++)
    world_set_allocator((enum ntspool_role)r, NULL);
  return 0;
}

static void sessions_every_failure(enum ntspool_role role, enum path path) {
  size_t n, ended_error = 0, ended_eof = 0, served = 0;
  for (n = 1;; n++) {
    counting *c = &C;
    *c = (counting){0};
    world_set_allocator(role, &A);
    world_init(&W, 1, NTSPOOL_NUMBERING_IANA,
               path == MONITOR_PROBE    ? probe_keys
               : path == VIA_STALE_POOL ? stale_keys
                                        : NULL);
    ntspool_ke_result res;
    ntspool_outcome out;
    if (path == VIA_WARM_POOL || path == VIA_STALE_POOL) {
      /* an upstream connection kept, capabilities known */
      assert_int_equal(run(path, &res, &out), 0);
      if (path == VIA_STALE_POOL)
        drop_kept_links();
    }
    c->fail_at = c->calls + n;
    int rc = run(path, &res, &out);
    bool failed = c->failed > 0;
    bool was_served = false, lost = false;
    if (failed) {
      check_failed_run(role, path, n, rc, &out);
      ended_error += rc == NTSPOOL_ERR_PEER_ERROR;
      ended_eof += rc == NTSPOOL_ERR_EOF;
      if (rc == 0) {
        served++;
        was_served = true;
        assert_int_equal(res.n_cookies, 8);
        lost = pool_lost_something(path);
      }
    } else {
      assert_int_equal(rc, 0);
    }
    /* The allocator works again: the same contexts serve the next client.
     * A source that failed the pool is in back-off (doc/protocol.md,
     * source health): its retry time comes first. */
    c->fail_at = 0;
    if (failed && role == NTSPOOL_ROLE_SOURCE && path != DIRECT_TO_SOURCE)
      W.now += 3600 * 1000;
    rc = run(path, &res, &out);
    if (rc)
      fail_msg("%s, %s allocation %zu failed before: next session %s",
               path_name[path], role_name[role], n, ntspool_strerror(rc));
    /* A client served despite the failure: what failed was a latency
     * histogram (a sample is missing) or the idle-connection cache slot
     * (the connection was closed instead of kept). */
    if (was_served && !lost)
      fail_msg("%s, pool allocation %zu failed: served, but nothing lost",
               path_name[path], n);
    if (W.wants_bad)
      fail_msg("%s", W.wants_error);
    world_free(&W);
    world_set_allocator(role, NULL);
    if (c->live)
      fail_msg("%s, %s allocation %zu failing: %zu allocations leaked",
               path_name[path], role_name[role], n, c->live);
    if (!failed)
      break;
  }
  print_message("covers: %s, %s: %zu allocations in the session, each failed "
                "once (%zu Error records, %zu closed connections, %zu served "
                "without statistics or cached connection)\n",
                path_name[path], role_name[role], n - 1, ended_error, ended_eof,
                served);
  assert_true(n > 1); /* the role allocated something */
  /* Closed without an answer: only the session and its TLS state. */
  assert_true(ended_eof <= 2);
}

/* A reload while memory runs out: a new pool context that shares the
 * running one's state (ntspool_ctx_keep_state, as nts-pool-ke's SIGHUP)
 * fails to become ready; the running context serves on, unchanged. */
static void test_reload_pool(void **state) {
  (void)state;
  size_t n;
  for (n = 1;; n++) {
    counting *c = &C;
    *c = (counting){0};
    world_set_allocator(NTSPOOL_ROLE_POOL, &A);
    world_init(&W, 1, NTSPOOL_NUMBERING_IANA, NULL);
    assert_int_equal(run(VIA_COLD_POOL, NULL, NULL), 0);
    c->fail_at = c->calls + n;
    int rc = setup_once(NTSPOOL_ROLE_POOL, &A, W.pool);
    bool failed = c->failed > 0;
    if (failed && rc != NTSPOOL_ERR_NO_MEMORY)
      fail_msg("reload, allocation %zu failing: %s", n, ntspool_strerror(rc));
    if (!failed)
      assert_int_equal(rc, 0);
    /* The running pool still has its one source and serves with it; after
     * a failed reload nothing of the new list (ts2) is in it. */
    c->fail_at = 0;
    ntspool_registry *reg = ntspool_policy_acquire(ntspool_ctx_policy(W.pool));
    size_t sources = ntspool_registry_count(reg);
    ntspool_registry_unref(reg);
    assert_int_equal(sources, failed ? 1 : 2);
    rc = run(VIA_COLD_POOL, NULL, NULL);
    if (rc)
      fail_msg("reload, allocation %zu failed before: next session %s", n,
               ntspool_strerror(rc));
    world_free(&W);
    world_set_allocator(NTSPOOL_ROLE_POOL, NULL);
    if (c->live)
      fail_msg("reload, allocation %zu failing: %zu allocations leaked", n,
               c->live);
    if (!failed)
      break;
  }
  print_message("covers: pool reload makes %zu allocations, each failed "
                "once\n",
                n - 1);
}

static void test_session(void **state) {
  const scenario *sc = *state;
  sessions_every_failure(sc->role, (enum path)sc->path);
}

/* cmocka_unit_test_prestate_setup_teardown with a name of our own. */
#define SCENARIO(name, f, sc)                                                  \
  { name, f, NULL, teardown, (void *)(sc) }

int main(void) {
  static const scenario pool = {NTSPOOL_ROLE_POOL, 0},
                        source = {NTSPOOL_ROLE_SOURCE, 0},
                        client = {NTSPOOL_ROLE_CLIENT, 0};
  static const scenario pool_cold = {NTSPOOL_ROLE_POOL, VIA_COLD_POOL},
                        pool_warm = {NTSPOOL_ROLE_POOL, VIA_WARM_POOL},
                        pool_probe = {NTSPOOL_ROLE_POOL, MONITOR_PROBE},
                        source_behind = {NTSPOOL_ROLE_SOURCE, VIA_COLD_POOL},
                        source_direct = {NTSPOOL_ROLE_SOURCE, DIRECT_TO_SOURCE},
                        source_probe = {NTSPOOL_ROLE_SOURCE, MONITOR_PROBE},
                        client_pool = {NTSPOOL_ROLE_CLIENT, VIA_COLD_POOL},
                        client_direct = {NTSPOOL_ROLE_CLIENT, DIRECT_TO_SOURCE},
                        client_probe = {NTSPOOL_ROLE_CLIENT, MONITOR_PROBE},
                        pool_stale = {NTSPOOL_ROLE_POOL, VIA_STALE_POOL};
  const struct CMUnitTest tests[] = {
      SCENARIO("setup_pool", test_setup, &pool),
      SCENARIO("setup_source", test_setup, &source),
      SCENARIO("setup_client", test_setup, &client),
      cmocka_unit_test_teardown(test_reload_pool, teardown),
      SCENARIO("session_pool_cold", test_session, &pool_cold),
      SCENARIO("session_pool_warm", test_session, &pool_warm),
      SCENARIO("session_pool_probe", test_session, &pool_probe),
      SCENARIO("session_pool_stale", test_session, &pool_stale),
      SCENARIO("session_source_behind_pool", test_session, &source_behind),
      SCENARIO("session_source_direct", test_session, &source_direct),
      SCENARIO("session_source_probe", test_session, &source_probe),
      SCENARIO("session_client_via_pool", test_session, &client_pool),
      SCENARIO("session_client_direct", test_session, &client_direct),
      SCENARIO("session_client_probe", test_session, &client_probe),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
