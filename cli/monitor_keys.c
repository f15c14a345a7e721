/* SPDX-License-Identifier: BSD-2-Clause */
/* monitoring.json into [server] monitoring-key values (monitor_keys.h). */
#include <stdio.h>

#include <jansson.h>

#include "json_error.h"
#include "monitor_keys.h"

long nts_pool_ke_monitor_keys_parse(const char *path, const char *text,
                                    size_t len,
                                    const nts_pool_ke_key_sink *sink, char *err,
                                    size_t err_len) {
  json_error_t je;
  json_t *root = json_loadb(text, len, 0, &je);
  if (root == NULL) {
    nts_pool_ke_json_syntax_error(path, &je, false, err, err_len);
    return -1;
  }
  long n = -1;
  if (!json_is_array(root)) {
    snprintf(err, err_len, "%s: expected an array of monitor keys (strings)",
             path);
    goto out;
  }
  for (size_t i = 0; i < json_array_size(root); i++) {
    const json_t *k = json_array_get(root, i);
    if (!json_is_string(k)) {
      snprintf(err, err_len, "%s: entry %zu: expected a string", path, i);
      goto out;
    }
    /* The library's reason names the rule broken, never the key. */
    if (sink->set(sink->user, "server", "monitoring-key",
                  json_string_value(k)) != 0) {
      const char *why = sink->error(sink->user);
      snprintf(err, err_len, "%s: entry %zu: %s", path, i,
               *why ? why : "rejected");
      goto out;
    }
  }
  n = (long)json_array_size(root);
out:
  json_decref(root);
  return n;
}
