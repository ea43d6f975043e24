/*
 * The lend protocol of sched.c (scheduling that follows the call), in
 * Promela: one server context serving NCALLS calls, each delivered by its
 * caller, who lends its urgency after the delivery (kipc_deliver() then
 * kipc_pi_lend_call()); the server settles the same lend itself before it
 * runs for the call (kipc_pi_settle()); a queued caller lends at any
 * moment on the call it saw (kipc_pi_queued(), or a chain); a caller may
 * stop waiting before the reply (kipc_pi_withdrawn()).  Everything under
 * kipc_pi_mutex is one atomic step (the mutex); the lockless parts are
 * the server's sequence, its ->lent flag and the decision at delivery.
 * Spin explores every interleaving (sequential consistency: the
 * smp_mb() pairs of the module make the store-buffer outcomes the model
 * omits impossible).
 *
 * What must hold:
 *  - a call its caller lent to (a caller more urgent than the server, or
 *    not: both are explored) runs boosted: when the server runs for it
 *    (after its settle) while the caller still waits, its thread is
 *    boosted at least to the caller's urgency;
 *  - no lend outlives its call: once every process is done, the thread
 *    runs at its own settings (boost 0) and no lend is recorded.
 *
 * Bug variants, each must fail:
 *  -DBUG_UNDO_NO_UPDATE: a lender that finds the call ended clears
 *   ->lent and the keys but does not settle the boost itself (fixed in
 *   b1aad6b: the server, which read ->lent cleared, never ends it);
 *  -DBUG_NO_SETTLE: the server does not settle the lend before it runs
 *   for the call (the caller lends after waking it: the server may run
 *   a while unboosted);
 *  -DBUG_END_NO_MB: the server reads ->lent before it moves its sequence
 *   (the store-buffer pair broken: a lend recorded after the read
 *   survives the call).
 */

#ifndef NCALLS
#define NCALLS	2
#endif
#ifndef QLEND
#define QLEND	1	/* queued-caller lends, each on the call it saw */
#endif

#define KEY	2	/* the callers' urgency; the server's own is 0 */

/* The server context: its sequence (odd while it serves), the lend. */
byte seq = 0;
bit lent = 0;
byte key_seq = 0;
byte call_key = 0;
byte queue_key = 0;
/* The thread: the urgency it runs at (0: its own settings). */
byte boost = 0;
/* Ghosts: which call is served, its caller still waiting. */
bit waiting[NCALLS];
bit lends[NCALLS];	/* the caller is more urgent: it lends */
byte done_procs = 0;

/* kipc_pi_lends(): the lends of the call served now. */
#define LENDS	((seq % 2 == 1 && key_seq == seq) -> \
		 (call_key > queue_key -> call_key : queue_key) : 0)

/* kipc_pi_update(), under the mutex. */
inline update()
{
	boost = LENDS
}

bit mtx = 0;		/* kipc_pi_mutex */

inline lock()
{
	atomic { mtx == 0 -> mtx = 1 }
}

inline unlock()
{
	mtx = 0
}

/* kipc_pi_lend() under the mutex; @s the sequence seen, @c a call lend. */
inline lend(s, c)
{
	lock();
	if
	:: s % 2 == 1 && seq == s ->
		if
		:: key_seq != s -> key_seq = s; call_key = 0; queue_key = 0
		:: else
		fi;
		if
		:: c -> call_key = KEY
		:: else -> queue_key = KEY
		fi;
		lent = 1;
		/* smp_mb(), then the check: the server may end the call here */
		if
		:: seq != s ->
			call_key = 0; queue_key = 0; lent = 0;
#ifndef BUG_UNDO_NO_UPDATE
			update()
#else
			skip
#endif
		:: else -> update()
		fi
	:: else
	fi;
	unlock()
}

/* kipc_pi_end() under the mutex. */
inline pi_end()
{
	lock();
	if
	:: LENDS == 0 -> call_key = 0; queue_key = 0; lent = 0
	:: else
	fi;
	update();
	unlock()
}

/* kipc_pi_withdrawn(): the caller of call @s stopped waiting. */
inline withdrawn(s)
{
	lock();
	if
	:: key_seq == s && call_key != 0 -> call_key = 0; update()
	:: else
	fi;
	unlock()
}

byte delivered = 0;	/* calls delivered */

/* Caller i: delivers call i when the server waits, lends, maybe withdraws. */
proctype caller(byte i)
{
	byte s;

	/* kipc_deliver(), under ep->lock: the server was waiting (seq even). */
	atomic {
		delivered == i && seq % 2 == 0 ->
		seq++; s = seq; waiting[i] = 1; delivered++;
		/* kipc_serve_start(): more urgent than the server, or not */
		if
		:: lends[i] = 1
		:: skip
		fi
	}
	/* kipc_pi_lend_call(): after the lock, maybe late. */
	if
	:: lends[i] -> lend(s, 1)
	:: else
	fi;
	/* It may stop waiting before the reply (timeout, signal, death). */
	if
	:: atomic { waiting[i] -> waiting[i] = 0 }; withdrawn(s)
	:: skip
	fi;
	atomic { done_procs++ }
}

/* A queued caller (or a chain) lending on whatever call it saw. */
proctype queued()
{
	byte s;

	s = seq;
	lend(s, 0);
	atomic { done_procs++ }
}

proctype server()
{
	byte n = 0, s;
	bit l;

	do
	:: n < NCALLS ->
		/* the receive returns: a call is delivered (seq odd) */
		atomic { seq % 2 == 1 -> s = seq };
#ifndef BUG_NO_SETTLE
		/* kipc_pi_settle(): the lend, if the caller did not yet */
		if
		:: lends[n] -> lend(s, 1)
		:: else
		fi;
#endif
		/* it runs for the call: boosted while its lending caller waits */
		assert(!waiting[n] || !lends[n] || boost >= KEY);
		/* the reply: the caller's wait ends */
		atomic { waiting[n] = 0 };
#ifdef BUG_END_NO_MB
		l = lent;
		seq++;
#else
		/* kipc_serve_stop(), smp_mb(), the flag */
		seq++;
		l = lent;
#endif
		if
		:: l -> pi_end()
		:: else
		fi;
		n++
	:: else -> break
	od;
	atomic { done_procs++ }
}

init
{
	byte i;

	atomic {
		run server();
		i = 0;
		do
		:: i < NCALLS -> run caller(i); i++
		:: else -> break
		od;
		i = 0;
		do
		:: i < QLEND -> run queued(); i++
		:: else -> break
		od
	}
	/* Once all are done: nothing lent any more, its own settings back. */
	done_procs == 1 + NCALLS + QLEND;
	assert(boost == 0);
	assert(LENDS == 0)
}
