/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool: version, status codes, allocator, byte views, address family
 * and time shared by every part of the API.  Include <ntspool.h> rather than
 * this file.
 *
 * Status codes.  Every function that can fail returns an int: 0 (or a
 * positive count) on success, one of the negative NTSPOOL_ERR_* codes below on
 * failure.  ntspool_strerror() turns a code into a sentence.  Errors that the
 * protocol sends on the wire (NTS-KE Error records) are a separate number
 * space, enum ntspool_nts_error; ntspool_nts_error_for() maps a status code
 * to the wire code a server must answer with.
 *
 * Thread safety.  Everything declared here is reentrant and keeps no state.
 */
#ifndef NTSPOOL_COMMON_H
#define NTSPOOL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The single source of truth for the version; the Makefile reads these. */
#define NTSPOOL_VERSION_MAJOR 0
#define NTSPOOL_VERSION_MINOR 2
#define NTSPOOL_VERSION_PATCH 0
#define NTSPOOL_VERSION "0.2.0"
#define NTSPOOL_VERSION_NUM                                                    \
  ((NTSPOOL_VERSION_MAJOR << 16) | (NTSPOOL_VERSION_MINOR << 8) |              \
   NTSPOOL_VERSION_PATCH)

#if defined(NTSPOOL_BUILDING) && defined(__GNUC__)
#define NTSPOOL_API __attribute__((visibility("default")))
#else
#define NTSPOOL_API
#endif

/* Status codes (negative; 0 is success). */
enum ntspool_status {
  NTSPOOL_OK = 0,
  NTSPOOL_ERR_INVALID_ARG = -1,      /* a NULL or out-of-range argument */
  NTSPOOL_ERR_NO_MEMORY = -2,        /* the allocator returned NULL */
  NTSPOOL_ERR_BUFFER_TOO_SMALL = -3, /* an output buffer cannot hold it */
  NTSPOOL_ERR_NEED_MORE = -4,        /* input ends inside a record/message */
  NTSPOOL_ERR_MALFORMED = -5,        /* a record body breaks its length rule */
  NTSPOOL_ERR_TOO_LARGE = -6,        /* a message exceeds the size limit */
  NTSPOOL_ERR_TRAILING_DATA = -7,    /* bytes follow End of Message */
  NTSPOOL_ERR_BAD_REQUEST = -8,      /* request invalid: answer Error 1 */
  NTSPOOL_ERR_UNKNOWN_CRITICAL = -9, /* unknown critical record: Error 0 */
  NTSPOOL_ERR_BAD_RESPONSE = -10,    /* a peer's response breaks the rules */
  NTSPOOL_ERR_PEER_ERROR = -11,      /* the peer answered with an Error */
  NTSPOOL_ERR_PEER_WARNING = -12,    /* the peer answered with a Warning */
  NTSPOOL_ERR_NO_PROTOCOL = -13,     /* no next protocol in common */
  NTSPOOL_ERR_NO_AEAD = -14,         /* no AEAD algorithm in common */
  NTSPOOL_ERR_WOULD_BLOCK = -15,     /* I/O cannot progress now; call again */
  NTSPOOL_ERR_EOF = -16,             /* the peer closed the connection */
  NTSPOOL_ERR_IO = -17,              /* the transport reported an error */
  NTSPOOL_ERR_TLS = -18,             /* TLS failed (raw code for diagnosis) */
  NTSPOOL_ERR_TIMEOUT = -19,         /* a deadline passed */
  NTSPOOL_ERR_CONFIG = -20,          /* a configuration key or value is bad */
  NTSPOOL_ERR_NOT_FOUND = -21,       /* no such object (file, source, name) */
  NTSPOOL_ERR_AUTH = -22,            /* authentication failed */
  NTSPOOL_ERR_STATE = -23,           /* call not valid in the current state */
  NTSPOOL_ERR_NO_SOURCE = -24,       /* no usable time source */
  NTSPOOL_ERR_UNSUPPORTED = -25,     /* not returned by the library: for an
                                        application's callbacks (a cookie
                                        callback asked for what it lacks) */
  NTSPOOL_ERR_CRYPTO = -26,          /* a cryptographic primitive failed */
};

/* NTS-KE Error record codes (RFC 8915 4.1.3, nts-pool private range). */
enum ntspool_nts_error {
  NTSPOOL_NTS_UNRECOGNIZED_CRITICAL = 0,
  NTSPOOL_NTS_BAD_REQUEST = 1,
  NTSPOOL_NTS_INTERNAL_ERROR = 2,
  NTSPOOL_NTS_NO_SUCH_SERVER = 0xF000,
  NTSPOOL_NTS_COULD_NOT_CONNECT = 0xF001,
  NTSPOOL_NTS_COULD_NOT_GET_CAPABILITIES = 0xF002,
  NTSPOOL_NTS_COULD_NOT_GET_COOKIES = 0xF003,
};

/* Next protocol IDs (RFC 8915 7.7) and AEAD IDs (IANA AEAD registry). */
enum {
  NTSPOOL_PROTO_NTPV4 = 0,
  NTSPOOL_PROTO_DRAFT_NTPV5 = 0x8001,
  NTSPOOL_AEAD_AES_SIV_CMAC_256 = 15,
  NTSPOOL_AEAD_AES_SIV_CMAC_384 = 16,
  NTSPOOL_AEAD_AES_SIV_CMAC_512 = 17,
  NTSPOOL_AEAD_AES_128_GCM_SIV = 30,
  NTSPOOL_AEAD_AES_256_GCM_SIV = 31,
};

/* Address family: of a client, of the connection toward a time source, of
 * a PROXY header's addresses (4 and 6, as the families are usually
 * written). */
enum ntspool_family { NTSPOOL_FAMILY_IPV4 = 4, NTSPOOL_FAMILY_IPV6 = 6 };

/* Milliseconds on a monotonic clock chosen by the application; only
 * differences matter.  Sessions and the policy are handed "now" and report
 * deadlines and expiry times in the same unit. */
typedef int64_t ntspool_time_ms;

/* A time that never comes: no deadline, nothing to expire. */
#define NTSPOOL_TIME_NEVER INT64_MAX

/* Longest AEAD key any registered NTS algorithm uses (AES-SIV-CMAC-512). */
#define NTSPOOL_MAX_KEY_LEN 64

/* A read-only view of bytes owned by someone else (usually the caller's
 * message buffer).  Never NUL-terminated. */
typedef struct ntspool_bytes {
  const uint8_t *data;
  size_t len;
} ntspool_bytes;

/* Allocator hook for the library's own memory.  Both functions receive
 * user_data.  free_fn is never called with NULL.  Give both functions, or
 * no allocator at all (NULL: malloc/free): every function that takes one
 * refuses half of one with NTSPOOL_ERR_INVALID_ARG.  When malloc_fn returns
 * NULL the call that needed it fails with NTSPOOL_ERR_NO_MEMORY and frees
 * what it took (a server session that has its TLS connection answers
 * Internal Server Error first), except where the memory was optional: a
 * pool then serves its client without that latency sample, or closes the
 * upstream connection instead of keeping it.  The TLS backend allocates
 * through its own hooks, not through this one (mbedTLS its platform calloc,
 * OpenSSL OPENSSL_malloc). */
typedef struct ntspool_allocator {
  void *(*malloc_fn)(size_t size, void *user_data);
  void (*free_fn)(void *ptr, void *user_data);
  void *user_data;
} ntspool_allocator;

/* Version of the library actually linked, "MAJOR.MINOR.PATCH".  Never fails. */
NTSPOOL_API const char *ntspool_version(void);

/* NTSPOOL_VERSION_NUM of the library actually linked.  Never fails. */
NTSPOOL_API unsigned ntspool_version_num(void);

/* The TLS backend the library was built with and the version it runs on,
 * "mbedtls 3.6.4" (the default) or "openssl 3.0.19" (make TLS=openssl); a
 * static string.  The API and every TLS property are the same on both;
 * the backend decides speed and what the library links.  Never fails. */
NTSPOOL_API const char *ntspool_tls_backend(void);

/* A static English sentence for a status code (unknown codes included).
 * Never returns NULL. */
NTSPOOL_API const char *ntspool_strerror(int status);

/* The NTS-KE Error code a server sends when handling a request failed with
 * `status`: NTSPOOL_ERR_UNKNOWN_CRITICAL -> 0, NTSPOOL_ERR_BAD_REQUEST and
 * NTSPOOL_ERR_MALFORMED -> 1, anything else -> 2 (Internal Server Error). */
NTSPOOL_API uint16_t ntspool_nts_error_for(int status);

/* Key length in bytes of a registered AEAD ID (15 -> 32, 16 -> 48, 17 -> 64,
 * 30 -> 16, 31 -> 32), or 0 if the ID is not known. */
NTSPOOL_API size_t ntspool_aead_key_length(uint16_t aead);

/* ---- Names for logs and metrics ---------------------------------------- */

/* The name of a status code: its enumerator without the NTSPOOL_ prefix,
 * "OK", "ERR_NO_MEMORY", "ERR_TLS" ... (as ngtcp2_strerror names its
 * codes), for logs and metric labels that must not change with the
 * wording of ntspool_strerror.  Every code of enum ntspool_status has its
 * own name; any other value gives "UNKNOWN".  A static string.  Never
 * fails. */
NTSPOOL_API const char *ntspool_status_name(int status);

/* The TLS backend's own text for one of its raw codes (ntspool_outcome's
 * tls_error), "no error" for 0: mbedTLS's mbedtls_strerror or OpenSSL's
 * ERR_error_string_n.  Writes at most len bytes into buf, always
 * NUL-terminated when len > 0, and returns buf (NULL or len 0: buf,
 * untouched).  ntspool_session_tls_error() adds the certificate
 * verification reasons of a session's own connection.  Never fails. */
NTSPOOL_API const char *ntspool_tls_error_text(int raw_error, char *buf,
                                               size_t len);

/* ---- Configuration values ------------------------------------------------
 * Every configuration setter (ntspool_ctx_set, ntspool_policy_set) reports a
 * failure as one line "[section] key: reason" (ntspool_ctx_error,
 * ntspool_policy_config_error) and as one of these kinds
 * (ntspool_ctx_error_kind, ntspool_policy_config_error_kind), so a program
 * can act on the kind without reading the sentence.  The sentence never
 * repeats the value (it may be a secret). */
enum ntspool_config_error {
  NTSPOOL_CONFIG_OK = 0,              /* the last call succeeded */
  NTSPOOL_CONFIG_UNKNOWN_SECTION = 1, /* no such section for this role */
  NTSPOOL_CONFIG_UNKNOWN_KEY = 2,     /* the section has no such key */
  NTSPOOL_CONFIG_BAD_VALUE = 3,       /* the value breaks the key's rule */
  NTSPOOL_CONFIG_REPEATED = 4,        /* a key that is not a list, again */
  NTSPOOL_CONFIG_FILE = 5,            /* a file it names cannot be used */
  NTSPOOL_CONFIG_INCOMPLETE = 6, /* ready/commit: keys missing or at odds */
  NTSPOOL_CONFIG_OTHER = 7       /* memory, state, a TLS library failure */
};

/* Configuration text, as every setter reads it, for programs that read
 * keys of their own in the same file (so `True` means the same there).
 * A decimal integer in [min, max] with nothing around it; true/yes/on/1 or
 * false/no/off/0 in any case.  Return 0, or NTSPOOL_ERR_CONFIG (out
 * untouched). */
NTSPOOL_API int ntspool_parse_uint(const char *value, uint64_t min,
                                   uint64_t max, uint64_t *out);
NTSPOOL_API int ntspool_parse_bool(const char *value, bool *out);

/* The rule every secret file the library reads is held to, for a secret
 * file read by someone else (a TLS library's private key, a program's own
 * secrets): it must be a regular file; one that others, or a group the
 * process is not in, can read, or that its group can write, gets a warning
 * in warn ("" when none).  The library itself refuses token and
 * base-secret files others can read; this check only warns about them.
 * Returns: 0 (see warn); NTSPOOL_ERR_NOT_FOUND (cannot open) or
 * NTSPOOL_ERR_CONFIG (not a regular file), with the reason in err. */
NTSPOOL_API int ntspool_secret_path_check(const char *path, char *err,
                                          size_t errlen, char *warn,
                                          size_t warnlen);

#ifdef __cplusplus
}
#endif
#endif
