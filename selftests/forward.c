// SPDX-License-Identifier: GPL-2.0
/*
 * ABI 1.7: KIPC_IOC_FORWARD, _MFORWARD, _MFORWARD_RECV (L4's propagation).
 * A server hands the call it received on to another endpoint, and the
 * reply right goes with it: the final server answers the original caller,
 * sees the caller's identity (not the forwarder's), the forwarder's badge,
 * KIPC_ST_FORWARDED and the hop count; the forwarder is free at once.
 * Delivery to a waiting receiver and from the sender queue; the errors
 * that keep the right and the ones that do not; a caller that gives up
 * while its call waits forwarded; loops of forwarders (ELOOP); windows
 * and descriptors that travel; signals; a forwarder that dies; io_uring.
 */
#include <liburing.h>
#include <sys/uio.h>

#include "kipc_test.h"
#include <kipc_uring.h>

FIXTURE(fwd) {
	struct kipc_ctx c;
	int p, s;		/* p: the proxy's endpoint; s: the server's */
	int pf, sf;		/* their handles that may forward */
	long contexts, endpoints, handles, inflight;
};

FIXTURE_SETUP(fwd)
{
	self->contexts = kipc_stat("contexts");
	self->endpoints = kipc_stat("endpoints");
	self->handles = kipc_stat("handles");
	self->inflight = kipc_stat("inflight");
	ctx_open(&self->c);
	self->p = kipc_ep_create(&self->c, 0);
	self->s = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->p, 0);
	ASSERT_GE(self->s, 0);
	/* The owner lets the proxies forward: a right only its RECV handle gives. */
	self->pf = kipc_ep_mint(&self->c, self->p, KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD, 0, 0);
	self->sf = kipc_ep_mint(&self->c, self->s,
				KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT | KIPC_RIGHT_FORWARD, 0, 0);
	ASSERT_GE(self->pf, 0);
	ASSERT_GE(self->sf, 0);
}

FIXTURE_TEARDOWN(fwd)
{
	if (self->p >= 0)
		close(self->p);
	if (self->s >= 0)
		close(self->s);
	close(self->pf);
	close(self->sf);
	kipc_ctx_close(&self->c);
	EXPECT_EQ(self->contexts, kipc_stat("contexts"));
	EXPECT_EQ(self->endpoints, kipc_stat("endpoints"));
	EXPECT_EQ(self->handles, kipc_stat("handles"));
	EXPECT_EQ(self->inflight, kipc_stat("inflight"));
}

/* A caller thread: calls @ep with label 7 and mr[0] = 100, @timeout. */
struct caller {
	pthread_t t;
	int ep;
	uint64_t timeout;
	int ret;
	uint64_t tag, mr0;
	uint32_t status;
	pid_t tid;
};

static void *caller_main(void *arg)
{
	struct caller *cl = arg;
	struct kipc_ctx c;

	cl->tid = gettid_();
	ctx_open(&c);
	kipc_mr(&c)[0] = 100;
	cl->ret = kipc_call(&c, cl->ep, KIPC_TAG(7, 1), cl->timeout);
	cl->tag = kipc_tag(&c);
	cl->mr0 = kipc_mr(&c)[0];
	cl->status = kipc_status(&c);
	kipc_ctx_close(&c);
	return NULL;
}

static int caller_start(struct caller *cl, int ep, uint64_t timeout)
{
	*cl = (struct caller){ .ep = ep, .timeout = timeout };
	return pthread_create(&cl->t, NULL, caller_main, cl);
}

static int caller_join(struct caller *cl)
{
	pthread_join(cl->t, NULL);
	return cl->ret;
}

/*
 * The server: one call on @ep, answered with label + 1 and mr[0] + 1;
 * what it saw is kept.
 */
struct server {
	struct partner p;
	uint64_t tag, badge, mr0;
	uint32_t status;
	pid_t pid;
	uid_t uid;
	int caller_pid;
	int reply;
};

static int server_fn(struct partner *p)
{
	struct server *s = p->arg;
	struct kipc_caller who = { 0 };
	int r = kipc_recv(&p->c, p->ep, INF);

	if (r)
		return r;
	s->tag = kipc_tag(&p->c);
	s->badge = kipc_badge(&p->c);
	s->mr0 = kipc_mr(&p->c)[0];
	s->status = kipc_status(&p->c);
	s->pid = kipc_pid(&p->c);
	s->uid = kipc_uid(&p->c);
	if (!ioctl(p->c.fd, KIPC_IOC_CALLER, &who))
		s->caller_pid = who.pid;
	kipc_mr(&p->c)[0] = s->mr0 + 1;
	s->reply = kipc_reply(&p->c, KIPC_TAG(KIPC_TAG_LABEL(s->tag) + 1, 1));
	return 0;
}

/* Forward from a server that is waiting already: the direct delivery. */
TEST_F(fwd, to_a_waiting_server)
{
	struct kipc_ctx *c = &self->c;
	struct server srv = { 0 };
	struct caller cl;
	struct kipc_caller who = { 0 };
	int bs;

	/* The proxy forwards through a badged handle of the server's. */
	bs = kipc_ep_mint(c, self->s, KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD, 0x5eed,
			  KIPC_MINT_BADGE);
	ASSERT_GE(bs, 0);
	ASSERT_EQ(0, partner_start(&srv.p, self->s, server_fn, &srv));
	ASSERT_EQ(0, wait_fdinfo(self->s, "receivers-waiting", 1));
	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	EXPECT_EQ(KIPC_TAG(7, 1) | KIPC_TAG_F_CALL, kipc_tag(c));
	EXPECT_EQ(0, kipc_hops(c));
	EXPECT_EQ(0, c->utcb->status);
	/* The proxy changes the message on its way. */
	kipc_mr(c)[0] = 200;
	ASSERT_EQ(0, kipc_forward(c, bs, KIPC_TAG(9, 1), INF));
	EXPECT_EQ(0, c->utcb->status);
	/* Free at once: no right to reply with any more. */
	EXPECT_EQ(-1, ioctl(c->fd, KIPC_IOC_CALLER, &who));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-ENOENT, kipc_reply(c, 0));
	EXPECT_EQ(0, partner_join(&srv.p));
	EXPECT_EQ(0, caller_join(&cl));
	/* The server saw the forwarded message, as a call from the caller. */
	EXPECT_EQ(KIPC_TAG(9, 1) | KIPC_TAG_F_CALL, srv.tag);
	EXPECT_EQ(200, srv.mr0);
	EXPECT_EQ(0x5eed, srv.badge);
	EXPECT_EQ(KIPC_ST_FORWARDED | (1U << KIPC_ST_HOPS_SHIFT), srv.status);
	EXPECT_EQ(getpid(), srv.pid);
	EXPECT_EQ(getpid(), srv.caller_pid);
	EXPECT_EQ(0, srv.reply);
	/* And the caller got the server's reply, straight. */
	EXPECT_EQ(KIPC_TAG(10, 1), cl.tag);
	EXPECT_EQ(201, cl.mr0);
	close(bs);
}

/* Forward to a server that is not there yet: the proxy waits queued. */
TEST_F(fwd, from_the_sender_queue)
{
	struct kipc_ctx *c = &self->c;
	struct server srv = { 0 };
	struct caller cl;

	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	/* Nobody receives: a poll fails and keeps the right. */
	EXPECT_EQ(-EAGAIN, kipc_forward(c, self->sf, KIPC_TAG(1, 1), KIPC_TIMEOUT_POLL));
	/* A finite wait times out and keeps it too. */
	EXPECT_EQ(-ETIMEDOUT, kipc_forward(c, self->sf, KIPC_TAG(1, 1), 20 * MS));
	ASSERT_EQ(0, partner_start(&srv.p, self->s, server_fn, &srv));
	/* The server comes later and takes the proxy off the queue. */
	usleep(20000);
	ASSERT_EQ(0, kipc_forward(c, self->sf, KIPC_TAG(3, 1), INF));
	EXPECT_EQ(0, partner_join(&srv.p));
	EXPECT_EQ(0, caller_join(&cl));
	EXPECT_EQ(KIPC_TAG(3, 1) | KIPC_TAG_F_CALL, srv.tag);
	EXPECT_EQ(100, srv.mr0);
	EXPECT_EQ(1, KIPC_ST_HOPS(srv.status));
	EXPECT_EQ(KIPC_TAG(4, 1), cl.tag);
	EXPECT_EQ(101, cl.mr0);
}

/* The caller's uid and pid arrive, never the forwarder's. */
static int child_caller(void *arg)
{
	struct kipc_ctx c;
	int ep = *(int *)arg;

	CHILD_CHECK(become(4321, 4321) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	CHILD_CHECK(kipc_call(&c, ep, KIPC_TAG(5, 0), INF) == 0);
	CHILD_CHECK(kipc_tag(&c) == KIPC_TAG(6, 1));
	kipc_ctx_close(&c);
	return 0;
}

TEST_F(fwd, identity_is_the_callers)
{
	struct kipc_ctx *c = &self->c;
	struct server srv = { 0 };
	int sp = kipc_ep_mint(c, self->p, KIPC_RIGHT_SEND, 0, 0);
	pid_t pid;

	ASSERT_GE(sp, 0);
	ASSERT_EQ(0, partner_start(&srv.p, self->s, server_fn, &srv));
	pid = spawn(child_caller, &sp);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	EXPECT_EQ(4321, kipc_uid(c));
	ASSERT_EQ(0, kipc_forward(c, self->sf, KIPC_TAG(5, 0), INF));
	EXPECT_EQ(0, partner_join(&srv.p));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(pid, srv.pid);
	EXPECT_EQ(pid, srv.caller_pid);
	EXPECT_EQ(4321, srv.uid);
	close(sp);
}

/* The errors that deliver nothing keep the right: the proxy may reply. */
TEST_F(fwd, errors_keep_the_right)
{
	struct kipc_ctx *c = &self->c;
	struct caller cl;
	int ro, closed, sg;

	/* No reply right held. */
	EXPECT_EQ(-ENOENT, kipc_forward(c, self->sf, 0, INF));
	EXPECT_EQ(-ENOENT, kipc_forward_recv(c, self->sf, 0, self->p, INF, 0));
	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	/* A handle without the send right; a descriptor that is none. */
	ro = kipc_ep_mint(c, self->s, KIPC_RIGHT_RECV, 0, 0);
	ASSERT_GE(ro, 0);
	EXPECT_EQ(-EPERM, kipc_forward(c, ro, 0, INF));
	closed = dup(ro);
	close(closed);
	EXPECT_EQ(-EBADF, kipc_forward(c, closed, 0, INF));
	EXPECT_EQ(-EBADF, kipc_forward(c, KIPC_SLOT(3), 0, INF));
	/* Windows in the tag: the caller's go with the call. */
	EXPECT_EQ(-EINVAL, kipc_forward(c, self->sf, KIPC_TAG_WITH_WINS(0, 1), INF));
	/* A bad tag, bad area arguments. */
	EXPECT_EQ(-EINVAL, kipc_forward(c, self->sf, KIPC_TAG(0, 65), INF));
	c->utcb->args = (struct kipc_area_args){ .ep = self->sf, .flags = 2 };
	EXPECT_EQ(-1, ioctl(c->fd, KIPC_IOC_MFORWARD, 0));
	EXPECT_EQ(EINVAL, errno);
	c->utcb->args = (struct kipc_area_args){ .ep = self->sf, .__reserved = 1 };
	EXPECT_EQ(-1, ioctl(c->fd, KIPC_IOC_MFORWARD, 0));
	EXPECT_EQ(EINVAL, errno);
	c->utcb->args = (struct kipc_area_args){ .ep = self->sf };
	EXPECT_EQ(-1, ioctl(c->fd, KIPC_IOC_MFORWARD, 1));
	EXPECT_EQ(EINVAL, errno);
	/* forward_recv: a bad receiving handle forwards nothing. */
	EXPECT_EQ(-EBADF, kipc_forward_recv(c, self->sf, 0, closed, INF, INF));
	EXPECT_EQ(0, c->utcb->status & KIPC_ST_SENT);
	EXPECT_EQ(0, fdinfo_value(getpid(), self->s, "senders-waiting"));
	/* A handle that may send but not forward: its owner did not say so. */
	sg = kipc_ep_mint(c, self->s, KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT, 0, 0);
	ASSERT_GE(sg, 0);
	EXPECT_EQ(-EPERM, kipc_forward(c, sg, 0, INF));
	EXPECT_EQ(-EPERM, kipc_forward_recv(c, sg, 0, self->p, INF, INF));
	close(sg);
	/* Descriptors without GRANT on the handle forwarded through. */
	sg = kipc_ep_mint(c, self->s, KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD, 0, 0);
	ASSERT_GE(sg, 0);
	kipc_fds(c)[0] = ro;
	EXPECT_EQ(-EPERM, kipc_forward(c, sg, KIPC_TAG_WITH_FDS(0, 1), INF));
	close(sg);
	/* Still ours: the reply reaches the caller. */
	kipc_mr(c)[0] = 55;
	EXPECT_EQ(0, kipc_reply(c, KIPC_TAG(8, 1)));
	EXPECT_EQ(0, caller_join(&cl));
	EXPECT_EQ(KIPC_TAG(8, 1), cl.tag);
	EXPECT_EQ(55, cl.mr0);
	close(ro);
	/* EPIPE once nobody can receive on the target; the right stays. */
	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	ro = kipc_ep_mint(c, self->s, KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD, 0, 0);
	close(self->s);
	self->s = -1;
	EXPECT_EQ(-EPIPE, kipc_forward(c, ro, 0, INF));
	EXPECT_EQ(0, kipc_reply(c, KIPC_TAG(2, 0)));
	EXPECT_EQ(0, caller_join(&cl));
	EXPECT_EQ(KIPC_TAG(2, 0), cl.tag);
	close(ro);
}

/*
 * A queued forward ended from outside keeps the right: a cancel
 * (ECANCELED), and the last receive handle of the target closing (EPIPE).
 */
struct qcancel {
	struct kipc_ctx *c;
	int to, ret;
	pthread_t t;
};

static void *qcancel_main(void *arg)
{
	struct qcancel *q = arg;

	q->ret = kipc_forward(q->c, q->to, KIPC_TAG(2, 0), INF);
	return NULL;
}

TEST_F(fwd, queued_forward_cancelled_or_target_closed)
{
	struct kipc_ctx *c = &self->c;
	struct qcancel q = { .c = c, .to = self->sf };
	struct caller cl;

	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	ASSERT_EQ(0, pthread_create(&q.t, NULL, qcancel_main, &q));
	ASSERT_EQ(0, wait_fdinfo(self->s, "senders-waiting", 1));
	EXPECT_EQ(0, kipc_cancel(c));
	pthread_join(q.t, NULL);
	EXPECT_EQ(-ECANCELED, q.ret);
	EXPECT_EQ(0, fdinfo_value(getpid(), self->s, "senders-waiting"));
	/* Again, and the server's endpoint dies under it. */
	ASSERT_EQ(0, pthread_create(&q.t, NULL, qcancel_main, &q));
	ASSERT_EQ(0, wait_fdinfo(self->s, "senders-waiting", 1));
	close(self->s);
	self->s = -1;
	pthread_join(q.t, NULL);
	EXPECT_EQ(-EPIPE, q.ret);
	/* The call is still ours to answer. */
	EXPECT_EQ(0, kipc_reply(c, KIPC_TAG(3, 0)));
	EXPECT_EQ(0, caller_join(&cl));
	EXPECT_EQ(KIPC_TAG(3, 0), cl.tag);
}

/* A caller that stopped waiting: the forward fails, the right is gone. */
TEST_F(fwd, caller_gone)
{
	struct kipc_ctx *c = &self->c;
	struct caller cl;

	ASSERT_EQ(0, caller_start(&cl, self->p, 30 * MS));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	EXPECT_EQ(-ETIMEDOUT, caller_join(&cl));
	EXPECT_EQ(-ECONNRESET, kipc_forward(c, self->sf, 0, INF));
	EXPECT_EQ(-ENOENT, kipc_reply(c, 0));
}

/*
 * The caller gives up while the forward waits on the queue: the server
 * that comes later never sees the call, and the proxy learns ECONNRESET.
 */
struct qfwd {
	struct kipc_ctx *c;
	int s, ret;
	pthread_t t;
};

static void *qfwd_main(void *arg)
{
	struct qfwd *q = arg;

	q->ret = kipc_forward(q->c, q->s, KIPC_TAG(1, 0), INF);
	return NULL;
}

TEST_F(fwd, caller_gone_while_queued)
{
	struct kipc_ctx *c = &self->c, r;
	struct caller cl;
	struct qfwd q = { .c = c, .s = self->sf };

	ASSERT_EQ(0, caller_start(&cl, self->p, 200 * MS));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	ASSERT_EQ(0, pthread_create(&q.t, NULL, qfwd_main, &q));
	ASSERT_EQ(0, wait_fdinfo(self->s, "senders-waiting", 1));
	EXPECT_EQ(-ETIMEDOUT, caller_join(&cl));
	ctx_open(&r);
	/* The queued forward is failed, not delivered. */
	EXPECT_EQ(-EAGAIN, kipc_recv(&r, self->s, KIPC_TIMEOUT_POLL));
	pthread_join(q.t, NULL);
	EXPECT_EQ(-ECONNRESET, q.ret);
	EXPECT_EQ(-ENOENT, kipc_reply(c, 0));
	kipc_ctx_close(&r);
}

/*
 * Forwarders that send to each other: the ninth forward fails with ELOOP
 * and so does the call; each hop was counted.
 */
struct looper {
	struct partner p;
	int fwd;		/* where it forwards to: its own endpoint */
	unsigned int hops_seen;	/* bit n: a call came with n hops */
	int eloop;
};

static int looper_fn(struct partner *p)
{
	struct looper *l = p->arg;
	int r = kipc_recv(&p->c, p->ep, INF);

	while (!r || r == -ELOOP) {
		if (r == -ELOOP) {
			l->eloop++;
			r = kipc_recv(&p->c, p->ep, INF);
			continue;
		}
		l->hops_seen |= 1U << kipc_hops(&p->c);
		r = kipc_forward_recv(&p->c, l->fwd, kipc_tag(&p->c), p->ep, INF, INF);
	}
	return r == -EPIPE ? 0 : r;
}

TEST_F(fwd, loop_ends_with_eloop)
{
	struct looper a = { .fwd = self->pf }, b = { .fwd = self->pf };
	struct caller cl;

	ASSERT_EQ(0, partner_start(&a.p, self->p, looper_fn, &a));
	ASSERT_EQ(0, partner_start(&b.p, self->p, looper_fn, &b));
	ASSERT_EQ(0, wait_fdinfo(self->p, "receivers-waiting", 2));
	ASSERT_EQ(0, caller_start(&cl, self->p, 20000 * MS));
	EXPECT_EQ(-ELOOP, caller_join(&cl));
	EXPECT_EQ(1, a.eloop + b.eloop);
	/* hops 0 (the caller's own) to KIPC_FWD_HOPS_MAX were seen */
	EXPECT_EQ((2U << KIPC_FWD_HOPS_MAX) - 1, a.hops_seen | b.hops_seen);
	close(self->p);
	self->p = -1;
	EXPECT_EQ(0, partner_join(&a.p));
	EXPECT_EQ(0, partner_join(&b.p));
}

/* The proxy's loop through slots: forward_recv, 200 calls. */
#define PROXY_CALLS	200
static int proxy_fn(struct partner *p)
{
	int s = *(int *)p->arg, r, i;

	r = kipc_register(&p->c, 0, p->ep) ?: kipc_register(&p->c, 1, s) ?:
	    kipc_recv(&p->c, KIPC_SLOT(0), INF);
	for (i = 1; !r && i < PROXY_CALLS; i++) {
		r = kipc_forward_recv(&p->c, KIPC_SLOT(1), kipc_tag(&p->c),
				      KIPC_SLOT(0), INF, INF);
		if (!r && kipc_status(&p->c) != KIPC_ST_SENT)
			return -EPROTO;
	}
	/* The last one: forward, and nothing to wait for. */
	return r ?: kipc_forward(&p->c, KIPC_SLOT(1), kipc_tag(&p->c), INF);
}

TEST_F(fwd, proxy_loop_through_slots)
{
	struct partner proxy, srv;
	struct kipc_ctx *c = &self->c;
	int s = self->sf;

	ASSERT_EQ(0, partner_start(&srv, self->s, partner_echo, NULL));
	ASSERT_EQ(0, partner_start(&proxy, self->p, proxy_fn, &s));
	for (int i = 0; i < PROXY_CALLS; i++) {
		fill_mrs(kipc_mr(c), 4, i);
		ASSERT_EQ(0, kipc_call(c, self->p, KIPC_TAG(i, 4), INF));
		ASSERT_EQ(KIPC_TAG(i + 1, 4), kipc_tag(c));
		ASSERT_EQ(0, check_mrs(kipc_mr(c), 4, i));
	}
	EXPECT_EQ(0, partner_join(&proxy));
	/* The proxy's slots went with its context: the echo server ends. */
	close(self->s);
	self->s = -1;
	EXPECT_EQ(PROXY_CALLS, partner_join(&srv));
}

/* Windows travel with the call; the proxy loses them, the server has them. */
struct wsrv {
	struct partner p;
	int nwins, read_ret, write_ret;
	char got[16];
};

static int wsrv_fn(struct partner *p)
{
	struct wsrv *w = p->arg;
	int r = kipc_recv(&p->c, p->ep, INF);

	if (r)
		return r;
	w->nwins = kipc_nwins(&p->c);
	w->read_ret = kipc_win_read(&p->c, 0, 0, w->got, 5);
	w->write_ret = kipc_win_write(&p->c, 1, 0, "world", 5);
	return kipc_reply(&p->c, 0);
}

struct wcaller {
	pthread_t t;
	int ep, ret;
	char in[8], out[8];
};

static void *wcaller_main(void *arg)
{
	struct wcaller *w = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	memcpy(w->out, "hello", 5);
	c.utcb->win[0] = (struct kipc_window){ .addr = (uintptr_t)w->out, .len = 5,
					       .flags = KIPC_WIN_READ };
	c.utcb->win[1] = (struct kipc_window){ .addr = (uintptr_t)w->in, .len = 5,
					       .flags = KIPC_WIN_WRITE };
	w->ret = kipc_call(&c, w->ep, KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 2), INF);
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(fwd, windows_travel)
{
	struct kipc_ctx *c = &self->c;
	struct wcaller wc = { .ep = self->p };
	struct wsrv w = { 0 };
	char buf[8];

	ASSERT_EQ(0, pthread_create(&wc.t, NULL, wcaller_main, &wc));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	ASSERT_EQ(2, kipc_nwins(c));
	/* The proxy may look before it forwards... */
	EXPECT_EQ(5, kipc_win_read(c, 0, 0, buf, 5));
	ASSERT_EQ(0, partner_start(&w.p, self->s, wsrv_fn, &w));
	ASSERT_EQ(0, kipc_forward(c, self->sf, 0, INF));
	/* ...not after. */
	EXPECT_EQ(-ENOENT, kipc_win_read(c, 0, 0, buf, 5));
	EXPECT_EQ(0, partner_join(&w.p));
	pthread_join(wc.t, NULL);
	EXPECT_EQ(0, wc.ret);
	EXPECT_EQ(2, w.nwins);
	EXPECT_EQ(5, w.read_ret);
	EXPECT_EQ(0, memcmp(w.got, "hello", 5));
	EXPECT_EQ(5, w.write_ret);
	EXPECT_EQ(0, memcmp(wc.in, "world", 5));
}

/* Descriptors the proxy names go with the forwarded message. */
struct fdsrv {
	struct partner p;
	int nfds;
	char byte;
};

static int fdsrv_fn(struct partner *p)
{
	struct fdsrv *f = p->arg;
	int r;

	kipc_accept_fds(&p->c, 1);
	r = kipc_recv(&p->c, p->ep, INF);
	if (r)
		return r;
	f->nfds = kipc_nfds(&p->c);
	if (f->nfds == 1) {
		if (read(kipc_fds(&p->c)[0], &f->byte, 1) != 1)
			f->byte = 0;
		close(kipc_fds(&p->c)[0]);
	}
	return kipc_reply(&p->c, 0);
}

TEST_F(fwd, descriptors_travel)
{
	struct kipc_ctx *c = &self->c;
	struct fdsrv f = { 0 };
	struct caller cl;
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(1, write(pfd[1], "x", 1));
	ASSERT_EQ(0, partner_start(&f.p, self->s, fdsrv_fn, &f));
	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	kipc_fds(c)[0] = pfd[0];
	ASSERT_EQ(0, kipc_forward(c, self->sf, KIPC_TAG_WITH_FDS(0, 1), INF));
	EXPECT_EQ(0, partner_join(&f.p));
	EXPECT_EQ(0, caller_join(&cl));
	EXPECT_EQ(1, f.nfds);
	EXPECT_EQ('x', f.byte);
	close(pfd[0]);
	close(pfd[1]);
}

/*
 * A signal that runs no handler (a stop and continue) leaves a queued
 * forward waiting; the call completes as if nothing happened.
 */
static int stop_proxy(void *arg)
{
	int *eps = arg;
	struct kipc_ctx c;

	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	CHILD_CHECK(kipc_recv(&c, eps[0], INF) == 0);
	CHILD_CHECK(kipc_forward(&c, eps[1], KIPC_TAG(4, 0), INF) == 0);
	kipc_ctx_close(&c);
	return 0;
}

TEST_F(fwd, stop_and_continue_while_queued)
{
	struct server srv = { 0 };
	struct caller cl;
	int eps[2] = { self->p, self->sf };
	pid_t pid;

	pid = spawn(stop_proxy, eps);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, wait_fdinfo(self->s, "senders-waiting", 1));
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	usleep(20000);
	ASSERT_EQ(0, kill(pid, SIGCONT));
	usleep(20000);
	ASSERT_EQ(0, partner_start(&srv.p, self->s, server_fn, &srv));
	EXPECT_EQ(0, partner_join(&srv.p));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, caller_join(&cl));
	EXPECT_EQ(KIPC_TAG(5, 1), cl.tag);
	EXPECT_EQ(1, KIPC_ST_HOPS(srv.status));
}

/* A forwarder killed while its forward waits: the caller learns it. */
static int dying_proxy(void *arg)
{
	int *eps = arg;
	struct kipc_ctx c;

	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	CHILD_CHECK(kipc_recv(&c, eps[0], INF) == 0);
	kipc_forward(&c, eps[1], 0, INF);
	return 1;
}

TEST_F(fwd, forwarder_killed_while_queued)
{
	struct caller cl;
	int eps[2] = { self->p, self->sf };
	pid_t pid;

	pid = spawn(dying_proxy, eps);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, wait_fdinfo(self->s, "senders-waiting", 1));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	EXPECT_EQ(-ECONNRESET, caller_join(&cl));
	EXPECT_EQ(0, fdinfo_value(getpid(), self->s, "senders-waiting"));
}

/* io_uring: KIPC_IOC_FORWARD as a ring command, linked to a receive. */
TEST_F(fwd, io_uring_forward_then_recv)
{
	struct kipc_ctx *c = &self->c;
	struct server srv = { 0 };
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct caller cl, cl2;
	struct io_uring_sqe *sqe;
	int res[2] = { 1, 1 };

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	ASSERT_EQ(0, partner_start(&srv.p, self->s, server_fn, &srv));
	sqe = io_uring_get_sqe(&ring);
	kipc_prep_forward(sqe, c, self->sf, KIPC_TAG(6, 1), INF);
	sqe->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(sqe, 0);
	sqe = io_uring_get_sqe(&ring);
	kipc_prep_recv(sqe, c, self->p, INF);
	io_uring_sqe_set_data64(sqe, 1);
	ASSERT_EQ(2, io_uring_submit(&ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	res[io_uring_cqe_get_data64(cqe)] = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	EXPECT_EQ(0, res[0]);
	EXPECT_EQ(0, partner_join(&srv.p));
	EXPECT_EQ(0, caller_join(&cl));
	EXPECT_EQ(KIPC_TAG(7, 1), cl.tag);
	EXPECT_EQ(1, KIPC_ST_HOPS(srv.status));
	/* The linked receive takes the next call. */
	ASSERT_EQ(0, caller_start(&cl2, self->p, INF));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	res[io_uring_cqe_get_data64(cqe)] = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	EXPECT_EQ(0, res[1]);
	EXPECT_EQ(KIPC_TAG(7, 1) | KIPC_TAG_F_CALL, kipc_tag(c));
	/* No right: the ring's forward says ENOENT after a reply. */
	EXPECT_EQ(0, kipc_reply(c, 0));
	sqe = io_uring_get_sqe(&ring);
	kipc_prep_forward(sqe, c, self->sf, 0, INF);
	ASSERT_EQ(1, io_uring_submit(&ring));
	ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
	EXPECT_EQ(-ENOENT, cqe->res);
	io_uring_cqe_seen(&ring, cqe);
	EXPECT_EQ(0, caller_join(&cl2));
	io_uring_queue_exit(&ring);
}

/*
 * The right to forward is the endpoint owner's to give: a lookup gives a
 * handle without it, through a slot too (the fast path falls back); a
 * mint keeps it only from a handle that has it.
 */
TEST_F(fwd, the_right_to_forward)
{
	struct kipc_ctx *c = &self->c;
	struct kipc_publish pub = { .fd = self->s, .mode = 0666,
				    .flags = KIPC_PUBLISH_GRANT };
	struct server srv = { 0 };
	struct caller cl;
	int looked, plain, fwd;

	snprintf(pub.name, sizeof(pub.name), "kipc-fwd-%d", getpid());
	ASSERT_EQ(0, ioctl(c->fd, KIPC_IOC_PUBLISH, &pub));
	looked = kipc_lookup(c, pub.name, 0);
	ASSERT_GE(looked, 0);
	plain = kipc_ep_mint(c, self->s, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(plain, 0);
	/* Rights never grow: a plain handle cannot mint the right. */
	EXPECT_EQ(-EPERM, kipc_ep_mint(c, plain, KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD, 0, 0));
	ASSERT_EQ(0, caller_start(&cl, self->p, INF));
	ASSERT_EQ(0, kipc_recv(c, self->p, INF));
	ASSERT_EQ(0, partner_start(&srv.p, self->s, server_fn, &srv));
	ASSERT_EQ(0, wait_fdinfo(self->s, "receivers-waiting", 1));
	EXPECT_EQ(-EPERM, kipc_forward(c, looked, 0, INF));
	EXPECT_EQ(-EPERM, kipc_forward(c, plain, 0, INF));
	ASSERT_EQ(0, kipc_register(c, 4, plain));
	ASSERT_EQ(0, kipc_register(c, 5, self->p));
	EXPECT_EQ(-EPERM, kipc_forward_recv(c, KIPC_SLOT(4), 0, KIPC_SLOT(5), INF, INF));
	EXPECT_EQ(0, c->utcb->status & KIPC_ST_SENT);
	/* Nothing went: the server still waits, the right is still ours. */
	EXPECT_EQ(1, fdinfo_value(getpid(), self->s, "receivers-waiting"));
	fwd = kipc_ep_mint(c, self->s, KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD, 0, 0);
	ASSERT_GE(fwd, 0);
	ASSERT_EQ(0, kipc_register(c, 4, fwd));
	/* Forwarded; then nobody calls: the poll's EAGAIN, with SENT. */
	EXPECT_EQ(-EAGAIN, kipc_forward_recv(c, KIPC_SLOT(4), KIPC_TAG(1, 0), KIPC_SLOT(5),
					     INF, KIPC_TIMEOUT_POLL));
	EXPECT_EQ(KIPC_ST_SENT, c->utcb->status);
	EXPECT_EQ(0, partner_join(&srv.p));
	EXPECT_EQ(0, caller_join(&cl));
	EXPECT_EQ(KIPC_TAG(2, 1), cl.tag);
	ASSERT_EQ(0, kipc_unregister(c, 4));
	ASSERT_EQ(0, kipc_unregister(c, 5));
	close(fwd);
	close(plain);
	close(looked);
}

/* The version says so. */
TEST_F(fwd, feature_bit)
{
	struct kipc_version v;

	ASSERT_EQ(0, kipc_version(&self->c, &v));
	EXPECT_TRUE(v.features & KIPC_FEAT_FORWARD);
	EXPECT_LE(7, v.abi_minor);
}

TEST_HARNESS_MAIN
