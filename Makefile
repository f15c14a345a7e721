# SPDX-License-Identifier: BSD-2-Clause
# libntspool and nts-pool-ke.  GNU make.
#
#   make               static and shared library, nts-pool-ke (build/)
#   make check         install missing dependencies, then every test: unit
#                      tests, the same under ASan+UBSan, a short fuzz run,
#                      integration and interop, on both TLS backends
#   make test          unit tests of this build only (SAN=1: sanitizer build)
#   TLS=openssl        any target with the OpenSSL 3 backend instead of
#                      mbedTLS (separate trees: build-openssl, build-san-openssl)
#   GEO=0              nts-pool-ke without libmaxminddb (no geolocation-db)
#   make fuzz          libFuzzer targets (clang);  make fuzz-run FUZZ_SECONDS=N
#   make install       PREFIX DESTDIR LIBDIR INCLUDEDIR MANDIR BINDIR SBINDIR
#   make deb           Debian packages (debian/) in build/deb/
#   make package-check build them, lintian, unpack into a temporary root and
#                      build a program against it with pkg-config; dpkg -i
#                      and purge in a throwaway mount namespace (root)
#   make format        clang-format every C file in place
#
# Honours CC CFLAGS CPPFLAGS LDFLAGS.

VERSION := $(shell sed -n 's/^\#define NTSPOOL_VERSION "\(.*\)"/\1/p' include/ntspool/common.h)
# The ABI number, the N of the soname libntspool.so.N (and of the Debian
# package libntspoolN).  It is its own number, not VERSION's major: while
# the version is 0.x every minor release may break the ABI, and the
# soname must change with each such break (0.1 -> 0.2 is .so.0 -> .so.1)
# or a program linked to the old library would load the new one and
# crash.  Bump it with every incompatible change to an exported symbol or
# a public struct; tests/install-test and tests/package-check read it here.
SOVERSION := 1

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

PKG_CONFIG ?= pkg-config
CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wformat=2 -Wvla -Wpointer-arith
MBEDTLS_CFLAGS = $(shell $(PKG_CONFIG) --cflags mbedtls mbedx509 mbedcrypto 2>/dev/null)
MBEDTLS_LIBS = $(shell $(PKG_CONFIG) --libs mbedtls mbedx509 mbedcrypto 2>/dev/null || echo -lmbedtls -lmbedx509 -lmbedcrypto)
CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

# The library's TLS backend (lib/tls/tls.h): mbedTLS 3.6 by default, or OpenSSL
# 3 (TLS=openssl).  Only lib/tls/tls_*.c differ; the examples' own crypto and the
# tests' rule-breaking TLS peers use mbedTLS with either.
TLS ?= mbedtls
MBEDTLS_TLS_SRCS := $(addprefix lib/tls/,tls_mbedtls.c tls_config.c tls_info.c \
  tls_certfile.c tls_crypto.c tls_requirements.c)
OPENSSL_TLS_SRCS := $(wildcard lib/tls/tls_openssl*.c)
ifeq ($(TLS),openssl)
TLS_SUFFIX := -openssl
TLS_CFLAGS = $(shell $(PKG_CONFIG) --cflags libssl libcrypto 2>/dev/null) -DNTSPOOL_TLS_OPENSSL
TLS_LIBS = $(shell $(PKG_CONFIG) --libs libssl libcrypto 2>/dev/null || echo -lssl -lcrypto)
TLS_OTHER_SRCS := $(MBEDTLS_TLS_SRCS)
TLS_PC_REQUIRES := libssl >= 3.0, libcrypto >= 3.0
else ifeq ($(TLS),mbedtls)
TLS_SUFFIX :=
TLS_CFLAGS =
TLS_LIBS = $(MBEDTLS_LIBS)
TLS_OTHER_SRCS := $(OPENSSL_TLS_SRCS)
TLS_PC_REQUIRES := mbedtls >= 3.6.4, mbedx509 >= 3.6.4, mbedcrypto >= 3.6.4
else
$(error TLS=$(TLS): choose mbedtls or openssl)
endif

ifeq ($(SAN),1)
BUILD ?= build-san$(TLS_SUFFIX)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD ?= build$(TLS_SUFFIX)
SANFLAGS :=
endif

ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN) $(SANFLAGS) $(CFLAGS)
LIB_CPPFLAGS = -Iinclude -Ilib -DNTSPOOL_BUILDING $(TLS_CFLAGS) $(MBEDTLS_CFLAGS) $(CPPFLAGS)
# What every program linked to the static library needs after it: the
# backend, then mbedTLS for the programs' own use.
LINK_LIBS = $(TLS_LIBS) $(if $(filter openssl,$(TLS)),$(MBEDTLS_LIBS)) -lpthread

LIB_SRCS := $(filter-out $(TLS_OTHER_SRCS),$(sort $(wildcard lib/*/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(sort $(wildcard tests/support/*.c))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

STATIC := $(BUILD)/libntspool.a
SHARED := $(BUILD)/libntspool.so.$(VERSION)
SONAME := libntspool.so.$(SOVERSION)

.PHONY: all lib cli integration examples test check deps deps-build fuzz fuzz-run install uninstall \
  clean format deb package-check
.DELETE_ON_ERROR:

all: $(STATIC) $(SHARED) examples cli
lib: $(STATIC) $(SHARED)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden $(LIB_CPPFLAGS) -MMD -MP -c -o $@ $<

$(STATIC): $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJS)
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined \
	  $(LDFLAGS) -o $@ $^ $(TLS_LIBS) -lpthread
	ln -sf $(notdir $@) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libntspool.so

# Tests link the static library so they can reach internal (hidden) symbols.
$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_CPPFLAGS) -Itests -MMD -MP -o $@ $< $(TEST_SUPPORT) \
	  $(LDFLAGS) $(STATIC) $(CMOCKA_LIBS) $(LINK_LIBS)

# The example programs' shared code (examples/common: AES-SIV, NTS NTP
# packets, cookies) has unit tests of its own, which link it as well.
EXAMPLE_COMMON := $(sort $(wildcard examples/common/*.c))
EXAMPLE_TESTS := $(filter $(BUILD)/tests/test_aes_siv $(BUILD)/tests/test_nts_ntp,$(TEST_BINS))

$(EXAMPLE_TESTS): $(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT) $(EXAMPLE_COMMON) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_CPPFLAGS) -Itests -Iexamples -MMD -MP -o $@ $< $(TEST_SUPPORT) \
	  $(EXAMPLE_COMMON) $(LDFLAGS) $(STATIC) $(CMOCKA_LIBS) $(LINK_LIBS)

# Example programs: build/examples/NAME from examples/NAME/*.c and
# examples/common, linked to the static library through the public header
# only, as an embedder would.
EXAMPLES := time-source ntske-client
EXAMPLE_BINS := $(EXAMPLES:%=$(BUILD)/examples/%)
EXAMPLE_HDRS := $(wildcard include/*.h include/ntspool/*.h examples/*/*.h)

define example_rule
$(BUILD)/examples/$(1): $(wildcard examples/$(1)/*.c) $(EXAMPLE_COMMON) $(EXAMPLE_HDRS) $(STATIC)
	@mkdir -p $$(@D)
	$$(CC) $$(ALL_CFLAGS) -Iinclude -Iexamples $$(MBEDTLS_CFLAGS) $$(CPPFLAGS) -o $$@ \
	  $$(filter %.c,$$^) $$(LDFLAGS) $$(STATIC) $$(LINK_LIBS)
endef
$(foreach e,$(EXAMPLES),$(eval $(call example_rule,$(e))))

examples: $(EXAMPLE_BINS)

# Single-file examples (decode, poll-proxy): the public header only, no
# examples/common.
EXAMPLE_SINGLE := $(filter-out $(BUILD)/examples/event-loop,$(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c)))

$(EXAMPLE_SINGLE): $(BUILD)/examples/%: examples/%.c $(wildcard include/*.h include/ntspool/*.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinclude $(CPPFLAGS) -o $@ $< $(LDFLAGS) $(STATIC) \
	  $(LINK_LIBS)

examples: $(EXAMPLE_SINGLE)

# event-loop: pool sessions driven from libevent (Debian's libevent-dev).
LIBEVENT_CFLAGS = $(shell $(PKG_CONFIG) --cflags libevent_core 2>/dev/null)
LIBEVENT_LIBS = $(shell $(PKG_CONFIG) --libs libevent_core 2>/dev/null || echo -levent_core)

$(BUILD)/examples/event-loop: examples/event-loop.c $(wildcard include/*.h include/ntspool/*.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinclude $(LIBEVENT_CFLAGS) $(CPPFLAGS) -o $@ $< $(LDFLAGS) \
	  $(STATIC) $(LIBEVENT_LIBS) $(LINK_LIBS)

examples: $(BUILD)/examples/event-loop

# nts-pool-ke, the daemon (cli/), linked to the static library like the
# examples; inih from pkg-config.
INIH_CFLAGS = $(shell $(PKG_CONFIG) --cflags inih 2>/dev/null)
INIH_LIBS = $(shell $(PKG_CONFIG) --libs inih 2>/dev/null || echo -linih)
CLI_SRCS := $(sort $(wildcard cli/*.c))
# The server list (servers.json) is parsed with jansson.
JANSSON_CFLAGS = $(shell $(PKG_CONFIG) --cflags jansson 2>/dev/null)
JANSSON_LIBS = $(shell $(PKG_CONFIG) --libs jansson 2>/dev/null || echo -ljansson)

# The daemon's server-list and monitor-keys translations have unit tests of
# their own, which compile them (and the file reader) with the test.
$(BUILD)/tests/test_server_list: tests/test_server_list.c cli/server_list.c cli/file.c \
    cli/monitor_keys.c cli/server_list.h cli/file.h cli/monitor_keys.h $(TEST_SUPPORT) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LIB_CPPFLAGS) $(JANSSON_CFLAGS) -Itests -Icli -MMD -MP -o $@ $< \
	  cli/server_list.c cli/file.c cli/monitor_keys.c $(TEST_SUPPORT) $(LDFLAGS) $(STATIC) $(JANSSON_LIBS) \
	  $(CMOCKA_LIBS) $(LINK_LIBS)
CLI := $(BUILD)/nts-pool-ke
# Client location (cli/geo.c) with libmaxminddb; GEO=0 builds the daemon
# without it (a configured geolocation-db then fails to load, saying so).
GEO ?= 1
MAXMINDDB_LIBS = $(shell $(PKG_CONFIG) --libs libmaxminddb 2>/dev/null || echo -lmaxminddb)
CLI_CMD = $(CC) $(ALL_CFLAGS) -Iinclude $(INIH_CFLAGS) $(JANSSON_CFLAGS) $(MBEDTLS_CFLAGS) $(CPPFLAGS) \
  -DNTS_POOL_KE_GEO=$(1) -o $@ $(CLI_SRCS) $(LDFLAGS) $(STATIC) $(INIH_LIBS) $(JANSSON_LIBS) \
  $(if $(filter 1,$(1)),$(MAXMINDDB_LIBS)) $(LINK_LIBS)

# Rebuilds the daemon when GEO changes.
$(BUILD)/cli-geo: FORCE
	@mkdir -p $(@D)
	@echo $(GEO) | cmp -s - $@ || echo $(GEO) > $@

$(CLI): $(CLI_SRCS) $(wildcard cli/*.h include/*.h include/ntspool/*.h) $(STATIC) $(BUILD)/cli-geo
	$(call CLI_CMD,$(GEO))

# The same without libmaxminddb, for the integration test of GEO=0.
$(BUILD)/tests/helpers/nts-pool-ke-nogeo: $(CLI_SRCS) $(wildcard cli/*.h include/*.h include/ntspool/*.h) $(STATIC)
	@mkdir -p $(@D)
	$(call CLI_CMD,0)

.PHONY: FORCE
FORCE:

cli: $(CLI)

# Integration tests: the daemon on loopback against test time sources.
HELPERS := $(BUILD)/tests/helpers/test-source $(BUILD)/tests/helpers/test-client \
  $(BUILD)/tests/helpers/nts-pool-ke-nogeo

# The helpers may use the internal TLS module, as unit tests do (-Ilib).
$(BUILD)/tests/helpers/%: tests/helpers/%.c $(wildcard include/*.h include/ntspool/*.h lib/tls/tls.h) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinclude -Ilib $(CPPFLAGS) -o $@ $< $(LDFLAGS) $(STATIC) \
	  $(LINK_LIBS)

integration: $(CLI) $(HELPERS) $(BUILD)/examples/time-source $(BUILD)/examples/ntske-client
	@tests/integration/fetch-haproxy $(BUILD) >/dev/null
	@tests/integration/run $(BUILD)

# The layer check (tests/check-layers) first: a lower layer of lib/ never
# includes a higher one, and the check itself catches a planted violation.
test: $(TEST_BINS)
	@tests/check-layers && tests/check-layers --self-test >/dev/null
	@tests/run-tests $(TEST_BINS)

# Missing dependencies: `check` installs everything make check needs,
# `build` only what make and make demo need (.ci/install-deps says which).
deps:
	@.ci/install-deps check

deps-build:
	@.ci/install-deps build

# The README's test command: everything, on a fresh machine too.  Each
# stage is one shell command ending in an "N passed, N failed" line;
# tests/check-all runs them all and prints the totals last.  Append stages
# to CHECK_STAGES (they run in order).
# The install path of a fresh machine (apt simulating), on every machine;
# the tree's own rules (SPDX lines, no citation of outside documents).
# The public headers alone and <ntspool.h> as strict C99 and C++11
# (cc/c++ -pedantic -Werror -fsyntax-only), GNU attributes guarded, no
# internal function named (tests/header-check).
CHECK_STAGES := "tests/install-deps-test" "tests/tree-check" "tests/header-check" "$(MAKE) -s test" "tests/install-test" "$(MAKE) -s test SAN=1" \
  "$(MAKE) -s fuzz-run FUZZ_SECONDS=$(or $(FUZZ_SECONDS),8)" "$(MAKE) -s integration"
# The examples end to end on loopback (time-source, ntske-client).
CHECK_STAGES += "tests/integration/examples.sh"
# Stock NTS clients (Debian's chrony and NTPsec, fetched with apt-get
# download, never installed) against nts-pool-ke, the examples, poll-proxy.
CHECK_STAGES += "$(MAKE) -s interop"
# The same on the OpenSSL backend (TLS=openssl, its own build trees): unit
# tests, the installed library, the sanitizer build, the daemon, the
# examples, the stock clients.
CHECK_STAGES += "$(MAKE) -s test TLS=openssl" "MAKE='$(MAKE) TLS=openssl' tests/install-test" \
  "$(MAKE) -s test SAN=1 TLS=openssl" \
  "$(MAKE) -s integration TLS=openssl" \
  "$(MAKE) -s all TLS=openssl >/dev/null && tests/integration/examples.sh build-openssl" \
  "$(MAKE) -s interop TLS=openssl"
# Debian 12's NTPsec as a pool time source, its NTS-KE server linked to
# the OpenSSL backend (contrib/ntpsec: fetched with a private deb-src list,
# patched, built once into build/ntpsec), with stock chrony and NTPsec as
# clients through nts-pool-ke (tests/interop/ntpsec).
CHECK_STAGES += "$(MAKE) -s ntpsec-check"
# The Debian packages: built, checked by lintian, unpacked into a temporary
# root and used from there, installed and purged in a mount namespace
# (tests/package-check).
CHECK_STAGES += "$(MAKE) -s package-check"

check: deps
	$(MAKE) all
	@tests/check-all $(CHECK_STAGES)

.PHONY: interop demo ntpsec-check
interop: all
	@tests/interop/run $(BUILD)

# Bounded: the test's own waits are, and the whole stage stops at 6 min.
ntpsec-check:
	@$(MAKE) -s TLS=openssl all >/dev/null
	@timeout 360 tests/interop/ntpsec build-openssl || \
	  { rc=$$?; [ $$rc = 124 ] && echo "ntpsec: 0 passed, 1 failed (stopped after 360 s)"; exit $$rc; }

# The README's demo: throwaway PKI, two example time sources, nts-pool-ke
# and chrony on loopback (examples/demo.sh says what it starts and stops).
demo: deps-build
	$(MAKE) all
	@examples/demo.sh $(BUILD)

# libFuzzer: each target links the library sources built with the fuzzer's
# instrumentation (a separate tree, so flags never mix).
FUZZ_CC ?= clang
FUZZ_BUILD := build-fuzz
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
FUZZ_SECONDS ?= 8

$(FUZZ_BUILD)/%: tests/fuzz/%.c $(LIB_SRCS) $(wildcard lib/*/*.h include/*.h include/ntspool/*.h tests/fuzz/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(FUZZ_FLAGS) $(LIB_CPPFLAGS) -o $@ $< $(LIB_SRCS) \
	  $(TLS_LIBS) -lpthread

# The daemon's server list translation, with jansson (not instrumented).
$(FUZZ_BUILD)/fuzz_server_list: tests/fuzz/fuzz_server_list.c cli/server_list.c cli/server_list.h \
    $(LIB_SRCS) $(wildcard lib/*/*.h include/*.h include/ntspool/*.h tests/fuzz/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 -D_POSIX_C_SOURCE=200809L $(FUZZ_FLAGS) $(LIB_CPPFLAGS) -Icli $(JANSSON_CFLAGS) \
	  -o $@ $< cli/server_list.c $(LIB_SRCS) $(JANSSON_LIBS) $(TLS_LIBS) -lpthread

fuzz: $(FUZZ_BINS)

fuzz-run: $(FUZZ_BINS)
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_BINS)

# Benchmarks (tests/bench): a program, not a test; make check never
# runs it.  The load generator is an OpenSSL client (libssl-dev, which
# .ci/install-deps installs).
.PHONY: bench bench-bins
BENCH_BINS := $(BUILD)/bench/loadgen $(BUILD)/bench/benchd

$(BUILD)/bench/loadgen: tests/bench/loadgen.c tests/bench/addr.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -Iinclude $(CPPFLAGS) -o $@ $< tests/bench/addr.c \
	  $(LDFLAGS) $(STATIC) -lssl -lcrypto -lpthread

$(BUILD)/bench/benchd: tests/bench/benchd.c tests/bench/addr.c lib/tls/tls.h $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE $(LIB_CPPFLAGS) -o $@ $< tests/bench/addr.c \
	  $(LDFLAGS) $(STATIC) $(LINK_LIBS)

# The scale rows (selection cost, reload, memory per source): the policy
# alone, through the public header.
BENCH_BINS += $(BUILD)/bench/select_bench

$(BUILD)/bench/select_bench: tests/bench/select_bench.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iinclude $(CPPFLAGS) -o $@ $< $(LDFLAGS) $(STATIC) \
	  $(LINK_LIBS)

bench-bins: $(BENCH_BINS)

# Both TLS backends side by side: the OpenSSL rows come from a second tree.
bench: deps
	$(MAKE) all bench-bins
	$(MAKE) TLS=openssl BUILD=$(BUILD)-openssl all bench-bins
	tests/bench/run $(BUILD) $(BUILD)-openssl

$(BUILD)/libntspool.pc: pkgconfig/libntspool.pc.in include/ntspool/common.h
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@TLS_BACKEND@|$(TLS)|' -e 's|@TLS_REQUIRES@|$(TLS_PC_REQUIRES)|' $< > $@

install: lib cli $(BUILD)/libntspool.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/ntspool $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/ntspool.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 include/ntspool/*.h $(DESTDIR)$(INCLUDEDIR)/ntspool/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libntspool.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libntspool.so
	install -m 644 $(BUILD)/libntspool.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -d $(DESTDIR)$(SBINDIR)
	install -m 755 $(CLI) $(DESTDIR)$(SBINDIR)/
	for m in man/*.[0-9]; do [ -e "$$m" ] || continue; s=$${m##*.}; \
	  install -d $(DESTDIR)$(MANDIR)/man$$s; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

# Debian packages: dpkg-buildpackage in a copy of the tracked files (their
# working-tree contents: `git stash create` commits them without touching
# the tree or the stash), so debian/tmp and debhelper's state never land in
# the tree; the .debs and .changes are left in build/deb/.  No -dbgsym
# packages: this is for testing and local installs, not an archive.
DEB_DIR := build/deb

deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
	  { echo "deb: dpkg-buildpackage or dh is missing; install dpkg-dev and debhelper" >&2; exit 1; }
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/src
	c=$$(git -c user.name=make -c user.email=make@localhost stash create) && \
	  git archive "$${c:-HEAD}" | tar -x -C $(DEB_DIR)/src
	cd $(DEB_DIR)/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	  DEB_BUILD_OPTIONS="noautodbgsym $(DEB_BUILD_OPTIONS)" \
	  dpkg-buildpackage -us -uc -b --jobs-try=auto
	rm -rf $(DEB_DIR)/src

package-check:
	@tests/package-check

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/ntspool.h $(DESTDIR)$(LIBDIR)/libntspool.a \
	  $(DESTDIR)$(LIBDIR)/libntspool.so $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/libntspool.so.$(VERSION) $(DESTDIR)$(PKGCONFIGDIR)/libntspool.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/ntspool
	rm -f $(DESTDIR)$(SBINDIR)/nts-pool-ke
	for m in man/*.[0-9]; do [ -e "$$m" ] || continue; s=$${m##*.}; \
	  rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done

clean:
	rm -rf build build-san build-openssl build-san-openssl $(FUZZ_BUILD)

format:
	clang-format -i include/*.h include/ntspool/*.h lib/*/*.[ch] tests/*.c tests/*/*.[ch] \
	  $(wildcard cli/*.[ch] examples/*.[ch] examples/*/*.[ch])

-include $(LIB_OBJS:.o=.d) $(TEST_BINS:=.d)
