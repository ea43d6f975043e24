// SPDX-License-Identifier: GPL-2.0
/*
 * The management ioctls of a context: each argument struct is copied in
 * and checked here (flags, padding and reserved fields must be 0),
 * descriptors are resolved, and the object's file does the rest.  The IPC
 * operations themselves are op.c's.
 */
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "internal.h"

/* Out of line: its result on the stack would cost every ioctl a frame. */
static noinline long kipc_version_ioctl(struct kipc_version __user *uarg)
{
	struct kipc_version v = {
		.abi_major = KIPC_ABI_MAJOR,
		.abi_minor = KIPC_ABI_MINOR,
		.msg_regs = KIPC_MSG_REGS,
		.utcb_size = KIPC_UTCB_SIZE,
		.features = KIPC_FEAT_UTCB | KIPC_FEAT_BADGE | KIPC_FEAT_CREDS |
			    KIPC_FEAT_FDS | KIPC_FEAT_NAMES | KIPC_FEAT_CALLER |
			    KIPC_FEAT_LIMITS | KIPC_FEAT_NOTIFY | KIPC_FEAT_POLL |
			    KIPC_FEAT_URING | KIPC_FEAT_AREA_ARGS |
			    KIPC_FEAT_SEND_RECV | KIPC_FEAT_SCHED |
			    KIPC_FEAT_BULK | KIPC_FEAT_OBJ_IOCTL |
			    KIPC_FEAT_FORWARD,
	};

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long kipc_ep_create_ioctl(const struct kipc_ep_create __user *uarg)
{
	struct kipc_ep_create a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~(KIPC_FD_INHERIT | KIPC_EP_NO_INHERIT | KIPC_EP_FLOOR |
			 KIPC_EP_ACCOUNT)) || a.__pad ||
	    (!(a.flags & KIPC_EP_FLOOR) && a.__reserved[0]) ||
	    a.__reserved[1] || a.__reserved[2])
		return -EINVAL;
	return kipc_ep_create(&a);
}

static long kipc_ep_mint_ioctl(const struct kipc_ep_mint __user *uarg)
{
	struct kipc_ep_mint a;
	struct kipc_handle h;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (kipc_mint_bad(&a))
		return -EINVAL;
	ret = kipc_handle_lookup(a.fd, &h);
	return ret ? ret : kipc_ep_mint(&h, &a);
}

/* Resolve @fd to a handle that may receive. */
static int kipc_recv_handle(int fd, struct kipc_handle *h)
{
	int ret = kipc_handle_lookup(fd, h);

	if (ret)
		return ret;
	if (!(h->rights & KIPC_RIGHT_RECV)) {
		kipc_ep_put(h->ep);
		return -EPERM;
	}
	return 0;
}

/*
 * KIPC_IOC_PUBLISH.  Errors: EINVAL (malformed), EBADF, EPERM (no RECV
 * right), then what kipc_name_publish() says.
 */
static long kipc_publish_ioctl(const struct kipc_publish __user *uarg)
{
	struct kipc_publish a;
	struct kipc_handle h;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (kipc_publish_bad(&a) || !kipc_name_valid(a.name))
		return -EINVAL;
	ret = kipc_recv_handle(a.fd, &h);
	if (ret)
		return ret;
	return kipc_name_publish(&a, h.ep);
}

/*
 * KIPC_IOC_UNPUBLISH (@fd and @name used).  Errors: EINVAL, EBADF, EPERM
 * (no RECV right, or the name belongs to another endpoint), ENOENT.
 */
static long kipc_unpublish_ioctl(const struct kipc_publish __user *uarg)
{
	struct kipc_publish a;
	struct kipc_handle h;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (kipc_unpublish_bad(&a) || !kipc_name_valid(a.name))
		return -EINVAL;
	ret = kipc_recv_handle(a.fd, &h);
	if (ret)
		return ret;
	ret = kipc_name_unpublish(a.name, h.ep);
	kipc_ep_put(h.ep);
	return ret;
}

/* KIPC_IOC_LOOKUP: a new send handle for a published name. */
static long kipc_lookup_ioctl(const struct kipc_lookup __user *uarg)
{
	struct kipc_lookup a;
	struct kipc_handle h;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~KIPC_FD_INHERIT) || a.__pad || a.__reserved[0] ||
	    a.__reserved[1] || a.__reserved[2] || !kipc_name_valid(a.name))
		return -EINVAL;
	ret = kipc_name_lookup(a.name, &h);
	if (ret)
		return ret;
	return kipc_handle_install(h.ep, h.badge, h.rights, a.flags);
}

static long kipc_caller_ioctl(struct kipc_ctx *ctx,
			      struct kipc_caller __user *uarg)
{
	struct kipc_caller a;
	long ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.__reserved[0] || a.__reserved[1] || a.__reserved[2])
		return -EINVAL;
	ret = kipc_caller(ctx, &a);
	if (!ret && copy_to_user(uarg, &a, sizeof(a)))
		ret = -EFAULT;
	return ret;
}

static long kipc_ntfn_create_ioctl(const struct kipc_notify_create __user *uarg)
{
	struct kipc_notify_create a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~KIPC_FD_INHERIT) || a.__pad || a.__reserved[0] ||
	    a.__reserved[1] || a.__reserved[2])
		return -EINVAL;
	return kipc_ntfn_create(a.flags);
}

/* KIPC_IOC_NTFN_SIGNAL.  Errors: EINVAL (malformed, no bits), EBADF. */
static long kipc_ntfn_signal_ioctl(const struct kipc_notify __user *uarg)
{
	struct kipc_ntfn *ntfn;
	struct kipc_notify a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (kipc_signal_bad(&a))
		return -EINVAL;
	ntfn = kipc_ntfn_get(a.fd);
	if (!ntfn)
		return -EBADF;
	kipc_ntfn_raise(ntfn, a.bits);
	kipc_ntfn_put(ntfn);
	return 0;
}

/* KIPC_IOC_NTFN_WAIT: a receive on a notification instead of an endpoint. */
static long kipc_ntfn_wait_ioctl(struct kipc_ctx *ctx,
				 const struct kipc_notify __user *uarg)
{
	struct kipc_notify n;

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (n.flags || n.bits || n.__reserved[0] || n.__reserved[1])
		return -EINVAL;
	return kipc_op_ntfn_wait(ctx, n.fd, n.timeout);
}

/*
 * KIPC_IOC_NTFN_BIND.  Errors: EINVAL (malformed), EBADF (either
 * descriptor), EPERM (no RECV right), then what kipc_ntfn_bind() says.
 */
static long kipc_ntfn_bind_ioctl(const struct kipc_notify_bind __user *uarg)
{
	struct kipc_notify_bind a;
	struct kipc_ntfn *ntfn;
	struct kipc_handle h;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (kipc_bind_bad(&a))
		return -EINVAL;
	ntfn = kipc_ntfn_get(a.fd);
	if (!ntfn)
		return -EBADF;
	ret = kipc_handle_lookup(a.ep, &h);
	if (ret)
		goto out_ntfn;
	ret = -EPERM;
	if (h.rights & KIPC_RIGHT_RECV)
		ret = kipc_ntfn_bind(ntfn, h.ep, a.flags);
	kipc_ep_put(h.ep);
out_ntfn:
	kipc_ntfn_put(ntfn);
	return ret;
}

static long kipc_cancel_ioctl(struct kipc_ctx *ctx,
			      const struct kipc_cancel __user *uarg)
{
	struct kipc_cancel c;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || c.__pad || c.__reserved[0])
		return -EINVAL;
	return kipc_wait_cancel(ctx);
}

/* KIPC_IOC_REGISTER.  Errors: EINVAL (malformed), EBADF, EBUSY. */
static long kipc_register_ioctl(struct kipc_ctx *ctx,
				const struct kipc_register __user *uarg)
{
	struct kipc_register a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~KIPC_REGISTER_CLEAR) || a.__pad || a.__reserved[0] ||
	    a.__reserved[1] || a.slot >= KIPC_SLOTS ||
	    ((a.flags & KIPC_REGISTER_CLEAR) && a.fd != -1))
		return -EINVAL;
	return kipc_ctx_register(ctx, &a);
}

/* KIPC_IOC_WIN_RBUF (ABI 1.5). */
static long kipc_rbuf_ioctl(struct kipc_ctx *ctx,
			    const struct kipc_rbuf __user *uarg)
{
	struct kipc_rbuf a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.__pad || a.__reserved[0] || a.__reserved[1])
		return -EINVAL;
	return kipc_win_rbuf_set(ctx, &a);
}

/**
 * kipc_win_io_check - copy in and check a struct kipc_win_io
 * @a:		where to
 * @uarg:	the user's
 *
 * Return: 0, EFAULT, or EINVAL (flags, padding or reserved not 0, more
 * than UIO_MAXIOV iovecs).
 */
int kipc_win_io_check(struct kipc_win_io *a, const struct kipc_win_io __user *uarg)
{
	if (copy_from_user(a, uarg, sizeof(*a)))
		return -EFAULT;
	if (a->flags || a->__pad || a->__reserved[0] || a->__reserved[1] ||
	    a->iovcnt > UIO_MAXIOV)
		return -EINVAL;
	return 0;
}

/* KIPC_IOC_WIN_READ, _WRITE (ABI 1.5). */
static long kipc_win_io_ioctl(struct kipc_ctx *ctx,
			      const struct kipc_win_io __user *uarg, bool write)
{
	struct kipc_win_io a;
	int ret = kipc_win_io_check(&a, uarg);

	return ret ? ret : kipc_win_io(ctx, &a, write);
}

/* KIPC_IOC_REGION_CREATE (ABI 1.5). */
static long kipc_region_create_ioctl(const struct kipc_region_create __user *uarg)
{
	struct kipc_region_create a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.__reserved[0] || a.__reserved[1])
		return -EINVAL;
	return kipc_region_create(&a);
}

/**
 * kipc_ioctl_mgmt - a management ioctl on a context
 * @ctx:	the context, owned by current's address space
 * @cmd:	the ioctl number
 * @uarg:	its argument
 *
 * Return: what the ioctl returns; -ENOTTY for an unknown number.
 */
long kipc_ioctl_mgmt(struct kipc_ctx *ctx, unsigned int cmd, void __user *uarg)
{
	switch (cmd) {
	case KIPC_IOC_VERSION:
		return kipc_version_ioctl(uarg);
	case KIPC_IOC_EP_CREATE:
		return kipc_ep_create_ioctl(uarg);
	case KIPC_IOC_EP_MINT:
		return kipc_ep_mint_ioctl(uarg);
	case KIPC_IOC_PUBLISH:
		return kipc_publish_ioctl(uarg);
	case KIPC_IOC_UNPUBLISH:
		return kipc_unpublish_ioctl(uarg);
	case KIPC_IOC_LOOKUP:
		return kipc_lookup_ioctl(uarg);
	case KIPC_IOC_CALLER:
		return kipc_caller_ioctl(ctx, uarg);
	case KIPC_IOC_NTFN_CREATE:
		return kipc_ntfn_create_ioctl(uarg);
	case KIPC_IOC_NTFN_SIGNAL:
		return kipc_ntfn_signal_ioctl(uarg);
	case KIPC_IOC_NTFN_WAIT:
		return kipc_ntfn_wait_ioctl(ctx, uarg);
	case KIPC_IOC_NTFN_BIND:
		return kipc_ntfn_bind_ioctl(uarg);
	case KIPC_IOC_CANCEL:
		return kipc_cancel_ioctl(ctx, uarg);
	case KIPC_IOC_REGISTER:
		return kipc_register_ioctl(ctx, uarg);
	case KIPC_IOC_WIN_RBUF:
		return kipc_rbuf_ioctl(ctx, uarg);
	case KIPC_IOC_WIN_READ:
		return kipc_win_io_ioctl(ctx, uarg, false);
	case KIPC_IOC_WIN_WRITE:
		return kipc_win_io_ioctl(ctx, uarg, true);
	case KIPC_IOC_REGION_CREATE:
		return kipc_region_create_ioctl(uarg);
	}
	return -ENOTTY;
}
