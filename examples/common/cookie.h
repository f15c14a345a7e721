/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NTS cookies of the example time source.  A cookie is opaque to clients
 * and to the pool (doc/protocol.md section 3.7); only this server reads it
 * back, so the format is ours:
 *
 *   key id (2) || nonce (16) || AES-SIV(master[key id],
 *                                       AD = key id, nonce;
 *                                       aead id (2) || c2s || s2c)
 *
 * 100 bytes for AEAD 15, 132 for 16, 164 for 17: multiples of 4, so the
 * padding of an NTP extension field never changes a cookie.  Master keys
 * (AES-SIV-CMAC-256) rotate every `rotate_s` seconds; the newest `keep`
 * keys stay, so a cookie stays readable for about keep * rotate_s seconds
 * and keys that leak later cannot read older traffic.
 *
 * A jar is locked inside: the KE threads seal and the NTP thread opens and
 * seals at the same time.
 */
#ifndef EXAMPLES_COOKIE_H
#define EXAMPLES_COOKIE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define COOKIE_MAX_KEYS 16
#define COOKIE_MASTER_LEN 32
#define COOKIE_NONCE_LEN 16
#define COOKIE_OVERHEAD (2 + COOKIE_NONCE_LEN + 16 + 2)
/* Longest cookie: two 64-byte keys. */
#define COOKIE_MAX_LEN (COOKIE_OVERHEAD + 2 * 64)

typedef struct cookie_master {
  uint16_t id;
  int64_t created; /* seconds, caller's clock */
  uint8_t key[COOKIE_MASTER_LEN];
} cookie_master;

typedef struct cookie_jar {
  pthread_mutex_t lock;
  int64_t rotate_s;
  size_t keep;                         /* keys kept, newest included */
  size_t n;                            /* keys present, <= keep */
  size_t newest;                       /* index of the current key */
  cookie_master keys[COOKIE_MAX_KEYS]; /* ring */
} cookie_jar;

/* Starts a jar with one fresh random key made at `now`.  rotate_s >= 1,
 * 1 <= keep <= COOKIE_MAX_KEYS.  Returns 0 or -1. */
int cookie_jar_init(cookie_jar *j, int64_t now, int64_t rotate_s, size_t keep);

/* Wipes the keys and releases the lock. */
void cookie_jar_free(cookie_jar *j);

/* Makes one new key per rotate_s interval passed since the current key
 * was made; after a pause longer than keep * rotate_s it drops every old
 * key and makes one, so the kept window never spans more than that.  seal
 * and open call this themselves.  Returns how many keys were made,
 * or -1 if the random source failed (the old key stays in use). */
int cookie_jar_rotate(cookie_jar *j, int64_t now);

/* Seals keys of length key_len (32, 48 or 64) for `aead` under the current
 * key.  Returns the cookie length, or -1 (bad arguments, cap too small,
 * random or cipher failure). */
int cookie_seal(cookie_jar *j, int64_t now, uint16_t aead, const uint8_t *c2s,
                const uint8_t *s2c, size_t key_len, uint8_t *out, size_t cap);

/* Opens a cookie: finds its key by id among those kept and checks the
 * seal.  c2s and s2c need room for 64 bytes each.  Returns 0 with *aead and
 * *key_len set, or -1 for a cookie that is malformed, made under a key no
 * longer (or never) kept, or altered; the outputs are then wiped. */
int cookie_open(cookie_jar *j, int64_t now, const uint8_t *cookie, size_t len,
                uint16_t *aead, uint8_t *c2s, uint8_t *s2c, size_t *key_len);

#endif
