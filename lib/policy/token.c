/* SPDX-License-Identifier: BSD-2-Clause */
/* Upstream authentication tokens: the running NTS pool's derivation and the
 * secret files they come from. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crypto.h"
#include "policy/policy_internal.h"

/* Large enough for any token or base-secret file; a bigger one is a wrong
 * path, not a secret. */
#define SECRET_FILE_MAX 65536

int ntspool_token_derive(const void *secret, size_t secret_len,
                         const char *uuid, const char *randomizer,
                         char out[65]) {
  if ((secret == NULL && secret_len > 0) || uuid == NULL ||
      randomizer == NULL || out == NULL)
    return NTSPOOL_ERR_INVALID_ARG;
  const void *parts[3] = {secret, uuid, randomizer};
  size_t lens[3] = {secret_len, strlen(uuid), strlen(randomizer)};
  uint8_t digest[32];
  int rc = ntspool_sha3_256_parts(parts, lens, 3, digest);
  if (rc == 0) {
    /* Zero-padded lowercase hex: nts-pool before f23f391 space-padded bytes
     * below 0x10, which time sources no longer accept. */
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < 32; i++) {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[64] = '\0';
  }
  ntspool_zeroize(digest, sizeof digest);
  return rc;
}

static bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

/* Counts the trimmed non-empty lines of text; with `found`, stops at line
 * number stop_at and points found at it. */
static size_t each_line(const char *text, size_t len, size_t stop_at,
                        ntspool_bytes *found) {
  size_t count = 0, pos = 0;
  while (pos < len) {
    size_t end = pos;
    while (end < len && text[end] != '\n')
      end++;
    size_t a = pos, b = end;
    while (a < b && is_space(text[a]))
      a++;
    while (b > a && is_space(text[b - 1]))
      b--;
    if (b > a) {
      if (count == stop_at && found != NULL) {
        found->data = (const uint8_t *)text + a;
        found->len = b - a;
        return count + 1;
      }
      count++;
    }
    pos = end + 1;
  }
  return count;
}

int ntspool_secret_line(const char *text, size_t len, size_t index,
                        ntspool_bytes *out) {
  ntspool_bytes found = {NULL, 0};
  each_line(text, len, index, &found);
  if (found.data == NULL)
    return NTSPOOL_ERR_NOT_FOUND;
  *out = found;
  return 0;
}

size_t ntspool_secret_line_count(const char *text, size_t len) {
  return each_line(text, len, (size_t)-1, NULL);
}

int ntspool_secret_file_read(const ntspool_allocator *a, const char *path,
                             char **out, size_t *len, char *err,
                             size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return NTSPOOL_ERR_CONFIG;
  }
  struct stat st;
  int rc = NTSPOOL_ERR_CONFIG;
  char *buf = NULL;
  size_t have = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s is not a regular file", path);
    goto done;
  }
  /* A secret others can read is a leaked secret; refuse it the way ssh
   * refuses an open private key, and say how to fix it. */
  if (st.st_mode & S_IROTH) {
    snprintf(err, errlen,
             "%s is readable by others (mode %04o): chmod o-r it; from a "
             "Kubernetes Secret volume, set defaultMode: 0400 (or 0440 "
             "with the pod's fsGroup set to the service's group)",
             path, (unsigned)(st.st_mode & 07777));
    goto done;
  }
  if (st.st_size > SECRET_FILE_MAX) {
    snprintf(err, errlen, "%s is larger than %d bytes", path, SECRET_FILE_MAX);
    goto done;
  }
  /* One byte more than the limit, so growth since fstat is noticed. */
  buf = ntspool_malloc(a, SECRET_FILE_MAX + 2);
  if (buf == NULL) {
    snprintf(err, errlen, "out of memory reading %s", path);
    rc = NTSPOOL_ERR_NO_MEMORY;
    goto done;
  }
  for (;;) {
    ssize_t n = read(fd, buf + have, SECRET_FILE_MAX + 1 - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
      goto done;
    }
    if (n == 0)
      break;
    have += (size_t)n;
    if (have > SECRET_FILE_MAX) {
      snprintf(err, errlen, "%s is larger than %d bytes", path,
               SECRET_FILE_MAX);
      goto done;
    }
  }
  /* Keep only what the file held, not the 64 KiB read buffer. */
  char *copy = ntspool_malloc(a, have + 1);
  if (copy == NULL) {
    snprintf(err, errlen, "out of memory reading %s", path);
    rc = NTSPOOL_ERR_NO_MEMORY;
    goto done;
  }
  memcpy(copy, buf, have);
  copy[have] = '\0';
  *out = copy;
  *len = have;
  rc = 0;
done:
  if (buf != NULL)
    ntspool_free_secret(a, buf, have);
  close(fd);
  return rc;
}
