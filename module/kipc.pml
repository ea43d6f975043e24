/*
 * kipc.pml - a Promela model of kipc's rendezvous, for Debian's spin.
 *
 * It mirrors module/ipc.c (kipc_do_send, kipc_do_recv, kipc_do_reply,
 * kipc_drop_reply, kipc_wait, kipc_withdraw, kipc_spin, kipc_sleep,
 * kipc_complete, kipc_ep_fail_waiters, kipc_ipc's operations,
 * kipc_ctx_release_ipc, kipc_cancel, and the parked calls of restart.c's
 * top comment: kipc_op_interrupted, kipc_op_resume, kipc_busy_slow,
 * kipc_park_abandon, kipc_wait_reply_end) and kipc_handle_drop() of
 * module/endpoint.c, over one endpoint and a bounded number of contexts
 * and messages.  Each inline and proctype names the C function it
 * mirrors.  selftests/host/model.sh runs it (several bounds, see there):
 *
 *	spin -a kipc.pml && gcc -O2 -DSAFETY -o pan pan.c && ./pan -m100000
 *
 * must end with "errors: 0", and with each bug variant (-DBUG_*, listed
 * in model.sh: a known bug put back) it must find an error.  -DLIVENESS
 * adds an LTL property (./pan -a -f).
 *
 * Processes: caller (call: the send phase, then the wait for the reply),
 * sender (send), server (recv, reply_recv, reply, giving a reply right up,
 * dying with one: kipc_ctx_release_ipc()), with -DCLOSER a bystander
 * that closes a SEND and a RECV handle, with -DCANCELLER one that cancels
 * (KIPC_IOC_CANCEL, or io_uring's watchdog) whatever the first caller or
 * the last server waits for, at any moment, and with -DREAPER one that
 * takes the first caller's parked call away from it at any moment (see
 * park_claim).  Every client and server closes its own handle when it
 * exits, so the last handle with SEND or RECV closes in the end and
 * nothing has a reason to wait for ever.  Each operation picks how it may
 * end early: not at all, POLL, a signal (infinite timeouts: -ERESTARTSYS
 * while queued withdraws and re-issues the ioctl; in a call's reply phase
 * the call is parked, and its re-issued ioctl resumes it, after a handler
 * or not), a finite send or recv timeout, or a finite timeout for a whole
 * call.

 * What is checked:
 *  - no invalid end state: every process ends.  A sleeper is only woken by
 *    wake_up_process() (or by its signal or deadline, if its operation has
 *    one), so a lost wake-up is a process blocked for ever;
 *  - no message is delivered twice, and every delivery is received (a
 *    receive returns 0 with it);
 *  - a call that returns 0 got exactly its own reply; a reply succeeds at
 *    most once per request, and only for a caller that then returns 0, or
 *    for a parked call that is abandoned (which drops it);
 *  - a phase that ended in ETIMEDOUT, EINTR, EAGAIN, EPIPE or a restart
 *    delivered nothing; a call that fails after its request was delivered
 *    fails with EINTR, ETIMEDOUT, ECONNRESET or ECANCELED and got no
 *    reply (EINTR: a handler ran while it was parked, and the server's
 *    reply fails), or it never returned (its handler left by siglongjmp)
 *    or its re-issue found the context closed (EBADF), and a reply that
 *    came is dropped by the abandon;
 *  - the withdraw rule: a waiter is withdrawn only from the state its error
 *    was chosen for, and then it is on the queue that state names;
 *  - locks: only the owner unlocks, no two context locks are held at once;
 *    at the end no lock is held, the queues are empty, no reply right is
 *    left, no call is parked and every context is IDLE and awake;
 *  - the last RECV handle: whenever ep->lock is free and no handle with
 *    RECV is left, no sender and no receiver is queued (kipc_handle_drop()
 *    failed them with EPIPE, and a send or recv that looked its handle up
 *    before the close finds nr_recv == 0 under the lock), so no receiver
 *    waits for ever for a sender that can never come: with -DCLOSER the
 *    SEND handle may stay open until every server is done, and a stranded
 *    receiver is a process blocked for ever (-DNO_DEAD_ASSERT leaves the
 *    invariant out, to see that);
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
 *  - -DLIVENESS: the first caller's every wait ends (weak fairness); with
 *    -DCLOSER: the last server's wait in recv ends once no RECV handle is
 *    left.
 *
 * What is abstracted away: message contents (a message is its id; a reply
 * echoes the request's id), the copy, credentials, badges and rights
 * checks, the busy bit (each process runs one operation at a time on its
 * own context; a parked call keeps it, and the claim takes it over),
 * references and freeing, time (a finite deadline is a flag
 * that may become true at any moment, and stays so), how long a spin lasts
 * (->spin_ok and the spin budget are free choices), SA_RESTART and
 * handlers for withdrawn phases (a -ERESTARTSYS always restarts), a signal
 * together with a finite timeout in one operation, and a reply_recv's
 * restart after its reply went out (so the -ERESTARTNOHAND re-issue of a
 * withdrawn phase with its noted deadlines and REPLY_LOST is the
 * -ERESTARTSYS restart here: both withdraw and receive or send again),
 * fatal signals (a withdrawal with EINTR, as a deadline's with ETIMEDOUT),
 * how the re-issued ioctl is recognised and whether a handler ran in
 * between (kipc_restart_is(), the mark rt_sigreturn() clears: a free
 * choice here), the pinning and descriptors of a parked call, io_uring,
 * bound notifications (and their unbinding by the last RECV handle),
 * TIF_NOTIFY_SIGNAL, and weak memory: the model is sequentially
 * consistent, the barriers are modelled by the order of the steps, and
 * -DBUG_LOST_WAKEUP shows the reordering the smp_mb() pair forbids.
 *
 * Steps: a step holds at most one access to state that another process
 * touches without holding the same lock (wstate, sleeping, the task
 * state); accesses to data under a held lock commute with the others and
 * join the step (Lipton's reduction).  Exceptions, each argued where it is
 * made, only drop interleavings that end in a spurious wake-up or re-read
 * a wait state that cannot come back.
 *
 * Bounds (spin -DNAME=VALUE): NCALLERS callers with NCALLS calls each,
 * NSENDERS senders with one send each, NSERVERS servers with up to NSRVOPS
 * receives each, NSIG signals per client (a parked call's resume may be
 * parked again only with NSIG > 1), NSRVSIG per server; -DNOSPIN:
 * waiters sleep at once (spin_ns=0).
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

/* Contexts: callers, then senders, then servers. */
#define NCTX		(NCALLERS + NSENDERS + NSERVERS)
/* Message ids: 1.. (0: none). */
#define NMSG		(NCALLERS * NCALLS + NSENDERS + 1)

/* enum kipc_wstate */
#define IDLE		0
#define SENDING		1
#define RECEIVING	2
#define REPLY		3
#define BUSY		4
#define DONE		5

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

/* Ghost phase of a call parked last (see check_result). */
#define PARKED		6

/* Timeouts: KIPC_TIMEOUT_POLL, a finite one, KIPC_TIMEOUT_INFINITE. */
#define T_POLL		0
#define T_FIN		1
#define T_INF		2

#define NONE		255

/* struct kipc_ctx, one per process */
byte wstate[NCTX];			/* ->wstate */
byte wresult[NCTX];			/* ->wresult */
byte ctxlock[NCTX];			/* ->lock: 0 or owner's _pid + 1 */
bool sleeping[NCTX];			/* ->sleeping */
bool running[NCTX] = true;		/* the task's state: TASK_RUNNING? */
byte reply_to[NCTX] = NONE;		/* ->reply_to */
byte reply_from[NCTX] = NONE;		/* ->reply_from */
byte qmsg[NCTX];			/* ->tag of a queued sender: its message */
bool qcall[NCTX];			/* ->call */
byte area[NCTX];			/* the message in the context's area */
bool area_call[NCTX];			/* KIPC_TAG_F_CALL in its tag */
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

/* Ghosts, per message id. */
byte delivered[NMSG];		/* kipc_transfer() of the request */
byte taken[NMSG];		/* a receive returned 0 with it */
byte replied[NMSG];		/* kipc_do_reply() returned 0 for it */
byte final[NMSG] = PENDING;	/* what the send or call finally returned */
byte discarded[NMSG];		/* a parked call's abandon dropped its reply */
byte parkmsg[NCTX];		/* the parked call's message */
byte finished;			/* processes done */
byte srvdone;			/* servers done */

/*
 * spin_lock(), spin_unlock(); lock order: ep->lock, then one ctx lock.
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
	atomic { wresult[c] = result; wstate[c] = DONE }
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

#ifndef BUG_RESTART_RACE
/*
 * kipc_withdraw(): take @me out of the wait state @st it was seen in; wd
 * tells whether it was (then nothing of that phase happened).  Only a
 * lock holder moves @me out of SENDING/RECEIVING (ep->lock) or REPLY (its
 * own lock), so each branch is one step.
 */
inline kipc_withdraw(me, st)
{
	if
	:: st == SENDING || st == RECEIVING ->
		atomic {
			lock(eplock);
			if
			:: wstate[me] == st ->
				if
				:: st == SENDING ->
					assert(senders??[eval(me)]);
					senders??eval(me)
				:: else ->
					assert(receivers??[eval(me)]);
					receivers??eval(me)
				fi;
				wstate[me] = IDLE;
				wd = true;
				phase = st	/* ghost: the phase cancelled */
			:: else
			fi;
			unlock(eplock)
		}
	:: st == REPLY ->
		atomic {
			ctx_lock(me);
			if
			:: wstate[me] == st ->
				reply_from[me] = NONE;
				wstate[me] = IDLE;
				wd = true;
				phase = st
			:: else
			fi;
			ctx_unlock(me)
		}
	:: else -> assert(false)
	fi
}
#else
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
			:: wst == SENDING -> senders??eval(me); wstate[me] = IDLE
			:: wst == RECEIVING -> receivers??eval(me); wstate[me] = IDLE
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
				wstate[me] = IDLE
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
 * a signal or a deadline; then withdraw, and return the error chosen for
 * the state withdrawn from.  Result in res.  Uses the op's sdl, rdl, sexp,
 * rexp, sigok, sigp, srestart, rrestart and spinning (->spin_ok).
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
 *  - taking the result is part of the look that sees DONE;
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
			wstate[me] = IDLE;
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
			kipc_withdraw(me, st);
			if
			:: wd -> res = ERESTART; break	/* sent again */
			:: else -> act = A_LOOK
			fi
#endif
		:: act == A_WITHDRAW && err != EPARK ->
#ifndef BUG_RESTART_RACE
			kipc_withdraw(me, st);
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
 * kipc_do_send(): the send phase of send (call false) and call (true) of
 * message mymsg with send timeout sdl.  Result in res; for a call that
 * delivered, after the whole call.
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
				/* A receiver waits: deliver into its area. */
				receivers?pt;
				ctx_lock(pt);
				wstate[pt] = BUSY;
				unlock(eplock);
				area[pt] = mymsg;	/* kipc_transfer() */
				area_call[pt] = call;
				delivered[mymsg]++;
				assert(delivered[mymsg] == 1)
			:: else ->
				if
				:: sdl == T_POLL ->
					unlock(eplock);
					res = EAGAIN
				:: else ->
					qmsg[me] = mymsg;
					qcall[me] = call;
					wstate[me] = SENDING;
					senders!me;
					unlock(eplock)
				fi
			fi
		fi
	};
	if
	:: pt != NONE ->
		if
		:: call ->
			/* Become its caller before it can run. */
			atomic {
				assert(reply_to[pt] == NONE);
				reply_to[pt] = me;
				reply_from[me] = pt;
				wstate[me] = REPLY
			}
		:: else -> res = OK
		fi;
		complete_done(pt, OK);
		atomic { complete_wake(pt); ctx_unlock(pt); pt = NONE }
	:: else
	fi;
	if
	:: res == PENDING -> kipc_wait(me)
	:: else
	fi
}

/*
 * No handle with RECV left: nobody is queued (when ep->lock is free, and
 * so at every step that leaves it free).  Checked where a queue grows or
 * nr_recv drops: kipc_do_recv() and kipc_handle_drop().
 */
#ifndef NO_DEAD_ASSERT
#define ep_dead_ok()	assert(nr_recv > 0 || len(receivers) + len(senders) == 0)
#else
#define ep_dead_ok()	skip	/* the end state or LTL property's turn */
#endif

/*
 * kipc_do_recv(): the receive phase of recv and reply_recv.  Result in res.
 * Its handle may have been closed since the lookup (with -DCLOSER): if it
 * was the last with RECV, recv fails with EPIPE rather than queueing where
 * kipc_handle_drop() will never look again.  -DBUG_RECV_NO_RECHECK leaves
 * that test out.
 */
inline kipc_do_recv(me)
{
	atomic {
		assert(wstate[me] == IDLE);
		res = PENDING;
		lock(eplock);
		if
		:: len(senders) > 0 ->
			/* A sender waits: fetch its message into our area. */
			senders?pt;
			ctx_lock(pt);
			wstate[pt] = BUSY;
			unlock(eplock);
			area[me] = qmsg[pt];		/* kipc_transfer() */
			area_call[me] = qcall[pt];
			delivered[qmsg[pt]]++;
			assert(delivered[qmsg[pt]] == 1)
		:: else ->
			if
#ifndef BUG_RECV_NO_RECHECK
			:: nr_send == 0 || nr_recv == 0 ->
#else
			:: nr_send == 0 ->
#endif
				unlock(eplock);
				res = EPIPE
			:: else ->
				if
				:: rdl == T_POLL ->
					unlock(eplock);
					res = EAGAIN
				:: else ->
					wstate[me] = RECEIVING;
					receivers!me;
					ep_dead_ok();
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
				wstate[pt] = REPLY;
				ctx_unlock(pt);
				pt = NONE
			}
		:: else ->
			complete_done(pt, OK);
			atomic { complete_wake(pt); ctx_unlock(pt); pt = NONE }
		fi;
		res = OK
	fi
}

/*
 * kipc_do_reply(): reply to the caller @me holds the right for, with the
 * message in @me's area (the request's id, echoed).  Result in rr.
 */
inline kipc_do_reply(me)
{
	atomic {
		pt = reply_to[me];
		reply_to[me] = NONE;
		ctx_lock(pt);
		if
		:: wstate[pt] == REPLY && reply_from[pt] == me ->
			reply_from[pt] = NONE;
			wstate[pt] = BUSY;
			area[pt] = area[me];		/* kipc_transfer() */
			area_call[pt] = false;
			replied[area[me]]++;
			assert(replied[area[me]] == 1);
			rr = OK
		:: else ->
			rr = ECONNRESET;
			ctx_unlock(pt);
			pt = NONE
		fi
	};
	if
	:: rr == OK ->
		complete_done(pt, OK);
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
		ctx_lock(pt);
		if
		:: wstate[pt] == REPLY && reply_from[pt] == me ->
			reply_from[pt] = NONE
		:: else ->
			ctx_unlock(pt);
			pt = NONE
		fi
	};
	if
	:: pt != NONE ->
		complete_done(pt, result);
		atomic { complete_wake(pt); ctx_unlock(pt); pt = NONE }
	:: else
	fi
}

/*
 * kipc_ep_fail_waiters(), one waiter at a time, ep->lock held: the next
 * context to fail is taken off its queue; if there is none, ep->lock is
 * dropped (the end of kipc_handle_drop()).  When the handle dropped was
 * the last with RECV (drecv, nr_recv now 0: the endpoint is dead), both
 * queues fail; when no handle with SEND is left, the receivers do.
 * -DBUG_STRANDED_RECEIVER is the rule before: the last RECV handle fails
 * only the senders, and a receiver that had queued through a handle since
 * closed waits until the last SEND handle closes, maybe for ever.
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
		:: (ep_dead(drecv) || nr_send == 0) && len(receivers) > 0 ->
			receivers?pt
		:: else -> pt = NONE; ep_dead_ok(); unlock(eplock)
		fi
	fi
}

/*
 * kipc_handle_drop() of a handle with RECV (drecv) and/or SEND (dsend),
 * i.e. kipc_ep_release(): the count, then kipc_ep_fail_waiters() on the
 * queue(s) nobody can serve any more, all under ep->lock.  Waking one
 * waiter and taking the next off its queue (ep->lock held) are one step.
 */
inline kipc_handle_drop(drecv, dsend)
{
	atomic {
		lock(eplock);
		nr_recv = nr_recv - drecv;
		nr_send = nr_send - dsend;
		kipc_ep_fail_next(drecv)
	};
	do
	:: pt == NONE -> break
	:: else ->
		complete_done(pt, EPIPE);
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

/* What a finished send phase or call may have done to its message. */
inline check_result(call)
{
	if
	:: res == OK ->
		assert(delivered[mymsg] == 1);
		assert(!call || (area[me] == mymsg && replied[mymsg] == 1))
	:: res == EPIPE || res == EAGAIN ->
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
 * kipc_wait_reply_end() of context c, whose park was claimed: withdraw
 * the call if it still waits for its reply (EINTR: a reply then finds no
 * caller), else wait out the partner that owns it (BUSY) and take its
 * result (DONE).  With drop (kipc_park_abandon()), a reply that came is
 * dropped: it was the parked call's, and only this abandon sees it.
 * Result in r; uses the claimer's held and wd.
 */
inline kipc_wait_reply_end(c, r, drop)
{
	atomic {
		ctx_lock(c);
		if
		:: wstate[c] == REPLY ->
			reply_from[c] = NONE;
			wstate[c] = IDLE;
			wd = true
		:: else
		fi;
		ctx_unlock(c)
	};
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
			wstate[c] = IDLE
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
 */
inline op_reset()
{
	sexp = false; rexp = false; sigp = false; sigok = false;
	sdl = T_INF; rdl = T_INF
}

/*
 * A client doing NCALLS calls (KIPC_IOC_CALL: kipc_ipc() ->
 * kipc_do_send(call) -> kipc_wait() for the send phase and then the reply),
 * each with a new message, restarted with the same one on -ERESTARTSYS.
 * A call parked by a signal comes back (the re-issued ioctl: its resume)
 * after no handler, or after a handler that may have issued an operation
 * on the context (EBUSY); or its handler leaves by siglongjmp() and the
 * call never returns (NORET): the next call, or the close of the context
 * when the task exits, abandons it.  When it exits its context closes,
 * then its handle.  With -DREAPER the park may be taken away from it:
 * then its context is closed (or it is exiting) and it makes no more
 * calls (EBADF).
 */
proctype caller(byte me)
{
	byte st, err, act, res, ar, phase, pt = NONE, held = NONE, mymsg, sdl, rdl;
	byte sigs = NSIG, j;
	bool wd, ws, spinning, sigok, sigp, sexp, rexp, srestart, rrestart;
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
			:: sdl = T_POLL
			:: sigs > 0 -> sigs--; sigok = true
			:: sdl = T_FIN
			:: rdl = T_FIN
			fi;
			srestart = (sdl == T_INF);
			rrestart = false;	/* not set for a call */
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
				res = OK; phase = IDLE; hnd = false
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
	exit_drop(0, 1);
	finished++
}

/*
 * A client doing one plain send (KIPC_IOC_SEND: kipc_ipc() ->
 * kipc_do_send(!call) -> kipc_wait()), restarted on -ERESTARTSYS; its
 * handle closes when it exits.
 */
proctype sender(byte me)
{
	byte st, err, act, res, phase, pt = NONE, held = NONE, mymsg, sdl, rdl;
	byte sigs = NSIG;
	bool wd, ws, spinning, sigok, sigp, sexp, rexp, srestart, rrestart;
#ifdef BUG_RESTART_RACE
	byte wst;
#endif

	atomic {
		mymsg = 1 + NCALLERS * NCALLS + (me - NCALLERS);
		op_reset();
		if
		:: skip
		:: sdl = T_POLL
		:: sigs > 0 -> sigs--; sigok = true
		:: sdl = T_FIN
		fi;
		srestart = (sdl == T_INF);
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

/*
 * A server thread (kipc_ipc()): up to NSRVOPS receives, each by recv
 * (KIPC_IOC_RECV: kipc_drop_reply(ECONNRESET) of a right held, then
 * kipc_do_recv()) or reply_recv (kipc_do_reply() if a right is held, then
 * kipc_do_recv()); a -ERESTARTSYS restarts the ioctl.  Holding a right it
 * may also reply (KIPC_IOC_REPLY: kipc_do_reply()) or die.  It exits on
 * EPIPE or after its last receive; then its context closes
 * (kipc_ctx_release_ipc(): a right still held is given up, the caller gets
 * ECONNRESET) and so does its handle, in either order.
 */
proctype server(byte me)
{
	byte st, err, act, res, rr, phase, pt = NONE, held = NONE, sdl, rdl;
	byte sigs = NSRVSIG, ops;
	bool wd, ws, spinning, sigok, sigp, sexp, rexp, srestart, rrestart;
	bool drop, reply, norecv, right;	/* right: reply_to[me] != NONE */
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
		right = false;
		op_reset();
		if
		:: !norecv ->
			ops++;
			if
			:: skip
			:: rdl = T_POLL
			:: sigs > 0 -> sigs--; sigok = true
			:: rdl = T_FIN
			fi;
			rrestart = (rdl == T_INF);
			pick_spin()
		:: else
		fi
	   };
		if
		:: drop -> kipc_drop_reply(me, ECONNRESET)
		:: reply -> kipc_do_reply(me)
		:: else
		fi;
		if
		:: norecv -> atomic { rr = OK; reply = false; norecv = false }
		:: else ->
			atomic {
				assert(reply_to[me] == NONE);
				rr = OK; drop = false; reply = false
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
				:: res == OK ->
					/* One receive returns each message. */
					taken[area[me]]++;
					assert(taken[area[me]] == 1);
					right = (reply_to[me] != NONE);
					assert(area_call[me] == right)
				:: res == EPIPE -> break
				:: else ->
					assert(res == EAGAIN || res == ETIMEDOUT ||
					       res == EINTR || res == ECANCELED);
					assert(reply_to[me] == NONE)
				fi;
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
	byte pt = NONE;
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
 * kipc_cancel(): end the wait of context c with ECANCELED, exactly as a
 * timeout would withdraw it, but from another task: under the queue's lock
 * if c is still queued there (->qlock is read locklessly; endpoints are
 * freed after a grace period and the lock is trusted only if c is still
 * queued under it), under c's own lock if it waits for a reply.  A context
 * a partner already owns (BUSY) or finished (DONE), or an idle one, is
 * left alone (ENOENT).  Targets the first caller or the last server.
 */
proctype canceller()
{
	byte st, c, n, held = NONE;
	bool ws;	/* for -DBUG_LOST_WAKEUP */

	for (n : 1 .. NCANCELS) {
		if
		:: c = 0
		:: c = NCTX - 1
		fi;
		st = wstate[c];		/* READ_ONCE(me->wstate) */
		if
		:: st == SENDING || st == RECEIVING ->
			atomic {
				lock(eplock);
				if
#ifndef BUG_CANCEL_STALE
				:: wstate[c] == st ->
#else
				/* The lockless look trusted: c may be gone from the queue. */
				:: true ->
#endif
					if
					:: st == SENDING ->
						assert(senders??[eval(c)]);
						senders??eval(c)
					:: else ->
						assert(receivers??[eval(c)]);
						receivers??eval(c)
					fi;
					complete_done(c, ECANCELED);
					complete_wake(c)
				:: else
				fi;
				unlock(eplock)
			}
		:: st == REPLY ->
			atomic {
				ctx_lock(c);
				if
				:: wstate[c] == REPLY ->
					reply_from[c] = NONE;
					complete_done(c, ECANCELED);
					complete_wake(c)
				:: else
				fi;
				ctx_unlock(c)
			}
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
	byte held = NONE, ar;
	bool won, wd;

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

/*
 * Not kernel code: starts the processes (one context each, numbered as
 * above) and, once all have ended, checks the end state and what became of
 * every message.
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
		for (i : NCALLERS + NSENDERS .. NCTX - 1) {
			run server(i)
		}
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
	finished == NCTX + NCLOSER + NCANCELLER + NREAPER;
	assert(eplock == 0 && len(senders) == 0 && len(receivers) == 0);
	assert(nr_send == 0 && nr_recv == 0);
	for (i : 0 .. NCTX - 1) {
		assert(wstate[i] == IDLE && ctxlock[i] == 0 && running[i] &&
		       !sleeping[i] && reply_to[i] == NONE &&
		       reply_from[i] == NONE && !parked[i])
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
}

#ifdef LIVENESS
/*
 * Every wait of the first caller ends: once its context leaves IDLE it
 * comes back (the reply, a failure or a withdrawal), whatever the others
 * do, as long as each process that can move eventually moves.  Check with
 * weak fairness: gcc -o pan pan.c && ./pan -a -f
 */
#ifndef CLOSER
ltl wait_ends { [] (wstate[0] != IDLE -> <> (wstate[0] == IDLE)) }
#else
/*
 * With -DCLOSER: once no handle with RECV is left, the last server's wait
 * in recv ends (EPIPE), whether or not a SEND handle stays open.
 */
ltl recv_ends { [] ((nr_recv == 0 && wstate[NCTX - 1] == RECEIVING) ->
		    <> (wstate[NCTX - 1] != RECEIVING)) }
#endif
#endif
