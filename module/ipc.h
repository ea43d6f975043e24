/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The steps of a rendezvous that the general path (ipc.c) and the fast
 * path (fastpath.c) share, inline: the one copy, a delivery to a waiting
 * receiver, a receiver entering the queue.
 */
#ifndef _KIPC_IPC_H
#define _KIPC_IPC_H

#include <linux/poll.h>
#include <linux/sched/task.h>

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
	/* dst->nin is 0 outside the rare operations that received files. */
	if (unlikely(src->nout))
		kipc_move_files_slow(dst, src);
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

	memcpy(d->mr, s->mr, KIPC_TAG_NR(tag) * sizeof(d->mr[0]));
	kipc_move_files(dst, src);
	d->tag = tag;
	/* Windows: described, never their addresses (window.c). */
	if (unlikely(src->nwin))
		kipc_win_deliver(dst, src);
	d->badge = badge;
	if (likely(src->id.pid_ns == dst->id.pid_ns &&
		   src->id.user_ns == dst->id.user_ns)) {
		/* pid, uid, gid and a status of 0 at once */
		unsafe_memcpy(&d->pid, &src->id.who, sizeof(src->id.who),
			      /* the layout is asserted in internal.h */);
	} else {
		kipc_translate(d, &src->id, &dst->id);
		d->status = 0;
	}
	trace_kipc_transfer(ep_id, src->id.task, dst->id.task, tag);
}

/*
 * A call from task @caller is delivered to @srv through @ep, under
 * ep->lock (T7, or the T2 that precedes T3): @srv serves it from now on
 * (its pi.seq odd).  The caller is not more urgent than the server in
 * almost every call: that is one comparison; anything else is sched.c's.
 *
 * Return: the urgency the call lends its server (kipc_pi_lend_call(),
 * after the locks), or 0.
 */
static __always_inline int kipc_serve_start(struct kipc_ctx *srv,
					    const struct task_struct *caller,
					    struct kipc_ep *ep)
{
	/* The mark first: a boosted priority is never seen unmarked. */
	bool boosted = smp_load_acquire(&srv->pi.boosted);
	int prio = READ_ONCE(srv->id.task->normal_prio);

	WRITE_ONCE(srv->pi.seq, srv->pi.seq + 1);
	WRITE_ONCE(srv->pi.ep, ep);
	WRITE_ONCE(ep->server, srv);
	ep->server_prio = prio;
	/* Priorities without rt_mutex boosts: settings, which are lent. */
	if (likely(!ep->sched && !boosted &&
		   READ_ONCE(caller->normal_prio) >= prio))
		return 0;
	return kipc_pi_decide(ep, caller, srv, boosted);
}

/* @ctx stops serving its call (owned by current): pi.seq moves on. */
static __always_inline void kipc_serve_stop(struct kipc_ctx *ctx)
{
	WRITE_ONCE(ctx->pi.seq, ctx->pi.seq + 1);
}

/*
 * The call @ctx served has ended (kipc_serve_stop(), before): end what
 * was lent to it.  No spinlock held.
 */
static __always_inline void kipc_serve_end(struct kipc_ctx *ctx)
{
	/* Pairs with kipc_pi_lend(): we see ->lent, or it sees ->seq move. */
	smp_mb();
	if (unlikely(READ_ONCE(ctx->pi.lent)))
		kipc_pi_end(ctx);
}

/*
 * @rcv, the oldest receiver of @ep (whose lock is held, and released
 * here), waits: take it off the queue, copy the message straight into its
 * area, make @ctx its caller for a call (T7), hand it its result (T5 with
 * 0), all under ep->lock, which owns a queued context: the receiver cannot
 * withdraw meanwhile (kipc_wait_end() re-checks under it), and no other
 * lock is taken.  The receiver is whom @ctx waits for (a reply) or hears
 * from next.
 */
static __always_inline void kipc_deliver(struct kipc_ctx *ctx,
					 struct kipc_ctx *rcv,
					 struct kipc_ep *ep, u64 tag, u64 badge,
					 const bool call)
	__releases(&ep->lock)
{
	struct task_struct *peer;
	int lend = 0;
	u64 seq = 0;

	kipc_waitq_pop(&ep->receivers);		/* rcv, the oldest */
	ep->msgs++;
	kipc_transfer(rcv, ctx, call ? tag | KIPC_TAG_F_CALL : tag, badge, ep->id);
	kipc_peer_hint(rcv, ctx->id.task);
	peer = ctx->peer != rcv->id.task ? get_task_struct(rcv->id.task) : NULL;
	if (call) {
		lend = kipc_serve_start(rcv, ctx->id.task, ep);
		if (unlikely(lend)) {
			seq = rcv->pi.seq;
			/* The server settles it too, if it runs first. */
			rcv->pi.pending = lend;
			rcv->pi.todo |= KIPC_PI_TODO_LEND;
		}
		ctx->pi.lent_seq = seq;
		/*
		 * T7: become the receiver's caller before it can run.  Nobody
		 * else can match reply_from == rcv, so our own lock is not
		 * needed.  Its reply_to borrows us (kipc_reply_unlink()).
		 */
		rcv->reply_to = ctx;
		rcv->reply_hops = 0;
		WRITE_ONCE(ctx->reply_from, rcv);
		/* Pairs with a cancel's acquire (kipc_wait_end()): link first. */
		smp_store_release(&ctx->wstate, KIPC_W_REPLY);
	}
	kipc_complete(rcv, 0);					/* T5 */
	spin_unlock(&ep->lock);
	if (peer)
		kipc_peer_set(ctx, peer);
	/* The server may run already: it is boosted where it runs. */
	if (unlikely(lend))
		kipc_pi_lend_call(ctx, rcv, seq, lend);
}

/* Under @caller's lock: it still waits for the reply of @srv. */
static __always_inline bool kipc_linked(const struct kipc_ctx *caller,
					const struct kipc_ctx *srv)
{
	return READ_ONCE(caller->wstate) == KIPC_W_REPLY && caller->reply_from == srv;
}

/*
 * Queue @ctx on @queue of @ep in state @st (T1), whose lock is held and
 * released here; pollers of @ep learn @mask.
 */
static __always_inline void kipc_enqueue(struct kipc_ctx *ctx,
					 struct kipc_ep *ep,
					 struct kipc_waitq *queue, int st,
					 __poll_t mask)
	__releases(&ep->lock)
{
	kipc_queued(ctx, &ep->lock, queue, st);			/* T1 */
	/* Under ep->lock, so a poller's registration cannot be missed. */
	if (unlikely(waitqueue_active(&ep->wq))) {
		spin_unlock(&ep->lock);
		kipc_ep_wake(ep, mask);
	} else {
		spin_unlock(&ep->lock);
	}
}

/* Queue @ctx as a receiver of @ep, whose lock is held and released here. */
static __always_inline void kipc_enqueue_receiver(struct kipc_ctx *ctx,
						  struct kipc_ep *ep)
	__releases(&ep->lock)
{
	kipc_enqueue(ctx, ep, &ep->receivers, KIPC_W_RECEIVING,
		     EPOLLOUT | EPOLLWRNORM);
}

#endif /* _KIPC_IPC_H */
