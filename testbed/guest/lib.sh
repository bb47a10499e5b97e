# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# The library of the guest side of the test bed (testbed/guest/): sourced by
# the scripts that run inside the booted kernel.  Every result is a TAP line,
# printed and appended to the file $RESULTS that the host reads after the
# guest has shut down (testbed/host/check.sh); the host greps no console log.

set -u

# tap_begin FILE: start the result file FILE (exported as RESULTS, so that
# scripts this one runs add to it)
tap_begin() {
	export RESULTS=$1
	echo "TAP version 13" >"$RESULTS"
}
# tap_end: the plan line, last
tap_end() { echo "1..$(grep -cE '^(not )?ok ' "$RESULTS")" >>"$RESULTS"; }

# tap "ok"|"not ok" DESCRIPTION: one numbered result
tap() {
	local n
	n=$(($(grep -cE '^(not )?ok ' "$RESULTS") + 1))
	echo "$1 $n - $2" | tee -a "$RESULTS"
}
ok() { tap ok "$*"; }
notok() { tap "not ok" "$*"; }
skip() { tap ok "$1 # SKIP $2"; }
# todo STATUS DESCRIPTION REASON: a check that fails for a known reason that
# is not fixed yet (TAP's TODO): reported, neither passed nor failed
todo() { if [ "$1" = 0 ]; then tap ok "$2 # TODO $3"; else tap "not ok" "$2 # TODO $3"; fi; }
# result STATUS DESCRIPTION: ok when STATUS is 0
result() { if [ "$1" = 0 ]; then ok "$2"; else notok "$2"; fi; }
# check DESCRIPTION EXPECTED ACTUAL
# backing_paths FDINFO: the paths on its "fuse_backing:" lines (ID DEV INO
# MNT_ID PATH, path last, escaped as \ooo), one per line
backing_paths() {
	sed -n 's/^fuse_backing:\t[0-9]* [0-9a-f]*:[0-9a-f]* [0-9]* [0-9]* //p' "$1"
}

check() {
	if [ "$2" == "$3" ]; then ok "$1"; else
		notok "$1"
		printf '#   expected: %q\n#   actual:   %q\n' "$2" "$3"
	fi
}
# tap_import FILE: the top-level results of a kselftest program's TAP output
tap_import() {
	local status desc
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*) status=ok desc=${line#ok } ;;
		"not ok "[0-9]*) status="not ok" desc=${line#not ok } ;;
		*) continue ;;
		esac
		desc=${desc#* }
		desc=${desc#- }
		tap "$status" "$desc" >/dev/null
	done <"$1"
}
# tap_counts FILE: "PASSED FAILED SKIPPED" of a TAP file (TODO results in none)
tap_counts() {
	awk '/^(not )?ok [0-9]+ .*# TODO/ { next } /^ok [0-9]+ .*# SKIP/ { s++; next }
		/^ok [0-9]+ / { p++ } /^not ok [0-9]+ / { f++ }
		END { print p + 0, f + 0, s + 0 }' "$1"
}
