// SPDX-License-Identifier: GPL-2.0
/*
 * The rendezvous: send, recv, call, reply and reply_recv.
 *
 * Whoever arrives second at an endpoint finds its partner on the endpoint's
 * queue, takes it off (the partner is then KIPC_W_BUSY and its lock is held
 * by us), copies the message registers once from the sender's message area
 * to the receiver's, and hands the partner its result.  No payload is ever
 * buffered and nothing is allocated on this path.
 *
 * Locks: ep->lock protects queue membership; a context's lock is held by a
 * partner for as long as it owns that context (KIPC_W_BUSY) and guards the
 * way in and out of KIPC_W_REPLY.  Order: ep->lock, then a context lock.
 * No two context locks are ever held together.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/moduleparam.h>
#include <linux/sched/clock.h>
#include <linux/sched/stat.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "internal.h"
#include "kipc_trace.h"

static unsigned int spin_ns = 20000;
module_param(spin_ns, uint, 0644);
MODULE_PARM_DESC(spin_ns,
	"How long (ns) a waiter keeps its CPU, yielding to its partner or spinning, before it sleeps; 0: sleep at once");

static void kipc_ctx_free(struct kref *ref)
{
	struct kipc_ctx *ctx = container_of(ref, struct kipc_ctx, ref);

	free_page((unsigned long)ctx->utcb);
	mmdrop(ctx->mm);
	/*
	 * A partner that completed us may still be between its store of
	 * KIPC_W_DONE and the unlock of our ->lock (kipc_do_send(),
	 * kipc_do_recv()) or the read of ->sleeping (kipc_complete()), without
	 * a reference: our task saw DONE, returned and closed us meanwhile.
	 * Those are RCU read-side sections (spinlock held, rcu_read_lock()),
	 * so the struct outlives them by a grace period.
	 */
	kfree_rcu(ctx, rcu);
	atomic_long_dec(&kipc_stats.contexts);
}

/**
 * kipc_ctx_put - drop a reference to a context
 * @ctx: the context; must not be called with a spinlock held
 */
void kipc_ctx_put(struct kipc_ctx *ctx)
{
	kref_put(&ctx->ref, kipc_ctx_free);
}

/**
 * kipc_complete - hand a waiting context its result and wake its task
 * @ctx:	the context, owned by the caller (off its queue, or its lock
 *		or queue lock held)
 * @result:	0 or -errno
 *
 * The task is blocked until it sees KIPC_W_DONE and may exit right after,
 * so its task_struct is only guaranteed to stay until an RCU grace period
 * has passed.  An operation submitted through io_uring is completed in its
 * task instead (uring.c).
 */
void kipc_complete(struct kipc_ctx *ctx, int result)
{
	struct task_struct *task = ctx->task;

	ctx->wresult = result;
	trace_kipc_wake(task, result);
	rcu_read_lock();
	/* Pairs with smp_load_acquire() in kipc_wait(): wresult first. */
	smp_store_release(&ctx->wstate, KIPC_W_DONE);
	/*
	 * A waiter that is still spinning sees DONE by itself; only a sleeper
	 * needs the wake-up.  Pairs with the barrier in set_current_state()
	 * after kipc_wait() sets ->sleeping.  An asynchronous operation is
	 * always "sleeping", so the spinning path tests nothing more.
	 */
	smp_mb();
	if (READ_ONCE(ctx->sleeping)) {
		if (unlikely(ctx->ucmd))
			kipc_uring_complete(ctx);
		else
			wake_up_process(task);
	}
	rcu_read_unlock();
}

/**
 * kipc_ep_fail_waiters - end every wait on one queue of an endpoint
 * @ep:		the endpoint, ep->lock held
 * @queue:	&ep->senders or &ep->receivers
 * @err:	the result the waiters get
 */
void kipc_ep_fail_waiters(struct kipc_ep *ep, struct list_head *queue, int err)
{
	struct kipc_ctx *ctx, *tmp;

	lockdep_assert_held(&ep->lock);
	list_for_each_entry_safe(ctx, tmp, queue, node) {
		list_del_init(&ctx->node);
		kipc_complete(ctx, err);
	}
}

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
 * is current's, the other is BUSY with its lock held.
 */
static __always_inline void kipc_transfer(struct kipc_ctx *dst,
					  struct kipc_ctx *src,
					  u64 tag, u64 badge, u64 ep_id)
{
	struct kipc_utcb *d = dst->utcb;
	const struct kipc_utcb *s = src->utcb;
	struct user_namespace *ns = dst->cred->user_ns;

	memcpy(d->mr, s->mr, KIPC_TAG_NR(tag) * sizeof(d->mr[0]));
	kipc_move_files(dst, src);
	d->tag = tag;
	d->badge = badge;
	d->pid = task_tgid_nr_ns(src->task, dst->pid_ns);
	d->uid = from_kuid_munged(ns, src->cred->euid);
	d->gid = from_kgid_munged(ns, src->cred->egid);
	d->status = 0;
	trace_kipc_transfer(ep_id, src->task, dst->task, tag);
}

/*
 * The tag of the message in @ctx's area, read once: the area is user
 * memory and may change under us.  KIPC_TAG_F_CALL, which the kernel sets
 * on received messages, is ignored so a message can be sent back as is
 * (its descriptor count is not: a received count must be cleared or the
 * descriptors are passed back).
 */
static int kipc_load_tag(struct kipc_ctx *ctx, u64 *tagp)
{
	u64 tag = READ_ONCE(ctx->utcb->tag) & ~KIPC_TAG_F_CALL;

	if (KIPC_TAG_NR(tag) > KIPC_MSG_REGS ||
	    (tag & KIPC_TAG_FLAGS_MASK & ~KIPC_TAG_FDS_MASK) ||
	    KIPC_TAG_FDS(tag) > KIPC_MSG_FDS)
		return -EINVAL;
	*tagp = tag;
	return 0;
}

/*
 * Take references to the descriptors the message in @me's area carries
 * (KIPC_TAG_FDS(@tag) of them), charging them to the sender as in flight.
 * @grant says whether the way the message goes allows passing any.  On
 * error the references taken so far stay in me->out for kipc_ipc_end().
 */
static noinline int kipc_get_files_slow(struct kipc_ctx *me,
					struct kipc_op *op, u64 tag, bool grant)
{
	unsigned int i, n = KIPC_TAG_FDS(tag);
	struct file *file;
	int ret;

	/* The receiver of an io_uring operation installs nothing (yet). */
	if (op->async)
		return -EOPNOTSUPP;
	if (!grant)
		return -EPERM;
	op->files = true;
	op->uid = current_uid();
	ret = kipc_charge(op->uid, KIPC_L_INFLIGHT, n);
	if (ret)
		return ret;
	op->charged = n;
	atomic_long_add(n, &kipc_stats.inflight);
	for (i = 0; i < n; i++) {
		file = fget(READ_ONCE(me->utcb->fds[i]));
		if (!file)
			return -EBADF;
		me->out[me->nout++] = file;
		if (!kipc_file_may_pass(file))
			return -EPERM;
	}
	return 0;
}

/* The common case, a message without descriptors, costs one test. */
static __always_inline int kipc_get_files(struct kipc_ctx *me,
					  struct kipc_op *op, u64 tag,
					  bool grant)
{
	if (likely(!(tag & KIPC_TAG_FDS_MASK)))
		return 0;
	return kipc_get_files_slow(me, op, tag, grant);
}

/*
 * Reserve up to fd_max descriptor numbers for a message to receive: as
 * many as the fd table allows.  A sender with more descriptors than were
 * reserved fails with EMSGSIZE; the receiver itself does not.  Operations
 * submitted through io_uring complete in task work that may run after the
 * task lost its files, so they take no descriptors: EOPNOTSUPP.
 */
static noinline int kipc_reserve_fds_slow(struct kipc_ctx *me,
					  struct kipc_op *op, unsigned int n)
{
	int fd;

	op->files = true;
	while (me->nrfd < n) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0)
			break;
		me->rfd[me->nrfd++] = fd;
	}
	return 0;
}

static __always_inline int kipc_reserve_fds(struct kipc_ctx *me,
					    struct kipc_op *op)
{
	/* op->fd_max was read once and checked by kipc_load_fd_max(). */
	return likely(!op->fd_max) ? 0 : kipc_reserve_fds_slow(me, op, op->fd_max);
}

/* Absolute deadline for a relative timeout; KTIME_MAX for none. */
static __always_inline ktime_t __kipc_deadline(u64 timeout)
{
	if (timeout == KIPC_TIMEOUT_INFINITE)
		return KTIME_MAX;
	return ktime_add_safe(ktime_get(), ns_to_ktime(min_t(u64, timeout, KTIME_MAX)));
}

/**
 * kipc_deadline - absolute deadline for a relative timeout
 * @timeout: nanoseconds or KIPC_TIMEOUT_INFINITE
 *
 * Return: the deadline, KTIME_MAX for none.
 */
ktime_t kipc_deadline(u64 timeout)
{
	return __kipc_deadline(timeout);
}

/*
 * Take @me out of the wait state @st it was seen in.  Returns true if it
 * was withdrawn (nothing of that phase happened), false if a partner got
 * there first and the state moved on: the caller must look again, as the
 * phase, and so the right error, may have changed.
 */
static bool kipc_withdraw(struct kipc_ctx *me, int st)
{
	bool done = false;

	if (st == KIPC_W_SENDING || st == KIPC_W_RECEIVING) {
		/* The queue's owner is pinned by the operation: ->qlock is stable. */
		spin_lock(me->qlock);
		if (me->wstate == st) {
			list_del_init(&me->node);
			me->wstate = KIPC_W_IDLE;
			done = true;
		}
		spin_unlock(me->qlock);
	} else if (st == KIPC_W_REPLY) {
		spin_lock(&me->lock);
		if (me->wstate == st) {
			me->reply_from = NULL;
			me->wstate = KIPC_W_IDLE;
			done = true;
		}
		spin_unlock(&me->lock);
	}
	return done;
}

/*
 * Keep the CPU for a little while instead of sleeping: the partner of a
 * synchronous IPC usually answers within microseconds, and a sleep costs a
 * dequeue, a wake-up and, across CPUs, an IPI.  With other tasks on this
 * CPU (the partner, most likely) the waiter yields, so they run at once;
 * alone on its CPU it spins.  yield() is no progress guarantee here, only a
 * hint: the state is checked after every round and the budget ends in a
 * real sleep.  Returns true when the state left @st or a signal came, false
 * when the budget ran out.
 */
static bool kipc_spin(struct kipc_ctx *me, int st)
{
	u64 until = 0;

	for (;;) {
		if (single_task_running())
			cpu_relax();
		else
			yield();
		if (READ_ONCE(me->wstate) != st || signal_pending(current))
			return true;
		cond_resched();
		/* Most spins end in the first round: only then read the clock. */
		if (!until)
			until = local_clock() + READ_ONCE(spin_ns);
		else if (local_clock() >= until)
			return false;
	}
}

/*
 * Sleep while @me stays in state @st, until @dl.  The partner wakes us only
 * if it sees ->sleeping.  How long the sleep took decides whether the next
 * wait on this context spins first.
 */
static void kipc_sleep(struct kipc_ctx *me, int st, ktime_t dl)
{
	u64 t0 = local_clock();

	WRITE_ONCE(me->sleeping, true);
	set_current_state(TASK_INTERRUPTIBLE);
	if (READ_ONCE(me->wstate) == st) {
		if (dl == KTIME_MAX)
			schedule();
		else
			schedule_hrtimeout_range(&dl, current->timer_slack_ns,
						 HRTIMER_MODE_ABS);
	}
	__set_current_state(TASK_RUNNING);
	WRITE_ONCE(me->sleeping, false);
	me->spin_ok = local_clock() - t0 < READ_ONCE(spin_ns);
}

/**
 * kipc_wait - sleep until a partner has finished with @me
 * @me:		the context, queued or waiting for a reply
 * @op:		the operation's deadlines and restart rules
 *
 * Ends early on a signal or the phase's deadline; then @me is withdrawn
 * and the phase it was in delivered nothing, and the error says how the
 * operation goes on (restart.c): -ERESTARTSYS (run it again as issued),
 * -ERESTARTNOHAND (run it again with its absolute deadlines, unless a
 * handler runs), -ERESTARTNOINTR with op->park set (a call waiting for its
 * reply is not withdrawn but parked), -EINTR (a fatal signal), or
 * -ETIMEDOUT.  The error is chosen for the state the context is withdrawn
 * from, never for a state a partner has already moved it out of: a call
 * taken off the queue while we decided to restart it must not be sent
 * again.
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
int kipc_wait(struct kipc_ctx *me, struct kipc_op *op)
{
	/* Spin unless the last sleep on this context was a long one. */
	bool spin = READ_ONCE(spin_ns) && me->spin_ok;
	bool notify = false;
	int st, err;
	ktime_t dl;

	for (;;) {
		/* Pairs with kipc_complete(): DONE means wresult is set. */
		st = smp_load_acquire(&me->wstate);
		if (st == KIPC_W_DONE)
			break;
		if (st == KIPC_W_BUSY) {
			/* A partner is copying and holds our lock: wait it out. */
			spin_lock(&me->lock);
			spin_unlock(&me->lock);
			continue;
		}
		dl = st == KIPC_W_SENDING ? min(op->send_dl, op->recv_dl) : op->recv_dl;
		if (signal_pending(current)) {
			if (st == KIPC_W_REPLY) {
				/* Delivered: it must neither fail nor resend. */
				if (!task_sigpending(current))
					goto notify;
				if (!fatal_signal_pending(current)) {
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
		} else if (spin) {
			spin = kipc_spin(me, st);
			continue;
		} else {
			kipc_sleep(me, st, dl);
			continue;
		}
		if (kipc_withdraw(me, st))
			goto out;
		continue;
notify:
		/* Task work only: run it on the way out, keep waiting. */
		clear_notify_signal();
		notify = true;
	}
	WRITE_ONCE(me->wstate, KIPC_W_IDLE);
	err = me->wresult;
out:
	/* set_notify_signal() without the wake-up: we are running. */
	if (unlikely(notify))
		set_thread_flag(TIF_NOTIFY_SIGNAL);
	return err;
}

/*
 * Give up the reply right @me holds: the caller, if it still waits for
 * us, fails with @err.
 */
static void kipc_drop_reply(struct kipc_ctx *me, int err)
{
	struct kipc_ctx *caller = me->reply_to;

	me->reply_to = NULL;
	spin_lock(&caller->lock);
	if (caller->wstate == KIPC_W_REPLY && caller->reply_from == me) {
		caller->reply_from = NULL;
		kipc_complete(caller, err);
	}
	spin_unlock(&caller->lock);
	kipc_ctx_put(caller);
}

/*
 * Reply to the caller @me holds the right for, with the message in @me's
 * area.  Never blocks.  Returns 0, or ECONNRESET if the caller stopped
 * waiting (interrupted, timed out, died), or EMSGSIZE if the reply carries
 * more descriptors than the caller reserved: then the right is kept.
 */
static int kipc_do_reply(struct kipc_ctx *me, u64 tag)
{
	struct kipc_ctx *caller = me->reply_to;
	int ret = -ECONNRESET;

	spin_lock(&caller->lock);
	if (caller->wstate == KIPC_W_REPLY && caller->reply_from == me) {
		if (KIPC_TAG_FDS(tag) > caller->nrfd) {
			spin_unlock(&caller->lock);
			return -EMSGSIZE;
		}
		caller->reply_from = NULL;
		caller->wstate = KIPC_W_BUSY;
		kipc_transfer(caller, me, tag, 0, 0);
		kipc_complete(caller, 0);
		ret = 0;
	}
	me->reply_to = NULL;
	spin_unlock(&caller->lock);
	trace_kipc_reply(caller->task, tag, ret);
	kipc_ctx_put(caller);
	return ret;
}

/* Send phase of send and call. */
static __always_inline int kipc_do_send(struct kipc_ctx *me, struct kipc_op *op,
					 bool call, u64 timeout)
{
	struct kipc_ep *ep = op->h.ep;
	struct kipc_ctx *rcv;

	spin_lock(&ep->lock);
	if (!ep->nr_recv) {
		spin_unlock(&ep->lock);
		return -EPIPE;
	}
	rcv = list_first_entry_or_null(&ep->receivers, struct kipc_ctx, node);
	if (!rcv) {
		if (timeout == KIPC_TIMEOUT_POLL) {
			spin_unlock(&ep->lock);
			return -EAGAIN;
		}
		me->tag = op->tag;
		me->badge = op->h.badge;
		me->call = call;
		kipc_queued(me, &ep->lock, KIPC_W_SENDING);
		list_add_tail(&me->node, &ep->senders);
		/* Under ep->lock, so a poller's registration cannot be missed. */
		if (unlikely(waitqueue_active(&ep->wq))) {
			spin_unlock(&ep->lock);
			kipc_ep_wake(ep, EPOLLIN | EPOLLRDNORM);
		} else {
			spin_unlock(&ep->lock);
		}
		return op->async ? -EIOCBQUEUED : kipc_wait(me, op);
	}

	/* A receiver waits: deliver straight into its area, if it can take it. */
	if (KIPC_TAG_FDS(op->tag) > rcv->nrfd) {
		spin_unlock(&ep->lock);
		return -EMSGSIZE;
	}
	list_del_init(&rcv->node);
	spin_lock(&rcv->lock);
	rcv->wstate = KIPC_W_BUSY;
	ep->msgs++;
	spin_unlock(&ep->lock);

	kipc_transfer(rcv, me, call ? op->tag | KIPC_TAG_F_CALL : op->tag,
		      op->h.badge, ep->id);
	if (call) {
		/*
		 * Become the receiver's caller before it can run.  Nobody else
		 * can match reply_from == rcv, so our own lock is not needed.
		 */
		kref_get(&me->ref);
		rcv->reply_to = me;
		WRITE_ONCE(me->reply_from, rcv);
		WRITE_ONCE(me->wstate, KIPC_W_REPLY);
	}
	kipc_complete(rcv, 0);
	spin_unlock(&rcv->lock);

	if (!call)
		return 0;
	return op->async ? -EIOCBQUEUED : kipc_wait(me, op);
}

/* Receive phase of recv and reply_recv. */
static __always_inline int kipc_do_recv(struct kipc_ctx *me, struct kipc_op *op,
					 u64 timeout)
{
	struct kipc_ep *ep = op->h.ep;
	struct kipc_ctx *snd;

	spin_lock(&ep->lock);
	/* Pending bits of a bound notification come first, as in seL4. */
	if (unlikely(ep->ntfn) && kipc_ntfn_take(ep, me)) {
		spin_unlock(&ep->lock);
		return 0;
	}
	for (;;) {
		snd = list_first_entry_or_null(&ep->senders, struct kipc_ctx, node);
		if (!snd || KIPC_TAG_FDS(snd->tag) <= me->nrfd)
			break;
		/* More descriptors than we can take: that sender fails. */
		list_del_init(&snd->node);
		kipc_complete(snd, -EMSGSIZE);
	}
	if (!snd) {
		/*
		 * Nobody can send, or nobody can receive any more: our handle
		 * was closed since we looked it up, and kipc_handle_drop()
		 * would never wake us.
		 */
		if ((!ep->nr_send && !ep->ntfn) || !ep->nr_recv) {
			spin_unlock(&ep->lock);
			return -EPIPE;
		}
		if (timeout == KIPC_TIMEOUT_POLL) {
			spin_unlock(&ep->lock);
			return -EAGAIN;
		}
		kipc_queued(me, &ep->lock, KIPC_W_RECEIVING);
		list_add_tail(&me->node, &ep->receivers);
		/* Under ep->lock, so a poller's registration cannot be missed. */
		if (unlikely(waitqueue_active(&ep->wq))) {
			spin_unlock(&ep->lock);
			kipc_ep_wake(ep, EPOLLOUT | EPOLLWRNORM);
		} else {
			spin_unlock(&ep->lock);
		}
		return op->async ? -EIOCBQUEUED : kipc_wait(me, op);
	}

	/* A sender waits: fetch its message straight into our area. */
	list_del_init(&snd->node);
	spin_lock(&snd->lock);
	snd->wstate = KIPC_W_BUSY;
	ep->msgs++;
	spin_unlock(&ep->lock);

	kipc_transfer(me, snd, snd->call ? snd->tag | KIPC_TAG_F_CALL : snd->tag,
		      snd->badge, ep->id);
	if (snd->call) {
		/* The caller sleeps on, now waiting for our reply. */
		kref_get(&snd->ref);
		me->reply_to = snd;
		snd->reply_from = me;
		snd->wstate = KIPC_W_REPLY;
	} else {
		kipc_complete(snd, 0);
	}
	spin_unlock(&snd->lock);
	return 0;
}

/* Drop the files of a message not (or no longer) being sent. */
static void kipc_put_files(struct kipc_ctx *me, struct kipc_op *op)
{
	unsigned int i;

	for (i = 0; i < me->nout; i++)
		fput(me->out[i]);
	me->nout = 0;
	if (op->charged) {
		kipc_uncharge(op->uid, KIPC_L_INFLIGHT, op->charged);
		atomic_long_sub(op->charged, &kipc_stats.inflight);
		op->charged = 0;
	}
}

static int kipc_op_handle(struct kipc_op *op, int fd, u32 right)
{
	int ret = kipc_handle_lookup(fd, &op->h);

	if (ret)
		return ret;
	if (!(op->h.rights & right)) {
		kipc_ep_put(op->h.ep);
		op->h.ep = NULL;
		return -EPERM;
	}
	return 0;
}

/*
 * io_uring takes no timeouts but "now" and "never": a finite one would
 * need a timer per pending operation; KIPC_IOC_CANCEL bounds a wait.
 */
static __always_inline int kipc_async_timeout(bool async, u64 timeout)
{
	if (async && timeout != KIPC_TIMEOUT_POLL &&
	    timeout != KIPC_TIMEOUT_INFINITE)
		return -EINVAL;
	return 0;
}

/*
 * Read and check the descriptor count to reserve for a receive (call,
 * recv, reply_recv), before the handle: a malformed message area is an
 * argument error and wins over the handle's errors.
 */
static __always_inline int kipc_load_fd_max(struct kipc_ctx *me,
					    struct kipc_op *op, bool async)
{
	unsigned int n = READ_ONCE(me->utcb->fd_max);

	if (likely(!n))
		return 0;
	if (n > KIPC_MSG_FDS)
		return -EINVAL;
	/* Ring completions may run where no descriptor can be installed. */
	if (async)
		return -EOPNOTSUPP;
	op->fd_max = n;
	return 0;
}

/*
 * @async is a constant where this is inlined, and @rs NULL on the
 * synchronous path: it tests neither.  Errors come in the documented
 * order: the message area, then the handle, then the descriptors, then
 * what the rendezvous finds.
 */
static __always_inline int kipc_ipc(struct kipc_ctx *me, unsigned int cmd,
				    const struct kipc_ipc *a, struct kipc_op *op,
				    const bool async,
				    const struct kipc_restart *rs)
{
	int ret;

	switch (cmd) {
	case KIPC_IOC_SEND:
	case KIPC_IOC_CALL:
		ret = kipc_load_tag(me, &op->tag);
		if (ret)
			return ret;
		if (async && KIPC_TAG_FDS(op->tag))
			return -EOPNOTSUPP;
		ret = kipc_async_timeout(async, a->send_timeout) ?:
		      kipc_async_timeout(async, a->recv_timeout);
		if (ret)
			return ret;
		if (cmd == KIPC_IOC_CALL) {
			ret = kipc_load_fd_max(me, op, async);
			if (ret)
				return ret;
		}
		/* A reply right held is kept: a server may call others first. */
		ret = kipc_op_handle(op, a->fd, KIPC_RIGHT_SEND);
		if (ret)
			return ret;
		ret = kipc_reserve_fds(me, op);
		if (ret)
			return ret;
		ret = kipc_get_files(me, op, op->tag,
				     op->h.rights & KIPC_RIGHT_GRANT);
		if (ret)
			return ret;
		op->send_dl = rs ? rs->send_dl : __kipc_deadline(a->send_timeout);
		op->send_restart = a->send_timeout == KIPC_TIMEOUT_INFINITE;
		if (async)
			me->aep = op->h.ep;
		if (cmd == KIPC_IOC_SEND) {
			trace_kipc_send(op->h.ep->id, op->tag, op->h.badge);
			return kipc_do_send(me, op, false, a->send_timeout);
		}
		trace_kipc_call(op->h.ep->id, op->tag, op->h.badge);
		/* A restart would start the whole call's deadline again. */
		op->send_restart &= a->recv_timeout == KIPC_TIMEOUT_INFINITE;
		op->recv_dl = rs ? rs->recv_dl : __kipc_deadline(a->recv_timeout);
		return kipc_do_send(me, op, true, a->send_timeout);

	case KIPC_IOC_REPLY:
		if (a->fd != -1)
			return -EINVAL;
		ret = kipc_load_tag(me, &op->tag);
		if (ret)
			return ret;
		if (!me->reply_to)
			return -ENOENT;
		ret = kipc_get_files(me, op, op->tag, me->reply_grant);
		if (ret)
			return ret;
		return kipc_do_reply(me, op->tag);

	case KIPC_IOC_RECV:
	case KIPC_IOC_REPLY_RECV:
		if (unlikely(rs)) {
			op->replied = rs->replied;
			op->lost = rs->lost;
		}
		ret = kipc_async_timeout(async, a->recv_timeout);
		if (ret)
			return ret;
		/* The reply's tag: without a reply right, no reply is sent. */
		if (cmd == KIPC_IOC_REPLY_RECV && me->reply_to) {
			ret = kipc_load_tag(me, &op->tag);
			if (ret)
				return ret;
			if (async && KIPC_TAG_FDS(op->tag))
				return -EOPNOTSUPP;
		}
		ret = kipc_load_fd_max(me, op, async);
		if (ret)
			return ret;
		ret = kipc_op_handle(op, a->fd, KIPC_RIGHT_RECV);
		if (ret)
			return ret;
		ret = kipc_reserve_fds(me, op);
		if (ret)
			return ret;
		if (me->reply_to) {
			if (cmd == KIPC_IOC_REPLY_RECV) {
				ret = kipc_get_files(me, op, op->tag,
						     me->reply_grant);
				if (!ret)
					ret = kipc_do_reply(me, op->tag);
				/* Not sent (the right is kept), or a bad argument. */
				if (ret && ret != -ECONNRESET)
					return ret;
				op->lost = ret != 0;
				op->replied = true;
				if (unlikely(op->files))
					kipc_put_files(me, op);
			} else {
				kipc_drop_reply(me, -ECONNRESET);
			}
		}
		me->reply_grant = op->h.rights & KIPC_RIGHT_GRANT;
		trace_kipc_recv(op->h.ep->id, cmd == KIPC_IOC_REPLY_RECV);
		op->recv_dl = rs ? rs->recv_dl : __kipc_deadline(a->recv_timeout);
		op->recv_restart = a->recv_timeout == KIPC_TIMEOUT_INFINITE;
		if (async) {
			/* Before the queue: the completion may run at once. */
			me->aep = op->h.ep;
			me->alost = op->lost;
		}
		return kipc_do_recv(me, op, a->recv_timeout);
	}
	return -ENOTTY;
}

/*
 * The end of a synchronous operation that reserved numbers or took files:
 * install what was delivered (all of it, in current's fd table, which is
 * the receiver's), give back the descriptor numbers not used and the files
 * not sent.
 */
static noinline void kipc_ipc_end(struct kipc_ctx *me, struct kipc_op *op,
				  int ret)
{
	unsigned int i, used = 0;

	if (me->nin) {
		/* Only a successful receive is handed files; be safe anyway. */
		if (!WARN_ON_ONCE(ret)) {
			for (i = 0; i < me->nin; i++) {
				fd_install(me->rfd[i], me->in[i]);
				WRITE_ONCE(me->utcb->fds[i], me->rfd[i]);
			}
			used = me->nin;
		} else {
			for (i = 0; i < me->nin; i++)
				fput(me->in[i]);
		}
		me->nin = 0;
	}
	for (i = used; i < me->nrfd; i++)
		put_unused_fd(me->rfd[i]);
	me->nrfd = 0;
	kipc_put_files(me, op);
}

/*
 * The end of an operation, synchronous or asynchronous: account an error,
 * drop what the operation pinned and free the context for the next one.
 */
static __always_inline int kipc_op_end(struct kipc_ctx *me, unsigned int cmd,
					struct kipc_ep *ep,
					struct kipc_ntfn *ntfn, int ret)
{
	/* A transparent restart is the same operation going on: no error. */
	if (unlikely(ret) && ret != -ERESTARTSYS && ret != -ERESTARTNOHAND &&
	    ret != -ERESTARTNOINTR) {
		trace_kipc_error(cmd, ep ? ep->id : 0, ret);
		if (ep)
			atomic64_inc(&ep->errors);
	}
	if (ep)
		kipc_ep_put(ep);
	if (ntfn)
		kipc_ntfn_put(ntfn);
	clear_bit_unlock(0, &me->busy);
	return ret;
}

/* Pin what a partner may read of us after the submitting call returned. */
static void kipc_async_begin(struct kipc_ctx *me, struct io_uring_cmd *ucmd)
{
	me->task = get_task_struct(current);
	me->cred = get_current_cred();
	me->pid_ns = get_pid_ns(task_active_pid_ns(current));
	me->aep = NULL;
	me->antfn = NULL;
	me->alost = false;
	WRITE_ONCE(me->ucmd, ucmd);
	/* kipc_complete() then completes through io_uring. */
	WRITE_ONCE(me->sleeping, true);
	atomic_long_inc(&kipc_stats.async);
}

static void kipc_async_unpin(struct kipc_ctx *me)
{
	WRITE_ONCE(me->sleeping, false);
	WRITE_ONCE(me->ucmd, NULL);
	put_pid_ns(me->pid_ns);
	put_cred(me->cred);
	put_task_struct(me->task);
	me->task = NULL;
	atomic_long_dec(&kipc_stats.async);
}

/*
 * Leave `status` describing the operation that ends with @ret: a received
 * message or notification wrote it (kipc_transfer(), kipc_ntfn_deliver()),
 * a reply that found no caller adds KIPC_ST_REPLY_LOST, and anything else
 * clears it.  Not for -EIOCBQUEUED: a partner may still be writing it.
 */
static __always_inline void kipc_status_end(struct kipc_ctx *me,
					    unsigned int cmd,
					    const struct kipc_op *op, int ret)
{
	struct kipc_utcb *u = me->utcb;

	if (unlikely(ret))
		WRITE_ONCE(u->status, op->lost ? KIPC_ST_REPLY_LOST : 0);
	else if (unlikely(op->lost))
		WRITE_ONCE(u->status, READ_ONCE(u->status) | KIPC_ST_REPLY_LOST);
	else if (cmd == KIPC_IOC_SEND || cmd == KIPC_IOC_REPLY)
		WRITE_ONCE(u->status, 0);
}

/* Pin what a partner may read of us while we are not in the ioctl. */
static void kipc_pin(struct kipc_ctx *me)
{
	get_task_struct(me->task);
	get_cred(me->cred);
	get_pid_ns(me->pid_ns);
}

static void kipc_unpin(struct kipc_ctx *me)
{
	put_pid_ns(me->pid_ns);
	put_cred(me->cred);
	put_task_struct(me->task);
}

/*
 * The end of a synchronous operation (and of a parked one resumed or
 * abandoned): hand over or drop descriptors, write status, drop what the
 * operation pinned, free the context.
 */
static __always_inline int kipc_sync_end(struct kipc_ctx *me, unsigned int cmd,
					 struct kipc_op *op, int ret,
					 const bool ipc_only)
{
	bool ntfn = !ipc_only && cmd == KIPC_IOC_NTFN_WAIT;

	if (unlikely(op->files))
		kipc_ipc_end(me, op, ret);
	kipc_status_end(me, cmd, op, ret);
	if (unlikely(op->pinned))
		kipc_unpin(me);
	return kipc_op_end(me, cmd, op->h.ep, ntfn ? me->antfn : NULL, ret);
}

/*
 * kipc_wait() was interrupted by a signal that is not fatal and the ioctl
 * will be issued again (restart.c).  A call waiting for its reply is
 * parked as it is (-ERESTARTNOINTR); any other phase was withdrawn and its
 * operation ends here, noting the deadlines the restart goes on with
 * (-ERESTARTNOHAND).
 */
static noinline int kipc_op_interrupted(struct kipc_ctx *me, unsigned int cmd,
					const struct kipc_ipc *a,
					struct kipc_op *op, int ret)
{
	if (!op->park) {
		kipc_restart_note(&me->resume, cmd, a);
		me->resume.send_dl = op->send_dl;
		me->resume.recv_dl = op->recv_dl;
		me->resume.replied = op->replied;
		me->resume.lost = op->lost;
		me->resume_task = current;
		return kipc_sync_end(me, cmd, op, ret, false);
	}
	op->park = false;
	op->rs = NULL;		/* it may point into a frame that returns */
	if (!op->pinned) {
		kipc_pin(me);
		op->pinned = true;
	}
	me->park_op = *op;
	kipc_restart_note(&me->park_rs, cmd, a);
	me->park_files = current->files;
	/* Claimable from here on (kipc_busy_slow()): everything is saved. */
	smp_store_release(&me->park_task, current);
	return ret;
}

/**
 * kipc_wait_reply_end - end a call's wait for its reply, now
 * @me:		the context, in KIPC_W_REPLY or already past it, not queued
 *
 * Return: the reply's result if it came (or the call was cancelled), else
 * -EINTR: then a later reply finds no caller (ECONNRESET).
 */
int kipc_wait_reply_end(struct kipc_ctx *me)
{
	int st;

	if (kipc_withdraw(me, KIPC_W_REPLY))
		return -EINTR;
	/* A partner got there first: wait until it has finished with us. */
	while ((st = smp_load_acquire(&me->wstate)) == KIPC_W_BUSY) {
		spin_lock(&me->lock);
		spin_unlock(&me->lock);
	}
	WARN_ON_ONCE(st != KIPC_W_DONE);
	WRITE_ONCE(me->wstate, KIPC_W_IDLE);
	return me->wresult;
}

/*
 * End a parked call that will not come back: a handler left it with
 * siglongjmp(), its task is exiting, or the context is closing.  A reply
 * that came meanwhile is dropped, its descriptors closed; the numbers
 * reserved for them are given back if they are in current's fd table
 * (else they go with that table).  The context stays busy: the caller
 * owns it.
 */
static void kipc_park_abandon(struct kipc_ctx *me)
{
	struct kipc_op op = me->park_op;
	unsigned int i;

	kipc_wait_reply_end(me);
	for (i = 0; i < me->nin; i++)
		fput(me->in[i]);
	me->nin = 0;
	if (current->files == me->park_files)
		for (i = 0; i < me->nrfd; i++)
			put_unused_fd(me->rfd[i]);
	me->nrfd = 0;
	op.files = false;
	kipc_put_files(me, &op);
	trace_kipc_error(me->park_rs.cmd, op.h.ep ? op.h.ep->id : 0, -EINTR);
	kipc_unpin(me);
	if (op.h.ep)
		kipc_ep_put(op.h.ep);
}

/*
 * A parked call resumes when its ioctl comes back.  If no handler ran, it
 * waits on; if one did (rt_sigreturn() cleared our mark), it ends: with
 * the reply if that came meanwhile, else with EINTR.
 */
static noinline int kipc_op_resume(struct kipc_ctx *me)
{
	struct kipc_op op = me->park_op;
	unsigned int cmd = me->park_rs.cmd;
	struct kipc_ipc a = me->park_rs.args;
	int ret;

	if (kipc_restart_unmark())
		ret = kipc_wait(me, &op);
	else
		ret = kipc_wait_reply_end(me);
	if (unlikely(op.park))
		return kipc_op_interrupted(me, cmd, &a, &op, ret);
	return kipc_sync_end(me, cmd, &op, ret, false);
}

static int __kipc_op_run(struct kipc_ctx *me, unsigned int cmd,
			 const struct kipc_ipc *a, struct io_uring_cmd *ucmd,
			 unsigned int issue_flags);

/*
 * The context is busy.  If a call of current's is parked on it, this may
 * be that call coming back (same ioctl, same arguments, same user stack
 * and instruction pointer: kipc_op_resume()), or an operation from a
 * handler that interrupted it (its stack is below the parked call's, or
 * on the alternate signal stack): that one finds the context busy.  An
 * operation from further up the stack means the handler did not return
 * (siglongjmp()): the parked call is abandoned and the context serves
 * the new operation; so it is once the parking task is exiting.
 */
static noinline int kipc_busy_slow(struct kipc_ctx *me, unsigned int cmd,
				   const struct kipc_ipc *a,
				   struct io_uring_cmd *ucmd,
				   unsigned int issue_flags)
{
	struct task_struct *t;
	bool resume = false, abandon = false;

	/* Pairs with smp_store_release() in kipc_op_interrupted(). */
	if (!smp_load_acquire(&me->park_task))
		return -EBUSY;
	spin_lock(&me->lock);
	t = me->park_task;
	if (t == current) {
		resume = !ucmd && kipc_restart_is(&me->park_rs, cmd, a);
		abandon = !resume && !kipc_restart_in_handler(&me->park_rs);
	} else if (t) {
		abandon = t->flags & PF_EXITING;
	}
	if (resume || abandon)
		me->park_task = NULL;
	spin_unlock(&me->lock);
	if (resume)
		return kipc_op_resume(me);
	if (!abandon)
		return -EBUSY;
	kipc_park_abandon(me);
	return __kipc_op_run(me, cmd, a, ucmd, issue_flags);
}

/*
 * The body of kipc_op_start() once the context is ours, inlined into the
 * ioctl with @ucmd and @rs NULL and @ipc_only true, so the synchronous
 * path tests none of them.
 */
static __always_inline int __kipc_op_owned(struct kipc_ctx *me, unsigned int cmd,
					   const struct kipc_ipc *a,
					   struct io_uring_cmd *ucmd,
					   unsigned int issue_flags,
					   const bool ipc_only,
					   const struct kipc_restart *rs)
{
	struct kipc_op op = {
		.send_dl = KTIME_MAX,
		.recv_dl = KTIME_MAX,
		.async = ucmd != NULL,
		.rs = rs,
	};
	int ret;

	if (unlikely(ucmd)) {
		kipc_async_begin(me, ucmd);
		me->acmd = cmd;
		/* Before the operation can be queued and completed. */
		kipc_uring_arm(me, issue_flags);
	} else {
		me->task = current;
		me->cred = current_cred();
		/* task_active_pid_ns(current), inline: runs on every operation. */
		me->pid_ns = ns_of_pid(task_pid(current));
	}
	if (!ipc_only)
		me->antfn = NULL;
	if (!ipc_only && cmd == KIPC_IOC_NTFN_WAIT)
		ret = kipc_ntfn_wait(me, &op, a->fd, a->recv_timeout);
	else
		ret = kipc_ipc(me, cmd, a, &op, ucmd != NULL, rs);
	if (unlikely(ucmd)) {
		if (ret == -EIOCBQUEUED)
			return ret;
		kipc_uring_disarm(me);
		kipc_async_unpin(me);
		kipc_status_end(me, cmd, &op, ret);
		ret = kipc_op_end(me, cmd, op.h.ep, me->antfn, ret);
		return kipc_uring_immediate(ucmd, ret, issue_flags);
	}
	/* A signal: the operation goes on after it (restart.c). */
	if (unlikely(ret == -ERESTARTNOHAND || op.park))
		return kipc_op_interrupted(me, cmd, a, &op, ret);
	return kipc_sync_end(me, cmd, &op, ret, ipc_only);
}

/* Out of line, for the operations that are not the ioctl's hot path. */
static noinline int __kipc_op_run(struct kipc_ctx *me, unsigned int cmd,
				  const struct kipc_ipc *a,
				  struct io_uring_cmd *ucmd,
				  unsigned int issue_flags)
{
	return __kipc_op_owned(me, cmd, a, ucmd, issue_flags, false, NULL);
}

/*
 * An operation was withdrawn after a signal and its ioctl is to be issued
 * again: if this is it, and no handler ran in between (restart.c), it goes
 * on with the deadlines it had; anything else starts afresh.
 */
static noinline int kipc_op_restarted(struct kipc_ctx *me, unsigned int cmd,
				      const struct kipc_ipc *a,
				      struct io_uring_cmd *ucmd,
				      unsigned int issue_flags)
{
	struct kipc_restart rs = me->resume;
	bool again = me->resume_task == current && !ucmd &&
		     kipc_restart_is(&rs, cmd, a) && kipc_restart_unmark();

	me->resume_task = NULL;
	return __kipc_op_owned(me, cmd, a, ucmd, issue_flags, false,
			       again ? &rs : NULL);
}

static __always_inline int __kipc_op_start(struct kipc_ctx *me, unsigned int cmd,
					   const struct kipc_ipc *a,
					   struct io_uring_cmd *ucmd,
					   unsigned int issue_flags,
					   const bool ipc_only)
{
	if (unlikely(test_and_set_bit_lock(0, &me->busy)))
		return kipc_busy_slow(me, cmd, a, ucmd, issue_flags);
	if (unlikely(me->resume_task))
		return kipc_op_restarted(me, cmd, a, ucmd, issue_flags);
	return __kipc_op_owned(me, cmd, a, ucmd, issue_flags, ipc_only, NULL);
}

/**
 * kipc_op_start - run one operation on a context
 * @me:		the context, owned by current's address space
 * @cmd:	KIPC_IOC_SEND, _RECV, _CALL, _REPLY, _REPLY_RECV or _NTFN_WAIT
 * @a:		the arguments, copied in and checked for reserved bits (for
 *		_NTFN_WAIT: @fd and @recv_timeout)
 * @ucmd:	NULL to run synchronously, else the io_uring command to
 *		complete when the operation ends
 * @issue_flags: io_uring's flags for @ucmd
 *
 * Return: the result (0 or -errno), or -EIOCBQUEUED when @ucmd was given
 * and the operation waits: kipc_op_finish() then ends it.
 */
int kipc_op_start(struct kipc_ctx *me, unsigned int cmd,
		  const struct kipc_ipc *a, struct io_uring_cmd *ucmd,
		  unsigned int issue_flags)
{
	return __kipc_op_start(me, cmd, a, ucmd, issue_flags, false);
}

/**
 * kipc_op_finish - end an asynchronous operation a partner completed
 * @me:		the context, in KIPC_W_DONE
 *
 * Called once, in the submitting task (or by io_uring's fallback work).
 *
 * Return: the operation's result.
 */
int kipc_op_finish(struct kipc_ctx *me)
{
	/* Pairs with the release in kipc_complete(): DONE after wresult. */
	int st = smp_load_acquire(&me->wstate);
	int ret = me->wresult;
	struct kipc_op op = { .lost = me->alost };

	WARN_ON_ONCE(st != KIPC_W_DONE);
	WRITE_ONCE(me->wstate, KIPC_W_IDLE);
	kipc_status_end(me, me->acmd, &op, ret);
	kipc_async_unpin(me);
	return kipc_op_end(me, me->acmd, me->aep, me->antfn, ret);
}

/**
 * kipc_cancel - end the operation waiting on a context
 * @me:		the context
 * @err:	the result it gets (-ECANCELED)
 *
 * Withdraws the context from the queue it waits on, or from waiting for a
 * reply, exactly as a timeout would; a context a partner is already
 * completing is left to it.  Works for synchronous and asynchronous
 * operations alike.  The queue's lock is found locklessly: endpoints and
 * notifications are freed after an RCU grace period, and the lock is only
 * trusted if the context is still queued under it.
 *
 * Return: 0, or -ENOENT if nothing was waiting.
 */
int kipc_cancel(struct kipc_ctx *me, int err)
{
	spinlock_t *lock;
	int st, ret = -ENOENT;

	rcu_read_lock();
	/*
	 * Pairs with smp_store_release() in kipc_queued(): a queued state
	 * comes with the lock of its own queue, never an older one.
	 */
	st = smp_load_acquire(&me->wstate);
	if (st == KIPC_W_SENDING || st == KIPC_W_RECEIVING) {
		lock = READ_ONCE(me->qlock);
		if (lock) {
			spin_lock(lock);
			if (me->wstate == st && me->qlock == lock &&
			    !list_empty(&me->node)) {
				list_del_init(&me->node);
				kipc_complete(me, err);
				ret = 0;
			}
			spin_unlock(lock);
		}
	} else if (st == KIPC_W_REPLY) {
		spin_lock(&me->lock);
		if (me->wstate == KIPC_W_REPLY) {
			me->reply_from = NULL;
			kipc_complete(me, err);
			ret = 0;
		}
		spin_unlock(&me->lock);
	}
	rcu_read_unlock();
	return ret;
}

/**
 * kipc_ipc_ioctl - run one IPC operation on a context
 * @me:		the context, owned by current's address space
 * @cmd:	KIPC_IOC_SEND, _RECV, _CALL, _REPLY or _REPLY_RECV
 * @uarg:	user pointer to struct kipc_ipc
 *
 * Return: 0 or -errno (see the uapi header and the README's table).
 */
long kipc_ipc_ioctl(struct kipc_ctx *me, unsigned int cmd,
		    const struct kipc_ipc __user *uarg)
{
	struct kipc_ipc a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags | a.__reserved[0] | a.__reserved[1])
		return -EINVAL;
	return __kipc_op_start(me, cmd, &a, NULL, 0, true);
}

/**
 * kipc_caller - KIPC_IOC_CALLER: is the caller we owe a reply still there?
 * @me:		the context, owned by current's address space
 * @uarg:	user pointer to struct kipc_caller
 *
 * While a call waits for its reply its task cannot exit, so its pid cannot
 * be reused: a pidfd opened for the pid delivered with the call before a
 * successful KIPC_IOC_CALLER names the caller's process.
 *
 * Return: 0 with the caller's tgid (as current's pid namespace sees it)
 * written back; -ENOENT if no reply right is held; -ECONNRESET if its
 * caller no longer waits; -EBUSY, -EINVAL, -EFAULT.
 */
long kipc_caller(struct kipc_ctx *me, struct kipc_caller __user *uarg)
{
	struct kipc_ctx *caller;
	struct kipc_caller a;
	long ret = 0;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.__reserved[0] || a.__reserved[1] || a.__reserved[2])
		return -EINVAL;
	/* reply_to changes only in operations on this context. */
	if (test_and_set_bit_lock(0, &me->busy))
		return -EBUSY;
	caller = me->reply_to;
	if (!caller) {
		ret = -ENOENT;
		goto out;
	}
	spin_lock(&caller->lock);
	if (caller->wstate == KIPC_W_REPLY && caller->reply_from == me)
		a.pid = task_tgid_nr_ns(caller->task, task_active_pid_ns(current));
	else
		ret = -ECONNRESET;
	spin_unlock(&caller->lock);
out:
	clear_bit_unlock(0, &me->busy);
	if (!ret && copy_to_user(uarg, &a, sizeof(a)))
		ret = -EFAULT;
	return ret;
}

/**
 * kipc_ctx_release_ipc - the context's file is closing
 * @ctx: the context; no operation can be running on it
 *
 * A reply right still held is given up: its caller fails with ECONNRESET,
 * which is how callers learn that their server died.
 */
void kipc_ctx_release_ipc(struct kipc_ctx *ctx)
{
	/* A call parked by a signal: nobody can come back for it now. */
	if (ctx->park_task) {
		ctx->park_task = NULL;
		kipc_park_abandon(ctx);
	}
	if (ctx->reply_to)
		kipc_drop_reply(ctx, -ECONNRESET);
	kipc_ctx_put(ctx);
}
