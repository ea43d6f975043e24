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

#include <linux/file.h>
#include <linux/mm.h>
#include <linux/version.h>

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

#endif /* _KIPC_COMPAT_H */
