/* SPDX-License-Identifier: BSD-2-Clause */
/* Secret files (settings.h): token files, the base shared secret, the
 * time source's accepted tokens, and the permission rule every secret file
 * (private keys included) is held to. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/settings.h"

/* Large enough for any token or base-secret file; a bigger one is a wrong
 * path, not a secret. */
#define SECRET_FILE_MAX 65536

/* Whether the process is in group gid (a file readable by its own group
 * only is how a Kubernetes Secret with fsGroup is meant to be read). */
static bool in_group(gid_t gid) {
  if (gid == getegid())
    return true;
  gid_t groups[256];
  int n = getgroups(256, groups);
  for (int i = 0; i < n; i++)
    if (groups[i] == gid)
      return true;
  return false;
}

int ntspool_secret_file_check(int fd, const char *path, char *err,
                              size_t errlen, char *warn, size_t warnlen) {
  struct stat st;
  if (warnlen > 0)
    warn[0] = '\0';
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, errlen, "%s is not a regular file", path);
    return NTSPOOL_ERR_CONFIG;
  }
  unsigned mode = (unsigned)(st.st_mode & 07777);
  if ((st.st_mode & 077) &&
      ((st.st_mode & 007) || (st.st_mode & S_IWGRP) || !in_group(st.st_gid)))
    snprintf(warn, warnlen,
             "secret file %s is readable by group or others (mode %04o); "
             "chmod 600 it",
             path, mode);
  /* A secret others can read is a leaked secret; refuse it the way ssh
   * refuses an open private key, and say how to fix it. */
  if (st.st_mode & S_IROTH) {
    snprintf(err, errlen,
             "%s is readable by others (mode %04o): chmod o-r it; from a "
             "Kubernetes Secret volume, set defaultMode: 0400 (or 0440 "
             "with the pod's fsGroup set to the service's group)",
             path, mode);
    return NTSPOOL_ERR_CONFIG;
  }
  return 0;
}

/* Opens a secret file (warn emptied), or writes why not into err and
 * returns -1.  O_NONBLOCK: a FIFO named by mistake must not hang the
 * load. */
static int open_secret(const char *path, char *err, size_t errlen, char *warn,
                       size_t warnlen) {
  if (warnlen > 0)
    warn[0] = '\0';
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
  return fd;
}

/* Private keys are read by the TLS library; an open one draws the warning
 * but is not refused (a refusal would stop deployments that work today). */
int ntspool_secret_path_check(const char *path, char *err, size_t errlen,
                              char *warn, size_t warnlen) {
  int fd = open_secret(path, err, errlen, warn, warnlen);
  if (fd < 0)
    return NTSPOOL_ERR_NOT_FOUND;
  int rc = ntspool_secret_file_check(fd, path, err, errlen, warn, warnlen);
  close(fd);
  return rc != 0 && warnlen > 0 && warn[0] != '\0' ? 0 : rc;
}

int ntspool_secret_file_read(const ntspool_allocator *a, const char *path,
                             char **out, size_t *len, char *err, size_t errlen,
                             char *warn, size_t warnlen) {
  int fd = open_secret(path, err, errlen, warn, warnlen);
  if (fd < 0)
    return NTSPOOL_ERR_NOT_FOUND;
  struct stat st;
  char *buf = NULL;
  size_t have = 0;
  int rc = ntspool_secret_file_check(fd, path, err, errlen, warn, warnlen);
  if (rc != 0)
    goto done;
  rc = NTSPOOL_ERR_CONFIG;
  if (fstat(fd, &st) != 0 || st.st_size > SECRET_FILE_MAX) {
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
