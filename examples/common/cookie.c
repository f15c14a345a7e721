/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cookie sealing under rotating master keys (format in cookie.h).  The
 * lock is held while a master key is read, so rotation never hands a
 * half-written key to a concurrent seal or open.
 */
#include "cookie.h"

#include <string.h>

#include <mbedtls/platform_util.h>

#include "aes_siv.h"
#include "random.h"

int cookie_jar_init(cookie_jar *j, int64_t now, int64_t rotate_s, size_t keep) {
  memset(j, 0, sizeof *j);
  if (rotate_s < 1 || keep < 1 || keep > COOKIE_MAX_KEYS)
    return -1;
  uint16_t first_id;
  /* A random first id, so cookies from before a restart (under keys that
   * are gone) mostly miss by id instead of failing the seal check. */
  if (ex_random(&first_id, sizeof first_id) ||
      ex_random(j->keys[0].key, COOKIE_MASTER_LEN))
    return -1;
  if (pthread_mutex_init(&j->lock, NULL))
    return -1;
  j->rotate_s = rotate_s;
  j->keep = keep;
  j->n = 1;
  j->newest = 0;
  j->keys[0].id = first_id;
  j->keys[0].created = now;
  return 0;
}

void cookie_jar_free(cookie_jar *j) {
  pthread_mutex_destroy(&j->lock);
  mbedtls_platform_zeroize(j->keys, sizeof j->keys);
}

static int new_key(cookie_master *m, const cookie_master *cur,
                   int64_t created) {
  m->id = (uint16_t)(cur->id + 1);
  m->created = created;
  return ex_random(m->key, sizeof m->key);
}

static int rotate_locked(cookie_jar *j, int64_t now) {
  const cookie_master *cur = &j->keys[j->newest];
  cookie_master m;
  int made = 0;
  if (now - cur->created >= j->rotate_s * (int64_t)j->keep) {
    /* After a pause longer than the whole window every kept key is stale:
     * start over with one key dated now. */
    if (new_key(&m, cur, now))
      return -1;
    mbedtls_platform_zeroize(j->keys, sizeof j->keys);
    j->keys[0] = m;
    j->newest = 0;
    j->n = 1;
    made = 1;
  }
  /* Otherwise one key per interval passed (fewer than `keep`), each dated
   * when it was due, so rotation does not drift with the traffic. */
  while (now - j->keys[j->newest].created >= j->rotate_s) {
    cur = &j->keys[j->newest];
    if (new_key(&m, cur, cur->created + j->rotate_s))
      return made ? made : -1;
    j->newest = (j->newest + 1) % j->keep;
    j->keys[j->newest] = m;
    if (j->n < j->keep)
      j->n++;
    made++;
  }
  mbedtls_platform_zeroize(&m, sizeof m);
  return made;
}

int cookie_jar_rotate(cookie_jar *j, int64_t now) {
  pthread_mutex_lock(&j->lock);
  int rc = rotate_locked(j, now);
  pthread_mutex_unlock(&j->lock);
  return rc;
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

int cookie_seal(cookie_jar *j, int64_t now, uint16_t aead, const uint8_t *c2s,
                const uint8_t *s2c, size_t key_len, uint8_t *out, size_t cap) {
  uint8_t pt[2 + 2 * 64];
  size_t pt_len = 2 + 2 * key_len;
  if (aes_siv_key_len(aead) != key_len || cap < COOKIE_OVERHEAD + 2 * key_len)
    return -1;
  put16(pt, aead);
  memcpy(pt + 2, c2s, key_len);
  memcpy(pt + 2 + key_len, s2c, key_len);

  int rc = -1;
  pthread_mutex_lock(&j->lock);
  rotate_locked(j, now);
  const cookie_master *m = &j->keys[j->newest];
  put16(out, m->id);
  if (ex_random(out + 2, COOKIE_NONCE_LEN) == 0) {
    aes_siv_ad ad[2] = {{out, 2}, {out + 2, COOKIE_NONCE_LEN}};
    rc = aes_siv_encrypt(m->key, COOKIE_MASTER_LEN, ad, 2, pt, pt_len,
                         out + 2 + COOKIE_NONCE_LEN);
  }
  pthread_mutex_unlock(&j->lock);
  mbedtls_platform_zeroize(pt, sizeof pt);
  return rc ? -1 : (int)(COOKIE_OVERHEAD + 2 * key_len);
}

int cookie_open(cookie_jar *j, int64_t now, const uint8_t *cookie, size_t len,
                uint16_t *aead, uint8_t *c2s, uint8_t *s2c, size_t *key_len) {
  uint8_t pt[2 + 2 * 64];
  size_t keys_len = len > COOKIE_OVERHEAD ? len - COOKIE_OVERHEAD : 0;
  *key_len = 0;
  if (len > COOKIE_MAX_LEN || keys_len == 0 || keys_len % 2 ||
      !aes_siv_key_len_ok(keys_len / 2))
    return -1;
  uint16_t id = (uint16_t)(cookie[0] << 8 | cookie[1]);

  int rc = -1;
  pthread_mutex_lock(&j->lock);
  rotate_locked(j, now);
  for (size_t i = 0; i < j->n; i++) {
    const cookie_master *m = &j->keys[i];
    if (m->id != id)
      continue;
    aes_siv_ad ad[2] = {{cookie, 2}, {cookie + 2, COOKIE_NONCE_LEN}};
    rc = aes_siv_decrypt(m->key, COOKIE_MASTER_LEN, ad, 2,
                         cookie + 2 + COOKIE_NONCE_LEN,
                         len - 2 - COOKIE_NONCE_LEN, pt);
    break;
  }
  pthread_mutex_unlock(&j->lock);

  size_t kl = keys_len / 2;
  if (rc == 0) {
    *aead = (uint16_t)(pt[0] << 8 | pt[1]);
    /* The sealed AEAD must be one whose keys have this length. */
    if (aes_siv_key_len(*aead) != kl)
      rc = -1;
  }
  if (rc == 0) {
    memcpy(c2s, pt + 2, kl);
    memcpy(s2c, pt + 2 + kl, kl);
    *key_len = kl;
  } else {
    mbedtls_platform_zeroize(c2s, 64);
    mbedtls_platform_zeroize(s2c, 64);
  }
  mbedtls_platform_zeroize(pt, sizeof pt);
  return rc ? -1 : 0;
}
