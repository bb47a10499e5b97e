// SPDX-License-Identifier: GPL-2.0
/*
 * Stress fdinfo readers of FUSE backing files against everything a FUSE
 * server and its users do at the same time.  Three tests:
 *
 * many_ids: 10000 ids (FUSE_STRESS_IDS) on one connection are all listed
 *	in the fdinfo of /dev/fuse, exactly once each, with their id, device,
 *	inode number, mount id and path; past 65536 ids, the others counted.
 *
 * hostile_names: names with newline, tab, backslash, space, non-UTF-8
 *	bytes, near PATH_MAX, deleted, each listed as one parsable line, also
 *	when read from a chroot and from another mount namespace.
 *
 * race: for 10 s (FUSE_STRESS_SECONDS), at once
 *  - a FUSE server (fuse_server.h, a process of its own, restarted again
 *    and again) that answers every FUSE_OPEN in passthrough mode with a
 *    fresh backing id and closes the id right after, like a careful
 *    server, while a thread of it storms FUSE_DEV_IOC_BACKING_OPEN/CLOSE;
 *  - app threads opening, reading and closing files through the mount,
 *    some kept open across server restarts;
 *  - reader threads reading the server's /dev/fuse fdinfo and the fdinfo
 *    of every open file, checking that every line is well formed;
 *  - the test itself, which aborts the connection through fusectl,
 *    unmounts, or kills the server, then starts a new one.
 *  Every fdinfo read must be well formed, every kind of operation must
 *  have happened, and the readers must have seen backing lists and ids
 *  under all that; the counts are logged.
 *
 * The defaults keep a run of the selftests short (about 15 s); on a debug
 * kernel, run it longer, e.g. FUSE_STRESS_SECONDS=60 FUSE_STRESS_IDS=100000.
 * No test's TEST_F_TIMEOUT exceeds 600 s, below the 900 s that the
 * settings file gives the whole program: a run of the defaults fits, a
 * longer one run through the kselftest runner needs its --override-timeout.
 * The tests need root.  The kernel log (BUG, KASAN, lockdep, kmemleak) is
 * the caller's to check.
 */

#define _GNU_SOURCE

#include <ctype.h>
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

#include "kselftest_harness.h"
#include "fuse_server.h"

#define NFILES		16
#define APPS		3
#define READERS		2
#define KEPT		4

/* The server process is this program run with these two set */
#define SERVER_MNT_ENV		"FUSE_STRESS_SERVER_MNT"
#define SERVER_LOWER_ENV	"FUSE_STRESS_SERVER_LOWER"
#define SERVER_STORM_ENV	"FUSE_STRESS_SERVER_STORM"

static char base[64], lower[128], mnt[128];

enum { OPS_OPEN, OPS_OPEN_ERR, OPS_READ, OPS_DEV_READS, OPS_FILE_READS,
	OPS_DEV_LISTS, OPS_FILE_IDS, OPS_BAD, OPS_ABORT, OPS_UMOUNT, OPS_KILL,
	OPS_RESTART, OPS_IDS_OPEN, OPS_IDS_CLOSE, OPS_MAX_BYTES, OPS_NR };
static const char *const ops_name[OPS_NR] = {
	"app opens in passthrough mode", "app opens refused (server gone)",
	"app reads", "/dev/fuse fdinfo reads", "FUSE file fdinfo reads",
	"... of them with the backing list", "... of them with a backing id",
	"malformed fdinfo reads", "connection aborts", "umounts",
	"server kills", "server starts", "BACKING_OPEN (storm and opens)",
	"BACKING_CLOSE", "largest fdinfo read (bytes)",
};

/* Counted in the test; the server reports its own when stopped */
static atomic_ulong ops[OPS_NR];
static atomic_bool stop;

/* ---- the server process ---------------------------------------------------- */

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

	if (!storming && getenv(SERVER_STORM_ENV) &&
	    !pthread_create(&t, NULL, storm, NULL))
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
 * The server process: mount MNT with a new /dev/fuse, tell the test the fd
 * number on fd 3, serve until the connection goes away, report its counts
 * on fd 4 when told to stop (SIGTERM), or just die (SIGKILL).
 */
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
	signal(SIGTERM, server_term);
	srv.ops = &stress_ops;
	srv.file_size = 4096;
	srv.valid = 1;
	if (fuse_server_mount(&srv, mnt, "fuse_stress", 0, true))
		return 1;	/* the test sees fd 3 closed */
	if (write(3, &srv.devfd, sizeof(srv.devfd)) != sizeof(srv.devfd))
		return 1;
	fuse_server_loop(&srv);
	/* The connection is gone: wait for SIGTERM to report */
	for (;;)
		pause();
}

/* Before the harness: become the server when started as one */
static void __attribute__((constructor)) server_mode(void)
{
	const char *m = getenv(SERVER_MNT_ENV), *l = getenv(SERVER_LOWER_ENV);

	if (!m || !l)
		return;
	snprintf(mnt, sizeof(mnt), "%s", m);
	snprintf(lower, sizeof(lower), "%s", l);
	exit(server_main());
}

struct server {
	pid_t pid;
	int devfd;	/* the number of its /dev/fuse fd, in its table */
	int counts;	/* the pipe it reports its counts on */
};

/*
 * Start a server process (fork and exec: the test has threads), with a
 * thread that storms BACKING_OPEN/CLOSE if @storm, and wait until FUSE_INIT
 * is answered.
 */
static void start_server(struct __test_metadata *_metadata,
			 struct server *server, bool storm)
{
	char env_mnt[sizeof(mnt) + 32], env_lower[sizeof(lower) + 32];
	char env_storm[] = SERVER_STORM_ENV "=1";
	char *envp[4] = { env_mnt, env_lower };
	int ready[2], res[2];
	char c;

	snprintf(env_mnt, sizeof(env_mnt), "%s=%s", SERVER_MNT_ENV, mnt);
	snprintf(env_lower, sizeof(env_lower), "%s=%s", SERVER_LOWER_ENV, lower);
	/* Made before fork(): the child of a threaded test only execs */
	envp[2] = storm ? env_storm : NULL;
	ASSERT_EQ(pipe(ready), 0);
	ASSERT_EQ(pipe(res), 0);
	server->pid = fork();
	ASSERT_GE(server->pid, 0);
	if (server->pid == 0) {
		if (dup2(ready[1], 3) != 3 || dup2(res[1], 4) != 4)
			_exit(1);
		execle("/proc/self/exe", "fuse_fdinfo_stress", (char *)NULL, envp);
		_exit(1);
	}
	close(ready[1]);
	close(res[1]);
	ASSERT_EQ(read(ready[0], &server->devfd, sizeof(int)), sizeof(int))
		TH_LOG("the server did not mount %s", mnt);
	/* The first access waits until FUSE_INIT is answered */
	access(mnt, F_OK);
	ASSERT_EQ(read(ready[0], &c, 1), 1)
		TH_LOG("the server did not answer FUSE_INIT");
	close(ready[0]);
	server->counts = res[0];
	atomic_fetch_add(&ops[OPS_RESTART], 1);
}

/* Kill the server, keep a copy of its /dev/fuse fd: its connection stays */
static int take_over(struct __test_metadata *_metadata, struct server *server)
{
	int pidfd = syscall(SYS_pidfd_open, server->pid, 0);
	int copy;

	ASSERT_GE(pidfd, 0);
	copy = syscall(SYS_pidfd_getfd, pidfd, server->devfd, 0);
	ASSERT_GE(copy, 0);
	close(pidfd);
	kill(server->pid, SIGKILL);
	waitpid(server->pid, NULL, 0);
	close(server->counts);
	return copy;
}

/* ---- well-formed fdinfo ------------------------------------------------- */

/* At most this many "fuse_backing:" lines in the fdinfo of /dev/fuse */
#define IDS_LISTED	65536

#define BACKING_KEY	"fuse_backing:\t"

/* Is the key of @line, @len characters, @key? */
static bool key_is(const char *line, size_t len, const char *key)
{
	return strlen(key) == len && !strncmp(line, key, len);
}

/* A decimal number without sign or padding from @v to @nl, or -1 */
static long dec_value(const char *v, const char *nl)
{
	char *end;
	long n;

	if (!v || *v < '0' || *v > '9' || (*v == '0' && v + 1 != nl))
		return -1;
	n = strtol(v, &end, 10);
	return end == nl ? n : -1;
}

/* What the fdinfo of /dev/fuse says of its backing ids */
struct listing {
	long ids;		/* fuse_backing_files, or -1 */
	long listed;		/* "fuse_backing:" lines */
	long unlisted;		/* fuse_backing_files_unlisted, or -1 */
	long paths_unlisted;	/* fuse_backing_paths_unlisted, or -1 */
};

/*
 * Is the fdinfo of /dev/fuse (@dev) or of a FUSE file well formed?  The
 * generic lines are "key:\t..." or "key: ...", the FUSE lines follow
 * them, in this order:
 *  /dev/fuse: nothing (not mounted), or "fuse_connection:", then, with
 *	passthrough, "fuse_backing_files:\tN", up to IDS_LISTED
 *	"fuse_backing:" lines with ids > 0 (in no promised order), then
 *	"fuse_backing_paths_unlisted:\tP" (0 < P <= lines), and, last,
 *	"fuse_backing_files_unlisted:\tK" (K > 0) only after IDS_LISTED lines;
 *  a FUSE file: nothing (not in passthrough mode), or "fuse_connection:",
 *	"fuse_open_flags:\t0x..." with FOPEN_PASSTHROUGH, and one
 *	"fuse_backing:" line, whose id is 0 once the server closed it.
 * What the listing says is left in @l, if given.
 */
static bool well_formed(const char *buf, size_t len, bool dev,
			struct listing *l)
{
	enum { GENERIC, CONN, LIST, PATHS, UNLISTED, FLAGS, BACKING } state;
	const char *line, *nl, *end = buf + len;
	struct listing tmp;
	struct fuse_backing_line b;
	char *hex_end;
	long n;

	state = GENERIC;
	if (!l)
		l = &tmp;
	l->ids = -1;
	l->listed = 0;
	l->unlisted = -1;
	l->paths_unlisted = -1;
	if (len && buf[len - 1] != '\n')
		return false;
	for (line = buf; line < end; line = nl + 1) {
		size_t k = strcspn(line, ":\n");
		const char *v = line + k + 2;

		nl = memchr(line, '\n', end - line);
		if (line[k] != ':')
			return false;
		if (strncmp(line, "fuse_", 5)) {
			/* Generic lines come first */
			if (state != GENERIC)
				return false;
			continue;
		}
		if (line[k + 1] != '\t')
			return false;
		if (key_is(line, k, "fuse_connection")) {
			if (state != GENERIC || dec_value(v, nl) <= 0)
				return false;
			state = CONN;
		} else if (key_is(line, k, "fuse_backing_files")) {
			l->ids = dec_value(v, nl);
			if (!dev || state != CONN || l->ids < 0)
				return false;
			state = LIST;
		} else if (key_is(line, k, "fuse_backing")) {
			if (!fuse_backing_line_parse(v, nl, &b) ||
			    state != (dev ? LIST : FLAGS))
				return false;
			if (dev && (!b.id || ++l->listed > IDS_LISTED))
				return false;
			if (!dev)
				state = BACKING;
		} else if (key_is(line, k, "fuse_backing_paths_unlisted")) {
			l->paths_unlisted = dec_value(v, nl);
			if (!dev || state != LIST || l->paths_unlisted <= 0 ||
			    l->paths_unlisted > l->listed)
				return false;
			state = PATHS;
		} else if (key_is(line, k, "fuse_backing_files_unlisted")) {
			l->unlisted = dec_value(v, nl);
			if (!dev || (state != LIST && state != PATHS) ||
			    l->unlisted <= 0 ||
			    l->listed != IDS_LISTED)
				return false;
			state = UNLISTED;
		} else if (key_is(line, k, "fuse_open_flags")) {
			/* Hex, no padding: never 0, FOPEN_PASSTHROUGH is set */
			if (dev || state != CONN || strncmp(v, "0x", 2) ||
			    !isxdigit((unsigned char)v[2]) || v[2] == '0')
				return false;
			n = strtol(v + 2, &hex_end, 16);
			if (hex_end != nl || !(n & FOPEN_PASSTHROUGH))
				return false;
			state = FLAGS;
		} else {
			return false;
		}
	}
	/* A FUSE file shows all of its lines or none */
	return dev || state == GENERIC || state == BACKING;
}

/* How many "fuse_backing:" lines follow "fuse_backing_files:"; -1 without it */
static int listed(const char *buf, size_t len)
{
	struct listing l;

	well_formed(buf, len, true, &l);
	return l.ids < 0 ? -1 : l.listed;
}

/*
 * Read all of @fd into *@buf (grown as needed, NUL-terminated): its
 * length, or -1
 */
static ssize_t read_all(int fd, char **buf, size_t *size)
{
	size_t len = 0;
	ssize_t n;

	for (;;) {
		if (len + 1 >= *size) {
			char *bigger = realloc(*buf, *size ? 2 * *size : 65536);

			if (!bigger) {
				n = -1;
				break;
			}
			*buf = bigger;
			*size = *size ? 2 * *size : 65536;
		}
		n = read(fd, *buf + len, *size - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	if (n < 0)
		return -1;
	(*buf)[len] = '\0';
	return len;
}

/* Read a whole fdinfo file; -1 if it is gone (fd closed, process dead) */
static ssize_t read_fdinfo(const char *path, char **buf, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read_all(fd, buf, size);
	close(fd);
	return len;
}

static void account(const char *buf, ssize_t len, int kind, const char *path)
{
	bool ok;
	struct listing l;
	unsigned long max;

	if (len < 0)
		return;
	atomic_fetch_add(&ops[kind], 1);
	ok = well_formed(buf, len, kind == OPS_DEV_READS, &l);
	if (kind == OPS_DEV_READS && l.ids >= 0)
		atomic_fetch_add(&ops[OPS_DEV_LISTS], 1);
	if (kind == OPS_FILE_READS &&
	    memmem(buf, len, "\n" BACKING_KEY, strlen("\n" BACKING_KEY)))
		atomic_fetch_add(&ops[OPS_FILE_IDS], 1);
	if (!ok) {
		if (atomic_fetch_add(&ops[OPS_BAD], 1) < 3)
			fprintf(stderr, "malformed %s:\n%.*s\n", path, (int)len, buf);
	}
	max = atomic_load(&ops[OPS_MAX_BYTES]);
	while ((unsigned long)len > max &&
	       !atomic_compare_exchange_weak(&ops[OPS_MAX_BYTES], &max, len))
		;
}

/* ---- the race ------------------------------------------------------------- */

/* The server the readers look at now */
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

enum stop_how { STOP_ABORT, STOP_UMOUNT, STOP_KILL, STOP_HOW_NR };

/* Stop the server the way @how says, collect what it counted */
static void stop_server(struct server *server, enum stop_how how)
{
	char path[128];
	struct stat st;
	unsigned long n[2];
	int fd;

	switch (how) {
	case STOP_ABORT:	/* through fusectl */
		if (stat(mnt, &st))
			break;
		snprintf(path, sizeof(path), "/sys/fs/fuse/connections/%u/abort",
			 (major(st.st_dev) << 20) | minor(st.st_dev));
		fd = open(path, O_WRONLY);
		if (fd >= 0) {
			if (write(fd, "1", 1) == 1)
				atomic_fetch_add(&ops[OPS_ABORT], 1);
			close(fd);
		}
		break;
	case STOP_UMOUNT:	/* the server sees ENODEV */
		if (umount2(mnt, MNT_DETACH) == 0)
			atomic_fetch_add(&ops[OPS_UMOUNT], 1);
		break;
	default:		/* the connection is aborted */
		kill(server->pid, SIGKILL);
		atomic_fetch_add(&ops[OPS_KILL], 1);
		break;
	}
	usleep(100000);		/* let readers and apps meet the dead server */
	/* A server still alive reports its counts on SIGTERM; a killed one not */
	kill(server->pid, SIGTERM);
	if (read(server->counts, n, sizeof(n)) == sizeof(n)) {
		atomic_fetch_add(&ops[OPS_IDS_OPEN], n[0]);
		atomic_fetch_add(&ops[OPS_IDS_CLOSE], n[1]);
	}
	close(server->counts);
	kill(server->pid, SIGKILL);
	waitpid(server->pid, NULL, 0);
	umount2(mnt, MNT_DETACH);
}

static void publish(struct server *server)
{
	atomic_store(&server_devfd, server->devfd);
	atomic_store(&server_pid, server->pid);
}

static int env_int(const char *name, int dflt)
{
	const char *v = getenv(name);

	return v && *v ? atoi(v) : dflt;
}

/* ---- the tests -------------------------------------------------------------- */

FIXTURE(stress) {
	bool mounted;
};

FIXTURE_SETUP(stress)
{
	char path[PATH_MAX];
	int i;

	if (geteuid() != 0)
		SKIP(return, "needs root: %s",
		     "mount and FUSE_DEV_IOC_BACKING_OPEN take CAP_SYS_ADMIN");
	if (access("/dev/fuse", R_OK | W_OK))
		SKIP(return, "cannot open /dev/fuse: %s (CONFIG_FUSE_FS?)",
		     strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(fuse_server_dirs("fuse_stress", base, sizeof(base), lower,
				   mnt, sizeof(lower)), 0);
	self->mounted = true;
	for (i = 0; i < NFILES; i++) {
		snprintf(path, sizeof(path), "%s/f%02d", lower, i);
		ASSERT_EQ(close(open(path, O_CREAT | O_WRONLY, 0644)), 0);
	}
	if (mount("fusectl", "/sys/fs/fuse/connections", "fusectl", 0, NULL) &&
	    errno != EBUSY)
		TH_LOG("no fusectl (%s): no aborts", strerror(errno));
}

FIXTURE_TEARDOWN(stress)
{
	if (self->mounted) {
		umount2(mnt, MNT_DETACH);
		umount2(base, MNT_DETACH);
	}
}

/*
 * FUSE_STRESS_IDS ids on one connection, of up to FILES files (made one
 * by one, the slow part): each id is listed once, with the device, inode
 * number, mount id and path of its file, or, past the bound of IDS_LISTED
 * lines, counted as unlisted.  The debug run registers 100000: the bound
 * shows from 65537 ids on.
 */
#define FILES	10000
TEST_F_TIMEOUT(stress, many_ids, 600)
{
	int nr = env_int("FUSE_STRESS_IDS", 10000);
	int files = nr < FILES ? nr : FILES;
	char path[PATH_MAX], *buf = NULL;
	struct rlimit rl = { 1 << 20, 1 << 20 };
	int devfd, *id, *file_of, max_id = 0, i, bad = 0, found = 0;
	unsigned long long *ino, mnt_id;
	const char *line, *key = "\n" BACKING_KEY;
	struct server server;
	struct listing l;
	unsigned char *seen;
	struct timespec t0, t1;
	struct stat st;
	size_t size = 0;
	ssize_t len;

	ASSERT_GT(nr, 0);
	setrlimit(RLIMIT_NOFILE, &rl);
	snprintf(path, sizeof(path), "%s/scale", lower);
	ASSERT_EQ(mkdir(path, 0755), 0);
	ino = calloc(files, sizeof(*ino));
	ASSERT_NE(ino, NULL);
	for (i = 0; i < files; i++) {
		snprintf(path, sizeof(path), "%s/scale/%06d", lower, i);
		ASSERT_EQ(close(open(path, O_CREAT | O_WRONLY, 0644)), 0);
		ASSERT_EQ(stat(path, &st), 0);
		ino[i] = st.st_ino;
	}
	/* All on the one tmpfs */
	mnt_id = fuse_mount_id(path);
	ASSERT_NE(mnt_id, 0);
	id = calloc(nr, sizeof(*id));
	ASSERT_NE(id, NULL);
	start_server(_metadata, &server, false);
	devfd = take_over(_metadata, &server);
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/scale/%06d", lower, i % files);
		id[i] = fuse_backing_open(devfd, path);
		ASSERT_GT(id[i], 0)
			TH_LOG("BACKING_OPEN %d: %s", i, strerror(-id[i]));
		if (id[i] > max_id)
			max_id = id[i];
	}
	/* Which file each id names, and whether it was listed */
	file_of = malloc((max_id + 1) * sizeof(*file_of));
	seen = calloc(max_id + 1, 1);
	ASSERT_NE(file_of, NULL);
	ASSERT_NE(seen, NULL);
	memset(file_of, 0xff, (max_id + 1) * sizeof(*file_of));
	for (i = 0; i < nr; i++)
		file_of[id[i]] = i % files;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", devfd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	len = read_fdinfo(path, &buf, &size);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_GE(len, 0);
	EXPECT_TRUE(well_formed(buf, len, true, &l));
	for (line = strstr(buf, key); line; line = strstr(line, key)) {
		const char *nl = strchr(++line, '\n');
		struct fuse_backing_line b;
		int k = -1;

		if (!nl)
			break;
		if (fuse_backing_line_parse(line + strlen(BACKING_KEY), nl, &b) &&
		    b.id > 0 && b.id <= (unsigned long long)max_id)
			k = file_of[b.id];
		if (k >= 0)
			snprintf(path, sizeof(path), "%s/scale/%06d", lower, k);
		if (k < 0 || seen[b.id]++ || b.path_len != strlen(path) ||
		    strncmp(b.path, path, b.path_len) || b.ino != ino[k] ||
		    b.major != major(st.st_dev) || b.minor != minor(st.st_dev) ||
		    b.mnt_id != mnt_id) {
			if (bad++ < 3)
				TH_LOG("not as registered: %.*s",
				       (int)(nl - line), line);
		} else {
			found++;
		}
	}
	TH_LOG("%d ids of %d files: %zd bytes read in %ld ms", nr, files, len,
	       (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	TH_LOG("header %ld, %d listed once as registered, %ld unlisted",
	       l.ids, found, l.unlisted);
	EXPECT_EQ(l.ids, nr);
	EXPECT_EQ(bad, 0);
	EXPECT_EQ(found, l.listed);
	/* The bound is in ids: so many listed, the others counted */
	EXPECT_EQ(found, nr < IDS_LISTED ? nr : IDS_LISTED);
	EXPECT_EQ(l.unlisted, nr > IDS_LISTED ? nr - IDS_LISTED : -1);
	for (i = 0; i < nr; i++)
		fuse_backing_close(devfd, id[i]);
	close(devfd);
	free(id);
	free(ino);
	free(file_of);
	free(seen);
	free(buf);
}

/* Write @val to @path; the old value, if any, is kept in @old */
static int write_knob(const char *path, const char *val, char *old, size_t size)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	if (old) {
		n = read(fd, old, size - 1);
		old[n > 0 ? n : 0] = '\0';
	}
	n = pwrite(fd, val, strlen(val), 0);
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Fail GFP_KERNEL allocations too; pages from order 1 on (the default) */
static const char *const fault_knobs[] = {
	"/sys/kernel/debug/failslab/ignore-gfp-wait",
	"/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
};

/*
 * Allocation failures while a long listing is read (FUSE_STRESS_FAULT_IDS
 * ids, megabytes: the buffer of the fdinfo grows again and again; past
 * the bound of IDS_LISTED ids if there are more): failslab and
 * fail_page_alloc fail the n-th allocation of the reading task
 * (/proc/thread-self/fail-nth), for n = 1, 2, ... until a read makes no
 * more allocations than n.  Each read of a freshly opened fdinfo (the
 * open is not under the fault: procfs lookups turn failed allocations
 * into ENOENT) either fails with ENOMEM or gives the whole fdinfo, the
 * same as without faults; the debug run's kmemleak scan afterwards finds
 * no leak.
 */
TEST_F_TIMEOUT(stress, fault_injection, 600)
{
	int nr = env_int("FUSE_STRESS_FAULT_IDS", 30000);
	char path[PATH_MAX], nth[16], old[2][16], *want = NULL, *buf = NULL;
	size_t want_size = 0, size = 0;
	int devfd, fd, nthfd, i, n, enomem = 0, whole = 0;
	struct server server;
	struct listing l;
	ssize_t want_len, len;
	bool injected = true;

	if (access("/proc/thread-self/fail-nth", F_OK))
		SKIP(return, "no /proc/thread-self/fail-nth: %s",
		     "kernel without CONFIG_FAULT_INJECTION");
	mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	for (i = 0; i < 2; i++)
		if (write_knob(fault_knobs[i], "N", old[i], sizeof(old[i])))
			SKIP(return, "cannot set %s: %s", fault_knobs[i],
			     "kernel without CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS?");

	start_server(_metadata, &server, false);
	devfd = take_over(_metadata, &server);
	for (i = 0; i < nr; i++) {
		snprintf(path, sizeof(path), "%s/f%02d", lower, i % NFILES);
		ASSERT_GT(fuse_backing_open(devfd, path), 0);
	}
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", devfd);
	want_len = read_fdinfo(path, &want, &want_size);
	ASSERT_GT(want_len, 0);
	ASSERT_TRUE(well_formed(want, want_len, true, &l));
	ASSERT_EQ(l.ids, nr);
	ASSERT_EQ(l.listed, nr < IDS_LISTED ? nr : IDS_LISTED);
	ASSERT_EQ(l.unlisted, nr > IDS_LISTED ? nr - IDS_LISTED : -1);

	/* No allocation of the test itself under the fault: buffer ready */
	size = want_size;
	buf = malloc(size);
	ASSERT_NE(buf, NULL);
	memset(buf, 0, size);
	nthfd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	ASSERT_GE(nthfd, 0);
	for (n = 1; injected && n < 100000; n++) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		ASSERT_GE(fd, 0);
		snprintf(nth, sizeof(nth), "%d", n);
		ASSERT_EQ(pwrite(nthfd, nth, strlen(nth), 0), (ssize_t)strlen(nth));
		len = read_all(fd, &buf, &size);
		i = errno;
		/* 0: the n-th allocation was made and failed */
		ASSERT_EQ(pread(nthfd, nth, sizeof(nth) - 1, 0) > 0, true);
		injected = atoi(nth) == 0;
		ASSERT_EQ(pwrite(nthfd, "0", 1, 0), 1);
		close(fd);
		if (len < 0) {
			EXPECT_EQ(i, ENOMEM)
				TH_LOG("fault %d: %s", n, strerror(i));
			enomem++;
		} else {
			EXPECT_EQ(len, want_len)
				TH_LOG("fault %d: %zd bytes, not %zd", n, len, want_len);
			EXPECT_TRUE(len == want_len && !memcmp(buf, want, len));
			whole++;
		}
	}
	TH_LOG("%d ids, %zd bytes: %d reads under a fault, %d failed with ENOMEM, %d whole",
	       nr, want_len, n - 1, enomem, whole);
	EXPECT_FALSE(injected);
	EXPECT_GT(enomem, 0);
	close(nthfd);
	for (i = 0; i < 2; i++)
		write_knob(fault_knobs[i], old[i], NULL, 0);
	close(devfd);
	free(want);
	free(buf);
}

enum elsewhere { FROM_CHROOT, FROM_MNTNS };

/* Read the /dev/fuse fdinfo @path elsewhere: listed and well formed? */
static bool well_formed_from(const char *path, enum elsewhere how)
{
	pid_t child = fork();
	int status;

	if (child == 0) {
		char *b = NULL, dir[PATH_MAX];
		int pfd = open(path, O_RDONLY);
		size_t s = 0;
		ssize_t l;

		if (pfd < 0)
			_exit(2);
		if (how == FROM_CHROOT) {
			/* Out of the backing files' reach */
			snprintf(dir, sizeof(dir), "%s/scale", lower);
			if (mkdir(dir, 0755) && errno != EEXIST)
				_exit(2);
			if (chroot(dir) || chdir("/"))
				_exit(2);
		} else if (unshare(CLONE_NEWNS) ||
			   mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
			   umount2(base, MNT_DETACH)) {
			/* Where lower is not mounted */
			_exit(2);
		}
		/* fdinfo is made at read time, against the reader's root */
		l = read_all(pfd, &b, &s);
		if (l > 0)
			fprintf(stderr, "# %d backing files listed %s\n",
				listed(b, l), how == FROM_CHROOT ? "in a chroot" :
				"in a mount namespace without them");
		_exit(l > 0 && well_formed(b, l, true, NULL) && listed(b, l) > 0 ?
		      0 : 1);
	}
	if (child < 0 || waitpid(child, &status, 0) != child)
		return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Hostile names: each still one parsable line, in the documented form */
TEST_F_TIMEOUT(stress, hostile_names, 300)
{
	static const char *const names[] = {
		"nl\nin name", "tab\there", "back\\slash", "sp ace",
		"\xff\xfe not utf-8 \xc3\x28", "colon: in name",
	};
	char path[PATH_MAX + 64], *buf = NULL, longdir[PATH_MAX];
	int devfd, i, count = 0;
	struct server server;
	size_t size = 0, n;
	ssize_t len;

	start_server(_metadata, &server, false);
	devfd = take_over(_metadata, &server);
	for (i = 0; i < (int)ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", lower, names[i]);
		close(open(path, O_CREAT | O_WRONLY, 0644));
		count += fuse_backing_open(devfd, path) > 0;
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
	count += fuse_backing_open(devfd, path) > 0;
	/* A deleted one */
	snprintf(path, sizeof(path), "%s/deleted", lower);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	count += fuse_backing_open(devfd, path) > 0;
	unlink(path);
	EXPECT_EQ(count, ARRAY_SIZE(names) + 2);

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", devfd);
	len = read_fdinfo(path, &buf, &size);
	ASSERT_GT(len, 0);
	TH_LOG("%d registered, %zd bytes of fdinfo", count, len);
	EXPECT_TRUE(well_formed(buf, len, true, NULL));
	EXPECT_EQ(listed(buf, len), count);
	EXPECT_TRUE(well_formed_from(path, FROM_CHROOT));
	EXPECT_TRUE(well_formed_from(path, FROM_MNTNS));
	close(devfd);
	free(buf);
}

/*
 * Apps and readers against a server that is aborted, unmounted or killed
 * and started anew, for FUSE_STRESS_SECONDS, at most RACE_SECONDS_MAX.
 */
#define RACE_SECONDS_MAX	480
TEST_F_TIMEOUT(stress, race, 600)
{
	int seconds = env_int("FUSE_STRESS_SECONDS", 10);
	pthread_t apps[APPS], readers[READERS];
	struct server server;
	time_t end;
	int i;

	/* Within the timeout above, with time to stop and report */
	ASSERT_LE(seconds, RACE_SECONDS_MAX)
		TH_LOG("FUSE_STRESS_SECONDS=%d: at most %d in one run",
		       seconds, RACE_SECONDS_MAX);

	start_server(_metadata, &server, true);
	publish(&server);
	for (i = 0; i < APPS; i++)
		ASSERT_EQ(pthread_create(&apps[i], NULL, app, (void *)(long)(i + 1)), 0);
	for (i = 0; i < READERS; i++)
		ASSERT_EQ(pthread_create(&readers[i], NULL, reader, NULL), 0);
	end = time(NULL) + seconds;
	for (i = 0; time(NULL) < end; i++) {
		usleep(500000 + (i % 5) * 200000);
		stop_server(&server, i % STOP_HOW_NR);
		start_server(_metadata, &server, true);
		publish(&server);
	}
	atomic_store(&stop, true);
	for (i = 0; i < APPS; i++)
		pthread_join(apps[i], NULL);
	for (i = 0; i < READERS; i++)
		pthread_join(readers[i], NULL);
	stop_server(&server, STOP_KILL);

	TH_LOG("%d s:", seconds);
	for (i = 0; i < OPS_NR; i++)
		TH_LOG("  %-34s %lu", ops_name[i], (unsigned long)ops[i]);
	EXPECT_EQ(ops[OPS_BAD], 0);
	for (i = 0; i < OPS_NR; i++) {
		if (i == OPS_OPEN_ERR || i == OPS_BAD || i == OPS_RESTART ||
		    i == OPS_MAX_BYTES)
			continue;
		/* Every kind of operation happened, lists and ids were seen */
		EXPECT_GT(ops[i], 0)
			TH_LOG("never: %s", ops_name[i]);
	}
}

TEST_HARNESS_MAIN
