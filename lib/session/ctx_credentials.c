/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Credentials given as bytes (session.h, "Credentials from memory"): the
 * same certificates and keys as the path keys of ntspool_ctx_set, for an
 * application that already holds them.  They are only copied here;
 * ntspool_ctx_ready() hands them to the TLS module with the paths.
 */
#include <stdio.h>
#include <string.h>

#include "session/session_internal.h"

/* Where a section's bytes go, for ctx's role; NULL if the role has no
 * such certificate. */
static ntspool_ctx_pem *pem_of(ntspool_ctx *ctx, const char *section) {
  switch (ctx->role) {
  case NTSPOOL_ROLE_POOL:
    if (strcmp(section, "server") == 0)
      return &ctx->server_pem;
    if (strcmp(section, "upstream-tls") == 0)
      return &ctx->client_pem;
    break;
  case NTSPOOL_ROLE_SOURCE:
    if (strcmp(section, "time-source") == 0)
      return &ctx->server_pem;
    break;
  case NTSPOOL_ROLE_CLIENT:
    if (strcmp(section, "client") == 0)
      return &ctx->client_pem;
    break;
  }
  return NULL;
}

/* Replaces *slot by a copy of data[0..len); the old bytes are wiped (they
 * may be a key). */
static int copy_bytes(ntspool_ctx *ctx, ntspool_bytes *slot, const void *data,
                      size_t len) {
  uint8_t *copy = ntspool_malloc(&ctx->alloc, len);
  if (!copy)
    return NTSPOOL_ERR_NO_MEMORY;
  memcpy(copy, data, len);
  ntspool_free_secret(&ctx->alloc, (void *)slot->data, slot->len);
  *slot = (ntspool_bytes){copy, len};
  return 0;
}

/* The checks both setters share; *out is the section's slot. */
static int pem_target(ntspool_ctx *ctx, const char *section,
                      ntspool_ctx_pem **out) {
  if (!ctx || !section)
    return NTSPOOL_ERR_INVALID_ARG;
  if (ctx->ready)
    return NTSPOOL_ERR_STATE;
  ctx->error[0] = '\0';
  *out = pem_of(ctx, section);
  if (*out)
    return 0;
  snprintf(ctx->error, sizeof ctx->error,
           "[%s] has no certificate for this role", section);
  return NTSPOOL_ERR_CONFIG;
}

int ntspool_ctx_set_credentials_pem(ntspool_ctx *ctx, const char *section,
                                    const void *chain, size_t chain_len,
                                    const void *key, size_t key_len) {
  if (!chain || !chain_len || !key || !key_len)
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_ctx_pem *p;
  int rc = pem_target(ctx, section, &p);
  if (rc == 0)
    rc = copy_bytes(ctx, &p->chain, chain, chain_len);
  if (rc == 0)
    rc = copy_bytes(ctx, &p->key, key, key_len);
  return rc;
}

int ntspool_ctx_set_ca_pem(ntspool_ctx *ctx, const char *section,
                           const void *ca, size_t ca_len) {
  if (!ca || !ca_len)
    return NTSPOOL_ERR_INVALID_ARG;
  ntspool_ctx_pem *p;
  int rc = pem_target(ctx, section, &p);
  if (rc == 0 && p == &ctx->server_pem) {
    snprintf(ctx->error, sizeof ctx->error,
             "[%s] has no certificate authorities", section);
    return NTSPOOL_ERR_CONFIG;
  }
  return rc ? rc : copy_bytes(ctx, &ctx->ca_pem, ca, ca_len);
}

void ntspool_ctx_free_credentials(ntspool_ctx *ctx) {
  ntspool_bytes *all[] = {&ctx->server_pem.chain, &ctx->server_pem.key,
                          &ctx->client_pem.chain, &ctx->client_pem.key,
                          &ctx->ca_pem};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
    ntspool_free_secret(&ctx->alloc, (void *)all[i]->data, all[i]->len);
    *all[i] = (ntspool_bytes){0};
  }
}
