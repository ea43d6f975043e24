// SPDX-License-Identifier: GPL-2.0
/*
 * Stress: client processes call a multi-threaded server process through
 * two endpoints for KIPC_STRESS_SECONDS seconds (default 30) while the
 * test process, the controller, interrupts everybody with signals, kills
 * and respawns clients, and twice kills the whole server and starts a new
 * one.
 *
 * Endpoint A lives all along: the controller keeps a full-rights handle,
 * so its calls never fail with EPIPE and calls queued while the server
 * restarts simply wait.  Endpoint B is made anew for each server: only the
 * server holds its receive right, so the server's death makes every call
 * on it fail with EPIPE until the clients get the next B's handle over a
 * unix socket (SCM_RIGHTS).
 *
 * Every call carries the client slot and a sequence number that is never
 * reused in its label, a register count of 0..64 and registers derived
 * from the label.  It must end either in its own, intact reply or in an
 * error the moment allows, and a failed call must leave the caller's
 * message area untouched.  The servers check every request (badge, flags,
 * registers) and that no request is ever delivered twice.  Afterwards
 * nothing may be left waiting on either endpoint.
 *
 * Besides its synchronous threads the server runs an io_uring thread that
 * keeps NURING receives on A in flight from one ring and answers with
 * reply_recv on the ring: killing the server kills it with operations
 * pending, which must end when io_uring tears the ring down (nothing left
 * waiting, /proc/kipc/stats "async" back to its baseline).
 *
 * One call in four on B also carries 1..3 descriptors (the client thread's
 * pipe): the server checks their number and kind and replies with one of
 * them, which the client checks and closes.  (Not on A: io_uring
 * operations take no descriptors.)  The live counts, descriptors in
 * flight included, must be back at their baseline at the end.
 *
 * ABI 1.2 mixes with ABI 1.0 on the same endpoints: two client threads in
 * three call through registered slots (KIPC_SLOT(): A in slot 0, B in
 * slot 1 once it has one) or with the descriptor in the message area
 * (KIPC_IOC_MCALL), one call in three each, and reserve no descriptors for
 * a reply that brings none now and then (the fast path); server thread 0
 * speaks ABI 1.0, thread 1 receives and replies through its slots 0 (A)
 * and 1 (B) only, thread 2 picks a way per operation; half of the
 * io_uring server's receives name slot 0 of their context
 * (KIPC_ARGS_SLOT).  A churner thread in every client process and in the
 * server registers while they work: it replaces the slots in use with
 * fresh handles as good as theirs and closes each fresh descriptor at
 * once (the slot's traffic must not notice), fills and clears the other
 * slots (wrong fds too: EBADF) and registers out of range (EINVAL).  A
 * context runs one operation at a time, so each side may find the other
 * there: the ioctls on those contexts are marked, and EBUSY is right only
 * if the other side's overlapped (a server operation is then issued
 * again, a client call counts as failed).
 *
 * Signals that run no handler must never change an operation's outcome
 * (restart.c), so the controller also stops and continues clients and the
 * server (SIGSTOP, or SIGTSTP left at its default), sends them ignored and
 * default-ignored signals (SIGCHLD, SIGWINCH, SIG_IGN'd SIGUSR2, and
 * SIGUSR1 to the clients that ignore it) that their main thread blocks, as
 * a thread calling system() does, so that they are queued and wake the
 * threads that call, and now and then attaches to a client thread with
 * ptrace (seize, interrupt, detach).  Only a thread that a SIGUSR1 handler
 * can reach may see EINTR: the first thread of a client process that
 * catches SIGUSR1 (the second blocks it; one process generation in three
 * catches nothing at all) and two of the three synchronous server threads.
 * A call or receive with a finite timeout must not time out before its
 * deadline nor end long after it.  And no call may fail whose reply the
 * server was told went out: a failed call is marked, a delivered reply
 * too, and whoever comes second checks the other's mark.
 *
 * Bulk data (ABI 1.5): one call in four on B also names two memory
 * windows of 1 byte to 256 KiB, a READ window holding a pattern of its
 * label and a WRITE window; the synchronous server threads read the first
 * whole, check it, and fill the second with the reply's pattern, which
 * the client checks after the reply (not on A: the ring server does not
 * copy); an access that finds the caller interrupted (EAGAIN: stopped,
 * traced, in a handler) is made again.  And every server exposes a region (its "board", a 4 KiB record
 * per slot); clients take a handle of the current server's board with
 * pidfd_getfd() and put a record of the call into it before half of their
 * window calls, which the server checks in its own memory without having
 * run for it; a killed server's board fails every put with EPIPE.
 *
 * Scheduling follows the call (sched.c): every client thread runs at a
 * random nice value from -5 to 5 and every server thread at its own from
 * 0 to 10, so calls lend priorities all the time (at delivery, to busy
 * servers, ended by kills, timeouts and signals); after each plain reply
 * a server thread must run at exactly its own nice value again, and at
 * the end no thread may be left boosted ("boosted" back to its baseline).
 *
 * Forwarding (ABI 1.7): one call in eight that a synchronous server thread
 * receives is not served there but forwarded, with its reply right and its
 * descriptors, to an endpoint F of the server's own (ABI 1.0, or
 * KIPC_IOC_MFORWARD in the area), waiting up to a random timeout; a
 * forward thread serves F exactly as the others serve A and B, and checks
 * that the call came forwarded once, with the forwarder's badge (which
 * says whether it came on A or B) and its caller's identity and windows.
 * A forward that timed out or found nobody kept its right: the thread
 * serves the call itself.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <liburing.h>

#include "kipc_test.h"
#include <kipc_uring.h>

enum {
	NCLI = 4,		/* client processes */
	NTHR = 2,		/* client threads per process */
	NSLOT = NCLI * NTHR,	/* client threads: one label space each */
	NSRV = 3,		/* server threads */
	SEEN = 4096,		/* window of the duplicate detector (per slot) */
	NMSG = 16,		/* error descriptions kept */
	NURING = 4,		/* receives the io_uring server keeps in flight */
	MSGLEN = 240,
};

#ifndef DEFAULT_SECONDS
#define DEFAULT_SECONDS	30
#endif
#define MARGIN_SECONDS	90	/* stopping, reaping, checking */
#define STOP_SECONDS	20	/* a client not gone by then hangs */
#define LATE_MS		5000	/* a finite wait ending later than its deadline
				 * plus this (times kipcslow) is a bug */

/* Label: 8 bits of slot, 40 bits of sequence (12 generation, 28 count). */
#define LABEL(slot, seq)	(((uint64_t)(slot) << 40) | (seq))
#define LABEL_SLOT(l)		((unsigned int)((l) >> 40))
#define SEQ(gen, cnt)		((((uint64_t)(gen) & 0xfff) << 28) | ((cnt) & 0xfffffff))

/* Badge of a slot's handle: endpoint (0: A, 1: B), B's generation, slot. */
#define BADGE(ep, gen, slot) \
	(((uint64_t)(ep) << 48) | ((uint64_t)(gen) << 16) | ((slot) + 1))

#define POISON		0x5a5a5a5a00000000ULL

/* Counters, all in shared memory and updated atomically. */
struct counts {
	uint64_t calls, ok, eagain, etimedout, eintr, econnreset, epipe;
	uint64_t dropped, b_calls, errors;
	uint64_t srv_msgs, srv_lost, srv_eagain, srv_etimedout, srv_eintr;
	uint64_t srv_uring;
	uint64_t signals, client_kills, server_kills;
	/* signals that run no handler, and what they must not change */
	uint64_t stops, tstps, srv_stops, stopped_seen, ignored, ptraces;
	uint64_t quiet_calls, quiet_eintr, srv_quiet_eintr;
	uint64_t early, late, late_max_ns, lost_replies;
	/* ABI 1.2: calls by how they name the endpoint, server operations
	 * through slots, registrations by the churners and who found whom busy */
	uint64_t slot_calls, area_calls, srv_slot_ops, srv_area_ops, uring_slot;
	uint64_t churns, churn_busy, busy_calls, srv_busy;
	uint64_t stop_max_ns;	/* longest stop (SIGSTOP to SIGCONT) */
	/* ABI 1.5: window calls, bytes checked, board puts and their checks */
	uint64_t win_calls, win_bytes, win_reset, puts, put_epipe, board_checks;
	uint64_t win_parked;
	/* ABI 1.7: calls forwarded, kept after a failed forward, served on F */
	uint64_t fwd_calls, fwd_kept, fwd_lost, fwd_served;
};

/* Created before any fork, MAP_SHARED: everybody's view of the run. */
struct shared {
	int stop;		/* clients: finish the current call and go */
	int kills_started;	/* server kills begun (bumped before SIGKILL) */
	int kills_done;		/* server kills finished (new server up) */
	int b_gen;		/* generation of the current endpoint B */
	int board_gen;		/* generation of the server's board, 0: none yet */
	int board_fd;		/* its region handle in the server process */
	pid_t board_pid;	/* that process */
	struct counts n;
	int nmsg;
	char msg[NMSG][MSGLEN];
	char late_what[MSGLEN];	/* the latest finite wait (racy: a hint) */
	int slot_tid[NSLOT];
	struct {		/* the call a client thread is in, for a hang */
		uint64_t label, timeout, since;
		int on_b;
	} inflight[NSLOT];
	int srv_tid[NSRV];
	uint64_t seen[NSLOT][SEEN];	/* label + 1 of requests received */
	uint64_t replied[NSLOT][SEEN];	/* label + 1 of replies that went out */
	uint64_t failed[NSLOT][SEEN];	/* label + 1 of calls that failed */
	int failed_ret[NSLOT][SEEN];	/* and how */
};

/*
 * The controller's state.  A child gets a copy at fork: the fd numbers and
 * generations that it needs.
 */
static struct world {
	struct shared *sh;
	struct kipc_ctx c;	/* the controller's context */
	int ep_a;		/* A, all rights: held by the controller */
	int a_srv;		/* A, receive right only: for the servers */
	int a_slot[NSLOT];	/* A, send right, badged per slot */
	int b_full;		/* B, all rights: only while forking a server */
	int b_ctl;		/* B, send right: the controller's view of B */
	int b_slot[NSLOT];	/* B, send right, badged per slot */
	int sock_ctl[NSLOT];	/* controller's end of each slot's socket */
	int sock_cli[NSLOT];	/* client's end */
	int srv_gen;		/* generation of the server (and of B) */
	int cli_gen[NCLI];	/* generation of each client process */
	pid_t srv;
	pid_t cli[NCLI];
	uint64_t late_ns;	/* LATE_MS, scaled for the kernel's speed */
	uint64_t cont_at[NCLI + 1];	/* stopped client/server: SIGCONT due */
	uint64_t stopped_at[NCLI + 1];	/* and since when */
} W;

#define SH	(W.sh)
#define ADD(field, v)	__atomic_fetch_add(&SH->n.field, (v), __ATOMIC_RELAXED)
#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_ACQUIRE)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t req_val(uint64_t label, unsigned int i)
{
	return mix(label * 131 + i + 1);
}

static uint64_t rep_val(uint64_t label, unsigned int i)
{
	return mix(~label * 137 + i);
}

static uint64_t checksum(const __u64 *mr, unsigned int n)
{
	uint64_t c = n;

	for (unsigned int i = 0; i < n; i++)
		c = mix(c ^ mr[i]);
	return c;
}

/* Calls whose reply right the server gives up on purpose: ECONNRESET. */
static bool dropped(uint64_t label)
{
	return mix(label ^ 0xd809) % 64 == 0;
}

/*
 * Calls the server answers with reply, a pause, then recv instead of
 * reply_recv: callers then queue up (SENDING) more often.
 */
static bool split(uint64_t label)
{
	return mix(label ^ 0x5b17) % 4 == 1;
}

/*
 * ABI 1.7: the server's endpoint F: its receive handle, and a send handle
 * per endpoint the forwarded calls came on (badge FWD_BADGE(on_b)).
 */
#define FWD_BADGE(on_b)	(0xf0d0000000000000ULL | (on_b))
static int fwd_rcv = -1, fwd_ep[2] = { -1, -1 };

static bool forwarded(uint64_t label)
{
	return (mix(label ^ 0xf0d) & 7) == 0;
}

/* Descriptors a call carries (its client's pipe), 0..3. */
static unsigned int fds_of(uint64_t label)
{
	uint64_t m = mix(label ^ 0xfd5);

	return m % 4 == 1 ? 1 + (m >> 8) % 3 : 0;
}

/* Descriptors travel only through B, which no io_uring server receives on. */
static unsigned int fds_on(uint64_t label, bool on_b)
{
	return on_b ? fds_of(label) : 0;
}

/* ABI 1.5: a call on B with two windows, one in four; their length. */
#define WIN_MAX		(256 << 10)
#define BOARD_REC	4096

static bool wins_on(uint64_t label, bool on_b)
{
	return on_b && ((label >> 2) % 4) == 1;
}

static size_t win_len(uint64_t label)
{
	return 1 + (label * 0x9e3779b97f4a7c15ULL >> 40) % WIN_MAX;
}

/* Byte @i of the request (READ window; its first 8 bytes: a board gen). */
static unsigned char req_byte(uint64_t label, size_t i)
{
	return (unsigned char)(label + i * 7 + (i >> 9));
}

static unsigned char rep_byte(uint64_t label, size_t i)
{
	return (unsigned char)(label * 3 + i * 5 + (i >> 11));
}

static bool is_fifo(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISFIFO(st.st_mode);
}

static void spin_us(unsigned int us)
{
	uint64_t end = now_ns() + us * 1000ULL;

	while (now_ns() < end)
		;
}

/* Reply size: one more register than the request, for the checksum. */
static unsigned int reply_nr(unsigned int n)
{
	return n < KIPC_MSG_REGS ? n + 1 : n;
}

/* Count an error and keep its description for the log. */
static void __attribute__((format(printf, 1, 2))) report(const char *fmt, ...)
{
	int i = __atomic_fetch_add(&SH->nmsg, 1, __ATOMIC_RELAXED);
	va_list ap;

	ADD(errors, 1);
	if (i >= NMSG)
		return;
	va_start(ap, fmt);
	vsnprintf(SH->msg[i], MSGLEN, fmt, ap);
	va_end(ap);
}

static uint64_t pick_timeout(uint64_t *s, unsigned int max_ms)
{
	unsigned int r = rnd(s) % 16;

	if (r < 2)
		return KIPC_TIMEOUT_POLL;
	if (r < 8)
		return (1 + rnd(s) % max_ms) * MS;
	return INF;
}

static void store_max(uint64_t *p, uint64_t v)
{
	uint64_t old = LOAD(*p);

	while (v > old && !__atomic_compare_exchange_n(p, &old, v, false,
						       __ATOMIC_RELAXED,
						       __ATOMIC_RELAXED))
		;
}

/*
 * A wait with the finite timeout @to began at @t0 (before the ioctl, so
 * before its deadline was set) and ended with @ret: ETIMEDOUT before the
 * deadline is wrong, and so is any end long after it (a stop lasts
 * milliseconds; a starved controller or vCPU adds some hundreds).
 */
static void check_deadline(const char *who, int idx, uint64_t label,
			   uint64_t to, uint64_t t0, int ret)
{
	uint64_t el = now_ns() - t0;

	if (to == KIPC_TIMEOUT_POLL || to == INF)
		return;
	if (ret == -ETIMEDOUT && el < to) {
		ADD(early, 1);
		report("%s %d: %#llx timed out after %llu us, its timeout is %llu us",
		       who, idx, (unsigned long long)label,
		       (unsigned long long)el / 1000, (unsigned long long)to / 1000);
	}
	if (el <= to)
		return;
	if (el - to > LOAD(SH->n.late_max_ns)) {
		store_max(&SH->n.late_max_ns, el - to);
		snprintf(SH->late_what, sizeof(SH->late_what),
			 "%s %d, %#llx, timeout %llu us: %d",
			 who, idx, (unsigned long long)label,
			 (unsigned long long)to / 1000, ret);
	}
	if (el - to > W.late_ns) {
		ADD(late, 1);
		report("%s %d: %#llx ended (%d) %llu ms after its deadline",
		       who, idx, (unsigned long long)label, ret,
		       (unsigned long long)(el - to) / MS);
	}
}

/*
 * No call may fail whose reply went out, and no reply go out to a call
 * that failed (all or nothing; a call that saw EINTR included: the reply
 * must then fail with ECONNRESET).  Each side marks its half and checks
 * the other's: whoever comes second sees both (sequentially consistent),
 * so one loss may be counted twice.
 */
static void mark_replied(uint64_t label, const char *how)
{
	unsigned int slot = LABEL_SLOT(label);

	if (slot >= NSLOT)
		return;
	__atomic_store_n(&SH->replied[slot][label % SEEN], label + 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&SH->failed[slot][label % SEEN], __ATOMIC_SEQ_CST) ==
	    label + 1) {
		ADD(lost_replies, 1);
		report("server: the reply to %#llx went out (%s), but the call failed (%d)",
		       (unsigned long long)label, how,
		       __atomic_load_n(&SH->failed_ret[slot][label % SEEN], __ATOMIC_SEQ_CST));
	}
}

static void mark_failed(int slot, uint64_t label, int ret)
{
	__atomic_store_n(&SH->failed_ret[slot][label % SEEN], ret, __ATOMIC_SEQ_CST);
	__atomic_store_n(&SH->failed[slot][label % SEEN], label + 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&SH->replied[slot][label % SEEN], __ATOMIC_SEQ_CST) ==
	    label + 1) {
		ADD(lost_replies, 1);
		report("client %d: call %#llx failed with %d, but its reply went out",
		       slot, (unsigned long long)label, ret);
	}
}

/* Did the reply of a reply_recv that returned @ret go out? */
static bool reply_went_out(struct kipc_ctx *c, int ret)
{
	if (ret && ret != -EAGAIN && ret != -ETIMEDOUT && ret != -EINTR)
		return false;	/* refused (the server sends none such) */
	return !(c->utcb->status & KIPC_ST_REPLY_LOST);
}

/* The signals nobody handles that the controller sends (see main thread). */
static void block_ignored(bool usr1)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGWINCH);
	sigaddset(&set, SIGUSR2);
	if (usr1)
		sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void block_usr1(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* ---- ABI 1.2: registered slots, arguments in the message area ---- */

/*
 * How an operation names its endpoint: S_OLD, ABI 1.0 (a struct
 * kipc_ipc with the descriptor); S_SLOT, a registered slot (KIPC_SLOT():
 * KIPC_IOC_M* with KIPC_ARGS_SLOT, the fast path for polls and infinite
 * waits without descriptors to receive); S_AREA, KIPC_IOC_M* with the
 * descriptor in the area.
 */
enum { S_OLD, S_SLOT, S_AREA, S_NUM };
static const char *const style_name[S_NUM] = { "ABI 1.0", "slot", "area" };

static int area_op(struct kipc_ctx *c, unsigned long cmd, int ep, uint64_t st, uint64_t rt)
{
	c->utcb->args = (struct kipc_area_args){
		.ep = ep, .send_timeout = st, .recv_timeout = rt,
	};
	return ioctl(c->fd, cmd, 0) < 0 ? -errno : 0;
}

/* A reply: ABI 1.0, or KIPC_IOC_MREPLY (no endpoint: -1 in the area). */
static int reply_as(struct kipc_ctx *c, int style, uint64_t tag)
{
	if (style == S_OLD)
		return kipc_reply(c, tag);
	c->utcb->tag = tag;
	return area_op(c, KIPC_IOC_MREPLY, -1, 0, 0);
}

/*
 * The ioctls on a context that one thread runs operations on and another
 * (a churner) registers slots of are marked: EBUSY is right for either
 * only if a marked ioctl of the other overlapped.
 */
struct mark {
	int busy;		/* marked ioctls in progress */
	uint64_t seq;		/* their starts and ends */
};

struct span {
	int b0;
	uint64_t q0;
};

static void mark_in(struct mark *m, struct span *sp)
{
	sp->b0 = __atomic_add_fetch(&m->busy, 1, __ATOMIC_SEQ_CST);
	sp->q0 = __atomic_fetch_add(&m->seq, 1, __ATOMIC_SEQ_CST);
}

/* Did another marked ioctl run at some moment since mark_in()? */
static bool mark_out(struct mark *m, const struct span *sp)
{
	uint64_t q1 = __atomic_fetch_add(&m->seq, 1, __ATOMIC_SEQ_CST);
	int b1 = __atomic_fetch_sub(&m->busy, 1, __ATOMIC_SEQ_CST);

	return sp->b0 > 1 || b1 > 1 || q1 != sp->q0 + 1;
}

/*
 * @expr, an operation on a context marked by @m, again while the
 * churner's registration holds the context (EBUSY with an overlap); an
 * EBUSY nobody caused is reported.  The counter @busy counts the retries.
 */
#define MARKED(m, busy, what, expr) ({						\
	struct span sp_;							\
	bool ov_;								\
	int r_;									\
	for (;;) {								\
		mark_in((m), &sp_);						\
		r_ = (expr);							\
		ov_ = mark_out((m), &sp_);					\
		if (r_ != -EBUSY || !ov_)					\
			break;							\
		ADD(busy, 1);							\
		sched_yield();							\
	}									\
	if (r_ == -EBUSY)							\
		report("%s: EBUSY, and no other ioctl on its context ran", (what)); \
	r_;									\
})

/*
 * A churner's registration in @slot of @c (marked by @m): EINVAL for a
 * slot out of range, EBADF for a wrong fd, else 0, or EBUSY while the
 * owner's operation runs.
 */
static void churn_register(struct kipc_ctx *c, struct mark *m, unsigned int slot, int fd,
			   bool clear, bool wrong, const char *who)
{
	struct kipc_register r = {
		.fd = clear ? -1 : fd, .slot = slot, .flags = clear ? KIPC_REGISTER_CLEAR : 0,
	};
	struct span sp;
	int ret, want;
	bool ov;

	mark_in(m, &sp);
	ret = ioctl(c->fd, KIPC_IOC_REGISTER, &r) < 0 ? -errno : 0;
	ov = mark_out(m, &sp);
	ADD(churns, 1);
	want = slot >= KIPC_SLOTS ? -EINVAL : wrong ? -EBADF : 0;
	if (ret == -EBUSY && want == 0 && ov)
		ADD(churn_busy, 1);
	else if (ret != want)
		report("%s: register %s in slot %u: %d, not %d%s", who,
		       clear ? "nothing" : wrong ? "a wrong fd" : "a handle", slot, ret, want,
		       ret == -EBUSY ? " (and no operation ran on the context)" : "");
}

/* ---- server ---- */

enum { M_NONE, M_REPLY, M_SPLIT, M_DROP };

/*
 * Check the request that arrived in @c (on B if @on_b) and put the reply
 * into @c.  Returns the reply's tag; *@mode says how to answer.
 */
/* The server's board: a region of its memory, a record per slot. */
static unsigned char *board;

static struct mark *srv_mark(struct kipc_ctx *c);

/*
 * A window access on a server thread's context, marked like its other
 * ioctls: EBUSY only while the churner registers there (then again).
 */
static ssize_t win_io(struct kipc_ctx *c, bool write, unsigned int w, void *buf,
		      size_t len)
{
	ssize_t n;

	/* EAGAIN: the caller is stopped, traced or in a handler: later. */
	for (int i = 0; i < 10000; i++) {
		n = MARKED(srv_mark(c), srv_busy, "server: window access",
			   (int)(write ? kipc_win_write(c, w, 0, buf, len) :
					 kipc_win_read(c, w, 0, buf, len)));
		if (n != -EAGAIN)
			break;
		ADD(win_parked, 1);
		usleep(500);
	}
	return n;
}

/*
 * A request with windows: read the READ window whole and check it, fill
 * the WRITE window with the reply's bytes; if the client put the call's
 * record on our board, it is there, in our memory.
 */
static void serve_windows(struct kipc_ctx *c, uint64_t label, bool on_b)
{
	static __thread unsigned char *buf;
	size_t len = win_len(label);
	uint64_t gen;
	ssize_t n;

	if (kipc_nwins(c) != (wins_on(label, on_b) ? 2 : 0)) {
		report("server: label %#llx came with %u windows", (unsigned long long)label,
		       kipc_nwins(c));
		return;
	}
	if (!kipc_nwins(c))
		return;
	if (kipc_win_len(c, 0) != len || kipc_win_len(c, 1) != len ||
	    kipc_win_flags(c, 0) != KIPC_WIN_READ || kipc_win_flags(c, 1) != KIPC_WIN_WRITE) {
		report("server: label %#llx: windows %llu/%#x %llu/%#x, not %zu",
		       (unsigned long long)label, (unsigned long long)kipc_win_len(c, 0),
		       kipc_win_flags(c, 0), (unsigned long long)kipc_win_len(c, 1),
		       kipc_win_flags(c, 1), len);
		return;
	}
	if (!buf)
		buf = malloc(WIN_MAX);
	n = win_io(c, false, 0, buf, len);
	if (n == -ECONNRESET) {
		ADD(win_reset, 1);
		return;
	}
	if (n != (ssize_t)len) {
		report("server: label %#llx: window read: %zd", (unsigned long long)label, n);
		return;
	}
	for (size_t i = 8; i < len; i++) {
		if (buf[i] != req_byte(label, i)) {
			report("server: label %#llx: window byte %zu is %#x",
			       (unsigned long long)label, i, buf[i]);
			return;
		}
	}
	/* Our copy says whether the client put a record on this board. */
	if (len >= 8) {
		memcpy(&gen, buf, 8);
		if (gen && gen == (uint64_t)W.srv_gen && board) {
			uint64_t rec;

			/*
			 * This call's record, or a later call's of the same
			 * slot (its caller may have given this one up).
			 */
			memcpy(&rec, board + LABEL_SLOT(label) * BOARD_REC, 8);
			if (rec < label || LABEL_SLOT(rec) != LABEL_SLOT(label))
				report("server: label %#llx: the board holds %#llx",
				       (unsigned long long)label, (unsigned long long)rec);
			ADD(board_checks, 1);
		}
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = rep_byte(label, i);
	n = win_io(c, true, 1, buf, len);
	if (n == -ECONNRESET) {
		ADD(win_reset, 1);
		return;
	}
	if (n != (ssize_t)len)
		report("server: label %#llx: window write: %zd", (unsigned long long)label, n);
	ADD(win_bytes, 2 * len);
}

static uint64_t serve_request(struct kipc_ctx *c, bool on_b, int *mode,
			      int *pending)
{
	uint64_t tag, label, badge;
	unsigned int n, slot, rn;

	ADD(srv_msgs, 1);
	tag = kipc_tag(c);
	label = KIPC_TAG_LABEL(tag);
	n = KIPC_TAG_NR(tag);
	slot = LABEL_SLOT(label);
	badge = c->utcb->badge;
	/* A call forwarded to F: once, with the forwarder's badge. */
	if (c->utcb->status & KIPC_ST_FORWARDED) {
		if (KIPC_ST_HOPS(c->utcb->status) != 1 || !forwarded(label))
			report("server: label %#llx forwarded, status %#x",
			       (unsigned long long)label, c->utcb->status);
		ADD(fwd_served, 1);
		badge = badge == FWD_BADGE(on_b) ? (on_b ? BADGE(1, W.srv_gen, slot) :
						    BADGE(0, 0, slot)) : ~badge;
	}
	if (!(tag & KIPC_TAG_F_CALL) ||
	    (tag & KIPC_TAG_FLAGS_MASK & ~KIPC_TAG_FDS_MASK & ~KIPC_TAG_WINS_MASK) !=
	    KIPC_TAG_F_CALL || slot >= NSLOT || n > KIPC_MSG_REGS) {
		report("server: bad tag %#llx", (unsigned long long)tag);
		for (unsigned int i = 0; i < KIPC_TAG_FDS(tag); i++)
			close(kipc_fds(c)[i]);
		*mode = M_DROP;
		return 0;
	}
	if (KIPC_TAG_FDS(tag) != fds_on(label, on_b))
		report("server: label %#llx came with %u descriptors, not %u",
		       (unsigned long long)label, KIPC_TAG_FDS(tag),
		       fds_on(label, on_b));
	for (unsigned int i = 0; i < KIPC_TAG_FDS(tag); i++) {
		int fd = kipc_fds(c)[i];

		if (!is_fifo(fd))
			report("server: label %#llx: descriptor %d is no pipe",
			       (unsigned long long)label, fd);
		if (i || !pending)
			close(fd);
		else
			*pending = fd;
	}
	if (badge != (on_b ? BADGE(1, W.srv_gen, slot) : BADGE(0, 0, slot)))
		report("server: label %#llx on %c came with badge %#llx",
		       (unsigned long long)label, on_b ? 'B' : 'A',
		       (unsigned long long)badge);
	if (c->utcb->pid <= 0 || c->utcb->uid != geteuid())
		report("server: label %#llx from pid %d uid %u",
		       (unsigned long long)label, c->utcb->pid, c->utcb->uid);
	for (unsigned int i = 0; i < n; i++) {
		if (kipc_mr(c)[i] != req_val(label, i)) {
			report("server: label %#llx nr %u: register %u is %#llx",
			       (unsigned long long)label, n, i,
			       (unsigned long long)kipc_mr(c)[i]);
			break;
		}
	}
	if (__atomic_exchange_n(&SH->seen[slot][label % SEEN], label + 1,
				__ATOMIC_RELAXED) == label + 1)
		report("server: label %#llx (slot %u) delivered twice",
		       (unsigned long long)label, slot);
	serve_windows(c, label, on_b);

	/* The reply: own values, then a checksum of what arrived. */
	rn = reply_nr(n);
	if (rn > n)
		kipc_mr(c)[n] = checksum(kipc_mr(c), n);
	for (unsigned int i = 0; i < rn && i < n; i++)
		kipc_mr(c)[i] = rep_val(label, i);
	*mode = dropped(label) ? M_DROP : split(label) ? M_SPLIT : M_REPLY;
	/* A descriptor kept is passed back with the reply: still in fds[0]. */
	if (pending && *pending >= 0)
		return KIPC_TAG_WITH_FDS(KIPC_TAG(label, rn), 1);
	return KIPC_TAG(label, rn);
}

/* A command names slot 0 of its context instead of a descriptor. */
static void uring_slot(struct io_uring_sqe *sqe, bool slot)
{
	if (!slot)
		return;
	((struct kipc_uring_cmd *)sqe->cmd)->flags = KIPC_ARGS_SLOT;
	ADD(uring_slot, 1);
}

/*
 * The io_uring server: one thread keeps NURING receives on A in flight
 * from one ring, one context each, and answers with reply_recv on the
 * ring.  Killing the server kills it with all of them pending.
 */
static void *uring_server_thread(void *arg)
{
	struct kipc_ctx c[NURING];
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	uint64_t tag, rlabel[NURING] = { 0 };	/* label + 1 of reply sent */
	int ret, i, mode = M_NONE;

	if (io_uring_queue_init(2 * NURING, &ring, 0)) {
		report("uring server: no ring");
		return NULL;
	}
	/* Odd contexts receive through their slot 0 (KIPC_ARGS_SLOT). */
	for (i = 0; i < NURING; i++) {
		ctx_open(&c[i]);
		if ((i & 1) && kipc_register(&c[i], 0, W.a_srv))
			report("uring server: cannot register");
		sqe = io_uring_get_sqe(&ring);
		kipc_prep_recv(sqe, &c[i], (i & 1) ? 0 : W.a_srv, INF);
		uring_slot(sqe, i & 1);
		io_uring_sqe_set_data64(sqe, i);
	}
	if (io_uring_submit(&ring) != NURING)
		report("uring server: submit");
	for (;;) {
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret == -EINTR)
			continue;
		if (ret) {
			report("uring server: wait: %d", ret);
			sleep_ms(1);
			continue;
		}
		i = io_uring_cqe_get_data64(cqe);
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		if (i < 0 || i >= NURING) {
			report("uring server: CQE for %d", i);
			continue;
		}
		tag = 0;
		if (rlabel[i] && reply_went_out(&c[i], ret))
			mark_replied(rlabel[i] - 1, "io_uring reply_recv");
		rlabel[i] = 0;
		if (ret) {
			report("uring server: receive on A: %d", ret);
		} else {
			ADD(srv_uring, 1);
			if ((c[i].utcb->status & KIPC_ST_REPLY_LOST))
				ADD(srv_lost, 1);
			tag = serve_request(&c[i], false, &mode, NULL);
		}
		sqe = io_uring_get_sqe(&ring);
		if (ret || mode == M_DROP) {	/* a recv gives the reply right up */
			kipc_prep_recv(sqe, &c[i], (i & 1) ? 0 : W.a_srv, INF);
		} else {
			kipc_prep_reply_recv(sqe, &c[i], (i & 1) ? 0 : W.a_srv, tag, INF);
			rlabel[i] = KIPC_TAG_LABEL(tag) + 1;
		}
		uring_slot(sqe, i & 1);
		io_uring_sqe_set_data64(sqe, i);
		if (io_uring_submit(&ring) != 1)
			report("uring server: submit");
	}
	return NULL;
}

/*
 * The server's synchronous threads, as its churner sees them: thread 0
 * speaks ABI 1.0, thread 1 names A and B through its slots 0 and 1
 * (KIPC_SLOT()), thread 2 picks one way per operation.  The churner
 * replaces their slots with fresh handles (whose descriptors it closes at
 * once) and fills and clears the others while they serve.
 */
static struct {
	struct kipc_ctx c;
	struct mark mk;
	int ready;
} srv_ctx[NSRV];


static bool try_forward(struct kipc_ctx *c, struct mark *mk, bool on_b, int style,
			uint64_t *s);

/* A receive, or a reply and a receive, named as @style says. */
/* The forward thread's context (fwd_thread()); nobody registers there. */
static struct {
	struct kipc_ctx c;
	struct mark mk;
} fwd_ctx;

/* The mark of a synchronous server thread's (or the forward thread's) context. */
static struct mark *srv_mark(struct kipc_ctx *c)
{
	for (int i = 0; i < NSRV; i++)
		if (&srv_ctx[i].c == c)
			return &srv_ctx[i].mk;
	if (c == &fwd_ctx.c)
		return &fwd_ctx.mk;
	abort();
}

static int srv_recv(struct kipc_ctx *c, int style, bool on_b, bool reply, uint64_t tag,
		    uint64_t to)
{
	int ep = on_b ? W.b_full : W.a_srv;

	switch (style) {
	case S_SLOT:
		return reply ? kipc_reply_recv(c, KIPC_SLOT(on_b), tag, to) :
			       kipc_recv(c, KIPC_SLOT(on_b), to);
	case S_AREA:
		c->utcb->tag = tag;
		return area_op(c, reply ? KIPC_IOC_MREPLY_RECV : KIPC_IOC_MRECV, ep, 0, to);
	}
	return reply ? kipc_reply_recv(c, ep, tag, to) : kipc_recv(c, ep, to);
}

/* Fresh handles of A (receive, grant) and B (all rights) in slots 0 and 1. */
static int srv_fresh_slot(struct kipc_ctx *mint_ctx, int slot)
{
	int fd = slot ? kipc_ep_mint(mint_ctx, W.b_full, KIPC_RIGHTS_ALL, 0, 0) :
		 kipc_ep_mint(mint_ctx, W.a_srv, KIPC_RIGHT_RECV | KIPC_RIGHT_GRANT, 0, 0);

	if (fd < 0)
		report("server: mint: %d", fd);
	return fd;
}

static void *server_churner(void *arg)
{
	uint64_t s = mix(now_ns() ^ 0xc4a7) | 1;
	struct kipc_ctx cc;
	int wrong = open("/dev/null", O_RDONLY | O_CLOEXEC);

	block_ignored(true);
	ctx_open(&cc);
	for (;;) {
		int idx = 1 + rnd(&s) % (NSRV - 1), r = rnd(&s) % 8, fd;
		struct kipc_ctx *c = &srv_ctx[idx].c;
		struct mark *m = &srv_ctx[idx].mk;

		if (!LOAD(srv_ctx[idx].ready)) {
			sleep_ms(1);
			continue;
		}
		if (r < 4) {
			/* A handle as good as the one in use; its fd goes at once. */
			fd = srv_fresh_slot(&cc, r & 1);
			churn_register(c, m, r & 1, fd, false, false, "server churner");
			close(fd);
		} else if (r < 6) {
			churn_register(c, m, 2 + rnd(&s) % (KIPC_SLOTS - 2),
				       r & 1 ? wrong : W.a_srv, false, r & 1, "server churner");
		} else if (r < 7) {
			churn_register(c, m, 2 + rnd(&s) % (KIPC_SLOTS - 2), -1, true, false,
				       "server churner");
		} else {
			churn_register(c, m, KIPC_SLOTS + rnd(&s) % 100, W.a_srv, false, false,
				       "server churner");
		}
		usleep(100 + rnd(&s) % 900);
	}
	return NULL;
}

static void *server_thread(void *arg)
{
	int mode = M_NONE;
	int idx = (long)arg;
	uint64_t s = mix(now_ns() ^ idx ^ ((uint64_t)W.srv_gen << 8)) | 1;
	uint64_t tag = 0;
	struct kipc_ctx *cp = &srv_ctx[idx].c;
	struct mark *mk = &srv_ctx[idx].mk;
	int pending = -1;	/* descriptor the reply passes back */
	/* The last thread blocks SIGUSR1: no handler can reach it. */
	bool quiet = idx == NSRV - 1;

	/* Its own priority, which every reply must give back. */
	int own_nice = (int)(rnd(&s) % 11), nice_now;
	uint64_t nfwd = 0;	/* calls it forwarded */

	if (quiet)
		block_usr1();
	if (setpriority(PRIO_PROCESS, 0, own_nice))
		report("server: setpriority(%d): %d", own_nice, errno);
	ctx_open(cp);
	kipc_accept_fds(cp, KIPC_MSG_FDS);
	if (idx) {
		/* Slots 0 and 1: fresh handles of A and B, their fds closed. */
		for (int i = 0; i < 2; i++) {
			int fd = srv_fresh_slot(cp, i);

			if (kipc_register(cp, i, fd))
				report("server: cannot register slot %d", i);
			close(fd);
		}
		__atomic_store_n(&srv_ctx[idx].ready, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&SH->srv_tid[idx], gettid_(), __ATOMIC_RELAXED);
	for (;;) {
		uint64_t to = pick_timeout(&s, 5);
		/*
		 * Wait without end only on the thread's own endpoint (odd
		 * threads: B), so that both always get served again.
		 */
		bool on_b = to == INF ? idx & 1 : rnd(&s) & 1;
		int style = idx == 0 ? S_OLD : idx == 1 ? S_SLOT : (int)(rnd(&s) % S_NUM);
		uint64_t t0;
		int ret, r;

		cp->utcb->status = 0;
		/* A brings no descriptors: receive none now and then (the fast path). */
		kipc_accept_fds(cp, on_b || (rnd(&s) & 1) ? KIPC_MSG_FDS : 0);
		if (style == S_SLOT)
			ADD(srv_slot_ops, 1);
		else if (style == S_AREA)
			ADD(srv_area_ops, 1);
		switch (mode) {
		case M_DROP:
			t0 = now_ns();
			ret = MARKED(mk, srv_busy, "server: recv",
				     srv_recv(cp, style, on_b, false, 0, to));
			break;
		case M_SPLIT:
			r = MARKED(mk, srv_busy, "server: reply", reply_as(cp, style, tag));
			if (r == -ECONNRESET)
				ADD(srv_lost, 1);
			else if (r)
				report("server: reply: %d", r);
			else
				mark_replied(KIPC_TAG_LABEL(tag), style == S_OLD ? "reply" : "MREPLY");
			/* The call is over, whatever became of it: our own nice again. */
			nice_now = getpriority(PRIO_PROCESS, 0);
			if ((!r || r == -ECONNRESET) && nice_now != own_nice)
				report("server thread %d: nice %d after a reply (%d), then %d, its own is %d; %s, %llu forwarded before",
				       idx, nice_now, r, getpriority(PRIO_PROCESS, 0), own_nice,
				       style_name[style], (unsigned long long)nfwd);
			spin_us(rnd(&s) % 100);
			t0 = now_ns();
			ret = MARKED(mk, srv_busy, "server: recv",
				     srv_recv(cp, style, on_b, false, 0, to));
			break;
		default:
			t0 = now_ns();
			ret = MARKED(mk, srv_busy, "server: reply_recv",
				     srv_recv(cp, style, on_b, true, tag, to));
			if (mode == M_REPLY && (cp->utcb->status & KIPC_ST_REPLY_LOST))
				ADD(srv_lost, 1);
			if (mode == M_REPLY && reply_went_out(cp, ret)) {
				char how[64];

				snprintf(how, sizeof(how), "reply_recv (%s)%s", style_name[style],
					 ret ? ", then failed" : "");
				mark_replied(KIPC_TAG_LABEL(tag), how);
			}
			break;
		}
		check_deadline("server thread", idx, 0, to, t0, ret);
		mode = M_NONE;
		/* The reply took its own reference (or was not sent). */
		if (pending >= 0) {
			close(pending);
			pending = -1;
		}
		if (ret == -EAGAIN && to == KIPC_TIMEOUT_POLL) {
			ADD(srv_eagain, 1);
			continue;
		}
		if (ret == -ETIMEDOUT && to != INF) {
			ADD(srv_etimedout, 1);
			continue;
		}
		if (ret == -EINTR) {
			ADD(srv_eintr, 1);
			if (quiet) {
				ADD(srv_quiet_eintr, 1);
				report("server thread %d: EINTR, but no handler can reach it (timeout %llu)",
				       idx, (unsigned long long)to);
			}
			continue;
		}
		if (ret) {
			report("server: receive on %c (timeout %llu): %d", on_b ? 'B' : 'A',
			       (unsigned long long)to, ret);
			sleep_ms(1);
			continue;
		}

		if (try_forward(cp, mk, on_b, style, &s)) {
			nfwd++;
			continue;
		}
		tag = serve_request(cp, on_b, &mode, &pending);
	}
	return NULL;
}

/*
 * The forward thread: serves F, where the others forward one call in
 * eight (try_forward()), as they serve A and B; no handler reaches it.
 */
static void *fwd_thread(void *arg)
{
	struct kipc_ctx *c = &fwd_ctx.c;
	int mode = M_NONE, pending = -1, ret;
	uint64_t tag = 0;
	bool on_b;

	block_usr1();
	ctx_open(c);
	kipc_accept_fds(c, KIPC_MSG_FDS);
	for (;;) {
		c->utcb->status = 0;
		if (mode == M_REPLY) {
			ret = kipc_reply_recv(c, fwd_rcv, tag, INF);
			if (c->utcb->status & KIPC_ST_REPLY_LOST)
				ADD(srv_lost, 1);
			if (reply_went_out(c, ret))
				mark_replied(KIPC_TAG_LABEL(tag), "reply_recv on F");
		} else {
			if (mode == M_SPLIT) {
				int r = reply_as(c, S_OLD, tag);

				if (r == -ECONNRESET)
					ADD(srv_lost, 1);
				else if (r)
					report("forward thread: reply: %d", r);
				else
					mark_replied(KIPC_TAG_LABEL(tag), "reply on F");
			}
			ret = kipc_recv(c, fwd_rcv, INF);
		}
		mode = M_NONE;
		if (pending >= 0) {
			close(pending);
			pending = -1;
		}
		if (ret) {
			report("forward thread: receive: %d", ret);
			sleep_ms(1);
			continue;
		}
		if (!(c->utcb->status & KIPC_ST_FORWARDED))
			report("forward thread: a call not forwarded, status %#x",
			       c->utcb->status);
		on_b = c->utcb->badge == FWD_BADGE(1);
		tag = serve_request(c, on_b, &mode, &pending);
	}
	return NULL;
}

/*
 * One call in eight is not served here but forwarded to F with its reply
 * right (@style: ABI 1.0, or KIPC_IOC_MFORWARD in the area); its
 * descriptors go along (ours are closed), its windows by themselves.
 * Return: true if the call is gone (forwarded, or its caller had gone and
 * the right with it); false to serve it here: the forward timed out,
 * found nobody or was interrupted, and kept the right.
 */
static bool try_forward(struct kipc_ctx *c, struct mark *mk, bool on_b, int style,
			uint64_t *s)
{
	uint64_t tag = kipc_tag(c), orig = tag, to;
	unsigned int nfds = KIPC_TAG_FDS(tag);
	int r;

	if (!(tag & KIPC_TAG_F_CALL) || !forwarded(KIPC_TAG_LABEL(tag)) ||
	    fwd_ep[on_b] < 0)
		return false;
	to = pick_timeout(s, 5);
	tag &= ~KIPC_TAG_WINS_MASK;
	if (style == S_AREA) {
		c->utcb->tag = tag;
		r = MARKED(mk, srv_busy, "server: MFORWARD",
			   area_op(c, KIPC_IOC_MFORWARD, fwd_ep[on_b], to, 0));
	} else {
		r = MARKED(mk, srv_busy, "server: forward",
			   kipc_forward(c, fwd_ep[on_b], tag, to));
	}
	if (r == -EAGAIN || r == -ETIMEDOUT || r == -EINTR) {
		/* The tag we wrote left the windows out: the call's again. */
		c->utcb->tag = orig;
		ADD(fwd_kept, 1);
		return false;
	}
	for (unsigned int i = 0; i < nfds; i++)
		close(kipc_fds(c)[i]);
	if (r == -ECONNRESET)
		ADD(fwd_lost, 1);
	else if (r)
		report("server: forward of %#llx: %d",
		       (unsigned long long)KIPC_TAG_LABEL(tag), r);
	else
		ADD(fwd_calls, 1);
	return true;
}

static int server_main(void *unused)
{
	pthread_t t[NSRV], u, ch, f;
	struct kipc_ctx bc;
	int r;

	/* The board, exposed before anybody may call; its handle stays open. */
	board = mmap(NULL, NSLOT * BOARD_REC, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ctx_open(&bc);
	r = board == MAP_FAILED ? -ENOMEM :
	    kipc_region_create(&bc, board, NSLOT * BOARD_REC, KIPC_REGION_WRITE, 0);
	kipc_ctx_close(&bc);
	if (r < 0) {
		report("server: board: %d", r);
		board = NULL;
	} else {
		SH->board_fd = r;
		SH->board_pid = getpid();
		__atomic_store_n(&SH->board_gen, W.srv_gen, __ATOMIC_RELEASE);
	}

	/* F, and its send handles with GRANT: descriptors go along. */
	ctx_open(&bc);
	fwd_rcv = kipc_ep_create(&bc, 0);
	for (int i = 0; fwd_rcv >= 0 && i < 2; i++)
		fwd_ep[i] = kipc_ep_mint(&bc, fwd_rcv, KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT |
					 KIPC_RIGHT_FORWARD, FWD_BADGE(i), KIPC_MINT_BADGE);
	kipc_ctx_close(&bc);
	if (fwd_rcv < 0 || fwd_ep[0] < 0 || fwd_ep[1] < 0)
		report("server: F: %d %d %d", fwd_rcv, fwd_ep[0], fwd_ep[1]);

	catch_signal(SIGUSR1, W.srv_gen & 1);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGTSTP, SIG_DFL);
	if (pthread_create(&f, NULL, fwd_thread, NULL))
		return 1;
	for (long i = 0; i < NSRV; i++)
		if (pthread_create(&t[i], NULL, server_thread, (void *)i))
			return 1;
	if (pthread_create(&u, NULL, uring_server_thread, NULL) ||
	    pthread_create(&ch, NULL, server_churner, NULL))
		return 1;
	/* Like a thread in system(): the signals are queued for the others. */
	block_ignored(false);
	for (int i = 0; i < NSRV; i++)
		pthread_join(t[i], NULL);
	return 0;
}

/* ---- client ---- */

/*
 * How a client process takes SIGUSR1, by generation: its first thread
 * catches it with or without SA_RESTART and its second blocks it; or
 * (CM_QUIET) the process ignores it and catches nothing at all.  Only the
 * first thread of the first two kinds may see EINTR.
 */
enum { CM_RESTART, CM_NORESTART, CM_QUIET, CM_NUM };

static int cli_mode(int p)
{
	return (W.cli_gen[p] + p) % CM_NUM;
}

struct client {
	int slot;
	int mode;		/* CM_* of its process */
	bool eintr_ok;		/* a SIGUSR1 handler can reach this thread */
	unsigned int gen;
	uint64_t s;		/* random state */
	uint32_t cnt;		/* calls made */
	struct kipc_ctx c;
	int bfd;		/* current handle of B, or -1 */
	int bgen;		/* its generation */
	bool b_dead;		/* it failed with EPIPE: wait for the next */
	int pipe[2];		/* its write end travels with some calls */
	/* ABI 1.2 */
	bool slots;		/* calls through slots and the area too */
	int bslot_gen;		/* generation of the B in slot 1 (A: slot 0), -1 */
	struct mark mk;		/* its context's ioctls, the churner's included */
	int ready;		/* the churner may register in its slots */
	int *churner_done;	/* before its context closes */
	/* ABI 1.5 */
	unsigned char *win_in, *win_out;	/* its windows */
	int board;		/* a handle of a server's board, or -1 */
	int board_gen;		/* that server's generation */
};

/* A handle of the current server's board, taken with pidfd_getfd(). */
static void client_take_board(struct client *cl)
{
	int gen = LOAD(SH->board_gen), pidfd, fd;

	if (gen == cl->board_gen)
		return;
	if (cl->board >= 0)
		close(cl->board);
	cl->board = -1;
	cl->board_gen = gen;
	pidfd = syscall(SYS_pidfd_open, SH->board_pid, 0);
	if (pidfd < 0)
		return;		/* gone already */
	fd = syscall(SYS_pidfd_getfd, pidfd, SH->board_fd, 0);
	close(pidfd);
	/* A new server could have come meanwhile: its gen is checked later. */
	if (fd >= 0 && LOAD(SH->board_gen) == gen)
		cl->board = fd;
	else if (fd >= 0)
		close(fd);
}

/*
 * Half of the window calls put the call's record on the board first: the
 * READ window's first 8 bytes say on which server's (0: none).
 */
static void client_windows(struct client *cl, uint64_t label, bool on_b)
{
	size_t len = win_len(label);
	uint64_t gen = 0;

	if (!wins_on(label, on_b))
		return;
	if (!cl->win_in) {
		cl->win_in = malloc(WIN_MAX);
		cl->win_out = malloc(WIN_MAX);
	}
	for (size_t i = 0; i < len; i++)
		cl->win_in[i] = req_byte(label, i);
	memset(cl->win_out, 0, len);
	if (len >= 8 && (label & 1)) {
		client_take_board(cl);
		if (cl->board >= 0) {
			ssize_t n = kipc_region_put(cl->board, LABEL_SLOT(label) * BOARD_REC,
						    &label, 8, 0);

			ADD(puts, 1);
			if (n == 8)
				gen = cl->board_gen;
			else if (n == -EPIPE && LOAD(SH->kills_started) >= cl->board_gen)
				ADD(put_epipe, 1);
			else
				report("client %d: board put: %zd", cl->slot, n);
		}
	}
	if (len >= 8)
		memcpy(cl->win_in, &gen, 8);
	kipc_win_set(&cl->c, 0, cl->win_in, len, KIPC_WIN_READ);
	kipc_win_set(&cl->c, 1, cl->win_out, len, KIPC_WIN_WRITE);
	ADD(win_calls, 1);
}

/* After the reply: the WRITE window holds the reply's bytes. */
static void client_windows_check(struct client *cl, uint64_t label, bool on_b)
{
	size_t len = win_len(label);

	if (!wins_on(label, on_b))
		return;
	for (size_t i = 0; i < len; i++) {
		if (cl->win_out[i] != rep_byte(label, i)) {
			report("client %d: call %#llx: reply window byte %zu is %#x",
			       cl->slot, (unsigned long long)label, i, cl->win_out[i]);
			return;
		}
	}
}

/* Take the newest handle of B that the controller sent, if any. */
static void client_take_b(struct client *cl)
{
	for (;;) {
		char cbuf[CMSG_SPACE(sizeof(int))];
		int gen, fd;
		struct iovec iov = { &gen, sizeof(gen) };
		struct msghdr m = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct cmsghdr *cm;

		if (recvmsg(W.sock_cli[cl->slot], &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) !=
		    sizeof(gen))
			return;
		cm = CMSG_FIRSTHDR(&m);
		if (!cm || cm->cmsg_type != SCM_RIGHTS) {
			report("client %d: handle message without a handle", cl->slot);
			continue;
		}
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		if (gen <= cl->bgen) {
			close(fd);
			continue;
		}
		if (cl->bfd >= 0)
			close(cl->bfd);
		cl->bfd = fd;
		cl->bgen = gen;
		cl->b_dead = false;
		/* Slot 1 holds B for the calls through slots (the churner may be
		 * registering in slot 0 right now: then again). */
		if (cl->slots) {
			int r = MARKED(&cl->mk, busy_calls, "client: register B",
				       kipc_register(&cl->c, 1, fd));

			if (r)
				report("client %d: registering B: %d", cl->slot, r);
			cl->bslot_gen = r ? -1 : gen;
		}
	}
}

/* After a failed call the message area must be as the caller left it. */
static int area_intact(struct kipc_ctx *c, uint64_t tag)
{
	uint64_t label = KIPC_TAG_LABEL(tag);
	unsigned int n = KIPC_TAG_NR(tag);

	if (kipc_tag(c) != tag)
		return -1;
	for (unsigned int i = 0; i < KIPC_MSG_REGS; i++)
		if (kipc_mr(c)[i] != (i < n ? req_val(label, i) : POISON + i))
			return -1;
	return 0;
}

/* The reply must be this call's, complete, and touch nothing else. */
static int reply_ok(struct client *cl, uint64_t label, unsigned int n)
{
	struct kipc_utcb *u = cl->c.utcb;
	unsigned int rn = reply_nr(n);
	__u64 want[KIPC_MSG_REGS];

	uint64_t want_tag = KIPC_TAG(label, rn);

	if (fds_on(label, SH->inflight[cl->slot].on_b))
		want_tag = KIPC_TAG_WITH_FDS(want_tag, 1);
	if (KIPC_TAG_FDS(u->tag) == 1) {
		if (!is_fifo(u->fds[0]))
			report("client %d: call %#llx: reply descriptor %d is no pipe",
			       cl->slot, (unsigned long long)label, u->fds[0]);
		close(u->fds[0]);
	}
	if (u->tag != want_tag || u->badge != 0) {
		report("client %d: call %#llx nr %u got tag %#llx badge %#llx",
		       cl->slot, (unsigned long long)label, n,
		       (unsigned long long)u->tag, (unsigned long long)u->badge);
		return -1;
	}
	for (unsigned int i = 0; i < KIPC_MSG_REGS; i++)
		want[i] = i < n ? req_val(label, i) : POISON + i;
	if (rn > n)
		want[n] = checksum(want, n);
	for (unsigned int i = 0; i < n; i++)
		want[i] = rep_val(label, i);
	for (unsigned int i = 0; i < KIPC_MSG_REGS; i++) {
		if (u->mr[i] != want[i]) {
			report("client %d: call %#llx nr %u: reply register %u is %#llx, not %#llx",
			       cl->slot, (unsigned long long)label, n, i,
			       (unsigned long long)u->mr[i], (unsigned long long)want[i]);
			return -1;
		}
	}
	return 0;
}

static void client_call(struct client *cl)
{
	bool on_b = cl->bfd >= 0 && !cl->b_dead && (rnd(&cl->s) & 1);
	int fd = on_b ? cl->bfd : W.a_slot[cl->slot];
	uint64_t label = LABEL(cl->slot, SEQ(cl->gen, cl->cnt++));
	unsigned int n = rnd(&cl->s) % (KIPC_MSG_REGS + 1);
	uint64_t to = pick_timeout(&cl->s, 20);
	uint64_t tag = KIPC_TAG_WITH_WINS(KIPC_TAG_WITH_FDS(KIPC_TAG(label, n),
							   fds_on(label, on_b)),
					  wins_on(label, on_b) ? 2 : 0);
	int style = cl->slots ? (int)(rnd(&cl->s) % S_NUM) : S_OLD;
	struct span sp;
	bool ov;
	uint64_t t0;
	int done0, ret;

	/* Slot 1 holds another B than ours (not registered yet): a descriptor. */
	if (style == S_SLOT && on_b && cl->bslot_gen != cl->bgen)
		style = S_AREA;
	/*
	 * A reply brings a descriptor only to a call that carried some:
	 * reserve none for the others now and then (the fast path).
	 */
	kipc_accept_fds(&cl->c, fds_on(label, on_b) || (rnd(&cl->s) & 1) ? 1 : 0);

	for (unsigned int i = 0; i < KIPC_MSG_REGS; i++)
		kipc_mr(&cl->c)[i] = i < n ? req_val(label, i) : POISON + i;
	for (unsigned int i = 0; i < fds_on(label, on_b); i++)
		kipc_fds(&cl->c)[i] = cl->pipe[1];
	client_windows(cl, label, on_b);
	done0 = LOAD(SH->kills_done);
	SH->inflight[cl->slot].label = label;
	SH->inflight[cl->slot].timeout = to;
	SH->inflight[cl->slot].on_b = on_b;
	SH->inflight[cl->slot].since = t0 = now_ns();
	mark_in(&cl->mk, &sp);
	switch (style) {
	case S_SLOT:
		ret = kipc_call(&cl->c, KIPC_SLOT(on_b), tag, to);
		break;
	case S_AREA:
		cl->c.utcb->tag = tag;
		ret = area_op(&cl->c, KIPC_IOC_MCALL, fd, to, to);
		break;
	default:
		ret = kipc_call(&cl->c, fd, tag, to);
	}
	ov = mark_out(&cl->mk, &sp);
	SH->inflight[cl->slot].since = 0;
	ADD(calls, 1);
	if (style == S_SLOT)
		ADD(slot_calls, 1);
	else if (style == S_AREA)
		ADD(area_calls, 1);
	if (on_b)
		ADD(b_calls, 1);
	if (!cl->eintr_ok)
		ADD(quiet_calls, 1);
	check_deadline("client", cl->slot, label, to, t0, ret);
	if (ret)
		mark_failed(cl->slot, label, ret);

	switch (ret) {
	case 0:
		if (dropped(label))
			report("client %d: call %#llx was answered, but the server dropped it",
			       cl->slot, (unsigned long long)label);
		else if (!reply_ok(cl, label, n)) {
			client_windows_check(cl, label, on_b);
			ADD(ok, 1);
		}
		return;
	case -EAGAIN:
		if (to != KIPC_TIMEOUT_POLL)
			goto bad;
		ADD(eagain, 1);
		break;
	case -ETIMEDOUT:
		if (to == INF)
			goto bad;
		ADD(etimedout, 1);
		break;
	case -EINTR:
		ADD(eintr, 1);
		if (!cl->eintr_ok) {
			ADD(quiet_eintr, 1);
			report("client %d (mode %d): call %#llx on %c (timeout %llu): EINTR, but no handler can reach it",
			       cl->slot, cl->mode, (unsigned long long)label,
			       on_b ? 'B' : 'A', (unsigned long long)to);
		}
		break;
	case -ECONNRESET:
		if (dropped(label))
			ADD(dropped, 1);
		else if (LOAD(SH->kills_started) > done0)
			ADD(econnreset, 1);
		else
			goto bad;
		break;
	case -EPIPE:
		if (!on_b || LOAD(SH->kills_started) <= cl->bgen)
			goto bad;
		ADD(epipe, 1);
		cl->b_dead = true;
		break;
	case -EBUSY:
		/* The churner was registering in one of our slots. */
		if (!ov)
			goto bad;
		ADD(busy_calls, 1);
		break;
	default:
		goto bad;
	}
	if (area_intact(&cl->c, tag))
		report("client %d: call %#llx failed with %d but changed the message area",
		       cl->slot, (unsigned long long)label, ret);
	return;
bad:
	report("client %d: call %#llx on %c (timeout %llu, kills %d/%d): unexpected %d",
	       cl->slot, (unsigned long long)label, on_b ? 'B' : 'A',
	       (unsigned long long)to, LOAD(SH->kills_started), done0, ret);
}

static void *client_thread(void *arg)
{
	struct client *cl = arg;

	/* Before the controller learns its tid: no handler reaches it. */
	if (cl->mode != CM_QUIET && !cl->eintr_ok)
		block_usr1();
	/* An urgency to lend the servers: more, less or as urgent as theirs. */
	if (setpriority(PRIO_PROCESS, 0, (int)(rnd(&cl->s) % 11) - 5))
		report("client %d: setpriority: %d", cl->slot, errno);
	ctx_open(&cl->c);
	kipc_accept_fds(&cl->c, 1);
	if (pipe2(cl->pipe, O_CLOEXEC))
		report("client %d: pipe: %d", cl->slot, errno);
	if (cl->slots) {
		/* Slot 0: a handle of A as good as a_slot; its fd goes at once. */
		int fd = kipc_ep_mint(&cl->c, W.a_slot[cl->slot],
				      KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT, 0, 0);

		if (fd < 0 || kipc_register(&cl->c, 0, fd))
			report("client %d: cannot register A (%d)", cl->slot, fd);
		close(fd);
		__atomic_store_n(&cl->ready, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&SH->slot_tid[cl->slot], gettid_(), __ATOMIC_RELAXED);
	while (!LOAD(SH->stop)) {
		if (cl->bgen < LOAD(SH->b_gen) || cl->b_dead)
			client_take_b(cl);
		client_call(cl);
	}
	/* The churner registers in our slots no more before the context goes. */
	while (!LOAD(*cl->churner_done))
		sleep_ms(1);
	if (cl->bfd >= 0)
		close(cl->bfd);
	close(cl->pipe[0]);
	close(cl->pipe[1]);
	kipc_ctx_close(&cl->c);
	return NULL;
}

/*
 * The churner of a client process: while its threads call, it replaces
 * their slot 0 (A) with fresh handles as good as theirs, closing each
 * one's descriptor at once, fills and clears their other slots (wrong fds
 * too) and registers out of range.  It blocks the signals the controller
 * sends to the process, as the main thread does, so that they go on
 * waking the threads that call.
 */
struct client_churn {
	struct client *cl;
	int done;
};

static void *client_churner(void *arg)
{
	struct client_churn *ch = arg;
	uint64_t s = mix(now_ns() ^ (uint64_t)ch->cl[0].slot << 20) | 1;
	int wrong = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct kipc_ctx cc;

	block_ignored(true);
	ctx_open(&cc);
	while (!LOAD(SH->stop)) {
		struct client *cl = &ch->cl[rnd(&s) % NTHR];
		int r = rnd(&s) % 8, fd;

		if (!LOAD(cl->ready)) {
			sleep_ms(1);
			continue;
		}
		if (r < 4) {
			/* Through the context, or the handle itself (ABI 1.6). */
			fd = kipc_ep_mint(r & 1 ? NULL : &cc, W.a_slot[cl->slot],
					  KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT, 0, 0);
			if (fd < 0)
				report("client churner: mint: %d", fd);
			churn_register(&cl->c, &cl->mk, 0, fd, false, false, "client churner");
			close(fd);
		} else if (r < 6) {
			churn_register(&cl->c, &cl->mk, 2 + rnd(&s) % (KIPC_SLOTS - 2),
				       r & 1 ? wrong : W.a_slot[cl->slot], false, r & 1,
				       "client churner");
		} else if (r < 7) {
			churn_register(&cl->c, &cl->mk, 2 + rnd(&s) % (KIPC_SLOTS - 2), -1, true,
				       false, "client churner");
		} else {
			churn_register(&cl->c, &cl->mk, KIPC_SLOTS + rnd(&s) % 100,
				       W.a_slot[cl->slot], false, false, "client churner");
		}
		usleep(100 + rnd(&s) % 900);
	}
	kipc_ctx_close(&cc);
	close(wrong);
	__atomic_store_n(&ch->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int client_main(int p)
{
	struct client cl[NTHR];
	struct client_churn ch = { .cl = cl };
	pthread_t t[NTHR], c;
	int mode = cli_mode(p);

	if (mode == CM_QUIET)
		signal(SIGUSR1, SIG_IGN);
	else
		catch_signal(SIGUSR1, mode == CM_RESTART);
	signal(SIGUSR2, SIG_IGN);
	signal(SIGTSTP, SIG_DFL);
	for (int i = 0; i < NTHR; i++) {
		cl[i] = (struct client){
			.slot = p * NTHR + i,
			.mode = mode,
			.eintr_ok = mode != CM_QUIET && i == 0,
			.gen = W.cli_gen[p],
			.bfd = -1,
			.bgen = -1,
			/* ABI 1.2 and 1.0 mixed in two thirds of the threads */
			.slots = (p * NTHR + i + W.cli_gen[p]) % 3 != 2,
			.bslot_gen = -1,
			.churner_done = &ch.done,
			.board = -1,
		};
		cl[i].s = mix(now_ns() ^ ((uint64_t)cl[i].slot << 32) ^ cl[i].gen) | 1;
		if (pthread_create(&t[i], NULL, client_thread, &cl[i]))
			return 1;
	}
	if (pthread_create(&c, NULL, client_churner, &ch))
		return 1;
	/*
	 * The pattern of system() in a threaded program: this thread blocks
	 * SIGCHLD (and the controller's other unhandled signals), so they are
	 * queued for the process and wake a thread that calls.
	 */
	block_ignored(mode == CM_QUIET);
	for (int i = 0; i < NTHR; i++)
		pthread_join(t[i], NULL);
	pthread_join(c, NULL);
	return 0;
}

/* ---- controller ---- */

static void send_fd(int sock, int fd, int gen)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &gen, sizeof(gen) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	/* A full socket (a client that never reads) only costs it B. */
	sendmsg(sock, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void close_b(void)
{
	if (W.b_ctl >= 0)
		close(W.b_ctl);
	W.b_ctl = -1;
	for (int i = 0; i < NSLOT; i++) {
		if (W.b_slot[i] >= 0)
			close(W.b_slot[i]);
		W.b_slot[i] = -1;
	}
}

/*
 * A new endpoint B and a server that alone holds its receive right: the
 * controller keeps send handles only, the clients get theirs by socket.
 */
static int start_server(int gen)
{
	close_b();
	W.srv_gen = gen;
	W.cont_at[NCLI] = 0;
	W.b_full = kipc_ep_create(&W.c, 0);
	if (W.b_full < 0)
		return W.b_full;
	W.b_ctl = kipc_ep_mint(&W.c, W.b_full, KIPC_RIGHT_SEND, 0, 0);
	if (W.b_ctl < 0)
		return W.b_ctl;
	for (int i = 0; i < NSLOT; i++) {
		W.b_slot[i] = kipc_ep_mint(&W.c, W.b_full,
					   KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT,
					   BADGE(1, gen, i), KIPC_MINT_BADGE);
		if (W.b_slot[i] < 0)
			return W.b_slot[i];
	}
	W.srv = spawn(server_main, NULL);
	if (W.srv < 0)
		return -errno;
	close(W.b_full);
	W.b_full = -1;
	for (int i = 0; i < NSLOT; i++)
		send_fd(W.sock_ctl[i], W.b_slot[i], gen);
	__atomic_store_n(&SH->b_gen, gen, __ATOMIC_RELEASE);
	return 0;
}

static int client_trampoline(void *arg)
{
	return client_main((long)arg);
}

static int start_client(int p)
{
	W.cli_gen[p]++;
	W.cont_at[p] = 0;
	W.cli[p] = spawn(client_trampoline, (void *)(long)p);
	if (W.cli[p] < 0)
		return -errno;
	for (int i = p * NTHR; i < (p + 1) * NTHR; i++)
		send_fd(W.sock_ctl[i], W.b_slot[i], W.srv_gen);
	return 0;
}

static void resume_all(void);

/* Kill the server (unless it is dead already) and start the next one. */
static void restart_server(bool dead)
{
	long rw;

	/* This takes a while: nobody stays stopped meanwhile. */
	resume_all();

	__atomic_fetch_add(&SH->kills_started, 1, __ATOMIC_ACQ_REL);
	for (int i = 0; i < NSRV; i++)
		__atomic_store_n(&SH->srv_tid[i], 0, __ATOMIC_RELAXED);
	if (!dead) {
		kill(W.srv, SIGKILL);
		reap(W.srv);
	}
	W.srv = 0;
	/*
	 * Its threads were blocked in recv on A: none may be left queued.
	 * The io_uring server's receives end after its death, when io_uring
	 * tears its ring down: give them time.
	 */
	wait_fdinfo(W.ep_a, "receivers-waiting", 0);
	rw = fdinfo_value(0, W.ep_a, "receivers-waiting");
	if (rw != 0)
		report("controller: %ld receivers still waiting on A after the server died", rw);
	if (start_server(LOAD(SH->kills_started)))
		report("controller: cannot start a server");
	__atomic_fetch_add(&SH->kills_done, 1, __ATOMIC_ACQ_REL);
	ADD(server_kills, 1);
}

/* Target @t of the storms below: client process @t, or (NCLI) the server. */
static pid_t target_pid(int t)
{
	return t < NCLI ? W.cli[t] : W.srv;
}

/* SIGCONT a client or the server that was stopped; did it stop? */
static void resume(int t)
{
	pid_t pid = target_pid(t);
	siginfo_t si = { 0 };

	if (!W.cont_at[t])
		return;
	W.cont_at[t] = 0;
	if (pid <= 0)
		return;
	store_max(&SH->n.stop_max_ns, now_ns() - W.stopped_at[t]);
	if (!waitid(P_PID, pid, &si, WSTOPPED | WNOHANG) && si.si_pid == pid)
		ADD(stopped_seen, 1);
	kill(pid, SIGCONT);
}

/* SIGCONT everybody stopped, also before the time. */
static void resume_all(void)
{
	for (int t = 0; t <= NCLI; t++)
		resume(t);
}

/*
 * Ctrl-Z: stop a client (or, one time in eight, the server) with SIGSTOP
 * or a SIGTSTP left at its default; SIGCONT follows after 0.2-5 ms (the
 * server: 0.1-2 ms).  SIGTSTP stops nothing if the process group is
 * orphaned, but wakes the threads all the same.
 */
static void stop_one(uint64_t *s, uint64_t now)
{
	int t = rnd(s) % 8 ? (int)(rnd(s) % NCLI) : NCLI;
	int sig = rnd(s) % 3 ? SIGSTOP : SIGTSTP;
	pid_t pid = target_pid(t);

	if (W.cont_at[t] || pid <= 0 || kill(pid, sig))
		return;
	ADD(stops, 1);
	if (sig == SIGTSTP)
		ADD(tstps, 1);
	if (t == NCLI)
		ADD(srv_stops, 1);
	W.stopped_at[t] = now;
	W.cont_at[t] = now + (t == NCLI ? 100 + rnd(s) % 1900 : 200 + rnd(s) % 4800) * 1000ULL;
}

/*
 * Signals nobody handles, to a process whose main thread blocks them:
 * SIGCHLD and SIGWINCH (default: ignored), SIGUSR2 (SIG_IGN) and, to a
 * client that ignores it, SIGUSR1.  Now and then twenty in a row.
 */
static void ignored_storm(uint64_t *s)
{
	static const int sigs[] = { SIGCHLD, SIGWINCH, SIGUSR2, SIGUSR1 };
	int t = rnd(s) % 8 ? (int)(rnd(s) % NCLI) : NCLI;
	int nsig = t < NCLI && cli_mode(t) == CM_QUIET ? 4 : 3;
	pid_t pid = target_pid(t);

	for (int i = rnd(s) % 32 ? 1 : 20; pid > 0 && i > 0; i--)
		if (!kill(pid, sigs[rnd(s) % nsig]))
			ADD(ignored, 1);
}

/*
 * strace's way into a client thread and out again: seize, interrupt, wait
 * for the stop, detach (passing on a signal it stopped for, unless a stop
 * signal).  Not while its process is stopped.  Returns false if ptrace is
 * not allowed here.
 */
static bool trace_one(uint64_t *s)
{
	int slot = rnd(s) % NSLOT, p = slot / NTHR, st = 0, sig = 0;
	pid_t tid = LOAD(SH->slot_tid[slot]), r;
	uint64_t end;

	if (!tid || W.cont_at[p] || W.cli[p] <= 0 ||
	    syscall(SYS_tgkill, W.cli[p], tid, 0))
		return true;
	if (ptrace(PTRACE_SEIZE, tid, 0, 0)) {
		if (errno == EPERM)
			return false;
		if (errno != ESRCH)
			report("controller: PTRACE_SEIZE %d: %d", tid, errno);
		return true;
	}
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0))
		report("controller: PTRACE_INTERRUPT %d: %d", tid, errno);
	end = now_ns() + W.late_ns;
	while ((r = waitpid(tid, &st, __WALL | WNOHANG)) == 0 && now_ns() < end)
		usleep(20);
	if (r != tid || !WIFSTOPPED(st)) {
		/* It cannot be detached: kill it (the loop sees it die). */
		report("controller: traced thread %d did not stop (%d, status %#x)",
		       tid, r, st);
		kill(W.cli[p], SIGKILL);
		return true;
	}
	if (!(st >> 16))	/* a signal-delivery stop */
		sig = WSTOPSIG(st);
	if (sig == SIGSTOP || sig == SIGTSTP)
		sig = 0;
	if (ptrace(PTRACE_DETACH, tid, 0, sig))
		report("controller: PTRACE_DETACH %d: %d", tid, errno);
	ADD(ptraces, 1);
	return true;
}

/* Print where the threads of a process that did not stop are. */
static void dump_process(pid_t pid)
{
	char path[320], buf[256];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	while (dir && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, d->d_name);
		f = fopen(path, "r");
		ksft_print_msg("  pid %d tid %s:\n", pid, d->d_name);
		while (f && fgets(buf, sizeof(buf), f))
			ksft_print_msg("    %s", buf);
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
}

static void show_endpoint(const char *name, int fd)
{
	ksft_print_msg("  endpoint %s: senders-waiting %ld receivers-waiting %ld send-handles %ld recv-handles %ld\n",
		       name, fdinfo_value(0, fd, "senders-waiting"),
		       fdinfo_value(0, fd, "receivers-waiting"),
		       fdinfo_value(0, fd, "send-handles"),
		       fdinfo_value(0, fd, "recv-handles"));
}

static unsigned int env_seconds(void)
{
	const char *e = getenv("KIPC_STRESS_SECONDS");
	long v = e ? strtol(e, NULL, 0) : 0;

	return v > 0 && v < 100000 ? v : DEFAULT_SECONDS;
}

FIXTURE(stress) {
	int dummy;
};

/* Live kipc objects before the test, from /proc/kipc/stats. */
static const char *const stat_keys[] = {
	"contexts", "endpoints", "handles", "notifications", "async", "inflight",
	"boosted", "regions",
};
static long stat_base[ARRAY_SIZE(stat_keys)];
static long boosts_base;

FIXTURE_SETUP(stress)
{
	int sv[2];

	for (int i = 0; i < ARRAY_SIZE(stat_keys); i++)
		stat_base[i] = kipc_stat(stat_keys[i]);
	boosts_base = kipc_stat("boosts");
	memset(&W, 0, sizeof(W));
	W.b_full = W.b_ctl = -1;
	for (int i = 0; i < NSLOT; i++)
		W.b_slot[i] = W.a_slot[i] = W.sock_ctl[i] = W.sock_cli[i] = -1;
	W.late_ns = LATE_MS * MS * kipc_slow();
	W.sh = mmap(NULL, sizeof(*W.sh), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, W.sh);
	ctx_open(&W.c);
	W.ep_a = kipc_ep_create(&W.c, 0);
	ASSERT_GE(W.ep_a, 0);
	W.a_srv = kipc_ep_mint(&W.c, W.ep_a, KIPC_RIGHT_RECV | KIPC_RIGHT_GRANT,
			       0, 0);
	ASSERT_GE(W.a_srv, 0);
	for (int i = 0; i < NSLOT; i++) {
		W.a_slot[i] = kipc_ep_mint(&W.c, W.ep_a,
					   KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT,
					   BADGE(0, 0, i), KIPC_MINT_BADGE);
		ASSERT_GE(W.a_slot[i], 0);
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
		W.sock_ctl[i] = sv[0];
		W.sock_cli[i] = sv[1];
	}
}

FIXTURE_TEARDOWN(stress)
{
	/* After a failed assertion: nobody may outlive the test. */
	for (int p = 0; p < NCLI; p++) {
		if (W.cli[p] > 0) {
			kill(W.cli[p], SIGKILL);
			reap(W.cli[p]);
		}
	}
	if (W.srv > 0) {
		kill(W.srv, SIGKILL);
		reap(W.srv);
	}
	close_b();
	for (int i = 0; i < NSLOT; i++) {
		close(W.a_slot[i]);
		close(W.sock_ctl[i]);
		close(W.sock_cli[i]);
	}
	close(W.a_srv);
	close(W.ep_a);
	kipc_ctx_close(&W.c);
	munmap(W.sh, sizeof(*W.sh));

	/*
	 * Everything the test made is closed and every process it started is
	 * gone: the module's live objects must be back where they started.
	 */
	for (int i = 0; i < ARRAY_SIZE(stat_keys); i++) {
		long v = kipc_stat(stat_keys[i]);

		for (int t = 0; t < 10000 && v != stat_base[i]; t++) {
			sleep_ms(1);
			v = kipc_stat(stat_keys[i]);
		}
		TH_LOG("%s alive: %ld (before: %ld)", stat_keys[i], v, stat_base[i]);
		EXPECT_EQ(stat_base[i], v);
	}
	/* The servers ran at priorities their callers lent them. */
	TH_LOG("boosts: %ld", kipc_stat("boosts") - boosts_base);
	EXPECT_LT(boosts_base, kipc_stat("boosts"));
}

TEST_F_TIMEOUT(stress, calls_signals_kills, DEFAULT_SECONDS + MARGIN_SECONDS)
{
	unsigned int secs = env_seconds();
	uint64_t start, end, now, next_kill, srv_kill[2];
	uint64_t s = mix(now_ns()) | 1;
	int nsrv_kills = 0, hung = 0;
	bool can_trace = true;
	struct counts *n = &SH->n;
	double el;

	TH_LOG("%u s, %d client processes x %d threads, %d server threads",
	       secs, NCLI, NTHR, NSRV);
	/* Children inherit a handler: a signal can never kill one. */
	catch_signal(SIGUSR1, 0);
	signal(SIGUSR2, SIG_IGN);
	ASSERT_EQ(0, start_server(0));
	for (int p = 0; p < NCLI; p++)
		ASSERT_EQ(0, start_client(p));

	start = now_ns();
	end = start + secs * 1000000000ULL;
	srv_kill[0] = start + (end - start) * 35 / 100;
	srv_kill[1] = start + (end - start) * 70 / 100;
	next_kill = start + (500 + rnd(&s) % 500) * MS;
	while ((now = now_ns()) < end) {
		int p = rnd(&s) % NCLI, slot = rnd(&s) % NSLOT, tid, st;
		pid_t pid;

		/*
		 * Signal a client thread every 0.2-2 ms, now and then a hundred
		 * times in a row, and a server thread now and then (all in
		 * processes that catch SIGUSR1; a thread that blocks it keeps
		 * it pending).
		 */
		tid = cli_mode(slot / NTHR) == CM_QUIET ? 0 : LOAD(SH->slot_tid[slot]);
		for (int i = rnd(&s) % 32 ? 1 : 100; tid && i > 0; i--)
			if (!syscall(SYS_tgkill, W.cli[slot / NTHR], tid, SIGUSR1))
				ADD(signals, 1);
		if (rnd(&s) % 16 == 0) {
			tid = LOAD(SH->srv_tid[rnd(&s) % NSRV]);
			if (tid && !syscall(SYS_tgkill, W.srv, tid, SIGUSR1))
				ADD(signals, 1);
		}
		/* Signals that run no handler: stops, ignored ones, ptrace. */
		for (int t = 0; t <= NCLI; t++)
			if (W.cont_at[t] && now >= W.cont_at[t])
				resume(t);
		if (rnd(&s) % 8 == 0)
			stop_one(&s, now);
		if (rnd(&s) % 4 == 0)
			ignored_storm(&s);
		if (can_trace && rnd(&s) % 128 == 0)
			can_trace = trace_one(&s);
		if (now >= next_kill) {
			kill(W.cli[p], SIGKILL);
			reap(W.cli[p]);
			for (int i = p * NTHR; i < (p + 1) * NTHR; i++)
				__atomic_store_n(&SH->slot_tid[i], 0, __ATOMIC_RELAXED);
			if (start_client(p))
				report("controller: cannot respawn client %d", p);
			ADD(client_kills, 1);
			next_kill = now + (500 + rnd(&s) % 500) * MS;
		}
		if (nsrv_kills < 2 && now >= srv_kill[nsrv_kills]) {
			restart_server(false);
			nsrv_kills++;
		}
		/* Nobody else may die. */
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			report("controller: pid %d (%s) ended by itself, status %#x", pid,
			       pid == W.srv ? "server" : "client", st);
			if (pid == W.srv)
				restart_server(true);
			for (int q = 0; q < NCLI; q++)
				if (pid == W.cli[q] && start_client(q))
					report("controller: cannot respawn client %d", q);
		}
		usleep(200 + rnd(&s) % 1800);
	}

	/* Everybody runs again, for good. */
	for (int t = 0; t <= NCLI; t++) {
		resume(t);
		if (target_pid(t) > 0)
			kill(target_pid(t), SIGCONT);
	}
	/* Stop: the clients finish their calls (the server still runs). */
	__atomic_store_n(&SH->stop, 1, __ATOMIC_RELEASE);
	el = (now_ns() - start) / 1e9;
	end = now_ns() + STOP_SECONDS * 1000000000ULL;
	for (int p = 0; p < NCLI; p++) {
		int st = 0;
		pid_t r;

		while ((r = waitpid(W.cli[p], &st, WNOHANG)) == 0 && now_ns() < end) {
			/* Should a stop have taken effect after its SIGCONT */
			kill(W.cli[p], SIGCONT);
			kill(W.srv, SIGCONT);
			sleep_ms(5);
		}
		if (r == 0) {
			ksft_print_msg("client %d (pid %d) did not stop:\n", p, W.cli[p]);
			for (int i = p * NTHR; i < (p + 1) * NTHR; i++) {
				if (!SH->inflight[i].since)
					continue;
				ksft_print_msg("  slot %d: call %#llx on %c, timeout %llu, for %.1f s\n",
					       i, (unsigned long long)SH->inflight[i].label,
					       SH->inflight[i].on_b ? 'B' : 'A',
					       (unsigned long long)SH->inflight[i].timeout,
					       (now_ns() - SH->inflight[i].since) / 1e9);
			}
			show_endpoint("A", W.ep_a);
			show_endpoint("B", W.b_ctl);
			ksft_print_msg("server (pid %d):\n", W.srv);
			dump_process(W.srv);
			dump_process(W.cli[p]);
			hung++;
			kill(W.cli[p], SIGKILL);
			reap(W.cli[p]);
		} else if (r < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			report("controller: client %d ended with status %#x", p, st);
		}
		W.cli[p] = 0;
	}
	kill(W.srv, SIGKILL);
	reap(W.srv);
	W.srv = 0;

	ksft_print_msg("stress: %llu calls in %.1f s, %.0f calls/s, %llu ok (%.0f/s), %llu on B\n",
		       (unsigned long long)n->calls, el, n->calls / el,
		       (unsigned long long)n->ok, n->ok / el,
		       (unsigned long long)n->b_calls);
	ksft_print_msg("stress: failed calls: EAGAIN %llu ETIMEDOUT %llu EINTR %llu ECONNRESET %llu (+%llu dropped on purpose) EPIPE %llu\n",
		       (unsigned long long)n->eagain, (unsigned long long)n->etimedout,
		       (unsigned long long)n->eintr, (unsigned long long)n->econnreset,
		       (unsigned long long)n->dropped, (unsigned long long)n->epipe);
	ksft_print_msg("stress: server: %llu messages (%llu through io_uring), %llu replies lost, EAGAIN %llu ETIMEDOUT %llu EINTR %llu\n",
		       (unsigned long long)n->srv_msgs, (unsigned long long)n->srv_uring,
		       (unsigned long long)n->srv_lost,
		       (unsigned long long)n->srv_eagain, (unsigned long long)n->srv_etimedout,
		       (unsigned long long)n->srv_eintr);
	ksft_print_msg("stress: %llu signals, %llu clients killed, %llu servers killed, %llu errors\n",
		       (unsigned long long)n->signals, (unsigned long long)n->client_kills,
		       (unsigned long long)n->server_kills, (unsigned long long)n->errors);
	ksft_print_msg("stress: no handler: %llu stops (%llu SIGTSTP, %llu of the server, %llu seen stopped), %llu ignored signals, %llu ptrace attaches%s\n",
		       (unsigned long long)n->stops, (unsigned long long)n->tstps,
		       (unsigned long long)n->srv_stops,
		       (unsigned long long)n->stopped_seen,
		       (unsigned long long)n->ignored, (unsigned long long)n->ptraces,
		       can_trace ? "" : " (ptrace not allowed)");
	ksft_print_msg("stress: %llu calls by threads no handler reaches: EINTR %llu (server: %llu); %llu lost replies\n",
		       (unsigned long long)n->quiet_calls,
		       (unsigned long long)n->quiet_eintr,
		       (unsigned long long)n->srv_quiet_eintr,
		       (unsigned long long)n->lost_replies);
	ksft_print_msg("stress: finite waits: %llu timed out early, %llu late; the latest ended %.1f ms after its deadline (%s), the longest stop lasted %.1f ms\n",
		       (unsigned long long)n->early, (unsigned long long)n->late,
		       n->late_max_ns / 1e6, SH->late_what, n->stop_max_ns / 1e6);
	ksft_print_msg("stress: ABI 1.2: %llu calls through slots, %llu with the descriptor in the area, the rest ABI 1.0; server operations: %llu through slots, %llu in the area, %llu io_uring commands on slots; %llu registrations by the churners (%llu found the context busy), %llu client calls and registrations and %llu server operations found it busy\n",
		       (unsigned long long)n->slot_calls, (unsigned long long)n->area_calls,
		       (unsigned long long)n->srv_slot_ops, (unsigned long long)n->srv_area_ops,
		       (unsigned long long)n->uring_slot, (unsigned long long)n->churns,
		       (unsigned long long)n->churn_busy, (unsigned long long)n->busy_calls,
		       (unsigned long long)n->srv_busy);
	ksft_print_msg("stress: ABI 1.5: %llu calls with windows, %llu bytes copied and checked, %llu accesses ended by the caller, %llu found it interrupted (EAGAIN); %llu board puts (%llu EPIPE from a dead server), %llu records checked by a server\n",
		       (unsigned long long)n->win_calls, (unsigned long long)n->win_bytes,
		       (unsigned long long)n->win_reset, (unsigned long long)n->win_parked,
		       (unsigned long long)n->puts,
		       (unsigned long long)n->put_epipe, (unsigned long long)n->board_checks);
	ksft_print_msg("stress: ABI 1.7: %llu calls forwarded (%llu served on F), %llu forwards kept their right, %llu found the caller gone\n",
		       (unsigned long long)n->fwd_calls, (unsigned long long)n->fwd_served,
		       (unsigned long long)n->fwd_kept, (unsigned long long)n->fwd_lost);
	for (int i = 0; i < NMSG && i < SH->nmsg; i++)
		ksft_print_msg("error: %s\n", SH->msg[i]);

	EXPECT_EQ(0, hung);
	EXPECT_GT(n->win_calls, 100);
	EXPECT_GT(n->win_bytes, 1000000);
	EXPECT_GT(n->board_checks, 10);
	EXPECT_EQ(0, n->errors);
	EXPECT_GT(n->ok, 1000);
	EXPECT_EQ(2, n->server_kills);
	EXPECT_GT(n->srv_uring, 100);
	EXPECT_GT(n->stops, 100);
	EXPECT_GT(n->ignored, 100);
	EXPECT_GT(n->quiet_calls, 1000);
	EXPECT_EQ(0, n->quiet_eintr);
	EXPECT_EQ(0, n->srv_quiet_eintr);
	EXPECT_EQ(0, n->lost_replies);
	/*
	 * The mix is as designed: about two calls in nine through slots, as
	 * many in the area, whatever the kernel's speed (a KASAN kernel on
	 * four vCPUs of two cores makes a fifth of the calls of a plain one,
	 * forwarding included).
	 */
	EXPECT_GT(n->slot_calls, 300);
	EXPECT_GT(n->slot_calls, n->calls / 6);
	EXPECT_GT(n->area_calls, 300);
	EXPECT_GT(n->area_calls, n->calls / 6);
	EXPECT_GT(n->srv_slot_ops, 300);
	EXPECT_GT(n->srv_slot_ops, n->srv_msgs / 6);
	EXPECT_GT(n->uring_slot, 100);
	EXPECT_GT(n->churns, 1000);
	EXPECT_GT(n->fwd_calls, 100);
	EXPECT_GT(n->fwd_served, 100);

	/* Everybody is gone: nothing may be left waiting, no handle leaked. */
	for (int i = 0; i < NSLOT; i++) {
		close(W.sock_ctl[i]);
		close(W.sock_cli[i]);
		W.sock_ctl[i] = W.sock_cli[i] = -1;
	}
	EXPECT_EQ(0, wait_fdinfo(W.ep_a, "senders-waiting", 0));
	EXPECT_EQ(0, wait_fdinfo(W.ep_a, "receivers-waiting", 0));
	EXPECT_EQ(0, wait_fdinfo(W.b_ctl, "senders-waiting", 0));
	EXPECT_EQ(0, wait_fdinfo(W.b_ctl, "receivers-waiting", 0));
	/* A: ep_a + one per slot can send; ep_a and a_srv can receive. */
	EXPECT_EQ(0, wait_fdinfo(W.ep_a, "send-handles", NSLOT + 1));
	EXPECT_EQ(0, wait_fdinfo(W.ep_a, "recv-handles", 2));
	/* B: the controller's b_ctl and b_slot[]; its receiver is dead. */
	EXPECT_EQ(0, wait_fdinfo(W.b_ctl, "send-handles", NSLOT + 1));
	EXPECT_EQ(0, wait_fdinfo(W.b_ctl, "recv-handles", 0));
	/* And A still works: nobody receives, so a poll send finds nobody. */
	EXPECT_EQ(-EAGAIN, kipc_call(&W.c, W.ep_a, KIPC_TAG(1, 0), KIPC_TIMEOUT_POLL));
	EXPECT_EQ(-EPIPE, kipc_call(&W.c, W.b_ctl, KIPC_TAG(1, 0), KIPC_TIMEOUT_POLL));
}

/*
 * What the storm's lost replies come from, one step at a time: a call in
 * its reply phase is stopped (parked: no handler runs), a SIGUSR1 that has
 * a handler arrives while it is stopped, and the reply comes while it is
 * stopped (@early) or after it continued.  Whatever the outcome, it must
 * be all or nothing: either the call gets the reply, or it fails, its
 * message area stays as it was (also afterwards) and the reply fails with
 * ECONNRESET.
 */
static void parked_then_handler(struct __test_metadata *_metadata, bool early)
{
	struct { int ret; uint64_t mr0, later; } o = { 0 };
	int to_parent[2], to_child[2], ep, st, rep = 1;
	struct kipc_ctx c;
	pid_t pid;
	char go;

	catch_signal(SIGUSR1, 0);
	ctx_open(&c);
	ep = kipc_ep_create(&c, 0);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	if (pid == 0) {
		struct kipc_ctx cc;

		ctx_open(&cc);
		kipc_mr(&cc)[0] = 0x1111;
		o.ret = kipc_call(&cc, ep, KIPC_TAG(1, 1), INF);
		o.mr0 = kipc_mr(&cc)[0];
		if (write(to_parent[1], &o, sizeof(o)) != sizeof(o) ||
		    read(to_child[0], &go, 1) != 1)
			_exit(1);
		/* No operation since: has the area changed meanwhile? */
		o.later = kipc_mr(&cc)[0];
		_exit(write(to_parent[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1);
	}
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, kipc_recv(&c, ep, INF));
	ASSERT_EQ(0, wait_sleeping(pid));
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &st, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(st));
	kipc_mr(&c)[0] = 0x2222;
	if (early)
		rep = kipc_reply(&c, KIPC_TAG(2, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_EQ(sizeof(o), read(to_parent[0], &o, sizeof(o)));
	if (!early)
		rep = kipc_reply(&c, KIPC_TAG(2, 1));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(sizeof(o), read(to_parent[0], &o, sizeof(o)));
	EXPECT_EQ(0, reap(pid));
	TH_LOG("reply %s the continue: %d; the call: %d, area %#llx, later %#llx",
	       early ? "before" : "after", rep, o.ret,
	       (unsigned long long)o.mr0, (unsigned long long)o.later);
	if (o.ret == 0) {
		EXPECT_EQ(0, rep);
		EXPECT_EQ(0x2222, o.mr0);
	} else {
		EXPECT_EQ(-EINTR, o.ret);
		EXPECT_EQ(-ECONNRESET, rep);
		EXPECT_EQ(0x1111, o.mr0);
		EXPECT_EQ(0x1111, o.later);
	}
	close(ep);
	kipc_ctx_close(&c);
}

TEST(parked_call_handler_reply_while_stopped)
{
	parked_then_handler(_metadata, true);
}

TEST(parked_call_handler_reply_after_continue)
{
	parked_then_handler(_metadata, false);
}

/*
 * What the storm's late deadlines, lost KIPC_ST_REPLY_LOST and early
 * timeouts of ABI 1.2 operations come from, one step at a time: an area
 * operation (KIPC_IOC_M*) withdrawn after a signal that runs no handler
 * (a stop) is issued again, must go on with its deadlines and its reply's
 * outcome, as ABI 1.0's does, and must leave nothing behind for the
 * next operation.  Each runs in a child that the test stops and
 * continues.
 */
enum { R_OLD, R_AREA_FD, R_AREA_SLOT };

/* Receive (or reply and receive) on @ep as @how says, from one call site. */
static int restart_op(struct kipc_ctx *k, int how, bool reply, int ep, uint64_t rt)
{
	struct kipc_ipc a = { .fd = ep, .recv_timeout = rt };
	unsigned long cmd = how == R_OLD ? (reply ? KIPC_IOC_REPLY_RECV : KIPC_IOC_RECV) :
			    reply ? KIPC_IOC_MREPLY_RECV : KIPC_IOC_MRECV;

	k->utcb->args = (struct kipc_area_args){
		.ep = how == R_AREA_SLOT ? 0 : ep,
		.flags = how == R_AREA_SLOT ? KIPC_ARGS_SLOT : 0,
		.recv_timeout = rt,
	};
	return ioctl(k->fd, cmd, how == R_OLD ? (void *)&a : NULL) < 0 ? -errno : 0;
}

/* Stop and continue @pid every 20 ms for @ms. */
static void stop_storm(pid_t pid, unsigned int ms)
{
	for (uint64_t end = now_ns() + ms * MS; now_ns() < end;) {
		kill(pid, SIGSTOP);
		sleep_ms(1);
		kill(pid, SIGCONT);
		sleep_ms(20);
	}
}

struct restart_out {
	int ret, ret2;
	unsigned int status;
	uint64_t ms, ms2;
};

static void restart_deadline(struct __test_metadata *_metadata, int how)
{
	struct restart_out o = { 0 };
	struct kipc_ctx c;
	int ep, p[2];
	pid_t pid;

	ctx_open(&c);
	ep = kipc_ep_create(&c, 0);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	if (pid == 0) {
		struct kipc_ctx k;
		uint64_t t0;

		ctx_open(&k);
		if (how == R_AREA_SLOT && kipc_register(&k, 0, ep))
			_exit(1);
		t0 = now_ns();
		o.ret = restart_op(&k, how, false, ep, 200 * MS);
		o.ms = (now_ns() - t0) / MS;
		_exit(write(p[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1);
	}
	ASSERT_EQ(0, wait_fdinfo(ep, "receivers-waiting", 1));
	/* A deadline that starts again at each stop ends after the storm. */
	stop_storm(pid, 1500 * kipc_slow());
	ASSERT_EQ(sizeof(o), read(p[0], &o, sizeof(o)));
	EXPECT_EQ(0, reap(pid));
	TH_LOG("a 200 ms receive stopped every 20 ms for %ld ms: %d after %llu ms",
	       1500 * kipc_slow(), o.ret, (unsigned long long)o.ms);
	EXPECT_EQ(-ETIMEDOUT, o.ret);
	EXPECT_GE(o.ms, 200);
	EXPECT_LT(o.ms, 200 + 600 * kipc_slow());
	close(ep);
	kipc_ctx_close(&c);
}

TEST(restart_keeps_deadline)
{
	restart_deadline(_metadata, R_OLD);
}

TEST(area_restart_keeps_deadline)
{
	restart_deadline(_metadata, R_AREA_FD);
}

TEST(slot_restart_keeps_deadline)
{
	restart_deadline(_metadata, R_AREA_SLOT);
}

/* A reply_recv whose reply found its caller gone, stopped as it waits. */
static void restart_reply_lost(struct __test_metadata *_metadata, int how)
{
	struct restart_out o = { 0 };
	struct kipc_ctx c;
	int ep, p[2];
	pid_t pid;

	ctx_open(&c);
	ep = kipc_ep_create(&c, 0);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	if (pid == 0) {
		struct kipc_ctx k;

		ctx_open(&k);
		if (how == R_AREA_SLOT && kipc_register(&k, 0, ep))
			_exit(1);
		if (kipc_recv(&k, ep, INF))
			_exit(1);
		sleep_ms(150);		/* the call times out meanwhile */
		k.utcb->tag = KIPC_TAG(2, 0);
		o.ret = restart_op(&k, how, true, ep, 500 * MS);
		o.status = k.utcb->status;
		_exit(write(p[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1);
	}
	/* Delivered at once, then it times out waiting for the reply. */
	ASSERT_EQ(0, wait_fdinfo(ep, "receivers-waiting", 1));
	EXPECT_EQ(-ETIMEDOUT, kipc_call(&c, ep, KIPC_TAG(1, 0), 50 * MS));
	sleep_ms(200);
	stop_storm(pid, 300);
	ASSERT_EQ(sizeof(o), read(p[0], &o, sizeof(o)));
	EXPECT_EQ(0, reap(pid));
	TH_LOG("reply_recv, its reply lost, stopped as it waits: %d, status %#x",
	       o.ret, o.status);
	EXPECT_EQ(-ETIMEDOUT, o.ret);
	EXPECT_EQ(KIPC_ST_REPLY_LOST, o.status);
	close(ep);
	kipc_ctx_close(&c);
}

TEST(restart_keeps_reply_lost)
{
	restart_reply_lost(_metadata, R_OLD);
}

TEST(area_restart_keeps_reply_lost)
{
	restart_reply_lost(_metadata, R_AREA_FD);
}

TEST(slot_restart_keeps_reply_lost)
{
	restart_reply_lost(_metadata, R_AREA_SLOT);
}

/*
 * An area receive stopped once and restarted, then an ABI 1.0 receive
 * with the same arguments from the same place: that one is new, with a
 * deadline of its own, not the restart of the first.
 */
TEST(area_restart_leaves_nothing_behind)
{
	struct restart_out o = { 0 };
	struct kipc_ctx c;
	int ep, p[2];
	pid_t pid;

	ctx_open(&c);
	ep = kipc_ep_create(&c, 0);
	ASSERT_GE(ep, 0);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	if (pid == 0) {
		struct kipc_ctx k;
		uint64_t t0;

		ctx_open(&k);
		for (int i = 0; i < 2; i++) {
			t0 = now_ns();
			*(i ? &o.ret2 : &o.ret) = restart_op(&k, i ? R_OLD : R_AREA_FD, false, ep,
							     200 * MS);
			*(i ? &o.ms2 : &o.ms) = (now_ns() - t0) / MS;
		}
		_exit(write(p[1], &o, sizeof(o)) == sizeof(o) ? 0 : 1);
	}
	ASSERT_EQ(0, wait_fdinfo(ep, "receivers-waiting", 1));
	kill(pid, SIGSTOP);
	sleep_ms(5);
	kill(pid, SIGCONT);
	ASSERT_EQ(sizeof(o), read(p[0], &o, sizeof(o)));
	EXPECT_EQ(0, reap(pid));
	TH_LOG("area receive stopped once: %d after %llu ms; then ABI 1.0: %d after %llu ms",
	       o.ret, (unsigned long long)o.ms, o.ret2, (unsigned long long)o.ms2);
	EXPECT_EQ(-ETIMEDOUT, o.ret);
	EXPECT_EQ(-ETIMEDOUT, o.ret2);
	EXPECT_GE(o.ms2, 200);
	close(ep);
	kipc_ctx_close(&c);
}

/*
 * A slot holds its handle until the context is closed (uapi), also while
 * a server still holds the reply right to the context's call: the
 * process whose slot held an endpoint's last receive handle dies, and the
 * endpoint with it.
 */
TEST(slots_go_with_the_context)
{
	struct kipc_ctx c;
	int e, r, s, f;
	pid_t pid;

	ctx_open(&c);
	e = kipc_ep_create(&c, 0);
	f = kipc_ep_create(&c, 0);
	ASSERT_GE(e, 0);
	ASSERT_GE(f, 0);
	r = kipc_ep_mint(&c, e, KIPC_RIGHT_RECV, 0, 0);
	s = kipc_ep_mint(&c, e, KIPC_RIGHT_SEND, 0, 0);
	ASSERT_GE(r, 0);
	ASSERT_GE(s, 0);
	pid = fork();
	if (pid == 0) {
		struct kipc_ctx k;

		ctx_open(&k);
		if (kipc_register(&k, 0, r))
			_exit(1);
		close(r);
		close(e);
		kipc_call(&k, f, KIPC_TAG(1, 0), INF);
		_exit(2);
	}
	close(r);
	close(e);
	ASSERT_EQ(0, kipc_recv(&c, f, INF));	/* the child's call: we hold its right */
	ASSERT_EQ(0, kill(pid, SIGKILL));
	reap(pid);
	EXPECT_EQ(0, wait_fdinfo(s, "recv-handles", 0))
		TH_LOG("the dead child's slot still holds a receive handle (%ld)",
		       fdinfo_value(0, s, "recv-handles"));
	EXPECT_EQ(-EPIPE, kipc_send(&c, s, KIPC_TAG(2, 0), KIPC_TIMEOUT_POLL));
	EXPECT_EQ(-ECONNRESET, kipc_reply(&c, KIPC_TAG(3, 0)));
	close(s);
	close(f);
	kipc_ctx_close(&c);
}


/*
 * send_recv (ABI 1.3) around a ring: RING_N processes, stage i receiving
 * on endpoint i and sending one way to endpoint i + 1 with send_recv
 * (slots and descriptors in turn), RING_T tokens going round at once,
 * while the controller stops, continues and signals the stages without
 * handlers.  A token's registers derive from its number and hop count, and
 * each stage checks that every token comes back exactly RING_N hops after
 * it last saw it: a message sent twice (a restart that sent again) or lost
 * shows.  Each token makes RING_HOPS hops; then the stages are killed
 * where they wait, and nothing may be left behind.
 */
enum { RING_N = 4, RING_T = 2, RING_HOPS = 6000, RING_REGS = 6 };

static void ring_msg(struct kipc_ctx *c, uint64_t tok, uint64_t hop)
{
	__u64 *mr = kipc_mr(c);

	mr[0] = tok;
	mr[1] = hop;
	for (int i = 2; i < RING_REGS; i++)
		mr[i] = mix(tok * 0x10001 + hop * 31 + i);
}

static int ring_msg_ok(struct kipc_ctx *c, uint64_t *tok, uint64_t *hop)
{
	__u64 *mr = kipc_mr(c);

	if (KIPC_TAG_NR(kipc_tag(c)) != RING_REGS || mr[0] >= RING_T)
		return 0;
	for (int i = 2; i < RING_REGS; i++)
		if (mr[i] != mix(mr[0] * 0x10001 + mr[1] * 31 + i))
			return 0;
	*tok = mr[0];
	*hop = mr[1];
	return 1;
}

struct ring {
	int ep[RING_N];
	int report[2];		/* stages write a line if something is wrong */
	int done[2];		/* stage 0 writes once every token is home */
};

static int ring_stage(struct ring *r, int me)
{
	int in = r->ep[me], out = r->ep[(me + 1) % RING_N], ret = 0;
	uint64_t last[RING_T], tok, hop, finished = 0;
	struct kipc_ctx c;
	char line[160];

	for (int t = 0; t < RING_T; t++)
		last[t] = UINT64_MAX;
	ctx_open(&c);
	if (kipc_register(&c, 0, in) || kipc_register(&c, 1, out))
		return 2;
	if (me == 0) {
		/* Inject the tokens, each at hop 0 here. */
		for (tok = 0; tok < RING_T; tok++) {
			ring_msg(&c, tok, 1);
			last[tok] = 0;
			if (kipc_send(&c, KIPC_SLOT(1), KIPC_TAG(1, RING_REGS), INF))
				return 3;
		}
	}
	ret = kipc_recv(&c, KIPC_SLOT(0), INF);
	for (;;) {
		int slot;

		if (ret) {
			snprintf(line, sizeof(line), "stage %d: send_recv: %d (status %#x)\n",
				 me, ret, c.utcb->status);
			break;
		}
		if (!ring_msg_ok(&c, &tok, &hop) || hop % RING_N != (uint64_t)me ||
		    (last[tok] != UINT64_MAX && hop != last[tok] + RING_N)) {
			snprintf(line, sizeof(line),
				 "stage %d: token %llu hop %llu after hop %llu\n", me,
				 (unsigned long long)kipc_mr(&c)[0],
				 (unsigned long long)kipc_mr(&c)[1],
				 (unsigned long long)last[kipc_mr(&c)[0] % RING_T]);
			break;
		}
		last[tok] = hop;
		if (hop >= RING_HOPS) {
			/* Home: this token goes no further. */
			if (++finished == RING_T && me == RING_HOPS % RING_N)
				(void)!write(r->done[1], "d", 1);
			ret = kipc_recv(&c, KIPC_SLOT(0), INF);
			continue;
		}
		ring_msg(&c, tok, hop + 1);
		slot = hop & 1;
		ret = kipc_send_recv(&c, slot ? KIPC_SLOT(1) : out,
				     KIPC_TAG(1, RING_REGS), slot ? KIPC_SLOT(0) : in,
				     INF, INF);
		if (!ret && c.utcb->status != KIPC_ST_SENT) {
			snprintf(line, sizeof(line), "stage %d: status %#x\n", me,
				 c.utcb->status);
			break;
		}
	}
	(void)!write(r->report[1], line, strlen(line));
	return 1;
}

TEST(send_recv_ring)
{
	static const int sigs[] = { SIGCHLD, SIGWINCH, SIGUSR2 };
	long contexts = kipc_stat("contexts"), endpoints = kipc_stat("endpoints");
	uint64_t end = now_ns() + 120000 * MS * kipc_slow();
	struct ring r;
	struct kipc_ctx c;
	pid_t pid[RING_N];
	int n = 0, home = 0, st;
	char buf[512];
	ssize_t len = 0;

	ctx_open(&c);
	for (int i = 0; i < RING_N; i++) {
		r.ep[i] = kipc_ep_create(&c, 0);
		ASSERT_GE(r.ep[i], 0);
	}
	ASSERT_EQ(0, pipe2(r.report, O_NONBLOCK));
	ASSERT_EQ(0, pipe2(r.done, O_NONBLOCK));
	signal(SIGUSR2, SIG_IGN);	/* ignored from their first instruction */
	for (int i = 0; i < RING_N; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(ring_stage(&r, i));
		ASSERT_GT(pid[i], 0);
	}
	signal(SIGUSR2, SIG_DFL);
	while (now_ns() < end) {
		pid_t p = pid[n % RING_N];

		if (read(r.done[0], buf, 1) == 1) {
			home = 1;
			break;
		}
		len = read(r.report[0], buf, sizeof(buf) - 1);
		if (len > 0)
			break;
		if (n % 16 == 15 && kill(p, SIGSTOP) == 0) {
			waitpid(p, &st, WUNTRACED);
			kill(p, SIGCONT);
			waitpid(p, &st, WCONTINUED);
		} else {
			kill(p, sigs[n % 3]);
		}
		n++;
		usleep(100);
	}
	for (int i = 0; i < RING_N; i++) {
		kill(pid[i], SIGKILL);
		waitpid(pid[i], &st, 0);
	}
	if (len <= 0)
		len = read(r.report[0], buf, sizeof(buf) - 1);
	buf[len > 0 ? len : 0] = 0;
	TH_LOG("%d signals; %s", n, home ? "every token home" : "not home");
	EXPECT_EQ(1, home) TH_LOG("%s", buf);
	EXPECT_GE(0, len) TH_LOG("%s", buf);
	for (int i = 0; i < RING_N; i++) {
		EXPECT_EQ(0, wait_fdinfo(r.ep[i], "senders-waiting", 0));
		EXPECT_EQ(0, wait_fdinfo(r.ep[i], "receivers-waiting", 0));
		close(r.ep[i]);
	}
	close(r.report[0]);
	close(r.report[1]);
	close(r.done[0]);
	close(r.done[1]);
	kipc_ctx_close(&c);
	/* Contexts are freed after an RCU grace period. */
	for (int i = 0; i < 2000 && (kipc_stat("contexts") != contexts ||
				     kipc_stat("endpoints") != endpoints); i++)
		sleep_ms(5);
	EXPECT_EQ(contexts, kipc_stat("contexts"));
	EXPECT_EQ(endpoints, kipc_stat("endpoints"));
}

/* The harness wants the timeout at compile time; the run length is not. */
static void __attribute__((constructor)) stress_timeout(void)
{
	_stress_calls_signals_kills_object.timeout = env_seconds() + MARGIN_SECONDS;
}

TEST_HARNESS_MAIN
