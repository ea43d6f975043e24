// SPDX-License-Identifier: MIT
/*
 * kipc-bench: round-trip latency of kipc against other IPC mechanisms.
 *
 *   kipc-bench [-n ITER] [-s BYTES] [-m NAME[,NAME...]] [-c] [-o FILE.csv]
 *
 * For each mechanism the program forks: the child is a server that answers
 * every request, the parent a client that makes WARMUP unmeasured round
 * trips and then ITER measured ones, each timed with CLOCK_MONOTONIC.  The
 * report gives the median, the 99th percentile and the mean per mechanism.
 *
 * A mechanism is one row of mechs[]: setup() makes the channel before the
 * fork, serve() is the child's whole life, client() prepares the parent's
 * side, round_trip() is one request and its answer, done() tells the
 * server to stop.  The measuring loop in run() is the same for all.
 *
 * Each answer is checked (the server changes the request in a known way),
 * so a transport that loses or fakes messages cannot produce a fast number.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kipc.h>

#define WARMUP		1000
#define MAX_BYTES	(KIPC_MSG_REGS * 8)
#define INF		KIPC_TIMEOUT_INFINITE

struct bench {
	unsigned int bytes;		/* payload of a request and of an answer */
	struct {
		struct kipc_ctx ctx;	/* the client's context */
		int snd;		/* send-only handle: the client's */
		int rcv;		/* receive-only handle: the server's */
	} kipc;
	struct {
		int req[2];		/* client -> server */
		int rsp[2];		/* server -> client */
		unsigned char buf[MAX_BYTES];
	} pipe;
};

struct mech {
	const char *name;
	int (*setup)(struct bench *b);
	int (*serve)(struct bench *b);
	int (*client)(struct bench *b);
	int (*round_trip)(struct bench *b, uint64_t i);
	void (*done)(struct bench *b);
};

/* kipc_call: the client calls, the server answers with reply_recv. */

static int kipc_setup(struct bench *b)
{
	struct kipc_ctx ctx;
	int ep, ret;

	b->kipc.ctx.fd = -1;
	b->kipc.ctx.utcb = NULL;
	b->kipc.snd = b->kipc.rcv = -1;
	/* Creating an endpoint needs a context; each side opens its own later. */
	ret = kipc_ctx_open(&ctx);
	if (ret)
		return ret;
	ep = kipc_ep_create(&ctx, 0);
	if (ep < 0) {
		kipc_ctx_close(&ctx);
		return ep;
	}
	b->kipc.snd = kipc_ep_mint(&ctx, ep, KIPC_RIGHT_SEND, 0, 0);
	b->kipc.rcv = kipc_ep_mint(&ctx, ep, KIPC_RIGHT_RECV, 0, 0);
	close(ep);
	kipc_ctx_close(&ctx);
	ret = b->kipc.snd < 0 ? b->kipc.snd : b->kipc.rcv < 0 ? b->kipc.rcv : 0;
	if (ret) {
		close(b->kipc.snd);
		close(b->kipc.rcv);
	}
	return ret;
}

/*
 * Answer: label + 1, mr[0] + 1, the other registers as they came.  Ends
 * when the client closes the only send handle: recv then fails with EPIPE.
 */
static int kipc_serve(struct bench *b)
{
	struct kipc_ctx ctx;
	uint64_t tag;
	int ret;

	close(b->kipc.snd);
	ret = kipc_ctx_open(&ctx);
	if (ret)
		return ret;
	ret = kipc_recv(&ctx, b->kipc.rcv, INF);
	while (!ret) {
		tag = kipc_tag(&ctx);
		if (KIPC_TAG_NR(tag))
			kipc_mr(&ctx)[0]++;
		tag = KIPC_TAG(KIPC_TAG_LABEL(tag) + 1, KIPC_TAG_NR(tag));
		ret = kipc_reply_recv(&ctx, b->kipc.rcv, tag, INF);
	}
	return ret == -EPIPE ? 0 : ret;
}

static int kipc_client(struct bench *b)
{
	close(b->kipc.rcv);
	return kipc_ctx_open(&b->kipc.ctx);
}

/* The payload is BYTES / 8 registers; with 0 bytes only the tag travels. */
static int kipc_round_trip(struct bench *b, uint64_t i)
{
	unsigned int nr = b->bytes / 8;
	__u64 *mr = kipc_mr(&b->kipc.ctx);
	uint64_t tag;
	int ret;

	if (nr)
		mr[0] = i;
	ret = kipc_call(&b->kipc.ctx, b->kipc.snd, KIPC_TAG(i, nr), INF);
	if (ret)
		return ret;
	tag = kipc_tag(&b->kipc.ctx);
	if (KIPC_TAG_LABEL(tag) != i + 1 || KIPC_TAG_NR(tag) != nr ||
	    (nr && mr[0] != i + 1))
		return -EPROTO;
	return 0;
}

static void kipc_done(struct bench *b)
{
	close(b->kipc.snd);
	kipc_ctx_close(&b->kipc.ctx);
}

/*
 * pipe: two pipes and the loop of `perf bench sched pipe`, each side
 * writes the payload and reads the other's.  A pipe cannot carry an empty
 * message, so at least 1 byte is written: the 0-byte row moves 1 byte.
 */

static size_t pipe_len(const struct bench *b)
{
	return b->bytes ? b->bytes : 1;
}

/* 1: got @len bytes, 0: end of file before any, -errno otherwise. */
static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return got ? -EPROTO : 0;
		got += n;
	}
	return 1;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return 0;
}

static int pipe_setup(struct bench *b)
{
	if (pipe(b->pipe.req))
		return -errno;
	if (pipe(b->pipe.rsp)) {
		close(b->pipe.req[0]);
		close(b->pipe.req[1]);
		return -errno;
	}
	return 0;
}

/* Answer with the first byte incremented; ends at end of file. */
static int pipe_serve(struct bench *b)
{
	size_t len = pipe_len(b);
	int ret;

	close(b->pipe.req[1]);
	close(b->pipe.rsp[0]);
	while ((ret = read_full(b->pipe.req[0], b->pipe.buf, len)) > 0) {
		b->pipe.buf[0]++;
		ret = write_full(b->pipe.rsp[1], b->pipe.buf, len);
		if (ret)
			return ret;
	}
	return ret;
}

static int pipe_client(struct bench *b)
{
	close(b->pipe.req[0]);
	close(b->pipe.rsp[1]);
	return 0;
}

static int pipe_round_trip(struct bench *b, uint64_t i)
{
	size_t len = pipe_len(b);
	int ret;

	b->pipe.buf[0] = i;
	ret = write_full(b->pipe.req[1], b->pipe.buf, len);
	if (ret)
		return ret;
	ret = read_full(b->pipe.rsp[0], b->pipe.buf, len);
	if (ret <= 0)
		return ret ? ret : -EPIPE;
	return b->pipe.buf[0] == (unsigned char)(i + 1) ? 0 : -EPROTO;
}

static void pipe_done(struct bench *b)
{
	close(b->pipe.req[1]);
	close(b->pipe.rsp[0]);
}

static const struct mech mechs[] = {
	{ "kipc_call", kipc_setup, kipc_serve, kipc_client, kipc_round_trip, kipc_done },
	{ "pipe", pipe_setup, pipe_serve, pipe_client, pipe_round_trip, pipe_done },
};
#define NR_MECHS	(sizeof(mechs) / sizeof(mechs[0]))

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

/* Fork the server, time @n round trips into @lat.  Returns 0 or -errno. */
static int run(const struct mech *m, struct bench *b, unsigned long n,
	       uint64_t *lat)
{
	uint64_t i, t0, t1;
	int ret, status;
	pid_t pid;

	ret = m->setup(b);
	if (ret)
		return ret;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		m->done(b);
		return ret;
	}
	if (pid == 0) {
		ret = m->serve(b);
		if (ret)
			fprintf(stderr, "kipc-bench: %s server: %s\n", m->name,
				strerror(-ret));
		_exit(ret ? 1 : 0);
	}

	ret = m->client(b);
	for (i = 0; !ret && i < WARMUP + n; i++) {
		t0 = now_ns();
		ret = m->round_trip(b, i);
		t1 = now_ns();
		if (i >= WARMUP)
			lat[i - WARMUP] = t1 - t0;
	}
	m->done(b);

	if (waitpid(pid, &status, 0) != pid)
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

/* Mark the mechanisms named in @list (comma-separated) in @sel. */
static int select_mechs(char *list, int *sel)
{
	char *name, *save;
	unsigned int i;
	int k;

	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		k = mech_index(name);
		if (k < 0) {
			fprintf(stderr, "kipc-bench: unknown mechanism %s; known:", name);
			for (i = 0; i < NR_MECHS; i++)
				fprintf(stderr, " %s", mechs[i].name);
			fprintf(stderr, "\n");
			return -1;
		}
		sel[k] = 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: kipc-bench [-n ITER] [-s BYTES] [-m NAME[,NAME...]] [-c] [-o FILE.csv]\n"
		"  -n ITER   measured round trips per mechanism (default 20000)\n"
		"  -s BYTES  payload, a multiple of 8 up to %d (default 0)\n"
		"  -m NAMES  mechanisms to run (default all)\n"
		"  -c        pin client and server to CPU 0\n"
		"  -o FILE   also write the results as CSV\n", MAX_BYTES);
	exit(2);
}

int main(int argc, char **argv)
{
	double median[NR_MECHS] = { 0 };
	int sel[NR_MECHS] = { 0 }, any = 0, pin = 0, ret, opt, k, p;
	unsigned long n = 20000, bytes = 0;
	static struct bench b;
	const char *csv = NULL;
	struct result r;
	unsigned int i;
	uint64_t *lat;
	FILE *f = NULL;

	while ((opt = getopt(argc, argv, "n:s:m:co:h")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 's':
			bytes = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			if (select_mechs(optarg, sel))
				return 2;
			any = 1;
			break;
		case 'c':
			pin = 1;
			break;
		case 'o':
			csv = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !n || bytes > MAX_BYTES || bytes % 8)
		usage();
	if (!any)
		for (i = 0; i < NR_MECHS; i++)
			sel[i] = 1;
	b.bytes = bytes;

	if (pin) {
		cpu_set_t cpus;

		/* The server inherits the mask through fork. */
		CPU_ZERO(&cpus);
		CPU_SET(0, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
			perror("kipc-bench: sched_setaffinity");
			return 1;
		}
	}
	if (csv) {
		f = fopen(csv, "w");
		if (!f) {
			perror(csv);
			return 1;
		}
		fprintf(f, "mechanism,bytes,iterations,median_ns,p99_ns,mean_ns\n");
	}
	lat = calloc(n, sizeof(*lat));
	if (!lat) {
		perror("kipc-bench");
		return 1;
	}
	/* A dead server must show up as an error, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	printf("# %lu round trips per mechanism after %d warm-up, %s\n", n,
	       WARMUP, pin ? "both processes on CPU 0" : "processes not pinned");
	printf("# a clock reading costs %llu ns; it is included in every figure\n",
	       (unsigned long long)clock_cost());
	printf("%-12s %6s %11s %10s %10s\n", "mechanism", "bytes", "median_ns",
	       "p99_ns", "mean_ns");
	for (i = 0; i < NR_MECHS; i++) {
		if (!sel[i])
			continue;
		ret = run(&mechs[i], &b, n, lat);
		if (ret) {
			fprintf(stderr, "kipc-bench: %s failed: %s\n", mechs[i].name,
				strerror(-ret));
			return 1;
		}
		r = stats(lat, n);
		median[i] = r.median;
		printf("%-12s %6lu %11llu %10llu %10.0f\n", mechs[i].name, bytes,
		       (unsigned long long)r.median, (unsigned long long)r.p99,
		       r.mean);
		if (f)
			fprintf(f, "%s,%lu,%lu,%llu,%llu,%.0f\n", mechs[i].name,
				bytes, n, (unsigned long long)r.median,
				(unsigned long long)r.p99, r.mean);
	}
	k = mech_index("kipc_call");
	p = mech_index("pipe");
	if (sel[k] && sel[p] && median[p] > 0)
		printf("kipc_call/pipe round-trip ratio: %.2f\n", median[k] / median[p]);
	if (f && fclose(f)) {
		perror(csv);
		return 1;
	}
	free(lat);
	return 0;
}
