#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-fresh.sh WORKDIR
#
# What a new machine does first, proven cheaply on every CI run, however warm
# the machine is: with an empty cache folder (no downloads, no private apt
# state, no version records) and an empty build folder in WORKDIR,
#  1. make deps's first step fetches only the VM runner (virtme-ng);
#  2. the first make command imports a tree (libfuse, the smallest; a
#     snapshot, from the shared folder, checked by its sha256) once, under
#     its real version;
#  3. the next make command imports nothing and finds the same tree and a
#     working base worktree;
#  4. when the pin moves (testbed/sources.pin: here a copy, with a version of
#     the same file renamed), the tree is imported once more and its base
#     worktree is made anew, not left dangling.
# The kernel tree takes the same path from Debian's archive, with a bigger
# tarball; util-linux, lsof and psmisc that of libfuse.

source "$(dirname "$0")/lib.sh"

work=${1:?usage: check-fresh.sh WORKDIR}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
export FUSEVIS_CACHE=$work/cache FUSEVIS_BUILD=$work/build FUSEVIS_PINS=$work/sources.pin
cp "$TOP/testbed/sources.pin" "$FUSEVIS_PINS"
PINS=$FUSEVIS_PINS
DL=$FUSEVIS_CACHE/dl
tree=$FUSEVIS_BUILD/libfuse base_tree=$FUSEVIS_BUILD/libfuse-base
n=0 failed=0
check() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; failed=$((failed + 1)); fi
}
imports() { grep -c "^==> libfuse: importing" "$1" || true; }
mktree() { "$HOST/mktree.sh" libfuse "$tree" "$base_tree" >"$1" 2>&1 || { cat "$1"; die "mktree.sh failed"; }; }

stage "first run against an empty cache folder: $FUSEVIS_CACHE"
start=$(date +%s)
(upstream_source virtme-ng) >"$work/1-deps.log" 2>&1 || { cat "$work/1-deps.log"; die "fetching virtme-ng failed"; }
[ "$(cd "$DL" && ls ./*.source)" = ./virtme-ng.source ]
check "make deps records the VM runner and nothing else" $?

mktree "$work/2-first.log"
# (libfuse is a snapshot of upstream's tree: its version is the pinned commit)
version=$(pin libfuse | cut -d' ' -f1)
[ -n "$version" ] && [ "$(imports "$work/2-first.log")" = 1 ] &&
	git -C "$tree" rev-parse -q --verify "refs/tags/base-$version" >/dev/null
check "the first make command imports libfuse once, as base-$version" $?
head=$(git -C "$tree" rev-parse HEAD)

mktree "$work/3-second.log"
[ "$(imports "$work/3-second.log")" = 0 ] && [ "$(git -C "$tree" rev-parse HEAD)" = "$head" ]
check "the next make command imports nothing and finds the same tree" $?
[ "$(git -C "$base_tree" rev-parse HEAD)" = "$(git -C "$tree" rev-parse "base-$version^{commit}")" ]
check "the base worktree is at the base commit" $?

# The pin moves (the same file under a new version)
sed -i "s/^\(libfuse  *\)$version /\1$version+fresh1 /" "$PINS"
mktree "$work/4-moved.log"
[ "$(imports "$work/4-moved.log")" = 1 ] &&
	[ "$(git -C "$base_tree" rev-parse HEAD)" = "$(git -C "$tree" rev-parse "base-$version+fresh1^{commit}")" ] &&
	! git -C "$tree" worktree list --porcelain | grep -q prunable
check "a new version is imported once, and the base worktree is made anew" $?

note "$n checks in $(($(date +%s) - start)) s, $failed failed (logs in $work)"
[ "$failed" = 0 ] || die "the first-run path is broken"
rm -rf "$work"
