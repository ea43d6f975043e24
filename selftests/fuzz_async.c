// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz.async: notifications, bind, cancel, poll and io_uring commands,
 * fuzzed from one thread (the scheme below).  KIPC_FUZZ_SEED and
 * KIPC_FUZZ_CALLS as for selftests/fuzz.c: this fuzzer makes a tenth of
 * that many calls.
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
	ECONNRESET, ENOENT, ECANCELED, ETIMEDOUT, ELOOP,
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
	KIPC_IOC_FORWARD,	/* ABI 1.7 */
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
	case KIPC_IOC_FORWARD:
		/* No call held, its caller gone, or as a send. */
		return A_OK | common | B_(EAGAIN) | B_(EPIPE) | B_(EPERM) |
		       B_(ECANCELED) | B_(ENOENT) | B_(ECONNRESET) | B_(ELOOP);
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
	/* A forward without a call held: ENOENT before the handle. */
	if (op == KIPC_IOC_FORWARD)
		return 0;
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
	uint64_t calls = env_num("KIPC_FUZZ_CALLS", DEFAULT_CALLS) / 10;
	uint64_t seed = fz_seed() ^ 0xa5;
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

TEST_HARNESS_MAIN
