/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * One NTS-protected NTPv4 exchange (RFC 8915 section 5) with what a key
 * exchange produced: the first cookie, the C2S key for the request, the
 * S2C key to check the reply.  Offset and delay are the usual NTP ones
 * (RFC 5905 8), computed on 64-bit timestamp differences so no precision
 * is lost to the era's large seconds count.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/platform_util.h>

#include "client.h"
#include "common/net.h"
#include "common/nts_ntp.h"
#include "common/random.h"

static uint64_t ntp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ntp_ts_from_unix(ts.tv_sec, ts.tv_nsec);
}

/* a - b in seconds, valid across an era wrap for differences < 68 years. */
static double ts_diff(uint64_t a, uint64_t b) {
  return (double)(int64_t)(a - b) / 4294967296.0;
}

/* Waits for the reply to the request with identifier uid; replies to
 * anything else (late duplicates, strays) are skipped until timeout. */
static int await_reply(int fd, const ntspool_ke_result *res, nts_bytes uid,
                       uint64_t t1, int timeout_ms, client_ntp_result *out,
                       char *err, size_t err_cap) {
  uint8_t pkt[NTS_MAX_PACKET], scratch[NTS_MAX_PACKET];
  ntspool_time_ms until = ex_now_ms() + timeout_ms;
  for (;;) {
    ntspool_time_ms left = until - ex_now_ms();
    if (left <= 0 || ex_set_timeouts(fd, (int)left)) {
      snprintf(err, err_cap, "no NTS reply within %d ms", timeout_ms);
      return -1;
    }
    ssize_t n = recv(fd, pkt, sizeof pkt, 0);
    uint64_t t4 = ntp_now();
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        continue;
      snprintf(err, err_cap, "receive: %s", strerror(errno));
      return -1;
    }
    nts_response r;
    int rc = nts_parse_response(pkt, (size_t)n, uid, res->s2c, res->key_len,
                                scratch, sizeof scratch, &r);
    mbedtls_platform_zeroize(scratch, sizeof scratch);
    if (rc == NTS_ERR_MISMATCH || rc == NTS_ERR_MALFORMED)
      continue;
    if (rc == NTS_NAK) {
      snprintf(err, err_cap, "NTS NAK: the server could not use the cookie");
      return -1;
    }
    if (rc != NTS_OK) {
      snprintf(err, err_cap, "reply failed authentication");
      return -1;
    }
    if (r.header.origin_ts != t1) {
      snprintf(err, err_cap,
               "authenticated reply to another request "
               "(origin timestamp differs)");
      return -1;
    }
    if (r.header.leap == 3 || r.header.stratum == 0 || r.header.stratum > 15) {
      snprintf(err, err_cap, "server is unsynchronised (leap %u stratum %u)",
               r.header.leap, r.header.stratum);
      return -1;
    }
    uint64_t t2 = r.header.receive_ts, t3 = r.header.transmit_ts;
    out->offset_s = (ts_diff(t2, t1) + ts_diff(t3, t4)) / 2;
    out->delay_s = ts_diff(t4, t1) - ts_diff(t3, t2);
    out->stratum = r.header.stratum;
    out->n_cookies = r.n_cookies;
    return 0;
  }
}

int client_ntp(const ntspool_ke_result *res, int timeout_ms,
               client_ntp_result *out, char *err, size_t err_cap) {
  char port[8];
  snprintf(port, sizeof port, "%u", (unsigned)res->port);
  snprintf(out->peer, sizeof out->peer, "%s:%s", res->server, port);
  if (res->n_cookies == 0) {
    snprintf(err, err_cap, "no cookie to send");
    return -1;
  }
  int fd = ex_connect(res->server, port, SOCK_DGRAM, timeout_ms, err, err_cap);
  if (fd < 0)
    return -1;

  /* A fresh identifier and nonce per request: the identifier ties the
   * reply to it, the nonce keeps AES-SIV from repeating. */
  uint8_t uid_bytes[32], nonce[NTS_NONCE_LEN], pkt[NTS_MAX_PACKET];
  nts_bytes uid = {uid_bytes, sizeof uid_bytes};
  int rc = -1;
  if (ex_random(uid_bytes, sizeof uid_bytes) ||
      ex_random(nonce, sizeof nonce)) {
    snprintf(err, err_cap, "no random bytes");
    goto out;
  }
  uint64_t t1 = ntp_now();
  ntp_header h = {.version = 4,
                  .mode = NTP_MODE_CLIENT,
                  .poll = 6,
                  .precision = -20,
                  .transmit_ts = t1};
  /* One placeholder: the reply brings back two cookies, one to replace
   * the cookie spent and one more, as a client short of cookies does. */
  int len =
      nts_build_request(pkt, sizeof pkt, &h, uid,
                        (nts_bytes){res->cookies[0].data, res->cookies[0].len},
                        1, res->c2s, res->key_len, nonce);
  if (len <= 0) {
    snprintf(err, err_cap, "cannot build the request (AEAD %u?)", res->aead);
    goto out;
  }
  if (send(fd, pkt, (size_t)len, 0) != len) {
    snprintf(err, err_cap, "send to %s: %s", out->peer, strerror(errno));
    goto out;
  }
  rc = await_reply(fd, res, uid, t1, timeout_ms, out, err, err_cap);
out:
  close(fd);
  return rc;
}
