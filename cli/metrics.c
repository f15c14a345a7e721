/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Metrics (metrics.h).  Counters are plain atomics so workers never take a
 * lock for them; the page is rendered per scrape from those and from the
 * running context's policy, which a reload hands on to the new context
 * (ntspool_ctx_keep_state), so its counters keep counting too.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"

static const char *const outcome_names[NTS_POOL_KE_OUTCOMES] = {
    "ok",        "no_overlap",   "error_response",  "timeout",
    "tls_error", "dropped",      "proxy_untrusted", "proxy_invalid",
    "internal",  "address_limit"};

/* Upper bounds of the latency histogram, in microseconds. */
static const int64_t bucket_us[] = {1000,    2500,    5000,    10000,  25000,
                                    50000,   100000,  250000,  500000, 1000000,
                                    2500000, 5000000, 10000000};
#define N_BUCKETS (sizeof bucket_us / sizeof *bucket_us)

/* Error codes counted by name: RFC 8915's three, the nts-pool codes only
 * monitors get, and any other (a source's code passed on to a monitor). */
static const uint16_t error_codes[] = {0, 1, 2, 0xF000, 0xF001, 0xF002, 0xF003};
#define N_CODES (sizeof error_codes / sizeof *error_codes + 1)

static struct {
  /* [monitor][...]: ordinary clients, monitors' probes */
  atomic_uint_fast64_t sessions[2][NTS_POOL_KE_OUTCOMES];
  atomic_uint_fast64_t errors[2][N_CODES];
  atomic_uint_fast64_t buckets[N_BUCKETS];
  atomic_uint_fast64_t duration_count;
  atomic_uint_fast64_t duration_sum_us;
  atomic_int active, active_monitors;
  atomic_uint_fast64_t reloads_ok, reloads_failed;
  atomic_uint_fast64_t selections[NTS_POOL_KE_GEO_LEVELS][5]; /* [subpool] */
} counters;

const char *nts_pool_ke_outcome_name(enum nts_pool_ke_outcome o) {
  return o < NTS_POOL_KE_OUTCOMES ? outcome_names[o] : "unknown";
}

void nts_pool_ke_metrics_session(enum nts_pool_ke_outcome o,
                                 ntspool_time_ms duration_us, bool monitor,
                                 bool sent_error, uint16_t nts_error) {
  if (o < NTS_POOL_KE_OUTCOMES)
    atomic_fetch_add(&counters.sessions[monitor][o], 1);
  if (sent_error) {
    size_t i = 0;
    while (i < N_CODES - 1 && error_codes[i] != nts_error)
      i++;
    atomic_fetch_add(&counters.errors[monitor][i], 1);
  }
  if (duration_us < 0)
    duration_us = 0;
  /* Cumulative buckets are summed at render time: one increment here. */
  for (size_t i = 0; i < N_BUCKETS; i++)
    if (duration_us <= bucket_us[i]) {
      atomic_fetch_add(&counters.buckets[i], 1);
      break;
    }
  atomic_fetch_add(&counters.duration_count, 1);
  atomic_fetch_add(&counters.duration_sum_us, (uint64_t)duration_us);
}

void nts_pool_ke_metrics_refused(enum nts_pool_ke_outcome o) {
  if (o < NTS_POOL_KE_OUTCOMES)
    atomic_fetch_add(&counters.sessions[0][o], 1);
}

void nts_pool_ke_metrics_active(int delta) {
  atomic_fetch_add(&counters.active, delta);
}

void nts_pool_ke_metrics_active_monitors(int delta) {
  atomic_fetch_add(&counters.active_monitors, delta);
}

void nts_pool_ke_metrics_reload(bool ok) {
  atomic_fetch_add(ok ? &counters.reloads_ok : &counters.reloads_failed, 1);
}

void nts_pool_ke_metrics_selection(enum nts_pool_ke_geo_level level,
                                   unsigned subpool) {
  if ((unsigned)level < NTS_POOL_KE_GEO_LEVELS && subpool < 5)
    atomic_fetch_add(&counters.selections[level][subpool], 1);
}

/* ---- Rendering ---------------------------------------------------------- */

typedef struct text {
  char *buf;
  size_t len, cap;
  bool oom;
} text;

__attribute__((format(printf, 2, 3))) static void put(text *t, const char *fmt,
                                                      ...) {
  if (t->oom)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->oom = true;
      return;
    }
    if ((size_t)n < t->cap - t->len) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = t->cap * 2 + (size_t)n;
    char *b = realloc(t->buf, cap);
    if (!b) {
      t->oom = true;
      return;
    }
    t->buf = b;
    t->cap = cap;
  }
}

static void head(text *t, const char *name, const char *type,
                 const char *help) {
  put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, quote and newline escaped (Prometheus text
 * format 0.0.4). */
static const char *label(const char *in, char *out, size_t cap) {
  size_t o = 0;
  for (; *in && o + 2 < cap; in++) {
    if (*in == '\\' || *in == '"' || *in == '\n') {
      out[o++] = '\\';
      out[o++] = *in == '\n' ? 'n' : *in;
    } else {
      out[o++] = *in;
    }
  }
  out[o] = '\0';
  return out;
}

static void render_own(text *t, const nts_pool_ke_config *cfg) {
  static const char *const monitor[] = {"false", "true"};
  head(t, "nts_pool_ke_sessions_total", "counter",
       "Client connections by how they ended; monitor=\"true\": the NTS "
       "pool monitor's probes; address_limit: closed at once, over "
       "max-connections-per-address.");
  for (int m = 0; m < 2; m++)
    for (int i = 0; i < NTS_POOL_KE_OUTCOMES; i++)
      put(t, "nts_pool_ke_sessions_total{outcome=\"%s\",monitor=\"%s\"} %llu\n",
          outcome_names[i], monitor[m],
          (unsigned long long)atomic_load(&counters.sessions[m][i]));

  head(t, "nts_pool_ke_error_responses_total", "counter",
       "NTS-KE Error records sent to clients, by code; the 0xf00x codes "
       "go to monitors only.");
  static const char *const codes[N_CODES] = {
      "0", "1", "2", "0xf000", "0xf001", "0xf002", "0xf003", "other"};
  for (int m = 0; m < 2; m++)
    for (size_t i = 0; i < N_CODES; i++)
      put(t,
          "nts_pool_ke_error_responses_total{code=\"%s\",monitor=\"%s\"} "
          "%llu\n",
          codes[i], monitor[m],
          (unsigned long long)atomic_load(&counters.errors[m][i]));

  head(t, "nts_pool_ke_session_duration_seconds", "histogram",
       "Time from accept to close of client connections.");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N_BUCKETS; i++) {
    cumulative += atomic_load(&counters.buckets[i]);
    put(t, "nts_pool_ke_session_duration_seconds_bucket{le=\"%g\"} %llu\n",
        (double)bucket_us[i] / 1e6, (unsigned long long)cumulative);
  }
  unsigned long long count = atomic_load(&counters.duration_count);
  put(t, "nts_pool_ke_session_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
      count);
  put(t, "nts_pool_ke_session_duration_seconds_sum %.6f\n",
      (double)atomic_load(&counters.duration_sum_us) / 1e6);
  put(t, "nts_pool_ke_session_duration_seconds_count %llu\n", count);

  head(t, "nts_pool_ke_selections_total", "counter",
       "Clients given a source, by the region level of the set it came from "
       "(country, continent, global) and the numbered name's group (none for "
       "other names).");
  static const char *const groups[] = {"none", "0", "1", "2", "3"};
  for (int l = 0; l < NTS_POOL_KE_GEO_LEVELS; l++)
    for (int g = 0; g < 5; g++)
      put(t,
          "nts_pool_ke_selections_total{region=\"%s\",subpool=\"%s\"} "
          "%llu\n",
          nts_pool_ke_geo_level_name((enum nts_pool_ke_geo_level)l), groups[g],
          (unsigned long long)atomic_load(&counters.selections[l][g]));

  head(t, "nts_pool_ke_active_connections", "gauge",
       "Client connections being served now.");
  put(t, "nts_pool_ke_active_connections %d\n", atomic_load(&counters.active));
  head(t, "nts_pool_ke_active_monitor_connections", "gauge",
       "Client connections being served now that are monitor probes.");
  put(t, "nts_pool_ke_active_monitor_connections %d\n",
      atomic_load(&counters.active_monitors));
  head(t, "nts_pool_ke_max_connections", "gauge",
       "Configured limit of concurrent client connections.");
  put(t, "nts_pool_ke_max_connections %u\n", cfg->max_connections);
  head(t, "nts_pool_ke_max_connections_per_address", "gauge",
       "Configured limit of concurrent client connections from one address "
       "(IPv6: one /64).");
  put(t, "nts_pool_ke_max_connections_per_address %u\n", cfg->max_per_address);
  head(t, "nts_pool_ke_config_reloads_total", "counter",
       "Configuration reloads (SIGHUP or a watched file's change) by "
       "result.");
  put(t, "nts_pool_ke_config_reloads_total{result=\"ok\"} %llu\n",
      (unsigned long long)atomic_load(&counters.reloads_ok));
  put(t, "nts_pool_ke_config_reloads_total{result=\"failed\"} %llu\n",
      (unsigned long long)atomic_load(&counters.reloads_failed));
}

/* One latency histogram of a source (policy.h ntspool_latency), its
 * buckets made cumulative here. */
static void latency(text *t, const char *name, const char *labels,
                    const char *outcome, const ntspool_latency *h) {
  const uint32_t *edge = ntspool_latency_edges_us();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < NTSPOOL_LATENCY_BUCKETS; i++) {
    cumulative += h->buckets[i];
    put(t, "%s_bucket{%s,outcome=\"%s\",le=\"%g\"} %llu\n", name, labels,
        outcome, (double)edge[i] / 1e6, (unsigned long long)cumulative);
  }
  put(t, "%s_bucket{%s,outcome=\"%s\",le=\"+Inf\"} %llu\n", name, labels,
      outcome, (unsigned long long)h->count);
  put(t, "%s_sum{%s,outcome=\"%s\"} %.3f\n", name, labels, outcome,
      (double)h->sum_ms / 1e3);
  put(t, "%s_count{%s,outcome=\"%s\"} %llu\n", name, labels, outcome,
      (unsigned long long)h->count);
}

/* A counter's success and failure series. */
static void outcomes(text *t, const char *name, const char *labels, uint64_t ok,
                     uint64_t failed) {
  put(t, "%s{%s,outcome=\"success\"} %llu\n", name, labels,
      (unsigned long long)ok);
  put(t, "%s{%s,outcome=\"failure\"} %llu\n", name, labels,
      (unsigned long long)failed);
}

static void render_policy(text *t, const ntspool_policy *pol) {
  ntspool_policy_stats ps;
  if (!pol || ntspool_policy_get_stats(pol, &ps) != 0)
    return;
  head(t, "nts_pool_ke_sources", "gauge", "Time sources configured.");
  put(t, "nts_pool_ke_sources %zu\n", ps.sources);
  static const struct {
    const char *name, *help;
    size_t offset;
  } policy_counters[] = {
      {"nts_pool_ke_selections_total", "Time sources chosen for clients.",
       offsetof(ntspool_policy_stats, selections)},
      {"nts_pool_ke_no_source_total", "Selections that found no candidate.",
       offsetof(ntspool_policy_stats, no_source)},
      {"nts_pool_ke_deny_skips_total",
       "Candidates skipped for a client's NTP Server Deny.",
       offsetof(ntspool_policy_stats, deny_skips)},
      {"nts_pool_ke_deny_ignored_total",
       "Denied sources returned because nothing else was left.",
       offsetof(ntspool_policy_stats, deny_ignored)},
      {"nts_pool_ke_backoff_fallbacks_total",
       "Selections made while every candidate was backing off.",
       offsetof(ntspool_policy_stats, backoff_fallbacks)}};
  for (size_t i = 0; i < sizeof policy_counters / sizeof *policy_counters;
       i++) {
    head(t, policy_counters[i].name, "counter", policy_counters[i].help);
    put(t, "%s %llu\n", policy_counters[i].name,
        (unsigned long long)*(const uint64_t *)((const char *)&ps +
                                                policy_counters[i].offset));
  }

  /* Per source and family; one pass per metric keeps each family of
   * samples together, as the text format requires. */
  ntspool_registry *reg = ntspool_policy_acquire(pol);
  size_t n = ntspool_registry_count(reg);
  ntspool_time_ms now = nts_pool_ke_now_ms();
  static const struct {
    const char *name, *type, *help;
  } per_source[] = {
      {"nts_pool_ke_source_selected_total", "counter",
       "Times the source was chosen for a client."},
      {"nts_pool_ke_upstream_requests_total", "counter",
       "Exchanges with the source by outcome."},
      {"nts_pool_ke_source_healthy", "gauge",
       "1 unless the source is in failure back-off."},
      {"nts_pool_ke_source_consecutive_failures", "gauge",
       "Failed exchanges since the last success."},
      {"nts_pool_ke_source_capabilities_fresh", "gauge",
       "1 when the source's protocols and algorithms are cached and fresh."},
      {"nts_pool_ke_monitor_probes_total", "counter",
       "The NTS pool monitor's probes of the source (UUID requests) by "
       "outcome; they leave its health alone."},
      {"nts_pool_ke_upstream_connections_cached", "gauge",
       "Idle kept-alive connections to the source."},
      {"nts_pool_ke_upstream_connection_cache_total", "counter",
       "Connection cache events: reused (a hit), stored, closed_dead, "
       "closed_expired, evicted."},
      {"nts_pool_ke_upstream_support_duration_seconds", "histogram",
       "Support (capabilities) queries to the source, from request to "
       "answer, connecting included unless a kept-alive connection was "
       "reused; by outcome."},
      {"nts_pool_ke_upstream_fixed_key_duration_seconds", "histogram",
       "Fixed Key Requests to the source, from request to cookies, "
       "connecting included unless a kept-alive connection was reused; by "
       "outcome."}};
  for (size_t m = 0; m < sizeof per_source / sizeof *per_source; m++) {
    head(t, per_source[m].name, per_source[m].type, per_source[m].help);
    for (size_t i = 0; i < n; i++) {
      const ntspool_source *src = ntspool_registry_source(reg, i);
      const char *uuid = ntspool_source_uuid(src);
      char name[256], id[128];
      label(ntspool_source_name(src), name, sizeof name);
      label(uuid ? uuid : "", id, sizeof id);
      for (int f = 0; f < 2; f++) {
        enum ntspool_family fam = f ? NTSPOOL_FAMILY_IPV6 : NTSPOOL_FAMILY_IPV4;
        if (!ntspool_source_has_family(src, fam))
          continue;
        ntspool_source_stats st;
        if (ntspool_policy_source_stats(pol, src, fam, now, &st) != 0)
          continue;
        /* the labels every per-source series has */
        char lb[512];
        snprintf(lb, sizeof lb, "source=\"%s\",uuid=\"%s\",family=\"%s\"", name,
                 id, f ? "ipv6" : "ipv4");
        const char *mn = per_source[m].name;
        switch (m) {
        case 0:
          put(t, "%s{%s} %llu\n", mn, lb, (unsigned long long)st.selected);
          break;
        case 1:
          outcomes(t, mn, lb, st.successes, st.failures);
          break;
        case 2:
          put(t, "%s{%s} %d\n", mn, lb, st.backing_off ? 0 : 1);
          break;
        case 3:
          put(t, "%s{%s} %u\n", mn, lb, (unsigned)st.consecutive_failures);
          break;
        case 4:
          put(t, "%s{%s} %d\n", mn, lb, st.caps == NTSPOOL_CAPS_HIT);
          break;
        case 5:
          outcomes(t, mn, lb, st.probe_successes, st.probe_failures);
          break;
        case 6:
          put(t, "%s{%s} %zu\n", mn, lb, st.idle_connections);
          break;
        case 7: {
          const struct {
            const char *event;
            uint64_t v;
          } ev[] = {{"reused", st.conn_reused},
                    {"stored", st.conn_stored},
                    {"closed_dead", st.conn_closed_dead},
                    {"closed_expired", st.conn_closed_expired},
                    {"evicted", st.conn_evicted}};
          for (size_t e = 0; e < sizeof ev / sizeof *ev; e++)
            put(t, "%s{%s,event=\"%s\"} %llu\n", mn, lb, ev[e].event,
                (unsigned long long)ev[e].v);
          break;
        }
        default:
          for (int ok = 1; ok >= 0; ok--)
            latency(t, mn, lb, ok ? "success" : "failure",
                    &st.latency[m == 8 ? NTSPOOL_EXCHANGE_SUPPORT
                                       : NTSPOOL_EXCHANGE_FIXED_KEY][ok]);
        }
      }
    }
  }
  ntspool_registry_unref(reg);
}

char *nts_pool_ke_metrics_render(nts_pool_ke_config *cfg) {
  text t = {.buf = malloc(4096), .cap = 4096};
  if (!t.buf)
    return NULL;
  t.buf[0] = '\0';
  render_own(&t, cfg);
  render_policy(&t, ntspool_ctx_policy(cfg->ctx));
  if (t.oom) {
    free(t.buf);
    return NULL;
  }
  return t.buf;
}

/* ---- HTTP/1.0 responder ------------------------------------------------- */

static struct {
  int fd;
  int stop[2];
  pthread_t thread;
  bool running;
  nts_pool_ke_config *(*current)(void);
} server = {.fd = -1, .stop = {-1, -1}};

int nts_pool_ke_metrics_bind(nts_pool_ke_addr *addr) {
  return nts_pool_ke_listen(addr, 16);
}

static void send_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n <= 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return; /* timeout or gone: the scraper will retry */
    p += n;
    len -= (size_t)n;
  }
}

static void respond(int fd, const char *status, const char *type,
                    const char *body) {
  char hdr[256];
  int n = snprintf(hdr, sizeof hdr,
                   "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu"
                   "\r\nConnection: close\r\n\r\n",
                   status, type, strlen(body));
  send_all(fd, hdr, (size_t)n);
  send_all(fd, body, strlen(body));
}

/* One request per connection; the connection gets 2 s in all, so a
 * scraper that stalls cannot keep the endpoint from others for long. */
static void handle(int fd) {
  char req[2048];
  size_t len = 0;
  ntspool_time_ms deadline = nts_pool_ke_now_ms() + 2000;
  req[0] = '\0';
  while (len < sizeof req - 1 && !strstr(req, "\r\n\r\n") &&
         !strstr(req, "\n\n")) {
    ssize_t n =
        nts_pool_ke_recv_by(fd, req + len, sizeof req - 1 - len, deadline);
    if (n < 0 && errno == ETIMEDOUT)
      return;
    if (n <= 0)
      break;
    len += (size_t)n;
    req[len] = '\0';
  }
  /* The answer, too, may block only until the deadline. */
  nts_pool_ke_set_timeouts(fd, deadline - nts_pool_ke_now_ms());
  const char *plain = "text/plain; charset=utf-8";
  if (strncmp(req, "GET ", 4) != 0) {
    respond(fd, "405 Method Not Allowed", plain, "only GET\n");
    return;
  }
  const char *path = req + 4;
  size_t plen = strcspn(path, " \r\n?");
  if (!((plen == 8 && memcmp(path, "/metrics", 8) == 0) ||
        (plen == 1 && path[0] == '/'))) {
    respond(fd, "404 Not Found", plain, "try /metrics\n");
    return;
  }
  nts_pool_ke_config *cfg = server.current();
  char *page = nts_pool_ke_metrics_render(cfg);
  nts_pool_ke_config_unref(cfg);
  if (!page) {
    respond(fd, "500 Internal Server Error", plain, "out of memory\n");
    return;
  }
  respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", page);
  free(page);
}

static void *serve(void *arg) {
  (void)arg;
  struct pollfd p[2] = {{.fd = server.fd, .events = POLLIN},
                        {.fd = server.stop[0], .events = POLLIN}};
  for (;;) {
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      NTS_POOL_KE_ERROR("metrics", "poll failed: %s", strerror(errno));
      return NULL;
    }
    if (p[1].revents)
      return NULL;
    if (!(p[0].revents & POLLIN))
      continue;
    int fd = accept(server.fd, NULL, NULL);
    if (fd < 0)
      continue; /* gone before accept, or EMFILE: next poll */
    handle(fd);
    close(fd);
  }
}

int nts_pool_ke_metrics_start(int fd, nts_pool_ke_config *(*current)(void)) {
  server.fd = fd;
  server.current = current;
  if (pipe(server.stop) != 0)
    return -1;
  if (pthread_create(&server.thread, NULL, serve, NULL) != 0)
    return -1;
  server.running = true;
  return 0;
}

void nts_pool_ke_metrics_stop(void) {
  if (server.running) {
    ssize_t rc = write(server.stop[1], "x", 1);
    (void)rc;
    pthread_join(server.thread, NULL);
    server.running = false;
  }
  for (int i = 0; i < 2; i++)
    if (server.stop[i] >= 0)
      close(server.stop[i]);
  if (server.fd >= 0)
    close(server.fd);
  server.fd = server.stop[0] = server.stop[1] = -1;
}
