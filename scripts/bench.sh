#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh OBJ OBJ_BASE UL_OBJ UL_BASE_OBJ OUTDIR
#
# Build testbed/bench/fdinfo_bench, run the benchmarks in the booted patched
# kernel, run the passthrough read benchmark in the patched and the base
# kernel interleaved (P B P B P B: BENCH_ROUNDS boots of each), and write OUTDIR/bench.md (every figure with
# its baseline, ratio and spread) and OUTDIR/list.png (benchmark 1, log axes,
# gnuplot).  Fails only when a benchmark could not run; asserts no time.

source "$(dirname "$0")/lib.sh"

obj=${1:?usage: bench.sh OBJ OBJ_BASE UL_OBJ UL_BASE_OBJ OUTDIR}
obj_base=${2:?} ul_obj=${3:?} ul_base_obj=${4:?} out=${5:?}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ul_obj=$(cd "$ul_obj" && pwd) ul_base_obj=$(cd "$ul_base_obj" && pwd)
bench=$BUILD/fdinfo_bench

stage "bench: building fdinfo_bench"
gcc -Wall -O2 -isystem "$obj/usr/include" -o "$bench" "$TOP/testbed/bench/fdinfo_bench.c" -lpthread

run() {	# run IMAGE NAME MODE (the guest writes only to its own vm-NAME)
	"$TOP/scripts/vm-run.sh" "$1" "$out/vm-$2" \
		testbed/guest/bench.sh "$bench" "$ul_obj" "$ul_base_obj" "$out/vm-$2/figures.txt" "$3" >/dev/null ||
		die "benchmark run $2 failed (see $out/vm-$2/console.log)"
	[ -s "$out/vm-$2/figures.txt" ] || die "benchmark run $2 measured nothing (see $out/vm-$2/console.log)"
	cp "$out/vm-$2/figures.txt" "$out/$2.txt"
	note "$2: $(wc -l <"$out/$2.txt") figures"
}
# Boots alternate patched and base, BENCH_ROUNDS times: every figure is then
# a median over boots, its spread the range between boots
[ -f "$obj_base/arch/x86/boot/bzImage" ] || die "no base kernel: make kernel-base first"
rm -f "$out"/patched-*.txt "$out"/base-*.txt
for i in $(seq "${BENCH_ROUNDS:-3}"); do
	run "$obj/arch/x86/boot/bzImage" "patched-$i" full
	run "$obj_base/arch/x86/boot/bzImage" "base-$i" read
done

stage "bench: table and plot"
python3 "$TOP/testbed/bench/report.py" "$out" "$BUILD" >"$out/bench.md"
gnuplot "$out/list.gp" || die "gnuplot failed"
note "table: $out/bench.md, plot: $out/list.png"
