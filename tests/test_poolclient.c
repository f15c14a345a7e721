/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pool client's book of held sources: what it denies, which answers it
 * takes, how a lost source is replaced; and, with a pool of two sources,
 * that following it gets a client both of them and then stops.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ntspool/poolclient.h"
#include "support/world.h"

static void test_poolclient_arguments(void **state) {
  (void)state;
  ntspool_poolclient *pc;
  assert_int_equal(ntspool_poolclient_new(0, NULL, &pc),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_poolclient_new(NTSPOOL_MAX_DENIED + 1, NULL, &pc),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_poolclient_new(1, NULL, NULL),
                   NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_poolclient_missing(NULL), 0);
  assert_int_equal(ntspool_poolclient_denied(NULL, NULL, 4), 0);
  assert_int_equal(ntspool_poolclient_offer(NULL, "a"),
                   NTSPOOL_ERR_INVALID_ARG);
  ntspool_poolclient_free(NULL);
  assert_int_equal(ntspool_poolclient_new(NTSPOOL_MAX_DENIED, NULL, &pc), 0);
  char long_name[300];
  memset(long_name, 'a', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  assert_int_equal(ntspool_poolclient_offer(pc, ""), NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_poolclient_offer(pc, NULL), NTSPOOL_ERR_INVALID_ARG);
  assert_int_equal(ntspool_poolclient_offer(pc, long_name),
                   NTSPOOL_ERR_INVALID_ARG);
  long_name[255] = '\0'; /* 255 bytes: the longest DNS name */
  assert_int_equal(ntspool_poolclient_offer(pc, long_name), 1);
  assert_int_equal(ntspool_poolclient_remove(pc, "b"), NTSPOOL_ERR_NOT_FOUND);
  assert_int_equal(ntspool_poolclient_remove(pc, ""), NTSPOOL_ERR_INVALID_ARG);
  ntspool_poolclient_free(pc);
}

static void test_poolclient_keeps_distinct(void **state) {
  (void)state;
  ntspool_poolclient *pc;
  const char *deny[NTSPOOL_MAX_DENIED];
  assert_int_equal(ntspool_poolclient_new(3, NULL, &pc), 0);
  assert_int_equal(ntspool_poolclient_missing(pc), 3);
  assert_int_equal(ntspool_poolclient_denied(pc, deny, 16), 0);
  assert_int_equal(ntspool_poolclient_offer(pc, "a.example"), 1);
  assert_int_equal(ntspool_poolclient_offer(pc, "b.example"), 1);
  /* The same server again, as a DNS name: refused. */
  assert_int_equal(ntspool_poolclient_offer(pc, "A.Example."), 0);
  assert_int_equal(ntspool_poolclient_offer(pc, "b.example"), 0);
  assert_int_equal(ntspool_poolclient_missing(pc), 1);
  assert_int_equal(ntspool_poolclient_denied(pc, deny, 16), 2);
  assert_string_equal(deny[0], "a.example");
  assert_string_equal(deny[1], "b.example");
  assert_int_equal(ntspool_poolclient_denied(pc, deny, 1), 1);
  assert_int_equal(ntspool_poolclient_offer(pc, "c.example"), 1);
  /* Full: even a new one is not wanted. */
  assert_int_equal(ntspool_poolclient_missing(pc), 0);
  assert_int_equal(ntspool_poolclient_offer(pc, "d.example"), 0);
  /* A lost source leaves a gap the next answer fills. */
  assert_int_equal(ntspool_poolclient_remove(pc, "B.EXAMPLE"), 0);
  assert_int_equal(ntspool_poolclient_remove(pc, "b.example"),
                   NTSPOOL_ERR_NOT_FOUND);
  assert_int_equal(ntspool_poolclient_missing(pc), 1);
  assert_int_equal(ntspool_poolclient_denied(pc, deny, 16), 2);
  assert_string_equal(deny[0], "a.example");
  assert_string_equal(deny[1], "c.example");
  assert_int_equal(ntspool_poolclient_offer(pc, "d.example"), 1);
  assert_int_equal(ntspool_poolclient_denied(pc, deny, 16), 3);
  assert_string_equal(deny[2], "d.example");
  ntspool_poolclient_free(pc);
}

/* Against a pool of two sources: the first answer is held, the second
 * exchange denies it and gets the other, the third has nothing new left
 * (the pool ignores a deny it cannot honour) and is refused. */
static void test_poolclient_against_a_pool(void **state) {
  (void)state;
  static world w;
  world_init(&w, 2, NTSPOOL_NUMBERING_IANA, NULL);
  ntspool_poolclient *pc;
  assert_int_equal(ntspool_poolclient_new(3, NULL, &pc), 0);
  int taken = 0, refused = 0;
  for (int i = 0; i < 3; i++) {
    const char *deny[NTSPOOL_MAX_DENIED + 1];
    size_t n = ntspool_poolclient_denied(pc, deny, NTSPOOL_MAX_DENIED);
    deny[n] = NULL;
    ntspool_ke_result res;
    assert_int_equal(world_run_client(&w, -1, deny, 4, &res, NULL, NULL, 0), 0);
    int rc = ntspool_poolclient_offer(pc, res.server);
    assert_true(rc == 0 || rc == 1);
    taken += rc == 1;
    refused += rc == 0;
  }
  assert_int_equal(taken, 2);
  assert_int_equal(refused, 1);
  assert_int_equal(ntspool_poolclient_missing(pc), 1);
  ntspool_poolclient_free(pc);
  world_free(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_poolclient_arguments),
      cmocka_unit_test(test_poolclient_keeps_distinct),
      cmocka_unit_test(test_poolclient_against_a_pool),
  };
  return cmocka_run_group_tests_name("poolclient", tests, NULL, NULL);
}
