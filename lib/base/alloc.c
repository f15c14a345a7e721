/* SPDX-License-Identifier: BSD-2-Clause */
/* The allocator hook, with malloc/free when the application gives none. */
#include <stdlib.h>
#include <string.h>

#include "base/crypto.h"
#include "base/internal.h"

static void *default_malloc(size_t size, void *user_data) {
  (void)user_data;
  return malloc(size);
}

static void default_free(void *ptr, void *user_data) {
  (void)user_data;
  free(ptr);
}

ntspool_allocator ntspool_allocator_or_default(const ntspool_allocator *a) {
  if (a && a->malloc_fn && a->free_fn)
    return *a;
  return (ntspool_allocator){default_malloc, default_free, NULL};
}

bool ntspool_allocator_valid(const ntspool_allocator *a) {
  return a == NULL || (a->malloc_fn != NULL && a->free_fn != NULL);
}

void *ntspool_malloc(const ntspool_allocator *a, size_t size) {
  return a->malloc_fn(size ? size : 1, a->user_data);
}

void *ntspool_calloc(const ntspool_allocator *a, size_t size) {
  void *p = ntspool_malloc(a, size);
  if (p)
    memset(p, 0, size);
  return p;
}

void ntspool_free(const ntspool_allocator *a, void *ptr) {
  if (ptr)
    a->free_fn(ptr, a->user_data);
}

void ntspool_free_secret(const ntspool_allocator *a, void *ptr, size_t len) {
  if (!ptr)
    return;
  ntspool_zeroize(ptr, len);
  a->free_fn(ptr, a->user_data);
}

char *ntspool_strdup(const ntspool_allocator *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *p = ntspool_malloc(a, n);
  if (p)
    memcpy(p, s, n);
  return p;
}
