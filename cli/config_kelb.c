/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Rust nts-pool-ke's configuration format (config_kelb.h).  Its
 * deployed files use one-line TOML: [section] headers, key = value, strings,
 * integers, booleans and one-line arrays, so inih reads them and only the
 * values need TOML's rules.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "config_kelb.h"

/* ---- styles ------------------------------------------------------------- */

enum nts_pool_ke_style nts_pool_ke_style_of(const char *section,
                                            const char *name) {
  static const char *const kelb_server[] = {
      "certificate-chain", "private-key", "key-exchange-timeout",
      "timesource-timeout", "monitoring-keys"};
  static const char *const conf_server[] = {
      "certificate-chain-path", "private-key-path", "key-exchange-timeout-ms",
      "handshake-timeout-ms", "max-message-bytes"};
  if (strcmp(section, "backend") == 0)
    return NTS_POOL_KE_STYLE_KELB;
  if (strcmp(section, "upstream-tls") == 0 || strcmp(section, "selection") == 0)
    return NTS_POOL_KE_STYLE_CONF;
  if (strcmp(section, "server") != 0)
    return NTS_POOL_KE_STYLE_NONE;
  for (size_t i = 0; i < sizeof kelb_server / sizeof *kelb_server; i++) {
    if (strcmp(name, kelb_server[i]) == 0)
      return NTS_POOL_KE_STYLE_KELB;
    if (strcmp(name, conf_server[i]) == 0)
      return NTS_POOL_KE_STYLE_CONF;
  }
  return NTS_POOL_KE_STYLE_NONE;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = '\0';
  return s;
}

int nts_pool_ke_style_detect(FILE *f, const char *path,
                             enum nts_pool_ke_style *style, char *err,
                             size_t err_len) {
  char line[1024], section[64] = "", key[64];
  unsigned n = 0, first_line[3] = {0, 0, 0}, quoted = 0;
  char first[3][160] = {"", "", ""};
  bool after_key = false, at_start = true;
  while (fgets(line, sizeof line, f)) {
    bool whole = strchr(line, '\n') != NULL;
    bool starts = at_start;
    at_start = whole;
    if (!starts)
      continue; /* the rest of a long line: inih refuses it later */
    n++;
    /* inih takes an indented line after a key as more of its value */
    bool indented = line[0] == ' ' || line[0] == '\t';
    char *s = trim(line);
    if (!*s || *s == ';' || *s == '#' || (indented && after_key))
      continue;
    after_key = false;
    if (*s == '[') {
      char *end = strchr(s, ']');
      if (end) {
        *end = '\0';
        snprintf(section, sizeof section, "%s", trim(s + 1));
      }
      continue;
    }
    size_t k = strcspn(s, "=:");
    if (!s[k])
      continue; /* a syntax error, reported by the real pass */
    s[k] = '\0';
    snprintf(key, sizeof key, "%s", trim(s));
    after_key = true;
    /* Quoted values are TOML's; nts-pool-ke.conf(5) never quotes these
     * sections' values.  A file with only shared keys is told by them. */
    char *value = trim(s + k + 1);
    if (!quoted && (*value == '"' || *value == '\'') &&
        (strcmp(section, "server") == 0 ||
         strcmp(section, "observability") == 0))
      quoted = n;
    enum nts_pool_ke_style st = nts_pool_ke_style_of(section, key);
    if (st == NTS_POOL_KE_STYLE_NONE || first_line[st])
      continue;
    first_line[st] = n;
    snprintf(first[st], sizeof first[st], "[%s] %s", section, key);
  }
  unsigned conf = first_line[NTS_POOL_KE_STYLE_CONF],
           kelb = first_line[NTS_POOL_KE_STYLE_KELB];
  if (conf && kelb) {
    bool kelb_first = kelb < conf;
    snprintf(
        err, err_len,
        "%s:%u: %s is %s, but line %u (%s) is %s; a file is in one "
        "style or the other",
        path, kelb_first ? conf : kelb,
        first[kelb_first ? NTS_POOL_KE_STYLE_CONF : NTS_POOL_KE_STYLE_KELB],
        kelb_first ? "nts-pool-ke.conf(5) style"
                   : "the Rust nts-pool-ke's style",
        kelb_first ? kelb : conf,
        first[kelb_first ? NTS_POOL_KE_STYLE_KELB : NTS_POOL_KE_STYLE_CONF],
        kelb_first ? "the Rust nts-pool-ke's style"
                   : "nts-pool-ke.conf(5) style");
    return -1;
  }
  *style = kelb || (!conf && quoted) ? NTS_POOL_KE_STYLE_KELB
           : conf                    ? NTS_POOL_KE_STYLE_CONF
                                     : NTS_POOL_KE_STYLE_NONE;
  return 0;
}

/* ---- TOML values -------------------------------------------------------- */

typedef struct cursor {
  const char *p;
  char *out, *end; /* where decoded bytes go */
  const char *why;
} cursor;

static bool put(cursor *c, char ch) {
  if (c->out + 1 >= c->end) {
    c->why = "the value is too long";
    return false;
  }
  *c->out++ = ch;
  return true;
}

static bool put_utf8(cursor *c, uint32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0) {
    c->why = "a \\u escape that is not a Unicode scalar value";
    return false;
  }
  if (cp < 0x80)
    return put(c, (char)cp);
  if (cp < 0x800)
    return put(c, (char)(0xC0 | cp >> 6)) && put(c, (char)(0x80 | (cp & 63)));
  if (cp < 0x10000)
    return put(c, (char)(0xE0 | cp >> 12)) &&
           put(c, (char)(0x80 | ((cp >> 6) & 63))) &&
           put(c, (char)(0x80 | (cp & 63)));
  return put(c, (char)(0xF0 | cp >> 18)) &&
         put(c, (char)(0x80 | ((cp >> 12) & 63))) &&
         put(c, (char)(0x80 | ((cp >> 6) & 63))) &&
         put(c, (char)(0x80 | (cp & 63)));
}

static bool escape(cursor *c) {
  static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
  char e = *c->p++;
  const char *at = e ? strchr(from, e) : NULL;
  if (at)
    return put(c, to[at - from]);
  if (e != 'u' && e != 'U') {
    c->why = "an unknown escape in a string";
    return false;
  }
  int digits = e == 'u' ? 4 : 8;
  uint32_t cp = 0;
  for (int i = 0; i < digits; i++, c->p++) {
    if (!isxdigit((unsigned char)*c->p)) {
      c->why = "a \\u escape needs hexadecimal digits";
      return false;
    }
    cp = cp * 16 + (uint32_t)(isdigit((unsigned char)*c->p)
                                  ? *c->p - '0'
                                  : (tolower((unsigned char)*c->p) - 'a' + 10));
  }
  return put_utf8(c, cp);
}

static bool string(cursor *c) {
  char quote = *c->p++;
  if (c->p[0] == quote && c->p[1] == quote) {
    c->why = "multi-line strings are not supported; write it on one line";
    return false;
  }
  while (*c->p != quote) {
    unsigned char ch = (unsigned char)*c->p;
    if (!ch) {
      c->why = "a string without its closing quote (an inline ';' "
               "comment cuts the line here)";
      return false;
    }
    if (ch < 0x20 && ch != '\t') {
      c->why = "a control character in a string";
      return false;
    }
    c->p++;
    if (ch == '\\' && quote == '"') {
      if (!escape(c))
        return false;
    } else if (!put(c, (char)ch)) {
      return false;
    }
  }
  c->p++;
  return put(c, '\0');
}

/* Decimal integers ("+"/"-" refused: no key takes a negative; "_" only
 * between digits, as TOML says). */
static bool integer(cursor *c) {
  if (c->p[0] == '0' && isdigit((unsigned char)c->p[1])) {
    c->why = "an integer with a leading zero";
    return false;
  }
  while (isdigit((unsigned char)*c->p) || *c->p == '_') {
    if (*c->p == '_' && !(isdigit((unsigned char)c->p[-1]) &&
                          isdigit((unsigned char)c->p[1]))) {
      c->why = "'_' in an integer must stand between digits";
      return false;
    }
    if (*c->p != '_' && !put(c, *c->p))
      return false;
    c->p++;
  }
  return put(c, '\0');
}

static bool word(cursor *c, const char *w) {
  size_t n = strlen(w);
  if (strncmp(c->p, w, n) != 0 || isalnum((unsigned char)c->p[n]) ||
      c->p[n] == '_' || c->p[n] == '-')
    return false;
  c->p += n;
  for (size_t i = 0; i <= n; i++)
    if (!put(c, w[i]))
      return false;
  return true;
}

/* One scalar; its kind in *kind. */
static bool scalar(cursor *c, enum nts_pool_ke_toml_kind *kind) {
  if (*c->p == '"' || *c->p == '\'') {
    *kind = NTS_POOL_KE_TOML_STRING;
    return string(c);
  }
  if (isdigit((unsigned char)*c->p)) {
    *kind = NTS_POOL_KE_TOML_INTEGER;
    return integer(c);
  }
  *kind = NTS_POOL_KE_TOML_BOOLEAN;
  if (word(c, "true") || word(c, "false"))
    return true;
  if (!c->why)
    c->why = "expected a TOML value: a \"string\", a number, true, false "
             "or [an, array]";
  return false;
}

static void blanks(cursor *c) {
  while (*c->p == ' ' || *c->p == '\t')
    c->p++;
}

static bool array(cursor *c, nts_pool_ke_toml *out) {
  c->p++; /* [ */
  for (;;) {
    blanks(c);
    if (*c->p == ']')
      break;
    if (!*c->p || *c->p == '#') {
      c->why = "arrays must be written on one line";
      return false;
    }
    if (out->n_items == NTS_POOL_KE_TOML_MAX_ITEMS) {
      c->why = "too many items in the array";
      return false;
    }
    if (*c->p == '[') {
      c->why = "arrays of arrays are not supported";
      return false;
    }
    enum nts_pool_ke_toml_kind kind;
    out->items[out->n_items] = c->out;
    if (!scalar(c, &kind))
      return false;
    if (out->n_items++ && kind != out->item_kind) {
      c->why = "an array mixes kinds of values";
      return false;
    }
    out->item_kind = kind;
    blanks(c);
    if (*c->p == ',')
      c->p++;
    else if (*c->p != ']') {
      c->why = "expected ',' or ']' in the array";
      return false;
    }
  }
  c->p++;
  return true;
}

int nts_pool_ke_toml_decode(const char *value, nts_pool_ke_toml *out,
                            const char **why) {
  memset(out, 0, sizeof *out);
  cursor c = {
      .p = value, .out = out->text, .end = out->text + sizeof out->text};
  bool ok;
  if (*c.p == '[') {
    out->kind = NTS_POOL_KE_TOML_ARRAY;
    ok = array(&c, out);
  } else {
    ok = scalar(&c, &out->kind);
  }
  if (ok) {
    blanks(&c);
    if (*c.p && *c.p != '#') {
      c.why = "unexpected text after the value (TOML comments start "
              "with #)";
      ok = false;
    }
  }
  if (!ok) {
    *why = c.why;
    return -1;
  }
  return 0;
}

/* ---- the Rust keys ------------------------------------------------------ */

#define STR NTS_POOL_KE_TOML_STRING
#define INT NTS_POOL_KE_TOML_INTEGER
#define BOOL NTS_POOL_KE_TOML_BOOLEAN
#define ARRAY NTS_POOL_KE_TOML_ARRAY

static const nts_pool_ke_kelb_key kelb_keys[] = {
    {"server", "listen", STR, false, NTS_POOL_KE_KELB_SAME, "server", "listen",
     NULL},
    {"server", "certificate-chain", STR, false, NTS_POOL_KE_KELB_SAME, "server",
     "certificate-chain-path", NULL},
    {"server", "private-key", STR, false, NTS_POOL_KE_KELB_SAME, "server",
     "private-key-path", NULL},
    {"server", "key-exchange-timeout", INT, false, NTS_POOL_KE_KELB_SAME,
     "server", "key-exchange-timeout-ms", NULL},
    {"server", "timesource-timeout", INT, false, NTS_POOL_KE_KELB_TIMEOUT,
     "upstream-tls", "timesource-timeout-ms", NULL},
    {"server", "max-connections", INT, false, NTS_POOL_KE_KELB_SAME, "server",
     "max-connections", NULL},
    {"server", "use-proxy-protocol", BOOL, false, NTS_POOL_KE_KELB_SAME,
     "server", "use-proxy-protocol", NULL},
    {"server", "proxy-protocol-trusted", STR, true, NTS_POOL_KE_KELB_EACH,
     "server", "proxy-protocol-trusted", "ours: only these may send PROXY"},
    {"server", "max-connections-per-address", INT, false, NTS_POOL_KE_KELB_SAME,
     "server", "max-connections-per-address", "ours: per client address"},
    {"server", "monitoring-keys", STR, false, NTS_POOL_KE_KELB_SAME, "server",
     "monitoring-keys-path", NULL},
    {"backend", "key-exchange-servers", STR, false, NTS_POOL_KE_KELB_SAME,
     "upstream-tls", "server-list-path", NULL},
    {"backend", "base-shared-secret", STR, false, NTS_POOL_KE_KELB_SAME,
     "upstream-tls", "base-shared-secret-path", NULL},
    {"backend", "upstream-cas", STR, true, NTS_POOL_KE_KELB_EACH,
     "upstream-tls", "additional-certificate-authority-path",
     "added to the system roots, as in the Rust nts-pool-ke"},
    {"backend", "certificate-chain", STR, false, NTS_POOL_KE_KELB_SAME,
     "upstream-tls", "certificate-chain-path", NULL},
    {"backend", "private-key", STR, false, NTS_POOL_KE_KELB_SAME,
     "upstream-tls", "private-key-path", NULL},
    {"backend", "allowed-protocols", ARRAY, false, NTS_POOL_KE_KELB_EACH,
     "selection", "allowed-protocol", NULL},
    {"backend", "geolocation-db", STR, false, NTS_POOL_KE_KELB_SAME, "server",
     "geolocation-db", NULL},
    {"backend", "server-support-cache-validity", INT, false,
     NTS_POOL_KE_KELB_SAME, "upstream-tls", "support-cache-validity-s", NULL},
    {"backend", "server-connection-cache-max-idle", INT, false,
     NTS_POOL_KE_KELB_SAME, "upstream-tls", "connection-cache-max-idle-s",
     NULL},
    {"backend", "server-connection-cache-max-age", INT, false,
     NTS_POOL_KE_KELB_SAME, "upstream-tls", "connection-cache-max-age-s", NULL},
    {"backend", "timesource-timeout", INT, false, NTS_POOL_KE_KELB_TIMEOUT,
     "upstream-tls", "timesource-timeout-ms", NULL},
    {"observability", "log-level", STR, false, NTS_POOL_KE_KELB_SAME,
     "observability", "log-level", NULL},
    {"observability", "metrics-listen", STR, false, NTS_POOL_KE_KELB_SAME,
     "observability", "metrics-listen", "ours: Prometheus"},
};

_Static_assert(sizeof kelb_keys / sizeof *kelb_keys <= 32,
               "nts_pool_ke_kelb_key_bit needs one bit per key");

uint32_t nts_pool_ke_kelb_key_bit(const nts_pool_ke_kelb_key *k) {
  return (uint32_t)1 << (k - kelb_keys);
}

const nts_pool_ke_kelb_key *nts_pool_ke_kelb_key_find(const char *section,
                                                      const char *name) {
  for (size_t i = 0; i < sizeof kelb_keys / sizeof *kelb_keys; i++)
    if (strcmp(kelb_keys[i].section, section) == 0 &&
        strcmp(kelb_keys[i].name, name) == 0)
      return &kelb_keys[i];
  return NULL;
}
