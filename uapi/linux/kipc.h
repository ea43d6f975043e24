/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * kipc: L4-style synchronous IPC for Linux - the user/kernel contract.
 *
 * Opening /dev/kipc creates a *context*: one message area (struct
 * kipc_utcb, one page) that the caller maps with mmap() and owns for as
 * long as the file stays open.  Every IPC operation is an ioctl on a
 * context and names an *endpoint* by file descriptor.  The message is
 * taken from the sending context's area and copied once, by the kernel,
 * straight into the receiving context's area.
 *
 * Rules of this header (it is a contract and is only ever extended):
 *  - all structures use fixed-width types and explicit padding;
 *  - every structure has a flags word and reserved fields that must be 0;
 *  - every ioctl number encodes the size of its argument;
 *  - all numbers share the magic KIPC_IOC_MAGIC.
 */
#ifndef _UAPI_LINUX_KIPC_H
#define _UAPI_LINUX_KIPC_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KIPC_DEVICE		"/dev/kipc"

/* Interface version reported by KIPC_IOC_VERSION. */
#define KIPC_ABI_MAJOR		1
#define KIPC_ABI_MINOR		7

/* Number of 64-bit message registers in a message area. */
#define KIPC_MSG_REGS		64

/* Most file descriptors one message can carry. */
#define KIPC_MSG_FDS		8

/* Memory windows one call can carry (ABI 1.5, struct kipc_utcb.win). */
#define KIPC_MSG_WINS		8

/* Largest receive buffer of a context (ABI 1.5, KIPC_IOC_WIN_RBUF). */
#define KIPC_RBUF_MAX		65536

/* Most times one call may be forwarded (ABI 1.7, KIPC_IOC_FORWARD). */
#define KIPC_FWD_HOPS_MAX	8

/* Registered endpoint handles per context (ABI 1.2, KIPC_IOC_REGISTER). */
#define KIPC_SLOTS		16

/* Size of the message area: mmap it MAP_SHARED at offset 0 of a context. */
#define KIPC_UTCB_SIZE		4096

/*
 * The message tag (struct kipc_utcb.tag):
 *
 *   bits  0..6   number of message registers that carry data (0..64)
 *   bits  7..15  flags: KIPC_TAG_F_* (kernel-set on receive; on send
 *                KIPC_TAG_F_CALL is ignored and the others must be 0)
 *                except bits 8..11, the number of file descriptors the
 *                message carries (0..KIPC_MSG_FDS, see struct kipc_utcb),
 *                and bits 12..15 (ABI 1.5), the number of memory windows
 *                (0..KIPC_MSG_WINS, struct kipc_window)
 *   bits 16..63  label, 48 bits chosen freely by the sender
 */
#define KIPC_TAG_NR_MASK	0x7fULL
#define KIPC_TAG_FLAGS_SHIFT	7
#define KIPC_TAG_FLAGS_MASK	(0x1ffULL << KIPC_TAG_FLAGS_SHIFT)
#define KIPC_TAG_LABEL_SHIFT	16
#define KIPC_TAG_LABEL_MAX	((1ULL << 48) - 1)

/* Set on a received message when the sender waits for a reply (call). */
#define KIPC_TAG_F_CALL		(1ULL << KIPC_TAG_FLAGS_SHIFT)

/* Number of file descriptors carried: bits 8..11 (values above 8 invalid). */
#define KIPC_TAG_FDS_SHIFT	8
#define KIPC_TAG_FDS_MASK	(0xfULL << KIPC_TAG_FDS_SHIFT)

/* Number of memory windows: bits 12..15 (ABI 1.5; values above 8 invalid). */
#define KIPC_TAG_WINS_SHIFT	12
#define KIPC_TAG_WINS_MASK	(0xfULL << KIPC_TAG_WINS_SHIFT)

#define KIPC_TAG(label, nr) \
	((((__u64)(label)) << KIPC_TAG_LABEL_SHIFT) | ((__u64)(nr) & KIPC_TAG_NR_MASK))
#define KIPC_TAG_NR(tag)	((unsigned int)((tag) & KIPC_TAG_NR_MASK))
#define KIPC_TAG_LABEL(tag)	((__u64)(tag) >> KIPC_TAG_LABEL_SHIFT)
#define KIPC_TAG_FDS(tag) \
	((unsigned int)(((tag) & KIPC_TAG_FDS_MASK) >> KIPC_TAG_FDS_SHIFT))
/* @tag with its descriptor count set to @n. */
#define KIPC_TAG_WITH_FDS(tag, n) \
	(((__u64)(tag) & ~KIPC_TAG_FDS_MASK) | \
	 (((__u64)(n) << KIPC_TAG_FDS_SHIFT) & KIPC_TAG_FDS_MASK))
#define KIPC_TAG_WINS(tag) \
	((unsigned int)(((tag) & KIPC_TAG_WINS_MASK) >> KIPC_TAG_WINS_SHIFT))
/* @tag with its window count set to @n. */
#define KIPC_TAG_WITH_WINS(tag, n) \
	(((__u64)(tag) & ~KIPC_TAG_WINS_MASK) | \
	 (((__u64)(n) << KIPC_TAG_WINS_SHIFT) & KIPC_TAG_WINS_MASK))

/* struct kipc_utcb.status bits, written by the kernel. */
/* reply_recv: a reply right was held but its caller had gone. */
#define KIPC_ST_REPLY_LOST	(1U << 0)
/*
 * send_recv (ABI 1.3): its send phase delivered the message, whatever the
 * receive phase then did: after an error with this bit, do not send again.
 */
#define KIPC_ST_SENT		(1U << 1)
/*
 * call (ABI 1.4): the reply came through an endpoint created with
 * KIPC_EP_ACCOUNT and @served_ns holds the server's CPU time on the call.
 */
#define KIPC_ST_SERVED		(1U << 2)
/*
 * recv, reply_recv (ABI 1.7): the call received was forwarded
 * (KIPC_IOC_FORWARD) on its way here, as many times as
 * KIPC_ST_HOPS(status) says (1..KIPC_FWD_HOPS_MAX); @pid, @uid and @gid
 * are the original caller's, @badge that of the handle the last forwarder
 * used.
 */
#define KIPC_ST_FORWARDED	(1U << 3)
#define KIPC_ST_HOPS_SHIFT	4
#define KIPC_ST_HOPS_MASK	(0xfU << KIPC_ST_HOPS_SHIFT)
#define KIPC_ST_HOPS(st)	(((st) & KIPC_ST_HOPS_MASK) >> KIPC_ST_HOPS_SHIFT)
/*
 * recv, reply_recv (through a bound notification) and notification wait:
 * what arrived is not a message but notification bits, which are in
 * @badge (tag 0, pid 0, uid and gid (__u32)-1, registers untouched).
 */
#define KIPC_ST_NOTIFY		(1U << 8)

/* struct kipc_area_args.flags */
#define KIPC_ARGS_SLOT		(1U << 0)	/* @ep is a registered slot */

/**
 * struct kipc_area_args - an operation's arguments in the message area
 * (ABI 1.2: KIPC_IOC_MSEND, _MRECV, _MCALL, _MREPLY, _MREPLY_RECV; ABI
 * 1.3: KIPC_IOC_MSEND_RECV; ABI 1.7: KIPC_IOC_MFORWARD, _MFORWARD_RECV)
 * @ep:		endpoint handle: a file descriptor, or with KIPC_ARGS_SLOT
 *		the number of a slot registered with KIPC_IOC_REGISTER
 *		(0..KIPC_SLOTS-1); KIPC_IOC_MREPLY takes none and wants -1.
 *		KIPC_IOC_MSEND_RECV sends to it, KIPC_IOC_MFORWARD and
 *		_MFORWARD_RECV forward to it.
 * @flags:	KIPC_ARGS_SLOT or 0 (for both endpoints of a send_recv).
 * @send_timeout: as in struct kipc_ipc.
 * @recv_timeout: as in struct kipc_ipc.
 * @__reserved:	must be 0, except for KIPC_IOC_MSEND_RECV and
 *		_MFORWARD_RECV, which read
 * @recv_ep:	the endpoint it receives on (a descriptor or slot, as @ep) and
 * @__pad:	which must be 0.
 *
 * The same operations as KIPC_IOC_SEND ... _REPLY_RECV, without an
 * argument to copy in: a loop that calls or serves through one endpoint
 * writes these once and then only the message.  Through a registered slot
 * the kernel does not even look the descriptor up.
 */
struct kipc_area_args {
	__s32 ep;
	__u32 flags;
	__u64 send_timeout;
	__u64 recv_timeout;
	union {
		__u64 __reserved;
		struct {
			__s32 recv_ep;
			__u32 __pad;
		};
	};
};

/* struct kipc_window.flags */
#define KIPC_WIN_READ		(1U << 0)	/* the server may read it */
#define KIPC_WIN_WRITE		(1U << 1)	/* the server may write it */
/* out: the window's bytes are at the start of the receive buffer */
#define KIPC_WIN_COPIED		(1U << 2)

/**
 * struct kipc_window - a memory window of a call (ABI 1.5)
 * @addr:	sending: the start of the window in the caller's memory;
 *		received: 0 (a server never learns the caller's addresses).
 * @len:	its length in bytes (0 is allowed: nothing to access).
 * @flags:	sending: KIPC_WIN_READ and/or KIPC_WIN_WRITE, not 0;
 *		received: the same, plus KIPC_WIN_COPIED when the window was
 *		copied into the receiver's buffer (KIPC_IOC_WIN_RBUF).
 * @__reserved:	sending: must be 0; received: 0.
 *
 * A caller names up to KIPC_MSG_WINS windows of its own memory in
 * struct kipc_utcb @win and their number in the tag (KIPC_TAG_WINS).
 * While the call waits for its reply, the context that received it, and
 * only it, may copy out of a READ window and into a WRITE window with
 * KIPC_IOC_WIN_READ and _WRITE.  The windows end when the call ends:
 * reply, cancel, timeout, signal, death of either side.  Nothing is
 * mapped or buffered: each access copies straight between the two
 * address spaces.  The caller's bytes may change while the server reads
 * them: a server validates what it copied, never the caller's memory
 * twice.
 *
 * A send (not a call) may carry one READ window, delivered only into the
 * receive buffer of the receiving context (KIPC_IOC_WIN_RBUF): once the
 * message is delivered the sender waits, without a deadline, until the
 * receive that took it ends with the copy (0, or EFAULT when it could not
 * be made: the receiver got the message without KIPC_WIN_COPIED).  A
 * reply and a send_recv carry none.
 */
struct kipc_window {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct kipc_utcb - the message area of one context (mmap offset 0)
 * @tag:	message tag; the sender fills it in, the kernel writes the
 *		delivered tag into the receiver's area.
 * @badge:	out: badge of the handle the message was sent through.
 * @pid:	out: sender's thread group id in the receiver's pid namespace
 *		(0 if the sender is not visible there).
 * @uid:	out: sender's effective uid in the receiver's user namespace.
 * @gid:	out: sender's effective gid in the receiver's user namespace.
 * @status:	out: KIPC_ST_* bits describing the last operation.
 * @args:	in: the arguments of the operations that take theirs from
 *		the message area (KIPC_IOC_MSEND ... _MREPLY_RECV, ABI 1.2);
 *		read once when such an operation starts, never written, and
 *		ignored by every other operation (ABI 1.1 called these four
 *		words @__reserved, which remains their name).
 * @mr:		message registers; the first KIPC_TAG_NR(tag) are copied.
 * @fd_max:	in: how many file descriptors this context accepts in a
 *		received message (recv, reply_recv, and the reply of call),
 *		0..KIPC_MSG_FDS; read when the operation starts.
 * @__pad:	neither read nor written by the kernel.
 * @fds:	sending: the first KIPC_TAG_FDS(tag) entries are the
 *		descriptors to pass (they stay open in the sender);
 *		receiving: the new descriptors (O_CLOEXEC), as many as
 *		KIPC_TAG_FDS of the delivered tag.
 * @served_ns:	out (ABI 1.4): with KIPC_ST_SERVED in @status (the reply
 *		of a call through an endpoint created with KIPC_EP_ACCOUNT),
 *		the CPU time in nanoseconds that the server's thread spent on
 *		the call, from the end of the receive that delivered it to the
 *		reply; not written otherwise.
 * @win:	(ABI 1.5) sending: the first KIPC_TAG_WINS(tag) entries are
 *		the message's memory windows; receiving: their lengths and
 *		access bits, as many as KIPC_TAG_WINS of the delivered tag.
 *
 * Registers past the delivered count keep whatever the receiver had in
 * them.  The kernel reads @tag, @mr, @fd_max and @fds of the sender and
 * writes every field of the receiver but @fd_max, @__pad and @fds past
 * the delivered count; user space may touch any field at any time, it
 * can only hurt itself.
 *
 * Passing descriptors needs KIPC_RIGHT_GRANT on the handle the message
 * goes through (for a reply: on the handle the call was received through),
 * and every kipc endpoint handle passed must itself carry KIPC_RIGHT_GRANT.
 * A receiving operation reserves up to @fd_max descriptor numbers when it
 * starts (fewer if its fd table is full); a message with more descriptors
 * than the receiver reserved is not delivered and its sender fails with
 * EMSGSIZE.  Delivery installs all the descriptors or none.
 */
struct kipc_utcb {
	__u64 tag;
	__u64 badge;
	__s32 pid;
	__u32 uid;
	__u32 gid;
	__u32 status;
	union {
		__u64 __reserved[4];
		struct kipc_area_args args;
	};
	__u64 mr[KIPC_MSG_REGS];
	__u32 fd_max;
	__u32 __pad;
	__s32 fds[KIPC_MSG_FDS];
	__u64 served_ns;
	struct kipc_window win[KIPC_MSG_WINS];
};

/* Timeouts, in nanoseconds relative to the start of the phase. */
#define KIPC_TIMEOUT_POLL	0ULL
#define KIPC_TIMEOUT_INFINITE	(~0ULL)

/**
 * struct kipc_ipc - argument of the IPC operations
 * @fd:		endpoint handle; KIPC_IOC_REPLY takes none and wants -1.
 * @flags:	must be 0.
 * @send_timeout: how long the send phase (send, call) may wait for a
 *		receiver.
 * @recv_timeout: how long the receive phase (recv, the receive of
 *		reply_recv) may wait; for call, how long the whole call may
 *		take, measured from its start.
 * @__reserved:	must be 0.
 *
 * A timeout of KIPC_TIMEOUT_POLL fails with EAGAIN at once if no partner
 * waits; any other finite value fails with ETIMEDOUT when it expires;
 * KIPC_TIMEOUT_INFINITE never expires.  A timeout an operation does not
 * use is ignored.  A timed-out or interrupted phase has delivered nothing.
 */
struct kipc_ipc {
	__s32 fd;
	__u32 flags;
	__u64 send_timeout;
	__u64 recv_timeout;
	__u64 __reserved[2];
};

/* Rights carried by an endpoint handle. */
#define KIPC_RIGHT_SEND		(1U << 0)	/* send and call */
#define KIPC_RIGHT_RECV		(1U << 1)	/* recv, reply_recv, mint badges */
#define KIPC_RIGHT_GRANT	(1U << 2)	/* may be passed on */
#define KIPC_RIGHTS_ALL		(KIPC_RIGHT_SEND | KIPC_RIGHT_RECV | KIPC_RIGHT_GRANT)
/*
 * ABI 1.7: forward calls through this handle (KIPC_IOC_FORWARD): the
 * endpoint's receivers then see the original callers' pid, uid and gid.
 * The endpoint's owner decides which proxies may speak for their callers:
 * only a mint from a handle with KIPC_RIGHT_RECV (or with this right)
 * gives it, never a create or a lookup.  Not part of KIPC_RIGHTS_ALL.
 */
#define KIPC_RIGHT_FORWARD	(1U << 3)

/* Flags for new handles (create and mint). */
#define KIPC_FD_INHERIT		(1U << 0)	/* no O_CLOEXEC on the new fd */

/* Endpoint flags, in struct kipc_ep_create.flags besides KIPC_FD_INHERIT (ABI 1.4). */
#define KIPC_EP_NO_INHERIT	(1U << 1)	/* servers keep their own priority */
#define KIPC_EP_FLOOR		(1U << 2)	/* servers run at least at the floor */
#define KIPC_EP_ACCOUNT		(1U << 3)	/* served CPU time, per badge and uid */

/**
 * struct kipc_ep_create - argument of KIPC_IOC_EP_CREATE
 * @flags:	KIPC_FD_INHERIT, KIPC_EP_NO_INHERIT, KIPC_EP_FLOOR,
 *		KIPC_EP_ACCOUNT.
 * @__pad:	must be 0.
 * @__reserved:	must be 0, except the first word with KIPC_EP_FLOOR:
 * @floor_policy: SCHED_FIFO, SCHED_RR, SCHED_OTHER or SCHED_BATCH, and
 * @floor_priority: its real-time priority (1..99) or nice value
 *		(-20..19): while a server serves a call through this
 *		endpoint its thread runs at least at this priority.  The
 *		creator must be allowed to give itself that priority
 *		(EPERM), as sched_setscheduler(2) and nice(2) check.
 *
 * Returns a new handle with KIPC_RIGHTS_ALL and badge 0.
 *
 * By default a server runs at the higher of its own and its caller's
 * priority while it serves the call (see kipc(7), "Scheduling");
 * KIPC_EP_NO_INHERIT turns that off for this endpoint.  KIPC_EP_ACCOUNT
 * measures the CPU time servers spend on each call (struct kipc_utcb
 * @served_ns) and keeps totals per badge and per caller uid, shown to
 * holders of the receive right in the handle's fdinfo and in /proc/kipc.
 */
struct kipc_ep_create {
	__u32 flags;
	__u32 __pad;
	union {
		__u64 __reserved[3];
		struct {
			__u32 floor_policy;
			__s32 floor_priority;
		};
	};
};

/* Mint flags, in struct kipc_ep_mint.flags besides KIPC_FD_INHERIT. */
#define KIPC_MINT_BADGE		(1U << 1)	/* set @badge (needs RECV) */

/**
 * struct kipc_ep_mint - argument of KIPC_IOC_EP_MINT
 * @fd:		existing handle to derive from.
 * @rights:	rights of the new handle, a subset of @fd's rights, but
 *		KIPC_RIGHT_FORWARD (ABI 1.7), which a handle with
 *		KIPC_RIGHT_RECV may add.
 * @badge:	with KIPC_MINT_BADGE, the badge of the new handle; otherwise
 *		must be 0 and the new handle keeps @fd's badge.
 * @flags:	KIPC_FD_INHERIT, KIPC_MINT_BADGE.
 * @__pad:	must be 0.
 * @__reserved:	must be 0.
 *
 * Returns the new handle.  Rights never grow; only a holder of the receive
 * right can choose a badge, and a badged handle cannot be re-badged by its
 * holder unless it also holds the receive right.
 */
struct kipc_ep_mint {
	__s32 fd;
	__u32 rights;
	__u64 badge;
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[2];
};

/* Feature bits reported by KIPC_IOC_VERSION. */
#define KIPC_FEAT_UTCB		(1ULL << 0)	/* message area by mmap */
#define KIPC_FEAT_BADGE		(1ULL << 1)	/* badged handles */
#define KIPC_FEAT_CREDS		(1ULL << 2)	/* pid/uid/gid of sender */
#define KIPC_FEAT_FDS		(1ULL << 3)	/* descriptors in messages, GRANT */
#define KIPC_FEAT_NAMES		(1ULL << 4)	/* publish/lookup/unpublish */
#define KIPC_FEAT_CALLER	(1ULL << 5)	/* KIPC_IOC_CALLER */
#define KIPC_FEAT_LIMITS	(1ULL << 6)	/* per-user limits */
#define KIPC_FEAT_NOTIFY	(1ULL << 8)	/* notifications (ABI 1.1) */
#define KIPC_FEAT_POLL		(1ULL << 9)	/* poll/epoll on handles */
#define KIPC_FEAT_URING		(1ULL << 10)	/* IORING_OP_URING_CMD */
#define KIPC_FEAT_AREA_ARGS	(1ULL << 11)	/* ABI 1.2: KIPC_IOC_M*, REGISTER */
#define KIPC_FEAT_SEND_RECV	(1ULL << 12)	/* ABI 1.3: KIPC_IOC_MSEND_RECV */
#define KIPC_FEAT_SCHED		(1ULL << 13)	/* ABI 1.4: inheritance, KIPC_EP_* */
#define KIPC_FEAT_BULK		(1ULL << 14)	/* ABI 1.5: windows and regions */
#define KIPC_FEAT_OBJ_IOCTL	(1ULL << 15)	/* ABI 1.6: on the object's own fd */
#define KIPC_FEAT_FORWARD	(1ULL << 16)	/* ABI 1.7: KIPC_IOC_FORWARD */

/*
 * ABI 1.6: the management ioctls of an object also work on the object's
 * own descriptor, with no context: KIPC_IOC_EP_MINT, _PUBLISH, _UNPUBLISH
 * and _NTFN_BIND on an endpoint handle, KIPC_IOC_NTFN_SIGNAL on a
 * notification.  The argument's field that would name the object then
 * holds KIPC_FD_SELF (EINVAL otherwise); everything else is checked as on
 * a context.  KIPC_IOC_NTFN_BIND on a handle binds the notification its
 * @fd names to that handle's endpoint (@ep = KIPC_FD_SELF).  Any other
 * number on those descriptors fails with ENOTTY.
 */
#define KIPC_FD_SELF		(-1)

/**
 * struct kipc_version - result of KIPC_IOC_VERSION
 * @abi_major:	KIPC_ABI_MAJOR of the running module.
 * @abi_minor:	KIPC_ABI_MINOR of the running module.
 * @msg_regs:	KIPC_MSG_REGS.
 * @utcb_size:	size to mmap for the message area.
 * @features:	KIPC_FEAT_* bits.
 * @__reserved:	zero.
 */
struct kipc_version {
	__u32 abi_major;
	__u32 abi_minor;
	__u32 msg_regs;
	__u32 utcb_size;
	__u64 features;
	__u64 __reserved[4];
};

/* Longest service name, including the terminating NUL. */
#define KIPC_NAME_MAX		64

/* Publish flags (struct kipc_publish.flags). */
#define KIPC_PUBLISH_BADGE	(1U << 0)	/* lookups get @badge */
#define KIPC_PUBLISH_GRANT	(1U << 1)	/* lookups get SEND | GRANT */

/**
 * struct kipc_publish - argument of KIPC_IOC_PUBLISH and KIPC_IOC_UNPUBLISH
 * @fd:		handle of the endpoint; must carry KIPC_RIGHT_RECV.
 * @flags:	KIPC_PUBLISH_*; 0 for unpublish.
 * @mode:	permission bits (0777 mask) checked against a lookup's fsuid
 *		and fsgid like a file's; only the write bit of the matching
 *		class counts.  0 for unpublish.
 * @__pad:	must be 0.
 * @badge:	with KIPC_PUBLISH_BADGE, the badge of every handle a lookup
 *		returns; otherwise (and for unpublish) must be 0.
 * @name:	NUL-terminated, 1..KIPC_NAME_MAX-1 printable ASCII characters
 *		other than space; bytes after the NUL must be 0.
 * @__reserved:	must be 0.
 *
 * The name belongs to the caller's IPC namespace, is owned by the caller's
 * fsuid and fsgid, and lives until it is unpublished or the last handle
 * with KIPC_RIGHT_RECV of its endpoint closes.
 */
struct kipc_publish {
	__s32 fd;
	__u32 flags;
	__u32 mode;
	__u32 __pad;
	__u64 badge;
	char name[KIPC_NAME_MAX];
	__u64 __reserved[2];
};

/**
 * struct kipc_lookup - argument of KIPC_IOC_LOOKUP
 * @name:	as in struct kipc_publish.
 * @flags:	KIPC_FD_INHERIT or 0.
 * @__pad:	must be 0.
 * @__reserved:	must be 0.
 *
 * Returns a new handle with KIPC_RIGHT_SEND (and KIPC_RIGHT_GRANT if the
 * name was published with KIPC_PUBLISH_GRANT) and the published badge.
 */
struct kipc_lookup {
	char name[KIPC_NAME_MAX];
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[3];
};

/**
 * struct kipc_caller - argument of KIPC_IOC_CALLER
 * @pid:	out: the tgid of the task whose call this context holds the
 *		reply right for, as the pid namespace of the task making
 *		this ioctl sees it (0 if it is not visible there).
 * @flags:	must be 0.
 * @__reserved:	must be 0.
 *
 * Succeeds only while that call still waits for its reply, that is while
 * @pid cannot have been reused: a pidfd opened for @pid before a
 * successful KIPC_IOC_CALLER refers to the calling process.
 */
struct kipc_caller {
	__s32 pid;
	__u32 flags;
	__u64 __reserved[3];
};

/**
 * struct kipc_notify_create - argument of KIPC_IOC_NTFN_CREATE
 * @flags:	KIPC_FD_INHERIT or 0.
 * @__pad:	must be 0.
 * @__reserved:	must be 0.
 *
 * Returns a new notification file descriptor: a word of 64 bits, all
 * clear.  Whoever holds the descriptor may signal and wait on it.
 */
struct kipc_notify_create {
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[3];
};

/**
 * struct kipc_notify - argument of KIPC_IOC_NTFN_SIGNAL and _WAIT
 * @fd:		the notification.
 * @flags:	must be 0.
 * @bits:	signal: the bits to OR in, not 0; wait: must be 0.
 * @timeout:	wait: as for recv (KIPC_TIMEOUT_POLL fails with EAGAIN when
 *		no bit is set); signal: must be 0.
 * @__reserved:	must be 0.
 *
 * Signal never blocks: it ORs @bits into the word and, if a context
 * waits, hands it every pending bit and clears the word.  Wait takes every
 * pending bit (into the context's badge, with KIPC_ST_NOTIFY in status)
 * and clears them, blocking until at least one is set.
 */
struct kipc_notify {
	__s32 fd;
	__u32 flags;
	__u64 bits;
	__u64 timeout;
	__u64 __reserved[2];
};

/* struct kipc_notify_bind.flags */
#define KIPC_NTFN_UNBIND	(1U << 0)	/* undo the binding */

/**
 * struct kipc_notify_bind - argument of KIPC_IOC_NTFN_BIND
 * @fd:		the notification.
 * @ep:		an endpoint handle with KIPC_RIGHT_RECV.
 * @flags:	0 to bind, KIPC_NTFN_UNBIND to unbind.
 * @__pad:	must be 0.
 * @__reserved:	must be 0.
 *
 * A bound notification is delivered through the endpoint: a context in
 * recv or reply_recv on it returns for a message or for notification bits
 * (KIPC_ST_NOTIFY), pending bits first.  An endpoint has at most one
 * notification and a notification at most one endpoint (else EBUSY); a
 * bound notification cannot be waited on directly (EBUSY).
 */
struct kipc_notify_bind {
	__s32 fd;
	__s32 ep;
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[2];
};

/**
 * struct kipc_cancel - argument of KIPC_IOC_CANCEL
 * @flags:	must be 0.
 * @__pad:	must be 0.
 * @__reserved:	must be 0.
 *
 * Ends the operation waiting on this context, synchronous or submitted
 * through io_uring, with ECANCELED; a phase that is cancelled delivered
 * nothing.  Returns 0, or ENOENT when no operation waits.
 */
struct kipc_cancel {
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[1];
};

/**
 * struct kipc_uring_cmd - the 16-byte command area of an IORING_OP_URING_CMD
 * submission on a context (sqe->cmd; SQE128 is not needed)
 * @fd:		endpoint handle (send, recv, call, reply_recv), notification
 *		(KIPC_IOC_NTFN_WAIT) or -1 (reply, cancel).
 * @flags:	KIPC_ARGS_SLOT (ABI 1.2: @fd is a registered slot) or 0.
 * @timeout:	KIPC_TIMEOUT_POLL or KIPC_TIMEOUT_INFINITE (other values:
 *		EINVAL; bound the wait with KIPC_IOC_CANCEL instead); for
 *		call it is both the send and the receive timeout.
 *
 * @arg:	(ABI 1.5) KIPC_IOC_WIN_READ and _WRITE: the address of their
 *		struct kipc_win_io (@fd -1, @flags 0); read when the command
 *		is issued.
 *
 * sqe->cmd_op is KIPC_IOC_SEND, _RECV, _CALL, _REPLY, _REPLY_RECV,
 * _NTFN_WAIT, _CANCEL, _WIN_READ, _WIN_WRITE or (ABI 1.7) _FORWARD
 * (@timeout: its send timeout).  The message goes from and comes into the
 * context's message area as with the ioctl; the CQE's res is what the
 * ioctl would have returned (0 or -errno).  A context runs one operation
 * at a time: use one context per operation in flight.
 */
struct kipc_uring_cmd {
	__s32 fd;
	__u32 flags;
	union {
		__u64 timeout;
		__u64 arg;
	};
};

/* struct kipc_register.flags */
#define KIPC_REGISTER_CLEAR	(1U << 0)	/* empty the slot (@fd: -1) */

/**
 * struct kipc_register - argument of KIPC_IOC_REGISTER (ABI 1.2)
 * @fd:		an endpoint handle, or -1 with KIPC_REGISTER_CLEAR.
 * @slot:	0..KIPC_SLOTS-1.
 * @flags:	KIPC_REGISTER_CLEAR or 0.
 * @__pad:	must be 0.
 * @__reserved:	must be 0.
 *
 * Registers a handle in one of the context's slots, as io_uring registers
 * files: operations that name the slot (KIPC_ARGS_SLOT) use the handle as
 * it was registered, with its rights and badge, without looking a
 * descriptor up.  The slot holds the handle like a descriptor does (it
 * stays open, and counts as a sender or receiver of its endpoint, until
 * the slot is cleared or replaced, or the context is closed), so closing
 * @fd afterwards is safe at any moment.  Fails with EBUSY while an
 * operation runs on the context.
 */
struct kipc_register {
	__s32 fd;
	__u32 slot;
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[2];
};

/**
 * struct kipc_rbuf - argument of KIPC_IOC_WIN_RBUF (ABI 1.5)
 * @addr:	start of the receive buffer in the context's address space.
 * @len:	its length, 0..KIPC_RBUF_MAX; 0 removes the buffer (then
 *		@addr must be 0).
 * @flags:	must be 0.
 * @__pad:	must be 0.
 * @__reserved:	must be 0.
 *
 * Posts a receive buffer on the context, kept until changed: when a
 * message received on this context (recv, reply_recv) carries a READ
 * window no longer than the buffer, the first such window is copied to
 * the buffer's start before the receive returns, and its entry in @win
 * carries KIPC_WIN_COPIED, so a small request needs no KIPC_IOC_WIN_READ.
 * The copy is a snapshot like any other.  Fails with EBUSY while an
 * operation runs on the context.
 */
struct kipc_rbuf {
	__u64 addr;
	__u64 len;
	__u32 flags;
	__u32 __pad;
	__u64 __reserved[2];
};

/**
 * struct kipc_win_io - argument of KIPC_IOC_WIN_READ and _WRITE (ABI 1.5)
 * @win:	the window: 0..KIPC_TAG_WINS(tag)-1 of the call received.
 * @flags:	must be 0.
 * @offset:	where in the window the access starts.
 * @iov:	address of an array of struct iovec in the server's memory:
 *		where read bytes go, or where written bytes come from.
 * @iovcnt:	its length, 0..1024.
 * @__pad:	must be 0.
 * @__reserved:	must be 0.
 *
 * Copies between the window of the call this context holds the reply
 * right for and the server's own memory: the whole range [@offset,
 * @offset + the iovecs' total) must lie inside the window (ERANGE) and
 * the window must allow the access (EACCES).  Returns the number of bytes
 * copied: the whole range (one access copies at most 0x7ffff000 bytes,
 * as read(2) does: a longer total is cut there).  ENOENT without a reply
 * right, ECONNRESET once the caller stopped waiting, EAGAIN while its
 * call is parked (the caller is stopped, traced or runs a signal handler:
 * it may leave the call there; try again), EFAULT when a page of the
 * window is not there, not writable or under userfaultfd, or the server's
 * own memory cannot be accessed.  Ranges are copied 64 KiB of the window
 * at a time: a piece of the window that cannot be accessed fails before
 * any of its bytes moves, and after EFAULT the pieces before were
 * copied.  Also an io_uring command (struct kipc_uring_cmd), with 64-bit
 * iovecs.
 */
struct kipc_win_io {
	__u32 win;
	__u32 flags;
	__u64 offset;
	__u64 iov;
	__u32 iovcnt;
	__u32 __pad;
	__u64 __reserved[2];
};

/* Rights of a region handle (ABI 1.5). */
#define KIPC_REGION_READ	(1U << 0)	/* get: copy out of it */
#define KIPC_REGION_WRITE	(1U << 1)	/* put: copy into it */
#define KIPC_REGION_GRANT	(1U << 2)	/* may be passed on, minted */
#define KIPC_REGION_RIGHTS_ALL	(KIPC_REGION_READ | KIPC_REGION_WRITE | KIPC_REGION_GRANT)

/**
 * struct kipc_region_create - argument of KIPC_IOC_REGION_CREATE, on a
 * context (ABI 1.5)
 * @addr:	start of the range of the caller's memory to expose.
 * @len:	its length, 1 byte or more.
 * @rights:	the new handle's rights, KIPC_REGION_*: READ or WRITE or
 *		both, and GRANT if it may be passed on or minted.
 * @flags:	KIPC_FD_INHERIT or 0.
 * @__reserved:	must be 0.
 *
 * Returns a region handle: a file descriptor whose holders copy into
 * (KIPC_IOC_REGION_PUT) and out of (_GET) the range, in the creator's
 * address space, without the creator running, as its rights allow.  The
 * creator's mapping never changes; pages are pinned only while a copy
 * runs.  A region counts its pages against the creator's real uid,
 * limited by the creator's RLIMIT_MEMLOCK (ENOMEM) unless it has
 * CAP_IPC_LOCK, until its last handle closes.  Handles pass in messages
 * like endpoint handles (KIPC_REGION_GRANT needed).
 */
struct kipc_region_create {
	__u64 addr;
	__u64 len;
	__u32 rights;
	__u32 flags;
	__u64 __reserved[2];
};

/**
 * struct kipc_region_mint - argument of KIPC_IOC_REGION_MINT, on a region
 * handle (ABI 1.5)
 * @rights:	the new handle's rights: a subset of the handle's, which
 *		must carry KIPC_REGION_GRANT.
 * @flags:	KIPC_FD_INHERIT or 0.
 * @__reserved:	must be 0.
 *
 * Returns a new handle of the same region.
 */
struct kipc_region_mint {
	__u32 rights;
	__u32 flags;
	__u64 __reserved[2];
};

/* struct kipc_region_io.flags */
#define KIPC_REGION_SIGNAL	(1U << 0)	/* put: ring the doorbell */

/**
 * struct kipc_region_io - argument of KIPC_IOC_REGION_PUT and _GET, on a
 * region handle (ABI 1.5)
 * @offset:	where in the region the copy starts.
 * @iov:	address of an array of struct iovec in the caller's memory.
 * @iovcnt:	its length, 0..1024.
 * @flags:	put: KIPC_REGION_SIGNAL or 0; get: 0.
 * @__reserved:	must be 0.
 *
 * Copies between the region and the caller's memory; [@offset, @offset +
 * the iovecs' total) must lie inside the region (ERANGE); the handle
 * must carry KIPC_REGION_WRITE (put) or _READ (get) (EPERM).  Returns the
 * number of bytes copied (the whole range, at most 0x7ffff000); EPIPE once
 * the region was revoked or its creator's address space is gone; EFAULT
 * as for windows (64 KiB pieces of the region).  A put with KIPC_REGION_SIGNAL
 * signals the notification bound to the region (KIPC_IOC_REGION_BIND)
 * after its bytes are in place.
 */
struct kipc_region_io {
	__u64 offset;
	__u64 iov;
	__u32 iovcnt;
	__u32 flags;
	__u64 __reserved[2];
};

/**
 * struct kipc_region_bind - argument of KIPC_IOC_REGION_BIND (ABI 1.5)
 * @ntfn:	a notification descriptor, or -1 to unbind.
 * @flags:	must be 0.
 * @bits:	the bits a signalling put raises, not 0 (0 to unbind).
 * @__reserved:	must be 0.
 *
 * The region's doorbell.  Only its creator's address space may bind,
 * revoke (KIPC_IOC_REGION_REVOKE: puts and gets that run finish the
 * 64 KiB piece they copy, later ones fail with EPIPE; returns once no
 * copy runs) or replace the binding.
 */
struct kipc_region_bind {
	__s32 ntfn;
	__u32 flags;
	__u64 bits;
	__u64 __reserved[2];
};

/**
 * struct kipc_region_info - result of KIPC_IOC_REGION_INFO (ABI 1.5)
 * @len:	the region's length.
 * @rights:	this handle's rights.
 * @flags:	KIPC_REGION_REVOKED when revoked.
 * @__reserved:	zero.
 */
struct kipc_region_info {
	__u64 len;
	__u32 rights;
	__u32 flags;
	__u64 __reserved[2];
};
#define KIPC_REGION_REVOKED	(1U << 0)

#define KIPC_IOC_MAGIC		0xD7

#define KIPC_IOC_VERSION	_IOR(KIPC_IOC_MAGIC, 0x00, struct kipc_version)
#define KIPC_IOC_EP_CREATE	_IOW(KIPC_IOC_MAGIC, 0x01, struct kipc_ep_create)
#define KIPC_IOC_EP_MINT	_IOW(KIPC_IOC_MAGIC, 0x02, struct kipc_ep_mint)
#define KIPC_IOC_PUBLISH	_IOW(KIPC_IOC_MAGIC, 0x03, struct kipc_publish)
#define KIPC_IOC_LOOKUP		_IOW(KIPC_IOC_MAGIC, 0x04, struct kipc_lookup)
#define KIPC_IOC_UNPUBLISH	_IOW(KIPC_IOC_MAGIC, 0x05, struct kipc_publish)
#define KIPC_IOC_CALLER		_IOWR(KIPC_IOC_MAGIC, 0x06, struct kipc_caller)
#define KIPC_IOC_SEND		_IOW(KIPC_IOC_MAGIC, 0x10, struct kipc_ipc)
#define KIPC_IOC_RECV		_IOW(KIPC_IOC_MAGIC, 0x11, struct kipc_ipc)
#define KIPC_IOC_CALL		_IOW(KIPC_IOC_MAGIC, 0x12, struct kipc_ipc)
#define KIPC_IOC_REPLY		_IOW(KIPC_IOC_MAGIC, 0x13, struct kipc_ipc)
#define KIPC_IOC_REPLY_RECV	_IOW(KIPC_IOC_MAGIC, 0x14, struct kipc_ipc)
/*
 * ABI 1.7: forward the message in the area, with the reply right this
 * context holds, to the endpoint @fd (KIPC_RIGHT_SEND and
 * KIPC_RIGHT_FORWARD, else EPERM; descriptors in the message need
 * KIPC_RIGHT_GRANT on it, as for send), waiting up to
 * @send_timeout for a receiver (@recv_timeout is ignored).  The receiver
 * gets a call: the registers, tag and descriptors of this area, the
 * badge of @fd, the original caller's pid, uid and gid, the caller's
 * memory windows, and KIPC_ST_FORWARDED with the number of hops in its
 * status; its reply goes straight to the original caller.  On success
 * this context no longer holds the right and is free at once.  The tag
 * names no windows (EINVAL): the caller's go with the call.
 *
 * Errors: ENOENT (no reply right held), ECONNRESET (the caller stopped
 * waiting: the right is given up), ELOOP (the call was forwarded
 * KIPC_FWD_HOPS_MAX times already: the caller's call fails with ELOOP
 * and the right is used up); everything else (EINVAL, EBADF, EPERM,
 * EPIPE, EAGAIN, ETIMEDOUT, EMSGSIZE, EINTR, ECANCELED) delivered nothing
 * and keeps the right.  Also an io_uring command (struct kipc_uring_cmd:
 * @fd, @flags, @timeout the send timeout).
 */
#define KIPC_IOC_FORWARD	_IOW(KIPC_IOC_MAGIC, 0x15, struct kipc_ipc)
/* ABI 1.2: the same five with their arguments in the message area. */
#define KIPC_IOC_MSEND		_IO(KIPC_IOC_MAGIC, 0x18)
#define KIPC_IOC_MRECV		_IO(KIPC_IOC_MAGIC, 0x19)
#define KIPC_IOC_MCALL		_IO(KIPC_IOC_MAGIC, 0x1a)
#define KIPC_IOC_MREPLY		_IO(KIPC_IOC_MAGIC, 0x1b)
#define KIPC_IOC_MREPLY_RECV	_IO(KIPC_IOC_MAGIC, 0x1c)
/*
 * ABI 1.3: send (one way, as KIPC_IOC_MSEND) to @ep, then receive (as
 * KIPC_IOC_MRECV) on @recv_ep, in one entry: L4's IPC with both phases.
 * Neither phase runs unless both endpoints are valid with their rights;
 * an error of the send phase ends it before the receive; KIPC_ST_SENT in
 * status says the send phase delivered (also when the receive phase then
 * fails).  A signal that runs no handler during the receive phase restarts
 * only the receive.  Not an io_uring command.
 */
#define KIPC_IOC_MSEND_RECV	_IO(KIPC_IOC_MAGIC, 0x1d)
/* ABI 1.7: KIPC_IOC_FORWARD with its arguments in the message area. */
#define KIPC_IOC_MFORWARD	_IO(KIPC_IOC_MAGIC, 0x1e)
/*
 * ABI 1.7: forward (as KIPC_IOC_MFORWARD) to @ep, then receive (as
 * KIPC_IOC_MRECV) on @recv_ep, in one entry: a proxy's loop, as
 * reply_recv is a server's.  The rules of KIPC_IOC_MSEND_RECV apply:
 * neither phase runs unless both endpoints are valid with their rights,
 * an error of the forward ends it before the receive, KIPC_ST_SENT says
 * the forward was done.  Through io_uring, link a KIPC_IOC_FORWARD and a
 * KIPC_IOC_RECV (IOSQE_IO_LINK).
 */
#define KIPC_IOC_MFORWARD_RECV	_IO(KIPC_IOC_MAGIC, 0x1f)
#define KIPC_IOC_REGISTER	_IOW(KIPC_IOC_MAGIC, 0x07, struct kipc_register)
#define KIPC_IOC_NTFN_CREATE	_IOW(KIPC_IOC_MAGIC, 0x30, struct kipc_notify_create)
#define KIPC_IOC_NTFN_SIGNAL	_IOW(KIPC_IOC_MAGIC, 0x31, struct kipc_notify)
#define KIPC_IOC_NTFN_WAIT	_IOW(KIPC_IOC_MAGIC, 0x32, struct kipc_notify)
#define KIPC_IOC_NTFN_BIND	_IOW(KIPC_IOC_MAGIC, 0x33, struct kipc_notify_bind)
#define KIPC_IOC_CANCEL		_IOW(KIPC_IOC_MAGIC, 0x34, struct kipc_cancel)
/* ABI 1.5: memory windows (on a context) and regions. */
#define KIPC_IOC_WIN_RBUF	_IOW(KIPC_IOC_MAGIC, 0x40, struct kipc_rbuf)
#define KIPC_IOC_WIN_READ	_IOW(KIPC_IOC_MAGIC, 0x41, struct kipc_win_io)
#define KIPC_IOC_WIN_WRITE	_IOW(KIPC_IOC_MAGIC, 0x42, struct kipc_win_io)
#define KIPC_IOC_REGION_CREATE	_IOW(KIPC_IOC_MAGIC, 0x50, struct kipc_region_create)
/* On a region handle: */
#define KIPC_IOC_REGION_MINT	_IOW(KIPC_IOC_MAGIC, 0x51, struct kipc_region_mint)
#define KIPC_IOC_REGION_PUT	_IOW(KIPC_IOC_MAGIC, 0x52, struct kipc_region_io)
#define KIPC_IOC_REGION_GET	_IOW(KIPC_IOC_MAGIC, 0x53, struct kipc_region_io)
#define KIPC_IOC_REGION_BIND	_IOW(KIPC_IOC_MAGIC, 0x54, struct kipc_region_bind)
#define KIPC_IOC_REGION_REVOKE	_IO(KIPC_IOC_MAGIC, 0x55)
#define KIPC_IOC_REGION_INFO	_IOR(KIPC_IOC_MAGIC, 0x56, struct kipc_region_info)

#endif /* _UAPI_LINUX_KIPC_H */
