/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fuzz target: a whole daemon configuration file through
 * nts_pool_ke_config_load (cli/config.c), as nts-pool-ke -t reads it:
 * style detection, then inih with our INI keys (nts-pool-ke.conf(5)) or
 * the Rust nts-pool-ke's TOML keys and values (cli/config_kelb.c), then the
 * files it names and ntspool_ctx_ready.  Nothing is started: a loaded
 * configuration holds a ready pool context and nothing else (sockets,
 * privileges and the pid file belong to the daemon's start).  The input
 * is written to a file per process, since the loader reads a path.
 *
 * Invariants: -1 with one printable line in err that starts with the name of
 * the file at fault (this one, or a JSON file it names), or 0 with no message,
 * at least one listening address, at most the maximum connections, PROXY only
 * with trusted balancers, and a context that is ready and the daemon's only
 * reference besides the configuration's.
 */
#include <unistd.h>

#include "fuzz.h"

#include "config.h"
#include "log.h"

static char path[64];

static void remove_file(void) {
  unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  /* In memory where there is a tmpfs: written once per input, the file
   * on a disk made the kernel's write-back most of the run's time. */
  const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  snprintf(path, sizeof path, "%s/fuzz-config-%ld.conf", dir, (long)getpid());
  atexit(remove_file);
  /* Warnings about the fuzzed files are expected; errors are not. */
  nts_pool_ke_log_set_level(NTSPOOL_LOG_ERROR);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FILE *f = fopen(path, "w");
  FUZZ_CHECK(f != NULL);
  FUZZ_CHECK(fwrite(data, 1, size, f) == size);
  FUZZ_CHECK(fclose(f) == 0);

  enum ntspool_log_level quiet = NTSPOOL_LOG_ERROR;
  nts_pool_ke_config *cfg = NULL;
  char err[NTS_POOL_KE_ERROR_LEN] = "";
  int rc = nts_pool_ke_config_load(path, &quiet, NULL, &cfg, err, sizeof err);
  if (rc != 0) {
    FUZZ_CHECK(rc == -1 && cfg == NULL);
    for (const char *c = err; *c != '\0'; c++)
      FUZZ_CHECK(*c >= 0x20 && *c < 0x7f); /* one printable line */
    /* The line names the file at fault: this one, or a server list or
     * monitor keys file it names (their errors carry their own path, and
     * line and column for JSON), whose path is then in the input, escaped
     * as the message escapes it, or spelled with a string's escapes. */
    if (strncmp(err, path, strlen(path)) != 0) {
      /* No colon: a long path, escaped, filled the message.  A path may
       * start with one. */
      FUZZ_CHECK(err[0] != '\0');
      const char *colon = strchr(err + 1, ':');
      size_t head = colon != NULL ? (size_t)(colon - err) : strlen(err);
      FUZZ_CHECK(head > 0);
      static char text[4200 + 1], escaped[4 * 4200 + 1];
      size_t n = size < sizeof text - 1 ? size : sizeof text - 1;
      for (size_t i = 0; i < n; i++)
        text[i] = data[i] != '\0' ? (char)data[i] : '\n';
      text[n] = '\0';
      ntspool_log_escape(text, escaped, sizeof escaped);
      FUZZ_CHECK(memmem(escaped, strlen(escaped), err, head) != NULL ||
                 memchr(data, '\\', size) != NULL);
    }
    return 0;
  }
  FUZZ_CHECK(cfg != NULL && err[0] == '\0');
  FUZZ_CHECK(cfg->ctx != NULL);
  FUZZ_CHECK(cfg->n_listen >= 1 && cfg->n_listen <= NTS_POOL_KE_MAX_LISTEN);
  FUZZ_CHECK(cfg->max_connections >= 1 &&
             cfg->max_connections <= NTS_POOL_KE_MAX_CONNECTIONS);
  FUZZ_CHECK(!cfg->use_proxy || cfg->n_trusted >= 1);
  FUZZ_CHECK(cfg->n_trusted <= NTS_POOL_KE_MAX_TRUSTED);
  FUZZ_CHECK(strlen(cfg->mapping) < sizeof cfg->mapping);
  nts_pool_ke_config_unref(cfg);
  return 0;
}
