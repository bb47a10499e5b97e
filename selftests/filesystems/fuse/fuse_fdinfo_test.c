// SPDX-License-Identifier: GPL-2.0
/*
 * fdinfo of FUSE files and of /dev/fuse: which backing files the kernel
 * holds for a FUSE passthrough server, and for which open file.
 *
 * The test runs its own small FUSE server on /dev/fuse (fuse_server.h: a
 * thread, no libfuse), which registers backing files with FUSE_DEV_IOC_BACKING_OPEN
 * and closes its own descriptors at once, like a careful server.  All
 * mounts are made in a private mount namespace on a tmpfs of the test.
 */

#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/btrfs.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "fuse_server.h"

#define MAX_FILES	16
#define CONTENT		"passthrough data\n"
#define CONTENT_LEN	((ssize_t)sizeof(CONTENT) - 1)
#define NOBODY		65534

struct fs_file {
	char name[NAME_MAX + 1];
	int backing_id;		/* > 0: open in passthrough mode with it */
	unsigned int open_flags; /* FOPEN_* reply when not in passthrough */
};

/* The FUSE server: a thread of fuse_server.h answering on fs.devfd */
struct server {
	struct fuse_server fs;
	pthread_mutex_t lock;
	struct fs_file files[MAX_FILES];
	int nfiles;
};

static int64_t lookup_file(struct fuse_server *fs, const char *name)
{
	struct server *srv = fs->data;
	int64_t nodeid = -ENOENT;
	int i;

	pthread_mutex_lock(&srv->lock);
	for (i = 0; i < srv->nfiles; i++)
		if (!strcmp(srv->files[i].name, name))
			nodeid = i + 2;
	pthread_mutex_unlock(&srv->lock);
	return nodeid;
}

static int open_file(struct fuse_server *fs, uint64_t nodeid,
		     struct fuse_open_out *out)
{
	struct server *srv = fs->data;
	struct fs_file *f;
	int err = 0;

	pthread_mutex_lock(&srv->lock);
	if (nodeid < 2 || nodeid >= 2 + (uint64_t)srv->nfiles) {
		err = -ENOENT;
	} else {
		f = &srv->files[nodeid - 2];
		if (f->backing_id > 0) {
			out->open_flags = FOPEN_PASSTHROUGH | f->open_flags;
			out->backing_id = f->backing_id;
		} else {
			out->open_flags = f->open_flags;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	return err;
}

static const struct fuse_server_ops files_ops = {
	.lookup = lookup_file,
	.open = open_file,
};

static void server_init(struct server *srv)
{
	memset(srv, 0, sizeof(*srv));
	srv->fs.devfd = -1;
	srv->fs.ops = &files_ops;
	srv->fs.file_size = CONTENT_LEN;
	srv->fs.valid = 3600;
	srv->fs.data = srv;
	pthread_mutex_init(&srv->lock, NULL);
}

static int backing_open(struct server *srv, const char *path)
{
	return fuse_backing_open(srv->fs.devfd, path);
}

static int backing_close(struct server *srv, int id)
{
	return fuse_backing_close(srv->fs.devfd, id);
}

/* Add a file to the FUSE filesystem; backing_id > 0 means passthrough */
static void add_file(struct server *srv, const char *name, int backing_id,
		     unsigned int open_flags)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->nfiles < MAX_FILES) {
		struct fs_file *f = &srv->files[srv->nfiles++];

		snprintf(f->name, sizeof(f->name), "%s", name);
		f->backing_id = backing_id;
		f->open_flags = open_flags;
	}
	pthread_mutex_unlock(&srv->lock);
}

/* Not in a uapi header: fs/fuse/control.c */
#define FUSE_CTL_SUPER_MAGIC	0x65735543

/*
 * Mount the FUSE control filesystem on /sys/fs/fuse/connections, in the
 * test's own mount namespace, unless it is there: 0 or an errno.
 */
static int mount_fusectl(void)
{
	struct statfs sfs;

	if (!statfs("/sys/fs/fuse/connections", &sfs) &&
	    sfs.f_type == FUSE_CTL_SUPER_MAGIC)
		return 0;
	if (mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL))
		return errno;
	return 0;
}

/* Write "1" to the abort file of the connection; 0 or an errno */
static int abort_connection(unsigned int conn)
{
	char path[64];
	int fd, err = mount_fusectl();

	if (err)
		return err;
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort", conn);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	err = write(fd, "1", 1) == 1 ? 0 : errno;
	close(fd);
	return err;
}

/* CLOCK_MONOTONIC in ms, for logs */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Read a whole file, however large; NUL-terminated, NULL on error */
static char *read_all(const char *path)
{
	size_t len = 0, size = 65536;
	char *buf = malloc(size + 1);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0 || !buf)
		goto fail;
	while ((n = read(fd, buf + len, size - len)) > 0) {
		len += n;
		if (len == size) {
			char *bigger = realloc(buf, 2 * size + 1);

			if (!bigger)
				goto fail;
			buf = bigger;
			size *= 2;
		}
	}
	if (n < 0)
		goto fail;
	close(fd);
	buf[len] = '\0';
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static char *read_fdinfo(pid_t pid, int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	return read_all(path);
}

/*
 * The value of "key:\t<value>\n" in @fdinfo, copied to @val; false if the
 * key is missing.
 */
static bool fdinfo_get(const char *fdinfo, const char *key, char *val,
		       size_t size)
{
	size_t klen = strlen(key);
	const char *line;

	for (line = fdinfo; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		if (!strncmp(line, key, klen) && line[klen] == ':' &&
		    line[klen + 1] == '\t') {
			const char *v = line + klen + 2;
			size_t vlen = strcspn(v, "\n");

			if (vlen >= size)
				vlen = size - 1;
			memcpy(val, v, vlen);
			val[vlen] = '\0';
			return true;
		}
	}
	return false;
}

static long fdinfo_num(const char *fdinfo, const char *key)
{
	char val[64], *end;
	long n;

	if (!fdinfo_get(fdinfo, key, val, sizeof(val)))
		return -1;
	n = strtol(val, &end, 0);
	return *end ? -2 : n;
}

/*
 * Escape @path as seq_file_path(m, f, " \t\n\\") does: these four
 * characters become \ooo.
 */
static void escape(const char *path, char *out, size_t size)
{
	size_t o = 0;

	for (; *path && o + 5 < size; path++) {
		if (strchr(" \t\n\\", *path))
			o += snprintf(out + o, size - o, "\\%03o",
				      (unsigned char)*path);
		else
			out[o++] = *path;
	}
	out[o] = '\0';
}

/* Entries of the /dev/fuse listing in the order of their ids */
static int entry_cmp(const void *a, const void *b)
{
	const struct fuse_backing_entry *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static void free_entries(struct fuse_backing_entry *e, int n)
{
	for (int i = 0; i < n; i++)
		free(e[i].path);
}

/* The backing id of a FUSE file's fdinfo, or -1 */
static long long backing_id(const char *fdinfo)
{
	struct fuse_backing_entry e;

	if (!fuse_backing_entry_only(fdinfo, &e))
		return -1;
	free(e.path);
	return e.id;
}

/* The backing path of a FUSE file's fdinfo in @val; false if not shown */
static bool backing_path(const char *fdinfo, char *val, size_t size)
{
	struct fuse_backing_entry e;
	bool shown = fuse_backing_entry_only(fdinfo, &e) && e.path;

	if (shown)
		snprintf(val, size, "%s", e.path);
	free(e.path);
	return shown;
}

/*
 * Parse the backing file list of a /dev/fuse fdinfo into @e (at most @max
 * entries, free with free_entries()): the "fuse_backing:" lines that
 * follow "fuse_backing_files:".  Returns the number of lines, or -1 if one
 * of them is malformed.  The kernel promises no order: the entries are
 * sorted by id here.
 */
static int parse_list(const char *fdinfo, struct fuse_backing_entry *e, int max)
{
	const char *line = strstr(fdinfo, "fuse_backing_files:\t");
	int n = 0;

	if (!line)
		return -1;
	for (line = strchr(line, '\n'); line && line[1]; line = strchr(line, '\n')) {
		struct fuse_backing_entry tmp;

		line++;
		if (strncmp(line, "fuse_backing:\t", 14))
			continue;
		if (!fuse_backing_entry_parse(line + 14, &tmp) || !tmp.id ||
		    tmp.id > INT_MAX) {
			free(tmp.path);
			return -1;
		}
		if (n < max)
			e[n] = tmp;
		else
			free(tmp.path);
		n++;
	}
	qsort(e, n < max ? n : max, sizeof(*e), entry_cmp);
	return n;
}

/*
 * The device of the superblock mounted at @dir (s_dev), as mountinfo shows
 * it, which stat() need not report; (dev_t)-1 if not found.
 */
static dev_t mount_dev(const char *dir)
{
	unsigned long long want = fuse_mount_id(dir), id;
	unsigned int maj, min;
	dev_t dev = (dev_t)-1;
	char line[4096];
	FILE *f;

	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return dev;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llu %*u %u:%u", &id, &maj, &min) == 3 &&
		    id == want)
			dev = makedev(maj, min);
	fclose(f);
	return dev;
}

/*
 * Does @e name the file at @path as stat() and statx() do?  Logs the
 * difference if not.
 */
static bool same_file(struct __test_metadata *_metadata,
		      const struct fuse_backing_entry *e, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return false;
	if (e->major == major(st.st_dev) && e->minor == minor(st.st_dev) &&
	    e->ino == st.st_ino && e->mnt_id == fuse_mount_id(path))
		return true;
	TH_LOG("%s: fdinfo says %02x:%02x %llu mount %llu, stat %02x:%02x %llu mount %llu",
	       path, e->major, e->minor, e->ino, e->mnt_id, major(st.st_dev),
	       minor(st.st_dev), (unsigned long long)st.st_ino, fuse_mount_id(path));
	return false;
}

/* Every line is "key:\tvalue", "key:value..." or a list entry */
static bool well_formed(const char *fdinfo)
{
	const char *line = fdinfo;

	while (*line) {
		size_t len = strcspn(line, "\n");
		const char *colon = memchr(line, ':', len);

		if (!colon || line[len] != '\n')
			return false;
		line += len + 1;
	}
	return true;
}

FIXTURE(fdinfo) {
	struct server srv;
	pthread_t thread;
	char base[64];
	char lower[128];
	char mnt[128];
	unsigned int conn;
	bool serving;
};

FIXTURE_SETUP(fdinfo)
{
	char path[256];
	struct stat st;
	int id;

	server_init(&self->srv);

	if (geteuid() != 0)
		SKIP(return, "needs root: %s",
		     "mount and FUSE_DEV_IOC_BACKING_OPEN take CAP_SYS_ADMIN");
	if (access("/dev/fuse", R_OK | W_OK))
		SKIP(return, "cannot open /dev/fuse: %s (CONFIG_FUSE_FS?)", strerror(errno));

	ASSERT_EQ(fuse_server_dirs("fuse_fdinfo", self->base, sizeof(self->base),
				   self->lower, self->mnt, sizeof(self->lower)), 0);

	/* Backing files may be on an overlayfs */
	self->srv.fs.max_stack_depth = 2;
	ASSERT_EQ(fuse_server_mount(&self->srv.fs, self->mnt, "fuse_fdinfo",
				    MS_NOSUID | MS_NODEV, true), 0);
	ASSERT_EQ(pthread_create(&self->thread, NULL, fuse_server_thread,
				 &self->srv.fs), 0);
	self->serving = true;

	/* Waits for FUSE_INIT to be answered */
	ASSERT_EQ(stat(self->mnt, &st), 0);
	/* fc->dev, as the kernel prints it: MKDEV() of the kernel */
	self->conn = (major(st.st_dev) << 20) | minor(st.st_dev);

	/* Passthrough negotiated?  (This uses and closes one id.) */
	snprintf(path, sizeof(path), "%s/probe", self->lower);
	ASSERT_EQ(close(open(path, O_CREAT | O_WRONLY, 0644)), 0);
	id = backing_open(&self->srv, path);
	if (id == -EPERM)
		SKIP(return, "FUSE passthrough not available (CONFIG_FUSE_PASSTHROUGH?)");
	ASSERT_GT(id, 0);
	ASSERT_EQ(backing_close(&self->srv, id), 0);
	ASSERT_EQ(unlink(path), 0);
}

FIXTURE_TEARDOWN(fdinfo)
{
	int err;

	/*
	 * The process exits next: the server thread and fds go with it.
	 * Abort the connection first: the exit flushes the files a failed
	 * ASSERT left open on the mount after the server thread is gone,
	 * and a FUSE_FLUSH that nobody answers would hang until the
	 * harness's timeout.
	 */
	if (self->serving) {
		err = abort_connection(self->conn);
		if (err)
			TH_LOG("abort of connection %u: %s", self->conn,
			       strerror(err));
		umount2(self->mnt, MNT_DETACH);
	}
	if (self->base[0])
		umount2(self->base, MNT_DETACH);
}

/* Create lower/<name> holding CONTENT; return its path in @path */
static void make_lower(struct __test_metadata *_metadata,
		       FIXTURE_DATA(fdinfo) * self, const char *name,
		       char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", self->lower, name);
	fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, CONTENT, CONTENT_LEN), CONTENT_LEN);
	ASSERT_EQ(close(fd), 0);
}

/* Open mnt/<name>, served in passthrough mode from lower/<name> */
static int open_passthrough(struct __test_metadata *_metadata,
			    FIXTURE_DATA(fdinfo) * self, const char *name,
			    int *idp, char *lower_path, size_t size)
{
	char path[PATH_MAX], buf[64];
	int fd, id;

	make_lower(_metadata, self, name, lower_path, size);
	id = backing_open(&self->srv, lower_path);
	EXPECT_GT(id, 0);
	add_file(&self->srv, name, id, 0);
	snprintf(path, sizeof(path), "%s/%s", self->mnt, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	EXPECT_GE(fd, 0);
	/* The server answers FUSE_READ with nothing: data means passthrough */
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), CONTENT_LEN);
	*idp = id;
	return fd;
}

/*
 * Mount a tmpfs of its own on base/<name>, holding "data" with CONTENT: a
 * filesystem whose umount tells whether anything holds a file of it.  The
 * path of "data" is returned in @path.
 */
static void make_pinned(struct __test_metadata *_metadata,
			FIXTURE_DATA(fdinfo) * self, const char *name,
			char *dir, size_t dsize, char *path, size_t size)
{
	int fd;

	snprintf(dir, dsize, "%s/%s", self->base, name);
	ASSERT_EQ(mkdir(dir, 0755), 0);
	ASSERT_EQ(mount("tmpfs", dir, "tmpfs", 0, NULL), 0);
	snprintf(path, size, "%s/data", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, CONTENT, CONTENT_LEN), CONTENT_LEN);
	ASSERT_EQ(close(fd), 0);
}

/*
 * umount(@dir), allowing two seconds for files to go: the last fput of a
 * file closed by an exiting process, or by an aborted connection, may be
 * deferred.  Returns 0 or the negative errno of the last attempt.
 */
static int umount_when_free(const char *dir)
{
	for (int i = 0; i < 200; i++) {
		if (!umount2(dir, 0))
			return 0;
		if (errno != EBUSY)
			return -errno;
		usleep(10000);
	}
	return -EBUSY;
}

/*
 * The child of fork_server(): serves base/<name>, registers @n ids of
 * @lower, writes its /dev/fuse fd number to @report, waits to be killed.
 * It never returns.
 */
static void serve_child(FIXTURE_DATA(fdinfo) * self, const char *name,
			const char *lower, int n, int report)
{
	struct server srv;
	char mnt[PATH_MAX];
	pthread_t t;
	int i, id;

	server_init(&srv);
	snprintf(mnt, sizeof(mnt), "%s/%s", self->base, name);
	mkdir(mnt, 0755);
	if (fuse_server_mount(&srv.fs, mnt, name, 0, false) ||
	    pthread_create(&t, NULL, fuse_server_thread, &srv.fs))
		_exit(1);
	if (stat(mnt, &(struct stat){}))
		_exit(2);
	for (i = 0; i < n; i++) {
		id = backing_open(&srv, lower);
		if (id <= 0)
			_exit(3);
		if (!i)
			add_file(&srv, "data", id, 0);
	}
	if (write(report, &srv.fs.devfd, sizeof(int)) != sizeof(int))
		_exit(4);
	pause();
	_exit(0);
}

/*
 * A second server, in a child process: its own /dev/fuse and FUSE mount on
 * base/<name>, serving "data" in passthrough mode from @lower, with @n ids
 * of @lower registered.  Returns its pid once it serves, with the number
 * of its /dev/fuse fd in *@devfd, or -1.  Its mount stays when it dies:
 * the caller unmounts it.
 */
static pid_t fork_server(FIXTURE_DATA(fdinfo) * self, const char *name,
			 const char *lower, int n, int *devfd)
{
	int ready[2];
	pid_t pid;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		serve_child(self, name, lower, n, ready[1]);
	}
	close(ready[1]);
	if (pid > 0 && read(ready[0], devfd, sizeof(int)) != sizeof(int)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

/*
 * The fdinfo of @pid's @fd, open in passthrough mode on @lower whose id is
 * closed, names the backing file under id 0; logged as @what.
 */
static void expect_held_by_file(struct __test_metadata *_metadata, pid_t pid,
				int fd, const char *lower, const char *what)
{
	char val[PATH_MAX], *info = read_fdinfo(pid, fd);

	ASSERT_NE(info, NULL);
	TH_LOG("fdinfo of %s:\n%s", what, info);
	EXPECT_EQ(backing_id(info), 0);
	EXPECT_TRUE(backing_path(info, val, sizeof(val)));
	EXPECT_STREQ(val, lower);
	free(info);
}

TEST_F(fdinfo, dev_lists_backing_files)
{
	static const char * const names[] = { "a", "b", "c" };
	char path[3][PATH_MAX], *info;
	struct fuse_backing_entry e[4];
	int i, id[3];

	for (i = 0; i < 3; i++) {
		make_lower(_metadata, self, names[i], path[i], PATH_MAX);
		id[i] = backing_open(&self->srv, path[i]);
		ASSERT_GT(id[i], 0);
	}

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	TH_LOG("/dev/fuse fdinfo:\n%s", info);
	ASSERT_EQ(fdinfo_num(info, "fuse_connection"), (long)self->conn);
	ASSERT_EQ(fdinfo_num(info, "fuse_backing_files"), 3);
	ASSERT_EQ(parse_list(info, e, 4), 3);
	for (i = 0; i < 3; i++) {
		char line[4 * PATH_MAX];

		struct stat st;

		EXPECT_EQ(e[i].id, id[i]);
		EXPECT_STREQ(e[i].path, path[i]);
		EXPECT_TRUE(same_file(_metadata, &e[i], path[i]));
		/* Exactly so: no padding, one space, the device as in maps */
		ASSERT_EQ(stat(path[i], &st), 0);
		snprintf(line, sizeof(line), "\nfuse_backing:\t%d %02x:%02x %llu %llu %s\n",
			 id[i], major(st.st_dev), minor(st.st_dev),
			 (unsigned long long)st.st_ino, fuse_mount_id(path[i]), path[i]);
		EXPECT_NE(strstr(info, line), NULL);
	}
	free_entries(e, 3);
	free(info);
}

TEST_F(fdinfo, connection_matches_fusectl)
{
	char path[PATH_MAX], *info;
	int err = mount_fusectl();

	if (err)
		SKIP(return, "no fuse control filesystem: %s", strerror(err));
	snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/waiting",
		 self->conn);
	ASSERT_EQ(access(path, F_OK), 0);
	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	ASSERT_EQ(fdinfo_num(info, "fuse_connection"), (long)self->conn);
	free(info);
}

TEST_F(fdinfo, closed_id_disappears)
{
	char a[PATH_MAX], b[PATH_MAX], *info;
	struct fuse_backing_entry e[2];
	int ida, idb;

	make_lower(_metadata, self, "a", a, sizeof(a));
	make_lower(_metadata, self, "b", b, sizeof(b));
	ida = backing_open(&self->srv, a);
	idb = backing_open(&self->srv, b);
	ASSERT_GT(ida, 0);
	ASSERT_GT(idb, 0);
	ASSERT_EQ(backing_close(&self->srv, ida), 0);

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	ASSERT_EQ(fdinfo_num(info, "fuse_backing_files"), 1);
	ASSERT_EQ(parse_list(info, e, 2), 1);
	EXPECT_EQ(e[0].id, idb);
	EXPECT_STREQ(e[0].path, b);
	free_entries(e, 1);
	free(info);

	ASSERT_EQ(backing_close(&self->srv, idb), 0);
	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	ASSERT_EQ(fdinfo_num(info, "fuse_backing_files"), 0);
	ASSERT_EQ(parse_list(info, e, 2), 0);
	free(info);
}

TEST_F(fdinfo, sparse_ids)
{
	char path[PATH_MAX], name[16], *info;
	struct fuse_backing_entry e[40];
	int i, n, id[40], kept = 0;

	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "s%02d", i);
		make_lower(_metadata, self, name, path, sizeof(path));
		id[i] = backing_open(&self->srv, path);
		ASSERT_GT(id[i], 0);
	}
	/* Keep every third id, and the last one */
	for (i = 0; i < 40; i++) {
		if (i % 3 == 0 || i == 39)
			kept++;
		else
			ASSERT_EQ(backing_close(&self->srv, id[i]), 0);
	}

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	ASSERT_EQ(fdinfo_num(info, "fuse_backing_files"), kept);
	n = parse_list(info, e, 40);
	ASSERT_EQ(n, kept);
	for (i = 0, n = 0; i < 40; i++) {
		if (i % 3 && i != 39)
			continue;
		snprintf(name, sizeof(name), "/s%02d", i);
		EXPECT_EQ(e[n].id, id[i]);
		EXPECT_NE(strstr(e[n].path, name), NULL);
		n++;
	}
	free_entries(e, kept);
	free(info);
}

TEST_F(fdinfo, passthrough_file)
{
	char lower[PATH_MAX], *info, val[PATH_MAX];
	int fd, id;

	fd = open_passthrough(_metadata, self, "pt", &id, lower, sizeof(lower));
	ASSERT_GE(fd, 0);

	info = read_fdinfo(getpid(), fd);
	ASSERT_NE(info, NULL);
	TH_LOG("passthrough file fdinfo:\n%s", info);
	ASSERT_EQ(fdinfo_num(info, "fuse_connection"), (long)self->conn);
	ASSERT_EQ(fdinfo_num(info, "fuse_open_flags"), FOPEN_PASSTHROUGH);
	ASSERT_EQ(backing_id(info), id);
	ASSERT_TRUE(backing_path(info, val, sizeof(val)));
	ASSERT_STREQ(val, lower);
	/* In this order, after the generic lines */
	ASSERT_NE(strstr(info, "\nino:\t"), NULL);
	ASSERT_LT(strstr(info, "\nino:\t"), strstr(info, "fuse_connection:"));
	ASSERT_LT(strstr(info, "fuse_connection:"), strstr(info, "fuse_open_flags:"));
	ASSERT_LT(strstr(info, "fuse_open_flags:"), strstr(info, "fuse_backing:"));
	/* The flags in hex, as the uapi defines FOPEN_* */
	ASSERT_NE(strstr(info, "\nfuse_open_flags:\t0x80\n"), NULL);
	free(info);
	close(fd);
}

/*
 * Tools match files by device, inode and mount id, not by path: the FUSE
 * file and the /dev/fuse listing name the backing file by what stat() and
 * statx() give for it.
 */
TEST_F(fdinfo, backing_matches_stat)
{
	char lower[PATH_MAX], *info;
	struct fuse_backing_entry e[2];
	int fd, id;

	fd = open_passthrough(_metadata, self, "ident", &id, lower, sizeof(lower));
	ASSERT_GE(fd, 0);

	info = read_fdinfo(getpid(), fd);
	ASSERT_NE(info, NULL);
	TH_LOG("passthrough file fdinfo:\n%s", info);
	ASSERT_TRUE(fuse_backing_entry_only(info, &e[0]));
	EXPECT_EQ(e[0].id, id);
	EXPECT_TRUE(same_file(_metadata, &e[0], lower));
	EXPECT_STREQ(e[0].path, lower);
	free_entries(e, 1);
	free(info);

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	TH_LOG("/dev/fuse fdinfo:\n%s", info);
	ASSERT_EQ(parse_list(info, e, 2), 1);
	EXPECT_EQ(e[0].id, id);
	EXPECT_TRUE(same_file(_metadata, &e[0], lower));
	EXPECT_STREQ(e[0].path, lower);
	free_entries(e, 1);
	free(info);
	close(fd);
}

/*
 * Register @path as a backing file, open it as FUSE file @name, and check
 * that its fdinfo and the listing of /dev/fuse name it as stat() and
 * statx() do, with its path.
 */
static void check_named_by_stat(struct __test_metadata *_metadata,
				FIXTURE_DATA(fdinfo) * self, const char *path,
				const char *name)
{
	struct fuse_backing_entry e[2];
	char file[PATH_MAX], *info;
	struct stat st;
	int id, fd;

	ASSERT_EQ(stat(path, &st), 0);
	TH_LOG("stat %s: device %02x:%02x inode %llu mount id %llu", path,
	       major(st.st_dev), minor(st.st_dev),
	       (unsigned long long)st.st_ino, fuse_mount_id(path));
	id = backing_open(&self->srv, path);
	ASSERT_GT(id, 0);
	add_file(&self->srv, name, id, 0);
	snprintf(file, sizeof(file), "%s/%s", self->mnt, name);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);

	info = read_fdinfo(getpid(), fd);
	ASSERT_NE(info, NULL);
	TH_LOG("passthrough file backed by %s:\n%s", path, info);
	ASSERT_TRUE(fuse_backing_entry_only(info, &e[0]));
	EXPECT_TRUE(same_file(_metadata, &e[0], path));
	EXPECT_STREQ(e[0].path, path);
	free_entries(e, 1);
	free(info);

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	ASSERT_EQ(parse_list(info, e, 2), 1);
	EXPECT_TRUE(same_file(_metadata, &e[0], path));
	free_entries(e, 1);
	free(info);
	close(fd);
}

/*
 * What stat() reports is not always i_sb->s_dev and i_ino: a regular file
 * of an overlayfs whose layers are on different filesystems (xino=off)
 * has a device of its layer, not the overlay's.  A backing file there is
 * named as stat() names it.
 */
TEST_F(fdinfo, backing_on_overlayfs_matches_stat)
{
	char dir[PATH_MAX], opts[4 * PATH_MAX], path[PATH_MAX];
	static const char * const sub[] = { "lo", "up", "work", "ovl" };
	struct stat st;
	dev_t sdev;
	int i, fd;

	for (i = 0; i < 4; i++) {
		snprintf(dir, sizeof(dir), "%s/%s", self->base, sub[i]);
		ASSERT_EQ(mkdir(dir, 0755), 0);
	}
	/* Lower and upper layer on different filesystems */
	snprintf(dir, sizeof(dir), "%s/lo", self->base);
	ASSERT_EQ(mount("tmpfs", dir, "tmpfs", 0, NULL), 0);
	snprintf(path, sizeof(path), "%s/lo/f", self->base);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, CONTENT, CONTENT_LEN), CONTENT_LEN);
	close(fd);
	snprintf(opts, sizeof(opts), "lowerdir=%s/lo,upperdir=%s/up,workdir=%s/work,xino=off",
		 self->base, self->base, self->base);
	snprintf(dir, sizeof(dir), "%s/ovl", self->base);
	if (mount("overlay", dir, "overlay", 0, opts))
		SKIP(return, "no overlayfs: %s (CONFIG_OVERLAY_FS?)", strerror(errno));
	snprintf(path, sizeof(path), "%s/ovl/f", self->base);
	ASSERT_EQ(stat(path, &st), 0);
	/* The point of the test: stat() does not show the overlay's s_dev */
	sdev = mount_dev(dir);
	ASSERT_NE(sdev, (dev_t)-1);
	ASSERT_NE(st.st_dev, sdev);

	check_named_by_stat(_metadata, self, path, "onovl");
}

/*
 * Make a @type filesystem ("btrfs", "ext4") with the system's mkfs in a
 * sparse image under self->base, and mount it on self->base/@type through
 * a loop device (mount -o loop: the loop device goes with the mount).
 *
 * Return: NULL, or why it could not be done (the test skips, saying it).
 */
static const char *mount_image(FIXTURE_DATA(fdinfo) * self, const char *type,
			       char *dir, size_t size)
{
	char img[PATH_MAX], cmd[3 * PATH_MAX + 64];
	static char why[128];
	int fd;

	snprintf(img, sizeof(img), "%s/%s.img", self->base, type);
	snprintf(dir, size, "%s/%s", self->base, type);
	fd = open(img, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, 256 << 20) || mkdir(dir, 0755)) {
		snprintf(why, sizeof(why), "image for %s: %s", type, strerror(errno));
		if (fd >= 0)
			close(fd);
		return why;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "mkfs.%s -q %s '%s' >/dev/null 2>&1", type,
		 strcmp(type, "btrfs") ? "-F" : "-f", img);
	if (system(cmd)) {
		snprintf(why, sizeof(why), "mkfs.%s failed or is not installed", type);
		return why;
	}
	snprintf(cmd, sizeof(cmd), "mount -t %s -o loop '%s' '%s' >/dev/null 2>&1",
		 type, img, dir);
	if (system(cmd)) {
		snprintf(why, sizeof(why),
			 "mount -t %s -o loop failed (CONFIG_BLK_DEV_LOOP? a %s kernel?)",
			 type, type);
		return why;
	}
	return NULL;
}

/* Create @path holding CONTENT */
static void make_file(struct __test_metadata *_metadata, const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, CONTENT, CONTENT_LEN), CONTENT_LEN);
	close(fd);
}

/*
 * A btrfs subvolume has a device number of its own, which stat() shows
 * and the superblock's s_dev is not: tools that match files by device
 * would miss a backing file there named by s_dev (the default layout of
 * Fedora and openSUSE).
 */
TEST_F(fdinfo, backing_on_btrfs_subvolume_matches_stat)
{
	struct btrfs_ioctl_vol_args args = { .fd = 0 };
	char dir[PATH_MAX], path[PATH_MAX];
	const char *why;
	struct stat st;
	int dfd;

	why = mount_image(self, "btrfs", dir, sizeof(dir));
	if (why)
		SKIP(return, "%s", why);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(dfd, 0);
	strcpy(args.name, "subvol");
	ASSERT_EQ(ioctl(dfd, BTRFS_IOC_SUBVOL_CREATE, &args), 0);
	close(dfd);
	snprintf(path, sizeof(path), "%s/subvol/f", dir);
	make_file(_metadata, path);
	ASSERT_EQ(stat(path, &st), 0);
	/* The point of the test: stat() does not show the btrfs s_dev */
	ASSERT_NE(st.st_dev, mount_dev(dir));

	check_named_by_stat(_metadata, self, path, "onbtrfs");
}

/* On a block device: a device number of a real major (loop, 7) */
TEST_F(fdinfo, backing_on_ext4_matches_stat)
{
	char dir[PATH_MAX], path[PATH_MAX];
	const char *why;
	struct stat st;

	why = mount_image(self, "ext4", dir, sizeof(dir));
	if (why)
		SKIP(return, "%s", why);
	snprintf(path, sizeof(path), "%s/f", dir);
	make_file(_metadata, path);
	ASSERT_EQ(stat(path, &st), 0);
	ASSERT_NE(major(st.st_dev), 0);

	check_named_by_stat(_metadata, self, path, "onext4");
}

/*
 * The open flags in effect: the kernel clears FOPEN_PARALLEL_DIRECT_WRITES
 * without FOPEN_DIRECT_IO; with it, reads and writes go to the server and
 * only mmap uses the backing file, which the flags alone tell.
 */
TEST_F(fdinfo, open_flags)
{
	static const struct {
		unsigned int flags, shown;
	} cases[] = {
		{ FOPEN_NOFLUSH, FOPEN_PASSTHROUGH | FOPEN_NOFLUSH },
		{ FOPEN_PARALLEL_DIRECT_WRITES, FOPEN_PASSTHROUGH },
		{ FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES,
		  FOPEN_PASSTHROUGH | FOPEN_DIRECT_IO |
		  FOPEN_PARALLEL_DIRECT_WRITES },
	};
	char lower[PATH_MAX], name[16], path[PATH_MAX], *info;
	int i, id, fd;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "flags%d", i);
		make_lower(_metadata, self, name, lower, sizeof(lower));
		id = backing_open(&self->srv, lower);
		ASSERT_GT(id, 0);
		add_file(&self->srv, name, id, cases[i].flags);
		snprintf(path, sizeof(path), "%s/%s", self->mnt, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_GE(fd, 0);
		info = read_fdinfo(getpid(), fd);
		ASSERT_NE(info, NULL);
		TH_LOG("FOPEN_PASSTHROUGH | 0x%x:\n%s", cases[i].flags, info);
		EXPECT_EQ(fdinfo_num(info, "fuse_open_flags"), (long)cases[i].shown);
		EXPECT_EQ(backing_id(info), id);
		free(info);
		close(fd);
	}
}

/*
 * A FUSE file that is not open in passthrough mode, and a FUSE directory,
 * hold no backing file: their fdinfo has nothing of FUSE's.
 */
TEST_F(fdinfo, plain_file_and_directory)
{
	char path[PATH_MAX], lower[PATH_MAX], *info;
	int fd;

	make_lower(_metadata, self, "plain", lower, sizeof(lower));
	add_file(&self->srv, "plain", 0, FOPEN_DIRECT_IO | FOPEN_NOFLUSH);
	snprintf(path, sizeof(path), "%s/plain", self->mnt);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	info = read_fdinfo(getpid(), fd);
	ASSERT_NE(info, NULL);
	TH_LOG("plain FUSE file fdinfo:\n%s", info);
	EXPECT_EQ(strstr(info, "fuse_"), NULL);
	free(info);
	close(fd);

	fd = open(self->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	info = read_fdinfo(getpid(), fd);
	ASSERT_NE(info, NULL);
	EXPECT_EQ(strstr(info, "fuse_"), NULL);
	free(info);
	close(fd);
}

/*
 * The use case: the server closed the id, the open file alone holds the
 * backing file.  It is then in no fd table and no /dev/fuse listing; only
 * the fdinfo of the FUSE file names it.
 */
TEST_F(fdinfo, closed_id_held_by_open_file)
{
	char lower[PATH_MAX], *info, val[PATH_MAX];
	struct fuse_backing_entry e[1];
	int fd, id;

	fd = open_passthrough(_metadata, self, "held", &id, lower, sizeof(lower));
	ASSERT_GE(fd, 0);
	ASSERT_EQ(backing_close(&self->srv, id), 0);

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	ASSERT_EQ(fdinfo_num(info, "fuse_backing_files"), 0);
	ASSERT_EQ(parse_list(info, e, 1), 0);
	free(info);

	expect_held_by_file(_metadata, getpid(), fd, lower,
			    "a file whose backing id was closed");

	/* Still served from the backing file */
	ASSERT_EQ(pread(fd, val, sizeof(val), 0), CONTENT_LEN);
	close(fd);
}

TEST_F(fdinfo, escaped_paths)
{
	static const char * const names[] = {
		"with space", "with\ttab", "with\nnewline", "with\\backslash",
		"with:colon",
	};
	char lower[PATH_MAX], want[PATH_MAX * 4], val[PATH_MAX * 4], *info;
	struct fuse_backing_entry e[5];
	int i, fd[5], id[5];

	for (i = 0; i < 5; i++) {
		fd[i] = open_passthrough(_metadata, self, names[i], &id[i],
					 lower, sizeof(lower));
		ASSERT_GE(fd[i], 0);
	}
	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	TH_LOG("/dev/fuse fdinfo:\n%s", info);
	ASSERT_TRUE(well_formed(info));
	ASSERT_EQ(parse_list(info, e, 5), 5);
	for (i = 0; i < 5; i++) {
		snprintf(lower, sizeof(lower), "%s/%s", self->lower, names[i]);
		escape(lower, want, sizeof(want));
		EXPECT_EQ(e[i].id, id[i]);
		EXPECT_STREQ(e[i].path, want);
	}
	free_entries(e, 5);
	free(info);

	for (i = 0; i < 5; i++) {
		snprintf(lower, sizeof(lower), "%s/%s", self->lower, names[i]);
		escape(lower, want, sizeof(want));
		info = read_fdinfo(getpid(), fd[i]);
		ASSERT_NE(info, NULL);
		ASSERT_TRUE(well_formed(info));
		ASSERT_TRUE(backing_path(info, val, sizeof(val)));
		EXPECT_STREQ(val, want);
		free(info);
		close(fd[i]);
	}
}

TEST_F(fdinfo, deleted_backing_file)
{
	char lower[PATH_MAX], want[PATH_MAX * 4], val[PATH_MAX * 4], *info;
	struct fuse_backing_entry e[1];
	int fd, id;

	fd = open_passthrough(_metadata, self, "doomed", &id, lower, sizeof(lower));
	ASSERT_GE(fd, 0);
	ASSERT_EQ(unlink(lower), 0);
	/* d_path() appends " (deleted)", and the space is escaped */
	snprintf(want, sizeof(want), "%s\\040(deleted)", lower);

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	ASSERT_EQ(parse_list(info, e, 1), 1);
	EXPECT_STREQ(e[0].path, want);
	free_entries(e, 1);
	free(info);

	info = read_fdinfo(getpid(), fd);
	ASSERT_NE(info, NULL);
	ASSERT_TRUE(backing_path(info, val, sizeof(val)));
	EXPECT_STREQ(val, want);
	free(info);
	ASSERT_EQ(pread(fd, val, sizeof(val), 0), CONTENT_LEN);
	close(fd);
}

/* In a child: drop to nobody, then check what fdinfo of @fd shows */
static int unprivileged_child(int fd, bool open_first)
{
	char path[64], val[PATH_MAX], *info;
	int pfd = -1;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (open_first)
		pfd = open(path, O_RDONLY | O_CLOEXEC);
	if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
		return 10;
	if (open_first) {
		char buf[8192];
		ssize_t n = read(pfd, buf, sizeof(buf) - 1);

		if (n <= 0)
			return 11;
		buf[n] = '\0';
		info = strdup(buf);
	} else {
		info = read_all(path);
	}
	if (!info)
		return 12;
	if (backing_id(info) <= 0)
		return 13;
	/* The path shows only if the opener of fdinfo was privileged */
	if (backing_path(info, val, sizeof(val)) != open_first)
		return 14;
	/* Device, inode and mount id, which stat() tells anyone, always */
	{
		struct fuse_backing_entry e;
		bool ok = fuse_backing_entry_only(info, &e) && e.ino;

		free(e.path);
		if (!ok)
			return 15;
	}
	return 0;
}

TEST_F(fdinfo, unprivileged_reader)
{
	char lower[PATH_MAX];
	int fd, id, status, open_first;
	pid_t pid;

	fd = open_passthrough(_metadata, self, "secret", &id, lower, sizeof(lower));
	ASSERT_GE(fd, 0);

	for (open_first = 0; open_first <= 1; open_first++) {
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0)
			_exit(unprivileged_child(fd, open_first));
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(WEXITSTATUS(status), 0) {
			TH_LOG("%s reader: child failed at step %d",
			       open_first ? "privileged opener, unprivileged" :
			       "unprivileged", WEXITSTATUS(status));
		}
	}
	close(fd);
}

/*
 * Access is procfs' as before: another user cannot open the fdinfo of a
 * root process at all, and no fdinfo file can be written.
 */
TEST_F(fdinfo, access_unchanged)
{
	char lower[PATH_MAX], path[64];
	int fd, id, status;
	pid_t pid;

	fd = open_passthrough(_metadata, self, "private", &id, lower, sizeof(lower));
	ASSERT_GE(fd, 0);
	/* Read-only for everyone; even root, who may open it, cannot write */
	for (int i = 0; i < 2; i++) {
		struct stat st;
		int wfd;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", getpid(),
			 i ? self->srv.fs.devfd : fd);
		ASSERT_EQ(stat(path, &st), 0);
		EXPECT_EQ(st.st_mode & 0222, 0U);
		wfd = open(path, O_WRONLY);
		if (wfd >= 0) {
			EXPECT_EQ(write(wfd, "1\n", 2), -1);
			close(wfd);
		}
	}

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* A process of another user, without capabilities */
		if (setresgid(NOBODY, NOBODY, NOBODY) || setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", getppid(), fd);
		if (open(path, O_RDONLY) >= 0)
			_exit(11);
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", getppid(),
			 self->srv.fs.devfd);
		if (open(path, O_RDONLY) >= 0)
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
	close(fd);
}

/*
 * 10000 files made and registered one by one: a few seconds on a plain
 * kernel, more than the harness's default 30 s on a debug kernel (KASAN,
 * lockdep, kmemleak) under QEMU without KVM.
 */
TEST_F_TIMEOUT(fdinfo, ten_thousand_ids, 300)
{
	const int nr = 10000;
	char path[PATH_MAX], name[16], *info;
	struct fuse_backing_entry *e = calloc(nr + 1, sizeof(*e));
	int i, *id = calloc(nr, sizeof(int));

	ASSERT_NE(e, NULL);
	ASSERT_NE(id, NULL);
	for (i = 0; i < nr; i++) {
		snprintf(name, sizeof(name), "f%05d", i);
		make_lower(_metadata, self, name, path, sizeof(path));
		id[i] = backing_open(&self->srv, path);
		ASSERT_GT(id[i], 0);
	}
	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	TH_LOG("/dev/fuse fdinfo with %d ids: %zu bytes", nr, strlen(info));
	ASSERT_EQ(fdinfo_num(info, "fuse_backing_files"), nr);
	ASSERT_EQ(parse_list(info, e, nr + 1), nr);
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/f%05d", self->lower, i);
		ASSERT_EQ(e[i].id, id[i]);
		ASSERT_STREQ(e[i].path, path);
	}
	free_entries(e, nr);
	free(info);
	free(e);
	free(id);
}

/* Does any fd link of any process point under @dir? */
static bool any_fd_under(const char *dir)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct dirent *p, *f;
	DIR *procs, *fds;
	bool found = false;
	ssize_t n;

	procs = opendir("/proc");
	if (!procs)
		return true;
	while (!found && (p = readdir(procs))) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!found && (f = readdir(fds))) {
			snprintf(path, sizeof(path), "/proc/%s/fd/%s",
				 p->d_name, f->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			found = !strncmp(link, dir, strlen(dir)) &&
				link[strlen(dir)] == '/';
		}
		closedir(fds);
	}
	closedir(procs);
	return found;
}

/*
 * The use case, end to end: the server closed its fd and the id, an app
 * has the FUSE file open.  The backing filesystem cannot be unmounted, no
 * fd link in the system points into it, and only the app's fdinfo names
 * the backing file.
 */
TEST_F(fdinfo, pinned_filesystem_is_found)
{
	char pinned[256], lower[PATH_MAX], fuse_path[PATH_MAX];
	char val[PATH_MAX];
	int fd, id, status, ready[2];
	pid_t app;

	make_pinned(_metadata, self, "pinned", pinned, sizeof(pinned),
		    lower, sizeof(lower));
	id = backing_open(&self->srv, lower);
	ASSERT_GT(id, 0);
	add_file(&self->srv, "data", id, 0);

	/* The app: opens the FUSE file as fd 3, says so, and waits */
	snprintf(fuse_path, sizeof(fuse_path), "%s/data", self->mnt);
	ASSERT_EQ(pipe(ready), 0);
	app = fork();
	ASSERT_GE(app, 0);
	if (app == 0) {
		fd = open(fuse_path, O_RDONLY);
		if (fd < 0 || (fd != 3 && dup2(fd, 3) != 3))
			_exit(1);
		if (write(ready[1], "", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(read(ready[0], val, 1), 1);
	close(ready[0]);
	ASSERT_EQ(backing_close(&self->srv, id), 0);

	/* Pinned, and invisible to fd-table walkers such as lsof */
	EXPECT_EQ(umount2(pinned, 0), -1);
	EXPECT_EQ(errno, EBUSY);
	EXPECT_FALSE(any_fd_under(pinned));

	/* Only the app's fdinfo names it */
	expect_held_by_file(_metadata, app, 3, lower, "the app's pinning fd");

	/* Once the app is gone, the filesystem can go */
	ASSERT_EQ(kill(app, SIGKILL), 0);
	ASSERT_EQ(waitpid(app, &status, 0), app);
	EXPECT_EQ(umount_when_free(pinned), 0);
}

struct reader {
	pid_t pid;
	int fd[2];
	bool stop;		/* accessed with __atomic builtins */
	unsigned long reads, bad;
};

static void *read_loop(void *data)
{
	struct reader *r = data;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		for (int i = 0; i < 2; i++) {
			char *info = read_fdinfo(r->pid, r->fd[i]);

			/* The fd may be gone: the process died */
			if (!info)
				continue;
			r->reads++;
			if (!well_formed(info))
				r->bad++;
			free(info);
		}
	}
	return NULL;
}

/* Abort the connection through fusectl while readers read fdinfo */
TEST_F(fdinfo, connection_aborted_while_reading)
{
	char lower[PATH_MAX], path[PATH_MAX], *info;
	struct reader r = { .pid = getpid() };
	pthread_t thread;
	int fd, id, err = mount_fusectl();

	if (err)
		SKIP(return, "no fuse control filesystem: %s", strerror(err));
	fd = open_passthrough(_metadata, self, "abort", &id, lower, sizeof(lower));
	ASSERT_GE(fd, 0);
	for (int i = 0; i < 100; i++)
		ASSERT_GT(backing_open(&self->srv, lower), 0);

	r.fd[0] = self->srv.fs.devfd;
	r.fd[1] = fd;
	ASSERT_EQ(pthread_create(&thread, NULL, read_loop, &r), 0);
	usleep(100000);
	ASSERT_EQ(abort_connection(self->conn), 0);
	usleep(100000);
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	TH_LOG("%lu fdinfo reads around the abort", r.reads);
	EXPECT_GT(r.reads, 0UL);
	EXPECT_EQ(r.bad, 0UL);

	/*
	 * After the abort the ids are closed, and the open file still tells
	 * which backing file it holds
	 */
	info = read_fdinfo(getpid(), fd);
	ASSERT_NE(info, NULL);
	EXPECT_EQ(backing_id(info), 0);
	EXPECT_TRUE(backing_path(info, path, sizeof(path)));
	EXPECT_STREQ(path, lower);
	free(info);
	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	EXPECT_EQ(fdinfo_num(info, "fuse_backing_files"), 0);
	free(info);
	close(fd);
}

/* A server process killed while another process reads its fdinfo */
TEST_F(fdinfo, server_killed_while_reading)
{
	char lower[PATH_MAX], path[PATH_MAX];
	struct reader r = { };
	int status;
	pthread_t thread;
	pid_t pid;

	make_lower(_metadata, self, "victim", lower, sizeof(lower));
	pid = fork_server(self, "mnt2", lower, 1000, &r.fd[0]);
	ASSERT_GT(pid, 0);
	r.fd[1] = r.fd[0];
	r.pid = pid;
	ASSERT_EQ(pthread_create(&thread, NULL, read_loop, &r), 0);
	usleep(200000);
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	usleep(100000);
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	pthread_join(thread, NULL);
	TH_LOG("%lu fdinfo reads of the server before and after it died", r.reads);
	EXPECT_GT(r.reads, 0UL);
	EXPECT_EQ(r.bad, 0UL);
	snprintf(path, sizeof(path), "%s/mnt2", self->base);
	umount2(path, MNT_DETACH);
}

/*
 * A server that dies with the filesystem still mounted leaves nothing
 * pinned: its ids are closed with its last /dev/fuse file, and the
 * filesystem of the backing files can be unmounted.
 */
TEST_F(fdinfo, dead_server_ids_are_closed)
{
	char pinned[256], lower[PATH_MAX], mnt[PATH_MAX];
	int devfd, status;
	pid_t pid;

	make_pinned(_metadata, self, "pinned", pinned, sizeof(pinned),
		    lower, sizeof(lower));
	pid = fork_server(self, "mnt2", lower, 100, &devfd);
	ASSERT_GT(pid, 0);

	/* Alive, the server pins it: nothing else holds a file there */
	EXPECT_EQ(umount2(pinned, 0), -1);
	EXPECT_EQ(errno, EBUSY);

	ASSERT_EQ(kill(pid, SIGKILL), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	/* Its FUSE filesystem stays mounted, and no longer pins the lower one */
	EXPECT_EQ(umount_when_free(pinned), 0);
	snprintf(mnt, sizeof(mnt), "%s/mnt2", self->base);
	EXPECT_EQ(umount2(mnt, MNT_DETACH), 0);
}

/*
 * A file that was open in passthrough mode when its server died keeps its
 * backing file and keeps working, and its fdinfo names the backing file
 * (under no id): the only thing that pins the lower filesystem now.
 */
TEST_F(fdinfo, dead_server_open_file_still_shown)
{
	char pinned[256], lower[PATH_MAX], path[PATH_MAX], val[PATH_MAX];
	int devfd, status, fd;
	pid_t pid;

	make_pinned(_metadata, self, "pinned", pinned, sizeof(pinned),
		    lower, sizeof(lower));
	pid = fork_server(self, "mnt2", lower, 1, &devfd);
	ASSERT_GT(pid, 0);
	snprintf(path, sizeof(path), "%s/mnt2/data", self->base);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);

	ASSERT_EQ(kill(pid, SIGKILL), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);

	EXPECT_EQ(pread(fd, val, sizeof(val), 0), CONTENT_LEN);
	expect_held_by_file(_metadata, getpid(), fd, lower,
			    "a passthrough file whose server died");
	EXPECT_EQ(umount2(pinned, 0), -1);
	EXPECT_EQ(errno, EBUSY);

	close(fd);
	EXPECT_EQ(umount_when_free(pinned), 0);
	snprintf(path, sizeof(path), "%s/mnt2", self->base);
	EXPECT_EQ(umount2(path, MNT_DETACH), 0);
}

/*
 * An abort through fusectl closes every id, although the server still
 * holds /dev/fuse, and no id can be registered after it.
 */
TEST_F(fdinfo, abort_closes_ids)
{
	char pinned[256], lower[PATH_MAX], *info;
	int i, id[3], err;

	make_pinned(_metadata, self, "pinned", pinned, sizeof(pinned),
		    lower, sizeof(lower));
	for (i = 0; i < 3; i++)
		ASSERT_GT(id[i] = backing_open(&self->srv, lower), 0);

	err = abort_connection(self->conn);
	if (err)
		SKIP(return, "cannot abort through fusectl: %s", strerror(err));

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	TH_LOG("/dev/fuse fdinfo after the abort:\n%s", info);
	EXPECT_EQ(fdinfo_num(info, "fuse_backing_files"), 0);
	free(info);
	EXPECT_EQ(umount_when_free(pinned), 0);
	EXPECT_EQ(backing_close(&self->srv, id[0]), -ENOENT);
	make_lower(_metadata, self, "late", lower, sizeof(lower));
	EXPECT_EQ(backing_open(&self->srv, lower), -ENODEV);
}

/*
 * A connection that did not negotiate passthrough, as a CUSE channel
 * never does, has no backing files to list: its /dev/fuse shows the
 * connection and nothing more.
 */
TEST_F(fdinfo, no_listing_without_passthrough)
{
	struct server *srv = calloc(1, sizeof(*srv));
	char mnt[PATH_MAX], *info;
	unsigned int conn;
	pthread_t thread;
	struct stat st;

	ASSERT_NE(srv, NULL);
	server_init(srv);
	srv->fs.no_passthrough = true;
	snprintf(mnt, sizeof(mnt), "%s/nopt", self->base);
	ASSERT_EQ(mkdir(mnt, 0755), 0);
	ASSERT_EQ(fuse_server_mount(&srv->fs, mnt, "fuse_nopt",
				    MS_NOSUID | MS_NODEV, false), 0);
	ASSERT_EQ(pthread_create(&thread, NULL, fuse_server_thread, &srv->fs), 0);
	ASSERT_EQ(stat(mnt, &st), 0);
	conn = (major(st.st_dev) << 20) | minor(st.st_dev);

	EXPECT_EQ(backing_open(srv, "/proc/self/exe"), -EPERM);
	info = read_fdinfo(getpid(), srv->fs.devfd);
	ASSERT_NE(info, NULL);
	TH_LOG("/dev/fuse fdinfo without passthrough:\n%s", info);
	EXPECT_EQ(fdinfo_num(info, "fuse_connection"), (long)conn);
	EXPECT_EQ(strstr(info, "fuse_backing"), NULL);
	free(info);
	EXPECT_EQ(abort_connection(conn), 0);
	umount2(mnt, MNT_DETACH);
}

/* The inner server of backing_identity_taken_at_open */
static int inner_fail_getattr;	/* answer GETATTR of files with EIO */
static int inner_getattrs;	/* GETATTR requests of files seen */

/* fuse_server_loop(), but GETATTR of files counted, and failed on demand */
static void *inner_server_thread(void *data)
{
	struct fuse_server *fs = data;
	size_t size = FUSE_MIN_READ_BUFFER + 128 * 1024;
	char *buf = malloc(size);

	while (buf) {
		struct fuse_in_header *in = (struct fuse_in_header *)buf;
		ssize_t n = read(fs->devfd, buf, size);

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*in))
			break;
		if (in->opcode == FUSE_GETATTR && in->nodeid != FUSE_ROOT_ID) {
			__atomic_add_fetch(&inner_getattrs, 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&inner_fail_getattr, __ATOMIC_SEQ_CST)) {
				fuse_server_reply(fs, in->unique, -EIO, NULL, 0);
				continue;
			}
		}
		fuse_server_handle(fs, in);
	}
	free(buf);
	return NULL;
}

/*
 * Device, inode number and mount id of a backing file are taken once, by
 * FUSE_DEV_IOC_BACKING_OPEN, as a stat(2) by the server would: the
 * filesystem is asked (here another FUSE mount, with attributes valid for
 * no time, which gets a GETATTR), and if it fails, the ioctl fails with its
 * error.  Reading fdinfo then asks the filesystem nothing, and shows the
 * identity taken, even once the filesystem fails every GETATTR.
 */
TEST_F(fdinfo, backing_identity_taken_at_open)
{
	struct server *inner = calloc(1, sizeof(*inner));
	char mnt[256], path[PATH_MAX], *info;
	struct fuse_backing_entry e;
	struct fuse_backing_map map = { };
	unsigned int conn;
	pthread_t thread;
	struct stat st;
	int before, id;

	ASSERT_NE(inner, NULL);
	server_init(inner);
	inner->fs.no_passthrough = true;
	inner->fs.valid = 0;
	add_file(inner, "file", 0, 0);
	snprintf(mnt, sizeof(mnt), "%s/inner", self->base);
	ASSERT_EQ(mkdir(mnt, 0755), 0);
	ASSERT_EQ(fuse_server_mount(&inner->fs, mnt, "fuse_inner",
				    MS_NOSUID | MS_NODEV, false), 0);
	ASSERT_EQ(pthread_create(&thread, NULL, inner_server_thread, &inner->fs), 0);
	ASSERT_EQ(stat(mnt, &st), 0);
	conn = (major(st.st_dev) << 20) | minor(st.st_dev);
	snprintf(path, sizeof(path), "%s/file", mnt);
	map.fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(map.fd, 0);

	/* The filesystem fails stat(2): so does the registration */
	__atomic_store_n(&inner_fail_getattr, 1, __ATOMIC_SEQ_CST);
	EXPECT_EQ(fstat(map.fd, &st), -1);
	EXPECT_EQ(errno, EIO);
	before = __atomic_load_n(&inner_getattrs, __ATOMIC_SEQ_CST);
	id = ioctl(self->srv.fs.devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	EXPECT_EQ(id, -1);
	EXPECT_EQ(errno, EIO);
	EXPECT_GT(__atomic_load_n(&inner_getattrs, __ATOMIC_SEQ_CST), before);
	if (id > 0)
		backing_close(&self->srv, id);

	/* It answers: registered, with what stat(2) says */
	__atomic_store_n(&inner_fail_getattr, 0, __ATOMIC_SEQ_CST);
	ASSERT_EQ(fstat(map.fd, &st), 0);
	id = ioctl(self->srv.fs.devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);
	ASSERT_GT(id, 0);

	/* It fails again: fdinfo asks it nothing and shows the same */
	__atomic_store_n(&inner_fail_getattr, 1, __ATOMIC_SEQ_CST);
	before = __atomic_load_n(&inner_getattrs, __ATOMIC_SEQ_CST);
	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	TH_LOG("/dev/fuse fdinfo with a backing file on a failing FUSE mount:\n%s",
	       info);
	EXPECT_EQ(__atomic_load_n(&inner_getattrs, __ATOMIC_SEQ_CST), before);
	ASSERT_TRUE(fuse_backing_entry_only(info, &e));
	EXPECT_EQ(e.id, id);
	EXPECT_EQ(e.major, major(st.st_dev));
	EXPECT_EQ(e.minor, minor(st.st_dev));
	EXPECT_EQ(e.ino, st.st_ino);
	EXPECT_EQ(e.mnt_id, fuse_mount_id(mnt));
	EXPECT_STREQ(e.path, path);
	free(e.path);
	free(info);

	EXPECT_EQ(backing_close(&self->srv, id), 0);
	close(map.fd);
	EXPECT_EQ(abort_connection(conn), 0);
	umount2(mnt, MNT_DETACH);
}

/*
 * With FUSE_DEV_IOC_CLONE (libfuse's clone_fd, one /dev/fuse per worker)
 * every /dev/fuse file of the connection lists the same ids: tools show
 * the list once per connection.  Closing one of them aborts nothing; one
 * handed to another process (a successor server) lists them as well.
 */
TEST_F(fdinfo, cloned_dev_lists_the_same)
{
	char lower[PATH_MAX], buf[64], *info, *cinfo;
	int fd, id, clone, status, pipefd[2];
	uint32_t master = self->srv.fs.devfd;
	pid_t pid;

	fd = open_passthrough(_metadata, self, "cloned", &id, lower, sizeof(lower));
	ASSERT_GE(fd, 0);
	clone = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	ASSERT_GE(clone, 0);
	ASSERT_EQ(ioctl(clone, FUSE_DEV_IOC_CLONE, &master), 0);

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	cinfo = read_fdinfo(getpid(), clone);
	ASSERT_NE(info, NULL);
	ASSERT_NE(cinfo, NULL);
	TH_LOG("cloned /dev/fuse fdinfo:\n%s", cinfo);
	ASSERT_NE(strstr(info, "fuse_connection:"), NULL);
	ASSERT_NE(strstr(cinfo, "fuse_connection:"), NULL);
	EXPECT_STREQ(strstr(info, "fuse_connection:"),
		     strstr(cinfo, "fuse_connection:"));
	free(cinfo);

	/* Handed to another process, which reads its own fdinfo */
	ASSERT_EQ(pipe(pipefd), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char *mine = read_fdinfo(getpid(), clone);
		size_t len;

		mine = mine ? strstr(mine, "fuse_connection:") : NULL;
		if (!mine)
			_exit(1);
		len = strlen(mine);
		_exit(write(pipefd[1], mine, len) == (ssize_t)len ? 0 : 2);
	}
	close(pipefd[1]);
	close(clone);
	cinfo = calloc(1, 1 << 16);
	ASSERT_NE(cinfo, NULL);
	ASSERT_GT(read(pipefd[0], cinfo, (1 << 16) - 1), 0);
	close(pipefd[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_STREQ(strstr(info, "fuse_connection:"), cinfo);
	free(cinfo);
	free(info);

	/* The clones are closed: the connection is alive, the ids listed */
	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	EXPECT_EQ(fdinfo_num(info, "fuse_backing_files"), 1);
	free(info);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), CONTENT_LEN);
	close(fd);
}

/*
 * The listing is bounded in ids: the first 65536 ids are listed whatever
 * the length of their paths, and the others counted.  Their paths are
 * bounded in bytes: once 4 MiB of path text is printed, lines go without
 * their path, and those are counted too.  Registering as many ids takes a
 * while on a debug kernel under QEMU.
 */
#define IDS_LISTED		65536
#define PATH_BYTES_LISTED	(4 << 20)

TEST_F_TIMEOUT(fdinfo, listing_is_bounded, 600)
{
	const int nr = IDS_LISTED + 10;
	char path[PATH_MAX], comp[251], *info;
	struct fuse_backing_entry *e = calloc(nr + 1, sizeof(*e));
	long long t0, t1, t2;
	char tail[128];
	int i, n, len, fd, bad = 0, with_path = 0, paths;
	long unlisted;

	ASSERT_NE(e, NULL);
	/* A long path, so that a bound in bytes would show */
	memset(comp, 'd', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = '\0';
	len = snprintf(path, sizeof(path), "%s", self->lower);
	for (i = 0; i < 4; i++) {
		len += snprintf(path + len, sizeof(path) - len, "/%s", comp);
		ASSERT_EQ(mkdir(path, 0755), 0);
	}
	snprintf(path + len, sizeof(path) - len, "/f");
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	ASSERT_GE(fd, 0);
	close(fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	t0 = now_ms();
	for (i = 0; i < nr; i++) {
		struct fuse_backing_map map = { .fd = fd };

		ASSERT_GT(ioctl(self->srv.fs.devfd, FUSE_DEV_IOC_BACKING_OPEN, &map), 0);
	}
	close(fd);
	t1 = now_ms();

	info = read_fdinfo(getpid(), self->srv.fs.devfd);
	ASSERT_NE(info, NULL);
	t2 = now_ms();
	TH_LOG("registered in %lld ms, read in %lld ms", t1 - t0, t2 - t1);
	n = parse_list(info, e, nr + 1);
	unlisted = fdinfo_num(info, "fuse_backing_files_unlisted");
	TH_LOG("%d ids of a %zu byte path: %d listed, %ld unlisted, %zu bytes",
	       nr, strlen(path), n, unlisted, strlen(info));
	EXPECT_TRUE(well_formed(info));
	EXPECT_EQ(fdinfo_num(info, "fuse_connection"), (long)self->conn);
	EXPECT_EQ(fdinfo_num(info, "fuse_backing_files"), nr);
	EXPECT_EQ(n, IDS_LISTED);
	EXPECT_EQ(unlisted, nr - IDS_LISTED);
	/*
	 * Every listed id has its identity; paths, the right one, until the
	 * lines with one hold PATH_BYTES_LISTED bytes of it
	 */
	paths = (PATH_BYTES_LISTED + strlen(path) - 1) / strlen(path);
	for (i = 0; i < n && i < nr; i++) {
		if (!e[i].ino || (e[i].path && strcmp(e[i].path, path)))
			bad++;
		with_path += !!e[i].path;
	}
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(with_path, paths);
	EXPECT_EQ(fdinfo_num(info, "fuse_backing_paths_unlisted"),
		  IDS_LISTED - paths);
	/* The counts are the last lines, ids last */
	snprintf(tail, sizeof(tail),
		 "\nfuse_backing_paths_unlisted:\t%d\nfuse_backing_files_unlisted:\t10\n",
		 IDS_LISTED - paths);
	len = strlen(info);
	ASSERT_GT(len, (int)strlen(tail));
	EXPECT_STREQ(info + len - strlen(tail), tail);
	free_entries(e, n < nr ? n : nr);
	free(info);
	free(e);
}

TEST_HARNESS_MAIN
