/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where a client is: the country and continent of its address in a
 * MaxMind DB (GeoLite2-Country or compatible), read with libmaxminddb.
 * The pool selection (ntspool_session_set_regions) takes the names as
 * regions: the ISO country code ("NL"), then the continent in the Rust
 * KELB's spelling ("EUROPE", "NORTH-AMERICA", "SOUTH_AMERICA").  Built
 * with GEO=0, nts-pool-ke has no reader and opening always fails, saying
 * so.  An open database is read-only: lookups from every worker at once.
 */
#ifndef NTS_POOL_KE_GEO_H
#define NTS_POOL_KE_GEO_H

#include <stddef.h>
#include <sys/socket.h>

#define NTS_POOL_KE_GEO_NAME 32

/* What a region name given to the library stands for, for the metrics. */
enum nts_pool_ke_geo_level {
  NTS_POOL_KE_GEO_COUNTRY = 0,
  NTS_POOL_KE_GEO_CONTINENT = 1,
  NTS_POOL_KE_GEO_GLOBAL = 2
};
#define NTS_POOL_KE_GEO_LEVELS 3

typedef struct nts_pool_ke_geo nts_pool_ke_geo;

typedef struct nts_pool_ke_geo_result {
  size_t n; /* 0 (not found: the client is global), 1 or 2 */
  char names[2][NTS_POOL_KE_GEO_NAME];
  enum nts_pool_ke_geo_level level[2];
} nts_pool_ke_geo_result;

/* Opens the database at path.  Returns 0 and *out, or -1 with a sentence
 * in err. */
int nts_pool_ke_geo_open(const char *path, nts_pool_ke_geo **out, char *err,
                         size_t err_len);

/* Looks up an address (an IPv4-mapped IPv6 address as IPv4); fills *out
 * (n = 0 when the database has no country or continent for it). */
void nts_pool_ke_geo_lookup(const nts_pool_ke_geo *g, const struct sockaddr *sa,
                            nts_pool_ke_geo_result *out);

/* NULL ignored. */
void nts_pool_ke_geo_close(nts_pool_ke_geo *g);

/* "country", "continent" or "global". */
const char *nts_pool_ke_geo_level_name(enum nts_pool_ke_geo_level level);

#endif
