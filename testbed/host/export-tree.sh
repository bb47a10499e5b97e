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
#
# A series on top of the main one (patches/linux/rfc-userns/: the RFC,
# mailed on its own) keeps its folder: the commits after the tag
# "FOLDER-base" of DIR (made by mktree.sh; move it with "git tag -f" when
# the commits before it change) go there, numbered from 1.

source "$(dirname "$0")/lib.sh"

project=${1:?usage: export-tree.sh PROJECT DIR}
dir=${2:?usage: export-tree.sh PROJECT DIR}
out=$TOP/patches/$project

git -C "$dir" diff --quiet HEAD || die "$dir has uncommitted changes: commit them first"
base=$(git -C "$dir" rev-parse "base^{commit}")
mapfile -t commits < <(git -C "$dir" rev-list --reverse "$base..HEAD")
mapfile -t ours < <(git -C "$dir" diff --name-only --diff-filter=A "$base" HEAD)

# The folders of the series on top, and where each begins
parts=() part_base=()
if [ -f "$out/series" ]; then
	while read -r p _; do
		case "$p" in */*) ;; *) continue ;; esac
		p=${p%/*}
		[[ " ${parts[*]} " == *" $p "* ]] && continue
		b=$(git -C "$dir" rev-parse -q --verify "refs/tags/$p-base^{commit}") ||
			die "$dir has no tag $p-base: tag the last commit before patches/$project/$p/"
		git -C "$dir" merge-base --is-ancestor "$b" HEAD ||
			die "$dir: tag $p-base is not before HEAD (move it: git tag -f $p-base COMMIT)"
		parts+=("$p") part_base+=("$b")
	done < <(sed 's/#.*//' "$out/series")
fi

mkdir -p "$out"
rm -f "$out"/*.patch
for p in "${parts[@]}"; do rm -f "$out/$p"/*.patch; done
{
	echo "# Applied in this order by testbed/host/mktree.sh; written by testbed/host/export-tree.sh."
	echo "# patch, then the files of this repository that the patch adds"
} >"$out/series"

i=0 part="" dest=$out
for c in "${commits[@]}"; do
	i=$((i + 1))
	for k in "${!parts[@]}"; do
		if [ "$(git -C "$dir" rev-parse "$c^")" = "${part_base[$k]}" ]; then
			part=${parts[$k]}/ dest=$out/${parts[$k]} i=1
			mkdir -p "$dest"
		fi
	done
	excl=() adds=()
	while read -r f; do
		for o in "${ours[@]}"; do
			if [ "$f" = "$o" ] && [ -n "$(from_upstream "$project" "$f")" ]; then
				excl+=(":(exclude)$f")
				adds+=("$(from_upstream "$project" "$f")")
			fi
		done
	done < <(git -C "$dir" diff-tree --no-commit-id --name-only --diff-filter=A -r "$c")
	name=$(git -C "$dir" format-patch -1 --always --zero-commit --no-signature --abbrev=12 \
		--start-number=$i -o "$dest" "$c")
	if [ ${#excl[@]} -gt 0 ]; then
		# Keep the mail, but only the diff of the files upstream owns
		# (format-patch's own pathspec would also pick the commit).
		{
			sed -n '1,/^---$/p' "$name"
			git -C "$dir" diff --stat=72 --summary --abbrev=12 -p "$c^" "$c" -- . "${excl[@]}"
		} >"$name.tmp"
		mv "$name.tmp" "$name"
	fi
	echo "$part$(basename "$name")${adds[*]:+ ${adds[*]}}" >>"$out/series"
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
