#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-runner.sh WORKDIR
#
# The self-test of the runner itself (make check-runner), in seconds, with no
# kernel build and no QEMU: a stand-in kernel tree and a stand-in vng drive
# the real build.sh, check.sh and boot().  It fails unless
#  1. a kernel build that fails fails build.sh, also when an earlier build
#     left a status file of 0 and a bzImage behind, and its message names
#     the build log; a build that works passes (the control);
#  2. a guest that never returns, and leaves a child holding its console
#     open (as QEMU does under vng), ends at VM_TIMEOUT with its whole
#     process group, and check.sh fails naming the console log; so does
#     one that wrote all its results and then hangs;
#  3. a guest's failed result fails check.sh, its passed result passes it,
#     and the guest command reaches the guest word for word (a space in a
#     path, a quote, a VAR=VALUE word).

source "$(dirname "$0")/lib.sh"
# Each check is a list of conditions whose status check() takes: no exit
# on the first false one
set +e

work=${1:?usage: check-runner.sh WORKDIR}
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
n=0 failed=0
check() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}
start=$(date +%s)

# --- 1. the kernel build ------------------------------------------------------
# A stand-in kernel tree: configuring writes every fragment into .config (so
# build.sh's check of the options passes); bzImage fails when FAKE_FAIL is set.
src=$work/linux obj=$work/obj
mkdir -p "$src/scripts/kconfig" "$obj/arch/x86/boot"
cat >"$src/Makefile" <<'EOT'
tinyconfig olddefconfig: ; @touch $(O)/.config
bzImage:
	@echo '  CC      init/main.o'
	@if [ -n "$(FAKE_FAIL)" ]; then echo 'init/main.c:1:10: fatal error: /nonexistent/broken.h'; exit 2; fi
	@mkdir -p $(O)/arch/x86/boot && echo new >$(O)/arch/x86/boot/bzImage
headers: ; @mkdir -p $(O)/usr/include/linux && touch $(O)/usr/include/linux/fuse.h
EOT
cat >"$src/scripts/kconfig/merge_config.sh" <<'EOT'
#!/bin/sh
# merge_config.sh -m -O OBJ CONFIG FRAGMENT...: the fragments, as they are
shift 3
config=$1
shift
cat "$@" >"$config"
EOT
chmod +x "$src/scripts/kconfig/merge_config.sh"
build() { FUSEVIS_CACHE=$work/cache "$HOST/build.sh" kernel "$src" "$obj" >"$1" 2>&1; }

# What the test bed before this check left: a status of 0, an old image
echo 0 >"$obj/.rc"
echo old >"$obj/arch/x86/boot/bzImage"
rc=0
FAKE_FAIL=1 build "$work/build-fails.log" || rc=$?
[ $rc != 0 ] && grep -q "kernel build failed.*$obj/build.log" "$work/build-fails.log" &&
	! grep -q 'bzImage ready' "$work/build-fails.log"
check "a kernel build that fails fails build.sh and names its log (status $rc)" $?
rc=0
build "$work/build-works.log" || rc=$?
[ $rc = 0 ] && grep -q 'bzImage ready' "$work/build-works.log" &&
	[ "$(cat "$obj/arch/x86/boot/bzImage")" = new ]
check "a kernel build that works passes build.sh, with the new image (status $rc)" $?
rm -f "$obj/.rc"
rc=0
FAKE_FAIL=1 build "$work/build-fails-again.log" || rc=$?
[ $rc != 0 ] && ! grep -q 'bzImage ready' "$work/build-fails-again.log"
check "a kernel build that fails after one that worked fails build.sh (status $rc)" $?

# --- 2. and 3. the guest --------------------------------------------------------
# A stand-in vng: "hang" leaves a child holding the console, as QEMU would,
# and never returns; "run" runs the --exec command on the host as the
# guest's shell would (sh, not bash).
mkdir -p "$work/bin"
vng=$work/bin/vng
cat >"$vng" <<'EOT'
#!/bin/bash
cmd=
while [ $# -gt 0 ]; do
	case "$1" in --exec) cmd=$2; shift ;; esac
	shift
done
case "$FAKE_GUEST" in
hang) sleep 987654 & exec sleep 987654 ;;
run) exec sh -c "$cmd" ;;
run-then-hang) sh -c "$cmd"; exec sleep 987654 ;;
esac
EOT
chmod +x "$vng"
echo image >"$work/bzImage"
out="$work/vm out"
guest() {
	PATH=$work/bin:$PATH FAKE_GUEST=$1 VM_TIMEOUT=${2:-60} "$HOST/check.sh" runner "$work/bzImage" "$out" \
		"${@:3}" >"$work/guest-$1.log" 2>&1
}
limit=5
t=$(date +%s) rc=0
guest hang $limit true || rc=$?
took=$(($(date +%s) - t))
[ $rc != 0 ] && [ $took -lt $((limit + 15)) ] && grep -q "console.log" "$work/guest-hang.log" &&
	! pgrep -f "^sleep 987654$" >/dev/null
check "a guest that never returns ends at VM_TIMEOUT=$limit with its children, and fails (status $rc after ${took}s)" $?
pkill -f "^sleep 987654$" || true

# The guest command: the test's own TAP file, written by the "guest"
tapper=$work/guest.sh
cat >"$tapper" <<'EOT'
#!/bin/bash
# guest.sh OUTDIR WORD RESULT: one result, ok when WORD arrived as sent
# and the variable WORD_VAR is "a b'c"
printf 'TAP version 13\n%s 1 - word arrived: [%s] [%s]\n1..1\n' \
	"$3" "$2" "$WORD_VAR" >"$1/results.tap"
[ "$2" = "x y'z" ] && [ "$WORD_VAR" = "a b'c" ] && [ "$3" = ok ]
EOT
chmod +x "$tapper"
rc=0
guest run 60 "WORD_VAR=a b'c" "$tapper" "$out" "x y'z" ok || rc=$?
[ $rc = 0 ] && grep -q '^runner: 1 passed, 0 failed' "$work/guest-run.log" &&
	grep -qF "word arrived: [x y'z] [a b'c]" "$out/results.tap"
check "a guest's passed result passes check.sh; words with spaces and quotes arrive (status $rc)" $?
rc=0
guest run 60 "WORD_VAR=a b'c" "$tapper" "$out" "x y'z" "not ok" || rc=$?
[ $rc != 0 ] && grep -q '^runner: 0 passed, 1 failed' "$work/guest-run.log"
check "a guest's failed result fails check.sh (status $rc)" $?
rc=0
guest run-then-hang $limit "WORD_VAR=a b'c" "$tapper" "$out" "x y'z" ok || rc=$?
[ $rc != 0 ] && grep -q "did not finish within VM_TIMEOUT" "$work/guest-run-then-hang.log"
check "a guest that passes, then hangs (at power-off, say) fails at VM_TIMEOUT (status $rc)" $?
rc=0
guest run 60 true || rc=$?
[ $rc != 0 ] && grep -q "wrote no complete .*console.log" "$work/guest-run.log"
check "a guest that writes no results fails check.sh (status $rc)" $?

note "$n checks in $(($(date +%s) - start)) s, $failed failed (logs in $work)"
[ "$failed" = 0 ] || die "the runner can report a pass it has not seen, or hang"
rm -rf "$work"
