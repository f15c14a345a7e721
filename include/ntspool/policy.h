/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool pool policy: which time source serves a client, and the
 * per-source state that choice depends on (health, capabilities, idle
 * upstream connections).
 *
 *   ntspool_policy    configuration, the current registry, counters; one
 *                     per pool, shared by every worker thread.
 *   ntspool_registry  an immutable, reference-counted snapshot of the time
 *                     sources and selection settings.  A reload installs a
 *                     new one; a session keeps the one it started with
 *                     until it drops its reference, so reloads never disturb
 *                     sessions in flight.
 *   ntspool_source    one time source inside a registry (read-only view,
 *                     valid while its registry is held).  Its health,
 *                     capability cache and idle connections are shared by
 *                     every registry that lists the same source (same
 *                     name, host, port, connect address, numbering and
 *                     token), so a reload keeps them; a changed source
 *                     starts afresh.
 *
 * Pure: nothing here reads a clock, sleeps, starts a thread or touches the
 * network.  "now" is the caller's ntspool_time_ms and randomness comes from
 * an ntspool_rng (default: the TLS backend's CSPRNG).  Only configuration
 * loading reads files (token and base-secret files, in ntspool_policy_set).
 *
 * How a pool session uses it (keys go to at most one source, so moving on
 * is only allowed before the Fixed Key Request is sent):
 *
 *   ntspool_registry *reg = ntspool_policy_acquire(pol);
 *   ntspool_attempts tried = {0};
 *   for (;;) {
 *     rc = ntspool_policy_select(pol, reg, &prefs, &tried, NULL, now, &sel);
 *     if (rc < 0) break;             // see ntspool_policy_select
 *     if (sel.caps != NTSPOOL_CAPS_HIT) {
 *       // unknown or stale capabilities: ask the source (support query on
 *       // ntspool_policy_conn_take() or a new connection) ...
 *       // failed: ntspool_policy_record_result(.., false, now); continue;
 *       ntspool_policy_caps_store(pol, sel.source, fam, &support, now);
 *       rc = ntspool_policy_negotiate(pol, sel.source, &prefs, now, &sel);
 *       if (rc < 0) continue;        // cannot serve this client: next one
 *     }
 *     // export sel.key_len bytes for sel.protocol/sel.aead, Fixed Key
 *     // Request, then ntspool_policy_record_result(ok or not) and stop:
 *     // no other source once keys were sent.
 *     break;
 *   }
 *   ntspool_registry_unref(reg);
 *
 * Thread safety.  Every function may be called from any thread
 * concurrently, except the configuration functions (ntspool_policy_set,
 * _commit, _discard, _config_error), which one thread at a time uses (the
 * one that loads the configuration); they may run while other threads
 * select.  Internally each source's state has its own mutex and the
 * policy one for swapping registries; connections are closed outside every
 * lock.
 *
 * Memory.  The allocator given to ntspool_policy_new (NULL: malloc/free)
 * serves everything here and must outlive the policy and every registry
 * reference.  Tokens and secret files are wiped before their memory is
 * freed and never appear in error messages.
 */
#ifndef NTSPOOL_POLICY_H
#define NTSPOOL_POLICY_H

#include "io.h"
#include "message.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ntspool_policy ntspool_policy;
typedef struct ntspool_registry ntspool_registry;
typedef struct ntspool_source ntspool_source;

/* Sources one session may try before giving up (each failing before its
 * keys were sent). */
#define NTSPOOL_MAX_ATTEMPTS 3

/* Bounds of the capability cache entry and the connection cache. */
#define NTSPOOL_MAX_CAPS 16
#define NTSPOOL_MAX_CACHED_CONNS 32
#define NTSPOOL_MAX_ALLOWED_PROTOCOLS 16
#define NTSPOOL_DEFAULT_KE_PORT 4460

/* ---- Policy life cycle and configuration ------------------------------ */

/* What the policy needs to manage the caller's idle upstream connections.
 * Connections are opaque (void *); the policy only keeps, checks and closes
 * them.  Both functions receive user_data. */
#define NTSPOOL_CONN_OPS_VERSION 2
typedef struct ntspool_conn_ops {
  int version; /* NTSPOOL_CONN_OPS_VERSION */
  /* True if nothing (no data, no EOF, no error) arrived on the idle
   * connection, so it can carry another request; false closes it.  The
   * same sense as ntspool_upstream_ops.reusable.  Must not block. */
  bool (*reusable)(void *user_data, void *conn);
  /* Closes and frees the connection.  Called exactly once per connection
   * handed to ntspool_policy_conn_put and not taken back, on whichever
   * thread makes a policy call (or the last registry unref) that drops
   * it. */
  void (*close)(void *user_data, void *conn);
  void *user_data;
} ntspool_conn_ops;

/* Creates a policy with no sources and default settings.  `allocator`
 * (NULL: malloc/free) and `conn_ops` are copied; conn_ops NULL disables the
 * connection cache (ntspool_policy_conn_put then refuses).  The caller owns
 * *out (one reference) and drops it with ntspool_policy_unref.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (out NULL, an allocator or conn_ops
 * with a NULL function, conn_ops of another version); NTSPOOL_ERR_NO_MEMORY.
 */
NTSPOOL_API int ntspool_policy_new(const ntspool_allocator *allocator,
                                   const ntspool_conn_ops *conn_ops,
                                   ntspool_policy **out);

/* Adds a reference (a second owner, such as the context that replaces
 * another on reload; see ntspool_ctx_keep_state) and returns `policy`
 * (NULL is ignored and returned).  ntspool_policy_unref drops one; the last
 * one frees.  Thread-safe. */
NTSPOOL_API ntspool_policy *ntspool_policy_ref(ntspool_policy *policy);

/* Drops a reference; the last one frees the policy and its reference to
 * the current registry (and so the idle connections of sources no other
 * registry reference holds).
 * Registry references still held elsewhere stay valid and may be dropped
 * later; nothing else may use the policy concurrently.  NULL is ignored. */
NTSPOOL_API void ntspool_policy_unref(ntspool_policy *policy);

/* Sets one configuration key, shaped like an inih handler call.  Keys go
 * into a pending configuration that starts from the defaults (a reload is a
 * whole new configuration, not a patch) and takes effect with
 * ntspool_policy_commit.  Values are copied.
 *
 *   [selection]
 *     strategy = weighted | round-robin              (weighted)
 *     allowed-protocol = ID (repeatable; a number, ntpv4 or draft-ntpv5)
 *                                                    (ntpv4 only)
 *     deny-max-skips = 0..64                         (3)
 *     backoff-initial-ms = 1..86400000               (1000)
 *     backoff-max-ms = 1..86400000                   (300000)
 *   [upstream-tls]
 *     support-cache-validity-s = 0..86400            (300)
 *     connection-cache-size = 0..32                  (5)
 *     connection-cache-max-idle-s = 0..86400         (300)
 *     connection-cache-max-age-s = 0..86400          (3600)
 *     base-shared-secret-path = FILE                 (none)
 *   [upstream NAME]  (one per time source)
 *     domain = HOST (required: TLS name, connect host, deny name)
 *     port = 1..65535                                (4460)
 *     connect-address = ADDRESS (connect here instead of resolving domain)
 *     weight = 0..1000000 (0: never chosen)          (1)
 *     auth-token-path = FILE  or  auth-token = TOKEN (embedders)
 *     uuid = UUID, randomizer = TEXT, base-key-index = 0..65535
 *       (token = ntspool_token_derive(line base-key-index of the
 *       base-shared-secret file, uuid, randomizer) when no explicit token
 *       is given; uuid alone also names the source for monitor requests)
 *     ipv4 = BOOL, ipv6 = BOOL                       (true, true)
 *     enabled = BOOL                                 (true)
 *     record-numbering = iana | draft                (iana)
 *     list-server-names = BOOL (ask for record 11)   (false)
 *     regions = NAME[, NAME...], region = NAME (both repeatable, adding
 *       to the list; ntspool_policy_select's regions; none means global
 *       only; up to NTSPOOL_MAX_REGIONS names of 1..64 printable
 *       characters without spaces or commas)              (none)
 *
 * BOOL is true/false, yes/no, on/off or 1/0.  Repeating a key that is not a
 * list is an error; a repeated [upstream NAME] section continues the same
 * source.  Secret files must be regular files not readable by others; a
 * token file holds one non-empty line; the base-secret file's lines are
 * trimmed and empty lines dropped before base-key-index picks one (0 is the
 * first).  Files are read here, so the caller can report the line.  On
 * failure ntspool_policy_config_error() says why.
 * Returns: 0; NTSPOOL_ERR_CONFIG (unknown key in [selection] or [upstream
 * NAME], bad value, repeated key, unreadable or unsafe file);
 * NTSPOOL_ERR_NOT_FOUND (a section the policy does not own, or an
 * [upstream-tls] key of another layer such as certificate-authority-path:
 * offer it to that layer); NTSPOOL_ERR_INVALID_ARG (a NULL argument);
 * NTSPOOL_ERR_NO_MEMORY. */
NTSPOOL_API int ntspool_policy_set(ntspool_policy *policy, const char *section,
                                   const char *name, const char *value);

/* Checks the pending configuration, derives tokens and installs it as a
 * new registry.  Sessions holding the previous registry keep it; sources
 * that are gone (or changed) close their idle connections.  On failure the
 * running configuration stays and the pending one is kept (fix it with more
 * ntspool_policy_set calls or drop it with ntspool_policy_discard).
 * Committing with no pending keys installs the defaults with no sources.
 * Returns: 0; NTSPOOL_ERR_CONFIG (a source without domain, derivation keys
 * without a base-secret file or uuid, base-key-index past the file's last
 * line, backoff-initial-ms above backoff-max-ms); NTSPOOL_ERR_CRYPTO;
 * NTSPOOL_ERR_INVALID_ARG; NTSPOOL_ERR_NO_MEMORY. */
NTSPOOL_API int ntspool_policy_commit(ntspool_policy *policy);

/* Drops the pending configuration (wiping any secrets it read).  The
 * running one is untouched.  NULL is ignored. */
NTSPOOL_API void ntspool_policy_discard(ntspool_policy *policy);

/* A sentence about the last failed ntspool_policy_set/_commit ("" after a
 * success).  Valid until the next configuration call.  Never NULL. */
NTSPOOL_API const char *
ntspool_policy_config_error(const ntspool_policy *policy);

/* ---- Registry and sources --------------------------------------------- */

/* A new reference to the current registry (never NULL for a policy; before
 * the first commit it has no sources; NULL for NULL).  Drop it with
 * ntspool_registry_unref.  Thread-safe. */
NTSPOOL_API ntspool_registry *
ntspool_policy_acquire(const ntspool_policy *policy);

/* Adds a reference and returns `registry` (NULL is ignored and returned).
 * Thread-safe. */
NTSPOOL_API ntspool_registry *ntspool_registry_ref(ntspool_registry *registry);

/* Drops a reference; the last one frees the registry and wipes its tokens.
 * May run after the policy's last ntspool_policy_unref.  NULL is ignored.
 */
NTSPOOL_API void ntspool_registry_unref(ntspool_registry *registry);

/* Commit number that built this registry (0 before the first commit). */
NTSPOOL_API uint64_t ntspool_registry_generation(const ntspool_registry *reg);

/* Number of sources and source i (NULL when i is out of range), in
 * configuration order. */
NTSPOOL_API size_t ntspool_registry_count(const ntspool_registry *reg);
NTSPOOL_API const ntspool_source *
ntspool_registry_source(const ntspool_registry *reg, size_t i);

/* The selection sets of `family` (see ntspool_policy_select): i = 0 is
 * the global set, named "*"; i >= 1 the regions its sources list, in
 * name order.  counts[0] is the set's number of sources, counts[1..4]
 * those of its groups 0 to 3.  Returns the name (valid while reg is held),
 * or NULL when i is past the end (counts untouched). */
NTSPOOL_API const char *ntspool_registry_region(const ntspool_registry *reg,
                                                enum ntspool_family family,
                                                size_t i, size_t counts[5]);

/* The source of section [upstream NAME], or the one whose uuid equals
 * `uuid` (the monitor's UUID Request), or NULL. */
NTSPOOL_API const ntspool_source *
ntspool_registry_find(const ntspool_registry *reg, const char *name);
NTSPOOL_API const ntspool_source *
ntspool_registry_find_uuid(const ntspool_registry *reg, ntspool_bytes uuid);

/* Read-only views of a source; strings are NUL-terminated and live as long
 * as the registry.  connect_address and uuid are NULL when not set. */
NTSPOOL_API const char *ntspool_source_name(const ntspool_source *s);
NTSPOOL_API const char *ntspool_source_domain(const ntspool_source *s);
NTSPOOL_API uint16_t ntspool_source_port(const ntspool_source *s);
NTSPOOL_API const char *ntspool_source_connect_address(const ntspool_source *s);
NTSPOOL_API const char *ntspool_source_uuid(const ntspool_source *s);
NTSPOOL_API uint32_t ntspool_source_weight(const ntspool_source *s);
NTSPOOL_API bool ntspool_source_enabled(const ntspool_source *s);
NTSPOOL_API bool ntspool_source_has_family(const ntspool_source *s,
                                           enum ntspool_family family);
NTSPOOL_API enum ntspool_numbering
ntspool_source_numbering(const ntspool_source *s);

/* The source's regions (key regions), in configuration order: name i, or
 * NULL past the last.  Selection does not use them yet. */
#define NTSPOOL_MAX_REGIONS 64
NTSPOOL_API size_t ntspool_source_region_count(const ntspool_source *s);
NTSPOOL_API const char *ntspool_source_region(const ntspool_source *s,
                                              size_t i);

/* True when the source's capability queries also ask for List Server Names
 * (key list-server-names): only for sources that implement it, since
 * ntpd-rs answers the unknown critical record with Error 0. */
NTSPOOL_API bool ntspool_source_lists_server_names(const ntspool_source *s);

/* The token for the Authentication record (len 0: none, send no record).
 * A secret: send it, never log it. */
NTSPOOL_API ntspool_bytes ntspool_source_token(const ntspool_source *s);

/* Token derivation of the running NTS pool (doc/protocol.md section 7.2):
 * out = lowercase hex SHA3-256(secret || uuid || randomizer), NUL-terminated.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG; NTSPOOL_ERR_CRYPTO. */
NTSPOOL_API int ntspool_token_derive(const void *secret, size_t secret_len,
                                     const char *uuid, const char *randomizer,
                                     char out[65]);

/* ---- Selection -------------------------------------------------------- */

/* Randomness for selection: fill out[0..len) and return 0, or a negative
 * status.  Tests pass a seeded generator; NULL means the TLS backend's
 * CSPRNG. */
typedef struct ntspool_rng {
  int (*fill)(void *state, void *out, size_t len);
  void *state;
} ntspool_rng;

/* What the client asked for.  Fill it from a parsed request with
 * ntspool_client_prefs_from_request or by hand; the views must outlive the
 * calls that use it. */
typedef struct ntspool_client_prefs {
  enum ntspool_family family;
  ntspool_u16_list protocols;  /* client order of preference */
  ntspool_u16_list aeads;      /* client order of preference */
  const ntspool_bytes *denied; /* NTP Server Deny names */
  size_t n_denied;
  bool compliant_128gcm; /* the client sent record 1024 */
  /* Where the client is, narrowest first (for example "NL", "EUROPE"):
   * names as the sources' regions give them, at most
   * NTSPOOL_MAX_CLIENT_REGIONS; none = the global set only.  The library
   * never looks addresses up: the application does. */
  const char *const *regions;
  size_t n_regions;
  /* 0: the whole region; 1..4: only group 0..3 of it (the numbered names
   * 0. to 3., see ntspool_policy_select). */
  unsigned subpool;
} ntspool_client_prefs;

#define NTSPOOL_MAX_CLIENT_REGIONS 8

/* Copies the views of `req` (kept, denied names included) and `family`
 * into *out.  Never fails for non-NULL arguments (else does nothing). */
NTSPOOL_API void ntspool_client_prefs_from_request(const ntspool_request *req,
                                                   enum ntspool_family family,
                                                   ntspool_client_prefs *out);

/* Sources a session has tried; start zeroed.  ntspool_policy_select adds
 * each source it returns and never returns one listed here. */
typedef struct ntspool_attempts {
  size_t count;
  const ntspool_source *tried[NTSPOOL_MAX_ATTEMPTS];
} ntspool_attempts;

enum ntspool_caps_state {
  NTSPOOL_CAPS_MISSING = 0, /* never fetched for this family */
  NTSPOOL_CAPS_STALE = 1,   /* older than support-cache-validity-s */
  NTSPOOL_CAPS_HIT = 2      /* fresh */
};

typedef struct ntspool_selection {
  const ntspool_source *source;
  enum ntspool_caps_state caps; /* of (source, family) when chosen */
  bool negotiated;              /* protocol, aead, key_len valid */
  bool has_protocol; /* protocol valid (also with NTSPOOL_ERR_NO_AEAD) */
  uint16_t protocol;
  uint16_t aead;
  uint16_t key_len; /* from the source's Supported Algorithm List */
  bool denied;      /* the client denied it; nothing else within the skips */
  bool backoff_fallback; /* every candidate was backing off */
  unsigned region;  /* the set drawn from: i + 1 for prefs->regions[i], 0 the
                       global set */
  unsigned subpool; /* its group g + 1 (numbered name g.), 0 the whole set */
} ntspool_selection;

/* Chooses a time source for a client from `reg` (the session's registry).
 *
 * Candidates are the sources that are enabled, have weight > 0, reach the
 * client's family, are not in *attempts and, when capabilities for the
 * family are fresh in the cache, can serve the client (negotiation below
 * succeeds).  Sources with unknown or stale capabilities are candidates:
 * the caller fetches them and calls ntspool_policy_negotiate.  Sources in
 * failure back-off are left out unless all candidates are backing off; then
 * the one whose back-off ends first is returned (backoff_fallback).
 *
 * Strategy weighted draws with probability proportional to weight; round
 * robin takes the candidates in turn from a counter shared by all threads.
 * NTP Server Deny: a drawn candidate whose known names (domain, List Server
 * Names for either family, names learned with
 * ntspool_policy_learn_server_name; ASCII case-insensitive) match a denied
 * name is dropped and the draw repeated, at most deny-max-skips times and
 * never dropping the last candidate; after that the draw stands (denied).
 *
 * Regions: the candidates are drawn from the first of these sets that
 * gives one: the sources listing prefs->regions[0] (for the client's
 * family), then those listing regions[1], ..., then every source of the
 * family (global).  With prefs->subpool g + 1 each of these sets is
 * narrowed to group g: every source of a family has one of four groups,
 * the same in every set, so the four numbered names never share a source,
 * whichever set they fall back to.  Groups are balanced by weight within
 * each source's home, the smallest region it lists (the global set if
 * none): by home, heaviest first (ties by uuid, else name), each source
 * goes to the group with the least weight in its home so far, then the
 * least overall, then the lowest number; the same on every replica for
 * the same list.  After the global group comes the whole global set.
 * A set other than the last is passed over when it has no more members
 * than the client denied names, and left for the next when nothing in it
 * is usable or only a denied source would remain, so a small region never
 * pins a client to one source and never fails it.
 * Back-off fallback and a denied draw that stands happen in the last set
 * only.  sel->region and sel->subpool say which set gave the source.
 *
 * Cost: a weighted draw is a binary search over the registry's prefix sums
 * of weights (per address family and region), and only the drawn source is
 * judged (one lock); a draw that lands on a source that cannot serve the
 * client now is repeated, and only after 32 such draws is the set walked.
 * Finding a region is a binary search over the family's region names.
 * No allocation.
 *
 * With fresh capabilities, sel->negotiated is true and protocol/AEAD are
 * those of ntspool_policy_negotiate.  The chosen source is appended to
 * *attempts.  `rng` NULL uses the TLS backend's CSPRNG.
 * Returns: 0; NTSPOOL_ERR_NO_SOURCE (no candidate, or NTSPOOL_MAX_ATTEMPTS
 * reached: if a negotiation failed earlier in the session, answer with that
 * failure); NTSPOOL_ERR_NO_PROTOCOL / NTSPOOL_ERR_NO_AEAD (the only
 * candidates left were refused by their fresh capabilities: answer "nothing
 * in common"; with NO_AEAD, sel->protocol is the protocol that would have
 * been used); NTSPOOL_ERR_CRYPTO (or the rng's error);
 * NTSPOOL_ERR_INVALID_ARG (also more than NTSPOOL_MAX_CLIENT_REGIONS
 * regions, a NULL region name or subpool > 4). */
NTSPOOL_API int
ntspool_policy_select(ntspool_policy *policy, const ntspool_registry *reg,
                      const ntspool_client_prefs *prefs,
                      ntspool_attempts *attempts, const ntspool_rng *rng,
                      ntspool_time_ms now, ntspool_selection *sel);

/* Negotiates with the cached capabilities of (source, prefs->family), fresh
 * or stale: protocol = the first client protocol the source supports and
 * allowed-protocol allows; AEAD = the first client AEAD the source supports
 * with a usable key length (1..NTSPOOL_MAX_KEY_LEN, equal to the registered
 * length when the ID is known), except that AES-128-GCM-SIV (30) is only
 * taken when the client sent record 1024 (older chrony clients derive its
 * keys with a different exporter context, doc/protocol.md 3.6).  When 30 is
 * chosen the pool must echo record 1024.  Updates sel->caps, negotiated,
 * has_protocol, protocol, aead and key_len; leaves the rest.
 * Returns: 0; NTSPOOL_ERR_NO_PROTOCOL; NTSPOOL_ERR_NO_AEAD;
 * NTSPOOL_ERR_NOT_FOUND (nothing cached); NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_policy_negotiate(ntspool_policy *policy,
                                         const ntspool_source *source,
                                         const ntspool_client_prefs *prefs,
                                         ntspool_time_ms now,
                                         ntspool_selection *sel);

/* ---- Health ----------------------------------------------------------- */

/* Records the outcome of one exchange with (source, family).  A failure
 * starts or doubles the back-off (backoff-initial-ms, doubling up to
 * backoff-max-ms) during which selection avoids the source; a success ends
 * it.  Returns: 0; NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_policy_record_result(ntspool_policy *policy,
                                             const ntspool_source *source,
                                             enum ntspool_family family,
                                             bool ok, ntspool_time_ms now);

/* Counts one monitor probe of (source, family) (session.h, "Monitor
 * probes") and its result, without touching health or back-off: what a
 * monitor finds is the monitor's to score, and a source that is down is
 * avoided by ordinary clients' own failures within one back-off step.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_policy_record_probe(ntspool_policy *policy,
                                            const ntspool_source *source,
                                            enum ntspool_family family,
                                            bool ok);

/* ---- Capability cache ------------------------------------------------- */

typedef struct ntspool_algorithm {
  uint16_t id;
  uint16_t key_len;
} ntspool_algorithm;

typedef struct ntspool_caps {
  ntspool_time_ms fetched_at;
  size_t n_protocols;
  uint16_t protocols[NTSPOOL_MAX_CAPS];
  size_t n_algorithms;
  ntspool_algorithm algorithms[NTSPOOL_MAX_CAPS];
  size_t n_names; /* List Server Names kept for deny matching */
} ntspool_caps;

/* Stores a parsed support response (both lists required; the first
 * NTSPOOL_MAX_CAPS entries of each, and the names of its List Server Names
 * answer) as the capabilities of (source, family) fetched at `now`.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (a list missing); NTSPOOL_ERR_NO_MEMORY.
 */
NTSPOOL_API int ntspool_policy_caps_store(ntspool_policy *policy,
                                          const ntspool_source *source,
                                          enum ntspool_family family,
                                          const ntspool_support *support,
                                          ntspool_time_ms now);

/* Looks up (source, family): returns NTSPOOL_CAPS_HIT, _STALE or _MISSING
 * and, unless MISSING and when out is not NULL, copies the entry.  HIT
 * means now - fetched_at < support-cache-validity-s.  Invalid arguments
 * give MISSING. */
NTSPOOL_API enum ntspool_caps_state ntspool_policy_caps_lookup(
    const ntspool_policy *policy, const ntspool_source *source,
    enum ntspool_family family, ntspool_time_ms now, ntspool_caps *out);

/* Remembers a Server record value the source sent in a key-exchange
 * response, so later Server Deny records naming it match the source (the
 * last 4 names are kept).  Returns: 0; NTSPOOL_ERR_INVALID_ARG (empty or
 * longer than 255 bytes); NTSPOOL_ERR_NO_MEMORY. */
NTSPOOL_API int ntspool_policy_learn_server_name(ntspool_policy *policy,
                                                 const ntspool_source *source,
                                                 ntspool_bytes name);

/* ---- Connection cache ------------------------------------------------- */

/* Takes the newest idle connection of (source, family) that is within
 * connection-cache-max-idle-s and -max-age-s and alive; closes expired and
 * dead ones on the way (outside the lock).  Returns 1 with *conn and
 * *created_at (the caller hands created_at back to _put); 0 if none;
 * NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_policy_conn_take(ntspool_policy *policy,
                                         const ntspool_source *source,
                                         enum ntspool_family family,
                                         ntspool_time_ms now, void **conn,
                                         ntspool_time_ms *created_at);

/* Hands an idle connection (opened at created_at) to the cache, which owns
 * it from now on.  A full cache closes its oldest entry.  Returns: 0 (kept);
 * 1 (closed at once: cache size 0, already too old, or the source left the
 * configuration); NTSPOOL_ERR_INVALID_ARG, NTSPOOL_ERR_STATE (no
 * conn_ops) or NTSPOOL_ERR_NO_MEMORY (the first connection kept for a
 * source and family needs room): then the caller still owns conn. */
NTSPOOL_API int ntspool_policy_conn_put(ntspool_policy *policy,
                                        const ntspool_source *source,
                                        enum ntspool_family family, void *conn,
                                        ntspool_time_ms created_at,
                                        ntspool_time_ms now);

/* Closes every cached connection of the current registry that is past its
 * idle or age limit (or above a reduced cache size).  Call it at
 * ntspool_policy_conn_next_expiry (a pool context does, in
 * ntspool_ctx_handle_expiry).  Returns the number closed (>= 0) or
 * NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_policy_conn_expire(ntspool_policy *policy,
                                           ntspool_time_ms now);

/* When the first cached connection of the current registry passes its
 * idle or age limit; NTSPOOL_TIME_NEVER when none is cached (or for
 * NULL).  Changes when a connection is put into the cache. */
NTSPOOL_API ntspool_time_ms
ntspool_policy_conn_next_expiry(ntspool_policy *policy);

/* ---- Metrics ---------------------------------------------------------- */

/* Upstream latency histograms, per (source, family), for the two
 * exchanges with a source.  Bucket upper bounds in microseconds, as the
 * Rust nts-pool-ke's: 0, 1 ms, 2.5 ms, 5 ms ... 5 s.  Durations are
 * measured with the caller's millisecond clock (the `now` of each step):
 * a reading of 0 ms is an exchange under a millisecond. */
#define NTSPOOL_LATENCY_BUCKETS 13
NTSPOOL_API const uint32_t *ntspool_latency_edges_us(void);

enum ntspool_exchange {
  NTSPOOL_EXCHANGE_SUPPORT = 0,  /* support (capabilities) query */
  NTSPOOL_EXCHANGE_FIXED_KEY = 1 /* Fixed Key Request */
};

typedef struct ntspool_latency {
  /* buckets[i]: readings in (edge[i-1], edge[i]]; not cumulative.  Those
   * above the last edge are in count only. */
  uint64_t buckets[NTSPOOL_LATENCY_BUCKETS];
  uint64_t count;
  uint64_t sum_ms;
} ntspool_latency;

/* Records how long one exchange took, from its request being started (a
 * new connection's TCP and TLS handshakes included, a kept-alive one's
 * not) to its answer or failure.  A source's histograms are allocated
 * with its first reading.  Returns: 0; NTSPOOL_ERR_INVALID_ARG;
 * NTSPOOL_ERR_NO_MEMORY (the reading is lost, nothing else changes). */
NTSPOOL_API int ntspool_policy_record_latency(ntspool_policy *policy,
                                              const ntspool_source *source,
                                              enum ntspool_family family,
                                              enum ntspool_exchange exchange,
                                              bool ok, ntspool_time_ms ms);

typedef struct ntspool_source_stats {
  uint64_t selected;  /* times ntspool_policy_select returned it */
  uint64_t successes; /* ntspool_policy_record_result(ok) */
  uint64_t failures;
  uint32_t consecutive_failures;
  ntspool_time_ms backoff_until; /* 0 when healthy */
  bool backing_off;              /* backoff_until > now */
  enum ntspool_caps_state caps;
  ntspool_time_ms caps_fetched_at;
  size_t idle_connections;
  uint64_t conn_reused;          /* handed out by _conn_take */
  uint64_t conn_stored;          /* kept by _conn_put */
  uint64_t conn_closed_dead;     /* reusable() said no */
  uint64_t conn_closed_expired;  /* idle or age limit */
  uint64_t conn_evicted;         /* oldest dropped from a full cache */
  ntspool_latency latency[2][2]; /* [enum ntspool_exchange][ok] */
  uint64_t probe_successes;      /* ntspool_policy_record_probe(ok) */
  uint64_t probe_failures;
} ntspool_source_stats;

/* Counters of (source, family) at `now`.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_policy_source_stats(const ntspool_policy *policy,
                                            const ntspool_source *source,
                                            enum ntspool_family family,
                                            ntspool_time_ms now,
                                            ntspool_source_stats *out);

typedef struct ntspool_policy_stats {
  uint64_t generation;        /* of the current registry */
  size_t sources;             /* in the current registry */
  uint64_t selections;        /* successful ntspool_policy_select calls */
  uint64_t no_source;         /* select found no candidate */
  uint64_t deny_skips;        /* candidates dropped for a Server Deny */
  uint64_t deny_ignored;      /* denied source returned anyway */
  uint64_t backoff_fallbacks; /* all candidates were backing off */
} ntspool_policy_stats;

/* Policy-wide counters.  Returns: 0; NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_policy_get_stats(const ntspool_policy *policy,
                                         ntspool_policy_stats *out);

#ifdef __cplusplus
}
#endif
#endif
