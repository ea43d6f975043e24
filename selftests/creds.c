// SPDX-License-Identifier: GPL-2.0
/*
 * Badges and credentials: every message carries the badge of the handle it
 * was sent through and the sender's tgid, effective uid and effective gid,
 * as the receiver's pid and user namespaces see them.  A reply carries the
 * server's credentials and badge 0.
 */
#include <sched.h>

#include "kipc_test.h"

/* How long a test waits for a partner in another process. */
#define T_CHILD	(10000 * MS)

/* In a child process: report the failed condition and fail. */
#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "# %s:%d: in pid %d: %s\n", __FILE__,	\
			__LINE__, getpid(), #cond);			\
		return 1;						\
	}								\
} while (0)

static unsigned int read_uint(const char *path, unsigned int dflt)
{
	unsigned int v = dflt;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/* Drop to the given real/effective/saved ids; 0 on success. */
static int drop_ids(uid_t ru, uid_t eu, gid_t rg, gid_t eg)
{
	uid_t a, b, c;
	gid_t x, y, z;

	if (setresgid(rg, eg, rg) || setresuid(ru, eu, ru))
		return -1;
	if (getresuid(&a, &b, &c) || getresgid(&x, &y, &z))
		return -1;
	return a == ru && b == eu && c == ru && x == rg && y == eg && z == rg ?
	       0 : -1;
}

/* Send a two-register message: its label, then @mr0 and @mr1. */
static int send2(struct kipc_ctx *c, int ep, uint64_t label, uint64_t mr0,
		 uint64_t mr1)
{
	kipc_mr(c)[0] = mr0;
	kipc_mr(c)[1] = mr1;
	return kipc_send(c, ep, KIPC_TAG(label, 2), T_CHILD);
}

/* Scribble over the fields the kernel must write on delivery. */
static void scribble(struct kipc_ctx *c)
{
	c->utcb->badge = 0x5555555555555555ULL;
	c->utcb->pid = -77;
	c->utcb->uid = 12345;
	c->utcb->gid = 54321;
}

struct snd {
	int ep;
	uint64_t label;
	int ret;
};

static void *thread_send(void *arg)
{
	struct snd *s = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	s->ret = send2(&c, s->ep, s->label, s->label, 0);
	kipc_ctx_close(&c);
	return NULL;
}

KIPC_FIXTURE(cr)

/* Each message carries the badge of the handle it went through. */
TEST_F(cr, badge_per_handle)
{
	int b1, bmax, brv, bkeep, rb;

	b1 = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 1, KIPC_MINT_BADGE);
	bmax = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, ~0ULL,
			    KIPC_MINT_BADGE);
	brv = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND | KIPC_RIGHT_RECV,
			   0x8000000000000000ULL, KIPC_MINT_BADGE);
	ASSERT_LE(0, b1);
	ASSERT_LE(0, bmax);
	ASSERT_LE(0, brv);
	bkeep = kipc_ep_mint(&self->c, bmax, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_LE(0, bkeep);
	/* A badged receive handle: the badge that arrives is the sender's. */
	rb = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0x77,
			  KIPC_MINT_BADGE);
	ASSERT_LE(0, rb);

	const struct {
		int h;
		uint64_t badge;
	} cases[] = {
		{ b1, 1 }, { self->ep, 0 }, { bmax, ~0ULL },
		{ brv, 0x8000000000000000ULL }, { bkeep, ~0ULL }, { b1, 1 },
		{ self->ep, 0 },
	};
	enum { N = ARRAY_SIZE(cases) };
	struct snd s[N];
	pthread_t t[N];

	/* One at a time. */
	for (int i = 0; i < N; i++) {
		s[i] = (struct snd){ .ep = cases[i].h, .label = 100 + i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, thread_send, &s[i]));
		scribble(&self->c);
		ASSERT_EQ(0, kipc_recv(&self->c, i & 1 ? rb : self->ep, T_CHILD));
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, s[i].ret);
		EXPECT_EQ(100 + i, KIPC_TAG_LABEL(kipc_tag(&self->c)));
		EXPECT_EQ(cases[i].badge, self->c.utcb->badge)
			TH_LOG("case %d", i);
		EXPECT_EQ(getpid(), self->c.utcb->pid);
		EXPECT_EQ(geteuid(), self->c.utcb->uid);
		EXPECT_EQ(getegid(), self->c.utcb->gid);
	}
	/* All queued at once: each message keeps its own badge. */
	for (int i = 0; i < N; i++) {
		s[i] = (struct snd){ .ep = cases[i].h, .label = 200 + i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, thread_send, &s[i]));
		ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", i + 1));
	}
	for (int i = 0; i < N; i++) {
		scribble(&self->c);
		ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
		EXPECT_EQ(200 + i, KIPC_TAG_LABEL(kipc_tag(&self->c)));
		EXPECT_EQ(cases[i].badge, self->c.utcb->badge)
			TH_LOG("queued case %d", i);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, s[i].ret);
	}
	close(rb);
	close(bkeep);
	close(brv);
	close(bmax);
	close(b1);
}

static void *child_thread_send(void *arg)
{
	struct snd *s = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	s->ret = send2(&c, s->ep, 2, getpid(), gettid_());
	kipc_ctx_close(&c);
	return NULL;
}

/* Sends from its main thread, then from a second thread. */
static int sender_process(void *arg)
{
	struct snd s = { .ep = *(int *)arg };
	struct kipc_ctx c;
	pthread_t t;

	CHECK(kipc_ctx_open(&c) == 0);
	CHECK(send2(&c, s.ep, 1, getpid(), gettid_()) == 0);
	CHECK(pthread_create(&t, NULL, child_thread_send, &s) == 0);
	pthread_join(t, NULL);
	CHECK(s.ret == 0);
	return 0;
}

/* The pid is the sender's tgid, from any of its threads. */
TEST_F(cr, pid_is_tgid)
{
	pid_t pid = spawn(sender_process, &self->ep);

	ASSERT_GT(pid, 0);
	for (int i = 1; i <= 2; i++) {
		scribble(&self->c);
		ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
		ASSERT_EQ(i, KIPC_TAG_LABEL(kipc_tag(&self->c)));
		EXPECT_EQ(pid, kipc_mr(&self->c)[0]);
		EXPECT_EQ(pid, self->c.utcb->pid);
		EXPECT_EQ(0, self->c.utcb->uid);
		EXPECT_EQ(0, self->c.utcb->gid);
		EXPECT_EQ(0, self->c.utcb->badge);
		/* The second message came from a thread that is not main. */
		if (i == 1) {
			EXPECT_EQ(pid, kipc_mr(&self->c)[1]);
		} else {
			EXPECT_NE(pid, kipc_mr(&self->c)[1]);
		}
	}
	EXPECT_EQ(0, reap(pid));
}

struct ids {
	int ep;
	uid_t ru, eu;
	gid_t rg, eg;
	int only_second;
};

/*
 * Open a context as root, drop to the ids and send (label 1); then open
 * another context with the new ids and send again (label 2).
 */
static int sender_with_ids(void *arg)
{
	struct ids *a = arg;
	struct kipc_ctx c, c2;

	CHECK(kipc_ctx_open(&c) == 0);
	CHECK(drop_ids(a->ru, a->eu, a->rg, a->eg) == 0);
	CHECK(geteuid() == a->eu);
	if (!a->only_second)
		CHECK(send2(&c, a->ep, 1, 0, 0) == 0);
	CHECK(kipc_ctx_open(&c2) == 0);
	CHECK(send2(&c2, a->ep, 2, 0, 0) == 0);
	return 0;
}

/* uid and gid are the sender's effective ids at the time of the send. */
TEST_F(cr, effective_ids)
{
	const struct ids cases[] = {
		{ self->ep, 1000, 1000, 2000, 2000, 0 },
		{ self->ep, 1001, 3001, 2001, 4001, 0 },
	};

	ASSERT_EQ(0, geteuid());
	for (int i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ids a = cases[i];
		pid_t pid = spawn(sender_with_ids, &a);

		ASSERT_GT(pid, 0);
		for (int m = 1; m <= 2; m++) {
			scribble(&self->c);
			ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
			ASSERT_EQ(m, KIPC_TAG_LABEL(kipc_tag(&self->c)));
			EXPECT_EQ(pid, self->c.utcb->pid);
			EXPECT_EQ(a.eu, self->c.utcb->uid);
			EXPECT_EQ(a.eg, self->c.utcb->gid);
		}
		EXPECT_EQ(0, reap(pid));
	}
}

struct ns_arg {
	int ep;
	int pipe_w;
};

static int pidns_inner_sender(int ep)
{
	struct kipc_ctx c;

	CHECK(getpid() == 1);
	CHECK(kipc_ctx_open(&c) == 0);
	CHECK(send2(&c, ep, 1, getpid(), 0) == 0);
	return 0;
}

/* Unshare the pid namespace; the child is its pid 1 and sends. */
static int pidns_sender(void *arg)
{
	struct ns_arg *a = arg;
	pid_t gc;

	CHECK(unshare(CLONE_NEWPID) == 0);
	gc = fork();
	CHECK(gc >= 0);
	if (gc == 0)
		_exit(pidns_inner_sender(a->ep));
	CHECK(write(a->pipe_w, &gc, sizeof(gc)) == sizeof(gc));
	CHECK(reap(gc) == 0);
	return 0;
}

/* A sender in a child pid namespace shows with its pid in ours. */
TEST_F(cr, pidns_sender_seen_from_parent_ns)
{
	struct ns_arg a = { .ep = self->ep };
	int p[2];
	pid_t pid, gc = 0;

	ASSERT_EQ(0, pipe(p));
	a.pipe_w = p[1];
	pid = spawn(pidns_sender, &a);
	ASSERT_GT(pid, 0);
	close(p[1]);
	ASSERT_EQ(sizeof(gc), read(p[0], &gc, sizeof(gc)));
	close(p[0]);
	ASSERT_GT(gc, 1);

	scribble(&self->c);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	EXPECT_EQ(1, kipc_mr(&self->c)[0]);	/* its own idea of its pid */
	EXPECT_EQ(gc, self->c.utcb->pid);
	EXPECT_EQ(0, self->c.utcb->uid);
	EXPECT_EQ(0, self->c.utcb->gid);
	EXPECT_EQ(0, reap(pid));
}

/*
 * pid 1 of a new namespace receives twice: from its own child (a pid in
 * its namespace) and from the test process outside (pid 0).
 */
static int pidns_inner_receiver(int ep)
{
	struct kipc_ctx c;
	pid_t kid;
	int seen = 0;

	CHECK(getpid() == 1);
	CHECK(kipc_ctx_open(&c) == 0);
	kid = fork();
	CHECK(kid >= 0);
	if (kid == 0) {
		struct kipc_ctx k;

		if (kipc_ctx_open(&k) || send2(&k, ep, 1, getpid(), 0))
			_exit(1);
		_exit(0);
	}
	CHECK(kid > 1);
	for (int i = 0; i < 2; i++) {
		scribble(&c);
		CHECK(kipc_recv(&c, ep, T_CHILD) == 0);
		if (KIPC_TAG_LABEL(kipc_tag(&c)) == 1) {
			CHECK(kipc_mr(&c)[0] == (uint64_t)kid);
			CHECK(c.utcb->pid == kid);
			seen |= 1;
		} else {
			CHECK(KIPC_TAG_LABEL(kipc_tag(&c)) == 2);
			CHECK(c.utcb->pid == 0);
			seen |= 2;
		}
		CHECK(c.utcb->uid == 0 && c.utcb->gid == 0);
	}
	CHECK(seen == 3);
	CHECK(reap(kid) == 0);
	return 0;
}

static int pidns_receiver(void *arg)
{
	struct ns_arg *a = arg;
	pid_t gc;

	CHECK(unshare(CLONE_NEWPID) == 0);
	gc = fork();
	CHECK(gc >= 0);
	if (gc == 0)
		_exit(pidns_inner_receiver(a->ep));
	CHECK(reap(gc) == 0);
	return 0;
}

/* A receiver in a child pid namespace sees pid 0 for senders outside it. */
TEST_F(cr, pidns_receiver_sees_zero_for_outsider)
{
	struct ns_arg a = { .ep = self->ep };
	pid_t pid = spawn(pidns_receiver, &a);

	ASSERT_GT(pid, 0);
	EXPECT_EQ(0, send2(&self->c, self->ep, 2, getpid(), 0));
	EXPECT_EQ(0, reap(pid));
}

struct userns_arg {
	int ep;
	int open_first;		/* open the context before unsharing */
	int ready_w;		/* tell the parent the namespace exists */
	int go_r;		/* wait for the parent's id maps */
	uid_t over_uid;
	gid_t over_gid;
	pid_t test_pid;
	int mapped;		/* expect the map 5 <- 1000, 7 <- 2000 */
};

/* Unshare the user namespace and receive from the test process. */
static int userns_receiver(void *arg)
{
	struct userns_arg *a = arg;
	struct kipc_ctx c;
	char b = 0;
	int n = a->mapped ? 2 : 1;

	if (a->open_first)
		CHECK(kipc_ctx_open(&c) == 0);
	CHECK(unshare(CLONE_NEWUSER) == 0);
	if (a->ready_w >= 0) {
		CHECK(write(a->ready_w, &b, 1) == 1);
		CHECK(read(a->go_r, &b, 1) == 1);
	}
	if (!a->open_first)
		CHECK(kipc_ctx_open(&c) == 0);
	for (int i = 0; i < n; i++) {
		scribble(&c);
		CHECK(kipc_recv(&c, a->ep, T_CHILD) == 0);
		if (KIPC_TAG_LABEL(kipc_tag(&c)) == 1) {
			/* From root, which has no id in this namespace. */
			CHECK(c.utcb->pid == a->test_pid);
			CHECK(c.utcb->uid == a->over_uid);
			CHECK(c.utcb->gid == a->over_gid);
		} else {
			CHECK(KIPC_TAG_LABEL(kipc_tag(&c)) == 2);
			CHECK(c.utcb->uid == 5);
			CHECK(c.utcb->gid == 7);
		}
	}
	return 0;
}

static void userns_unmapped(struct __test_metadata *_metadata,
			    FIXTURE_DATA(cr) *self, int open_first)
{
	struct userns_arg a = {
		.ep = self->ep,
		.open_first = open_first,
		.ready_w = -1,
		.go_r = -1,
		.over_uid = read_uint("/proc/sys/kernel/overflowuid", 65534),
		.over_gid = read_uint("/proc/sys/kernel/overflowgid", 65534),
		.test_pid = getpid(),
	};
	pid_t pid;

	ASSERT_EQ(65534, a.over_uid);
	ASSERT_EQ(65534, a.over_gid);
	pid = spawn(userns_receiver, &a);
	ASSERT_GT(pid, 0);
	EXPECT_EQ(0, send2(&self->c, self->ep, 1, 0, 0));
	EXPECT_EQ(0, reap(pid));
}

/*
 * A receiver in a user namespace without id maps sees root as the
 * overflow ids, whether it opened its context before unsharing ...
 */
TEST_F(cr, userns_unmapped_open_before)
{
	userns_unmapped(_metadata, self, 1);
}

/* ... or after. */
TEST_F(cr, userns_unmapped_open_after)
{
	userns_unmapped(_metadata, self, 0);
}

static int write_file(pid_t pid, const char *name, const char *text)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

/* With id maps, a mapped sender shows with its ids in the namespace. */
TEST_F(cr, userns_mapped_ids)
{
	struct userns_arg a = {
		.ep = self->ep,
		.over_uid = read_uint("/proc/sys/kernel/overflowuid", 65534),
		.over_gid = read_uint("/proc/sys/kernel/overflowgid", 65534),
		.test_pid = getpid(),
		.mapped = 1,
	};
	struct ids u = { self->ep, 1000, 1000, 2000, 2000, .only_second = 1 };
	int ready[2], go[2];
	pid_t pid, spid;
	char b;

	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	a.ready_w = ready[1];
	a.go_r = go[0];
	pid = spawn(userns_receiver, &a);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(1, read(ready[0], &b, 1));
	EXPECT_EQ(0, write_file(pid, "uid_map", "5 1000 1\n"));
	EXPECT_EQ(0, write_file(pid, "gid_map", "7 2000 1\n"));
	ASSERT_EQ(1, write(go[1], &b, 1));

	/* Root sends label 1, then uid 1000/gid 2000 label 2. */
	EXPECT_EQ(0, send2(&self->c, self->ep, 1, 0, 0));
	spid = spawn(sender_with_ids, &u);
	ASSERT_GT(spid, 0);
	EXPECT_EQ(0, reap(spid));
	EXPECT_EQ(0, reap(pid));
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

struct server_arg {
	int ep;
	pid_t client;
};

/*
 * A server with uid 1000, gid 2000: checks what the caller's two calls
 * bring and answers them, the first with reply_recv, the second with reply.
 */
static int server(void *arg)
{
	struct server_arg *a = arg;
	struct kipc_ctx c;

	CHECK(kipc_ctx_open(&c) == 0);
	CHECK(drop_ids(1000, 1000, 2000, 2000) == 0);
	scribble(&c);
	CHECK(kipc_recv(&c, a->ep, T_CHILD) == 0);
	CHECK(kipc_tag(&c) == (KIPC_TAG(1, 1) | KIPC_TAG_F_CALL));
	CHECK(c.utcb->badge == 0xcafe);
	CHECK(c.utcb->pid == a->client);
	CHECK(c.utcb->uid == 0 && c.utcb->gid == 0);
	kipc_mr(&c)[0] = 0x1111;
	scribble(&c);
	CHECK(kipc_reply_recv(&c, a->ep, KIPC_TAG(0x10, 1), T_CHILD) == 0);
	CHECK(c.utcb->status == 0);
	CHECK(kipc_tag(&c) == (KIPC_TAG(2, 1) | KIPC_TAG_F_CALL));
	CHECK(c.utcb->badge == 0);
	CHECK(c.utcb->pid == a->client);
	kipc_mr(&c)[0] = 0x2222;
	CHECK(kipc_reply(&c, KIPC_TAG(0x20, 1)) == 0);
	return 0;
}

/* The reply carries the server's pid, uid and gid, and badge 0. */
TEST_F(cr, reply_carries_server_creds)
{
	struct server_arg a = { .ep = self->ep, .client = getpid() };
	int bc = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0xcafe,
			      KIPC_MINT_BADGE);
	pid_t pid;

	ASSERT_LE(0, bc);
	pid = spawn(server, &a);
	ASSERT_GT(pid, 0);

	scribble(&self->c);
	kipc_mr(&self->c)[0] = 1;
	ASSERT_EQ(0, kipc_call(&self->c, bc, KIPC_TAG(1, 1), T_CHILD));
	EXPECT_EQ(KIPC_TAG(0x10, 1), kipc_tag(&self->c));
	EXPECT_EQ(0x1111, kipc_mr(&self->c)[0]);
	EXPECT_EQ(0, self->c.utcb->badge);
	EXPECT_EQ(pid, self->c.utcb->pid);
	EXPECT_EQ(1000, self->c.utcb->uid);
	EXPECT_EQ(2000, self->c.utcb->gid);

	scribble(&self->c);
	kipc_mr(&self->c)[0] = 2;
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(2, 1), T_CHILD));
	EXPECT_EQ(KIPC_TAG(0x20, 1), kipc_tag(&self->c));
	EXPECT_EQ(0x2222, kipc_mr(&self->c)[0]);
	EXPECT_EQ(0, self->c.utcb->badge);
	EXPECT_EQ(pid, self->c.utcb->pid);
	EXPECT_EQ(1000, self->c.utcb->uid);
	EXPECT_EQ(2000, self->c.utcb->gid);
	EXPECT_EQ(0, reap(pid));
	close(bc);
}

static int caller_process(void *arg)
{
	struct kipc_ctx c;
	int ret;

	CHECK(kipc_ctx_open(&c) == 0);
	ret = kipc_call(&c, *(int *)arg, KIPC_TAG(4, 0), T_CHILD);
	return ret == 0 ? 0 : ret == -ETIMEDOUT ? 3 : 2;
}

static int short_caller(void *arg)
{
	struct kipc_ctx c;

	CHECK(kipc_ctx_open(&c) == 0);
	CHECK(kipc_call(&c, *(int *)arg, KIPC_TAG(4, 0), 300 * MS) == -ETIMEDOUT);
	return 0;
}

/*
 * A pidfd for the caller: valid only while the call waits for its reply,
 * so it cannot name a process that reused the pid.
 */
TEST_F(cr, caller_pidfd)
{
	struct kipc_caller a = { .flags = 1 };
	int pidfd, pid = -1;
	pid_t child;

	EXPECT_EQ(-ENOENT, kipc_caller_pidfd(&self->c, &pid));
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_CALLER, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.__reserved[2] = 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_CALLER, &a));
	EXPECT_EQ(EINVAL, errno);
	a.__reserved[2] = 0;

	child = spawn(caller_process, &self->ep);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	pidfd = kipc_caller_pidfd(&self->c, &pid);
	ASSERT_LE(0, pidfd);
	EXPECT_EQ(child, pid);
	EXPECT_EQ(child, self->c.utcb->pid);
	EXPECT_EQ(0, syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0));
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(4, 0)));
	EXPECT_EQ(-ENOENT, kipc_caller_pidfd(&self->c, NULL));
	EXPECT_EQ(0, reap(child));
	/* The pidfd still names the (now reaped) process: ESRCH, not another. */
	EXPECT_EQ(-1, syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0));
	EXPECT_EQ(ESRCH, errno);
	close(pidfd);

	/* A caller that gave up: ECONNRESET, no pidfd. */
	child = spawn(short_caller, &self->ep);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	EXPECT_EQ(0, reap(child));
	EXPECT_EQ(-ECONNRESET, kipc_caller_pidfd(&self->c, &pid));
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_CALLER, &a));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(-ECONNRESET, kipc_reply(&self->c, KIPC_TAG(4, 0)));

	/* A plain send leaves no reply right. */
	child = spawn(sender_process, &self->ep);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	EXPECT_EQ(-ENOENT, kipc_caller_pidfd(&self->c, &pid));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	EXPECT_EQ(0, reap(child));
}

TEST_HARNESS_MAIN
