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
 * the backing file of a FUSE file open in passthrough mode in the fdinfo
 * of that file (see Documentation/filesystems/proc.rst of the kernel).
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

void fuse_init(struct fuse_data *data, struct file *file, bool is_dev)
{
	memset(data, 0, sizeof(*data));
	data->file = file;
	data->is_dev = is_dev;
	ul_buffer_set_chunksize(&data->backing_files, FUSE_LIST_CHUNKSIZE);
	ul_buffer_set_chunksize(&data->backing_inodes, FUSE_LIST_CHUNKSIZE);
	init_endpoint(&data->endpoint);
}

void fuse_free(struct fuse_data *data)
{
	free(data->backing);
	ul_buffer_free_data(&data->backing_files);
	ul_buffer_free_data(&data->backing_inodes);
}

/*
 * The id of a line of a list ("%5u: ..."): the key without its leading
 * blanks, or NULL if the key is not a number (the list has ended).
 */
static const char *list_id(const char *key)
{
	while (*key == ' ')
		key++;
	return isdigit_string(key) ? key : NULL;
}

static void list_append(struct ul_buffer *list, const char *id, const char *str)
{
	if ((!ul_buffer_is_empty(list) && ul_buffer_append_data(list, "\n", 1))
	    || ul_buffer_append_string(list, id)
	    || ul_buffer_append_data(list, ",", 1)
	    || ul_buffer_append_string(list, str))
		err(EXIT_FAILURE, _("failed to add output data"));
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

/* The kernel's "%02x:%02x %lu", as in /proc/PID/maps */
static bool parse_inode(const char *value, dev_t *dev, uint64_t *ino)
{
	unsigned int maj, min;

	if (sscanf(value, "%x:%x %" SCNu64, &maj, &min, ino) != 3)
		return false;
	*dev = makedev(maj, min);
	return true;
}

/*
 * FUSE.BACKING-INODES: "<id>,<major>:<minor>,<inode>" lines, in the form of
 * the DEV and INODE columns, from the "<id>,<kernel's value>" lines kept
 * while reading (converted only when the column is printed).
 */
static bool fill_backing_inodes(struct ul_buffer *list, char **str)
{
	struct ul_buffer out = UL_INIT_BUFFER;
	const char *p, *end;

	ul_buffer_set_chunksize(&out, FUSE_LIST_CHUNKSIZE);
	for (p = ul_buffer_get_data(list, NULL, NULL); p && *p;
	     p = *end ? end + 1 : end) {
		char num[sizeof(",4294967295:4294967295,18446744073709551615")];
		const char *val;
		uint64_t ino;
		dev_t dev;

		end = strchrnul(p, '\n');
		val = memchr(p, ',', end - p);
		if (!val || !parse_inode(val + 1, &dev, &ino))
			continue;
		snprintf(num, sizeof(num), ",%u:%u,%" PRIu64, major(dev), minor(dev), ino);
		if ((!ul_buffer_is_empty(&out) && ul_buffer_append_data(&out, "\n", 1))
		    || ul_buffer_append_data(&out, p, val - p)
		    || ul_buffer_append_string(&out, num))
			err(EXIT_FAILURE, _("failed to add output data"));
	}
	if (!ul_buffer_is_empty(&out))
		*str = xstrdup(ul_buffer_get_data(&out, NULL, NULL));
	ul_buffer_free_data(&out);
	return *str != NULL;
}

int fuse_handle_fdinfo(struct fuse_data *data, const char *key,
		       const char *value)
{
	/* A section ends at the next key, as io_uring's UserFiles */
	if (data->list != FUSE_LIST_NONE) {
		const char *id = list_id(key);

		if (id) {
			if (data->list == FUSE_LIST_FILES)
				append_backing_file(data, id, value);
			else
				list_append(&data->backing_inodes, id, value);
			return 1;
		}
		data->list = FUSE_LIST_NONE;
	}

	if (strcmp(key, "fuse_connection") == 0) {
		if (ul_strtou32(value, &data->conn, 10) < 0)
			return 0;
		data->has_conn = true;
		return 1;
	}

	if (data->is_dev) {
		if (strcmp(key, "fuse_backing_files") == 0) {
			if (ul_strtou32(value, &data->nbacking, 10) < 0)
				return 0;
			data->has_nbacking = true;
			data->list = FUSE_LIST_FILES;
			return 1;
		}
		if (strcmp(key, "fuse_backing_inodes") == 0) {
			data->list = FUSE_LIST_INODES;
			return 1;
		}
		if (strcmp(key, "fuse_backing_files_unlisted") == 0)
			return ul_strtou32(value, &data->unlisted, 10) == 0;
		if (strcmp(key, "fuse_backing_inodes_unlisted") == 0)
			return 1;
		return 0;
	}

	if (strcmp(key, "fuse_backing_id") == 0) {
		if (ul_strtou64(value, &data->backing_id, 10) < 0)
			return 0;
		data->has_backing_id = true;
		return 1;
	}
	if (strcmp(key, "fuse_backing_inode") == 0) {
		data->has_backing_inode = parse_inode(value, &data->backing_dev,
						      &data->backing_ino);
		return 1;
	}
	if (strcmp(key, "fuse_backing_file") == 0) {
		free(data->backing);
		data->backing = xstrdup(value);
		unmangle_string(data->backing);
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

const struct ipc_class *fuse_get_ipc_class(struct fuse_data *data)
{
	return data->has_conn ? &fuse_ipc_class : NULL;
}

void fuse_attach_xinfo(struct fuse_data *data)
{
	struct ipc *ipc;

	/* No fdinfo (a mapping, cwd) or an older kernel */
	if (!data->has_conn)
		return;

	ipc = get_ipc(data->file);
	if (!ipc) {
		ipc = new_ipc(&fuse_ipc_class);
		((struct fuse_ipc *)ipc)->conn = data->conn;
		add_ipc(ipc, fuse_ipc_get_hash(data->file));
	}
	add_endpoint(&data->endpoint, ipc);
}

static inline char *fuse_xstrendpoint(struct file *file)
{
	char *str = NULL;

	xasprintf(&str, "%d,%s,%d",
		  file->proc->pid, file->proc->command, file->association);
	return str;
}

/* A FUSE file lists the /dev/fuse files of its connection, and vice versa */
static bool fill_endpoints(struct fuse_data *data, char **str)
{
	struct list_head *e;

	if (!data->has_conn)
		return false;

	foreach_endpoint(e, data->endpoint) {
		struct fuse_data *other = list_entry(e, struct fuse_data,
						     endpoint.endpoints);
		char *estr;

		if (other == data || other->is_dev == data->is_dev)
			continue;
		if (*str)
			xstrputc(str, '\n');
		estr = fuse_xstrendpoint(other->file);
		xstrappend(str, estr);
		free(estr);
	}
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
		if (!data->has_backing_inode)
			return false;
		xasprintf(str, "%u:%u", major(data->backing_dev),
			  minor(data->backing_dev));
		return true;
	case COL_FUSE_BACKING_FILES:
		return fill_list(&data->backing_files, str);
	case COL_FUSE_BACKING_ID:
		if (!data->has_backing_id)
			return false;
		xasprintf(str, "%" PRIu64, data->backing_id);
		return true;
	case COL_FUSE_BACKING_INODE:
		if (!data->has_backing_inode)
			return false;
		xasprintf(str, "%" PRIu64, data->backing_ino);
		return true;
	case COL_FUSE_BACKING_INODES:
		return fill_backing_inodes(&data->backing_inodes, str);
	case COL_FUSE_CONN:
		if (!data->has_conn)
			return false;
		xasprintf(str, "%u", data->conn);
		return true;
	}
	return false;
}
