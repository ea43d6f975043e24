// SPDX-License-Identifier: GPL-2.0
/*
 * Named services: a server publishes an endpoint under a name, clients
 * look the name up and get a send handle, if the name's mode admits them.
 *
 * A name belongs to the IPC namespace of the task that published it and is
 * seen only from that namespace.  The namespace is known by its POSIX
 * message queue mount (ipc_ns->mq_mnt), which each name pins: a mount is
 * never reused while pinned, so a namespace that dies cannot be mistaken
 * for a new one at the same address, and the name does not keep the
 * namespace itself alive (put_ipc_ns() is not exported anyway).  Names of a
 * dead namespace can no longer be looked up and go with their endpoint.
 *
 * A name holds a reference to its endpoint and goes away when it is
 * unpublished or when the last handle with KIPC_RIGHT_RECV of the endpoint
 * closes: nobody could serve its callers any more.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/nsproxy.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/user_namespace.h>

#include "internal.h"

#if !IS_ENABLED(CONFIG_POSIX_MQUEUE)
#error "kipc names are scoped by the IPC namespace's mqueue mount: CONFIG_POSIX_MQUEUE"
#endif

/**
 * struct kipc_name - a published name
 * @node:	link on kipc_names.
 * @ns:		mqueue mount of the IPC namespace (pinned): the scope.
 * @ep:		the endpoint (holds a reference).
 * @owner:	fsuid of the publisher.
 * @group:	fsgid of the publisher.
 * @charged:	real uid charged for the name.
 * @mode:	permission bits.
 * @flags:	KIPC_PUBLISH_*.
 * @badge:	badge given to lookups with KIPC_PUBLISH_BADGE.
 * @name:	the name, NUL-terminated.
 */
struct kipc_name {
	struct list_head node;
	struct vfsmount *ns;
	struct kipc_ep *ep;
	kuid_t owner;
	kgid_t group;
	kuid_t charged;
	umode_t mode;
	u32 flags;
	u64 badge;
	char name[KIPC_NAME_MAX];
};

static LIST_HEAD(kipc_names);
static DEFINE_MUTEX(kipc_names_lock);

/* The scope of names for the current task. */
static struct vfsmount *kipc_cur_ns(void)
{
	return current->nsproxy->ipc_ns->mq_mnt;
}

/* 1..KIPC_NAME_MAX-1 printable non-blank characters, NUL, zeroes. */
/**
 * kipc_name_valid - is @name a valid service name (KIPC_NAME_MAX bytes)?
 * @name: the name as copied in
 *
 * Return: true if so.
 */
bool kipc_name_valid(const char *name)
{
	size_t len = strnlen(name, KIPC_NAME_MAX);
	size_t i;

	if (!len || len == KIPC_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	for (; i < KIPC_NAME_MAX; i++)
		if (name[i])
			return false;
	return true;
}

static struct kipc_name *kipc_name_find(const char *name)
{
	struct vfsmount *ns = kipc_cur_ns();
	struct kipc_name *n;

	lockdep_assert_held(&kipc_names_lock);
	list_for_each_entry(n, &kipc_names, node)
		if (n->ns == ns && !strcmp(n->name, name))
			return n;
	return NULL;
}

static void kipc_name_free(struct kipc_name *n)
{
	kipc_uncharge(n->charged, KIPC_L_NAMES, 1);
	mntput(n->ns);
	kipc_ep_put(n->ep);
	kfree(n);
	atomic_long_dec(&kipc_stats.names);
}

/**
 * kipc_name_publish - give an endpoint a name
 * @a:		the checked arguments of KIPC_IOC_PUBLISH
 * @ep:		the endpoint, resolved from a handle with KIPC_RIGHT_RECV;
 *		the caller's reference is consumed in every case
 *
 * Return: 0 or -errno: EEXIST (the name is taken in this IPC namespace),
 * EPIPE (the endpoint has no receive handle left), ENOSPC (max_names),
 * ENOMEM.
 */
int kipc_name_publish(const struct kipc_publish *a, struct kipc_ep *ep)
{
	const struct cred *cred = current_cred();
	struct kipc_name *n;
	int ret;

	ret = kipc_charge(cred->uid, KIPC_L_NAMES, 1);
	if (ret)
		goto out_put;
	n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);
	if (!n) {
		ret = -ENOMEM;
		goto out_uncharge;
	}
	n->ep = ep;
	n->owner = cred->fsuid;
	n->group = cred->fsgid;
	n->charged = cred->uid;
	n->mode = a->mode;
	n->flags = a->flags;
	n->badge = a->badge;
	memcpy(n->name, a->name, sizeof(n->name));

	mutex_lock(&kipc_names_lock);
	ret = -EEXIST;
	if (kipc_name_find(a->name))
		goto out_unlock;
	/* Ordered against kipc_names_ep_gone() by kipc_names_lock. */
	spin_lock(&ep->lock);
	ret = ep->nr_recv ? 0 : -EPIPE;
	spin_unlock(&ep->lock);
	if (ret)
		goto out_unlock;
	n->ns = mntget(kipc_cur_ns());
	list_add_tail(&n->node, &kipc_names);
	atomic_long_inc(&kipc_stats.names);
	mutex_unlock(&kipc_names_lock);
	return 0;

out_unlock:
	mutex_unlock(&kipc_names_lock);
	kfree(n);
out_uncharge:
	kipc_uncharge(cred->uid, KIPC_L_NAMES, 1);
out_put:
	kipc_ep_put(ep);
	return ret;
}

/**
 * kipc_name_unpublish - withdraw a name
 * @name:	the name, checked
 * @ep:		the endpoint of the caller's receive handle
 *
 * Return: 0 or -errno: EPERM (the name belongs to another endpoint),
 * ENOENT (no such name in this namespace).
 */
int kipc_name_unpublish(const char *name, struct kipc_ep *ep)
{
	struct kipc_name *n;
	int ret;

	mutex_lock(&kipc_names_lock);
	n = kipc_name_find(name);
	ret = !n ? -ENOENT : n->ep != ep ? -EPERM : 0;
	if (!ret)
		list_del(&n->node);
	mutex_unlock(&kipc_names_lock);
	if (!ret)
		kipc_name_free(n);
	return ret;
}

/* Does @n admit current?  The write bit of the caller's class, or CAP_IPC_OWNER. */
static bool kipc_name_admits(const struct kipc_name *n)
{
	const struct cred *cred = current_cred();
	umode_t mode = n->mode;

	if (uid_eq(cred->fsuid, n->owner))
		mode >>= 6;
	else if (in_group_p(n->group))
		mode >>= 3;
	if (mode & 0002)
		return true;
	return ns_capable(current->nsproxy->ipc_ns->user_ns, CAP_IPC_OWNER);
}

/**
 * kipc_name_lookup - what a lookup of a published name gets
 * @name:	the name, checked
 * @out:	filled in: the endpoint (a reference), the badge and the
 *		rights of the handle to make
 *
 * Return: 0 or -errno: ENOENT (no such name in the caller's IPC
 * namespace), EACCES (the mode does not admit the caller).
 */
int kipc_name_lookup(const char *name, struct kipc_handle *out)
{
	struct kipc_name *n;
	int ret = 0;

	mutex_lock(&kipc_names_lock);
	n = kipc_name_find(name);
	if (!n) {
		ret = -ENOENT;
	} else if (!kipc_name_admits(n)) {
		ret = -EACCES;
	} else {
		out->ep = n->ep;
		kref_get(&n->ep->ref);
		out->badge = n->flags & KIPC_PUBLISH_BADGE ? n->badge : 0;
		out->rights = KIPC_RIGHT_SEND |
			      (n->flags & KIPC_PUBLISH_GRANT ? KIPC_RIGHT_GRANT : 0);
	}
	mutex_unlock(&kipc_names_lock);
	return ret;
}

/**
 * kipc_names_ep_gone - the last receive handle of @ep closed: drop its names
 * @ep: the endpoint
 *
 * Context: process context, no spinlock held.
 */
void kipc_names_ep_gone(struct kipc_ep *ep)
{
	struct kipc_name *n, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&kipc_names_lock);
	list_for_each_entry_safe(n, tmp, &kipc_names, node)
		if (n->ep == ep)
			list_move(&n->node, &gone);
	mutex_unlock(&kipc_names_lock);
	list_for_each_entry_safe(n, tmp, &gone, node)
		kipc_name_free(n);
}

/**
 * kipc_names_show - /proc/kipc/names: the names of the reader's namespace
 * @m:	the seq_file
 * @v:	unused
 *
 * Return: 0.
 */
int kipc_names_show(struct seq_file *m, void *v)
{
	struct user_namespace *uns = seq_user_ns(m);
	struct vfsmount *ns = kipc_cur_ns();
	struct kipc_name *n;

	seq_puts(m, "name endpoint owner group mode flags badge\n");
	mutex_lock(&kipc_names_lock);
	list_for_each_entry(n, &kipc_names, node) {
		if (n->ns != ns)
			continue;
		seq_printf(m, "%s %llu %u %u %04o %#x %#llx\n", n->name,
			   n->ep->id, from_kuid_munged(uns, n->owner),
			   from_kgid_munged(uns, n->group), n->mode, n->flags,
			   n->badge);
	}
	mutex_unlock(&kipc_names_lock);
	return 0;
}
