/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Per-address connection counts (addr_limit.h).  A plain array of one
 * slot per worker: at most that many connections are counted at once, so
 * it never fills, and a scan of a few hundred 16-byte slots under one
 * mutex costs far less than the TLS handshake that follows.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr_limit.h"

typedef struct slot {
  uint8_t key[9]; /* family byte, then 4 (IPv4) or 8 (IPv6 /64) bytes */
  unsigned count; /* 0: free */
} slot;

static struct {
  pthread_mutex_t lock;
  slot *slots;
  unsigned n;
} table = {.lock = PTHREAD_MUTEX_INITIALIZER};

int nts_pool_ke_addr_limit_init(unsigned slots) {
  table.slots = calloc(slots, sizeof *table.slots);
  table.n = table.slots ? slots : 0;
  return table.slots ? 0 : -1;
}

void nts_pool_ke_addr_limit_free(void) {
  free(table.slots);
  table.slots = NULL;
  table.n = 0;
}

/* The key sa counts under; false for a family without one. */
static bool key_of(const struct sockaddr *sa, uint8_t key[9]) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  memset(key, 0, 9);
  if (sa->sa_family == AF_INET) {
    key[0] = 4;
    memcpy(key + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    return true;
  }
  if (sa->sa_family != AF_INET6)
    return false;
  const uint8_t *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
  if (memcmp(a, mapped, sizeof mapped) == 0) {
    key[0] = 4;
    memcpy(key + 1, a + 12, 4);
  } else {
    key[0] = 6;
    memcpy(key + 1, a, 8); /* the /64 */
  }
  return true;
}

bool nts_pool_ke_addr_limit_take(const struct sockaddr *sa, unsigned cap) {
  uint8_t key[9];
  if (!key_of(sa, key))
    return true; /* not an IP client: nothing to count it by */
  pthread_mutex_lock(&table.lock);
  slot *same = NULL, *free_slot = NULL;
  for (unsigned i = 0; i < table.n && !same; i++) {
    if (table.slots[i].count == 0) {
      if (!free_slot)
        free_slot = &table.slots[i];
    } else if (memcmp(table.slots[i].key, key, sizeof key) == 0) {
      same = &table.slots[i];
    }
  }
  bool ok = true;
  if (same && same->count >= cap) {
    ok = false;
  } else if (same) {
    same->count++;
  } else if (free_slot && cap > 0) {
    memcpy(free_slot->key, key, sizeof key);
    free_slot->count = 1;
  } else {
    ok = false; /* cannot happen: one slot per worker */
  }
  pthread_mutex_unlock(&table.lock);
  return ok;
}

void nts_pool_ke_addr_limit_release(const struct sockaddr *sa) {
  uint8_t key[9];
  if (!key_of(sa, key))
    return;
  pthread_mutex_lock(&table.lock);
  for (unsigned i = 0; i < table.n; i++)
    if (table.slots[i].count > 0 &&
        memcmp(table.slots[i].key, key, sizeof key) == 0) {
      table.slots[i].count--;
      break;
    }
  pthread_mutex_unlock(&table.lock);
}
