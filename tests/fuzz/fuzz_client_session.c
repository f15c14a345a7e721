/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: a whole client session after TLS, reading the server's
 * answer.  The input's first byte picks the client (the library's AEADs,
 * or AEADs 30 and 15); the rest is what the server sent, put where the TLS
 * layer would have put it.  One ntspool_session_step then runs the real
 * receive path: framing (too large, trailing data, no End of Message yet)
 * and check_answer: the parser, the comparison with what was offered, the
 * cookie checks and the key export (fuzz_ke_response covers the parser
 * alone).  A handshake per input would cost milliseconds, so the TLS
 * session is never established and the key export is the last step that
 * can fail: a response that passes every check ends in NTSPOOL_ERR_STATE
 * there, which is how the target tells "accepted" from "refused".
 *
 * Invariants: the step blocks or ends with a documented status; an answer
 * is accepted exactly when the parser accepts it and it names an offered
 * protocol and AEAD and 1..8 cookies of 1..NTSPOOL_MAX_COOKIE_LEN bytes; an
 * Error or Warning is reported with its code; bytes after End of Message
 * are NTSPOOL_ERR_TRAILING_DATA; no result is ever readable.
 */
#include "fuzz.h"

#include "session/session_internal.h"
#include "support/pipe.h"

/* One client context and one session per AEAD set, made once: a session
 * per input spends nearly all its time setting up a TLS context. */
static ntspool_ctx *clients[2];
static ntspool_session *sessions[2];
static ntspool_test_pipe *pipes[2];

static void must(int rc, ntspool_ctx *ctx, const char *what) {
  if (rc) {
    fprintf(stderr, "fuzz_client_session: %s: %s %s\n", what,
            ntspool_strerror(rc), ctx ? ntspool_ctx_error(ctx) : "");
    abort();
  }
}

static ntspool_ctx *make_client(bool gcm) {
  ntspool_ctx *ctx;
  must(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx), NULL, "ctx");
  must(ntspool_ctx_set(ctx, "client", "certificate-authority-path",
                       "tests/pki/ca.pem"),
       ctx, "ca");
  if (gcm) {
    must(ntspool_ctx_set(ctx, "client", "aead", "30"), ctx, "aead 30");
    must(ntspool_ctx_set(ctx, "client", "aead", "15"), ctx, "aead 15");
  }
  must(ntspool_ctx_ready(ctx), ctx, "ready");
  return ctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  static const char *const denied[] = {"denied.example"};
  for (int i = 0; i < 2; i++) {
    clients[i] = make_client(i == 1);
    pipes[i] = ntspool_test_pipe_new(0);
    FUZZ_CHECK(pipes[i] != NULL);
    must(ntspool_session_new_client(
             clients[i], ntspool_test_pipe_io(pipes[i], 0), "ke.example",
             denied, 1, 1000, &sessions[i]),
         clients[i], "session");
  }
  return 0;
}

static bool offered(const uint16_t *list, size_t n, uint16_t id) {
  for (size_t i = 0; i < n; i++)
    if (list[i] == id)
      return true;
  return false;
}

/* What check_answer must conclude about a response that framed. */
static int expected(const ntspool_ctx *ctx, const uint8_t *msg, size_t len,
                    ntspool_response *r) {
  int rc = ntspool_parse_ke_response(msg, len, NTSPOOL_NUMBERING_IANA, r);
  if (rc)
    return rc;
  if (!offered(ctx->protocols, ctx->n_protocols, r->protocol) ||
      !offered(ctx->aeads, ctx->n_aeads, r->aead) || r->n_cookies == 0 ||
      r->server.len >=
          sizeof((union ntspool_role_part *)0)->client.result.server)
    return NTSPOOL_ERR_BAD_RESPONSE;
  for (size_t i = 0; i < r->n_cookies; i++)
    if (r->cookies[i].len == 0 || r->cookies[i].len > NTSPOOL_MAX_COOKIE_LEN)
      return NTSPOOL_ERR_BAD_RESPONSE;
  return NTSPOOL_ERR_STATE; /* accepted; the key export cannot run */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  int which = data[0] & 1;
  ntspool_ctx *ctx = clients[which];
  ntspool_session *s = sessions[which];
  data++, size--;

  /* The session as advance() leaves it once the request is out, with what
   * the TLS layer would have delivered.  Everything check_answer reads is
   * reset here. */
  s->state = NTSPOOL_ST_RECV;
  s->status = 0;
  s->deadline = s->session_deadline;
  s->outcome = (ntspool_outcome){0};
  s->part->client.has_result = false;
  s->ch.tx_len = s->ch.tx_sent = s->ch.msg_len = 0;
  size_t n = size < s->ch.rx_cap ? size : s->ch.rx_cap;
  memcpy(s->ch.rx, data, n);
  s->ch.rx_len = n;

  size_t msg_len;
  int frame_rc = ntspool_message_frame(s->ch.rx, n, s->ch.rx_cap, &msg_len);
  ntspool_response r;
  int want = frame_rc;
  if (frame_rc == 0)
    want = expected(ctx, s->ch.rx, n, &r);
  else if (frame_rc == NTSPOOL_ERR_NEED_MORE && n == s->ch.rx_cap)
    want = NTSPOOL_ERR_TOO_LARGE; /* the channel cannot read more */

  int rc = ntspool_session_step(s, 1001);
  if (want == NTSPOOL_ERR_NEED_MORE) {
    /* It reads on, from a TLS session that never started. */
    FUZZ_CHECK(rc == NTSPOOL_ERR_WOULD_BLOCK || rc == NTSPOOL_ERR_TLS ||
               rc == NTSPOOL_ERR_STATE);
    FUZZ_CHECK(s->state != NTSPOOL_ST_CLOSE && !s->part->client.has_result);
    return 0;
  }
  FUZZ_CHECK(rc == want);
  FUZZ_CHECK(s->state == NTSPOOL_ST_DONE && s->status == want);
  FUZZ_CHECK(!s->part->client.has_result);
  ntspool_ke_result res;
  FUZZ_CHECK(ntspool_session_result(s, &res) == NTSPOOL_ERR_STATE);
  if (want == NTSPOOL_ERR_PEER_ERROR || want == NTSPOOL_ERR_PEER_WARNING)
    FUZZ_CHECK(s->outcome.nts_error == r.error_code);
  return 0;
}
