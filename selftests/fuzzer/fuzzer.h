/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The parts of kipc's ioctl fuzzer (selftests/fuzz.c: the driver, the
 * tests, the corpus and the async and slots fuzzers) that its generator
 * (gen.c: a call's command, argument and where it lies, handles, timeouts,
 * tags) and its oracle (oracle.c: the results the README allows, the
 * checks of what came back, failure reports in the corpus format) share:
 * the model of a run, of a thread and of one call.
 */
#ifndef KIPC_FUZZER_H
#define KIPC_FUZZER_H

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

#include "../kipc_test.h"
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
static inline uint64_t kind_badge(int e, int kind)
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

/* The run's state and settings (fuzz.c). */
extern struct shared *SH;
extern uint64_t g_seed, g_slack, g_hang;

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

/* A positive number from the environment, or @def. */
static inline long env_num(const char *name, long def)
{
	const char *e = getenv(name);
	long v = e ? strtol(e, NULL, 0) : 0;

	return v > 0 ? v : def;
}

/*
 * How long a wait without deadline may last before it counts as a hang:
 * KIPC_FUZZ_HANG_S, default 30 s times kipcslow (a slow kernel, vm/run.sh).
 */
static inline uint64_t fz_hang(void)
{
	return env_num("KIPC_FUZZ_HANG_S", 30 * env_num("kipcslow", 1)) * 1000 * MS;
}

/*
 * A fuzz test's timeout in seconds, set by a constructor (the harness wants
 * it at compile time; the run length is not): 60 s plus KIPC_FUZZ_CALLS at
 * @per_s calls a second (divided by kipcslow on a slow kernel), within the
 * guest's limit for the binary (KIPC_BIN_TIMEOUT, vm/guest/check.sh) less
 * 150 s for what else the binary runs.
 */
static inline int fz_timeout(long per_s)
{
	long calls = env_num("KIPC_FUZZ_CALLS", DEFAULT_CALLS);
	long limit = env_num("KIPC_BIN_TIMEOUT", 600) - 150;
	long want = 60 + calls * env_num("kipcslow", 1) / per_s;

	return want < limit ? want : limit;
}

/* The run's seed: KIPC_FUZZ_SEED, or the fixed default. */
static inline uint64_t fz_seed(void)
{
	const char *s = getenv("KIPC_FUZZ_SEED");

	return s ? strtoull(s, NULL, 0) : DEFAULT_SEED;
}

static inline uint64_t rnd(struct fz *f)
{
	f->r += 0x9e3779b97f4a7c15ULL;
	return mix(f->r);
}

static inline unsigned int rn(struct fz *f, unsigned int n)
{
	return rnd(f) % n;
}

static inline bool one_in(struct fz *f, unsigned int n)
{
	return rn(f, n) == 0;
}

static inline uint64_t val(uint64_t label, unsigned int i)
{
	return mix(label * 0x9e3779b97f4a7c15ULL + i + 1);
}

static inline int cmd_op(unsigned long cmd)
{
	for (int i = 0; i < OP_BADCMD; i++)
		if ((unsigned int)cmd == (unsigned int)op_cmd[i])
			return i;
	return OP_BADCMD;
}

static inline bool is_ipc(int op)
{
	return op >= OP_SEND && op <= OP_REPLY_RECV;
}

/* KIPC_IOC_MSEND ... _MREPLY_RECV: arguments in the message area. */
static inline bool is_area(int op)
{
	return op >= OP_MSEND && op <= OP_MREPLY_RECV;
}

/* The ABI 1.0 operation an area operation is (the same, and the same errors). */
static inline int base_op(int op)
{
	return is_area(op) ? OP_SEND + (op - OP_MSEND) : op;
}

static inline bool tag_ok(uint64_t tag)
{
	tag &= ~KIPC_TAG_F_CALL;
	return KIPC_TAG_NR(tag) <= KIPC_MSG_REGS &&
	       !(tag & KIPC_TAG_FLAGS_MASK & ~KIPC_TAG_FDS_MASK) &&
	       KIPC_TAG_FDS(tag) <= KIPC_MSG_FDS;
}

/* A name the module takes: 1..63 of '!'..'~', NUL, zeroes to the end. */
static inline bool name_ok(const char *name)
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

static inline bool ptr_bad(int p)
{
	return p >= P_NULL;
}

/* Timeouts this large never expire in practice: a signal ends them. */
static inline bool huge(uint64_t to)
{
	return to >= (1ULL << 62);
}

static inline const char *ename(int e)
{
	const char *n = e ? strerrorname_np(e) : "ok";

	return n ? n : "E?";
}

/* Errno sets: one bit per errno the README names (and mmap's). */
static const int etab[] = {
	0, EINVAL, EFAULT, ENOTTY, EBADF, EPERM, EBUSY, EAGAIN,
	ETIMEDOUT, EINTR, EPIPE, ECONNRESET, ENOENT, EMFILE, ENOMEM,
	ENODEV, EACCES, EMSGSIZE, ETOOMANYREFS, ENOSPC, EEXIST,
	ECANCELED, ELOOP,
};

static inline int eidx(int e)
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
static inline uint64_t fds_mask(uint64_t tag)
{
	return KIPC_TAG_FDS(tag) ? B(EBADF) | B(EPERM) | B(EMSGSIZE) |
				   B(ETOOMANYREFS) : 0;
}

/*
 * Write a message whose registers derive from its label, and a garbage
 * descriptor array: -1..46, the fuzzer's own descriptors of every kind.
 */
static inline void write_msg(struct kipc_utcb *u, uint64_t tag)
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

/* Append to the string @b of size @n, at *@o; past its end nothing. */
static inline void __attribute__((format(printf, 4, 5)))
app(char *b, size_t n, size_t *o, const char *fmt, ...)
{
	va_list ap;

	if (*o >= n)
		return;
	va_start(ap, fmt);
	*o += vsnprintf(b + *o, n - *o, fmt, ap);
	va_end(ap);
}

/* ---- the generator (gen.c): gen_call() makes one call ---- */

size_t arg_size(unsigned long cmd);
void *place(struct fz *f, struct fcall *k, size_t sz, char **w);
int special_fd(struct fz *f, struct hinfo *h);
unsigned long mutate_cmd(struct fz *f, unsigned long cmd);
void gen_call(struct fz *f, struct fcall *k);

/*
 * ---- the oracle (oracle.c): expect() gives the results allowed before a
 * call, the check_*() look at what it did after ----
 */

void __attribute__((format(printf, 2, 3))) fail(struct fz *f, const char *fmt, ...);
void count(int op, int err);
bool stopping(void);
void fmt_call(const struct fcall *k, char *b, size_t n);
void fail_call(struct fz *f, const struct fcall *k, const char *what, int err);
uint64_t expect(struct fz *f, const struct fcall *k);
uint64_t op_limit(int op, const struct kipc_ipc *a);
void check_area(struct fz *f, const struct fcall *k, int op, int err,
		const struct kipc_utcb *before, bool held0);
void new_handle(struct fz *f, const struct fcall *k, int op, int fd);
void looked_up(struct fz *f, const struct fcall *k, int fd);
void check_version(struct fz *f, const struct fcall *k, const char *w);
void check_unwritten(struct fz *f, const struct fcall *k, const char *w, size_t sz);

#endif /* KIPC_FUZZER_H */
