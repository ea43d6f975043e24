/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The queue a context waits on: an endpoint's senders or receivers, a
 * notification's waiters.  Oldest first, under its owner's lock; every
 * operation O(1) and inline.
 *
 * An hlist with a pointer to its newest node: a node's pprev lets it leave
 * from anywhere (a withdrawal, a cancel) and names the node before it, so
 * the tail is found again without a walk.  Each change first checks the
 * links it relies on, inline, as CONFIG_LIST_HARDENED does for list_head
 * since 6.6: on 6.1, CONFIG_DEBUG_LIST (Debian's default) made every
 * list_head change of the fast call an out-of-line call, about 40
 * instructions a round trip (bench/README.md).  A corrupted queue is
 * reported (kipc_data_corrupted(): a warning, or BUG() with
 * CONFIG_BUG_ON_DATA_CORRUPTION) and touched no further than its users
 * need to end: a node that cannot leave is forgotten, a queue that cannot
 * be popped is emptied.
 */
#ifndef _KIPC_WAITQ_H
#define _KIPC_WAITQ_H

#include <linux/list.h>

#include "compat.h"

/**
 * struct kipc_waitq - a FIFO of waiting contexts (their struct kipc_ctx
 * node), under the lock of the object that holds it
 * @head:	the oldest first
 * @last:	the newest, or NULL when empty
 * @len:	how many wait
 */
struct kipc_waitq {
	struct hlist_head head;
	struct hlist_node *last;
	unsigned int len;
};

static inline void kipc_waitq_init(struct kipc_waitq *q)
{
	INIT_HLIST_HEAD(&q->head);
	q->last = NULL;
	q->len = 0;
}

static inline bool kipc_waitq_empty(const struct kipc_waitq *q)
{
	return hlist_empty(&q->head);
}

/* The oldest node, or NULL. */
static inline struct hlist_node *kipc_waitq_first(const struct kipc_waitq *q)
{
	return q->head.first;
}

/* Is @n on a queue?  Under that queue's lock. */
static inline bool kipc_waitq_on(const struct hlist_node *n)
{
	return !hlist_unhashed(n);
}

/**
 * kipc_waitq_add - queue @n as the newest of @q
 * @q:	the queue, its lock held
 * @n:	a node on no queue
 */
static __always_inline void kipc_waitq_add(struct kipc_waitq *q,
					   struct hlist_node *n)
{
	struct hlist_node *last = q->last;

	if (kipc_data_corrupted(kipc_waitq_on(n) || (last && last->next) ||
				(!last && q->head.first),
				"kipc: wait queue corrupted (add)\n"))
		return;
	if (last)
		hlist_add_behind(n, last);
	else
		hlist_add_head(n, &q->head);
	q->last = n;
	q->len++;
}

/**
 * kipc_waitq_del - take @n off @q, from anywhere in it
 * @q:	the queue, its lock held
 * @n:	a node on @q
 */
static __always_inline void kipc_waitq_del(struct kipc_waitq *q,
					   struct hlist_node *n)
{
	struct hlist_node **pprev = n->pprev;
	struct hlist_node *next = n->next;

	if (kipc_data_corrupted(!pprev || *pprev != n ||
				(next ? next->pprev != &n->next : q->last != n),
				"kipc: wait queue corrupted (del)\n")) {
		INIT_HLIST_NODE(n);	/* forgotten; its neighbours untouched */
		return;
	}
	WRITE_ONCE(*pprev, next);
	if (next)
		WRITE_ONCE(next->pprev, pprev);
	else	/* the newest left: the one before it, whose ->next is *pprev */
		q->last = pprev == &q->head.first ? NULL :
			  container_of(pprev, struct hlist_node, next);
	INIT_HLIST_NODE(n);
	q->len--;
}

/**
 * kipc_waitq_pop - take the oldest node off @q
 * @q:	the queue, its lock held, not empty
 *
 * kipc_waitq_del() of the first node, which has no node before it.
 *
 * Return: that node.
 */
static __always_inline struct hlist_node *kipc_waitq_pop(struct kipc_waitq *q)
{
	struct hlist_node *n = q->head.first;
	struct hlist_node *next = n->next;

	if (kipc_data_corrupted(n->pprev != &q->head.first ||
				(next ? next->pprev != &n->next : q->last != n),
				"kipc: wait queue corrupted (pop)\n")) {
		/*
		 * Emptied, so that a caller popping until it is empty ends;
		 * the others end by their deadlines, signals or cancels.
		 */
		kipc_waitq_init(q);
		INIT_HLIST_NODE(n);
		return n;
	}
	WRITE_ONCE(q->head.first, next);
	if (next)
		WRITE_ONCE(next->pprev, &q->head.first);
	else
		q->last = NULL;
	INIT_HLIST_NODE(n);
	q->len--;
	return n;
}

#endif /* _KIPC_WAITQ_H */
