#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-selftests.sh SRC OBJ OUT
#
# Build this project's kselftest programs from the kernel tree SRC, with the
# UAPI headers of the kernel built in OBJ (by build-kernel.sh), into OUT, through the selftest's
# own Makefile (lib.mk).  The programs are taken from the patched tree even
# when testing the base kernel, so the same binaries run on both.

source "$(dirname "$0")/lib.sh"

src=$(cd "${1:?usage: build-selftests.sh SRC OBJ OUT}" && pwd)
obj=$(cd "${2:?}" && pwd)
out=${3:?}
mkdir -p "$out"
out=$(cd "$out" && pwd)

stage "selftests: filesystems/fuse -> $out"
[ -f "$obj/usr/include/linux/fuse.h" ] || die "no UAPI headers in $obj/usr/include (scripts/build-kernel.sh makes them)"
make -s -C "$src/tools/testing/selftests/filesystems/fuse" \
	OUTPUT="$out" KHDR_INCLUDES="-isystem $obj/usr/include" \
	"$out/fuse_fdinfo_test" "$out/fuse_fdinfo_stress"
note "built: $(cd "$out" && ls fuse_*test | tr '\n' ' ')"
