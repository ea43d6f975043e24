// SPDX-License-Identifier: GPL-2.0
/*
 * kipcctl: show what kipc is doing.
 *
 *   kipcctl [list]            every live endpoint (/proc/kipc/endpoints)
 *   kipcctl handles [PID]     the endpoint handles a process holds (fdinfo)
 *   kipcctl names             names published in our IPC namespace
 *   kipcctl stats             live objects and descriptors in flight
 *   kipcctl served            endpoints' scheduling options and who their
 *                             servers served: calls and CPU time per badge
 *                             and per caller uid (root: /proc/kipc/served)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROC_ENDPOINTS	"/proc/kipc/endpoints"
#define PROC_NAMES	"/proc/kipc/names"
#define PROC_STATS	"/proc/kipc/stats"
#define PROC_SERVED	"/proc/kipc/served"

static FILE *open_proc(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f)
		fprintf(stderr, "kipcctl: %s: %s (is the kipc module loaded?)\n",
			path, strerror(errno));
	return f;
}

static int names(void)
{
	char line[512], name[80], flags[16], badge[24];
	unsigned long long ep;
	unsigned int uid, gid, mode;
	int n = 0;
	FILE *f = open_proc(PROC_NAMES);

	if (!f)
		return 1;
	printf("%-32s %6s %6s %6s %4s %5s %18s\n", "NAME", "EP", "OWNER", "GROUP",
	       "MODE", "FLAGS", "BADGE");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%79s %llu %u %u %o %15s %23s", name, &ep, &uid,
			   &gid, &mode, flags, badge) != 7)
			continue;	/* the header line */
		printf("%-32s %6llu %6u %6u %04o %5s %18s\n", name, ep, uid, gid,
		       mode, flags, badge);
		n++;
	}
	fclose(f);
	printf("%d name%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int stats(void)
{
	char line[256];
	FILE *f = open_proc(PROC_STATS);

	if (!f)
		return 1;
	while (fgets(line, sizeof(line), f))
		fputs(line, stdout);
	fclose(f);
	return 0;
}

/* One table row per served-badge or served-uid line, under its endpoint. */
static int served(void)
{
	unsigned long long ep = 0, calls, ns;
	char line[256], key[32], what[16], opt[64];
	int n = 0;
	FILE *f = open_proc(PROC_SERVED);

	if (!f)
		return 1;
	printf("%6s %-6s %-18s %10s %14s %10s\n", "EP", "BY", "WHO", "CALLS",
	       "CPU_NS", "AVG_US");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "endpoint %llu", &ep) == 1)
			continue;
		if (sscanf(line, "served-%15[a-z]: %31s %llu %llu", what, key,
			   &calls, &ns) == 4) {
			printf("%6llu %-6s %-18s %10llu %14llu %10.1f\n", ep, what,
			       key, calls, ns, calls ? ns / 1000.0 / calls : 0.0);
			n++;
		} else if (sscanf(line, "%63[^\n]", opt) == 1) {
			printf("%6llu %s\n", ep, opt);	/* inherit, floor */
		}
	}
	fclose(f);
	printf("%d row%s\n", n, n == 1 ? "" : "s");
	return 0;
}

static int list(void)
{
	unsigned long long id, msgs, errors;
	unsigned int ns, nr, sw, rw;
	char line[512], comm[64];
	int pid, n = 0;
	FILE *f;

	f = fopen(PROC_ENDPOINTS, "r");
	if (!f) {
		fprintf(stderr, "kipcctl: %s: %s (is the kipc module loaded?)\n",
			PROC_ENDPOINTS, strerror(errno));
		return 1;
	}
	printf("%6s %7s %-16s %5s %5s %7s %7s %12s %8s\n", "ID", "OWNER", "COMM",
	       "SEND", "RECV", "SENDERS", "RCVRS", "MESSAGES", "ERRORS");
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llu %d %63s %u %u %u %u %llu %llu", &id, &pid,
			   comm, &ns, &nr, &sw, &rw, &msgs, &errors) != 9)
			continue;	/* the header line */
		printf("%6llu %7d %-16s %5u %5u %7u %7u %12llu %8llu\n", id, pid,
		       comm, ns, nr, sw, rw, msgs, errors);
		n++;
	}
	fclose(f);
	printf("%d endpoint%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* Value of "key:" in an fdinfo file, or NULL. */
static const char *field(char *buf, const char *key)
{
	size_t len = strlen(key);
	char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, len) && p[len] == ':') {
			p += len + 1;
			while (*p == '\t' || *p == ' ')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static long num(char *buf, const char *key)
{
	const char *v = field(buf, key);

	return v ? strtol(v, NULL, 0) : -1;
}

static int handles(const char *pid)
{
	char path[512], buf[4096];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo", pid);
	dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "kipcctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("%4s %6s %6s %18s %7s %7s %12s\n", "FD", "EP", "RIGHTS", "BADGE",
	       "SENDERS", "RCVRS", "MESSAGES");
	while ((d = readdir(dir))) {
		const char *badge;
		size_t len;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = 0;
		if (!field(buf, "kipc-endpoint"))
			continue;
		badge = field(buf, "badge");
		printf("%4s %6ld %6lx %18.*s %7ld %7ld %12ld\n", d->d_name,
		       num(buf, "kipc-endpoint"), num(buf, "rights"),
		       badge ? (int)strcspn(badge, "\n") : 1, badge ? badge : "-",
		       num(buf, "senders-waiting"), num(buf, "receivers-waiting"),
		       num(buf, "messages"));
		n++;
	}
	closedir(dir);
	printf("%d handle%s\n", n, n == 1 ? "" : "s");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "list"))
		return list();
	if (!strcmp(argv[1], "handles"))
		return handles(argc > 2 ? argv[2] : "self");
	if (!strcmp(argv[1], "names"))
		return names();
	if (!strcmp(argv[1], "stats"))
		return stats();
	if (!strcmp(argv[1], "served"))
		return served();
	fprintf(stderr, "usage: kipcctl [list] | kipcctl handles [PID] | kipcctl names | kipcctl stats | kipcctl served\n");
	return 2;
}
