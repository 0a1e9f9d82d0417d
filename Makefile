# Makefile: ukmon, the multi-process unikernel monitor, its guest library and tests.
# GNU conventions: CC, CFLAGS, PREFIX, DESTDIR; `make install` for libukmon, the CLI,
# the guest library and their pkg-config files.

CC ?= cc
GUEST_CC ?= $(CC)
PREFIX ?= /usr/local
DESTDIR ?=
CFLAGS ?= -O2 -g
B ?= build

VERSION := 0.1.0
WARN := -Wall -Wextra -Werror
MON_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -fPIC -Iinclude -Imonitor -Iguest $(CFLAGS)
MON_LIBS := -lelf -luring
# The CLI is linked statically: no dynamic loading at every start (measured: boot of
# hello 15-20% faster). Sanitizer builds cannot be static: `make asan` clears it.
CLI_LDFLAGS ?= -static
CLI_LIBS := $(MON_LIBS) -lz

# The library OS ukmon unikernels link with; guest/vdso/ is the Linux programs' vDSO.
LIBOS := guest/libos
# Guests: freestanding, no system headers but the compiler's own (stddef, stdint...).
GUEST_INC := $(shell $(GUEST_CC) -print-file-name=include)
GUEST_CFLAGS := -std=gnu11 $(WARN) -O2 -g -D__ukmon__ -ffreestanding -fno-stack-protector -fno-pie \
    -fno-pic -fno-asynchronous-unwind-tables -fno-unwind-tables -nostdinc \
    -isystem $(LIBOS)/include -isystem $(GUEST_INC) -Iinclude
GUEST_LDFLAGS := -nostdlib -static -Wl,-T,$(LIBOS)/ukmon.ld -Wl,--build-id=none \
    -Wl,-z,noexecstack -Wl,-z,max-page-size=4096
GUEST_LIBGCC := $(shell $(GUEST_CC) -print-libgcc-file-name)

# monitor/: one folder per layer (monitor/README.md); the CLI's main() is not library code.
MON_DIRS := monitor monitor/kvm monitor/kernel monitor/native monitor/linux monitor/host
LIB_SRCS := $(foreach d,$(MON_DIRS),$(wildcard $(d)/*.c))
MON_HDRS := $(foreach d,$(MON_DIRS),$(wildcard $(d)/*.h)) include/ukmon.h include/ukmon_abi.h
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o) $(B)/gen/vdso_image.o $(B)/gen/lxsys_image.o \
    $(B)/gen/sandbox_bpf.o
GUEST_LIB_SRCS := $(wildcard $(LIBOS)/lib/*.c)
GUEST_LIB_OBJS := $(GUEST_LIB_SRCS:$(LIBOS)/lib/%.c=$(B)/guest/lib/%.o)
GUEST_RT := $(B)/guest/crt0.o $(B)/guest/libukmon-guest.a

EXAMPLES := hello forktree parallel primes pipeline upper supervisor prefork
EXAMPLE_ELFS := $(EXAMPLES:%=$(B)/examples/%.elf)
TEST_GUEST_SRCS := $(wildcard tests/guests/*.c)
TEST_GUEST_ELFS := $(TEST_GUEST_SRCS:tests/guests/%.c=$(B)/tests/guests/%.elf)
# Linux test programs, each built twice: with musl (musl-gcc) and with glibc ($(CC)).
MUSL_CC ?= musl-gcc
LINUX_TESTS := $(patsubst tests/linux/%.c,%,$(wildcard tests/linux/*.c))
LINUX_TEST_BINS := $(LINUX_TESTS:%=$(B)/tests/linux/musl/%) $(LINUX_TESTS:%=$(B)/tests/linux/glibc/%)
# ... and once more each, dynamically linked (PIE with ld.so), for suite-containers.sh.
LINUX_DYN_TEST_BINS := $(LINUX_TESTS:%=$(B)/tests/linux/musl-dyn/%) $(LINUX_TESTS:%=$(B)/tests/linux/glibc-dyn/%)
# SQLite's default VFS on ukmon's locks: a static glibc program, where Debian's
# libsqlite3-dev is installed (the suite skips the test elsewhere).
SQLITE_A := $(wildcard /usr/lib/x86_64-linux-gnu/libsqlite3.a)
SQLITE_TEST := $(if $(SQLITE_A),$(B)/tests/sqlite/sqlite_locks)
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)
# Each benchmark source builds twice: a static host program and a unikernel.
BENCH_PROGS := fork_bench pipe_bench compute_bench null_call hello spawn_scale signal_bench \
	file_bench syscall_probe
# The prefork example's own source, built for the host: the baseline of the HTTP bench.
# kvm_probe: /dev/kvm measured directly, no libukmon (bench/profile.sh).
BENCH_HOST_BINS := $(BENCH_PROGS:%=$(B)/bench/host/%) $(B)/bench/host/runner \
	$(B)/bench/host/prefork $(B)/bench/host/kvm_probe $(B)/bench/host/thread_bench
BENCH_GUEST_ELFS := $(BENCH_PROGS:%=$(B)/bench/guest/%.elf)

.PHONY: all monitor guest examples tests bench-build check check-nested containers-root check-realworld realworld-build demo bench \
        install uninstall clean deps asan fuzz

all: monitor guest examples $(B)/embed $(B)/ukmon-cc $(B)/ukmon-runc

monitor: $(B)/ukmon $(B)/libukmon.a $(B)/libukmon.so
guest: $(GUEST_RT)
examples: $(EXAMPLE_ELFS)

$(B)/monitor/%.o: monitor/%.c $(MON_HDRS) guest/vdso/vvar.h guest/lxsys/lxsys.h
	@mkdir -p $(@D)
	$(CC) $(MON_CFLAGS) -c $< -o $@

# The vDSO Linux programs get: a tiny shared object, its bytes compiled into libukmon.
VDSO_DIR := guest/vdso
$(B)/vdso/vdso.so: $(VDSO_DIR)/vdso.c $(VDSO_DIR)/vvar.h $(VDSO_DIR)/vdso.lds $(VDSO_DIR)/vdso.map
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -fPIC -fno-stack-protector -fno-asynchronous-unwind-tables \
	    -fno-unwind-tables -fno-builtin -nostdlib -shared -Wl,-T,$(VDSO_DIR)/vdso.lds \
	    -Wl,--version-script=$(VDSO_DIR)/vdso.map -Wl,--hash-style=both \
	    -Wl,-soname=linux-vdso.so.1 -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	    -Wl,-z,norelro $< -o $@

$(B)/gen/vdso_image.c: $(B)/vdso/vdso.so scripts/bin2c.sh
	@mkdir -p $(@D)
	scripts/bin2c.sh lx_vdso_image $< > $@

$(B)/gen/vdso_image.o: $(B)/gen/vdso_image.c
	$(CC) $(MON_CFLAGS) -c $< -o $@

# The guest-side system-call layer of Linux programs: a flat image at a fixed address,
# general registers only (a system call keeps the SSE state), its bytes in libukmon.
LXSYS_DIR := guest/lxsys
$(B)/lxsys/lxsys.elf: $(LXSYS_DIR)/entry.S $(LXSYS_DIR)/lxsys.c $(LXSYS_DIR)/lxsys.h $(LXSYS_DIR)/lxsys.lds include/ukmon_ring.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -ffreestanding -fno-pic -fno-pie -mgeneral-regs-only \
	    -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-builtin \
	    -I$(LXSYS_DIR) -Iinclude -c $(LXSYS_DIR)/lxsys.c -o $(@D)/lxsys.o
	$(CC) -fno-pic -fno-pie -c $(LXSYS_DIR)/entry.S -o $(@D)/entry.o
	$(CC) -nostdlib -static -Wl,-T,$(LXSYS_DIR)/lxsys.lds -Wl,--build-id=none \
	    $(@D)/entry.o $(@D)/lxsys.o -o $@

$(B)/lxsys/lxsys.bin: $(B)/lxsys/lxsys.elf
	@want=$$(printf '%d' $$(sed -n 's/^#define LXSYS_TEXT_ADDR \(0x[0-9a-fA-F]*\).*/\1/p' $(LXSYS_DIR)/lxsys.h)); \
	 got=$$(printf '%d' 0x$$(nm $< | awk '$$3 == "lxsys_out" {print $$1}')); \
	 [ "$$want" = "$$got" ] || { echo "$<: linked at $$got, lxsys.h says $$want (lxsys.lds)" >&2; exit 1; }
	objcopy -O binary $< $@

$(B)/gen/lxsys_image.c: $(B)/lxsys/lxsys.bin scripts/bin2c.sh
	@mkdir -p $(@D)
	scripts/bin2c.sh lx_lxsys_image $< > $@

$(B)/gen/lxsys_image.o: $(B)/gen/lxsys_image.c
	$(CC) $(MON_CFLAGS) -c $< -o $@

# The sandbox's seccomp filters: libseccomp rules (monitor/host/filter/) turned into BPF
# once, here, by a program of the build; libukmon loads the result and links no
# libseccomp (building the filter took ~0.5 ms at every start).
FILTER_DIR := monitor/host/filter
$(B)/tools/filter_gen: $(FILTER_DIR)/gen.c $(FILTER_DIR)/rules.c $(FILTER_DIR)/rules.h monitor/kernel/net_opts.h
	@mkdir -p $(@D)
	$(CC) $(MON_CFLAGS) $(FILTER_DIR)/gen.c $(FILTER_DIR)/rules.c -lseccomp -o $@

$(B)/gen/sandbox_bpf.c: $(B)/tools/filter_gen
	@mkdir -p $(@D)
	$< > $@.tmp && mv $@.tmp $@

$(B)/gen/sandbox_bpf.o: $(B)/gen/sandbox_bpf.c
	$(CC) $(MON_CFLAGS) -c $< -o $@

$(B)/libukmon.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

$(B)/libukmon.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libukmon.so.0 -o $@ $^ $(MON_LIBS)

$(B)/ukmon: monitor/cli/main.c $(B)/libukmon.a include/ukmon.h
	$(CC) $(MON_CFLAGS) $(CLI_LDFLAGS) monitor/cli/main.c $(B)/libukmon.a $(CLI_LIBS) -o $@

# ukmon-runc, the OCI runtime: a second front end of libukmon (monitor/runc/).
RUNC_SRCS := $(wildcard monitor/runc/*.c)
RUNC_HDRS := $(wildcard monitor/runc/*.h)
$(B)/ukmon-runc: $(RUNC_SRCS) $(RUNC_HDRS) $(B)/libukmon.a include/ukmon.h
	$(CC) $(MON_CFLAGS) $(CLI_LDFLAGS) $(RUNC_SRCS) $(B)/libukmon.a $(CLI_LIBS) -o $@

$(B)/embed: examples/embed/embed.c $(B)/libukmon.a include/ukmon.h
	$(CC) $(MON_CFLAGS) examples/embed/embed.c $(B)/libukmon.a $(MON_LIBS) -o $@

$(B)/guest/crt0.o: $(LIBOS)/crt0.S include/ukmon_abi.h
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(B)/guest/lib/%.o: $(LIBOS)/lib/%.c $(LIBOS)/lib/*.h $(LIBOS)/include/*.h $(LIBOS)/include/sys/*.h include/ukmon_abi.h
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -c $< -o $@

$(B)/guest/libukmon-guest.a: $(GUEST_LIB_OBJS)
	rm -f $@
	ar rcs $@ $^

# One rule links every unikernel: examples, test guests and benchmark guests.
define guest_link
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) $(B)/guest/crt0.o $(1) \
	    $(B)/guest/libukmon-guest.a $(GUEST_LIBGCC) -o $@
endef

$(B)/examples/%.elf: examples/%/main.c $(GUEST_RT) $(LIBOS)/ukmon.ld
	$(call guest_link,$<)

$(B)/tests/guests/%.elf: tests/guests/%.c $(GUEST_RT) $(LIBOS)/ukmon.ld
	$(call guest_link,$<)

$(B)/bench/guest/%.elf: bench/src/%.c bench/src/*.h $(GUEST_RT) $(LIBOS)/ukmon.ld
	$(call guest_link,$<)

$(B)/tests/unit/%: tests/unit/%.c $(B)/libukmon.a $(MON_HDRS)
	@mkdir -p $(@D)
	$(CC) $(MON_CFLAGS) $< $(B)/libukmon.a $(MON_LIBS) -o $@

$(B)/bench/host/%: bench/src/%.c bench/src/*.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -O2 -g -static $< -o $@

$(B)/bench/host/prefork: examples/prefork/main.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -D_GNU_SOURCE -O2 -g -static $< -o $@

# The build-tree compiler wrapper: cc for unikernels, with this tree's guest library.
$(B)/ukmon-cc: $(LIBOS)/ukmon-cc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@CC@|$(GUEST_CC)|g' -e 's|@GUEST_INC@|$(CURDIR)/$(LIBOS)/include|g' \
	    -e 's|@ABI_INC@|$(CURDIR)/include|g' -e 's|@LIBDIR@|$(abspath $(B))/guest|g' \
	    -e 's|@LDSCRIPT@|$(CURDIR)/$(LIBOS)/ukmon.ld|g' $< > $@
	chmod +x $@

GO := $(shell command -v go 2>/dev/null)
GO_TEST := $(if $(GO),$(B)/tests/go/gotest)
tests: all $(TEST_GUEST_ELFS) $(UNIT_BINS) $(B)/tests/ukmon-dynamic $(LINUX_TEST_BINS) \
	$(LINUX_DYN_TEST_BINS) $(SQLITE_TEST) $(GO_TEST)

# A static Go program (tests/go/), where Go is installed: its build cache stays in $(B).
$(B)/tests/go/gotest: tests/go/main.go tests/go/go.mod
	@mkdir -p $(@D)
	cd tests/go && CGO_ENABLED=0 GOCACHE=$(abspath $(B))/go-cache GOPATH=$(abspath $(B))/go-path \
		GOFLAGS=-mod=mod $(GO) build -o $(abspath $@) .

# (ld warns that SQLite's extension loading would need dlopen: it is never used.)
$(B)/tests/sqlite/sqlite_locks: tests/sqlite/sqlite_locks.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -static $< -lsqlite3 -lm -o $@

$(B)/tests/linux/musl/%: tests/linux/%.c tests/linux/lxtest.h
	@mkdir -p $(@D)
	$(MUSL_CC) -std=gnu11 $(WARN) -O2 -static $< -o $@

$(B)/tests/linux/glibc/%: tests/linux/%.c tests/linux/lxtest.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -static $< -o $@

$(B)/tests/linux/musl-dyn/%: tests/linux/%.c tests/linux/lxtest.h
	@mkdir -p $(@D)
	$(MUSL_CC) -std=gnu11 $(WARN) -O2 -fPIE -pie $< -o $@

$(B)/tests/linux/glibc-dyn/%: tests/linux/%.c tests/linux/lxtest.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) -O2 -fPIE -pie $< -o $@

# The CLI linked dynamically, for valgrind (which cannot follow a static glibc's malloc).
$(B)/tests/ukmon-dynamic: monitor/cli/main.c $(B)/libukmon.a include/ukmon.h
	@mkdir -p $(@D)
	$(CC) $(MON_CFLAGS) monitor/cli/main.c $(B)/libukmon.a $(MON_LIBS) -o $@

# The monitor again, with AddressSanitizer and UndefinedBehaviorSanitizer.
asan:
	$(MAKE) B=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	    CLI_LDFLAGS= build-asan/ukmon build-asan/ukmon-runc

# The file trees suite-containers.sh runs programs in: a debootstrap minbase Debian
# with python3 and a busybox root, made once, on the host (the emulated machine of
# check-nested has no network): scripts/containers-root.sh.
containers-root:
	scripts/containers-root.sh $(B)

check: tests asan containers-root
	tests/run.sh $(B) build-asan

# The integration suites inside the emulated machine (tests/nested/) even where
# /dev/kvm works, so that path stays tested everywhere.
check-nested: tests asan containers-root
	scripts/install-deps.sh --nested
	tests/run.sh --nested $(B) build-asan

# The real-world suite (tests/realworld/): programs from Debian's source packages, built
# static into $(B)/realworld/, run on the host and inside ukmon, compared in a table.
# realworld-deps adds a deb-src entry, installs what the builds need, fetches the sources.
realworld-build: all
	scripts/realworld-deps.sh $(B)
	tests/realworld/build.sh $(B)

check-realworld: realworld-build
	tests/realworld/run.sh $(B)

demo:
	scripts/install-deps.sh
	$(MAKE) -s all
	@echo
	@echo 'The concurrent prime sieve: a generator VM feeds 2..100 into a pipe; every prime'
	@echo 'found gets a VM of its own that filters out its multiples: 27 VMs chained by pipes.'
	@echo '$$ $(B)/ukmon $(B)/examples/primes.elf 100 | paste -sd" "'
	@tests/nested/with-kvm.sh $(B) '$(B)/ukmon $(B)/examples/primes.elf 100 | paste -sd" "'
	@echo
	@echo 'An unmodified static Linux program: Debian'"'"'s busybox, a shell and its pipeline,'
	@echo 'each process its own VM (--stats: one block per VM).'
	@echo "\$$ $(B)/ukmon --stats /bin/busybox sh -c 'seq 1 100 | grep 7 | wc -l'"
	@tests/nested/with-kvm.sh $(B) "$(B)/ukmon --stats /bin/busybox sh -c 'seq 1 100 | grep 7 | wc -l' 2>&1 | grep -v syscalls"
	@echo
	@echo 'More: $(B)/ukmon $(B)/examples/forktree.elf 3 2   (a tree of 15 VMs)'
	@echo '      $(B)/ukmon $(B)/examples/parallel.elf 4      (primes below 10^7 on 4 worker VMs)'
	@printf '%s\n' "      printf 'a\\nb\\n' | $(B)/ukmon $(B)/examples/upper.elf | wc -l"
	@echo '      make check   (the tests)    make bench QUICK=1   (the benchmarks)'
	@tests/nested/kvm-usable.sh $(B) >/dev/null || \
	    echo "      Without /dev/kvm: tests/nested/with-kvm.sh $(B) 'COMMAND' runs one in the emulated machine."

deps:
	scripts/install-deps.sh

# libFuzzer targets for the ELF loader and the hypercall decoder (clang).
SECONDS ?= 60
fuzz:
	tests/fuzz/run.sh $(SECONDS) $(B)

bench-build: all $(BENCH_HOST_BINS) $(BENCH_GUEST_ELFS)

# The realworld group needs the static builds of make realworld-build.
bench: bench-build realworld-build
	scripts/install-deps.sh --bench
	bench/run.sh $(B) $(if $(QUICK),quick,full)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/ukmon $(DESTDIR)$(PREFIX)/lib/ukmon \
	    $(DESTDIR)$(PREFIX)/include/ukmon/guest/sys
	install -m 755 $(B)/ukmon $(DESTDIR)$(PREFIX)/bin/ukmon
	install -m 755 $(B)/ukmon-runc $(DESTDIR)$(PREFIX)/bin/ukmon-runc
	install -m 644 $(B)/libukmon.a $(DESTDIR)$(PREFIX)/lib/libukmon.a
	install -m 755 $(B)/libukmon.so $(DESTDIR)$(PREFIX)/lib/libukmon.so.0
	ln -sf libukmon.so.0 $(DESTDIR)$(PREFIX)/lib/libukmon.so
	install -m 644 include/ukmon.h include/ukmon_abi.h $(DESTDIR)$(PREFIX)/include/ukmon/
	for d in . sys arpa netinet; do \
	    install -d $(DESTDIR)$(PREFIX)/include/ukmon/guest/$$d && \
	    install -m 644 $(LIBOS)/include/$$d/*.h $(DESTDIR)$(PREFIX)/include/ukmon/guest/$$d/ || exit 1; \
	done
	install -m 644 $(B)/guest/crt0.o $(B)/guest/libukmon-guest.a $(LIBOS)/ukmon.ld \
	    $(DESTDIR)$(PREFIX)/lib/ukmon/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' scripts/libukmon.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libukmon.pc
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@GUEST_INC@|$(GUEST_INC)|g' scripts/ukmon-guest.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/ukmon-guest.pc
	sed -e 's|@CC@|$(GUEST_CC)|g' -e 's|@GUEST_INC@|$(PREFIX)/include/ukmon/guest|g' \
	    -e 's|@ABI_INC@|$(PREFIX)/include/ukmon|g' -e 's|@LIBDIR@|$(PREFIX)/lib/ukmon|g' \
	    -e 's|@LDSCRIPT@|$(PREFIX)/lib/ukmon/ukmon.ld|g' $(LIBOS)/ukmon-cc.in \
	    > $(DESTDIR)$(PREFIX)/bin/ukmon-cc
	chmod 755 $(DESTDIR)$(PREFIX)/bin/ukmon-cc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/ukmon $(DESTDIR)$(PREFIX)/bin/ukmon-cc $(DESTDIR)$(PREFIX)/bin/ukmon-runc \
	    $(DESTDIR)$(PREFIX)/lib/libukmon.a $(DESTDIR)$(PREFIX)/lib/libukmon.so* \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/libukmon.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/ukmon-guest.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/ukmon $(DESTDIR)$(PREFIX)/lib/ukmon

clean:
	rm -rf build build-asan bench/results/quick bench/results/emulated
