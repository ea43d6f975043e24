// SPDX-License-Identifier: GPL-2.0
/*
 * The one copy of bulk data: between the memory of the task running the
 * operation and a range of another address space (a caller's window, a
 * region's owner), user memory to user memory, with nothing mapped,
 * buffered or allocated per byte.
 *
 * The range is copied in pieces of at most KIPC_BULK_PAGES pages: pin the
 * piece's pages in the other address space (a page that is not there, or
 * not writable for a copy into it, fails the access with EFAULT before
 * any byte of the piece moves), copy, unpin; our own faults are taken
 * between pieces, with nothing of theirs held.
 * The copy itself runs inside a *gate* that the object owning the range
 * opens and closes (a window's call still waiting, a region not revoked):
 * inside it nothing may sleep or fault, so that closing the object
 * (kipc_win_end(), a parked call, region revoke) waits for at most one
 * piece in flight, whatever either side's memory does.  Faults in the
 * other address space are taken killably outside the gate, as
 * process_vm_readv() takes them; a range there under userfaultfd fails
 * with EFAULT instead of waiting for its owner's handler.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/userfaultfd_k.h>

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

/*
 * Is any of [@start, @end) of @mm registered with userfaultfd?  Its faults
 * would wait for a handler that the owner of @mm runs, or never does.
 * Under the mmap lock.
 */
static bool kipc_bulk_uffd(struct mm_struct *mm, unsigned long start,
			   unsigned long end)
{
	struct vm_area_struct *vma;

	for (vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end))
		if (userfaultfd_armed(vma))
			return true;
	return false;
}

/* SIGKILL pending?  Looked at without the siglock, as kipc_wait_loop() does. */
static bool kipc_bulk_killed(void)
{
	/* data_race(): the word changes under the siglock for any signal. */
	return data_race(fatal_signal_pending(current));
}

/*
 * Pin the @n pages from @start of @mm: fills @pages, 0; or -EFAULT (a
 * page is not there, not writable for @into, or under userfaultfd),
 * -EINTR (a fatal signal).  Faults are taken killably, the mmap lock
 * dropped while they wait, as process_vm_readv() does.
 */
static int kipc_bulk_pin(struct mm_struct *mm, unsigned long start,
			 unsigned int n, bool into, struct page **pages)
{
	int locked = 1;
	long got;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	if (kipc_bulk_uffd(mm, start, start + n * PAGE_SIZE)) {
		mmap_read_unlock(mm);
		return -EFAULT;
	}
	got = kipc_pin_remote(mm, start, n, into ? FOLL_WRITE : 0, pages, &locked);
	if (locked)
		mmap_read_unlock(mm);
	if (got == n)
		return 0;
	if (got > 0)
		unpin_user_pages(pages, got);
	return kipc_bulk_killed() ? -EINTR : -EFAULT;
}

/* Fault in up to @len of our own side of @it: the bytes that can be. */
static size_t kipc_bulk_fault_in(struct iov_iter *it, size_t len, bool into)
{
	return len - (into ? fault_in_iov_iter_readable(it, len) :
			     fault_in_iov_iter_writeable(it, len));
}

/* The bytes a bounced piece moves at most (on the stack). */
#define KIPC_BULK_BOUNCE	256

/*
 * One piece: @len bytes at @start of @mm, within KIPC_BULK_PAGES pages
 * (within one page if @bounce).  Pin the pages, copy inside the gate with
 * page faults disabled, unpin.  With @bounce, our side of the copy runs
 * outside the gate, faults allowed, through @buf: before the pin for a
 * copy into the range, after the unpin for a copy out of it.
 * Return: the bytes copied (fewer than @len only where our own memory
 * was not there), or -errno.
 */
static ssize_t kipc_bulk_piece(struct mm_struct *mm, unsigned long start, size_t len,
			       bool into, struct iov_iter *it,
			       const struct kipc_bulk_gate *gate, int gone,
			       bool bounce, u8 *buf)
{
	struct page *pages[KIPC_BULK_PAGES];
	size_t off = offset_in_page(start), c = 0;
	unsigned int n = DIV_ROUND_UP(off + len, PAGE_SIZE);
	int ret;

	if (bounce && into) {
		len = copy_from_iter(buf, len, it);
		if (!len)
			return -EFAULT;
	}
	if (!mmget_not_zero(mm))
		return gone;
	ret = kipc_bulk_pin(mm, start & PAGE_MASK, n, into, pages);
	if (!ret) {
		ret = gate->enter(gate->obj);
		if (!ret) {
			if (bounce && into) {
				memcpy_to_page(pages[0], off, buf, len);
				c = len;
			} else if (bounce) {
				memcpy_from_page(buf, pages[0], off, len);
				c = len;
			} else {
				pagefault_disable();
				c = kipc_bulk_pages(pages, off, len, it, into);
				pagefault_enable();
			}
			gate->leave(gate->obj);
		}
		if (into)
			unpin_user_pages_dirty_lock(pages, n, c != 0);
		else
			unpin_user_pages(pages, n);
	}
	mmput(mm);
	if (ret)
		return ret;
	if (bounce && !into) {
		c = copy_to_iter(buf, c, it);
		if (!c)
			return -EFAULT;
	}
	return c;
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
 * Each piece: the other side's pages pinned (holding @mm's users only for
 * the piece), the copy inside the gate with page faults disabled, unpin.
 * Where our own memory is not there the copy stops short: then, holding
 * nothing of theirs (no page pinned, no address space kept alive), we
 * fault it in and go on from where the copy stopped.  Our memory may go
 * again before the copy reaches it (reclaim, migration, a MADV_DONTNEED
 * of another thread), as often as it likes: after a fault-in that still
 * let no byte through, a small piece goes through a buffer on the stack,
 * its user copy outside the gate with faults allowed, so that every round
 * moves a byte or fails for good.
 *
 * Context: process context, no lock held; current's memory is @it's.
 * Return: @len, or -errno: @gone, EFAULT (a page of the range is not
 * there, not writable, or under userfaultfd: nothing of its piece was
 * copied; or our own memory cannot be accessed), EINTR (a fatal signal),
 * or what @gate's enter() returned.  Pieces before the failing one were
 * copied.
 */
ssize_t kipc_bulk_copy(struct mm_struct *mm, unsigned long addr, size_t len,
		       bool into, struct iov_iter *it,
		       const struct kipc_bulk_gate *gate, int gone)
{
	u8 buf[KIPC_BULK_BOUNCE];
	unsigned int stuck = 0;
	size_t done = 0;
	ssize_t c;

	while (done < len) {
		unsigned long start = addr + done;
		size_t piece = min_t(size_t, len - done,
				     KIPC_BULK_PAGES * PAGE_SIZE - offset_in_page(start));
		/* Faulted in, and the last round still moved nothing. */
		bool bounce = stuck > 1;

		if (bounce)
			piece = min3(piece, PAGE_SIZE - offset_in_page(start),
				     (size_t)KIPC_BULK_BOUNCE);
		c = kipc_bulk_piece(mm, start, piece, into, it, gate, gone, bounce, buf);
		if (c == -EFAULT && bounce && kipc_bulk_killed())
			return -EINTR;
		if (c < 0)
			return c;
		done += c;
		/*
		 * Our own memory was not there: fault it in now, holding nothing
		 * of theirs, and go on from where the copy stopped.
		 */
		if (c < piece) {
			/* A fault-in that a SIGKILL cut short is no EFAULT. */
			if (!kipc_bulk_fault_in(it, piece - c, into))
				return kipc_bulk_killed() ? -EINTR : -EFAULT;
			stuck = c ? 1 : stuck + 1;
		} else {
			/* After a bounce, one more round that moves nothing bounces. */
			stuck = bounce;
		}
		if (kipc_bulk_killed())
			return -EINTR;
		cond_resched();
	}
	return done;
}
