# SPDX-License-Identifier: GPL-2.0
#
# kipc: the module (through kbuild, see Kbuild), libkipc, the selftests,
# the examples and the benchmark.  `make help` lists the targets.

VERSION		:= 0.1.0
KVER		?= $(shell vm/kver.sh)
KDIR		?= /lib/modules/$(KVER)/build
# Which Debian kernel to build for and boot (vm/kernel.sh list): bookworm
# (the host's linux-headers-amd64, KVER/KDIR above), rt, backports, sid,
# or debug and kcsan (built from linux-source-6.1, see check-debug and
# check-kcsan).
KERNEL		?= bookworm
export KERNEL
PREFIX		?= /usr/local
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
# libkipc(3) and a page per function (a group's page and .so links to it)
MAN3		:= $(sort $(wildcard man/*.3))
DESTDIR		?=
O		:= build

CC		?= cc
AR		?= ar
CFLAGS		?= -O2 -g
KIPC_CFLAGS	:= -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wshadow \
		   -Wno-unused-parameter -Iuapi -Ilib/include
LDLIBS_DIRS	:=

# KERNEL=arm64 cross-builds everything (vm/kernel.sh): the module through
# the kernel's make, the programs here with Debian's aarch64-linux-gnu-gcc
# into build/arm64, linking the static liburing that vm/kernel.sh unpacked
# from Debian's arm64 liburing-dev into the cache.
ifeq ($(KERNEL),arm64)
CROSS_COMPILE	?= aarch64-linux-gnu-
CC		:= $(CROSS_COMPILE)gcc
AR		:= $(CROSS_COMPILE)ar
O		:= build/arm64
CROSS_ROOT	:= $(or $(KIPC_CACHE),/var/cache/kipc)/arm64/current/root
KIPC_CFLAGS	+= -idirafter $(CROSS_ROOT)/usr/include
LDLIBS_DIRS	:= -L$(CROSS_ROOT)/usr/lib/aarch64-linux-gnu
endif
ifeq ($(WERROR),1)
KIPC_CFLAGS	+= -Werror
KBUILD_EXTRA	:= KCFLAGS=-Werror
endif

LIB_SONAME	:= libkipc.so.1
LIB_SO		:= $(O)/lib/libkipc.so.$(VERSION)
LIB_A		:= $(O)/lib/libkipc.a
LIB_HDRS	:= lib/include/kipc.h lib/include/kipc_uring.h uapi/linux/kipc.h

TEST_SRCS	:= $(wildcard selftests/*.c)
TESTS		:= $(patsubst selftests/%.c,$(O)/selftests/%,$(TEST_SRCS))
EXAMPLES	:= $(O)/examples/echo-server $(O)/examples/echo-client \
		   $(O)/examples/name-server $(O)/examples/name-client \
		   $(O)/examples/uring-server $(O)/examples/file-server
BENCH		:= $(O)/bench/kipc-bench
TOOLS		:= $(O)/tools/kipcctl
KSFT		:= $(O)/ksft/kselftest_harness.h

# Programs that run in the VM are static: the initramfs has no libc.
STATIC		:= -static -pthread

.PHONY: all module lib tests examples bench bench-smp profile tools check check-rt check-debug check-all ksft-tree demo deps install \
	modules_install uninstall clean help sparse

all: module lib tests examples $(BENCH) tools

help:
	@echo "make              module, libkipc, selftests, examples, bench"
	@echo "make check        install deps (root), build -Werror, run host and VM tests"
	@echo "                  KERNEL=bookworm|rt|backports|sid|arm64|debug|kcsan picks the kernel (default bookworm;"
	@echo "                  arm64: everything cross-built, booted in qemu-system-aarch64)"
	@echo "make check-rt     make check on Debian's PREEMPT_RT kernel"
	@echo "make check-debug  make check on a KASAN/lockdep/kmemleak/UBSAN kernel built from"
	@echo "                  linux-source-6.1 (cached), on 2 and 4 CPUs; kernel reports fail"
	@echo "make check-kcsan  make check on a KCSAN (data-race detector) kernel built from"
	@echo "                  linux-source-6.1 (cached), on 4 CPUs; every race report fails"
	@echo "make check-all    make check on every lane (= CI), one result line each"
	@echo "make ksft-tree    the suite in a kernel tree's kselftest layout (KSFT_DIR=...)"
	@echo "make demo         boot the module in QEMU, run the echo example and kipc vs pipe"
	@echo "make bench        kipc-bench in QEMU, 1 CPU under icount: table, CSV, plot, ratios"
	@echo "make bench-smp    the same on 2 CPUs without icount"
	@echo "make profile      instructions per round trip per kernel function, kipc_call vs"
	@echo "                  the sched_yield floor (icount VM + QEMU plugin): $(O)/bench/profile.txt"
	@echo "make install      libkipc, headers, pkg-config file, kipcctl, kipc-bench, man pages (PREFIX, DESTDIR)"
	@echo "make deb          Debian packages (kipc-dkms, libkipc1, libkipc-dev, kipc-tools) in $(O)/deb"
	@echo "make modules_install   kipc.ko for modprobe (KVER, INSTALL_MOD_PATH)"
	@echo "make sparse       the module through sparse (C=2)"
	@echo "make docs         the README's and kipc(7)'s error lists from lib/errors.txt"
	@echo "KVER=$(KVER) KDIR=$(KDIR)"

module:
ifeq ($(KERNEL),bookworm)
	@test -d "$(KDIR)" || { echo "kipc: no kernel build tree at $(KDIR):" \
		"apt-get install linux-headers-amd64, or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(KBUILD_EXTRA) modules
else
	+vm/kernel.sh $(KERNEL) make $(KBUILD_EXTRA) modules
endif

sparse:
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CF="-D__CHECK_ENDIAN__" modules

lib: $(LIB_A) $(LIB_SO)

$(O)/lib/%.pic.o: lib/%.c $(LIB_HDRS) $(O)/gen/kipc-errors.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -I$(O)/gen -fPIC -fvisibility=default -c -o $@ $<

$(O)/lib/%.o: lib/%.c $(LIB_HDRS) $(O)/gen/kipc-errors.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -I$(O)/gen -c -o $@ $<

# The error table, one place for kipc_strerror(), the README and kipc(7):
# lib/errors.txt.  `make docs` rewrites the documents' generated parts.
$(O)/gen/kipc-errors.h: lib/errors.txt tools/errors.sh
	@mkdir -p $(dir $@)
	sh tools/errors.sh c lib/errors.txt > $@.tmp && mv $@.tmp $@

.PHONY: docs
docs:
	sh tools/errors.sh docs lib/errors.txt README.md man/kipc.7

$(LIB_A): $(O)/lib/kipc.o
	$(AR) rcs $@ $^

$(LIB_SO): $(O)/lib/kipc.pic.o lib/libkipc.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/libkipc.map -o $@ $<
	ln -sf libkipc.so.$(VERSION) $(O)/lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(O)/lib/libkipc.so

$(KSFT):
	vm/ksft-headers.sh $(O)/ksft

tests: $(TESTS)

# The fuzzer's regression corpus is compiled into it (.incbin): every
# selftests/fuzz-corpus/NAME.txt (NAME a C identifier), listed for it in a
# generated header.
CORPUS		:= $(sort $(wildcard selftests/fuzz-corpus/*.txt))
$(O)/gen/fuzz-corpus.h: $(CORPUS) Makefile
	@mkdir -p $(dir $@)
	@{ printf '#define CORPUS_FILES(X)'; \
	   for n in $(notdir $(basename $(CORPUS))); do printf ' X(%s)' "$$n"; done; \
	   echo; } > $@.tmp && mv $@.tmp $@
$(O)/selftests/fuzz: $(CORPUS) $(O)/gen/fuzz-corpus.h

# The fuzzer is three parts: selftests/fuzz.c (the driver and its tests),
# selftests/fuzzer/gen.c (the generator) and oracle.c (the oracle);
# fuzz_async and fuzz_slots share their header.
FUZZ_SRCS	:= $(sort $(wildcard selftests/fuzzer/*.c))
TEST_SRCS_fuzz	:= $(FUZZ_SRCS)
$(O)/selftests/fuzz: $(FUZZ_SRCS) selftests/fuzzer/fuzzer.h
$(O)/selftests/fuzz_async $(O)/selftests/fuzz_slots: selftests/fuzzer/fuzzer.h

# Tests of the io_uring paths link liburing (liburing-dev) statically.
URING_LIBS	:= -luring
TEST_LIBS_uring	:= $(URING_LIBS)
TEST_LIBS_stress := $(URING_LIBS)
TEST_LIBS_fuzz	:= $(URING_LIBS)
TEST_LIBS_fuzz_async := $(URING_LIBS)
TEST_LIBS_lib	:= $(URING_LIBS)
TEST_LIBS_forward := $(URING_LIBS)

$(O)/selftests/%: selftests/%.c selftests/kipc_test.h $(LIB_A) $(KSFT) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) -Wno-sign-compare -I$(O)/ksft -I$(O)/gen $(STATIC) -o $@ $< $(TEST_SRCS_$*) $(LIB_A) $(LDLIBS_DIRS) $(TEST_LIBS_$*)

tools: $(TOOLS)

$(O)/tools/%: tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) $(STATIC) -o $@ $<

examples: $(EXAMPLES)

EXAMPLE_LIBS_uring-server := $(URING_LIBS)

$(O)/examples/%: examples/%.c examples/bootstrap.h $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) $(STATIC) -o $@ $< $(LIB_A) $(LDLIBS_DIRS) $(EXAMPLE_LIBS_$*)

$(O)/bench/kipc-bench: bench/kipc-bench.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KIPC_CFLAGS) $(LDFLAGS) $(STATIC) -o $@ $< $(LIB_A) $(LDLIBS_DIRS) $(URING_LIBS) -lm

# The benchmark in the VM (bench/README.md): `bench` on one CPU under icount
# (guest time counts instructions, so a build gives the same figures every
# run), `bench-smp` on two CPUs in emulated real time.  Prints the table,
# writes $(O)/bench/bench{,-smp}.csv and latency{,-smp}.svg, and ends with
# the ratio lines.
bench: BENCH_VM = VM_ICOUNT=1
# Polling idle: a wake-up on the other CPU does not wait for QEMU to wake a
# sleeping host thread.  tsc=reliable: TCG's TSC is one clock for all CPUs,
# and reading the HPET the kernel falls back to costs ten times as much.
bench-smp: BENCH_VM = VM_SMP=2 VM_APPEND="idle=poll tsc=reliable"
bench bench-smp:
	vm/deps.sh bench
	$(MAKE) module $(BENCH)
	$(BENCH_VM) VM_LOG=$(O)/vm-$@.log vm/run.sh bench
	bench/report.sh $(O)/vm-$@.log $(O)/bench/$@.csv \
		$(O)/bench/latency$(subst bench,,$@).svg

# The instruction profile (bench/README.md, "Where the instructions go"):
# the bench VM under icount with our QEMU plugin, which counts the guest
# instructions per address between the markers of `kipc-bench -k`; two
# lengths per mechanism, differenced.  The plugin is built against
# qemu-plugin.h from Debian's qemu source package (fetched once into
# /var/cache/kipc by bench/prof/qemu-plugin-h.sh).
PROF_PLUGIN	:= $(O)/prof/kipc-prof.so

$(PROF_PLUGIN): bench/prof/kipc-prof.c bench/prof/qemu-plugin-h.sh
	@mkdir -p $(dir $@)
	hdr=$$(bench/prof/qemu-plugin-h.sh) && \
	$(CC) $(CFLAGS) -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
		$(if $(filter 1,$(WERROR)),-Werror) -shared -fPIC -I"$$hdr" -o $@ $<

profile:
	vm/deps.sh demo
	$(MAKE) module $(BENCH) $(PROF_PLUGIN)
	bench/prof/profile.sh $(PROF_PLUGIN) $(O)/bench/profile.txt

# The test command of the README: everything, warnings as errors, then the
# host tests and the selftests in a VM.  Installs what it lacks (as root).
check:
	vm/deps.sh check
	+vm/kernel.sh $(KERNEL) fetch
	$(MAKE) WERROR=1 W=1 all
	vm/check.sh

# The same suite on Debian's PREEMPT_RT kernel, and on every flavour in turn
# (bookworm, rt, backports, sid: vm/kernel.sh list).
check-rt:
	$(MAKE) check KERNEL=rt

# The same on a debug kernel built here from Debian's linux-source-6.1 with
# vm/debug.config + vm/debug-extra.config (KASAN, lockdep, kmemleak, UBSAN,
# list/object/SLUB debugging, hung-task detection; cached in
# /var/cache/kipc/debug), on 2 CPUs and again on 4, the fuzzer with a
# million calls, a kmemleak scan at the end: `make check KERNEL=debug`.
check-debug:
	$(MAKE) check KERNEL=debug

# The same on a KCSAN kernel (vm/debug.config + vm/kcsan.config: strict,
# weak-memory modelling, interrupt watchers; kipc.ko instrumented too;
# cached in /var/cache/kipc/kcsan), the whole suite once on 4 CPUs:
# `make check KERNEL=kcsan`.  Every data-race report is a failure.
.PHONY: check-kcsan
check-kcsan:
	$(MAKE) check KERNEL=kcsan

check-all:
	vm/lanes.sh

# The suite in the kernel's kselftest layout: copy it into a kernel tree's
# tools/testing/selftests/kipc (KSFT_DIR), with selftests/ksft/Makefile,
# libkipc, the uapi header and what the build generates; selftests/host/
# kselftest.sh builds it there and runs run_kselftest.sh in the VM.
ksft-tree: $(O)/gen/kipc-errors.h $(O)/gen/fuzz-corpus.h
	@test -n "$(KSFT_DIR)" || { echo "usage: make ksft-tree KSFT_DIR=<linux>/tools/testing/selftests/kipc" >&2; exit 1; }
	@# It replaces KSFT_DIR: only a kipc folder beside the kernel's lib.mk.
	@test "$(notdir $(abspath $(KSFT_DIR)))" = kipc && test -f "$(dir $(abspath $(KSFT_DIR)))lib.mk" || \
		{ echo "ksft-tree: KSFT_DIR must be <linux>/tools/testing/selftests/kipc" >&2; exit 1; }
	rm -rf $(KSFT_DIR)
	mkdir -p $(KSFT_DIR)/libkipc $(KSFT_DIR)/include/linux $(KSFT_DIR)/gen \
		$(KSFT_DIR)/selftests/fuzz-corpus $(KSFT_DIR)/fuzzer
	cp selftests/*.c selftests/kipc_test.h selftests/ksft/Makefile selftests/ksft/settings \
		$(KSFT_DIR)/
	cp selftests/fuzzer/*.c selftests/fuzzer/*.h $(KSFT_DIR)/fuzzer/
	cp lib/kipc.c $(KSFT_DIR)/libkipc/
	cp lib/include/kipc.h lib/include/kipc_uring.h $(KSFT_DIR)/include/
	cp uapi/linux/kipc.h $(KSFT_DIR)/include/linux/
	cp $(O)/gen/kipc-errors.h $(O)/gen/fuzz-corpus.h $(KSFT_DIR)/gen/
	cp $(CORPUS) $(KSFT_DIR)/selftests/fuzz-corpus/

# The main job of the README: the module in a VM, the echo example and a
# first round-trip comparison of kipc against a pipe.
demo:
	vm/deps.sh demo
	$(MAKE) all
	vm/run.sh demo

deps:
	vm/deps.sh check

# Debian packages (debian/): kipc-dkms, libkipc1, libkipc-dev, kipc-tools,
# built with dpkg-buildpackage from a copy of the tree's files (tracked and
# new, not ignored ones) in $(O)/deb, then checked with lintian, which must
# report no error.  The .debs land in $(O)/deb.
.PHONY: deb
deb:
	vm/deps.sh deb
	rm -rf $(O)/deb
	mkdir -p $(O)/deb/kipc-$(VERSION)
	if git rev-parse --git-dir >/dev/null 2>&1; then \
		git ls-files -z -co --exclude-standard | \
			xargs -0 cp --parents -t $(O)/deb/kipc-$(VERSION); \
	else \
		tar -c --exclude=./build --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' . | \
			tar -x -C $(O)/deb/kipc-$(VERSION); \
	fi
	cd $(O)/deb/kipc-$(VERSION) && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
		dpkg-buildpackage -us -uc -b
	lintian --fail-on error\
		$(O)/deb/kipc_$(VERSION)_*.changes

install: lib tools $(BENCH)
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCLUDEDIR)/linux
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/
	ln -sf libkipc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libkipc.so
	install -m 644 lib/include/kipc.h $(DESTDIR)$(INCLUDEDIR)/kipc.h
	install -m 644 lib/include/kipc_uring.h $(DESTDIR)$(INCLUDEDIR)/kipc_uring.h
	install -m 644 uapi/linux/kipc.h $(DESTDIR)$(INCLUDEDIR)/linux/kipc.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    lib/libkipc.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libkipc.pc
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7 \
		$(DESTDIR)$(MANDIR)/man8
	install -m 644 man/kipc-bench.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 man/kipc.7 $(DESTDIR)$(MANDIR)/man7/
	install -m 644 man/kipcctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/sbin/
	install -m 755 $(BENCH) $(DESTDIR)$(PREFIX)/bin/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libkipc.a $(DESTDIR)$(LIBDIR)/libkipc.so* \
	      $(DESTDIR)$(INCLUDEDIR)/kipc.h $(DESTDIR)$(INCLUDEDIR)/kipc_uring.h \
	      $(DESTDIR)$(INCLUDEDIR)/linux/kipc.h \
	      $(DESTDIR)$(LIBDIR)/pkgconfig/libkipc.pc $(DESTDIR)$(PREFIX)/sbin/kipcctl \
	      $(DESTDIR)$(PREFIX)/bin/kipc-bench $(DESTDIR)$(MANDIR)/man1/kipc-bench.1 \
	      $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3))) \
	      $(DESTDIR)$(MANDIR)/man7/kipc.7 \
	      $(DESTDIR)$(MANDIR)/man8/kipcctl.8

# Puts kipc.ko under /lib/modules/$(KVER)/updates, where modprobe looks.
modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(O)
