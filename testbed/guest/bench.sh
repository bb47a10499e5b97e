#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test-bed guest, as root: bench.sh BENCH UL_OBJ UL_BASE_OBJ OUT MODE
# MODE "full" runs every benchmark (patched kernel), "read" only the
# passthrough read throughput (for the base kernel).  Writes "name value"
# lines to OUT.

set -eu
bench=$1 ul_obj=$2 ul_base_obj=$3 out=$4 mode=$5
: >"$out"
cd /tmp

"$bench" read 4096 16 >>"$out"
"$bench" read 1048576 64 >>"$out"
[ "$mode" = full ] || exit 0

for n in 1000 10000 100000; do
	reps=$((n >= 100000 ? 3 : n >= 10000 ? 7 : 21))
	"$bench" list $n $reps >>"$out"
done
"$bench" file 1001 >>"$out"
"$bench" ioctl 10000 2001 >>"$out"

# lsfd with and without the FUSE columns against stock lsfd, on the same
# processes: a FUSE passthrough server with its app fd, plus everything else
coproc MKFDS { "$ul_obj/test_mkfds" fuse-passthrough 3 4 dir=/tmp; }
read -r -u "${MKFDS[0]}" _ _ _
med() {	# med CMD...: median wall time in ns of 15 runs
	local t=()
	for _ in $(seq 15); do
		s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
		t+=($((e - s)))
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n 8p
}
echo "lsfd_stock_ns $(med "$ul_base_obj/lsfd")" >>"$out"
echo "lsfd_patched_ns $(med "$ul_obj/lsfd")" >>"$out"
echo "lsfd_patched_fuse_ns $(med "$ul_obj/lsfd" -o +FUSE.CONN,FUSE.OPEN-FLAGS,FUSE.BACKING-ID,FUSE.BACKING)" >>"$out"
echo "lsfd_stock_ns2 $(med "$ul_base_obj/lsfd")" >>"$out"
echo DONE >&"${MKFDS[1]}"
wait "$MKFDS_PID"
