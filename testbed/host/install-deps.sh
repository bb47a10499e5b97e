#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the test bed needs, from Debian's archive.  Packages of the
# machine's own release come through its apt as configured; virtme-ng,
# which only Debian's newer suites carry (architecture all), is downloaded
# with the project's private apt configuration (fetch-sources.sh)
# and installed as a local .deb, so the machine's apt sources stay as they
# are.  Does nothing when everything is there.

source "$(dirname "$0")/lib.sh"

packages=(
	# kernel build
	build-essential flex bison bc libelf-dev libssl-dev dwarves ccache
	cpio rsync kmod file sparse perl python3
	# the test bed's own scripts (make lint)
	shellcheck
	# test bed: QEMU and virtme-ng's dependencies (udev: without it the
	# guest finds no virtio-serial port and the output is lost)
	qemu-system-x86 udev busybox-static python3-argcomplete
	python3-requests iproute2 kbd util-linux-extra
	# userspace builds and tests (util-linux, libfuse; lsof and psmisc with
	# autotools, psmisc's tests with DejaGnu), plots
	meson ninja-build pkg-config python3-pytest gnuplot-nox
	# the kselftests of filesystems/fuse: fuse_mnt is built with libfuse 2;
	# ours make btrfs and ext4 images for backing files
	libfuse-dev btrfs-progs e2fsprogs
	autoconf automake libtool autopoint gettext dejagnu expect
	# libfuse built with FUSE over io_uring (its suite's second run);
	# lsof's suite tests sockets with nc (each test runs through
	# testbed/guest/one-test.sh, which ends the nc a test leaves running);
	# util-linux's setpriv (an lsfd test runs it) needs libcap-ng
	liburing-dev netcat-openbsd libcap-ng-dev
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing+=("$p")
done
dpkg-query -W -f='${Status}\n' virtme-ng 2>/dev/null | grep -q '^install ok installed' ||
	missing+=(virtme-ng)

if [ ${#missing[@]} -eq 0 ]; then
	note "all build and test packages are installed"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "missing packages (${missing[*]}): run as root"

stage "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$CACHE"
apt-get -q update >"$CACHE/apt-update.log" 2>&1 ||
	{ cat "$CACHE/apt-update.log"; die "apt-get update failed"; }
debs=()
for p in "${missing[@]}"; do
	[ "$p" = virtme-ng ] || debs+=("$p")
done
if [[ " ${missing[*]} " == *" virtme-ng "* ]]; then
	upstream_source virtme-ng >/dev/null
	debs+=("$SRC_FILE")
fi
apt-get -q install -y --no-install-recommends "${debs[@]}" >"$CACHE/apt-install.log" 2>&1 ||
	{ tail -30 "$CACHE/apt-install.log"; die "apt-get install failed"; }
note "installed"
