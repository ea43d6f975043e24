// SPDX-License-Identifier: MIT
/*
 * uring-server: one thread, one io_uring, serving two kipc endpoints and a
 * UNIX socket at once, and stopping on a kipc notification.
 *
 *   uring-server [CALLS]
 *
 * The program forks its own clients: one kipc client per endpoint (CALLS
 * calls each, default 1000), and one socket client that sends CALLS lines
 * "n\n" and reads "n+1\n" back.  The server keeps, on one ring:
 *   - two contexts per endpoint in recv / reply_recv (kipc_prep_*()),
 *   - an accept on the listening socket, then a recv per connection,
 *     answered by a send,
 *   - a wait on a notification, which the parent signals when every client
 *     is done: the server cancels its kipc operations (kipc_prep_cancel)
 *     and reports what it served.
 * The server runs in a child process; the parent reaps the clients and
 * signals the notification (with a context of its own: contexts are not
 * shared between processes, descriptors are).
 * Build: cc ... uring-server.c -lkipc -luring
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4(), and glibc's other extensions */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <liburing.h>

#include <kipc.h>
#include <kipc_uring.h>

#define NEP		2		/* endpoints */
#define PER_EP		2		/* contexts in flight per endpoint */
#define NCTX		(NEP * PER_EP)

/* user_data: what a CQE is about */
enum { U_KIPC = 0x100, U_ACCEPT = 0x200, U_RECV = 0x300, U_SEND = 0x400,
       U_STOP = 0x500, U_CANCEL = 0x600 };

static void die(const char *what, int err)
{
	fprintf(stderr, "uring-server: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

static int kipc_client(int ep, long calls)
{
	struct kipc_ctx c;
	int ret = kipc_ctx_open(&c);

	for (long i = 0; !ret && i < calls; i++) {
		kipc_mr(&c)[0] = i;
		ret = kipc_call(&c, ep, KIPC_TAG(1, 1), KIPC_TIMEOUT_INFINITE);
		if (!ret && kipc_mr(&c)[0] != (uint64_t)i * 2)
			ret = -EBADMSG;
	}
	return ret ? 1 : 0;
}

static int serve(int ep[NEP], int ntfn, int lsock, long calls);

static int socket_client(const struct sockaddr_un *sa, long calls)
{
	char buf[64];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof(*sa)))
		return 1;
	for (long i = 0; i < calls; i++) {
		int n = snprintf(buf, sizeof(buf), "%ld\n", i);

		if (write(fd, buf, n) != n || read(fd, buf, sizeof(buf) - 1) <= 0 ||
		    strtol(buf, NULL, 10) != i + 1)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? strtol(argv[1], NULL, 0) : 1000;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ep[NEP], ntfn, lsock, ret, st, bad = 0;
	pid_t pid[NEP + 1], srv;
	struct kipc_ctx ctl;

	/* The server's objects, made before the clients fork. */
	ret = kipc_ctx_open(&ctl);
	if (ret)
		die("kipc_ctx_open", ret);
	for (int i = 0; i < NEP; i++) {
		ep[i] = kipc_ep_create(&ctl, 0);
		if (ep[i] < 0)
			die("kipc_ep_create", ep[i]);
	}
	ntfn = kipc_ntfn_create(&ctl, 0);
	if (ntfn < 0)
		die("kipc_ntfn_create", ntfn);
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "kipc-uring-server-%d", getpid());
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) || listen(lsock, 4))
		die("socket", errno);

	for (int i = 0; i <= NEP; i++) {
		pid[i] = fork();
		if (pid[i] == 0)
			_exit(i < NEP ? kipc_client(ep[i], calls) : socket_client(&sa, calls));
	}

	srv = fork();
	if (srv == 0)
		_exit(serve(ep, ntfn, lsock, calls));
	for (int i = 0; i <= NEP; i++)
		bad |= waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) ||
		       WEXITSTATUS(st);
	/* Tell the server to stop: bit 0 all is well, bit 1 a client failed. */
	ret = kipc_ntfn_signal(&ctl, ntfn, bad ? 2 : 1);
	if (ret)
		die("kipc_ntfn_signal", ret);
	if (waitpid(srv, &st, 0) != srv || !WIFEXITED(st))
		return 1;
	return bad || WEXITSTATUS(st);
}

/* The event loop: one thread, one ring. */
static int serve(int ep[NEP], int ntfn, int lsock, long calls)
{
	struct kipc_ctx ctx[NCTX], wctx;
	int conn = -1, ret, stopping = 0, pending;
	long served[NEP] = { 0 }, lines = 0;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	char line[64];

	ret = io_uring_queue_init(32, &ring, 0);
	if (ret)
		die("io_uring_queue_init", ret);
	for (int i = 0; i < NCTX; i++) {
		ret = kipc_ctx_open(&ctx[i]);
		if (ret)
			die("kipc_ctx_open", ret);
		sqe = io_uring_get_sqe(&ring);
		kipc_prep_recv(sqe, &ctx[i], ep[i / PER_EP], KIPC_TIMEOUT_INFINITE);
		io_uring_sqe_set_data64(sqe, U_KIPC | i);
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_accept(sqe, lsock, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, U_ACCEPT);
	ret = kipc_ctx_open(&wctx);
	if (ret)
		die("kipc_ctx_open", ret);
	sqe = io_uring_get_sqe(&ring);
	kipc_prep_ntfn_wait(sqe, &wctx, ntfn, KIPC_TIMEOUT_INFINITE);
	io_uring_sqe_set_data64(sqe, U_STOP);
	pending = NCTX + 2;

	while (pending) {
		ret = io_uring_submit_and_wait(&ring, 1);
		if (ret < 0 && ret != -EINTR)
			die("io_uring_submit_and_wait", ret);
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			uint64_t d = io_uring_cqe_get_data64(cqe);
			int res = cqe->res, i = d & 0xff;

			io_uring_cqe_seen(&ring, cqe);
			pending--;
			switch (d & ~0xffULL) {
			case U_KIPC:
				if (res) {
					if (res != -ECANCELED || !stopping)
						die("kipc", res);
					break;
				}
				/* The answer: twice the request; badge, pid, uid are there too. */
				served[i / PER_EP]++;
				kipc_mr(&ctx[i])[0] *= 2;
				sqe = io_uring_get_sqe(&ring);
				kipc_prep_reply_recv(sqe, &ctx[i], ep[i / PER_EP], KIPC_TAG(0, 1),
						     KIPC_TIMEOUT_INFINITE);
				io_uring_sqe_set_data64(sqe, U_KIPC | i);
				pending++;
				break;
			case U_ACCEPT:
				if (res < 0)
					die("accept", res);
				conn = res;
				__attribute__((fallthrough));	/* read the first line */
			case U_SEND:
				if (res < 0)
					die("send", res);
				sqe = io_uring_get_sqe(&ring);
				io_uring_prep_recv(sqe, conn, line, sizeof(line) - 1, 0);
				io_uring_sqe_set_data64(sqe, U_RECV);
				pending++;
				break;
			case U_RECV:
				if (res <= 0)	/* the socket client is done */
					break;
				line[res] = 0;
				lines++;
				res = snprintf(line, sizeof(line), "%ld\n", strtol(line, NULL, 10) + 1);
				sqe = io_uring_get_sqe(&ring);
				io_uring_prep_send(sqe, conn, line, res, 0);
				io_uring_sqe_set_data64(sqe, U_SEND);
				pending++;
				break;
			case U_STOP:
				if (res)
					die("notification wait", res);
				if (kipc_ntfn_bits(&wctx) != 1)
					die("a client failed", EBADMSG);
				stopping = 1;
				for (int k = 0; k < NCTX; k++) {
					sqe = io_uring_get_sqe(&ring);
					kipc_prep_cancel(sqe, &ctx[k]);
					io_uring_sqe_set_data64(sqe, U_CANCEL | k);
					pending++;
				}
				break;
			case U_CANCEL:
				break;
			}
		}
	}
	printf("uring-server: one thread, one ring: %ld + %ld kipc calls on two endpoints, %ld socket lines\n",
	       served[0], served[1], lines);
	io_uring_queue_exit(&ring);
	return served[0] == calls && served[1] == calls && lines == calls ? 0 : 1;
}
