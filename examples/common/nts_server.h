/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NTS NTP responder logic of the example time source, apart from its
 * socket so tests can drive it: one request in, one answer (time, NTS NAK,
 * or nothing) out.
 */
#ifndef EXAMPLES_NTS_SERVER_H
#define EXAMPLES_NTS_SERVER_H

#include "cookie.h"
#include "nts_ntp.h"

typedef struct nts_server {
  cookie_jar *jar;
  uint8_t stratum;
  uint32_t reference_id;
  int8_t precision;
  /* The time to put in the transmit timestamp (NTP 32.32), read as late
   * as possible: after the cookies are sealed, before the final seal. */
  uint64_t (*clock)(void *user);
  void *user;
} nts_server;

enum nts_answer_kind {
  NTS_ANSWER_DROP = 0, /* malformed: no reply at all */
  NTS_ANSWER_TIME = 1, /* authenticated time with fresh cookies */
  NTS_ANSWER_NAK = 2   /* cookie unknown or request not authentic */
};

typedef struct nts_answer_info {
  enum nts_answer_kind kind;
  const char *why;  /* for logs: a fixed phrase, never secret */
  uint16_t aead;    /* TIME: the AEAD from the cookie */
  size_t n_cookies; /* TIME: cookies returned */
} nts_answer_info;

/* Answers request req[0, len) received at rx_ts (NTP 32.32); now_s is the
 * cookie jar's clock in seconds.  Returns the length of the reply in out,
 * or 0 when nothing is to be sent; *info says which and why. */
size_t nts_server_answer(const nts_server *srv, int64_t now_s, uint64_t rx_ts,
                         const uint8_t *req, size_t len, uint8_t *out,
                         size_t cap, nts_answer_info *info);

#endif
