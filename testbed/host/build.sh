#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Every build of the test bed, from the trees mktree.sh makes; output goes to
# the OBJ folders under build/, compilers run through ccache.
#
#   build.sh kernel SRC OBJ [FRAGMENT...]  x86_64 tinyconfig + testbed/kernel.config
#                                          + the fuse selftest config + FRAGMENTs:
#                                          bzImage and UAPI headers (OBJ/usr/include)
#   build.sh selftests SRC OBJ OUT         the kselftests filesystems/fuse and proc of
#                                          SRC, with the UAPI headers of the kernel in
#                                          OBJ, installed in OUT (run_kselftest.sh)
#   build.sh lsfd SRC OBJ UAPI             lsfd and util-linux's test helpers (meson)
#   build.sh libfuse SRC OBJ UAPI          libfuse, passthrough_hp, fusermount3, tests
#                                          (meson; with FUSE over io_uring, for
#                                          run-tests.py --io-uring)
#   build.sh lsof SRC OBJ UAPI             lsof and its tests' helper programs
#                                          (autoreconf -vif, configure)
#   build.sh psmisc SRC OBJ UAPI           fuser and its tests' helper programs
#                                          (./autogen.sh, configure; the stock tree
#                                          has no FUSE helper)
#   build.sh sparse                        sparse from Debian's newest source (the
#                                          kernel rejects Debian 12's 0.6.4); prints its path
#
# UAPI is the patched kernel's "make headers" output: Debian 12's
# linux-libc-dev has no FUSE passthrough in <linux/fuse.h>.
# The userspace SRCs are snapshots of upstream's development trees (git
# trees, not release tarballs: nothing generated is in them), configured
# the way upstream's own CI does it.

source "$(dirname "$0")/lib.sh"

export CCACHE_DIR=$CACHE/ccache CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G} CCACHE_SLOPPINESS=time_macros,include_file_mtime

# kernel SRC OBJ [FRAGMENT...]: reconfigures only when a fragment changed;
# prints a progress count, the compiler output goes to OBJ/build.log
kernel() {
	local src obj fragments want missing f line start total pid n pct bar rc
	src=$(cd "$1" && pwd)
	mkdir -p "$2"
	obj=$(cd "$2" && pwd)
	shift 2
	# The selftest config comes from this repository, so that the base
	# kernel (which lacks the file) is configured exactly like the patched one.
	fragments=("$TOP/testbed/kernel.config" "$TOP/selftests/filesystems/fuse/config" "$@")
	command -v ccache >/dev/null || die "ccache missing (make deps installs it)"
	export KBUILD_BUILD_TIMESTAMP="2026-01-01" KBUILD_BUILD_USER=fusevis KBUILD_BUILD_HOST=testbed
	local jobs=${JOBS:-$(nproc)}
	local mk=(make -C "$src" O="$obj" ARCH=x86_64 CC="ccache gcc" -j"$jobs")

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
	rm -f "$obj/.rc" # (an earlier test bed's status file, never to be read)
	"${mk[@]}" bzImage >"$obj/build.log" 2>&1 &
	pid=$!
	# (a background job ignores SIGINT: make goes when this script does)
	# shellcheck disable=SC2064 # the job is known now
	trap "kill $pid 2>/dev/null; wait $pid; exit 130" INT TERM HUP
	while kill -0 $pid 2>/dev/null; do
		sleep 1
		[ $((($(date +%s) - start) % 20)) = 0 ] || continue
		n=$(grep -c '^  CC ' "$obj/build.log" 2>/dev/null || true)
		pct=$((n * 100 / total))
		[ $pct -le 99 ] || pct=99
		bar=$(printf '%*s' $((pct / 5)) '' | tr ' ' '#')
		kill -0 $pid 2>/dev/null &&
			note "$(printf '%4ss [%-20s] %3s%%  %s of ~%s files' "$(($(date +%s) - start))" "$bar" "$pct" "$n" "$total")"
	done
	# make's own status: bash keeps it for the job until this wait
	rc=0
	wait $pid || rc=$?
	trap - INT TERM HUP
	if [ "$rc" != 0 ]; then
		grep -E 'error|Error' "$obj/build.log" | head -20 >&2 || true
		die "kernel build failed (make exited with $rc), see $obj/build.log"
	fi
	n=$(grep -c '^  CC ' "$obj/build.log" || true)
	[ "$n" -lt 1000 ] || echo "$n" >"$CACHE/kernel-files"
	note "bzImage ready in $(($(date +%s) - start))s: $obj/arch/x86/boot/bzImage"
	# Its UAPI headers, for everything built against this kernel's
	# <linux/fuse.h> (selftests, lsfd's test helper, libfuse, the benchmarks)
	"${mk[@]}" -s headers >"$obj/headers.log" 2>&1 ||
		{ cat "$obj/headers.log"; die "make headers failed"; }
	note "UAPI headers: $obj/usr/include"
}

# selftests SRC OBJ OUT: the kselftest collections filesystems/fuse (ours
# and upstream's programs) and proc, installed into OUT with their
# run_kselftest.sh, through the selftests' own Makefiles (lib.mk).  The
# programs are taken from the patched tree even when testing the base
# kernel, so the same binaries run on both.
selftests() {
	local src obj out c targets=(filesystems/fuse proc)
	src=$(cd "$1" && pwd) obj=$(cd "$2" && pwd)
	mkdir -p "$3"
	out=$(cd "$3" && pwd)
	stage "kselftests: ${targets[*]} -> $out"
	uapi "$obj/usr/include"
	# Installed anew: no program of an earlier build may stand in for one
	# that failed to build (FORCE_TARGETS: any target's failure fails it)
	rm -rf "$out"
	make -C "$src/tools/testing/selftests" TARGETS="${targets[*]}" O="$BUILD/kselftest-obj" FORCE_TARGETS=1 \
		KHDR_INCLUDES="-isystem $obj/usr/include" INSTALL_PATH="$out" install \
		>"$BUILD/kselftest-build.log" 2>&1 ||
		{ grep -E 'error|warning' "$BUILD/kselftest-build.log" | head -20 || true; die "kselftest build failed, see $BUILD/kselftest-build.log"; }
	# The install skips a collection that failed to build, and succeeds
	for c in "${targets[@]}"; do
		grep -q "^$c:" "$out/kselftest-list.txt" ||
			{ grep -E 'error' "$BUILD/kselftest-build.log" | head -20 || true; die "kselftest $c was not built, see $BUILD/kselftest-build.log"; }
	done
	for c in filesystems/fuse/fuse_fdinfo_test filesystems/fuse/fuse_fdinfo_stress \
		filesystems/fuse/fuse_userns_test proc/proc-maps-backing; do
		[ -x "$out/$c" ] || die "kselftest $c was not built, see $BUILD/kselftest-build.log"
	done
	note "built: $(grep -c . "$out/kselftest-list.txt") programs, $(cd "$out/filesystems/fuse" && printf '%s ' fuse_*test)"
}

uapi() { [ -f "$1/linux/fuse.h" ] || die "no UAPI headers in $1 (build.sh kernel makes them)"; }

# meson NAME SRC OBJ TARGET... -- ARG...: set up (again, when the arguments
# changed) and build with meson and ninja; the logs go to BUILD/NAME-*.log
meson_build() {
	local name=$1 src obj targets=() args want
	src=$(cd "$2" && pwd) obj=$3
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do targets+=("$1"); shift; done
	shift
	args=("$@")
	want="$src ${args[*]}"
	[ "$(cat "$obj/.setup-args" 2>/dev/null)" = "$want" ] || rm -rf "$obj"
	if [ ! -f "$obj/build.ninja" ]; then
		stage "$name: meson setup"
		meson setup "$obj" "$src" "${args[@]}" >"$BUILD/$name-setup.log" 2>&1 ||
			{ tail -30 "$BUILD/$name-setup.log"; die "meson setup of $name failed"; }
		echo "$want" >"$obj/.setup-args"
	fi
	stage "$name: building ${targets[*]:-everything}"
	# (ninja's default is two jobs more than cores: JOBS, as make's -j)
	ninja -C "$obj" -j"${JOBS:-$(nproc)}" "${targets[@]}" >"$BUILD/$name-build.log" 2>&1 ||
		{ grep -E 'error|warning' "$BUILD/$name-build.log" | head -30 || true; die "$name build failed"; }
}

# lsfd SRC OBJ UAPI: lsfd and what its tests run (tests/ts/lsfd: losetup for
# the tests on loop devices, findmnt, mount, ... and the test helpers) only,
# every other build-* option off
lsfd() {
	local src=$1 obj=$2 o opts=()
	local progs=(lsfd losetup findmnt mount umount mountpoint lsns unshare setpriv fallocate hexdump getino)
	uapi "$3"
	while IFS= read -r o; do
		case " libsmartcols libblkid libmount ${progs[*]} " in
		*" ${o#build-} "*) opts+=("-D$o=enabled") ;;
		*) opts+=("-D$o=disabled") ;;
		esac
	done < <(grep -o "option('build-[a-z0-9_-]*'" "$src/meson_options.txt" | sed "s/option('//; s/'//")
	meson_build util-linux "$src" "$obj" "${progs[@]}" test_mkfds test_open_twice test_sysinfo -- \
		--buildtype=debugoptimized -Dprogram-tests=true -Dc_args="-isystem $3" "${opts[@]}"
	grep -E 'warning:' "$BUILD/util-linux-build.log" | grep -E 'lsfd-cmd|test_mkfds' | head -20 || true
	note "lsfd: $obj/lsfd ($("$obj/lsfd" --version))"
}

# libfuse SRC OBJ UAPI: the library, examples (passthrough_hp), utilities
# (fusermount3) and test programs
libfuse() {
	uapi "$3"
	meson_build libfuse "$1" "$2" -- \
		--buildtype=debugoptimized -Dexamples=true -Dutils=true -Dtests=true \
		-Denable-io-uring=true -Dudevrulesdir=/tmp/unused-udev-rules -Dinitscriptdir= \
		-Dc_args="-isystem $3" -Dcpp_args="-isystem $3"
	# run-tests.py --io-uring runs the suite again over io_uring: liburing
	# (make deps) must have been found
	grep -q '^#define HAVE_URING' "$2/fuse_config.h" ||
		die "libfuse was configured without io_uring support (liburing-dev missing?), see $BUILD/libfuse-setup.log"
	note "passthrough_hp: $2/example/passthrough_hp"
}

# autotools NAME SRC OBJ UAPI BOOTSTRAP TARGET...: copy SRC (a tree of
# mktree.sh) into OBJ, run BOOTSTRAP there (upstream CI's: "autoreconf -vif",
# "./autogen.sh") when configure.ac or a Makefile.am changed, configure
# against the kernel's UAPI headers when that ran or the flags changed, make
# TARGETs; the logs go to BUILD/NAME-*.log
autotools() {
	local name=$1 src=$2 obj=$3 hdr=$4 bootstrap=$5 want makefiles
	shift 5
	uapi "$hdr"
	mkdir -p "$obj"
	# The tree's files with their times (mktree rewrites changed files
	# only), so make rebuilds what changed; no --delete: autoreconf's
	# output stays.
	rsync -a --exclude=.git "$src/" "$obj/"
	mapfile -t makefiles < <(cd "$obj" && find . -name Makefile.am | sort)
	want="$(cd "$obj" && cat configure.ac "${makefiles[@]}" | sha1sum) $bootstrap -isystem $hdr"
	if [ "$(cat "$obj/.configured" 2>/dev/null)" != "$want" ]; then
		stage "$name: $bootstrap, configure"
		# shellcheck disable=SC2086 # (the command and its arguments)
		(cd "$obj" && $bootstrap) >"$BUILD/$name-autoreconf.log" 2>&1 ||
			{ tail -30 "$BUILD/$name-autoreconf.log"; die "$bootstrap of $name failed"; }
		(cd "$obj" && ./configure CC="ccache gcc" CPPFLAGS="-isystem $hdr") \
			>"$BUILD/$name-configure.log" 2>&1 ||
			{ tail -30 "$BUILD/$name-configure.log"; die "configure of $name failed"; }
		echo "$want" >"$obj/.configured"
	fi
	stage "$name: building $*"
	make -C "$obj" -j"${JOBS:-$(nproc)}" "$@" >"$BUILD/$name-build.log" 2>&1 ||
		{ grep -E 'error|warning' "$BUILD/$name-build.log" | head -30 || true; die "$name build failed"; }
}

# lsof SRC OBJ UAPI: lsof, and the helper programs of its tests ("make check"
# with no tests to run builds them); for stock lsof (a tree without our
# test) too, whose whole suite is the reference of ours
lsof() {
	local name=lsof
	[ -f "$1/lib/dialects/linux/tests/fuse_passthrough.c" ] || name=lsof-base
	autotools "$name" "$1" "$2" "$3" "autoreconf -vif" all
	make -C "$2" -j"${JOBS:-$(nproc)}" check TESTS= >>"$BUILD/$name-build.log" 2>&1 ||
		{ tail -30 "$BUILD/$name-build.log"; die "$name test programs failed to build"; }
	note "lsof: $2/lsof ($("$2/lsof" -v 2>&1 | sed -n 's/^ *revision: *//p'))"
}

# psmisc SRC OBJ UAPI: fuser and the helper programs of its tests
psmisc() {
	local helpers=() h version
	# Its suite's programs (check_PROGRAMS), from its tree: fuser.exp
	# runs them from the build tree, and the guest builds nothing
	for h in socket_test test-listen fuse_passthrough_test; do
		[ ! -f "$1/src/$h.c" ] || helpers+=("src/$h")
	done
	# A snapshot has no git history, so misc/git-version-gen says "UNKNOWN",
	# which the suite's version regexp (testsuite/config/unix.exp) does not
	# take: the last release of the ChangeLog and the commit, as git
	# describe would put them, in .tarball-version (read by autogen.sh)
	upstream_source psmisc
	version=$(sed -n 's/^Changes in \([0-9][0-9.]*\)$/\1/p' "$1/ChangeLog" | head -n 1)-g${SRC_VERSION:0:12}
	mkdir -p "$2"
	if [ "$(cat "$2/.tarball-version" 2>/dev/null)" != "$version" ]; then
		echo "$version" >"$2/.tarball-version"
		rm -f "$2/.configured"
	fi
	autotools "psmisc$([ -f "$1/src/fuse_passthrough_test.c" ] || echo -base)" "$1" "$2" "$3" ./autogen.sh all "${helpers[@]}"
	note "fuser: $2/src/fuser ($("$2/src/fuser" -V 2>&1 | head -n 1))"
}

# sparse: built once into $CACHE/sparse; prints its path
sparse() {
	local bin=$CACHE/sparse/bin/sparse
	if [ -x "$bin" ] && "$BUILD/linux/scripts/checker-valid.sh" "$bin" -m64 2>/dev/null | grep -qx 1; then
		echo "$bin"
		return
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
}

what=${1:?usage: build.sh kernel|selftests|lsfd|libfuse|lsof|psmisc|sparse ARG...}
shift
case "$what" in
kernel | selftests | lsfd | libfuse | lsof | psmisc | sparse) "$what" "$@" ;;
*) die "build.sh: unknown build '$what'" ;;
esac
