/* SPDX-License-Identifier: BSD-2-Clause */
/* getrandom(2): no file descriptor to keep open, blocks only until the
 * kernel pool is first initialised at boot. */
#include "random.h"

#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

int ex_random(void *buf, size_t len) {
  uint8_t *p = buf;
  while (len > 0) {
    ssize_t n = getrandom(p, len, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}
