// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoint handles: the file descriptors that name an endpoint.
 *
 * Each handle carries rights and a badge fixed when the handle was made.
 * When the last handle that can receive goes, the endpoint is dead:
 * blocked senders and receivers fail with EPIPE, a bound notification is
 * unbound and the endpoint's names go; when the last handle that can send
 * goes, blocked receivers fail unless a bound notification can still wake
 * them.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"

static const struct file_operations kipc_handle_fops;

/* Account a handle with @rights; called with ep->lock held. */
static void kipc_ep_count(struct kipc_ep *ep, u32 rights, int delta)
{
	if (rights & KIPC_RIGHT_SEND)
		ep->nr_send += delta;
	if (rights & KIPC_RIGHT_RECV)
		ep->nr_recv += delta;
}

/*
 * Forget a handle.  When no handle can receive any more, the endpoint is
 * dead: nobody blocked in send can ever be served, a receiver already
 * blocked in recv (through a handle since closed, perhaps by another
 * thread at shutdown) would wait for ever, a bound notification is
 * unbound and the endpoint's names go; everybody waiting gets EPIPE.
 * When none can send, no blocked receiver can be served either, unless a
 * bound notification can still wake it.
 */
static void kipc_handle_drop(struct kipc_ep *ep, u32 rights)
{
	bool hup = false, dead, unbound = false;

	spin_lock(&ep->lock);
	kipc_ep_count(ep, rights, -1);
	dead = !ep->nr_recv && (rights & KIPC_RIGHT_RECV);
	if (dead) {
		unbound = kipc_ntfn_ep_dead(ep);
		kipc_fail_waiters(&ep->senders, -EPIPE);
		kipc_fail_waiters(&ep->receivers, -EPIPE);
		hup = true;
	}
	/* A bound notification can still wake a receiver. */
	if (!ep->nr_send && !ep->ntfn) {
		kipc_fail_waiters(&ep->receivers, -EPIPE);
		hup |= !!(rights & KIPC_RIGHT_SEND);
	}
	/* Under ep->lock, which kipc_handle_poll() takes after registering. */
	hup &= waitqueue_active(&ep->wq);
	spin_unlock(&ep->lock);
	if (unbound)
		kipc_ep_put(ep);	/* the binding's; ours remains */
	if (dead)
		kipc_names_ep_gone(ep);
	if (hup)
		kipc_ep_wake(ep, EPOLLHUP);
	kipc_ep_put(ep);
}

/*
 * Readiness of one handle: what its rights could do now without
 * blocking, and whether the other side can never come again.
 */
static __poll_t kipc_handle_poll(struct file *file, poll_table *wait)
{
	struct kipc_handle *h = file->private_data;
	struct kipc_ep *ep = h->ep;
	__poll_t mask = 0;

	poll_wait(file, &ep->wq, wait);
	spin_lock(&ep->lock);
	if (h->rights & KIPC_RIGHT_RECV) {
		if (!kipc_waitq_empty(&ep->senders) ||
		    (ep->ntfn && READ_ONCE(ep->ntfn->bits)))
			mask |= EPOLLIN | EPOLLRDNORM;
		else if (!ep->nr_send && !ep->ntfn)
			mask |= EPOLLHUP;
	}
	if (h->rights & KIPC_RIGHT_SEND) {
		if (!ep->nr_recv)
			mask |= EPOLLHUP;
		else if (!kipc_waitq_empty(&ep->receivers))
			mask |= EPOLLOUT | EPOLLWRNORM;
	}
	spin_unlock(&ep->lock);
	return mask;
}

static int kipc_handle_release(struct inode *inode, struct file *file)
{
	struct kipc_handle *h = file->private_data;

	kipc_handle_drop(h->ep, h->rights);
	kfree(h);
	atomic_long_dec(&kipc_stats.handles);
	return 0;
}

/* /proc/<pid>/fdinfo/<fd> of a handle: what a debugger or test wants. */
static void kipc_handle_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_handle *h = file->private_data;
	struct kipc_ep *ep = h->ep;
	struct kipc_ep_stats st;

	kipc_ep_snapshot(ep, &st);
	seq_printf(m, "kipc-endpoint:\t%llu\n", ep->id);
	seq_printf(m, "rights:\t%#x\n", h->rights);
	seq_printf(m, "badge:\t%#llx\n", h->badge);
	seq_printf(m, "senders-waiting:\t%u\n", st.senders);
	seq_printf(m, "receivers-waiting:\t%u\n", st.receivers);
	seq_printf(m, "send-handles:\t%u\n", st.nr_send);
	seq_printf(m, "recv-handles:\t%u\n", st.nr_recv);
	seq_printf(m, "messages:\t%llu\n", st.msgs);
	seq_printf(m, "notification-bound:\t%d\n", st.bound);
	seq_printf(m, "errors:\t%llu\n", st.errors);
	seq_printf(m, "owner:\t%d %s\n",
		   pid_nr_ns(ep->owner, task_active_pid_ns(current)), ep->comm);
	/* Who calls, and how much they cost: the server's business. */
	if (h->rights & KIPC_RIGHT_RECV)
		kipc_sched_show(m, ep);
}

/*
 * The management ioctls on a handle's own descriptor (ABI 1.6): no
 * context needed.  The argument's field that would name the handle holds
 * KIPC_FD_SELF; the rest is checked as on a context (ioctl.c).
 */
static long kipc_handle_mint_self(struct kipc_handle *h, void __user *uarg)
{
	struct kipc_handle src = *h;
	struct kipc_ep_mint a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.fd != KIPC_FD_SELF || kipc_mint_bad(&a))
		return -EINVAL;
	kref_get(&src.ep->ref);
	return kipc_ep_mint(&src, &a);
}

/* KIPC_IOC_PUBLISH and _UNPUBLISH: the name goes with this endpoint. */
static long kipc_handle_publish_self(struct kipc_handle *h, void __user *uarg, bool publish)
{
	struct kipc_publish a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.fd != KIPC_FD_SELF ||
	    (publish ? kipc_publish_bad(&a) : kipc_unpublish_bad(&a)) ||
	    !kipc_name_valid(a.name))
		return -EINVAL;
	if (!(h->rights & KIPC_RIGHT_RECV))
		return -EPERM;
	if (!publish)
		return kipc_name_unpublish(a.name, h->ep);
	kref_get(&h->ep->ref);
	return kipc_name_publish(&a, h->ep);
}

/* KIPC_IOC_NTFN_BIND: bind the notification @a.fd to this endpoint. */
static long kipc_handle_bind_self(struct kipc_handle *h, void __user *uarg)
{
	struct kipc_notify_bind a;
	struct kipc_ntfn *ntfn;
	int ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.ep != KIPC_FD_SELF || kipc_bind_bad(&a))
		return -EINVAL;
	ntfn = kipc_ntfn_get(a.fd);
	if (!ntfn)
		return -EBADF;
	ret = -EPERM;
	if (h->rights & KIPC_RIGHT_RECV)
		ret = kipc_ntfn_bind(ntfn, h->ep, a.flags);
	kipc_ntfn_put(ntfn);
	return ret;
}

static long kipc_handle_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kipc_handle *h = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KIPC_IOC_EP_MINT:
		return kipc_handle_mint_self(h, uarg);
	case KIPC_IOC_PUBLISH:
		return kipc_handle_publish_self(h, uarg, true);
	case KIPC_IOC_UNPUBLISH:
		return kipc_handle_publish_self(h, uarg, false);
	case KIPC_IOC_NTFN_BIND:
		return kipc_handle_bind_self(h, uarg);
	}
	return -ENOTTY;
}

static const struct file_operations kipc_handle_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_handle_release,
	.poll		= kipc_handle_poll,
	.unlocked_ioctl	= kipc_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_handle_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * kipc_handle_install - make a new handle and install it as a descriptor
 * @ep:		the endpoint; the caller's reference is consumed in every case
 * @badge:	badge of the handle
 * @rights:	KIPC_RIGHT_* bits
 * @flags:	KIPC_FD_INHERIT or 0
 *
 * Return: the new descriptor, or -EMFILE, -ENFILE, -ENOMEM.
 */
int kipc_handle_install(struct kipc_ep *ep, u64 badge, u32 rights, u32 flags)
{
	struct kipc_handle *h;
	int fd;

	h = kmalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h) {
		kipc_ep_put(ep);
		return -ENOMEM;
	}
	atomic_long_inc(&kipc_stats.handles);
	h->ep = ep;
	h->badge = badge;
	h->rights = rights;

	spin_lock(&ep->lock);
	kipc_ep_count(ep, rights, 1);
	spin_unlock(&ep->lock);

	fd = anon_inode_getfd("[kipc-endpoint]", &kipc_handle_fops, h,
			      O_RDWR | ((flags & KIPC_FD_INHERIT) ? 0 : O_CLOEXEC));
	if (fd < 0) {
		kipc_handle_drop(ep, rights);
		kfree(h);
		atomic_long_dec(&kipc_stats.handles);
	}
	return fd;
}

/**
 * kipc_handle_lookup - resolve an endpoint handle
 * @fd:		file descriptor in the current task
 * @out:	filled with a copy of the handle; out->ep holds a reference
 *		the caller must drop with kipc_ep_put()
 *
 * The copy stays valid after the descriptor is closed, so a blocked
 * operation does not pin the file and a close can wake it.
 *
 * Return: 0, or -EBADF if @fd is not an open endpoint handle.
 */
int kipc_handle_lookup(int fd, struct kipc_handle *out)
{
	struct fd f = fdget(fd);
	int ret = -EBADF;

	if (!fd_file(f))
		return ret;
	if (fd_file(f)->f_op == &kipc_handle_fops) {
		*out = *(struct kipc_handle *)fd_file(f)->private_data;
		kref_get(&out->ep->ref);
		ret = 0;
	}
	fdput(f);
	return ret;
}

/**
 * kipc_handle_fget - resolve an endpoint handle and keep its file
 * @fd:		file descriptor in the current task
 * @out:	filled with a copy of the handle, valid while the file is held
 *
 * Return: the file (a reference), or NULL if @fd is no endpoint handle.
 */
struct file *kipc_handle_fget(int fd, struct kipc_handle *out)
{
	struct file *file = fget(fd);

	if (!file)
		return NULL;
	if (file->f_op != &kipc_handle_fops) {
		fput(file);
		return NULL;
	}
	*out = *(struct kipc_handle *)file->private_data;
	return file;
}

/**
 * kipc_file_may_pass - may @file travel in a message?
 * @file: a file taken from the sender's descriptor table
 *
 * Any file may, except a kipc endpoint handle without KIPC_RIGHT_GRANT and
 * a region handle without KIPC_REGION_GRANT.
 *
 * Return: true if it may.
 */
bool kipc_file_may_pass(struct file *file)
{
	const struct kipc_handle *h = file->private_data;

	if (kipc_is_region(file))
		return kipc_region_may_pass(file);
	return file->f_op != &kipc_handle_fops || (h->rights & KIPC_RIGHT_GRANT);
}

/**
 * kipc_ep_create - a new endpoint and its first handle
 * @a:		the argument of KIPC_IOC_EP_CREATE, its reserved fields
 *		checked
 *
 * Return: the new file descriptor, with all rights and badge 0, or -errno:
 * ENOSPC when the caller's user has max_endpoints endpoints alive; EINVAL
 * or EPERM for a floor (kipc_sched_ep_init()).
 */
int kipc_ep_create(const struct kipc_ep_create *a)
{
	struct kipc_ep *ep = kipc_ep_new();
	int ret;

	if (IS_ERR(ep))
		return PTR_ERR(ep);
	ret = kipc_sched_ep_init(ep, a);
	if (ret) {
		kipc_ep_put(ep);
		return ret;
	}
	return kipc_handle_install(ep, 0, KIPC_RIGHTS_ALL, a->flags & KIPC_FD_INHERIT);
}

/**
 * kipc_ep_mint - derive a handle with fewer rights or a badge
 * @src:	the handle to derive from, holding a reference on its endpoint
 *		that is consumed in every case
 * @a:		the checked arguments of KIPC_IOC_EP_MINT
 *
 * Return: the new file descriptor or -errno: EPERM when the rights would
 * grow (KIPC_RIGHT_FORWARD may be added from a handle with the receive
 * right: the owner lets a proxy forward, ABI 1.7) or a badge is chosen
 * without the receive right.
 */
int kipc_ep_mint(struct kipc_handle *src, const struct kipc_ep_mint *a)
{
	u64 badge = src->badge;
	/* The receive right's holder may let a proxy forward (ABI 1.7). */
	u32 may = src->rights |
		  (src->rights & KIPC_RIGHT_RECV ? KIPC_RIGHT_FORWARD : 0);

	if ((a->rights & ~may) ||
	    ((a->flags & KIPC_MINT_BADGE) && !(src->rights & KIPC_RIGHT_RECV))) {
		kipc_ep_put(src->ep);
		return -EPERM;
	}
	if (a->flags & KIPC_MINT_BADGE)
		badge = a->badge;
	return kipc_handle_install(src->ep, badge, a->rights, a->flags);
}
