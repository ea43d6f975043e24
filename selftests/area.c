// SPDX-License-Identifier: GPL-2.0
/*
 * ABI 1.2: operations with their arguments in the message area
 * (KIPC_IOC_MSEND ... _MREPLY_RECV) and registered endpoint slots
 * (KIPC_IOC_REGISTER).  The ABI 1.0 operations keep working beside them,
 * in both directions: an ABI 1.0 caller served by an ABI 1.2 server and
 * the other way round see the same messages, badges and credentials.
 */
#include <stddef.h>

#include "kipc_test.h"

FIXTURE(area) {
	struct kipc_ctx c;	/* the test's own context */
	int ep;
	long contexts, endpoints, handles;
};

FIXTURE_SETUP(area)
{
	self->contexts = kipc_stat("contexts");
	self->endpoints = kipc_stat("endpoints");
	self->handles = kipc_stat("handles");
	ctx_open(&self->c);
	self->ep = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->ep, 0);
}

FIXTURE_TEARDOWN(area)
{
	if (self->ep >= 0)
		close(self->ep);
	kipc_ctx_close(&self->c);
	EXPECT_EQ(self->contexts, kipc_stat("contexts"));
	EXPECT_EQ(self->endpoints, kipc_stat("endpoints"));
	EXPECT_EQ(self->handles, kipc_stat("handles"));
}

/* Write the area's arguments and issue @cmd with argument @arg. */
static int area_op(struct kipc_ctx *c, unsigned long cmd, int ep, __u32 flags,
		   uint64_t send_timeout, uint64_t recv_timeout,
		   unsigned long arg)
{
	struct kipc_area_args *a = &c->utcb->args;

	a->ep = ep;
	a->flags = flags;
	a->send_timeout = send_timeout;
	a->recv_timeout = recv_timeout;
	a->__reserved = 0;
	return ioctl(c->fd, cmd, arg) < 0 ? -errno : 0;
}

enum style { OLD, AREA_FD, SLOT };

struct server {
	int ep;
	enum style style;
	int rounds;
	__u64 badge;
	__s32 pid;
	__u32 uid;
	int ret;
};

/*
 * Serve @rounds calls (the answer: register 0 plus one, label plus one),
 * then reply to the last and return.
 */
static void *serve(void *arg)
{
	struct server *s = arg;
	struct kipc_ctx c;
	uint64_t tag = 0;
	int ep = s->ep;

	ctx_open(&c);
	if (s->style == SLOT) {
		s->ret = kipc_register(&c, 3, s->ep);
		if (s->ret)
			goto out;
		ep = KIPC_SLOT(3);
	}
	for (int i = 0; i < s->rounds; i++) {
		if (s->style == AREA_FD) {
			c.utcb->tag = tag;
			s->ret = area_op(&c, KIPC_IOC_MREPLY_RECV, ep, 0, 0, INF, 0);
		} else {
			s->ret = kipc_reply_recv(&c, ep, tag, INF);
		}
		if (s->ret)
			goto out;
		s->badge = c.utcb->badge;
		s->pid = c.utcb->pid;
		s->uid = c.utcb->uid;
		kipc_mr(&c)[0]++;
		tag = KIPC_TAG(KIPC_TAG_LABEL(kipc_tag(&c)) + 1, 1);
	}
	s->ret = kipc_reply(&c, tag);
out:
	kipc_ctx_close(&c);
	return NULL;
}

/* @n calls from this thread in @style to a server in @srv_style. */
static void interop(struct __test_metadata *_metadata, int ep,
		    enum style style, enum style srv_style)
{
	struct server s = { .ep = ep, .style = srv_style, .rounds = 50 };
	struct kipc_ctx c;
	pthread_t t;
	int send, dst;

	ctx_open(&c);
	send = kipc_ep_mint(&c, ep, KIPC_RIGHT_SEND, 0x5eed, KIPC_MINT_BADGE);
	ASSERT_GE(send, 0);
	dst = send;
	if (style == SLOT) {
		ASSERT_EQ(0, kipc_register(&c, 0, send));
		dst = KIPC_SLOT(0);
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, serve, &s));
	for (int i = 1; i <= s.rounds; i++) {
		int ret;

		kipc_mr(&c)[0] = 1000 + i;
		if (style == AREA_FD) {
			c.utcb->tag = KIPC_TAG(i, 1);
			ret = area_op(&c, KIPC_IOC_MCALL, dst, 0, INF, INF, 0);
		} else {
			ret = kipc_call(&c, dst, KIPC_TAG(i, 1), INF);
		}
		ASSERT_EQ(0, ret);
		EXPECT_EQ(i + 1, KIPC_TAG_LABEL(kipc_tag(&c)));
		EXPECT_EQ(1000 + i + 1, kipc_mr(&c)[0]);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, s.ret);
	EXPECT_EQ(0x5eed, s.badge);
	EXPECT_EQ(getpid(), s.pid);
	EXPECT_EQ(geteuid(), s.uid);
	close(send);
	kipc_ctx_close(&c);
}

TEST_F(area, version_1_2)
{
	struct kipc_version v;

	ASSERT_EQ(0, kipc_version(&self->c, &v));
	EXPECT_EQ(1, v.abi_major);
	EXPECT_GE(v.abi_minor, 2);
	EXPECT_TRUE(v.features & KIPC_FEAT_AREA_ARGS);
	/* The message area's layout did not move for ABI 1.1 binaries. */
	EXPECT_EQ(32, offsetof(struct kipc_utcb, args));
	EXPECT_EQ(32, offsetof(struct kipc_utcb, __reserved));
	EXPECT_EQ(64, offsetof(struct kipc_utcb, mr));
	/* ABI 1.4 appended served_ns after fds: nothing before it moved. */
	EXPECT_EQ(616, offsetof(struct kipc_utcb, served_ns));
	EXPECT_EQ(624, offsetof(struct kipc_utcb, win));
	EXPECT_EQ(816, sizeof(struct kipc_utcb));
}

/* ABI 1.0 caller, ABI 1.2 servers (descriptor and slot), and back. */
TEST_F(area, old_caller_new_server)
{
	interop(_metadata, self->ep, OLD, AREA_FD);
	interop(_metadata, self->ep, OLD, SLOT);
}

TEST_F(area, new_caller_old_server)
{
	interop(_metadata, self->ep, AREA_FD, OLD);
	interop(_metadata, self->ep, SLOT, OLD);
}

TEST_F(area, slot_caller_slot_server)
{
	interop(_metadata, self->ep, SLOT, SLOT);
}

TEST_F(area, register_errors)
{
	struct kipc_register r = { .fd = self->ep };
	int p[2];

	r.slot = KIPC_SLOTS;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_REGISTER, &r));
	EXPECT_EQ(EINVAL, errno);
	r.slot = 0;
	r.flags = 2;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_REGISTER, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 0;
	r.__pad = 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_REGISTER, &r));
	EXPECT_EQ(EINVAL, errno);
	r.__pad = 0;
	r.__reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_REGISTER, &r));
	EXPECT_EQ(EINVAL, errno);
	r.__reserved[1] = 0;
	r.flags = KIPC_REGISTER_CLEAR;		/* clearing takes fd -1 */
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_REGISTER, &r));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, pipe(p));
	EXPECT_EQ(-EBADF, kipc_register(&self->c, 0, p[0]));
	EXPECT_EQ(-EBADF, kipc_register(&self->c, 0, -1));
	EXPECT_EQ(-EBADF, kipc_register(&self->c, 0, self->c.fd));
	EXPECT_EQ(-EINVAL, kipc_register(&self->c, KIPC_SLOTS, self->ep));
	/* Register, replace, clear, clear again: all fine. */
	EXPECT_EQ(0, kipc_register(&self->c, KIPC_SLOTS - 1, self->ep));
	EXPECT_EQ(0, kipc_register(&self->c, KIPC_SLOTS - 1, self->ep));
	EXPECT_EQ(0, kipc_unregister(&self->c, KIPC_SLOTS - 1));
	EXPECT_EQ(0, kipc_unregister(&self->c, KIPC_SLOTS - 1));
	close(p[0]);
	close(p[1]);
}

TEST_F(area, argument_errors)
{
	struct kipc_ctx *c = &self->c;
	int send = kipc_ep_mint(c, self->ep, KIPC_RIGHT_SEND, 0, 0);

	ASSERT_GE(send, 0);
	c->utcb->tag = 0;
	/* The ioctl's own argument must be 0. */
	EXPECT_EQ(-EINVAL, area_op(c, KIPC_IOC_MRECV, self->ep, 0, 0, 0, 1));
	/* Unknown flags, a slot out of range, the reserved word. */
	EXPECT_EQ(-EINVAL, area_op(c, KIPC_IOC_MRECV, self->ep, 2, 0, 0, 0));
	EXPECT_EQ(-EINVAL, area_op(c, KIPC_IOC_MRECV, KIPC_SLOTS,
				   KIPC_ARGS_SLOT, 0, 0, 0));
	EXPECT_EQ(-EINVAL, area_op(c, KIPC_IOC_MRECV, -1, KIPC_ARGS_SLOT, 0, 0, 0));
	c->utcb->args.__reserved = 1;
	EXPECT_EQ(-1, ioctl(c->fd, KIPC_IOC_MRECV, 0));
	EXPECT_EQ(EINVAL, errno);
	/* An empty slot is a closed descriptor; a slot without the right. */
	EXPECT_EQ(-EBADF, area_op(c, KIPC_IOC_MRECV, 5, KIPC_ARGS_SLOT, 0, INF, 0));
	EXPECT_EQ(-EBADF, area_op(c, KIPC_IOC_MCALL, 5, KIPC_ARGS_SLOT, INF, INF, 0));
	ASSERT_EQ(0, kipc_register(c, 5, send));
	EXPECT_EQ(-EPERM, area_op(c, KIPC_IOC_MRECV, 5, KIPC_ARGS_SLOT, 0, INF, 0));
	EXPECT_EQ(-EPERM, area_op(c, KIPC_IOC_MREPLY_RECV, 5, KIPC_ARGS_SLOT, 0,
				  INF, 0));
	/* Reply takes no endpoint. */
	EXPECT_EQ(-EINVAL, area_op(c, KIPC_IOC_MREPLY, 5, KIPC_ARGS_SLOT, 0, 0, 0));
	EXPECT_EQ(-EINVAL, area_op(c, KIPC_IOC_MREPLY, self->ep, 0, 0, 0, 0));
	EXPECT_EQ(-ENOENT, area_op(c, KIPC_IOC_MREPLY, -1, 0, 0, 0, 0));
	/* A bad tag is the message area's error, before the handle's. */
	c->utcb->tag = KIPC_TAG(0, KIPC_MSG_REGS + 1);
	EXPECT_EQ(-EINVAL, area_op(c, KIPC_IOC_MCALL, 9, KIPC_ARGS_SLOT, INF, INF, 0));
	c->utcb->tag = 0;
	/* Polls through a slot and through a descriptor: nobody waits. */
	EXPECT_EQ(-EAGAIN, area_op(c, KIPC_IOC_MSEND, 5, KIPC_ARGS_SLOT, 0, 0, 0));
	EXPECT_EQ(-EAGAIN, area_op(c, KIPC_IOC_MRECV, self->ep, 0, 0, 0, 0));
	/* Finite timeouts take the slow path and still expire. */
	EXPECT_EQ(-ETIMEDOUT, area_op(c, KIPC_IOC_MCALL, 5, KIPC_ARGS_SLOT,
				      20 * MS, 20 * MS, 0));
	EXPECT_EQ(0, kipc_unregister(c, 5));
	close(send);
}

/* The slot holds the handle: its descriptor may go at once. */
TEST_F(area, slot_outlives_descriptor)
{
	struct server s = { .style = SLOT, .rounds = 3 };
	struct kipc_ctx c;
	pthread_t t;
	int send;

	ctx_open(&c);
	send = kipc_ep_mint(&c, self->ep, KIPC_RIGHT_SEND, 7, KIPC_MINT_BADGE);
	ASSERT_GE(send, 0);
	ASSERT_EQ(0, kipc_register(&c, 1, send));
	close(send);
	s.ep = self->ep;
	ASSERT_EQ(0, pthread_create(&t, NULL, serve, &s));
	/* The server registers its handle; then ours (RECV) may go too. */
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	close(self->ep);
	self->ep = -1;
	for (int i = 1; i <= 3; i++)
		ASSERT_EQ(0, kipc_call(&c, KIPC_SLOT(1), KIPC_TAG(i, 1), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, s.ret);
	EXPECT_EQ(7, s.badge);
	/* The server's context closed: its slot, the last RECV handle, went. */
	EXPECT_EQ(-EPIPE, kipc_call(&c, KIPC_SLOT(1), KIPC_TAG(9, 0), INF));
	kipc_ctx_close(&c);
}

struct blocked {
	struct kipc_ctx *c;
	int ret;
};

static void *recv_slot(void *arg)
{
	struct blocked *b = arg;

	b->ret = kipc_recv(b->c, KIPC_SLOT(0), INF);
	return NULL;
}

/* Registration waits for no operation: EBUSY while one runs. */
TEST_F(area, register_while_busy)
{
	struct blocked b = { .c = &self->c };
	struct kipc_ctx c;
	pthread_t t;

	ASSERT_EQ(0, kipc_register(&self->c, 0, self->ep));
	ASSERT_EQ(0, pthread_create(&t, NULL, recv_slot, &b));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	EXPECT_EQ(-EBUSY, kipc_register(&self->c, 0, self->ep));
	EXPECT_EQ(-EBUSY, kipc_unregister(&self->c, 0));
	ctx_open(&c);
	kipc_mr(&c)[0] = 77;
	EXPECT_EQ(0, kipc_send(&c, self->ep, KIPC_TAG(1, 1), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, b.ret);
	EXPECT_EQ(77, kipc_mr(&self->c)[0]);
	EXPECT_EQ(0, kipc_unregister(&self->c, 0));
	kipc_ctx_close(&c);
}

/* Descriptors through slots: the fast path hands them to the slow path. */
TEST_F(area, slot_passes_descriptors)
{
	struct kipc_ctx c;
	int p[2], got;
	pid_t pid;
	char ch;

	ASSERT_EQ(0, pipe(p));
	ctx_open(&c);
	ASSERT_EQ(0, kipc_register(&c, 2, self->ep));
	ASSERT_EQ(0, kipc_register(&self->c, 2, self->ep));
	kipc_fds(&c)[0] = p[1];
	/* Nobody receives yet: a poll with a descriptor gives it back. */
	EXPECT_EQ(-EAGAIN, kipc_send(&c, KIPC_SLOT(2),
				    KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 1), 0));
	kipc_accept_fds(&self->c, 1);
	pid = fork();
	if (pid == 0) {
		struct kipc_ctx k;

		ctx_open(&k);
		kipc_fds(&k)[0] = p[1];
		_exit(kipc_send(&k, self->ep,
				KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 1), INF) ? 1 : 0);
	}
	ASSERT_EQ(0, kipc_recv(&self->c, KIPC_SLOT(2), INF));
	EXPECT_EQ(1, KIPC_TAG_FDS(kipc_tag(&self->c)));
	got = kipc_fds(&self->c)[0];
	EXPECT_EQ(1, write(got, "x", 1));
	EXPECT_EQ(1, read(p[0], &ch, 1));
	close(got);
	kipc_accept_fds(&self->c, 0);
	EXPECT_EQ(0, reap(pid));
	close(p[0]);
	close(p[1]);
	kipc_ctx_close(&c);
}

struct caller_arg {
	int ep;
	int ret;
	__u64 got;
};

static void *call_once(void *arg)
{
	struct caller_arg *a = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	kipc_mr(&c)[0] = 5;
	a->ret = kipc_register(&c, 0, a->ep) ?:
		 kipc_call(&c, KIPC_SLOT(0), KIPC_TAG(1, 1), INF);
	a->got = kipc_mr(&c)[0];
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * A server's reply_recv through a slot with a poll timeout: the reply goes
 * out, the receive finds nothing (EAGAIN) and the server does not wait
 * (the fast path takes only infinite receives after a reply).
 */
TEST_F(area, reply_recv_poll_replies)
{
	struct caller_arg a = { .ep = self->ep };
	pthread_t t;

	ASSERT_EQ(0, kipc_register(&self->c, 0, self->ep));
	ASSERT_EQ(0, pthread_create(&t, NULL, call_once, &a));
	ASSERT_EQ(0, kipc_recv(&self->c, KIPC_SLOT(0), INF));
	kipc_mr(&self->c)[0] = 6;
	EXPECT_EQ(-EAGAIN, kipc_reply_recv(&self->c, KIPC_SLOT(0),
					   KIPC_TAG(2, 1), KIPC_TIMEOUT_POLL));
	pthread_join(t, NULL);
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(6, a.got);
	/* The right went with the reply. */
	EXPECT_EQ(-ENOENT, kipc_reply(&self->c, KIPC_TAG(3, 0)));
	EXPECT_EQ(0, kipc_unregister(&self->c, 0));
}

/* The errors column of this process's endpoint in /proc/kipc/endpoints. */
static long ep_errors(void)
{
	char line[256], comm[64];
	long id, msgs, errors = -1;
	int owner, n[4];
	FILE *f = fopen("/proc/kipc/endpoints", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%ld %d %63s %d %d %d %d %ld %ld", &id, &owner,
			   comm, &n[0], &n[1], &n[2], &n[3], &msgs, &errors) == 9 &&
		    owner == getpid())
			break;
		else
			errors = -1;
	fclose(f);
	return errors;
}

static void *send_once(void *p)
{
	struct caller_arg *a = p;
	struct kipc_ctx c;

	if (kipc_ctx_open(&c)) {
		a->ret = -ENODEV;
		return NULL;
	}
	kipc_mr(&c)[0] = 41;
	a->ret = kipc_send(&c, a->ep, KIPC_TAG(3, 1), INF);
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * A receive that polls through a slot (the fast path answers EAGAIN
 * itself when nobody sends): status cleared and the error counted as on
 * the slow path; a queued sender, a closed sending side, a bound
 * notification's bits and a reply right to give up are not EAGAIN.
 */
TEST_F(area, poll_recv_through_slot)
{
	struct kipc_ctx *c = &self->c;
	struct caller_arg a = { .ep = self->ep };
	long errors = ep_errors();
	int ntfn, recv;
	pthread_t t;

	ASSERT_GE(errors, 0);
	ASSERT_EQ(0, kipc_register(c, 0, self->ep));
	c->utcb->status = 0xdead;
	EXPECT_EQ(-EAGAIN, kipc_recv(c, KIPC_SLOT(0), KIPC_TIMEOUT_POLL));
	EXPECT_EQ(0, c->utcb->status);
	EXPECT_EQ(errors + 1, ep_errors());
	c->utcb->status = 0xdead;
	EXPECT_EQ(-EAGAIN, kipc_reply_recv(c, KIPC_SLOT(0), 0, KIPC_TIMEOUT_POLL));
	EXPECT_EQ(0, c->utcb->status);
	EXPECT_EQ(errors + 2, ep_errors());

	/* A sender waits: its message. */
	ASSERT_EQ(0, pthread_create(&t, NULL, send_once, &a));
	while (kipc_recv(c, KIPC_SLOT(0), KIPC_TIMEOUT_POLL) == -EAGAIN)
		usleep(1000);
	pthread_join(t, NULL);
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(KIPC_TAG(3, 1), kipc_tag(c));
	EXPECT_EQ(41, kipc_mr(c)[0]);

	/* A bound notification's pending bits come first. */
	ntfn = kipc_ntfn_create(c, 0);
	ASSERT_GE(ntfn, 0);
	ASSERT_EQ(0, kipc_ntfn_bind(c, ntfn, self->ep));
	ASSERT_EQ(0, kipc_ntfn_signal(c, ntfn, 0x5));
	EXPECT_EQ(0, kipc_recv(c, KIPC_SLOT(0), KIPC_TIMEOUT_POLL));
	EXPECT_TRUE(c->utcb->status & KIPC_ST_NOTIFY);
	EXPECT_EQ(0x5, kipc_ntfn_bits(c));
	EXPECT_EQ(0, kipc_ntfn_unbind(c, ntfn, self->ep));
	close(ntfn);

	/* A reply right held is given up: its caller learns ECONNRESET. */
	a.ret = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, call_once, &a));
	ASSERT_EQ(0, kipc_recv(c, KIPC_SLOT(0), INF));
	EXPECT_EQ(-EAGAIN, kipc_recv(c, KIPC_SLOT(0), KIPC_TIMEOUT_POLL));
	pthread_join(t, NULL);
	EXPECT_EQ(-ECONNRESET, a.ret);

	/* Nobody can send any more: EPIPE, not EAGAIN. */
	recv = kipc_ep_mint(c, self->ep, KIPC_RIGHT_RECV, 0, 0);
	ASSERT_GE(recv, 0);
	ASSERT_EQ(0, kipc_register(c, 1, recv));
	close(recv);
	ASSERT_EQ(0, kipc_unregister(c, 0));
	close(self->ep);
	self->ep = -1;
	EXPECT_EQ(-EPIPE, kipc_recv(c, KIPC_SLOT(1), KIPC_TIMEOUT_POLL));
	EXPECT_EQ(0, kipc_unregister(c, 1));
}

TEST_HARNESS_MAIN
