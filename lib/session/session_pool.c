/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool role: the client-facing NTS-KE server that hands a client's keys
 * to one time source.
 *
 *   request -> select a source -> (capabilities unknown or stale: support
 *   query) -> negotiate -> export the client's keys -> Fixed Key Request
 *   -> answer the client with the source's cookies.
 *
 * The one rule everything here bends around: a client's keys go to at most
 * one time source.  Until the Fixed Key Request is handed to TLS, any
 * failure (connect, handshake, support query, no common algorithm) marks
 * the source and moves on to another, within NTSPOOL_MAX_ATTEMPTS.  From
 * that point on, any failure becomes Internal Server Error to the client.
 * The client never sees Keep Alive or the nts-pool private error codes, and
 * the source's protocol and AEAD must be the ones asked for.
 *
 * A monitor's probe (a UUID request with a monitor key, session.h) takes
 * the same path with one source, named instead of selected: a new
 * connection, no fail-over, no health recorded, and its failures answered
 * with the nts-pool codes (probe.c).
 */
#include <stdio.h>
#include <string.h>

#include "base/crypto.h"
#include "session/upstream.h"

/* The work with time sources, one state at a time (upstream_step runs
 * them).  SELECT and the two waits are where the machine checks the time
 * and may stop; the others pass at once.
 *
 *   SELECT       -> CONNECT      a source was chosen (a new deadline)
 *                -> (answered)   none can serve the client
 *   CONNECT      -> SUPPORT      capabilities unknown or stale: ask
 *                -> FIXED_KEY    fresh capabilities settled the choice
 *                -> SELECT       no connection (a probe: answered)
 *   SUPPORT      -> FIXED_KEY    answered; the connection stays open
 *                -> RECONNECT    answered; the source closes the connection
 *                -> RETRY_FRESH  failed on a cached connection
 *                -> SELECT       failed, or nothing in common with the
 *                                client (a probe: answered)
 *   RETRY_FRESH  -> SUPPORT      the same query on a new connection
 *                -> SELECT       no new connection
 *   RECONNECT    -> FIXED_KEY    a cached or new connection
 *                -> SELECT       none
 *   FIXED_KEY    -> (answered)   the source's cookies, or an error
 *
 * "Answered" leaves NTSPOOL_ST_UPSTREAM with the client's answer queued
 * (also, with Internal Server Error, from any state that cannot build its
 * request); at the key exchange's deadline the session ends unanswered. */
enum up_state {
  UP_SELECT,      /* choose a source (a probe's: the one its UUID names) */
  UP_CONNECT,     /* connect to it and send the first request */
  UP_SUPPORT,     /* support query in flight */
  UP_RETRY_FRESH, /* that failed on a connection kept from an earlier
                     client, which the source may have dropped while idle */
  UP_RECONNECT,   /* another connection for the Fixed Key Request */
  UP_FIXED_KEY    /* Fixed Key Request in flight: keys are out */
};

/* Every step returns what the machine does next: UP_NEXT (go on in the
 * state it entered), NTSPOOL_ERR_WOULD_BLOCK (wait: for the source, or
 * until the application heard of a new deadline), 0 (the session left
 * NTSPOOL_ST_UPSTREAM with its answer queued) or the status the session
 * finished with. */
#define UP_NEXT 1

struct ntspool_pool_work {
  ntspool_registry *reg;
  ntspool_request req; /* views into the session's rx buffer */
  ntspool_client_prefs prefs;
  const char *regions[NTSPOOL_MAX_CLIENT_REGIONS]; /* prefs.regions */
  ntspool_attempts attempts;
  ntspool_selection sel;
  enum up_state state;
  ntspool_upconn *up;
  bool up_reused;     /* came from the connection cache */
  int cached_failure; /* UP_RETRY_FRESH: why the cached connection failed */
  ntspool_time_ms exchange_started; /* of the request in flight */
  int refusal; /* NO_PROTOCOL / NO_AEAD from a source's capabilities */
  bool refusal_has_protocol;
  uint16_t refusal_protocol;
  bool probe; /* a monitor's probe of the source its UUID named */
  char source_name[128];
};

/* Every transition of the machine goes through here; leaving it for the
 * client's answer goes through leave_upstream. */
static int up_enter(ntspool_session *s, enum up_state next) {
  s->pool->state = next;
  return UP_NEXT;
}

static void free_work(ntspool_session *s) {
  struct ntspool_pool_work *w = s->pool;
  if (!w)
    return;
  ntspool_upconn_close(w->up);
  ntspool_registry_unref(w->reg);
  ntspool_ctx_free_mem(s->ctx, w);
  s->pool = NULL;
}

static void close_upstream(struct ntspool_pool_work *w) {
  ntspool_upconn_close(w->up);
  w->up = NULL;
}

/* Ends the work with time sources before the client is answered: the
 * connection closes and the key exchange's deadline holds again. */
static void leave_upstream(ntspool_session *s) {
  close_upstream(s->pool);
  ntspool_session_set_deadline(s, NTSPOOL_WAIT_EXCHANGE, 0);
}

/* Answers the client with the response built into ch.tx (build_status 0)
 * or, if building it failed, Internal Server Error.  Returns 0: the
 * session left the upstream state. */
static int to_client(ntspool_session *s, int build_status) {
  leave_upstream(s);
  return ntspool_session_respond(s, build_status, true);
}

/* Answers the client with an Error record; `reason` is the outcome's
 * status.  Returns 0. */
static int answer_error(ntspool_session *s, uint16_t code, int reason) {
  s->outcome.status = reason;
  leave_upstream(s);
  ntspool_session_answer_error(s, code);
  return 0;
}

/* Answers "nothing in common" (doc/protocol.md section 3.2: an empty
 * protocol list, or the protocol with an empty AEAD list).  Returns 0. */
static int answer_no_overlap(ntspool_session *s, bool has_protocol,
                             uint16_t protocol, int reason) {
  s->outcome.status = reason;
  return to_client(
      s, ntspool_no_overlap_response_build(
             s->ch.tx, s->ch.tx_cap, &s->ch.tx_len, has_protocol, protocol));
}

/* At the key exchange's deadline: no answer, whatever was under way. */
static int give_up(ntspool_session *s) {
  close_upstream(s->pool);
  return ntspool_session_finish(s, NTSPOOL_ERR_TIMEOUT);
}

/* A source's TLS failure (most often its certificate: expired, wrong
 * name, unknown CA) is the operator's to fix, so it is a warning whatever
 * the level of the source's other failures. */
static enum ntspool_log_level tls_level(int why,
                                        enum ntspool_log_level otherwise) {
  return why == NTSPOOL_ERR_TLS ? NTSPOOL_LOG_WARNING : otherwise;
}

/* A probe ends at its first failure, answered as the nts-pool monitor
 * expects; its source's health stays as it was.  Returns 0. */
static int probe_failed(ntspool_session *s, bool keys_sent, int why,
                        uint16_t source_code) {
  struct ntspool_pool_work *w = s->pool;
  ntspool_policy_record_probe(s->ctx->policy, w->sel.source, s->family, false);
  uint16_t code = ntspool_probe_error(keys_sent, why, source_code);
  char text[320];
  ntspool_log(s->ctx, NTSPOOL_LOG_INFO, "pool",
              "peer=%s monitor probe source=%s failed: %s (error %u)", s->peer,
              w->source_name, ntspool_upconn_why(w->up, why, text, sizeof text),
              code);
  return answer_error(s, code, why);
}

/* Before keys were sent: this source failed; another is chosen (a probe
 * ends). */
static int source_failed(ntspool_session *s, int why, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  /* Running out of memory (for a connection or its TLS state) is the
   * pool's failure, not the source's: its health stays as it was. */
  if (why == NTSPOOL_ERR_NO_MEMORY)
    return answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, why);
  if (w->probe)
    return probe_failed(s, false, why, 0);
  char text[320];
  ntspool_log(s->ctx, tls_level(why, NTSPOOL_LOG_DEBUG), "pool",
              "peer=%s source=%s failed before keys were sent: %s", s->peer,
              ntspool_source_name(w->sel.source),
              ntspool_upconn_why(w->up, why, text, sizeof text));
  ntspool_policy_record_result(s->ctx->policy, w->sel.source, s->family, false,
                               now);
  close_upstream(w);
  return up_enter(s, UP_SELECT);
}

/* Gets a connection to the selected source: a live cached one, else new.
 * Returns 0 or why there is none. */
static int connect_source(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  void *conn = NULL;
  ntspool_time_ms created;
  /* A probe measures the path a new client's connection takes, so a kept
   * connection (which may outlive the source's reachability) is not it. */
  w->up_reused = !w->probe &&
                 ntspool_policy_conn_take(s->ctx->policy, w->sel.source,
                                          s->family, now, &conn, &created) == 1;
  if (w->up_reused) {
    w->up = conn;
    return 0;
  }
  return ntspool_upconn_open(s->ctx, w->sel.source, s->family, now, s->deadline,
                             &w->up);
}

/* What a capability query asks: both lists in one message, and the names
 * the source may put in Server records where it implements that. */
static unsigned support_wants(const ntspool_source *src) {
  return NTSPOOL_WANT_PROTOCOLS | NTSPOOL_WANT_ALGORITHMS |
         (ntspool_source_lists_server_names(src) ? NTSPOOL_WANT_SERVER_NAMES
                                                 : 0);
}

/* One finished exchange with the source, for its latency histogram. */
static void record_latency(ntspool_session *s, enum ntspool_exchange kind,
                           bool ok, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  if (w->probe)
    return; /* the histograms describe what ordinary clients get */
  ntspool_policy_record_latency(s->ctx->policy, w->sel.source, s->family, kind,
                                ok, now - w->exchange_started);
}

/* Builds the support query into the upstream connection and starts it.
 * Returns 0 or the build failure. */
static int start_support(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  w->exchange_started = now;
  size_t len;
  int rc = ntspool_support_request_build(
      w->up->ch.tx, w->up->cap, &len, ntspool_source_numbering(w->sel.source),
      ntspool_source_token(w->sel.source), support_wants(w->sel.source), true);
  if (rc)
    return rc;
  ntspool_upconn_begin(w->up, len);
  return 0;
}

/* Exports the client's keys and puts them into the Fixed Key Request.  The
 * keys live only in this frame and the upstream tx buffer, both wiped.
 * Returns 0 or the failure. */
static int start_fixed_key(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  w->exchange_started = now;
  uint8_t c2s[NTSPOOL_MAX_KEY_LEN], s2c[NTSPOOL_MAX_KEY_LEN];
  int rc = ntspool_tls_export_keys(s->ch.tls, w->sel.protocol, w->sel.aead,
                                   w->sel.key_len, c2s, s2c);
  size_t len = 0;
  if (rc == 0)
    rc = ntspool_fixed_key_request_build(
        w->up->ch.tx, w->up->cap, &len, ntspool_source_numbering(w->sel.source),
        ntspool_source_token(w->sel.source), w->sel.protocol, w->sel.aead, c2s,
        s2c, w->sel.key_len, true);
  ntspool_zeroize(c2s, sizeof c2s);
  ntspool_zeroize(s2c, sizeof s2c);
  if (rc)
    return rc;
  ntspool_upconn_begin(w->up, len);
  return 0;
}

/* The requests, once a connection is there: a failure to build one is
 * ours, not the source's, and the client hears Internal Server Error. */
static int send_support(ntspool_session *s, ntspool_time_ms now) {
  int rc = start_support(s, now);
  return rc ? answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc)
            : up_enter(s, UP_SUPPORT);
}

static int send_fixed_key(ntspool_session *s, ntspool_time_ms now) {
  int rc = start_fixed_key(s, now);
  return rc ? answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc)
            : up_enter(s, UP_FIXED_KEY);
}

/* Keeps a connection the source agreed to keep alive, else closes it. */
static void release_connection(ntspool_session *s, bool keep_alive,
                               ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  ntspool_upconn *c = w->up;
  w->up = NULL;
  if (keep_alive) {
    ntspool_channel_consume(&c->ch);
    if (ntspool_policy_conn_put(s->ctx->policy, w->sel.source, s->family, c,
                                c->created_at, now) >= 0)
      return;
  }
  ntspool_upconn_close(c);
}

/* ---- The states ------------------------------------------------------- */

/* The source is chosen: it names the outcome and has its own deadline. */
static int source_chosen(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  snprintf(w->source_name, sizeof w->source_name, "%s",
           ntspool_source_name(w->sel.source));
  s->outcome.source_name = w->source_name;
  s->outcome.region = w->sel.region;
  s->outcome.subpool = w->sel.subpool;
  ntspool_session_set_deadline(s, NTSPOOL_WAIT_UPSTREAM, now);
  return up_enter(s, UP_CONNECT);
}

/* UP_SELECT, a client's request: the policy chooses. */
static int select_source(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  int rc = ntspool_policy_select(s->ctx->policy, w->reg, &w->prefs,
                                 &w->attempts, NULL, now, &w->sel);
  if (rc == NTSPOOL_ERR_NO_PROTOCOL || rc == NTSPOOL_ERR_NO_AEAD)
    return answer_no_overlap(s, w->sel.has_protocol, w->sel.protocol, rc);
  if (rc == NTSPOOL_ERR_NO_SOURCE && w->refusal)
    return answer_no_overlap(s, w->refusal_has_protocol, w->refusal_protocol,
                             w->refusal);
  if (rc) {
    ntspool_log(s->ctx, NTSPOOL_LOG_INFO, "pool", "peer=%s no source: %s",
                s->peer, ntspool_strerror(rc));
    return answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc);
  }
  return source_chosen(s, now);
}

/* UP_SELECT, a monitor's probe (session.h): the key was checked; the
 * source is the one the UUID names, whatever its weight, flags, back-off
 * or family. */
static int take_probed_source(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  const ntspool_source *src = ntspool_registry_find_uuid(w->reg, w->req.uuid);
  if (!src) {
    ntspool_log(s->ctx, NTSPOOL_LOG_INFO, "pool",
                "peer=%s monitor probe of an unknown uuid", s->peer);
    return answer_error(s, NTSPOOL_NTS_NO_SUCH_SERVER, NTSPOOL_ERR_NOT_FOUND);
  }
  w->sel = (ntspool_selection){.source = src};
  int rc =
      ntspool_policy_negotiate(s->ctx->policy, src, &w->prefs, now, &w->sel);
  if (w->sel.caps == NTSPOOL_CAPS_HIT &&
      (rc == NTSPOOL_ERR_NO_PROTOCOL || rc == NTSPOOL_ERR_NO_AEAD))
    return answer_no_overlap(s, w->sel.has_protocol, w->sel.protocol, rc);
  return source_chosen(s, now);
}

/* UP_CONNECT: the Fixed Key Request at once when fresh capabilities
 * settled the negotiation, else a support query. */
static int connect_chosen(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  int rc = connect_source(s, now);
  if (rc)
    return source_failed(s, rc, now);
  return w->sel.negotiated && w->sel.caps == NTSPOOL_CAPS_HIT
             ? send_fixed_key(s, now)
             : send_support(s, now);
}

/* UP_SUPPORT failed.  A cached connection the source dropped while idle
 * says nothing about the source: the query is repeated once on a new
 * connection (doc/protocol.md section 5.7; a probe never takes a cached
 * one). */
static int support_failed(ntspool_session *s, int why, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  if (w->up_reused) {
    w->cached_failure = why;
    return up_enter(s, UP_RETRY_FRESH);
  }
  return source_failed(s, why, now);
}

/* UP_SUPPORT ended: rc is the exchange's result. */
static int support_answered(ntspool_session *s, int rc, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  ntspool_support sup;
  if (rc == 0) {
    ntspool_log_records(s->ctx, "pool", s->peer, "support answer", w->up->ch.rx,
                        w->up->ch.msg_len,
                        ntspool_source_numbering(w->sel.source));
    rc = ntspool_support_response_parse(w->up->ch.rx, w->up->ch.msg_len,
                                        ntspool_source_numbering(w->sel.source),
                                        support_wants(w->sel.source), &sup);
    if (rc == 0)
      rc = ntspool_policy_caps_store(s->ctx->policy, w->sel.source, s->family,
                                     &sup, now);
  }
  record_latency(s, NTSPOOL_EXCHANGE_SUPPORT, rc == 0, now);
  if (rc)
    return support_failed(s, rc, now);
  bool keep = sup.keep_alive;
  rc = ntspool_policy_negotiate(s->ctx->policy, w->sel.source, &w->prefs, now,
                                &w->sel);
  if (rc == NTSPOOL_ERR_NO_PROTOCOL || rc == NTSPOOL_ERR_NO_AEAD) {
    release_connection(s, keep, now);
    if (w->probe) {
      ntspool_policy_record_probe(s->ctx->policy, w->sel.source, s->family,
                                  false);
      return answer_no_overlap(s, w->sel.has_protocol, w->sel.protocol, rc);
    }
    /* Healthy, but cannot serve this client: remember why, try another. */
    w->refusal = rc;
    w->refusal_has_protocol = w->sel.has_protocol;
    w->refusal_protocol = w->sel.protocol;
    return up_enter(s, UP_SELECT);
  }
  if (rc)
    return support_failed(s, rc, now);
  if (!keep) { /* it will not take another request on this connection */
    release_connection(s, false, now);
    return up_enter(s, UP_RECONNECT);
  }
  return send_fixed_key(s, now);
}

/* UP_RETRY_FRESH: the support query again, on a new connection; failing
 * that, the source failed as the cached connection did. */
static int retry_fresh(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  close_upstream(w);
  int rc = ntspool_upconn_open(s->ctx, w->sel.source, s->family, now,
                               s->deadline, &w->up);
  if (rc == 0 && start_support(s, now) == 0) {
    w->up_reused = false;
    return up_enter(s, UP_SUPPORT);
  }
  return source_failed(s, rc == NTSPOOL_ERR_NO_MEMORY ? rc : w->cached_failure,
                       now);
}

/* UP_RECONNECT */
static int reconnect(ntspool_session *s, ntspool_time_ms now) {
  int rc = connect_source(s, now);
  return rc ? source_failed(s, rc, now) : send_fixed_key(s, now);
}

/* UP_FIXED_KEY failed: keys are out, so no other source for this client. */
static int keys_failed(ntspool_session *s, int why, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  if (w->probe)
    return probe_failed(s, true, why, 0);
  record_latency(s, NTSPOOL_EXCHANGE_FIXED_KEY, false, now);
  ntspool_policy_record_result(s->ctx->policy, w->sel.source, s->family, false,
                               now);
  char text[320];
  ntspool_log(s->ctx, tls_level(why, NTSPOOL_LOG_INFO), "pool",
              "peer=%s source=%s failed after keys were sent: %s", s->peer,
              w->source_name,
              ntspool_upconn_why(w->up, why, text, sizeof text));
  return answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, why);
}

/* UP_FIXED_KEY ended: the source's answer is relayed to the client with
 * only what RFC 8915 allows. */
static int keys_answered(ntspool_session *s, int rc, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  if (rc)
    return keys_failed(s, rc, now);
  ntspool_response r;
  ntspool_log_records(s->ctx, "pool", s->peer, "fixed key answer", w->up->ch.rx,
                      w->up->ch.msg_len,
                      ntspool_source_numbering(w->sel.source));
  rc = ntspool_ke_response_parse(w->up->ch.rx, w->up->ch.msg_len,
                                 ntspool_source_numbering(w->sel.source), &r);
  if (rc == 0 && (r.protocol != w->sel.protocol || r.aead != w->sel.aead))
    rc = NTSPOOL_ERR_BAD_RESPONSE;
  if (rc == 0 && r.n_cookies == 0)
    rc = NTSPOOL_ERR_BAD_RESPONSE;
  record_latency(s, NTSPOOL_EXCHANGE_FIXED_KEY, rc == 0, now);
  if (w->probe && rc) {
    release_connection(s, false, now);
    return probe_failed(s, true, rc, r.error_code);
  }
  if (w->probe)
    ntspool_policy_record_probe(s->ctx->policy, w->sel.source, s->family, true);
  else
    ntspool_policy_record_result(s->ctx->policy, w->sel.source, s->family,
                                 rc == 0, now);
  if (rc) {
    ntspool_log(s->ctx, NTSPOOL_LOG_INFO, "pool",
                "peer=%s source=%s refused the keys: %s", s->peer,
                w->source_name, ntspool_strerror(rc));
    return answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc);
  }
  /* The draft requires a Server record: the source's, else its domain. */
  const char *domain = ntspool_source_domain(w->sel.source);
  ntspool_bytes server = r.server;
  if (server.len)
    ntspool_policy_learn_server_name(s->ctx->policy, w->sel.source, server);
  else
    server = (ntspool_bytes){(const uint8_t *)domain, strlen(domain)};
  ntspool_ke_answer a = {.protocol = r.protocol,
                         .aead = r.aead,
                         .cookies = r.cookies,
                         .n_cookies = r.n_cookies,
                         .server = server,
                         .has_port = r.has_port,
                         .port = r.port,
                         .compliant_128gcm =
                             r.aead == NTSPOOL_AEAD_AES_128_GCM_SIV,
                         .keep_alive = false};
  rc = ntspool_ke_response_build(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len,
                                 NTSPOOL_NUMBERING_IANA, &a);
  release_connection(s, r.keep_alive, now);
  ntspool_log(s->ctx, NTSPOOL_LOG_DEBUG, "pool",
              "peer=%s source=%s protocol=%u aead=%u cookies=%zu", s->peer,
              w->source_name, r.protocol, r.aead, r.n_cookies);
  return to_client(s, rc);
}

/* UP_SUPPORT and UP_FIXED_KEY: waits for the answer to the request in
 * flight, then hands `answered` the exchange's result (NTSPOOL_ERR_TIMEOUT
 * at this source's deadline). */
static int await_answer(ntspool_session *s, ntspool_time_ms now,
                        int (*answered)(ntspool_session *, int,
                                        ntspool_time_ms)) {
  int rc = now >= s->deadline ? NTSPOOL_ERR_TIMEOUT
                              : ntspool_upconn_exchange(s->pool->up);
  return rc == NTSPOOL_ERR_WOULD_BLOCK ? rc : answered(s, rc, now);
}

static int await_support(ntspool_session *s, ntspool_time_ms now) {
  return await_answer(s, now, support_answered);
}

static int await_keys(ntspool_session *s, ntspool_time_ms now) {
  return await_answer(s, now, keys_answered);
}

static int choose_source(ntspool_session *s, ntspool_time_ms now) {
  return s->pool->probe ? take_probed_source(s, now) : select_source(s, now);
}

/* What each state does, and whether the machine may stop there (then the
 * time is checked first). */
static const struct {
  int (*run)(ntspool_session *s, ntspool_time_ms now);
  bool may_stop;
} up_states[] = {
    [UP_SELECT] = {choose_source, true},
    [UP_CONNECT] = {connect_chosen, false},
    [UP_SUPPORT] = {await_support, true},
    [UP_RETRY_FRESH] = {retry_fresh, false},
    [UP_RECONNECT] = {reconnect, false},
    [UP_FIXED_KEY] = {await_keys, true},
};

/* Runs the machine until it waits or the session leaves the upstream
 * state.  Where it may stop it checks the time first: a new source's
 * deadline goes to the application before the session waits on it
 * (session.h, "Driving a session"), and at the key exchange's deadline the
 * session ends.  The deadline of the source in use is s->deadline, which
 * never passes the key exchange's. */
static int upstream_step(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  ntspool_time_ms told = s->deadline; /* what the application waits with */
  int rc = UP_NEXT;
  while (rc == UP_NEXT) {
    if (up_states[w->state].may_stop) {
      if (s->deadline != told)
        return NTSPOOL_ERR_WOULD_BLOCK;
      if (now >= s->session_deadline)
        return give_up(s);
    }
    rc = up_states[w->state].run(s, now);
  }
  return rc;
}

static const ntspool_channel *upstream_channel(const ntspool_session *s,
                                               const ntspool_io **io) {
  if (!s->pool || !s->pool->up)
    return NULL;
  *io = &s->pool->up->io;
  return &s->pool->up->ch;
}

/* The numbered group a TLS server name asks for: "0.pool.example" is
 * group 0 (returned as 1), ..., "3." group 3; any other name, or none,
 * the whole set (0). */
static unsigned subpool_of(const char *server_name) {
  if (server_name != NULL && server_name[0] >= '0' && server_name[0] <= '3' &&
      server_name[1] == '.' && server_name[2] != '\0')
    return (unsigned)(server_name[0] - '0') + 1;
  return 0;
}

static int take_request(ntspool_session *s, ntspool_time_ms now) {
  ntspool_request *req;
  struct ntspool_pool_work *w = ntspool_ctx_alloc(s->ctx, sizeof *w);
  if (!w) { /* the client still hears why (RFC 8915 4.1.3) */
    s->outcome.status = NTSPOOL_ERR_NO_MEMORY;
    ntspool_session_answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR);
    return 0;
  }
  s->pool = w;
  req = &w->req;
  int rc = ntspool_client_request_parse(s->ch.rx, s->ch.msg_len, req);
  if (rc == 0 && req->kind == NTSPOOL_REQUEST_UUID &&
      !ntspool_monitor_key_ok(s->ctx, req->token)) {
    /* As the NTS pool's KE answers a key it does not know. */
    ntspool_log(s->ctx, NTSPOOL_LOG_INFO, "pool",
                "peer=%s UUID request with an unknown monitor key", s->peer);
    return answer_error(s, NTSPOOL_NTS_BAD_REQUEST, NTSPOOL_ERR_AUTH);
  }
  if (rc) {
    ntspool_log(s->ctx, NTSPOOL_LOG_DEBUG, "pool",
                "peer=%s request refused: %s", s->peer, ntspool_strerror(rc));
    return answer_error(s, ntspool_nts_error_for(rc), rc);
  }
  w->reg = ntspool_policy_acquire(s->ctx->policy);
  ntspool_client_prefs_from_request(req, s->family, &w->prefs);
  for (size_t i = 0; i < s->n_regions; i++)
    w->regions[i] = s->regions[i];
  w->prefs.regions = w->regions;
  w->prefs.n_regions = s->n_regions;
  w->prefs.subpool = subpool_of(ntspool_tls_server_name(s->ch.tls));
  if (req->kind == NTSPOOL_REQUEST_UUID)
    w->probe = s->outcome.monitor = true;
  up_enter(s, UP_SELECT);
  s->state = NTSPOOL_ST_UPSTREAM;
  return upstream_step(s, now);
}

int ntspool_session_set_regions(ntspool_session *s, const char *const *regions,
                                size_t n_regions) {
  if (s == NULL || (n_regions > 0 && regions == NULL) ||
      n_regions > NTSPOOL_MAX_CLIENT_REGIONS)
    return NTSPOOL_ERR_INVALID_ARG;
  if (s->ops != &ntspool_pool_role)
    return NTSPOOL_ERR_STATE;
  for (size_t i = 0; i < n_regions; i++) {
    size_t len = regions[i] != NULL ? strlen(regions[i]) : 0;
    if (len == 0 || len >= sizeof s->regions[i])
      return NTSPOOL_ERR_INVALID_ARG;
  }
  for (size_t i = 0; i < n_regions; i++)
    memcpy(s->regions[i], regions[i], strlen(regions[i]) + 1);
  s->n_regions = n_regions;
  return 0;
}

/* A pool session allocates its upstream work only when a request came. */
const struct ntspool_role_ops ntspool_pool_role = {
    .part_size = 0,
    .serves = true,
    .on_message = take_request,
    .step_upstream = upstream_step,
    .upstream_channel = upstream_channel,
    .release = free_work};
