/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An LD_PRELOAD shim for the daemon's integration test: pthread_create()
 * fails with EAGAIN while the file named by NTS_POOL_KE_TEST_NO_THREADS
 * exists, as it does for a process out of threads (RLIMIT_NPROC, which
 * root ignores, so the test cannot simply lower it).  Otherwise it is the
 * C library's pthread_create().
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

typedef int create_fn(pthread_t *, const pthread_attr_t *, void *(*)(void *),
                      void *);

int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
                   void *(*start)(void *), void *arg) {
  const char *gate = getenv("NTS_POOL_KE_TEST_NO_THREADS");
  if (gate && access(gate, F_OK) == 0)
    return EAGAIN;
  create_fn *real = (create_fn *)dlsym(RTLD_NEXT, "pthread_create");
  return real ? real(thread, attr, start, arg) : EAGAIN;
}
