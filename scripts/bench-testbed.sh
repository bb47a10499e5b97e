#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-testbed.sh TIMINGS: what the test bed costs on this machine, written
# to TIMINGS as "what seconds" lines.
#   cold: "make check" in a new build folder with ccache disabled: unpacking
#         the trees, configuring and building the kernel, selftests, lsfd,
#         libfuse, then the VM run (the downloads and the sparse binary stay
#         cached in ~/.cache/fuse-visibility).  BENCH_COLD=0 skips it and
#         keeps the last cold figure.
#   warm: "make check" after touching one fs/fuse file of the test-bed tree.

source "$(dirname "$0")/lib.sh"

timings=${1:?usage: bench-testbed.sh TIMINGS}
touch "$timings"

if [ "${BENCH_COLD:-1}" != 0 ]; then
	stage "bench: cold make check (new build folder, no ccache)"
	cold=$BUILD/cold
	rm -rf "$cold"
	start=$(date +%s)
	CCACHE_DISABLE=1 make -C "$TOP" BUILD="$cold" OUT="$cold/out" check \
		>"$BUILD/bench-make-check-cold.log" 2>&1 ||
		die "cold make check failed (see $BUILD/bench-make-check-cold.log)"
	secs=$(($(date +%s) - start))
	rm -rf "$cold"
	sed -i '/^cold make check/d' "$timings"
	echo "cold make check, new build folder, ccache off $secs" >>"$timings"
	note "cold make check: $secs s"
fi

stage "bench: warm make check after touching one fs/fuse file"
touch "$BUILD/linux/fs/fuse/fdinfo.c"
start=$(date +%s)
make -C "$TOP" check >"$BUILD/bench-make-check.log" 2>&1 ||
	die "make check failed (see $BUILD/bench-make-check.log)"
secs=$(($(date +%s) - start))
sed -i '/^warm make check/d' "$timings"
echo "warm make check, one fs/fuse file touched $secs" >>"$timings"
note "warm make check: $secs s"
