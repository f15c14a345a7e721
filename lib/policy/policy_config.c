/* SPDX-License-Identifier: BSD-2-Clause */
/* ntspool_policy_set: the schema's policy rows (base/settings_table.h) into
 * the pending configuration (the draft) that ntspool_policy_commit turns
 * into a registry (draft.c). */
#include <stdio.h>
#include <string.h>

#include "base/settings_table.h"
#include "policy/policy_internal.h"

/* Where each policy row is stored, row for row with the schema. */
/* clang-format off */
#define FIELD_CTX(f) {0, 0, false}
#define FIELD_SETTINGS(f)                                                      \
  {offsetof(struct ntspool_settings, f),                                       \
   sizeof(((struct ntspool_settings *)0)->f), false}
#define FIELD_DRAFT(f)                                                         \
  {offsetof(struct ntspool_draft, f), sizeof(((struct ntspool_draft *)0)->f),   \
   false}
#define FIELD_SOURCE(f)                                                        \
  {offsetof(struct ntspool_draft_source, f),                                   \
   sizeof(((struct ntspool_draft_source *)0)->f), false}
#define NTSPOOL_SETTING(sec, key, roles, kind, min, max, scale, rep, target,   \
                        field, words, same)                                    \
  FIELD_##target(field),
/* clang-format on */
static const struct ntspool_setting_field fields[] = {NTSPOOL_SETTINGS_TABLE};

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

/* ---- Values that need more than a field ------------------------------- */

static int set_token(const ntspool_allocator *a, struct ntspool_draft_source *s,
                     const char *token, size_t len) {
  s->token = ntspool_malloc(a, len);
  if (s->token == NULL)
    return NTSPOOL_ERR_NO_MEMORY;
  memcpy(s->token, token, len);
  s->token_len = len;
  return 0;
}

/* A token file holds one non-empty line, checked as auth-token is. */
static int token_from_file(const ntspool_allocator *a,
                           struct ntspool_draft_source *s, const char *text,
                           size_t len, const char *section, const char *path,
                           char *err, size_t errlen) {
  ntspool_bytes line;
  if (ntspool_secret_line_count(text, len) != 1 ||
      ntspool_secret_line(text, len, 0, &line) != 0)
    return ntspool_setting_error(err, errlen, section, "auth-token-path",
                                 "%s must hold exactly one non-empty line",
                                 path);
  if (!ntspool_printable(line, NTSPOOL_TOKEN_MAX, false))
    return ntspool_setting_error(err, errlen, section, "auth-token-path",
                                 "a token has 1 to %d characters of printable "
                                 "ASCII without spaces",
                                 NTSPOOL_TOKEN_MAX);
  return set_token(a, s, (const char *)line.data, line.len);
}

/* "EU, NL" or "EU NL": region names, kept NUL-separated, added to those
 * given before (region and regions repeat).  An empty value adds none. */
static int set_regions(const ntspool_allocator *a,
                       struct ntspool_draft_source *s, const char *value,
                       const char *section, const char *key, char *err,
                       size_t errlen) {
  size_t len = strlen(value);
  char *out = ntspool_malloc(a, s->regions_len + len + 1);
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
    if (n == NTSPOOL_MAX_REGIONS ||
        !ntspool_printable((ntspool_bytes){(const uint8_t *)v, w}, 64, false)) {
      ntspool_free(a, out);
      return ntspool_setting_error(err, errlen, section, key,
                                   "expected at most %d region names of 1..64 "
                                   "printable characters",
                                   NTSPOOL_MAX_REGIONS);
    }
    memcpy(out + used, v, w);
    out[used + w] = '\0';
    used += w + 1;
    n++;
    v += w;
  }
  ntspool_free(a, s->regions);
  s->regions = out;
  s->n_regions = n;
  s->regions_len = used;
  return 0;
}

/* The first allowed-protocol replaces the default list; a repeat of one
 * already listed is kept once. */
static int add_protocol(struct ntspool_settings *st, bool first, uint16_t proto,
                        const char *section, const char *key, char *err,
                        size_t errlen) {
  if (first)
    st->n_allowed = 0;
  for (size_t i = 0; i < st->n_allowed; i++)
    if (st->allowed[i] == proto)
      return 0;
  if (st->n_allowed == NTSPOOL_MAX_ALLOWED_PROTOCOLS)
    return ntspool_setting_error(err, errlen, section, key,
                                 "at most %d protocols",
                                 NTSPOOL_MAX_ALLOWED_PROTOCOLS);
  st->allowed[st->n_allowed++] = proto;
  return 0;
}

/* ---- Keys ------------------------------------------------------------- */

/* Stores an accepted value of row i into base (settings, draft or source). */
static int store(const ntspool_allocator *a, struct ntspool_draft *d,
                 struct ntspool_draft_source *s, void *base, size_t i,
                 bool first, const char *section, const char *value,
                 const struct ntspool_setting_value *v, char *err,
                 size_t errlen, char *warn, size_t warnlen,
                 enum ntspool_config_error *kind) {
  const struct ntspool_setting *row = &ntspool_settings[i];
  struct ntspool_setting_field f = fields[i];
  char *text;
  size_t len;
  int rc;
  switch (row->kind) {
  case NTSPOOL_KIND_BOOL:
    *(bool *)((char *)base + f.offset) = v->b;
    return 0;
  case NTSPOOL_KIND_WORD:
  case NTSPOOL_KIND_TEXT:
    text = ntspool_strdup(a, value);
    if (text == NULL)
      return NTSPOOL_ERR_NO_MEMORY;
    memcpy((char *)base + f.offset, &text, sizeof text);
    return 0;
  case NTSPOOL_KIND_PROTOCOL:
    return add_protocol(&d->settings, first, (uint16_t)v->u, section, row->key,
                        err, errlen);
  case NTSPOOL_KIND_TOKEN:
    return set_token(a, s, value, strlen(value));
  case NTSPOOL_KIND_REGIONS:
    return set_regions(a, s, value, section, row->key, err, errlen);
  case NTSPOOL_KIND_SECRET_PATH:
    /* Read now, so the caller can name the line. */
    rc = ntspool_secret_file_read(a, value, &text, &len, err, errlen, warn,
                                  warnlen);
    if (rc != 0) {
      char why[400];
      if (warnlen > 0)
        warn[0] = '\0'; /* the refusal says it all */
      snprintf(why, sizeof why, "%s", err);
      ntspool_setting_error(err, errlen, section, row->key, "%s", why);
      *kind = NTSPOOL_CONFIG_FILE;
      return rc == NTSPOOL_ERR_NO_MEMORY ? rc : NTSPOOL_ERR_CONFIG;
    }
    if (row->target == NTSPOOL_TARGET_DRAFT) {
      d->base_secret = text;
      d->base_secret_len = len;
      return 0;
    }
    rc = token_from_file(a, s, text, len, section, value, err, errlen);
    ntspool_free_secret(a, text, len);
    return rc;
  default: /* MS, UINT, ENUM */
    ntspool_setting_store_uint(base, f, v->u);
    return 0;
  }
}

int ntspool_draft_set(ntspool_policy *p, size_t i, const char *section,
                      const char *name, const char *value,
                      enum ntspool_config_error *kind, char *err, size_t errlen,
                      char *warn, size_t warnlen) {
  const struct ntspool_setting *row = &ntspool_settings[i];
  struct ntspool_setting_value v;
  if (warnlen > 0)
    warn[0] = '\0';
  *kind = NTSPOOL_CONFIG_BAD_VALUE;
  int rc = ntspool_setting_read(i, section, value, &v, err, errlen);
  if (rc != 0)
    return rc;
  struct ntspool_draft *d = draft_get(p);
  if (d == NULL) {
    *kind = NTSPOOL_CONFIG_OTHER;
    return NTSPOOL_ERR_NO_MEMORY;
  }
  struct ntspool_draft_source *s = NULL;
  ntspool_settings_seen *seen = &d->seen;
  void *base =
      row->target == NTSPOOL_TARGET_DRAFT ? (void *)d : (void *)&d->settings;
  if (row->target == NTSPOOL_TARGET_SOURCE) {
    s = draft_source(p, d, name);
    if (s == NULL) {
      *kind = NTSPOOL_CONFIG_OTHER;
      return NTSPOOL_ERR_NO_MEMORY;
    }
    seen = &s->seen;
    base = s;
  }
  /* Checked against a copy: a refused value leaves the key unseen. */
  ntspool_settings_seen after = *seen;
  bool first;
  if ((rc = ntspool_setting_see(&after, i, section, &first, err, errlen)) !=
      0) {
    *kind = NTSPOOL_CONFIG_REPEATED;
    return rc;
  }
  rc = store(&p->alloc, d, s, base, i, first, section, value, &v, err, errlen,
             warn, warnlen, kind);
  if (rc != 0) {
    if (rc == NTSPOOL_ERR_NO_MEMORY)
      *kind = NTSPOOL_CONFIG_OTHER;
    return rc;
  }
  *seen = after;
  if (s != NULL && (strcmp(row->key, "randomizer") == 0 ||
                    strcmp(row->key, "base-key-index") == 0))
    s->wants_derivation = true;
  *kind = NTSPOOL_CONFIG_OK;
  return 0;
}

int ntspool_policy_set(ntspool_policy *p, const char *section, const char *name,
                       const char *value) {
  if (p == NULL || section == NULL || name == NULL || value == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  p->error[0] = '\0';
  const char *source_name;
  enum ntspool_config_error kind;
  int i = ntspool_setting_find(section, name, NTSPOOL_SETTING_P, &source_name,
                               &kind, p->error, sizeof p->error);
  /* A section the policy shares with the context ([upstream-tls]) or does
   * not own ([server]): not ours, not wrong; offer it to that layer. */
  unsigned targets = ntspool_setting_targets(section, NTSPOOL_SETTING_P);
  bool shared = targets & (1u << NTSPOOL_TARGET_CTX);
  bool ours = targets & ~(1u << NTSPOOL_TARGET_CTX);
  if ((i < 0 && kind == NTSPOOL_CONFIG_UNKNOWN_SECTION && !ours) ||
      (i < 0 && shared) ||
      (i >= 0 && ntspool_settings[i].target == NTSPOOL_TARGET_CTX)) {
    p->error_kind =
        i < 0 ? kind : NTSPOOL_CONFIG_UNKNOWN_KEY; /* for this object */
    if (i >= 0)
      ntspool_setting_error(p->error, sizeof p->error, section, name,
                            "not a pool policy key");
    return NTSPOOL_ERR_NOT_FOUND;
  }
  if (i < 0) {
    p->error_kind = kind;
    return NTSPOOL_ERR_CONFIG;
  }
  char warn[1];
  int rc = ntspool_draft_set(p, (size_t)i, section, source_name, value, &kind,
                             p->error, sizeof p->error, warn, sizeof warn);
  p->error_kind = kind;
  if (rc == 0)
    p->error[0] = '\0';
  return rc;
}
