// SPDX-License-Identifier: GPL-2.0
/*
 * kipc: L4-style synchronous IPC for Linux.
 *
 * /dev/kipc is a misc device.  Each open file is a context (struct
 * kipc_ctx): a one-page message area that its owner maps, and the IPC state
 * of the thread using it.  Operations are ioctls on a context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include "kipc_trace.h"

static_assert(sizeof(struct kipc_utcb) <= KIPC_UTCB_SIZE);
static_assert(KIPC_UTCB_SIZE <= PAGE_SIZE);
static_assert(sizeof(struct kipc_ipc) == 40);
static_assert(sizeof(struct kipc_ep_create) == 32);
static_assert(sizeof(struct kipc_ep_mint) == 40);
static_assert(sizeof(struct kipc_version) == 56);
static_assert(sizeof(struct kipc_utcb) == 616);
static_assert(sizeof(struct kipc_publish) == 104);
static_assert(sizeof(struct kipc_lookup) == 96);
static_assert(sizeof(struct kipc_caller) == 32);
static_assert(sizeof(struct kipc_notify_create) == 32);
static_assert(sizeof(struct kipc_notify) == 40);
static_assert(sizeof(struct kipc_notify_bind) == 32);
static_assert(sizeof(struct kipc_cancel) == 16);
static_assert(sizeof(struct kipc_uring_cmd) == 16);

static int kipc_open(struct inode *inode, struct file *file)
{
	struct kipc_ctx *ctx;

	if (!current->mm)
		return -EINVAL;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return -ENOMEM;
	ctx->utcb = (struct kipc_utcb *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!ctx->utcb) {
		kfree(ctx);
		return -ENOMEM;
	}
	atomic_long_inc(&kipc_stats.contexts);
	spin_lock_init(&ctx->lock);
	INIT_LIST_HEAD(&ctx->node);
	kref_init(&ctx->ref);
	kipc_uring_init(ctx);
	ctx->spin_ok = true;
	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	file->private_data = ctx;
	return nonseekable_open(inode, file);
}

static int kipc_release(struct inode *inode, struct file *file)
{
	kipc_uring_release(file->private_data);
	kipc_ctx_release_ipc(file->private_data);
	return 0;
}

/*
 * ptrace(PEEKDATA), /proc/PID/mem and process_vm_readv() of a debugger: the
 * page is VM_IO, which get_user_pages() refuses, so they come here.
 */
static int kipc_vm_access(struct vm_area_struct *vma, unsigned long addr,
			  void *buf, int len, int write)
{
	struct kipc_ctx *ctx = vma->vm_file->private_data;
	unsigned long off = addr - vma->vm_start;

	if (off >= PAGE_SIZE || len <= 0)
		return -EINVAL;
	len = min_t(unsigned long, len, PAGE_SIZE - off);
	if (write)
		memcpy((char *)ctx->utcb + off, buf, len);
	else
		memcpy(buf, (char *)ctx->utcb + off, len);
	return len;
}

static const struct vm_operations_struct kipc_vm_ops = {
	.access = kipc_vm_access,
};

/*
 * The message area is one kernel page inserted into the owner's address
 * space: the kernel reaches it by its kernel address and never faults on
 * it.  It must be MAP_SHARED, is not inherited across fork and can never
 * become executable.  VM_DONTCOPY keeps it out of a fork child; VM_IO
 * makes that final, as madvise(MADV_DOFORK) refuses to clear VM_DONTCOPY
 * on a VM_IO mapping (EINVAL): a child must never share its parent's
 * messages.
 */
static int kipc_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct kipc_ctx *ctx = file->private_data;

	if (ctx->mm != current->mm)
		return -EPERM;
	/* A private (copy-on-write) mapping would detach from the kernel page. */
	if (vma->vm_pgoff || vma_pages(vma) != 1 || !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	kipc_vm_flags_mod(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP | VM_IO,
			  VM_MAYEXEC);
	vma->vm_ops = &kipc_vm_ops;
	return vm_insert_page(vma, vma->vm_start, virt_to_page(ctx->utcb));
}

/* Out of line: its result on the stack would cost every ioctl a frame. */
static noinline long kipc_version(struct kipc_version __user *uarg)
{
	struct kipc_version v = {
		.abi_major = KIPC_ABI_MAJOR,
		.abi_minor = KIPC_ABI_MINOR,
		.msg_regs = KIPC_MSG_REGS,
		.utcb_size = KIPC_UTCB_SIZE,
		.features = KIPC_FEAT_UTCB | KIPC_FEAT_BADGE | KIPC_FEAT_CREDS |
			    KIPC_FEAT_FDS | KIPC_FEAT_NAMES | KIPC_FEAT_CALLER |
			    KIPC_FEAT_LIMITS | KIPC_FEAT_NOTIFY | KIPC_FEAT_POLL |
			    KIPC_FEAT_URING,
	};

	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

/* KIPC_IOC_NTFN_WAIT: a receive on a notification instead of an endpoint. */
static long kipc_ntfn_wait_ioctl(struct kipc_ctx *ctx,
				 const struct kipc_notify __user *uarg)
{
	struct kipc_notify n;
	struct kipc_ipc a = { };

	if (copy_from_user(&n, uarg, sizeof(n)))
		return -EFAULT;
	if (n.flags || n.bits || n.__reserved[0] || n.__reserved[1])
		return -EINVAL;
	a.fd = n.fd;
	a.recv_timeout = n.timeout;
	return kipc_op_start(ctx, KIPC_IOC_NTFN_WAIT, &a, NULL, 0);
}

static long kipc_cancel_ioctl(struct kipc_ctx *ctx,
			      const struct kipc_cancel __user *uarg)
{
	struct kipc_cancel c;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (c.flags || c.__pad || c.__reserved[0])
		return -EINVAL;
	return kipc_cancel(ctx, -ECANCELED);
}

static long kipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kipc_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (unlikely(ctx->mm != current->mm))
		return -EPERM;
	/* The hot path first: the five IPC numbers are consecutive. */
	static_assert(KIPC_IOC_REPLY_RECV - KIPC_IOC_SEND == 4 &&
		      KIPC_IOC_RECV == KIPC_IOC_SEND + 1 &&
		      KIPC_IOC_CALL == KIPC_IOC_SEND + 2 &&
		      KIPC_IOC_REPLY == KIPC_IOC_SEND + 3);
	if (likely(cmd - KIPC_IOC_SEND <= KIPC_IOC_REPLY_RECV - KIPC_IOC_SEND))
		return kipc_ipc_ioctl(ctx, cmd, uarg);

	switch (cmd) {
	case KIPC_IOC_VERSION:
		return kipc_version(uarg);
	case KIPC_IOC_EP_CREATE:
		return kipc_ep_create(uarg);
	case KIPC_IOC_EP_MINT:
		return kipc_ep_mint(uarg);
	case KIPC_IOC_PUBLISH:
		return kipc_publish(uarg);
	case KIPC_IOC_UNPUBLISH:
		return kipc_unpublish(uarg);
	case KIPC_IOC_LOOKUP:
		return kipc_lookup(uarg);
	case KIPC_IOC_CALLER:
		return kipc_caller(ctx, uarg);
	case KIPC_IOC_NTFN_CREATE:
		return kipc_ntfn_create(uarg);
	case KIPC_IOC_NTFN_SIGNAL:
		return kipc_ntfn_signal(uarg);
	case KIPC_IOC_NTFN_WAIT:
		return kipc_ntfn_wait_ioctl(ctx, uarg);
	case KIPC_IOC_NTFN_BIND:
		return kipc_ntfn_bind(uarg);
	case KIPC_IOC_CANCEL:
		return kipc_cancel_ioctl(ctx, uarg);
	}
	return -ENOTTY;
}

static const struct file_operations kipc_fops = {
	.owner		= THIS_MODULE,
	.open		= kipc_open,
	.release	= kipc_release,
	.mmap		= kipc_mmap,
	.unlocked_ioctl	= kipc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.uring_cmd	= kipc_uring_cmd,
};

static struct miscdevice kipc_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "kipc",
	.fops	= &kipc_fops,
	.mode	= 0666,
};

static int __init kipc_init(void)
{
	int ret = kipc_proc_init();

	if (ret)
		return ret;
	kipc_restart_init();
	ret = misc_register(&kipc_misc);
	if (ret) {
		kipc_proc_exit();
		return ret;
	}
	pr_info("ABI %d.%d ready on /dev/%s\n", KIPC_ABI_MAJOR, KIPC_ABI_MINOR,
		kipc_misc.name);
	return 0;
}

static void __exit kipc_exit(void)
{
	misc_deregister(&kipc_misc);
	kipc_proc_exit();
	kipc_restart_exit();
}

module_init(kipc_init);
module_exit(kipc_exit);

MODULE_DESCRIPTION("L4-style synchronous IPC");
MODULE_AUTHOR("kipc developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
