/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libntspool pool client: keeping N distinct time sources from one NTS
 * pool, as ntpd-rs's nts-pool source does.  A daemon that wants, say, four
 * sources from a pool runs key exchanges with it one at a time
 * (ntspool_session_new_client); this small object says what each one should
 * deny and what to make of its answer:
 *
 *   ntspool_poolclient_new(4, NULL, &pc);
 *   while (ntspool_poolclient_missing(pc) > 0) {
 *     const char *deny[NTSPOOL_MAX_DENIED];
 *     size_t n = ntspool_poolclient_denied(pc, deny, NTSPOOL_MAX_DENIED);
 *     ... key exchange denying deny[0..n), result in res ...
 *     if (ntspool_poolclient_offer(pc, res.server) != 1)
 *       break;  // the pool named a server we have: it has nothing new
 *     ... start an NTS source for res ...
 *   }
 *   ... later, a source is lost (unreachable, NTS NAK, no cookies left):
 *   ntspool_poolclient_remove(pc, server);   // the loop above refills it
 *
 * It only keeps names: no clock, no socket, no allocation after
 * ntspool_poolclient_new.  When to retry after a refusal, and how to pace
 * the pool, stays the daemon's call.  One thread at a time per object.
 */
#ifndef NTSPOOL_POOLCLIENT_H
#define NTSPOOL_POOLCLIENT_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ntspool_poolclient ntspool_poolclient;

/* A pool client that wants `wanted` distinct sources (1 to
 * NTSPOOL_MAX_DENIED, the most Server Deny records a client sends).  The
 * allocator is copied (NULL: malloc/free).  The caller owns *out.
 * Returns: 0; NTSPOOL_ERR_INVALID_ARG (out NULL, wanted out of range, an
 * allocator with a NULL function); NTSPOOL_ERR_NO_MEMORY. */
NTSPOOL_API int ntspool_poolclient_new(size_t wanted,
                                       const ntspool_allocator *allocator,
                                       ntspool_poolclient **out);

/* Frees it.  NULL is ignored. */
NTSPOOL_API void ntspool_poolclient_free(ntspool_poolclient *pc);

/* How many more sources it wants: `wanted` minus the ones it holds.
 * 0 for NULL. */
NTSPOOL_API size_t ntspool_poolclient_missing(const ntspool_poolclient *pc);

/* The names the next key exchange denies: every server it holds.  Fills
 * names[0..n) with up to `max` pointers, valid until the next offer,
 * remove or free, and returns n (0 for NULL). */
NTSPOOL_API size_t ntspool_poolclient_denied(const ntspool_poolclient *pc,
                                             const char **names, size_t max);

/* Offers the server a key exchange named (ntspool_ke_result.server).
 * Returns 1 when it is new and wanted: it is held (and denied) from now
 * on; 0 when it is refused: a server already held (the pool had no other,
 * or ignored the deny), or none is missing; NTSPOOL_ERR_INVALID_ARG (NULL,
 * an empty name, or one longer than 255 bytes). */
NTSPOOL_API int ntspool_poolclient_offer(ntspool_poolclient *pc,
                                         const char *server);

/* Forgets a server it held (the source was lost), so a later key
 * exchange replaces it.
 * Returns: 0; NTSPOOL_ERR_NOT_FOUND; NTSPOOL_ERR_INVALID_ARG. */
NTSPOOL_API int ntspool_poolclient_remove(ntspool_poolclient *pc,
                                          const char *server);

#ifdef __cplusplus
}
#endif
#endif
