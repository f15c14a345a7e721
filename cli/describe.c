/* SPDX-License-Identifier: BSD-2-Clause */
/* nts-pool-ke -t: the sources and the monitor keys (describe.h). */
#include "describe.h"

void nts_pool_ke_describe(nts_pool_ke_config *cfg, FILE *out) {
  const ntspool_policy *p = ntspool_ctx_policy(cfg->ctx);
  ntspool_registry *reg = ntspool_policy_acquire(p);
  size_t n = ntspool_registry_count(reg);
  fprintf(out, "sources: %zu", n);
  if (cfg->files.server_list != NULL)
    fprintf(out, " (%ld from %s)", cfg->files.n_listed, cfg->files.server_list);
  fputc('\n', out);
  if (cfg->files.monitor_keys != NULL) /* how many, never which */
    fprintf(out, "monitor keys: %ld from %s\n", cfg->files.n_keys,
            cfg->files.monitor_keys);
  for (size_t i = 0; i < n; i++) {
    const ntspool_source *s = ntspool_registry_source(reg, i);
    const char *uuid = ntspool_source_uuid(s);
    fprintf(out,
            "source %s domain=%s port=%u weight=%u ipv4=%s ipv6=%s "
            "enabled=%s uuid=%s token=%s regions=",
            ntspool_source_name(s), ntspool_source_domain(s),
            (unsigned)ntspool_source_port(s),
            (unsigned)ntspool_source_weight(s),
            ntspool_source_has_family(s, NTSPOOL_FAMILY_IPV4) ? "yes" : "no",
            ntspool_source_has_family(s, NTSPOOL_FAMILY_IPV6) ? "yes" : "no",
            ntspool_source_enabled(s) ? "yes" : "no", uuid ? uuid : "-",
            ntspool_source_token(s).len > 0 ? "set" : "none");
    size_t nr = ntspool_source_region_count(s);
    for (size_t r = 0; r < nr; r++)
      fprintf(out, "%s%s", r ? "," : "", ntspool_source_region(s, r));
    fputs(nr ? "\n" : "-\n", out);
  }
  /* What each client location draws from (nts-pool-ke.conf(5) REGIONS). */
  static const struct {
    enum ntspool_family family;
    const char *name;
  } fams[] = {{NTSPOOL_FAMILY_IPV4, "ipv4"}, {NTSPOOL_FAMILY_IPV6, "ipv6"}};
  for (size_t f = 0; f < 2; f++) {
    size_t c[5];
    const char *name;
    for (size_t i = 0;
         (name = ntspool_registry_region(reg, fams[f].family, i, c)) != NULL;
         i++)
      fprintf(out, "region %s %s sources=%zu groups=%zu,%zu,%zu,%zu\n",
              fams[f].name, name, c[0], c[1], c[2], c[3], c[4]);
  }
  fprintf(out, "geolocation-db: %s\n",
          *cfg->geolocation_db ? cfg->geolocation_db
                               : "none (every client "
                                 "is global)");
  ntspool_registry_unref(reg);
}
