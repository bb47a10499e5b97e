#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test-bed guest, as root: the RFC's unprivileged server
# end to end.  userns-checks.sh FUSE_OBJ UL_OBJ LSOF_OBJ PSMISC_OBJ OUTDIR
#
# With fs.fuse.userns_passthrough set, an unprivileged user runs libfuse's
# passthrough_hp inside "unshare -Urm" (root of its own user namespace
# only) and an app in the same namespaces keeps two files open through it.
# As the administrator in the initial namespace:
#  - the app's fdinfo names each backing file, the server's /dev/fuse
#    fdinfo lists its ids;
#  - lsfd shows them (FUSE.BACKING, FUSE.BACKING-FILES);
#  - lsof lists the app's backing files (bk3, bk4) under the lower folder,
#    and the server's registrations;
#  - fuser -m finds the app on the lower folder, where it holds no fd.
# The server reads and serves the files through passthrough: the data read
# by the app is checked.  The app's entries exist only through backing
# files, so on a kernel without the RFC (passthrough_hp falls back to
# plain FUSE there) they fail: KERNEL=v2 states that instead.
#
# Adds its results to $RESULTS (see lib.sh; selftests.sh runs it).

source "$(dirname "$0")/lib.sh"
# The app's FUSE files refuse stat(2) to root (a FUSE mount lets only its
# user in: fuse_allow_current_process()): lsfd, lsof and fuser find them by
# the device that FUSE tells a statx() with an empty mask, then fdinfo.
fuse_obj=$1 ul_obj=$2 lsof_obj=$3 psmisc_obj=$4 out=$5
kernel=${KERNEL:-patched}
mkdir -p "$out"
uid=61300
sysctl=/proc/sys/fs/fuse/userns_passthrough

# The checks go to their own file first: on the v2 kernel they must fail
all=$RESULTS
export RESULTS=$out/userns.tap
echo "TAP version 13" >"$RESULTS"

old=
if [ -e $sysctl ]; then
	old=$(cat $sysctl)
	echo 1 >$sysctl
else
	echo "# no $sysctl: servers in user namespaces cannot register backing files here"
fi
check "$sysctl is 0 after boot" 0 "$old"

run=$(mktemp -d /tmp/userns-run.XXXXXX)
mount -t tmpfs -o mode=0755 userns-run "$run"
mkdir "$run/lower" "$run/mnt" "$run/user"
echo "hello from an unprivileged server" >"$run/lower/hello.txt"
echo "a name with a space" >"$run/lower/name with space.txt"
chown -R $uid:$uid "$run/lower" "$run/mnt" "$run/user"

# The user's server and app, in one user and mount namespace
# shellcheck disable=SC2016 # the inner bash expands $1, $2, $3 and $!
timeout 600 setpriv --reuid=$uid --regid=$uid --clear-groups -- unshare -Urm --propagation private -- \
	bash -c '
	"$1/example/passthrough_hp" --foreground "$2/lower" "$2/mnt" >"$3/passthrough_hp.log" 2>&1 &
	srv=$!
	for _ in $(seq 100); do mountpoint -q "$2/mnt" && break; sleep 0.1; done
	cat "$2/mnt/hello.txt" >"$3/app-read.txt"
	sleep 3600 3<"$2/mnt/hello.txt" 4<"$2/mnt/name with space.txt" &
	echo "$srv $!" >"$3/pids"
	wait' userns "$fuse_obj" "$run" "$run/user" &
holder=$!
# (the user writes to its own folder: $out is root's)
for _ in $(seq 100); do [ -s "$run/user/pids" ] && break; sleep 0.1; done
srv='' app=''
read -r srv app <"$run/user/pids" 2>/dev/null
sleep 0.5
cp "$run/user/"* "$out/" 2>/dev/null
if [ -z "$app" ] || [ ! -d "/proc/$app" ]; then
	sed 's/^/# /' "$out/passthrough_hp.log" 2>/dev/null | tail -20
	notok "the user's passthrough_hp and app run"
	app=0
fi
echo "# user $uid in its own user namespace: passthrough_hp pid $srv, app (sleep) pid $app"
echo "# $(grep -E '^ *[0-9]+ +[0-9]+ +' "/proc/$srv/uid_map" | head -1 | tr -s ' ')  (uid_map of the server: root inside, $uid outside)"

check "the app reads through the mount" "hello from an unprivileged server" "$(cat "$out/app-read.txt" 2>/dev/null)"

devfd=
for f in "/proc/$srv/fd/"*; do
	[ "$(readlink "$f")" = /dev/fuse ] && devfd=${f##*/} && break
done
echo "# === fdinfo"
sed 's/^/# /' "/proc/$app/fdinfo/3"
sed 's/^/# /' "/proc/$srv/fdinfo/$devfd"
backing_paths "/proc/$app/fdinfo/3" | grep -qxF "$run/lower/hello.txt"
result $? "the app's fdinfo names its backing file"
grep -qx "fuse_backing_files:	2" "/proc/$srv/fdinfo/$devfd" &&
	[ "$(backing_paths "/proc/$srv/fdinfo/$devfd" | grep -cxF "$run/lower/hello.txt")" -ge 1 ]
result $? "the server's /dev/fuse fdinfo lists its 2 ids"

echo "# === lsfd"
"$ul_obj/lsfd" -p "$app $srv" -o COMMAND,PID,USER,FD,NAME,FUSE.BACKING-ID,FUSE.BACKING \
	-Q 'FUSE.BACKING-ID > 0' 2>&1 | tee "$out/lsfd-app.txt" | sed 's/^/# /'
[ "$("$ul_obj/lsfd" -p "$app" -n -o PID,FD,FUSE.BACKING -Q 'FUSE.BACKING-ID > 0' |
	sed -E 's/^ *//; s/  +/ /g' | paste -sd'|')" = \
	"$app 3 $run/lower/hello.txt|$app 4 $run/lower/name with space.txt" ]
result $? "lsfd: the app's files and their backing files"
"$ul_obj/lsfd" -p "$srv" -o COMMAND,PID,USER,FD,NAME,FUSE.BACKING-FILES \
	-Q 'TYPE == "CHR" and FUSE.CONN > 0' 2>&1 | tee "$out/lsfd-srv.txt" | sed 's/^/# /'
"$ul_obj/lsfd" -p "$srv" -n -o FUSE.BACKING-FILES -Q 'TYPE == "CHR" and FUSE.CONN > 0' |
	grep -q ",$run/lower/name with space.txt\$"
result $? "lsfd: the server's registered backing files"

echo "# === lsof -l +D $run/lower"
"$lsof_obj/lsof" -l +D "$run/lower" 2>&1 | tee "$out/lsof.txt" | sed 's/^/# /'
[ "$(grep -cE "^sleep +$app .* bk[34] .*\(fuse backing id [0-9]+\)\$" "$out/lsof.txt")" = 2 ]
result $? "lsof lists the app's two backing files under $run/lower"
[ "$(grep -cE "^passthrou +$srv .* bk$devfd .*\(fuse backing id [0-9]+\)\$" "$out/lsof.txt")" = 2 ]
result $? "lsof lists the server's two registered backing files under $run/lower"

echo "# === fuser -vm $run/lower"
stdbuf -o0 "$psmisc_obj/src/fuser" -vm "$run/lower" >"$out/fuser.txt" 2>&1
sed 's/^/# /' "$out/fuser.txt"
grep -qE " $app f.... sleep\$" "$out/fuser.txt"
result $? "fuser -m finds the app, which holds no fd on $run/lower"

# Done: the user's processes go (uid $uid is this test's alone), then
# everything they held: their FUSE mount and its connection
{ pkill -KILL -U $uid; wait "$holder"; } 2>/dev/null
! pgrep -U $uid >/dev/null && ! grep -qs ' fuse.passthrough_hp ' /proc/[0-9]*/mountinfo
result $? "the user's processes and their FUSE mount are gone"
umount "$run" && rmdir "$run"
[ -z "$old" ] || echo "$old" >$sysctl

tap_end
export RESULTS=$all
read -r p f s <<<"$(tap_counts "$out/userns.tap")"
if [ "$kernel" = v2 ]; then
	grep -E '^ok [0-9]+ ' "$out/userns.tap" | sed 's/^/# holds on the v2 kernel too: /'
	# The server and app ran (the app read through plain FUSE, the
	# cleanup worked); every other check fails
	grep -q '^ok [0-9]* - the app reads through the mount$' "$out/userns.tap" &&
		grep -q "^ok [0-9]* - the user's processes and their FUSE mount are gone\$" "$out/userns.tap" &&
		! grep -q "passthrough_hp and app run" "$out/userns.tap" && [ "$p" = 2 ] && [ "$f" -ge 8 ]
	result $? "the unprivileged server's checks fail on the v2 kernel, as they must: $f of $((p + f + s)) failed"
else
	tap_import "$out/userns.tap"
fi
