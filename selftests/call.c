// SPDX-License-Identifier: GPL-2.0
/*
 * call, reply and reply_recv: the reply right and the server loop.
 */
#include "kipc_test.h"

KIPC_FIXTURE(call)

/* The shared fixture and a partner: a test in about ten lines. */
TEST_F(call, echo_partner)
{
	struct partner p;

	ASSERT_EQ(0, partner_start(&p, self->ep, partner_echo, NULL));
	for (int i = 0; i < 100; i++) {
		fill_mrs(kipc_mr(&self->c), 3, i);
		ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(i, 3), INF));
		EXPECT_EQ(i + 1, KIPC_TAG_LABEL(kipc_tag(&self->c)));
		EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 3, i));
	}
	close(self->ep);	/* the last handle: the partner's recv fails, EPIPE */
	self->ep = -1;
	EXPECT_EQ(100, partner_join(&p));
}

struct client {
	int ep;
	unsigned int nr;
	uint64_t seed;
	uint64_t label;
	uint64_t timeout;
	int ret;
	uint64_t reply_tag;
	int reply_ok;
	pid_t reply_pid;
	uint64_t reply_badge;
};

/* One call; the reply is expected to carry seed + 1 in every register. */
static void *client(void *arg)
{
	struct client *cl = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	fill_mrs(kipc_mr(&c), cl->nr, cl->seed);
	cl->ret = kipc_call(&c, cl->ep, KIPC_TAG(cl->label, cl->nr), cl->timeout);
	cl->reply_tag = kipc_tag(&c);
	cl->reply_ok = check_mrs(kipc_mr(&c), KIPC_TAG_NR(cl->reply_tag), cl->seed + 1);
	cl->reply_pid = c.utcb->pid;
	cl->reply_badge = c.utcb->badge;
	kipc_ctx_close(&c);
	return NULL;
}

/* The client arrives first: its call waits for the server's recv. */
TEST_F(call, client_first)
{
	struct client cl = { .ep = self->ep, .nr = 64, .seed = 5, .label = 42,
			     .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_TRUE(kipc_tag(&self->c) & KIPC_TAG_F_CALL);
	ASSERT_EQ(42, KIPC_TAG_LABEL(kipc_tag(&self->c)));
	ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), 64, 5));
	fill_mrs(kipc_mr(&self->c), 64, 6);
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(43, 64)));
	pthread_join(t, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(KIPC_TAG(43, 64), cl.reply_tag);
	EXPECT_EQ(0, cl.reply_ok);
	EXPECT_EQ(getpid(), cl.reply_pid);
	EXPECT_EQ(0, cl.reply_badge);
}

/* The server arrives first: the call is delivered straight into it. */
TEST_F(call, server_first)
{
	struct client cl = { .ep = self->ep, .nr = 3, .seed = 11, .label = 7,
			     .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_TRUE(kipc_tag(&self->c) & KIPC_TAG_F_CALL);
	ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), 3, 11));
	fill_mrs(kipc_mr(&self->c), 1, 12);
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(8, 1)));
	pthread_join(t, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(KIPC_TAG(8, 1), cl.reply_tag);
	EXPECT_EQ(0, cl.reply_ok);
}

struct server {
	int ep;
	int served;
	int ret;
};

/* The server loop: echo seed + 1; label 0 ends the loop after its reply. */
static void *server_loop(void *arg)
{
	struct server *s = arg;
	struct kipc_ctx c;
	uint64_t tag;
	int ret;

	ctx_open(&c);
	ret = kipc_recv(&c, s->ep, INF);
	while (!ret) {
		tag = kipc_tag(&c);
		for (unsigned int i = 0; i < KIPC_TAG_NR(tag); i++)
			kipc_mr(&c)[i] += 0x9e3779b97f4a7c15ULL;
		s->served++;
		if (!KIPC_TAG_LABEL(tag)) {
			ret = kipc_reply(&c, tag);
			break;
		}
		ret = kipc_reply_recv(&c, s->ep, tag, INF);
	}
	s->ret = ret;
	kipc_ctx_close(&c);
	return NULL;
}

/* 2000 calls against a reply_recv loop, each reply checked word by word. */
TEST_F(call, reply_recv_loop)
{
	struct server s = { .ep = self->ep };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, server_loop, &s));
	for (int i = 1; i <= 2000; i++) {
		unsigned int nr = i % 65;

		fill_mrs(kipc_mr(&self->c), nr, i);
		ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(i, nr), INF));
		ASSERT_EQ(KIPC_TAG(i, nr), kipc_tag(&self->c) & ~KIPC_TAG_F_CALL);
		ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), nr, i + 1));
	}
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(0, 0), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(0, s.ret);
	EXPECT_EQ(2001, s.served);
}

/* The reply does not carry the call flag. */
TEST_F(call, reply_has_no_call_flag)
{
	struct server s = { .ep = self->ep };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, server_loop, &s));
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(0, 0), INF));
	EXPECT_EQ(0, kipc_tag(&self->c) & KIPC_TAG_F_CALL);
	pthread_join(t, NULL);
}

TEST_F(call, reply_none_pending)
{
	EXPECT_EQ(-ENOENT, kipc_reply(&self->c, 0));
}

/* The reply right is one-shot. */
TEST_F(call, reply_twice)
{
	struct client cl = { .ep = self->ep, .nr = 1, .seed = 1, .label = 1,
			     .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	fill_mrs(kipc_mr(&self->c), 1, 2);
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(1, 1)));
	EXPECT_EQ(-ENOENT, kipc_reply(&self->c, KIPC_TAG(1, 1)));
	pthread_join(t, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(0, cl.reply_ok);
}

/* A reply with a bad tag is refused and the right is kept. */
TEST_F(call, bad_reply_tag_keeps_right)
{
	struct client cl = { .ep = self->ep, .nr = 1, .seed = 1, .label = 1,
			     .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(-EINVAL, kipc_reply(&self->c, KIPC_TAG(1, 65)));
	fill_mrs(kipc_mr(&self->c), 1, 2);
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(1, 1)));
	pthread_join(t, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(0, cl.reply_ok);
}

/* A server may call another server before it replies to its own caller. */
TEST_F(call, nested_call_keeps_reply_right)
{
	struct client cl = { .ep = self->ep, .nr = 2, .seed = 30, .label = 5,
			     .timeout = INF };
	int backend = kipc_ep_create(&self->c, 0);
	struct server s;
	pthread_t t, b;

	ASSERT_GE(backend, 0);
	s = (struct server){ .ep = backend };
	ASSERT_EQ(0, pthread_create(&b, NULL, server_loop, &s));
	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), 2, 30));
	/* Ask the backend (label 0 ends its loop): it adds the step. */
	ASSERT_EQ(0, kipc_call(&self->c, backend, KIPC_TAG(0, 2), INF));
	ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), 2, 31));
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(5, 2)));
	pthread_join(t, NULL);
	pthread_join(b, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(0, cl.reply_ok);
	close(backend);
}

/* A new recv gives an unused reply right up: the caller gets ECONNRESET. */
TEST_F(call, recv_gives_up_reply_right)
{
	struct client cl = { .ep = self->ep, .nr = 0, .label = 1, .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
	pthread_join(t, NULL);
	EXPECT_EQ(-ECONNRESET, cl.ret);
	EXPECT_EQ(-ENOENT, kipc_reply(&self->c, 0));
}

/* Closing a context that owes a reply fails its caller with ECONNRESET. */
TEST_F(call, server_context_closed)
{
	struct client cl = { .ep = self->ep, .nr = 0, .label = 1, .timeout = INF };
	struct kipc_ctx s;
	pthread_t t;

	ctx_open(&s);
	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, kipc_recv(&s, self->ep, INF));
	kipc_ctx_close(&s);
	pthread_join(t, NULL);
	EXPECT_EQ(-ECONNRESET, cl.ret);
}

/* A caller that gave up (timed out) makes the reply fail with ECONNRESET. */
TEST_F(call, reply_to_caller_that_gave_up)
{
	struct client cl = { .ep = self->ep, .nr = 1, .seed = 1, .label = 1,
			     .timeout = 100 * MS };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	pthread_join(t, NULL);
	EXPECT_EQ(-ETIMEDOUT, cl.ret);
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(1, 1)));
}

/*
 * Receive a call whose caller then gives up (times out): we hold a reply
 * right whose reply will find nobody.
 */
static int hold_lost_reply(FIXTURE_DATA(call) *self)
{
	struct client cl = { .ep = self->ep, .nr = 1, .seed = 1, .label = 1,
			     .timeout = 100 * MS };
	pthread_t t;

	if (pthread_create(&t, NULL, client, &cl))
		return -1;
	if (kipc_recv(&self->c, self->ep, INF))
		return -1;
	pthread_join(t, NULL);
	return cl.ret == -ETIMEDOUT ? 0 : -1;
}

/* reply_recv to a caller that gave up still receives, and says so. */
TEST_F(call, reply_recv_reports_lost_reply)
{
	struct client next = { .ep = self->ep, .nr = 1, .seed = 50, .label = 2,
			       .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, hold_lost_reply(self));

	/* Another caller is queued; reply_recv must still take its message. */
	ASSERT_EQ(0, pthread_create(&t, NULL, client, &next));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_reply_recv(&self->c, self->ep, KIPC_TAG(1, 0), INF));
	EXPECT_EQ(KIPC_ST_REPLY_LOST, self->c.utcb->status & KIPC_ST_REPLY_LOST);
	EXPECT_EQ(2, KIPC_TAG_LABEL(kipc_tag(&self->c)));
	EXPECT_EQ(0, check_mrs(kipc_mr(&self->c), 1, 50));
	fill_mrs(kipc_mr(&self->c), 1, 51);
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	pthread_join(t, NULL);
	EXPECT_EQ(0, next.ret);
	EXPECT_EQ(0, next.reply_ok);
}

/*
 * status always describes the last operation: a reply_recv that received
 * with REPLY_LOST is followed by one whose reply went through and whose
 * poll found nothing (a server's idle timeout): status must say 0, not
 * the old REPLY_LOST.  A failed or plain send clears it too.
 */
TEST_F(call, status_describes_last_operation)
{
	struct client next = { .ep = self->ep, .nr = 1, .seed = 50, .label = 2,
			       .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, hold_lost_reply(self));
	ASSERT_EQ(0, pthread_create(&t, NULL, client, &next));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_reply_recv(&self->c, self->ep, KIPC_TAG(1, 0), INF));
	EXPECT_EQ(KIPC_ST_REPLY_LOST, self->c.utcb->status);
	fill_mrs(kipc_mr(&self->c), 1, 51);
	/* Delivered, then nothing to receive: EAGAIN, and status 0. */
	EXPECT_EQ(-EAGAIN, kipc_reply_recv(&self->c, self->ep, KIPC_TAG(2, 1), 0));
	EXPECT_EQ(0, self->c.utcb->status);
	pthread_join(t, NULL);
	EXPECT_EQ(0, next.ret);
	EXPECT_EQ(0, next.reply_ok);

	/* A lost reply and an empty poll: EAGAIN with REPLY_LOST... */
	ASSERT_EQ(0, hold_lost_reply(self));
	EXPECT_EQ(-EAGAIN, kipc_reply_recv(&self->c, self->ep, KIPC_TAG(1, 0), 0));
	EXPECT_EQ(KIPC_ST_REPLY_LOST, self->c.utcb->status);
	/* ...then a send that fails, and one with no receiver: 0 each time. */
	EXPECT_EQ(-EAGAIN, kipc_send(&self->c, self->ep, KIPC_TAG(1, 0), 0));
	EXPECT_EQ(0, self->c.utcb->status);
	self->c.utcb->status = KIPC_ST_REPLY_LOST;
	EXPECT_EQ(-EINVAL, kipc_send(&self->c, self->ep, KIPC_TAG(1, 65), 0));
	EXPECT_EQ(0, self->c.utcb->status);
}

/* reply_recv without a reply right is a plain recv. */
TEST_F(call, reply_recv_without_right)
{
	struct client cl = { .ep = self->ep, .nr = 4, .seed = 8, .label = 9,
			     .timeout = INF };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, client, &cl));
	ASSERT_EQ(0, kipc_reply_recv(&self->c, self->ep, KIPC_TAG(0, 0), INF));
	EXPECT_EQ(0, self->c.utcb->status);
	ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), 4, 8));
	fill_mrs(kipc_mr(&self->c), 4, 9);
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(9, 4)));
	pthread_join(t, NULL);
	EXPECT_EQ(0, cl.ret);
	EXPECT_EQ(0, cl.reply_ok);
}

/* The message area is the whole payload path: the reply overwrites it. */
TEST_F(call, reply_overwrites_message_area)
{
	struct server s = { .ep = self->ep };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, server_loop, &s));
	fill_mrs(kipc_mr(&self->c), 64, 77);
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(1, 64), INF));
	ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), 64, 78));
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(0, 0), INF));
	pthread_join(t, NULL);
}

static int set_spin_ns(const char *val, char *old, size_t len)
{
	const char *path = "/sys/module/kipc/parameters/spin_ns";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (old && !fgets(old, len, f))
		old[0] = 0;
	fclose(f);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(val, f);
	return fclose(f);
}

/*
 * The same server loop with waiters that sleep at once (spin_ns=0) and
 * with waiters that always spin first (a huge budget): both paths of
 * kipc_wait() deliver every reply.
 */
TEST_F(call, reply_recv_loop_sleeping_and_spinning)
{
	static const char *const modes[] = { "0", "1000000000" };
	char old[32] = "20000";

	if (set_spin_ns("20000", old, sizeof(old)))
		SKIP(return, "cannot set kipc.spin_ns (not root?)");
	for (unsigned int m = 0; m < 2; m++) {
		struct server s = { .ep = self->ep };
		pthread_t t;

		ASSERT_EQ(0, set_spin_ns(modes[m], NULL, 0));
		ASSERT_EQ(0, pthread_create(&t, NULL, server_loop, &s));
		for (int i = 1; i <= 500; i++) {
			fill_mrs(kipc_mr(&self->c), 8, i);
			ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(i, 8), INF));
			ASSERT_EQ(0, check_mrs(kipc_mr(&self->c), 8, i + 1));
		}
		ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(0, 0), INF));
		pthread_join(t, NULL);
		EXPECT_EQ(501, s.served);
	}
	set_spin_ns(old, NULL, 0);
}

TEST_HARNESS_MAIN
