#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-lsfd.sh SRC OBJ [UAPI_INCLUDE_DIR]
#
# Build lsfd, the libraries it needs and the test helpers of util-linux's
# test suite, from the util-linux tree SRC (made by mktree.sh), with
# util-linux's meson, every other build-* option disabled.  With
# UAPI_INCLUDE_DIR (the patched kernel's "make headers" output), the test
# helpers see the kernel's <linux/fuse.h> with FUSE passthrough, which
# Debian 12's linux-libc-dev lacks.

source "$(dirname "$0")/lib.sh"

src=$(cd "${1:?usage: build-lsfd.sh SRC OBJ}" && pwd)
obj=${2:?usage: build-lsfd.sh SRC OBJ}
uapi=${3:-}
[ -z "$uapi" ] || [ -f "$uapi/linux/fuse.h" ] || die "no UAPI headers in $uapi (scripts/build-kernel.sh makes them)"
cargs=()
[ -z "$uapi" ] || cargs=(-Dc_args="-isystem $uapi")

keep=(build-lsfd build-libsmartcols)
opts=()
for o in $(grep -o "option('build-[a-z0-9_-]*'" "$src/meson_options.txt" | sed "s/option('//; s/'//"); do
	case " ${keep[*]} " in
	*" $o "*) opts+=("-D$o=enabled") ;;
	*) opts+=("-D$o=disabled") ;;
	esac
done

want="$src ${cargs[*]} ${opts[*]}"
if [ "$(cat "$obj/.setup-args" 2>/dev/null)" != "$want" ]; then
	rm -rf "$obj"
fi
if [ ! -f "$obj/build.ninja" ]; then
	stage "util-linux: meson setup (lsfd only)"
	meson setup "$obj" "$src" --buildtype=debugoptimized -Dprogram-tests=true \
		"${cargs[@]}" "${opts[@]}" >"$BUILD/util-linux-setup.log" 2>&1 ||
		{ tail -30 "$BUILD/util-linux-setup.log"; die "meson setup failed"; }
	echo "$want" >"$obj/.setup-args"
fi
stage "util-linux: building lsfd and test_mkfds"
ninja -C "$obj" lsfd test_mkfds >"$BUILD/util-linux-build.log" 2>&1 ||
	{ grep -E 'error|warning' "$BUILD/util-linux-build.log" | head -30; die "lsfd build failed"; }
grep -E 'warning:' "$BUILD/util-linux-build.log" | grep -E 'lsfd-cmd|test_mkfds' | head -20 || true
note "lsfd: $obj/lsfd ($("$obj/lsfd" --version))"
