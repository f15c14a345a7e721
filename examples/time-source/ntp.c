/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NTS NTPv4 responder of the example time source (RFC 8915 section 5).
 * It answers with the local clock as it is: it reads CLOCK_REALTIME and
 * never sets or slews it.  Requests are handled inline on the main
 * thread; each costs a few AES-SIV operations, far less than a KE.
 */
#include <errno.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"
#include "common/net.h"
#include "time_source.h"

/* Datagrams answered per wake-up before the loop looks at the KE socket
 * and signals again. */
#define NTP_BATCH 64

uint64_t ts_ntp_now(void *unused) {
  (void)unused;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ntp_ts_from_unix(ts.tv_sec, ts.tv_nsec);
}

static const char *kind_name(enum nts_answer_kind k) {
  return k == NTS_ANSWER_TIME ? "time" : k == NTS_ANSWER_NAK ? "nak" : "none";
}

void ts_ntp_serve(ts_server *ts) {
  /* One byte more than we accept, so an oversized datagram is seen as
   * such rather than silently truncated into something parseable. */
  uint8_t req[NTS_MAX_PACKET + 1], resp[NTS_MAX_PACKET];
  for (int i = 0; i < NTP_BATCH; i++) {
    struct sockaddr_storage from;
    socklen_t from_len = sizeof from;
    ssize_t n = recvfrom(ts->ntp_fd, req, sizeof req, MSG_DONTWAIT,
                         (struct sockaddr *)&from, &from_len);
    if (n < 0)
      return; /* EAGAIN: drained; anything else: try on the next wake-up */
    /* The receive timestamp, as close to the packet's arrival as this
     * simple loop gets. */
    uint64_t rx = ts_ntp_now(NULL);
    nts_answer_info info;
    size_t len = nts_server_answer(&ts->nts, ts_mono_s(), rx, req, (size_t)n,
                                   resp, sizeof resp, &info);
    char peer[80];
    ex_addr_text((struct sockaddr *)&from, peer, sizeof peer);
    if (len > 0 && sendto(ts->ntp_fd, resp, len, 0, (struct sockaddr *)&from,
                          from_len) < 0) {
      ex_log(NTSPOOL_LOG_DEBUG, "ntp", "send failed peer=%s errno=%d", peer,
             errno);
      len = 0;
    }
    switch (info.kind) {
    case NTS_ANSWER_TIME:
      atomic_fetch_add(&ts->ntp_time, 1);
      break;
    case NTS_ANSWER_NAK:
      atomic_fetch_add(&ts->ntp_nak, 1);
      break;
    case NTS_ANSWER_DROP:
      atomic_fetch_add(&ts->ntp_dropped, 1);
      break;
    }
    ex_log(NTSPOOL_LOG_DEBUG, "ntp",
           "request peer=%s bytes=%zd answer=%s why=\"%s\" aead=%u cookies=%zu "
           "reply_bytes=%zu",
           peer, n, kind_name(info.kind), info.why, info.aead, info.n_cookies,
           len);
  }
}
