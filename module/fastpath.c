// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path, in the shape of seL4's fastpath.c: KIPC_IOC_MCALL,
 * _MSEND, _MRECV, _MREPLY_RECV, _MSEND_RECV and _MFORWARD_RECV (ABI 1.2,
 * 1.3 and 1.7, arguments in the message area, the endpoints in registered
 * slots).
 *
 * A short ladder of guards, each one line that falls to the slow path
 * (op.c) with nothing done but the claim; then, for a call and for the
 * reply_recv of a server that answers one, the rendezvous of this file,
 * which falls back too, before any side effect, if the partner does not
 * wait; then the point of no return: take the partner, copy the
 * registers (ipc.h), hand the CPU over (kipc_wait_quick()); a send_recv
 * sends one way and queues on its second endpoint the same way.  A receive
 * that polls where nobody sends ends here too (EAGAIN).  Send and recv,
 * and a reply_recv with no reply to send, pass the same guards and take
 * the general rendezvous (ipc.c).  Everything is in one file so the
 * compiler makes one function of each path.
 */
#include <linux/nospec.h>
#include <linux/sched/signal.h>

#include "ipc.h"

#define KIPC_FAST_MISS	1	/* the fast path cannot: nothing was done */

/*
 * kipc_fast_send - the fast path of call and of send_recv's send: a
 * receiver waits
 * @ctx:	the sending context, claimed, its identity current
 * @h:		a registered handle with KIPC_RIGHT_SEND
 * @tag:	the checked tag, without descriptors
 * @call:	a call (else one way)
 *
 * Return: 0 when the message was delivered (a call waits for the reply,
 * KIPC_W_REPLY), or KIPC_FAST_MISS with nothing done: nobody receives, or
 * nobody can (the slow path says which).
 */
static __always_inline int kipc_fast_send(struct kipc_ctx *ctx,
					  const struct kipc_handle *h, u64 tag,
					  const bool call)
{
	struct kipc_ep *ep = h->ep;
	struct hlist_node *first;
	struct kipc_ctx *rcv;

	spin_lock(&ep->lock);
	/* A receiver queued means a RECV handle is open (handle.c). */
	first = kipc_waitq_first(&ep->receivers);
	if (unlikely(!first)) {
		spin_unlock(&ep->lock);
		return KIPC_FAST_MISS;
	}
	rcv = hlist_entry(first, struct kipc_ctx, node);
	if (call)
		trace_kipc_call(ep->id, tag, h->badge);
	else
		trace_kipc_send(ep->id, tag, h->badge);
	kipc_deliver(ctx, rcv, ep, tag, h->badge, call);
	return 0;
}

/*
 * kipc_fast_recv_wait - the fast path of send_recv's receive: nobody sends
 * @ctx:	the receiving context, claimed, holding no reply right
 * @h:		a registered handle with KIPC_RIGHT_RECV
 *
 * Return: 0 when @ctx is queued as a receiver (KIPC_W_RECEIVING), or
 * KIPC_FAST_MISS with nothing done: a sender or a bound notification is
 * there to take, or the endpoint cannot carry messages any more.
 */
static __always_inline int kipc_fast_recv_wait(struct kipc_ctx *ctx,
					       const struct kipc_handle *h)
{
	struct kipc_ep *ep = h->ep;

	spin_lock(&ep->lock);
	/* nr_recv counts @h, which its slot holds open. */
	if (unlikely(ep->ntfn || !kipc_waitq_empty(&ep->senders) ||
		     !ep->nr_send)) {
		spin_unlock(&ep->lock);
		return KIPC_FAST_MISS;
	}
	ctx->reply_grant = h->rights & KIPC_RIGHT_GRANT;
	trace_kipc_recv(ep->id, false);
	kipc_enqueue_receiver(ctx, ep);
	return 0;
}

/*
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
static __always_inline int kipc_fast_reply_recv(struct kipc_ctx *ctx,
						const struct kipc_handle *h,
						u64 tag)
{
	struct kipc_ctx *caller = ctx->reply_to;
	struct kipc_ep *ep = h->ep;
	struct task_struct *peer;

	spin_lock(&ep->lock);
	/* nr_recv counts @h, which its slot holds open. */
	if (unlikely(ep->ntfn || !kipc_waitq_empty(&ep->senders) ||
		     !ep->nr_send))
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
	if (unlikely(ctx->pi.acct))
		kipc_acct_served(ctx, caller);
	peer = ctx->peer != caller->id.task ? get_task_struct(caller->id.task) : NULL;
	trace_kipc_reply(caller->id.task->pid, tag, 0);
	kipc_complete(caller, 0);
	spin_unlock(&caller->lock);
	ctx->reply_to = NULL;
	/* The call ends before we can be given the next one. */
	kipc_serve_stop(ctx);
	ctx->reply_grant = h->rights & KIPC_RIGHT_GRANT;
	trace_kipc_recv(ep->id, true);
	kipc_enqueue_receiver(ctx, ep);
	if (peer)
		kipc_peer_set(ctx, peer);
	kipc_serve_end(ctx);
	/* reply_to borrowed the caller: the loan ends with the link. */
	return 0;

miss:
	spin_unlock(&ep->lock);
	return KIPC_FAST_MISS;
}

/*
 * kipc_fast_recv_poll - the fast path of a receive that polls: nobody sends
 * @ctx:	the receiving context, claimed, holding no reply right
 * @h:		a registered handle with KIPC_RIGHT_RECV
 * @cmd:	KIPC_IOC_RECV or _REPLY_RECV
 *
 * What kipc_recv() answers when no sender is queued, no notification is
 * bound and the endpoint can still carry messages, and what the end of the
 * operation then does: status cleared, the error counted.
 *
 * Return: -EAGAIN with the context released, or KIPC_FAST_MISS with
 * nothing done.
 */
static __always_inline int kipc_fast_recv_poll(struct kipc_ctx *ctx,
					       const struct kipc_handle *h,
					       unsigned int cmd)
{
	struct kipc_ep *ep = h->ep;
	bool none;

	spin_lock(&ep->lock);
	/* nr_recv counts @h, which its slot holds open. */
	none = !ep->ntfn && kipc_waitq_empty(&ep->senders) && ep->nr_send;
	spin_unlock(&ep->lock);
	if (unlikely(!none))
		return KIPC_FAST_MISS;
	ctx->reply_grant = h->rights & KIPC_RIGHT_GRANT;
	trace_kipc_recv(ep->id, cmd == KIPC_IOC_REPLY_RECV);
	WRITE_ONCE(ctx->utcb->status, 0);
	trace_kipc_error(cmd, ep->id, -EAGAIN);
	atomic64_inc(&ep->errors);
	clear_bit_unlock(KIPC_CTX_CLAIMED, &ctx->claim);
	return -EAGAIN;
}

/* KIPC_TIMEOUT_INFINITE or KIPC_TIMEOUT_POLL: no deadline to compute. */
static __always_inline bool kipc_fast_timeout(u64 timeout)
{
	return timeout + 1 <= 1;
}

/*
 * The end of a fast operation whose wait kipc_wait_quick() ended well; @h
 * the handle it went through (a send_recv: the receiving one).
 */
static __always_inline long kipc_op_fast_done(struct kipc_ctx *ctx,
					      const struct kipc_handle *h)
{
	int ack;

	if (unlikely(READ_ONCE(ctx->peer_next)))
		kipc_peer_take(ctx);
	ack = kipc_serve_todo(ctx, h);
	/* A send's window: its sender waited for the copy. */
	if (unlikely(ack <= 0))
		kipc_drop_reply(ctx, ack);
	/* The message received wrote status. */
	clear_bit_unlock(KIPC_CTX_CLAIMED, &ctx->claim);
	return 0;
}

/*
 * The fast path of KIPC_IOC_MCALL, _MSEND, _MRECV, _MREPLY_RECV,
 * _MSEND_RECV and _MFORWARD_RECV, in seL4's shape: guards, each falling
 * to the slow path with nothing done but the claim, then the point of no
 * return.  @cmd is the
 * ABI 1.0 number of the operation (send_recv: its own), a constant where
 * this is inlined.  A call, the reply_recv of a server that answers one,
 * and a send_recv go on to the rendezvous above, which falls back too if
 * the partner is not waiting, and hand the CPU straight to the partner;
 * send and recv, and a reply_recv without a reply to send, take the
 * general rendezvous.
 */
static __always_inline long kipc_op_fast(struct kipc_ctx *ctx,
					 unsigned int cmd, s32 ep,
					 u64 send_timeout, u64 recv_timeout,
					 s32 recv_ep)
{
	bool both = cmd == KIPC_IOC_MSEND_RECV || cmd == KIPC_IOC_MFORWARD_RECV;
	bool send = cmd == KIPC_IOC_SEND || cmd == KIPC_IOC_CALL || both;
	const struct kipc_handle *h, *rh = NULL;
	u64 tag = 0;
	int ret;

	/* Another operation runs, is parked or is to be restarted. */
	if (unlikely(test_and_set_bit_lock(KIPC_CTX_CLAIMED, &ctx->claim)))
		return kipc_op_area_slow(ctx, cmd, false);
	if (unlikely(ctx->resume_task))
		goto slow;
	/* A timeout to arm (polls and infinite waits arm none). */
	if (unlikely(!kipc_fast_timeout(send ? send_timeout : recv_timeout) ||
		     (cmd == KIPC_IOC_CALL &&
		      recv_timeout != KIPC_TIMEOUT_INFINITE) ||
		     (both && !kipc_fast_timeout(recv_timeout))))
		goto slow;
	/* An empty slot, or one without the right (the slow path says which). */
	h = &ctx->slots[array_index_nospec(ep, KIPC_SLOTS)].h;
	if (unlikely(!(h->rights & (send ? KIPC_RIGHT_SEND : KIPC_RIGHT_RECV))))
		goto slow;
	if (cmd == KIPC_IOC_MFORWARD_RECV && unlikely(!(h->rights & KIPC_RIGHT_FORWARD)))
		goto slow;
	/*
	 * send_recv: its receiving slot too, and no reply right to give up;
	 * forward_recv: a right to forward with.
	 */
	if (both) {
		rh = &ctx->slots[array_index_nospec(recv_ep, KIPC_SLOTS)].h;
		if (unlikely(!(rh->rights & KIPC_RIGHT_RECV) ||
			     (cmd == KIPC_IOC_MSEND_RECV ? !!ctx->reply_to : !ctx->reply_to)))
			goto slow;
	}
	/* Descriptors to reserve for a message to receive. */
	if (unlikely(cmd != KIPC_IOC_SEND && READ_ONCE(ctx->utcb->fd_max)))
		goto slow;
	/* A message to send: a bad tag, or descriptors to take. */
	if (send || (cmd == KIPC_IOC_REPLY_RECV && ctx->reply_to)) {
		tag = READ_ONCE(ctx->utcb->tag) & ~KIPC_TAG_F_CALL;
		/* A flag (descriptors) makes it >= 256: one compare for both. */
		if (unlikely((tag & (KIPC_TAG_NR_MASK | KIPC_TAG_FLAGS_MASK)) >
			     KIPC_MSG_REGS))
			goto slow;
	}
	/* Another task or new credentials: the identity to cache again. */
	if (unlikely(!kipc_ident_current(ctx)))
		kipc_ident_refresh(ctx);

	/* send_recv (forward_recv): send one way (forward), then receive. */
	if (both) {
		/* Nobody waits to take it: the slow path queues, or fails. */
		if (cmd == KIPC_IOC_MSEND_RECV) {
			if (unlikely(kipc_fast_send(ctx, h, tag, false)))
				goto slow;
		} else {
			if (unlikely(kipc_forward_fast(ctx, h, tag)))
				goto slow;
			kipc_forward_end(ctx, 0);
		}
		/* Point of no return: sent.  Nobody sends: wait. */
		if (recv_timeout == KIPC_TIMEOUT_INFINITE &&
		    !kipc_fast_recv_wait(ctx, rh)) {
			ret = kipc_wait_quick(ctx);
			if (unlikely(ret))
				return kipc_op_fast_slow(ctx, cmd, ep, send_timeout,
							 recv_timeout, recv_ep, rh,
							 ret > 0 ? -EINPROGRESS : ret);
			WRITE_ONCE(ctx->utcb->status,
				   READ_ONCE(ctx->utcb->status) | KIPC_ST_SENT);
			return kipc_op_fast_done(ctx, rh);
		}
		return kipc_op_fast_other(ctx, cmd, ep, send_timeout,
					  recv_timeout, recv_ep, rh, tag);
	}
	/* Call and a server's reply_recv that waits for the next call. */
	if (cmd == KIPC_IOC_CALL ||
	    (cmd == KIPC_IOC_REPLY_RECV && ctx->reply_to &&
	     recv_timeout == KIPC_TIMEOUT_INFINITE)) {
		/* Nobody waits to take it: the slow path queues, or fails. */
		if (cmd == KIPC_IOC_CALL)
			ret = kipc_fast_send(ctx, h, tag, true);
		else
			ret = kipc_fast_reply_recv(ctx, h, tag);
		if (unlikely(ret))
			goto slow;
		/* Point of no return: delivered, and waiting. */
		ret = kipc_wait_quick(ctx);
		if (unlikely(ret))
			return kipc_op_fast_slow(ctx, cmd, ep, send_timeout,
						 recv_timeout, recv_ep, h,
						 ret > 0 ? -EINPROGRESS : ret);
		return kipc_op_fast_done(ctx, h);
	}
	/* A reply to send and a poll to make: the slow path's reply_recv. */
	if (cmd == KIPC_IOC_REPLY_RECV && ctx->reply_to)
		goto slow;
	/* A poll (no reply right to give up): nobody sends, or the rest. */
	if (cmd != KIPC_IOC_SEND && recv_timeout == KIPC_TIMEOUT_POLL &&
	    !ctx->reply_to) {
		ret = kipc_fast_recv_poll(ctx, h, cmd);
		if (ret != KIPC_FAST_MISS)
			return ret;
	}
	return kipc_op_fast_other(ctx, cmd, ep, send_timeout, recv_timeout,
				  recv_ep, h, tag);

slow:
	return kipc_op_area_slow(ctx, cmd, true);
}

/**
 * kipc_op_area_ioctl - KIPC_IOC_MSEND ... _MREPLY_RECV (ABI 1.2),
 * _MSEND_RECV (ABI 1.3), _MFORWARD and _MFORWARD_RECV (ABI 1.7): one IPC
 * operation with its arguments in the message area
 * @ctx:	the context, owned by current's address space
 * @cmd:	the ioctl number
 * @arg:	must be 0
 *
 * Return: 0 or -errno, as the ABI 1.0 operation.
 */
long kipc_op_area_ioctl(struct kipc_ctx *ctx, unsigned int cmd,
			unsigned long arg)
{
	const struct kipc_area_args *ua = &ctx->utcb->args;
	/* Read once: user space may change the area under us. */
	s32 ep = READ_ONCE(ua->ep);
	u32 flags = READ_ONCE(ua->flags);
	u64 send_timeout = READ_ONCE(ua->send_timeout);
	u64 recv_timeout = READ_ONCE(ua->recv_timeout);
	s32 recv_ep = 0;

	if (unlikely(arg))
		return -EINVAL;
	/*
	 * The last word: reserved (0), or send_recv's receive slot (0 in a
	 * word of 0) and padding.
	 */
	if (unlikely(READ_ONCE(ua->__reserved))) {
		if (cmd == KIPC_IOC_MSEND_RECV || cmd == KIPC_IOC_MFORWARD_RECV) {
			recv_ep = READ_ONCE(ua->recv_ep);
			if (unlikely(READ_ONCE(ua->__pad) ||
				     (u32)recv_ep >= KIPC_SLOTS))
				flags = ~0U;
		} else {
			flags = ~0U;
		}
	}
	/* Through a slot, the arguments checked: the fast path. */
	if (likely(flags == KIPC_ARGS_SLOT && (u32)ep < KIPC_SLOTS)) {
		switch (cmd) {
		case KIPC_IOC_MCALL:
			return kipc_op_fast(ctx, KIPC_IOC_CALL, ep,
					    send_timeout, recv_timeout, 0);
		case KIPC_IOC_MREPLY_RECV:
			return kipc_op_fast(ctx, KIPC_IOC_REPLY_RECV, ep,
					    send_timeout, recv_timeout, 0);
		case KIPC_IOC_MSEND:
			return kipc_op_fast(ctx, KIPC_IOC_SEND, ep,
					    send_timeout, recv_timeout, 0);
		case KIPC_IOC_MRECV:
			return kipc_op_fast(ctx, KIPC_IOC_RECV, ep,
					    send_timeout, recv_timeout, 0);
		case KIPC_IOC_MSEND_RECV:
			return kipc_op_fast(ctx, KIPC_IOC_MSEND_RECV, ep,
					    send_timeout, recv_timeout, recv_ep);
		case KIPC_IOC_MFORWARD_RECV:
			return kipc_op_fast(ctx, KIPC_IOC_MFORWARD_RECV, ep,
					    send_timeout, recv_timeout, recv_ep);
		}
	}
	return kipc_op_area_slow(ctx, cmd == KIPC_IOC_MSEND ? KIPC_IOC_SEND :
				 cmd == KIPC_IOC_MRECV ? KIPC_IOC_RECV :
				 cmd == KIPC_IOC_MCALL ? KIPC_IOC_CALL :
				 cmd == KIPC_IOC_MREPLY ? KIPC_IOC_REPLY :
				 cmd == KIPC_IOC_MREPLY_RECV ? KIPC_IOC_REPLY_RECV :
				 cmd == KIPC_IOC_MFORWARD ? KIPC_IOC_FORWARD :
				 cmd, false);
}
