#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh SRC OBJ [FRAGMENT...]
#
# Configure (x86_64 tinyconfig + testbed/kernel.config + the fuse selftest
# config + any extra FRAGMENTs) and build bzImage and the UAPI headers
# (OBJ/usr/include) of the kernel tree SRC into OBJ, through ccache.
# Reconfigures only when a fragment changed.  Prints stage names and a
# progress count; the compiler output goes to OBJ/build.log.

source "$(dirname "$0")/lib.sh"

src=$(cd "${1:?usage: build-kernel.sh SRC OBJ [FRAGMENT...]}" && pwd)
obj=${2:?usage: build-kernel.sh SRC OBJ [FRAGMENT...]}
shift 2
mkdir -p "$obj"
obj=$(cd "$obj" && pwd)

# The selftest config comes from this repository, so that the base kernel
# (which lacks the file) is configured exactly like the patched one.
fragments=("$TOP/testbed/kernel.config" "$TOP/selftests/filesystems/fuse/config" "$@")

command -v ccache >/dev/null || die "ccache missing (make deps installs it)"
export CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G} CCACHE_SLOPPINESS=time_macros,include_file_mtime
export KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=fusevis KBUILD_BUILD_HOST=testbed
jobs=${JOBS:-$(nproc)}
mk=(make -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" -j"$jobs")

want=$(cat "${fragments[@]}" | sha1sum | cut -c1-40)
if [ ! -f "$obj/.config" ] || [ "$(cat "$obj/.fragments" 2>/dev/null)" != "$want" ]; then
	stage "configure: tinyconfig + ${fragments[*]##*/}"
	"${mk[@]}" -s tinyconfig >"$obj/config.log" 2>&1
	KCONFIG_CONFIG=$obj/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$obj" \
		"$obj/.config" "${fragments[@]}" >>"$obj/config.log" 2>&1
	"${mk[@]}" -s olddefconfig >>"$obj/config.log" 2>&1
	# Every requested option must have survived olddefconfig.
	missing=0
	for f in "${fragments[@]}"; do
		while read -r line; do
			case "$line" in CONFIG_*=*) ;; *) continue ;; esac
			grep -qxF "$line" "$obj/.config" || { note "not set: $line (from ${f##*/})"; missing=1; }
		done <"$f"
	done
	[ $missing = 0 ] || die "kernel configuration incomplete, see $obj/config.log"
	echo "$want" >"$obj/.fragments"
fi

stage "build: $(basename "$src") -> $obj (make -j$jobs, log in $obj/build.log)"
start=$(date +%s)
# One line every 20 s: files compiled so far, of about how many a full
# build of this configuration compiles (learnt from the last full build).
total=$(cat "$CACHE/kernel-files" 2>/dev/null || echo 1450)
("${mk[@]}" bzImage >"$obj/build.log" 2>&1; echo $? >"$obj/.rc") &
pid=$!
while kill -0 $pid 2>/dev/null; do
	sleep 20
	n=$(grep -c '^  CC ' "$obj/build.log" 2>/dev/null || true)
	pct=$((n * 100 / total))
	[ $pct -le 99 ] || pct=99
	bar=$(printf '%*s' $((pct / 5)) '' | tr ' ' '#')
	kill -0 $pid 2>/dev/null &&
		note "$(printf '%4ss [%-20s] %3s%%  %s of ~%s files' "$(($(date +%s) - start))" "$bar" "$pct" "$n" "$total")"
done
wait $pid || true
rc=$(cat "$obj/.rc")
if [ "$rc" != 0 ]; then
	grep -E 'error|Error' "$obj/build.log" | head -20 >&2
	die "kernel build failed (rc $rc), see $obj/build.log"
fi
n=$(grep -c '^  CC ' "$obj/build.log" || true)
[ "$n" -lt 1000 ] || echo "$n" >"$CACHE/kernel-files"
note "bzImage ready in $(($(date +%s) - start))s: $obj/arch/x86/boot/bzImage"
# Its UAPI headers, for everything built against this kernel's
# <linux/fuse.h> (selftests, lsfd's test helper, libfuse, the benchmarks)
"${mk[@]}" -s headers >"$obj/headers.log" 2>&1 ||
	{ cat "$obj/headers.log"; die "make headers failed"; }
note "UAPI headers: $obj/usr/include"
