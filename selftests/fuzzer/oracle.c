// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's oracle (see selftests/fuzz.c): the set of results the
 * README allows for a call on its target (exact where the arguments alone
 * decide), the checks of what a call left in the message area and in its
 * argument, of received messages and replies and of new handles, and
 * failure reports that print the call in the corpus format.
 */
#define KIPC_TEST_PART
#include "fuzzer.h"

/* ---- failures and counts ---- */

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

void __attribute__((format(printf, 2, 3))) fail(struct fz *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(f, fmt, ap);
	va_end(ap);
}

void count(int op, int err)
{
	__atomic_fetch_add(&SH->hist[op][err < NERR - 1 ? err : NERR - 1], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&SH->calls, 1, __ATOMIC_RELAXED);
}

bool stopping(void)
{
	return __atomic_load_n(&SH->stop, __ATOMIC_ACQUIRE);
}


/* ---- printing a call in the corpus format ---- */

void fmt_call(const struct fcall *k, char *b, size_t n)
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

void fail_call(struct fz *f, const struct fcall *k, const char *what, int err)
{
	char b[320];

	fmt_call(k, b, sizeof(b));
	fail(f, "%s: %s -> %s", what, b, ename(err));
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
uint64_t expect(struct fz *f, const struct fcall *k)
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
		    (m->rights & ~(KIPC_RIGHTS_ALL | KIPC_RIGHT_FORWARD)) ||
		    (!(m->flags & KIPC_MINT_BADGE) && m->badge) ||
		    (own_fd && m->fd != KIPC_FD_SELF))
			return pre | B(EINVAL);
		if (!k->h.known || (!own_fd && !c && m->fd == KIPC_FD_SELF))
			return pre | B(0) | B(EBADF) | B(EPERM) | B(EMFILE) | B(ENOMEM);
		if (k->h.rights < 0)
			return pre | B(EBADF);
		/* ABI 1.7: the receive right may add the right to forward. */
		if ((m->rights & ~k->h.rights &
		     ~(k->h.rights & KIPC_RIGHT_RECV ? KIPC_RIGHT_FORWARD : 0)) ||
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
uint64_t op_limit(int op, const struct kipc_ipc *a)
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
void check_area(struct fz *f, const struct fcall *k, int op, int err,
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
void new_handle(struct fz *f, const struct fcall *k, int op, int fd)
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
void looked_up(struct fz *f, const struct fcall *k, int fd)
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

void check_version(struct fz *f, const struct fcall *k, const char *w)
{
	struct kipc_version want = {
		.abi_major = KIPC_ABI_MAJOR, .abi_minor = KIPC_ABI_MINOR,
		.msg_regs = KIPC_MSG_REGS, .utcb_size = KIPC_UTCB_SIZE,
		.features = KIPC_FEAT_UTCB | KIPC_FEAT_BADGE | KIPC_FEAT_CREDS |
			    KIPC_FEAT_FDS | KIPC_FEAT_NAMES | KIPC_FEAT_CALLER |
			    KIPC_FEAT_LIMITS | KIPC_FEAT_NOTIFY | KIPC_FEAT_POLL |
			    KIPC_FEAT_URING | KIPC_FEAT_AREA_ARGS |
			    KIPC_FEAT_SEND_RECV | KIPC_FEAT_SCHED | KIPC_FEAT_BULK |
			    KIPC_FEAT_OBJ_IOCTL | KIPC_FEAT_FORWARD,
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
void check_unwritten(struct fz *f, const struct fcall *k, const char *w, size_t sz)
{
	static const unsigned char canary[8] = { 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3, 0xc3 };

	if (memcmp(w, &k->a, sz) ||
	    (k->ptr != P_FLIP && k->ptr != P_END && memcmp(w + sz, canary, 8)))
		fail_call(f, k, "the module wrote into a read-only argument", 0);
}
