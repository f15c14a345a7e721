/* SPDX-License-Identifier: BSD-2-Clause */
/* The in-process pool of world.h. */
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls/tls.h"

#define TOKEN "c680e5f1c4f161968dd9b72f271ca5e7d17b0fe2e71e20b7ba4002b9252dd751"

static void must(int rc, const char *what, ntspool_ctx *ctx) {
  if (rc) {
    fprintf(stderr, "world: %s: %s %s\n", what, ntspool_strerror(rc),
            ctx ? ntspool_ctx_error(ctx) : "");
    abort();
  }
}

static void set(ntspool_ctx *ctx, const char *sec, const char *k,
                const char *v) {
  char what[160];
  snprintf(what, sizeof what, "[%s] %s = %s", sec, k, v);
  must(ntspool_ctx_set(ctx, sec, k, v), what, ctx);
}

/* ---- Time sources ------------------------------------------------------ */

static int make_cookies(void *user, uint16_t protocol, uint16_t aead,
                        const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                        ntspool_cookie *cookies, size_t max) {
  world_source *src = user;
  world *w = src->w;
  if (w->n_keys < WORLD_MAX_KEYS) {
    world_keys *k = &w->keys[w->n_keys++];
    k->source = src->index;
    k->protocol = protocol;
    k->aead = aead;
    k->key_len = key_len;
    memcpy(k->c2s, c2s, key_len);
    memcpy(k->s2c, s2c, key_len);
  }
  if (src->fault == WORLD_CLOSE_AFTER_KEYS && w->stepping) {
    ntspool_test_pipe_shutdown(w->stepping->pipe, 1);
    return NTSPOOL_ERR_IO;
  }
  if (src->fault == WORLD_ERROR_AFTER_KEYS)
    return NTSPOOL_ERR_IO;
  if (src->fault == WORLD_STALL_AFTER_KEYS && w->stepping) {
    /* Swallow everything: the answer is lost and no EOF follows. */
    ntspool_test_pipe_set_io_error(w->stepping->pipe, 1, true);
    w->stepping->frozen = true;
    return NTSPOOL_ERR_IO;
  }
  for (size_t i = 0; i < max; i++) {
    cookies[i].len =
        (size_t)snprintf((char *)cookies[i].data, sizeof cookies[i].data,
                         "cookie-%d-%zu-%u", src->index, i, aead);
  }
  return (int)max;
}

static void capture_log(void *user, enum ntspool_log_level level,
                        const char *component, const char *line) {
  world *w = user;
  int n =
      snprintf(w->log + w->log_len, sizeof w->log - w->log_len, "%s %s: %s\n",
               ntspool_log_level_name(level), component, line);
  if (n > 0 && (size_t)n < sizeof w->log - w->log_len)
    w->log_len += (size_t)n;
}

static bool cert_auth;   /* world_init_cert_auth */
static bool from_memory; /* world_init_pem */

char *world_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *buf = malloc(65536);
  if (!f || !buf)
    abort();
  *len = fread(buf, 1, 65535, f);
  buf[*len] = '\0';
  fclose(f);
  return buf;
}

/* [section]'s certificate and key: tests/pki/NAME.pem and .key, by path
 * or from memory (world_init_pem). */
static void set_credentials(ntspool_ctx *ctx, const char *section,
                            const char *name) {
  char chain[64], key[64];
  snprintf(chain, sizeof chain, "tests/pki/%s.pem", name);
  snprintf(key, sizeof key, "tests/pki/%s.key", name);
  if (!from_memory) {
    set(ctx, section, "certificate-chain-path", chain);
    set(ctx, section, "private-key-path", key);
    return;
  }
  size_t chain_len, key_len;
  char *c = world_read_file(chain, &chain_len);
  char *k = world_read_file(key, &key_len);
  must(ntspool_ctx_set_credentials_pem(ctx, section, c, chain_len, k, key_len),
       "credentials from memory", ctx);
  free(c);
  free(k);
}

static void set_ca(ntspool_ctx *ctx, const char *section) {
  if (!from_memory) {
    set(ctx, section, "certificate-authority-path", "tests/pki/ca.pem");
    return;
  }
  size_t len;
  char *ca = world_read_file("tests/pki/ca.pem", &len);
  must(ntspool_ctx_set_ca_pem(ctx, section, ca, len), "CA from memory", ctx);
  free(ca);
}

static const char *const *world_extra; /* world_init's extra keys */

/* world_set_allocator, by role */
static const ntspool_allocator *world_alloc[NTSPOOL_ROLE_CLIENT + 1];

void world_set_allocator(enum ntspool_role role, const ntspool_allocator *a) {
  world_alloc[role] = a;
}

static ntspool_ctx *make_source(world *w, world_source *src, int index,
                                enum ntspool_numbering n, const char *token,
                                const char *pki) {
  ntspool_ctx *ctx;
  must(ntspool_ctx_new(NTSPOOL_ROLE_SOURCE, world_alloc[NTSPOOL_ROLE_SOURCE],
                       &ctx),
       "source ctx", NULL);
  must(ntspool_ctx_set_logger(ctx, capture_log, w, NTSPOOL_LOG_DEBUG), "log",
       ctx);
  if (cert_auth && index >= 0) /* the stranger never knows the pool */
    set(ctx, "time-source", "authorized-pool-certificate-path",
        "tests/pki/pool-client.pem");
  set_credentials(ctx, "time-source", pki);
  set(ctx, "time-source", "accepted-token", token);
  set(ctx, "time-source", "record-numbering",
      n == NTSPOOL_NUMBERING_DRAFT ? "draft" : "iana");
  /* AEADs and the kept-alive limit: the library's defaults (17 and 15,
   * 51), which test_session checks. */
  /* "time-source" keys go to every source, "time-source N" to source N. */
  for (size_t i = 0; world_extra && world_extra[i]; i += 3) {
    char own[32];
    snprintf(own, sizeof own, "time-source %d", index);
    if (strcmp(world_extra[i], "time-source") == 0 ||
        strcmp(world_extra[i], own) == 0)
      set(ctx, "time-source", world_extra[i + 1], world_extra[i + 2]);
  }
  src->w = w;
  src->index = index;
  ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION, make_cookies, src};
  must(ntspool_ctx_set_source_ops(ctx, &ops), "source ops", ctx);
  must(ntspool_ctx_ready(ctx), "source ready", ctx);
  return ctx;
}

/* ---- Upstream callbacks: links are pipes to source sessions ------------ */

static world_link *link_of(world *w, const ntspool_io *io) {
  for (size_t i = 0; i < WORLD_MAX_LINKS; i++)
    if (w->links[i].used && !w->links[i].pool_closed &&
        ntspool_test_pipe_io(w->links[i].pipe, 0)->user_data == io->user_data)
      return &w->links[i];
  return NULL;
}

static int up_open(void *user, const ntspool_upstream_target *t,
                   ntspool_io *io) {
  world *w = user;
  int i = t->source_name[2] - '1'; /* "ts1" -> 0 */
  if (i < 0 || (size_t)i >= w->n_sources)
    return NTSPOOL_ERR_IO;
  world_source *src = &w->sources[i];
  if (src->fault == WORLD_REFUSE)
    return NTSPOOL_ERR_IO;
  world_link *l = NULL;
  for (size_t k = 0; k < WORLD_MAX_LINKS && !l; k++)
    if (!w->links[k].used)
      l = &w->links[k];
  if (!l)
    abort();
  *l = (world_link){.used = true, .source = i};
  l->pipe = ntspool_test_pipe_new(0);
  if (w->pipe_max_per_call)
    for (int e = 0; e < 2; e++)
      ntspool_test_pipe_set_max_per_call(l->pipe, e, w->pipe_max_per_call);
  for (int e = 0; w->pipe_block_alternate && e < 2; e++)
    ntspool_test_pipe_set_block_alternate(l->pipe, e, true);
  src->handshakes++;
  *io = *ntspool_test_pipe_io(l->pipe, 0);
  const ntspool_io *sio = ntspool_test_pipe_io(l->pipe, 1);
  switch (src->fault) {
  case WORLD_CLOSE_AT_ONCE:
    ntspool_test_pipe_shutdown(l->pipe, 1);
    l->source_done = true;
    break;
  case WORLD_STALL:
    l->source_done = true; /* nobody will ever answer */
    break;
  case WORLD_GARBAGE: {
    static const uint8_t junk[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
    sio->send(sio->user_data, junk, sizeof junk - 1);
    l->source_done = true;
    break;
  }
  default: {
    ntspool_peer peer = {4, "pool"};
    /* A source that does not know the pool's token. */
    ntspool_ctx *ctx = src->fault == WORLD_WRONG_TOKEN    ? w->stranger
                       : src->fault == WORLD_EXPIRED_CERT ? w->expired
                                                          : src->ctx;
    if (ntspool_session_new_server(ctx, sio, &peer, w->now, &l->session)) {
      /* Out of memory: a daemon closes the accepted connection. */
      ntspool_test_pipe_shutdown(l->pipe, 1);
      l->source_done = true;
    }
  }
  }
  return 0;
}

static void link_release(world_link *l) {
  if (l->used && l->pool_closed && l->source_done) {
    ntspool_session_free(l->session);
    ntspool_test_pipe_free(l->pipe);
    *l = (world_link){0};
  }
}

static void up_close(void *user, ntspool_io *io) {
  world *w = user;
  world_link *l = link_of(w, io);
  if (!l)
    abort();
  ntspool_test_pipe_shutdown(l->pipe, 0);
  l->pool_closed = true;
  link_release(l);
}

static bool up_reusable(void *user, ntspool_io *io) {
  world *w = user;
  world_link *l = link_of(w, io);
  return !l || ntspool_test_pipe_queued(l->pipe, 0) == 0;
}

static void wants_failed(world *w, const char *why, unsigned want) {
  if (w->wants_bad++ == 0)
    snprintf(w->wants_error, sizeof w->wants_error, "%s (wants %u)", why, want);
}

/* Whether `io` is end `end` of pipe p and its last call would block in a
 * direction `want` names. */
static bool blocked_on(const ntspool_io *io, ntspool_test_pipe *p, int end,
                       unsigned want) {
  return io->user_data == ntspool_test_pipe_io(p, end)->user_data &&
         (ntspool_test_pipe_last_blocked(p, end) & want) != 0;
}

/* Steps s, whose own transport is end `end` of pipe `own`, and checks what
 * it says it waits on (world.h, wants_checked). */
static int step_checked(world *w, ntspool_session *s, ntspool_test_pipe *own,
                        int end) {
  ntspool_time_ms before = ntspool_session_deadline(s);
  int rc = ntspool_session_step(s, w->now);
  const ntspool_io *io = NULL;
  unsigned want = ntspool_session_wants(s, &io);
  if (rc != NTSPOOL_ERR_WOULD_BLOCK) {
    if (want || io)
      wants_failed(w, "a finished session waits", want);
    return rc;
  }
  w->wants_checked++;
  if (!want) {
    if (io || ntspool_session_deadline(s) == before)
      wants_failed(w, "WOULD_BLOCK with nothing awaited, same deadline", 0);
    else
      w->wants_deadline++;
    return rc;
  }
  if (!io || want > (NTSPOOL_IO_READ | NTSPOOL_IO_WRITE)) {
    wants_failed(w, "no transport or bad directions", want);
    return rc;
  }
  if (blocked_on(io, own, end, want)) {
    w->wants_client++;
    return rc;
  }
  for (size_t i = 0; i < WORLD_MAX_LINKS; i++)
    if (w->links[i].used && !w->links[i].pool_closed &&
        blocked_on(io, w->links[i].pipe, 0, want)) {
      w->wants_upstream++;
      return rc;
    }
  wants_failed(w, "the transport named did not block that way", want);
  return rc;
}

void world_step_sources(world *w) {
  for (size_t i = 0; i < WORLD_MAX_LINKS; i++) {
    world_link *l = &w->links[i];
    if (!l->used || l->source_done)
      continue;
    w->stepping = l;
    int rc = step_checked(w, l->session, l->pipe, 1);
    w->stepping = NULL;
    if (rc != NTSPOOL_ERR_WOULD_BLOCK) {
      /* The source hung up: the pool sees EOF after what was sent. */
      if (!l->frozen)
        ntspool_test_pipe_shutdown(l->pipe, 1);
      l->source_done = true;
      link_release(l);
    }
  }
}

ntspool_source_stats world_source_stats(world *w, const char *name) {
  const ntspool_policy *pol = ntspool_ctx_policy(w->pool);
  ntspool_registry *reg = ntspool_policy_acquire(pol);
  ntspool_source_stats st;
  must(ntspool_policy_source_stats(pol, ntspool_registry_find(reg, name),
                                   NTSPOOL_FAMILY_IPV4, w->now, &st),
       name, w->pool);
  ntspool_registry_unref(reg);
  return st;
}

size_t world_links_opened(const world *w, int source) {
  return w->sources[source].handshakes;
}

static int unreachable_open(void *user, const ntspool_upstream_target *t,
                            ntspool_io *io) {
  (void)user, (void)t, (void)io;
  return NTSPOOL_ERR_IO;
}

static void unreachable_close(void *user, ntspool_io *io) {
  (void)user, (void)io;
}

static bool unreachable_reusable(void *user, ntspool_io *io) {
  (void)user, (void)io;
  return true;
}

const ntspool_upstream_ops world_unreachable_upstream = {
    NTSPOOL_UPSTREAM_OPS_VERSION, unreachable_open, unreachable_close,
    unreachable_reusable, NULL};

/* ---- Set-up ------------------------------------------------------------ */

ntspool_ctx *world_new_pool(world *w, ntspool_ctx *previous,
                            const char *const *extra) {
  ntspool_ctx *pool;
  must(
      ntspool_ctx_new(NTSPOOL_ROLE_POOL, world_alloc[NTSPOOL_ROLE_POOL], &pool),
      "pool ctx", NULL);
  if (previous)
    must(ntspool_ctx_keep_state(pool, previous), "keep state", pool);
  must(ntspool_ctx_set_logger(pool, capture_log, w, NTSPOOL_LOG_DEBUG), "log",
       pool);
  if (cert_auth)
    set_credentials(pool, "upstream-tls", "pool-client");
  set_credentials(pool, "server", "localhost");
  set_ca(pool, "upstream-tls");
  for (size_t i = 0; i < w->n_sources; i++) {
    char sec[32], domain[32];
    snprintf(sec, sizeof sec, "upstream ts%zu", i + 1);
    snprintf(domain, sizeof domain, "ts%zu.test", i + 1);
    set(pool, sec, "domain", domain);
    if (!cert_auth)
      set(pool, sec, "auth-token", TOKEN);
    set(pool, sec, "record-numbering",
        w->n_numbering == NTSPOOL_NUMBERING_DRAFT ? "draft" : "iana");
  }
  for (size_t i = 0; extra && extra[i]; i += 3)
    if (strcmp(extra[i], "client") != 0 &&
        strncmp(extra[i], "time-source", 11) != 0)
      set(pool, extra[i], extra[i + 1], extra[i + 2]);
  ntspool_upstream_ops ops = {NTSPOOL_UPSTREAM_OPS_VERSION, up_open, up_close,
                              up_reusable, w};
  must(ntspool_ctx_set_upstream_ops(pool, &ops), "upstream ops", pool);
  must(ntspool_ctx_ready(pool), "pool ready", pool);
  return pool;
}

void world_init(world *w, size_t n_sources, enum ntspool_numbering numbering,
                const char *const *extra) {
  memset(w, 0, sizeof *w);
  w->now = 1000000;
  world_extra = extra;
  w->n_sources = n_sources;
  for (size_t i = 0; i < n_sources; i++)
    w->sources[i].ctx =
        make_source(w, &w->sources[i], (int)i, numbering, TOKEN, "timesource");
  w->stranger = make_source(w, &w->stranger_src, -1, numbering, "another-token",
                            "timesource");
  /* Right names, wrong dates: expiry is the one fault. */
  w->expired = make_source(w, &w->expired_src, -1, numbering, TOKEN,
                           "expired-timesource");

  w->n_numbering = numbering;
  w->pool = world_new_pool(w, NULL, extra);

  must(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, world_alloc[NTSPOOL_ROLE_CLIENT],
                       &w->client),
       "client", NULL);
  must(ntspool_ctx_set_logger(w->client, capture_log, w, NTSPOOL_LOG_DEBUG),
       "log", w->client);
  set(w->client, "client", "certificate-authority-path", "tests/pki/ca.pem");
  for (size_t i = 0; extra && extra[i]; i += 3)
    if (strcmp(extra[i], "client") == 0)
      set(w->client, extra[i], extra[i + 1], extra[i + 2]);
  must(ntspool_ctx_ready(w->client), "client ready", w->client);
}

void world_init_cert_auth(world *w, size_t n_sources) {
  cert_auth = true;
  world_init(w, n_sources, NTSPOOL_NUMBERING_IANA, NULL);
  cert_auth = false;
}

void world_init_pem(world *w, size_t n_sources) {
  from_memory = cert_auth = true; /* the pool's client certificate too */
  world_init(w, n_sources, NTSPOOL_NUMBERING_IANA, NULL);
  from_memory = cert_auth = false;
}

void world_free(world *w) {
  ntspool_ctx_unref(w->client);
  ntspool_ctx_unref(w->pool); /* closes cached upstream connections */
  for (int round = 0; round < 1000; round++) {
    world_step_sources(w);
    w->now += 10;
  }
  for (size_t i = 0; i < WORLD_MAX_LINKS; i++)
    if (w->links[i].used) {
      w->links[i].pool_closed = w->links[i].source_done = true;
      link_release(&w->links[i]);
    }
  for (size_t i = 0; i < w->n_sources; i++)
    ntspool_ctx_unref(w->sources[i].ctx);
  ntspool_ctx_unref(w->stranger);
  ntspool_ctx_unref(w->expired);
  memset(w->keys, 0, sizeof w->keys);
}

/* ---- Running clients --------------------------------------------------- */

int world_run_client(world *w, int target, const char *const *denied,
                     int family, ntspool_ke_result *res,
                     ntspool_outcome *pool_out, char *pool_source,
                     size_t pool_source_len) {
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  if (w->pipe_max_per_call)
    for (int e = 0; e < 2; e++)
      ntspool_test_pipe_set_max_per_call(p, e, w->pipe_max_per_call);
  for (int e = 0; w->pipe_block_alternate && e < 2; e++)
    ntspool_test_pipe_set_block_alternate(p, e, true);
  size_t n_denied = 0;
  while (denied && denied[n_denied])
    n_denied++;
  ntspool_session *c = NULL, *ps = NULL;
  ntspool_peer peer = {family, family == 6 ? "::1" : "127.0.0.1"};
  ntspool_ctx *server = target < 0 ? w->pool : w->sources[target].ctx;
  const char *host = target < 0 ? "localhost" : "ts1.test";
  int crc, prc;
  if (w->probe_uuid)
    crc = ntspool_session_new_probe(w->client, ntspool_test_pipe_io(p, 0), host,
                                    w->probe_uuid, w->now, &c);
  else
    crc = ntspool_session_new_client(w->client, ntspool_test_pipe_io(p, 0),
                                     host, denied, n_denied, w->now, &c);
  /* Only an allocator that fails (test_alloc_fail) makes these fail: the
   * client ends at once; a server that cannot start closes the
   * connection, as a daemon would. */
  if (crc) {
    ntspool_test_pipe_free(p);
    if (pool_out)
      *pool_out = (ntspool_outcome){0};
    return crc;
  }
  crc = NTSPOOL_ERR_WOULD_BLOCK;
  prc = ntspool_session_new_server(server, ntspool_test_pipe_io(p, 1), &peer,
                                   w->now, &ps);
  if (prc)
    ntspool_test_pipe_shutdown(p, 1);
  else
    prc = NTSPOOL_ERR_WOULD_BLOCK;
  for (int i = 0; i < 200000; i++) {
    if (crc == NTSPOOL_ERR_WOULD_BLOCK) {
      crc = step_checked(w, c, p, 0);
      if (crc != NTSPOOL_ERR_WOULD_BLOCK)
        ntspool_test_pipe_shutdown(p, 0);
    }
    if (prc == NTSPOOL_ERR_WOULD_BLOCK) {
      prc = step_checked(w, ps, p, 1);
      if (prc != NTSPOOL_ERR_WOULD_BLOCK)
        ntspool_test_pipe_shutdown(p, 1);
    }
    world_step_sources(w);
    if (crc != NTSPOOL_ERR_WOULD_BLOCK && prc != NTSPOOL_ERR_WOULD_BLOCK)
      break;
    w->now += 1;
  }
  if (crc == 0 && res)
    ntspool_session_result(c, res);
  ntspool_session_outcome(c, &w->client_out);
  if (pool_out && !ps) {
    *pool_out = (ntspool_outcome){.status = prc};
  } else if (pool_out) {
    ntspool_session_outcome(ps, pool_out);
    if (pool_source && pool_source_len)
      snprintf(pool_source, pool_source_len, "%s",
               pool_out->source_name ? pool_out->source_name : "");
    pool_out->source_name = NULL;
  }
  ntspool_session_free(c);
  ntspool_session_free(ps);
  ntspool_test_pipe_free(p);
  return crc;
}

int world_raw_exchange(world *w, int source, const uint8_t *req, size_t req_len,
                       uint8_t *resp, size_t cap, size_t *resp_len) {
  ntspool_test_pipe *p = ntspool_test_pipe_new(0);
  ntspool_tls_config *cfg;
  ntspool_tls_client_options o = {.ca_path = "tests/pki/ca.pem"};
  must(ntspool_tls_config_new_client(&cfg, &o, NULL, NULL), "raw cfg", NULL);
  ntspool_tls *tls;
  must(ntspool_tls_new(&tls, cfg, ntspool_test_pipe_io(p, 0),
                       source >= 0 ? "ts1.test" : "localhost"),
       "raw tls", NULL);
  ntspool_session *ss;
  ntspool_peer peer = {4, "127.0.0.1"};
  ntspool_ctx *sctx = source >= 0 ? w->sources[source].ctx : w->pool;
  must(ntspool_session_new_server(sctx, ntspool_test_pipe_io(p, 1), &peer,
                                  w->now, &ss),
       "raw server session", sctx);
  size_t sent = 0;
  *resp_len = 0;
  int src = NTSPOOL_ERR_WOULD_BLOCK, rc = NTSPOOL_ERR_WOULD_BLOCK;
  for (int i = 0; i < 100000 && rc == NTSPOOL_ERR_WOULD_BLOCK; i++) {
    if (sent < req_len) {
      int n = ntspool_tls_write(tls, req + sent, req_len - sent);
      if (n > 0)
        sent += (size_t)n;
    } else if (*resp_len < cap) {
      int n = ntspool_tls_read(tls, resp + *resp_len, cap - *resp_len);
      if (n > 0)
        *resp_len += (size_t)n;
      else if (n != NTSPOOL_ERR_WOULD_BLOCK)
        rc = n == NTSPOOL_ERR_EOF ? 0 : n;
    }
    if (src == NTSPOOL_ERR_WOULD_BLOCK) {
      src = step_checked(w, ss, p, 1);
      if (src != NTSPOOL_ERR_WOULD_BLOCK)
        ntspool_test_pipe_shutdown(p, 1);
    }
    world_step_sources(w);
    w->now += 1;
  }
  ntspool_session_outcome(ss, &w->raw_out);
  ntspool_session_free(ss);
  ntspool_tls_free(tls);
  ntspool_tls_config_unref(cfg);
  ntspool_test_pipe_free(p);
  return rc;
}
