#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-debug-base.sh BZIMAGE SELFTESTS OUTDIR
#
# The negative control of make check-debug: the same selftests and the same
# stress run, on a debug build (testbed/debug.config) of the unpatched base
# kernel.  There the series' features are missing, so the selftests and the
# stress test's listing checks fail; what must hold is what the test bed
# would otherwise blame on the series: a clean kernel log (no BUG, WARNING,
# KASAN, lockdep, RCU or refcount report), an empty kmemleak scan, no
# malformed fdinfo read, and a stress run that did every kind of operation.
# Succeeds when all of that holds.

source "$(dirname "$0")/lib.sh"

image=${1:?usage: check-debug-base.sh BZIMAGE SELFTESTS OUTDIR}
selftests=${2:?}
outdir=${3:?}

VM_MEMORY=${VM_MEMORY:-3G} VM_TIMEOUT=${VM_TIMEOUT:-3000} \
"$TOP/scripts/vm-run.sh" "$image" "$outdir" STRESS_SECONDS="${STRESS_SECONDS:-60}" \
	testbed/guest/run-tests.sh "$selftests" "$outdir" |
	sed -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/(base kernel) \2 checks failed, \1 held, \3 skipped/' || true

log=$outdir/console.log
grep -q '^ok .*kernel log is clean' "$log" ||
	die "the base debug kernel's log is not clean: the test bed would flag noise that is not ours (see $outdir/dmesg.log)"
grep -q '^ok .*kmemleak: no leak' "$log" ||
	die "kmemleak reports leaks, or did not run, on the base debug kernel (see $outdir/kmemleak.log)"
[ -s "$outdir/stress.log" ] || die "the stress test did not run on the base debug kernel"
counter() {	# counter NAME: a counter from the stress test's report
	sed -nE "s|^  $1 +([0-9]+)\$|\\1|p" "$outdir/stress.log"
}
[ "$(counter 'malformed fdinfo reads')" = 0 ] ||
	die "malformed fdinfo reads on the base kernel: the stress test's format check is wrong"
for what in 'app opens in passthrough mode' '/dev/fuse fdinfo reads' 'FUSE file fdinfo reads' \
	    'connection aborts' 'umounts' 'server kills' 'BACKING_OPEN \(storm and opens\)' 'BACKING_CLOSE'; do
	n=$(counter "$what")
	[ -n "$n" ] && [ "$n" -gt 0 ] || die "the stress run on the base kernel did no \"$what\""
done
stage "negative control on the base debug kernel: kernel log clean, kmemleak empty"
sed -n '/^stress:/,$p' "$outdir/stress.log" | grep -vxE 'PASS|FAIL' | sed 's/^/    /'
note "selftests failed there: $(grep -c '^not ok' "$outdir/fuse_fdinfo_test.tap") of $(grep -cE '^(not )?ok' "$outdir/fuse_fdinfo_test.tap")"
note "stress test: $(sed -n 's/^scale: //p' "$outdir/stress.log" | head -1)"
note "as expected, only the checks of the series' features failed there"
