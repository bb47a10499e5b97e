#!/usr/bin/env bash
# GROUP: examples passthrough
# The backing files of passthrough_hp are visible in fdinfo: a file it
# opened in passthrough mode names the backing file in its own fdinfo, and
# passthrough_hp's /dev/fuse fdinfo lists the backing id with its path.
# Kernels that do not show backing files in fdinfo skip this test.

. "$TEST_LIB/common.sh"

_require_root		# FUSE_DEV_IOC_BACKING_OPEN takes CAP_SYS_ADMIN
_require_linux "/proc/<pid>/fdinfo"
_require_cap FUSE_CAP_PASSTHROUGH

echo "passthrough data" >"$TEST_SRC/file"
fuse_mount_at "$TEST_MNT" passthrough_hp --foreground "$TEST_SRC" >/dev/null

exec {fd}<"$TEST_MNT/file"
_at_exit "exec $fd<&-"
info=$(cat "/proc/$$/fdinfo/$fd")
grep -q '^fuse_open_flags:' <<<"$info" ||
	_notrun "the kernel does not show FUSE files in fdinfo"

# FOPEN_PASSTHROUGH is 0x80
flags=$(sed -n 's/^fuse_open_flags:\t//p' <<<"$info")
[ $((flags & 0x80)) -ne 0 ] ||
	_fail "not opened in passthrough mode: fuse_open_flags $flags"

# The kernel escapes space, tab, newline and backslash as \ooo
want=$(printf '%s' "$TEST_SRC/file" | sed 's/\\/\\134/g; s/ /\\040/g; s/\t/\\011/g')
id=$(sed -n 's/^fuse_backing_id:\t//p' <<<"$info")
path=$(sed -n 's/^fuse_backing_file:\t//p' <<<"$info")
[ "$path" = "$want" ] ||
	_fail "fuse_backing_file is '$path', expected '$want'"
# passthrough_hp keeps the id registered while the file is open
[ "${id:-0}" -gt 0 ] || _fail "fuse_backing_id is '$id', expected an id"

# The server's /dev/fuse lists the id, in io_uring's "%5u: <path>" form
pid=$(fuse_fs_pid)
devinfo=
for f in /proc/"$pid"/fd/*; do
	if [ "$(readlink "$f")" = /dev/fuse ]; then
		devinfo=$(cat "/proc/$pid/fdinfo/${f##*/}")
		break
	fi
done
[ -n "$devinfo" ] || _fail "passthrough_hp (pid $pid) has no /dev/fuse open"
grep -q '^fuse_backing_files:' <<<"$devinfo" ||
	_fail "/dev/fuse fdinfo lists no backing files: $devinfo"
line=$(printf '%5u: %s' "$id" "$want")
grep -qxF "$line" <<<"$devinfo" ||
	_fail "/dev/fuse fdinfo lacks '$line': $devinfo"

# The data really comes from the backing file
[ "$(cat <&$fd)" = "passthrough data" ] || _fail "wrong data through passthrough"
