#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ref-cache.sh SUITE BASE_OBJ [WORD...]
#
# Prints the folder that keeps the base kernel's run of the upstream suite
# SUITE (testbed/guest/upstream-suites.sh), the reference of the patched
# kernel's run: a folder of $CACHE named after every input of that run,
# so that a run on other inputs never reads it.  The inputs: the base
# kernel's configuration (BASE_OBJ/.config), the pinned sources, our
# patches to SUITE's project, the scripts that build its tree and run it,
# the Debian packages installed (compiler, Python, QEMU), the guest's size,
# and the WORDs (the suite's arguments).  Only the five newest are kept.

source "$(dirname "$0")/lib.sh"

suite=${1:?usage: ref-cache.sh SUITE BASE_OBJ [WORD...]}
obj=${2:?usage: ref-cache.sh SUITE BASE_OBJ [WORD...]}
shift 2
[ -f "$obj/.config" ] || die "ref-cache.sh: no base kernel configured in $obj"
key=$({
	echo "$suite $* ${VM_CPUS:-2} ${VM_MEMORY:-2G}"
	cat "$obj/.config" "$TOP/testbed/sources.pin"
	[ ! -d "$TOP/patches/$suite" ] || find "$TOP/patches/$suite" -type f -print0 | sort -z | xargs -0 cat
	cat "$TOP"/testbed/host/{build,mktree}.sh "$TOP"/testbed/guest/upstream-suites.sh
	dpkg-query -W -f '${Package} ${Version}\n'
} | sha256sum | cut -c1-16)
dir=$CACHE/suite-ref/$suite-$key
mkdir -p "$dir"
touch "$dir"
# shellcheck disable=SC2012 # (our own folder names: no odd characters)
ls -td "$CACHE/suite-ref/$suite"-* | tail -n +6 | xargs -r rm -rf
echo "$dir"
