// SPDX-License-Identifier: GPL-2.0
/*
 * libkipc's helpers for daemon authors: the accessors of what a receive
 * wrote, messages as byte streams over the registers (kipc_msg_*), a call
 * with two timeouts, and a context that is safe to close in any state.
 */
#include <sys/resource.h>

#include <liburing.h>

#include "kipc_test.h"
#include <kipc_uring.h>

KIPC_FIXTURE(lib)

/* Writing: values end to end, the tag counts the registers used. */
TEST_F(lib, msg_write)
{
	struct kipc_msg m;
	unsigned char *p = (unsigned char *)kipc_mr(&self->c);
	unsigned char big[KIPC_MSG_BYTES];
	uint64_t tag;
	uint32_t u32;
	uint64_t u64;

	memset(p, 0xee, KIPC_MSG_BYTES);
	kipc_msg_begin(&m, &self->c);
	EXPECT_EQ(0, kipc_msg_put_u32(&m, 0x11223344));
	EXPECT_EQ(0, kipc_msg_put_u64(&m, 0x5566778899aabbccULL));
	EXPECT_EQ(0, kipc_msg_put_str(&m, "hello"));
	tag = kipc_msg_tag(&m, 7);
	/* 4 + 8 + 6 = 18 bytes: three registers, the tail zeroed. */
	EXPECT_EQ(KIPC_TAG(7, 3), tag);
	memcpy(&u32, p, 4);
	memcpy(&u64, p + 4, 8);
	EXPECT_EQ(0x11223344, u32);
	EXPECT_EQ(0x5566778899aabbccULL, u64);
	EXPECT_STREQ("hello", (char *)p + 12);
	for (int i = 18; i < 24; i++) {
		EXPECT_EQ(0, p[i]) TH_LOG("byte %d", i);
	}
	EXPECT_EQ(0xee, p[24]);

	/* 512 bytes fit, one more does not, and the error sticks. */
	memset(big, 'x', sizeof(big));
	kipc_msg_begin(&m, &self->c);
	EXPECT_EQ(0, kipc_msg_put_bytes(&m, big, sizeof(big) - 4));
	EXPECT_EQ(0, kipc_msg_put_u32(&m, 1));
	EXPECT_EQ(KIPC_TAG(1, KIPC_MSG_REGS), kipc_msg_tag(&m, 1));
	EXPECT_EQ(-EMSGSIZE, kipc_msg_put_bytes(&m, "", 1));
	EXPECT_EQ(-EMSGSIZE, kipc_msg_put_u32(&m, 1));
	EXPECT_EQ(-EMSGSIZE, m.err);
	/* Nothing written past the registers. */
	EXPECT_EQ(KIPC_MSG_BYTES, m.len);
	kipc_msg_begin(&m, &self->c);
	EXPECT_EQ(-EMSGSIZE, kipc_msg_put_bytes(&m, big, sizeof(big) + 1));
	EXPECT_EQ(0, m.len);
	/* An empty message: the tag's register count is 0. */
	kipc_msg_begin(&m, &self->c);
	EXPECT_EQ(KIPC_TAG(3, 0), kipc_msg_tag(&m, 3));
}

/* Reading: never past the registers the tag counts. */
TEST_F(lib, msg_read_bounds)
{
	struct kipc_utcb *u = self->c.utcb;
	struct kipc_msg m;
	char buf[8];
	uint64_t v;
	uint32_t w;

	memset(u->mr, 0, sizeof(u->mr));
	memcpy(u->mr, "abc\0defghijklmno", 16);
	u->tag = KIPC_TAG(1, 1);	/* one register: "abc\0defg" */
	kipc_msg_read(&m, &self->c);
	EXPECT_EQ(8, kipc_msg_left(&m));
	EXPECT_EQ(0, kipc_msg_get_str(&m, buf, sizeof(buf)));
	EXPECT_STREQ("abc", buf);
	EXPECT_EQ(4, kipc_msg_left(&m));
	/* "defg" has no NUL within the message. */
	EXPECT_EQ(-EBADMSG, kipc_msg_get_str(&m, buf, sizeof(buf)));
	EXPECT_EQ(-EBADMSG, kipc_msg_get_u32(&m, &w));	/* sticky */

	kipc_msg_read(&m, &self->c);
	EXPECT_EQ(0, kipc_msg_get_u32(&m, &w));
	EXPECT_EQ(-EBADMSG, kipc_msg_get_u64(&m, &v));	/* 4 left, not 8 */
	EXPECT_EQ(4, m.pos);

	/* A string longer than the buffer. */
	memcpy(u->mr, "0123456789\0", 11);
	u->tag = KIPC_TAG(1, 2);
	kipc_msg_read(&m, &self->c);
	EXPECT_EQ(-EMSGSIZE, kipc_msg_get_str(&m, buf, sizeof(buf)));
	EXPECT_EQ(0, m.pos);

	/* A tag that counts no registers: nothing to read. */
	u->tag = KIPC_TAG(1, 0);
	kipc_msg_read(&m, &self->c);
	EXPECT_EQ(-EBADMSG, kipc_msg_get_bytes(&m, buf, 1));
}

struct server {
	int ep, ret;
	__u64 badge;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	unsigned int nfds;
	uint32_t a;
	uint64_t b;
	char s[32];
	pthread_t t;
};

/* Receive one call, read it with the helpers, answer with a string. */
static void *serve_one(void *arg)
{
	struct server *sv = arg;
	struct kipc_ctx c;
	struct kipc_msg m;
	uint64_t tag;

	ctx_open(&c);
	sv->ret = kipc_recv(&c, sv->ep, INF);
	if (sv->ret)
		goto out;
	sv->badge = kipc_badge(&c);
	sv->pid = kipc_pid(&c);
	sv->uid = kipc_uid(&c);
	sv->gid = kipc_gid(&c);
	sv->nfds = kipc_nfds(&c);
	kipc_msg_read(&m, &c);
	kipc_msg_get_u32(&m, &sv->a);
	kipc_msg_get_u64(&m, &sv->b);
	kipc_msg_get_str(&m, sv->s, sizeof(sv->s));
	sv->ret = m.err;
	kipc_msg_begin(&m, &c);
	kipc_msg_put_str(&m, "pong");
	tag = kipc_msg_tag(&m, KIPC_TAG_LABEL(kipc_tag(&c)) + 1);
	if (!sv->ret)
		sv->ret = kipc_reply(&c, tag);
out:
	kipc_ctx_close(&c);
	return NULL;
}

/* A call built and read with the helpers; the accessors of a receive. */
TEST_F(lib, call_with_helpers_and_accessors)
{
	int h = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0x77, KIPC_MINT_BADGE);
	struct server sv = { .ep = self->ep };
	struct kipc_msg m;
	char s[8];

	ASSERT_GE(h, 0);
	ASSERT_EQ(0, pthread_create(&sv.t, NULL, serve_one, &sv));
	kipc_msg_begin(&m, &self->c);
	kipc_msg_put_u32(&m, 42);
	kipc_msg_put_u64(&m, 1ULL << 40);
	kipc_msg_put_str(&m, "ping");
	ASSERT_EQ(0, m.err);
	ASSERT_EQ(0, kipc_call(&self->c, h, kipc_msg_tag(&m, 5), INF));
	pthread_join(sv.t, NULL);
	EXPECT_EQ(0, sv.ret);
	EXPECT_EQ(42, sv.a);
	EXPECT_EQ(1ULL << 40, sv.b);
	EXPECT_STREQ("ping", sv.s);
	EXPECT_EQ(0x77, sv.badge);
	EXPECT_EQ(getpid(), sv.pid);
	EXPECT_EQ(geteuid(), sv.uid);
	EXPECT_EQ(getegid(), sv.gid);
	EXPECT_EQ(0, sv.nfds);
	/* The reply, and the status of the call. */
	EXPECT_EQ(6, KIPC_TAG_LABEL(kipc_tag(&self->c)));
	EXPECT_EQ(0, kipc_status(&self->c));
	kipc_msg_read(&m, &self->c);
	EXPECT_EQ(0, kipc_msg_get_str(&m, s, sizeof(s)));
	EXPECT_STREQ("pong", s);
	close(h);
}

static void *recv_no_reply(void *arg)
{
	struct server *sv = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	sv->ret = kipc_recv(&c, sv->ep, INF);
	/* Keep the right, do not reply, until the caller gave up. */
	sleep_ms(300);
	kipc_ctx_close(&c);
	return NULL;
}

/* A call with a timeout for its send phase and one for the whole call. */
TEST_F(lib, call_timeouts)
{
	struct server sv = { .ep = self->ep };
	uint64_t t0;

	/* Nobody receives: the send phase polls. */
	EXPECT_EQ(-EAGAIN, kipc_call_timeouts(&self->c, self->ep, 0,
					      KIPC_TIMEOUT_POLL, INF));
	EXPECT_EQ(-ETIMEDOUT, kipc_call_timeouts(&self->c, self->ep, 0,
						 20 * MS, INF));
	/* Received but never answered: the whole call's timeout. */
	ASSERT_EQ(0, pthread_create(&sv.t, NULL, recv_no_reply, &sv));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "receivers-waiting", 1));
	t0 = now_ns();
	EXPECT_EQ(-ETIMEDOUT, kipc_call_timeouts(&self->c, self->ep, 0,
						 KIPC_TIMEOUT_POLL, 50 * MS));
	EXPECT_GE(now_ns() - t0, 50 * MS);
	pthread_join(sv.t, NULL);
	EXPECT_EQ(0, sv.ret);
}

/* kipc_ctx_close() on a zeroed, a failed, and a closed context. */
TEST(ctx_close_any_state)
{
	struct kipc_ctx z, f, c;
	struct rlimit rl, low;
	int p[2], n0;

	/* A zeroed context names fd 0: it must stay open. */
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, dup2(p[0], 0));
	memset(&z, 0, sizeof(z));
	kipc_ctx_close(&z);
	EXPECT_EQ(0, fcntl(0, F_GETFD) < 0 ? errno : 0);
	EXPECT_EQ(-1, z.fd);
	kipc_ctx_close(&z);

	/* An open that fails (no descriptor left) leaves it closed. */
	n0 = count_fds();
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	low = rl;
	low.rlim_cur = 0;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &low));
	memset(&f, 0, sizeof(f));
	EXPECT_EQ(-EMFILE, kipc_ctx_open(&f));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(-1, f.fd);
	EXPECT_EQ(NULL, f.utcb);
	kipc_ctx_close(&f);
	EXPECT_EQ(0, fcntl(0, F_GETFD) < 0 ? errno : 0);
	EXPECT_EQ(n0, count_fds());

	/* Closed twice. */
	ctx_open(&c);
	kipc_ctx_close(&c);
	kipc_ctx_close(&c);
	EXPECT_EQ(n0, count_fds());
	close(p[0]);
	close(p[1]);
}

/* A pool hands out each context once, takes back only its own. */
TEST(pool_basics)
{
	struct kipc_pool p;
	struct kipc_ctx *a, *b, *c, other = { .fd = -1 };
	int n0 = count_fds();

	EXPECT_EQ(-EINVAL, kipc_pool_open(&p, 0));
	ASSERT_EQ(0, kipc_pool_open(&p, 3));
	EXPECT_EQ(n0 + 3, count_fds());
	a = kipc_pool_get(&p);
	b = kipc_pool_get(&p);
	c = kipc_pool_get(&p);
	ASSERT_TRUE(a && b && c);
	EXPECT_TRUE(a != b && b != c && a != c);
	EXPECT_EQ(0, kipc_pool_index(&p, a));
	EXPECT_EQ(2, kipc_pool_index(&p, c));
	EXPECT_EQ(NULL, kipc_pool_get(&p));
	/* Each is a working context of its own. */
	EXPECT_NE(a->fd, b->fd);
	EXPECT_GE(kipc_ep_create(a, 0), 0);
	EXPECT_EQ(0, kipc_pool_put(&p, b));
	EXPECT_EQ(-EINVAL, kipc_pool_put(&p, b));	/* free already */
	EXPECT_EQ(-EINVAL, kipc_pool_put(&p, &other));	/* not the pool's */
	EXPECT_EQ(b, kipc_pool_get(&p));
	kipc_pool_close(&p);
	kipc_pool_close(&p);
	/* The endpoint made above is still open: our one descriptor. */
	EXPECT_EQ(n0 + 1, count_fds());
}

/*
 * An io_uring server on a pool: a receive per pooled context in flight,
 * each answered with reply_recv on the context it came on; clients call
 * until they are done, the contexts go back to the pool when cancelled.
 */
static void *pool_client(void *arg)
{
	int *ep = arg;
	struct kipc_ctx c;
	long bad = 0;

	ctx_open(&c);
	for (int i = 0; i < 200; i++) {
		kipc_mr(&c)[0] = i;
		if (kipc_call(&c, *ep, KIPC_TAG(1, 1), INF) || kipc_mr(&c)[0] != i + 1)
			bad++;
	}
	kipc_ctx_close(&c);
	return (void *)bad;
}

TEST(pool_uring_server)
{
	struct kipc_pool p;
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct kipc_ctx *k, mine;
	pthread_t t[3];
	int ep, served = 0, pending = 0, cancelled = 0;
	void *bad;

	ctx_open(&mine);
	ep = kipc_ep_create(&mine, 0);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, io_uring_queue_init(16, &ring, 0));
	ASSERT_EQ(0, kipc_pool_open(&p, 4));
	while ((k = kipc_pool_get(&p))) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		kipc_prep_recv(sqe, k, ep, INF);
		io_uring_sqe_set_data64(sqe, kipc_pool_index(&p, k));
		pending++;
	}
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, pool_client, &ep));
	while (served < 600) {
		struct io_uring_sqe *sqe;
		unsigned int i;

		ASSERT_LE(0, io_uring_submit_and_wait(&ring, 1));
		ASSERT_EQ(0, io_uring_peek_cqe(&ring, &cqe));
		i = io_uring_cqe_get_data64(cqe);
		ASSERT_EQ(0, cqe->res);
		io_uring_cqe_seen(&ring, cqe);
		k = &p.ctx[i];
		kipc_mr(k)[0]++;
		served++;
		sqe = io_uring_get_sqe(&ring);
		kipc_prep_reply_recv(sqe, k, ep, KIPC_TAG(2, 1), INF);
		io_uring_sqe_set_data64(sqe, i);
	}
	/* The last answer goes out with its reply_recv. */
	ASSERT_LE(0, io_uring_submit(&ring));
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], &bad);
		EXPECT_EQ(0, (long)bad);
	}
	/* The last replies went out with the reply_recvs now waiting: cancel. */
	for (unsigned int i = 0; i < p.n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		kipc_prep_cancel(sqe, &p.ctx[i]);
		io_uring_sqe_set_data64(sqe, 1000 + i);
	}
	ASSERT_LE(0, io_uring_submit(&ring));
	while (cancelled < (int)p.n) {
		unsigned int i;

		ASSERT_EQ(0, io_uring_wait_cqe(&ring, &cqe));
		i = io_uring_cqe_get_data64(cqe);
		if (i < 1000) {
			EXPECT_EQ(-ECANCELED, cqe->res);
			EXPECT_EQ(0, kipc_pool_put(&p, &p.ctx[i]));
			cancelled++;
		}
		io_uring_cqe_seen(&ring, cqe);
	}
	EXPECT_EQ(p.n, p.nfree);
	EXPECT_EQ(600, served);
	kipc_pool_close(&p);
	io_uring_queue_exit(&ring);
	close(ep);
	kipc_ctx_close(&mine);
}

/*
 * kipc_strerror() says what lib/errors.txt says: every meaning of an errno
 * kipc gives several, and strerror()'s words for what kipc never returns.
 */
TEST(strerror_every_meaning)
{
	EXPECT_NE(NULL, strstr(kipc_strerror(-ENOENT), "reply right"));
	EXPECT_NE(NULL, strstr(kipc_strerror(-ENOENT), "name"));
	EXPECT_NE(NULL, strstr(kipc_strerror(-ENOENT), "cancel"));
	EXPECT_NE(NULL, strstr(kipc_strerror(-EBUSY), "another operation"));
	EXPECT_NE(NULL, strstr(kipc_strerror(-EBUSY), "bound"));
	EXPECT_NE(NULL, strstr(kipc_strerror(-ENFILE), "file table"));
	EXPECT_STREQ(strerror(ENOEXEC), kipc_strerror(-ENOEXEC));
}

TEST_HARNESS_MAIN
