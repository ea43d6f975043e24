// SPDX-License-Identifier: GPL-2.0
/*
 * Basics of contexts and handles: the version query, the mmap rules of a
 * context, handle flags and fdinfo, minting, a context bound to the process
 * that opened it, one operation at a time per context, and EPIPE when one
 * side of an endpoint has no handle left.
 */
#include "kipc_test.h"

/* One IPC ioctl on the context fd @cfd, the message area left alone. */
static int ipc_raw(int cfd, unsigned long cmd, int fd, uint64_t send_to,
		   uint64_t recv_to)
{
	struct kipc_ipc a = {
		.fd = fd,
		.send_timeout = send_to,
		.recv_timeout = recv_to,
	};

	return ioctl(cfd, cmd, &a) < 0 ? -errno : 0;
}

static int fd_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	return fl < 0 ? -1 : !!(fl & FD_CLOEXEC);
}

/* A thread with its own context that sends or receives one message. */
struct peer {
	int ep;
	uint64_t tag;
	uint64_t seed;
	int ret;
	pid_t tid;
	uint64_t got_tag;
	uint64_t got_badge;
	int got_ok;
};

static void *peer_send(void *arg)
{
	struct peer *p = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	p->tid = gettid_();
	fill_mrs(kipc_mr(&c), KIPC_TAG_NR(p->tag), p->seed);
	p->ret = kipc_send(&c, p->ep, p->tag, INF);
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * Receive one message through @ep on @c while a thread sends @tag with
 * registers seeded by @seed through @sep; returns the delivered badge.
 */
static uint64_t xfer_badge(struct __test_metadata *_metadata,
			   struct kipc_ctx *c, int ep, int sep, uint64_t tag,
			   uint64_t seed)
{
	struct peer p = { .ep = sep, .tag = tag, .seed = seed };
	pthread_t t;

	c->utcb->badge = 0xbadbadbadULL;
	ASSERT_EQ(0, pthread_create(&t, NULL, peer_send, &p));
	EXPECT_EQ(0, kipc_recv(c, ep, INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(tag, kipc_tag(c));
	EXPECT_EQ(0, check_mrs(kipc_mr(c), KIPC_TAG_NR(tag), seed));
	return c->utcb->badge;
}

KIPC_FIXTURE(basic)

/* VERSION reports the ABI of the header and writes every byte. */
TEST_F(basic, version)
{
	struct kipc_version v;
	const uint64_t feat = KIPC_FEAT_UTCB | KIPC_FEAT_BADGE | KIPC_FEAT_CREDS |
			      KIPC_FEAT_FDS | KIPC_FEAT_NAMES | KIPC_FEAT_CALLER |
			      KIPC_FEAT_LIMITS;

	memset(&v, 0xff, sizeof(v));
	ASSERT_EQ(0, ioctl(self->c.fd, KIPC_IOC_VERSION, &v));
	EXPECT_EQ(KIPC_ABI_MAJOR, v.abi_major);
	EXPECT_EQ(KIPC_ABI_MINOR, v.abi_minor);
	EXPECT_EQ(64, v.msg_regs);
	EXPECT_EQ(KIPC_MSG_REGS, v.msg_regs);
	EXPECT_EQ(KIPC_UTCB_SIZE, v.utcb_size);
	EXPECT_EQ(feat, v.features & feat);
	for (int i = 0; i < 4; i++) {
		EXPECT_EQ(0, v.__reserved[i]);
	}
	/* Through the library as well. */
	memset(&v, 0xff, sizeof(v));
	ASSERT_EQ(0, kipc_version(&self->c, &v));
	EXPECT_EQ(KIPC_ABI_MAJOR, v.abi_major);
}

/* Only offset 0 can be mapped. */
TEST_F(basic, mmap_offset_not_zero)
{
	void *p;

	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->c.fd, KIPC_UTCB_SIZE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->c.fd, 16 * KIPC_UTCB_SIZE);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* Offset 0 still maps. */
	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->c.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, KIPC_UTCB_SIZE);
}

/* The mapping is exactly one page. */
TEST_F(basic, mmap_length)
{
	void *p;

	p = mmap(NULL, 2 * KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->c.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, 64 * KIPC_UTCB_SIZE, PROT_READ, MAP_SHARED,
		 self->c.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	/* Less than a page is rounded up to the one page. */
	p = mmap(NULL, 100, PROT_READ | PROT_WRITE, MAP_SHARED, self->c.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, 100);
}

/* A private mapping would be copied on write and detach: refused. */
TEST_F(basic, mmap_private_refused)
{
	void *p;

	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->c.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ, MAP_PRIVATE, self->c.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EINVAL, errno);
}

/* The message area never becomes executable. */
TEST_F(basic, mmap_no_exec)
{
	void *p;

	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_EXEC, MAP_SHARED,
		 self->c.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);
	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_SHARED, self->c.fd, 0);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(EPERM, errno);

	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->c.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, mprotect(p, KIPC_UTCB_SIZE, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	/* mprotect itself works on it. */
	EXPECT_EQ(0, mprotect(p, KIPC_UTCB_SIZE, PROT_READ));
	munmap(p, KIPC_UTCB_SIZE);
	/* The library's own mapping as well. */
	EXPECT_EQ(-1, mprotect(self->c.utcb, KIPC_UTCB_SIZE,
			       PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
}

struct recv_on {
	struct kipc_ctx *c;
	int ep;
	int ret;
};

static void *recv_on_ctx(void *arg)
{
	struct recv_on *r = arg;

	r->ret = kipc_recv(r->c, r->ep, INF);
	return NULL;
}

/*
 * The mapping is the kernel's page: registers written through a second
 * mapping of the sender's context are what the kernel sends, and what it
 * writes into the receiver's page shows in every mapping of it.
 */
TEST_F(basic, mapping_is_shared_with_kernel)
{
	struct kipc_ctx r;
	struct kipc_utcb *s2, *r2;
	struct recv_on ro;
	pthread_t t;

	ctx_open(&r);
	ro = (struct recv_on){ .c = &r, .ep = self->ep };
	s2 = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		  self->c.fd, 0);
	ASSERT_NE(MAP_FAILED, s2);
	r2 = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ, MAP_SHARED, r.fd, 0);
	ASSERT_NE(MAP_FAILED, r2);
	ASSERT_NE(s2, self->c.utcb);

	fill_mrs(s2->mr, 8, 31);
	s2->tag = KIPC_TAG(0xabc, 8);
	EXPECT_EQ(0, check_mrs(self->c.utcb->mr, 8, 31));
	EXPECT_EQ(KIPC_TAG(0xabc, 8), self->c.utcb->tag);

	ASSERT_EQ(0, pthread_create(&t, NULL, recv_on_ctx, &ro));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	/* Raw ioctl: the tag is the one written through s2. */
	EXPECT_EQ(0, ipc_raw(self->c.fd, KIPC_IOC_SEND, self->ep, INF, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(0, ro.ret);
	EXPECT_EQ(KIPC_TAG(0xabc, 8), r.utcb->tag);
	EXPECT_EQ(0, check_mrs(r.utcb->mr, 8, 31));
	EXPECT_EQ(KIPC_TAG(0xabc, 8), r2->tag);
	EXPECT_EQ(0, check_mrs(r2->mr, 8, 31));
	EXPECT_EQ(getpid(), r2->pid);

	munmap(s2, KIPC_UTCB_SIZE);
	munmap(r2, KIPC_UTCB_SIZE);
	kipc_ctx_close(&r);
}

/* Handles are O_CLOEXEC unless KIPC_FD_INHERIT, for create and mint. */
TEST_F(basic, handle_cloexec)
{
	int a, b, m;

	EXPECT_EQ(1, fd_cloexec(self->ep));
	a = kipc_ep_create(&self->c, KIPC_FD_INHERIT);
	ASSERT_GE(a, 0);
	EXPECT_EQ(0, fd_cloexec(a));

	m = kipc_ep_mint(&self->c, a, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(m, 0);
	EXPECT_EQ(1, fd_cloexec(m));
	close(m);
	m = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0,
			 KIPC_FD_INHERIT);
	ASSERT_GE(m, 0);
	EXPECT_EQ(0, fd_cloexec(m));
	close(m);
	m = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 9,
			 KIPC_FD_INHERIT | KIPC_MINT_BADGE);
	ASSERT_GE(m, 0);
	EXPECT_EQ(0, fd_cloexec(m));
	close(m);

	b = kipc_ep_create(&self->c, 0);
	ASSERT_GE(b, 0);
	EXPECT_EQ(1, fd_cloexec(b));
	close(b);
	close(a);
}

/*
 * A context cannot seek (nonseekable_open() and no .llseek: ESPIPE on every
 * kernel, before and after no_llseek went away in 6.12); lseek on a handle
 * is a no-op (noop_llseek).
 */
TEST_F(basic, lseek)
{
	errno = 0;
	EXPECT_EQ(-1, lseek(self->c.fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	errno = 0;
	EXPECT_EQ(-1, lseek(self->c.fd, 0, SEEK_CUR));
	EXPECT_EQ(ESPIPE, errno);
	EXPECT_EQ(0, lseek(self->ep, 0, SEEK_CUR));
	EXPECT_EQ(0, lseek(self->ep, 100, SEEK_SET));
}

/* A new endpoint: one handle with every right and badge 0. */
TEST_F(basic, fdinfo_new_endpoint)
{
	int other;

	EXPECT_EQ(0x7, fdinfo_value(0, self->ep, "rights"));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "badge"));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "send-handles"));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "recv-handles"));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
	EXPECT_LT(0, fdinfo_value(0, self->ep, "kipc-endpoint"));

	/* Another endpoint is another object. */
	other = kipc_ep_create(&self->c, 0);
	ASSERT_GE(other, 0);
	EXPECT_NE(fdinfo_value(0, self->ep, "kipc-endpoint"),
		  fdinfo_value(0, other, "kipc-endpoint"));
	close(other);
}

/* A send-only handle: rights 0x1, counted as a sender, usable to send. */
TEST_F(basic, mint_send_only)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);

	ASSERT_GE(s, 0);
	EXPECT_EQ(0x1, fdinfo_value(0, s, "rights"));
	EXPECT_EQ(0, fdinfo_value(0, s, "badge"));
	EXPECT_EQ(fdinfo_value(0, self->ep, "kipc-endpoint"),
		  fdinfo_value(0, s, "kipc-endpoint"));
	EXPECT_EQ(2, fdinfo_value(0, self->ep, "send-handles"));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "recv-handles"));
	EXPECT_EQ(0x7, fdinfo_value(0, self->ep, "rights"));

	EXPECT_EQ(0, xfer_badge(_metadata, &self->c, self->ep, s,
				KIPC_TAG(1, 3), 11));
	close(s);
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "send-handles"));
}

/* A badged handle shows its badge and delivers it. */
TEST_F(basic, mint_badge)
{
	int b = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0x5eed,
			     KIPC_MINT_BADGE);
	int r;

	ASSERT_GE(b, 0);
	EXPECT_EQ(0x1, fdinfo_value(0, b, "rights"));
	EXPECT_EQ(0x5eed, fdinfo_value(0, b, "badge"));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "badge"));
	EXPECT_EQ(0x5eed, xfer_badge(_metadata, &self->c, self->ep, b,
				     KIPC_TAG(2, 1), 12));

	/* All rights plus a badge. */
	r = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHTS_ALL, 0x77,
			 KIPC_MINT_BADGE);
	ASSERT_GE(r, 0);
	EXPECT_EQ(0x7, fdinfo_value(0, r, "rights"));
	EXPECT_EQ(0x77, fdinfo_value(0, r, "badge"));
	close(r);
	close(b);
}

/*
 * Minting from a badged handle without KIPC_MINT_BADGE keeps the badge; a
 * badged holder of RECV may choose a new one.
 */
TEST_F(basic, mint_keeps_badge)
{
	int b, s, s2, rb;

	b = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHTS_ALL, 0xb0b,
			 KIPC_MINT_BADGE);
	ASSERT_GE(b, 0);
	s = kipc_ep_mint(&self->c, b, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(s, 0);
	EXPECT_EQ(0x1, fdinfo_value(0, s, "rights"));
	EXPECT_EQ(0xb0b, fdinfo_value(0, s, "badge"));
	s2 = kipc_ep_mint(&self->c, s, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(s2, 0);
	EXPECT_EQ(0xb0b, fdinfo_value(0, s2, "badge"));
	EXPECT_EQ(0xb0b, xfer_badge(_metadata, &self->c, self->ep, s2,
				    KIPC_TAG(3, 2), 13));

	rb = kipc_ep_mint(&self->c, b, KIPC_RIGHT_SEND, 0xd00d, KIPC_MINT_BADGE);
	ASSERT_GE(rb, 0);
	EXPECT_EQ(0xd00d, fdinfo_value(0, rb, "badge"));
	EXPECT_EQ(0xb0b, fdinfo_value(0, b, "badge"));
	EXPECT_EQ(0xd00d, xfer_badge(_metadata, &self->c, self->ep, rb,
				     KIPC_TAG(4, 0), 14));
	close(rb);
	close(s2);
	close(s);
	close(b);
}

/* Rights never grow, whatever the handle minted from. */
TEST_F(basic, mint_rights_never_grow)
{
	static const struct {
		unsigned int from, want;
	} bad[] = {
		{ KIPC_RIGHT_SEND, KIPC_RIGHT_RECV },
		{ KIPC_RIGHT_SEND, KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT },
		{ KIPC_RIGHT_SEND, KIPC_RIGHTS_ALL },
		{ KIPC_RIGHT_RECV, KIPC_RIGHT_SEND },
		{ KIPC_RIGHT_RECV | KIPC_RIGHT_GRANT, KIPC_RIGHTS_ALL },
		{ KIPC_RIGHT_GRANT, KIPC_RIGHT_SEND },
		{ KIPC_RIGHT_SEND | KIPC_RIGHT_RECV, KIPC_RIGHT_GRANT },
	};

	for (int i = 0; i < ARRAY_SIZE(bad); i++) {
		int from = kipc_ep_mint(&self->c, self->ep, bad[i].from, 0, 0);
		int ok;

		ASSERT_GE(from, 0);
		EXPECT_EQ(bad[i].from, fdinfo_value(0, from, "rights"));
		EXPECT_EQ(-EPERM, kipc_ep_mint(&self->c, from, bad[i].want, 0, 0))
			TH_LOG("case %d: %#x from %#x", i, bad[i].want, bad[i].from);
		/* The same rights, or fewer, are fine. */
		ok = kipc_ep_mint(&self->c, from, bad[i].from, 0, 0);
		EXPECT_GE(ok, 0);
		EXPECT_EQ(bad[i].from, fdinfo_value(0, ok, "rights"));
		close(ok);
		close(from);
	}
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "send-handles"));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "recv-handles"));
}

/* Only a holder of RECV can choose a badge, even badge 0. */
TEST_F(basic, mint_badge_needs_recv)
{
	int s = kipc_ep_mint(&self->c, self->ep,
			     KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT, 0, 0);
	int b, r, ok;

	ASSERT_GE(s, 0);
	EXPECT_EQ(-EPERM, kipc_ep_mint(&self->c, s, KIPC_RIGHT_SEND, 7,
				       KIPC_MINT_BADGE));
	EXPECT_EQ(-EPERM, kipc_ep_mint(&self->c, s, KIPC_RIGHT_SEND, 0,
				       KIPC_MINT_BADGE));
	/* A badged send-only handle cannot re-badge itself either. */
	b = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 5, KIPC_MINT_BADGE);
	ASSERT_GE(b, 0);
	EXPECT_EQ(-EPERM, kipc_ep_mint(&self->c, b, KIPC_RIGHT_SEND, 6,
				       KIPC_MINT_BADGE));
	EXPECT_EQ(-EPERM, kipc_ep_mint(&self->c, b, KIPC_RIGHT_SEND, 0,
				       KIPC_MINT_BADGE));
	EXPECT_EQ(5, xfer_badge(_metadata, &self->c, self->ep, b,
				KIPC_TAG(5, 1), 15));

	/* A recv-only holder may badge (a send handle it cannot make). */
	r = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0);
	ASSERT_GE(r, 0);
	ok = kipc_ep_mint(&self->c, r, KIPC_RIGHT_RECV, 8, KIPC_MINT_BADGE);
	EXPECT_GE(ok, 0);
	EXPECT_EQ(8, fdinfo_value(0, ok, "badge"));
	close(ok);
	close(r);
	close(b);
	close(s);
}

struct ctx_ep {
	struct kipc_ctx *c;
	int ep;
};

static int fork_child_ops(void *arg)
{
	struct kipc_ctx *pc = ((struct ctx_ep *)arg)->c;
	int ep = ((struct ctx_ep *)arg)->ep;
	static const unsigned long ipc_cmds[] = {
		KIPC_IOC_SEND, KIPC_IOC_RECV, KIPC_IOC_CALL,
		KIPC_IOC_REPLY_RECV,
	};
	struct kipc_version v;
	struct kipc_ep_create cr = { 0 };
	struct kipc_ep_mint mi = { .fd = ep, .rights = KIPC_RIGHT_SEND };
	struct kipc_ctx own;
	void *p;
	int i;

	if (ioctl(pc->fd, KIPC_IOC_VERSION, &v) != -1 || errno != EPERM)
		return 1;
	if (ioctl(pc->fd, KIPC_IOC_EP_CREATE, &cr) != -1 || errno != EPERM)
		return 2;
	if (ioctl(pc->fd, KIPC_IOC_EP_MINT, &mi) != -1 || errno != EPERM)
		return 3;
	for (i = 0; i < ARRAY_SIZE(ipc_cmds); i++)
		if (ipc_raw(pc->fd, ipc_cmds[i], ep, 0, 0) != -EPERM)
			return 10 + i;
	if (ipc_raw(pc->fd, KIPC_IOC_REPLY, -1, 0, 0) != -EPERM)
		return 4;
	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 pc->fd, 0);
	if (p != MAP_FAILED || errno != EPERM)
		return 5;

	/* A context of its own works, and sends to the parent. */
	if (kipc_ctx_open(&own))
		return 6;
	if (kipc_version(&own, &v) || v.abi_major != KIPC_ABI_MAJOR)
		return 7;
	fill_mrs(kipc_mr(&own), 4, 44);
	if (kipc_send(&own, ep, KIPC_TAG(44, 4), INF))
		return 8;
	return 0;
}

/* After fork the child may neither use nor map the parent's context. */
TEST_F(basic, fork_child_gets_eperm)
{
	struct ctx_ep arg = { &self->c, self->ep };
	pid_t pid;

	pid = spawn(fork_child_ops, &arg);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(KIPC_TAG(44, 4), kipc_tag(&self->c));
	EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 4, 44));
	EXPECT_EQ(pid, self->c.utcb->pid);
	EXPECT_EQ(0, reap(pid));
}

static int touch_utcb(void *arg)
{
	volatile struct kipc_utcb *u = arg;

	return (int)(u->tag & 1) + 1;
}

/* The parent's mapping is not in the child: touching it faults. */
TEST_F(basic, fork_mapping_not_inherited)
{
	static volatile uint64_t plain = 5;
	pid_t pid;

	self->c.utcb->tag = 0x1234;
	pid = spawn(touch_utcb, self->c.utcb);
	ASSERT_GT(pid, 0);
	EXPECT_EQ(128 + SIGSEGV, reap(pid));
	/* The same child code on ordinary memory does not fault. */
	pid = spawn(touch_utcb, (void *)&plain);
	ASSERT_GT(pid, 0);
	EXPECT_EQ(2, reap(pid));
	/* The parent still has its mapping. */
	EXPECT_EQ(0x1234, self->c.utcb->tag);
}

/*
 * madvise(MADV_DOFORK) cannot undo that: a child would share the parent's
 * messages.  The mapping refuses it and stays out of the child.
 */
TEST_F(basic, madv_dofork_refused)
{
	pid_t pid;

	self->c.utcb->tag = 0x4321;
	EXPECT_EQ(-1, madvise(self->c.utcb, 4096, MADV_DOFORK));
	EXPECT_EQ(EINVAL, errno);
	pid = spawn(touch_utcb, self->c.utcb);
	ASSERT_GT(pid, 0);
	EXPECT_EQ(128 + SIGSEGV, reap(pid));
	EXPECT_EQ(0x4321, self->c.utcb->tag);
}

/* A debugger still reads and writes the area (/proc/PID/mem, ptrace). */
TEST_F(basic, area_readable_through_proc_mem)
{
	uint64_t v = 0;
	int fd = open("/proc/self/mem", O_RDWR);

	ASSERT_GE(fd, 0);
	kipc_mr(&self->c)[3] = 0xfeedf00d;
	EXPECT_EQ(sizeof(v), pread(fd, &v, sizeof(v),
				   (off_t)(uintptr_t)&kipc_mr(&self->c)[3]));
	EXPECT_EQ(0xfeedf00d, v);
	v = 0xabcdef;
	EXPECT_EQ(sizeof(v), pwrite(fd, &v, sizeof(v),
				    (off_t)(uintptr_t)&kipc_mr(&self->c)[4]));
	EXPECT_EQ(0xabcdef, kipc_mr(&self->c)[4]);
	close(fd);
}

/* A second operation on a context that is blocked fails with EBUSY. */
TEST_F(basic, busy_context)
{
	struct recv_on ro = { .c = &self->c, .ep = self->ep };
	struct kipc_ctx y;
	pthread_t t;

	ctx_open(&y);
	memset(kipc_mr(&self->c), 0, 8 * sizeof(__u64));
	ASSERT_EQ(0, pthread_create(&t, NULL, recv_on_ctx, &ro));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));

	EXPECT_EQ(-EBUSY, ipc_raw(self->c.fd, KIPC_IOC_RECV, self->ep, 0, 0));
	EXPECT_EQ(-EBUSY, ipc_raw(self->c.fd, KIPC_IOC_RECV, self->ep, 0, INF));
	EXPECT_EQ(-EBUSY, ipc_raw(self->c.fd, KIPC_IOC_SEND, self->ep, 0, 0));
	EXPECT_EQ(-EBUSY, ipc_raw(self->c.fd, KIPC_IOC_SEND, self->ep, INF, 0));
	EXPECT_EQ(-EBUSY, ipc_raw(self->c.fd, KIPC_IOC_CALL, self->ep, INF, INF));
	EXPECT_EQ(-EBUSY, ipc_raw(self->c.fd, KIPC_IOC_REPLY, -1, 0, 0));
	EXPECT_EQ(-EBUSY, ipc_raw(self->c.fd, KIPC_IOC_REPLY_RECV, self->ep, 0, 0));
	/* None of that took the receiver off the queue. */
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "receivers-waiting"));

	fill_mrs(kipc_mr(&y), 8, 21);
	EXPECT_EQ(0, kipc_send(&y, self->ep, KIPC_TAG(21, 8), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, ro.ret);
	EXPECT_EQ(KIPC_TAG(21, 8), kipc_tag(&self->c));
	EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 8, 21));

	/* Free again. */
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, 0));
	kipc_ctx_close(&y);
}

/* Send with no receive handle left: EPIPE at once, whatever the timeout. */
TEST_F(basic, epipe_no_receiver)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);

	ASSERT_GE(s, 0);
	EXPECT_EQ(-EAGAIN, kipc_send(&self->c, s, KIPC_TAG(1, 0), 0));
	close(self->ep);
	self->ep = -1;
	EXPECT_EQ(0, fdinfo_value(0, s, "recv-handles"));
	EXPECT_EQ(1, fdinfo_value(0, s, "send-handles"));
	EXPECT_EQ(-EPIPE, kipc_send(&self->c, s, KIPC_TAG(1, 0), INF));
	EXPECT_EQ(-EPIPE, kipc_send(&self->c, s, KIPC_TAG(1, 0), 0));
	EXPECT_EQ(-EPIPE, kipc_send(&self->c, s, KIPC_TAG(1, 0), 1000 * MS));
	EXPECT_EQ(-EPIPE, kipc_call(&self->c, s, KIPC_TAG(1, 0), INF));
	EXPECT_EQ(0, fdinfo_value(0, s, "senders-waiting"));
	close(s);
}

/* Receive with no send handle left: EPIPE at once. */
TEST_F(basic, epipe_no_sender)
{
	int r = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0);

	ASSERT_GE(r, 0);
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, r, 0));
	close(self->ep);
	self->ep = -1;
	EXPECT_EQ(0, fdinfo_value(0, r, "send-handles"));
	EXPECT_EQ(1, fdinfo_value(0, r, "recv-handles"));
	EXPECT_EQ(-EPIPE, kipc_recv(&self->c, r, INF));
	EXPECT_EQ(-EPIPE, kipc_recv(&self->c, r, 0));
	EXPECT_EQ(-EPIPE, kipc_recv(&self->c, r, 1000 * MS));
	EXPECT_EQ(-EPIPE, kipc_reply_recv(&self->c, r, 0, INF));
	EXPECT_EQ(0, fdinfo_value(0, r, "receivers-waiting"));
	close(r);
}

TEST_HARNESS_MAIN
