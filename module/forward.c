// SPDX-License-Identifier: GPL-2.0
/*
 * Forwarding (ABI 1.7, L4's propagation): a server that holds a call's
 * reply right hands the call on to another endpoint, and the right goes
 * with it.  The receiver gets the message in the forwarder's area with
 * the original caller's identity and windows (ipc.c, kipc_transfer_fwd())
 * and serves the call from then on (kipc_fwd_relink()); the forwarder is
 * out of the reply path as soon as a receiver took the message: at once
 * when one waits (here), else when one comes and takes the forwarder off
 * the sender queue (ipc.c, kipc_recv_fwd()).  The move always happens
 * under the endpoint's lock and the caller's, while the caller still
 * waits for the forwarder: a caller that stopped waiting is never served
 * by a second context, and the forward fails with ECONNRESET instead.
 * A call is forwarded at most KIPC_FWD_HOPS_MAX times (ELOOP, which
 * ends the call too).  kipc-fwd.pml models the move.
 */
#include "ipc.h"

/*
 * The forward to @rcv, the oldest receiver of @ep, which waits and can
 * take the message; @caller still waits for @ctx's reply.  Under @ep's
 * lock and @caller's, both released here.
 */
static void kipc_fwd_deliver(struct kipc_ctx *ctx, struct kipc_ctx *rcv,
			     struct kipc_ctx *caller, struct kipc_ep *ep,
			     u64 tag, u64 badge)
	__releases(&caller->lock) __releases(&ep->lock)
{
	struct task_struct *peer;
	int lend;
	u64 seq;

	kipc_waitq_pop(&ep->receivers);		/* rcv, the oldest */
	ep->msgs++;
	kipc_transfer_fwd(rcv, ctx, caller, tag, badge, ep->id);
	/* The server answers the caller, whom it then expects again. */
	kipc_peer_hint(rcv, caller->id.task);
	/*
	 * Not the server: we hear next from a caller (one that calls us
	 * again once answered).  Blocked now, it makes our next wait sleep
	 * at once instead of keeping the CPU from the server.
	 */
	peer = ctx->peer != caller->id.task ? get_task_struct(caller->id.task) : NULL;
	lend = kipc_fwd_relink(ctx, rcv, caller, ep);
	seq = rcv->pi.seq;
	if (unlikely(lend)) {
		/* The server settles it too, if it runs first. */
		rcv->pi.pending = lend;
		rcv->pi.todo |= KIPC_PI_TODO_LEND;
		/* rcv may answer and the caller go before we lend. */
		kref_get(&caller->ref);
	}
	spin_unlock(&caller->lock);
	kipc_complete(rcv, 0);					/* T5 */
	spin_unlock(&ep->lock);
	if (peer)
		kipc_peer_set(ctx, peer);
	if (unlikely(lend)) {
		kipc_pi_lend_call(caller, rcv, seq, lend);
		kipc_ctx_put(caller);
	}
}

/**
 * kipc_forward_fast - the forward of the fast path (fastpath.c): a
 * receiver waits
 * @ctx:	the forwarding context, claimed, holding a reply right, its
 *		identity current
 * @h:		a registered handle with KIPC_RIGHT_SEND
 * @tag:	the checked tag, without descriptors or windows
 *
 * Return: 0 when the call went on (the right moved; kipc_forward_end()
 * follows), or 1 with nothing done: nobody receives, the caller is gone,
 * or the call went round too often (the slow path says which).
 */
int kipc_forward_fast(struct kipc_ctx *ctx, const struct kipc_handle *h, u64 tag)
{
	struct kipc_ctx *caller = ctx->reply_to, *rcv;
	struct kipc_ep *ep = h->ep;

	if (unlikely(ctx->reply_hops >= KIPC_FWD_HOPS_MAX))
		return 1;
	spin_lock(&ep->lock);
	rcv = kipc_first_waiter(&ep->receivers);
	if (unlikely(!rcv))
		goto miss;
	spin_lock(&caller->lock);
	if (unlikely(!kipc_linked(caller, ctx))) {
		spin_unlock(&caller->lock);
		goto miss;
	}
	trace_kipc_forward(ep->id, tag, h->badge);
	kipc_fwd_deliver(ctx, rcv, caller, ep, tag, h->badge);
	return 0;
miss:
	spin_unlock(&ep->lock);
	return 1;
}

/**
 * kipc_forward - the forward phase of KIPC_IOC_FORWARD and _MFORWARD_RECV
 * @ctx:	the forwarding context, claimed, holding a reply right; the
 *		message is in its area
 * @op:		the decoded operation: op->h the handle (SEND right checked),
 *		op->tag the checked tag (no windows), the send deadline set
 *
 * Delivers the message as the call @ctx holds the right for: to a waiting
 * receiver at once, else @ctx waits on @ep's sender queue (@ctx->fwd) for
 * the receiver that takes it (kipc_recv_fwd()).  Either way the move of
 * the right happens under the caller's lock while it still waits, so a
 * caller that stops waiting meanwhile is never served by a second
 * context, and its identity is read while it cannot change.
 *
 * Return: 0 (the right moved), -ECONNRESET (the caller stopped waiting:
 * the right is still held, to be given up), -ELOOP (forwarded too often:
 * the caller failed with it and the right is gone), or what kipc_send()
 * returns for a send, with the right kept.
 */
int kipc_forward(struct kipc_ctx *ctx, struct kipc_op *op)
{
	struct kipc_ctx *caller = ctx->reply_to, *srv = NULL;
	struct kipc_ep *ep = op->h.ep;
	struct kipc_ctx *rcv;
	bool linked;

	if (unlikely(ctx->reply_hops >= KIPC_FWD_HOPS_MAX)) {
		kipc_drop_reply(ctx, -ELOOP);
		return -ELOOP;
	}
	spin_lock(&ep->lock);
	if (unlikely(!ep->nr_recv)) {
		spin_unlock(&ep->lock);
		return -EPIPE;
	}
	rcv = kipc_first_waiter(&ep->receivers);
	if (rcv && unlikely(KIPC_TAG_FDS(op->tag) > rcv->nrfd)) {
		spin_unlock(&ep->lock);
		return -EMSGSIZE;
	}
	if (!rcv && op->args.send_timeout == KIPC_TIMEOUT_POLL) {
		spin_unlock(&ep->lock);
		return -EAGAIN;
	}
	/* Not for a caller that is gone (a receiver checks again). */
	spin_lock(&caller->lock);
	linked = kipc_linked(caller, ctx);
	if (linked && rcv) {
		kipc_fwd_deliver(ctx, rcv, caller, ep, op->tag, op->h.badge);
		return 0;
	}
	spin_unlock(&caller->lock);
	if (!linked) {
		spin_unlock(&ep->lock);
		return -ECONNRESET;
	}
	ctx->tag = op->tag;
	ctx->badge = op->h.badge;
	ctx->call = false;
	ctx->fwd = true;
	/*
	 * The call, more urgent than the busy server, waits on: lend that
	 * server the urgency we run at for it (lent by the caller), as a
	 * queued call does (kipc_send()).
	 */
	if (unlikely(READ_ONCE(current->normal_prio) < ep->server_prio) &&
	    !(ep->sched & KIPC_EP_NO_INHERIT))
		srv = ep->server;
	kipc_enqueue(ctx, ep, &ep->senders, KIPC_W_SENDING, EPOLLIN | EPOLLRDNORM);
	if (unlikely(srv))
		kipc_pi_queued(ep, srv);
	return op->async ? -EIOCBQUEUED : kipc_wait(ctx, op);
}

/**
 * kipc_forward_end - the end of a forward phase (kipc_forward())
 * @ctx:	the forwarding context, claimed; no spinlock held
 * @ret:	the phase's result
 *
 * A forwarder that handed its call on stops serving it (what the call
 * lent it ends); one whose caller had gone gives the right up.
 */
void kipc_forward_end(struct kipc_ctx *ctx, int ret)
{
	if (!ret && !ctx->reply_to)
		kipc_serve_end(ctx);
	else if (ret == -ECONNRESET && ctx->reply_to)
		kipc_drop_reply(ctx, -ECONNRESET);
}
