# SPDX-License-Identifier: GPL-2.0
#
# Entry points of the FUSE backing-file visibility project.  Each runs a
# script of testbed/host/; those boot the kernel and run a script of
# testbed/guest/ inside.  Everything downloaded or built goes to build/
# (ignored by git) and, for what survives clean clones (downloads, ccache),
# to ~/.cache/fuse-visibility.
#
#   make demo        the whole story in the VM: libfuse's passthrough_hp, an
#                    app, fdinfo, lsfd, and who pins a backing file; the
#                    admin's way with fuser and lsof
#   make check       build the patched kernel (the series and the RFC on
#                    top), boot it in QEMU, run the selftests and the lsfd,
#                    libfuse, lsof and fuser tests inside, checkpatch the
#                    series (the test command); first check-v2
#   make check-v2    the series without the RFC: its selftests pass, the
#                    RFC's tests (an unprivileged server) must fail
#   make check-base  the same selftests on the unpatched base kernel: they
#                    must fail there (proof that they can fail)
#   make check-lsfd  util-linux's whole lsfd test suite, patched and stock lsfd,
#                    in the patched kernel: no new failure
#   make check-debug the selftests and a 60 s stress test (STRESS_SECONDS=) on a
#                    KASAN/lockdep/PROVE_RCU/kmemleak kernel: no splat, no leak
#   make check-debug-base  the same on a debug build of the base kernel: the
#                    feature checks fail, the log and kmemleak must stay clean
#   make bench       benchmarks against baselines: out/bench/bench.md, list.png
#                    (BENCH_ROUNDS=3 boots of each kernel; lsfd, lsof and
#                    fuser against stock builds of the same versions)
#   make time-check  what the test bed costs: a cold and a warm make check
#                    (BENCH_COLD=0 skips the cold one), for make bench's table
#   make series      the mailable series in out/series, verified: git am on
#                    the pristine base, every patch built with W=1 and sparse
#   make tree        a git tree of the patched kernel to work in (build/dev/linux;
#                    PROJECT=util-linux, libfuse, lsof or psmisc for the others)
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
LSOF       := $(BUILD)/lsof
LSOF_OBJ   := $(BUILD)/lsof-obj
LSOF_BASE  := $(BUILD)/lsof-base
LSOF_BASE_OBJ := $(BUILD)/lsof-obj-base
PSMISC     := $(BUILD)/psmisc
PSMISC_OBJ := $(BUILD)/psmisc-obj
PSMISC_BASE:= $(BUILD)/psmisc-base
PSMISC_BASE_OBJ := $(BUILD)/psmisc-obj-base
LINUX      := $(BUILD)/linux
LINUX_BASE := $(BUILD)/linux-base
LINUX_V2   := $(BUILD)/linux-v2
OBJ        := $(BUILD)/obj
OBJ_BASE   := $(BUILD)/obj-base
OBJ_V2     := $(BUILD)/obj-v2
OBJ_DEBUG  := $(BUILD)/obj-debug
OBJ_DEBUG_BASE := $(BUILD)/obj-debug-base
STRESS_SECONDS ?= 60
H := testbed/host
TIMINGS := $(BUILD)/timings
# Every shell script of the test bed (settings: .shellcheckrc)
LINT_FILES := $(wildcard testbed/host/*.sh testbed/guest/*.sh) .ci/run
SELFTESTS  := $(BUILD)/selftests
# Build trees whose test suites write into them (make check there): the
# guest gets a throw-away overlay on each
SUITE_TREES := $(LSOF_OBJ) $(LSOF_BASE_OBJ) $(PSMISC_OBJ) $(PSMISC_BASE_OBJ)
# Our kselftest programs, in the kselftest install folder
FUSE_TESTS := $(SELFTESTS)/filesystems/fuse
# make check CHECKS="lsfd libfuse": those sections of the guest alone, and
# no checkpatch, check-v2 or check-base first (sections: kselftest-programs
# kselftest lsfd libfuse lsof fuser userns)
CHECKS ?=

.PHONY: all check check-base check-v2 kernel-v2 series tree export deps sources kernel \
	kernel-base selftests checkpatch lsfd check-lsfd libfuse lsof lsof-base psmisc demo \
	kernel-debug kernel-debug-base check-debug check-debug-base bench time-check check-fresh clean \
	check-runner lint check-export

all: check

deps:
	@$(H)/install-deps.sh

sources: deps
	@$(H)/fetch-sources.sh --update

check-fresh: deps
	@$(H)/check-fresh.sh $(BUILD)/check-fresh

check-runner: deps
	@$(H)/check-runner.sh $(BUILD)/check-runner

check-export: deps
	@$(H)/check-export.sh

lint: deps
	@shellcheck $(LINT_FILES) && echo "shellcheck: $(words $(LINT_FILES)) scripts clean"

# --- builds -------------------------------------------------------------------
kernel: deps
	@$(H)/mktree.sh linux $(LINUX)
	@$(H)/build.sh kernel $(LINUX) $(OBJ)

kernel-base: deps
	@$(H)/mktree.sh linux $(LINUX) $(LINUX_BASE)
	@$(H)/build.sh kernel $(LINUX_BASE) $(OBJ_BASE)

# The main series alone, without the RFC on top (patches/linux/rfc-userns/)
kernel-v2: kernel
	@$(H)/mktree.sh linux $(LINUX) $(LINUX_V2) rfc-userns-base
	@$(H)/build.sh kernel $(LINUX_V2) $(OBJ_V2)

# Debug kernels: KASAN, lockdep, PROVE_RCU, kmemleak, ...
kernel-debug: kernel
	@$(H)/build.sh kernel $(LINUX) $(OBJ_DEBUG) $(CURDIR)/testbed/debug.config

kernel-debug-base: kernel-base
	@$(H)/build.sh kernel $(LINUX_BASE) $(OBJ_DEBUG_BASE) $(CURDIR)/testbed/debug.config

selftests: kernel
	@$(H)/build.sh selftests $(LINUX) $(OBJ) $(SELFTESTS)

# lsfd with our patches, and stock lsfd of the same version to compare with
lsfd: kernel
	@$(H)/mktree.sh util-linux $(UL) $(UL_BASE)
	@$(H)/build.sh lsfd $(UL) $(UL_OBJ) $(OBJ)/usr/include
	@$(H)/build.sh lsfd $(UL_BASE) $(UL_BASE_OBJ) $(OBJ)/usr/include

# libfuse with our test, and its passthrough_hp example
libfuse: kernel
	@$(H)/mktree.sh libfuse $(LIBFUSE)
	@$(H)/build.sh libfuse $(LIBFUSE) $(FUSE_OBJ) $(OBJ)/usr/include

# lsof and fuser (psmisc) with our patches, and their tests' helper programs;
# stock fuser too, whose test suite is the reference for "no new failure"
lsof: kernel
	@$(H)/mktree.sh lsof $(LSOF)
	@$(H)/build.sh lsof $(LSOF) $(LSOF_OBJ) $(OBJ)/usr/include

# stock lsof of the same version, for make bench
lsof-base: kernel
	@$(H)/mktree.sh lsof $(LSOF) $(LSOF_BASE)
	@$(H)/build.sh lsof $(LSOF_BASE) $(LSOF_BASE_OBJ) $(OBJ)/usr/include

psmisc: kernel
	@$(H)/mktree.sh psmisc $(PSMISC) $(PSMISC_BASE)
	@$(H)/build.sh psmisc $(PSMISC) $(PSMISC_OBJ) $(OBJ)/usr/include
	@$(H)/build.sh psmisc $(PSMISC_BASE) $(PSMISC_BASE_OBJ) $(OBJ)/usr/include

# --- the series -----------------------------------------------------------------
# The series as it would be mailed, and checkpatch --strict on each patch
checkpatch: kernel
	@$(H)/series.sh $(LINUX) $(OUT)/series

# ... and verified: git am on the pristine base, every patch built
series: kernel
	@$(H)/series.sh $(LINUX) $(OUT)/series $(BUILD)/series-verify

# --- checks: boot a kernel, run a guest script, judge its results.tap -----------
# (boot() quotes each word again for the guest's shell)
USERNS_TOOLS = "USERNS_TOOLS=$(FUSE_OBJ) $(UL_OBJ) $(LSOF_OBJ) $(PSMISC_OBJ)"
check: selftests lsfd libfuse lsof lsof-base psmisc $(if $(CHECKS),,checkpatch check-v2 check-base)
	@VM_OVERLAYS="$(SUITE_TREES)" $(H)/check.sh check $(OBJ)/arch/x86/boot/bzImage $(BUILD)/vm-check \
		"CHECKS=$(CHECKS)" KST=$(SELFTESTS) SUITE_REF=$(BUILD)/vm-check-base \
		UL_SRC=$(UL) UL_OBJ=$(UL_OBJ) FUSE_SRC=$(LIBFUSE) FUSE_OBJ=$(FUSE_OBJ) \
		LSOF_OBJ=$(LSOF_OBJ) LSOF_BASE_OBJ=$(LSOF_BASE_OBJ) \
		PSMISC_OBJ=$(PSMISC_OBJ) PSMISC_BASE_OBJ=$(PSMISC_BASE_OBJ) \
		$(USERNS_TOOLS) testbed/guest/selftests.sh $(FUSE_TESTS) $(BUILD)/vm-check

# The negative control of the RFC: its tests must fail on the series alone
check-v2: selftests kernel-v2 lsfd libfuse lsof psmisc
	@$(H)/check.sh check-v2 $(OBJ_V2)/arch/x86/boot/bzImage $(BUILD)/vm-check-v2 \
		KERNEL=v2 $(USERNS_TOOLS) testbed/guest/selftests.sh $(FUSE_TESTS) $(BUILD)/vm-check-v2

# The negative control: the same selftests must fail on the base kernel; the
# whole upstream suites' results there are the reference of make check's
check-base: selftests kernel-base libfuse lsof lsof-base psmisc
	@VM_OVERLAYS="$(SUITE_TREES)" $(H)/check.sh check-base $(OBJ_BASE)/arch/x86/boot/bzImage $(BUILD)/vm-check-base \
		KERNEL=base KST=$(SELFTESTS) FUSE_SRC=$(LIBFUSE) FUSE_OBJ=$(FUSE_OBJ) \
		LSOF_OBJ=$(LSOF_OBJ) PSMISC_OBJ=$(PSMISC_OBJ) \
		testbed/guest/selftests.sh $(FUSE_TESTS) $(BUILD)/vm-check-base

check-debug: selftests kernel-debug
	@VM_MEMORY=3G VM_TIMEOUT=3000 $(H)/check.sh check-debug \
		$(OBJ_DEBUG)/arch/x86/boot/bzImage $(BUILD)/vm-debug STRESS_SECONDS=$(STRESS_SECONDS) \
		testbed/guest/selftests.sh $(FUSE_TESTS) $(BUILD)/vm-debug

check-debug-base: selftests kernel-debug-base
	@VM_MEMORY=3G VM_TIMEOUT=3000 $(H)/check.sh check-debug-base \
		$(OBJ_DEBUG_BASE)/arch/x86/boot/bzImage $(BUILD)/vm-debug-base \
		KERNEL=base STRESS_SECONDS=$(STRESS_SECONDS) \
		testbed/guest/selftests.sh $(FUSE_TESTS) $(BUILD)/vm-debug-base

# util-linux's whole lsfd test suite, patched and stock, on the patched kernel
check-lsfd: lsfd
	@$(H)/check.sh check-lsfd $(OBJ)/arch/x86/boot/bzImage $(BUILD)/vm-lsfd \
		testbed/guest/lsfd-suite.sh $(UL) $(UL_OBJ) $(UL_BASE) $(UL_BASE_OBJ) $(BUILD)/vm-lsfd

# --- show and measure ---------------------------------------------------------------
# The whole story in the VM; then the same on the base kernel, if built
demo: lsfd libfuse lsof psmisc
	@$(H)/demo.sh $(OBJ)/arch/x86/boot/bzImage $(OBJ_BASE)/arch/x86/boot/bzImage \
		$(FUSE_OBJ) $(UL_OBJ) $(LSOF_OBJ) $(PSMISC_OBJ) $(BUILD)/vm-demo

# Ratios against baselines in the same boot; fails only if a benchmark could
# not run.  The table includes make time-check's figures when there are any.
bench: lsfd kernel-base lsof lsof-base psmisc
	@LSOF_OBJ=$(LSOF_OBJ) LSOF_BASE_OBJ=$(LSOF_BASE_OBJ) PSMISC_OBJ=$(PSMISC_OBJ) \
		PSMISC_BASE_OBJ=$(PSMISC_BASE_OBJ) \
		$(H)/bench.sh run $(OBJ) $(OBJ_BASE) $(UL_OBJ) $(UL_BASE_OBJ) $(OUT)/bench $(TIMINGS)

time-check: deps
	@$(H)/bench.sh time-check $(TIMINGS)

# --- working on the patches ---------------------------------------------------------
tree: deps
	@$(H)/dev-tree.sh $(PROJECT) $(TREE)

export:
	@$(H)/export-tree.sh $(PROJECT) $(TREE)

clean:
	rm -rf $(BUILD) $(OUT)
