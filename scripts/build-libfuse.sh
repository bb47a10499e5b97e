#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-libfuse.sh SRC OBJ [UAPI_INCLUDE_DIR]
#
# Build libfuse, its examples (passthrough_hp), utilities (fusermount3) and
# test programs from the tree SRC (made by mktree.sh) with meson into OBJ.

source "$(dirname "$0")/lib.sh"

src=$(cd "${1:?usage: build-libfuse.sh SRC OBJ [UAPI_INCLUDE_DIR]}" && pwd)
obj=${2:?}
uapi=${3:-}
[ -z "$uapi" ] || [ -f "$uapi/linux/fuse.h" ] || die "no UAPI headers in $uapi (scripts/build-kernel.sh makes them)"
args=(--buildtype=debugoptimized -Dexamples=true -Dutils=true -Dtests=true
      -Denable-io-uring=false -Dudevrulesdir=/tmp/unused-udev-rules
      -Dinitscriptdir=)
[ -z "$uapi" ] || args+=(-Dc_args="-isystem $uapi" -Dcpp_args="-isystem $uapi")

want="$src ${args[*]}"
[ "$(cat "$obj/.setup-args" 2>/dev/null)" = "$want" ] || rm -rf "$obj"
if [ ! -f "$obj/build.ninja" ]; then
	stage "libfuse: meson setup"
	meson setup "$obj" "$src" "${args[@]}" >"$BUILD/libfuse-setup.log" 2>&1 ||
		{ tail -30 "$BUILD/libfuse-setup.log"; die "meson setup failed"; }
	echo "$want" >"$obj/.setup-args"
fi
stage "libfuse: building library, examples, utilities and tests"
ninja -C "$obj" >"$BUILD/libfuse-build.log" 2>&1 ||
	{ grep -E 'error' "$BUILD/libfuse-build.log" | head -30; die "libfuse build failed"; }
note "passthrough_hp: $obj/example/passthrough_hp"
