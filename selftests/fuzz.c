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
 * fuzz_async.c fuzzes notifications, cancel, poll and io_uring commands
 * (with KIPC_ARGS_SLOT too) from one thread; fuzz_slots.c shares contexts
 * and their slots between threads (see each).
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
 *
 * The fuzzer's parts: this file is the driver (running a call with every
 * check, the other kinds of calls, workers, the controller, the corpus
 * replay, the tests); fuzzer/gen.c the generator, fuzzer/oracle.c the
 * oracle, fuzzer/fuzzer.h what they share.  fuzz_async.c and fuzz_slots.c
 * are fuzzers of their own (io_uring and notifications; shared slots).
 */
#include "fuzzer/fuzzer.h"

struct shared *SH;
uint64_t g_seed;
uint64_t g_slack = 1000 * MS;
uint64_t g_hang = 30000 * MS;

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

static void read_env(void)
{
	long slow = env_num("kipcslow", 1);	/* a slow kernel (vm/run.sh) */

	g_seed = fz_seed();
	g_slack = env_num("KIPC_FUZZ_SLACK_MS", 1000 * slow) * MS;
	g_hang = fz_hang();
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

/* At least 1000 calls/s; the 150 s fz_timeout() leaves are the corpus's. */
static void __attribute__((constructor)) fuzz_timeout(void)
{
	_fuzz_random_object.timeout = fz_timeout(1000);
}

TEST_HARNESS_MAIN
