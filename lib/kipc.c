// SPDX-License-Identifier: MIT
/*
 * libkipc: the parts of the interface that are not on the hot path.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kipc.h"

int kipc_ctx_open(struct kipc_ctx *ctx)
{
	void *p;
	int fd, err;

	/* A failed open leaves a closed context: kipc_ctx_close() is safe. */
	ctx->fd = -1;
	ctx->utcb = NULL;
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

/*
 * An open context always has its area mapped: one without (zeroed, never
 * opened, its open failed, already closed) owns no descriptor, not even
 * the 0 of a zeroed struct.
 */
void kipc_ctx_close(struct kipc_ctx *ctx)
{
	if (ctx->utcb) {
		munmap(ctx->utcb, KIPC_UTCB_SIZE);
		if (ctx->fd >= 0)
			close(ctx->fd);
	}
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

int kipc_ep_create_floor(struct kipc_ctx *ctx, unsigned int flags,
			 int policy, int priority)
{
	struct kipc_ep_create a = {
		.flags = flags | KIPC_EP_FLOOR,
		.floor_policy = (uint32_t)policy,
		.floor_priority = priority,
	};
	int fd = ioctl(ctx->fd, KIPC_IOC_EP_CREATE, &a);

	return fd < 0 ? -errno : fd;
}

int kipc_ep_mint(struct kipc_ctx *ctx, int ep, unsigned int rights,
		 uint64_t badge, unsigned int flags)
{
	struct kipc_ep_mint a = {
		.fd = ctx ? ep : KIPC_FD_SELF,
		.rights = rights,
		.badge = badge,
		.flags = flags,
	};
	int fd = ioctl(ctx ? ctx->fd : ep, KIPC_IOC_EP_MINT, &a);

	return fd < 0 ? -errno : fd;
}

static int kipc_copy_name(char *dst, const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= KIPC_NAME_MAX)
		return -EINVAL;
	memcpy(dst, name, len);
	return 0;
}

int kipc_publish(struct kipc_ctx *ctx, const char *name, int ep,
		 unsigned int mode, unsigned int flags, uint64_t badge)
{
	struct kipc_publish a = {
		.fd = ctx ? ep : KIPC_FD_SELF,
		.flags = flags,
		.mode = mode,
		.badge = badge,
	};

	if (kipc_copy_name(a.name, name))
		return -EINVAL;
	return ioctl(ctx ? ctx->fd : ep, KIPC_IOC_PUBLISH, &a) < 0 ? -errno : 0;
}

int kipc_unpublish(struct kipc_ctx *ctx, const char *name, int ep)
{
	struct kipc_publish a = { .fd = ctx ? ep : KIPC_FD_SELF };

	if (kipc_copy_name(a.name, name))
		return -EINVAL;
	return ioctl(ctx ? ctx->fd : ep, KIPC_IOC_UNPUBLISH, &a) < 0 ? -errno : 0;
}

int kipc_lookup(struct kipc_ctx *ctx, const char *name, unsigned int flags)
{
	struct kipc_lookup a = { .flags = flags };
	int fd;

	if (kipc_copy_name(a.name, name))
		return -EINVAL;
	fd = ioctl(ctx->fd, KIPC_IOC_LOOKUP, &a);
	return fd < 0 ? -errno : fd;
}

int kipc_register(struct kipc_ctx *ctx, unsigned int slot, int ep)
{
	struct kipc_register a = { .fd = ep, .slot = slot };

	return ioctl(ctx->fd, KIPC_IOC_REGISTER, &a) < 0 ? -errno : 0;
}

int kipc_unregister(struct kipc_ctx *ctx, unsigned int slot)
{
	struct kipc_register a = {
		.fd = -1,
		.slot = slot,
		.flags = KIPC_REGISTER_CLEAR,
	};

	return ioctl(ctx->fd, KIPC_IOC_REGISTER, &a) < 0 ? -errno : 0;
}

int kipc_caller_pidfd(struct kipc_ctx *ctx, int *pid)
{
	struct kipc_caller a = { 0 };
	int pidfd, err;

	/* The pid to open: the caller must still wait, else it may be reused. */
	if (ioctl(ctx->fd, KIPC_IOC_CALLER, &a) < 0)
		return -errno;
	if (!a.pid)
		return -ESRCH;
	pidfd = syscall(SYS_pidfd_open, a.pid, 0);
	if (pidfd < 0)
		return -errno;
	/* Still waiting after the open: the pidfd is the caller's process. */
	a.pid = 0;
	if (ioctl(ctx->fd, KIPC_IOC_CALLER, &a) < 0) {
		err = -errno;
		close(pidfd);
		return err;
	}
	if (pid)
		*pid = a.pid;
	return pidfd;
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
	struct kipc_notify_bind a = {
		.fd = ntfn,
		.ep = ctx ? ep : KIPC_FD_SELF,
		.flags = flags,
	};

	/* Without a context, on the handle's own descriptor (ABI 1.6). */
	return ioctl(ctx ? ctx->fd : ep, KIPC_IOC_NTFN_BIND, &a) < 0 ? -errno : 0;
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
#include "kipc-errors.h"
	default:
		return strerror(-err);
	}
}

int kipc_pool_open(struct kipc_pool *p, unsigned int n)
{
	unsigned int i;
	int ret;

	p->n = p->nfree = 0;
	p->ctx = NULL;
	p->free = NULL;
	if (!n || n > 65536)
		return -EINVAL;
	p->ctx = calloc(n, sizeof(*p->ctx));
	p->free = calloc(n, sizeof(*p->free));
	if (!p->ctx || !p->free) {
		kipc_pool_close(p);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ret = kipc_ctx_open(&p->ctx[i]);
		if (ret) {
			p->n = i;
			kipc_pool_close(p);
			return ret;
		}
		/* Handed out from index 0 up. */
		p->free[i] = n - 1 - i;
	}
	p->n = p->nfree = n;
	return 0;
}

void kipc_pool_close(struct kipc_pool *p)
{
	unsigned int i;

	for (i = 0; p->ctx && i < p->n; i++)
		kipc_ctx_close(&p->ctx[i]);
	free(p->ctx);
	free(p->free);
	p->ctx = NULL;
	p->free = NULL;
	p->n = p->nfree = 0;
}

struct kipc_ctx *kipc_pool_get(struct kipc_pool *p)
{
	if (!p->nfree)
		return NULL;
	return &p->ctx[p->free[--p->nfree]];
}

/* -EINVAL for a context that is not the pool's or is free already. */
int kipc_pool_put(struct kipc_pool *p, struct kipc_ctx *ctx)
{
	unsigned int i;

	if (ctx < p->ctx || ctx >= p->ctx + p->n)
		return -EINVAL;
	for (i = 0; i < p->nfree; i++)
		if (p->free[i] == (unsigned int)(ctx - p->ctx))
			return -EINVAL;
	p->free[p->nfree++] = ctx - p->ctx;
	return 0;
}

static ssize_t kipc__win_io(struct kipc_ctx *ctx, unsigned long cmd,
			   unsigned int win, uint64_t off,
			   const struct iovec *iov, int iovcnt)
{
	struct kipc_win_io a = {
		.win = win,
		.offset = off,
		.iov = (uintptr_t)iov,
		.iovcnt = (uint32_t)iovcnt,
	};
	long n;

	if (iovcnt < 0)
		return -EINVAL;
	n = ioctl(ctx->fd, cmd, &a);
	return n < 0 ? -errno : n;
}

ssize_t kipc_win_readv(struct kipc_ctx *ctx, unsigned int win, uint64_t off,
		       const struct iovec *iov, int iovcnt)
{
	return kipc__win_io(ctx, KIPC_IOC_WIN_READ, win, off, iov, iovcnt);
}

ssize_t kipc_win_writev(struct kipc_ctx *ctx, unsigned int win, uint64_t off,
			const struct iovec *iov, int iovcnt)
{
	return kipc__win_io(ctx, KIPC_IOC_WIN_WRITE, win, off, iov, iovcnt);
}

ssize_t kipc_win_read(struct kipc_ctx *ctx, unsigned int win, uint64_t off,
		      void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	return kipc_win_readv(ctx, win, off, &iov, 1);
}

ssize_t kipc_win_write(struct kipc_ctx *ctx, unsigned int win, uint64_t off,
		       const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	return kipc_win_writev(ctx, win, off, &iov, 1);
}

int kipc_rbuf_set(struct kipc_ctx *ctx, void *buf, size_t len)
{
	struct kipc_rbuf a = { .addr = (uintptr_t)buf, .len = len };

	return ioctl(ctx->fd, KIPC_IOC_WIN_RBUF, &a) < 0 ? -errno : 0;
}

int kipc_region_create(struct kipc_ctx *ctx, void *addr, size_t len,
		       unsigned int rights, unsigned int flags)
{
	struct kipc_region_create a = {
		.addr = (uintptr_t)addr,
		.len = len,
		.rights = rights,
		.flags = flags,
	};
	int fd = ioctl(ctx->fd, KIPC_IOC_REGION_CREATE, &a);

	return fd < 0 ? -errno : fd;
}

int kipc_region_mint(int region, unsigned int rights, unsigned int flags)
{
	struct kipc_region_mint a = { .rights = rights, .flags = flags };
	int fd = ioctl(region, KIPC_IOC_REGION_MINT, &a);

	return fd < 0 ? -errno : fd;
}

static ssize_t kipc__region_io(int region, unsigned long cmd, uint64_t off,
			      const struct iovec *iov, int iovcnt,
			      unsigned int flags)
{
	struct kipc_region_io a = {
		.offset = off,
		.iov = (uintptr_t)iov,
		.iovcnt = (uint32_t)iovcnt,
		.flags = flags,
	};
	long n;

	if (iovcnt < 0)
		return -EINVAL;
	n = ioctl(region, cmd, &a);
	return n < 0 ? -errno : n;
}

ssize_t kipc_region_putv(int region, uint64_t off, const struct iovec *iov,
			 int iovcnt, unsigned int flags)
{
	return kipc__region_io(region, KIPC_IOC_REGION_PUT, off, iov, iovcnt, flags);
}

ssize_t kipc_region_getv(int region, uint64_t off, const struct iovec *iov,
			 int iovcnt)
{
	return kipc__region_io(region, KIPC_IOC_REGION_GET, off, iov, iovcnt, 0);
}

ssize_t kipc_region_put(int region, uint64_t off, const void *buf, size_t len,
			unsigned int flags)
{
	struct iovec iov = { (void *)buf, len };

	return kipc_region_putv(region, off, &iov, 1, flags);
}

ssize_t kipc_region_get(int region, uint64_t off, void *buf, size_t len)
{
	struct iovec iov = { buf, len };

	return kipc_region_getv(region, off, &iov, 1);
}

int kipc_region_bind(int region, int ntfn, uint64_t bits)
{
	struct kipc_region_bind a = { .ntfn = ntfn, .bits = bits };

	return ioctl(region, KIPC_IOC_REGION_BIND, &a) < 0 ? -errno : 0;
}

int kipc_region_revoke(int region)
{
	return ioctl(region, KIPC_IOC_REGION_REVOKE, 0) < 0 ? -errno : 0;
}

int kipc_region_info(int region, struct kipc_region_info *info)
{
	return ioctl(region, KIPC_IOC_REGION_INFO, info) < 0 ? -errno : 0;
}
