#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# dev-tree.sh PROJECT DIR
#
# Give a developer a git tree of PROJECT (linux, util-linux or libfuse) in
# DIR: the pristine base (tag "base") and one commit per patch of
# patches/PROJECT/series, on branch "work".  Edit, commit (new files need "git add -f": Debian's
# tarball ignores everything with "/*"), rebase -i as usual, then run
# "make export" to turn the commits back into this repository's files and
# patches.  An existing tree is only refreshed when it holds no work of
# its own.

source "$(dirname "$0")/lib.sh"

project=${1:?usage: dev-tree.sh PROJECT DIR}
dir=${2:?usage: dev-tree.sh PROJECT DIR}
if [ -e "$dir/.git" ]; then
	git -C "$dir" diff --quiet HEAD ||
		die "$dir has uncommitted changes: commit and 'make export', or remove $dir"
	if [ "$(git -C "$dir" rev-parse HEAD)" != "$(git -C "$dir" rev-parse series 2>/dev/null)" ]; then
		die "$dir has commits of its own: 'make export' them, or remove $dir"
	fi
fi
"$HOST/mktree.sh" "$project" "$dir"
git -C "$dir" checkout -q -B work series
name=$(git -C "$TOP" config user.name || true)
email=$(git -C "$TOP" config user.email || true)
[ -z "$name" ] || git -C "$dir" config user.name "$name"
[ -z "$email" ] || git -C "$dir" config user.email "$email"
cat <<EOT

The patched $project is in $dir, branch "work":
  git -C $dir log --oneline base..     the series
  make export PROJECT=$project        back into patches/$project/ and our files
EOT
