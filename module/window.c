// SPDX-License-Identifier: GPL-2.0
/*
 * Memory windows (QNX's MsgRead/MsgWrite, L4's string items): a caller
 * names up to KIPC_MSG_WINS ranges of its own memory beside its registers,
 * and while the call waits for its reply the context that received it
 * copies out of and into them (KIPC_IOC_WIN_READ, _WRITE), straight
 * between the two address spaces (bulk.c).
 *
 * Life of a window:
 *  - the caller's operation reads and checks them from its message area
 *    once (kipc_win_load()), into its context: nobody reads the area's
 *    copy again;
 *  - the delivery tells the receiver their lengths and access bits, never
 *    their addresses (kipc_win_deliver(), under the locks of the copy);
 *  - a server reaches them only through its reply right: a window is
 *    *live* while its caller waits for the reply from this very context
 *    (wstate REPLY, reply_from the server), checked under the caller's
 *    lock at every piece copied (the gate);
 *  - the windows end with the call: the reply (the server's own context
 *    is busy replying, so none of its copies runs), or the caller stopping
 *    to wait (T9, T10: timeout, cancel, signal, death), after which no
 *    piece starts and the caller's operation waits for the one in flight
 *    before it returns (kipc_win_end()): no byte lands in the caller's
 *    memory after its call returned;
 *  - they close while the call is parked (its task back in user space,
 *    stopped or in a handler that may never come back: kipc_win_park()),
 *    the same way, and open again when it resumes (EAGAIN meanwhile).
 *
 * The receive buffer (KIPC_IOC_WIN_RBUF): a receiver may post one buffer
 * of its own; the first READ window of a message it receives is copied
 * there when it fits, at the end of the receive, before it returns
 * (kipc_win_rbuf()).  A send (not a call) may carry one READ window, only
 * this way: it waits, as a call does for its reply, for the receiver to
 * have copied it (the receiver holds a hidden reply right, @win_ack, that
 * the end of its receive gives up once the copy is done).
 */
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>

#include "internal.h"

/**
 * kipc_win_load - read and check the windows of the message to send
 * @ctx:	the sending context, claimed
 * @tag:	the message's checked tag (its window count not yet)
 * @call:	the message is a call (else a send)
 * @async:	submitted through io_uring
 *
 * Return: 0 with @ctx->nwin set; EINVAL (a count above KIPC_MSG_WINS, bad
 * flags or reserved bits, a range that wraps, a send with anything but
 * one READ window), EFAULT (a range outside user space), EOPNOTSUPP (a
 * send with a window from a ring).
 */
int kipc_win_load(struct kipc_ctx *ctx, u64 tag, bool call, bool async)
{
	unsigned int i, n = KIPC_TAG_WINS(tag);
	struct kipc_window *w = ctx->win;

	if (n > KIPC_MSG_WINS)
		return -EINVAL;
	/* One read of the area; only this copy is checked and used. */
	memcpy(w, ctx->utcb->win, n * sizeof(*w));
	for (i = 0; i < n; i++) {
		if (!w[i].flags || (w[i].flags & ~(KIPC_WIN_READ | KIPC_WIN_WRITE)) ||
		    w[i].__reserved || w[i].addr + w[i].len < w[i].addr)
			return -EINVAL;
		if (!access_ok(u64_to_user_ptr(w[i].addr), w[i].len))
			return -EFAULT;
	}
	if (!call) {
		if (n != 1 || w[0].flags != KIPC_WIN_READ)
			return -EINVAL;
		if (async)
			return -EOPNOTSUPP;
	}
	ctx->nwin = n;
	ctx->wsend = !call;
	return 0;
}

/**
 * kipc_win_deliver - tell the receiver about the windows of a message
 * @dst:	the receiving context, owned by the caller, its tag written
 * @src:	the sending context, with windows
 *
 * Writes their lengths and access bits (addresses 0) into @dst's area
 * and, if @dst has a receive buffer that the first READ window fits, has
 * the end of its receive copy it there.  A send's window: the receiver
 * holds the send as a hidden call, which its tag does not show.
 */
void kipc_win_deliver(struct kipc_ctx *dst, struct kipc_ctx *src)
{
	struct kipc_utcb *d = dst->utcb;
	unsigned int i, n = src->nwin;
	bool first = true;

	dst->win_rbuf = 0;
	for (i = 0; i < n; i++) {
		struct kipc_window w = {
			.len = src->win[i].len,
			.flags = src->win[i].flags,
		};

		if (first && (w.flags & KIPC_WIN_READ)) {
			first = false;
			if (dst->rbuf_len && w.len <= dst->rbuf_len) {
				dst->win_rbuf = i + 1;
				dst->pi.todo |= KIPC_PI_TODO_RBUF;
			}
		}
		memcpy(&d->win[i], &w, sizeof(w));
	}
	dst->win_ack = src->wsend;
	if (src->wsend)
		d->tag &= ~KIPC_TAG_F_CALL;
}

/**
 * kipc_win_fits - can @rcv take the window of the send @snd?
 * @rcv:	a receiver, claimed by its operation (its buffer is fixed)
 * @snd:	a sender with KIPC_TAG_WINS
 *
 * Return: true if @snd is a call or its window fits @rcv's buffer.
 */
bool kipc_win_fits(const struct kipc_ctx *rcv, const struct kipc_ctx *snd)
{
	return !snd->wsend || (rcv->rbuf_len && snd->win[0].len <= rcv->rbuf_len);
}

/*
 * The gate of a window (bulk.c): its call still waits for @srv's reply,
 * and (unless @parked_ok) its caller is not parked.
 */
struct kipc_win_gate {
	struct kipc_ctx *caller;
	struct kipc_ctx *srv;
	bool parked_ok;
};

/*
 * Under the caller's lock: 0 while the windows are open to @srv,
 * -EAGAIN while the call is parked (its caller stopped, traced, or in a
 * signal handler: it may leave the call there, siglongjmp() out of it),
 * -ECONNRESET once the call is over.
 */
static int kipc_win_state(const struct kipc_ctx *caller, const struct kipc_ctx *srv,
			  bool parked_ok)
{
	if (READ_ONCE(caller->wstate) != KIPC_W_REPLY ||
	    READ_ONCE(caller->reply_from) != srv)
		return -ECONNRESET;
	return caller->win_parked && !parked_ok ? -EAGAIN : 0;
}

static int kipc_win_enter(void *obj)
{
	struct kipc_win_gate *g = obj;
	int ret;

	spin_lock(&g->caller->lock);
	ret = kipc_win_state(g->caller, g->srv, g->parked_ok);
	/* Marked: kipc_win_end() reads the count without the lock. */
	if (!ret)
		WRITE_ONCE(g->caller->win_busy, g->caller->win_busy + 1);
	spin_unlock(&g->caller->lock);
	return ret;
}

static void kipc_win_leave(void *obj)
{
	struct kipc_win_gate *g = obj;
	bool last;

	spin_lock(&g->caller->lock);
	WRITE_ONCE(g->caller->win_busy, g->caller->win_busy - 1);
	last = !g->caller->win_busy;
	spin_unlock(&g->caller->lock);
	/*
	 * The caller cannot be freed under us: linked, it waits; unlinked,
	 * our reply_to holds a reference.
	 */
	if (last) {
		/* The count before wake_up_var()'s look at the waiters. */
		smp_mb();
		wake_up_var(&g->caller->win_busy);
	}
}

/*
 * Window @i of the call @srv holds the right for, read under the caller's
 * lock while it is live.
 */
static int kipc_win_get(struct kipc_ctx *srv, struct kipc_ctx *caller,
			unsigned int i, struct kipc_window *w)
{
	int ret;

	spin_lock(&caller->lock);
	/* The windows' geometry stays as it is while the call lasts. */
	ret = kipc_win_state(caller, srv, true);
	if (!ret && i >= caller->nwin)
		ret = -EINVAL;
	else if (!ret)
		*w = caller->win[array_index_nospec(i, KIPC_MSG_WINS)];
	spin_unlock(&caller->lock);
	return ret;
}

/**
 * kipc_win_io - KIPC_IOC_WIN_READ and _WRITE: copy out of or into a window
 * of the call @ctx holds the reply right for
 * @ctx:	the server's context, owned by current's address space
 * @a:		the arguments, reserved fields checked
 * @write:	into the window (else out of it)
 *
 * Return: the number of bytes copied, or -errno: EBUSY (an operation runs
 * on @ctx), ENOENT (no reply right), ECONNRESET (its caller stopped
 * waiting), EAGAIN (its caller is interrupted: stopped, traced or in a
 * signal handler; the call goes on when it comes back), EINVAL (no such
 * window, a bad iovec array), EACCES (the window does not allow it),
 * ERANGE (outside the window), EFAULT.
 */
long kipc_win_io(struct kipc_ctx *ctx, const struct kipc_win_io *a, bool write)
{
	struct iovec stack[UIO_FASTIOV], *iov = stack;
	struct kipc_win_gate g = { .srv = ctx };
	struct kipc_bulk_gate gate = {
		.enter = kipc_win_enter,
		.leave = kipc_win_leave,
		.obj = &g,
	};
	struct kipc_window w;
	struct iov_iter it;
	size_t len;
	long ret;

	if (test_and_set_bit_lock(KIPC_CTX_CLAIMED, &ctx->claim))
		return -EBUSY;
	g.caller = ctx->reply_to;
	if (!g.caller || ctx->win_ack) {
		ret = -ENOENT;
		goto out;
	}
	ret = kipc_win_get(ctx, g.caller, a->win, &w);
	if (ret)
		goto out;
	if (!(w.flags & (write ? KIPC_WIN_WRITE : KIPC_WIN_READ))) {
		ret = -EACCES;
		goto out;
	}
	ret = import_iovec(write ? WRITE : READ, u64_to_user_ptr(a->iov),
			   a->iovcnt, UIO_FASTIOV, &iov, &it);
	if (ret < 0)
		goto out;
	len = iov_iter_count(&it);
	if (a->offset > w.len || len > w.len - a->offset)
		ret = -ERANGE;
	else
		ret = kipc_bulk_copy(g.caller->mm, w.addr + a->offset, len, write,
				     &it, &gate, -ECONNRESET);
	kfree(iov);
out:
	clear_bit_unlock(KIPC_CTX_CLAIMED, &ctx->claim);
	return ret;
}

/**
 * kipc_win_rbuf - the end of a receive: copy the first READ window into
 * the receive buffer
 * @ctx:	the receiving context, claimed, holding the call (its
 *		KIPC_PI_TODO_RBUF set by kipc_win_deliver())
 *
 * Only in the receiver's own address space (an io_uring completion made
 * elsewhere copies nothing).  A window that cannot be copied is left
 * without KIPC_WIN_COPIED.
 *
 * Return: 1, or for a send's window (whose hidden reply right the caller
 * then gives up with it, kipc_serve_todo()) 0 if it was copied, -EFAULT if
 * not: what the sender's send returns.
 */
int kipc_win_rbuf(struct kipc_ctx *ctx)
{
	/*
	 * The copy as the receive ends is part of the delivery: a caller
	 * interrupted since does not stop it (it only reads the window).
	 */
	struct kipc_win_gate g = { .caller = ctx->reply_to, .srv = ctx, .parked_ok = true };
	struct kipc_bulk_gate gate = {
		.enter = kipc_win_enter,
		.leave = kipc_win_leave,
		.obj = &g,
	};
	unsigned int i = ctx->win_rbuf - 1;
	struct kipc_window w;
	struct iov_iter it;
	struct iovec iov;
	bool copied = false;

	ctx->pi.todo &= ~KIPC_PI_TODO_RBUF;
	ctx->win_rbuf = 0;
	if (WARN_ON_ONCE(!g.caller))
		return 1;
	if (current->mm == ctx->mm && !kipc_win_get(ctx, g.caller, i, &w)) {
		iov.iov_base = u64_to_user_ptr(ctx->rbuf);
		iov.iov_len = w.len;
		iov_iter_init(&it, READ, &iov, 1, w.len);
		copied = kipc_bulk_copy(g.caller->mm, w.addr, w.len, false, &it,
					&gate, -ECONNRESET) == w.len;
		if (copied) {
			struct kipc_window *d = &ctx->utcb->win[i];

			WRITE_ONCE(d->flags, READ_ONCE(d->flags) | KIPC_WIN_COPIED);
		}
	}
	if (!ctx->win_ack)
		return 1;
	ctx->win_ack = false;
	return copied ? 0 : -EFAULT;
}

/**
 * kipc_win_end - the end of an operation that sent windows
 * @ctx:	the sending context, claimed; its call is over (replied,
 *		withdrawn, failed), so no copy starts any more
 *
 * Waits for the piece a server may still be copying (no fault, no sleep
 * inside: short), so that nothing lands in the caller's memory once its
 * operation returned.
 */
void kipc_win_end(struct kipc_ctx *ctx)
{
	wait_var_event(&ctx->win_busy, !READ_ONCE(ctx->win_busy));
	ctx->nwin = 0;
	ctx->wsend = false;
	ctx->win_parked = false;
}

/**
 * kipc_win_park - a call with windows is parked by a signal
 * @ctx:	the caller's context, claimed, KIPC_W_REPLY
 *
 * Its task goes back to user space, maybe into a handler that never
 * returns to the call (siglongjmp()): the windows close (a server's
 * access fails with EAGAIN) before it leaves, and the piece in flight
 * lands first, until kipc_win_unpark() when the call resumes.
 */
void kipc_win_park(struct kipc_ctx *ctx)
{
	spin_lock(&ctx->lock);
	ctx->win_parked = true;
	spin_unlock(&ctx->lock);
	wait_var_event(&ctx->win_busy, !READ_ONCE(ctx->win_busy));
}

/**
 * kipc_win_unpark - the parked call resumes: its windows open again
 * @ctx:	the caller's context, claimed
 */
void kipc_win_unpark(struct kipc_ctx *ctx)
{
	spin_lock(&ctx->lock);
	ctx->win_parked = false;
	spin_unlock(&ctx->lock);
}

/**
 * kipc_win_rbuf_set - KIPC_IOC_WIN_RBUF: post or remove a receive buffer
 * @ctx:	the context, owned by current's address space
 * @a:		the arguments, reserved fields checked
 *
 * Return: 0, EINVAL (too long, or an address without a length), EFAULT
 * (outside user space), EBUSY (an operation runs on @ctx).
 */
long kipc_win_rbuf_set(struct kipc_ctx *ctx, const struct kipc_rbuf *a)
{
	if (a->len > KIPC_RBUF_MAX || (!a->len && a->addr))
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(a->addr), a->len))
		return -EFAULT;
	if (test_and_set_bit_lock(KIPC_CTX_CLAIMED, &ctx->claim))
		return -EBUSY;
	ctx->rbuf = a->addr;
	ctx->rbuf_len = a->len;
	clear_bit_unlock(KIPC_CTX_CLAIMED, &ctx->claim);
	return 0;
}
