// SPDX-License-Identifier: GPL-2.0
/*
 * The rendezvous: the send phase (send, call), the receive phase (recv,
 * reply_recv), the reply, and the reply right.
 *
 * Whoever arrives second at an endpoint finds its partner on the endpoint's
 * queue, takes it off (kipc_take(): the partner is then KIPC_W_BUSY and its
 * lock is held by us), copies the message registers once from the sender's
 * message area to the receiver's, and hands the partner its result.  No
 * payload is ever buffered and nothing is allocated on this path.  The
 * operation's arguments were decoded and checked by op.c; the states and
 * transitions named T1..T11 are wait.c's.
 */
#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched/task.h>
#include <linux/uidgid.h>

#include "internal.h"
#include "wait.h"
#include "kipc_trace.h"

/*
 * Hand the files of @src's message to @dst, which installs them when its
 * operation ends.  The caller checked that @dst reserved enough numbers.
 */
static __always_inline void kipc_move_files(struct kipc_ctx *dst,
					    struct kipc_ctx *src)
{
	unsigned int i, n = src->nout;

	/* dst->nin is 0 outside the rare operations that received files. */
	if (likely(!n))
		return;
	for (i = 0; i < n; i++)
		dst->in[i] = src->out[i];
	dst->nin = n;
	src->nout = 0;
}

/*
 * The one copy: message registers, tag and the sender's identity as the
 * receiver's namespaces see it.  Both contexts are owned by the caller: one
 * is current's, the other is BUSY with its lock held.  Between contexts of
 * the same namespaces the identity cached when the sender's operation
 * started is delivered as it is; otherwise it is translated.
 */
static __always_inline void kipc_transfer(struct kipc_ctx *dst,
					  struct kipc_ctx *src,
					  u64 tag, u64 badge, u64 ep_id)
{
	struct kipc_utcb *d = dst->utcb;
	const struct kipc_utcb *s = src->utcb;
	struct user_namespace *ns = dst->id.cred->user_ns;

	memcpy(d->mr, s->mr, KIPC_TAG_NR(tag) * sizeof(d->mr[0]));
	kipc_move_files(dst, src);
	d->tag = tag;
	d->badge = badge;
	if (likely(src->id.pid_ns == dst->id.pid_ns))
		d->pid = src->id.tgid;
	else
		d->pid = task_tgid_nr_ns(src->id.task, dst->id.pid_ns);
	if (likely(src->id.cred->user_ns == ns)) {
		d->uid = src->id.uid;
		d->gid = src->id.gid;
	} else {
		d->uid = from_kuid_munged(ns, src->id.cred->euid);
		d->gid = from_kgid_munged(ns, src->id.cred->egid);
	}
	d->status = 0;
	trace_kipc_transfer(ep_id, src->id.task, dst->id.task, tag);
}

/**
 * kipc_drop_reply - give up the reply right @ctx holds
 * @ctx:	the context, holding a reply right
 * @err:	what the caller, if it still waits for us, fails with (T9)
 */
void kipc_drop_reply(struct kipc_ctx *ctx, int err)
{
	struct kipc_ctx *caller = ctx->reply_to;

	ctx->reply_to = NULL;
	spin_lock(&caller->lock);
	if (READ_ONCE(caller->wstate) == KIPC_W_REPLY && caller->reply_from == ctx) {
		caller->reply_from = NULL;
		kipc_complete(caller, err);
	}
	spin_unlock(&caller->lock);
	kipc_ctx_put(caller);
}

/**
 * kipc_reply - T8: reply to the caller @ctx holds the right for
 * @ctx:	the context; the message is in its area
 * @tag:	the reply's checked tag
 * @expect:	the caller is the task the next wait of @ctx expects to
 *		hear from (kipc_peer_set())
 *
 * Never blocks.
 *
 * Return: 0, or ECONNRESET if the caller stopped waiting (interrupted,
 * timed out, died), or EMSGSIZE if the reply carries more descriptors
 * than the caller reserved: then the right is kept.
 */
int kipc_reply(struct kipc_ctx *ctx, u64 tag, bool expect)
{
	struct kipc_ctx *caller = ctx->reply_to;
	struct task_struct *peer = NULL;
	int ret = -ECONNRESET;

	spin_lock(&caller->lock);
	if (READ_ONCE(caller->wstate) == KIPC_W_REPLY && caller->reply_from == ctx) {
		if (KIPC_TAG_FDS(tag) > caller->nrfd) {
			spin_unlock(&caller->lock);
			return -EMSGSIZE;
		}
		caller->reply_from = NULL;
		WRITE_ONCE(caller->wstate, KIPC_W_BUSY);
		kipc_transfer(caller, ctx, tag, 0, 0);
		if (expect && ctx->peer != caller->id.task)
			peer = get_task_struct(caller->id.task);
		/* Before: once complete, the caller may go on and change. */
		trace_kipc_reply(caller->id.task->pid, tag, 0);
		kipc_complete(caller, 0);
		ret = 0;
	} else {
		trace_kipc_reply(0, tag, ret);
	}
	ctx->reply_to = NULL;
	spin_unlock(&caller->lock);
	if (peer)
		kipc_peer_set(ctx, peer);
	kipc_ctx_put(caller);
	return ret;
}

/*
 * A receiver waits on @ep (whose lock is held, and released here): take it
 * (T2), copy the message straight into its area, make @ctx its caller for
 * a call (T7), hand it its result (T4).  The receiver is whom @ctx waits
 * for (a reply) or hears from next.
 */
static __always_inline void kipc_deliver(struct kipc_ctx *ctx,
					 struct kipc_ctx *rcv,
					 struct kipc_ep *ep, u64 tag, u64 badge,
					 const bool call)
	__releases(&ep->lock)
{
	struct task_struct *peer;

	kipc_take(rcv);						/* T2 */
	ep->msgs++;
	spin_unlock(&ep->lock);

	kipc_transfer(rcv, ctx, call ? tag | KIPC_TAG_F_CALL : tag, badge, ep->id);
	kipc_peer_hint(rcv, ctx->id.task);
	peer = ctx->peer != rcv->id.task ? get_task_struct(rcv->id.task) : NULL;
	if (call) {
		/*
		 * T7: become the receiver's caller before it can run.  Nobody
		 * else can match reply_from == rcv, so our own lock is not
		 * needed.
		 */
		kref_get(&ctx->ref);
		rcv->reply_to = ctx;
		WRITE_ONCE(ctx->reply_from, rcv);
		WRITE_ONCE(ctx->wstate, KIPC_W_REPLY);
	}
	kipc_complete(rcv, 0);					/* T4 */
	spin_unlock(&rcv->lock);
	if (peer)
		kipc_peer_set(ctx, peer);
}

/*
 * Queue @ctx as a receiver of @ep (T1), whose lock is held and released
 * here.
 */
static __always_inline void kipc_enqueue_receiver(struct kipc_ctx *ctx,
						  struct kipc_ep *ep)
	__releases(&ep->lock)
{
	kipc_queued(ctx, &ep->lock, KIPC_W_RECEIVING);		/* T1 */
	list_add_tail(&ctx->node, &ep->receivers);
	/* Under ep->lock, so a poller's registration cannot be missed. */
	if (unlikely(waitqueue_active(&ep->wq))) {
		spin_unlock(&ep->lock);
		kipc_ep_wake(ep, EPOLLOUT | EPOLLWRNORM);
	} else {
		spin_unlock(&ep->lock);
	}
}

/**
 * kipc_send - the send phase of send (@call false) and call
 * @ctx:	the sending context, claimed; the message is in its area
 * @op:		the decoded operation: op->h the handle (SEND right checked),
 *		op->tag the checked tag, deadlines set
 * @call:	wait for a reply
 *
 * Return: 0, -EPIPE (nobody can receive), -EAGAIN (poll and no receiver),
 * -EMSGSIZE (the receiver reserved fewer descriptors), -EIOCBQUEUED
 * (asynchronous, waiting), or what kipc_wait() returns.
 */
int kipc_send(struct kipc_ctx *ctx, struct kipc_op *op, bool call)
{
	struct kipc_ep *ep = op->h.ep;
	struct kipc_ctx *rcv;

	spin_lock(&ep->lock);
	if (unlikely(!ep->nr_recv)) {
		spin_unlock(&ep->lock);
		return -EPIPE;
	}
	rcv = list_first_entry_or_null(&ep->receivers, struct kipc_ctx, node);
	if (!rcv) {
		if (op->args.send_timeout == KIPC_TIMEOUT_POLL) {
			spin_unlock(&ep->lock);
			return -EAGAIN;
		}
		ctx->tag = op->tag;
		ctx->badge = op->h.badge;
		ctx->call = call;
		kipc_queued(ctx, &ep->lock, KIPC_W_SENDING);	/* T1 */
		list_add_tail(&ctx->node, &ep->senders);
		/* Under ep->lock, so a poller's registration cannot be missed. */
		if (unlikely(waitqueue_active(&ep->wq))) {
			spin_unlock(&ep->lock);
			kipc_ep_wake(ep, EPOLLIN | EPOLLRDNORM);
		} else {
			spin_unlock(&ep->lock);
		}
		return op->async ? -EIOCBQUEUED : kipc_wait(ctx, op);
	}

	/* A receiver waits: deliver straight into its area, if it can take it. */
	if (unlikely(KIPC_TAG_FDS(op->tag) > rcv->nrfd)) {
		spin_unlock(&ep->lock);
		return -EMSGSIZE;
	}
	kipc_deliver(ctx, rcv, ep, op->tag, op->h.badge, call);
	if (!call)
		return 0;
	return op->async ? -EIOCBQUEUED : kipc_wait(ctx, op);
}

/**
 * kipc_recv - the receive phase of recv and reply_recv
 * @ctx:	the receiving context, claimed
 * @op:		the decoded operation: op->h the handle (RECV right checked),
 *		descriptor numbers reserved, deadlines set
 *
 * Return: 0 with the message (or a bound notification's bits) in @ctx's
 * area, -EPIPE (nobody can send, or nobody can receive any more),
 * -EAGAIN (poll and no sender), -EIOCBQUEUED (asynchronous, waiting), or
 * what kipc_wait() returns.
 */
int kipc_recv(struct kipc_ctx *ctx, struct kipc_op *op)
{
	struct kipc_ep *ep = op->h.ep;
	struct task_struct *peer;
	struct kipc_ctx *snd;

	spin_lock(&ep->lock);
	/* Pending bits of a bound notification come first, as in seL4. */
	if (unlikely(ep->ntfn) && kipc_ntfn_take(ep, ctx)) {
		spin_unlock(&ep->lock);
		return 0;
	}
	for (;;) {
		snd = list_first_entry_or_null(&ep->senders, struct kipc_ctx, node);
		if (!snd || likely(KIPC_TAG_FDS(snd->tag) <= ctx->nrfd))
			break;
		/* T5: more descriptors than we can take: that sender fails. */
		list_del_init(&snd->node);
		kipc_complete(snd, -EMSGSIZE);
	}
	if (!snd) {
		/*
		 * Nobody can send, or nobody can receive any more: our handle
		 * was closed since we looked it up, and kipc_handle_drop()
		 * would never wake us.
		 */
		if (unlikely((!ep->nr_send && !ep->ntfn) || !ep->nr_recv)) {
			spin_unlock(&ep->lock);
			return -EPIPE;
		}
		if (op->args.recv_timeout == KIPC_TIMEOUT_POLL) {
			spin_unlock(&ep->lock);
			return -EAGAIN;
		}
		kipc_enqueue_receiver(ctx, ep);
		return op->async ? -EIOCBQUEUED : kipc_wait(ctx, op);
	}

	/* A sender waits: fetch its message straight into our area. */
	kipc_take(snd);						/* T2 */
	ep->msgs++;
	spin_unlock(&ep->lock);

	kipc_transfer(ctx, snd, snd->call ? snd->tag | KIPC_TAG_F_CALL : snd->tag,
		      snd->badge, ep->id);
	/* Tell the sender whom it heard from; it is whom we expect next. */
	kipc_peer_hint(snd, ctx->id.task);
	peer = ctx->peer != snd->id.task ? get_task_struct(snd->id.task) : NULL;
	if (snd->call) {
		/* T3: the caller waits on, now for our reply. */
		kref_get(&snd->ref);
		ctx->reply_to = snd;
		snd->reply_from = ctx;
		WRITE_ONCE(snd->wstate, KIPC_W_REPLY);
	} else {
		kipc_complete(snd, 0);				/* T4 */
	}
	spin_unlock(&snd->lock);
	if (peer)
		kipc_peer_set(ctx, peer);
	return 0;
}

/**
 * kipc_fast_call - the fast path of call: a receiver waits
 * @ctx:	the calling context, claimed, its identity current
 * @h:		a registered handle with KIPC_RIGHT_SEND
 * @tag:	the checked tag, without descriptors
 *
 * Return: 0 when the call was delivered (@ctx waits for the reply,
 * KIPC_W_REPLY), or KIPC_FAST_MISS with nothing done: nobody receives, or
 * nobody can (the slow path says which).
 */
int kipc_fast_call(struct kipc_ctx *ctx, const struct kipc_handle *h, u64 tag)
{
	struct kipc_ep *ep = h->ep;
	struct kipc_ctx *rcv;

	spin_lock(&ep->lock);
	rcv = list_first_entry_or_null(&ep->receivers, struct kipc_ctx, node);
	if (unlikely(!rcv || !ep->nr_recv)) {
		spin_unlock(&ep->lock);
		return KIPC_FAST_MISS;
	}
	trace_kipc_call(ep->id, tag, h->badge);
	kipc_deliver(ctx, rcv, ep, tag, h->badge, true);
	return 0;
}

/**
 * kipc_fast_reply_recv - the fast path of reply_recv: the caller waits for
 * the reply and the server will wait for the next message
 * @ctx:	the serving context, claimed, holding a reply right
 * @h:		a registered handle with KIPC_RIGHT_RECV
 * @tag:	the reply's checked tag, without descriptors
 *
 * As seL4's fastpath_reply_recv: the reply goes out and the server is
 * queued as a receiver under one hold of the endpoint's lock, which is
 * taken only if nothing else is to be done first (no sender queued, no
 * notification bound, the caller still waiting).
 *
 * Return: 0 when the reply went out and @ctx waits (KIPC_W_RECEIVING), or
 * KIPC_FAST_MISS with nothing done.
 */
int kipc_fast_reply_recv(struct kipc_ctx *ctx, const struct kipc_handle *h,
			 u64 tag)
{
	struct kipc_ctx *caller = ctx->reply_to;
	struct kipc_ep *ep = h->ep;
	struct task_struct *peer;

	spin_lock(&ep->lock);
	if (unlikely(ep->ntfn || !list_empty(&ep->senders) || !ep->nr_send ||
		     !ep->nr_recv))
		goto miss;
	spin_lock(&caller->lock);
	if (unlikely(READ_ONCE(caller->wstate) != KIPC_W_REPLY ||
		     caller->reply_from != ctx)) {
		spin_unlock(&caller->lock);
		goto miss;
	}
	/* Point of no return. */
	caller->reply_from = NULL;
	WRITE_ONCE(caller->wstate, KIPC_W_BUSY);		/* T8 */
	kipc_transfer(caller, ctx, tag, 0, 0);
	peer = ctx->peer != caller->id.task ? get_task_struct(caller->id.task) : NULL;
	trace_kipc_reply(caller->id.task->pid, tag, 0);
	kipc_complete(caller, 0);
	spin_unlock(&caller->lock);
	ctx->reply_to = NULL;
	ctx->reply_grant = h->rights & KIPC_RIGHT_GRANT;
	trace_kipc_recv(ep->id, true);
	kipc_enqueue_receiver(ctx, ep);
	if (peer)
		kipc_peer_set(ctx, peer);
	kipc_ctx_put(caller);
	return 0;

miss:
	spin_unlock(&ep->lock);
	return KIPC_FAST_MISS;
}

/**
 * kipc_caller - KIPC_IOC_CALLER: is the caller we owe a reply still there?
 * @ctx:	the context, owned by current's address space
 * @a:		the checked arguments; a->pid is set on success
 *
 * While a call waits for its reply its task cannot exit, so its pid cannot
 * be reused: a pidfd opened for the pid delivered with the call before a
 * successful KIPC_IOC_CALLER names the caller's process.
 *
 * Return: 0 with the caller's tgid (as current's pid namespace sees it);
 * -ENOENT if no reply right is held; -ECONNRESET if its caller no longer
 * waits; -EBUSY.
 */
long kipc_caller(struct kipc_ctx *ctx, struct kipc_caller *a)
{
	struct kipc_ctx *caller;
	long ret = 0;

	/* reply_to changes only in operations on this context. */
	if (test_and_set_bit_lock(KIPC_CTX_CLAIMED, &ctx->claim))
		return -EBUSY;
	caller = ctx->reply_to;
	if (!caller) {
		ret = -ENOENT;
		goto out;
	}
	spin_lock(&caller->lock);
	if (READ_ONCE(caller->wstate) == KIPC_W_REPLY && caller->reply_from == ctx)
		a->pid = task_tgid_nr_ns(caller->id.task, task_active_pid_ns(current));
	else
		ret = -ECONNRESET;
	spin_unlock(&caller->lock);
out:
	clear_bit_unlock(KIPC_CTX_CLAIMED, &ctx->claim);
	return ret;
}
