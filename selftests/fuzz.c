// SPDX-License-Identifier: GPL-2.0
/*
 * A structure-aware fuzzer of the kipc ioctls.
 *
 * fuzz.corpus replays every input of selftests/fuzz-corpus/ first (the
 * regression tests; see the format below).  fuzz.random then makes
 * KIPC_FUZZ_CALLS calls (default DEFAULT_CALLS) from a deterministic
 * generator seeded by KIPC_FUZZ_SEED (printed; the interleaving of the
 * processes is not reproducible, each thread's sequence of inputs is):
 *
 *  - the controller (the test process) creates the checked endpoints V
 *    (their receive rights never leave private fds, so every message on
 *    them can be verified) and the wild endpoints W (every kind of handle
 *    in the shared pool), fills the pool of fd slots with handles and
 *    wrong-type fds, and forks NWORK workers; then it signals their
 *    threads (SIGUSR1; half of the workers use SA_RESTART), SIGKILLs and
 *    respawns a worker now and then, acts as a partner for waits that
 *    have no end, and watches for calls that do not return;
 *  - each worker runs NFUZZ fuzzing threads and a server thread.  A call
 *    starts from a valid struct kipc_ipc, kipc_ep_create, kipc_ep_mint or
 *    kipc_version and is mutated: ioctl numbers around the magic, flags
 *    and reserved words, handles and wrong-type fds, rights, badges,
 *    timeouts, tags, and where the argument is (NULL, unmapped,
 *    PROT_NONE, read-only, straddling the end of a mapping, kernel and
 *    non-canonical addresses, misaligned, inside the message page, on a
 *    page another thread toggles).  Threads also close and dup2 pool
 *    slots, open contexts, mmap contexts and other fds, fork children
 *    that use inherited fds and exit (or are killed) mid-operation.
 *    ABI 1.2: every thread registers handles (private, pool, wrong fds)
 *    in its context's slots, replaces and clears them (KIPC_IOC_REGISTER
 *    with slots out of range, unknown flags, padding, reserved words,
 *    clear with a descriptor), and makes the area operations
 *    (KIPC_IOC_MSEND ... _MREPLY_RECV) through slots (registered, empty,
 *    out of range), descriptors and numbers mistaken for one or the
 *    other, with unknown area flags, a reserved word, a nonzero ioctl
 *    argument; the server thread serves through its slot 0 as often as
 *    through its descriptors.
 *
 * The oracle: every result is one the README allows for that call on that
 * target (an exact one where the call is deterministic); EAGAIN only for
 * a poll, ETIMEDOUT never before the deadline and no call long after its
 * deadline; SA_RESTART hides EINTR where it should; a failed call leaves
 * the message area as it was, a successful receive writes only what is
 * documented (the registers past the count and the reserved words stay);
 * messages on V arrive intact, with the badge of the handle they were
 * sent through, on the endpoint they were sent to, at most once, and
 * never after their send failed; replies belong to their call; the reply
 * right behaves as modelled (ENOENT exactly when none is held); each
 * thread models its slots (exactly: a context only its thread uses is
 * never busy), and an area operation has exactly the result of the same
 * ABI 1.0 operation on what the slot holds, once the area's words and the
 * ioctl's argument are valid (EINVAL before anything else); the module
 * never writes into an argument it only reads (_IOW), nor into the
 * area's arguments.  At the end nothing waits on any endpoint, the handle
 * counts are the controller's, /proc/kipc/endpoints lists no endpoint of
 * a dead fuzz process, /proc/kipc/stats counts as many live objects as
 * before and the controller's descriptor table is as it was.  The kernel
 * itself (WARN, BUG, lockdep) is watched by the VM (panic_on_warn) and
 * the kernel-log scan of vm/check.sh.
 *
 * fuzz.async fuzzes notifications, cancel, poll and io_uring commands
 * (with KIPC_ARGS_SLOT too) from one thread; fuzz.slots shares contexts
 * and their slots between threads (see each below).
 *
 * Environment: KIPC_FUZZ_SEED, KIPC_FUZZ_CALLS, KIPC_FUZZ_SLACK_MS (how
 * late a call may return after its deadline, default 1000),
 * KIPC_FUZZ_HANG_S (a wait without deadline that lasts longer is a hang,
 * default 30); both defaults are multiplied by kipcslow (a slow kernel,
 * vm/run.sh).  In the VM: VM_APPEND="KIPC_FUZZ_CALLS=1000000".
 *
 * Corpus format (one input per file, embedded at build time: a new
 * selftests/fuzz-corpus/NAME.txt, NAME a C identifier, is all it takes;
 * the Makefile lists them in fuzz-corpus.h).  Each
 * input starts with a fresh context c (mapped), a second context c2
 * (never mapped) and one endpoint: ep (all rights), s (send, badge 7),
 * r (receive), g (grant only); wrong-type fds pipe, devnull, eventfd,
 * closed.  Lines ('#' starts a comment):
 *
 *   ioctl CMD [target=FD|foreign] [ptr=KIND[:N]] [tag=T] [FIELD=V]... -> R
 *	CMD: VERSION CREATE MINT SEND RECV CALL REPLY REPLY_RECV REGISTER
 *	MSEND MRECV MCALL MREPLY MREPLY_RECV or a number; FIELDs of
 *	kipc_ipc: fd flags st rt r0 r1; of kipc_ep_create: flags pad r0 r1
 *	r2; of kipc_ep_mint: fd rights badge flags pad r0 r1; of
 *	kipc_register: fd slot flags pad r0 r1; of the area operations the
 *	words written to the message area, ep flags st rt res, and arg, the
 *	ioctl's own argument (ep defaults to -1, the rest to 0; a slot
 *	holds what earlier lines registered); values are numbers, INF, POLL,
 *	SLOT or CLEAR (1) or fd names; KIND is one of ptr_name[]; R is 0, fd
 *	(a new descriptor), any, or an errno name.  Every call also goes
 *	through the fuzzer's own oracle, and after the input the descriptor
 *	table must be as it was before it.
 *   peer send|call|recv fd=FD [tag=T] [st=V] [rt=V]
 *	another thread with its own context blocks in that operation
 *	(timeouts 10 s unless given)
 *   join -> R		wait for the peer; R is its result
 *   race restart_call|restart_mcall seconds=N
 *	signals racing with the delivery of a call (commit 435d35d); mcall:
 *	KIPC_IOC_MCALL through a slot, received through a slot
 *   race call_deadline|mcall_deadline rt=MS every=US
 *	a call (send phase without end, whole call bounded by rt) with an
 *	SA_RESTART handler, interrupted every US microseconds: it must end
 *	by its deadline (mcall: KIPC_IOC_MCALL through a slot)
 * A fuzz failure prints the call in this format.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <poll.h>
#include <liburing.h>

#include "kipc_test.h"
#include <kipc_uring.h>

#define DEFAULT_SEED	0x6b6970632d667a31ULL	/* "kipc-fz1" */
#define DEFAULT_CALLS	350000		/* about 30 s in the 2-CPU TCG VM */
#define PAGE		4096

enum {
	NWORK = 3,		/* worker processes */
	NFUZZ = 2,		/* fuzzing threads per worker */
	NTHR = NFUZZ + 1,	/* and a server thread */
	NSLOT = NWORK * NTHR,	/* threads the controller watches */
	NV = 2,			/* checked endpoints */
	NW = 2,			/* wild endpoints */
	DEAD = NV + NW,		/* an endpoint nobody ever receives on */
	NE = NV + NW + 1,
	NKIND = 5,		/* private handles per endpoint */
	NPOOL = 48,		/* fd slots any thread may close or replace */
	POOL_BASE = 200,
	PRIV_BASE = 300,	/* stable fds, inherited by the workers */
	CTRL_BASE = 400,	/* the controller's full handles */
	SEEN = 4096,
	NMSG = 24,
	MSGLEN = 480,
	NERR = 135,		/* errno histogram; the last bucket: any larger */
	EXIT_SELF = 42,		/* a worker that ended itself on purpose */
};

#define POOL(i)		(POOL_BASE + (i))
#define PRIV(e, k)	(PRIV_BASE + (e) * NKIND + (k))
#define PRIV_PIPE0	(PRIV_BASE + 40)
#define PRIV_PIPE1	(PRIV_BASE + 41)
#define PRIV_NULL	(PRIV_BASE + 42)
#define PRIV_EVENT	(PRIV_BASE + 43)
#define PRIV_CTX	(PRIV_BASE + 44)	/* the controller's context */
#define CTL(e)		(CTRL_BASE + (e))

/* Private handle kinds; the send kinds in the order of label codes. */
enum { K_FULL, K_SEND, K_RECV, K_GRANT, K_SENDGRANT };
static const int send_kinds[] = { K_FULL, K_SEND, K_SENDGRANT };
static const int wrong_fds[] = { PRIV_PIPE0, PRIV_PIPE1, PRIV_NULL, PRIV_EVENT, PRIV_CTX };
static const unsigned int kind_rights[NKIND] = {
	KIPC_RIGHTS_ALL, KIPC_RIGHT_SEND, KIPC_RIGHT_RECV, KIPC_RIGHT_GRANT,
	KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT,
};

#define BADGE(e, k)	(0xb000000000000000ULL | (uint64_t)(e) << 8 | (k))

/* Badges of the private handles: the send kinds have one. */
static uint64_t kind_badge(int e, int kind)
{
	return kind == K_SEND || kind == K_SENDGRANT ? BADGE(e, kind) : 0;
}

/*
 * Labels of checked messages: VERIFY, the sender's slot, the handle kind
 * it sent through (0 full, 1 send, 2 send+grant), the endpoint, its
 * worker generation and a count.  Replies carry the request's label ^ RX.
 */
#define VERIFY		(1ULL << 47)
#define L_SLOT(l)	((int)(((l) >> 39) & 0xff))
#define L_KIND(l)	((int)(((l) >> 37) & 3))
#define L_EP(l)		((int)(((l) >> 36) & 1))
#define L_SEQ(l)	((l) & ((1ULL << 36) - 1))
#define RX		0x5a5a5a5a5ULL

/* What the histogram counts. */
enum {
	OP_VERSION, OP_CREATE, OP_MINT, OP_SEND, OP_RECV, OP_CALL, OP_REPLY,
	OP_REPLY_RECV, OP_PUBLISH, OP_LOOKUP, OP_UNPUBLISH, OP_CALLER,
	/* ABI 1.2: registered slots, the five operations on the area's args */
	OP_REGISTER, OP_MSEND, OP_MRECV, OP_MCALL, OP_MREPLY, OP_MREPLY_RECV,
	OP_BADCMD, OP_MMAP, OP_FD, OP_FORK, NOPS,
};
static const char *const op_name[NOPS] = {
	"VERSION", "CREATE", "MINT", "SEND", "RECV", "CALL", "REPLY",
	"REPLY_RECV", "PUBLISH", "LOOKUP", "UNPUBLISH", "CALLER", "REGISTER",
	"MSEND", "MRECV", "MCALL", "MREPLY", "MREPLY_RECV", "bad-cmd",
	"mmap", "fd-ops", "fork",
};
static const unsigned long op_cmd[OP_BADCMD] = {
	KIPC_IOC_VERSION, KIPC_IOC_EP_CREATE, KIPC_IOC_EP_MINT, KIPC_IOC_SEND,
	KIPC_IOC_RECV, KIPC_IOC_CALL, KIPC_IOC_REPLY, KIPC_IOC_REPLY_RECV,
	KIPC_IOC_PUBLISH, KIPC_IOC_LOOKUP, KIPC_IOC_UNPUBLISH, KIPC_IOC_CALLER,
	KIPC_IOC_REGISTER, KIPC_IOC_MSEND, KIPC_IOC_MRECV, KIPC_IOC_MCALL,
	KIPC_IOC_MREPLY, KIPC_IOC_MREPLY_RECV,
};

/* Where the argument is. */
enum {
	P_GOOD, P_MISALIGNED, P_END, P_RO, P_UTCB, P_FLIP,	/* readable */
	P_NULL, P_LOW, P_HOLE, P_NONE, P_STRADDLE, P_STRADDLE_NONE,
	P_KERNEL, P_NONCANON, P_TOP, NPTR,
};
static const char *const ptr_name[NPTR] = {
	"good", "misaligned", "end", "ro", "utcb", "flip", "null", "low",
	"hole", "none", "straddle", "straddle-none", "kernel", "noncanon", "top",
};

/* On which fd the ioctl is made. */
enum { T_OWN, T_UNMAPPED, T_FD };

struct slotinfo {
	int pid, tid;
	uint64_t since;		/* start of the call in progress, 0: none */
	uint64_t limit;		/* its documented bound (ns), 0: none */
	int op, vk;		/* operation; checked endpoint it waits on */
	bool inf;		/* waits without end for a partner on vk */
};

/* Everybody's view of the run, MAP_SHARED. */
struct shared {
	uint64_t budget, calls;
	int stop;
	uint64_t hist[NOPS][NERR];
	uint64_t own_fd[2];	/* ABI 1.6 calls on a handle itself: all, ok */
	uint64_t failures, checked_msgs, checked_replies, forks, kills;
	uint64_t checked_area;		/* of which by area operations (ABI 1.2) */
	uint64_t exits, signals, rescues;
	uint64_t max_late;		/* ns a bounded call took past its bound */
	char late_call[MSGLEN];		/* and which call that was */
	int nmsg;
	char msg[NMSG][MSGLEN];
	struct slotinfo slot[NSLOT];
	uint64_t seen[NSLOT][SEEN];	/* label + 1 of checked messages received */
	uint64_t lost[NSLOT][SEEN];	/* label + 1 of checked sends that failed */
};

static struct shared *SH;
static uint64_t g_seed;
static uint64_t g_slack = 1000 * MS;
static uint64_t g_hang = 30000 * MS;

/* What a handle in an argument is known to be. */
struct hinfo {
	bool known;		/* stable, and we know what it is */
	int rights;		/* -1: not an endpoint handle */
	uint64_t badge;
	int e, kind;		/* endpoint index and kind, or -1 */
};

/* Not an endpoint handle, for sure; an empty slot is one too. */
#define H_NONE		((struct hinfo){ true, -1, 0, -1, -1 })
/* Anything: a pool slot, or a slot registered from one. */
#define H_UNKNOWN	((struct hinfo){ false, 0, 0, -1, -1 })

/*
 * An own context and the model of its reply right and of its registered
 * slots (ABI 1.2): a slot holds what was registered from a private handle
 * (known), from a pool fd (an endpoint handle, not known which), or
 * nothing (H_NONE).  Only its thread uses the context, so the model is
 * exact: KIPC_IOC_REGISTER never finds it busy.
 */
struct ctxm {
	int fd;
	struct kipc_utcb *u;	/* NULL: not mapped */
	bool held;
	uint64_t owed;		/* label of the call the right answers */
	struct hinfo slots[KIPC_SLOTS];
};

/* A fuzzing thread (or a child, or the corpus replay). */
struct fz {
	uint64_t r;
	int w, t, slot, gen;	/* slot -1: nothing shared, no checked sends */
	bool restart, child, server;
	struct ctxm c[2];	/* c[0] mapped, c[1] never mapped */
	uint64_t cnt;
	char *arena;		/* RW RW hole NONE RW NONE */
	char *ro, *ro_w;	/* a read-only view and a writable alias */
	char *flip, *flip_w;	/* the worker's page that threads toggle */
};

union arg {
	struct kipc_ipc ipc;
	struct kipc_ep_create cr;
	struct kipc_ep_mint mint;
	struct kipc_version ver;
	struct kipc_publish pub;
	struct kipc_lookup look;
	struct kipc_caller caller;
	struct kipc_register reg;
	unsigned char raw[128];
};

/*
 * One call.  An ABI 1.2 operation (KIPC_IOC_MSEND ...) has no argument
 * struct: its arguments go into the message area (@area) and the ioctl's
 * argument is @marg (0, or anything else: EINVAL); a.ipc then holds the
 * same operation as ABI 1.0 would name it (fd: the descriptor or the
 * slot; the timeouts), which the oracle shares with the ABI 1.0 calls,
 * and @h what the descriptor or the slot holds.
 */
struct fcall {
	unsigned long cmd;
	int target, tfd;
	bool self;		/* ABI 1.6: on the handle @h itself (@tfd) */
	int ptr, off;
	uint64_t tag;		/* written to the own mapped area first */
	bool verify;		/* a checked send or call */
	union arg a;
	struct hinfo h;
	struct kipc_area_args area;
	unsigned long marg;
};

/* ---- small helpers ---- */

static uint64_t rnd(struct fz *f)
{
	f->r += 0x9e3779b97f4a7c15ULL;
	return mix(f->r);
}

static unsigned int rn(struct fz *f, unsigned int n)
{
	return rnd(f) % n;
}

static bool one_in(struct fz *f, unsigned int n)
{
	return rn(f, n) == 0;
}

static uint64_t val(uint64_t label, unsigned int i)
{
	return mix(label * 0x9e3779b97f4a7c15ULL + i + 1);
}

static int cmd_op(unsigned long cmd)
{
	for (int i = 0; i < OP_BADCMD; i++)
		if ((unsigned int)cmd == (unsigned int)op_cmd[i])
			return i;
	return OP_BADCMD;
}

static bool is_ipc(int op)
{
	return op >= OP_SEND && op <= OP_REPLY_RECV;
}

/* KIPC_IOC_MSEND ... _MREPLY_RECV: arguments in the message area. */
static bool is_area(int op)
{
	return op >= OP_MSEND && op <= OP_MREPLY_RECV;
}

/* The ABI 1.0 operation an area operation is (the same, and the same errors). */
static int base_op(int op)
{
	return is_area(op) ? OP_SEND + (op - OP_MSEND) : op;
}

static bool tag_ok(uint64_t tag)
{
	tag &= ~KIPC_TAG_F_CALL;
	return KIPC_TAG_NR(tag) <= KIPC_MSG_REGS &&
	       !(tag & KIPC_TAG_FLAGS_MASK & ~KIPC_TAG_FDS_MASK) &&
	       KIPC_TAG_FDS(tag) <= KIPC_MSG_FDS;
}

/* A name the module takes: 1..63 of '!'..'~', NUL, zeroes to the end. */
static bool name_ok(const char *name)
{
	size_t len = strnlen(name, KIPC_NAME_MAX), i;

	if (!len || len == KIPC_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	for (; i < KIPC_NAME_MAX; i++)
		if (name[i])
			return false;
	return true;
}

static bool ptr_bad(int p)
{
	return p >= P_NULL;
}

/* Timeouts this large never expire in practice: a signal ends them. */
static bool huge(uint64_t to)
{
	return to >= (1ULL << 62);
}

static const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "ok";

	return n ? n : "E?";
}

/* Errno sets: one bit per errno the README names (and mmap's). */
static const int etab[] = {
	0, EINVAL, EFAULT, ENOTTY, EBADF, EPERM, EBUSY, EAGAIN,
	ETIMEDOUT, EINTR, EPIPE, ECONNRESET, ENOENT, EMFILE, ENOMEM,
	ENODEV, EACCES, EMSGSIZE, ETOOMANYREFS, ENOSPC, EEXIST,
	ECANCELED,
};

static int eidx(int e)
{
	for (int i = 0; i < ARRAY_SIZE(etab); i++)
		if (etab[i] == e)
			return i;
	return 63;
}

#define B(e)		(1ULL << eidx(e))
#define M_FDERR		(B(EBADF) | B(ENOTTY) | B(EPERM) | B(EBUSY))

/*
 * What a message with descriptors may add: a garbage descriptor, a handle
 * without GRANT (the one used or one passed), the per-user limit, and no
 * receiver accepting them (the fuzzer's contexts accept none).
 */
static uint64_t fds_mask(uint64_t tag)
{
	return KIPC_TAG_FDS(tag) ? B(EBADF) | B(EPERM) | B(EMSGSIZE) |
				   B(ETOOMANYREFS) : 0;
}

static void vfail(struct fz *f, const char *fmt, va_list ap)
{
	int i = __atomic_fetch_add(&SH->nmsg, 1, __ATOMIC_RELAXED);
	char buf[MSGLEN], out[MSGLEN + 32];
	int n;

	__atomic_fetch_add(&SH->failures, 1, __ATOMIC_RELAXED);
	if (i >= NMSG)
		return;
	n = snprintf(buf, sizeof(buf), "worker %d thread %d%s gen %d: ",
		     f ? f->w : -1, f ? f->t : -1, f && f->child ? " (child)" : "",
		     f ? f->gen : -1);
	vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	memcpy(SH->msg[i], buf, MSGLEN);
	/* A raw write: a child of a threaded process must not lock stdio. */
	n = snprintf(out, sizeof(out), "# fuzz: FAIL %s\n", buf);
	if (write(1, out, n < (int)sizeof(out) ? n : (int)sizeof(out) - 1) < 0)
		return;
}

static void __attribute__((format(printf, 2, 3))) fail(struct fz *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(f, fmt, ap);
	va_end(ap);
}

static void count(int op, int err)
{
	__atomic_fetch_add(&SH->hist[op][err < NERR - 1 ? err : NERR - 1], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&SH->calls, 1, __ATOMIC_RELAXED);
}

static bool stopping(void)
{
	return __atomic_load_n(&SH->stop, __ATOMIC_ACQUIRE);
}

/* ---- printing a call in the corpus format ---- */

static void __attribute__((format(printf, 4, 5)))
app(char *b, size_t n, size_t *o, const char *fmt, ...)
{
	va_list ap;

	if (*o >= n)
		return;
	va_start(ap, fmt);
	*o += vsnprintf(b + *o, n - *o, fmt, ap);
	va_end(ap);
}

static void fmt_call(const struct fcall *k, char *b, size_t n)
{
	int op = cmd_op(k->cmd);
	const union arg *a = &k->a;
	size_t o = 0;

	if (op < OP_BADCMD && (unsigned int)k->cmd == k->cmd)
		app(b, n, &o, "ioctl %s", op_name[op]);
	else
		app(b, n, &o, "ioctl %#lx", k->cmd);
	if (k->target == T_UNMAPPED)
		app(b, n, &o, " target=c2");
	else if (k->target == T_FD)
		app(b, n, &o, " target=%d%s", k->tfd, k->self ? " self=1" : "");
	if (is_area(op))
		app(b, n, &o, " tag=%#llx ep=%d flags=%#x st=%#llx rt=%#llx res=%#llx arg=%#lx",
		    (unsigned long long)k->tag, k->area.ep, k->area.flags,
		    (unsigned long long)k->area.send_timeout,
		    (unsigned long long)k->area.recv_timeout,
		    (unsigned long long)k->area.__reserved, k->marg);
	else
		app(b, n, &o, " ptr=%s:%d", ptr_name[k->ptr], k->off);
	if (is_ipc(op))
		app(b, n, &o, " tag=%#llx fd=%d flags=%#x st=%#llx rt=%#llx r0=%#llx r1=%#llx",
		    (unsigned long long)k->tag, a->ipc.fd, a->ipc.flags,
		    (unsigned long long)a->ipc.send_timeout,
		    (unsigned long long)a->ipc.recv_timeout,
		    (unsigned long long)a->ipc.__reserved[0],
		    (unsigned long long)a->ipc.__reserved[1]);
	else if (op == OP_CREATE)
		app(b, n, &o, " flags=%#x pad=%#x r0=%#llx r1=%#llx r2=%#llx",
		    a->cr.flags, a->cr.__pad, (unsigned long long)a->cr.__reserved[0],
		    (unsigned long long)a->cr.__reserved[1],
		    (unsigned long long)a->cr.__reserved[2]);
	else if (op == OP_MINT)
		app(b, n, &o, " fd=%d rights=%#x badge=%#llx flags=%#x pad=%#x r0=%#llx r1=%#llx",
		    a->mint.fd, a->mint.rights, (unsigned long long)a->mint.badge,
		    a->mint.flags, a->mint.__pad, (unsigned long long)a->mint.__reserved[0],
		    (unsigned long long)a->mint.__reserved[1]);
	else if (op == OP_PUBLISH || op == OP_UNPUBLISH)
		app(b, n, &o, " fd=%d flags=%#x mode=%#o pad=%#x badge=%#llx name=%.8s%s r0=%#llx r1=%#llx",
		    a->pub.fd, a->pub.flags, a->pub.mode, a->pub.__pad,
		    (unsigned long long)a->pub.badge, a->pub.name,
		    name_ok(a->pub.name) ? "" : "(bad)",
		    (unsigned long long)a->pub.__reserved[0],
		    (unsigned long long)a->pub.__reserved[1]);
	else if (op == OP_LOOKUP)
		app(b, n, &o, " name=%.8s%s flags=%#x pad=%#x r=%#llx/%#llx/%#llx",
		    a->look.name, name_ok(a->look.name) ? "" : "(bad)", a->look.flags,
		    a->look.__pad, (unsigned long long)a->look.__reserved[0],
		    (unsigned long long)a->look.__reserved[1],
		    (unsigned long long)a->look.__reserved[2]);
	else if (op == OP_CALLER)
		app(b, n, &o, " flags=%#x r=%#llx/%#llx/%#llx", a->caller.flags,
		    (unsigned long long)a->caller.__reserved[0],
		    (unsigned long long)a->caller.__reserved[1],
		    (unsigned long long)a->caller.__reserved[2]);
	else if (op == OP_REGISTER)
		app(b, n, &o, " fd=%d slot=%u flags=%#x pad=%#x r0=%#llx r1=%#llx",
		    a->reg.fd, a->reg.slot, a->reg.flags, a->reg.__pad,
		    (unsigned long long)a->reg.__reserved[0],
		    (unsigned long long)a->reg.__reserved[1]);
	if (k->h.known && k->h.rights >= 0)
		app(b, n, &o, " (handle: endpoint %d kind %d rights %#x)",
		    k->h.e, k->h.kind, k->h.rights);
}

static void fail_call(struct fz *f, const struct fcall *k, const char *what, int err)
{
	char b[320];

	fmt_call(k, b, sizeof(b));
	fail(f, "%s: %s -> %s", what, b, ename(err));
}

/* ---- the argument and where it goes ---- */

static size_t arg_size(unsigned long cmd)
{
	int op = cmd_op(cmd);
	size_t sz;

	if (op == OP_VERSION)
		return sizeof(struct kipc_version);
	if (op == OP_CREATE)
		return sizeof(struct kipc_ep_create);
	if (op == OP_PUBLISH || op == OP_UNPUBLISH)
		return sizeof(struct kipc_publish);
	if (op == OP_LOOKUP)
		return sizeof(struct kipc_lookup);
	if (op == OP_CALLER)
		return sizeof(struct kipc_caller);
	if (op == OP_REGISTER)
		return sizeof(struct kipc_register);
	if (is_area(op))
		return 0;	/* no argument struct: see place() */
	if (op != OP_BADCMD)
		return sizeof(struct kipc_ipc);
	sz = _IOC_SIZE(cmd);
	return sz < 8 ? 8 : sz > 64 ? 64 : sz;
}

/*
 * Put the argument where k->ptr says and return the pointer for the
 * ioctl; *w is where we can read it back (NULL: nowhere).
 */
static void *place(struct fz *f, struct fcall *k, size_t sz, char **w)
{
	char *A = f->arena, *p = NULL;
	uintptr_t bad = 0;

	*w = NULL;
	if (k->ptr == P_UTCB && !f->c[0].u)
		k->ptr = P_GOOD;
	switch (k->ptr) {
	case P_GOOD:
		p = A + 256;
		break;
	case P_MISALIGNED:
		p = A + 1024 + k->off;
		break;
	case P_END:
		p = A + 2 * PAGE - sz;
		break;
	case P_RO:
		memcpy(f->ro_w + 128, &k->a, sz);
		return f->ro + 128;
	case P_UTCB:
		p = (char *)f->c[0].u + 1024 + 8 * k->off;
		break;
	case P_FLIP:
		*w = f->flip_w + 512 * f->t + (f->child ? 256 : 0);
		memcpy(*w, &k->a, sz);
		return f->flip + (*w - f->flip_w);
	case P_NULL:
		return NULL;
	case P_LOW:
		bad = k->off;
		break;
	case P_HOLE:
		bad = (uintptr_t)A + 2 * PAGE + k->off;
		break;
	case P_NONE:
		bad = (uintptr_t)A + 3 * PAGE + k->off;
		break;
	case P_STRADDLE:
		/* k->off bytes past the end of the mapping, into the hole. */
		p = A + 2 * PAGE - sz + k->off;
		memcpy(p, &k->a, sz - k->off);
		return p;
	case P_STRADDLE_NONE:
		p = A + 5 * PAGE - sz + k->off;
		memcpy(p, &k->a, sz - k->off);
		return p;
	case P_KERNEL:
		bad = (k->off & 1 ? 0xffff888000000000UL : 0xffffffff81000000UL) +
		      ((uintptr_t)k->off << 4);
		break;
	case P_NONCANON:
		bad = 0x8000000000000000UL + ((uintptr_t)k->off << 12);
		break;
	case P_TOP:
		bad = k->off & 1 ? ~0UL - (k->off >> 1) : user_end() - sz / 2;
		break;
	}
	if (!p)
		return (void *)bad;
	memcpy(p, &k->a, sz);
	if (k->ptr != P_END)
		memset(p + sz, 0xc3, 8);	/* the canary behind it */
	*w = p;
	return p;
}

static int pick_ptr(struct fz *f, struct fcall *k, size_t sz)
{
	static const int weights[NPTR] = { 80, 5, 3, 3, 2, 2, 1, 1, 1, 1, 3, 1, 1, 1, 1 };
	int total = 0, r;

	for (int i = 0; i < NPTR; i++)
		total += weights[i];
	r = rn(f, total);
	for (k->ptr = 0; r >= weights[k->ptr]; k->ptr++)
		r -= weights[k->ptr];
	switch (k->ptr) {
	case P_MISALIGNED:
		k->off = 1 + rn(f, 7);
		break;
	case P_UTCB:
		k->off = rn(f, (PAGE - 1024 - sz - 8) / 8);
		break;
	case P_LOW:
		k->off = rn(f, 65536);
		break;
	case P_HOLE:
	case P_NONE:
		k->off = rn(f, PAGE - 64);
		break;
	case P_STRADDLE:
	case P_STRADDLE_NONE:
		k->off = 1 + rn(f, sz - 1);
		break;
	case P_KERNEL:
	case P_NONCANON:
	case P_TOP:
		k->off = rn(f, 4096);
		break;
	default:
		k->off = 0;
	}
	return k->ptr;
}

/* ---- choosing handles, timeouts, tags ---- */

static uint64_t pick_timeout(struct fz *f, bool unbounded_ok)
{
	static const uint64_t tiny[] = { 1, 2, 100, 1000, 20000, 100000 };
	static const uint64_t big[] = {
		KIPC_TIMEOUT_INFINITE - 1, 1ULL << 63, 0x7fffffffffffffffULL,
		KIPC_TIMEOUT_INFINITE - 1000000,
	};
	unsigned int r = rn(f, 32);

	if (r < 10)
		return KIPC_TIMEOUT_POLL;
	if (r < 16)
		return tiny[rn(f, ARRAY_SIZE(tiny))];
	if (r < 27 || f->child)
		return 100000 + rn(f, 2000000);
	if (r < 28)
		return (10 + rn(f, 90)) * MS;
	if (r < 30)
		return big[rn(f, ARRAY_SIZE(big))];
	return unbounded_ok ? KIPC_TIMEOUT_INFINITE : KIPC_TIMEOUT_INFINITE - 1;
}

static int special_fd(struct fz *f, struct hinfo *h)
{
	const int fds[] = {
		-1, -2, INT_MIN, INT_MAX, 1 << 20, f->c[0].fd, f->c[1].fd,
		PRIV_PIPE0, PRIV_PIPE1, PRIV_NULL, PRIV_EVENT, PRIV_CTX, 0,
	};

	*h = (struct hinfo){ .known = true, .rights = -1, .e = -1, .kind = -1 };
	return fds[rn(f, ARRAY_SIZE(fds))];
}

/*
 * A handle for an operation that needs @right: often a private handle of
 * a controller endpoint (stable, known), else a pool slot (anything,
 * possibly closed or replaced right now) or a wrong fd.
 */
static int pick_fd(struct fz *f, unsigned int right, bool private_ok, struct hinfo *h)
{
	unsigned int r = rn(f, 100);
	int e, kind;

	if (private_ok && r < 55) {
		e = rn(f, NE);
		kind = rn(f, NKIND);
		if (right == KIPC_RIGHT_SEND && rn(f, 10) < 7)
			kind = send_kinds[rn(f, 3)];
		else if (right && rn(f, 10) < 7)
			kind = rn(f, 2) ? K_RECV : K_FULL;
		if (e == DEAD && (kind_rights[kind] & KIPC_RIGHT_RECV))
			kind = K_SEND;
		*h = (struct hinfo){ true, kind_rights[kind], kind_badge(e, kind), e, kind };
		return PRIV(e, kind);
	}
	if (r < 90) {
		*h = (struct hinfo){ .known = false, .rights = 0, .e = -1, .kind = -1 };
		return POOL(rn(f, NPOOL));
	}
	return special_fd(f, h);
}

static uint64_t new_label(struct fz *f, const struct hinfo *h)
{
	uint64_t code = h->kind == K_FULL ? 0 : h->kind == K_SEND ? 1 : 2;	/* send_kinds[] */

	return VERIFY | (uint64_t)f->slot << 39 | code << 37 | (uint64_t)h->e << 36 |
	       ((uint64_t)(f->gen & 0xfff) << 24) | (f->cnt++ & 0xffffff);
}

static unsigned int pick_nr(struct fz *f)
{
	switch (rn(f, 8)) {
	case 0:
		return 0;
	case 1:
		return KIPC_MSG_REGS;
	case 2:
		return 1;
	default:
		return rn(f, KIPC_MSG_REGS + 1);
	}
}

/* Mutate a tag now and then; a changed label is no longer checked. */
static uint64_t mutate_tag(struct fz *f, uint64_t tag, bool *verify)
{
	if (!one_in(f, 10))
		return tag;
	switch (rn(f, 5)) {
	case 0:	/* too many registers */
		return (tag & ~KIPC_TAG_NR_MASK) | (65 + rn(f, 63));
	case 1:	/* a kernel flag bit */
		return tag | 1ULL << (8 + rn(f, 8));
	case 2:	/* the call flag: ignored */
		return tag | KIPC_TAG_F_CALL;
	case 3:
		*verify = false;
		return KIPC_TAG(rnd(f) & (KIPC_TAG_LABEL_MAX & ~VERIFY), KIPC_TAG_NR(tag));
	default:
		*verify = false;
		return rnd(f) & ~(VERIFY << KIPC_TAG_LABEL_SHIFT);
	}
}

/*
 * The notification, cancel and io_uring paths (ABI 1.1) have their own
 * oracle (fuzz.notify below); the random calls of the 1.0 oracle stay off
 * their numbers.
 */
static bool new_cmd(unsigned long cmd)
{
	switch ((unsigned int)cmd) {
	case KIPC_IOC_NTFN_CREATE:
	case KIPC_IOC_NTFN_SIGNAL:
	case KIPC_IOC_NTFN_WAIT:
	case KIPC_IOC_NTFN_BIND:
	case KIPC_IOC_CANCEL:
	case KIPC_IOC_MSEND_RECV:	/* fuzz.slots fuzzes it */
	/* ABI 1.5: fuzz_bulk.c has their oracle */
	case KIPC_IOC_WIN_RBUF:
	case KIPC_IOC_WIN_READ:
	case KIPC_IOC_WIN_WRITE:
	case KIPC_IOC_REGION_CREATE:
		return true;
	}
	return false;
}

static unsigned long mutate_cmd1(struct fz *f, unsigned long cmd);

static unsigned long mutate_cmd(struct fz *f, unsigned long cmd)
{
	unsigned long m;

	do
		m = mutate_cmd1(f, cmd);
	while (new_cmd(m));
	return m;
}

static unsigned long mutate_cmd1(struct fz *f, unsigned long cmd)
{
	static const unsigned int sizes[] = { 0, 8, 16, 24, 32, 40, 48, 56, 64, 4096, 16383 };
	static const int magics[] = { KIPC_IOC_MAGIC - 1, KIPC_IOC_MAGIC + 1, 0, 'k' };

	switch (rn(f, 7)) {
	case 0:
		return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd),
			    sizes[rn(f, ARRAY_SIZE(sizes))]);
	case 1:
		return _IOC(rn(f, 4), _IOC_TYPE(cmd), _IOC_NR(cmd), _IOC_SIZE(cmd));
	case 2:
		return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), rn(f, 0x20), _IOC_SIZE(cmd));
	case 3:
		return _IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), rn(f, 256), _IOC_SIZE(cmd));
	case 4:
		return _IOC(_IOC_DIR(cmd), magics[rn(f, 4)], _IOC_NR(cmd), _IOC_SIZE(cmd));
	case 5:	/* the syscall takes an unsigned int: high bits are dropped */
		return cmd | (rnd(f) << 32);
	default:
		return (unsigned int)rnd(f);
	}
}

/*
 * Write a message whose registers derive from its label, and a garbage
 * descriptor array: -1..46, the fuzzer's own descriptors of every kind.
 */
static void write_msg(struct kipc_utcb *u, uint64_t tag)
{
	unsigned int n = KIPC_TAG_NR(tag);

	u->tag = tag;
	/* No window is valid: a window count in a tag stays EINVAL (tag_ok()). */
	memset(u->win, 0, sizeof(u->win));
	for (unsigned int i = 0; i < n && i < KIPC_MSG_REGS; i++)
		u->mr[i] = val(KIPC_TAG_LABEL(tag), i);
	for (unsigned int i = 0; i < KIPC_TAG_FDS(tag) && i < KIPC_MSG_FDS; i++)
		u->fds[i] = (int)(val(KIPC_TAG_LABEL(tag), 64 + i) % 48) - 1;
}

/* A slot of @c for an operation that needs @right: mostly one that has it. */
static int pick_slot(struct fz *f, const struct ctxm *c, unsigned int right)
{
	int cand[KIPC_SLOTS], n = 0;

	for (int i = 0; i < KIPC_SLOTS; i++)
		if (!c->slots[i].known || (c->slots[i].rights > 0 && (c->slots[i].rights & right)))
			cand[n++] = i;
	if (n && !one_in(f, 4))
		return cand[rn(f, n)];
	return rn(f, KIPC_SLOTS);
}

/* Slot numbers KIPC_ARGS_SLOT refuses (EINVAL). */
static const int bad_slots[] = { KIPC_SLOTS, KIPC_SLOTS + 1, 255, -1, -2, INT_MIN, INT_MAX };

/*
 * Where an area operation names its endpoint: a registered slot (mostly),
 * a descriptor, or something in between: a descriptor's number as a slot,
 * a slot out of range, a slot's number as a descriptor.
 */
static void gen_area_ep(struct fz *f, struct fcall *k, int bop, unsigned int right)
{
	const struct ctxm *c = &f->c[0];
	struct kipc_area_args *u = &k->area;
	int s;

	u->ep = k->a.ipc.fd;
	u->flags = 0;
	if (bop == OP_REPLY) {
		/* It takes none (-1, flags 0); a slot is EINVAL. */
		if (one_in(f, 10)) {
			u->ep = rn(f, KIPC_SLOTS);
			u->flags = KIPC_ARGS_SLOT;
		}
		return;
	}
	if (!one_in(f, 4)) {
		s = pick_slot(f, c, right);
		u->ep = s;
		u->flags = KIPC_ARGS_SLOT;
		k->h = c->slots[s];
	}
	switch (rn(f, 32)) {
	case 0:		/* a descriptor's number as a slot: mostly out of range */
		u->ep = k->a.ipc.fd;
		u->flags = KIPC_ARGS_SLOT;
		k->h = (__u32)u->ep < KIPC_SLOTS ? c->slots[u->ep] : H_NONE;
		break;
	case 1:
		u->ep = bad_slots[rn(f, ARRAY_SIZE(bad_slots))];
		u->flags = KIPC_ARGS_SLOT;
		k->h = H_NONE;
		break;
	case 2:
		/*
		 * A slot's number as a descriptor: one of the thread's low fds,
		 * or a handle another thread has just made.  Not for a receive:
		 * that handle could be a checked endpoint's receive right.
		 */
		if (right == KIPC_RIGHT_SEND) {
			u->ep = rn(f, KIPC_SLOTS);
			k->h = H_UNKNOWN;
		}
		break;
	}
}

/*
 * An IPC operation: ABI 1.0 (struct kipc_ipc) or, for the area
 * operations, its arguments for the message area (k->area, k->marg) and
 * the same as ABI 1.0 in k->a.ipc for the oracle.
 */
static void gen_ipc(struct fz *f, struct fcall *k, int op, bool serve)
{
	static const unsigned long bad_margs[] = {
		1, 2, 0x1000, 0x7fffffff, ~0UL, 1UL << 63, 0xffffffff81000000UL,
	};
	struct kipc_ipc *a = &k->a.ipc;
	struct ctxm *c = k->target == T_OWN ? &f->c[0] : &f->c[1];
	int bop = base_op(op);
	unsigned int right = bop == OP_SEND || bop == OP_CALL ? KIPC_RIGHT_SEND : KIPC_RIGHT_RECV;
	bool own = k->target == T_OWN;
	bool area = is_area(op) && own;
	bool unbounded;
	uint64_t label;

	a->fd = bop == OP_REPLY ? -1 : pick_fd(f, right, own && !f->child, &k->h);
	if (bop == OP_REPLY && one_in(f, 20))
		a->fd = pick_fd(f, 0, own && !f->child, &k->h);
	if (serve) {
		/* The server serves its endpoint, often through slot 0. */
		int e = f->w % NV, kind = rn(f, 2) ? K_RECV : K_FULL;

		a->fd = PRIV(e, kind);
		k->h = (struct hinfo){ true, kind_rights[kind], 0, e, kind };
	}
	if (area) {
		gen_area_ep(f, k, bop, right);
		if (serve && c->slots[0].known && c->slots[0].e == f->w % NV &&
		    (c->slots[0].rights & KIPC_RIGHT_RECV) && !one_in(f, 3)) {
			k->area.ep = 0;
			k->area.flags = KIPC_ARGS_SLOT;
			k->h = c->slots[0];
		}
	}
	/* A wait without end must be ended by a signal or by the controller. */
	unbounded = !f->child && (!f->restart || (k->h.known && k->h.e >= 0 && k->h.e < NV));
	a->send_timeout = pick_timeout(f, unbounded);
	a->recv_timeout = bop == OP_CALL && one_in(f, 3) ? a->send_timeout :
			  pick_timeout(f, unbounded);
	/*
	 * A call is bounded by recv_timeout as a whole, even when its send
	 * phase may wait forever: that is never a wait without end.
	 */
	if (bop == OP_CALL && !f->child && one_in(f, 8)) {
		a->recv_timeout = (1 + rn(f, 100)) * MS;
		if (one_in(f, 2))
			a->send_timeout = KIPC_TIMEOUT_INFINITE;
	}
	if (area) {
		struct kipc_area_args *u = &k->area;

		u->send_timeout = a->send_timeout;
		u->recv_timeout = a->recv_timeout;
		switch (rn(f, 40)) {
		case 0:
			u->flags |= 1u << (1 + rn(f, 31));
			break;
		case 1:
			u->flags = (unsigned int)rnd(f);
			break;
		case 2:
			u->__reserved = one_in(f, 2) ? 1ULL << rn(f, 64) : rnd(f);
			break;
		case 3:
			/* The ioctl's own argument must be 0. */
			k->marg = bad_margs[rn(f, ARRAY_SIZE(bad_margs))];
			break;
		case 4:
			k->marg = (unsigned long)f->arena + 256;
			break;
		}
		/* The same operation as ABI 1.0 names it, for the oracle. */
		a->fd = u->ep;
	} else if (!is_area(op)) {
		if (one_in(f, 12))
			a->flags = one_in(f, 2) ? 1u << rn(f, 32) : (unsigned int)rnd(f);
		if (one_in(f, 16))
			a->__reserved[rn(f, 2)] = one_in(f, 2) ? 1ULL << rn(f, 64) : rnd(f);
		if (one_in(f, 20))
			a->fd = special_fd(f, &k->h);
	}

	if (bop == OP_SEND || bop == OP_CALL) {
		k->verify = own && f->slot >= 0 && k->h.known && k->h.e >= 0 &&
			    k->h.e < NV && (k->h.rights & KIPC_RIGHT_SEND);
		label = k->verify ? new_label(f, &k->h) :
			rnd(f) & KIPC_TAG_LABEL_MAX & ~VERIFY;
	} else if (c->held) {
		label = c->owed ^ RX;
	} else {
		label = rnd(f) & KIPC_TAG_LABEL_MAX & ~VERIFY;
	}
	k->tag = mutate_tag(f, KIPC_TAG(label, pick_nr(f)), &k->verify);
	if (!tag_ok(k->tag) || KIPC_TAG_FDS(k->tag))
		k->verify = false;
}

/*
 * KIPC_IOC_REGISTER: a slot in range, a private handle (known), a pool
 * fd (anything) or a wrong fd; clear; bad slots, flags, padding, reserved
 * words, clear with a descriptor.
 */
static void gen_register(struct fz *f, struct fcall *k)
{
	static const unsigned int bad[] = { KIPC_SLOTS, KIPC_SLOTS + 1, 255, 0x80000000u, ~0u };
	struct kipc_register *r = &k->a.reg;

	r->slot = rn(f, KIPC_SLOTS);
	if (one_in(f, 4)) {
		r->flags = KIPC_REGISTER_CLEAR;
		r->fd = -1;
	} else {
		r->fd = pick_fd(f, 0, !f->child, &k->h);
	}
	switch (rn(f, 24)) {
	case 0:
		r->slot = bad[rn(f, ARRAY_SIZE(bad))];
		break;
	case 1:
		r->flags |= 1u << (1 + rn(f, 31));
		break;
	case 2:
		r->__pad = 1u << rn(f, 32);
		break;
	case 3:
		r->__reserved[rn(f, 2)] = one_in(f, 2) ? 1ULL << rn(f, 64) : rnd(f);
		break;
	case 4:		/* clear takes no descriptor */
		r->flags = KIPC_REGISTER_CLEAR;
		r->fd = one_in(f, 2) ? pick_fd(f, 0, !f->child, &k->h) : 0;
		break;
	case 5:
		r->fd = special_fd(f, &k->h);
		break;
	}
}

static void gen_mint(struct fz *f, struct fcall *k)
{
	struct kipc_ep_mint *m = &k->a.mint;
	static const uint64_t badges[] = { 0, 1, ~0ULL, 1ULL << 63, 0xb000000000000000ULL };

	m->fd = pick_fd(f, 0, !f->child, &k->h);
	if (k->h.known && k->h.rights > 0 && !one_in(f, 6))
		m->rights = k->h.rights & (1 + rn(f, 7));
	else
		m->rights = 1 + rn(f, 7);
	if (!m->rights)
		m->rights = KIPC_RIGHT_GRANT;
	m->flags = rn(f, 4) & (KIPC_FD_INHERIT | KIPC_MINT_BADGE);
	if (m->flags & KIPC_MINT_BADGE)
		m->badge = one_in(f, 2) ? rnd(f) : badges[rn(f, ARRAY_SIZE(badges))];
	switch (rn(f, 24)) {
	case 0:
		m->flags |= 1u << rn(f, 32);
		break;
	case 1:
		m->__pad = 1u << rn(f, 32);
		break;
	case 2:
		m->__reserved[rn(f, 2)] = 1ULL << rn(f, 64);
		break;
	case 3:
		m->rights = one_in(f, 2) ? 0 : m->rights | 1u << (3 + rn(f, 29));
		break;
	case 4:
		m->badge = 1 + rnd(f) % 1000;
		break;
	}
}

/*
 * A name: mostly one of a few valid ones (so publishes collide, lookups
 * find them), sometimes malformed in one of the ways the module refuses.
 */
static void gen_name(struct fz *f, char *name)
{
	memset(name, 0, KIPC_NAME_MAX);
	snprintf(name, KIPC_NAME_MAX, "fz.%u", rn(f, 6));
	switch (rn(f, 16)) {
	case 0:
		name[0] = 0;				/* empty */
		break;
	case 1:
		memset(name, 'n', KIPC_NAME_MAX);	/* no NUL */
		break;
	case 2:
		name[KIPC_NAME_MAX - 1] = 'x';		/* garbage after the NUL */
		break;
	case 3:
		name[1] = " \t\x7f\x80"[rn(f, 4)];	/* a bad character */
		break;
	case 4:
		memset(name, 'l', KIPC_NAME_MAX - 1);	/* the longest */
		break;
	}
}

static void gen_publish(struct fz *f, struct fcall *k, int op)
{
	struct kipc_publish *p = &k->a.pub;

	p->fd = pick_fd(f, KIPC_RIGHT_RECV, !f->child, &k->h);
	gen_name(f, p->name);
	if (op == OP_PUBLISH) {
		p->flags = rn(f, 4);
		p->mode = rn(f, 01000);
		if (p->flags & KIPC_PUBLISH_BADGE)
			p->badge = rnd(f);
	}
	switch (rn(f, 16)) {
	case 0:
		p->flags |= 1u << rn(f, 32);
		break;
	case 1:
		p->mode |= 1u << rn(f, 32);
		break;
	case 2:
		p->__pad = 1u << rn(f, 32);
		break;
	case 3:
		p->__reserved[rn(f, 2)] = 1ULL << rn(f, 64);
		break;
	case 4:
		p->badge = rnd(f) | 1;
		break;
	}
}

static void gen_lookup(struct fz *f, struct fcall *k)
{
	struct kipc_lookup *l = &k->a.look;

	gen_name(f, l->name);
	l->flags = rn(f, 2) ? KIPC_FD_INHERIT : 0;
	switch (rn(f, 16)) {
	case 0:
		l->flags |= 1u << rn(f, 32);
		break;
	case 1:
		l->__pad = 1u << rn(f, 32);
		break;
	case 2:
		l->__reserved[rn(f, 3)] = 1ULL << rn(f, 64);
		break;
	}
}

static void gen_caller(struct fz *f, struct fcall *k)
{
	struct kipc_caller *c = &k->a.caller;

	c->pid = (int)rnd(f);		/* out only: ignored */
	switch (rn(f, 8)) {
	case 0:
		c->flags = 1u << rn(f, 32);
		break;
	case 1:
		c->__reserved[rn(f, 3)] = 1ULL << rn(f, 64);
		break;
	}
}

static void gen_call(struct fz *f, struct fcall *k)
{
	static const int weights[OP_BADCMD] = {
		3, 6, 12, 15, 14, 18, 8, 14, 3, 3, 2, 3,	/* ABI 1.0, 1.1 */
		6, 8, 7, 10, 4, 8,				/* ABI 1.2 */
	};
	static const int server_ops[] = {
		OP_REPLY_RECV, OP_REPLY_RECV, OP_REPLY_RECV, OP_RECV, OP_REPLY, OP_CALL,
		OP_MREPLY_RECV, OP_MREPLY_RECV, OP_MREPLY_RECV, OP_MRECV, OP_MREPLY,
	};
	const int targets[] = {
		-1, INT_MAX, 1 << 20, 0, PRIV_PIPE0, PRIV_PIPE1, PRIV_NULL, PRIV_EVENT,
		PRIV_CTX, PRIV(rn(f, NE), rn(f, NKIND)),
	};
	int op, r, total = 0;
	bool serve;

	memset(k, 0, sizeof(*k));
	k->h = (struct hinfo){ .known = true, .rights = -1, .e = -1, .kind = -1 };
	for (int i = 0; i < OP_BADCMD; i++)
		total += weights[i];
	r = rn(f, total);
	for (op = 0; r >= weights[op]; op++)
		r -= weights[op];
	if (f->server && rn(f, 10) < 8)
		op = server_ops[rn(f, ARRAY_SIZE(server_ops))];
	k->cmd = op_cmd[op];
	if (one_in(f, 16))
		k->cmd = mutate_cmd(f, k->cmd);
	/* A mutated number may name another command: build its argument. */
	if (cmd_op(k->cmd) != OP_BADCMD)
		op = cmd_op(k->cmd);

	r = rn(f, 100);
	k->target = r < 88 ? T_OWN : r < 93 ? T_UNMAPPED : T_FD;
	if (k->target == T_UNMAPPED && (op == OP_RECV || op == OP_REPLY_RECV))
		k->target = T_OWN;
	/* Never an own context: its model and its area must stay exact. */
	if (k->target == T_FD)
		k->tfd = one_in(f, 4) ? targets[rn(f, ARRAY_SIZE(targets))] : POOL(rn(f, NPOOL));

	switch (op) {
	case OP_VERSION:
		memset(&k->a, 0xa5, sizeof(k->a));
		break;
	case OP_CREATE:
		k->a.cr.flags = one_in(f, 2) ? KIPC_FD_INHERIT : 0;
		if (one_in(f, 4))
			k->a.cr.flags |= (KIPC_EP_NO_INHERIT | KIPC_EP_FLOOR |
					  KIPC_EP_ACCOUNT) & rnd(f);
		/* A floor: mostly sensible, sometimes out of range. */
		if (one_in(f, 4)) {
			k->a.cr.floor_policy = rn(f, 8);
			k->a.cr.floor_priority = (int)rn(f, 140) - 25;
		}
		if (one_in(f, 10))
			k->a.cr.flags |= 1u << rn(f, 32);
		if (one_in(f, 20))
			k->a.cr.__pad = 1u << rn(f, 32);
		if (one_in(f, 20))
			k->a.cr.__reserved[rn(f, 3)] = rnd(f) | 1;
		break;
	case OP_MINT:
		gen_mint(f, k);
		break;
	case OP_PUBLISH:
	case OP_UNPUBLISH:
		gen_publish(f, k, op);
		break;
	case OP_LOOKUP:
		gen_lookup(f, k);
		break;
	case OP_CALLER:
		gen_caller(f, k);
		break;
	case OP_REGISTER:
		gen_register(f, k);
		break;
	default:
		serve = f->server && (base_op(op) == OP_RECV || base_op(op) == OP_REPLY_RECV) &&
			k->target == T_OWN && rn(f, 10) < 8;
		gen_ipc(f, k, op, serve);
	}
	/*
	 * ABI 1.6: now and then on the handle's own descriptor, the field
	 * that named it KIPC_FD_SELF.
	 */
	if ((op == OP_MINT || op == OP_PUBLISH || op == OP_UNPUBLISH) && one_in(f, 6)) {
		int *fd = op == OP_MINT ? &k->a.mint.fd : &k->a.pub.fd;

		k->target = T_FD;
		k->tfd = *fd;
		*fd = KIPC_FD_SELF;
		k->self = true;
	}
	if (is_area(op))
		k->ptr = P_GOOD;	/* no argument: k->marg */
	else
		pick_ptr(f, k, arg_size(k->cmd));
}

/* ---- the oracle ---- */

static uint64_t wait_mask(struct fz *f, uint64_t to)
{
	if (to == KIPC_TIMEOUT_POLL)
		return B(EAGAIN);
	if (to == KIPC_TIMEOUT_INFINITE)
		return f->restart ? 0 : B(EINTR);
	return B(ETIMEDOUT) | B(EINTR);
}

/*
 * The handle's part of the answer, exact where the handle is known (the
 * controller's endpoints never lose their last handle: no EPIPE); *stop
 * when the handle alone decides it.
 */
static uint64_t handle_mask(const struct hinfo *h, unsigned int right, bool *stop)
{
	*stop = h->known && (h->rights < 0 || !(h->rights & right));
	if (!h->known)
		return B(EBADF) | B(EPERM) | B(EPIPE);
	if (h->rights < 0)
		return B(EBADF);
	return h->rights & right ? 0 : B(EPERM);
}

/* Results the README allows for @k; exact where the call is deterministic. */
static uint64_t expect(struct fz *f, const struct fcall *k)
{
	int op = cmd_op(k->cmd);
	const struct kipc_ipc *a = &k->a.ipc;
	const struct kipc_ep_mint *m = &k->a.mint;
	const struct kipc_ep_create *cr = &k->a.cr;
	const struct ctxm *c = k->target == T_OWN ? &f->c[0] :
			       k->target == T_UNMAPPED ? &f->c[1] : NULL;
	uint64_t pre = 0, hm, to;
	bool held = c ? c->held : false, stop;
	bool tagok = k->target == T_OWN ? tag_ok(k->tag) : true;
	bool own_fd = k->self && (op == OP_MINT || op == OP_PUBLISH || op == OP_UNPUBLISH);

	/*
	 * Any fd: not a context, another process's, one in use by a thread.
	 * On a private handle's own descriptor (ABI 1.6) the handle alone
	 * decides, as its field would on a context; on any other the
	 * descriptor may be no handle (ENOTTY), a closed one, a context.
	 */
	if (own_fd)
		pre = k->h.known && k->h.rights >= 0 ? 0 :
		      M_FDERR | B(EINVAL) | B(0) | B(EMFILE) | B(ENOMEM) | B(ENOENT) |
		      B(EEXIST) | B(EPIPE) | B(ENOSPC);
	else if (!c)
		pre = M_FDERR;
	/* ... a handle: its own numbers refuse a field that is not KIPC_FD_SELF. */
	if (!c && !own_fd && (op == OP_MINT || op == OP_PUBLISH || op == OP_UNPUBLISH))
		pre |= B(EINVAL);
	if (op == OP_BADCMD)
		return pre | B(ENOTTY);
	if (is_area(op)) {
		const struct kipc_area_args *u = &k->area;

		/* The ioctl's argument and the area's words, before anything. */
		if (k->marg || (u->flags & ~KIPC_ARGS_SLOT) || u->__reserved ||
		    ((u->flags & KIPC_ARGS_SLOT) && (__u32)u->ep >= KIPC_SLOTS))
			return pre | B(EINVAL);
		if (op == OP_MREPLY && (u->ep != -1 || (u->flags & KIPC_ARGS_SLOT)))
			return pre | B(EINVAL);
		/* Someone else's area (the fd's; never written: zeros, a poll). */
		if (!c)
			return pre | B(0) | B(EINVAL) | B(EBADF) | B(EPERM) | B(EPIPE) |
			       B(EAGAIN) | B(ENOENT) | B(ECONNRESET);
		/* Then exactly what the same operation says in ABI 1.0. */
		op = base_op(op);
	} else if (ptr_bad(k->ptr)) {
		return pre | B(EFAULT);
	}
	if (k->ptr == P_FLIP)
		pre |= B(EFAULT);
	if (op == OP_REGISTER) {
		const struct kipc_register *r = &k->a.reg;

		if ((r->flags & ~KIPC_REGISTER_CLEAR) || r->__pad || r->__reserved[0] ||
		    r->__reserved[1] || r->slot >= KIPC_SLOTS ||
		    ((r->flags & KIPC_REGISTER_CLEAR) && r->fd != -1))
			return pre | B(EINVAL);
		/* An own context runs nothing while its thread registers. */
		if (r->flags & KIPC_REGISTER_CLEAR)
			return pre | B(0);
		if (!k->h.known)
			return pre | B(0) | B(EBADF);
		return pre | (k->h.rights < 0 ? B(EBADF) : B(0));
	}
	if (op == OP_VERSION)
		return pre | (k->ptr == P_RO ? B(EFAULT) : B(0));
	if (op == OP_CREATE) {
		int fp = cr->floor_priority;

		if ((cr->flags & ~(KIPC_FD_INHERIT | KIPC_EP_NO_INHERIT |
				   KIPC_EP_FLOOR | KIPC_EP_ACCOUNT)) || cr->__pad ||
		    (!(cr->flags & KIPC_EP_FLOOR) && cr->__reserved[0]) ||
		    cr->__reserved[1] || cr->__reserved[2])
			return pre | B(EINVAL);
		if (cr->flags & KIPC_EP_FLOOR) {
			switch (cr->floor_policy) {
			case SCHED_FIFO:
			case SCHED_RR:
				if (fp < 1 || fp > 99)
					return pre | B(EINVAL);
				/* A floor its creator could not take itself. */
				return pre | B(0) | B(EPERM) | B(EMFILE) | B(ENOMEM);
			case SCHED_OTHER:
			case SCHED_BATCH:
				if (fp < -20 || fp > 19)
					return pre | B(EINVAL);
				return pre | B(0) | B(EPERM) | B(EMFILE) | B(ENOMEM);
			default:
				return pre | B(EINVAL);
			}
		}
		return pre | B(0) | B(EMFILE) | B(ENOMEM);
	}
	if (op == OP_MINT) {
		if ((m->flags & ~(KIPC_FD_INHERIT | KIPC_MINT_BADGE)) || m->__pad ||
		    m->__reserved[0] || m->__reserved[1] || !m->rights ||
		    (m->rights & ~KIPC_RIGHTS_ALL) ||
		    (!(m->flags & KIPC_MINT_BADGE) && m->badge) ||
		    (own_fd && m->fd != KIPC_FD_SELF))
			return pre | B(EINVAL);
		if (!k->h.known || (!own_fd && !c && m->fd == KIPC_FD_SELF))
			return pre | B(0) | B(EBADF) | B(EPERM) | B(EMFILE) | B(ENOMEM);
		if (k->h.rights < 0)
			return pre | B(EBADF);
		if ((m->rights & ~k->h.rights) ||
		    ((m->flags & KIPC_MINT_BADGE) && !(k->h.rights & KIPC_RIGHT_RECV)))
			return pre | B(EPERM);
		return pre | B(0) | B(EMFILE) | B(ENOMEM);
	}
	if (op == OP_PUBLISH || op == OP_UNPUBLISH) {
		const struct kipc_publish *pb = &k->a.pub;
		bool bad = op == OP_PUBLISH ?
			   (pb->flags & ~(KIPC_PUBLISH_BADGE | KIPC_PUBLISH_GRANT)) ||
			   (pb->mode & ~0777U) ||
			   (!(pb->flags & KIPC_PUBLISH_BADGE) && pb->badge) :
			   pb->flags || pb->mode || pb->badge;

		if (bad || pb->__pad || pb->__reserved[0] || pb->__reserved[1] ||
		    !name_ok(pb->name) || (own_fd && pb->fd != KIPC_FD_SELF))
			return pre | B(EINVAL);
		/* A target fd from the pool may be a handle: KIPC_FD_SELF names it. */
		if (!own_fd && !c && pb->fd == KIPC_FD_SELF) {
			hm = B(EBADF) | B(EPERM) | B(EPIPE);
			stop = false;
		} else {
			hm = handle_mask(&k->h, KIPC_RIGHT_RECV, &stop);
		}
		if (stop)
			return pre | hm;
		if (op == OP_PUBLISH)
			return pre | hm | B(0) | B(EEXIST) | B(EPIPE) | B(ENOSPC) |
			       B(ENOMEM);
		/* Published through another endpoint: EPERM. */
		return pre | hm | B(0) | B(ENOENT) | B(EPERM);
	}
	if (op == OP_LOOKUP) {
		const struct kipc_lookup *l = &k->a.look;

		if ((l->flags & ~KIPC_FD_INHERIT) || l->__pad || l->__reserved[0] ||
		    l->__reserved[1] || l->__reserved[2] || !name_ok(l->name))
			return pre | B(EINVAL);
		/* Root: CAP_IPC_OWNER, never EACCES. */
		return pre | B(0) | B(ENOENT) | B(EMFILE) | B(ENOMEM);
	}
	if (op == OP_CALLER) {
		const struct kipc_caller *cl = &k->a.caller;

		if (cl->flags || cl->__reserved[0] || cl->__reserved[1] ||
		    cl->__reserved[2])
			return pre | B(EINVAL);
		if (c && !held)
			return pre | B(ENOENT);
		/* The caller may have gone; the result is written back. */
		return pre | B(0) | B(ECONNRESET) | B(ENOENT) |
		       (k->ptr == P_RO ? B(EFAULT) : 0);
	}
	if (a->flags || a->__reserved[0] || a->__reserved[1])
		return pre | B(EINVAL);

	switch (op) {
	case OP_SEND:
	case OP_CALL:
		if (!tagok)
			return pre | B(EINVAL);
		hm = handle_mask(&k->h, KIPC_RIGHT_SEND, &stop);
		if (stop)
			return pre | hm;
		to = a->send_timeout;
		hm |= fds_mask(k->tag);
		if (op == OP_SEND)
			return pre | hm | B(0) | wait_mask(f, to);
		return pre | hm | B(0) | B(ECONNRESET) | B(EINTR) |
		       (to == KIPC_TIMEOUT_POLL ? B(EAGAIN) : 0) |
		       ((to != KIPC_TIMEOUT_POLL && to != KIPC_TIMEOUT_INFINITE) ||
			a->recv_timeout != KIPC_TIMEOUT_INFINITE ? B(ETIMEDOUT) : 0);
	case OP_REPLY:
		if (a->fd != -1)
			return pre | B(EINVAL);
		if (!c)
			return pre | B(ENOENT) | B(0) | B(ECONNRESET) | B(EINVAL);
		/* The message area before the reply right (kipc(7), ERRORS). */
		if (!tagok)
			return pre | B(EINVAL);
		if (!held)
			return pre | B(ENOENT);
		return pre | B(0) | B(ECONNRESET) | fds_mask(k->tag);
	default:	/* RECV, REPLY_RECV */
		/* The reply's tag is checked before the handle is looked up. */
		if (op == OP_REPLY_RECV && held && !tagok)
			return pre | B(EINVAL);
		hm = handle_mask(&k->h, KIPC_RIGHT_RECV, &stop);
		if (stop)
			return pre | hm;
		/*
		 * A reply_recv whose reply went out (or found no caller) is
		 * not restarted after a handler, SA_RESTART or not: EINTR.
		 */
		if (op == OP_REPLY_RECV && held)
			hm |= fds_mask(k->tag) |
			      (a->recv_timeout != KIPC_TIMEOUT_POLL ? B(EINTR) : 0);
		return pre | hm | B(0) | wait_mask(f, a->recv_timeout);
	}
}

/* How long a call may take by the documentation (0: no bound). */
static uint64_t op_limit(int op, const struct kipc_ipc *a)
{
	uint64_t to = op == OP_SEND ? a->send_timeout :
		      op == OP_RECV || op == OP_REPLY_RECV || op == OP_CALL ?
		      a->recv_timeout : KIPC_TIMEOUT_POLL;

	if (op == OP_REPLY || to == KIPC_TIMEOUT_POLL)
		return 1;
	if (huge(to))
		return 0;
	return to;
}

/* A checked message arrived: intact, right badge and endpoint, once. */
static void check_received(struct fz *f, const struct fcall *k, const struct kipc_utcb *u)
{
	uint64_t label = KIPC_TAG_LABEL(u->tag), key = label + 1;
	unsigned int n = KIPC_TAG_NR(u->tag);
	int s = L_SLOT(label), idx = L_SEQ(label) % SEEN;
	char b[320];

	for (unsigned int i = 0; i < n; i++) {
		if (u->mr[i] != val(label, i)) {
			fmt_call(k, b, sizeof(b));
			fail(f, "message %#llx nr %u: register %u is %#llx: %s",
			     (unsigned long long)label, n, i,
			     (unsigned long long)u->mr[i], b);
			return;
		}
	}
	if (!k->h.known || k->h.e < 0 || k->h.e >= NV || L_EP(label) != k->h.e || s >= NSLOT) {
		fmt_call(k, b, sizeof(b));
		fail(f, "message %#llx (endpoint %d) received through another endpoint: %s",
		     (unsigned long long)label, L_EP(label), b);
		return;
	}
	if (L_KIND(label) > 2 || u->badge != kind_badge(k->h.e, send_kinds[L_KIND(label)]))
		fail(f, "message %#llx: badge %#llx, sent through kind %d",
		     (unsigned long long)label, (unsigned long long)u->badge, L_KIND(label));
	if (__atomic_exchange_n(&SH->seen[s][idx], key, __ATOMIC_SEQ_CST) == key)
		fail(f, "message %#llx delivered twice", (unsigned long long)label);
	if (__atomic_load_n(&SH->lost[s][idx], __ATOMIC_SEQ_CST) == key)
		fail(f, "message %#llx delivered, but its send failed", (unsigned long long)label);
	__atomic_fetch_add(&SH->checked_msgs, 1, __ATOMIC_RELAXED);
	if (is_area(cmd_op(k->cmd)))
		__atomic_fetch_add(&SH->checked_area, 1, __ATOMIC_RELAXED);
}

/* The area after an operation on the own mapped context. */
static void check_area(struct fz *f, const struct fcall *k, int op, int err,
		       const struct kipc_utcb *before, bool held0)
{
	const struct kipc_utcb *u = f->c[0].u;
	uint64_t flags = u->tag & KIPC_TAG_FLAGS_MASK, label;
	unsigned int n = KIPC_TAG_NR(u->tag);
	bool receives = op == OP_RECV || op == OP_REPLY_RECV || op == OP_CALL;
	struct kipc_utcb want = *before;
	char b[320];

	if (err || !receives) {
		bool ipc = op == OP_SEND || op == OP_RECV || op == OP_CALL ||
			   op == OP_REPLY || op == OP_REPLY_RECV;

		/*
		 * An IPC operation leaves status describing itself: 0, or
		 * REPLY_LOST from a reply_recv whose caller was gone.  One
		 * refused before it took the context (EBUSY; EINVAL or EFAULT
		 * for the argument struct, ENOTTY, EPERM of another address
		 * space) leaves it alone; the oracle cannot tell those EINVALs
		 * and EPERMs from later ones, so both are accepted there.
		 */
		if (ipc) {
			want.status = op == OP_REPLY_RECV && err && held0 &&
				      u->status == KIPC_ST_REPLY_LOST ?
				      KIPC_ST_REPLY_LOST : 0;
			if ((err == EBUSY || err == EINVAL || err == EFAULT ||
			     err == ENOTTY || err == EPERM) &&
			    u->status == before->status)
				want.status = before->status;
		}
		if (memcmp(&want, u, sizeof(want))) {
			fmt_call(k, b, sizeof(b));
			fail(f, "%s changed the message area (tag %#llx -> %#llx, status %u -> %u): %s",
			     ename(err), (unsigned long long)before->tag,
			     (unsigned long long)u->tag, before->status, u->status, b);
		}
		return;
	}
	if (n > KIPC_MSG_REGS || (flags & ~KIPC_TAG_F_CALL) || (op == OP_CALL && flags) ||
	    (op == OP_CALL && u->badge) || u->pid <= 0 || u->uid != geteuid() ||
	    u->gid != getegid() ||
	    /* A reply through an accounting endpoint says so (ABI 1.4). */
	    ((u->status & ~(op == OP_CALL ? KIPC_ST_SERVED : 0)) &&
	     !(op == OP_REPLY_RECV && held0 && u->status == KIPC_ST_REPLY_LOST))) {
		fmt_call(k, b, sizeof(b));
		fail(f, "received tag %#llx badge %#llx pid %d uid %u gid %u status %u: %s",
		     (unsigned long long)u->tag, (unsigned long long)u->badge, u->pid,
		     u->uid, u->gid, u->status, b);
		return;
	}
	if (memcmp(u->mr + n, before->mr + n, (KIPC_MSG_REGS - n) * 8) ||
	    memcmp(u->__reserved, before->__reserved, sizeof(u->__reserved))) {
		fmt_call(k, b, sizeof(b));
		fail(f, "receive of %u registers wrote past them: %s", n, b);
	}
	label = KIPC_TAG_LABEL(u->tag);
	if (op == OP_CALL) {
		if (!(label & VERIFY))
			return;
		for (unsigned int i = 0; i < n; i++)
			if (u->mr[i] != val(label, i))
				fail(f, "reply %#llx: register %u is wrong",
				     (unsigned long long)label, i);
		if (k->verify && label != (KIPC_TAG_LABEL(k->tag) ^ RX))
			fail(f, "call %#llx got the reply %#llx of another call",
			     (unsigned long long)KIPC_TAG_LABEL(k->tag),
			     (unsigned long long)label);
		__atomic_fetch_add(&SH->checked_replies, 1, __ATOMIC_RELAXED);
		if (is_area(cmd_op(k->cmd)))
			__atomic_fetch_add(&SH->checked_area, 1, __ATOMIC_RELAXED);
	} else if (label & VERIFY) {
		check_received(f, k, u);
	}
}

/* A new handle: close-on-exec as asked, rights and badge as minted. */
static void new_handle(struct fz *f, const struct fcall *k, int op, int fd)
{
	unsigned int flags = op == OP_MINT ? k->a.mint.flags : k->a.cr.flags;
	int fdfl = fcntl(fd, F_GETFD);
	bool check = k->target != T_FD || k->self;

	if (check && fdfl >= 0 && !(fdfl & FD_CLOEXEC) != !!(flags & KIPC_FD_INHERIT))
		fail(f, "new handle %d: FD_CLOEXEC %d with flags %#x", fd, fdfl, flags);
	if (check && one_in(f, 64)) {
		long rights = fdinfo_value(0, fd, "rights");
		long badge = fdinfo_value(0, fd, "badge");
		long want_r = op == OP_MINT ? k->a.mint.rights : KIPC_RIGHTS_ALL;
		bool known_b = op == OP_CREATE || (k->a.mint.flags & KIPC_MINT_BADGE) || k->h.known;
		uint64_t want_b = op == OP_CREATE ? 0 : (k->a.mint.flags & KIPC_MINT_BADGE) ?
				  k->a.mint.badge : k->h.badge;

		if (rights != want_r || (known_b && (uint64_t)badge != want_b &&
					 want_b <= LONG_MAX))
			fail(f, "new handle has rights %#lx badge %#lx, wanted %#lx %#llx",
			     rights, badge, want_r, (unsigned long long)want_b);
	}
	/* Receive rights of a checked endpoint never enter the pool. */
	/*
	 * A mint on a descriptor target with KIPC_FD_SELF in its field came
	 * from whatever handle that target was (k->h describes the field):
	 * unknown too.
	 */
	if ((f->slot >= 0 || f->child) && one_in(f, 2) && !(op == OP_MINT && (k->a.mint.rights & KIPC_RIGHT_RECV) &&
			      (!k->h.known || (k->h.e >= 0 && k->h.e < NV) || k->h.e == DEAD ||
			       (k->target == T_FD && !k->self))))
		dup2(fd, POOL(rn(f, NPOOL)));
	close(fd);
}

/* A looked-up handle: send (and maybe grant) only, close-on-exec as asked. */
static void looked_up(struct fz *f, const struct fcall *k, int fd)
{
	long rights = fdinfo_value(0, fd, "rights");
	int fdfl = fcntl(fd, F_GETFD);

	if (k->target != T_FD &&
	    ((rights != KIPC_RIGHT_SEND && rights != (KIPC_RIGHT_SEND | KIPC_RIGHT_GRANT)) ||
	     (fdfl >= 0 && !(fdfl & FD_CLOEXEC) != !!(k->a.look.flags & KIPC_FD_INHERIT))))
		fail(f, "looked-up handle %d: rights %#lx FD_CLOEXEC %d flags %#x", fd,
		     rights, fdfl, k->a.look.flags);
	close(fd);
}

static void check_version(struct fz *f, const struct fcall *k, const char *w)
{
	struct kipc_version want = {
		.abi_major = KIPC_ABI_MAJOR, .abi_minor = KIPC_ABI_MINOR,
		.msg_regs = KIPC_MSG_REGS, .utcb_size = KIPC_UTCB_SIZE,
		.features = KIPC_FEAT_UTCB | KIPC_FEAT_BADGE | KIPC_FEAT_CREDS |
			    KIPC_FEAT_FDS | KIPC_FEAT_NAMES | KIPC_FEAT_CALLER |
			    KIPC_FEAT_LIMITS | KIPC_FEAT_NOTIFY | KIPC_FEAT_POLL |
			    KIPC_FEAT_URING | KIPC_FEAT_AREA_ARGS |
			    KIPC_FEAT_SEND_RECV | KIPC_FEAT_SCHED | KIPC_FEAT_BULK |
			    KIPC_FEAT_OBJ_IOCTL,
	};
	static const unsigned char canary[8] = { 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3 };

	if (!w)
		return;
	if (memcmp(w, &want, sizeof(want)) ||
	    (k->ptr != P_FLIP && k->ptr != P_END && memcmp(w + sizeof(want), canary, 8)))
		fail_call(f, k, "VERSION wrote something else", 0);
}

/*
 * An argument the module only reads (_IOW) is as it was written, and so
 * is the canary behind it.
 */
static void check_unwritten(struct fz *f, const struct fcall *k, const char *w, size_t sz)
{
	static const unsigned char canary[8] = { 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3 };

	if (memcmp(w, &k->a, sz) ||
	    (k->ptr != P_FLIP && k->ptr != P_END && memcmp(w + sz, canary, 8)))
		fail_call(f, k, "the module wrote into a read-only argument", 0);
}

static void begin_call(struct fz *f, int op, uint64_t limit, bool inf, int vk)
{
	struct slotinfo *s;

	if (f->slot < 0)
		return;
	s = &SH->slot[f->slot];
	s->op = op;
	s->limit = limit;
	s->inf = inf;
	s->vk = vk;
	__atomic_store_n(&s->since, now_ns(), __ATOMIC_RELEASE);
}

static void end_call(struct fz *f)
{
	if (f->slot >= 0)
		__atomic_store_n(&SH->slot[f->slot].since, 0, __ATOMIC_RELEASE);
}

/* Run one call with every check; returns the ioctl's result or -errno. */
static int exec_call(struct fz *f, struct fcall *k)
{
	int op = cmd_op(k->cmd), bop = base_op(op), ret, err;
	struct ctxm *c = k->target == T_OWN ? &f->c[0] :
			 k->target == T_UNMAPPED ? &f->c[1] : NULL;
	struct kipc_ipc *a = &k->a.ipc;
	bool sends = bop == OP_SEND || bop == OP_CALL || bop == OP_REPLY || bop == OP_REPLY_RECV;
	bool held0 = c && c->held, valid_ipc, area = is_area(op);
	struct kipc_utcb before;
	uint64_t mask, limit = 0, t0, el, bound;
	size_t sz = arg_size(k->cmd);
	char *w = NULL;
	void *p;

	if (c && c->u && sends && is_ipc(bop))
		write_msg(c->u, k->tag);
	if (area && !(c && c->u)) {
		/*
		 * An area we cannot write: a context never mapped (or another
		 * fd) has all-zero arguments there, descriptor 0 and polls.
		 */
		memset(&k->area, 0, sizeof(k->area));
		memset(a, 0, sizeof(*a));
		k->h = H_UNKNOWN;
	}
	if (area) {
		if (c && c->u)
			c->u->args = k->area;
		k->ptr = P_GOOD;
		p = (void *)k->marg;
	} else {
		p = place(f, k, sz, &w);
	}
	mask = expect(f, k);
	if (c && c->u)
		before = *c->u;
	valid_ipc = is_ipc(bop) && !ptr_bad(k->ptr) && c;
	if (valid_ipc)
		limit = op_limit(bop, a);
	t0 = now_ns();
	begin_call(f, op, limit,
		   valid_ipc && limit == 0 && f->restart && k->h.known && k->h.e >= 0 &&
		   k->h.e < NV, k->h.e);
	ret = ioctl(c ? c->fd : k->tfd, k->cmd, p);
	err = ret < 0 ? errno : 0;
	end_call(f);
	el = now_ns() - t0;
	count(op, err);
	if (k->self) {
		__atomic_fetch_add(&SH->own_fd[0], 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&SH->own_fd[1], !err, __ATOMIC_RELAXED);
	}

	if (!(mask & B(err)))
		fail_call(f, k, "unexpected result", err);
	if (ret > 0 && op != OP_CREATE && op != OP_MINT && op != OP_LOOKUP)
		fail_call(f, k, "returned a positive value", ret);
	if (valid_ipc && err == ETIMEDOUT) {
		bound = bop == OP_SEND ? a->send_timeout : bop != OP_CALL ||
			a->send_timeout == KIPC_TIMEOUT_POLL ? a->recv_timeout :
			a->send_timeout < a->recv_timeout ? a->send_timeout : a->recv_timeout;
		if (el < bound) {
			char b[320];

			fmt_call(k, b, sizeof(b));
			fail(f, "ETIMEDOUT after %llu ns, before the deadline: %s",
			     (unsigned long long)el, b);
		}
	}
	if (limit > 1 && el > limit) {
		uint64_t late = el - limit, old = __atomic_load_n(&SH->max_late, __ATOMIC_RELAXED);

		while (late > old && !__atomic_compare_exchange_n(&SH->max_late, &old, late, false,
								   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
		if (late > old)
			fmt_call(k, SH->late_call, sizeof(SH->late_call));
	}
	if (limit && el > limit + g_slack) {
		char b[320];

		fmt_call(k, b, sizeof(b));
		fail(f, "%s returned %llu ms after its deadline: %s", ename(err),
		     (unsigned long long)((el - limit) / MS), b);
	}
	if (c && c->u && !ptr_bad(k->ptr))
		check_area(f, k, bop, err, &before, held0);
	if (w && c && op != OP_BADCMD && _IOC_DIR(k->cmd) == _IOC_WRITE)
		check_unwritten(f, k, w, sz);

	/* The model of the reply right. */
	if (c && (bop == OP_RECV || bop == OP_REPLY_RECV) &&
	    (mask & B(err)) && (err == EPIPE || err == EAGAIN || err == ETIMEDOUT || err == EINTR))
		c->held = false;
	if (c && (bop == OP_RECV || bop == OP_REPLY_RECV) && !err) {
		c->held = c->u && (c->u->tag & KIPC_TAG_F_CALL);
		c->owed = c->u ? KIPC_TAG_LABEL(c->u->tag) : 0;
	}
	if (c && bop == OP_REPLY && (!err || err == ECONNRESET))
		c->held = false;
	/* The model of the slots. */
	if (c && op == OP_REGISTER && !err) {
		const struct kipc_register *r = &k->a.reg;

		c->slots[r->slot] = r->flags & KIPC_REGISTER_CLEAR ? H_NONE :
				    k->h.known ? k->h : H_UNKNOWN;
	}

	/* A checked send that failed delivered nothing. */
	if (k->verify && err && (bop == OP_SEND || err == EAGAIN || err == EPIPE)) {
		uint64_t label = KIPC_TAG_LABEL(k->tag), key = label + 1;
		int idx = L_SEQ(label) % SEEN;

		__atomic_store_n(&SH->lost[f->slot][idx], key, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&SH->seen[f->slot][idx], __ATOMIC_SEQ_CST) == key)
			fail_call(f, k, "a failed send was delivered", err);
	}
	if (ret >= 0 && (op == OP_CREATE || op == OP_MINT) && !err && ret > 2)
		new_handle(f, k, op, ret);
	if (ret > 2 && op == OP_LOOKUP && !err)
		looked_up(f, k, ret);
	if (!err && op == OP_VERSION && !ptr_bad(k->ptr))
		check_version(f, k, w);
	return ret < 0 ? -err : ret;
}

/* ---- the other kinds of calls ---- */

static void fuzz_mmap(struct fz *f)
{
	static const size_t lens[] = { 0, 1, 4095, 8192, 3 * PAGE };
	static const int prots[] = {
		PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE,
		PROT_READ | PROT_EXEC, PROT_WRITE,
	};
	int which = rn(f, 4), fd, err, prot, flags;
	bool own = which < 2 && f->c[which].fd >= 0;
	struct hinfo h;
	size_t len = one_in(f, 4) ? lens[rn(f, ARRAY_SIZE(lens))] : PAGE;
	off_t off = one_in(f, 10) ? PAGE : 0;
	uint64_t mask;
	void *p;

	fd = own ? f->c[which].fd : one_in(f, 2) ? POOL(rn(f, NPOOL)) : special_fd(f, &h);
	prot = prots[rn(f, ARRAY_SIZE(prots))];
	flags = one_in(f, 8) ? MAP_PRIVATE : MAP_SHARED;
	p = mmap(NULL, len, prot, flags, fd, off);
	err = p == MAP_FAILED ? errno : 0;
	count(OP_MMAP, err);
	if (!own)
		mask = B(0) | B(EINVAL) | B(EPERM) | B(ENODEV) | B(EACCES) | B(EBADF) | B(ENOMEM);
	else if (!len || off || len > PAGE || flags == MAP_PRIVATE)
		mask = B(EINVAL);
	else if (prot & PROT_EXEC)
		mask = B(EPERM);
	else
		mask = B(0);
	if (!(mask & B(err)))
		fail(f, "mmap(%zu, prot %#x, %s, ctx %d, off %ld): %s", len, prot,
		     flags == MAP_PRIVATE ? "private" : "shared", which, (long)off, ename(err));
	if (err)
		return;
	if (own) {
		/* The same page as the first mapping; never executable. */
		if (which == 0 && (prot & PROT_READ) &&
		    ((struct kipc_utcb *)p)->tag != f->c[0].u->tag)
			fail(f, "a second mapping of a context shows another page");
		if (!mprotect(p, PAGE, PROT_READ | PROT_EXEC) || errno != EACCES)
			fail(f, "mprotect(PROT_EXEC) of a message area: %s", ename(errno));
	}
	munmap(p, len);
}

static void fuzz_fd(struct fz *f)
{
	int slot = POOL(rn(f, NPOOL)), ret = 0, e, kind;

	switch (rn(f, 9)) {
	case 0:
	case 1:
		ret = close(slot);
		break;
	case 2:
		ret = dup2(POOL(rn(f, NPOOL)), slot);
		break;
	case 3:
		ret = dup2(wrong_fds[rn(f, ARRAY_SIZE(wrong_fds))], slot);
		break;
	case 4:
	case 5:
		/* A handle that may go to the pool: no receive right of V. */
		e = rn(f, NE);
		kind = rn(f, NKIND);
		if ((e < NV || e == DEAD) && (kind_rights[kind] & KIPC_RIGHT_RECV))
			kind = K_SEND;
		ret = f->child ? 0 : dup2(PRIV(e, kind), slot);
		break;
	case 6:
		ret = open(KIPC_DEVICE, O_RDWR | (one_in(f, 2) ? O_CLOEXEC : 0));
		if (ret >= 0) {
			dup2(ret, slot);
			close(ret);
			ret = 0;
		}
		break;
	case 7:
		/* The page other threads pass arguments on comes and goes. */
		if (one_in(f, 3))
			ret = madvise(f->flip, PAGE, MADV_DONTNEED);
		else
			ret = mprotect(f->flip, PAGE, one_in(f, 2) ? PROT_NONE :
				       PROT_READ | PROT_WRITE);
		break;
	default:
		if (!f->child && f->slot >= 0) {
			int s = f->w * NTHR + rn(f, NTHR);
			int tid = __atomic_load_n(&SH->slot[s].tid, __ATOMIC_RELAXED);

			if (tid)
				syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		}
	}
	count(OP_FD, ret < 0 ? errno : 0);
	if (ret < 0 && errno != EBADF && errno != EMFILE && errno != ENOMEM)
		fail(f, "fd operation: %s", ename(errno));
}

static int ctxm_open(struct ctxm *c, bool map)
{
	*c = (struct ctxm){ .fd = open(KIPC_DEVICE, O_RDWR | O_CLOEXEC) };
	for (int i = 0; i < KIPC_SLOTS; i++)
		c->slots[i] = H_NONE;
	if (c->fd < 0 || !map)
		return c->fd < 0 ? -1 : 0;
	c->u = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	return c->u == MAP_FAILED ? -1 : 0;
}

static void fuzz_one(struct fz *f);

/*
 * A child of a fuzzing thread: uses what it inherited, and exits or is
 * killed while it may hold a reply right, wait or own endpoints.
 */
static void child_main(struct fz *f, pid_t parent)
{
	struct fz cf = *f;
	struct rlimit rl;
	struct fcall k;
	int n, fd, err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	cf.child = true;
	cf.slot = -1;
	cf.r ^= 0xc41d;
	switch (rn(&cf, 4)) {
	case 0:	/* the parent's context: EPERM, whatever the call */
		memset(&k, 0, sizeof(k));
		k.cmd = one_in(&cf, 2) ? op_cmd[rn(&cf, OP_BADCMD)] : mutate_cmd(&cf, KIPC_IOC_SEND);
		err = ioctl(f->c[0].fd, k.cmd, f->arena + 256) < 0 ? errno : 0;
		count(cmd_op(k.cmd), err);
		if (err != EPERM)
			fail(&cf, "ioctl %#lx on the parent's context: %s", k.cmd, ename(err));
		err = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, f->c[0].fd, 0) == MAP_FAILED ?
		      errno : 0;
		count(OP_MMAP, err);
		if (err != EPERM)
			fail(&cf, "mmap of the parent's context: %s", ename(err));
		break;
	case 1:	/* no descriptor left: EMFILE, nothing left behind */
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			break;
		close(fd);
		cf.c[0].fd = open(KIPC_DEVICE, O_RDWR);
		cf.c[0].u = NULL;
		rl.rlim_cur = rl.rlim_max = fd + 1;
		if (cf.c[0].fd < 0 || setrlimit(RLIMIT_NOFILE, &rl))
			break;
		for (int i = 0; i < 2; i++) {
			memset(&k, 0, sizeof(k));
			k.cmd = i ? KIPC_IOC_EP_MINT : KIPC_IOC_EP_CREATE;
			if (i) {
				k.a.mint.fd = PRIV(NV, K_FULL);
				k.a.mint.rights = KIPC_RIGHT_SEND;
			}
			err = ioctl(cf.c[0].fd, k.cmd, &k.a) < 0 ? errno : 0;
			count(cmd_op(k.cmd), err);
			if (err != EMFILE)
				fail(&cf, "%s with no descriptor left: %s",
				     i ? "MINT" : "CREATE", ename(err));
		}
		break;
	default:	/* a context of its own, then some of everything */
		if (ctxm_open(&cf.c[0], true) || ctxm_open(&cf.c[1], false))
			_exit(0);
		n = 1 + rn(&cf, 40);
		for (int i = 0; i < n; i++)
			fuzz_one(&cf);
	}
	_exit(0);
}

static void fuzz_fork(struct fz *f)
{
	pid_t parent = getpid(), pid;
	bool killed = one_in(f, 3);
	int st = 0;

	__atomic_fetch_add(&SH->forks, 1, __ATOMIC_RELAXED);
	pid = fork();
	if (pid == 0)
		child_main(f, parent);
	count(OP_FORK, pid < 0 ? errno : 0);
	if (pid < 0)
		return;
	begin_call(f, OP_FORK, 0, false, -1);
	if (killed) {
		struct timespec ts = { 0, rn(f, 500) * 1000 };

		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	end_call(f);
	if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
	    !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && killed))
		fail(f, "child %d ended with status %#x", pid, st);
}

static void fuzz_one(struct fz *f)
{
	struct fcall k;
	unsigned int r = rn(f, 1000);

	if (r < 25) {
		fuzz_fd(f);
	} else if (r < 35) {
		fuzz_mmap(f);
	} else if (r < 37 && !f->child && !f->server) {
		fuzz_fork(f);
	} else if (r == 37 && !f->child && one_in(f, 200)) {
		__atomic_fetch_add(&SH->exits, 1, __ATOMIC_RELAXED);
		_exit(EXIT_SELF);
	} else {
		gen_call(f, &k);
		exec_call(f, &k);
	}
}

/* ---- workers ---- */

static int map_alias(char **view, char **alias, int view_prot)
{
	int fd = memfd_create("kipc-fuzz", MFD_CLOEXEC);

	if (fd < 0 || ftruncate(fd, PAGE))
		return -1;
	*alias = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	*view = mmap(NULL, PAGE, view_prot, MAP_SHARED, fd, 0);
	close(fd);
	return *alias == MAP_FAILED || *view == MAP_FAILED ? -1 : 0;
}

/*
 * The arena: RW RW | hole | NONE | RW | NONE, far below where mmap puts
 * things, so that nothing ever fills the hole.
 */
static int fz_setup(struct fz *f)
{
	void *hint = (void *)(0x300000000000UL + (f->slot + 2UL) * 0x100000UL);
	char *a = mmap(hint, 6 * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (a == MAP_FAILED)
		return -1;
	munmap(a + 2 * PAGE, PAGE);
	mprotect(a + 3 * PAGE, PAGE, PROT_NONE);
	mprotect(a + 5 * PAGE, PAGE, PROT_NONE);
	f->arena = a;
	if (map_alias(&f->ro, &f->ro_w, PROT_READ))
		return -1;
	if (ctxm_open(&f->c[0], true) || ctxm_open(&f->c[1], false))
		return -1;
	/* The reserved words are the caller's: the kernel never touches them. */
	for (int i = 0; i < 4; i++)
		f->c[0].u->__reserved[i] = mix(f->r + i);
	return 0;
}

static void *thread_main(void *arg)
{
	struct fz *f = arg;
	struct slotinfo *s = &SH->slot[f->slot];

	if (fz_setup(f)) {
		fail(f, "thread setup: %s", strerror(errno));
		return NULL;
	}
	s->pid = getpid();
	/*
	 * A few slots to start with: the server's endpoint in slot 0 of the
	 * server, private handles elsewhere (no receive right of DEAD).
	 */
	for (int i = 0; i < 4; i++) {
		int e = f->server && !i ? f->w % NV : (int)rn(f, NE);
		int kind = f->server && !i ? K_RECV : (int)rn(f, NKIND);

		if (e == DEAD && (kind_rights[kind] & KIPC_RIGHT_RECV))
			kind = K_SEND;
		int ret = kipc_register(&(struct kipc_ctx){ f->c[0].fd, f->c[0].u }, i,
					PRIV(e, kind));

		if (ret)
			fail(f, "registering slot %d: %s", i, ename(-ret));
		else
			f->c[0].slots[i] = (struct hinfo){ true, kind_rights[kind],
							   kind_badge(e, kind), e, kind };
	}
	__atomic_store_n(&s->tid, gettid_(), __ATOMIC_RELEASE);
	while (!stopping())
		fuzz_one(f);
	__atomic_store_n(&s->tid, 0, __ATOMIC_RELEASE);
	return NULL;
}

static int worker_main(int w, int gen)
{
	struct fz *fzs = calloc(NTHR, sizeof(*fzs));
	pthread_t th[NTHR];
	char *flip, *flip_w;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	catch_signal(SIGUSR1, (w + gen) & 1);
	if (!fzs || map_alias(&flip, &flip_w, PROT_READ | PROT_WRITE))
		return 1;
	/* Contexts of this process in the pool: any thread may use them. */
	for (int i = 0; i < 3; i++) {
		fd = open(KIPC_DEVICE, O_RDWR);
		if (fd >= 0) {
			dup2(fd, POOL(mix(g_seed ^ w ^ gen << 4 ^ i) % NPOOL));
			close(fd);
		}
	}
	for (int t = 0; t < NTHR; t++) {
		struct fz *f = &fzs[t];

		f->r = mix(g_seed ^ mix((uint64_t)w << 40 | (uint64_t)gen << 8 | t));
		f->w = w;
		f->t = t;
		f->slot = w * NTHR + t;
		f->gen = gen;
		f->restart = (w + gen) & 1;
		f->server = t == NFUZZ;
		f->flip = flip;
		f->flip_w = flip_w;
		if (pthread_create(&th[t], NULL, thread_main, f))
			return 1;
	}
	for (int t = 0; t < NTHR; t++)
		pthread_join(th[t], NULL);
	return 0;
}

/* ---- the controller ---- */

static struct ctl {
	struct kipc_ctx c;
	pid_t pid[NWORK];
	int gen[NWORK];
	int sendh[NE], recvh[NE];	/* handles the controller holds */
	uint64_t r;
} C;

static uint64_t crnd(void)
{
	C.r += 0x9e3779b97f4a7c15ULL;
	return mix(C.r);
}

static int mint_to(int from, int to, unsigned int rights, uint64_t badge, int e)
{
	int fd = kipc_ep_mint(&C.c, from, rights, badge, badge ? KIPC_MINT_BADGE : 0);

	if (fd < 0)
		return fd;
	if (dup2(fd, to) < 0)
		return -errno;
	close(fd);
	C.sendh[e] += !!(rights & KIPC_RIGHT_SEND);
	C.recvh[e] += !!(rights & KIPC_RIGHT_RECV);
	return 0;
}

static int ctl_setup(void)
{
	int p[2], fd, ret;

	ctx_open(&C.c);
	if (dup2(C.c.fd, PRIV_CTX) < 0 || pipe(p))
		return -1;
	dup2(p[0], PRIV_PIPE0);
	dup2(p[1], PRIV_PIPE1);
	close(p[0]);
	close(p[1]);
	fd = open("/dev/null", O_RDWR);
	dup2(fd, PRIV_NULL);
	close(fd);
	fd = eventfd(0, 0);
	dup2(fd, PRIV_EVENT);
	close(fd);
	for (int e = 0; e < NE; e++) {
		fd = kipc_ep_create(&C.c, 0);
		if (fd < 0 || dup2(fd, CTL(e)) < 0)
			return -1;
		close(fd);
		C.sendh[e] = C.recvh[e] = 1;
		for (int k = 0; k < NKIND; k++) {
			ret = mint_to(CTL(e), PRIV(e, k), kind_rights[k], kind_badge(e, k), e);
			if (ret)
				return ret;
		}
	}
	/* The pool: wild handles of every kind, send handles of V, wrong fds. */
	for (int i = 0; i < NPOOL; i++) {
		int e = crnd() % NE, r = crnd() % 10;

		if (r < 5) {
			unsigned int rights = 1 + crnd() % 7;

			if (e < NV || e == DEAD)
				rights &= ~KIPC_RIGHT_RECV;
			if (!rights)
				rights = KIPC_RIGHT_SEND;
			ret = mint_to(CTL(e), POOL(i), rights,
				      crnd() % 2 ? BADGE(e, 9) : 0, e);
			if (ret)
				return ret;
		} else if (r < 8) {
			dup2(wrong_fds[crnd() % ARRAY_SIZE(wrong_fds)], POOL(i));
		}
	}
	return 0;
}

static pid_t start_worker(int w)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(worker_main(w, C.gen[w]));
	C.pid[w] = pid;
	return pid;
}

/* Forget the slots of a dead worker. */
static void clear_slots(int w)
{
	for (int t = 0; t < NTHR; t++) {
		SH->slot[w * NTHR + t].tid = 0;
		SH->slot[w * NTHR + t].since = 0;
	}
}

/* A partner for waits without end on checked endpoint @e. */
static void poke(int e)
{
	struct kipc_ipc a = { .fd = CTL(e) };

	C.c.utcb->tag = KIPC_TAG(0x7e5c, 0);
	ioctl(C.c.fd, KIPC_IOC_SEND, &a);
	if (!ioctl(C.c.fd, KIPC_IOC_RECV, &a) && (C.c.utcb->tag & KIPC_TAG_F_CALL)) {
		C.c.utcb->tag = KIPC_TAG(0x7e5d, 0);
		ioctl(C.c.fd, KIPC_IOC_REPLY, &(struct kipc_ipc){ .fd = -1 });
	}
	__atomic_fetch_add(&SH->rescues, 1, __ATOMIC_RELAXED);
}

static void dump_thread(int s)
{
	char path[96], buf[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", SH->slot[s].pid, SH->slot[s].tid);
	f = fopen(path, "r");
	while (f && fgets(buf, sizeof(buf), f))
		ksft_print_msg("    %s", buf);
	if (f)
		fclose(f);
}

/* Rescue waits without end; report calls far past their bound. */
static int watch(uint64_t now, bool stopping_now)
{
	int hung = 0;

	for (int s = 0; s < NSLOT; s++) {
		struct slotinfo *si = &SH->slot[s];
		uint64_t since = __atomic_load_n(&si->since, __ATOMIC_ACQUIRE);

		if (!since || now < since)
			continue;
		if (si->inf && si->vk >= 0 && si->vk < NV && now - since > 20 * MS)
			poke(si->vk);
		if (now - since > (si->limit ? si->limit + g_slack : g_hang) + g_slack) {
			ksft_print_msg("slot %d (pid %d tid %d): %s for %.1f s, bound %llu ns%s\n",
				       s, si->pid, si->tid, op_name[si->op], (now - since) / 1e9,
				       (unsigned long long)si->limit,
				       stopping_now ? " (while stopping)" : "");
			dump_thread(s);
			fail(NULL, "slot %d: %s did not return for %.1f s (bound %llu ns)",
			     s, op_name[si->op], (now - since) / 1e9,
			     (unsigned long long)si->limit);
			si->since = 0;
			hung++;
		}
	}
	return hung;
}

/* Reap workers; respawn those that were killed or ended themselves. */
static void reap_workers(bool respawn)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int w = 0; w < NWORK; w++) {
			if (pid != C.pid[w])
				continue;
			clear_slots(w);
			C.pid[w] = 0;
			if (!(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == EXIT_SELF)) &&
			    !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))
				fail(NULL, "worker %d ended with status %#x", w, st);
			if (respawn) {
				C.gen[w]++;
				start_worker(w);
			}
		}
	}
}

static long env_num(const char *name, long def)
{
	const char *e = getenv(name);
	long v = e ? strtol(e, NULL, 0) : 0;

	return v > 0 ? v : def;
}

static void read_env(void)
{
	const char *s = getenv("KIPC_FUZZ_SEED");
	long slow = env_num("kipcslow", 1);	/* a slow kernel (vm/run.sh) */

	g_seed = s ? strtoull(s, NULL, 0) : DEFAULT_SEED;
	g_slack = env_num("KIPC_FUZZ_SLACK_MS", 1000 * slow) * MS;
	g_hang = env_num("KIPC_FUZZ_HANG_S", 30 * slow) * 1000 * MS;
}

/* Endpoints in /proc/kipc/endpoints made by this program, not by @except. */
static int count_endpoints(pid_t except, bool print)
{
	char line[256], comm[32] = "", c[64];
	int n = 0, owner;
	FILE *f = fopen("/proc/self/comm", "r");

	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	f = fopen("/proc/kipc/endpoints", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u %d %63s", &owner, c) != 2 || strcmp(c, comm))
			continue;
		if (owner == except && except)
			continue;
		n++;
		if (print)
			ksft_print_msg("  left: %s", line);
	}
	fclose(f);
	return n;
}

static void print_hist(void)
{
	uint64_t tot[NERR] = { 0 }, sum;
	char line[1024];
	size_t o;

	for (int op = 0; op <= NOPS; op++) {
		o = 0;
		sum = 0;
		app(line, sizeof(line), &o, "%-10s", op < NOPS ? op_name[op] : "all");
		for (int e = 0; e < NERR; e++) {
			uint64_t n = op < NOPS ? SH->hist[op][e] : tot[e];

			if (op < NOPS)
				tot[e] += n;
			sum += n;
			if (n)
				app(line, sizeof(line), &o, " %s %llu", ename(e),
				    (unsigned long long)n);
		}
		if (sum)
			ksft_print_msg("%s (%llu)\n", line, (unsigned long long)sum);
	}
	ksft_print_msg("on a handle's own descriptor (ABI 1.6): %llu calls, %llu ok\n",
		       (unsigned long long)SH->own_fd[0], (unsigned long long)SH->own_fd[1]);
}

/*
 * The descriptor table, for "nothing changed but what was expected": each
 * open fd and what it refers to (readlink of /proc/self/fd).
 */
enum { FDTAB = 512 };
struct fdtab {
	int n;
	int fd[FDTAB];
	char what[FDTAB][64];
};

static void fd_snapshot(struct fdtab *t)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	t->n = 0;
	while (d && (e = readdir(d)) && t->n < FDTAB) {
		char path[300];
		ssize_t len;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, t->what[t->n], sizeof(t->what[0]) - 1);
		t->what[t->n][len < 0 ? 0 : len] = 0;
		t->fd[t->n++] = fd;
	}
	if (d)
		closedir(d);
}

/* How many fds differ between two snapshots; prints them as @who. */
static int fd_diff(const char *who, const struct fdtab *a, const struct fdtab *b)
{
	int bad = 0;

	for (int pass = 0; pass < 2; pass++) {
		const struct fdtab *x = pass ? b : a, *y = pass ? a : b;

		for (int i = 0; i < x->n; i++) {
			int j;

			for (j = 0; j < y->n && y->fd[j] != x->fd[i]; j++)
				;
			if (j < y->n && (pass || !strcmp(x->what[i], y->what[j])))
				continue;
			bad++;
			ksft_print_msg("%s: fd %d %s %s\n", who, x->fd[i],
				       pass ? "appeared:" : j < y->n ? "changed from" : "vanished:",
				       x->what[i]);
		}
	}
	return bad;
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
	read_env();
	SH = mmap(NULL, sizeof(*SH), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, SH);
	SH->budget = env_num("KIPC_FUZZ_CALLS", DEFAULT_CALLS);
}

FIXTURE_TEARDOWN(fuzz)
{
	for (int w = 0; w < NWORK; w++)
		if (C.pid[w] > 0)
			kill(C.pid[w], SIGKILL);
	munmap(SH, sizeof(*SH));
}

/* ---- the corpus: inputs that found bugs, and hand-made ones ---- */

/* CORPUS_FILES(X): X(NAME) for every selftests/fuzz-corpus/NAME.txt. */
#include "fuzz-corpus.h"

/* Each file is embedded as is (the build runs from the top directory). */
#define CORPUS_INCBIN(n)						\
	__asm__(".pushsection .rodata\n"				\
		".globl corpus_" #n "\n"				\
		"corpus_" #n ":\n"					\
		".incbin \"selftests/fuzz-corpus/" #n ".txt\"\n"	\
		".globl corpus_" #n "_end\n"				\
		"corpus_" #n "_end:\n"					\
		".byte 0\n"						\
		".popsection\n");					\
	extern const char corpus_##n[], corpus_##n##_end[];
CORPUS_FILES(CORPUS_INCBIN)

static const struct {
	const char *name, *start, *end;
} corpus[] = {
#define CORPUS_ENTRY(n) { #n, corpus_##n, corpus_##n##_end },
	CORPUS_FILES(CORPUS_ENTRY)
};

struct replay {
	struct fz f;
	int ep, s, r, g, pipe[2], devnull, efd, closed;
	struct {
		pthread_t t;
		bool on;
		volatile int done;
		int op, fd, ret;
		uint64_t tag, st, rt;
	} peer;
	const char *file;
	int line, bad;
};

static void __attribute__((format(printf, 2, 3))) rp_fail(struct replay *rp, const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ksft_print_msg("%s:%d: %s\n", rp->file, rp->line, buf);
	rp->bad++;
}

/* A value: a number, INF, POLL or the name of an fd (which sets @h). */
static bool rp_value(struct replay *rp, const char *v, uint64_t *out, struct hinfo *h)
{
	const struct {
		const char *n;
		int fd, rights;
		uint64_t badge;
	} t[] = {
		{ "ep", rp->ep, KIPC_RIGHTS_ALL, 0 }, { "s", rp->s, KIPC_RIGHT_SEND, 7 },
		{ "r", rp->r, KIPC_RIGHT_RECV, 0 }, { "g", rp->g, KIPC_RIGHT_GRANT, 0 },
		{ "c", rp->f.c[0].fd, -1, 0 }, { "c2", rp->f.c[1].fd, -1, 0 },
		{ "pipe", rp->pipe[0], -1, 0 }, { "devnull", rp->devnull, -1, 0 },
		{ "eventfd", rp->efd, -1, 0 }, { "closed", rp->closed, -1, 0 },
	};
	char *end;

	for (int i = 0; i < ARRAY_SIZE(t); i++) {
		if (strcmp(v, t[i].n))
			continue;
		*out = (uint64_t)(int64_t)t[i].fd;
		if (h)
			*h = (struct hinfo){ true, t[i].rights, t[i].badge, -1, -1 };
		return true;
	}
	if (!strcmp(v, "INF") || !strcmp(v, "POLL")) {
		*out = v[0] == 'I' ? KIPC_TIMEOUT_INFINITE : KIPC_TIMEOUT_POLL;
		return true;
	}
	/* KIPC_ARGS_SLOT, KIPC_REGISTER_CLEAR */
	if (!strcmp(v, "SLOT") || !strcmp(v, "CLEAR")) {
		*out = 1;
		return true;
	}
	errno = 0;
	*out = v[0] == '-' ? (uint64_t)strtoll(v, &end, 0) : strtoull(v, &end, 0);
	if (h)
		*h = (struct hinfo){ true, -1, 0, -1, -1 };
	return !errno && !*end && end != v;
}

/* "0", "fd", "any" or errno names joined by '|': a set, bit 62 for fd. */
static bool rp_result(const char *v, uint64_t *mask)
{
	char buf[128], *save, *tok;

	*mask = 0;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		int e;

		if (!strcmp(tok, "0"))
			*mask |= B(0);
		else if (!strcmp(tok, "fd"))
			*mask |= 1ULL << 62;
		else if (!strcmp(tok, "any"))
			*mask = ~0ULL;
		else {
			for (e = 1; e < NERR; e++)
				if (strerrorname_np(e) && !strcmp(strerrorname_np(e), tok))
					break;
			if (e == NERR)
				return false;
			*mask |= B(e);
		}
	}
	return true;
}

static bool rp_match(uint64_t mask, int ret)
{
	if (ret > 0 || (ret == 0 && (mask & 1ULL << 62)))
		return mask & 1ULL << 62;
	return mask & B(-ret);
}

struct field {
	const char *name;
	size_t off, size;
};

static const struct field ipc_fields[] = {
	{ "fd", offsetof(struct kipc_ipc, fd), 4 },
	{ "flags", offsetof(struct kipc_ipc, flags), 4 },
	{ "st", offsetof(struct kipc_ipc, send_timeout), 8 },
	{ "rt", offsetof(struct kipc_ipc, recv_timeout), 8 },
	{ "r0", offsetof(struct kipc_ipc, __reserved), 8 },
	{ "r1", offsetof(struct kipc_ipc, __reserved) + 8, 8 },
	{ NULL },
}, create_fields[] = {
	{ "flags", offsetof(struct kipc_ep_create, flags), 4 },
	{ "pad", offsetof(struct kipc_ep_create, __pad), 4 },
	{ "r0", offsetof(struct kipc_ep_create, __reserved), 8 },
	{ "r1", offsetof(struct kipc_ep_create, __reserved) + 8, 8 },
	{ "r2", offsetof(struct kipc_ep_create, __reserved) + 16, 8 },
	{ NULL },
}, mint_fields[] = {
	{ "fd", offsetof(struct kipc_ep_mint, fd), 4 },
	{ "rights", offsetof(struct kipc_ep_mint, rights), 4 },
	{ "badge", offsetof(struct kipc_ep_mint, badge), 8 },
	{ "flags", offsetof(struct kipc_ep_mint, flags), 4 },
	{ "pad", offsetof(struct kipc_ep_mint, __pad), 4 },
	{ "r0", offsetof(struct kipc_ep_mint, __reserved), 8 },
	{ "r1", offsetof(struct kipc_ep_mint, __reserved) + 8, 8 },
	{ NULL },
}, register_fields[] = {
	{ "fd", offsetof(struct kipc_register, fd), 4 },
	{ "slot", offsetof(struct kipc_register, slot), 4 },
	{ "flags", offsetof(struct kipc_register, flags), 4 },
	{ "pad", offsetof(struct kipc_register, __pad), 4 },
	{ "r0", offsetof(struct kipc_register, __reserved), 8 },
	{ "r1", offsetof(struct kipc_register, __reserved) + 8, 8 },
	{ NULL },
}, area_fields[] = {
	{ "ep", offsetof(struct kipc_area_args, ep), 4 },
	{ "flags", offsetof(struct kipc_area_args, flags), 4 },
	{ "st", offsetof(struct kipc_area_args, send_timeout), 8 },
	{ "rt", offsetof(struct kipc_area_args, recv_timeout), 8 },
	{ "res", offsetof(struct kipc_area_args, __reserved), 8 },
	{ NULL },
};

static unsigned long rp_cmd(const char *v)
{
	for (int i = 0; i < OP_BADCMD; i++)
		if (!strcmp(v, op_name[i]))
			return op_cmd[i];
	return strtoull(v, NULL, 0);
}

/* The ioctl of a corpus line, from a forked child: the context is not its. */
static int rp_foreign(struct replay *rp, struct fcall *k)
{
	char *w;
	void *p = place(&rp->f, k, arg_size(k->cmd), &w);
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(ioctl(rp->f.c[0].fd, k->cmd, p) < 0 ? errno : 0);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -EIO;
	return -WEXITSTATUS(st);
}

static void rp_ioctl(struct replay *rp, char **tok, int n, uint64_t want)
{
	const struct field *fl;
	struct fcall k;
	bool foreign = false;
	uint64_t v;
	int op, ret;

	memset(&k, 0, sizeof(k));
	k.cmd = rp_cmd(tok[1]);
	op = cmd_op(k.cmd);
	fl = op == OP_CREATE ? create_fields : op == OP_MINT ? mint_fields :
	     is_ipc(op) ? ipc_fields : op == OP_REGISTER ? register_fields :
	     is_area(op) ? area_fields : NULL;
	k.h = H_NONE;
	if (is_ipc(op) || op == OP_MINT)
		k.a.ipc.fd = -1;
	if (op == OP_REGISTER)
		k.a.reg.fd = -1;
	if (is_area(op))
		k.area.ep = -1;
	if (op == OP_VERSION)
		memset(&k.a, 0xa5, sizeof(k.a));
	for (int i = 2; i < n; i++) {
		char *eq = strchr(tok[i], '='), *name = tok[i];
		const struct field *x;

		if (!eq) {
			rp_fail(rp, "bad word '%s'", tok[i]);
			return;
		}
		*eq++ = 0;
		if (!strcmp(name, "target")) {
			foreign = !strcmp(eq, "foreign");
			if (!foreign && !strcmp(eq, "c2"))
				k.target = T_UNMAPPED;
			else if (!foreign && strcmp(eq, "c") && rp_value(rp, eq, &v, NULL)) {
				k.target = T_FD;
				k.tfd = v;
			}
			continue;
		}
		/* ABI 1.6: the call goes to the handle itself (KIPC_FD_SELF). */
		if (!strcmp(name, "self")) {
			k.self = !!atoi(eq);
			continue;
		}
		if (!strcmp(name, "ptr")) {
			char *colon = strchr(eq, ':');

			if (colon)
				*colon++ = 0;
			for (k.ptr = 0; k.ptr < NPTR && strcmp(eq, ptr_name[k.ptr]); k.ptr++)
				;
			if (k.ptr == NPTR) {
				rp_fail(rp, "no pointer kind '%s'", eq);
				return;
			}
			k.off = colon ? atoi(colon) : k.ptr == P_STRADDLE ||
				k.ptr == P_STRADDLE_NONE ? arg_size(k.cmd) / 2 :
				k.ptr == P_MISALIGNED ? 1 : 0;
			continue;
		}
		if (!strcmp(name, "tag")) {
			if (!rp_value(rp, eq, &k.tag, NULL))
				rp_fail(rp, "bad tag '%s'", eq);
			continue;
		}
		if (!strcmp(name, "arg") && is_area(op)) {
			if (!rp_value(rp, eq, &v, NULL))
				rp_fail(rp, "bad arg '%s'", eq);
			k.marg = v;
			continue;
		}
		for (x = fl; x && x->name && strcmp(x->name, name); x++)
			;
		if (!x || !x->name ||
		    !rp_value(rp, eq, &v, !strcmp(name, "fd") || !strcmp(name, "ep") ? &k.h : NULL)) {
			rp_fail(rp, "bad field '%s=%s'", name, eq);
			return;
		}
		memcpy((char *)(is_area(op) ? (void *)&k.area : (void *)&k.a) + x->off, &v, x->size);
	}
	if (is_area(op)) {
		/* A slot holds what the lines before registered; ABI 1.0's view. */
		const struct ctxm *c = &rp->f.c[k.target == T_UNMAPPED];

		if ((k.area.flags & KIPC_ARGS_SLOT) && (__u32)k.area.ep < KIPC_SLOTS)
			k.h = c->slots[k.area.ep];
		k.a.ipc = (struct kipc_ipc){ .fd = k.area.ep, .send_timeout = k.area.send_timeout,
					     .recv_timeout = k.area.recv_timeout };
	}
	ret = foreign ? rp_foreign(rp, &k) : exec_call(&rp->f, &k);
	if (!rp_match(want, ret)) {
		char b[320];

		fmt_call(&k, b, sizeof(b));
		rp_fail(rp, "%s: got %s", b, ret >= 0 ? "0 or a new fd" : ename(-ret));
	}
}

static void *rp_peer(void *arg)
{
	struct replay *rp = arg;
	struct kipc_ipc a = {
		.fd = rp->peer.fd,
		.send_timeout = rp->peer.st,
		.recv_timeout = rp->peer.rt,
	};
	struct kipc_ctx c;

	ctx_open(&c);
	write_msg(c.utcb, rp->peer.tag);
	rp->peer.ret = ioctl(c.fd, op_cmd[rp->peer.op], &a) < 0 ? -errno : 0;
	if (!rp->peer.ret && rp->peer.op == OP_RECV && (c.utcb->tag & KIPC_TAG_F_CALL))
		kipc_reply(&c, KIPC_TAG(KIPC_TAG_LABEL(c.utcb->tag) ^ RX, 0));
	kipc_ctx_close(&c);
	rp->peer.done = 1;
	return NULL;
}

static void rp_start_peer(struct replay *rp, char **tok, int n)
{
	uint64_t v;

	rp->peer.op = !strcmp(tok[1], "send") ? OP_SEND : !strcmp(tok[1], "call") ?
		      OP_CALL : OP_RECV;
	rp->peer.st = rp->peer.rt = 10000 * MS;
	rp->peer.fd = rp->ep;
	rp->peer.tag = KIPC_TAG(0x9ee7, 2);
	for (int i = 2; i < n; i++) {
		char *eq = strchr(tok[i], '=');

		if (!eq || !rp_value(rp, eq + 1, &v, NULL)) {
			rp_fail(rp, "bad word '%s'", tok[i]);
			continue;
		}
		*eq = 0;
		if (!strcmp(tok[i], "fd"))
			rp->peer.fd = v;
		else if (!strcmp(tok[i], "tag"))
			rp->peer.tag = v;
		else if (!strcmp(tok[i], "st"))
			rp->peer.st = v;
		else if (!strcmp(tok[i], "rt"))
			rp->peer.rt = v;
	}
	rp->peer.done = 0;
	rp->peer.on = !pthread_create(&rp->peer.t, NULL, rp_peer, rp);
	for (int i = 0; rp->peer.on && i < 10000; i++) {
		if (fdinfo_value(0, rp->ep, rp->peer.op == OP_RECV ? "receivers-waiting" :
				 "senders-waiting") == 1)
			return;
		if (rp->peer.done)
			break;
		sleep_ms(1);
	}
	rp_fail(rp, "the peer does not wait (%s)", rp->peer.done ? ename(-rp->peer.ret) : "");
}

struct rrace {
	struct replay *rp;
	bool area;		/* ABI 1.2: both through registered slots */
	volatile int stop, client_done;
	volatile pid_t client_tid;
	long calls, ok, bad, msgs, dups;
	uint64_t last;
};

static void *rr_server(void *arg)
{
	struct rrace *r = arg;
	uint64_t tag = 0;
	struct kipc_ctx c;

	ctx_open(&c);
	if (r->area && kipc_register(&c, 0, r->rp->r))
		r->bad++;
	while (!r->client_done) {
		uint64_t l;

		if (tag && r->area && (r->msgs & 1)) {
			/* KIPC_IOC_MREPLY: no endpoint, -1 in the area */
			c.utcb->tag = tag;
			c.utcb->args = (struct kipc_area_args){ .ep = -1 };
			ioctl(c.fd, KIPC_IOC_MREPLY, 0);
		} else if (tag) {
			kipc_reply(&c, tag);
		}
		tag = 0;
		for (volatile int i = 0; i < 2000 + (int)(now_ns() % 4000); i++)
			;
		if (kipc_recv(&c, r->area ? KIPC_SLOT(0) : r->rp->r, 20 * MS))
			continue;
		l = KIPC_TAG_LABEL(kipc_tag(&c));
		r->msgs++;
		if (l <= r->last)
			r->dups++;
		r->last = l;
		tag = KIPC_TAG(l ^ RX, 0);
	}
	kipc_ctx_close(&c);
	return NULL;
}

static void *rr_client(void *arg)
{
	struct rrace *r = arg;
	struct kipc_ctx c;

	ctx_open(&c);
	if (r->area && kipc_register(&c, 0, r->rp->s))
		r->bad++;
	r->client_tid = gettid_();
	for (uint64_t l = 1; !r->stop; l++) {
		int ret = kipc_call(&c, r->area ? KIPC_SLOT(0) : r->rp->s, KIPC_TAG(l, 0), INF);

		r->calls++;
		if (!ret && KIPC_TAG_LABEL(kipc_tag(&c)) == (l ^ RX))
			r->ok++;
		else if (ret != -EINTR)
			r->bad++;
	}
	r->client_done = 1;
	kipc_ctx_close(&c);
	return NULL;
}

/*
 * Commit 435d35d: a restarted call must never be delivered twice.  With
 * @area, the call is KIPC_IOC_MCALL through a slot and the server
 * receives through one (ABI 1.2): the restart re-reads the area.
 */
static void race_restart_call(struct replay *rp, unsigned int seconds, bool area)
{
	static struct rrace r;
	pthread_t s, c;
	uint64_t end;

	memset(&r, 0, sizeof(r));
	r.rp = rp;
	r.area = area;
	catch_signal(SIGUSR1, 1);
	if (pthread_create(&s, NULL, rr_server, &r) || pthread_create(&c, NULL, rr_client, &r)) {
		rp_fail(rp, "pthread_create");
		return;
	}
	while (!r.client_tid)
		sleep_ms(1);
	for (end = now_ns() + seconds * 1000 * MS; now_ns() < end;) {
		syscall(SYS_tgkill, getpid(), r.client_tid, SIGUSR1);
		for (volatile int i = 0; i < 300; i++)
			;
	}
	r.stop = 1;
	syscall(SYS_tgkill, getpid(), r.client_tid, SIGUSR1);
	pthread_join(c, NULL);
	pthread_join(s, NULL);
	ksft_print_msg("%s: %ld calls, %ld answered, %ld messages served\n", rp->file,
		       r.calls, r.ok, r.msgs);
	if (r.bad || r.dups || r.ok < 10)
		rp_fail(rp, "%ld calls failed wrongly, %ld delivered twice, %ld answered",
			r.bad, r.dups, r.ok);
}

struct dl_race {
	volatile int done;
	pid_t tid;
	unsigned int every_us, max_ms;
};

static void *dl_signaller(void *arg)
{
	struct dl_race *d = arg;
	uint64_t end = now_ns() + d->max_ms * MS;

	while (!d->done && now_ns() < end) {
		syscall(SYS_tgkill, getpid(), d->tid, SIGUSR1);
		usleep(d->every_us);
	}
	return NULL;
}

/*
 * A call whose send phase has no end but whose whole call is bounded by
 * rt, under an SA_RESTART handler: restarts must not push the deadline.
 */
static void race_call_deadline(struct replay *rp, unsigned int rt_ms, unsigned int every_us,
			       bool area)
{
	struct dl_race d = { .tid = gettid_(), .every_us = every_us,
			     .max_ms = 5 * rt_ms + 3000 };
	struct kipc_ipc a = { .fd = rp->s, .send_timeout = KIPC_TIMEOUT_INFINITE,
			      .recv_timeout = rt_ms * MS };
	struct kipc_ctx c = { rp->f.c[0].fd, rp->f.c[0].u };
	uint64_t t0, el;
	pthread_t t;
	int ret;

	catch_signal(SIGUSR1, 1);
	rp->f.c[0].u->tag = KIPC_TAG(0xdead1, 0);
	/* ABI 1.2: KIPC_IOC_MCALL through slot 14, which is cleared again. */
	if (area && kipc_register(&c, 14, rp->s)) {
		rp_fail(rp, "cannot register");
		return;
	}
	rp->f.c[0].u->args = (struct kipc_area_args){
		.ep = 14, .flags = KIPC_ARGS_SLOT, .send_timeout = a.send_timeout,
		.recv_timeout = a.recv_timeout,
	};
	if (pthread_create(&t, NULL, dl_signaller, &d)) {
		rp_fail(rp, "pthread_create");
		return;
	}
	t0 = now_ns();
	if (area)
		ret = ioctl(c.fd, KIPC_IOC_MCALL, 0) < 0 ? errno : 0;
	else
		ret = ioctl(c.fd, KIPC_IOC_CALL, &a) < 0 ? errno : 0;
	el = now_ns() - t0;
	d.done = 1;
	pthread_join(t, NULL);
	if (area)
		kipc_unregister(&c, 14);
	ksft_print_msg("%s: %s with rt %u ms under a signal every %u us: %s after %llu ms\n",
		       rp->file, area ? "MCALL through a slot" : "call", rt_ms, every_us,
		       ename(ret), (unsigned long long)(el / MS));
	if ((ret != ETIMEDOUT && ret != EINTR) || el > (rt_ms + 1000) * MS)
		rp_fail(rp, "the call ended with %s after %llu ms, its deadline was %u ms",
			ename(ret), (unsigned long long)(el / MS), rt_ms);
}

static void rp_race(struct replay *rp, char **tok, int n)
{
	unsigned int arg[2] = { 3, 1000 };

	for (int i = 2; i < n && i < 4; i++) {
		char *eq = strchr(tok[i], '=');

		arg[i - 2] = eq ? strtoul(eq + 1, NULL, 0) : 0;
	}
	if (!strcmp(tok[1], "restart_call") || !strcmp(tok[1], "restart_mcall"))
		race_restart_call(rp, arg[0], tok[1][8] == 'm');
	else if (!strcmp(tok[1], "call_deadline") || !strcmp(tok[1], "mcall_deadline"))
		race_call_deadline(rp, arg[0], arg[1], tok[1][0] == 'm');
	else
		rp_fail(rp, "no race '%s'", tok[1]);
	signal(SIGUSR1, SIG_DFL);
}

static int rp_setup(struct replay *rp)
{
	struct kipc_ctx c;
	int p[2];

	memset(&rp->f, 0, sizeof(rp->f));
	rp->f.r = g_seed;
	rp->f.slot = -1;
	rp->f.w = rp->f.t = -1;
	if (fz_setup(&rp->f) || map_alias(&rp->f.flip, &rp->f.flip_w, PROT_READ | PROT_WRITE))
		return -1;
	c = (struct kipc_ctx){ rp->f.c[0].fd, rp->f.c[0].u };
	rp->ep = kipc_ep_create(&c, 0);
	rp->s = kipc_ep_mint(&c, rp->ep, KIPC_RIGHT_SEND, 7, KIPC_MINT_BADGE);
	rp->r = kipc_ep_mint(&c, rp->ep, KIPC_RIGHT_RECV, 0, 0);
	rp->g = kipc_ep_mint(&c, rp->ep, KIPC_RIGHT_GRANT, 0, 0);
	if (rp->ep < 0 || rp->s < 0 || rp->r < 0 || rp->g < 0 || pipe(p))
		return -1;
	rp->pipe[0] = p[0];
	rp->pipe[1] = p[1];
	rp->devnull = open("/dev/null", O_RDWR);
	rp->efd = eventfd(0, 0);
	rp->closed = open("/dev/null", O_RDONLY);
	close(rp->closed);
	return 0;
}

static void rp_teardown(struct replay *rp)
{
	const int fds[] = { rp->ep, rp->s, rp->r, rp->g, rp->pipe[0], rp->pipe[1],
			    rp->devnull, rp->efd, rp->f.c[1].fd };

	if (rp->peer.on)
		pthread_join(rp->peer.t, NULL);
	rp->peer.on = false;
	for (int i = 0; i < ARRAY_SIZE(fds); i++)
		close(fds[i]);
	munmap(rp->f.c[0].u, PAGE);
	close(rp->f.c[0].fd);
	munmap(rp->f.arena, 6 * PAGE);
	munmap(rp->f.ro, PAGE);
	munmap(rp->f.ro_w, PAGE);
	munmap(rp->f.flip, PAGE);
	munmap(rp->f.flip_w, PAGE);
}

/* Run one corpus file; returns the number of mismatches. */
static int replay(const char *name, const char *text, size_t len)
{
	struct replay rp = { .file = name };
	char line[512], *tok[24], *save;
	static struct fdtab fds0, fds1;
	size_t pos = 0;

	fd_snapshot(&fds0);
	if (rp_setup(&rp)) {
		ksft_print_msg("%s: setup: %s\n", name, strerror(errno));
		return 1;
	}
	while (pos < len) {
		size_t l = strcspn(text + pos, "\n");
		uint64_t want = ~0ULL;
		int n = 0;

		snprintf(line, sizeof(line), "%.*s", (int)l, text + pos);
		pos += l + 1;
		rp.line++;
		line[strcspn(line, "#")] = 0;
		for (char *t = strtok_r(line, " \t", &save); t && n < ARRAY_SIZE(tok);
		     t = strtok_r(NULL, " \t", &save))
			tok[n++] = t;
		if (n >= 2 && !strcmp(tok[n - 2], "->")) {
			if (!rp_result(tok[n - 1], &want))
				rp_fail(&rp, "bad result '%s'", tok[n - 1]);
			n -= 2;
		}
		if (!n)
			continue;
		if (!strcmp(tok[0], "ioctl") && n >= 2) {
			rp_ioctl(&rp, tok, n, want);
		} else if (!strcmp(tok[0], "peer") && n >= 2) {
			rp_start_peer(&rp, tok, n);
		} else if (!strcmp(tok[0], "join")) {
			if (rp.peer.on)
				pthread_join(rp.peer.t, NULL);
			if (!rp.peer.on || !rp_match(want, rp.peer.ret))
				rp_fail(&rp, "peer ended with %s", ename(-rp.peer.ret));
			rp.peer.on = false;
		} else if (!strcmp(tok[0], "race") && n >= 2) {
			rp_race(&rp, tok, n);
		} else {
			rp_fail(&rp, "unknown line '%s'", tok[0]);
		}
	}
	rp_teardown(&rp);
	/* Its own descriptors closed, the table is as it was. */
	fd_snapshot(&fds1);
	rp.bad += fd_diff(name, &fds0, &fds1);
	return rp.bad;
}

TEST_F_TIMEOUT(fuzz, corpus, 120)
{
	int bad = 0;

	for (int i = 0; i < ARRAY_SIZE(corpus); i++) {
		int b = replay(corpus[i].name, corpus[i].start, corpus[i].end - corpus[i].start);

		TH_LOG("%s: %s", corpus[i].name, b ? "FAIL" : "ok");
		bad += b;
	}
	for (int i = 0; i < NMSG && i < SH->nmsg; i++)
		ksft_print_msg("failure: %s\n", SH->msg[i]);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, SH->failures);
}

static const char *const stat_keys[] = {
	"contexts", "endpoints", "handles", "names", "inflight",
};

TEST_F_TIMEOUT(fuzz, random, 450)
{
	uint64_t start, now, next_kill, el, calls;
	long base[ARRAY_SIZE(stat_keys)];
	static struct fdtab fds0, fds1;
	int hung = 0, left;

	TH_LOG("seed %#llx (KIPC_FUZZ_SEED), %llu calls (KIPC_FUZZ_CALLS), %d workers x %d threads",
	       (unsigned long long)g_seed, (unsigned long long)SH->budget, NWORK, NTHR);
	memset(&C, 0, sizeof(C));
	C.r = g_seed;
	for (int i = 0; i < ARRAY_SIZE(stat_keys); i++)
		base[i] = kipc_stat(stat_keys[i]);
	fd_snapshot(&fds0);
	ASSERT_EQ(0, ctl_setup());
	catch_signal(SIGUSR1, 0);
	for (int w = 0; w < NWORK; w++)
		ASSERT_LT(0, start_worker(w));

	start = now_ns();
	next_kill = start + (300 + crnd() % 700) * MS;
	while (__atomic_load_n(&SH->calls, __ATOMIC_RELAXED) < SH->budget) {
		int s = crnd() % NSLOT, tid = __atomic_load_n(&SH->slot[s].tid, __ATOMIC_ACQUIRE);

		for (int i = crnd() % 32 ? 1 : 30; tid && i > 0; i--)
			if (!syscall(SYS_tgkill, SH->slot[s].pid, tid, SIGUSR1))
				SH->signals++;
		now = now_ns();
		if (now >= next_kill) {
			int w = crnd() % NWORK;

			if (C.pid[w] > 0) {
				kill(C.pid[w], SIGKILL);
				SH->kills++;
			}
			next_kill = now + (300 + crnd() % 700) * MS;
		}
		reap_workers(true);
		hung += watch(now, false);
		usleep(300 + crnd() % 1200);
	}

	/* Stop: signals and partners end every wait. */
	el = now_ns() - start;
	calls = SH->calls;
	__atomic_store_n(&SH->stop, 1, __ATOMIC_RELEASE);
	for (uint64_t t0 = now_ns(), end = t0 + g_hang; now_ns() < end;) {
		bool alive = false;

		reap_workers(false);
		for (int w = 0; w < NWORK; w++)
			alive |= C.pid[w] > 0;
		if (!alive)
			break;
		/* Signals end waits without end; then deadlines must do. */
		for (int s = 0; s < NSLOT && now_ns() < t0 + 2000 * MS; s++) {
			int tid = __atomic_load_n(&SH->slot[s].tid, __ATOMIC_ACQUIRE);

			if (tid)
				syscall(SYS_tgkill, SH->slot[s].pid, tid, SIGUSR1);
		}
		for (int e = 0; e < NV; e++)
			poke(e);
		hung += watch(now_ns(), true);
		usleep(2000);
	}
	for (int w = 0; w < NWORK; w++) {
		if (C.pid[w] <= 0)
			continue;
		ksft_print_msg("worker %d (pid %d) did not stop\n", w, C.pid[w]);
		for (int t = 0; t < NTHR; t++)
			if (SH->slot[w * NTHR + t].tid)
				dump_thread(w * NTHR + t);
		hung++;
		kill(C.pid[w], SIGKILL);
		waitpid(C.pid[w], NULL, 0);
		C.pid[w] = 0;
	}

	ksft_print_msg("fuzz: %llu calls in %.1f s, %.0f calls/s, seed %#llx\n",
		       (unsigned long long)calls, el / 1e9, calls / (el / 1e9),
		       (unsigned long long)g_seed);
	print_hist();
	ksft_print_msg("fuzz: %llu checked messages and replies received by area operations (slots and descriptors)\n",
		       (unsigned long long)SH->checked_area);
	ksft_print_msg("fuzz: %llu checked messages, %llu checked replies, %llu forks, %llu workers killed, %llu ended themselves, %llu signals, %llu partner pokes, latest return %.1f ms past a deadline\n",
		       (unsigned long long)SH->checked_msgs,
		       (unsigned long long)SH->checked_replies, (unsigned long long)SH->forks,
		       (unsigned long long)SH->kills, (unsigned long long)SH->exits,
		       (unsigned long long)SH->signals, (unsigned long long)SH->rescues,
		       SH->max_late / 1e6);
	if (SH->max_late)
		ksft_print_msg("fuzz: that was %s\n", SH->late_call);

	/* Everybody is gone: nothing waits, the handles are the controller's. */
	for (int e = 0; e < NE; e++) {
		EXPECT_EQ(0, wait_fdinfo(CTL(e), "senders-waiting", 0)) TH_LOG("endpoint %d", e);
		EXPECT_EQ(0, wait_fdinfo(CTL(e), "receivers-waiting", 0)) TH_LOG("endpoint %d", e);
		EXPECT_EQ(0, wait_fdinfo(CTL(e), "send-handles", C.sendh[e]))
			TH_LOG("endpoint %d: %ld send handles, want %d", e,
			       fdinfo_value(0, CTL(e), "send-handles"), C.sendh[e]);
		EXPECT_EQ(0, wait_fdinfo(CTL(e), "recv-handles", C.recvh[e]))
			TH_LOG("endpoint %d: %ld recv handles, want %d", e,
			       fdinfo_value(0, CTL(e), "recv-handles"), C.recvh[e]);
	}
	/* Endpoints of dead processes die with their last handle. */
	for (int i = 0; i < 500 && count_endpoints(getpid(), false) > 0; i++)
		sleep_ms(10);
	left = count_endpoints(getpid(), true);
	EXPECT_EQ(0, left) TH_LOG("endpoints of dead fuzz processes are still listed");
	for (int fd = POOL_BASE; fd < CTRL_BASE + NE; fd++)
		close(fd);
	kipc_ctx_close(&C.c);
	/* The controller's table is as before: nothing installed behind it. */
	fd_snapshot(&fds1);
	EXPECT_EQ(0, fd_diff("controller", &fds0, &fds1));
	for (int i = 0; i < 500 && count_endpoints(0, false) > 0; i++)
		sleep_ms(10);
	EXPECT_EQ(0, count_endpoints(0, true)) TH_LOG("endpoints left after the last close");
	/* The module's own count of live objects is back where it was. */
	for (int i = 0; i < ARRAY_SIZE(stat_keys); i++) {
		for (int j = 0; j < 500 && kipc_stat(stat_keys[i]) != base[i]; j++)
			sleep_ms(10);
		EXPECT_EQ(base[i], kipc_stat(stat_keys[i])) TH_LOG("/proc/kipc/stats %s", stat_keys[i]);
	}

	for (int i = 0; i < NMSG && i < SH->nmsg; i++)
		ksft_print_msg("failure: %s\n", SH->msg[i]);
	EXPECT_EQ(0, hung);
	EXPECT_EQ(0, SH->failures);
	EXPECT_LE(SH->budget, calls);
}

/*
 * The harness wants the timeout at compile time; the run length is not.
 * At least 1000 calls/s (divided by kipcslow on a slow kernel), and within
 * the guest's limit for the binary (KIPC_BIN_TIMEOUT, vm/guest/check.sh)
 * less what the corpus may take.
 */
static void __attribute__((constructor)) fuzz_timeout(void)
{
	long calls = env_num("KIPC_FUZZ_CALLS", DEFAULT_CALLS);
	long slow = env_num("kipcslow", 1);
	long limit = env_num("KIPC_BIN_TIMEOUT", 600) - 150;
	long want = 60 + calls * slow / 1000;

	_fuzz_random_object.timeout = want < limit ? want : limit;
}

/*
 * ---- fuzz.async: notifications, bind, cancel, poll and io_uring ----
 *
 * One thread, one ring, AC contexts, a pool of fds (endpoints with every
 * kind of right, notifications, a pipe, a closed fd, -1), and random
 * calls: signal, wait (poll only), bind and unbind, cancel, poll(), sync
 * sends and calls that meet asynchronous partners, and every io_uring
 * operation with mutated fd, flags, timeout and cmd_op.  The oracle: every
 * result (ioctl or CQE) is one the README allows for the call, exact where
 * the arguments alone decide it (EINVAL, ENOTTY); every message received
 * is intact (registers derived from its label); every submission gets
 * exactly one CQE; at the end, after cancelling, nothing waits anywhere
 * and /proc/kipc/stats is back where it started.
 */
enum { AC = 8, APOOL = 12, AQ = 64 };

struct afz {
	struct fz f;
	struct io_uring ring;
	struct kipc_ctx c[AC];
	int pool[APOOL];
	int pending[AC];	/* submissions without their CQE */
	int slot[AC + 1][KIPC_SLOTS];	/* pool index registered there, -1: none
					 * (the ring's contexts, then sc) */
	unsigned int inflight;
	uint64_t label;
	int bad;
	uint64_t ops, cqes;
};

static const int aerrs[] = {
	0, EINVAL, EFAULT, ENOTTY, EBADF, EPERM, EBUSY, EAGAIN, EPIPE,
	ECONNRESET, ENOENT, ECANCELED, ETIMEDOUT,
};

/* A bit per errno kipc may return here; bit 0: success. */
static uint64_t abit(int e)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(aerrs); i++)
		if (aerrs[i] == e)
			return 1ULL << i;
	return 1ULL << 63;	/* anything else: never allowed */
}

#define B_(e)	abit(e)
#define A_OK	1ULL		/* result 0 */

static bool ares_ok(uint64_t allowed, int ret)
{
	if (ret > 0)
		return false;
	return allowed & abit(-ret) & ~(1ULL << 63);
}

static void __attribute__((format(printf, 2, 3))) afail(struct afz *a, const char *fmt, ...)
{
	va_list ap;

	if (a->bad++ >= 10)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A message arrived in @c: a notification, or registers from its label. */
static void acheck_msg(struct afz *a, struct kipc_ctx *c, const char *what)
{
	uint64_t tag = c->utcb->tag;

	if (c->utcb->status & KIPC_ST_NOTIFY) {
		if (!c->utcb->badge)
			afail(a, "%s: a notification without bits", what);
		return;
	}
	for (unsigned int i = 0; i < KIPC_TAG_NR(tag); i++) {
		if (c->utcb->mr[i] != val(KIPC_TAG_LABEL(tag), i)) {
			afail(a, "%s: tag %#llx register %u is %#llx", what,
			      (unsigned long long)tag, i,
			      (unsigned long long)c->utcb->mr[i]);
			return;
		}
	}
}

static uint64_t anew_tag(struct afz *a)
{
	uint64_t tag = KIPC_TAG(++a->label, rn(&a->f, 9));

	return tag;
}

static uint64_t atimeout(struct afz *a)
{
	switch (rn(&a->f, 8)) {
	case 0:
		return 1 + rn(&a->f, 1000000);	/* finite: EINVAL on a ring */
	case 1:
	case 2:
		return KIPC_TIMEOUT_POLL;
	default:
		return INF;
	}
}

static const unsigned int aops[] = {
	KIPC_IOC_SEND, KIPC_IOC_RECV, KIPC_IOC_CALL, KIPC_IOC_REPLY,
	KIPC_IOC_REPLY_RECV, KIPC_IOC_NTFN_WAIT, KIPC_IOC_CANCEL,
};

/* What a CQE of @op may say. */
static uint64_t aallowed(unsigned int op)
{
	uint64_t common = B_(EINVAL) | B_(EBUSY) | B_(EBADF);

	switch (op) {
	case KIPC_IOC_SEND:
	case KIPC_IOC_CALL:
		return A_OK | common | B_(EAGAIN) | B_(EPIPE) | B_(EPERM) |
		       B_(ECANCELED) | B_(ECONNRESET);
	case KIPC_IOC_RECV:
	case KIPC_IOC_REPLY_RECV:
		return A_OK | common | B_(EAGAIN) | B_(EPIPE) | B_(EPERM) |
		       B_(ECANCELED);
	case KIPC_IOC_REPLY:
		return A_OK | B_(EINVAL) | B_(EBUSY) | B_(ENOENT) | B_(ECONNRESET);
	case KIPC_IOC_NTFN_WAIT:
		return A_OK | common | B_(EAGAIN) | B_(EPIPE) | B_(ECANCELED);
	case KIPC_IOC_CANCEL:
		return A_OK | B_(ENOENT) | B_(EINVAL);
	}
	return B_(ENOTTY);
}

/* Rights of the pool's entries: endpoint handles, then other fds (-1). */
static const int apool_rights[APOOL] = {
	KIPC_RIGHTS_ALL, KIPC_RIGHTS_ALL, KIPC_RIGHT_SEND, KIPC_RIGHT_RECV,
	KIPC_RIGHT_SEND, KIPC_RIGHT_GRANT, -1, -1, -1, -1, -1, -1,
};

static bool aknown(unsigned int op)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(aops); i++)
		if (aops[i] == op)
			return true;
	return false;
}

/*
 * The one result a command must have, where its arguments decide it (0:
 * not decided).  With KIPC_ARGS_SLOT (ABI 1.2) @fd is a slot of context
 * @ci: out of range, or for a notification wait or a cancel, EINVAL;
 * reply takes none (EINVAL).  On a context with nothing in flight (no CQE
 * outstanding: an operation ends before its CQE is posted) the checks
 * come in the documented order: a finite timeout (EINVAL), then the
 * slot: empty (EBADF), without the right (EPERM).
 */
static int aexact(struct afz *a, unsigned int ci, unsigned int op, int fd,
		  unsigned int flags, uint64_t timeout)
{
	bool finite = timeout != KIPC_TIMEOUT_POLL && timeout != KIPC_TIMEOUT_INFINITE;
	unsigned int right;
	int pi;

	if (!aknown(op))
		return 0;
	if (flags & ~KIPC_ARGS_SLOT)
		return EINVAL;
	if (!flags)
		return 0;
	if ((__u32)fd >= KIPC_SLOTS || op == KIPC_IOC_NTFN_WAIT || op == KIPC_IOC_CANCEL)
		return EINVAL;
	if (op == KIPC_IOC_REPLY)
		return timeout || !a->pending[ci] ? EINVAL : 0;
	if (a->pending[ci])
		return 0;
	if (finite)
		return EINVAL;
	pi = a->slot[ci][fd];
	if (pi < 0)
		return EBADF;
	right = op == KIPC_IOC_SEND || op == KIPC_IOC_CALL ? KIPC_RIGHT_SEND : KIPC_RIGHT_RECV;
	return apool_rights[pi] & right ? 0 : EPERM;
}

static void asubmit(struct afz *a)
{
	static const int abad_slots[] = { KIPC_SLOTS, KIPC_SLOTS + 1, -1, 1000 };
	struct io_uring_sqe *sqe;
	unsigned int ci = rn(&a->f, AC), op, flags = 0;
	struct kipc_ctx *c = &a->c[ci];
	uint64_t timeout = atimeout(a);
	int fd = a->pool[rn(&a->f, APOOL)], exact;

	if (a->inflight >= AQ - 1)
		return;
	op = one_in(&a->f, 20) ? _IOW(KIPC_IOC_MAGIC, rn(&a->f, 64), struct kipc_ipc) :
	     aops[rn(&a->f, ARRAY_SIZE(aops))];
	if (op == KIPC_IOC_REPLY || op == KIPC_IOC_CANCEL) {
		fd = one_in(&a->f, 8) ? fd : -1;
		timeout = one_in(&a->f, 8) ? timeout : 0;
	}
	if (op != KIPC_IOC_RECV && op != KIPC_IOC_NTFN_WAIT && op != KIPC_IOC_CANCEL &&
	    !a->pending[ci])
		write_msg(c->utcb, anew_tag(a));
	sqe = io_uring_get_sqe(&a->ring);
	if (!sqe)
		return;
	/* ABI 1.2: a registered slot instead of a descriptor. */
	if (one_in(&a->f, 3)) {
		flags = KIPC_ARGS_SLOT;
		fd = one_in(&a->f, 12) ? abad_slots[rn(&a->f, ARRAY_SIZE(abad_slots))] :
		     (int)rn(&a->f, KIPC_SLOTS);
	}
	if (one_in(&a->f, 16))
		flags = 1u << rn(&a->f, 32);
	kipc_prep_cmd(sqe, c, op, fd, timeout);
	((struct kipc_uring_cmd *)sqe->cmd)->flags = flags;
	exact = aexact(a, ci, op, fd, flags, timeout);
	/* user_data: context, op, the result if it is certain */
	io_uring_sqe_set_data64(sqe, ci | (uint64_t)op << 8 | (uint64_t)exact << 40);
	if (io_uring_submit(&a->ring) != 1) {
		afail(a, "submit failed");
		return;
	}
	a->pending[ci]++;
	a->inflight++;
	a->ops++;
}

static void ahandle_cqe(struct afz *a, struct io_uring_cqe *cqe)
{
	uint64_t d = io_uring_cqe_get_data64(cqe);
	unsigned int ci = d & 0xff, op = (d >> 8) & 0xffffffff;
	int exact = d >> 40;
	int res = cqe->res;
	bool known = aknown(op);

	a->cqes++;
	if (ci >= AC || !a->pending[ci]) {
		afail(a, "CQE for context %u that has nothing pending", ci);
		return;
	}
	a->pending[ci]--;
	a->inflight--;
	if (!known && (unsigned int)_IOC_NR(op) != 0x11 && res != -ENOTTY)
		afail(a, "unknown op %#x: %d", op, res);
	else if (exact && known && res != -exact)
		afail(a, "op %#x on context %u: %d, not %d", op, ci, res, -exact);
	else if (!ares_ok(aallowed(op), res))
		afail(a, "op %#x: result %d is not allowed", op, res);
	if (res == 0 && (op == KIPC_IOC_RECV || op == KIPC_IOC_REPLY_RECV ||
			 op == KIPC_IOC_CALL || op == KIPC_IOC_NTFN_WAIT))
		acheck_msg(a, &a->c[ci], "uring");
}

static void areap(struct afz *a, bool wait)
{
	struct io_uring_cqe *cqe;

	while (a->inflight) {
		int r = wait ? io_uring_wait_cqe(&a->ring, &cqe) :
			       io_uring_peek_cqe(&a->ring, &cqe);

		if (r == -EINTR)
			continue;
		if (r)
			return;
		ahandle_cqe(a, cqe);
		io_uring_cqe_seen(&a->ring, cqe);
		if (wait)
			return;
	}
}

/*
 * KIPC_IOC_REGISTER on a ring's context or on sc: fill or clear a slot
 * (or one out of range).  Exact on a context with nothing in flight; with
 * a command in flight EBUSY too (or not: it may have ended, its CQE not
 * yet reaped).  sc runs nothing between steps: never EBUSY.
 */
static void aregister(struct afz *a, struct kipc_ctx *sc)
{
	unsigned int ci = rn(&a->f, AC + 1), s = rn(&a->f, KIPC_SLOTS + 1);
	struct kipc_ctx *c = ci < AC ? &a->c[ci] : sc;
	int pi = rn(&a->f, APOOL), want, r;
	struct kipc_register reg = { .fd = a->pool[pi], .slot = s };

	if (one_in(&a->f, 4)) {
		reg.fd = -1;
		reg.flags = KIPC_REGISTER_CLEAR;
	}
	r = ioctl(c->fd, KIPC_IOC_REGISTER, &reg) ? -errno : 0;
	want = s >= KIPC_SLOTS ? -EINVAL : reg.flags || apool_rights[pi] >= 0 ? 0 : -EBADF;
	if (r != want && !(r == -EBUSY && want != -EINVAL && ci < AC && a->pending[ci]))
		afail(a, "register slot %u of context %u (pool %d%s, %d pending): %d, not %d",
		      s, ci, pi, reg.flags ? ", clear" : "", ci < AC ? a->pending[ci] : 0, r, want);
	if (!r)
		a->slot[ci][s] = reg.flags ? -1 : pi;
}

/*
 * A registered handle's descriptor goes and a new one with the same
 * rights and badge takes its place in the pool: the slots that hold the
 * old one go on working.
 */
static void areplace(struct afz *a, struct kipc_ctx *sc)
{
	static const uint64_t badge[APOOL] = { [2] = 5 };
	int j = 2 + rn(&a->f, 4);
	int fd = kipc_ep_mint(sc, a->pool[j < 4 ? 0 : 1], apool_rights[j], badge[j],
			      badge[j] ? KIPC_MINT_BADGE : 0);

	if (fd < 0) {
		afail(a, "mint: %d", fd);
		return;
	}
	close(a->pool[j]);
	a->pool[j] = fd;
}

static void astep(struct afz *a, struct kipc_ctx *sc)
{
	struct kipc_notify n = { .fd = a->pool[rn(&a->f, APOOL)] };
	struct kipc_notify_bind b = {
		.fd = a->pool[rn(&a->f, APOOL)], .ep = a->pool[rn(&a->f, APOOL)],
	};
	struct pollfd p = { .fd = a->pool[rn(&a->f, APOOL)], .events = POLLIN | POLLOUT };
	bool inval = false;
	int r;

	switch (rn(&a->f, 13)) {
	case 0:		/* signal */
		n.bits = one_in(&a->f, 10) ? 0 : rnd(&a->f);
		if (one_in(&a->f, 10)) {
			n.flags = 1;
			inval = true;
		}
		if (one_in(&a->f, 10)) {
			n.__reserved[rn(&a->f, 2)] = 1;
			inval = true;
		}
		inval |= !n.bits;
		r = ioctl(sc->fd, KIPC_IOC_NTFN_SIGNAL, one_in(&a->f, 30) ? NULL : &n) ? -errno : 0;
		if (r == -EFAULT)
			break;
		if (inval ? r != -EINVAL : !ares_ok(A_OK | B_(EBADF), r))
			afail(a, "signal %d: %d", n.fd, r);
		break;
	case 1:		/* wait, without blocking, on the sync context */
		n.timeout = KIPC_TIMEOUT_POLL;
		if (one_in(&a->f, 10)) {
			n.bits = 1;
			inval = true;
		}
		r = ioctl(sc->fd, KIPC_IOC_NTFN_WAIT, &n) ? -errno : 0;
		if (inval ? r != -EINVAL :
		    !ares_ok(A_OK | B_(EAGAIN) | B_(EBADF) | B_(EBUSY) | B_(EPIPE), r))
			afail(a, "wait %d: %d", n.fd, r);
		if (!r)
			acheck_msg(a, sc, "wait");
		break;
	case 2:		/* bind, unbind */
		b.flags = one_in(&a->f, 2) ? KIPC_NTFN_UNBIND : one_in(&a->f, 10) ? 4 : 0;
		r = ioctl(sc->fd, KIPC_IOC_NTFN_BIND, &b) ? -errno : 0;
		if (b.flags & 4 ? r != -EINVAL :
		    !ares_ok(A_OK | B_(EINVAL) | B_(EBADF) | B_(EPERM) | B_(EBUSY), r))
			afail(a, "bind %d %d flags %u: %d", b.fd, b.ep, b.flags, r);
		break;
	case 3:		/* cancel what waits on one of the ring's contexts */
		r = kipc_cancel(&a->c[rn(&a->f, AC)]);
		if (!ares_ok(A_OK | B_(ENOENT), r))
			afail(a, "cancel: %d", r);
		break;
	case 4:		/* poll */
		r = poll(&p, 1, 0);
		if (r < 0 || (p.revents & ~(POLLIN | POLLOUT | POLLHUP | POLLNVAL)))
			afail(a, "poll %d: %d revents %#x", p.fd, r, p.revents);
		break;
	case 5:		/* a sync partner for the ring's operations */
	case 6:
		write_msg(sc->utcb, anew_tag(a));
		/* through a slot of sc now and then (ABI 1.2, KIPC_IOC_MSEND/_MCALL) */
		if (one_in(&a->f, 3))
			n.fd = KIPC_SLOT(rn(&a->f, KIPC_SLOTS));
		/* a call delivered to a ring's receiver: nobody replies at once */
		r = one_in(&a->f, 2) ?
		    kipc_call(sc, n.fd, sc->utcb->tag, KIPC_TIMEOUT_POLL) :
		    kipc_send(sc, n.fd, sc->utcb->tag, KIPC_TIMEOUT_POLL);
		if (!ares_ok(A_OK | B_(EAGAIN) | B_(EPIPE) | B_(EPERM) | B_(EBADF) |
			     B_(ECONNRESET) | B_(ETIMEDOUT), r))
			afail(a, "sync send/call %d: %d", n.fd, r);
		if (!r)
			acheck_msg(a, sc, "sync call");
		break;
	case 7:
		if (one_in(&a->f, 3))
			n.fd = KIPC_SLOT(rn(&a->f, KIPC_SLOTS));
		r = kipc_recv(sc, n.fd, KIPC_TIMEOUT_POLL);
		if (!ares_ok(A_OK | B_(EAGAIN) | B_(EPIPE) | B_(EPERM) | B_(EBADF), r))
			afail(a, "sync recv %d: %d", n.fd, r);
		if (!r) {
			acheck_msg(a, sc, "sync recv");
			if (sc->utcb->tag & KIPC_TAG_F_CALL) {
				write_msg(sc->utcb, anew_tag(a));
				r = kipc_reply(sc, sc->utcb->tag);
				if (!ares_ok(A_OK | B_(ECONNRESET), r))
					afail(a, "sync reply: %d", r);
			}
		}
		break;
	case 8:
		aregister(a, sc);
		break;
	case 9:
		if (one_in(&a->f, 4))
			areplace(a, sc);
		else
			aregister(a, sc);
		break;
	default:
		asubmit(a);
		areap(a, false);
		break;
	}
}

TEST_F_TIMEOUT(fuzz, async, 300)
{
	static const char *const keys[] = { "contexts", "endpoints", "handles",
					    "notifications", "async" };
	uint64_t calls = SH->budget / 10, seed = g_seed ^ 0xa5;
	long base[ARRAY_SIZE(keys)];
	struct kipc_ctx sc;
	struct afz *a = calloc(1, sizeof(*a));
	int pfd[2], ep0, ep1;

	ASSERT_NE(NULL, a);
	for (int i = 0; i < ARRAY_SIZE(keys); i++)
		base[i] = kipc_stat(keys[i]);
	memset(a->slot, 0xff, sizeof(a->slot));
	a->f.r = seed;
	TH_LOG("seed %#llx, %llu calls", (unsigned long long)seed,
	       (unsigned long long)calls);
	ASSERT_EQ(0, io_uring_queue_init(AQ, &a->ring, 0));
	ctx_open(&sc);
	for (int i = 0; i < AC; i++)
		ctx_open(&a->c[i]);
	ASSERT_EQ(0, pipe(pfd));
	ep0 = kipc_ep_create(&sc, 0);
	ep1 = kipc_ep_create(&sc, 0);
	ASSERT_GE(ep0, 0);
	ASSERT_GE(ep1, 0);
	a->pool[0] = ep0;
	a->pool[1] = ep1;
	a->pool[2] = kipc_ep_mint(&sc, ep0, KIPC_RIGHT_SEND, 5, KIPC_MINT_BADGE);
	a->pool[3] = kipc_ep_mint(&sc, ep0, KIPC_RIGHT_RECV, 0, 0);
	a->pool[4] = kipc_ep_mint(&sc, ep1, KIPC_RIGHT_SEND, 0, 0);
	a->pool[5] = kipc_ep_mint(&sc, ep1, KIPC_RIGHT_GRANT, 0, 0);
	a->pool[6] = kipc_ntfn_create(&sc, 0);
	a->pool[7] = kipc_ntfn_create(&sc, 0);
	a->pool[8] = kipc_ntfn_create(&sc, 0);
	a->pool[9] = pfd[0];
	a->pool[10] = -1;
	a->pool[11] = 1000;	/* not open */
	for (int i = 0; i < APOOL; i++)
		ASSERT_NE(-1, i == 10 ? 0 : a->pool[i]);

	for (uint64_t i = 0; i < calls && a->bad < 10; i++)
		astep(a, &sc);

	/* Cancel until every submission has its CQE. */
	for (int round = 0; a->inflight && round < 2000; round++) {
		for (int i = 0; i < AC; i++)
			kipc_cancel(&a->c[i]);
		areap(a, false);
		if (a->inflight)
			sleep_ms(5);
	}
	EXPECT_EQ(0, a->inflight);
	TH_LOG("%llu submissions, %llu CQEs", (unsigned long long)a->ops,
	       (unsigned long long)a->cqes);
	EXPECT_EQ(a->ops, a->cqes);
	EXPECT_EQ(0, a->bad);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(0, fdinfo_value(0, a->pool[i], "senders-waiting"));
		EXPECT_EQ(0, fdinfo_value(0, a->pool[i], "receivers-waiting"));
	}
	for (int i = 6; i < 9; i++)
		EXPECT_EQ(0, fdinfo_value(0, a->pool[i], "waiters"));

	io_uring_queue_exit(&a->ring);
	for (int i = 0; i < 10; i++)
		if (a->pool[i] >= 0)
			close(a->pool[i]);
	close(pfd[1]);
	for (int i = 0; i < AC; i++)
		kipc_ctx_close(&a->c[i]);
	kipc_ctx_close(&sc);
	free(a);
	for (int i = 0; i < ARRAY_SIZE(keys); i++) {
		long v = kipc_stat(keys[i]);

		for (int t = 0; t < 5000 && v != base[i]; t++) {
			sleep_ms(1);
			v = kipc_stat(keys[i]);
		}
		EXPECT_EQ(base[i], v);
	}
}

/*
 * ---- fuzz.slots: contexts and their slots shared by threads ----
 *
 * ST threads share SC mapped contexts.  Each shared context's area
 * arguments are written once (its slot, KIPC_ARGS_SLOT, its timeouts:
 * polls, infinite, a few milliseconds), and so is its first message; from
 * then on nobody writes a shared area.  The threads make the area
 * operations on them (ABI 1.3's send_recv too, receiving through slot 0:
 * any result of a send or of a receive), ABI 1.0 operations with argument structs of their
 * own, replies and cancels, and register, replace and clear their slots:
 * private handles of every kind, pool fds that other threads close and
 * replace meanwhile, fresh handles whose descriptor is closed at once,
 * wrong fds, malformed arguments.  So an operation meets whatever another
 * thread left in its slot, or a context another thread is using.  Every
 * message anybody sends derives its registers from its label, so the two
 * private receivers check each one they get: E2's server, which holds
 * E2's only receive right, in a slot whose descriptor it closed at once,
 * and E0's receiver, through its slot too.
 *
 * The oracle: each result is in the set allowed for the operation on that
 * context, exact where the arguments decide (EINVAL for a malformed
 * registration, EBADF for a wrong fd, EPERM for a handle without the
 * right), EAGAIN only for a poll, ETIMEDOUT only for a finite timeout,
 * EPIPE never (E2's receive right lives in a slot alone), and EBUSY only
 * when another thread's operation or registration on the same context
 * overlapped (each ioctl on a shared context is marked).  At the end
 * nothing waits; clearing the server's slot kills E2 (its senders get
 * EPIPE); /proc/kipc/stats is back at its baseline and the descriptor
 * table is as it was.
 */
enum { SC = 5, ST = 4, SE = 3, SPOOL = 16, SPOOL_BASE = 700 };

/*
 * The marks of a context's ioctls, in one word so that each start and end
 * is ordered against every other thread's: the ioctls in progress (low
 * half) and the ioctls started (high half).  Two counters, each read at
 * both ends, miss an ioctl that started after ours by one and before ours
 * by the other (fuzz.slots once failed so: an EBUSY "with no other ioctl").
 */
#define SMARK_START	((1ULL << 32) + 1)

struct sctx {
	struct kipc_ctx c;
	uint64_t mark;		/* SMARK_START per start, -1 per end */
	uint64_t to;		/* its area's timeouts */
	int slot;		/* the slot its area names */
};

static struct sfz {
	struct sctx sc[SC];
	int priv[SE][NKIND];		/* -1: none (E2 has no receive handle) */
	int wrong[4];
	int ep[2];			/* E0, E1: all rights, until the end */
	struct kipc_ctx srv, rcv;	/* E2's server, E0's receiver */
	int stop;
	uint64_t budget, ops;
	uint64_t busy, regs, regs_ok, fresh, cancels, churn, srv_msgs, rcv_msgs, send_recvs;
	uint64_t hist[ARRAY_SIZE(etab) + 1];	/* by eidx(), then any other */
	int bad;
} SF;

static void __attribute__((format(printf, 1, 2))) sfail(const char *fmt, ...)
{
	char buf[MSGLEN];
	va_list ap;

	if (__atomic_fetch_add(&SF.bad, 1, __ATOMIC_RELAXED) >= 12)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ksft_print_msg("slots: FAIL %s\n", buf);
}

/* A message as everybody sends them: registers derived from the label. */
static bool smsg_ok(const struct kipc_utcb *u)
{
	uint64_t tag = u->tag;

	if (KIPC_TAG_NR(tag) > KIPC_MSG_REGS || (tag & KIPC_TAG_FLAGS_MASK & ~KIPC_TAG_F_CALL))
		return false;
	for (unsigned int i = 0; i < KIPC_TAG_NR(tag); i++)
		if (u->mr[i] != val(KIPC_TAG_LABEL(tag), i))
			return false;
	return true;
}

/*
 * An ioctl on a shared context, marked: *@overlap says whether another
 * marked ioctl on the same context ran at some moment of this one: one was
 * in progress when this one started, or one started or ended before this
 * one ended.
 */
static int sioctl(struct sctx *s, unsigned long cmd, void *arg, bool *overlap)
{
	uint64_t m0 = __atomic_fetch_add(&s->mark, SMARK_START, __ATOMIC_SEQ_CST), m1;
	int err;

	err = ioctl(s->c.fd, cmd, arg) < 0 ? errno : 0;
	m1 = __atomic_fetch_sub(&s->mark, 1, __ATOMIC_SEQ_CST);
	*overlap = (uint32_t)m0 || m1 != m0 + SMARK_START;
	__atomic_fetch_add(&SF.hist[eidx(err) < ARRAY_SIZE(etab) ? eidx(err) : ARRAY_SIZE(etab)],
			   1, __ATOMIC_RELAXED);
	return err;
}

/* Results of an operation on @s whose slot may hold anything. */
static uint64_t sallowed(const struct sctx *s, int op, uint64_t to, bool overlap)
{
	uint64_t m = B(0) | B(EBADF) | B(EPERM) | B(ECANCELED) | (overlap ? B(EBUSY) : 0);

	if (op == OP_REPLY)
		return B(0) | B(ENOENT) | B(ECONNRESET) | (overlap ? B(EBUSY) : 0);
	if (to == KIPC_TIMEOUT_POLL)
		m |= B(EAGAIN);
	else if (to != KIPC_TIMEOUT_INFINITE)
		m |= B(ETIMEDOUT);
	/* A call with a bounded whole may time out once delivered. */
	if (op == OP_CALL)
		m |= B(ECONNRESET) | (to != KIPC_TIMEOUT_INFINITE ? B(ETIMEDOUT) : 0);
	return m;
}

static void scheck(const char *what, const struct sctx *s, uint64_t allowed, int err,
		   bool overlap)
{
	if (allowed & B(err))
		return;
	sfail("%s on shared context %d (slot %d, timeout %#llx): %s%s", what,
	      (int)(s - SF.sc), s->slot, (unsigned long long)s->to, ename(err),
	      err == EBUSY && !overlap ? ", and no other ioctl on it ran" : "");
}

/* A handle: private (*rights known), a pool fd (-2: anything), a wrong fd (-1). */
static int spick(struct fz *f, int *rights)
{
	unsigned int r = rn(f, 10);
	int e, k;

	if (r < 6) {
		do {
			e = rn(f, SE);
			k = rn(f, NKIND);
		} while (SF.priv[e][k] < 0);
		*rights = kind_rights[k];
		return SF.priv[e][k];
	}
	if (r < 9) {
		*rights = -2;
		return SPOOL_BASE + rn(f, SPOOL);
	}
	*rights = -1;
	return SF.wrong[rn(f, ARRAY_SIZE(SF.wrong))];
}

/*
 * KIPC_IOC_MSEND ... _MREPLY_RECV and _MSEND_RECV (ABI 1.3: its receive
 * through slot 0, which may hold anything) on a shared context, its fixed
 * arguments.
 */
static void sarea_op(struct fz *f, struct sctx *s)
{
	static const unsigned long cmds[] = {
		KIPC_IOC_MSEND, KIPC_IOC_MRECV, KIPC_IOC_MCALL, KIPC_IOC_MREPLY_RECV,
		KIPC_IOC_MSEND_RECV,
	};
	int i = rn(f, ARRAY_SIZE(cmds)), err;
	uint64_t allowed;
	bool ov;

	err = sioctl(s, cmds[i], NULL, &ov);
	if (cmds[i] == KIPC_IOC_MSEND_RECV) {
		allowed = sallowed(s, OP_SEND, s->to, ov) | sallowed(s, OP_RECV, s->to, ov);
		__atomic_fetch_add(&SF.send_recvs, 1, __ATOMIC_RELAXED);
		scheck("MSEND_RECV", s, allowed, err, ov);
		return;
	}
	scheck(op_name[cmd_op(cmds[i])], s, sallowed(s, base_op(cmd_op(cmds[i])), s->to, ov),
	       err, ov);
}

/* An ABI 1.0 operation on a shared context: its own argument, bounded. */
static void sold_op(struct fz *f, struct sctx *s)
{
	static const int ops[] = { OP_SEND, OP_RECV, OP_CALL, OP_REPLY, OP_REPLY_RECV };
	int op = ops[rn(f, ARRAY_SIZE(ops))], rights = -2, err;
	unsigned int right = op == OP_SEND || op == OP_CALL ? KIPC_RIGHT_SEND : KIPC_RIGHT_RECV;
	struct kipc_ipc a = { .fd = -1 };
	uint64_t allowed;
	bool ov;

	if (op != OP_REPLY) {
		a.fd = spick(f, &rights);
		a.send_timeout = one_in(f, 2) ? KIPC_TIMEOUT_POLL : (1 + rn(f, 3)) * MS;
		a.recv_timeout = one_in(f, 2) ? KIPC_TIMEOUT_POLL : (1 + rn(f, 3)) * MS;
	}
	err = sioctl(s, op_cmd[op], &a, &ov);
	allowed = sallowed(s, op, op == OP_SEND ? a.send_timeout : a.recv_timeout, ov);
	if (op == OP_CALL)
		allowed |= a.send_timeout ? B(ETIMEDOUT) : B(EAGAIN);
	/* The handle decides, once the context is ours. */
	if (rights == -1)
		allowed = B(EBADF) | (ov ? B(EBUSY) : 0);
	else if (rights >= 0 && !(rights & right))
		allowed = B(EPERM) | (ov ? B(EBUSY) : 0);
	else if (rights >= 0)
		allowed &= ~(B(EBADF) | B(EPERM));
	scheck(op_name[op], s, allowed, err, ov);
}

/*
 * KIPC_IOC_REGISTER on a shared context: mostly the slot its area names,
 * a handle of any kind, clear, malformed.  The fd is looked up before
 * the context is claimed: a wrong one is EBADF, never EBUSY.
 */
static void sregister(struct fz *f, struct sctx *s)
{
	struct kipc_register r = { .slot = one_in(f, 4) ? rn(f, KIPC_SLOTS) : s->slot };
	int rights = -2, err;
	uint64_t allowed;
	bool ov, inval = true;

	if (one_in(f, 5)) {
		r.fd = -1;
		r.flags = KIPC_REGISTER_CLEAR;
	} else {
		r.fd = spick(f, &rights);
	}
	switch (rn(f, 24)) {
	case 0:
		r.slot = KIPC_SLOTS + rn(f, 1000);
		break;
	case 1:
		r.flags |= 2u << rn(f, 31);
		break;
	case 2:
		r.__pad = 1;
		break;
	case 3:
		r.__reserved[rn(f, 2)] = 1ULL << rn(f, 64);
		break;
	case 4:
		r.flags = KIPC_REGISTER_CLEAR;
		r.fd = SF.priv[0][K_SEND];
		break;
	default:
		inval = false;
	}
	err = sioctl(s, KIPC_IOC_REGISTER, &r, &ov);
	__atomic_fetch_add(&SF.regs, 1, __ATOMIC_RELAXED);
	if (!err)
		__atomic_fetch_add(&SF.regs_ok, 1, __ATOMIC_RELAXED);
	if (inval)
		allowed = B(EINVAL);
	else if (rights == -1)
		allowed = B(EBADF);
	else
		allowed = B(0) | (rights == -2 ? B(EBADF) : 0) | (ov ? B(EBUSY) : 0);
	scheck("REGISTER", s, allowed, err, ov);
}

/* Register a fresh handle and close its descriptor at once. */
static void sfresh(struct fz *f, struct sctx *s, struct kipc_ctx *pc)
{
	struct kipc_register r = { .slot = s->slot };
	int e, k, err;
	bool ov;

	do {
		e = rn(f, SE);
		k = rn(f, NKIND);
	} while (SF.priv[e][k] < 0);
	r.fd = kipc_ep_mint(pc, SF.priv[e][k], kind_rights[k], 0, 0);
	if (r.fd < 0) {
		sfail("mint: %s", ename(-r.fd));
		return;
	}
	err = sioctl(s, KIPC_IOC_REGISTER, &r, &ov);
	close(r.fd);
	__atomic_fetch_add(&SF.fresh, 1, __ATOMIC_RELAXED);
	scheck("REGISTER (fresh)", s, B(0) | (ov ? B(EBUSY) : 0), err, ov);
}

/* Close or replace a pool fd: it may be registered right now. */
static void schurn(struct fz *f)
{
	int fd = SPOOL_BASE + rn(f, SPOOL), rights;

	__atomic_fetch_add(&SF.churn, 1, __ATOMIC_RELAXED);
	if (one_in(f, 3)) {
		close(fd);
		return;
	}
	if (dup2(spick(f, &rights), fd) < 0 && errno != EBADF)
		sfail("dup2: %s", strerror(errno));
}

static void *sthread(void *arg)
{
	struct fz *f = arg;
	struct kipc_ctx pc;

	ctx_open(&pc);
	while (!__atomic_load_n(&SF.stop, __ATOMIC_ACQUIRE) &&
	       __atomic_fetch_add(&SF.ops, 1, __ATOMIC_RELAXED) < SF.budget) {
		struct sctx *s = &SF.sc[rn(f, SC)];
		unsigned int r = rn(f, 100);
		int err;

		if (r < 35) {
			sarea_op(f, s);
		} else if (r < 50) {
			sold_op(f, s);
		} else if (r < 72) {
			sregister(f, s);
		} else if (r < 80) {
			sfresh(f, s, &pc);
		} else if (r < 88) {
			err = kipc_cancel(&s->c);
			__atomic_fetch_add(&SF.cancels, 1, __ATOMIC_RELAXED);
			if (err && err != -ENOENT)
				sfail("cancel: %s", ename(-err));
		} else {
			schurn(f);
		}
	}
	kipc_ctx_close(&pc);
	return NULL;
}

/* E2's server: reply_recv through its slot 0, which alone can receive on E2. */
static void *sserver(void *arg)
{
	struct kipc_ctx *c = &SF.srv;
	uint64_t label = 0x5e7e0000;

	for (;;) {
		int err;

		c->utcb->args = (struct kipc_area_args){
			.ep = 0, .flags = KIPC_ARGS_SLOT, .recv_timeout = KIPC_TIMEOUT_INFINITE,
		};
		err = ioctl(c->fd, KIPC_IOC_MREPLY_RECV, 0) < 0 ? errno : 0;
		if (err == ECANCELED && __atomic_load_n(&SF.stop, __ATOMIC_ACQUIRE))
			break;
		if (err) {
			sfail("E2's server: %s", ename(err));
			continue;
		}
		__atomic_fetch_add(&SF.srv_msgs, 1, __ATOMIC_RELAXED);
		if (!smsg_ok(c->utcb))
			sfail("E2's server: message %#llx is not intact",
			      (unsigned long long)c->utcb->tag);
		/* The reply (sent by the next reply_recv if this was a call). */
		label++;
		write_msg(c->utcb, KIPC_TAG(label, label % (KIPC_MSG_REGS + 1)));
	}
	return NULL;
}

/* E0's receiver: recv through its slot 0, reply to calls. */
static void *sreceiver(void *arg)
{
	struct kipc_ctx *c = &SF.rcv;
	uint64_t label = 0x4ec70000;

	while (!__atomic_load_n(&SF.stop, __ATOMIC_ACQUIRE)) {
		int err;

		c->utcb->args = (struct kipc_area_args){
			.ep = 0, .flags = KIPC_ARGS_SLOT, .recv_timeout = 2 * MS,
		};
		err = ioctl(c->fd, KIPC_IOC_MRECV, 0) < 0 ? errno : 0;
		if (err == ETIMEDOUT || err == ECANCELED)
			continue;
		if (err) {
			sfail("E0's receiver: %s", ename(err));
			continue;
		}
		__atomic_fetch_add(&SF.rcv_msgs, 1, __ATOMIC_RELAXED);
		if (!smsg_ok(c->utcb))
			sfail("E0's receiver: message %#llx is not intact",
			      (unsigned long long)c->utcb->tag);
		if (!(c->utcb->tag & KIPC_TAG_F_CALL))
			continue;
		label++;
		write_msg(c->utcb, KIPC_TAG(label, label % (KIPC_MSG_REGS + 1)));
		c->utcb->args = (struct kipc_area_args){ .ep = -1 };
		err = ioctl(c->fd, KIPC_IOC_MREPLY, 0) < 0 ? errno : 0;
		if (err && err != ECONNRESET)
			sfail("E0's receiver: reply: %s", ename(err));
	}
	return NULL;
}

TEST_F_TIMEOUT(fuzz, slots, 300)
{
	static const char *const keys[] = { "contexts", "endpoints", "handles", "inflight" };
	/* Polls and infinite waits (the fast path), finite ones (the slow). */
	static const uint64_t tos[SC] = {
		KIPC_TIMEOUT_POLL, KIPC_TIMEOUT_POLL, KIPC_TIMEOUT_INFINITE, MS, 3 * MS,
	};
	static struct fdtab fds0, fds1;
	static struct fz fzs[ST];
	pthread_t th[ST], srv, rcv;
	long base[ARRAY_SIZE(keys)];
	struct kipc_ctx pc;
	int p[2], e2, r2, fd, left = ST + 2;
	bool done[ST + 2] = { false };
	uint64_t seed = g_seed ^ 0x5107, t0, end, last_ops = 0;

	memset(&SF, 0, sizeof(SF));
	SF.budget = SH->budget;	/* cheap: most end at once */
	TH_LOG("seed %#llx, %llu operations by %d threads on %d shared contexts",
	       (unsigned long long)seed, (unsigned long long)SF.budget, ST, SC);
	for (int i = 0; i < ARRAY_SIZE(keys); i++)
		base[i] = kipc_stat(keys[i]);
	fd_snapshot(&fds0);
	ctx_open(&pc);

	/* E0, E1: every kind of handle.  E2: no receive handle but the server's slot. */
	for (int e = 0; e < SE; e++) {
		fd = kipc_ep_create(&pc, 0);
		ASSERT_GE(fd, 0);
		for (int k = 0; k < NKIND; k++) {
			SF.priv[e][k] = -1;
			if (e == 2 && (kind_rights[k] & KIPC_RIGHT_RECV))
				continue;
			SF.priv[e][k] = kipc_ep_mint(&pc, fd, kind_rights[k], kind_badge(e, k),
						     kind_badge(e, k) ? KIPC_MINT_BADGE : 0);
			ASSERT_GE(SF.priv[e][k], 0);
		}
		if (e < 2) {
			SF.ep[e] = fd;
			continue;
		}
		r2 = kipc_ep_mint(&pc, fd, KIPC_RIGHT_RECV, 0, 0);
		ASSERT_GE(r2, 0);
		e2 = fd;
	}
	ctx_open(&SF.srv);
	ctx_open(&SF.rcv);
	ASSERT_EQ(0, kipc_register(&SF.srv, 0, r2));
	close(r2);
	close(e2);
	EXPECT_EQ(1, fdinfo_value(0, SF.priv[2][K_SEND], "recv-handles"));
	ASSERT_EQ(0, kipc_register(&SF.rcv, 0, SF.priv[0][K_RECV]));
	ASSERT_EQ(0, pipe(p));
	SF.wrong[0] = p[0];
	SF.wrong[1] = p[1];
	SF.wrong[2] = eventfd(0, 0);
	SF.wrong[3] = pc.fd;
	for (int i = 0; i < SPOOL; i++)
		dup2(SF.priv[i % SE][i % NKIND] >= 0 ? SF.priv[i % SE][i % NKIND] : p[0],
		     SPOOL_BASE + i);
	for (int i = 0; i < SC; i++) {
		struct sctx *s = &SF.sc[i];

		ctx_open(&s->c);
		s->to = tos[i];
		s->slot = i == SC - 1 ? KIPC_SLOTS - 1 : i * 3;
		s->c.utcb->args = (struct kipc_area_args){
			.ep = s->slot, .flags = KIPC_ARGS_SLOT, .send_timeout = s->to,
			.recv_timeout = s->to,
		};
		write_msg(s->c.utcb, KIPC_TAG(0x5c000 + i, 1 + 15 * i));
	}

	ASSERT_EQ(0, pthread_create(&srv, NULL, sserver, NULL));
	ASSERT_EQ(0, pthread_create(&rcv, NULL, sreceiver, NULL));
	for (int t = 0; t < ST; t++) {
		fzs[t].r = mix(seed + t);
		ASSERT_EQ(0, pthread_create(&th[t], NULL, sthread, &fzs[t]));
	}

	/*
	 * Until the budget is spent (or nothing moves for as long as a hang
	 * takes); then cancels end the waits without end, for as long again.
	 */
	t0 = now_ns();
	end = t0 + g_hang;
	while (left && now_ns() < end) {
		uint64_t ops = __atomic_load_n(&SF.ops, __ATOMIC_RELAXED);

		if (!SF.stop && ops != last_ops) {
			last_ops = ops;
			end = now_ns() + g_hang;
		}
		if (!SF.stop && ops >= SF.budget) {
			__atomic_store_n(&SF.stop, 1, __ATOMIC_RELEASE);
			end = now_ns() + g_hang;
		}
		if (__atomic_load_n(&SF.stop, __ATOMIC_ACQUIRE)) {
			for (int i = 0; i < SC; i++)
				kipc_cancel(&SF.sc[i].c);
			kipc_cancel(&SF.srv);
			kipc_cancel(&SF.rcv);
		}
		for (int t = 0; t < ST + 2; t++) {
			pthread_t x = t < ST ? th[t] : t == ST ? srv : rcv;

			if (!done[t] && !pthread_tryjoin_np(x, NULL)) {
				done[t] = true;
				left--;
			}
		}
		usleep(left ? 2000 : 0);
	}
	TH_LOG("%llu operations in %.1f s: %llu registrations (%llu done, %llu of fresh handles closed at once), %llu cancels, %llu pool changes, %llu send_recvs; E2's server %llu messages, E0's receiver %llu",
	       (unsigned long long)SF.ops, (now_ns() - t0) / 1e9, (unsigned long long)SF.regs,
	       (unsigned long long)SF.regs_ok, (unsigned long long)SF.fresh,
	       (unsigned long long)SF.cancels, (unsigned long long)SF.churn,
	       (unsigned long long)SF.send_recvs,
	       (unsigned long long)SF.srv_msgs, (unsigned long long)SF.rcv_msgs);
	{
		char line[512];
		size_t o = 0;

		for (int e = 0; e <= ARRAY_SIZE(etab); e++)
			if (SF.hist[e])
				app(line, sizeof(line), &o, " %s %llu",
				    e < ARRAY_SIZE(etab) ? ename(etab[e]) : "other",
				    (unsigned long long)SF.hist[e]);
		TH_LOG("results on shared contexts:%s", o ? line : " none");
	}
	EXPECT_EQ(0, left) TH_LOG("threads still in an operation after %.1f s",
				  (now_ns() - t0) / 1e9);
	if (left) {
		__atomic_store_n(&SF.stop, 1, __ATOMIC_RELEASE);
		return;		/* the harness kills us: no cleanup under them */
	}
	EXPECT_LT(100, SF.srv_msgs);
	EXPECT_LT(100, SF.rcv_msgs);
	EXPECT_LT(100, SF.send_recvs);

	/* Nothing waits; E2's only receive right is the server's slot. */
	for (int e = 0; e < SE; e++) {
		fd = SF.priv[e][K_SEND];
		EXPECT_EQ(0, wait_fdinfo(fd, "senders-waiting", 0)) TH_LOG("endpoint %d", e);
		EXPECT_EQ(0, wait_fdinfo(fd, "receivers-waiting", 0)) TH_LOG("endpoint %d", e);
	}
	EXPECT_EQ(1, fdinfo_value(0, SF.priv[2][K_SEND], "recv-handles"));
	EXPECT_EQ(0, kipc_unregister(&SF.srv, 0));
	EXPECT_EQ(0, fdinfo_value(0, SF.priv[2][K_SEND], "recv-handles"));
	EXPECT_EQ(-EPIPE, kipc_send(&pc, SF.priv[2][K_SEND], KIPC_TAG(1, 0), KIPC_TIMEOUT_POLL));

	for (int i = 0; i < SC; i++)
		kipc_ctx_close(&SF.sc[i].c);
	kipc_ctx_close(&SF.srv);
	kipc_ctx_close(&SF.rcv);
	kipc_ctx_close(&pc);
	for (int e = 0; e < SE; e++)
		for (int k = 0; k < NKIND; k++)
			if (SF.priv[e][k] >= 0)
				close(SF.priv[e][k]);
	for (int i = 0; i < SPOOL; i++)
		close(SPOOL_BASE + i);
	close(SF.ep[0]);
	close(SF.ep[1]);
	close(p[0]);
	close(p[1]);
	close(SF.wrong[2]);
	fd_snapshot(&fds1);
	EXPECT_EQ(0, fd_diff("slots", &fds0, &fds1));
	for (int i = 0; i < ARRAY_SIZE(keys); i++) {
		long v = kipc_stat(keys[i]);

		for (int t = 0; t < 5000 && v != base[i]; t++) {
			sleep_ms(1);
			v = kipc_stat(keys[i]);
		}
		EXPECT_EQ(base[i], v) TH_LOG("/proc/kipc/stats %s", keys[i]);
	}
	EXPECT_EQ(0, SF.bad);
}

/* fuzz.slots makes KIPC_FUZZ_CALLS operations too, most of which end at once. */
static void __attribute__((constructor)) slots_timeout(void)
{
	long calls = env_num("KIPC_FUZZ_CALLS", DEFAULT_CALLS);
	long slow = env_num("kipcslow", 1);
	long limit = env_num("KIPC_BIN_TIMEOUT", 600) - 150;
	long want = 60 + calls * slow / 5000;

	_fuzz_slots_object.timeout = want < limit ? want : limit;
}

TEST_HARNESS_MAIN
