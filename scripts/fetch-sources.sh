#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the upstream sources this project changes, from Debian's archive,
# with a private apt configuration (own sources.list and state under
# $CACHE/apt); the machine's apt sources are never touched.
#
#   linux-source-7.2   newest 7.2.y binary package (holds the kernel tarball)
#   util-linux         newest 2.42.y .orig.tar.xz
#   fuse3              newest 3.18.y .orig.tar.gz
#   virtme-ng          the test bed's VM runner (.deb, architecture all)
#   sparse             newest .orig.tar.xz (the kernel needs a newer sparse
#                      than Debian 12's 0.6.4; built by scripts/build-sparse.sh)
#
# Writes $DL/versions (shell assignments) naming what was fetched.
# Usage: fetch-sources.sh [linux] [util-linux] [fuse3] [virtme-ng]
#        (default: the three sources)

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
[ ${#want[@]} -gt 0 ] || want=(linux util-linux fuse3)

# Refresh the private index at most once an hour.
stamp=$APTDIR/state/updated
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +60)" ]; then
	stage "apt-get update (private configuration, suite $SUITE)"
	apt-get "${APT_OPTS[@]}" -q update >"$APTDIR/update.log" 2>&1 ||
		{ cat "$APTDIR/update.log"; die "apt-get update failed"; }
	touch "$stamp"
fi

# newest_src PKG MAJOR.MINOR: newest source version of PKG in that series
newest_src() {
	apt-cache "${APT_OPTS[@]}" showsrc "$1" 2>/dev/null |
		sed -n 's/^Version: //p' | grep "^$2\." | sort -V | tail -n 1
}

# fetch_orig PKG VERSION: download PKG's .orig tarball into $DL
fetch_orig() {
	local pkg=$1 ver=$2 uri name
	while read -r uri name _; do
		uri=${uri//\'/}
		case "$name" in *.orig.tar.*) ;; *) continue ;; esac
		case "$name" in *.asc) continue ;; esac
		if [ ! -s "$DL/$name" ]; then
			note "downloading $name" >&2
			/usr/lib/apt/apt-helper -o APT::Sandbox::User=root \
				download-file "$uri" "$DL/$name.part" >/dev/null ||
				die "download of $uri failed"
			mv "$DL/$name.part" "$DL/$name"
		fi
		echo "$name"
		return 0
	done < <(apt-get "${APT_OPTS[@]}" source --print-uris --only-source "$pkg=$ver" 2>/dev/null)
	die "no .orig tarball found for $pkg $ver"
}

versions=$DL/versions
touch "$versions"
setv() { sed -i "/^$1=/d" "$versions"; echo "$1=$2" >>"$versions"; }

for w in "${want[@]}"; do
	case "$w" in
	linux)
		stage "linux-source-7.2"
		ver=$(apt-cache "${APT_OPTS[@]}" policy linux-source-7.2 |
			sed -n 's/^  Candidate: //p')
		[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
			die "suite $SUITE serves no linux-source-7.2"
		deb=linux-source-7.2_${ver}_all.deb
		if [ ! -s "$DL/$deb" ]; then
			(cd "$DL" && apt-get "${APT_OPTS[@]}" -q download "linux-source-7.2=$ver" >/dev/null) ||
				die "download of linux-source-7.2 $ver failed"
		fi
		if [ ! -s "$DL/linux-source-7.2_$ver.tar.xz" ]; then
			rm -rf "$DL/deb.tmp"
			dpkg-deb -x "$DL/$deb" "$DL/deb.tmp"
			mv "$DL/deb.tmp/usr/src/linux-source-7.2.tar.xz" "$DL/linux-source-7.2_$ver.tar.xz"
			rm -rf "$DL/deb.tmp"
		fi
		note "linux-source-7.2 $ver"
		setv LINUX_DEB_VERSION "$ver"
		setv LINUX_TARBALL "$DL/linux-source-7.2_$ver.tar.xz"
		;;
	util-linux)
		stage "util-linux 2.42.y"
		ver=$(newest_src util-linux 2.42)
		[ -n "$ver" ] || die "suite $SUITE serves no util-linux 2.42.y"
		name=$(fetch_orig util-linux "$ver")
		note "util-linux $ver ($name)"
		setv UTIL_LINUX_DEB_VERSION "$ver"
		setv UTIL_LINUX_TARBALL "$DL/$name"
		;;
	fuse3)
		stage "fuse3 3.18.y"
		ver=$(newest_src fuse3 3.18)
		[ -n "$ver" ] || die "suite $SUITE serves no fuse3 3.18.y"
		name=$(fetch_orig fuse3 "$ver")
		note "fuse3 $ver ($name)"
		setv FUSE3_DEB_VERSION "$ver"
		setv FUSE3_TARBALL "$DL/$name"
		;;
	virtme-ng)
		stage "virtme-ng"
		ver=$(apt-cache "${APT_OPTS[@]}" policy virtme-ng | sed -n 's/^  Candidate: //p')
		[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "suite $SUITE serves no virtme-ng"
		deb=virtme-ng_${ver}_all.deb
		if [ ! -s "$DL/$deb" ]; then
			(cd "$DL" && apt-get "${APT_OPTS[@]}" -q download "virtme-ng=$ver" >/dev/null) ||
				die "download of virtme-ng $ver failed"
		fi
		note "virtme-ng $ver"
		setv VIRTME_NG_DEB "$DL/$deb"
		;;
	sparse)
		stage "sparse"
		ver=$(newest_src sparse 0)
		[ -n "$ver" ] || die "suite $SUITE serves no sparse"
		name=$(fetch_orig sparse "$ver")
		note "sparse $ver ($name)"
		setv SPARSE_DEB_VERSION "$ver"
		setv SPARSE_TARBALL "$DL/$name"
		;;
	*) die "unknown source '$w'" ;;
	esac
done
