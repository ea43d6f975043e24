// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's generator (see selftests/fuzz.c): from a valid call,
 * mutated ioctl numbers, flags, reserved words, handles, rights, badges,
 * timeouts, tags and messages, and where the argument lies (NULL,
 * unmapped, read-only, straddling a mapping's end, in the message page,
 * kernel and non-canonical addresses, the end of user space).
 */
#define KIPC_TEST_PART
#include "fuzzer.h"

/* ---- the argument and where it goes ---- */

size_t arg_size(unsigned long cmd)
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
void *place(struct fz *f, struct fcall *k, size_t sz, char **w)
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

int special_fd(struct fz *f, struct hinfo *h)
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
	/* ABI 1.7: forward; fuzz.slots fuzzes the area forms */
	case KIPC_IOC_FORWARD:
	case KIPC_IOC_MFORWARD:
	case KIPC_IOC_MFORWARD_RECV:
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

unsigned long mutate_cmd(struct fz *f, unsigned long cmd)
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

void gen_call(struct fz *f, struct fcall *k)
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
