/*
 * Internal declarations shared by the library's files.  Nothing here is
 * exported from the shared library (-fvisibility=hidden); the tests reach
 * these symbols through the static library.
 */
#ifndef NTSPOOL_INTERNAL_H
#define NTSPOOL_INTERNAL_H

#include "ntspool.h"

/* "mbedTLS 3.6.6": the TLS backend compiled in. */
const char *ntspool_tls_backend_name(void);

#endif
