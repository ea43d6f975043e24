// SPDX-License-Identifier: GPL-2.0
/*
 * Exposed regions (one-sided put/get, MPI-2 style, as the Mach/DragonFly
 * text puts it): a process exposes a range of its own memory as a kipc
 * object, and holders of a handle copy into it (put) and out of it (get)
 * at an offset, without the owner running, as the handle's rights allow
 * (KIPC_REGION_READ, _WRITE, _GRANT).  Handles are file descriptors, minted
 * with fewer rights and passed in messages like endpoint handles.
 *
 * The owner's mapping is never changed and no page stays pinned: every
 * access pins a piece at a time in the owner's address space, copies and
 * unpins (bulk.c), so the owner's pages stay where its memory cgroup has
 * them.  What a region costs is counted as exposed pages per creator's
 * uid, within the creator's RLIMIT_MEMLOCK (CAP_IPC_LOCK: no limit).
 *
 * The owner (its address space) revokes at any moment: the gate closes,
 * the piece in flight finishes, later accesses fail with EPIPE; so do all
 * accesses once the owner's address space is gone (exit, exec).  A put
 * may ring a doorbell: the notification the owner bound to the region.
 *
 * Lock: r->lock (a spinlock, alone: the doorbell is raised after it).
 */
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/wait_bit.h>

#include "internal.h"

/**
 * struct kipc_region - an exposed range of one address space
 * @ref:	one per open handle.
 * @lock:	protects @revoked, @busy, @ntfn and @bits.
 * @revoked:	the owner revoked it: no copy starts any more.
 * @busy:	copies inside the gate now.
 * @mm:		the owner's address space (mmgrab()).
 * @addr:	start of the range there.
 * @len:	its length.
 * @uid:	the creator's real uid, charged @pages.
 * @pages:	pages the range touches.
 * @ntfn:	the doorbell (referenced), or NULL.
 * @bits:	what a signalling put raises on it.
 */
struct kipc_region {
	struct kref ref;
	spinlock_t lock;	/* see above */
	bool revoked;
	unsigned int busy;
	struct mm_struct *mm;
	unsigned long addr;
	u64 len;
	kuid_t uid;
	unsigned int pages;
	struct kipc_ntfn *ntfn;
	u64 bits;
};

/**
 * struct kipc_rhandle - what a region descriptor refers to
 * @r:		the region (referenced).
 * @rights:	KIPC_REGION_* bits.
 */
struct kipc_rhandle {
	struct kipc_region *r;
	u32 rights;
};

static const struct file_operations kipc_region_fops;

static void kipc_region_free(struct kref *ref)
{
	struct kipc_region *r = container_of(ref, struct kipc_region, ref);

	if (r->ntfn)
		kipc_ntfn_put(r->ntfn);
	kipc_uncharge(r->uid, KIPC_L_REGION_PAGES, r->pages);
	mmdrop(r->mm);
	atomic_long_dec(&kipc_stats.regions);
	kfree(r);
}

static int kipc_region_release(struct inode *inode, struct file *file)
{
	struct kipc_rhandle *rh = file->private_data;

	kref_put(&rh->r->ref, kipc_region_free);
	kfree(rh);
	return 0;
}

/* A new descriptor for @r with @rights; takes a reference on success. */
static int kipc_region_install(struct kipc_region *r, u32 rights, u32 flags)
{
	struct kipc_rhandle *rh = kmalloc(sizeof(*rh), GFP_KERNEL_ACCOUNT);
	int fd;

	if (!rh)
		return -ENOMEM;
	rh->r = r;
	rh->rights = rights;
	kref_get(&r->ref);
	fd = anon_inode_getfd("kipc-region", &kipc_region_fops, rh,
			      O_RDWR | (flags & KIPC_FD_INHERIT ? 0 : O_CLOEXEC));
	if (fd < 0) {
		kref_put(&r->ref, kipc_region_free);
		kfree(rh);
	}
	return fd;
}

/**
 * kipc_region_create - KIPC_IOC_REGION_CREATE: expose a range of current's
 * memory
 * @a:		the arguments, reserved fields checked
 *
 * Return: the new handle, or -errno: EINVAL (no length, no READ or WRITE
 * right, unknown rights or flags, a range that wraps), EFAULT (outside
 * user space), ENOMEM (beyond RLIMIT_MEMLOCK, or no memory).
 */
int kipc_region_create(const struct kipc_region_create *a)
{
	struct kipc_region *r;
	u64 first, last;
	int ret;

	if (!a->len || !(a->rights & (KIPC_REGION_READ | KIPC_REGION_WRITE)) ||
	    (a->rights & ~KIPC_REGION_RIGHTS_ALL) || (a->flags & ~KIPC_FD_INHERIT) ||
	    a->addr + a->len < a->addr)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(a->addr), a->len))
		return -EFAULT;
	first = a->addr >> PAGE_SHIFT;
	last = (a->addr + a->len - 1) >> PAGE_SHIFT;
	if (last - first >= UINT_MAX)
		return -ENOMEM;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	r->pages = last - first + 1;
	r->uid = current_uid();
	ret = kipc_charge(r->uid, KIPC_L_REGION_PAGES, r->pages);
	if (ret) {
		kfree(r);
		return ret;
	}
	kref_init(&r->ref);
	spin_lock_init(&r->lock);
	r->mm = current->mm;
	mmgrab(r->mm);
	r->addr = a->addr;
	r->len = a->len;
	atomic_long_inc(&kipc_stats.regions);
	ret = kipc_region_install(r, a->rights, a->flags);
	/* The handle holds it now, or nothing does. */
	kref_put(&r->ref, kipc_region_free);
	return ret;
}

/**
 * kipc_region_may_pass - may this region handle travel in a message?
 * @file:	a region handle's file
 *
 * Return: true if it carries KIPC_REGION_GRANT.
 */
bool kipc_region_may_pass(struct file *file)
{
	const struct kipc_rhandle *rh = file->private_data;

	return rh->rights & KIPC_REGION_GRANT;
}

/**
 * kipc_is_region - is @file a region handle?
 * @file:	any file
 *
 * Return: true if it is.
 */
bool kipc_is_region(const struct file *file)
{
	return file->f_op == &kipc_region_fops;
}

static int kipc_region_enter(void *obj)
{
	struct kipc_region *r = obj;
	int ret = -EPIPE;

	spin_lock(&r->lock);
	if (!r->revoked) {
		/* Marked: revoke reads the count without the lock. */
		WRITE_ONCE(r->busy, r->busy + 1);
		ret = 0;
	}
	spin_unlock(&r->lock);
	return ret;
}

static void kipc_region_leave(void *obj)
{
	struct kipc_region *r = obj;
	bool last;

	spin_lock(&r->lock);
	WRITE_ONCE(r->busy, r->busy - 1);
	last = !r->busy && r->revoked;
	spin_unlock(&r->lock);
	/* The handle we copy through holds @r. */
	if (last) {
		/* The count before wake_up_var()'s look at the waiters. */
		smp_mb();
		wake_up_var(&r->busy);
	}
}

/* Ring the doorbell, if one is bound. */
static void kipc_region_ring(struct kipc_region *r)
{
	struct kipc_ntfn *ntfn;
	u64 bits;

	spin_lock(&r->lock);
	ntfn = r->ntfn;
	bits = r->bits;
	if (ntfn)
		kref_get(&ntfn->ref);
	spin_unlock(&r->lock);
	if (ntfn) {
		kipc_ntfn_raise(ntfn, bits);
		kipc_ntfn_put(ntfn);
	}
}

static long kipc_region_io(struct kipc_rhandle *rh,
			   const struct kipc_region_io __user *uarg, bool put)
{
	struct iovec stack[UIO_FASTIOV], *iov = stack;
	struct kipc_region *r = rh->r;
	struct kipc_bulk_gate gate = {
		.enter = kipc_region_enter,
		.leave = kipc_region_leave,
		.obj = r,
	};
	struct kipc_region_io a;
	struct iov_iter it;
	size_t len;
	long ret;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~(put ? KIPC_REGION_SIGNAL : 0)) || a.__reserved[0] ||
	    a.__reserved[1])
		return -EINVAL;
	if (!(rh->rights & (put ? KIPC_REGION_WRITE : KIPC_REGION_READ)))
		return -EPERM;
	ret = import_iovec(put ? WRITE : READ, u64_to_user_ptr(a.iov), a.iovcnt,
			   UIO_FASTIOV, &iov, &it);
	if (ret < 0)
		return ret;
	len = iov_iter_count(&it);
	if (a.offset > r->len || len > r->len - a.offset) {
		ret = -ERANGE;
	} else if (READ_ONCE(r->revoked)) {
		ret = -EPIPE;
	} else {
		ret = kipc_bulk_copy(r->mm, r->addr + a.offset, len, put, &it,
				     &gate, -EPIPE);
		if (ret >= 0 && (a.flags & KIPC_REGION_SIGNAL))
			kipc_region_ring(r);
	}
	kfree(iov);
	return ret;
}

/* Only the owner's address space binds and revokes. */
static bool kipc_region_owner(const struct kipc_region *r)
{
	return current->mm == r->mm;
}

static long kipc_region_bind(struct kipc_region *r,
			     const struct kipc_region_bind __user *uarg)
{
	struct kipc_region_bind a;
	struct kipc_ntfn *ntfn = NULL, *old;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.__reserved[0] || a.__reserved[1] ||
	    (a.ntfn == -1) != !a.bits)
		return -EINVAL;
	if (!kipc_region_owner(r))
		return -EPERM;
	if (a.ntfn != -1) {
		ntfn = kipc_ntfn_get(a.ntfn);
		if (!ntfn)
			return -EBADF;
	}
	spin_lock(&r->lock);
	old = r->ntfn;
	r->ntfn = ntfn;
	r->bits = a.bits;
	spin_unlock(&r->lock);
	if (old)
		kipc_ntfn_put(old);
	return 0;
}

static long kipc_region_revoke(struct kipc_region *r)
{
	if (!kipc_region_owner(r))
		return -EPERM;
	spin_lock(&r->lock);
	WRITE_ONCE(r->revoked, true);
	spin_unlock(&r->lock);
	/* At most one piece per copier in flight: no fault inside. */
	wait_var_event(&r->busy, !READ_ONCE(r->busy));
	return 0;
}

static long kipc_region_mint(struct kipc_rhandle *rh,
			     const struct kipc_region_mint __user *uarg)
{
	struct kipc_region_mint a;

	if (copy_from_user(&a, uarg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~KIPC_FD_INHERIT) || a.__reserved[0] || a.__reserved[1] ||
	    !(a.rights & (KIPC_REGION_READ | KIPC_REGION_WRITE)) ||
	    (a.rights & ~KIPC_REGION_RIGHTS_ALL))
		return -EINVAL;
	if (!(rh->rights & KIPC_REGION_GRANT) || (a.rights & ~rh->rights))
		return -EPERM;
	return kipc_region_install(rh->r, a.rights, a.flags);
}

static long kipc_region_info(struct kipc_rhandle *rh,
			     struct kipc_region_info __user *uarg)
{
	struct kipc_region_info i = {
		.len = rh->r->len,
		.rights = rh->rights,
		.flags = READ_ONCE(rh->r->revoked) ? KIPC_REGION_REVOKED : 0,
	};

	return copy_to_user(uarg, &i, sizeof(i)) ? -EFAULT : 0;
}

static long kipc_region_ioctl(struct file *file, unsigned int cmd,
			      unsigned long arg)
{
	struct kipc_rhandle *rh = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KIPC_IOC_REGION_PUT:
		return kipc_region_io(rh, uarg, true);
	case KIPC_IOC_REGION_GET:
		return kipc_region_io(rh, uarg, false);
	case KIPC_IOC_REGION_MINT:
		return kipc_region_mint(rh, uarg);
	case KIPC_IOC_REGION_BIND:
		return kipc_region_bind(rh->r, uarg);
	case KIPC_IOC_REGION_REVOKE:
		return arg ? -EINVAL : kipc_region_revoke(rh->r);
	case KIPC_IOC_REGION_INFO:
		return kipc_region_info(rh, uarg);
	}
	return -ENOTTY;
}

static void kipc_region_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kipc_rhandle *rh = file->private_data;

	seq_printf(m, "kipc-region:\t%llu\nrights:\t%#x\nrevoked:\t%d\n",
		   rh->r->len, rh->rights, READ_ONCE(rh->r->revoked));
}

static const struct file_operations kipc_region_fops = {
	.owner		= THIS_MODULE,
	.release	= kipc_region_release,
	.unlocked_ioctl	= kipc_region_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kipc_region_show_fdinfo,
	.llseek		= noop_llseek,
};
