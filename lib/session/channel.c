/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A channel turns a TLS byte stream into NTS-KE messages.  NTS-KE has no
 * length prefix, so a message is complete only when its End of Message
 * record has arrived; the frame scan runs after every read and stops a
 * peer from growing a message past the configured limit.
 */
#include "session/session_internal.h"

int ntspool_channel_open(ntspool_channel *ch, ntspool_tls_config *cfg,
                         const ntspool_io *io, const char *server_name,
                         uint8_t *rx, uint8_t *tx, size_t cap) {
  *ch = (ntspool_channel){.rx = rx, .rx_cap = cap, .tx = tx, .tx_cap = cap};
  return ntspool_tls_new(&ch->tls, cfg, io, server_name);
}

int ntspool_channel_recv(ntspool_channel *ch) {
  for (;;) {
    if (ch->rx_len) {
      int rc =
          ntspool_message_frame(ch->rx, ch->rx_len, ch->rx_cap, &ch->msg_len);
      if (rc != NTSPOOL_ERR_NEED_MORE)
        return rc;
    }
    if (ch->rx_len == ch->rx_cap)
      return NTSPOOL_ERR_TOO_LARGE;
    int n =
        ntspool_tls_read(ch->tls, ch->rx + ch->rx_len, ch->rx_cap - ch->rx_len);
    if (n < 0)
      return n;
    ch->rx_len += (size_t)n;
  }
}

void ntspool_channel_consume(ntspool_channel *ch) {
  ch->rx_len = 0;
  ch->msg_len = 0;
}

int ntspool_channel_send(ntspool_channel *ch) {
  while (ch->tx_sent < ch->tx_len) {
    int n = ntspool_tls_write(ch->tls, ch->tx + ch->tx_sent,
                              ch->tx_len - ch->tx_sent);
    if (n < 0)
      return n;
    ch->tx_sent += (size_t)n;
  }
  return 0;
}

int ntspool_channel_close(ntspool_channel *ch) {
  return ntspool_tls_close(ch->tls);
}

void ntspool_channel_free(ntspool_channel *ch) {
  ntspool_tls_free(ch->tls);
  ch->tls = NULL;
}
