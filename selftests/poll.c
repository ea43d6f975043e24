// SPDX-License-Identifier: GPL-2.0
/*
 * poll, select and epoll on endpoint handles and notifications: readiness
 * in every state, hang-up, wake-ups, exclusive wake-ups.
 */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include "kipc_test.h"

FIXTURE(poll) {
	struct kipc_ctx c;
	int ep;		/* all rights */
	int snd;	/* send only */
	int rcv;	/* receive only */
};

FIXTURE_SETUP(poll)
{
	ctx_open(&self->c);
	self->ep = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->ep, 0);
	self->snd = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	self->rcv = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0);
	ASSERT_GE(self->snd, 0);
	ASSERT_GE(self->rcv, 0);
}

FIXTURE_TEARDOWN(poll)
{
	if (self->ep >= 0)
		close(self->ep);
	if (self->snd >= 0)
		close(self->snd);
	if (self->rcv >= 0)
		close(self->rcv);
	kipc_ctx_close(&self->c);
}

/* The events poll() reports for @fd right now. */
static short revents(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	if (poll(&p, 1, 0) < 0)
		return -1;
	return p.revents;
}

struct peer {
	int ep;
	int send;		/* send, else recv */
	int ret;
};

static void *peer(void *arg)
{
	struct peer *p = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	if (p->send)
		p->ret = kipc_send(&c, p->ep, KIPC_TAG(1, 0), INF);
	else
		p->ret = kipc_recv(&c, p->ep, INF);
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(poll, idle_endpoint_is_not_ready)
{
	EXPECT_EQ(0, revents(self->ep));
	EXPECT_EQ(0, revents(self->snd));
	EXPECT_EQ(0, revents(self->rcv));
}

/* A queued sender makes receive handles readable, and only them. */
TEST_F(poll, queued_sender_is_pollin)
{
	struct peer p = { .ep = self->snd, .send = 1 };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, peer, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	EXPECT_EQ(POLLIN, revents(self->rcv));
	EXPECT_EQ(POLLIN, revents(self->ep));
	EXPECT_EQ(0, revents(self->snd));
	ASSERT_EQ(0, kipc_recv(&self->c, self->rcv, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(0, revents(self->rcv));
}

/* A waiting receiver makes send handles writable, and only them. */
TEST_F(poll, waiting_receiver_is_pollout)
{
	struct peer p = { .ep = self->rcv };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, peer, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	EXPECT_EQ(POLLOUT, revents(self->snd));
	EXPECT_EQ(POLLOUT, revents(self->ep));
	EXPECT_EQ(0, revents(self->rcv));
	ASSERT_EQ(0, kipc_send(&self->c, self->snd, 0, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(0, p.ret);
	EXPECT_EQ(0, revents(self->snd));
}

/* No receive handle left: a send handle hangs up. */
TEST_F(poll, send_handle_hangs_up)
{
	close(self->ep);
	self->ep = -1;
	EXPECT_EQ(0, revents(self->snd));
	close(self->rcv);
	self->rcv = -1;
	EXPECT_EQ(POLLHUP, revents(self->snd));
}

/* No send handle left: a receive handle hangs up. */
TEST_F(poll, recv_handle_hangs_up)
{
	close(self->ep);
	self->ep = -1;
	EXPECT_EQ(0, revents(self->rcv));
	close(self->snd);
	self->snd = -1;
	EXPECT_EQ(POLLHUP, revents(self->rcv));
}

/* A bound notification keeps the receive side alive and readable. */
TEST_F(poll, bound_notification)
{
	int n = kipc_ntfn_create(&self->c, 0);

	ASSERT_GE(n, 0);
	ASSERT_EQ(0, kipc_ntfn_bind(&self->c, n, self->rcv));
	close(self->ep);
	close(self->snd);
	self->ep = self->snd = -1;
	EXPECT_EQ(0, revents(self->rcv));
	ASSERT_EQ(0, kipc_ntfn_signal(&self->c, n, 1));
	EXPECT_EQ(POLLIN, revents(self->rcv));
	EXPECT_EQ(POLLIN, revents(n));
	ASSERT_EQ(0, kipc_recv(&self->c, self->rcv, 0));
	EXPECT_EQ(0, revents(self->rcv));
	close(n);	/* unbinds: nothing can wake a receiver any more */
	EXPECT_EQ(POLLHUP, revents(self->rcv));
}

TEST_F(poll, notification_readiness)
{
	int n = kipc_ntfn_create(&self->c, 0);

	ASSERT_GE(n, 0);
	EXPECT_EQ(0, revents(n));
	ASSERT_EQ(0, kipc_ntfn_signal(&self->c, n, 0x11));
	EXPECT_EQ(POLLIN, revents(n));
	ASSERT_EQ(0, kipc_ntfn_wait(&self->c, n, 0));
	EXPECT_EQ(0, revents(n));
	close(n);
}

TEST_F(poll, select_sees_a_sender)
{
	struct peer p = { .ep = self->snd, .send = 1 };
	struct timeval tv = { 10, 0 };
	fd_set rd;
	pthread_t t;

	FD_ZERO(&rd);
	FD_SET(self->rcv, &rd);
	ASSERT_EQ(0, pthread_create(&t, NULL, peer, &p));
	ASSERT_EQ(1, select(self->rcv + 1, &rd, NULL, NULL, &tv));
	EXPECT_TRUE(FD_ISSET(self->rcv, &rd));
	ASSERT_EQ(0, kipc_recv(&self->c, self->rcv, 0));
	pthread_join(t, NULL);
}

struct epoller {
	int epfd;
	int timeout_ms;
	int n;
	uint32_t events;
	pid_t tid;
};

static void *epoller(void *arg)
{
	struct epoller *e = arg;
	struct epoll_event ev;

	e->tid = gettid_();
	e->n = epoll_wait(e->epfd, &ev, 1, e->timeout_ms);
	e->events = e->n > 0 ? ev.events : 0;
	return NULL;
}

static int epoll_on(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	int epfd = epoll_create1(EPOLL_CLOEXEC);

	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		return -1;
	return epfd;
}

/* epoll_wait blocked before the event is woken by it, for every event. */
TEST_F(poll, epoll_wakes_for_every_event)
{
	struct peer p = { .ep = self->snd, .send = 1 };
	struct epoller e = { .timeout_ms = 20000 };
	pthread_t t, pt;

	/* a sender arrives: EPOLLIN */
	e.epfd = epoll_on(self->rcv, EPOLLIN);
	ASSERT_GE(e.epfd, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, epoller, &e));
	while (!__atomic_load_n(&e.tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	ASSERT_EQ(0, wait_sleeping(e.tid));
	ASSERT_EQ(0, pthread_create(&pt, NULL, peer, &p));
	pthread_join(t, NULL);
	EXPECT_EQ(1, e.n);
	EXPECT_EQ(EPOLLIN, e.events);
	ASSERT_EQ(0, kipc_recv(&self->c, self->rcv, 0));
	pthread_join(pt, NULL);
	close(e.epfd);

	/* a receiver arrives: EPOLLOUT */
	e.tid = 0;
	e.epfd = epoll_on(self->snd, EPOLLOUT);
	ASSERT_GE(e.epfd, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, epoller, &e));
	while (!__atomic_load_n(&e.tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	ASSERT_EQ(0, wait_sleeping(e.tid));
	p.ep = self->rcv;
	p.send = 0;
	ASSERT_EQ(0, pthread_create(&pt, NULL, peer, &p));
	pthread_join(t, NULL);
	EXPECT_EQ(1, e.n);
	EXPECT_EQ(EPOLLOUT, e.events);
	ASSERT_EQ(0, kipc_send(&self->c, self->snd, 0, 0));
	pthread_join(pt, NULL);
	close(e.epfd);

	/* the last receive handle goes: EPOLLHUP */
	e.tid = 0;
	e.epfd = epoll_on(self->snd, EPOLLOUT);
	ASSERT_GE(e.epfd, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, epoller, &e));
	while (!__atomic_load_n(&e.tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	ASSERT_EQ(0, wait_sleeping(e.tid));
	close(self->rcv);
	close(self->ep);
	self->rcv = self->ep = -1;
	pthread_join(t, NULL);
	EXPECT_EQ(1, e.n);
	EXPECT_EQ(EPOLLHUP, e.events);
	close(e.epfd);
}

TEST_F(poll, epoll_wakes_for_a_signal)
{
	struct epoller e = { .timeout_ms = 20000 };
	int n = kipc_ntfn_create(&self->c, 0);
	pthread_t t;

	ASSERT_GE(n, 0);
	e.epfd = epoll_on(n, EPOLLIN);
	ASSERT_GE(e.epfd, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, epoller, &e));
	while (!__atomic_load_n(&e.tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	ASSERT_EQ(0, wait_sleeping(e.tid));
	ASSERT_EQ(0, kipc_ntfn_signal(&self->c, n, 4));
	pthread_join(t, NULL);
	EXPECT_EQ(1, e.n);
	EXPECT_EQ(EPOLLIN, e.events);
	close(e.epfd);
	close(n);
}

/*
 * EPOLLEXCLUSIVE: of two event loops waiting for senders on one endpoint,
 * one queued sender wakes one; the next sender wakes the other.
 */
TEST_F(poll, epollexclusive_wakes_one)
{
	struct epoller e[2] = { { .timeout_ms = 20000 }, { .timeout_ms = 20000 } };
	struct peer p = { .ep = self->snd, .send = 1 };
	pthread_t t[2], pt;
	int woken;

	for (int i = 0; i < 2; i++) {
		e[i].epfd = epoll_on(self->rcv, EPOLLIN | EPOLLEXCLUSIVE);
		ASSERT_GE(e[i].epfd, 0);
		ASSERT_EQ(0, pthread_create(&t[i], NULL, epoller, &e[i]));
		while (!__atomic_load_n(&e[i].tid, __ATOMIC_ACQUIRE))
			usleep(1000);
		ASSERT_EQ(0, wait_sleeping(e[i].tid));
	}
	ASSERT_EQ(0, pthread_create(&pt, NULL, peer, &p));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	sleep_ms(200);
	woken = (__atomic_load_n(&e[0].n, __ATOMIC_ACQUIRE) == 1) +
		(__atomic_load_n(&e[1].n, __ATOMIC_ACQUIRE) == 1);
	EXPECT_EQ(1, woken);
	/* Serve it; a second sender wakes the other loop. */
	ASSERT_EQ(0, kipc_recv(&self->c, self->rcv, 0));
	pthread_join(pt, NULL);
	ASSERT_EQ(0, pthread_create(&pt, NULL, peer, &p));
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	EXPECT_EQ(1, e[0].n);
	EXPECT_EQ(1, e[1].n);
	ASSERT_EQ(0, kipc_recv(&self->c, self->rcv, INF));
	pthread_join(pt, NULL);
	close(e[0].epfd);
	close(e[1].epfd);
}

TEST_HARNESS_MAIN
