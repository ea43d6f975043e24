// SPDX-License-Identifier: MIT
/*
 * name-client: finds a kipc service by name and calls it.
 *
 *   name-client NAME NUMBER
 *
 * Looks NAME up (the name's mode decides whether we may), calls the
 * service with NUMBER in the first register and prints the answer.
 * Exit status: 0 served, 3 denied by the server, 1 any error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4(), and glibc's other extensions */
#endif
#include <stdio.h>
#include <stdlib.h>

#include <kipc.h>

#define SERVED		1
#define DENIED		2

int main(int argc, char **argv)
{
	struct kipc_ctx ctx;
	struct kipc_msg m;
	uint64_t v;
	int h, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: name-client NAME NUMBER\n");
		return 2;
	}
	ret = kipc_ctx_open(&ctx);
	if (ret) {
		fprintf(stderr, "name-client: kipc_ctx_open: %s\n", kipc_strerror(ret));
		return 1;
	}
	h = kipc_lookup(&ctx, argv[1], 0);
	if (h < 0) {
		fprintf(stderr, "name-client: lookup %s: %s\n", argv[1], kipc_strerror(h));
		return 1;
	}
	kipc_msg_begin(&m, &ctx);
	kipc_msg_put_u64(&m, strtoull(argv[2], NULL, 0));
	ret = kipc_call(&ctx, h, kipc_msg_tag(&m, 0), 10000000000ULL);
	if (ret) {
		fprintf(stderr, "name-client: call: %s\n", kipc_strerror(ret));
		return 1;
	}
	if (KIPC_TAG_LABEL(kipc_tag(&ctx)) == DENIED) {
		printf("name-client: denied\n");
		return 3;
	}
	if (KIPC_TAG_LABEL(kipc_tag(&ctx)) != SERVED) {
		fprintf(stderr, "name-client: unexpected answer\n");
		return 1;
	}
	kipc_msg_read(&m, &ctx);
	if (kipc_msg_get_u64(&m, &v)) {
		fprintf(stderr, "name-client: no number in the answer\n");
		return 1;
	}
	printf("name-client: %llu\n", (unsigned long long)v);
	return 0;
}
