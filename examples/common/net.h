/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Sockets for the example programs: ADDR:PORT parsing, listening and
 * connecting with getaddrinfo, and ntspool_io over a blocking socket with
 * receive/send timeouts.  The timeouts make a blocked call return
 * NTSPOOL_ERR_WOULD_BLOCK now and then, so the caller gets control back to
 * pass the session a fresh "now" (its deadlines) and to notice shutdown.
 */
#ifndef EXAMPLES_NET_H
#define EXAMPLES_NET_H

#include <stddef.h>
#include <sys/socket.h>

#include <ntspool.h>

/* Splits "host:port", "[v6]:port" into host and port.  Returns 0 or -1. */
int ex_split_hostport(const char *text, char *host, size_t host_cap, char *port,
                      size_t port_cap);

/* A socket of `type` (SOCK_STREAM listens with a backlog) bound to
 * "host:port".  Returns the descriptor or -1 with a reason in err. */
int ex_listen(const char *hostport, int type, char *err, size_t err_cap);

/* Connects a socket of `type` to host:port, trying each address in turn,
 * each within timeout_ms.  Returns the descriptor or -1 with a reason. */
int ex_connect(const char *host, const char *port, int type, int timeout_ms,
               char *err, size_t err_cap);

/* SO_RCVTIMEO and SO_SNDTIMEO.  Returns 0 or -1. */
int ex_set_timeouts(int fd, int ms);

/* "addr:port" or "[addr]:port" of a socket address, for logs. */
void ex_addr_text(const struct sockaddr *sa, char *out, size_t cap);

/* Monotonic milliseconds (the sessions' clock). */
ntspool_time_ms ex_now_ms(void);

#endif
