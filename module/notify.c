// SPDX-License-Identifier: GPL-2.0
/*
 * Notifications: a 64-bit word of bits, as in seL4.
 *
 * Signal ORs bits into the word and never blocks.  Wait takes every pending
 * bit and clears the word, blocking until at least one is set; with
 * KIPC_TIMEOUT_POLL it does not block.  The bits arrive in the waiting
 * context's message area (badge, with KIPC_ST_NOTIFY in status), so a wait
 * submitted through io_uring needs no 64-bit CQE.
 *
 * A notification bound to an endpoint is delivered through it: a context in
 * recv on the endpoint returns for a message or for the bits, whichever
 * comes first (pending bits before queued senders).  Then the bits are
 * protected by both locks, taken in the order ep->lock, ntfn->lock.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "internal.h"
#include "wait.h"

static void kipc_ntfn_free(struct kref *ref)
{
	struct kipc_ntfn *ntfn = container_of(ref, struct kipc_ntfn, ref);

	WARN_ON_ONCE(ntfn->ep || !kipc_waitq_empty(&ntfn->waiters));
	/* A cancel may still be looking at ntfn->lock (wait.c). */
	kfree_rcu(ntfn, rcu);
	atomic_long_dec(&kipc_stats.notifications);
}

/**
 * kipc_ntfn_put - drop a reference to a notification
 * @ntfn: the notification
 */
void kipc_ntfn_put(struct kipc_ntfn *ntfn)
{
	kref_put(&ntfn->ref, kipc_ntfn_free);
}

/* Write notification bits (not 0) into the message area of @ctx, owned. */
static void kipc_ntfn_deliver(struct kipc_ctx *ctx, u64 bits)
{
	struct kipc_utcb *u = ctx->utcb;

	u->tag = 0;
	u->badge = bits;
	u->pid = 0;
	u->uid = (u32)-1;
	u->gid = (u32)-1;
	u->status = KIPC_ST_NOTIFY;
}

/**
 * kipc_ntfn_take - receive the pending bits of an endpoint's notification
 * @ep:		the endpoint, ep->lock held, a notification bound
 * @ctx:	the receiving context
 *
 * Return: true if bits were pending; they are now in @ctx's message area.
 */
bool kipc_ntfn_take(struct kipc_ep *ep, struct kipc_ctx *ctx)
{
	struct kipc_ntfn *ntfn = ep->ntfn;
	u64 bits;

	lockdep_assert_held(&ep->lock);
	spin_lock(&ntfn->lock);
	bits = ntfn->bits;
	ntfn->bits = 0;
	spin_unlock(&ntfn->lock);
	if (bits)
		kipc_ntfn_deliver(ctx, bits);
	return bits;
}

/*
 * Pending bits of a bound notification go to the endpoint's first
 * receiver, if one waits.  Both locks held.  Returns true if bits are left
 * pending and the endpoint has pollers to tell.
 */
static bool kipc_ntfn_flush_bound(struct kipc_ep *ep, struct kipc_ntfn *ntfn)
{
	struct kipc_ctx *rcv;

	if (!ntfn->bits)
		return false;
	rcv = kipc_first_waiter(&ep->receivers);
	if (!rcv) {
		/* Under ep->lock, which kipc_ep_poll() takes after registering. */
		return waitqueue_active(&ep->wq);
	}
	/* Completed under ep->lock, its queue lock: no partner can race. */
	kipc_waitq_pop(&ep->receivers);		/* rcv */
	kipc_ntfn_deliver(rcv, ntfn->bits);
	ntfn->bits = 0;
	kipc_complete(rcv, 0);
	return false;
}

/*
 * Undo a binding; both locks held.  A receiver that could only have been
 * woken by the notification now never will be.
 */
static void kipc_ntfn_unbind_locked(struct kipc_ep *ep, struct kipc_ntfn *ntfn)
{
	ep->ntfn = NULL;
	ntfn->ep = NULL;
	if (!ep->nr_send)
		kipc_fail_waiters(&ep->receivers, -EPIPE);
}

/**
 * kipc_ntfn_ep_dead - the last handle that could receive on @ep closed
 * @ep:		the endpoint, ep->lock held, nr_recv just dropped to 0
 *
 * Nobody can ever receive through @ep again, so a notification bound to it
 * would swallow its signals and refuse waits and binds (EBUSY) for as long
 * as it lives: unbind it.  Its pending bits stay for the next wait.
 *
 * Return: true if a binding was undone: the caller drops the reference it
 * held on @ep (kipc_ep_put()) once ep->lock is released.
 */
bool kipc_ntfn_ep_dead(struct kipc_ep *ep)
{
	struct kipc_ntfn *ntfn = ep->ntfn;

	lockdep_assert_held(&ep->lock);
	if (!ntfn)
		return false;
	spin_lock(&ntfn->lock);
	kipc_ntfn_unbind_locked(ep, ntfn);
	spin_unlock(&ntfn->lock);
	return true;
}

static int kipc_ntfn_release(struct inode *inode, struct file *file)
{
	struct kipc_ntfn *ntfn = file->private_data;
	struct kipc_ep *ep;

	/*
	 * Nobody can signal it any more, and nobody may bind it: closed
	 * first, in the section that looks at the binding.  A bind that
	 * looked the notification up before this close sees ->closed (EBUSY)
	 * or bound it before we look, and is undone below; were ->closed set
	 * later, it could bind in between, and its reference, the last, would
	 * free a bound notification (found by the model, module/kipc.pml).
	 * Waiters would wait for ever.
	 */
	spin_lock(&ntfn->lock);
	ntfn->closed = true;
	kipc_fail_waiters(&ntfn->waiters, -EPIPE);
	ep = ntfn->ep;
	if (ep)
		kref_get(&ep->ref);
	spin_unlock(&ntfn->lock);
	if (ep) {
		spin_lock(&ep->lock);
		spin_lock(&ntfn->lock);
		/* Only this file's release and an explicit unbind undo it. */
		if (ntfn->ep == ep) {
			kipc_ntfn_unbind_locked(ep, ntfn);
			kipc_ep_put(ep);	/* the binding's; ours remains */
		}
		spin_unlock(&ntfn->lock);
		spin_unlock(&ep->lock);
		kipc_ep_put(ep);
	}
	kipc_ntfn_put(ntfn);
	return 0;
}

static __poll_t kipc_ntfn_poll(struct file *file, poll_table *wait)
{
	struct kipc_ntfn *ntfn = file->private_data;
	__poll_t mask;

	poll_wait(file, &ntfn->wq, wait);
	/* Under the lock: a signal checks for pollers under it too. */
	spin_lock(&ntfn->lock);
	mask = ntfn->bits ? EPOLLIN | EPOLLRDNORM : 0;
	spin_unlock(&ntfn->lock);
	return mask;
}

static void kipc_ntfn_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_ntfn *ntfn = file->private_data;
	u64 bits, ep_id = 0;
	unsigned int waiters;

	spin_lock(&ntfn->lock);
	bits = ntfn->bits;
	if (ntfn->ep)
		ep_id = ntfn->ep->id;
	waiters = ntfn->waiters.len;
	spin_unlock(&ntfn->lock);
	seq_puts(m, "kipc-notification:\t1\n");
	seq_printf(m, "bits:\t%#llx\n", bits);
	seq_printf(m, "waiters:\t%u\n", waiters);
	seq_printf(m, "bound-endpoint:\t%llu\n", ep_id);
}

/*
 * KIPC_IOC_NTFN_SIGNAL on the notification's own descriptor (ABI 1.6),
 * its @fd KIPC_FD_SELF: no context needed.
 */
static long kipc_ntfn_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kipc_notify a;

	if (cmd != KIPC_IOC_NTFN_SIGNAL)
		return -ENOTTY;
	if (copy_from_user(&a, (void __user *)arg, sizeof(a)))
		return -EFAULT;
	if (a.fd != KIPC_FD_SELF || kipc_signal_bad(&a))
		return -EINVAL;
	kipc_ntfn_raise(file->private_data, a.bits);
	return 0;
}

static const struct file_operations kipc_ntfn_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_ntfn_release,
	.poll		= kipc_ntfn_poll,
	.unlocked_ioctl	= kipc_ntfn_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_ntfn_show_fdinfo,
	.llseek		= noop_llseek,
};

/**
 * kipc_ntfn_get - the notification behind a descriptor
 * @fd:		the descriptor
 *
 * Return: the notification, with a reference; NULL if @fd is none.
 */
struct kipc_ntfn *kipc_ntfn_get(int fd)
{
	struct fd f = fdget(fd);
	struct kipc_ntfn *ntfn = NULL;

	if (!fd_file(f))
		return NULL;
	if (fd_file(f)->f_op == &kipc_ntfn_fops) {
		ntfn = fd_file(f)->private_data;
		kref_get(&ntfn->ref);
	}
	fdput(f);
	return ntfn;
}

/**
 * kipc_ntfn_create - a new notification
 * @flags:	KIPC_FD_INHERIT or 0 (checked)
 *
 * Return: the new file descriptor or -errno.
 */
int kipc_ntfn_create(u32 flags)
{
	struct kipc_ntfn *ntfn;
	int fd;

	ntfn = kzalloc(sizeof(*ntfn), GFP_KERNEL_ACCOUNT);
	if (!ntfn)
		return -ENOMEM;
	atomic_long_inc(&kipc_stats.notifications);
	spin_lock_init(&ntfn->lock);
	kipc_waitq_init(&ntfn->waiters);
	init_waitqueue_head(&ntfn->wq);
	kref_init(&ntfn->ref);
	fd = anon_inode_getfd("[kipc-notification]", &kipc_ntfn_fops, ntfn,
			      O_RDWR | ((flags & KIPC_FD_INHERIT) ? 0 : O_CLOEXEC));
	if (fd < 0)
		kipc_ntfn_put(ntfn);
	return fd;
}

/**
 * kipc_ntfn_raise - KIPC_IOC_NTFN_SIGNAL: OR bits in and hand them to a
 * waiter, if one waits
 * @ntfn:	the notification
 * @bits:	the bits, not 0
 *
 * Never blocks.
 */
void kipc_ntfn_raise(struct kipc_ntfn *ntfn, u64 bits)
{
	struct kipc_ctx *w;
	struct kipc_ep *ep;
	bool ep_poll, poll;

again:
	spin_lock(&ntfn->lock);
	ep = ntfn->ep;
	if (!ep) {
		ntfn->bits |= bits;
		w = kipc_first_waiter(&ntfn->waiters);
		if (w) {
			kipc_waitq_del(&ntfn->waiters, &w->node);
			kipc_ntfn_deliver(w, ntfn->bits);
			ntfn->bits = 0;
			kipc_complete(w, 0);
		}
		/* ntfn->lock orders this against the poller's registration. */
		poll = ntfn->bits && waitqueue_active(&ntfn->wq);
		spin_unlock(&ntfn->lock);
		if (poll)
			wake_up_poll(&ntfn->wq, EPOLLIN | EPOLLRDNORM);
		return;
	}
	kref_get(&ep->ref);
	spin_unlock(&ntfn->lock);

	spin_lock(&ep->lock);
	spin_lock(&ntfn->lock);
	if (ntfn->ep != ep) {
		/* Unbound meanwhile: start over. */
		spin_unlock(&ntfn->lock);
		spin_unlock(&ep->lock);
		kipc_ep_put(ep);
		goto again;
	}
	ntfn->bits |= bits;
	ep_poll = kipc_ntfn_flush_bound(ep, ntfn);
	/* ntfn->lock orders this against the poller's registration. */
	poll = ntfn->bits && waitqueue_active(&ntfn->wq);
	spin_unlock(&ntfn->lock);
	spin_unlock(&ep->lock);
	if (ep_poll)
		kipc_ep_wake(ep, EPOLLIN | EPOLLRDNORM);
	if (poll)
		wake_up_poll(&ntfn->wq, EPOLLIN | EPOLLRDNORM);
	kipc_ep_put(ep);
}

/**
 * kipc_ntfn_wait - KIPC_IOC_NTFN_WAIT: take the pending bits, or wait
 * @ctx:	the context, claimed by this operation
 * @op:		the operation: op->args.ep is the notification's descriptor,
 *		op->args.recv_timeout the timeout (as for recv); op->ntfn gets
 *		the notification (a reference), op->recv_dl the deadline
 *
 * Return: 0 with the bits in @ctx's message area, -EAGAIN (poll, no bits),
 * -EBUSY (bound to an endpoint: wait in recv there), -EPIPE (its last
 * descriptor was closed), -EIOCBQUEUED (asynchronous, waiting), or what
 * kipc_wait() returns.
 */
int kipc_ntfn_wait(struct kipc_ctx *ctx, struct kipc_op *op)
{
	u64 timeout = op->args.recv_timeout;
	struct kipc_ntfn *ntfn;
	u64 bits;

	if (op->async && timeout != KIPC_TIMEOUT_POLL &&
	    timeout != KIPC_TIMEOUT_INFINITE)
		return -EINVAL;
	ntfn = kipc_ntfn_get(op->args.ep);
	if (!ntfn)
		return -EBADF;
	op->ntfn = ntfn;	/* dropped when the operation ends */
	op->recv_dl = op->rs ? op->rs->recv_dl : kipc_deadline(timeout);
	op->recv_restart = timeout == KIPC_TIMEOUT_INFINITE;

	spin_lock(&ntfn->lock);
	if (ntfn->ep) {
		spin_unlock(&ntfn->lock);
		return -EBUSY;
	}
	bits = ntfn->bits;
	if (bits) {
		ntfn->bits = 0;
		spin_unlock(&ntfn->lock);
		kipc_ntfn_deliver(ctx, bits);
		return 0;
	}
	if (ntfn->closed || timeout == KIPC_TIMEOUT_POLL) {
		spin_unlock(&ntfn->lock);
		return ntfn->closed ? -EPIPE : -EAGAIN;
	}
	kipc_queued(ctx, &ntfn->lock, &ntfn->waiters, KIPC_W_RECEIVING);
	spin_unlock(&ntfn->lock);
	return op->async ? -EIOCBQUEUED : kipc_wait(ctx, op);
}

/**
 * kipc_ntfn_bind - KIPC_IOC_NTFN_BIND: bind a notification to an endpoint
 * @ntfn:	the notification
 * @ep:		the endpoint of a handle with KIPC_RIGHT_RECV (the caller's
 *		reference; the binding takes its own)
 * @flags:	0 or KIPC_NTFN_UNBIND (checked)
 *
 * Return: 0; -EINVAL with KIPC_NTFN_UNBIND for a notification not bound
 * to @ep; -EBUSY if either is bound already or the notification has
 * waiters; -EPIPE if the endpoint's last RECV handle was closed meanwhile
 * (kipc_ntfn_ep_dead() would never undo the binding).
 */
int kipc_ntfn_bind(struct kipc_ntfn *ntfn, struct kipc_ep *ep, u32 flags)
{
	bool ep_poll = false;
	int ret;

	spin_lock(&ep->lock);
	spin_lock(&ntfn->lock);
	if (flags & KIPC_NTFN_UNBIND) {
		ret = -EINVAL;
		if (ntfn->ep == ep && ep->ntfn == ntfn) {
			kipc_ntfn_unbind_locked(ep, ntfn);
			kipc_ep_put(ep);	/* the binding's: ours remains */
			ret = 0;
		}
	} else if (ep->ntfn || ntfn->ep || !kipc_waitq_empty(&ntfn->waiters) ||
		   ntfn->closed) {
		ret = -EBUSY;
	} else if (!ep->nr_recv) {
		/* Its last RECV handle closed since our lookup: it is dead. */
		ret = -EPIPE;
	} else {
		kref_get(&ep->ref);	/* the binding's */
		ep->ntfn = ntfn;
		ntfn->ep = ep;
		ep_poll = kipc_ntfn_flush_bound(ep, ntfn);
		ret = 0;
	}
	spin_unlock(&ntfn->lock);
	spin_unlock(&ep->lock);
	if (ep_poll)
		kipc_ep_wake(ep, EPOLLIN | EPOLLRDNORM);
	return ret;
}
