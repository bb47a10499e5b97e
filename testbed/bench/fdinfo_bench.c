// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmarks of FUSE backing-file visibility, run inside the test-bed
 * guest by testbed/guest/measure.sh.  Every figure is measured against a
 * baseline in the same run, as medians of repeated runs; nothing here
 * asserts a time.
 *
 *   fdinfo_bench list N REPS      /dev/fuse fdinfo with N backing ids against
 *                                 io_uring fdinfo with N fixed files on the
 *                                 same paths: ns per full read, the two
 *                                 read alternately (A B A B ...)
 *   fdinfo_bench file REPS        fdinfo of a passthrough FUSE file against a
 *                                 tmpfs file, alternately: ns per read
 *   fdinfo_bench ioctl N REPS     BACKING_OPEN+CLOSE latency (median, p99)
 *                                 alone, with a reader looping over an
 *                                 unrelated fdinfo (control), and with a
 *                                 reader looping over the same connection's
 *                                 /dev/fuse fdinfo (N ids there);
 *                                 IOCTL_ROUNDS (15) interleaved rounds: a
 *                                 round with a reader lasts until it made
 *                                 IOCTL_READS full reads (at least REPS
 *                                 pairs), the alone and control rounds
 *                                 after it make as many pairs
 *   fdinfo_bench read SIZE MB     passthrough read throughput, SIZE-byte reads
 *   fdinfo_bench hold N           register N backing ids, print "PID DEVFD",
 *                                 and hold them until stdin is closed (for
 *                                 timing lsfd on a server with N ids)
 *
 * Output: one line per figure, "name [N] value", for testbed/bench/report.py.
 *
 * FUSE files are closed before exit: at exit the server thread is gone
 * before the last fput of /dev/fuse aborts the connection, and FUSE_FLUSH
 * of a file still open would wait for an answer forever.
 */

#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <linux/io_uring.h>
#include <pthread.h>
#include <sched.h>
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fuse_server.h"

static char base[64], lower[128], mnt[128];
static int devfd;
static int file_backing_id;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static long long pct(long long *v, int n, int p)
{
	qsort(v, n, sizeof(*v), cmp_ll);
	return v[(long)(n - 1) * p / 100];
}

/* ---- a minimal FUSE server: one file "f" in passthrough mode ---------- */

static int64_t bench_lookup(struct fuse_server *fs, const char *name)
{
	return strcmp(name, "f") ? -ENOENT : 2;
}

static int bench_open(struct fuse_server *fs, uint64_t nodeid,
		      struct fuse_open_out *out)
{
	out->open_flags = FOPEN_PASSTHROUGH;
	out->backing_id = file_backing_id;
	return 0;
}

static const struct fuse_server_ops bench_ops = {
	.lookup = bench_lookup,
	.open = bench_open,
};

static struct fuse_server srv = {
	.ops = &bench_ops, .file_size = 1 << 30, .valid = 3600,
};

static void setup(void)
{
	pthread_t t;
	struct rlimit rl = { 1 << 20, 1 << 20 };

	setrlimit(RLIMIT_NOFILE, &rl);
	errno = -fuse_server_dirs("fdinfo_bench", base, sizeof(base), lower, mnt,
				  sizeof(lower));
	if (errno)
		die("mount namespace and tmpfs");
	if (fuse_server_mount(&srv, mnt, "bench", 0, false))
		die("/dev/fuse or mount");
	devfd = srv.devfd;
	pthread_create(&t, NULL, fuse_server_thread, &srv);
	access(mnt, F_OK);	/* waits for FUSE_INIT */
}

static int backing_open(const char *path)
{
	return fuse_backing_open(devfd, path);
}

static void backing_close(int id)
{
	fuse_backing_close(devfd, id);
}

/* ns for one full read of @path (open, read to EOF, close), and its size */
static long long time_read(const char *path, size_t *bytes)
{
	static __thread char *buf;
	static __thread size_t size;
	long long t0 = now_ns();
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (!buf)
		buf = malloc(size = 1 << 20);
	if (fd < 0)
		die(path);
	while ((n = read(fd, buf + len, size - len)) > 0) {
		len += n;
		if (len == size)
			buf = realloc(buf, size *= 2);
	}
	close(fd);
	*bytes = len;
	return now_ns() - t0;
}

/*
 * Median ns per full read of @a and of @b, read alternately @reps times
 * each, so that drift of the emulated CPU hits both alike
 */
static void time_pair(const char *a, const char *b, int reps, long long *ma,
		      long long *mb, size_t *ba, size_t *bb)
{
	long long *ta = calloc(reps, sizeof(*ta)), *tb = calloc(reps, sizeof(*tb));

	time_read(a, ba);	/* warm up, not counted */
	time_read(b, bb);
	for (int r = 0; r < reps; r++) {
		ta[r] = time_read(a, ba);
		tb[r] = time_read(b, bb);
	}
	*ma = pct(ta, reps, 50);
	*mb = pct(tb, reps, 50);
	free(ta);
	free(tb);
}

/*
 * What a full read of @path listed: the entries of a /dev/fuse listing
 * ("fuse_backing:" lines) and the ids it counted without listing them
 * (@unlisted), or the fixed files of an io_uring ("%5u: " lines after
 * "UserFiles:"), so that a row compares like with like
 */
static long count_listed(const char *path, long *unlisted)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long listed = 0, n;
	int files = 0;
	unsigned int slot;

	if (!f)
		die(path);
	*unlisted = 0;
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "fuse_backing:\t", 14))
			listed++;
		else if (sscanf(line, "fuse_backing_files_unlisted:\t%ld", &n) == 1)
			*unlisted = n;
		else if (!strncmp(line, "UserFiles:", 10))
			files = 1;
		else if (files && sscanf(line, "%u: ", &slot) == 1)
			listed++;
		else if (line[0] != ' ')
			files = 0;
	}
	free(line);
	fclose(f);
	return listed;
}

static void make_files(int n)
{
	char p[256];

	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/f%06d", lower, i);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
}

static void bench_list(int n, int reps)
{
	struct io_uring_params params = { };
	char path[256], upath[64];
	int *fds = calloc(n, sizeof(int)), ring, *ids = calloc(n, sizeof(int));
	long long tf, tu;
	size_t bf, bu;
	long lf, lu, unlisted, unlisted_u;

	make_files(n);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%06d", lower, i);
		ids[i] = backing_open(path);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (ids[i] <= 0 || fds[i] < 0)
			die("backing_open/open");
	}
	ring = syscall(__NR_io_uring_setup, 4, &params);
	if (ring < 0 || syscall(__NR_io_uring_register, ring, IORING_REGISTER_FILES, fds, n))
		die("io_uring");
	for (int i = 0; i < n; i++)
		close(fds[i]);

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", devfd);
	snprintf(upath, sizeof(upath), "/proc/self/fdinfo/%d", ring);
	time_pair(path, upath, reps, &tf, &tu, &bf, &bu);
	/*
	 * Every id must be accounted for: listed, or counted as unlisted
	 * past the kernel's bound; io_uring must have listed every fixed
	 * file (it only trylocks its ring and then lists nothing, a baseline
	 * that would be bogus).
	 */
	lf = count_listed(path, &unlisted);
	lu = count_listed(upath, &unlisted_u);
	if (lf + unlisted != n || lu != n) {
		fprintf(stderr, "list %d: /dev/fuse listed %ld and counted %ld, io_uring listed %ld\n",
			n, lf, unlisted, lu);
		exit(1);
	}
	printf("list_fuse_ns %d %lld\n", n, tf);
	printf("list_uring_ns %d %lld\n", n, tu);
	printf("list_fuse_bytes %d %zu\n", n, bf);
	printf("list_uring_bytes %d %zu\n", n, bu);
	printf("list_fuse_listed %d %ld\n", n, lf);
	printf("list_fuse_unlisted %d %ld\n", n, unlisted);
	printf("list_uring_listed %d %ld\n", n, lu);
	close(ring);
	for (int i = 0; i < n; i++)
		backing_close(ids[i]);
}

static void bench_file(int reps)
{
	char path[256], tpath[64];
	long long tf, tt;
	int fd, tfd;
	size_t b;

	snprintf(path, sizeof(path), "%s/backing", lower);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	file_backing_id = backing_open(path);
	snprintf(path, sizeof(path), "%s/f", mnt);
	fd = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "%s/backing", lower);
	tfd = open(path, O_RDONLY);
	if (fd < 0 || tfd < 0)
		die("open");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(tpath, sizeof(tpath), "/proc/self/fdinfo/%d", tfd);
	time_pair(path, tpath, reps, &tf, &tt, &b, &b);
	printf("file_fuse_ns %lld\n", tf);
	printf("file_tmpfs_ns %lld\n", tt);
	/* Close while the server thread lives: FUSE_FLUSH needs an answer */
	close(fd);
	close(tfd);
}

static atomic_bool reader_stop;
static atomic_long reader_reads;

/* Loop over the fdinfo of fd (long)@arg until told to stop */
static void *reader(void *arg)
{
	char path[64];
	size_t b;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%ld", (long)arg);
	while (!atomic_load(&reader_stop)) {
		time_read(path, &b);
		atomic_fetch_add(&reader_reads, 1);
	}
	return NULL;
}

/*
 * Many short rounds rather than a few long ones: a slow spell of the host
 * (the guest's CPU is emulated, and the host's own load varies) then falls
 * on all three kinds of round alike
 */
#define IOCTL_ROUNDS	15
#define IOCTL_READS	1	/* full reads a reader makes during a round, at least */
#define IOCTL_CAP	20	/* a round stops at IOCTL_CAP * reps pairs */

/*
 * At least @min BACKING_OPEN+CLOSE pairs, their latencies stored from @t on;
 * with a reader, more until it made IOCTL_READS full reads, at most @max.
 * Returns the number of pairs.
 */
static int ioctl_round(long long *t, int min, int max, int reader_fd)
{
	char path[256];
	pthread_t th;
	int r;

	if (reader_fd >= 0) {
		atomic_store(&reader_stop, false);
		atomic_store(&reader_reads, 0);
		pthread_create(&th, NULL, reader, (void *)(long)reader_fd);
		usleep(10000);	/* let the reader get going */
	}
	snprintf(path, sizeof(path), "%s/f000000", lower);
	for (r = 0; r < max; r++) {
		long long t0;

		if (r >= min && (reader_fd < 0 || atomic_load(&reader_reads) >= IOCTL_READS))
			break;
		t0 = now_ns();
		backing_close(backing_open(path));
		t[r] = now_ns() - t0;
	}
	if (reader_fd >= 0) {
		atomic_store(&reader_stop, true);
		pthread_join(th, NULL);
	}
	return r;
}

static void bench_ioctl(int n, int reps)
{
	static const char * const name[] = {
		"ioctl_alone", "ioctl_with_other_reader", "ioctl_with_reader"
	};
	size_t cap = (size_t)IOCTL_CAP * reps * IOCTL_ROUNDS;
	long long *t[3];
	int other, fd[3], nr[3] = { 0 };
	char path[256];

	make_files(n);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%06d", lower, i);
		if (backing_open(path) <= 0)
			die("backing_open");
	}
	/*
	 * Control: a reader as busy, of a file unrelated to the connection
	 * (a tmpfs file's fdinfo), to tell CPU sharing from lock contention
	 */
	snprintf(path, sizeof(path), "%s/f000001", lower);
	other = open(path, O_RDONLY);
	fd[0] = -1, fd[1] = other, fd[2] = devfd;
	for (int c = 0; c < 3; c++)
		t[c] = calloc(cap, sizeof(long long));
	/* Warm up (not reported): the first round runs slower */
	ioctl_round(t[0], reps, reps, -1);
	/*
	 * Rounds interleaved: reader, alone, control, reader, ...  A round
	 * with the reader of /dev/fuse lasts until it read the whole list
	 * IOCTL_READS times; the alone and control rounds after it then make
	 * as many pairs, so that the three p99 come from samples of one size.
	 */
	for (int round = 0; round < IOCTL_ROUNDS; round++) {
		int k = ioctl_round(t[2] + nr[2], reps, IOCTL_CAP * reps, fd[2]);

		printf("ioctl_reader_reads_%d %ld\n", round, atomic_load(&reader_reads));
		nr[2] += k;
		for (int c = 0; c < 2; c++)
			nr[c] += ioctl_round(t[c] + nr[c], k, k, fd[c]);
	}
	printf("ioctl_rounds %d\n", IOCTL_ROUNDS);
	for (int c = 0; c < 3; c++) {
		printf("%s_pairs %d\n", name[c], nr[c]);
		printf("%s_median_ns %lld\n", name[c], pct(t[c], nr[c], 50));
		printf("%s_p99_ns %lld\n", name[c], pct(t[c], nr[c], 99));
		free(t[c]);
	}
	close(other);
}

static void bench_read(size_t bs, int mb)
{
	char path[256], *buf = malloc(bs);
	int fd;
	long long t0, dt;
	size_t total = (size_t)mb << 20;

	snprintf(path, sizeof(path), "%s/backing", lower);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	for (size_t done = 0; done < total; done += bs)
		if (write(fd, memset(buf, 'x', bs), bs) != (ssize_t)bs)
			die("write");
	close(fd);
	file_backing_id = backing_open(path);
	snprintf(path, sizeof(path), "%s/f", mnt);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	for (int pass = 0; pass < 2; pass++) {	/* the first pass warms the cache */
		t0 = now_ns();
		for (off_t off = 0; off < (off_t)total; off += bs)
			if (pread(fd, buf, bs, off) != (ssize_t)bs)
				die("pread");
		dt = now_ns() - t0;
	}
	printf("read_%zu_MBps %.1f\n", bs, (double)total / (1 << 20) / (dt / 1e9));
	/* Close while the server thread lives: FUSE_FLUSH needs an answer */
	close(fd);
}

static void hold(int n)
{
	char path[256], c;

	make_files(n);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%06d", lower, i);
		if (backing_open(path) <= 0)
			die("backing_open");
	}
	printf("%d %d\n", getpid(), devfd);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	setup();
	if (!strcmp(argv[1], "list") && argc == 4)
		bench_list(atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(argv[1], "file") && argc == 3)
		bench_file(atoi(argv[2]));
	else if (!strcmp(argv[1], "ioctl") && argc == 4)
		bench_ioctl(atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(argv[1], "read") && argc == 4)
		bench_read(atoi(argv[2]), atoi(argv[3]));
	else if (!strcmp(argv[1], "hold") && argc == 3)
		hold(atoi(argv[2]));
	else
		return 2;
	umount2(mnt, MNT_DETACH);
	umount2(base, MNT_DETACH);
	return 0;
}
