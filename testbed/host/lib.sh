# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# The library of the host side of the test bed (testbed/host/): settings
# and functions every host script uses; sourced, not run.
#
# Two places hold everything that is not in git:
#   $CACHE  (~/.cache/fuse-visibility): downloads, the private apt state and
#           ccache; survives clean clones, so CI on a warm machine is fast.
#   $BUILD  (build/ in the checkout, ignored by git): source trees, kernel
#           objects, userspace builds, logs.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST=$TOP/testbed/host
CACHE=${FUSEVIS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fuse-visibility}
# shellcheck disable=SC2034 # (used by the scripts that source this file)
BUILD=${FUSEVIS_BUILD:-$TOP/build}
DL=$CACHE/dl
# The exact version and sha256 of every upstream source (make sources moves them)
PINS=${FUSEVIS_PINS:-$TOP/testbed/sources.pin}

# The shared folder of upstream's development snapshots (kind "snapshot" in
# testbed/projects.conf): FUSEVIS_UPSTREAM, or "shared/upstream" beside the
# repository (the parent folder of its main checkout, for a git worktree as
# for the main one; the checkout's own parent outside git)
upstream_dir() {
	local repo
	if repo=$(git -C "$TOP" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
		repo=$(dirname "$repo")
	else
		repo=$TOP
	fi
	echo "$(dirname "$repo")/shared/upstream"
}
UPSTREAM=${FUSEVIS_UPSTREAM:-$(upstream_dir)}

# The Debian suite that carries the series of testbed/projects.conf.
# Override with FUSEVIS_SUITE if the archive moves on.
# shellcheck disable=SC2034 # (used by fetch-sources.sh)
SUITE=${FUSEVIS_SUITE:-sid}

stage() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# project_row NAME: "package series files..." of NAME in testbed/projects.conf
project_row() {
	awk -v n="$1" '!/^#/ && $1 == n { $1 = ""; print substr($0, 2); found = 1 }
		END { exit !found }' "$TOP/testbed/projects.conf"
}

# debian_mirror: the Debian archive this machine's own apt configuration
# uses (its first "Origin: Debian" source), or $FUSEVIS_MIRROR
debian_mirror() {
	local m=${FUSEVIS_MIRROR:-}
	# shellcheck disable=SC2016 # (apt's field, not the shell's)
	[ -n "$m" ] || m=$(apt-get indextargets --format '$(REPO_URI)' \
		'Origin: Debian' 'Label: Debian' 2>/dev/null | head -n 1)
	[ -n "$m" ] || die "no Debian archive in this machine's apt sources (apt-get indextargets): set FUSEVIS_MIRROR"
	echo "${m%/}"
}

# pin NAME: "VERSION SHA256 FILE" of NAME in $PINS (what the test bed
# builds: the version of the Debian package, the sha256 and name of the
# file downloaded from the archive; for a snapshot, upstream's commit, the
# sha256 and name of the tarball in $UPSTREAM)
pin() {
	awk -v n="$1" '!/^#/ && $1 == n { print $2, $3, $4; found = 1 }
		END { exit !found }' "$PINS" ||
		die "$1 has no pin in ${PINS#"$TOP/"}: run 'make sources' to pin what Debian serves (a snapshot is pinned by hand)"
}

# source_kind NAME: deb, orig or snapshot (testbed/projects.conf)
source_kind() {
	local package
	package=$(project_row "$1" | cut -d' ' -f1) || die "$1 is not in testbed/projects.conf"
	echo "${package#*:}"
}

# snapshot NAME: check the snapshot pinned for NAME in $UPSTREAM (never
# downloaded) against its sha256, and set SRC_VERSION (upstream's commit),
# SRC_PACKAGE, SRC_FILE, SRC_PIN and SRC_DATE (the commit's date) as
# upstream_source does; dies, saying why, when the file is missing or not
# the one pinned
snapshot() {
	local pinned commit sha file got
	pinned=$(pin "$1") || exit 1
	read -r commit sha file <<<"$pinned"
	[ -d "$UPSTREAM" ] ||
		die "$1: no folder of upstream snapshots $UPSTREAM (FUSEVIS_UPSTREAM names another): $file, pinned in ${PINS#"$TOP/"}, is taken from there and never downloaded"
	[ -f "$UPSTREAM/$file" ] ||
		die "$1: $file, pinned in ${PINS#"$TOP/"}, is missing from $UPSTREAM (FUSEVIS_UPSTREAM names another folder): it is never downloaded, place it there"
	got=$(sha256sum "$UPSTREAM/$file" | cut -d' ' -f1)
	[ "$got" = "$sha" ] ||
		die "$1: $UPSTREAM/$file has sha256 $got, not $sha as pinned in ${PINS#"$TOP/"}: not the snapshot of upstream commit $commit"
	# shellcheck disable=SC2034 # (the results, for the caller)
	SRC_VERSION=$commit SRC_PACKAGE=$(project_row "$1" | cut -d' ' -f1) SRC_FILE=$UPSTREAM/$file \
		SRC_PIN="$commit $sha $file" SRC_DATE=$(awk -v n="$1" '!/^#/ && $1 == n { print $5 }' "$PINS")
	SRC_PACKAGE=${SRC_PACKAGE%:*}
}

# upstream_source NAME: set SRC_VERSION, SRC_PACKAGE and SRC_FILE (the
# tarball or .deb) of NAME, at its pinned version.  The first call on a
# machine fetches it from Debian's archive and checks its sha256; later
# ones read the record fetch-sources.sh wrote, while it names the pin.  A
# snapshot is checked against its sha256 at every call, in $UPSTREAM.
upstream_source() {
	local rec=$DL/$1.source want
	want=$(pin "$1") || exit 1
	if [ "$(source_kind "$1")" = snapshot ]; then
		snapshot "$1"
		return
	fi
	# shellcheck disable=SC2034 # (the results, for the caller)
	SRC_VERSION='' SRC_PACKAGE='' SRC_FILE='' SRC_PIN=''
	# shellcheck disable=SC1090
	[ -s "$rec" ] && source "$rec"
	if [ "$SRC_PIN" != "$want" ] || [ ! -s "$SRC_FILE" ]; then
		"$HOST/fetch-sources.sh" "$1" >&2
		# shellcheck disable=SC1090
		source "$rec"
	fi
	if [ "$SRC_PIN" != "$want" ] || [ ! -s "$SRC_FILE" ]; then
		die "fetching $1 recorded no source in $rec"
	fi
}

# patches_in DIR: the patches of a folder made by format_series, in order,
# without its cover letter
patches_in() {
	local p
	for p in "$1"/0*.patch; do
		[ "${p##*/}" = 0000-cover-letter.patch ] || echo "$p"
	done
}

# format_series SRC RANGE OUT COVER: the commits RANGE of the git tree SRC
# (made by mktree.sh) as one mailable series in OUT: git format-patch with
# base-commit information and a cover letter from COVER, which gives, in
# this order, the subject line ("[PATCH v4] fuse: ...": the bracket is the
# prefix of every patch), To: and Cc: lines for every mail, an empty line,
# and the text
format_series() {
	local src=$1 range=$2 out=$3 cover=$4 line letter
	local first prefix subject rcpt=() patches
	stage "series: $out ($range)"
	rm -rf "$out"
	mkdir -p "$out"
	first=$(head -n 1 "$cover")
	prefix=PATCH subject=$first
	if [[ $first =~ ^\[([^]]*)\]\ (.*)$ ]]; then
		prefix=${BASH_REMATCH[1]} subject=${BASH_REMATCH[2]}
	fi
	while IFS= read -r line; do
		case "$line" in
		"To: "*) rcpt+=(--to="${line#To: }") ;;
		"Cc: "*) rcpt+=(--cc="${line#Cc: }") ;;
		esac
	done < <(awk 'NR > 1 && /^$/ { exit } NR > 1' "$cover")
	git -C "$src" format-patch -q --cover-letter --base=base --thread \
		--subject-prefix="$prefix" "${rcpt[@]}" -o "$out" "$range"
	letter=$(ls "$out"/0000-cover-letter.patch)
	python3 - "$letter" "$cover" "$subject" <<-'PY'
	import sys
	letter, cover, subject = sys.argv[1:]
	text = open(letter).read()
	body = open(cover).read().split("\n\n", 1)[1].strip("\n")
	text = text.replace("*** SUBJECT HERE ***", subject)
	text = text.replace("*** BLURB HERE ***", body)
	open(letter, "w").write(text)
	PY
	patches=("$out"/0*.patch)
	n=${#patches[@]}
	note "$((n - 1)) patches and a cover letter: $(basename "$letter") \"$subject\""
}

# to_upstream PROJECT PATH: the upstream path of our file PATH (empty if
# none of PROJECT's folders holds it); from_upstream PROJECT PATH: the
# inverse (empty if the file has no folder of ours and stays in its patch)
to_upstream() { map_path "$1" "$2" ours; }
from_upstream() { map_path "$1" "$2" upstream; }
# map_path PROJECT PATH SIDE: PATH, on SIDE ("ours" or "upstream") of one
# of PROJECT's folder=path pairs, moved to the other side
map_path() {
	local m ours up
	for m in $(project_row "$1" | cut -d' ' -f3-); do
		[ "$m" != - ] || continue
		ours=${m%%=*} up=${m#*=}
		[ "$3" = ours ] || { local t=$ours; ours=$up up=$t; }
		case "$2" in "$ours"*) echo "$up${2#"$ours"}"; return ;; esac
	done
}

# worktree_at SRC DIR COMMIT: DIR becomes a detached git worktree of SRC at
# COMMIT.  A DIR left over from an earlier import of SRC (its git metadata
# gone with it) is made anew, never reused.
worktree_at() {
	local src=$1 dir=$2 commit=$3 common
	common=$(cd "$dir" 2>/dev/null && git rev-parse --path-format=absolute --git-common-dir 2>/dev/null) || common=
	if [ "$common" != "$(cd "$src" && git rev-parse --path-format=absolute --git-common-dir)" ]; then
		[ ! -e "$dir" ] || note "$dir is no worktree of $src (any more): made anew"
		rm -rf "$dir"
		git -C "$src" worktree prune
		git -C "$src" worktree add -q --detach "$dir" "$commit"
	fi
	git -C "$dir" am --abort >/dev/null 2>&1 || true
	git -C "$dir" checkout -q -f --detach "$commit"
}

# run_limited SECONDS LOG COMMAND...: run COMMAND in a session (and process
# group) of its own, its output to LOG and to stdout.  At SECONDS, or when
# this script is interrupted, the whole group gets SIGTERM, and SIGKILL 10 s
# later: a child that keeps the output open (QEMU under vng) cannot outlive
# it.  Returns COMMAND's status, 124 when it ran out of time.
run_limited() {
	local limit=$1 log=$2 pid pgid tries=0 tailpid waited=0 rc=0 status=0
	shift 2
	: >"$log"
	setsid "$@" </dev/null >"$log" 2>&1 &
	pid=$!
	# shellcheck disable=SC2064 # the group is known now
	trap "kill_group $pid; exit 130" INT TERM HUP
	# setsid makes $pid a group of its own once it runs (it would fork
	# only in a group leader, which a background job of a script is not)
	while pgid=$(ps -o pgid= -p "$pid" | tr -d ' ') && [ -n "$pgid" ] && [ "$pgid" != "$pid" ]; do
		tries=$((tries + 1))
		[ $tries -lt 50 ] || { kill "$pid"; die "run_limited: $1 is not in a process group of its own"; }
		sleep 0.1
	done
	tail -n +1 -f --pid="$pid" "$log" &
	tailpid=$!
	while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$limit" ]; do
		sleep 1
		waited=$((waited + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill_group "$pid"
		rc=124
	fi
	wait "$pid" || status=$?
	[ $rc = 124 ] || rc=$status
	# What the leader left behind (QEMU, when vng itself ended) goes too
	kill_group "$pid"
	trap - INT TERM HUP
	wait "$tailpid" 2>/dev/null || true
	return $rc
}
# kill_group PGID: SIGTERM to the process group PGID, SIGKILL after 10 s
kill_group() {
	local waited=0
	kill -TERM -- "-$1" 2>/dev/null || return 0
	while [ $waited -lt 10 ]; do
		kill -0 -- "-$1" 2>/dev/null || return 0
		sleep 1
		waited=$((waited + 1))
	done
	kill -KILL -- "-$1" 2>/dev/null || true
}

# boot BZIMAGE OUTDIR COMMAND...: boot BZIMAGE under QEMU (TCG: KVM is not
# usable on these machines) with virtme-ng, the host's root filesystem
# read-only over 9p, OUTDIR (and the folders in $VM_RWDIRS) writable at the
# same path, the folders in $VM_OVERLAYS writable for the guest alone (an
# overlay in its memory, gone at power-off: for test suites that write into
# their build tree, as lsof's and psmisc's do), and run COMMAND (its words
# quoted for the guest's shell; VAR=VALUE words first) as root inside, from
# the top of this checkout.  Only /tmp, /var, /etc, /usr, ... have such an
# overlay by default: a build folder elsewhere (CI's) is read-only in the
# guest.
# The console goes to OUTDIR/console.log and to stdout.  Returns COMMAND's
# status (written by the guest to OUTDIR/status: vng's own exit status does
# not always carry it), 124 when the guest did not end within VM_TIMEOUT
# seconds (QEMU is then killed).  VM_CPUS, VM_MEMORY, VM_TIMEOUT override
# the defaults.
boot() {
	local image=$1 outdir=$2 rw d start rc limit=${VM_TIMEOUT:-1800} cmd
	shift 2
	[ -f "$image" ] || die "no kernel image $image"
	command -v vng >/dev/null || die "virtme-ng missing (make deps installs it)"
	mkdir -p "$outdir"
	outdir=$(cd "$outdir" && pwd)
	rm -f "$outdir/status"
	rw=(--rwdir "$outdir")
	for d in ${VM_RWDIRS:-}; do
		mkdir -p "$d"
		rw+=(--rwdir "$(cd "$d" && pwd)")
	done
	for d in ${VM_OVERLAYS:-}; do
		[ -d "$d" ] || die "no folder $d to give the guest an overlay on"
		rw+=(--overlay-rwdir "$(cd "$d" && pwd)")
	done
	cmd=$(printf '%q ' "$@")
	# (backslash escapes only: the guest's shell may not read bash's $'...')
	[[ "$cmd" != *"\$'"* ]] || die "boot: a word of the guest command holds a control character: $cmd"
	stage "boot $image in QEMU (TCG) and run: $cmd"
	start=$(date +%s)
	rc=0
	run_limited "$limit" "$outdir/console.log" \
		vng --run "$image" --disable-kvm --force-9p --user root \
		    --cpus "${VM_CPUS:-2}" --memory "${VM_MEMORY:-2G}" \
		    "${rw[@]}" --cwd "$TOP" \
		    --exec "cd $(printf %q "$TOP") && { $cmd; }; echo \$? >$(printf %q "$outdir/status")" || rc=$?
	if [ $rc = 124 ]; then
		note "guest killed after ${limit}s (VM_TIMEOUT): it had not finished; see $outdir/console.log"
		return 124
	fi
	rc=$(cat "$outdir/status" 2>/dev/null || echo 255)
	note "guest finished in $(($(date +%s) - start))s with status $rc"
	return "$rc"
}
