#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh NAME BZIMAGE OUTDIR GUEST_COMMAND...
#
# Every make check* target: boot BZIMAGE, run GUEST_COMMAND (a script of
# testbed/guest/, with its variables and arguments), which writes its
# results to OUTDIR/results.tap, and judge that file: print the closing line
# "N passed, N failed, N skipped" (after "NAME:" for any target but check)
# and fail on a failed result or an unfinished file.  Results marked TODO
# (known failures, with their reason) are listed and counted apart.  What a variant expects
# (KERNEL=base: the selftests must fail there) is stated in the guest.

source "$(dirname "$0")/lib.sh"

name=${1:?usage: check.sh NAME BZIMAGE OUTDIR GUEST_COMMAND...}
image=${2:?} outdir=${3:?}
shift 3
results=$outdir/results.tap
rm -f "$results"
rc=0
boot "$image" "$outdir" "$@" || rc=$?
# A guest killed at VM_TIMEOUT has not passed, whatever it wrote before
[ "$rc" != 124 ] || die "$name: the guest did not finish within VM_TIMEOUT (see $outdir/console.log)"

if [ ! -f "$results" ] || ! grep -qE '^1\.\.[0-9]+$' "$results"; then
	die "$name: the guest wrote no complete $results (see $outdir/console.log)"
fi
# TODO results (known failures, not fixed yet) count in none of the three
read -r passed failed skipped todo <<<"$(awk '/^(not )?ok [0-9]+ .*# TODO/ { t++; next }
	/^ok [0-9]+ .*# SKIP/ { s++; next } /^ok [0-9]+ / { p++ } /^not ok [0-9]+ / { f++ }
	END { print p + 0, f + 0, s + 0, t + 0 }' "$results")"
if [ "$failed" != 0 ]; then
	stage "$name: failed"
	{ grep -E '^not ok ' "$results" | grep -v '# TODO' || true; } | sed 's/^/    /'
fi
if [ "$todo" != 0 ]; then
	stage "$name: known failures (TODO)"
	{ grep -E '^not ok [0-9]+ .*# TODO' "$results" || true; } | sed 's/^/    /'
	{ grep -E '^ok [0-9]+ .*# TODO' "$results" || true; } | sed 's/^/    passes now, drop its TODO: /'
fi
label="$name: "
[ "$name" != check ] || label=
extra=
[ "$todo" = 0 ] || extra=", $todo todo"
echo "$label$passed passed, $failed failed, $skipped skipped$extra"
[ "$failed" = 0 ]
