/* SPDX-License-Identifier: BSD-2-Clause */
/* Status codes as sentences, and their NTS-KE wire equivalents. */
#include "ntspool.h"

/* Every status code with its name (the enumerator without NTSPOOL_, as
 * ngtcp2_strerror names its codes) and its sentence.  Both lookups go
 * through this one table, so a new code cannot get one and miss the other. */
static const struct status_text {
  int status;
  const char *name;
  const char *text;
} statuses[] = {
    {NTSPOOL_OK, "OK", "Success."},
    {NTSPOOL_ERR_INVALID_ARG, "ERR_INVALID_ARG",
     "An argument was NULL or out of range."},
    {NTSPOOL_ERR_NO_MEMORY, "ERR_NO_MEMORY", "Out of memory."},
    {NTSPOOL_ERR_BUFFER_TOO_SMALL, "ERR_BUFFER_TOO_SMALL",
     "The output buffer is too small."},
    {NTSPOOL_ERR_NEED_MORE, "ERR_NEED_MORE",
     "The input ends inside a record or message."},
    {NTSPOOL_ERR_MALFORMED, "ERR_MALFORMED",
     "A record body does not have the length or content its type requires."},
    {NTSPOOL_ERR_TOO_LARGE, "ERR_TOO_LARGE",
     "The message is larger than the configured maximum."},
    {NTSPOOL_ERR_TRAILING_DATA, "ERR_TRAILING_DATA",
     "Data follows the End of Message record."},
    {NTSPOOL_ERR_BAD_REQUEST, "ERR_BAD_REQUEST",
     "The request is invalid (NTS-KE Bad Request)."},
    {NTSPOOL_ERR_UNKNOWN_CRITICAL, "ERR_UNKNOWN_CRITICAL",
     "The message contains an unrecognized critical record."},
    {NTSPOOL_ERR_BAD_RESPONSE, "ERR_BAD_RESPONSE",
     "The peer's response is invalid."},
    {NTSPOOL_ERR_PEER_ERROR, "ERR_PEER_ERROR",
     "The peer answered with an NTS-KE Error record."},
    {NTSPOOL_ERR_PEER_WARNING, "ERR_PEER_WARNING",
     "The peer answered with an NTS-KE Warning record."},
    {NTSPOOL_ERR_NO_PROTOCOL, "ERR_NO_PROTOCOL",
     "No next protocol in common with the peer."},
    {NTSPOOL_ERR_NO_AEAD, "ERR_NO_AEAD",
     "No AEAD algorithm in common with the peer."},
    {NTSPOOL_ERR_WOULD_BLOCK, "ERR_WOULD_BLOCK",
     "The operation would block; call again when I/O is possible."},
    {NTSPOOL_ERR_EOF, "ERR_EOF", "The peer closed the connection."},
    {NTSPOOL_ERR_IO, "ERR_IO", "The transport reported an error."},
    {NTSPOOL_ERR_TLS, "ERR_TLS", "The TLS layer reported an error."},
    {NTSPOOL_ERR_TIMEOUT, "ERR_TIMEOUT", "A deadline passed."},
    {NTSPOOL_ERR_CONFIG, "ERR_CONFIG",
     "A configuration key or value is invalid."},
    {NTSPOOL_ERR_NOT_FOUND, "ERR_NOT_FOUND", "No such object."},
    {NTSPOOL_ERR_AUTH, "ERR_AUTH", "Authentication failed."},
    {NTSPOOL_ERR_STATE, "ERR_STATE",
     "The call is not valid in the current state."},
    {NTSPOOL_ERR_NO_SOURCE, "ERR_NO_SOURCE", "No usable time source."},
    {NTSPOOL_ERR_UNSUPPORTED, "ERR_UNSUPPORTED",
     "Not supported by this build."},
    {NTSPOOL_ERR_CRYPTO, "ERR_CRYPTO", "A cryptographic operation failed."},
};

static const struct status_text *find_status(int status) {
  for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
    if (statuses[i].status == status)
      return &statuses[i];
  return NULL;
}

const char *ntspool_strerror(int status) {
  const struct status_text *s = find_status(status);
  return s ? s->text : "Unknown status code.";
}

const char *ntspool_status_name(int status) {
  const struct status_text *s = find_status(status);
  return s ? s->name : "UNKNOWN";
}

uint16_t ntspool_nts_error_for(int status) {
  switch (status) {
  case NTSPOOL_ERR_UNKNOWN_CRITICAL:
    return NTSPOOL_NTS_UNRECOGNIZED_CRITICAL;
  case NTSPOOL_ERR_BAD_REQUEST:
  case NTSPOOL_ERR_MALFORMED:
    return NTSPOOL_NTS_BAD_REQUEST;
  default:
    return NTSPOOL_NTS_INTERNAL_ERROR;
  }
}

size_t ntspool_aead_key_length(uint16_t aead) {
  switch (aead) {
  case NTSPOOL_AEAD_AES_SIV_CMAC_256:
    return 32;
  case NTSPOOL_AEAD_AES_SIV_CMAC_384:
    return 48;
  case NTSPOOL_AEAD_AES_SIV_CMAC_512:
    return 64;
  case NTSPOOL_AEAD_AES_128_GCM_SIV:
    return 16;
  case NTSPOOL_AEAD_AES_256_GCM_SIV:
    return 32;
  }
  return 0;
}
