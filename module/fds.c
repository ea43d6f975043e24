// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptors carried by messages.
 *
 * The sender's descriptors are taken (fget) when its operation starts and
 * charged to its user as in flight; the receiver reserves descriptor
 * numbers when its operation starts.  The partner that copies the message
 * moves the files from the sender's context to the receiver's (ipc.c),
 * and the receiver installs them when its operation ends, in its own fd
 * table: all of them or none.  A sender with more descriptors than the
 * receiver reserved fails with EMSGSIZE.
 */
#include <linux/cred.h>
#include <linux/file.h>

#include "internal.h"

/**
 * kipc_get_files_slow - take the descriptors of the message to send
 * @ctx:	the sending context, claimed
 * @op:		its operation
 * @tag:	the message's tag: KIPC_TAG_FDS(@tag) descriptors, not 0
 * @grant:	the way the message goes allows passing descriptors
 *
 * Takes references to the descriptors in @ctx's message area, charging
 * them to the sender as in flight.  On error the references taken so far
 * stay in ctx->out for kipc_fds_end().
 *
 * Return: 0, -EOPNOTSUPP (asynchronous), -EPERM, -EBADF, -ETOOMANYREFS.
 */
int kipc_get_files_slow(struct kipc_ctx *ctx, struct kipc_op *op, u64 tag,
			bool grant)
{
	unsigned int i, n = KIPC_TAG_FDS(tag);
	struct file *file;
	int ret;

	/* The receiver of an io_uring operation installs nothing (yet). */
	if (op->async)
		return -EOPNOTSUPP;
	if (!grant)
		return -EPERM;
	op->files = true;
	op->uid = current_uid();
	ret = kipc_charge(op->uid, KIPC_L_INFLIGHT, n);
	if (ret)
		return ret;
	op->charged = n;
	atomic_long_add(n, &kipc_stats.inflight);
	for (i = 0; i < n; i++) {
		file = fget(READ_ONCE(ctx->utcb->fds[i]));
		if (!file)
			return -EBADF;
		ctx->out[ctx->nout++] = file;
		if (!kipc_file_may_pass(file))
			return -EPERM;
	}
	return 0;
}

/**
 * kipc_reserve_fds_slow - reserve descriptor numbers for a message to receive
 * @ctx:	the receiving context, claimed
 * @op:		its operation
 * @n:		how many (op->fd_max), not 0
 *
 * As many as the fd table allows: a sender with more descriptors than
 * were reserved fails with EMSGSIZE; the receiver itself does not.
 *
 * Return: 0.
 */
int kipc_reserve_fds_slow(struct kipc_ctx *ctx, struct kipc_op *op,
			  unsigned int n)
{
	int fd;

	op->files = true;
	while (ctx->nrfd < n) {
		fd = get_unused_fd_flags(O_CLOEXEC);
		if (fd < 0)
			break;
		ctx->rfd[ctx->nrfd++] = fd;
	}
	return 0;
}

/**
 * kipc_put_files - drop the files of a message not (or no longer) being sent
 * @ctx:	the context
 * @op:		its operation: what was charged
 */
void kipc_put_files(struct kipc_ctx *ctx, struct kipc_op *op)
{
	unsigned int i;

	for (i = 0; i < ctx->nout; i++)
		fput(ctx->out[i]);
	ctx->nout = 0;
	if (op->charged) {
		kipc_uncharge(op->uid, KIPC_L_INFLIGHT, op->charged);
		atomic_long_sub(op->charged, &kipc_stats.inflight);
		op->charged = 0;
	}
}

/**
 * kipc_fds_end - the end of an operation that reserved numbers or took files
 * @ctx:	the context
 * @op:		the operation
 * @ret:	its result
 *
 * Installs what was delivered (all of it, in current's fd table, which is
 * the receiver's), gives back the descriptor numbers not used and drops
 * the files not sent.
 */
void kipc_fds_end(struct kipc_ctx *ctx, struct kipc_op *op, int ret)
{
	unsigned int i, used = 0;

	if (ctx->nin) {
		/* Only a successful receive is handed files; be safe anyway. */
		if (!WARN_ON_ONCE(ret)) {
			for (i = 0; i < ctx->nin; i++) {
				fd_install(ctx->rfd[i], ctx->in[i]);
				WRITE_ONCE(ctx->utcb->fds[i], ctx->rfd[i]);
			}
			used = ctx->nin;
		} else {
			for (i = 0; i < ctx->nin; i++)
				fput(ctx->in[i]);
		}
		ctx->nin = 0;
	}
	for (i = used; i < ctx->nrfd; i++)
		put_unused_fd(ctx->rfd[i]);
	ctx->nrfd = 0;
	kipc_put_files(ctx, op);
}

/**
 * kipc_fds_abandon - the end of a parked call that will not come back
 * @ctx:	the context
 * @op:		the call's operation
 * @own:	the numbers reserved for the reply are in current's fd table
 *
 * A reply's descriptors are closed; the reserved numbers are given back if
 * they are current's (else they go with the table they are in).
 */
void kipc_fds_abandon(struct kipc_ctx *ctx, struct kipc_op *op, bool own)
{
	unsigned int i;

	for (i = 0; i < ctx->nin; i++)
		fput(ctx->in[i]);
	ctx->nin = 0;
	if (own)
		for (i = 0; i < ctx->nrfd; i++)
			put_unused_fd(ctx->rfd[i]);
	ctx->nrfd = 0;
	kipc_put_files(ctx, op);
}
