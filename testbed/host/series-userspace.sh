#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# series-userspace.sh PROJECT SRC OUTDIR WORKDIR UAPI
#
# The series of a userspace project (util-linux, lsof, psmisc, libfuse) for
# its upstream, from the tree SRC (base..series, made by mktree.sh on the
# pinned snapshot of upstream's master), in OUTDIR/PROJECT:
#  1. git format-patch with the cover letter patches/PROJECT/cover-letter.txt
#     (its format: format_series in lib.sh), and "base-commit:" naming the
#     upstream commit of the snapshot, which upstream's own history has;
#  2. git diff --check on every patch: no whitespace error;
#  3. proven to be what was tested: the snapshot tarball, unpacked afresh
#     in WORKDIR/PROJECT, is the tree of SRC's base, and git am of OUTDIR's
#     patches on it gives exactly the tree of SRC's tag "series";
#  4. bisectable: after each patch, the project builds (build.sh, as the
#     test bed builds it, with the UAPI headers of the patched kernel), and
#     the C files the patch touches compile without a warning;
#  5. each patch passes the style check its upstream asks for: lsof's
#     clang-format (docs/contributing.md: git clang-format), libfuse's
#     checkpatch (its CI's .github/workflows/run-checkpatch.sh); util-linux
#     and psmisc document none.

source "$(dirname "$0")/lib.sh"

usage="usage: series-userspace.sh PROJECT SRC OUTDIR WORKDIR UAPI"
project=${1:?$usage}
src=$(cd "${2:?$usage}" && pwd)
out=$(realpath -m "${3:?$usage}")/$project
work=$(realpath -m "${4:?$usage}")/$project
uapi=$(realpath "${5:?$usage}")
cover=$TOP/patches/$project/cover-letter.txt
[ -f "$cover" ] || die "patches/$project has no cover-letter.txt"
[ "$(source_kind "$project")" = snapshot ] ||
	die "$project is not built from a snapshot of upstream's master (testbed/projects.conf): no series for upstream"
upstream_source "$project"
# (build.sh's name for the build of a project)
builder=$project
[ "$project" != util-linux ] || builder=lsfd

# 1. The mails
format_series "$src" base..series "$out" "$cover"
sed -i "s/^base-commit: .*/base-commit: $SRC_VERSION/" "$out"/0000-cover-letter.patch
grep -q "^base-commit: $SRC_VERSION\$" "$out"/0000-cover-letter.patch ||
	die "$out/0000-cover-letter.patch: no base-commit line"
mapfile -t patches < <(patches_in "$out")

# 2. Whitespace
bad=0
for c in $(git -C "$src" rev-list --reverse base..series); do
	git -C "$src" diff --check "$c^" "$c" >&2 ||
		{ echo "  in: $(git -C "$src" log -1 --format=%s "$c")" >&2; bad=1; }
done
[ "$bad" = 0 ] || die "$project: whitespace errors in the series"
note "git diff --check: clean"

# 3. On the snapshot as it is
stage "$project: git am on the snapshot $(basename "$SRC_FILE")"
rm -rf "$work"
mkdir -p "$work/build"
mkdir -p "$work/tree"
tar -C "$work/tree" --strip-components=1 -xaf "$SRC_FILE"
git -C "$work/tree" init -q
git -C "$work/tree" add -f -A
git -C "$work/tree" -c user.name=series -c user.email=series@localhost commit -qm "$project $SRC_VERSION"
[ "$(git -C "$work/tree" rev-parse 'HEAD^{tree}')" = "$(git -C "$src" rev-parse 'base^{tree}')" ] ||
	die "$project: the snapshot $(basename "$SRC_FILE") unpacked is not the base of $src"
git -C "$work/tree" -c user.name=series -c user.email=series@localhost am -q --keep-non-patch "${patches[@]}" ||
	die "$project: the series does not apply to the snapshot with git am"
[ "$(git -C "$work/tree" rev-parse 'HEAD^{tree}')" = "$(git -C "$src" rev-parse 'series^{tree}')" ] ||
	die "$project: git am of $out gives another tree than the tested one ($src, tag series)"
note "${#patches[@]} patches apply to upstream $SRC_VERSION and give the tested tree"

# 4. Each patch builds
n=0
for c in $(git -C "$work/tree" rev-list --reverse "HEAD~${#patches[@]}..HEAD"); do
	n=$((n + 1))
	git -C "$work/tree" checkout -q "$c"
	stage "$project: patch $n of ${#patches[@]}: $(git -C "$work/tree" log -1 --format=%s)"
	FUSEVIS_BUILD=$work/build "$HOST/build.sh" "$builder" "$work/tree" "$work/obj" "$uapi" >"$work/build-$n.out" 2>&1 ||
		{ tail -20 "$work/build-$n.out"; die "$project: patch $n does not build"; }
	warned=$(git -C "$work/tree" diff --name-only "$c^" "$c" -- '*.c' '*.h' | while read -r f; do
		cat "$work"/build/*-build.log | grep -F "${f##*/}:" | grep -E 'warning:|error:' || true
	done)
	[ -z "$warned" ] || { echo "$warned" >&2; die "$project: patch $n compiles with warnings"; }
	note "builds; no warning in the files it touches"
	case "$project" in
	lsof)
		style=$(cd "$work/tree" && git clang-format --diff "$c^" 2>&1) || true
		grep -qE '^(clang-format did not modify any files|no modified files to format)$' <<<"$style" ||
			{ echo "$style" >&2; die "$project: patch $n is not formatted as clang-format (.clang-format) wants"; }
		note "git clang-format: clean"
		;;
	libfuse)
		style=$(cd "$work/tree" && sh .github/workflows/run-checkpatch.sh "$c" 2>&1) ||
			{ echo "$style" >&2; die "$project: patch $n: checkpatch (run-checkpatch.sh) complains"; }
		note "checkpatch (libfuse's run-checkpatch.sh): $(grep '^total:' <<<"$style")"
		;;
	esac
done
[ "$n" = "${#patches[@]}" ] || die "$project: $n of ${#patches[@]} patches were built"
