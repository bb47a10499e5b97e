/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw FUSE server for tests: requests read from /dev/fuse and answered
 * with writev(), no libfuse, so that a test controls every backing id.
 *
 * The filesystem is a root directory of regular files that the user of
 * this header names: @lookup maps a name in the root to a node id (>= 2)
 * and @open answers FUSE_OPEN of a node, in passthrough mode or not.
 * Everything else gets the answer a trivial filesystem gives: attributes
 * of a directory (root) or of a regular file of @file_size bytes, empty
 * reads and directories, success for flush, fsync and release.
 *
 * One thread or process runs fuse_server_loop() until the connection goes
 * away (umount, abort, or the last /dev/fuse file closed).
 */
#ifndef __SELFTESTS_FUSE_SERVER_H
#define __SELFTESTS_FUSE_SERVER_H

#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

struct fuse_server;

struct fuse_server_ops {
	/* FUSE_LOOKUP of @name in the root: its node id (>= 2) or -errno */
	int64_t (*lookup)(struct fuse_server *srv, const char *name);
	/* FUSE_OPEN of @nodeid: 0 with @out filled in, or -errno */
	int (*open)(struct fuse_server *srv, uint64_t nodeid,
		    struct fuse_open_out *out);
	/* Optional: after the answer to a successful FUSE_OPEN was written */
	void (*opened)(struct fuse_server *srv, const struct fuse_open_out *out);
	/* Optional: after the answer to FUSE_INIT was written */
	void (*initialized)(struct fuse_server *srv);
};

struct fuse_server {
	int devfd;			/* /dev/fuse of the mount */
	const struct fuse_server_ops *ops;
	uint64_t file_size;		/* st_size of every regular file */
	uint64_t valid;			/* entry and attribute timeout, s */
	int max_stack_depth;		/* for passthrough; 0: 1 */
	bool no_passthrough;		/* do not negotiate FUSE_PASSTHROUGH */
	void *data;			/* the user's */
};

/* Answer request @unique: @error (-errno) or @len bytes of @data */
static inline void fuse_server_reply(struct fuse_server *srv, uint64_t unique,
				     int error, const void *data, size_t len)
{
	struct fuse_out_header out = {
		.len = sizeof(out) + (error ? 0 : len),
		.error = error,
		.unique = unique,
	};
	struct iovec iov[] = {
		{ .iov_base = &out, .iov_len = sizeof(out) },
		{ .iov_base = (void *)data, .iov_len = error ? 0 : len },
	};

	/* ENOENT: the request was interrupted; ENODEV: aborted */
	if (writev(srv->devfd, iov, 2) < 0 && errno != ENOENT &&
	    errno != ENODEV)
		perror("fuse server: writev");
}

static inline void fuse_server_attr(struct fuse_server *srv,
				    struct fuse_attr *attr, uint64_t nodeid)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = nodeid;
	attr->blksize = 4096;
	if (nodeid == FUSE_ROOT_ID) {
		attr->mode = S_IFDIR | 0755;
		attr->nlink = 2;
	} else {
		attr->mode = S_IFREG | 0644;
		attr->nlink = 1;
		attr->size = srv->file_size;
	}
}

/* FUSE_INIT: passthrough (stacking depth 1 by default) if the kernel offers it */
static inline void fuse_server_init(struct fuse_server *srv,
				    struct fuse_in_header *in)
{
	struct fuse_init_in *init = (struct fuse_init_in *)(in + 1);
	uint64_t have = init->flags;
	uint64_t want = FUSE_INIT_EXT | FUSE_PASSTHROUGH;
	struct fuse_init_out out = {
		.major = FUSE_KERNEL_VERSION,
		.minor = FUSE_KERNEL_MINOR_VERSION,
		.max_readahead = init->max_readahead,
		.max_background = 16,
		.congestion_threshold = 12,
		.max_write = 65536,
		.time_gran = 1,
		.max_stack_depth = srv->max_stack_depth ? srv->max_stack_depth : 1,
	};

	if (init->flags & FUSE_INIT_EXT)
		have |= (uint64_t)init->flags2 << 32;
	if (srv->no_passthrough)
		want &= ~(uint64_t)FUSE_PASSTHROUGH;
	want &= have;
	out.flags = want;
	out.flags2 = want >> 32;
	fuse_server_reply(srv, in->unique, 0, &out, sizeof(out));
	if (srv->ops->initialized)
		srv->ops->initialized(srv);
}

static inline void fuse_server_lookup(struct fuse_server *srv,
				      struct fuse_in_header *in)
{
	struct fuse_entry_out out = {
		.generation = 1,
		.entry_valid = srv->valid,
		.attr_valid = srv->valid,
	};
	int64_t nodeid = -ENOENT;

	if (in->nodeid == FUSE_ROOT_ID)
		nodeid = srv->ops->lookup(srv, (const char *)(in + 1));
	if (nodeid < 0) {
		fuse_server_reply(srv, in->unique, nodeid, NULL, 0);
		return;
	}
	out.nodeid = nodeid;
	fuse_server_attr(srv, &out.attr, nodeid);
	fuse_server_reply(srv, in->unique, 0, &out, sizeof(out));
}

static inline void fuse_server_open(struct fuse_server *srv,
				    struct fuse_in_header *in)
{
	struct fuse_open_out out = { .fh = in->nodeid };
	int err = srv->ops->open(srv, in->nodeid, &out);

	fuse_server_reply(srv, in->unique, err, &out, sizeof(out));
	if (!err && srv->ops->opened)
		srv->ops->opened(srv, &out);
}

/* Answer one request */
static inline void fuse_server_handle(struct fuse_server *srv,
				      struct fuse_in_header *in)
{
	switch (in->opcode) {
	case FUSE_INIT:
		fuse_server_init(srv, in);
		break;
	case FUSE_LOOKUP:
		fuse_server_lookup(srv, in);
		break;
	case FUSE_GETATTR: {
		struct fuse_attr_out out = { .attr_valid = srv->valid };

		fuse_server_attr(srv, &out.attr, in->nodeid);
		fuse_server_reply(srv, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPEN:
		fuse_server_open(srv, in);
		break;
	case FUSE_STATFS: {
		struct fuse_statfs_out out = {
			.st = { .bsize = 4096, .frsize = 4096, .namelen = 255 },
		};

		fuse_server_reply(srv, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPENDIR: {
		struct fuse_open_out out = { .fh = 1 };

		fuse_server_reply(srv, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_READ:		/* files not in passthrough mode read empty */
	case FUSE_READDIR:
	case FUSE_FLUSH:
	case FUSE_RELEASE:
	case FUSE_RELEASEDIR:
	case FUSE_FSYNC:
		fuse_server_reply(srv, in->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;		/* no answer */
	default:
		/* Not needed here; the kernel passes the error on */
		fuse_server_reply(srv, in->unique, -EOPNOTSUPP, NULL, 0);
		break;
	}
}

/* Answer requests until the connection goes away */
static inline void fuse_server_loop(struct fuse_server *srv)
{
	size_t size = FUSE_MIN_READ_BUFFER + 128 * 1024;
	char *buf = malloc(size);

	if (!buf)
		perror("fuse server: malloc");
	while (buf) {
		ssize_t n = read(srv->devfd, buf, size);

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			break;	/* ENODEV: unmounted or aborted */
		fuse_server_handle(srv, (struct fuse_in_header *)buf);
	}
	free(buf);
}

/* fuse_server_loop() as a thread: pthread_create(&t, NULL, this, srv) */
static inline void *fuse_server_thread(void *srv)
{
	fuse_server_loop(srv);
	return NULL;
}

/*
 * A place to work: a private mount namespace, a tmpfs on a new directory
 * /tmp/@name_XXXXXX (@base) with the folders @lower (backing files) and
 * @mnt (the FUSE mount point) in it: 0 or -errno.
 */
static inline int fuse_server_dirs(const char *name, char *base, size_t size,
				   char *lower, char *mnt, size_t dir_size)
{
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	snprintf(base, size, "/tmp/%s_XXXXXX", name);
	if (!mkdtemp(base) || mount("tmpfs", base, "tmpfs", 0, "mode=0755"))
		return -errno;
	snprintf(lower, dir_size, "%s/lower", base);
	snprintf(mnt, dir_size, "%s/mnt", base);
	if (mkdir(lower, 0755) || mkdir(mnt, 0755))
		return -errno;
	return 0;
}

/*
 * Open /dev/fuse into srv->devfd and mount it on @mnt as "fuse.@name",
 * owned by root, with mount(2) @flags: 0 or -errno (srv->devfd stays open
 * on a mount failure).
 */
static inline int fuse_server_mount(struct fuse_server *srv, const char *mnt,
				    const char *name, unsigned long flags,
				    bool allow_other)
{
	char type[64], opts[128];

	srv->devfd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (srv->devfd < 0)
		return -errno;
	snprintf(type, sizeof(type), "fuse.%s", name);
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0%s",
		 srv->devfd, allow_other ? ",allow_other" : "");
	if (mount(name, mnt, type, flags, opts))
		return -errno;
	return 0;
}

/*
 * The value of a "fuse_backing:" line of fdinfo, of /dev/fuse or of a FUSE
 * file open in passthrough mode: "ID MAJ:MIN INO MNT_ID[ PATH]" (see
 * Documentation/filesystems/proc.rst).
 */
struct fuse_backing_line {
	unsigned long long id;
	unsigned int major, minor;
	unsigned long long ino;
	unsigned long long mnt_id;
	const char *path;	/* as printed, escaped, not NUL-terminated */
	size_t path_len;	/* 0: no path shown */
};

/*
 * Parse the value @v of a "fuse_backing:" line, which ends at @nl, into
 * @b: false if it is not of the documented form: numbers in their bases
 * without sign or padding, the device "%02x:%02x" at least, one space
 * between fields, a path without raw space, tab or newline, every
 * backslash the start of an octal escape \ooo.
 */
static inline bool fuse_backing_line_parse(const char *v, const char *nl,
					   struct fuse_backing_line *b)
{
	const char *colon, *space, *p;
	size_t len = nl - v;
	int n = -1, i, spaces = 0;
	char head[128];

	memset(b, 0, sizeof(*b));
	if (*v < '0' || *v > '9')
		return false;
	/*
	 * sscanf() takes the length of its whole input first: give it the
	 * numbers only, not a listing of many megabytes.
	 */
	snprintf(head, sizeof(head), "%.*s",
		 (int)(len < sizeof(head) ? len : sizeof(head) - 1), v);
	if (sscanf(head, "%llu %x:%x %llu %llu%n", &b->id, &b->major, &b->minor,
		   &b->ino, &b->mnt_id, &n) != 5 || n < 0 || (size_t)n > len)
		return false;
	/* No sign, no newline, no second space: sscanf() would take them */
	for (i = 0; i < n; i++) {
		if (v[i] == ' ' && v[i - 1] != ' ')
			spaces++;
		else if (v[i] != ':' && !isxdigit((unsigned char)v[i]))
			return false;
	}
	if (spaces != 3)
		return false;
	space = strchr(v, ' ');
	colon = strchr(v, ':');
	if (colon - space < 3 || strchr(colon, ' ') - colon < 3)
		return false;
	if ((size_t)n == len)
		return true;
	if (v[n] != ' ' || (size_t)n + 1 == len)
		return false;
	b->path = v + n + 1;
	b->path_len = len - n - 1;
	for (p = b->path; p < nl; p++) {
		if (*p == ' ' || *p == '\t')
			return false;
		if (*p == '\\' && (nl - p < 4 || p[1] < '0' || p[1] > '3' ||
				   p[2] < '0' || p[2] > '7' || p[3] < '0' ||
				   p[3] > '7'))
			return false;
	}
	return true;
}

/* A parsed "fuse_backing:" line that keeps its path */
struct fuse_backing_entry {
	unsigned long long id;
	unsigned int major, minor;
	unsigned long long ino;
	unsigned long long mnt_id;
	char *path;	/* as printed, escaped; NULL if not shown */
};

/*
 * Parse the value @v of a "fuse_backing:" line, up to its newline, into
 * @e (free e->path): false if it is malformed.
 */
static inline bool fuse_backing_entry_parse(const char *v,
					    struct fuse_backing_entry *e)
{
	struct fuse_backing_line b;
	bool ok = fuse_backing_line_parse(v, v + strcspn(v, "\n"), &b);

	e->id = b.id;
	e->major = b.major;
	e->minor = b.minor;
	e->ino = b.ino;
	e->mnt_id = b.mnt_id;
	e->path = ok && b.path_len ? strndup(b.path, b.path_len) : NULL;
	return ok && (!b.path_len || e->path);
}

/*
 * The one "fuse_backing:" line of @fdinfo (a FUSE file's, or that of a
 * /dev/fuse with one backing id), parsed into @e (free e->path); false if
 * there is none, or more than one, or it is malformed.
 */
static inline bool fuse_backing_entry_only(const char *fdinfo,
					   struct fuse_backing_entry *e)
{
	const char *line = strstr(fdinfo, "\nfuse_backing:\t");

	memset(e, 0, sizeof(*e));
	if (!line || strstr(line + 1, "\nfuse_backing:\t"))
		return false;
	return fuse_backing_entry_parse(line + strlen("\nfuse_backing:\t"), e);
}

/* The mount id statx() gives for @path, or 0 */
static inline unsigned long long fuse_mount_id(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_MNT_ID, &stx) ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return 0;
	return stx.stx_mnt_id;
}

/* Register @path, opened with @flags, as a backing file: id or -errno */
static inline int fuse_backing_open_flags(int devfd, const char *path, int flags)
{
	struct fuse_backing_map map = { };
	int id, err;

	map.fd = open(path, flags | O_CLOEXEC);
	if (map.fd < 0)
		return -errno;
	id = ioctl(devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	err = errno;
	close(map.fd);
	return id < 0 ? -err : id;
}

/* Register @path as a backing file the way a careful server does: id or -errno */
static inline int fuse_backing_open(int devfd, const char *path)
{
	return fuse_backing_open_flags(devfd, path, O_RDONLY);
}

/* Close backing id @id: 0 or -errno */
static inline int fuse_backing_close(int devfd, int id)
{
	uint32_t backing_id = id;

	return ioctl(devfd, FUSE_DEV_IOC_BACKING_CLOSE, &backing_id) ? -errno : 0;
}

#endif /* __SELFTESTS_FUSE_SERVER_H */
