/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One NTS-KE through the library's client role over a blocking socket,
 * with the blocking loop of session.h: ntspool_socket_io_deadline keeps
 * every wait within the session's deadline, so a server that stalls or
 * trickles bytes cannot hold the client past its key-exchange timeout.
 */
#include <stdio.h>
#include <unistd.h>

#include "client.h"
#include "common/net.h"

int client_ke(ntspool_ctx *ctx, const char *host, const char *port,
              const char *uuid, const char *const *denied, size_t n_denied,
              int timeout_ms, ntspool_ke_result *res, char *err,
              size_t err_cap) {
  int fd = ex_connect(host, port, SOCK_STREAM, timeout_ms, err, err_cap);
  if (fd < 0)
    return -1;
  ntspool_socket sock = {.fd = fd};
  ntspool_io sio;
  ntspool_socket_io_deadline(&sock, &sio);
  ntspool_session *s;
  int rc =
      uuid ? ntspool_session_new_probe(ctx, &sio, host, uuid, ex_now_ms(), &s)
           : ntspool_session_new_client(ctx, &sio, host, denied, n_denied,
                                        ex_now_ms(), &s);
  if (rc == 0) {
    do {
      sock.deadline = ntspool_session_deadline(s);
      rc = ntspool_session_step(s, ex_now_ms());
    } while (rc == NTSPOOL_ERR_WOULD_BLOCK);
    if (rc == 0)
      rc = ntspool_session_result(s, res);
    if (rc) {
      ntspool_outcome o;
      ntspool_session_outcome(s, &o);
      if (rc == NTSPOOL_ERR_PEER_ERROR)
        snprintf(err, err_cap, "%s: the server answered NTS error %u", host,
                 o.nts_error);
      else if (o.result == NTSPOOL_RESULT_TLS) {
        /* The backend's words, with the certificate's faults. */
        char tls[256];
        snprintf(err, err_cap, "%s: %s (%s)", host, ntspool_strerror(rc),
                 ntspool_session_tls_error(s, tls, sizeof tls));
      } else
        snprintf(err, err_cap, "%s: %s", host, ntspool_strerror(rc));
    }
    ntspool_session_free(s);
  } else {
    snprintf(err, err_cap, "%s: %s", host, ntspool_strerror(rc));
  }
  close(fd);
  return rc ? -1 : 0;
}
