// SPDX-License-Identifier: GPL-2.0
/*
 * Rights and badges as capabilities: rights never grow, a badge is fixed
 * by the holder of the receive right, and an unprivileged user can do
 * nothing with an endpoint beyond the rights of the handles it was given.
 */
#include "kipc_test.h"

#define T_CHILD	(10000 * MS)
#define NOBODY	65534

KIPC_FIXTURE(gr)

/* Every rights mask from every rights mask: allowed iff a subset. */
TEST_F(gr, rights_never_grow)
{
	int n = 0;

	for (unsigned int from = 1; from <= KIPC_RIGHTS_ALL; from++) {
		int h = kipc_ep_mint(&self->c, self->ep, from, 0, 0);

		ASSERT_GE(h, 0);
		EXPECT_EQ(from, fdinfo_value(0, h, "rights"));
		for (unsigned int to = 1; to <= KIPC_RIGHTS_ALL; to++) {
			int d = kipc_ep_mint(&self->c, h, to, 0, 0);

			if (to & ~from) {
				EXPECT_EQ(-EPERM, d) TH_LOG("%#x from %#x", to, from);
			} else {
				EXPECT_LE(0, d) TH_LOG("%#x from %#x", to, from);
				EXPECT_EQ(to, fdinfo_value(0, d, "rights"));
				close(d);
				n++;
			}
		}
		close(h);
	}
	/* Subsets of each non-empty mask of 3 bits: 1+1+3+1+3+3+7. */
	EXPECT_EQ(19, n);
}

/* Sends through *@p with a badge scribbled into its own message area. */
static int send_with_scribbled_badge(void *p)
{
	struct kipc_ctx c;

	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	c.utcb->badge = 0x1234;
	CHILD_CHECK(kipc_send(&c, *(int *)p, KIPC_TAG(1, 0), 10000 * MS) == 0);
	return 0;
}

/* Only the receive right chooses a badge; a send handle keeps its own. */
TEST_F(gr, badge_fixed_by_receiver)
{
	int b = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT,
			     0x77, KIPC_MINT_BADGE);
	pid_t pid;
	int d;

	ASSERT_GE(b, 0);
	EXPECT_EQ(-EPERM, kipc_ep_mint(&self->c, b, KIPC_RIGHT_SEND, 0x78,
				       KIPC_MINT_BADGE));
	EXPECT_EQ(-EPERM, kipc_ep_mint(&self->c, b, KIPC_RIGHT_SEND, 0,
				       KIPC_MINT_BADGE));
	/* A badge without KIPC_MINT_BADGE is malformed. */
	EXPECT_EQ(-EINVAL, kipc_ep_mint(&self->c, b, KIPC_RIGHT_SEND, 0x78, 0));
	d = kipc_ep_mint(&self->c, b, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(d, 0);
	EXPECT_EQ(0x77, fdinfo_value(0, d, "badge"));
	/* What arrives is the handle's badge, whatever the sender's area says. */
	self->c.utcb->badge = 0x99;
	pid = spawn(send_with_scribbled_badge, &d);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	EXPECT_EQ(0x77, self->c.utcb->badge);
	EXPECT_EQ(0, reap(pid));
	close(d);
	close(b);
}

/*
 * An unprivileged process given a badged send handle (by fork) can send
 * through it and nothing else: no receive, no new rights, no other badge,
 * no name, no use of our context, no stealing our handles through /proc.
 */
struct up_arg {
	int send, ctxfd;
	pid_t parent;
	int ep;		/* a handle of ours it was not meant to have: closed */
};

static int unprivileged(void *p)
{
	struct up_arg *a = p;
	struct kipc_ctx c;
	struct kipc_ipc ipc = { .fd = a->send };
	char path[64];

	/* Keep only what it is given: the send handle (and our context). */
	for (int fd = 3; fd < 1024; fd++)
		if (fd != a->send && fd != a->ctxfd)
			close(fd);
	CHILD_CHECK(become(NOBODY, NOBODY) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	CHILD_CHECK(kipc_recv(&c, a->send, 0) == -EPERM);
	CHILD_CHECK(kipc__ioctl(&c, KIPC_IOC_REPLY_RECV, a->send, 0, 0) == -EPERM);
	for (unsigned int r = 1; r <= KIPC_RIGHTS_ALL; r++)
		if (r != KIPC_RIGHT_SEND)
			CHILD_CHECK(kipc_ep_mint(&c, a->send, r, 0, 0) == -EPERM);
	CHILD_CHECK(kipc_ep_mint(&c, a->send, KIPC_RIGHT_SEND, 9,
				 KIPC_MINT_BADGE) == -EPERM);
	CHILD_CHECK(kipc_publish(&c, "test.grant", a->send, 0666, 0, 0) == -EPERM);
	/* Descriptors need GRANT. */
	kipc_fds(&c)[0] = 0;
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 1);
	CHILD_CHECK(kipc__ioctl(&c, KIPC_IOC_SEND, a->send, 0, 0) == -EPERM);
	/* The parent's context, inherited by fork, belongs to its process. */
	CHILD_CHECK(ioctl(a->ctxfd, KIPC_IOC_SEND, &ipc) == -1 && errno == EPERM);
	CHILD_CHECK(ioctl(a->ctxfd, KIPC_IOC_EP_CREATE,
			  &(struct kipc_ep_create){ 0 }) == -1 && errno == EPERM);
	/* Another user's descriptors are out of reach through /proc. */
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", a->parent, a->ep);
	CHILD_CHECK(open(path, O_RDWR) < 0 && errno == EACCES);
	/* What it may do: send, with the badge it was given. */
	kipc_mr(&c)[0] = getuid();
	CHILD_CHECK(kipc_send(&c, a->send, KIPC_TAG(2, 1), T_CHILD) == 0);
	return 0;
}

TEST_F(gr, unprivileged_gets_only_what_it_was_given)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0xfeed,
			     KIPC_MINT_BADGE);
	struct up_arg a = { .send = s, .ctxfd = self->c.fd, .parent = getpid() };
	int secret = kipc_ep_create(&self->c, 0);
	pid_t pid;

	ASSERT_GE(s, 0);
	ASSERT_GE(secret, 0);
	a.ep = secret;
	pid = spawn(unprivileged, &a);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	EXPECT_EQ(0xfeed, self->c.utcb->badge);
	EXPECT_EQ(NOBODY, self->c.utcb->uid);
	EXPECT_EQ(NOBODY, kipc_mr(&self->c)[0]);
	EXPECT_EQ(0, reap(pid));
	close(secret);
	close(s);
}

TEST_HARNESS_MAIN
