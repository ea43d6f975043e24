// SPDX-License-Identifier: GPL-2.0
/*
 * Exposed regions (ABI 1.5): put and get into a range of another process's
 * memory through a handle, without it running; rights and minting, passing
 * in messages, revoke (also while puts run on another CPU), the owner's
 * exit, the doorbell, the per-user limit.
 */
#include <linux/userfaultfd.h>
#include <sys/uio.h>

#include "kipc_test.h"

KIPC_FIXTURE(region);

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

#define ALL	KIPC_REGION_RIGHTS_ALL

/* In a forked child of a test: a failed check ends the child with 1. */
#define CHILD_OK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# %s:%d: in pid %d: %s (errno %d)\n",	\
			__FILE__, __LINE__, getpid(), #cond, errno);	\
		_exit(1);						\
	}								\
} while (0)

/* The owner sleeps in waitpid() while its child puts and gets. */
TEST_F(region, put_and_get_without_the_owner)
{
	size_t len = 1 << 20;
	unsigned char *mem = map(len);
	int r;
	pid_t pid;

	ASSERT_TRUE(mem != NULL);
	memset(mem, 1, len);
	r = kipc_region_create(&self->c, mem, len, ALL, 0);
	ASSERT_GE(r, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		unsigned char *b = malloc(len);
		struct iovec iov[2];
		struct kipc_region_info info;

		CHILD_OK(b != NULL);
		CHILD_OK(!kipc_region_info(r, &info) && info.len == len &&
			    info.rights == ALL && !info.flags);
		CHILD_OK(kipc_region_get(r, 0, b, len) == (ssize_t)len);
		CHILD_OK(b[0] == 1 && b[len - 1] == 1);
		memset(b, 2, len);
		iov[0] = (struct iovec){ b, 100 };
		iov[1] = (struct iovec){ b + 100, len - 200 };
		CHILD_OK(kipc_region_putv(r, 100, iov, 2, 0) == (ssize_t)len - 100);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(1, mem[99]);
	EXPECT_EQ(2, mem[100]);
	EXPECT_EQ(2, mem[len - 1]);
	close(r);
}

TEST_F(region, rights_and_ranges)
{
	unsigned char *mem = map(8192), b[16];
	struct kipc_region_info info;
	struct kipc_region_io a;
	struct iovec iov;
	int r, ro, wo;

	ASSERT_TRUE(mem != NULL);
	EXPECT_EQ(-EINVAL, kipc_region_create(&self->c, mem, 0, ALL, 0));
	EXPECT_EQ(-EINVAL, kipc_region_create(&self->c, mem, 8192, KIPC_REGION_GRANT, 0));
	EXPECT_EQ(-EINVAL, kipc_region_create(&self->c, mem, 8192, 8, 0));
	EXPECT_EQ(-EINVAL, kipc_region_create(&self->c, mem, 8192, ALL, 2));
	EXPECT_EQ(-EINVAL, kipc_region_create(&self->c, (void *)~0UL, 8192, ALL, 0));
	EXPECT_EQ(-EFAULT, kipc_region_create(&self->c, (void *)(1UL << 63), 8192, ALL, 0));
	r = kipc_region_create(&self->c, mem, 8192, KIPC_REGION_READ | KIPC_REGION_WRITE, 0);
	ASSERT_GE(r, 0);
	EXPECT_TRUE(is_cloexec(r));
	/* No GRANT: no minting. */
	EXPECT_EQ(-EPERM, kipc_region_mint(r, KIPC_REGION_READ, 0));
	close(r);
	r = kipc_region_create(&self->c, mem, 8192, ALL, KIPC_FD_INHERIT);
	ASSERT_GE(r, 0);
	EXPECT_FALSE(is_cloexec(r));
	ro = kipc_region_mint(r, KIPC_REGION_READ, 0);
	wo = kipc_region_mint(r, KIPC_REGION_WRITE | KIPC_REGION_GRANT, 0);
	ASSERT_GE(ro, 0);
	ASSERT_GE(wo, 0);
	EXPECT_EQ(-EINVAL, kipc_region_mint(r, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_region_mint(r, KIPC_REGION_GRANT, 0));
	EXPECT_EQ(-EPERM, kipc_region_mint(wo, KIPC_REGION_READ, 0));	/* grows */
	EXPECT_EQ(-EPERM, kipc_region_mint(ro, KIPC_REGION_READ, 0));	/* no GRANT */
	EXPECT_EQ(0, kipc_region_info(ro, &info));
	EXPECT_EQ(KIPC_REGION_READ, info.rights);
	EXPECT_EQ(8192, info.len);
	memset(mem, 5, 8192);
	EXPECT_EQ(-EPERM, kipc_region_put(ro, 0, b, 1, 0));
	EXPECT_EQ(-EPERM, kipc_region_get(wo, 0, b, 1));
	EXPECT_EQ(16, kipc_region_get(ro, 8176, b, 16));
	EXPECT_EQ(5, b[15]);
	EXPECT_EQ(-ERANGE, kipc_region_get(ro, 8177, b, 16));
	EXPECT_EQ(-ERANGE, kipc_region_get(ro, 8193, b, 0));
	EXPECT_EQ(-ERANGE, kipc_region_get(ro, ~0ULL, b, 1));
	EXPECT_EQ(0, kipc_region_get(ro, 8192, b, 0));
	EXPECT_EQ(-EFAULT, kipc_region_get(ro, 0, (void *)8, 1));
	/* Reserved fields and flags. */
	iov = (struct iovec){ b, 1 };
	a = (struct kipc_region_io){ .iov = (uintptr_t)&iov, .iovcnt = 1 };
	a.flags = KIPC_REGION_SIGNAL;
	EXPECT_EQ(-1, ioctl(ro, KIPC_IOC_REGION_GET, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 2;
	EXPECT_EQ(-1, ioctl(wo, KIPC_IOC_REGION_PUT, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.__reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(wo, KIPC_IOC_REGION_PUT, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(wo, KIPC_IOC_REGION_REVOKE, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(wo, KIPC_IOC_CALL, 0));
	EXPECT_EQ(ENOTTY, errno);
	close(ro);
	close(wo);
	close(r);
}

/* A hole: the piece that holds it fails, nothing of it is copied. */
TEST_F(region, hole)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *mem = map(3 * pg), *b = malloc(3 * pg);
	int r;

	ASSERT_TRUE(mem && b);
	memset(mem, 3, 3 * pg);
	r = kipc_region_create(&self->c, mem, 3 * pg, ALL, 0);
	ASSERT_GE(r, 0);
	ASSERT_EQ(0, munmap(mem + pg, pg));
	memset(b, 9, 3 * pg);
	EXPECT_EQ(-EFAULT, kipc_region_put(r, 0, b, 3 * pg, 0));
	EXPECT_EQ(3, mem[0]);		/* all or nothing, per piece */
	EXPECT_EQ(pg, kipc_region_put(r, 2 * pg, b, pg, 0));
	EXPECT_EQ(9, mem[2 * pg]);
	EXPECT_EQ(-EFAULT, kipc_region_get(r, pg, b, 1));
	close(r);
	free(b);
}

/* Revoke: later accesses fail; only the owner's address space may. */
TEST_F(region, revoke)
{
	unsigned char *mem = map(4096), b[8];
	struct kipc_region_info info;
	int r;
	pid_t pid;

	ASSERT_TRUE(mem != NULL);
	r = kipc_region_create(&self->c, mem, 4096, ALL, 0);
	ASSERT_GE(r, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)	/* another address space, even a copy of ours */
		_exit(kipc_region_revoke(r) == -EPERM &&
		      kipc_region_bind(r, -1, 0) == -EPERM ? 0 : 1);
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(8, kipc_region_get(r, 0, b, 8));
	EXPECT_EQ(0, kipc_region_revoke(r));
	EXPECT_EQ(-EPIPE, kipc_region_get(r, 0, b, 8));
	EXPECT_EQ(-EPIPE, kipc_region_put(r, 0, b, 8, 0));
	EXPECT_EQ(0, kipc_region_info(r, &info));
	EXPECT_EQ(KIPC_REGION_REVOKED, info.flags);
	EXPECT_EQ(0, kipc_region_revoke(r));	/* again: nothing more */
	close(r);
}

/*
 * Revoke while another CPU puts 16 MiB at a time: once revoke returned,
 * the owner's memory does not change any more.
 */
struct putter {
	int r;
	size_t len;
	volatile int go, stop;
	long puts, refused;
};

static void *put_loop(void *arg)
{
	struct putter *p = arg;
	unsigned char *b = malloc(p->len);
	unsigned char v = 0;

	while (!p->stop) {
		ssize_t n;

		memset(b, ++v, p->len);
		n = kipc_region_put(p->r, 0, b, p->len, 0);
		if (n == (ssize_t)p->len)
			p->puts++;
		else if (n == -EPIPE)
			p->refused++;
		p->go = 1;
	}
	free(b);
	return NULL;
}

TEST_F(region, revoke_during_puts)
{
	struct putter p = { .len = 16 << 20 };
	unsigned char *mem = map(p.len), *snap = malloc(p.len);
	pthread_t t;

	ASSERT_TRUE(mem && snap);
	p.r = kipc_region_create(&self->c, mem, p.len, ALL, 0);
	ASSERT_GE(p.r, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, put_loop, &p));
	while (!p.go)
		sleep_ms(1);
	sleep_ms(5);
	ASSERT_EQ(0, kipc_region_revoke(p.r));
	memcpy(snap, mem, p.len);
	sleep_ms(50);
	p.stop = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(0, memcmp(snap, mem, p.len));
	EXPECT_GT(p.refused, 0);
	TH_LOG("%ld puts before revoke, %ld refused after", p.puts, p.refused);
	close(p.r);
	free(snap);
}

/* Passed in a message (GRANT needed); the owner's exit ends the region. */
TEST_F(region, passed_and_owner_gone)
{
	unsigned char b[8];
	struct kipc_ctx c;
	pid_t pid;
	int r;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		unsigned char *mem = map(4096);
		struct kipc_ctx cc;
		int r1, r2;

		ctx_open(&cc);
		memset(mem, 4, 4096);
		r1 = kipc_region_create(&cc, mem, 4096, KIPC_REGION_READ, 0);
		r2 = kipc_region_create(&cc, mem, 4096, ALL, 0);
		CHILD_OK(r1 >= 0 && r2 >= 0);
		/* Without GRANT it may not travel. */
		kipc_fds(&cc)[0] = r1;
		CHILD_OK(kipc_call(&cc, self->ep,
				      KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 1), INF) == -EPERM);
		kipc_fds(&cc)[0] = r2;
		CHILD_OK(kipc_call(&cc, self->ep,
				      KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 1), INF) == 0);
		_exit(0);
	}
	ctx_open(&c);
	kipc_accept_fds(&c, 1);
	ASSERT_EQ(0, kipc_recv(&c, self->ep, INF));
	ASSERT_EQ(1, kipc_nfds(&c));
	r = kipc_fds(&c)[0];
	EXPECT_EQ(8, kipc_region_get(r, 0, b, 8));
	EXPECT_EQ(4, b[7]);
	/* Not the owner: no revoke. */
	EXPECT_EQ(-EPERM, kipc_region_revoke(r));
	EXPECT_EQ(0, kipc_reply(&c, 0));
	EXPECT_EQ(0, reap(pid));
	/* Its address space is gone: EPIPE, for good. */
	EXPECT_EQ(-EPIPE, kipc_region_get(r, 0, b, 8));
	EXPECT_EQ(-EPIPE, kipc_region_put(r, 0, b, 8, 0));
	close(r);
	kipc_ctx_close(&c);
	EXPECT_EQ(0, kipc_stat("regions"));
}

/* The doorbell: a put with KIPC_REGION_SIGNAL raises the bound bits. */
TEST_F(region, doorbell)
{
	unsigned char *mem = map(4096), b[4] = { 1, 2, 3, 4 };
	int r, n;
	pid_t pid;

	ASSERT_TRUE(mem != NULL);
	r = kipc_region_create(&self->c, mem, 4096, ALL, 0);
	n = kipc_ntfn_create(&self->c, 0);
	ASSERT_GE(r, 0);
	ASSERT_GE(n, 0);
	EXPECT_EQ(-EINVAL, kipc_region_bind(r, n, 0));
	EXPECT_EQ(-EINVAL, kipc_region_bind(r, -1, 4));
	EXPECT_EQ(-EBADF, kipc_region_bind(r, self->ep, 4));
	ASSERT_EQ(0, kipc_region_bind(r, n, 0x40));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		CHILD_OK(kipc_region_put(r, 0, b, 4, 0) == 4);
		sleep_ms(100);
		CHILD_OK(kipc_region_put(r, 100, b, 4, KIPC_REGION_SIGNAL) == 4);
		_exit(0);
	}
	ASSERT_EQ(0, kipc_ntfn_wait(&self->c, n, INF));
	EXPECT_EQ(0x40, kipc_ntfn_bits(&self->c));
	EXPECT_EQ(4, mem[103]);		/* in place before the bell */
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(-EAGAIN, kipc_ntfn_wait(&self->c, n, KIPC_TIMEOUT_POLL));
	/* Unbound: a signalling put rings nothing. */
	EXPECT_EQ(0, kipc_region_bind(r, -1, 0));
	EXPECT_EQ(4, kipc_region_put(r, 0, b, 4, KIPC_REGION_SIGNAL));
	EXPECT_EQ(-EAGAIN, kipc_ntfn_wait(&self->c, n, KIPC_TIMEOUT_POLL));
	close(r);
	close(n);
}

/* Pages of live regions count against RLIMIT_MEMLOCK, root's excepted. */
TEST_F(region, memlock_limit)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *mem = map(64 * pg);
	pid_t pid;

	ASSERT_TRUE(mem != NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct rlimit rl = { 16 * pg, 16 * pg };
		struct kipc_ctx c;
		int a, b2;

		CHILD_OK(!setrlimit(RLIMIT_MEMLOCK, &rl));
		CHILD_OK(!become(65534, 65534));
		ctx_open(&c);
		a = kipc_region_create(&c, mem, 12 * pg, ALL, 0);
		CHILD_OK(a >= 0);
		/* 12 + 5 > 16; unaligned, 4 pages + 2 bytes span 5 pages */
		CHILD_OK(kipc_region_create(&c, mem + pg - 1, 4 * pg + 2, ALL, 0) == -ENOMEM);
		b2 = kipc_region_create(&c, mem, 4 * pg, ALL, 0);
		CHILD_OK(b2 >= 0);
		CHILD_OK(kipc_region_create(&c, mem, 1, ALL, 0) == -ENOMEM);
		close(a);
		a = kipc_region_create(&c, mem, 12 * pg, ALL, 0);
		CHILD_OK(a >= 0);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid));
	/* root (CAP_IPC_LOCK) is held to no limit */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct rlimit rl = { 0, 0 };
		struct kipc_ctx c;

		CHILD_OK(!setrlimit(RLIMIT_MEMLOCK, &rl));
		ctx_open(&c);
		CHILD_OK(kipc_region_create(&c, mem, 64 * pg, ALL, 0) >= 0);
		_exit(0);
	}
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, kipc_stat("regions"));
}

/*
 * A putter stalled on a userfaultfd page of its own source buffer does not
 * hold the owner's revoke: the fault is taken outside the region's gate.
 */
struct stuckput {
	int r;
	void *src;
	volatile ssize_t ret;
	volatile int done;
};

static void *stuck_put(void *arg)
{
	struct stuckput *sp = arg;

	sp->ret = kipc_region_put(sp->r, 0, sp->src, 4096, 0);
	sp->done = 1;
	return NULL;
}

TEST_F(region, revoke_not_held_by_a_stalled_putter)
{
	unsigned char *mem = map(4096), *trap = map(4096);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (uintptr_t)trap, 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct stuckput sp = { 0 };
	pthread_t t;
	uint64_t t0;
	int uffd;

	ASSERT_TRUE(mem && trap);
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));
	memset(mem, 6, 4096);
	sp.r = kipc_region_create(&self->c, mem, 4096, ALL, 0);
	sp.src = trap;
	ASSERT_GE(sp.r, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, stuck_put, &sp));
	sleep_ms(200);
	EXPECT_FALSE(sp.done);
	t0 = now_ns();
	EXPECT_EQ(0, kipc_region_revoke(sp.r));
	EXPECT_LT(now_ns() - t0, 500 * MS);
	EXPECT_EQ(6, mem[0]);
	close(uffd);
	pthread_join(t, NULL);
	EXPECT_EQ(-EPIPE, sp.ret);
	EXPECT_EQ(6, mem[0]);
	close(sp.r);
}

TEST_HARNESS_MAIN
