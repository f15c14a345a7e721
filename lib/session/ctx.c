/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Contexts: configuration by (section, name, value) calls, then one
 * ntspool_ctx_ready() that loads certificates and secrets.  The key table
 * below is the whole schema of the library's part of the configuration; the
 * pool's [selection] and [upstream NAME] sections and the cache keys of
 * [upstream-tls] belong to the policy (policy.h), to which they are passed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crypto.h"
#include "session/session_internal.h"

#define ROLE_POOL (1u << NTSPOOL_ROLE_POOL)
#define ROLE_SOURCE (1u << NTSPOOL_ROLE_SOURCE)
#define ROLE_CLIENT (1u << NTSPOOL_ROLE_CLIENT)
#define DAY_MS 86400000u

void *ntspool_ctx_alloc(const ntspool_ctx *ctx, size_t size) {
  return ntspool_calloc(&ctx->alloc, size);
}

void ntspool_ctx_free_mem(const ntspool_ctx *ctx, void *p) {
  ntspool_free(&ctx->alloc, p);
}

void ntspool_log(const ntspool_ctx *ctx, enum ntspool_log_level level,
                 const char *component, const char *fmt, ...) {
  if (!ctx->log_fn || level > ctx->log_level)
    return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  ctx->log_fn(ctx->log_user, level, component, line);
}

__attribute__((format(printf, 2, 3))) static int
config_error(ntspool_ctx *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
  va_end(ap);
  return NTSPOOL_ERR_CONFIG;
}

/* ---- String lists ------------------------------------------------------ */

static int strlist_add(ntspool_ctx *ctx, ntspool_strlist *l, const char *s) {
  char **items = ntspool_malloc(&ctx->alloc, (l->count + 1) * sizeof *items);
  char *copy = ntspool_strdup(&ctx->alloc, s);
  if (!items || !copy) {
    ntspool_free(&ctx->alloc, items);
    ntspool_free(&ctx->alloc, copy);
    return NTSPOOL_ERR_NO_MEMORY;
  }
  if (l->count)
    memcpy(items, l->items, l->count * sizeof *items);
  ntspool_free(&ctx->alloc, l->items);
  items[l->count++] = copy;
  l->items = items;
  return 0;
}

/* Secret lists (tokens) are wiped as they are freed. */
static void strlist_clear(ntspool_ctx *ctx, ntspool_strlist *l) {
  for (size_t i = 0; i < l->count; i++)
    ntspool_free_secret(&ctx->alloc, l->items[i], strlen(l->items[i]));
  ntspool_free(&ctx->alloc, l->items);
  *l = (ntspool_strlist){0};
}

/* ---- Setters ----------------------------------------------------------- */

typedef int (*setter_fn)(ntspool_ctx *ctx, const char *value, size_t offset);

static int set_string(ntspool_ctx *ctx, const char *value, size_t offset) {
  char **slot = (char **)((char *)ctx + offset);
  if (!*value)
    return config_error(ctx, "the value must not be empty");
  char *copy = ntspool_strdup(&ctx->alloc, value);
  if (!copy)
    return NTSPOOL_ERR_NO_MEMORY;
  ntspool_free(&ctx->alloc, *slot);
  *slot = copy;
  return 0;
}

static int set_list(ntspool_ctx *ctx, const char *value, size_t offset) {
  if (!*value)
    return config_error(ctx, "the value must not be empty");
  return strlist_add(ctx, (ntspool_strlist *)((char *)ctx + offset), value);
}

static int set_ms(ntspool_ctx *ctx, const char *value, size_t offset) {
  uint64_t v;
  if (ntspool_parse_uint(value, 1, DAY_MS, &v))
    return config_error(ctx, "expected milliseconds from 1 to %u", DAY_MS);
  *(ntspool_time_ms *)((char *)ctx + offset) = (ntspool_time_ms)v;
  return 0;
}

static int set_message_bytes(ntspool_ctx *ctx, const char *value,
                             size_t offset) {
  uint64_t v;
  (void)offset;
  /* RFC 8915: servers must accept requests of at least 1024 bytes. */
  if (ntspool_parse_uint(value, 1024, 65535, &v))
    return config_error(ctx, "expected a size from 1024 to 65535 bytes");
  ctx->max_message = (size_t)v;
  return 0;
}

static int set_size(ntspool_ctx *ctx, const char *value, size_t *out,
                    size_t min, size_t max) {
  uint64_t v;
  if (ntspool_parse_uint(value, min, max, &v))
    return config_error(ctx, "expected a number from %zu to %zu", min, max);
  *out = (size_t)v;
  return 0;
}

static int set_keep_alive(ntspool_ctx *ctx, const char *value, size_t offset) {
  (void)offset;
  return set_size(ctx, value, &ctx->max_keep_alive, 0, 100000);
}

/* A repeated key adds to the list, as every list key does. */
static int set_ciphersuites(ntspool_ctx *ctx, const char *value,
                            size_t offset) {
  (void)offset;
  if (ntspool_tls_ciphersuites_parse(value, ctx->ciphersuites,
                                     NTSPOOL_TLS_MAX_CIPHERSUITES,
                                     &ctx->n_ciphersuites) != 0)
    return config_error(ctx,
                        "tls-ciphersuites: '%s' is not a list of TLS 1.3 "
                        "cipher suites (TLS_AES_128_GCM_SHA256:...), at most "
                        "%d",
                        value, NTSPOOL_TLS_MAX_CIPHERSUITES);
  return 0;
}

static int set_cookies(ntspool_ctx *ctx, const char *value, size_t offset) {
  (void)offset;
  return set_size(ctx, value, &ctx->n_cookies, 1, NTSPOOL_MAX_COOKIES);
}

static int set_port(ntspool_ctx *ctx, const char *value, size_t offset) {
  uint64_t v;
  (void)offset;
  if (ntspool_parse_uint(value, 1, 65535, &v))
    return config_error(ctx, "expected a port from 1 to 65535");
  ctx->ntp_port = (uint16_t)v;
  ctx->has_ntp_port = true;
  return 0;
}

static int set_numbering(ntspool_ctx *ctx, const char *value, size_t offset) {
  (void)offset;
  if (strcmp(value, "iana") == 0)
    ctx->numbering = NTSPOOL_NUMBERING_IANA;
  else if (strcmp(value, "draft") == 0)
    ctx->numbering = NTSPOOL_NUMBERING_DRAFT;
  else
    return config_error(ctx, "expected iana or draft");
  return 0;
}

/* Protocol and AEAD lists: a repeated key appends.  The defaults are
 * replaced by the first explicit value, so `aead = 15` alone means only
 * AES-SIV-CMAC-256. */
static int add_id(ntspool_ctx *ctx, const char *value, uint16_t *list,
                  size_t *n, bool *explicit_set) {
  uint64_t v;
  if (ntspool_parse_uint(value, 0, 65535, &v))
    return config_error(ctx, "expected a numeric ID from 0 to 65535");
  if (!*explicit_set)
    *n = 0, *explicit_set = true;
  for (size_t i = 0; i < *n; i++)
    if (list[i] == v)
      return config_error(ctx, "ID %u is listed twice", (unsigned)v);
  if (*n == NTSPOOL_MAX_PREFS)
    return config_error(ctx, "at most %d IDs", NTSPOOL_MAX_PREFS);
  list[(*n)++] = (uint16_t)v;
  return 0;
}

static int set_protocol(ntspool_ctx *ctx, const char *value, size_t offset) {
  (void)offset;
  return add_id(ctx, value, ctx->protocols, &ctx->n_protocols,
                &ctx->protocols_set);
}

static int set_aead(ntspool_ctx *ctx, const char *value, size_t offset) {
  (void)offset;
  uint64_t v;
  if (ntspool_parse_uint(value, 0, 65535, &v) == 0 &&
      ntspool_aead_key_length((uint16_t)v) == 0)
    return config_error(ctx,
                        "AEAD %u is not an NTS algorithm (15, 16, 17, "
                        "30 or 31)",
                        (unsigned)v);
  return add_id(ctx, value, ctx->aeads, &ctx->n_aeads, &ctx->aeads_set);
}

/* Monitor keys travel in an Authentication record, whose body must be
 * printable ASCII (doc/protocol.md 3.3).  A client sends one. */
static int set_monitoring_key(ntspool_ctx *ctx, const char *value,
                              size_t offset) {
  (void)offset;
  size_t n = strlen(value);
  if (n == 0 || n > 1024)
    return config_error(ctx, "a monitoring key has 1 to 1024 characters");
  for (size_t i = 0; i < n; i++)
    if (value[i] < 0x20 || value[i] > 0x7e)
      return config_error(ctx, "a monitoring key is printable ASCII");
  if (ctx->role == NTSPOOL_ROLE_CLIENT && ctx->monitoring_keys.count)
    return config_error(ctx, "a client sends one monitoring key");
  return strlist_add(ctx, &ctx->monitoring_keys, value);
}

#define OFF(field) offsetof(ntspool_ctx, field)

static const struct key {
  const char *section;
  const char *name;
  unsigned roles;
  setter_fn set;
  size_t offset;
} keys[] = {
    {"server", "certificate-chain-path", ROLE_POOL, set_string, OFF(cert_path)},
    {"server", "private-key-path", ROLE_POOL, set_string, OFF(key_path)},
    {"server", "key-exchange-timeout-ms", ROLE_POOL, set_ms,
     OFF(ke_timeout_ms)},
    {"server", "handshake-timeout-ms", ROLE_POOL, set_ms,
     OFF(handshake_timeout_ms)},
    {"server", "max-message-bytes", ROLE_POOL, set_message_bytes, 0},
    {"server", "monitoring-key", ROLE_POOL, set_monitoring_key, 0},
    {"upstream-tls", "certificate-authority-path", ROLE_POOL, set_string,
     OFF(ca_path)},
    {"upstream-tls", "additional-certificate-authority-path", ROLE_POOL,
     set_list, OFF(extra_ca_paths)},
    {"upstream-tls", "certificate-chain-path", ROLE_POOL, set_string,
     OFF(client_cert_path)},
    {"upstream-tls", "private-key-path", ROLE_POOL, set_string,
     OFF(client_key_path)},
    {"upstream-tls", "timesource-timeout-ms", ROLE_POOL, set_ms,
     OFF(upstream_timeout_ms)},
    {"time-source", "certificate-chain-path", ROLE_SOURCE, set_string,
     OFF(cert_path)},
    {"time-source", "private-key-path", ROLE_SOURCE, set_string, OFF(key_path)},
    {"time-source", "key-exchange-timeout-ms", ROLE_SOURCE, set_ms,
     OFF(ke_timeout_ms)},
    {"time-source", "handshake-timeout-ms", ROLE_SOURCE, set_ms,
     OFF(handshake_timeout_ms)},
    {"time-source", "idle-timeout-ms", ROLE_SOURCE, set_ms,
     OFF(idle_timeout_ms)},
    {"time-source", "max-message-bytes", ROLE_SOURCE, set_message_bytes, 0},
    {"time-source", "record-numbering", ROLE_SOURCE, set_numbering, 0},
    {"time-source", "accepted-token", ROLE_SOURCE, set_list, OFF(tokens)},
    {"time-source", "accepted-token-path", ROLE_SOURCE, set_list,
     OFF(token_paths)},
    {"time-source", "authorized-pool-certificate-path", ROLE_SOURCE, set_list,
     OFF(pool_cert_paths)},
    {"time-source", "max-keep-alive-connections", ROLE_SOURCE, set_keep_alive,
     0},
    {"time-source", "server-name", ROLE_SOURCE, set_list, OFF(server_names)},
    {"time-source", "ntp-server", ROLE_SOURCE, set_string, OFF(ntp_server)},
    {"time-source", "ntp-port", ROLE_SOURCE, set_port, 0},
    {"time-source", "protocol", ROLE_SOURCE, set_protocol, 0},
    {"time-source", "aead", ROLE_SOURCE, set_aead, 0},
    {"time-source", "cookies", ROLE_SOURCE, set_cookies, 0},
    {"time-source", "tls-ciphersuites", ROLE_SOURCE, set_ciphersuites, 0},
    {"client", "certificate-authority-path", ROLE_CLIENT, set_string,
     OFF(ca_path)},
    {"client", "certificate-chain-path", ROLE_CLIENT, set_string,
     OFF(client_cert_path)},
    {"client", "private-key-path", ROLE_CLIENT, set_string,
     OFF(client_key_path)},
    {"client", "key-exchange-timeout-ms", ROLE_CLIENT, set_ms,
     OFF(ke_timeout_ms)},
    {"client", "max-message-bytes", ROLE_CLIENT, set_message_bytes, 0},
    {"client", "protocol", ROLE_CLIENT, set_protocol, 0},
    {"client", "aead", ROLE_CLIENT, set_aead, 0},
    {"client", "monitoring-key", ROLE_CLIENT, set_monitoring_key, 0},
};

/* ---- Life cycle -------------------------------------------------------- */

int ntspool_ctx_new(enum ntspool_role role, const ntspool_allocator *allocator,
                    ntspool_ctx **out) {
  if (!out || role > NTSPOOL_ROLE_CLIENT || !ntspool_allocator_valid(allocator))
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_allocator a = ntspool_allocator_or_default(allocator);
  ntspool_ctx *ctx = ntspool_calloc(&a, sizeof *ctx);
  if (!ctx)
    return NTSPOOL_ERR_NO_MEMORY;
  ctx->alloc = a;
  atomic_init(&ctx->refs, 1);
  atomic_init(&ctx->keep_alive_in_use, 0);
  ctx->role = role;
  static const struct ntspool_role_ops *const roles[] = {
      [NTSPOOL_ROLE_POOL] = &ntspool_pool_role,
      [NTSPOOL_ROLE_SOURCE] = &ntspool_source_role,
      [NTSPOOL_ROLE_CLIENT] = &ntspool_client_role};
  ctx->role_ops = roles[role];
  ctx->log_level = NTSPOOL_LOG_INFO;
  /* Defaults from nts-pool-ke, ntpd-rs and chrony (doc/protocol.md 10). */
  ctx->ke_timeout_ms = 5000;
  /* A server's handshake takes milliseconds; a client that sends nothing
   * holds a worker no longer than chrony lets it (2 s).  A client waits
   * longer for a far server. */
  ctx->handshake_timeout_ms = role == NTSPOOL_ROLE_CLIENT ? 5000 : 2000;
  ctx->upstream_timeout_ms = 2500;
  ctx->idle_timeout_ms = 300000;
  ctx->max_message =
      role == NTSPOOL_ROLE_CLIENT ? 16384 : NTSPOOL_DEFAULT_MAX_MESSAGE;
  ctx->n_cookies = NTSPOOL_MAX_COOKIES;
  /* A pool keeps up to 5 connections per family per replica to each
   * source, and the NTS pool runs several replicas: ntpd-rs allows a tenth
   * of its 512 concurrent connections (51), so do we. */
  ctx->max_keep_alive = 51;
  ctx->n_protocols = 1;
  ctx->protocols[0] = NTSPOOL_PROTO_NTPV4;
  /* Clients and time sources: ntpd-rs's list, strongest first.  The NTS
   * pool's monitor prefers 17, so a source that offered 15 alone would be
   * probed with a weaker AEAD than it could use. */
  ctx->n_aeads = 2;
  ctx->aeads[0] = NTSPOOL_AEAD_AES_SIV_CMAC_512;
  ctx->aeads[1] = NTSPOOL_AEAD_AES_SIV_CMAC_256;
  if (role == NTSPOOL_ROLE_POOL) {
    int rc = ntspool_policy_new(&a, &ntspool_upstream_conn_ops, &ctx->policy);
    if (rc) {
      ntspool_free(&a, ctx);
      return rc;
    }
  }
  *out = ctx;
  return 0;
}

ntspool_ctx *ntspool_ctx_ref(ntspool_ctx *ctx) {
  if (ctx)
    atomic_fetch_add(&ctx->refs, 1);
  return ctx;
}

void ntspool_ctx_unref(ntspool_ctx *ctx) {
  if (!ctx || atomic_fetch_sub(&ctx->refs, 1) != 1)
    return;
  /* A replacement that never became ready leaves no staged keys behind in
   * the policy it shares with the running context. */
  if (!ctx->ready)
    ntspool_policy_discard(ctx->policy);
  ntspool_policy_unref(ctx->policy);
  ntspool_tls_config_unref(ctx->server_tls);
  ntspool_tls_config_unref(ctx->client_tls);
  ntspool_ctx_free_credentials(ctx);
  char **strings[] = {&ctx->cert_path,       &ctx->key_path,
                      &ctx->ca_path,         &ctx->client_cert_path,
                      &ctx->client_key_path, &ctx->ntp_server};
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
    ntspool_free(&ctx->alloc, *strings[i]);
  ntspool_strlist *lists[] = {&ctx->tokens,          &ctx->token_paths,
                              &ctx->pool_cert_paths, &ctx->server_names,
                              &ctx->monitoring_keys, &ctx->extra_ca_paths};
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
    strlist_clear(ctx, lists[i]);
  for (size_t i = 0; i < ctx->n_pool_certs; i++)
    ntspool_free(&ctx->alloc, (void *)ctx->pool_certs[i].data);
  ntspool_allocator a = ctx->alloc;
  ntspool_free(&a, ctx);
}

const ntspool_policy *ntspool_ctx_policy(const ntspool_ctx *ctx) {
  return ctx ? ctx->policy : NULL;
}

const char *ntspool_ctx_error(const ntspool_ctx *ctx) {
  return ctx ? ctx->error : "";
}

int ntspool_ctx_set_logger(ntspool_ctx *ctx, ntspool_log_fn fn, void *user_data,
                           enum ntspool_log_level level) {
  if (!ctx)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx->ready)
    return NTSPOOL_ERR_STATE;
  ctx->log_fn = fn;
  ctx->log_user = user_data;
  ctx->log_level = level;
  return 0;
}

int ntspool_ctx_keep_state(ntspool_ctx *ctx, ntspool_ctx *previous) {
  if (!ctx || !previous || ctx == previous || ctx->role != NTSPOOL_ROLE_POOL ||
      previous->role != NTSPOOL_ROLE_POOL)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx->ready || ctx->configured || !previous->ready)
    return NTSPOOL_ERR_STATE;
  ntspool_policy_unref(ctx->policy);
  ctx->policy = ntspool_policy_ref(previous->policy);
  return 0;
}

int ntspool_ctx_set_upstream_ops(ntspool_ctx *ctx,
                                 const ntspool_upstream_ops *ops) {
  if (!ctx || !ops || ops->version != NTSPOOL_UPSTREAM_OPS_VERSION ||
      !ops->open || !ops->close || !ops->reusable ||
      ctx->role != NTSPOOL_ROLE_POOL)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx->ready)
    return NTSPOOL_ERR_STATE;
  ctx->upstream_ops = *ops;
  ctx->has_upstream_ops = true;
  return 0;
}

int ntspool_ctx_set_source_ops(ntspool_ctx *ctx,
                               const ntspool_source_ops *ops) {
  if (!ctx || !ops || ops->version != NTSPOOL_SOURCE_OPS_VERSION ||
      !ops->make_cookies || ctx->role != NTSPOOL_ROLE_SOURCE)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx->ready)
    return NTSPOOL_ERR_STATE;
  ctx->source_ops = *ops;
  ctx->has_source_ops = true;
  return 0;
}

int ntspool_ctx_set(ntspool_ctx *ctx, const char *section, const char *name,
                    const char *value) {
  if (!ctx || !section || !name || !value)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx->ready)
    return NTSPOOL_ERR_STATE;
  ctx->error[0] = '\0';
  ctx->configured = true;
  unsigned role = 1u << ctx->role;
  bool section_known = false;
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    if (!(keys[i].roles & role) || strcmp(keys[i].section, section) != 0)
      continue;
    section_known = true;
    if (strcmp(keys[i].name, name) == 0) {
      return keys[i].set(ctx, value, keys[i].offset);
    }
  }
  if (ctx->policy) {
    int rc = ntspool_policy_set(ctx->policy, section, name, value);
    if (rc != NTSPOOL_ERR_NOT_FOUND) {
      if (rc)
        snprintf(ctx->error, sizeof ctx->error, "%s",
                 ntspool_policy_config_error(ctx->policy));
      return rc;
    }
  }
  if (section_known)
    return config_error(ctx, "unknown key '%s' in [%s]", name, section);
  return config_error(ctx, "unknown section [%s]", section);
}

/* ---- Ready: load what the configuration names -------------------------- */

static int tls_error(ntspool_ctx *ctx, int rc, int raw, const char *what) {
  char text[160];
  ntspool_tls_error_text(raw, text, sizeof text);
  snprintf(ctx->error, sizeof ctx->error, "%s: %s%s%s", what,
           ntspool_strerror(rc), raw ? " " : "", raw ? text : "");
  return rc;
}

/* A certificate and key come from paths or from memory, never both: the
 * application would not know which one it runs with. */
static int one_source(ntspool_ctx *ctx, const char *section, bool paths,
                      bool pem) {
  if (paths && pem)
    return config_error(ctx,
                        "[%s] credentials are given both as paths and in "
                        "memory",
                        section);
  return 0;
}

static int load_server_tls(ntspool_ctx *ctx, const char *section) {
  bool pem = ctx->server_pem.chain.data != NULL;
  int rc = one_source(ctx, section, ctx->cert_path || ctx->key_path, pem);
  if (rc)
    return rc;
  if (!pem && (!ctx->cert_path || !ctx->key_path))
    return config_error(ctx,
                        "[%s] needs certificate-chain-path and "
                        "private-key-path",
                        section);
  /* A time source that trusts pools by certificate must see one. */
  ntspool_tls_server_options o = {.cred = {.chain_path = ctx->cert_path,
                                           .key_path = ctx->key_path,
                                           .chain_pem = ctx->server_pem.chain,
                                           .key_pem = ctx->server_pem.key},
                                  .request_client_cert =
                                      ctx->pool_cert_paths.count > 0,
                                  .ciphersuites = ctx->ciphersuites,
                                  .n_ciphersuites = ctx->n_ciphersuites};
  int raw = 0;
  rc = ntspool_tls_config_new_server(&ctx->server_tls, &o, &ctx->alloc, &raw);
  return rc ? tls_error(ctx, rc, raw,
                        pem ? "certificate in memory" : ctx->cert_path)
            : 0;
}

static int load_client_tls(ntspool_ctx *ctx, const char *section) {
  bool pem = ctx->client_pem.chain.data != NULL;
  int rc = one_source(ctx, section,
                      ctx->client_cert_path || ctx->client_key_path, pem);
  if (!rc)
    rc = one_source(ctx, section, ctx->ca_path, ctx->ca_pem.data);
  if (rc)
    return rc;
  if (!ctx->client_cert_path != !ctx->client_key_path)
    return config_error(ctx, "a client certificate needs both "
                             "certificate-chain-path and private-key-path");
  int raw = 0;
  /* Each additional CA file alone first, so an error names its file. */
  for (size_t i = 0; i < ctx->extra_ca_paths.count; i++) {
    const char *path = ctx->extra_ca_paths.items[i];
    ntspool_tls_client_options one = {.ca_path = path};
    ntspool_tls_config *probe = NULL;
    rc = ntspool_tls_config_new_client(&probe, &one, &ctx->alloc, &raw);
    ntspool_tls_config_unref(probe);
    if (rc)
      return tls_error(ctx, rc, raw, path);
  }
  ntspool_tls_client_options o = {
      .ca_path = ctx->ca_path,
      .ca_pem = ctx->ca_pem,
      .extra_ca_paths = (const char *const *)ctx->extra_ca_paths.items,
      .n_extra_ca_paths = ctx->extra_ca_paths.count,
      .cred = {.chain_path = ctx->client_cert_path,
               .key_path = ctx->client_key_path,
               .chain_pem = ctx->client_pem.chain,
               .key_pem = ctx->client_pem.key}};
  rc = ntspool_tls_config_new_client(&ctx->client_tls, &o, &ctx->alloc, &raw);
  if (rc == 0)
    return 0;
  return tls_error(ctx, rc, raw,
                   ctx->ca_path       ? ctx->ca_path
                   : ctx->ca_pem.data ? "certificates in memory"
                                      : NTSPOOL_TLS_DEFAULT_CA_PATH);
}

/* Token files hold one token per line, empty lines ignored (chrony's
 * ntsauthtokenfile format). */
static int load_token_file(ntspool_ctx *ctx, const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(ctx->error, sizeof ctx->error, "%s: cannot open", path);
    return NTSPOOL_ERR_NOT_FOUND;
  }
  char line[1024];
  int rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    char *s = line, *e = line + strlen(line);
    while (*s == ' ' || *s == '\t')
      s++;
    while (e > s &&
           (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
      *--e = '\0';
    if (*s)
      rc = strlist_add(ctx, &ctx->tokens, s);
  }
  ntspool_zeroize(line, sizeof line);
  fclose(f);
  return rc;
}

static int ready_source(ntspool_ctx *ctx) {
  if (!ctx->has_source_ops)
    return config_error(ctx, "a time source needs its cookie callback "
                             "(ntspool_ctx_set_source_ops)");
  for (size_t i = 0; i < ctx->token_paths.count; i++) {
    int rc = load_token_file(ctx, ctx->token_paths.items[i]);
    if (rc)
      return rc;
  }
  if (ctx->pool_cert_paths.count > NTSPOOL_MAX_POOL_CERTS)
    return config_error(ctx, "at most %d authorized pool certificates",
                        NTSPOOL_MAX_POOL_CERTS);
  for (size_t i = 0; i < ctx->pool_cert_paths.count; i++) {
    const char *path = ctx->pool_cert_paths.items[i];
    int rc = ntspool_tls_load_cert_der(path, &ctx->alloc,
                                       &ctx->pool_certs[ctx->n_pool_certs]);
    if (rc) {
      snprintf(ctx->error, sizeof ctx->error, "%s: %s", path,
               ntspool_strerror(rc));
      return rc;
    }
    ctx->n_pool_certs++;
  }
  return load_server_tls(ctx, "time-source");
}

int ntspool_ctx_ready(ntspool_ctx *ctx) {
  if (!ctx)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx->ready)
    return NTSPOOL_ERR_STATE;
  ctx->error[0] = '\0';
  int rc = ntspool_crypto_init();
  if (rc)
    return rc;
  switch (ctx->role) {
  case NTSPOOL_ROLE_POOL:
    if (!ctx->has_upstream_ops)
      return config_error(ctx, "a pool needs upstream callbacks "
                               "(ntspool_ctx_set_upstream_ops)");
    rc = load_server_tls(ctx, "server");
    if (!rc)
      rc = load_client_tls(ctx, "upstream-tls");
    if (!rc && (rc = ntspool_policy_commit(ctx->policy)) != 0)
      snprintf(ctx->error, sizeof ctx->error, "%s",
               ntspool_policy_config_error(ctx->policy));
    break;
  case NTSPOOL_ROLE_SOURCE:
    rc = ready_source(ctx);
    break;
  case NTSPOOL_ROLE_CLIENT:
    rc = load_client_tls(ctx, "client");
    break;
  }
  if (rc == 0)
    ctx->ready = true;
  return rc;
}

ntspool_time_ms ntspool_ctx_expiry(const ntspool_ctx *ctx) {
  return ctx && ctx->ready && ctx->policy
             ? ntspool_policy_conn_next_expiry(ctx->policy)
             : NTSPOOL_TIME_NEVER;
}

int ntspool_ctx_handle_expiry(ntspool_ctx *ctx, ntspool_time_ms now) {
  if (!ctx)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx->ready && ctx->policy)
    ntspool_policy_conn_expire(ctx->policy, now);
  return 0;
}
