// SPDX-License-Identifier: GPL-2.0
/*
 * KIPC_IOC_CANCEL against fast traffic: a canceller hammers a client's
 * context while it calls a server as fast as it can.  Every call ends in
 * its reply or ECANCELED, never both: a cancelled call's request may have
 * been served, but then its reply fails (ECONNRESET) and the client never
 * sees it; nothing hangs, nothing is left behind.  Run on 4 CPUs in the
 * debug lane (KASAN, lockdep), where the lockless look at the context's
 * state and queue lock in kipc_cancel() races with the queueing.
 */
#include "kipc_test.h"

#define CALLS	20000
#define SECONDS	10

struct storm {
	int ep;
	volatile int stop;
	volatile int client_fd;		/* the client's context, for the canceller */
	long ok, cancelled, bad, cancels, served, lost, wrong;
};

static void *server(void *arg)
{
	struct storm *s = arg;
	uint64_t tag = 0;
	struct kipc_ctx c;
	int ret;

	ctx_open(&c);
	while (!s->stop) {
		ret = kipc_reply_recv(&c, s->ep, tag, 20 * MS);
		if (c.utcb->status & KIPC_ST_REPLY_LOST)
			s->lost++;
		tag = 0;
		if (ret)
			continue;
		s->served++;
		/* The answer: the request's label and its register + 1. */
		kipc_mr(&c)[0]++;
		tag = KIPC_TAG(KIPC_TAG_LABEL(kipc_tag(&c)), 1);
	}
	kipc_ctx_close(&c);
	return NULL;
}

static void *canceller(void *arg)
{
	struct storm *s = arg;
	struct kipc_cancel a = { 0 };

	while (!s->stop) {
		int fd = s->client_fd;

		if (fd >= 0 && !ioctl(fd, KIPC_IOC_CANCEL, &a))
			s->cancels++;
	}
	return NULL;
}

FIXTURE(cancel) {
	long contexts;
};

FIXTURE_SETUP(cancel)
{
	self->contexts = kipc_stat("contexts");
}

FIXTURE_TEARDOWN(cancel)
{
}

TEST_F_TIMEOUT(cancel, storm_against_calls, 120)
{
	static struct storm s;
	pthread_t srv, can;
	struct kipc_ctx c, own;
	uint64_t start = now_ns(), limit = SECONDS * 1000 * MS;
	int ep;

	ctx_open(&own);
	ep = kipc_ep_create(&own, 0);
	ASSERT_GE(ep, 0);
	memset(&s, 0, sizeof(s));
	s.ep = ep;
	s.client_fd = -1;
	ctx_open(&c);
	ASSERT_EQ(0, pthread_create(&srv, NULL, server, &s));
	s.client_fd = c.fd;
	ASSERT_EQ(0, pthread_create(&can, NULL, canceller, &s));
	for (uint64_t i = 1; i <= CALLS && now_ns() - start < limit; i++) {
		int ret;

		kipc_mr(&c)[0] = i;
		ret = kipc_call(&c, ep, KIPC_TAG(i, 1), INF);
		if (!ret) {
			s.ok++;
			if (KIPC_TAG_LABEL(kipc_tag(&c)) != i || kipc_mr(&c)[0] != i + 1)
				s.wrong++;
		} else if (ret == -ECANCELED) {
			s.cancelled++;
		} else {
			s.bad++;
		}
	}
	s.client_fd = -1;
	s.stop = 1;
	pthread_join(can, NULL);
	pthread_join(srv, NULL);
	TH_LOG("%ld calls answered, %ld cancelled (%ld cancels hit), %ld served, %ld replies lost",
	       s.ok, s.cancelled, s.cancels, s.served, s.lost);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(0, s.wrong);
	EXPECT_GT(s.ok, 0);
	/* Every served call was either answered or its reply was lost. */
	EXPECT_GE(s.served, s.ok);
	EXPECT_LE(s.served - s.ok, s.lost + 1);
	kipc_ctx_close(&c);
	close(ep);
	kipc_ctx_close(&own);
	EXPECT_EQ(self->contexts, kipc_stat("contexts"));
}

TEST_HARNESS_MAIN
