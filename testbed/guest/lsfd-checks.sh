#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test-bed guest, as root: the patched lsfd against the
# patched kernel.  lsfd-checks.sh UL_SRC UL_OBJ OUTDIR
#
#  1. util-linux's own test of the FUSE columns must pass (not skip);
#  2. end-to-end checks with a FUSE passthrough server (util-linux's
#     test_mkfds fuse-passthrough): the app's fd and the server's /dev/fuse
#     fd are named, the query finds the pinning fd after the server closed
#     the id, -J is valid JSON, odd paths survive -J and -r.
#
# Adds its results to $RESULTS (see lib.sh; selftests.sh runs it).

source "$(dirname "$0")/lib.sh"
ul_src=$1 ul_obj=$2 out=$3
mkdir -p "$out"
lsfd=$ul_obj/lsfd
mkfds=$ul_obj/test_mkfds

# --- 1. util-linux's test of the FUSE columns ----------------------------
# (The whole lsfd suite, patched against stock, is lsfd-suite.sh: make
# check-lsfd.)  The build directory is copied to tmpfs: QEMU's 9p refuses
# the FIFOs and sockets the tests make in their output directory.
ul_tmp=$(mktemp -d /tmp/ul-obj.XXXXXX)
cp -a "$ul_obj/." "$ul_tmp/"
rm -rf "$ul_tmp/tests/output" "$ul_tmp/tests/diff"
(cd "$ul_src" && timeout 300 tests/run.sh --srcdir="$ul_src" --builddir="$ul_tmp" \
	--show-diff lsfd/mkfds-fuse-passthrough) >"$out/ul-test.log" 2>&1
sed 's/^/#   /' "$out/ul-test.log"
if grep -q 'FUSE passthrough backing files .*\.\.\. OK' "$out/ul-test.log"; then
	ok "util-linux test lsfd/mkfds-fuse-passthrough passes"
else
	notok "util-linux test lsfd/mkfds-fuse-passthrough passes"
fi
rm -rf "$ul_tmp"
mountpoint -q /sys/fs/fuse/connections ||
	mount -t fusectl fusectl /sys/fs/fuse/connections

# --- 2. end to end ---------------------------------------------------------
dir=$(mktemp -d /tmp/lsfd-fuse.XXXXXX)
mount -t tmpfs tmpfs "$dir"

# run_mkfds ARGS...: start test_mkfds fuse-passthrough with fds 3 (/dev/fuse)
# and 4 (FUSE file); sets PID SERVER ID; stop with stop_mkfds
run_mkfds() {
	coproc MKFDS { "$mkfds" fuse-passthrough 3 4 dir="$dir" "$@"; }
	read -r -u "${MKFDS[0]}" PID SERVER ID
}
stop_mkfds() { echo DONE >&"${MKFDS[1]}"; wait "$MKFDS_PID"; }

echo "# lsfd -o +FUSE.BACKING on a FUSE passthrough server and its app fd"
run_mkfds backing="lower file"
"$lsfd" -p "$PID" -Q 'FD == 3 or FD == 4' -o +FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING | sed 's/^/#   /'
"$lsfd" -p "$PID" -Q 'FD == 3 or FD == 4' -o +FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING >"$out/lsfd-registered.txt"
backing=$("$lsfd" -n -p "$PID" -Q 'FD == 4' -o FUSE.BACKING)
case "$backing" in "$dir"/test_mkfds-fuse.*/"lower file") ok "app fd: FUSE.BACKING names the backing file" ;;
	*) notok "app fd: FUSE.BACKING names the backing file"; echo "#   got: $backing" ;; esac
check "app fd: FUSE.BACKING-ID is the registered id" "$ID" "$("$lsfd" -n -p "$PID" -Q 'FD == 4' -o FUSE.BACKING-ID | tr -d ' ')"
check "server fd: FUSE.BACKING lists the id" "$ID: $backing" "$("$lsfd" -n -p "$PID" -Q 'FD == 3' -o FUSE.BACKING)"
conn=$("$lsfd" -n -p "$PID" -Q 'FD == 3' -o FUSE.CONN | tr -d ' ')
check "server fd: NAME tells connection and count" "conn=$conn backing-files=1" "$("$lsfd" -n -p "$PID" -Q 'FD == 3' -o NAME)"
check "FUSE.CONN is the fusectl connection" "yes" "$([ -d "/sys/fs/fuse/connections/$conn" ] && echo yes)"
# The server process (a child of test_mkfds) has the /dev/fuse file open
# too, under another fd number
check "-Q FUSE.BACKING finds server and app fds" "$PID 3
$PID 4
$SERVER /dev/fuse" "$("$lsfd" -n -o PID,FD -Q "FUSE.BACKING =~ \"^$dir/\" or FUSE.BACKING =~ \": $dir/\"" |
	awk -v s="$SERVER" '{ print $1, ($1 == s ? "/dev/fuse" : $2) }')"
json=$("$lsfd" -J -p "$PID" -Q 'FD == 3 or FD == 4' -o PID,FD,FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING)
echo "$json" >"$out/lsfd-registered.json"
check "-J is valid JSON with numbers and arrays" "ok" "$(python3 -c '
import json, sys
d = json.loads(sys.stdin.read())["lsfd"]
dev, app = d[0], d[1]
assert isinstance(app["fuse.conn"], int) and app["fuse.conn"] == dev["fuse.conn"]
assert isinstance(app["fuse.backing-id"], int)
assert isinstance(app["fuse.backing"], list) and app["fuse.backing"][0].endswith("/lower file")
assert dev["fuse.backing"][0].endswith("/lower file") and dev["fuse.backing"][0].startswith("%d: " % app["fuse.backing-id"])
print("ok")' <<<"$json" 2>&1 | tail -1)"
stop_mkfds

echo "# the server closed the id: only the app fd pins the backing file"
run_mkfds backing=pinned close-id=true
"$lsfd" -p "$PID" -Q 'FD == 3 or FD == 4' -o +FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING | sed 's/^/#   /'
"$lsfd" -p "$PID" -Q 'FD == 3 or FD == 4' -o +FUSE.CONN,FUSE.BACKING-ID,FUSE.BACKING >"$out/lsfd-closed.txt"
"$lsfd" -Q "FUSE.BACKING =~ \"^$dir/\"" >"$out/lsfd-query.txt"
sed 's/^/#   /' "$out/lsfd-query.txt"
check "-Q finds the pinning app fd after the id was closed" "$PID 4" \
	"$("$lsfd" -n -o PID,FD -Q "FUSE.BACKING =~ \"^$dir/\"" | awk '{print $1, $2}')"
check "app fd: FUSE.BACKING-ID is 0" "0" "$("$lsfd" -n -p "$PID" -Q 'FD == 4' -o FUSE.BACKING-ID | tr -d ' ')"
stop_mkfds

echo "# odd names: newline, backslash, tab, space"
odd=$'odd\nname\\with\ttab and space'
run_mkfds backing="$odd"
raw=$("$lsfd" -r -n -p "$PID" -Q 'FD == 3 or FD == 4' -o FD,FUSE.BACKING)
printf '%s\n' "$raw" | sed 's/^/#   /'
check "-r: one line per fd with odd names" "2" "$(printf '%s\n' "$raw" | wc -l)"
json=$("$lsfd" -J -p "$PID" -Q 'FD == 4' -o FUSE.BACKING)
check "-J: odd name kept, newline and backslash escaped as in the kernel" \
	'odd\012name\134with	tab and space' \
	"$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["lsfd"][0]["fuse.backing"][0].rsplit("/",1)[1])' <<<"$json")"
stop_mkfds

umount "$dir"
rmdir "$dir"
