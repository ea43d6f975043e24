// SPDX-License-Identifier: MIT
/*
 * echo-server: the smallest kipc service.
 *
 *   echo-server SOCKETPATH [NCLIENTS]
 *
 * The server creates one endpoint and gives every client that connects to
 * SOCKETPATH its own send-only handle, badged with the client's number
 * (1, 2, ...).  It answers each call with the message it got (an echo) and
 * prints who sent it: the badge, which the client cannot forge, and the
 * pid and uid, which the kernel fills in.
 *
 * Text travels in the message registers as a string (kipc_msg_put_str()
 * on the client, kipc_msg_get_str() here: bounds-checked, no packing by
 * hand) with label 1; a call with label 0 says "bye".  After NCLIENTS
 * byes the server exits; without NCLIENTS it runs forever.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4(), and glibc's other extensions */
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>
#include "bootstrap.h"

struct server {
	int ep;			/* the endpoint, all rights; never leaves us */
	int lsock;		/* the bootstrap socket */
	unsigned long nclients;	/* 0: no limit */
};

static void die(const char *what, int err)
{
	fprintf(stderr, "echo-server: %s: %s\n", what, kipc_strerror(err));
	exit(1);
}

/*
 * The handing-out thread: one badged, send-only handle per connection.
 * It runs beside the serving loop, so a slow client on the socket never
 * holds up the ones already talking kipc.
 */
static void *hand_out(void *arg)
{
	struct server *s = arg;
	struct kipc_ctx ctx;
	unsigned long i = 1;
	int h, ret;

	/* Minting is an ioctl on a context: this thread opens its own. */
	ret = kipc_ctx_open(&ctx);
	if (ret)
		die("kipc_ctx_open", ret);

	while (!s->nclients || i <= s->nclients) {
		/*
		 * Derive a handle that may only send, with badge i.  Every
		 * message sent through it arrives with badge i, and its holder
		 * can neither change that nor receive on the endpoint.
		 */
		h = kipc_ep_mint(&ctx, s->ep, KIPC_RIGHT_SEND, i, KIPC_MINT_BADGE);
		if (h < 0)
			die("kipc_ep_mint", h);
		/* Pass it to the next client, then drop our copy. */
		ret = bootstrap_accept_send(s->lsock, h);
		close(h);
		if (ret)
			fprintf(stderr, "echo-server: handing out badge %lu: %s\n",
				i, strerror(-ret));
		else
			i++;
	}
	kipc_ctx_close(&ctx);
	return NULL;
}

int main(int argc, char **argv)
{
	struct server s = { 0 };
	unsigned long byes = 0;
	struct kipc_ctx ctx;
	pthread_t thread;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: echo-server SOCKETPATH [NCLIENTS]\n");
		return 2;
	}
	if (argc == 3)
		s.nclients = strtoul(argv[2], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* A context: our message area, mapped, and our IPC state. */
	ret = kipc_ctx_open(&ctx);
	if (ret)
		die("kipc_ctx_open", ret);
	/* A new endpoint; this first handle has every right and badge 0. */
	s.ep = kipc_ep_create(&ctx, 0);
	if (s.ep < 0)
		die("kipc_ep_create", s.ep);

	s.lsock = bootstrap_listen(argv[1]);
	if (s.lsock < 0)
		die(argv[1], s.lsock);
	ret = pthread_create(&thread, NULL, hand_out, &s);
	if (ret)
		die("pthread_create", -ret);
	pthread_detach(thread);

	/*
	 * Wait for the first message.  It lands in our message area, with
	 * the sender's badge, pid and uid next to it; since it came from
	 * kipc_call, the context now also holds the right to reply to it.
	 */
	ret = kipc_recv(&ctx, s.ep, KIPC_TIMEOUT_INFINITE);
	while (!ret) {
		uint64_t tag = kipc_tag(&ctx);
		char text[KIPC_MSG_BYTES];
		struct kipc_msg m;

		if (KIPC_TAG_LABEL(tag) == 0) {
			printf("echo-server: badge %llu pid %d uid %u: bye\n",
			       (unsigned long long)kipc_badge(&ctx), kipc_pid(&ctx),
			       kipc_uid(&ctx));
			if ((tag & KIPC_TAG_F_CALL) && s.nclients &&
			    ++byes == s.nclients)
				break;
		} else {
			/* Read once, into our own buffer; then use that. */
			kipc_msg_read(&m, &ctx);
			if (kipc_msg_get_str(&m, text, sizeof(text)))
				snprintf(text, sizeof(text), "(not a string: %s)",
					 kipc_strerror(m.err));
			printf("echo-server: badge %llu pid %d uid %u: \"%s\"\n",
			       (unsigned long long)kipc_badge(&ctx), kipc_pid(&ctx),
			       kipc_uid(&ctx), text);
		}

		/*
		 * The request is still in our registers, so the echo is just
		 * the same tag (without the call flag): reply with it and wait
		 * for the next message, in one system call.  The reply cannot
		 * block; if the caller has given up meanwhile, the kernel
		 * tells us in status.
		 */
		ret = kipc_reply_recv(&ctx, s.ep, tag & ~KIPC_TAG_F_CALL,
				      KIPC_TIMEOUT_INFINITE);
		if (!ret && (kipc_status(&ctx) & KIPC_ST_REPLY_LOST))
			printf("echo-server: a caller left before its echo\n");
	}
	if (ret)
		die("receive", ret);

	/* The last bye gets its answer too; there is nothing to wait for. */
	ret = kipc_reply(&ctx, KIPC_TAG(0, 0));
	if (ret)
		fprintf(stderr, "echo-server: last reply: %s\n", kipc_strerror(ret));

	/* Exit closes the rest: endpoint, socket, context. */
	unlink(argv[1]);
	return 0;
}
