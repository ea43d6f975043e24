// SPDX-License-Identifier: GPL-2.0
/*
 * The rendezvous: the send phase (send, call), the receive phase (recv,
 * reply_recv, also from a queued forwarder), the reply, and the reply
 * right.  The forward's own phase is forward.c's.
 *
 * Whoever arrives second at an endpoint finds its partner on the endpoint's
 * queue, takes it off, copies the message registers once from the sender's
 * message area to the receiver's, and hands the partner its result: a
 * sender delivers to a waiting receiver under the endpoint's lock
 * (kipc_deliver()); a receiver takes a waiting sender into KIPC_W_BUSY
 * (kipc_take(): the sender's lock is then held by us) and copies after
 * dropping the endpoint's lock.  No
 * payload is ever buffered and nothing is allocated on this path.  The
 * operation's arguments were decoded and checked by op.c; the states and
 * transitions named T1..T11 are wait.c's.
 */
#include <linux/cred.h>
#include <linux/pid_namespace.h>
#include <linux/uidgid.h>

#include "ipc.h"

/**
 * kipc_move_files_slow - hand the files of @src's message to @dst
 * @dst:	the receiving context, owned by the caller
 * @src:	the sending context, with files (kipc_move_files())
 */
void kipc_move_files_slow(struct kipc_ctx *dst, struct kipc_ctx *src)
{
	unsigned int i, n = src->nout;

	for (i = 0; i < n; i++)
		dst->in[i] = src->out[i];
	dst->nin = n;
	src->nout = 0;
}

/**
 * kipc_translate - the sender's identity for a receiver in other
 * namespaces
 * @d:		the receiver's message area
 * @src:	the sender's identity
 * @dst:	the receiver's
 *
 * kipc_transfer() delivers the cached one between contexts of the same
 * pid and user namespaces; this translates it for any others.
 */
void kipc_translate(struct kipc_utcb *d, const struct kipc_ident *src,
		    const struct kipc_ident *dst)
{
	d->pid = src->pid_ns == dst->pid_ns ? src->who.tgid :
		 task_tgid_nr_ns(src->task, dst->pid_ns);
	d->uid = from_kuid_munged(dst->user_ns, src->cred->euid);
	d->gid = from_kgid_munged(dst->user_ns, src->cred->egid);
}

/**
 * kipc_drop_reply - give up the reply right @ctx holds
 * @ctx:	the context, holding a reply right
 * @err:	what the caller, if it still waits for us, fails with (T9)
 */
void kipc_drop_reply(struct kipc_ctx *ctx, int err)
{
	struct kipc_ctx *caller = ctx->reply_to;
	bool linked;

	ctx->reply_to = NULL;
	ctx->pi.acct = false;
	kipc_serve_stop(ctx);
	spin_lock(&caller->lock);
	linked = READ_ONCE(caller->wstate) == KIPC_W_REPLY &&
		 caller->reply_from == ctx;
	if (linked) {
		caller->reply_from = NULL;
		kipc_complete(caller, err);
	}
	spin_unlock(&caller->lock);
	/* A loan ends with the link; a reference was taken if it broke. */
	if (!linked)
		kipc_ctx_put(caller);
	kipc_serve_end(ctx);
}

/**
 * kipc_reply - T8: reply to the caller @ctx holds the right for
 * @ctx:	the context; the message is in its area
 * @tag:	the reply's checked tag
 * @expect:	the caller is the task the next wait of @ctx expects to
 *		hear from (kipc_peer_set())
 * @recv:	a receive follows (reply_recv): what was lent to the call
 *		ends once @ctx is queued or has its next call
 *		(kipc_recv_settle()), not before: a server that dropped its
 *		boost before it receives again could be kept from receiving
 *		by the very task its next caller is more urgent than.
 *
 * Never blocks.
 *
 * Return: 0, or ECONNRESET if the caller stopped waiting (interrupted,
 * timed out, died), or EMSGSIZE if the reply carries more descriptors
 * than the caller reserved: then the right is kept.
 */
int kipc_reply(struct kipc_ctx *ctx, u64 tag, bool expect, bool recv)
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
		if (unlikely(ctx->pi.acct))
			kipc_acct_served(ctx, caller);
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
	ctx->pi.acct = false;
	kipc_serve_stop(ctx);
	spin_unlock(&caller->lock);
	if (peer)
		kipc_peer_set(ctx, peer);
	/* The loan ended with the reply; a broken link left a reference. */
	if (ret)
		kipc_ctx_put(caller);
	if (recv)
		ctx->pi.end_pending = true;
	else
		kipc_serve_end(ctx);
	return ret;
}

/**
 * kipc_transfer_fwd - the one copy of a forwarded call
 * @dst:	the receiving context, owned by the caller of this
 * @fwd:	the forwarder, owned by the caller of this
 * @caller:	the original caller, its lock held, still waiting for
 *		@fwd's reply (its operation runs: identity and windows stay)
 * @tag:	the forwarded message's checked tag
 * @badge:	the badge of the handle @fwd forwards through
 * @ep_id:	the endpoint's id, for the tracepoint
 *
 * Registers, tag and descriptors from @fwd's area, the identity and the
 * windows of @caller (forward.c's deliveries and kipc_recv_fwd()).
 */
void kipc_transfer_fwd(struct kipc_ctx *dst, struct kipc_ctx *fwd,
			      struct kipc_ctx *caller, u64 tag, u64 badge,
			      u64 ep_id)
{
	struct kipc_utcb *d = dst->utcb;

	memcpy(d->mr, fwd->utcb->mr, KIPC_TAG_NR(tag) * sizeof(d->mr[0]));
	kipc_move_files(dst, fwd);
	d->tag = KIPC_TAG_WITH_WINS(tag, caller->nwin) | KIPC_TAG_F_CALL;
	if (caller->nwin)
		kipc_win_deliver(dst, caller);
	d->badge = badge;
	if (caller->id.pid_ns == dst->id.pid_ns &&
	    caller->id.user_ns == dst->id.user_ns) {
		d->pid = caller->id.who.tgid;
		d->uid = caller->id.who.uid;
		d->gid = caller->id.who.gid;
	} else {
		kipc_translate(d, &caller->id, &dst->id);
	}
	d->status = KIPC_ST_FORWARDED |
		    ((fwd->reply_hops + 1U) << KIPC_ST_HOPS_SHIFT);
	trace_kipc_transfer(ep_id, caller->id.task, dst->id.task, d->tag);
}

/**
 * kipc_fwd_relink - a forwarded call moves from @fwd to @rcv
 * @fwd:	the forwarder, owned by the caller of this
 * @rcv:	the receiver, which serves the call from now on
 * @caller:	the original caller, its lock held, still waiting for @fwd
 * @ep:		@rcv's endpoint, its lock held
 *
 * @caller's reply_from names @rcv (a loan, as after T3 and T7), what it
 * lends goes to @rcv, and @fwd is out of the reply path.
 *
 * Return: what the call lends @rcv (kipc_pi_lend_call() after the locks),
 * or 0.
 */
int kipc_fwd_relink(struct kipc_ctx *fwd, struct kipc_ctx *rcv,
			   struct kipc_ctx *caller, struct kipc_ep *ep)
{
	int lend = kipc_serve_start(rcv, caller->id.task, ep);

	rcv->reply_to = caller;
	rcv->reply_hops = fwd->reply_hops + 1;
	caller->reply_from = rcv;
	caller->pi.lent_seq = lend ? rcv->pi.seq : 0;
	/* The caller now waits for @rcv: it spins on that task, not ours. */
	kipc_peer_hint(caller, rcv->id.task);
	fwd->reply_to = NULL;
	fwd->pi.acct = false;
	kipc_serve_stop(fwd);
	return lend;
}

/*
 * @ctx receives from @fwd, the oldest sender of @ep, which forwards a
 * call (@ep's lock held, and still held on return; the descriptors
 * checked): take the call, or fail @fwd with ECONNRESET if its caller
 * stopped waiting meanwhile.  @fwd is owned under @ep's lock once off the
 * queue, as a receiver is in kipc_deliver(), so no second context lock is
 * taken.  What to do after the lock (kipc_recv_fwd_done()) is left in
 * *@peer and *@lend.
 *
 * Return: true with the call delivered to @ctx (now serving it); false
 * when @fwd failed.
 */
static noinline bool kipc_recv_fwd(struct kipc_ctx *ctx, struct kipc_ctx *fwd,
				   struct kipc_ep *ep, struct task_struct **peer,
				   int *lend)
{
	struct kipc_ctx *caller = fwd->reply_to;

	kipc_waitq_del(&ep->senders, &fwd->node);
	spin_lock(&caller->lock);
	if (!kipc_linked(caller, fwd)) {
		spin_unlock(&caller->lock);
		kipc_complete(fwd, -ECONNRESET);			/* T5 */
		return false;
	}
	ep->msgs++;
	kipc_transfer_fwd(ctx, fwd, caller, fwd->tag, fwd->badge, ep->id);
	/* The forwarder hears next from a caller, not from us: see below. */
	kipc_peer_hint(fwd, caller->id.task);
	*peer = ctx->peer != caller->id.task ? get_task_struct(caller->id.task) : NULL;
	*lend = kipc_fwd_relink(fwd, ctx, caller, ep);
	spin_unlock(&caller->lock);
	kipc_complete(fwd, 0);					/* T5 */
	return true;
}

/* After kipc_recv_fwd() delivered, no spinlock held: our partner, the lend. */
static noinline void kipc_recv_fwd_done(struct kipc_ctx *ctx,
					struct task_struct *peer, int lend)
{
	if (peer)
		kipc_peer_set(ctx, peer);
	/* The caller is borrowed by our reply_to now. */
	if (unlikely(lend))
		kipc_pi_lend_call(ctx->reply_to, ctx, ctx->pi.seq, lend);
}

/**
 * kipc_send - the send phase of send (@call false) and call
 * @ctx:	the sending context, claimed; the message is in its area
 * @op:		the decoded operation: op->h the handle (SEND right checked),
 *		op->tag the checked tag, deadlines set
 * @call:	wait for a reply
 *
 * A send with a window (@ctx->wsend) comes here as a call: it waits for
 * the receiver to have copied the window (window.c).
 *
 * Return: 0, -EPIPE (nobody can receive), -EAGAIN (poll and no receiver),
 * -EMSGSIZE (the receiver reserved fewer descriptors, or has no buffer
 * for a send's window), -EIOCBQUEUED
 * (asynchronous, waiting), or what kipc_wait() returns.
 */
int kipc_send(struct kipc_ctx *ctx, struct kipc_op *op, bool call)
{
	struct kipc_ep *ep = op->h.ep;
	struct kipc_ctx *rcv, *srv = NULL;

	spin_lock(&ep->lock);
	if (unlikely(!ep->nr_recv)) {
		spin_unlock(&ep->lock);
		return -EPIPE;
	}
	rcv = kipc_first_waiter(&ep->receivers);
	if (!rcv) {
		if (op->args.send_timeout == KIPC_TIMEOUT_POLL) {
			spin_unlock(&ep->lock);
			return -EAGAIN;
		}
		ctx->tag = op->tag;
		ctx->badge = op->h.badge;
		ctx->call = call;
		ctx->fwd = false;
		/* A call more urgent than the busy server: lend it ours. */
		if (call && unlikely(READ_ONCE(current->normal_prio) < ep->server_prio) &&
		    !(ep->sched & KIPC_EP_NO_INHERIT))
			srv = ep->server;
		kipc_enqueue(ctx, ep, &ep->senders, KIPC_W_SENDING,
			     EPOLLIN | EPOLLRDNORM);
		if (unlikely(srv))
			kipc_pi_queued(ep, srv);
		return op->async ? -EIOCBQUEUED : kipc_wait(ctx, op);
	}

	/* A receiver waits: deliver straight into its area, if it can take it. */
	if (unlikely(KIPC_TAG_FDS(op->tag) > rcv->nrfd ||
		     (ctx->wsend && !kipc_win_fits(rcv, ctx)))) {
		spin_unlock(&ep->lock);
		return -EMSGSIZE;
	}
	kipc_deliver(ctx, rcv, ep, op->tag, op->h.badge, call);
	if (!call)
		return 0;
	return op->async ? -EIOCBQUEUED : kipc_wait(ctx, op);
}

/* The end of the call a reply_recv answered, once it receives again. */
static __always_inline void kipc_recv_settle(struct kipc_ctx *ctx)
{
	if (unlikely(ctx->pi.end_pending)) {
		ctx->pi.end_pending = false;
		kipc_serve_end(ctx);
	}
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
	int lend = 0;

	spin_lock(&ep->lock);
	/* Pending bits of a bound notification come first, as in seL4. */
	if (unlikely(ep->ntfn) && kipc_ntfn_take(ep, ctx)) {
		spin_unlock(&ep->lock);
		kipc_recv_settle(ctx);
		return 0;
	}
	for (;;) {
		snd = kipc_first_waiter(&ep->senders);
		if (!snd || likely(KIPC_TAG_FDS(snd->tag) <= ctx->nrfd &&
				   !(snd->wsend && !kipc_win_fits(ctx, snd)))) {
			if (likely(!snd || !snd->fwd))
				break;
			/* A forwarded call: ours now, or its caller is gone. */
			if (kipc_recv_fwd(ctx, snd, ep, &peer, &lend)) {
				spin_unlock(&ep->lock);
				kipc_recv_fwd_done(ctx, peer, lend);
				kipc_recv_settle(ctx);
				return 0;
			}
			continue;
		}
		/*
		 * T5: more descriptors than we can take, or a send's window
		 * our buffer cannot: that sender fails.
		 */
		kipc_waitq_del(&ep->senders, &snd->node);
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
			kipc_recv_settle(ctx);
			return -EPIPE;
		}
		if (op->args.recv_timeout == KIPC_TIMEOUT_POLL) {
			spin_unlock(&ep->lock);
			kipc_recv_settle(ctx);
			return -EAGAIN;
		}
		kipc_enqueue_receiver(ctx, ep);
		kipc_recv_settle(ctx);
		return op->async ? -EIOCBQUEUED : kipc_wait(ctx, op);
	}

	/* A sender waits: fetch its message straight into our area. */
	kipc_take(snd);						/* T2 */
	ep->msgs++;
	if (snd->call)
		lend = kipc_serve_start(ctx, snd->id.task, ep);
	spin_unlock(&ep->lock);

	kipc_transfer(ctx, snd, snd->call ? snd->tag | KIPC_TAG_F_CALL : snd->tag,
		      snd->badge, ep->id);
	/* Tell the sender whom it heard from; it is whom we expect next. */
	kipc_peer_hint(snd, ctx->id.task);
	peer = ctx->peer != snd->id.task ? get_task_struct(snd->id.task) : NULL;
	if (snd->call) {
		/* T3: the caller waits on, now for our reply (a loan). */
		ctx->reply_to = snd;
		ctx->reply_hops = 0;
		snd->reply_from = ctx;
		snd->pi.lent_seq = lend ? ctx->pi.seq : 0;
		WRITE_ONCE(snd->wstate, KIPC_W_REPLY);
	} else {
		kipc_complete(snd, 0);				/* T4 */
	}
	spin_unlock(&snd->lock);
	if (peer)
		kipc_peer_set(ctx, peer);
	/* The caller's urgency, which it lends us, before we run for it. */
	if (unlikely(lend))
		kipc_pi_lend_call(snd, ctx, ctx->pi.seq, lend);
	kipc_recv_settle(ctx);
	return 0;
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
