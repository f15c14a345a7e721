/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helper shared by every test binary: hex text to bytes, so test
 * vectors are written in the hex notation of doc/protocol.md section 11.
 */
#ifndef NTSPOOL_TEST_HEX_H
#define NTSPOOL_TEST_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Decodes `spaced_hex` (pairs of hex digits, either case; spaces, tabs and
 * newlines anywhere are skipped) into out[0..cap) and returns the number of
 * bytes.  A bad vector is a bug in the test itself, so a non-hex character,
 * an odd number of digits or more than `cap` bytes print the offending text
 * to stderr and abort() instead of returning an error to check. */
size_t ntspool_test_hex(const char *spaced_hex, uint8_t *out, size_t cap);

#endif
