// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring: IPC operations submitted as IORING_OP_URING_CMD on a context.
 *
 * A context runs one operation at a time, so an asynchronous operation is
 * the synchronous one with the sleep left out: it is queued exactly like a
 * blocked caller, the partner that arrives second copies the message as
 * always, and kipc_complete() then calls ctx->async_done, which hands the
 * completion to the submitting task (io_uring_cmd_complete_in_task()),
 * where kipc_op_async_end() ends the operation and the CQE is posted.  The
 * core (op.c, ipc.c, wait.c) knows nothing of io_uring.  A server serves many
 * endpoints or calls from one thread by opening one context per operation
 * it keeps in flight.
 *
 * Cancellation.  KIPC_IOC_CANCEL (as an ioctl or a command on the ring)
 * ends the operation waiting on a context with ECANCELED; io_uring's
 * IORING_OP_ASYNC_CANCEL cannot reach a queued command (ENOENT, on 6.1 as
 * on 7.2).  Nor can 6.1's ring teardown, exec, task exit or SQPOLL thread
 * exit, which wait for it (for ever, holding the task), so before 6.7
 * every queued command has a watchdog: a delayed work that cancels it once
 * io_uring waits for it (kipc_uring_abandoned()).  From 6.7 on the command
 * is marked cancelable and io_uring asks us through IO_URING_F_CANCEL
 * instead.
 */
#include <linux/percpu-refcount.h>
#include <linux/sched.h>
#include <linux/workqueue.h>

#include "internal.h"

/*
 * How often a queued command checks on its task and ring (before 6.7): how
 * long an exec or exit may wait for it, spinning if a signal is pending
 * (io_uring_cancel_generic() sleeps interruptibly, and calls schedule()),
 * against a timer per command in flight.
 */
#define KIPC_WATCHDOG_PERIOD	(HZ / 10)

static void kipc_uring_disarm(struct kipc_ctx *ctx);

/* Undo kipc_uring_setup(): the operation no longer waits. */
static void kipc_uring_unset(struct kipc_ctx *ctx)
{
	kipc_uring_disarm(ctx);
	WRITE_ONCE(ctx->sleeping, false);
	ctx->async_done = NULL;
	WRITE_ONCE(ctx->ucmd, NULL);
	atomic_long_dec(&kipc_stats.async);
}

/* In the submitting task: end the operation, post the CQE. */
static void kipc_uring_finish(struct io_uring_cmd *ucmd,
			      unsigned int issue_flags)
{
	struct kipc_ctx *ctx = ucmd->file->private_data;

	kipc_uring_unset(ctx);
	kipc_uring_cmd_done(ucmd, kipc_op_async_end(ctx, -EIOCBQUEUED),
			    issue_flags);
}

KIPC_URING_TW(kipc_uring_finish)

/* ctx->async_done: a partner completed the operation; may hold spinlocks. */
static void kipc_uring_complete(struct kipc_ctx *ctx)
{
	io_uring_cmd_complete_in_task(ctx->ucmd, kipc_uring_finish_tw);
}

/* Before 6.7: end a queued command that io_uring waits for (compat.h). */
static void kipc_uring_watchdog(struct work_struct *work)
{
	struct kipc_ctx *ctx = container_of(to_delayed_work(work),
					    struct kipc_ctx, watchdog);
	struct io_uring_cmd *ucmd = READ_ONCE(ctx->ucmd);
	unsigned long delay = KIPC_WATCHDOG_PERIOD;

	/* The command cannot complete under us: finishing cancels us first. */
	if (!ucmd)
		return;
	/* Completed: kipc_uring_finish() is on its way, and disarms us. */
	if (READ_ONCE(ctx->wstate) == KIPC_W_DONE)
		return;
	if (kipc_uring_abandoned(ucmd)) {
		if (!kipc_wait_cancel(ctx))
			return;
		/* Not queued yet, or a partner owns it: soon one or other. */
		delay = 1;
	}
	schedule_delayed_work(&ctx->watchdog, delay);
}

struct kipc_uring_issue {
	struct io_uring_cmd *ucmd;
	unsigned int issue_flags;
	bool set;
};

/*
 * The context is claimed for the command's operation: complete it through
 * io_uring, and watch it, before it can be queued and completed.
 */
static void kipc_uring_setup(struct kipc_ctx *ctx, void *data)
{
	struct kipc_uring_issue *is = data;

	is->set = true;
	WRITE_ONCE(ctx->ucmd, is->ucmd);
	ctx->async_done = kipc_uring_complete;
	/* kipc_complete() then calls ctx->async_done. */
	WRITE_ONCE(ctx->sleeping, true);
	atomic_long_inc(&kipc_stats.async);
	kipc_uring_mark_cancelable(is->ucmd, is->issue_flags);
	/*
	 * Before 6.7, nothing cancels a queued command: watch it.  Issued
	 * when io_uring already waits (a link's next request, issued by task
	 * work that its cancel loop runs): look at once.
	 */
	if (KIPC_URING_WATCHDOG)
		schedule_delayed_work(&ctx->watchdog,
				      kipc_uring_abandoned(is->ucmd) ?
				      1 : KIPC_WATCHDOG_PERIOD);
}

/*
 * The operation ends: stop watching it.  Sleeps until a running watchdog
 * has finished, so none is left that could look at the next operation.
 */
static void kipc_uring_disarm(struct kipc_ctx *ctx)
{
	if (KIPC_URING_WATCHDOG)
		cancel_delayed_work_sync(&ctx->watchdog);
}

/*
 * An asynchronous operation ended without waiting.  A command marked
 * cancelable must be completed by io_uring_cmd_done().  Returns what
 * ->uring_cmd returns.
 */
static int kipc_uring_immediate(struct io_uring_cmd *ucmd, int ret,
			 unsigned int issue_flags)
{
	if (KIPC_URING_CANCELABLE) {
		kipc_uring_cmd_done(ucmd, ret, issue_flags);
		return -EIOCBQUEUED;
	}
	return ret;
}

/**
 * kipc_uring_init - a new context
 * @ctx:	the context
 */
void kipc_uring_init(struct kipc_ctx *ctx)
{
	INIT_DELAYED_WORK(&ctx->watchdog, kipc_uring_watchdog);
}

/**
 * kipc_uring_release - the context's file is closing
 * @ctx:	the context; no operation is in flight (a queued command holds
 *		the file)
 */
void kipc_uring_release(struct kipc_ctx *ctx)
{
	kipc_uring_disarm(ctx);
}

/*
 * KIPC_IOC_WIN_READ and _WRITE from a ring (ABI 1.5): no wait, but the
 * copy may fault and sleep, so an issue that must not block goes to
 * io_uring's workers (-EAGAIN), which run in our address space.
 */
static int kipc_uring_win(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	const struct kipc_uring_cmd *c = kipc_uring_payload(ucmd);
	struct kipc_win_io a;
	s32 fd = READ_ONCE(c->fd);
	u32 flags = READ_ONCE(c->flags);
	u64 arg = READ_ONCE(c->arg);
	int ret;

	if (fd != -1 || flags)
		return -EINVAL;
	if (issue_flags & IO_URING_F_NONBLOCK)
		return -EAGAIN;
	ret = kipc_win_io_check(&a, u64_to_user_ptr(arg));
	if (!ret)
		ret = kipc_win_io(ucmd->file->private_data, &a,
				  ucmd->cmd_op == KIPC_IOC_WIN_WRITE);
	/*
	 * Completed here, whatever the kernel: before 6.3 a worker that
	 * returns a count (> 0) from ->uring_cmd never posts a CQE.
	 */
	kipc_uring_cmd_done(ucmd, ret, issue_flags);
	return -EIOCBQUEUED;
}

/**
 * kipc_uring_cmd - ->uring_cmd of a context: one operation from a ring
 * @ucmd:	the command; sqe->cmd_op is the operation's ioctl number and
 *		the command area a struct kipc_uring_cmd
 * @issue_flags: io_uring's flags
 *
 * Return: the result, or -EIOCBQUEUED when the CQE comes later.
 */
int kipc_uring_cmd(struct io_uring_cmd *ucmd, unsigned int issue_flags)
{
	struct kipc_ctx *ctx = ucmd->file->private_data;
	struct kipc_uring_issue is = { ucmd, issue_flags, false };
	const struct kipc_uring_cmd *c;
	struct kipc_args a = { };
	u64 timeout;
	int ret;

	if (kipc_uring_cancelling(issue_flags)) {
		/* Task exit or ring teardown: the CQE follows in task work. */
		kipc_wait_cancel(ctx);
		return 0;
	}
	if (ctx->mm != current->mm)
		return -EPERM;
	switch (ucmd->cmd_op) {
	case KIPC_IOC_SEND:
	case KIPC_IOC_CALL:
	case KIPC_IOC_RECV:
	case KIPC_IOC_REPLY_RECV:
	case KIPC_IOC_NTFN_WAIT:
	case KIPC_IOC_REPLY:
	case KIPC_IOC_CANCEL:
	case KIPC_IOC_FORWARD:
		break;
	case KIPC_IOC_WIN_READ:
	case KIPC_IOC_WIN_WRITE:
		return kipc_uring_win(ucmd, issue_flags);
	default:
		return -ENOTTY;
	}
	c = kipc_uring_payload(ucmd);
	a.ep = READ_ONCE(c->fd);
	a.flags = READ_ONCE(c->flags);
	timeout = READ_ONCE(c->timeout);
	/* A slot names an endpoint: not a notification, reply or cancel. */
	if ((a.flags & ~KIPC_ARGS_SLOT) ||
	    ((a.flags & KIPC_ARGS_SLOT) &&
	     ((u32)a.ep >= KIPC_SLOTS || ucmd->cmd_op == KIPC_IOC_NTFN_WAIT ||
	      ucmd->cmd_op == KIPC_IOC_CANCEL)))
		return -EINVAL;

	switch (ucmd->cmd_op) {
	case KIPC_IOC_SEND:
	case KIPC_IOC_FORWARD:
		a.send_timeout = timeout;
		break;
	case KIPC_IOC_CALL:
		a.send_timeout = timeout;
		a.recv_timeout = timeout;
		break;
	case KIPC_IOC_RECV:
	case KIPC_IOC_REPLY_RECV:
	case KIPC_IOC_NTFN_WAIT:
		a.recv_timeout = timeout;
		break;
	case KIPC_IOC_REPLY:
		if (timeout)
			return -EINVAL;
		break;
	case KIPC_IOC_CANCEL:
		if (a.ep != -1 || timeout)
			return -EINVAL;
		return kipc_wait_cancel(ctx);
	default:
		return -ENOTTY;
	}
	ret = kipc_op_async_start(ctx, ucmd->cmd_op, &a, kipc_uring_setup, &is);
	if (ret == -EIOCBQUEUED)
		return ret;
	/* Set up (the context was claimed): undo it, end the operation. */
	if (is.set) {
		kipc_uring_unset(ctx);
		ret = kipc_op_async_end(ctx, ret);
	}
	return kipc_uring_immediate(ucmd, ret, issue_flags);
}
