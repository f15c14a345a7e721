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
#include "fuzz_session.h"
#include "support/pipe.h"

/* One client context and one session per AEAD set (fuzz_session.h). */
static ntspool_ctx *clients[2];
static ntspool_session *sessions[2];
static ntspool_test_pipe *pipes[2];

static ntspool_ctx *make_client(bool gcm) {
  ntspool_ctx *ctx;
  fuzz_must(ntspool_ctx_new(NTSPOOL_ROLE_CLIENT, NULL, &ctx), NULL, "ctx");
  fuzz_must(ntspool_ctx_set(ctx, "client", "certificate-authority-path",
                            "tests/pki/ca.pem"),
            ctx, "ca");
  if (gcm) {
    fuzz_must(ntspool_ctx_set(ctx, "client", "aead", "30"), ctx, "aead 30");
    fuzz_must(ntspool_ctx_set(ctx, "client", "aead", "15"), ctx, "aead 15");
  }
  fuzz_must(ntspool_ctx_ready(ctx), ctx, "ready");
  return ctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  static const char *const denied[] = {"denied.example"};
  for (int i = 0; i < 2; i++) {
    clients[i] = make_client(i == 1);
    pipes[i] = ntspool_test_pipe_new(0);
    FUZZ_CHECK(pipes[i] != NULL);
    fuzz_must(ntspool_session_new_client(
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
  int rc = ntspool_ke_response_parse(msg, len, NTSPOOL_NUMBERING_IANA, r);
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

  /* The session once its request is out, with the server's answer. */
  size_t n = fuzz_session_deliver(s, data, size);
  s->part->client.has_result = false;
  ntspool_response r;
  int want = fuzz_session_frame(s);
  if (want == 0)
    want = expected(ctx, s->ch.rx, n, &r);

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
