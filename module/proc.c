// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/kipc/endpoints: every live endpoint with its owner, handles,
 * waiters and counters, one line each (tools/kipcctl prints it as a table).
 * /proc/kipc/stats: how many contexts, endpoints, handles and names are
 * alive and how many descriptors messages hold in flight.
 * /proc/kipc/names: the names published in the reader's IPC namespace.
 * /proc/kipc/version: the ABI version and the version of these formats.
 * /proc/kipc/served: endpoints' scheduling options and served time.
 *
 * The formats are an interface (kipc(7), "Observability"): key/value files
 * may gain keys, columnar files columns at the end only, fdinfo may gain
 * lines.  Any other change is incompatible and bumps KIPC_PROC_FORMAT.
 */
#include <linux/pid_namespace.h>
#include <linux/proc_fs.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>

#include "internal.h"

/* Version of the formats of /proc/kipc/ and of the fdinfo of kipc files. */
#define KIPC_PROC_FORMAT	1

static struct proc_dir_entry *kipc_proc_dir;

static void *kipc_eps_start(struct seq_file *m, loff_t *pos)
{
	mutex_lock(&kipc_eps_lock);
	return seq_list_start_head(&kipc_eps, *pos);
}

static void *kipc_eps_next(struct seq_file *m, void *v, loff_t *pos)
{
	return seq_list_next(v, &kipc_eps, pos);
}

static void kipc_eps_stop(struct seq_file *m, void *v)
{
	mutex_unlock(&kipc_eps_lock);
}

static int kipc_eps_show(struct seq_file *m, void *v)
{
	struct kipc_ep_stats st;
	struct kipc_ep *ep;

	if (v == &kipc_eps) {
		seq_puts(m, "id owner comm send_handles recv_handles senders_waiting receivers_waiting messages errors\n");
		return 0;
	}
	ep = list_entry(v, struct kipc_ep, all);
	kipc_ep_snapshot(ep, &st);
	seq_printf(m, "%llu %d ", ep->id,
		   pid_nr_ns(ep->owner, task_active_pid_ns(current)));
	/* A comm may hold any byte: keep it one column, as /proc/mounts does. */
	seq_escape(m, ep->comm, " \t\n\\");
	seq_printf(m, " %u %u %u %u %llu %llu\n", st.nr_send, st.nr_recv,
		   st.senders, st.receivers, st.msgs, st.errors);
	return 0;
}

static const struct seq_operations kipc_eps_ops = {
	.start	= kipc_eps_start,
	.next	= kipc_eps_next,
	.stop	= kipc_eps_stop,
	.show	= kipc_eps_show,
};

/*
 * /proc/kipc/served: the scheduling options of every endpoint created with
 * any, and the totals of the accounting ones: "endpoint ID" and then the
 * lines of its fdinfo (kipc_sched_show()).  Root's: who calls whom.
 */
static int kipc_served_show(struct seq_file *m, void *v)
{
	struct kipc_ep *ep;

	if (v == &kipc_eps)
		return 0;
	ep = list_entry(v, struct kipc_ep, all);
	if (!ep->sched)
		return 0;
	seq_printf(m, "endpoint %llu\n", ep->id);
	kipc_sched_show(m, ep);
	return 0;
}

static const struct seq_operations kipc_served_ops = {
	.start	= kipc_eps_start,
	.next	= kipc_eps_next,
	.stop	= kipc_eps_stop,
	.show	= kipc_served_show,
};

static int kipc_stats_show(struct seq_file *m, void *v)
{
	seq_printf(m, "contexts %ld\n", atomic_long_read(&kipc_stats.contexts));
	seq_printf(m, "endpoints %ld\n", atomic_long_read(&kipc_stats.endpoints));
	seq_printf(m, "handles %ld\n", atomic_long_read(&kipc_stats.handles));
	seq_printf(m, "names %ld\n", atomic_long_read(&kipc_stats.names));
	seq_printf(m, "inflight %ld\n", atomic_long_read(&kipc_stats.inflight));
	seq_printf(m, "notifications %ld\n",
		   atomic_long_read(&kipc_stats.notifications));
	seq_printf(m, "async %ld\n", atomic_long_read(&kipc_stats.async));
	seq_printf(m, "boosted %ld\n", atomic_long_read(&kipc_stats.boosted));
	seq_printf(m, "boosts %ld\n", atomic_long_read(&kipc_stats.boosts));
	seq_printf(m, "regions %ld\n", atomic_long_read(&kipc_stats.regions));
	return 0;
}

/**
 * kipc_version_show - /proc/kipc/version: what a parser of these files needs
 * @m:	the seq_file
 * @v:	unused
 *
 * Prints "abi MAJOR.MINOR" (as KIPC_IOC_VERSION reports it) and
 * "proc-format N", one key and value per line.
 *
 * Return: 0.
 */
static int kipc_version_show(struct seq_file *m, void *v)
{
	seq_printf(m, "abi %d.%d\n", KIPC_ABI_MAJOR, KIPC_ABI_MINOR);
	seq_printf(m, "proc-format %d\n", KIPC_PROC_FORMAT);
	return 0;
}

/**
 * kipc_proc_init - create /proc/kipc
 *
 * Return: 0 or -ENOMEM.
 */
int kipc_proc_init(void)
{
	kipc_proc_dir = proc_mkdir("kipc", NULL);
	if (!kipc_proc_dir)
		return -ENOMEM;
	if (!proc_create_seq("endpoints", 0444, kipc_proc_dir, &kipc_eps_ops) ||
	    !proc_create_single("stats", 0444, kipc_proc_dir, kipc_stats_show) ||
	    !proc_create_single("names", 0444, kipc_proc_dir, kipc_names_show) ||
	    !proc_create_single("version", 0444, kipc_proc_dir, kipc_version_show) ||
	    !proc_create_seq("served", 0400, kipc_proc_dir, &kipc_served_ops)) {
		proc_remove(kipc_proc_dir);
		return -ENOMEM;
	}
	return 0;
}

void kipc_proc_exit(void)
{
	proc_remove(kipc_proc_dir);
}
