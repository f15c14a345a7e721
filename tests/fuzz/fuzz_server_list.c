/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: the daemon's server list translation (cli/server_list.c)
 * into a real pool policy, then a commit.
 *
 * Invariants: the parser returns -1 with a message naming the file, one
 * line of printable ASCII whatever the file holds, or the
 * number of entries with no message; every entry it accepted is a source
 * of the committed registry, found by its uuid, with a derived token; a
 * policy that refused a key says why.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#include "server_list.h"

static int sink_set(void *user, const char *section, const char *name,
                    const char *value) {
  return ntspool_policy_set(user, section, name, value);
}

static const char *sink_error(void *user) {
  return ntspool_policy_config_error(user);
}

/* The base secret is an embedder's key here: a file per process. */
static char secret_path[64];

static void remove_secret(void) {
  unlink(secret_path);
}

static void make_secret(void) {
  if (secret_path[0] != '\0')
    return;
  snprintf(secret_path, sizeof secret_path, "/tmp/fuzz-server-list-%ld",
           (long)getpid());
  FILE *f = fopen(secret_path, "w");
  FUZZ_CHECK(f != NULL);
  fputs("fuzz-secret\n", f);
  fclose(f);
  FUZZ_CHECK(chmod(secret_path, 0600) == 0);
  atexit(remove_secret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  make_secret();
  ntspool_policy *p = NULL;
  FUZZ_CHECK(ntspool_policy_new(NULL, NULL, &p) == 0);
  FUZZ_CHECK(ntspool_policy_set(p, "upstream-tls", "base-shared-secret-path",
                                secret_path) == 0);
  nts_pool_ke_key_sink sink = {sink_set, sink_error, p};
  char err[512] = "";
  long n = nts_pool_ke_server_list_parse("fuzz.json", (const char *)data, size,
                                         &sink, err, sizeof err);
  if (n < 0) {
    FUZZ_CHECK(n == -1 && strncmp(err, "fuzz.json", 9) == 0);
    for (const char *c = err; *c != '\0'; c++)
      FUZZ_CHECK(*c >= 0x20 && *c < 0x7f);
  } else {
    FUZZ_CHECK(err[0] == '\0');
    if (ntspool_policy_commit(p) == 0) {
      ntspool_registry *reg = ntspool_policy_acquire(p);
      FUZZ_CHECK(ntspool_registry_count(reg) == (size_t)n);
      for (size_t i = 0; i < (size_t)n; i++) {
        const ntspool_source *s = ntspool_registry_source(reg, i);
        const char *uuid = ntspool_source_uuid(s);
        FUZZ_CHECK(uuid != NULL);
        ntspool_bytes u = {(const uint8_t *)uuid, strlen(uuid)};
        FUZZ_CHECK(ntspool_registry_find_uuid(reg, u) == s);
        FUZZ_CHECK(ntspool_source_token(s).len == 64);
      }
      ntspool_registry_unref(reg);
    } else {
      /* Only a base-key-index past the secret's one line fails here. */
      FUZZ_CHECK(strstr(ntspool_policy_config_error(p), "base-key-index") !=
                 NULL);
    }
  }
  ntspool_policy_unref(p);
  return 0;
}
