#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Inside the test-bed guest: one-test.sh TEST [ARG...]
#
# Runs one test of an automake suite, as its test runner (make check
# LOG_COMPILER=/path/one-test.sh), in a session and a network namespace of
# its own (loopback up) and for at most TEST_LIMIT seconds (60); then ends
# whatever the test left running in that session, so that the next test
# starts from a clean system: no process, port or address of the test
# before it.  Stock and patched builds run under it alike.
#
# Why: lsof's network cases run nc servers and clients in the background.
# netcat-openbsd's client in case-20-inet6-ffffffff-handling.bash does not
# close on the end of its input (it would need -N), so as root that case
# waits for ever (when the server has not gone first: it passes or times
# out by timing), and when it is stopped it leaves its IPv6 address on lo,
# so that the next run of it skips; an nc left running changes what the
# endpoint cases after it see.  A test that runs out of time fails with
# status 124, and its log says so.

limit=${TEST_LIMIT:-60}
# end: kill what is left in the test's session, and wait until it is gone
# (the next test must not meet its nc or its port)
end() {
	pkill -KILL -s "$sid" 2>/dev/null
	for _ in $(seq 50); do
		[ -n "$(ps -o pid=,stat= -s "$sid" | awk '$2 !~ /^Z/')" ] || return 0
		sleep 0.1
	done
	echo "one-test.sh: processes of $1 still there after SIGKILL"
}
# A background job of this (non-interactive) shell is not a process group
# leader, so setsid(1) makes it a session leader without forking: $! is the
# session id.  (Explicit stdin: a background job's would be /dev/null.)
# shellcheck disable=SC2016 # (the inner shell's "$0" and "$@")
setsid timeout -k 10 "$limit" unshare --net -- \
	sh -c 'ip link set lo up && exec "$0" "$@"' "$@" <&0 &
sid=$!
# make's own time limit ends this script: the test's session too
trap 'end "$1"; exit 143' TERM INT HUP
wait "$sid"
rc=$?
[ "$rc" != 124 ] || echo "one-test.sh: $1 did not end within $limit s; stopped"
left=$(ps -o pid=,stat= -s "$sid" | awk '$2 !~ /^Z/ { print $1 }' | paste -sd' ')
if [ -n "$left" ]; then
	echo "one-test.sh: $1 left processes running, ended: $(ps -o pid=,args= -p "${left// /,}" | paste -sd';')"
	end "$1"
fi
exit "$rc"
