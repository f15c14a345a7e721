/* SPDX-License-Identifier: BSD-2-Clause */
/* "A.B.C.D:PORT" for the bench programs (IPv4 loopback only). */
#ifndef NTSPOOL_BENCH_ADDR_H
#define NTSPOOL_BENCH_ADDR_H

#include <netinet/in.h>

/* Fills *out from "A.B.C.D:PORT".  Returns 0, or -1 if it is not one. */
int bench_parse_addr(const char *s, struct sockaddr_in *out);

#endif
