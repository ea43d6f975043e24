/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc internal definitions shared by the module's files.
 *
 * Module map: one concern per file, each calling only the files below it
 * (no file calls one above it, so there is no import circle):
 *
 *   main.c      /dev/kipc's file operations (a context's open, mmap, ioctl,
 *               uring_cmd, release) and module init/exit
 *   ioctl.c     decoding of the management ioctls on a context (endpoints,
 *               mint, names, notifications, caller, cancel, register):
 *               copy, check the reserved fields (the checks an object's
 *               own descriptor shares are kipc_*_bad() below), resolve
 *               descriptors, call the object
 *   uring.c     everything asynchronous: io_uring commands, their
 *               completion in task work, their cancellation (before 6.7:
 *               the watchdog)
 *   fastpath.c  the seL4-shaped fast path of the area operations: the
 *               guards, the fast call and reply_recv, the handover
 *   op.c        one operation's life on a context: claim, the slow path's
 *               argument decoding, the end (status, descriptors), parking
 *               and resuming across signals
 *   forward.c   forward (ABI 1.7): a received call handed on with its
 *               reply right, delivered at once or queued; kipc-fwd.pml
 *               models the move of the right
 *   ipc.c       the rendezvous: send, recv (also from a queued
 *               forwarder), call, reply, reply_recv; ipc.h
 *               has the steps the fast path shares, inline
 *   fds.c       descriptors carried by messages
 *   window.c    memory windows of a call: loaded with it, described to
 *               its receiver, copied through the reply right, ended
 *               with the call; the receive buffer; kipc-bulk.pml models
 *               its gate (and region.c's)
 *   handle.c    endpoint handles: the descriptors that name an endpoint,
 *               their rights and badges, their own management ioctls
 *               (mint, publish, bind: ABI 1.6), and what the last one's
 *               close does
 *   region.c    exposed regions: put/get handles on a range of the
 *               owner's memory, revoke, the doorbell
 *   notify.c    notification objects, on top of wait.c; signal on their
 *               own descriptor (ABI 1.6)
 *   names.c     the name table of each IPC namespace
 *   context.c   a context's state: its message area, identity, registered
 *               endpoint slots, references
 *   wait.c      the wait state machine every blocking operation uses
 *               (endpoints, notifications, io_uring): its table is there;
 *               wait.h has the transitions every message takes, inline;
 *               waitq.h the FIFO queue a context waits on
 *   endpoint.c  the endpoint object: references, pollers, the list
 *   sched.c     scheduling that follows the call: a server runs at its
 *               caller's priority while it serves the call (lent at
 *               delivery, by queued callers, along chains of calls) and
 *               its CPU time is charged to the caller (accounting);
 *               kipc-pi.pml models its lend protocol
 *   bulk.c      the one copy of bulk data between two address spaces,
 *               a piece at a time inside the owner's gate
 *   restart.c   which ioctl comes back after a signal, and whether a
 *               handler ran in between
 *   limits.c    per-user limits and the live-object counters
 *   proc.c      /proc/kipc
 *   trace.c     the tracepoints (kipc_trace.h)
 *   compat.h    every difference between kernel versions
 *
 * Locks, outermost first; no two locks of one row are ever held together:
 *
 *   kipc_names_lock, kipc_eps_lock (mutexes; no spinlock held)
 *   ep->lock        queue membership of an endpoint's senders and receivers
 *                   and the state of every context on them; nr_send,
 *                   nr_recv, msgs, ntfn
 *   ntfn->lock      a notification's bits and waiters (after ep->lock when
 *                   bound)
 *   ctx->lock       held by a partner for as long as it owns the context
 *                   (KIPC_W_BUSY: a sender taken off its queue, a caller
 *                   being answered), and guards the way into and out of
 *                   KIPC_W_REPLY with ctx->reply_from (but T7, under the
 *                   queue lock its receiver was on); a forward moves a
 *                   caller's reply_from under the caller's lock inside
 *                   the endpoint's, the forwarder owned by either
 *   kipc_pi_mutex   (sched.c; no spinlock held: the scheduler calls it
 *                   makes may sleep) outside every lock below
 *   ctx->wq.lock, ep->wq.lock, ntfn->wq.lock  (wake-ups, innermost)
 *   kipc_users_lock (limits.c, alone)
 *   region->lock    (region.c, alone)
 *
 * A window's copies count themselves under the caller's ctx->lock
 * (window.c's gate) and wait for nothing there.
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
#include "waitq.h"

struct io_uring_cmd;
struct iov_iter;
struct pid_namespace;

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
 * @server:	the context a call through this endpoint was last delivered
 *		to (a hint, never dereferenced outside sched.c's checks).
 * @server_prio: its task's priority then (task_struct.prio).
 * @sched:	KIPC_EP_NO_INHERIT, _FLOOR, _ACCOUNT: a delivery that must
 *		look at them takes sched.c's path.
 * @floor_key:	with KIPC_EP_FLOOR, the floor as an urgency (sched.c).
 * @acct:	with KIPC_EP_ACCOUNT, the totals (sched.c).
 */
struct kipc_ep {
	spinlock_t lock;
	struct kipc_waitq senders;
	struct kipc_waitq receivers;
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
	struct kipc_ctx *server;
	int server_prio;
	u32 sched;
	int floor_key;
	struct kipc_acct *acct;
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
	struct kipc_waitq waiters;
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
	atomic_long_t boosted;
	atomic_long_t boosts;
	atomic_long_t regions;
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
 * struct kipc_args - an IPC operation's arguments, as the kernel keeps them
 * @ep:		endpoint handle: a descriptor, or with KIPC_ARGS_SLOT a
 *		registered slot (ABI 1.2)
 * @flags:	KIPC_ARGS_*
 * @send_timeout: as in struct kipc_ipc
 * @recv_timeout: as in struct kipc_ipc
 * @recv_ep:	send_recv's (forward_recv's) receive endpoint, as @ep; 0
 *		for the others
 * @__pad:	0 (the struct is compared whole: restart.c)
 */
struct kipc_args {
	s32 ep;
	u32 flags;
	u64 send_timeout;
	u64 recv_timeout;
	s32 recv_ep;
	u32 __pad;
};

/**
 * struct kipc_op - one IPC operation's state
 * @cmd:	its ioctl number (KIPC_IOC_SEND ... _REPLY_RECV, _NTFN_WAIT,
 *		_MSEND_RECV, _FORWARD, _MFORWARD_RECV)
 * @args:	its arguments
 * @h:		the endpoint handle; h.ep holds a reference unless @borrowed
 * @ntfn:	the notification a wait holds a reference to, or NULL
 * @tag:	validated tag to send
 * @send_dl:	deadline of the send phase, KTIME_MAX: none
 * @recv_dl:	of the receive phase or of the whole call
 * @rs:		a restart: deadlines (and a reply's outcome) come from here
 * @send_restart: a signal may restart the send phase
 * @recv_restart: a signal may restart the receive phase
 * @async:	no task waits: queue and return -EIOCBQUEUED (io_uring)
 * @borrowed:	h.ep is a registered slot's: no reference to drop
 * @files:	descriptors reserved or taken: clean up at the end
 * @lost:	reply_recv: the reply found no caller
 * @replied:	the first phase is done: reply_recv's reply, send_recv's
 *		send
 * @park:	kipc_wait(): park the call (restart.c)
 * @fwd:	a forward's phase runs or ran: its end gives up a right
 *		whose caller is gone and ends the served call
 * @charged:	descriptors charged as in flight
 * @fd_max:	descriptor numbers to reserve (call, recv)
 * @uid:	the user charged
 */
struct kipc_op {
	unsigned int cmd;
	struct kipc_args args;
	struct kipc_handle h;
	struct kipc_ntfn *ntfn;
	u64 tag;
	ktime_t send_dl;
	ktime_t recv_dl;
	const struct kipc_restart *rs;
	bool send_restart;
	bool recv_restart;
	bool async;
	bool borrowed;
	bool files;
	bool lost;
	bool replied;
	bool park;
	bool fwd;
	u8 charged;
	u8 fd_max;
	kuid_t uid;
};

/**
 * struct kipc_restart - an ioctl interrupted by a signal, as it will be
 * issued again (restart.c)
 * @cmd:	its command,
 * @args:	its arguments as read,
 * @sp:		the user stack pointer and
 * @ip:		instruction pointer it was issued with: a restart has the
 *		same, an operation from a signal handler a lower stack.
 * @send_dl:	absolute deadlines the restart goes on with.
 * @recv_dl:	see @send_dl.
 * @replied:	a reply_recv's reply part (a send_recv's send) is done: the
 *		restart does not do it again.
 * @lost:	and found no caller (KIPC_ST_REPLY_LOST).
 */
struct kipc_restart {
	unsigned int cmd;
	struct kipc_args args;
	unsigned long sp;
	unsigned long ip;
	ktime_t send_dl;
	ktime_t recv_dl;
	bool replied;
	bool lost;
};

/* Wait states of a context (kipc_ctx.wstate); wait.c has the table. */
enum kipc_wstate {
	KIPC_W_IDLE,		/* not in an operation that waits */
	KIPC_W_SENDING,		/* on ep->senders */
	KIPC_W_RECEIVING,	/* on ep->receivers or ntfn->waiters */
	KIPC_W_REPLY,		/* call delivered, waiting for the reply */
	KIPC_W_BUSY,		/* a partner owns the context and is copying */
	KIPC_W_DONE,		/* finished, result in wresult */
};

/**
 * struct kipc_ident - who uses a context, cached (context.c)
 * @task:	the task of the current operation (referenced)
 * @cred:	its credentials (referenced)
 * @pid_ns:	its pid namespace (referenced)
 * @user_ns:	@cred's user namespace (held by @cred)
 * @who:	what a receiver in the same namespaces reads, in the order
 *		of the message area's pid, uid, gid and status: its thread
 *		group id in @pid_ns, its effective uid and gid as @cred's
 *		user namespace sees them, and 0
 *
 * Refreshed when an operation starts with another task or credentials
 * than the last one; a partner reads it while it owns the context.  A
 * message between contexts of the same namespaces (the common case)
 * takes @who as it is; otherwise the ids are translated.
 */
struct kipc_ident {
	struct task_struct *task;
	const struct cred *cred;
	struct pid_namespace *pid_ns;
	struct user_namespace *user_ns;
	struct kipc_who {
		pid_t tgid;
		u32 uid;
		u32 gid;
		u32 status;
	} who;
};

/* kipc_transfer() copies a struct kipc_who over pid ... status at once. */
static_assert(offsetof(struct kipc_utcb, uid) == offsetof(struct kipc_utcb, pid) + 4 &&
	      offsetof(struct kipc_utcb, gid) == offsetof(struct kipc_utcb, pid) + 8 &&
	      offsetof(struct kipc_utcb, status) == offsetof(struct kipc_utcb, pid) + 12 &&
	      sizeof(struct kipc_who) == 16);

#define KIPC_PI_TODO_ACCT	0x1	/* sample the start of an accounted call */
#define KIPC_PI_TODO_LEND	0x2	/* settle the lend of the caller */
#define KIPC_PI_TODO_CHARGE	0x4	/* caller: count the served time of the reply */
#define KIPC_PI_TODO_RBUF	0x8	/* copy a window into the receive buffer */

/**
 * struct kipc_pi - a context's part in scheduling that follows the call
 * (sched.c)
 * @seq:	odd while the context serves a call (holds its reply right):
 *		incremented when one is delivered to it and when it ends;
 *		written by whoever owns the context then, read by lenders.
 * @lent:	a lend is recorded on the call served: its end goes through
 *		kipc_pi_end().  Set under kipc_pi_mutex, before a full
 *		barrier and a check of @seq.
 * @boosted:	the task of this context is boosted by kipc now (any of its
 *		contexts): a call delivered to it is recorded even if its
 *		caller is not more urgent (the boost may end first).
 * @acct:	the served call is accounted: measure it (@start).
 * @end_pending: a reply_recv answered its call: kipc_recv() ends what was
 *		lent to it once the context is queued or served anew.
 * @todo:	KIPC_PI_TODO_*: what the end of the operation that
 *		received a call or a reply does (kipc_serve_todo()).
 * @pending:	with KIPC_PI_TODO_LEND, what the call lends.
 * @key_seq:	the call (@seq) that @call_key and @queue_key belong to.
 * @call_key:	what the served call's caller lends (or the endpoint's
 *		floor), under kipc_pi_mutex.
 * @queue_key:	what callers queued behind it lend, also along chains.
 * @lent_seq:	caller side: the server's @seq the call lent to, or 0.
 * @ep:		the endpoint of the call served (compared, not used).
 * @start:	the server thread's run time when the call arrived.
 * @served:	caller side: the server's time on its call, when the
 *		reply came from an accounting endpoint (KIPC_PI_TODO_CHARGE).
 * @task:	@id.task as sched.c's tables know it (under its mutex).
 * @tnode:	on sched.c's table of contexts by @task.
 * @lnode:	on sched.c's table of live contexts.
 */
struct kipc_pi {
	u64 seq;
	bool lent;
	bool boosted;
	bool acct;
	bool end_pending;
	u8 todo;
	int pending;
	u64 key_seq;
	int call_key;
	int queue_key;
	u64 lent_seq;
	const struct kipc_ep *ep;
	u64 start;
	u64 served;
	struct task_struct *task;
	struct hlist_node tnode;
	struct hlist_node lnode;
};

/**
 * struct kipc_slot - a registered endpoint handle (ABI 1.2)
 * @file:	the handle's file (referenced): the endpoint, its rights and
 *		badge stay as they were registered while it is registered
 * @h:		the handle
 */
struct kipc_slot {
	struct file *file;
	struct kipc_handle h;
};

#define KIPC_CTX_CLAIMED	0	/* bit in kipc_ctx.claim */

/**
 * struct kipc_ctx - a context: one message area and the IPC state of the
 * thread that is using it
 * @utcb:	kernel address of the message area (one zeroed page).
 * @mm:		address space that opened the context; only it may use it.
 * @claim:	bit KIPC_CTX_CLAIMED set while an operation runs (EBUSY).
 * @lock:	see the lock order above.
 * @wstate:	enum kipc_wstate (wait.c).
 * @wresult:	result handed over by the partner with KIPC_W_DONE.
 * @id:		who runs the operation (context.c).
 * @node:	link on an endpoint's or a notification's queue.
 * @qlock:	lock of that queue (published before the queued state).
 * @waitq:	that queue (written with @qlock, read under it).
 * @tag:	validated tag of the message being sent.
 * @badge:	badge of the handle the message is sent through.
 * @call:	the queued sender waits for a reply.
 * @fwd:	the queued sender forwards the call it holds the reply
 *		right for (KIPC_IOC_FORWARD): its receiver serves that call.
 * @reply_to:	caller this context owes a reply: borrowed while the
 *		caller's @reply_from names this context, else referenced
 *		(see kipc_reply_unlink()).
 * @reply_from:	context that owes this one a reply, and borrows it.
 * @reply_hops:	how many times the call @reply_to names was forwarded
 *		before it came here (0..KIPC_FWD_HOPS_MAX).
 * @peer:	the task of the partner of the last rendezvous (referenced),
 *		or NULL: kipc_wait() keeps the CPU only while it runs.
 * @peer_next:	a partner's hint of a new one (referenced), for the owner
 *		to take up (wait.c).
 * @sleeping:	the waiter sleeps on @wq and needs a wake-up.
 * @async_done:	set while an asynchronous operation waits: how to complete
 *		it (uring.c); NULL for a synchronous one.
 * @wq:		where the waiter sleeps.
 * @reply_grant: the last receive went through a handle with GRANT: a
 *		reply to the call it received may carry descriptors.
 * @nout:	files in @out, the descriptors of the message being sent.
 * @nin:	files in @in, moved here by a partner, to install on wake.
 * @nrfd:	descriptor numbers reserved in @rfd for a received message.
 * @nwin:	windows of the message being sent, checked (window.c).
 * @wsend:	that message is a send whose window the receiver copies
 *		into its buffer: it waits as a call does (window.c).
 * @win_ack:	the call held is such a send's, not a call: the end of
 *		the receive gives its hidden reply right up.
 * @win_parked:	the call with windows is parked: they are closed (under
 *		@lock; kipc_win_park()).
 * @win_rbuf:	1 + the window the end of the receive copies into the
 *		receive buffer, or 0.
 * @win_busy:	pieces a server is copying in our windows now, under
 *		@lock; kipc_win_end() waits for none.
 * @rbuf_len:	length of the receive buffer, 0: none (KIPC_IOC_WIN_RBUF).
 * @rbuf:	its address in @mm.
 * @win:	the windows of the message being sent, as checked.
 * @pi:		scheduling that follows the call (sched.c).
 * @out:	files (references) taken from the sender's fd table.
 * @in:		files delivered to this context (references).
 * @rfd:	reserved, not yet installed descriptor numbers.
 * @ref:	one for the open file, one per reply_to pointing here.
 * @held:	the operation of a parked call or of an asynchronous
 *		operation in flight, kept across the ioctl's return.
 * @ucmd:	the io_uring command of that asynchronous operation (uring.c).
 * @watchdog:	before 6.7, ends a pending asynchronous operation whose
 *		task exits or whose ring is torn down (uring.c).
 * @park_task:	a call interrupted in its reply phase by a signal is parked:
 *		it keeps the context claimed, stays KIPC_W_REPLY, and this
 *		task resumes it when its ioctl comes back (restart.c, op.c).
 *		Set with release, taken under @lock.
 * @park_files:	that task's fd table (identity only), where the numbers
 *		reserved for the reply's descriptors are.
 * @park_rs:	the parked ioctl, to know it when it comes back.
 * @resume_task: an operation withdrawn after a signal, to be issued again
 *		by this task (identity only) with the deadlines in @resume.
 * @resume:	that ioctl.
 * @slots:	registered endpoint handles; changed only by a claimed
 *		context (KIPC_IOC_REGISTER), so an operation reads them as is.
 * @rcu:	freed after a grace period (wait.c, kipc_complete()).
 *
 * @out is owned by the operation running on the context except while the
 * context is queued or BUSY, when the partner that owns it may move the
 * files to its own @in; @in and @rfd are written by a partner only while
 * it owns the context.
 */
struct kipc_ctx {
	struct kipc_utcb *utcb;
	struct mm_struct *mm;
	unsigned long claim;
	spinlock_t lock;
	int wstate;
	int wresult;
	struct kipc_ident id;
	struct hlist_node node;
	spinlock_t *qlock;
	struct kipc_waitq *waitq;
	u64 tag;
	u64 badge;
	bool call;
	bool fwd;
	u8 reply_hops;
	struct kipc_ctx *reply_to;
	struct kipc_ctx *reply_from;
	struct task_struct *peer;
	struct task_struct *peer_next;
	bool sleeping;
	void (*async_done)(struct kipc_ctx *ctx);
	wait_queue_head_t wq;
	bool reply_grant;
	u8 nout;
	u8 nin;
	u8 nrfd;
	u8 nwin;
	bool wsend;
	bool win_ack;
	bool win_parked;
	u8 win_rbuf;
	unsigned int win_busy;
	u32 rbuf_len;
	u64 rbuf;
	struct kipc_window win[KIPC_MSG_WINS];
	struct kipc_pi pi;
	struct file *out[KIPC_MSG_FDS];
	struct file *in[KIPC_MSG_FDS];
	int rfd[KIPC_MSG_FDS];
	struct kref ref;
	struct kipc_op held;
	struct io_uring_cmd *ucmd;
	struct delayed_work watchdog;
	struct task_struct *park_task;
	struct files_struct *park_files;
	struct kipc_restart park_rs;
	struct task_struct *resume_task;
	struct kipc_restart resume;
	struct kipc_slot slots[KIPC_SLOTS];
	struct rcu_head rcu;
};

/* The oldest context waiting on @q, or NULL; under @q's lock. */
static inline struct kipc_ctx *kipc_first_waiter(const struct kipc_waitq *q)
{
	return hlist_entry_safe(kipc_waitq_first(q), struct kipc_ctx, node);
}

/* What a user is charged for (kipc_charge()). */
enum kipc_limit {
	KIPC_L_ENDPOINTS,	/* live endpoints created */
	KIPC_L_NAMES,		/* published names */
	KIPC_L_INFLIGHT,	/* descriptors held by messages in flight */
	KIPC_L_REGION_PAGES,	/* pages of live exposed regions (RLIMIT_MEMLOCK) */
	KIPC_NR_LIMITS,
};

/* main.c: nothing calls up into it. */

/* ioctl.c */
long kipc_ioctl_mgmt(struct kipc_ctx *ctx, unsigned int cmd, void __user *uarg);
int kipc_win_io_check(struct kipc_win_io *a, const struct kipc_win_io __user *uarg);

/* uring.c */
int kipc_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags);
void kipc_uring_init(struct kipc_ctx *ctx);
void kipc_uring_release(struct kipc_ctx *ctx);

/* op.c */
long kipc_op_ioctl(struct kipc_ctx *ctx, unsigned int cmd,
		   const struct kipc_ipc __user *uarg);
long kipc_op_area_slow(struct kipc_ctx *ctx, unsigned int cmd, bool claimed);
int kipc_op_fast_other(struct kipc_ctx *ctx, unsigned int cmd, s32 ep,
		       u64 send_timeout, u64 recv_timeout, s32 recv_ep,
		       const struct kipc_handle *h, u64 tag);
long kipc_op_fast_slow(struct kipc_ctx *ctx, unsigned int cmd, s32 ep,
		       u64 send_timeout, u64 recv_timeout, s32 recv_ep,
		       const struct kipc_handle *h, int ret);
long kipc_op_ntfn_wait(struct kipc_ctx *ctx, int fd, u64 timeout);
int kipc_op_async_start(struct kipc_ctx *ctx, unsigned int cmd,
			const struct kipc_args *a,
			void (*setup)(struct kipc_ctx *ctx, void *data),
			void *data);
int kipc_op_async_end(struct kipc_ctx *ctx, int ret);
void kipc_op_release(struct kipc_ctx *ctx);

/* fastpath.c */
long kipc_op_area_ioctl(struct kipc_ctx *ctx, unsigned int cmd,
			unsigned long arg);

/* forward.c */
int kipc_forward(struct kipc_ctx *ctx, struct kipc_op *op);
int kipc_forward_fast(struct kipc_ctx *ctx, const struct kipc_handle *h, u64 tag);
void kipc_forward_end(struct kipc_ctx *ctx, int ret);

/* ipc.c */
int kipc_send(struct kipc_ctx *ctx, struct kipc_op *op, bool call);
int kipc_recv(struct kipc_ctx *ctx, struct kipc_op *op);
int kipc_reply(struct kipc_ctx *ctx, u64 tag, bool expect, bool recv);
void kipc_transfer_fwd(struct kipc_ctx *dst, struct kipc_ctx *fwd,
		       struct kipc_ctx *caller, u64 tag, u64 badge, u64 ep_id);
int kipc_fwd_relink(struct kipc_ctx *fwd, struct kipc_ctx *rcv,
		    struct kipc_ctx *caller, struct kipc_ep *ep);
void kipc_drop_reply(struct kipc_ctx *ctx, int err);
long kipc_caller(struct kipc_ctx *ctx, struct kipc_caller *a);
void kipc_move_files_slow(struct kipc_ctx *dst, struct kipc_ctx *src);
void kipc_translate(struct kipc_utcb *d, const struct kipc_ident *src,
		    const struct kipc_ident *dst);

/* fds.c */
int kipc_get_files_slow(struct kipc_ctx *ctx, struct kipc_op *op, u64 tag,
			bool grant);
int kipc_reserve_fds_slow(struct kipc_ctx *ctx, struct kipc_op *op,
			  unsigned int n);
void kipc_put_files(struct kipc_ctx *ctx, struct kipc_op *op);
void kipc_fds_end(struct kipc_ctx *ctx, struct kipc_op *op, int ret);
void kipc_fds_abandon(struct kipc_ctx *ctx, struct kipc_op *op, bool own);

/* window.c */
int kipc_win_load(struct kipc_ctx *ctx, u64 tag, bool call, bool async);
void kipc_win_deliver(struct kipc_ctx *dst, struct kipc_ctx *src);
bool kipc_win_fits(const struct kipc_ctx *rcv, const struct kipc_ctx *snd);
long kipc_win_io(struct kipc_ctx *ctx, const struct kipc_win_io *a, bool write);
int kipc_win_rbuf(struct kipc_ctx *ctx);
void kipc_win_end(struct kipc_ctx *ctx);
void kipc_win_park(struct kipc_ctx *ctx);
void kipc_win_unpark(struct kipc_ctx *ctx);
long kipc_win_rbuf_set(struct kipc_ctx *ctx, const struct kipc_rbuf *a);

/* region.c */
int kipc_region_create(const struct kipc_region_create *a);
bool kipc_region_may_pass(struct file *file);
bool kipc_is_region(const struct file *file);

/**
 * struct kipc_bulk_gate - how the owner of a range lets copies in (bulk.c)
 * @enter:	called before each piece's copy: 0 lets it in, else the
 *		error the access fails with; no sleeping inside.
 * @leave:	called after it.
 * @obj:	their argument.
 */
struct kipc_bulk_gate {
	int (*enter)(void *obj);
	void (*leave)(void *obj);
	void *obj;
};

/* Pages pinned at a time by one copy (64 KiB with 4 KiB pages). */
#define KIPC_BULK_PAGES		16

/* bulk.c */
ssize_t kipc_bulk_copy(struct mm_struct *mm, unsigned long addr, size_t len,
		       bool into, struct iov_iter *it,
		       const struct kipc_bulk_gate *gate, int gone);

/*
 * The checks of a management ioctl's argument, shared by a context's
 * ioctls (ioctl.c) and the object's own (handle.c, notify.c): true if it
 * is malformed (EINVAL).  The field naming the object is the caller's,
 * and so is a name (kipc_name_valid()).
 */
static inline bool kipc_mint_bad(const struct kipc_ep_mint *a)
{
	return (a->flags & ~(KIPC_FD_INHERIT | KIPC_MINT_BADGE)) || a->__pad ||
	       a->__reserved[0] || a->__reserved[1] || !a->rights ||
	       (a->rights & ~(KIPC_RIGHTS_ALL | KIPC_RIGHT_FORWARD)) ||
	       (!(a->flags & KIPC_MINT_BADGE) && a->badge);
}

static inline bool kipc_publish_bad(const struct kipc_publish *a)
{
	return (a->flags & ~(KIPC_PUBLISH_BADGE | KIPC_PUBLISH_GRANT)) ||
	       (a->mode & ~0777U) || a->__pad || a->__reserved[0] ||
	       a->__reserved[1] || (!(a->flags & KIPC_PUBLISH_BADGE) && a->badge);
}

/* KIPC_IOC_UNPUBLISH: only the name and the handle are used. */
static inline bool kipc_unpublish_bad(const struct kipc_publish *a)
{
	return a->flags || a->mode || a->__pad || a->badge || a->__reserved[0] ||
	       a->__reserved[1];
}

static inline bool kipc_signal_bad(const struct kipc_notify *a)
{
	return a->flags || !a->bits || a->timeout || a->__reserved[0] ||
	       a->__reserved[1];
}

static inline bool kipc_bind_bad(const struct kipc_notify_bind *a)
{
	return (a->flags & ~KIPC_NTFN_UNBIND) || a->__pad || a->__reserved[0] ||
	       a->__reserved[1];
}

/* handle.c */
int kipc_ep_create(const struct kipc_ep_create *a);
int kipc_ep_mint(struct kipc_handle *src, const struct kipc_ep_mint *a);
int kipc_handle_lookup(int fd, struct kipc_handle *out);
struct file *kipc_handle_fget(int fd, struct kipc_handle *out);
int kipc_handle_install(struct kipc_ep *ep, u64 badge, u32 rights, u32 flags);
bool kipc_file_may_pass(struct file *file);

/* notify.c */
int kipc_ntfn_create(u32 flags);
struct kipc_ntfn *kipc_ntfn_get(int fd);
void kipc_ntfn_raise(struct kipc_ntfn *ntfn, u64 bits);
int kipc_ntfn_bind(struct kipc_ntfn *ntfn, struct kipc_ep *ep, u32 flags);
int kipc_ntfn_wait(struct kipc_ctx *ctx, struct kipc_op *op);
void kipc_ntfn_put(struct kipc_ntfn *ntfn);
bool kipc_ntfn_take(struct kipc_ep *ep, struct kipc_ctx *ctx);
bool kipc_ntfn_ep_dead(struct kipc_ep *ep);

/* names.c */
bool kipc_name_valid(const char *name);
int kipc_name_publish(const struct kipc_publish *a, struct kipc_ep *ep);
int kipc_name_unpublish(const char *name, struct kipc_ep *ep);
int kipc_name_lookup(const char *name, struct kipc_handle *out);
void kipc_names_ep_gone(struct kipc_ep *ep);
int kipc_names_show(struct seq_file *m, void *v);

/* context.c */
struct kipc_ctx *kipc_ctx_new(void);
void kipc_ctx_put(struct kipc_ctx *ctx);

/**
 * kipc_reply_unlink - a caller stops waiting for its reply before its
 * server answered (T9 by a cancel, T10)
 * @ctx:	the caller, KIPC_W_REPLY, its lock held
 *
 * The server's reply_to borrowed @ctx while ->reply_from named the
 * server; from now on it holds a reference, which the server drops when
 * it finds the link gone (kipc_reply(), kipc_drop_reply()).
 */
static inline void kipc_reply_unlink(struct kipc_ctx *ctx)
{
	kref_get(&ctx->ref);
	ctx->reply_from = NULL;
}

void kipc_ctx_release(struct kipc_ctx *ctx);
void kipc_ident_refresh(struct kipc_ctx *ctx);
int kipc_ctx_register(struct kipc_ctx *ctx, const struct kipc_register *a);
int kipc_ctx_mmap(struct kipc_ctx *ctx, struct vm_area_struct *vma);

/**
 * kipc_ident_current - is @ctx's cached identity current's?
 * @ctx:	the context, claimed by current
 *
 * Return: true if it is; else kipc_ident_refresh() makes it so.
 */
static __always_inline bool kipc_ident_current(const struct kipc_ctx *ctx)
{
	return ctx->id.task == current && ctx->id.cred == current_cred();
}

/* wait.c */
void kipc_fail_waiters(struct kipc_waitq *q, int err);
int kipc_wait(struct kipc_ctx *ctx, struct kipc_op *op);
bool kipc_wait_end(struct kipc_ctx *ctx, int st, int result);
int kipc_wait_cancel(struct kipc_ctx *ctx);
int kipc_wait_reply_end(struct kipc_ctx *ctx);
int kipc_wait_done(struct kipc_ctx *ctx);
void kipc_peer_set(struct kipc_ctx *ctx, struct task_struct *task);
void kipc_peer_hint_slow(struct kipc_ctx *ctx, struct task_struct *task);
void kipc_peer_take(struct kipc_ctx *ctx);

/**
 * kipc_wait_quick - the first round of a wait, inline: hand the CPU over
 * @ctx:	the context, waiting (queued or REPLY), owned by current
 *
 * If the partner we wait for is waiting for this CPU, yield it to it: on
 * one CPU it answers before it gives the CPU back.  Anything else (it
 * runs elsewhere, sleeps, a signal is pending, it did not answer) is
 * kipc_wait()'s.
 *
 * Return: the partner's result (0 or -errno) if the wait is over (T11
 * done: the caller then takes up a partner's hint, kipc_peer_take()), 1 to
 * call kipc_wait().
 */
static __always_inline int kipc_wait_quick(struct kipc_ctx *ctx)
{
	struct task_struct *peer = ctx->peer;
	int ret;

	/* Pairs with the release in kipc_complete(): DONE after wresult. */
	if (smp_load_acquire(&ctx->wstate) != KIPC_W_DONE) {
		if (!peer || !READ_ONCE(peer->on_rq) ||
		    task_cpu(peer) != raw_smp_processor_id() ||
		    kipc_signal_pending())
			return 1;
		yield();
		/* Pairs with the release in kipc_complete(), as above. */
		if (smp_load_acquire(&ctx->wstate) != KIPC_W_DONE)
			return 1;
	}
	WRITE_ONCE(ctx->wstate, KIPC_W_IDLE);			/* T11 */
	ret = ctx->wresult;
	return ret;
}

ktime_t kipc_deadline(u64 timeout);

/* endpoint.c */
struct kipc_ep *kipc_ep_new(void);
void kipc_ep_put(struct kipc_ep *ep);
void kipc_ep_snapshot(struct kipc_ep *ep, struct kipc_ep_stats *st);
void kipc_ep_wake(struct kipc_ep *ep, __poll_t mask);

/* sched.c */
struct kipc_acct;
int kipc_sched_ep_init(struct kipc_ep *ep, const struct kipc_ep_create *a);
void kipc_sched_ep_free(struct kipc_ep *ep);
void kipc_sched_show(struct seq_file *m, const struct kipc_ep *ep);
void kipc_pi_ctx_new(struct kipc_ctx *ctx);
void kipc_pi_ctx_release(struct kipc_ctx *ctx);
void kipc_pi_ident(struct kipc_ctx *ctx);
int kipc_pi_decide(const struct kipc_ep *ep, const struct task_struct *caller,
		   struct kipc_ctx *srv, bool boosted);
void kipc_pi_lend_call(struct kipc_ctx *caller, struct kipc_ctx *srv, u64 seq,
		       int key);
void kipc_pi_settle(struct kipc_ctx *ctx);
void kipc_pi_queued(const struct kipc_ep *ep, struct kipc_ctx *srv);
void kipc_pi_withdrawn(struct kipc_ctx *srv, u64 seq);
void kipc_pi_end(struct kipc_ctx *ctx);
void kipc_acct_begin(struct kipc_ctx *ctx);
void kipc_acct_served(struct kipc_ctx *ctx, struct kipc_ctx *caller);
void kipc_acct_charge(struct kipc_ctx *ctx, const struct kipc_handle *h);

/*
 * The end of an operation that received a call to serve (or a reply):
 * settle what the call lends and start measuring an accounted call, or
 * count the served time its reply told, copy a window into the receive
 * buffer (kipc_op_end() and the fast path).
 *
 * Return: 1, or for a send's window copied into the receive buffer what
 * the sender gets (0 or -EFAULT): the caller then gives up the hidden
 * reply right with it (kipc_drop_reply()).
 */
static __always_inline int kipc_serve_todo(struct kipc_ctx *ctx,
					   const struct kipc_handle *h)
{
	int ack = 1;

	if (unlikely(ctx->pi.todo)) {
		if (ctx->pi.todo & KIPC_PI_TODO_CHARGE)
			kipc_acct_charge(ctx, h);
		if (ctx->pi.todo & KIPC_PI_TODO_LEND)
			kipc_pi_settle(ctx);
		if (ctx->pi.todo & KIPC_PI_TODO_ACCT)
			kipc_acct_begin(ctx);
		if (ctx->pi.todo & KIPC_PI_TODO_RBUF)
			ack = kipc_win_rbuf(ctx);
	}
	return ack;
}

/* restart.c */
void kipc_restart_note(struct kipc_restart *rs, unsigned int cmd,
		       const struct kipc_args *a);
bool kipc_restart_is(const struct kipc_restart *rs, unsigned int cmd,
		     const struct kipc_args *a);
bool kipc_restart_in_handler(const struct kipc_restart *rs);
bool kipc_restart_unmark(void);
void kipc_restart_init(void);
void kipc_restart_exit(void);

/* limits.c */
int kipc_charge(kuid_t uid, enum kipc_limit what, unsigned int n);
void kipc_uncharge(kuid_t uid, enum kipc_limit what, unsigned int n);

/* proc.c */
int kipc_proc_init(void);
void kipc_proc_exit(void);

#endif /* _KIPC_INTERNAL_H */
