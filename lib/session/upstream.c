/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Upstream connections: the pool's TLS connections to time sources.  Each
 * owns its transport (opened and closed through the application's
 * ntspool_upstream_ops) and its message buffers, so that a kept-alive one
 * can wait in the policy's connection cache between client sessions.
 */
#include "session/upstream.h"

#include <stdio.h>

#include "base/crypto.h"

int ntspool_upconn_open(ntspool_ctx *ctx, const ntspool_source *src,
                        enum ntspool_family family, ntspool_time_ms now,
                        ntspool_time_ms deadline, ntspool_upconn **out) {
  ntspool_upconn *c =
      ntspool_calloc(&ctx->alloc, sizeof *c + 2 * ctx->max_message);
  if (!c)
    return NTSPOOL_ERR_NO_MEMORY;
  c->alloc = ctx->alloc;
  c->ops = ctx->upstream_ops;
  c->created_at = now;
  c->cap = ctx->max_message;
  ntspool_upstream_target t = {.source_name = ntspool_source_name(src),
                               .host = ntspool_source_domain(src),
                               .port = ntspool_source_port(src),
                               .connect_address =
                                   ntspool_source_connect_address(src),
                               .family = family,
                               .deadline = deadline};
  c->io.version = NTSPOOL_IO_VERSION;
  int rc = c->ops.open(c->ops.user_data, &t, &c->io);
  if (rc) {
    ntspool_free(&c->alloc, c);
    return rc < 0 ? rc : NTSPOOL_ERR_IO;
  }
  c->io_open = true;
  rc = ntspool_channel_open(&c->ch, ctx->client_tls, &c->io, t.host, c->buffers,
                            c->buffers + c->cap, c->cap);
  if (rc) {
    ntspool_upconn_close(c);
    return rc;
  }
  *out = c;
  return 0;
}

void ntspool_upconn_close(ntspool_upconn *c) {
  if (!c)
    return;
  /* One try at close_notify: a source deserves to know, but an idle
   * connection is never worth waiting for. */
  if (c->ch.tls && ntspool_tls_established(c->ch.tls))
    (void)ntspool_tls_close(c->ch.tls);
  ntspool_channel_free(&c->ch);
  if (c->io_open)
    c->ops.close(c->ops.user_data, &c->io);
  ntspool_allocator a = c->alloc;
  ntspool_zeroize(c, sizeof *c + 2 * c->cap);
  ntspool_free(&a, c);
}

/* Reusable only if nothing arrived while it waited, neither in TLS's
 * buffer nor on the transport: data would be unasked for, EOF means the
 * source closed it. */
static bool upconn_reusable(void *user_data, void *conn) {
  ntspool_upconn *c = conn;
  (void)user_data;
  return ntspool_tls_pending(c->ch.tls) == 0 &&
         c->ops.reusable(c->ops.user_data, &c->io);
}

static void upconn_close(void *user_data, void *conn) {
  (void)user_data;
  ntspool_upconn_close(conn);
}

const ntspool_conn_ops ntspool_upstream_conn_ops = {
    .version = NTSPOOL_CONN_OPS_VERSION,
    .reusable = upconn_reusable,
    .close = upconn_close};

int ntspool_upconn_exchange(ntspool_upconn *c) {
  int rc;
  if (c->ch.tx_sent < c->ch.tx_len) {
    rc = ntspool_channel_send(&c->ch);
    if (rc)
      return rc;
  }
  return ntspool_channel_recv(&c->ch);
}

void ntspool_upconn_begin(ntspool_upconn *c, size_t request_len) {
  ntspool_channel_consume(&c->ch);
  c->ch.tx_len = request_len;
  c->ch.tx_sent = 0;
}

const char *ntspool_upconn_why(const ntspool_upconn *c, int why, char *buf,
                               size_t len) {
  if (why != NTSPOOL_ERR_TLS || c == NULL || c->ch.tls == NULL) {
    snprintf(buf, len, "%s", ntspool_strerror(why));
    return buf;
  }
  char text[256];
  snprintf(buf, len, "TLS failed: %s",
           ntspool_tls_describe_error(c->ch.tls, text, sizeof text));
  return buf;
}
