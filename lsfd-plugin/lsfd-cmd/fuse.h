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
#include <stdlib.h>

#include "buffer.h"

/*
 * What the kernel shows in the fdinfo of a FUSE file (fuse_connection,
 * fuse_backing_id, fuse_backing_inode, fuse_backing_file) and of a /dev/fuse
 * file (fuse_connection, fuse_backing_files and one "%5u: <path>" line per
 * registered backing file, then further sections such as fuse_backing_inodes,
 * whose "%5u: ..." lines are not paths).  Older kernels show none of it, or
 * only fuse_connection: then the FUSE columns stay empty.
 */
struct fuse_data {
	bool has_conn;
	bool has_backing_id;
	bool has_nbacking;
	bool list_ended;	/* a key after the backing list was seen */
	uint32_t conn;		/* connection: /sys/fs/fuse/connections/<conn> */
	uint32_t backing_id;	/* 0: the server closed the id */
	uint32_t nbacking;	/* number of registered backing files */
	char *backing;		/* path of a FUSE file's backing file */
	struct ul_buffer backing_list;	/* "<id>: <path>" lines of /dev/fuse */
};

int fuse_handle_fdinfo(struct fuse_data *, const char *, const char *);
char *fuse_get_dev_name(struct fuse_data *);
bool fuse_fill_column(struct fuse_data *, int, char **);

static inline void __attribute__((nonnull(1)))
fuse_free(struct fuse_data *data)
{
	free(data->backing);
	ul_buffer_free_data(&data->backing_list);
}

#endif /* UTIL_LINUX_LSFD_FUSE_H */
