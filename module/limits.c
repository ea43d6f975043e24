// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user limits: how many endpoints a user may have alive, how many names
 * it may have published and how many descriptors its messages may hold in
 * flight at once, and how many pages its exposed regions span (within the
 * creator's RLIMIT_MEMLOCK, as mlock(2) counts; CAP_IPC_LOCK: none).  A user is a real uid (the kuid, so users of different
 * user namespaces that map to one kuid share a count), as for the kernel's
 * own per-user limits.  Counts are kept for everybody; a task with
 * CAP_SYS_RESOURCE is not held to the limits.  A limit of 0 means none.
 *
 * The counts live in a small hash of per-uid entries, allocated (charged to
 * the memory cgroup) when a user is first charged and freed when all its
 * counts are back to 0.
 *
 * Also here: the counters of live objects (/proc/kipc/stats), which every
 * file updates.
 */
#include <linux/capability.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "internal.h"

struct kipc_stats kipc_stats;

static unsigned int max_endpoints = 1024;
module_param(max_endpoints, uint, 0644);
MODULE_PARM_DESC(max_endpoints,
	"Live endpoints per user (ENOSPC beyond; 0: no limit)");

static unsigned int max_names = 64;
module_param(max_names, uint, 0644);
MODULE_PARM_DESC(max_names,
	"Published names per user (ENOSPC beyond; 0: no limit)");

static unsigned int max_inflight = 256;
module_param(max_inflight, uint, 0644);
MODULE_PARM_DESC(max_inflight,
	"Descriptors held by a user's messages in flight (ETOOMANYREFS beyond; 0: no limit)");

/**
 * struct kipc_user - the counts of one user
 * @node:	link in kipc_users.
 * @uid:	the user.
 * @count:	one count per enum kipc_limit.
 */
struct kipc_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int count[KIPC_NR_LIMITS];
};

static DEFINE_HASHTABLE(kipc_users, 6);
static DEFINE_SPINLOCK(kipc_users_lock);

static bool kipc_user_idle(const struct kipc_user *u)
{
	unsigned int i;

	for (i = 0; i < KIPC_NR_LIMITS; i++)
		if (u->count[i])
			return false;
	return true;
}

static struct kipc_user *kipc_user_find(kuid_t uid)
{
	struct kipc_user *u;

	hash_for_each_possible(kipc_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/* @what's limit for current's user; ULONG_MAX: none. */
static unsigned long kipc_limit_of(enum kipc_limit what)
{
	unsigned int v;

	switch (what) {
	case KIPC_L_REGION_PAGES:
		if (capable(CAP_IPC_LOCK))
			return ULONG_MAX;
		return rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	case KIPC_L_ENDPOINTS:
		v = READ_ONCE(max_endpoints);
		break;
	case KIPC_L_NAMES:
		v = READ_ONCE(max_names);
		break;
	default:
		v = READ_ONCE(max_inflight);
		break;
	}
	if (!v || capable(CAP_SYS_RESOURCE))
		return ULONG_MAX;
	return v;
}

/**
 * kipc_charge - count @n more objects of kind @what for @uid
 * @uid:	the user to charge (normally current's real uid)
 * @what:	the kind of object
 * @n:		how many
 *
 * Context: process context, no locks held.
 * Return: 0; -ENOSPC (endpoints, names), -ETOOMANYREFS (descriptors in
 * flight) or -ENOMEM (region pages) when the user's limit would be
 * exceeded; -ENOMEM.  Nothing is charged on failure.
 */
int kipc_charge(kuid_t uid, enum kipc_limit what, unsigned int n)
{
	unsigned long limit = kipc_limit_of(what);
	struct kipc_user *u, *fresh = NULL;
	int ret = 0;

	spin_lock(&kipc_users_lock);
	u = kipc_user_find(uid);
	if (!u) {
		spin_unlock(&kipc_users_lock);
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		if (!fresh)
			return -ENOMEM;
		fresh->uid = uid;
		spin_lock(&kipc_users_lock);
		u = kipc_user_find(uid);
		if (!u) {
			u = fresh;
			fresh = NULL;
			hash_add(kipc_users, &u->node, __kuid_val(uid));
		}
	}
	if ((unsigned long)u->count[what] + n > limit ||
	    u->count[what] + n < n)
		ret = what == KIPC_L_INFLIGHT ? -ETOOMANYREFS :
		      what == KIPC_L_REGION_PAGES ? -ENOMEM : -ENOSPC;
	else
		u->count[what] += n;
	if (ret && kipc_user_idle(u)) {
		hash_del(&u->node);
		fresh = u;
	}
	spin_unlock(&kipc_users_lock);
	kfree(fresh);
	return ret;
}

/**
 * kipc_uncharge - undo kipc_charge()
 * @uid:	the user charged
 * @what:	the kind of object
 * @n:		how many
 *
 * Context: any context that may call kfree().
 */
void kipc_uncharge(kuid_t uid, enum kipc_limit what, unsigned int n)
{
	struct kipc_user *u, *dead = NULL;

	spin_lock(&kipc_users_lock);
	u = kipc_user_find(uid);
	if (!WARN_ON_ONCE(!u || u->count[what] < n)) {
		u->count[what] -= n;
		if (kipc_user_idle(u)) {
			hash_del(&u->node);
			dead = u;
		}
	}
	spin_unlock(&kipc_users_lock);
	kfree(dead);
}
