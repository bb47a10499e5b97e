#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build sparse from Debian's newest source (the kernel's checker-valid.sh
# rejects Debian 12's sparse 0.6.4) into $CACHE/sparse; print its path.

source "$(dirname "$0")/lib.sh"

bin=$CACHE/sparse/bin/sparse
if [ -x "$bin" ] && "$BUILD/linux/scripts/checker-valid.sh" "$bin" -m64 2>/dev/null | grep -qx 1; then
	echo "$bin"
	exit 0
fi
upstream_source sparse
stage "building sparse $SRC_VERSION" >&2
rm -rf "$BUILD/sparse-src"
mkdir -p "$BUILD/sparse-src"
tar -C "$BUILD/sparse-src" --strip-components=1 -xaf "$SRC_FILE"
make -s -C "$BUILD/sparse-src" -j"$(nproc)" PREFIX="$CACHE/sparse" \
	HAVE_LIBXML=no HAVE_SQLITE=no HAVE_GTK=no HAVE_LLVM=no sparse >"$BUILD/sparse-src/build.log" 2>&1 ||
	{ cat "$BUILD/sparse-src/build.log" >&2; die "sparse build failed"; }
mkdir -p "$CACHE/sparse/bin"
cp "$BUILD/sparse-src/sparse" "$bin"
echo "$bin"
