#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-export.sh [PROJECT...]
#
# The round trip of make tree and make export (make check-export): in a
# copy of this checkout (its files, committed or not, without build/), each
# PROJECT's tree is made from patches/PROJECT/ (mktree.sh, into the tree the
# builds use, $BUILD/PROJECT) and exported back (export-tree.sh); the copy
# must come out byte for byte as it went in, so that patches/ and our files
# are the one source of truth.  Default PROJECTs: every folder of patches/.

source "$(dirname "$0")/lib.sh"

mapfile -t projects < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else
	find "$TOP/patches" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort; fi)
copy=$BUILD/check-export
# (the copy is a repository of its own: it takes the snapshots from here)
export FUSEVIS_UPSTREAM=$UPSTREAM
rm -rf "$copy"
mkdir -p "$copy"
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$copy")
git -C "$copy" init -q
git -C "$copy" add -A
git -C "$copy" -c user.name=check -c user.email=check@localhost commit -q -m "as it went in"

failed=0
for p in "${projects[@]}"; do
	stage "$p: make tree, then make export, in $copy"
	if ! "$copy/testbed/host/mktree.sh" "$p" "$BUILD/$p" >"$copy.$p.log" 2>&1 ||
	   ! "$copy/testbed/host/export-tree.sh" "$p" "$BUILD/$p" >>"$copy.$p.log" 2>&1; then
		cat "$copy.$p.log"
		die "$p: the round trip did not run"
	fi
	tail -n 1 "$copy.$p.log"
	if [ -n "$(git -C "$copy" status --porcelain)" ]; then
		git -C "$copy" status --short | sed 's/^/    changed: /'
		git -C "$copy" diff | head -40
		failed=$((failed + 1))
		git -C "$copy" reset -q --hard
		git -C "$copy" clean -q -fd
	fi
done
[ "$failed" = 0 ] || die "$failed of ${#projects[@]} projects do not come back from make export as they are in git"
note "${#projects[@]} projects (${projects[*]}) come back from make export byte for byte"
rm -rf "$copy" "$copy".*.log
