/*
 * The gate of window.c and region.c (bulk data), in Promela: a caller
 * whose call carries windows waits for its reply; NSRV servers (the one
 * that holds the reply right, and a second one whose right is stale: a
 * context that served the caller's previous call) copy pieces into its
 * windows; the caller may stop waiting at any moment (timeout, signal,
 * death: T10), the server may reply (T8).  A region's revoke is the same
 * protocol with "revoked" for "not live".
 *
 * The caller's lock (a spinlock) makes each locked section one atomic
 * step; a piece's copy is the step between enter and leave, split in two
 * (its first and last byte) so that an interleaving can end the call in
 * the middle of it.
 *
 * The call may also be parked by a signal (kipc_win_park()): its task
 * goes back to user space (stopped, or running a handler that may reuse
 * the memory and never come back), then either resumes the call
 * (kipc_win_unpark()) or ends it.
 *
 * What must hold: no byte lands in the caller's memory after its
 * operation returned (the caller reuses it then) or while its task is
 * back in user space with the call parked, and the caller never returns
 * while a piece is in flight; the stale server never copies at all;
 * nothing stays counted (busy back to 0) once all are done.
 *
 * Bug variants, each must fail:
 *  -DBUG_ONCE: the server checks that the call is live once, before its
 *   first piece, not at every piece (a timed-out caller is written after
 *   it returned);
 *  -DBUG_NO_DRAIN: the caller returns without waiting for the piece in
 *   flight (kipc_win_end() left out);
 *  -DBUG_NO_FROM: the gate checks only that the caller waits for a reply,
 *   not that it waits for this server (the stale right copies);
 *  -DBUG_PARK_OPEN: a parked call's windows stay open (the gate does not
 *   look at the park, as before the review of session 8).
 */

#ifndef NSRV
#define NSRV	2
#endif
#ifndef PIECES
#define PIECES	2
#endif

#define W_REPLY	1
#define W_IDLE	0

byte wstate = W_REPLY;	/* the caller: waits for the reply of server 1 */
byte reply_from = 1;
byte busy = 0;		/* pieces inside the gate */
bit returned = 0;	/* the caller's operation returned: memory reused */
bit replied = 0;
bit parked = 0;		/* the call is parked: windows closed */
bit in_user = 0;	/* and its task runs in user space (a handler) */

inline gate_enter(me, ok)
{
	atomic {
#ifdef BUG_NO_FROM
		if
		:: wstate == W_REPLY -> busy++; ok = 1
		:: else -> ok = 0
		fi
#elif defined(BUG_PARK_OPEN)
		if
		:: wstate == W_REPLY && reply_from == me -> busy++; ok = 1
		:: else -> ok = 0
		fi
#else
		if
		:: wstate == W_REPLY && reply_from == me && !parked -> busy++; ok = 1
		:: else -> ok = 0
		fi
#endif
	}
}

inline gate_leave()
{
	atomic { busy-- }
}

/*
 * One byte of a piece lands in the caller's memory: only from the server
 * that holds the right, only before the caller returned.
 */
inline land(me)
{
	assert(me == 1 && !returned && !in_user)
}

proctype server(byte me)
{
	byte n = 0;
	bit ok = 0;

#ifdef BUG_ONCE
	gate_enter(me, ok);
	if
	:: !ok -> goto done
	:: else -> gate_leave()
	fi;
#endif
	do
	:: n < PIECES ->
#ifdef BUG_ONCE
		atomic { busy++ };
		ok = 1;
#else
		gate_enter(me, ok);
#endif
		if
		:: !ok -> break	/* ECONNRESET, or EAGAIN: given up here */
		:: else -> skip
		fi;
		land(me);	/* the piece's first byte ... */
		land(me);	/* ... and its last */
		gate_leave();
		n++
	:: n < PIECES -> break	/* the server stops copying early */
	:: n == PIECES -> break
	od;
	/* The right holder replies (T8) if the caller still waits. */
	if
	:: me == 1 ->
		atomic {
			if
			:: wstate == W_REPLY && reply_from == 1 ->
				wstate = W_IDLE; reply_from = 0; replied = 1
			:: else -> skip
			fi
		}
	:: else -> skip
	fi;
done:
	skip
}

proctype caller()
{
	/* A signal may park the call first: the windows close, drain. */
	if
	:: atomic { wstate == W_REPLY -> parked = 1 };
		busy == 0;
		in_user = 1;	/* a handler runs, or the task is stopped */
		/* It comes back to the call (which may have been answered). */
		atomic { in_user = 0; parked = 0 }
	:: skip
	fi;
	/* Either the reply comes (T8), or the caller stops waiting (T10). */
	if
	:: atomic { wstate == W_IDLE && replied }
	:: atomic { wstate == W_REPLY -> wstate = W_IDLE; reply_from = 0 }
	fi;
#ifndef BUG_NO_DRAIN
	/* kipc_win_end(): the piece in flight lands first. */
	busy == 0;
#endif
	returned = 1
}

init {
	atomic {
		run caller();
		run server(1);
		if
		:: NSRV > 1 -> run server(2)
		:: else -> skip
		fi
	}
	_nr_pr == 1;
	assert(busy == 0 && returned)
}
