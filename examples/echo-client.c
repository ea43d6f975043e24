// SPDX-License-Identifier: MIT
/*
 * echo-client: talk to echo-server.
 *
 *   echo-client SOCKETPATH TEXT...
 *
 * Gets a handle from the server over SOCKETPATH, sends each TEXT with
 * kipc_call and checks that the same text comes back, then says bye
 * (label 0).  The text travels as a string in the message registers
 * (kipc_msg_put_str(), label 1), so a TEXT holds at most 511 bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4(), and glibc's other extensions */
#endif
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kipc.h>
#include "bootstrap.h"

#define TEXT_MAX	(KIPC_MSG_BYTES - 1)

int main(int argc, char **argv)
{
	struct kipc_ctx ctx;
	int ep, i, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: echo-client SOCKETPATH TEXT...\n");
		return 2;
	}

	for (i = 2; i < argc; i++) {
		size_t len = strlen(argv[i]);

		if (len == 0 || len > TEXT_MAX) {
			fprintf(stderr, "echo-client: TEXT must be 1 to %d bytes\n",
				TEXT_MAX);
			return 2;
		}
	}

	/* Our first (and only) handle: send-only, badged by the server. */
	ep = bootstrap_connect_recv(argv[1]);
	if (ep < 0) {
		fprintf(stderr, "echo-client: %s: %s\n", argv[1], strerror(-ep));
		return 1;
	}
	/* A context: the message area we fill in and the reply lands in. */
	ret = kipc_ctx_open(&ctx);
	if (ret) {
		fprintf(stderr, "echo-client: kipc_ctx_open: %s\n", kipc_strerror(ret));
		return 1;
	}

	for (i = 2; i < argc; i++) {
		const char *text = argv[i];
		char echo[KIPC_MSG_BYTES];
		struct kipc_msg m;

		kipc_msg_begin(&m, &ctx);
		kipc_msg_put_str(&m, text);

		/* Send and wait for the answer, which overwrites tag and registers. */
		ret = kipc_call(&ctx, ep, kipc_msg_tag(&m, 1), KIPC_TIMEOUT_INFINITE);
		if (ret) {
			fprintf(stderr, "echo-client: kipc_call: %s\n", kipc_strerror(ret));
			return 1;
		}
		kipc_msg_read(&m, &ctx);
		if (kipc_msg_get_str(&m, echo, sizeof(echo)) || strcmp(echo, text)) {
			fprintf(stderr, "echo-client: the echo differs from the text\n");
			return 1;
		}
		printf("echo-client: sent \"%s\", got \"%s\" back\n", text, echo);
	}

	/* Bye: label 0 and no registers.  The server answers it too. */
	ret = kipc_call(&ctx, ep, KIPC_TAG(0, 0), KIPC_TIMEOUT_INFINITE);
	if (ret) {
		fprintf(stderr, "echo-client: bye: %s\n", kipc_strerror(ret));
		return 1;
	}
	close(ep);
	kipc_ctx_close(&ctx);
	return 0;
}
