// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz.slots: contexts and their registered slots shared between threads
 * (the scheme below).  KIPC_FUZZ_SEED and KIPC_FUZZ_CALLS as for
 * selftests/fuzz.c.
 */
#include "fuzzer/fuzzer.h"

/*
 * The fixture holds nothing: it keeps the test's name (fuzz.async,
 * fuzz.slots) from when selftests/fuzz.c ran it.
 */
FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/*
 * ---- fuzz.slots: contexts and their slots shared by threads ----
 *
 * ST threads share SC mapped contexts.  Each shared context's area
 * arguments are written once (its slot, KIPC_ARGS_SLOT, its timeouts:
 * polls, infinite, a few milliseconds), and so is its first message; from
 * then on nobody writes a shared area.  The threads make the area
 * operations on them (ABI 1.3's send_recv too, receiving through slot 0:
 * any result of a send or of a receive; ABI 1.7's forward and
 * forward_recv of whatever the area holds, with the reply right the
 * context may hold), ABI 1.0 operations with argument structs of their
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
	uint64_t forwards, forwards_ok;
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
		KIPC_IOC_MSEND_RECV, KIPC_IOC_MFORWARD, KIPC_IOC_MFORWARD_RECV,
	};
	int i = rn(f, ARRAY_SIZE(cmds)), err;
	uint64_t allowed;
	bool ov;

	err = sioctl(s, cmds[i], NULL, &ov);
	/*
	 * ABI 1.7: forward what the area holds (a call received there, or
	 * anything), with the right the context may hold: none (ENOENT), its
	 * caller gone (ECONNRESET), forwarded round too often (ELOOP), or as
	 * a send; forward_recv's receive as any.
	 */
	if (cmds[i] == KIPC_IOC_MFORWARD || cmds[i] == KIPC_IOC_MFORWARD_RECV) {
		allowed = sallowed(s, OP_SEND, s->to, ov) | B(ENOENT) | B(ECONNRESET) |
			  B(ELOOP);
		if (cmds[i] == KIPC_IOC_MFORWARD_RECV)
			allowed |= sallowed(s, OP_RECV, s->to, ov);
		__atomic_fetch_add(&SF.forwards, 1, __ATOMIC_RELAXED);
		if (!err || (err && (s->c.utcb->status & KIPC_ST_SENT)))
			__atomic_fetch_add(&SF.forwards_ok, 1, __ATOMIC_RELAXED);
		scheck(cmds[i] == KIPC_IOC_MFORWARD ? "MFORWARD" : "MFORWARD_RECV", s,
		       allowed, err, ov);
		return;
	}
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
	uint64_t seed = fz_seed() ^ 0x5107, hang = fz_hang(), t0, end, last_ops = 0;

	memset(&SF, 0, sizeof(SF));
	SF.budget = env_num("KIPC_FUZZ_CALLS", DEFAULT_CALLS);	/* cheap: most end at once */
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
	end = t0 + hang;
	while (left && now_ns() < end) {
		uint64_t ops = __atomic_load_n(&SF.ops, __ATOMIC_RELAXED);

		if (!SF.stop && ops != last_ops) {
			last_ops = ops;
			end = now_ns() + hang;
		}
		if (!SF.stop && ops >= SF.budget) {
			__atomic_store_n(&SF.stop, 1, __ATOMIC_RELEASE);
			end = now_ns() + hang;
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
	TH_LOG("%llu forwards and forward_recvs, %llu of them forwarded",
	       (unsigned long long)SF.forwards, (unsigned long long)SF.forwards_ok);
	EXPECT_EQ(0, left) TH_LOG("threads still in an operation after %.1f s",
				  (now_ns() - t0) / 1e9);
	if (left) {
		__atomic_store_n(&SF.stop, 1, __ATOMIC_RELEASE);
		return;		/* the harness kills us: no cleanup under them */
	}
	EXPECT_LT(100, SF.srv_msgs);
	EXPECT_LT(100, SF.rcv_msgs);
	EXPECT_LT(100, SF.send_recvs);
	EXPECT_LT(100, SF.forwards);

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
	_fuzz_slots_object.timeout = fz_timeout(5000);
}

TEST_HARNESS_MAIN
