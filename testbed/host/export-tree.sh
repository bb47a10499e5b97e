#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# export-tree.sh PROJECT DIR
#
# The way back from a developer tree (made by "make tree") to this
# repository: every commit in DIR after the tag "base" becomes one patch in
# patches/PROJECT/ and one line of patches/PROJECT/series; files the series
# adds become plain files at their repository path, in their final version
# (the patches keep only the hunks later commits make to them).

source "$(dirname "$0")/lib.sh"

project=${1:?usage: export-tree.sh PROJECT DIR}
dir=${2:?usage: export-tree.sh PROJECT DIR}
out=$TOP/patches/$project

git -C "$dir" diff --quiet HEAD || die "$dir has uncommitted changes: commit them first"
base=$(git -C "$dir" rev-parse "base^{commit}")
mapfile -t commits < <(git -C "$dir" rev-list --reverse "$base..HEAD")
mapfile -t ours < <(git -C "$dir" diff --name-only --diff-filter=A "$base" HEAD)

mkdir -p "$out"
rm -f "$out"/*.patch
{
	echo "# Applied in this order by testbed/host/mktree.sh; written by testbed/host/export-tree.sh."
	echo "# patch, then the files of this repository that the patch adds"
} >"$out/series"

i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	excl=() adds=()
	while read -r f; do
		for o in "${ours[@]}"; do
			if [ "$f" = "$o" ] && [ -n "$(from_upstream "$project" "$f")" ]; then
				excl+=(":(exclude)$f")
				adds+=("$(from_upstream "$project" "$f")")
			fi
		done
	done < <(git -C "$dir" diff-tree --no-commit-id --name-only --diff-filter=A -r "$c")
	name=$(git -C "$dir" format-patch -1 --always --zero-commit --no-signature \
		--start-number=$i -o "$out" "$c")
	if [ ${#excl[@]} -gt 0 ]; then
		# Keep the mail, but only the diff of the files upstream owns
		# (format-patch's own pathspec would also pick the commit).
		{
			sed -n '1,/^---$/p' "$name"
			git -C "$dir" diff --stat=72 --summary -p "$c^" "$c" -- . "${excl[@]}"
		} >"$name.tmp"
		mv "$name.tmp" "$name"
	fi
	echo "$(basename "$name")${adds[*]:+ ${adds[*]}}" >>"$out/series"
done

exported=0
for f in "${ours[@]}"; do
	r=$(from_upstream "$project" "$f")
	[ -n "$r" ] || continue # no folder of ours: the file stays in its patch
	exported=$((exported + 1))
	mkdir -p "$TOP/$(dirname "$r")"
	git -C "$dir" show "HEAD:$f" >"$TOP/$r"
	if [ "$(git -C "$dir" ls-tree HEAD -- "$f" | cut -d' ' -f1)" = 100755 ]; then
		chmod +x "$TOP/$r"
	else
		chmod -x "$TOP/$r"
	fi
done
note "exported ${#commits[@]} commits to patches/$project/ and $exported files of ours (${#ours[@]} new files in all)"
