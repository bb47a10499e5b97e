#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh SRC OUTDIR [WORKDIR]
#
# The mailable kernel series of the tree SRC (base..series, made by
# mktree.sh), in OUTDIR:
#  1. git format-patch with a cover letter and base-commit information.
#     patches/linux/cover-letter.txt gives, in this order: the subject line
#     ("[PATCH v4] fuse: ...": the bracket is the prefix of every patch),
#     To: and Cc: lines for every mail, an empty line, and the text.
#     A series in a folder (patches/linux/FOLDER/, its own cover-letter.txt)
#     is mailed on its own, in OUTDIR/FOLDER: one on top of what comes
#     before it in the series file (the RFC) from the tag FOLDER-base,
#     with the main series as its prerequisite patches; one whose cover
#     letter has the header line "Base: pristine" (PROCMAP_QUERY, which
#     the test tree applies last) as its commits replayed on the pristine
#     base (tag FOLDER-alone), which must take them without the patches
#     before them;
#  2. checkpatch.pl --strict on every patch, failing on any complaint.  The
#     exceptions: checkpatch's note that a new file may need a MAINTAINERS
#     update, accepted only when get_maintainer.pl finds a MAINTAINERS entry
#     (not just the catch-all) for every new file; and UNKNOWN_COMMIT_ID,
#     which it says of every upstream commit in a tree without upstream
#     history, so each "Fixes:" tag is checked against testbed/upstream-commits
#     (id and subject) instead.
# With WORKDIR, also proven to be what was tested, and bisectable:
#  3. git am of OUTDIR on the pristine base (a worktree of SRC in
#     WORKDIR/tree), then of each folder's series, gives exactly the tree
#     of SRC's tag "series"; a "Base: pristine" series, git am'd on the
#     pristine base alone, gives the tree of FOLDER-alone;
#  4. at the base and after each patch, the folders whose C files the series
#     changes (fs/fuse/, fs/proc/; a file alone, fs/stat.o, where its folder
#     has folders of its own) build with W=1 and sparse
#     (C=2), and no patch adds a warning the base does not have (those
#     of a "Base: pristine" series on the pristine base too); the head
#     builds without CONFIG_PROC_FS and without CONFIG_FUSE_PASSTHROUGH;
#  5. pahole: struct fuse_file and struct fuse_backing (both kmalloc()ed)
#     stay in their kmalloc size class: no more memory per object;
#  6. kernel-doc finds nothing new in the C files the series touches.

source "$(dirname "$0")/lib.sh"

src=$(cd "${1:?usage: series.sh SRC OUTDIR [WORKDIR]}" && pwd)
out=${2:?usage: series.sh SRC OUTDIR [WORKDIR]}
work=${3:-}
# The series after the main one: the folders of patches/linux/, in the
# order of the series file, each with a cover letter
parts=()
while read -r p _; do
	case "$p" in */*) p=${p%/*} ;; *) continue ;; esac
	[[ " ${parts[*]} " == *" $p "* ]] || parts+=("$p")
done < <(sed 's/#.*//' "$TOP/patches/linux/series")
for p in "${parts[@]}"; do
	[ -f "$TOP/patches/linux/$p/cover-letter.txt" ] || die "patches/linux/$p has no cover-letter.txt"
done
main_end=series
[ ${#parts[@]} = 0 ] || main_end=${parts[0]}-base

# end_of PART: the tag of SRC where the commits of PART end
end_of() {
	local k
	for k in "${!parts[@]}"; do
		if [ "${parts[$k]}" = "$1" ]; then
			if [ $((k + 1)) -lt ${#parts[@]} ]; then
				echo "${parts[$((k + 1))]}-base"
			else
				echo series
			fi
		fi
	done
}

# alone PART: PART is based on the pristine base, not on what comes before
# it ("Base: pristine" among the mail headers of its cover letter)
alone() {
	awk 'NR > 1 && /^$/ { exit } NR > 1' "$TOP/patches/linux/$1/cover-letter.txt" |
		grep -qx 'Base: pristine'
}

# replay PART: its commits of SRC replayed on the pristine base, with their
# messages, authors and dates, in a private index; tagged PART-alone
replay() {
	local part=$1 head tree c idx
	idx=$(mktemp)
	head=$(git -C "$src" rev-parse "base^{commit}")
	GIT_INDEX_FILE=$idx git -C "$src" read-tree "$head"
	for c in $(git -C "$src" rev-list --reverse "$part-base..$(end_of "$part")"); do
		git -C "$src" diff-tree -p --binary --no-commit-id "$c" | GIT_INDEX_FILE=$idx git -C "$src" apply --cached ||
			{ rm -f "$idx"; die "$part: \"$(git -C "$src" log -1 --format=%s "$c")\" does not apply to the pristine base without the patches before it"; }
		tree=$(GIT_INDEX_FILE=$idx git -C "$src" write-tree)
		head=$(git -C "$src" log -1 --format=%B "$c" |
			GIT_AUTHOR_NAME=$(git -C "$src" log -1 --format=%an "$c") \
			GIT_AUTHOR_EMAIL=$(git -C "$src" log -1 --format=%ae "$c") \
			GIT_AUTHOR_DATE=$(git -C "$src" log -1 --format=%aD "$c") \
			GIT_COMMITTER_NAME=$(git -C "$src" log -1 --format=%cn "$c") \
			GIT_COMMITTER_EMAIL=$(git -C "$src" log -1 --format=%ce "$c") \
			GIT_COMMITTER_DATE=$(git -C "$src" log -1 --format=%cD "$c") \
			git -C "$src" commit-tree "$tree" -p "$head")
	done
	rm -f "$idx"
	git -C "$src" tag -f "$part-alone" "$head" >/dev/null
	note "$part: replayed on the pristine base alone (tag $part-alone)"
}

# fixes_known PATCH: every "Fixes: ID12 ("SUBJECT")" of PATCH names a commit
# of testbed/upstream-commits by the first 12 characters of its id and its
# subject (checkpatch cannot look them up here)
fixes_known() {
	local line id subject ok=0
	while IFS= read -r line; do
		if [[ "$line" =~ ^Fixes:\ ([0-9a-f]{12})\ \(\"(.*)\"\)$ ]]; then
			id=${BASH_REMATCH[1]} subject=${BASH_REMATCH[2]}
			if awk -v id="$id" -v s="$subject" '
				!/^#/ && substr($1, 1, 12) == id &&
					substr($0, length($1) + 2) == s { f = 1 }
				END { exit !f }' "$TOP/testbed/upstream-commits"; then
				note "Fixes: $id (\"$subject\") is in testbed/upstream-commits"
				continue
			fi
		fi
		note "FAIL: $(basename "$1"): \"$line\" names no commit of testbed/upstream-commits"
		ok=1
	done < <(grep '^Fixes:' "$1")
	return $ok
}

checkpatch() {
	local out=$1 bad p f msg
	stage "checkpatch --strict on $(basename "$out")"
	bad=0
	for p in "$out"/0*.patch; do
		case "$p" in */0000-cover-letter.patch) continue ;; esac
		msg=$(cd "$src" && perl scripts/checkpatch.pl --strict --show-types \
			--ignore FILE_PATH_CHANGES,UNKNOWN_COMMIT_ID "$p" 2>&1) || true
		fixes_known "$p" || bad=1
		if ! grep -q '^total: 0 errors, 0 warnings, 0 checks' <<<"$msg"; then
			printf '%s\n' "$msg" | grep -v '^$' | sed 's/^/    /'
			note "FAIL: $(basename "$p")"
			bad=1
			continue
		fi
		# New files: is MAINTAINERS already covering their path?
		while IFS= read -r f; do
			if ! (cd "$src" && perl scripts/get_maintainer.pl --no-git --no-rolestats -f "$f" 2>/dev/null) |
				grep -qv 'linux-kernel@vger.kernel.org'; then
				note "FAIL: $(basename "$p"): new file $f has no MAINTAINERS entry"
				bad=1
				continue 2
			fi
		done < <(grep -A1 '^--- /dev/null' "$p" | sed -n 's|^+++ b/||p')
		note "ok: $(basename "$p")"
	done
	[ $bad = 0 ] || die "checkpatch --strict found problems"
}

verify() {
	local tree obj base p patches commits
	mkdir -p "$work"
	work=$(cd "$work" && pwd)
	tree=$work/tree obj=$work/obj
	stage "git am of $(basename "$out") on the pristine base"
	base=$(git -C "$src" rev-parse "base^{commit}")
	worktree_at "$src" "$tree" "$base"
	# The main series, then each folder's: each gives its tested tree
	local end part dir alone_commits=()
	for part in "" "${parts[@]}"; do
		dir=$out end=$main_end
		[ -z "$part" ] || dir=$out/$part end=$(end_of "$part")
		mapfile -t patches < <(patches_in "$dir")
		git -C "$tree" -c user.name=verify -c user.email=verify@localhost am -q "${patches[@]}" ||
			die "git am of ${part:-the series} failed"
		[ "$(git -C "$tree" rev-parse 'HEAD^{tree}')" = "$(git -C "$src" rev-parse "$end^{tree}")" ] ||
			die "git am of ${part:-the series} does not give the tested tree ($end)"
		note "${part:-the main series} applies cleanly and gives the tested tree $(git -C "$tree" rev-parse --short 'HEAD^{tree}')"
	done
	mapfile -t commits < <(git -C "$tree" rev-list --reverse "$base..HEAD")
	# A series of its own applies to the pristine base alone, too
	for part in "${parts[@]}"; do
		alone "$part" || continue
		git -C "$tree" checkout -q -f --detach "$base"
		mapfile -t patches < <(patches_in "$out/$part")
		git -C "$tree" -c user.name=verify -c user.email=verify@localhost am -q "${patches[@]}" ||
			die "git am of $part alone on the pristine base failed"
		[ "$(git -C "$tree" rev-parse 'HEAD^{tree}')" = "$(git -C "$src" rev-parse "$part-alone^{tree}")" ] ||
			die "git am of $part alone does not give the tree of $part-alone"
		note "$part applies alone to the pristine base too: $(git -C "$tree" rev-parse --short 'HEAD^{tree}')"
		mapfile -t -O ${#alone_commits[@]} alone_commits < <(git -C "$tree" rev-list --reverse "$base..HEAD")
	done
	git -C "$tree" checkout -q -f --detach "${commits[-1]}"

	# What the series changes, built and checked after every patch: the
	# folders of its C files (fs/fuse/, fs/proc/ for PROCMAP_QUERY), whole,
	# as a header of theirs may change any file; but a C file in a folder
	# of further folders (fs/stat.c) alone, as its object, since C=2 runs
	# sparse on every file of a folder built, sub-folders included.
	mapfile -t dirs < <(git -C "$tree" diff --name-only "$base" HEAD -- '*.c' ':!tools/' |
		while read -r f; do
			d=${f%/*}
			if find "$tree/$d" -mindepth 2 -name Makefile -print -quit | grep -q .; then
				echo "${f%.c}.o"
			else
				echo "$d/"
			fi
		done | sort -u)
	stage "every patch builds on its own: ${dirs[*]} with W=1 and sparse"
	export CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
	sparse=$("$HOST/build.sh" sparse)
	mk=(make -C "$tree" O="$obj" ARCH=x86_64 CC="ccache gcc" CHECK="$sparse" -j"$(nproc)")
	if [ ! -f "$obj/.config" ] || ! cmp -s "$BUILD/obj/.config" "$obj/.config"; then
		mkdir -p "$obj"
		cp "$BUILD/obj/.config" "$obj/.config"
		"${mk[@]}" -s olddefconfig prepare >"$work/prepare.log" 2>&1 ||
			{ tail -20 "$work/prepare.log"; die "make prepare failed"; }
	fi
	# Warnings without line numbers, to compare across patches
	warnings() { { grep -E 'warning:|error:' "$1" || true; } | sed -E 's/:[0-9]+:[0-9]+:/:/; s/:[0-9]+:/:/' | sort -u; }
	i=0
	for c in "$base" "${commits[@]}" "${alone_commits[@]}"; do
		git -C "$tree" checkout -q -f --detach "$c"
		log=$work/build-$i.log
		if ! "${mk[@]}" W=1 C=2 "${dirs[@]}" >"$log" 2>&1 || grep -q 'C=2 specified, but' "$log"; then
			tail -20 "$log"
			die "${dirs[*]} do not build at $(git -C "$tree" log -1 --format='%h %s' "$c")"
		fi
		if [ $i = 0 ]; then
			warnings "$log" >"$work/base-warnings"
			note "base: $(wc -l <"$work/base-warnings") W=1/sparse warnings in ${dirs[*]} already"
		else
			new=$(warnings "$log" | comm -13 "$work/base-warnings" -)
			if [ -n "$new" ]; then
				printf '%s\n' "$new" | sed 's/^/    /'
				die "patch $i adds warnings: $(git -C "$tree" log -1 --format='%s' "$c")"
			fi
			note "patch $i builds, no new warning: $(git -C "$tree" log -1 --format='%s' "$c")$(
				[[ " ${alone_commits[*]} " != *" $c "* ]] || echo " (alone on the pristine base)")"
		fi
		i=$((i + 1))
	done

	stage "the series head builds without CONFIG_PROC_FS and without CONFIG_FUSE_PASSTHROUGH"
	git -C "$tree" checkout -q -f --detach "${commits[-1]}"
	for variant in PROC_FS FUSE_PASSTHROUGH; do
		vobj=$work/obj-no-$variant
		mkdir -p "$vobj"
		cp "$obj/.config" "$vobj/.config.want"
		sed -i "/^CONFIG_$variant=/d" "$vobj/.config.want"
		echo "# CONFIG_$variant is not set" >>"$vobj/.config.want"
		if ! cmp -s "$vobj/.config.want" "$vobj/.config.base" 2>/dev/null; then
			cp "$vobj/.config.want" "$vobj/.config"
			cp "$vobj/.config.want" "$vobj/.config.base"
			make -C "$tree" O="$vobj" ARCH=x86_64 -s olddefconfig >/dev/null
		fi
		grep -q "^CONFIG_FUSE_FS=y" "$vobj/.config" || die "no CONFIG_FUSE_FS in the $variant=n variant"
		grep -q "^CONFIG_$variant=y" "$vobj/.config" && die "could not unset CONFIG_$variant"
		log=$work/build-no-$variant.log
		make -C "$tree" O="$vobj" ARCH=x86_64 CC="ccache gcc" CHECK="$sparse" -j"$(nproc)" \
			W=1 C=2 prepare "${dirs[@]}" >"$log" 2>&1 || { tail -20 "$log"; die "${dirs[*]} fail to build without CONFIG_$variant"; }
		new=$(warnings "$log" | comm -13 "$work/base-warnings" -)
		[ -z "$new" ] || { printf '%s\n' "$new" | sed 's/^/    /'; die "new warnings without CONFIG_$variant"; }
		note "builds without CONFIG_$variant, no new warning"
	done

	stage "pahole: struct fuse_file and struct fuse_backing, base and series head"
	# The kmalloc size class an object of $1 bytes is served from
	kmalloc_class() {
		local c
		for c in 8 16 32 64 96 128 192 256 512 1024 2048 4096; do
			[ "$1" -le "$c" ] && { echo "$c"; return; }
		done
		echo "$1"
	}
	for c in "$base" "${commits[-1]}"; do
		git -C "$tree" checkout -q -f --detach "$c"
		tag='head'
		[ "$c" = "$base" ] && tag=base
		# One object with DWARF is enough for pahole
		"${mk[@]}" KCFLAGS=-g fs/fuse/passthrough.o >"$work/pahole-build-$tag.log" 2>&1 ||
			die "building passthrough.o with -g failed"
		pahole -C fuse_file,fuse_backing "$obj/fs/fuse/passthrough.o" >"$work/pahole-$tag.txt"
		touch "$tree/fs/fuse/passthrough.c"	# rebuild without -g next time
	done
	for s in fuse_file fuse_backing; do
		b=$(awk -v s="$s" '$0 ~ "^struct "s" {" {f=1} f && /size:/ {print $3; exit}' "$work/pahole-base.txt" | tr -d ,)
		h=$(awk -v s="$s" '$0 ~ "^struct "s" {" {f=1} f && /size:/ {print $3; exit}' "$work/pahole-head.txt" | tr -d ,)
		if [ -z "$b" ] || [ -z "$h" ]; then
			die "pahole found no struct $s"
		fi
		[ "$(kmalloc_class "$h")" -le "$(kmalloc_class "$b")" ] ||
			die "struct $s grows from $b to $h bytes, out of kmalloc-$(kmalloc_class "$b")"
		note "struct $s: $b bytes before, $h bytes after, kmalloc-$(kmalloc_class "$h") (pahole in $work/pahole-{base,head}.txt)"
	done
	git -C "$tree" checkout -q -f --detach "${commits[-1]}"

	stage "kernel-doc of the C files the series touches"
	mapfile -t files < <(git -C "$tree" diff --name-only "$base" HEAD -- 'fs/*.c' 'fs/*.h')
	kdoc() { (cd "$tree" && perl scripts/kernel-doc -Wall -none "$@" 2>&1) |
		sed -E 's/:[0-9]+[: ]/: /' | sort -u; }
	now=$(kdoc "${files[@]}")
	git -C "$tree" checkout -q -f --detach "$base"
	# (those of them the base already has)
	base_files=()
	for f in "${files[@]}"; do
		if [ -f "$tree/$f" ]; then base_files+=("$f"); fi
	done
	old=$(kdoc "${base_files[@]}")
	git -C "$tree" checkout -q -f --detach "${commits[-1]}"
	new=$(comm -23 <(printf '%s\n' "$now") <(printf '%s\n' "$old") | grep . || true)
	[ -z "$new" ] || { printf '%s\n' "$new" | sed 's/^/    /'; die "kernel-doc complaints added by the series"; }
	note "kernel-doc: no new complaint in ${files[*]} ($(printf '%s\n' "$old" | grep -c . || true) old ones)"
}

format_series "$src" "base..$main_end" "$out" "$TOP/patches/linux/cover-letter.txt"
for part in "${parts[@]}"; do
	if alone "$part"; then
		replay "$part"
		format_series "$src" "base..$part-alone" "$out/$part" "$TOP/patches/linux/$part/cover-letter.txt"
	else
		format_series "$src" "$part-base..$(end_of "$part")" "$out/$part" "$TOP/patches/linux/$part/cover-letter.txt"
	fi
done
out=$(cd "$out" && pwd)
checkpatch "$out"
for part in "${parts[@]}"; do checkpatch "$out/$part"; done
[ -z "$work" ] || verify
