/* SPDX-License-Identifier: BSD-2-Clause */
/* Run-time version, so a program can tell which library it was loaded with. */
#include "ntspool.h"

const char *ntspool_version(void) {
  return NTSPOOL_VERSION;
}

unsigned ntspool_version_num(void) {
  return NTSPOOL_VERSION_NUM;
}
