#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-sources.sh [NAME...]
# fetch-sources.sh --update [NAME...]
#
# Fetch the upstream sources and tools named in testbed/projects.conf from
# Debian's archive, with a private apt configuration (own sources.list and
# state under $CACHE/apt, the mirror of the machine's own apt sources); the
# machine's apt sources are never touched.  Each NAME is fetched at the
# version pinned in testbed/sources.pin, and the download must have the
# sha256 pinned there; it is then recorded in $DL/NAME.source (SRC_VERSION,
# SRC_PACKAGE, SRC_FILE, SRC_PIN), written only once the file is complete
# and checked.  Scripts do not call this directly: upstream_source() in
# lib.sh does, the first time it needs NAME.
# With --update (make sources), the newest version of each NAME's series
# that Debian serves is fetched instead, and its pin rewritten: commit
# testbed/sources.pin to move the test bed to it.
# A snapshot of upstream's development tree (kind "snapshot") is never
# downloaded: it is checked in the shared folder $UPSTREAM against the
# sha256 pinned for it, and --update leaves its pin as it is (it moves by
# hand, when a new snapshot is placed there: see testbed/sources.pin).
# Default NAMEs: every project of testbed/projects.conf.

source "$(dirname "$0")/lib.sh"

update=
if [ "${1:-}" = --update ]; then
	update=1
	shift
fi

want=("$@")
[ ${#want[@]} -gt 0 ] || mapfile -t want < <(awk '!/^#/ && NF { print $1 }' "$TOP/testbed/projects.conf")
# The snapshots first: no archive, no apt
debian=()
for name in "${want[@]}"; do
	if [ "$(source_kind "$name")" != snapshot ]; then
		debian+=("$name")
	elif [ -n "$update" ]; then
		stage "$name: snapshot of upstream's development tree, pinned by hand: left as it is"
	else
		snapshot "$name"
		stage "$name: snapshot of upstream commit $SRC_VERSION ($SRC_DATE), as pinned"
		note "$name: $SRC_FILE (sha256 as pinned; nothing downloaded)"
	fi
done
[ ${#debian[@]} -gt 0 ] || exit 0
want=("${debian[@]}")

MIRROR=$(debian_mirror) || exit 1
APTDIR=$CACHE/apt
mkdir -p "$APTDIR/etc" "$APTDIR/state/lists/partial" \
	 "$APTDIR/cache/archives/partial" "$DL"
cat >"$APTDIR/etc/sources.list" <<EOT
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main
EOT
touch "$APTDIR/state/status"
APT_OPTS=(-o "Dir::Etc::SourceList=$APTDIR/etc/sources.list"
	  -o "Dir::Etc::SourceParts=/nonexistent"
	  -o "Dir::State=$APTDIR/state"
	  -o "Dir::State::status=$APTDIR/state/status"
	  -o "Dir::Cache=$APTDIR/cache"
	  -o "Debug::NoLocking=1"
	  -o "APT::Sandbox::User=root")

# Refresh the private index at most once an hour.
stamp=$APTDIR/state/updated
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +60)" ]; then
	stage "apt-get update (private configuration, suite $SUITE)"
	apt-get "${APT_OPTS[@]}" -q update >"$APTDIR/update.log" 2>&1 ||
		{ cat "$APTDIR/update.log"; die "apt-get update failed"; }
	touch "$stamp"
fi

# newest VERSIONS SERIES: the newest of VERSIONS (one a line) in SERIES.y
newest() { grep "^$1\." | sort -V | tail -n 1; }

# orig PKG VERSION: download the .orig tarball of source package PKG at
# VERSION into $DL; prints its file name
orig() {
	local pkg=$1 ver=$2 uri name hash
	# "'URI' NAME SIZE SHA256:HEX": apt-helper checks the download against
	# the archive's own hash
	while read -r uri name _ hash; do
		uri=${uri//\'/}
		case "$name" in *.orig.tar.*.asc) continue ;; *.orig.tar.*) ;; *) continue ;; esac
		if [ ! -s "$DL/$name" ]; then
			note "downloading $name" >&2
			/usr/lib/apt/apt-helper -o APT::Sandbox::User=root \
				download-file "$uri" "$DL/$name.part" "$hash" >/dev/null ||
				die "download of $uri failed"
			mv "$DL/$name.part" "$DL/$name"
		fi
		echo "$name"
		return 0
	done < <(apt-get "${APT_OPTS[@]}" source --print-uris --only-source "$pkg=$ver" 2>/dev/null)
	die "no .orig tarball found for $pkg $ver"
}

# deb PKG VERSION: download binary package PKG at VERSION into $DL;
# prints its file name
deb() {
	local pkg=$1 ver=$2 file
	file=$(cd "$DL" && find . -maxdepth 1 -name "${pkg}_${ver//:/%3a}_*.deb" -printf '%f\n' | head -n 1)
	if [ -z "$file" ]; then
		(cd "$DL" && apt-get "${APT_OPTS[@]}" -q download "$pkg=$ver" >/dev/null) ||
			die "download of $pkg $ver failed"
		file=$(cd "$DL" && find . -maxdepth 1 -name "${pkg}_${ver//:/%3a}_*.deb" -printf '%f\n' | head -n 1)
	fi
	echo "$file"
}

# served PKG KIND: the versions of PKG (a source package for "orig", a
# binary one for "deb") that the suite serves, one a line
served() {
	if [ "$2" = orig ]; then
		apt-cache "${APT_OPTS[@]}" showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p'
	else
		apt-cache "${APT_OPTS[@]}" madison "$1" 2>/dev/null | awk -F' *[|] *' '{ print $2 }'
	fi
}

# set_pin NAME VERSION SHA256 FILE: NAME's line of $PINS, changed or added
set_pin() {
	local tmp=$PINS.tmp
	[ -f "$PINS" ] || die "no $PINS"
	awk -v n="$1" -v line="$(printf '%-12s %-14s %s %s' "$@")" '
		!/^#/ && $1 == n { print line; done = 1; next } { print }
		END { if (!done) print line }' "$PINS" >"$tmp"
	mv "$tmp" "$PINS"
}

for name in "${want[@]}"; do
	row=$(project_row "$name") || die "$name is not in testbed/projects.conf"
	read -r package series _ <<<"$row"
	pkg=${package%:*} kind=${package#*:}
	if [ -n "$update" ]; then
		if [ "$series" = - ]; then
			ver=$(served "$pkg" "$kind" | sort -V | tail -n 1) || true
		else
			ver=$(served "$pkg" "$kind" | newest "$series" | tail -n 1) || true
		fi
		[ -n "$ver" ] || die "suite $SUITE serves no $pkg of the series $series"
		stage "$name: Debian $pkg $ver ($kind), the newest that suite $SUITE serves (series $series)"
	else
		pinned=$(pin "$name") || exit 1
		read -r ver sha file <<<"$pinned"
		stage "$name: Debian $pkg $ver ($kind), as pinned"
		# A download of the pinned file is used as it is (the sum is
		# checked below): the archive may have moved on since
		if [ ! -s "$DL/$file" ]; then
			served "$pkg" "$kind" | grep -qxF "$ver" ||
				die "suite $SUITE of $MIRROR no longer serves $pkg $ver, pinned in testbed/sources.pin: 'make sources' moves the pins to what it serves (then commit testbed/sources.pin)"
		fi
	fi
	if [ -n "$update" ] || [ ! -s "$DL/$file" ]; then
		got=$("$kind" "$pkg" "$ver")
		[ -n "$update" ] || [ "$got" = "$file" ] ||
			die "the pin of $name names $file, but Debian's $pkg $ver is $got"
		file=$got
	fi
	got=$(sha256sum "$DL/$file" | cut -d' ' -f1)
	if [ -n "$update" ]; then
		set_pin "$name" "$ver" "$got" "$file"
		sha=$got
	elif [ "$got" != "$sha" ]; then
		mv "$DL/$file" "$DL/$file.mismatch"
		die "$file from $MIRROR has sha256 $got, not $sha as pinned in testbed/sources.pin (kept as $DL/$file.mismatch)"
	fi
	src=$DL/$file
	if [ "$name" = linux ]; then
		# The kernel tarball inside linux-source-7.2
		src=$DL/${pkg}_$ver.tar.xz
		if [ ! -s "$src" ]; then
			rm -rf "$DL/deb.tmp"
			dpkg-deb -x "$DL/$file" "$DL/deb.tmp"
			mv "$DL/deb.tmp/usr/src/$pkg.tar.xz" "$src"
			rm -rf "$DL/deb.tmp"
		fi
	fi
	printf 'SRC_VERSION=%q\nSRC_PACKAGE=%q\nSRC_FILE=%q\nSRC_PIN=%q\n' "$ver" "$pkg" "$src" \
		"$ver $sha $file" >"$DL/$name.source.tmp"
	mv "$DL/$name.source.tmp" "$DL/$name.source"
	note "$name $ver: $src"
done
[ -z "$update" ] || git -C "$TOP" diff --stat -- "$PINS" 2>/dev/null || true
