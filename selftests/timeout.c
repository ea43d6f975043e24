// SPDX-License-Identifier: GPL-2.0
/*
 * Timeouts: poll (zero), finite and infinite, for every blocking phase, and
 * that a timed-out phase delivered nothing.
 */
#include "kipc_test.h"

KIPC_FIXTURE(to)

TEST_F(to, send_poll_without_receiver)
{
	uint64_t t0 = now_ns();

	EXPECT_EQ(-EAGAIN, kipc_send(&self->c, self->ep, KIPC_TAG(1, 0), KIPC_TIMEOUT_POLL));
	EXPECT_LT(now_ns() - t0, 1000 * MS);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
}

TEST_F(to, recv_poll_without_sender)
{
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
}

TEST_F(to, call_poll_without_server)
{
	EXPECT_EQ(-EAGAIN, kipc_call(&self->c, self->ep, KIPC_TAG(1, 0), KIPC_TIMEOUT_POLL));
}

static void *send_one(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;

	ctx_open(&c);
	kipc_mr(&c)[0] = 0x5eed;
	*(int *)arg = kipc_send(&c, ep, KIPC_TAG(3, 1), INF);
	kipc_ctx_close(&c);
	return NULL;
}

static void *recv_one(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;

	ctx_open(&c);
	*(int *)arg = kipc_recv(&c, ep, INF);
	if (!*(int *)arg && kipc_mr(&c)[0] != 0x5eed)
		*(int *)arg = -EBADMSG;
	kipc_ctx_close(&c);
	return NULL;
}

/* Poll succeeds when the partner is already there: both directions. */
TEST_F(to, poll_with_partner_waiting)
{
	pthread_t t;
	int arg = self->ep;

	ASSERT_EQ(0, pthread_create(&t, NULL, send_one, &arg));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
	EXPECT_EQ(0x5eed, kipc_mr(&self->c)[0]);
	pthread_join(t, NULL);
	EXPECT_EQ(0, arg);

	arg = self->ep;
	ASSERT_EQ(0, pthread_create(&t, NULL, recv_one, &arg));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	kipc_mr(&self->c)[0] = 0x5eed;
	ASSERT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(1, 1), KIPC_TIMEOUT_POLL));
	pthread_join(t, NULL);
	EXPECT_EQ(0, arg);
}

/* A finite send times out no earlier than asked, and leaves no trace. */
TEST_F(to, send_finite)
{
	uint64_t t0 = now_ns();

	EXPECT_EQ(-ETIMEDOUT, kipc_send(&self->c, self->ep, KIPC_TAG(1, 0), 50 * MS));
	EXPECT_GE(now_ns() - t0, 50 * MS);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
	/* Nothing was left queued: a poll receive finds nothing. */
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
}

TEST_F(to, recv_finite)
{
	uint64_t t0 = now_ns();

	kipc_mr(&self->c)[0] = 0xabc;
	EXPECT_EQ(-ETIMEDOUT, kipc_recv(&self->c, self->ep, 50 * MS));
	EXPECT_GE(now_ns() - t0, 50 * MS);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
	EXPECT_EQ(0xabc, kipc_mr(&self->c)[0]);
}

/* A call's timeout bounds the reply phase too; the late reply is refused. */
TEST_F(to, call_finite_reply_phase)
{
	struct kipc_ctx s;
	uint64_t t0;
	pid_t pid;

	ctx_open(&s);
	pid = fork();
	if (pid == 0) {
		struct kipc_ctx c;
		int r;

		ctx_open(&c);
		t0 = now_ns();
		kipc_mr(&c)[0] = 1;
		r = kipc_call(&c, self->ep, KIPC_TAG(1, 1), 80 * MS);
		/* The reply area must not have been written. */
		_exit(r == -ETIMEDOUT && now_ns() - t0 >= 80 * MS &&
		      kipc_mr(&c)[0] == 1 ? 0 : 1);
	}
	ASSERT_EQ(0, kipc_recv(&s, self->ep, INF));
	EXPECT_EQ(0, reap(pid));
	kipc_mr(&s)[0] = 2;
	EXPECT_EQ(-ECONNRESET, kipc_reply(&s, KIPC_TAG(1, 1)));
	kipc_ctx_close(&s);
}

static void *late_receiver(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;

	ctx_open(&c);
	sleep_ms(200);
	*(int *)arg = kipc_recv(&c, ep, INF);
	kipc_ctx_close(&c);
	return NULL;
}

/* An infinite timeout waits as long as it takes. */
TEST_F(to, infinite_waits)
{
	int arg = self->ep;
	uint64_t t0 = now_ns();
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, late_receiver, &arg));
	EXPECT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(1, 0), INF));
	EXPECT_GE(now_ns() - t0, 150 * MS);
	pthread_join(t, NULL);
	EXPECT_EQ(0, arg);
}

/* A finite timeout longer than the wait succeeds. */
TEST_F(to, finite_partner_in_time)
{
	int arg = self->ep;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, late_receiver, &arg));
	EXPECT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(1, 0), 20000 * MS));
	pthread_join(t, NULL);
	EXPECT_EQ(0, arg);
}

/* Huge finite timeouts do not overflow into the past. */
TEST_F(to, huge_timeout_is_not_poll)
{
	int arg = self->ep;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, late_receiver, &arg));
	EXPECT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(1, 0), KIPC_TIMEOUT_INFINITE - 1));
	pthread_join(t, NULL);
	EXPECT_EQ(0, arg);
}

TEST_HARNESS_MAIN
