/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The mbedTLS features libntspool cannot work without, checked when the
 * library is compiled so that a wrong mbedTLS stops the build with a sentence
 * instead of failing a handshake at run time.  Part of the TLS module: the
 * only files that include mbedTLS headers are tls_*.c.
 */
#include <mbedtls/build_info.h>

#include "base/internal.h"

#if !defined(MBEDTLS_VERSION_NUMBER) || MBEDTLS_VERSION_NUMBER < 0x03060400
#error "libntspool needs mbedTLS >= 3.6.4 (run .ci/install-deps)"
#endif
#if MBEDTLS_VERSION_NUMBER >= 0x04000000
#error "libntspool needs mbedTLS 3.6.x; 4.x changed the API"
#endif
#ifndef MBEDTLS_SSL_PROTO_TLS1_3
#error "mbedTLS was built without TLS 1.3 (MBEDTLS_SSL_PROTO_TLS1_3)"
#endif
#ifndef MBEDTLS_SSL_ALPN
#error "mbedTLS was built without ALPN (MBEDTLS_SSL_ALPN)"
#endif
#ifndef MBEDTLS_SSL_KEYING_MATERIAL_EXPORT
#error "mbedTLS was built without MBEDTLS_SSL_KEYING_MATERIAL_EXPORT"
#endif
#ifndef MBEDTLS_SSL_SERVER_NAME_INDICATION
#error "mbedTLS was built without SNI (MBEDTLS_SSL_SERVER_NAME_INDICATION)"
#endif
#ifndef MBEDTLS_SHA3_C
#error "mbedTLS was built without SHA3 (needed for pool token derivation)"
#endif

const char *ntspool_tls_backend(void) {
  return "mbedtls " MBEDTLS_VERSION_STRING;
}
