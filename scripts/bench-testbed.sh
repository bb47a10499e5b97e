#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-testbed.sh TIMINGS: what the test bed costs here.  Measures a warm
# "make check" after touching one fs/fuse file of the test-bed tree, and
# appends it to TIMINGS.  (A cold run is .ci/run on a clean clone; it prints
# its own wall time.)

source "$(dirname "$0")/lib.sh"

timings=${1:?usage: bench-testbed.sh TIMINGS}
stage "bench: warm make check after touching one fs/fuse file"
touch "$BUILD/linux/fs/fuse/fdinfo.c"
start=$(date +%s)
make -C "$TOP" check >"$BUILD/bench-make-check.log" 2>&1 ||
	die "make check failed (see $BUILD/bench-make-check.log)"
secs=$(($(date +%s) - start))
sed -i '/^warm make check/d' "$timings" 2>/dev/null || true
echo "warm make check, one fs/fuse file touched $secs" >>"$timings"
note "warm make check: $secs s"
