/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Internals of contexts and sessions (session.h): the context's fields, the
 * message channel every role speaks through, and the per-role step
 * functions.
 */
#ifndef NTSPOOL_SESSION_INTERNAL_H
#define NTSPOOL_SESSION_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>

#include "base/internal.h"
#include "ntspool/policy.h"
#include "ntspool/session.h"
#include "tls/tls.h"

#define NTSPOOL_MAX_PREFS 16
#define NTSPOOL_MAX_TOKENS 64
#define NTSPOOL_MAX_POOL_CERTS 16

/* A growable list of NUL-terminated strings from the context's allocator. */
typedef struct ntspool_strlist {
  char **items;
  size_t count;
} ntspool_strlist;

struct ntspool_role_ops;

/* A certificate chain and key given as bytes (ctx_credentials.c). */
typedef struct ntspool_ctx_pem {
  ntspool_bytes chain, key; /* owned; empty: the path keys are used */
} ntspool_ctx_pem;

/* Configuration and shared state of one role (see session.h). */
struct ntspool_ctx {
  ntspool_allocator alloc;
  atomic_int refs;
  enum ntspool_role role;
  const struct ntspool_role_ops *role_ops; /* chosen by ntspool_ctx_new */
  bool ready;
  char error[512];

  ntspool_log_fn log_fn;
  void *log_user;
  enum ntspool_log_level log_level;

  /* [server] / [time-source] (our certificate) and [upstream-tls] /
   * [client] (whom we trust, what we present). */
  char *cert_path, *key_path;
  char *ca_path, *client_cert_path, *client_key_path;
  ntspool_strlist extra_ca_paths; /* added to ca_path's (or the default) */
  ntspool_tls_config *server_tls;
  ntspool_tls_config *client_tls;
  /* The same from memory (ntspool_ctx_set_credentials_pem, _set_ca_pem):
   * server_pem instead of cert_path/key_path, client_pem instead of
   * client_cert_path/client_key_path, ca_pem instead of ca_path. */
  ntspool_ctx_pem server_pem, client_pem;
  ntspool_bytes ca_pem;

  ntspool_time_ms handshake_timeout_ms;
  ntspool_time_ms ke_timeout_ms;       /* whole server session / request */
  ntspool_time_ms upstream_timeout_ms; /* one upstream exchange */
  ntspool_time_ms idle_timeout_ms;     /* kept-alive connection, source */
  size_t max_message;

  /* pool */
  ntspool_policy *policy; /* shared with the previous context on reload */
  bool configured;        /* ntspool_ctx_set was called */
  ntspool_upstream_ops upstream_ops;
  bool has_upstream_ops;
  ntspool_strlist monitoring_keys;

  /* time source */
  ntspool_source_ops source_ops;
  bool has_source_ops;
  enum ntspool_numbering numbering;
  ntspool_strlist tokens;
  ntspool_strlist token_paths;
  ntspool_strlist pool_cert_paths;
  size_t n_pool_certs;
  ntspool_bytes pool_certs[NTSPOOL_MAX_POOL_CERTS]; /* DER, owned */
  ntspool_strlist server_names;
  char *ntp_server;
  bool has_ntp_port;
  uint16_t ntp_port;
  size_t n_cookies;
  size_t max_keep_alive;
  uint16_t ciphersuites[NTSPOOL_TLS_MAX_CIPHERSUITES]; /* 0 of them: all */
  size_t n_ciphersuites;
  atomic_size_t keep_alive_in_use;

  /* protocols and AEADs: the source's supported set, the client's offer */
  size_t n_protocols, n_aeads;
  bool protocols_set, aeads_set; /* explicit values replaced the defaults */
  uint16_t protocols[NTSPOOL_MAX_PREFS];
  uint16_t aeads[NTSPOOL_MAX_PREFS];
};

/* Formats and delivers a log line if `level` is enabled. */
/* At NTSPOOL_LOG_TRACE: one line per record of msg[0..len) (log_records.c);
 * `what` says which message ("received", "sent", "support answer"). */
void ntspool_log_records(const ntspool_ctx *ctx, const char *component,
                         const char *peer, const char *what, const uint8_t *msg,
                         size_t len, enum ntspool_numbering numbering);
void ntspool_log(const ntspool_ctx *ctx, enum ntspool_log_level level,
                 const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Wipes and frees the credentials given as bytes (ctx_credentials.c). */
void ntspool_ctx_free_credentials(ntspool_ctx *ctx);

/* Connection-cache callbacks for the pool's idle upstream connections. */
extern const ntspool_conn_ops ntspool_upstream_conn_ops;

void *ntspool_ctx_alloc(const ntspool_ctx *ctx, size_t size);
void ntspool_ctx_free_mem(const ntspool_ctx *ctx, void *p);

/* ---- Monitor probes (probe.c) ------------------------------------------ */

/* True if `key` is one of ctx's [server] monitoring-key values (constant
 * time; false when none is configured). */
bool ntspool_monitor_key_ok(const ntspool_ctx *ctx, ntspool_bytes key);

/* The Error code a monitor's failed probe is answered with: before the
 * keys were sent (support query, connecting) or after (Fixed Key), the
 * failure's status, and with NTSPOOL_ERR_PEER_ERROR the source's code. */
uint16_t ntspool_probe_error(bool keys_sent, int status, uint16_t source_code);

/* ---- Channel: whole NTS-KE messages over one TLS connection ----------------
 */

typedef struct ntspool_channel {
  ntspool_tls *tls;
  uint8_t *rx; /* received bytes; a whole message once recv returned 0 */
  size_t rx_len, rx_cap;
  size_t msg_len;
  uint8_t *tx; /* the message being sent */
  size_t tx_len, tx_sent, tx_cap;
} ntspool_channel;

/* Sets up a channel over fresh TLS on `io`, with caller-provided buffers of
 * cap bytes each.  Returns as ntspool_tls_new. */
int ntspool_channel_open(ntspool_channel *ch, ntspool_tls_config *cfg,
                         const ntspool_io *io, const char *server_name,
                         uint8_t *rx, uint8_t *tx, size_t cap);

/* Receives until one whole message is in rx[0..msg_len).
 * Returns 0, NTSPOOL_ERR_WOULD_BLOCK, NTSPOOL_ERR_TOO_LARGE,
 * NTSPOOL_ERR_TRAILING_DATA, NTSPOOL_ERR_EOF, or a TLS/transport error. */
int ntspool_channel_recv(ntspool_channel *ch);

/* Makes room for the next message after the current one was handled. */
void ntspool_channel_consume(ntspool_channel *ch);

/* Sends tx[0..tx_len) in one TLS record (re-entered after WOULD_BLOCK).
 * Returns 0 when all is sent, NTSPOOL_ERR_WOULD_BLOCK or an error. */
int ntspool_channel_send(ntspool_channel *ch);

/* Sends close_notify.  Returns 0, NTSPOOL_ERR_WOULD_BLOCK or an error. */
int ntspool_channel_close(ntspool_channel *ch);

/* Frees the TLS connection (buffers are the owner's). */
void ntspool_channel_free(ntspool_channel *ch);

/* ---- Sessions ---------------------------------------------------------- */

/* Where a session is; each role uses the states it needs, in this order
 * (a kept-alive connection goes from IDLE back to RECV). */
enum ntspool_state {
  NTSPOOL_ST_HANDSHAKE,
  NTSPOOL_ST_SEND_REQUEST, /* client */
  NTSPOOL_ST_RECV,         /* request (server) or response (client) */
  NTSPOOL_ST_UPSTREAM,     /* pool: working with a time source */
  NTSPOOL_ST_SEND,         /* response (server) */
  NTSPOOL_ST_IDLE, /* time source, kept alive: nothing of the pool's next
                      request has arrived yet */
  NTSPOOL_ST_CLOSE,
  NTSPOOL_ST_DONE
};

/* What a session's next deadline is for (ntspool_session_set_deadline). */
enum ntspool_wait {
  NTSPOOL_WAIT_HANDSHAKE, /* a new connection: its key exchange begins */
  NTSPOOL_WAIT_EXCHANGE,  /* the rest of the key exchange */
  NTSPOOL_WAIT_UPSTREAM,  /* pool: the work with one time source */
  NTSPOOL_WAIT_IDLE,      /* kept alive: the next request */
  NTSPOOL_WAIT_CLOSE      /* the polite close of an idle connection */
};

struct ntspool_pool_work; /* session_pool.c */

/* What only one role needs; a pool session allocates none of it. */
union ntspool_role_part {
  ntspool_cookie cookies[NTSPOOL_MAX_COOKIES]; /* time source */
  struct {
    char host[256];
    char uuid[256]; /* a monitor's probe: the source it names; "" if not */
    ntspool_ke_result result;
    bool has_result;
  } client;
};

struct ntspool_session {
  ntspool_ctx *ctx;                   /* one reference */
  const struct ntspool_role_ops *ops; /* ctx->role_ops */
  enum ntspool_state state;
  int status;                       /* final result once state is DONE */
  ntspool_time_ms deadline;         /* <= session_deadline, always */
  ntspool_time_ms session_deadline; /* the whole key exchange (kept alive:
                                       the wait for the next one) */
  ntspool_outcome outcome;
  ntspool_channel ch;
  ntspool_io io; /* the client-side transport, as given */
  enum ntspool_family family;
  char peer[64];
  bool close_after; /* this response ends the connection */
  bool keep_alive;  /* time source: the connection holds a long-lived permit */
  size_t n_denied;  /* client: the names it sends in Server Deny */
  char **denied;
  struct ntspool_pool_work *pool; /* pool */
  size_t n_regions;               /* pool: ntspool_session_set_regions */
  char regions[NTSPOOL_MAX_CLIENT_REGIONS][64];
  size_t size;                    /* bytes allocated, wiped at free */
  uint8_t *buffers;               /* rx then tx, ctx->max_message each */
  union ntspool_role_part part[]; /* none for a pool session */
};

/* What a role adds to the session machinery every role shares
 * (session.c), chosen once, when the context is made: session.c reaches
 * the role files only through this table, they reach it through the
 * functions below.  Hooks a role does not need are NULL. */
struct ntspool_role_ops {
  size_t part_size;   /* bytes of union ntspool_role_part a session needs */
  bool serves;        /* server side: made by ntspool_session_new_server, and
                         answers a request it cannot frame with Bad Request */
  bool own_numbering; /* speaks ctx->numbering on its own connection (the
                         time source); the other roles speak IANA there */
  /* After the handshake: builds the request the role speaks first with
   * into ch.tx (client).  NULL: the peer speaks first. */
  int (*start)(ntspool_session *s);
  /* A whole message is in ch.rx: servers build the response into ch.tx and
   * choose the next state; the client checks the response. */
  int (*on_message)(ntspool_session *s, ntspool_time_ms now);
  /* Advances the work with time sources (state NTSPOOL_ST_UPSTREAM).  The
   * role checks the deadlines there itself: a passed one may end only the
   * work with one time source, and another is tried. */
  int (*step_upstream)(ntspool_session *s, ntspool_time_ms now);
  /* The upstream connection (channel, and its io in *io) the session
   * works with in NTSPOOL_ST_UPSTREAM, or NULL. */
  const ntspool_channel *(*upstream_channel)(const ntspool_session *s,
                                             const ntspool_io **io);
  /* Copies the result of a session that finished with 0.
   * Returns 0 or NTSPOOL_ERR_STATE. */
  int (*result)(const ntspool_session *s, ntspool_ke_result *out);
  /* Releases what the role holds, when the session is freed. */
  void (*release)(ntspool_session *s);
};

extern const struct ntspool_role_ops ntspool_pool_role;
extern const struct ntspool_role_ops ntspool_source_role;
extern const struct ntspool_role_ops ntspool_client_role;

/* Allocates a session of ctx's role over `io` with TLS from `tls` (a
 * client passes the server name), deadlines starting at `now`, state
 * HANDSHAKE.  Returns 0, NTSPOOL_ERR_INVALID_ARG, NTSPOOL_ERR_STATE (ctx
 * not ready), NTSPOOL_ERR_NO_MEMORY or a TLS setup error. */
int ntspool_session_alloc(ntspool_ctx *ctx, const ntspool_io *io,
                          ntspool_tls_config *tls, const char *server_name,
                          ntspool_time_ms now, ntspool_session **out);

/* Puts an Error record answer into ch.tx and moves to SEND; the
 * connection closes after it. */
void ntspool_session_answer_error(ntspool_session *s, uint16_t code);

/* Sends the response the role built into ch.tx (build_status 0), or
 * Internal Server Error if building it failed; closes afterwards when
 * close_after.  Returns 0. */
int ntspool_session_respond(ntspool_session *s, int build_status,
                            bool close_after);

/* The one deadline computation: sets s->deadline for what the session
 * waits on next, `what`, from `now`.  A key exchange ends by
 * s->session_deadline (key-exchange-timeout-ms after the connection was
 * made) and no part of it (the handshake, the work with one time source:
 * timesource-timeout-ms) outlasts that; on a kept-alive connection the
 * wait for the next request (idle-timeout-ms), then the polite close
 * (handshake-timeout-ms), each take the key exchange's place. */
void ntspool_session_set_deadline(ntspool_session *s, enum ntspool_wait what,
                                  ntspool_time_ms now);

/* Ends the session with `status`. */
int ntspool_session_finish(ntspool_session *s, int status);

#endif
