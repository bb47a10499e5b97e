// SPDX-License-Identifier: GPL-2.0
/*
 * Stress fdinfo readers of FUSE backing files against everything a FUSE
 * server and its users do at the same time, for a bounded time:
 *
 *  - a FUSE server (a process of its own, restarted again and again) that
 *    answers every FUSE_OPEN in passthrough mode with a fresh backing id
 *    and closes the id right after, like a careful server, while a thread
 *    of it storms FUSE_DEV_IOC_BACKING_OPEN/CLOSE;
 *  - app threads opening, reading and closing files through the mount,
 *    some kept open across server restarts;
 *  - reader threads reading the server's /dev/fuse fdinfo and the fdinfo
 *    of every open file, checking every line is well formed;
 *  - a controller that aborts the connection through fusectl, unmounts,
 *    or kills the server, then starts a new one.
 *
 * Before that, two phases without concurrency: 100000 ids (-n) all listed
 * exactly once, and hostile names (non-UTF-8, near PATH_MAX, deleted, out
 * of the reader's root) listed one parsable line each.
 *
 * Usage: fuse_fdinfo_stress [-t SECONDS] [-n IDS]   (default 60 s, 100000)
 * Prints what it did per kind and exits 0 if every fdinfo read was well
 * formed and both phases held; 4 (KSFT_SKIP) without root or passthrough.
 * The kernel log (BUG, KASAN, lockdep, kmemleak) is the caller's to check.
 */

#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuse_server.h"

#define KSFT_SKIP	4
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NFILES		16
#define APPS		3
#define READERS		2
#define KEPT		4

static char base[64], lower[128], mnt[128];

enum { OPS_OPEN, OPS_OPEN_ERR, OPS_READ, OPS_DEV_READS, OPS_FILE_READS,
	OPS_BAD, OPS_ABORT, OPS_UMOUNT, OPS_KILL, OPS_RESTART, OPS_IDS_OPEN,
	OPS_IDS_CLOSE, OPS_MAX_BYTES, OPS_NR };
static const char *const ops_name[OPS_NR] = {
	"app opens in passthrough mode", "app opens refused (server gone)",
	"app reads", "/dev/fuse fdinfo reads", "FUSE file fdinfo reads",
	"malformed fdinfo reads", "connection aborts", "umounts",
	"server kills", "server starts", "BACKING_OPEN (storm and opens)",
	"BACKING_CLOSE", "largest fdinfo read (bytes)",
};

/* Counted in the parent; the server reports its own at exit */
static atomic_ulong ops[OPS_NR];
static atomic_bool stop;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* ---- the server process -------------------------------------------------- */

static struct fuse_server srv;

static atomic_ulong srv_ids_open, srv_ids_close;

/* Register and close ids all the time, keeping up to 64 registered */
static void *storm(void *arg)
{
	int ids[64] = { 0 };
	char path[PATH_MAX];
	unsigned int i = 0;

	(void)arg;
	for (;; i++) {
		int slot = i % 64;

		if (ids[slot] > 0) {
			fuse_backing_close(srv.devfd, ids[slot]);
			atomic_fetch_add(&srv_ids_close, 1);
		}
		snprintf(path, sizeof(path), "%s/f%02u", lower, i % NFILES);
		ids[slot] = fuse_backing_open(srv.devfd, path);
		if (ids[slot] > 0)
			atomic_fetch_add(&srv_ids_open, 1);
		else if (ids[slot] == -ENOTCONN || ids[slot] == -ENODEV)
			usleep(1000);
	}
	return NULL;
}

/* lower/fNN is node NN + 2 */
static int64_t stress_lookup(struct fuse_server *fs, const char *name)
{
	unsigned int i;

	if (sscanf(name, "f%02u", &i) != 1 || i >= NFILES)
		return -ENOENT;
	return i + 2;
}

/* Every open in passthrough mode, with a fresh id ... */
static int stress_open(struct fuse_server *fs, uint64_t nodeid,
		       struct fuse_open_out *out)
{
	char path[PATH_MAX];
	int id;

	snprintf(path, sizeof(path), "%s/f%02llu", lower,
		 (unsigned long long)nodeid - 2);
	id = fuse_backing_open(fs->devfd, path);
	if (id <= 0)
		return -EIO;
	atomic_fetch_add(&srv_ids_open, 1);
	out->open_flags = FOPEN_PASSTHROUGH;
	out->backing_id = id;
	return 0;
}

/* ... closed once answered: a careful server, the file keeps what it needs */
static void stress_opened(struct fuse_server *fs,
			  const struct fuse_open_out *out)
{
	fuse_backing_close(fs->devfd, out->backing_id);
	atomic_fetch_add(&srv_ids_close, 1);
}

/* FUSE_INIT answered: start the storm (once), tell the parent on fd 3 */
static void stress_initialized(struct fuse_server *fs)
{
	static bool storming;
	pthread_t t;

	if (!storming && !pthread_create(&t, NULL, storm, NULL))
		storming = true;
	if (write(3, "", 1) != 1)
		exit(1);
}

static const struct fuse_server_ops stress_ops = {
	.lookup = stress_lookup,
	.open = stress_open,
	.opened = stress_opened,
	.initialized = stress_initialized,
};

/*
 * The server process (this program run with -S MNT LOWER): mount MNT with a
 * new /dev/fuse, tell the parent the fd number on fd 3, serve until the
 * connection goes away, report its counts on fd 4, then wait to be killed.
 */
/* SIGTERM: report the counts on fd 4 and go */
static void server_term(int sig)
{
	unsigned long n[2] = { srv_ids_open, srv_ids_close };

	(void)sig;
	if (write(4, n, sizeof(n)) != sizeof(n))
		_exit(1);
	_exit(0);
}

static int server_main(void)
{
	int err;

	signal(SIGTERM, server_term);
	srv.ops = &stress_ops;
	srv.file_size = 4096;
	srv.valid = 1;
	err = fuse_server_mount(&srv, mnt, "fuse_stress", 0, true);
	if (err) {
		errno = -err;
		die(srv.devfd < 0 ? "/dev/fuse" : "mount");
	}
	if (write(3, &srv.devfd, sizeof(srv.devfd)) != sizeof(srv.devfd))
		return 1;
	fuse_server_loop(&srv);
	/* The connection is gone: wait for SIGTERM to report */
	for (;;)
		pause();
}

/*
 * Start a server process (fork and exec: the parent has threads) and wait
 * until FUSE_INIT is answered.  Returns its pid; *devfd_in_child is its
 * /dev/fuse fd, *out_ids the pipe it reports its counts on.
 */
static pid_t start_server(int *devfd_in_child, int *out_ids)
{
	int ready[2], res[2];
	pid_t pid;
	char c;

	if (pipe(ready) || pipe(res))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (dup2(ready[1], 3) != 3 || dup2(res[1], 4) != 4)
			_exit(1);
		execl("/proc/self/exe", "fuse_fdinfo_stress", "-S", mnt, lower,
		      (char *)NULL);
		_exit(1);
	}
	close(ready[1]);
	close(res[1]);
	if (read(ready[0], devfd_in_child, sizeof(int)) != sizeof(int))
		die("server did not start");
	/* The first access waits until FUSE_INIT is answered */
	access(mnt, F_OK);
	if (read(ready[0], &c, 1) != 1)
		die("server did not answer FUSE_INIT");
	close(ready[0]);
	*out_ids = res[0];
	atomic_fetch_add(&ops[OPS_RESTART], 1);
	return pid;
}

/* A copy of the server's /dev/fuse fd, so its connection outlives it */
static int grab_devfd(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0);
	int copy = pidfd < 0 ? -1 : syscall(SYS_pidfd_getfd, pidfd, fd, 0);

	if (copy < 0)
		die("pidfd_getfd");
	close(pidfd);
	return copy;
}

/* ---- well-formed fdinfo ------------------------------------------------- */

/*
 * Every line is "key:\t..." / "key: ..." (a generic or FUSE key) or, after
 * "fuse_backing_files:", "%5u: <path>" with increasing ids.  A path holds
 * no raw space, tab or backslash: the kernel escapes them.
 */
static bool well_formed(const char *buf, size_t len)
{
	const char *line = buf, *end = buf + len;
	bool list = false;
	long prev = 0;

	if (len && buf[len - 1] != '\n')
		return false;
	while (line < end) {
		const char *nl = memchr(line, '\n', end - line);
		const char *colon = memchr(line, ':', nl - line);

		if (!colon)
			return false;
		if (list && (*line == ' ' || (*line >= '0' && *line <= '9'))) {
			char *e;
			long id = strtol(line, &e, 10);
			const char *p;

			if (e != colon || colon[1] != ' ' || id <= prev)
				return false;
			prev = id;
			for (p = colon + 2; p < nl; p++)
				if (*p == ' ' || *p == '\t')
					return false;
		} else if (!strncmp(line, "fuse_backing_file:\t", 19)) {
			for (const char *p = line + 19; p < nl; p++)
				if (*p == ' ' || *p == '\t')
					return false;
		}
		if (!strncmp(line, "fuse_backing_files:\t", 20))
			list = true;
		line = nl + 1;
	}
	return true;
}

/* Read a whole fdinfo file; -1 if it is gone (fd closed, process dead) */
static ssize_t read_fdinfo(const char *path, char **buf, size_t *size)
{
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (;;) {
		if (len == *size) {
			*size = *size ? 2 * *size : 65536;
			*buf = realloc(*buf, *size);
			if (!*buf)
				die("realloc");
		}
		n = read(fd, *buf + len, *size - len);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	return n < 0 ? -1 : (ssize_t)len;
}

static void account(const char *buf, ssize_t len, int kind, const char *path)
{
	unsigned long max;

	if (len < 0)
		return;
	atomic_fetch_add(&ops[kind], 1);
	if (!well_formed(buf, len)) {
		if (atomic_fetch_add(&ops[OPS_BAD], 1) < 3)
			fprintf(stderr, "malformed %s:\n%.*s\n", path, (int)len, buf);
	}
	max = atomic_load(&ops[OPS_MAX_BYTES]);
	while ((unsigned long)len > max &&
	       !atomic_compare_exchange_weak(&ops[OPS_MAX_BYTES], &max, len))
		;
}

/* ---- the parent's threads ------------------------------------------------- */

static atomic_int server_pid, server_devfd;

static void *app(void *arg)
{
	int kept[KEPT], nkept = 0;
	unsigned int seed = (unsigned long)arg;
	char path[PATH_MAX], buf[4096];

	while (!atomic_load(&stop)) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%02u", mnt, rand_r(&seed) % NFILES);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			atomic_fetch_add(&ops[OPS_OPEN_ERR], 1);
			usleep(1000);
			continue;
		}
		atomic_fetch_add(&ops[OPS_OPEN], 1);
		if (pread(fd, buf, sizeof(buf), 0) >= 0)
			atomic_fetch_add(&ops[OPS_READ], 1);
		/* Keep some open for a while, across server restarts */
		if (nkept < KEPT && rand_r(&seed) % 8 == 0) {
			kept[nkept++] = fd;
		} else {
			close(fd);
			if (nkept && rand_r(&seed) % 4 == 0)
				close(kept[--nkept]);
		}
	}
	while (nkept)
		close(kept[--nkept]);
	return NULL;
}

static void *reader(void *arg)
{
	char path[PATH_MAX], *buf = NULL;
	size_t size = 0;

	(void)arg;
	while (!atomic_load(&stop)) {
		struct dirent *d;
		DIR *dir;

		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d",
			 atomic_load(&server_pid), atomic_load(&server_devfd));
		account(buf, read_fdinfo(path, &buf, &size), OPS_DEV_READS, path);

		dir = opendir("/proc/self/fdinfo");
		if (!dir)
			continue;
		while ((d = readdir(dir))) {
			char link[PATH_MAX];
			ssize_t n;
			int kind;

			if (d->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", d->d_name);
			if (!strcmp(link, "/dev/fuse"))
				kind = OPS_DEV_READS;
			else if (!strncmp(link, mnt, strlen(mnt)))
				kind = OPS_FILE_READS;
			else
				continue;
			account(buf, read_fdinfo(path, &buf, &size), kind, path);
		}
		closedir(dir);
	}
	free(buf);
	return NULL;
}

/* Stop a server the way @how says, collect what it counted, start anew */
static void restart(int how, int *ids_pipe)
{
	char path[128];
	struct stat st;
	unsigned long n[2];
	int fd, status;
	pid_t pid = atomic_load(&server_pid);

	switch (how) {
	case 0:	/* abort the connection through fusectl */
		if (stat(mnt, &st) == 0) {
			snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort",
				 (major(st.st_dev) << 20) | minor(st.st_dev));
			fd = open(path, O_WRONLY);
			if (fd >= 0) {
				if (write(fd, "1", 1) == 1)
					atomic_fetch_add(&ops[OPS_ABORT], 1);
				close(fd);
			}
		}
		break;
	case 1:	/* unmount; the server sees ENODEV */
		if (umount2(mnt, MNT_DETACH) == 0)
			atomic_fetch_add(&ops[OPS_UMOUNT], 1);
		break;
	case 2:	/* kill the server; the connection is aborted */
		kill(pid, SIGKILL);
		atomic_fetch_add(&ops[OPS_KILL], 1);
		break;
	}
	usleep(100000);		/* let readers and apps meet the dead server */
	/* A server still alive reports its counts on SIGTERM; a killed one not */
	kill(pid, SIGTERM);
	if (read(*ids_pipe, n, sizeof(n)) == sizeof(n)) {
		atomic_fetch_add(&ops[OPS_IDS_OPEN], n[0]);
		atomic_fetch_add(&ops[OPS_IDS_CLOSE], n[1]);
	}
	close(*ids_pipe);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	umount2(mnt, MNT_DETACH);
	{
		int dfd;

		pid = start_server(&dfd, ids_pipe);
		atomic_store(&server_devfd, dfd);
		atomic_store(&server_pid, pid);
	}
}

/* ---- the phases without concurrency --------------------------------------- */

/* N ids on one connection are all listed, once each; returns 0 if so */
static int many_ids(int nr)
{
	char path[PATH_MAX], *buf = NULL, *line, *next;
	size_t size = 0;
	struct rlimit rl = { 1 << 20, 1 << 20 };
	int devfd_p, dfd, *id, ids, i, bad = 0, found = 0, listed;
	pid_t pid;
	ssize_t len;
	unsigned char *seen;

	setrlimit(RLIMIT_NOFILE, &rl);
	/* Our own connection, served by a short-lived child */
	pid = start_server(&dfd, &ids);
	devfd_p = grab_devfd(pid, dfd);
	id = calloc(nr, sizeof(*id));
	seen = calloc(nr, 1);
	/* The server's storm adds ids too: stop it by killing the server */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ids);
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/scale/%06d", lower, i);
		id[i] = fuse_backing_open(devfd_p, path);
		if (id[i] <= 0) {
			fprintf(stderr, "scale: BACKING_OPEN %d: %s\n", i,
				strerror(-id[i]));
			return 1;
		}
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", devfd_p);
	len = read_fdinfo(path, &buf, &size);
	if (len < 0 || !well_formed(buf, len))
		bad++;
	line = strstr(buf, "fuse_backing_files:\t");
	listed = line ? atoi(line + 20) : -1;
	/* The storm's ids are there too: count only ours, by path */
	for (line = buf; line && line < buf + len; line = next) {
		char *nl = strchr(line, '\n');
		char *p = strstr(line, "/scale/");
		int k;

		next = nl ? nl + 1 : NULL;
		if (!p || p > nl)
			continue;
		k = atoi(p + 7);
		if (k < 0 || k >= nr || seen[k]++ || atoi(line) != id[k])
			bad++;
		else
			found++;
	}
	printf("scale: %d ids registered, header says %d, %d of ours listed once\n",
	       nr, listed, found);
	printf("scale: with their id, %zd bytes, %s\n", len, bad ? "NOT OK" : "ok");
	for (i = 0; i < nr; i++)
		fuse_backing_close(devfd_p, id[i]);
	close(devfd_p);
	umount2(mnt, MNT_DETACH);
	free(id);
	free(seen);
	free(buf);
	return bad || found != nr || listed < nr;
}

/* Hostile names: each still one parsable line, in the documented form */
static int hostile_names(void)
{
	static const char *const names[] = {
		"nl\nin name", "tab\there", "back\\slash", "sp ace",
		"\xff\xfe not utf-8 \xc3\x28", "colon: in name",
	};
	char path[PATH_MAX + 64], *buf = NULL, longdir[PATH_MAX];
	size_t size = 0, n;
	int dfd, ids, devfd_p, bad = 0, i, count = 0;
	ssize_t len;
	pid_t pid, child;

	pid = start_server(&dfd, &ids);
	devfd_p = grab_devfd(pid, dfd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ids);
	for (i = 0; i < (int)ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", lower, names[i]);
		close(open(path, O_CREAT | O_WRONLY, 0644));
		count += fuse_backing_open(devfd_p, path) > 0;
	}
	/* A path near PATH_MAX: nested directories of 200 characters */
	n = snprintf(longdir, sizeof(longdir), "%s", lower);
	while (n + 202 < PATH_MAX - 16) {
		longdir[n++] = '/';
		memset(longdir + n, 'x', 200);
		n += 200;
		longdir[n] = '\0';
		mkdir(longdir, 0755);
	}
	snprintf(path, sizeof(path), "%s/long", longdir);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	count += fuse_backing_open(devfd_p, path) > 0;
	/* A deleted one */
	snprintf(path, sizeof(path), "%s/deleted", lower);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	count += fuse_backing_open(devfd_p, path) > 0;
	unlink(path);

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", devfd_p);
	len = read_fdinfo(path, &buf, &size);
	if (len < 0 || !well_formed(buf, len))
		bad++;
	printf("hostile names: %d registered, %zd bytes of fdinfo, %s\n", count,
	       len, bad ? "NOT OK" : "well formed");

	/* Read from a chroot, where the backing files are out of reach */
	child = fork();
	if (child == 0) {
		int pfd = open(path, O_RDONLY);
		char b[1 << 16], scale_dir[PATH_MAX];
		ssize_t l;

		snprintf(scale_dir, sizeof(scale_dir), "%s/scale", lower);
		if (pfd < 0 || chroot(scale_dir) || chdir("/"))
			exit(2);
		/* fdinfo is made at read time, against the reader's root */
		l = read(pfd, b, sizeof(b));
		exit(l > 0 && well_formed(b, l) ? 0 : 1);
	}
	{
		int st;

		waitpid(child, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	/* From another mount namespace, where lower is not mounted */
	child = fork();
	if (child == 0) {
		char *b = NULL;
		size_t s = 0;
		ssize_t l;

		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
		    umount2(base, MNT_DETACH))
			exit(2);
		l = read_fdinfo(path, &b, &s);
		if (l > 0) {
			const char *f = strstr(b, "fuse_backing_files:");

			printf("  seen from a mount namespace without %s:\n%.*s", base,
			       (int)(f && strchr(f, '\n') && strchr(strchr(f, '\n') + 1, '\n') ?
				     strchr(strchr(f, '\n') + 1, '\n') - f + 1 : 0), f ? f : "");
		}
		exit(l > 0 && well_formed(b, l) ? 0 : 1);
	}
	{
		int st;

		waitpid(child, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	}
	printf("hostile names from a chroot and another mount namespace: %s\n",
	       bad ? "NOT OK" : "well formed");
	close(devfd_p);
	umount2(mnt, MNT_DETACH);
	free(buf);
	return bad || count != (int)ARRAY_SIZE(names) + 2;
}

int main(int argc, char **argv)
{
	pthread_t apps[APPS], readers[READERS];
	int seconds = 60, nr = 100000, opt, i, ids, dfd, failed = 0;
	char path[PATH_MAX];
	time_t end;

	if (argc == 4 && !strcmp(argv[1], "-S")) {
		snprintf(mnt, sizeof(mnt), "%s", argv[2]);
		snprintf(lower, sizeof(lower), "%s", argv[3]);
		return server_main();
	}
	while ((opt = getopt(argc, argv, "t:n:")) != -1) {
		if (opt == 't') {
			seconds = atoi(optarg);
		} else if (opt == 'n') {
			nr = atoi(optarg);
		} else {
			fprintf(stderr, "usage: %s [-t SECONDS] [-n IDS]\n", argv[0]);
			return 2;
		}
	}
	if (geteuid()) {
		printf("SKIP: needs root (mount, FUSE_DEV_IOC_BACKING_OPEN)\n");
		return KSFT_SKIP;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	errno = -fuse_server_dirs("fuse_stress", base, sizeof(base), lower, mnt,
				  sizeof(lower));
	if (errno)
		die("mount namespace and tmpfs");
	snprintf(path, sizeof(path), "%s/scale", lower);
	mkdir(path, 0755);
	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/f%02d", lower, i);
		close(open(path, O_CREAT | O_WRONLY, 0644));
	}
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/scale/%06d", lower, i);
		close(open(path, O_CREAT | O_WRONLY, 0644));
	}
	if (mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL) &&
	    errno != EBUSY)
		fprintf(stderr, "no fusectl (%s): no aborts\n", strerror(errno));

	if (access("/dev/fuse", R_OK | W_OK)) {
		printf("SKIP: no /dev/fuse\n");
		return KSFT_SKIP;
	}

	failed |= many_ids(nr);
	failed |= hostile_names();

	dfd = 0;
	atomic_store(&server_pid, start_server(&dfd, &ids));
	atomic_store(&server_devfd, dfd);
	for (i = 0; i < APPS; i++)
		pthread_create(&apps[i], NULL, app, (void *)(long)(i + 1));
	for (i = 0; i < READERS; i++)
		pthread_create(&readers[i], NULL, reader, NULL);
	end = time(NULL) + seconds;
	for (i = 0; time(NULL) < end; i++) {
		usleep(500000 + (i % 5) * 200000);
		restart(i % 3, &ids);
	}
	atomic_store(&stop, true);
	for (i = 0; i < APPS; i++)
		pthread_join(apps[i], NULL);
	for (i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);
	restart(2, &ids);
	kill(atomic_load(&server_pid), SIGKILL);
	waitpid(atomic_load(&server_pid), NULL, 0);
	umount2(mnt, MNT_DETACH);

	printf("stress: %d s\n", seconds);
	for (i = 0; i < OPS_NR; i++)
		printf("  %-34s %lu\n", ops_name[i], (unsigned long)ops[i]);
	failed |= ops[OPS_BAD] != 0 || ops[OPS_DEV_READS] == 0 || ops[OPS_FILE_READS] == 0 ||
		  ops[OPS_OPEN] == 0;
	umount2(base, MNT_DETACH);
	printf("%s\n", failed ? "FAIL" : "PASS");
	return failed;
}
