// SPDX-License-Identifier: GPL-2.0
/*
 * PROCMAP_QUERY_BACKING_FILE: the backing file that a mapping of a file of
 * a stacking filesystem maps (overlayfs; FUSE in passthrough mode), and the
 * sizes of struct procmap_query that PROCMAP_QUERY takes.
 *
 * Runs as root (overlayfs and FUSE mounts in a mount namespace of its own);
 * the unprivileged side is tested in a child as nobody.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../kselftest_harness.h"

#define CONTENT "the backing file's data\n"
#define CONTENT_LEN ((int)sizeof(CONTENT) - 1)
#define NOBODY 65534

/* What PROCMAP_QUERY_BACKING_FILE returns, as text, to compare at once */
struct backing {
	int err;		/* 0 or the negative errno of the ioctl */
	char id[128];		/* "MM:mm ino mnt_id", "" if none */
	char name[PATH_MAX];	/* the path, "" if none was returned */
};

/*
 * Query the backing file of the mapping at @addr with a struct of @qsize
 * bytes, and the path too if @name.
 */
static struct backing query_backing(void *addr, size_t qsize, bool name)
{
	struct backing b = { };
	struct procmap_query q = {
		.size = qsize,
		.query_flags = PROCMAP_QUERY_BACKING_FILE,
		.query_addr = (unsigned long)addr,
	};
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (name) {
		q.backing_name_size = sizeof(b.name);
		q.backing_name_addr = (unsigned long)b.name;
	}
	if (fd < 0) {
		b.err = -errno;
		return b;
	}
	if (ioctl(fd, PROCMAP_QUERY, &q))
		b.err = -errno;
	close(fd);
	if (b.err)
		return b;
	if (q.backing_inode)
		snprintf(b.id, sizeof(b.id), "%02x:%02x %llu %u",
			 q.backing_dev_major, q.backing_dev_minor,
			 (unsigned long long)q.backing_inode, q.backing_mnt_id);
	if (!q.backing_name_size)
		b.name[0] = '\0';
	return b;
}

/*
 * "MM:mm ino mnt_id" of @path as stat(2) and statx(2) STATX_MNT_ID say,
 * with mount id 0 unless @mnt_id
 */
static void stat_id(const char *path, bool mnt_id, char *id, size_t size)
{
	struct statx stx;

	*id = '\0';
	if (statx(AT_FDCWD, path, 0, STATX_INO | STATX_MNT_ID, &stx))
		return;
	snprintf(id, size, "%02x:%02x %llu %llu", stx.stx_dev_major,
		 stx.stx_dev_minor, (unsigned long long)stx.stx_ino,
		 mnt_id ? (unsigned long long)stx.stx_mnt_id : 0ULL);
}

static void write_file(struct __test_metadata *_metadata, const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(write(fd, CONTENT, CONTENT_LEN), CONTENT_LEN);
	ASSERT_EQ(close(fd), 0);
}

/* Map @path read-only and shared, and close it again */
static void *map_file(struct __test_metadata *_metadata, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	void *map;

	if (fd < 0)
		return MAP_FAILED;
	map = mmap(NULL, CONTENT_LEN, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	return map;
}

/*
 * umount(@dir), allowing two seconds for files to go (an fput may be
 * deferred): 0 or the negative errno of the last attempt.
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

/* --- a FUSE server that opens its one file in passthrough mode ---------- */

#define FILE_NODE 2

struct server {
	int devfd;
	int backing_id;		/* FOPEN_PASSTHROUGH with it on FUSE_OPEN */
	pthread_t thread;
};

static void reply(struct server *srv, __u64 unique, int error,
		  const void *data, size_t len)
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

	if (writev(srv->devfd, iov, 2) < 0 && errno != ENOENT && errno != ENODEV)
		perror("fuse server: writev");
}

static void attr(struct fuse_attr *a, __u64 nodeid)
{
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->blksize = 4096;
	a->nlink = 1;
	a->mode = nodeid == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
	if (nodeid != FUSE_ROOT_ID)
		a->size = CONTENT_LEN;
}

static void handle(struct server *srv, struct fuse_in_header *in)
{
	switch (in->opcode) {
	case FUSE_INIT: {
		struct fuse_init_in *init = (struct fuse_init_in *)(in + 1);
		__u64 have = init->flags, want = FUSE_INIT_EXT | FUSE_PASSTHROUGH;
		struct fuse_init_out out = {
			.major = FUSE_KERNEL_VERSION,
			.minor = FUSE_KERNEL_MINOR_VERSION,
			.max_readahead = init->max_readahead,
			.max_write = 65536,
			.time_gran = 1,
			.max_stack_depth = 1,
		};

		if (init->flags & FUSE_INIT_EXT)
			have |= (__u64)init->flags2 << 32;
		want &= have;
		out.flags = want;
		out.flags2 = want >> 32;
		reply(srv, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out out = { .nodeid = FILE_NODE, .generation = 1 };

		if (in->nodeid != FUSE_ROOT_ID || strcmp((char *)(in + 1), "mapped")) {
			reply(srv, in->unique, -ENOENT, NULL, 0);
			break;
		}
		attr(&out.attr, FILE_NODE);
		reply(srv, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out out = { };

		attr(&out.attr, in->nodeid);
		reply(srv, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPEN: {
		struct fuse_open_out out = {
			.fh = 1,
			.open_flags = FOPEN_PASSTHROUGH,
			.backing_id = srv->backing_id,
		};

		reply(srv, in->unique, 0, &out, sizeof(out));
		break;
	}
	case FUSE_READ:
	case FUSE_FLUSH:
	case FUSE_RELEASE:
		reply(srv, in->unique, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;
	default:
		reply(srv, in->unique, -EOPNOTSUPP, NULL, 0);
		break;
	}
}

static void *serve(void *arg)
{
	struct server *srv = arg;
	size_t size = FUSE_MIN_READ_BUFFER + 128 * 1024;
	char *buf = malloc(size);

	while (buf) {
		ssize_t n = read(srv->devfd, buf, size);

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(struct fuse_in_header))
			break;	/* ENODEV: unmounted */
		handle(srv, (struct fuse_in_header *)buf);
	}
	free(buf);
	return NULL;
}

/* --- the tests ------------------------------------------------------------ */

FIXTURE(backing) {
	char base[64];
};

FIXTURE_SETUP(backing)
{
	if (unshare(CLONE_NEWNS))
		SKIP(return, "unshare(CLONE_NEWNS): %s (not root?)", strerror(errno));
	ASSERT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	snprintf(self->base, sizeof(self->base), "/tmp/proc_maps_backing_XXXXXX");
	ASSERT_NE(mkdtemp(self->base), NULL);
	ASSERT_EQ(mount("tmpfs", self->base, "tmpfs", 0, "mode=0755"), 0);
}

FIXTURE_TEARDOWN(backing)
{
	umount2(self->base, MNT_DETACH);
	rmdir(self->base);
}

/*
 * PROCMAP_QUERY is the command of the first struct, 104 bytes, for good;
 * the kernel takes the command with any size from that on and goes by the
 * struct's size field.
 */
TEST_F(backing, sizes)
{
	unsigned long cmd1 = _IOC(_IOC_READ | _IOC_WRITE, PROCFS_IOCTL_MAGIC,
				  _IOC_NR(PROCMAP_QUERY), PROCMAP_QUERY_SIZE_VER1);
	struct procmap_query q;
	struct backing b;
	char path[128];
	void *map;
	int fd;

	ASSERT_EQ(_IOC_SIZE(PROCMAP_QUERY), 104);
	ASSERT_EQ(PROCMAP_QUERY_SIZE_VER0, 104);
	ASSERT_EQ(sizeof(struct procmap_query), PROCMAP_QUERY_SIZE_VER1);
	snprintf(path, sizeof(path), "%s/plain", self->base);
	write_file(_metadata, path);
	map = map_file(_metadata, path);
	ASSERT_NE(map, MAP_FAILED);

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	/* a binary of the first header: first size, no new field */
	memset(&q, 0, sizeof(q));
	q.size = PROCMAP_QUERY_SIZE_VER0;
	q.query_addr = (unsigned long)map;
	EXPECT_EQ(ioctl(fd, PROCMAP_QUERY, &q), 0)
		TH_LOG("PROCMAP_QUERY, size %llu: %s",
		       (unsigned long long)q.size, strerror(errno));
	EXPECT_EQ(q.vma_start, (unsigned long)map);
	/* the whole struct through the first command: size says it all */
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.query_addr = (unsigned long)map;
	EXPECT_EQ(ioctl(fd, PROCMAP_QUERY, &q), 0)
		TH_LOG("PROCMAP_QUERY, size %llu: %s",
		       (unsigned long long)q.size, strerror(errno));
	EXPECT_EQ(q.vma_start, (unsigned long)map);
	/* a command number with the larger size is taken too */
	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.query_addr = (unsigned long)map;
	EXPECT_EQ(ioctl(fd, cmd1, &q), 0)
		TH_LOG("PROCMAP_QUERY with size %u in the command: %s",
		       PROCMAP_QUERY_SIZE_VER1, strerror(errno));
	EXPECT_EQ(q.vma_start, (unsigned long)map);
	close(fd);

	/* a struct without room for the answer cannot ask for it */
	b = query_backing(map, PROCMAP_QUERY_SIZE_VER0, false);
	EXPECT_EQ(b.err, -EINVAL);
	/* no stacking filesystem: no backing file, no error */
	b = query_backing(map, sizeof(q), true);
	EXPECT_EQ(b.err, 0);
	EXPECT_STREQ(b.id, "");
	EXPECT_STREQ(b.name, "");
	EXPECT_EQ(munmap(map, CONTENT_LEN), 0);
}

/*
 * A file of an overlayfs maps the file of the layer it comes from: its
 * device and inode number are those stat(2) gives for the layer's file.
 * The layers are overlayfs' private clones of their mounts, attached to no
 * namespace: no path (it would read as the overlay's own) and no mount id
 * (no mountinfo shows it).
 */
TEST_F(backing, overlayfs)
{
	char lower[96], upper[96], work[96], mnt[96], opts[512], path[128];
	char want[128], ovl[128];
	static const char * const layer[] = { "lower", "upper" };
	struct backing b;
	int i;

	snprintf(lower, sizeof(lower), "%s/lower", self->base);
	snprintf(upper, sizeof(upper), "%s/upper", self->base);
	snprintf(work, sizeof(work), "%s/work", self->base);
	snprintf(mnt, sizeof(mnt), "%s/mnt", self->base);
	ASSERT_EQ(mkdir(lower, 0755), 0);
	ASSERT_EQ(mkdir(upper, 0755), 0);
	ASSERT_EQ(mkdir(work, 0755), 0);
	ASSERT_EQ(mkdir(mnt, 0755), 0);
	snprintf(path, sizeof(path), "%s/in-lower", lower);
	write_file(_metadata, path);
	snprintf(path, sizeof(path), "%s/in-upper", upper);
	write_file(_metadata, path);
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s",
		 lower, upper, work);
	if (mount("overlay", mnt, "overlay", 0, opts))
		SKIP(return, "no overlayfs: %s", strerror(errno));

	for (i = 0; i < 2; i++) {
		char *l = i ? upper : lower;
		void *map;

		snprintf(path, sizeof(path), "%s/in-%s", mnt, layer[i]);
		stat_id(path, true, ovl, sizeof(ovl));
		map = map_file(_metadata, path);
		ASSERT_NE(map, MAP_FAILED);
		ASSERT_EQ(memcmp(map, CONTENT, CONTENT_LEN), 0);
		snprintf(path, sizeof(path), "%s/in-%s", l, layer[i]);
		/* a private mount: no mount id */
		stat_id(path, false, want, sizeof(want));
		b = query_backing(map, sizeof(struct procmap_query), true);
		EXPECT_EQ(b.err, 0);
		EXPECT_STREQ(b.id, want);
		EXPECT_STRNE(b.id, ovl);
		EXPECT_STREQ(b.name, "");
		TH_LOG("%s file %s: backing file %s (the layer's %s)",
		       layer[i], ovl, b.id, want);
		EXPECT_EQ(munmap(map, CONTENT_LEN), 0);
	}
	EXPECT_EQ(umount2(mnt, 0), 0);
}

/*
 * A mapping of a FUSE file in passthrough mode maps the backing file and
 * outlives the fd it was made from: after close() and BACKING_CLOSE it
 * alone pins the backing filesystem.  PROCMAP_QUERY names the backing file
 * (maps keeps the FUSE file): its identity to whoever may read maps, its
 * path only to a caller with CAP_SYS_ADMIN over the registrant's user
 * namespace, as the fdinfo of the FUSE file shows it.
 */
TEST_F(backing, fuse_mmap_after_close)
{
	char pinned[96], data[128], mnt[96], path[128], opts[128], want[128];
	struct fuse_backing_map bmap = { };
	struct server srv = { };
	struct backing b;
	struct stat st;
	void *map, *plain;
	__u32 id;
	int status;
	pid_t pid;

	snprintf(pinned, sizeof(pinned), "%s/pinned", self->base);
	snprintf(data, sizeof(data), "%s/data", pinned);
	snprintf(mnt, sizeof(mnt), "%s/mnt", self->base);
	ASSERT_EQ(mkdir(pinned, 0755), 0);
	ASSERT_EQ(mkdir(mnt, 0755), 0);
	ASSERT_EQ(mount("tmpfs", pinned, "tmpfs", 0, NULL), 0);
	write_file(_metadata, data);
	stat_id(data, true, want, sizeof(want));

	srv.devfd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (srv.devfd < 0)
		SKIP(return, "/dev/fuse: %s", strerror(errno));
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0",
		 srv.devfd);
	ASSERT_EQ(mount("proctest", mnt, "fuse.proctest", 0, opts), 0);
	ASSERT_EQ(pthread_create(&srv.thread, NULL, serve, &srv), 0);
	/* answered once FUSE_INIT is: then passthrough is negotiated */
	ASSERT_EQ(stat(mnt, &st), 0);
	bmap.fd = open(data, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(bmap.fd, 0);
	srv.backing_id = ioctl(srv.devfd, FUSE_DEV_IOC_BACKING_OPEN, &bmap);
	close(bmap.fd);
	if (srv.backing_id <= 0)
		SKIP(goto out, "no FUSE passthrough: %s", strerror(errno));

	snprintf(path, sizeof(path), "%s/mapped", mnt);
	map = map_file(_metadata, path);
	ASSERT_NE(map, MAP_FAILED);
	id = srv.backing_id;
	ASSERT_EQ(ioctl(srv.devfd, FUSE_DEV_IOC_BACKING_CLOSE, &id), 0);
	ASSERT_EQ(memcmp(map, CONTENT, CONTENT_LEN), 0);

	/* No fd and no id left: the mapping alone holds the backing file */
	EXPECT_EQ(umount2(pinned, 0), -1);
	EXPECT_EQ(errno, EBUSY);

	b = query_backing(map, sizeof(struct procmap_query), true);
	EXPECT_EQ(b.err, 0);
	EXPECT_STREQ(b.id, want);
	EXPECT_STREQ(b.name, data);
	TH_LOG("the mapping after close: backing file %s %s", b.id, b.name);

	/* Not privileged: the identity, and no path (EPERM when asked) */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY))
			_exit(10);
		b = query_backing(map, sizeof(struct procmap_query), true);
		if (b.err != -EPERM)
			_exit(11);
		b = query_backing(map, sizeof(struct procmap_query), false);
		if (b.err || strcmp(b.id, want))
			_exit(12);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0)
		TH_LOG("unprivileged reader: exit %d", WEXITSTATUS(status));

	/* A mapping of the backing file itself has no backing file */
	plain = map_file(_metadata, data);
	ASSERT_NE(plain, MAP_FAILED);
	b = query_backing(plain, sizeof(struct procmap_query), true);
	EXPECT_EQ(b.err, 0);
	EXPECT_STREQ(b.id, "");
	ASSERT_EQ(munmap(plain, CONTENT_LEN), 0);

	ASSERT_EQ(munmap(map, CONTENT_LEN), 0);
	EXPECT_EQ(umount_when_free(pinned), 0);
out:
	if (!umount2(mnt, 0))
		pthread_join(srv.thread, NULL);
	close(srv.devfd);
}

TEST_HARNESS_MAIN
