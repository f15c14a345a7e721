/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool sessions: the NTS-KE roles as state machines the application
 * drives.  A session owns one TLS connection over the application's
 * ntspool_io (and, for the pool, upstream connections it asks the
 * application to open).  The application calls ntspool_session_step()
 * whenever the transport may have progressed or the deadline passed; the
 * session never blocks, sleeps or reads a clock.
 *
 *   ntspool_ctx      configuration and shared state of one role: TLS
 *                    configuration, timeouts, the pool policy, the time
 *                    source's tokens and callbacks.  Built with
 *                    ntspool_ctx_set() calls shaped like an inih handler
 *                    (section, name, value), then ntspool_ctx_ready().
 *   ntspool_session  one connection of a role; made from a ready context.
 *
 * Driving a session.  step() does what the transports allow and returns
 * NTSPOOL_ERR_WOULD_BLOCK when it has to wait.  It also returns
 * (WOULD_BLOCK, waiting on nothing) whenever the session's deadline
 * changed, e.g. when the handshake is done or the pool starts working with
 * a time source, so a driver always waits with the current deadline.  The
 * deadline, ntspool_session_deadline(), is absolute, on the clock of the
 * "now" values given: step() called at or after it ends the session with
 * NTSPOOL_ERR_TIMEOUT (a pool answers its client Internal Server Error when
 * a time source is too slow).  The session can only see the time when
 * step() is called, so no transport may wait past the deadline.  What the
 * session waits on is ntspool_session_wants(): read and/or write, on its own
 * transport or the upstream one the pool's open() made.
 *
 * Blocking sockets (one thread per session; time-source and client roles:
 * a pool's upstream transports do not block, so a pool thread waits as in
 * the poll() loop, as nts-pool-ke's workers do):
 *
 *   ntspool_socket sock = {.fd = fd};
 *   ntspool_socket_io_deadline(&sock, &io);
 *   ... ntspool_session_new_server(ctx, &io, &peer, now_ms(), &s) ...
 *   do {
 *     sock.deadline = ntspool_session_deadline(s);
 *     rc = ntspool_session_step(s, now_ms());     // CLOCK_MONOTONIC ms
 *   } while (rc == NTSPOOL_ERR_WOULD_BLOCK);      // 0: finished
 *
 * poll() loop (non-blocking sockets, ntspool_socket_io):
 *
 *   for (;;) {
 *     rc = ntspool_session_step(s, now_ms());
 *     if (rc != NTSPOOL_ERR_WOULD_BLOCK) break;
 *     unsigned want = ntspool_session_wants(s, &io);
 *     if (!want) continue;                        // new deadline only
 *     poll ntspool_socket_io_fd(io) for POLLIN (NTSPOOL_IO_READ) and/or
 *     POLLOUT (NTSPOOL_IO_WRITE), until ntspool_session_deadline(s);
 *   }
 *
 * Callback event loop (libevent, libuv, a daemon's scheduler): after each
 * step() that returned WOULD_BLOCK, (re)arm one event for the fd behind
 * ntspool_session_wants() in the directions it names, with the deadline
 * as its timeout; step again from that event's callback, whatever fired
 * (readiness or timeout).  When wants() is 0, step again at once.
 * examples/event-loop.c does this with libevent.
 *
 * A pool context has timers of its own (idle upstream connections in its
 * cache): call ntspool_ctx_handle_expiry() at ntspool_ctx_expiry().
 *
 * Thread safety.  A ready ntspool_ctx is immutable except for its internal
 * counters and caches, which are locked: any number of sessions on any
 * threads may share it.  ntspool_ctx_set() must not run concurrently with
 * anything else on that context.  A session is used by one thread at a time.
 * Contexts are reference counted; a session holds a reference, so an
 * application can replace its context (reload) while old sessions finish.
 */
#ifndef NTSPOOL_SESSION_H
#define NTSPOOL_SESSION_H

#include "io.h"
#include "log.h"
#include "message.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Contexts ---------------------------------------------------------- */

typedef struct ntspool_ctx ntspool_ctx;

enum ntspool_role {
  NTSPOOL_ROLE_POOL = 0,   /* client-facing KE server of a pool */
  NTSPOOL_ROLE_SOURCE = 1, /* time source accepting pool requests */
  NTSPOOL_ROLE_CLIENT = 2  /* pool-aware NTS-KE client */
};

/* Creates an empty context for `role` (allocator NULL = malloc/free).
 * The caller owns *out (one reference).
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (out NULL, an unknown role, an
 * allocator with a NULL function); NTSPOOL_ERR_NO_MEMORY. */
NTSPOOL_API int ntspool_ctx_new(enum ntspool_role role,
                                const ntspool_allocator *allocator,
                                ntspool_ctx **out);

/* Sets one configuration key.  Sections and keys are those of
 * nts-pool-ke.conf(5) for the pool ([server], [upstream-tls], [selection],
 * [upstream NAME]), plus [time-source] and [client] for the other roles.  A
 * repeated key adds to a list.  Values are copied.  On failure
 * ntspool_ctx_error() says why.
 *
 * Monitor keys (secrets: wiped when freed, never logged), 1 to 1024
 * printable ASCII characters each:
 *   [server] monitoring-key = KEY   pool, repeatable: the keys that make a
 *       UUID request a monitor's probe (see "Monitor probes" below); none
 *       configured, every UUID request is Bad Request.
 *   [client] monitoring-key = KEY   client, once: the key
 *       ntspool_session_new_probe() sends.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (a NULL argument); NTSPOOL_ERR_CONFIG
 * (unknown section or key, bad value); NTSPOOL_ERR_STATE (context already
 * ready); NTSPOOL_ERR_NO_MEMORY. */
NTSPOOL_API int ntspool_ctx_set(ntspool_ctx *ctx, const char *section,
                                const char *name, const char *value);

/* Checks the whole configuration and loads what it names (certificates,
 * keys, token files).  After success the context can make sessions and no
 * longer accepts ntspool_ctx_set().  On failure ntspool_ctx_error() says
 * why.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (NULL ctx); NTSPOOL_ERR_STATE
 * (already ready); NTSPOOL_ERR_CONFIG (a missing or bad key, a certificate
 * or key that does not parse or match, no CA that parses);
 * NTSPOOL_ERR_NOT_FOUND (a file cannot be read); NTSPOOL_ERR_CRYPTO (the
 * crypto library failed to start); NTSPOOL_ERR_NO_MEMORY. */
NTSPOOL_API int ntspool_ctx_ready(ntspool_ctx *ctx);

/* A sentence about the last failed ntspool_ctx_set/ready call ("" if none).
 * Valid until the next call on ctx. */
NTSPOOL_API const char *ntspool_ctx_error(const ntspool_ctx *ctx);

/* Installs the log callback and the most verbose level it receives.
 * Call before ntspool_ctx_ready().
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (NULL ctx); NTSPOOL_ERR_STATE. */
NTSPOOL_API int ntspool_ctx_set_logger(ntspool_ctx *ctx, ntspool_log_fn fn,
                                       void *user_data,
                                       enum ntspool_log_level level);

/* ---- Credentials from memory ------------------------------------------- */

/* A certificate chain and its private key as bytes, instead of the files of
 * certificate-chain-path and private-key-path, for an application that
 * already holds them (its own store, a secrets manager).  `section` names
 * which, as the path keys do: "server" (pool: the certificate its clients
 * see), "upstream-tls" (pool: the client certificate shown to time
 * sources), "time-source", or "client" (the certificate a client shows when
 * asked).  chain: PEM, the leaf first, then intermediates (or one DER
 * certificate); key: unencrypted PEM or DER.  Both are copied (the key is
 * wiped when the context is freed) and parsed by ntspool_ctx_ready(),
 * which fails with NTSPOOL_ERR_CONFIG when they do not parse or match, or
 * when the section's path keys are set as well.  A repeated call replaces
 * the bytes.  Call before ntspool_ctx_ready().
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (NULL, or no bytes); NTSPOOL_ERR_CONFIG
 * (the role has no such section; ntspool_ctx_error says so);
 * NTSPOOL_ERR_STATE (context ready); NTSPOOL_ERR_NO_MEMORY. */
NTSPOOL_API int
ntspool_ctx_set_credentials_pem(ntspool_ctx *ctx, const char *section,
                                const void *chain, size_t chain_len,
                                const void *key, size_t key_len);

/* The trusted certificate authorities as bytes (one or more PEM
 * certificates) instead of the file of certificate-authority-path:
 * section "upstream-tls" (pool) or "client".  Files of
 * additional-certificate-authority-path are still added.  Copied; parsed
 * by ntspool_ctx_ready() (NTSPOOL_ERR_CONFIG when none parses, or when
 * certificate-authority-path is set as well).  A repeated call replaces
 * the bytes.  Returns as ntspool_ctx_set_credentials_pem. */
NTSPOOL_API int ntspool_ctx_set_ca_pem(ntspool_ctx *ctx, const char *section,
                                       const void *ca, size_t ca_len);

/* Pool role, on reload: makes the new context `ctx` (fresh: no
 * ntspool_ctx_set yet) share the pool state of the running `previous` one:
 * source health, capability cache, idle upstream connections and
 * counters, for every source whose endpoint and token stay the same.
 * ntspool_ctx_ready(ctx) then installs the new source list into that
 * shared state; sessions of `previous` keep the list they started with.
 * If ctx never becomes ready, unref it and nothing changes.  Connections
 * opened under `previous` may be reused, and closed later, through the
 * ntspool_upstream_ops that opened them, so their user_data must stay
 * valid (or unused) until the last context sharing the state is gone.
 * One replacement at a time.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (not two different pool contexts);
 * NTSPOOL_ERR_STATE (ctx configured or ready, or previous not ready). */
NTSPOOL_API int ntspool_ctx_keep_state(ntspool_ctx *ctx, ntspool_ctx *previous);

/* Pool-wide timers, as ngtcp2's get_expiry / handle_expiry: the time by
 * which ntspool_ctx_handle_expiry() must be called next (today: the first
 * idle upstream connection in the connection cache to outlive its limits),
 * or NTSPOOL_TIME_NEVER when nothing is due (other roles, NULL).  It can
 * move earlier after any step() of a session of this context, or of one
 * sharing its state (ntspool_ctx_keep_state): read it again then.
 * Thread safe. */
NTSPOOL_API ntspool_time_ms ntspool_ctx_expiry(const ntspool_ctx *ctx);

/* Does what is due at `now` (closes expired cached connections through
 * ntspool_upstream_ops.close).  Calling it early or often is harmless.
 * Thread safe.  Returns 0 or NTSPOOL_ERR_INVALID_ARG (NULL ctx). */
NTSPOOL_API int ntspool_ctx_handle_expiry(ntspool_ctx *ctx,
                                          ntspool_time_ms now);

/* Reference counting, the same pair as every counted object of the
 * library (ntspool_policy_ref/_unref, ntspool_registry_ref/_unref): ref
 * adds a reference and returns ctx (NULL is ignored and returned); unref
 * drops one and frees the context with the last.  Thread safe. */
NTSPOOL_API ntspool_ctx *ntspool_ctx_ref(ntspool_ctx *ctx);
NTSPOOL_API void ntspool_ctx_unref(ntspool_ctx *ctx);

/* The pool policy of a pool context (ntspool/policy.h), read-only: for
 * counters and source health (ntspool_policy_get_stats,
 * ntspool_policy_source_stats, ntspool_policy_caps_lookup) and the registry
 * views (ntspool_policy_acquire).  The context configures it
 * (ntspool_ctx_set) and runs its timers (ntspool_ctx_handle_expiry).
 * Owned by the context: valid while the caller holds a context reference.
 * NULL for other roles or a NULL ctx. */
NTSPOOL_API const struct ntspool_policy *
ntspool_ctx_policy(const ntspool_ctx *ctx);

/* Monitor probes (pool role).  The NTS pool's monitor scores each time
 * source through the pool: a request with an Authentication record holding
 * a monitor key, then a UUID Request naming the source (doc/protocol.md
 * 3.4, 5.9).  The pool compares the key in constant time with every
 * [server] monitoring-key (wrong or none: Bad Request), finds the source by
 * uuid among all listed sources, whatever their weight, enabled flag,
 * address families, back-off or the client's deny (unknown: Error 0xF000),
 * and does the exchange with that one source over the monitor's own
 * address family, on a new connection, with no fail-over.  Failures answer
 * as the NTS pool's KE does: connect, TLS or I/O failures 0xF001; another
 * failure before the keys were sent 0xF002 (a timeout included); after:
 * the source's Error 0 or 1 becomes 0xF003, its other codes are passed
 * on, I/O 0xF001, anything else (a timeout, a bad answer) Error 2.  A
 * probe leaves the source's health and back-off alone (ordinary clients'
 * selection does not hear of it) but fills the capability cache like any
 * support query and counts in ntspool_source_stats.probes.  Only monitors
 * ever get the codes 0xF000-0xF003. */

/* ---- Role callbacks ---------------------------------------------------- */

/* Where the pool wants an upstream connection: the time source's KE host
 * (also the TLS name), port, an optional address to connect to instead of
 * resolving the host, the client's address family, and the
 * session's deadline at that moment: open() must not wait past it. */
typedef struct ntspool_upstream_target {
  const char *source_name;
  const char *host;
  uint16_t port;
  const char *connect_address; /* NULL: resolve host */
  enum ntspool_family family;
  ntspool_time_ms deadline; /* on the clock of the sessions' "now" */
} ntspool_upstream_target;

/* Pool role: the application opens and closes upstream transports (the
 * library has no sockets).  open() fills *io and returns 0 (a non-blocking
 * connect may still be in progress: its io then returns WOULD_BLOCK), or
 * NTSPOOL_ERR_IO when the source cannot be reached; a blocking connect ends
 * by target->deadline.  An upstream io should not block (the session then
 * says what it waits on, ntspool_session_wants): a kept-alive connection
 * is reused by later sessions with later deadlines.  close() releases what
 * open() made; it is called exactly once per successful open().
 * reusable() is described below.  All three are required. */
#define NTSPOOL_UPSTREAM_OPS_VERSION 2
typedef struct ntspool_upstream_ops {
  int version; /* NTSPOOL_UPSTREAM_OPS_VERSION */
  int (*open)(void *user_data, const ntspool_upstream_target *target,
              ntspool_io *io);
  void (*close)(void *user_data, ntspool_io *io);
  /* True if nothing (data, EOF, an error) is waiting on an idle transport,
   * so it can carry another request; asked without blocking (poll() with
   * timeout 0 finding no event).  The pool asks before it reuses a
   * kept-alive connection, since a source that closed it or sent something
   * unasked cannot carry another request; false closes it.  The same sense
   * as ntspool_conn_ops.reusable. */
  bool (*reusable)(void *user_data, ntspool_io *io);
  void *user_data;
} ntspool_upstream_ops;

/* Pool role: install the upstream callbacks (before ntspool_ctx_ready).
 * Returns 0, NTSPOOL_ERR_INVALID_ARG or NTSPOOL_ERR_STATE. */
NTSPOOL_API int ntspool_ctx_set_upstream_ops(ntspool_ctx *ctx,
                                             const ntspool_upstream_ops *ops);

#define NTSPOOL_MAX_COOKIE_LEN 256

typedef struct ntspool_cookie {
  size_t len;
  uint8_t data[NTSPOOL_MAX_COOKIE_LEN];
} ntspool_cookie;

/* Time-source role: the daemon mints cookies in its own format from the
 * keys, which came either from the client's own TLS session or from the
 * pool's Fixed Key Request.  Fill up to `max` cookies and return how many
 * (> 0), or a negative NTSPOOL_ERR_* (the client then gets Internal Server
 * Error).  The key buffers are wiped after the call. */
#define NTSPOOL_SOURCE_OPS_VERSION 1
typedef struct ntspool_source_ops {
  int version; /* NTSPOOL_SOURCE_OPS_VERSION */
  int (*make_cookies)(void *user_data, uint16_t protocol, uint16_t aead,
                      const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                      ntspool_cookie *cookies, size_t max);
  void *user_data;
} ntspool_source_ops;

/* Time-source role: install the cookie callback (before ntspool_ctx_ready).
 * Returns 0, NTSPOOL_ERR_INVALID_ARG or NTSPOOL_ERR_STATE. */
NTSPOOL_API int ntspool_ctx_set_source_ops(ntspool_ctx *ctx,
                                           const ntspool_source_ops *ops);

/* ---- Sessions ---------------------------------------------------------- */

typedef struct ntspool_session ntspool_session;

/* Who is on the other end of a server-side session, as the application
 * knows it (after PROXY protocol, if any). */
typedef struct ntspool_peer {
  enum ntspool_family family;
  const char *address; /* printable address, for logs; may be NULL */
} ntspool_peer;

/* Server-side session of a pool or time-source context, on an accepted
 * connection.  The session starts its deadlines at `now`.  Caller owns *out.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (a NULL argument, an io without send
 * or recv or of another version); NTSPOOL_ERR_STATE (context not ready or
 * of the client role); NTSPOOL_ERR_NO_MEMORY; NTSPOOL_ERR_CRYPTO or
 * NTSPOOL_ERR_TLS (the TLS library refused to set the connection up). */
NTSPOOL_API int ntspool_session_new_server(ntspool_ctx *ctx,
                                           const ntspool_io *io,
                                           const ntspool_peer *peer,
                                           ntspool_time_ms now,
                                           ntspool_session **out);

/* Where the client of a pool session is, narrowest first (for example its
 * country "NL", then its continent "EUROPE"), as the application looked its
 * address up; copied, at most NTSPOOL_MAX_CLIENT_REGIONS names of 1..63
 * bytes.  Selection draws from the first of them with an eligible source,
 * then the next, then the global set (ntspool_policy_select).  Call before
 * the first ntspool_session_step; without it the client is global.  The
 * TLS server name the client asked for picks the numbered group: a name
 * starting with "0." to "3." draws from group 0 to 3 of each set.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (too many or too long names, NULL);
 * NTSPOOL_ERR_STATE (not a pool session). */
NTSPOOL_API int ntspool_session_set_regions(ntspool_session *s,
                                            const char *const *regions,
                                            size_t n_regions);

/* Client session of a client context: key exchange with `host` (SNI and
 * certificate name) sending one NTP Server Deny per name in `denied`
 * (copied).  Caller owns *out.
 * Returns as ntspool_session_new_server. */
NTSPOOL_API int ntspool_session_new_client(ntspool_ctx *ctx,
                                           const ntspool_io *io,
                                           const char *host,
                                           const char *const *denied,
                                           size_t n_denied, ntspool_time_ms now,
                                           ntspool_session **out);

/* Client session of a client context that probes one source of a pool
 * as the pool's monitor does: sends the context's [client] monitoring-key
 * and a UUID Request for `uuid` (printable ASCII, 1 to 255 characters)
 * instead of Server Deny records; the result is the named source's, as
 * ntspool_session_new_client's.  The pool's refusals end the session with
 * NTSPOOL_ERR_PEER_ERROR and the code in ntspool_outcome.nts_error (0xF000
 * no such source, 0xF001-0xF003 the source failed, see "Monitor probes").
 * Caller owns *out.
 * Returns as ntspool_session_new_client, and NTSPOOL_ERR_STATE when the
 * context has no monitoring-key. */
NTSPOOL_API int ntspool_session_new_probe(ntspool_ctx *ctx,
                                          const ntspool_io *io,
                                          const char *host, const char *uuid,
                                          ntspool_time_ms now,
                                          ntspool_session **out);

/* Advances the session as far as the transports allow, with `now` on the
 * clock of ntspool_session_deadline.  Returns as soon as a transport would
 * block or the deadline changed (see "Driving a session" above).
 * Returns: 0 when the session has finished (see ntspool_session_outcome for
 * how); NTSPOOL_ERR_WOULD_BLOCK when it waits for I/O or got a new deadline
 * (call again when the transport ntspool_session_wants names is ready, at
 * the deadline at the latest, or at once when wants() is 0); a negative
 * code when it ended in
 * failure: NTSPOOL_ERR_TIMEOUT, NTSPOOL_ERR_TLS, NTSPOOL_ERR_EOF,
 * NTSPOOL_ERR_IO, NTSPOOL_ERR_TOO_LARGE, NTSPOOL_ERR_NO_MEMORY, or for
 * clients the reason the response was refused (NTSPOOL_ERR_PEER_ERROR,
 * NTSPOOL_ERR_BAD_RESPONSE, NTSPOOL_ERR_NO_PROTOCOL, ...);
 * ntspool_outcome.result sorts them into classes.  NTSPOOL_ERR_INVALID_ARG
 * for a NULL s.  After a non-WOULD_BLOCK result further calls return the
 * same value. */
NTSPOOL_API int ntspool_session_step(ntspool_session *s, ntspool_time_ms now);

/* The time by which step() must be called again even without I/O: the
 * session ends with NTSPOOL_ERR_TIMEOUT when step() sees a `now` at or past
 * it.  Changes only inside step(), which then returns.  0 for NULL. */
NTSPOOL_API ntspool_time_ms ntspool_session_deadline(const ntspool_session *s);

/* What a session that step() left with NTSPOOL_ERR_WOULD_BLOCK waits on:
 * NTSPOOL_IO_READ, NTSPOOL_IO_WRITE or both, on the transport *io then
 * points to (when io is not NULL): the session's copy of the ntspool_io it
 * was made with, or, for a pool session working with a time source, the
 * upstream io its open() filled in.  Map it to the application's fd or
 * handle through io->user_data (or ntspool_socket_io_fd).  0, with *io set
 * to NULL, when it waits on no transport: step() returned only because the
 * deadline changed (call step() again now), or the session has finished.
 * The pointer is valid until the next step() or ntspool_session_free.
 * Never fails (0 for NULL). */
NTSPOOL_API unsigned ntspool_session_wants(const ntspool_session *s,
                                           const ntspool_io **io);

/* How a session ended, in the classes logs and metrics count, the same
 * for every role, so an application need not sort status codes itself.
 * The status code (ntspool_outcome.status) says more. */
enum ntspool_result {
  NTSPOOL_RESULT_PENDING = 0,  /* not finished (step() still returns
                                  WOULD_BLOCK, or the application stopped
                                  stepping it) */
  NTSPOOL_RESULT_OK,           /* the exchange succeeded: keys and cookies
                                  handed over (a time source's capability
                                  answers included), status 0 */
  NTSPOOL_RESULT_NO_OVERLAP,   /* a valid answer with no protocol or AEAD in
                                  common: a server sent it, a client got it
                                  (status NO_PROTOCOL or NO_AEAD) */
  NTSPOOL_RESULT_NTS_ERROR,    /* an NTS-KE Error record ended the exchange:
                                  a server sent it (sent_error), a client got
                                  it (status PEER_ERROR, or PEER_WARNING for a
                                  Warning); nts_error holds the code */
  NTSPOOL_RESULT_TIMEOUT,      /* a deadline passed before an answer went out
                                  (status TIMEOUT) */
  NTSPOOL_RESULT_TLS,          /* the TLS connection failed: handshake,
                                  certificate, alert (status TLS, tls_error) */
  NTSPOOL_RESULT_DROPPED,      /* the transport closed or failed before the
                                  exchange finished (status EOF or IO) */
  NTSPOOL_RESULT_BAD_RESPONSE, /* client: the server's answer broke the
                                  protocol (status BAD_RESPONSE, MALFORMED,
                                  TOO_LARGE ...); servers answer a bad
                                  request with an Error record instead */
  NTSPOOL_RESULT_INTERNAL      /* a local failure: memory, crypto (status
                                  NO_MEMORY, CRYPTO ...), nothing answered */
};

/* A static name for a result: "pending", "ok", "no_overlap", "nts_error",
 * "timeout", "tls", "dropped", "bad_response", "internal"; "unknown" for
 * other values.  Never fails. */
NTSPOOL_API const char *ntspool_result_name(enum ntspool_result result);

/* What happened, for logs and metrics; valid after step() stopped
 * returning WOULD_BLOCK (`monitor` earlier: see there). */
typedef struct ntspool_outcome {
  int status;              /* 0, or why it failed or was refused (also when
                              step() returned 0 after answering an error) */
  bool sent_error;         /* server: answered with an NTS Error record */
  uint16_t nts_error;      /* ... with this code */
  const char *source_name; /* pool: the time source used, or NULL */
  int tls_error;           /* raw TLS backend code, 0 if none */
  /* pool, with a source: the set it was drawn from (ntspool_selection's
   * region: i + 1 for the i-th name of ntspool_session_set_regions, 0 the
   * global set) and its numbered group (g + 1 for "g.", 0 the whole set) */
  unsigned region;
  unsigned subpool;
  bool monitor;               /* pool: a monitor's probe (its key matched); set
                                 as soon as known, readable after any step() */
  enum ntspool_result result; /* the class of status and sent_error, set by
                                 the library for every role */
} ntspool_outcome;

NTSPOOL_API void ntspool_session_outcome(const ntspool_session *s,
                                         ntspool_outcome *out);

/* The TLS failure of the session's own connection (the client's side of a
 * pool or time-source session, the server's of a client session) as text:
 * the backend's description of ntspool_outcome.tls_error followed, when
 * the peer's certificate failed verification, by the reasons
 * ("certificate has expired", "CN mismatch" ...); "no error" when that
 * connection did not fail in TLS.  Call it before ntspool_session_free.
 * Writes at most len bytes, NUL-terminated when len > 0, and returns buf.
 * Never fails (NULL s: "no error"; NULL buf or len 0: buf untouched). */
NTSPOOL_API const char *ntspool_session_tls_error(const ntspool_session *s,
                                                  char *buf, size_t len);

/* Result of a finished client session. */
typedef struct ntspool_ke_result {
  uint16_t protocol;
  uint16_t aead;
  size_t key_len;
  uint8_t c2s[NTSPOOL_MAX_KEY_LEN];
  uint8_t s2c[NTSPOOL_MAX_KEY_LEN];
  size_t n_cookies;
  ntspool_cookie cookies[NTSPOOL_MAX_COOKIES];
  char server[256]; /* NTP server: the Server record, else the KE host */
  uint16_t port;    /* the Port record, else 123 */
} ntspool_ke_result;

/* Copies the result of a client session that step() finished with 0.
 * The caller should wipe it when done (it holds keys).
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (a NULL argument); NTSPOOL_ERR_STATE
 * (not a finished client session). */
NTSPOOL_API int ntspool_session_result(const ntspool_session *s,
                                       ntspool_ke_result *out);

/* Closes nothing (the transport is the application's), wipes keys and
 * frees the session, releasing its context reference.  NULL is ignored. */
NTSPOOL_API void ntspool_session_free(ntspool_session *s);

#ifdef __cplusplus
}
#endif
#endif
