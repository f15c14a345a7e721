/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A whole NTS pool in one thread for tests: pool-aware client sessions, a
 * pool context whose upstream connections are in-memory pipes, and
 * time-source sessions at the other end of those pipes, all stepped in
 * turn with a hand-moved clock.  Every session and pipe the world makes,
 * it frees.
 */
#ifndef NTSPOOL_TEST_WORLD_H
#define NTSPOOL_TEST_WORLD_H

#include "ntspool.h"
#include "ntspool/session.h"
#include "pipe.h"

#define WORLD_MAX_SOURCES 4
#define WORLD_MAX_LINKS 64
#define WORLD_MAX_KEYS 64

/* What a time source's cookie callback saw. */
typedef struct world_keys {
  int source; /* index of the time source */
  uint16_t protocol, aead;
  size_t key_len;
  uint8_t c2s[NTSPOOL_MAX_KEY_LEN], s2c[NTSPOOL_MAX_KEY_LEN];
} world_keys;

/* How an upstream link misbehaves (set per source before a run). */
enum world_fault {
  WORLD_OK = 0,
  WORLD_REFUSE,           /* open() fails: connection refused */
  WORLD_CLOSE_AT_ONCE,    /* the source's end is closed right away */
  WORLD_STALL,            /* the source never answers */
  WORLD_GARBAGE,          /* the source end sends garbage instead of TLS */
  WORLD_CLOSE_AFTER_KEYS, /* source takes the keys, then drops the link */
  WORLD_ERROR_AFTER_KEYS, /* source takes the keys, answers Error 2 */
  WORLD_STALL_AFTER_KEYS, /* source takes the keys, never answers */
  WORLD_WRONG_TOKEN,      /* source refuses the pool: Error 1 to queries */
  WORLD_EXPIRED_CERT      /* source shows an expired certificate */
};

struct world;

typedef struct world_source {
  struct world *w;
  int index;
  ntspool_ctx *ctx;
  enum world_fault fault;
  size_t handshakes; /* links opened to it */
} world_source;

typedef struct world_link {
  bool used;
  int source;
  ntspool_test_pipe *pipe;  /* end 0: pool, end 1: source */
  ntspool_session *session; /* the source's server session */
  bool pool_closed;
  bool source_done;
  bool frozen; /* the source end went silent: no EOF either */
} world_link;

typedef struct world {
  ntspool_time_ms now;
  ntspool_ctx *pool;
  ntspool_ctx *client;
  size_t n_sources;
  world_source sources[WORLD_MAX_SOURCES];
  world_link links[WORLD_MAX_LINKS];
  size_t n_keys;
  world_keys keys[WORLD_MAX_KEYS];
  size_t pipe_max_per_call; /* applied to every new pipe */
  bool pipe_block_alternate;
  world_link *stepping;  /* the link whose source session is running */
  ntspool_ctx *stranger; /* a source that knows another token */
  world_source stranger_src;
  ntspool_ctx *expired; /* a source with an expired certificate */
  world_source expired_src;
  /* The outcomes of the last world_run_client's client session and of the
   * last world_raw_exchange's server session. */
  ntspool_outcome client_out;
  ntspool_outcome raw_out;
  enum ntspool_numbering n_numbering;
  /* Every WOULD_BLOCK of every session the world steps is checked against
   * ntspool_session_wants: it names one of the session's own transports
   * whose last call would block in that direction (client side, or an
   * upstream link for the pool), or the deadline changed. */
  size_t wants_checked;  /* WOULD_BLOCKs checked */
  size_t wants_client;   /* ... that named the session's own transport */
  size_t wants_upstream; /* ... that named a pool's upstream link */
  size_t wants_deadline; /* ... that named nothing: a new deadline */
  size_t wants_bad;      /* ... that did not hold (must stay 0) */
  char wants_error[160]; /* the first that did not hold */
  /* When set, world_run_client's client session is a monitor's probe of
   * this uuid (ntspool_session_new_probe; the client context needs its
   * [client] monitoring-key). */
  const char *probe_uuid;
  /* Every line any context logged (debug level included), as
   * "LEVEL component: line" (ntspool_log_level_name). */
  char log[65536];
  size_t log_len;
} world;

/* Sets up a pool with n sources "ts1".."tsN" (domains ts1.test, ts2.test;
 * the test PKI's timesource certificate covers both), in `numbering`,
 * extra_pool_keys: NULL or a list of section, name, value triples ending in
 * NULL, applied to the pool; section "client" goes to the client,
 * "time-source" to every source and "time-source N" to source N (0-based). */
void world_init(world *w, size_t n_sources, enum ntspool_numbering numbering,
                const char *const *extra_pool_keys);

/* A pool context for the world's sources, as world_init makes it; with
 * `previous`, it shares previous's state (ntspool_ctx_keep_state), as a
 * reload does.  The caller installs it in w->pool. */
ntspool_ctx *world_new_pool(world *w, ntspool_ctx *previous,
                            const char *const *extra);

/* The same, but the pool authenticates to its sources the older way
 * (doc/protocol.md section 7.3): no token, a TLS client certificate
 * (tests/pki/pool-client.pem) the sources list as authorized. */
void world_init_cert_auth(world *w, size_t n_sources);
/* As world_init_cert_auth, but the pool's and the sources' certificates,
 * keys and CAs are given from memory (ntspool_ctx_set_credentials_pem,
 * ntspool_ctx_set_ca_pem); the client's CA and the sources' authorized
 * pool certificate still come from files. */
void world_init_pem(world *w, size_t n_sources);
/* The bytes of a file (tests/pki/...), NUL-terminated, from malloc; *len
 * without the NUL.  Aborts when it cannot be read. */
char *world_read_file(const char *path, size_t *len);

/* Upstream callbacks of a pool that never reaches a source: open() fails
 * with NTSPOOL_ERR_IO. */
extern const ntspool_upstream_ops world_unreachable_upstream;

/* Every context of `role` that world_init and world_new_pool make from now
 * on gets allocator `a` (NULL: the library's default); `a` must outlive
 * them. */
void world_set_allocator(enum ntspool_role role, const ntspool_allocator *a);

void world_free(world *w);

/* Runs one pool-aware client session to its end through a fresh pool
 * session (target -1) or straight to time source `target` (both over
 * pipes).  Returns the client's final status (the error of
 * ntspool_session_new_client when that fails; a server session that cannot
 * be made closes its end, pool_out->status says why); fills
 * *res on success and *pool_out with the pool session's outcome (its
 * source_name is copied into pool_source).  denied: NULL-terminated or
 * NULL.  family: 4 or 6. */
int world_run_client(world *w, int target, const char *const *denied,
                     int family, ntspool_ke_result *res,
                     ntspool_outcome *pool_out, char *pool_source,
                     size_t pool_source_len);

/* Sends raw request bytes as a client to a fresh pool session (or to a
 * time source's server session when source >= 0) over TLS, and returns the
 * raw response in resp (length in *resp_len). */
int world_raw_exchange(world *w, int source, const uint8_t *req, size_t req_len,
                       uint8_t *resp, size_t cap, size_t *resp_len);

/* Steps every link's source session once; closes finished ones. */
void world_step_sources(world *w);

/* The pool's counters of source `name` over IPv4 at w->now (aborts when
 * there is no such source). */
ntspool_source_stats world_source_stats(world *w, const char *name);

/* Number of links ever opened to source i (= upstream TLS handshakes). */
size_t world_links_opened(const world *w, int source);

#endif
