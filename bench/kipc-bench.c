// SPDX-License-Identifier: MIT
/*
 * kipc-bench: round-trip latency of kipc against other IPC mechanisms.
 *
 *   kipc-bench [-n ITER] [-w WARMUP] [-s SIZES] [-m NAMES] [-p 1|2|both]
 *              [-o FILE.csv] [-k]
 *   kipc-bench -B [-b SIZES] [-V MIB] [-m NAMES] [-p 1|2|both] [-o FILE.csv]
 *
 * For each mechanism, payload size and placement the program forks: the
 * child is a server that answers every request, the parent a client that
 * makes WARMUP unmeasured round trips and then ITER measured ones, each
 * timed with CLOCK_MONOTONIC.  The report gives the median, the 99th
 * percentile and the mean of one request and its answer, and the CPU time
 * both processes spent per round trip (user + system, read with
 * CLOCK_PROCESS_CPUTIME_ID: the client over all its round trips, warm-up
 * included, the server from server_ready() to the end of serve(); their
 * sum divided by WARMUP + ITER).
 *
 * Placement: "1" puts client and server on CPU 0, "2" the client on CPU 0
 * and the server on CPU 1.
 *
 * A mechanism is one row of mechs[]: setup() makes the channel before the
 * fork, serve() is the child's whole life (it calls server_ready() once it
 * can take requests), client() prepares the parent's side, round_trip() is
 * one request and its answer, done() tells the server to stop.  The
 * measuring loop, measure(), is the same for all.
 *
 * Each answer is checked (the server changes the request in a known way),
 * so a transport that loses or fakes messages cannot produce a fast number.
 * A payload of BYTES carries the round number in its first 8 bytes and the
 * server adds one; with 0 bytes each mechanism sends the least it can and
 * the check rides on whatever that is (see each mechanism).
 *
 * -k brackets each row's ITER measured round trips with two marker
 * instructions (no-ops) that the QEMU plugin bench/prof/kipc-prof.c
 * recognises: it counts the guest instructions executed between them, per
 * address (`make profile`, bench/README.md).
 *
 * Servers (-S CLIENTS, -T CALLS): after the table, one single-threaded
 * server serves N client processes at once, each making CALLS synchronous
 * round trips of 8 bytes: "kipc_uring_srv" keeps one kipc context per
 * client in flight on one io_uring (recv, then reply_recv) against clients
 * in kipc_call; "epoll_unix_srv" waits in epoll on one UNIX stream socket
 * per client and answers with read and write.  Reported: calls per second
 * (all calls over the time from the first start to the last end) and the
 * median and 99th percentile of the clients' round trips.
 *
 * Bulk data (-B, instead of all the above): a request of 4 KiB to 16 MiB
 * (-b) from client to server and an answer as large back, through memory
 * windows (kipc_window, kipc_window_rbuf), an exposed region (kipc_region),
 * process_vm_readv/_writev (process_vm, and process_vm_read1: one read
 * alone), a memfd mapped once or per transfer (memfd, memfd_map), pipes, a
 * UNIX stream socket and binder (up to 64 KiB): the rows of bulk_mechs[],
 * with the same fork, loop and report; the round trips per row scale down
 * with the size (-V).  Four words of every request and answer are checked
 * (see "bulk data" below).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/android/binder.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <liburing.h>

#include <kipc.h>
#include <kipc_uring.h>

#define MAX_BYTES	(KIPC_MSG_REGS * 8)
#define MAX_SIZES	16
#define INF		KIPC_TIMEOUT_INFINITE
#define BINDER_DEV	"/dev/binder"
#define BINDER_MAP	(128 * 1024)
#ifndef MQ_PRIO_MAX
#define MQ_PRIO_MAX	32768
#endif

/* Shared by client and server (MAP_SHARED); cleared before each row. */
struct shm {
	uint32_t word;			/* futex word; sched_yield's turn */
	uint32_t stop;			/* the client asks the server to end */
	unsigned char req[MAX_BYTES];	/* request slot */
	unsigned char rsp[MAX_BYTES];	/* answer slot */
	uint64_t srv_cpu_ns;		/* the server's CPU time while serving */
	uint64_t addr;			/* process_vm_read1: the server's buffer */
};

struct bench {
	unsigned int bytes;		/* payload of a request and of an answer */
	int cpus;			/* 1: both on CPU 0; 2: server on CPU 1 */
	int ready[2];			/* server -> client: "ready to serve" */
	pid_t ppid;			/* what getppid() must return */
	pid_t self;			/* the client's pid */
	pid_t peer;			/* the other side's pid */
	uint64_t cpu0;			/* server: CPU time at server_ready() */
	uint64_t cpu_ns;		/* client: CPU time of its round trips */
	struct shm *shm;
	unsigned char buf[MAX_BYTES];	/* this side's message */
	int record;			/* fd mechanisms: one read per message */
	/*
	 * fd mechanisms: [0] the client writes, [1] the client reads,
	 * [2] the server reads, [3] the server writes.
	 */
	int fd[4];
	struct {
		struct kipc_ctx ctx;	/* this side's context */
		int snd, rcv;		/* request endpoint: client's, server's */
		int rsnd, rrcv;		/* kipc_send's answer endpoint: server's, client's */
		int use_fd;		/* name endpoints by descriptor (ABI 1.0) */
		int ep, rep;		/* what this side names them by: a slot or fd */
	} kipc;
	struct {
		int fd;
		void *map;
		binder_uintptr_t held;	/* a received buffer not yet freed */
	} binder;
	/* Bulk rows (-B): b->bytes each way, in buffers of their own. */
	struct {
		unsigned char *buf;	/* server: where it processes a request */
		unsigned char *req;	/* client: the request it sends */
		unsigned char *rsp;	/* client: where the answer lands */
		unsigned char *map;	/* memfd: its mapping, 2 * bytes */
		int memfd;		/* memfd rows: request half, answer half */
		int region;		/* kipc_region: the client's handle */
	} bulk;
};

/* The mechanism has no payload: measured once, reported as 0 bytes. */
#define M_NOPAYLOAD	(1U << 0)
/* The mechanism is defined on one CPU only. */
#define M_ONECPU	(1U << 1)
/* Bulk rows (-B): the mechanism carries at most BULK_64K bytes. */
#define M_BULK_64K	(1U << 2)
/* Bulk rows: one copy of BYTES, no answer (its MB/s: BYTES / median). */
#define M_ONEWAY	(1U << 3)

struct mech {
	const char *name;
	unsigned int flags;
	int (*setup)(struct bench *b);
	int (*serve)(struct bench *b);
	int (*client)(struct bench *b);
	int (*round_trip)(struct bench *b, uint64_t i);
	void (*done)(struct bench *b);
};

/*
 * When the server dies the client must not hang: eventfds, futexes and
 * message queues have no end of file.  While the client loop runs, SIGCHLD
 * jumps out of it (before or during a blocking call alike); otherwise it
 * sets server_gone, which makes interrupted calls fail.
 */
static volatile sig_atomic_t server_gone, loop_armed;
static sigjmp_buf loop_exit;

static void on_sigchld(int sig)
{
	server_gone = 1;
	if (loop_armed) {
		loop_armed = 0;
		siglongjmp(loop_exit, 1);
	}
}

/* An interrupted call is retried unless the server is gone. */
static int again(void)
{
	return errno == EINTR && !server_gone;
}

/* This process's CPU time, user + system, in ns. */
static uint64_t cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * The server tells the client it can take requests.  Its CPU time counts
 * from here (what it spent setting up is not a round trip's).
 */
static int server_ready(struct bench *b)
{
	char c = 1;
	int ret;

	b->cpu0 = cpu_now();
	ret = write(b->ready[1], &c, 1) == 1 ? 0 : -errno;

	close(b->ready[1]);
	return ret;
}

/* The round number travels in the first min(len, 8) bytes of a message. */
static uint64_t seq_mask(size_t len)
{
	return len >= 8 ? ~0ULL : (1ULL << (8 * len)) - 1;
}

static void put_seq(unsigned char *p, size_t len, uint64_t v)
{
	memcpy(p, &v, len < 8 ? len : 8);
}

static uint64_t get_seq(const unsigned char *p, size_t len)
{
	uint64_t v = 0;

	memcpy(&v, p, len < 8 ? len : 8);
	return v;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- kipc ---------------------------------------------------------- */

/* -L: the endpoint flags of kipc's rows (KIPC_EP_NO_INHERIT: inheritance off). */
static unsigned int kipc_ep_flags;

/*
 * One endpoint: a send-only and a receive-only handle, both with
 * KIPC_RIGHT_GRANT if @grant is (a message may carry descriptors if its
 * sender's handle has it, a reply if the server's receive handle has).
 */
static int kipc_pair_grant(int *snd, int *rcv, unsigned int grant)
{
	struct kipc_ctx ctx;
	int ep, ret;

	*snd = *rcv = -1;
	/* Creating an endpoint needs a context; each side opens its own later. */
	ret = kipc_ctx_open(&ctx);
	if (ret)
		return ret;
	ep = kipc_ep_create(&ctx, kipc_ep_flags);
	if (ep < 0) {
		kipc_ctx_close(&ctx);
		return ep;
	}
	*snd = kipc_ep_mint(&ctx, ep, KIPC_RIGHT_SEND | grant, 0, 0);
	*rcv = kipc_ep_mint(&ctx, ep, KIPC_RIGHT_RECV | grant, 0, 0);
	close(ep);
	kipc_ctx_close(&ctx);
	ret = *snd < 0 ? *snd : *rcv < 0 ? *rcv : 0;
	if (ret) {
		if (*snd >= 0)
			close(*snd);
		if (*rcv >= 0)
			close(*rcv);
		*snd = *rcv = -1;
	}
	return ret;
}

static int kipc_pair(int *snd, int *rcv)
{
	return kipc_pair_grant(snd, rcv, 0);
}

static void kipc_reset(struct bench *b)
{
	b->kipc.ctx.fd = -1;
	b->kipc.ctx.utcb = NULL;
	b->kipc.snd = b->kipc.rcv = b->kipc.rsnd = b->kipc.rrcv = -1;
	b->kipc.use_fd = 0;
}

/*
 * After the context is open: how this side names endpoint @fd (and @rfd,
 * the answer endpoint, or -1).  The kipc rows register them (ABI 1.2: the
 * arguments travel in the message area and no descriptor is looked up);
 * the _fd row passes descriptors as ABI 1.0 does.
 */
static int kipc_name(struct bench *b, int fd, int rfd)
{
	int ret = 0;

	b->kipc.ep = fd;
	b->kipc.rep = rfd;
	if (b->kipc.use_fd)
		return 0;
	ret = kipc_register(&b->kipc.ctx, 0, fd);
	b->kipc.ep = KIPC_SLOT(0);
	if (!ret && rfd >= 0) {
		ret = kipc_register(&b->kipc.ctx, 1, rfd);
		b->kipc.rep = KIPC_SLOT(1);
	}
	return ret;
}

/* The answer: label + 1, mr[0] + 1, the other registers as they came. */
static uint64_t kipc_answer(struct kipc_ctx *ctx)
{
	uint64_t tag = kipc_tag(ctx);

	if (KIPC_TAG_NR(tag))
		kipc_mr(ctx)[0]++;
	return KIPC_TAG(KIPC_TAG_LABEL(tag) + 1, KIPC_TAG_NR(tag));
}

/* The payload is BYTES / 8 registers; with 0 bytes only the tag travels. */
static uint64_t kipc_request(struct bench *b, uint64_t i)
{
	unsigned int nr = b->bytes / 8;

	if (nr)
		kipc_mr(&b->kipc.ctx)[0] = i;
	return KIPC_TAG(i, nr);
}

static int kipc_check(struct bench *b, uint64_t i)
{
	unsigned int nr = b->bytes / 8;
	uint64_t tag = kipc_tag(&b->kipc.ctx);

	if (KIPC_TAG_LABEL(tag) != i + 1 || KIPC_TAG_NR(tag) != nr ||
	    (nr && kipc_mr(&b->kipc.ctx)[0] != i + 1))
		return -EPROTO;
	return 0;
}

/* kipc_call: the client calls, the server answers with reply_recv. */

static int call_setup(struct bench *b)
{
	kipc_reset(b);
	return kipc_pair(&b->kipc.snd, &b->kipc.rcv);
}

/* The same by descriptor, ABI 1.0 (a struct copied in, a lookup). */
static int call_fd_setup(struct bench *b)
{
	int ret = call_setup(b);

	b->kipc.use_fd = 1;
	return ret;
}

/* Ends when the client closes the only send handle: recv fails with EPIPE. */
static int call_serve(struct bench *b)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	int ret;

	close_fd(&b->kipc.snd);
	ret = kipc_ctx_open(ctx);
	if (!ret)
		ret = kipc_name(b, b->kipc.rcv, -1);
	if (!ret)
		ret = server_ready(b);
	if (!ret)
		ret = kipc_recv(ctx, b->kipc.ep, INF);
	while (!ret)
		ret = kipc_reply_recv(ctx, b->kipc.ep, kipc_answer(ctx), INF);
	return ret == -EPIPE ? 0 : ret;
}

static int call_client(struct bench *b)
{
	close_fd(&b->kipc.rcv);
	return kipc_ctx_open(&b->kipc.ctx) ?: kipc_name(b, b->kipc.snd, -1);
}

static int call_round_trip(struct bench *b, uint64_t i)
{
	int ret = kipc_call(&b->kipc.ctx, b->kipc.ep, kipc_request(b, i), INF);

	return ret ? ret : kipc_check(b, i);
}

/*
 * kipc_forward and kipc_proxy: the client calls a proxy, which hands the
 * call on to the server.  kipc_forward's proxy forwards (ABI 1.7,
 * KIPC_IOC_MFORWARD_RECV: the reply right moves, the server answers the
 * client straight); kipc_proxy's receives and calls the server itself,
 * then relays the reply (two round trips).  The proxy is a process of its
 * own beside the server, both with the server's CPU placement; snd/rcv is
 * the proxy's endpoint, rsnd/rrcv the server's.
 */
static void kipc_done(struct bench *b);

static int proxy_setup(struct bench *b)
{
	kipc_reset(b);
	/* The proxy's handle of the server's endpoint may forward. */
	return kipc_pair(&b->kipc.snd, &b->kipc.rcv) ?:
	       kipc_pair_grant(&b->kipc.rsnd, &b->kipc.rrcv, KIPC_RIGHT_FORWARD);
}

/* The proxy's loop, until the client closes its handle (EPIPE). */
static int proxy_loop(struct bench *b, int forward)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	int ret;

	close_fd(&b->kipc.rrcv);
	ret = kipc_ctx_open(ctx) ?: kipc_name(b, b->kipc.rcv, b->kipc.rsnd);
	if (!ret)
		ret = kipc_recv(ctx, b->kipc.ep, INF);
	while (!ret) {
		uint64_t tag = kipc_tag(ctx);

		if (forward) {
			ret = kipc_forward_recv(ctx, b->kipc.rep, tag, b->kipc.ep, INF, INF);
			continue;
		}
		ret = kipc_call(ctx, b->kipc.rep, tag, INF);
		if (!ret)
			ret = kipc_reply_recv(ctx, b->kipc.ep, kipc_tag(ctx), INF);
	}
	kipc_done(b);
	return ret == -EPIPE ? 0 : ret;
}

/* The server forks the proxy, then serves on its own endpoint. */
static int proxy_serve(struct bench *b, int forward)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	int ret, st;
	pid_t pid;

	close_fd(&b->kipc.snd);
	/* The client's handler (no SA_RESTART) would end our wait with EINTR. */
	signal(SIGCHLD, SIG_DFL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(proxy_loop(b, forward) ? 1 : 0);
	}
	close_fd(&b->kipc.rcv);
	close_fd(&b->kipc.rsnd);
	ret = kipc_ctx_open(ctx) ?: kipc_name(b, b->kipc.rrcv, -1);
	if (!ret)
		ret = server_ready(b);
	if (!ret)
		ret = kipc_recv(ctx, b->kipc.ep, INF);
	while (!ret)
		ret = kipc_reply_recv(ctx, b->kipc.ep, kipc_answer(ctx), INF);
	/* The proxy ends first (the client closed), then we see EPIPE. */
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		ret = ret == -EPIPE ? -ECHILD : ret;
	return ret == -EPIPE ? 0 : ret;
}

static int forward_serve(struct bench *b)
{
	return proxy_serve(b, 1);
}

static int reproxy_serve(struct bench *b)
{
	return proxy_serve(b, 0);
}

static int proxy_client(struct bench *b)
{
	close_fd(&b->kipc.rcv);
	close_fd(&b->kipc.rsnd);
	close_fd(&b->kipc.rrcv);
	return kipc_ctx_open(&b->kipc.ctx) ?: kipc_name(b, b->kipc.snd, -1);
}

static void kipc_done(struct bench *b)
{
	close_fd(&b->kipc.snd);
	close_fd(&b->kipc.rcv);
	close_fd(&b->kipc.rsnd);
	close_fd(&b->kipc.rrcv);
	if (b->kipc.ctx.fd >= 0)
		kipc_ctx_close(&b->kipc.ctx);
	b->kipc.ctx.fd = -1;
}

/*
 * kipc_send: two endpoints, one per direction; the client sends and then
 * receives, the server receives and then sends (four IPC system calls per
 * round trip where kipc_call needs two).
 */

static int send_setup(struct bench *b)
{
	int ret;

	kipc_reset(b);
	ret = kipc_pair(&b->kipc.snd, &b->kipc.rcv);
	if (!ret)
		ret = kipc_pair(&b->kipc.rsnd, &b->kipc.rrcv);
	if (ret)
		kipc_done(b);
	return ret;
}

/* The server side of both one-way rows: its endpoints, up to the first receive. */
static int send_serve_start(struct bench *b)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	int ret;

	close_fd(&b->kipc.snd);
	close_fd(&b->kipc.rrcv);
	ret = kipc_ctx_open(ctx);
	if (!ret)
		ret = kipc_name(b, b->kipc.rcv, b->kipc.rsnd);
	if (!ret)
		ret = server_ready(b);
	if (!ret)
		ret = kipc_recv(ctx, b->kipc.ep, INF);
	return ret;
}

static int send_serve(struct bench *b)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	int ret = send_serve_start(b);

	while (!ret) {
		ret = kipc_send(ctx, b->kipc.rep, kipc_answer(ctx), INF);
		if (!ret)
			ret = kipc_recv(ctx, b->kipc.ep, INF);
	}
	return ret == -EPIPE ? 0 : ret;
}

static int send_client(struct bench *b)
{
	close_fd(&b->kipc.rcv);
	close_fd(&b->kipc.rsnd);
	return kipc_ctx_open(&b->kipc.ctx) ?:
	       kipc_name(b, b->kipc.snd, b->kipc.rrcv);
}

static int send_round_trip(struct bench *b, uint64_t i)
{
	int ret = kipc_send(&b->kipc.ctx, b->kipc.ep, kipc_request(b, i), INF);

	if (!ret)
		ret = kipc_recv(&b->kipc.ctx, b->kipc.rep, INF);
	return ret ? ret : kipc_check(b, i);
}

/*
 * kipc_send_recv: the same two one-way endpoints, each side sending and
 * then receiving in one entry (KIPC_IOC_MSEND_RECV, ABI 1.3): two IPC
 * system calls per round trip, through registered slots.
 */
static int send_recv_serve(struct bench *b)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	int ret = send_serve_start(b);

	while (!ret)
		ret = kipc_send_recv(ctx, b->kipc.rep, kipc_answer(ctx), b->kipc.ep,
				     INF, INF);
	return ret == -EPIPE ? 0 : ret;
}

static int send_recv_round_trip(struct bench *b, uint64_t i)
{
	int ret = kipc_send_recv(&b->kipc.ctx, b->kipc.ep, kipc_request(b, i),
				 b->kipc.rep, INF, INF);

	return ret ? ret : kipc_check(b, i);
}

/* ---- byte streams and records: pipe, UNIX sockets ------------------ */

/*
 * None of these can carry an empty message (a read of 0 bytes means end
 * of file), so the 0-byte rows move 1 byte, which carries the check.
 */
static size_t fd_len(const struct bench *b)
{
	return b->bytes ? b->bytes : 1;
}

/* 1: got @len bytes, 0: end of file before any, -errno otherwise. */
static int read_msg(const struct bench *b, int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && again())
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return got ? -EPROTO : 0;
		/* A record socket delivers one whole message per read. */
		if (b->record && (size_t)n != len)
			return -EPROTO;
		got += n;
	}
	return 1;
}

static int write_msg(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && again())
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

static void fd_reset(struct bench *b)
{
	b->fd[0] = b->fd[1] = b->fd[2] = b->fd[3] = -1;
	b->record = 0;
}

/* Close @fd[@a] and @fd[@c], which may be one descriptor. */
static void fd_close2(struct bench *b, int a, int c)
{
	if (b->fd[c] == b->fd[a])
		b->fd[c] = -1;
	close_fd(&b->fd[a]);
	close_fd(&b->fd[c]);
}

/* pipe: two pipes and the loop of `perf bench sched pipe`. */
static int pipe_setup(struct bench *b)
{
	int req[2], rsp[2];

	fd_reset(b);
	if (pipe2(req, O_CLOEXEC))
		return -errno;
	if (pipe2(rsp, O_CLOEXEC)) {
		close(req[0]);
		close(req[1]);
		return -errno;
	}
	b->fd[0] = req[1];
	b->fd[2] = req[0];
	b->fd[3] = rsp[1];
	b->fd[1] = rsp[0];
	return 0;
}

static int socket_setup(struct bench *b, int type)
{
	int sv[2];

	fd_reset(b);
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv))
		return -errno;
	b->fd[0] = b->fd[1] = sv[0];
	b->fd[2] = b->fd[3] = sv[1];
	b->record = type == SOCK_SEQPACKET;
	return 0;
}

static int stream_setup(struct bench *b)
{
	return socket_setup(b, SOCK_STREAM);
}

static int seqpacket_setup(struct bench *b)
{
	return socket_setup(b, SOCK_SEQPACKET);
}

/* Answer with the round number incremented; ends at end of file. */
static int fd_serve(struct bench *b)
{
	size_t len = fd_len(b);
	int ret;

	fd_close2(b, 0, 1);
	ret = server_ready(b);
	while (!ret && (ret = read_msg(b, b->fd[2], b->buf, len)) > 0) {
		put_seq(b->buf, len, get_seq(b->buf, len) + 1);
		ret = write_msg(b->fd[3], b->buf, len);
	}
	return ret;
}

static int fd_client(struct bench *b)
{
	fd_close2(b, 2, 3);
	return 0;
}

static int fd_round_trip(struct bench *b, uint64_t i)
{
	size_t len = fd_len(b);
	int ret;

	put_seq(b->buf, len, i);
	ret = write_msg(b->fd[0], b->buf, len);
	if (ret)
		return ret;
	ret = read_msg(b, b->fd[1], b->buf, len);
	if (ret <= 0)
		return ret ? ret : -EPIPE;
	return get_seq(b->buf, len) == ((i + 1) & seq_mask(len)) ? 0 : -EPROTO;
}

static void fd_done(struct bench *b)
{
	fd_close2(b, 0, 1);
	fd_close2(b, 2, 3);
}

/* ---- shared memory: eventfd and futex ------------------------------ */

/*
 * The message lives in the shared slots: the sender copies it in (one copy
 * per direction, as kipc makes), the receiver reads it in place.  The
 * server copies the request into the answer slot and adds one to the round
 * number.  With 0 bytes nothing is copied and the check rides on the
 * eventfd counter or the futex word.
 */
static void shm_answer(struct bench *b)
{
	struct shm *s = b->shm;

	if (b->bytes) {
		memcpy(s->rsp, s->req, b->bytes);
		put_seq(s->rsp, b->bytes, get_seq(s->req, b->bytes) + 1);
	}
}

static void shm_request(struct bench *b, uint64_t i)
{
	if (b->bytes) {
		put_seq(b->buf, b->bytes, i);
		memcpy(b->shm->req, b->buf, b->bytes);
	}
}

static int shm_check(struct bench *b, uint64_t i)
{
	if (b->bytes && get_seq(b->shm->rsp, b->bytes) != i + 1)
		return -EPROTO;
	return 0;
}

static int shm_stopped(struct bench *b)
{
	return __atomic_load_n(&b->shm->stop, __ATOMIC_ACQUIRE);
}

/*
 * eventfd_shm: one eventfd per direction (fd[0] requests, fd[1] answers).
 * The client writes round + 1 to the request counter, the server answers
 * with what it read plus one.
 */
static int efd_read(int fd, uint64_t *v)
{
	while (read(fd, v, sizeof(*v)) != sizeof(*v))
		if (!again())
			return -errno;
	return 0;
}

static int efd_write(int fd, uint64_t v)
{
	while (write(fd, &v, sizeof(v)) != sizeof(v))
		if (!again())
			return -errno;
	return 0;
}

static int eventfd_setup(struct bench *b)
{
	fd_reset(b);
	b->fd[0] = eventfd(0, EFD_CLOEXEC);
	b->fd[1] = eventfd(0, EFD_CLOEXEC);
	if (b->fd[0] < 0 || b->fd[1] < 0) {
		int ret = -errno;

		fd_done(b);
		return ret;
	}
	return 0;
}

static int eventfd_serve(struct bench *b)
{
	uint64_t v;
	int ret;

	ret = server_ready(b);
	while (!ret) {
		ret = efd_read(b->fd[0], &v);
		if (ret || shm_stopped(b))
			break;
		shm_answer(b);
		ret = efd_write(b->fd[1], v + 1);
	}
	return ret;
}

static int nothing(struct bench *b)
{
	return 0;
}

static int eventfd_round_trip(struct bench *b, uint64_t i)
{
	uint64_t v;
	int ret;

	shm_request(b, i);
	ret = efd_write(b->fd[0], i + 1);
	if (!ret)
		ret = efd_read(b->fd[1], &v);
	if (ret)
		return ret;
	return v == i + 2 ? shm_check(b, i) : -EPROTO;
}

static void eventfd_done(struct bench *b)
{
	__atomic_store_n(&b->shm->stop, 1, __ATOMIC_RELEASE);
	if (b->fd[0] >= 0)
		efd_write(b->fd[0], 1);
	fd_done(b);
}

/*
 * futex_shm: one shared futex word; the client stores 2 * round + 1 and
 * wakes the server, the server stores that plus one and wakes the client.
 * Each side sleeps in FUTEX_WAIT while the word holds its own last value
 * (no spinning: on one CPU that would only burn the time slice).
 */
static long futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* Wait until the word differs from @old; returns the new value. */
static int futex_wait_change(uint32_t *w, uint32_t old, uint32_t *now)
{
	uint32_t v;

	while ((v = __atomic_load_n(w, __ATOMIC_ACQUIRE)) == old) {
		if (futex(w, FUTEX_WAIT, old) && errno != EAGAIN && !again())
			return -errno;
	}
	*now = v;
	return 0;
}

static int futex_post(uint32_t *w, uint32_t v)
{
	__atomic_store_n(w, v, __ATOMIC_RELEASE);
	return futex(w, FUTEX_WAKE, 1) < 0 ? -errno : 0;
}

static int futex_serve(struct bench *b)
{
	uint32_t *w = &b->shm->word, last = 0, v;
	int ret;

	ret = server_ready(b);
	while (!ret) {
		ret = futex_wait_change(w, last, &v);
		if (ret || shm_stopped(b))
			break;
		shm_answer(b);
		last = v + 1;
		ret = futex_post(w, last);
	}
	return ret;
}

static int futex_round_trip(struct bench *b, uint64_t i)
{
	uint32_t *w = &b->shm->word, req = 2 * i + 1, v;
	int ret;

	shm_request(b, i);
	ret = futex_post(w, req);
	if (!ret)
		ret = futex_wait_change(w, req, &v);
	if (ret)
		return ret;
	return v == req + 1 ? shm_check(b, i) : -EPROTO;
}

static void futex_done(struct bench *b)
{
	uint32_t *w = &b->shm->word;

	__atomic_store_n(&b->shm->stop, 1, __ATOMIC_RELEASE);
	futex_post(w, __atomic_load_n(w, __ATOMIC_RELAXED) + 2);
}

/* ---- POSIX message queues ------------------------------------------ */

/*
 * mqueue: one queue per direction (fd[0] requests, fd[1] answers), at most
 * one message in each.  A message queue carries empty messages, so the
 * 0-byte rows send 0 bytes and the check rides on the priority: the
 * client sends round mod MQ_PRIO_MAX, the server answers with one more.
 */
static int mq_make(const char *what, unsigned int bytes)
{
	struct mq_attr attr = { .mq_maxmsg = 1, .mq_msgsize = bytes ? bytes : 1 };
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/kipc-bench-%d-%s", (int)getpid(), what);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
	if (q == (mqd_t)-1)
		return -errno;
	mq_unlink(name);	/* both sides hold it from here on */
	return q;
}

static int mq_setup(struct bench *b)
{
	int ret;

	fd_reset(b);
	ret = mq_make("req", b->bytes);
	if (ret < 0)
		return ret;
	b->fd[0] = ret;
	ret = mq_make("rsp", b->bytes);
	if (ret < 0) {
		close_fd(&b->fd[0]);
		return ret;
	}
	b->fd[1] = ret;
	return 0;
}

static int mq_get(int q, unsigned char *buf, unsigned int *prio)
{
	ssize_t n;

	while ((n = mq_receive(q, (char *)buf, MAX_BYTES, prio)) < 0)
		if (!again())
			return -errno;
	return n;
}

static int mq_put(int q, const unsigned char *buf, size_t len, unsigned int prio)
{
	while (mq_send(q, (const char *)buf, len, prio))
		if (!again())
			return -errno;
	return 0;
}

static int mq_serve(struct bench *b)
{
	unsigned int prio;
	int ret;

	ret = server_ready(b);
	while (!ret) {
		ret = mq_get(b->fd[0], b->buf, &prio);
		if (ret < 0 || shm_stopped(b))
			break;
		if ((unsigned int)ret != b->bytes)
			return -EPROTO;
		if (b->bytes)
			put_seq(b->buf, b->bytes, get_seq(b->buf, b->bytes) + 1);
		ret = mq_put(b->fd[1], b->buf, b->bytes, (prio + 1) % MQ_PRIO_MAX);
	}
	return ret < 0 ? ret : 0;
}

static int mq_round_trip(struct bench *b, uint64_t i)
{
	unsigned int prio;
	int ret;

	if (b->bytes)
		put_seq(b->buf, b->bytes, i);
	ret = mq_put(b->fd[0], b->buf, b->bytes, i % MQ_PRIO_MAX);
	if (!ret)
		ret = mq_get(b->fd[1], b->buf, &prio);
	if (ret < 0)
		return ret;
	if ((unsigned int)ret != b->bytes || prio != (i + 1) % MQ_PRIO_MAX ||
	    (b->bytes && get_seq(b->buf, b->bytes) != i + 1))
		return -EPROTO;
	return 0;
}

static void mq_done(struct bench *b)
{
	struct timespec ts;

	__atomic_store_n(&b->shm->stop, 1, __ATOMIC_RELEASE);
	/* Bounded: if the server died the queue may be full. */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	if (b->fd[0] >= 0)
		mq_timedsend(b->fd[0], "", 0, 0, &ts);
	fd_done(b);
}

/* ---- Android binder ------------------------------------------------- */

/*
 * binder: the server is the context manager (handle 0) of /dev/binder, the
 * client sends it BC_TRANSACTION and waits for BR_REPLY, as libbinder's
 * IPCThreadState does without the Parcel layer.  The payload is the
 * transaction's data buffer; binder carries empty transactions, so the
 * 0-byte rows send none and the check rides on the transaction code: the
 * server answers with code + 1.  Received buffers are given back with
 * BC_FREE_BUFFER in the next write, as libbinder does.  A one-way
 * transaction tells the server to stop.
 */
struct binder_io {
	unsigned char w[256];
	size_t wlen;
	unsigned char r[256];
	size_t rlen;
};

static void binder_put(struct binder_io *io, uint32_t cmd, const void *arg,
		       size_t len)
{
	memcpy(io->w + io->wlen, &cmd, sizeof(cmd));
	memcpy(io->w + io->wlen + sizeof(cmd), arg, len);
	io->wlen += sizeof(cmd) + len;
}

/* Write what is queued in @io (if anything), read into @io->r. */
static int binder_talk(int fd, struct binder_io *io, int read)
{
	struct binder_write_read bwr = {
		.write_size = io->wlen,
		.write_buffer = (uintptr_t)io->w,
		.read_size = read ? sizeof(io->r) : 0,
		.read_buffer = (uintptr_t)io->r,
	};

	/* The driver resumes from the consumed counts after an interruption. */
	while (ioctl(fd, BINDER_WRITE_READ, &bwr) < 0)
		if (!again())
			return -errno;
	io->wlen = 0;
	io->rlen = bwr.read_consumed;
	return 0;
}

/* Free a received buffer in the next write. */
static void binder_free(struct binder_io *io, binder_uintptr_t *held)
{
	if (*held)
		binder_put(io, BC_FREE_BUFFER, held, sizeof(*held));
	*held = 0;
}

static int binder_open(struct bench *b)
{
	struct binder_version v;

	b->binder.fd = open(BINDER_DEV, O_RDWR | O_CLOEXEC);
	if (b->binder.fd < 0)
		return -errno;
	if (ioctl(b->binder.fd, BINDER_VERSION, &v) < 0)
		return -errno;
	if (v.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION)
		return -EPROTONOSUPPORT;
	b->binder.map = mmap(NULL, BINDER_MAP, PROT_READ, MAP_PRIVATE,
			     b->binder.fd, 0);
	if (b->binder.map == MAP_FAILED) {
		b->binder.map = NULL;
		return -errno;
	}
	return 0;
}

static int binder_setup(struct bench *b)
{
	b->binder.fd = -1;
	b->binder.map = NULL;
	b->binder.held = 0;
	return access(BINDER_DEV, R_OK | W_OK) ? -errno : 0;
}

static int bulk_answer(unsigned char *p, size_t len, uint64_t *round);

/*
 * Answer one BR_TRANSACTION: code + 1, the data with its round number + 1
 * (a bulk row's server, -B, has its own buffer and checks the request).
 */
static int binder_answer(struct bench *b, struct binder_io *io,
			 const struct binder_transaction_data *tr)
{
	unsigned char *buf = b->bulk.buf ? b->bulk.buf : b->buf;
	struct binder_transaction_data rep = {
		.code = tr->code + 1,
		.data_size = b->bytes,
		.data.ptr.buffer = (uintptr_t)buf,
	};
	uint64_t round;

	if (tr->data_size != b->bytes || tr->offsets_size)
		return -EPROTO;
	if (b->bytes) {
		memcpy(buf, (const void *)(uintptr_t)tr->data.ptr.buffer, b->bytes);
		if (!b->bulk.buf)
			put_seq(buf, b->bytes, get_seq(buf, b->bytes) + 1);
		else if (bulk_answer(buf, b->bytes, &round) || (uint32_t)round != tr->code)
			return -EPROTO;
	}
	b->binder.held = tr->data.ptr.buffer;
	binder_free(io, &b->binder.held);
	binder_put(io, BC_REPLY, &rep, sizeof(rep));
	return 0;
}

static int binder_serve(struct bench *b)
{
	struct binder_transaction_data tr;
	struct binder_ptr_cookie pc;
	static struct binder_io io;
	uint32_t cmd, looper = BC_ENTER_LOOPER;
	size_t at, len;
	int ret, tries;

	ret = binder_open(b);
	if (ret)
		return ret;
	/* The previous row's server is released by a work queue: it may linger. */
	for (tries = 0; ioctl(b->binder.fd, BINDER_SET_CONTEXT_MGR, 0) < 0; tries++) {
		if (errno != EBUSY || tries == 500)
			return -errno;
		usleep(10000);
	}
	memcpy(io.w, &looper, sizeof(looper));
	io.wlen = sizeof(looper);
	ret = binder_talk(b->binder.fd, &io, 0);
	if (!ret)
		ret = server_ready(b);
	while (!ret) {
		ret = binder_talk(b->binder.fd, &io, 1);
		for (at = 0; !ret && at + sizeof(cmd) <= io.rlen; at += len) {
			memcpy(&cmd, io.r + at, sizeof(cmd));
			at += sizeof(cmd);
			len = _IOC_SIZE(cmd);
			switch (cmd) {
			case BR_TRANSACTION:
				memcpy(&tr, io.r + at, sizeof(tr));
				if (tr.flags & TF_ONE_WAY)
					return 0;	/* the client is done */
				ret = binder_answer(b, &io, &tr);
				break;
			case BR_INCREFS:
			case BR_ACQUIRE:
				memcpy(&pc, io.r + at, sizeof(pc));
				binder_put(&io, cmd == BR_INCREFS ? BC_INCREFS_DONE :
					   BC_ACQUIRE_DONE, &pc, sizeof(pc));
				break;
			case BR_NOOP:
			case BR_TRANSACTION_COMPLETE:
			case BR_SPAWN_LOOPER:
			case BR_RELEASE:
			case BR_DECREFS:
			case BR_OK:
				break;
			default:	/* BR_ERROR, BR_FAILED_REPLY, ... */
				ret = -EPROTO;
			}
		}
	}
	return ret;
}

static int binder_client(struct bench *b)
{
	return binder_open(b);
}

/*
 * Send @data (b->bytes) to the server with code @i and wait for its answer:
 * 0 with the answer's data at *@rep (in our binder mapping, freed in the
 * next transaction), or -errno.  Inlined, so that the latency row's round
 * trip stays what it was before the bulk row shared it.
 */
static inline __attribute__((always_inline)) int
binder_transact(struct bench *b, uint64_t i, const void *data,
		const unsigned char **rep)
{
	static struct binder_io io;
	struct binder_transaction_data tr = {
		.target.handle = 0,
		.code = (uint32_t)i,
		.data_size = b->bytes,
		.data.ptr.buffer = (uintptr_t)data,
	};
	uint32_t cmd;
	size_t at, len;
	int ret;

	binder_free(&io, &b->binder.held);
	binder_put(&io, BC_TRANSACTION, &tr, sizeof(tr));
	for (;;) {
		ret = binder_talk(b->binder.fd, &io, 1);
		if (ret)
			return ret;
		for (at = 0; at + sizeof(cmd) <= io.rlen; at += len) {
			memcpy(&cmd, io.r + at, sizeof(cmd));
			at += sizeof(cmd);
			len = _IOC_SIZE(cmd);
			switch (cmd) {
			case BR_NOOP:
			case BR_TRANSACTION_COMPLETE:
				break;
			case BR_REPLY:
				memcpy(&tr, io.r + at, sizeof(tr));
				b->binder.held = tr.data.ptr.buffer;
				if (tr.code != (uint32_t)(i + 1) ||
				    (tr.flags & TF_STATUS_CODE) ||
				    tr.data_size != b->bytes)
					return -EPROTO;
				*rep = (const void *)(uintptr_t)tr.data.ptr.buffer;
				return 0;
			case BR_DEAD_REPLY:
				return -EPIPE;
			default:
				return -EPROTO;
			}
		}
	}
}

static int binder_round_trip(struct bench *b, uint64_t i)
{
	const unsigned char *rep;
	int ret;

	if (b->bytes)
		put_seq(b->buf, b->bytes, i);
	ret = binder_transact(b, i, b->buf, &rep);
	if (!ret && b->bytes && get_seq(rep, b->bytes) != i + 1)
		ret = -EPROTO;
	return ret;
}

static void binder_done(struct bench *b)
{
	struct binder_transaction_data tr = { .flags = TF_ONE_WAY };
	static struct binder_io io;

	if (b->binder.fd < 0)
		return;
	if (b->binder.map) {
		binder_free(&io, &b->binder.held);
		binder_put(&io, BC_TRANSACTION, &tr, sizeof(tr));
		/* Reads its BR_TRANSACTION_COMPLETE (or BR_DEAD_REPLY). */
		binder_talk(b->binder.fd, &io, 1);
		munmap(b->binder.map, BINDER_MAP);
	}
	close_fd(&b->binder.fd);
	b->binder.map = NULL;
}

/* ---- the floor: sched_yield and a null system call ------------------ */

/*
 * sched_yield: both processes on one CPU call sched_yield in turn, two
 * system calls and two context switches per round trip, the least any
 * synchronous IPC between two processes on one CPU pays.  The shared word
 * carries the turn: the client stores 2 * round + 1, the server answers
 * with one more.  No payload.
 */
static int yield_serve(struct bench *b)
{
	uint32_t *w = &b->shm->word, v;
	int ret = server_ready(b);

	while (!ret && !shm_stopped(b)) {
		v = __atomic_load_n(w, __ATOMIC_ACQUIRE);
		if (v & 1)
			__atomic_store_n(w, v + 1, __ATOMIC_RELEASE);
		sched_yield();
	}
	return ret;
}

static int yield_round_trip(struct bench *b, uint64_t i)
{
	uint32_t *w = &b->shm->word, req = 2 * i + 1;

	__atomic_store_n(w, req, __ATOMIC_RELEASE);
	do {
		if (server_gone)
			return -ECHILD;
		sched_yield();
	} while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != req + 1);
	return 0;
}

static void yield_done(struct bench *b)
{
	__atomic_store_n(&b->shm->stop, 1, __ATOMIC_RELEASE);
}

/* null_syscall: getppid, with no server: the cost of entering the kernel. */
static int null_round_trip(struct bench *b, uint64_t i)
{
	return syscall(SYS_getppid) == b->ppid ? 0 : -EPROTO;
}

static void no_done(struct bench *b)
{
}

/*
 * null_ioctl and kipc_recv_eagain, no server: what entering kipc costs.
 * null_ioctl is an ioctl with a number kipc does not know on a context
 * (ENOTTY): the kernel's ioctl path and kipc's dispatch.  kipc_recv_eagain
 * is a recv with timeout 0 on an endpoint where nobody waits (EAGAIN): the
 * whole operation setup and teardown without a partner.
 */
#define KIPC_IOC_UNKNOWN	_IOWR(KIPC_IOC_MAGIC, 0x7f, struct kipc_ipc)

static int kipc_alone_setup(struct bench *b)
{
	kipc_reset(b);
	return 0;
}

static int kipc_alone_client(struct bench *b)
{
	int ret = kipc_ctx_open(&b->kipc.ctx);

	if (ret)
		return ret;
	/* Both rights: recv finds a sender possible, so EAGAIN, not EPIPE. */
	b->kipc.rcv = kipc_ep_create(&b->kipc.ctx, 0);
	return b->kipc.rcv < 0 ? b->kipc.rcv : kipc_name(b, b->kipc.rcv, -1);
}

static int null_ioctl_round_trip(struct bench *b, uint64_t i)
{
	struct kipc_ipc a = { .fd = -1 };

	return ioctl(b->kipc.ctx.fd, KIPC_IOC_UNKNOWN, &a) < 0 && errno == ENOTTY ?
	       0 : -EPROTO;
}

static int recv_eagain_round_trip(struct bench *b, uint64_t i)
{
	return kipc_recv(&b->kipc.ctx, b->kipc.ep, KIPC_TIMEOUT_POLL) == -EAGAIN ?
	       0 : -EPROTO;
}

static const struct mech mechs[] = {
	{ "kipc_call", 0, call_setup, call_serve, call_client, call_round_trip, kipc_done },
	{ "kipc_call_fd", 0, call_fd_setup, call_serve, call_client, call_round_trip, kipc_done },
	{ "kipc_send", 0, send_setup, send_serve, send_client, send_round_trip, kipc_done },
	{ "kipc_send_recv", 0, send_setup, send_recv_serve, send_client, send_recv_round_trip, kipc_done },
	{ "kipc_forward", 0, proxy_setup, forward_serve, proxy_client, call_round_trip, kipc_done },
	{ "kipc_proxy", 0, proxy_setup, reproxy_serve, proxy_client, call_round_trip, kipc_done },
	{ "pipe", 0, pipe_setup, fd_serve, fd_client, fd_round_trip, fd_done },
	{ "unix_stream", 0, stream_setup, fd_serve, fd_client, fd_round_trip, fd_done },
	{ "unix_seqpacket", 0, seqpacket_setup, fd_serve, fd_client, fd_round_trip, fd_done },
	{ "eventfd_shm", 0, eventfd_setup, eventfd_serve, nothing, eventfd_round_trip, eventfd_done },
	{ "futex_shm", 0, nothing, futex_serve, nothing, futex_round_trip, futex_done },
	{ "mqueue", 0, mq_setup, mq_serve, nothing, mq_round_trip, mq_done },
	{ "binder", 0, binder_setup, binder_serve, binder_client, binder_round_trip, binder_done },
	{ "sched_yield", M_NOPAYLOAD | M_ONECPU, nothing, yield_serve, nothing, yield_round_trip, yield_done },
	{ "null_syscall", M_NOPAYLOAD | M_ONECPU, nothing, NULL, nothing, null_round_trip, no_done },
	{ "null_ioctl", M_NOPAYLOAD | M_ONECPU, kipc_alone_setup, NULL, kipc_alone_client, null_ioctl_round_trip, kipc_done },
	{ "kipc_recv_eagain", M_NOPAYLOAD | M_ONECPU, kipc_alone_setup, NULL, kipc_alone_client, recv_eagain_round_trip, kipc_done },
};
#define NR_MECHS	(sizeof(mechs) / sizeof(mechs[0]))

/* ---- bulk data (-B) ------------------------------------------------- */

/*
 * A request of BYTES (4 KiB to 16 MiB by default) from the client to the
 * server and an answer of as many back.  The client builds each request in
 * its request buffer and must find the answer in its answer buffer (or, for
 * binder, in its binder mapping): two buffers, so that a request left
 * where it was is no answer.  The check rides on four 8-byte words: the
 * round number at offset 0, and at the middle, at the end and at an offset
 * that moves with the round a value of the round and the offset.  The
 * server checks them in the request and adds one to the round number; the
 * client checks all four in the answer.  Every buffer is touched before
 * the first round trip, so no row pays for first faults in its measured
 * ones (memfd_map excepted, whose point is the mapping).
 */
#define BULK_ITER_MIN	10
#define BULK_ITER_MAX	2000
#define BULK_VOLUME	(256UL << 20)	/* -V: bytes each way per row */
/* binder: a transaction in BINDER_MAP; kipc: KIPC_RBUF_MAX */
#define BULK_64K	65536

static void *bulk_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, len);
	return p;
}

static void bulk_unmap(unsigned char **p, size_t len)
{
	if (*p)
		munmap(*p, len);
	*p = NULL;
}

static uint64_t bulk_word(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

static void bulk_set(unsigned char *p, size_t off, uint64_t v)
{
	memcpy(p + off, &v, 8);
}

/* The three checked words past the first, for round @i. */
static void bulk_spots(size_t len, uint64_t i, size_t off[3])
{
	off[0] = (len / 2) & ~(size_t)7;
	off[1] = len - 8;
	off[2] = 8 + (i * 4099 % (len / 8 - 1)) * 8;
}

static uint64_t bulk_spot(uint64_t i, size_t off)
{
	return (i + 1) * 0x9e3779b97f4a7c15ULL ^ off;
}

static void bulk_request(unsigned char *p, size_t len, uint64_t i)
{
	size_t off[3];

	bulk_spots(len, i, off);
	bulk_set(p, 0, i);
	for (int k = 0; k < 3; k++)
		bulk_set(p, off[k], bulk_spot(i, off[k]));
}

/* The server: check the request at @p in place, make it the answer. */
static int bulk_answer(unsigned char *p, size_t len, uint64_t *round)
{
	uint64_t i = bulk_word(p, 0);
	size_t off[3];

	bulk_spots(len, i, off);
	for (int k = 0; k < 3; k++)
		if (bulk_word(p, off[k]) != bulk_spot(i, off[k]))
			return -EPROTO;
	bulk_set(p, 0, i + 1);
	*round = i;
	return 0;
}

/* The client: is @p the answer to round @i? */
static int bulk_check(const unsigned char *p, size_t len, uint64_t i)
{
	size_t off[3];

	bulk_spots(len, i, off);
	if (bulk_word(p, 0) != i + 1)
		return -EPROTO;
	for (int k = 0; k < 3; k++)
		if (bulk_word(p, off[k]) != bulk_spot(i, off[k]))
			return -EPROTO;
	return 0;
}

/* What libkipc's copies return: 0 for the whole @len, or -errno. */
static int bulk_all(ssize_t n, size_t len)
{
	return n == (ssize_t)len ? 0 : n < 0 ? (int)n : -EPROTO;
}

/* The same for a system call's count (-1 and errno). */
static int bulk_sys(ssize_t n, size_t len)
{
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EPROTO;
}

static int bulk_server_buf(struct bench *b)
{
	b->bulk.buf = bulk_map(b->bytes);
	return b->bulk.buf ? 0 : -ENOMEM;
}

static int bulk_client_bufs(struct bench *b)
{
	b->bulk.req = bulk_map(b->bytes);
	b->bulk.rsp = bulk_map(b->bytes);
	return b->bulk.req && b->bulk.rsp ? 0 : -ENOMEM;
}

static void bulk_client_free(struct bench *b)
{
	bulk_unmap(&b->bulk.req, b->bytes);
	bulk_unmap(&b->bulk.rsp, b->bytes);
}

/* The server of the kipc rows, up to its first receive: @prep in between. */
static int bulk_kipc_serve_start(struct bench *b, int (*prep)(struct bench *b))
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	int ret;

	close_fd(&b->kipc.snd);
	ret = kipc_ctx_open(ctx);
	if (!ret)
		ret = kipc_name(b, b->kipc.rcv, -1);
	if (!ret)
		ret = prep(b);
	if (!ret)
		ret = server_ready(b);
	if (!ret)
		ret = kipc_recv(ctx, b->kipc.ep, INF);
	return ret;
}

/* The answer's tag of the kipc rows: the label (the round) + 1. */
static uint64_t bulk_kipc_answer(struct kipc_ctx *ctx)
{
	return KIPC_TAG(KIPC_TAG_LABEL(kipc_tag(ctx)) + 1, 0);
}

static int bulk_kipc_client(struct bench *b)
{
	return call_client(b) ?: bulk_client_bufs(b);
}

/* kipc_call with @tag (its label the round, @i): the answer's label is i + 1. */
static int bulk_kipc_call(struct bench *b, uint64_t i, uint64_t tag)
{
	int ret = kipc_call(&b->kipc.ctx, b->kipc.ep, tag, INF);

	if (!ret && KIPC_TAG_LABEL(kipc_tag(&b->kipc.ctx)) != i + 1)
		ret = -EPROTO;
	return ret;
}

static void bulk_kipc_done(struct bench *b)
{
	kipc_done(b);
	bulk_client_free(b);
}

/*
 * kipc_window: the client calls with two windows, its request buffer
 * (READ) and its answer buffer (WRITE); the server copies the request into
 * its buffer (kipc_win_read), makes the answer there, copies it into the
 * answer window (kipc_win_write) and replies with reply_recv.  Two copies
 * per round trip, each straight between the two address spaces.
 */
static int win_rbuf_prep(struct bench *b);

static int win_serve_rows(struct bench *b, int rbuf)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	size_t len = b->bytes;
	uint64_t round;
	int ret = bulk_kipc_serve_start(b, rbuf ? win_rbuf_prep : bulk_server_buf);

	while (!ret) {
		if (kipc_nwins(ctx) != 2 || kipc_win_len(ctx, 0) != len ||
		    kipc_win_len(ctx, 1) != len ||
		    !(kipc_win_flags(ctx, 0) & KIPC_WIN_COPIED) != !rbuf)
			return -EPROTO;
		if (!rbuf)
			ret = bulk_all(kipc_win_read(ctx, 0, 0, b->bulk.buf, len), len);
		if (ret)
			break;
		if (bulk_answer(b->bulk.buf, len, &round) ||
		    round != KIPC_TAG_LABEL(kipc_tag(ctx)))
			return -EPROTO;
		ret = bulk_all(kipc_win_write(ctx, 1, 0, b->bulk.buf, len), len);
		if (!ret)
			ret = kipc_reply_recv(ctx, b->kipc.ep, bulk_kipc_answer(ctx), INF);
	}
	return ret == -EPIPE ? 0 : ret;
}

static int win_serve(struct bench *b)
{
	return win_serve_rows(b, 0);
}

/*
 * kipc_window_rbuf (up to KIPC_RBUF_MAX): the same client; the server's
 * buffer is its context's receive buffer (kipc_rbuf_set), so the request
 * window arrives in it with the message (KIPC_WIN_COPIED) and only the
 * answer needs a kipc_win_write.
 */
static int win_rbuf_prep(struct bench *b)
{
	return bulk_server_buf(b) ?: kipc_rbuf_set(&b->kipc.ctx, b->bulk.buf, b->bytes);
}

static int win_rbuf_serve(struct bench *b)
{
	return win_serve_rows(b, 1);
}

static int win_round_trip(struct bench *b, uint64_t i)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	size_t len = b->bytes;
	int ret;

	bulk_request(b->bulk.req, len, i);
	kipc_win_set(ctx, 0, b->bulk.req, len, KIPC_WIN_READ);
	kipc_win_set(ctx, 1, b->bulk.rsp, len, KIPC_WIN_WRITE);
	ret = bulk_kipc_call(b, i, KIPC_TAG_WITH_WINS(KIPC_TAG(i, 0), 2));
	return ret ? ret : bulk_check(b->bulk.rsp, len, i);
}

/*
 * kipc_region: the server exposes one region of its memory, 2 * BYTES, the
 * request half and the answer half, and hands the client a handle to it in
 * the answer to the client's first call.  A round trip: the client puts
 * the request into the request half (kipc_region_put), calls with an empty
 * message to tell the server, the server makes the answer in its own
 * memory (a copy from the request half into the answer half) and replies,
 * the client gets the answer half (kipc_region_get).  Three copies.  The
 * answer to the first call carries a descriptor: the endpoint's handles
 * have KIPC_RIGHT_GRANT.
 */
static int region_setup(struct bench *b)
{
	kipc_reset(b);
	return kipc_pair_grant(&b->kipc.snd, &b->kipc.rcv, KIPC_RIGHT_GRANT);
}

static int region_prep(struct bench *b)
{
	b->bulk.map = bulk_map(2 * (size_t)b->bytes);
	if (!b->bulk.map)
		return -ENOMEM;
	b->bulk.region = kipc_region_create(&b->kipc.ctx, b->bulk.map, 2 * (size_t)b->bytes,
					    KIPC_REGION_RIGHTS_ALL, 0);
	return b->bulk.region < 0 ? b->bulk.region : 0;
}

static int region_serve(struct bench *b)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	size_t len = b->bytes;
	uint64_t round;
	int ret = bulk_kipc_serve_start(b, region_prep);

	/* The first call asks for the region. */
	if (!ret) {
		kipc_fds(ctx)[0] = b->bulk.region;
		ret = kipc_reply_recv(ctx, b->kipc.ep,
				      KIPC_TAG_WITH_FDS(KIPC_TAG(1, 0), 1), INF);
	}
	while (!ret) {
		memcpy(b->bulk.map + len, b->bulk.map, len);
		if (bulk_answer(b->bulk.map + len, len, &round) ||
		    round != KIPC_TAG_LABEL(kipc_tag(ctx)))
			return -EPROTO;
		ret = kipc_reply_recv(ctx, b->kipc.ep, bulk_kipc_answer(ctx), INF);
	}
	return ret == -EPIPE ? 0 : ret;
}

static int region_client(struct bench *b)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	int ret;

	b->bulk.region = -1;
	ret = bulk_kipc_client(b);
	if (ret)
		return ret;
	kipc_accept_fds(ctx, 1);
	ret = kipc_call(ctx, b->kipc.ep, KIPC_TAG(0, 0), INF);
	kipc_accept_fds(ctx, 0);
	if (ret)
		return ret;
	if (kipc_nfds(ctx) != 1 || KIPC_TAG_LABEL(kipc_tag(ctx)) != 1)
		return -EPROTO;
	b->bulk.region = kipc_fds(ctx)[0];
	return 0;
}

static int region_round_trip(struct bench *b, uint64_t i)
{
	size_t len = b->bytes;
	int ret;

	bulk_request(b->bulk.req, len, i);
	ret = bulk_all(kipc_region_put(b->bulk.region, 0, b->bulk.req, len, 0), len);
	if (!ret)
		ret = bulk_kipc_call(b, i, KIPC_TAG(i, 0));
	if (!ret)
		ret = bulk_all(kipc_region_get(b->bulk.region, len, b->bulk.rsp, len), len);
	return ret ? ret : bulk_check(b->bulk.rsp, len, i);
}

static void region_done(struct bench *b)
{
	close_fd(&b->bulk.region);
	bulk_kipc_done(b);
}

/*
 * process_vm: kipc_window's round trip with process_vm_readv and
 * process_vm_writev in place of the window copies.  The client calls with
 * the addresses of its request and answer buffers in two registers and
 * waits in kipc_call (the doorbell and the wait for the answer); the
 * server, woken in reply_recv, reads the request out of the client with
 * process_vm_readv, makes the answer in its buffer, writes it into the
 * client's answer buffer with process_vm_writev and replies.  Two copies.
 * The server needs the right to ptrace the client (Yama: the client names
 * every process its tracer while the row runs).
 */
static int pvm_serve(struct bench *b)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	size_t len = b->bytes;
	struct iovec local = { .iov_len = len }, remote = { .iov_len = len };
	uint64_t round;
	int ret = bulk_kipc_serve_start(b, bulk_server_buf);

	local.iov_base = b->bulk.buf;
	while (!ret) {
		if (KIPC_TAG_NR(kipc_tag(ctx)) != 2)
			return -EPROTO;
		remote.iov_base = (void *)(uintptr_t)kipc_mr(ctx)[0];
		ret = bulk_sys(process_vm_readv(b->peer, &local, 1, &remote, 1, 0), len);
		if (ret)
			return ret;
		if (bulk_answer(b->bulk.buf, len, &round) ||
		    round != KIPC_TAG_LABEL(kipc_tag(ctx)))
			return -EPROTO;
		remote.iov_base = (void *)(uintptr_t)kipc_mr(ctx)[1];
		ret = bulk_sys(process_vm_writev(b->peer, &local, 1, &remote, 1, 0), len);
		if (ret)
			return ret;
		ret = kipc_reply_recv(ctx, b->kipc.ep, bulk_kipc_answer(ctx), INF);
	}
	return ret == -EPIPE ? 0 : ret;
}

static int pvm_client(struct bench *b)
{
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);	/* EINVAL without Yama */
	return bulk_kipc_client(b);
}

static int pvm_round_trip(struct bench *b, uint64_t i)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	size_t len = b->bytes;
	int ret;

	bulk_request(b->bulk.req, len, i);
	kipc_mr(ctx)[0] = (uintptr_t)b->bulk.req;
	kipc_mr(ctx)[1] = (uintptr_t)b->bulk.rsp;
	ret = bulk_kipc_call(b, i, KIPC_TAG(i, 2));
	return ret ? ret : bulk_check(b->bulk.rsp, len, i);
}

static void pvm_done(struct bench *b)
{
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	bulk_kipc_done(b);
}

/*
 * process_vm_read1: one process_vm_readv of BYTES out of a server that
 * waits in read() on a pipe the whole time (no doorbell, no answer): the
 * copy alone, for the window's target.  The server fills its buffer as a
 * request of round PVM1_ROUND made into its answer; the client clears
 * two of the checked words before each read.
 */
#define PVM1_ROUND	0x4b495043ULL

static int pvm1_setup(struct bench *b)
{
	int p[2];

	fd_reset(b);
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	b->fd[0] = p[1];
	b->fd[2] = p[0];
	return 0;
}

static int pvm1_serve(struct bench *b)
{
	uint64_t round;
	ssize_t n;
	char c;
	int ret;

	close_fd(&b->fd[0]);
	ret = bulk_server_buf(b);
	if (ret)
		return ret;
	bulk_request(b->bulk.buf, b->bytes, PVM1_ROUND);
	bulk_answer(b->bulk.buf, b->bytes, &round);
	b->shm->addr = (uintptr_t)b->bulk.buf;
	ret = server_ready(b);
	/* Until the client closes its end. */
	while (!ret && (n = read(b->fd[2], &c, 1)) != 0)
		if (n < 0 && errno != EINTR)
			ret = -errno;
	return ret;
}

static int pvm1_client(struct bench *b)
{
	close_fd(&b->fd[2]);
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	return bulk_client_bufs(b);
}

static int pvm1_round_trip(struct bench *b, uint64_t i)
{
	size_t len = b->bytes;
	struct iovec local = { b->bulk.rsp, len };
	struct iovec remote = { (void *)(uintptr_t)b->shm->addr, len };
	int ret;

	bulk_set(b->bulk.rsp, 0, 0);
	bulk_set(b->bulk.rsp, len - 8, 0);
	ret = bulk_sys(process_vm_readv(b->peer, &local, 1, &remote, 1, 0), len);
	return ret ? ret : bulk_check(b->bulk.rsp, len, PVM1_ROUND);
}

static void pvm1_done(struct bench *b)
{
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	fd_done(b);
	bulk_client_free(b);
}

/*
 * memfd: a memfd of 2 * BYTES, the request half and the answer half,
 * mapped once by each side; kipc_call with an empty message is the
 * doorbell.  The client copies the request in, calls, and copies the
 * answer out; the server makes the answer in the shared memory (a copy
 * from the request half into the answer half).  Three copies.
 *
 * memfd_map: the same with a mapping per transfer: the client maps the
 * request half, copies the request in and unmaps it, calls, then maps the
 * answer half, copies the answer out and unmaps it; the server maps both
 * halves for each request and unmaps them before it replies.  Every
 * mapping faults its pages in again.
 */
static int memfd_setup(struct bench *b)
{
	int ret;

	b->bulk.memfd = memfd_create("kipc-bench", MFD_CLOEXEC);
	if (b->bulk.memfd < 0)
		return -errno;
	if (ftruncate(b->bulk.memfd, 2 * (off_t)b->bytes)) {
		ret = -errno;
		close_fd(&b->bulk.memfd);
		return ret;
	}
	ret = call_setup(b);
	if (ret)
		close_fd(&b->bulk.memfd);
	return ret;
}

static unsigned char *memfd_map(struct bench *b, off_t off, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       b->bulk.memfd, off);

	return p == MAP_FAILED ? NULL : p;
}

static int memfd_prep(struct bench *b)
{
	b->bulk.map = memfd_map(b, 0, 2 * (size_t)b->bytes);
	if (!b->bulk.map)
		return -errno;
	memset(b->bulk.map, 0x5a, 2 * (size_t)b->bytes);
	return 0;
}

/* Both memfd rows: the server maps the memfd for each request or once. */
static int memfd_serve_rows(struct bench *b, int per_transfer)
{
	struct kipc_ctx *ctx = &b->kipc.ctx;
	size_t len = b->bytes;
	uint64_t round;
	int ret = bulk_kipc_serve_start(b, memfd_prep);

	if (!ret && per_transfer)
		bulk_unmap(&b->bulk.map, 2 * len);
	while (!ret) {
		if (per_transfer && !(b->bulk.map = memfd_map(b, 0, 2 * len)))
			return -errno;
		memcpy(b->bulk.map + len, b->bulk.map, len);
		if (bulk_answer(b->bulk.map + len, len, &round) ||
		    round != KIPC_TAG_LABEL(kipc_tag(ctx)))
			return -EPROTO;
		if (per_transfer)
			bulk_unmap(&b->bulk.map, 2 * len);
		ret = kipc_reply_recv(ctx, b->kipc.ep, bulk_kipc_answer(ctx), INF);
	}
	return ret == -EPIPE ? 0 : ret;
}

static int memfd_serve(struct bench *b)
{
	return memfd_serve_rows(b, 0);
}

static int memfd_map_serve(struct bench *b)
{
	return memfd_serve_rows(b, 1);
}

static int memfd_client(struct bench *b)
{
	return bulk_kipc_client(b) ?: memfd_prep(b);
}

static int memfd_map_client(struct bench *b)
{
	return bulk_kipc_client(b);
}

static int memfd_round_trip(struct bench *b, uint64_t i)
{
	size_t len = b->bytes;
	int ret;

	bulk_request(b->bulk.req, len, i);
	memcpy(b->bulk.map, b->bulk.req, len);
	ret = bulk_kipc_call(b, i, KIPC_TAG(i, 0));
	if (ret)
		return ret;
	memcpy(b->bulk.rsp, b->bulk.map + len, len);
	return bulk_check(b->bulk.rsp, len, i);
}

static int memfd_map_round_trip(struct bench *b, uint64_t i)
{
	size_t len = b->bytes;
	unsigned char *p;
	int ret;

	bulk_request(b->bulk.req, len, i);
	p = memfd_map(b, 0, len);
	if (!p)
		return -errno;
	memcpy(p, b->bulk.req, len);
	munmap(p, len);
	ret = bulk_kipc_call(b, i, KIPC_TAG(i, 0));
	if (ret)
		return ret;
	p = memfd_map(b, len, len);
	if (!p)
		return -errno;
	memcpy(b->bulk.rsp, p, len);
	munmap(p, len);
	return bulk_check(b->bulk.rsp, len, i);
}

static void memfd_done(struct bench *b)
{
	bulk_unmap(&b->bulk.map, 2 * (size_t)b->bytes);
	close_fd(&b->bulk.memfd);
	bulk_kipc_done(b);
}

/*
 * pipe and unix_stream: the latency rows' channels (two pipes; one
 * socketpair), BYTES written and read in loops each way; the server reads
 * the request into its buffer, makes the answer there and writes it back.
 * Four copies (in and out of the pipe or socket buffers), in pieces of
 * their capacity (64 KiB for a pipe).
 */
static int bulk_fd_serve(struct bench *b)
{
	size_t len = b->bytes;
	uint64_t round;
	int ret;

	fd_close2(b, 0, 1);
	ret = bulk_server_buf(b);
	if (!ret)
		ret = server_ready(b);
	while (!ret && (ret = read_msg(b, b->fd[2], b->bulk.buf, len)) > 0) {
		if (bulk_answer(b->bulk.buf, len, &round))
			return -EPROTO;
		ret = write_msg(b->fd[3], b->bulk.buf, len);
	}
	return ret;
}

static int bulk_fd_client(struct bench *b)
{
	return fd_client(b) ?: bulk_client_bufs(b);
}

static int bulk_fd_round_trip(struct bench *b, uint64_t i)
{
	size_t len = b->bytes;
	int ret;

	bulk_request(b->bulk.req, len, i);
	ret = write_msg(b->fd[0], b->bulk.req, len);
	if (ret)
		return ret;
	ret = read_msg(b, b->fd[1], b->bulk.rsp, len);
	if (ret <= 0)
		return ret ? ret : -EPIPE;
	return bulk_check(b->bulk.rsp, len, i);
}

static void bulk_fd_done(struct bench *b)
{
	fd_done(b);
	bulk_client_free(b);
}

/*
 * binder: the latency row's transaction with a BYTES data buffer, up to
 * 64 KiB (the transaction and its answer must fit the 128 KiB binder
 * mapping of each side).  binder copies the request into the server's
 * mapping; the server copies it into its buffer, makes the answer there
 * and sends it, which binder copies into the client's mapping, where the
 * client checks it.  Three copies.
 */
static int bulk_binder_serve(struct bench *b)
{
	return bulk_server_buf(b) ?: binder_serve(b);
}

static int bulk_binder_client(struct bench *b)
{
	return binder_client(b) ?: bulk_client_bufs(b);
}

static int bulk_binder_round_trip(struct bench *b, uint64_t i)
{
	const unsigned char *rep;
	int ret;

	bulk_request(b->bulk.req, b->bytes, i);
	ret = binder_transact(b, i, b->bulk.req, &rep);
	return ret ? ret : bulk_check(rep, b->bytes, i);
}

static void bulk_binder_done(struct bench *b)
{
	binder_done(b);
	bulk_client_free(b);
}

static const struct mech bulk_mechs[] = {
	{ "kipc_window", 0, call_setup, win_serve, bulk_kipc_client, win_round_trip, bulk_kipc_done },
	{ "kipc_window_rbuf", M_BULK_64K, call_setup, win_rbuf_serve, bulk_kipc_client, win_round_trip,
	  bulk_kipc_done },
	{ "kipc_region", 0, region_setup, region_serve, region_client, region_round_trip, region_done },
	{ "process_vm", 0, call_setup, pvm_serve, pvm_client, pvm_round_trip, pvm_done },
	{ "process_vm_read1", M_ONEWAY, pvm1_setup, pvm1_serve, pvm1_client, pvm1_round_trip, pvm1_done },
	{ "memfd", 0, memfd_setup, memfd_serve, memfd_client, memfd_round_trip, memfd_done },
	{ "memfd_map", 0, memfd_setup, memfd_map_serve, memfd_map_client, memfd_map_round_trip, memfd_done },
	{ "pipe", 0, pipe_setup, bulk_fd_serve, bulk_fd_client, bulk_fd_round_trip, bulk_fd_done },
	{ "unix_stream", 0, stream_setup, bulk_fd_serve, bulk_fd_client, bulk_fd_round_trip, bulk_fd_done },
	{ "binder", M_BULK_64K, binder_setup, bulk_binder_serve, bulk_binder_client,
	  bulk_binder_round_trip, bulk_binder_done },
};
#define NR_BULK		(sizeof(bulk_mechs) / sizeof(bulk_mechs[0]))

/* ---- measuring ------------------------------------------------------ */

/*
 * -k: the markers of bench/prof/kipc-prof.c, `nopl 0x4272706b(%rax)` and
 * `nopl 0x4572706b(%rax)` (0f 1f 80, then "kprB" or "kprE"): no-ops to any
 * CPU, the start and end of a counted interval to the plugin.
 */
static int prof_marks;
#if defined(__x86_64__) || defined(__i386__)
#define PROF_MARK(c)	asm volatile(".byte 0x0f, 0x1f, 0x80, 'k', 'p', 'r', '" #c "'" \
				     ::: "memory")
#else
#define PROF_MARK(c)	do { } while (0)
#endif

/* The device a mechanism needs: when it is missing its rows are skipped. */
static const char *mech_dev(const struct mech *m)
{
	if (m->setup == binder_setup)
		return BINDER_DEV;
	if (m->setup == call_setup || m->setup == send_setup ||
	    m->setup == kipc_alone_setup || m->setup == memfd_setup ||
	    m->setup == region_setup)
		return KIPC_DEVICE;
	return "a device";
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int mech_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < NR_MECHS; i++)
		if (!strcmp(name, mechs[i].name))
			return i;
	return -1;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* 0 once the server said it is ready, -ECHILD if it ended first. */
static int wait_ready(struct bench *b)
{
	char c;
	ssize_t n;

	while ((n = read(b->ready[0], &c, 1)) < 0 && errno == EINTR)
		;
	close(b->ready[0]);
	return n == 1 ? 0 : -ECHILD;
}

/*
 * Time @warm + @n round trips, keep the last @n in @lat; the CPU time of
 * all of them in b->cpu_ns.
 */
static int measure(const struct mech *m, struct bench *b, unsigned long warm,
		   unsigned long n, uint64_t *lat)
{
	uint64_t i, t0, t1, cpu = cpu_now();
	int ret = 0;

	for (i = 0; !ret && i < warm + n; i++) {
		if (i == warm && prof_marks)
			PROF_MARK(B);
		t0 = now_ns();
		ret = m->round_trip(b, i);
		t1 = now_ns();
		if (i >= warm)
			lat[i - warm] = t1 - t0;
	}
	if (prof_marks)
		PROF_MARK(E);
	b->cpu_ns = cpu_now() - cpu;
	return ret;
}

/* measure(), given up with -ECHILD if the server dies meanwhile. */
static int client_loop(const struct mech *m, struct bench *b,
		       unsigned long warm, unsigned long n, uint64_t *lat)
{
	int ret;

	if (sigsetjmp(loop_exit, 1))
		return -ECHILD;
	loop_armed = 1;		/* before the check: no gap for SIGCHLD */
	ret = server_gone ? -ECHILD : measure(m, b, warm, n, lat);
	loop_armed = 0;
	return ret;
}

/* Fork the server, time @n round trips into @lat.  Returns 0 or -errno. */
static int run(const struct mech *m, struct bench *b, unsigned long warm,
	       unsigned long n, uint64_t *lat)
{
	pid_t pid = 0, w;
	int ret, status;

	memset(b->shm, 0, sizeof(*b->shm));
	memset(b->buf, 0xa5, sizeof(b->buf));
	ret = m->setup(b);
	if (ret)
		return ret;
	if (m->serve) {
		if (pipe2(b->ready, O_CLOEXEC)) {
			ret = -errno;
			m->done(b);
			return ret;
		}
		server_gone = 0;
		fflush(NULL);
		pid = fork();
		if (pid < 0) {
			ret = -errno;
			close(b->ready[0]);
			close(b->ready[1]);
			m->done(b);
			return ret;
		}
		if (pid == 0) {
			b->peer = b->self;
			close(b->ready[0]);
			/* No orphan server, whatever way the client ends. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != b->self)
				_exit(1);
			ret = b->cpus == 2 ? pin(1) : 0;
			b->cpu0 = 0;
			if (!ret)
				ret = m->serve(b);
			if (b->cpu0)
				b->shm->srv_cpu_ns = cpu_now() - b->cpu0;
			if (ret)
				fprintf(stderr, "kipc-bench: %s server: %s\n", m->name,
					strerror(-ret));
			_exit(ret ? 1 : 0);
		}
		close(b->ready[1]);
		b->peer = pid;
	}

	ret = m->client(b);
	if (pid) {
		if (ret)
			close(b->ready[0]);
		else
			ret = wait_ready(b);
	}
	if (!ret)
		ret = pid ? client_loop(m, b, warm, n, lat) : measure(m, b, warm, n, lat);
	if (!pid) {
		m->done(b);
		return ret;
	}
	/* A server that is stuck or gone must not hold the run up. */
	if (ret)
		kill(pid, SIGKILL);
	m->done(b);
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (w != pid)
		return ret ? ret : -errno;
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = -ECHILD;
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct result {
	uint64_t median, p99;
	double mean;
};

static struct result stats(uint64_t *lat, unsigned long n)
{
	struct result r;
	double sum = 0;
	unsigned long i;

	qsort(lat, n, sizeof(*lat), cmp_u64);
	for (i = 0; i < n; i++)
		sum += lat[i];
	r.median = lat[n / 2];
	r.p99 = lat[(99 * n + 99) / 100 - 1];	/* nearest rank */
	r.mean = sum / n;
	return r;
}

/* The median cost of one clock reading, which every figure includes. */
static uint64_t clock_cost(void)
{
	uint64_t lat[1001];
	unsigned int i;

	for (i = 0; i < 1001; i++)
		lat[i] = now_ns();
	for (i = 0; i < 1000; i++)
		lat[i] = lat[i + 1] - lat[i];
	return stats(lat, 1000).median;
}

/* ---- servers: one thread, N clients ---------------------------------- */

#define MAX_CLIENTS	64

struct srv_run {
	int clients;
	unsigned long calls;		/* per client */
	int ep;				/* kipc: the endpoint */
	int sock[MAX_CLIENTS][2];	/* epoll: [0] client, [1] server */
	int start[2];			/* pipe: the clients' starting gun */
	uint64_t *lat;			/* MAP_SHARED: clients * calls */
	uint64_t *span;			/* MAP_SHARED: [client][0] start, [1] end */
};

/* One io_uring, one context per client in flight: recv, then reply_recv. */
static int uring_srv(struct srv_run *r, int ready)
{
	struct kipc_ctx *c = calloc(r->clients, sizeof(*c));
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	unsigned int head, n;
	int i, ret;

	if (!c)
		return -ENOMEM;
	ret = io_uring_queue_init(2 * r->clients, &ring, 0);
	if (ret)
		return ret;
	for (i = 0; i < r->clients; i++) {
		ret = kipc_ctx_open(&c[i]);
		if (ret)
			return ret;
		sqe = io_uring_get_sqe(&ring);
		kipc_prep_recv(sqe, &c[i], r->ep, INF);
		io_uring_sqe_set_data64(sqe, i);
	}
	if (write(ready, "r", 1) != 1)
		return -EPIPE;
	for (;;) {
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR)
			return ret;
		n = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			i = io_uring_cqe_get_data64(cqe);
			n++;
			if (cqe->res)
				return cqe->res;
			kipc_mr(&c[i])[0] += 1;
			sqe = io_uring_get_sqe(&ring);
			kipc_prep_reply_recv(sqe, &c[i], r->ep, KIPC_TAG(0, 1), INF);
			io_uring_sqe_set_data64(sqe, i);
		}
		io_uring_cq_advance(&ring, n);
	}
}

/* epoll on one UNIX stream socket per client: read 8 bytes, write 8 back. */
static int epoll_srv(struct srv_run *r, int ready)
{
	struct epoll_event ev[MAX_CLIENTS];
	uint64_t v;
	int ep = epoll_create1(0), i, n;

	if (ep < 0)
		return -errno;
	for (i = 0; i < r->clients; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, r->sock[i][1], &e))
			return -errno;
	}
	if (write(ready, "r", 1) != 1)
		return -EPIPE;
	for (;;) {
		n = epoll_wait(ep, ev, MAX_CLIENTS, -1);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (i = 0; i < n; i++) {
			int fd = r->sock[ev[i].data.u32][1];

			if (read(fd, &v, 8) != 8)
				return 0;	/* the client is done */
			v++;
			if (write(fd, &v, 8) != 8)
				return -EIO;
		}
	}
}

static int srv_client(struct srv_run *r, int k, int uring)
{
	uint64_t *lat = r->lat + (size_t)k * r->calls, t0, v;
	struct kipc_ctx c;
	char go;
	int ret = 0, fd = r->sock[k][0];
	unsigned long i;

	if (uring && kipc_ctx_open(&c))
		return 1;
	if (read(r->start[0], &go, 1) != 1)
		return 1;
	r->span[2 * k] = now_ns();
	for (i = 0; i < r->calls && !ret; i++) {
		t0 = now_ns();
		if (uring) {
			kipc_mr(&c)[0] = i;
			ret = kipc_call(&c, r->ep, KIPC_TAG(1, 1), INF);
			v = kipc_mr(&c)[0];
		} else {
			v = i;
			ret = write(fd, &v, 8) != 8 || read(fd, &v, 8) != 8;
		}
		lat[i] = now_ns() - t0;
		if (!ret && v != i + 1)
			ret = -EBADMSG;
	}
	r->span[2 * k + 1] = now_ns();
	return ret ? 1 : 0;
}

struct srv_result {
	double calls_per_s;
	struct result r;
};

/* Run one server row; 0 or -errno. */
static int srv_bench(int uring, int clients, unsigned long calls,
		     struct srv_result *out)
{
	struct srv_run r = { .clients = clients, .calls = calls, .ep = -1 };
	size_t latsz = sizeof(uint64_t) * clients * calls;
	pid_t srv, cli[MAX_CLIENTS];
	int ready[2], i, ret = 0, st;
	uint64_t first = UINT64_MAX, last = 0;
	struct kipc_ctx c;
	char x;

	r.lat = mmap(NULL, latsz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	r.span = mmap(NULL, 16 * MAX_CLIENTS, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r.lat == MAP_FAILED || r.span == MAP_FAILED || pipe(ready) || pipe(r.start))
		return -errno;
	if (uring) {
		ret = kipc_ctx_open(&c);
		if (ret)
			return ret;
		r.ep = kipc_ep_create(&c, 0);
		kipc_ctx_close(&c);
		if (r.ep < 0)
			return r.ep;
	} else {
		for (i = 0; i < clients; i++)
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, r.sock[i]))
				return -errno;
	}
	srv = fork();
	if (srv == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ret = uring ? uring_srv(&r, ready[1]) : epoll_srv(&r, ready[1]);
		if (ret)
			fprintf(stderr, "kipc-bench: server: %s\n", strerror(-ret));
		_exit(ret ? 1 : 0);
	}
	if (srv < 0 || read(ready[0], &x, 1) != 1)
		return -ECHILD;
	for (i = 0; i < clients; i++) {
		cli[i] = fork();
		if (cli[i] == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			_exit(srv_client(&r, i, uring));
		}
	}
	/* Everybody is forked: start them together. */
	for (i = 0; i < clients; i++)
		if (write(r.start[1], "g", 1) != 1)
			ret = -EPIPE;
	for (i = 0; i < clients; i++) {
		while (waitpid(cli[i], &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			ret = -EBADMSG;
	}
	kill(srv, SIGKILL);
	while (waitpid(srv, &st, 0) < 0 && errno == EINTR)
		;
	for (i = 0; i < clients; i++) {
		if (r.span[2 * i] < first)
			first = r.span[2 * i];
		if (r.span[2 * i + 1] > last)
			last = r.span[2 * i + 1];
		if (!uring) {
			close(r.sock[i][0]);
			close(r.sock[i][1]);
		}
	}
	if (uring)
		close(r.ep);
	close(ready[0]);
	close(ready[1]);
	close(r.start[0]);
	close(r.start[1]);
	if (!ret) {
		out->calls_per_s = (double)clients * calls * 1e9 / (last - first);
		out->r = stats(r.lat, (unsigned long)clients * calls);
	}
	munmap(r.lat, latsz);
	munmap(r.span, 16 * MAX_CLIENTS);
	return ret;
}

/*
 * Mark the mechanisms of @tab (@n rows) named in @list (comma-separated, or
 * "all") in @sel.
 */
static int select_mechs(char *list, const struct mech *tab, unsigned int n,
			int *sel)
{
	char *name, *save;
	unsigned int i;

	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n; i++)
			if (!strcmp(name, "all") || !strcmp(name, tab[i].name))
				sel[i] = 1;
		if (!strcmp(name, "all"))
			continue;
		for (i = 0; i < n && strcmp(name, tab[i].name); i++)
			;
		if (i == n) {
			fprintf(stderr, "kipc-bench: unknown mechanism %s; known:", name);
			for (i = 0; i < n; i++)
				fprintf(stderr, " %s", tab[i].name);
			fprintf(stderr, "%s\n", tab == mechs ? " (-B: bulk rows)" : "");
			return -1;
		}
	}
	return 0;
}

/*
 * -b: a comma-separated list of bulk sizes, in bytes or with a suffix K, M
 * or G (binary), multiples of the page size from one page up to 1 GiB.
 */
static int parse_bulk_sizes(char *list, size_t *sizes)
{
	long page = sysconf(_SC_PAGESIZE);
	char *s, *save, *end;
	unsigned long long v;
	int n = 0;

	for (s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		v = strtoull(s, &end, 0);
		if (*end == 'K' || *end == 'k')
			v <<= 10, end++;
		else if (*end == 'M' || *end == 'm')
			v <<= 20, end++;
		else if (*end == 'G' || *end == 'g')
			v <<= 30, end++;
		if (*end || !v || v % page || v > (1ULL << 30) || n == MAX_SIZES)
			return -1;
		sizes[n++] = v;
	}
	return n;
}

/* Parse a comma-separated list of payload sizes. */
static int parse_sizes(char *list, unsigned int *sizes)
{
	char *s, *save, *end;
	unsigned long v;
	int n = 0;

	for (s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		v = strtoul(s, &end, 0);
		if (*end || v > MAX_BYTES || v % 8 || n == MAX_SIZES)
			return -1;
		sizes[n++] = v;
	}
	return n;
}

static void usage(void)
{
	unsigned int i;

	fprintf(stderr,
		"usage: kipc-bench [-n ITER] [-w WARMUP] [-s SIZES] [-m NAMES] [-p 1|2|both] [-o FILE.csv] [-k]\n"
		"       kipc-bench -B [-b SIZES] [-V MIB] [-m NAMES] [-p 1|2|both] [-o FILE.csv] [-k]\n"
		"  -n ITER    measured round trips per row (default 20000)\n"
		"  -w WARMUP  unmeasured round trips before them (default 1000)\n"
		"  -s SIZES   payload sizes, multiples of 8 up to %d (default 0,8,64,512)\n"
		"  -m NAMES   mechanisms to run (default all):", MAX_BYTES);
	for (i = 0; i < NR_MECHS; i++)
		fprintf(stderr, " %s", mechs[i].name);
	fprintf(stderr, "\n"
		"  -p 1       client and server on CPU 0\n"
		"  -p 2       client on CPU 0, server on CPU 1\n"
		"  -p both    both placements (default if CPUs 0 and 1 are usable)\n"
		"  -c         same as -p 1\n"
		"  -o FILE    also write the results as CSV\n"
		"  -k         mark each row's measured round trips for the profiler (bench/prof)\n"
		"  -S LIST    server rows: numbers of clients (default 1,4,16; 0: none)\n"
		"  -T CALLS   round trips per client in a server row (default 2000)\n"
		"  -L ITER    latency under load: a SCHED_FIFO client, a SCHED_OTHER server\n"
		"             and a SCHED_FIFO busy task on CPU 0; ITER round trips per row\n"
		"             (default 0: not run; needs CAP_SYS_NICE)\n"
		"  -B         bulk data only: a request and an answer of SIZES bytes each (not\n"
		"             the table above, the servers or -L)\n"
		"  -b SIZES   -B's sizes, suffix K, M or G allowed (default 4K,64K,1M,16M)\n"
		"  -V MIB     -B: MiB each way per row; round trips = that / size, %d to %d\n"
		"             (default %lu)\n"
		"  -m NAMES   with -B, of:", BULK_ITER_MIN, BULK_ITER_MAX, BULK_VOLUME >> 20);
	for (i = 0; i < NR_BULK; i++)
		fprintf(stderr, " %s", bulk_mechs[i].name);
	fprintf(stderr, "\n");
	exit(2);
}

/* ---- latency under load (-L) ---------------------------------------- */

#define LOAD_CLIENT_PRIO	50	/* the client's SCHED_FIFO priority */
#define LOAD_BUSY_PRIO		10	/* the background's */
#define LOAD_BUSY_NS		2000000	/* the background runs this long ... */
#define LOAD_PERIOD_NS		4000000	/* ... out of every this long */

/*
 * The background: a SCHED_FIFO task on CPU 0 that spins LOAD_BUSY_NS of
 * every LOAD_PERIOD_NS until it is killed (or its parent dies).  Less
 * urgent than the client, more than the server: a server that does not
 * run at its client's priority waits for it.
 */
static pid_t load_start(void)
{
	struct sched_param sp = { .sched_priority = LOAD_BUSY_PRIO };
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != 1 && !pin(0) && !sched_setscheduler(0, SCHED_FIFO, &sp)) {
		for (;;) {
			uint64_t t = now_ns();
			struct timespec ts = {
				.tv_nsec = LOAD_PERIOD_NS - LOAD_BUSY_NS,
			};

			while (now_ns() - t < LOAD_BUSY_NS)
				;
			nanosleep(&ts, NULL);
		}
	}
	_exit(1);
}

static void load_stop(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * A real-time client's round trips to a normal server, without and with
 * the background, 8 bytes, 1 CPU: kipc with inheritance (the default),
 * kipc on a KIPC_EP_NO_INHERIT endpoint, a pipe and binder.  The servers
 * are forked with SCHED_RESET_ON_FORK, so they run at SCHED_OTHER.
 */
static int load_bench(unsigned long n, unsigned long warm, uint64_t *lat)
{
	static const struct {
		const char *row, *mech;
		unsigned int ep_flags;
	} rows[] = {
		{ "kipc_call", "kipc_call", 0 },
		{ "kipc_call_noinherit", "kipc_call", KIPC_EP_NO_INHERIT },
		{ "pipe", "pipe", 0 },
		{ "binder", "binder", 0 },
	};
	struct sched_param sp = { .sched_priority = LOAD_CLIENT_PRIO }, none = { 0 };
	static struct bench b;
	int failed = 0;

	printf("\n# latency under load: a SCHED_FIFO %d client, a SCHED_OTHER server, 8 bytes, 1 CPU,\n"
	       "# %lu round trips; load: a SCHED_FIFO %d task busy %d of every %d ms on the same CPU\n",
	       LOAD_CLIENT_PRIO, n, LOAD_BUSY_PRIO, LOAD_BUSY_NS / 1000000,
	       LOAD_PERIOD_NS / 1000000);
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp)) {
		printf("# skipped: sched_setscheduler: %s\n", strerror(errno));
		return 0;
	}
	b.shm = mmap(NULL, sizeof(*b.shm), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b.shm == MAP_FAILED)
		return 1;
	b.ppid = getppid();
	b.self = getpid();
	b.cpus = 1;
	b.bytes = 8;
	printf("%-20s %10s %10s %10s %10s %8s\n", "mechanism", "p50_us", "p99_us",
	       "load_p50_us", "load_p99_us", "p99_x");
	for (unsigned int i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct mech *m = NULL;
		struct result idle, busy;
		pid_t load;
		int ret;

		for (unsigned int k = 0; k < NR_MECHS; k++)
			if (!strcmp(mechs[k].name, rows[i].mech))
				m = &mechs[k];
		kipc_ep_flags = rows[i].ep_flags;
		ret = run(m, &b, warm, n, lat);
		if (!ret) {
			idle = stats(lat, n);
			load = load_start();
			ret = load < 0 ? -errno : run(m, &b, warm, n, lat);
			if (load > 0)
				load_stop(load);
			busy = stats(lat, n);
		}
		kipc_ep_flags = 0;
		if (ret == -ENOENT || ret == -ENODEV) {
			printf("%-20s skipped: %s: %s\n", rows[i].row, mech_dev(m),
			       strerror(-ret));
			continue;
		}
		if (ret) {
			printf("%-20s FAILED: %s\n", rows[i].row, strerror(-ret));
			failed = 1;
			continue;
		}
		printf("%-20s %10.3f %10.3f %10.3f %10.3f %8.2f\n", rows[i].row,
		       idle.median / 1000.0, idle.p99 / 1000.0, busy.median / 1000.0,
		       busy.p99 / 1000.0, (double)busy.p99 / idle.p99);
		fflush(stdout);
	}
	sched_setscheduler(0, SCHED_OTHER, &none);
	munmap(b.shm, sizeof(*b.shm));
	return failed;
}

struct row {
	int mech, cpus;
	unsigned int bytes;
	struct result r;
	double cpu;		/* client + server CPU time per round trip, ns */
};

static const struct row *find_row(const struct row *rows, int nrows,
				  const char *name, int cpus, unsigned int bytes)
{
	int k = mech_index(name), i;

	for (i = 0; i < nrows; i++)
		if (rows[i].mech == k && rows[i].cpus == cpus &&
		    (rows[i].bytes == bytes ||
		     (mechs[k].flags & M_NOPAYLOAD)))
			return &rows[i];
	return NULL;
}

static void ratio2(const struct row *rows, int nrows, const char *num,
		   const char *what, const char *label, unsigned int bytes)
{
	const struct row *a = find_row(rows, nrows, num, 1, bytes);
	const struct row *c = find_row(rows, nrows, what, 1, bytes);

	if (a && c && c->r.median)
		printf("%s/%s round-trip ratio: %.2f\n", num, label,
		       (double)a->r.median / c->r.median);
}

static void ratio(const struct row *rows, int nrows, const char *what,
		  const char *label, unsigned int bytes)
{
	ratio2(rows, nrows, "kipc_call", what, label, bytes);
}

/* -B: round trips at @size, so that a row moves about @volume bytes each way. */
static unsigned long bulk_iters(size_t size, unsigned long volume)
{
	unsigned long n = volume / size;

	return n < BULK_ITER_MIN ? BULK_ITER_MIN : n > BULK_ITER_MAX ? BULK_ITER_MAX : n;
}

/*
 * -B: the bulk rows of the mechanisms in @sel, at each size and placement
 * asked for; the CSV's rows as the latency table's, the size in bytes, the
 * round trips per row in iterations.  Returns 1 if a row failed.
 */
static int bulk_bench(struct bench *b, const int *sel, const int *place,
		      const size_t *sizes, int nsizes, unsigned long volume, FILE *f)
{
	uint64_t *lat = calloc(BULK_ITER_MAX, sizeof(*lat));
	int p, s, ret, failed = 0;
	unsigned int i;

	if (!lat) {
		perror("kipc-bench");
		return 1;
	}
	printf("# bulk: a request of BYTES client -> server and an answer of BYTES back;\n"
	       "# round trips per row: %lu MiB / BYTES (%d to %d), a tenth of them (at least 2)\n"
	       "# as warm-up before; MB/s: 2 * BYTES / median (process_vm_read1, one way:\n"
	       "# BYTES / median); times in us\n",
	       volume >> 20, BULK_ITER_MIN, BULK_ITER_MAX);
	printf("%-16s %9s %4s %10s %10s %10s %10s %9s %5s\n", "mechanism", "bytes", "cpus",
	       "median_us", "p99_us", "mean_us", "cpu_us", "MB/s", "n");
	fflush(stdout);
	for (p = 1; p <= 2; p++) {
		if (!place[p - 1])
			continue;
		b->cpus = p;
		for (i = 0; i < NR_BULK; i++) {
			const struct mech *m = &bulk_mechs[i];

			if (!sel[i])
				continue;
			for (s = 0; s < nsizes; s++) {
				unsigned long n = bulk_iters(sizes[s], volume);
				unsigned long warm = n / 10 < 2 ? 2 : n / 10;
				struct result r;
				double cpu;

				if ((m->flags & M_BULK_64K) && sizes[s] > BULK_64K)
					continue;
				b->bytes = sizes[s];
				ret = run(m, b, warm, n, lat);
				if (ret == -ENOENT || ret == -ENODEV) {
					printf("%-16s %9s %4d skipped: %s: %s\n", m->name, "-",
					       p, mech_dev(m), strerror(-ret));
					fflush(stdout);
					break;
				}
				if (ret) {
					printf("%-16s %9u %4d FAILED: %s\n", m->name, b->bytes,
					       p, strerror(-ret));
					fflush(stdout);
					failed = 1;
					continue;
				}
				r = stats(lat, n);
				cpu = (double)(b->cpu_ns + b->shm->srv_cpu_ns) / (warm + n);
				printf("%-16s %9u %4d %10.3f %10.3f %10.3f %10.3f %9.1f %5lu\n",
				       m->name, b->bytes, p, r.median / 1000.0, r.p99 / 1000.0,
				       r.mean / 1000.0, cpu / 1000.0,
				       (m->flags & M_ONEWAY ? 1e3 : 2e3) * b->bytes / r.median, n);
				fflush(stdout);
				if (f) {
					fprintf(f, "%s,%u,%d,%llu,%llu,%.0f,%lu,%.0f\n", m->name,
						b->bytes, p, (unsigned long long)r.median,
						(unsigned long long)r.p99, r.mean, n, cpu);
					fflush(f);
				}
			}
		}
	}
	for (i = 0; i < NR_BULK; i++)
		if (sel[i] && (bulk_mechs[i].flags & M_BULK_64K))
			for (s = 0; s < nsizes; s++)
				if (sizes[s] > BULK_64K) {
					printf("# %s: not above %d bytes (%s)\n",
					       bulk_mechs[i].name, BULK_64K,
					       bulk_mechs[i].setup == binder_setup ?
					       "a transaction and its answer fill the binder mapping" :
					       "KIPC_RBUF_MAX");
					break;
				}
	free(lat);
	return failed;
}

int main(int argc, char **argv)
{
	unsigned int sizes[MAX_SIZES] = { 0, 8, 64, 512 }, i;
	int nsizes = 4, sel[NR_MECHS] = { 0 }, any = 0, failed = 0;
	int place[2] = { 0, 0 }, p, s, ret, opt, nrows = 0, have2;
	unsigned long n = 20000, warm = 1000, srv_calls = 2000, load_n = 0;
	int srv_clients[8] = { 1, 4, 16 }, nsrv = 3;
	static struct row rows[2 * NR_MECHS * MAX_SIZES];
	static struct bench b;
	size_t bulk_sizes[MAX_SIZES] = { 4096, 65536, 1 << 20, 16 << 20 };
	int bulk = 0, nbulk = 4, bsel[NR_BULK] = { 0 };
	unsigned long volume = BULK_VOLUME;
	char *mlist = NULL;
	const char *csv = NULL;
	struct sigaction sa;
	cpu_set_t cpus;
	uint64_t *lat;
	FILE *f = NULL;
	char *end;

	if (sched_getaffinity(0, sizeof(cpus), &cpus)) {
		perror("kipc-bench: sched_getaffinity");
		return 1;
	}
	have2 = CPU_ISSET(0, &cpus) && CPU_ISSET(1, &cpus);
	while ((opt = getopt(argc, argv, "n:w:s:m:p:co:S:T:L:kBb:V:h")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, &end, 0);
			if (*end)
				usage();
			break;
		case 'w':
			warm = strtoul(optarg, &end, 0);
			if (*end)
				usage();
			break;
		case 's':
			nsizes = parse_sizes(optarg, sizes);
			if (nsizes <= 0)
				usage();
			break;
		case 'm':
			mlist = optarg;	/* -B may come later */
			any = 1;
			break;
		case 'p':
			if (!strcmp(optarg, "1"))
				place[0] = 1, place[1] = 0;
			else if (!strcmp(optarg, "2"))
				place[0] = 0, place[1] = 1;
			else if (!strcmp(optarg, "both"))
				place[0] = place[1] = 1;
			else
				usage();
			break;
		case 'c':
			place[0] = 1, place[1] = 0;
			break;
		case 'o':
			csv = optarg;
			break;
		case 'k':
			prof_marks = 1;
			break;
		case 'S':
			nsrv = 0;
			for (char *t = strtok(optarg, ","); t && nsrv < 8; t = strtok(NULL, ",")) {
				srv_clients[nsrv] = strtoul(t, &end, 0);
				if (*end || srv_clients[nsrv] > MAX_CLIENTS)
					usage();
				if (srv_clients[nsrv])
					nsrv++;
			}
			break;
		case 'T':
			srv_calls = strtoul(optarg, &end, 0);
			if (*end || !srv_calls)
				usage();
			break;
		case 'L':
			load_n = strtoul(optarg, &end, 0);
			if (*end)
				usage();
			break;
		case 'B':
			bulk = 1;
			break;
		case 'b':
			nbulk = parse_bulk_sizes(optarg, bulk_sizes);
			if (nbulk <= 0)
				usage();
			break;
		case 'V':
			volume = strtoul(optarg, &end, 0) << 20;
			if (*end || !volume)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !n)
		usage();
	if (mlist && select_mechs(mlist, bulk ? bulk_mechs : mechs,
				  bulk ? NR_BULK : NR_MECHS, bulk ? bsel : sel))
		return 2;
	if (!any)
		for (i = 0; i < NR_MECHS; i++)
			sel[i] = 1;
	if (!any)
		for (i = 0; i < NR_BULK; i++)
			bsel[i] = 1;
	if (!place[0] && !place[1])
		place[0] = 1, place[1] = have2;
	if (!CPU_ISSET(0, &cpus)) {
		fprintf(stderr, "kipc-bench: CPU 0 is not usable here\n");
		return 1;
	}
	if (place[1] && !have2) {
		printf("# two CPUs: skipped, CPUs 0 and 1 are not both usable\n");
		place[1] = 0;
		if (!place[0])
			return 1;
	}

	if (csv) {
		f = fopen(csv, "w");
		if (!f) {
			perror(csv);
			return 1;
		}
		fprintf(f, "mechanism,bytes,cpus,median_ns,p99_ns,mean_ns,iterations,cpu_ns\n");
	}
	lat = calloc(n, sizeof(*lat));
	b.shm = mmap(NULL, sizeof(*b.shm), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!lat || b.shm == MAP_FAILED) {
		perror("kipc-bench");
		return 1;
	}
	b.ppid = getppid();
	b.self = getpid();
	/* A dead peer must show up as an error, not kill us or hang us. */
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigchld;	/* no SA_RESTART: blocked calls return */
	sigaction(SIGCHLD, &sa, NULL);

	if (bulk)
		printf("# kipc-bench -B: bulk data\n");
	else
		printf("# kipc-bench: %lu round trips per row after %lu warm-up; times in us\n",
		       n, warm);
	printf("# cpus 1: client and server on CPU 0; cpus 2: client on CPU 0, server on CPU 1\n");
	/* The client stays on CPU 0; a 2-CPU server moves itself to CPU 1. */
	ret = pin(0);
	if (ret) {
		fprintf(stderr, "kipc-bench: sched_setaffinity: %s\n", strerror(-ret));
		return 1;
	}
	printf("# a clock reading costs %.3f us; it is included in every figure\n",
	       clock_cost() / 1000.0);
	if (bulk) {
		printf("# cpu_us: CPU time (user + system) of client and server per round trip\n");
		failed = bulk_bench(&b, bsel, place, bulk_sizes, nbulk, volume, f);
		if (f && fclose(f)) {
			perror(csv);
			return 1;
		}
		return failed;
	}
	printf("# cpu_us: CPU time (user + system) of client and server per round trip\n");
	printf("%-15s %5s %4s %10s %10s %10s %10s\n", "mechanism", "bytes", "cpus",
	       "median_us", "p99_us", "mean_us", "cpu_us");
	fflush(stdout);
	for (p = 1; p <= 2; p++) {
		if (!place[p - 1])
			continue;
		b.cpus = p;
		for (i = 0; i < NR_MECHS; i++) {
			const struct mech *m = &mechs[i];

			if (!sel[i] || (p == 2 && (m->flags & M_ONECPU)))
				continue;
			for (s = 0; s < nsizes; s++) {
				struct row *row = &rows[nrows];

				b.bytes = m->flags & M_NOPAYLOAD ? 0 : sizes[s];
				ret = run(m, &b, warm, n, lat);
				if (ret == -ENOENT || ret == -ENODEV) {
					printf("%-15s %5s %4d skipped: %s: %s\n", m->name, "-",
					       p, mech_dev(m), strerror(-ret));
					fflush(stdout);
					break;
				}
				if (ret) {
					printf("%-15s %5u %4d FAILED: %s\n", m->name, b.bytes,
					       p, strerror(-ret));
					fflush(stdout);
					failed = 1;
					continue;
				}
				row->mech = i;
				row->cpus = p;
				row->bytes = b.bytes;
				row->r = stats(lat, n);
				row->cpu = (double)(b.cpu_ns + b.shm->srv_cpu_ns) / (warm + n);
				nrows++;
				printf("%-15s %5u %4d %10.3f %10.3f %10.3f %10.3f\n", m->name,
				       b.bytes, p, row->r.median / 1000.0,
				       row->r.p99 / 1000.0, row->r.mean / 1000.0,
				       row->cpu / 1000.0);
				fflush(stdout);
				if (f)
					fprintf(f, "%s,%u,%d,%llu,%llu,%.0f,%lu,%.0f\n", m->name,
						b.bytes, p,
						(unsigned long long)row->r.median,
						(unsigned long long)row->r.p99,
						row->r.mean, n, row->cpu);
				if (f)
					fflush(f);	/* a run cut short keeps its rows */
				if (m->flags & M_NOPAYLOAD)
					break;
			}
		}
	}
	/* One server thread, N clients: calls/s and the clients' latency. */
	if (nsrv) {
		printf("\n# servers: one thread serves N client processes, %lu round trips of 8 bytes each\n",
		       srv_calls);
		printf("%-15s %7s %12s %10s %10s\n", "server", "clients", "calls_per_s",
		       "p50_us", "p99_us");
		fflush(stdout);
	}
	for (s = 0; s < nsrv; s++) {
		for (int u = 1; u >= 0; u--) {
			const char *name = u ? "kipc_uring_srv" : "epoll_unix_srv";
			struct srv_result sr = { 0 };

			ret = srv_bench(u, srv_clients[s], srv_calls, &sr);
			if (ret) {
				printf("%-15s %7d FAILED: %s\n", name, srv_clients[s],
				       strerror(-ret));
				failed = 1;
				continue;
			}
			printf("%-15s %7d %12.0f %10.3f %10.3f\n", name, srv_clients[s],
			       sr.calls_per_s, sr.r.median / 1000.0, sr.r.p99 / 1000.0);
			fflush(stdout);
		}
	}
	/* A real-time client's latency with a busy background. */
	if (load_n) {
		uint64_t *llat = calloc(load_n, sizeof(*llat));

		if (!llat || load_bench(load_n, warm, llat))
			failed = 1;
		free(llat);
	}
	/* Ratios of medians, one CPU, at the first size asked for (0 by default). */
	ratio(rows, nrows, "pipe", "pipe", sizes[0]);
	ratio(rows, nrows, "sched_yield", "floor", sizes[0]);
	/* What kipc adds to entering it, without a partner (no payload: 0). */
	ratio2(rows, nrows, "kipc_recv_eagain", "null_ioctl", "null_ioctl", 0);
	/* A one-way send plus receive each way, in four entries and in two. */
	ratio2(rows, nrows, "kipc_send", "sched_yield", "floor", sizes[0]);
	ratio2(rows, nrows, "kipc_send_recv", "sched_yield", "floor", sizes[0]);
	/* A call through a proxy that forwards, and through one that calls again. */
	ratio2(rows, nrows, "kipc_forward", "kipc_call", "kipc_call", sizes[0]);
	ratio2(rows, nrows, "kipc_proxy", "kipc_call", "kipc_call", sizes[0]);
	if (f && fclose(f)) {
		perror(csv);
		return 1;
	}
	free(lat);
	return failed;
}
