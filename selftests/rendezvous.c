// SPDX-License-Identifier: GPL-2.0
/*
 * Rendezvous: both arrival orders, message sizes, FIFO order of senders
 * and receivers, one message to exactly one receiver.
 */
#include "kipc_test.h"

struct peer {
	int ep;
	uint64_t tag;
	uint64_t seed;
	uint64_t timeout;
	int ret;
	pid_t tid;
	struct kipc_ctx c;
	uint64_t got_tag;
	uint64_t got_badge;
	int got_ok;
};

static void *sender(void *arg)
{
	struct peer *p = arg;

	ctx_open(&p->c);
	p->tid = gettid_();
	fill_mrs(kipc_mr(&p->c), KIPC_TAG_NR(p->tag), p->seed);
	p->ret = kipc_send(&p->c, p->ep, p->tag, p->timeout);
	kipc_ctx_close(&p->c);
	return NULL;
}

static void *receiver(void *arg)
{
	struct peer *p = arg;

	ctx_open(&p->c);
	p->tid = gettid_();
	p->ret = kipc_recv(&p->c, p->ep, p->timeout);
	p->got_tag = kipc_tag(&p->c);
	p->got_badge = p->c.utcb->badge;
	p->got_ok = check_mrs(kipc_mr(&p->c), KIPC_TAG_NR(p->got_tag), p->seed);
	kipc_ctx_close(&p->c);
	return NULL;
}

KIPC_FIXTURE(rv)

/* The sender arrives first and blocks; the receiver copies from it. */
TEST_F(rv, sender_first)
{
	struct peer p = { .ep = self->ep, .tag = KIPC_TAG(0x1234, 5), .seed = 7,
			  .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, sender, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(0x1234, 5), kipc_tag(&self->c));
	EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 5, 7));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
}

/* The receiver arrives first and blocks; the sender copies into it. */
TEST_F(rv, receiver_first)
{
	struct peer p = { .ep = self->ep, .seed = 9, .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, receiver, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	fill_mrs(kipc_mr(&self->c), 3, 9);
	ASSERT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(77, 3), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG(77, 3), p.got_tag);
	EXPECT_EQ(0, p.got_ok);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
}

/* An empty message carries only the tag; registers stay untouched. */
TEST_F(rv, zero_registers)
{
	struct peer p = { .ep = self->ep, .tag = KIPC_TAG(KIPC_TAG_LABEL_MAX, 0),
			  .timeout = INF };
	pthread_t t;

	for (int i = 0; i < KIPC_MSG_REGS; i++)
		kipc_mr(&self->c)[i] = 0xdead0000 + i;
	ASSERT_EQ(0, pthread_create(&t, NULL, sender, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(KIPC_TAG_LABEL_MAX, KIPC_TAG_LABEL(kipc_tag(&self->c)));
	EXPECT_EQ(0, KIPC_TAG_NR(kipc_tag(&self->c)));
	for (int i = 0; i < KIPC_MSG_REGS; i++)
		ASSERT_EQ(0xdead0000 + i, kipc_mr(&self->c)[i]);
}

/* 64 registers, checked word by word, in both arrival orders. */
TEST_F(rv, max_registers_both_orders)
{
	for (int order = 0; order < 2; order++) {
		struct peer p = { .ep = self->ep, .tag = KIPC_TAG(order, 64),
				  .seed = 100 + order, .timeout = INF };
		pthread_t t;

		memset(kipc_mr(&self->c), 0, KIPC_MSG_REGS * 8);
		ASSERT_EQ(0, pthread_create(&t, NULL, sender, &p));
		if (order == 0)
			ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
		ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
		pthread_join(t, NULL);
		ASSERT_EQ(0, p.ret);
		ASSERT_EQ(64, KIPC_TAG_NR(kipc_tag(&self->c)));
		ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), 64, 100 + order));
	}
}

/* A plain send carries no call flag and does not wait for a reply. */
TEST_F(rv, send_is_not_call)
{
	struct peer p = { .ep = self->ep, .tag = KIPC_TAG(5, 1), .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, sender, &p));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(0, kipc_tag(&self->c) & KIPC_TAG_F_CALL);
	EXPECT_EQ(-ENOENT, kipc_reply(&self->c, 0));
}

/* Queued senders are served in the order they arrived. */
TEST_F(rv, fifo_order_of_senders)
{
	enum { N = 8 };
	struct peer p[N];
	pthread_t t[N];

	for (int i = 0; i < N; i++) {
		p[i] = (struct peer){ .ep = self->ep, .tag = KIPC_TAG(i, 1),
				      .seed = i, .timeout = INF };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, sender, &p[i]));
		ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", i + 1));
	}
	for (int i = 0; i < N; i++) {
		ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
		EXPECT_EQ(i, KIPC_TAG_LABEL(kipc_tag(&self->c)));
		EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 1, i));
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, p[i].ret);
	}
}

/*
 * Queued receivers are served in the order they arrived, also after
 * others left the queue from its head, its middle and its end (cancelled),
 * and one queued after the end left comes last.
 */
TEST_F(rv, fifo_order_of_receivers_after_withdrawals)
{
	enum { N = 6 };
	static const int order[] = { 1, 3, 5 };	/* who is left, oldest first */
	struct peer p[N];
	pthread_t t[N];

	for (int i = 0; i < N; i++) {
		p[i] = (struct peer){ .ep = self->ep, .seed = i, .timeout = INF };
		if (i == N - 1) {
			/* 0, 2 and 4 (head, middle, end) leave: KIPC_IOC_CANCEL. */
			for (int j = 0; j < N - 1; j += 2)
				ASSERT_EQ(0, kipc_cancel(&p[j].c));
			ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 2));
		}
		ASSERT_EQ(0, pthread_create(&t[i], NULL, receiver, &p[i]));
		ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting",
					 i < N - 1 ? i + 1 : 3));
	}
	for (int i = 0; i < 3; i++) {
		fill_mrs(kipc_mr(&self->c), 1, order[i]);
		ASSERT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(10 + i, 1), INF));
		pthread_join(t[order[i]], NULL);
		EXPECT_EQ(0, p[order[i]].ret);
		EXPECT_EQ(10 + i, KIPC_TAG_LABEL(p[order[i]].got_tag)) TH_LOG("receiver %d", order[i]);
		EXPECT_EQ(0, p[order[i]].got_ok);
		EXPECT_EQ(2 - i, fdinfo_value(0, self->ep, "receivers-waiting"));
	}
	for (int i = 0; i < N - 1; i += 2) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(-ECANCELED, p[i].ret);
	}
}

struct pool {
	int ep;
	int count[4096];
	int got;
	int stop_label;
	pthread_mutex_t lock;
};

static void *pool_worker(void *arg)
{
	struct pool *pl = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	for (;;) {
		uint64_t label;

		if (kipc_recv(&c, pl->ep, INF))
			break;
		label = KIPC_TAG_LABEL(kipc_tag(&c));
		if (label == (uint64_t)pl->stop_label)
			break;
		pthread_mutex_lock(&pl->lock);
		if (label < 4096)
			pl->count[label]++;
		pl->got++;
		pthread_mutex_unlock(&pl->lock);
	}
	kipc_ctx_close(&c);
	return NULL;
}

/* A pool of receiver threads: every message reaches exactly one of them. */
TEST_F(rv, one_message_one_receiver)
{
	enum { W = 4, M = 2000 };
	static struct pool pl;
	pthread_t t[W];

	memset(&pl, 0, sizeof(pl));
	pl.ep = self->ep;
	pl.stop_label = 4095;
	pthread_mutex_init(&pl.lock, NULL);
	for (int i = 0; i < W; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, pool_worker, &pl));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", W));
	for (int i = 0; i < M; i++)
		ASSERT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(i, 0), INF));
	for (int i = 0; i < W; i++)
		ASSERT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(4095, 0), INF));
	for (int i = 0; i < W; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(M, pl.got);
	for (int i = 0; i < M; i++)
		ASSERT_EQ(1, pl.count[i]);
}

static int child_send(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;

	ctx_open(&c);
	fill_mrs(kipc_mr(&c), 64, 4242);
	return kipc_send(&c, ep, KIPC_TAG(99, 64), INF) ? 1 : 0;
}

/* Sender and receiver in different processes (different address spaces). */
TEST_F(rv, across_processes)
{
	pid_t pid = spawn(child_send, &self->ep);

	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(KIPC_TAG(99, 64), kipc_tag(&self->c));
	EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 64, 4242));
	EXPECT_EQ(pid, self->c.utcb->pid);
	EXPECT_EQ(0, reap(pid));
}

TEST_HARNESS_MAIN
