/* SPDX-License-Identifier: BSD-2-Clause */
/* The log line format and level names shared by the daemon and examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ntspool.h"

static size_t fmt(char *buf, size_t cap, enum ntspool_log_level level,
                  const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  size_t n = ntspool_log_format(buf, cap, 1795676755, 123456, level,
                                "nts_pool_ke", "pool", f, ap);
  va_end(ap);
  return n;
}

static void test_log_line(void **state) {
  (void)state;
  char buf[256];
  size_t n = fmt(buf, sizeof buf, NTSPOOL_LOG_INFO, "served peer=%s ms=%d",
                 "127.0.0.1", 3);
  const char *want = "2026-11-26T07:05:55.123456Z INFO  nts_pool_ke::pool: "
                     "served peer=127.0.0.1 ms=3\n";
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
  fmt(buf, sizeof buf, NTSPOOL_LOG_WARNING, "x");
  assert_non_null(strstr(buf, "Z WARN  nts_pool_ke::pool: x\n"));
  fmt(buf, sizeof buf, NTSPOOL_LOG_DEBUG, "x");
  assert_non_null(strstr(buf, "Z DEBUG nts_pool_ke::pool: x\n"));
}

/* A field with a newline cannot forge a second entry. */
static void test_log_one_line(void **state) {
  (void)state;
  char buf[256];
  fmt(buf, sizeof buf, NTSPOOL_LOG_ERROR, "name=%s", "a\n2026 INFO forged\r");
  assert_ptr_equal(strchr(buf, '\n'), buf + strlen(buf) - 1);
  assert_null(strchr(buf, '\r'));
}

static void test_log_cut(void **state) {
  (void)state;
  char buf[40];
  size_t n = fmt(buf, sizeof buf, NTSPOOL_LOG_INFO, "%0100d", 7);
  assert_int_equal(n, sizeof buf - 1);
  assert_int_equal(buf[n - 1], '\n');
  assert_int_equal(buf[n], '\0');
  assert_int_equal(fmt(buf, 1, NTSPOOL_LOG_INFO, "x"), 0);
}

static void test_log_escape(void **state) {
  (void)state;
  char out[16];
  assert_string_equal(ntspool_log_escape("a\nb\x01\\c", out, sizeof out),
                      "a\\x0ab\\x01\\c");
  assert_string_equal(ntspool_log_escape("\xff~ ", out, sizeof out), "\\xff~ ");
  /* Cut where the room ends, never inside an escape. */
  assert_string_equal(ntspool_log_escape("abc\n", out, 6), "abc");
  assert_string_equal(ntspool_log_escape("abcdefghijklmnopq", out, sizeof out),
                      "abcdefghijklmno");
  assert_string_equal(ntspool_log_escape("", out, sizeof out), "");
}

static void test_log_levels(void **state) {
  (void)state;
  enum ntspool_log_level l;
  assert_int_equal(ntspool_log_level_parse("DeBuG", &l), 0);
  assert_int_equal(l, NTSPOOL_LOG_DEBUG);
  assert_int_equal(ntspool_log_level_parse("warn", &l), 0);
  assert_int_equal(l, NTSPOOL_LOG_WARNING);
  assert_int_equal(ntspool_log_level_parse("loud", &l), NTSPOOL_ERR_CONFIG);
  assert_int_equal(ntspool_log_level_parse(NULL, &l), NTSPOOL_ERR_CONFIG);
  assert_string_equal(ntspool_log_level_name(NTSPOOL_LOG_ERROR), "ERROR");
  /* trace: more than debug, as the Rust nts-pool-ke's -l trace */
  assert_int_equal(ntspool_log_level_parse("trace", &l), 0);
  assert_int_equal(l, NTSPOOL_LOG_TRACE);
  assert_true(NTSPOOL_LOG_TRACE > NTSPOOL_LOG_DEBUG);
  assert_string_equal(ntspool_log_level_name(NTSPOOL_LOG_TRACE), "TRACE");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_log_line),   cmocka_unit_test(test_log_one_line),
      cmocka_unit_test(test_log_cut),    cmocka_unit_test(test_log_escape),
      cmocka_unit_test(test_log_levels),
  };
  return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
