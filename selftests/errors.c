// SPDX-License-Identifier: GPL-2.0
/*
 * Invalid input: every error path of the ioctls gives its documented errno
 * and changes nothing; after the bad calls of a test a good operation on
 * the same context and endpoint still works.
 */
#include <limits.h>
#include <sys/resource.h>

#include "kipc_test.h"

#define PAGE	4096

static const unsigned long all_cmds[] = {
	KIPC_IOC_VERSION, KIPC_IOC_EP_CREATE, KIPC_IOC_EP_MINT,
	KIPC_IOC_SEND, KIPC_IOC_RECV, KIPC_IOC_CALL, KIPC_IOC_REPLY,
	KIPC_IOC_REPLY_RECV, KIPC_IOC_PUBLISH, KIPC_IOC_LOOKUP,
	KIPC_IOC_UNPUBLISH, KIPC_IOC_CALLER,
};

/* errno of an ioctl, 0 on success (a returned fd is closed). */
static int ioctl_err(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	if (ret < 0)
		return errno;
	if (ret > 0 && (cmd == KIPC_IOC_EP_CREATE || cmd == KIPC_IOC_EP_MINT))
		close(ret);
	return 0;
}

/* errno of an IPC ioctl with a complete argument. */
static int ipc_err(struct kipc_ctx *c, unsigned long cmd, int fd,
		   uint32_t flags, uint64_t r0, uint64_t r1)
{
	struct kipc_ipc a = {
		.fd = fd,
		.flags = flags,
		.send_timeout = KIPC_TIMEOUT_POLL,
		.recv_timeout = KIPC_TIMEOUT_POLL,
		.__reserved = { r0, r1 },
	};

	return ioctl_err(c->fd, cmd, &a);
}

/* The lowest free descriptor: shows that a failed call leaked none. */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* A thread with its own context that sends, receives or calls once. */
struct peer {
	int ep;
	uint64_t tag;
	uint64_t seed;
	int ret;
	uint64_t got_tag;
	int got_ok;		/* registers as sent */
	int rest_ok;		/* registers past the count untouched */
};

#define MARK(i)	(0xfeed000000000000ULL + (i))

/* Registers from @from on must still hold their marks. */
static void peer_check(struct peer *p, struct kipc_ctx *c, unsigned int from)
{
	unsigned int n;

	p->got_tag = kipc_tag(c);
	n = KIPC_TAG_NR(p->got_tag);
	p->got_ok = check_mrs(kipc_mr(c), n, p->seed);
	p->rest_ok = 0;
	for (unsigned int i = n > from ? n : from; i < KIPC_MSG_REGS; i++)
		if (kipc_mr(c)[i] != MARK(i))
			p->rest_ok = -1;
}

static void *peer_recv(void *arg)
{
	struct peer *p = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	for (int i = 0; i < KIPC_MSG_REGS; i++)
		kipc_mr(&c)[i] = MARK(i);
	p->ret = kipc_recv(&c, p->ep, INF);
	peer_check(p, &c, 0);
	p->ret = p->ret ? p->ret : kipc_reply(&c, 0) == -ENOENT ? 0 : -1000;
	kipc_ctx_close(&c);
	return NULL;
}

static void *peer_send(void *arg)
{
	struct peer *p = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	fill_mrs(kipc_mr(&c), KIPC_TAG_NR(p->tag), p->seed);
	p->ret = kipc_send(&c, p->ep, p->tag, INF);
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * Calls with @tag; the reply is checked against seed + 1, and the
 * registers past both counts must be untouched.
 */
static void *peer_call(void *arg)
{
	struct peer *p = arg;
	unsigned int n = KIPC_TAG_NR(p->tag);
	struct kipc_ctx c;

	ctx_open(&c);
	fill_mrs(kipc_mr(&c), n, p->seed);
	for (unsigned int i = n; i < KIPC_MSG_REGS; i++)
		kipc_mr(&c)[i] = MARK(i);
	p->ret = kipc_call(&c, p->ep, p->tag, INF);
	p->seed++;
	peer_check(p, &c, n);
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * The good operation after the bad ones: a message from @c through @ep to
 * another context, and one from another context to @c.
 */
static void prove_ok(struct __test_metadata *_metadata, struct kipc_ctx *c,
		     int ep)
{
	struct peer p = { .ep = ep, .seed = 700 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, peer_recv, &p));
	fill_mrs(kipc_mr(c), 6, 700);
	EXPECT_EQ(0, kipc_send(c, ep, KIPC_TAG(0x600d, 6), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(0x600d, 6), p.got_tag);
	EXPECT_EQ(0, p.got_ok);
	EXPECT_EQ(0, p.rest_ok);

	p = (struct peer){ .ep = ep, .tag = KIPC_TAG(0x600e, 5), .seed = 701 };
	ASSERT_EQ(0, pthread_create(&t, NULL, peer_send, &p));
	EXPECT_EQ(0, kipc_recv(c, ep, INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(0x600e, 5), kipc_tag(c));
	EXPECT_EQ(0, check_mrs(kipc_mr(c), 5, 701));
}

FIXTURE(err) {
	struct kipc_ctx c;
	int ep;
	void *zero;	/* a page of zeros: a harmless argument */
};

FIXTURE_SETUP(err)
{
	ctx_open(&self->c);
	self->ep = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->ep, 0);
	self->zero = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->zero);
}

FIXTURE_TEARDOWN(err)
{
	munmap(self->zero, PAGE);
	if (self->ep >= 0)
		close(self->ep);
	kipc_ctx_close(&self->c);
}

/* Numbers the module does not know: ENOTTY, nothing happens. */
TEST_F(err, unknown_ioctl)
{
	static const unsigned long cmds[] = {
		0, 1, 0xffffffffUL,
		_IO(KIPC_IOC_MAGIC, 0x03),
		_IOW(KIPC_IOC_MAGIC, 0x03, struct kipc_ep_create),
		_IOW(KIPC_IOC_MAGIC, 0x08, struct kipc_ep_create),
		_IOR(KIPC_IOC_MAGIC, 0x06, struct kipc_caller),
		_IOW(KIPC_IOC_MAGIC, 0x0f, struct kipc_ipc),
		_IOW(KIPC_IOC_MAGIC, 0x16, struct kipc_ipc),
		_IOW(KIPC_IOC_MAGIC, 0x20, struct kipc_ipc),
		_IO(KIPC_IOC_MAGIC, 0x17), _IO(KIPC_IOC_MAGIC, 0x20),
		_IOW(KIPC_IOC_MAGIC, 0x18, struct kipc_ipc),
		_IOW(KIPC_IOC_MAGIC, 0xff, struct kipc_ipc),
		/* A kipc number and size under another magic. */
		_IOW(KIPC_IOC_MAGIC + 1, 0x10, struct kipc_ipc),
		_IOR('k', 0x00, struct kipc_version),
		_IOW(0, 0x01, struct kipc_ep_create),
		FIONREAD, TCGETS,
	};
	int fd0 = next_fd();

	for (int i = 0; i < ARRAY_SIZE(cmds); i++) {
		EXPECT_EQ(ENOTTY, ioctl_err(self->c.fd, cmds[i], self->zero))
			TH_LOG("cmd %#lx", cmds[i]);
	}
	EXPECT_EQ(fd0, next_fd());
	prove_ok(_metadata, &self->c, self->ep);
}

/* A known number with another size or direction: ENOTTY. */
TEST_F(err, known_number_wrong_encoding)
{
	static const unsigned int sizes[] = { 0, 8, 24, 32, 40, 48, 56, 64, 4096 };
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	int fd0 = next_fd(), n = 0, same = 0;

	/* SEND's number with a 48-byte argument. */
	EXPECT_EQ(ENOTTY, ioctl_err(self->c.fd,
				    _IOW(KIPC_IOC_MAGIC, 0x10, char[48]),
				    self->zero));
	for (int i = 0; i < ARRAY_SIZE(all_cmds); i++) {
		unsigned long cmd = all_cmds[i];

		for (int d = 0; d < ARRAY_SIZE(dirs); d++) {
			for (int s = 0; s < ARRAY_SIZE(sizes); s++) {
				unsigned long bad = _IOC(dirs[d], KIPC_IOC_MAGIC,
							 _IOC_NR(cmd), sizes[s]);

				if (bad == cmd) {
					same++;
					continue;
				}
				n++;
				EXPECT_EQ(ENOTTY, ioctl_err(self->c.fd, bad,
							    self->zero))
					TH_LOG("cmd %#lx for %#lx", bad, cmd);
			}
		}
	}
	/* Every number but PUBLISH, LOOKUP, UNPUBLISH has a size in the list. */
	EXPECT_EQ(ARRAY_SIZE(all_cmds) - 3, same);
	EXPECT_EQ(ARRAY_SIZE(all_cmds) * 4 * 9 - same, n);
	EXPECT_EQ(fd0, next_fd());
	prove_ok(_metadata, &self->c, self->ep);
}

/*
 * Endpoint handles take only their own management numbers (ABI 1.6:
 * mint, publish, unpublish, notification bind), which refuse a zeroed
 * argument (EINVAL: its descriptor 0 is not KIPC_FD_SELF, its name is
 * empty); every other number is ENOTTY.
 */
TEST_F(err, ioctl_on_endpoint_handle)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 3,
			     KIPC_MINT_BADGE);
	int fd0;

	ASSERT_GE(s, 0);
	fd0 = next_fd();
	for (int i = 0; i < ARRAY_SIZE(all_cmds); i++) {
		unsigned long c = all_cmds[i];
		int want = c == KIPC_IOC_EP_MINT || c == KIPC_IOC_PUBLISH ||
			   c == KIPC_IOC_UNPUBLISH ? EINVAL : ENOTTY;

		EXPECT_EQ(want, ioctl_err(self->ep, c, self->zero))
			TH_LOG("cmd %#lx", c);
		EXPECT_EQ(want, ioctl_err(s, c, self->zero))
			TH_LOG("cmd %#lx", c);
	}
	EXPECT_EQ(EINVAL, ioctl_err(self->ep, KIPC_IOC_NTFN_BIND, self->zero));
	EXPECT_EQ(ENOTTY, ioctl_err(self->ep, KIPC_IOC_NTFN_SIGNAL, self->zero));
	EXPECT_EQ(ENOTTY, ioctl_err(self->ep, _IO(KIPC_IOC_MAGIC, 0x99),
				    self->zero));
	EXPECT_EQ(fd0, next_fd());
	close(s);
	prove_ok(_metadata, &self->c, self->ep);
}

/*
 * struct kipc_ipc: flags and every reserved word must be 0.  The same
 * argument with them 0 gives the operation's own answer (the poll timeout
 * or no reply right), so the EINVAL comes from the field alone.
 */
TEST_F(err, ipc_flags_and_reserved)
{
	static const struct {
		unsigned long cmd;
		int fd_is_ep;
		int good;
	} ops[] = {
		{ KIPC_IOC_SEND, 1, EAGAIN },
		{ KIPC_IOC_RECV, 1, EAGAIN },
		{ KIPC_IOC_CALL, 1, EAGAIN },
		{ KIPC_IOC_REPLY, 0, ENOENT },
		{ KIPC_IOC_REPLY_RECV, 1, EAGAIN },
	};
	static const struct {
		uint32_t flags;
		uint64_t r0, r1;
	} bad[] = {
		{ 1, 0, 0 }, { 2, 0, 0 }, { 0x80000000u, 0, 0 }, { ~0u, 0, 0 },
		{ 0, 1, 0 }, { 0, 1ULL << 63, 0 }, { 0, ~0ULL, 0 },
		{ 0, 0, 1 }, { 0, 0, 1ULL << 63 }, { 0, 0, ~0ULL },
	};

	kipc_mr(&self->c)[0] = 1;
	self->c.utcb->tag = KIPC_TAG(1, 1);
	for (int o = 0; o < ARRAY_SIZE(ops); o++) {
		int fd = ops[o].fd_is_ep ? self->ep : -1;

		EXPECT_EQ(ops[o].good, ipc_err(&self->c, ops[o].cmd, fd, 0, 0, 0));
		for (int b = 0; b < ARRAY_SIZE(bad); b++) {
			EXPECT_EQ(EINVAL, ipc_err(&self->c, ops[o].cmd, fd,
						  bad[b].flags, bad[b].r0,
						  bad[b].r1))
				TH_LOG("cmd %#lx case %d", ops[o].cmd, b);
		}
	}
	prove_ok(_metadata, &self->c, self->ep);
}

/* The tag's register count is at most 64. */
TEST_F(err, tag_count_above_64)
{
	static const unsigned int counts[] = { 65, 66, 100, 127 };
	static const unsigned long cmds[] = { KIPC_IOC_SEND, KIPC_IOC_CALL };

	for (int c = 0; c < ARRAY_SIZE(cmds); c++) {
		for (int i = 0; i < ARRAY_SIZE(counts); i++) {
			self->c.utcb->tag = KIPC_TAG(5, 0) | counts[i];
			EXPECT_EQ(EINVAL, ipc_err(&self->c, cmds[c], self->ep,
						  0, 0, 0))
				TH_LOG("cmd %#lx count %u", cmds[c], counts[i]);
		}
		/* 64 is valid: the poll finds no receiver. */
		self->c.utcb->tag = KIPC_TAG(5, 64);
		EXPECT_EQ(EAGAIN, ipc_err(&self->c, cmds[c], self->ep, 0, 0, 0));
	}
	EXPECT_EQ(-EINVAL, kipc_send(&self->c, self->ep, 65, INF));
	EXPECT_EQ(-EINVAL, kipc_call(&self->c, self->ep, 127, INF));
	prove_ok(_metadata, &self->c, self->ep);
}

/*
 * Every tag flag bit but KIPC_TAG_F_CALL and the descriptor count (bits
 * 8..11, tested in transfer.c) is refused on send and call.
 */
TEST_F(err, tag_flag_bits)
{
	static const unsigned long cmds[] = { KIPC_IOC_SEND, KIPC_IOC_CALL };
	int n = 0;

	for (int c = 0; c < ARRAY_SIZE(cmds); c++) {
		for (int bit = KIPC_TAG_FLAGS_SHIFT; bit < KIPC_TAG_LABEL_SHIFT;
		     bit++) {
			uint64_t f = 1ULL << bit;

			if (f == KIPC_TAG_F_CALL || (f & KIPC_TAG_FDS_MASK))
				continue;
			n++;
			self->c.utcb->tag = KIPC_TAG(9, 2) | f;
			EXPECT_EQ(EINVAL, ipc_err(&self->c, cmds[c], self->ep,
						  0, 0, 0))
				TH_LOG("cmd %#lx bit %d", cmds[c], bit);
			self->c.utcb->tag = KIPC_TAG(9, 2) | f | KIPC_TAG_F_CALL;
			EXPECT_EQ(EINVAL, ipc_err(&self->c, cmds[c], self->ep,
						  0, 0, 0))
				TH_LOG("cmd %#lx bit %d with F_CALL", cmds[c], bit);
		}
		self->c.utcb->tag = KIPC_TAG(9, 2) | KIPC_TAG_FLAGS_MASK;
		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmds[c], self->ep, 0, 0, 0));
		/* All label bits set is fine. */
		self->c.utcb->tag = KIPC_TAG(KIPC_TAG_LABEL_MAX, 2);
		EXPECT_EQ(EAGAIN, ipc_err(&self->c, cmds[c], self->ep, 0, 0, 0));
	}
	EXPECT_EQ(8, n);
	prove_ok(_metadata, &self->c, self->ep);
}

/*
 * KIPC_TAG_F_CALL in a sent tag is ignored: a send stays a send, with the
 * count as given; a call is marked as a call by the kernel anyway.
 */
TEST_F(err, tag_call_flag_ignored_on_send)
{
	struct peer p = { .ep = self->ep, .seed = 33 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, peer_recv, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	fill_mrs(kipc_mr(&self->c), 3, 33);
	EXPECT_EQ(0, kipc_send(&self->c, self->ep,
			       KIPC_TAG(0x42, 3) | KIPC_TAG_F_CALL, INF));
	pthread_join(t, NULL);
	/* peer_recv also found no reply right: a send, not a call. */
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(0x42, 3), p.got_tag);
	EXPECT_EQ(0, p.got_ok);
	EXPECT_EQ(0, p.rest_ok);

	/* A call with the flag already set: delivered once, as a call. */
	p = (struct peer){ .ep = self->ep, .seed = 34,
			   .tag = KIPC_TAG(0x43, 2) | KIPC_TAG_F_CALL };
	ASSERT_EQ(0, pthread_create(&t, NULL, peer_call, &p));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(KIPC_TAG(0x43, 2) | KIPC_TAG_F_CALL, kipc_tag(&self->c));
	EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 2, 34));
	fill_mrs(kipc_mr(&self->c), 1, 35);
	EXPECT_EQ(0, kipc_reply(&self->c, KIPC_TAG(0x44, 1) | KIPC_TAG_F_CALL));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(0x44, 1), p.got_tag);
	EXPECT_EQ(0, p.got_ok);
	prove_ok(_metadata, &self->c, self->ep);
}

/*
 * Bad receive attempts while a sender waits do not take its message; bad
 * send attempts while a receiver waits do not wake it.
 */
TEST_F(err, bad_calls_lose_nothing)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	int r = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0);
	struct peer p = { .ep = self->ep, .tag = KIPC_TAG(0x51, 7), .seed = 51 };
	pthread_t t;

	ASSERT_GE(s, 0);
	ASSERT_GE(r, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, peer_send, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	for (int i = 0; i < 2; i++) {
		unsigned long cmd = i ? KIPC_IOC_REPLY_RECV : KIPC_IOC_RECV;

		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmd, self->ep, 1, 0, 0));
		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmd, self->ep, 0, 1, 0));
		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmd, self->ep, 0, 0, 1));
		EXPECT_EQ(EBADF, ipc_err(&self->c, cmd, -1, 0, 0, 0));
		EXPECT_EQ(EBADF, ipc_err(&self->c, cmd, self->c.fd, 0, 0, 0));
		EXPECT_EQ(EPERM, ipc_err(&self->c, cmd, s, 0, 0, 0));
		EXPECT_EQ(EFAULT, ioctl_err(self->c.fd, cmd, NULL));
	}
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "senders-waiting"));
	ASSERT_EQ(0, kipc_recv(&self->c, r, INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(0x51, 7), kipc_tag(&self->c));
	EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 7, 51));

	p = (struct peer){ .ep = self->ep, .seed = 52 };
	ASSERT_EQ(0, pthread_create(&t, NULL, peer_recv, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	fill_mrs(kipc_mr(&self->c), KIPC_MSG_REGS, 666);
	for (int i = 0; i < 2; i++) {
		unsigned long cmd = i ? KIPC_IOC_CALL : KIPC_IOC_SEND;

		self->c.utcb->tag = KIPC_TAG(0x66, 4);
		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmd, self->ep, 1, 0, 0));
		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmd, self->ep, 0, 1, 0));
		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmd, self->ep, 0, 0, 1));
		EXPECT_EQ(EBADF, ipc_err(&self->c, cmd, -1, 0, 0, 0));
		EXPECT_EQ(EBADF, ipc_err(&self->c, cmd, self->c.fd, 0, 0, 0));
		EXPECT_EQ(EPERM, ipc_err(&self->c, cmd, r, 0, 0, 0));
		EXPECT_EQ(EFAULT, ioctl_err(self->c.fd, cmd, NULL));
		self->c.utcb->tag = KIPC_TAG(0x66, 0) | 65;
		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmd, self->ep, 0, 0, 0));
		self->c.utcb->tag = KIPC_TAG(0x66, 4) | (1ULL << 12);
		EXPECT_EQ(EINVAL, ipc_err(&self->c, cmd, self->ep, 0, 0, 0));
		/* Descriptors the waiting receiver does not accept. */
		for (int j = 0; j < 4; j++)
			self->c.utcb->fds[j] = self->ep;
		self->c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(0x66, 4), 4);
		EXPECT_EQ(EMSGSIZE, ipc_err(&self->c, cmd, self->ep, 0, 0, 0));
	}
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "receivers-waiting"));
	fill_mrs(kipc_mr(&self->c), 2, 52);
	EXPECT_EQ(0, kipc_send(&self->c, s, KIPC_TAG(0x52, 2), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(0x52, 2), p.got_tag);
	EXPECT_EQ(0, p.got_ok);
	EXPECT_EQ(0, p.rest_ok);
	close(r);
	close(s);
	prove_ok(_metadata, &self->c, self->ep);
}

struct bad_ptr {
	const char *what;
	void *p;
};

/* Unreadable argument pointers: EFAULT for every command, nothing made. */
TEST_F(err, efault)
{
	char *unmapped, *none, *half;
	int fd0;

	unmapped = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	half = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, half);
	ASSERT_EQ(0, munmap(half + PAGE, PAGE));
	ASSERT_EQ(0, munmap(unmapped, PAGE));
	fd0 = next_fd();
	self->c.utcb->tag = KIPC_TAG(1, 1);

	for (int i = 0; i < ARRAY_SIZE(all_cmds); i++) {
		unsigned long cmd = all_cmds[i];
		unsigned int sz = _IOC_SIZE(cmd);
		struct bad_ptr ptrs[] = {
			{ "NULL", NULL },
			{ "unmapped", unmapped },
			{ "PROT_NONE", none },
			{ "kernel", (void *)0xffffffff81000000UL },
			{ "last byte of the address space", (void *)~0UL },
			{ "non-canonical", (void *)0x8000000000000000UL },
			/* Readable start, unmapped end. */
			{ "straddling", half + PAGE - sz / 2 },
			{ "straddling by one byte", half + PAGE - sz + 1 },
		};

		for (int j = 0; j < ARRAY_SIZE(ptrs); j++) {
			EXPECT_EQ(EFAULT, ioctl_err(self->c.fd, cmd, ptrs[j].p))
				TH_LOG("cmd %#lx, %s", cmd, ptrs[j].what);
		}
		/* Control: the whole struct just before the end is fine. */
		memset(half + PAGE - sz, 0, sz);
		if (cmd == KIPC_IOC_EP_MINT)
			((struct kipc_ep_mint *)(half + PAGE - sz))->fd = -1;
		if (cmd == KIPC_IOC_REPLY)
			((struct kipc_ipc *)(half + PAGE - sz))->fd = -1;
		EXPECT_NE(EFAULT, ioctl_err(self->c.fd, cmd, half + PAGE - sz))
			TH_LOG("cmd %#lx at the end of the mapping", cmd);
	}
	EXPECT_EQ(fd0, next_fd());
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "send-handles"));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "recv-handles"));
	munmap(half, PAGE);
	munmap(none, PAGE);
	prove_ok(_metadata, &self->c, self->ep);
}

/*
 * VERSION writes its argument: a read-only page gives EFAULT.  The other
 * commands only read theirs: a read-only page is fine for them.
 */
TEST_F(err, readonly_argument)
{
	char *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kipc_ipc *ipc = (struct kipc_ipc *)(ro + 256);
	int fd;

	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0x5a, PAGE);
	ASSERT_EQ(0, mprotect(ro, PAGE, PROT_READ));
	EXPECT_EQ(EFAULT, ioctl_err(self->c.fd, KIPC_IOC_VERSION, ro));
	EXPECT_EQ(0x5a, ro[0]);
	EXPECT_EQ(0x5a, ro[55]);

	ASSERT_EQ(0, mprotect(ro, PAGE, PROT_READ | PROT_WRITE));
	memset(ro, 0, PAGE);
	ipc->fd = self->ep;
	ASSERT_EQ(0, mprotect(ro, PAGE, PROT_READ));
	fd = ioctl(self->c.fd, KIPC_IOC_EP_CREATE, ro);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	self->c.utcb->tag = KIPC_TAG(1, 0);
	EXPECT_EQ(EAGAIN, ioctl_err(self->c.fd, KIPC_IOC_SEND, ipc));
	EXPECT_EQ(EAGAIN, ioctl_err(self->c.fd, KIPC_IOC_RECV, ipc));
	munmap(ro, PAGE);
	prove_ok(_metadata, &self->c, self->ep);
}

/* Anything but an open endpoint handle as the endpoint: EBADF. */
TEST_F(err, ebadf)
{
	static const unsigned long cmds[] = {
		KIPC_IOC_SEND, KIPC_IOC_CALL, KIPC_IOC_RECV, KIPC_IOC_REPLY_RECV,
	};
	struct kipc_ctx other;
	int pfd[2], devnull, closed_ep, closed_fd, fd0;

	ctx_open(&other);
	ASSERT_EQ(0, pipe(pfd));
	devnull = open("/dev/null", O_RDWR);
	ASSERT_LE(0, devnull);
	closed_ep = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHTS_ALL, 0, 0);
	ASSERT_LE(0, closed_ep);
	close(closed_ep);
	closed_fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, closed_fd);
	close(closed_fd);

	const struct {
		const char *what;
		int fd;
	} fds[] = {
		{ "-1", -1 }, { "-2", -2 }, { "INT_MIN", INT_MIN },
		{ "closed endpoint handle", closed_ep },
		{ "closed fd", closed_fd },
		{ "beyond the fd table", 1 << 20 },
		{ "pipe read end", pfd[0] }, { "pipe write end", pfd[1] },
		{ "/dev/null", devnull },
		{ "this context", self->c.fd },
		{ "another context", other.fd },
	};

	fd0 = next_fd();
	self->c.utcb->tag = KIPC_TAG(2, 2);
	for (int i = 0; i < ARRAY_SIZE(fds); i++) {
		struct kipc_ep_mint m = { .fd = fds[i].fd, .rights = KIPC_RIGHT_SEND };

		for (int c = 0; c < ARRAY_SIZE(cmds); c++) {
			EXPECT_EQ(EBADF, ipc_err(&self->c, cmds[c], fds[i].fd,
						 0, 0, 0))
				TH_LOG("cmd %#lx fd %s", cmds[c], fds[i].what);
		}
		EXPECT_EQ(EBADF, ioctl_err(self->c.fd, KIPC_IOC_EP_MINT, &m))
			TH_LOG("mint from %s", fds[i].what);
		m.flags = KIPC_MINT_BADGE;
		m.badge = 1;
		EXPECT_EQ(EBADF, ioctl_err(self->c.fd, KIPC_IOC_EP_MINT, &m))
			TH_LOG("badged mint from %s", fds[i].what);
	}
	EXPECT_EQ(fd0, next_fd());
	close(devnull);
	close(pfd[0]);
	close(pfd[1]);
	kipc_ctx_close(&other);
	prove_ok(_metadata, &self->c, self->ep);
}

/* An operation the handle has no right for: EPERM. */
TEST_F(err, rights)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT,
			     0, 0);
	int r = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV | KIPC_RIGHT_GRANT,
			     0, 0);
	int g = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_GRANT, 0, 0);

	ASSERT_LE(0, s);
	ASSERT_LE(0, r);
	ASSERT_LE(0, g);
	self->c.utcb->tag = KIPC_TAG(3, 3);
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_SEND, r, 0, 0, 0));
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_CALL, r, 0, 0, 0));
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_RECV, s, 0, 0, 0));
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_REPLY_RECV, s, 0, 0, 0));
	EXPECT_EQ(-EPERM, kipc_send(&self->c, r, KIPC_TAG(3, 3), INF));
	EXPECT_EQ(-EPERM, kipc_call(&self->c, r, KIPC_TAG(3, 3), INF));
	EXPECT_EQ(-EPERM, kipc_recv(&self->c, s, INF));
	EXPECT_EQ(-EPERM, kipc_reply_recv(&self->c, s, 0, INF));
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_SEND, g, 0, 0, 0));
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_CALL, g, 0, 0, 0));
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_RECV, g, 0, 0, 0));
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_REPLY_RECV, g, 0, 0, 0));
	/* The permitted direction of each works (poll: no partner). */
	EXPECT_EQ(EAGAIN, ipc_err(&self->c, KIPC_IOC_SEND, s, 0, 0, 0));
	EXPECT_EQ(EAGAIN, ipc_err(&self->c, KIPC_IOC_CALL, s, 0, 0, 0));
	EXPECT_EQ(EAGAIN, ipc_err(&self->c, KIPC_IOC_RECV, r, 0, 0, 0));
	EXPECT_EQ(EAGAIN, ipc_err(&self->c, KIPC_IOC_REPLY_RECV, r, 0, 0, 0));
	close(g);
	close(r);
	close(s);
	prove_ok(_metadata, &self->c, self->ep);
}

/*
 * REPLY: fd must be -1 (EINVAL, checked first), a reply right must be
 * held (ENOENT).  A bad reply keeps the right; the good one uses it up.
 */
TEST_F(err, reply)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	struct peer p = { .ep = self->ep, .seed = 80, .tag = KIPC_TAG(0x80, 4) };
	pthread_t t;

	ASSERT_LE(0, s);
	self->c.utcb->tag = 0;
	EXPECT_EQ(ENOENT, ipc_err(&self->c, KIPC_IOC_REPLY, -1, 0, 0, 0));
	EXPECT_EQ(-ENOENT, kipc_reply(&self->c, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, 0, 0, 0, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, -2, 0, 0, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, self->ep, 0, 0, 0));

	/* Now with a reply right held. */
	ASSERT_EQ(0, pthread_create(&t, NULL, peer_call, &p));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(KIPC_TAG(0x80, 4) | KIPC_TAG_F_CALL, kipc_tag(&self->c));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, self->ep, 0, 0, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, 0, 0, 0, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, -1, 1, 0, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, -1, 0, 1, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, -1, 0, 0, 1));
	EXPECT_EQ(EFAULT, ioctl_err(self->c.fd, KIPC_IOC_REPLY, NULL));
	self->c.utcb->tag = 65;
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, -1, 0, 0, 0));
	self->c.utcb->tag = KIPC_TAG(1, 1) | (1ULL << 15);
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, -1, 0, 0, 0));
	/* reply_recv with a bad tag or without the right to receive. */
	self->c.utcb->tag = 127;
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY_RECV, self->ep, 0, 0, 0));
	self->c.utcb->tag = KIPC_TAG(1, 1);
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_REPLY_RECV, s, 0, 0, 0));
	EXPECT_EQ(EBADF, ipc_err(&self->c, KIPC_IOC_REPLY_RECV, -1, 0, 0, 0));
	/* The caller is still waiting for us; the right is still held. */
	fill_mrs(kipc_mr(&self->c), 3, 81);
	EXPECT_EQ(0, kipc_reply(&self->c, KIPC_TAG(0x81, 3)));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(0x81, 3), p.got_tag);
	EXPECT_EQ(0, p.got_ok);
	EXPECT_EQ(0, p.rest_ok);
	/* One shot. */
	EXPECT_EQ(-ENOENT, kipc_reply(&self->c, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, 0, 0, 0, 0));
	close(s);
	prove_ok(_metadata, &self->c, self->ep);
}

static void ep_counts(struct __test_metadata *_metadata, int ep, long s, long r)
{
	EXPECT_EQ(s, fdinfo_value(0, ep, "send-handles"));
	EXPECT_EQ(r, fdinfo_value(0, ep, "recv-handles"));
}

/* EP_CREATE: unknown flags, __pad and reserved words give EINVAL. */
/*
 * Which error wins (kipc(7), ERRORS): the message area before the handle,
 * the handle before the rendezvous, EPIPE before EAGAIN.
 */
TEST_F(err, precedence)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	int r = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0);

	ASSERT_LE(0, s);
	ASSERT_LE(0, r);
	/* A bad tag beats "no reply right held". */
	self->c.utcb->tag = 65;
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_REPLY, -1, 0, 0, 0));
	self->c.utcb->tag = 0;
	EXPECT_EQ(ENOENT, ipc_err(&self->c, KIPC_IOC_REPLY, -1, 0, 0, 0));
	/* fd_max beyond 8 beats a bad or wrong handle. */
	self->c.utcb->fd_max = KIPC_MSG_FDS + 1;
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_CALL, -1, 0, 0, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_CALL, r, 0, 0, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_RECV, -1, 0, 0, 0));
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_RECV, s, 0, 0, 0));
	/* A send takes no descriptors: fd_max is not its business. */
	EXPECT_EQ(EBADF, ipc_err(&self->c, KIPC_IOC_SEND, -1, 0, 0, 0));
	self->c.utcb->fd_max = 0;
	/* A bad tag beats a bad handle; the handle beats the rendezvous. */
	self->c.utcb->tag = 65;
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_SEND, -1, 0, 0, 0));
	self->c.utcb->tag = 0;
	EXPECT_EQ(EPERM, ipc_err(&self->c, KIPC_IOC_SEND, r, 0, 0, 0));
	EXPECT_EQ(EAGAIN, ipc_err(&self->c, KIPC_IOC_SEND, s, 0, 0, 0));
	/* Nobody can ever receive: EPIPE, not EAGAIN, also with a poll. */
	close(self->ep);
	close(r);
	self->ep = -1;
	EXPECT_EQ(EPIPE, ipc_err(&self->c, KIPC_IOC_SEND, s, 0, 0, 0));
	self->c.utcb->tag = 65;
	EXPECT_EQ(EINVAL, ipc_err(&self->c, KIPC_IOC_SEND, s, 0, 0, 0));
	self->c.utcb->tag = 0;
	close(s);
	self->ep = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->ep, 0);
}

TEST_F(err, ep_create_bad_args)
{
	static const struct kipc_ep_create bad[] = {
		{ .flags = 1u << 4 },		/* past KIPC_EP_ACCOUNT */
		{ .flags = KIPC_EP_FLOOR, .floor_policy = 99 },
		{ .flags = KIPC_EP_FLOOR, .floor_policy = SCHED_FIFO },	/* priority 0 */
		{ .flags = 1u << 31 },
		{ .flags = ~0u },
		{ .flags = KIPC_FD_INHERIT | (1u << 5) },
		{ .__pad = 1 },
		{ .__pad = 1u << 31 },
		{ .__reserved = { 1, 0, 0 } },
		{ .__reserved = { 0, 1, 0 } },
		{ .__reserved = { 0, 0, 1 } },
		{ .__reserved = { 0, 0, 1ULL << 63 } },
	};
	struct kipc_ep_create a;
	int fd0 = next_fd(), fd;

	for (int i = 0; i < ARRAY_SIZE(bad); i++) {
		a = bad[i];
		EXPECT_EQ(EINVAL, ioctl_err(self->c.fd, KIPC_IOC_EP_CREATE, &a))
			TH_LOG("case %d", i);
	}
	EXPECT_EQ(fd0, next_fd());
	for (int i = 0; i < 2; i++) {
		a = (struct kipc_ep_create){ .flags = i ? KIPC_FD_INHERIT : 0 };
		fd = ioctl(self->c.fd, KIPC_IOC_EP_CREATE, &a);
		EXPECT_LE(0, fd);
		EXPECT_EQ(7, fdinfo_value(0, fd, "rights"));
		close(fd);
	}
	prove_ok(_metadata, &self->c, self->ep);
}

/* EP_MINT: malformed arguments give EINVAL, a bad fd EBADF. */
TEST_F(err, ep_mint_bad_args)
{
	const struct kipc_ep_mint good = { .fd = self->ep,
					   .rights = KIPC_RIGHT_SEND };
	struct kipc_ep_mint bad[] = {
		good, good, good, good, good, good, good, good, good,
		good, good, good, good, good, good, good,
	};
	struct kipc_ep_mint a;
	int n = 0, fd0, fd;

	bad[n++].flags = 1u << 2;
	bad[n++].flags = 1u << 31;
	bad[n++].flags = ~0u;
	bad[n].flags = KIPC_MINT_BADGE | (1u << 4);
	bad[n++].badge = 1;
	bad[n++].__pad = 1;
	bad[n++].__reserved[0] = 1;
	bad[n++].__reserved[1] = 1ULL << 63;
	bad[n++].rights = 0;
	bad[n++].rights = 1u << 4;	/* 1 << 3: KIPC_RIGHT_FORWARD (ABI 1.7) */
	bad[n++].rights = KIPC_RIGHT_SEND | (1u << 4);
	bad[n++].rights = 1u << 31;
	bad[n++].rights = ~0u;
	bad[n++].badge = 1;
	bad[n++].badge = ~0ULL;
	bad[n].flags = KIPC_FD_INHERIT;
	bad[n++].badge = 1ULL << 40;
	bad[n].rights = 0;
	bad[n].flags = KIPC_MINT_BADGE;
	bad[n++].badge = 7;
	ASSERT_EQ(ARRAY_SIZE(bad), n);

	fd0 = next_fd();
	for (int i = 0; i < n; i++) {
		a = bad[i];
		EXPECT_EQ(EINVAL, ioctl_err(self->c.fd, KIPC_IOC_EP_MINT, &a))
			TH_LOG("case %d", i);
	}
	a = good;
	a.fd = -1;
	EXPECT_EQ(EBADF, ioctl_err(self->c.fd, KIPC_IOC_EP_MINT, &a));
	a.fd = self->c.fd;
	EXPECT_EQ(EBADF, ioctl_err(self->c.fd, KIPC_IOC_EP_MINT, &a));
	EXPECT_EQ(fd0, next_fd());
	ep_counts(_metadata, self->ep, 1, 1);

	a = good;
	fd = ioctl(self->c.fd, KIPC_IOC_EP_MINT, &a);
	EXPECT_LE(0, fd);
	EXPECT_EQ(1, fdinfo_value(0, fd, "rights"));
	ep_counts(_metadata, self->ep, 2, 1);
	close(fd);
	prove_ok(_metadata, &self->c, self->ep);
}

/*
 * No descriptor left for the new handle: EMFILE, and the endpoint counts
 * no handle that does not exist.
 */
TEST_F(err, no_fd_left)
{
	struct rlimit old, lim;
	int fd0 = next_fd();

	ASSERT_LT(0, fd0);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	lim = old;
	lim.rlim_cur = fd0;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &lim));
	EXPECT_EQ(-EMFILE, kipc_ep_create(&self->c, 0));
	EXPECT_EQ(-EMFILE, kipc_ep_mint(&self->c, self->ep, KIPC_RIGHTS_ALL, 0, 0));
	EXPECT_EQ(-EMFILE, kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 5,
					KIPC_MINT_BADGE));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	EXPECT_EQ(fd0, next_fd());
	ep_counts(_metadata, self->ep, 1, 1);
	prove_ok(_metadata, &self->c, self->ep);
}

/* VERSION writes its 56 bytes exactly, wherever they are. */
TEST_F(err, version_exact_size)
{
	struct kipc_version want = {
		.abi_major = KIPC_ABI_MAJOR,
		.abi_minor = KIPC_ABI_MINOR,
		.msg_regs = KIPC_MSG_REGS,
		.utcb_size = KIPC_UTCB_SIZE,
	};
	unsigned char buf[192];

	for (int off = 0; off < 8; off += 3) {
		struct kipc_version got;

		memset(buf, 0xa5, sizeof(buf));
		ASSERT_EQ(0, ioctl_err(self->c.fd, KIPC_IOC_VERSION, buf + 64 + off));
		memcpy(&got, buf + 64 + off, sizeof(got));
		want.features = got.features;
		EXPECT_EQ(0, memcmp(&want, &got, sizeof(got)));
		for (int i = 0; i < 64 + off; i++) {
			ASSERT_EQ(0xa5, buf[i]);
		}
		for (int i = 64 + off + sizeof(got); i < sizeof(buf); i++) {
			ASSERT_EQ(0xa5, buf[i]);
		}
	}
	prove_ok(_metadata, &self->c, self->ep);
}

TEST_HARNESS_MAIN
