// SPDX-License-Identifier: GPL-2.0
/*
 * One IPC operation's life on a context: claim the context, decode and
 * check the arguments, run the rendezvous (ipc.c), end: write status,
 * install or drop descriptors, account errors, release the context.
 *
 * Two ways in.  The fast path (fastpath.c, ABI 1.2, arguments in the
 * message area) is a short ladder of guards, each one line that falls to
 * the slow path here, then a point of no return after which it goes
 * straight to the rendezvous; the slow path (kipc_op_run()) decodes
 * everything else: descriptors in the arguments or the message, finite
 * timeouts, restarts, notifications, io_uring.  Errors come in the documented order: the
 * message area, then the handle, then the descriptors, then what the
 * rendezvous finds.
 *
 * Signals (restart.c explains the rules): a phase withdrawn after a signal
 * that runs no handler is issued again by the kernel with its absolute
 * deadlines (ctx->resume); a call waiting for its reply is parked (it
 * keeps the context claimed and waiting, ctx->held) and resumed when its
 * ioctl comes back.
 */
#include <linux/cred.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "kipc_trace.h"

/*
 * The tag of the message in @ctx's area, read once: the area is user
 * memory and may change under us.  KIPC_TAG_F_CALL, which the kernel sets
 * on received messages, is ignored so a message can be sent back as is
 * (its descriptor count is not: a received count must be cleared or the
 * descriptors are passed back).  Only a send or call (@wins) may name
 * memory windows.
 */
static __always_inline int kipc_load_tag(struct kipc_ctx *ctx, u64 *tagp,
					 bool wins)
{
	u64 tag = READ_ONCE(ctx->utcb->tag) & ~KIPC_TAG_F_CALL;

	if (unlikely(KIPC_TAG_NR(tag) > KIPC_MSG_REGS ||
		     (tag & KIPC_TAG_FLAGS_MASK & ~KIPC_TAG_FDS_MASK &
		      ~KIPC_TAG_WINS_MASK) ||
		     KIPC_TAG_FDS(tag) > KIPC_MSG_FDS))
		return -EINVAL;
	/* Windows: send and call load them (kipc_win_load()); no reply has any. */
	if (unlikely(tag & KIPC_TAG_WINS_MASK) && !wins)
		return -EINVAL;
	*tagp = tag;
	return 0;
}

/*
 * Read and check the descriptor count to reserve for a receive (call,
 * recv, reply_recv), before the handle: a malformed message area is an
 * argument error and wins over the handle's errors.
 */
static __always_inline int kipc_load_fd_max(struct kipc_ctx *ctx,
					    struct kipc_op *op)
{
	unsigned int n = READ_ONCE(ctx->utcb->fd_max);

	if (likely(!n))
		return 0;
	if (n > KIPC_MSG_FDS)
		return -EINVAL;
	/* Ring completions may run where no descriptor can be installed. */
	if (op->async)
		return -EOPNOTSUPP;
	op->fd_max = n;
	return 0;
}

/*
 * The handle @ep names (with @flags' KIPC_ARGS_SLOT: a slot's, else a
 * descriptor's), which must have @right; *@h holds a reference to its
 * endpoint unless *@borrowed, also when it lacks the right.
 */
static int kipc_handle_get(struct kipc_ctx *ctx, u32 flags, s32 ep,
			   struct kipc_handle *h, bool *borrowed, u32 right)
{
	int ret;

	if (flags & KIPC_ARGS_SLOT) {
		/* Registered: checked then, held by the slot, changed only by us. */
		*h = ctx->slots[array_index_nospec(ep, KIPC_SLOTS)].h;
		if (!h->ep)
			return -EBADF;
		*borrowed = true;
	} else {
		ret = kipc_handle_lookup(ep, h);
		if (ret)
			return ret;
	}
	if ((h->rights & right) != right)
		return -EPERM;
	return 0;
}

/* The handle the operation names, with @right. */
static int kipc_op_handle(struct kipc_ctx *ctx, struct kipc_op *op, u32 right)
{
	return kipc_handle_get(ctx, op->args.flags, op->args.ep, &op->h,
			       &op->borrowed, right);
}

/* The common case, a message without descriptors, costs one test. */
static __always_inline int kipc_get_files(struct kipc_ctx *ctx,
					  struct kipc_op *op, bool grant)
{
	if (likely(!(op->tag & KIPC_TAG_FDS_MASK)))
		return 0;
	return kipc_get_files_slow(ctx, op, op->tag, grant);
}

static __always_inline int kipc_reserve_fds(struct kipc_ctx *ctx,
					    struct kipc_op *op)
{
	/* op->fd_max was read once and checked by kipc_load_fd_max(). */
	return likely(!op->fd_max) ? 0 : kipc_reserve_fds_slow(ctx, op, op->fd_max);
}

/*
 * io_uring takes no timeouts but "now" and "never": a finite one would
 * need a timer per pending operation; KIPC_IOC_CANCEL bounds a wait.
 */
static __always_inline int kipc_async_timeout(struct kipc_op *op, u64 timeout)
{
	if (op->async && timeout != KIPC_TIMEOUT_POLL &&
	    timeout != KIPC_TIMEOUT_INFINITE)
		return -EINVAL;
	return 0;
}

/* send and call: decode, then the send phase. */
static int kipc_op_send(struct kipc_ctx *ctx, struct kipc_op *op)
{
	const struct kipc_restart *rs = op->rs;
	bool call = op->cmd == KIPC_IOC_CALL;
	int ret;

	ret = kipc_load_tag(ctx, &op->tag, true);
	if (ret)
		return ret;
	if (op->async && KIPC_TAG_FDS(op->tag))
		return -EOPNOTSUPP;
	if (unlikely(op->tag & KIPC_TAG_WINS_MASK)) {
		ret = kipc_win_load(ctx, op->tag, call, op->async);
		if (ret)
			return ret;
	}
	ret = kipc_async_timeout(op, op->args.send_timeout) ?:
	      kipc_async_timeout(op, op->args.recv_timeout);
	if (ret)
		return ret;
	if (call) {
		ret = kipc_load_fd_max(ctx, op);
		if (ret)
			return ret;
	}
	/* A reply right held is kept: a server may call others first. */
	ret = kipc_op_handle(ctx, op, KIPC_RIGHT_SEND);
	if (ret)
		return ret;
	ret = kipc_reserve_fds(ctx, op);
	if (ret)
		return ret;
	ret = kipc_get_files(ctx, op, op->h.rights & KIPC_RIGHT_GRANT);
	if (ret)
		return ret;
	op->send_dl = rs ? rs->send_dl : kipc_deadline(op->args.send_timeout);
	op->send_restart = op->args.send_timeout == KIPC_TIMEOUT_INFINITE;
	if (!call) {
		trace_kipc_send(op->h.ep->id, op->tag, op->h.badge);
		/* A window: it waits until the receiver has copied it. */
		return kipc_send(ctx, op, ctx->wsend);
	}
	trace_kipc_call(op->h.ep->id, op->tag, op->h.badge);
	/* A restart would start the whole call's deadline again. */
	op->send_restart &= op->args.recv_timeout == KIPC_TIMEOUT_INFINITE;
	op->recv_dl = rs ? rs->recv_dl : kipc_deadline(op->args.recv_timeout);
	return kipc_send(ctx, op, true);
}

/* reply: decode, reply. */
static int kipc_op_reply(struct kipc_ctx *ctx, struct kipc_op *op)
{
	int ret;

	if (op->args.ep != -1 || (op->args.flags & KIPC_ARGS_SLOT))
		return -EINVAL;
	ret = kipc_load_tag(ctx, &op->tag, false);
	if (ret)
		return ret;
	if (!ctx->reply_to)
		return -ENOENT;
	ret = kipc_get_files(ctx, op, ctx->reply_grant);
	if (ret)
		return ret;
	return kipc_reply(ctx, op->tag, false, false);
}

/* recv and reply_recv: decode, reply if a right is held, receive. */
static int kipc_op_recv(struct kipc_ctx *ctx, struct kipc_op *op)
{
	const struct kipc_restart *rs = op->rs;
	bool reply = op->cmd == KIPC_IOC_REPLY_RECV;
	int ret;

	if (unlikely(rs)) {
		op->replied = rs->replied;
		op->lost = rs->lost;
	}
	ret = kipc_async_timeout(op, op->args.recv_timeout);
	if (ret)
		return ret;
	/* The reply's tag: without a reply right, no reply is sent. */
	if (reply && ctx->reply_to) {
		ret = kipc_load_tag(ctx, &op->tag, false);
		if (ret)
			return ret;
		if (op->async && KIPC_TAG_FDS(op->tag))
			return -EOPNOTSUPP;
	}
	ret = kipc_load_fd_max(ctx, op);
	if (ret)
		return ret;
	ret = kipc_op_handle(ctx, op, KIPC_RIGHT_RECV);
	if (ret)
		return ret;
	ret = kipc_reserve_fds(ctx, op);
	if (ret)
		return ret;
	if (ctx->reply_to) {
		if (reply) {
			ret = kipc_get_files(ctx, op, ctx->reply_grant);
			if (!ret)
				ret = kipc_reply(ctx, op->tag, !op->async, true);
			/* Not sent (the right is kept), or a bad argument. */
			if (ret && ret != -ECONNRESET)
				return ret;
			op->lost = ret != 0;
			op->replied = true;
			if (unlikely(op->files))
				kipc_put_files(ctx, op);
		} else {
			kipc_drop_reply(ctx, -ECONNRESET);
		}
	}
	ctx->reply_grant = op->h.rights & KIPC_RIGHT_GRANT;
	trace_kipc_recv(op->h.ep->id, reply);
	op->recv_dl = rs ? rs->recv_dl : kipc_deadline(op->args.recv_timeout);
	op->recv_restart = op->args.recv_timeout == KIPC_TIMEOUT_INFINITE;
	return kipc_recv(ctx, op);
}

/* forward: decode, then the forward phase: the reply right moves. */
static int kipc_op_forward(struct kipc_ctx *ctx, struct kipc_op *op)
{
	const struct kipc_restart *rs = op->rs;
	int ret;

	/* No windows: the caller's go with its call. */
	ret = kipc_load_tag(ctx, &op->tag, false);
	if (ret)
		return ret;
	if (op->async && KIPC_TAG_FDS(op->tag))
		return -EOPNOTSUPP;
	ret = kipc_async_timeout(op, op->args.send_timeout);
	if (ret)
		return ret;
	if (!ctx->reply_to)
		return -ENOENT;
	/* Only a handle its endpoint's owner gave the right speaks for callers. */
	ret = kipc_op_handle(ctx, op, KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD);
	if (ret)
		return ret;
	ret = kipc_get_files(ctx, op, op->h.rights & KIPC_RIGHT_GRANT);
	if (ret)
		return ret;
	op->send_dl = rs ? rs->send_dl : kipc_deadline(op->args.send_timeout);
	op->send_restart = op->args.send_timeout == KIPC_TIMEOUT_INFINITE;
	op->fwd = true;
	trace_kipc_forward(op->h.ep->id, op->tag, op->h.badge);
	return kipc_forward(ctx, op);
}

/* The end of a forward phase, once (kipc_forward_end()). */
static noinline void kipc_fwd_end(struct kipc_ctx *ctx, struct kipc_op *op,
				  int ret)
{
	op->fwd = false;
	kipc_forward_end(ctx, ret);
}

/*
 * send_recv and forward_recv: decode both phases (an argument error, of
 * either, sends nothing), send one way or forward unless a restart finds
 * that done, then receive on the second endpoint, whose deadline starts
 * with the receive.
 */
static int kipc_op_send_recv(struct kipc_ctx *ctx, struct kipc_op *op)
{
	const struct kipc_restart *rs = op->rs;
	bool fwd = op->cmd == KIPC_IOC_MFORWARD_RECV;
	struct kipc_handle rh = { };
	bool rborrowed = false;
	int ret;

	if (unlikely(op->async))
		return -EOPNOTSUPP;
	if (unlikely(rs))
		op->replied = rs->replied;
	if (!op->replied) {
		ret = kipc_load_tag(ctx, &op->tag, false);
		if (ret)
			return ret;
	}
	ret = kipc_load_fd_max(ctx, op);
	if (ret)
		return ret;
	if (!op->replied) {
		if (fwd && !ctx->reply_to)
			return -ENOENT;
		ret = kipc_op_handle(ctx, op, fwd ? KIPC_RIGHT_SEND | KIPC_RIGHT_FORWARD :
					   KIPC_RIGHT_SEND);
		if (ret)
			return ret;
	}
	ret = kipc_handle_get(ctx, op->args.flags, op->args.recv_ep, &rh,
			      &rborrowed, KIPC_RIGHT_RECV) ?:
	      kipc_reserve_fds(ctx, op);
	if (ret)
		goto put;
	if (!op->replied) {
		ret = kipc_get_files(ctx, op, op->h.rights & KIPC_RIGHT_GRANT);
		if (ret)
			goto put;
		op->send_dl = rs ? rs->send_dl : kipc_deadline(op->args.send_timeout);
		op->send_restart = op->args.send_timeout == KIPC_TIMEOUT_INFINITE;
		if (fwd) {
			op->fwd = true;
			trace_kipc_forward(op->h.ep->id, op->tag, op->h.badge);
			ret = kipc_forward(ctx, op);
			if (!ret)
				kipc_fwd_end(ctx, op, 0);
		} else {
			trace_kipc_send(op->h.ep->id, op->tag, op->h.badge);
			ret = kipc_send(ctx, op, false);
		}
		if (ret)
			goto put;
		op->replied = true;
		if (unlikely(op->files))
			kipc_put_files(ctx, op);
	}
	/* The receive phase, on the second handle. */
	if (op->h.ep && !op->borrowed)
		kipc_ep_put(op->h.ep);
	op->h = rh;
	op->borrowed = rborrowed;
	if (ctx->reply_to)
		kipc_drop_reply(ctx, -ECONNRESET);
	ctx->reply_grant = op->h.rights & KIPC_RIGHT_GRANT;
	trace_kipc_recv(op->h.ep->id, false);
	op->recv_dl = rs && rs->replied ? rs->recv_dl :
		      kipc_deadline(op->args.recv_timeout);
	/*
	 * Never -ERESTARTSYS once sent: after a handler, SA_RESTART's
	 * re-issue could not be told from the program's own, and would send
	 * again.  Without a handler the restart is recognised (restart.c).
	 */
	op->recv_restart = false;
	return kipc_recv(ctx, op);

put:
	if (rh.ep && !rborrowed)
		kipc_ep_put(rh.ep);
	return ret;
}

/*
 * Leave `status` describing the operation that ends with @ret: a received
 * message or notification wrote it (ipc.c, notify.c), a reply that found
 * no caller adds KIPC_ST_REPLY_LOST, a send_recv's send KIPC_ST_SENT, and
 * anything else clears it.  Not for
 * -EIOCBQUEUED: a partner may still be writing it.
 */
static __always_inline void kipc_status_end(struct kipc_ctx *ctx,
					    const struct kipc_op *op, int ret)
{
	struct kipc_utcb *u = ctx->utcb;

	u32 add = op->lost ? KIPC_ST_REPLY_LOST : 0;

	if ((op->cmd == KIPC_IOC_MSEND_RECV || op->cmd == KIPC_IOC_MFORWARD_RECV) &&
	    op->replied)
		add |= KIPC_ST_SENT;
	if (unlikely(ret))
		WRITE_ONCE(u->status, add);
	else if (unlikely(add))
		WRITE_ONCE(u->status, READ_ONCE(u->status) | add);
	else if (op->cmd == KIPC_IOC_SEND || op->cmd == KIPC_IOC_REPLY ||
		 op->cmd == KIPC_IOC_FORWARD)
		WRITE_ONCE(u->status, 0);
}

/* Account a failed operation: not a transparent restart, which goes on. */
static noinline void kipc_op_error(struct kipc_op *op, int ret)
{
	if (ret == -ERESTARTSYS || ret == -ERESTARTNOHAND ||
	    ret == -ERESTARTNOINTR)
		return;
	trace_kipc_error(op->cmd, op->h.ep ? op->h.ep->id : 0, ret);
	if (op->h.ep)
		atomic64_inc(&op->h.ep->errors);
}

/*
 * The end of an operation, synchronous or asynchronous (and of a parked
 * one resumed or abandoned): hand over or drop descriptors, write status,
 * account an error, drop what the operation held, release the context for
 * the next one.
 */
static __always_inline int kipc_op_end(struct kipc_ctx *ctx, struct kipc_op *op,
				       int ret)
{
	int ack;

	if (unlikely(op->fwd))
		kipc_fwd_end(ctx, op, ret);
	if (unlikely(op->files))
		kipc_fds_end(ctx, op, ret);
	/* Windows sent end with the call: no copy may still run. */
	if (unlikely(ctx->nwin))
		kipc_win_end(ctx);
	kipc_status_end(ctx, op, ret);
	ack = kipc_serve_todo(ctx, &op->h);
	/* A send's window: its sender waited for the copy. */
	if (unlikely(ack <= 0))
		kipc_drop_reply(ctx, ack);
	if (unlikely(ret))
		kipc_op_error(op, ret);
	if (op->h.ep && !op->borrowed)
		kipc_ep_put(op->h.ep);
	if (unlikely(op->ntfn))
		kipc_ntfn_put(op->ntfn);
	clear_bit_unlock(KIPC_CTX_CLAIMED, &ctx->claim);
	return ret;
}

/*
 * kipc_wait() was interrupted by a signal that is not fatal and the ioctl
 * will be issued again (restart.c).  A call waiting for its reply is
 * parked as it is (-ERESTARTNOINTR); any other phase was withdrawn and its
 * operation ends here, noting the deadlines the restart goes on with
 * (-ERESTARTNOHAND).
 */
static noinline int kipc_op_interrupted(struct kipc_ctx *ctx,
					struct kipc_op *op, int ret)
{
	if (!op->park) {
		kipc_restart_note(&ctx->resume, op->cmd, &op->args);
		ctx->resume.send_dl = op->send_dl;
		ctx->resume.recv_dl = op->recv_dl;
		ctx->resume.replied = op->replied;
		ctx->resume.lost = op->lost;
		ctx->resume_task = current;
		return kipc_op_end(ctx, op, ret);
	}
	op->park = false;
	op->rs = NULL;		/* it may point into a frame that returns */
	/* Its windows close until it resumes. */
	if (unlikely(ctx->nwin))
		kipc_win_park(ctx);
	ctx->held = *op;
	kipc_restart_note(&ctx->park_rs, op->cmd, &op->args);
	ctx->park_files = current->files;
	/* Claimable from here on (kipc_op_busy()): everything is saved. */
	smp_store_release(&ctx->park_task, current);
	return ret;
}

/* The end of a synchronous operation: maybe it goes on after a signal. */
static __always_inline int kipc_op_sync_end(struct kipc_ctx *ctx,
					    struct kipc_op *op, int ret)
{
	if (unlikely(ret == -ERESTARTNOHAND || op->park))
		return kipc_op_interrupted(ctx, op, ret);
	return kipc_op_end(ctx, op, ret);
}

/* Run a decoded operation's phases; for any context state. */
static int kipc_op_dispatch(struct kipc_ctx *ctx, struct kipc_op *op)
{
	switch (op->cmd) {
	case KIPC_IOC_SEND:
	case KIPC_IOC_CALL:
		return kipc_op_send(ctx, op);
	case KIPC_IOC_REPLY:
		return kipc_op_reply(ctx, op);
	case KIPC_IOC_RECV:
	case KIPC_IOC_REPLY_RECV:
		return kipc_op_recv(ctx, op);
	case KIPC_IOC_NTFN_WAIT:
		return kipc_ntfn_wait(ctx, op);
	case KIPC_IOC_MSEND_RECV:
	case KIPC_IOC_MFORWARD_RECV:
		return kipc_op_send_recv(ctx, op);
	case KIPC_IOC_FORWARD:
		return kipc_op_forward(ctx, op);
	}
	return -ENOTTY;
}

/*
 * The slow path of a synchronous operation on a claimed context; @rs: a
 * restart of a withdrawn phase, or NULL.
 */
static noinline int kipc_op_run(struct kipc_ctx *ctx, unsigned int cmd,
				const struct kipc_args *a,
				const struct kipc_restart *rs)
{
	struct kipc_op op = {
		.cmd = cmd,
		.args = *a,
		.send_dl = KTIME_MAX,
		.recv_dl = KTIME_MAX,
		.rs = rs,
	};

	if (unlikely(!kipc_ident_current(ctx)))
		kipc_ident_refresh(ctx);
	return kipc_op_sync_end(ctx, &op, kipc_op_dispatch(ctx, &op));
}

/*
 * End a parked call that will not come back: a handler left it with
 * siglongjmp(), its task is exiting, or the context is closing.  A reply
 * that came meanwhile is dropped, its descriptors closed.  The context
 * stays claimed: the caller owns it.
 */
static void kipc_park_abandon(struct kipc_ctx *ctx)
{
	struct kipc_op *op = &ctx->held;

	kipc_wait_reply_end(ctx);
	if (ctx->nwin)
		kipc_win_end(ctx);
	/* A reply that came meanwhile is not counted. */
	ctx->pi.todo &= ~KIPC_PI_TODO_CHARGE;
	kipc_fds_abandon(ctx, op, current->files == ctx->park_files);
	trace_kipc_error(op->cmd, op->h.ep ? op->h.ep->id : 0, -EINTR);
	if (op->h.ep && !op->borrowed)
		kipc_ep_put(op->h.ep);
	op->h.ep = NULL;
}

/*
 * A parked call resumes when its ioctl comes back.  If no handler ran, it
 * waits on; if one did (rt_sigreturn() cleared our mark), it ends: with
 * the reply if that came meanwhile, else with EINTR.
 */
static noinline int kipc_op_resume(struct kipc_ctx *ctx)
{
	struct kipc_op op = ctx->held;
	int ret;

	if (unlikely(ctx->nwin))
		kipc_win_unpark(ctx);
	if (kipc_restart_unmark())
		ret = kipc_wait(ctx, &op);
	else
		ret = kipc_wait_reply_end(ctx);
	return kipc_op_sync_end(ctx, &op, ret);
}

/*
 * The context is claimed.  If a call of current's is parked on it, this
 * may be that call coming back (same ioctl, same arguments, same user
 * stack and instruction pointer: resume it), or an operation from a
 * handler that interrupted it (its stack is below the parked call's, or
 * on the alternate signal stack): that one finds the context busy.  An
 * operation from further up the stack means the handler did not return
 * (siglongjmp()): the parked call is abandoned and the context serves
 * the new operation; so it is once the parking task is exiting.
 *
 * Return: 1 if the context is now current's to run @cmd on (claimed),
 * 0 if the parked call was resumed (*@ret is its result), else -EBUSY.
 */
static noinline int kipc_op_busy(struct kipc_ctx *ctx, unsigned int cmd,
				 const struct kipc_args *a, bool async, int *ret)
{
	struct task_struct *t;
	bool resume = false, abandon = false;

	/* Pairs with smp_store_release() in kipc_op_interrupted(). */
	if (!smp_load_acquire(&ctx->park_task))
		return -EBUSY;
	spin_lock(&ctx->lock);
	t = ctx->park_task;
	if (t == current) {
		resume = !async && kipc_restart_is(&ctx->park_rs, cmd, a);
		abandon = !resume && !kipc_restart_in_handler(&ctx->park_rs);
	} else if (t) {
		abandon = t->flags & PF_EXITING;
	}
	if (resume || abandon)
		ctx->park_task = NULL;
	spin_unlock(&ctx->lock);
	if (resume) {
		*ret = kipc_op_resume(ctx);
		return 0;
	}
	if (!abandon)
		return -EBUSY;
	kipc_park_abandon(ctx);
	return 1;
}

/*
 * Claim @ctx for an operation.  Return: 1 when claimed and nothing is to
 * be restarted; 2 when claimed and ctx->resume is current's withdrawn
 * operation (@rs is filled in when it is this one and no handler ran); 0
 * when a parked call was resumed instead (*@ret); -EBUSY.
 */
/*
 * The context is claimed.  If an operation was withdrawn after a signal
 * and its ioctl is to be issued again: if this is it, and no handler ran
 * in between (restart.c), it goes on with the deadlines it had (return 2,
 * @rs filled in); anything else starts afresh (1).
 */
static int kipc_op_restart_check(struct kipc_ctx *ctx, unsigned int cmd,
				 const struct kipc_args *a, bool async,
				 struct kipc_restart *rs)
{
	int claimed;

	if (likely(!ctx->resume_task))
		return 1;
	*rs = ctx->resume;
	claimed = ctx->resume_task == current && !async &&
		  kipc_restart_is(rs, cmd, a) && kipc_restart_unmark() ? 2 : 1;
	ctx->resume_task = NULL;
	return claimed;
}

static int kipc_op_claim(struct kipc_ctx *ctx, unsigned int cmd,
			 const struct kipc_args *a, bool async,
			 struct kipc_restart *rs, int *ret)
{
	int claimed;

	if (likely(!test_and_set_bit_lock(KIPC_CTX_CLAIMED, &ctx->claim)))
		claimed = 1;
	else
		claimed = kipc_op_busy(ctx, cmd, a, async, ret);
	if (claimed != 1)
		return claimed;
	return kipc_op_restart_check(ctx, cmd, a, async, rs);
}

/* A synchronous operation from its decoded arguments. */
static noinline long kipc_op_sync(struct kipc_ctx *ctx, unsigned int cmd,
				  const struct kipc_args *a)
{
	struct kipc_restart rs;
	int claimed, ret;

	claimed = kipc_op_claim(ctx, cmd, a, false, &rs, &ret);
	if (claimed <= 0)
		return claimed ? claimed : ret;
	return kipc_op_run(ctx, cmd, a, claimed == 2 ? &rs : NULL);
}

/**
 * kipc_op_ioctl - KIPC_IOC_SEND ... _REPLY_RECV (ABI 1.0) and _FORWARD
 * (ABI 1.7): one IPC operation with its arguments in a struct kipc_ipc
 * @ctx:	the context, owned by current's address space
 * @cmd:	the ioctl number
 * @uarg:	user pointer to struct kipc_ipc
 *
 * Return: 0 or -errno (see the uapi header and the README's table).
 */
long kipc_op_ioctl(struct kipc_ctx *ctx, unsigned int cmd,
		   const struct kipc_ipc __user *uarg)
{
	struct kipc_ipc u;
	struct kipc_args a = { };

	if (copy_from_user(&u, uarg, sizeof(u)))
		return -EFAULT;
	if (u.flags | u.__reserved[0] | u.__reserved[1])
		return -EINVAL;
	a.ep = u.fd;
	a.send_timeout = u.send_timeout;
	a.recv_timeout = u.recv_timeout;
	return kipc_op_sync(ctx, cmd, &a);
}

/**
 * kipc_op_ntfn_wait - KIPC_IOC_NTFN_WAIT, decoded
 * @ctx:	the context, owned by current's address space
 * @fd:		the notification
 * @timeout:	as for recv
 *
 * Return: see kipc_ntfn_wait().
 */
long kipc_op_ntfn_wait(struct kipc_ctx *ctx, int fd, u64 timeout)
{
	struct kipc_args a = { .ep = fd, .recv_timeout = timeout };

	return kipc_op_sync(ctx, KIPC_IOC_NTFN_WAIT, &a);
}

/**
 * kipc_op_area_slow - an area operation the fast path does not take
 * @ctx:	the context, owned by current's address space
 * @cmd:	the ABI 1.0 number of the operation (KIPC_IOC_MSEND_RECV and
 *		_MFORWARD_RECV have none: their own)
 * @claimed:	the fast path holds the context already
 *
 * Its arguments are read again (user space may have changed them since)
 * and checked again, then the slow path runs it.
 *
 * Return: as the ABI 1.0 operation.
 */
long kipc_op_area_slow(struct kipc_ctx *ctx, unsigned int cmd, bool claimed)
{
	const struct kipc_area_args *ua = &ctx->utcb->args;
	struct kipc_args a = {
		.ep = READ_ONCE(ua->ep),
		.flags = READ_ONCE(ua->flags),
		.send_timeout = READ_ONCE(ua->send_timeout),
		.recv_timeout = READ_ONCE(ua->recv_timeout),
	};
	bool bad;

	if (cmd == KIPC_IOC_MSEND_RECV || cmd == KIPC_IOC_MFORWARD_RECV) {
		a.recv_ep = READ_ONCE(ua->recv_ep);
		bad = READ_ONCE(ua->__pad) ||
		      ((a.flags & KIPC_ARGS_SLOT) && (u32)a.recv_ep >= KIPC_SLOTS);
	} else {
		bad = READ_ONCE(ua->__reserved);
	}
	if (unlikely(bad || (a.flags & ~KIPC_ARGS_SLOT) ||
		     ((a.flags & KIPC_ARGS_SLOT) && (u32)a.ep >= KIPC_SLOTS))) {
		if (claimed)
			clear_bit_unlock(KIPC_CTX_CLAIMED, &ctx->claim);
		return -EINVAL;
	}
	if (claimed) {
		/* The fast path saw a withdrawn operation: maybe this one. */
		struct kipc_restart rs;

		return kipc_op_run(ctx, cmd, &a,
				   kipc_op_restart_check(ctx, cmd, &a, false, &rs) == 2 ?
				   &rs : NULL);
	}
	return kipc_op_sync(ctx, cmd, &a);
}

/* The operation of a fast-path ioctl through a registered slot, for the slow part. */
static __always_inline struct kipc_op kipc_slot_op(unsigned int cmd, s32 ep,
						   u64 send_timeout,
						   u64 recv_timeout, s32 recv_ep,
						   const struct kipc_handle *h)
{
	return (struct kipc_op) {
		.cmd = cmd,
		.args = { ep, KIPC_ARGS_SLOT, send_timeout, recv_timeout, recv_ep },
		.h = *h,
		.borrowed = true,
		.send_dl = KTIME_MAX,
		.recv_dl = KTIME_MAX,
		.send_restart = true,
		/* A send_recv comes here after its send (see kipc_op_send_recv()). */
		.recv_restart = cmd != KIPC_IOC_MSEND_RECV && cmd != KIPC_IOC_MFORWARD_RECV,
		.replied = cmd == KIPC_IOC_MSEND_RECV || cmd == KIPC_IOC_MFORWARD_RECV,
	};
}

/**
 * kipc_op_fast_other - send, recv, a reply_recv with no reply to send, or
 * the receive phase of a send_recv, past the fast path's guards: the
 * general rendezvous through a slot
 * @ctx:	the context, claimed by the fast path
 * @cmd:	KIPC_IOC_SEND, _RECV, _REPLY_RECV, _MSEND_RECV or _MFORWARD_RECV
 * @ep:		the slot
 * @send_timeout: as the fast path read it
 * @recv_timeout: as the fast path read it
 * @recv_ep:	send_recv's receiving slot, else 0
 * @h:		the slot's handle, its right checked (send_recv: the
 *		receiving one; its send is done)
 * @tag:	the checked tag of a send
 *
 * Return: the operation's result; the context is released.
 */
int kipc_op_fast_other(struct kipc_ctx *ctx, unsigned int cmd, s32 ep,
		       u64 send_timeout, u64 recv_timeout, s32 recv_ep,
		       const struct kipc_handle *h, u64 tag)
{
	struct kipc_op op = kipc_slot_op(cmd, ep, send_timeout, recv_timeout,
					 recv_ep, h);

	op.tag = tag;

	if (cmd == KIPC_IOC_SEND) {
		trace_kipc_send(h->ep->id, tag, h->badge);
		return kipc_op_sync_end(ctx, &op, kipc_send(ctx, &op, false));
	}
	/* recv gives a reply right up (reply_recv has none to send here) */
	if (cmd == KIPC_IOC_RECV && unlikely(ctx->reply_to))
		kipc_drop_reply(ctx, -ECONNRESET);
	ctx->reply_grant = h->rights & KIPC_RIGHT_GRANT;
	trace_kipc_recv(h->ep->id, cmd == KIPC_IOC_REPLY_RECV);
	if (cmd == KIPC_IOC_MSEND_RECV || cmd == KIPC_IOC_MFORWARD_RECV)
		op.recv_dl = kipc_deadline(recv_timeout);
	return kipc_op_sync_end(ctx, &op, kipc_recv(ctx, &op));
}

/**
 * kipc_op_fast_slow - the slow path's wait and end for a fast call,
 * reply_recv or send_recv past its point of no return
 * @ctx:	the context, claimed by the fast path and waiting
 * @cmd:	KIPC_IOC_CALL, _REPLY_RECV, _MSEND_RECV or _MFORWARD_RECV
 * @ep:		the slot
 * @send_timeout: as the fast path read it
 * @recv_timeout: as the fast path read it
 * @recv_ep:	send_recv's receiving slot, else 0
 * @h:		the slot's handle (send_recv: the receiving one)
 * @ret:	-EINPROGRESS to wait on, or the partner's error
 *
 * For when kipc_wait_quick() cannot end the wait (the partner runs
 * elsewhere or sleeps, a signal is pending) or the partner's result is an
 * error; the operation holds nothing but a registered slot.
 *
 * Return: the operation's result; the context is released (or the call
 * parked).
 */
long kipc_op_fast_slow(struct kipc_ctx *ctx, unsigned int cmd, s32 ep,
		       u64 send_timeout, u64 recv_timeout, s32 recv_ep,
		       const struct kipc_handle *h, int ret)
{
	struct kipc_op op = kipc_slot_op(cmd, ep, send_timeout, recv_timeout,
					 recv_ep, h);

	/* It came here from a reply_recv only after its reply went out. */
	op.replied |= cmd == KIPC_IOC_REPLY_RECV;

	if (ret == -EINPROGRESS)
		ret = kipc_wait(ctx, &op);
	return kipc_op_sync_end(ctx, &op, ret);
}

/**
 * kipc_op_async_start - start an asynchronous operation (uring.c)
 * @ctx:	the context, owned by current's address space
 * @cmd:	KIPC_IOC_SEND, _RECV, _CALL, _REPLY, _REPLY_RECV, _NTFN_WAIT or
 *		_FORWARD
 * @a:		the decoded arguments
 * @setup:	called once the context is claimed and before the operation
 *		can be queued: the caller's completion (ctx->async_done) and
 *		watch
 * @data:	for @setup
 *
 * The operation is kept in ctx->held.
 *
 * Return: -EBUSY (not claimed, @setup not called), -EIOCBQUEUED (it
 * waits: a partner completes it through ctx->async_done), else its
 * result; then, and after -EIOCBQUEUED once completed, the caller ends it
 * with kipc_op_async_end().
 */
int kipc_op_async_start(struct kipc_ctx *ctx, unsigned int cmd,
			const struct kipc_args *a,
			void (*setup)(struct kipc_ctx *ctx, void *data),
			void *data)
{
	struct kipc_op *op = &ctx->held;
	struct kipc_restart rs;
	int claimed, ret;

	claimed = kipc_op_claim(ctx, cmd, a, true, &rs, &ret);
	if (claimed < 0)
		return claimed;
	*op = (struct kipc_op) {
		.cmd = cmd,
		.args = *a,
		.send_dl = KTIME_MAX,
		.recv_dl = KTIME_MAX,
		.async = true,
	};
	if (!kipc_ident_current(ctx))
		kipc_ident_refresh(ctx);
	setup(ctx, data);
	return kipc_op_dispatch(ctx, op);
}

/**
 * kipc_op_async_end - end an asynchronous operation
 * @ctx:	the context; the caller undid what its setup did
 * @ret:	the result kipc_op_async_start() returned, or -EIOCBQUEUED
 *		for an operation a partner completed (KIPC_W_DONE)
 *
 * Called once, in the submitting task (or by io_uring's fallback work).
 *
 * Return: the operation's result.
 */
int kipc_op_async_end(struct kipc_ctx *ctx, int ret)
{
	if (ret == -EIOCBQUEUED)
		ret = kipc_wait_done(ctx);
	return kipc_op_end(ctx, &ctx->held, ret);
}

/**
 * kipc_op_release - the context's file is closing
 * @ctx: the context; no operation can be running on it
 *
 * A call parked by a signal is abandoned: nobody can come back for it.  A
 * reply right still held is given up: its caller fails with ECONNRESET,
 * which is how callers learn that their server died.
 */
void kipc_op_release(struct kipc_ctx *ctx)
{
	if (ctx->park_task) {
		ctx->park_task = NULL;
		kipc_park_abandon(ctx);
	}
	if (ctx->reply_to)
		kipc_drop_reply(ctx, -ECONNRESET);
}
