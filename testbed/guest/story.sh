#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's story, inside the test-bed guest, as root:
#   [KERNEL=patched|base] story.sh FUSE_OBJ UL_OBJ
# libfuse's passthrough_hp serves a small tree, an app reads through it,
# and every backing file the kernel holds is shown: the app's fdinfo, the
# server's /dev/fuse fdinfo, lsfd, and the query that finds who pins a
# backing file after the server closed its id (util-linux's test_mkfds
# fuse-passthrough plays a careful server there: passthrough_hp keeps its
# ids while files are open), and what a server that dies leaves behind.

set -u
fuse_obj=$1 ul_obj=$2
lsfd=$ul_obj/lsfd
heading() { printf '\n\033[1m===== %s\033[0m\n' "$*"; }
run() { printf '\033[2m# %s\033[0m\n' "$*"; eval "$@"; }

heading "printed by the ${KERNEL:-booted} kernel: $(uname -r) $(uname -v)"
demo=/tmp/demo
mkdir -p $demo/lower $demo/mnt $demo/pinned $demo/mkfds
mount -t tmpfs demo-lower $demo/lower
mount -t tmpfs demo-pinned $demo/pinned
echo "hello through passthrough" >$demo/lower/hello.txt
echo "a name with a space" >"$demo/lower/name with space.txt"
head -c 1M /dev/zero >$demo/lower/data.bin

heading "passthrough_hp serves $demo/lower on $demo/mnt"
"$fuse_obj/example/passthrough_hp" --foreground $demo/lower $demo/mnt \
	>$demo/passthrough_hp.log 2>&1 &
srv=$!
for _ in $(seq 100); do mountpoint -q $demo/mnt && break; sleep 0.1; done
run "ls -l $demo/mnt"

heading "an app (pid below) opens two files through the mount and keeps them"
sleep 3600 3<$demo/mnt/hello.txt 4<"$demo/mnt/name with space.txt" &
app=$!
sleep 0.5
run "cat /proc/$app/fd/3 >/dev/null; ls -l /proc/$app/fd/ | grep demo"
echo "(the fd links show the FUSE path, as before)"

heading "cat /proc/$app/fdinfo/3   (the app's passthrough fd)"
cat /proc/$app/fdinfo/3

heading "cat /proc/$app/fdinfo/4"
cat /proc/$app/fdinfo/4

devfd=
for f in /proc/$srv/fd/*; do
	[ "$(readlink "$f")" = /dev/fuse ] && devfd=${f##*/} && break
done
heading "cat /proc/$srv/fdinfo/$devfd   (passthrough_hp's /dev/fuse)"
cat /proc/$srv/fdinfo/$devfd

heading "lsfd -o +FUSE.BACKING for the app and the server"
run "$lsfd -p '$app $srv' -o COMMAND,PID,FD,TYPE,NAME,FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING -Q 'FUSE.CONN > 0'"

heading "who pins $demo/lower?"
run "$lsfd -o COMMAND,PID,FD,FUSE.BACKING-ID,FUSE.BACKING -Q 'FUSE.BACKING =~ \"(^|: )$demo/lower/\"'"

heading "a careful server closes the id while the app keeps the file open"
echo "(test_mkfds fuse-passthrough: registers $demo/pinned/data, opens it as fd 4"
echo " through its own FUSE mount, then closes the backing id and its own fd)"
coproc MKFDS { "$ul_obj/test_mkfds" fuse-passthrough 3 4 dir=$demo/mkfds \
	backing=$demo/pinned/data close-id=true; }
read -r -u "${MKFDS[0]}" mk mksrv mkid
echo "app pid $mk (fd 4), server pid $mksrv, backing id $mkid (closed)"
run "umount $demo/pinned"
run "ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -c $demo/pinned"
echo "(umount says busy, and no fd link anywhere points into $demo/pinned)"
run "cat /proc/$mk/fdinfo/4"
run "$lsfd -o COMMAND,PID,FD,NAME,FUSE.BACKING-ID,FUSE.BACKING -Q 'FUSE.BACKING =~ \"^$demo/pinned/\"'"
echo DONE >&"${MKFDS[1]}"
wait "$MKFDS_PID"
run "umount $demo/pinned && echo unmounted once the app closed its file"

heading "passthrough_hp dies while its mount stays and the app keeps its files"
run "kill -KILL $srv; wait $srv 2>/dev/null"
run "cat /proc/$app/fdinfo/3"
[ "${KERNEL:-}" = base ] ||
	printf '%s\n' "(the app's file keeps working and still names its backing file; the" \
		" ids the dead server registered are closed: no /dev/fuse is left to list them)"
run "kill $app; wait $app 2>/dev/null"
run "umount $demo/lower && echo unmounted: the dead server pins nothing"
umount -l $demo/mnt
! mountpoint -q $demo/lower || umount -l $demo/lower
