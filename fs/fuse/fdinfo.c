// SPDX-License-Identifier: GPL-2.0
/*
 * FUSE: what /proc/<pid>/fdinfo/<fd> shows for /dev/fuse and FUSE files.
 *
 * The keys, number bases and line order printed here are user space ABI,
 * documented in Documentation/filesystems/proc.rst: keep them stable, and
 * only ever add lines.
 */

#include "dev.h"
#include "fuse_dev_i.h"
#include "fuse_i.h"

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/security.h>
#include <linux/seq_file.h>

/* Characters escaped in paths (as octal \ooo), as io_uring does */
#define FUSE_FDINFO_PATH_ESC	" \t\n\\"

/*
 * Backing ids listed in the fdinfo of /dev/fuse.  The fdinfo is one
 * seq_file record, built again each time its buffer doubles, and a failed
 * allocation of that buffer fails the whole read: bound the lines, so that
 * a server with a million ids costs readers some 8 MiB of buffer (paths of
 * typical length), not 128 MiB.  Ids beyond the bound are counted, not
 * listed.  The bound is in ids, not bytes, so that what is listed does not
 * depend on the length of paths.
 */
#define FUSE_FDINFO_IDS_MAX	65536

/*
 * Bytes of path text in the fdinfo of /dev/fuse.  65536 paths of PATH_MAX
 * bytes, escaped to up to four times as much, would need a buffer of some
 * 1 GiB, which seq_file could not allocate, failing the read.  Once this
 * much path text is printed, the other lines go without their path, and
 * the paths left out are counted: the listing of 65536 ids then stays
 * within some 8 MiB whatever its paths.
 */
#define FUSE_FDINFO_PATH_BYTES_MAX	(4 << 20)

/*
 * May the reader of @m see the path of a backing file that @registrant
 * registered?  /proc/<pid>/maps and the fd link show the FUSE file, not
 * its backing file, on purpose, and the backing path is one of the FUSE
 * server's view: show it only to a reader with CAP_SYS_ADMIN over the user
 * namespace of the credentials that registered the backing file, that is
 * whoever could have registered it.
 * m->file is the fdinfo file, so this judges whoever opened it, not
 * whoever reads from it.  Without an audit record: an unprivileged lsof or
 * lsfd reads every fdinfo, and a missing path is not a denial worth
 * logging.
 */
static bool fuse_fdinfo_may_show_path(struct seq_file *m,
				      const struct cred *registrant)
{
	return !security_capable(m->file->f_cred, registrant->user_ns,
				 CAP_SYS_ADMIN, CAP_OPT_NOAUDIT);
}

/*
 * The value of a "fuse_backing:" line: the backing id @id (0 once closed),
 * the device (major:minor, hex), inode number and mount id (decimal) of the
 * backing file as stat(2) and statx(2) reported them when it was registered
 * (fuse_backing_ident()), and, if @path, its path, last, escaped.
 *
 * Return: the bytes of path printed.
 */
static size_t fuse_show_backing(struct seq_file *m, u64 id,
				struct fuse_backing *fb, bool path)
{
	size_t start, len = 0;

	seq_put_decimal_ull(m, "fuse_backing:\t", id);
	seq_put_hex_ll(m, " ", MAJOR(fb->dev), 2);
	seq_put_hex_ll(m, ":", MINOR(fb->dev), 2);
	seq_put_decimal_ull(m, " ", fb->ino);
	seq_put_decimal_ull(m, " ", fb->mnt_id);
	if (path) {
		seq_putc(m, ' ');
		start = m->count;
		seq_file_path(m, fb->file, FUSE_FDINFO_PATH_ESC);
		len = m->count - start;
	}
	seq_putc(m, '\n');
	return len;
}

/*
 * The backing files registered on @fc: their number, then one
 * "fuse_backing:" line per id, up to FUSE_FDINFO_IDS_MAX of them, with its
 * path to a reader who may see it until FUSE_FDINFO_PATH_BYTES_MAX bytes of
 * paths are printed, then the number of paths left out for that bound, and
 * the number of ids left out, if any.
 *
 * fuse_backing_next() walks the ids in numeric order and takes a reference
 * on each backing file under RCU: no lock is held across the list, so
 * FUSE_DEV_IOC_BACKING_OPEN/CLOSE never wait for a reader.  Past the bound,
 * fuse_backing_files_count() counts the other ids under RCU, without a
 * reference on each.  An id opened or closed during the walk may or may not
 * be listed or counted, as with readdir; every other id is listed or
 * counted exactly once.  The order is not promised to readers.
 */
static void fuse_backing_files_show(struct seq_file *m, struct fuse_conn *fc)
{
	unsigned int listed = 0, unlisted = 0, paths_unlisted = 0;
	size_t path_bytes = 0;
	struct fuse_backing *fb;
	int id;

	seq_printf(m, "fuse_backing_files:\t%u\n", fuse_backing_files_nr(fc));
	for (id = 0; (fb = fuse_backing_next(fc, &id)); id++) {
		bool path = fuse_fdinfo_may_show_path(m, fb->cred);

		if (path && path_bytes >= FUSE_FDINFO_PATH_BYTES_MAX) {
			path = false;
			paths_unlisted++;
		}
		path_bytes += fuse_show_backing(m, id, fb, path);
		fuse_backing_put(fb);
		/* On overflow seq_file retries with a larger buffer: stop */
		if (seq_has_overflowed(m) || id == INT_MAX)
			return;
		if (++listed == FUSE_FDINFO_IDS_MAX) {
			unlisted = fuse_backing_files_count(fc, id + 1);
			break;
		}
		cond_resched();
	}
	if (paths_unlisted)
		seq_printf(m, "fuse_backing_paths_unlisted:\t%u\n",
			   paths_unlisted);
	if (unlisted)
		seq_printf(m, "fuse_backing_files_unlisted:\t%u\n", unlisted);
}

/**
 * fuse_dev_show_fdinfo() - show fdinfo of a /dev/fuse file
 * @m: seq_file of /proc/<pid>/fdinfo/<fd>
 * @file: the /dev/fuse file
 *
 * Shows the connection the device is bound to, once it is mounted, and, if
 * the connection uses passthrough, the backing files registered on it.
 * Every /dev/fuse file of the connection (see FUSE_DEV_IOC_CLONE) shows the
 * same.  A CUSE channel, which never negotiates passthrough, lists nothing.
 * The connection cannot go away meanwhile: the device holds a reference
 * to it.
 */
void fuse_dev_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct fuse_dev *fud = __fuse_get_dev(file);
	struct fuse_conn *fc;

	if (!fud)
		return;

	fc = fud->chan->conn;
	seq_printf(m, "fuse_connection:\t%u\n", fuse_conn_get_id(fc));
	if (IS_ENABLED(CONFIG_FUSE_PASSTHROUGH) && fc->passthrough)
		fuse_backing_files_show(m, fc);
}

/**
 * fuse_file_show_fdinfo() - show fdinfo of a FUSE file
 * @m: seq_file of /proc/<pid>/fdinfo/<fd>
 * @file: the FUSE file
 *
 * Shows nothing for a file that is not open in passthrough mode.  A file
 * open in passthrough mode shows its connection, its open flags
 * (FOPEN_*, as the kernel applies them) and its backing file: the id under
 * which it is registered now (0 once that id is closed: the backing file
 * is then held by open files alone), its device, inode number and mount id
 * and, to a reader privileged over its registrant, its path.
 *
 * The backing file cannot go away meanwhile: fi->fb is that of the
 * backing file @file was opened with (iomode.c refuses another one on the
 * inode), and is only reset when the last file open in passthrough mode
 * on the inode is released, which @file, held by the caller, is not.
 *
 * ff->open_flags is read without READ_ONCE(): it is only written while
 * @file is being opened (fuse_file_open(), fuse_file_io_open()), before
 * the file is installed in a file table where fdinfo finds it, and
 * installing it publishes what was written before.
 */
void fuse_file_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct fuse_file *ff = file->private_data;
	struct fuse_backing *fb;

	if (!fuse_file_passthrough(ff))
		return;

	fb = fuse_inode_backing(get_fuse_inode(file_inode(file)));
	if (WARN_ON_ONCE(!fb))
		return;

	seq_printf(m, "fuse_connection:\t%u\n", fuse_conn_get_id(ff->fm->fc));
	seq_printf(m, "fuse_open_flags:\t0x%x\n", ff->open_flags);
	fuse_show_backing(m, fuse_backing_id(fb), fb,
			  fuse_fdinfo_may_show_path(m, fb->cred));
}
