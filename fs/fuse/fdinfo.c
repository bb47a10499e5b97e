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
 * The value of a "fuse_backing:" line: the backing id (0 once closed), the
 * device (major:minor, hex), inode number and mount id (decimal) of the
 * backing file as stat(2) and statx(2) report them, and, if @path, its
 * path, last, escaped.
 */
static void fuse_show_backing(struct seq_file *m, u64 id, struct file *file,
			      bool path)
{
	struct kstat stat;

	/* On error, what the inode says: vfs_getattr_ident() fills it in */
	vfs_getattr_ident(&file->f_path, &stat);
	seq_put_decimal_ull(m, "fuse_backing:\t", id);
	seq_put_hex_ll(m, " ", MAJOR(stat.dev), 2);
	seq_put_hex_ll(m, ":", MINOR(stat.dev), 2);
	seq_put_decimal_ull(m, " ", stat.ino);
	seq_put_decimal_ull(m, " ", stat.mnt_id);
	if (path) {
		seq_putc(m, ' ');
		seq_file_path(m, file, FUSE_FDINFO_PATH_ESC);
	}
	seq_putc(m, '\n');
}

/*
 * The backing files registered on @fc: their number, then one
 * "fuse_backing:" line per id, up to FUSE_FDINFO_IDS_MAX of them, then the
 * number of ids left out, if any.
 *
 * fuse_backing_next() walks the ids in numeric order and takes a reference
 * on each backing file under RCU: no lock is held across the list, so
 * FUSE_DEV_IOC_BACKING_OPEN/CLOSE never wait for a reader.  An id opened or
 * closed during the walk may or may not be listed, as with readdir; every
 * other id is listed or counted exactly once.  The order is not promised
 * to readers.
 */
static void fuse_backing_files_show(struct seq_file *m, struct fuse_conn *fc)
{
	unsigned int listed = 0, unlisted = 0;
	struct fuse_backing *fb;
	int id;

	seq_printf(m, "fuse_backing_files:\t%u\n", fuse_backing_files_nr(fc));
	for (id = 0; (fb = fuse_backing_next(fc, &id)); id++) {
		if (listed < FUSE_FDINFO_IDS_MAX) {
			fuse_show_backing(m, id, fb->file,
					  fuse_fdinfo_may_show_path(m, fb->cred));
			listed++;
		} else {
			unlisted++;
		}
		fuse_backing_put(fb);
		/* On overflow seq_file retries with a larger buffer: stop */
		if (seq_has_overflowed(m) || id == INT_MAX)
			break;
		cond_resched();
	}
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
 * The backing file cannot go away meanwhile: it is held by @file, which
 * the caller holds, and by fi->fb, which is only reset when the last file
 * open in passthrough mode on the inode is released.
 */
void fuse_file_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct fuse_file *ff = file->private_data;
	struct file *backing_file = fuse_file_passthrough(ff);
	struct fuse_backing *fb;

	if (!backing_file)
		return;

	fb = fuse_inode_backing(get_fuse_inode(file_inode(file)));
	seq_printf(m, "fuse_connection:\t%u\n", fuse_conn_get_id(ff->fm->fc));
	seq_printf(m, "fuse_open_flags:\t0x%x\n", READ_ONCE(ff->open_flags));
	fuse_show_backing(m, fb ? fuse_backing_id(fb) : 0, backing_file,
			  fuse_fdinfo_may_show_path(m, backing_file->f_cred));
}
