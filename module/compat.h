/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Everything that differs between the kernel versions kipc builds on lives
 * here, and only here.  Prefer tests on what the headers define; fall back
 * to LINUX_VERSION_CODE where an API changed without a macro to test.
 */
#ifndef _KIPC_COMPAT_H
#define _KIPC_COMPAT_H

#include <linux/mm.h>
#include <linux/version.h>

/*
 * vm_flags became read-only in 6.3; the vm_flags_*() helpers replaced
 * direct assignment.
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
