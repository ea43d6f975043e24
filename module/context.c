// SPDX-License-Identifier: GPL-2.0
/*
 * A context: one message area (a zeroed kernel page that its owner maps),
 * the identity of the task using it, its registered endpoint slots, and
 * its references.  The IPC state (wstate, queues, reply rights) is wait.c's
 * and ipc.c's; what an operation does with a context is op.c's.
 */
#include <linux/cred.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "internal.h"

/**
 * kipc_ctx_new - a new context for current's address space
 *
 * Return: the context (one reference), or NULL without memory.
 */
struct kipc_ctx *kipc_ctx_new(void)
{
	struct kipc_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;
	ctx->utcb = (struct kipc_utcb *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!ctx->utcb) {
		kfree(ctx);
		return NULL;
	}
	atomic_long_inc(&kipc_stats.contexts);
	spin_lock_init(&ctx->lock);
	INIT_HLIST_NODE(&ctx->node);
	init_waitqueue_head(&ctx->wq);
	kref_init(&ctx->ref);
	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	kipc_pi_ctx_new(ctx);
	return ctx;
}

/* Drop what @id holds. */
static void kipc_ident_put(struct kipc_ident *id)
{
	if (!id->task)
		return;
	put_pid_ns(id->pid_ns);
	put_cred(id->cred);
	put_task_struct(id->task);
}

/**
 * kipc_ctx_release - the context's file is closing: its slots go now
 * @ctx:	the context; no operation can be running on it
 *
 * A server may hold a reference to the context for a while yet (the reply
 * right to its last call), but the handles registered in it must not
 * outlive the file: they count as senders and receivers of their
 * endpoints.
 */
void kipc_ctx_release(struct kipc_ctx *ctx)
{
	struct file *file;
	unsigned int i;

	kipc_pi_ctx_release(ctx);
	for (i = 0; i < KIPC_SLOTS; i++) {
		file = ctx->slots[i].file;
		ctx->slots[i].file = NULL;
		ctx->slots[i].h = (struct kipc_handle) { };
		if (file)
			fput(file);
	}
	kipc_ctx_put(ctx);
}

static void kipc_ctx_free(struct kref *ref)
{
	struct kipc_ctx *ctx = container_of(ref, struct kipc_ctx, ref);

	kipc_ident_put(&ctx->id);
	if (ctx->peer)
		put_task_struct(ctx->peer);
	if (ctx->peer_next)
		put_task_struct(ctx->peer_next);
	/* A server's reply_to borrows a context only while it waits. */
	WARN_ON_ONCE(ctx->reply_from);
	free_page((unsigned long)ctx->utcb);
	mmdrop(ctx->mm);
	/*
	 * A partner that completed us may still be between its store of
	 * KIPC_W_DONE and the unlock of our ->lock, or the read of
	 * ->sleeping (wait.c), without a reference: our task saw DONE,
	 * returned and closed us meanwhile.  Those are RCU read-side sections
	 * (spinlock held, rcu_read_lock()), so the struct outlives them by a
	 * grace period.
	 */
	kfree_rcu(ctx, rcu);
	atomic_long_dec(&kipc_stats.contexts);
}

/**
 * kipc_ctx_put - drop a reference to a context
 * @ctx: the context; must not be called with a spinlock held
 */
void kipc_ctx_put(struct kipc_ctx *ctx)
{
	kref_put(&ctx->ref, kipc_ctx_free);
}

/**
 * kipc_ident_refresh - cache current's identity in @ctx
 * @ctx:	the context, claimed by current and not waiting
 *
 * The task, its credentials and pid namespace are referenced for as long
 * as they are cached, so a partner (or an asynchronous operation's
 * completion, after the submitting call returned) may read them, and a
 * pointer seen again is the same object, never a new one at a freed one's
 * address.  Runs when another task or new credentials use the context.
 */
void kipc_ident_refresh(struct kipc_ctx *ctx)
{
	const struct cred *cred = current_cred();
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct kipc_ident old = ctx->id;

	ctx->id.task = get_task_struct(current);
	/*
	 * get_cred() also stores 0 into cred->non_rcu, a plain store that
	 * two tasks sharing these credentials may make at once: the same
	 * value, a race of the kernel's helper that KCSAN would report as
	 * ours.
	 */
	ctx->id.cred = data_race(get_cred(cred));
	ctx->id.pid_ns = get_pid_ns(ns);
	ctx->id.user_ns = cred->user_ns;	/* the credentials hold it */
	ctx->id.who.tgid = task_tgid_nr_ns(current, ns);
	ctx->id.who.uid = from_kuid_munged(cred->user_ns, cred->euid);
	ctx->id.who.gid = from_kgid_munged(cred->user_ns, cred->egid);
	ctx->id.who.status = 0;
	if (old.task != current)
		kipc_pi_ident(ctx);
	kipc_ident_put(&old);
}

/**
 * kipc_ctx_register - KIPC_IOC_REGISTER: fill or clear one endpoint slot
 * @ctx:	the context
 * @a:		the checked arguments
 *
 * Return: 0, -EBADF (not an endpoint handle), -EBUSY (an operation runs).
 */
int kipc_ctx_register(struct kipc_ctx *ctx, const struct kipc_register *a)
{
	struct kipc_handle h = { };
	struct file *file = NULL, *old;
	struct kipc_slot *slot = &ctx->slots[array_index_nospec(a->slot, KIPC_SLOTS)];

	if (!(a->flags & KIPC_REGISTER_CLEAR)) {
		file = kipc_handle_fget(a->fd, &h);
		if (!file)
			return -EBADF;
	}
	/* Operations read the slots without a lock: only a claimant writes. */
	if (test_and_set_bit_lock(KIPC_CTX_CLAIMED, &ctx->claim)) {
		if (file)
			fput(file);
		return -EBUSY;
	}
	old = slot->file;
	slot->file = file;
	slot->h = h;
	clear_bit_unlock(KIPC_CTX_CLAIMED, &ctx->claim);
	if (old)
		fput(old);
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

/**
 * kipc_ctx_mmap - map the message area
 * @ctx:	the context
 * @vma:	the mapping being made
 *
 * The message area is one kernel page inserted into the owner's address
 * space: the kernel reaches it by its kernel address and never faults on
 * it.  It must be MAP_SHARED, is not inherited across fork and can never
 * become executable.  VM_DONTCOPY keeps it out of a fork child; VM_IO
 * makes that final, as madvise(MADV_DOFORK) refuses to clear VM_DONTCOPY
 * on a VM_IO mapping (EINVAL): a child must never share its parent's
 * messages.
 *
 * Return: 0 or -errno.
 */
int kipc_ctx_mmap(struct kipc_ctx *ctx, struct vm_area_struct *vma)
{
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
