/* SPDX-License-Identifier: MIT */
/*
 * libkipc: the C interface to kipc, L4-style synchronous IPC for Linux.
 *
 * Every function returns 0 (or a file descriptor) on success and -errno on
 * failure, like liburing; errno itself is left alone.  The IPC operations
 * are inline: one ioctl each.
 *
 * A struct kipc_ctx is one context: a message area and the state of one
 * thread's IPC.  Use one per thread; a context is not inherited by fork().
 */
#ifndef LIBKIPC_H
#define LIBKIPC_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <linux/kipc.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kipc_ctx {
	int fd;				/* the context: an open of /dev/kipc */
	struct kipc_utcb *utcb;		/* its message area */
};

/*
 * Open a context (O_CLOEXEC) and map its message area; on failure the
 * context is left closed.
 */
int kipc_ctx_open(struct kipc_ctx *ctx);
/*
 * Unmap and close; a reply still owed is given up (ECONNRESET).  Safe on
 * a closed context, and on a zeroed one that was never opened.
 */
void kipc_ctx_close(struct kipc_ctx *ctx);
/* Ask the module for its ABI version and features. */
int kipc_version(struct kipc_ctx *ctx, struct kipc_version *v);
/*
 * New endpoint; returns a handle fd with all rights, or -errno.  @flags:
 * KIPC_FD_INHERIT, KIPC_EP_NO_INHERIT (servers keep their own priority),
 * KIPC_EP_ACCOUNT (served time per call, totals per badge and uid).
 */
int kipc_ep_create(struct kipc_ctx *ctx, unsigned int flags);
/*
 * The same with KIPC_EP_FLOOR: its servers run at least at @policy
 * (SCHED_FIFO, SCHED_RR: @priority 1..99; SCHED_OTHER, SCHED_BATCH: a nice
 * value) while they serve a call.  EPERM if the caller could not give
 * itself that priority.
 */
int kipc_ep_create_floor(struct kipc_ctx *ctx, unsigned int flags,
			 int policy, int priority);
/*
 * Derive a handle with @rights; with KIPC_MINT_BADGE in @flags, @badge.
 * Here and in kipc_publish(), kipc_unpublish(), kipc_ntfn_bind(),
 * kipc_ntfn_unbind() and kipc_ntfn_signal(), @ctx may be NULL (ABI 1.6,
 * KIPC_FEAT_OBJ_IOCTL): the ioctl then goes to the object's own descriptor.
 */
int kipc_ep_mint(struct kipc_ctx *ctx, int ep, unsigned int rights,
		 uint64_t badge, unsigned int flags);
/*
 * Publish @ep (a handle with KIPC_RIGHT_RECV) as @name in the caller's IPC
 * namespace, owned by the caller's fsuid/fsgid with permission bits @mode
 * (a lookup needs the write bit of its class).  @flags: KIPC_PUBLISH_BADGE
 * (lookups get @badge), KIPC_PUBLISH_GRANT (lookups get GRANT too).
 */
int kipc_publish(struct kipc_ctx *ctx, const char *name, int ep,
		 unsigned int mode, unsigned int flags, uint64_t badge);
/* Withdraw @name; @ep must be a receive handle of the named endpoint. */
int kipc_unpublish(struct kipc_ctx *ctx, const char *name, int ep);
/* A send handle for @name (@flags: KIPC_FD_INHERIT), or -errno. */
int kipc_lookup(struct kipc_ctx *ctx, const char *name, unsigned int flags);
/*
 * A pidfd (O_CLOEXEC) for the process whose call @ctx holds the reply
 * right for, checked to be that process and not a reuse of its pid; the
 * pid is stored in *@pid if @pid is not NULL.  -ENOENT: no reply right;
 * -ECONNRESET: the caller is gone; -ESRCH: it is not visible in our pid
 * namespace.
 */
int kipc_caller_pidfd(struct kipc_ctx *ctx, int *pid);
/* A short description of an error returned by libkipc (-errno). */
const char *kipc_strerror(int err);

/* The message registers of the context. */
static inline __u64 *kipc_mr(struct kipc_ctx *ctx)
{
	return ctx->utcb->mr;
}

/*
 * Accept up to @n (0..KIPC_MSG_FDS) descriptors in messages received from
 * now on (recv, reply_recv, the reply of call).  Received descriptors are
 * O_CLOEXEC and listed in kipc_fds(ctx); KIPC_TAG_FDS(kipc_tag(ctx)) says
 * how many.
 */
static inline void kipc_accept_fds(struct kipc_ctx *ctx, unsigned int n)
{
	ctx->utcb->fd_max = n;
}

/* The descriptor array: to pass on send, received on receive. */
static inline __s32 *kipc_fds(struct kipc_ctx *ctx)
{
	return ctx->utcb->fds;
}

/* The tag of the last message received into the context. */
static inline uint64_t kipc_tag(const struct kipc_ctx *ctx)
{
	return ctx->utcb->tag;
}

/*
 * What the kernel wrote with the last message received: the badge of the
 * sender's handle, the sender's pid, effective uid and gid as the
 * receiver's namespaces see them, the descriptors it carried (listed in
 * kipc_fds()), and the status word, which describes the last operation
 * (KIPC_ST_*).
 */
static inline uint64_t kipc_badge(const struct kipc_ctx *ctx)
{
	return ctx->utcb->badge;
}

static inline pid_t kipc_pid(const struct kipc_ctx *ctx)
{
	return ctx->utcb->pid;
}

static inline uid_t kipc_uid(const struct kipc_ctx *ctx)
{
	return ctx->utcb->uid;
}

static inline gid_t kipc_gid(const struct kipc_ctx *ctx)
{
	return ctx->utcb->gid;
}

static inline unsigned int kipc_nfds(const struct kipc_ctx *ctx)
{
	return KIPC_TAG_FDS(ctx->utcb->tag);
}

static inline uint32_t kipc_status(const struct kipc_ctx *ctx)
{
	return ctx->utcb->status;
}

/* In a call's reply through a KIPC_EP_ACCOUNT endpoint: the server's CPU time on it (ns), else 0. */
static inline uint64_t kipc_served_ns(const struct kipc_ctx *ctx)
{
	return ctx->utcb->status & KIPC_ST_SERVED ? ctx->utcb->served_ns : 0;
}

/*
 * Messages as byte streams over the registers, with bounds checks: a
 * writer appends values from register 0 on and kipc_msg_tag() gives the
 * tag that sends just the registers used (the rest of the last one
 * zeroed); a reader takes them back in the same order from a received
 * message, never past the registers its tag counts.  Values are stored in
 * the host's byte order, unaligned; a string is its bytes and a NUL.  The
 * first error sticks (m->err, and every later call returns it): -EMSGSIZE
 * when a value does not fit in the 64 registers or in the caller's
 * buffer, -EBADMSG when a reader runs past the end or finds no NUL.
 */
struct kipc_msg {
	unsigned char *p;	/* the registers, as bytes */
	unsigned int len;	/* written, or what the message holds */
	unsigned int pos;	/* a reader's position */
	int err;
};

#define KIPC_MSG_BYTES		(KIPC_MSG_REGS * 8)

/* Start a message to send in @ctx's registers. */
static inline void kipc_msg_begin(struct kipc_msg *m, struct kipc_ctx *ctx)
{
	m->p = (unsigned char *)ctx->utcb->mr;
	m->len = 0;
	m->pos = 0;
	m->err = 0;
}

static inline int kipc_msg_put_bytes(struct kipc_msg *m, const void *v,
				     size_t n)
{
	if (m->err)
		return m->err;
	if (n > KIPC_MSG_BYTES - m->len)
		return m->err = -EMSGSIZE;
	memcpy(m->p + m->len, v, n);
	m->len += n;
	return 0;
}

static inline int kipc_msg_put_u32(struct kipc_msg *m, uint32_t v)
{
	return kipc_msg_put_bytes(m, &v, sizeof(v));
}

static inline int kipc_msg_put_u64(struct kipc_msg *m, uint64_t v)
{
	return kipc_msg_put_bytes(m, &v, sizeof(v));
}

static inline int kipc_msg_put_str(struct kipc_msg *m, const char *s)
{
	return kipc_msg_put_bytes(m, s, strlen(s) + 1);
}

/*
 * The tag that sends what was written with @label (descriptors: add them
 * with KIPC_TAG_WITH_FDS()); its registers' unused tail is zeroed.
 */
static inline uint64_t kipc_msg_tag(struct kipc_msg *m, uint64_t label)
{
	unsigned int words = (m->len + 7) / 8;

	memset(m->p + m->len, 0, words * 8 - m->len);
	return KIPC_TAG(label, words);
}

/* Start reading the message received into @ctx. */
static inline void kipc_msg_read(struct kipc_msg *m, struct kipc_ctx *ctx)
{
	m->p = (unsigned char *)ctx->utcb->mr;
	m->len = KIPC_TAG_NR(ctx->utcb->tag) * 8;
	m->pos = 0;
	m->err = 0;
}

/* Bytes left to read. */
static inline unsigned int kipc_msg_left(const struct kipc_msg *m)
{
	return m->len - m->pos;
}

static inline int kipc_msg_get_bytes(struct kipc_msg *m, void *v, size_t n)
{
	if (m->err)
		return m->err;
	if (n > m->len - m->pos)
		return m->err = -EBADMSG;
	memcpy(v, m->p + m->pos, n);
	m->pos += n;
	return 0;
}

static inline int kipc_msg_get_u32(struct kipc_msg *m, uint32_t *v)
{
	return kipc_msg_get_bytes(m, v, sizeof(*v));
}

static inline int kipc_msg_get_u64(struct kipc_msg *m, uint64_t *v)
{
	return kipc_msg_get_bytes(m, v, sizeof(*v));
}

/*
 * A string into @buf of @size bytes (NUL included): -EBADMSG if the
 * message has no NUL before its end, -EMSGSIZE if it does not fit.
 */
static inline int kipc_msg_get_str(struct kipc_msg *m, char *buf, size_t size)
{
	const unsigned char *nul;
	size_t n;

	if (m->err)
		return m->err;
	nul = memchr(m->p + m->pos, 0, m->len - m->pos);
	if (!nul)
		return m->err = -EBADMSG;
	n = nul - (m->p + m->pos) + 1;
	if (n > size)
		return m->err = -EMSGSIZE;
	return kipc_msg_get_bytes(m, buf, n);
}

/*
 * Registered endpoints (ABI 1.2, KIPC_FEAT_AREA_ARGS).  A context has
 * KIPC_SLOTS slots; kipc_register() puts an endpoint handle in one, and
 * KIPC_SLOT(n) then names it wherever an endpoint descriptor goes in the
 * calls below: the operation takes its arguments from the message area
 * and the kernel does no descriptor lookup.  The slot holds the handle
 * like a duplicate descriptor until kipc_unregister() or kipc_ctx_close().
 */
#define KIPC_SLOT(n)		(-2 - (int)(n))
#define KIPC_IS_SLOT(ep)	((ep) <= -2 && (ep) > -2 - KIPC_SLOTS)

int kipc_register(struct kipc_ctx *ctx, unsigned int slot, int ep);
int kipc_unregister(struct kipc_ctx *ctx, unsigned int slot);

/*
 * A pool of contexts for a server that keeps several operations in flight
 * (io_uring: one context per operation): kipc_pool_open() opens @n,
 * kipc_pool_get() hands out a free one (NULL when all are in use: keep no
 * more operations in flight), kipc_pool_put() takes it back once its
 * operation is over and no reply is owed from it (its reply right would
 * go to the next user), kipc_pool_index() numbers it (for user data), and
 * kipc_pool_close() closes them all.
 */
struct kipc_pool {
	struct kipc_ctx *ctx;		/* the contexts */
	unsigned int *free;		/* indexes of the free ones */
	unsigned int n, nfree;
};

int kipc_pool_open(struct kipc_pool *p, unsigned int n);
void kipc_pool_close(struct kipc_pool *p);
struct kipc_ctx *kipc_pool_get(struct kipc_pool *p);
int kipc_pool_put(struct kipc_pool *p, struct kipc_ctx *ctx);

static inline unsigned int kipc_pool_index(const struct kipc_pool *p,
					   const struct kipc_ctx *ctx)
{
	return ctx - p->ctx;
}

static inline int kipc__ioctl(struct kipc_ctx *ctx, unsigned long cmd,
			      int ep, uint64_t send_timeout,
			      uint64_t recv_timeout)
{
	struct kipc_ipc a = {
		.fd = ep,
		.send_timeout = send_timeout,
		.recv_timeout = recv_timeout,
	};

	return ioctl(ctx->fd, cmd, &a) < 0 ? -errno : 0;
}

/*
 * The ioctl of the operations that take their arguments from the message
 * area, without libc's variadic ioctl() on x86-64 (as liburing enters
 * io_uring); -errno on failure.
 */
static inline int kipc__area_ioctl(int fd, unsigned long cmd)
{
#if defined(__x86_64__) && defined(__NR_ioctl)
	long ret;

	__asm__ volatile ("syscall"
			  : "=a" (ret)
			  : "0" ((long)__NR_ioctl), "D" ((long)fd), "S" (cmd),
			    "d" (0L)
			  : "rcx", "r11", "memory");
	return (int)ret;
#else
	return ioctl(fd, cmd, 0) < 0 ? -errno : 0;
#endif
}

/* @cmd (ABI 1.0) on a descriptor, @area_cmd (ABI 1.2) on a slot. */
static inline int kipc__op(struct kipc_ctx *ctx, unsigned long cmd,
			   unsigned long area_cmd, int ep,
			   uint64_t send_timeout, uint64_t recv_timeout)
{
	if (KIPC_IS_SLOT(ep)) {
		struct kipc_area_args *u = &ctx->utcb->args;

		u->ep = KIPC_SLOT(0) - ep;
		u->flags = KIPC_ARGS_SLOT;
		u->send_timeout = send_timeout;
		u->recv_timeout = recv_timeout;
		u->__reserved = 0;
		return kipc__area_ioctl(ctx->fd, area_cmd);
	}
	return kipc__ioctl(ctx, cmd, ep, send_timeout, recv_timeout);
}

/* Send @tag and its registers to @ep; wait up to @timeout for a receiver. */
static inline int kipc_send(struct kipc_ctx *ctx, int ep, uint64_t tag,
			    uint64_t timeout)
{
	ctx->utcb->tag = tag;
	return kipc__op(ctx, KIPC_IOC_SEND, KIPC_IOC_MSEND, ep, timeout, 0);
}

/* Wait up to @timeout for a message on @ep. */
static inline int kipc_recv(struct kipc_ctx *ctx, int ep, uint64_t timeout)
{
	return kipc__op(ctx, KIPC_IOC_RECV, KIPC_IOC_MRECV, ep, 0, timeout);
}

/*
 * Send @tag and its registers to @ep and wait for the reply, which replaces
 * them.  @timeout bounds the whole call.
 */
static inline int kipc_call(struct kipc_ctx *ctx, int ep, uint64_t tag,
			    uint64_t timeout)
{
	ctx->utcb->tag = tag;
	return kipc__op(ctx, KIPC_IOC_CALL, KIPC_IOC_MCALL, ep, timeout, timeout);
}

/* send_recv and forward_recv: @cmd to @send_ep, then receive on @recv_ep. */
static inline int kipc__send_recv(struct kipc_ctx *ctx, unsigned long cmd,
				  int send_ep, uint64_t tag, int recv_ep,
				  uint64_t send_timeout, uint64_t recv_timeout)
{
	struct kipc_area_args *u = &ctx->utcb->args;
	int slot = KIPC_IS_SLOT(send_ep);

	if (slot != KIPC_IS_SLOT(recv_ep))
		return -EINVAL;
	ctx->utcb->tag = tag;
	u->ep = slot ? KIPC_SLOT(0) - send_ep : send_ep;
	u->flags = slot ? KIPC_ARGS_SLOT : 0;
	u->send_timeout = send_timeout;
	u->recv_timeout = recv_timeout;
	u->recv_ep = slot ? KIPC_SLOT(0) - recv_ep : recv_ep;
	u->__pad = 0;
	return kipc__area_ioctl(ctx->fd, cmd);
}

/*
 * Send @tag and its registers one way to @send_ep (waiting up to
 * @send_timeout for a receiver), then wait up to @recv_timeout for a
 * message on @recv_ep, in one kernel entry (ABI 1.3, KIPC_FEAT_SEND_RECV).
 * Both are slots or both descriptors (-EINVAL otherwise).  After an error,
 * KIPC_ST_SENT in ctx->utcb->status says the message went out.
 */
static inline int kipc_send_recv(struct kipc_ctx *ctx, int send_ep,
				 uint64_t tag, int recv_ep,
				 uint64_t send_timeout, uint64_t recv_timeout)
{
	return kipc__send_recv(ctx, KIPC_IOC_MSEND_RECV, send_ep, tag, recv_ep,
			       send_timeout, recv_timeout);
}

/*
 * Forward (ABI 1.7, KIPC_FEAT_FORWARD): hand the call @ctx received on to
 * @ep with @tag and the registers in the area, waiting up to @timeout for
 * a receiver.  The reply right goes with it: that receiver answers the
 * original caller, and sees the caller's pid, uid and gid, the badge of
 * @ep and KIPC_ST_FORWARDED.  On success @ctx owes no reply any more.
 */
static inline int kipc_forward(struct kipc_ctx *ctx, int ep, uint64_t tag,
			       uint64_t timeout)
{
	ctx->utcb->tag = tag;
	return kipc__op(ctx, KIPC_IOC_FORWARD, KIPC_IOC_MFORWARD, ep, timeout, 0);
}

/*
 * A proxy's loop in one kernel entry: kipc_forward() to @fwd_ep, then wait
 * up to @recv_timeout for the next message on @recv_ep, as
 * kipc_send_recv() does (KIPC_ST_SENT: the forward was done).
 */
static inline int kipc_forward_recv(struct kipc_ctx *ctx, int fwd_ep,
				    uint64_t tag, int recv_ep,
				    uint64_t send_timeout, uint64_t recv_timeout)
{
	return kipc__send_recv(ctx, KIPC_IOC_MFORWARD_RECV, fwd_ep, tag, recv_ep,
			       send_timeout, recv_timeout);
}

/* How many times the call received was forwarded on its way (0: never). */
static inline unsigned int kipc_hops(const struct kipc_ctx *ctx)
{
	uint32_t st = ctx->utcb->status;

	return st & KIPC_ST_FORWARDED ? KIPC_ST_HOPS(st) : 0;
}

/*
 * kipc_call() with a timeout for the send phase (waiting for a receiver)
 * and one for the whole call.
 */
static inline int kipc_call_timeouts(struct kipc_ctx *ctx, int ep,
				     uint64_t tag, uint64_t send_timeout,
				     uint64_t recv_timeout)
{
	ctx->utcb->tag = tag;
	return kipc__op(ctx, KIPC_IOC_CALL, KIPC_IOC_MCALL, ep, send_timeout,
			recv_timeout);
}

/* Reply to the caller whose message was received last.  Never blocks. */
static inline int kipc_reply(struct kipc_ctx *ctx, uint64_t tag)
{
	ctx->utcb->tag = tag;
	return kipc__ioctl(ctx, KIPC_IOC_REPLY, -1, 0, 0);
}

/*
 * The server loop: reply to the last caller (if one waits for a reply)
 * and wait up to @timeout for the next message on @ep, in one entry.
 */
static inline int kipc_reply_recv(struct kipc_ctx *ctx, int ep, uint64_t tag,
				  uint64_t timeout)
{
	ctx->utcb->tag = tag;
	return kipc__op(ctx, KIPC_IOC_REPLY_RECV, KIPC_IOC_MREPLY_RECV, ep, 0, timeout);
}

/*
 * Notifications (ABI 1.1, KIPC_FEAT_NOTIFY): a word of 64 bits.  Signal
 * ORs bits in and never blocks; wait takes and clears every pending bit,
 * which it leaves in kipc_ntfn_bits() (status has KIPC_ST_NOTIFY).
 */

/* New notification; returns its fd (O_CLOEXEC unless KIPC_FD_INHERIT). */
int kipc_ntfn_create(struct kipc_ctx *ctx, unsigned int flags);
/* Bind @ntfn to endpoint @ep (needs RECV): recv on @ep also returns bits. */
int kipc_ntfn_bind(struct kipc_ctx *ctx, int ntfn, int ep);
/* Undo kipc_ntfn_bind(). */
int kipc_ntfn_unbind(struct kipc_ctx *ctx, int ntfn, int ep);

static inline int kipc__ntfn(struct kipc_ctx *ctx, unsigned long cmd, int ntfn,
			     uint64_t bits, uint64_t timeout)
{
	struct kipc_notify a = {
		.fd = ctx ? ntfn : KIPC_FD_SELF,
		.bits = bits,
		.timeout = timeout,
	};

	/* Without a context, on the notification's own descriptor (ABI 1.6). */
	return ioctl(ctx ? ctx->fd : ntfn, cmd, &a) < 0 ? -errno : 0;
}

/*
 * OR @bits (not 0) into @ntfn; wakes one waiter.  Never blocks.  @ctx may
 * be NULL (ABI 1.6).
 */
static inline int kipc_ntfn_signal(struct kipc_ctx *ctx, int ntfn,
				   uint64_t bits)
{
	return kipc__ntfn(ctx, KIPC_IOC_NTFN_SIGNAL, ntfn, bits, 0);
}

/*
 * Wait up to @timeout for bits on @ntfn and take them all (see
 * kipc_ntfn_bits()); KIPC_TIMEOUT_POLL: -EAGAIN at once if none is set.
 */
static inline int kipc_ntfn_wait(struct kipc_ctx *ctx, int ntfn,
				 uint64_t timeout)
{
	return kipc__ntfn(ctx, KIPC_IOC_NTFN_WAIT, ntfn, 0, timeout);
}

/* The bits the last wait (or recv through a bound notification) took. */
static inline uint64_t kipc_ntfn_bits(const struct kipc_ctx *ctx)
{
	return ctx->utcb->badge;
}

/* Did the last recv or wait return notification bits (not a message)? */
static inline int kipc_is_notification(const struct kipc_ctx *ctx)
{
	return !!(ctx->utcb->status & KIPC_ST_NOTIFY);
}

/*
 * End the operation waiting on @ctx (from another thread, or one submitted
 * through io_uring) with -ECANCELED.  Returns 0 or -ENOENT (none waits).
 */
static inline int kipc_cancel(struct kipc_ctx *ctx)
{
	struct kipc_cancel a = { .flags = 0 };

	return ioctl(ctx->fd, KIPC_IOC_CANCEL, &a) < 0 ? -errno : 0;
}

#ifdef __cplusplus
}
#endif

/*
 * Memory windows (ABI 1.5, kipc_win(3)).  A caller names up to
 * KIPC_MSG_WINS ranges of its memory with kipc_win_set() (window @i of the
 * next message; the tag says how many: KIPC_TAG_WITH_WINS()); the server
 * of the call copies out of a READ window and into a WRITE window while
 * the call waits for its reply.  Each returns the bytes copied or
 * -errno.
 */
struct iovec;

static inline void kipc_win_set(struct kipc_ctx *ctx, unsigned int i,
				const void *addr, size_t len, unsigned int flags)
{
	struct kipc_window *w = &ctx->utcb->win[i];

	w->addr = (uintptr_t)addr;
	w->len = len;
	w->flags = flags;
	w->__reserved = 0;
}

/* In a received message: how many windows, window @i's length and bits. */
static inline unsigned int kipc_nwins(const struct kipc_ctx *ctx)
{
	return KIPC_TAG_WINS(ctx->utcb->tag);
}

static inline uint64_t kipc_win_len(const struct kipc_ctx *ctx, unsigned int i)
{
	return ctx->utcb->win[i].len;
}

static inline unsigned int kipc_win_flags(const struct kipc_ctx *ctx,
					  unsigned int i)
{
	return ctx->utcb->win[i].flags;
}

ssize_t kipc_win_read(struct kipc_ctx *ctx, unsigned int win, uint64_t off,
		      void *buf, size_t len);
ssize_t kipc_win_write(struct kipc_ctx *ctx, unsigned int win, uint64_t off,
		       const void *buf, size_t len);
ssize_t kipc_win_readv(struct kipc_ctx *ctx, unsigned int win, uint64_t off,
		       const struct iovec *iov, int iovcnt);
ssize_t kipc_win_writev(struct kipc_ctx *ctx, unsigned int win, uint64_t off,
			const struct iovec *iov, int iovcnt);
/* Post (@len > 0) or remove (NULL, 0) the context's receive buffer. */
int kipc_rbuf_set(struct kipc_ctx *ctx, void *buf, size_t len);

/*
 * Exposed regions (ABI 1.5, kipc_region(3)): kipc_region_create() exposes
 * [@addr, @addr + @len) of the caller's memory and returns a handle with
 * @rights (KIPC_REGION_READ, _WRITE, _GRANT); holders put into and get out
 * of it by offset.  Each returns the bytes copied (put, get), a new
 * descriptor (create, mint), 0, or -errno.
 */
int kipc_region_create(struct kipc_ctx *ctx, void *addr, size_t len,
		       unsigned int rights, unsigned int flags);
int kipc_region_mint(int region, unsigned int rights, unsigned int flags);
ssize_t kipc_region_put(int region, uint64_t off, const void *buf, size_t len,
			unsigned int flags);
ssize_t kipc_region_get(int region, uint64_t off, void *buf, size_t len);
ssize_t kipc_region_putv(int region, uint64_t off, const struct iovec *iov,
			 int iovcnt, unsigned int flags);
ssize_t kipc_region_getv(int region, uint64_t off, const struct iovec *iov,
			 int iovcnt);
int kipc_region_bind(int region, int ntfn, uint64_t bits);
int kipc_region_revoke(int region);
int kipc_region_info(int region, struct kipc_region_info *info);

#endif /* LIBKIPC_H */
