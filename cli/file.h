/* SPDX-License-Identifier: BSD-2-Clause */
/* Whole files read into memory: the server list, and the files the watch
 * hashes to notice changes. */
#ifndef NTS_POOL_KE_FILE_H
#define NTS_POOL_KE_FILE_H

#include <stddef.h>

/* Reads `path` (a regular file, through symbolic links, at most `max`
 * bytes) into a new malloc'd buffer *text, NUL-terminated, *len bytes
 * without the NUL.  Returns 0, or -1 with a sentence in err (without the
 * path). */
int nts_pool_ke_file_read(const char *path, size_t max, char **text,
                          size_t *len, char *err, size_t err_len);

#endif
