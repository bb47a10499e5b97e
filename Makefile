# SPDX-License-Identifier: GPL-2.0
#
# Entry points of the FUSE backing-file visibility project.  Each runs a
# script of testbed/host/; those boot the kernel and run a script of
# testbed/guest/ inside.  Everything downloaded or built goes to build/
# (ignored by git) and, for what survives clean clones (downloads, ccache),
# to ~/.cache/fuse-visibility.  The sources are pinned in testbed/sources.pin.
#
# The lines starting with "## " are what make help prints: the one place
# that says what each target does and what it costs: the step times of the
# clean-clone .ci/run of 2026-12-07 07:08 (2 cores, QEMU under TCG, downloads
# and the plain kernels in ccache, the v2 and debug kernels not), in
# testbed/results/2026-12-07-testbed-libfuse.md, unless said otherwise.
#
## The test command, and the whole story:
##   make check          build the patched kernel (series + RFC + PROCMAP_QUERY), the base
##                       kernel, the tools;
##                       boot check-v2 and check-base first, then the patched kernel: our
##                       selftests, the kselftest runner (fuse, proc), lsfd, libfuse's,
##                       lsof's and fuser's whole suites against base/stock, the RFC's checks;
##                       checkpatch --strict    [48 min on 2026-12-07 16:43: libfuse's suite
##                       run on the base kernel over both transports (19 min) in it]
##   make check CHECKS="lsfd libfuse"   those guest sections alone, no check-v2 or
##                       checkpatch first; check-base only for kselftest and libfuse
##                       (kselftest-programs kselftest lsfd libfuse lsof fuser userns)
##   make demo           passthrough_hp, an app, fdinfo, lsfd, fuser and lsof in a VM
##                       [2 min on 2026-11-24]
##
## More checks (CI runs them all, .ci/run):
##   make check-base     the same on the unpatched base kernel: our checks must fail there;
##                       the upstream suites' results are make check's reference; libfuse's
##                       is kept in the cache for the same inputs (REF_CACHE=0: run it again)
##                       [4 min; 11 min when libfuse's suite runs (guest 595 s)]
##   make check-v2       the series without the RFC and PROCMAP_QUERY: their tests must fail
##   make check-lsfd     util-linux's whole lsfd suite, patched and stock lsfd    [7 min]
##   make check-debug    selftests + 60 s stress (STRESS_SECONDS=) on a KASAN, lockdep,
##                       PROVE_RCU, kmemleak kernel: no splat, no leak
##                       [15 min, 6 of them a debug build half cold]
##   make check-debug-base   its control on a debug base kernel  [17 min, 5 of them its build]
##   make series         the mailable series in out/series: the kernel's (git am on the
##                       pristine base, every patch built with W=1 and sparse, checkpatch)
##                       [3-7 min]; and one for each userspace project's master (git am on
##                       its snapshot, every patch built)
##
## The test bed's own checks (seconds, no kernel build):
##   make lint           shellcheck of every script                               [3 s]
##   make check-runner   a failed build fails, a hung guest is killed at VM_TIMEOUT   [17 s]
##   make check-fresh    a new machine's first steps, against an empty cache folder   [7 s]
##   make check-export   make tree + make export give back patches/ byte for byte
##                       [42 s importing the trees, 7 s with them]
##
## Measuring:
##   make bench          ratios against baselines in the same boots: out/bench/
##   make time-check     a cold and a warm make check, for make bench's table
##
## Working on the patches:
##   make tree           a git tree of the patched kernel in build/dev/linux, branch work
##                       (PROJECT=util-linux, libfuse, lsof or psmisc for the others)
##   make export         its commits back into patches/PROJECT/ and our files
##   make sources        move the Debian pins of testbed/sources.pin to what Debian serves
##                       now (not the upstream snapshots: those move by hand)
##   make deps           install the Debian packages all this needs (as root)
##   make clean          remove build/ and out/ (downloads and ccache stay)

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
# no checkpatch or check-v2 first; check-base only for kselftest and libfuse,
# whose reference it is (sections: kselftest-programs kselftest lsfd libfuse
# lsof fuser userns)
CHECKS ?=
# run-tests.py's arguments in make check and check-base: the whole suite,
# four cases at a time (-t CASE: that case alone)
LIBFUSE_TESTS ?= -j4
# check-base reads libfuse's reference from the cache when a run on the same
# inputs left it there (testbed/host/ref-cache.sh); REF_CACHE=0 runs it again
REF_CACHE ?= 1

.PHONY: all check check-base check-v2 kernel-v2 series tree export deps sources kernel \
	kernel-base selftests checkpatch lsfd check-lsfd libfuse lsof lsof-base psmisc demo \
	kernel-debug kernel-debug-base check-debug check-debug-base bench time-check check-fresh clean \
	check-runner lint check-export help

all: check

help:
	@sed -n 's/^## \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

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
# and the PROCMAP_QUERY series after it (patches/linux/procmap/)
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

# lsof with our patches, and its tests' helper programs
lsof: kernel
	@$(H)/mktree.sh lsof $(LSOF)
	@$(H)/build.sh lsof $(LSOF) $(LSOF_OBJ) $(OBJ)/usr/include

# stock lsof of the same version, with its tests' helper programs: its
# suite is the reference of ours, and make bench's baseline
lsof-base: kernel
	@$(H)/mktree.sh lsof $(LSOF) $(LSOF_BASE)
	@$(H)/build.sh lsof $(LSOF_BASE) $(LSOF_BASE_OBJ) $(OBJ)/usr/include

# fuser (psmisc) with our patches and stock, with their tests' helper
# programs: stock fuser's suite is the reference of ours
psmisc: kernel
	@$(H)/mktree.sh psmisc $(PSMISC) $(PSMISC_BASE)
	@$(H)/build.sh psmisc $(PSMISC) $(PSMISC_OBJ) $(OBJ)/usr/include
	@$(H)/build.sh psmisc $(PSMISC_BASE) $(PSMISC_BASE_OBJ) $(OBJ)/usr/include

# --- the series -----------------------------------------------------------------
# The series as it would be mailed, and checkpatch --strict on each patch
checkpatch: kernel
	@$(H)/series.sh $(LINUX) $(OUT)/series

# ... and verified: git am on the pristine base, every patch built; then the
# userspace series, each for its upstream's master (git am on the snapshot,
# every patch built)
series: kernel lsfd lsof psmisc libfuse
	@$(H)/series.sh $(LINUX) $(OUT)/series $(BUILD)/series-verify
	@$(H)/series-userspace.sh util-linux $(UL) $(OUT)/series $(BUILD)/series-verify $(OBJ)/usr/include
	@$(H)/series-userspace.sh lsof $(LSOF) $(OUT)/series $(BUILD)/series-verify $(OBJ)/usr/include
	@$(H)/series-userspace.sh psmisc $(PSMISC) $(OUT)/series $(BUILD)/series-verify $(OBJ)/usr/include
	@$(H)/series-userspace.sh libfuse $(LIBFUSE) $(OUT)/series $(BUILD)/series-verify $(OBJ)/usr/include

# --- checks: boot a kernel, run a guest script, judge its results.tap -----------
# (boot() quotes each word again for the guest's shell)
USERNS_TOOLS = "USERNS_TOOLS=$(FUSE_OBJ) $(UL_OBJ) $(LSOF_OBJ) $(PSMISC_OBJ)"
check: selftests lsfd libfuse lsof lsof-base psmisc \
	$(if $(CHECKS),$(if $(filter kselftest libfuse,$(CHECKS)),check-base),checkpatch check-v2 check-base)
	@VM_OVERLAYS="$(SUITE_TREES)" $(H)/check.sh check $(OBJ)/arch/x86/boot/bzImage $(BUILD)/vm-check \
		"CHECKS=$(CHECKS)" KST=$(SELFTESTS) SUITE_REF=$(BUILD)/vm-check-base \
		"LIBFUSE_TESTS=$(LIBFUSE_TESTS)" \
		UL_SRC=$(UL) UL_OBJ=$(UL_OBJ) FUSE_SRC=$(LIBFUSE) FUSE_OBJ=$(FUSE_OBJ) \
		LSOF_OBJ=$(LSOF_OBJ) LSOF_BASE_OBJ=$(LSOF_BASE_OBJ) \
		PSMISC_OBJ=$(PSMISC_OBJ) PSMISC_BASE_OBJ=$(PSMISC_BASE_OBJ) \
		$(USERNS_TOOLS) testbed/guest/selftests.sh $(FUSE_TESTS) $(BUILD)/vm-check

# The negative control of the RFC and of PROCMAP_QUERY: their tests must
# fail on the series alone
check-v2: selftests kernel-v2 lsfd libfuse lsof psmisc
	@$(H)/check.sh check-v2 $(OBJ_V2)/arch/x86/boot/bzImage $(BUILD)/vm-check-v2 \
		KERNEL=v2 $(USERNS_TOOLS) testbed/guest/selftests.sh $(FUSE_TESTS) $(BUILD)/vm-check-v2

# The negative control: the same selftests must fail on the base kernel; the
# whole upstream suites' results there are the reference of make check's
check-base: selftests kernel-base libfuse lsof lsof-base psmisc
	@cache=$(if $(filter 0,$(REF_CACHE)),,$$($(H)/ref-cache.sh libfuse $(OBJ_BASE) $(LIBFUSE_TESTS))) && \
	VM_RWDIRS="$$cache" VM_OVERLAYS="$(SUITE_TREES)" $(H)/check.sh check-base $(OBJ_BASE)/arch/x86/boot/bzImage $(BUILD)/vm-check-base \
		KERNEL=base KST=$(SELFTESTS) FUSE_SRC=$(LIBFUSE) FUSE_OBJ=$(FUSE_OBJ) SUITE_CACHE="$$cache" \
		"LIBFUSE_TESTS=$(LIBFUSE_TESTS)" \
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
