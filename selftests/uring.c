// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring: every operation as IORING_OP_URING_CMD, many in flight from
 * one thread, out-of-order completions, cancellation of each operation,
 * ring teardown, task death and exec with operations pending.
 */
#include <liburing.h>
#include <sys/uio.h>
#include <poll.h>

#include "kipc_test.h"
#include <kipc_uring.h>

#define NCTX	8

FIXTURE(uring) {
	struct io_uring ring;
	struct kipc_ctx c[NCTX];
	int ep;
	long async0;
};

FIXTURE_SETUP(uring)
{
	ASSERT_EQ(0, io_uring_queue_init(64, &self->ring, 0));
	for (int i = 0; i < NCTX; i++)
		ctx_open(&self->c[i]);
	self->ep = kipc_ep_create(&self->c[0], 0);
	ASSERT_GE(self->ep, 0);
	self->async0 = kipc_stat("async");
}

FIXTURE_TEARDOWN(uring)
{
	io_uring_queue_exit(&self->ring);
	close(self->ep);
	for (int i = 0; i < NCTX; i++)
		kipc_ctx_close(&self->c[i]);
}

static struct io_uring_sqe *sqe_for(struct io_uring *ring, uint64_t data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (sqe)
		io_uring_sqe_set_data64(sqe, data);
	return sqe;
}

/* Wait up to @ms for one CQE; returns its res, its user_data in @data. */
static int reap_cqe(struct io_uring *ring, uint64_t *data, int ms)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000LL };
	struct io_uring_cqe *cqe;
	int ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);

	if (ret)
		return 1000 + -ret;	/* no CQE: never a kipc result */
	*data = io_uring_cqe_get_data64(cqe);
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* No CQE within @ms. */
static int no_cqe(struct io_uring *ring, int ms)
{
	uint64_t d;

	return reap_cqe(ring, &d, ms) == 1000 + ETIME;
}

struct client {
	int ep;
	uint64_t seed;
	unsigned int nr;
	int ret;
	uint64_t reply;
	pid_t tid;
};

/* A synchronous caller: sends seed, expects seed + 1 in mr[0]. */
static void *client(void *arg)
{
	struct client *cl = arg;
	struct kipc_ctx c;

	cl->tid = gettid_();
	ctx_open(&c);
	fill_mrs(kipc_mr(&c), cl->nr, cl->seed);
	cl->ret = kipc_call(&c, cl->ep, KIPC_TAG(cl->seed, cl->nr), INF);
	cl->reply = kipc_mr(&c)[0];
	kipc_ctx_close(&c);
	return NULL;
}

/* A synchronous server for @n calls: replies mr[0] + 1. */
struct server {
	int ep;
	int n;
	int reverse;		/* receive all first, reply last-first */
	int ret;
};

static void *server(void *arg)
{
	struct server *s = arg;
	struct kipc_ctx c[NCTX];

	for (int i = 0; i < s->n; i++) {
		ctx_open(&c[i]);
		s->ret = kipc_recv(&c[i], s->ep, INF);
		if (s->ret)
			return NULL;
		if (!s->reverse) {
			kipc_mr(&c[i])[0] += 1;
			s->ret = kipc_reply(&c[i], KIPC_TAG(0, 1));
		}
	}
	for (int i = s->n - 1; i >= 0; i--) {
		if (s->reverse) {
			kipc_mr(&c[i])[0] += 1;
			s->ret |= kipc_reply(&c[i], KIPC_TAG(0, 1));
		}
		kipc_ctx_close(&c[i]);
	}
	return NULL;
}

/* Wait until a count of /proc/kipc/stats is @want; 20 s at most. */
static int wait_stat(const char *key, long want)
{
	for (int i = 0; i < 20000; i++) {
		if (kipc_stat(key) == want)
			return 0;
		sleep_ms(1);
	}
	return -1;
}

/* recv and reply through the ring, against a synchronous caller. */
TEST_F(uring, recv_and_reply)
{
	struct client cl = { .ep = self->ep, .seed = 7, .nr = 3 };
	struct kipc_ctx *s = &self->c[0];
	uint64_t d;
	pthread_t t;

	kipc_prep_recv(sqe_for(&self->ring, 1), s, self->ep, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	EXPECT_EQ(self->async0 + 1, kipc_stat("async"));
	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(1, d);
	EXPECT_EQ(KIPC_TAG(7, 3) | KIPC_TAG_F_CALL, kipc_tag(s));
	EXPECT_EQ(0, check_mrs(kipc_mr(s), 3, 7));
	EXPECT_EQ(getpid(), s->utcb->pid);
	kipc_mr(s)[0] = 8;
	kipc_prep_reply(sqe_for(&self->ring, 2), s, KIPC_TAG(0, 1));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(2, d);
	pthread_join(t, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(8, cl.reply);
	/* a second reply has no right to use */
	kipc_prep_reply(sqe_for(&self->ring, 3), s, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ENOENT, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(self->async0, kipc_stat("async"));
}

/* ABI 1.5: a ring server reads and writes its caller's windows. */
struct wclient {
	int ep, ret;
	unsigned char in[100000], out[100000];
};

static void *win_client(void *arg)
{
	struct wclient *w = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	for (size_t i = 0; i < sizeof(w->in); i++)
		w->in[i] = (unsigned char)(i * 7);
	kipc_win_set(&c, 0, w->in, sizeof(w->in), KIPC_WIN_READ);
	kipc_win_set(&c, 1, w->out, sizeof(w->out), KIPC_WIN_WRITE);
	w->ret = kipc_call(&c, w->ep, KIPC_TAG_WITH_WINS(KIPC_TAG(1, 0), 2), INF);
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(uring, window_read_and_write)
{
	static struct wclient w;
	static unsigned char buf[100000];
	struct kipc_ctx *s = &self->c[0];
	struct iovec iov = { buf, sizeof(buf) };
	struct kipc_win_io rd = { .win = 0, .iov = (uintptr_t)&iov, .iovcnt = 1 };
	struct kipc_win_io wr = { .win = 1, .iov = (uintptr_t)&iov, .iovcnt = 1 };
	struct kipc_win_io bad = { .win = 1, .iov = (uintptr_t)&iov, .iovcnt = 1 };
	struct io_uring_sqe *sqe;
	uint64_t d;
	pthread_t t;

	w.ep = self->ep;
	ASSERT_EQ(0, pthread_create(&t, NULL, win_client, &w));
	ASSERT_EQ(0, kipc_recv(s, self->ep, INF));
	ASSERT_EQ(2, kipc_nwins(s));
	kipc_prep_win_io(sqe_for(&self->ring, 1), s, &rd, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ((int)sizeof(buf), reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(1, d);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(buf[i] + 1);
	kipc_prep_win_io(sqe_for(&self->ring, 2), s, &wr, 1);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ((int)sizeof(buf), reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(2, d);
	/*
	 * A read of the WRITE window: refused.  (One at a time: a context
	 * runs one operation, two in flight at once may find it busy.)
	 */
	kipc_prep_win_io(sqe_for(&self->ring, 3), s, &bad, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EACCES, reap_cqe(&self->ring, &d, 20000));
	/* fd and flags of the command must be -1 and 0 */
	sqe = sqe_for(&self->ring, 4);
	kipc_prep_win_io(sqe, s, &rd, 0);
	((struct kipc_uring_cmd *)sqe->cmd)->fd = 0;
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EINVAL, reap_cqe(&self->ring, &d, 20000));
	ASSERT_EQ(0, kipc_reply(s, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(0, w.ret);
	for (size_t i = 0; i < sizeof(buf); i++)
		ASSERT_EQ((unsigned char)(i * 7 + 1), w.out[i]);
	/* the call is over: ENOENT from the ring too */
	kipc_prep_win_io(sqe_for(&self->ring, 5), s, &rd, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ENOENT, reap_cqe(&self->ring, &d, 20000));
}

/* A real-time caller: what the ring thread runs at, after the CQE. */
static void *rt_client(void *arg)
{
	struct sched_param sp = { .sched_priority = 33 };
	struct client *cl = arg;

	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		cl->ret = -errno;
		return NULL;
	}
	return client(cl);
}

/*
 * A ring server: the thread that submitted the receive runs at the
 * caller's priority once the call is delivered (before it reaps the CQE),
 * and at its own again once the reply's CQE came.
 */
TEST_F(uring, ring_server_is_boosted)
{
	struct client cl = { .ep = self->ep, .seed = 3, .nr = 1 };
	struct kipc_ctx *s = &self->c[0];
	struct sched_param sp;
	uint64_t d;
	pthread_t t;

	ASSERT_EQ(SCHED_OTHER, sched_getscheduler(0));
	kipc_prep_recv(sqe_for(&self->ring, 1), s, self->ep, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	ASSERT_EQ(0, pthread_create(&t, NULL, rt_client, &cl));
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	/* With SCHED_RESET_ON_FORK: a child would not keep the boost. */
	EXPECT_EQ(SCHED_FIFO | SCHED_RESET_ON_FORK, sched_getscheduler(0));
	ASSERT_EQ(0, sched_getparam(0, &sp));
	EXPECT_EQ(33, sp.sched_priority);
	kipc_mr(s)[0] = 4;
	kipc_prep_reply(sqe_for(&self->ring, 2), s, KIPC_TAG(0, 1));
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	pthread_join(t, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(4, cl.reply);
	EXPECT_EQ(SCHED_OTHER, sched_getscheduler(0));
	EXPECT_EQ(0, kipc_stat("boosted"));
}

/* reply_recv through the ring: the server loop. */
TEST_F(uring, reply_recv_loop)
{
	struct client cl[3];
	struct kipc_ctx *s = &self->c[0];
	pthread_t t[3];
	uint64_t d;

	kipc_prep_recv(sqe_for(&self->ring, 0), s, self->ep, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	for (int i = 0; i < 3; i++) {
		cl[i] = (struct client){ .ep = self->ep, .seed = 100 + i, .nr = 1 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, client, &cl[i]));
	}
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
		EXPECT_EQ(i, d);
		kipc_mr(s)[0] += 1;
		kipc_prep_reply_recv(sqe_for(&self->ring, i + 1), s, self->ep,
				     KIPC_TAG(0, 1), INF);
		ASSERT_EQ(1, io_uring_submit(&self->ring));
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, cl[i].ret);
		EXPECT_EQ(cl[i].seed * 0x9e3779b97f4a7c15ULL + 2, cl[i].reply);
	}
	/* the last reply_recv waits; cancel it */
	EXPECT_TRUE(no_cqe(&self->ring, 50));
	ASSERT_EQ(0, kipc_cancel(s));
	EXPECT_EQ(-ECANCELED, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(3, d);
}

/* call and send through the ring, against a synchronous server. */
TEST_F(uring, call_and_send)
{
	struct server sv = { .ep = self->ep, .n = 1 };
	struct kipc_ctx *c = &self->c[1], rc;
	pthread_t t;
	uint64_t d;

	ASSERT_EQ(0, pthread_create(&t, NULL, server, &sv));
	kipc_mr(c)[0] = 41;
	kipc_prep_call(sqe_for(&self->ring, 9), c, self->ep, KIPC_TAG(5, 1), INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(9, d);
	EXPECT_EQ(42, kipc_mr(c)[0]);
	EXPECT_EQ(KIPC_TAG(0, 1), kipc_tag(c));
	pthread_join(t, NULL);
	EXPECT_EQ(0, sv.ret);

	/* send: queued until a receiver takes it */
	kipc_mr(c)[0] = 77;
	kipc_prep_send(sqe_for(&self->ring, 10), c, self->ep, KIPC_TAG(1, 1), INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	EXPECT_TRUE(no_cqe(&self->ring, 20));
	ctx_open(&rc);
	ASSERT_EQ(0, kipc_recv(&rc, self->ep, 0));
	EXPECT_EQ(77, kipc_mr(&rc)[0]);
	EXPECT_FALSE(kipc_tag(&rc) & KIPC_TAG_F_CALL);
	kipc_ctx_close(&rc);
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(10, d);
}

/* notification wait through the ring. */
TEST_F(uring, notification_wait)
{
	struct kipc_ctx *c = &self->c[2];
	int n = kipc_ntfn_create(c, 0);
	uint64_t d;

	ASSERT_GE(n, 0);
	kipc_prep_ntfn_wait(sqe_for(&self->ring, 5), c, n, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_fdinfo(n, "waiters", 1));
	EXPECT_TRUE(no_cqe(&self->ring, 20));
	ASSERT_EQ(0, kipc_ntfn_signal(&self->c[0], n, 0xabc));
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(5, d);
	EXPECT_EQ(0xabc, kipc_ntfn_bits(c));
	EXPECT_TRUE(kipc_is_notification(c));
	/* bits already pending: completes at once */
	ASSERT_EQ(0, kipc_ntfn_signal(&self->c[0], n, 1));
	kipc_prep_ntfn_wait(sqe_for(&self->ring, 6), c, n, KIPC_TIMEOUT_POLL);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(1, kipc_ntfn_bits(c));
	kipc_prep_ntfn_wait(sqe_for(&self->ring, 7), c, n, KIPC_TIMEOUT_POLL);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EAGAIN, reap_cqe(&self->ring, &d, 20000));
	close(n);
}

/* Arguments are checked as for the ioctls; one operation per context. */
TEST_F(uring, bad_submissions)
{
	struct kipc_ctx *c = &self->c[3];
	struct io_uring_sqe *sqe;
	uint64_t d;
	int pfd[2];

	/* finite timeouts are not taken */
	kipc_prep_recv(sqe_for(&self->ring, 1), c, self->ep, 5 * MS);
	kipc_prep_call(sqe_for(&self->ring, 2), c, self->ep, 0, 5 * MS);
	/* flags */
	sqe = sqe_for(&self->ring, 3);
	kipc_prep_recv(sqe, c, self->ep, INF);
	((struct kipc_uring_cmd *)sqe->cmd)->flags = 2;	/* 1 is KIPC_ARGS_SLOT (ABI 1.2) */
	/* unknown operation */
	sqe = sqe_for(&self->ring, 4);
	kipc_prep_cmd(sqe, c, KIPC_IOC_VERSION, -1, 0);
	/* not an endpoint */
	kipc_prep_recv(sqe_for(&self->ring, 5), c, -1, INF);
	/* poll without a partner */
	kipc_prep_recv(sqe_for(&self->ring, 6), c, self->ep, KIPC_TIMEOUT_POLL);
	/* cancel takes no fd */
	sqe = sqe_for(&self->ring, 7);
	kipc_prep_cmd(sqe, c, KIPC_IOC_CANCEL, 3, 0);
	/* send_recv (ABI 1.3) is no ring command */
	sqe = sqe_for(&self->ring, 8);
	kipc_prep_cmd(sqe, c, KIPC_IOC_MSEND_RECV, self->ep, INF);
	ASSERT_EQ(8, io_uring_submit(&self->ring));
	for (int i = 0; i < 8; i++) {
		int r = reap_cqe(&self->ring, &d, 20000);
		static const int want[] = { -EINVAL, -EINVAL, -EINVAL, -ENOTTY,
					    -EBADF, -EAGAIN, -EINVAL, -ENOTTY };

		ASSERT_LE(1, d);
		ASSERT_GE(8, d);
		EXPECT_EQ(want[d - 1], r);
	}
	/* a uring_cmd on another file type is refused by io_uring itself */
	ASSERT_EQ(0, pipe(pfd));
	sqe = sqe_for(&self->ring, 9);
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, pfd[0], NULL, 0, 0);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_NE(0, reap_cqe(&self->ring, &d, 20000));
	close(pfd[0]);
	close(pfd[1]);

	/* a second operation on a busy context */
	kipc_prep_recv(sqe_for(&self->ring, 10), c, self->ep, INF);
	kipc_prep_recv(sqe_for(&self->ring, 11), c, self->ep, INF);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_EQ(-EBUSY, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(11, d);
	EXPECT_EQ(-EBUSY, kipc_recv(c, self->ep, 0));
	kipc_prep_cancel(sqe_for(&self->ring, 12), c);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	for (int i = 0; i < 2; i++) {
		int r = reap_cqe(&self->ring, &d, 20000);

		EXPECT_EQ(d == 10 ? -ECANCELED : 0, r);
	}
	EXPECT_EQ(-EAGAIN, kipc_recv(c, self->ep, 0));
	EXPECT_EQ(self->async0, kipc_stat("async"));
}

/*
 * Operations on a ring pass no descriptors: their completion may run after
 * the task lost its fd table.  A receive that accepts some, and a send or
 * call that carries some, are refused before anything is queued or sent; a
 * synchronous sender with descriptors finds the ring's receiver unable to
 * take them.
 */
TEST_F(uring, no_descriptors)
{
	struct kipc_ctx *c = &self->c[3];
	uint64_t d;

	kipc_accept_fds(c, 1);
	kipc_prep_recv(sqe_for(&self->ring, 1), c, self->ep, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EOPNOTSUPP, reap_cqe(&self->ring, &d, 20000));
	kipc_accept_fds(c, 0);

	kipc_fds(c)[0] = 0;
	kipc_prep_send(sqe_for(&self->ring, 2), c, self->ep,
		       KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 1), INF);
	kipc_prep_call(sqe_for(&self->ring, 3), c, self->ep,
		       KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 1), INF);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(-EOPNOTSUPP, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(-EAGAIN, kipc_recv(c, self->ep, 0));	/* nothing was sent */

	/* A ring receiver waits; a sender with a descriptor cannot use it. */
	kipc_prep_recv(sqe_for(&self->ring, 4), c, self->ep, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	kipc_fds(&self->c[0])[0] = 0;
	EXPECT_EQ(-EMSGSIZE, kipc_send(&self->c[0], self->ep,
				       KIPC_TAG_WITH_FDS(KIPC_TAG(2, 0), 1), INF));
	EXPECT_TRUE(no_cqe(&self->ring, 50));
	EXPECT_EQ(0, kipc_send(&self->c[0], self->ep, KIPC_TAG(3, 0), INF));
	EXPECT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(4, d);
	EXPECT_EQ(KIPC_TAG(3, 0), kipc_tag(c));
	EXPECT_EQ(self->async0, kipc_stat("async"));
}

/*
 * One thread, one ring, NCTX calls in flight to a server that receives
 * them all and replies last-first: each CQE comes when its reply does, in
 * reply order, and each reply lands in its own context.
 */
/* ABI 1.2: a ring receives, replies and calls through registered slots. */
TEST_F(uring, registered_slots)
{
	struct kipc_ctx *c = &self->c[3];
	int send = kipc_ep_mint(&self->c[0], self->ep, KIPC_RIGHT_SEND, 9,
				KIPC_MINT_BADGE);
	struct io_uring_sqe *sqe;
	uint64_t d;

	ASSERT_GE(send, 0);
	ASSERT_EQ(0, kipc_register(c, 4, self->ep));
	ASSERT_EQ(0, kipc_register(&self->c[0], 1, send));
	close(send);
	/* An empty slot, and a slot number out of range. */
	kipc_prep_recv(sqe_for(&self->ring, 1), c, KIPC_SLOT(5), INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-EBADF, reap_cqe(&self->ring, &d, 20000));
	sqe = sqe_for(&self->ring, 2);
	kipc_prep_recv(sqe, c, KIPC_SLOT(4), INF);
	((struct kipc_uring_cmd *)sqe->cmd)->fd = KIPC_SLOTS;
	kipc_prep_recv(sqe_for(&self->ring, 3), c, KIPC_SLOT(4), INF);
	ASSERT_EQ(2, io_uring_submit(&self->ring));
	EXPECT_EQ(-EINVAL, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(2, d);
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	/* A registration while the ring's command waits on the context. */
	EXPECT_EQ(-EBUSY, kipc_register(c, 6, self->ep));
	kipc_mr(&self->c[0])[0] = 41;
	ASSERT_EQ(0, kipc_send(&self->c[0], KIPC_SLOT(1), KIPC_TAG(5, 1), INF));
	EXPECT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(3, d);
	EXPECT_EQ(41, kipc_mr(c)[0]);
	EXPECT_EQ(9, c->utcb->badge);
	EXPECT_EQ(0, kipc_unregister(c, 4));
	EXPECT_EQ(0, kipc_unregister(&self->c[0], 1));
	EXPECT_EQ(self->async0, kipc_stat("async"));
}

TEST_F(uring, out_of_order_calls)
{
	struct kipc_ctx srv[NCTX];
	uint64_t d;

	for (int i = 0; i < NCTX; i++) {
		kipc_mr(&self->c[i])[0] = 1000 * i;
		kipc_prep_call(sqe_for(&self->ring, i), &self->c[i], self->ep,
			       KIPC_TAG(i, 1), INF);
	}
	ASSERT_EQ(NCTX, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", NCTX));
	for (int i = 0; i < NCTX; i++) {
		ctx_open(&srv[i]);
		ASSERT_EQ(0, kipc_recv(&srv[i], self->ep, 0));
		ASSERT_EQ(i, KIPC_TAG_LABEL(kipc_tag(&srv[i])));
	}
	EXPECT_TRUE(no_cqe(&self->ring, 20));
	for (int i = NCTX - 1; i >= 0; i--) {
		kipc_mr(&srv[i])[0] += 1;
		ASSERT_EQ(0, kipc_reply(&srv[i], KIPC_TAG(0, 1)));
		ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
		EXPECT_EQ(i, d);
		EXPECT_EQ(1000 * i + 1, kipc_mr(&self->c[i])[0]);
		kipc_ctx_close(&srv[i]);
	}
}

/* Many calls in flight, replies from a server thread in any order. */
TEST_F(uring, concurrent_calls_all_complete)
{
	struct server sv = { .ep = self->ep, .n = NCTX, .reverse = 1 };
	uint64_t d, seen = 0;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, server, &sv));
	for (int i = 0; i < NCTX; i++) {
		kipc_mr(&self->c[i])[0] = 1000 * i;
		kipc_prep_call(sqe_for(&self->ring, i), &self->c[i], self->ep,
			       KIPC_TAG(i, 1), INF);
	}
	ASSERT_EQ(NCTX, io_uring_submit(&self->ring));
	for (int i = 0; i < NCTX; i++) {
		ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
		ASSERT_GT(NCTX, d);
		EXPECT_FALSE(seen & (1 << d));
		seen |= 1 << d;
		EXPECT_EQ(1000 * d + 1, kipc_mr(&self->c[d])[0]);
	}
	pthread_join(t, NULL);
	EXPECT_EQ(0, sv.ret);
	EXPECT_EQ((1 << NCTX) - 1, seen);
}

/* One thread serves NCTX receive contexts on several endpoints at once. */
TEST_F(uring, many_receivers_out_of_order)
{
	int eps[NCTX];
	struct client cl[NCTX];
	pthread_t t[NCTX];
	uint64_t d;

	for (int i = 0; i < NCTX; i++) {
		eps[i] = kipc_ep_create(&self->c[0], 0);
		ASSERT_GE(eps[i], 0);
		kipc_prep_recv(sqe_for(&self->ring, i), &self->c[i], eps[i], INF);
	}
	ASSERT_EQ(NCTX, io_uring_submit(&self->ring));
	/* callers arrive last endpoint first */
	for (int i = NCTX - 1; i >= 0; i--) {
		cl[i] = (struct client){ .ep = eps[i], .seed = 50 + i, .nr = 2 };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, client, &cl[i]));
		ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
		EXPECT_EQ(i, d);
		EXPECT_EQ(0, check_mrs(kipc_mr(&self->c[i]), 2, 50 + i));
	}
	for (int i = 0; i < NCTX; i++) {
		kipc_mr(&self->c[i])[0] = i;
		kipc_prep_reply(sqe_for(&self->ring, 100 + i), &self->c[i],
				KIPC_TAG(0, 1));
	}
	ASSERT_EQ(NCTX, io_uring_submit(&self->ring));
	for (int i = 0; i < NCTX; i++)
		EXPECT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	for (int i = 0; i < NCTX; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, cl[i].ret);
		EXPECT_EQ(i, cl[i].reply);
		close(eps[i]);
	}
}

/* Cancel each kind of pending operation; each completes ECANCELED once. */
TEST_F(uring, cancel_each_op)
{
	int n = kipc_ntfn_create(&self->c[0], 0);
	int ep2 = kipc_ep_create(&self->c[0], 0);
	uint64_t d;
	int got[8] = { 0 };

	ASSERT_GE(n, 0);
	ASSERT_GE(ep2, 0);
	/* recv and reply_recv on ep, send and call (send phase) on ep2 */
	kipc_prep_recv(sqe_for(&self->ring, 0), &self->c[0], self->ep, INF);
	kipc_prep_reply_recv(sqe_for(&self->ring, 1), &self->c[1], self->ep, 0, INF);
	kipc_prep_send(sqe_for(&self->ring, 2), &self->c[2], ep2, 0, INF);
	kipc_prep_call(sqe_for(&self->ring, 3), &self->c[3], ep2, 0, INF);
	kipc_prep_ntfn_wait(sqe_for(&self->ring, 4), &self->c[4], n, INF);
	ASSERT_EQ(5, io_uring_submit(&self->ring));
	/* a call in its reply phase: delivered, not answered */
	kipc_prep_call(sqe_for(&self->ring, 5), &self->c[5], self->ep, 0, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	/* the call met one of the two receivers: it gets the message */
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	ASSERT_TRUE(d == 0 || d == 1);
	got[d] = 1;
	ASSERT_EQ(0, wait_fdinfo(ep2, "senders-waiting", 2));
	ASSERT_EQ(0, wait_fdinfo(n, "waiters", 1));
	EXPECT_TRUE(no_cqe(&self->ring, 20));

	for (int i = 0; i < 6; i++) {
		if (got[i])
			continue;
		kipc_prep_cancel(sqe_for(&self->ring, 100 + i), &self->c[i]);
		ASSERT_EQ(1, io_uring_submit(&self->ring));
		for (int k = 0; k < 2; k++) {
			int r = reap_cqe(&self->ring, &d, 20000);

			if (d == 100 + (uint64_t)i) {
				EXPECT_EQ(0, r);
			} else {
				EXPECT_EQ(i, d);
				EXPECT_EQ(-ECANCELED, r);
			}
		}
	}
	/* the server that received the cancelled call: its caller is gone */
	for (int i = 0; i < 2; i++) {
		if (got[i]) {
			EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c[i], 0));
		}
	}
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
	EXPECT_EQ(0, fdinfo_value(0, ep2, "senders-waiting"));
	EXPECT_EQ(0, fdinfo_value(0, n, "waiters"));
	EXPECT_EQ(self->async0, kipc_stat("async"));
	/* nothing left to cancel */
	kipc_prep_cancel(sqe_for(&self->ring, 200), &self->c[0]);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	EXPECT_EQ(-ENOENT, reap_cqe(&self->ring, &d, 20000));
	close(ep2);
	close(n);
}

/*
 * io_uring's own cancel (IORING_OP_ASYNC_CANCEL by user_data) of each
 * operation: before Linux 6.7 it cannot reach a queued uring_cmd and says
 * ENOENT; either way the operation completes exactly once, and
 * KIPC_IOC_CANCEL ends it if io_uring did not.
 */
TEST_F(uring, io_uring_async_cancel_each_op)
{
	int n = kipc_ntfn_create(&self->c[0], 0);
	int ep2 = kipc_ep_create(&self->c[0], 0);
	struct kipc_ctx *c = &self->c[0], *srv = &self->c[1];

	ASSERT_GE(n, 0);
	ASSERT_GE(ep2, 0);
	for (int op = 0; op < 6; op++) {
		int r, done = 0, cancelled = 0;
		uint64_t d;

		switch (op) {
		case 0:
			kipc_prep_recv(sqe_for(&self->ring, 1), c, self->ep, INF);
			break;
		case 1:
			kipc_prep_reply_recv(sqe_for(&self->ring, 1), c, self->ep, 0, INF);
			break;
		case 2:
			kipc_prep_send(sqe_for(&self->ring, 1), c, self->ep, 0, INF);
			break;
		case 3:
			kipc_prep_call(sqe_for(&self->ring, 1), c, self->ep, 0, INF);
			break;
		case 4:	/* a call in its reply phase */
			kipc_prep_call(sqe_for(&self->ring, 1), c, ep2, 0, INF);
			break;
		default:
			kipc_prep_ntfn_wait(sqe_for(&self->ring, 1), c, n, INF);
			break;
		}
		ASSERT_EQ(1, io_uring_submit(&self->ring));
		if (op == 4) {
			ASSERT_EQ(0, wait_fdinfo(ep2, "senders-waiting", 1));
			ASSERT_EQ(0, kipc_recv(srv, ep2, 0));
		}
		ASSERT_EQ(0, wait_stat("async", self->async0 + 1));
		EXPECT_TRUE(no_cqe(&self->ring, 20));
		io_uring_prep_cancel64(sqe_for(&self->ring, 2), 1, 0);
		ASSERT_EQ(1, io_uring_submit(&self->ring));
		while ((r = reap_cqe(&self->ring, &d, 300)) < 1000) {
			if (d == 2) {
				EXPECT_TRUE(r == 0 || r == -ENOENT || r == -EALREADY);
				TH_LOG("op %d: IORING_OP_ASYNC_CANCEL: %s", op,
				       r ? strerror(-r) : "0");
				cancelled++;
			} else {
				EXPECT_EQ(1, d);
				EXPECT_EQ(-ECANCELED, r);
				done++;
			}
		}
		EXPECT_EQ(1, cancelled);
		if (!done) {
			ASSERT_EQ(0, kipc_cancel(c));
			EXPECT_EQ(-ECANCELED, reap_cqe(&self->ring, &d, 20000));
			EXPECT_EQ(1, d);
			done++;
		}
		EXPECT_EQ(1, done);
		if (op == 4)
			EXPECT_EQ(-ECONNRESET, kipc_reply(srv, 0));
		EXPECT_EQ(self->async0, kipc_stat("async"));
		EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
		EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
		EXPECT_EQ(0, fdinfo_value(0, n, "waiters"));
	}
	close(ep2);
	close(n);
}

/* An SQPOLL ring: the kernel's poller thread issues the commands. */
TEST_F(uring, sqpoll_ring)
{
	struct client cl = { .ep = self->ep, .seed = 3, .nr = 1 };
	struct io_uring_params p = { .flags = IORING_SETUP_SQPOLL, .sq_thread_idle = 100 };
	struct io_uring r2;
	pthread_t t;
	uint64_t d;
	int ret = io_uring_queue_init_params(8, &r2, &p);

	if (ret == -EPERM)
		SKIP(return, "SQPOLL not permitted");
	ASSERT_EQ(0, ret);
	/*
	 * On an SQPOLL ring io_uring_submit() counts what the kernel's thread
	 * has not consumed yet, as liburing says it may: at least ours.
	 */
	kipc_prep_recv(sqe_for(&r2, 1), &self->c[0], self->ep, INF);
	ASSERT_LE(1, io_uring_submit(&r2));
	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, reap_cqe(&r2, &d, 20000));
	EXPECT_EQ(0, check_mrs(kipc_mr(&self->c[0]), 1, 3));
	kipc_mr(&self->c[0])[0] = 4;
	kipc_prep_reply(sqe_for(&r2, 2), &self->c[0], KIPC_TAG(0, 1));
	ASSERT_LE(1, io_uring_submit(&r2));
	ASSERT_EQ(0, reap_cqe(&r2, &d, 20000));
	pthread_join(t, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(4, cl.reply);
	/* and one left pending when the ring goes */
	kipc_prep_recv(sqe_for(&r2, 3), &self->c[0], self->ep, INF);
	ASSERT_LE(1, io_uring_submit(&r2));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	io_uring_queue_exit(&r2);
	EXPECT_EQ(0, wait_stat("async", self->async0));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
}

/*
 * The ring goes away with operations pending: they end (ECANCELED, never
 * seen) and leave nothing queued; the contexts are usable again.
 */
TEST_F(uring, ring_exit_with_ops_pending)
{
	struct io_uring r2;
	int n = kipc_ntfn_create(&self->c[0], 0);

	ASSERT_GE(n, 0);
	ASSERT_EQ(0, io_uring_queue_init(8, &r2, 0));
	kipc_prep_recv(io_uring_get_sqe(&r2), &self->c[0], self->ep, INF);
	kipc_prep_call(io_uring_get_sqe(&r2), &self->c[1], self->ep, 0, INF);
	kipc_prep_send(io_uring_get_sqe(&r2), &self->c[2], self->ep, 0, INF);
	kipc_prep_ntfn_wait(io_uring_get_sqe(&r2), &self->c[3], n, INF);
	ASSERT_EQ(4, io_uring_submit(&r2));
	/* the call met the receiver; the send waits, and so does the wait */
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, wait_fdinfo(n, "waiters", 1));
	EXPECT_EQ(0, wait_stat("async", self->async0 + 3));
	io_uring_queue_exit(&r2);
	ASSERT_EQ(0, wait_stat("async", self->async0));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
	EXPECT_EQ(0, fdinfo_value(0, n, "waiters"));
	/* the receiver holds the call's reply right; its caller is gone */
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c[0], 0));
	for (int i = 1; i < 4; i++)
		EXPECT_EQ(-EAGAIN, kipc_recv(&self->c[i], self->ep, 0));
	close(n);
}

struct victim {
	int ep;
	int ready;	/* pipe to say "submitted" */
	int ops;	/* 1: recv; 2: a call in its reply phase too */
	int exit;	/* exit() instead of waiting to be killed */
	long async0;	/* pending operations before */
};

static int victim(void *arg)
{
	struct victim *v = arg;
	struct kipc_ctx c[2];
	struct io_uring ring;

	if (io_uring_queue_init(8, &ring, 0))
		return 1;
	ctx_open(&c[0]);
	ctx_open(&c[1]);
	kipc_prep_recv(io_uring_get_sqe(&ring), &c[0], v->ep, INF);
	if (v->ops > 1)
		kipc_prep_call(io_uring_get_sqe(&ring), &c[1], v->ep, 0, INF);
	if (io_uring_submit(&ring) != v->ops)
		return 2;
	/* pending: the recv, or (it met the call) the call */
	if (wait_stat("async", v->async0 + 1))
		return 4;
	if (write(v->ready, "x", 1) != 1)
		return 3;
	if (v->exit)
		return 0;
	for (;;)
		pause();
}

static void kill_with_ops_pending(struct __test_metadata *_metadata,
				  int ep, int ops, int do_exit)
{
	long ctxs = kipc_stat("contexts"), async = kipc_stat("async");
	struct victim v = { .ep = ep, .ops = ops, .exit = do_exit,
			    .async0 = async };
	struct kipc_ctx srv;
	int pfd[2];
	char x;
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	v.ready = pfd[1];
	ctx_open(&srv);
	pid = spawn(victim, &v);
	ASSERT_LT(0, pid);
	ASSERT_EQ(1, read(pfd[0], &x, 1));
	if (!do_exit)
		kill(pid, SIGKILL);
	EXPECT_EQ(do_exit ? 0 : 128 + SIGKILL, reap(pid));
	ASSERT_EQ(0, wait_stat("async", async));
	ASSERT_EQ(0, wait_stat("contexts", ctxs + 1));
	EXPECT_EQ(0, fdinfo_value(0, ep, "receivers-waiting"));
	EXPECT_EQ(0, fdinfo_value(0, ep, "senders-waiting"));
	EXPECT_EQ(-EAGAIN, kipc_recv(&srv, ep, 0));
	kipc_ctx_close(&srv);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_F(uring, task_killed_with_recv_pending)
{
	kill_with_ops_pending(_metadata, self->ep, 1, 0);
}

TEST_F(uring, task_killed_with_call_pending)
{
	kill_with_ops_pending(_metadata, self->ep, 2, 0);
}

TEST_F(uring, task_exits_with_ops_pending)
{
	kill_with_ops_pending(_metadata, self->ep, 2, 1);
}

/*
 * A task leaves with a receive pending where io_uring waits for it before
 * the task is gone: the SQPOLL thread cancelling its requests, the exit of
 * a task whose receive is linked to a poll on an io_uring descriptor (a
 * request io_uring tracks, so exit waits for the whole link), and exec
 * (which cancels all the task's requests, and kills an SQPOLL thread).
 * Before Linux 6.7 io_uring cannot cancel the command itself: kipc must
 * end it, or the task never goes and only a message frees it.
 */
enum { LEAVE_EXIT, LEAVE_KILL, LEAVE_EXEC, LEAVE_EXEC_KILL };

struct leaver {
	int ep;
	int ready;	/* write end of a pipe: "the receive is queued" */
	int sqpoll;	/* submit through an SQPOLL ring */
	int linked;	/* link the receive to a poll on another ring's fd */
	int how;	/* LEAVE_* */
};

/* The program exec'd by a leaver: the test binary, gone at once. */
static void __attribute__((constructor)) leaver_execed(void)
{
	if (getenv("KIPC_URING_EXECED"))
		_exit(0);
}

static int leaver(void *arg)
{
	struct leaver *l = arg;
	struct io_uring_params p = {
		.flags = l->sqpoll ? IORING_SETUP_SQPOLL : 0,
		.sq_thread_idle = 100,
	};
	char *argv[] = { "uring", NULL };
	struct io_uring ring, other;
	struct io_uring_sqe *sqe;
	struct kipc_ctx c;

	CHILD_CHECK(!io_uring_queue_init_params(8, &ring, &p));
	ctx_open(&c);
	sqe = io_uring_get_sqe(&ring);
	kipc_prep_recv(sqe, &c, l->ep, INF);
	if (l->linked) {
		CHILD_CHECK(!io_uring_queue_init(4, &other, 0));
		sqe->flags |= IOSQE_IO_LINK;
		io_uring_prep_poll_add(io_uring_get_sqe(&ring), other.ring_fd,
				       POLLIN);
	}
	CHILD_CHECK(io_uring_submit(&ring) == 1 + l->linked);
	CHILD_CHECK(!wait_fdinfo(l->ep, "receivers-waiting", 1));
	if (l->how == LEAVE_EXEC || l->how == LEAVE_EXEC_KILL)
		setenv("KIPC_URING_EXECED", "1", 1);
	CHILD_CHECK(write(l->ready, "x", 1) == 1);
	switch (l->how) {
	case LEAVE_EXIT:
		return 0;
	case LEAVE_KILL:
		for (;;)
			pause();
	default:
		execv("/proc/self/exe", argv);
		return 127;
	}
}

/* The state letter of process @pid ('?' if unknown). */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Is process @pid blocked in execve (/proc/PID/syscall says 59)? */
static int in_execve(pid_t pid)
{
	char path[64], buf[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return !strncmp(buf, "59 ", 3);
}

/* Reap @pid within @ms; its status (as reap()), or -1 if it is still there. */
static int reap_within(pid_t pid, long ms)
{
	uint64_t end = now_ns() + ms * MS;
	int status;

	do {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFSIGNALED(status) ? 128 + WTERMSIG(status) :
			       WEXITSTATUS(status);
		if (r < 0)
			return -2;
		sleep_ms(2);
	} while (now_ns() < end);
	return -1;
}

/*
 * Free a stuck leaver the only way there is, with a message for its
 * receive (SIGKILL too, if that does not do it); its status, or -1.
 */
static int free_leaver(struct kipc_ctx *c, int ep, pid_t pid)
{
	for (int i = 0; i < 4000; i++) {
		int st;

		kipc_send(c, ep, KIPC_TAG(0x1ea, 0), KIPC_TIMEOUT_POLL);
		st = reap_within(pid, 5);
		if (st != -1)
			return st;
		if (i == 2000)
			kill(pid, SIGKILL);
	}
	return -1;
}

static void leave_with_recv_pending(struct __test_metadata *_metadata,
				    struct kipc_ctx *c, int ep, int sqpoll,
				    int linked, int how)
{
	long ctxs = kipc_stat("contexts"), eps = kipc_stat("endpoints");
	long handles = kipc_stat("handles"), async = kipc_stat("async");
	struct leaver l = { .ep = ep, .sqpoll = sqpoll, .linked = linked,
			    .how = how };
	long limit = 10000 * kipc_slow();
	int pfd[2], st, caught = 0;
	uint64_t t0;
	pid_t pid;
	char x;

	if (sqpoll) {
		struct io_uring_params p = { .flags = IORING_SETUP_SQPOLL };
		struct io_uring r;
		int ret = io_uring_queue_init_params(2, &r, &p);

		if (ret == -EPERM)
			SKIP(return, "SQPOLL not permitted");
		ASSERT_EQ(0, ret);
		io_uring_queue_exit(&r);
	}
	ASSERT_EQ(0, pipe(pfd));
	l.ready = pfd[1];
	pid = spawn(leaver, &l);
	ASSERT_LT(0, pid);
	close(pfd[1]);
	st = read(pfd[0], &x, 1);
	close(pfd[0]);
	if (st != 1) {
		TH_LOG("the child failed: status %d", reap_within(pid, limit));
		ASSERT_EQ(1, st);
	}
	t0 = now_ns();
	if (how == LEAVE_KILL) {
		kill(pid, SIGKILL);
	} else if (how == LEAVE_EXEC_KILL) {
		/* Kill it in execve, where io_uring waits for the receive. */
		for (int i = 0; i < 2000 && !caught; i++) {
			caught = in_execve(pid);
			if (!caught && proc_state(pid) == 'Z')
				break;
			if (!caught)
				sleep_ms(1);
		}
		kill(pid, SIGKILL);
	}
	st = reap_within(pid, limit);
	TH_LOG("%s after %llu ms%s", st == -1 ? "not reaped" : "reaped",
	       (unsigned long long)((now_ns() - t0) / MS),
	       how != LEAVE_EXEC_KILL ? "" :
	       caught ? " (killed in execve)" : " (not seen in execve)");
	EXPECT_NE(-1, st);
	if (st == -1) {
		/* The test fails, and the rest of the suite must go on. */
		TH_LOG("pid %d is stuck (state %c): freeing it with a message",
		       pid, proc_state(pid));
		st = free_leaver(c, ep, pid);
		ASSERT_NE(-1, st);
	}
	switch (how) {
	case LEAVE_EXIT:
	case LEAVE_EXEC:
		EXPECT_EQ(0, st);
		break;
	case LEAVE_KILL:
		EXPECT_EQ(128 + SIGKILL, st);
		break;
	default:
		EXPECT_TRUE(st == 0 || st == 128 + SIGKILL);
		break;
	}
	EXPECT_EQ(0, wait_stat("async", async));
	EXPECT_EQ(0, wait_stat("contexts", ctxs));
	EXPECT_EQ(0, wait_stat("endpoints", eps));
	EXPECT_EQ(0, wait_stat("handles", handles));
	EXPECT_EQ(0, fdinfo_value(0, ep, "receivers-waiting"));
	EXPECT_EQ(-EAGAIN, kipc_recv(c, ep, 0));
}

/* The SQPOLL thread cancels its requests when the task exits... */
TEST_F_TIMEOUT(uring, sqpoll_exit_with_recv_pending, 180)
{
	leave_with_recv_pending(_metadata, &self->c[0], self->ep, 1, 0,
				LEAVE_EXIT);
}

/* ...or is killed. */
TEST_F_TIMEOUT(uring, sqpoll_killed_with_recv_pending, 180)
{
	leave_with_recv_pending(_metadata, &self->c[0], self->ep, 1, 0,
				LEAVE_KILL);
}

/* Exit waits for a link holding a poll on an io_uring descriptor... */
TEST_F_TIMEOUT(uring, linked_poll_exit_with_recv_pending, 180)
{
	leave_with_recv_pending(_metadata, &self->c[0], self->ep, 0, 1,
				LEAVE_EXIT);
}

/* ...after SIGKILL too. */
TEST_F_TIMEOUT(uring, linked_poll_killed_with_recv_pending, 180)
{
	leave_with_recv_pending(_metadata, &self->c[0], self->ep, 0, 1,
				LEAVE_KILL);
}

/* exec cancels every request of the task and waits for them... */
TEST_F_TIMEOUT(uring, exec_with_recv_pending, 180)
{
	leave_with_recv_pending(_metadata, &self->c[0], self->ep, 0, 0,
				LEAVE_EXEC);
}

/* ...and kills an SQPOLL thread, which cancels its own. */
TEST_F_TIMEOUT(uring, sqpoll_exec_with_recv_pending, 180)
{
	leave_with_recv_pending(_metadata, &self->c[0], self->ep, 1, 0,
				LEAVE_EXEC);
}

/* SIGKILL while exec waits. */
TEST_F_TIMEOUT(uring, exec_killed_with_recv_pending, 180)
{
	leave_with_recv_pending(_metadata, &self->c[0], self->ep, 0, 0,
				LEAVE_EXEC_KILL);
}

TEST_F_TIMEOUT(uring, sqpoll_exec_killed_with_recv_pending, 180)
{
	leave_with_recv_pending(_metadata, &self->c[0], self->ep, 1, 0,
				LEAVE_EXEC_KILL);
}

struct poker {
	int ep, ep2;
	int ret;
};

/* Completes the ring's receive on ep2, then serves the call on ep. */
static void *poker(void *arg)
{
	struct poker *p = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	p->ret = wait_fdinfo(p->ep, "senders-waiting", 1) ?:
		 kipc_send(&c, p->ep2, KIPC_TAG(1, 0), KIPC_TIMEOUT_POLL);
	sleep_ms(50);
	if (!p->ret)
		p->ret = kipc_recv(&c, p->ep, INF) ?: kipc_reply(&c, KIPC_TAG(2, 0));
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * A completion for the ring of a thread blocked in a synchronous call is
 * task work (TIF_NOTIFY_SIGNAL), not a signal: the call goes on (even with
 * a finite timeout, which a signal would end with EINTR) and the CQE is
 * there when it returns.
 */
TEST_F(uring, sync_call_not_interrupted_by_completion)
{
	struct poker p = { .ep = self->ep };
	pthread_t t;
	uint64_t d;

	p.ep2 = kipc_ep_create(&self->c[0], 0);
	ASSERT_GE(p.ep2, 0);
	kipc_prep_recv(sqe_for(&self->ring, 4), &self->c[0], p.ep2, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_fdinfo(p.ep2, "receivers-waiting", 1));
	ASSERT_EQ(0, pthread_create(&t, NULL, poker, &p));
	EXPECT_EQ(0, kipc_call(&self->c[1], self->ep, KIPC_TAG(3, 0), 10000 * MS));
	EXPECT_EQ(KIPC_TAG(2, 0), kipc_tag(&self->c[1]));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(4, d);
	close(p.ep2);
}

struct blocked {
	int ep, ep2;
	struct io_uring *ring;
	struct kipc_ctx *ac;	/* context for the ring's receive */
	int ret;
	pid_t tid;
};

/* Submits a receive on ep2 to the ring, then blocks in recv on ep. */
static void *blocked_receiver(void *arg)
{
	struct blocked *b = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	kipc_prep_recv(io_uring_get_sqe(b->ring), b->ac, b->ep2, INF);
	if (io_uring_submit(b->ring) != 1) {
		b->ret = -1000;
		return NULL;
	}
	__atomic_store_n(&b->tid, gettid_(), __ATOMIC_RELEASE);
	b->ret = kipc_recv(&c, b->ep, INF);
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * The ring of a thread blocked in a synchronous recv is torn down by
 * another thread: its pending operation ends at once (the completion's
 * task work restarts the blocked recv transparently), not when the recv
 * returns; the recv is not disturbed.
 */
TEST_F(uring, ring_exit_while_submitter_blocks)
{
	struct io_uring r2;
	struct blocked b = { .ep = self->ep, .ring = &r2, .ac = &self->c[0] };
	pthread_t t;

	b.ep2 = kipc_ep_create(&self->c[1], 0);
	ASSERT_GE(b.ep2, 0);
	ASSERT_EQ(0, io_uring_queue_init(4, &r2, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_receiver, &b));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	ASSERT_EQ(0, wait_fdinfo(b.ep2, "receivers-waiting", 1));
	ASSERT_EQ(0, wait_sleeping(__atomic_load_n(&b.tid, __ATOMIC_ACQUIRE)));
	io_uring_queue_exit(&r2);
	EXPECT_EQ(0, wait_stat("async", self->async0));
	EXPECT_EQ(0, fdinfo_value(0, b.ep2, "receivers-waiting"));
	/* the synchronous recv still waits, and then works */
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	ASSERT_EQ(0, kipc_send(&self->c[1], self->ep, KIPC_TAG(9, 0), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, b.ret);
	close(b.ep2);
}

/* A bound notification wakes an io_uring receiver. */
TEST_F(uring, bound_notification_wakes_ring_receiver)
{
	int n = kipc_ntfn_create(&self->c[0], 0);
	uint64_t d;

	ASSERT_GE(n, 0);
	ASSERT_EQ(0, kipc_ntfn_bind(&self->c[0], n, self->ep));
	kipc_prep_recv(sqe_for(&self->ring, 3), &self->c[0], self->ep, INF);
	ASSERT_EQ(1, io_uring_submit(&self->ring));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	ASSERT_EQ(0, kipc_ntfn_signal(&self->c[1], n, 0x77));
	ASSERT_EQ(0, reap_cqe(&self->ring, &d, 20000));
	EXPECT_EQ(3, d);
	EXPECT_TRUE(kipc_is_notification(&self->c[0]));
	EXPECT_EQ(0x77, kipc_ntfn_bits(&self->c[0]));
	close(n);
}

/* The example: two endpoints and a UNIX socket served from one ring. */
TEST(example_uring_server)
{
	static const char *const paths[] = {
		"/examples/uring-server", "build/examples/uring-server",
	};
	const char *path = NULL;
	pid_t pid;

	for (int i = 0; i < 2 && !path; i++)
		if (!access(paths[i], X_OK))
			path = paths[i];
	if (!path)
		SKIP(return, "examples/uring-server is not built");
	pid = fork();
	if (pid == 0) {
		execl(path, path, "300", (char *)NULL);
		_exit(127);
	}
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, reap(pid));
}

TEST_HARNESS_MAIN
