/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS module tests.  Client and server run over in-memory pipes, both
 * non-blocking, driven alternately from one thread; the pipes inject
 * one-byte transfers, would-block, EOF and I/O errors.  Peers that break the
 * rules (TLS 1.2 only, wrong or no ALPN, a server without ALPN) are plain
 * mbedTLS contexts built here, since the module itself cannot be configured
 * to misbehave.  The same handshake also runs over a blocking socketpair
 * with a thread and a non-blocking one driven by poll().
 *
 * Certificates come from tests/pki (see tests/pki/make-pki); set
 * NTSPOOL_TEST_PKI to run the binary from another directory.
 *
 * Both TLS backends run these tests (make test, make test TLS=openssl).
 * The NTSPOOL_ERR_* results are the same on both; only the raw backend
 * codes and the texts that name a failed certificate check differ, below.
 */
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/error.h>
#include <mbedtls/pk.h>
#include <mbedtls/psa_util.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_ticket.h>
#include <mbedtls/x509_crt.h>

#include "base/crypto.h"
#include "support/pipe.h"
#include "support/sockio.h"
#include "tls/tls.h"

#define CLIENT 0
#define SERVER 1
#define WB NTSPOOL_ERR_WOULD_BLOCK

#ifdef NTSPOOL_TLS_OPENSSL
#include <openssl/err.h>
#include <openssl/ssl.h>
#define RAW(reason) ((int)ERR_PACK(ERR_LIB_SSL, 0, (reason)))
#define RAW_NO_ALPN RAW(SSL_R_NO_APPLICATION_PROTOCOL)
#define RAW_CERT_VERIFY_FAILED RAW(SSL_R_CERTIFICATE_VERIFY_FAILED)
#define RAW_PEER_CLOSE_NOTIFY 0 /* a clean close is not a failure */
#define WHY_NAME "mismatch"
#define WHY_EXPIRED "expired"
#define WHY_UNTRUSTED "issuer certificate"
#else
#define RAW_NO_ALPN MBEDTLS_ERR_SSL_NO_APPLICATION_PROTOCOL
#define RAW_CERT_VERIFY_FAILED MBEDTLS_ERR_X509_CERT_VERIFY_FAILED
#define RAW_PEER_CLOSE_NOTIFY MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY
#define WHY_NAME "Common Name"
#define WHY_EXPIRED "expired"
#define WHY_UNTRUSTED "trusted CA"
#endif

/* ---- files ------------------------------------------------------------ */

static const char *pki_dir(void) {
  const char *d = getenv("NTSPOOL_TEST_PKI");
  return d != NULL ? d : "tests/pki";
}

/* A path in the PKI directory (static buffers, rotated: up to 8 live). */
static const char *pki(const char *file) {
  static char buf[8][512];
  static int next;
  char *b = buf[next++ % 8];
  snprintf(b, sizeof(buf[0]), "%s/%s", pki_dir(), file);
  return b;
}

static uint8_t *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  uint8_t *buf = malloc(65536);
  assert_non_null(buf);
  *len = fread(buf, 1, 65536, f);
  fclose(f);
  return buf;
}

/* DER of the first certificate in a PEM file, for byte comparisons. */
static void der_of(const char *file, mbedtls_x509_crt *crt) {
  mbedtls_x509_crt_init(crt);
  assert_int_equal(mbedtls_x509_crt_parse_file(crt, pki(file)), 0);
}

/* ---- configs ------------------------------------------------------------ */

static ntspool_tls_config *server_cfg(const char *name, bool request_cert) {
  char chain[64], key[64];
  snprintf(chain, sizeof(chain), "%s.pem", name);
  snprintf(key, sizeof(key), "%s.key", name);
  ntspool_tls_server_options o = {0};
  o.cred.chain_path = pki(chain);
  o.cred.key_path = pki(key);
  o.request_client_cert = request_cert;
  ntspool_tls_config *cfg = NULL;
  int raw = 0;
  int rc = ntspool_tls_config_new_server(&cfg, &o, NULL, &raw);
  if (rc != 0)
    fprintf(stderr, "server config %s: %d raw -0x%04x\n", name, rc, -raw);
  assert_int_equal(rc, 0);
  return cfg;
}

/* cert: NULL for no client certificate. */
static ntspool_tls_config *client_cfg(const char *ca, const char *cert) {
  char chain[64], key[64];
  ntspool_tls_client_options o = {0};
  o.ca_path = pki(ca);
  if (cert != NULL) {
    snprintf(chain, sizeof(chain), "%s.pem", cert);
    snprintf(key, sizeof(key), "%s.key", cert);
    o.cred.chain_path = pki(chain);
    o.cred.key_path = pki(key);
  }
  ntspool_tls_config *cfg = NULL;
  assert_int_equal(ntspool_tls_config_new_client(&cfg, &o, NULL, NULL), 0);
  return cfg;
}

/* ---- a client/server pair over a pipe ----------------------------------- */

typedef struct pair {
  ntspool_test_pipe *pipe;
  ntspool_tls *c, *s;
} pair;

static void pair_open(pair *p, ntspool_tls_config *ccfg,
                      ntspool_tls_config *scfg, const char *name,
                      size_t capacity) {
  p->pipe = ntspool_test_pipe_new(capacity);
  assert_non_null(p->pipe);
  p->c = p->s = NULL;
  if (ccfg != NULL)
    assert_int_equal(ntspool_tls_new(&p->c, ccfg,
                                     ntspool_test_pipe_io(p->pipe, CLIENT),
                                     name),
                     0);
  if (scfg != NULL)
    assert_int_equal(ntspool_tls_new(&p->s, scfg,
                                     ntspool_test_pipe_io(p->pipe, SERVER),
                                     NULL),
                     0);
}

static void pair_close(pair *p) {
  ntspool_tls_free(p->c);
  ntspool_tls_free(p->s);
  ntspool_test_pipe_free(p->pipe);
}

/* One side of a handshake: ours or a raw mbedTLS peer.  step() returns 0,
 * WB or another (final) negative code. */
typedef struct side {
  int (*step)(void *ctx);
  void *ctx;
  int rc;
} side;

static int tls_step(void *ctx) {
  return ntspool_tls_handshake(ctx);
}

static size_t moved(ntspool_test_pipe *pipe) {
  return ntspool_test_pipe_sent(pipe, 0) + ntspool_test_pipe_sent(pipe, 1) +
         ntspool_test_pipe_received(pipe, 0) +
         ntspool_test_pipe_received(pipe, 1);
}

/* Steps both sides alternately until neither would block, or nothing moved
 * through the pipe for a while (one side failed, the other waits). */
static void drive(ntspool_test_pipe *pipe, side *a, side *b) {
  a->rc = b->rc = WB;
  size_t last = moved(pipe);
  for (int idle = 0; idle < 50;) {
    if (a->rc == WB)
      a->rc = a->step(a->ctx);
    if (b->rc == WB)
      b->rc = b->step(b->ctx);
    if (a->rc != WB && b->rc != WB)
      return;
    size_t now = moved(pipe);
    idle = now == last ? idle + 1 : 0;
    last = now;
  }
}

static void handshake_pair(pair *p, int *crc, int *src) {
  side a = {tls_step, p->c, 0}, b = {tls_step, p->s, 0};
  drive(p->pipe, &a, &b);
  *crc = a.rc;
  *src = b.rc;
}

static void handshake_ok(pair *p) {
  int crc, src;
  handshake_pair(p, &crc, &src);
  if (crc != 0 || src != 0) {
    char buf[256];
    fprintf(stderr, "client %d: %s\n", crc,
            ntspool_tls_describe_error(p->c, buf, sizeof(buf)));
    fprintf(stderr, "server %d: %s\n", src,
            ntspool_tls_describe_error(p->s, buf, sizeof(buf)));
  }
  assert_int_equal(crc, 0);
  assert_int_equal(src, 0);
  assert_true(ntspool_tls_established(p->c));
  assert_true(ntspool_tls_established(p->s));
}

/* Moves len bytes from one connection to the other, writing with re-entry
 * after WOULD_BLOCK (same pointer, same length) and reading in between. */
static void transfer(ntspool_tls *from, ntspool_tls *to, const uint8_t *msg,
                     size_t len) {
  uint8_t *got = malloc(len);
  assert_non_null(got);
  size_t off = 0, rcv = 0;
  for (int idle = 0; rcv < len && idle < 5000;) {
    bool progress = false;
    if (off < len) {
      int rc = ntspool_tls_write(from, msg + off, len - off);
      if (rc > 0) {
        off += (size_t)rc;
        progress = true;
      } else {
        assert_int_equal(rc, WB);
      }
    }
    int rc = ntspool_tls_read(to, got + rcv, len - rcv);
    if (rc > 0) {
      rcv += (size_t)rc;
      progress = true;
    } else {
      assert_int_equal(rc, WB);
    }
    idle = progress ? 0 : idle + 1;
  }
  assert_int_equal(rcv, len);
  assert_memory_equal(got, msg, len);
  free(got);
}

static void fill(uint8_t *buf, size_t len, unsigned seed) {
  for (size_t i = 0; i < len; i++)
    buf[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static void exchange(pair *p, size_t len) {
  uint8_t *msg = malloc(len);
  assert_non_null(msg);
  fill(msg, len, 1);
  transfer(p->c, p->s, msg, len);
  fill(msg, len, 99);
  transfer(p->s, p->c, msg, len);
  free(msg);
}

static void keys_equal(ntspool_tls *a, ntspool_tls *b, uint16_t proto,
                       uint16_t aead, size_t len) {
  uint8_t ac[64], as[64], bc[64], bs[64];
  assert_int_equal(ntspool_tls_export_keys(a, proto, aead, len, ac, as), 0);
  assert_int_equal(ntspool_tls_export_keys(b, proto, aead, len, bc, bs), 0);
  assert_memory_equal(ac, bc, len);
  assert_memory_equal(as, bs, len);
  assert_memory_not_equal(ac, as, len);
}

/* ---- raw mbedTLS peers that break the rules ----------------------------- */

typedef struct raw_peer {
  mbedtls_ssl_config conf;
  mbedtls_ssl_context ssl;
  mbedtls_x509_crt crt;
  mbedtls_pk_context key;
  mbedtls_ssl_ticket_context ticket;
  const ntspool_io *io;
  int last; /* raw result of the last failed handshake step */
} raw_peer;

static int raw_send(void *ctx, const unsigned char *buf, size_t len) {
  const ntspool_io *io = ctx;
  int r = io->send(io->user_data, buf, len);
  return r == WB ? MBEDTLS_ERR_SSL_WANT_WRITE : r > 0 ? r : -0x004E;
}

static int raw_recv(void *ctx, unsigned char *buf, size_t len) {
  const ntspool_io *io = ctx;
  int r = io->recv(io->user_data, buf, len);
  if (r == WB)
    return MBEDTLS_ERR_SSL_WANT_READ;
  return r == NTSPOOL_ERR_EOF ? 0 : r > 0 ? r : -0x004C;
}

static int raw_step(void *ctx) {
  raw_peer *p = ctx;
  int ret = mbedtls_ssl_handshake(&p->ssl);
  if (ret == 0)
    return 0;
  if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
    return WB;
  p->last = ret;
  return NTSPOOL_ERR_TLS;
}

static const char *alpn_ntske[] = {"ntske/1", NULL};
static const char *alpn_http[] = {"http/1.1", NULL};

/* alpn NULL: the extension is not sent (client) or not supported (server).
 * A client verifies "localhost" against ca.pem; a server presents
 * localhost.pem, with session tickets if `tickets`. */
static void raw_open(raw_peer *p, int endpoint, const ntspool_io *io,
                     mbedtls_ssl_protocol_version version, const char **alpn,
                     bool tickets) {
  memset(p, 0, sizeof(*p));
  p->io = io;
  mbedtls_ssl_config_init(&p->conf);
  mbedtls_ssl_init(&p->ssl);
  mbedtls_x509_crt_init(&p->crt);
  mbedtls_pk_init(&p->key);
  mbedtls_ssl_ticket_init(&p->ticket);
  assert_int_equal(mbedtls_ssl_config_defaults(&p->conf, endpoint,
                                               MBEDTLS_SSL_TRANSPORT_STREAM,
                                               MBEDTLS_SSL_PRESET_DEFAULT),
                   0);
  mbedtls_ssl_conf_min_tls_version(&p->conf, version);
  mbedtls_ssl_conf_max_tls_version(&p->conf, version);
  mbedtls_ssl_conf_rng(&p->conf, mbedtls_psa_get_random,
                       MBEDTLS_PSA_RANDOM_STATE);
  if (alpn != NULL)
    assert_int_equal(mbedtls_ssl_conf_alpn_protocols(&p->conf, alpn), 0);
  if (endpoint == MBEDTLS_SSL_IS_SERVER) {
    assert_int_equal(mbedtls_x509_crt_parse_file(&p->crt, pki("localhost.pem")),
                     0);
    assert_int_equal(mbedtls_pk_parse_keyfile(&p->key, pki("localhost.key"),
                                              NULL, mbedtls_psa_get_random,
                                              MBEDTLS_PSA_RANDOM_STATE),
                     0);
    assert_int_equal(mbedtls_ssl_conf_own_cert(&p->conf, &p->crt, &p->key), 0);
    if (tickets) {
      assert_int_equal(
          mbedtls_ssl_ticket_setup(&p->ticket, mbedtls_psa_get_random,
                                   MBEDTLS_PSA_RANDOM_STATE,
                                   MBEDTLS_CIPHER_AES_256_GCM, 3600),
          0);
      mbedtls_ssl_conf_session_tickets_cb(&p->conf, mbedtls_ssl_ticket_write,
                                          mbedtls_ssl_ticket_parse, &p->ticket);
    }
  } else {
    assert_int_equal(mbedtls_x509_crt_parse_file(&p->crt, pki("ca.pem")), 0);
    mbedtls_ssl_conf_ca_chain(&p->conf, &p->crt, NULL);
    mbedtls_ssl_conf_authmode(&p->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  }
  assert_int_equal(mbedtls_ssl_setup(&p->ssl, &p->conf), 0);
  if (endpoint == MBEDTLS_SSL_IS_CLIENT)
    assert_int_equal(mbedtls_ssl_set_hostname(&p->ssl, "localhost"), 0);
  mbedtls_ssl_set_bio(&p->ssl, (void *)io, raw_send, raw_recv, NULL);
}

static void raw_close(raw_peer *p) {
  mbedtls_ssl_free(&p->ssl);
  mbedtls_ssl_config_free(&p->conf);
  mbedtls_x509_crt_free(&p->crt);
  mbedtls_pk_free(&p->key);
  mbedtls_ssl_ticket_free(&p->ticket);
}

/* Our server against a raw client; returns the server's result. */
static int server_vs_raw_client(mbedtls_ssl_protocol_version version,
                                const char **alpn, int *raw_result,
                                size_t *server_sent) {
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  pair p;
  pair_open(&p, NULL, scfg, NULL, 0);
  raw_peer rc;
  raw_open(&rc, MBEDTLS_SSL_IS_CLIENT, ntspool_test_pipe_io(p.pipe, CLIENT),
           version, alpn, false);
  side a = {raw_step, &rc, 0}, b = {tls_step, p.s, 0};
  drive(p.pipe, &a, &b);
  *raw_result = a.rc == 0 ? 0 : rc.last;
  *server_sent = ntspool_test_pipe_sent(p.pipe, SERVER);
  int result = b.rc;
  if (result != 0) {
    /* Dead connections stay dead. */
    assert_int_equal(ntspool_tls_handshake(p.s), result);
    assert_false(ntspool_tls_established(p.s));
  }
  raw_close(&rc);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  return result;
}

/* Our client against a raw server; returns the client's result and its
 * raw error in *client_raw. */
static int client_vs_raw_server(mbedtls_ssl_protocol_version version,
                                const char **alpn, int *client_raw) {
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, NULL, "localhost", 0);
  raw_peer rs;
  raw_open(&rs, MBEDTLS_SSL_IS_SERVER, ntspool_test_pipe_io(p.pipe, SERVER),
           version, alpn, false);
  side a = {tls_step, p.c, 0}, b = {raw_step, &rs, 0};
  drive(p.pipe, &a, &b);
  *client_raw = ntspool_tls_last_error(p.c);
  raw_close(&rs);
  pair_close(&p);
  ntspool_tls_config_unref(ccfg);
  return a.rc;
}

/* ---- tests: the good path ---------------------------------------------- */

/* Cipher suites: RFC 8446 names to IANA numbers and back, and a server
 * restricted to one suite agrees on it with a client offering all. */
static void test_tls_ciphersuites(void **state) {
  (void)state;
  uint16_t ids[NTSPOOL_TLS_MAX_CIPHERSUITES];
  size_t n = 0;
  assert_int_equal(ntspool_tls_ciphersuites_parse(
                       "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256", ids,
                       NTSPOOL_TLS_MAX_CIPHERSUITES, &n),
                   0);
  assert_int_equal(n, 2);
  assert_int_equal(ids[0], 0x1302);
  assert_int_equal(ids[1], 0x1301);
  const char *bad[] = {"", "TLS_AES_128_GCM_SHA256:", "AES128-SHA",
                       "TLS_AES_128_GCM_SHA25", "tls_aes_128_gcm_sha256"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    n = 0;
    assert_int_equal(ntspool_tls_ciphersuites_parse(bad[i], ids, 8, &n),
                     NTSPOOL_ERR_CONFIG);
  }
  n = 1; /* appends, up to max */
  assert_int_equal(
      ntspool_tls_ciphersuites_parse(
          "TLS_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA256", ids, 2, &n),
      NTSPOOL_ERR_CONFIG);
  assert_string_equal(ntspool_tls_ciphersuite_name(0x1303),
                      "TLS_CHACHA20_POLY1305_SHA256");
  assert_null(ntspool_tls_ciphersuite_name(0x002f));

  const uint16_t only[] = {0x1301, 0x1302};
  for (size_t i = 0; i < 2; i++) {
    ntspool_tls_server_options o = {.cred = {.chain_path = pki("localhost.pem"),
                                             .key_path = pki("localhost.key")},
                                    .ciphersuites = &only[i],
                                    .n_ciphersuites = 1};
    ntspool_tls_config *scfg = NULL;
    assert_int_equal(ntspool_tls_config_new_server(&scfg, &o, NULL, NULL), 0);
    ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
    pair p;
    pair_open(&p, ccfg, scfg, "localhost", 0);
    assert_int_equal(ntspool_tls_ciphersuite(p.s), 0);
    handshake_ok(&p);
    assert_int_equal(ntspool_tls_ciphersuite(p.s), only[i]);
    assert_int_equal(ntspool_tls_ciphersuite(p.c), only[i]);
    pair_close(&p);
    ntspool_tls_config_unref(ccfg);
    ntspool_tls_config_unref(scfg);
  }
  /* Not a TLS 1.3 suite: refused when the config is made. */
  const uint16_t tls12[] = {0x002f};
  ntspool_tls_server_options o = {.cred = {.chain_path = pki("localhost.pem"),
                                           .key_path = pki("localhost.key")},
                                  .ciphersuites = tls12,
                                  .n_ciphersuites = 1};
  ntspool_tls_config *scfg = NULL;
  assert_int_equal(ntspool_tls_config_new_server(&scfg, &o, NULL, NULL),
                   NTSPOOL_ERR_CONFIG);
  assert_null(scfg);
}

static void test_tls_handshake_export(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  uint8_t k1[64], k2[64];
  assert_int_equal(ntspool_tls_export_keys(p.c, 0, 15, 32, k1, k2),
                   NTSPOOL_ERR_STATE);
  assert_null(ntspool_tls_alpn(p.c));
  handshake_ok(&p);
  assert_int_equal(ntspool_tls_handshake(p.c), 0); /* idempotent */
  /* No NewSessionTicket (nor anything else) follows the handshake. */
  assert_int_equal(ntspool_test_pipe_queued(p.pipe, CLIENT), 0);

  assert_string_equal(ntspool_tls_alpn(p.c), "ntske/1");
  assert_string_equal(ntspool_tls_alpn(p.s), "ntske/1");
  assert_string_equal(ntspool_tls_server_name(p.s), "localhost");
  assert_string_equal(ntspool_tls_server_name(p.c), "localhost");
  assert_int_equal(ntspool_tls_last_error(p.c), 0);

  keys_equal(p.c, p.s, NTSPOOL_PROTO_NTPV4, NTSPOOL_AEAD_AES_SIV_CMAC_256, 32);
  keys_equal(p.c, p.s, NTSPOOL_PROTO_NTPV4, NTSPOOL_AEAD_AES_SIV_CMAC_512, 64);
  keys_equal(p.c, p.s, NTSPOOL_PROTO_DRAFT_NTPV5, 15, 32);

  /* The context really carries protocol and AEAD. */
  uint8_t a[32], b[32], c[32], d[32];
  assert_int_equal(ntspool_tls_export_keys(p.c, 0, 15, 32, a, b), 0);
  assert_int_equal(ntspool_tls_export_keys(p.c, 0x8001, 15, 32, c, d), 0);
  assert_memory_not_equal(a, c, 32);
  assert_int_equal(ntspool_tls_export_keys(p.c, 0, 16, 32, c, d), 0);
  assert_memory_not_equal(a, c, 32);
  /* A 32-byte export is not a prefix of a 64-byte one (length is hashed). */
  uint8_t e[64], f[64];
  assert_int_equal(ntspool_tls_export_keys(p.c, 0, 15, 64, e, f), 0);
  assert_memory_not_equal(a, e, 32);

  assert_int_equal(ntspool_tls_export_keys(p.c, 0, 15, 0, a, b),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_tls_export_keys(p.c, 0, 15, 65, e, f),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_tls_export_keys(p.c, 0, 15, 32, a, a),
                   NTSPOOL_ERR_INVALID_ARG);

  /* The client sees the server's leaf; the server asked for nothing. */
  ntspool_bytes der;
  mbedtls_x509_crt want;
  der_of("localhost.pem", &want);
  assert_int_equal(ntspool_tls_peer_cert(p.c, &der), 0);
  assert_int_equal(der.len, want.raw.len);
  assert_memory_equal(der.data, want.raw.p, der.len);
  mbedtls_x509_crt_free(&want);
  assert_int_equal(ntspool_tls_peer_cert(p.s, &der), NTSPOOL_ERR_NOT_FOUND);

  exchange(&p, 300);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

static void run_exchange(size_t max_per_call, bool block, size_t len) {
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  for (int end = 0; end < 2; end++) {
    ntspool_test_pipe_set_max_per_call(p.pipe, end, max_per_call);
    ntspool_test_pipe_set_block_alternate(p.pipe, end, block);
  }
  handshake_ok(&p);
  keys_equal(p.c, p.s, 0, 15, 32);
  exchange(&p, len);
  /* A byte at a time means at least one call per byte moved. */
  if (max_per_call == 1)
    assert_true(ntspool_test_pipe_calls(p.pipe, CLIENT) >=
                ntspool_test_pipe_sent(p.pipe, CLIENT) +
                    ntspool_test_pipe_received(p.pipe, CLIENT));
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

static void test_tls_one_byte_at_a_time(void **state) {
  (void)state;
  run_exchange(1, false, 300);
}

static void test_tls_would_block_every_other_call(void **state) {
  (void)state;
  run_exchange(7, true, 300);
  run_exchange(1, true, 300);
}

/* A 256-byte pipe forces WOULD_BLOCK in the middle of every record: the
 * writer re-enters with the same data until mbedTLS reports it written. */
static void test_tls_partial_writes(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 256);
  handshake_ok(&p);
  exchange(&p, 5000);
  exchange(&p, 40000); /* several records each way */
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

/* One write is at most one record: about 16 KiB of a larger buffer. */
static void test_tls_write_is_one_record(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  handshake_ok(&p);
  static uint8_t big[20000], got[20000];
  fill(big, sizeof(big), 5);
  /* mbedTLS 3.6 counts TLS 1.3's inner content-type byte against the 16 KiB
   * record size: 16383 bytes of data per record. */
  int n = ntspool_tls_write(p.c, big, sizeof(big));
  assert_true(n >= 16383 && n <= 16384);
  int m = ntspool_tls_write(p.c, big + n, sizeof(big) - (size_t)n);
  assert_int_equal(m, (int)sizeof(big) - n);
  /* A read returns at most one record, too. */
  assert_int_equal(ntspool_tls_read(p.s, got, sizeof(got)), n);
  assert_int_equal(ntspool_tls_read(p.s, got + n, sizeof(got) - (size_t)n), m);
  assert_memory_equal(got, big, sizeof(big));
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

/* read() and write() run the handshake themselves when it is not done. */
static void test_tls_io_drives_handshake(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  const uint8_t msg[] = "request";
  uint8_t got[16];
  int w = WB, r = WB;
  for (int i = 0; i < 20 && (w == WB || r == WB); i++) {
    if (w == WB)
      w = ntspool_tls_write(p.c, msg, sizeof(msg));
    if (r == WB)
      r = ntspool_tls_read(p.s, got, sizeof(got));
  }
  assert_int_equal(w, (int)sizeof(msg));
  assert_int_equal(r, (int)sizeof(msg));
  assert_memory_equal(got, msg, sizeof(msg));
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

/* wants() names the direction the last WOULD_BLOCK waits on. */
static void test_tls_wants(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  assert_int_equal(ntspool_tls_wants(p.c), 0);
  assert_int_equal(ntspool_tls_wants(NULL), 0);
  /* ClientHello sent, the server's answer awaited. */
  assert_int_equal(ntspool_tls_handshake(p.c), WB);
  assert_int_equal(ntspool_tls_wants(p.c), NTSPOOL_TLS_WANT_READ);
  handshake_ok(&p);
  assert_int_equal(ntspool_tls_wants(p.c), 0);
  uint8_t buf[8];
  assert_int_equal(ntspool_tls_read(p.s, buf, sizeof(buf)), WB);
  assert_int_equal(ntspool_tls_wants(p.s), NTSPOOL_TLS_WANT_READ);
  /* A transport that takes nothing: the write waits for room. */
  ntspool_test_pipe_set_block_alternate(p.pipe, SERVER, true);
  ntspool_test_pipe_set_max_per_call(p.pipe, SERVER, 1);
  int rc = ntspool_tls_write(p.s, (const uint8_t *)"answer", 6);
  int blocked = 0;
  while (rc == WB) {
    assert_int_equal(ntspool_tls_wants(p.s), NTSPOOL_TLS_WANT_WRITE);
    blocked++;
    rc = ntspool_tls_write(p.s, (const uint8_t *)"answer", 6);
  }
  assert_int_equal(rc, 6);
  assert_true(blocked > 0);
  assert_int_equal(ntspool_tls_wants(p.s), 0);
  assert_int_equal(ntspool_tls_read(p.c, buf, sizeof(buf)), 6);
  assert_memory_equal(buf, "answer", 6);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

/* The backend names itself: "mbedtls 3.6.x" or "openssl 3.x.y". */
static void test_tls_backend_name(void **state) {
  (void)state;
  const char *name = ntspool_tls_backend();
  assert_non_null(name);
#ifdef NTSPOOL_TLS_OPENSSL
  assert_true(strncmp(name, "openssl 3.", 10) == 0);
#else
  assert_true(strncmp(name, "mbedtls 3.6.", 12) == 0);
#endif
}

/* ---- tests: refusals ---------------------------------------------------- */

static void test_tls_refuses_tls12_client(void **state) {
  (void)state;
  int raw;
  size_t sent;
  assert_int_equal(
      server_vs_raw_client(MBEDTLS_SSL_VERSION_TLS1_2, alpn_ntske, &raw, &sent),
      NTSPOOL_ERR_TLS);
  assert_int_not_equal(raw, 0);
  /* Control: the same raw client at TLS 1.3 gets in. */
  assert_int_equal(
      server_vs_raw_client(MBEDTLS_SSL_VERSION_TLS1_3, alpn_ntske, &raw, &sent),
      0);
  assert_int_equal(raw, 0);
}

static void test_tls_refuses_tls12_server(void **state) {
  (void)state;
  int raw;
  assert_int_equal(
      client_vs_raw_server(MBEDTLS_SSL_VERSION_TLS1_2, alpn_ntske, &raw),
      NTSPOOL_ERR_TLS);
  assert_int_not_equal(raw, 0);
  assert_int_equal(
      client_vs_raw_server(MBEDTLS_SSL_VERSION_TLS1_3, alpn_ntske, &raw), 0);
}

static void test_tls_refuses_wrong_alpn(void **state) {
  (void)state;
  int raw;
  size_t sent;
  assert_int_equal(
      server_vs_raw_client(MBEDTLS_SSL_VERSION_TLS1_3, alpn_http, &raw, &sent),
      NTSPOOL_ERR_TLS);
  assert_int_equal(raw, MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
}

/* No ALPN at all: refused in the ClientHello, before any signature, with a
 * lone plaintext no_application_protocol alert (5 + 2 bytes). */
static void test_tls_refuses_missing_alpn(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  pair p;
  pair_open(&p, NULL, scfg, NULL, 0);
  raw_peer rc;
  raw_open(&rc, MBEDTLS_SSL_IS_CLIENT, ntspool_test_pipe_io(p.pipe, CLIENT),
           MBEDTLS_SSL_VERSION_TLS1_3, NULL, false);
  side a = {raw_step, &rc, 0}, b = {tls_step, p.s, 0};
  drive(p.pipe, &a, &b);
  assert_int_equal(b.rc, NTSPOOL_ERR_TLS);
  assert_int_equal(ntspool_tls_last_error(p.s), RAW_NO_ALPN);
  assert_int_equal(a.rc, NTSPOOL_ERR_TLS);
  assert_int_equal(rc.last, MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
  assert_int_equal(ntspool_test_pipe_sent(p.pipe, SERVER), 7);
  char buf[200];
  assert_true(strlen(ntspool_tls_describe_error(p.s, buf, sizeof(buf))) > 0);
  raw_close(&rc);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
}

/* The refusal alert goes out even when the transport makes it wait. */
static void test_tls_refusal_alert_would_block(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  pair p;
  pair_open(&p, NULL, scfg, NULL, 0);
  ntspool_test_pipe_set_max_per_call(p.pipe, SERVER, 1);
  ntspool_test_pipe_set_block_alternate(p.pipe, SERVER, true);
  raw_peer rc;
  raw_open(&rc, MBEDTLS_SSL_IS_CLIENT, ntspool_test_pipe_io(p.pipe, CLIENT),
           MBEDTLS_SSL_VERSION_TLS1_3, NULL, false);
  side a = {raw_step, &rc, 0}, b = {tls_step, p.s, 0};
  drive(p.pipe, &a, &b);
  assert_int_equal(b.rc, NTSPOOL_ERR_TLS);
  assert_int_equal(rc.last, MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE);
  assert_int_equal(ntspool_test_pipe_sent(p.pipe, SERVER), 7);
  raw_close(&rc);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
}

static void test_tls_refuses_server_without_alpn(void **state) {
  (void)state;
  int raw;
  assert_int_equal(client_vs_raw_server(MBEDTLS_SSL_VERSION_TLS1_3, NULL, &raw),
                   NTSPOOL_ERR_TLS);
  assert_int_equal(raw, RAW_NO_ALPN);
}

/* A failed certificate check: client result, and what describe says. */
static void refused_cert(const char *server, const char *name, const char *ca,
                         const char *reason) {
  ntspool_tls_config *scfg = server_cfg(server, false);
  ntspool_tls_config *ccfg = client_cfg(ca, NULL);
  pair p;
  pair_open(&p, ccfg, scfg, name, 0);
  int crc, src;
  handshake_pair(&p, &crc, &src);
  assert_int_equal(crc, NTSPOOL_ERR_TLS);
  assert_int_equal(src, NTSPOOL_ERR_TLS); /* the client's alert */
  assert_false(ntspool_tls_established(p.c));
  assert_int_equal(ntspool_tls_last_error(p.c), RAW_CERT_VERIFY_FAILED);
  char buf[512];
  ntspool_tls_describe_error(p.c, buf, sizeof(buf));
  if (strstr(buf, reason) == NULL)
    fail_msg("'%s' lacks '%s'", buf, reason);
  assert_null(strchr(buf, '\n'));
  uint8_t k1[32], k2[32];
  assert_int_equal(ntspool_tls_export_keys(p.c, 0, 15, 32, k1, k2),
                   NTSPOOL_ERR_STATE);
  assert_int_equal(ntspool_tls_write(p.c, k1, 1), NTSPOOL_ERR_TLS);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

static void test_tls_refuses_wrong_host_name(void **state) {
  (void)state;
  refused_cert("localhost", "ts1.test", "ca.pem", WHY_NAME);
  refused_cert("timesource", "localhost", "ca.pem", WHY_NAME);
  refused_cert("localhost", "127.0.0.2", "ca.pem", WHY_NAME);
}

static void test_tls_refuses_expired_certificate(void **state) {
  (void)state;
  refused_cert("expired", "localhost", "ca.pem", WHY_EXPIRED);
}

static void test_tls_refuses_unrelated_ca(void **state) {
  (void)state;
  refused_cert("other-localhost", "localhost", "ca.pem", WHY_UNTRUSTED);
  refused_cert("localhost", "localhost", "other-ca.pem", WHY_UNTRUSTED);
}

/* Additional CA files add to the roots, they do not replace them: with
 * other-ca.pem as the roots and ca.pem added, certificates of both verify;
 * the default bundle plus ca.pem verifies ca.pem's; an extra path that
 * holds no CA is an error. */
static void handshake_with_roots(const char *server, const char *ca,
                                 const char *extra) {
  /* pki() keeps 8 paths alive: enough for these and server_cfg's */
  const char *extras[] = {pki(extra)};
  ntspool_tls_client_options o = {0};
  o.ca_path = ca ? pki(ca) : NULL;
  o.extra_ca_paths = extras;
  o.n_extra_ca_paths = 1;
  ntspool_tls_config *ccfg = NULL, *scfg = server_cfg(server, false);
  assert_int_equal(ntspool_tls_config_new_client(&ccfg, &o, NULL, NULL), 0);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  handshake_ok(&p);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

static void test_tls_additional_cas(void **state) {
  (void)state;
  handshake_with_roots("localhost", "other-ca.pem", "ca.pem");
  handshake_with_roots("other-localhost", "other-ca.pem", "ca.pem");
  struct stat st;
  if (stat(NTSPOOL_TLS_DEFAULT_CA_PATH, &st) == 0)
    handshake_with_roots("localhost", NULL, "ca.pem");
  /* without the addition, ca.pem's certificate is refused */
  refused_cert("localhost", "localhost", "other-ca.pem", WHY_UNTRUSTED);
  const char *bad[] = {pki("localhost.key")};
  ntspool_tls_client_options o = {
      .ca_path = pki("ca.pem"), .extra_ca_paths = bad, .n_extra_ca_paths = 1};
  ntspool_tls_config *cfg = NULL;
  assert_int_not_equal(ntspool_tls_config_new_client(&cfg, &o, NULL, NULL), 0);
  assert_null(cfg);
}

/* ---- tests: names and certificates -------------------------------------- */

/* expect_sni: the name the server must see; NULL for an IP literal, which
 * RFC 6066 keeps out of SNI but mbedTLS 3.6 sends anyway: accept either. */
static void good_handshake(const char *server, const char *name, const char *ca,
                           const char *expect_sni) {
  ntspool_tls_config *scfg = server_cfg(server, false);
  ntspool_tls_config *ccfg = client_cfg(ca, NULL);
  pair p;
  pair_open(&p, ccfg, scfg, name, 0);
  handshake_ok(&p);
  const char *sni = ntspool_tls_server_name(p.s);
  if (expect_sni != NULL)
    assert_string_equal(sni, expect_sni);
  else if (sni != NULL)
    assert_string_equal(sni, name);
  keys_equal(p.c, p.s, 0, 15, 32);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

static void test_tls_sni_and_names(void **state) {
  (void)state;
  good_handshake("timesource", "ts1.test", "ca.pem", "ts1.test");
  good_handshake("timesource", "ts2.test", "ca.pem", "ts2.test");
  /* CA bundle with an unrelated CA first. */
  good_handshake("localhost", "localhost", "bundle.pem", "localhost");
  good_handshake("other-localhost", "localhost", "bundle.pem", "localhost");
  /* IP addresses are checked against the IP SANs. */
  good_handshake("localhost", "127.0.0.1", "ca.pem", NULL);
  good_handshake("localhost", "::1", "ca.pem", NULL);
}

static void client_cert_case(bool request, const char *client_cert,
                             bool expect_seen) {
  ntspool_tls_config *scfg = server_cfg("localhost", request);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", client_cert);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  handshake_ok(&p);
  ntspool_bytes der;
  if (!expect_seen) {
    assert_int_equal(ntspool_tls_peer_cert(p.s, &der), NTSPOOL_ERR_NOT_FOUND);
    assert_null(der.data);
  } else {
    char file[64];
    snprintf(file, sizeof(file), "%s.pem", client_cert);
    mbedtls_x509_crt want;
    der_of(file, &want);
    assert_int_equal(ntspool_tls_peer_cert(p.s, &der), 0);
    assert_int_equal(der.len, want.raw.len);
    assert_memory_equal(der.data, want.raw.p, der.len);
    mbedtls_x509_crt_free(&want);
  }
  exchange(&p, 100);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

static void test_tls_client_certificate(void **state) {
  (void)state;
  client_cert_case(true, "pool-client", true);
  /* No chain validation: a certificate from another CA, with the wrong
   * extended key usage, is still handed to the application. */
  client_cert_case(true, "other-localhost", true);
  client_cert_case(true, NULL, false);
  /* Not asked for, not sent. */
  client_cert_case(false, "pool-client", false);
}

static void test_tls_peer_cert_before_handshake(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", true);
  pair p;
  pair_open(&p, NULL, scfg, NULL, 0);
  ntspool_bytes der;
  assert_int_equal(ntspool_tls_peer_cert(p.s, &der), NTSPOOL_ERR_STATE);
  assert_null(ntspool_tls_server_name(p.s));
  assert_int_equal(ntspool_tls_peer_cert(p.s, NULL), NTSPOOL_ERR_INVALID_ARG);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
}

/* ---- tests: closing, EOF, transport failures ---------------------------- */

static void open_pair(pair *p, ntspool_tls_config **scfg,
                      ntspool_tls_config **ccfg) {
  *scfg = server_cfg("localhost", false);
  *ccfg = client_cfg("ca.pem", NULL);
  pair_open(p, *ccfg, *scfg, "localhost", 0);
  handshake_ok(p);
}

static void close_pair(pair *p, ntspool_tls_config *scfg,
                       ntspool_tls_config *ccfg) {
  pair_close(p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

/* An idle kept-alive connection whose peer sent close_notify: nothing is
 * buffered in TLS, the transport is readable, read() says EOF. */
static void test_tls_idle_close_notify(void **state) {
  (void)state;
  ntspool_tls_config *scfg, *ccfg;
  pair p;
  open_pair(&p, &scfg, &ccfg);
  exchange(&p, 300);
  assert_int_equal(ntspool_tls_pending(p.c), 0);
  assert_int_equal(ntspool_test_pipe_queued(p.pipe, CLIENT), 0);

  assert_int_equal(ntspool_tls_close(p.s), 0);
  assert_int_equal(ntspool_tls_close(p.s), 0); /* once is enough */
  assert_true(ntspool_test_pipe_queued(p.pipe, CLIENT) > 0);
  uint8_t buf[64];
  assert_int_equal(ntspool_tls_read(p.c, buf, sizeof(buf)), NTSPOOL_ERR_EOF);
  assert_int_equal(ntspool_tls_last_error(p.c), RAW_PEER_CLOSE_NOTIFY);
  assert_int_equal(ntspool_tls_read(p.c, buf, sizeof(buf)), NTSPOOL_ERR_EOF);
  /* The closed server cannot write; the client can still answer the
   * close with its own. */
  assert_int_equal(ntspool_tls_write(p.s, buf, 1), NTSPOOL_ERR_STATE);
  assert_int_equal(ntspool_tls_close(p.c), 0);
  assert_int_equal(ntspool_tls_read(p.s, buf, sizeof(buf)), NTSPOOL_ERR_EOF);
  close_pair(&p, scfg, ccfg);
}

/* The peer's socket just closed (no close_notify). */
static void test_tls_idle_transport_eof(void **state) {
  (void)state;
  ntspool_tls_config *scfg, *ccfg;
  pair p;
  open_pair(&p, &scfg, &ccfg);
  exchange(&p, 50);
  uint8_t buf[64];
  assert_int_equal(ntspool_tls_read(p.c, buf, sizeof(buf)), WB);
  ntspool_test_pipe_shutdown(p.pipe, SERVER);
  assert_int_equal(ntspool_tls_read(p.c, buf, sizeof(buf)), NTSPOOL_ERR_EOF);
  assert_int_equal(ntspool_tls_read(p.c, buf, sizeof(buf)), NTSPOOL_ERR_EOF);
  close_pair(&p, scfg, ccfg);
}

/* Unsolicited data on an idle connection, and decrypted bytes left over
 * after a short read, both show in pending(). */
static void test_tls_pending(void **state) {
  (void)state;
  ntspool_tls_config *scfg, *ccfg;
  pair p;
  open_pair(&p, &scfg, &ccfg);
  uint8_t msg[100], buf[100];
  fill(msg, sizeof(msg), 3);
  assert_int_equal(ntspool_tls_write(p.s, msg, sizeof(msg)), 100);
  assert_int_equal(ntspool_tls_pending(p.c), 0); /* still in the pipe */
  assert_int_equal(ntspool_tls_read(p.c, buf, 10), 10);
  assert_int_equal(ntspool_tls_pending(p.c), 90);
  assert_int_equal(ntspool_tls_read(p.c, buf + 10, 90), 90);
  assert_memory_equal(buf, msg, sizeof(msg));
  assert_int_equal(ntspool_tls_pending(p.c), 0);
  assert_int_equal(ntspool_tls_pending(NULL), 0);
  close_pair(&p, scfg, ccfg);
}

static void test_tls_eof_during_handshake(void **state) {
  (void)state;
  /* Transport ends after part of the server's first flight. */
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  ntspool_test_pipe_set_eof_after(p.pipe, CLIENT, 50);
  int crc, src;
  handshake_pair(&p, &crc, &src);
  assert_int_equal(crc, NTSPOOL_ERR_EOF);
  assert_int_equal(ntspool_tls_handshake(p.c), NTSPOOL_ERR_EOF);
  pair_close(&p);
  /* The client hangs up before sending anything. */
  pair_open(&p, ccfg, scfg, "localhost", 0);
  ntspool_test_pipe_shutdown(p.pipe, CLIENT);
  assert_int_equal(ntspool_tls_handshake(p.s), NTSPOOL_ERR_EOF);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

static void test_tls_io_error(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  ntspool_test_pipe_set_io_error(p.pipe, CLIENT, true);
  assert_int_equal(ntspool_tls_handshake(p.c), NTSPOOL_ERR_IO);
  assert_int_equal(ntspool_tls_handshake(p.c), NTSPOOL_ERR_IO);
  pair_close(&p);
  /* After the handshake, on read and on write. */
  pair_open(&p, ccfg, scfg, "localhost", 0);
  handshake_ok(&p);
  uint8_t buf[16] = {0};
  ntspool_test_pipe_set_io_error(p.pipe, SERVER, true);
  assert_int_equal(ntspool_tls_read(p.s, buf, sizeof(buf)), NTSPOOL_ERR_IO);
  assert_int_equal(ntspool_tls_write(p.s, buf, 1), NTSPOOL_ERR_IO);
  ntspool_test_pipe_set_io_error(p.pipe, CLIENT, true);
  assert_int_equal(ntspool_tls_write(p.c, buf, 1), NTSPOOL_ERR_IO);
  assert_int_equal(ntspool_tls_close(p.c), NTSPOOL_ERR_IO);
  char text[200];
  ntspool_tls_describe_error(p.c, text, sizeof(text));
  assert_true(strlen(text) > 0);
  pair_close(&p);
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

static void test_tls_close_rules(void **state) {
  (void)state;
  ntspool_tls_config *scfg, *ccfg;
  pair p;
  open_pair(&p, &scfg, &ccfg);
  /* close_notify waits for room in the transport. */
  ntspool_test_pipe_set_block_alternate(p.pipe, CLIENT, true);
  ntspool_test_pipe_set_max_per_call(p.pipe, CLIENT, 3);
  int rc, calls = 0;
  while ((rc = ntspool_tls_close(p.c)) == WB)
    calls++;
  assert_int_equal(rc, 0);
  assert_true(calls > 0);
  uint8_t buf[8];
  assert_int_equal(ntspool_tls_read(p.s, buf, sizeof(buf)), NTSPOOL_ERR_EOF);
  assert_int_equal(ntspool_tls_write(p.c, buf, 1), NTSPOOL_ERR_STATE);
  assert_int_equal(ntspool_tls_handshake(p.c), 0);
  pair_close(&p);

  /* Closing before the handshake says nothing and ends the connection. */
  pair_open(&p, ccfg, scfg, "localhost", 0);
  assert_int_equal(ntspool_tls_close(p.c), 0);
  assert_int_equal(ntspool_test_pipe_sent(p.pipe, CLIENT), 0);
  assert_int_equal(ntspool_tls_handshake(p.c), NTSPOOL_ERR_STATE);
  assert_int_equal(ntspool_tls_write(p.c, buf, 1), NTSPOOL_ERR_STATE);
  close_pair(&p, scfg, ccfg);
}

/* A server configured for session tickets does not disturb our client.  Our
 * client offers no PSK key-exchange mode, so an RFC 8446 server (mbedTLS
 * included) sends it no ticket at all; read() would skip one anyway. */
static void test_tls_server_offering_tickets(void **state) {
  (void)state;
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  pair p;
  pair_open(&p, ccfg, NULL, "localhost", 0);
  raw_peer rs;
  raw_open(&rs, MBEDTLS_SSL_IS_SERVER, ntspool_test_pipe_io(p.pipe, SERVER),
           MBEDTLS_SSL_VERSION_TLS1_3, alpn_ntske, true);
  side a = {tls_step, p.c, 0}, b = {raw_step, &rs, 0};
  drive(p.pipe, &a, &b);
  assert_int_equal(a.rc, 0);
  assert_int_equal(b.rc, 0);
  const unsigned char msg[] = "response";
  int w;
  while ((w = mbedtls_ssl_write(&rs.ssl, msg, sizeof(msg))) ==
         MBEDTLS_ERR_SSL_WANT_WRITE)
    ;
  assert_int_equal(w, (int)sizeof(msg));
  uint8_t buf[32];
  assert_int_equal(ntspool_tls_read(p.c, buf, sizeof(buf)), (int)sizeof(msg));
  assert_memory_equal(buf, msg, sizeof(msg));
  raw_close(&rs);
  pair_close(&p);
  ntspool_tls_config_unref(ccfg);
}

/* ---- tests: configs ----------------------------------------------------- */

static void test_tls_config_errors(void **state) {
  (void)state;
  ntspool_tls_config *cfg = (ntspool_tls_config *)1;
  int raw = 0;
  ntspool_tls_server_options so = {0};
  assert_int_equal(ntspool_tls_config_new_server(&cfg, &so, NULL, &raw),
                   NTSPOOL_ERR_INVALID_ARG);
  so.cred.chain_path = pki("localhost.pem");
  assert_int_equal(ntspool_tls_config_new_server(&cfg, &so, NULL, &raw),
                   NTSPOOL_ERR_INVALID_ARG);
  so.cred.key_path = pki("missing.key");
  assert_int_equal(ntspool_tls_config_new_server(&cfg, &so, NULL, &raw),
                   NTSPOOL_ERR_NOT_FOUND);
  assert_null(cfg);
  assert_int_not_equal(raw, 0);
  so.cred.key_path = pki("timesource.key"); /* not localhost's key */
  assert_int_equal(ntspool_tls_config_new_server(&cfg, &so, NULL, &raw),
                   NTSPOOL_ERR_CONFIG);
  char text[200];
  assert_true(strlen(ntspool_tls_error_text(raw, text, sizeof(text))) > 0);
  so.cred.chain_path = pki("localhost.key"); /* not a certificate */
  so.cred.key_path = pki("localhost.key");
  assert_int_equal(ntspool_tls_config_new_server(&cfg, &so, NULL, &raw),
                   NTSPOOL_ERR_CONFIG);
  so.cred.chain_path = pki("missing.pem");
  assert_int_equal(ntspool_tls_config_new_server(&cfg, &so, NULL, NULL),
                   NTSPOOL_ERR_NOT_FOUND);
  assert_int_equal(ntspool_tls_config_new_server(NULL, &so, NULL, NULL),
                   NTSPOOL_ERR_INVALID_ARG);

  ntspool_tls_client_options co = {0};
  co.ca_path = pki("missing.pem");
  assert_int_equal(ntspool_tls_config_new_client(&cfg, &co, NULL, &raw),
                   NTSPOOL_ERR_NOT_FOUND);
  co.ca_path = pki("localhost.key");
  assert_int_equal(ntspool_tls_config_new_client(&cfg, &co, NULL, &raw),
                   NTSPOOL_ERR_CONFIG);
  co.ca_path = pki("ca.pem");
  co.cred.chain_path = pki("pool-client.pem"); /* key missing */
  assert_int_equal(ntspool_tls_config_new_client(&cfg, &co, NULL, &raw),
                   NTSPOOL_ERR_INVALID_ARG);
  co.cred.key_path = pki("pool-client.key");
  assert_int_equal(ntspool_tls_config_new_client(&cfg, &co, NULL, &raw), 0);
  assert_int_equal(raw, 0);

  /* A client connection needs a sane name. */
  ntspool_test_pipe *pipe = ntspool_test_pipe_new(0);
  const ntspool_io *io = ntspool_test_pipe_io(pipe, CLIENT);
  ntspool_tls *tls = (ntspool_tls *)1;
  assert_int_equal(ntspool_tls_new(&tls, cfg, io, NULL),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_null(tls);
  assert_int_equal(ntspool_tls_new(&tls, cfg, io, ""), NTSPOOL_ERR_INVALID_ARG);
  char long_name[300];
  memset(long_name, 'a', sizeof(long_name) - 1);
  long_name[sizeof(long_name) - 1] = '\0';
  assert_int_equal(ntspool_tls_new(&tls, cfg, io, long_name),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_io bad = *io;
  bad.version = 99;
  assert_int_equal(ntspool_tls_new(&tls, cfg, &bad, "localhost"),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_tls_new(&tls, NULL, io, "localhost"),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_test_pipe_free(pipe);
  ntspool_tls_config_unref(cfg);

  /* NULL handles are harmless. */
  ntspool_tls_config_unref(NULL);
  ntspool_tls_free(NULL);
  uint8_t b[1];
  assert_int_equal(ntspool_tls_handshake(NULL), NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_tls_read(NULL, b, 1), NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_tls_write(NULL, b, 1), NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_tls_close(NULL), NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_tls_last_error(NULL), 0);
  assert_false(ntspool_tls_established(NULL));
}

static void test_tls_default_ca_bundle(void **state) {
  (void)state;
  ntspool_tls_client_options co = {0};
  ntspool_tls_config *cfg = NULL;
  int rc = ntspool_tls_config_new_client(&cfg, &co, NULL, NULL);
  if (access(NTSPOOL_TLS_DEFAULT_CA_PATH, R_OK) == 0)
    assert_int_equal(rc, 0);
  else
    assert_int_equal(rc, NTSPOOL_ERR_NOT_FOUND);
  ntspool_tls_config_unref(cfg);
  /* A directory of CA files. */
  co.ca_path = pki_dir();
  assert_int_equal(ntspool_tls_config_new_client(&cfg, &co, NULL, NULL), 0);
  ntspool_tls_config_unref(cfg);
}

/* Everything from memory: PEM without terminating NULs, and DER. */
static void test_tls_config_from_memory(void **state) {
  (void)state;
  size_t chain_len, key_len, ca_len;
  uint8_t *chain = slurp(pki("localhost.pem"), &chain_len);
  uint8_t *key = slurp(pki("localhost.key"), &key_len);
  uint8_t *ca = slurp(pki("ca.pem"), &ca_len);
  ntspool_tls_server_options so = {0};
  so.cred.chain_pem = (ntspool_bytes){chain, chain_len};
  so.cred.key_pem = (ntspool_bytes){key, key_len};
  ntspool_tls_client_options co = {0};
  co.ca_pem = (ntspool_bytes){ca, ca_len};
  ntspool_tls_config *scfg, *ccfg;
  assert_int_equal(ntspool_tls_config_new_server(&scfg, &so, NULL, NULL), 0);
  assert_int_equal(ntspool_tls_config_new_client(&ccfg, &co, NULL, NULL), 0);
  free(chain);
  free(key);
  free(ca);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  handshake_ok(&p);
  keys_equal(p.c, p.s, 0, 17, 64);
  close_pair(&p, scfg, ccfg);

  /* DER works too (certificates here; keys go the same way). */
  mbedtls_x509_crt leaf, root;
  der_of("localhost.pem", &leaf);
  der_of("ca.pem", &root);
  key = slurp(pki("localhost.key"), &key_len);
  so.cred.chain_pem = (ntspool_bytes){leaf.raw.p, leaf.raw.len};
  so.cred.key_pem = (ntspool_bytes){key, key_len};
  co.ca_pem = (ntspool_bytes){root.raw.p, root.raw.len};
  assert_int_equal(ntspool_tls_config_new_server(&scfg, &so, NULL, NULL), 0);
  assert_int_equal(ntspool_tls_config_new_client(&ccfg, &co, NULL, NULL), 0);
  free(key);
  mbedtls_x509_crt_free(&leaf);
  mbedtls_x509_crt_free(&root);
  pair_open(&p, ccfg, scfg, "localhost", 0);
  handshake_ok(&p);
  close_pair(&p, scfg, ccfg);

  uint8_t junk[] = "-----BEGIN CERTIFICATE-----\nnot base64\n";
  so.cred.chain_pem = (ntspool_bytes){junk, sizeof(junk) - 1};
  so.cred.key_pem = (ntspool_bytes){junk, sizeof(junk) - 1};
  assert_int_equal(ntspool_tls_config_new_server(&scfg, &so, NULL, NULL),
                   NTSPOOL_ERR_CONFIG);
}

/* Our allocator is used for our structs, and configs outlive their
 * creator's reference while connections use them. */
typedef struct counting {
  long live, total;
} counting;

static void *count_malloc(size_t size, void *user_data) {
  counting *c = user_data;
  c->live++;
  c->total++;
  return malloc(size);
}

static void count_free(void *ptr, void *user_data) {
  counting *c = user_data;
  c->live--;
  free(ptr);
}

static void test_tls_config_lifetime(void **state) {
  (void)state;
  counting cnt = {0, 0};
  ntspool_allocator alloc = {count_malloc, count_free, &cnt};
  ntspool_tls_server_options so = {0};
  so.cred.chain_path = pki("localhost.pem");
  so.cred.key_path = pki("localhost.key");
  ntspool_tls_client_options co = {0};
  co.ca_path = pki("ca.pem");
  ntspool_tls_config *scfg, *ccfg;
  assert_int_equal(ntspool_tls_config_new_server(&scfg, &so, &alloc, NULL), 0);
  assert_int_equal(ntspool_tls_config_new_client(&ccfg, &co, &alloc, NULL), 0);
  assert_int_equal(cnt.live, 2);
  pair p;
  pair_open(&p, ccfg, scfg, "localhost", 0);
  assert_int_equal(cnt.live, 4);
  ntspool_tls_config_unref(scfg); /* the connections keep them */
  ntspool_tls_config_unref(ccfg);
  assert_int_equal(cnt.live, 4);
  handshake_ok(&p);
  exchange(&p, 64);
  assert_true(ntspool_tls_config_ref(ntspool_tls_config_ref(NULL)) == NULL);
  pair_close(&p);
  assert_int_equal(cnt.live, 0);
  /* The two configurations, the two connections, and a buffer for each
   * file read (chain, key, CA), freed once parsed. */
  assert_int_equal(cnt.total, 7);
}

static void test_tls_error_text(void **state) {
  (void)state;
  char buf[128];
  assert_true(strlen(ntspool_tls_error_text(RAW_NO_ALPN, buf, sizeof(buf))) >
              0);
  assert_string_equal(ntspool_tls_error_text(0, buf, sizeof(buf)), "no error");
  char tiny[4];
  ntspool_tls_error_text(RAW_CERT_VERIFY_FAILED, tiny, sizeof(tiny));
  assert_true(strlen(tiny) < sizeof(tiny));
  assert_null(ntspool_tls_error_text(-1, NULL, 0));
  assert_string_equal(ntspool_tls_describe_error(NULL, buf, sizeof(buf)),
                      "no error");
}

/* One config pair shared by several threads, each running its own
 * connections (what the CLI's workers do).  No cmocka calls in threads. */
typedef struct shared_run {
  ntspool_tls_config *scfg, *ccfg;
  int failures;
} shared_run;

static int one_shared_handshake(shared_run *r) {
  ntspool_test_pipe *pipe = ntspool_test_pipe_new(0);
  ntspool_tls *c = NULL, *s = NULL;
  int rc = pipe == NULL ? -1 : 0;
  if (rc == 0)
    rc = ntspool_tls_new(&c, r->ccfg, ntspool_test_pipe_io(pipe, CLIENT),
                         "localhost");
  if (rc == 0)
    rc = ntspool_tls_new(&s, r->scfg, ntspool_test_pipe_io(pipe, SERVER), NULL);
  int crc = WB, src = WB;
  for (int i = 0; rc == 0 && i < 100 && (crc == WB || src == WB); i++) {
    if (crc == WB)
      crc = ntspool_tls_handshake(c);
    if (src == WB)
      src = ntspool_tls_handshake(s);
  }
  uint8_t k[4][32];
  if (rc == 0 && (crc != 0 || src != 0))
    rc = -2;
  if (rc == 0)
    rc = ntspool_tls_export_keys(c, 0, 15, 32, k[0], k[1]);
  if (rc == 0)
    rc = ntspool_tls_export_keys(s, 0, 15, 32, k[2], k[3]);
  if (rc == 0 && (memcmp(k[0], k[2], 32) != 0 || memcmp(k[1], k[3], 32)))
    rc = -3;
  ntspool_tls_free(c);
  ntspool_tls_free(s);
  ntspool_test_pipe_free(pipe);
  return rc;
}

static void *shared_thread(void *arg) {
  shared_run *r = arg;
  for (int i = 0; i < 8; i++)
    if (one_shared_handshake(r) != 0)
      r->failures++;
  ntspool_tls_config_unref(r->scfg);
  ntspool_tls_config_unref(r->ccfg);
  return NULL;
}

static void test_tls_shared_config_threads(void **state) {
  (void)state;
  ntspool_tls_config *scfg = server_cfg("localhost", true);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", "pool-client");
  shared_run runs[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    /* Each thread owns a reference, taken before it starts. */
    runs[i] = (shared_run){ntspool_tls_config_ref(scfg),
                           ntspool_tls_config_ref(ccfg), 0};
    assert_int_equal(pthread_create(&th[i], NULL, shared_thread, &runs[i]), 0);
  }
  /* The creator's own references may go while the threads still work. */
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
  for (int i = 0; i < 4; i++)
    pthread_join(th[i], NULL);
  for (int i = 0; i < 4; i++)
    assert_int_equal(runs[i].failures, 0);
}

/* ---- tests: real sockets ------------------------------------------------ */

#define SOCK_MSG 300

typedef struct sock_side {
  int fd;
  ntspool_tls_config *cfg;
  bool server;
  int rc; /* first failure, 0 if none */
  uint8_t c2s[64], s2c[64];
} sock_side;

/* Blocking: handshake, request, echo, keys, close_notify both ways. */
static void *sock_run(void *arg) {
  sock_side *s = arg;
  ntspool_test_sockio sio;
  ntspool_test_sockio_init(&sio, s->fd);
  ntspool_tls *tls = NULL;
  uint8_t msg[SOCK_MSG], buf[SOCK_MSG];
  size_t got = 0;
  fill(msg, sizeof(msg), 11);
  int rc =
      ntspool_tls_new(&tls, s->cfg, &sio.io, s->server ? NULL : "localhost");
  if (rc == 0)
    rc = ntspool_tls_handshake(tls);
  if (rc == 0 && !s->server)
    rc = ntspool_tls_write(tls, msg, sizeof(msg)) == SOCK_MSG ? 0 : -100;
  while (rc == 0 && got < sizeof(buf)) {
    int n = ntspool_tls_read(tls, buf + got, sizeof(buf) - got);
    if (n < 0)
      rc = n;
    else
      got += (size_t)n;
  }
  if (rc == 0 && memcmp(buf, msg, sizeof(msg)) != 0)
    rc = -101;
  if (rc == 0 && s->server)
    rc = ntspool_tls_write(tls, buf, sizeof(buf)) == SOCK_MSG ? 0 : -102;
  if (rc == 0)
    rc = ntspool_tls_export_keys(tls, 0, 17, 64, s->c2s, s->s2c);
  if (rc == 0)
    rc = ntspool_tls_close(tls);
  if (rc == 0)
    rc = ntspool_tls_read(tls, buf, 1) == NTSPOOL_ERR_EOF ? 0 : -103;
  s->rc = rc;
  ntspool_tls_free(tls);
  /* Unblocks the other side if we failed half way. */
  shutdown(s->fd, SHUT_RDWR);
  return NULL;
}

static void test_tls_socketpair_blocking(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  sock_side cs = {fds[0], client_cfg("ca.pem", NULL), false, -1, {0}, {0}};
  sock_side ss = {fds[1], server_cfg("localhost", false), true, -1, {0}, {0}};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, sock_run, &ss), 0);
  sock_run(&cs);
  pthread_join(th, NULL);
  close(fds[0]);
  close(fds[1]);
  ntspool_tls_config_unref(cs.cfg);
  ntspool_tls_config_unref(ss.cfg);
  assert_int_equal(cs.rc, 0);
  assert_int_equal(ss.rc, 0);
  assert_memory_equal(cs.c2s, ss.c2s, 64);
  assert_memory_equal(cs.s2c, ss.s2c, 64);
}

/* Non-blocking: a small state machine per side, driven by poll(). */
typedef struct nb_side {
  ntspool_tls *tls;
  int fd;
  bool server;
  int phase; /* 0 handshake, 1 write, 2 read, 3 close, 4 wait EOF, 5 done */
  uint8_t msg[SOCK_MSG], buf[SOCK_MSG];
  size_t off;
  short want; /* POLLIN/POLLOUT when blocked */
} nb_side;

/* Advances as far as possible; returns 0 or a failure code. */
static int nb_step(nb_side *s) {
  for (;;) {
    int rc = 0;
    switch (s->phase) {
    case 0:
      rc = ntspool_tls_handshake(s->tls);
      if (rc == 0)
        s->phase = s->server ? 2 : 1;
      break;
    case 1:
      rc = ntspool_tls_write(s->tls, s->msg + s->off, SOCK_MSG - s->off);
      if (rc > 0) {
        s->off += (size_t)rc;
        if (s->off == SOCK_MSG) {
          s->off = 0;
          s->phase = s->server ? 3 : 2;
        }
        rc = 0;
      }
      break;
    case 2:
      rc = ntspool_tls_read(s->tls, s->buf + s->off, SOCK_MSG - s->off);
      if (rc > 0) {
        s->off += (size_t)rc;
        if (s->off == SOCK_MSG) {
          s->off = 0;
          s->phase = s->server ? 1 : 3;
        }
        rc = 0;
      }
      break;
    case 3:
      rc = ntspool_tls_close(s->tls);
      if (rc == 0)
        s->phase = 4;
      break;
    case 4:
      rc = ntspool_tls_read(s->tls, s->buf, 1);
      if (rc == NTSPOOL_ERR_EOF) {
        s->phase = 5;
        rc = 0;
      } else if (rc > 0) {
        return -200; /* no more data expected */
      }
      break;
    default:
      return 0;
    }
    if (rc == WB) {
      /* The socket is what we wait for; which direction is not exposed, so
       * wait for either (a spurious wake-up only costs a retry). */
      s->want = POLLIN | (s->phase == 1 || s->phase == 3 ? POLLOUT : 0);
      return 0;
    }
    if (rc != 0)
      return rc;
  }
}

static void test_tls_socketpair_nonblocking_poll(void **state) {
  (void)state;
  int fds[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  assert_int_equal(ntspool_test_sockio_set_nonblocking(fds[0], 1), 0);
  assert_int_equal(ntspool_test_sockio_set_nonblocking(fds[1], 1), 0);
  ntspool_tls_config *scfg = server_cfg("localhost", false);
  ntspool_tls_config *ccfg = client_cfg("ca.pem", NULL);
  static nb_side nb[2];
  ntspool_test_sockio sio[2];
  memset(nb, 0, sizeof(nb));
  for (int i = 0; i < 2; i++) {
    ntspool_test_sockio_init(&sio[i], fds[i]);
    nb[i].fd = fds[i];
    nb[i].server = i == 1;
    fill(nb[i].msg, SOCK_MSG, 11);
    assert_int_equal(ntspool_tls_new(&nb[i].tls, i ? scfg : ccfg, &sio[i].io,
                                     i ? NULL : "localhost"),
                     0);
  }
  int rounds = 0, rc0 = 0, rc1 = 0;
  while ((nb[0].phase != 5 || nb[1].phase != 5) && rounds++ < 1000) {
    rc0 = nb_step(&nb[0]);
    rc1 = nb_step(&nb[1]);
    if (rc0 != 0 || rc1 != 0)
      break;
    struct pollfd pfd[2] = {{fds[0], nb[0].want, 0}, {fds[1], nb[1].want, 0}};
    if (nb[0].phase == 5)
      pfd[0].fd = -1;
    if (nb[1].phase == 5)
      pfd[1].fd = -1;
    if (pfd[0].fd < 0 && pfd[1].fd < 0)
      break;
    if (poll(pfd, 2, 5000) <= 0)
      break;
  }
  uint8_t c[2][32], s[2][32];
  assert_int_equal(rc0, 0);
  assert_int_equal(rc1, 0);
  assert_int_equal(nb[0].phase, 5);
  assert_int_equal(nb[1].phase, 5);
  assert_true(rounds > 2); /* it did wait on the sockets */
  assert_memory_equal(nb[0].buf, nb[0].msg, SOCK_MSG); /* the echo */
  assert_int_equal(ntspool_tls_export_keys(nb[0].tls, 0, 15, 32, c[0], s[0]),
                   0);
  assert_int_equal(ntspool_tls_export_keys(nb[1].tls, 0, 15, 32, c[1], s[1]),
                   0);
  assert_memory_equal(c[0], c[1], 32);
  assert_memory_equal(s[0], s[1], 32);
  for (int i = 0; i < 2; i++) {
    ntspool_tls_free(nb[i].tls);
    close(fds[i]);
  }
  ntspool_tls_config_unref(scfg);
  ntspool_tls_config_unref(ccfg);
}

int main(void) {
  /* The raw peers use mbedTLS's PSA whichever backend the library has. */
  if (ntspool_crypto_init() != 0 || psa_crypto_init() != PSA_SUCCESS)
    return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tls_handshake_export),
      cmocka_unit_test(test_tls_one_byte_at_a_time),
      cmocka_unit_test(test_tls_would_block_every_other_call),
      cmocka_unit_test(test_tls_partial_writes),
      cmocka_unit_test(test_tls_write_is_one_record),
      cmocka_unit_test(test_tls_io_drives_handshake),
      cmocka_unit_test(test_tls_wants),
      cmocka_unit_test(test_tls_backend_name),
      cmocka_unit_test(test_tls_ciphersuites),
      cmocka_unit_test(test_tls_refuses_tls12_client),
      cmocka_unit_test(test_tls_refuses_tls12_server),
      cmocka_unit_test(test_tls_refuses_wrong_alpn),
      cmocka_unit_test(test_tls_refuses_missing_alpn),
      cmocka_unit_test(test_tls_refusal_alert_would_block),
      cmocka_unit_test(test_tls_refuses_server_without_alpn),
      cmocka_unit_test(test_tls_refuses_wrong_host_name),
      cmocka_unit_test(test_tls_refuses_expired_certificate),
      cmocka_unit_test(test_tls_refuses_unrelated_ca),
      cmocka_unit_test(test_tls_sni_and_names),
      cmocka_unit_test(test_tls_additional_cas),
      cmocka_unit_test(test_tls_client_certificate),
      cmocka_unit_test(test_tls_peer_cert_before_handshake),
      cmocka_unit_test(test_tls_idle_close_notify),
      cmocka_unit_test(test_tls_idle_transport_eof),
      cmocka_unit_test(test_tls_pending),
      cmocka_unit_test(test_tls_eof_during_handshake),
      cmocka_unit_test(test_tls_io_error),
      cmocka_unit_test(test_tls_close_rules),
      cmocka_unit_test(test_tls_server_offering_tickets),
      cmocka_unit_test(test_tls_config_errors),
      cmocka_unit_test(test_tls_default_ca_bundle),
      cmocka_unit_test(test_tls_config_from_memory),
      cmocka_unit_test(test_tls_config_lifetime),
      cmocka_unit_test(test_tls_error_text),
      cmocka_unit_test(test_tls_shared_config_threads),
      cmocka_unit_test(test_tls_socketpair_blocking),
      cmocka_unit_test(test_tls_socketpair_nonblocking_poll),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  mbedtls_psa_crypto_free();
  return failed;
}
