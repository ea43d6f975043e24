// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduling that follows the call: a server's thread runs at the higher
 * of its own and its caller's priority while it serves the call (also for
 * callers queued behind it, and along a chain of calls), exactly its own
 * settings come back when the call ends however it ends, endpoints may opt
 * out or set a floor, and an accounting endpoint tells each caller the
 * server's CPU time on its call and keeps totals per badge and uid.
 */
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>

#include "kipc_test.h"

#define T_WAIT	(20000 * MS)

/* struct sched_attr, without the header that clashes with glibc's. */
struct t_attr {
	uint32_t size;
	uint32_t policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

#define T_RESET_ON_FORK	1ULL

static int get_attr(pid_t tid, struct t_attr *a)
{
	memset(a, 0, sizeof(*a));
	return syscall(SYS_sched_getattr, tid, a, sizeof(*a), 0);
}

/* @v: a real-time priority for SCHED_FIFO/RR, else a nice value. */
static int set_attr(pid_t tid, int policy, int v)
{
	struct t_attr a = { .size = sizeof(a), .policy = policy };

	if (policy == SCHED_FIFO || policy == SCHED_RR)
		a.prio = v;
	else
		a.nice = v;
	return syscall(SYS_sched_setattr, tid, &a, 0);
}

/* Does thread @tid run at @policy and @v (a priority or nice value)? */
static int runs_at(pid_t tid, int policy, int v)
{
	struct t_attr a;

	if (get_attr(tid, &a))
		return 0;
	if (a.policy != (uint32_t)policy)
		return 0;
	return policy == SCHED_FIFO || policy == SCHED_RR ? a.prio == (uint32_t)v :
	       a.nice == v;
}

/* Wait (20 s at most) until thread @tid runs at @policy and @v. */
static int wait_runs_at(pid_t tid, int policy, int v)
{
	for (int i = 0; i < 20000; i++) {
		if (runs_at(tid, policy, v))
			return 0;
		sleep_ms(1);
	}
	return -1;
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * A server thread: runs at its own @policy/@v, serves @n calls and puts
 * in each reply what it ran at while serving (mr[0] policy, mr[1]
 * priority, mr[2] nice, mr[3] flags).  With @plain it replies with a
 * plain reply and then checks that its own settings are back (else
 * counts @bad); with reply_recv the test checks between calls.
 */
struct srv {
	int ep;			/* a descriptor; with @slot registered in slot 0 */
	bool slot;
	bool plain;
	bool pin;
	int policy, v;
	int n;
	int bad;
	pid_t tid;
	int ret;
	atomic_int ready;
	/* served time: burn this much CPU per call */
	uint64_t burn_ns;
};

static void burn(uint64_t ns)
{
	struct timespec t;
	uint64_t start, now;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	start = t.tv_sec * 1000000000ULL + t.tv_nsec;
	do {
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		now = t.tv_sec * 1000000000ULL + t.tv_nsec;
	} while (now - start < ns);
}

static void fill_attr_reply(struct kipc_ctx *c)
{
	struct t_attr a;

	get_attr(0, &a);
	kipc_mr(c)[0] = a.policy;
	kipc_mr(c)[1] = a.prio;
	kipc_mr(c)[2] = (uint64_t)(int64_t)a.nice;
	kipc_mr(c)[3] = a.flags;
}

/* A call received says served_ns 0, whatever was there. */
static void received(struct srv *s, struct kipc_ctx *c, int r)
{
	if (!r && kipc_served_ns(c))
		s->bad++;
	c->utcb->served_ns = ~0ULL;
}

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	struct kipc_ctx c;
	int ep, fd, r, i;

	if (s->pin)
		pin_cpu0();
	s->tid = gettid_();
	ctx_open(&c);
	/* Its own receive handle: the test's last send handle ends it (EPIPE). */
	fd = ep = kipc_ep_mint(&c, s->ep, KIPC_RIGHT_RECV, 0, 0);
	if (ep < 0 || set_attr(0, s->policy, s->v)) {
		s->ret = -EINVAL;
		atomic_store(&s->ready, 1);
		return NULL;
	}
	if (s->slot) {
		kipc_register(&c, 0, fd);
		ep = KIPC_SLOT(0);
	}
	atomic_store(&s->ready, 1);
	c.utcb->served_ns = ~0ULL;
	r = kipc_recv(&c, ep, INF);
	received(s, &c, r);
	for (i = 0; !r && i < s->n; i++) {
		if (s->burn_ns)
			burn(s->burn_ns);
		fill_attr_reply(&c);
		if (!s->plain) {
			r = kipc_reply_recv(&c, ep, KIPC_TAG(1, 4), INF);
			received(s, &c, r);
			continue;
		}
		r = kipc_reply(&c, KIPC_TAG(1, 4));
		if (!r && !runs_at(0, s->policy, s->v))
			s->bad++;
		if (!r) {
			r = kipc_recv(&c, ep, INF);
			received(s, &c, r);
		}
	}
	s->ret = r == -EPIPE ? i : r;
	kipc_ctx_close(&c);
	close(fd);
	return NULL;
}

static int srv_start(struct srv *s, pthread_t *t)
{
	if (pthread_create(t, NULL, srv_main, s))
		return -1;
	while (!atomic_load(&s->ready))
		sleep_ms(1);
	return s->ret;
}

/* Set the calling thread's scheduling, call @ep @n times, check each reply. */
struct cli {
	int ep;
	bool slot;
	int policy, v;		/* the client's own */
	int want_policy, want_v; /* what the server must run at */
	int n;
	int bad;
	int ret;
	uint64_t served;	/* sum of served_ns */
};

static void *cli_main(void *arg)
{
	struct cli *cl = arg;
	struct kipc_ctx c;
	int i;

	cl->ret = set_attr(0, cl->policy, cl->v) ? -errno : 0;
	if (cl->ret)
		return NULL;
	ctx_open(&c);
	if (cl->slot && kipc_register(&c, 1, cl->ep))
		cl->ret = -EINVAL;
	for (i = 0; !cl->ret && i < cl->n; i++) {
		__u64 *mr = kipc_mr(&c);

		cl->ret = kipc_call(&c, cl->slot ? KIPC_SLOT(1) : cl->ep,
				    KIPC_TAG(0, 0), INF);
		if (cl->ret)
			break;
		cl->served += kipc_served_ns(&c);
		if (mr[0] != (uint64_t)cl->want_policy ||
		    (cl->want_policy == SCHED_FIFO || cl->want_policy == SCHED_RR ?
		     mr[1] != (uint64_t)cl->want_v : (int64_t)mr[2] != cl->want_v)) {
			if (!cl->bad)
				fprintf(stderr, "# call %d: policy %llu prio %llu nice %lld\n",
					i, (unsigned long long)mr[0],
					(unsigned long long)mr[1], (long long)mr[2]);
			cl->bad++;
		}
	}
	kipc_ctx_close(&c);
	return NULL;
}

static int run_cli(struct cli *cl)
{
	pthread_t t;

	if (pthread_create(&t, NULL, cli_main, cl))
		return -1;
	pthread_join(t, NULL);
	return cl->ret;
}

KIPC_FIXTURE(sched)

/*
 * A SCHED_FIFO 50 caller: the SCHED_OTHER server runs at FIFO 50 (with
 * reset-on-fork) for every call, by slot and by descriptor, answering
 * with reply or reply_recv, and is back at its own nice 5 after each reply
 * and between calls.
 */
TEST_F(sched, inherits_realtime_and_gives_it_back)
{
	for (int mode = 0; mode < 4; mode++) {
		int ep = kipc_ep_create(&self->c, 0);
		struct srv s = { .ep = ep, .slot = mode & 1, .plain = mode & 2,
				 .policy = SCHED_OTHER, .v = 5, .n = 1000 };
		struct cli cl = { .ep = ep, .slot = mode & 1, .policy = SCHED_FIFO,
				  .v = 50, .want_policy = SCHED_FIFO, .want_v = 50,
				  .n = 50 };
		struct t_attr a;
		pthread_t t;

		ASSERT_GE(ep, 0);
		ASSERT_EQ(0, srv_start(&s, &t));
		for (int i = 0; i < 4; i++) {
			ASSERT_EQ(0, run_cli(&cl)) TH_LOG("mode %d", mode);
			EXPECT_EQ(0, cl.bad) TH_LOG("mode %d", mode);
			/* Between calls, waiting: its own settings. */
			ASSERT_EQ(0, wait_sleeping(s.tid));
			EXPECT_TRUE(runs_at(s.tid, SCHED_OTHER, 5)) TH_LOG("mode %d", mode);
			ASSERT_EQ(0, get_attr(s.tid, &a));
			EXPECT_EQ(0, a.flags & T_RESET_ON_FORK);
		}
		EXPECT_EQ(0, kipc_stat("boosted"));
		close(ep);
		pthread_join(t, NULL);
		EXPECT_EQ(200, s.ret) TH_LOG("mode %d", mode);
		EXPECT_EQ(0, s.bad) TH_LOG("mode %d", mode);
	}
}

/* The reply carries the flags the server ran with: reset-on-fork while boosted. */
TEST_F(sched, boost_resets_on_fork)
{
	struct srv s = { .ep = self->ep, .policy = SCHED_OTHER, .v = 0, .n = 1 };
	struct kipc_ctx c;
	pthread_t t;

	ASSERT_EQ(0, srv_start(&s, &t));
	ASSERT_EQ(0, set_attr(0, SCHED_FIFO, 20));
	ctx_open(&c);
	ASSERT_EQ(0, kipc_call(&c, self->ep, KIPC_TAG(0, 0), INF));
	EXPECT_EQ(SCHED_FIFO, kipc_mr(&c)[0]);
	EXPECT_EQ(20, kipc_mr(&c)[1]);
	EXPECT_EQ(T_RESET_ON_FORK, kipc_mr(&c)[3] & T_RESET_ON_FORK);
	ASSERT_EQ(0, set_attr(0, SCHED_OTHER, 0));
	kipc_ctx_close(&c);
	close(self->ep);
	self->ep = -1;
	pthread_join(t, NULL);
	EXPECT_EQ(1, s.ret);
}

/* A child forked by a boosted server does not keep the boost. */
static int fork_child_policy(struct kipc_ctx *c)
{
	pid_t pid = fork();
	struct t_attr a;

	if (pid == 0)
		_exit(get_attr(0, &a) ? 99 : (int)a.policy);
	(void)c;
	return reap(pid);
}

static void *forking_srv(void *arg)
{
	struct srv *s = arg;
	struct kipc_ctx c;

	s->tid = gettid_();
	ctx_open(&c);
	atomic_store(&s->ready, 1);
	s->ret = kipc_recv(&c, s->ep, INF);
	if (!s->ret) {
		kipc_mr(&c)[0] = fork_child_policy(&c);
		fill_attr_reply(&c);
		kipc_mr(&c)[0] = fork_child_policy(&c);
		s->ret = kipc_reply(&c, KIPC_TAG(1, 4));
	}
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(sched, child_of_boosted_server_is_not_boosted)
{
	struct srv s = { .ep = self->ep };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, forking_srv, &s));
	while (!atomic_load(&s.ready))
		sleep_ms(1);
	ASSERT_EQ(0, set_attr(0, SCHED_FIFO, 30));
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(0, 0), INF));
	ASSERT_EQ(0, set_attr(0, SCHED_OTHER, 0));
	pthread_join(t, NULL);
	ASSERT_EQ(0, s.ret);
	EXPECT_EQ(SCHED_OTHER, kipc_mr(&self->c)[0]);	/* the child's policy */
	EXPECT_EQ(30, kipc_mr(&self->c)[1]);		/* the server's, boosted */
}

/* Nice values are lent the same way; a less urgent caller lends nothing. */
TEST_F(sched, inherits_nice_only_upwards)
{
	struct srv s = { .ep = self->ep, .plain = true, .policy = SCHED_OTHER,
			 .v = 10, .n = 1000 };
	struct cli up = { .ep = self->ep, .policy = SCHED_OTHER, .v = -5,
			  .want_policy = SCHED_OTHER, .want_v = -5, .n = 30 };
	struct cli down = { .ep = self->ep, .policy = SCHED_OTHER, .v = 15,
			    .want_policy = SCHED_OTHER, .want_v = 10, .n = 30 };
	struct cli batch = { .ep = self->ep, .policy = SCHED_BATCH, .v = 0,
			     .want_policy = SCHED_BATCH, .want_v = 0, .n = 30 };
	struct cli idle = { .ep = self->ep, .policy = SCHED_IDLE, .v = 0,
			    .want_policy = SCHED_OTHER, .want_v = 10, .n = 30 };
	pthread_t t;

	ASSERT_EQ(0, srv_start(&s, &t));
	ASSERT_EQ(0, run_cli(&up));
	EXPECT_EQ(0, up.bad);
	ASSERT_EQ(0, run_cli(&down));
	EXPECT_EQ(0, down.bad);
	ASSERT_EQ(0, run_cli(&batch));
	EXPECT_EQ(0, batch.bad);
	ASSERT_EQ(0, run_cli(&idle));
	EXPECT_EQ(0, idle.bad);
	close(self->ep);
	self->ep = -1;
	pthread_join(t, NULL);
	EXPECT_EQ(120, s.ret);
	EXPECT_EQ(0, s.bad);
}

/* KIPC_EP_NO_INHERIT: the server keeps its own priority. */
TEST_F(sched, no_inherit_endpoint)
{
	int ep = kipc_ep_create(&self->c, KIPC_EP_NO_INHERIT);
	struct srv s = { .ep = ep, .plain = true, .policy = SCHED_OTHER, .v = 0,
			 .n = 1000 };
	struct cli cl = { .ep = ep, .policy = SCHED_FIFO, .v = 50,
			  .want_policy = SCHED_OTHER, .want_v = 0, .n = 30 };
	pthread_t t;

	ASSERT_GE(ep, 0);
	EXPECT_EQ(0, fdinfo_value(0, ep, "inherit"));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "inherit"));
	ASSERT_EQ(0, srv_start(&s, &t));
	ASSERT_EQ(0, run_cli(&cl));
	EXPECT_EQ(0, cl.bad);
	close(ep);
	pthread_join(t, NULL);
	EXPECT_EQ(30, s.ret);
}

/* A floor: every call runs at least at it, a more urgent caller above it. */
TEST_F(sched, floor)
{
	int ep = kipc_ep_create_floor(&self->c, 0, SCHED_FIFO, 10);
	int nep = kipc_ep_create_floor(&self->c, KIPC_EP_NO_INHERIT, SCHED_OTHER, -3);
	struct srv s = { .ep = ep, .plain = true, .policy = SCHED_OTHER, .v = 0,
			 .n = 1000 };
	struct srv ns = { .ep = nep, .plain = true, .policy = SCHED_OTHER, .v = 0,
			  .n = 1000 };
	struct cli low = { .ep = ep, .policy = SCHED_OTHER, .v = 0,
			   .want_policy = SCHED_FIFO, .want_v = 10, .n = 20 };
	struct cli high = { .ep = ep, .policy = SCHED_FIFO, .v = 40,
			    .want_policy = SCHED_FIFO, .want_v = 40, .n = 20 };
	struct cli nice = { .ep = nep, .policy = SCHED_FIFO, .v = 40,
			    .want_policy = SCHED_OTHER, .want_v = -3, .n = 20 };
	pthread_t t, nt;
	char line[64];
	FILE *f;

	ASSERT_GE(ep, 0);
	ASSERT_GE(nep, 0);
	ASSERT_EQ(0, srv_start(&s, &t));
	ASSERT_EQ(0, srv_start(&ns, &nt));
	ASSERT_EQ(0, run_cli(&low));
	EXPECT_EQ(0, low.bad);
	ASSERT_EQ(0, run_cli(&high));
	EXPECT_EQ(0, high.bad);
	ASSERT_EQ(0, run_cli(&nice));
	EXPECT_EQ(0, nice.bad);
	snprintf(line, sizeof(line), "/proc/self/fdinfo/%d", ep);
	f = fopen(line, "r");
	ASSERT_NE(NULL, f);
	bool seen = false;
	while (fgets(line, sizeof(line), f))
		seen |= !strcmp(line, "floor:\tfifo 10\n");
	fclose(f);
	EXPECT_TRUE(seen);
	close(ep);
	close(nep);
	pthread_join(t, NULL);
	pthread_join(nt, NULL);
	EXPECT_EQ(40, s.ret);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(20, ns.ret);
	EXPECT_EQ(0, ns.bad);
}

static int floor_as_nobody(void *arg)
{
	struct rlimit none = { 0, 0 };
	struct kipc_ctx c;
	int fd;

	(void)arg;
	CHILD_CHECK(!setrlimit(RLIMIT_RTPRIO, &none));
	CHILD_CHECK(!setrlimit(RLIMIT_NICE, &none));
	CHILD_CHECK(!become(65534, 65534));
	ctx_open(&c);
	CHILD_CHECK(kipc_ep_create_floor(&c, 0, SCHED_FIFO, 1) == -EPERM);
	CHILD_CHECK(kipc_ep_create_floor(&c, 0, SCHED_RR, 99) == -EPERM);
	CHILD_CHECK(kipc_ep_create_floor(&c, 0, SCHED_OTHER, -1) == -EPERM);
	fd = kipc_ep_create_floor(&c, 0, SCHED_OTHER, 5);
	CHILD_CHECK(fd >= 0);
	close(fd);
	fd = kipc_ep_create_floor(&c, 0, SCHED_OTHER, 0);
	CHILD_CHECK(fd >= 0);
	close(fd);
	kipc_ctx_close(&c);
	return 0;
}

/* A floor is a priority its creator could give itself; bad ones are refused. */
TEST_F(sched, floor_checks)
{
	struct kipc_ep_create a = { 0 };
	int bad[][2] = { { SCHED_FIFO, 0 }, { SCHED_FIFO, 100 }, { SCHED_RR, -1 },
			 { SCHED_OTHER, 20 }, { SCHED_BATCH, -21 }, { SCHED_IDLE, 0 },
			 { 6 /* SCHED_DEADLINE */, 0 }, { 7, 0 }, { -1, 0 } };

	for (unsigned int k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		int pol = bad[k][0], v = bad[k][1];

		EXPECT_EQ(-EINVAL, kipc_ep_create_floor(&self->c, 0, pol, v))
			TH_LOG("policy %d value %d", pol, v);
	}
	/* The floor's word without KIPC_EP_FLOOR, the other words, a new flag. */
	a.floor_policy = SCHED_FIFO;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_EP_CREATE, &a));
	EXPECT_EQ(EINVAL, errno);
	a = (struct kipc_ep_create){ .flags = KIPC_EP_FLOOR, .floor_policy = SCHED_OTHER };
	a.__reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_EP_CREATE, &a));
	EXPECT_EQ(EINVAL, errno);
	a = (struct kipc_ep_create){ .flags = 1U << 4 };
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_EP_CREATE, &a));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, reap(spawn(floor_as_nobody, NULL)));
}

/*
 * The server changes its own settings while boosted: they win, kipc
 * leaves them after the reply; the next boost starts from them.
 */
static void *changing_srv(void *arg)
{
	struct srv *s = arg;
	struct kipc_ctx c;
	int r;

	s->tid = gettid_();
	ctx_open(&c);
	atomic_store(&s->ready, 1);
	r = kipc_recv(&c, s->ep, INF);
	if (!r) {
		set_attr(0, SCHED_BATCH, 3);
		r = kipc_reply(&c, KIPC_TAG(1, 0));
	}
	if (!r && !runs_at(0, SCHED_BATCH, 3))
		s->bad++;
	if (!r)
		r = kipc_recv(&c, s->ep, INF);
	if (!r) {
		fill_attr_reply(&c);
		r = kipc_reply(&c, KIPC_TAG(1, 4));
	}
	if (!r && !runs_at(0, SCHED_BATCH, 3))
		s->bad++;
	s->ret = r;
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(sched, own_change_while_boosted_wins)
{
	struct srv s = { .ep = self->ep };
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, changing_srv, &s));
	while (!atomic_load(&s.ready))
		sleep_ms(1);
	ASSERT_EQ(0, set_attr(0, SCHED_FIFO, 20));
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(0, 0), INF));
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(0, 0), INF));
	EXPECT_EQ(SCHED_FIFO, kipc_mr(&self->c)[0]);
	EXPECT_EQ(20, kipc_mr(&self->c)[1]);
	ASSERT_EQ(0, set_attr(0, SCHED_OTHER, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(0, s.ret);
	EXPECT_EQ(0, s.bad);
	EXPECT_EQ(0, kipc_stat("boosted"));
}

/*
 * The boost ends when the caller stops waiting, before the server
 * answers: a timeout, a cancel, the caller killed.  The server sees its
 * own settings come back while it still holds the call.
 */
struct ender {
	int ep;
	int how;		/* 0 timeout, 1 cancel, 2 killed */
	struct kipc_ctx c;
	atomic_int called;
	int ret;
};

static void *ending_caller(void *arg)
{
	struct ender *e = arg;

	set_attr(0, SCHED_FIFO, 45);
	atomic_store(&e->called, 1);
	e->ret = kipc_call(&e->c, e->ep, KIPC_TAG(0, 0),
			   e->how == 0 ? 300 * MS : INF);
	return NULL;
}

static int killed_caller(void *arg)
{
	struct ender *e = arg;

	set_attr(0, SCHED_FIFO, 45);
	ctx_open(&e->c);
	kipc_call(&e->c, e->ep, KIPC_TAG(0, 0), INF);
	return 1;
}

TEST_F(sched, boost_ends_when_the_caller_stops_waiting)
{
	for (int how = 0; how < 3; how++) {
		struct ender e = { .ep = self->ep, .how = how };
		struct kipc_ctx s;
		pthread_t t;
		pid_t pid = 0;

		ctx_open(&s);
		ASSERT_EQ(0, set_attr(0, SCHED_OTHER, 7));
		if (how == 2) {
			pid = spawn(killed_caller, &e);
			ASSERT_GT(pid, 0);
		} else {
			ctx_open(&e.c);
			ASSERT_EQ(0, pthread_create(&t, NULL, ending_caller, &e));
		}
		ASSERT_EQ(0, kipc_recv(&s, self->ep, INF));
		/* Lent before the receive returns. */
		EXPECT_TRUE(runs_at(0, SCHED_FIFO, 45)) TH_LOG("how %d", how);
		if (how == 1) {
			ASSERT_EQ(0, kipc_cancel(&e.c));
		} else if (how == 2) {
			kill(pid, SIGKILL);
			EXPECT_EQ(128 + SIGKILL, reap(pid));
		}
		EXPECT_EQ(0, wait_runs_at(0, SCHED_OTHER, 7)) TH_LOG("how %d", how);
		EXPECT_EQ(-ECONNRESET, kipc_reply(&s, KIPC_TAG(0, 0)));
		if (how != 2) {
			pthread_join(t, NULL);
			EXPECT_EQ(how == 0 ? -ETIMEDOUT : -ECANCELED, e.ret);
			kipc_ctx_close(&e.c);
		}
		kipc_ctx_close(&s);
		EXPECT_EQ(0, kipc_stat("boosted"));
	}
	ASSERT_EQ(0, set_attr(0, SCHED_OTHER, 0));
}

/* A boosted server killed: its boost goes with it, its caller learns. */
static int boosted_srv_dies(void *arg)
{
	int *fds = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	CHILD_CHECK(!kipc_recv(&c, fds[0], INF));
	CHILD_CHECK(write(fds[1], "x", 1) == 1);
	for (;;)
		pause();
}

TEST_F(sched, boosted_server_killed)
{
	int p[2], fds[2];
	char ch;
	pid_t pid;
	struct t_attr a;

	ASSERT_EQ(0, pipe(p));
	fds[0] = self->ep;
	fds[1] = p[1];
	pid = spawn(boosted_srv_dies, fds);
	ASSERT_GT(pid, 0);
	struct ender e = { .ep = self->ep, .how = 3 };
	pthread_t t;

	ctx_open(&e.c);
	ASSERT_EQ(0, pthread_create(&t, NULL, ending_caller, &e));
	ASSERT_EQ(1, read(p[0], &ch, 1));
	ASSERT_EQ(0, get_attr(pid, &a));
	EXPECT_EQ(SCHED_FIFO, a.policy);
	EXPECT_EQ(45, a.prio);
	EXPECT_EQ(1, kipc_stat("boosted"));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	pthread_join(t, NULL);
	EXPECT_EQ(-ECONNRESET, e.ret);
	kipc_ctx_close(&e.c);
	EXPECT_EQ(0, kipc_stat("boosted"));
	close(p[0]);
	close(p[1]);
}

/*
 * A server that blocks while serving (here on a pipe); a call queued
 * behind it boosts the thread that serves the current call.
 */
struct blocker {
	int ep;
	int gate;		/* read end: one byte per call to finish */
	int out_ep;		/* >= 0: call it while serving (a chain) */
	pid_t tid;
	atomic_int serving;
	int ret;
	uint64_t seen[4][4];	/* fill_attr_reply() of each call, then after */
	int n;
};

static void *blocking_srv(void *arg)
{
	struct blocker *b = arg;
	struct kipc_ctx c, out;
	char ch;
	int r;

	b->tid = gettid_();
	ctx_open(&c);
	ctx_open(&out);
	r = kipc_recv(&c, b->ep, INF);
	while (!r && b->n < 4) {
		atomic_fetch_add(&b->serving, 1);
		if (b->out_ep >= 0)
			r = kipc_call(&out, b->out_ep, KIPC_TAG(0, 0), INF);
		else if (read(b->gate, &ch, 1) != 1)
			r = -EIO;
		if (r)
			break;
		fill_attr_reply(&c);
		memcpy(b->seen[b->n++], kipc_mr(&c), sizeof(b->seen[0]));
		r = kipc_reply_recv(&c, b->ep, KIPC_TAG(1, 4), INF);
	}
	b->ret = r;
	kipc_ctx_close(&out);
	kipc_ctx_close(&c);
	return NULL;
}

struct caller {
	int ep;
	int policy, v;
	int ret;
	uint64_t mr[4];
};

static void *a_caller(void *arg)
{
	struct caller *cl = arg;
	struct kipc_ctx c;

	set_attr(0, cl->policy, cl->v);
	ctx_open(&c);
	cl->ret = kipc_call(&c, cl->ep, KIPC_TAG(0, 0), INF);
	memcpy(cl->mr, kipc_mr(&c), sizeof(cl->mr));
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(sched, queued_caller_boosts_busy_server)
{
	struct blocker b = { .ep = self->ep, .out_ep = -1 };
	struct caller x = { .ep = self->ep, .policy = SCHED_OTHER, .v = 0 };
	struct caller a = { .ep = self->ep, .policy = SCHED_FIFO, .v = 40 };
	pthread_t tb, tx, ta;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	b.gate = p[0];
	ASSERT_EQ(0, pthread_create(&tb, NULL, blocking_srv, &b));
	ASSERT_EQ(0, pthread_create(&tx, NULL, a_caller, &x));
	while (atomic_load(&b.serving) < 1)
		sleep_ms(1);
	ASSERT_EQ(0, wait_sleeping(b.tid));
	EXPECT_TRUE(runs_at(b.tid, SCHED_OTHER, 0));
	/* A more urgent caller queues: the busy server runs at its priority. */
	ASSERT_EQ(0, pthread_create(&ta, NULL, a_caller, &a));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	EXPECT_EQ(0, wait_runs_at(b.tid, SCHED_FIFO, 40));
	/* It finishes x's call boosted, then serves a's boosted, then is itself. */
	ASSERT_EQ(2, write(p[1], "xx", 2));
	pthread_join(tx, NULL);
	pthread_join(ta, NULL);
	EXPECT_EQ(0, x.ret);
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(SCHED_FIFO, x.mr[0]);
	EXPECT_EQ(40, x.mr[1]);
	EXPECT_EQ(SCHED_FIFO, a.mr[0]);
	EXPECT_EQ(40, a.mr[1]);
	ASSERT_EQ(0, wait_sleeping(b.tid));
	EXPECT_TRUE(runs_at(b.tid, SCHED_OTHER, 0));
	close(self->ep);
	self->ep = -1;
	pthread_join(tb, NULL);
	EXPECT_EQ(-EPIPE, b.ret);
	EXPECT_EQ(0, kipc_stat("boosted"));
	close(p[0]);
	close(p[1]);
}

/*
 * ABI 1.7: a proxy forwards a more urgent caller's call to a busy server:
 * while the forward waits queued, the server runs at the caller's
 * priority (lent to the proxy, and on by the proxy), then serves the
 * forwarded call at it too, and is itself again afterwards.
 */
struct fproxy {
	int ep, to;
	pid_t tid;
	int ret;
};

static void *forwarding_proxy(void *arg)
{
	struct fproxy *f = arg;
	struct kipc_ctx c;

	f->tid = gettid_();
	ctx_open(&c);
	f->ret = kipc_recv(&c, f->ep, INF) ?: kipc_forward(&c, f->to, kipc_tag(&c), INF);
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(sched, queued_forward_boosts_busy_server)
{
	struct blocker b = { .ep = self->ep, .out_ep = -1 };
	struct caller x = { .ep = self->ep, .policy = SCHED_OTHER, .v = 0 };
	struct caller a = { .policy = SCHED_FIFO, .v = 40 };
	struct fproxy f = { 0 };
	pthread_t tb, tx, ta, tf;
	int p[2], pe;

	pe = kipc_ep_create(&self->c, 0);
	ASSERT_GE(pe, 0);
	f.ep = pe;
	f.to = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD, 0, 0);
	ASSERT_GE(f.to, 0);
	a.ep = pe;
	ASSERT_EQ(0, pipe(p));
	b.gate = p[0];
	ASSERT_EQ(0, pthread_create(&tb, NULL, blocking_srv, &b));
	ASSERT_EQ(0, pthread_create(&tx, NULL, a_caller, &x));
	while (atomic_load(&b.serving) < 1)
		sleep_ms(1);
	ASSERT_EQ(0, wait_sleeping(b.tid));
	EXPECT_TRUE(runs_at(b.tid, SCHED_OTHER, 0));
	ASSERT_EQ(0, pthread_create(&tf, NULL, forwarding_proxy, &f));
	ASSERT_EQ(0, wait_fdinfo(pe, "receivers-waiting", 1));
	/* The urgent call reaches the proxy, whose forward queues at the server. */
	ASSERT_EQ(0, pthread_create(&ta, NULL, a_caller, &a));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	EXPECT_EQ(0, wait_runs_at(b.tid, SCHED_FIFO, 40));
	ASSERT_EQ(2, write(p[1], "xx", 2));
	pthread_join(tx, NULL);
	pthread_join(tf, NULL);
	pthread_join(ta, NULL);
	EXPECT_EQ(0, f.ret);
	EXPECT_EQ(0, x.ret);
	EXPECT_EQ(0, a.ret);
	/* x's call finished boosted; the forwarded call was served at a's. */
	EXPECT_EQ(SCHED_FIFO, x.mr[0]);
	EXPECT_EQ(40, x.mr[1]);
	EXPECT_EQ(SCHED_FIFO, a.mr[0]);
	EXPECT_EQ(40, a.mr[1]);
	ASSERT_EQ(0, wait_sleeping(b.tid));
	EXPECT_TRUE(runs_at(b.tid, SCHED_OTHER, 0));
	close(self->ep);
	self->ep = -1;
	pthread_join(tb, NULL);
	EXPECT_EQ(-EPIPE, b.ret);
	EXPECT_EQ(0, kipc_stat("boosted"));
	close(f.to);
	close(pe);
	close(p[0]);
	close(p[1]);
}

/*
 * A chain: B serves its endpoint and, while serving x's call, calls C,
 * which blocks.  A more urgent caller queues on B's endpoint: B's thread
 * is boosted, and so is C's, which serves B's call for it.  Each is itself
 * again once its call ends.  A direct call chain lends at delivery too.
 */
TEST_F(sched, chain_of_calls)
{
	int epc = kipc_ep_create(&self->c, 0);
	struct blocker cs = { .ep = epc, .out_ep = -1 };
	struct blocker bs = { .ep = self->ep, .out_ep = epc };
	struct caller x = { .ep = self->ep, .policy = SCHED_OTHER, .v = 0 };
	struct caller a = { .ep = self->ep, .policy = SCHED_FIFO, .v = 30 };
	struct caller d = { .ep = self->ep, .policy = SCHED_RR, .v = 25 };
	pthread_t tb, tc, tx, ta, td;
	int p[2];

	ASSERT_GE(epc, 0);
	ASSERT_EQ(0, pipe(p));
	cs.gate = p[0];
	ASSERT_EQ(0, pthread_create(&tc, NULL, blocking_srv, &cs));
	ASSERT_EQ(0, pthread_create(&tb, NULL, blocking_srv, &bs));
	ASSERT_EQ(0, pthread_create(&tx, NULL, a_caller, &x));
	while (atomic_load(&cs.serving) < 1)
		sleep_ms(1);
	ASSERT_EQ(0, wait_sleeping(cs.tid));
	ASSERT_EQ(0, wait_sleeping(bs.tid));
	EXPECT_TRUE(runs_at(cs.tid, SCHED_OTHER, 0));
	ASSERT_EQ(0, pthread_create(&ta, NULL, a_caller, &a));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	EXPECT_EQ(0, wait_runs_at(bs.tid, SCHED_FIFO, 30));
	EXPECT_EQ(0, wait_runs_at(cs.tid, SCHED_FIFO, 30));
	/* C answers B (x's call), B answers x; then a's call goes B -> C. */
	ASSERT_EQ(1, write(p[1], "x", 1));
	pthread_join(tx, NULL);
	EXPECT_EQ(0, x.ret);
	EXPECT_EQ(SCHED_FIFO, x.mr[0]);		/* B ran boosted for it */
	/* a's call: lent at delivery to B, and by B's call to C. */
	while (atomic_load(&cs.serving) < 2)
		sleep_ms(1);
	ASSERT_EQ(0, wait_sleeping(cs.tid));
	EXPECT_TRUE(runs_at(cs.tid, SCHED_FIFO, 30));
	ASSERT_EQ(1, write(p[1], "x", 1));
	pthread_join(ta, NULL);
	EXPECT_EQ(0, a.ret);
	EXPECT_EQ(SCHED_FIFO, a.mr[0]);
	EXPECT_EQ(30, a.mr[1]);
	EXPECT_EQ(SCHED_FIFO, cs.seen[0][0]);	/* C, for B's call for x, after a queued */
	EXPECT_EQ(SCHED_FIFO, cs.seen[1][0]);
	/* An RR 25 caller straight through: lent at delivery, twice. */
	ASSERT_EQ(0, pthread_create(&td, NULL, a_caller, &d));
	while (atomic_load(&cs.serving) < 3)
		sleep_ms(1);
	ASSERT_EQ(0, wait_sleeping(cs.tid));
	EXPECT_TRUE(runs_at(cs.tid, SCHED_RR, 25));
	EXPECT_TRUE(runs_at(bs.tid, SCHED_RR, 25));
	ASSERT_EQ(1, write(p[1], "x", 1));
	pthread_join(td, NULL);
	EXPECT_EQ(0, d.ret);
	EXPECT_EQ(SCHED_RR, d.mr[0]);
	ASSERT_EQ(0, wait_sleeping(cs.tid));
	ASSERT_EQ(0, wait_sleeping(bs.tid));
	EXPECT_TRUE(runs_at(cs.tid, SCHED_OTHER, 0));
	EXPECT_TRUE(runs_at(bs.tid, SCHED_OTHER, 0));
	close(self->ep);
	self->ep = -1;
	pthread_join(tb, NULL);
	close(epc);
	pthread_join(tc, NULL);
	EXPECT_EQ(0, kipc_stat("boosted"));
	close(p[0]);
	close(p[1]);
}

/*
 * Priority inversion, on one CPU: a SCHED_FIFO 50 client, a SCHED_OTHER
 * server, a SCHED_FIFO 10 busy loop.  With inheritance the loop never
 * runs while the client calls (every moment the client or the server,
 * boosted, is more urgent); without it the client's first call waits for
 * the loop to end.
 */
struct busy {
	atomic_long count;
	atomic_int stop;
	uint64_t until;
};

static void *busy_loop(void *arg)
{
	struct busy *b = arg;

	pin_cpu0();
	if (set_attr(0, SCHED_FIFO, 10))
		return NULL;
	while (!atomic_load(&b->stop)) {
		for (int i = 0; i < 1000; i++)
			atomic_fetch_add_explicit(&b->count, 1, memory_order_relaxed);
		if (now_ns() > b->until)
			break;
	}
	return NULL;
}

static long inversion(int ep, int calls, uint64_t *worst)
{
	struct busy b = { .until = now_ns() + 400 * MS };
	struct kipc_ctx c;
	pthread_t t;
	long c0, c1;

	ctx_open(&c);
	pin_cpu0();
	if (set_attr(0, SCHED_FIFO, 50) ||
	    pthread_create(&t, NULL, busy_loop, &b))
		return -1;
	sleep_ms(20);		/* the loop runs */
	c0 = atomic_load(&b.count);
	*worst = 0;
	for (int i = 0; i < calls; i++) {
		uint64_t t0 = now_ns(), dt;

		if (kipc_call(&c, ep, KIPC_TAG(0, 0), INF))
			return -1;
		dt = now_ns() - t0;
		if (dt > *worst)
			*worst = dt;
	}
	c1 = atomic_load(&b.count);
	atomic_store(&b.stop, 1);
	set_attr(0, SCHED_OTHER, 0);
	pthread_join(t, NULL);
	kipc_ctx_close(&c);
	return c1 - c0;
}

TEST_F(sched, inversion_on_one_cpu)
{
	int nep = kipc_ep_create(&self->c, KIPC_EP_NO_INHERIT);
	struct srv s = { .ep = self->ep, .pin = true, .policy = SCHED_OTHER,
			 .n = 100000 };
	struct srv ns = { .ep = nep, .pin = true, .policy = SCHED_OTHER,
			  .n = 100000 };
	uint64_t worst;
	pthread_t t, nt;
	long ran;

	ASSERT_GE(nep, 0);
	ASSERT_EQ(0, srv_start(&s, &t));
	ASSERT_EQ(0, srv_start(&ns, &nt));
	ran = inversion(self->ep, 500, &worst);
	EXPECT_EQ(0, ran) TH_LOG("the busy loop ran during inherited calls");
	TH_LOG("inherit: the loop ran %ld steps, worst call %llu us", ran,
	       (unsigned long long)worst / 1000);
	ran = inversion(nep, 500, &worst);
	EXPECT_GT(ran, 0);
	EXPECT_GT(worst, 50 * MS) TH_LOG("no stall without inheritance");
	TH_LOG("no inherit: the loop ran %ld steps, worst call %llu us", ran,
	       (unsigned long long)worst / 1000);
	close(self->ep);
	self->ep = -1;
	close(nep);
	pthread_join(t, NULL);
	pthread_join(nt, NULL);
	EXPECT_EQ(500, s.ret);
	EXPECT_EQ(500, ns.ret);
}

/* Lines of a handle's fdinfo that start with @key, concatenated. */
static void fdinfo_lines(int fd, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	size_t klen = strlen(key), used = 0;
	FILE *f;

	out[0] = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && used + strlen(line) < len) {
			strcpy(out + used, line);
			used += strlen(line);
		}
	fclose(f);
}

/* Calls and nanoseconds of a "served-..." row of @fd's fdinfo, -1 if absent. */
static int served_row(int fd, const char *what, const char *key,
		      uint64_t *calls, uint64_t *ns)
{
	char buf[4096], want[64], *p;
	unsigned long long c, n;

	fdinfo_lines(fd, "served-", buf, sizeof(buf));
	snprintf(want, sizeof(want), "served-%s:\t%s ", what, key);
	p = strstr(buf, want);
	if (!p || sscanf(p + strlen(want), "%llu %llu", &c, &n) != 2)
		return -1;
	*calls = c;
	*ns = n;
	return 0;
}

static int call_as(void *arg)
{
	int *a = arg;		/* ep, uid, calls */
	struct kipc_ctx c;
	uint64_t sum = 0;

	CHILD_CHECK(!become(a[1], a[1]));
	ctx_open(&c);
	for (int i = 0; i < a[2]; i++) {
		CHILD_CHECK(!kipc_call(&c, a[0], KIPC_TAG(0, 0), INF));
		CHILD_CHECK(kipc_served_ns(&c) >= 1000000);
		sum += kipc_served_ns(&c);
	}
	kipc_ctx_close(&c);
	return 0;
}

/*
 * KIPC_EP_ACCOUNT: each reply tells the server's CPU time on the call
 * (the server burns 2 ms of it per call); the totals per badge and per
 * caller uid add up to exactly what the callers were told, and only a
 * receive handle's fdinfo, and root's /proc/kipc/served, show them.  Any
 * other message received says 0.
 */
TEST_F(sched, served_time)
{
	int ep = kipc_ep_create(&self->c, KIPC_EP_ACCOUNT);
	int b1 = kipc_ep_mint(&self->c, ep, KIPC_RIGHT_SEND, 0x11, KIPC_MINT_BADGE);
	int b2 = kipc_ep_mint(&self->c, ep, KIPC_RIGHT_SEND, 0x22, KIPC_MINT_BADGE);
	struct srv s = { .ep = ep, .policy = SCHED_OTHER, .n = 100000,
			 .burn_ns = 2 * MS };
	struct srv plain = { .ep = self->ep, .policy = SCHED_OTHER, .n = 100000 };
	struct cli c1 = { .ep = b1, .policy = SCHED_OTHER, .want_policy = SCHED_OTHER,
			  .n = 7 };
	struct cli c2 = { .ep = b2, .policy = SCHED_OTHER, .want_policy = SCHED_OTHER,
			  .n = 5 };
	struct cli c0 = { .ep = self->ep, .policy = SCHED_OTHER,
			  .want_policy = SCHED_OTHER, .n = 3 };
	int args[3] = { b1, 65534, 4 };
	uint64_t calls, ns, ns2;
	char buf[4096];
	pthread_t t, pt;
	FILE *f;

	ASSERT_GE(ep, 0);
	ASSERT_GE(b1, 0);
	ASSERT_GE(b2, 0);
	ASSERT_EQ(0, srv_start(&s, &t));
	ASSERT_EQ(0, srv_start(&plain, &pt));
	ASSERT_EQ(0, run_cli(&c1));
	ASSERT_EQ(0, run_cli(&c2));
	EXPECT_GE(c1.served, 7 * 2 * MS);
	EXPECT_GE(c2.served, 5 * 2 * MS);
	/* Not far above it either: the server does little else. */
	EXPECT_LT(c1.served, 7 * 20 * MS);
	ASSERT_EQ(0, served_row(ep, "badge", "0x11", &calls, &ns));
	EXPECT_EQ(7, calls);
	EXPECT_EQ(c1.served, ns);
	ASSERT_EQ(0, served_row(ep, "badge", "0x22", &calls, &ns2));
	EXPECT_EQ(5, calls);
	EXPECT_EQ(c2.served, ns2);
	ASSERT_EQ(0, served_row(ep, "uid", "0", &calls, &ns));
	EXPECT_EQ(12, calls);
	EXPECT_EQ(c1.served + c2.served, ns);
	/* Another user through the same badge. */
	EXPECT_EQ(0, reap(spawn(call_as, args)));
	ASSERT_EQ(0, served_row(ep, "badge", "0x11", &calls, &ns));
	EXPECT_EQ(11, calls);
	ASSERT_EQ(0, served_row(ep, "uid", "65534", &calls, &ns2));
	EXPECT_EQ(4, calls);
	EXPECT_EQ(ns - c1.served, ns2);
	/* A send handle's fdinfo shows nobody's usage. */
	fdinfo_lines(b1, "served-", buf, sizeof(buf));
	EXPECT_STREQ("", buf);
	/* Root's view of every endpoint. */
	f = fopen("/proc/kipc/served", "r");
	ASSERT_NE(NULL, f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	EXPECT_NE(NULL, strstr(buf, "served-badge:\t0x22 5 "));
	/* An endpoint without accounting: 0. */
	ASSERT_EQ(0, run_cli(&c0));
	EXPECT_EQ(0, c0.served);
	close(b1);
	close(b2);
	close(ep);
	close(self->ep);
	self->ep = -1;
	pthread_join(t, NULL);
	pthread_join(pt, NULL);
	EXPECT_EQ(16, s.ret);
	EXPECT_EQ(0, s.bad);	/* the calls received said 0 */
	EXPECT_EQ(3, plain.ret);
	EXPECT_EQ(0, plain.bad);
}

TEST_HARNESS_MAIN
