/*
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * lsfd-fuse.c - FUSE files and /dev/fuse: backing files of FUSE passthrough
 *
 * Copyright (C) 2026 Seed e2d42ecc maintainers
 *
 * A FUSE server registers backing files with FUSE_DEV_IOC_BACKING_OPEN and
 * opens FUSE files in passthrough mode with them.  The kernel lists the
 * registered ones in the fdinfo of the server's /dev/fuse file, and shows
 * the open flags and backing file of a FUSE file open in passthrough mode
 * in the fdinfo of that file (see Documentation/filesystems/proc.rst of the
 * kernel).
 * Used by the file class (FUSE files) and by the cdev class (/dev/fuse).
 */

#include <inttypes.h>
#include <string.h>

#include "mangle.h"
#include "strutils.h"
#include "xalloc.h"

#include "lsfd.h"
#include "fuse.h"

/* A server may register a hundred thousand backing files */
#define FUSE_LIST_CHUNKSIZE	(64 * 1024)

/*
 * The connection of a file on a FUSE filesystem: its device number as the
 * kernel encodes it (major << 20 | minor), the name of the connection's
 * directory in /sys/fs/fuse/connections.  The kernel shows it in the fdinfo
 * of files open in passthrough mode only.
 */
static void set_conn_of_dev(struct fuse_data *data, dev_t dev)
{
	if (major(dev) >= (1U << 12) || minor(dev) >= (1U << 20))
		return;
	data->conn = (major(dev) << 20) | minor(dev);
	data->has_conn = true;
}

void fuse_init(struct fuse_data *data, struct file *file, bool is_dev)
{
	memset(data, 0, sizeof(*data));
	data->file = file;
	data->is_dev = is_dev;
	ul_buffer_set_chunksize(&data->backing_files, FUSE_LIST_CHUNKSIZE);
	ul_buffer_set_chunksize(&data->backing_inodes, FUSE_LIST_CHUNKSIZE);
	if (!is_dev)
		set_conn_of_dev(data, file->stat.st_dev);
	init_endpoint(&data->endpoint);
}

void fuse_free(struct fuse_data *data)
{
	free(data->backing);
	ul_buffer_free_data(&data->backing_files);
	ul_buffer_free_data(&data->backing_inodes);
}

/* A "fuse_backing:" line */
struct fuse_backing_line {
	uint64_t id;
	dev_t dev;
	uint64_t ino;
	uint64_t mnt_id;
	const char *path;	/* escaped; NULL if not shown to us */
};

/*
 * "ID MAJ:MIN INODE MNT_ID[ PATH]": the device as in /proc/PID/maps (hex),
 * but the st_dev stat(2) returns for the backing file; the path, escaped,
 * only for a reader privileged over the registrant of the backing file.
 */
static bool parse_backing(const char *value, struct fuse_backing_line *b)
{
	unsigned int maj, min;
	int n = -1;

	if (sscanf(value, "%" SCNu64 " %x:%x %" SCNu64 " %" SCNu64 "%n",
		   &b->id, &maj, &min, &b->ino, &b->mnt_id, &n) != 5 || n < 0)
		return false;
	if (value[n] == ' ' && value[n + 1])
		b->path = value + n + 1;
	else if (value[n] == '\0')
		b->path = NULL;
	else
		return false;
	b->dev = makedev(maj, min);
	return true;
}

static void list_append(struct ul_buffer *list, const char *id, const char *str)
{
	if (!ul_buffer_is_empty(list))
		ul_buffer_xappend_char(list, '\n');
	ul_buffer_xappend_string(list, id);
	ul_buffer_xappend_char(list, ',');
	ul_buffer_xappend_string(list, str);
}

/*
 * "<id>,<path>": the kernel escapes space, tab, newline and backslash in
 * paths as \ooo.  A path with a newline or a backslash keeps the kernel's
 * escapes, so that every backing file keeps one line of the list and a
 * backslash in it always starts an escape.
 */
static void append_backing_file(struct fuse_data *data, const char *id,
				const char *value)
{
	char *path;

	if (!strchr(value, '\\')) {
		list_append(&data->backing_files, id, value);
		return;
	}
	path = xstrdup(value);
	unmangle_string(path);
	list_append(&data->backing_files, id, strpbrk(path, "\n\\") ? value : path);
	free(path);
}

/*
 * A backing file registered on a /dev/fuse file: "<id>,<path>" in
 * FUSE.BACKING-FILES if the kernel showed the path, and always
 * "<id>,<major>:<minor>,<inode>" in FUSE.BACKING-INODES, in the form of the
 * DEV and INODE columns.
 */
static void append_backing(struct fuse_data *data, const struct fuse_backing_line *b)
{
	char id[sizeof("18446744073709551615")];
	char ident[sizeof("4294967295:4294967295,18446744073709551615")];

	snprintf(id, sizeof(id), "%" PRIu64, b->id);
	if (b->path)
		append_backing_file(data, id, b->path);
	snprintf(ident, sizeof(ident), "%u:%u,%" PRIu64,
		 major(b->dev), minor(b->dev), b->ino);
	list_append(&data->backing_inodes, id, ident);
}

int fuse_handle_fdinfo(struct fuse_data *data, const char *key,
		       const char *value)
{
	struct fuse_backing_line b;

	if (data->is_dev) {
		/* First: the line of each registered backing file */
		if (strcmp(key, "fuse_backing") == 0) {
			if (!parse_backing(value, &b))
				return 0;
			append_backing(data, &b);
			return 1;
		}
		if (strcmp(key, "fuse_backing_files") == 0) {
			if (ul_strtou32(value, &data->nbacking, 10) < 0)
				return 0;
			data->has_nbacking = true;
			return 1;
		}
		if (strcmp(key, "fuse_backing_files_unlisted") == 0)
			return ul_strtou32(value, &data->unlisted, 10) == 0;
	}

	/* For a FUSE file, it says what its device number already did */
	if (strcmp(key, "fuse_connection") == 0) {
		if (ul_strtou32(value, &data->conn, 10) < 0)
			return 0;
		data->has_conn = true;
		return 1;
	}

	if (data->is_dev)
		return 0;

	if (strcmp(key, "fuse_open_flags") == 0) {
		if (ul_strtou32(value, &data->open_flags, 16) < 0)
			return 0;
		data->has_open_flags = true;
		return 1;
	}
	if (strcmp(key, "fuse_backing") == 0) {
		if (!parse_backing(value, &b))
			return 0;
		data->has_backing = true;
		data->backing_id = b.id;
		data->backing_dev = b.dev;
		data->backing_ino = b.ino;
		data->backing_mnt_id = b.mnt_id;
		free(data->backing);
		data->backing = NULL;
		if (b.path) {
			data->backing = xstrdup(b.path);
			unmangle_string(data->backing);
		}
		return 1;
	}
	return 0;
}

/*
 * ENDPOINTS: a FUSE file and the /dev/fuse files of its server share the
 * connection.  Both kinds of file are in one IPC per connection, so they
 * must use the same ipc_class.
 */
struct fuse_ipc {
	struct ipc ipc;
	uint32_t conn;
};

static struct fuse_data *get_fuse_data(struct file *file)
{
	return file->class == &fuse_file_class ? fuse_file_get_data(file)
					       : cdev_fuse_get_data(file);
}

static unsigned int fuse_ipc_get_hash(struct file *file)
{
	return get_fuse_data(file)->conn;
}

static bool fuse_ipc_is_suitable_ipc(struct ipc *ipc, struct file *file)
{
	return ((struct fuse_ipc *)ipc)->conn == get_fuse_data(file)->conn;
}

static const struct ipc_class fuse_ipc_class = {
	.size = sizeof(struct fuse_ipc),
	.get_hash = fuse_ipc_get_hash,
	.is_suitable_ipc = fuse_ipc_is_suitable_ipc,
	.free = NULL,
};

/*
 * File descriptors only: a mapped FUSE file, or the cwd of a process on a
 * FUSE filesystem, has a connection too, but is no endpoint.  A /dev/fuse
 * file has one once its filesystem is mounted; every /dev/fuse file a
 * server clones for its threads is an endpoint of its own.
 */
static bool fuse_is_endpoint(struct fuse_data *data)
{
	return data->has_conn && is_opened_file(data->file);
}

const struct ipc_class *fuse_get_ipc_class(struct fuse_data *data)
{
	return fuse_is_endpoint(data) ? &fuse_ipc_class : NULL;
}

void fuse_attach_xinfo(struct fuse_data *data)
{
	struct ipc *ipc;

	if (!fuse_is_endpoint(data))
		return;

	ipc = get_ipc(data->file);
	if (!ipc) {
		ipc = new_ipc(&fuse_ipc_class);
		((struct fuse_ipc *)ipc)->conn = data->conn;
		add_ipc(ipc, fuse_ipc_get_hash(data->file));
	}
	add_endpoint(&data->endpoint, ipc);
}

static inline void fuse_xbufendpoint(struct file *file, struct ul_buffer *ul_buf)
{
	ul_buffer_xappendf(ul_buf, "%d,%s,%d",
			   file->proc->pid, file->proc->command, file->association);
}

/* A FUSE file lists the /dev/fuse files of its connection, and vice versa */
static bool fill_endpoints(struct fuse_data *data, char **str)
{
	struct list_head *e;
	struct ul_buffer ul_buf = UL_INIT_BUFFER;

	if (!data->endpoint.ipc)
		return false;

	foreach_endpoint(e, data->endpoint) {
		struct fuse_data *other = list_entry(e, struct fuse_data,
						     endpoint.endpoints);

		if (other == data || other->is_dev == data->is_dev)
			continue;
		if (!ul_buffer_is_empty(&ul_buf))
			ul_buffer_xappend_char(&ul_buf, '\n');
		fuse_xbufendpoint(other->file, &ul_buf);
	}
	*str = ul_buffer_steal_string(&ul_buf);
	return *str != NULL;
}

/* NAME of a /dev/fuse file: its connection and number of backing files */
char *fuse_get_dev_name(struct fuse_data *data)
{
	char *str = NULL;

	if (!data->has_conn)
		return NULL;

	xasprintf(&str, "conn=%u", data->conn);
	if (data->has_nbacking)
		xstrfappend(&str, " backing-files=%u", data->nbacking);
	if (data->unlisted)
		xstrfappend(&str, " unlisted=%u", data->unlisted);
	return str;
}

static bool fill_list(struct ul_buffer *list, char **str)
{
	if (ul_buffer_is_empty(list))
		return false;
	*str = xstrdup(ul_buffer_get_data(list, NULL, NULL));
	return true;
}

/* FOPEN_* of <linux/fuse.h> that a file open in passthrough mode may have */
static const struct {
	uint32_t flag;
	const char *name;
} fuse_open_flags[] = {
	{ 1 << 0, "direct_io" },
	{ 1 << 5, "noflush" },
	{ 1 << 6, "parallel_direct_writes" },
	{ 1 << 7, "passthrough" },
};

/* "name,name,...", bits without a name last, in hex */
static bool fill_open_flags(uint32_t flags, char **str)
{
	struct ul_buffer ul_buf = UL_INIT_BUFFER;

	for (size_t i = 0; i < ARRAY_SIZE(fuse_open_flags); i++) {
		if (!(flags & fuse_open_flags[i].flag))
			continue;
		if (!ul_buffer_is_empty(&ul_buf))
			ul_buffer_xappend_char(&ul_buf, ',');
		ul_buffer_xappend_string(&ul_buf, fuse_open_flags[i].name);
		flags &= ~fuse_open_flags[i].flag;
	}
	if (flags) {
		if (!ul_buffer_is_empty(&ul_buf))
			ul_buffer_xappend_char(&ul_buf, ',');
		ul_buffer_xappendf(&ul_buf, "0x%x", flags);
	}
	*str = ul_buffer_steal_string(&ul_buf);
	return *str != NULL;
}

bool fuse_fill_column(struct fuse_data *data, int column_id, char **str)
{
	switch (column_id) {
	case COL_ENDPOINTS:
		return fill_endpoints(data, str);
	case COL_FUSE_BACKING:
		if (!data->backing)
			return false;
		*str = xstrdup(data->backing);
		return true;
	case COL_FUSE_BACKING_DEV:
		if (!data->has_backing)
			return false;
		xasprintf(str, "%u:%u", major(data->backing_dev),
			  minor(data->backing_dev));
		return true;
	case COL_FUSE_BACKING_FILES:
		return fill_list(&data->backing_files, str);
	case COL_FUSE_BACKING_ID:
		if (!data->has_backing)
			return false;
		xasprintf(str, "%" PRIu64, data->backing_id);
		return true;
	case COL_FUSE_BACKING_INODE:
		if (!data->has_backing)
			return false;
		xasprintf(str, "%" PRIu64, data->backing_ino);
		return true;
	case COL_FUSE_BACKING_INODES:
		return fill_list(&data->backing_inodes, str);
	case COL_FUSE_BACKING_MNTID:
		if (!data->has_backing)
			return false;
		xasprintf(str, "%" PRIu64, data->backing_mnt_id);
		return true;
	case COL_FUSE_CONN:
		if (!data->has_conn)
			return false;
		xasprintf(str, "%u", data->conn);
		return true;
	case COL_FUSE_OPEN_FLAGS:
		if (!data->has_open_flags)
			return false;
		return fill_open_flags(data->open_flags, str);
	}
	return false;
}
