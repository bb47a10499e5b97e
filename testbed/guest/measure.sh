#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test-bed guest, as root: measure.sh BENCH UL_OBJ UL_BASE_OBJ OUT MODE
# MODE "full" runs every benchmark (patched kernel), "read" only the
# passthrough read throughput (for the base kernel).  With LSOF_OBJ,
# LSOF_BASE_OBJ, PSMISC_OBJ and PSMISC_BASE_OBJ, also lsof and fuser, patched
# against stock.  Writes "name [N] value"
# lines to OUT, with the repetition counts used (testbed/bench/report.py).

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
	echo "list_reps $n $reps" >>"$out"
done
file_reps=1001
{
	"$bench" file $file_reps
	echo "file_reps $file_reps"
	"$bench" ioctl 10000 3001
} >>"$out"

# lsfd with and without the FUSE columns against stock lsfd, on the same
# processes: a FUSE passthrough server with its app fd, plus everything else.
# The commands run round-robin, 15 rounds, and each gets the median of its
# 15 wall times.  Control: stock and patched lsfd with four other
# columns added (+POS,FLAGS,DELETED,OWNER): what any four columns cost.
coproc MKFDS { "$ul_obj/test_mkfds" fuse-passthrough 3 4 dir=/tmp; }
read -r -u "${MKFDS[0]}" _ _ _ _
fuse_cols=+FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING,FUSE.BACKING-FILES
other_cols=+POS,FLAGS,DELETED,OWNER
declare -A t=()
ns() {	# ns NAME CMD...: append the wall time of CMD in ns to t[NAME]
	local name=$1 s e
	shift
	s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
	t[$name]+="$((e - s)) "
}
med() {	# med NAME: median of t[NAME]
	local times
	read -ra times <<<"${t[$1]}"
	printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
"$ul_base_obj/lsfd" >/dev/null; "$ul_obj/lsfd" >/dev/null	# warm the page cache
rounds=15
echo "lsfd_rounds $rounds" >>"$out"
for _ in $(seq $rounds); do
	ns lsfd_stock_ns "$ul_base_obj/lsfd"
	ns lsfd_patched_ns "$ul_obj/lsfd"
	ns lsfd_patched_fuse_ns "$ul_obj/lsfd" -o "$fuse_cols"
	ns lsfd_stock_other_ns "$ul_base_obj/lsfd" -o "$other_cols"
	ns lsfd_patched_other_ns "$ul_obj/lsfd" -o "$other_cols"
done
for k in lsfd_stock_ns lsfd_patched_ns lsfd_patched_fuse_ns lsfd_stock_other_ns lsfd_patched_other_ns; do
	echo "$k $(med $k)" >>"$out"
done

# lsof and fuser, patched against stock, on the same processes: the whole
# system (lsof -n -P; fuser -vm /, whose / holds every process), 15 rounds
# round-robin, the median of each
if [ -n "${LSOF_OBJ:-}" ]; then
	lsof_p=$LSOF_OBJ/lsof lsof_s=$LSOF_BASE_OBJ/lsof
	fuser_p=$PSMISC_OBJ/src/fuser fuser_s=$PSMISC_BASE_OBJ/src/fuser
	"$lsof_s" -n -P >/dev/null 2>&1; "$lsof_p" -n -P >/dev/null 2>&1
	t=()
	echo "tools_rounds $rounds" >>"$out"
	for _ in $(seq $rounds); do
		ns lsof_stock_ns "$lsof_s" -n -P
		ns lsof_patched_ns "$lsof_p" -n -P
		ns fuser_stock_ns "$fuser_s" -vm /
		ns fuser_patched_ns "$fuser_p" -vm /
	done
	for k in lsof_stock_ns lsof_patched_ns fuser_stock_ns fuser_patched_ns; do
		echo "$k $(med $k)" >>"$out"
	done
	# what they list, so that a row compares like with like
	echo "lsof_stock_lines $("$lsof_s" -n -P 2>/dev/null | wc -l)" >>"$out"
	echo "lsof_patched_lines $("$lsof_p" -n -P 2>/dev/null | wc -l)" >>"$out"
fi
echo DONE >&"${MKFDS[1]}"
wait "$MKFDS_PID"

# lsfd on one FUSE server holding N backing ids, against reading the fdinfo
# of its /dev/fuse alone: what lsfd adds on top of the kernel's listing.
# N = 0 is the fixed part of both (lsfd's start, the harness's fork and
# exec), for the marginal ratio (report.py).  Control: stock lsfd -p on the
# same server, which reads the same fdinfo and shows none of it
for n in 0 1000 10000 100000; do
	coproc HOLD { "$bench" hold $n; }
	read -r -u "${HOLD[0]}" pid devfd
	t=()
	for _ in $(seq 5); do
		ns fdinfo cat "/proc/$pid/fdinfo/$devfd"
		ns lsfd "$ul_obj/lsfd" -p "$pid" -o +FUSE.BACKING-FILES
		ns stock "$ul_base_obj/lsfd" -p "$pid"
	done
	lines=$("$ul_obj/lsfd" -p "$pid" -n -o FUSE.BACKING-FILES | grep -c '^[0-9]*,/' || true)
	{
		echo "lsfd_ids_ns $n $(med lsfd)"
		echo "lsfd_ids_fdinfo_ns $n $(med fdinfo)"
		echo "lsfd_ids_stock_ns $n $(med stock)"
		echo "lsfd_ids_listed $n $lines"
	} >>"$out"
	fd=${HOLD[1]}
	exec {fd}>&-
	wait "$HOLD_PID"
done
