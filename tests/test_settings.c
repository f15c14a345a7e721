/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration schema (lib/base/settings_table.h): every key of every
 * role given twice (a list key adds, any other key is "given twice"),
 * through ntspool_ctx_set and, for the policy's keys, ntspool_policy_set;
 * the man pages list exactly the schema's keys; the error kinds; secret
 * files through the one reader (long lines, permissions, warnings); the
 * read-back of time-outs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ntspool.h"
#include "session/session_internal.h"

/* ---- Files --------------------------------------------------------------- */

/* A new file of `mode` holding text; the caller unlinks it. */
static void make_file(char path[64], const char *text, mode_t mode) {
  snprintf(path, 64, "/tmp/ntspool-settings-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  size_t n = strlen(text);
  assert_int_equal(write(fd, text, n), (ssize_t)n);
  assert_int_equal(fchmod(fd, mode), 0);
  close(fd);
}

/* ---- Values that every kind accepts -------------------------------------- */

/* Two valid values of each kind whose values do not depend on the row. */
static const char *const fixed_values[][2] = {
    [NTSPOOL_KIND_BOOL] = {"True", "off"},
    [NTSPOOL_KIND_WORD] = {"a.example", "b.example"},
    [NTSPOOL_KIND_TEXT] = {"tests/pki/ca.pem", "tests/pki/bundle.pem"},
    [NTSPOOL_KIND_PATH] = {"tests/pki/ca.pem", "tests/pki/bundle.pem"},
    [NTSPOOL_KIND_MONITOR_KEY] = {"monitor key 1", "monitor key 2"},
    [NTSPOOL_KIND_TOKEN] = {"token-1", "token-2"},
    [NTSPOOL_KIND_ID] = {"0", "32769"},
    [NTSPOOL_KIND_AEAD] = {"15", "17"},
    [NTSPOOL_KIND_PROTOCOL] = {"ntpv4", "draft-ntpv5"},
    [NTSPOOL_KIND_CIPHERSUITES] = {"TLS_AES_128_GCM_SHA256",
                                   "TLS_AES_256_GCM_SHA384"},
    [NTSPOOL_KIND_REGIONS] = {"EU", "NL"},
};

/* Two valid values of row r (a list takes both): its bounds, its words, a
 * token file of one line (mode 0600), or the kind's fixed pair. */
static void two_values(const struct ntspool_setting *r, const char *file,
                       const char *v[2], char buf[2][32]) {
  switch (r->kind) {
  case NTSPOOL_KIND_MS:
  case NTSPOOL_KIND_UINT:
    snprintf(buf[0], 32, "%llu", (unsigned long long)r->min);
    snprintf(buf[1], 32, "%llu", (unsigned long long)r->max);
    break;
  case NTSPOOL_KIND_ENUM:
    snprintf(buf[0], 32, "%.*s", (int)strcspn(r->words, "|"), r->words);
    snprintf(buf[1], 32, "%s", strchr(r->words, '|') + 1);
    break;
  case NTSPOOL_KIND_SECRET_PATH:
    v[0] = v[1] = file;
    return;
  default:
    if ((size_t)r->kind >= sizeof fixed_values / sizeof *fixed_values ||
        !fixed_values[r->kind][0])
      fail_msg("kind %d has no test values", (int)r->kind);
    v[0] = fixed_values[r->kind][0], v[1] = fixed_values[r->kind][1];
    return;
  }
  v[0] = buf[0], v[1] = buf[1];
}

static enum ntspool_role role_of(const struct ntspool_setting *r) {
  for (int role = NTSPOOL_ROLE_POOL; role <= NTSPOOL_ROLE_CLIENT; role++)
    if (r->roles & (1u << role))
      return (enum ntspool_role)role;
  fail_msg("[%s] %s has no role", r->section, r->key);
  return NTSPOOL_ROLE_POOL;
}

/* Row i with its section ([upstream a] for [upstream NAME]) and two
 * values. */
struct twice {
  const struct ntspool_setting *r;
  const char *section;
  const char *v[2];
  char buf[2][32];
};

static void twice_init(struct twice *t, size_t i, const char *file) {
  t->r = &ntspool_settings[i];
  t->section =
      strcmp(t->r->section, "upstream") == 0 ? "upstream a" : t->r->section;
  two_values(t->r, file, t->v, t->buf);
}

/* The one rule, for row i through ntspool_ctx_set: the first value is
 * taken; a second is taken by a list key, refused as "given twice" by any
 * other. */
static void twice_through_ctx(size_t i, const char *file) {
  struct twice t;
  twice_init(&t, i, file);
  const struct ntspool_setting *r = t.r;
  const char *section = t.section, *const *v = t.v;
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(role_of(r), NULL, &ctx), 0);
  int rc = ntspool_ctx_set(ctx, section, r->key, v[0]);
  if (rc != 0)
    fail_msg("[%s] %s = %s: %s", section, r->key, v[0], ntspool_ctx_error(ctx));
  assert_int_equal(ntspool_ctx_error_kind(ctx), NTSPOOL_CONFIG_OK);
  rc = ntspool_ctx_set(ctx, section, r->key, v[1]);
  if (r->repeat == NTSPOOL_REPEAT_LIST) {
    if (rc != 0)
      fail_msg("list [%s] %s: %s", section, r->key, ntspool_ctx_error(ctx));
  } else {
    char expect[200];
    snprintf(expect, sizeof expect, "[%s] %s: given twice", section, r->key);
    if (rc != NTSPOOL_ERR_CONFIG || strcmp(ntspool_ctx_error(ctx), expect))
      fail_msg("[%s] %s twice: %d \"%s\"", section, r->key, rc,
               ntspool_ctx_error(ctx));
    assert_int_equal(ntspool_ctx_error_kind(ctx), NTSPOOL_CONFIG_REPEATED);
    /* The same value again is no different. */
    assert_int_equal(ntspool_ctx_set(ctx, section, r->key, v[0]),
                     NTSPOOL_ERR_CONFIG);
    /* A time-out keeps the first value. */
    ntspool_time_ms ms;
    if (r->kind == NTSPOOL_KIND_MS && r->target == NTSPOOL_TARGET_CTX) {
      assert_int_equal(ntspool_ctx_get_ms(ctx, section, r->key, &ms), 0);
      assert_int_equal(ms, r->min);
    }
  }
  ntspool_ctx_unref(ctx);
}

/* The same through ntspool_policy_set, for the policy's rows. */
static void twice_through_policy(size_t i, const char *file) {
  struct twice t;
  twice_init(&t, i, file);
  const struct ntspool_setting *r = t.r;
  const char *section = t.section, *const *v = t.v;
  ntspool_policy *p;
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  assert_int_equal(ntspool_policy_set(p, section, r->key, v[0]), 0);
  int rc = ntspool_policy_set(p, section, r->key, v[1]);
  if (r->repeat == NTSPOOL_REPEAT_LIST) {
    assert_int_equal(rc, 0);
    assert_int_equal(ntspool_policy_config_error_kind(p), NTSPOOL_CONFIG_OK);
  } else {
    assert_int_equal(rc, NTSPOOL_ERR_CONFIG);
    assert_int_equal(ntspool_policy_config_error_kind(p),
                     NTSPOOL_CONFIG_REPEATED);
    assert_non_null(strstr(ntspool_policy_config_error(p), ": given twice"));
  }
  ntspool_policy_unref(p);
}

static void test_settings_every_key_twice(void **state) {
  (void)state;
  char file[64];
  make_file(file, "token-in-a-file\n", 0600);
  size_t lists = 0, once = 0, policy = 0;
  for (size_t i = 0; i < ntspool_settings_count; i++) {
    twice_through_ctx(i, file);
    if (ntspool_settings[i].target != NTSPOOL_TARGET_CTX) {
      twice_through_policy(i, file);
      policy++;
    }
    if (ntspool_settings[i].repeat == NTSPOOL_REPEAT_LIST)
      lists++;
    else
      once++;
  }
  unlink(file);
  print_message("%zu keys: %zu once, %zu lists, %zu of the policy\n",
                ntspool_settings_count, once, lists, policy);
  assert_true(ntspool_settings_count > 60);
}

/* Keys that count as one: a token given both ways is given twice. */
static void test_settings_same_key(void **state) {
  (void)state;
  char file[64];
  make_file(file, "token-in-a-file\n", 0600);
  ntspool_policy *p;
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "auth-token", "t"), 0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "auth-token-path", file),
                   NTSPOOL_ERR_CONFIG);
  assert_string_equal(ntspool_policy_config_error(p),
                      "[upstream a] auth-token-path: given twice");
  /* Another source is another set of keys. */
  assert_int_equal(ntspool_policy_set(p, "upstream b", "auth-token-path", file),
                   0);
  ntspool_policy_unref(p);
  unlink(file);
}

/* ---- The man pages list exactly the schema's keys ------------------------ */

/* Splits a roff request line's arguments (double quotes group words). */
static size_t roff_args(const char *line, char out[8][128]) {
  size_t n = 0;
  const char *p = line + strcspn(line, " ");
  while (*p && n < 8) {
    while (*p == ' ')
      p++;
    if (!*p)
      break;
    size_t len = 0;
    if (*p == '"') {
      for (p++; *p && *p != '"'; p++)
        if (len < 127)
          out[n][len++] = *p;
      if (*p)
        p++;
    } else {
      for (; *p && *p != ' ' && *p != '\n'; p++)
        if (len < 127)
          out[n][len++] = *p;
    }
    out[n++][len] = '\0';
  }
  return n;
}

struct documented {
  size_t n;
  struct {
    char section[32], key[64];
    bool repeatable;
  } keys[256];
};

static void add_doc(struct documented *d, const char *section, const char *key,
                    bool repeatable) {
  assert_true(d->n < 256);
  snprintf(d->keys[d->n].section, 32, "%s", section);
  snprintf(d->keys[d->n].key, 64, "%s", key);
  d->keys[d->n].repeatable = repeatable;
  d->n++;
}

static bool is_key_name(const char *s) {
  if (*s < 'a' || *s > 'z')
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
      return false;
  return true;
}

static char *read_all(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char text[1 << 17];
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  return text;
}

/* nts-pool-ke.conf(5): the keys of the library's sections, one per .TP or
 * .TQ item; "Repeatable" in the item's paragraph. */
static void read_conf5(struct documented *d) {
  char *text = read_all("man/nts-pool-ke.conf.5");
  const char *section = NULL;
  char *save = NULL;
  bool item = false;
  size_t first_of_item = 0;
  for (char *line = strtok_r(text, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    if (strncmp(line, ".SH ", 4) == 0) {
      static const char *const lib[] = {"[server]", "[upstream-tls]",
                                        "[selection]", "[upstream NAME]"};
      section = NULL;
      for (size_t i = 0; i < 4; i++)
        if (strcmp(line + 4, lib[i]) == 0)
          section = lib[i];
      item = false;
      continue;
    }
    if (!section)
      continue;
    if (strcmp(line, ".TP") == 0) {
      first_of_item = d->n;
      item = true;
      continue;
    }
    if (strcmp(line, ".TQ") == 0) {
      item = true;
      continue;
    }
    if (item) {
      char args[8][128];
      assert_true(roff_args(line, args) >= 1);
      char name[32];
      snprintf(name, sizeof name, "%.*s", (int)strlen(section) - 2,
               section + 1);
      if (strcmp(name, "upstream NAME") == 0)
        snprintf(name, sizeof name, "upstream");
      add_doc(d, name, args[0], false);
      item = false;
      continue;
    }
    /* Repeatable in the paragraph marks every key of the item. */
    if (strstr(line, "Repeatable"))
      for (size_t i = first_of_item; i < d->n; i++)
        d->keys[i].repeatable = true;
  }
}

/* libntspool(3), CONFIGURATION KEYS: ".B [section] key" for the pool's
 * keys nts-pool-ke.conf(5) leaves out, then the bold words of the
 * [time-source] and [client] paragraphs; "repeatable" on the key's line or
 * the next. */
static void read_lib3(struct documented *d) {
  char *text = read_all("man/libntspool.3");
  char *start = strstr(text, ".SH CONFIGURATION KEYS");
  assert_non_null(start);
  char *end = strstr(start + 1, "\n.SH ");
  assert_non_null(end);
  *end = '\0';
  const char *section = NULL;
  char *save = NULL;
  for (char *line = strtok_r(start, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char args[8][128];
    bool next_repeatable = save && strncmp(save, "(repeatable", 11) == 0;
    if (strcmp(line, ".PP") == 0 || strncmp(line, ".SS", 3) == 0) {
      section = NULL;
      continue;
    }
    if (strncmp(line, ".B ", 3) != 0 && strncmp(line, ".BR ", 4) != 0)
      continue;
    size_t n = roff_args(line, args);
    if (line[2] == ' ' && n == 2 && args[0][0] == '[' && section == NULL) {
      /* .B [server] monitoring-key: a pool key */
      char name[32];
      snprintf(name, sizeof name, "%.*s", (int)strlen(args[0]) - 2,
               args[0] + 1);
      if (is_key_name(args[1]))
        add_doc(d, name, args[1], next_repeatable);
      continue;
    }
    if (n >= 1 && strcmp(args[0], "[time-source]") == 0) {
      section = "time-source";
      continue;
    }
    if (n >= 1 && strcmp(args[0], "[client]") == 0) {
      section = "client";
      continue;
    }
    if (!section)
      continue;
    /* .BR alternates bold and roman: the bold arguments are the keys. */
    size_t step = line[2] == 'R' ? 2 : 1;
    for (size_t i = 0; i < n; i += step)
      if (is_key_name(args[i])) {
        const char *after = i + 1 < n ? args[i + 1] : "";
        add_doc(d, section, args[i],
                strstr(after, "repeatable") != NULL || next_repeatable);
      }
  }
}

/* What the daemon reads itself (cli/config.c), in the library's sections. */
static bool daemon_key(const char *section, const char *key) {
  static const char *const keys[][2] = {
      {"server", "listen"},
      {"server", "monitoring-keys-path"},
      {"server", "max-connections"},
      {"server", "max-connections-per-address"},
      {"server", "use-proxy-protocol"},
      {"server", "proxy-protocol-trusted"},
      {"server", "watch-interval-s"},
      {"server", "geolocation-db"},
      {"upstream-tls", "server-list-path"},
  };
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    if (strcmp(keys[i][0], section) == 0 && strcmp(keys[i][1], key) == 0)
      return true;
  return false;
}

static void test_settings_man_pages(void **state) {
  (void)state;
  static struct documented d;
  d.n = 0;
  read_conf5(&d);
  size_t conf5 = d.n;
  read_lib3(&d);
  print_message("documented: %zu keys in nts-pool-ke.conf(5), %zu in "
                "libntspool(3)\n",
                conf5, d.n - conf5);
  int missing = 0;
  /* Every row is documented, with "repeatable" exactly for lists. */
  for (size_t i = 0; i < ntspool_settings_count; i++) {
    const struct ntspool_setting *r = &ntspool_settings[i];
    bool found = false;
    for (size_t j = 0; j < d.n; j++) {
      if (strcmp(d.keys[j].section, r->section) != 0 ||
          strcmp(d.keys[j].key, r->key) != 0)
        continue;
      found = true;
      if (d.keys[j].repeatable != (r->repeat == NTSPOOL_REPEAT_LIST)) {
        print_error("[%s] %s: the manual %s repeatable\n", r->section, r->key,
                    d.keys[j].repeatable ? "says" : "does not say");
        missing++;
      }
    }
    if (!found) {
      print_error("[%s] %s is in the schema, not in the manual pages\n",
                  r->section, r->key);
      missing++;
    }
  }
  /* Every documented key is a row or the daemon's own. */
  for (size_t j = 0; j < d.n; j++) {
    bool found = daemon_key(d.keys[j].section, d.keys[j].key);
    for (size_t i = 0; i < ntspool_settings_count && !found; i++)
      found = strcmp(d.keys[j].section, ntspool_settings[i].section) == 0 &&
              strcmp(d.keys[j].key, ntspool_settings[i].key) == 0;
    if (!found) {
      print_error("[%s] %s is in the manual pages, not in the schema\n",
                  d.keys[j].section, d.keys[j].key);
      missing++;
    }
  }
  assert_int_equal(missing, 0);
}

/* ---- Error kinds ----------------------------------------------------------
 */

static void expect_kind(ntspool_ctx *ctx, const char *section, const char *key,
                        const char *value, enum ntspool_config_error kind,
                        const char *message) {
  assert_int_equal(ntspool_ctx_set(ctx, section, key, value),
                   kind == NTSPOOL_CONFIG_OK ? 0 : NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_ctx_error_kind(ctx), kind);
  assert_string_equal(ntspool_ctx_error(ctx), message);
}

static void test_settings_error_kinds(void **state) {
  (void)state;
  char leaky[64], good[64];
  make_file(leaky, "leaky-token\n", 0644);
  make_file(good, "good-token\n", 0600);
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &ctx), 0);
  expect_kind(ctx, "sever", "listen", "x", NTSPOOL_CONFIG_UNKNOWN_SECTION,
              "[sever] listen: unknown section");
  expect_kind(ctx, "time-source", "cookies", "4",
              NTSPOOL_CONFIG_UNKNOWN_SECTION,
              "[time-source] cookies: unknown section");
  expect_kind(ctx, "upstream ", "domain", "x", NTSPOOL_CONFIG_UNKNOWN_SECTION,
              "[upstream ] domain: an upstream section needs a name");
  expect_kind(ctx, "server", "listn", "x", NTSPOOL_CONFIG_UNKNOWN_KEY,
              "[server] listn: unknown key");
  /* Names from files (a server list's uuid names a section) may hold any
   * byte; the message stays one printable line. */
  expect_kind(ctx, "upstream a\nb\x01", "domian\r", "x",
              NTSPOOL_CONFIG_UNKNOWN_KEY,
              "[upstream a\\x0ab\\x01] domian\\x0d: unknown key");
  expect_kind(ctx, "upstream a", "domian", "x", NTSPOOL_CONFIG_UNKNOWN_KEY,
              "[upstream a] domian: unknown key");
  expect_kind(ctx, "server", "key-exchange-timeout-ms", "soon",
              NTSPOOL_CONFIG_BAD_VALUE,
              "[server] key-exchange-timeout-ms: expected milliseconds from "
              "1 to 86400000");
  expect_kind(ctx, "upstream-tls", "connection-cache-max-age-s", "100000",
              NTSPOOL_CONFIG_BAD_VALUE,
              "[upstream-tls] connection-cache-max-age-s: expected a number "
              "from 0 to 86400");
  /* A refused value leaves the key free for a good one. */
  expect_kind(ctx, "upstream a", "enabled", "maybe", NTSPOOL_CONFIG_BAD_VALUE,
              "[upstream a] enabled: expected true or false");
  expect_kind(ctx, "upstream a", "enabled", "TRUE", NTSPOOL_CONFIG_OK, "");
  expect_kind(ctx, "upstream a", "enabled", "no", NTSPOOL_CONFIG_REPEATED,
              "[upstream a] enabled: given twice");
  /* The value is never in the message (a token may be). */
  expect_kind(ctx, "upstream a", "auth-token", "has space",
              NTSPOOL_CONFIG_BAD_VALUE,
              "[upstream a] auth-token: a token is printable ASCII without "
              "spaces");
  assert_int_equal(ntspool_ctx_set(ctx, "upstream a", "auth-token-path", leaky),
                   NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_ctx_error_kind(ctx), NTSPOOL_CONFIG_FILE);
  assert_non_null(
      strstr(ntspool_ctx_error(ctx), "[upstream a] auth-token-path: "));
  assert_non_null(strstr(ntspool_ctx_error(ctx), "readable by others"));
  assert_null(strstr(ntspool_ctx_error(ctx), "leaky-token"));
  assert_int_equal(ntspool_ctx_set(ctx, "upstream a", "auth-token-path",
                                   "/nonexistent/token"),
                   NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_ctx_error_kind(ctx), NTSPOOL_CONFIG_FILE);
  expect_kind(ctx, "upstream a", "auth-token-path", good, NTSPOOL_CONFIG_OK,
              "");
  /* Ready: the pool's callbacks missing. */
  assert_int_equal(ntspool_ctx_ready(ctx), NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_ctx_error_kind(ctx), NTSPOOL_CONFIG_INCOMPLETE);
  ntspool_ctx_unref(ctx);

  /* The policy alone: the same kinds; a key of another layer is left. */
  ntspool_policy *p;
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  assert_int_equal(ntspool_policy_set(p, "selection", "strategy", "lottery"),
                   NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_policy_config_error_kind(p),
                   NTSPOOL_CONFIG_BAD_VALUE);
  assert_string_equal(ntspool_policy_config_error(p),
                      "[selection] strategy: expected weighted or "
                      "round-robin");
  assert_int_equal(ntspool_policy_set(p, "selection", "strategi", "weighted"),
                   NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_policy_config_error_kind(p),
                   NTSPOOL_CONFIG_UNKNOWN_KEY);
  assert_int_equal(
      ntspool_policy_set(p, "server", "certificate-chain-path", "x"),
      NTSPOOL_ERR_NOT_FOUND);
  assert_int_equal(ntspool_policy_set(p, "upstream z", "port", "123"), 0);
  assert_int_equal(ntspool_policy_config_error_kind(p), NTSPOOL_CONFIG_OK);
  assert_int_equal(ntspool_policy_commit(p), NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_policy_config_error_kind(p),
                   NTSPOOL_CONFIG_INCOMPLETE);
  ntspool_policy_unref(p);
  unlink(leaky);
  unlink(good);
}

/* ---- Secret files ----------------------------------------------------- */

static int cookies(void *u, uint16_t p, uint16_t a, const uint8_t *c2s,
                   const uint8_t *s2c, size_t len, ntspool_cookie *out,
                   size_t max) {
  (void)u, (void)p, (void)a, (void)c2s, (void)s2c, (void)len, (void)out;
  return (int)max;
}

static char logged[512];
static void capture(void *user, enum ntspool_log_level level,
                    const char *component, const char *line) {
  (void)user;
  if (level == NTSPOOL_LOG_WARNING)
    snprintf(logged, sizeof logged, "%s: %s", component, line);
}

static ntspool_ctx *ready_source(const char *token_path, int expect_rc) {
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_SOURCE, NULL, &ctx), 0);
  assert_int_equal(
      ntspool_ctx_set_logger(ctx, capture, NULL, NTSPOOL_LOG_WARNING), 0);
  ntspool_source_ops ops = {NTSPOOL_IO_VERSION, cookies, NULL};
  assert_int_equal(ntspool_ctx_set_source_ops(ctx, &ops), 0);
  assert_int_equal(ntspool_ctx_set(ctx, "time-source", "certificate-chain-path",
                                   "tests/pki/timesource.pem"),
                   0);
  assert_int_equal(ntspool_ctx_set(ctx, "time-source", "private-key-path",
                                   "tests/pki/timesource.key"),
                   0);
  assert_int_equal(
      ntspool_ctx_set(ctx, "time-source", "accepted-token-path", token_path),
      0);
  assert_int_equal(ntspool_ctx_ready(ctx), expect_rc);
  return ctx;
}

/* The time source's token file: read as every secret file is, one token a
 * line of any length (a 2000-byte line stayed one token). */
static void test_settings_accepted_token_file(void **state) {
  (void)state;
  static char text[2100];
  memset(text, 'k', 2000);
  memcpy(text + 2000, "\n\n  short \r\n", 13);
  char path[64];
  make_file(path, text, 0600);
  ntspool_ctx *ctx = ready_source(path, 0);
  assert_int_equal(ctx->tokens.count, 2);
  assert_int_equal(strlen(ctx->tokens.items[0]), 2000);
  assert_string_equal(ctx->tokens.items[1], "short");
  ntspool_ctx_unref(ctx);

  /* Readable by others: refused, the token never in the message. */
  assert_int_equal(chmod(path, 0644), 0);
  ctx = ready_source(path, NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_ctx_error_kind(ctx), NTSPOOL_CONFIG_FILE);
  assert_non_null(
      strstr(ntspool_ctx_error(ctx), "[time-source] accepted-token-path: "));
  assert_non_null(strstr(ntspool_ctx_error(ctx), "readable by others"));
  assert_null(strstr(ntspool_ctx_error(ctx), "kkkk"));
  ntspool_ctx_unref(ctx);

  /* Writable by its group: loaded, with the library's warning. */
  assert_int_equal(chmod(path, 0660), 0);
  logged[0] = '\0';
  ctx = ready_source(path, 0);
  assert_non_null(strstr(logged, "config: secret file "));
  assert_non_null(strstr(logged, "readable by group or others (mode 0660)"));
  ntspool_ctx_unref(ctx);
  unlink(path);

  /* Not there: NTSPOOL_ERR_NOT_FOUND, as before. */
  ctx = ready_source("/nonexistent/tokens", NTSPOOL_ERR_NOT_FOUND);
  assert_int_equal(ntspool_ctx_error_kind(ctx), NTSPOOL_CONFIG_FILE);
  ntspool_ctx_unref(ctx);
}

/* A pool's token file of one 2000-byte line is one line (then refused as
 * too long a token, with the token's own rule). */
static void test_settings_long_token_line(void **state) {
  (void)state;
  static char text[2100];
  memset(text, 't', 2000);
  memcpy(text + 2000, "\n", 2);
  char path[64];
  make_file(path, text, 0600);
  ntspool_policy *p;
  assert_int_equal(ntspool_policy_new(NULL, NULL, &p), 0);
  assert_int_equal(ntspool_policy_set(p, "upstream a", "auth-token-path", path),
                   NTSPOOL_ERR_CONFIG);
  assert_non_null(strstr(ntspool_policy_config_error(p), "1 to 1024"));
  ntspool_policy_unref(p);
  unlink(path);
}

/* Private keys are read by the TLS library; an open one is a warning. */
static void test_settings_private_key_warning(void **state) {
  (void)state;
  char path[64];
  make_file(path, "not really a key\n", 0644);
  ntspool_ctx *ctx;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &ctx), 0);
  assert_int_equal(
      ntspool_ctx_set_logger(ctx, capture, NULL, NTSPOOL_LOG_WARNING), 0);
  logged[0] = '\0';
  assert_int_equal(ntspool_ctx_set(ctx, "server", "private-key-path", path), 0);
  char expect[200];
  snprintf(expect, sizeof expect,
           "config: secret file %s is readable by group or others (mode "
           "0644); chmod 600 it",
           path);
  assert_string_equal(logged, expect);
  ntspool_ctx_unref(ctx);
  char err[200], warn[200];
  assert_int_equal(
      ntspool_secret_path_check(path, err, sizeof err, warn, sizeof warn), 0);
  assert_string_equal(warn, expect + strlen("config: "));
  assert_int_equal(chmod(path, 0600), 0);
  assert_int_equal(
      ntspool_secret_path_check(path, err, sizeof err, warn, sizeof warn), 0);
  assert_string_equal(warn, "");
  unlink(path);
  assert_int_equal(ntspool_secret_path_check("/nonexistent/key", err,
                                             sizeof err, warn, sizeof warn),
                   NTSPOOL_ERR_NOT_FOUND);
  assert_int_equal(
      ntspool_secret_path_check("/tmp", err, sizeof err, warn, sizeof warn),
      NTSPOOL_ERR_CONFIG);
}

/* ---- Read-back and the shared value parsers ------------------------------ */

static void test_settings_get_ms(void **state) {
  (void)state;
  ntspool_ctx *ctx;
  ntspool_time_ms ms = 0;
  assert_int_equal(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &ctx), 0);
  /* Defaults before any key. */
  assert_int_equal(
      ntspool_ctx_get_ms(ctx, "server", "key-exchange-timeout-ms", &ms), 0);
  assert_int_equal(ms, 5000);
  assert_int_equal(
      ntspool_ctx_get_ms(ctx, "upstream-tls", "timesource-timeout-ms", &ms), 0);
  assert_int_equal(ms, 2500);
  assert_int_equal(
      ntspool_ctx_set(ctx, "server", "key-exchange-timeout-ms", "1234"), 0);
  assert_int_equal(
      ntspool_ctx_get_ms(ctx, "server", "key-exchange-timeout-ms", &ms), 0);
  assert_int_equal(ms, 1234);
  assert_int_equal(ntspool_ctx_get_ms(ctx, "server", "nope-ms", &ms),
                   NTSPOOL_ERR_NOT_FOUND);
  assert_int_equal(
      ntspool_ctx_get_ms(ctx, "time-source", "idle-timeout-ms", &ms),
      NTSPOOL_ERR_NOT_FOUND); /* not a pool's key */
  assert_int_equal(ntspool_ctx_get_ms(ctx, "server", "max-message-bytes", &ms),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ctx_get_ms(ctx, "selection", "backoff-max-ms", &ms),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_ctx_get_ms(NULL, "server", "x", &ms),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_ctx_unref(ctx);

  bool b = false;
  uint64_t u = 0;
  assert_int_equal(ntspool_parse_bool("True", &b), 0);
  assert_true(b);
  assert_int_equal(ntspool_parse_bool("OFF", &b), 0);
  assert_false(b);
  assert_int_equal(ntspool_parse_bool("truthy", &b), NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_parse_uint("4096", 1, 4096, &u), 0);
  assert_int_equal(u, 4096);
  assert_int_equal(ntspool_parse_uint("4097", 1, 4096, &u), NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_parse_uint(" 1", 0, 9, &u), NTSPOOL_ERR_CONFIG);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_settings_every_key_twice),
      cmocka_unit_test(test_settings_same_key),
      cmocka_unit_test(test_settings_man_pages),
      cmocka_unit_test(test_settings_error_kinds),
      cmocka_unit_test(test_settings_accepted_token_file),
      cmocka_unit_test(test_settings_long_token_line),
      cmocka_unit_test(test_settings_private_key_warning),
      cmocka_unit_test(test_settings_get_ms),
  };
  return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
