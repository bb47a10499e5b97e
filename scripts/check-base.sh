#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-base.sh BZIMAGE SELFTESTS OUTDIR
#
# The negative control: run the selftests of the patched tree on the
# unpatched base kernel.  They must fail there, and not skip: a test that
# passes on a kernel without the series does not test the series.
# Succeeds when the selftests failed (and none skipped).

source "$(dirname "$0")/lib.sh"

image=${1:?usage: check-base.sh BZIMAGE SELFTESTS OUTDIR}
selftests=${2:?}
outdir=${3:?}

# The guest's closing "N passed, N failed" line is renamed in what we
# print: it describes the base kernel, not the result of this target.
"$TOP/scripts/vm-run.sh" "$image" "$outdir" \
	testbed/guest/run-tests.sh "$selftests" "$outdir" |
	sed -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/(base kernel) \2 checks failed, \1 held, \3 skipped/' || true
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$outdir/console.log" | tail -n 1)
[ -n "$summary" ] || die "no result from the base kernel run"
read -r passed _ failed _ skipped _ <<<"$summary"
stage "negative control on the base kernel: $(sed -E 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\2 checks failed, \1 held, \3 skipped/' <<<"$summary")"
grep -E '^ok [0-9]+ ' "$outdir/fuse_fdinfo_test.tap" | sed 's/^/    passes on base too: /' || true
[ "$skipped" = 0 ] || die "selftests skipped on the base kernel: they must fail, not skip"
[ "$failed" -gt 0 ] || die "the selftests pass on the base kernel: they test nothing of the series"
note "as expected: $failed failed on the base kernel ($passed passed, $skipped skipped)"
