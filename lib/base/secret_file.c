/* SPDX-License-Identifier: BSD-2-Clause */
/* Files the library reads (settings.h): secret files (token files, the
 * base shared secret, the time source's accepted tokens) and the
 * permission rule every secret file (private keys included) is held to;
 * the TLS backends' certificate and key files. */
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

/* Reads the regular file open on fd (of st_size bytes by fstat, at most
 * max) into a NUL-terminated buffer; free with ntspool_free_secret(a,
 * *out, *len).  Closes fd. */
static int read_fd(const ntspool_allocator *a, int fd, const char *path,
                   size_t max, char **out, size_t *len, char *err,
                   size_t errlen, int *sys_err) {
  struct stat st;
  int rc = NTSPOOL_ERR_CONFIG;
  char *buf = NULL;
  size_t have = 0, cap = 0;
  *sys_err = EFBIG;
  if (fstat(fd, &st) != 0 || st.st_size < 0 || (uint64_t)st.st_size > max) {
    snprintf(err, errlen, "%s is larger than %zu bytes", path, max);
    goto done;
  }
  /* One byte more than fstat said, so a file that grew is noticed. */
  cap = (size_t)st.st_size + 2;
  buf = ntspool_malloc(a, cap);
  if (buf == NULL) {
    snprintf(err, errlen, "out of memory reading %s", path);
    *sys_err = ENOMEM;
    rc = NTSPOOL_ERR_NO_MEMORY;
    goto done;
  }
  for (;;) {
    ssize_t n = read(fd, buf + have, cap - 1 - have);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      *sys_err = errno;
      snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
      goto done;
    }
    if (n == 0)
      break;
    have += (size_t)n;
    if (have == cap - 1) {
      snprintf(err, errlen, "%s changed while it was read", path);
      *sys_err = EIO;
      goto done;
    }
  }
  buf[have] = '\0';
  *out = buf;
  *len = have;
  buf = NULL;
  *sys_err = 0;
  rc = 0;
done:
  if (buf != NULL)
    ntspool_free_secret(a, buf, cap);
  close(fd);
  return rc;
}

int ntspool_secret_file_read(const ntspool_allocator *a, const char *path,
                             char **out, size_t *len, char *err, size_t errlen,
                             char *warn, size_t warnlen) {
  int fd = open_secret(path, err, errlen, warn, warnlen);
  if (fd < 0)
    return NTSPOOL_ERR_NOT_FOUND;
  int rc = ntspool_secret_file_check(fd, path, err, errlen, warn, warnlen);
  if (rc != 0) {
    close(fd);
    return rc;
  }
  int sys_err;
  return read_fd(a, fd, path, SECRET_FILE_MAX, out, len, err, errlen, &sys_err);
}

int ntspool_file_read(const ntspool_allocator *a, const char *path, size_t max,
                      char **out, size_t *len, int *sys_err) {
  char err[8];
  /* O_NONBLOCK: a FIFO named by mistake must not hang the load. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    *sys_err = errno;
    return NTSPOOL_ERR_NOT_FOUND;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    *sys_err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
    close(fd);
    return NTSPOOL_ERR_CONFIG;
  }
  return read_fd(a, fd, path, max, out, len, err, sizeof err, sys_err);
}
