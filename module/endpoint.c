// SPDX-License-Identifier: GPL-2.0
/*
 * The endpoint object: where senders and receivers meet (the rendezvous
 * is ipc.c's), its references, its pollers and the list of all of them.
 * The descriptors that name an endpoint are handle.c's.
 */
#include <linux/atomic.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "internal.h"
#include "kipc_trace.h"

static atomic64_t kipc_ep_ids = ATOMIC64_INIT(0);
LIST_HEAD(kipc_eps);
DEFINE_MUTEX(kipc_eps_lock);

/**
 * kipc_ep_new - a new endpoint, charged to current's real uid
 *
 * Return: the endpoint (one reference, no handle yet), or ERR_PTR():
 * -ENOSPC when the user has max_endpoints endpoints alive, -ENOMEM.
 */
struct kipc_ep *kipc_ep_new(void)
{
	kuid_t uid = current_uid();
	struct kipc_ep *ep;
	int ret;

	ret = kipc_charge(uid, KIPC_L_ENDPOINTS, 1);
	if (ret)
		return ERR_PTR(ret);
	ep = kzalloc(sizeof(*ep), GFP_KERNEL_ACCOUNT);
	if (!ep) {
		kipc_uncharge(uid, KIPC_L_ENDPOINTS, 1);
		return ERR_PTR(-ENOMEM);
	}
	ep->uid = uid;
	atomic_long_inc(&kipc_stats.endpoints);
	spin_lock_init(&ep->lock);
	kipc_waitq_init(&ep->senders);
	kipc_waitq_init(&ep->receivers);
	init_waitqueue_head(&ep->wq);
	kref_init(&ep->ref);
	atomic64_set(&ep->errors, 0);
	ep->id = atomic64_inc_return(&kipc_ep_ids);
	ep->owner = get_pid(task_tgid(current));
	get_task_comm(ep->comm, current);
	mutex_lock(&kipc_eps_lock);
	list_add_tail(&ep->all, &kipc_eps);
	mutex_unlock(&kipc_eps_lock);
	trace_kipc_ep_create(ep->id);
	return ep;
}

static void kipc_ep_free(struct kref *ref)
{
	struct kipc_ep *ep = container_of(ref, struct kipc_ep, ref);

	WARN_ON_ONCE(!kipc_waitq_empty(&ep->senders) || !kipc_waitq_empty(&ep->receivers) ||
		     ep->ntfn);
	mutex_lock(&kipc_eps_lock);
	list_del(&ep->all);
	mutex_unlock(&kipc_eps_lock);
	trace_kipc_ep_destroy(ep->id, ep->msgs, atomic64_read(&ep->errors));
	put_pid(ep->owner);
	kipc_sched_ep_free(ep);
	kipc_uncharge(ep->uid, KIPC_L_ENDPOINTS, 1);
	/* A cancel may still be looking at ep->lock (wait.c). */
	kfree_rcu(ep, rcu);
	atomic_long_dec(&kipc_stats.endpoints);
}

/**
 * kipc_ep_put - drop a reference to an endpoint
 * @ep: the endpoint
 */
void kipc_ep_put(struct kipc_ep *ep)
{
	kref_put(&ep->ref, kipc_ep_free);
}

/**
 * kipc_ep_wake - tell pollers of an endpoint that it became ready
 * @ep:		the endpoint; the caller saw waitqueue_active(&ep->wq) under
 *		ep->lock, so nobody polling costs the IPC path nothing
 * @mask:	EPOLLIN (a sender or notification waits), EPOLLOUT (a
 *		receiver waits) or EPOLLHUP
 *
 * One exclusive waiter (EPOLLEXCLUSIVE) is woken per event, since one
 * queued partner serves one operation; a hang-up wakes everybody.
 */
void kipc_ep_wake(struct kipc_ep *ep, __poll_t mask)
{
	__wake_up(&ep->wq, TASK_NORMAL, (mask & EPOLLHUP) ? 0 : 1,
		  poll_to_key(mask));
}

/**
 * kipc_ep_snapshot - a consistent copy of an endpoint's counters
 * @ep:		the endpoint
 * @st:		filled in
 */
void kipc_ep_snapshot(struct kipc_ep *ep, struct kipc_ep_stats *st)
{
	spin_lock(&ep->lock);
	st->senders = ep->senders.len;
	st->receivers = ep->receivers.len;
	st->nr_send = ep->nr_send;
	st->nr_recv = ep->nr_recv;
	st->msgs = ep->msgs;
	st->bound = !!ep->ntfn;
	spin_unlock(&ep->lock);
	st->errors = atomic64_read(&ep->errors);
}
