// SPDX-License-Identifier: GPL-2.0
/*
 * The wait state machine: every blocking kipc operation (on an endpoint, on
 * a notification, synchronous or through io_uring) waits in it, and this
 * file is the only one that moves a context's wstate except where the
 * table names a caller.
 *
 * States (enum kipc_wstate, ctx->wstate):
 *   IDLE       not waiting
 *   SENDING    on an endpoint's sender queue (ep->senders)
 *   RECEIVING  on an endpoint's receiver queue or a notification's waiters
 *   REPLY      a call was delivered; waiting for its reply
 *   BUSY       a partner owns the context and is copying into it
 *   DONE       finished; the result is in ctx->wresult
 *
 *  #   from              event                     to       who        lock held
 *  T1  IDLE              block on a queue          SENDING  owner      queue lock
 *                                                  RECEIVING           (kipc_queued())
 *  T2  SENDING           a receiver takes it off   BUSY     partner    queue lock, then
 *                        the queue                                     ctx->lock (kipc_take())
 *  T3  BUSY              the message taken was a   REPLY    partner    ctx->lock
 *                        call (ipc.c)
 *  T4  BUSY              copy done                 DONE(0)  partner    ctx->lock (kipc_complete())
 *  T5  SENDING           the queue ends the wait:  DONE(e)  anyone     queue lock
 *      RECEIVING         EPIPE (last handle),                          (kipc_complete(),
 *                        EMSGSIZE, notification                        kipc_fail_waiters(),
 *                        bits (0), cancel; or a                        kipc_wait_end(),
 *                        sender's message (0):                         kipc_deliver())
 *                        off the queue, copied in,
 *                        completed, lock held
 *  T6  SENDING           timeout or signal:        IDLE     owner      queue lock (kipc_wait_end())
 *      RECEIVING         withdrawn
 *  T7  IDLE              the call was delivered    REPLY    owner      the receiver's queue
 *                        straight to a receiver                        lock (kipc_deliver())
 *  T8  REPLY             the reply                 BUSY     replier    ctx->lock, reply_from
 *                                                  ->DONE(0)           is the replier (ipc.c)
 *  T9  REPLY             the server gives up the   DONE(e)  server,    ctx->lock
 *                        right (ECONNRESET), or              anyone     (kipc_wait_end())
 *                        a cancel (ECANCELED)
 *  T10 REPLY             timeout, fatal signal, a  IDLE     owner      ctx->lock (kipc_wait_end())
 *                        handler after parking
 *  T11 DONE              the owner takes the       IDLE     owner      none: it read DONE
 *                        result                                        with acquire
 *
 * A wait on a state that another task has just left fails to end it (T6,
 * T10 and the cancels re-check the state under the lock): the owner looks
 * again, as the phase (and the right error) may have changed.  A reply
 * with more descriptors than the caller reserved fails without moving the
 * caller (EMSGSIZE; the server keeps its right), and one that finds the
 * caller gone (T10 came first) fails with ECONNRESET.
 *
 * Lockless accesses, and the other side of each pair:
 *  - ctx->wstate is written with WRITE_ONCE or release and read without a
 *    lock with READ_ONCE or acquire: DONE is stored with release after
 *    wresult (kipc_complete()) and read with acquire (kipc_wait(),
 *    kipc_wait_done()); a queued state is stored with release after
 *    ctx->qlock (kipc_queued()) and read with acquire by a cancel
 *    (kipc_wait_end()), so a cancel never pairs a new state with an older
 *    queue's lock;
 *  - ctx->sleeping: set by the waiter before the barrier of
 *    set_current_state(), read by kipc_complete() after a full barrier
 *    that follows its store of DONE: either the waiter sees DONE before it
 *    sleeps or the partner sees it sleeping and wakes it;
 *  - ctx->reply_from (under ctx->lock): while it names a server, that
 *    server's reply_to borrows the context, which cannot be freed in
 *    KIPC_W_REPLY (its operation runs, or is parked); the server clears
 *    it when it answers (T8, T9), else kipc_reply_unlink() (T9 by a
 *    cancel, T10) turns the loan into a reference that the server drops
 *    when it finds the link gone;
 *  - ctx->peer is the owner's alone (WRITE_ONCE, for a partner's
 *    READ_ONCE comparison in kipc_peer_hint()); ctx->peer_next is set by a
 *    partner that owns the context with cmpxchg() from NULL and taken by
 *    the owner with xchg().
 */
#include <linux/hrtimer.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched/clock.h>
#include <linux/sched/prio.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/sched/task.h>

#include "internal.h"
#include "wait.h"
#include "kipc_trace.h"

static unsigned int spin_ns = 20000;
module_param(spin_ns, uint, 0644);
MODULE_PARM_DESC(spin_ns,
	"How long (ns) a waiter keeps its CPU while its partner runs (spinning on SMP, yielding on the same CPU) before it sleeps; 0: sleep at once");

/**
 * kipc_fail_waiters - T5 for a whole queue: end every wait on it
 * @q:		an endpoint's sender or receiver queue, or a notification's
 *		waiters; its lock held
 * @err:	the result the waiters get
 */
void kipc_fail_waiters(struct kipc_waitq *q, int err)
{
	while (!kipc_waitq_empty(q))
		kipc_complete(hlist_entry(kipc_waitq_pop(q), struct kipc_ctx, node),
			      err);
}

/**
 * kipc_wait_end - T5/T9 (a cancel) or T6/T10 (the owner withdraws): end a
 * wait from outside the rendezvous
 * @ctx:	the context
 * @st:		the state its owner saw it in, or -1 for a cancel: then the
 *		state is read here
 * @result:	1 to withdraw (the owner: the context goes back to IDLE and
 *		the phase delivered nothing), else the result it completes
 *		with (-ECANCELED)
 *
 * The queue's lock is found locklessly: endpoints and notifications are
 * freed after an RCU grace period, and the lock is only trusted if the
 * context is still queued under it.  A context a partner already owns is
 * left to it.
 *
 * Return: true if the wait was ended here, false if it had moved on.
 */
bool kipc_wait_end(struct kipc_ctx *ctx, int st, int result)
{
	struct kipc_ctx *lent_to = NULL;
	spinlock_t *lock;
	bool done = false;
	u64 lent_seq = 0;

	rcu_read_lock();
	/*
	 * A cancel reads the state, then the queue lock: a queued state
	 * comes with the lock of its own queue, never an older one.
	 */
	if (st < 0)	/* pairs with smp_store_release() in kipc_queued() */
		st = smp_load_acquire(&ctx->wstate);
	if (st == KIPC_W_SENDING || st == KIPC_W_RECEIVING) {
		lock = READ_ONCE(ctx->qlock);
		spin_lock(lock);
		if (READ_ONCE(ctx->wstate) == st && READ_ONCE(ctx->qlock) == lock &&
		    kipc_waitq_on(&ctx->node)) {
			kipc_waitq_del(ctx->waitq, &ctx->node);
			if (result > 0)
				WRITE_ONCE(ctx->wstate, KIPC_W_IDLE);
			else
				kipc_complete(ctx, result);
			done = true;
		}
		spin_unlock(lock);
	} else if (st == KIPC_W_REPLY) {
		spin_lock(&ctx->lock);
		if (READ_ONCE(ctx->wstate) == KIPC_W_REPLY) {
			/* What the call lent its server ends with the wait. */
			if (unlikely(ctx->pi.lent_seq)) {
				lent_to = ctx->reply_from;
				lent_seq = ctx->pi.lent_seq;
				ctx->pi.lent_seq = 0;
			}
			kipc_reply_unlink(ctx);
			if (result > 0)
				WRITE_ONCE(ctx->wstate, KIPC_W_IDLE);
			else
				kipc_complete(ctx, result);
			done = true;
		}
		spin_unlock(&ctx->lock);
	}
	rcu_read_unlock();
	if (unlikely(lent_to))
		kipc_pi_withdrawn(lent_to, lent_seq);
	return done;
}

/**
 * kipc_wait_cancel - KIPC_IOC_CANCEL: end the operation waiting on @ctx
 * @ctx:	the context
 *
 * Works for synchronous and asynchronous operations alike, exactly as a
 * timeout would, but with ECANCELED.
 *
 * Return: 0, or -ENOENT if nothing was waiting.
 */
int kipc_wait_cancel(struct kipc_ctx *ctx)
{
	return kipc_wait_end(ctx, -1, -ECANCELED) ? 0 : -ENOENT;
}

/* Wait for a partner that owns @ctx (BUSY) to finish with it. */
static void kipc_wait_busy(struct kipc_ctx *ctx)
{
	spin_lock(&ctx->lock);
	spin_unlock(&ctx->lock);
}

/**
 * kipc_peer_set - the owner names the task it expects to hear from next
 * @ctx:	the context, owned by current; no spinlock held
 * @task:	that task, referenced by the caller (the reference moves to
 *		@ctx), or NULL
 *
 * kipc_wait() keeps the CPU only while that task runs.  It is the partner
 * of the last rendezvous: a caller waits for the server it called, a
 * server for the caller it answered, and a sender that receives next for
 * the receiver it sent to.
 */
void kipc_peer_set(struct kipc_ctx *ctx, struct task_struct *task)
{
	struct task_struct *old = ctx->peer;

	WRITE_ONCE(ctx->peer, task);
	if (old)
		put_task_struct(old);
}

/**
 * kipc_peer_hint_slow - a partner tells a context it owns whom it heard
 * from, a task that is not its peer (kipc_peer_hint())
 * @ctx:	the context, BUSY or queued, owned by the caller
 * @task:	the partner's task (alive: current, or referenced by the
 *		partner's identity)
 *
 * The owner takes it up in kipc_peer_take().
 */
void kipc_peer_hint_slow(struct kipc_ctx *ctx, struct task_struct *task)
{
	get_task_struct(task);
	/* Pairs with xchg() in kipc_peer_take(); one hint at a time. */
	if (cmpxchg(&ctx->peer_next, NULL, task))
		put_task_struct(task);	/* not the last reference: see above */
}

/**
 * kipc_peer_take - the owner takes up a partner's hint
 * @ctx:	the context, owned by current; no spinlock held
 */
void kipc_peer_take(struct kipc_ctx *ctx)
{
	struct task_struct *task = xchg(&ctx->peer_next, NULL);

	if (task)
		kipc_peer_set(ctx, task);
}

/*
 * Keep the CPU instead of sleeping while the partner we wait for runs: a
 * synchronous partner usually answers within microseconds, and a sleep
 * costs a dequeue, a wake-up and, across CPUs, an IPI.  If the partner
 * waits for this CPU, yield it (the partner runs next, as a direct
 * handoff), a few times at most; if it runs on another CPU, or was just
 * woken to run there, spin, as a mutex owner spin does; if it sleeps (or
 * nobody is known), sleep at once.
 * Returns true while it is worth looking again, false when the wait
 * should sleep: the partner does not run, or the budget ran out.
 */
#define KIPC_SPIN_YIELDS	2
static bool kipc_spin(struct kipc_ctx *ctx, int st, u64 *until,
		      unsigned int *yields)
{
	struct task_struct *peer;
	unsigned int state;

	/* A server took our call meanwhile (T3): it is whom we wait for. */
	if (unlikely(READ_ONCE(ctx->peer_next)))
		kipc_peer_take(ctx);
	peer = ctx->peer;
	if (!peer)
		return false;
	/* It sleeps (or is stopped): so do we. */
	state = READ_ONCE(peer->__state);
	if (state != TASK_RUNNING && state != TASK_WAKING)
		return false;
	/*
	 * It runs, or was just woken and is about to (on_rq may follow later:
	 * a remote wake-up is queued to the other CPU with TASK_WAKING).  On
	 * our CPU it runs only once we leave it: a real-time waiter's yield()
	 * lets no less urgent task run, so such a waiter sleeps at once.  A
	 * yield that brings us back is worth one more try (CFS picks the
	 * partner once our run time has caught up a little), not more: after
	 * KIPC_SPIN_YIELDS the partner ran far longer than we did (a server
	 * copying bulk data, say), the scheduler will keep picking us, and
	 * more yields would only burn the budget.  Sleeping lets it run.
	 */
	if (READ_ONCE(peer->on_rq) && task_cpu(peer) == raw_smp_processor_id()) {
		/*
		 * Our own priority too is marked: a lender on another CPU may
		 * boost us while we wait (sched.c, KCSAN saw it change).
		 */
		int prio = READ_ONCE(current->prio);

		if (unlikely(prio < MAX_RT_PRIO && READ_ONCE(peer->prio) > prio) ||
		    ++*yields > KIPC_SPIN_YIELDS)
			return false;
		yield();
	} else if (!need_resched()) {
		cpu_relax();
	} else {
		return false;
	}
	if (READ_ONCE(ctx->wstate) != st || signal_pending(current))
		return true;
	/* Most spins end in the first round: only then read the clock. */
	if (!*until) {
		*until = local_clock() + READ_ONCE(spin_ns);
		return true;
	}
	return local_clock() < *until;
}

/*
 * Sleep while @ctx stays in state @st, until @dl.  The partner wakes us
 * only if it sees ->sleeping.
 */
static void kipc_sleep(struct kipc_ctx *ctx, int st, ktime_t dl)
{
	WRITE_ONCE(ctx->sleeping, true);
	/* Its barrier pairs with smp_mb() in kipc_complete(). */
	set_current_state(TASK_INTERRUPTIBLE);
	if (READ_ONCE(ctx->wstate) == st) {
		if (dl == KTIME_MAX)
			schedule();
		else
			schedule_hrtimeout_range(&dl, current->timer_slack_ns,
						 HRTIMER_MODE_ABS);
	}
	__set_current_state(TASK_RUNNING);
	WRITE_ONCE(ctx->sleeping, false);
}

static int kipc_wait_loop(struct kipc_ctx *ctx, struct kipc_op *op);

/**
 * kipc_wait - wait until a partner has finished with @ctx
 * @ctx:	the context, queued or waiting for a reply
 * @op:		the operation's deadlines and restart rules
 *
 * Ends early on a signal or the phase's deadline; then @ctx is withdrawn
 * (T6, T10) and the phase it was in delivered nothing, and the error says
 * how the operation goes on (restart.c): -ERESTARTSYS (run it again as
 * issued), -ERESTARTNOHAND (run it again with its absolute deadlines,
 * unless a handler runs), -ERESTARTNOINTR with op->park set (a call
 * waiting for its reply is not withdrawn but parked), -EINTR (a fatal
 * signal), or -ETIMEDOUT.  The error is chosen for the state the context
 * is withdrawn from, never for a state a partner has already moved it out
 * of: a call taken off the queue while we decided to restart it must not
 * be sent again.
 *
 * Task work queued with TWA_SIGNAL (an io_uring completion of this task,
 * say) sets TIF_NOTIFY_SIGNAL, which signal_pending() reports but which is
 * no signal: it must not fail the operation.  A phase that may restart is
 * withdrawn and restarted (-ERESTARTSYS, no handler runs), so the task
 * work runs at once; otherwise (finite timeout, reply phase) the flag is
 * cleared for the wait, so the sleep still blocks, and set again at the
 * end, so the task work runs on the way back to user space.
 *
 * Return: the result the partner handed over, or -errno.
 */
int kipc_wait(struct kipc_ctx *ctx, struct kipc_op *op)
{
	int ret = kipc_wait_quick(ctx);

	/* The partner answered at once, or handed back at once. */
	if (ret > 0)
		return kipc_wait_loop(ctx, op);
	if (unlikely(READ_ONCE(ctx->peer_next)))
		kipc_peer_take(ctx);
	return ret;
}

/* kipc_wait() past its first round. */
static noinline int kipc_wait_loop(struct kipc_ctx *ctx, struct kipc_op *op)
{
	bool spin = READ_ONCE(spin_ns), notify = false;
	unsigned int yields = 0;
	u64 until = 0;
	int st, err;
	ktime_t dl;

	for (;;) {
		/* Pairs with kipc_complete(): DONE means wresult is set. */
		st = smp_load_acquire(&ctx->wstate);
		if (st == KIPC_W_DONE)
			break;
		if (st == KIPC_W_BUSY) {
			kipc_wait_busy(ctx);
			continue;
		}
		dl = st == KIPC_W_SENDING ? min(op->send_dl, op->recv_dl) : op->recv_dl;
		if (signal_pending(current)) {
			if (st == KIPC_W_REPLY) {
				/* Delivered: it must neither fail nor resend. */
				if (!task_sigpending(current))
					goto notify;
				/*
				 * Without the siglock, as the kernel looks: its
				 * sigismember() reads the whole first word of the
				 * pending set, whose other bits other CPUs set
				 * under the siglock (KCSAN's strict mode saw
				 * SIGUSR1's change it as "a race at unknown
				 * origin").  Only SIGKILL's bit matters, and a
				 * SIGKILL set after the look wakes us again.
				 */
				if (!data_race(fatal_signal_pending(current))) {
					op->park = true;
					err = -ERESTARTNOINTR;
					goto out;
				}
				err = -EINTR;
			} else if ((st == KIPC_W_SENDING ? op->send_restart :
				    op->recv_restart) && !op->replied) {
				err = -ERESTARTSYS;
			} else {
				if (!task_sigpending(current))
					goto notify;
				/* A deadline, or a reply gone out: keep both. */
				err = -ERESTARTNOHAND;
			}
		} else if (dl != KTIME_MAX && ktime_compare(ktime_get(), dl) >= 0) {
			err = -ETIMEDOUT;
		} else {
			if (spin)
				spin = kipc_spin(ctx, st, &until, &yields);
			else
				kipc_sleep(ctx, st, dl);
			continue;
		}
		if (kipc_wait_end(ctx, st, 1))
			goto out;
		continue;
notify:
		/* Task work only: run it on the way out, keep waiting. */
		clear_notify_signal();
		notify = true;
	}
	/* T11; nobody else writes the state of a DONE context. */
	WRITE_ONCE(ctx->wstate, KIPC_W_IDLE);
	err = ctx->wresult;
out:
	if (unlikely(READ_ONCE(ctx->peer_next)))
		kipc_peer_take(ctx);
	/* set_notify_signal() without the wake-up: we are running. */
	if (unlikely(notify))
		set_thread_flag(TIF_NOTIFY_SIGNAL);
	return err;
}

/**
 * kipc_wait_done - T11 for an operation that did not wait in kipc_wait()
 * (asynchronous, or a parked call)
 * @ctx:	the context, DONE
 *
 * Return: its result.
 */
int kipc_wait_done(struct kipc_ctx *ctx)
{
	/* Pairs with the release in kipc_complete(): DONE after wresult. */
	int st = smp_load_acquire(&ctx->wstate);

	WARN_ON_ONCE(st != KIPC_W_DONE);
	WRITE_ONCE(ctx->wstate, KIPC_W_IDLE);
	if (READ_ONCE(ctx->peer_next))
		kipc_peer_take(ctx);
	return ctx->wresult;
}

/**
 * kipc_wait_reply_end - end a call's wait for its reply, now
 * @ctx:	the context, in KIPC_W_REPLY or already past it, not queued
 *
 * Return: the reply's result if it came (or the call was cancelled), else
 * -EINTR: then a later reply finds no caller (ECONNRESET).
 */
int kipc_wait_reply_end(struct kipc_ctx *ctx)
{
	if (kipc_wait_end(ctx, KIPC_W_REPLY, 1))
		return -EINTR;
	/* A partner got there first: wait until it has finished with us. */
	while (smp_load_acquire(&ctx->wstate) == KIPC_W_BUSY)
		kipc_wait_busy(ctx);
	return kipc_wait_done(ctx);
}

/**
 * kipc_deadline - absolute deadline for a relative timeout
 * @timeout: nanoseconds or KIPC_TIMEOUT_INFINITE
 *
 * Return: the deadline, KTIME_MAX for none.
 */
ktime_t kipc_deadline(u64 timeout)
{
	if (timeout == KIPC_TIMEOUT_INFINITE)
		return KTIME_MAX;
	return ktime_add_safe(ktime_get(),
			      ns_to_ktime(min_t(u64, timeout, KTIME_MAX)));
}
