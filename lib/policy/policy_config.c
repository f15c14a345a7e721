/* SPDX-License-Identifier: BSD-2-Clause */
/* ntspool_policy_set: configuration keys into the pending configuration
 * (the draft) that ntspool_policy_commit turns into a registry. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy/policy_internal.h"

#define TOKEN_MAX 1024

void ntspool_draft_free(const ntspool_allocator *a, struct ntspool_draft *d) {
  for (size_t i = 0; i < d->n_sources; i++) {
    struct ntspool_draft_source *s = &d->sources[i];
    ntspool_free(a, s->name);
    ntspool_free(a, s->domain);
    ntspool_free(a, s->connect_address);
    ntspool_free(a, s->uuid);
    ntspool_free(a, s->randomizer);
    ntspool_free(a, s->regions);
    ntspool_free_secret(a, s->token, s->token_len);
  }
  ntspool_free(a, d->sources);
  ntspool_name_index_free(a, &d->by_name);
  ntspool_free_secret(a, d->base_secret, d->base_secret_len);
  ntspool_free(a, d);
}

/* ---- Values ----------------------------------------------------------- */

static bool parse_protocol(const char *v, uint16_t *out) {
  uint64_t x;
  if (strcasecmp(v, "ntpv4") == 0)
    x = NTSPOOL_PROTO_NTPV4;
  else if (strcasecmp(v, "draft-ntpv5") == 0)
    x = NTSPOOL_PROTO_DRAFT_NTPV5;
  else if (strncasecmp(v, "0x", 2) == 0 && isxdigit((unsigned char)v[2])) {
    char *end;
    errno = 0;
    x = strtoul(v + 2, &end, 16);
    if (errno != 0 || *end != '\0' || x > 0xFFFF)
      return false;
  } else if (ntspool_parse_uint(v, 0, 0xFFFF, &x) != 0)
    return false;
  *out = (uint16_t)x;
  return true;
}

/* Printable ASCII without spaces: what a Server record or an
 * Authentication record can carry. */
static bool printable_word(const char *v, size_t max) {
  size_t n = strlen(v);
  if (n == 0 || n > max)
    return false;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)v[i] < 0x21 || (unsigned char)v[i] > 0x7E)
      return false;
  return true;
}

/* ---- Keys ------------------------------------------------------------- */

enum value_kind {
  V_UINT,     /* min..max, scaled by `scale` into a uint64 */
  V_BOOL,     /* bool */
  V_WORD,     /* printable word, copied */
  V_TEXT,     /* any text (randomizer), copied */
  V_STRATEGY, /* weighted | round-robin */
  V_PROTOCOL, /* appended to the allowed list */
  V_NUMBERING,
  V_SECRET_FILE, /* base-shared-secret-path */
  V_TOKEN,       /* auth-token: literal secret */
  V_TOKEN_FILE,  /* auth-token-path */
  V_REGIONS      /* a list of region names */
};

struct key {
  const char *name;
  enum value_kind kind;
  uint64_t min, max, scale;
  size_t offset; /* into ntspool_settings or ntspool_draft_source */
  size_t size;   /* of the integer field */
};

static const struct key selection_keys[] = {
    {"strategy", V_STRATEGY, 0, 0, 0, 0, 0},
    {"allowed-protocol", V_PROTOCOL, 0, 0, 0, 0, 0},
    {"deny-max-skips", V_UINT, 0, NTSPOOL_MAX_DENY_SKIPS, 1,
     offsetof(struct ntspool_settings, deny_max_skips), sizeof(unsigned)},
    {"backoff-initial-ms", V_UINT, 1, 86400000, 1,
     offsetof(struct ntspool_settings, backoff_initial_ms),
     sizeof(ntspool_time_ms)},
    {"backoff-max-ms", V_UINT, 1, 86400000, 1,
     offsetof(struct ntspool_settings, backoff_max_ms),
     sizeof(ntspool_time_ms)},
};

static const struct key upstream_tls_keys[] = {
    {"support-cache-validity-s", V_UINT, 0, 86400, 1000,
     offsetof(struct ntspool_settings, caps_validity_ms),
     sizeof(ntspool_time_ms)},
    {"connection-cache-size", V_UINT, 0, NTSPOOL_MAX_CACHED_CONNS, 1,
     offsetof(struct ntspool_settings, conn_cache_size), sizeof(size_t)},
    {"connection-cache-max-idle-s", V_UINT, 0, 86400, 1000,
     offsetof(struct ntspool_settings, conn_max_idle_ms),
     sizeof(ntspool_time_ms)},
    {"connection-cache-max-age-s", V_UINT, 0, 86400, 1000,
     offsetof(struct ntspool_settings, conn_max_age_ms),
     sizeof(ntspool_time_ms)},
    {"base-shared-secret-path", V_SECRET_FILE, 0, 0, 0, 0, 0},
};

static const struct key source_keys[] = {
    {"domain", V_WORD, 0, 0, 0, offsetof(struct ntspool_draft_source, domain),
     0},
    {"port", V_UINT, 1, 65535, 1, offsetof(struct ntspool_draft_source, port),
     sizeof(uint16_t)},
    {"connect-address", V_WORD, 0, 0, 0,
     offsetof(struct ntspool_draft_source, connect_address), 0},
    {"weight", V_UINT, 0, 1000000, 1,
     offsetof(struct ntspool_draft_source, weight), sizeof(uint32_t)},
    {"auth-token", V_TOKEN, 0, 0, 0, 0, 0},
    {"auth-token-path", V_TOKEN_FILE, 0, 0, 0, 0, 0},
    {"uuid", V_WORD, 0, 0, 0, offsetof(struct ntspool_draft_source, uuid), 0},
    {"randomizer", V_TEXT, 0, 0, 0,
     offsetof(struct ntspool_draft_source, randomizer), 0},
    {"base-key-index", V_UINT, 0, 65535, 1,
     offsetof(struct ntspool_draft_source, base_key_index), sizeof(uint32_t)},
    {"ipv4", V_BOOL, 0, 0, 0, offsetof(struct ntspool_draft_source, ipv4), 0},
    {"ipv6", V_BOOL, 0, 0, 0, offsetof(struct ntspool_draft_source, ipv6), 0},
    {"enabled", V_BOOL, 0, 0, 0, offsetof(struct ntspool_draft_source, enabled),
     0},
    {"record-numbering", V_NUMBERING, 0, 0, 0,
     offsetof(struct ntspool_draft_source, numbering), 0},
    {"list-server-names", V_BOOL, 0, 0, 0,
     offsetof(struct ntspool_draft_source, list_server_names), 0},
    {"regions", V_REGIONS, 0, 0, 0, 0, 0},
    {"region", V_REGIONS, 0, 0, 0, 0, 0},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int find_key(const struct key *keys, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(keys[i].name, name) == 0)
      return (int)i;
  return -1;
}

static void store_uint(void *base, const struct key *k, uint64_t x) {
  uint64_t v = x * k->scale;
  char *f = (char *)base + k->offset;
  switch (k->size) {
  case sizeof(uint16_t): {
    uint16_t t = (uint16_t)v;
    memcpy(f, &t, sizeof t);
    break;
  }
  case sizeof(uint32_t): {
    uint32_t t = (uint32_t)v;
    memcpy(f, &t, sizeof t);
    break;
  }
  default: {
    /* The fields are unsigned integers or ntspool_time_ms of 2, 4 or 8
     * bytes, and every accepted value fits each of them. */
    uint64_t t = v;
    memcpy(f, &t, sizeof t);
    break;
  }
  }
}

/* ---- Draft ------------------------------------------------------------ */

static struct ntspool_draft *draft_get(ntspool_policy *p) {
  if (p->draft == NULL) {
    p->draft = ntspool_calloc(&p->alloc, sizeof *p->draft);
    if (p->draft != NULL)
      ntspool_settings_defaults(&p->draft->settings);
  }
  return p->draft;
}

static const char *draft_name_of(const void *draft, size_t i) {
  return ((const struct ntspool_draft *)draft)->sources[i].name;
}

static struct ntspool_draft_source *
draft_source(ntspool_policy *p, struct ntspool_draft *d, const char *name) {
  size_t i;
  if (ntspool_name_index_find(&d->by_name, name, draft_name_of, d, &i) == 0)
    return &d->sources[i];
  if (d->n_sources == d->cap_sources) {
    size_t cap = d->cap_sources ? 2 * d->cap_sources : 8;
    struct ntspool_draft_source *n = ntspool_calloc(&p->alloc, cap * sizeof *n);
    if (n == NULL)
      return NULL;
    if (d->n_sources > 0)
      memcpy(n, d->sources, d->n_sources * sizeof *n);
    ntspool_free(&p->alloc, d->sources);
    d->sources = n;
    d->cap_sources = cap;
  }
  struct ntspool_draft_source *s = &d->sources[d->n_sources];
  memset(s, 0, sizeof *s);
  s->name = ntspool_strdup(&p->alloc, name);
  if (s->name == NULL)
    return NULL;
  s->port = NTSPOOL_DEFAULT_KE_PORT;
  s->weight = 1;
  s->ipv4 = s->ipv6 = s->enabled = true;
  s->numbering = NTSPOOL_NUMBERING_IANA;
  size_t existing;
  if (ntspool_name_index_add(&p->alloc, &d->by_name, d->n_sources,
                             draft_name_of, d, &existing) != 0) {
    ntspool_free(&p->alloc, s->name);
    return NULL;
  }
  d->n_sources++;
  return s;
}

static int set_token(ntspool_policy *p, struct ntspool_draft_source *s,
                     const char *token, size_t len, const char *where) {
  if (len == 0 || len > TOKEN_MAX) {
    ntspool_policy_error(p, "%s: a token has 1 to %d characters", where,
                         TOKEN_MAX);
    return NTSPOOL_ERR_CONFIG;
  }
  for (size_t i = 0; i < len; i++)
    if ((unsigned char)token[i] < 0x21 || (unsigned char)token[i] > 0x7E) {
      ntspool_policy_error(p, "%s: a token is printable ASCII without spaces",
                           where);
      return NTSPOOL_ERR_CONFIG;
    }
  s->token = ntspool_malloc(&p->alloc, len);
  if (s->token == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  memcpy(s->token, token, len);
  s->token_len = len;
  return 0;
}

static int token_from_file(ntspool_policy *p, struct ntspool_draft_source *s,
                           const char *path, const char *where) {
  char *text;
  size_t len;
  char why[400];
  int rc =
      ntspool_secret_file_read(&p->alloc, path, &text, &len, why, sizeof why);
  if (rc != 0) {
    ntspool_policy_error(p, "%s: %s", where, why);
    return rc;
  }
  ntspool_bytes line;
  if (ntspool_secret_line_count(text, len) != 1 ||
      ntspool_secret_line(text, len, 0, &line) != 0) {
    ntspool_policy_error(p, "%s: %s must hold exactly one non-empty line",
                         where, path);
    rc = NTSPOOL_ERR_CONFIG;
  } else {
    rc = set_token(p, s, (const char *)line.data, line.len, where);
  }
  ntspool_free_secret(&p->alloc, text, len);
  return rc;
}

/* "EU, NL" or "EU NL": region names, kept NUL-separated, added to those
 * given before (region and regions repeat).  An empty value adds none. */
static int set_regions(ntspool_policy *p, struct ntspool_draft_source *s,
                       const char *value, const char *where) {
  size_t len = strlen(value);
  char *out = ntspool_malloc(&p->alloc, s->regions_len + len + 1);
  if (out == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  size_t n = s->n_regions, used = s->regions_len;
  if (used > 0)
    memcpy(out, s->regions, used);
  for (const char *v = value; *v != '\0';) {
    v += strspn(v, ", \t");
    size_t w = strcspn(v, ", \t");
    if (w == 0)
      break;
    char name[65];
    bool ok = w < sizeof name && n < NTSPOOL_MAX_REGIONS;
    if (ok) {
      memcpy(name, v, w);
      name[w] = '\0';
      ok = printable_word(name, sizeof name - 1);
    }
    if (!ok) {
      ntspool_policy_error(p,
                           "%s: expected at most %d region names of 1..64 "
                           "printable characters",
                           where, NTSPOOL_MAX_REGIONS);
      ntspool_free(&p->alloc, out);
      return NTSPOOL_ERR_CONFIG;
    }
    memcpy(out + used, name, w + 1);
    used += w + 1;
    n++;
    v += w;
  }
  ntspool_free(&p->alloc, s->regions);
  s->regions = out;
  s->n_regions = n;
  s->regions_len = used;
  return 0;
}

/* Applies one value of kind k to `base` (settings or a draft source). */
static int apply(ntspool_policy *p, struct ntspool_draft *d,
                 struct ntspool_draft_source *s, void *base,
                 const struct key *k, bool first, const char *value,
                 const char *where) {
  uint64_t x;
  bool b;
  char **str = (char **)((char *)base + k->offset);
  switch (k->kind) {
  case V_UINT:
    if (ntspool_parse_uint(value, k->min, k->max, &x) != 0) {
      ntspool_policy_error(p, "%s: expected an integer %llu..%llu, got \"%s\"",
                           where, (unsigned long long)k->min,
                           (unsigned long long)k->max, value);
      return NTSPOOL_ERR_CONFIG;
    }
    store_uint(base, k, x);
    return 0;
  case V_BOOL:
    if (ntspool_parse_bool(value, &b) != 0) {
      ntspool_policy_error(p, "%s: expected true or false, got \"%s\"", where,
                           value);
      return NTSPOOL_ERR_CONFIG;
    }
    *(bool *)((char *)base + k->offset) = b;
    return 0;
  case V_WORD:
    if (!printable_word(value, NTSPOOL_MAX_NAME_LEN)) {
      ntspool_policy_error(
          p, "%s: expected 1..%d printable characters without spaces", where,
          NTSPOOL_MAX_NAME_LEN);
      return NTSPOOL_ERR_CONFIG;
    }
    /* fall through */
  case V_TEXT:
    *str = ntspool_strdup(&p->alloc, value);
    return *str != NULL ? 0 : NTSPOOL_ERR_NO_MEMORY;
  case V_STRATEGY:
    if (strcmp(value, "weighted") == 0)
      d->settings.strategy = NTSPOOL_STRATEGY_WEIGHTED;
    else if (strcmp(value, "round-robin") == 0)
      d->settings.strategy = NTSPOOL_STRATEGY_ROUND_ROBIN;
    else {
      ntspool_policy_error(
          p, "%s: expected weighted or round-robin, got \"%s\"", where, value);
      return NTSPOOL_ERR_CONFIG;
    }
    return 0;
  case V_PROTOCOL: {
    uint16_t proto;
    if (!parse_protocol(value, &proto)) {
      ntspool_policy_error(
          p, "%s: expected a protocol number, ntpv4 or draft-ntpv5, got \"%s\"",
          where, value);
      return NTSPOOL_ERR_CONFIG;
    }
    struct ntspool_settings *st = &d->settings;
    if (first) /* the first allowed-protocol replaces the default list */
      st->n_allowed = 0;
    for (size_t i = 0; i < st->n_allowed; i++)
      if (st->allowed[i] == proto)
        return 0;
    if (st->n_allowed == NTSPOOL_MAX_ALLOWED_PROTOCOLS) {
      ntspool_policy_error(p, "%s: at most %d protocols", where,
                           NTSPOOL_MAX_ALLOWED_PROTOCOLS);
      return NTSPOOL_ERR_CONFIG;
    }
    st->allowed[st->n_allowed++] = proto;
    return 0;
  }
  case V_NUMBERING:
    if (strcmp(value, "iana") == 0)
      s->numbering = NTSPOOL_NUMBERING_IANA;
    else if (strcmp(value, "draft") == 0)
      s->numbering = NTSPOOL_NUMBERING_DRAFT;
    else {
      ntspool_policy_error(p, "%s: expected iana or draft, got \"%s\"", where,
                           value);
      return NTSPOOL_ERR_CONFIG;
    }
    return 0;
  case V_SECRET_FILE: {
    char why[400];
    int rc = ntspool_secret_file_read(&p->alloc, value, &d->base_secret,
                                      &d->base_secret_len, why, sizeof why);
    if (rc != 0)
      ntspool_policy_error(p, "%s: %s", where, why);
    return rc;
  }
  case V_TOKEN:
    return set_token(p, s, value, strlen(value), where);
  case V_TOKEN_FILE:
    return token_from_file(p, s, value, where);
  case V_REGIONS:
    return set_regions(p, s, value, where);
  }
  return NTSPOOL_ERR_CONFIG;
}

int ntspool_policy_set(ntspool_policy *p, const char *section, const char *name,
                       const char *value) {
  if (p == NULL || section == NULL || name == NULL || value == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  p->error[0] = '\0';
  const struct key *keys;
  size_t n_keys;
  const char *source_name = NULL;
  if (strcmp(section, "selection") == 0) {
    keys = selection_keys;
    n_keys = N(selection_keys);
  } else if (strcmp(section, "upstream-tls") == 0) {
    keys = upstream_tls_keys;
    n_keys = N(upstream_tls_keys);
  } else if (strncmp(section, "upstream", 8) == 0 &&
             (section[8] == ' ' || section[8] == '\t')) {
    source_name = section + 9;
    while (*source_name == ' ' || *source_name == '\t')
      source_name++;
    if (*source_name == '\0') {
      ntspool_policy_error(p, "[%s]: an upstream section needs a name",
                           section);
      return NTSPOOL_ERR_CONFIG;
    }
    keys = source_keys;
    n_keys = N(source_keys);
  } else {
    ntspool_policy_error(p, "[%s] is not a pool policy section", section);
    return NTSPOOL_ERR_NOT_FOUND;
  }

  int i = find_key(keys, n_keys, name);
  if (i < 0) {
    if (keys == upstream_tls_keys) {
      /* [upstream-tls] is shared with the TLS layer: not ours, not wrong. */
      ntspool_policy_error(p, "[%s] %s is not a pool policy key", section,
                           name);
      return NTSPOOL_ERR_NOT_FOUND;
    }
    ntspool_policy_error(p, "[%s]: unknown key %s", section, name);
    return NTSPOOL_ERR_CONFIG;
  }
  const struct key *k = &keys[i];
  char where[300];
  snprintf(where, sizeof where, "[%s] %s", section, name);

  struct ntspool_draft *d = draft_get(p);
  if (d == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  struct ntspool_draft_source *s = NULL;
  unsigned *seen = &d->seen;
  unsigned bit = 1u << i;
  if (keys == upstream_tls_keys)
    bit <<= N(selection_keys);
  if (source_name != NULL) {
    s = draft_source(p, d, source_name);
    if (s == NULL)
      return NTSPOOL_ERR_NO_MEMORY;
    seen = &s->seen;
    /* The two ways of giving a token are one key. */
    if (k->kind == V_TOKEN_FILE)
      bit = 1u << find_key(keys, n_keys, "auth-token");
  }
  bool first = !(*seen & bit);
  if (!first && k->kind != V_PROTOCOL && k->kind != V_REGIONS) {
    ntspool_policy_error(p, "%s: given twice", where);
    return NTSPOOL_ERR_CONFIG;
  }
  void *base = s != NULL ? (void *)s : (void *)&d->settings;
  int rc = apply(p, d, s, base, k, first, value, where);
  if (rc != 0)
    return rc;
  *seen |= bit;
  if (s != NULL &&
      (strcmp(name, "randomizer") == 0 || strcmp(name, "base-key-index") == 0))
    s->wants_derivation = true;
  return 0;
}
