#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test-bed guest, as root: selftests.sh SELFTEST_DIR OUTDIR
#
# Runs, section by section (CHECKS, a list of section names, runs those
# alone; the kernel log is always judged):
#   kselftest-programs  our kselftest programs fuse_fdinfo_test,
#                       fuse_userns_test and proc/proc-maps-backing (the
#                       PROCMAP_QUERY series), each result imported
#   kselftest   the kselftest collections filesystems/fuse and proc through
#               run_kselftest.sh (KST: their install folder)
#   lsfd        the lsfd checks (UL_SRC, UL_OBJ)
#   libfuse     libfuse's whole suite (LIBFUSE_TESTS: run-tests.py's
#               arguments), and our fdinfo case in it (FUSE_SRC, FUSE_OBJ)
#   lsof        lsof's FUSE test, then its whole suite against stock lsof's
#               (LSOF_OBJ, LSOF_BASE_OBJ)
#   fuser       fuser's suite, its FUSE tests and the rest against stock
#               fuser's (PSMISC_OBJ, PSMISC_BASE_OBJ)
#   userns      the RFC end to end (USERNS_TOOLS)
#   stress      fuse_fdinfo_stress (STRESS_SECONDS; STRESS_IDS ids, 100000
#               by default; then its fault_injection test alone, with its
#               kernel log judged apart), and kmemleak, required then
# then kmemleak (when the kernel has it) and the kernel log.  Writes every
# result to OUTDIR/results.tap for the host.  The whole upstream suites
# (testbed/guest/upstream-suites.sh) are compared with the base kernel's
# run in SUITE_REF (its OUTDIR): no new failure.
#
# KERNEL=base states what must happen on the unpatched base kernel instead:
# the kselftest programs fail there (and skip nothing), the FUSE cases of
# lsof, fuser and libfuse do not pass (they skip, saying why), and the
# kernel log and kmemleak stay clean.  KERNEL=v2: the
# series without the RFC on top (patches/linux/rfc-userns/) and without
# the PROCMAP_QUERY series (patches/linux/procmap/), where the RFC's tests
# (fuse_userns_test, and with USERNS_TOOLS, userns-checks.sh) and
# proc-maps-backing must fail and the rest pass.

source "$(dirname "$0")/lib.sh"
selftests=$(cd "${1:?usage: selftests.sh SELFTEST_DIR OUTDIR}" && pwd)
outdir=${2:?usage: selftests.sh SELFTEST_DIR OUTDIR}
kernel=${KERNEL:-patched}
mkdir -p "$outdir"
tap_begin "$outdir/results.tap"

echo "# kernel: $(uname -r) $(uname -v) (the $kernel kernel)"
dmesg --clear 2>/dev/null || dmesg -C
echo 1 > /proc/sys/kernel/printk_ratelimit 2>/dev/null || true

# --- the kselftest programs -------------------------------------------------
# kselftest PROG TIMEOUT [VAR=VALUE...] [-- ARG...]: run PROG of the
# selftests (a path relative to SELFTEST_DIR for another collection's)
# with the variables and arguments (the harness's -t/-T test
# filters), import its results; on the base kernel, state instead that it
# fails there (every test that holds there too is named) and skips nothing.
# must_fail PROG: on this kernel, PROG's tests must fail
must_fail() {
	case "$kernel" in
	base) true ;;
	v2) [ "$1" = fuse_userns_test ] || [ "$1" = proc-maps-backing ] ;;
	*) false ;;
	esac
}
kselftest() {
	local prog=$1 limit=$2 name=${1##*/} tap p f s rc vars=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do vars+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	tap="$outdir/$name$(printf -- '%s' "$@").tap"
	echo "# === $prog ${vars[*]} $*"
	if [ ! -x "$selftests/$prog" ]; then
		notok "$prog: not built"
		return
	fi
	# Programs run from /tmp: they make their own tmpfs mounts there.
	(cd /tmp && env "${vars[@]}" timeout "$limit" "$selftests/$prog" "$@") >"$tap" 2>&1
	rc=$?
	cat "$tap"
	read -r p f s <<<"$(tap_counts "$tap")"
	if must_fail "$name"; then
		grep -E '^ok [0-9]+ ' "$tap" | sed "s/^/# holds on the $kernel kernel too: /"
		[ "$f" -gt 0 ] && [ "$s" = 0 ]
		result $? "$prog${*:+ $*} fails on the $kernel kernel, as it must: $f of $((p + f + s)) failed, $s skipped"
	else
		tap_import "$tap"
		[ $rc = 0 ] || [ $rc = 4 ] || [ "$f" -gt 0 ] || notok "$prog exited with status $rc"
	fi
}

# want SECTION: SECTION is one to run (CHECKS names it, or is empty)
sections=" kselftest-programs kselftest lsfd libfuse lsof fuser userns stress "
want() { [ -z "${CHECKS:-}" ] || [[ " $CHECKS " == *" $1 "* ]]; }
for c in ${CHECKS:-}; do
	[[ "$sections" == *" $c "* ]] || notok "CHECKS names no section $c (sections:$sections)"
done
# upstream SUITE: the whole upstream SUITE, against the base kernel's
# results (upstream-suites.sh)
upstream() {
	echo "# === upstream suite: $1"
	"$(dirname "$0")/upstream-suites.sh" "$1" "$outdir" "${SUITE_REF:+$SUITE_REF/$1${TAG:+-$TAG}.results}" ||
		notok "upstream-suites.sh $1 ended with status $?"
}

if want kselftest-programs; then
	kselftest fuse_fdinfo_test 600
	# The RFC: passthrough for servers in user namespaces (its stress
	# test for STRESS_SECONDS too)
	kselftest fuse_userns_test $((${STRESS_SECONDS:-3} * 2 + 600)) FUSE_STRESS_SECONDS="${STRESS_SECONDS:-3}"
	# The PROCMAP_QUERY series (patches/linux/procmap/), in the proc
	# collection
	kselftest ../../proc/proc-maps-backing 120
fi
# The collections, as upstream runs them (our programs among them)
if [ -n "${KST:-}" ] && want kselftest; then
	upstream kselftest
	# ... and ours pass there, as they do above (a runner's environment
	# differs: its open fds, its timeouts, its folder)
	if [ "$kernel" = patched ]; then
		ours=$(grep -c '^PASS \(filesystems/fuse:fuse_\(fdinfo_test\|fdinfo_stress\|userns_test\)\|proc:proc-maps-backing\)$' "$outdir/kselftest.results")
		[ "$ours" = 4 ]
		result $? "run_kselftest.sh: fuse_fdinfo_test, fuse_fdinfo_stress, fuse_userns_test and proc-maps-backing pass ($ours of 4)"
	fi
fi

# --- lsfd and libfuse --------------------------------------------------------
if [ -n "${UL_OBJ:-}" ] && want lsfd; then
	echo "# === lsfd"
	"$(dirname "$0")/lsfd-checks.sh" "$UL_SRC" "$UL_OBJ" "$outdir/lsfd"
fi

if [ -n "${FUSE_OBJ:-}" ] && want libfuse; then
	# Over /dev/fuse, then over FUSE over io_uring (as libfuse's CI runs
	# it: run-tests.py --io-uring, which the fuse module must allow)
	echo Y >/sys/module/fuse/parameters/enable_uring ||
		notok "fuse.enable_uring cannot be set: the kernel has no CONFIG_FUSE_IO_URING"
	for TAG in "" io-uring; do
		export TAG
		upstream libfuse
		# Our case in it: passes on the patched kernel; on the base one it
		# does not (as an upstream libfuse test, it skips there, saying why)
		run=libfuse${TAG:+-$TAG} case="libfuse examples/passthrough-hp-fdinfo${TAG:+ over $TAG}"
		res=$(sed -n 's|^\([A-Z]*\) examples/passthrough-hp-fdinfo$|\1|p' "$outdir/$run.results")
		if [ -z "$res" ] && grep -qE '(^| )-[tgX]' <<<"${LIBFUSE_TESTS:-}" && ! grep -q 'passthrough-hp-fdinfo' <<<"$LIBFUSE_TESTS"; then
			skip "$case" "not among the cases LIBFUSE_TESTS selects ($LIBFUSE_TESTS)"
		elif [ "$kernel" = base ]; then
			why=$(sed -n 's|^+ *[0-9.]*s SKIP  *examples/passthrough-hp-fdinfo  *[0-9.]*s  *||p' "$outdir/$run.log")
			[ "$res" = FAIL ] || { [ "$res" = SKIP ] && [ -n "$why" ]; }
			result $? "$case does not pass on the base kernel, as it must (${res:-not run}${why:+: $why})"
		else
			[ "$res" = PASS ]
			result $? "$case passes (${res:-not run})"
		fi
	done
	unset TAG
fi

# --- lsof and fuser, in their own test suites --------------------------------
# suite_result NAME RESULTS: RESULTS are the FUSE tests' results (PASS, FAIL,
# SKIP, UNSUPPORTED, ... one a line): all pass on the patched kernel (a
# skip is a failure there); on the base kernel each fails or skips (no
# error, no pass).  As upstream tests, they skip on a kernel without the
# fdinfo lines, saying so (their logs, printed above); the patched run
# shows that they can pass.
suite_result() {
	local name=$1 results=$2 n
	n=$(grep -c . <<<"$results")
	if [ "$kernel" = base ]; then
		[ "$n" -gt 0 ] && ! grep -qvxE 'FAIL|SKIP|UNSUPPORTED' <<<"$results"
		result $? "$name does not pass on the base kernel, as it must: $(tr '\n' ' ' <<<"$results")"
	else
		[ "$n" -gt 0 ] && ! grep -qvx PASS <<<"$results"
		result $? "$name passes: $(tr '\n' ' ' <<<"$results")"
	fi
}

if [ -n "${LSOF_OBJ:-}" ] && want lsof; then
	t=lib/dialects/linux/tests/case-20-fuse-passthrough
	echo "# === lsof: $t.bash"
	rm -f "$LSOF_OBJ/$t.bash.log" "$LSOF_OBJ/$t.bash.trs"
	one_test=$(cd "$(dirname "$0")" && pwd)/one-test.sh
	(cd "$LSOF_OBJ" && timeout 300 make check TESTS="$t.bash" LOG_COMPILER="$one_test") >"$outdir/lsof-check.log" 2>&1
	res=$(sed -n 's/^:test-result: //p' "$LSOF_OBJ/$t.bash.trs" 2>/dev/null)
	# No result at all: the harness did not run (say why)
	[ -n "$res" ] || sed 's/^/# /' "$outdir/lsof-check.log" | tail -20
	if [ "$res" != PASS ]; then
		# What failed: the test's report is its stdout, which the
		# harness's log does not keep here; run it again the legacy
		# way, with a report file.
		(cd "$LSOF_OBJ" && timeout 300 bash "$t.bash" "$LSOF_OBJ/lsof" "$outdir/lsof-report.log" \
			lib/dialects/linux/tests linux) >/dev/null 2>&1
		sed 's/^/# /' "$outdir/lsof-report.log" | head -40
	fi
	suite_result "lsof's $(basename $t)" "$res"
	# The whole suite, against stock lsof's in this boot
	if [ -n "${LSOF_BASE_OBJ:-}" ]; then
		echo "# === upstream suite: lsof, stock and patched"
		LSOF_OBJ=$LSOF_BASE_OBJ TAG=stock "$(dirname "$0")/upstream-suites.sh" lsof "$outdir" ||
			notok "upstream-suites.sh lsof (stock) ended with status $?"
		"$(dirname "$0")/upstream-suites.sh" lsof "$outdir" "$outdir/lsof-stock.results" ||
			notok "upstream-suites.sh lsof ended with status $?"
	fi
fi

if [ -n "${PSMISC_OBJ:-}" ] && want fuser; then
	echo "# === fuser: testsuite/fuser.test/fuser.exp"
	rm -f "$PSMISC_OBJ/testsuite/fuser.sum" "$PSMISC_OBJ/testsuite/fuser.log"
	(cd "$PSMISC_OBJ/testsuite" && timeout 300 make check DEJATOOL=fuser) >"$outdir/fuser-check.log" 2>&1
	cp "$PSMISC_OBJ/testsuite/fuser.log" "$outdir/fuser.log" 2>/dev/null ||
		sed 's/^/# /' "$outdir/fuser-check.log" | tail -20
	grep -E '^(PASS|FAIL|UNSUPPORTED|UNRESOLVED|ERROR|XFAIL|XPASS|UNTESTED|KFAIL|KPASS):' \
		"$PSMISC_OBJ/testsuite/fuser.sum" 2>/dev/null | sed 's/^/# /'
	# The tests of FUSE backing files pass (and fail on the base kernel)
	fuse=$(grep -E '^[A-Z]+: .*(backing file|FUSE)' "$PSMISC_OBJ/testsuite/fuser.sum" 2>/dev/null | cut -d: -f1)
	suite_result "fuser's FUSE tests (fuser.exp)" "$fuse"
	# ... and the others fail no more than with stock fuser
	if [ -n "${PSMISC_BASE_OBJ:-}" ]; then
		(cd "$PSMISC_BASE_OBJ/testsuite" && rm -f fuser.sum &&
			timeout 300 make check DEJATOOL=fuser) >"$outdir/fuser-stock-check.log" 2>&1
		failed() { grep -E '^(FAIL|UNRESOLVED|ERROR):' "$1" | grep -vE 'backing file|FUSE' | sort; }
		new=$(comm -23 <(failed "$PSMISC_OBJ/testsuite/fuser.sum") \
			<(failed "$PSMISC_BASE_OBJ/testsuite/fuser.sum"))
		[ -z "$new" ] || printf '# new: %s\n' "${new//$'\n'/$'\n'# new: }"
		failed "$PSMISC_BASE_OBJ/testsuite/fuser.sum" | sed 's/^/# fails with stock fuser too: /'
		[ -z "$new" ]
		result $? "fuser's other tests: no failure that stock fuser does not have ($(grep -c '^PASS:' "$PSMISC_BASE_OBJ/testsuite/fuser.sum") pass with stock fuser)"
	fi
fi

# --- the RFC: an unprivileged server, seen by fdinfo, lsfd, lsof, fuser -----
if [ -n "${USERNS_TOOLS:-}" ] && want userns; then
	echo "# === passthrough_hp in unshare -Urm"
	# shellcheck disable=SC2086 # four folders
	"$(dirname "$0")/userns-checks.sh" $USERNS_TOOLS "$outdir/userns" ||
		notok "userns-checks.sh ended with status $?"
fi

# --- the stress test ---------------------------------------------------------
# On the base kernel the listing checks fail while the race still runs, so
# that the kernel log and kmemleak below have something to judge.
# bad: what in a kernel log means a test that passed has not passed.
bad='WARNING:|BUG:|Oops|KASAN|UBSAN|possible recursive locking|circular locking|suspicious RCU usage|rcu_sched self-detected stall|rcu: INFO|refcount_t:|general protection fault|Call Trace:|kmemleak:.*new suspected'
if [ -n "${STRESS_SECONDS:-}" ] && want stress; then
	kselftest fuse_fdinfo_stress $((STRESS_SECONDS * 4 + 2400)) \
		FUSE_STRESS_SECONDS="$STRESS_SECONDS" FUSE_STRESS_IDS="${STRESS_IDS:-100000}" \
		-- -T fault_injection
	# Allocations failed on purpose print their stack (warn_alloc(), the
	# fault injection's own report): this part of the log is judged for
	# every other report.
	dmesg >"$outdir/dmesg-before-faults.log"
	dmesg -C
	kselftest fuse_fdinfo_stress 1200 FUSE_STRESS_FAULT_IDS="${STRESS_FAULT_IDS:-30000}" \
		-- -t fault_injection
	dmesg >"$outdir/dmesg-faults.log"
	dmesg -C
	echo "# $(grep -c 'FAULT_INJECTION: forcing a failure' "$outdir/dmesg-faults.log") faults injected"
	grep -E -A20 "${bad/|Call Trace:/}" "$outdir/dmesg-faults.log" | head -60 | sed 's/^/# /'
	! grep -Eq "${bad/|Call Trace:/}" "$outdir/dmesg-faults.log"
	result $? "kernel log under fault injection: no report but the failed allocations' stacks"
fi

# --- kmemleak and the kernel log ---------------------------------------------
if [ -e /sys/kernel/debug/kmemleak ] || { mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null &&
					  [ -e /sys/kernel/debug/kmemleak ]; }; then
	echo "# === kmemleak"
	# Two scans: an object is reported once it was unreferenced for a scan
	echo scan >/sys/kernel/debug/kmemleak; sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$outdir/kmemleak.log"
	head -60 "$outdir/kmemleak.log" | sed 's/^/# /'
	[ ! -s "$outdir/kmemleak.log" ]
	result $? "kmemleak: $(grep -c '^unreferenced object' "$outdir/kmemleak.log") leaks"
elif [ -n "${STRESS_SECONDS:-}" ]; then
	# The debug run must not pass by skipping its leak check
	notok "kmemleak: no /sys/kernel/debug/kmemleak on the debug kernel"
fi

# A test that passes while the kernel complains has not passed.
echo "# === kernel log"
{ cat "$outdir/dmesg-before-faults.log" 2>/dev/null; dmesg; } >"$outdir/dmesg.log"
grep -E -A20 "$bad" "$outdir/dmesg.log" | head -60 | sed 's/^/# /'
! grep -Eq "$bad" "$outdir/dmesg.log"
result $? "kernel log is clean (no warning, BUG, lockdep or RCU report)"
tap_end
