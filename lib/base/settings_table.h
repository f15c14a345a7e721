/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration schema: one row per (section, key) that ntspool_ctx_set
 * and ntspool_policy_set accept, for every role.  nts-pool-ke.conf(5) and
 * libntspool(3) document exactly these keys (tests/test_settings.c checks
 * both ways).
 *
 * Each file that includes this defines NTSPOOL_SETTING first and expands
 * NTSPOOL_SETTINGS_TABLE: settings.c into the schema (ntspool_settings[]),
 * session/ctx.c and policy/policy_config.c into the offsets of their own
 * target's fields, row for row, so the rows and their storage cannot drift
 * apart.  Columns:
 *
 *   section  "upstream" stands for every [upstream NAME]
 *   key
 *   roles    P pool, S time source, C client (settings.h)
 *   kind     how the value is read (enum ntspool_setting_kind)
 *   min,max  bounds of a number, or of a text's length (max 0: no bound)
 *   scale    a number is multiplied by it (seconds into milliseconds)
 *   repeat   ONCE: given twice is an error; LIST: each line adds
 *   target   CTX (the context), SETTINGS (the policy's selection
 *            settings), DRAFT (the pending policy configuration), SOURCE
 *            (one [upstream NAME] of it)
 *   field    the target's member the value is stored in
 *   words    ENUM: the accepted words, '|'-separated, stored as 0, 1, ...
 *   same     another key of the section this one counts as (given both is
 *            "given twice"), or NULL
 */
#ifndef NTSPOOL_SETTINGS_TABLE_H
#define NTSPOOL_SETTINGS_TABLE_H

#define NTSPOOL_DAY_MS 86400000

/* clang-format off */
#define NTSPOOL_SETTINGS_TABLE \
  NTSPOOL_SETTING("server", "certificate-chain-path", P, PATH, 1, 0, 1, ONCE, CTX, cert_path, NULL, NULL) \
  NTSPOOL_SETTING("server", "private-key-path", P, SECRET_PATH, 1, 0, 1, ONCE, CTX, key_path, NULL, NULL) \
  NTSPOOL_SETTING("server", "key-exchange-timeout-ms", P, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, CTX, ke_timeout_ms, NULL, NULL) \
  NTSPOOL_SETTING("server", "handshake-timeout-ms", P, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, CTX, handshake_timeout_ms, NULL, NULL) \
  NTSPOOL_SETTING("server", "max-message-bytes", P, UINT, 1024, 65535, 1, ONCE, CTX, max_message, NULL, NULL) \
  NTSPOOL_SETTING("server", "monitoring-key", P, MONITOR_KEY, 1, 1024, 1, LIST, CTX, monitoring_keys, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "certificate-authority-path", P, PATH, 1, 0, 1, ONCE, CTX, ca_path, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "additional-certificate-authority-path", P, PATH, 1, 0, 1, LIST, CTX, extra_ca_paths, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "certificate-chain-path", P, PATH, 1, 0, 1, ONCE, CTX, client_cert_path, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "private-key-path", P, SECRET_PATH, 1, 0, 1, ONCE, CTX, client_key_path, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "timesource-timeout-ms", P, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, CTX, upstream_timeout_ms, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "support-cache-validity-s", P, UINT, 0, 86400, 1000, ONCE, SETTINGS, caps_validity_ms, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "connection-cache-size", P, UINT, 0, NTSPOOL_MAX_CACHED_CONNS, 1, ONCE, SETTINGS, conn_cache_size, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "connection-cache-max-idle-s", P, UINT, 0, 86400, 1000, ONCE, SETTINGS, conn_max_idle_ms, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "connection-cache-max-age-s", P, UINT, 0, 86400, 1000, ONCE, SETTINGS, conn_max_age_ms, NULL, NULL) \
  NTSPOOL_SETTING("upstream-tls", "base-shared-secret-path", P, SECRET_PATH, 1, 0, 1, ONCE, DRAFT, base_secret, NULL, NULL) \
  NTSPOOL_SETTING("selection", "strategy", P, ENUM, 0, 0, 1, ONCE, SETTINGS, strategy, "weighted|round-robin", NULL) \
  NTSPOOL_SETTING("selection", "allowed-protocol", P, PROTOCOL, 0, 0xFFFF, 1, LIST, SETTINGS, allowed, NULL, NULL) \
  NTSPOOL_SETTING("selection", "deny-max-skips", P, UINT, 0, NTSPOOL_MAX_DENY_SKIPS, 1, ONCE, SETTINGS, deny_max_skips, NULL, NULL) \
  NTSPOOL_SETTING("selection", "backoff-initial-ms", P, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, SETTINGS, backoff_initial_ms, NULL, NULL) \
  NTSPOOL_SETTING("selection", "backoff-max-ms", P, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, SETTINGS, backoff_max_ms, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "domain", P, WORD, 1, NTSPOOL_MAX_NAME_LEN, 1, ONCE, SOURCE, domain, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "port", P, UINT, 1, 65535, 1, ONCE, SOURCE, port, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "connect-address", P, WORD, 1, NTSPOOL_MAX_NAME_LEN, 1, ONCE, SOURCE, connect_address, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "weight", P, UINT, 0, 1000000, 1, ONCE, SOURCE, weight, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "auth-token", P, TOKEN, 1, NTSPOOL_TOKEN_MAX, 1, ONCE, SOURCE, token, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "auth-token-path", P, SECRET_PATH, 1, 0, 1, ONCE, SOURCE, token, NULL, "auth-token") \
  NTSPOOL_SETTING("upstream", "uuid", P, WORD, 1, NTSPOOL_MAX_NAME_LEN, 1, ONCE, SOURCE, uuid, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "randomizer", P, TEXT, 0, 0, 1, ONCE, SOURCE, randomizer, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "base-key-index", P, UINT, 0, 65535, 1, ONCE, SOURCE, base_key_index, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "ipv4", P, BOOL, 0, 0, 1, ONCE, SOURCE, ipv4, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "ipv6", P, BOOL, 0, 0, 1, ONCE, SOURCE, ipv6, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "enabled", P, BOOL, 0, 0, 1, ONCE, SOURCE, enabled, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "record-numbering", P, ENUM, 0, 0, 1, ONCE, SOURCE, numbering, "iana|draft", NULL) \
  NTSPOOL_SETTING("upstream", "list-server-names", P, BOOL, 0, 0, 1, ONCE, SOURCE, list_server_names, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "regions", P, REGIONS, 0, 0, 1, LIST, SOURCE, regions, NULL, NULL) \
  NTSPOOL_SETTING("upstream", "region", P, REGIONS, 0, 0, 1, LIST, SOURCE, regions, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "certificate-chain-path", S, PATH, 1, 0, 1, ONCE, CTX, cert_path, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "private-key-path", S, SECRET_PATH, 1, 0, 1, ONCE, CTX, key_path, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "key-exchange-timeout-ms", S, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, CTX, ke_timeout_ms, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "handshake-timeout-ms", S, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, CTX, handshake_timeout_ms, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "idle-timeout-ms", S, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, CTX, idle_timeout_ms, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "max-message-bytes", S, UINT, 1024, 65535, 1, ONCE, CTX, max_message, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "record-numbering", S, ENUM, 0, 0, 1, ONCE, CTX, numbering, "iana|draft", NULL) \
  NTSPOOL_SETTING("time-source", "accepted-token", S, TEXT, 1, 0, 1, LIST, CTX, tokens, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "accepted-token-path", S, SECRET_PATH, 1, 0, 1, LIST, CTX, token_paths, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "authorized-pool-certificate-path", S, PATH, 1, 0, 1, LIST, CTX, pool_cert_paths, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "max-keep-alive-connections", S, UINT, 0, 100000, 1, ONCE, CTX, max_keep_alive, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "server-name", S, TEXT, 1, 0, 1, LIST, CTX, server_names, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "ntp-server", S, TEXT, 1, 0, 1, ONCE, CTX, ntp_server, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "ntp-port", S, UINT, 1, 65535, 1, ONCE, CTX, ntp_port, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "protocol", S, ID, 0, 65535, 1, LIST, CTX, protocols, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "aead", S, AEAD, 0, 65535, 1, LIST, CTX, aeads, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "cookies", S, UINT, 1, NTSPOOL_MAX_COOKIES, 1, ONCE, CTX, n_cookies, NULL, NULL) \
  NTSPOOL_SETTING("time-source", "tls-ciphersuites", S, CIPHERSUITES, 1, 0, 1, LIST, CTX, ciphersuites, NULL, NULL) \
  NTSPOOL_SETTING("client", "certificate-authority-path", C, PATH, 1, 0, 1, ONCE, CTX, ca_path, NULL, NULL) \
  NTSPOOL_SETTING("client", "certificate-chain-path", C, PATH, 1, 0, 1, ONCE, CTX, client_cert_path, NULL, NULL) \
  NTSPOOL_SETTING("client", "private-key-path", C, SECRET_PATH, 1, 0, 1, ONCE, CTX, client_key_path, NULL, NULL) \
  NTSPOOL_SETTING("client", "key-exchange-timeout-ms", C, MS, 1, NTSPOOL_DAY_MS, 1, ONCE, CTX, ke_timeout_ms, NULL, NULL) \
  NTSPOOL_SETTING("client", "max-message-bytes", C, UINT, 1024, 65535, 1, ONCE, CTX, max_message, NULL, NULL) \
  NTSPOOL_SETTING("client", "protocol", C, ID, 0, 65535, 1, LIST, CTX, protocols, NULL, NULL) \
  NTSPOOL_SETTING("client", "aead", C, AEAD, 0, 65535, 1, LIST, CTX, aeads, NULL, NULL) \
  NTSPOOL_SETTING("client", "monitoring-key", C, MONITOR_KEY, 1, 1024, 1, ONCE, CTX, monitoring_keys, NULL, NULL)
/* clang-format on */

#endif
