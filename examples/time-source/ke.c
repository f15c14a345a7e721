/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NTS-KE side of the example time source: a thread per connection, each
 * driving its session with the poll() loop of session.h on a non-blocking
 * socket: wait for what ntspool_session_wants() names until the session's
 * deadline, or until a stop request (the server's stop pipe turns
 * readable), then step again.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/aes_siv.h"
#include "common/log.h"
#include "common/net.h"
#include "time_source.h"

int64_t ts_mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

int ts_make_cookies(void *user_data, uint16_t protocol, uint16_t aead,
                    const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                    ntspool_cookie *cookies, size_t max) {
  ts_server *ts = user_data;
  /* Our NTP side speaks NTPv4 with AES-SIV only; the context offers no
   * more, so anything else here is a bug worth refusing loudly. */
  if (protocol != NTSPOOL_PROTO_NTPV4 || aes_siv_key_len(aead) != key_len)
    return NTSPOOL_ERR_UNSUPPORTED;
  int64_t now = ts_mono_s();
  for (size_t i = 0; i < max; i++) {
    int n = cookie_seal(&ts->jar, now, aead, c2s, s2c, key_len, cookies[i].data,
                        sizeof cookies[i].data);
    if (n < 0)
      return NTSPOOL_ERR_CRYPTO;
    cookies[i].len = (size_t)n;
  }
  return (int)max;
}

typedef struct conn {
  ts_server *ts;
  int fd;
  int family;
  char peer[80];
} conn;

static void conn_done(ts_server *ts) {
  pthread_mutex_lock(&ts->lock);
  ts->active--;
  pthread_cond_broadcast(&ts->idle);
  pthread_mutex_unlock(&ts->lock);
}

/* Waits until the connection `fd` is ready the way the session waits on
 * it, `until` passed or (watch_stop) a stop was requested.  A time source's
 * session has one transport, its own connection, so the io the session
 * names is always that one (and with --small-writes not a plain socket
 * io, so the fd is not read from it). */
static void wait_session(const ts_server *ts, const ntspool_session *s, int fd,
                         ntspool_time_ms until, bool watch_stop) {
  unsigned want = ntspool_session_wants(s, NULL);
  if (!want)
    return; /* only the deadline changed: step again */
  struct pollfd p[2] = {
      {.fd = fd,
       .events = (short)((want & NTSPOOL_IO_READ ? POLLIN : 0) |
                         (want & NTSPOOL_IO_WRITE ? POLLOUT : 0))},
      {.fd = ts->stop_pipe[0], .events = POLLIN}};
  ntspool_time_ms left = until - ex_now_ms();
  if (left > 0)
    poll(p, watch_stop ? 2 : 1, left > 60000 ? 60000 : (int)left);
}

static void *conn_main(void *arg) {
  conn *c = arg;
  ts_server *ts = c->ts;
  ntspool_io sio;
  ts_small_io small;
  ntspool_session *s = NULL;
  ntspool_outcome o = {0};

  fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
  if (ts->small_writes)
    ts_small_writes_io(c->fd, ts->small_writes, &small, &sio);
  else
    ntspool_socket_io(c->fd, &sio);
  ntspool_peer peer = {.family = c->family, .address = c->peer};
  int rc = ntspool_session_new_server(ts->ctx, &sio, &peer, ex_now_ms(), &s);
  if (rc == 0) {
    ntspool_time_ms stop_by = 0;
    while ((rc = ntspool_session_step(s, ex_now_ms())) ==
           NTSPOOL_ERR_WOULD_BLOCK) {
      /* After a stop request, in-flight exchanges get the grace period;
       * an idle kept-alive pool connection ends with it. */
      ntspool_time_ms until = ntspool_session_deadline(s);
      if (atomic_load(&ts->stopping)) {
        ntspool_time_ms now = ex_now_ms();
        if (!stop_by)
          stop_by = now + ts->grace_ms;
        else if (now >= stop_by)
          break;
        if (until > stop_by)
          until = stop_by;
      }
      wait_session(ts, s, c->fd, until, stop_by == 0);
    }
    ntspool_session_outcome(s, &o);
    ntspool_session_free(s);
  }
  /* The library classifies the session; a session stopped for shutdown
   * never finished (pending). */
  if (o.result == NTSPOOL_RESULT_OK) {
    atomic_fetch_add(&ts->ke_ok, 1);
    ex_log(NTSPOOL_LOG_DEBUG, "ke", "session done peer=%s result=ok", c->peer);
  } else {
    atomic_fetch_add(&ts->ke_failed, 1);
    char tls[160] = "";
    if (o.result == NTSPOOL_RESULT_TLS) {
      char text[128];
      snprintf(tls, sizeof tls, " tls=\"%s\"",
               ntspool_tls_error_text(o.tls_error, text, sizeof text));
    }
    if (o.result == NTSPOOL_RESULT_NTS_ERROR)
      snprintf(tls, sizeof tls, " nts_error=%u", o.nts_error);
    ex_log(NTSPOOL_LOG_DEBUG, "ke",
           "session done peer=%s result=%s reason=\"%s\"%s", c->peer,
           ntspool_result_name(o.result),
           ntspool_strerror(rc == 0 ? o.status : rc), tls);
  }
  close(c->fd);
  free(c);
  conn_done(ts);
  return NULL;
}

void ts_ke_accept(ts_server *ts) {
  struct sockaddr_storage from;
  socklen_t len = sizeof from;
  int fd = accept(ts->ke_fd, (struct sockaddr *)&from, &len);
  if (fd < 0)
    return; /* the client gave up already, or a transient error */
  conn *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    return;
  }
  c->ts = ts;
  c->fd = fd;
  c->family = from.ss_family == AF_INET6 ? 6 : 4;
  ex_addr_text((struct sockaddr *)&from, c->peer, sizeof c->peer);

  pthread_mutex_lock(&ts->lock);
  bool full = ts->active >= TS_MAX_CONNECTIONS;
  if (!full)
    ts->active++;
  pthread_mutex_unlock(&ts->lock);
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (full || pthread_create(&t, &attr, conn_main, c) != 0) {
    atomic_fetch_add(&ts->ke_refused, 1);
    ex_log(NTSPOOL_LOG_WARNING, "ke", "connection refused peer=%s reason=%s",
           c->peer, full ? "too many connections" : "no thread");
    if (!full)
      conn_done(ts);
    close(fd);
    free(c);
  }
  pthread_attr_destroy(&attr);
}

int ts_ke_wait(ts_server *ts, int timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&ts->lock);
  while (ts->active > 0 &&
         pthread_cond_timedwait(&ts->idle, &ts->lock, &until) == 0)
    ;
  int left = ts->active;
  pthread_mutex_unlock(&ts->lock);
  return left;
}
