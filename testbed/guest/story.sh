#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's story, inside the test-bed guest, as root:
#   [KERNEL=patched|base] story.sh FUSE_OBJ UL_OBJ LSOF_OBJ PSMISC_OBJ
# libfuse's passthrough_hp serves a small tree, an app reads through it,
# and every backing file the kernel holds is shown: the app's fdinfo, the
# server's /dev/fuse fdinfo, lsfd, and the query that finds who pins a
# backing file after the server closed its id (util-linux's test_mkfds
# fuse-passthrough plays a careful server there: passthrough_hp keeps its
# ids while files are open), a mapping that outlives its fd, and what a
# server that dies leaves behind; and the admin's way through it all:
# umount says busy, fuser -vm and lsof name who holds the file system,
# fuser -km kills them, umount succeeds.

set -u
fuse_obj=$1 ul_obj=$2 lsof_obj=$3 psmisc_obj=$4
lsfd=$ul_obj/lsfd
lsof=$lsof_obj/lsof
# fuser -v prints the PIDs on stdout, the rest on stderr: unbuffered and
# both to one file (2>&1 below), in order
fuser="stdbuf -o0 $psmisc_obj/src/fuser"
heading() { printf '\n\033[1m===== %s\033[0m\n' "$*"; }
run() { printf '\033[2m# %s\033[0m\n' "$*"; eval "$*"; }

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
for f in "/proc/$srv/fd/"*; do
	[ "$(readlink "$f")" = /dev/fuse ] && devfd=${f##*/} && break
done
heading "cat /proc/$srv/fdinfo/$devfd   (passthrough_hp's /dev/fuse)"
cat "/proc/$srv/fdinfo/$devfd"

heading "lsfd: the app's files, the server's /dev/fuse, and each other's ENDPOINTS"
run "$lsfd -p '$app $srv' -o COMMAND,PID,FD,NAME,FUSE.BACKING-ID,FUSE.BACKING,ENDPOINTS -Q 'FUSE.CONN > 0 and TYPE == \"REG\"'"
run "$lsfd -p '$app $srv' -o COMMAND,PID,FD,NAME,FUSE.BACKING-FILES,ENDPOINTS -Q 'TYPE == \"CHR\" and FUSE.CONN > 0'"
run "$lsfd -p $app -o FD,FUSE.BACKING-DEV,FUSE.BACKING-INODE,FUSE.BACKING -Q 'FUSE.BACKING-ID > 0'"

heading "who pins $demo/lower?"
run "$lsfd -o COMMAND,PID,FD,FUSE.BACKING-ID,FUSE.BACKING,FUSE.BACKING-FILES -Q 'FUSE.BACKING =~ \"^$demo/lower/\" or FUSE.BACKING-FILES =~ \"[0-9],$demo/lower/\"'"

heading "the admin: umount $demo/lower says busy; fuser and lsof say who holds it"
run "umount $demo/lower"
run "$fuser -vm $demo/lower 2>&1"
run "$lsof $demo/lower"
echo "(bk3: the backing file the kernel holds for the app's fd 3; bk$devfd: the"
echo " ids passthrough_hp registered on its /dev/fuse, fd $devfd)"
run "$lsof +E -p $app -a -d 3"
echo "(+E: the app's FUSE file and the server's /dev/fuse, by their connection)"

heading "a backing file with no name: the app's second file is removed from $demo/lower"
run "rm '$demo/lower/name with space.txt'"
run "grep fuse_backing /proc/$app/fdinfo/4"
run "$fuser -vm $demo/lower 2>&1"
run "$lsof -a -p $app -d bk"
echo "(found by the device and inode the kernel names: no path leads to the file)"

heading "a careful server closes the id while the app keeps the file open"
echo "(test_mkfds fuse-passthrough: registers $demo/pinned/data, opens it as fd 4"
echo " through its own FUSE mount, then closes the backing id and its own fd)"
coproc MKFDS { "$ul_obj/test_mkfds" fuse-passthrough 3 4 dir=$demo/mkfds \
	backing=$demo/pinned/data close-id=true; }
read -r -u "${MKFDS[0]}" mk mksrv mkid _
echo "app pid $mk (fd 4), server pid $mksrv, backing id $mkid (closed)"
run "umount $demo/pinned"
run "ls -l /proc/[0-9]*/fd/ 2>/dev/null | grep -c $demo/pinned"
echo "(umount says busy, and no fd link anywhere points into $demo/pinned)"
run "cat /proc/$mk/fdinfo/4"
run "$lsfd -o COMMAND,PID,FD,NAME,FUSE.BACKING-ID,FUSE.BACKING -Q 'FUSE.BACKING =~ \"^$demo/pinned/\"'"
run "$fuser -vm $demo/pinned 2>&1"
run "$lsof $demo/pinned"
echo DONE >&"${MKFDS[1]}"
wait "$MKFDS_PID"
run "umount $demo/pinned && echo unmounted once the app closed its file"

heading "another app maps data.bin, then closes its fd: only the mapping holds it"
# mmap(2) itself: Python's mmap module keeps a dup of the fd
python3 -c 'import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long)
fd = os.open(sys.argv[1], os.O_RDONLY)
if libc.mmap(None, os.fstat(fd).st_size, 1, 1, fd, 0) in (None, 2**64 - 1):
    sys.exit("mmap failed")                 # PROT_READ, MAP_SHARED
os.close(fd)
time.sleep(3600)' $demo/mnt/data.bin &
map=$!
for _ in $(seq 100); do grep -q data.bin /proc/$map/maps && break; sleep 0.1; done
run "ls -l /proc/$map/fd/ | grep -c demo"
run "grep data.bin /proc/$map/maps"
echo "(maps names the FUSE file, by design)"
# PROCMAP_QUERY on the maps file, as lsof or fuser could ask it: struct
# procmap_query with the backing_* fields of patch 7 (136 bytes)
cat >$demo/procmap-backing.py <<'PY'
import ctypes, fcntl, struct, sys
pid, name = sys.argv[1], sys.argv[2]
with open(f"/proc/{pid}/maps") as maps:
    line = next(l for l in maps if l.rstrip().endswith(name))
    addr = int(line.split("-")[0], 16)
    path = ctypes.create_string_buffer(4096)
    q = bytearray(136)
    struct.pack_into("QQQ", q, 0, len(q), 0x40, addr)  # size, PROCMAP_QUERY_BACKING_FILE, addr
    struct.pack_into("IIQ", q, 120, len(path), 0, ctypes.addressof(path))
    try:                                               # _IOWR('f', 17, 136)
        fcntl.ioctl(maps.fileno(), (3 << 30) | (136 << 16) | (ord("f") << 8) | 17, q)
    except OSError as e:
        sys.exit(f"PROCMAP_QUERY: {e}")
ino, major, minor = struct.unpack_from("QII", q, 64)
print(f"mapping at {addr:x}: maps' file {major:02x}:{minor:02x} {ino}")
ino, major, minor, size = struct.unpack_from("QIII", q, 104)
print(f"backing file: {major:02x}:{minor:02x} {ino} {path.value.decode() if size else '-'}")
PY
run "python3 $demo/procmap-backing.py $map data.bin"
[ "${KERNEL:-}" = base ] ||
	echo "(PROCMAP_QUERY names the backing file the mapping holds)"
run "$lsof -a -p $map -d mem | grep -E 'COMMAND|data.bin'"
[ "${KERNEL:-}" = base ] ||
	echo "(lsof asks PROCMAP_QUERY for mappings of FUSE files: the backing file is a mem file of its own)"

heading "passthrough_hp dies while its mount stays and the app keeps its files"
run "kill -KILL $srv; wait $srv 2>/dev/null"
run "cat /proc/$app/fdinfo/3"
[ "${KERNEL:-}" = base ] ||
	printf '%s\n' "(the app's file keeps working and still names its backing file; the" \
		" ids the dead server registered are closed: no /dev/fuse is left to list them)"
run "$fuser -vm $demo/lower 2>&1"
[ "${KERNEL:-}" = base ] ||
	echo "(the app's file, and the mapping of the other app: m, from PROCMAP_QUERY)"
run "$fuser -km $demo/lower 2>&1"
kill -KILL $app $map 2>/dev/null	# on the base kernel fuser kills nobody
wait $app $map 2>/dev/null
run "umount $demo/lower && echo unmounted: the dead server pins nothing"
umount -l $demo/mnt
! mountpoint -q $demo/lower || umount -l $demo/lower
