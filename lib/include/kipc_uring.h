/* SPDX-License-Identifier: MIT */
/*
 * kipc_uring.h: kipc operations on an io_uring, on top of liburing.
 *
 * Header-only, so libkipc itself does not depend on liburing: include it
 * after <liburing.h> and link with -luring.  Each kipc_prep_*() fills an
 * SQE like liburing's io_uring_prep_*(): an IORING_OP_URING_CMD on the
 * context @ctx (its fd), with the operation's ioctl number as cmd_op and a
 * struct kipc_uring_cmd in the 16-byte command area.  The CQE's res is what
 * the ioctl would return (0 or -errno); the message comes into, and is
 * sent from, the context's message area, so a context carries one
 * operation at a time: open one context per operation in flight.  Set the
 * SQE's user_data to tell the completions apart.
 *
 * Timeouts are KIPC_TIMEOUT_INFINITE or KIPC_TIMEOUT_POLL; end a wait with
 * kipc_prep_cancel() (or kipc_cancel()): io_uring's own
 * IORING_OP_ASYNC_CANCEL cannot reach a queued uring_cmd (ENOENT).
 */
#ifndef LIBKIPC_URING_H
#define LIBKIPC_URING_H

#include <string.h>
#include <liburing.h>
#include <kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Any kipc operation @op (a KIPC_IOC_* number) on @ctx; @fd may name a
 * registered endpoint as KIPC_SLOT(n) (ABI 1.2), as for the ioctls.
 */
static inline void kipc_prep_cmd(struct io_uring_sqe *sqe, struct kipc_ctx *ctx,
				 unsigned int op, int fd, uint64_t timeout)
{
	struct kipc_uring_cmd c = { .fd = fd, .flags = 0, .timeout = timeout };

	if (KIPC_IS_SLOT(fd)) {
		c.fd = KIPC_SLOT(0) - fd;
		c.flags = KIPC_ARGS_SLOT;
	}

	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, ctx->fd, NULL, 0, 0);
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &c, sizeof(c));
}

/* Send @tag and its registers to @ep. */
static inline void kipc_prep_send(struct io_uring_sqe *sqe, struct kipc_ctx *ctx,
				  int ep, uint64_t tag, uint64_t timeout)
{
	ctx->utcb->tag = tag;
	kipc_prep_cmd(sqe, ctx, KIPC_IOC_SEND, ep, timeout);
}

/* Wait for a message on @ep. */
static inline void kipc_prep_recv(struct io_uring_sqe *sqe, struct kipc_ctx *ctx,
				  int ep, uint64_t timeout)
{
	kipc_prep_cmd(sqe, ctx, KIPC_IOC_RECV, ep, timeout);
}

/* Call @ep with @tag and its registers; completes when the reply is in. */
static inline void kipc_prep_call(struct io_uring_sqe *sqe, struct kipc_ctx *ctx,
				  int ep, uint64_t tag, uint64_t timeout)
{
	ctx->utcb->tag = tag;
	kipc_prep_cmd(sqe, ctx, KIPC_IOC_CALL, ep, timeout);
}

/* Reply to the caller whose call @ctx received; completes at once. */
static inline void kipc_prep_reply(struct io_uring_sqe *sqe, struct kipc_ctx *ctx,
				   uint64_t tag)
{
	ctx->utcb->tag = tag;
	kipc_prep_cmd(sqe, ctx, KIPC_IOC_REPLY, -1, 0);
}

/*
 * Forward the call @ctx holds to @ep (ABI 1.7, kipc_forward(3)); link a
 * kipc_prep_recv() after it (IOSQE_IO_LINK) for a proxy's loop.
 */
static inline void kipc_prep_forward(struct io_uring_sqe *sqe,
				     struct kipc_ctx *ctx, int ep, uint64_t tag,
				     uint64_t timeout)
{
	ctx->utcb->tag = tag;
	kipc_prep_cmd(sqe, ctx, KIPC_IOC_FORWARD, ep, timeout);
}

/* Reply (if a caller waits) and wait for the next message on @ep. */
static inline void kipc_prep_reply_recv(struct io_uring_sqe *sqe,
					struct kipc_ctx *ctx, int ep,
					uint64_t tag, uint64_t timeout)
{
	ctx->utcb->tag = tag;
	kipc_prep_cmd(sqe, ctx, KIPC_IOC_REPLY_RECV, ep, timeout);
}

/* Wait for bits on notification @ntfn (kipc_ntfn_bits() after the CQE). */
static inline void kipc_prep_ntfn_wait(struct io_uring_sqe *sqe,
				       struct kipc_ctx *ctx, int ntfn,
				       uint64_t timeout)
{
	kipc_prep_cmd(sqe, ctx, KIPC_IOC_NTFN_WAIT, ntfn, timeout);
}

/*
 * End the operation waiting on @ctx with -ECANCELED; this SQE completes
 * with 0, or -ENOENT if nothing waited.
 */
static inline void kipc_prep_cancel(struct io_uring_sqe *sqe, struct kipc_ctx *ctx)
{
	kipc_prep_cmd(sqe, ctx, KIPC_IOC_CANCEL, -1, 0);
}

/*
 * KIPC_IOC_WIN_READ or _WRITE (@write) of the call @ctx serves (ABI 1.5):
 * @a must stay valid until the completion (a copy that may block is issued
 * from io_uring's workers).  The CQE's res is the bytes copied or -errno.
 */
static inline void kipc_prep_win_io(struct io_uring_sqe *sqe, struct kipc_ctx *ctx,
				    const struct kipc_win_io *a, int write)
{
	struct kipc_uring_cmd c = { .fd = -1, .flags = 0 };

	c.arg = (uintptr_t)a;
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, ctx->fd, NULL, 0, 0);
	sqe->cmd_op = write ? KIPC_IOC_WIN_WRITE : KIPC_IOC_WIN_READ;
	memcpy(sqe->cmd, &c, sizeof(c));
}

#ifdef __cplusplus
}
#endif

#endif /* LIBKIPC_URING_H */
