/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool client's book of held sources (poolclient.h).  Server names are
 * compared as DNS names: without regard to ASCII case and to one trailing
 * dot, so "Time.Example." and "time.example" are one server.
 */
#include <string.h>

#include "base/internal.h"
#include "ntspool/message.h"
#include "ntspool/poolclient.h"

struct ntspool_poolclient {
  ntspool_allocator alloc;
  size_t wanted, held;
  char names[NTSPOOL_MAX_DENIED][256];
};

static size_t name_len(const char *s) {
  size_t n = strlen(s);
  return n > 1 && s[n - 1] == '.' ? n - 1 : n;
}

static bool same_name(const char *a, const char *b) {
  size_t n = name_len(a);
  if (n != name_len(b))
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if ((x >= 'A' && x <= 'Z' ? x + 32 : x) !=
        (y >= 'A' && y <= 'Z' ? y + 32 : y))
      return false;
  }
  return true;
}

static int find(const ntspool_poolclient *pc, const char *server) {
  for (size_t i = 0; i < pc->held; i++)
    if (same_name(pc->names[i], server))
      return (int)i;
  return -1;
}

static bool valid_name(const char *s) {
  return s && *s && strlen(s) < sizeof((ntspool_poolclient *)0)->names[0];
}

int ntspool_poolclient_new(size_t wanted, const ntspool_allocator *allocator,
                           ntspool_poolclient **out) {
  if (!out || wanted == 0 || wanted > NTSPOOL_MAX_DENIED ||
      !ntspool_allocator_valid(allocator))
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_allocator a = ntspool_allocator_or_default(allocator);
  ntspool_poolclient *pc = ntspool_calloc(&a, sizeof *pc);
  if (!pc)
    return NTSPOOL_ERR_NO_MEMORY;
  pc->alloc = a;
  pc->wanted = wanted;
  *out = pc;
  return 0;
}

void ntspool_poolclient_free(ntspool_poolclient *pc) {
  if (pc) {
    ntspool_allocator a = pc->alloc;
    ntspool_free(&a, pc);
  }
}

size_t ntspool_poolclient_missing(const ntspool_poolclient *pc) {
  return pc && pc->held < pc->wanted ? pc->wanted - pc->held : 0;
}

size_t ntspool_poolclient_denied(const ntspool_poolclient *pc,
                                 const char **names, size_t max) {
  size_t n = 0;
  for (; pc && names && n < pc->held && n < max; n++)
    names[n] = pc->names[n];
  return n;
}

int ntspool_poolclient_offer(ntspool_poolclient *pc, const char *server) {
  if (!pc || !valid_name(server))
    return NTSPOOL_ERR_INVALID_ARG;
  if (pc->held == pc->wanted || find(pc, server) >= 0)
    return 0;
  memcpy(pc->names[pc->held++], server, strlen(server) + 1);
  return 1;
}

int ntspool_poolclient_remove(ntspool_poolclient *pc, const char *server) {
  if (!pc || !valid_name(server))
    return NTSPOOL_ERR_INVALID_ARG;
  int i = find(pc, server);
  if (i < 0)
    return NTSPOOL_ERR_NOT_FOUND;
  /* Keep the rest in the order they were found. */
  memmove(pc->names[i], pc->names[i + 1],
          (pc->held - (size_t)i - 1) * sizeof pc->names[0]);
  pc->held--;
  return 0;
}
