/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Contexts: configuration by (section, name, value) calls, then one
 * ntspool_ctx_ready() that loads certificates and secrets.  Every key is a
 * row of the one schema (base/settings_table.h); the rows whose target is
 * the policy (the pool's [selection] and [upstream NAME] sections, the cache
 * keys of [upstream-tls]) are passed to its draft.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crypto.h"
#include "base/settings_table.h"
#include "policy/policy_internal.h"
#include "session/session_internal.h"

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

/* An error of ntspool_ctx_ready that no single key causes. */
__attribute__((format(printf, 2, 3))) static int
config_error(ntspool_ctx *ctx, const char *fmt, ...) {
  ctx->error_kind = NTSPOOL_CONFIG_INCOMPLETE;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ctx->error, sizeof ctx->error, fmt, ap);
  va_end(ap);
  return NTSPOOL_ERR_CONFIG;
}

/* ---- String lists ------------------------------------------------------ */

/* Adds a copy of s[0..len) to l. */
static int strlist_add(ntspool_ctx *ctx, ntspool_strlist *l, const char *s,
                       size_t len) {
  char **items = ntspool_malloc(&ctx->alloc, (l->count + 1) * sizeof *items);
  char *copy = ntspool_malloc(&ctx->alloc, len + 1);
  if (copy) {
    memcpy(copy, s, len);
    copy[len] = '\0';
  }
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

/* Where each context row is stored, row for row with the schema; a list
 * of strings is told apart by its type. */
/* clang-format off */
#define FIELD_CTX(f)                                                           \
  {offsetof(ntspool_ctx, f), sizeof(((ntspool_ctx *)0)->f),                    \
   _Generic(((ntspool_ctx *)0)->f, ntspool_strlist: true, default: false)}
#define FIELD_SETTINGS(f) {0, 0, false}
#define FIELD_DRAFT(f) {0, 0, false}
#define FIELD_SOURCE(f) {0, 0, false}
#define NTSPOOL_SETTING(sec, key, roles, kind, min, max, scale, rep, target,   \
                        field, words, same)                                    \
  FIELD_##target(field),
/* clang-format on */
static const struct ntspool_setting_field fields[] = {NTSPOOL_SETTINGS_TABLE};

/* Protocol and AEAD lists: a repeated key appends.  The defaults are
 * replaced by the first explicit value, so `aead = 15` alone means only
 * AES-SIV-CMAC-256. */
static int add_id(ntspool_ctx *ctx, const char *section, const char *key,
                  uint16_t v, uint16_t *list, size_t *n, bool *explicit_set) {
  if (!*explicit_set)
    *n = 0, *explicit_set = true;
  for (size_t i = 0; i < *n; i++)
    if (list[i] == v)
      return ntspool_setting_error(ctx->error, sizeof ctx->error, section, key,
                                   "ID %u is listed twice", (unsigned)v);
  if (*n == NTSPOOL_MAX_PREFS)
    return ntspool_setting_error(ctx->error, sizeof ctx->error, section, key,
                                 "at most %d IDs", NTSPOOL_MAX_PREFS);
  list[(*n)++] = v;
  return 0;
}

/* Private keys are read by the TLS library at ntspool_ctx_ready; their
 * permissions are judged here, by the rule every secret file follows, so
 * the warning comes with the key that names the file. */
static void check_private_key(ntspool_ctx *ctx, const char *path) {
  char err[300], warn[300];
  if (ntspool_secret_path_check(path, err, sizeof err, warn, sizeof warn) ==
          0 &&
      warn[0] != '\0')
    ntspool_log(ctx, NTSPOOL_LOG_WARNING, "config", "%s", warn);
}

/* Stores an accepted value of context row i. */
static int store(ntspool_ctx *ctx, size_t i, const char *section,
                 const char *value, const struct ntspool_setting_value *v) {
  const struct ntspool_setting *row = &ntspool_settings[i];
  struct ntspool_setting_field f = fields[i];
  void *slot = (char *)ctx + f.offset;
  switch (row->kind) {
  case NTSPOOL_KIND_MS:
  case NTSPOOL_KIND_UINT:
  case NTSPOOL_KIND_ENUM:
    ntspool_setting_store_uint(ctx, f, v->u);
    return 0;
  case NTSPOOL_KIND_ID:
    return add_id(ctx, section, row->key, (uint16_t)v->u, ctx->protocols,
                  &ctx->n_protocols, &ctx->protocols_set);
  case NTSPOOL_KIND_AEAD:
    return add_id(ctx, section, row->key, (uint16_t)v->u, ctx->aeads,
                  &ctx->n_aeads, &ctx->aeads_set);
  case NTSPOOL_KIND_CIPHERSUITES:
    /* A repeated key adds to the list, as every list key does. */
    if (ntspool_tls_ciphersuites_parse(value, ctx->ciphersuites,
                                       NTSPOOL_TLS_MAX_CIPHERSUITES,
                                       &ctx->n_ciphersuites) != 0)
      return ntspool_setting_error(
          ctx->error, sizeof ctx->error, section, row->key,
          "not a list of TLS 1.3 cipher suites (TLS_AES_128_GCM_SHA256:...), "
          "at most %d",
          NTSPOOL_TLS_MAX_CIPHERSUITES);
    return 0;
  default: /* text: PATH, SECRET_PATH, TEXT, MONITOR_KEY */
    break;
  }
  if (row->kind == NTSPOOL_KIND_SECRET_PATH &&
      row->repeat == NTSPOOL_REPEAT_ONCE)
    check_private_key(ctx, value);
  if (f.strlist)
    return strlist_add(ctx, slot, value, strlen(value));
  char *copy = ntspool_strdup(&ctx->alloc, value);
  if (!copy)
    return NTSPOOL_ERR_NO_MEMORY;
  char **str = slot;
  ntspool_free(&ctx->alloc, *str);
  *str = copy;
  return 0;
}

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

/* A context row: read, checked against "given twice", stored. */
static int set_ctx_row(ntspool_ctx *ctx, size_t i, const char *section,
                       const char *value) {
  struct ntspool_setting_value v;
  ctx->error_kind = NTSPOOL_CONFIG_BAD_VALUE;
  int rc = ntspool_setting_read(i, section, value, &v, ctx->error,
                                sizeof ctx->error);
  if (rc)
    return rc;
  ntspool_settings_seen after = ctx->seen;
  bool first;
  rc = ntspool_setting_see(&after, i, section, &first, ctx->error,
                           sizeof ctx->error);
  if (rc) {
    ctx->error_kind = NTSPOOL_CONFIG_REPEATED;
    return rc;
  }
  rc = store(ctx, i, section, value, &v);
  if (rc) {
    if (rc == NTSPOOL_ERR_NO_MEMORY)
      ctx->error_kind = NTSPOOL_CONFIG_OTHER;
    return rc;
  }
  ctx->seen = after;
  ctx->error_kind = NTSPOOL_CONFIG_OK;
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
  const char *source_name;
  int i = ntspool_setting_find(section, name, 1u << ctx->role, &source_name,
                               &ctx->error_kind, ctx->error, sizeof ctx->error);
  if (i < 0)
    return NTSPOOL_ERR_CONFIG;
  if (ntspool_settings[i].target == NTSPOOL_TARGET_CTX)
    return set_ctx_row(ctx, (size_t)i, section, value);
  /* A policy row: only a pool has one; the policy reads its files now, so
   * a warning about one is logged here. */
  char warn[300];
  int rc = ntspool_draft_set(ctx->policy, (size_t)i, section, source_name,
                             value, &ctx->error_kind, ctx->error,
                             sizeof ctx->error, warn, sizeof warn);
  if (warn[0] != '\0')
    ntspool_log(ctx, NTSPOOL_LOG_WARNING, "config", "%s", warn);
  return rc;
}

enum ntspool_config_error ntspool_ctx_error_kind(const ntspool_ctx *ctx) {
  return ctx ? ctx->error_kind : NTSPOOL_CONFIG_OK;
}

int ntspool_ctx_get_ms(const ntspool_ctx *ctx, const char *section,
                       const char *name, ntspool_time_ms *out) {
  if (!ctx || !section || !name || !out)
    return NTSPOOL_ERR_INVALID_ARG;
  const char *source_name;
  enum ntspool_config_error kind;
  char err[1];
  int i = ntspool_setting_find(section, name, 1u << ctx->role, &source_name,
                               &kind, err, sizeof err);
  if (i < 0)
    return NTSPOOL_ERR_NOT_FOUND;
  if (ntspool_settings[i].kind != NTSPOOL_KIND_MS ||
      ntspool_settings[i].target != NTSPOOL_TARGET_CTX)
    return NTSPOOL_ERR_INVALID_ARG;
  memcpy(out, (const char *)ctx + fields[i].offset, sizeof *out);
  return 0;
}

/* ---- Ready: load what the configuration names -------------------------- */

static int tls_error(ntspool_ctx *ctx, int rc, int raw, const char *what) {
  char text[160];
  ctx->error_kind = NTSPOOL_CONFIG_FILE;
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
 * ntsauthtokenfile format); they are secrets, read as every secret file
 * is. */
static int load_token_file(ntspool_ctx *ctx, const char *path) {
  char *text, why[400], warn[300];
  size_t len;
  int rc = ntspool_secret_file_read(&ctx->alloc, path, &text, &len, why,
                                    sizeof why, warn, sizeof warn);
  if (rc) {
    ctx->error_kind = NTSPOOL_CONFIG_FILE;
    ntspool_setting_error(ctx->error, sizeof ctx->error, "time-source",
                          "accepted-token-path", "%s", why);
    return rc;
  }
  if (warn[0] != '\0')
    ntspool_log(ctx, NTSPOOL_LOG_WARNING, "config", "%s", warn);
  size_t pos = 0;
  ntspool_bytes line;
  while (rc == 0 && ntspool_each_line(text, len, &pos, &line))
    rc = strlist_add(ctx, &ctx->tokens, (const char *)line.data, line.len);
  ntspool_free_secret(&ctx->alloc, text, len);
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
      ctx->error_kind = NTSPOOL_CONFIG_FILE;
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
  ctx->error_kind = NTSPOOL_CONFIG_OK;
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
    if (!rc && (rc = ntspool_policy_commit(ctx->policy)) != 0) {
      ctx->error_kind = ntspool_policy_config_error_kind(ctx->policy);
      snprintf(ctx->error, sizeof ctx->error, "%s",
               ntspool_policy_config_error(ctx->policy));
    }
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
