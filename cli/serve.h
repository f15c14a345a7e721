/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The serving core of nts-pool-ke: listeners, the bounded pool of worker
 * threads, the accept loop with its self-pipe for signals, reloads and the
 * drain on shutdown.
 */
#ifndef NTS_POOL_KE_SERVE_H
#define NTS_POOL_KE_SERVE_H

#include "config.h"

typedef struct nts_pool_ke_serve_options {
  const char *config_path;
  const enum ntspool_log_level *log_override; /* -l, or NULL */
  int metrics_fd; /* bound metrics listener, or -1 */
} nts_pool_ke_serve_options;

/* Binds every [server] listen address of cfg and logs the bound ones.
 * Returns 0, or -1 after logging why. */
int nts_pool_ke_serve_bind(const nts_pool_ke_config *cfg);

/* Installs cfg (taking the caller's reference), starts the workers and
 * the metrics thread and runs the accept loop until SIGTERM or SIGINT;
 * then drains in-flight sessions (at most the key-exchange timeout).
 * SIGHUP reloads options->config_path.  Returns 0 when every connection
 * finished, 1 when some were still open at the end of the drain (the
 * caller should _exit: workers still run), -1 on a failure to start. */
int nts_pool_ke_serve_run(nts_pool_ke_config *cfg,
                          const nts_pool_ke_serve_options *options);

/* A new reference to the running configuration (for the metrics). */
nts_pool_ke_config *nts_pool_ke_serve_current(void);

/* Signal handling: SIGPIPE ignored; SIGTERM, SIGINT and SIGHUP recorded and
 * reported through the self-pipe.  Call before any thread starts; the
 * threads started afterwards keep these signals blocked.  Returns 0 or -1.
 */
int nts_pool_ke_serve_signals(void);

#endif
