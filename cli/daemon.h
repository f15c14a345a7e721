/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The [daemon] section: the pid file and the switch to an unprivileged
 * user and group after the sockets are bound.
 */
#ifndef NTS_POOL_KE_DAEMON_H
#define NTS_POOL_KE_DAEMON_H

#include <stddef.h>

/* Writes getpid() and a newline to `path` (replacing it).
 * Returns 0, or -1 with errno. */
int nts_pool_ke_write_pid_file(const char *path);

/* Switches to `user` (its primary group unless `group` is given) with
 * only that group as supplementary group.  Either may be "" (keep).
 * Returns 0, or -1 with a sentence in err. */
int nts_pool_ke_drop_privileges(const char *user, const char *group, char *err,
                                size_t err_len);

#endif
