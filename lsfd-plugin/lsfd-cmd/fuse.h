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
 * What the kernel shows in the fdinfo of a FUSE file (fuse_connection,
 * fuse_backing_id, fuse_backing_inode, fuse_backing_file) and of a /dev/fuse
 * file (fuse_connection, then the sections fuse_backing_files and
 * fuse_backing_inodes: a count, then one "%5u: ..." line per registered
 * backing file).  Older kernels show none of it, or only fuse_connection:
 * then the FUSE columns stay empty.
 */
struct fuse_data {
	struct file *file;	/* the FUSE file or /dev/fuse file */
	bool is_dev;		/* /dev/fuse */

	bool has_conn;
	bool has_backing_id;
	bool has_backing_inode;
	bool has_nbacking;
	uint32_t conn;		/* connection: /sys/fs/fuse/connections/<conn> */
	uint64_t backing_id;	/* 0: the server closed the id */
	dev_t backing_dev;
	uint64_t backing_ino;
	char *backing;		/* path of a FUSE file's backing file */
	uint32_t nbacking;	/* number of registered backing files */
	uint32_t unlisted;	/* ... of which the kernel listed no path */

	enum {
		FUSE_LIST_NONE,
		FUSE_LIST_FILES,
		FUSE_LIST_INODES,
	} list;			/* the section whose lines are being read */
	struct ul_buffer backing_files;		/* "<id>,<path>" lines */
	struct ul_buffer backing_inodes;	/* "<id>,<major>:<minor> <inode>" lines, hex */

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
