#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mktree.sh PROJECT DIR [BASE_DIR [REF]]
#
# Make DIR a git tree of PROJECT (a project of testbed/projects.conf): a commit
# "base" holding the pristine upstream source (Debian's, or the snapshot of
# upstream's development tree pinned in testbed/sources.pin), then one commit per entry of
# patches/PROJECT/series.  Each series entry names a patch (changes to files
# upstream owns, and to our own files after the commit that adds them) and
# the files of ours that it adds.  Our files live in this repository at
# their upstream path (testbed/projects.conf); the version a commit adds is the one
# in this repository with every later patch's hunks on it reverted, so each
# commit of the series is exactly what was reviewed.
#
# The commits are made with a private index, and DIR is then moved to the
# new head with "git reset --hard", which rewrites only files whose content
# changes: make's timestamps stay meaningful and rebuilds stay small.
# Commit ids are reproducible (dates come from the patches).  With
# BASE_DIR, that becomes a worktree of DIR at the pristine base, to build
# the unpatched upstream from; with REF too, at REF instead.
#
# A series on top of the main one lives in a folder of patches/PROJECT/ (the
# RFC, patches/linux/rfc-userns/); its entries come last in the series file,
# and the commit before its first patch is tagged "FOLDER-base": the main
# series alone, for REF.

source "$(dirname "$0")/lib.sh"

project=${1:?usage: mktree.sh PROJECT DIR [BASE_DIR [REF]]}
dir=$(realpath -m "${2:?usage: mktree.sh PROJECT DIR [BASE_DIR [REF]]}")	# compared with git's worktree paths
base_dir=${3:-} base_ref=${4:-}
series_dir=$TOP/patches/$project
series=$series_dir/series

project_row "$project" >/dev/null || die "unknown project $project (testbed/projects.conf)"
# The tree's identity: the upstream version recorded for this machine.
upstream_source "$project"
tarball=$SRC_FILE version=$SRC_VERSION
label=$project
[ "$project" != linux ] || label=Linux
what="$label ${version%-*} (Debian $SRC_PACKAGE $version)"
case "$tarball" in *.orig.tar.*) what="${what%)} .orig)" ;; esac
origin="Imported from Debian's archive by testbed/host/mktree.sh."
if [ "$(source_kind "$project")" = snapshot ]; then
	what="$label $version (upstream master of $SRC_DATE)"
	origin="The snapshot $(basename "$tarball") of upstream's development tree,
commit $version of $SRC_DATE, as it is; imported by
testbed/host/mktree.sh."
fi

export GIT_AUTHOR_NAME="fuse-visibility" GIT_AUTHOR_EMAIL="fuse-visibility@localhost"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
# (a snapshot's base commit carries the date of upstream's commit)
[ -z "${SRC_DATE:-}" ] || export GIT_AUTHOR_DATE="${SRC_DATE}T00:00:00Z" GIT_COMMITTER_DATE="${SRC_DATE}T00:00:00Z"

# --- the base commit -------------------------------------------------------
if ! git -C "$dir" rev-parse -q --verify "refs/tags/base-$version" >/dev/null 2>&1; then
	stage "$project: importing $(basename "$tarball") into $dir"
	# Worktrees of an earlier import (base trees, the series check) go
	# with it; worktree_at() makes them anew.
	if [ -d "$dir/.git" ]; then
		git -C "$dir" worktree list --porcelain | sed -n 's/^worktree //p' |
			while read -r w; do [ "$w" = "$dir" ] || rm -rf "$w"; done
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" --strip-components=1 -xaf "$tarball"
	git -C "$dir" init -q -b base-tree
	git -C "$dir" config core.autocrlf false
	git -C "$dir" config gc.auto 0
	# The Debian kernel tarball's .gitignore ends in "/*": add with -f.
	git -C "$dir" add -f -A .
	git -C "$dir" commit -q -m "$what" -m "$origin"
	git -C "$dir" tag "base-$version"
	git -C "$dir" tag -f base >/dev/null
fi
base=$(git -C "$dir" rev-parse "refs/tags/base-$version^{commit}")

# --- the series --------------------------------------------------------------
entries=()
if [ -f "$series" ]; then
	while read -r line; do
		line=${line%%#*}
		[ -n "${line// /}" ] && entries+=("$line")
	done <"$series"
fi

# Every file of ours belongs to exactly one entry.
declare -A owner=()
for e in "${entries[@]}"; do
	read -r p files <<<"$e"
	[ -f "$series_dir/$p" ] || die "$series names $p, which does not exist"
	for f in $files; do
		[ -f "$TOP/$f" ] || die "$series: $p adds $f, which does not exist"
		[ -z "${owner[$f]:-}" ] || die "$series: $f is added by two patches"
		owner[$f]=$p
	done
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_INDEX_FILE=$tmp/index
git -C "$dir" read-tree "$base"

head=$base
n=${#entries[@]}
declare -A part_base=()
for ((i = 0; i < n; i++)); do
	read -r p files <<<"${entries[$i]}"
	patch=$series_dir/$p
	case "$p" in */*) [ -n "${part_base[${p%/*}]:-}" ] || part_base[${p%/*}]=$head ;; esac
	if grep -q '^diff --git' "$patch"; then
		git -C "$dir" apply --cached --whitespace=nowarn "$patch" ||
			die "$p does not apply (patches/$project/series entry $((i + 1)))"
	fi
	for f in $files; do
		up=$(to_upstream "$project" "$f")
		[ -n "$up" ] || die "$series: $f is in no folder of $project (testbed/projects.conf)"
		mkdir -p "$tmp/w/$(dirname "$up")"
		cp "$TOP/$f" "$tmp/w/$up"
		# Revert what later patches do to this file, newest first.
		for ((j = n - 1; j > i; j--)); do
			read -r later _ <<<"${entries[$j]}"
			if grep -q "^+++ b/$up\$" "$series_dir/$later"; then
				(cd "$tmp/w" && git apply -R --include="$up" "$series_dir/$later") ||
					die "cannot take $later's change to $up back out of $f"
			fi
		done
		mode=100644
		[ -x "$TOP/$f" ] && mode=100755
		blob=$(git -C "$dir" hash-object -w "$tmp/w/$up")
		git -C "$dir" update-index --add --cacheinfo "$mode,$blob,$up"
	done
	# (-b: a subject tag of upstream's own, lsof's "[linux] ...", stays)
	git mailinfo -b "$tmp/msg" "$tmp/diff" <"$patch" >"$tmp/info"
	subject=$(sed -n 's/^Subject: //p' "$tmp/info")
	GIT_AUTHOR_NAME=$(sed -n 's/^Author: //p' "$tmp/info")
	GIT_AUTHOR_EMAIL=$(sed -n 's/^Email: //p' "$tmp/info")
	GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p' "$tmp/info")
	GIT_COMMITTER_NAME=$GIT_AUTHOR_NAME GIT_COMMITTER_EMAIL=$GIT_AUTHOR_EMAIL
	GIT_COMMITTER_DATE=$GIT_AUTHOR_DATE
	export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_AUTHOR_DATE
	export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_COMMITTER_DATE
	tree=$(git -C "$dir" write-tree)
	head=$({ echo "$subject"; echo; cat "$tmp/msg"; } | git -C "$dir" commit-tree "$tree" -p "$head")
done

# Every file of ours that maps into this project must be in the tree.
unset GIT_INDEX_FILE
git -C "$dir" tag -f series "$head" >/dev/null
for part in "${!part_base[@]}"; do
	git -C "$dir" tag -f "$part-base" "${part_base[$part]}" >/dev/null
done
# ... and no tag of a folder that the series no longer has
for t in $(git -C "$dir" tag -l '*-base'); do
	[ -n "${part_base[${t%-base}]:-}" ] || git -C "$dir" tag -d "$t" >/dev/null
done
# (also when HEAD is right but the files are not: a worktree of the same
# repository may have moved the branch under this one)
if [ "$(git -C "$dir" rev-parse HEAD 2>/dev/null)" != "$head" ] ||
   ! git -C "$dir" diff --quiet HEAD; then
	git -C "$dir" checkout -q -B series-tree "$head" 2>/dev/null ||
		git -C "$dir" reset -q --hard "$head"
	git -C "$dir" reset -q --hard "$head"
fi
note "$project tree: $dir at $(git -C "$dir" log -1 --format='%h %s' "$head") ($n patches on $what)"
if [ -n "$base_dir" ]; then
	at=$base
	[ -z "$base_ref" ] || at=$(git -C "$dir" rev-parse "refs/tags/$base_ref^{commit}") ||
		die "$project: no $base_ref in $dir"
	worktree_at "$dir" "$base_dir" "$at"
	note "${base_ref:-base} tree: $base_dir at $(git -C "$base_dir" log -1 --format='%h %s')"
fi
