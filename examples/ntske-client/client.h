/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The example pool-aware NTS client: its two steps.
 *
 *   ke.c   one key exchange through the library's client role (with NTP
 *          Server Deny records for sources already held)
 *   ntp.c  one NTS-protected NTPv4 exchange with the keys and a cookie
 *          from that key exchange
 */
#ifndef NTSKE_CLIENT_H
#define NTSKE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <ntspool.h>

/* Key exchange with host:port; fills *res.  With `uuid`, a monitor's
 * probe of that source instead (the context holds the monitor key; no
 * denied names).  Returns 0, or -1 with the reason in err. */
int client_ke(ntspool_ctx *ctx, const char *host, const char *port,
              const char *uuid, const char *const *denied, size_t n_denied,
              int timeout_ms, ntspool_ke_result *res, char *err,
              size_t err_cap);

/* What one NTS NTP exchange measured. */
typedef struct client_ntp_result {
  double offset_s; /* server clock minus ours */
  double delay_s;  /* round trip minus the server's processing */
  int stratum;
  size_t n_cookies; /* fresh cookies in the reply */
  char peer[300];   /* server:port */
} client_ntp_result;

/* Sends one request to res->server port res->port with res's first cookie
 * and C2S key, checks the reply with the S2C key.  Returns 0, or -1 with
 * the reason in err (an NTS NAK among them). */
int client_ntp(const ntspool_ke_result *res, int timeout_ms,
               client_ntp_result *out, char *err, size_t err_cap);

#endif
