// SPDX-License-Identifier: GPL-2.0
/*
 * The one copy of bulk data: between the memory of the task running the
 * operation and a range of another address space (a caller's window, a
 * region's owner), user memory to user memory, with nothing mapped,
 * buffered or allocated per byte.
 *
 * The range is copied in pieces of at most KIPC_BULK_PAGES pages: pin the
 * piece's pages in the other address space (a page that is not there, or
 * not writable for a copy into it, fails the access with EFAULT before any
 * byte of the piece moves), copy, unpin.  The copy itself runs inside a
 * *gate* that the object owning the range opens and closes (a window's
 * call still waiting, a region not revoked): inside it nothing may sleep
 * or fault, so that closing the object (kipc_win_end(), region revoke)
 * waits for at most one piece in flight, whatever the other side's memory
 * does.  Page faults on our own side are taken outside the gate
 * (fault_in_iov_iter_*()) and the piece goes on where it stopped; a fault
 * in the other address space is never taken while its owner waits:
 * pinning does not retry (no FAULT_FLAG_ALLOW_RETRY), so a userfaultfd
 * range there fails with EFAULT instead of stalling us.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>

#include "internal.h"

/* Copy between the pinned @pages (from byte @off) and @it; no fault taken. */
static size_t kipc_bulk_pages(struct page **pages, size_t off, size_t len,
			      struct iov_iter *it, bool into)
{
	size_t done = 0;

	while (done < len) {
		struct page *page = pages[(off + done) >> PAGE_SHIFT];
		size_t po = (off + done) & ~PAGE_MASK;
		size_t n = min_t(size_t, len - done, PAGE_SIZE - po);
		size_t c = into ? copy_page_from_iter(page, po, n, it) :
				  copy_page_to_iter(page, po, n, it);

		done += c;
		if (c != n)
			break;
	}
	return done;
}

/**
 * kipc_bulk_copy - copy between @it and a range of another address space
 * @mm:		that address space (held by the caller with mmgrab())
 * @addr:	start of the range
 * @len:	its length; @it holds at least as much
 * @into:	copy from @it into the range (else out of it into @it)
 * @it:		our side, current's memory
 * @gate:	the owner's gate, opened around every copy
 * @gone:	what to fail with when @mm has no users left
 *
 * Context: process context, no lock held; current's memory is @it's.
 * Return: @len, or -errno: @gone, EFAULT (a page of the range is not
 * there or not writable, or @it's memory cannot be accessed), EINTR (a
 * fatal signal), or what @gate's enter() returned.  Pieces before the
 * failing one were copied.
 */
ssize_t kipc_bulk_copy(struct mm_struct *mm, unsigned long addr, size_t len,
		       bool into, struct iov_iter *it,
		       const struct kipc_bulk_gate *gate, int gone)
{
	struct page *pages[KIPC_BULK_PAGES];
	size_t done = 0;
	int ret = 0;

	if (!len)
		return 0;
	if (!mmget_not_zero(mm))
		return gone;
	while (done < len && !ret) {
		unsigned long start = addr + done;
		size_t off = offset_in_page(start);
		size_t piece = min_t(size_t, len - done,
				     KIPC_BULK_PAGES * PAGE_SIZE - off);
		unsigned int n = DIV_ROUND_UP(off + piece, PAGE_SIZE);
		size_t c = 0;
		long got;

		if (mmap_read_lock_killable(mm)) {
			ret = -EINTR;
			break;
		}
		got = kipc_pin_remote(mm, start & PAGE_MASK, n,
				      into ? FOLL_WRITE : 0, pages);
		mmap_read_unlock(mm);
		if (got != n) {
			if (got > 0)
				unpin_user_pages(pages, got);
			ret = fatal_signal_pending(current) ? -EINTR : -EFAULT;
			break;
		}
		while (c < piece) {
			size_t k, left;

			ret = gate->enter(gate->obj);
			if (ret)
				break;
			pagefault_disable();
			k = kipc_bulk_pages(pages, off + c, piece - c, it, into);
			pagefault_enable();
			gate->leave(gate->obj);
			c += k;
			if (c == piece)
				break;
			/* Our own memory: fault it in outside the gate, go on. */
			left = piece - c;
			if ((into ? fault_in_iov_iter_readable(it, left) :
				    fault_in_iov_iter_writeable(it, left)) == left) {
				ret = -EFAULT;
				break;
			}
			if (fatal_signal_pending(current)) {
				ret = -EINTR;
				break;
			}
		}
		if (into)
			unpin_user_pages_dirty_lock(pages, n, c != 0);
		else
			unpin_user_pages(pages, n);
		done += c;
		cond_resched();
	}
	mmput(mm);
	return ret ? ret : (ssize_t)done;
}
