// SPDX-License-Identifier: GPL-2.0
/*
 * Signals that run no handler never change an IPC's outcome.
 *
 * A blocked operation that sees a signal pending has to return towards user
 * space, where the signal is dealt with: the task stops (SIGSTOP, Ctrl-Z),
 * reports to its tracer (ptrace attach, strace, gdb), or drops an ignored
 * or default-ignored signal (SIGCHLD of a system() call, SIGWINCH, SIGURG).
 * None of these runs user code, so none may end the operation; only a
 * handler that runs may, with EINTR, as documented.  Linux's own blocking
 * calls do the same with three return codes, and so does kipc (ipc.c's
 * kipc_wait() picks one):
 *
 * - -ERESTARTSYS: nothing has happened yet and no deadline runs (infinite
 *   timeouts): the ioctl runs again as it was issued, also after a handler
 *   installed with SA_RESTART.
 * - -ERESTART_RESTARTBLOCK with a "rerun" block: nothing has happened yet
 *   but a deadline runs, or a reply_recv's reply already went out: the
 *   operation runs again from current->restart_block with its absolute
 *   deadlines (and the reply part left out).  A handler makes it EINTR.
 * - -ERESTART_RESTARTBLOCK with a "reply" block: a call was delivered and
 *   waits for its reply, which must neither be lost nor sent twice.  If a
 *   handler is going to run (kipc_signal_runs_handler()), the call ends now
 *   with EINTR and the server's reply gets ECONNRESET, as before.
 *   Otherwise the call is *parked*: the context stays busy and waiting for
 *   the reply (which a server may deliver meanwhile), the task's references
 *   are pinned, and the restart resumes the wait without sending again.
 *   Should a handler run after all (its disposition changed in between, or
 *   a tracer injected one), the task sees EINTR and the parked call is
 *   abandoned by the next operation it starts on the context, or when the
 *   context closes (ipc.c, kipc_busy_take()).
 *
 * The restart function lives in this module, and a task may keep it in its
 * restart block after the operation is long gone (restart_syscall(2) can be
 * called at any time): kipc_restart_exit() takes it out of every task's
 * block before the module's text goes away.
 */
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/thread_info.h>
#include <asm/syscall.h>

#include "internal.h"

/* do_no_restart_syscall(), which modules cannot name: init_task's. */
static long (*kipc_no_restart)(struct restart_block *rb);

static_assert(sizeof(struct kipc_restart) <=
	      sizeof(((struct restart_block *)NULL)->futex));

/**
 * kipc_signal_runs_handler - will the pending signals run a handler?
 *
 * Looks at every pending, unblocked signal as get_signal() will: ignored
 * ones, the default-ignored (SIGCHLD, SIGWINCH, SIGURG, SIGCONT) and the
 * default-stop ones (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) run no user code.
 * A fatal one counts as a handler: the task dies and the outcome does not
 * matter.  Group stops, ptrace traps and the freezer set TIF_SIGPENDING
 * with no signal at all: no handler.  A tracer may still inject a signal,
 * and another thread may change a disposition, after we looked: see the
 * comment at the top.
 *
 * Return: true if a handler (or death) follows.
 */
bool kipc_signal_runs_handler(void)
{
	struct sighand_struct *sighand = current->sighand;
	__sighandler_t handler;
	bool ret = false;
	sigset_t set;
	int sig;

	spin_lock_irq(&sighand->siglock);
	sigorsets(&set, &current->pending.signal,
		  &current->signal->shared_pending.signal);
	sigandnsets(&set, &set, &current->blocked);
	for (sig = 1; sig <= _NSIG && !ret; sig++) {
		if (!sigismember(&set, sig))
			continue;
		handler = sighand->action[sig - 1].sa.sa_handler;
		if (handler == SIG_IGN)
			continue;
		if (handler == SIG_DFL &&
		    (sig_kernel_ignore(sig) || sig_kernel_stop(sig)))
			continue;
		ret = true;
	}
	spin_unlock_irq(&sighand->siglock);
	return ret;
}

/*
 * restart_syscall(2) after an interrupted operation: find the context
 * again by its descriptor and go on.
 */
static long kipc_restart(struct restart_block *rb)
{
	struct kipc_restart rs;
	struct kipc_ctx *me;
	struct fd f;
	long ret;

	memcpy(&rs, &rb->futex, sizeof(rs));
	/* A second restart_syscall(2) must not run it again. */
	rb->fn = kipc_no_restart;
	me = kipc_ctx_fdget(rs.ctx_fd, &f);
	/* Closed meanwhile: closing abandoned the operation. */
	if (!me)
		return -EBADF;
	if (rs.flags & KIPC_RS_REPLY)
		ret = kipc_op_resume(me);
	else
		ret = kipc_op_rerun(me, &rs);
	fdput(f);
	return ret;
}

/**
 * kipc_restart_set - make the interrupted operation go on after the signal
 * @me:		the context, whose ioctl is returning
 * @rs:		what to go on with (ctx_fd is filled in here)
 *
 * Return: -ERESTART_RESTARTBLOCK, or -EINTR if the context's descriptor
 * cannot be told (the operation did not come from an ioctl(2) on it).
 */
int kipc_restart_set(struct kipc_ctx *me, const struct kipc_restart *rs)
{
	struct restart_block *rb = &current->restart_block;
	unsigned long args[6];
	struct kipc_restart r = *rs;
	struct kipc_ctx *ctx;
	struct fd f;

	syscall_get_arguments(current, task_pt_regs(current), args);
	r.ctx_fd = (int)args[0];
	ctx = kipc_ctx_fdget(r.ctx_fd, &f);
	if (ctx)
		fdput(f);
	if (WARN_ON_ONCE(ctx != me))
		return -EINTR;
	memcpy(&rb->futex, &r, sizeof(r));
	return set_restart_fn(rb, kipc_restart);
}

/**
 * kipc_restart_init - module init: learn do_no_restart_syscall()
 */
void kipc_restart_init(void)
{
	kipc_no_restart = init_task.restart_block.fn;
}

/* Point every restart block that names kipc_restart() elsewhere. */
static void kipc_restart_scrub(void)
{
	struct task_struct *g, *t;

	rcu_read_lock();
	for_each_process_thread(g, t)
		cmpxchg(&t->restart_block.fn, kipc_restart, kipc_no_restart);
	rcu_read_unlock();
}

/**
 * kipc_restart_exit - module exit: no task may call into us any more
 *
 * No context is open, so no operation is parked or running, but a task
 * whose operation was interrupted by a handler (EINTR) still has
 * kipc_restart() in its restart block.  Take it out; then wait until every
 * task that may have read it just before has left the kernel or slept
 * (RCU tasks), and scrub once more for a task forked from one of them
 * meanwhile (fork copies the restart block).
 */
void kipc_restart_exit(void)
{
	kipc_restart_scrub();
	synchronize_rcu_tasks();
	kipc_restart_scrub();
}
