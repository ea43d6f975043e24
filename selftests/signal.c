// SPDX-License-Identifier: GPL-2.0
/*
 * Signals during every blocking operation: restart where nothing was
 * delivered, EINTR where restarting would not be safe, and in every case
 * all or nothing.  A signal that runs no handler (stop and continue,
 * ptrace, an ignored or default-ignored signal) never changes an outcome:
 * a call waiting for its reply resumes without sending again, deadlines
 * stay absolute.
 */
#include <setjmp.h>
#include <sys/ptrace.h>

#include "kipc_test.h"

static volatile sig_atomic_t hits;

static void count_hit(int sig)
{
	hits++;
}

static void on_usr1(int restart)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_hit;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGUSR1, &sa, NULL);
	hits = 0;
}

enum what { DO_RECV, DO_SEND, DO_CALL, DO_SLOT_CALL };

struct blocked {
	int ep;
	enum what what;
	uint64_t timeout;
	pid_t tid;
	int ret;
	uint64_t got;
	volatile int ctx_fd;
};

static void *blocker(void *arg)
{
	struct blocked *b = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	b->ctx_fd = c.fd;
	b->tid = gettid_();
	kipc_mr(&c)[0] = 0x1111;
	switch (b->what) {
	case DO_RECV:
		b->ret = kipc_recv(&c, b->ep, b->timeout);
		break;
	case DO_SEND:
		b->ret = kipc_send(&c, b->ep, KIPC_TAG(1, 1), b->timeout);
		break;
	case DO_CALL:
		b->ret = kipc_call(&c, b->ep, KIPC_TAG(1, 1), b->timeout);
		break;
	case DO_SLOT_CALL:
		b->ret = kipc_register(&c, 0, b->ep) ?:
			 kipc_call(&c, KIPC_SLOT(0), KIPC_TAG(1, 1), b->timeout);
		break;
	}
	b->got = kipc_mr(&c)[0];
	kipc_ctx_close(&c);
	return NULL;
}

FIXTURE(sig) {
	struct kipc_ctx c;
	int ep;
	struct blocked b;
	pthread_t t;
};

FIXTURE_SETUP(sig)
{
	ctx_open(&self->c);
	self->ep = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->ep, 0);
	self->b = (struct blocked){ .ep = self->ep, .timeout = INF };
}

FIXTURE_TEARDOWN(sig)
{
	close(self->ep);
	kipc_ctx_close(&self->c);
}

static int start(struct __test_metadata *_metadata, FIXTURE_DATA(sig) *self,
		 enum what what, const char *queue)
{
	self->b.what = what;
	if (pthread_create(&self->t, NULL, blocker, &self->b))
		return -1;
	return wait_fdinfo(self->ep, queue, 1);
}

static void poke(FIXTURE_DATA(sig) *self)
{
	pthread_kill(self->t, SIGUSR1);
	for (int i = 0; i < 20000 && !hits; i++)
		sleep_ms(1);
}

/* recv, infinite, handler without SA_RESTART: EINTR, nothing received. */
TEST_F(sig, recv_eintr)
{
	on_usr1(0);
	ASSERT_EQ(0, start(_metadata, self, DO_RECV, "receivers-waiting"));
	poke(self);
	pthread_join(self->t, NULL);
	EXPECT_EQ(1, hits);
	EXPECT_EQ(-EINTR, self->b.ret);
	EXPECT_EQ(0x1111, self->b.got);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
	EXPECT_EQ(-EAGAIN, kipc_send(&self->c, self->ep, 0, KIPC_TIMEOUT_POLL));
}

/* recv, infinite, SA_RESTART: the wait resumes and then receives. */
TEST_F(sig, recv_restart)
{
	on_usr1(1);
	ASSERT_EQ(0, start(_metadata, self, DO_RECV, "receivers-waiting"));
	poke(self);
	ASSERT_EQ(1, hits);
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	kipc_mr(&self->c)[0] = 0x2222;
	ASSERT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(1, 1), INF));
	pthread_join(self->t, NULL);
	EXPECT_EQ(0, self->b.ret);
	EXPECT_EQ(0x2222, self->b.got);
}

/* send, infinite, no SA_RESTART: EINTR and the message was not queued. */
TEST_F(sig, send_eintr)
{
	on_usr1(0);
	ASSERT_EQ(0, start(_metadata, self, DO_SEND, "senders-waiting"));
	poke(self);
	pthread_join(self->t, NULL);
	EXPECT_EQ(-EINTR, self->b.ret);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
}

/* send, infinite, SA_RESTART: delivered exactly once after the restart. */
TEST_F(sig, send_restart)
{
	on_usr1(1);
	ASSERT_EQ(0, start(_metadata, self, DO_SEND, "senders-waiting"));
	poke(self);
	ASSERT_EQ(1, hits);
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	EXPECT_EQ(0x1111, kipc_mr(&self->c)[0]);
	pthread_join(self->t, NULL);
	EXPECT_EQ(0, self->b.ret);
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
}

/* call still in its send phase restarts; the server sees it once. */
TEST_F(sig, call_send_phase_restart)
{
	on_usr1(1);
	ASSERT_EQ(0, start(_metadata, self, DO_CALL, "senders-waiting"));
	poke(self);
	ASSERT_EQ(1, hits);
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_TRUE(kipc_tag(&self->c) & KIPC_TAG_F_CALL);
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
	/* That poll gave the reply right up: the caller learns it. */
	pthread_join(self->t, NULL);
	EXPECT_EQ(-ECONNRESET, self->b.ret);
}

/* call whose request was delivered: EINTR even with SA_RESTART. */
TEST_F(sig, call_reply_phase_eintr)
{
	on_usr1(1);
	ASSERT_EQ(0, start(_metadata, self, DO_CALL, "senders-waiting"));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0, wait_sleeping(self->b.tid));
	poke(self);
	pthread_join(self->t, NULL);
	EXPECT_EQ(1, hits);
	EXPECT_EQ(-EINTR, self->b.ret);
	/* Nothing of the reply reached the caller; the reply is refused. */
	EXPECT_EQ(0x1111, self->b.got);
	kipc_mr(&self->c)[0] = 0x3333;
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(1, 1)));
}

/* A finite timeout is not restarted (it would stretch): EINTR. */
TEST_F(sig, finite_timeout_eintr)
{
	on_usr1(1);
	self->b.timeout = 20000 * MS;
	ASSERT_EQ(0, start(_metadata, self, DO_RECV, "receivers-waiting"));
	poke(self);
	pthread_join(self->t, NULL);
	EXPECT_EQ(-EINTR, self->b.ret);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
}

/* A storm of signals never loses or duplicates a message. */
TEST_F(sig, storm)
{
	enum { N = 300 };
	int got = 0;

	on_usr1(1);
	self->b.what = DO_RECV;
	for (int i = 0; i < N; i++) {
		self->b.ret = 1;
		ASSERT_EQ(0, pthread_create(&self->t, NULL, blocker, &self->b));
		for (int k = 0; k < 3; k++)
			pthread_kill(self->t, SIGUSR1);
		kipc_mr(&self->c)[0] = i + 1;
		ASSERT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(1, 1), INF));
		pthread_join(self->t, NULL);
		ASSERT_EQ(0, self->b.ret);
		ASSERT_EQ(i + 1, self->b.got);
		got++;
	}
	EXPECT_EQ(N, got);
}

struct race {
	int ep;
	volatile int stop;
	volatile int client_done;
	volatile pid_t client_tid;
	unsigned char seen[1 << 16];
	long dups, msgs, calls, ok, bad;
};

/* Replies late, so that callers sit queued while signals rain on them. */
static void *race_server(void *arg)
{
	struct race *r = arg;
	uint64_t tag = 0;
	struct kipc_ctx c;

	ctx_open(&c);
	while (!r->client_done) {
		uint64_t l;

		if (tag)
			kipc_reply(&c, tag);
		tag = 0;
		for (volatile int i = 0; i < 2000 + (int)(now_ns() % 4000); i++)
			;
		if (kipc_recv(&c, r->ep, 20 * MS))
			continue;
		l = KIPC_TAG_LABEL(kipc_tag(&c));
		r->msgs++;
		if (r->seen[l % sizeof(r->seen)]++)
			r->dups++;
		tag = KIPC_TAG(l, 0);
	}
	kipc_ctx_close(&c);
	return NULL;
}

static void *race_client(void *arg)
{
	struct race *r = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	r->client_tid = gettid_();
	for (uint64_t l = 1; !r->stop && l < sizeof(r->seen); l++) {
		int ret = kipc_call(&c, r->ep, KIPC_TAG(l, 0), INF);

		r->calls++;
		if (!ret)
			r->ok++;
		else if (ret != -EINTR)
			r->bad++;
	}
	r->client_done = 1;
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * Regression: a signal that raced with the delivery of a queued call used
 * to restart the call after its request had been received, so the server
 * got it twice.  A delivered call must end in its reply or EINTR.
 */
TEST_F_TIMEOUT(sig, restarted_call_is_never_delivered_twice, 120)
{
	static struct race r;
	pthread_t s, c;
	uint64_t start;

	memset(&r, 0, sizeof(r));
	r.ep = self->ep;
	on_usr1(1);
	ASSERT_EQ(0, pthread_create(&s, NULL, race_server, &r));
	ASSERT_EQ(0, pthread_create(&c, NULL, race_client, &r));
	while (!r.client_tid)
		sleep_ms(1);
	/*
	 * 8 s of signals, longer (up to 90 s) until 100 calls went through:
	 * a debug kernel under emulation manages about 10 a second.
	 */
	start = now_ns();
	while (now_ns() < start + 8000 * MS ||
	       (r.ok <= 100 && now_ns() < start + 90000 * MS)) {
		syscall(SYS_tgkill, getpid(), r.client_tid, SIGUSR1);
		for (volatile int i = 0; i < 300; i++)
			;
	}
	r.stop = 1;
	syscall(SYS_tgkill, getpid(), r.client_tid, SIGUSR1);
	pthread_join(c, NULL);
	pthread_join(s, NULL);
	TH_LOG("%ld calls, %ld ok, %ld messages served", r.calls, r.ok, r.msgs);
	EXPECT_GT(r.ok, 100);
	EXPECT_EQ(0, r.bad);
	EXPECT_EQ(0, r.dups);
}

/*
 * Signals that run no handler.  The caller is another process, so that
 * the whole of it can be stopped, continued and traced.
 */
struct outcome {
	int ret;
	uint64_t mr0;
	uint64_t elapsed_ns;
};

struct lone {
	int ep;
	enum what what;
	uint64_t timeout;
	int pipe[2];
	pid_t pid;
	int handler;		/* the child catches SIGUSR1 (no SA_RESTART) */
};

static int lone_child(void *arg)
{
	struct lone *l = arg;
	struct outcome o = { 0 };
	struct kipc_ctx c;
	uint64_t t0;

	close(l->pipe[0]);
	if (l->handler)
		on_usr1(0);
	ctx_open(&c);
	kipc_mr(&c)[0] = 0x1111;
	t0 = now_ns();
	if (l->what == DO_CALL)
		o.ret = kipc_call(&c, l->ep, KIPC_TAG(1, 1), l->timeout);
	else if (l->what == DO_SLOT_CALL)	/* ABI 1.2's fast path */
		o.ret = kipc_register(&c, 0, l->ep) ?:
			kipc_call(&c, KIPC_SLOT(0), KIPC_TAG(1, 1), l->timeout);
	else
		o.ret = kipc_recv(&c, l->ep, l->timeout);
	o.elapsed_ns = now_ns() - t0;
	o.mr0 = kipc_mr(&c)[0];
	return write(l->pipe[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1;
}

static int lone_start(struct lone *l, int ep, enum what what, uint64_t timeout)
{
	int handler = l->handler;

	*l = (struct lone){ .ep = ep, .what = what, .timeout = timeout,
			    .handler = handler };
	if (pipe(l->pipe))
		return -1;
	l->pid = spawn(lone_child, l);
	close(l->pipe[1]);
	return l->pid > 0 ? 0 : -1;
}

/* The child's outcome; its exit code must be 0. */
static int lone_end(struct lone *l, struct outcome *o)
{
	ssize_t n = read(l->pipe[0], o, sizeof(*o));

	close(l->pipe[0]);
	return reap(l->pid) == 0 && n == sizeof(*o) ? 0 : -1;
}

/* A caller process whose call (infinite timeouts) we received: its reply phase. */
static int lone_called(FIXTURE_DATA(sig) *self, struct lone *l)
{
	if (lone_start(l, self->ep, DO_CALL, INF))
		return -1;
	return kipc_recv(&self->c, self->ep, INF);
}

/* SIGSTOP, and wait until the child is stopped (it sits in a kipc wait). */
static int stop(pid_t pid)
{
	int st;

	if (wait_sleeping(pid) || kill(pid, SIGSTOP))
		return -1;
	return waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st) ? 0 : -1;
}

/*
 * SIGCONT, and wait until the child runs again: continued, or (a handler
 * ending its operation) already exited, which is left for lone_end() to
 * reap (WNOWAIT; waitpid() would report and reap the exit instead).
 */
static int cont(pid_t pid)
{
	siginfo_t si = { 0 };

	if (kill(pid, SIGCONT) ||
	    waitid(P_PID, pid, &si, WCONTINUED | WEXITED | WNOWAIT))
		return -1;
	return si.si_code == CLD_CONTINUED || si.si_code == CLD_EXITED ? 0 : -1;
}

/* Ctrl-Z and fg during a call's reply phase; the reply comes while stopped. */
TEST_F(sig, stop_continue_call_reply_phase)
{
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_called(self, &l));
	ASSERT_EQ(0x1111, kipc_mr(&self->c)[0]);
	ASSERT_EQ(0, stop(l.pid));
	kipc_mr(&self->c)[0] = 0x2222;
	/* The caller still waits for this reply: it is not lost. */
	EXPECT_EQ(0, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	ASSERT_EQ(0, cont(l.pid));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0x2222, o.mr0);
}

/* The same through a registered slot (KIPC_IOC_MCALL's fast path). */
TEST_F(sig, stop_continue_slot_call_reply_phase)
{
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_start(&l, self->ep, DO_SLOT_CALL, INF));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0x1111, kipc_mr(&self->c)[0]);
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, stop(l.pid));
		ASSERT_EQ(0, cont(l.pid));
	}
	ASSERT_EQ(0, wait_sleeping(l.pid));
	/* Not sent again: nothing new is queued. */
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
	kipc_mr(&self->c)[0] = 0x5555;
	EXPECT_EQ(0, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0x5555, o.mr0);
}

/* The same, the reply after fg: the call waits on and is not sent again. */
TEST_F(sig, stop_continue_then_reply)
{
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_called(self, &l));
	for (int i = 0; i < 3; i++) {
		ASSERT_EQ(0, stop(l.pid));
		ASSERT_EQ(0, cont(l.pid));
	}
	ASSERT_EQ(0, wait_sleeping(l.pid));
	/* Not sent again: nothing new is queued. */
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, 0));
	kipc_mr(&self->c)[0] = 0x3333;
	/* The poll above dropped the reply right (it was a recv)... */
	EXPECT_EQ(-ENOENT, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	/* ...and the caller learnt it: ECONNRESET, not EINTR. */
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(-ECONNRESET, o.ret);
}

/* The same with the reply right kept: the reply after fg arrives. */
TEST_F(sig, stop_continue_then_reply_arrives)
{
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_called(self, &l));
	ASSERT_EQ(0, stop(l.pid));
	ASSERT_EQ(0, cont(l.pid));
	ASSERT_EQ(0, wait_sleeping(l.pid));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "send-handles") > 0);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
	kipc_mr(&self->c)[0] = 0x4444;
	EXPECT_EQ(0, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0x4444, o.mr0);
}

/*
 * Stopped in the reply phase, a signal with a handler arrives while it is
 * stopped, then fg.  The handler runs; the call may then end (EINTR), but
 * never losing a reply: one that came during the stop is the call's
 * result, and one that comes after the call ended fails (ECONNRESET).
 */
static void handler_during_stop(struct __test_metadata *_metadata,
				FIXTURE_DATA(sig) *self, bool reply_first)
{
	struct outcome o;
	struct lone l = { .handler = 1 };

	ASSERT_EQ(0, lone_called(self, &l));
	ASSERT_EQ(0, stop(l.pid));
	kipc_mr(&self->c)[0] = 0x2222;
	if (reply_first)
		EXPECT_EQ(0, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	ASSERT_EQ(0, kill(l.pid, SIGUSR1));
	ASSERT_EQ(0, cont(l.pid));
	ASSERT_EQ(0, lone_end(&l, &o));
	if (reply_first) {
		EXPECT_EQ(0, o.ret);
		EXPECT_EQ(0x2222, o.mr0);
	} else {
		EXPECT_EQ(-EINTR, o.ret);
		EXPECT_EQ(0x1111, o.mr0);
		EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	}
}

TEST_F(sig, handler_during_stop_reply_while_stopped)
{
	handler_during_stop(_metadata, self, true);
}

TEST_F(sig, handler_during_stop_reply_after)
{
	handler_during_stop(_metadata, self, false);
}

/* A debugger attaches and detaches during the reply phase (gdb, strace). */
TEST_F(sig, ptrace_attach_call_reply_phase)
{
	struct outcome o;
	struct lone l;
	int st;

	ASSERT_EQ(0, lone_called(self, &l));
	ASSERT_EQ(0, wait_sleeping(l.pid));
	ASSERT_EQ(0, ptrace(PTRACE_ATTACH, l.pid, 0, 0));
	ASSERT_EQ(l.pid, waitpid(l.pid, &st, 0));
	ASSERT_TRUE(WIFSTOPPED(st));
	/* The attach's SIGSTOP, suppressed as gdb and strace do. */
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, l.pid, 0, 0));
	ASSERT_EQ(0, wait_sleeping(l.pid));
	/* strace's way: seize, interrupt, detach. */
	ASSERT_EQ(0, ptrace(PTRACE_SEIZE, l.pid, 0, 0));
	ASSERT_EQ(0, ptrace(PTRACE_INTERRUPT, l.pid, 0, 0));
	ASSERT_EQ(l.pid, waitpid(l.pid, &st, 0));
	ASSERT_EQ(0, ptrace(PTRACE_DETACH, l.pid, 0, 0));
	kipc_mr(&self->c)[0] = 0x5555;
	EXPECT_EQ(0, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0x5555, o.mr0);
}

/* recv with a finite timeout across Ctrl-Z and fg: no EINTR. */
TEST_F(sig, stop_continue_finite_recv)
{
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_start(&l, self->ep, DO_RECV, 60000 * MS));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	ASSERT_EQ(0, stop(l.pid));
	ASSERT_EQ(0, cont(l.pid));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	kipc_mr(&self->c)[0] = 0x6666;
	EXPECT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(1, 1), INF));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0x6666, o.mr0);
}

/* A call with a finite timeout stopped while queued: it is served after fg. */
TEST_F(sig, stop_continue_finite_call_queued)
{
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_start(&l, self->ep, DO_CALL, 60000 * MS));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, stop(l.pid));
	ASSERT_EQ(0, cont(l.pid));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	kipc_mr(&self->c)[0] = 0x7777;
	EXPECT_EQ(0, kipc_reply(&self->c, KIPC_TAG(2, 1)));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(0, o.ret);
	EXPECT_EQ(0x7777, o.mr0);
}

/*
 * Deadlines stay absolute: a 3 s recv stopped for 2 s after 0.3 s times
 * out 3 s after it started, not 3 s after it was continued (5.3 s).
 */
TEST_F(sig, stopped_deadline_stays_absolute)
{
	struct outcome o;
	struct lone l;

	ASSERT_EQ(0, lone_start(&l, self->ep, DO_RECV, 3000 * MS));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	sleep_ms(300);
	ASSERT_EQ(0, stop(l.pid));
	sleep_ms(2000);
	ASSERT_EQ(0, cont(l.pid));
	ASSERT_EQ(0, lone_end(&l, &o));
	EXPECT_EQ(-ETIMEDOUT, o.ret);
	TH_LOG("timed out after %llu ms", (unsigned long long)(o.elapsed_ns / MS));
	EXPECT_GE(o.elapsed_ns, 3000 * MS);
	EXPECT_LT(o.elapsed_ns, 4500 * MS);
}

/*
 * The pattern of system() in a threaded daemon: one thread blocks SIGCHLD,
 * so a SIGCHLD nobody handles is queued and wakes another thread that
 * waits with a finite timeout.  It must wait on.
 */
TEST_F(sig, unhandled_sigchld_finite_recv)
{
	sigset_t set;

	signal(SIGCHLD, SIG_DFL);
	self->b.timeout = 60000 * MS;
	ASSERT_EQ(0, start(_metadata, self, DO_RECV, "receivers-waiting"));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, NULL));
	for (int i = 0; i < 20; i++) {
		kill(getpid(), SIGCHLD);
		sleep_ms(5);
	}
	/* An ignored signal the same way. */
	signal(SIGUSR2, SIG_IGN);
	sigaddset(&set, SIGUSR2);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &set, NULL));
	for (int i = 0; i < 20; i++) {
		kill(getpid(), SIGUSR2);
		sleep_ms(5);
	}
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	kipc_mr(&self->c)[0] = 0x8888;
	EXPECT_EQ(0, kipc_send(&self->c, self->ep, KIPC_TAG(1, 1), INF));
	pthread_join(self->t, NULL);
	ASSERT_EQ(0, pthread_sigmask(SIG_UNBLOCK, &set, NULL));
	signal(SIGUSR2, SIG_DFL);
	EXPECT_EQ(0, self->b.ret);
	EXPECT_EQ(0x8888, self->b.got);
}

/*
 * Another thread replaces the descriptor of a context that waits (dup2 of
 * /dev/null over it), then a signal that runs no handler arrives: the
 * ioctl issued again reaches /dev/null (ENOTTY); the withdrawn recv or the
 * parked call ends cleanly when the context goes, and nothing warns.
 */
static void sigchld_to_waiter(FIXTURE_DATA(sig) *self)
{
	int null = open("/dev/null", O_RDONLY);
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	signal(SIGCHLD, SIG_DFL);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	dup2(null, self->b.ctx_fd);
	close(null);
	kill(getpid(), SIGCHLD);
	pthread_join(self->t, NULL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

TEST_F(sig, context_fd_replaced_under_waiter)
{
	self->b.timeout = 60000 * MS;
	ASSERT_EQ(0, start(_metadata, self, DO_RECV, "receivers-waiting"));
	sigchld_to_waiter(self);
	EXPECT_EQ(-ENOTTY, self->b.ret);
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));

	self->b.timeout = INF;
	ASSERT_EQ(0, start(_metadata, self, DO_CALL, "senders-waiting"));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0, wait_sleeping(self->b.tid));
	sigchld_to_waiter(self);
	/* Issued again, the ioctl reached /dev/null. */
	EXPECT_EQ(-ENOTTY, self->b.ret);
	/* The context went with the thread: the call with it. */
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(1, 1)));
}

/*
 * A handler that interrupts a call's reply phase and uses the same context
 * finds it busy: the call is still in progress.  It then ends with EINTR
 * (the handler ran), and the reply finds no caller.
 */
static struct kipc_ctx *handler_ctx;
static int handler_op;
static sigjmp_buf handler_jmp;

static void use_ctx_handler(int sig)
{
	handler_op = kipc_recv(handler_ctx, -1, 0);
	hits++;
}

struct jumper {
	int ep;
	int ret, after;
	pid_t tid;
};

static void jump_handler(int sig)
{
	hits++;
	siglongjmp(handler_jmp, 1);
}

static void *handler_caller(void *arg)
{
	struct jumper *j = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	handler_ctx = &c;
	j->tid = gettid_();
	j->ret = 1;
	if (sigsetjmp(handler_jmp, 1) == 0) {
		j->ret = kipc_call(&c, j->ep, KIPC_TAG(1, 1), INF);
	} else {
		/* The handler never returned: the call is given up here. */
		j->after = kipc_recv(&c, j->ep, 0);
	}
	kipc_ctx_close(&c);
	return NULL;
}

TEST_F(sig, op_from_handler_finds_context_busy)
{
	struct sigaction sa = { .sa_handler = use_ctx_handler };
	struct jumper j = { .ep = self->ep };
	pthread_t t;

	sigaction(SIGUSR1, &sa, NULL);
	hits = 0;
	handler_op = 1;
	ASSERT_EQ(0, pthread_create(&t, NULL, handler_caller, &j));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0, wait_sleeping(j.tid));
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(1, hits);
	EXPECT_EQ(-EBUSY, handler_op);
	EXPECT_EQ(-EINTR, j.ret);
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(1, 1)));
}

/* A handler that siglongjmp()s out: the next operation gives the call up. */
TEST_F(sig, siglongjmp_out_of_reply_phase)
{
	struct sigaction sa = { .sa_handler = jump_handler };
	struct jumper j = { .ep = self->ep };
	pthread_t t;

	sigaction(SIGUSR1, &sa, NULL);
	hits = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, handler_caller, &j));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0, wait_sleeping(j.tid));
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	EXPECT_EQ(1, hits);
	EXPECT_EQ(1, j.ret);		/* the call never returned */
	EXPECT_EQ(-EAGAIN, j.after);	/* the context served the next op */
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(1, 1)));
}

/* A handler that runs still ends a call's reply phase (EINTR). */
TEST_F(sig, handler_ends_finite_call_reply_phase)
{
	on_usr1(0);
	self->b.timeout = 60000 * MS;
	ASSERT_EQ(0, start(_metadata, self, DO_CALL, "senders-waiting"));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	ASSERT_EQ(0, wait_sleeping(self->b.tid));
	poke(self);
	pthread_join(self->t, NULL);
	EXPECT_EQ(-EINTR, self->b.ret);
	/* The call ended: its reply finds nobody. */
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(1, 1)));
}

/*
 * Parked by a stop, then killed: nothing stays pinned (the context, the
 * endpoint reference, the task), and the server learns it at once.
 */
TEST_F(sig, killed_while_stopped_in_reply_phase)
{
	struct lone l;
	long ctxs = kipc_stat("contexts");

	ASSERT_EQ(0, lone_called(self, &l));
	ASSERT_EQ(0, stop(l.pid));
	kill(l.pid, SIGKILL);
	close(l.pipe[0]);
	EXPECT_EQ(128 + SIGKILL, reap(l.pid));
	/* The parked call was ended, not left waiting for this reply. */
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(1, 1)));
	/* The reply right was the last reference to the child's context. */
	for (int i = 0; i < 2000 && kipc_stat("contexts") != ctxs; i++)
		sleep_ms(1);
	EXPECT_EQ(ctxs, kipc_stat("contexts"));
}

TEST_HARNESS_MAIN
