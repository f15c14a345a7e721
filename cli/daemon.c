/* SPDX-License-Identifier: BSD-2-Clause */
/* Pid file and privileges (daemon.h). */
#define _DEFAULT_SOURCE /* setgroups() */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

int nts_pool_ke_write_pid_file(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
  ssize_t w = write(fd, buf, (size_t)n);
  int e = errno;
  close(fd);
  if (w != n) {
    errno = w < 0 ? e : EIO;
    return -1;
  }
  return 0;
}

int nts_pool_ke_drop_privileges(const char *user, const char *group, char *err,
                                size_t err_len) {
  if (!*user && !*group)
    return 0;
  uid_t uid = geteuid();
  gid_t gid = getegid();
  if (*user) {
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
      snprintf(err, err_len, "[daemon] user %s: no such user", user);
      return -1;
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
  }
  if (*group) {
    errno = 0;
    struct group *gr = getgrnam(group);
    if (!gr) {
      snprintf(err, err_len, "[daemon] group %s: no such group", group);
      return -1;
    }
    gid = gr->gr_gid;
  }
  /* Group first: after setuid() the right to change it is gone.  The
   * supplementary groups are root's until replaced. */
  if (geteuid() == 0 && setgroups(1, &gid) != 0) {
    snprintf(err, err_len, "setgroups: %s", strerror(errno));
    return -1;
  }
  if (setgid(gid) != 0) {
    snprintf(err, err_len, "cannot switch to group %u: %s", (unsigned)gid,
             strerror(errno));
    return -1;
  }
  if (setuid(uid) != 0) {
    snprintf(err, err_len, "cannot switch to user %u: %s", (unsigned)uid,
             strerror(errno));
    return -1;
  }
  /* A process that could get root back has not dropped anything. */
  if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
    snprintf(err, err_len, "still able to regain root after setuid");
    return -1;
  }
  return 0;
}
