// SPDX-License-Identifier: MIT
/*
 * libkipc: the parts of the interface that are not on the hot path.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kipc.h"

int kipc_ctx_open(struct kipc_ctx *ctx)
{
	void *p;
	int fd, err;

	fd = open(KIPC_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, KIPC_UTCB_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	ctx->fd = fd;
	ctx->utcb = p;
	return 0;
}

void kipc_ctx_close(struct kipc_ctx *ctx)
{
	if (ctx->utcb)
		munmap(ctx->utcb, KIPC_UTCB_SIZE);
	if (ctx->fd >= 0)
		close(ctx->fd);
	ctx->utcb = NULL;
	ctx->fd = -1;
}

int kipc_version(struct kipc_ctx *ctx, struct kipc_version *v)
{
	return ioctl(ctx->fd, KIPC_IOC_VERSION, v) < 0 ? -errno : 0;
}

int kipc_ep_create(struct kipc_ctx *ctx, unsigned int flags)
{
	struct kipc_ep_create a = { .flags = flags };
	int fd = ioctl(ctx->fd, KIPC_IOC_EP_CREATE, &a);

	return fd < 0 ? -errno : fd;
}

int kipc_ep_mint(struct kipc_ctx *ctx, int ep, unsigned int rights,
		 uint64_t badge, unsigned int flags)
{
	struct kipc_ep_mint a = {
		.fd = ep,
		.rights = rights,
		.badge = badge,
		.flags = flags,
	};
	int fd = ioctl(ctx->fd, KIPC_IOC_EP_MINT, &a);

	return fd < 0 ? -errno : fd;
}

int kipc_ntfn_create(struct kipc_ctx *ctx, unsigned int flags)
{
	struct kipc_notify_create a = { .flags = flags };
	int fd = ioctl(ctx->fd, KIPC_IOC_NTFN_CREATE, &a);

	return fd < 0 ? -errno : fd;
}

static int kipc_ntfn_bind_op(struct kipc_ctx *ctx, int ntfn, int ep,
			     unsigned int flags)
{
	struct kipc_notify_bind a = { .fd = ntfn, .ep = ep, .flags = flags };

	return ioctl(ctx->fd, KIPC_IOC_NTFN_BIND, &a) < 0 ? -errno : 0;
}

int kipc_ntfn_bind(struct kipc_ctx *ctx, int ntfn, int ep)
{
	return kipc_ntfn_bind_op(ctx, ntfn, ep, 0);
}

int kipc_ntfn_unbind(struct kipc_ctx *ctx, int ntfn, int ep)
{
	return kipc_ntfn_bind_op(ctx, ntfn, ep, KIPC_NTFN_UNBIND);
}

const char *kipc_strerror(int err)
{
	switch (-err) {
	case EPIPE:
		return "endpoint has no partner left (all handles on the other side closed)";
	case ECONNRESET:
		return "peer of the call went away (server died, caller gave up)";
	case ETIMEDOUT:
		return "timed out";
	case EAGAIN:
		return "no partner waiting (poll)";
	case ENOENT:
		return "no reply pending on this context";
	case EBUSY:
		return "another operation is running on this context (or the notification is bound)";
	case ECANCELED:
		return "the operation was cancelled (KIPC_IOC_CANCEL, task exit, ring teardown)";
	case EBADF:
		return "not an open kipc endpoint handle";
	case EPERM:
		return "the handle lacks the right, or the context belongs to another process";
	default:
		return strerror(-err);
	}
}
