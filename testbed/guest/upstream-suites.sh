#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test-bed guest, as root: upstream-suites.sh SUITE OUTDIR [REF]
#
# Runs one of the test suites upstream runs on the code we touch, whole,
# records each test's result in OUTDIR/SUITE.results ("PASS|FAIL|SKIP name",
# sorted; OUTDIR/SUITE-TAG.results with TAG set), and adds one TAP result
# to $RESULTS: no test fails that does not fail in the reference run REF
# (another .results file), and none that passes there is missing or
# skipped here, with the counts of both.  A suite that runs out of time
# fails.
# Without REF (the base kernel's own run, which is the reference of the
# others), the result says only that the suite ran.
#
#   kselftest  the kernel's kselftests of filesystems/fuse (upstream's
#              fusectl_test next to ours) and proc (PROCMAP_QUERY's users),
#              through run_kselftest.sh, so that each collection's settings
#              (timeouts) apply; KST: the kselftest install folder
#   libfuse    libfuse's whole test/run-tests.py suite; FUSE_SRC, FUSE_OBJ;
#              LIBFUSE_TESTS: run-tests.py's arguments (-j4: four cases at
#              a time; -t CASE selects).  A case that fails is run again,
#              alone, once: one that passes then counts as passed and is
#              named as such (some cases are timing-sensitive under -j4).
#              SUITE_CACHE (a folder the guest may write): the reference
#              run's results are kept there, and a reference run that finds
#              them reads them instead of running the suite again; the
#              host names that folder after every input of the run
#              (testbed/host/ref-cache.sh).  TAG=io-uring: the suite over
#              FUSE over io_uring (run-tests.py --io-uring; the guest has
#              set fuse.enable_uring), with its own results and cache
#   lsof       lsof's whole test suite (make check, each test through
#              one-test.sh); LSOF_OBJ: the build tree, which this guest may
#              write (an overlay)

source "$(dirname "$0")/lib.sh"
export LC_ALL=C # (sort and join, one collation)
suite=${1:?usage: upstream-suites.sh SUITE OUTDIR [REF]}
outdir=${2:?usage: upstream-suites.sh SUITE OUTDIR [REF]}
ref=${3:-}
results=$outdir/$suite${TAG:+-$TAG}.results
log=$outdir/$suite${TAG:+-$TAG}.log
: >"$results"

case "$suite" in
kselftest)
	# Top-level results: "ok 3 selftests: proc: read", "not ok 5
	# selftests: proc: proc-maps-race # TIMEOUT 45 seconds", "not ok 1
	# selftests: filesystems/fuse: fusectl_test # exit=1", "ok 2 ... # SKIP"
	# fusectl_test reads the connections of a mounted fusectl, as on a
	# booted distribution
	mountpoint -q /sys/fs/fuse/connections ||
		mount -t fusectl fusectl /sys/fs/fuse/connections || true
	(cd "${KST:?}" && timeout 1500 ./run_kselftest.sh -c filesystems/fuse -c proc) >"$log" 2>&1
	rc=$?
	sed -nE 's/^(not )?ok [0-9]+ selftests: ([^ ]+): ([^ ]+)( # ([A-Z]*).*)?$/\1|\5|\2:\3/p' "$log" |
		awk -F'|' '{ r = ($1 == "not ") ? "FAIL" : ($2 == "SKIP" ? "SKIP" : "PASS"); print r, $3 }' |
		sort -k2 >"$results"
	what="kselftests filesystems/fuse and proc (run_kselftest.sh)"
	;;
libfuse)
	# shellcheck disable=SC2206 # run-tests.py's arguments, e.g. "-j4"
	args=(${LIBFUSE_TESTS:-})
	case "${TAG:-}" in
	'') ;;
	io-uring) args+=(--io-uring) ;;
	*) notok "upstream-suites.sh libfuse: no transport $TAG"; exit 0 ;;
	esac
	what="libfuse's test/run-tests.py ${args[*]}"
	name=libfuse${TAG:+-$TAG} rerun=$outdir/libfuse${TAG:+-$TAG}.rerun
	cache=${SUITE_CACHE:-}
	[ -z "$ref" ] || cache=
	if [ -n "$cache" ] && [ -s "$cache/$name.results" ] && [ -s "$cache/$name.log" ]; then
		cp "$cache/$name.results" "$results"
		cp "$cache/$name.log" "$log"
		cp "$cache/$name.rerun" "$rerun" 2>/dev/null || : >"$rerun"
		rc=0
		what="$what (kept from the run of $(cat "$cache/$name.date" 2>/dev/null) on the same inputs, $cache)"
	else
		# run-tests.py [ARGS...]: a tmpfs for the run (backing files
		# on the guest's overlayfs /tmp would be too deep a stack for
		# passthrough_hp); its log goes to stdout
		# (cases that abort a connection use fusectl, as on a distribution)
		mountpoint -q /sys/fs/fuse/connections ||
			mount -t fusectl fusectl /sys/fs/fuse/connections || true
		# run-tests.py reads a wedged case's kernel stacks with "sudo -n
		# cat": as root, and where the host has no sudo, a sudo that
		# runs its command is on the PATH
		shim=
		if ! command -v sudo >/dev/null; then
			shim=$(mktemp -d /tmp/sudo-shim.XXXXXX)
			# shellcheck disable=SC2016 # (the shim's own "$1" and "$@")
			printf '#!/bin/sh\n[ "$1" != -n ] || shift\nexec "$@"\n' >"$shim/sudo"
			chmod +x "$shim/sudo"
		fi
		libfuse_run() {
			local run rc
			run=$(mktemp -d /tmp/libfuse-suite.XXXXXX)
			mount -t tmpfs libfuse-suite "$run"
			(cd "${FUSE_SRC:?}/test" && PATH=${shim:+$shim:}$PATH timeout 2400 python3 ./run-tests.py \
				--build-dir "${FUSE_OBJ:?}" --run-dir "$run" -v "$@")
			rc=$?
			umount -l "$run"
			return $rc
		}
		# "+   1.234s PASS  examples/hello   0.12s"
		libfuse_results() { sed -nE 's/^\+ *[0-9.]+s (PASS|FAIL|SKIP) +([^ ]+) .*/\1 \2/p' "$1" | sort -k2; }
		libfuse_run "${args[@]}" >"$log" 2>&1
		rc=$?
		libfuse_results "$log" >"$results"
		# Each failed case again, alone, once (in a patched run, those
		# that do not fail in the reference run: the others change
		# nothing)
		: >"$rerun"
		if [ "$rc" != 124 ]; then
			while read -r t; do
				echo "=== $t again, alone" >>"$log"
				libfuse_run ${TAG:+--io-uring} -t "$t" </dev/null >"$log.again" 2>&1
				cat "$log.again" >>"$log"
				if [ "$(libfuse_results "$log.again")" = "PASS $t" ]; then
					sed -i "s|^FAIL $t\$|PASS $t|" "$results"
					echo "$t" >>"$rerun"
				fi
			done < <(sed -n 's/^FAIL //p' "$results" | sort |
				comm -23 - <(sed -n 's/^FAIL //p' "${ref:-/dev/null}" | sort))
			rm -f "$log.again"
		fi
		if [ -n "$cache" ] && [ "$rc" != 124 ] && [ -s "$results" ]; then
			mkdir -p "$cache"
			cp "$results" "$cache/$name.results"
			cp "$log" "$cache/$name.log"
			cp "$rerun" "$cache/$name.rerun"
			date -u '+%Y-%m-%d %H:%M UTC' >"$cache/$name.date"
		fi
	fi
	if [ -s "$rerun" ]; then
		what="$what; passed only when run again alone: $(paste -sd' ' "$rerun")"
	fi
	;;
lsof)
	# Each test in a session and a network namespace of its own, ended
	# with what it leaves running (one-test.sh: lsof's network cases and
	# the host's nc)
	one_test=$(cd "$(dirname "$0")" && pwd)/one-test.sh
	# lsof_results: each test's result, from automake's .trs files
	lsof_results() {
		(cd "$LSOF_OBJ" && grep -r --include='*.trs' '^:test-result:' . |
			sed -E 's|^\./(.*)\.trs::test-result: ([A-Z]+)$|\2 \1|' |
			sed -E 's/^(XFAIL) /PASS /; s/^(XPASS|ERROR) /FAIL /') | sort -k2
	}
	(cd "${LSOF_OBJ:?}" && find . -name '*.trs' -delete &&
		timeout 1200 make -k check LOG_COMPILER="$one_test") >"$log" 2>&1
	rc=$?
	lsof_results >"$results"
	# (the logs of the tests that did not pass, for whoever reads $log)
	cat "$LSOF_OBJ/test-suite.log" >>"$log" 2>/dev/null
	# A test that passes in the reference run and not here runs again,
	# alone, once (some of upstream's network cases pass or time out by
	# timing): one that passes then counts as passed and is named
	rerun=$outdir/lsof${TAG:+-$TAG}.rerun
	: >"$rerun"
	if [ -n "$ref" ] && [ "$rc" != 124 ]; then
		while read -r t; do
			echo "=== $t again, alone" >>"$log"
			(cd "$LSOF_OBJ" && timeout 300 make check TESTS="$t" LOG_COMPILER="$one_test"
				cat "$t.log") </dev/null >>"$log" 2>&1
			if [ "$(lsof_results | grep " $t\$")" = "PASS $t" ]; then
				sed -i "s|^[A-Z]* $t\$|PASS $t|" "$results"
				echo "$t" >>"$rerun"
			fi
		done < <(join -1 2 -2 2 -o 0 <(grep -v '^PASS ' "$results" | sort -k2) <(grep '^PASS ' "$ref" | sort -k2))
	fi
	[ ! -s "$rerun" ] || what_rerun="; passed only when run again alone: $(paste -sd' ' "$rerun")"
	what="lsof's make check${TAG:+ ($TAG lsof)}${what_rerun:-}"
	;;
*)
	notok "upstream-suites.sh: no suite $suite"
	exit 0
	;;
esac

counts() { echo "$(grep -c '^PASS ' "$1") passed, $(grep -c '^FAIL ' "$1") failed, $(grep -c '^SKIP ' "$1") skipped"; }
tail -n 5 "$log" | sed 's/^/# /'
grep '^FAIL ' "$results" | sed 's/^/# /'
# (a suite's status says only whether a test failed, which the comparison
# judges; the time limit is the suite's own failure)
if [ "$rc" = 124 ]; then
	notok "$what: did not finish within its time limit ($(counts "$results") by then; see $log)"
elif [ ! -s "$results" ]; then
	notok "$what: no result read from $log"
elif ! grep -q '^PASS ' "$results"; then
	notok "$what: no test passed ($(counts "$results"); see $log)"
elif [ -z "$ref" ]; then
	ok "$what ran: $(counts "$results") (the reference of the patched runs)"
elif [ ! -s "$ref" ]; then
	notok "$what: $(counts "$results"); no reference results in $ref"
else
	# A test that does not fail in the reference run (or is not there)
	# and fails here; one that passes there and is missing or skipped here
	new=$(join -1 2 -2 2 -a 1 -a 2 -e none -o 1.1,2.1,0 <(sort -k2 "$results") <(sort -k2 "$ref") |
		awk '($1 == "FAIL" && $2 != "FAIL") || ($1 != "PASS" && $1 != "FAIL" && $2 == "PASS") {
			print $3 " (" $1 " here, " $2 " there)" }')
	[ -z "$new" ] || printf '# new failure: %s\n' "$new"
	[ -z "$new" ]
	result $? "$what: no new failure; $(counts "$results") here, $(counts "$ref") in the reference ($(basename "$(dirname "$ref")")/$(basename "$ref"))"
fi
