/*
 * Forwarding (ipc.c: kipc_forward(), kipc_recv_fwd(), kipc_fwd_relink()),
 * in Promela: a caller C waits for the reply of the forwarder F, which
 * holds its reply right and forwards the call to an endpoint where a
 * receiver R waits already (the direct delivery) or comes later and takes
 * F off the sender queue.  The caller may stop waiting at any moment
 * (timeout, signal, death: T10); F's forward may time out while queued
 * (T6, it keeps the right and replies itself); R replies to whom it
 * serves.
 *
 * Locks: the endpoint's lock and the caller's lock, each section one
 * atomic step; the move of the right happens under both (the endpoint's
 * outside), as in the C.
 *
 * What must hold: the caller's identity and windows are read (the
 * transfer) only while it still waits for the forwarder's reply; the
 * caller is completed at most once, and only by the context its link
 * names; a reply that finds the link gone is only ever one whose caller
 * stopped waiting; a forward that fails with ECONNRESET delivered nothing;
 * the reference a broken link leaves (kipc_reply_unlink()) is dropped
 * exactly once, by whoever holds the right then; everybody ends, nothing
 * stays queued.
 *
 * Bug variants, each must fail:
 *  -DBUG_NO_RECHECK: the receiver that takes a queued forwarder does not
 *   look again whether the caller still waits (it reads the identity of a
 *   caller whose operation ended);
 *  -DBUG_NO_MOVE: the relink leaves the caller's reply_from naming the
 *   forwarder (the new server's reply finds the link gone though the
 *   caller waits).
 */

#define NONE	0
#define FWD	1
#define RCV	2

#define OK		0
#define ECONNRESET	1
#define ETIMEDOUT	2
#define PENDING		3

/* The caller. */
bit c_waits = 1;		/* KIPC_W_REPLY */
byte reply_from = FWD;
byte c_result = PENDING;
byte c_completions = 0;
bit c_gave_up = 0;
byte refs = 0;			/* references a broken link left */

/* The rights: who holds one (reply_to set), whether it is a reference. */
bit f_right = 1;
bit r_right = 0;

/* The endpoint's queues. */
bit rcv_queued = 0;
bit fwd_queued = 0;
byte f_result = PENDING;	/* a queued forward's result (T5) */
bit r_got = 0;			/* R received the forwarded call */

#define linked(who)	(c_waits && reply_from == (who))

/* Under the caller's lock: hand the caller its result (T8, T9). */
inline complete_caller(res)
{
	assert(c_completions == 0);
	c_completions++;
	c_waits = 0;
	reply_from = NONE;
	c_result = res
}

/* The transfer: the caller's identity and windows are read. */
inline transfer(who)
{
	assert(c_waits && reply_from == who)
}

/* The relink under both locks: R serves the call from now on. */
inline relink()
{
#ifndef BUG_NO_MOVE
	reply_from = RCV;
#endif
	r_right = 1;
	f_right = 0;
	r_got = 1
}

/* Give up a right whose caller may be gone (kipc_drop_reply()). */
inline drop(err)
{
	atomic {
		if
		:: linked(me) -> complete_caller(err)
		:: else -> assert(refs > 0); refs--
		fi
	}
}

proctype caller()
{
	/* The reply comes, or the caller stops waiting (T10). */
	if
	:: atomic { !c_waits }
	:: atomic { c_waits -> c_waits = 0; reply_from = NONE; c_gave_up = 1;
		    c_result = ETIMEDOUT; refs++ }
	fi
}

proctype forwarder()
{
	byte me = FWD;

	/* kipc_forward(): under the endpoint's lock, then the caller's. */
	atomic {
		if
		:: rcv_queued && linked(FWD) ->
			transfer(FWD);
			relink();
			rcv_queued = 0;
			f_result = OK
		:: !linked(FWD) ->
			f_result = ECONNRESET
		:: !rcv_queued && linked(FWD) ->
			fwd_queued = 1
		fi
	}
	if
	:: fwd_queued ->
		/* Taken (T5), or withdrawn at its deadline (T6). */
		if
		:: atomic { !fwd_queued && f_result != PENDING }
		:: atomic { fwd_queued -> fwd_queued = 0; f_result = ETIMEDOUT }
		fi
	:: else -> skip
	fi;
	if
	:: f_result == OK -> assert(!f_right)
	:: f_result == ECONNRESET ->
		/* kipc_forward_end(): delivered nothing, gives the right up. */
		assert(f_right && !r_got);
		drop(ECONNRESET);
		f_right = 0
	:: f_result == ETIMEDOUT ->
		/* The right kept: the forwarder replies itself (T8). */
		assert(f_right);
		atomic {
			if
			:: linked(FWD) -> complete_caller(OK)
			:: else -> assert(c_gave_up && refs > 0); refs--
			fi
		};
		f_right = 0
	fi
}

proctype receiver()
{
	byte me = RCV;

	/* Queued first (kipc_deliver's partner), or comes later. */
	if
	:: atomic { !r_got && !fwd_queued && f_result == PENDING -> rcv_queued = 1 };
		if
		:: atomic { r_got }
		:: atomic { rcv_queued && f_result != PENDING -> rcv_queued = 0 }
		fi
	:: atomic {
		fwd_queued ->
			fwd_queued = 0;
#ifdef BUG_NO_RECHECK
			transfer(FWD);
			relink();
			f_result = OK
#else
			if
			:: linked(FWD) ->
				transfer(FWD);
				relink();
				f_result = OK
			:: else ->
				f_result = ECONNRESET
			fi
#endif
	   }
	:: atomic { f_result != PENDING && !r_got }	/* nothing came: gone */
	fi;
	/* The reply of the call served (T8), or a reply that finds no caller. */
	if
	:: r_right ->
		atomic {
			if
			:: linked(RCV) -> complete_caller(OK)
			:: else -> assert(c_gave_up && refs > 0); refs--
			fi
		};
		r_right = 0
	:: else -> skip
	fi
}

init {
	atomic {
		run caller();
		run forwarder();
		run receiver()
	}
	_nr_pr == 1;
	assert(!fwd_queued && !rcv_queued);
	assert(!f_right && !r_right && refs == 0);
	assert(c_result != PENDING && !c_waits);
	assert(c_gave_up || c_completions == 1)
}
