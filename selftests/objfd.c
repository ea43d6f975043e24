// SPDX-License-Identifier: GPL-2.0
/*
 * Management on the object's own descriptor (ABI 1.6, KIPC_FEAT_OBJ_IOCTL):
 * mint, publish, unpublish and bind on an endpoint handle, signal on a
 * notification, with no context (libkipc: a NULL context).  The field that
 * would name the object holds KIPC_FD_SELF; any other number is ENOTTY.
 */
#include <sys/wait.h>

#include "kipc_test.h"

KIPC_FIXTURE(objfd);

/* The errno of an ioctl that must fail; 0 if it did not (a new fd closed). */
static int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	if (ret < 0)
		return errno;
	if (ret > 0)
		close(ret);
	return 0;
}

TEST_F(objfd, feature_bit)
{
	struct kipc_version v;

	ASSERT_EQ(0, ioctl(self->c.fd, KIPC_IOC_VERSION, &v));
	EXPECT_TRUE(v.features & KIPC_FEAT_OBJ_IOCTL);
	EXPECT_GE(v.abi_minor, 6);
}

/* Rights only shrink, a badge needs RECV: as on a context. */
TEST_F(objfd, mint_on_the_handle)
{
	int s, b, r;

	s = kipc_ep_mint(NULL, self->ep, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(s, 0);
	EXPECT_EQ(KIPC_RIGHT_SEND, fdinfo_value(0, s, "rights"));
	EXPECT_EQ(0, fdinfo_value(0, s, "badge"));
	/* The same endpoint. */
	EXPECT_EQ(fdinfo_value(0, self->ep, "kipc-endpoint"),
		  fdinfo_value(0, s, "kipc-endpoint"));
	EXPECT_EQ(-EPERM, kipc_ep_mint(NULL, s, KIPC_RIGHT_SEND | KIPC_RIGHT_RECV, 0, 0));
	EXPECT_EQ(-EPERM, kipc_ep_mint(NULL, s, KIPC_RIGHT_SEND, 7, KIPC_MINT_BADGE));
	b = kipc_ep_mint(NULL, self->ep, KIPC_RIGHT_SEND, 0x5eed, KIPC_MINT_BADGE);
	ASSERT_GE(b, 0);
	EXPECT_EQ(0x5eed, fdinfo_value(0, b, "badge"));
	/* A badged send handle passes its badge on. */
	r = kipc_ep_mint(NULL, b, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(r, 0);
	EXPECT_EQ(0x5eed, fdinfo_value(0, r, "badge"));
	/* Without KIPC_FD_INHERIT the new descriptor is close-on-exec. */
	EXPECT_EQ(FD_CLOEXEC, fcntl(r, F_GETFD) & FD_CLOEXEC);
	close(r);
	close(b);
	close(s);
}

/* The raw ioctl: the object's field, flags, padding, reserved words. */
TEST_F(objfd, mint_argument_checks)
{
	struct kipc_ep_mint a = { .fd = KIPC_FD_SELF, .rights = KIPC_RIGHT_SEND };
	int fd;

	fd = ioctl(self->ep, KIPC_IOC_EP_MINT, &a);
	ASSERT_GE(fd, 0);
	close(fd);
	a.fd = self->ep;	/* itself, but by number: not KIPC_FD_SELF */
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_EP_MINT, &a));
	a.fd = KIPC_FD_SELF;
	a.__pad = 1;
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_EP_MINT, &a));
	a.__pad = 0;
	a.__reserved[1] = 1;
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_EP_MINT, &a));
	a.__reserved[1] = 0;
	a.flags = 1U << 30;
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_EP_MINT, &a));
	a.flags = 0;
	a.rights = 0;
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_EP_MINT, &a));
	a.rights = KIPC_RIGHT_SEND;
	a.badge = 3;		/* without KIPC_MINT_BADGE */
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_EP_MINT, &a));
	EXPECT_EQ(EFAULT, ioctl_errno(self->ep, KIPC_IOC_EP_MINT, (void *)8));
}

/* Only the management numbers of the object: the rest is ENOTTY. */
TEST_F(objfd, other_numbers_are_enotty)
{
	static const unsigned long on_handle[] = {
		KIPC_IOC_VERSION, KIPC_IOC_EP_CREATE, KIPC_IOC_LOOKUP,
		KIPC_IOC_CALL, KIPC_IOC_MRECV, KIPC_IOC_NTFN_SIGNAL,
		KIPC_IOC_NTFN_WAIT, KIPC_IOC_CANCEL, KIPC_IOC_REGION_CREATE,
		KIPC_IOC_REGION_INFO,
	};
	static const unsigned long on_ntfn[] = {
		KIPC_IOC_VERSION, KIPC_IOC_EP_MINT, KIPC_IOC_PUBLISH,
		KIPC_IOC_NTFN_WAIT, KIPC_IOC_NTFN_BIND, KIPC_IOC_NTFN_CREATE,
	};
	unsigned char junk[512] = { 0 };
	int n = kipc_ntfn_create(&self->c, 0);

	ASSERT_GE(n, 0);
	for (size_t i = 0; i < sizeof(on_handle) / sizeof(on_handle[0]); i++) {
		EXPECT_EQ(ENOTTY, ioctl_errno(self->ep, on_handle[i], junk));
	}
	for (size_t i = 0; i < sizeof(on_ntfn) / sizeof(on_ntfn[0]); i++) {
		EXPECT_EQ(ENOTTY, ioctl_errno(n, on_ntfn[i], junk));
	}
	close(n);
}

TEST_F(objfd, publish_and_unpublish_on_the_handle)
{
	struct kipc_publish a = { .mode = 0600 };
	char name[64];
	int s, l;

	snprintf(name, sizeof(name), "objfd-%d", getpid());
	memcpy(a.name, name, strlen(name));
	s = kipc_ep_mint(NULL, self->ep, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(s, 0);
	/* A good name and mode, the handle named by number: EINVAL, nothing published. */
	a.fd = self->ep;
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_PUBLISH, &a));
	EXPECT_EQ(-ENOENT, kipc_lookup(&self->c, name, 0));
	EXPECT_EQ(-EPERM, kipc_publish(NULL, name, s, 0600, 0, 0));
	EXPECT_EQ(-EINVAL, kipc_publish(NULL, name, self->ep, 01000, 0, 0));
	ASSERT_EQ(0, kipc_publish(NULL, name, self->ep, 0600, KIPC_PUBLISH_BADGE, 0x77));
	EXPECT_EQ(-EEXIST, kipc_publish(NULL, name, self->ep, 0600, 0, 0));
	l = kipc_lookup(&self->c, name, 0);
	ASSERT_GE(l, 0);
	EXPECT_EQ(0x77, fdinfo_value(0, l, "badge"));
	EXPECT_EQ(fdinfo_value(0, self->ep, "kipc-endpoint"),
		  fdinfo_value(0, l, "kipc-endpoint"));
	close(l);
	EXPECT_EQ(-EPERM, kipc_unpublish(NULL, name, s));
	/* The raw ioctl: the handle by number is not KIPC_FD_SELF. */
	a.fd = self->ep;
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_UNPUBLISH, &a));
	EXPECT_EQ(0, kipc_unpublish(NULL, name, self->ep));
	EXPECT_EQ(-ENOENT, kipc_unpublish(NULL, name, self->ep));
	EXPECT_EQ(-ENOENT, kipc_lookup(&self->c, name, 0));
	close(s);
}

TEST_F(objfd, signal_on_the_notification)
{
	struct kipc_notify a = { .fd = KIPC_FD_SELF, .bits = 1 };
	int n = kipc_ntfn_create(&self->c, 0);

	ASSERT_GE(n, 0);
	EXPECT_EQ(0, kipc_ntfn_signal(NULL, n, 0x5));
	EXPECT_EQ(0, kipc_ntfn_signal(NULL, n, 0x100));
	EXPECT_EQ(0x105, fdinfo_value(0, n, "bits"));
	ASSERT_EQ(0, kipc_ntfn_wait(&self->c, n, KIPC_TIMEOUT_POLL));
	EXPECT_EQ(0x105, kipc_ntfn_bits(&self->c));
	EXPECT_EQ(-EINVAL, kipc_ntfn_signal(NULL, n, 0));
	a.fd = n;
	EXPECT_EQ(EINVAL, ioctl_errno(n, KIPC_IOC_NTFN_SIGNAL, &a));
	a.fd = KIPC_FD_SELF;
	a.timeout = 1;
	EXPECT_EQ(EINVAL, ioctl_errno(n, KIPC_IOC_NTFN_SIGNAL, &a));
	a.timeout = 0;
	a.__reserved[0] = 1;
	EXPECT_EQ(EINVAL, ioctl_errno(n, KIPC_IOC_NTFN_SIGNAL, &a));
	EXPECT_EQ(0, fdinfo_value(0, n, "bits"));
	close(n);
}

/* Bound through the handle, the bits wake a receive on the endpoint. */
TEST_F(objfd, bind_on_the_handle)
{
	struct kipc_notify_bind a = { .fd = -1, .ep = KIPC_FD_SELF };
	int n = kipc_ntfn_create(&self->c, 0);
	int s = kipc_ep_mint(NULL, self->ep, KIPC_RIGHT_SEND, 0, 0);

	ASSERT_GE(n, 0);
	ASSERT_GE(s, 0);
	EXPECT_EQ(-EPERM, kipc_ntfn_bind(NULL, n, s));
	EXPECT_EQ(-EBADF, kipc_ntfn_bind(NULL, s, self->ep));	/* no notification */
	ASSERT_EQ(0, kipc_ntfn_bind(NULL, n, self->ep));
	EXPECT_EQ(fdinfo_value(0, self->ep, "kipc-endpoint"),
		  fdinfo_value(0, n, "bound-endpoint"));
	EXPECT_EQ(0, kipc_ntfn_signal(NULL, n, 0x40));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
	EXPECT_TRUE(kipc_is_notification(&self->c));
	EXPECT_EQ(0x40, kipc_ntfn_bits(&self->c));
	a.fd = n;
	a.ep = self->ep;	/* the handle by number: not KIPC_FD_SELF */
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_NTFN_BIND, &a));
	a.ep = KIPC_FD_SELF;
	a.flags = 2;
	EXPECT_EQ(EINVAL, ioctl_errno(self->ep, KIPC_IOC_NTFN_BIND, &a));
	ASSERT_EQ(0, kipc_ntfn_unbind(NULL, n, self->ep));
	EXPECT_EQ(0, fdinfo_value(0, n, "bound-endpoint"));
	EXPECT_EQ(0, kipc_ntfn_signal(NULL, n, 0x40));
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
	close(s);
	close(n);
}

/*
 * A process that never opens /dev/kipc: it holds a handle and a
 * notification (inherited) and manages both.
 */
TEST_F(objfd, no_context_in_the_process)
{
	int n = kipc_ntfn_create(&self->c, KIPC_FD_INHERIT), st;
	pid_t pid;

	ASSERT_GE(n, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int s;

		/* Nothing of /dev/kipc is left in this process. */
		kipc_ctx_close(&self->c);
		s = kipc_ep_mint(NULL, self->ep, KIPC_RIGHT_SEND, 9, KIPC_MINT_BADGE);
		if (s < 0 || fdinfo_value(0, s, "badge") != 9)
			_exit(1);
		if (kipc_ntfn_bind(NULL, n, self->ep))
			_exit(2);
		if (kipc_ntfn_signal(NULL, n, 0x8))
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(0, WEXITSTATUS(st));
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
	EXPECT_TRUE(kipc_is_notification(&self->c));
	EXPECT_EQ(0x8, kipc_ntfn_bits(&self->c));
	EXPECT_EQ(0, kipc_ntfn_unbind(NULL, n, self->ep));
	close(n);
}

TEST_HARNESS_MAIN
