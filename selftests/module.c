// SPDX-License-Identifier: GPL-2.0
/*
 * The module cannot be unloaded while anything of it is in use - an open
 * context, an endpoint handle, a mapped message area, a blocked
 * operation - and unloads cleanly and loads again after.
 *
 * Runs last in the VM, as root, with the module loaded from /kipc.ko
 * (KIPC_KO overrides the path); leaves the module loaded.
 */
#include <sys/stat.h>

#include "kipc_test.h"

#define MODNAME		"kipc"
#define SYSMOD		"/sys/module/" MODNAME

static const char *ko_path(void)
{
	const char *p = getenv("KIPC_KO");

	return p ? p : "/kipc.ko";
}

/* delete_module without waiting: -EWOULDBLOCK while the module is in use. */
static int unload(void)
{
	return syscall(SYS_delete_module, MODNAME, O_NONBLOCK) ? -errno : 0;
}

static int load(void)
{
	int fd = open(ko_path(), O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* The module's reference count, -1 if it is not loaded. */
static long refcnt(void)
{
	return read_long(SYSMOD "/refcnt");
}

/* Wait until the module's reference count is @n (references are dropped
 * by exiting children); gives up after 10 s. */
static int wait_refcnt(long n)
{
	for (int i = 0; i < 10000; i++) {
		if (refcnt() == n)
			return 0;
		sleep_ms(1);
	}
	return -1;
}

static int wait_exists(const char *path, int want)
{
	for (int i = 0; i < 2000; i++) {
		if (exists(path) == want)
			return 0;
		sleep_ms(1);
	}
	return -1;
}

/* The device works: a context, an endpoint, a poll send that finds nobody. */
static int works(void)
{
	struct kipc_ctx c;
	int ep, ret;

	ret = kipc_ctx_open(&c);
	if (ret)
		return ret;
	ep = kipc_ep_create(&c, 0);
	if (ep < 0) {
		kipc_ctx_close(&c);
		return ep;
	}
	ret = kipc_send(&c, ep, KIPC_TAG(1, 0), KIPC_TIMEOUT_POLL);
	close(ep);
	kipc_ctx_close(&c);
	return ret == -EAGAIN ? 0 : (ret ? ret : -EPROTO);
}

FIXTURE(mod) {
	int dummy;
};

FIXTURE_SETUP(mod)
{
	if (geteuid())
		SKIP(return, "needs root (delete_module, finit_module)");
	if (!exists(SYSMOD) && !exists(ko_path()))
		SKIP(return, "kipc is not loaded and %s is missing", ko_path());
	/* An earlier failure may have left it unloaded. */
	if (!exists(SYSMOD))
		ASSERT_EQ(0, load());
	ASSERT_EQ(0, wait_exists(KIPC_DEVICE, 1));
	/* Nothing of an earlier test may still hold it. */
	ASSERT_EQ(0, wait_refcnt(0));
}

FIXTURE_TEARDOWN(mod)
{
}

/* An open context holds the module. */
TEST_F(mod, busy_while_context_open)
{
	struct kipc_ctx c;

	ctx_open(&c);
	EXPECT_EQ(1, refcnt());
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(exists(SYSMOD));
	/* The refused unload changed nothing. */
	EXPECT_EQ(0, works());
	EXPECT_EQ(1, refcnt());
	kipc_ctx_close(&c);
	EXPECT_EQ(0, refcnt());
}

/* An endpoint handle alone holds the module: its context is gone. */
TEST_F(mod, busy_while_only_a_handle_open)
{
	struct kipc_ctx c;
	int ep;

	ctx_open(&c);
	ep = kipc_ep_create(&c, 0);
	ASSERT_GE(ep, 0);
	kipc_ctx_close(&c);
	EXPECT_EQ(1, refcnt());
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(exists(SYSMOD));
	/* The handle still names a live endpoint. */
	EXPECT_LT(0, fdinfo_value(0, ep, "kipc-endpoint"));
	EXPECT_EQ(1, fdinfo_value(0, ep, "send-handles"));
	close(ep);
	EXPECT_EQ(0, refcnt());
}

/* A mapped message area alone holds the module: its fd is closed. */
TEST_F(mod, busy_while_only_a_mapping_remains)
{
	struct kipc_ctx c;
	volatile __u64 *mr;

	ctx_open(&c);
	close(c.fd);
	c.fd = -1;
	EXPECT_EQ(1, refcnt());
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(exists(SYSMOD));
	/* The page is still there and usable. */
	mr = c.utcb->mr;
	mr[63] = 0x1234;
	EXPECT_EQ(0x1234, mr[63]);
	kipc_ctx_close(&c);
	EXPECT_EQ(0, refcnt());
}

static int blocked_receiver(void *arg)
{
	int *pfd = arg;
	struct kipc_ctx c;
	int ep;

	ctx_open(&c);
	ep = kipc_ep_create(&c, 0);
	if (ep < 0 || write(pfd[1], &ep, sizeof(ep)) != sizeof(ep))
		return 1;
	kipc_recv(&c, ep, INF);
	return 2;	/* nobody ever sends */
}

/* A process blocked in recv holds the module until it is killed. */
TEST_F(mod, busy_while_blocked_in_recv)
{
	int pfd[2], ep = -1;
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = spawn(blocked_receiver, pfd);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(sizeof(ep), read(pfd[0], &ep, sizeof(ep)));
	close(pfd[0]);
	close(pfd[1]);
	/* Until the child sleeps in the kernel, queued on its endpoint. */
	for (int i = 0; i < 20000 && fdinfo_value(pid, ep, "receivers-waiting") != 1; i++)
		sleep_ms(1);
	ASSERT_EQ(1, fdinfo_value(pid, ep, "receivers-waiting"));
	/* Its context and its handle; this process holds nothing. */
	EXPECT_EQ(2, refcnt());
	EXPECT_EQ(-EWOULDBLOCK, unload());
	EXPECT_TRUE(exists(SYSMOD));
	EXPECT_EQ(0, works());
	/* Still blocked, and a kill ends the wait. */
	EXPECT_EQ(1, fdinfo_value(pid, ep, "receivers-waiting"));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, reap(pid));
	EXPECT_EQ(0, wait_refcnt(0));
}

/* Unused, it unloads: the device goes; loaded again, it works again. */
TEST_F(mod, unload_and_reload)
{
	for (int round = 0; round < 2; round++) {
		ASSERT_EQ(0, unload());
		EXPECT_FALSE(exists(SYSMOD));
		EXPECT_EQ(0, wait_exists(KIPC_DEVICE, 0));
		EXPECT_EQ(-1, open(KIPC_DEVICE, O_RDWR));
		EXPECT_EQ(ENOENT, errno);
		/* Unloading what is not there fails plainly. */
		EXPECT_EQ(-ENOENT, unload());

		ASSERT_EQ(0, load());
		ASSERT_TRUE(exists(SYSMOD));
		ASSERT_EQ(0, wait_exists(KIPC_DEVICE, 1));
		EXPECT_EQ(0, refcnt());
		EXPECT_EQ(0, works());
		EXPECT_EQ(0, refcnt());
	}
	/* Left loaded, as it was found. */
	EXPECT_TRUE(exists(SYSMOD));
}

TEST_HARNESS_MAIN
