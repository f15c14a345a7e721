/* SPDX-License-Identifier: BSD-2-Clause */
/* Whole files read into memory (file.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

int nts_pool_ke_file_read(const char *path, size_t max, char **text,
                          size_t *len, char *err, size_t err_len) {
  *text = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, err_len, "cannot open: %s", strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    snprintf(err, err_len, "not a regular file");
    close(fd);
    return -1;
  }
  /* Read to the end rather than trust st_size: the file may grow while
   * it is read, and the limit holds either way. */
  size_t cap = st.st_size > 0 ? (size_t)st.st_size : 4096;
  if (cap > max)
    cap = max;
  char *buf = malloc(cap + 1);
  size_t n = 0;
  for (;;) {
    if (buf == NULL) {
      snprintf(err, err_len, "out of memory");
      close(fd);
      return -1;
    }
    if (n == cap) {
      if (cap >= max) {
        snprintf(err, err_len, "larger than %zu bytes", max);
        free(buf);
        close(fd);
        return -1;
      }
      cap = cap * 2 < max ? cap * 2 : max;
      char *bigger = realloc(buf, cap + 1);
      if (bigger == NULL)
        free(buf);
      buf = bigger;
      continue;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      snprintf(err, err_len, "cannot read: %s", strerror(errno));
      free(buf);
      close(fd);
      return -1;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  close(fd);
  buf[n] = '\0';
  *text = buf;
  *len = n;
  return 0;
}
