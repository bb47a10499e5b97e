#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch-series.sh SRC DIR
#
# Run the kernel's scripts/checkpatch.pl --strict on every patch in DIR and
# fail on any complaint.  The one exception is checkpatch's note that a new
# file may need a MAINTAINERS update, accepted only when get_maintainer.pl
# finds a MAINTAINERS entry (not just the catch-all) for every new file; the
# cover letter says so.

source "$(dirname "$0")/lib.sh"

src=$(cd "${1:?usage: checkpatch-series.sh SRC DIR}" && pwd)
dir=$(cd "${2:?usage: checkpatch-series.sh SRC DIR}" && pwd)

stage "checkpatch --strict on $(basename "$dir")"
bad=0
for p in "$dir"/0*.patch; do
	case "$p" in */0000-cover-letter.patch) continue ;; esac
	out=$(cd "$src" && perl scripts/checkpatch.pl --strict --show-types \
		--ignore FILE_PATH_CHANGES "$p" 2>&1) || true
	if ! grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$out"; then
		printf '%s\n' "$out" | grep -v '^$' | sed 's/^/    /'
		note "FAIL: $(basename "$p")"
		bad=1
		continue
	fi
	# New files: is MAINTAINERS already covering their path?
	for f in $(grep -A1 '^--- /dev/null' "$p" | sed -n 's|^+++ b/||p'); do
		if ! (cd "$src" && perl scripts/get_maintainer.pl --no-git --no-rolestats -f "$f" 2>/dev/null) |
			grep -qv 'linux-kernel@vger.kernel.org'; then
			note "FAIL: $(basename "$p"): new file $f has no MAINTAINERS entry"
			bad=1
		fi
	done
	note "ok: $(basename "$p")"
done
[ $bad = 0 ] || die "checkpatch --strict found problems"
