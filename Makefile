# SPDX-License-Identifier: GPL-2.0-or-later
# passt - build, tests, benchmarks, fuzzing, install

CC ?= cc
CLANG ?= clang
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

WARN := -Wall -Wextra -Werror
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -I.
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(BASE_CFLAGS) $(CFLAGS)

# The daemon: every top-level module but the repair helper
HELPER_SRCS := $(wildcard passt-repair.c)
DAEMON_SRCS := $(filter-out $(HELPER_SRCS),$(sort $(wildcard *.c)))
LIB_SRCS := $(filter-out passt.c,$(DAEMON_SRCS))
HEADERS := $(wildcard *.h)

UNIT_SRCS := $(sort $(wildcard test/unit/*.c))
UNIT_HDRS := $(wildcard test/unit/*.h)
FUZZ_SRCS := $(sort $(wildcard test/fuzz/fuzz_*.c))
FUZZERS := $(patsubst test/fuzz/%.c,build/%,$(FUZZ_SRCS))
TOOL_SRCS := $(sort $(wildcard test/tools/*.c))
TOOL_HDRS := $(wildcard test/tools/*.h test/*.h)
TOOLS := $(patsubst test/tools/%.c,build/%,$(TOOL_SRCS))
BENCH_SRCS := $(sort $(wildcard test/bench/bench_*.c))
BENCHES := $(patsubst test/bench/%.c,build/%,$(BENCH_SRCS))

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

BINS := passt $(patsubst %.c,%,$(HELPER_SRCS))

.PHONY: all check unit fuzz-smoke fuzz bench bench-migrate e2e install clean \
	tools

all: $(BINS)

passt: $(DAEMON_SRCS) $(HEADERS)
	$(CC) $(ALL_CFLAGS) -o $@ $(DAEMON_SRCS) $(LDLIBS)

passt-repair: passt-repair.c
	$(CC) $(ALL_CFLAGS) -o $@ $<

build:
	mkdir -p build

# Unit tests, built with AddressSanitizer and UndefinedBehaviorSanitizer
build/unit: $(UNIT_SRCS) $(UNIT_HDRS) $(LIB_SRCS) $(HEADERS) | build
	$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -Itest/unit -o $@ \
		$(UNIT_SRCS) $(LIB_SRCS) $(LDLIBS)

unit: build/unit
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build/unit

# libFuzzer targets: one binary per test/fuzz/fuzz_*.c
build/fuzz_%: test/fuzz/fuzz_%.c test/unit/harness.c $(LIB_SRCS) $(HEADERS) | build
	$(CLANG) $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Itest/unit -o $@ $< \
		test/unit/harness.c $(LIB_SRCS) $(LDLIBS)

# Test tools (guest bridges, front-end stand-in) and benchmarks
build/%: test/tools/%.c $(TOOL_HDRS) $(LIB_SRCS) $(HEADERS) | build
	$(CC) $(ALL_CFLAGS) -Itest/tools -o $@ $< $(LIB_SRCS) $(LDLIBS)

build/bench_%: test/bench/bench_%.c $(TOOL_HDRS) $(LIB_SRCS) $(HEADERS) | build
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB_SRCS) $(LDLIBS)

# Compares TCP_REPAIR through io_uring with plain setsockopt()
build/bench_tcp_repair: LDLIBS += -luring

tools: $(TOOLS)

FUZZ_RUNS ?= 20000
fuzz-smoke: $(FUZZERS)
	test/fuzz/run.sh $(FUZZ_RUNS) $(FUZZERS)

FUZZ_TIME ?= 300
fuzz: $(FUZZERS)
	test/fuzz/run.sh time:$(FUZZ_TIME) $(FUZZERS)

check: all build/unit $(FUZZERS) $(TOOLS)
	test/run-all.sh

bench: all $(BENCHES) $(TOOLS)
	test/bench/run.sh $(BENCHES)

# Real QEMU: the guest's pause and its connections' (test/e2e/bench_migrate.sh)
bench-migrate: all $(TOOLS)
	test/e2e/bench_migrate.sh

e2e: all $(TOOLS)
	test/e2e/run.sh

install: $(BINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard doc/*.1) $(DESTDIR)$(MANDIR)/man1

clean:
	rm -rf build $(BINS)
