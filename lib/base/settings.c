/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration schema (settings_table.h) and reading values by kind
 * (settings.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/settings.h"
#include "base/settings_table.h"

#define NTSPOOL_SETTING(sec, key_, roles_, kind_, min_, max_, scale_, rep,     \
                        target_, field, words_, same_)                         \
  {.section = sec,                                                             \
   .key = key_,                                                                \
   .roles = NTSPOOL_SETTING_##roles_,                                          \
   .kind = NTSPOOL_KIND_##kind_,                                               \
   .min = min_,                                                                \
   .max = max_,                                                                \
   .scale = scale_,                                                            \
   .repeat = NTSPOOL_REPEAT_##rep,                                             \
   .target = NTSPOOL_TARGET_##target_,                                         \
   .words = words_,                                                            \
   .same = same_},

const struct ntspool_setting ntspool_settings[] = {NTSPOOL_SETTINGS_TABLE};
const size_t ntspool_settings_count = NTSPOOL_ARRAY_LEN(ntspool_settings);

_Static_assert(NTSPOOL_ARRAY_LEN(ntspool_settings) <= NTSPOOL_SETTINGS_MAX,
               "ntspool_settings_seen has a bit per row");

int ntspool_setting_error(char *err, size_t errlen, const char *section,
                          const char *key, const char *fmt, ...) {
  /* The names come from files (a server list's uuid is a section name)
   * and the message is one line of a log: escaped like a log value. */
  char s[1024], k[256];
  int n = snprintf(err, errlen,
                   "[%s] %s: ", ntspool_log_escape(section, s, sizeof s),
                   ntspool_log_escape(key, k, sizeof k));
  if (n >= 0 && (size_t)n < errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return NTSPOOL_ERR_CONFIG;
}

/* "upstream NAME" against a row's "upstream"; any other section exactly. */
static bool section_matches(const char *row, const char *section,
                            const char **name) {
  if (strcmp(row, "upstream") != 0)
    return strcmp(row, section) == 0;
  if (strncmp(section, "upstream", 8) != 0 ||
      (section[8] != ' ' && section[8] != '\t'))
    return false;
  const char *n = section + 9;
  while (*n == ' ' || *n == '\t')
    n++;
  *name = n;
  return true;
}

int ntspool_setting_find(const char *section, const char *key,
                         unsigned role_mask, const char **name,
                         enum ntspool_config_error *kind, char *err,
                         size_t errlen) {
  bool section_known = false;
  *name = NULL;
  for (size_t i = 0; i < ntspool_settings_count; i++) {
    const struct ntspool_setting *row = &ntspool_settings[i];
    if (!(row->roles & role_mask) ||
        !section_matches(row->section, section, name))
      continue;
    section_known = true;
    if (*name != NULL && **name == '\0') {
      *kind = NTSPOOL_CONFIG_UNKNOWN_SECTION;
      ntspool_setting_error(err, errlen, section, key,
                            "an upstream section needs a name");
      return -1;
    }
    if (strcmp(row->key, key) == 0)
      return (int)i;
  }
  *kind = section_known ? NTSPOOL_CONFIG_UNKNOWN_KEY
                        : NTSPOOL_CONFIG_UNKNOWN_SECTION;
  ntspool_setting_error(err, errlen, section, key,
                        section_known ? "unknown key" : "unknown section");
  return -1;
}

unsigned ntspool_setting_targets(const char *section, unsigned role_mask) {
  unsigned targets = 0;
  const char *name;
  for (size_t i = 0; i < ntspool_settings_count; i++)
    if ((ntspool_settings[i].roles & role_mask) &&
        section_matches(ntspool_settings[i].section, section, &name))
      targets |= 1u << ntspool_settings[i].target;
  return targets;
}

static size_t row_index(const struct ntspool_setting *row, const char *key) {
  for (size_t i = 0; i < ntspool_settings_count; i++)
    if (strcmp(ntspool_settings[i].section, row->section) == 0 &&
        strcmp(ntspool_settings[i].key, key) == 0 &&
        (ntspool_settings[i].roles & row->roles))
      return i;
  return (size_t)(row - ntspool_settings);
}

int ntspool_setting_see(ntspool_settings_seen *seen, size_t i,
                        const char *section, bool *first, char *err,
                        size_t errlen) {
  const struct ntspool_setting *row = &ntspool_settings[i];
  size_t bit = row->same != NULL ? row_index(row, row->same) : i;
  uint64_t mask = (uint64_t)1 << (bit % 64);
  *first = !(seen->bits[bit / 64] & mask);
  if (!*first && row->repeat == NTSPOOL_REPEAT_ONCE)
    return ntspool_setting_error(err, errlen, section, row->key, "given twice");
  seen->bits[bit / 64] |= mask;
  return 0;
}

void ntspool_setting_store_uint(void *base, struct ntspool_setting_field f,
                                uint64_t v) {
  char *p = (char *)base + f.offset;
  switch (f.size) {
  case 1: {
    uint8_t t = (uint8_t)v;
    memcpy(p, &t, 1);
    break;
  }
  case 2: {
    uint16_t t = (uint16_t)v;
    memcpy(p, &t, 2);
    break;
  }
  case 4: {
    uint32_t t = (uint32_t)v;
    memcpy(p, &t, 4);
    break;
  }
  default:
    memcpy(p, &v, sizeof v);
    break;
  }
}

static bool parse_protocol(const char *v, uint64_t *out) {
  if (strcasecmp(v, "ntpv4") == 0)
    *out = NTSPOOL_PROTO_NTPV4;
  else if (strcasecmp(v, "draft-ntpv5") == 0)
    *out = NTSPOOL_PROTO_DRAFT_NTPV5;
  else if (strncasecmp(v, "0x", 2) == 0 && isxdigit((unsigned char)v[2])) {
    char *end;
    errno = 0;
    unsigned long x = strtoul(v + 2, &end, 16);
    if (errno != 0 || *end != '\0' || x > 0xFFFF)
      return false;
    *out = x;
  } else if (ntspool_parse_uint(v, 0, 0xFFFF, out) != 0)
    return false;
  return true;
}

/* The index of value among "a|b|c", or -1. */
static int word_index(const char *words, const char *value) {
  size_t n = strlen(value);
  int i = 0;
  for (const char *w = words; *w != '\0'; i++) {
    size_t len = strcspn(w, "|");
    if (len == n && strncmp(w, value, n) == 0)
      return i;
    w += len + (w[len] == '|');
  }
  return -1;
}

int ntspool_setting_read(size_t i, const char *section, const char *value,
                         struct ntspool_setting_value *out, char *err,
                         size_t errlen) {
  const struct ntspool_setting *row = &ntspool_settings[i];
  const char *key = row->key;
  unsigned long long min = row->min, max = row->max;
  ntspool_bytes text = {(const uint8_t *)value, strlen(value)};
  memset(out, 0, sizeof *out);
  switch (row->kind) {
  case NTSPOOL_KIND_MS:
    if (ntspool_parse_uint(value, min, max, &out->u) != 0)
      return ntspool_setting_error(err, errlen, section, key,
                                   "expected milliseconds from %llu to %llu",
                                   min, max);
    return 0;
  case NTSPOOL_KIND_UINT:
  case NTSPOOL_KIND_ID:
    if (ntspool_parse_uint(value, min, max, &out->u) != 0)
      return ntspool_setting_error(err, errlen, section, key,
                                   "expected a number from %llu to %llu", min,
                                   max);
    out->u *= row->scale;
    return 0;
  case NTSPOOL_KIND_AEAD:
    if (ntspool_parse_uint(value, min, max, &out->u) != 0 ||
        ntspool_aead_key_length((uint16_t)out->u) == 0)
      return ntspool_setting_error(err, errlen, section, key,
                                   "not an NTS algorithm (expected 15, 16, "
                                   "17, 30 or 31)");
    return 0;
  case NTSPOOL_KIND_PROTOCOL:
    if (!parse_protocol(value, &out->u))
      return ntspool_setting_error(err, errlen, section, key,
                                   "expected a protocol number, ntpv4 or "
                                   "draft-ntpv5");
    return 0;
  case NTSPOOL_KIND_BOOL:
    if (ntspool_parse_bool(value, &out->b) != 0)
      return ntspool_setting_error(err, errlen, section, key,
                                   "expected true or false");
    return 0;
  case NTSPOOL_KIND_ENUM: {
    int w = word_index(row->words, value);
    if (w < 0) {
      char list[64];
      snprintf(list, sizeof list, "%s", row->words);
      char *bar = strchr(list, '|');
      if (bar != NULL)
        *bar = '\0';
      return ntspool_setting_error(err, errlen, section, key,
                                   "expected %s or %s", list,
                                   bar != NULL ? bar + 1 : "");
    }
    out->u = (uint64_t)w;
    return 0;
  }
  case NTSPOOL_KIND_WORD:
    if (!ntspool_printable(text, max, false))
      return ntspool_setting_error(err, errlen, section, key,
                                   "expected %llu..%llu printable characters "
                                   "without spaces",
                                   min, max);
    return 0;
  case NTSPOOL_KIND_TOKEN:
    if (text.len < min || text.len > max)
      return ntspool_setting_error(err, errlen, section, key,
                                   "a token has %llu to %llu characters", min,
                                   max);
    if (!ntspool_printable(text, max, false))
      return ntspool_setting_error(err, errlen, section, key,
                                   "a token is printable ASCII without "
                                   "spaces");
    return 0;
  case NTSPOOL_KIND_MONITOR_KEY:
    if (text.len < min || text.len > max)
      return ntspool_setting_error(err, errlen, section, key,
                                   "a monitoring key has %llu to %llu "
                                   "characters",
                                   min, max);
    if (!ntspool_printable(text, max, true))
      return ntspool_setting_error(err, errlen, section, key,
                                   "a monitoring key is printable ASCII");
    return 0;
  case NTSPOOL_KIND_TEXT:
  case NTSPOOL_KIND_PATH:
  case NTSPOOL_KIND_SECRET_PATH:
  case NTSPOOL_KIND_CIPHERSUITES:
    if (text.len < min)
      return ntspool_setting_error(err, errlen, section, key,
                                   "the value must not be empty");
    if (max != 0 && text.len > max)
      return ntspool_setting_error(err, errlen, section, key,
                                   "at most %llu characters", max);
    return 0;
  case NTSPOOL_KIND_REGIONS:
    return 0; /* the policy reads the names */
  }
  return ntspool_setting_error(err, errlen, section, key, "not readable");
}
