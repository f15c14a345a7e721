/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: a connection's first bytes when PROXY v2 is on, as the
 * daemon reads them (cli/connection.c): exactly the 16-byte fixed part,
 * then exactly the rest of the header that part announces, each read
 * parsed with ntspool_proxy_parse; whatever follows the header is handed
 * to the next stage, a pool server session, whose first step starts the
 * TLS handshake on it.  (fuzz_proxy covers the parser on one buffer; this
 * one covers the read discipline and the hand-over.)
 *
 * Invariants: at most two reads, the second only for a header the first
 * announced as longer, and never a byte past the header: the session's
 * transport is given exactly the bytes after it; a refused header hands
 * nothing on; the session's first step blocks for more or fails the
 * handshake, and never answers anything.
 */
#include "fuzz_session.h"

#include "ntspool/proxy.h"
#include "support/pipe.h"

static ntspool_ctx *pool;

/* The pool never gets as far as an upstream connection here. */
static int up_open(void *user, const ntspool_upstream_target *target,
                   ntspool_io *io) {
  (void)user, (void)target, (void)io;
  FUZZ_CHECK(!"no upstream connection before a request");
  return NTSPOOL_ERR_IO;
}

static void up_close(void *user, ntspool_io *io) {
  (void)user, (void)io;
}

static bool up_reusable(void *user, ntspool_io *io) {
  (void)user, (void)io;
  return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_must(ntspool_ctx_new(NTSPOOL_ROLE_POOL, NULL, &pool), pool, "ctx");
  const char *keys[][3] = {
      {"server", "certificate-chain-path", "tests/pki/localhost.pem"},
      {"server", "private-key-path", "tests/pki/localhost.key"},
      {"upstream-tls", "certificate-authority-path", "tests/pki/ca.pem"},
      {"upstream ts1", "domain", "ts1.test"},
      {"upstream ts1", "auth-token", "a"},
  };
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    fuzz_must(ntspool_ctx_set(pool, keys[i][0], keys[i][1], keys[i][2]), pool,
              keys[i][1]);
  ntspool_upstream_ops ops = {NTSPOOL_UPSTREAM_OPS_VERSION, up_open, up_close,
                              up_reusable, NULL};
  fuzz_must(ntspool_ctx_set_upstream_ops(pool, &ops), pool, "upstream ops");
  fuzz_must(ntspool_ctx_ready(pool), pool, "ready");
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* The daemon's reads: the fixed part, then what it announces. */
  size_t have = NTSPOOL_PROXY_FIXED_LEN;
  if (size < have)
    return 0; /* the daemon's exact read would wait, then time out */
  ntspool_proxy_result r;
  int rc = NTSPOOL_ERR_NEED_MORE, reads = 1;
  for (int round = 0; round < 2; round++) {
    rc = ntspool_proxy_parse(data, have, &r);
    if (rc != NTSPOOL_ERR_NEED_MORE)
      break;
    /* Announced longer: the one more read asks for exactly the rest. */
    FUZZ_CHECK(round == 0 && r.needed > have &&
               r.needed <= NTSPOOL_PROXY_MAX_LEN);
    if (size < r.needed)
      return 0; /* cut off: the read times out */
    have = r.needed;
    reads++;
  }
  FUZZ_CHECK(rc != NTSPOOL_ERR_NEED_MORE && reads <= 2);
  if (rc < 0) {
    FUZZ_CHECK(rc == NTSPOOL_ERR_MALFORMED);
    return 0; /* the connection is closed; nothing is handed on */
  }
  FUZZ_CHECK((size_t)rc == have);

  /* The rest goes to the session's transport, exactly as it arrived. */
  ntspool_test_pipe *pipe = ntspool_test_pipe_new(0);
  FUZZ_CHECK(pipe != NULL);
  const ntspool_io *client = ntspool_test_pipe_io(pipe, 0);
  size_t rest = size - have;
  if (rest > 0)
    FUZZ_CHECK(client->send(client->user_data, data + have, rest) == (int)rest);
  ntspool_test_pipe_shutdown(pipe, 0);
  FUZZ_CHECK(ntspool_test_pipe_queued(pipe, 1) == rest);

  ntspool_peer who = {.family = r.local || r.family == 4 ? NTSPOOL_FAMILY_IPV4
                                                         : NTSPOOL_FAMILY_IPV6,
                      .address = "192.0.2.1"};
  ntspool_session *s;
  FUZZ_CHECK(ntspool_session_new_server(pool, ntspool_test_pipe_io(pipe, 1),
                                        &who, 1000, &s) == 0);
  int st = ntspool_session_step(s, 1000);
  /* Garbage fails the handshake; a real ClientHello waits for the rest. */
  FUZZ_CHECK(st == NTSPOOL_ERR_WOULD_BLOCK || st == NTSPOOL_ERR_TLS ||
             st == NTSPOOL_ERR_EOF);
  FUZZ_CHECK(ntspool_test_pipe_received(pipe, 1) <= rest);
  ntspool_outcome o;
  ntspool_session_outcome(s, &o);
  FUZZ_CHECK(!o.sent_error);
  ntspool_session_free(s);
  ntspool_test_pipe_free(pipe);
  return 0;
}
