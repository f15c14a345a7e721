/* SPDX-License-Identifier: BSD-2-Clause */
/* Status codes as sentences, and their NTS-KE wire equivalents. */
#include "ntspool.h"

const char *ntspool_strerror(int status) {
  switch (status) {
  case NTSPOOL_OK:
    return "Success.";
  case NTSPOOL_ERR_INVALID_ARG:
    return "An argument was NULL or out of range.";
  case NTSPOOL_ERR_NO_MEMORY:
    return "Out of memory.";
  case NTSPOOL_ERR_BUFFER_TOO_SMALL:
    return "The output buffer is too small.";
  case NTSPOOL_ERR_NEED_MORE:
    return "The input ends inside a record or message.";
  case NTSPOOL_ERR_MALFORMED:
    return "A record body does not have the length or content its type "
           "requires.";
  case NTSPOOL_ERR_TOO_LARGE:
    return "The message is larger than the configured maximum.";
  case NTSPOOL_ERR_TRAILING_DATA:
    return "Data follows the End of Message record.";
  case NTSPOOL_ERR_BAD_REQUEST:
    return "The request is invalid (NTS-KE Bad Request).";
  case NTSPOOL_ERR_UNKNOWN_CRITICAL:
    return "The message contains an unrecognized critical record.";
  case NTSPOOL_ERR_BAD_RESPONSE:
    return "The peer's response is invalid.";
  case NTSPOOL_ERR_PEER_ERROR:
    return "The peer answered with an NTS-KE Error record.";
  case NTSPOOL_ERR_PEER_WARNING:
    return "The peer answered with an NTS-KE Warning record.";
  case NTSPOOL_ERR_NO_PROTOCOL:
    return "No next protocol in common with the peer.";
  case NTSPOOL_ERR_NO_AEAD:
    return "No AEAD algorithm in common with the peer.";
  case NTSPOOL_ERR_WOULD_BLOCK:
    return "The operation would block; call again when I/O is possible.";
  case NTSPOOL_ERR_EOF:
    return "The peer closed the connection.";
  case NTSPOOL_ERR_IO:
    return "The transport reported an error.";
  case NTSPOOL_ERR_TLS:
    return "The TLS layer reported an error.";
  case NTSPOOL_ERR_TIMEOUT:
    return "A deadline passed.";
  case NTSPOOL_ERR_CONFIG:
    return "A configuration key or value is invalid.";
  case NTSPOOL_ERR_NOT_FOUND:
    return "No such object.";
  case NTSPOOL_ERR_AUTH:
    return "Authentication failed.";
  case NTSPOOL_ERR_STATE:
    return "The call is not valid in the current state.";
  case NTSPOOL_ERR_NO_SOURCE:
    return "No usable time source.";
  case NTSPOOL_ERR_UNSUPPORTED:
    return "Not supported by this build.";
  case NTSPOOL_ERR_CRYPTO:
    return "A cryptographic operation failed.";
  }
  return "Unknown status code.";
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
