// SPDX-License-Identifier: MIT
/*
 * name-server: a kipc service found by name.
 *
 *   name-server NAME UID [NCALLS]
 *
 * Publishes an endpoint as NAME in the IPC namespace, mode 0666, so that
 * any local user may look it up; every handle a lookup returns carries the
 * badge SERVICE_BADGE.  Each call is then checked twice:
 *
 *  - the badge says through which handle the call came: only calls made
 *    through a looked-up handle carry SERVICE_BADGE (the kernel sets it,
 *    the caller cannot forge it);
 *  - the uid, filled in by the kernel, says who called: only UID is served,
 *    everybody else gets the label DENIED.
 *
 * A served call gets its registers back incremented by one.  After NCALLS
 * calls (default: no limit) the server exits, and NAME disappears with the
 * endpoint's last receive handle.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4(), and glibc's other extensions */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <kipc.h>

#define SERVICE_BADGE	0x5e41ULL
#define SERVED		1
#define DENIED		2

static void die(const char *what, int err)
{
	fprintf(stderr, "name-server: %s: %s\n", what, kipc_strerror(err));
	exit(1);
}

int main(int argc, char **argv)
{
	unsigned long ncalls, served = 0;
	struct kipc_ctx ctx;
	uint64_t tag = 0;
	int ep, ret;
	uid_t uid;

	if (argc < 3) {
		fprintf(stderr, "usage: name-server NAME UID [NCALLS]\n");
		return 2;
	}
	uid = strtoul(argv[2], NULL, 0);
	ncalls = argc > 3 ? strtoul(argv[3], NULL, 0) : 0;
	ret = kipc_ctx_open(&ctx);
	if (ret)
		die("kipc_ctx_open", ret);
	ep = kipc_ep_create(&ctx, 0);
	if (ep < 0)
		die("kipc_ep_create", ep);
	ret = kipc_publish(&ctx, argv[1], ep, 0666, KIPC_PUBLISH_BADGE,
			   SERVICE_BADGE);
	if (ret)
		die("kipc_publish", ret);
	printf("name-server: %s published, serving uid %u\n", argv[1], uid);
	fflush(stdout);

	while (!ncalls || served < ncalls) {
		struct kipc_msg m;
		uint64_t v;

		ret = kipc_reply_recv(&ctx, ep, tag, KIPC_TIMEOUT_INFINITE);
		if (ret)
			die("kipc_reply_recv", ret);
		kipc_msg_read(&m, &ctx);
		if (kipc_badge(&ctx) != SERVICE_BADGE || kipc_uid(&ctx) != uid) {
			printf("name-server: pid %d uid %u badge %#llx: denied\n",
			       kipc_pid(&ctx), kipc_uid(&ctx),
			       (unsigned long long)kipc_badge(&ctx));
			tag = KIPC_TAG(DENIED, 0);
		} else if (kipc_msg_get_u64(&m, &v)) {
			printf("name-server: pid %d: no number\n", kipc_pid(&ctx));
			tag = KIPC_TAG(DENIED, 0);
		} else {
			/* The answer: the number + 1. */
			kipc_msg_begin(&m, &ctx);
			kipc_msg_put_u64(&m, v + 1);
			printf("name-server: pid %d uid %u: served\n", kipc_pid(&ctx),
			       kipc_uid(&ctx));
			tag = kipc_msg_tag(&m, SERVED);
		}
		fflush(stdout);
		served++;
	}
	/* The last reply, then the name goes with the endpoint. */
	ret = kipc_reply(&ctx, tag);
	if (ret && ret != -ECONNRESET)
		die("kipc_reply", ret);
	close(ep);
	kipc_ctx_close(&ctx);
	return 0;
}
