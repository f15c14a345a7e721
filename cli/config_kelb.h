/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Rust nts-pool-ke's configuration file (TOML with [server], [backend]
 * and [observability]), read through the same inih pass as
 * nts-pool-ke.conf: which keys mark which style, TOML values as inih hands
 * them over, and the table from each Rust key to ours.  config.c applies
 * the table; nothing here touches a configuration.
 */
#ifndef NTS_POOL_KE_CONFIG_KELB_H
#define NTS_POOL_KE_CONFIG_KELB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum nts_pool_ke_style {
  NTS_POOL_KE_STYLE_NONE, /* a key or section both styles accept */
  NTS_POOL_KE_STYLE_CONF, /* nts-pool-ke.conf(5) */
  NTS_POOL_KE_STYLE_KELB  /* the Rust nts-pool-ke's TOML */
};

/* Which style the key `name` of `section` marks. */
enum nts_pool_ke_style nts_pool_ke_style_of(const char *section,
                                            const char *name);

/* Reads the whole file as inih will (sections, keys, comments, indented
 * continuation lines) and returns its style: that of the first key that
 * marks one (NTS_POOL_KE_STYLE_NONE when none does).  A file with keys of
 * both styles is refused: -1 with "FILE:LINE: message" in err, LINE being
 * the first key of the style that came second. */
int nts_pool_ke_style_detect(FILE *f, const char *path,
                             enum nts_pool_ke_style *style, char *err,
                             size_t err_len);

enum nts_pool_ke_toml_kind {
  NTS_POOL_KE_TOML_STRING,
  NTS_POOL_KE_TOML_INTEGER,
  NTS_POOL_KE_TOML_BOOLEAN,
  NTS_POOL_KE_TOML_ARRAY
};

#define NTS_POOL_KE_TOML_MAX_ITEMS 32

/* One decoded value.  Strings are unescaped, integers are their decimal
 * digits without TOML's '_' separators, booleans "true" or "false"; an
 * array holds up to NTS_POOL_KE_TOML_MAX_ITEMS scalars of one kind. */
typedef struct nts_pool_ke_toml {
  enum nts_pool_ke_toml_kind kind;
  enum nts_pool_ke_toml_kind item_kind; /* arrays */
  size_t n_items;                       /* arrays */
  const char *items[NTS_POOL_KE_TOML_MAX_ITEMS];
  char text[1024]; /* scalars: the value; arrays: the items, NUL-separated */
} nts_pool_ke_toml;

/* Decodes a value as inih passes it (whitespace trimmed): a "basic" or
 * 'literal' string, an integer, true or false, or an array of those on one
 * line; a trailing # comment is allowed.  Returns 0, or -1 with *why (a
 * static sentence). */
int nts_pool_ke_toml_decode(const char *value, nts_pool_ke_toml *out,
                            const char **why);

/* How a Rust key is applied. */
enum nts_pool_ke_kelb_action {
  NTS_POOL_KE_KELB_SAME,   /* our key, value as it is */
  NTS_POOL_KE_KELB_EACH,   /* our repeatable key, once per array item */
  NTS_POOL_KE_KELB_TIMEOUT /* one of the two timesource-timeout keys */
};

typedef struct nts_pool_ke_kelb_key {
  const char *section, *name;
  enum nts_pool_ke_toml_kind kind; /* what the Rust KELB expects */
  bool array_ok;                   /* a string key that takes a list too */
  enum nts_pool_ke_kelb_action action;
  const char *to_section, *to_name; /* ours */
  const char *note;                 /* for -t: where the meaning differs */
} nts_pool_ke_kelb_key;

/* The Rust key `name` of `section`, or NULL when it has none. */
const nts_pool_ke_kelb_key *nts_pool_ke_kelb_key_find(const char *section,
                                                      const char *name);

/* A distinct bit per key, to notice one given twice (TOML forbids it). */
uint32_t nts_pool_ke_kelb_key_bit(const nts_pool_ke_kelb_key *k);

#endif
