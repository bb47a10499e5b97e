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

# orig_pkg PKG SERIES VAR: the newest SERIES.y source of PKG, as .orig tarball;
# records VAR_DEB_VERSION and VAR_TARBALL
orig_pkg() {
	local ver name
	stage "$1 $2.y"
	ver=$(newest_src "$1" "$2")
	[ -n "$ver" ] || die "suite $SUITE serves no $1 $2.y"
	name=$(fetch_orig "$1" "$ver")
	note "$1 $ver ($name)"
	setv "${3}_DEB_VERSION" "$ver"
	setv "${3}_TARBALL" "$DL/$name"
}

# deb_pkg PKG VAR: the candidate .deb of PKG (architecture all); records
# VAR_DEB_VERSION and VAR_DEB
deb_pkg() {
	local ver deb
	stage "$1"
	ver=$(apt-cache "${APT_OPTS[@]}" policy "$1" | sed -n 's/^  Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "suite $SUITE serves no $1"
	deb=${1}_${ver}_all.deb
	if [ ! -s "$DL/$deb" ]; then
		(cd "$DL" && apt-get "${APT_OPTS[@]}" -q download "$1=$ver" >/dev/null) ||
			die "download of $1 $ver failed"
	fi
	note "$1 $ver"
	setv "${2}_DEB_VERSION" "$ver"
	setv "${2}_DEB" "$DL/$deb"
}

for w in "${want[@]}"; do
	case "$w" in
	linux)
		deb_pkg linux-source-7.2 LINUX
		source "$versions"
		tarball=$DL/linux-source-7.2_$LINUX_DEB_VERSION.tar.xz
		if [ ! -s "$tarball" ]; then
			rm -rf "$DL/deb.tmp"
			dpkg-deb -x "$LINUX_DEB" "$DL/deb.tmp"
			mv "$DL/deb.tmp/usr/src/linux-source-7.2.tar.xz" "$tarball"
			rm -rf "$DL/deb.tmp"
		fi
		setv LINUX_TARBALL "$tarball"
		;;
	util-linux) orig_pkg util-linux 2.42 UTIL_LINUX ;;
	fuse3) orig_pkg fuse3 3.18 FUSE3 ;;
	sparse) orig_pkg sparse 0 SPARSE ;;
	virtme-ng) deb_pkg virtme-ng VIRTME_NG ;;
	*) die "unknown source '$w'" ;;
	esac
done
