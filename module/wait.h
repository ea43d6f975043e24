/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The wait state machine's transitions that the rendezvous takes on every
 * message, inline (wait.c has the table and the rest).
 */
#ifndef _KIPC_WAIT_H
#define _KIPC_WAIT_H

#include <linux/rcupdate.h>
#include <linux/sched.h>

#include "internal.h"
#include "kipc_trace.h"

/**
 * kipc_queued - T1: a context enters @q, under @lock, in state @st
 * @ctx:	the context, owned by the caller, @lock held
 * @lock:	the queue's lock (an endpoint's or a notification's)
 * @q:		the queue
 * @st:		KIPC_W_SENDING or KIPC_W_RECEIVING
 */
static __always_inline void kipc_queued(struct kipc_ctx *ctx,
					spinlock_t *lock,
					struct kipc_waitq *q, int st)
{
	kipc_waitq_add(q, &ctx->node);
	ctx->waitq = q;
	WRITE_ONCE(ctx->qlock, lock);
	/* Pairs with smp_load_acquire() in kipc_wait_end(): lock, then state. */
	smp_store_release(&ctx->wstate, st);
}

/**
 * kipc_take - T2: a receiver takes a queued sender off its queue
 * @ctx:	the sender, queued; its queue's lock held
 *
 * Leaves @ctx BUSY with its lock held: the caller copies, then moves it on
 * (kipc_complete() or REPLY) and unlocks it.
 */
static __always_inline void kipc_take(struct kipc_ctx *ctx)
	__acquires(&ctx->lock)
{
	kipc_waitq_del(ctx->waitq, &ctx->node);
	spin_lock(&ctx->lock);
	/* Read by the owner with acquire: it then waits for ctx->lock. */
	WRITE_ONCE(ctx->wstate, KIPC_W_BUSY);
}

/**
 * kipc_peer_hint - a partner tells a context it owns whom it heard from
 * @ctx:	the context, BUSY or queued, owned by the caller
 * @task:	the partner's task (alive: current, or referenced by the
 *		partner's identity)
 *
 * Nothing to do if that is @ctx's peer already (the usual case: no
 * reference is taken); else the owner takes it up in kipc_peer_take().
 */
static __always_inline void kipc_peer_hint(struct kipc_ctx *ctx,
					   struct task_struct *task)
{
	if (unlikely(READ_ONCE(ctx->peer) != task))
		kipc_peer_hint_slow(ctx, task);
}

/**
 * kipc_complete - T4, T5, T9: hand a waiting context its result
 * @ctx:	the context, owned by the caller (BUSY with its lock held, or
 *		its queue lock held and off the queue, or REPLY with its lock
 *		held)
 * @result:	0 or -errno
 *
 * The task is blocked until it sees KIPC_W_DONE and may return, close the
 * context and exit right after: the context and the task stay only for an
 * RCU grace period (both are freed after one), which the caller's lock
 * covers.  An asynchronous operation is completed through ctx->async_done.
 */
static __always_inline void kipc_complete(struct kipc_ctx *ctx, int result)
{
	struct task_struct *task = ctx->id.task;

	/*
	 * Every caller holds a spinlock (the context's or its queue's), and
	 * so is in an RCU read-side section: the context and the task stay
	 * for as long as we look at them (on PREEMPT_RT too, where
	 * spin_lock() takes rcu_read_lock()).
	 */
	RCU_LOCKDEP_WARN(!rcu_read_lock_any_held(), "kipc: completed without a lock");
	ctx->wresult = result;
	trace_kipc_wake(task, result);
	/* Pairs with smp_load_acquire() in kipc_wait(): wresult first. */
	smp_store_release(&ctx->wstate, KIPC_W_DONE);
	/*
	 * A waiter that is still spinning sees DONE by itself; only a sleeper
	 * needs the wake-up.  Pairs with the barrier in set_current_state()
	 * after kipc_sleep() sets ->sleeping.  An asynchronous operation is
	 * always "sleeping", so the spinning path tests nothing more.
	 */
	smp_mb();
	if (READ_ONCE(ctx->sleeping)) {
		if (unlikely(ctx->async_done))
			ctx->async_done(ctx);
		else
			wake_up_process(task);
	}
}

#endif /* _KIPC_WAIT_H */
