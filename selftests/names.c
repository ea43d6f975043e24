// SPDX-License-Identifier: GPL-2.0
/*
 * Named services: publish, lookup and unpublish; owner and mode decide who
 * may look a name up; names are scoped to the IPC namespace and vanish when
 * the last receive handle of their endpoint closes.
 */
#include <sched.h>

#include "kipc_test.h"

#define T_CHILD	(10000 * MS)
#define NOBODY	65534

FIXTURE(nm) {
	struct kipc_ctx c;
	int ep;
	long names0;
};

FIXTURE_SETUP(nm)
{
	self->names0 = kipc_stat("names");
	ctx_open(&self->c);
	self->ep = kipc_ep_create(&self->c, KIPC_FD_INHERIT);
	ASSERT_GE(self->ep, 0);
}

FIXTURE_TEARDOWN(nm)
{
	close(self->ep);
	kipc_ctx_close(&self->c);
	EXPECT_EQ(self->names0, kipc_stat("names"));
}

/* Is @name listed in /proc/kipc/names (as the reader's namespace sees)? */
static int listed(const char *name)
{
	char line[256], n[KIPC_NAME_MAX + 1];
	FILE *f = fopen("/proc/kipc/names", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%64s", n) == 1 && !strcmp(n, name))
			found = 1;
	fclose(f);
	return found;
}

/* The badge and rights of a handle, from its fdinfo. */
static long rights_of(int fd)
{
	return fdinfo_value(0, fd, "rights");
}

/* A looked-up handle reaches the server, with the published badge. */
TEST_F(nm, publish_lookup_call)
{
	int h, hb;

	ASSERT_EQ(0, kipc_publish(&self->c, "test.plain", self->ep, 0666, 0, 0));
	ASSERT_EQ(0, kipc_publish(&self->c, "test.badged", self->ep, 0666,
				  KIPC_PUBLISH_BADGE | KIPC_PUBLISH_GRANT, 0xbad));
	EXPECT_EQ(self->names0 + 2, kipc_stat("names"));
	EXPECT_EQ(1, listed("test.plain"));
	EXPECT_EQ(1, listed("test.badged"));
	h = kipc_lookup(&self->c, "test.plain", 0);
	hb = kipc_lookup(&self->c, "test.badged", 0);
	ASSERT_GE(h, 0);
	ASSERT_GE(hb, 0);
	EXPECT_EQ(KIPC_RIGHT_SEND, rights_of(h));
	EXPECT_EQ(KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT, rights_of(hb));
	EXPECT_EQ(0, fdinfo_value(0, h, "badge"));
	EXPECT_EQ(0xbad, fdinfo_value(0, hb, "badge"));
	EXPECT_EQ(1, is_cloexec(h));
	/* Through it a message arrives with the badge. */
	EXPECT_EQ(-EAGAIN, kipc_send(&self->c, hb, KIPC_TAG(1, 0), 0));
	EXPECT_EQ(-EPERM, kipc_recv(&self->c, h, 0));
	close(h);
	close(hb);
	h = kipc_lookup(&self->c, "test.plain", KIPC_FD_INHERIT);
	ASSERT_GE(h, 0);
	EXPECT_EQ(0, is_cloexec(h));
	close(h);
	EXPECT_EQ(0, kipc_unpublish(&self->c, "test.plain", self->ep));
	EXPECT_EQ(-ENOENT, kipc_lookup(&self->c, "test.plain", 0));
	EXPECT_EQ(0, listed("test.plain"));
	EXPECT_EQ(0, kipc_unpublish(&self->c, "test.badged", self->ep));
}

/* Argument errors and conflicts. */
TEST_F(nm, errors)
{
	int s = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	int other = kipc_ep_create(&self->c, 0);
	struct kipc_publish p = { .fd = self->ep, .mode = 0600 };
	struct kipc_lookup l = { 0 };
	static const char *const bad[] = { "", "a b", "tab\there", "\x7f" };

	ASSERT_GE(s, 0);
	ASSERT_GE(other, 0);
	for (int i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, kipc_publish(&self->c, bad[i], self->ep, 0600, 0, 0));
		EXPECT_EQ(-EINVAL, kipc_lookup(&self->c, bad[i], 0));
	}
	/* Not terminated within KIPC_NAME_MAX; garbage after the NUL. */
	memset(p.name, 'a', sizeof(p.name));
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_PUBLISH, &p));
	EXPECT_EQ(EINVAL, errno);
	memset(p.name, 0, sizeof(p.name));
	strcpy(p.name, "x");
	p.name[5] = 'y';
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_PUBLISH, &p));
	EXPECT_EQ(EINVAL, errno);
	p.name[5] = 0;
	/* Reserved, flags, mode and badge checks. */
	p.__reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_PUBLISH, &p));
	EXPECT_EQ(EINVAL, errno);
	p.__reserved[1] = 0;
	p.mode = 01000;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_PUBLISH, &p));
	EXPECT_EQ(EINVAL, errno);
	p.mode = 0600;
	p.badge = 5;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_PUBLISH, &p));
	EXPECT_EQ(EINVAL, errno);
	p.badge = 0;
	p.flags = 1U << 7;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_PUBLISH, &p));
	EXPECT_EQ(EINVAL, errno);
	strcpy(l.name, "x");
	l.flags = 2;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_LOOKUP, &l));
	EXPECT_EQ(EINVAL, errno);
	l.flags = 0;
	l.__pad = 1;
	EXPECT_EQ(-1, ioctl(self->c.fd, KIPC_IOC_LOOKUP, &l));
	EXPECT_EQ(EINVAL, errno);
	/* Publishing needs the receive right; a bad fd is EBADF. */
	EXPECT_EQ(-EPERM, kipc_publish(&self->c, "test.e", s, 0600, 0, 0));
	EXPECT_EQ(-EBADF, kipc_publish(&self->c, "test.e", self->c.fd, 0600, 0, 0));
	EXPECT_EQ(-EBADF, kipc_publish(&self->c, "test.e", -1, 0600, 0, 0));
	EXPECT_EQ(self->names0, kipc_stat("names"));
	/* Taken names; unpublish needs the same endpoint. */
	ASSERT_EQ(0, kipc_publish(&self->c, "test.e", self->ep, 0600, 0, 0));
	EXPECT_EQ(-EEXIST, kipc_publish(&self->c, "test.e", self->ep, 0600, 0, 0));
	EXPECT_EQ(-EEXIST, kipc_publish(&self->c, "test.e", other, 0600, 0, 0));
	EXPECT_EQ(-EPERM, kipc_unpublish(&self->c, "test.e", other));
	EXPECT_EQ(-EPERM, kipc_unpublish(&self->c, "test.e", s));
	EXPECT_EQ(-ENOENT, kipc_unpublish(&self->c, "test.none", self->ep));
	EXPECT_EQ(-ENOENT, kipc_lookup(&self->c, "test.none", 0));
	EXPECT_EQ(0, kipc_unpublish(&self->c, "test.e", self->ep));
	close(other);
	close(s);
}

/*
 * A name vanishes when the last receive handle closes, even while send
 * handles (looked up or minted) remain.
 */
TEST_F(nm, vanishes_with_last_receive_handle)
{
	int ep = kipc_ep_create(&self->c, 0);
	int r = kipc_ep_mint(&self->c, ep, KIPC_RIGHT_RECV, 0, 0);
	int h;

	ASSERT_GE(ep, 0);
	ASSERT_GE(r, 0);
	ASSERT_EQ(0, kipc_publish(&self->c, "test.vanish", ep, 0666, 0, 0));
	h = kipc_lookup(&self->c, "test.vanish", 0);
	ASSERT_GE(h, 0);
	close(ep);
	/* r still receives: the name stays. */
	EXPECT_EQ(1, listed("test.vanish"));
	close(r);
	EXPECT_EQ(0, listed("test.vanish"));
	EXPECT_EQ(-ENOENT, kipc_lookup(&self->c, "test.vanish", 0));
	EXPECT_EQ(self->names0, kipc_stat("names"));
	EXPECT_EQ(-EPIPE, kipc_send(&self->c, h, KIPC_TAG(1, 0), 0));
	close(h);
}

struct who {
	uid_t uid;
	gid_t gid;
	const char *name;
	int want;	/* expected result of the lookup */
};

static int lookup_as(void *p)
{
	struct who *w = p;
	struct kipc_ctx c;
	int h;

	CHILD_CHECK(become(w->uid, w->gid) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	h = kipc_lookup(&c, w->name, 0);
	if (w->want < 0) {
		CHILD_CHECK(h == w->want);
	} else {
		CHILD_CHECK(h >= 0);
		CHILD_CHECK(kipc_send(&c, h, KIPC_TAG(3, 0), 0) == -EAGAIN);
		/* Looked up: send only, no way to more. */
		CHILD_CHECK(kipc_recv(&c, h, 0) == -EPERM);
		CHILD_CHECK(kipc_ep_mint(&c, h, KIPC_RIGHT_RECV, 0, 0) == -EPERM);
		CHILD_CHECK(kipc_ep_mint(&c, h, KIPC_RIGHT_SEND, 1,
					 KIPC_MINT_BADGE) == -EPERM);
	}
	/* Not the owner: cannot unpublish without a receive handle. */
	CHILD_CHECK(kipc_unpublish(&c, w->name, h >= 0 ? h : -1) ==
		    (h >= 0 ? -EPERM : -EBADF));
	return 0;
}

static int run_as(uid_t uid, gid_t gid, const char *name, int want)
{
	struct who w = { uid, gid, name, want };

	return reap(spawn(lookup_as, &w));
}

/*
 * Owner and mode: only the write bit of the class the caller falls in
 * counts.  Root (CAP_IPC_OWNER) passes any mode.
 */
TEST_F(nm, mode_admits)
{
	/* Published by root: owner 0, group 0. */
	ASSERT_EQ(0, kipc_publish(&self->c, "test.m600", self->ep, 0600, 0, 0));
	ASSERT_EQ(0, kipc_publish(&self->c, "test.m620", self->ep, 0620, 0, 0));
	ASSERT_EQ(0, kipc_publish(&self->c, "test.m602", self->ep, 0602, 0, 0));
	ASSERT_EQ(0, kipc_publish(&self->c, "test.m644", self->ep, 0644, 0, 0));
	EXPECT_EQ(0, run_as(NOBODY, NOBODY, "test.m600", -EACCES));
	EXPECT_EQ(0, run_as(NOBODY, NOBODY, "test.m620", -EACCES));
	EXPECT_EQ(0, run_as(NOBODY, 0, "test.m620", 0));
	EXPECT_EQ(0, run_as(NOBODY, NOBODY, "test.m602", 0));
	/* Read permission is not enough. */
	EXPECT_EQ(0, run_as(NOBODY, NOBODY, "test.m644", -EACCES));
	EXPECT_EQ(0, run_as(NOBODY, NOBODY, "test.none", -ENOENT));
	/* The owner's class. */
	EXPECT_EQ(0, run_as(0, 0, "test.m600", 0));
	for (int i = 0; i < 4; i++) {
		static const char *const n[] = {
			"test.m600", "test.m620", "test.m602", "test.m644",
		};
		EXPECT_EQ(0, kipc_unpublish(&self->c, n[i], self->ep));
	}
}

/* Published by an unprivileged owner: the owner class is its fsuid. */
static int publish_as_nobody(void *p)
{
	int ep = *(int *)p, fd[2];
	struct kipc_ctx c;

	CHILD_CHECK(become(NOBODY, NOBODY) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	CHILD_CHECK(kipc_publish(&c, "test.owned", ep, 0200, 0, 0) == 0);
	fd[0] = kipc_lookup(&c, "test.owned", 0);
	CHILD_CHECK(fd[0] >= 0);
	close(fd[0]);
	return 0;
}

static int lookup_as_1000(void *p)
{
	struct kipc_ctx c;

	CHILD_CHECK(become(1000, 1000) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	CHILD_CHECK(kipc_lookup(&c, "test.owned", 0) == -EACCES);
	return 0;
}

TEST_F(nm, owner_is_publisher)
{
	int r = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_RECV, 0, 0), h;

	ASSERT_GE(r, 0);
	EXPECT_EQ(0, reap(spawn(publish_as_nobody, &r)));
	EXPECT_EQ(0, reap(spawn(lookup_as_1000, NULL)));
	EXPECT_EQ(1, listed("test.owned"));
	/* Mode 0200 leaves root out but for CAP_IPC_OWNER. */
	h = kipc_lookup(&self->c, "test.owned", 0);
	EXPECT_LE(0, h);
	close(h);
	EXPECT_EQ(0, kipc_unpublish(&self->c, "test.owned", self->ep));
	close(r);
}

/*
 * IPC namespaces: a child in a new one sees none of our names and may
 * publish the same name; we do not see its name.  When it exits, its
 * namespace dies; its name goes with the endpoint's last receive handle.
 */
static int in_new_ipcns(void *p)
{
	int ep = *(int *)p;
	struct kipc_ctx c;

	CHILD_CHECK(unshare(CLONE_NEWIPC) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	CHILD_CHECK(kipc_lookup(&c, "test.ns", 0) == -ENOENT);
	CHILD_CHECK(listed("test.ns") == 0);
	CHILD_CHECK(kipc_unpublish(&c, "test.ns", ep) == -ENOENT);
	CHILD_CHECK(kipc_publish(&c, "test.ns", ep, 0600, KIPC_PUBLISH_BADGE, 2) == 0);
	CHILD_CHECK(kipc_publish(&c, "test.ns.child", ep, 0600, 0, 0) == 0);
	CHILD_CHECK(listed("test.ns.child") == 1);
	CHILD_CHECK(fdinfo_value(0, kipc_lookup(&c, "test.ns", 0), "badge") == 2);
	return 0;
}

TEST_F(nm, ipc_namespace_scope)
{
	int ep = kipc_ep_create(&self->c, 0), h;

	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, kipc_publish(&self->c, "test.ns", self->ep, 0600,
				  KIPC_PUBLISH_BADGE, 1));
	EXPECT_EQ(0, reap(spawn(in_new_ipcns, &ep)));
	/* Ours is still ours; the child's are invisible here. */
	h = kipc_lookup(&self->c, "test.ns", 0);
	ASSERT_GE(h, 0);
	EXPECT_EQ(1, fdinfo_value(0, h, "badge"));
	close(h);
	EXPECT_EQ(-ENOENT, kipc_lookup(&self->c, "test.ns.child", 0));
	EXPECT_EQ(0, listed("test.ns.child"));
	EXPECT_EQ(self->names0 + 3, kipc_stat("names"));
	/* The dead namespace's names go with the endpoint. */
	close(ep);
	EXPECT_EQ(self->names0 + 1, kipc_stat("names"));
	EXPECT_EQ(0, kipc_unpublish(&self->c, "test.ns", self->ep));
}

/*
 * The example's flow: a client finds the server by name; the server sees
 * the badge of the name and the client's uid.
 */
static int nobody_client(void *p)
{
	struct kipc_ctx c;
	int h;

	CHILD_CHECK(become(NOBODY, NOBODY) == 0);
	CHILD_CHECK(kipc_ctx_open(&c) == 0);
	h = kipc_lookup(&c, "test.svc", 0);
	CHILD_CHECK(h >= 0);
	kipc_mr(&c)[0] = 40;
	CHILD_CHECK(kipc_call(&c, h, KIPC_TAG(1, 1), T_CHILD) == 0);
	CHILD_CHECK(kipc_mr(&c)[0] == 42);
	return 0;
}

TEST_F(nm, server_checks_badge_and_uid)
{
	pid_t pid;

	ASSERT_EQ(0, kipc_publish(&self->c, "test.svc", self->ep, 0666,
				  KIPC_PUBLISH_BADGE, 0x5e5));
	pid = spawn(nobody_client, NULL);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, T_CHILD));
	EXPECT_EQ(0x5e5, self->c.utcb->badge);
	EXPECT_EQ(NOBODY, self->c.utcb->uid);
	EXPECT_EQ(NOBODY, self->c.utcb->gid);
	EXPECT_EQ(pid, self->c.utcb->pid);
	kipc_mr(&self->c)[0] += 2;
	ASSERT_EQ(0, kipc_reply(&self->c, KIPC_TAG(1, 1)));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, kipc_unpublish(&self->c, "test.svc", self->ep));
}

/* Run @argv as @uid with stdout to /dev/null; its exit status. */
static int run_prog(uid_t uid, char *const argv[])
{
	pid_t pid = fork();

	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		if (uid && become(uid, uid))
			_exit(120);
		execv(argv[0], argv);
		_exit(121);
	}
	return reap(pid);
}

/*
 * examples/name-server and name-client: found by name, the server serves
 * only its uid (0 here) and tells others no; the name goes with it.
 */
TEST_F(nm, example_name_server)
{
	char *srv[] = { "/examples/name-server", "test.example", "0", "3", NULL };
	char *cli[] = { "/examples/name-client", "test.example", "41", NULL };
	pid_t pid;

	if (access(srv[0], X_OK) || access(cli[0], X_OK))
		SKIP(return, "examples not in /examples");
	pid = fork();
	if (!pid) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 1);
		execv(srv[0], srv);
		_exit(121);
	}
	for (int i = 0; i < 10000 && listed("test.example") != 1; i++)
		sleep_ms(1);
	ASSERT_EQ(1, listed("test.example"));
	EXPECT_EQ(0, run_prog(0, cli));
	EXPECT_EQ(3, run_prog(NOBODY, cli));
	EXPECT_EQ(0, run_prog(0, cli));
	EXPECT_EQ(0, reap(pid));
	EXPECT_EQ(0, listed("test.example"));
	EXPECT_EQ(1, run_prog(0, cli));
}

TEST_HARNESS_MAIN
