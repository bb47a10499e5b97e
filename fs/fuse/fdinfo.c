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
#include <linux/sizes.h>

/* Characters escaped in paths (as octal \ooo), as io_uring does */
#define FUSE_FDINFO_PATH_ESC	" \t\n\\"

/*
 * Bytes of lines listed for the backing ids of a connection, per section.
 * The fdinfo is one seq_file record, built again each time its buffer
 * doubles, and a failed allocation of that buffer fails the whole read:
 * bound it, so that a server with a million ids costs readers a 4 MiB
 * buffer, not one of 128 MiB.  Ids beyond the bound are counted, not
 * listed.  A section ends with the line that crosses the bound: a path of
 * exceptional length makes that line, and the buffer, longer.
 */
#define FUSE_FDINFO_LIST_MAX	SZ_1M

/*
 * The device and inode number of @file, as /proc/<pid>/maps prints those of
 * a mapped file: lsof and fuser match open files by them, not by path.
 */
static void fuse_show_dev_ino(struct seq_file *m, struct file *file)
{
	const struct inode *inode = file_inode(file);

	seq_put_hex_ll(m, NULL, MAJOR(inode->i_sb->s_dev), 2);
	seq_put_hex_ll(m, ":", MINOR(inode->i_sb->s_dev), 2);
	seq_put_decimal_ull(m, " ", inode->i_ino);
}

/*
 * One section of the /dev/fuse listing: a header with the number of
 * backing ids, then one "%5u: " line per id with the path of its backing
 * file or, with @identity, its device and inode number, up to
 * FUSE_FDINFO_LIST_MAX bytes of lines, then the number of ids left out, if
 * any.
 *
 * fuse_backing_next() walks the ids in numeric order and takes a reference
 * on each backing file under RCU: no lock is held across the list, so
 * FUSE_DEV_IOC_BACKING_OPEN/CLOSE never wait for a reader.  An id opened or
 * closed during the walk may or may not be listed, as with readdir; every
 * other id is listed or counted exactly once.  The order is not promised
 * to readers.
 */
static void fuse_backing_files_list(struct seq_file *m, struct fuse_conn *fc,
				    const char *header, bool identity)
{
	struct fuse_backing *fb;
	unsigned int unlisted = 0;
	size_t start;
	int id;

	seq_printf(m, "%s:\t%u\n", header, fuse_backing_files_nr(fc));
	start = m->count;
	for (id = 0; (fb = fuse_backing_next(fc, &id)); id++) {
		if (m->count - start < FUSE_FDINFO_LIST_MAX) {
			seq_printf(m, "%5u: ", id);
			if (identity)
				fuse_show_dev_ino(m, fb->file);
			else
				seq_file_path(m, fb->file, FUSE_FDINFO_PATH_ESC);
			seq_putc(m, '\n');
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
		seq_printf(m, "%s_unlisted:\t%u\n", header, unlisted);
}

/*
 * List the backing files registered on @fc: their paths in io_uring's
 * fixed file format, then, in a section of the same form (as io_uring's
 * UserBufs follow its UserFiles), their device and inode numbers.  Readers
 * join the two by id: an id opened or closed between them may be in one
 * only.
 */
static void fuse_backing_files_show(struct seq_file *m, struct fuse_conn *fc)
{
	if (!IS_ENABLED(CONFIG_FUSE_PASSTHROUGH))
		return;

	fuse_backing_files_list(m, fc, "fuse_backing_files", false);
	fuse_backing_files_list(m, fc, "fuse_backing_inodes", true);
}

/**
 * fuse_dev_show_fdinfo() - show fdinfo of a /dev/fuse file
 * @m: seq_file of /proc/<pid>/fdinfo/<fd>
 * @file: the /dev/fuse file
 *
 * Shows the connection the device is bound to, once it is mounted, and the
 * backing files registered on that connection.  The connection cannot go
 * away meanwhile: the device holds a reference to it.
 */
void fuse_dev_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct fuse_dev *fud = __fuse_get_dev(file);
	struct fuse_conn *fc;

	if (!fud)
		return;

	fc = fud->chan->conn;
	seq_printf(m, "fuse_connection:\t%u\n", fuse_conn_get_id(fc));
	fuse_backing_files_show(m, fc);
}

/**
 * fuse_file_show_fdinfo() - show fdinfo of a FUSE file or directory
 * @m: seq_file of /proc/<pid>/fdinfo/<fd>
 * @file: the FUSE file
 *
 * Shows the connection of the file.  A file open in passthrough mode also
 * shows the id under which its backing file is registered now (0 once that
 * id is closed: the backing file is then held by open files alone, and
 * shown nowhere else) and, to a reader with CAP_SYS_ADMIN over the user
 * namespace of the registrant, the device, inode number and path of the
 * backing file.
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

	seq_printf(m, "fuse_connection:\t%u\n", fuse_conn_get_id(ff->fm->fc));
	if (!backing_file)
		return;

	fb = fuse_inode_backing(get_fuse_inode(file_inode(file)));
	seq_printf(m, "fuse_backing_id:\t%llu\n", fb ? fuse_backing_id(fb) : 0);

	/*
	 * /proc/<pid>/maps and the fd link show the FUSE path, not the
	 * backing path, on purpose: only show it to a reader with
	 * CAP_SYS_ADMIN over the user namespace of the credentials that
	 * registered the backing file: the initial one, unless a server
	 * privileged in a user namespace registered it (see
	 * fuse_backing_may_register()).
	 * m->file is the fdinfo file, so this judges whoever opened it, not
	 * whoever reads from it.  Without an audit record: an unprivileged
	 * lsof or lsfd reads every fdinfo, and not seeing the line is not a
	 * denial worth logging.
	 */
	if (security_capable(m->file->f_cred, backing_file->f_cred->user_ns,
			     CAP_SYS_ADMIN, CAP_OPT_NOAUDIT))
		return;

	seq_puts(m, "fuse_backing_inode:\t");
	fuse_show_dev_ino(m, backing_file);
	seq_puts(m, "\nfuse_backing_file:\t");
	seq_file_path(m, backing_file, FUSE_FDINFO_PATH_ESC);
	seq_putc(m, '\n');
}
