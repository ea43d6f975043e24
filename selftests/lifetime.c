// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime: partners that die or close in the middle of an operation wake
 * everybody blocked on them with a distinct error, and leave nothing
 * behind.
 */
#include "kipc_test.h"

KIPC_FIXTURE(life)

static int child_call(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;
	int r;

	ctx_open(&c);
	r = kipc_call(&c, ep, KIPC_TAG(1, 0), INF);
	return r == -ECONNRESET ? 10 : r == -EPIPE ? 11 : r == 0 ? 0 : 12;
}

/* SIGKILL of a client while the server holds its request. */
TEST_F(life, kill_client_mid_call)
{
	pid_t pid = spawn(child_call, &self->ep);

	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(pid, self->c.utcb->pid);
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, 0));
	/* The endpoint serves the next client normally. */
	pid = spawn(child_call, &self->ep);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0, kipc_reply(&self->c, 0));
	EXPECT_EQ(0, reap(pid));
}

/*
 * A server's reply right borrows its caller's context while the caller
 * waits; a caller that stops waiting (killed, or timed out and closed)
 * leaves the server a reference instead: the context outlives its file
 * until the reply finds it gone (ECONNRESET), then goes.
 */
TEST_F(life, reply_right_outlives_dead_caller)
{
	long base = kipc_stat("contexts");
	pid_t pid = spawn(child_call, &self->ep);

	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	/* The child's context is closed, but the reply right keeps it. */
	EXPECT_EQ(base + 1, kipc_stat("contexts"));
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, 0));
	EXPECT_EQ(base, kipc_stat("contexts"));
}

static int child_call_timeout(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;
	int r;

	ctx_open(&c);
	r = kipc_call_timeouts(&c, ep, KIPC_TAG(1, 0), INF, 20 * MS);
	kipc_ctx_close(&c);
	return r == -ETIMEDOUT ? 0 : 12;
}

TEST_F(life, reply_right_outlives_timed_out_caller)
{
	long base = kipc_stat("contexts");
	pid_t pid = spawn(child_call_timeout, &self->ep);

	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	/* Its call times out (T10), it closes its context and exits. */
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(base + 1, kipc_stat("contexts"));
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, 0));
	EXPECT_EQ(base, kipc_stat("contexts"));
}

/* SIGKILL of a client queued on the endpoint removes it from the queue. */
TEST_F(life, kill_client_queued)
{
	pid_t pid = spawn(child_call, &self->ep);

	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
}

static int child_serve_one_then_hang(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;

	ctx_open(&c);
	if (kipc_recv(&c, ep, INF))
		return 1;
	pause();
	return 0;
}

/* SIGKILL of a server that holds a request: the caller gets ECONNRESET. */
TEST_F(life, kill_server_mid_request)
{
	pid_t pid = spawn(child_serve_one_then_hang, &self->ep);
	uint64_t t0;

	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	t0 = now_ns();
	pid_t killer = fork();

	if (killer == 0) {
		sleep_ms(200);
		kill(pid, SIGKILL);
		_exit(0);
	}
	EXPECT_EQ(-ECONNRESET, kipc_call(&self->c, self->ep, KIPC_TAG(1, 0), INF));
	EXPECT_GE(now_ns() - t0, 150 * MS);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	EXPECT_EQ(0, reap(killer));
}

/* SIGKILL of a server blocked in recv: it leaves the queue. */
TEST_F(life, kill_server_in_recv)
{
	pid_t pid = spawn(child_serve_one_then_hang, &self->ep);

	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
	EXPECT_EQ(-EAGAIN, kipc_send(&self->c, self->ep, 0, KIPC_TIMEOUT_POLL));
}

static int child_hold_and_wait(void *arg)
{
	pause();
	return 0;
}

/*
 * The server process, holder of the only receive handle, dies while
 * callers are queued: they all fail with EPIPE at once.
 */
TEST_F(life, server_death_fails_queued_callers)
{
	int recv_only = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0);
	int send_only = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	pid_t srv, c1, c2;

	ASSERT_GE(recv_only, 0);
	ASSERT_GE(send_only, 0);
	close(self->ep);
	self->ep = -1;
	srv = spawn(child_hold_and_wait, NULL);
	close(recv_only);	/* now only the server process can receive */
	ASSERT_EQ(1, fdinfo_value(0, send_only, "recv-handles"));
	c1 = spawn(child_call, &send_only);
	c2 = spawn(child_call, &send_only);
	ASSERT_EQ(0, wait_fdinfo(send_only, "senders-waiting", 2));
	kill(srv, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(srv));
	EXPECT_EQ(11, reap(c1));
	EXPECT_EQ(11, reap(c2));
	EXPECT_EQ(0, fdinfo_value(0, send_only, "senders-waiting"));
	EXPECT_EQ(0, fdinfo_value(0, send_only, "recv-handles"));
	close(send_only);
}

static void *call_thread(void *arg)
{
	int *p = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	*p = kipc_call(&c, *p, KIPC_TAG(1, 0), INF);
	kipc_ctx_close(&c);
	return NULL;
}

/* Closing the last receive handle wakes every blocked sender with EPIPE. */
TEST_F(life, close_with_blocked_senders)
{
	int send_only = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	int r[3];
	pthread_t t[3];

	ASSERT_GE(send_only, 0);
	for (int i = 0; i < 3; i++) {
		r[i] = send_only;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, call_thread, &r[i]));
	}
	ASSERT_EQ(0, wait_fdinfo(send_only, "senders-waiting", 3));
	close(self->ep);
	self->ep = -1;
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(-EPIPE, r[i]);
	}
	EXPECT_EQ(0, fdinfo_value(0, send_only, "senders-waiting"));
	EXPECT_EQ(-EPIPE, kipc_send(&self->c, send_only, 0, INF));
	close(send_only);
}

static void *recv_thread(void *arg)
{
	int *p = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	*p = kipc_recv(&c, *p, INF);
	kipc_ctx_close(&c);
	return NULL;
}

/* Closing the last send handle wakes every blocked receiver with EPIPE. */
TEST_F(life, close_with_blocked_receivers)
{
	int recv_only = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0);
	int r[3];
	pthread_t t[3];

	ASSERT_GE(recv_only, 0);
	for (int i = 0; i < 3; i++) {
		r[i] = recv_only;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, recv_thread, &r[i]));
	}
	ASSERT_EQ(0, wait_fdinfo(recv_only, "receivers-waiting", 3));
	close(self->ep);
	self->ep = -1;
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(-EPIPE, r[i]);
	}
	EXPECT_EQ(-EPIPE, kipc_recv(&self->c, recv_only, INF));
	close(recv_only);
}

/*
 * A thread blocked on the only handle while another thread closes it: the
 * blocked operation does not pin the file, so the close wakes it.
 */
TEST_F(life, close_fd_under_blocked_thread)
{
	int r = self->ep;
	pthread_t t;

	ASSERT_EQ(0, pthread_create(&t, NULL, recv_thread, &r));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	close(self->ep);
	self->ep = -1;
	pthread_join(t, NULL);
	EXPECT_EQ(-EPIPE, r);
}

/*
 * A daemon shutting down closes its endpoint (its only RECV handle) from
 * one thread while workers block in recv on it; clients still hold SEND
 * handles.  The workers must wake with EPIPE, not wait for ever.
 */
TEST_F(life, close_last_recv_handle_wakes_receivers)
{
	int send_only = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	int r[3];
	pthread_t t[3];

	ASSERT_GE(send_only, 0);
	for (int i = 0; i < 3; i++) {
		r[i] = self->ep;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, recv_thread, &r[i]));
	}
	ASSERT_EQ(0, wait_fdinfo(send_only, "receivers-waiting", 3));
	close(self->ep);
	self->ep = -1;
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(-EPIPE, r[i]);
	}
	EXPECT_EQ(0, fdinfo_value(0, send_only, "receivers-waiting"));
	EXPECT_EQ(0, fdinfo_value(0, send_only, "recv-handles"));
	EXPECT_EQ(-EPIPE, kipc_send(&self->c, send_only, KIPC_TAG(1, 0), INF));
	close(send_only);
}

/* The same when the handle goes by dup2() over its descriptor. */
TEST_F(life, dup2_over_last_recv_handle_wakes_receivers)
{
	int send_only = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	int r = self->ep;
	pthread_t t;

	ASSERT_GE(send_only, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, recv_thread, &r));
	ASSERT_EQ(0, wait_fdinfo(send_only, "receivers-waiting", 1));
	ASSERT_EQ(self->ep, dup2(send_only, self->ep));
	pthread_join(t, NULL);
	EXPECT_EQ(-EPIPE, r);
	EXPECT_EQ(0, fdinfo_value(0, send_only, "receivers-waiting"));
	close(send_only);
}

/* Many processes killed at random points leave the endpoint clean. */
TEST_F(life, kill_storm)
{
	enum { N = 40 };
	pid_t srv;

	srv = fork();
	if (srv == 0) {
		struct kipc_ctx c;
		int ret;

		ctx_open(&c);
		ret = kipc_recv(&c, self->ep, INF);
		for (;;) {
			if (ret && ret != -ECONNRESET)
				_exit(1);
			ret = kipc_reply_recv(&c, self->ep, KIPC_TAG(1, 0), INF);
		}
	}
	for (int i = 0; i < N; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			struct kipc_ctx c;

			ctx_open(&c);
			for (;;)
				if (kipc_call(&c, self->ep, KIPC_TAG(1, 64), INF))
					_exit(1);
		}
		sleep_ms(i % 7);
		kill(pid, SIGKILL);
		EXPECT_EQ(128 + SIGKILL, reap(pid));
	}
	kill(srv, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(srv));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "recv-handles"));
}

/*
 * The exec'd side of exec_keeps_inherited_handle: runs before the harness
 * when the environment says so, calls through the inherited handle and
 * checks that the O_CLOEXEC one is gone.
 */
static void __attribute__((constructor)) exec_child(void)
{
	const char *fd = getenv("KIPC_EXEC_CHILD"), *gone = getenv("KIPC_EXEC_GONE");
	struct kipc_ctx c;

	if (!fd || !gone)
		return;
	if (fcntl(atoi(gone), F_GETFD) != -1 || errno != EBADF)
		_exit(2);
	if (kipc_ctx_open(&c))
		_exit(3);
	kipc_mr(&c)[0] = 0x5eed;
	if (kipc_call(&c, atoi(fd), KIPC_TAG(0x5e, 1), 20000 * MS))
		_exit(4);
	_exit(kipc_mr(&c)[0] == 0x5eed + 1 ? 0 : 5);
}

/*
 * fork + exec with handles open: a KIPC_FD_INHERIT handle survives exec and
 * works in the new program (with a context of its own); an O_CLOEXEC one
 * does not survive.
 */
TEST_F(life, exec_keeps_inherited_handle)
{
	int inh = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0xe7ec,
			       KIPC_MINT_BADGE | KIPC_FD_INHERIT);
	int cloexec = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	char a[16], b[16];
	pid_t pid;

	ASSERT_GE(inh, 0);
	ASSERT_GE(cloexec, 0);
	snprintf(a, sizeof(a), "%d", inh);
	snprintf(b, sizeof(b), "%d", cloexec);
	pid = fork();
	if (pid == 0) {
		char *argv[] = { "lifetime", NULL };

		setenv("KIPC_EXEC_CHILD", a, 1);
		setenv("KIPC_EXEC_GONE", b, 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(0xe7ec, self->c.utcb->badge);
	EXPECT_EQ(pid, self->c.utcb->pid);
	EXPECT_EQ(0x5e, KIPC_TAG_LABEL(kipc_tag(&self->c)));
	kipc_mr(&self->c)[0] += 1;
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(0x5e, 1)));
	EXPECT_EQ(0, reap(pid));
	close(inh);
	close(cloexec);
}

struct closer {
	int ep;
	int recv;	/* 1: the thread receives, 0: it sends */
	int n;
	int bad;
};

/* Each round on a fresh context, closed as soon as the operation returns. */
static void *close_after_op(void *arg)
{
	struct closer *cl = arg;
	struct kipc_ctx c;

	for (int i = 0; i < cl->n; i++) {
		ctx_open(&c);
		if (cl->recv) {
			if (kipc_recv(&c, cl->ep, INF) ||
			    KIPC_TAG_LABEL(kipc_tag(&c)) != (uint64_t)i + 1)
				cl->bad++;
		} else if (kipc_send(&c, cl->ep, KIPC_TAG(i + 1, 0), INF)) {
			cl->bad++;
		}
		kipc_ctx_close(&c);
	}
	return NULL;
}

/*
 * Regression (found by the debug lane's KASAN): the partner that arrives
 * second completed the waiting context and then still unlocked it, while
 * the waiter, already past KIPC_W_DONE, could return, close and free it.
 * Here every waiter closes its context right after its operation, in both
 * directions; on the debug kernel a use after free is a KASAN report (and
 * SLUB poisoning breaks the spinlock's magic).
 */
TEST_F_TIMEOUT(life, close_right_after_completion, 300)
{
	struct closer cl = { .ep = self->ep, .n = 3000 };
	pthread_t t;

	for (cl.recv = 1; cl.recv >= 0; cl.recv--) {
		ASSERT_EQ(0, pthread_create(&t, NULL, close_after_op, &cl));
		for (int i = 0; i < cl.n; i++) {
			if (cl.recv) {
				ASSERT_EQ(0, kipc_send(&self->c, self->ep,
						       KIPC_TAG(i + 1, 0), INF));
			} else {
				ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
				ASSERT_EQ((uint64_t)i + 1, KIPC_TAG_LABEL(kipc_tag(&self->c)));
			}
		}
		pthread_join(t, NULL);
		EXPECT_EQ(0, cl.bad);
	}
}

TEST_HARNESS_MAIN
