/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Serving (serve.h).  One accept thread polls the listeners and the
 * self-pipe; it polls the listeners only while a worker slot is free, so
 * max-connections holds and further clients wait in the kernel's backlog
 * (doc/protocol.md section 5.1).  Workers take accepted sockets from a
 * queue and each drives one connection to its end.  Workers start when a
 * connection finds none idle (up to max-connections) and end after
 * WORKER_IDLE_EXIT_MS with nothing to do; a new connection wakes the
 * worker that went idle last, so the few the load needs do all the work
 * and the others go.  Each thread that works keeps its own allocator cache
 * and stack pages: glibc's tcache holds up to 7 freed blocks of each size
 * per thread, scattered over the heap, and a page with one of them on it
 * cannot be given back.  With 100 workers taking turns the resident memory
 * crept up by 13 % over 1,000,000 sessions (make soak); with the last idle
 * worker woken first, by 5 %, as more of them joined and the caches' blocks
 * drifted over more pages; a thread that ends gives its cache back, and
 * the trim when idle (memory.h) then the pages.  Every connection runs
 * with the configuration that was current when a worker took it: a reload
 * swaps the pointer, and the old configuration (with its context and cached
 * upstream connections) is freed when its last session lets go.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr_limit.h"
#include "connection.h"
#include "log.h"
#include "memory.h"
#include "metrics.h"
#include "serve.h"
#include "watch.h"

#define ACCEPT_PAUSE_MS 100
#define WORKER_STACK (512 * 1024)
/* A worker idle for as long as a whole key exchange may last ends: the
 * next burst starts threads again in microseconds, against milliseconds
 * per handshake. */
#define WORKER_IDLE_EXIT_MS 5000

/* An idle worker's wake-up: `woken` once a connection is queued for it. */
typedef struct idle_slot {
  pthread_cond_t wake;
  bool woken;
} idle_slot;

typedef struct pending {
  int fd;
  struct sockaddr_storage peer;
  int64_t accepted_us;
} pending;

static struct {
  pthread_mutex_t lock;
  pthread_cond_t idle;   /* busy dropped to 0 */
  pthread_cond_t exited; /* running dropped to 0 */
  nts_pool_ke_config *current;
  pending *queue;
  size_t head, queued;
  unsigned busy; /* queued + being served */
  unsigned max;
  bool stopping;
  idle_slot *slots;     /* one per possible worker */
  unsigned *idle_stack; /* idle workers, the most recent on top */
  unsigned n_idle;
  unsigned *free_slots; /* slots with no worker */
  unsigned n_free;
  unsigned running; /* workers started and not yet ended */
  bool ended;       /* a worker ended since the last memory turn */
  ntspool_time_ms next_start_warning;
  int listeners[NTS_POOL_KE_MAX_LISTEN];
  size_t n_listeners;
  int wake[2];
  /* accept thread only: out of file descriptors */
  ntspool_time_ms accept_paused_until;
  ntspool_time_ms next_fd_warning;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER,
         .idle = PTHREAD_COND_INITIALIZER,
         .exited = PTHREAD_COND_INITIALIZER,
         .wake = {-1, -1}};

static volatile sig_atomic_t got_term, got_hup;

static void on_signal(int sig) {
  int saved = errno;
  if (sig == SIGHUP)
    got_hup = 1;
  else
    got_term = 1;
  ssize_t rc = write(srv.wake[1], "s", 1); /* full pipe: already awake */
  (void)rc;
  errno = saved;
}

static void wake_accept_loop(void) {
  ssize_t rc = write(srv.wake[1], "w", 1);
  (void)rc;
}

int nts_pool_ke_serve_signals(void) {
  if (pipe(srv.wake) != 0)
    return -1;
  for (int i = 0; i < 2; i++) {
    fcntl(srv.wake[i], F_SETFL, fcntl(srv.wake[i], F_GETFL) | O_NONBLOCK);
    fcntl(srv.wake[i], F_SETFD, FD_CLOEXEC);
  }
  struct sigaction sa = {.sa_handler = SIG_IGN};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGPIPE, &sa, NULL);
  sa.sa_handler = on_signal;
  int sigs[] = {SIGTERM, SIGINT, SIGHUP};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    if (sigaction(sigs[i], &sa, NULL) != 0)
      return -1;
  return 0;
}

nts_pool_ke_config *nts_pool_ke_serve_current(void) {
  pthread_mutex_lock(&srv.lock);
  nts_pool_ke_config *c = nts_pool_ke_config_ref(srv.current);
  pthread_mutex_unlock(&srv.lock);
  return c;
}

int nts_pool_ke_serve_bind(const nts_pool_ke_config *cfg) {
  for (size_t i = 0; i < cfg->n_listen; i++) {
    nts_pool_ke_addr a = cfg->listen[i]; /* keeps cfg's port 0 as written */
    char text[NTS_POOL_KE_ADDR_TEXT];
    nts_pool_ke_addr_text((struct sockaddr *)&a.ss, text);
    bool dual = nts_pool_ke_wants_dual_stack(cfg->listen, cfg->n_listen, i);
    int fd = dual ? nts_pool_ke_listen_dual_stack(&a, 1024)
                  : nts_pool_ke_listen(&a, 1024);
    if (fd < 0) {
      NTS_POOL_KE_ERROR("server", "cannot listen address=%s: %s", text,
                        strerror(errno));
      return -1;
    }
    srv.listeners[srv.n_listeners++] = fd;
    NTS_POOL_KE_INFO("server", "listening address=%s%s",
                     nts_pool_ke_addr_text((struct sockaddr *)&a.ss, text),
                     dual ? " dual-stack=yes" : "");
  }
  return 0;
}

static void *worker(void *arg);

/* Other threads must not run the signal handler: only the accept loop
 * polls the self-pipe, and a handler elsewhere would only interrupt a
 * session.  A thread starts with its creator's mask, so they are created
 * with these blocked; *old is the mask to restore. */
static void block_signals(sigset_t *old) {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &block, old);
}

/* Starts a worker in a free slot.  Caller holds srv.lock.  On failure (out
 * of threads or memory) the connection waits in the queue for a worker to
 * finish, or for the accept loop's next try (nts_pool_ke_serve_run). */
static void start_worker(void) {
  if (srv.n_free == 0)
    return;
  unsigned i = srv.free_slots[srv.n_free - 1];
  sigset_t old;
  block_signals(&old);
  pthread_attr_t attr;
  pthread_t t;
  bool ok = pthread_attr_init(&attr) == 0;
  if (ok) {
    pthread_attr_setstacksize(&attr, WORKER_STACK);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    ok = pthread_create(&t, &attr, worker, (void *)(uintptr_t)i) == 0;
    pthread_attr_destroy(&attr);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!ok) {
    ntspool_time_ms now = nts_pool_ke_now_ms();
    if (now >= srv.next_start_warning) {
      NTS_POOL_KE_WARN("server", "cannot start a worker thread running=%u",
                       srv.running);
      srv.next_start_warning = now + 10000;
    }
    return;
  }
  srv.n_free--;
  srv.running++;
}

/* A queued connection's worker: the one that went idle last, else a new
 * one.  Caller holds srv.lock. */
static void wake_worker(void) {
  if (srv.n_idle == 0) {
    start_worker();
    return;
  }
  unsigned w = srv.idle_stack[--srv.n_idle];
  srv.slots[w].woken = true;
  pthread_cond_signal(&srv.slots[w].wake);
}

/* Waits on slot `self` until woken, stopping, or WORKER_IDLE_EXIT_MS.
 * Returns false when the worker should end for being idle (it is then off
 * the idle stack).  Caller holds srv.lock. */
static bool wait_for_work(unsigned self) {
  idle_slot *slot = &srv.slots[self];
  /* On the stack exactly while waiting: whoever pops it sets woken. */
  srv.idle_stack[srv.n_idle++] = self;
  slot->woken = false;
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_sec += WORKER_IDLE_EXIT_MS / 1000;
  until.tv_nsec += (long)(WORKER_IDLE_EXIT_MS % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  while (!slot->woken && !srv.stopping) {
    if (pthread_cond_timedwait(&slot->wake, &srv.lock, &until) != ETIMEDOUT ||
        slot->woken || srv.stopping)
      continue;
    /* Idle this long (usually the bottom of the stack): off it, and end
     * unless a connection queued meanwhile for another worker is left. */
    for (unsigned i = 0; i < srv.n_idle; i++)
      if (srv.idle_stack[i] == self) {
        memmove(&srv.idle_stack[i], &srv.idle_stack[i + 1],
                (srv.n_idle - i - 1) * sizeof *srv.idle_stack);
        srv.n_idle--;
        break;
      }
    return srv.queued > 0;
  }
  return true;
}

static void *worker(void *arg) {
  unsigned self = (unsigned)(uintptr_t)arg;
  pthread_mutex_lock(&srv.lock);
  for (;;) {
    bool idle_too_long = false;
    while (!srv.queued && !srv.stopping && !idle_too_long)
      idle_too_long = !wait_for_work(self);
    if (!srv.queued)
      break; /* idle too long, or stopping with nothing left to serve */
    pending p = srv.queue[srv.head];
    srv.head = (srv.head + 1) % srv.max;
    srv.queued--;
    nts_pool_ke_config *cfg = nts_pool_ke_config_ref(srv.current);
    pthread_mutex_unlock(&srv.lock);

    nts_pool_ke_connection_serve(cfg, p.fd, &p.peer, p.accepted_us);
    nts_pool_ke_config_unref(cfg);

    pthread_mutex_lock(&srv.lock);
    bool was_full = srv.busy == srv.max;
    if (--srv.busy == 0)
      pthread_cond_broadcast(&srv.idle);
    if (was_full)
      wake_accept_loop(); /* it stopped polling the listeners */
  }
  srv.free_slots[srv.n_free++] = self;
  srv.ended = true;
  if (--srv.running == 0)
    pthread_cond_broadcast(&srv.exited);
  pthread_mutex_unlock(&srv.lock);
  return NULL;
}

/* The queue and the slots for n workers; the workers start on demand. */
static int prepare_workers(unsigned n) {
  srv.queue = calloc(n, sizeof *srv.queue);
  srv.slots = calloc(n, sizeof *srv.slots);
  srv.idle_stack = calloc(n, sizeof *srv.idle_stack);
  srv.free_slots = calloc(n, sizeof *srv.free_slots);
  if (!srv.queue || !srv.slots || !srv.idle_stack || !srv.free_slots ||
      nts_pool_ke_addr_limit_init(n) != 0)
    return -1;
  pthread_condattr_t monotonic;
  if (pthread_condattr_init(&monotonic) != 0 ||
      pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC) != 0)
    return -1;
  for (unsigned i = 0; i < n; i++) {
    if (pthread_cond_init(&srv.slots[i].wake, &monotonic) != 0) {
      pthread_condattr_destroy(&monotonic);
      return -1;
    }
    srv.free_slots[srv.n_free++] = n - 1 - i; /* slot 0 on top */
  }
  pthread_condattr_destroy(&monotonic);
  srv.max = n;
  return 0;
}

/* Accepts while a slot is free; the socket is left blocking (accept()
 * does not inherit O_NONBLOCK on Linux), as the workers want it. */
static void accept_from(int lfd) {
  for (;;) {
    pthread_mutex_lock(&srv.lock);
    bool room = srv.busy < srv.max;
    pthread_mutex_unlock(&srv.lock);
    if (!room)
      return;
    pending p = {.fd = -1};
    socklen_t len = sizeof p.peer;
    p.fd = accept(lfd, (struct sockaddr *)&p.peer, &len);
    if (p.fd < 0) {
      if (errno == EMFILE || errno == ENFILE) {
        /* The connection stays pending and the listener readable: polling
         * it again at once would spin.  Pause, and say so once a while. */
        ntspool_time_ms now = nts_pool_ke_now_ms();
        srv.accept_paused_until = now + ACCEPT_PAUSE_MS;
        if (now >= srv.next_fd_warning) {
          NTS_POOL_KE_WARN("server", "cannot accept: %s", strerror(errno));
          srv.next_fd_warning = now + 10000;
        }
      }
      return; /* EAGAIN: nothing more; others: try on the next poll */
    }
    fcntl(p.fd, F_SETFD, FD_CLOEXEC);
    /* IPv4 clients of a dual-stack listener are IPv4 clients everywhere:
     * logs, trust checks, selection by family. */
    nts_pool_ke_addr_unmap(&p.peer);
    p.accepted_us = nts_pool_ke_now_us();
    pthread_mutex_lock(&srv.lock);
    srv.queue[(srv.head + srv.queued) % srv.max] = p;
    srv.queued++;
    srv.busy++;
    wake_worker();
    pthread_mutex_unlock(&srv.lock);
  }
}

static bool same_addrs(const nts_pool_ke_addr *a, size_t na,
                       const nts_pool_ke_addr *b, size_t nb) {
  if (na != nb)
    return false;
  for (size_t i = 0; i < na; i++)
    if (a[i].len != b[i].len || memcmp(&a[i].ss, &b[i].ss, a[i].len) != 0)
      return false;
  return true;
}

/* What a running daemon cannot change: its sockets, its thread count and
 * its identity (privileges are gone by now). */
static void warn_restart_only(const nts_pool_ke_config *old,
                              const nts_pool_ke_config *new) {
  if (!same_addrs(old->listen, old->n_listen, new->listen, new->n_listen))
    NTS_POOL_KE_WARN("config",
                     "[server] listen changed; takes effect on restart");
  if (old->max_connections != new->max_connections)
    NTS_POOL_KE_WARN(
        "config", "[server] max-connections changed; takes effect on restart");
  if (old->has_metrics != new->has_metrics ||
      !same_addrs(&old->metrics, old->has_metrics, &new->metrics,
                  new->has_metrics))
    NTS_POOL_KE_WARN("config", "[observability] metrics-listen changed; takes "
                               "effect on restart");
  if (strcmp(old->user, new->user) || strcmp(old->group, new->group) ||
      strcmp(old->pid_file, new->pid_file))
    NTS_POOL_KE_WARN("config", "[daemon] changed; takes effect on restart");
}

static size_t source_count(nts_pool_ke_config *cfg) {
  ntspool_registry *reg = ntspool_policy_acquire(ntspool_ctx_policy(cfg->ctx));
  size_t n = ntspool_registry_count(reg);
  ntspool_registry_unref(reg);
  return n;
}

/* Returns true when the new configuration is in service. */
static bool reload(const nts_pool_ke_serve_options *o) {
  char err[NTS_POOL_KE_ERROR_LEN];
  nts_pool_ke_config *cfg;
  enum ntspool_log_level level = nts_pool_ke_log_level();
  /* Only the accept loop (or the thread it waits for) replaces srv.current,
   * so it can read it unlocked. */
  if (nts_pool_ke_config_load(o->config_path, o->log_override, srv.current,
                              &cfg, err, sizeof err) != 0) {
    nts_pool_ke_metrics_reload(false);
    NTS_POOL_KE_ERROR(
        "config", "reload failed, keeping the running configuration: %s", err);
    return false;
  }
  pthread_mutex_lock(&srv.lock);
  nts_pool_ke_config *old = srv.current;
  srv.current = cfg;
  pthread_mutex_unlock(&srv.lock);
  warn_restart_only(old, cfg);
  if (!o->log_override)
    level = cfg->has_log_level ? cfg->log_level : NTSPOOL_LOG_INFO;
  nts_pool_ke_log_set_level(level);
  nts_pool_ke_metrics_reload(true);
  NTS_POOL_KE_INFO("config", "reloaded path=%s sources=%zu", o->config_path,
                   source_count(cfg));
  nts_pool_ke_config_unref(old); /* sessions in flight keep their own */
  return true;
}

/* Runs fn(arg) on a thread of its own and waits for it.  glibc keeps up
 * to 7 freed blocks of each size per thread for the thread's next
 * allocations, and only a thread that ends gives them back; the accept
 * loop lives as long as the daemon, and a reload, or closing expired
 * upstream connections, frees hundreds of blocks of many sizes: run here,
 * they would stay cached, and their pages resident, for good (the quiet
 * daemon's memory grew by about 1.5 KiB per reload over the first 100).
 * Without a thread (none can start), it runs here. */
typedef struct apart {
  void (*fn)(void *);
  void *arg;
} apart;

static void *apart_main(void *arg) {
  apart *a = arg;
  a->fn(a->arg);
  return NULL;
}

static void run_apart(void (*fn)(void *), void *arg) {
  apart a = {fn, arg};
  sigset_t old;
  block_signals(&old);
  pthread_t t;
  bool started = pthread_create(&t, NULL, apart_main, &a) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (started)
    pthread_join(t, NULL);
  else
    fn(arg);
}

typedef struct reload_job {
  const nts_pool_ke_serve_options *o;
  bool done;
} reload_job;

static void reload_fn(void *arg) {
  reload_job *j = arg;
  j->done = reload(j->o);
}

static bool reload_apart(const nts_pool_ke_serve_options *o) {
  reload_job j = {o, false};
  run_apart(reload_fn, &j);
  return j.done;
}

typedef struct expiry_job {
  ntspool_ctx *ctx;
  ntspool_time_ms now;
} expiry_job;

static void expiry_fn(void *arg) {
  expiry_job *j = arg;
  ntspool_ctx_handle_expiry(j->ctx, j->now);
}

/* The watch (watch.h), from the accept loop: every watch-interval-s of the
 * running configuration, hash its files; on a change reload, and remember
 * the contents seen either way, so a broken file is reported once and its
 * next version is tried. */
static void watch_poll(nts_pool_ke_watch *w, const nts_pool_ke_serve_options *o,
                       ntspool_time_ms now, ntspool_time_ms *next) {
  unsigned interval = srv.current->watch_interval_s;
  if (interval == 0 || now < *next)
    return;
  *next = now + (ntspool_time_ms)interval * 1000;
  nts_pool_ke_watch seen = {0, NULL};
  const char *changed = nts_pool_ke_watch_check(w, &seen);
  if (changed == NULL) {
    nts_pool_ke_watch_free(&seen);
    return;
  }
  NTS_POOL_KE_INFO("config", "changed path=%s: reloading", changed);
  if (reload_apart(o))
    nts_pool_ke_watch_set(w, srv.current, &seen);
  else
    nts_pool_ke_watch_move(w, &seen);
  nts_pool_ke_watch_free(&seen);
}

static void drain_pipe(void) {
  char buf[64];
  while (read(srv.wake[0], buf, sizeof buf) > 0)
    ;
}

/* Stops accepting and lets the workers finish what they hold: each
 * session ends by its own key-exchange timeout, so waiting that long (plus
 * a little for the sockets' slices) is enough.  Returns the connections
 * still open after that. */
static unsigned drain(ntspool_time_ms ke_timeout_ms) {
  for (size_t i = 0; i < srv.n_listeners; i++)
    close(srv.listeners[i]);
  srv.n_listeners = 0;
  pthread_mutex_lock(&srv.lock);
  srv.stopping = true;
  unsigned busy = srv.busy;
  for (unsigned i = 0; i < srv.max; i++)
    pthread_cond_signal(&srv.slots[i].wake);
  pthread_mutex_unlock(&srv.lock);
  NTS_POOL_KE_INFO("server",
                   "stopping: draining in-flight connections count=%u", busy);

  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  ntspool_time_ms wait = ke_timeout_ms + 1000;
  until.tv_sec += wait / 1000;
  until.tv_nsec += (long)(wait % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&srv.lock);
  int rc = 0;
  while (srv.busy && rc != ETIMEDOUT)
    rc = pthread_cond_timedwait(&srv.idle, &srv.lock, &until);
  busy = srv.busy;
  /* The workers are detached: the shared state is freed only after the
   * last one has let go of it (each ends at once once nothing is busy). */
  while (!busy && srv.running)
    pthread_cond_wait(&srv.exited, &srv.lock);
  pthread_mutex_unlock(&srv.lock);
  if (busy) {
    NTS_POOL_KE_WARN("server", "exiting with connections still open count=%u",
                     busy);
    return busy;
  }
  return 0;
}

int nts_pool_ke_serve_run(nts_pool_ke_config *cfg,
                          const nts_pool_ke_serve_options *o) {
  srv.current = cfg;
  int rc = prepare_workers(cfg->max_connections);
  if (rc != 0)
    NTS_POOL_KE_ERROR("server", "cannot prepare for workers count=%u",
                      cfg->max_connections);
  sigset_t old;
  block_signals(&old);
  if (rc == 0 && o->metrics_fd >= 0 &&
      (rc = nts_pool_ke_metrics_start(o->metrics_fd,
                                      nts_pool_ke_serve_current)) != 0)
    NTS_POOL_KE_ERROR("metrics", "cannot start the metrics thread");
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc != 0)
    return -1;
  NTS_POOL_KE_INFO("server",
                   "started version=%s tls=\"%s\" sources=%zu "
                   "max_connections=%u max_connections_per_address=%u "
                   "proxy_protocol=%s",
                   ntspool_version(), ntspool_tls_backend(), source_count(cfg),
                   cfg->max_connections, cfg->max_per_address,
                   cfg->use_proxy ? "required" : "off");

  nts_pool_ke_watch watch = {0, NULL};
  nts_pool_ke_watch_set(&watch, cfg, NULL);
  ntspool_time_ms next_watch =
      nts_pool_ke_now_ms() + (ntspool_time_ms)cfg->watch_interval_s * 1000;
  while (!got_term) {
    struct pollfd p[1 + NTS_POOL_KE_MAX_LISTEN];
    size_t n = 0;
    p[n++] = (struct pollfd){.fd = srv.wake[0], .events = POLLIN};
    pthread_mutex_lock(&srv.lock);
    bool room = srv.busy < srv.max;
    pthread_mutex_unlock(&srv.lock);
    /* Wake for the context's timers too (idle upstream connections).  A
     * worker that caches a connection meanwhile makes it due no sooner
     * than the cache's idle limit, which the 1 s wait covers. */
    int timeout = 1000;
    nts_pool_ke_config *c = nts_pool_ke_serve_current();
    ntspool_time_ms now = nts_pool_ke_now_ms();
    ntspool_time_ms due = ntspool_ctx_expiry(c->ctx) - now;
    nts_pool_ke_config_unref(c);
    if (due < timeout)
      timeout = due < 0 ? 0 : (int)due;
    ntspool_time_ms paused = srv.accept_paused_until - now;
    if (paused > 0 && paused < timeout)
      timeout = (int)paused;
    for (size_t i = 0; room && paused <= 0 && i < srv.n_listeners; i++)
      p[n++] = (struct pollfd){.fd = srv.listeners[i], .events = POLLIN};
    int ready = poll(p, n, timeout);
    if (ready < 0 && errno != EINTR) {
      NTS_POOL_KE_ERROR("server", "poll failed: %s", strerror(errno));
      break;
    }
    if (p[0].revents)
      drain_pipe();
    if (got_hup) {
      got_hup = 0;
      if (reload_apart(o))
        nts_pool_ke_watch_set(&watch, srv.current, NULL);
    }
    bool worked = false; /* accepted, or closed cached connections */
    for (size_t i = 1; ready > 0 && i < n; i++)
      if (p[i].revents & POLLIN) {
        accept_from(p[i].fd);
        worked = true;
      }
    c = nts_pool_ke_serve_current();
    now = nts_pool_ke_now_ms();
    if (now >= ntspool_ctx_expiry(c->ctx)) {
      run_apart(expiry_fn, &(expiry_job){c->ctx, now});
      worked = true;
    }
    nts_pool_ke_config_unref(c);
    watch_poll(&watch, o, now, &next_watch);
    pthread_mutex_lock(&srv.lock);
    bool idle = srv.busy == 0;
    worked = worked || srv.ended; /* its cache went back to the heap */
    srv.ended = false;
    /* Fewer workers free for the queue (idle, or woken and about to take
     * one) than connections in it: one found none and none could start. */
    if (srv.running - (srv.busy - srv.queued) < srv.queued)
      start_worker();
    pthread_mutex_unlock(&srv.lock);
    nts_pool_ke_memory_turn(idle, worked, now);
  }
  nts_pool_ke_watch_free(&watch);
  nts_pool_ke_config *c = nts_pool_ke_serve_current();
  ntspool_time_ms ke_timeout = c->ke_timeout_ms;
  nts_pool_ke_config_unref(c);
  unsigned left = drain(ke_timeout);
  nts_pool_ke_metrics_stop();
  if (left)
    return 1;
  free(srv.queue);
  free(srv.free_slots);
  for (unsigned i = 0; i < srv.max; i++)
    pthread_cond_destroy(&srv.slots[i].wake);
  free(srv.slots);
  free(srv.idle_stack);
  nts_pool_ke_addr_limit_free();
  pthread_mutex_lock(&srv.lock);
  nts_pool_ke_config_unref(srv.current);
  srv.current = NULL;
  pthread_mutex_unlock(&srv.lock);
  /* The self-pipe stays open: a late signal still writes to it. */
  return 0;
}
