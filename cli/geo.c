/* SPDX-License-Identifier: BSD-2-Clause */
/* Client location from a MaxMind DB (geo.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "net.h"

const char *nts_pool_ke_geo_level_name(enum nts_pool_ke_geo_level level) {
  static const char *const names[NTS_POOL_KE_GEO_LEVELS] = {
      "country", "continent", "global"};
  return (unsigned)level < NTS_POOL_KE_GEO_LEVELS ? names[level] : "global";
}

#if NTS_POOL_KE_GEO

#include <maxminddb.h>

struct nts_pool_ke_geo {
  MMDB_s db;
};

int nts_pool_ke_geo_open(const char *path, nts_pool_ke_geo **out, char *err,
                         size_t err_len) {
  nts_pool_ke_geo *g = calloc(1, sizeof *g);
  if (!g) {
    snprintf(err, err_len, "geolocation-db %s: out of memory", path);
    return -1;
  }
  int rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
  if (rc != MMDB_SUCCESS) {
    snprintf(err, err_len, "geolocation-db %s: cannot open: %s", path,
             MMDB_strerror(rc));
    free(g);
    return -1;
  }
  *out = g;
  return 0;
}

void nts_pool_ke_geo_close(nts_pool_ke_geo *g) {
  if (!g)
    return;
  MMDB_close(&g->db);
  free(g);
}

/* The string at `path` in the entry, copied into out; false if absent. */
static bool entry_string(MMDB_entry_s *entry, const char *const *path,
                         char *out, size_t cap) {
  MMDB_entry_data_s d;
  if (MMDB_aget_value(entry, &d, path) != MMDB_SUCCESS || !d.has_data ||
      d.type != MMDB_DATA_TYPE_UTF8_STRING || d.data_size == 0 ||
      d.data_size >= cap)
    return false;
  memcpy(out, d.utf8_string, d.data_size);
  out[d.data_size] = '\0';
  return true;
}

/* The Rust KELB's continent names (its geo.rs), so regions written for
 * it match. */
static const char *continent_name(const char *code) {
  static const char *const map[][2] = {
      {"AF", "AFRICA"},       {"AN", "ANTARCTICA"},    {"AS", "ASIA"},
      {"EU", "EUROPE"},       {"NA", "NORTH-AMERICA"}, {"OC", "OCEANIA"},
      {"SA", "SOUTH_AMERICA"}};
  for (size_t i = 0; i < sizeof map / sizeof *map; i++)
    if (strcmp(map[i][0], code) == 0)
      return map[i][1];
  return NULL;
}

void nts_pool_ke_geo_lookup(const nts_pool_ke_geo *g, const struct sockaddr *sa,
                            nts_pool_ke_geo_result *out) {
  memset(out, 0, sizeof *out);
  struct sockaddr_storage plain;
  memcpy(&plain, sa,
         sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                   : sizeof(struct sockaddr_in));
  nts_pool_ke_addr_unmap(&plain);
  int mmerr = MMDB_SUCCESS;
  MMDB_lookup_result_s r =
      MMDB_lookup_sockaddr(&g->db, (const struct sockaddr *)&plain, &mmerr);
  if (mmerr != MMDB_SUCCESS || !r.found_entry)
    return;
  static const char *const country[] = {"country", "iso_code", NULL};
  static const char *const continent[] = {"continent", "code", NULL};
  char code[NTS_POOL_KE_GEO_NAME];
  if (entry_string(&r.entry, country, out->names[0], sizeof out->names[0])) {
    for (char *c = out->names[0]; *c; c++)
      if (*c >= 'a' && *c <= 'z')
        *c = (char)(*c - 32);
    out->level[out->n++] = NTS_POOL_KE_GEO_COUNTRY;
  }
  const char *name;
  if (entry_string(&r.entry, continent, code, sizeof code) &&
      (name = continent_name(code)) != NULL) {
    snprintf(out->names[out->n], sizeof out->names[out->n], "%s", name);
    out->level[out->n++] = NTS_POOL_KE_GEO_CONTINENT;
  }
}

#else /* built with GEO=0 */

int nts_pool_ke_geo_open(const char *path, nts_pool_ke_geo **out, char *err,
                         size_t err_len) {
  (void)out;
  snprintf(err, err_len,
           "geolocation-db %s: this nts-pool-ke was built without "
           "libmaxminddb (make GEO=0) and cannot read it; remove the key or "
           "build with GEO=1",
           path);
  return -1;
}

void nts_pool_ke_geo_lookup(const nts_pool_ke_geo *g, const struct sockaddr *sa,
                            nts_pool_ke_geo_result *out) {
  (void)g;
  (void)sa;
  memset(out, 0, sizeof *out);
}

void nts_pool_ke_geo_close(nts_pool_ke_geo *g) {
  (void)g;
}

#endif
