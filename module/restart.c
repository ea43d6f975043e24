// SPDX-License-Identifier: GPL-2.0
/*
 * Signals that run no handler never change an IPC's outcome.
 *
 * A blocked operation that sees a signal pending has to return towards user
 * space, where the signal is dealt with: the task stops (SIGSTOP, Ctrl-Z),
 * reports to its tracer (ptrace attach, strace, gdb), drops an ignored or
 * default-ignored signal (SIGCHLD of a system() call, SIGWINCH, SIGURG), or
 * runs a handler.  Only a handler runs user code, so only a handler may end
 * an operation (EINTR, as documented).  Linux's own blocking calls do this
 * with restart codes, and so does kipc; wait.c's kipc_wait() picks one:
 *
 * - -ERESTARTSYS: nothing has happened yet and no deadline runs (infinite
 *   timeouts): the ioctl runs again as it was issued, also after a handler
 *   installed with SA_RESTART; without SA_RESTART a handler makes it EINTR.
 * - -ERESTARTNOHAND: nothing has happened yet but a deadline runs, or a
 *   reply_recv's reply already went out.  The phase was withdrawn; without
 *   a handler the same ioctl comes back, and goes on with the absolute
 *   deadlines (and the KIPC_ST_REPLY_LOST) noted for it; a handler makes
 *   it EINTR.
 * - -ERESTARTNOINTR: a call was delivered and waits for its reply, which
 *   must neither be lost nor sent twice.  The call is *parked*: it stays
 *   waiting for the reply (a server may deliver it meanwhile), keeps its
 *   context claimed, and what a partner reads of it stays pinned by the
 *   context's cached identity (op.c, kipc_op_interrupted()).  The kernel issues the same ioctl again, after
 *   the handler if one runs, and it resumes.  If no handler ran, the call
 *   waits on; after a handler it ends at once: with the reply if that came
 *   meanwhile (the server was told it was delivered, and it was), else
 *   with EINTR, and the server's later reply gets ECONNRESET.  A stop
 *   during which a handled signal arrives thus loses nothing either.
 *
 * How an ioctl is known to be the one issued again (kipc_restart_is()):
 * same task, command and arguments, same user stack and instruction
 * pointers.  Whether a handler ran in between is told by a mark left in
 * current->restart_block (kipc_restart_note()): rt_sigreturn() clears
 * every restart block ("any pending restarted system call returns
 * EINTR"), so a mark still there means no handler returned since.  An
 * operation started from a handler on the context of a parked call has a
 * lower stack (or runs on the alternate signal stack) and finds the
 * context busy; after a handler that never returns (siglongjmp()), the
 * task's next operation on the context abandons the call, as the
 * context's closing does (op.c: kipc_op_busy(), kipc_park_abandon()).
 *
 * The mark is a function of this module, and a task may keep it in its
 * restart block after its operation is long gone (restart_syscall(2) can
 * be called at any time): kipc_restart_exit() takes it out of every
 * task's block before the module's text goes away.
 */
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>

#include "internal.h"

/* do_no_restart_syscall(), which modules cannot name: init_task's. */
static long (*kipc_no_restart)(struct restart_block *rb);

/*
 * The mark.  Should restart_syscall(2) be called while it is set, there is
 * nothing to restart: EINTR, as do_no_restart_syscall() says.
 */
static long kipc_restart_mark(struct restart_block *rb)
{
	rb->fn = kipc_no_restart;
	return -EINTR;
}

/**
 * kipc_restart_note - an ioctl of current's returns to be issued again
 * @rs:		where to note it
 * @cmd:	its command
 * @a:		its arguments
 *
 * Also leaves the mark in current's restart block.
 */
void kipc_restart_note(struct kipc_restart *rs, unsigned int cmd,
		       const struct kipc_args *a)
{
	struct pt_regs *regs = task_pt_regs(current);

	rs->cmd = cmd;
	rs->args = *a;
	rs->sp = user_stack_pointer(regs);
	rs->ip = instruction_pointer(regs);
	current->restart_block.fn = kipc_restart_mark;
}

/**
 * kipc_restart_is - is current's ioctl the one noted in @rs?
 * @rs:		noted by kipc_restart_note()
 * @cmd:	the ioctl's command
 * @a:		its arguments
 *
 * Return: true if it is the same ioctl issued from the same place.
 */
bool kipc_restart_is(const struct kipc_restart *rs, unsigned int cmd,
		     const struct kipc_args *a)
{
	struct pt_regs *regs = task_pt_regs(current);

	return cmd == rs->cmd && !memcmp(a, &rs->args, sizeof(*a)) &&
	       user_stack_pointer(regs) == rs->sp &&
	       instruction_pointer(regs) == rs->ip;
}

/**
 * kipc_restart_in_handler - does current's ioctl come from a signal handler
 * that interrupted the one noted in @rs?
 * @rs:		noted by kipc_restart_note()
 *
 * A handler's frame is below the interrupted code's stack, or on the
 * alternate signal stack.
 *
 * Return: true if so.
 */
bool kipc_restart_in_handler(const struct kipc_restart *rs)
{
	unsigned long sp = user_stack_pointer(task_pt_regs(current));

	return sp < rs->sp || on_sig_stack(sp);
}

/**
 * kipc_restart_unmark - the noted ioctl is issued again: take the mark away
 *
 * Return: true if it was still there: no handler returned in between.
 */
bool kipc_restart_unmark(void)
{
	if (current->restart_block.fn != kipc_restart_mark)
		return false;
	current->restart_block.fn = kipc_no_restart;
	return true;
}

/**
 * kipc_restart_init - module init: learn do_no_restart_syscall()
 */
void kipc_restart_init(void)
{
	kipc_no_restart = init_task.restart_block.fn;
}

/* Take the mark out of every task's restart block. */
static void kipc_restart_scrub(void)
{
	struct task_struct *g, *t;

	rcu_read_lock();
	for_each_process_thread(g, t)
		cmpxchg(&t->restart_block.fn, kipc_restart_mark, kipc_no_restart);
	rcu_read_unlock();
}

/**
 * kipc_restart_exit - module exit: no task may call into us any more
 *
 * No context is open, so no operation is parked or running, but a task
 * whose operation was interrupted by a handler may still have the mark in
 * its restart block.  Take it out; then wait until every task that may
 * have read it just before has left the kernel or slept (RCU tasks), and
 * scrub once more for a task forked from one of them meanwhile (fork
 * copies the restart block).
 */
void kipc_restart_exit(void)
{
	kipc_restart_scrub();
	synchronize_rcu_tasks();
	kipc_restart_scrub();
}
