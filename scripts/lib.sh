# SPDX-License-Identifier: GPL-2.0
# Shared settings for the scripts of this repository; sourced, not run.
#
# Two places hold everything that is not in git:
#   $CACHE  (~/.cache/fuse-visibility): downloads, the private apt state and
#           ccache; survives clean clones, so CI on a warm machine is fast.
#   $BUILD  (build/ in the checkout, ignored by git): source trees, kernel
#           objects, userspace builds, logs.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${FUSEVIS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fuse-visibility}
BUILD=${FUSEVIS_BUILD:-$TOP/build}
DL=$CACHE/dl

# The Debian suite that carries linux-source-7.2, util-linux 2.42.y and
# fuse3 3.18.y.  Override with FUSEVIS_SUITE if the archive moves on.
SUITE=${FUSEVIS_SUITE:-sid}
MIRROR=${FUSEVIS_MIRROR:-http://deb.debian.org/debian}

stage() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
