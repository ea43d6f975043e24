/*
 * kipc.pml - a Promela model of kipc's rendezvous, for Debian's spin.
 *
 * The wait state machine (module/wait.c): one per context, field
 * ctx->wstate.  States: IDLE, SENDING (on an endpoint's sender queue),
 * RECEIVING (on an endpoint's receiver queue or a notification's waiter
 * queue), REPLY (a call delivered, waiting for its reply), BUSY (a partner
 * owns the context and is copying into it, holding ctx->lock), DONE
 * (result in ctx->wresult).  Transitions (state, event -> next state; who;
 * lock held), in the same words as wait.c's table, and where the model
 * makes them:
 *
 *  T1  IDLE, queue itself -> SENDING | RECEIVING
 *	who:   the owner task
 *	lock:  queue lock held (the queue lock pointer published first, then
 *	       the state with release)
 *	model: kipc_do_send, kipc_do_recv, kipc_ntfn_wait
 *  T2  SENDING, dequeued -> BUSY
 *	who:   the receiver that dequeues it
 *	lock:  queue lock held, then takes ctx->lock before dropping the
 *	       queue lock
 *	model: kipc_do_recv
 *  T3  BUSY, the message was a call it received -> REPLY
 *	who:   that partner
 *	lock:  ctx->lock
 *	model: kipc_do_recv
 *  T4  BUSY, message delivered -> DONE (result 0)
 *	who:   that partner
 *	lock:  ctx->lock
 *	model: kipc_do_recv
 *  T5  SENDING | RECEIVING, the wait ended -> DONE(err)
 *	who:   anyone holding the queue lock ending the wait: the last RECV
 *	       handle closed (EPIPE to senders and receivers), last SEND
 *	       handle closed (EPIPE to receivers unless a notification is
 *	       bound), a sender with more descriptors than the receiver
 *	       reserved (EMSGSIZE to that sender), cancel (ECANCELED), a
 *	       notification signal delivering bits to a waiter (0), a
 *	       sender delivering its message to a receiver (0: dequeued,
 *	       copied into and completed without ever dropping the lock, so
 *	       the receiver cannot withdraw meanwhile; -DBUG_DELIVER_UNLOCKED
 *	       drops it after the dequeue)
 *	lock:  the queue lock
 *	model: kipc_handle_drop, ntfn_unbind_locked, kipc_ntfn_release,
 *	       kipc_do_recv, kipc_do_send, kipc_wait_end (not own),
 *	       ntfn_raise, ntfn_flush_bound
 *  T6  SENDING | RECEIVING, timeout or signal -> IDLE
 *	who:   the owner withdrawing itself (timeout, signal)
 *	lock:  queue lock held; re-check the state under the lock; if it
 *	       moved on, the owner looks again
 *	model: kipc_wait_end (own)
 *  T7  IDLE, its call delivered directly -> REPLY
 *	who:   the caller itself, after it delivered its call directly to a
 *	       waiting receiver, reply_from = that receiver
 *	lock:  holding the lock of the queue it took the receiver from,
 *	       before it completes the receiver (-DBUG_T7_LATE: after)
 *	model: kipc_do_send
 *  T8  REPLY -> BUSY -> DONE(0)
 *	who:   the replier whose identity matches reply_from; a reply with
 *	       more descriptors than the caller reserved fails the reply
 *	       with EMSGSIZE and the server KEEPS the reply right (caller
 *	       stays REPLY)
 *	lock:  ctx->lock
 *	model: kipc_do_reply
 *  T9  REPLY, the server gives up the right or a cancel -> DONE(err)
 *	who:   the server gives up the right (closes its context, or
 *	       receives again without replying: ECONNRESET), or a cancel
 *	       (ECANCELED)
 *	lock:  ctx->lock
 *	model: kipc_drop_reply, kipc_wait_end (not own)
 *  T10 REPLY, withdrawn -> IDLE
 *	who:   the owner withdrawing (timeout, fatal signal, a handler ran
 *	       while parked); after it, a reply finds no caller: the reply
 *	       gets ECONNRESET, and reply_recv's reply finding no caller sets
 *	       KIPC_ST_REPLY_LOST in status but the receive goes on
 *	lock:  ctx->lock
 *	model: kipc_wait_end (own), from kipc_wait and kipc_wait_reply_end
 *  T11 DONE, result read -> IDLE
 *	who:   the owner, after reading the state with acquire
 *	lock:  none
 *	model: kipc_wait, kipc_wait_reply_end
 *
 * Withdraw (T6, T10 by the owner) and cancel (T5, T9 with ECANCELED by
 * another task) are one function in wait.c, "end this context's wait in
 * state st with result r": here kipc_wait_end(c, st, r, own).  Every store
 * to a wait state goes through ws_set(), which asserts that it is a row of
 * the table above, made with the lock the row names (-DNO_TABLE_CHECK
 * leaves that out, to see what a bug does next).
 *
 * Besides wait.c the model mirrors module/ipc.c (kipc_do_send,
 * kipc_do_recv, kipc_do_reply, kipc_drop_reply, kipc_wait, kipc_spin,
 * kipc_sleep, kipc_complete, kipc_ep_fail_waiters, kipc_ipc's operations,
 * kipc_ctx_release_ipc, kipc_cancel, and the parked calls of restart.c's
 * top comment: kipc_op_interrupted, kipc_op_resume, kipc_busy_slow,
 * kipc_park_abandon, kipc_wait_reply_end), module/notify.c
 * (kipc_ntfn_raise, kipc_ntfn_flush_bound, kipc_ntfn_take,
 * kipc_ntfn_wait, kipc_ntfn_bind, kipc_ntfn_unbind_locked,
 * kipc_ntfn_ep_dead, kipc_ntfn_release, kipc_ntfn_free's warning) and
 * kipc_handle_drop() of module/endpoint.c, over one endpoint, one
 * notification and a bounded number of contexts and messages.  Each
 * inline and proctype names the C function it mirrors.
 * selftests/host/model.sh runs it (several bounds, see there):
 *
 *	spin -a kipc.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000
 *
 * must end with "errors: 0", and with each bug variant (-DBUG_*, listed
 * in model.sh: a known bug put back, or a rule of the table taken out) it
 * must find an error.  -DLIVENESS adds an LTL property
 * (./pan -a -f).
 *
 * Processes: caller (call: the send phase, then the wait for the reply),
 * sender (send), server (recv, reply_recv, reply, giving a reply right up,
 * dying with one: kipc_ctx_release_ipc()), with -DCLOSER a bystander
 * that closes a SEND and a RECV handle, with -DCANCELLER one that cancels
 * (KIPC_IOC_CANCEL, or io_uring's watchdog) whatever the first caller, the
 * last server or the notification waiter waits for, at any moment, and
 * with -DREAPER one that takes the first caller's parked call away from
 * it at any moment (see park_claim).  With -DNTFN a notification: a
 * signaller (NSIGNALS signals, each its own bit), NWAITERS waiters
 * (NWAITS waits each), with -DBIND a binder that binds it to the endpoint
 * at any moment and may unbind it again, and with -DNTFN_CLOSER its
 * descriptor closed by another thread at any moment (else the signaller
 * and the binder close it when they are done).  With -DFDS messages and
 * replies carry 0 or 1 descriptor and receivers reserve 0 or 1 number
 * (EMSGSIZE).  Every client and server closes its own handle when it
 * exits, so the last handle with SEND or RECV closes in the end and
 * nothing has a reason to wait for ever.  Each operation picks how it may
 * end early: not at all, POLL, a signal (infinite timeouts: -ERESTARTSYS
 * while queued withdraws and re-issues the ioctl; in a call's reply phase
 * the call is parked, and its re-issued ioctl resumes it, after a handler
 * or not), a finite send or recv timeout, or a finite timeout for a whole
 * call.

 * What is checked:
 *  - the table: every wait state store is one of its transitions, with
 *    its lock held (ws_set);
 *  - no invalid end state: every process ends.  A sleeper is only woken by
 *    wake_up_process() (or by its signal or deadline, if its operation has
 *    one), so a lost wake-up is a process blocked for ever;
 *  - no message is delivered twice, and every delivery is received (a
 *    receive returns 0 with it); a receiver never waits while a sender is
 *    queued (ep_ok);
 *  - a call that returns 0 got exactly its own reply; a reply succeeds at
 *    most once per request, and only for a caller that then returns 0, or
 *    for a parked call that is abandoned (which drops it);
 *  - a phase that ended in ETIMEDOUT, EINTR, EAGAIN, EPIPE, EMSGSIZE or a
 *    restart delivered nothing; a call that fails after its request was
 *    delivered fails with EINTR, ETIMEDOUT, ECONNRESET or ECANCELED and got
 *    no reply (EINTR: a handler ran while it was parked, and the server's
 *    reply fails), or it never returned (its handler left by siglongjmp)
 *    or its re-issue found the context closed (EBADF), and a reply that
 *    came is dropped by the abandon;
 *  - the withdraw rule: a wait is ended (withdrawn or cancelled) only from
 *    the state it was seen in, re-checked under the lock, and then it is
 *    on the queue that state and ->qlock name;
 *  - replies: a reply that finds its caller no longer waiting gets
 *    ECONNRESET, and a reply_recv's status has KIPC_ST_REPLY_LOST exactly
 *    when its reply was not delivered, whether the receive then succeeds
 *    or fails; a reply refused with EMSGSIZE leaves the right with the
 *    server and the caller waiting (a later reply with fewer descriptors
 *    is delivered or finds the caller gone, never "no right": ENOENT);
 *  - locks: only the owner unlocks, no two context locks are held at once;
 *    at the end no lock is held, the queues are empty, no reply right is
 *    left, no call is parked and every context is IDLE and awake;
 *  - the last RECV handle: whenever ep->lock is free and no handle with
 *    RECV is left, no sender and no receiver is queued and no notification
 *    is bound (kipc_handle_drop() failed them with EPIPE and unbound it; a
 *    send, recv or bind that looked its handle up before the close finds
 *    nr_recv == 0 under the lock), and no receiver is queued once no SEND
 *    handle is left unless a notification is bound; so no receiver waits
 *    for ever for a sender that can never come: with -DCLOSER the SEND
 *    handle may stay open until every server is done, and a stranded
 *    receiver is a process blocked for ever (-DNO_DEAD_ASSERT leaves the
 *    invariant out, to see that);
 *  - notifications: no waiter waits while bits are pending that it could
 *    take (an unbound notification's waiters, a bound one's endpoint
 *    receivers: ntfn_ok, the notification's lost wake-up); a receive on
 *    the endpoint never takes a sender's message while its bound
 *    notification has bits pending; every signalled bit is taken by
 *    exactly one wait (or receive) or is still pending at the end; a
 *    notification is never freed while bound (kipc_ntfn_free's warning:
 *    the endpoint would point to freed memory);
 *  - parked calls: a reply is delivered at most once, and a reply that
 *    came while the call was parked is either returned by its resume (no
 *    handler ran, or one did and the reply was already there) or dropped
 *    by an abandon (after siglongjmp(), the task's exit or the close),
 *    never both and never to a later call; a call that ends with EINTR
 *    after a handler never had its reply delivered; a call is never sent
 *    again once delivered; an operation from the handler finds the context
 *    busy and leaves the park alone; exactly one claim of a park (the
 *    resume, the task's next operation after siglongjmp(), another
 *    thread's once the task is exiting, the close) wins, and an operation
 *    starts on an idle context;
 *  - -DLIVENESS: every wait of context LIVE (the first caller unless
 *    told; -DLIVE=WAITER0 the notification waiter) ends (weak fairness);
 *    with -DCLOSER: the last server's wait in recv ends once no RECV
 *    handle is left.
 *
 * What is abstracted away: message contents (a message is its id; a reply
 * echoes the request's id; notification bits are the bits), the copy,
 * credentials, badges and rights checks, descriptors beyond their count
 * (which files, installing them, the in-flight limit), the busy bit (each
 * process runs one operation at a time on its own context; a parked call
 * keeps it, and the claim takes it over), references and freeing (but for
 * the notification's), time (a finite deadline is a flag that may become
 * true at any moment, and stays so), how long a spin lasts (->spin_ok and
 * the spin budget are free choices), SA_RESTART and handlers for withdrawn
 * phases (a -ERESTARTSYS always restarts), a signal together with a finite
 * timeout in one operation, and a reply_recv's restart after its reply
 * went out (so the -ERESTARTNOHAND re-issue of a withdrawn phase with its
 * noted deadlines and REPLY_LOST is the -ERESTARTSYS restart here: both
 * withdraw and receive or send again, and the reply is not sent again),
 * fatal signals (a withdrawal with EINTR, as a deadline's with ETIMEDOUT),
 * how the re-issued ioctl is recognised and whether a handler ran in
 * between (kipc_restart_is(), the mark rt_sigreturn() clears: a free
 * choice here), the pinning and descriptors of a parked call, io_uring,
 * poll, TIF_NOTIFY_SIGNAL, and weak memory: the model is sequentially
 * consistent, the barriers are modelled by the order of the steps, and
 * -DBUG_LOST_WAKEUP shows the reordering the smp_mb() pair forbids.  Each
 * context waits on one kind of queue only (callers, senders and servers on
 * the endpoint, notification waiters on the notification), so its ->qlock
 * never changes once set, and a canceller's lockless read of it after the
 * state is taken in the step that locks it.
 *
 * Steps: a step holds at most one access to state that another process
 * touches without holding the same lock (wstate, sleeping, the task
 * state); accesses to data under a held lock commute with the others and
 * join the step (Lipton's reduction).  Exceptions, each argued where it is
 * made, only drop interleavings that end in a spurious wake-up or re-read
 * a wait state that cannot come back.
 *
 * send_recv (ABI 1.3) adds no transition and is not a process here: it
 * is a sender's phase (T1, T2, T4, T5, T6) on one endpoint followed by a
 * receiver's on another (the model has one endpoint), and a restart after
 * its send is the rule already modelled for a reply_recv whose reply went
 * out: the first phase is not done again (selftests/send_recv.c checks it
 * under a storm of signals).
 *
 * Bounds (spin -DNAME=VALUE): NCALLERS callers with NCALLS calls each,
 * NSENDERS senders with one send each, NSERVERS servers with up to NSRVOPS
 * receives each, NSIG signals per client (a parked call's resume may be
 * parked again only with NSIG > 1), NSRVSIG per server; -DNOSPIN:
 * waiters sleep at once (spin_ns=0); with -DNTFN NSIGNALS (1 or 2) signals
 * and NWAITERS waiters with NWAITS waits each.
 */

#ifndef NCALLERS
#define NCALLERS	1
#endif
#ifndef NCALLS
#define NCALLS		2
#endif
#ifndef NSENDERS
#define NSENDERS	0
#endif
#ifndef NSERVERS
#define NSERVERS	1
#endif
#ifndef NSRVOPS
#define NSRVOPS		2
#endif
#ifndef NSIG
#define NSIG		1
#endif
#ifndef NSRVSIG
#define NSRVSIG		1
#endif
#ifdef NTFN
#ifndef NWAITERS
#define NWAITERS	1
#endif
#ifndef NWAITS
#define NWAITS		2
#endif
#ifndef NSIGNALS
#define NSIGNALS	2
#endif
#else
#undef NWAITERS
#define NWAITERS	0
#endif

/* Contexts: callers, then senders, then servers, then notification waiters. */
#define NCTX		(NCALLERS + NSENDERS + NSERVERS + NWAITERS)
#define LASTSRV		(NCALLERS + NSENDERS + NSERVERS - 1)
#define WAITER0		(NCALLERS + NSENDERS + NSERVERS)
/* Message ids: 1.. (0: none). */
#define NMSG		(NCALLERS * NCALLS + NSENDERS + 1)

/* enum kipc_wstate */
#define IDLE		0
#define SENDING		1
#define RECEIVING	2
#define REPLY		3
#define BUSY		4
#define DONE		5

#define queued(s)	((s) == SENDING || (s) == RECEIVING)

/* Results. */
#define OK		0
#define EPIPE		1
#define EAGAIN		2
#define ETIMEDOUT	3
#define EINTR		4
#define ERESTART	5	/* -ERESTARTSYS: the ioctl is restarted */
#define ECONNRESET	6
#define PENDING		7	/* ghost: not finished yet */
#define ECANCELED	8
#define EPARK		9	/* -ERESTARTNOINTR, op->park: parked */
#define EBADF		10	/* the re-issue found its context closed */
#define NORET		11	/* ghost: never returned (siglongjmp) */
#define EMSGSIZE	12
#define EBUSY		13
#define ENOENT		14

/* Ghost phase of a call parked last (see check_result). */
#define PARKED		6

/* Timeouts: KIPC_TIMEOUT_POLL, a finite one, KIPC_TIMEOUT_INFINITE. */
#define T_POLL		0
#define T_FIN		1
#define T_INF		2

/* ->qlock: the endpoint's lock or the notification's. */
#define QL_EP		1
#define QL_NTFN		2

#define NONE		255

/* struct kipc_ctx, one per process */
byte wstate[NCTX];			/* ->wstate */
byte wresult[NCTX];			/* ->wresult */
byte ctxlock[NCTX];			/* ->lock: 0 or owner's _pid + 1 */
bool sleeping[NCTX];			/* ->sleeping */
bool running[NCTX] = true;		/* the task's state: TASK_RUNNING? */
byte reply_to[NCTX] = NONE;		/* ->reply_to */
byte reply_from[NCTX] = NONE;		/* ->reply_from */
byte qlock[NCTX] = QL_EP;		/* ->qlock: QL_EP, QL_NTFN (see init) */
byte qmsg[NCTX];			/* ->tag of a queued sender: its message */
bool qcall[NCTX];			/* ->call */
byte qfds[NCTX];			/* KIPC_TAG_FDS(->tag): descriptors it carries */
byte nrfd[NCTX];			/* ->nrfd: numbers reserved to receive */
byte area[NCTX];			/* the message in the context's area */
bool area_call[NCTX];			/* KIPC_TAG_F_CALL in its tag */
byte abits[NCTX];			/* notification bits in it (badge, ST_NOTIFY) */
bool parked[NCTX];			/* ->park_task != NULL */

/* struct kipc_ep */
byte eplock;				/* ->lock */
chan senders = [NCTX] of { byte };	/* ->senders, FIFO */
chan receivers = [NCTX] of { byte };	/* ->receivers, FIFO */
/*
 * Handles: each client holds one with SEND, each server one with RECV, and
 * closes it when it exits.  With -DCLOSER they are threads that share one
 * descriptor with SEND and one with RECV, which another thread closes at
 * any moment, while operations through them wait.
 */
#ifndef CLOSER
#define NCLOSER		0
byte nr_send = NCALLERS + NSENDERS;	/* ->nr_send */
byte nr_recv = NSERVERS;		/* ->nr_recv */
#else
#define NCLOSER		1
byte nr_send = 1;
byte nr_recv = 1;
#endif

/*
 * struct kipc_ntfn, with -DNTFN.  Bound (->ep, and the endpoint's ->ntfn)
 * or not; while bound, ->bits change only under both locks.  Its file is
 * one reference (nrefs) until its last descriptor closes
 * (kipc_ntfn_release()); each operation holds one from its lookup on.
 */
#ifdef NTFN
#define NWQ		NCTX
#else
#define NWQ		1
#endif
byte ntfnlock;				/* ->lock */
byte nbits;				/* ->bits */
bool nbound;				/* ->ep == ep, ep->ntfn == ntfn */
bool nclosed;				/* ->closed */
chan nwaiters = [NWQ] of { byte };	/* ->waiters, FIFO */
#ifdef NTFN
#ifdef NTFN_CLOSER
#define NNTFNFD		1		/* one descriptor, another thread's */
#elif defined(BIND)
#define NNTFNFD		2		/* the signaller's, the binder's */
#else
#define NNTFNFD		1		/* the signaller's */
#endif
byte nfds = NNTFNFD;			/* descriptors open */
byte nrefs = 1;				/* ->ref */
#else
byte nfds;
byte nrefs;
#endif

/* Ghosts, per message id. */
byte delivered[NMSG];		/* kipc_transfer() of the request */
byte taken[NMSG];		/* a receive returned 0 with it */
byte replied[NMSG];		/* kipc_do_reply() returned 0 for it */
byte final[NMSG] = PENDING;	/* what the send or call finally returned */
byte discarded[NMSG];		/* a parked call's abandon dropped its reply */
byte parkmsg[NCTX];		/* the parked call's message */
byte finished;			/* processes done */
byte srvdone;			/* servers done */
/* Ghosts of the notification: bits signalled, and per bit the waits that took it. */
byte nsig;
byte ntaken[2];

/*
 * spin_lock(), spin_unlock(); lock order: ep->lock, then ntfn->lock, then
 * one ctx lock.
 *
 * Steps: a critical section is one atomic step when it holds at most one
 * access to state that another process reads or writes without that lock
 * (wstate, sleeping, the task state); the accesses to data the lock
 * protects commute with everything else (Lipton's reduction).  Where a
 * lock cannot be had at once the atomic step is broken there, as in spin.
 */
inline lock(l)
{
	atomic { l == 0 -> l = _pid + 1 }
}

inline unlock(l)
{
	assert(l == _pid + 1);
	l = 0
}

inline ctx_lock(c)
{
	/* No two context locks are ever held together. */
	assert(held == NONE);
	lock(ctxlock[c]);
	held = c
}

inline ctx_unlock(c)
{
	assert(held == c);
	unlock(ctxlock[c]);
	held = NONE
}

/* spin_lock(ctx->qlock), spin_unlock(ctx->qlock) */
inline ql_lock(q)
{
	if
	:: q == QL_EP -> lock(eplock)
	:: else -> assert(q == QL_NTFN); lock(ntfnlock)
	fi
}

inline ql_unlock(q)
{
	if
	:: q == QL_EP -> unlock(eplock)
	:: else -> unlock(ntfnlock)
	fi
}

#define ql_held(c)	(qlock[c] == QL_EP && eplock == _pid + 1 || \
			 qlock[c] == QL_NTFN && ntfnlock == _pid + 1)
#define cl_held(c)	(ctxlock[c] == _pid + 1)

/*
 * Every store to a wait state: context c goes to state @to.  The table at
 * the top, row by row: the transition from the state c is in, with the
 * lock the row names held by whoever makes it.  T7's "holding the
 * receiver's queue lock" is the lock of the queue the receiver reply_from
 * names was taken from.
 */
inline ws_set(c, to)
{
#ifndef NO_TABLE_CHECK
	assert(
	    wstate[c] == IDLE && queued(to) && ql_held(c) ||		/* T1 */
	    queued(wstate[c]) && to == BUSY && ql_held(c) && cl_held(c) || /* T2 */
	    wstate[c] == BUSY && to == REPLY && cl_held(c) ||		/* T3 */
	    wstate[c] == BUSY && to == DONE && cl_held(c) ||		/* T4, T8 */
	    queued(wstate[c]) && to == DONE && ql_held(c) ||		/* T5 */
	    queued(wstate[c]) && to == IDLE && ql_held(c) ||		/* T6 */
	    wstate[c] == IDLE && to == REPLY && reply_from[c] != NONE &&
	      ql_held(reply_from[c]) ||					/* T7 */
	    wstate[c] == REPLY && to == BUSY && cl_held(c) ||		/* T8 */
	    wstate[c] == REPLY && to == DONE && cl_held(c) ||		/* T9 */
	    wstate[c] == REPLY && to == IDLE && cl_held(c) ||		/* T10 */
	    wstate[c] == DONE && to == IDLE);				/* T11 */
#endif
	wstate[c] = to
}

/*
 * kipc_complete(): hand @c its result (complete_done), then look whether
 * it sleeps and wake it (complete_wake, which starts the next step).
 * wresult is published with the DONE store (smp_store_release, paired
 * with the acquire in kipc_wait); the smp_mb() orders that store before
 * the load of ->sleeping, pairing with the barrier of set_current_state()
 * after kipc_sleep() set ->sleeping: either we see it sleeping or it sees
 * DONE.  The load and the wake are one step: splitting them only adds late
 * (spurious) wake-ups, which kipc_wait() takes as such.
 *
 * -DBUG_LOST_WAKEUP leaves the smp_mb() out: the load may then be
 * satisfied before the store is visible (store buffering, even on x86), so
 * it moves before the DONE store.
 */
inline complete_done(c, result)
{
#ifdef BUG_LOST_WAKEUP
	ws = sleeping[c];
#endif
	atomic { wresult[c] = result; ws_set(c, DONE) }
}

#ifndef BUG_LOST_WAKEUP
#define complete_wake(c)	if :: sleeping[c] -> running[c] = true :: else fi
#else
#define complete_wake(c)	if :: ws -> running[c] = true :: else fi; ws = false
#endif

/*
 * A signal or an expired deadline may show up whenever the waiter looks:
 * signal_pending() stays true once a signal came, a deadline stays passed.
 * The send deadline counts only while SENDING (there dl is the earlier of
 * the two).
 */
inline maybe_event(st)
{
	if
	:: sigok && !sigp -> sigp = true
	:: st == SENDING && sdl == T_FIN && !sexp -> sexp = true
	:: rdl == T_FIN && !rexp -> rexp = true
	:: true
	fi
}

#define expired(st)	((st == SENDING && (sexp || rexp)) || (st != SENDING && rexp))

/*
 * The re-check under the lock (T6, T10 by the owner; T5, T9 by a cancel):
 * the wait is ended only if it is still in the state it was seen in, and,
 * queued, still under the lock taken.  -DBUG_WITHDRAW_NO_RECHECK leaves it
 * out for the owner (withdraw), -DBUG_CANCEL_STALE for another task's
 * queued wait (cancel trusts its lockless look).
 */
#ifndef BUG_WITHDRAW_NO_RECHECK
#define recheck_own	(wstate[c] == st)
#else
#define recheck_own	true
#endif
#ifndef BUG_CANCEL_STALE
#define recheck_other	(wstate[c] == st && qlock[c] == ql)
#else
#define recheck_other	true
#endif

/* The end itself: the owner's wait goes IDLE, another's DONE(r). */
inline end_wait_now(c, st, r, own)
{
	if
	:: own ->
		ws_set(c, IDLE);		/* T6, T10 */
		phase = st			/* ghost: the phase withdrawn */
	:: else ->
		complete_done(c, r);		/* T5, T9 */
		complete_wake(c)
	fi;
	wd = true
}

/*
 * wait.c's one function that ends context c's wait in state st with
 * result r: by its owner (own: a timeout, a signal, a handler that ran
 * while the call was parked; the context goes back to IDLE and the owner
 * returns r) or by another task (a cancel: DONE with r).  Under the queue
 * lock (->qlock: stable for the owner; another task reads it after the
 * state, and trusts it only if the context is still queued under it) for
 * a queued wait, under c's own lock for REPLY.  wd tells whether it ended
 * the wait; if not, a partner got there first and the state moved on: the
 * owner looks again (the phase, and so the right error, may have changed),
 * a cancel finds nothing to do (ENOENT).  Each branch is one step: only a
 * lock holder moves c out of a queued state (the queue lock) or REPLY (its
 * own lock).
 */
inline kipc_wait_end(c, st, r, own)
{
	if
	:: queued(st) ->
		atomic {
			ql = qlock[c];
			ql_lock(ql);
			if
			:: own && recheck_own || !own && recheck_other ->
				if
				:: st == SENDING && senders??[eval(c)] ->
					senders??eval(c)
				:: st == RECEIVING && ql == QL_EP &&
				   receivers??[eval(c)] ->
					receivers??eval(c)
				:: st == RECEIVING && ql == QL_NTFN &&
				   nwaiters??[eval(c)] ->
					nwaiters??eval(c)
				:: else ->
					/*
					 * Not on the queue its state names: only
					 * a look not re-checked gets here.
					 */
#ifdef BUG_WITHDRAW_NO_RECHECK
					assert(own)	/* list_del_init() again */
#else
					assert(false)
#endif
				fi;
				end_wait_now(c, st, r, own)
			:: else
			fi;
			ql_unlock(ql);
			ql = 0
		}
	:: st == REPLY ->
		atomic {
			ctx_lock(c);
			if
			:: own && recheck_own || !own && wstate[c] == REPLY ->
				reply_from[c] = NONE;
				end_wait_now(c, st, r, own)
			:: else
			fi;
			ctx_unlock(c)
		}
	:: else -> assert(false)
	fi
}

#ifdef BUG_RESTART_RACE
/*
 * kipc_withdraw() before 435d35d: withdraws from whatever state it finds
 * and returns it in wst (DONE: a partner finished first).  kipc_wait()
 * then returned the error it had chosen for the state seen before.
 */
inline kipc_withdraw_old(me)
{
	wst = wstate[me];
	if
	:: wst == SENDING || wst == RECEIVING ->
		atomic {
			lock(eplock);
			wst = wstate[me];
			if
			:: wst == SENDING -> senders??eval(me); ws_set(me, IDLE)
			:: wst == RECEIVING -> receivers??eval(me); ws_set(me, IDLE)
			:: else
			fi;
			unlock(eplock)
		}
	:: else
	fi;
	if
	:: wst == SENDING || wst == RECEIVING
	:: else ->
		/* Taking our own lock waits out a partner that owns us. */
		atomic {
			ctx_lock(me);
			wst = wstate[me];
			if
			:: wst == REPLY ->
				reply_from[me] = NONE;
				ws_set(me, IDLE)
			:: else
			fi;
			ctx_unlock(me)
		}
	fi
}
#endif

/*
 * kipc_sleep(): publish ->sleeping, set_current_state(TASK_INTERRUPTIBLE)
 * (a full barrier), look at the state once more, then schedule() until
 * wake_up_process(), a signal (signal_wake_up) or the hrtimer.  Without a
 * possible signal and with no deadline, only a wake-up ends the sleep: a
 * lost one leaves the process blocked for ever.
 */
inline kipc_sleep(me, st)
{
	atomic { sleeping[me] = true; running[me] = false };
	if
	:: atomic { wstate[me] != st -> running[me] = true; sleeping[me] = false }
	:: wstate[me] == st ->
		/* schedule(); then __set_current_state(TASK_RUNNING) and
		 * ->sleeping = false, in the same step (see complete_wake) */
		if
		:: atomic { running[me] -> sleeping[me] = false }
		:: atomic { sigok && !sigp -> sigp = true;
			    running[me] = true; sleeping[me] = false }
		:: atomic { st == SENDING && sdl == T_FIN && !sexp -> sexp = true;
			    running[me] = true; sleeping[me] = false }
		:: atomic { rdl == T_FIN && !rexp -> rexp = true;
			    running[me] = true; sleeping[me] = false }
		fi
	fi
}

/* What kipc_wait() does next. */
#define A_LOOK		0
#define A_DONE		1
#define A_BUSY		2
#define A_WITHDRAW	3
#define A_SPIN		4
#define A_SLEEP		5

/* A signal or a deadline can still come (it ends a spin or a sleep). */
#define can_event(st)	((sigok && !sigp) || \
			 (st == SENDING && sdl == T_FIN && !sexp) || \
			 (rdl == T_FIN && !rexp))

/*
 * kipc_wait(): wait until a partner has finished with @me (DONE), or until
 * a signal or a deadline; then withdraw (kipc_wait_end, own), and return
 * the error chosen for the state withdrawn from.  Result in res.  Uses
 * the op's sdl, rdl, sexp, rexp, sigok, sigp, srestart, rrestart and
 * spinning (->spin_ok).
 *
 * A (non-fatal) signal in the reply phase parks the call, whatever its
 * disposition (EPARK, -ERESTARTNOINTR): not withdrawn, it stays in REPLY,
 * and a partner may go on with it (BUSY, DONE) while the task is away;
 * the kernel always issues the ioctl again (see park_claim).
 * -DBUG_PARK_WITHDRAW withdraws the parked call and restarts it as if
 * nothing had been sent: the call is sent twice.
 *
 * Each look at the state (smp_load_acquire) is one step with what the
 * waiter decides from it.  DONE is final for everybody but the waiter, and
 * a wait state never comes back once left, so:
 *  - taking the result is part of the look that sees DONE (T11);
 *  - kipc_spin() is the wait for the state to leave st (or a signal or a
 *    deadline to come) and the look that follows it, in one step; when
 *    its budget runs out it sleeps: that is chosen at the look;
 *  - waiting out a partner that owns us (BUSY: spin_lock(&me->lock),
 *    spin_unlock()) is the wait for our lock to be free and the next look.
 */
inline kipc_wait(me)
{
	do
	:: atomic {
		(act == A_LOOK ||
		 act == A_BUSY && ctxlock[me] == 0 ||
		 act == A_SPIN && (wstate[me] != st || can_event(st))) ->
		st = wstate[me];
		/* Only a context in a wait state waits (no claim stole it). */
		assert(st != IDLE);
		if
		:: st == DONE ->
			res = wresult[me];
			ws_set(me, IDLE);		/* T11 */
			phase = DONE;
			act = A_DONE
		:: st == BUSY ->
			act = A_BUSY
		:: else ->
			maybe_event(st);
			if
			:: sigp ->
				err = EINTR;
				if
				:: (st == SENDING && srestart) ||
				   (st == RECEIVING && rrestart) -> err = ERESTART
				:: st == REPLY -> err = EPARK
				:: else	/* -ERESTARTNOHAND: not here */
				fi
			:: !sigp && expired(st) -> err = ETIMEDOUT
			:: else -> err = OK
			fi;
			if
			:: err != OK -> act = A_WITHDRAW
			:: err == OK && spinning -> act = A_SPIN
			:: err == OK && spinning -> spinning = false; act = A_SLEEP
			:: err == OK && !spinning -> act = A_SLEEP
			fi
		fi
	   };
		if
		:: act == A_DONE -> break
		:: act == A_BUSY || act == A_SPIN	/* the next look waits */
#ifndef BUG_PARK_WITHDRAW
		:: act == A_WITHDRAW && err == EPARK ->
			/* kipc_op_interrupted() parks it as it is. */
			res = EPARK; phase = PARKED; break
#else
		:: act == A_WITHDRAW && err == EPARK ->
			kipc_wait_end(me, st, ERESTART, true);
			if
			:: wd -> res = ERESTART; break	/* sent again */
			:: else -> act = A_LOOK
			fi
#endif
		:: act == A_WITHDRAW && err != EPARK ->
#ifndef BUG_RESTART_RACE
			kipc_wait_end(me, st, err, true);
			if
			:: wd -> res = err; break
			:: else -> act = A_LOOK	/* moved on: look again */
			fi
#else
			kipc_withdraw_old(me);
			if
			:: wst != DONE -> res = err; phase = wst; break
			:: else -> act = A_LOOK	/* DONE: taken at the next look */
			fi
#endif
		:: act == A_SLEEP -> kipc_sleep(me, st); act = A_LOOK
		fi
	od;
	atomic { st = IDLE; err = OK; wd = false; spinning = false; act = A_LOOK }
}

/*
 * No handle with RECV left: nobody is queued and no notification is bound;
 * no handle with SEND left and no notification bound: no receiver is
 * queued; and never a receiver queued while a sender is (it would have
 * taken it, or failed it with EMSGSIZE and taken the next).  Holds
 * whenever ep->lock is free: checked where a queue grows, nr_recv or
 * nr_send drops or the binding changes, ep->lock held.
 */
#ifndef NO_DEAD_ASSERT
#define ep_ok()	assert(nr_recv > 0 || len(receivers) + len(senders) == 0 && !nbound); \
		assert(nr_send > 0 || nbound || len(receivers) == 0); \
		assert(len(senders) == 0 || len(receivers) == 0)
#else
#define ep_ok()	skip	/* the end state or LTL property's turn */
#endif

/*
 * A notification's lost wake-up: bits pending while a wait that could take
 * them waits.  Bound: a receiver on the endpoint (checked with ep->lock
 * held, which every change of a bound notification's bits holds);
 * unbound: a waiter on the notification (ntfn->lock held).
 */
#ifndef NO_NTFN_ASSERT
#define ntfn_ok_bound()		assert(!nbound || nbits == 0 || len(receivers) == 0)
#define ntfn_ok_unbound()	assert(nbound || nbits == 0 || len(nwaiters) == 0)
#else
#define ntfn_ok_bound()		skip
#define ntfn_ok_unbound()	skip
#endif

/*
 * kipc_do_send(): the send phase of send (call false) and call (true) of
 * message mymsg, carrying sfds descriptors, with send timeout sdl.  Result
 * in res; for a call that delivered, after the whole call.
 */
inline kipc_do_send(me, call)
{
	atomic {
		/* The context is ours: nothing of an earlier operation is left. */
		assert(wstate[me] == IDLE && !parked[me]);
		res = PENDING;
		lock(eplock);
		if
		:: nr_recv == 0 ->
			unlock(eplock);
			res = EPIPE
		:: else ->
			if
			:: len(receivers) > 0 ->
				receivers?<pt>;
				if
				:: sfds > nrfd[pt] ->
					/* It cannot take them: it waits on. */
					unlock(eplock);
					pt = NONE;
					res = EMSGSIZE
				:: else ->
					/* Deliver into its area, ep->lock held throughout. */
					receivers?pt;
#ifdef BUG_DELIVER_UNLOCKED
					unlock(eplock);
#endif
					area[pt] = mymsg;	/* kipc_transfer() */
					area_call[pt] = call;
					abits[pt] = 0;
					delivered[mymsg]++;
					assert(delivered[mymsg] == 1)
				fi
			:: else ->
				if
				:: sdl == T_POLL ->
					unlock(eplock);
					res = EAGAIN
				:: else ->
					qmsg[me] = mymsg;
					qcall[me] = call;
					qfds[me] = sfds;
					qlock[me] = QL_EP;	/* kipc_queued() */
					ws_set(me, SENDING);		/* T1 */
					senders!me;
					ep_ok();
					unlock(eplock)
				fi
			fi
		fi
	};
	if
	:: pt != NONE ->
		if
		:: call ->
#ifndef BUG_T7_LATE
			/* Become its caller before it can run. */
			atomic {
				assert(reply_to[pt] == NONE);
				reply_to[pt] = me;
				reply_from[me] = pt;
				ws_set(me, REPLY)		/* T7 */
			}
#else
			pt2 = pt
#endif
		:: else -> res = OK
		fi;
		complete_done(pt, OK);			/* T5 (0) */
#ifndef BUG_DELIVER_UNLOCKED
		atomic { complete_wake(pt); unlock(eplock); pt = NONE }
#else
		atomic { complete_wake(pt); pt = NONE }
#endif
#ifdef BUG_T7_LATE
		/* Its caller only after ep->lock is dropped: it may have run. */
		;
		if
		:: call ->
			atomic {
				reply_to[pt2] = me;
				reply_from[me] = pt2;
				ws_set(me, REPLY);		/* T7 */
				pt2 = NONE
			}
		:: else
		fi
#endif
	:: else
	fi;
	if
	:: res == PENDING -> kipc_wait(me)
	:: else
	fi
}

/* kipc_ntfn_deliver(): bits b into context c's area (status KIPC_ST_NOTIFY). */
inline ntfn_deliver(c, b)
{
	abits[c] = b;
	area[c] = 0;
	area_call[c] = false
}

/*
 * kipc_ntfn_take(), ep->lock held: a bound notification's pending bits go
 * to @me first, before any sender (res = OK).
 */
inline ntfn_take(me)
{
	if
	:: nbound ->
		lock(ntfnlock);
		if
		:: nbits != 0 ->
			ntfn_deliver(me, nbits);
			nbits = 0;
			res = OK
		:: else
		fi;
		unlock(ntfnlock)
	:: else
	fi
}

/*
 * kipc_do_recv(): the receive phase of recv and reply_recv, with nrfd[me]
 * descriptor numbers reserved.  Result in res.  Pending bits of a bound
 * notification come first (-DBUG_NTFN_NO_PRECEDENCE: only when no sender
 * waits); then queued senders with more descriptors than reserved fail
 * with EMSGSIZE (T5; -DBUG_EMSGSIZE_STRANDED takes them off the queue
 * without completing them).  The handle may have been closed since the
 * lookup (with -DCLOSER): if it was the last with RECV, or no SEND handle
 * and no bound notification is left, recv fails with EPIPE rather than
 * queueing where kipc_handle_drop() will never look again.
 * -DBUG_RECV_NO_RECHECK leaves the nr_recv test out.
 *
 * Failing the senders too big for us and taking the next are one step
 * (ep->lock held throughout): a failed sender can only see its DONE and go
 * IDLE meanwhile, and anything it does next needs ep->lock.
 */
inline kipc_do_recv(me)
{
	atomic {
		assert(wstate[me] == IDLE);
		res = PENDING;
		lock(eplock);
#ifndef BUG_NTFN_NO_PRECEDENCE
		ntfn_take(me);
#else
		if
		:: len(senders) == 0 -> ntfn_take(me)
		:: else
		fi;
#endif
		do
		:: res == PENDING && len(senders) > 0 ->
			senders?<pt>;
			if
			:: qfds[pt] > nrfd[me] ->
				senders?pt;
#ifndef BUG_EMSGSIZE_STRANDED
				complete_done(pt, EMSGSIZE);	/* T5 */
				complete_wake(pt);
#endif
				pt = NONE
			:: else -> pt = NONE; break
			fi
		:: else -> break
		od;
		if
		:: res == OK ->
			/* The notification's bits. */
			unlock(eplock)
		:: res == PENDING && len(senders) > 0 ->
			/* Never a message while bound bits are pending. */
			assert(!nbound || nbits == 0);
			/* A sender waits: fetch its message into our area. */
			senders?pt;
			ctx_lock(pt);
			ws_set(pt, BUSY);			/* T2 */
			unlock(eplock);
			area[me] = qmsg[pt];		/* kipc_transfer() */
			area_call[me] = qcall[pt];
			abits[me] = 0;
			delivered[qmsg[pt]]++;
			assert(delivered[qmsg[pt]] == 1)
		:: else ->
#ifdef BUG_NTFN_NO_PRECEDENCE
			ntfn_take(me);
#endif
			if
			:: res == OK -> unlock(eplock)
#ifndef BUG_RECV_NO_RECHECK
			:: res != OK && (nr_send == 0 && !nbound || nr_recv == 0) ->
#else
			:: res != OK && nr_send == 0 && !nbound ->
#endif
				unlock(eplock);
				res = EPIPE
			:: else ->
				if
				:: rdl == T_POLL ->
					unlock(eplock);
					res = EAGAIN
				:: else ->
					qlock[me] = QL_EP;	/* kipc_queued() */
					ws_set(me, RECEIVING);		/* T1 */
					receivers!me;
					ep_ok();
					ntfn_ok_bound();
					unlock(eplock)
				fi
			fi
		fi
	};
	if
	:: res != PENDING
	:: res == PENDING && pt == NONE -> kipc_wait(me)
	:: res == PENDING && pt != NONE ->
		if
		:: qcall[pt] ->
			/* The caller sleeps on, now waiting for our reply. */
			atomic {
				reply_to[me] = pt;
				reply_from[pt] = me;
				ws_set(pt, REPLY);		/* T3 */
				ctx_unlock(pt);
				pt = NONE
			}
		:: else ->
			complete_done(pt, OK);		/* T4 */
			atomic { complete_wake(pt); ctx_unlock(pt); pt = NONE }
		fi;
		res = OK
	fi
}

/*
 * kipc_do_reply(): reply to the caller @me holds the right for, with the
 * message in @me's area (the request's id, echoed) carrying rfds
 * descriptors.  Result in rr: OK, ECONNRESET (the caller no longer waits:
 * it withdrew, T10, or was cancelled, T9), or EMSGSIZE (more descriptors
 * than the caller reserved: nothing happens, the right stays and the
 * caller waits on; -DBUG_REPLY_EMSGSIZE_DROPS_RIGHT gives the right up
 * there), or ENOENT (no right: kipc_ipc()'s check).
 */
inline kipc_do_reply(me)
{
	atomic {
		pt = reply_to[me];
		rmsg = area[me];
		if
		:: pt == NONE -> rr = ENOENT
		:: else ->
			ctx_lock(pt);
			if
			:: wstate[pt] == REPLY && reply_from[pt] == me &&
			   rfds > nrfd[pt] ->
				rr = EMSGSIZE;
#ifdef BUG_REPLY_EMSGSIZE_DROPS_RIGHT
				reply_to[me] = NONE;
#endif
				ctx_unlock(pt);
				pt = NONE
			:: wstate[pt] == REPLY && reply_from[pt] == me &&
			   rfds <= nrfd[pt] ->
				reply_from[pt] = NONE;
				ws_set(pt, BUSY);		/* T8 */
				reply_to[me] = NONE;
				area[pt] = rmsg;		/* kipc_transfer() */
				area_call[pt] = false;
				abits[pt] = 0;
				replied[rmsg]++;
				assert(replied[rmsg] == 1);
				rr = OK
			:: else ->
				reply_to[me] = NONE;
				rr = ECONNRESET;
				ctx_unlock(pt);
				pt = NONE
			fi
		fi;
		/* ghost: this request's reply was sent and not delivered */
		gone = (rr != ENOENT && replied[rmsg] == 0);
		rmsg = 0
	};
	if
	:: rr == OK ->
		complete_done(pt, OK);			/* T8 */
		atomic { complete_wake(pt); ctx_unlock(pt); pt = NONE }
	:: else
	fi
}

/* kipc_drop_reply(): give the reply right up; a waiting caller gets err. */
inline kipc_drop_reply(me, result)
{
	atomic {
		pt = reply_to[me];
		reply_to[me] = NONE;
		if
		:: pt != NONE ->
			ctx_lock(pt);
			if
			:: wstate[pt] == REPLY && reply_from[pt] == me ->
				reply_from[pt] = NONE
			:: else ->
				ctx_unlock(pt);
				pt = NONE
			fi
		:: else
		fi
	};
	if
	:: pt != NONE ->
		complete_done(pt, result);		/* T9 */
		atomic { complete_wake(pt); ctx_unlock(pt); pt = NONE }
	:: else
	fi
}

/*
 * kipc_ep_fail_waiters(), one waiter at a time, ep->lock held: the next
 * context to fail is taken off its queue; if there is none, ep->lock is
 * dropped (the end of kipc_handle_drop()).  When the handle dropped was
 * the last with RECV (drecv, nr_recv now 0: the endpoint is dead), both
 * queues fail; when no handle with SEND is left and no notification is
 * bound, the receivers do.  -DBUG_STRANDED_RECEIVER is the rule before:
 * the last RECV handle fails only the senders, and a receiver that had
 * queued through a handle since closed waits until the last SEND handle
 * closes, maybe for ever.
 */
#ifndef BUG_STRANDED_RECEIVER
#define ep_dead(drecv)	(drecv && nr_recv == 0)
#else
#define ep_dead(drecv)	false
#endif

inline kipc_ep_fail_next(drecv)
{
	if
	:: drecv && nr_recv == 0 && len(senders) > 0 -> senders?pt
	:: else ->
		if
		:: (ep_dead(drecv) || nr_send == 0 && !nbound) &&
		   len(receivers) > 0 ->
			receivers?pt
		:: else -> pt = NONE; ep_ok(); ntfn_ok_bound(); unlock(eplock)
		fi
	fi
}

/* Every context on queue q fails with err (T5); its lock held. */
#define fail_all(q, err) \
	do \
	:: len(q) > 0 -> q?pt; complete_done(pt, err); complete_wake(pt) \
	:: else -> pt = NONE; break \
	od

/*
 * kipc_ntfn_unbind_locked(), both locks held: a receiver that could only
 * have been woken by the notification (no SEND handle left) now never
 * will be: EPIPE (-DBUG_UNBIND_STRANDS forgets them).  The bits stay.
 */
inline ntfn_unbind_locked()
{
	nbound = false;
#ifndef BUG_UNBIND_STRANDS
	if
	:: nr_send == 0 -> fail_all(receivers, EPIPE)
	:: else
	fi
#endif
}

/*
 * kipc_handle_drop() of a handle with RECV (drecv) and/or SEND (dsend),
 * i.e. kipc_ep_release(): the count; if no handle with RECV is left, a
 * bound notification is unbound (kipc_ntfn_ep_dead(); its bits stay;
 * -DBUG_DEAD_EP_KEEPS_NTFN leaves it bound to the dead endpoint); then
 * kipc_ep_fail_waiters() on the queue(s) nobody can serve any more, all
 * under ep->lock.  Waking one waiter and taking the next off its queue
 * (ep->lock held) are one step.
 */
inline kipc_handle_drop(drecv, dsend)
{
	atomic {
		lock(eplock);
		nr_recv = nr_recv - drecv;
		nr_send = nr_send - dsend;
#ifndef BUG_DEAD_EP_KEEPS_NTFN
		if
		:: drecv && nr_recv == 0 && nbound ->
			lock(ntfnlock);
			ntfn_unbind_locked();
			unlock(ntfnlock)
		:: else
		fi;
#endif
		kipc_ep_fail_next(drecv)
	};
	do
	:: pt == NONE -> break
	:: else ->
		complete_done(pt, EPIPE);		/* T5 */
		atomic { complete_wake(pt); kipc_ep_fail_next(drecv) }
	od
}

/* A process's own handle closes when it exits (not with -DCLOSER). */
#ifndef CLOSER
#define exit_drop(r, s)	kipc_handle_drop(r, s)
#else
#define exit_drop(r, s)	skip
#endif

/*
 * ->spin_ok: whether the last sleep on the context was short, so that this
 * wait spins first (kipc_spin()) and only sleeps when the spin gives up.
 */
inline pick_spin()
{
#ifdef NOSPIN
	spinning = false
#else
	if
	:: spinning = true
	:: spinning = false
	fi
#endif
}

/* With -DFDS: 0 or 1 descriptor to send, or numbers to reserve. */
inline pick_fds(n)
{
#ifdef FDS
	if
	:: n = 0
	:: n = 1
	fi
#else
	n = 0
#endif
}

/* What a finished send phase or call may have done to its message. */
inline check_result(call)
{
	if
	:: res == OK ->
		assert(delivered[mymsg] == 1);
		assert(!call || (area[me] == mymsg && replied[mymsg] == 1))
	:: res == EPIPE || res == EAGAIN || res == EMSGSIZE ->
		assert(delivered[mymsg] == 0)
	:: res == ETIMEDOUT || (res == EINTR && phase != PARKED) ->
		/* Withdrawn: while queued, nothing sent; else no reply came. */
		assert(phase == SENDING && delivered[mymsg] == 0 ||
		       call && phase == REPLY && delivered[mymsg] == 1 &&
		       replied[mymsg] == 0)
	:: res == EINTR && phase == PARKED ->
		/*
		 * A handler ran while it was parked, and the resume withdrew
		 * it: no reply came, none will (the end state checks), and
		 * none is lost.
		 */
		assert(call && delivered[mymsg] == 1);
		assert(replied[mymsg] == 0)
	:: res == EBADF || res == NORET ->
		/*
		 * Parked, and the park was taken away (-DREAPER), or the
		 * handler never returned: the abandon drops a reply.
		 */
		assert(call && phase == PARKED && delivered[mymsg] == 1)
	:: res == ECONNRESET ->
		assert(call && delivered[mymsg] == 1 && replied[mymsg] == 0)
	:: res == ECANCELED ->
		/* By another task: the waiter saw DONE, not its own withdrawal. */
		assert(delivered[mymsg] == 0 ||
		       call && delivered[mymsg] == 1 && replied[mymsg] == 0)
	:: else -> assert(false)
	fi
}

/*
 * Parked calls (restart.c's top comment).  A call whose reply phase sees a
 * signal that is not fatal returns -ERESTARTNOINTR still in REPLY (EPARK),
 * and kipc_op_interrupted() publishes ->park_task.  The kernel always
 * issues the ioctl again, after the handler if one runs (a free choice
 * here), and kipc_busy_slow() hands it to kipc_op_resume(): if no handler
 * ran, the call waits on (and may be parked again); if one did, the call
 * ends at once (kipc_wait_reply_end()): with the reply's result if that
 * came, else it is withdrawn and fails with EINTR, and the server's later
 * reply finds no caller (ECONNRESET).  An operation from the handler on
 * that context finds it busy (EBUSY) and leaves the park alone.  The park
 * is abandoned (kipc_park_abandon()) only if the call never comes back:
 * by the task's next operation on the context after the handler left by
 * siglongjmp(), by another thread's once the task is exiting, or by the
 * close of the context.  Each claims the park under the context's lock
 * (kipc_busy_slow(): ->park_task = NULL): exactly one wins.
 * -DBUG_PARK_UNLOCKED claims without the lock: look, then clear.
 */
inline park_claim(c)
{
#ifndef BUG_PARK_UNLOCKED
	atomic {
		ctx_lock(c);
		won = parked[c];
		parked[c] = false;
		ctx_unlock(c)
	}
#else
	won = parked[c];
	parked[c] = false
#endif
}

/*
 * kipc_wait_reply_end() of context c, whose park was claimed: end the
 * call's wait for its reply (kipc_wait_end, own: T10) if it still waits,
 * EINTR (a reply then finds no caller), else wait out the partner that
 * owns it (BUSY) and take its result (DONE, T11).  With drop
 * (kipc_park_abandon()), a reply that came is dropped: it was the parked
 * call's, and only this abandon sees it.  Result in r; uses the
 * claimer's held, wd, ql and phase.
 */
inline kipc_wait_reply_end(c, r, drop)
{
	kipc_wait_end(c, REPLY, EINTR, true);
	if
	:: wd -> wd = false; r = EINTR
	:: else ->
		/* while (BUSY) { spin_lock(); spin_unlock(); } then DONE */
		atomic {
			wstate[c] != BUSY ->
			assert(wstate[c] == DONE);
			r = wresult[c];
			if
			:: drop && r == OK ->
				assert(area[c] == parkmsg[c]);
				discarded[area[c]]++;
				assert(discarded[area[c]] == 1)
			:: else
			fi;
			ws_set(c, IDLE)				/* T11 */
		}
	fi
}

/* kipc_park_abandon() of context c, whose park was claimed. */
#define park_abandon(c)	kipc_wait_reply_end(c, ar, true)

/*
 * How an operation may end early.  One way per operation is enough: after
 * a signal or a deadline has cancelled a phase, a second one changes
 * nothing (signal_pending() stays true, a deadline stays passed).
 *   none	infinite timeouts, no signal: only a partner or a close ends
 *		it, so a lost wake-up blocks it for ever;
 *   poll	KIPC_TIMEOUT_POLL: EAGAIN at once if no partner waits;
 *   signal	infinite timeouts and a signal (at most NSIG per process):
 *		-ERESTARTSYS while queued (the ioctl restarts, with the same
 *		arguments, and may be signalled again); once a call's
 *		request was delivered, the call is parked (see above);
 *   deadline	a finite send timeout (send, call) or recv timeout (recv);
 *   calldl	a call with an infinite send timeout and a finite timeout for
 *		the whole call: ETIMEDOUT in either phase.
 * -DNOPOLL leaves poll out, -DNOTMO the finite timeouts.
 */
#ifndef NOPOLL
#define POLL(x)		x
#else
#define POLL(x)		false
#endif
#ifndef NOTMO
#define TMO(x)		x
#else
#define TMO(x)		false
#endif

inline op_reset()
{
	sexp = false; rexp = false; sigp = false; sigok = false;
	sdl = T_INF; rdl = T_INF
}

/*
 * A client doing NCALLS calls (KIPC_IOC_CALL: kipc_ipc() ->
 * kipc_do_send(call) -> kipc_wait() for the send phase and then the reply),
 * each with a new message, restarted with the same one on -ERESTARTSYS.
 * With -DFDS the request carries 0 or 1 descriptor and the call reserves
 * 0 or 1 number for the reply's.  A call parked by a signal comes back (the
 * re-issued ioctl: its resume) after no handler, or after a handler that
 * may have issued an operation on the context (EBUSY); or its handler
 * leaves by siglongjmp() and the call never returns (NORET): the next
 * call, or the close of the context when the task exits, abandons it.
 * When it exits its context closes, then its handle.  With -DREAPER the
 * park may be taken away from it: then its context is closed (or it is
 * exiting) and it makes no more calls (EBADF).
 */
proctype caller(byte me)
{
	byte st, err, act, res, ar, phase, pt = NONE, held = NONE, mymsg, sdl, rdl;
	byte sigs = NSIG, j, ql, sfds;
	bool wd, ws, spinning, sigok, sigp, sexp, rexp, srestart, rrestart;
#ifdef BUG_T7_LATE
	byte pt2 = NONE;
#endif
	bool won, hnd, pk, gone;	/* pk: a call of ours is left parked */
#ifdef BUG_RESTART_RACE
	byte wst;
#endif

	for (j : 0 .. NCALLS - 1) {
		atomic {
			mymsg = 1 + me * NCALLS + j;
			op_reset();
			if
			:: skip
			:: POLL(sdl = T_POLL)
			:: sigs > 0 -> sigs--; sigok = true
			:: TMO(sdl = T_FIN)
			:: TMO(rdl = T_FIN)
			fi;
			srestart = (sdl == T_INF);
			rrestart = false;	/* not set for a call */
			pick_fds(sfds);
			pick_spin()
		};
		/*
		 * kipc_busy_slow(): the context is busy with our parked call and
		 * this operation comes from further up the stack (siglongjmp()):
		 * it abandons the call, then runs.
		 */
		if
		:: pk ->
			park_claim(me);
			pk = false;
			if
			:: won -> park_abandon(me)
			:: else -> gone = true
			fi
		:: else
		fi;
		if
		:: gone ->
			atomic { final[mymsg] = EBADF; res = OK }
		:: else ->
			pick_fds(nrfd[me]);	/* kipc_reserve_fds() */
again:
			kipc_do_send(me, true);
waited:
			if
			:: res == EPARK ->
				/* kipc_op_interrupted(): ->park_task published */
				atomic { parked[me] = true; parkmsg[me] = mymsg };
				if
				:: hnd = false
				:: hnd = true
				:: /*
				    * The handler issues an operation on the
				    * context: kipc_busy_slow() sees our park and
				    * a lower stack, EBUSY, the park left alone.
				    */
					atomic {
						hnd = true;
						ctx_lock(me);
						ctx_unlock(me)
					}
				:: /* The handler leaves by siglongjmp(). */
					res = NORET; pk = true
				fi;
				if
				:: res == NORET
				:: else ->
					/* The ioctl again: kipc_op_resume(). */
					park_claim(me);
					if
					:: won && !hnd ->
						/* No handler ran: wait on. */
						atomic {
							sigp = false; sigok = false;
							if
							:: sigs > 0 -> sigs--; sigok = true
							:: skip
							fi;
							pick_spin()
						};
						kipc_wait(me);
						goto waited
					:: won && hnd ->
						/* A handler ran: end now. */
						kipc_wait_reply_end(me, res, false);
#ifdef BUG_HANDLER_EINTR_AFTER_REPLY
						/* whether the reply came or not */
						res = EINTR
#endif
					:: !won -> res = EBADF; gone = true
					fi
				fi
			:: else
			fi;
			atomic {
				if
				:: res == ERESTART ->
					/* Only a phase that delivered nothing restarts. */
					assert(phase == SENDING && delivered[mymsg] == 0);
					sigp = false; sigok = false;
					if
					:: sigs > 0 -> sigs--; sigok = true
					:: skip
					fi;
					pick_spin();
					goto again
				:: else
				fi;
				check_result(true);
				final[mymsg] = res;
				res = OK; phase = IDLE; hnd = false; nrfd[me] = 0
			}
		fi
	}
	/* exit: its context closes (kipc_ctx_release_ipc()), then its handle */
	if
	:: pk ->
		park_claim(me);
		pk = false;
		if
		:: won -> park_abandon(me)
		:: else
		fi
	:: else
	fi;
	atomic { nrfd[me] = 0; sfds = 0 };
	exit_drop(0, 1);
	finished++
}

/*
 * A client doing one plain send (KIPC_IOC_SEND: kipc_ipc() ->
 * kipc_do_send(!call) -> kipc_wait()), restarted on -ERESTARTSYS, with 0
 * or 1 descriptor under -DFDS; its handle closes when it exits.
 */
proctype sender(byte me)
{
	byte st, err, act, res, phase, pt = NONE, held = NONE, mymsg, sdl, rdl;
	byte sigs = NSIG, ql, sfds;
	bool wd, ws, spinning, sigok, sigp, sexp, rexp, srestart, rrestart;
#ifdef BUG_T7_LATE
	byte pt2 = NONE;
#endif
#ifdef BUG_RESTART_RACE
	byte wst;
#endif

	atomic {
		mymsg = 1 + NCALLERS * NCALLS + (me - NCALLERS);
		op_reset();
		if
		:: skip
		:: POLL(sdl = T_POLL)
		:: sigs > 0 -> sigs--; sigok = true
		:: TMO(sdl = T_FIN)
		fi;
		srestart = (sdl == T_INF);
		pick_fds(sfds);
		pick_spin()
	};
again:
	kipc_do_send(me, false);
	atomic {
		if
		:: res == ERESTART ->
			assert(phase == SENDING && delivered[mymsg] == 0);
			sigp = false; sigok = false;
			if
			:: sigs > 0 -> sigs--; sigok = true
			:: skip
			fi;
			pick_spin();
			goto again
		:: else
		fi;
		check_result(false);
		final[mymsg] = res
	};
	exit_drop(0, 1);
	finished++
}

/* Notification bits received in context c: each bit taken once. */
inline ntfn_got(c)
{
	assert(abits[c] != 0 && (abits[c] & ~nsig) == 0);
	if
	:: abits[c] & 1 -> ntaken[0]++; assert(ntaken[0] == 1)
	:: else
	fi;
	if
	:: abits[c] & 2 -> ntaken[1]++; assert(ntaken[1] == 1)
	:: else
	fi;
	abits[c] = 0
}

/*
 * A server thread (kipc_ipc()): up to NSRVOPS receives, each by recv
 * (KIPC_IOC_RECV: kipc_drop_reply(ECONNRESET) of a right held, then
 * kipc_do_recv()) or reply_recv (kipc_do_reply() if a right is held, then
 * kipc_do_recv()), reserving 0 or 1 descriptor number under -DFDS; a
 * -ERESTARTSYS restarts the ioctl (not the reply).  Holding a right it
 * may also reply (KIPC_IOC_REPLY: kipc_do_reply()) or die.  A reply
 * carries 0 or 1 descriptor under -DFDS, none after one was refused with
 * EMSGSIZE; a reply_recv whose reply is refused so returns EMSGSIZE
 * without receiving.  A receive may bring a bound notification's bits.
 * It exits on EPIPE or after its last receive; then its context closes
 * (kipc_ctx_release_ipc(): a right still held is given up, the caller gets
 * ECONNRESET) and so does its handle, in either order.
 *
 * lost is op->lost, what kipc_status_end() turns into KIPC_ST_REPLY_LOST
 * (-DBUG_REPLY_LOST_UNREPORTED never sets it); gone (a ghost) whether the
 * reply_recv's reply was not delivered (EMSGSIZE aside: not sent at all).
 */
proctype server(byte me)
{
	byte st, err, act, res, rr, phase, pt = NONE, held = NONE, sdl, rdl;
	byte sigs = NSRVSIG, ops, ql, rmsg, rfds;
	bool wd, ws, spinning, sigok, sigp, sexp, rexp, srestart, rrestart;
	bool drop, reply, norecv, right;	/* right: reply_to[me] != NONE */
	bool lost, gone, shrink;
#ifdef BUG_RESTART_RACE
	byte wst;
#endif

	do
	:: atomic {
		if
		:: ops < NSRVOPS && !right		/* recv, reply_recv */
		:: ops < NSRVOPS && right -> drop = true	/* recv */
		:: ops < NSRVOPS && right -> reply = true	/* reply_recv */
		:: right -> reply = true; norecv = true		/* reply */
		:: right -> break				/* dies */
		:: ops == NSRVOPS && !right -> break		/* exits */
		fi;
		op_reset();
		if
		:: reply && shrink -> rfds = 0
		:: reply && !shrink -> pick_fds(rfds)
		:: else
		fi;
		if
		:: !norecv ->
			ops++;
			if
			:: skip
			:: POLL(rdl = T_POLL)
			:: sigs > 0 -> sigs--; sigok = true
			:: TMO(rdl = T_FIN)
			fi;
			rrestart = (rdl == T_INF);
			pick_fds(nrfd[me]);	/* kipc_reserve_fds() */
			pick_spin()
		:: else
		fi
	   };
		if
		:: drop -> kipc_drop_reply(me, ECONNRESET); right = false
		:: reply ->
			kipc_do_reply(me);
			atomic {
				/* It holds the right: a reply never finds none. */
				assert(rr != ENOENT);
				if
				:: rr == EMSGSIZE ->
					/*
					 * Refused for its content: nothing was
					 * delivered, the right stays (the caller
					 * waits on), the reply_recv receives
					 * nothing; the next reply carries fewer.
					 */
					assert(gone);
					right = true; shrink = true
				:: else ->
					right = false; shrink = false;
#ifndef BUG_REPLY_LOST_UNREPORTED
					lost = (rr == ECONNRESET)
#endif
				fi
			}
		:: else
		fi;
		if
		:: norecv || rr == EMSGSIZE ->
			atomic {
				if
				:: norecv ->
					/* reply: ECONNRESET exactly when nothing went. */
					assert((rr == OK) == !gone)
				:: else -> ops--	/* it received nothing */
				fi;
				rr = OK; rfds = 0; reply = false; norecv = false;
				lost = false; gone = false; nrfd[me] = 0
			}
		:: else ->
			atomic {
				assert(reply_to[me] == NONE);
				rr = OK; rfds = 0; drop = false; reply = false
			}
again:
			kipc_do_recv(me);
			atomic {
				if
				:: res == ERESTART ->
					assert(phase == RECEIVING);
					sigp = false; sigok = false;
					if
					:: sigs > 0 -> sigs--; sigok = true
					:: skip
					fi;
					pick_spin();
					goto again
				:: else
				fi;
				/*
				 * The status: KIPC_ST_REPLY_LOST exactly when the
				 * reply_recv's reply was not delivered, whatever
				 * the receive gave.
				 */
				assert(lost == gone);
				if
				:: res == OK && abits[me] != 0 ->
					/* The bound notification's bits. */
					ntfn_got(me);
					assert(reply_to[me] == NONE);
					right = false
				:: res == OK && abits[me] == 0 ->
					/* One receive returns each message. */
					taken[area[me]]++;
					assert(taken[area[me]] == 1);
					right = (reply_to[me] != NONE);
					assert(area_call[me] == right)
				:: res == EPIPE ->
					lost = false; gone = false;
					nrfd[me] = 0; res = OK; phase = IDLE;
					op_reset();
					break
				:: else ->
					assert(res == EAGAIN || res == ETIMEDOUT ||
					       res == EINTR || res == ECANCELED);
					assert(reply_to[me] == NONE)
				fi;
				lost = false; gone = false; nrfd[me] = 0;
				res = OK; phase = IDLE; op_reset()
			}
		fi
	od;
	/*
	 * exit: its context (kipc_ctx_release_ipc()) and its handle close,
	 * in either order.
	 */
	if
	:: right -> kipc_drop_reply(me, ECONNRESET); exit_drop(1, 0)
	:: right -> exit_drop(1, 0); kipc_drop_reply(me, ECONNRESET)
	:: else -> exit_drop(1, 0)
	fi;
	atomic { srvdone++; finished++ }
}

#ifdef CLOSER
/*
 * -DCLOSER: the thread that closes the shared descriptors, the one with
 * SEND and the one with RECV (kipc_ep_release() -> kipc_handle_drop()),
 * while operations through them may wait: the one with SEND at any moment
 * and then the one with RECV at any moment, or the one with RECV at any
 * moment and the one with SEND only once every server is done (a server
 * shut down while its clients keep their handles): a receiver left
 * waiting by the RECV close would wait for ever.  Closing SEND at any
 * moment after RECV adds nothing: once no RECV handle is left, nobody is
 * queued and every send and recv fails with EPIPE whatever nr_send is.
 */
proctype closer()
{
	byte pt = NONE, held = NONE;
	bool ws;

	if
	:: kipc_handle_drop(0, 1); kipc_handle_drop(1, 0)
	:: kipc_handle_drop(1, 0); srvdone == NSERVERS; kipc_handle_drop(0, 1)
	fi;
	finished++
}
#endif

#ifdef CANCELLER
#define NCANCELLER	1
#ifndef NCANCELS
#define NCANCELS	2
#endif
/*
 * kipc_cancel(): end the wait of context c with ECANCELED
 * (kipc_wait_end, not own): exactly as a timeout would withdraw it, but
 * from another task.  The state is read with acquire (a context a partner
 * already owns, BUSY, or finished, DONE, or an idle one, is left alone:
 * ENOENT), then ->qlock (see the top: stable per context here).  Targets
 * the first caller, the last server or the notification waiter.
 */
proctype canceller()
{
	byte st, c, n, ql, phase, pt = NONE, held = NONE;
	bool ws, wd;

	for (n : 1 .. NCANCELS) {
		if
		:: NCALLERS > 0 -> c = 0
		:: NSERVERS > 0 -> c = LASTSRV
		:: NWAITERS > 0 -> c = WAITER0
		fi;
		st = wstate[c];		/* smp_load_acquire(&me->wstate) */
		if
		:: queued(st) || st == REPLY ->
			kipc_wait_end(c, st, ECANCELED, false);
			wd = false
		:: else
		fi
	}
	finished++
}
#else
#define NCANCELLER	0
#endif

#ifdef REAPER
#define NREAPER		1
/*
 * -DREAPER: whoever else may claim the first caller's parked call, at any
 * moment: the close of its context (kipc_ctx_release_ipc(); no operation
 * runs then, so it needs no lock, but a claim under the lock orders the
 * same), or another thread's operation on it once the parked task is
 * exiting (kipc_busy_slow(), PF_EXITING).  It looks locklessly
 * (smp_load_acquire(&->park_task)), then claims under the lock, racing
 * the caller's own claims (its resume, its next operation after
 * siglongjmp()), and abandons the call if it wins: the caller's re-issue
 * then finds its context closed (EBADF), or never comes.
 */
proctype reaper()
{
	byte held = NONE, ar, ql, phase, pt = NONE;
	bool won, wd, ws;

	if
	:: parked[0] ->
		park_claim(0);
		if
		:: won -> park_abandon(0)
		:: else
		fi
	:: else
	fi;
	finished++
}
#else
#define NREAPER		0
#endif

#ifdef NTFN
/*
 * kipc_ntfn_lookup() (got: a reference taken, the descriptor was open),
 * kipc_ntfn_put(): when the last reference goes, kipc_ntfn_free() warns
 * if the notification is still bound or has waiters; the endpoint would
 * keep pointing to it (a use after free).
 */
inline ntfn_lookup(got)
{
	atomic {
		if
		:: nfds > 0 -> nrefs++; got = true
		:: else -> got = false
		fi
	}
}

inline ntfn_put()
{
	atomic {
		nrefs--;
		if
		:: nrefs == 0 -> assert(!nbound && len(nwaiters) == 0)
		:: else
		fi
	}
}

/*
 * kipc_ntfn_flush_bound(), both locks held: pending bits go to the
 * endpoint's first receiver, if one waits (T5 with 0, under ep->lock, its
 * queue lock).  -DBUG_BOUND_LOSES_BITS clears the word even when no
 * receiver waits.
 */
inline ntfn_flush_bound()
{
	if
	:: nbits != 0 && len(receivers) > 0 ->
		receivers?pt;
		ntfn_deliver(pt, nbits);
		nbits = 0;
		complete_done(pt, OK);			/* T5 */
		complete_wake(pt);
		pt = NONE
	:: else
#ifdef BUG_BOUND_LOSES_BITS
		; nbits = 0
#endif
	fi
}

/*
 * kipc_ntfn_raise() (KIPC_IOC_NTFN_SIGNAL) of bit b: OR it in; unbound,
 * the oldest waiter takes all the bits (T5 with 0;
 * -DBUG_SIGNAL_NO_WAKE leaves it waiting); bound, under both locks the
 * endpoint's first receiver does (kipc_ntfn_flush_bound()), after a check
 * that the binding seen under ntfn->lock alone still holds (else start
 * over; -DBUG_RAISE_STALE_BINDING trusts it).
 */
inline ntfn_raise(b)
{
	do
	:: atomic {
		lock(ntfnlock);
		nsig = nsig | b;
		if
		:: !nbound ->
			nbits = nbits | b;
#ifndef BUG_SIGNAL_NO_WAKE
			if
			:: len(nwaiters) > 0 ->
				nwaiters?pt;
				ntfn_deliver(pt, nbits);
				nbits = 0;
				complete_done(pt, OK);		/* T5 */
				complete_wake(pt);
				pt = NONE
			:: else
			fi;
#endif
			ntfn_ok_unbound();
			unlock(ntfnlock);
			bnd = false;
			break
		:: else ->
			bnd = true;
			unlock(ntfnlock)
		fi
	   };
		atomic {
			lock(eplock);
			lock(ntfnlock);
			if
#ifndef BUG_RAISE_STALE_BINDING
			:: !nbound	/* unbound meanwhile: start over */
			:: else ->
#else
			:: true ->
#endif
				nbits = nbits | b;
				ntfn_flush_bound();
				ntfn_ok_bound();
				ntfn_ok_unbound();
				bnd = false
			fi;
			unlock(ntfnlock);
			unlock(eplock);
			if
			:: !bnd -> break
			:: else
			fi
		}
	od
}

/*
 * kipc_ntfn_wait() (KIPC_IOC_NTFN_WAIT) on context me: EBUSY if bound;
 * else the pending bits at once, or EPIPE (closed), EAGAIN (poll), or queue
 * (T1, under ntfn->lock) and kipc_wait().
 */
inline kipc_ntfn_wait(me)
{
	atomic {
		assert(wstate[me] == IDLE);
		res = PENDING;
		lock(ntfnlock);
		if
		:: nbound -> res = EBUSY
		:: !nbound && nbits != 0 ->
			ntfn_deliver(me, nbits);
			nbits = 0;
			res = OK
		:: !nbound && nbits == 0 && nclosed -> res = EPIPE
		:: !nbound && nbits == 0 && !nclosed && rdl == T_POLL -> res = EAGAIN
		:: !nbound && nbits == 0 && !nclosed && rdl != T_POLL ->
			qlock[me] = QL_NTFN;	/* kipc_queued() */
			ws_set(me, RECEIVING);			/* T1 */
			nwaiters!me;
			ntfn_ok_unbound()
		fi;
		unlock(ntfnlock)
	};
	if
	:: res == PENDING -> kipc_wait(me)
	:: else
	fi
}

/*
 * kipc_ntfn_bind() (KIPC_IOC_NTFN_BIND), both locks: EBUSY if either is
 * bound, the notification has waiters or is closed; EPIPE if the
 * endpoint's last RECV handle closed since the lookup (nobody would ever
 * undo the binding; -DBUG_BIND_NO_RECHECK binds anyway); else bind and
 * flush pending bits to a waiting receiver.  Result in br.
 */
inline kipc_ntfn_bind()
{
	atomic {
		lock(eplock);
		lock(ntfnlock);
		if
		:: nbound || len(nwaiters) > 0 || nclosed -> br = EBUSY
		:: else ->
			if
#ifndef BUG_BIND_NO_RECHECK
			:: nr_recv == 0 -> br = EPIPE
#endif
			:: else ->
				nbound = true;
				ntfn_flush_bound();
				br = OK
			fi
		fi;
		ep_ok();
		ntfn_ok_bound();
		ntfn_ok_unbound();
		unlock(ntfnlock);
		unlock(eplock)
	}
}

/* KIPC_IOC_NTFN_BIND with KIPC_NTFN_UNBIND, both locks. */
inline kipc_ntfn_unbind()
{
	atomic {
		lock(eplock);
		lock(ntfnlock);
		if
		:: nbound -> ntfn_unbind_locked()
		:: else		/* EINVAL */
		fi;
		ep_ok();
		ntfn_ok_unbound();
		unlock(ntfnlock);
		unlock(eplock)
	}
}

/*
 * kipc_ntfn_release(): the notification's last descriptor closed.  Under
 * ntfn->lock it is marked closed, its waiters fail with EPIPE (T5) and it
 * looks whether it is bound; if so, under both locks it unbinds it (if
 * still bound); the file's reference goes.  A bind that looked the
 * notification up before the close (-DNTFN_CLOSER lets one race it) gets
 * EBUSY after it, or is undone.  -DBUG_NTFN_RELEASE_LATE marks it closed
 * in a later section instead, as notify.c once did: such a bind then binds
 * it in between and its reference, the last, frees a bound notification.
 */
inline kipc_ntfn_release()
{
	atomic {
		lock(ntfnlock);
#ifndef BUG_NTFN_RELEASE_LATE
		nclosed = true;
		fail_all(nwaiters, EPIPE);			/* T5 */
#endif
		bnd = nbound;
		unlock(ntfnlock)
	};
	if
	:: bnd ->
		atomic {
			lock(eplock);
			lock(ntfnlock);
			if
			:: nbound -> ntfn_unbind_locked()
			:: else
			fi;
			ep_ok();
			unlock(ntfnlock);
			unlock(eplock)
		}
	:: else
	fi;
#ifdef BUG_NTFN_RELEASE_LATE
	atomic {
		lock(ntfnlock);
		nclosed = true;
		fail_all(nwaiters, EPIPE);			/* T5 */
		unlock(ntfnlock)
	};
#endif
	ntfn_put()
}

/* close() of one of the notification's descriptors. */
inline ntfn_fd_close()
{
	atomic { nfds--; bnd = (nfds == 0) };
	if
	:: bnd -> kipc_ntfn_release()
	:: else
	fi
}

#ifdef BIND
#define NBINDER		1
#else
#define NBINDER		0
#endif
#ifdef NTFN_CLOSER
#define NNTFNCLOSER	1
#else
#define NNTFNCLOSER	0
#endif
#define NNTFNPROC	(1 + NBINDER + NNTFNCLOSER)

/*
 * KIPC_IOC_NTFN_SIGNAL, NSIGNALS times, each with its own bit; then its
 * descriptor closes (unless -DNTFN_CLOSER's thread closes it).
 */
proctype signaller()
{
	byte i, pt = NONE, held = NONE;
	bool ws, bnd, got;

	for (i : 0 .. NSIGNALS - 1) {
		ntfn_lookup(got);
		if
		:: got -> ntfn_raise(1 << i); ntfn_put()
		:: else
		fi
	}
#ifndef NTFN_CLOSER
	ntfn_fd_close();
#endif
	finished++
}

/*
 * A thread waiting on the notification (KIPC_IOC_NTFN_WAIT) NWAITS times,
 * each with a poll, a signal (-ERESTARTSYS: the wait is issued again), a
 * finite timeout or none.  It uses a descriptor others close.
 */
proctype nwaiter(byte me)
{
	byte st, err, act, res, phase, pt = NONE, held = NONE, sdl, rdl, ql, j;
	byte sigs = NSIG;
	bool wd, ws, spinning, sigok, sigp, sexp, rexp, srestart, rrestart, got;
#ifdef BUG_RESTART_RACE
	byte wst;
#endif

	for (j : 1 .. NWAITS) {
		atomic {
			op_reset();
			if
			:: skip
			:: POLL(rdl = T_POLL)
			:: sigs > 0 -> sigs--; sigok = true
			:: TMO(rdl = T_FIN)
			fi;
			rrestart = (rdl == T_INF);
			pick_spin()
		};
again:
		ntfn_lookup(got);
		if
		:: got ->
			kipc_ntfn_wait(me);
			atomic {
				if
				:: res == ERESTART ->
					assert(phase == RECEIVING && abits[me] == 0);
					sigp = false; sigok = false;
					if
					:: sigs > 0 -> sigs--; sigok = true
					:: skip
					fi;
					pick_spin()
				:: res == OK -> ntfn_got(me)
				:: else ->
					assert(res == EAGAIN || res == ETIMEDOUT ||
					       res == EINTR || res == ECANCELED ||
					       res == EPIPE || res == EBUSY);
					assert(abits[me] == 0)
				fi;
				phase = IDLE
			};
			ntfn_put();
			if
			:: res == ERESTART -> res = OK; goto again
			:: else -> res = OK
			fi
		:: else
		fi
	}
	finished++
}

#ifdef BIND
/*
 * A thread with a RECV handle of the endpoint (the server's, or with
 * -DCLOSER the shared one: it may have closed since, and the endpoint be
 * dead) binds the notification to it at any moment (KIPC_IOC_NTFN_BIND),
 * and may unbind it again later; then it closes its descriptor of the
 * notification (unless -DNTFN_CLOSER's thread does).
 */
proctype binder()
{
	byte pt = NONE, held = NONE, br;
	bool ws, bnd, got;

	ntfn_lookup(got);
	if
	:: got ->
		kipc_ntfn_bind();
		ntfn_put();
		if
		:: br == OK ->
			ntfn_lookup(got);
			if
			:: got -> kipc_ntfn_unbind(); ntfn_put()
			:: else
			fi
		:: skip
		fi
	:: else
	fi;
#ifndef NTFN_CLOSER
	ntfn_fd_close();
#endif
	finished++
}
#endif

#ifdef NTFN_CLOSER
/* -DNTFN_CLOSER: another thread closes the notification's descriptor. */
proctype ntfn_closer()
{
	byte pt = NONE, held = NONE;
	bool ws, bnd;

	ntfn_fd_close();
	finished++
}
#endif
#else
#define NNTFNPROC	0
#endif

/*
 * Not kernel code: starts the processes (one context each, numbered as
 * above) and, once all have ended, checks the end state and what became of
 * every message and every notification bit.
 */
init
{
	byte i;

	atomic {
		for (i : 0 .. NCALLERS - 1) {
			run caller(i)
		}
		for (i : NCALLERS .. NCALLERS + NSENDERS - 1) {
			run sender(i)
		}
		for (i : NCALLERS + NSENDERS .. LASTSRV) {
			run server(i)
		}
#ifdef NTFN
		for (i : WAITER0 .. NCTX - 1) {
			qlock[i] = QL_NTFN;
			run nwaiter(i)
		}
		run signaller();
#ifdef BIND
		run binder();
#endif
#ifdef NTFN_CLOSER
		run ntfn_closer();
#endif
#endif
#ifdef CLOSER
		run closer()
#endif
#ifdef CANCELLER
		run canceller()
#endif
#ifdef REAPER
		run reaper()
#endif
	}

	/* Everything ended: check what each message went through. */
	finished == NCTX + NCLOSER + NCANCELLER + NREAPER + NNTFNPROC;
	assert(eplock == 0 && len(senders) == 0 && len(receivers) == 0);
	assert(nr_send == 0 && nr_recv == 0);
	assert(ntfnlock == 0 && len(nwaiters) == 0 && !nbound && nrefs == 0);
	for (i : 0 .. NCTX - 1) {
		assert(wstate[i] == IDLE && ctxlock[i] == 0 && running[i] &&
		       !sleeping[i] && reply_to[i] == NONE &&
		       reply_from[i] == NONE && !parked[i] && nrfd[i] == 0 &&
		       abits[i] == 0)
	}
	for (i : 1 .. NMSG - 1) {
		assert(final[i] != PENDING);
		assert(delivered[i] == taken[i]);
		assert(final[i] != OK || delivered[i] == 1);
		/*
		 * A reply is returned by its call or dropped by an abandon of a
		 * call that never came back, not both; after EINTR none came.
		 */
		assert(replied[i] == 0 || final[i] == OK || discarded[i] == 1);
		assert(discarded[i] == 0 ||
		       replied[i] == 1 && (final[i] == NORET || final[i] == EBADF));
		assert(final[i] != EINTR || replied[i] == 0);
		assert(final[i] == OK || final[i] == ECONNRESET ||
		       final[i] == EINTR || final[i] == ETIMEDOUT ||
		       final[i] == ECANCELED || final[i] == EBADF ||
		       final[i] == NORET || delivered[i] == 0)
	}
	/* Every bit signalled was taken once, or is still pending. */
	for (i : 0 .. 1) {
		if
		:: nsig & (1 << i) -> assert(ntaken[i] + ((nbits >> i) & 1) == 1)
		:: else -> assert(ntaken[i] == 0 && (nbits & (1 << i)) == 0)
		fi
	}
}

#ifdef LIVENESS
#ifndef LIVE
#define LIVE		0
#endif
/*
 * Every wait of context LIVE (the first caller, or -DLIVE=WAITER0: the
 * notification waiter) ends: once its context leaves IDLE it comes back
 * (the reply, a failure or a withdrawal), whatever the others do, as long
 * as each process that can move eventually moves.  Check with weak
 * fairness: gcc -o pan pan.c && ./pan -a -f
 */
#ifndef CLOSER
ltl wait_ends { [] (wstate[LIVE] != IDLE -> <> (wstate[LIVE] == IDLE)) }
#else
/*
 * With -DCLOSER: once no handle with RECV is left, the last server's wait
 * in recv ends (EPIPE), whether or not a SEND handle stays open.
 */
ltl recv_ends { [] ((nr_recv == 0 && wstate[LASTSRV] == RECEIVING) ->
		    <> (wstate[LASTSRV] != RECEIVING)) }
#endif
#endif
