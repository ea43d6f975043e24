/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kipc selftests (kselftest harness style).
 */
#ifndef KIPC_TEST_H
#define KIPC_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <grp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef KIPC_TEST_PART
/* A part linked into a test program (selftests/fuzzer/): no tests of its own. */
#include "kselftest.h"
#else
#include "kselftest_harness.h"
#endif
#include <kipc.h>

#define INF	KIPC_TIMEOUT_INFINITE
#define MS	1000000ULL

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Open a context or end the program: tests cannot go on without one. */
static inline void ctx_open(struct kipc_ctx *c)
{
	int ret = kipc_ctx_open(c);

	if (ret) {
		fprintf(stderr, "kipc_ctx_open: %s\n", strerror(-ret));
		exit(KSFT_FAIL);
	}
}

/*
 * A value from the fdinfo of an endpoint handle of process @pid (0: self),
 * e.g. "senders-waiting"; -1 if absent.
 */
static inline long fdinfo_value(pid_t pid, int fd, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long val = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	else
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 0);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * Wait until the endpoint behind @fd shows @n for @key: the way a test
 * knows its partner is blocked in the kernel.  Gives up after 20 s.
 */
static inline int wait_fdinfo(int fd, const char *key, long n)
{
	for (int i = 0; i < 20000; i++) {
		if (fdinfo_value(0, fd, key) == n)
			return 0;
		sleep_ms(1);
	}
	return -1;
}

/* Wait until thread @tid sleeps (state S) in the kernel; gives up after 20 s. */
static inline int wait_sleeping(pid_t tid)
{
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	for (int i = 0; i < 20000; i++) {
		FILE *f = fopen(path, "r");
		char *p;

		if (!f)
			return -1;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		p = p ? strrchr(buf, ')') : NULL;
		if (p && p[1] == ' ' && p[2] == 'S')
			return 0;
		sleep_ms(1);
	}
	return -1;
}

/* A count from /proc/kipc/stats ("contexts", "endpoints", "handles"). */
static inline long kipc_stat(const char *key)
{
	char name[32];
	long val = -1, v;
	FILE *f = fopen("/proc/kipc/stats", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%31s %ld", name, &v) == 2)
		if (!strcmp(name, key))
			val = v;
	fclose(f);
	return val;
}

/*
 * The end of user space as the kernel's access_ok() sees it (TASK_SIZE_MAX):
 * a range [addr, addr + len) is refused with EFAULT before anything is read
 * when addr + len lies above it.  x86-64: 2^47 less a page, 2^56 less a
 * page with 5-level paging; arm64: 2^48, 2^52 in a kernel built for 52-bit
 * addresses.  The larger size is in use when a mapping just above the
 * smaller one can be made (the kernel only maps there when asked to).
 */
static inline uint64_t user_end(void)
{
#if defined(__x86_64__)
	const uint64_t small = (1ULL << 47) - 4096, large = (1ULL << 56) - 4096;
#elif defined(__aarch64__)
	const uint64_t small = 1ULL << 48, large = 1ULL << 52;
#else
#error "user_end(): the end of user space of this architecture is not known"
#endif
	static uint64_t end;
	void *p;

	if (end)
		return end;
	p = mmap((void *)(uintptr_t)(small + 4096 * 16), 4096, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED) {
		end = small;
	} else {
		munmap(p, 4096);
		end = large;
	}
	return end;
}

/*
 * The descriptor table, for "nothing changed but what was expected": each
 * open fd and what it refers to (readlink of /proc/self/fd).
 */
enum { FDTAB = 512 };
struct fdtab {
	int n;
	int fd[FDTAB];
	char what[FDTAB][64];
};

static inline void fd_snapshot(struct fdtab *t)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	t->n = 0;
	while (d && (e = readdir(d)) && t->n < FDTAB) {
		char path[300];
		ssize_t len;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, t->what[t->n], sizeof(t->what[0]) - 1);
		t->what[t->n][len < 0 ? 0 : len] = 0;
		t->fd[t->n++] = fd;
	}
	if (d)
		closedir(d);
}

/* How many fds differ between two snapshots; prints them as @who. */
static inline int fd_diff(const char *who, const struct fdtab *a, const struct fdtab *b)
{
	int bad = 0;

	for (int pass = 0; pass < 2; pass++) {
		const struct fdtab *x = pass ? b : a, *y = pass ? a : b;

		for (int i = 0; i < x->n; i++) {
			int j;

			for (j = 0; j < y->n && y->fd[j] != x->fd[i]; j++)
				;
			if (j < y->n && (pass || !strcmp(x->what[i], y->what[j])))
				continue;
			bad++;
			ksft_print_msg("%s: fd %d %s %s\n", who, x->fd[i],
				       pass ? "appeared:" : j < y->n ? "changed from" : "vanished:",
				       x->what[i]);
		}
	}
	return bad;
}

static inline pid_t gettid_(void)
{
	return syscall(SYS_gettid);
}

/* Fork a child running fn(arg); the child's exit code is fn's result. */
static inline pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

/* Exit code of @pid, or 128 + signal number. */
static inline int reap(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Fill registers with a pattern unique to @seed. */
static inline void fill_mrs(__u64 *mr, unsigned int n, uint64_t seed)
{
	for (unsigned int i = 0; i < n; i++)
		mr[i] = seed * 0x9e3779b97f4a7c15ULL + i * 0x100000001ULL + 1;
}

static inline int check_mrs(const __u64 *mr, unsigned int n, uint64_t seed)
{
	for (unsigned int i = 0; i < n; i++)
		if (mr[i] != seed * 0x9e3779b97f4a7c15ULL + i * 0x100000001ULL + 1)
			return -1 - (int)i;
	return 0;
}

static inline void no_restart_handler(int sig)
{
}

/* Install an empty handler for @sig, with or without SA_RESTART. */
static inline void catch_signal(int sig, int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = no_restart_handler;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(sig, &sa, NULL);
}

/*
 * How many descriptors the calling process has open (below its
 * RLIMIT_NOFILE: nothing can be open above it but inherited ones).  Uses
 * no descriptor itself, so it works with a full table.
 */
static inline int count_fds(void)
{
	struct rlimit rl;
	int n = 0, max = 4096;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < (rlim_t)max)
		max = rl.rlim_cur;
	for (int fd = 0; fd < max; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* Become an unprivileged user (all uids @uid, all gids @gid, no groups). */
static inline int become(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
	    setresuid(uid, uid, uid))
		return -1;
	return geteuid() == uid && getegid() == gid ? 0 : -1;
}

/* A 64-bit mixer (murmur3's finaliser): seeds and pseudo-random streams. */
static inline uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* The number a file (sysfs, cgroupfs) starts with, -1 if unreadable. */
static inline long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* A module parameter as a number, -1 if unreadable. */
static inline long kipc_param(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	return read_long(path);
}

/* Set a module parameter; 0 on success. */
static inline int kipc_set_param(const char *name, long v)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "/sys/module/kipc/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	ret = fprintf(f, "%ld\n", v) < 0;
	return fclose(f) || ret ? -1 : 0;
}

/* Is @fd open with FD_CLOEXEC? -1 if not open. */
static inline int is_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -1 : !!(fl & FD_CLOEXEC);
}

/*
 * How slow the kernel under test is: vm/run.sh passes kipcslow=N for a
 * slow flavour (1 otherwise).  Scales how long a test waits for what
 * should happen soon.
 */
static inline long kipc_slow(void)
{
	const char *e = getenv("kipcslow");
	long v = e ? strtol(e, NULL, 0) : 0;

	return v > 0 ? v : 1;
}

/* In a child process: report the failed condition and fail. */
#define CHILD_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# %s:%d: in pid %d: %s (errno %d)\n",	\
			__FILE__, __LINE__, getpid(), #cond, errno);	\
		return 1;						\
	}								\
} while (0)

/*
 * The fixture most tests share: a context of the test's own (self->c) and
 * an endpoint with every right (self->ep; a test that closes it sets it to
 * -1).  KIPC_FIXTURE(name) declares it, its setup and its teardown; the
 * tests are TEST_F(name, ...).
 */
#define KIPC_FIXTURE(name)						\
	FIXTURE(name) {							\
		struct kipc_ctx c;					\
		int ep;							\
	};								\
	FIXTURE_SETUP(name)						\
	{								\
		ctx_open(&self->c);					\
		self->ep = kipc_ep_create(&self->c, 0);			\
		ASSERT_GE(self->ep, 0);					\
	}								\
	FIXTURE_TEARDOWN(name)						\
	{								\
		if (self->ep >= 0)					\
			close(self->ep);				\
		kipc_ctx_close(&self->c);				\
	}

/*
 * A partner: a thread with a context of its own (p->c, open before @fn
 * runs, closed after) that runs @fn on endpoint p->ep; partner_join()
 * returns what @fn returned.
 */
struct partner {
	pthread_t t;
	struct kipc_ctx c;
	int ep;
	int (*fn)(struct partner *p);
	void *arg;
	int ret;
};

static inline void *partner_main(void *arg)
{
	struct partner *p = arg;

	ctx_open(&p->c);
	p->ret = p->fn(p);
	kipc_ctx_close(&p->c);
	return NULL;
}

static inline int partner_start(struct partner *p, int ep,
				int (*fn)(struct partner *p), void *arg)
{
	*p = (struct partner){ .ep = ep, .fn = fn, .arg = arg };
	return pthread_create(&p->t, NULL, partner_main, p);
}

static inline int partner_join(struct partner *p)
{
	pthread_join(p->t, NULL);
	return p->ret;
}

/*
 * A partner that serves: each call is answered with its label + 1 and its
 * registers, each plain message taken, until no sender is left (EPIPE) or
 * a cancel; returns how many messages it took, or -errno.
 */
static inline int partner_echo(struct partner *p)
{
	int n = 0, r = kipc_recv(&p->c, p->ep, INF);

	while (!r) {
		uint64_t tag = kipc_tag(&p->c);

		n++;
		if (!(tag & KIPC_TAG_F_CALL)) {
			r = kipc_recv(&p->c, p->ep, INF);
			continue;
		}
		r = kipc_reply_recv(&p->c, p->ep,
				    KIPC_TAG(KIPC_TAG_LABEL(tag) + 1, KIPC_TAG_NR(tag)),
				    INF);
	}
	return r == -EPIPE || r == -ECANCELED ? n : r;
}

#endif /* KIPC_TEST_H */
