/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nts-pool-ke.conf loading (config.h).  inih calls handler() once per
 * key; lines are counted by our own reader so every message can name its
 * line (the distribution's inih is built without INI_HANDLER_LINENO).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "config_kelb.h"
#include "log.h"
#include "upstream_io.h"

/* inih keeps at most 50 bytes of a section or key name (NUL included) and
 * cuts longer ones silently; a name that reaches the limit may have been
 * cut, so it is refused rather than silently becoming another name. */
#define INIH_NAME_MAX 49

typedef struct loader {
  const char *path;
  FILE *file;
  unsigned line;
  unsigned section_line; /* of the last [section] header */
  bool at_line_start;
  bool too_long;
  nts_pool_ke_config *cfg;
  char *err;
  size_t err_len;
  bool failed;
  /* scalar daemon keys already seen (a repeat is an error) */
  bool seen_max_conn, seen_proxy, seen_log, seen_metrics, seen_user, seen_group,
      seen_pid, seen_watch, seen_geo, seen_max_per_addr;
  /* the Rust format's two timesource-timeout keys (0: not given) */
  uint64_t kelb_timeout_server, kelb_timeout_backend;
  uint32_t kelb_seen; /* nts_pool_ke_kelb_key_bit of each Rust key given */
} loader;

__attribute__((format(printf, 2, 3))) static int fail(loader *l,
                                                      const char *fmt, ...) {
  if (l->failed)
    return 0;
  int n = snprintf(l->err, l->err_len, "%s:%u: ", l->path, l->line);
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < l->err_len)
    vsnprintf(l->err + n, l->err_len - (size_t)n, fmt, ap);
  va_end(ap);
  l->failed = true;
  return 0;
}

/* fgets that counts lines.  A line longer than inih's buffer would be
 * split into two "lines" by inih; that is refused instead. */
static char *reader(char *str, int num, void *stream) {
  loader *l = stream;
  if (!fgets(str, num, l->file))
    return NULL;
  if (l->at_line_start) {
    l->line++;
    size_t lead = strspn(str, " \t");
    if (str[lead] == '[')
      l->section_line = l->line;
  }
  size_t n = strlen(str);
  l->at_line_start = n > 0 && str[n - 1] == '\n';
  if (!l->at_line_start && !feof(l->file)) {
    l->too_long = true;
    return NULL;
  }
  return str;
}

static int once(loader *l, bool *seen, const char *section, const char *name) {
  if (*seen)
    return fail(l, "[%s] %s: given twice", section, name);
  *seen = true;
  return 1;
}

/* The library's warnings while the file is read (a secret file others
 * can read) name the line of the key that caused them. */
static void load_log(void *user, enum ntspool_log_level level,
                     const char *component, const char *line) {
  const loader *l = user;
  nts_pool_ke_log(level, component ? component : "config", "%s:%u: %s", l->path,
                  l->line, line);
}

/* A library key.  Its message is "[section] key: reason" already; an
 * unknown section is reported at its header, not at its first key. */
static int forward(loader *l, const char *section, const char *name,
                   const char *value) {
  size_t n = strlen(name);
  if (n > 5 && strcmp(name + n - 5, "-path") == 0 &&
      nts_pool_ke_config_files_add(&l->cfg->files, value) != 0)
    return fail(l, "out of memory");
  int rc = ntspool_ctx_set(l->cfg->ctx, section, name, value);
  if (rc == 0)
    return 1;
  const char *why = ntspool_ctx_error(l->cfg->ctx);
  if (ntspool_ctx_error_kind(l->cfg->ctx) == NTSPOOL_CONFIG_UNKNOWN_SECTION)
    l->line = l->section_line;
  return fail(l, "%s", *why ? why : ntspool_strerror(rc));
}

/* "a, b c" lists: proxy-protocol-trusted. */
static int add_trusted(loader *l, const char *value) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", value);
  char *save = NULL;
  int n = 0;
  for (char *tok = strtok_r(buf, ", \t", &save); tok;
       tok = strtok_r(NULL, ", \t", &save), n++) {
    nts_pool_ke_config *c = l->cfg;
    if (c->n_trusted == NTS_POOL_KE_MAX_TRUSTED)
      return fail(l, "[server] proxy-protocol-trusted: at most %d ranges",
                  NTS_POOL_KE_MAX_TRUSTED);
    if (nts_pool_ke_parse_cidr(tok, &c->trusted[c->n_trusted]) != 0)
      return fail(l,
                  "[server] proxy-protocol-trusted: '%s' is not an address "
                  "or CIDR range (10.0.0.0/8, 2001:db8::/32)",
                  tok);
    c->n_trusted++;
  }
  return n ? 1 : fail(l, "[server] proxy-protocol-trusted: empty list");
}

static int server_key(loader *l, const char *name, const char *value) {
  nts_pool_ke_config *c = l->cfg;
  uint64_t v;
  if (strcmp(name, "listen") == 0) {
    if (c->n_listen == NTS_POOL_KE_MAX_LISTEN)
      return fail(l, "[server] listen: at most %d addresses",
                  NTS_POOL_KE_MAX_LISTEN);
    if (nts_pool_ke_parse_addr(value, &c->listen[c->n_listen]) != 0)
      return fail(l,
                  "[server] listen: expected ADDRESS:PORT or [IPV6]:PORT "
                  "with a numeric address, got '%s'",
                  value);
    c->n_listen++;
    return 1;
  }
  if (strcmp(name, "max-connections") == 0) {
    if (!once(l, &l->seen_max_conn, "server", name))
      return 0;
    if (ntspool_parse_uint(value, 1, NTS_POOL_KE_MAX_CONNECTIONS, &v))
      return fail(l, "[server] max-connections: expected a number from 1 to %d",
                  NTS_POOL_KE_MAX_CONNECTIONS);
    c->max_connections = (unsigned)v;
    return 1;
  }
  if (strcmp(name, "max-connections-per-address") == 0) {
    if (!once(l, &l->seen_max_per_addr, "server", name))
      return 0;
    if (ntspool_parse_uint(value, 1, NTS_POOL_KE_MAX_CONNECTIONS, &v))
      return fail(l,
                  "[server] max-connections-per-address: expected a number "
                  "from 1 to %d",
                  NTS_POOL_KE_MAX_CONNECTIONS);
    c->max_per_address = (unsigned)v;
    return 1;
  }
  if (strcmp(name, "use-proxy-protocol") == 0) {
    if (!once(l, &l->seen_proxy, "server", name))
      return 0;
    if (ntspool_parse_bool(value, &c->use_proxy))
      return fail(l, "[server] use-proxy-protocol: expected true or false");
    return 1;
  }
  if (strcmp(name, "proxy-protocol-trusted") == 0)
    return add_trusted(l, value);
  if (strcmp(name, "watch-interval-s") == 0) {
    if (!once(l, &l->seen_watch, "server", name))
      return 0;
    if (ntspool_parse_uint(value, 0, 86400, &v))
      return fail(l, "[server] watch-interval-s: expected 0 (off) to 86400");
    c->watch_interval_s = (unsigned)v;
    return 1;
  }
  if (strcmp(name, "geolocation-db") == 0) {
    if (!once(l, &l->seen_geo, "server", name))
      return 0;
    if (!*value || strlen(value) >= sizeof c->geolocation_db)
      return fail(l, "[server] geolocation-db: expected a file name");
    memcpy(c->geolocation_db, value, strlen(value) + 1);
    /* watched: a new database is read by the reload it causes */
    if (nts_pool_ke_config_files_add(&c->files, value) != 0)
      return fail(l, "out of memory");
    return 1;
  }
  if (strcmp(name, "monitoring-keys-path") == 0) {
    char why[NTS_POOL_KE_ERROR_LEN / 2], warn[NTS_POOL_KE_ERROR_LEN / 2];
    /* Read by the daemon (monitor_keys.c), judged by the library's rule
     * for every secret file. */
    if (ntspool_secret_path_check(value, why, sizeof why, warn, sizeof warn) ==
            0 &&
        *warn)
      load_log(l, NTSPOOL_LOG_WARNING, "config", warn);
    if (nts_pool_ke_config_files_set_monitor_keys(&c->files, value, why,
                                                  sizeof why) != 0)
      return fail(l, "%s", why);
    return 1;
  }
  return forward(l, "server", name, value);
}

static int observability_key(loader *l, const char *name, const char *value) {
  nts_pool_ke_config *c = l->cfg;
  if (strcmp(name, "log-level") == 0) {
    if (!once(l, &l->seen_log, "observability", name))
      return 0;
    if (nts_pool_ke_log_parse_level(value, &c->log_level))
      return fail(l, "[observability] log-level: expected error, warning, "
                     "info, debug or trace");
    c->has_log_level = true;
    return 1;
  }
  if (strcmp(name, "metrics-listen") == 0) {
    if (!once(l, &l->seen_metrics, "observability", name))
      return 0;
    if (nts_pool_ke_parse_addr(value, &c->metrics) != 0)
      return fail(l, "[observability] metrics-listen: expected ADDRESS:PORT "
                     "or [IPV6]:PORT");
    c->has_metrics = true;
    return 1;
  }
  return fail(l, "[observability] %s: unknown key", name);
}

static int daemon_key(loader *l, const char *name, const char *value) {
  nts_pool_ke_config *c = l->cfg;
  struct {
    const char *name;
    char *dest;
    size_t cap;
    bool *seen;
  } keys[] = {{"user", c->user, sizeof c->user, &l->seen_user},
              {"group", c->group, sizeof c->group, &l->seen_group},
              {"pid-file", c->pid_file, sizeof c->pid_file, &l->seen_pid}};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    if (strcmp(name, keys[i].name) != 0)
      continue;
    if (!once(l, keys[i].seen, "daemon", name))
      return 0;
    if (!*value || strlen(value) >= keys[i].cap)
      return fail(l, "[daemon] %s: expected 1 to %zu characters", name,
                  keys[i].cap - 1);
    memcpy(keys[i].dest, value, strlen(value) + 1);
    return 1;
  }
  return fail(l, "[daemon] %s: unknown key", name);
}

static int dispatch(loader *l, const char *section, const char *name,
                    const char *value);

/* The [nts-pool-ke-server] section of the 2023 nts-pool-ke (the first pool
 * design, in ntpd-rs), with its server list written as repeated
 * `key-exchange-server = host:port` lines.
 * In that design the pool presented its own certificate to the time
 * sources, so the chain and key also become the upstream client
 * certificate. */
static int legacy_key(loader *l, const char *name, const char *value) {
  static const struct {
    const char *legacy, *section, *name;
  } map[] = {
      {"listen", "server", "listen"},
      {"certificate-chain", "server", "certificate-chain-path"},
      {"certificate-chain-path", "server", "certificate-chain-path"},
      {"certificate-chain", "upstream-tls", "certificate-chain-path"},
      {"certificate-chain-path", "upstream-tls", "certificate-chain-path"},
      {"private-key", "server", "private-key-path"},
      {"private-key-path", "server", "private-key-path"},
      {"private-key", "upstream-tls", "private-key-path"},
      {"private-key-path", "upstream-tls", "private-key-path"},
      {"certificate-authority", "upstream-tls", "certificate-authority-path"},
      {"certificate-authority-path", "upstream-tls",
       "certificate-authority-path"},
      {"key-exchange-timeout", "server", "key-exchange-timeout-ms"},
      {"key-exchange-timeout-ms", "server", "key-exchange-timeout-ms"},
      {"timesource-timeout", "upstream-tls", "timesource-timeout-ms"},
      {"timesource-timeout-ms", "upstream-tls", "timesource-timeout-ms"},
      {"max-connections", "server", "max-connections"},
      {"use-proxy-protocol", "server", "use-proxy-protocol"},
      {"proxy-protocol-trusted", "server", "proxy-protocol-trusted"},
  };
  /* Values copied from the TOML original may still carry its quotes. */
  char v[1024];
  size_t n = strlen(value);
  if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
    snprintf(v, sizeof v, "%.*s", (int)(n - 2), value + 1);
  else
    snprintf(v, sizeof v, "%s", value);

  if (strcmp(name, "key-exchange-server") == 0) {
    /* host:port or [v6]:port; the source is named after it */
    char host[256] = "";
    const char *port;
    const char *colon = strrchr(v, ':');
    if (v[0] == '[') {
      const char *close = strchr(v, ']');
      if (!close || close + 1 != colon)
        return fail(l, "[nts-pool-ke-server] key-exchange-server: expected "
                       "HOST:PORT");
      snprintf(host, sizeof host, "%.*s", (int)(close - v - 1), v + 1);
    } else if (colon) {
      snprintf(host, sizeof host, "%.*s", (int)(colon - v), v);
    }
    if (!colon || !*host || !colon[1])
      return fail(l, "[nts-pool-ke-server] key-exchange-server: expected "
                     "HOST:PORT");
    port = colon + 1;
    char section[sizeof v + 16];
    snprintf(section, sizeof section, "upstream %s", v);
    if (!forward(l, section, "domain", host))
      return 0;
    return forward(l, section, "port", port);
  }
  int done = 0;
  for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
    if (strcmp(map[i].legacy, name) != 0)
      continue;
    if (!dispatch(l, map[i].section, map[i].name, v))
      return 0;
    done = 1;
  }
  return done ? 1 : fail(l, "[nts-pool-ke-server] %s: unknown key", name);
}

static int dispatch(loader *l, const char *section, const char *name,
                    const char *value) {
  if (strcmp(section, "server") == 0)
    return server_key(l, name, value);
  if (strcmp(section, "observability") == 0)
    return observability_key(l, name, value);
  if (strcmp(section, "daemon") == 0)
    return daemon_key(l, name, value);
  if (strcmp(section, "nts-pool-ke-server") == 0)
    return legacy_key(l, name, value);
  if (strcmp(section, "upstream-tls") == 0 &&
      strcmp(name, "server-list-path") == 0) {
    char why[NTS_POOL_KE_ERROR_LEN / 2];
    if (nts_pool_ke_config_files_set_list(&l->cfg->files, value, why,
                                          sizeof why) != 0)
      return fail(l, "%s", why);
    return 1;
  }
  return forward(l, section, name, value);
}

/* ---- the Rust nts-pool-ke's keys (config_kelb.h) ------------------------ */

__attribute__((format(printf, 2, 3))) static void
map_line(loader *l, const char *fmt, ...) {
  char *m = l->cfg->mapping;
  size_t n = strlen(m);
  va_list ap;
  va_start(ap, fmt);
  if (n + 1 < sizeof l->cfg->mapping)
    vsnprintf(m + n, sizeof l->cfg->mapping - n - 1, fmt, ap);
  va_end(ap);
  n = strlen(m);
  if (n + 1 < sizeof l->cfg->mapping)
    memcpy(m + n, "\n", 2);
}

static const char *kind_wanted(const nts_pool_ke_kelb_key *k) {
  switch (k->kind) {
  case NTS_POOL_KE_TOML_STRING:
    return k->array_ok ? "a string in double quotes, or an array of them"
                       : "a string in double quotes";
  case NTS_POOL_KE_TOML_INTEGER:
    return "a number";
  case NTS_POOL_KE_TOML_BOOLEAN:
    return "true or false";
  case NTS_POOL_KE_TOML_ARRAY:
    break;
  }
  return "an array of numbers, such as [0]";
}

static bool kind_fits(const nts_pool_ke_kelb_key *k,
                      const nts_pool_ke_toml *v) {
  if (k->kind == NTS_POOL_KE_TOML_ARRAY)
    return v->kind == NTS_POOL_KE_TOML_ARRAY &&
           (v->n_items == 0 || v->item_kind == NTS_POOL_KE_TOML_INTEGER);
  if (k->array_ok && v->kind == NTS_POOL_KE_TOML_ARRAY)
    return v->n_items == 0 || v->item_kind == k->kind;
  return v->kind == k->kind;
}

/* Our key refused the value: the message names our key; put the Rust
 * key the operator wrote in front. */
static int kelb_failed(loader *l, const nts_pool_ke_kelb_key *k) {
  if (strcmp(k->section, k->to_section) == 0 &&
      strcmp(k->name, k->to_name) == 0)
    return 0; /* the same name: the message is right as it is */
  char rest[NTS_POOL_KE_ERROR_LEN];
  int head = snprintf(rest, sizeof rest, "%s:%u: ", l->path, l->line);
  if (head < 0 || strncmp(l->err, rest, (size_t)head) != 0)
    return 0;
  snprintf(rest, sizeof rest, "%s", l->err + head);
  snprintf(l->err, l->err_len, "%s:%u: [%s] %s: %s", l->path, l->line,
           k->section, k->name, rest);
  return 0;
}

static int kelb_key(loader *l, const char *section, const char *name,
                    const char *value) {
  const nts_pool_ke_kelb_key *k = nts_pool_ke_kelb_key_find(section, name);
  if (!k)
    return fail(l, "[%s] %s: unknown key (Rust nts-pool-ke style)", section,
                name);
  if (l->kelb_seen & nts_pool_ke_kelb_key_bit(k))
    return fail(l, "[%s] %s: given twice", section, name);
  l->kelb_seen |= nts_pool_ke_kelb_key_bit(k);
  nts_pool_ke_toml v;
  const char *why;
  /* A bare path or address is the likeliest slip: say what TOML wants. */
  if (k->kind == NTS_POOL_KE_TOML_STRING && *value != '"' && *value != '\'' &&
      !(k->array_ok && *value == '['))
    return fail(l, "[%s] %s: expected %s", section, name, kind_wanted(k));
  if (nts_pool_ke_toml_decode(value, &v, &why) != 0)
    return fail(l, "[%s] %s: %s", section, name, why);
  if (!kind_fits(k, &v))
    return fail(l, "[%s] %s: expected %s", section, name, kind_wanted(k));
  bool list = v.kind == NTS_POOL_KE_TOML_ARRAY;
  const char *one[1] = {v.text};
  const char *const *items = list ? v.items : one;
  size_t n = list ? v.n_items : 1;
  if (n == 0)
    return fail(l, "[%s] %s: an empty list", section, name);
  uint64_t ms;
  switch (k->action) {
  case NTS_POOL_KE_KELB_TIMEOUT: {
    uint64_t *slot = strcmp(section, "server") == 0 ? &l->kelb_timeout_server
                                                    : &l->kelb_timeout_backend;
    if (ntspool_parse_uint(v.text, 1, 86400000, &ms) != 0)
      return fail(l, "[%s] %s: expected milliseconds from 1 to 86400000",
                  section, name);
    *slot = ms;
    return 1; /* both are known at the end: finish_kelb() */
  }
  case NTS_POOL_KE_KELB_SAME:
  case NTS_POOL_KE_KELB_EACH:
    break;
  }
  for (size_t i = 0; i < n; i++) {
    if (!dispatch(l, k->to_section, k->to_name, items[i]))
      return kelb_failed(l, k);
    map_line(l, "[%s] %s -> [%s] %s = %s%s%s%s", section, name, k->to_section,
             k->to_name, items[i], k->note ? " (" : "", k->note ? k->note : "",
             k->note ? ")" : "");
  }
  return 1;
}

/* What needs the whole file: one upstream budget from the two Rust
 * timeouts, and PROXY without a trust list.  Returns 0 or -1. */
static int finish_kelb(loader *l) {
  nts_pool_ke_config *c = l->cfg;
  unsigned long long srv = l->kelb_timeout_server, be = l->kelb_timeout_backend;
  if (srv || be) {
    /* The Rust KELB spends [backend]'s on the support query and
     * [server]'s on connect plus Fixed Key; our one budget covers all three
     * for each source tried, and takes the larger. */
    unsigned long long ms = srv > be ? srv : be;
    char text[24];
    snprintf(text, sizeof text, "%llu", ms);
    if (!dispatch(l, "upstream-tls", "timesource-timeout-ms", text))
      return -1;
    map_line(l,
             "[server] timesource-timeout = %llu, [backend] timesource-timeout "
             "= %llu -> [upstream-tls] timesource-timeout-ms = %llu (the "
             "larger; one budget for connect, support query and Fixed Key)",
             srv ? srv : 2500, be ? be : 2500, ms);
  }
  if (c->use_proxy && c->n_trusted == 0) {
    /* Accepted as the Rust KELB accepts it: any peer may send the header. */
    NTS_POOL_KE_WARN("config",
                     "%s: [server] use-proxy-protocol = true without "
                     "proxy-protocol-trusted: any peer that reaches the "
                     "listen port can claim any client address; list the "
                     "balancers in proxy-protocol-trusted",
                     l->path);
    if (nts_pool_ke_parse_cidr("0.0.0.0/0", &c->trusted[0]) != 0 ||
        nts_pool_ke_parse_cidr("::/0", &c->trusted[1]) != 0)
      return -1;
    c->n_trusted = 2;
    map_line(l, "[server] use-proxy-protocol = true, no "
                "proxy-protocol-trusted -> every peer may send PROXY "
                "(warned at every load)");
  }
  return 0;
}

static int handler(void *user, const char *section, const char *name,
                   const char *value) {
  loader *l = user;
  if (l->failed)
    return 1; /* the first error is the one reported */
  if (!*section)
    return fail(l, "'%s' is outside any section", name);
  if (strlen(section) >= INIH_NAME_MAX || strlen(name) >= INIH_NAME_MAX)
    return fail(l, "section and key names are limited to %d characters",
                INIH_NAME_MAX - 1);
  if (l->cfg->kelb_style &&
      (strcmp(section, "server") == 0 || strcmp(section, "backend") == 0 ||
       strcmp(section, "observability") == 0))
    return kelb_key(l, section, name, value);
  return dispatch(l, section, name, value);
}

static int finish(loader *l, const enum ntspool_log_level *level_override) {
  nts_pool_ke_config *c = l->cfg;
  if (c->kelb_style && finish_kelb(l) != 0) {
    if (l->failed)
      return -1;
    snprintf(l->err, l->err_len, "%s: internal error", l->path);
    return -1;
  }
  if (c->n_listen == 0) {
    snprintf(l->err, l->err_len, "%s: [server] listen is required", l->path);
    return -1;
  }
  if (c->use_proxy && c->n_trusted == 0) {
    snprintf(l->err, l->err_len,
             "%s: [server] use-proxy-protocol needs proxy-protocol-trusted "
             "(the balancers' addresses)",
             l->path);
    return -1;
  }
  enum ntspool_log_level level = level_override     ? *level_override
                                 : c->has_log_level ? c->log_level
                                                    : NTSPOOL_LOG_INFO;
  /* A database that does not open fails the load: a reload keeps the
   * running configuration and its database. */
  char geo_err[NTS_POOL_KE_ERROR_LEN];
  if (*c->geolocation_db && nts_pool_ke_geo_open(c->geolocation_db, &c->geo,
                                                 geo_err, sizeof geo_err)) {
    snprintf(l->err, l->err_len, "%s: %s", l->path, geo_err);
    return -1;
  }
  ntspool_upstream_ops ops = nts_pool_ke_upstream_ops(c);
  int rc = ntspool_ctx_set_logger(c->ctx, nts_pool_ke_log_library, NULL, level);
  /* The list's sources join the [upstream NAME] sections. */
  if (rc == 0 && nts_pool_ke_config_files_load_list(&c->files, c->ctx, l->err,
                                                    l->err_len) != 0)
    return -1;
  if (rc == 0)
    rc = ntspool_ctx_set_upstream_ops(c->ctx, &ops);
  if (rc == 0)
    rc = ntspool_ctx_ready(c->ctx);
  /* The daemon's own waits follow the library's time-outs: the drain on
   * exit the key exchange's, the PROXY header read the handshake's. */
  if (rc == 0)
    rc = ntspool_ctx_get_ms(c->ctx, "server", "key-exchange-timeout-ms",
                            &c->ke_timeout_ms);
  if (rc == 0)
    rc = ntspool_ctx_get_ms(c->ctx, "server", "handshake-timeout-ms",
                            &c->handshake_timeout_ms);
  if (rc) {
    const char *why = ntspool_ctx_error(c->ctx);
    snprintf(l->err, l->err_len, "%s: %s", l->path,
             *why ? why : ntspool_strerror(rc));
    return -1;
  }
  return 0;
}

static int load(const char *path, const enum ntspool_log_level *level_override,
                nts_pool_ke_config *previous, nts_pool_ke_config **out,
                char *err, size_t err_len) {
  *out = NULL;
  nts_pool_ke_config *c = calloc(1, sizeof *c);
  if (!c) {
    snprintf(err, err_len, "%s: out of memory", path);
    return -1;
  }
  atomic_init(&c->refs, 1);
  c->max_connections = 100;
  c->max_per_address = 10; /* nts-pool-ke.conf(5) says why */
  c->watch_interval_s = 60;
  if (nts_pool_ke_config_files_add(&c->files, path) != 0) {
    snprintf(err, err_len, "%s: out of memory", path);
    nts_pool_ke_config_unref(c);
    return -1;
  }
  int rc = ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &c->ctx);
  if (rc == 0 && previous)
    rc = ntspool_ctx_keep_state(c->ctx, previous->ctx);
  if (rc) {
    snprintf(err, err_len, "%s: %s", path, ntspool_strerror(rc));
    nts_pool_ke_config_unref(c);
    return -1;
  }

  loader l = {.path = path,
              .at_line_start = true,
              .cfg = c,
              .err = err,
              .err_len = err_len};
  /* Until finish(): warnings name the file and line being read. */
  rc = ntspool_ctx_set_logger(c->ctx, load_log, &l, NTSPOOL_LOG_WARNING);
  if (rc) {
    snprintf(err, err_len, "%s: %s", path, ntspool_strerror(rc));
    nts_pool_ke_config_unref(c);
    return -1;
  }
  l.file = fopen(path, "r");
  if (!l.file) {
    snprintf(err, err_len, "%s: cannot open: %s", path, strerror(errno));
    nts_pool_ke_config_unref(c);
    return -1;
  }
  enum nts_pool_ke_style style;
  if (nts_pool_ke_style_detect(l.file, path, &style, err, err_len) != 0) {
    fclose(l.file);
    nts_pool_ke_config_unref(c);
    return -1;
  }
  c->kelb_style = style == NTS_POOL_KE_STYLE_KELB;
  rewind(l.file);
  int line = ini_parse_stream(reader, &l, handler, &l);
  fclose(l.file);
  if (!l.failed && l.too_long) {
    fail(&l, "line too long");
  } else if (!l.failed && line != 0) {
    l.line = line > 0 ? (unsigned)line : l.line;
    fail(&l, "syntax error (expected [section], key = value, or a comment)");
  }
  if (l.failed || finish(&l, level_override) != 0) {
    nts_pool_ke_config_unref(c);
    return -1;
  }
  *out = c;
  return 0;
}

int nts_pool_ke_config_load(const char *path,
                            const enum ntspool_log_level *level_override,
                            nts_pool_ke_config *previous,
                            nts_pool_ke_config **out, char *err,
                            size_t err_len) {
  int rc = load(path, level_override, previous, out, err, err_len);
  if (rc != 0 && err_len > 0) {
    /* Values quoted from the file (a listen address, a Rust-format string
     * with \n in it) leave the message one printable line. */
    char line[NTS_POOL_KE_ERROR_LEN];
    snprintf(line, sizeof line, "%s", err);
    ntspool_log_escape(line, err, err_len);
  }
  return rc;
}

nts_pool_ke_config *nts_pool_ke_config_ref(nts_pool_ke_config *cfg) {
  atomic_fetch_add(&cfg->refs, 1);
  return cfg;
}

void nts_pool_ke_config_unref(nts_pool_ke_config *cfg) {
  if (!cfg || atomic_fetch_sub(&cfg->refs, 1) != 1)
    return;
  /* The context first: closing its cached upstream connections calls
   * upstream_io with this configuration as user data. */
  ntspool_ctx_unref(cfg->ctx);
  nts_pool_ke_config_files_free(&cfg->files);
  nts_pool_ke_geo_close(cfg->geo);
  free(cfg);
}
