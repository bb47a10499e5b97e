#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-run.sh BZIMAGE OUTDIR COMMAND...
#
# Boot BZIMAGE under QEMU (TCG: KVM is not usable on these machines) with
# virtme-ng, the host's root filesystem read-only over 9p, OUTDIR (and the
# directories in $VM_RWDIRS) writable at the same path, and run COMMAND as
# root inside.  The guest's console
# goes to OUTDIR/console.log and to stdout.  Exits with COMMAND's status.

source "$(dirname "$0")/lib.sh"

image=${1:?usage: vm-run.sh BZIMAGE OUTDIR COMMAND...}
outdir=${2:?usage: vm-run.sh BZIMAGE OUTDIR COMMAND...}
shift 2
[ -f "$image" ] || die "no kernel image $image"
command -v vng >/dev/null || die "virtme-ng missing (make deps installs it)"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# The guest writes its exit status here: vng's own exit status does not
# always carry it.
rm -f "$outdir/status"
cmd="cd $TOP && { $*; }; echo \$? > $outdir/status"

rw=(--rwdir "$outdir")
for d in ${VM_RWDIRS:-}; do
	mkdir -p "$d"
	rw+=(--rwdir "$(cd "$d" && pwd)")
done

stage "boot $(basename "$(dirname "$(dirname "$(dirname "$(dirname "$image")")")")") kernel in QEMU (TCG) and run: $*"
start=$(date +%s)
timeout --foreground "${VM_TIMEOUT:-1800}" \
	vng --run "$image" --disable-kvm --force-9p --user root \
	    --cpus "${VM_CPUS:-2}" --memory "${VM_MEMORY:-2G}" \
	    "${rw[@]}" --cwd "$TOP" --exec "$cmd" </dev/null 2>&1 |
	tee "$outdir/console.log"
rc=$(cat "$outdir/status" 2>/dev/null || echo 255)
note "guest finished in $(($(date +%s) - start))s with status $rc"
exit "$rc"
