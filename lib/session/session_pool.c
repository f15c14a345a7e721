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

enum up_state {
  UP_SELECT,
  UP_SUPPORT,  /* support query in flight */
  UP_FIXED_KEY /* Fixed Key Request in flight: keys are out */
};

struct ntspool_pool_work {
  ntspool_registry *reg;
  ntspool_request req; /* views into the session's rx buffer */
  ntspool_client_prefs prefs;
  const char *regions[NTSPOOL_MAX_CLIENT_REGIONS]; /* prefs.regions */
  ntspool_attempts attempts;
  ntspool_selection sel;
  enum up_state state;
  ntspool_upconn *up;
  bool up_reused; /* came from the connection cache */
  ntspool_time_ms up_deadline;
  ntspool_time_ms exchange_started; /* of the request in flight */
  int refusal; /* NO_PROTOCOL / NO_AEAD from a source's capabilities */
  bool refusal_has_protocol;
  uint16_t refusal_protocol;
  bool probe; /* a monitor's probe of the source its UUID named */
  char source_name[128];
};

static void free_work(ntspool_session *s) {
  struct ntspool_pool_work *w = s->pool;
  if (!w)
    return;
  ntspool_upconn_close(w->up);
  ntspool_registry_unref(w->reg);
  ntspool_ctx_free_mem(s->ctx, w);
  s->pool = NULL;
}

/* Ends the upstream part with an answer built into ch.tx (build_status 0)
 * or, if building it failed, Internal Server Error. */
static void leave_upstream(ntspool_session *s) {
  ntspool_upconn_close(s->pool->up);
  s->pool->up = NULL;
  s->deadline = s->session_deadline;
}

static int to_client(ntspool_session *s, int build_status) {
  leave_upstream(s);
  return ntspool_session_respond(s, build_status, true);
}

static int answer_error(ntspool_session *s, uint16_t code, int reason) {
  s->outcome.status = reason;
  leave_upstream(s);
  ntspool_session_answer_error(s, code);
  return 0;
}

static int answer_no_overlap(ntspool_session *s, bool has_protocol,
                             uint16_t protocol, int reason) {
  s->outcome.status = reason;
  return to_client(
      s, ntspool_build_no_overlap_response(
             s->ch.tx, s->ch.tx_cap, &s->ch.tx_len, has_protocol, protocol));
}

static int connect_source(ntspool_session *s, ntspool_time_ms now);
static int start_support(ntspool_session *s, ntspool_time_ms now);

/* A source's TLS failure (most often its certificate: expired, wrong
 * name, unknown CA) is the operator's to fix, so it is a warning whatever
 * the level of the source's other failures. */
static enum ntspool_log_level tls_level(int why,
                                        enum ntspool_log_level otherwise) {
  return why == NTSPOOL_ERR_TLS ? NTSPOOL_LOG_WARNING : otherwise;
}

/* A probe ends at its first failure, answered as the nts-pool monitor
 * expects; its source's health stays as it was. */
static int probe_failed(ntspool_session *s, bool keys_sent, int why,
                        uint16_t source_code, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  (void)now;
  ntspool_policy_record_probe(s->ctx->policy, w->sel.source, s->family, false);
  uint16_t code = ntspool_probe_error(keys_sent, why, source_code);
  char text[320];
  ntspool_log(s->ctx, NTSPOOL_LOG_INFO, "pool",
              "peer=%s monitor probe source=%s failed: %s (error %u)", s->peer,
              w->source_name, ntspool_upconn_why(w->up, why, text, sizeof text),
              code);
  return answer_error(s, code, why);
}

/* Before keys were sent: this source failed; try another.  A cached
 * connection the source dropped while idle says nothing about the source:
 * the query is repeated once on a fresh connection instead. */
static void source_failed(ntspool_session *s, int why, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  if (w->probe) {
    probe_failed(s, false, why, 0, now);
    return;
  }
  if (w->up_reused && w->state == UP_SUPPORT) {
    ntspool_upconn_close(w->up);
    w->up = NULL;
    int rc = ntspool_upconn_open(s->ctx, w->sel.source, s->family, now,
                                 s->deadline, &w->up);
    if (rc == 0 && start_support(s, now) == 0) {
      w->up_reused = false;
      return;
    }
    if (rc == NTSPOOL_ERR_NO_MEMORY) { /* ours, not the source's */
      answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc);
      return;
    }
  }
  char text[320];
  ntspool_log(s->ctx, tls_level(why, NTSPOOL_LOG_DEBUG), "pool",
              "peer=%s source=%s failed before keys were sent: %s", s->peer,
              ntspool_source_name(w->sel.source),
              ntspool_upconn_why(w->up, why, text, sizeof text));
  ntspool_policy_record_result(s->ctx->policy, w->sel.source, s->family, false,
                               now);
  ntspool_upconn_close(w->up);
  w->up = NULL;
  w->state = UP_SELECT;
}

/* Gets a connection to the selected source: a live cached one, else new. */
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

static int start_support(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  w->exchange_started = now;
  size_t len;
  int rc = ntspool_build_support_request(
      w->up->ch.tx, w->up->cap, &len, ntspool_source_numbering(w->sel.source),
      ntspool_source_token(w->sel.source), support_wants(w->sel.source), true);
  if (rc)
    return rc;
  ntspool_upconn_begin(w->up, len);
  w->state = UP_SUPPORT;
  return 0;
}

/* Exports the client's keys and puts them into the Fixed Key Request.  The
 * keys live only in this frame and the upstream tx buffer, both wiped. */
static int start_fixed_key(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  w->exchange_started = now;
  uint8_t c2s[NTSPOOL_MAX_KEY_LEN], s2c[NTSPOOL_MAX_KEY_LEN];
  int rc = ntspool_tls_export_keys(s->ch.tls, w->sel.protocol, w->sel.aead,
                                   w->sel.key_len, c2s, s2c);
  size_t len = 0;
  if (rc == 0)
    rc = ntspool_build_fixed_key_request(
        w->up->ch.tx, w->up->cap, &len, ntspool_source_numbering(w->sel.source),
        ntspool_source_token(w->sel.source), w->sel.protocol, w->sel.aead, c2s,
        s2c, w->sel.key_len, true);
  ntspool_zeroize(c2s, sizeof c2s);
  ntspool_zeroize(s2c, sizeof s2c);
  if (rc)
    return rc;
  ntspool_upconn_begin(w->up, len);
  w->state = UP_FIXED_KEY;
  return 0;
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

static int support_answered(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  ntspool_support sup;
  ntspool_log_records(s->ctx, "pool", s->peer, "support answer", w->up->ch.rx,
                      w->up->ch.msg_len,
                      ntspool_source_numbering(w->sel.source));
  int rc = ntspool_parse_support_response(
      w->up->ch.rx, w->up->ch.msg_len, ntspool_source_numbering(w->sel.source),
      support_wants(w->sel.source), &sup);
  if (rc == 0)
    rc = ntspool_policy_caps_store(s->ctx->policy, w->sel.source, s->family,
                                   &sup, now);
  record_latency(s, NTSPOOL_EXCHANGE_SUPPORT, rc == 0, now);
  if (rc) {
    source_failed(s, rc, now);
    return 0;
  }
  bool keep = sup.keep_alive;
  rc = ntspool_policy_negotiate(s->ctx->policy, w->sel.source, &w->prefs, now,
                                &w->sel);
  if (w->probe &&
      (rc == NTSPOOL_ERR_NO_PROTOCOL || rc == NTSPOOL_ERR_NO_AEAD)) {
    release_connection(s, keep, now);
    ntspool_policy_record_probe(s->ctx->policy, w->sel.source, s->family,
                                false);
    return answer_no_overlap(s, w->sel.has_protocol, w->sel.protocol, rc);
  }
  if (rc == NTSPOOL_ERR_NO_PROTOCOL || rc == NTSPOOL_ERR_NO_AEAD) {
    /* Healthy, but cannot serve this client: remember why, try another. */
    w->refusal = rc;
    w->refusal_has_protocol = w->sel.has_protocol;
    w->refusal_protocol = w->sel.protocol;
    release_connection(s, keep, now);
    w->state = UP_SELECT;
    return 0;
  }
  if (rc) {
    source_failed(s, rc, now);
    return 0;
  }
  if (!keep) { /* it will not take another request on this connection */
    release_connection(s, false, now);
    if ((rc = connect_source(s, now)) != 0) {
      source_failed(s, rc, now);
      return 0;
    }
  }
  rc = start_fixed_key(s, now);
  return rc ? answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc) : 0;
}

/* The source's answer to the Fixed Key Request, relayed to the client
 * with only what RFC 8915 allows. */
static int keys_answered(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  ntspool_response r;
  ntspool_log_records(s->ctx, "pool", s->peer, "fixed key answer", w->up->ch.rx,
                      w->up->ch.msg_len,
                      ntspool_source_numbering(w->sel.source));
  int rc =
      ntspool_parse_ke_response(w->up->ch.rx, w->up->ch.msg_len,
                                ntspool_source_numbering(w->sel.source), &r);
  if (rc == 0 && (r.protocol != w->sel.protocol || r.aead != w->sel.aead))
    rc = NTSPOOL_ERR_BAD_RESPONSE;
  if (rc == 0 && r.n_cookies == 0)
    rc = NTSPOOL_ERR_BAD_RESPONSE;
  record_latency(s, NTSPOOL_EXCHANGE_FIXED_KEY, rc == 0, now);
  if (w->probe && rc) {
    release_connection(s, false, now);
    return probe_failed(s, true, rc, r.error_code, now);
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
  rc = ntspool_build_ke_response(s->ch.tx, s->ch.tx_cap, &s->ch.tx_len,
                                 NTSPOOL_NUMBERING_IANA, &a);
  release_connection(s, r.keep_alive, now);
  ntspool_log(s->ctx, NTSPOOL_LOG_DEBUG, "pool",
              "peer=%s source=%s protocol=%u aead=%u cookies=%zu", s->peer,
              w->source_name, r.protocol, r.aead, r.n_cookies);
  return to_client(s, rc);
}

static int use_source(ntspool_session *s, ntspool_time_ms now);

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
  return use_source(s, now);
}

/* Starts the exchange with w->sel.source: connect, then the Fixed Key
 * Request when fresh capabilities settled the negotiation, else a support
 * query. */
static int use_source(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  int rc;
  snprintf(w->source_name, sizeof w->source_name, "%s",
           ntspool_source_name(w->sel.source));
  s->outcome.source_name = w->source_name;
  s->outcome.region = w->sel.region;
  s->outcome.subpool = w->sel.subpool;
  w->up_deadline = now + s->ctx->upstream_timeout_ms;
  s->deadline = w->up_deadline < s->session_deadline ? w->up_deadline
                                                     : s->session_deadline;
  /* Running out of memory is the pool's failure, not the source's. */
  if ((rc = connect_source(s, now)) == NTSPOOL_ERR_NO_MEMORY)
    return answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc);
  if (rc) {
    source_failed(s, rc, now);
    return 0;
  }
  rc = w->sel.negotiated && w->sel.caps == NTSPOOL_CAPS_HIT
           ? start_fixed_key(s, now)
           : start_support(s, now);
  return rc ? answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc) : 0;
}

static const ntspool_channel *upstream_channel(const ntspool_session *s,
                                               const ntspool_io **io) {
  if (!s->pool || !s->pool->up)
    return NULL;
  *io = &s->pool->up->io;
  return &s->pool->up->ch;
}

/* Runs `start` (which picks a source and starts the work with it).  A new
 * source has a new deadline: the application hears of it before this
 * session waits on the new connection.  Returns 1 to go on, 0 when the
 * session left the upstream state, or NTSPOOL_ERR_WOULD_BLOCK. */
static int start_with(ntspool_session *s, ntspool_time_ms now,
                      int (*start)(ntspool_session *, ntspool_time_ms)) {
  ntspool_time_ms was = s->deadline;
  start(s, now);
  if (s->state != NTSPOOL_ST_UPSTREAM)
    return 0;
  return s->deadline != was ? NTSPOOL_ERR_WOULD_BLOCK : 1;
}

static int upstream_step(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  for (;;) {
    if (now >= s->session_deadline) {
      ntspool_upconn_close(w->up);
      w->up = NULL;
      return ntspool_session_finish(s, NTSPOOL_ERR_TIMEOUT);
    }
    if (w->state == UP_SELECT) {
      int rc = start_with(s, now, select_source);
      if (rc != 1)
        return rc;
      continue;
    }
    int rc = now >= w->up_deadline ? NTSPOOL_ERR_TIMEOUT
                                   : ntspool_upconn_exchange(w->up);
    if (rc == NTSPOOL_ERR_WOULD_BLOCK)
      return rc;
    if (w->state == UP_SUPPORT) {
      if (rc == 0) {
        support_answered(s, now);
      } else {
        record_latency(s, NTSPOOL_EXCHANGE_SUPPORT, false, now);
        source_failed(s, rc, now);
      }
    } else if (rc == 0) {
      return keys_answered(s, now);
    } else if (w->probe) {
      return probe_failed(s, true, rc, 0, now);
    } else { /* keys are out: no other source for this client */
      record_latency(s, NTSPOOL_EXCHANGE_FIXED_KEY, false, now);
      ntspool_policy_record_result(s->ctx->policy, w->sel.source, s->family,
                                   false, now);
      char text[320];
      ntspool_log(s->ctx, tls_level(rc, NTSPOOL_LOG_INFO), "pool",
                  "peer=%s source=%s failed after keys were sent: %s", s->peer,
                  w->source_name,
                  ntspool_upconn_why(w->up, rc, text, sizeof text));
      return answer_error(s, NTSPOOL_NTS_INTERNAL_ERROR, rc);
    }
    if (s->state != NTSPOOL_ST_UPSTREAM)
      return 0;
  }
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

/* A monitor's probe (session.h): the key was checked; the source is the
 * one the UUID names, whatever its weight, flags, back-off or family. */
static int take_probe(ntspool_session *s, ntspool_time_ms now) {
  struct ntspool_pool_work *w = s->pool;
  w->probe = true;
  s->outcome.monitor = true;
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
  return use_source(s, now);
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
  int rc = ntspool_parse_client_request(s->ch.rx, s->ch.msg_len, req);
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
  w->state = UP_SELECT;
  s->state = NTSPOOL_ST_UPSTREAM;
  if (req->kind == NTSPOOL_REQUEST_UUID &&
      (rc = start_with(s, now, take_probe)) != 1)
    return rc;
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
