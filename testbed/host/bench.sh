#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
#   bench.sh run OBJ OBJ_BASE UL_OBJ UL_BASE_OBJ OUTDIR [TIMINGS]
#     (and LSOF_OBJ, LSOF_BASE_OBJ, PSMISC_OBJ, PSMISC_BASE_OBJ: lsof and
#     fuser, patched and stock, in the environment)
#   bench.sh time-check TIMINGS
#
# run: build testbed/bench/fdinfo_bench, boot the patched and the base
# kernel alternating (P B P B P B: BENCH_ROUNDS boots of each), run
# testbed/guest/measure.sh in each (every benchmark in the patched kernel, the
# passthrough read throughput in both), then report once: OUTDIR/bench.md
# (every figure with its baseline, ratio and spread, plus TIMINGS if there)
# and OUTDIR/list.png, OUTDIR/lsfd.png.  Fails only when a benchmark could not run; asserts
# no time.
#
# time-check: what the test bed costs on this machine, as "what seconds"
# lines in TIMINGS: a cold "make check" in a new build folder with ccache
# off (BENCH_COLD=0 skips it and keeps the last figure), and a warm one
# after touching one fs/fuse file.

source "$(dirname "$0")/lib.sh"

run() {
	local obj=$1 obj_base=$2 ul_obj ul_base_obj out=$5 timings=${6:-} bench i
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	ul_obj=$(cd "$3" && pwd) ul_base_obj=$(cd "$4" && pwd)
	bench=$BUILD/fdinfo_bench
	[ -f "$obj_base/arch/x86/boot/bzImage" ] || die "no base kernel: make kernel-base first"
	: "${LSOF_OBJ:?}" "${LSOF_BASE_OBJ:?}" "${PSMISC_OBJ:?}" "${PSMISC_BASE_OBJ:?}"

	stage "bench: building fdinfo_bench"
	gcc -Wall -O2 -isystem "$obj/usr/include" -I "$TOP/selftests/filesystems/fuse" -o "$bench" "$TOP/testbed/bench/fdinfo_bench.c" -lpthread

	# boot_one IMAGE NAME MODE: the guest writes only to its own vm-NAME
	boot_one() {
		boot "$1" "$out/vm-$2" LSOF_OBJ="$LSOF_OBJ" LSOF_BASE_OBJ="$LSOF_BASE_OBJ" \
			PSMISC_OBJ="$PSMISC_OBJ" PSMISC_BASE_OBJ="$PSMISC_BASE_OBJ" \
			testbed/guest/measure.sh "$bench" "$ul_obj" "$ul_base_obj" \
			"$out/vm-$2/figures.txt" "$3" >/dev/null ||
			die "benchmark run $2 failed (see $out/vm-$2/console.log)"
		[ -s "$out/vm-$2/figures.txt" ] || die "benchmark run $2 measured nothing (see $out/vm-$2/console.log)"
		cp "$out/vm-$2/figures.txt" "$out/$2.txt"
		note "$2: $(wc -l <"$out/$2.txt") figures"
	}
	# Every figure is then a median over boots, its spread the range
	# between boots
	rm -f "$out"/patched-*.txt "$out"/base-*.txt
	for i in $(seq "${BENCH_ROUNDS:-3}"); do
		boot_one "$obj/arch/x86/boot/bzImage" "patched-$i" full
		boot_one "$obj_base/arch/x86/boot/bzImage" "base-$i" read
	done

	stage "bench: table and plot"
	python3 "$TOP/testbed/bench/report.py" "$out" ${timings:+"$timings"} >"$out/bench.md"
	gnuplot "$out/list.gp" || die "gnuplot failed"
	cat "$out/bench.md"
	note "table: $out/bench.md, plots: $out/list.png, $out/lsfd.png"
}

# timed WHAT LOG MAKE_ARGS...: one make check, its time recorded as WHAT
timed() {
	local what=$1 log=$2 start secs
	shift 2
	start=$(date +%s)
	make -C "$TOP" "$@" check >"$log" 2>&1 || die "$what failed (see $log)"
	secs=$(($(date +%s) - start))
	sed -i "/^$what /d" "$timings"
	echo "$what $secs" >>"$timings"
	note "$what: $secs s"
}

time_check() {
	timings=$1
	touch "$timings"
	if [ "${BENCH_COLD:-1}" != 0 ]; then
		stage "time-check: cold make check (new build folder, no ccache)"
		rm -rf "$BUILD/cold"
		CCACHE_DISABLE=1 timed "cold make check, new build folder, ccache off" \
			"$BUILD/time-check-cold.log" BUILD="$BUILD/cold" OUT="$BUILD/cold/out"
		rm -rf "$BUILD/cold"
	fi
	stage "time-check: warm make check after touching one fs/fuse file"
	touch "$BUILD/linux/fs/fuse/fdinfo.c"
	timed "warm make check, one fs/fuse file touched" "$BUILD/time-check-warm.log"
}

case "${1:-}" in
run) shift; run "$@" ;;
time-check) shift; time_check "$@" ;;
*) die "usage: bench.sh run OBJ OBJ_BASE UL_OBJ UL_BASE_OBJ OUTDIR [TIMINGS] | bench.sh time-check TIMINGS" ;;
esac
