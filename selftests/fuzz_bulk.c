// SPDX-License-Identifier: GPL-2.0
/*
 * The bulk fuzzer (ABI 1.5): memory windows and regions with random
 * arguments, each result checked against an exact oracle and every byte
 * they move checked against a shadow of the memory.
 *
 * Windows: a child process (the caller) maps an arena of known content
 * with a hole and a read-only stretch, and makes calls naming random
 * windows (good ones, and ones with bad bits, reserved words, wrapping or
 * kernel ranges, too many); the parent (the server) receives each with a
 * random receive buffer posted and makes random reads and writes of
 * random windows, offsets, lengths, iovecs and reserved words.  The
 * oracle knows the kernel's order of checks and its 64 KiB pieces: a
 * piece that touches the hole (or, written, the read-only stretch) fails
 * the access with EFAULT before any byte of it moves, the pieces before it
 * were copied, so the parent's shadow of the child's arena stays exact
 * and every read is compared with it.  After the reply, access fails.
 *
 * Regions: random creates (ranges, rights, flags), mints, puts and gets
 * at random offsets over an arena with a hole, revokes, binds, checked the
 * same way against a shadow.
 *
 * KIPC_FUZZ_SEED and KIPC_FUZZ_SECONDS choose the seed and the budget.
 */
#include <sys/prctl.h>
#include <sys/uio.h>

#include "kipc_test.h"

#define ARENA_PAGES	160
#define HOLE_FIRST	40	/* pages 40..47 unmapped */
#define HOLE_END	48
#define RO_FIRST	48	/* pages 48..55 read-only */
#define RO_END		56
#define PIECE_PAGES	16	/* the kernel's KIPC_BULK_PAGES */

static long pg;
static uint64_t seed;

static uint64_t rnd(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return mix(seed);
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static unsigned char pat(size_t i)
{
	return (unsigned char)(mix(i / 8) >> (i % 8 * 8));
}

/*
 * The arena and 8 inaccessible pages after it (whatever is mapped next is
 * never reached through a window that runs past its end).
 */
static unsigned char *map_arena(void)
{
	unsigned char *a = mmap(NULL, (ARENA_PAGES + 8) * pg, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (a != MAP_FAILED)
		mprotect(a + ARENA_PAGES * pg, 8 * pg, PROT_NONE);
	return a;
}

/* What the child's arena holds: the pattern, as changed by our writes. */
static unsigned char *shadow;
static unsigned char *arena;	/* the same address in the child */

static int page_kind(size_t page)
{
	if (page >= HOLE_FIRST && page < HOLE_END)
		return 1;
	if (page >= RO_FIRST && page < RO_END)
		return 2;
	return 0;
}

/*
 * The kernel's pieces over [off, off + len) of the arena: the result of
 * an access, and the shadow moved for every piece that went through.
 */
static ssize_t pieces(size_t off, size_t len, bool write, const unsigned char *src,
		      unsigned char *dst)
{
	size_t done = 0;

	while (done < len) {
		size_t start = off + done, po = start % pg;
		size_t piece = len - done < PIECE_PAGES * pg - po ? len - done :
			       PIECE_PAGES * pg - po;

		for (size_t p = start / pg; p <= (start + piece - 1) / pg; p++) {
			int k = p >= ARENA_PAGES ? 1 : page_kind(p);

			if (k == 1 || (k == 2 && write))
				return -EFAULT;
		}
		if (write)
			memcpy(shadow + start, src + done, piece);
		else if (dst)
			memcpy(dst + done, shadow + start, piece);
		done += piece;
	}
	return len;
}

struct wdesc {
	uint64_t addr, len;
	unsigned int flags, res;
};

/* The caller: calls with the windows the parent chose, forever. */
struct order {
	unsigned int n;
	struct wdesc w[KIPC_MSG_WINS + 1];
	int result;		/* what the call returned */
	volatile int seq, done;
};

static int child(int ep, struct order *o)
{
	struct kipc_ctx c;
	int seen = 0;

	/* The context first: no mapping of ours may land in the hole. */
	ctx_open(&c);
	memcpy(arena, shadow, ARENA_PAGES * pg);
	munmap(arena + HOLE_FIRST * pg, (HOLE_END - HOLE_FIRST) * pg);
	mprotect(arena + RO_FIRST * pg, (RO_END - RO_FIRST) * pg, PROT_READ);
	for (;;) {
		while (o->seq == seen)
			usleep(50);
		seen = o->seq;
		if (seen < 0)
			_exit(0);
		for (unsigned int i = 0; i < o->n && i < KIPC_MSG_WINS; i++) {
			c.utcb->win[i].addr = o->w[i].addr;
			c.utcb->win[i].len = o->w[i].len;
			c.utcb->win[i].flags = o->w[i].flags;
			c.utcb->win[i].__reserved = o->w[i].res;
		}
		o->result = kipc_call(&c, ep, KIPC_TAG_WITH_WINS(KIPC_TAG(5, 0), o->n),
				      o->n == 0 ? KIPC_TIMEOUT_POLL : 2000 * MS);
		__atomic_store_n(&o->done, seen, __ATOMIC_RELEASE);
	}
}

/* The kernel's check of one window, in its order. */
static int win_check(const struct wdesc *w)
{
	if (!w->flags || (w->flags & ~(KIPC_WIN_READ | KIPC_WIN_WRITE)) || w->res ||
	    w->addr + w->len < w->addr)
		return -EINVAL;
	if (w->addr + w->len > user_end())
		return -EFAULT;
	return 0;
}

static void pick_window(struct wdesc *w)
{
	static const unsigned int bits[] = {
		KIPC_WIN_READ, KIPC_WIN_WRITE, KIPC_WIN_READ | KIPC_WIN_WRITE,
	};
	size_t size = ARENA_PAGES * pg;
	uint64_t off = rn(size);

	w->flags = bits[rn(3)];
	w->res = 0;
	w->addr = (uintptr_t)arena + off;
	switch (rn(6)) {
	case 0:
		w->len = rn(64);
		break;
	case 1:
		w->len = rn(size - off + 1);
		break;
	case 2:		/* past the arena's end: unmapped there */
		w->len = size - off + rn(4 * pg);
		break;
	default:
		w->len = rn(20 * pg);
		if (off + w->len > size)
			w->len = size - off;
		break;
	}
	if (rn(40) == 0) {
		switch (rn(5)) {
		case 0:
			w->flags = rn(2) ? 0 : 1U << (2 + rn(30));
			break;
		case 1:
			w->res = 1U << rn(32);
			break;
		case 2:
			w->addr = ~0ULL - rn(100);
			w->len = 200;
			break;
		case 3:		/* past user space, high bits (arm64's tag) too */
			w->addr = user_end() | 1ULL << (47 + rn(17));
			if (w->addr == user_end())
				w->addr += pg;
			break;
		default:
			w->flags |= KIPC_WIN_COPIED;
			break;
		}
	}
}

static long accesses, moved, calls, refused;

/* One served call: random accesses, each checked; then the reply. */
static int serve(struct __test_metadata *_metadata, struct kipc_ctx *c, int ep,
		 const struct order *o, unsigned char *rbuf, size_t rlen)
{
	unsigned char *buf = malloc(24 * pg);
	int first_read = -1;

	ASSERT_TRUE(buf != NULL);
	ASSERT_EQ(0, kipc_recv(c, ep, INF));
	ASSERT_EQ(o->n, kipc_nwins(c));
	for (unsigned int i = 0; i < o->n; i++) {
		unsigned int fl = kipc_win_flags(c, i);

		ASSERT_EQ(0, c->utcb->win[i].addr);
		ASSERT_EQ(o->w[i].len, kipc_win_len(c, i));
		ASSERT_EQ(o->w[i].flags, fl & ~KIPC_WIN_COPIED);
		if (first_read < 0 && (o->w[i].flags & KIPC_WIN_READ))
			first_read = i;
		if (fl & KIPC_WIN_COPIED) {
			unsigned char *want = malloc(o->w[i].len + 1);
			size_t off = o->w[i].addr - (uintptr_t)arena;

			/* Only the first READ window, when it fits, and all of it. */
			ASSERT_EQ(first_read, (int)i);
			ASSERT_LE(o->w[i].len, rlen);
			ASSERT_EQ((ssize_t)o->w[i].len,
				  pieces(off, o->w[i].len, false, NULL, want));
			ASSERT_EQ(0, memcmp(want, rbuf, o->w[i].len));
			free(want);
		} else if ((int)i == first_read && rlen && o->w[i].len <= rlen) {
			/* It fitted: only a fault may have stopped it. */
			ASSERT_EQ(-EFAULT, pieces(o->w[i].addr - (uintptr_t)arena,
						  o->w[i].len, false, NULL, NULL));
		}
	}
	for (int k = rn(12); k >= 0; k--) {
		unsigned int i = rn(o->n + 2);
		bool write = rn(2);
		struct wdesc w = i < o->n ? o->w[i] : (struct wdesc){ 0 };
		uint64_t off = rn(3) ? rn(w.len + 1) : rnd() >> rn(64);
		size_t len = rn(4) ? rn(w.len - (off < w.len ? off : w.len) + 1) :
			     rn(24 * pg);
		struct iovec iov[3];
		unsigned int iovcnt = 1;
		struct kipc_win_io a = { .win = i, .offset = off };
		ssize_t want, got;
		bool badbuf = len && rn(15) == 0;

		if (len > 24 * pg)
			len = 24 * pg;
		/* Two or three segments, now and then. */
		iov[0] = (struct iovec){ buf, len };
		if (len > 2 && rn(3) == 0) {
			size_t cut = rn(len);

			iov[0].iov_len = cut;
			iov[1] = (struct iovec){ buf + cut, len - cut };
			iovcnt = 2;
		}
		if (badbuf)
			iov[0].iov_base = (void *)(8 + rn(4096));
		a.iov = (uintptr_t)iov;
		a.iovcnt = iovcnt;
		if (rn(30) == 0)
			a.flags = 1U << rn(32);
		else if (rn(30) == 0)
			a.__reserved[rn(2)] = 1;
		else if (rn(30) == 0)
			a.iovcnt = 1025 + rn(100);
		if (write)
			for (size_t b = 0; b < len; b++)
				buf[b] = (unsigned char)rnd();
		/* The oracle, in the kernel's order. */
		if (a.flags || a.__reserved[0] || a.__reserved[1] || a.iovcnt > 1024)
			want = -EINVAL;
		else if (i >= o->n)
			want = -EINVAL;
		else if (!(w.flags & (write ? KIPC_WIN_WRITE : KIPC_WIN_READ)))
			want = -EACCES;
		else if (off > w.len || len > w.len - off)
			want = -ERANGE;
		else if (!len)
			want = 0;
		else if (badbuf && iov[0].iov_len)
			want = -EFAULT;
		else
			want = 1;	/* below */
		got = ioctl(c->fd, write ? KIPC_IOC_WIN_WRITE : KIPC_IOC_WIN_READ, &a);
		if (got < 0)
			got = -errno;
		accesses++;
		if (want == 1) {
			size_t aoff = w.addr + off - (uintptr_t)arena;
			unsigned char *cmp = malloc(len);

			ASSERT_TRUE(cmp != NULL);
			/* A write moves the shadow as the kernel moves the arena. */
			want = pieces(aoff, len, write, buf, write ? NULL : cmp);
			ASSERT_EQ(want, got) TH_LOG("window %u %s off %llu len %zu",
						    i, write ? "write" : "read",
						    (unsigned long long)off, len);
			if (!write && got > 0)
				ASSERT_EQ(0, memcmp(cmp, buf, len));
			if (got > 0)
				moved += got;
			free(cmp);
		} else if (want == -EFAULT && badbuf) {
			/* Our bad buffer: whatever segments before it did. */
			ASSERT_EQ(-EFAULT, got);
		} else {
			ASSERT_EQ(want, got) TH_LOG("window %u/%u %s off %llu len %zu flags %#x",
						    i, o->n, write ? "write" : "read",
						    (unsigned long long)off, len, w.flags);
		}
		if (got < 0)
			refused++;
	}
	/* A bad buffer of ours in the first segment moved nothing; others did. */
	ASSERT_EQ(0, kipc_reply(c, 0));
	ASSERT_EQ(-ENOENT, kipc_win_read(c, 0, 0, buf, 1));
	free(buf);
	calls++;
	return 0;
}

FIXTURE(fz) {
	struct kipc_ctx c;
	int ep;
};

FIXTURE_SETUP(fz)
{
	const char *s = getenv("KIPC_FUZZ_SEED");

	pg = sysconf(_SC_PAGESIZE);
	seed = s ? strtoull(s, NULL, 0) : (uint64_t)now_ns();
	TH_LOG("seed %#llx (KIPC_FUZZ_SEED)", (unsigned long long)seed);
	ctx_open(&self->c);
	self->ep = kipc_ep_create(&self->c, 0);
	ASSERT_GE(self->ep, 0);
}

FIXTURE_TEARDOWN(fz)
{
	close(self->ep);
	kipc_ctx_close(&self->c);
}

static uint64_t budget_ns(void)
{
	const char *s = getenv("KIPC_FUZZ_SECONDS");

	return (s ? strtoull(s, NULL, 0) : 20) * 1000000000ULL;
}

TEST_F_TIMEOUT(fz, windows, 300)
{
	size_t size = ARENA_PAGES * pg;
	struct order *o = mmap(NULL, sizeof(*o), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t end = now_ns() + budget_ns();
	static unsigned char rbuf[KIPC_RBUF_MAX];
	pid_t pid;

	ASSERT_NE(MAP_FAILED, o);
	arena = map_arena();
	shadow = malloc(size);
	ASSERT_NE(MAP_FAILED, arena);
	ASSERT_TRUE(shadow != NULL);
	for (size_t i = 0; i < size; i++)
		shadow[i] = pat(i);
	memset(o, 0, sizeof(*o));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/*
		 * It calls forever: a failed assertion of ours must not
		 * leave it holding kipc (the module test after us unloads).
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(1);
		child(self->ep, o);
	}
	while (now_ns() < end) {
		unsigned int n = rn(KIPC_MSG_WINS + 1);
		int want = 0;
		size_t rlen = 0;

		if (rn(50) == 0)
			n = KIPC_MSG_WINS + 1 + rn(7);
		o->n = n;
		for (unsigned int i = 0; i < n && i < KIPC_MSG_WINS; i++) {
			pick_window(&o->w[i]);
			if (!want)
				want = win_check(&o->w[i]);
		}
		if (n > KIPC_MSG_WINS)
			want = -EINVAL;
		else if (!n)
			want = -EAGAIN;		/* a poll that finds nobody */
		if (!want) {
			rlen = rn(3) ? 0 : rn(KIPC_RBUF_MAX + 1);
			ASSERT_EQ(0, kipc_rbuf_set(&self->c, rlen ? rbuf : NULL, rlen));
		}
		__atomic_add_fetch(&o->seq, 1, __ATOMIC_RELEASE);
		if (!want)
			ASSERT_EQ(0, serve(_metadata, &self->c, self->ep, o, rbuf, rlen));
		while (__atomic_load_n(&o->done, __ATOMIC_ACQUIRE) != o->seq)
			usleep(50);
		ASSERT_EQ(want, o->result) TH_LOG("%u windows", n);
	}
	o->seq = -1;
	reap(pid);
	TH_LOG("%ld calls, %ld accesses (%ld refused), %ld bytes moved",
	       calls, accesses, refused, moved);
	EXPECT_GT(calls, 10);
}

/* Regions over our own arena: random everything, the shadow exact. */
TEST_F_TIMEOUT(fz, regions, 300)
{
	size_t size = ARENA_PAGES * pg;
	uint64_t end = now_ns() + budget_ns() / 2;
	unsigned char *buf = malloc(40 * pg);
	struct reg {
		int fd;
		uint64_t off, len;
		unsigned int rights;
		bool revoked;
		int id;
	} r[8] = { 0 };
	long ops = 0, bytes = 0;
	int ids = 0;

	for (int i = 0; i < 8; i++)
		r[i].fd = -1;
	arena = map_arena();
	shadow = malloc(size);
	ASSERT_NE(MAP_FAILED, arena);
	ASSERT_TRUE(shadow && buf);
	for (size_t i = 0; i < size; i++)
		shadow[i] = arena[i] = pat(i);
	/* Inaccessible rather than unmapped: our own mappings stay out of it. */
	ASSERT_EQ(0, mprotect(arena + HOLE_FIRST * pg, (HOLE_END - HOLE_FIRST) * pg,
			      PROT_NONE));
	ASSERT_EQ(0, mprotect(arena + RO_FIRST * pg, (RO_END - RO_FIRST) * pg, PROT_READ));
	while (now_ns() < end) {
		struct reg *x = &r[rn(8)];
		int op = rn(10);

		ops++;
		if (x->fd < 0 || op == 0) {
			uint64_t off = rn(size), len = rn(size - off) + (rn(20) ? 1 : 0);
			unsigned int rights = rn(8), flags = rn(20) ? 0 : 1U << rn(4);
			int want, fd;

			if (x->fd >= 0)
				close(x->fd);
			want = !len || !(rights & 3) || (flags & ~KIPC_FD_INHERIT) ? -EINVAL : 0;
			fd = kipc_region_create(&self->c, arena + off, len, rights, flags);
			if (want) {
				ASSERT_EQ(want, fd);
				x->fd = -1;
				continue;
			}
			ASSERT_GE(fd, 0);
			*x = (struct reg){ fd, off, len, rights, false, ++ids };
			continue;
		}
		if (op == 1) {		/* mint */
			unsigned int rights = rn(8);
			int want = !(rights & 3) ? -EINVAL :
				   !(x->rights & KIPC_REGION_GRANT) || (rights & ~x->rights) ?
				   -EPERM : 0;
			int fd = kipc_region_mint(x->fd, rights, 0);

			if (want) {
				ASSERT_EQ(want, fd);
			} else {
				struct reg *y = &r[rn(8)];

				ASSERT_GE(fd, 0);
				if (y == x) {
					close(fd);
					continue;
				}
				if (y->fd >= 0)
					close(y->fd);
				*y = *x;
				y->fd = fd;
				y->rights = rights;
			}
			continue;
		}
		if (op == 2 && rn(10) == 0) {	/* revoke: every handle of it */
			ASSERT_EQ(0, kipc_region_revoke(x->fd));
			for (int i = 0; i < 8; i++)
				if (r[i].fd >= 0 && r[i].id == x->id)
					r[i].revoked = true;
			continue;
		}
		{
			bool put = rn(2);
			uint64_t off = rn(4) ? rn(x->len + 1) : rnd() >> rn(64);
			size_t len = rn(40 * pg);
			ssize_t want, got;

			if (rn(2) && off <= x->len && x->len - off < len)
				len = x->len - off;
			if (put)
				for (size_t b = 0; b < len; b++)
					buf[b] = (unsigned char)rnd();
			if (!(x->rights & (put ? KIPC_REGION_WRITE : KIPC_REGION_READ)))
				want = -EPERM;
			else if (off > x->len || len > x->len - off)
				want = -ERANGE;
			else if (x->revoked)
				want = -EPIPE;
			else
				want = 1;
			got = put ? kipc_region_put(x->fd, off, buf, len, 0) :
				    kipc_region_get(x->fd, off, buf, len);
			if (want == 1) {
				unsigned char *cmp = malloc(len + 1);

				want = pieces(x->off + off, len, put, buf, put ? NULL : cmp);
				ASSERT_EQ(want, got) TH_LOG("%s off %llu len %zu of [%llu, +%llu)",
							    put ? "put" : "get",
							    (unsigned long long)off, len,
							    (unsigned long long)x->off,
							    (unsigned long long)x->len);
				if (!put && got > 0)
					ASSERT_EQ(0, memcmp(cmp, buf, len));
				free(cmp);
				if (got > 0)
					bytes += got;
			} else {
				ASSERT_EQ(want, got);
			}
		}
	}
	/* The arena is what the shadow says, where it can be read. */
	for (size_t q = 0; q < ARENA_PAGES; q++) {
		if (page_kind(q) == 1)
			continue;
		ASSERT_EQ(0, memcmp(arena + q * pg, shadow + q * pg, pg)) {
			TH_LOG("page %zu", q);
		}
	}
	for (int i = 0; i < 8; i++)
		if (r[i].fd >= 0)
			close(r[i].fd);
	EXPECT_EQ(0, kipc_stat("regions"));
	TH_LOG("%ld operations, %ld bytes moved", ops, bytes);
	free(buf);
}

TEST_HARNESS_MAIN
