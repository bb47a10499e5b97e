#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test-bed guest, as root: the patched lsfd against the
# patched kernel.  lsfd-checks.sh UL_SRC UL_OBJ OUTDIR
#
#  1. util-linux's own tests of the FUSE columns must pass (not skip), on
#     fuse and on fuseblk;
#  2. end-to-end checks with a FUSE passthrough server (util-linux's
#     test_mkfds fuse-passthrough): the app's fd and the server's /dev/fuse
#     fd are named, with the backing file's device and inode; each is the
#     other's ENDPOINTS; the query finds the pinning fd after the server
#     closed the id; -J is valid JSON; odd paths survive -J and -r.
#
# Adds its results to $RESULTS (see lib.sh; selftests.sh runs it).

source "$(dirname "$0")/lib.sh"
ul_src=$1 ul_obj=$2 out=$3
mkdir -p "$out"
lsfd=$ul_obj/lsfd
mkfds=$ul_obj/test_mkfds

# --- 1. util-linux's tests of the FUSE columns ---------------------------
# (The whole lsfd suite, patched against stock, is lsfd-suite.sh: make
# check-lsfd.)  The build directory is copied to tmpfs: QEMU's 9p refuses
# the FIFOs and sockets the tests make in their output directory.
ul_tmp=$(mktemp -d /tmp/ul-obj.XXXXXX)
cp -a "$ul_obj/." "$ul_tmp/"
rm -rf "$ul_tmp/tests/output" "$ul_tmp/tests/diff"
(cd "$ul_src" && timeout 300 tests/run.sh --srcdir="$ul_src" --builddir="$ul_tmp" \
	--show-diff lsfd/mkfds-fuse-passthrough lsfd/mkfds-fuseblk-passthrough) >"$out/ul-test.log" 2>&1
sed 's/^/#   /' "$out/ul-test.log"
for t in "mkfds-fuse-passthrough:FUSE passthrough backing files  *" \
	"mkfds-fuseblk-passthrough:FUSE passthrough backing files on fuseblk .*"; do
	if grep -q "${t#*:}\.\.\. OK" "$out/ul-test.log"; then
		ok "util-linux test lsfd/${t%%:*} passes"
	else
		notok "util-linux test lsfd/${t%%:*} passes"
	fi
done
rm -rf "$ul_tmp"
mountpoint -q /sys/fs/fuse/connections ||
	mount -t fusectl fusectl /sys/fs/fuse/connections

# --- 2. end to end ---------------------------------------------------------
dir=$(mktemp -d /tmp/lsfd-fuse.XXXXXX)
mount -t tmpfs tmpfs "$dir"

# run_mkfds ARGS...: start test_mkfds fuse-passthrough with fds 3 (/dev/fuse)
# and 4 (FUSE file); sets PID SERVER ID SERVER_FD; stop with stop_mkfds
run_mkfds() {
	coproc MKFDS { "$mkfds" fuse-passthrough 3 4 dir="$dir" "$@"; }
	read -r -u "${MKFDS[0]}" PID SERVER ID SERVER_FD
}
stop_mkfds() { echo DONE >&"${MKFDS[1]}"; wait "$MKFDS_PID"; }

cols=+FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING,FUSE.BACKING-FILES
echo "# lsfd -o $cols on a FUSE passthrough server and its app fd"
run_mkfds backing="lower file"
"$lsfd" -p "$PID" -Q 'FD == 3 or FD == 4' -o "$cols" | sed 's/^/#   /'
"$lsfd" -p "$PID" -Q 'FD == 3 or FD == 4' -o "$cols" >"$out/lsfd-registered.txt"
backing=$("$lsfd" -n -p "$PID" -Q 'FD == 4' -o FUSE.BACKING)
case "$backing" in "$dir"/test_mkfds-fuse.*/"lower file") ok "app fd: FUSE.BACKING names the backing file" ;;
	*) notok "app fd: FUSE.BACKING names the backing file"; echo "#   got: $backing" ;; esac
check "app fd: FUSE.BACKING-ID is the registered id" "$ID" "$("$lsfd" -n -p "$PID" -Q 'FD == 4' -o FUSE.BACKING-ID | tr -d ' ')"
check "app fd: FUSE.BACKING-DEV and -INODE are those of the backing file" \
	"$(stat -c '%Hd:%Ld %i' "$backing")" "$("$lsfd" -n -r -p "$PID" -Q 'FD == 4' -o FUSE.BACKING-DEV,FUSE.BACKING-INODE)"
check "server fd: FUSE.BACKING-FILES lists the id" "$ID,$backing" "$("$lsfd" -n -p "$PID" -Q 'FD == 3' -o FUSE.BACKING-FILES)"
check "server fd: FUSE.BACKING-INODES lists the id" "$ID,$(stat -c '%Hd:%Ld,%i' "$backing")" \
	"$("$lsfd" -n -p "$PID" -Q 'FD == 3' -o FUSE.BACKING-INODES)"
conn=$("$lsfd" -n -p "$PID" -Q 'FD == 3' -o FUSE.CONN | tr -d ' ')
check "server fd: NAME tells connection and count" "conn=$conn backing-files=1" "$("$lsfd" -n -p "$PID" -Q 'FD == 3' -o NAME)"
check "FUSE.CONN is the fusectl connection" "yes" "$([ -d "/sys/fs/fuse/connections/$conn" ] && echo yes)"
# ENDPOINTS: the app's FUSE file names the /dev/fuse fds that serve it (the
# test process' and the server's), and each /dev/fuse fd names the app fd
echo "# lsfd -o PID,COMMAND,FD,NAME,ENDPOINTS (the app fd and the /dev/fuse fds)"
"$lsfd" -p "$PID $SERVER" -Q 'FUSE.CONN > 0' -o PID,COMMAND,FD,NAME,ENDPOINTS | tee "$out/lsfd-endpoints.txt" | sed 's/^/#   /'
check "app fd: ENDPOINTS names the server's /dev/fuse fds" "$PID,test_mkfds,3
$SERVER,test_mkfds,$SERVER_FD" "$("$lsfd" -n -p "$PID $SERVER" -Q "PID == $PID and FD == 4" -o ENDPOINTS | sort)"
check "server's /dev/fuse fd: ENDPOINTS names the app fd" "$PID,test_mkfds,4" \
	"$("$lsfd" -n -p "$PID $SERVER" -Q "PID == $SERVER and FD == $SERVER_FD" -o ENDPOINTS)"
# The server process (a child of test_mkfds) has the /dev/fuse file open
# too, under another fd number
check "-Q on FUSE.BACKING and FUSE.BACKING-FILES finds server and app fds" "$PID 3
$PID 4
$SERVER $SERVER_FD" "$("$lsfd" -n -o PID,FD -Q "FUSE.BACKING =~ \"^$dir/\" or FUSE.BACKING-FILES =~ \"[0-9],$dir/\"" |
	awk '{ print $1, $2 }')"
json=$("$lsfd" -J -p "$PID" -Q 'FD == 3 or FD == 4' -o PID,FD,FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING,FUSE.BACKING-FILES,FUSE.BACKING-INODE,ENDPOINTS)
echo "$json" >"$out/lsfd-registered.json"
check "-J is valid JSON with numbers, strings and arrays" "ok" "$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())["lsfd"]
dev, app = d[0], d[1]
assert isinstance(app["fuse.conn"], int) and app["fuse.conn"] == dev["fuse.conn"]
assert isinstance(app["fuse.backing-id"], int) and isinstance(app["fuse.backing-inode"], int)
assert isinstance(app["fuse.backing"], str) and app["fuse.backing"].endswith("/lower file")
f = dev["fuse.backing-files"]
assert isinstance(f, list) and f == ["%d,%s" % (app["fuse.backing-id"], app["fuse.backing"])]
assert app["endpoints"] == ["%d,test_mkfds,3" % dev["pid"]] and dev["endpoints"] == ["%d,test_mkfds,4" % dev["pid"]]
print("ok")' <<<"$json" 2>&1 | tail -1)"
stop_mkfds

echo "# the server closed the id: only the app fd pins the backing file"
run_mkfds backing=pinned close-id=true
"$lsfd" -p "$PID" -Q 'FD == 3 or FD == 4' -o "$cols" | sed 's/^/#   /'
"$lsfd" -p "$PID" -Q 'FD == 3 or FD == 4' -o "$cols" >"$out/lsfd-closed.txt"
"$lsfd" -Q "FUSE.BACKING =~ \"^$dir/\"" >"$out/lsfd-query.txt"
sed 's/^/#   /' "$out/lsfd-query.txt"
check "-Q finds the pinning app fd after the id was closed" "$PID 4" \
	"$("$lsfd" -n -o PID,FD -Q "FUSE.BACKING =~ \"^$dir/\" or FUSE.BACKING-FILES =~ \"[0-9],$dir/\"" | awk '{print $1, $2}')"
check "app fd: FUSE.BACKING-ID is 0" "0" "$("$lsfd" -n -p "$PID" -Q 'FD == 4' -o FUSE.BACKING-ID | tr -d ' ')"
stop_mkfds

echo "# odd names: newline, backslash, tab, space"
odd=$'odd\nname\\with\ttab and space'
run_mkfds backing="$odd"
raw=$("$lsfd" -r -n -p "$PID" -Q 'FD == 3 or FD == 4' -o FD,FUSE.BACKING,FUSE.BACKING-FILES)
printf '%s\n' "$raw" | sed 's/^/#   /'
check "-r: one line per fd with odd names" "2" "$(printf '%s\n' "$raw" | wc -l)"
json=$("$lsfd" -J -p "$PID" -Q 'FD == 3 or FD == 4' -o FUSE.BACKING,FUSE.BACKING-FILES)
check "-J: the app's FUSE.BACKING is the name as it is" "ok" \
	"$(ODD="$odd" python3 -c 'import json,os,sys; d=json.loads(sys.stdin.read())["lsfd"]; print("ok" if d[1]["fuse.backing"].rsplit("/",1)[1] == os.environ["ODD"] else d[1]["fuse.backing"])' <<<"$json")"
check "-J: the server's entry keeps the kernel's escapes (one line per file)" \
	"$ID,odd\\012name\\134with\\011tab\\040and\\040space" \
	"$(python3 -c 'import json,sys; e=json.loads(sys.stdin.read())["lsfd"][0]["fuse.backing-files"]; print(e[0].split(",",1)[0] + "," + e[0].rsplit("/",1)[1] if len(e) == 1 else e)' <<<"$json")"
stop_mkfds

umount "$dir"
rmdir "$dir"
