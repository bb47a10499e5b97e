#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test-bed guest (see scripts/vm-run.sh), as root.
# run-tests.sh SELFTEST_DIR OUTDIR
#
# Runs every kselftest program of this project, then the lsfd checks (when
# UL_SRC and UL_OBJ are set) and libfuse's fdinfo test (when FUSE_SRC and
# FUSE_OBJ are set), then checks the kernel log, and prints TAP followed by
# one closing line "N passed, N failed, N skipped".  Exits non-zero if
# anything failed.  With STRESS_SECONDS set it also runs fuse_fdinfo_stress,
# and on a kernel with kmemleak it requires an empty kmemleak report.

set -u
selftests=$(cd "${1:?usage: run-tests.sh SELFTEST_DIR OUTDIR}" && pwd)
outdir=${2:?usage: run-tests.sh SELFTEST_DIR OUTDIR}
mkdir -p "$outdir"

pass=0 fail=0 skip=0
count() {	# count FILE: add the TAP results of a kselftest program's output
	local p f s
	p=$(grep -cE '^ok [0-9]+ ' "$1" | head -1)
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$1" | head -1)
	f=$(grep -cE '^not ok [0-9]+ ' "$1" | head -1)
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
}

echo "# kernel: $(uname -r) $(uname -v)"
dmesg --clear 2>/dev/null || dmesg -C
echo 1 > /proc/sys/kernel/printk_ratelimit 2>/dev/null || true

for prog in fuse_fdinfo_test; do
	bin=$selftests/$prog
	echo "# === $prog"
	if [ ! -x "$bin" ]; then
		echo "not ok - $prog: not built"
		fail=$((fail + 1))
		continue
	fi
	# Programs run from /tmp: they make their own tmpfs mounts there.
	(cd /tmp && timeout 600 "$bin") >"$outdir/$prog.tap" 2>&1
	rc=$?
	cat "$outdir/$prog.tap"
	count "$outdir/$prog.tap"
	if [ $rc -ne 0 ] && [ $rc -ne 4 ] && ! grep -qE '^not ok' "$outdir/$prog.tap"; then
		echo "not ok - $prog exited with status $rc"
		fail=$((fail + 1))
	fi
done

if [ -n "${UL_OBJ:-}" ]; then
	echo "# === lsfd"
	"$(dirname "$0")/lsfd-checks.sh" "$UL_SRC" "$UL_OBJ" \
		"$outdir/lsfd" >"$outdir/lsfd.tap" 2>&1
	cat "$outdir/lsfd.tap"
	p=$(grep -c '^ok ' "$outdir/lsfd.tap") f=$(grep -c '^not ok ' "$outdir/lsfd.tap")
	pass=$((pass + p)) fail=$((fail + f))
fi

if [ -n "${FUSE_OBJ:-}" ]; then
	echo "# === libfuse: examples/passthrough-hp-fdinfo"
	# A tmpfs for the run: backing files on the guest's overlayfs /tmp
	# would be too deep a stack for passthrough_hp.
	run=$(mktemp -d /tmp/libfuse-run.XXXXXX)
	mount -t tmpfs libfuse-run "$run"
	(cd "$FUSE_SRC/test" && timeout 300 python3 ./run-tests.py --build-dir "$FUSE_OBJ" \
		--run-dir "$run" --keep-logs -v -t examples/passthrough-hp-fdinfo) \
		>"$outdir/libfuse.log" 2>&1
	rc=$?
	sed 's/^/# /' "$outdir/libfuse.log" | tail -25
	if [ $rc = 0 ] && grep -qE 'PASS.*examples/passthrough-hp-fdinfo|examples/passthrough-hp-fdinfo.*PASS' "$outdir/libfuse.log"; then
		echo "ok - libfuse examples/passthrough-hp-fdinfo passes"
		pass=$((pass + 1))
	else
		echo "not ok - libfuse examples/passthrough-hp-fdinfo passes (status $rc)"
		fail=$((fail + 1))
	fi
	umount -l "$run"
fi

if [ -n "${STRESS_SECONDS:-}" ]; then
	echo "# === fuse_fdinfo_stress -t $STRESS_SECONDS -n ${STRESS_IDS:-100000}"
	(cd /tmp && timeout $((STRESS_SECONDS * 4 + 600)) "$selftests/fuse_fdinfo_stress" \
		-t "$STRESS_SECONDS" -n "${STRESS_IDS:-100000}") >"$outdir/stress.log" 2>&1
	rc=$?
	sed 's/^/# /' "$outdir/stress.log"
	if [ $rc = 0 ] && tail -n 1 "$outdir/stress.log" | grep -qx PASS; then
		echo "ok - fuse_fdinfo_stress: every fdinfo read well formed, $STRESS_SECONDS s"
		pass=$((pass + 1))
	else
		echo "not ok - fuse_fdinfo_stress (status $rc)"
		fail=$((fail + 1))
	fi
fi

if [ -e /sys/kernel/debug/kmemleak ] || { mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null &&
					  [ -e /sys/kernel/debug/kmemleak ]; }; then
	echo "# === kmemleak"
	# Two scans: an object is reported once it was unreferenced for a scan
	echo scan >/sys/kernel/debug/kmemleak; sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$outdir/kmemleak.log"
	if [ -s "$outdir/kmemleak.log" ]; then
		head -60 "$outdir/kmemleak.log" | sed 's/^/# /'
		echo "not ok - kmemleak: $(grep -c '^unreferenced object' "$outdir/kmemleak.log") leaks"
		fail=$((fail + 1))
	else
		echo "ok - kmemleak: no leak"
		pass=$((pass + 1))
	fi
elif [ -n "${STRESS_SECONDS:-}" ]; then
	# The debug run must not pass by skipping its leak check
	echo "not ok - kmemleak: no /sys/kernel/debug/kmemleak on the debug kernel"
	fail=$((fail + 1))
fi

# A test that passes while the kernel complains has not passed.
echo "# === kernel log"
dmesg >"$outdir/dmesg.log"
bad='WARNING:|BUG:|Oops|KASAN|UBSAN|possible recursive locking|circular locking|suspicious RCU usage|rcu_sched self-detected stall|rcu: INFO|refcount_t:|general protection fault|Call Trace:|kmemleak:.*new suspected'
if grep -Eq "$bad" "$outdir/dmesg.log"; then
	grep -E -A20 "$bad" "$outdir/dmesg.log" | head -60 | sed 's/^/# /'
	echo "not ok - kernel log is clean"
	fail=$((fail + 1))
else
	echo "ok - kernel log is clean (no warning, BUG, lockdep or RCU report)"
	pass=$((pass + 1))
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
