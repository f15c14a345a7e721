/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * In-memory duplex pipe for tests; see pipe.h.  Each direction is a ring
 * buffer written by one end and read by the other.
 */
#include "support/pipe.h"

#include <stdlib.h>
#include <string.h>

typedef struct pipe_dir {
  unsigned char *buf;
  size_t cap, head, len; /* ring: data at head, len bytes */
  bool shut;             /* the writer shut down */
} pipe_dir;

typedef struct pipe_end {
  ntspool_io io;
  ntspool_test_pipe *pipe;
  int index;
  size_t max_per_call;
  bool block_alternate, blocked_last;
  bool eof_limit;
  size_t eof_at; /* received total at which EOF starts */
  bool io_error;
  size_t sent, received, calls;
  unsigned last_blocked; /* NTSPOOL_IO_*: the last call would block */
} pipe_end;

struct ntspool_test_pipe {
  pipe_dir dir[2]; /* dir[i]: bytes travelling to end i */
  pipe_end end[2];
};

static size_t limit(const pipe_end *e, size_t len) {
  return e->max_per_call != 0 && len > e->max_per_call ? e->max_per_call : len;
}

/* True (and WOULD_BLOCK due) on every other call when enabled. */
static bool injected_block(pipe_end *e) {
  if (!e->block_alternate)
    return false;
  e->blocked_last = !e->blocked_last;
  return e->blocked_last;
}

static int would_block(pipe_end *e, unsigned direction) {
  e->last_blocked = direction;
  return NTSPOOL_ERR_WOULD_BLOCK;
}

static int pipe_send(void *user_data, const uint8_t *data, size_t len) {
  pipe_end *e = user_data;
  pipe_dir *d = &e->pipe->dir[1 - e->index];
  e->calls++;
  e->last_blocked = 0;
  if (e->io_error || d->shut)
    return NTSPOOL_ERR_IO;
  if (injected_block(e))
    return would_block(e, NTSPOOL_IO_WRITE);
  len = limit(e, len);
  if (len > d->cap - d->len)
    len = d->cap - d->len;
  if (len == 0)
    return would_block(e, NTSPOOL_IO_WRITE);
  for (size_t i = 0; i < len; i++)
    d->buf[(d->head + d->len + i) % d->cap] = data[i];
  d->len += len;
  e->sent += len;
  return (int)len;
}

static int pipe_recv(void *user_data, uint8_t *buf, size_t len) {
  pipe_end *e = user_data;
  pipe_dir *d = &e->pipe->dir[e->index];
  e->calls++;
  e->last_blocked = 0;
  if (e->io_error)
    return NTSPOOL_ERR_IO;
  if (e->eof_limit && e->received >= e->eof_at)
    return NTSPOOL_ERR_EOF;
  if (injected_block(e))
    return would_block(e, NTSPOOL_IO_READ);
  len = limit(e, len);
  if (e->eof_limit && len > e->eof_at - e->received)
    len = e->eof_at - e->received;
  if (len > d->len)
    len = d->len;
  if (len == 0)
    return d->shut ? NTSPOOL_ERR_EOF : would_block(e, NTSPOOL_IO_READ);
  for (size_t i = 0; i < len; i++)
    buf[i] = d->buf[(d->head + i) % d->cap];
  d->head = (d->head + len) % d->cap;
  d->len -= len;
  e->received += len;
  return (int)len;
}

ntspool_test_pipe *ntspool_test_pipe_new(size_t capacity) {
  if (capacity == 0)
    capacity = 65536;
  ntspool_test_pipe *p = calloc(1, sizeof(*p));
  if (p == NULL)
    return NULL;
  for (int i = 0; i < 2; i++) {
    p->dir[i].cap = capacity;
    p->dir[i].buf = malloc(capacity);
    if (p->dir[i].buf == NULL) {
      ntspool_test_pipe_free(p);
      return NULL;
    }
    p->end[i].pipe = p;
    p->end[i].index = i;
    p->end[i].io.version = NTSPOOL_IO_VERSION;
    p->end[i].io.send = pipe_send;
    p->end[i].io.recv = pipe_recv;
    p->end[i].io.user_data = &p->end[i];
  }
  return p;
}

void ntspool_test_pipe_free(ntspool_test_pipe *p) {
  if (p == NULL)
    return;
  free(p->dir[0].buf);
  free(p->dir[1].buf);
  free(p);
}

const ntspool_io *ntspool_test_pipe_io(ntspool_test_pipe *p, int end) {
  return &p->end[end].io;
}

void ntspool_test_pipe_set_max_per_call(ntspool_test_pipe *p, int end,
                                        size_t max) {
  p->end[end].max_per_call = max;
}

void ntspool_test_pipe_set_block_alternate(ntspool_test_pipe *p, int end,
                                           bool on) {
  p->end[end].block_alternate = on;
  p->end[end].blocked_last = false;
}

void ntspool_test_pipe_set_eof_after(ntspool_test_pipe *p, int end, size_t n) {
  p->end[end].eof_limit = true;
  p->end[end].eof_at = p->end[end].received + n;
}

void ntspool_test_pipe_set_io_error(ntspool_test_pipe *p, int end, bool on) {
  p->end[end].io_error = on;
}

void ntspool_test_pipe_shutdown(ntspool_test_pipe *p, int end) {
  p->dir[1 - end].shut = true;
}

size_t ntspool_test_pipe_queued(const ntspool_test_pipe *p, int end) {
  return p->dir[end].len;
}

size_t ntspool_test_pipe_sent(const ntspool_test_pipe *p, int end) {
  return p->end[end].sent;
}

size_t ntspool_test_pipe_received(const ntspool_test_pipe *p, int end) {
  return p->end[end].received;
}

size_t ntspool_test_pipe_calls(const ntspool_test_pipe *p, int end) {
  return p->end[end].calls;
}

unsigned ntspool_test_pipe_last_blocked(const ntspool_test_pipe *p, int end) {
  return p->end[end].last_blocked;
}
