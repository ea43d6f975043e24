/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kipc tracepoints: `perf list 'kipc:*'`, `perf trace -e 'kipc:*'`,
 * /sys/kernel/tracing/events/kipc/.  Disabled tracepoints are static-key
 * nops on the IPC path.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kipc

#if !defined(_KIPC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KIPC_TRACE_H

#include <linux/tracepoint.h>

/* An operation starts: op is 's' send, 'c' call, 'r' recv, 'R' reply_recv. */
DECLARE_EVENT_CLASS(kipc_op_class,
	TP_PROTO(u64 ep, u64 tag, u64 badge),
	TP_ARGS(ep, tag, badge),
	TP_STRUCT__entry(
		__field(u64, ep)
		__field(u64, label)
		__field(u32, nr)
		__field(u64, badge)
	),
	TP_fast_assign(
		__entry->ep = ep;
		__entry->label = tag >> KIPC_TAG_LABEL_SHIFT;
		__entry->nr = tag & KIPC_TAG_NR_MASK;
		__entry->badge = badge;
	),
	TP_printk("ep=%llu label=%#llx nr=%u badge=%#llx",
		  __entry->ep, __entry->label, __entry->nr, __entry->badge)
);

DEFINE_EVENT(kipc_op_class, kipc_send,
	TP_PROTO(u64 ep, u64 tag, u64 badge), TP_ARGS(ep, tag, badge));
DEFINE_EVENT(kipc_op_class, kipc_call,
	TP_PROTO(u64 ep, u64 tag, u64 badge), TP_ARGS(ep, tag, badge));
DEFINE_EVENT(kipc_op_class, kipc_forward,
	TP_PROTO(u64 ep, u64 tag, u64 badge), TP_ARGS(ep, tag, badge));

TRACE_EVENT(kipc_recv,
	TP_PROTO(u64 ep, bool reply_recv),
	TP_ARGS(ep, reply_recv),
	TP_STRUCT__entry(
		__field(u64, ep)
		__field(bool, reply_recv)
	),
	TP_fast_assign(
		__entry->ep = ep;
		__entry->reply_recv = reply_recv;
	),
	TP_printk("ep=%llu%s", __entry->ep,
		  __entry->reply_recv ? " reply_recv" : "")
);

/* The one copy of a message (or a reply, ep=0) from one task to another. */
TRACE_EVENT(kipc_transfer,
	TP_PROTO(u64 ep, struct task_struct *from, struct task_struct *to,
		 u64 tag),
	TP_ARGS(ep, from, to, tag),
	TP_STRUCT__entry(
		__field(u64, ep)
		__field(pid_t, from)
		__field(pid_t, to)
		__field(u64, label)
		__field(u32, nr)
		__field(bool, call)
	),
	TP_fast_assign(
		__entry->ep = ep;
		__entry->from = from->pid;
		__entry->to = to->pid;
		__entry->label = tag >> KIPC_TAG_LABEL_SHIFT;
		__entry->nr = tag & KIPC_TAG_NR_MASK;
		__entry->call = !!(tag & KIPC_TAG_F_CALL);
	),
	TP_printk("ep=%llu from=%d to=%d label=%#llx nr=%u%s", __entry->ep,
		  __entry->from, __entry->to, __entry->label, __entry->nr,
		  __entry->call ? " call" : "")
);

/* @caller: the caller's pid, 0 if it no longer waited (the reply failed). */
TRACE_EVENT(kipc_reply,
	TP_PROTO(pid_t caller, u64 tag, int result),
	TP_ARGS(caller, tag, result),
	TP_STRUCT__entry(
		__field(pid_t, caller)
		__field(u64, label)
		__field(u32, nr)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->caller = caller;
		__entry->label = tag >> KIPC_TAG_LABEL_SHIFT;
		__entry->nr = tag & KIPC_TAG_NR_MASK;
		__entry->result = result;
	),
	TP_printk("caller=%d label=%#llx nr=%u result=%d", __entry->caller,
		  __entry->label, __entry->nr, __entry->result)
);

/* A partner hands a blocked task its result and wakes it. */
TRACE_EVENT(kipc_wake,
	TP_PROTO(struct task_struct *task, int result),
	TP_ARGS(task, result),
	TP_STRUCT__entry(
		__field(pid_t, pid)
		__field(int, result)
	),
	TP_fast_assign(
		__entry->pid = task->pid;
		__entry->result = result;
	),
	TP_printk("pid=%d result=%d", __entry->pid, __entry->result)
);

/* An operation failed; cmd is the ioctl's number (0x10 send ... 0x14). */
TRACE_EVENT(kipc_error,
	TP_PROTO(unsigned int cmd, u64 ep, int err),
	TP_ARGS(cmd, ep, err),
	TP_STRUCT__entry(
		__field(unsigned int, nr)
		__field(u64, ep)
		__field(int, err)
	),
	TP_fast_assign(
		__entry->nr = _IOC_NR(cmd);
		__entry->ep = ep;
		__entry->err = err;
	),
	TP_printk("op=%s ep=%llu err=%d",
		  __print_symbolic(__entry->nr, { 0x10, "send" }, { 0x11, "recv" },
				   { 0x12, "call" }, { 0x13, "reply" },
				   { 0x14, "reply_recv" }),
		  __entry->ep, __entry->err)
);

TRACE_EVENT(kipc_ep_create,
	TP_PROTO(u64 ep),
	TP_ARGS(ep),
	TP_STRUCT__entry(
		__field(u64, ep)
	),
	TP_fast_assign(
		__entry->ep = ep;
	),
	TP_printk("ep=%llu", __entry->ep)
);

TRACE_EVENT(kipc_ep_destroy,
	TP_PROTO(u64 ep, u64 msgs, u64 errors),
	TP_ARGS(ep, msgs, errors),
	TP_STRUCT__entry(
		__field(u64, ep)
		__field(u64, msgs)
		__field(u64, errors)
	),
	TP_fast_assign(
		__entry->ep = ep;
		__entry->msgs = msgs;
		__entry->errors = errors;
	),
	TP_printk("ep=%llu msgs=%llu errors=%llu", __entry->ep, __entry->msgs,
		  __entry->errors)
);

#endif /* _KIPC_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE kipc_trace
#include <trace/define_trace.h>
