// SPDX-License-Identifier: GPL-2.0
/*
 * ABI 1.3: KIPC_IOC_MSEND_RECV, L4's IPC with both phases in one entry:
 * send one way to an endpoint, then receive on a second one.  Through
 * slots (the fast path) and descriptors (the slow path); neither phase
 * runs on a bad argument; KIPC_ST_SENT tells a failed receive from a
 * failed send; a signal that runs no handler restarts only the receive.
 */
#include "kipc_test.h"

FIXTURE(sr) {
	struct kipc_ctx c;
	int a, b;	/* a: to the peer; b: back to us */
	long contexts, endpoints, handles;
};

FIXTURE_SETUP(sr)
{
	self->contexts = kipc_stat("contexts");
	self->endpoints = kipc_stat("endpoints");
	self->handles = kipc_stat("handles");
	ctx_open(&self->c);
	self->a = kipc_ep_create(&self->c, 0);
	self->b = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->a, 0);
	ASSERT_GE(self->b, 0);
}

FIXTURE_TEARDOWN(sr)
{
	if (self->a >= 0)
		close(self->a);
	if (self->b >= 0)
		close(self->b);
	kipc_ctx_close(&self->c);
	EXPECT_EQ(self->contexts, kipc_stat("contexts"));
	EXPECT_EQ(self->endpoints, kipc_stat("endpoints"));
	EXPECT_EQ(self->handles, kipc_stat("handles"));
}

/* Issue KIPC_IOC_MSEND_RECV with raw area arguments. */
static int raw_send_recv(struct kipc_ctx *c, int ep, __u32 flags, int recv_ep,
			 __u32 pad, uint64_t send_timeout, uint64_t recv_timeout)
{
	struct kipc_area_args *a = &c->utcb->args;

	a->ep = ep;
	a->flags = flags;
	a->send_timeout = send_timeout;
	a->recv_timeout = recv_timeout;
	a->recv_ep = recv_ep;
	a->__pad = pad;
	return ioctl(c->fd, KIPC_IOC_MSEND_RECV, 0) < 0 ? -errno : 0;
}

/*
 * The peer: receives on @a, then answers each message (label + 1, mr[0]
 * + 1) one way on @b and receives the next with send_recv, @rounds times.
 */
struct peer {
	int a, b, rounds, slots;
	int ret;
	pthread_t t;
};

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	struct kipc_ctx c;
	int a = p->a, b = p->b;

	if (kipc_ctx_open(&c)) {
		p->ret = -ENODEV;
		return NULL;
	}
	if (p->slots) {
		p->ret = kipc_register(&c, 0, p->a) ?: kipc_register(&c, 1, p->b);
		if (p->ret)
			goto out;
		a = KIPC_SLOT(0);
		b = KIPC_SLOT(1);
	}
	p->ret = kipc_recv(&c, a, INF);
	for (int i = 0; !p->ret && i < p->rounds; i++) {
		uint64_t tag = kipc_tag(&c);

		kipc_mr(&c)[0]++;
		p->ret = kipc_send_recv(&c, b, KIPC_TAG(KIPC_TAG_LABEL(tag) + 1, 1),
					a, INF, i + 1 < p->rounds ? INF : KIPC_TIMEOUT_POLL);
		if (i + 1 == p->rounds && p->ret == -EAGAIN &&
		    (c.utcb->status & KIPC_ST_SENT))
			p->ret = 0;
	}
out:
	kipc_ctx_close(&c);
	return NULL;
}

static void pipeline(struct __test_metadata *_metadata, FIXTURE_DATA(sr) *self,
		     int slots)
{
	struct peer p = { .a = self->a, .b = self->b, .rounds = 200, .slots = slots };
	struct kipc_ctx *c = &self->c;
	int a = self->a, b = self->b;

	if (slots) {
		ASSERT_EQ(0, kipc_register(c, 2, self->a));
		ASSERT_EQ(0, kipc_register(c, 3, self->b));
		a = KIPC_SLOT(2);
		b = KIPC_SLOT(3);
	}
	ASSERT_EQ(0, pthread_create(&p.t, NULL, peer_main, &p));
	for (int i = 0; i < p.rounds; i++) {
		kipc_mr(c)[0] = 1000 * i;
		ASSERT_EQ(0, kipc_send_recv(c, a, KIPC_TAG(2 * i, 1), b, INF, INF));
		EXPECT_EQ(KIPC_TAG(2 * i + 1, 1), kipc_tag(c));
		EXPECT_EQ(1000 * i + 1, kipc_mr(c)[0]);
		EXPECT_EQ(getpid(), (pid_t)c->utcb->pid);
		EXPECT_EQ(KIPC_ST_SENT, c->utcb->status);
	}
	pthread_join(p.t, NULL);
	EXPECT_EQ(0, p.ret);
	if (slots) {
		EXPECT_EQ(0, kipc_unregister(c, 2));
		EXPECT_EQ(0, kipc_unregister(c, 3));
	}
}

TEST_F(sr, version)
{
	struct kipc_version v;

	ASSERT_EQ(0, ioctl(self->c.fd, KIPC_IOC_VERSION, &v));
	EXPECT_GE(v.abi_minor, 3);
	EXPECT_TRUE(v.features & KIPC_FEAT_SEND_RECV);
}

/* Both sides loop on send_recv, through slots (the fast path). */
TEST_F(sr, pipeline_slots)
{
	pipeline(_metadata, self, 1);
}

/* The same through descriptors (the slow path). */
TEST_F(sr, pipeline_descriptors)
{
	pipeline(_metadata, self, 0);
}

/* A receiver that waits on @ep until a message or its timeout. */
struct waiter {
	int ep;
	uint64_t timeout;
	int ret;
	__u64 badge, mr0, tag;
	pthread_t t;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct kipc_ctx c;

	if (kipc_ctx_open(&c)) {
		w->ret = -ENODEV;
		return NULL;
	}
	w->ret = kipc_recv(&c, w->ep, w->timeout);
	w->badge = c.utcb->badge;
	w->mr0 = kipc_mr(&c)[0];
	w->tag = kipc_tag(&c);
	kipc_ctx_close(&c);
	return NULL;
}

static int waiter_start(struct waiter *w, int ep)
{
	*w = (struct waiter){ .ep = ep, .timeout = INF };
	if (pthread_create(&w->t, NULL, waiter_main, w))
		return -1;
	return wait_fdinfo(ep, "receivers-waiting", 1);
}

/*
 * Bad arguments, of either phase, send nothing: a receiver waiting on the
 * first endpoint is still waiting afterwards.
 */
TEST_F(sr, argument_errors_send_nothing)
{
	struct kipc_ctx *c = &self->c;
	int send_only = kipc_ep_mint(c, self->b, KIPC_RIGHT_SEND, 0, 0);
	int recv_only = kipc_ep_mint(c, self->a, KIPC_RIGHT_RECV, 0, 0);
	struct waiter w;

	ASSERT_GE(send_only, 0);
	ASSERT_GE(recv_only, 0);
	ASSERT_EQ(0, waiter_start(&w, self->a));
	c->utcb->tag = KIPC_TAG(5, 0);
	/* The ioctl's argument, the padding, a slot out of range. */
	c->utcb->args = (struct kipc_area_args){ .ep = self->a, .recv_ep = self->b };
	EXPECT_EQ(-1, ioctl(c->fd, KIPC_IOC_MSEND_RECV, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, raw_send_recv(c, self->a, 0, self->b, 1, INF, INF));
	ASSERT_EQ(0, kipc_register(c, 0, self->a));
	EXPECT_EQ(-EINVAL, raw_send_recv(c, 0, KIPC_ARGS_SLOT, KIPC_SLOTS, 0, INF, INF));
	EXPECT_EQ(-EINVAL, raw_send_recv(c, 0, KIPC_ARGS_SLOT, -1, 0, INF, INF));
	EXPECT_EQ(-EINVAL, raw_send_recv(c, 0, KIPC_ARGS_SLOT, 0, 1, INF, INF));
	/* libkipc: one slot and one descriptor. */
	EXPECT_EQ(-EINVAL, kipc_send_recv(c, KIPC_SLOT(0), 0, self->b, INF, INF));
	/* A bad tag: the message area's error. */
	c->utcb->tag = KIPC_TAG(0, KIPC_MSG_REGS + 1);
	EXPECT_EQ(-EINVAL, kipc_send_recv(c, self->a, c->utcb->tag, self->b, INF, INF));
	/* The receiving end: closed, empty slot, without the right. */
	EXPECT_EQ(-EBADF, kipc_send_recv(c, self->a, KIPC_TAG(5, 0), 999, INF, INF));
	EXPECT_EQ(-EBADF, kipc_send_recv(c, KIPC_SLOT(0), KIPC_TAG(5, 0),
					 KIPC_SLOT(7), INF, INF));
	EXPECT_EQ(-EPERM, kipc_send_recv(c, self->a, KIPC_TAG(5, 0), send_only,
					 INF, INF));
	ASSERT_EQ(0, kipc_register(c, 1, send_only));
	EXPECT_EQ(-EPERM, kipc_send_recv(c, KIPC_SLOT(0), KIPC_TAG(5, 0),
					 KIPC_SLOT(1), INF, INF));
	/* The sending end without the right. */
	EXPECT_EQ(-EPERM, kipc_send_recv(c, recv_only, KIPC_TAG(5, 0), self->b,
					 INF, INF));
	EXPECT_FALSE(c->utcb->status & KIPC_ST_SENT);
	/* Nothing reached the waiter. */
	EXPECT_EQ(1, fdinfo_value(0, self->a, "receivers-waiting"));
	/* The other operations still want the whole word zero. */
	c->utcb->args = (struct kipc_area_args){ .ep = self->a, .recv_ep = 1 };
	EXPECT_EQ(-1, ioctl(c->fd, KIPC_IOC_MSEND, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, fdinfo_value(0, self->a, "receivers-waiting"));
	EXPECT_EQ(0, kipc_send(c, self->a, KIPC_TAG(6, 0), INF));
	pthread_join(w.t, NULL);
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(KIPC_TAG(6, 0), w.tag);
	EXPECT_EQ(0, kipc_unregister(c, 0));
	EXPECT_EQ(0, kipc_unregister(c, 1));
	close(send_only);
	close(recv_only);
}

/* A send phase that fails ends the operation: no SENT, no receive. */
TEST_F(sr, send_phase_errors)
{
	struct kipc_ctx *c = &self->c;
	int snd, only;

	ASSERT_EQ(0, kipc_register(c, 0, self->a));
	ASSERT_EQ(0, kipc_register(c, 1, self->b));
	c->utcb->status = 0xdead;
	EXPECT_EQ(-EAGAIN, kipc_send_recv(c, self->a, 0, self->b,
					  KIPC_TIMEOUT_POLL, INF));
	EXPECT_EQ(0, c->utcb->status);
	c->utcb->status = 0xdead;
	EXPECT_EQ(-EAGAIN, kipc_send_recv(c, KIPC_SLOT(0), 0, KIPC_SLOT(1),
					  KIPC_TIMEOUT_POLL, INF));
	EXPECT_EQ(0, c->utcb->status);
	EXPECT_EQ(-ETIMEDOUT, kipc_send_recv(c, KIPC_SLOT(0), 0, KIPC_SLOT(1),
					     20 * MS, INF));
	EXPECT_EQ(0, c->utcb->status);
	/* Nobody can receive on the first any more: EPIPE. */
	snd = kipc_ep_create(c, 0);
	ASSERT_GE(snd, 0);
	only = kipc_ep_mint(c, snd, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(only, 0);
	close(snd);
	EXPECT_EQ(-EPIPE, kipc_send_recv(c, only, 0, self->b, INF, INF));
	EXPECT_FALSE(c->utcb->status & KIPC_ST_SENT);
	close(only);
	EXPECT_EQ(0, kipc_unregister(c, 0));
	EXPECT_EQ(0, kipc_unregister(c, 1));
}

/*
 * A receive phase that fails after the send: the receiver has the message
 * and status says KIPC_ST_SENT (poll, finite timeout; slots and
 * descriptors).
 */
TEST_F(sr, recv_phase_errors_say_sent)
{
	struct kipc_ctx *c = &self->c;
	struct waiter w;
	struct { int a, b; } how[2] = {
		{ self->a, self->b }, { KIPC_SLOT(0), KIPC_SLOT(1) }
	};

	ASSERT_EQ(0, kipc_register(c, 0, self->a));
	ASSERT_EQ(0, kipc_register(c, 1, self->b));
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(0, waiter_start(&w, self->a));
		kipc_mr(c)[0] = 70 + i;
		EXPECT_EQ(-EAGAIN, kipc_send_recv(c, how[i].a, KIPC_TAG(7, 1),
						  how[i].b, INF, KIPC_TIMEOUT_POLL));
		EXPECT_EQ(KIPC_ST_SENT, c->utcb->status);
		pthread_join(w.t, NULL);
		EXPECT_EQ(0, w.ret);
		EXPECT_EQ(70 + i, w.mr0);

		ASSERT_EQ(0, waiter_start(&w, self->a));
		EXPECT_EQ(-ETIMEDOUT, kipc_send_recv(c, how[i].a, KIPC_TAG(8, 1),
						     how[i].b, INF, 20 * MS));
		EXPECT_EQ(KIPC_ST_SENT, c->utcb->status);
		pthread_join(w.t, NULL);
		EXPECT_EQ(0, w.ret);
		EXPECT_EQ(KIPC_TAG(8, 1), w.tag);
	}
	EXPECT_EQ(0, kipc_unregister(c, 0));
	EXPECT_EQ(0, kipc_unregister(c, 1));
}

struct caller {
	int ep, ret;
	pthread_t t;
};

static void *caller_main(void *arg)
{
	struct caller *k = arg;
	struct kipc_ctx c;

	if (kipc_ctx_open(&c)) {
		k->ret = -ENODEV;
		return NULL;
	}
	k->ret = kipc_call(&c, k->ep, KIPC_TAG(1, 0), INF);
	kipc_ctx_close(&c);
	return NULL;
}

/* A reply right held is given up by the receive, as by recv. */
TEST_F(sr, gives_up_reply_right)
{
	struct kipc_ctx *c = &self->c;
	struct caller k = { .ep = self->b };
	struct waiter w;

	ASSERT_EQ(0, pthread_create(&k.t, NULL, caller_main, &k));
	ASSERT_EQ(0, kipc_recv(c, self->b, INF));
	ASSERT_EQ(0, waiter_start(&w, self->a));
	EXPECT_EQ(-EAGAIN, kipc_send_recv(c, self->a, 0, self->b, INF,
					  KIPC_TIMEOUT_POLL));
	pthread_join(k.t, NULL);
	EXPECT_EQ(-ECONNRESET, k.ret);
	pthread_join(w.t, NULL);
	EXPECT_EQ(0, w.ret);
	EXPECT_EQ(-ENOENT, kipc_reply(c, 0));
}

/* Descriptors both ways: one sent with the message, one received. */
struct fd_peer {
	int ep, fd, ret, got;
	__u64 tag;
	pthread_t t;
};

static void *fd_sender(void *arg)
{
	struct fd_peer *f = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	kipc_fds(&c)[0] = f->fd;
	f->ret = kipc_send(&c, f->ep, KIPC_TAG_WITH_FDS(KIPC_TAG(9, 0), 1), INF);
	kipc_ctx_close(&c);
	return NULL;
}

static void *fd_receiver(void *arg)
{
	struct fd_peer *f = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	kipc_accept_fds(&c, 1);
	f->ret = kipc_recv(&c, f->ep, INF);
	f->tag = kipc_tag(&c);
	f->got = KIPC_TAG_FDS(f->tag) == 1 ? kipc_fds(&c)[0] : -1;
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(sr, descriptors_both_phases)
{
	struct kipc_ctx *c = &self->c;
	struct fd_peer s, r = { .ep = self->a };
	int p[2], got;
	char ch = 0;

	ASSERT_EQ(0, pipe(p));
	s = (struct fd_peer){ .ep = self->b, .fd = p[1] };
	ASSERT_EQ(0, pthread_create(&s.t, NULL, fd_sender, &s));
	ASSERT_EQ(0, wait_fdinfo(self->b, "senders-waiting", 1));
	ASSERT_EQ(0, pthread_create(&r.t, NULL, fd_receiver, &r));
	ASSERT_EQ(0, wait_fdinfo(self->a, "receivers-waiting", 1));
	kipc_accept_fds(c, 1);
	kipc_fds(c)[0] = p[0];
	ASSERT_EQ(0, kipc_send_recv(c, self->a, KIPC_TAG_WITH_FDS(KIPC_TAG(3, 0), 1),
				    self->b, INF, INF));
	EXPECT_EQ(KIPC_ST_SENT, c->utcb->status);
	EXPECT_EQ(9, KIPC_TAG_LABEL(kipc_tag(c)));
	ASSERT_EQ(1, KIPC_TAG_FDS(kipc_tag(c)));
	got = kipc_fds(c)[0];
	pthread_join(s.t, NULL);
	pthread_join(r.t, NULL);
	EXPECT_EQ(0, s.ret);
	EXPECT_EQ(0, r.ret);
	EXPECT_EQ(3, KIPC_TAG_LABEL(r.tag));
	ASSERT_GE(r.got, 0);
	/* got is the pipe's write end, r.got its read end. */
	EXPECT_EQ(1, write(got, "z", 1));
	EXPECT_EQ(1, read(r.got, &ch, 1));
	EXPECT_EQ('z', ch);
	kipc_accept_fds(c, 0);
	close(got);
	close(r.got);
	close(p[0]);
	close(p[1]);
}

/*
 * Signals in the receive phase, in a child process: stop/continue restarts
 * only the receive (the peer gets one message); a handler ends it with
 * EINTR and KIPC_ST_SENT; with SA_RESTART the receive goes on.
 */
struct lone {
	int a, b, slots, handler;
	int pipe[2];
	pid_t pid;
};

struct outcome {
	int ret;
	__u32 status;
	__u64 mr0;
};

static int lone_child(void *arg)
{
	struct lone *l = arg;
	struct outcome o = { 0 };
	struct kipc_ctx c;
	int a = l->a, b = l->b;

	close(l->pipe[0]);
	if (l->handler)
		catch_signal(SIGUSR1, l->handler > 1);
	ctx_open(&c);
	if (l->slots) {
		if (kipc_register(&c, 0, l->a) || kipc_register(&c, 1, l->b))
			return 2;
		a = KIPC_SLOT(0);
		b = KIPC_SLOT(1);
	}
	kipc_mr(&c)[0] = 0x1111;
	o.ret = kipc_send_recv(&c, a, KIPC_TAG(1, 1), b, INF, INF);
	o.status = c.utcb->status;
	o.mr0 = kipc_mr(&c)[0];
	return write(l->pipe[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1;
}

static int lone_start(struct lone *l, int a, int b, int slots, int handler)
{
	*l = (struct lone){ .a = a, .b = b, .slots = slots, .handler = handler };
	if (pipe(l->pipe))
		return -1;
	l->pid = spawn(lone_child, l);
	close(l->pipe[1]);
	return l->pid > 0 ? 0 : -1;
}

static int lone_end(struct lone *l, struct outcome *o)
{
	ssize_t n = read(l->pipe[0], o, sizeof(*o));

	close(l->pipe[0]);
	return reap(l->pid) == 0 && n == sizeof(*o) ? 0 : -1;
}

static int stop_cont(pid_t pid)
{
	int st;

	if (wait_sleeping(pid) || kill(pid, SIGSTOP) ||
	    waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st) ||
	    kill(pid, SIGCONT) ||
	    waitpid(pid, &st, WCONTINUED) != pid || !WIFCONTINUED(st))
		return -1;
	return 0;
}

static void stop_continue(struct __test_metadata *_metadata,
			  FIXTURE_DATA(sr) *self, int slots)
{
	struct kipc_ctx *c = &self->c;
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_start(&l, self->a, self->b, slots, 0));
	ASSERT_EQ(0, kipc_recv(c, self->a, INF));
	EXPECT_EQ(0x1111, kipc_mr(c)[0]);
	ASSERT_EQ(0, wait_fdinfo(self->b, "receivers-waiting", 1));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, stop_cont(l.pid));
	ASSERT_EQ(0, wait_fdinfo(self->b, "receivers-waiting", 1));
	/* Not sent again. */
	EXPECT_EQ(-EAGAIN, kipc_recv(c, self->a, KIPC_TIMEOUT_POLL));
	kipc_mr(c)[0] = 0x2222;
	EXPECT_EQ(0, kipc_send(c, self->b, KIPC_TAG(2, 1), INF));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0x2222, o.mr0);
	EXPECT_EQ(KIPC_ST_SENT, o.status);
}

TEST_F(sr, stop_continue_receive_phase_slots)
{
	stop_continue(_metadata, self, 1);
}

TEST_F(sr, stop_continue_receive_phase_descriptors)
{
	stop_continue(_metadata, self, 0);
}

/*
 * A handler that runs in the receive phase, without SA_RESTART (@restart
 * 1) or with it (2): EINTR, status says it was sent, and it was sent once.
 * With SA_RESTART too: the kernel's re-issue after a handler could not be
 * told from the program's own, so the receive phase of a send_recv ends
 * with EINTR (as epoll_wait does) rather than risk a second send.
 */
static void handler_in_receive_phase(struct __test_metadata *_metadata,
				     FIXTURE_DATA(sr) *self, int restart)
{
	struct kipc_ctx *c = &self->c;
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_start(&l, self->a, self->b, 1, restart));
	ASSERT_EQ(0, kipc_recv(c, self->a, INF));
	ASSERT_EQ(0, wait_fdinfo(self->b, "receivers-waiting", 1));
	ASSERT_EQ(0, wait_sleeping(l.pid));
	ASSERT_EQ(0, kill(l.pid, SIGUSR1));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(-EINTR, o.ret);
	EXPECT_EQ(KIPC_ST_SENT, o.status);
	/* Sent once. */
	EXPECT_EQ(-EAGAIN, kipc_recv(c, self->a, KIPC_TIMEOUT_POLL));
}

TEST_F(sr, handler_ends_receive_phase_sent)
{
	handler_in_receive_phase(_metadata, self, 1);
}

TEST_F(sr, sa_restart_still_eintr_after_send)
{
	handler_in_receive_phase(_metadata, self, 2);
}

/*
 * In the send phase nothing went out yet: SA_RESTART re-issues the whole
 * operation, which sends once.
 */
TEST_F(sr, sa_restart_in_send_phase_sends_once)
{
	struct kipc_ctx *c = &self->c;
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_start(&l, self->a, self->b, 1, 2));
	ASSERT_EQ(0, wait_fdinfo(self->a, "senders-waiting", 1));
	ASSERT_EQ(0, wait_sleeping(l.pid));
	ASSERT_EQ(0, kill(l.pid, SIGUSR1));
	sleep_ms(50);
	ASSERT_EQ(0, wait_fdinfo(self->a, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_recv(c, self->a, INF));
	EXPECT_EQ(0x1111, kipc_mr(c)[0]);
	EXPECT_EQ(-EAGAIN, kipc_recv(c, self->a, KIPC_TIMEOUT_POLL));
	ASSERT_EQ(0, wait_fdinfo(self->b, "receivers-waiting", 1));
	kipc_mr(c)[0] = 0x4444;
	EXPECT_EQ(0, kipc_send(c, self->b, KIPC_TAG(2, 1), INF));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0x4444, o.mr0);
}

/*
 * A storm of signals that run no handler (stop/continue, SIGCHLD and
 * SIGWINCH at their default, an ignored SIGUSR2) on a process that loops
 * on send_recv, by slot and by descriptor in turn: every message arrives
 * exactly once and in order, and every receive gets its answer.
 */
#define STORM_N		2000

struct storm_child {
	int a, b, pipe;
};

static int storm_child(void *arg)
{
	struct storm_child *sc = arg;
	int res[2] = { 0, 0 };	/* completed, first error */
	struct kipc_ctx c;

	ctx_open(&c);
	if (kipc_register(&c, 0, sc->a) || kipc_register(&c, 1, sc->b))
		return 2;
	for (int i = 0; i < STORM_N; i++) {
		int slot = i & 1, ret;

		kipc_mr(&c)[0] = i;
		ret = kipc_send_recv(&c, slot ? KIPC_SLOT(0) : sc->a, KIPC_TAG(i, 1),
				     slot ? KIPC_SLOT(1) : sc->b, INF, INF);
		if (ret || kipc_mr(&c)[0] != i + 1000000 ||
		    KIPC_TAG_LABEL(kipc_tag(&c)) != (uint64_t)i ||
		    c.utcb->status != KIPC_ST_SENT) {
			res[1] = ret ? ret : -EPROTO;
			break;
		}
		res[0]++;
	}
	return write(sc->pipe, res, sizeof(res)) == sizeof(res) ? 0 : 1;
}

struct storm_echo {
	int a, b, got, bad;
	volatile int done;
};

static void *storm_echo(void *arg)
{
	struct storm_echo *e = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	for (e->got = 0; e->got < STORM_N; e->got++) {
		uint64_t label;

		if (kipc_recv(&c, e->a, 30000 * MS)) {
			e->bad = -1;
			break;
		}
		label = KIPC_TAG_LABEL(kipc_tag(&c));
		if (label != (uint64_t)e->got || kipc_mr(&c)[0] != label) {
			e->bad = 1 + e->got;
			break;
		}
		kipc_mr(&c)[0] = label + 1000000;
		if (kipc_send(&c, e->b, KIPC_TAG(label, 1), 30000 * MS)) {
			e->bad = -2;
			break;
		}
	}
	e->done = 1;
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F_TIMEOUT(sr, storm_of_signals_without_handlers, 120)
{
	static const int sigs[] = { SIGCHLD, SIGWINCH, SIGUSR2 };
	struct storm_echo e = { .a = self->a, .b = self->b };
	struct storm_child sc = { .a = self->a, .b = self->b };
	uint64_t end = now_ns() + 10000 * MS * kipc_slow();
	int p[2], res[2] = { -1, -1 }, n = 0, status = -1;
	pthread_t t;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	sc.pipe = p[1];
	ASSERT_EQ(0, pthread_create(&t, NULL, storm_echo, &e));
	/* Ignored from the child's first instruction on (inherited). */
	signal(SIGUSR2, SIG_IGN);
	pid = spawn(storm_child, &sc);
	signal(SIGUSR2, SIG_DFL);
	ASSERT_GT(pid, 0);
	close(p[1]);
	while (!e.done && now_ns() < end) {
		int st;

		if (n % 8 == 7) {
			/* A child that exits meanwhile is reaped here: keep its status. */
			if (kill(pid, SIGSTOP) == 0 && waitpid(pid, &st, WUNTRACED) == pid) {
				if (!WIFSTOPPED(st)) {
					status = st;
					break;
				}
				kill(pid, SIGCONT);
				if (waitpid(pid, &st, WCONTINUED) == pid && !WIFCONTINUED(st)) {
					status = st;
					break;
				}
			}
		} else {
			kill(pid, sigs[n % 3]);
		}
		n++;
		sched_yield();
	}
	TH_LOG("%d round trips under %d signals", e.got, n);
	/* The signals stop: the rest must complete. */
	pthread_join(t, NULL);
	if (status < 0)
		status = reap(pid);
	else
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	EXPECT_EQ(0, status);
	EXPECT_EQ((ssize_t)sizeof(res), read(p[0], res, sizeof(res)));
	close(p[0]);
	EXPECT_EQ(0, e.bad);
	EXPECT_EQ(STORM_N, e.got);
	EXPECT_EQ(STORM_N, res[0]);
	EXPECT_EQ(0, res[1]);
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->a, KIPC_TIMEOUT_POLL));
}

struct sr_thread {
	int a, b, ret;
	__u32 status;
	pthread_t t;
};

static void *sr_thread_main(void *arg)
{
	struct sr_thread *x = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	x->ret = kipc_send_recv(&c, x->a, KIPC_TAG(1, 0), x->b, INF, INF);
	x->status = c.utcb->status;
	kipc_ctx_close(&c);
	return NULL;
}

/* The receiving end's last handle closed under the receive phase: EPIPE. */
TEST_F(sr, receive_end_closed_under_it)
{
	struct sr_thread x = { .a = self->a, .b = self->b };

	ASSERT_EQ(0, pthread_create(&x.t, NULL, sr_thread_main, &x));
	ASSERT_EQ(0, kipc_recv(&self->c, self->a, INF));
	ASSERT_EQ(0, wait_fdinfo(self->b, "receivers-waiting", 1));
	close(self->b);
	self->b = -1;
	pthread_join(x.t, NULL);
	EXPECT_EQ(-EPIPE, x.ret);
	EXPECT_EQ(KIPC_ST_SENT, x.status);
}

TEST_HARNESS_MAIN
