#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test-bed guest, as root: util-linux's whole lsfd test
# suite, with the patched lsfd and with the stock lsfd of the same version,
# on the patched kernel.  lsfd-suite.sh UL_SRC UL_OBJ BASE_SRC BASE_OBJ OUTDIR
#
# Some tests cannot run in this small guest (no vsock, no sock_diag, ...);
# they fail or skip the same way with and without our patches.  What counts:
# no test fails with the patches that passes without them.  Writes its
# results to OUTDIR/results.tap for the host.

source "$(dirname "$0")/lib.sh"
ul_src=$1 ul_obj=$2 base_src=$3 base_obj=$4 out=$5
mkdir -p "$out"
tap_begin "$out/results.tap"

# suite SRC OBJ NAME: run in a tmpfs copy of OBJ (QEMU's 9p refuses the
# FIFOs and sockets tests make); print the names of the failed tests
suite() {
	local tmp
	tmp=$(mktemp -d "/tmp/ul-$3.XXXXXX")
	cp -a "$2/." "$tmp/"
	rm -rf "$tmp/tests/output" "$tmp/tests/diff"
	(cd "$1" && timeout 1500 tests/run.sh --srcdir="$1" --builddir="$tmp" lsfd) \
		>"$out/suite-$3.log" 2>&1
	sed -n '/tests of [0-9]* FAILED/,/^---/p' "$out/suite-$3.log" |
		sed -n 's|^ *\(lsfd/[^ ]*\) *$|\1|p' | sort
	rm -rf "$tmp"
}

suite "$ul_src" "$ul_obj" patched >"$out/failed-patched"
suite "$base_src" "$base_obj" stock >"$out/failed-stock"
# counts VARIANT: "M tests: P passed, F failed, S skipped", from run.sh's
# summary ("All M tests PASSED", "F tests of M FAILED") and its lines (a
# test's result can come after other output, on a line of its own; those
# of sub-tests start with ":")
counts() {
	local log=$out/suite-$1.log total failed skipped
	total=$(sed -nE 's/^ *(All ([0-9]+) tests PASSED|[0-9]+ tests of ([0-9]+) FAILED).*/\2\3/p' "$log")
	failed=$(grep -c . "$out/failed-$1")
	skipped=$(grep '\.\.\. SKIPPED\|^ SKIPPED' "$log" | grep -vc '^ *: ')
	echo "${total:-0} tests: $((${total:-0} - failed - skipped)) passed, $failed failed, $skipped skipped"
}
for v in patched stock; do
	echo "# $v lsfd: $(counts $v); failed: $(paste -sd' ' "$out/failed-$v")"
done

grep -q 'FUSE passthrough backing files  *\.\.\. OK' "$out/suite-patched.log"
result $? "lsfd/mkfds-fuse-passthrough passes"
grep -q 'FUSE passthrough backing files on fuseblk .*\.\.\. OK' "$out/suite-patched.log"
result $? "lsfd/mkfds-fuseblk-passthrough passes"
new=$(comm -23 "$out/failed-patched" "$out/failed-stock")
grep -q 'tests of [0-9]* FAILED\|tests PASSED' "$out/suite-stock.log" ||
	new="(stock lsfd's suite did not finish: $out/suite-stock.log)"
check "no lsfd test fails with the patches that passes without them" "" "$new"
ran=$(counts patched)
passed=${ran#*: } passed=${passed%% *}
[ "$passed" -ge 20 ]
result $? "the suite ran: patched $ran; stock $(counts stock)"
tap_end
