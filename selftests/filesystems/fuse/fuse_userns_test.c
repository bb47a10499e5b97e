// SPDX-License-Identifier: GPL-2.0
/*
 * FUSE passthrough by a server that is root of a user namespace only (as
 * "unshare -Urm" makes one), with fs.fuse.userns_passthrough set: it gets
 * passthrough I/O, its backing files count against its RLIMIT_NOFILE and
 * are shown in fdinfo, a dead server leaves none behind, and it gains
 * access to no file and no stacking depth that it did not have.
 *
 * Each test runs the unprivileged server in a child that takes a uid of
 * its own (TEST_UID + n) and maps it to root of a new user namespace.
 * The child prints what failed and exits 1; the test asserts exit 0.
 * Without the sysctl, servers in user namespaces may not register backing
 * files at all, and every test but privileged_not_limited fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/fuse.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "fuse_server.h"

#define SYSCTL "/proc/sys/fs/fuse/userns_passthrough"
/* Unused uids: each test takes TEST_UID + its own number */
#define TEST_UID 61200
#define MAX_FILES 64

/* In a child: print where and why it failed, and exit 1 */
#define CHILD_EQ(val, want, what) do {					\
	long v_ = (val), w_ = (want);					\
	if (v_ != w_) {							\
		printf("# %s:%d: %s: %ld%s%s, expected %ld\n", __FILE__,	\
		       __LINE__, what, v_, v_ < 0 ? " " : "",		\
		       v_ < 0 ? strerror(-v_) : "", w_);		\
		fflush(stdout);						\
		_exit(1);						\
	}								\
} while (0)
/* In a child: @cond holds, or print where (and errno, if set) and exit 1 */
#define CHILD_OK(cond, what) do {					\
	if (!(cond)) {							\
		printf("# %s:%d: %s: false%s%s\n", __FILE__, __LINE__,	\
		       what, errno ? ": " : "", errno ? strerror(errno) : ""); \
		fflush(stdout);						\
		_exit(1);						\
	}								\
} while (0)

/*
 * A server whose root holds the files "f0" .. "f63"; FUSE_OPEN of fN is
 * answered in passthrough mode to backing id ids[N] when that is set.
 */
struct userns_server {
	struct fuse_server fs;
	pthread_t thread;
	int ids[MAX_FILES];
};

static int64_t userns_lookup(struct fuse_server *srv, const char *name)
{
	unsigned int n;
	char c;

	if (sscanf(name, "f%u%c", &n, &c) != 1 || n >= MAX_FILES)
		return -ENOENT;
	return n + 2;
}

static int userns_open(struct fuse_server *srv, uint64_t nodeid,
		       struct fuse_open_out *out)
{
	struct userns_server *s = srv->data;
	int id = __atomic_load_n(&s->ids[nodeid - 2], __ATOMIC_ACQUIRE);

	/*
	 * A child may exit, or be killed, with FUSE files open: the exit
	 * releases them before /dev/fuse, after the server thread is gone,
	 * and a FUSE_FLUSH would wait for an answer for ever.
	 */
	out->open_flags = FOPEN_NOFLUSH;
	if (id > 0) {
		out->open_flags |= FOPEN_PASSTHROUGH;
		out->backing_id = id;
	}
	return 0;
}

static const struct fuse_server_ops userns_ops = {
	.lookup = userns_lookup,
	.open = userns_open,
};

static void set_id(struct userns_server *s, int n, int id)
{
	__atomic_store_n(&s->ids[n], id, __ATOMIC_RELEASE);
}

/*
 * Mount a FUSE filesystem on @mnt, served by a thread, with passthrough at
 * @depth, and wait for FUSE_INIT to be answered: 0 or -errno.
 */
static int serve(struct userns_server *s, const char *mnt, int depth)
{
	struct stat st;
	int err;

	s->fs.ops = &userns_ops;
	s->fs.data = s;
	s->fs.max_stack_depth = depth;
	err = fuse_server_mount(&s->fs, mnt, "fuse_userns", MS_NOSUID | MS_NODEV,
				false);
	if (err)
		return err;
	if (pthread_create(&s->thread, NULL, fuse_server_thread, &s->fs))
		return -EAGAIN;
	return stat(mnt, &st) ? -errno : 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* The first @size - 1 bytes of @path, NUL-terminated: length or -errno */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	n = n < 0 ? -errno : n;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static int create_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/*
 * Become @uid and root of a new user namespace and mount namespace in it,
 * as "unshare -Urm" does: 0 or -errno.
 */
static int enter_userns(uid_t uid)
{
	char map[32];
	int err;

	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		return -errno;
	/* /proc/self/ files of a process that changed its uid are root's */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) ||
	    unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return -errno;
	snprintf(map, sizeof(map), "0 %u 1", uid);
	err = write_file("/proc/self/setgroups", "deny");
	if (!err)
		err = write_file("/proc/self/uid_map", map);
	if (!err)
		err = write_file("/proc/self/gid_map", map);
	return err;
}

/* A tmpfs to work in: base, base/lower (backing files), base/mnt */
struct place {
	char base[64];
	char lower[128];
	char mnt[128];
};

static int make_place(struct place *p, const char *name)
{
	return fuse_server_dirs(name, p->base, sizeof(p->base), p->lower,
				p->mnt, sizeof(p->lower));
}

static void path_of(char *buf, size_t size, const char *dir, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/*
 * Run @fn(@arg) in a child that is root of a user namespace of its own,
 * as TEST_UID + @n, and return its wait status.  @fn exits the child.
 */
static pid_t start_userns(int n, void (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CHILD_EQ(enter_userns(TEST_UID + n), 0, "user namespace");
		fn(arg);
		_exit(0);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static int run_userns(int n, void (*fn)(void *), void *arg)
{
	return wait_status(start_userns(n, fn, arg));
}

/* Register @fd on @devfd: the id or -errno */
static int register_fd(int devfd, int fd)
{
	struct fuse_backing_map map = { .fd = fd };
	int id = ioctl(devfd, FUSE_DEV_IOC_BACKING_OPEN, &map);

	return id < 0 ? -errno : id;
}

/* The number of backing ids that the fdinfo of @devfd lists, or -1 */
static int listed_ids(int devfd)
{
	char path[64], buf[8192];
	const char *line;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", devfd);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	line = strstr(buf, "fuse_backing_files:\t");
	return line ? atoi(line + strlen("fuse_backing_files:\t")) : -1;
}

/*
 * The limits of RLIMIT_NOFILE these tests set count the fds of the test
 * too: fds a runner leaves open (run_kselftest.sh leaves 3 and 4) would
 * take their places, so they are closed before anything else runs.
 */
static void __attribute__((constructor)) close_inherited_fds(void)
{
	close_range(3, ~0U, 0);
}

FIXTURE(userns) {
	char sysctl_old[16];
	bool sysctl_set;
	mode_t dev_mode;
	bool dev_chmod;
};

/* Passthrough for root of the initial namespace: 0 or -errno */
static int probe_passthrough(void)
{
	struct userns_server s = { };
	struct place p;
	char path[256];
	pid_t pid;
	int id;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (make_place(&p, "fuse_userns_probe") || serve(&s, p.mnt, 1))
			_exit(1);
		path_of(path, sizeof(path), p.lower, "probe");
		if (create_file(path, "", 0644))
			_exit(1);
		id = fuse_backing_open_flags(s.fs.devfd, path, O_RDONLY);
		_exit(id > 0 ? 0 : id == -EPERM || id == -ENOTTY ? 2 : 1);
	}
	return wait_status(pid);
}

static void do_nothing(void *arg)
{
}

FIXTURE_SETUP(userns)
{
	struct stat st;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root: %s", "to make users and write " SYSCTL);
	if (stat("/dev/fuse", &st))
		SKIP(return, "no /dev/fuse: %s (CONFIG_FUSE_FS?)", strerror(errno));
	status = probe_passthrough();
	if (status != 0)
		SKIP(return, "no FUSE passthrough for root (status %#x): %s", status,
		     "CONFIG_FUSE_PASSTHROUGH?");
	/* Distributions may forbid unprivileged user namespaces */
	status = run_userns(0, do_nothing, NULL);
	if (status != 0)
		SKIP(return, "cannot make a user namespace as an unprivileged user (status %#x)",
		     status);

	/* udev makes /dev/fuse crw-rw-rw-; devtmpfs alone makes it 0600 */
	if ((st.st_mode & 0666) != 0666) {
		ASSERT_EQ(chmod("/dev/fuse", st.st_mode | 0666), 0);
		self->dev_mode = st.st_mode & 07777;
		self->dev_chmod = true;
	}

	if (read_file(SYSCTL, self->sysctl_old, sizeof(self->sysctl_old)) < 0) {
		/* The tests then show what the kernel does without it: fail */
		TH_LOG("no %s: %s", SYSCTL, strerror(errno));
		return;
	}
	ASSERT_EQ(write_file(SYSCTL, "1"), 0);
	self->sysctl_set = true;
}

/* In the parent: also after a test was killed on its timeout */
FIXTURE_TEARDOWN_PARENT(userns)
{
	if (self->sysctl_set)
		write_file(SYSCTL, self->sysctl_old);
	if (self->dev_chmod)
		chmod("/dev/fuse", self->dev_mode);
}

/*
 * In a child: a place @name with lower/f0 holding @text, a FUSE mount on it,
 * and lower/f0, opened with @flags, registered as the backing file of f0:
 * the backing id.
 */
static int serve_f0(struct place *p, struct userns_server *s, const char *name,
		    const char *text, int flags)
{
	char path[256];
	int id;

	CHILD_EQ(make_place(p, name), 0, "tmpfs");
	path_of(path, sizeof(path), p->lower, "f0");
	CHILD_EQ(create_file(path, text, 0644), 0, "lower/f0");
	CHILD_EQ(serve(s, p->mnt, 1), 0, "FUSE mount");
	id = fuse_backing_open_flags(s->fs.devfd, path, flags);
	CHILD_EQ(id > 0 ? 0 : id, 0, "FUSE_DEV_IOC_BACKING_OPEN");
	set_id(s, 0, id);
	return id;
}

/* Register lower/f0, read and write it through the FUSE file */
static void passthrough_io(void *arg)
{
	struct userns_server s = { };
	char path[256], buf[64];
	struct place p;
	int fd, id;

	id = serve_f0(&p, &s, "fuse_userns_io", "hello from the lower file", O_RDWR);
	path_of(path, sizeof(path), p.mnt, "f0");
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHILD_OK(fd >= 0, "open of the FUSE file");
	/* The server answers FUSE_READ with no data, FUSE_WRITE with an error */
	CHILD_EQ(pread(fd, buf, sizeof(buf), 0), 25, "read through passthrough");
	CHILD_EQ(memcmp(buf, "hello from the lower file", 25), 0, "data read");
	CHILD_EQ(pwrite(fd, "HELLO", 5, 0), 5, "write through passthrough");
	CHILD_EQ(close(fd), 0, "close");

	path_of(path, sizeof(path), p.lower, "f0");
	CHILD_EQ(read_file(path, buf, sizeof(buf)), 25, "lower/f0 after the write");
	CHILD_EQ(strcmp(buf, "HELLO from the lower file"), 0, "data written");
	printf("# backing id %d: read and written through passthrough: \"%s\"\n", id, buf);
	_exit(0);
}

TEST_F(userns, passthrough_io)
{
	ASSERT_EQ(run_userns(1, passthrough_io, NULL), 0);
}

/* Register a file and expect *@arg (0: success, or -errno) */
static void register_one(void *arg)
{
	struct userns_server s = { };
	char path[256];
	struct place p;
	int id;

	CHILD_EQ(make_place(&p, "fuse_userns_gate"), 0, "tmpfs");
	path_of(path, sizeof(path), p.lower, "f0");
	CHILD_EQ(create_file(path, "x", 0644), 0, "lower/f0");
	CHILD_EQ(serve(&s, p.mnt, 1), 0, "FUSE mount");
	id = fuse_backing_open_flags(s.fs.devfd, path, O_RDONLY);
	CHILD_EQ(id > 0 ? 0 : id, *(int *)arg, "FUSE_DEV_IOC_BACKING_OPEN");
	_exit(0);
}

TEST_F(userns, sysctl_gate)
{
	int ok = 0, eperm = -EPERM;
	char value[16];

	ssize_t n = read_file(SYSCTL, value, sizeof(value));

	ASSERT_GE(n, 0) TH_LOG("%s: %s", SYSCTL, strerror(-n));
	/* Off by default; an administrator may have turned it on */
	if (strcmp(self->sysctl_old, "0\n"))
		TH_LOG("%s was %s", SYSCTL, self->sysctl_old);

	ASSERT_EQ(write_file(SYSCTL, "0"), 0);
	EXPECT_EQ(run_userns(2, register_one, &eperm), 0);
	/* The initial namespace's root is not affected */
	EXPECT_EQ(probe_passthrough(), 0);
	ASSERT_EQ(write_file(SYSCTL, "1"), 0);
	EXPECT_EQ(run_userns(2, register_one, &ok), 0);
	/* Only 0 and 1 */
	EXPECT_EQ(write_file(SYSCTL, "2"), -EINVAL);
}

/*
 * RLIMIT_NOFILE 16: 10 ids on one connection and 6 on another, then
 * EMFILE on both; a closed id makes room, an id closed while a FUSE file
 * uses it does not until that is closed; a lower limit stops new ids.
 */
static void limit_exact(void *arg)
{
	struct rlimit rl = { .rlim_cur = 16, .rlim_max = 16 };
	struct userns_server a = { }, b = { };
	char path[256], mnt_b[256];
	struct place p;
	int i, id, ids_b[6], fd;

	CHILD_EQ(make_place(&p, "fuse_userns_limit"), 0, "tmpfs");
	path_of(path, sizeof(path), p.lower, "f0");
	CHILD_EQ(create_file(path, "x", 0644), 0, "lower/f0");
	path_of(mnt_b, sizeof(mnt_b), p.base, "mnt_b");
	CHILD_OK(mkdir(mnt_b, 0755) == 0, "mkdir mnt_b");
	CHILD_EQ(serve(&a, p.mnt, 1), 0, "FUSE mount a");
	CHILD_EQ(serve(&b, mnt_b, 1), 0, "FUSE mount b");
	CHILD_OK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");

	for (i = 0; i < 10; i++) {
		id = fuse_backing_open_flags(a.fs.devfd, path, O_RDONLY);
		CHILD_EQ(id > 0 ? 0 : id, 0, "FUSE_DEV_IOC_BACKING_OPEN on a");
		if (i == 0)
			set_id(&a, 0, id);
	}
	for (i = 0; i < 6; i++) {
		ids_b[i] = fuse_backing_open_flags(b.fs.devfd, path, O_RDONLY);
		CHILD_EQ(ids_b[i] > 0 ? 0 : ids_b[i], 0, "FUSE_DEV_IOC_BACKING_OPEN on b");
	}
	CHILD_EQ(fuse_backing_open_flags(a.fs.devfd, path, O_RDONLY), -EMFILE, "17th id on a");
	CHILD_EQ(fuse_backing_open_flags(b.fs.devfd, path, O_RDONLY), -EMFILE, "17th id on b");
	printf("# RLIMIT_NOFILE 16: 10 ids on one connection, 6 on another, %s: %s\n",
	       "the 17th", strerror(EMFILE));
	CHILD_EQ(listed_ids(a.fs.devfd), 10, "ids listed in the fdinfo of a");
	CHILD_EQ(listed_ids(b.fs.devfd), 6, "ids listed in the fdinfo of b");

	/* A closed id makes room for one */
	CHILD_EQ(fuse_backing_close(b.fs.devfd, ids_b[0]), 0, "FUSE_DEV_IOC_BACKING_CLOSE");
	id = fuse_backing_open_flags(a.fs.devfd, path, O_RDONLY);
	CHILD_EQ(id > 0 ? 0 : id, 0, "id after a close");
	CHILD_EQ(fuse_backing_open_flags(a.fs.devfd, path, O_RDONLY), -EMFILE, "full again");

	/* An id closed while a FUSE file uses it counts until the file is closed */
	path_of(mnt_b, sizeof(mnt_b), p.mnt, "f0");
	fd = open(mnt_b, O_RDONLY | O_CLOEXEC);
	CHILD_OK(fd >= 0, "open of the FUSE file");
	CHILD_EQ(fuse_backing_close(a.fs.devfd, a.ids[0]), 0, "close of the file's id");
	CHILD_EQ(fuse_backing_open_flags(a.fs.devfd, path, O_RDONLY), -EMFILE,
		 "id while the closed id's file is open");
	CHILD_EQ(close(fd), 0, "close of the FUSE file");
	id = fuse_backing_open_flags(a.fs.devfd, path, O_RDONLY);
	CHILD_EQ(id > 0 ? 0 : id, 0, "id after the FUSE file was closed");

	/*
	 * 12 held, a limit of 8: the ids stay, no new one; 16 again: one
	 * more.  (The file is opened before: 8 is about the fds of this
	 * process too.)
	 */
	for (i = 1; i < 5; i++)
		CHILD_EQ(fuse_backing_close(b.fs.devfd, ids_b[i]), 0, "close of an id");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHILD_OK(fd >= 0, "open of lower/f0");
	rl.rlim_cur = 8;
	CHILD_OK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit 8");
	CHILD_EQ(register_fd(b.fs.devfd, fd), -EMFILE, "id with 12 held and a limit of 8");
	CHILD_EQ(listed_ids(a.fs.devfd) + listed_ids(b.fs.devfd), 12, "ids kept");
	rl.rlim_cur = 16;
	CHILD_OK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit 16");
	id = register_fd(b.fs.devfd, fd);
	CHILD_EQ(id > 0 ? 0 : id, 0, "id with 12 held and a limit of 16");
	_exit(0);
}

TEST_F(userns, limit_exact)
{
	ASSERT_EQ(run_userns(3, limit_exact, NULL), 0);
}

/* A guard, on every kernel: root of the initial namespace is not limited */
TEST_F(userns, privileged_not_limited)
{
	struct rlimit rl = { .rlim_cur = 16, .rlim_max = 16 };
	struct userns_server s = { };
	char path[256];
	struct place p;
	int i, id = 0;

	ASSERT_EQ(make_place(&p, "fuse_userns_root"), 0);
	path_of(path, sizeof(path), p.lower, "f0");
	ASSERT_EQ(create_file(path, "x", 0644), 0);
	ASSERT_EQ(serve(&s, p.mnt, 1), 0);
	ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	for (i = 0; i < 100 && id >= 0; i++)
		id = fuse_backing_open_flags(s.fs.devfd, path, O_RDONLY);
	ASSERT_GT(id, 0) TH_LOG("id %d: %s", i, strerror(-id));
	ASSERT_EQ(listed_ids(s.fs.devfd), 100);
}

/* Drop @cap from the effective set: 0 or -errno */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* The fds of a child for its parent to look at */
struct shown {
	int pipe[2];		/* child -> parent: devfd, FUSE fd */
	int resume[2];		/* parent -> child: done */
	char lower[128];
};

/* Does @e name the file at @path as stat() and statx() do? */
static bool same_file(const struct fuse_backing_entry *e, const char *path)
{
	struct stat st;

	return !stat(path, &st) && e->major == major(st.st_dev) &&
	       e->minor == minor(st.st_dev) && e->ino == st.st_ino &&
	       e->mnt_id == fuse_mount_id(path);
}

/*
 * In the child: the line of @fdinfo (of /dev/fuse or of the FUSE file)
 * shows backing id @id and, to the namespace's root, the path and identity
 * of @lower.
 */
static void shows_to_root(const char *fdinfo, int id, const char *lower,
			  const char *what)
{
	struct fuse_backing_entry e;

	CHILD_OK(fuse_backing_entry_only(fdinfo, &e), what);
	CHILD_EQ(e.id, id, "its backing id");
	CHILD_OK(e.path && !strcmp(e.path, lower), "its path, for the namespace's root");
	CHILD_OK(same_file(&e, lower), "its device, inode and mount id");
	free(e.path);
}

static void fdinfo_shows(void *arg)
{
	struct shown *sh = arg;
	struct userns_server s = { };
	char path[256], lower[256], buf[8192];
	struct place p;
	int fd, id, fds[2];

	id = serve_f0(&p, &s, "fuse_userns_fdinfo", "x", O_RDONLY);
	path_of(lower, sizeof(lower), p.lower, "f0");
	path_of(path, sizeof(path), p.mnt, "f0");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHILD_OK(fd >= 0, "open of the FUSE file");

	/* The server's list, and the FUSE file's line, for its root */
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", s.fs.devfd);
	CHILD_OK(read_file(path, buf, sizeof(buf)) > 0, "fdinfo of /dev/fuse");
	shows_to_root(buf, id, lower, "fuse_backing in the fdinfo of /dev/fuse");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	CHILD_OK(read_file(path, buf, sizeof(buf)) > 0, "fdinfo of the FUSE file");
	shows_to_root(buf, id, lower, "fuse_backing in the fdinfo of the FUSE file");

	/* ... and for root of the initial namespace */
	fds[0] = s.fs.devfd;
	fds[1] = fd;
	CHILD_EQ(write(sh->pipe[1], fds, sizeof(fds)), sizeof(fds), "pipe");
	CHILD_EQ(write(sh->pipe[1], p.lower, sizeof(p.lower)), sizeof(p.lower), "pipe");
	CHILD_EQ(read(sh->resume[0], buf, 1), 1, "wait for the parent");
	_exit(0);
}

/*
 * In a reader child: @what, the fdinfo at @path, has a fuse_backing line,
 * with the backing id, device, inode and mount id that stat() tells
 * anyone, but without the path.
 */
static void shows_no_path(const char *path, const char *what)
{
	struct fuse_backing_entry e;
	char buf[8192];

	CHILD_OK(read_file(path, buf, sizeof(buf)) > 0, what);
	CHILD_OK(fuse_backing_entry_only(buf, &e), "fuse_backing for any reader");
	CHILD_OK(e.id > 0 && e.ino, "backing id and inode for any reader");
	if (e.path)
		printf("# %s shows the path %s\n", what, e.path);
	CHILD_OK(!e.path, what);
}

TEST_F(userns, fdinfo_shows_userns_files)
{
	char path[256], want[300], buf[8192];
	pid_t pid, reader;
	struct fuse_backing_entry e;
	struct shown sh;
	int fds[2] = { -1, -1 };

	ASSERT_EQ(pipe(sh.pipe), 0);
	ASSERT_EQ(pipe(sh.resume), 0);
	pid = start_userns(5, fdinfo_shows, &sh);
	ASSERT_GT(pid, 0);
	close(sh.pipe[1]);
	if (read(sh.pipe[0], fds, sizeof(fds)) == sizeof(fds) &&
	    read(sh.pipe[0], sh.lower, sizeof(sh.lower)) == sizeof(sh.lower)) {
		/* The same path: the child's mount namespace is a copy */
		snprintf(want, sizeof(want), "%s/f0", sh.lower);
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fds[0]);
		EXPECT_GT(read_file(path, buf, sizeof(buf)), 0);
		EXPECT_NE(strstr(buf, "\nfuse_backing_files:\t1\n"), NULL) TH_LOG("%s", buf);
		EXPECT_TRUE(fuse_backing_entry_only(buf, &e)) TH_LOG("%s", buf);
		EXPECT_STREQ(e.path ? e.path : "(none)", want);
		free(e.path);
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fds[1]);
		EXPECT_GT(read_file(path, buf, sizeof(buf)), 0);
		EXPECT_TRUE(fuse_backing_entry_only(buf, &e)) TH_LOG("%s", buf);
		EXPECT_GT(e.id, 0);
		EXPECT_STREQ(e.path ? e.path : "(none)", want);
		free(e.path);
	}
	/*
	 * Not for a reader that may read the fdinfo (CAP_SYS_PTRACE) but has
	 * no CAP_SYS_ADMIN over the server's namespace: root without it.
	 */
	fflush(stdout);
	reader = fork();
	if (reader == 0) {
		CHILD_EQ(drop_cap(CAP_SYS_ADMIN), 0, "drop CAP_SYS_ADMIN");
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fds[1]);
		shows_no_path(path, "the FUSE file's fdinfo, without CAP_SYS_ADMIN");
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fds[0]);
		shows_no_path(path, "the fdinfo of /dev/fuse, without CAP_SYS_ADMIN");
		_exit(0);
	}
	EXPECT_EQ(wait_status(reader), 0);
	/*
	 * Nor for a reader with CAP_SYS_ADMIN in a user namespace of its own,
	 * a sibling of the server's: it reads the fdinfo of its copy of the
	 * FUSE file (opened after the unshare: the opener is judged).
	 */
	fflush(stdout);
	reader = fork();
	if (reader == 0) {
		int pidfd = syscall(SYS_pidfd_open, pid, 0);
		int fd = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, fds[1], 0);

		CHILD_OK(fd >= 0, "pidfd_getfd of the FUSE file");
		CHILD_OK(unshare(CLONE_NEWUSER) == 0, "unshare(CLONE_NEWUSER)");
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		shows_no_path(path, "fdinfo read in a sibling namespace");
		_exit(0);
	}
	EXPECT_EQ(wait_status(reader), 0);
	ASSERT_EQ(write(sh.resume[1], "x", 1), 1);
	ASSERT_EQ(wait_status(pid), 0);
}

/*
 * In a child: a place @name, a FUSE mount on it, RLIMIT_NOFILE @max, and
 * lower/f0 registered @max times (as the backing files of f0, f1, ...);
 * the next registration gets EMFILE.
 */
static void fill_limit(struct place *p, struct userns_server *s, const char *name,
		       int max)
{
	struct rlimit rl = { .rlim_cur = max, .rlim_max = max };
	char path[256];
	int i, id;

	CHILD_EQ(make_place(p, name), 0, "tmpfs");
	path_of(path, sizeof(path), p->lower, "f0");
	CHILD_EQ(create_file(path, "x", 0644), 0, "lower/f0");
	CHILD_EQ(serve(s, p->mnt, 1), 0, "FUSE mount");
	CHILD_OK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");
	for (i = 0; i < max; i++) {
		id = fuse_backing_open_flags(s->fs.devfd, path, O_RDONLY);
		CHILD_EQ(id > 0 ? 0 : id, 0, "FUSE_DEV_IOC_BACKING_OPEN up to the limit");
		if (i < MAX_FILES)
			set_id(s, i, id);
	}
	CHILD_EQ(fuse_backing_open_flags(s->fs.devfd, path, O_RDONLY), -EMFILE,
		 "FUSE_DEV_IOC_BACKING_OPEN over the limit");
}

/* Fill the limit, keep a file open in passthrough mode, wait to be killed */
static void fill_and_wait(void *arg)
{
	struct userns_server s = { };
	int *ready = arg, fd;
	char path[256];
	struct place p;

	fill_limit(&p, &s, "fuse_userns_dead", 8);
	path_of(path, sizeof(path), p.mnt, "f3");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHILD_OK(fd >= 0, "open of the FUSE file");
	CHILD_EQ(write(ready[1], "x", 1), 1, "pipe");
	pause();
	_exit(1);
}

/* The limit is all free again */
static void fill_again(void *arg)
{
	struct userns_server s = { };
	struct place p;

	fill_limit(&p, &s, "fuse_userns_dead", 8);
	_exit(0);
}

TEST_F(userns, dead_server_unpins)
{
	char path[64], c;
	int ready[2], ns;
	pid_t pid;

	ASSERT_EQ(pipe(ready), 0);
	pid = start_userns(6, fill_and_wait, ready);
	ASSERT_GT(pid, 0);
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		ASSERT_EQ(wait_status(pid), 0) TH_LOG("the server failed");
	/*
	 * Keep its user namespace, and so the count of its user, from being
	 * freed with it: a count left over must show below.
	 */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	ns = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ns, 0);
	/* The server, its client and their mount namespace go at once */
	ASSERT_EQ(kill(pid, SIGKILL), 0);
	ASSERT_EQ(wait_status(pid), SIGKILL);
	/* Every backing file it held was released: the same user has 8 again */
	ASSERT_EQ(run_userns(6, fill_again, NULL), 0);
	close(ns);
}

/*
 * Files of root: "secret" 0600, "ro" 0644, "log" 0666 append-only, "imm"
 * 0666 immutable, and an fd of "secret" that root opened before the fork.
 * The server may register only what it may open itself, and passthrough
 * opens them only as it could open them itself: never beyond the access
 * of the registered fd that it may not have, never for writing an
 * append-only or immutable file; beyond the fd, what it may do itself (a
 * positive control: its own file, registered read-only, is written).
 */
struct files_of_root {
	char dir[128];
	int secret_fd;
};

static void no_access(void *arg)
{
	struct files_of_root *f = arg;
	struct userns_server s = { };
	char path[256], f4[256], buf[64];
	struct place p;
	int id, fd;

	CHILD_EQ(make_place(&p, "fuse_userns_access"), 0, "tmpfs");
	CHILD_EQ(serve(&s, p.mnt, 1), 0, "FUSE mount");

	path_of(path, sizeof(path), f->dir, "secret");
	CHILD_EQ(read_file(path, buf, sizeof(buf)), -EACCES, "the server reads root's secret");
	CHILD_EQ(fuse_backing_open_flags(s.fs.devfd, path, O_PATH), -EBADF,
		 "FUSE_DEV_IOC_BACKING_OPEN of an O_PATH fd of secret");
	CHILD_EQ(register_fd(s.fs.devfd, f->secret_fd), -EACCES,
		 "FUSE_DEV_IOC_BACKING_OPEN of root's fd of secret");

	path_of(path, sizeof(path), f->dir, "ro");
	id = fuse_backing_open_flags(s.fs.devfd, path, O_RDONLY);
	CHILD_EQ(id > 0 ? 0 : id, 0, "FUSE_DEV_IOC_BACKING_OPEN of an O_RDONLY fd of ro");
	set_id(&s, 1, id);
	path_of(path, sizeof(path), p.mnt, "f1");
	CHILD_EQ(read_file(path, buf, sizeof(buf)), 9, "read of ro through passthrough");
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHILD_EQ(fd < 0 ? -errno : fd, -EIO, "open of ro for writing through passthrough");

	path_of(path, sizeof(path), f->dir, "log");
	id = fuse_backing_open_flags(s.fs.devfd, path, O_WRONLY | O_APPEND);
	CHILD_EQ(id > 0 ? 0 : id, 0, "FUSE_DEV_IOC_BACKING_OPEN of log, append-only");
	set_id(&s, 2, id);
	path_of(path, sizeof(path), p.mnt, "f2");
	CHILD_EQ(read_file(path, buf, sizeof(buf)), 3, "read of log through passthrough");
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	CHILD_EQ(fd < 0 ? -errno : fd, -EIO, "open of log for appending through passthrough");

	path_of(path, sizeof(path), f->dir, "imm");
	id = fuse_backing_open_flags(s.fs.devfd, path, O_RDONLY);
	CHILD_EQ(id > 0 ? 0 : id, 0, "FUSE_DEV_IOC_BACKING_OPEN of imm, immutable");
	set_id(&s, 3, id);
	path_of(path, sizeof(path), p.mnt, "f3");
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHILD_EQ(fd < 0 ? -errno : fd, -EIO, "open of imm for writing through passthrough");

	/* A positive control: beyond the fd, what the server may do itself */
	path_of(path, sizeof(path), p.lower, "mine");
	CHILD_EQ(create_file(path, "mine", 0644), 0, "the server's own file");
	id = fuse_backing_open_flags(s.fs.devfd, path, O_RDONLY);
	CHILD_EQ(id > 0 ? 0 : id, 0, "FUSE_DEV_IOC_BACKING_OPEN of an O_RDONLY fd of mine");
	set_id(&s, 4, id);
	path_of(f4, sizeof(f4), p.mnt, "f4");
	fd = open(f4, O_RDWR | O_CLOEXEC);
	CHILD_OK(fd >= 0, "open of mine for writing through passthrough");
	CHILD_EQ(pwrite(fd, "MINE", 4, 0), 4, "write of mine through passthrough");
	close(fd);
	CHILD_EQ(read_file(path, buf, sizeof(buf)), 4, "read of mine");
	CHILD_OK(!strcmp(buf, "MINE"), "mine as written through passthrough");
	_exit(0);
}

static int create_with_flags(const char *dir, const char *name, const char *text,
			     mode_t mode, int attr)
{
	char path[256];
	int fd, err;

	path_of(path, sizeof(path), dir, name);
	err = create_file(path, text, mode);
	if (err || !attr)
		return err;
	/* chmod: create_file() is subject to the umask */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, mode) || ioctl(fd, FS_IOC_SETFLAGS, &attr))
		err = -errno;
	close(fd);
	return err;
}

TEST_F(userns, no_access_gained)
{
	struct userns_server s = { };
	struct files_of_root f;
	char path[256], buf[64];
	struct place p;
	int id;

	/* The child sees this tmpfs: its mount namespace is a copy */
	ASSERT_EQ(make_place(&p, "fuse_userns_secret"), 0);
	snprintf(f.dir, sizeof(f.dir), "%s", p.lower);
	ASSERT_EQ(create_with_flags(f.dir, "secret", "top secret", 0600, 0), 0);
	ASSERT_EQ(create_with_flags(f.dir, "ro", "read-only", 0644, 0), 0);
	ASSERT_EQ(create_with_flags(f.dir, "log", "log", 0666, FS_APPEND_FL), 0);
	ASSERT_EQ(create_with_flags(f.dir, "imm", "imm", 0666, FS_IMMUTABLE_FL), 0);
	path_of(path, sizeof(path), f.dir, "secret");
	f.secret_fd = open(path, O_RDONLY);
	ASSERT_GE(f.secret_fd, 0);
	EXPECT_EQ(run_userns(7, no_access, &f), 0);

	/* A guard: root may, through an O_PATH fd too */
	ASSERT_EQ(serve(&s, p.mnt, 1), 0);
	id = fuse_backing_open_flags(s.fs.devfd, path, O_PATH);
	ASSERT_GT(id, 0);
	set_id(&s, 0, id);
	path_of(path, sizeof(path), p.mnt, "f0");
	ASSERT_EQ(read_file(path, buf, sizeof(buf)), 10);
	ASSERT_STREQ(buf, "top secret");
}

/*
 * An overlayfs O (depth 1) on the namespace's tmpfs: its files may back a
 * FUSE filesystem of depth 2, not of depth 1; depth 3 gets no passthrough;
 * nothing stacks on the FUSE filesystem of depth 2, and it cannot hold
 * its own files.
 */
static void depth_bounded(void *arg)
{
	struct userns_server d2 = { }, d1 = { }, d3 = { };
	char l[160], u[160], w[160], o[160], t[160], m1[160], m3[160], x[200], opts[600];
	struct place p;
	int id, fd;

	CHILD_EQ(make_place(&p, "fuse_userns_depth"), 0, "tmpfs");
	snprintf(l, sizeof(l), "%s/l", p.base);
	snprintf(u, sizeof(u), "%s/u", p.base);
	snprintf(w, sizeof(w), "%s/w", p.base);
	snprintf(o, sizeof(o), "%s/o", p.base);
	snprintf(t, sizeof(t), "%s/t", p.base);
	snprintf(m1, sizeof(m1), "%s/m1", p.base);
	snprintf(m3, sizeof(m3), "%s/m3", p.base);
	CHILD_OK(!mkdir(l, 0755) && !mkdir(u, 0755) && !mkdir(w, 0755) &&
		 !mkdir(o, 0755) && !mkdir(t, 0755) && !mkdir(m1, 0755) &&
		 !mkdir(m3, 0755), "mkdir");
	snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s,userxattr", l, u, w);
	CHILD_OK(!mount("overlay", o, "overlay", 0, opts), "overlayfs mount");
	path_of(x, sizeof(x), o, "x");
	CHILD_EQ(create_file(x, "x", 0644), 0, "overlayfs file");

	CHILD_EQ(serve(&d2, p.mnt, 2), 0, "FUSE mount of depth 2");
	id = fuse_backing_open_flags(d2.fs.devfd, x, O_RDONLY);
	CHILD_EQ(id > 0 ? 0 : id, 0, "overlayfs file on FUSE of depth 2");
	CHILD_EQ(serve(&d1, m1, 1), 0, "FUSE mount of depth 1");
	CHILD_EQ(fuse_backing_open_flags(d1.fs.devfd, x, O_RDONLY), -ELOOP,
		 "overlayfs file on FUSE of depth 1");
	CHILD_EQ(serve(&d3, m3, 3), 0, "FUSE mount of depth 3");
	CHILD_EQ(fuse_backing_open_flags(d3.fs.devfd, x, O_RDONLY), -EPERM,
		 "FUSE of depth 3 (no passthrough negotiated)");

	/* Nothing on top of depth 2; on top of depth 1, yes */
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s", p.mnt, l);
	CHILD_EQ(mount("overlay", t, "overlay", MS_RDONLY, opts) ? -errno : 0, -EINVAL,
		 "overlayfs on FUSE of depth 2");
	snprintf(opts, sizeof(opts), "lowerdir=%s:%s", m1, l);
	CHILD_EQ(mount("overlay", t, "overlay", MS_RDONLY, opts) ? -errno : 0, 0,
		 "overlayfs on FUSE of depth 1");
	/* A file of the FUSE filesystem itself */
	path_of(x, sizeof(x), p.mnt, "f9");
	fd = open(x, O_RDONLY | O_CLOEXEC);
	CHILD_OK(fd >= 0, "open of a FUSE file");
	CHILD_EQ(fuse_backing_open_flags(d2.fs.devfd, x, O_RDONLY), -ELOOP,
		 "a FUSE file on its own filesystem");
	_exit(0);
}

TEST_F(userns, stack_depth_bounded)
{
	ASSERT_EQ(run_userns(8, depth_bounded, NULL), 0);
}

struct two_ids {
	int go[2];		/* parent -> child: the maps are written */
	int ready[2];		/* child -> parent: in the namespace */
};

/*
 * Root of a namespace with two ids mapped, 0 and 1: at the limit as 0, and
 * still as real uid 1, which keeps euid 0 and so its capabilities.
 */
static void limit_two_uids(void *arg)
{
	struct two_ids *t = arg;
	struct userns_server s = { };
	char path[256], c;
	struct place p;

	CHILD_EQ(write(t->ready[1], "x", 1), 1, "pipe");
	CHILD_EQ(read(t->go[0], &c, 1), 1, "wait for the maps");
	fill_limit(&p, &s, "fuse_userns_uids", 32);
	CHILD_OK(setresuid(1, 0, 0) == 0, "setresuid(1, 0, 0)");
	path_of(path, sizeof(path), p.lower, "f0");
	CHILD_EQ(fuse_backing_open_flags(s.fs.devfd, path, O_RDONLY), -EMFILE,
		 "over the limit as real uid 1");
	_exit(0);
}

static int set_maps(pid_t pid, uid_t uid)
{
	char path[64], map[32];
	int err;

	snprintf(map, sizeof(map), "0 %u 2", uid);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
	err = write_file(path, map);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
	return err ? err : write_file(path, map);
}

/*
 * The count is that of the user who made the namespace, not of a uid in
 * it: root of a namespace with more ids mapped gets no more by switching.
 */
TEST_F(userns, limit_per_user_not_per_uid)
{
	uid_t uid = TEST_UID + 11;
	struct two_ids t;
	int ok = 0;
	pid_t pid;
	char c;

	ASSERT_EQ(pipe(t.go), 0);
	ASSERT_EQ(pipe(t.ready), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Root of the initial namespace maps uid and uid + 1 to 0 and 1 */
		CHILD_OK(!setgroups(0, NULL) && !setresgid(uid, uid, uid) &&
			 !setresuid(uid, uid, uid), "setresuid");
		CHILD_OK(!prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "PR_SET_DUMPABLE");
		CHILD_OK(!unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare");
		limit_two_uids(&t);
	}
	ASSERT_GT(pid, 0);
	close(t.ready[1]);
	if (read(t.ready[0], &c, 1) == 1)
		EXPECT_EQ(set_maps(pid, uid), 0);
	ASSERT_EQ(write(t.go[1], "x", 1), 1);
	ASSERT_EQ(wait_status(pid), 0);
	/* Another user is not affected (not uid + 1, mapped above) */
	ASSERT_EQ(run_userns(13, register_one, &ok), 0);
}

/*
 * The stress test: for FUSE_STRESS_SECONDS (default 3), servers of one
 * user, each a process of its own, storm registrations and closes at the
 * user's limit while apps, processes of their own, open files through
 * passthrough; then the apps are killed, and the server is killed or its
 * mount detached and the server killed, with ids left and files still
 * open in a third process.  No fdinfo ever lists more ids than the limit,
 * and at the end the count is exactly 0 again: the user registers up to
 * the limit, and no more.  (A server is never killed while a process
 * waits for its answer: that process could not exit.)  The kernel log
 * (KASAN, lockdep) is the caller's to check: make check-debug runs it for
 * 60 s.
 */
#define RACE_LIMIT	24
#define RACE_THREADS	3

struct race {
	struct userns_server s;
	char lower_f[256];
	char mnt[256];
	int *over_limit;	/* fdinfo lists over the limit, in all servers */
};

static void *race_storm(void *arg)
{
	struct race *r = arg;
	unsigned int seed = (uintptr_t)&seed;

	for (;;) {
		int n = rand_r(&seed) % MAX_FILES;
		int id = fuse_backing_open_flags(r->s.fs.devfd, r->lower_f, O_RDONLY);
		int old;

		if (id <= 0)
			id = 0;
		old = __atomic_exchange_n(&r->s.ids[n], id, __ATOMIC_ACQ_REL);
		if (old > 0 && rand_r(&seed) % 4)
			fuse_backing_close(r->s.fs.devfd, old);
		if (listed_ids(r->s.fs.devfd) > RACE_LIMIT)
			__atomic_add_fetch(r->over_limit, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* The server: mount, answer, storm; until killed */
static void race_server(struct race *r, int ready)
{
	pthread_t t;
	int i;

	CHILD_EQ(serve(&r->s, r->mnt, 1), 0, "FUSE mount");
	for (i = 0; i < RACE_THREADS; i++)
		CHILD_EQ(pthread_create(&t, NULL, race_storm, r), 0, "thread");
	CHILD_EQ(write(ready, "x", 1), 1, "pipe");
	for (;;)
		pause();
}

static void *race_app(void *arg)
{
	const char *mnt = arg;
	unsigned int seed = (uintptr_t)&seed;
	char path[300], buf[16];
	int fd;

	for (;;) {
		snprintf(path, sizeof(path), "%s/f%d", mnt, rand_r(&seed) % MAX_FILES);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (read(fd, buf, sizeof(buf)) < 0)
			buf[0] = 0;
		close(fd);
	}
	return NULL;
}

/* An app: opens files, in threads, until killed */
static void race_apps(const char *mnt)
{
	pthread_t t;
	int i;

	for (i = 0; i < RACE_THREADS; i++)
		CHILD_EQ(pthread_create(&t, NULL, race_app, (void *)mnt), 0, "thread");
	for (;;)
		pause();
}

/*
 * A holder: keeps some files open across the server's death, and says how
 * many (an open fails when the storm has just closed its id)
 */
static void race_holder(const char *mnt, int ready)
{
	char path[300], held = 0;
	int i;

	for (i = 0; i < MAX_FILES; i += 8) {
		snprintf(path, sizeof(path), "%s/f%d", mnt, i);
		if (open(path, O_RDONLY | O_CLOEXEC) >= 0)
			held++;
	}
	CHILD_EQ(write(ready, &held, 1), 1, "pipe");
	for (;;)
		pause();
}

/* A byte from @fd within 60 s: 1 (and the byte in *@c), or 0 */
static int race_ready_byte(int fd, char *c)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 60000) == 1 && read(fd, c, 1) == 1;
}

static int race_ready(int fd)
{
	char c;

	return race_ready_byte(fd, &c);
}

static pid_t race_fork(void)
{
	fflush(stdout);
	return fork();
}

static int race_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	return wait_status(pid) == SIGKILL ? 0 : -1;
}

static void userns_race(void *arg)
{
	struct rlimit rl = { .rlim_cur = RACE_LIMIT, .rlim_max = RACE_LIMIT };
	int seconds = *(int *)arg, gen, i, id, ready[2], *over_limit, held = 0;
	struct userns_server s = { };
	pid_t server, app, holder;
	struct race r = { };
	char n;
	struct place p;
	time_t end;

	CHILD_EQ(make_place(&p, "fuse_userns_race"), 0, "tmpfs");
	path_of(r.lower_f, sizeof(r.lower_f), p.lower, "f");
	CHILD_EQ(create_file(r.lower_f, "race", 0644), 0, "lower/f");
	CHILD_OK(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit");
	over_limit = mmap(NULL, sizeof(*over_limit), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHILD_OK(over_limit != MAP_FAILED, "mmap");
	r.over_limit = over_limit;
	CHILD_OK(pipe(ready) == 0, "pipe");

	end = time(NULL) + seconds;
	for (gen = 0; time(NULL) < end; gen++) {
		snprintf(r.mnt, sizeof(r.mnt), "%s/mnt%d", p.base, gen);
		CHILD_OK(mkdir(r.mnt, 0755) == 0, "mkdir");
		server = race_fork();
		CHILD_OK(server >= 0, "fork");
		if (server == 0)
			race_server(&r, ready[1]);
		CHILD_EQ(race_ready(ready[0]), 1, "the server's mount");
		holder = race_fork();
		CHILD_OK(holder >= 0, "fork");
		if (holder == 0)
			race_holder(r.mnt, ready[1]);
		CHILD_EQ(race_ready_byte(ready[0], &n), 1, "the holder's files");
		held += n;
		app = race_fork();
		CHILD_OK(app >= 0, "fork");
		if (app == 0)
			race_apps(r.mnt);

		usleep(100000 + gen % 5 * 50000);
		CHILD_EQ(race_kill(app), 0, "an app's death");
		if (gen % 2)
			CHILD_OK(umount2(r.mnt, MNT_DETACH) == 0, "umount");
		CHILD_EQ(race_kill(server), 0, "a server's death");
		CHILD_EQ(race_kill(holder), 0, "a holder's death");
	}
	printf("# %d servers, %d files held across their deaths\n", gen, held);
	CHILD_EQ(*over_limit, 0, "fdinfo lists over the limit");
	CHILD_EQ(held > 0, 1, "files held across a server's death");

	/* All gone: the count is 0, the limit exact */
	CHILD_EQ(serve(&s, p.mnt, 1), 0, "FUSE mount");
	for (i = 0; i < RACE_LIMIT; i++) {
		id = fuse_backing_open_flags(s.fs.devfd, r.lower_f, O_RDONLY);
		CHILD_EQ(id > 0 ? 0 : id, 0, "FUSE_DEV_IOC_BACKING_OPEN after the race");
	}
	CHILD_EQ(fuse_backing_open_flags(s.fs.devfd, r.lower_f, O_RDONLY), -EMFILE,
		 "one over the limit");
	_exit(0);
}

TEST_F_TIMEOUT(userns, stress_race, 3600)
{
	const char *v = getenv("FUSE_STRESS_SECONDS");
	int seconds = v ? atoi(v) : 3;

	ASSERT_EQ(run_userns(10, userns_race, &seconds), 0);
}

TEST_HARNESS_MAIN
