# SPDX-License-Identifier: GPL-2.0
#
# Entry points of the FUSE backing-file visibility project.  Everything
# downloaded or built goes to build/ (ignored by git) and, for what
# survives clean clones (downloads, ccache), to ~/.cache/fuse-visibility.
#
#   make demo        the whole story in the VM: libfuse's passthrough_hp, an
#                    app, fdinfo, lsfd, and who pins a backing file
#   make check       build the patched kernel, boot it in QEMU, run the
#                    selftests inside, checkpatch the series (the test command)
#   make check-base  the same selftests on the unpatched base kernel: they
#                    must fail there (proof that they can fail)
#   make check-lsfd  util-linux's whole lsfd test suite, patched and stock lsfd,
#                    in the patched kernel: no new failure
#   make check-debug the selftests and a 60 s stress test (STRESS_SECONDS=) on a
#                    KASAN/lockdep/PROVE_RCU/kmemleak kernel: no splat, no leak
#   make check-debug-base  the same on a debug build of the base kernel: the
#                    feature checks fail, the log and kmemleak must stay clean
#   make bench       benchmarks against baselines: out/bench/bench.md, list.png
#                    (BENCH_ROUNDS=3 boots of each kernel; BENCH_COLD=0 skips
#                    the cold make check timing)
#   make series      the mailable series in out/series, verified: git am on
#                    the pristine base, every patch built with W=1 and sparse
#   make tree        a git tree of the patched kernel to work in (build/dev/linux;
#                    PROJECT=util-linux or PROJECT=libfuse for the others)
#   make export      turn the commits of that tree back into our files+patches
#   make deps        install the packages the above need
#   make check-fresh what a new machine does first (empty cache folder:
#                    sources recorded, each tree imported once, worktrees
#                    made anew), in seconds, without building a kernel
#   make clean       remove build/ and out/ (keeps ~/.cache/fuse-visibility)

SHELL := /bin/bash
BUILD ?= $(CURDIR)/build
OUT   ?= $(CURDIR)/out
PROJECT ?= linux
TREE  ?= $(BUILD)/dev/$(PROJECT)
export FUSEVIS_BUILD := $(BUILD)

UL         := $(BUILD)/util-linux
UL_BASE    := $(BUILD)/util-linux-base
UL_OBJ     := $(BUILD)/ul-obj
UL_BASE_OBJ:= $(BUILD)/ul-obj-base
LIBFUSE    := $(BUILD)/libfuse
FUSE_OBJ   := $(BUILD)/fuse-obj
LINUX      := $(BUILD)/linux
LINUX_BASE := $(BUILD)/linux-base
OBJ        := $(BUILD)/obj
OBJ_BASE   := $(BUILD)/obj-base
OBJ_DEBUG  := $(BUILD)/obj-debug
STRESS_SECONDS ?= 60
SELFTESTS  := $(BUILD)/selftests

.PHONY: all check check-base series tree export deps sources kernel \
	kernel-base selftests checkpatch lsfd check-lsfd libfuse demo \
	kernel-debug check-debug check-debug-base bench check-fresh clean

all: check

deps:
	@scripts/install-deps.sh

sources: deps
	@scripts/fetch-sources.sh

check-fresh: deps
	@scripts/check-fresh.sh $(BUILD)/check-fresh

kernel: deps
	@scripts/mktree.sh linux $(LINUX)
	@scripts/build-kernel.sh $(LINUX) $(OBJ)

selftests: kernel
	@scripts/build-selftests.sh $(LINUX) $(OBJ) $(SELFTESTS)

# lsfd with our patches, and stock lsfd of the same version to compare with
lsfd: kernel
	@scripts/mktree.sh util-linux $(UL)
	@scripts/build-lsfd.sh $(UL) $(UL_OBJ) $(OBJ)/usr/include
	@scripts/base-worktree.sh $(UL) $(UL_BASE)
	@scripts/build-lsfd.sh $(UL_BASE) $(UL_BASE_OBJ) $(OBJ)/usr/include

# libfuse with our test, and its passthrough_hp example
libfuse: kernel
	@scripts/mktree.sh libfuse $(LIBFUSE)
	@scripts/build-libfuse.sh $(LIBFUSE) $(FUSE_OBJ) $(OBJ)/usr/include

# The series as it would be mailed, and checkpatch --strict on each patch
checkpatch: kernel
	@scripts/make-series.sh $(LINUX) $(OUT)/series
	@scripts/checkpatch-series.sh $(LINUX) $(OUT)/series

check: selftests lsfd libfuse checkpatch
	@scripts/vm-run.sh $(OBJ)/arch/x86/boot/bzImage $(BUILD)/vm-check \
		UL_SRC=$(UL) UL_OBJ=$(UL_OBJ) FUSE_SRC=$(LIBFUSE) FUSE_OBJ=$(FUSE_OBJ) \
		testbed/guest/run-tests.sh $(SELFTESTS) $(BUILD)/vm-check

# The whole story in the VM; then the same on the base kernel, if built
demo: lsfd libfuse
	@scripts/demo.sh $(OBJ)/arch/x86/boot/bzImage $(OBJ_BASE)/arch/x86/boot/bzImage \
		$(FUSE_OBJ) $(UL_OBJ) $(BUILD)/vm-demo

# Debug kernel (KASAN, lockdep, PROVE_RCU, kmemleak, ...): selftests plus the
# stress test; any splat or leak fails
kernel-debug: kernel
	@scripts/build-kernel.sh $(LINUX) $(OBJ_DEBUG) $(CURDIR)/testbed/debug.config

check-debug: selftests kernel-debug
	@VM_MEMORY=3G VM_TIMEOUT=3000 scripts/vm-run.sh $(OBJ_DEBUG)/arch/x86/boot/bzImage \
		$(BUILD)/vm-debug STRESS_SECONDS=$(STRESS_SECONDS) \
		testbed/guest/run-tests.sh $(SELFTESTS) $(BUILD)/vm-debug

check-debug-base: selftests kernel-base
	@scripts/build-kernel.sh $(LINUX_BASE) $(BUILD)/obj-debug-base $(CURDIR)/testbed/debug.config
	@STRESS_SECONDS=$(STRESS_SECONDS) scripts/check-debug-base.sh \
		$(BUILD)/obj-debug-base/arch/x86/boot/bzImage $(SELFTESTS) $(BUILD)/vm-debug-base

# Benchmarks: ratios against baselines in the same boot, out/bench/bench.md
# and out/bench/list.png; fails only if a benchmark could not run
bench: lsfd kernel-base series
	@scripts/bench.sh $(OBJ) $(OBJ_BASE) $(UL_OBJ) $(UL_BASE_OBJ) $(OUT)/bench
	@scripts/bench-testbed.sh $(BUILD)/timings
	@python3 testbed/bench/report.py $(OUT)/bench $(BUILD) >$(OUT)/bench/bench.md
	@cat $(OUT)/bench/bench.md

# util-linux's whole lsfd test suite, patched and stock, on the patched kernel
check-lsfd: lsfd
	@scripts/vm-run.sh $(OBJ)/arch/x86/boot/bzImage $(BUILD)/vm-lsfd \
		testbed/guest/lsfd-suite.sh $(UL) $(UL_OBJ) $(UL_BASE) $(UL_BASE_OBJ) $(BUILD)/vm-lsfd

kernel-base: deps
	@scripts/mktree.sh linux $(LINUX)
	@scripts/base-worktree.sh $(LINUX) $(LINUX_BASE)
	@scripts/build-kernel.sh $(LINUX_BASE) $(OBJ_BASE)

check-base: selftests kernel-base
	@scripts/check-base.sh $(OBJ_BASE)/arch/x86/boot/bzImage $(SELFTESTS) $(BUILD)/vm-check-base

series: kernel
	@scripts/make-series.sh $(LINUX) $(OUT)/series
	@scripts/checkpatch-series.sh $(LINUX) $(OUT)/series
	@scripts/verify-series.sh $(LINUX) $(OUT)/series $(BUILD)/series-verify

tree: deps
	@scripts/dev-tree.sh $(PROJECT) $(TREE)

export:
	@scripts/export-tree.sh $(PROJECT) $(TREE)

clean:
	rm -rf $(BUILD) $(OUT)
