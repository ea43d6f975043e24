/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernel versions kipc builds on lives
 * here, and only here.  Prefer tests on what the headers define; fall back
 * to LINUX_VERSION_CODE where an API changed without a macro to test.
 *
 * Built and tested on Debian's 6.1 (bookworm, and its PREEMPT_RT flavour),
 * 6.12 (bookworm-backports) and 7.2 (sid).  The IPC code is written against
 * the newest API; the definitions below supply it on older kernels.
 *
 * Not needed here, on purpose:
 * - no_llseek (removed in 6.12): the context file sets no .llseek at all;
 *   nonseekable_open() makes lseek() fail with ESPIPE on every version, as
 *   no_llseek did.
 */
#ifndef _KIPC_COMPAT_H
#define _KIPC_COMPAT_H

#include <linux/bug.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/percpu-refcount.h>
#include <linux/sched.h>
#include <linux/version.h>

/*
 * signal_pending(current), always inline: the compiler may outline the
 * header's where the fast path is instantiated several times (a call in
 * every handover).  The same two flags on every supported kernel.
 */
static __always_inline bool kipc_signal_pending(void)
{
	return unlikely(read_thread_flags() &
			(_TIF_SIGPENDING | _TIF_NOTIFY_SIGNAL));
}

/*
 * CHECK_DATA_CORRUPTION() took (condition, fmt, ...) up to 6.12 and takes
 * (condition, addr, fmt, ...) by 7.2 (addr for mem_dump_obj()), with
 * nothing to test for: its two-argument form, the same on every kernel (a
 * warning, or BUG() where the administrator asked for it with
 * CONFIG_BUG_ON_DATA_CORRUPTION, as the kernel's own lists do).
 */
#define kipc_data_corrupted(condition, msg)				\
	check_data_corruption(({					\
		bool __corrupt = unlikely(condition);			\
		if (__corrupt) {					\
			if (IS_ENABLED(CONFIG_BUG_ON_DATA_CORRUPTION)) {\
				pr_err(msg);				\
				BUG();					\
			} else {					\
				WARN(1, msg);				\
			}						\
		}							\
		__corrupt;						\
	}))

/*
 * 6.12 made struct fd opaque (its file and flags packed in one word) and
 * added fd_file(), a macro, to read the file.  Before that the file is the
 * plain member; a stable kernel that backported fd_file() has the macro.
 */
#ifndef fd_file
#define fd_file(f) ((f).file)
#endif

/*
 * vm_flags became read-only in 6.3; the vm_flags_*() helpers replaced
 * direct assignment.  They are inline functions: nothing to test for.
 */
static inline void kipc_vm_flags_mod(struct vm_area_struct *vma,
				     vm_flags_t set, vm_flags_t clear)
{
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#else
	vm_flags_mod(vma, set, clear);
#endif
}

/*
 * io_uring commands (uring.c).  Tested on 6.1.192, 6.12 and 7.2; the
 * interface changed in steps:
 * - 6.1 (Debian's 6.1.192: stable backported the 6.3 signatures, with
 *   issue_flags in io_uring_cmd_done() and the task-work callback): the
 *   command area is ioucmd->cmd; nothing can cancel a queued command, so
 *   kipc watches queued commands itself (KIPC_URING_WATCHDOG).
 * - 6.7: <linux/io_uring/cmd.h>, the command area through
 *   io_uring_sqe_cmd(ioucmd->sqe), and io_uring_cmd_mark_cancelable():
 *   task exit and ring teardown call ->uring_cmd with IO_URING_F_CANCEL.
 * - 7.x: io_uring_sqe_cmd() became a macro taking the type, task-work
 *   callbacks take a struct io_tw_req, io_uring_cmd_done() lost res2.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#include <linux/io_uring/cmd.h>
#define KIPC_URING_CANCELABLE	1
#define KIPC_URING_WATCHDOG	0
#define kipc_uring_mark_cancelable(ucmd, issue_flags) \
	io_uring_cmd_mark_cancelable(ucmd, issue_flags)
#define kipc_uring_cancelling(issue_flags) ((issue_flags) & IO_URING_F_CANCEL)
/* io_uring ends cancelable commands itself: nothing is ever abandoned. */
static inline bool kipc_uring_abandoned(struct io_uring_cmd *ucmd)
{
	return false;
}
#else
#include <linux/io_uring.h>
#include <linux/io_uring_types.h>
#define KIPC_URING_WATCHDOG	1
/*
 * io_uring_cancel_generic() (exec, exit, an SQPOLL thread stopping) raises
 * a counter in the task's struct io_uring_task while it cancels and waits
 * for the task's requests: in_idle, renamed in_cancel in 6.3 (commit
 * 8d664282a03f, "io_uring: rename 'in_idle' to 'in_cancel'").
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define kipc_tctx_cancelling(tctx)	atomic_read(&(tctx)->in_idle)
#else
#define kipc_tctx_cancelling(tctx)	atomic_read(&(tctx)->in_cancel)
#endif
#define KIPC_URING_CANCELABLE	0
#define KIPC_URING_WATCHDOG	1
#define kipc_uring_mark_cancelable(ucmd, issue_flags) do { } while (0)
#define kipc_uring_cancelling(issue_flags) false

/**
 * kipc_uring_abandoned - is a command in flight to be cancelled (before 6.7)?
 * @ucmd:	the command
 *
 * io_uring waits for its requests, and cannot end a queued command, when
 * - the ring is torn down: its refs are dying;
 * - the request's task cancels its requests, in io_uring_cancel_generic():
 *   exec (all of them), exit (those io_uring tracks, such as a link with a
 *   poll on an io_uring descriptor: before PF_EXITING is set), and the
 *   SQPOLL thread stopping (req->task is that thread: it shares the fd
 *   table, so the ring stays, and it is not PF_EXITING before it is done);
 *   its io_uring_task says so from the start;
 * - the task exits (PF_EXITING): as before 6.7, its commands end with it.
 *
 * The request pins req->task, and counts in its io_uring_task's inflight:
 * that cannot be freed (exec frees it once none is left) while we look.
 *
 * Return: true if the command must end now.
 */
static inline bool kipc_uring_abandoned(struct io_uring_cmd *ucmd)
{
	struct io_kiocb *req = cmd_to_io_kiocb(ucmd);
	struct task_struct *task = req->task;
	struct io_uring_task *tctx = READ_ONCE(task->io_uring);

	return (READ_ONCE(task->flags) & PF_EXITING) ||
	       (tctx && kipc_tctx_cancelling(tctx)) ||
	       percpu_ref_is_dying(&req->ctx->refs);
}
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#define kipc_uring_payload(ucmd) \
	((const struct kipc_uring_cmd *)(ucmd)->cmd)
#elif defined(io_uring_sqe_cmd)
#define kipc_uring_payload(ucmd) \
	io_uring_sqe_cmd((ucmd)->sqe, struct kipc_uring_cmd)
#else
#define kipc_uring_payload(ucmd) \
	((const struct kipc_uring_cmd *)io_uring_sqe_cmd((ucmd)->sqe))
#endif

#ifdef IO_URING_CMD_TASK_WORK_ISSUE_FLAGS
/* Define fn##_tw, a task-work callback calling fn(ucmd, issue_flags). */
#define KIPC_URING_TW(fn)						\
static void fn##_tw(struct io_tw_req tw_req, io_tw_token_t tw)		\
{									\
	fn(io_uring_cmd_from_tw(tw_req), IO_URING_CMD_TASK_WORK_ISSUE_FLAGS); \
}
#define kipc_uring_cmd_done(ucmd, ret, issue_flags) \
	io_uring_cmd_done(ucmd, ret, issue_flags)
#else
#define KIPC_URING_TW(fn)						\
static void fn##_tw(struct io_uring_cmd *ucmd, unsigned int issue_flags) \
{									\
	fn(ucmd, issue_flags);						\
}
#define kipc_uring_cmd_done(ucmd, ret, issue_flags) \
	io_uring_cmd_done(ucmd, ret, 0, issue_flags)
#endif

/*
 * 6.5 dropped the vmas argument of pin_user_pages_remote().  The caller
 * holds the mmap lock and *locked is 1; the kernel may drop it (then
 * *locked is 0) while a fault waits, killably.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 5, 0)
#define kipc_pin_remote(mm, start, n, flags, pages, locked) \
	pin_user_pages_remote(mm, start, n, flags, pages, NULL, locked)
#else
#define kipc_pin_remote(mm, start, n, flags, pages, locked) \
	pin_user_pages_remote(mm, start, n, flags, pages, locked)
#endif

#endif /* _KIPC_COMPAT_H */
