#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# base-worktree.sh SRC DIR: DIR becomes a git worktree of SRC at its
# pristine base commit (tag "base"), for building the unpatched kernel.

source "$(dirname "$0")/lib.sh"

src=${1:?usage: base-worktree.sh SRC DIR}
dir=${2:?usage: base-worktree.sh SRC DIR}
base=$(git -C "$src" rev-parse "base^{commit}")
worktree_at "$src" "$dir" "$base"
note "base tree: $dir at $(git -C "$dir" log -1 --format='%h %s')"
