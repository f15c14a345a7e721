/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The TLS module: the library's only door to a TLS implementation.  Sessions
 * talk to a peer through an ntspool_tls connection and never see a backend
 * type.  Two backends implement this header: mbedTLS 3.6 (the default:
 * tls_mbedtls.c, tls_config.c, tls_info.c, tls_certfile.c, tls_crypto.c,
 * tls_requirements.c) and OpenSSL 3 (make TLS=openssl: tls_openssl*.c);
 * tls_common.c holds what does not depend on either.  Only tls_*.c files
 * include a TLS library.
 *
 * What every connection enforces, whatever the caller does: TLS 1.3 only in
 * both directions; ALPN "ntske/1" required in both directions (a server
 * refuses a client that offers another protocol or none at all, a client
 * refuses a server that selects none); certificate-only key exchange (no PSK,
 * no resumption, no session tickets, no 0-RTT); a client always sends SNI
 * and verifies the server certificate against the CA set and the name it
 * was given.  Certificate validity is checked against the wall clock (the
 * one place the library reads a clock).
 *
 * I/O.  A connection moves bytes only through the ntspool_io it was created
 * with.  Every call may return NTSPOOL_ERR_WOULD_BLOCK; the caller then calls
 * the same function again (with the same arguments, for write) once the
 * transport is ready in the direction ntspool_tls_wants() names.  Over a
 * blocking transport that never happens.
 *
 * Errors.  After any error other than NTSPOOL_ERR_WOULD_BLOCK (and EOF from
 * read, which only ends the read direction) a connection is dead: later calls
 * return the same code.  After close() a connection can still read (to see
 * the peer's close_notify) but not write.  The raw backend code of the last
 * failure is kept for logs (ntspool_tls_last_error,
 * ntspool_tls_describe_error); it never leaks into the NTSPOOL_ERR_* space.
 *
 * Threads.  A config is immutable after creation and may be shared by any
 * number of connections in any number of threads; it is reference counted,
 * each connection holds a reference, so the creator may drop its own at any
 * time (a reloaded certificate takes effect for new connections while old
 * ones finish on the old config).  A connection must be used by one thread at
 * a time.
 *
 * Memory.  Our own structs come from the allocator given at config creation
 * (NULL, or one without both functions: malloc/free); connections use their
 * config's.  The backend allocates its record buffers (about 2 x 16 KiB per
 * connection), parsed certificates and keys through its own hooks.
 * Everything secret is wiped before it is released.
 */
#ifndef NTSPOOL_TLS_H
#define NTSPOOL_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ntspool/common.h"
#include "ntspool/io.h"

/* The one ALPN protocol ID of NTS-KE (RFC 8915 section 4). */
#define NTSPOOL_TLS_ALPN "ntske/1"

/* The exporter label of RFC 8915 section 5.1 (30 bytes, no NUL). */
#define NTSPOOL_TLS_EXPORTER_LABEL "EXPORTER-network-time-security"

/* Default CA bundle of a client config: the Debian/Ubuntu/Alpine path.
 * mbedTLS has no notion of a system store, so both backends load it as a
 * file. */
#define NTSPOOL_TLS_DEFAULT_CA_PATH "/etc/ssl/certs/ca-certificates.crt"

typedef struct ntspool_tls_config ntspool_tls_config;
typedef struct ntspool_tls ntspool_tls;

/* A certificate chain and its private key, from files or from memory.  For
 * each item the path wins when it is non-NULL; otherwise `pem` (PEM or DER,
 * NUL terminator optional) is used.  The chain is the leaf first, then any
 * intermediates.  Keys must be unencrypted. */
typedef struct ntspool_tls_credentials {
  const char *chain_path;
  const char *key_path;
  ntspool_bytes chain_pem;
  ntspool_bytes key_pem;
} ntspool_tls_credentials;

typedef struct ntspool_tls_server_options {
  ntspool_tls_credentials cred; /* required */

  /* Ask the client for a certificate but do not validate its chain, date or
   * usage: the client must still prove it holds the key (CertificateVerify),
   * and the application decides what the certificate is worth, for example
   * a time source that trusts a pool whose leaf certificate is byte-equal to
   * a configured one (doc/protocol.md section 7.3).  A client that sends
   * none is accepted too.  See ntspool_tls_peer_cert(). */
  bool request_client_cert;

  /* The TLS 1.3 cipher suites accepted, by IANA number (0x1301 ...), in
   * order of preference; none: the backend's defaults.  An embedder's own
   * TLS settings (NTPsec's `nts tlsciphersuites`) arrive here. */
  const uint16_t *ciphersuites;
  size_t n_ciphersuites;
} ntspool_tls_server_options;

/* At most this many cipher suites in a list (RFC 8446 registers five). */
#define NTSPOOL_TLS_MAX_CIPHERSUITES 8

/* Parses a colon-separated list of TLS 1.3 cipher suite names as RFC 8446
 * appendix B.4 writes them (TLS_AES_128_GCM_SHA256 ...; OpenSSL's
 * ciphersuites format) into IANA numbers, appending to out[*n..max).
 * Returns: 0; NTSPOOL_ERR_CONFIG (an unknown or empty name, more than max
 * suites). */
int ntspool_tls_ciphersuites_parse(const char *text, uint16_t *out, size_t max,
                                   size_t *n);

/* The RFC 8446 name of TLS 1.3 cipher suite `id`, or NULL. */
const char *ntspool_tls_ciphersuite_name(uint16_t id);

/* The cipher suite a finished handshake agreed on (IANA number), 0 before. */
uint16_t ntspool_tls_ciphersuite(const ntspool_tls *tls);

typedef struct ntspool_tls_client_options {
  /* Trusted CAs: a PEM file or bundle, or a directory of them.  NULL and
   * an empty ca_pem: NTSPOOL_TLS_DEFAULT_CA_PATH. */
  const char *ca_path;
  ntspool_bytes ca_pem; /* used when ca_path is NULL and ca_pem.data set */
  /* More CA files (or directories) trusted in addition to the above, the
   * default bundle included: a private CA next to the public ones, as the
   * Rust nts-pool-ke's upstream-cas.  Each must load at least one CA. */
  const char *const *extra_ca_paths;
  size_t n_extra_ca_paths;

  /* Optional certificate to present when the server asks for one (both
   * chain and key, or neither). */
  ntspool_tls_credentials cred;
} ntspool_tls_client_options;

/* Creates a server config: loads the chain and key and checks they match,
 * and restricts the cipher suites when the options list some (a suite the
 * backend lacks is NTSPOOL_ERR_CONFIG).
 * `alloc` may be NULL (malloc/free); it is copied.  On failure `*raw_error`
 * (if not NULL) receives the backend's code for ntspool_tls_error_text.
 * Returns 0 and sets *out, or NTSPOOL_ERR_INVALID_ARG (NULL argument,
 * missing chain or key), NTSPOOL_ERR_NOT_FOUND (a file cannot be read),
 * NTSPOOL_ERR_CONFIG (cannot parse, key does not match the certificate),
 * NTSPOOL_ERR_NO_MEMORY, NTSPOOL_ERR_CRYPTO (PSA failed to start). */
int ntspool_tls_config_new_server(ntspool_tls_config **out,
                                  const ntspool_tls_server_options *opt,
                                  const ntspool_allocator *alloc,
                                  int *raw_error);

/* Creates a client config: loads the CAs (at least one must parse) and the
 * optional client credentials.  Same arguments and codes as
 * ntspool_tls_config_new_server. */
int ntspool_tls_config_new_client(ntspool_tls_config **out,
                                  const ntspool_tls_client_options *opt,
                                  const ntspool_allocator *alloc,
                                  int *raw_error);

/* Takes one more reference; returns cfg.  Thread safe.  Never fails. */
ntspool_tls_config *ntspool_tls_config_ref(ntspool_tls_config *cfg);

/* Drops one reference; the last one frees the config (keys wiped).  NULL is
 * ignored.  Thread safe.  Never fails. */
void ntspool_tls_config_unref(ntspool_tls_config *cfg);

/* Creates a connection that has not started its handshake.  `io` is copied.
 * A client needs `server_name` (1..255 bytes): it is sent as SNI and the
 * certificate must match it.  Use a DNS name: an IP address is matched
 * against IP SANs, but mbedTLS 3.6 then also sends it as SNI, which RFC 6066
 * forbids and strict servers may refuse (the OpenSSL backend does not).  A
 * server ignores it (pass NULL). The connection holds a reference on cfg.
 * Returns 0 and sets *out, or NTSPOOL_ERR_INVALID_ARG (NULL argument, bad io
 * version, client without server_name), NTSPOOL_ERR_NO_MEMORY,
 * NTSPOOL_ERR_CRYPTO, NTSPOOL_ERR_TLS (the backend refused the setup or the
 * name; see last_error; nothing is allocated then). */
int ntspool_tls_new(ntspool_tls **out, ntspool_tls_config *cfg,
                    const ntspool_io *io, const char *server_name);

/* Runs the handshake as far as the transport allows.  Call again after
 * NTSPOOL_ERR_WOULD_BLOCK; once it returned 0 it keeps returning 0.
 * Returns 0 (established, ALPN ntske/1, TLS 1.3), NTSPOOL_ERR_WOULD_BLOCK,
 * NTSPOOL_ERR_TLS (refused or failed: version, ALPN, certificate, alert from
 * the peer ...), NTSPOOL_ERR_EOF (the transport closed),
 * NTSPOOL_ERR_IO (the transport failed), NTSPOOL_ERR_INVALID_ARG. */
int ntspool_tls_handshake(ntspool_tls *tls);

/* Reads up to len (> 0) decrypted bytes; runs the handshake first if it is
 * not done.  A short read is normal: TLS returns at most one record.
 * Returns the count (> 0), NTSPOOL_ERR_WOULD_BLOCK, NTSPOOL_ERR_EOF (the
 * peer sent close_notify or the transport ended; repeated on later reads,
 * writing stays possible), NTSPOOL_ERR_TLS, NTSPOOL_ERR_IO,
 * NTSPOOL_ERR_STATE (after close), NTSPOOL_ERR_INVALID_ARG. */
int ntspool_tls_read(ntspool_tls *tls, uint8_t *buf, size_t len);

/* Encrypts and sends up to len (> 0) bytes; runs the handshake first if it
 * is not done.  Writes at most one record (16383 bytes with mbedTLS 3.6,
 * which counts TLS 1.3's content-type byte in the 16 KiB; 16384 with
 * OpenSSL), so a caller that needs a message in one record (NTPsec does,
 * doc/protocol.md section 2.1) writes it in one call and gets its whole
 * length back.  After NTSPOOL_ERR_WOULD_BLOCK call again with the same data:
 * part of it may already be encrypted and queued.
 * Returns the count written (> 0, maybe < len), NTSPOOL_ERR_WOULD_BLOCK,
 * NTSPOOL_ERR_TLS, NTSPOOL_ERR_EOF (transport closed), NTSPOOL_ERR_IO,
 * NTSPOOL_ERR_STATE (after close), NTSPOOL_ERR_INVALID_ARG. */
int ntspool_tls_write(ntspool_tls *tls, const uint8_t *buf, size_t len);

/* Sends close_notify (if the handshake finished) and flushes it; no more
 * writes afterwards.  Call again after NTSPOOL_ERR_WOULD_BLOCK.  Does not
 * wait for the peer's close_notify (read until NTSPOOL_ERR_EOF for that).
 * Returns 0, NTSPOOL_ERR_WOULD_BLOCK, NTSPOOL_ERR_EOF, NTSPOOL_ERR_IO,
 * NTSPOOL_ERR_TLS, NTSPOOL_ERR_INVALID_ARG. */
int ntspool_tls_close(ntspool_tls *tls);

/* Direction(s) the last NTSPOOL_ERR_WOULD_BLOCK of this connection waits
 * on: NTSPOOL_TLS_WANT_READ, NTSPOOL_TLS_WANT_WRITE or both; 0 when its
 * last call did not block.  Never fails (0 for NULL). */
#define NTSPOOL_TLS_WANT_READ 1u
#define NTSPOOL_TLS_WANT_WRITE 2u
unsigned ntspool_tls_wants(const ntspool_tls *tls);

/* What read() can make progress on without the transport being readable:
 * the number of decrypted bytes ready, or 1 if only undecrypted record
 * bytes (a close_notify, a second message) sit in the backend's buffer; 0
 * when everything received so far has been consumed.  An idle kept-alive
 * connection whose peer closed or sent something shows up either here or as
 * a readable transport: in both cases read() tells which (EOF or data).
 * Never fails (0 for NULL). */
size_t ntspool_tls_pending(const ntspool_tls *tls);

/* RFC 8915 key export (section 5.1): C2S and S2C keys of key_len bytes
 * (1..NTSPOOL_MAX_KEY_LEN) for next protocol `protocol` and AEAD `aead`,
 * context protocol(u16 BE) | aead(u16 BE) | 0x00 (C2S) or 0x01 (S2C).  Both
 * ends of one connection get the same keys.  Needs a finished handshake.
 * On failure both outputs are wiped.
 * Returns 0, NTSPOOL_ERR_STATE (handshake not finished or failed),
 * NTSPOOL_ERR_INVALID_ARG, NTSPOOL_ERR_TLS. */
int ntspool_tls_export_keys(ntspool_tls *tls, uint16_t protocol, uint16_t aead,
                            size_t key_len, uint8_t *c2s, uint8_t *s2c);

/* True once the handshake finished (and nothing failed since). */
bool ntspool_tls_established(const ntspool_tls *tls);

/* Server side: the SNI host name the client sent (NUL-terminated), or NULL
 * if it sent none, sent one longer than 255 bytes or with a NUL in it, or
 * the ClientHello has not been read yet.  Client side: the name given to
 * ntspool_tls_new.  Valid until ntspool_tls_free. */
const char *ntspool_tls_server_name(const ntspool_tls *tls);

/* The peer's leaf certificate (DER) after the handshake: the server's on a
 * client, the client's on a server with request_client_cert.  The bytes
 * stay valid until ntspool_tls_free.
 * Returns 0, NTSPOOL_ERR_NOT_FOUND (the peer sent none),
 * NTSPOOL_ERR_STATE (handshake not finished), NTSPOOL_ERR_INVALID_ARG. */
int ntspool_tls_peer_cert(const ntspool_tls *tls, ntspool_bytes *der);

/* The negotiated ALPN protocol ("ntske/1") or NULL before the handshake.
 * The library enforces ALPN itself; the tests read it back here to see
 * that it did (as ntspool_tls_ciphersuite for the cipher suite). */
const char *ntspool_tls_alpn(const ntspool_tls *tls);

/* The raw backend code of the last failure, 0 if none: mbedTLS gives a
 * negative MBEDTLS_ERR_* (MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY after a clean
 * close too), OpenSSL the packed ERR_get_error() code (0 after a clean
 * close).  For diagnostics only: compare NTSPOOL_ERR_* codes, never these. */
int ntspool_tls_last_error(const ntspool_tls *tls);

/* ntspool_tls_error_text, the backend's text for a raw code, is public
 * (ntspool/common.h). */

/* Like ntspool_tls_error_text for the connection's last failure, followed,
 * when certificate verification failed, by the reasons ("certificate has
 * expired", "CN mismatch", ...).  Returns buf.  Never fails. */
const char *ntspool_tls_describe_error(const ntspool_tls *tls, char *buf,
                                       size_t len);

/* Frees the connection: the backend wipes its keys and buffers, we wipe
 * ours, then the config reference is dropped.  Does not send close_notify
 * (call ntspool_tls_close first for a clean shutdown).  NULL is ignored. */
void ntspool_tls_free(ntspool_tls *tls);

/* Reads the first certificate of a PEM or DER file as DER (tls_certfile.c).
 * Returns 0, NTSPOOL_ERR_NOT_FOUND, NTSPOOL_ERR_CONFIG or
 * NTSPOOL_ERR_NO_MEMORY; *out is the caller's, from allocator `a`. */
int ntspool_tls_load_cert_der(const char *path, const ntspool_allocator *a,
                              ntspool_bytes *out);

#endif
