// SPDX-License-Identifier: GPL-2.0
/*
 * Scheduling that follows the call.  A server works for its caller, so
 * while it serves a call its thread runs at the higher of its own and the
 * caller's priority (QNX's rule; L4 and K42 say the same of a synchronous
 * call), and the CPU time it spends is told to the caller and counted per
 * badge and caller uid where the endpoint asks for it.
 *
 * A *lend* is recorded on the server's context for the call it serves
 * (struct kipc_pi, keyed by ->seq, odd while it serves one): the caller's
 * urgency when the call is delivered (or the endpoint's floor), and the
 * urgency of callers queued behind the call, also along a chain of calls
 * (A queues on B's endpoint, B's thread waits in a call to C: C's server
 * serves B's call for A too).  A thread runs at the highest lend recorded
 * on any of its contexts; when none is left its own settings come back.
 * Lends end with the call they are recorded on: the reply, the server
 * giving the right up, its context closing, and, for what the caller
 * itself lent, the caller stopping to wait (timeout, signal, death,
 * cancel).
 *
 * The rendezvous (ipc.h) decides under its spinlock whether a lend is
 * needed: rarely, as it compares two priorities; everything else happens
 * here under kipc_pi_mutex, with no spinlock held, since the scheduler's
 * sched_setattr_nocheck() may sleep.  A lender and the end of the call
 * race without a lock between them: the lender sets ->lent, a full
 * barrier, and checks that ->seq has not moved; the server moves ->seq, a
 * full barrier, and checks ->lent (kipc_serve_end()).  One of the two sees
 * the other.  A context's address is only used while it is on the table
 * of live contexts, which its release leaves under the mutex.
 *
 * What a module cannot do, it does not: run time cannot be moved between
 * tasks or cgroups (that needs the scheduler's own proxy execution), so
 * the caller is told, and the endpoint counts, what the server spent.
 */
#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/rtmutex.h>
#include <linux/sched/clock.h>
#include <linux/sched/prio.h>
#include <linux/sched/rt.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <uapi/linux/sched/types.h>

#include "internal.h"
#include "wait.h"

/* Urgencies (keys): 0 lends nothing; higher is more urgent. */
#define KIPC_PI_IDLE	1		/* the own urgency of SCHED_IDLE */
#define KIPC_PI_FAIR	2		/* + 2 * (19 - nice) + NORMAL over BATCH */
#define KIPC_PI_RT	1000		/* + 2 * priority + FIFO over RR */
#define KIPC_PI_NEVER	INT_MAX		/* SCHED_DEADLINE is never boosted */
#define KIPC_PI_DEPTH	8		/* the longest chain of calls followed */

/*
 * An rt_mutex: a boosted server drops its priority while it holds it
 * (kipc_pi_end()), and the caller that preempts it may need it next; the
 * holder then runs at the waiter's priority, not behind a busy task.
 */
static DEFINE_RT_MUTEX(kipc_pi_mutex);
static DEFINE_HASHTABLE(kipc_pi_tasks, 8);	/* contexts by ->id.task */
static DEFINE_HASHTABLE(kipc_pi_live, 8);	/* live contexts by address */
static DEFINE_HASHTABLE(kipc_boosts, 6);	/* boosted tasks */
static atomic64_t kipc_pi_gen;

/**
 * struct kipc_boost - a task that runs boosted
 * @node:	on kipc_boosts.
 * @task:	the task (referenced).
 * @own:	its settings before the boost, restored after it.
 * @own_key:	their urgency.
 * @key:	the urgency it runs at.
 */
struct kipc_boost {
	struct hlist_node node;
	struct task_struct *task;
	struct sched_attr own;
	int own_key;
	int key;
};

static bool kipc_rt_policy(unsigned int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/*
 * Another task's settings, read without its locks: they may change
 * under us (its own sched_setattr(), setpriority()), and any value read
 * is one it had.
 */
static int kipc_nice(const struct task_struct *p)
{
	return PRIO_TO_NICE(READ_ONCE(p->static_prio));
}

/* The urgency @p lends: SCHED_IDLE and SCHED_DEADLINE lend nothing. */
static int kipc_pi_key(const struct task_struct *p)
{
	unsigned int policy = READ_ONCE(p->policy);

	switch (policy) {
	case SCHED_FIFO:
	case SCHED_RR:
		return KIPC_PI_RT + 2 * READ_ONCE(p->rt_priority) +
		       (policy == SCHED_FIFO);
	case SCHED_NORMAL:
	case SCHED_BATCH:
		return KIPC_PI_FAIR + 2 * (MAX_NICE - kipc_nice(p)) +
		       (policy == SCHED_NORMAL);
	}
	return 0;
}

/* The urgency of @p's own settings: a lend above it boosts @p. */
static int kipc_pi_own_key(const struct task_struct *p)
{
	switch (READ_ONCE(p->policy)) {
	case SCHED_DEADLINE:
		return KIPC_PI_NEVER;
	case SCHED_IDLE:
		return KIPC_PI_IDLE;
	}
	return kipc_pi_key(p);
}

/* The settings an urgency stands for. */
static void kipc_pi_attr(int key, struct sched_attr *a)
{
	*a = (struct sched_attr) {
		.size = sizeof(*a),
		/* A child forked while boosted must not keep the boost. */
		.sched_flags = SCHED_FLAG_RESET_ON_FORK,
	};
	if (key >= KIPC_PI_RT) {
		key -= KIPC_PI_RT;
		a->sched_policy = key & 1 ? SCHED_FIFO : SCHED_RR;
		a->sched_priority = key / 2;
	} else {
		key -= KIPC_PI_FAIR;
		a->sched_policy = key & 1 ? SCHED_NORMAL : SCHED_BATCH;
		a->sched_nice = MAX_NICE - key / 2;
	}
}

/* @p's own settings, to restore. */
static void kipc_pi_save(const struct task_struct *p, struct sched_attr *a)
{
	*a = (struct sched_attr) {
		.size = sizeof(*a),
		.sched_policy = READ_ONCE(p->policy),
		.sched_nice = kipc_nice(p),
	};
	if (kipc_rt_policy(a->sched_policy))
		a->sched_priority = READ_ONCE(p->rt_priority);
	/* A bit field beside bits the scheduler changes all the time. */
	if (data_race(!!p->sched_reset_on_fork))
		a->sched_flags |= SCHED_FLAG_RESET_ON_FORK;
}

static bool kipc_pi_is_live(const struct kipc_ctx *ctx)
{
	struct kipc_ctx *c;

	hash_for_each_possible(kipc_pi_live, c, pi.lnode, (unsigned long)ctx)
		if (c == ctx)
			return true;
	return false;
}

static struct kipc_boost *kipc_boost_find(const struct task_struct *t)
{
	struct kipc_boost *b;

	hash_for_each_possible(kipc_boosts, b, node, (unsigned long)t)
		if (b->task == t)
			return b;
	return NULL;
}

/*
 * Tell the rendezvous that @t runs boosted (@on), on every context of it:
 * a call delivered to one of them is then always looked at.  The mark
 * goes with release: the settings it follows are seen with it.
 */
static void kipc_pi_mark(struct task_struct *t, bool on)
{
	struct kipc_ctx *c;

	hash_for_each_possible(kipc_pi_tasks, c, pi.tnode, (unsigned long)t)
		if (c->pi.task == t)	/* pairs with kipc_serve_start()'s acquire */
			smp_store_release(&c->pi.boosted, on);
}

/* The lends recorded for the call @c serves now. */
static int kipc_pi_lends(const struct kipc_ctx *c)
{
	u64 seq = READ_ONCE(c->pi.seq);

	if (!(seq & 1) || c->pi.key_seq != seq)
		return 0;
	return max(c->pi.call_key, c->pi.queue_key);
}

/*
 * Make @t run at the highest lend on its contexts, or at its own settings
 * if none is above them.  Settings that changed since kipc set them (the
 * task's own sched_setattr()) are left as they are.
 */
static void kipc_pi_update(struct task_struct *t)
{
	struct kipc_boost *b = kipc_boost_find(t);
	struct sched_attr attr;
	struct kipc_ctx *c;
	int want = 0, own;

	hash_for_each_possible(kipc_pi_tasks, c, pi.tnode, (unsigned long)t)
		if (c->pi.task == t)
			want = max(want, kipc_pi_lends(c));
	own = b ? b->own_key : kipc_pi_own_key(t);
	if (want > own) {
		if (!b) {
			b = kzalloc(sizeof(*b), GFP_KERNEL);
			if (!b)
				return;		/* no boost, nothing to undo */
			b->task = get_task_struct(t);
			kipc_pi_save(t, &b->own);
			b->own_key = own;
			hash_add(kipc_boosts, &b->node, (unsigned long)t);
			atomic_long_inc(&kipc_stats.boosted);
			/*
			 * Marked before the priority changes, unmarked after
			 * it is back: kipc_serve_start() never sees a boosted
			 * priority unmarked.
			 */
			kipc_pi_mark(t, true);
			smp_mb();	/* the mark before the new settings */
		}
		if (b->key == want)
			return;
		kipc_pi_attr(want, &attr);
		if (!(READ_ONCE(t->flags) & PF_EXITING))
			sched_setattr_nocheck(t, &attr);
		b->key = want;
		atomic_long_inc(&kipc_stats.boosts);
		return;
	}
	if (!b)
		return;
	if (b->key && !(READ_ONCE(t->flags) & PF_EXITING)) {
		unsigned int policy = READ_ONCE(t->policy);

		kipc_pi_attr(b->key, &attr);
		if (policy == attr.sched_policy &&
		    (kipc_rt_policy(policy) ?
		     READ_ONCE(t->rt_priority) == attr.sched_priority :
		     kipc_nice(t) == attr.sched_nice))
			sched_setattr_nocheck(t, &b->own);
	}
	hash_del(&b->node);
	put_task_struct(b->task);
	kfree(b);
	atomic_long_dec(&kipc_stats.boosted);
	kipc_pi_mark(t, false);
}

static void kipc_pi_lend(struct kipc_ctx *srv, u64 seq, int key, bool call,
			 unsigned int depth);

/*
 * @t now runs at @key at least: where it waits in a call of its own, the
 * server of that call (or the one the call queues for) serves it for
 * whoever lent @key too.
 */
static void kipc_pi_chain(struct task_struct *t, int key, unsigned int depth)
{
	struct kipc_ctx *c, *srv;
	struct kipc_ep *ep = NULL;
	spinlock_t *lock;	/* of the queue @c may wait on */
	u64 seq;
	int st;

	hash_for_each_possible(kipc_pi_tasks, c, pi.tnode, (unsigned long)t) {
		if (c->pi.task != t)
			continue;
		srv = NULL;
		seq = 0;
		/* Pairs with the releases in kipc_queued() and kipc_deliver(). */
		st = smp_load_acquire(&c->wstate);
		if (st == KIPC_W_REPLY) {
			spin_lock(&c->lock);
			srv = READ_ONCE(c->wstate) == KIPC_W_REPLY ? c->reply_from : NULL;
			if (srv)
				seq = READ_ONCE(srv->pi.seq);
			spin_unlock(&c->lock);
		} else if (st == KIPC_W_SENDING) {
			rcu_read_lock();
			lock = READ_ONCE(c->qlock);
			spin_lock(lock);
			if (READ_ONCE(c->wstate) == st && READ_ONCE(c->qlock) == lock &&
			    kipc_waitq_on(&c->node) && (c->call || c->fwd)) {
				ep = container_of(c->waitq, struct kipc_ep, senders);
				srv = READ_ONCE(ep->server);
			}
			spin_unlock(lock);
			rcu_read_unlock();
			if (srv && kipc_pi_is_live(srv) && READ_ONCE(srv->pi.ep) == ep)
				seq = READ_ONCE(srv->pi.seq);
		}
		if (seq)
			kipc_pi_lend(srv, seq, key, false, depth + 1);
	}
}

/*
 * Record a lend of @key on the call @srv serves as @seq (@call: from its
 * caller, else from a queued caller or a chain) and boost its thread.
 */
static void kipc_pi_lend(struct kipc_ctx *srv, u64 seq, int key, bool call,
			 unsigned int depth)
{
	struct task_struct *t;

	lockdep_assert_held(&kipc_pi_mutex);
	if (depth > KIPC_PI_DEPTH || !key || !(seq & 1) ||
	    !kipc_pi_is_live(srv) || READ_ONCE(srv->pi.seq) != seq)
		return;
	t = srv->pi.task;
	if (!t)
		return;
	if (srv->pi.key_seq != seq) {
		srv->pi.key_seq = seq;
		srv->pi.call_key = 0;
		srv->pi.queue_key = 0;
	}
	if (key <= (call ? srv->pi.call_key : max(srv->pi.call_key, srv->pi.queue_key)))
		return;
	if (call)
		srv->pi.call_key = key;
	else
		srv->pi.queue_key = key;
	WRITE_ONCE(srv->pi.lent, true);
	/* Pairs with kipc_serve_end(): it sees ->lent, or we see ->seq move. */
	smp_mb();
	if (READ_ONCE(srv->pi.seq) != seq) {
		/*
		 * The call ended meanwhile, and its server may have found
		 * ->lent clear (set for an earlier lend, cleared here): the
		 * end of the earlier lends is ours to make.
		 */
		srv->pi.call_key = 0;
		srv->pi.queue_key = 0;
		WRITE_ONCE(srv->pi.lent, false);
		kipc_pi_update(t);
		return;
	}
	kipc_pi_update(t);
	kipc_pi_chain(t, key, depth);
}

/**
 * kipc_pi_decide - what a call lends its server (under the rendezvous'
 * lock; never sleeps)
 * @ep:		the endpoint the call came through
 * @caller:	the caller's task
 * @srv:	the context that serves it (its seq already odd)
 * @boosted:	its task was marked boosted (read before its settings)
 *
 * For a delivery that kipc_serve_start() could not settle by comparing
 * priorities: an endpoint with flags, a caller more urgent than the
 * server, or a server already boosted.
 *
 * Return: the urgency to lend (kipc_pi_lend_call() after the locks), or 0.
 */
int kipc_pi_decide(const struct kipc_ep *ep, const struct task_struct *caller,
		   struct kipc_ctx *srv, bool boosted)
{
	int key = 0;

	if (ep->sched & KIPC_EP_ACCOUNT) {
		srv->pi.acct = true;
		srv->pi.todo |= KIPC_PI_TODO_ACCT;
	}
	if (!(ep->sched & KIPC_EP_NO_INHERIT))
		key = kipc_pi_key(caller);
	if (ep->sched & KIPC_EP_FLOOR)
		key = max(key, ep->floor_key);
	/* After the mark was read: the settings are those it covers. */
	if (!key || (!boosted && key <= kipc_pi_own_key(srv->id.task)))
		return 0;
	return key;
}

/**
 * kipc_pi_lend_call - a delivered call lends its server its urgency
 * @caller:	the caller's context: current's, or the server's reply_to
 *		(borrowed or referenced)
 * @srv:	the server's context (maybe gone by now: checked)
 * @seq:	the call, as @srv's pi.seq
 * @key:	kipc_pi_decide()'s answer
 *
 * Called by whoever delivered the call, after the rendezvous, before it
 * waits: the caller (the server may already run: it is boosted where it
 * is), or the server itself.  A caller that stopped waiting before the
 * lend was recorded found nothing to withdraw (kipc_pi_withdrawn()): the
 * lend is taken back here.
 */
void kipc_pi_lend_call(struct kipc_ctx *caller, struct kipc_ctx *srv, u64 seq,
		       int key)
{
	bool gone;

	rt_mutex_lock(&kipc_pi_mutex);
	kipc_pi_lend(srv, seq, key, true, 0);
	spin_lock(&caller->lock);
	gone = READ_ONCE(caller->wstate) != KIPC_W_REPLY ||
	       caller->reply_from != srv;
	spin_unlock(&caller->lock);
	if (gone && kipc_pi_is_live(srv) && srv->pi.key_seq == seq &&
	    srv->pi.call_key) {
		srv->pi.call_key = 0;
		kipc_pi_update(srv->pi.task);
	}
	rt_mutex_unlock(&kipc_pi_mutex);
}

/**
 * kipc_pi_settle - a server's receive that delivered a call ends: what
 * the call lends it is in place before it runs for the call
 * @ctx:	the server's context, current's, serving the call
 *
 * The caller lends after it woke us (kipc_deliver()); whichever of the two
 * comes first records the lend, the other finds it done.
 */
void kipc_pi_settle(struct kipc_ctx *ctx)
{
	int key = ctx->pi.pending;

	ctx->pi.todo &= ~KIPC_PI_TODO_LEND;
	ctx->pi.pending = 0;
	if (ctx->reply_to)
		kipc_pi_lend_call(ctx->reply_to, ctx, ctx->pi.seq, key);
}

/**
 * kipc_pi_queued - a call queued on @ep, whose server is busy: lend the
 * thread serving its current call our urgency if it is less urgent
 * @ep:		the endpoint (only compared)
 * @srv:	@ep's last server, read under its lock (a hint: checked)
 */
void kipc_pi_queued(const struct kipc_ep *ep, struct kipc_ctx *srv)
{
	u64 seq;

	rt_mutex_lock(&kipc_pi_mutex);
	if (kipc_pi_is_live(srv) && READ_ONCE(srv->pi.ep) == ep && srv->pi.task) {
		seq = READ_ONCE(srv->pi.seq);
		if (kipc_pi_key(current) > kipc_pi_own_key(srv->pi.task) ||
		    READ_ONCE(srv->pi.boosted))
			kipc_pi_lend(srv, seq, kipc_pi_key(current), false, 0);
	}
	rt_mutex_unlock(&kipc_pi_mutex);
}

/**
 * kipc_pi_withdrawn - a caller that lent its server its urgency stopped
 * waiting (timeout, signal, death, cancel): that lend ends
 * @srv:	the server's context (maybe gone: checked)
 * @seq:	the call, as @srv's pi.seq
 */
void kipc_pi_withdrawn(struct kipc_ctx *srv, u64 seq)
{
	rt_mutex_lock(&kipc_pi_mutex);
	if (kipc_pi_is_live(srv) && srv->pi.key_seq == seq && srv->pi.call_key) {
		srv->pi.call_key = 0;
		kipc_pi_update(srv->pi.task);
	}
	rt_mutex_unlock(&kipc_pi_mutex);
}

/**
 * kipc_pi_end - a call @ctx served ended with lends recorded on it
 * @ctx:	the server's context, current's; it may serve the next call
 *		already, whose lends stay
 */
void kipc_pi_end(struct kipc_ctx *ctx)
{
	rt_mutex_lock(&kipc_pi_mutex);
	if (!kipc_pi_lends(ctx)) {
		ctx->pi.call_key = 0;
		ctx->pi.queue_key = 0;
		WRITE_ONCE(ctx->pi.lent, false);
	}
	if (ctx->pi.task)
		kipc_pi_update(ctx->pi.task);
	rt_mutex_unlock(&kipc_pi_mutex);
}

/* Drop every lend on @ctx and settle @t's boost: under kipc_pi_mutex. */
static void kipc_pi_forget(struct kipc_ctx *ctx, struct task_struct *t)
{
	if (!ctx->pi.lent)
		return;
	ctx->pi.call_key = 0;
	ctx->pi.queue_key = 0;
	WRITE_ONCE(ctx->pi.lent, false);
	kipc_pi_update(t);
}

/**
 * kipc_pi_ctx_new - a new context: its sequence and the live table
 * @ctx:	the context, not yet visible
 *
 * Each context's sequence starts in a range of its own, so a lender that
 * holds the address of a closed context whose memory came back as a new
 * one cannot take the new one for it.
 */
void kipc_pi_ctx_new(struct kipc_ctx *ctx)
{
	ctx->pi.seq = atomic64_add_return(1ULL << 32, &kipc_pi_gen);
	INIT_HLIST_NODE(&ctx->pi.tnode);
	rt_mutex_lock(&kipc_pi_mutex);
	hash_add(kipc_pi_live, &ctx->pi.lnode, (unsigned long)ctx);
	rt_mutex_unlock(&kipc_pi_mutex);
}

/**
 * kipc_pi_ctx_release - the context's file is closing, and its reply
 * right, if it held one, is given up
 * @ctx:	the context
 */
void kipc_pi_ctx_release(struct kipc_ctx *ctx)
{
	rt_mutex_lock(&kipc_pi_mutex);
	hash_del(&ctx->pi.lnode);
	if (ctx->pi.task) {
		hash_del(&ctx->pi.tnode);
		kipc_pi_forget(ctx, ctx->pi.task);
		ctx->pi.task = NULL;
	}
	rt_mutex_unlock(&kipc_pi_mutex);
}

/**
 * kipc_pi_ident - another task uses @ctx now (kipc_ident_refresh())
 * @ctx:	the context, claimed, ->id.task already the new task
 *
 * Lends on the call @ctx serves boosted the task before (still
 * referenced by the caller): they end.
 */
void kipc_pi_ident(struct kipc_ctx *ctx)
{
	rt_mutex_lock(&kipc_pi_mutex);
	if (ctx->pi.task) {
		hash_del(&ctx->pi.tnode);
		kipc_pi_forget(ctx, ctx->pi.task);
	}
	ctx->pi.task = ctx->id.task;
	hash_add(kipc_pi_tasks, &ctx->pi.tnode, (unsigned long)ctx->pi.task);
	/* Pairs with kipc_serve_start()'s acquire. */
	smp_store_release(&ctx->pi.boosted, !!kipc_boost_find(ctx->pi.task));
	rt_mutex_unlock(&kipc_pi_mutex);
}

/* Endpoint options and accounting. */

#define KIPC_ACCT_ROWS	16

/* Calls and served time of one badge or uid; the last row is "others". */
struct kipc_acct_row {
	u64 key;
	u64 calls;
	u64 ns;
};

/**
 * struct kipc_acct - an accounting endpoint's totals
 * @lock:	protects everything below.
 * @nbadge:	rows in use in @badge, the last one excepted.
 * @nuid:	same for @uid.
 * @badge:	per badge of the handle called through.
 * @uid:	per effective uid of the caller.
 */
struct kipc_acct {
	spinlock_t lock;	/* the rows */
	unsigned int nbadge;
	unsigned int nuid;
	struct kipc_acct_row badge[KIPC_ACCT_ROWS + 1];
	struct kipc_acct_row uid[KIPC_ACCT_ROWS + 1];
};

/**
 * kipc_sched_ep_init - an endpoint's scheduling options, at creation
 * @ep:		the new endpoint, not yet visible
 * @a:		the checked argument of KIPC_IOC_EP_CREATE
 *
 * A floor is a priority the creator could give itself: a real-time one
 * needs CAP_SYS_NICE or RLIMIT_RTPRIO, a nice value below the creator's
 * CAP_SYS_NICE or RLIMIT_NICE, as for sched_setscheduler() and nice().
 *
 * Return: 0, -EINVAL (a bad floor), -EPERM, -ENOMEM.
 */
int kipc_sched_ep_init(struct kipc_ep *ep, const struct kipc_ep_create *a)
{
	int prio = a->floor_priority;

	if (a->flags & KIPC_EP_FLOOR) {
		switch (a->floor_policy) {
		case SCHED_FIFO:
		case SCHED_RR:
			if (prio < 1 || prio > MAX_RT_PRIO - 1)
				return -EINVAL;
			if (prio > task_rlimit(current, RLIMIT_RTPRIO) &&
			    !capable(CAP_SYS_NICE))
				return -EPERM;
			ep->floor_key = KIPC_PI_RT + 2 * prio +
					(a->floor_policy == SCHED_FIFO);
			break;
		case SCHED_NORMAL:
		case SCHED_BATCH:
			if (prio < MIN_NICE || prio > MAX_NICE)
				return -EINVAL;
			if (prio < task_nice(current) && !can_nice(current, prio))
				return -EPERM;
			ep->floor_key = KIPC_PI_FAIR + 2 * (MAX_NICE - prio) +
					(a->floor_policy == SCHED_NORMAL);
			break;
		default:
			return -EINVAL;
		}
	}
	if (a->flags & KIPC_EP_ACCOUNT) {
		ep->acct = kzalloc(sizeof(*ep->acct), GFP_KERNEL_ACCOUNT);
		if (!ep->acct)
			return -ENOMEM;
		spin_lock_init(&ep->acct->lock);
	}
	ep->sched = a->flags & (KIPC_EP_NO_INHERIT | KIPC_EP_FLOOR | KIPC_EP_ACCOUNT);
	return 0;
}

/**
 * kipc_sched_ep_free - an endpoint goes
 * @ep:		the endpoint
 */
void kipc_sched_ep_free(struct kipc_ep *ep)
{
	kfree(ep->acct);
}

/*
 * current's run time, exact to now: the scheduler's total to its last
 * update plus what ran since (the same clock: no IRQ time accounting is
 * subtracted on the kernels built without it, and with it this counts
 * the interrupts taken meanwhile).  Read twice if an update came between.
 */
static u64 kipc_runtime(void)
{
	const struct sched_entity *se = &current->se;
	unsigned int tries = 3;
	u64 start, sum, now;

	do {
		start = READ_ONCE(se->exec_start);
		sum = READ_ONCE(se->sum_exec_runtime);
		now = local_clock();
	} while (READ_ONCE(se->exec_start) != start && --tries);
	return sum + (now > start ? now - start : 0);
}

/**
 * kipc_acct_begin - the receive that delivered an accounted call ends
 * @ctx:	the server's context, current's
 */
void kipc_acct_begin(struct kipc_ctx *ctx)
{
	ctx->pi.todo &= ~KIPC_PI_TODO_ACCT;
	ctx->pi.start = kipc_runtime();
}

/**
 * kipc_acct_served - the server's time on the accounted call it answers,
 * into the reply
 * @ctx:	the server's context, current's
 * @caller:	its caller, whose message area holds the reply (its lock
 *		held): KIPC_ST_SERVED and served_ns, and the time to charge
 *		when its call ends (kipc_serve_todo())
 */
void kipc_acct_served(struct kipc_ctx *ctx, struct kipc_ctx *caller)
{
	u64 ns = max_t(u64, kipc_runtime() - ctx->pi.start, 1);
	struct kipc_utcb *u = caller->utcb;

	ctx->pi.acct = false;
	WRITE_ONCE(u->served_ns, ns);
	WRITE_ONCE(u->status, READ_ONCE(u->status) | KIPC_ST_SERVED);
	caller->pi.served = ns;
	caller->pi.todo |= KIPC_PI_TODO_CHARGE;
}

static void kipc_acct_add(struct kipc_acct_row *rows, unsigned int *n,
			  u64 key, u64 ns)
{
	struct kipc_acct_row *r = &rows[KIPC_ACCT_ROWS];
	unsigned int i;

	for (i = 0; i < *n; i++) {
		if (rows[i].key == key) {
			r = &rows[i];
			break;
		}
	}
	if (i == *n && *n < KIPC_ACCT_ROWS) {
		r = &rows[(*n)++];
		r->key = key;
	}
	r->calls++;
	r->ns += ns;
}

/**
 * kipc_acct_charge - a call's reply told its server's time: count it
 * @ctx:	the caller's context, current's
 * @h:		the handle the call went through (its endpoint held)
 */
void kipc_acct_charge(struct kipc_ctx *ctx, const struct kipc_handle *h)
{
	struct kipc_acct *a = h->ep->acct;
	u64 ns = ctx->pi.served;

	ctx->pi.todo &= ~KIPC_PI_TODO_CHARGE;
	ctx->pi.served = 0;
	if (!a)
		return;
	spin_lock(&a->lock);
	kipc_acct_add(a->badge, &a->nbadge, h->badge, ns);
	kipc_acct_add(a->uid, &a->nuid, __kuid_val(ctx->id.cred->euid), ns);
	spin_unlock(&a->lock);
}

static void kipc_acct_show_rows(struct seq_file *m, const char *what,
				const struct kipc_acct_row *rows, unsigned int n,
				bool uid)
{
	const struct kipc_acct_row *other = &rows[KIPC_ACCT_ROWS];
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (uid)
			seq_printf(m, "served-%s:\t%u %llu %llu\n", what,
				   from_kuid_munged(seq_user_ns(m), KUIDT_INIT(rows[i].key)),
				   rows[i].calls, rows[i].ns);
		else
			seq_printf(m, "served-%s:\t%#llx %llu %llu\n", what,
				   rows[i].key, rows[i].calls, rows[i].ns);
	}
	if (other->calls)
		seq_printf(m, "served-%s:\tother %llu %llu\n", what,
			   other->calls, other->ns);
}

/**
 * kipc_sched_show - an endpoint's scheduling options and totals, for its
 * fdinfo (to holders of the receive right) and /proc/kipc
 * @m:		the file
 * @ep:		the endpoint
 */
void kipc_sched_show(struct seq_file *m, const struct kipc_ep *ep)
{
	struct kipc_acct *a = ep->acct;
	struct sched_attr floor;

	seq_printf(m, "inherit:\t%d\n", !(ep->sched & KIPC_EP_NO_INHERIT));
	if (ep->sched & KIPC_EP_FLOOR) {
		kipc_pi_attr(ep->floor_key, &floor);
		if (kipc_rt_policy(floor.sched_policy))
			seq_printf(m, "floor:\t%s %u\n",
				   floor.sched_policy == SCHED_FIFO ? "fifo" : "rr",
				   floor.sched_priority);
		else
			seq_printf(m, "floor:\t%s %d\n",
				   floor.sched_policy == SCHED_NORMAL ? "other" : "batch",
				   floor.sched_nice);
	}
	if (!a)
		return;
	spin_lock(&a->lock);
	kipc_acct_show_rows(m, "badge", a->badge, a->nbadge, false);
	kipc_acct_show_rows(m, "uid", a->uid, a->nuid, true);
	spin_unlock(&a->lock);
}
