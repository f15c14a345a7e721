/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: a whole time-source session after TLS.  The input's first
 * byte picks the source (IANA numbering with the library's AEADs, or DRAFT
 * numbering with AEADs 15, 17 and 30, a Server and a Port) and whether the
 * connection is already a kept-alive pool connection; the rest is what
 * the peer sent, put where the TLS layer would have put it.  One
 * ntspool_session_step then runs the real receive path: framing (too
 * large, trailing data, no End of Message yet), take_request with token
 * checks, keep-alive permits, negotiation, the cookie callback and the
 * answer (fuzz_source_request covers the parser alone).  A handshake per
 * input would cost milliseconds, so the TLS session is never established:
 * key export fails (the ordinary exchange answers Internal Server Error)
 * and the answer stays in the session's buffer, where it is checked.
 *
 * Invariants: the step blocks or ends with a documented status; an answer
 * is one whole message: an Error record with code 0, 1 or 2, or an answer
 * of the kind asked for that parses back (a support response with what
 * was asked, a key-exchange response with the source's cookies, or
 * "nothing in common"); a refused request gets the Error code
 * ntspool_nts_error_for gives; every keep-alive permit taken is returned.
 */
#include "fuzz_session.h"
#include "support/pipe.h"

#define TOKEN "c680e5f1c4f161968dd9b72f271ca5e7d17b0fe2e71e20b7ba4002b9252dd751"

/* One source context and one session per numbering (fuzz_session.h). */
static ntspool_ctx *sources[2];
static ntspool_session *sessions[2];
static ntspool_test_pipe *pipes[2];

static int make_cookies(void *user, uint16_t protocol, uint16_t aead,
                        const uint8_t *c2s, const uint8_t *s2c, size_t key_len,
                        ntspool_cookie *cookies, size_t max) {
  (void)user;
  (void)protocol;
  FUZZ_CHECK(key_len == ntspool_aead_key_length(aead) && key_len != 0);
  FUZZ_CHECK(c2s + key_len == s2c || s2c + key_len <= c2s ||
             c2s + key_len <= s2c);
  for (size_t i = 0; i < max; i++)
    cookies[i].len = (size_t)snprintf((char *)cookies[i].data,
                                      sizeof cookies[i].data, "c%zu", i);
  return (int)max;
}

static ntspool_ctx *make_source(bool draft) {
  ntspool_ctx *ctx;
  fuzz_must(ntspool_ctx_new(NTSPOOL_ROLE_SOURCE, NULL, &ctx), NULL, "ctx");
  const char *keys[][2] = {
      {"certificate-chain-path", "tests/pki/timesource.pem"},
      {"private-key-path", "tests/pki/timesource.key"},
      {"accepted-token", TOKEN},
      {"accepted-token", "a"},
      {"max-keep-alive-connections", "1"},
      {"record-numbering", draft ? "draft" : "iana"},
      {draft ? "aead" : NULL, "15"},
      {draft ? "aead" : NULL, "17"},
      {draft ? "aead" : NULL, "30"},
      {draft ? "ntp-server" : NULL, "ntp.example"},
      {draft ? "ntp-port" : NULL, "4123"},
      {draft ? "server-name" : NULL, "other.example"},
  };
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    if (keys[i][0])
      fuzz_must(ntspool_ctx_set(ctx, "time-source", keys[i][0], keys[i][1]),
                ctx, keys[i][0]);
  ntspool_source_ops ops = {NTSPOOL_SOURCE_OPS_VERSION, make_cookies, NULL};
  fuzz_must(ntspool_ctx_set_source_ops(ctx, &ops), ctx, "source ops");
  fuzz_must(ntspool_ctx_ready(ctx), ctx, "ready");
  return ctx;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  for (int i = 0; i < 2; i++) {
    sources[i] = make_source(i == 1);
    pipes[i] = ntspool_test_pipe_new(0);
    FUZZ_CHECK(pipes[i] != NULL);
    fuzz_must(ntspool_session_new_server(sources[i],
                                         ntspool_test_pipe_io(pipes[i], 1),
                                         NULL, 1000, &sessions[i]),
              sources[i], "session");
  }
  return 0;
}

/* The answer in s->ch.tx is one whole message the peer can read. */
static void check_answer(const ntspool_session *s, const ntspool_request *req,
                         int frame_rc, int parse_rc) {
  const uint8_t *tx = s->ch.tx;
  size_t len = s->ch.tx_len, msg_len;
  FUZZ_CHECK(ntspool_message_frame(tx, len, SIZE_MAX, &msg_len) == 0);
  enum ntspool_numbering n = s->ctx->numbering;
  if (s->outcome.sent_error) {
    ntspool_response r;
    FUZZ_CHECK(ntspool_ke_response_parse(tx, len, n, &r) ==
               NTSPOOL_ERR_PEER_ERROR);
    FUZZ_CHECK(r.error_code == s->outcome.nts_error && r.error_code <= 2);
    if (frame_rc != 0) /* too large, or bytes after End of Message */
      FUZZ_CHECK(r.error_code == NTSPOOL_NTS_BAD_REQUEST);
    else if (parse_rc != 0)
      FUZZ_CHECK(r.error_code == ntspool_nts_error_for(parse_rc));
    return;
  }
  /* Only a request that parsed is answered with anything but an Error. */
  FUZZ_CHECK(frame_rc == 0 && parse_rc == 0);
  if (req->kind == NTSPOOL_REQUEST_SUPPORT) {
    ntspool_support sr;
    FUZZ_CHECK(ntspool_support_response_parse(tx, len, n, req->want, &sr) == 0);
    return;
  }
  ntspool_response r;
  int rc = ntspool_ke_response_parse(tx, len, n, &r);
  if (req->kind == NTSPOOL_REQUEST_FIXED_KEY) {
    FUZZ_CHECK(rc == 0 && r.n_cookies == s->ctx->n_cookies);
    FUZZ_CHECK(r.protocol == ntspool_u16_list_get(req->protocols, 0) &&
               r.aead == ntspool_u16_list_get(req->aeads, 0));
    return;
  }
  /* An ordinary exchange without a TLS session never gets keys. */
  FUZZ_CHECK(rc == NTSPOOL_ERR_NO_PROTOCOL || rc == NTSPOOL_ERR_NO_AEAD);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  int which = data[0] & 1;
  ntspool_ctx *ctx = sources[which];
  ntspool_session *s = sessions[which];
  bool kept = (data[0] & 2) != 0;
  data++, size--;

  /* The session after the handshake, with the peer's request; a
   * kept-alive connection holds its permit. */
  size_t n = fuzz_session_deliver(s, data, size);
  if (kept) {
    atomic_fetch_add(&ctx->keep_alive_in_use, 1);
    s->keep_alive = true;
  }
  ntspool_request req = {0};
  int parse_rc = NTSPOOL_ERR_NEED_MORE;
  int frame_rc = fuzz_session_frame(s);
  if (frame_rc == 0)
    parse_rc =
        ntspool_source_request_parse(s->ch.rx, n, ctx->numbering,
                                     /* no client certificate */ 0, &req);

  int rc = ntspool_session_step(s, 1001);
  /* The answer cannot go out over a TLS session that never started. */
  FUZZ_CHECK(rc == NTSPOOL_ERR_WOULD_BLOCK || rc == NTSPOOL_ERR_TLS ||
             rc == NTSPOOL_ERR_STATE);
  if (s->ch.tx_len > 0)
    check_answer(s, &req, frame_rc, parse_rc);
  else /* nothing framed: nothing answered */
    FUZZ_CHECK(frame_rc == NTSPOOL_ERR_NEED_MORE && !s->outcome.sent_error);

  /* What the session's release hook does when it is freed. */
  if (s->keep_alive) {
    atomic_fetch_sub(&ctx->keep_alive_in_use, 1);
    s->keep_alive = false;
  }
  FUZZ_CHECK(atomic_load(&ctx->keep_alive_in_use) == 0);
  return 0;
}
