// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user limits (module parameters max_endpoints, max_names,
 * max_inflight): exceeding one fails with its errno and changes nothing
 * else; a task with CAP_SYS_RESOURCE is not held to them; another user's
 * count is its own.
 */
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "kipc_test.h"

#define NOBODY	65534
#define LIMIT	5

FIXTURE(lim) {
	struct kipc_ctx c;
	long eps, names, inflight;
	long eps0, names0, handles0;
};

FIXTURE_SETUP(lim)
{
	self->eps = kipc_param("max_endpoints");
	self->names = kipc_param("max_names");
	self->inflight = kipc_param("max_inflight");
	ASSERT_LT(0, self->eps);
	ASSERT_LT(0, self->names);
	ASSERT_LT(0, self->inflight);
	self->eps0 = kipc_stat("endpoints");
	self->names0 = kipc_stat("names");
	self->handles0 = kipc_stat("handles");
	ctx_open(&self->c);
}

FIXTURE_TEARDOWN(lim)
{
	kipc_ctx_close(&self->c);
	EXPECT_EQ(0, kipc_set_param("max_endpoints", self->eps));
	EXPECT_EQ(0, kipc_set_param("max_names", self->names));
	EXPECT_EQ(0, kipc_set_param("max_inflight", self->inflight));
	EXPECT_EQ(self->eps0, kipc_stat("endpoints"));
	EXPECT_EQ(self->names0, kipc_stat("names"));
	EXPECT_EQ(self->handles0, kipc_stat("handles"));
	EXPECT_EQ(0, kipc_stat("inflight"));
}

/* Creates endpoints as @uid until refused; returns how many it got. */
static int fill_endpoints(void *p)
{
	uid_t uid = *(uid_t *)p;
	struct kipc_ctx c;
	int ep[LIMIT + 1], n, more;

	CHILD_CHECK(become(uid, uid) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	for (n = 0; n < LIMIT; n++) {
		ep[n] = kipc_ep_create(&c, 0);
		CHILD_CHECK(ep[n] >= 0);
	}
	CHILD_CHECK(kipc_ep_create(&c, 0) == -ENOSPC);
	/* Nothing else changed: the handles and endpoints are as before. */
	CHILD_CHECK(kipc_stat("endpoints") >= LIMIT);
	/* Minting is not creating: allowed. */
	more = kipc_ep_mint(&c, ep[0], KIPC_RIGHT_SEND, 0, 0);
	CHILD_CHECK(more >= 0);
	/* An endpoint lives while any handle does. */
	close(ep[0]);
	CHILD_CHECK(kipc_ep_create(&c, 0) == -ENOSPC);
	close(more);
	ep[0] = kipc_ep_create(&c, 0);
	CHILD_CHECK(ep[0] >= 0);
	return 0;
}

TEST_F(lim, endpoints)
{
	uid_t u1 = NOBODY, u2 = 1000;
	int ep[LIMIT + 1];
	pid_t a, b;

	ASSERT_EQ(0, kipc_set_param("max_endpoints", LIMIT));
	EXPECT_EQ(0, reap(spawn(fill_endpoints, &u1)));
	/* The count died with the child's handles: the same user again. */
	EXPECT_EQ(0, reap(spawn(fill_endpoints, &u1)));
	/* Two users at once each have their own count. */
	a = spawn(fill_endpoints, &u1);
	b = spawn(fill_endpoints, &u2);
	EXPECT_EQ(0, reap(a));
	EXPECT_EQ(0, reap(b));
	/* Root has CAP_SYS_RESOURCE. */
	for (int i = 0; i <= LIMIT; i++) {
		ep[i] = kipc_ep_create(&self->c, 0);
		EXPECT_LE(0, ep[i]);
	}
	for (int i = 0; i <= LIMIT; i++)
		close(ep[i]);
}

static int fill_names(void *p)
{
	struct kipc_ctx c;
	char name[32];
	int ep;

	CHILD_CHECK(become(NOBODY, NOBODY) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	ep = kipc_ep_create(&c, 0);
	CHILD_CHECK(ep >= 0);
	for (int i = 0; i < LIMIT; i++) {
		snprintf(name, sizeof(name), "test.lim.%d", i);
		CHILD_CHECK(kipc_publish(&c, name, ep, 0600, 0, 0) == 0);
	}
	CHILD_CHECK(kipc_publish(&c, "test.lim.x", ep, 0600, 0, 0) == -ENOSPC);
	CHILD_CHECK(kipc_lookup(&c, "test.lim.x", 0) == -ENOENT);
	CHILD_CHECK(kipc_unpublish(&c, "test.lim.0", ep) == 0);
	CHILD_CHECK(kipc_publish(&c, "test.lim.x", ep, 0600, 0, 0) == 0);
	return 0;
}

TEST_F(lim, names)
{
	ASSERT_EQ(0, kipc_set_param("max_names", LIMIT));
	EXPECT_EQ(0, reap(spawn(fill_names, NULL)));
}

struct blk {
	int ep, n, ret;
};

static void *blocked_send(void *p)
{
	struct blk *b = p;
	struct kipc_ctx c;

	ctx_open(&c);
	for (int i = 0; i < b->n; i++)
		kipc_fds(&c)[i] = b->ep;
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), b->n);
	b->ret = -kipc__ioctl(&c, KIPC_IOC_SEND, b->ep, 10000 * MS, 0);
	kipc_ctx_close(&c);
	return NULL;
}

struct inf_arg {
	int ep, done;	/* done: write end of a pipe, written when checked */
};

static int fill_inflight(void *p)
{
	struct inf_arg *a = p;
	int ep = a->ep;
	struct blk b = { .ep = ep, .n = 3 };
	struct kipc_ctx c;
	pthread_t t;

	CHILD_CHECK(become(NOBODY, NOBODY) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	for (int i = 0; i < KIPC_MSG_FDS; i++)
		kipc_fds(&c)[i] = ep;
	/* Poll sends: charged for the call, given back. */
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), LIMIT + 1);
	CHILD_CHECK(kipc__ioctl(&c, KIPC_IOC_SEND, ep, 0, 0) == -ETOOMANYREFS);
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), LIMIT);
	CHILD_CHECK(kipc__ioctl(&c, KIPC_IOC_SEND, ep, 0, 0) == -EAGAIN);
	CHILD_CHECK(kipc_stat("inflight") == 0);
	/* A blocked sender holds 3: 3 more is too many, 2 fit. */
	CHILD_CHECK(pthread_create(&t, NULL, blocked_send, &b) == 0);
	CHILD_CHECK(wait_fdinfo(ep, "senders-waiting", 1) == 0);
	CHILD_CHECK(kipc_stat("inflight") == 3);
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 3);
	CHILD_CHECK(kipc__ioctl(&c, KIPC_IOC_SEND, ep, 0, 0) == -ETOOMANYREFS);
	c.utcb->tag = KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 2);
	/* Queued behind the blocked one: poll gives EAGAIN, nothing moves. */
	CHILD_CHECK(kipc__ioctl(&c, KIPC_IOC_SEND, ep, 0, 0) == -EAGAIN);
	CHILD_CHECK(fdinfo_value(0, ep, "senders-waiting") == 1);
	/* The receiver (our parent) takes the blocked message. */
	CHILD_CHECK(write(a->done, "k", 1) == 1);
	pthread_join(t, NULL);
	CHILD_CHECK(b.ret == 0);
	CHILD_CHECK(kipc_stat("inflight") == 0);
	return 0;
}

TEST_F(lim, inflight)
{
	struct inf_arg a = { .ep = kipc_ep_create(&self->c, 0) };
	int ep = a.ep, p[2];
	pid_t pid;
	char k;

	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, pipe(p));
	a.done = p[1];
	ASSERT_EQ(0, kipc_set_param("max_inflight", LIMIT));
	pid = spawn(fill_inflight, &a);
	/* The child's refused sends come before we receive. */
	ASSERT_EQ(1, read(p[0], &k, 1));
	kipc_accept_fds(&self->c, KIPC_MSG_FDS);
	ASSERT_EQ(0, kipc_recv(&self->c, ep, 10000 * MS));
	ASSERT_EQ(3, KIPC_TAG_FDS(kipc_tag(&self->c)));
	for (int i = 0; i < 3; i++)
		close(kipc_fds(&self->c)[i]);
	EXPECT_EQ(0, reap(pid));
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* ---- kernel memory is charged to the caller's memory cgroup ---- */

#define CG_ROOT		"/tmp/kipc-cg"
#define CG		CG_ROOT "/kipc"
#define NOBJ		512

static int cg_write(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, v, strlen(v)) == (ssize_t)strlen(v);
	close(fd);
	return ok ? 0 : -1;
}

/* Child: waits for "go", opens NOBJ of @what, says "done", waits to die. */
struct cg_arg {
	int go[2], done[2];
	bool kipc;
};

static int cg_child(void *p)
{
	struct cg_arg *a = p;
	char c;

	CHILD_CHECK(read(a->go[0], &c, 1) == 1);
	for (int i = 0; i < NOBJ; i++) {
		int fd = open(a->kipc ? KIPC_DEVICE : "/dev/null", O_RDWR);

		CHILD_CHECK(fd >= 0);
	}
	CHILD_CHECK(write(a->done[1], "d", 1) == 1);
	pause();
	return 0;
}

/* memory.current of the cgroup after the child of @kipc opened NOBJ files. */
static long cg_delta(bool kipc)
{
	struct cg_arg a = { .kipc = kipc };
	char pid[16], c;
	long m0, m1;
	pid_t child;

	if (pipe(a.go) || pipe(a.done))
		return -1;
	child = spawn(cg_child, &a);
	snprintf(pid, sizeof(pid), "%d", child);
	if (cg_write(CG "/cgroup.procs", pid))
		return -1;
	m0 = read_long(CG "/memory.current");
	if (write(a.go[1], "g", 1) != 1 || read(a.done[0], &c, 1) != 1)
		return -1;
	m1 = read_long(CG "/memory.current");
	kill(child, SIGKILL);
	reap(child);
	for (int i = 0; i < 2; i++) {
		close(a.go[i]);
		close(a.done[i]);
	}
	return m0 < 0 || m1 < 0 ? -1 : m1 - m0;
}

/*
 * A context is a page of kernel memory, allocated with GFP_KERNEL_ACCOUNT:
 * NOBJ contexts raise the cgroup's memory.current by at least NOBJ pages;
 * NOBJ opens of /dev/null (a file each, no page) by far less.
 */
TEST_F(lim, memory_charged_to_cgroup)
{
	long with_kipc, without;

	mkdir(CG_ROOT, 0755);
	if (mount("none", CG_ROOT, "cgroup2", 0, NULL))
		SKIP(return, "no cgroup2: %s", strerror(errno));
	if (cg_write(CG_ROOT "/cgroup.subtree_control", "+memory") ||
	    (mkdir(CG, 0755) && errno != EEXIST)) {
		umount(CG_ROOT);
		SKIP(return, "no memory controller");
	}
	with_kipc = cg_delta(true);
	without = cg_delta(false);
	TH_LOG("memory.current: +%ld with %d contexts, +%ld with %d files",
	       with_kipc, NOBJ, without, NOBJ);
	EXPECT_LE(NOBJ * 4096L, with_kipc);
	EXPECT_GT(NOBJ * 4096L / 2, without);
	EXPECT_EQ(0, rmdir(CG));
	EXPECT_EQ(0, umount(CG_ROOT));
}

/* Limits are module parameters, readable by everybody. */
TEST_F(lim, parameters_documented_defaults)
{
	EXPECT_EQ(1024, self->eps);
	EXPECT_EQ(64, self->names);
	EXPECT_EQ(256, self->inflight);
}

TEST_HARNESS_MAIN
