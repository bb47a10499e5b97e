#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-sources.sh [NAME...]
#
# Fetch upstream sources and tools named in testbed/projects.conf from
# Debian's archive, with a private apt configuration (own sources.list and
# state under $CACHE/apt); the machine's apt sources are never touched.
# For each NAME, the newest version of its series is fetched and recorded in
# $DL/NAME.source (SRC_VERSION, SRC_PACKAGE, SRC_FILE), written only once the
# file is complete.  Scripts do not call this directly: upstream_source()
# in lib.sh does, the first time it needs NAME.  Run by hand (make sources)
# to move to the newest version Debian serves.
# Default NAMEs: linux util-linux libfuse.

source "$(dirname "$0")/lib.sh"

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

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(linux util-linux libfuse)

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

# orig PKG SERIES: download the newest SERIES.y .orig tarball of source
# package PKG into $DL; prints "VERSION FILE"
orig() {
	local pkg=$1 ver uri name
	ver=$(apt-cache "${APT_OPTS[@]}" showsrc "$pkg" 2>/dev/null |
		sed -n 's/^Version: //p' | newest "$2")
	[ -n "$ver" ] || die "suite $SUITE serves no source $pkg $2.y"
	while read -r uri name _; do
		uri=${uri//\'/}
		case "$name" in *.orig.tar.*.asc) continue ;; *.orig.tar.*) ;; *) continue ;; esac
		if [ ! -s "$DL/$name" ]; then
			note "downloading $name" >&2
			/usr/lib/apt/apt-helper -o APT::Sandbox::User=root \
				download-file "$uri" "$DL/$name.part" >/dev/null ||
				die "download of $uri failed"
			mv "$DL/$name.part" "$DL/$name"
		fi
		echo "$ver $DL/$name"
		return 0
	done < <(apt-get "${APT_OPTS[@]}" source --print-uris --only-source "$pkg=$ver" 2>/dev/null)
	die "no .orig tarball found for $pkg $ver"
}

# deb PKG SERIES: download the candidate .deb of binary package PKG (of
# SERIES.y unless SERIES is "-") into $DL; prints "VERSION FILE"
deb() {
	local pkg=$1 ver file
	ver=$(apt-cache "${APT_OPTS[@]}" policy "$pkg" | sed -n 's/^  Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "suite $SUITE serves no $pkg"
	[ "$2" = - ] || [ -n "$(newest "$2" <<<"$ver")" ] || die "$pkg $ver is not of $2.y"
	file=$(cd "$DL" && ls "${pkg}_${ver//:/%3a}_"*.deb 2>/dev/null | head -n 1) || true
	if [ -z "$file" ]; then
		(cd "$DL" && apt-get "${APT_OPTS[@]}" -q download "$pkg=$ver" >/dev/null) ||
			die "download of $pkg $ver failed"
		file=$(cd "$DL" && ls "${pkg}_${ver//:/%3a}_"*.deb | head -n 1)
	fi
	echo "$ver $DL/$file"
}

for name in "${want[@]}"; do
	read -r package series _ <<<"$(project_row "$name")" || die "$name is not in testbed/projects.conf"
	pkg=${package%:*} kind=${package#*:}
	if [ "$series" = - ]; then
		stage "$name: Debian $pkg ($kind), the candidate version"
	else
		stage "$name: Debian $pkg ($kind), newest $series.y"
	fi
	read -r ver file <<<"$("$kind" "$pkg" "$series")"
	if [ "$name" = linux ]; then
		# The kernel tarball inside linux-source-7.2
		tarball=$DL/${pkg}_$ver.tar.xz
		if [ ! -s "$tarball" ]; then
			rm -rf "$DL/deb.tmp"
			dpkg-deb -x "$file" "$DL/deb.tmp"
			mv "$DL/deb.tmp/usr/src/$pkg.tar.xz" "$tarball"
			rm -rf "$DL/deb.tmp"
		fi
		file=$tarball
	fi
	printf 'SRC_VERSION=%q\nSRC_PACKAGE=%q\nSRC_FILE=%q\n' "$ver" "$pkg" "$file" >"$DL/$name.source.tmp"
	mv "$DL/$name.source.tmp" "$DL/$name.source"
	note "$name $ver: $file"
done
