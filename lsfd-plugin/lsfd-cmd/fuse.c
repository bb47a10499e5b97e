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

#include <ctype.h>
#include <string.h>

#include "strutils.h"
#include "xalloc.h"

#include "lsfd.h"
#include "fuse.h"

/*
 * The kernel escapes space, tab, newline and backslash in paths as \ooo.
 * Space and tab are shown as they are.  Newline and backslash stay
 * escaped, so that a value keeps one line per backing file and can be
 * decoded without ambiguity.
 */
static char *decode_path(const char *p)
{
	char *str = xmalloc(strlen(p) + 1), *o = str;

	while (*p) {
		if (p[0] == '\\' && p[1] == '0' && p[2] == '4' && p[3] == '0') {
			*o++ = ' ';
			p += 4;
		} else if (p[0] == '\\' && p[1] == '0' && p[2] == '1' && p[3] == '1') {
			*o++ = '\t';
			p += 4;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return str;
}

/* Is @key the id of a "%5u: <path>" line of the /dev/fuse list? */
static bool is_backing_id_key(const char *key, uint32_t *id)
{
	while (*key == ' ')
		key++;
	if (!isdigit((unsigned char)*key))
		return false;
	for (const char *p = key; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return ul_strtou32(key, id, 10) == 0;
}

/*
 * Add a "<id>: <path>" line to the /dev/fuse list.  A server may hold a
 * hundred thousand backing files: the buffer grows in large chunks, where
 * xstrfappend() would copy the whole list for every line.
 */
static void append_backing(struct ul_buffer *list, uint32_t id, const char *path)
{
	char num[sizeof("\n4294967295: ")];

	ul_buffer_set_chunksize(list, 64 * 1024);
	snprintf(num, sizeof(num), "%s%u: ", ul_buffer_is_empty(list) ? "" : "\n", id);
	if (ul_buffer_append_string(list, num) || ul_buffer_append_string(list, path))
		err(EXIT_FAILURE, _("failed to allocate output data"));
}

int fuse_handle_fdinfo(struct fuse_data *data, const char *key,
		       const char *value)
{
	uint32_t id;

	/* The list of paths ends at the next key, as io_uring's UserFiles */
	if (data->has_nbacking && !is_backing_id_key(key, &id))
		data->list_ended = true;

	if (strcmp(key, "fuse_connection") == 0) {
		if (ul_strtou32(value, &data->conn, 10) < 0)
			return 0;
		data->has_conn = true;
		return 1;
	} else if (strcmp(key, "fuse_backing_id") == 0) {
		if (ul_strtou32(value, &data->backing_id, 10) < 0)
			return 0;
		data->has_backing_id = true;
		return 1;
	} else if (strcmp(key, "fuse_backing_file") == 0) {
		free(data->backing);
		data->backing = decode_path(value);
		return 1;
	} else if (strcmp(key, "fuse_backing_files") == 0) {
		if (ul_strtou32(value, &data->nbacking, 10) < 0)
			return 0;
		data->has_nbacking = true;
		return 1;
	} else if (data->has_nbacking && !data->list_ended &&
		   is_backing_id_key(key, &id)) {
		char *path = decode_path(value);

		append_backing(&data->backing_list, id, path);
		free(path);
		return 1;
	}

	return 0;
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
	return str;
}

bool fuse_fill_column(struct fuse_data *data, int column_id, char **str)
{
	switch (column_id) {
	case COL_FUSE_BACKING:
		if (data->backing)
			*str = xstrdup(data->backing);
		else if (!ul_buffer_is_empty(&data->backing_list))
			*str = xstrdup(ul_buffer_get_data(&data->backing_list, NULL, NULL));
		else
			return false;
		return true;
	case COL_FUSE_BACKING_ID:
		if (!data->has_backing_id)
			return false;
		xasprintf(str, "%u", data->backing_id);
		return true;
	case COL_FUSE_CONN:
		if (!data->has_conn)
			return false;
		xasprintf(str, "%u", data->conn);
		return true;
	}
	return false;
}
