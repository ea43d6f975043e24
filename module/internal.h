/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc internal definitions shared by the module's files.
 */
#ifndef _KIPC_INTERNAL_H
#define _KIPC_INTERNAL_H

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/uidgid.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/kipc.h>

#include "compat.h"

struct io_uring_cmd;

/**
 * struct kipc_ep - an endpoint: the place where senders and receivers meet
 * @lock:	protects everything below and the queue state of every
 *		context on the two lists.
 * @senders:	contexts blocked in send or call, oldest first.
 * @receivers:	contexts blocked in recv or reply_recv, oldest first.
 *		At most one of the two lists is non-empty.
 * @nr_send:	open handles carrying KIPC_RIGHT_SEND.
 * @nr_recv:	open handles carrying KIPC_RIGHT_RECV.
 * @msgs:	messages delivered through this endpoint.
 * @ref:	one per open handle plus one per operation in progress.
 * @errors:	operations on this endpoint that failed.
 * @id:		unique id, for diagnostics.
 * @owner:	thread group that created it.
 * @comm:	its command name then.
 * @all:	link on kipc_eps, under kipc_eps_lock.
 * @uid:	real uid of the creator, charged for it (kipc_charge()).
 * @ntfn:	notification bound to this endpoint, or NULL; changes only
 *		with both ep->lock and the notification's lock held.
 * @wq:		poll/epoll waiters; woken only if waitqueue_active() under
 *		@lock, so the synchronous path pays nothing when nobody polls.
 * @rcu:	the endpoint is freed after a grace period: a cancel may
 *		still look at a queue lock it read locklessly.
 */
struct kipc_ep {
	spinlock_t lock;
	struct list_head senders;
	struct list_head receivers;
	unsigned int nr_send;
	unsigned int nr_recv;
	u64 msgs;
	struct kref ref;
	atomic64_t errors;
	u64 id;
	struct pid *owner;
	char comm[TASK_COMM_LEN];
	struct list_head all;
	kuid_t uid;
	struct kipc_ntfn *ntfn;
	wait_queue_head_t wq;
	struct rcu_head rcu;
};

/**
 * struct kipc_ntfn - a notification: a word of bits, seL4-style
 * @lock:	protects everything below.
 * @bits:	pending bits; signal ORs them in, a wait takes them all.
 * @waiters:	contexts blocked in wait, oldest first (only while unbound).
 * @ep:		endpoint it is bound to (holds a reference), or NULL.
 * @wq:		poll/epoll waiters.
 * @ref:	one per open file plus one per operation in progress.
 * @rcu:	freed after a grace period, like an endpoint.
 * @closed:	its file was released: nobody can signal it any more.
 */
struct kipc_ntfn {
	spinlock_t lock;
	u64 bits;
	struct list_head waiters;
	struct kipc_ep *ep;
	wait_queue_head_t wq;
	struct kref ref;
	struct rcu_head rcu;
	bool closed;
};

/* A snapshot of an endpoint's state, for fdinfo and /proc/kipc. */
struct kipc_ep_stats {
	unsigned int senders;
	unsigned int receivers;
	unsigned int nr_send;
	unsigned int nr_recv;
	u64 msgs;
	u64 errors;
	int bound;
};

/* Live objects, for /proc/kipc/stats: the stress test's leak check. */
struct kipc_stats {
	atomic_long_t contexts;
	atomic_long_t endpoints;
	atomic_long_t handles;
	atomic_long_t names;
	atomic_long_t inflight;
	atomic_long_t notifications;
	atomic_long_t async;
};
extern struct kipc_stats kipc_stats;

/* Every live endpoint, for /proc/kipc/endpoints. */
extern struct list_head kipc_eps;
extern struct mutex kipc_eps_lock;

/**
 * struct kipc_handle - what an endpoint file descriptor refers to
 * @ep:		the endpoint.
 * @badge:	delivered with every message sent through this handle.
 * @rights:	KIPC_RIGHT_* bits.
 */
struct kipc_handle {
	struct kipc_ep *ep;
	u64 badge;
	u32 rights;
};

/**
 * struct kipc_restart - an ioctl interrupted by a signal, as it will be
 * issued again (restart.c)
 * @cmd:	its command,
 * @args:	its arguments as copied in,
 * @sp:		the user stack pointer and
 * @ip:		instruction pointer it was issued with: a restart has the
 *		same, an operation from a signal handler a lower stack.
 * @send_dl:	absolute deadlines the restart goes on with.
 * @recv_dl:	see @send_dl.
 * @replied:	a reply_recv's reply part is done: no SA_RESTART restart.
 * @lost:	and found no caller (KIPC_ST_REPLY_LOST).
 */
struct kipc_restart {
	unsigned int cmd;
	struct kipc_ipc args;
	unsigned long sp;
	unsigned long ip;
	ktime_t send_dl;
	ktime_t recv_dl;
	bool replied;
	bool lost;
};

/* One IPC operation's resolved arguments. */
struct kipc_op {
	struct kipc_handle h;	/* h.ep holds a reference, or is NULL */
	u64 tag;		/* validated tag to send */
	ktime_t send_dl;	/* deadline of the send phase, KTIME_MAX: none */
	ktime_t recv_dl;	/* of the receive phase or of the whole call */
	const struct kipc_restart *rs;	/* a restart: deadlines from here */
	bool send_restart;	/* a signal may restart the send phase */
	bool recv_restart;	/* a signal may restart the receive phase */
	bool async;		/* io_uring: queue and return -EIOCBQUEUED */
	bool files;		/* descriptors reserved or taken: clean up */
	bool lost;		/* reply_recv: the reply found no caller */
	bool replied;		/* reply_recv: the reply part is done */
	bool park;		/* kipc_wait(): park the call (restart.c) */
	bool pinned;		/* the task, cred and pid_ns are referenced */
	u8 charged;		/* descriptors charged as in flight */
	u8 fd_max;		/* descriptor numbers to reserve (call, recv) */
	kuid_t uid;		/* the user charged */
};

/* Wait states of a context (kipc_ctx.wstate). */
enum kipc_wstate {
	KIPC_W_IDLE,		/* not in an operation that waits */
	KIPC_W_SENDING,		/* on ep->senders */
	KIPC_W_RECEIVING,	/* on ep->receivers */
	KIPC_W_REPLY,		/* call delivered, waiting for the reply */
	KIPC_W_BUSY,		/* a partner owns the context and is copying */
	KIPC_W_DONE,		/* finished, result in wresult */
};

/**
 * struct kipc_ctx - a context: one message area and the IPC state of the
 * thread that is using it
 * @utcb:	kernel address of the message area (one zeroed page).
 * @mm:		address space that opened the context; only it may use it.
 * @busy:	bit 0 set while an operation runs on this context.
 * @lock:	protects entering and leaving KIPC_W_REPLY together with
 *		@reply_from.
 * @wstate:	enum kipc_wstate.
 * @wresult:	result handed over by the partner with KIPC_W_DONE.
 * @task:	the task in the current operation.
 * @cred:	its credentials (stable: only the task itself changes them).
 * @pid_ns:	its pid namespace.
 * @node:	link on an endpoint queue.
 * @ep:		endpoint this context is queued on or called through.
 * @tag:	validated tag of the message being sent.
 * @badge:	badge of the handle the message is sent through.
 * @call:	the queued sender waits for a reply.
 * @reply_to:	caller this context owes a reply (holds a reference).
 * @reply_from:	context that owes this one a reply (identity only).
 * @sleeping:	the waiter sleeps and needs a wake-up (else it spins).
 * @spin_ok:	the last sleep was short: spin before sleeping next time.
 * @reply_grant: the last receive went through a handle with GRANT: a
 *		reply to the call it received may carry descriptors.
 * @nout:	files in @out, the descriptors of the message being sent.
 * @nin:	files in @in, moved here by a partner, to install on wake.
 * @nrfd:	descriptor numbers reserved in @rfd for a received message.
 * @out:	files (references) taken from the sender's fd table.
 * @in:		files delivered to this context (references).
 * @rfd:	reserved, not yet installed descriptor numbers.
 * @ref:	one for the open file, one per reply_to pointing here.
 *
 * @out is owned by the operation running on the context except while the
 * context is queued or BUSY, when the partner that owns it may move the
 * files to its own @in; @in and @rfd are written by a partner only while
 * it owns the context.
 * @qlock:	lock of the queue the context waits on (an endpoint's or a
 *		notification's); a cancel withdraws it under this lock.
 * @ucmd:	the io_uring command of the asynchronous operation in
 *		progress, or NULL: the operation is synchronous.
 * @aep:	endpoint the asynchronous operation holds a reference to.
 * @antfn:	notification a wait (synchronous or not) holds a reference to.
 * @acmd:	the asynchronous operation's ioctl number.
 * @alost:	its reply_recv found the caller gone (KIPC_ST_REPLY_LOST).
 * @watchdog:	before 6.7, ends a pending asynchronous operation whose
 *		task exits or whose ring is torn down (see uring.c).
 * @park_task:	a call interrupted in its reply phase by a signal is parked:
 *		it keeps the context busy, stays KIPC_W_REPLY, and this task
 *		(referenced) resumes it when its ioctl comes back (restart.c).
 *		Set with release, taken under @lock.
 * @park_files:	that task's fd table (identity only), where the numbers
 *		reserved for the reply's descriptors are.
 * @park_rs:	the parked ioctl, to know it when it comes back.
 * @park_op:	the operation's state.
 * @resume_task: an operation withdrawn after a signal, to be issued again
 *		by this task (identity only) with the deadlines in @resume.
 * @resume:	that ioctl.
 */
struct kipc_ctx {
	struct kipc_utcb *utcb;
	struct mm_struct *mm;
	unsigned long busy;
	spinlock_t lock;
	int wstate;
	int wresult;
	struct task_struct *task;
	const struct cred *cred;
	struct pid_namespace *pid_ns;
	struct list_head node;
	struct kipc_ep *ep;
	u64 tag;
	u64 badge;
	bool call;
	struct kipc_ctx *reply_to;
	struct kipc_ctx *reply_from;
	bool sleeping;
	bool spin_ok;
	bool reply_grant;
	u8 nout;
	u8 nin;
	u8 nrfd;
	struct file *out[KIPC_MSG_FDS];
	struct file *in[KIPC_MSG_FDS];
	int rfd[KIPC_MSG_FDS];
	struct kref ref;
	spinlock_t *qlock;
	struct io_uring_cmd *ucmd;
	struct kipc_ep *aep;
	struct kipc_ntfn *antfn;
	unsigned int acmd;
	bool alost;
	struct delayed_work watchdog;
	struct task_struct *park_task;
	struct files_struct *park_files;
	struct kipc_restart park_rs;
	struct kipc_op park_op;
	struct task_struct *resume_task;
	struct kipc_restart resume;
	struct rcu_head rcu;
};

/* What a user is charged for (kipc_charge()). */
enum kipc_limit {
	KIPC_L_ENDPOINTS,	/* live endpoints created */
	KIPC_L_NAMES,		/* published names */
	KIPC_L_INFLIGHT,	/* descriptors held by messages in flight */
	KIPC_NR_LIMITS,
};

/**
 * kipc_queued - a context enters a queue: @lock's, in state @st
 * @me:		the context, owned by the caller, @lock held
 * @lock:	the queue's lock (an endpoint's or a notification's)
 * @st:		KIPC_W_SENDING or KIPC_W_RECEIVING
 *
 * The queue lock is published before the state with release semantics:
 * kipc_cancel() reads the state with acquire and then the lock, locklessly,
 * and must never pair a new state with an older queue's lock (which may
 * belong to a freed endpoint on a weakly ordered CPU).
 */
static inline void kipc_queued(struct kipc_ctx *me, spinlock_t *lock, int st)
{
	WRITE_ONCE(me->qlock, lock);
	/* Pairs with smp_load_acquire() in kipc_cancel(). */
	smp_store_release(&me->wstate, st);
}

/* endpoint.c */
int kipc_ep_create(const struct kipc_ep_create __user *uarg);
int kipc_ep_mint(const struct kipc_ep_mint __user *uarg);
int kipc_handle_lookup(int fd, struct kipc_handle *out);
int kipc_handle_install(struct kipc_ep *ep, u64 badge, u32 rights, u32 flags);
bool kipc_file_may_pass(struct file *file);
void kipc_ep_put(struct kipc_ep *ep);
void kipc_ep_snapshot(struct kipc_ep *ep, struct kipc_ep_stats *st);
void kipc_ep_wake(struct kipc_ep *ep, __poll_t mask);

/* notify.c */
int kipc_ntfn_create(const struct kipc_notify_create __user *uarg);
int kipc_ntfn_signal(const struct kipc_notify __user *uarg);
int kipc_ntfn_bind(const struct kipc_notify_bind __user *uarg);
int kipc_ntfn_wait(struct kipc_ctx *me, struct kipc_op *op, int fd,
		   u64 timeout);
void kipc_ntfn_put(struct kipc_ntfn *ntfn);
bool kipc_ntfn_take(struct kipc_ep *ep, struct kipc_ctx *me);
void kipc_ntfn_deliver(struct kipc_ctx *ctx, u64 bits);
bool kipc_ntfn_ep_dead(struct kipc_ep *ep);

/* uring.c */
int kipc_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags);
void kipc_uring_complete(struct kipc_ctx *ctx);
void kipc_uring_arm(struct kipc_ctx *ctx, unsigned int issue_flags);
void kipc_uring_disarm(struct kipc_ctx *ctx);
int kipc_uring_immediate(struct io_uring_cmd *ucmd, int ret,
			 unsigned int issue_flags);
void kipc_uring_init(struct kipc_ctx *ctx);
void kipc_uring_release(struct kipc_ctx *ctx);

/* limits.c */
int kipc_charge(kuid_t uid, enum kipc_limit what, unsigned int n);
void kipc_uncharge(kuid_t uid, enum kipc_limit what, unsigned int n);

/* names.c */
int kipc_publish(const struct kipc_publish __user *uarg);
int kipc_unpublish(const struct kipc_publish __user *uarg);
int kipc_lookup(const struct kipc_lookup __user *uarg);
void kipc_names_ep_gone(struct kipc_ep *ep);
int kipc_names_show(struct seq_file *m, void *v);

/* proc.c */
int kipc_proc_init(void);
void kipc_proc_exit(void);

/* ipc.c */
long kipc_ipc_ioctl(struct kipc_ctx *ctx, unsigned int cmd,
		    const struct kipc_ipc __user *uarg);
int kipc_op_start(struct kipc_ctx *me, unsigned int cmd,
		  const struct kipc_ipc *a, struct io_uring_cmd *ucmd,
		  unsigned int issue_flags);
int kipc_op_finish(struct kipc_ctx *me);
int kipc_cancel(struct kipc_ctx *me, int err);
void kipc_complete(struct kipc_ctx *ctx, int result);
int kipc_wait(struct kipc_ctx *me, struct kipc_op *op);
ktime_t kipc_deadline(u64 timeout);
void kipc_ctx_release_ipc(struct kipc_ctx *ctx);
void kipc_ctx_put(struct kipc_ctx *ctx);
void kipc_ep_fail_waiters(struct kipc_ep *ep, struct list_head *queue,
			  int err);
long kipc_caller(struct kipc_ctx *ctx, struct kipc_caller __user *uarg);
int kipc_wait_reply_end(struct kipc_ctx *me);

/* restart.c */
void kipc_restart_note(struct kipc_restart *rs, unsigned int cmd,
		       const struct kipc_ipc *a);
bool kipc_restart_is(const struct kipc_restart *rs, unsigned int cmd,
		     const struct kipc_ipc *a);
bool kipc_restart_in_handler(const struct kipc_restart *rs);
bool kipc_restart_unmark(void);
void kipc_restart_init(void);
void kipc_restart_exit(void);

#endif /* _KIPC_INTERNAL_H */
