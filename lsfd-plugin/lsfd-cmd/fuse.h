/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * lsfd-fuse.h - FUSE files and /dev/fuse: backing files of FUSE passthrough
 *
 * Copyright (C) 2026 Seed e2d42ecc maintainers
 */
#ifndef UTIL_LINUX_LSFD_FUSE_H
#define UTIL_LINUX_LSFD_FUSE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "buffer.h"
#include "lsfd.h"

/*
 * What the kernel shows in the fdinfo of a /dev/fuse file (fuse_connection,
 * then fuse_backing_files: a count, one "fuse_backing:" line per registered
 * backing file, and fuse_backing_files_unlisted: the ids beyond the listed
 * ones) and of a FUSE file open in passthrough mode (fuse_connection,
 * fuse_open_flags and one "fuse_backing:" line).  A "fuse_backing:" line is
 * "ID MAJ:MIN INODE MNT_ID[ PATH]", the device in hex; the path only for a
 * reader privileged over the registrant.  Older kernels show none of it, or
 * only fuse_connection: then the FUSE columns stay empty, but for FUSE.CONN
 * of a FUSE file, which is its device number.
 */
struct fuse_data {
	struct file *file;	/* the FUSE file or /dev/fuse file */
	bool is_dev;		/* /dev/fuse */

	bool has_conn;
	bool has_open_flags;
	bool has_backing;	/* a FUSE file's "fuse_backing:" line */
	bool has_nbacking;
	uint32_t conn;		/* connection: /sys/fs/fuse/connections/<conn> */
	uint32_t open_flags;	/* FOPEN_* */
	uint64_t backing_id;	/* 0: the server closed the id */
	dev_t backing_dev;	/* st_dev of the backing file */
	uint64_t backing_ino;
	uint64_t backing_mnt_id;
	char *backing;		/* path of a FUSE file's backing file */
	uint32_t nbacking;	/* number of registered backing files */
	uint32_t unlisted;	/* ... of which the kernel listed none */

	struct ul_buffer backing_files;		/* "<id>,<path>" lines */
	struct ul_buffer backing_inodes;	/* "<id>,<major>:<minor>,<inode>" lines */

	struct ipc_endpoint endpoint;	/* FUSE files <-> /dev/fuse files */
};

void fuse_init(struct fuse_data *, struct file *, bool);
void fuse_free(struct fuse_data *);
int fuse_handle_fdinfo(struct fuse_data *, const char *, const char *);
void fuse_attach_xinfo(struct fuse_data *);
const struct ipc_class *fuse_get_ipc_class(struct fuse_data *);
char *fuse_get_dev_name(struct fuse_data *);
bool fuse_fill_column(struct fuse_data *, int, char **);

/* The fuse_data of a FUSE file (file.c) and of a /dev/fuse file (cdev.c) */
struct fuse_data *fuse_file_get_data(struct file *);
struct fuse_data *cdev_fuse_get_data(struct file *);

#endif /* UTIL_LINUX_LSFD_FUSE_H */
