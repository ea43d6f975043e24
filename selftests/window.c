// SPDX-License-Identifier: GPL-2.0
/*
 * Memory windows (ABI 1.5): a caller names ranges of its memory beside its
 * registers; the server of the call copies out of READ windows and into
 * WRITE windows through its reply right, until the call ends.  The receive
 * buffer, and a send's one window through it.
 */
#include <linux/userfaultfd.h>
#include <setjmp.h>
#include <sys/uio.h>

#include "kipc_test.h"

#define LABEL	7

KIPC_FIXTURE(window);

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(mix(seed + i / 8) >> (i % 8 * 8));
}

static int same(const unsigned char *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)(mix(seed + i / 8) >> (i % 8 * 8)))
			return 0;
	return 1;
}

static void *map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * In a forked child (a context belongs to its address space): open one,
 * name window @addr/@len/@flags as window 0, and make @cmd (call, send).
 * Returns what it returned, negated, for _exit().
 */
static int child_op(int ep, unsigned int cmd, uint64_t label, const void *addr,
		    uint64_t len, unsigned int flags)
{
	uint64_t tag = KIPC_TAG_WITH_WINS(KIPC_TAG(label, 0), 1);
	struct kipc_ctx c;

	ctx_open(&c);
	kipc_win_set(&c, 0, addr, len, flags);
	return -(cmd == KIPC_IOC_CALL ? kipc_call(&c, ep, tag, INF) :
		 kipc_send(&c, ep, tag, INF));
}

/*
 * The server of most tests: receives one call, checks what it was told
 * about the windows, runs its script, replies.  Returns 0 or the first
 * failing step's line.
 */
struct script {
	int (*run)(struct partner *p);
	size_t len;		/* every window's length */
	unsigned int nwin;
	int expect;		/* what the client's call returns */
};

static int serve_one(struct partner *p)
{
	struct script *s = p->arg;
	int ret = kipc_recv(&p->c, p->ep, INF);

	if (ret)
		return __LINE__;
	if (!(kipc_tag(&p->c) & KIPC_TAG_F_CALL) || kipc_nwins(&p->c) != s->nwin)
		return __LINE__;
	for (unsigned int i = 0; i < s->nwin; i++)
		if (p->c.utcb->win[i].addr || kipc_win_len(&p->c, i) != s->len)
			return __LINE__;
	ret = s->run(p);
	if (ret)
		return ret;
	return kipc_reply(&p->c, KIPC_TAG(LABEL + 1, 0)) ? __LINE__ : 0;
}

/* Window 0 READ: read it whole in three uneven iovecs, then at offsets. */
static int run_read(struct partner *p)
{
	struct script *s = p->arg;
	unsigned char *buf = malloc(s->len);
	struct iovec iov[3] = {
		{ buf, 1 }, { buf + 1, 4095 }, { buf + 4096, s->len - 4096 },
	};
	unsigned char b[100];
	int bad = 0;

	if (!buf)
		return __LINE__;
	if (kipc_win_flags(&p->c, 0) != KIPC_WIN_READ ||
	    kipc_win_readv(&p->c, 0, 0, iov, 3) != (ssize_t)s->len ||
	    !same(buf, s->len, 1))
		bad = __LINE__;
	else if (kipc_win_read(&p->c, 0, s->len - 100, b, 100) != 100 ||
		 memcmp(b, buf + s->len - 100, 100))
		bad = __LINE__;
	/* Window 1 is WRITE: fill it with seed 2. */
	fill(buf, s->len, 2);
	if (!bad && (kipc_win_flags(&p->c, 1) != KIPC_WIN_WRITE ||
		     kipc_win_write(&p->c, 1, 0, buf, s->len) != (ssize_t)s->len))
		bad = __LINE__;
	free(buf);
	return bad;
}

TEST_F(window, read_and_write_one_mib)
{
	struct script s = { run_read, 1 << 20, 2, 0 };
	unsigned char *in = map(s.len), *out = map(s.len);
	struct partner srv;

	ASSERT_TRUE(in && out);
	fill(in, s.len, 1);
	memset(out, 0, s.len);
	ASSERT_EQ(0, partner_start(&srv, self->ep, serve_one, &s));
	kipc_win_set(&self->c, 0, in, s.len, KIPC_WIN_READ);
	kipc_win_set(&self->c, 1, out, s.len, KIPC_WIN_WRITE);
	ASSERT_EQ(0, kipc_call(&self->c, self->ep,
			       KIPC_TAG_WITH_WINS(KIPC_TAG(LABEL, 0), 2), INF));
	EXPECT_EQ(0, partner_join(&srv));
	EXPECT_EQ(LABEL + 1, KIPC_TAG_LABEL(kipc_tag(&self->c)));
	EXPECT_TRUE(same(out, s.len, 2));
	EXPECT_TRUE(same(in, s.len, 1));
}

/* Every refusal of an access, by the server, while the call waits. */
static int run_errors(struct partner *p)
{
	unsigned char b[8];
	struct iovec bad_iov = { (void *)8, 8 };
	struct kipc_win_io a = { .win = 0, .iov = (uintptr_t)&bad_iov, .iovcnt = 1 };

	if (kipc_win_read(&p->c, 2, 0, b, 1) != -EINVAL)	/* no such window */
		return __LINE__;
	if (kipc_win_read(&p->c, 0, 4096, b, 1) != -ERANGE)	/* past the end */
		return __LINE__;
	if (kipc_win_read(&p->c, 0, 4090, b, 8) != -ERANGE)	/* straddles it */
		return __LINE__;
	if (kipc_win_read(&p->c, 0, ~0ULL, b, 1) != -ERANGE)
		return __LINE__;
	if (kipc_win_write(&p->c, 0, 0, b, 1) != -EACCES)	/* READ only */
		return __LINE__;
	if (kipc_win_read(&p->c, 1, 0, b, 1) != -EACCES)	/* WRITE only */
		return __LINE__;
	if (kipc_win_read(&p->c, 0, 4096, b, 0) != 0)		/* empty, at the end */
		return __LINE__;
	if (kipc_win_read(&p->c, 0, 0, b, 8) != 8)
		return __LINE__;
	/* Our own bad buffer: EFAULT, and the window is still there. */
	if (ioctl(p->c.fd, KIPC_IOC_WIN_READ, &a) != -1 || errno != EFAULT)
		return __LINE__;
	a.flags = 1;
	if (ioctl(p->c.fd, KIPC_IOC_WIN_READ, &a) != -1 || errno != EINVAL)
		return __LINE__;
	a.flags = 0;
	a.__reserved[1] = 1;
	if (ioctl(p->c.fd, KIPC_IOC_WIN_READ, &a) != -1 || errno != EINVAL)
		return __LINE__;
	a.__reserved[1] = 0;
	a.iovcnt = 1025;
	if (ioctl(p->c.fd, KIPC_IOC_WIN_READ, &a) != -1 || errno != EINVAL)
		return __LINE__;
	if (kipc_win_read(&p->c, 0, 0, b, 8) != 8)
		return __LINE__;
	/* A reply carries no windows. */
	p->c.utcb->tag = KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1);
	if (ioctl(p->c.fd, KIPC_IOC_REPLY, &(struct kipc_ipc){ .fd = -1 }) != -1 ||
	    errno != EINVAL)
		return __LINE__;
	return 0;
}

TEST_F(window, refusals)
{
	struct script s = { run_errors, 4096, 2, 0 };
	unsigned char *in = map(4096), *out = map(4096);
	struct partner srv;
	unsigned char b[8];

	ASSERT_TRUE(in && out);
	ASSERT_EQ(0, partner_start(&srv, self->ep, serve_one, &s));
	kipc_win_set(&self->c, 0, in, 4096, KIPC_WIN_READ);
	kipc_win_set(&self->c, 1, out, 4096, KIPC_WIN_WRITE);
	ASSERT_EQ(0, kipc_call(&self->c, self->ep,
			       KIPC_TAG_WITH_WINS(KIPC_TAG(LABEL, 0), 2), INF));
	EXPECT_EQ(0, partner_join(&srv));
	/* No reply right: ENOENT. */
	EXPECT_EQ(-ENOENT, kipc_win_read(&self->c, 0, 0, b, 1));
}

/* What a caller may not name. */
TEST_F(window, bad_windows)
{
	unsigned char *in = map(4096);
	struct {
		uint64_t addr, len;
		unsigned int flags, res, nwin;
		int err;
	} bad[] = {
		{ (uintptr_t)in, 4096, 0, 0, 1, -EINVAL },		/* no bits */
		{ (uintptr_t)in, 4096, 8, 0, 1, -EINVAL },		/* unknown bit */
		{ (uintptr_t)in, 4096, KIPC_WIN_COPIED, 0, 1, -EINVAL },
		{ (uintptr_t)in, 4096, KIPC_WIN_READ, 1, 1, -EINVAL },	/* reserved */
		{ ~0ULL - 10, 100, KIPC_WIN_READ, 0, 1, -EINVAL },	/* wraps */
		{ 1ULL << 63, 4096, KIPC_WIN_READ, 0, 1, -EFAULT },	/* kernel */
		{ (uintptr_t)in, 4096, KIPC_WIN_READ, 0, 9, -EINVAL },	/* too many */
	};

	ASSERT_TRUE(in != NULL);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kipc_window *w = &self->c.utcb->win[0];

		for (unsigned int j = 0; j < KIPC_MSG_WINS; j++)
			kipc_win_set(&self->c, j, in, 4096, KIPC_WIN_READ);
		w->addr = bad[i].addr;
		w->len = bad[i].len;
		w->flags = bad[i].flags;
		w->__reserved = bad[i].res;
		EXPECT_EQ(bad[i].err,
			  kipc_call(&self->c, self->ep,
				    KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), bad[i].nwin),
				    KIPC_TIMEOUT_POLL)) TH_LOG("case %u", i);
	}
	/* Valid windows and nobody receiving: the usual EAGAIN. */
	kipc_win_set(&self->c, 0, in, 4096, KIPC_WIN_READ);
	EXPECT_EQ(-EAGAIN, kipc_call(&self->c, self->ep,
				     KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1),
				     KIPC_TIMEOUT_POLL));
	/* A send's window: one, READ only. */
	EXPECT_EQ(-EINVAL, kipc_send(&self->c, self->ep,
				     KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 2),
				     KIPC_TIMEOUT_POLL));
	kipc_win_set(&self->c, 0, in, 4096, KIPC_WIN_READ | KIPC_WIN_WRITE);
	EXPECT_EQ(-EINVAL, kipc_send(&self->c, self->ep,
				     KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1),
				     KIPC_TIMEOUT_POLL));
	/* send_recv carries none. */
	kipc_win_set(&self->c, 0, in, 4096, KIPC_WIN_READ);
	EXPECT_EQ(-EINVAL, kipc_send_recv(&self->c, self->ep,
					  KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1),
					  self->ep, KIPC_TIMEOUT_POLL, KIPC_TIMEOUT_POLL));
}

/* A hole in the middle of a window, read-only pages, empty windows. */
static int run_holes(struct partner *p)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *b = malloc(3 * pg);
	int bad = 0;

	if (!b)
		return __LINE__;
	/* Window 0: three pages, the middle one unmapped. */
	if (kipc_win_read(&p->c, 0, 0, b, pg) != pg || !same(b, pg, 3))
		bad = __LINE__;
	else if (kipc_win_read(&p->c, 0, 0, b, 3 * pg) != -EFAULT)
		bad = __LINE__;
	else if (kipc_win_read(&p->c, 0, pg + 10, b, 1) != -EFAULT)
		bad = __LINE__;
	else if (kipc_win_read(&p->c, 0, 2 * pg, b, pg) != pg || !same(b, pg, 4))
		bad = __LINE__;
	/* Window 1: read-only pages, READ|WRITE: reads work, writes fault. */
	else if (kipc_win_read(&p->c, 1, 0, b, pg) != pg || !same(b, pg, 5))
		bad = __LINE__;
	else if (kipc_win_write(&p->c, 1, 0, b, 1) != -EFAULT)
		bad = __LINE__;
	/* Window 2: empty. */
	else if (kipc_win_len(&p->c, 2) != 0 ||
		 kipc_win_read(&p->c, 2, 0, b, 0) != 0 ||
		 kipc_win_read(&p->c, 2, 0, b, 1) != -ERANGE)
		bad = __LINE__;
	free(b);
	return bad;
}

static int serve_raw(struct partner *p)
{
	int (*run)(struct partner *) = p->arg;
	int ret;

	if (kipc_recv(&p->c, p->ep, INF))
		return __LINE__;
	ret = run(p);
	if (ret)
		return ret;
	return kipc_reply(&p->c, KIPC_TAG(LABEL + 1, 0)) ? __LINE__ : 0;
}

TEST_F(window, hole_readonly_and_empty)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *a = map(3 * pg), *ro = map(pg);
	struct partner srv;

	ASSERT_TRUE(a && ro);
	fill(a, pg, 3);
	fill(a + 2 * pg, pg, 4);
	ASSERT_EQ(0, munmap(a + pg, pg));
	fill(ro, pg, 5);
	ASSERT_EQ(0, mprotect(ro, pg, PROT_READ));
	ASSERT_EQ(0, partner_start(&srv, self->ep, serve_raw, run_holes));
	kipc_win_set(&self->c, 0, a, 3 * pg, KIPC_WIN_READ);
	kipc_win_set(&self->c, 1, ro, pg, KIPC_WIN_READ | KIPC_WIN_WRITE);
	kipc_win_set(&self->c, 2, a, 0, KIPC_WIN_READ);
	ASSERT_EQ(0, kipc_call(&self->c, self->ep,
			       KIPC_TAG_WITH_WINS(KIPC_TAG(LABEL, 0), 3), INF));
	EXPECT_EQ(0, partner_join(&srv));
	EXPECT_TRUE(same(ro, pg, 5));
}

/* Overlapping windows see each other's writes; a huge window of nothing. */
static int run_overlap(struct partner *p)
{
	unsigned char b[64], c[64];

	memset(b, 0xab, sizeof(b));
	if (kipc_win_write(&p->c, 1, 32, b, 64) != 64)
		return __LINE__;
	/* Window 0 starts 32 bytes before window 1. */
	if (kipc_win_read(&p->c, 0, 64, c, 64) != 64 || memcmp(b, c, 64))
		return __LINE__;
	/* Window 2: 1 TiB of which nothing is mapped at offset 0. */
	if (kipc_win_len(&p->c, 2) != 1ULL << 40 ||
	    kipc_win_read(&p->c, 2, 0, c, 64) != -EFAULT ||
	    kipc_win_read(&p->c, 2, (1ULL << 40) - 64, c, 65) != -ERANGE)
		return __LINE__;
	return 0;
}

TEST_F(window, overlapping_and_huge)
{
	unsigned char *a = map(4096);
	struct partner srv;

	ASSERT_TRUE(a != NULL);
	memset(a, 0, 4096);
	ASSERT_EQ(0, partner_start(&srv, self->ep, serve_raw, run_overlap));
	kipc_win_set(&self->c, 0, a, 1024, KIPC_WIN_READ);
	kipc_win_set(&self->c, 1, a + 32, 1024, KIPC_WIN_WRITE);
	/* Just above the 1 GiB mark of a 47-bit address space, unmapped. */
	kipc_win_set(&self->c, 2, (void *)(1ULL << 44), 1ULL << 40, KIPC_WIN_READ);
	ASSERT_EQ(0, kipc_call(&self->c, self->ep,
			       KIPC_TAG_WITH_WINS(KIPC_TAG(LABEL, 0), 3), INF));
	EXPECT_EQ(0, partner_join(&srv));
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(0xab, a[64 + i]);
}

/*
 * The windows end with the call: a caller that times out sees no byte
 * land in its memory afterwards, however fast its server writes.
 */
struct late {
	int ep;
	volatile int stop;
	long writes, resets;
};

static void *late_writer(void *arg)
{
	struct late *l = arg;
	static unsigned char b[256 << 10];
	struct kipc_ctx c;

	ctx_open(&c);
	while (!l->stop) {
		if (kipc_recv(&c, l->ep, 50 * MS))
			continue;
		for (unsigned char v = 1;; v++) {
			ssize_t n;

			memset(b, v, sizeof(b));
			n = kipc_win_write(&c, 0, 0, b, sizeof(b));
			if (n < 0) {
				if (n == -ECONNRESET)
					l->resets++;
				break;
			}
			l->writes++;
		}
	}
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(window, no_write_after_the_call_ended)
{
	size_t len = 256 << 10;
	unsigned char *a = map(len), *snap = malloc(len);
	struct late l = { .ep = self->ep };
	pthread_t t;

	ASSERT_TRUE(a && snap);
	ASSERT_EQ(0, pthread_create(&t, NULL, late_writer, &l));
	for (int i = 0; i < 40; i++) {
		kipc_win_set(&self->c, 0, a, len, KIPC_WIN_WRITE);
		ASSERT_EQ(-ETIMEDOUT,
			  kipc_call(&self->c, self->ep,
				    KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1), 5 * MS));
		memcpy(snap, a, len);
		sleep_ms(2);
		ASSERT_EQ(0, memcmp(snap, a, len)) TH_LOG("round %d", i);
	}
	l.stop = 1;
	pthread_join(t, NULL);
	EXPECT_GT(l.writes, 0);
	EXPECT_GT(l.resets, 0);
	TH_LOG("%ld writes, %ld ended by the caller's timeout", l.writes, l.resets);
}

/* A caller killed while its server copies; a server killed holding windows. */
TEST_F(window, caller_killed_during_copy)
{
	size_t len = 64 << 20;
	long before = kipc_stat("contexts");
	unsigned char *b = malloc(1 << 20);
	pid_t pid = fork();
	ssize_t n;
	long reads = 0;

	ASSERT_GE(pid, 0);
	if (!pid) {
		unsigned char *a = map(len);

		if (!a)
			_exit(1);
		memset(a, 7, len);
		_exit(child_op(self->ep, KIPC_IOC_CALL, 1, a, len, KIPC_WIN_READ));
	}
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(len, kipc_win_len(&self->c, 0));
	for (;;) {
		n = kipc_win_read(&self->c, 0, (reads % 64) << 20, b, 1 << 20);
		if (n < 0)
			break;
		ASSERT_EQ(1 << 20, n);
		ASSERT_EQ(7, b[12345]);
		if (++reads == 20)
			kill(pid, SIGKILL);
	}
	EXPECT_EQ(-ECONNRESET, n);
	reap(pid);
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, 0));
	EXPECT_EQ(before, kipc_stat("contexts"));
	free(b);
}

TEST_F(window, server_killed_holding_windows)
{
	unsigned char *a = map(4096);
	long before = kipc_stat("contexts");
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (!pid) {
		struct kipc_ctx c;

		ctx_open(&c);
		if (kipc_recv(&c, self->ep, INF))
			_exit(1);
		pause();
		_exit(0);
	}
	ASSERT_TRUE(a != NULL);
	kipc_win_set(&self->c, 0, a, 4096, KIPC_WIN_READ | KIPC_WIN_WRITE);
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	/* Killed once it holds the call and its windows. */
	if (fork() == 0) {
		sleep_ms(100);
		kill(pid, SIGKILL);
		_exit(0);
	}
	EXPECT_EQ(-ECONNRESET, kipc_call(&self->c, self->ep,
					 KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1), INF));
	reap(pid);
	while (wait(NULL) > 0)
		;
	EXPECT_EQ(before, kipc_stat("contexts"));
}

/* The receive buffer: the first READ window of a call, when it fits. */
TEST_F(window, receive_buffer)
{
	static unsigned char rbuf[1000];
	unsigned char *a = map(8192);
	pid_t pid;

	ASSERT_TRUE(a != NULL);
	fill(a, 8192, 9);
	EXPECT_EQ(-EINVAL, kipc_rbuf_set(&self->c, rbuf, KIPC_RBUF_MAX + 1));
	EXPECT_EQ(-EFAULT, kipc_rbuf_set(&self->c, (void *)(1ULL << 63), 16));
	EXPECT_EQ(-EINVAL, kipc_rbuf_set(&self->c, rbuf, 0));
	ASSERT_EQ(0, kipc_rbuf_set(&self->c, rbuf, sizeof(rbuf)));
	/* Windows: WRITE, READ 1000 (the first READ, fits: copied), READ 100. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct kipc_ctx c;

		ctx_open(&c);
		kipc_win_set(&c, 0, a, 100, KIPC_WIN_WRITE);
		kipc_win_set(&c, 1, a + 100, 1000, KIPC_WIN_READ);
		kipc_win_set(&c, 2, a + 1100, 100, KIPC_WIN_READ);
		_exit(-kipc_call(&c, self->ep,
				 KIPC_TAG_WITH_WINS(KIPC_TAG(LABEL, 0), 3), INF));
	}
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(3, kipc_nwins(&self->c));
	EXPECT_EQ(KIPC_WIN_WRITE, kipc_win_flags(&self->c, 0));
	EXPECT_EQ(KIPC_WIN_READ | KIPC_WIN_COPIED, kipc_win_flags(&self->c, 1));
	EXPECT_EQ(KIPC_WIN_READ, kipc_win_flags(&self->c, 2));
	EXPECT_EQ(0, memcmp(rbuf, a + 100, 1000));
	EXPECT_EQ(0, kipc_reply(&self->c, 0));
	EXPECT_EQ(0, reap(pid));
	/* A first READ window longer than the buffer: not copied. */
	memset(rbuf, 0, sizeof(rbuf));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(child_op(self->ep, KIPC_IOC_CALL, 1, a, 1001, KIPC_WIN_READ));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(KIPC_WIN_READ, kipc_win_flags(&self->c, 0));
	EXPECT_EQ(0, rbuf[0] | rbuf[999]);
	EXPECT_EQ(0, kipc_reply(&self->c, 0));
	EXPECT_EQ(0, reap(pid));
	/* Removed: nothing copied any more. */
	EXPECT_EQ(0, kipc_rbuf_set(&self->c, NULL, 0));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(child_op(self->ep, KIPC_IOC_CALL, 1, a, 10, KIPC_WIN_READ));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(KIPC_WIN_READ, kipc_win_flags(&self->c, 0));
	EXPECT_EQ(0, rbuf[0]);
	EXPECT_EQ(0, kipc_reply(&self->c, 0));
	EXPECT_EQ(0, reap(pid));
}

/* A send's one READ window goes only into a receive buffer. */
TEST_F(window, send_with_a_window)
{
	static unsigned char rbuf[4096];
	unsigned char *a = map(8192);
	struct kipc_ctx s;
	pid_t pid;

	ASSERT_TRUE(a != NULL);
	fill(a, 8192, 11);
	ctx_open(&s);
	/* No buffer: the send fails (EMSGSIZE), the receiver waits on. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(child_op(self->ep, KIPC_IOC_SEND, 3, a, 100, KIPC_WIN_READ));
	EXPECT_EQ(-ETIMEDOUT, kipc_recv(&s, self->ep, 200 * MS));
	EXPECT_EQ(EMSGSIZE, reap(pid));
	/* With one: copied before the send returns; no reply right. */
	ASSERT_EQ(0, kipc_rbuf_set(&s, rbuf, sizeof(rbuf)));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(child_op(self->ep, KIPC_IOC_SEND, 3, a + 8, 4096, KIPC_WIN_READ));
	ASSERT_EQ(0, kipc_recv(&s, self->ep, INF));
	EXPECT_EQ(0, kipc_tag(&s) & KIPC_TAG_F_CALL);
	EXPECT_EQ(3, KIPC_TAG_LABEL(kipc_tag(&s)));
	EXPECT_EQ(KIPC_WIN_READ | KIPC_WIN_COPIED, kipc_win_flags(&s, 0));
	EXPECT_EQ(0, memcmp(rbuf, a + 8, 4096));
	EXPECT_EQ(-ENOENT, kipc_reply(&s, 0));
	EXPECT_EQ(0, reap(pid));
	/* Too long for the buffer: EMSGSIZE. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid)
		_exit(child_op(self->ep, KIPC_IOC_SEND, 3, a, 4097, KIPC_WIN_READ));
	EXPECT_EQ(-ETIMEDOUT, kipc_recv(&s, self->ep, 200 * MS));
	EXPECT_EQ(EMSGSIZE, reap(pid));
	/* A window that is not there: the sender fails, nothing copied. */
	memset(rbuf, 0, sizeof(rbuf));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		munmap(a, 8192);
		_exit(child_op(self->ep, KIPC_IOC_SEND, 4, a, 4096, KIPC_WIN_READ));
	}
	ASSERT_EQ(0, kipc_recv(&s, self->ep, INF));
	EXPECT_EQ(4, KIPC_TAG_LABEL(kipc_tag(&s)));
	EXPECT_EQ(KIPC_WIN_READ, kipc_win_flags(&s, 0));
	EXPECT_EQ(EFAULT, reap(pid));
	kipc_ctx_close(&s);
}

/*
 * Hostile memory.  A userfaultfd range stalls whoever faults on it until
 * its handler answers; a window's copies must never let one side's stall
 * hold the other: a server stuck on a fault in its own buffer does not
 * keep its caller from timing out, and a caller's window under
 * userfaultfd fails the server's access at once instead of stalling it.
 */
static int uffd_range(void *addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (uintptr_t)addr, len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		close(fd);
		return -errno;
	}
	return fd;
}

struct stuck {
	struct kipc_ctx *c;
	void *buf;
	volatile ssize_t ret;
	volatile int done;
};

static void *stuck_read(void *arg)
{
	struct stuck *st = arg;

	st->ret = kipc_win_read(st->c, 0, 0, st->buf, 4096);
	st->done = 1;
	return NULL;
}

TEST_F(window, server_stalled_on_its_own_fault_holds_nobody)
{
	unsigned char *a = map(4096), *trap = map(4096);
	struct stuck st = { 0 };
	uint64_t t0;
	pthread_t t;
	pid_t pid;
	int uffd;

	ASSERT_TRUE(a && trap);
	uffd = uffd_range(trap, 4096);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(-uffd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct kipc_ctx c;
		uint64_t start, took;
		int ret;

		ctx_open(&c);
		kipc_win_set(&c, 0, a, 4096, KIPC_WIN_READ);
		start = now_ns();
		ret = kipc_call(&c, self->ep, KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1),
				300 * MS);
		took = now_ns() - start;
		/* Its own deadline, not the server's stall (until we end it). */
		_exit(ret == -ETIMEDOUT && took < 2000 * MS ? 0 : 1);
	}
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	st.c = &self->c;
	st.buf = trap;
	ASSERT_EQ(0, pthread_create(&t, NULL, stuck_read, &st));
	t0 = now_ns();
	EXPECT_EQ(0, reap(pid));
	EXPECT_LT(now_ns() - t0, 2500 * MS);
	sleep_ms(100);
	EXPECT_FALSE(st.done);		/* still stuck on its own page */
	/* Let the fault go: the server's access ends, the call being over. */
	close(uffd);
	pthread_join(t, NULL);
	EXPECT_TRUE(st.ret == -ECONNRESET || st.ret == -EFAULT) TH_LOG("%zd", st.ret);
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, 0));
}

TEST_F(window, caller_window_under_userfaultfd_fails_at_once)
{
	unsigned char *trap = map(8192), b[16];
	pid_t pid;
	int uffd;
	uint64_t t0;

	ASSERT_TRUE(trap != NULL);
	/* The child registers its own window's pages, never populated. */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int fd = uffd_range(trap, 8192);
		struct kipc_ctx c;

		if (fd < 0)
			_exit(fd == -EPERM || fd == -ENOSYS ? 2 : 1);
		ctx_open(&c);
		kipc_win_set(&c, 0, trap, 8192, KIPC_WIN_READ | KIPC_WIN_WRITE);
		_exit(kipc_call(&c, self->ep, KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1),
				INF) ? 1 : 0);
	}
	uffd = kipc_recv(&self->c, self->ep, 5000 * MS);
	if (uffd) {
		EXPECT_EQ(2, reap(pid));
		SKIP(return, "userfaultfd not available");
	}
	t0 = now_ns();
	EXPECT_EQ(-EFAULT, kipc_win_read(&self->c, 0, 0, b, sizeof(b)));
	EXPECT_EQ(-EFAULT, kipc_win_write(&self->c, 0, 4096, b, sizeof(b)));
	EXPECT_LT(now_ns() - t0, 1000 * MS);
	EXPECT_EQ(0, kipc_reply(&self->c, 0));
	EXPECT_EQ(0, reap(pid));
}

/*
 * The caller's other thread unmaps the window while the server copies
 * from it: the server's accesses fail with EFAULT from then on, nothing
 * else happens, and the call ends as usual.
 */
struct unmapper {
	int ep;
	unsigned char *addr;
	size_t len;
	volatile int go;
	int ret;
};

static void *unmap_later(void *arg)
{
	struct unmapper *u = arg;

	while (!u->go)
		sleep_ms(1);
	sleep_ms(50);
	munmap(u->addr, u->len);
	return NULL;
}

static void *call_with_window(void *arg)
{
	struct unmapper *u = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	kipc_win_set(&c, 0, u->addr, u->len, KIPC_WIN_READ);
	u->ret = kipc_call(&c, u->ep, KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1), INF);
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(window, unmapped_by_the_caller_during_the_call)
{
	struct unmapper u = { .ep = self->ep, .len = 8 << 20 };
	unsigned char *b = malloc(1 << 20);
	pthread_t tc, tu;
	long ok = 0;
	ssize_t n;

	u.addr = map(u.len);
	ASSERT_TRUE(u.addr && b);
	memset(u.addr, 3, u.len);
	ASSERT_EQ(0, pthread_create(&tc, NULL, call_with_window, &u));
	ASSERT_EQ(0, pthread_create(&tu, NULL, unmap_later, &u));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	u.go = 1;
	for (;;) {
		n = kipc_win_read(&self->c, 0, (ok % 8) << 20, b, 1 << 20);
		if (n != 1 << 20)
			break;
		ASSERT_EQ(3, b[4321]);
		ok++;
	}
	EXPECT_EQ(-EFAULT, n);
	EXPECT_EQ(-EFAULT, kipc_win_read(&self->c, 0, 0, b, 1));
	EXPECT_EQ(0, kipc_reply(&self->c, 0));
	pthread_join(tu, NULL);
	pthread_join(tc, NULL);
	EXPECT_EQ(0, u.ret);
	TH_LOG("%ld reads of 1 MiB before the unmap", ok);
	free(b);
}

/*
 * Into pages the server never touched, page-aligned: every 64 KiB piece
 * starts on a page that is not there yet.  Each is faulted in and the
 * read goes on (it once counted those faults across pieces and gave up
 * with EFAULT at the third).
 */
static int run_fresh(struct partner *p)
{
	struct script *s = p->arg;
	unsigned char *buf = map(s->len);
	int bad = 0;

	if (!buf)
		return __LINE__;
	if (kipc_win_read(&p->c, 0, 0, buf, s->len) != (ssize_t)s->len ||
	    !same(buf, s->len, 6))
		bad = __LINE__;
	munmap(buf, s->len);
	return bad;
}

TEST_F(window, read_into_fresh_pages)
{
	struct script s = { run_fresh, 1 << 20, 1, 0 };
	unsigned char *in = map(s.len);
	struct partner srv;

	ASSERT_TRUE(in != NULL);
	fill(in, s.len, 6);
	ASSERT_EQ(0, partner_start(&srv, self->ep, serve_one, &s));
	kipc_win_set(&self->c, 0, in, s.len, KIPC_WIN_READ);
	ASSERT_EQ(0, kipc_call(&self->c, self->ep,
			       KIPC_TAG_WITH_WINS(KIPC_TAG(LABEL, 0), 1), INF));
	EXPECT_EQ(0, partner_join(&srv));
	EXPECT_EQ(LABEL + 1, KIPC_TAG_LABEL(kipc_tag(&self->c)));
}

/*
 * The server's own memory goes as the copies run: another of its threads
 * drops the pages of the buffer it reads into (MADV_DONTNEED) over and
 * over.  Every read still copies the whole window: our memory that is
 * faulted in and gone again before the copy reaches it is no EFAULT, as
 * often as it happens (the stress met it under memory compaction).
 */
struct dropper {
	unsigned char *buf;
	size_t len;
	int stop;
	long drops;
};

static void *drop_pages(void *arg)
{
	struct dropper *d = arg;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		madvise(d->buf, d->len, MADV_DONTNEED);
		d->drops++;
	}
	return NULL;
}

TEST_F(window, server_memory_dropped_during_reads)
{
	struct dropper d = { .len = 256 << 10 };
	unsigned char *in = map(d.len);
	struct unmapper u = { .ep = self->ep, .len = d.len };
	uint64_t t0;
	pthread_t tc, td;
	long reads = 0;
	ssize_t n = 0;

	d.buf = map(d.len);
	ASSERT_TRUE(in && d.buf);
	fill(in, d.len, 5);
	u.addr = in;
	ASSERT_EQ(0, pthread_create(&tc, NULL, call_with_window, &u));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0, pthread_create(&td, NULL, drop_pages, &d));
	/* Bounded: 2,000 reads of 256 KiB or 3 s. */
	t0 = now_ns();
	while (reads < 2000 && now_ns() - t0 < 3000000000ull) {
		n = kipc_win_read(&self->c, 0, 0, d.buf, d.len);
		if (n != (ssize_t)d.len)
			break;
		reads++;
	}
	__atomic_store_n(&d.stop, 1, __ATOMIC_RELEASE);
	pthread_join(td, NULL);
	EXPECT_EQ((ssize_t)d.len, n);
	EXPECT_EQ((ssize_t)d.len, kipc_win_read(&self->c, 0, 0, d.buf, d.len));
	EXPECT_TRUE(same(d.buf, d.len, 5));
	EXPECT_EQ(0, kipc_reply(&self->c, 0));
	pthread_join(tc, NULL);
	EXPECT_EQ(0, u.ret);
	TH_LOG("%ld reads of 256 KiB, %ld drops", reads, d.drops);
}

/*
 * A call parked by a signal: its windows close (a server's access fails
 * with EAGAIN) while its task is back in user space, and nothing lands in
 * the caller's memory meanwhile.  Stopped (no handler), the call resumes
 * and its windows open again; a handler ends the call (EINTR, the windows
 * with it), and so does leaving it with siglongjmp() (at the context's
 * next operation).
 */
static struct parked {
	int ep;
	unsigned char buf[8192];
	volatile int in_handler, longjmp_out, ret;
	sigjmp_buf env;
} pk;

static void parked_handler(int sig)
{
	unsigned char snap[16];

	memcpy(snap, pk.buf, sizeof(snap));
	pk.in_handler = 1;
	sleep_ms(300);
	/* Nothing landed while we ran. */
	if (memcmp(snap, pk.buf, sizeof(snap)))
		pk.ret = -1000;
	pk.in_handler = 2;
	if (pk.longjmp_out)
		siglongjmp(pk.env, 1);
}

static void *parked_caller(void *arg)
{
	struct kipc_ctx c;

	ctx_open(&c);
	memset(pk.buf, 0, sizeof(pk.buf));
	kipc_win_set(&c, 0, pk.buf, sizeof(pk.buf), KIPC_WIN_WRITE);
	if (sigsetjmp(pk.env, 1) == 0) {
		int r = kipc_call(&c, pk.ep, KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1), INF);

		if (!pk.ret)
			pk.ret = r;
	} else {
		/* Left the call for good: the next operation abandons it. */
		sleep_ms(200);
		kipc_recv(&c, pk.ep, KIPC_TIMEOUT_POLL);
		pk.ret = 1;
	}
	kipc_ctx_close(&c);
	return NULL;
}

/* A write into window 0 once it is not EAGAIN any more (2 s at most). */
static ssize_t write_when_open(struct kipc_ctx *s, uint64_t off, unsigned char *b)
{
	ssize_t n = -EAGAIN;

	for (int i = 0; i < 2000 && n == -EAGAIN; i++) {
		n = kipc_win_write(s, 0, off, b, 64);
		if (n == -EAGAIN)
			sleep_ms(1);
	}
	return n;
}

static void parked_windows(struct __test_metadata *_metadata, int ep, bool out)
{
	struct sigaction sa;
	struct kipc_ctx s;
	unsigned char b[64];
	pthread_t t;

	memset(&pk, 0, sizeof(pk));
	pk.ep = ep;
	pk.longjmp_out = out;
	memset(b, 0x5c, sizeof(b));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = parked_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	ctx_open(&s);
	ASSERT_EQ(0, pthread_create(&t, NULL, parked_caller, NULL));
	ASSERT_EQ(0, kipc_recv(&s, ep, INF));
	ASSERT_EQ(64, kipc_win_write(&s, 0, 0, b, 64));
	pthread_kill(t, SIGUSR1);
	while (!pk.in_handler)
		sleep_ms(1);
	EXPECT_EQ(-EAGAIN, kipc_win_write(&s, 0, 100, b, 64));
	while (pk.in_handler != 2)
		sleep_ms(1);
	/* The handler ran: the call is over, and its windows. */
	EXPECT_EQ(-ECONNRESET, write_when_open(&s, 100, b));
	pthread_join(t, NULL);
	EXPECT_EQ(out ? 1 : -EINTR, pk.ret);
	EXPECT_EQ(0x5c, pk.buf[63]);
	EXPECT_EQ(0, pk.buf[163]);	/* never written */
	EXPECT_EQ(-ECONNRESET, kipc_reply(&s, 0));
	kipc_ctx_close(&s);
	signal(SIGUSR1, SIG_DFL);
}

TEST_F(window, handler_ends_a_parked_call_and_its_windows)
{
	parked_windows(_metadata, self->ep, false);
}

TEST_F(window, windows_of_a_call_left_by_siglongjmp_stay_closed)
{
	parked_windows(_metadata, self->ep, true);
}

/* Stopped: closed while it is, open again once it goes on; same outcome. */
TEST_F(window, stopped_caller_keeps_its_call_and_windows)
{
	unsigned char *buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	unsigned char b[64];
	char path[64], st[256];
	pid_t pid;

	ASSERT_NE(MAP_FAILED, buf);
	memset(b, 0x6d, sizeof(b));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		struct kipc_ctx c;

		ctx_open(&c);
		kipc_win_set(&c, 0, buf, 4096, KIPC_WIN_WRITE);
		_exit(-kipc_call(&c, self->ep, KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 1), INF));
	}
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	kill(pid, SIGSTOP);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	for (int i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "r");
		char *p = NULL;

		if (f) {
			p = fgets(st, sizeof(st), f);
			fclose(f);
		}
		if (p && strstr(st, ") T "))
			break;
		sleep_ms(1);
	}
	ASSERT_TRUE(strstr(st, ") T ") != NULL);
	EXPECT_EQ(-EAGAIN, kipc_win_write(&self->c, 0, 0, b, 64));
	EXPECT_EQ(0, buf[0]);
	kill(pid, SIGCONT);
	EXPECT_EQ(64, write_when_open(&self->c, 0, b));
	EXPECT_EQ(0, kipc_reply(&self->c, 0));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0x6d, buf[0]);
}

/* examples/file-server: three files through its callers' windows. */
TEST(example_file_server)
{
	static const char *const paths[] = {
		"/examples/file-server", "build/examples/file-server",
	};
	static const size_t sizes[] = { 0, 100, 300000, (1 << 20) + 7 };
	char dir[] = "/tmp/kipc-files-XXXXXX", path[64];
	const char *prog = NULL;
	pid_t pid;

	for (int i = 0; i < 2 && !prog; i++)
		if (!access(paths[i], X_OK))
			prog = paths[i];
	if (!prog)
		SKIP(return, "examples/file-server is not built");
	ASSERT_NE(NULL, mkdtemp(dir));
	for (unsigned int i = 0; i < 4; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/f%u", dir, i);
		f = fopen(path, "w");
		ASSERT_NE(NULL, f);
		for (size_t b = 0; b < sizes[i]; b++)
			fputc((int)(mix(b) & 0xff), f);
		fclose(f);
	}
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		execl(prog, prog, dir, "f0", "f1", "f2", "f3", (char *)NULL);
		_exit(127);
	}
	EXPECT_EQ(0, reap(pid));
	/* A name with a '/' is refused by the server (the client fails). */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		execl(prog, prog, dir, "../etc/passwd", (char *)NULL);
		_exit(127);
	}
	EXPECT_EQ(1, reap(pid));
	for (unsigned int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/f%u", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

TEST_HARNESS_MAIN
