// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptors in messages: up to KIPC_MSG_FDS of any kind, installed in the
 * receiver's fd table with the message, all or none; the sender needs the
 * GRANT right; replies carry them too; no reference is left behind.  Also
 * endpoint handles over SCM_RIGHTS.
 */
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "kipc_test.h"

#define T_CHILD	(10000 * MS)

FIXTURE(tr) {
	struct kipc_ctx c;
	int ep;
	long handles0, eps0;
};

FIXTURE_SETUP(tr)
{
	self->handles0 = kipc_stat("handles");
	self->eps0 = kipc_stat("endpoints");
	ctx_open(&self->c);
	self->ep = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->ep, 0);
}

FIXTURE_TEARDOWN(tr)
{
	close(self->ep);
	kipc_ctx_close(&self->c);
	EXPECT_EQ(self->handles0, kipc_stat("handles"));
	EXPECT_EQ(self->eps0, kipc_stat("endpoints"));
	EXPECT_EQ(0, kipc_stat("inflight"));
}

/*
 * Receiver process: accepts @max descriptors, receives one message with
 * two: a pipe's write end and an eventfd; writes through both, checks they
 * are new, O_CLOEXEC and in its own table.
 */
struct rcv_arg {
	int ep;
	unsigned int max;
	int nofile;		/* RLIMIT_NOFILE to set first, 0: leave */
};

static int receiver(void *p)
{
	struct rcv_arg *a = p;
	struct kipc_ctx c;
	uint64_t one = 1;
	int n0, *fds;

	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	kipc_accept_fds(&c, a->max);
	n0 = count_fds();
	CHILD_CHECK(kipc_recv(&c, a->ep, T_CHILD) == 0);
	CHILD_CHECK(KIPC_TAG_LABEL(kipc_tag(&c)) == 5);
	CHILD_CHECK(KIPC_TAG_FDS(kipc_tag(&c)) == 2);
	CHILD_CHECK(count_fds() == n0 + 2);
	fds = kipc_fds(&c);
	CHILD_CHECK(fds[0] != fds[1] && fds[0] >= 0 && fds[1] >= 0);
	CHILD_CHECK(is_cloexec(fds[0]) == 1 && is_cloexec(fds[1]) == 1);
	CHILD_CHECK(write(fds[0], "hi", 2) == 2);
	CHILD_CHECK(write(fds[1], &one, sizeof(one)) == sizeof(one));
	close(fds[0]);
	close(fds[1]);
	CHILD_CHECK(count_fds() == n0);
	kipc_ctx_close(&c);
	return 0;
}

/* Send with the descriptor array already set; returns 0 or errno. */
static int send_fds(struct kipc_ctx *c, int ep, unsigned int n, uint64_t to)
{
	c->utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(5, 0), n);
	return -kipc__ioctl(c, KIPC_IOC_SEND, ep, to, 0);
}

/* A pipe and an eventfd arrive in another process and work there. */
TEST_F(tr, any_fd_type_arrives)
{
	struct rcv_arg a = { .ep = self->ep, .max = KIPC_MSG_FDS };
	int p[2], efd = eventfd(0, 0), n0;
	uint64_t v = 0;
	char buf[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	ASSERT_GE(efd, 0);
	n0 = count_fds();
	pid = spawn(receiver, &a);
	kipc_fds(&self->c)[0] = p[1];
	kipc_fds(&self->c)[1] = efd;
	ASSERT_EQ(0, send_fds(&self->c, self->ep, 2, T_CHILD));
	ASSERT_EQ(0, reap(pid));
	/* The sender keeps its own descriptors. */
	EXPECT_EQ(n0, count_fds());
	ASSERT_EQ(2, read(p[0], buf, 2));
	EXPECT_EQ(0, memcmp(buf, "hi", 2));
	ASSERT_EQ(sizeof(v), read(efd, &v, sizeof(v)));
	EXPECT_EQ(1, v);
	close(p[0]);
	close(p[1]);
	close(efd);
}

/*
 * Receiver of all_or_none: fills its fd table up to RLIMIT_NOFILE but one
 * descriptor, then receives twice.
 */
static int tight_receiver(void *p)
{
	struct rcv_arg *a = p;
	struct rlimit rl;
	struct kipc_ctx c;
	int n0, fd, last = -1;

	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	kipc_accept_fds(&c, KIPC_MSG_FDS);
	rl.rlim_cur = rl.rlim_max = count_fds() + 16;
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &rl) == 0);
	while ((fd = dup(0)) >= 0)
		last = fd;
	CHILD_CHECK(errno == EMFILE && last >= 0);
	close(last);
	n0 = count_fds();
	/* The first message has one descriptor: it fits. */
	CHILD_CHECK(kipc_recv(&c, a->ep, T_CHILD) == 0);
	CHILD_CHECK(KIPC_TAG_FDS(kipc_tag(&c)) == 1);
	CHILD_CHECK(count_fds() == n0 + 1);
	close(kipc_fds(&c)[0]);
	/* Arrive second: a sender with three waits and fails. */
	CHILD_CHECK(wait_fdinfo(a->ep, "senders-waiting", 1) == 0);
	CHILD_CHECK(kipc_recv(&c, a->ep, T_CHILD) == 0);
	CHILD_CHECK(KIPC_TAG_FDS(kipc_tag(&c)) == 0);
	CHILD_CHECK(count_fds() == n0);
	kipc_ctx_close(&c);
	return 0;
}

/*
 * RLIMIT_NOFILE leaves the receiver room for one descriptor: a message
 * with three is refused (EMSGSIZE) whether the receiver or the sender
 * waits first, nothing of it arrives, the sender keeps its descriptors;
 * a message with one goes through.
 */
TEST_F(tr, all_or_none_under_rlimit_nofile)
{
	struct rcv_arg a = { .ep = self->ep };
	int p[2], n0;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	n0 = count_fds();
	pid = spawn(tight_receiver, &a);
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	for (int i = 0; i < 3; i++)
		kipc_fds(&self->c)[i] = p[i & 1];
	/* Receiver first. */
	EXPECT_EQ(EMSGSIZE, send_fds(&self->c, self->ep, 3, T_CHILD));
	EXPECT_EQ(EMSGSIZE, send_fds(&self->c, self->ep, 2, 0));
	EXPECT_EQ(1, fdinfo_value(0, self->ep, "receivers-waiting"));
	EXPECT_EQ(0, kipc_stat("inflight"));
	EXPECT_EQ(n0, count_fds());
	/* One descriptor fits. */
	EXPECT_EQ(0, send_fds(&self->c, self->ep, 1, T_CHILD));
	/* Sender first: the arriving receiver refuses it, then one without. */
	EXPECT_EQ(EMSGSIZE, send_fds(&self->c, self->ep, 3, T_CHILD));
	EXPECT_EQ(0, kipc_stat("inflight"));
	EXPECT_EQ(0, send_fds(&self->c, self->ep, 0, T_CHILD));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(n0, count_fds());
	close(p[0]);
	close(p[1]);
}

struct qsend {
	int ep, fd, ret;
	unsigned int n;
};

static void *thread_send_fds(void *arg)
{
	struct qsend *q = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	for (unsigned int i = 0; i < q->n; i++)
		kipc_fds(&c)[i] = q->fd;
	q->ret = send_fds(&c, q->ep, q->n, T_CHILD);
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * A queued sender whose descriptors the arriving receiver cannot take
 * fails with EMSGSIZE; the next sender in the queue is served.
 */
TEST_F(tr, queued_sender_too_many_fds)
{
	struct qsend q1 = { .ep = self->ep, .n = 4 }, q2 = { .ep = self->ep, .n = 1 };
	pthread_t t1, t2;
	int p[2];

	ASSERT_EQ(0, pipe(p));
	q1.fd = q2.fd = p[1];
	ASSERT_EQ(0, pthread_create(&t1, NULL, thread_send_fds, &q1));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	ASSERT_EQ(0, pthread_create(&t2, NULL, thread_send_fds, &q2));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 2));
	EXPECT_EQ(5, kipc_stat("inflight"));
	kipc_accept_fds(&self->c, 2);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	EXPECT_EQ(EMSGSIZE, q1.ret);
	EXPECT_EQ(0, q2.ret);
	ASSERT_EQ(1, KIPC_TAG_FDS(kipc_tag(&self->c)));
	EXPECT_EQ(1, write(kipc_fds(&self->c)[0], "x", 1));
	close(kipc_fds(&self->c)[0]);
	close(p[0]);
	close(p[1]);
}

/* Argument errors: count above 8, fd_max above 8, a bad descriptor. */
TEST_F(tr, bad_arguments)
{
	int p[2], n0;

	ASSERT_EQ(0, pipe(p));
	n0 = count_fds();
	for (unsigned int n = KIPC_MSG_FDS + 1; n < 16; n++)
		EXPECT_EQ(EINVAL, send_fds(&self->c, self->ep, n, 0));
	kipc_fds(&self->c)[0] = p[0];
	kipc_fds(&self->c)[1] = 999;
	EXPECT_EQ(EBADF, send_fds(&self->c, self->ep, 2, 0));
	kipc_fds(&self->c)[1] = -1;
	EXPECT_EQ(EBADF, send_fds(&self->c, self->ep, 2, 0));
	kipc_accept_fds(&self->c, KIPC_MSG_FDS + 1);
	EXPECT_EQ(EINVAL, -kipc_recv(&self->c, self->ep, 0));
	kipc_accept_fds(&self->c, KIPC_MSG_FDS);
	EXPECT_EQ(EAGAIN, -kipc_recv(&self->c, self->ep, 0));
	/* No reservation leaked: the next descriptor is the lowest free. */
	EXPECT_EQ(n0, count_fds());
	EXPECT_EQ(0, kipc_stat("inflight"));
	close(p[0]);
	close(p[1]);
}

/*
 * GRANT: sending descriptors needs it on the handle used, and a kipc
 * handle passed must carry it itself.
 */
TEST_F(tr, grant_required)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	int sg = kipc_ep_mint(&self->c, self->ep,
			      KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT, 0, 0);
	int p[2];

	ASSERT_GE(s, 0);
	ASSERT_GE(sg, 0);
	ASSERT_EQ(0, pipe(p));
	kipc_fds(&self->c)[0] = p[1];
	EXPECT_EQ(EPERM, send_fds(&self->c, s, 1, 0));
	/* Without descriptors the GRANT-less handle is fine. */
	EXPECT_EQ(EAGAIN, send_fds(&self->c, s, 0, 0));
	EXPECT_EQ(EAGAIN, send_fds(&self->c, sg, 1, 0));
	/* A handle without GRANT cannot travel; one with GRANT can. */
	kipc_fds(&self->c)[0] = s;
	EXPECT_EQ(EPERM, send_fds(&self->c, sg, 1, 0));
	kipc_fds(&self->c)[0] = sg;
	EXPECT_EQ(EAGAIN, send_fds(&self->c, sg, 1, 0));
	/* GRANT does not come back through mint. */
	EXPECT_EQ(-EPERM, kipc_ep_mint(&self->c, s, KIPC_RIGHT_SEND |
				       KIPC_RIGHT_GRANT, 0, 0));
	close(s);
	close(sg);
	close(p[0]);
	close(p[1]);
}

struct srv_arg {
	int ep;		/* receive handle */
	int fd;		/* descriptor to reply with */
	int grant;	/* ep has GRANT */
};

/* Server thread: receives one call, replies with one descriptor. */
static void *reply_server(void *p)
{
	struct srv_arg *a = p;
	struct kipc_ctx c;
	long ret = 0;

	ctx_open(&c);
	if (kipc_recv(&c, a->ep, T_CHILD))
		ret = 1;
	kipc_fds(&c)[0] = a->fd;
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(6, 0), 1);
	if (!ret && !a->grant) {
		/* No GRANT on the receive handle: refused, the right kept. */
		if (-kipc__ioctl(&c, KIPC_IOC_REPLY, -1, 0, 0) != EPERM)
			ret = 2;
		c.utcb->tag = KIPC_TAG(6, 0);
	}
	if (!ret && kipc__ioctl(&c, KIPC_IOC_REPLY, -1, 0, 0))
		ret = 3;
	kipc_ctx_close(&c);
	return (void *)ret;
}

/* Replies carry descriptors if the call was received through GRANT. */
TEST_F(tr, reply_carries_fds)
{
	int r = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0);
	struct srv_arg a = { .ep = self->ep, .grant = 1 };
	int p[2];
	pthread_t t;
	void *res;

	ASSERT_GE(r, 0);
	ASSERT_EQ(0, pipe(p));
	a.fd = p[1];
	ASSERT_EQ(0, pthread_create(&t, NULL, reply_server, &a));
	kipc_accept_fds(&self->c, 1);
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(1, 0), T_CHILD));
	pthread_join(t, &res);
	EXPECT_EQ(NULL, res);
	EXPECT_EQ(6, KIPC_TAG_LABEL(kipc_tag(&self->c)));
	ASSERT_EQ(1, KIPC_TAG_FDS(kipc_tag(&self->c)));
	EXPECT_EQ(1, write(kipc_fds(&self->c)[0], "y", 1));
	close(kipc_fds(&self->c)[0]);

	/* Received through a handle without GRANT: the reply cannot. */
	a.ep = r;
	a.grant = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, reply_server, &a));
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(1, 0), T_CHILD));
	pthread_join(t, &res);
	EXPECT_EQ(NULL, res);
	EXPECT_EQ(0, KIPC_TAG_FDS(kipc_tag(&self->c)));
	kipc_accept_fds(&self->c, 0);
	close(r);
	close(p[0]);
	close(p[1]);
}

/* A reply with more descriptors than the caller accepts: EMSGSIZE, kept. */
static void *big_reply_server(void *p)
{
	struct srv_arg *a = p;
	struct kipc_ctx c;
	long ret = 0;

	ctx_open(&c);
	if (kipc_recv(&c, a->ep, T_CHILD))
		ret = 1;
	for (int i = 0; i < 3; i++)
		kipc_fds(&c)[i] = a->fd;
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(7, 0), 3);
	if (!ret && -kipc__ioctl(&c, KIPC_IOC_REPLY, -1, 0, 0) != EMSGSIZE)
		ret = 2;
	/* reply_recv does not give the right up either. */
	if (!ret && -kipc__ioctl(&c, KIPC_IOC_REPLY_RECV, a->ep, 0, 0) != EMSGSIZE)
		ret = 3;
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(7, 0), 2);
	if (!ret && kipc__ioctl(&c, KIPC_IOC_REPLY, -1, 0, 0))
		ret = 4;
	kipc_ctx_close(&c);
	return (void *)ret;
}

TEST_F(tr, reply_too_many_fds)
{
	struct srv_arg a = { .ep = self->ep, .grant = 1 };
	pthread_t t;
	void *res;
	int p[2], n0;

	ASSERT_EQ(0, pipe(p));
	a.fd = p[1];
	n0 = count_fds();
	ASSERT_EQ(0, pthread_create(&t, NULL, big_reply_server, &a));
	kipc_accept_fds(&self->c, 2);
	ASSERT_EQ(0, kipc_call(&self->c, self->ep, KIPC_TAG(1, 0), T_CHILD));
	pthread_join(t, &res);
	EXPECT_EQ(NULL, res);
	EXPECT_EQ(7, KIPC_TAG_LABEL(kipc_tag(&self->c)));
	ASSERT_EQ(2, KIPC_TAG_FDS(kipc_tag(&self->c)));
	EXPECT_EQ(n0 + 2, count_fds());
	close(kipc_fds(&self->c)[0]);
	close(kipc_fds(&self->c)[1]);
	EXPECT_EQ(n0, count_fds());
	close(p[0]);
	close(p[1]);
}

/* A sender blocked with descriptors is killed: nothing stays in flight. */
static int blocked_sender(void *p)
{
	struct kipc_ctx c;
	int ep = *(int *)p;

	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	for (int i = 0; i < KIPC_MSG_FDS; i++)
		kipc_fds(&c)[i] = ep;
	send_fds(&c, ep, KIPC_MSG_FDS, INF);
	return 1;
}

TEST_F(tr, killed_sender_releases)
{
	pid_t pid = spawn(blocked_sender, &self->ep);

	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	EXPECT_EQ(KIPC_MSG_FDS, kipc_stat("inflight"));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	EXPECT_EQ(0, kipc_stat("inflight"));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "senders-waiting"));
}

/*
 * A receiver killed while it waits with descriptor numbers reserved: the
 * numbers die with its table, nothing is in flight, and the next receiver
 * gets the descriptors.
 */
static int blocked_receiver(void *p)
{
	struct kipc_ctx c;

	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	kipc_accept_fds(&c, KIPC_MSG_FDS);
	kipc_recv(&c, *(int *)p, INF);
	return 1;
}

TEST_F(tr, killed_receiver_releases)
{
	struct qsend q = { .ep = self->ep, .n = 3 };
	pid_t pid = spawn(blocked_receiver, &self->ep);
	int p[2], n0;
	pthread_t t;

	ASSERT_EQ(0, pipe(p));
	q.fd = p[1];
	n0 = count_fds();
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	EXPECT_EQ(0, fdinfo_value(0, self->ep, "receivers-waiting"));
	kipc_fds(&self->c)[0] = p[1];
	EXPECT_EQ(EAGAIN, send_fds(&self->c, self->ep, 1, 0));
	EXPECT_EQ(0, kipc_stat("inflight"));
	/* A sender queues with three; we take them. */
	ASSERT_EQ(0, pthread_create(&t, NULL, thread_send_fds, &q));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	EXPECT_EQ(3, kipc_stat("inflight"));
	kipc_accept_fds(&self->c, 3);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	pthread_join(t, NULL);
	EXPECT_EQ(0, q.ret);
	ASSERT_EQ(3, KIPC_TAG_FDS(kipc_tag(&self->c)));
	EXPECT_EQ(n0 + 3, count_fds());
	for (int i = 0; i < 3; i++)
		close(kipc_fds(&self->c)[i]);
	EXPECT_EQ(0, kipc_stat("inflight"));
	kipc_accept_fds(&self->c, 0);
	close(p[0]);
	close(p[1]);
}

/*
 * Storm: a client process sends 8 descriptors (kipc handles with GRANT, a
 * pipe end) per call, thousands of times; the server closes what it gets.
 * Every count is back to its baseline afterwards.
 */
#define STORM	3000

static int storm_client(void *p)
{
	int ep = *(int *)p, pp[2];
	struct kipc_ctx c;

	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	CHILD_CHECK(pipe(pp) == 0);
	for (int i = 0; i < STORM; i++) {
		int n = 1 + i % KIPC_MSG_FDS;

		for (int j = 0; j < n; j++)
			kipc_fds(&c)[j] = j & 1 ? pp[1] : ep;
		kipc_mr(&c)[0] = i;
		CHILD_CHECK(kipc_call(&c, ep, KIPC_TAG_WITH_FDS(KIPC_TAG(8, 1), n),
				      T_CHILD) == 0);
		CHILD_CHECK(kipc_mr(&c)[0] == (uint64_t)i + 1);
	}
	kipc_ctx_close(&c);
	return 0;
}

TEST_F(tr, storm_returns_to_baseline)
{
	long h0 = kipc_stat("handles");
	int n0 = count_fds(), bad = 0, got = 0;
	pid_t pid = spawn(storm_client, &self->ep);

	kipc_accept_fds(&self->c, KIPC_MSG_FDS);
	for (int i = 0; i < STORM; i++) {
		int n;

		ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
		n = KIPC_TAG_FDS(kipc_tag(&self->c));
		if (n != 1 + i % KIPC_MSG_FDS || kipc_mr(&self->c)[0] != (uint64_t)i)
			bad++;
		for (int j = 0; j < n; j++) {
			if (is_cloexec(kipc_fds(&self->c)[j]) != 1)
				bad++;
			close(kipc_fds(&self->c)[j]);
			got++;
		}
		kipc_mr(&self->c)[0]++;
		ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(8, 1)));
	}
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, bad);
	TH_LOG("%d descriptors passed in %d calls", got, STORM);
	EXPECT_EQ(n0, count_fds());
	EXPECT_EQ(h0, kipc_stat("handles"));
	EXPECT_EQ(0, kipc_stat("inflight"));
	kipc_accept_fds(&self->c, 0);
}

/* Endpoint handles travel over SCM_RIGHTS and work on the other side. */
static int scm_child(void *p)
{
	int sock = *(int *)p, ep;
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = { &b, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct kipc_ctx c;

	CHILD_CHECK(recvmsg(sock, &mh, 0) == 1);
	CHILD_CHECK(CMSG_FIRSTHDR(&mh) && CMSG_FIRSTHDR(&mh)->cmsg_type == SCM_RIGHTS);
	memcpy(&ep, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	kipc_mr(&c)[0] = 77;
	CHILD_CHECK(kipc_call(&c, ep, KIPC_TAG(9, 1), T_CHILD) == 0);
	CHILD_CHECK(kipc_mr(&c)[0] == 78);
	/* The handle's rights came along: no RECV. */
	CHILD_CHECK(kipc_recv(&c, ep, 0) == -EPERM);
	return 0;
}

TEST_F(tr, scm_rights)
{
	int sv[2], s;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "x", 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = spawn(scm_child, &sv[1]);
	/* Minted after the fork: the child can only have it by the socket. */
	s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 12, KIPC_MINT_BADGE);
	ASSERT_GE(s, 0);
	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &s, sizeof(int));
	ASSERT_EQ(1, sendmsg(sv[0], &mh, 0));
	close(s);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	EXPECT_EQ(12, self->c.utcb->badge);
	EXPECT_EQ(pid, self->c.utcb->pid);
	kipc_mr(&self->c)[0]++;
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(9, 1)));
	EXPECT_EQ(0, reap(pid));
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
