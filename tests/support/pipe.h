/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An in-memory duplex pipe for tests: two ends, each with an ntspool_io
 * whose send() feeds the other end's recv().  Behaviour is injectable per
 * end, to reach every path a real socket can take:
 *
 *   max_per_call     send/recv move at most this many bytes (1: a byte at
 *                    a time; 0: no limit)
 *   block_alternate  every other send and recv call returns WOULD_BLOCK
 *   eof_after        recv returns EOF once this end has received that many
 *                    bytes in total
 *   io_error         send and recv return NTSPOOL_ERR_IO
 *
 * Each direction holds at most `capacity` bytes; a full direction makes
 * send() return WOULD_BLOCK (a short write when it is nearly full), an empty
 * one makes recv() return WOULD_BLOCK, or EOF once the sending end called
 * ntspool_test_pipe_shutdown.  Single-threaded.
 */
#ifndef NTSPOOL_TEST_PIPE_H
#define NTSPOOL_TEST_PIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "ntspool/io.h"

typedef struct ntspool_test_pipe ntspool_test_pipe;

/* A new pipe, each direction holding `capacity` bytes (0: 64 KiB).
 * Returns NULL when out of memory. */
ntspool_test_pipe *ntspool_test_pipe_new(size_t capacity);
void ntspool_test_pipe_free(ntspool_test_pipe *p);

/* The I/O table of end 0 or end 1 (valid until free). */
const ntspool_io *ntspool_test_pipe_io(ntspool_test_pipe *p, int end);

void ntspool_test_pipe_set_max_per_call(ntspool_test_pipe *p, int end,
                                        size_t max);
void ntspool_test_pipe_set_block_alternate(ntspool_test_pipe *p, int end,
                                           bool on);
/* EOF after `n` more bytes received by `end`. */
void ntspool_test_pipe_set_eof_after(ntspool_test_pipe *p, int end, size_t n);
void ntspool_test_pipe_set_io_error(ntspool_test_pipe *p, int end, bool on);

/* `end` stops sending: the other end reads what is queued, then EOF.  Sends
 * from `end` afterwards return NTSPOOL_ERR_IO (EPIPE). */
void ntspool_test_pipe_shutdown(ntspool_test_pipe *p, int end);

/* Bytes queued for `end` to receive. */
size_t ntspool_test_pipe_queued(const ntspool_test_pipe *p, int end);

/* Totals moved by `end`: bytes sent, bytes received, and calls to its send
 * and recv (WOULD_BLOCK results included). */
size_t ntspool_test_pipe_sent(const ntspool_test_pipe *p, int end);
size_t ntspool_test_pipe_received(const ntspool_test_pipe *p, int end);
size_t ntspool_test_pipe_calls(const ntspool_test_pipe *p, int end);

/* NTSPOOL_IO_READ or NTSPOOL_IO_WRITE when the last send or recv call of
 * `end` returned WOULD_BLOCK, else 0. */
unsigned ntspool_test_pipe_last_blocked(const ntspool_test_pipe *p, int end);

#endif
