/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The configuration schema (settings_table.h) and what every setter shares:
 * finding a key's row, reading a value by its kind, the one message format
 * "[section] key: reason", and the helpers for secret files and their
 * lines.  Errors are written into a caller's buffer (err, errlen), so the
 * layers above need nothing from each other to report one.
 */
#ifndef NTSPOOL_SETTINGS_H
#define NTSPOOL_SETTINGS_H

#include "base/internal.h"

/* Role bits of a row (1u << enum ntspool_role). */
#define NTSPOOL_SETTING_P (1u << NTSPOOL_ROLE_POOL)
#define NTSPOOL_SETTING_S (1u << NTSPOOL_ROLE_SOURCE)
#define NTSPOOL_SETTING_C (1u << NTSPOOL_ROLE_CLIENT)

/* Bounds the schema names. */
#define NTSPOOL_MAX_NAME_LEN 255  /* a domain, address or uuid */
#define NTSPOOL_MAX_DENY_SKIPS 64 /* a selection keeps what it dropped */
#define NTSPOOL_TOKEN_MAX 1024    /* an upstream authentication token */

enum ntspool_setting_kind {
  NTSPOOL_KIND_MS,           /* milliseconds, min..max */
  NTSPOOL_KIND_UINT,         /* decimal min..max, times scale */
  NTSPOOL_KIND_BOOL,         /* ntspool_parse_bool */
  NTSPOOL_KIND_WORD,         /* printable ASCII without spaces, min..max */
  NTSPOOL_KIND_TEXT,         /* any text of min.. (max 0: any) bytes */
  NTSPOOL_KIND_ENUM,         /* one of `words`, stored as its index */
  NTSPOOL_KIND_PATH,         /* a file name */
  NTSPOOL_KIND_SECRET_PATH,  /* a file holding a secret (permissions
                                checked: ntspool_secret_file_check) */
  NTSPOOL_KIND_MONITOR_KEY,  /* printable ASCII, spaces too (doc/protocol.md
                                3.3): a secret */
  NTSPOOL_KIND_TOKEN,        /* a token: printable ASCII without spaces */
  NTSPOOL_KIND_ID,           /* a numeric protocol ID, added to a list */
  NTSPOOL_KIND_AEAD,         /* an NTS AEAD ID, added to a list */
  NTSPOOL_KIND_PROTOCOL,     /* ntpv4, draft-ntpv5, 0xHEX or decimal */
  NTSPOOL_KIND_CIPHERSUITES, /* TLS 1.3 suites; read by the TLS layer */
  NTSPOOL_KIND_REGIONS       /* region names; read by the policy */
};

enum ntspool_setting_repeat { NTSPOOL_REPEAT_ONCE, NTSPOOL_REPEAT_LIST };

enum ntspool_setting_target {
  NTSPOOL_TARGET_CTX,
  NTSPOOL_TARGET_SETTINGS,
  NTSPOOL_TARGET_DRAFT,
  NTSPOOL_TARGET_SOURCE
};

struct ntspool_setting {
  const char *section;
  const char *key;
  unsigned roles;
  enum ntspool_setting_kind kind;
  uint64_t min, max, scale;
  enum ntspool_setting_repeat repeat;
  enum ntspool_setting_target target;
  const char *words;
  const char *same;
};

/* Where a target stores a row's value (row for row with the schema). */
struct ntspool_setting_field {
  size_t offset, size;
  bool strlist; /* the field is a list of strings (the context's) */
};

extern const struct ntspool_setting ntspool_settings[];
extern const size_t ntspool_settings_count;

/* Which rows a configuration has seen, for "given twice". */
#define NTSPOOL_SETTINGS_MAX 128
typedef struct {
  uint64_t bits[NTSPOOL_SETTINGS_MAX / 64];
} ntspool_settings_seen;

/* Finds the row of (section, key) for the roles in role_mask.  A row's
 * section "upstream" matches "upstream NAME" (*name then points at NAME;
 * else NULL).  Returns the row index, or -1 with *kind set:
 * NTSPOOL_CONFIG_UNKNOWN_SECTION (no row of the section for these roles;
 * also "upstream" without a name) or NTSPOOL_CONFIG_UNKNOWN_KEY; err gets
 * the message. */
int ntspool_setting_find(const char *section, const char *key,
                         unsigned role_mask, const char **name,
                         enum ntspool_config_error *kind, char *err,
                         size_t errlen);

/* The targets (1u << enum ntspool_setting_target) of the rows of section
 * for the roles in role_mask; 0 for a section none of them has. */
unsigned ntspool_setting_targets(const char *section, unsigned role_mask);

/* Marks row i seen.  Returns 0, or NTSPOOL_ERR_CONFIG (with the message)
 * when a ONCE row, or the row it counts as, was seen before.  *first says
 * whether the row was new. */
int ntspool_setting_see(ntspool_settings_seen *seen, size_t i,
                        const char *section, bool *first, char *err,
                        size_t errlen);

/* A value read by its row's kind. */
struct ntspool_setting_value {
  uint64_t u; /* MS, UINT (scaled), ENUM (word index), ID, AEAD, PROTOCOL */
  bool b;     /* BOOL */
};

/* Reads value for row i.  Text kinds are only checked (the caller copies
 * value).  Returns 0 or NTSPOOL_ERR_CONFIG with "[section] key: reason" in
 * err; the message never repeats the value. */
int ntspool_setting_read(size_t i, const char *section, const char *value,
                         struct ntspool_setting_value *out, char *err,
                         size_t errlen);

/* Writes "[section] key: " and the formatted reason into err. */
int ntspool_setting_error(char *err, size_t errlen, const char *section,
                          const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Stores v into a 1, 2, 4 or 8-byte unsigned field (every accepted value
 * fits the field the table names). */
void ntspool_setting_store_uint(void *base, struct ntspool_setting_field f,
                                uint64_t v);

/* ---- Secret files (secret_file.c) --------------------------------------- */

/* Checks the permissions of an open secret file: refused (NTSPOOL_ERR_CONFIG
 * with the reason in err) when it is not a regular file or others can read
 * it; a warning in warn (else warn[0] = '\0') when others, or a group the
 * process is not in, can read it, or its group can write it. */
int ntspool_secret_file_check(int fd, const char *path, char *err,
                              size_t errlen, char *warn, size_t warnlen);

/* Reads a secret file (O_CLOEXEC, checked as above, at most 64 KiB) into
 * *out, NUL-terminated; free it with ntspool_free_secret(a, *out, *len).
 * Returns 0 (warn as above); NTSPOOL_ERR_NOT_FOUND (cannot open) or
 * NTSPOOL_ERR_CONFIG with the reason in err; NTSPOOL_ERR_NO_MEMORY. */
int ntspool_secret_file_read(const ntspool_allocator *a, const char *path,
                             char **out, size_t *len, char *err, size_t errlen,
                             char *warn, size_t warnlen);

/* Reads a regular file of at most max bytes (O_CLOEXEC, O_NONBLOCK: a
 * FIFO does not hang) into *out, NUL-terminated; free it with
 * ntspool_free_secret(a, *out, *len), as it may hold a key.  Returns
 * 0; NTSPOOL_ERR_NOT_FOUND (cannot open); NTSPOOL_ERR_CONFIG (not a
 * regular file, larger than max, changed while read); NTSPOOL_ERR_NO_MEMORY;
 * on failure *sys_err is the errno that says why (EISDIR for a directory,
 * EINVAL for another kind of file, EFBIG for too large). */
int ntspool_file_read(const ntspool_allocator *a, const char *path, size_t max,
                      char **out, size_t *len, int *sys_err);

/* Largest certificate, key or CA file the TLS backends read (the Debian
 * CA bundle is about 200 KiB). */
#define NTSPOOL_CREDENTIAL_FILE_MAX (8u << 20)

/* ntspool_secret_path_check, the rule alone for a secret file another
 * library or program reads, is public: <ntspool/common.h>. */

#endif
