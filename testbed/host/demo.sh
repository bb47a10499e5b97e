#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh BZIMAGE BASE_BZIMAGE FUSE_OBJ UL_OBJ LSOF_OBJ PSMISC_OBJ OUTDIR
#
# Boot the patched kernel and run testbed/guest/story.sh in it; then, if the
# unpatched base kernel is built already (make check-base builds it), show
# what the same steps print there.  A second long build is not worth it for
# the contrast: testbed/results/2026-11-24-demo.md quotes it.

source "$(dirname "$0")/lib.sh"

image=${1:?usage: demo.sh BZIMAGE BASE_BZIMAGE FUSE_OBJ UL_OBJ LSOF_OBJ PSMISC_OBJ OUTDIR}
base_image=${2:?} fuse_obj=${3:?} ul_obj=${4:?} lsof_obj=${5:?} psmisc_obj=${6:?} out=${7:?}
objs=("$fuse_obj" "$ul_obj" "$lsof_obj" "$psmisc_obj")

boot "$image" "$out/patched" KERNEL=patched testbed/guest/story.sh "${objs[@]}"
if [ -f "$base_image" ]; then
	stage "the same steps on the unpatched base kernel"
	boot "$base_image" "$out/base" KERNEL=base testbed/guest/story.sh "${objs[@]}"
else
	stage "the unpatched base kernel is not built (make check-base builds it); testbed/results/2026-11-24-demo.md shows what it prints"
fi
