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

#include "internal.h"

static_assert(sizeof(struct kipc_utcb) <= KIPC_UTCB_SIZE);
static_assert(KIPC_UTCB_SIZE <= PAGE_SIZE);
static_assert(sizeof(struct kipc_ipc) == 40);
static_assert(sizeof(struct kipc_ep_create) == 32);
static_assert(sizeof(struct kipc_ep_mint) == 40);
static_assert(sizeof(struct kipc_version) == 56);
static_assert(sizeof(struct kipc_utcb) == 816);
static_assert(offsetof(struct kipc_utcb, served_ns) == 616);
static_assert(offsetof(struct kipc_utcb, win) == 624);
static_assert(sizeof(struct kipc_window) == 24);
static_assert(sizeof(struct kipc_rbuf) == 40);
static_assert(sizeof(struct kipc_win_io) == 48);
static_assert(sizeof(struct kipc_region_create) == 40);
static_assert(sizeof(struct kipc_region_mint) == 24);
static_assert(sizeof(struct kipc_region_io) == 40);
static_assert(sizeof(struct kipc_region_bind) == 32);
static_assert(sizeof(struct kipc_region_info) == 32);
static_assert(sizeof(struct kipc_publish) == 104);
static_assert(sizeof(struct kipc_lookup) == 96);
static_assert(sizeof(struct kipc_caller) == 32);
static_assert(sizeof(struct kipc_notify_create) == 32);
static_assert(sizeof(struct kipc_notify) == 40);
static_assert(sizeof(struct kipc_notify_bind) == 32);
static_assert(sizeof(struct kipc_cancel) == 16);
static_assert(sizeof(struct kipc_uring_cmd) == 16);
static_assert(sizeof(struct kipc_area_args) == 32);
static_assert(sizeof(struct kipc_register) == 32);
static_assert(offsetof(struct kipc_utcb, mr) == 64);

static int kipc_open(struct inode *inode, struct file *file)
{
	struct kipc_ctx *ctx;

	if (!current->mm)
		return -EINVAL;
	ctx = kipc_ctx_new();
	if (!ctx)
		return -ENOMEM;
	kipc_uring_init(ctx);
	file->private_data = ctx;
	return nonseekable_open(inode, file);
}

static int kipc_release(struct inode *inode, struct file *file)
{
	struct kipc_ctx *ctx = file->private_data;

	kipc_uring_release(ctx);
	kipc_op_release(ctx);
	kipc_ctx_release(ctx);
	return 0;
}

static int kipc_mmap(struct file *file, struct vm_area_struct *vma)
{
	return kipc_ctx_mmap(file->private_data, vma);
}

static long kipc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kipc_ctx *ctx = file->private_data;

	if (unlikely(ctx->mm != current->mm))
		return -EPERM;
	/* The hot paths first: each set of numbers is consecutive. */
	static_assert(KIPC_IOC_MFORWARD_RECV - KIPC_IOC_MSEND == 7 &&
		      KIPC_IOC_MRECV == KIPC_IOC_MSEND + 1 &&
		      KIPC_IOC_MCALL == KIPC_IOC_MSEND + 2 &&
		      KIPC_IOC_MREPLY == KIPC_IOC_MSEND + 3 &&
		      KIPC_IOC_MREPLY_RECV == KIPC_IOC_MSEND + 4 &&
		      KIPC_IOC_MSEND_RECV == KIPC_IOC_MSEND + 5 &&
		      KIPC_IOC_MFORWARD == KIPC_IOC_MSEND + 6);
	if (likely(cmd - KIPC_IOC_MSEND <= KIPC_IOC_MFORWARD_RECV - KIPC_IOC_MSEND))
		return kipc_op_area_ioctl(ctx, cmd, arg);
	static_assert(KIPC_IOC_FORWARD - KIPC_IOC_SEND == 5 &&
		      KIPC_IOC_RECV == KIPC_IOC_SEND + 1 &&
		      KIPC_IOC_CALL == KIPC_IOC_SEND + 2 &&
		      KIPC_IOC_REPLY == KIPC_IOC_SEND + 3 &&
		      KIPC_IOC_REPLY_RECV == KIPC_IOC_SEND + 4);
	if (likely(cmd - KIPC_IOC_SEND <= KIPC_IOC_FORWARD - KIPC_IOC_SEND))
		return kipc_op_ioctl(ctx, cmd, (const void __user *)arg);
	return kipc_ioctl_mgmt(ctx, cmd, (void __user *)arg);
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
