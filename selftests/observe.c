// SPDX-License-Identifier: GPL-2.0
/*
 * Observability: tracepoints fire, fdinfo and /proc/kipc/endpoints show
 * live endpoints with their counters, kipcctl prints them, and
 * /proc/kipc/version says which formats these files have.
 */
#include <sys/prctl.h>
#include <sys/stat.h>

#include "kipc_test.h"

#define TRACEFS	"/sys/kernel/tracing"

KIPC_FIXTURE(obs)

/* The line of /proc/kipc/endpoints for endpoint @id, or "" if none. */
static void proc_line(unsigned long long id, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/kipc/endpoints", "r");

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strtoull(line, NULL, 10) == id && line[0] != 'i') {
			snprintf(out, len, "%s", line);
			break;
		}
	}
	fclose(f);
}

static void *queued_sender(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;

	ctx_open(&c);
	*(int *)arg = kipc_send(&c, ep, KIPC_TAG(1, 0), INF);
	kipc_ctx_close(&c);
	return NULL;
}

/* fdinfo counts messages and failed operations per endpoint. */
TEST_F(obs, fdinfo_counters)
{
	long base = fdinfo_value(0, self->ep, "messages");
	int arg = self->ep;
	pthread_t t;

	ASSERT_EQ(0, base);
	ASSERT_EQ(0, fdinfo_value(0, self->ep, "errors"));
	EXPECT_EQ(-EAGAIN, kipc_recv(&self->c, self->ep, KIPC_TIMEOUT_POLL));
	EXPECT_EQ(-EAGAIN, kipc_send(&self->c, self->ep, 0, KIPC_TIMEOUT_POLL));
	for (int i = 0; i < 3; i++) {
		arg = self->ep;
		ASSERT_EQ(0, pthread_create(&t, NULL, queued_sender, &arg));
		ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
		pthread_join(t, NULL);
	}
	EXPECT_EQ(3, fdinfo_value(0, self->ep, "messages"));
	EXPECT_EQ(2, fdinfo_value(0, self->ep, "errors"));
	EXPECT_EQ(getpid(), fdinfo_value(0, self->ep, "owner"));
}

/* /proc/kipc/endpoints lists a live endpoint and forgets a dead one. */
TEST_F(obs, proc_endpoints)
{
	unsigned long long id = fdinfo_value(0, self->ep, "kipc-endpoint");
	int snd = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0, 0);
	unsigned int ns, nr, sw, rw;
	unsigned long long msgs, errors, got;
	int arg = self->ep, pid;
	char line[512], comm[64];
	pthread_t t;

	ASSERT_GE(snd, 0);
	ASSERT_EQ(0, pthread_create(&t, NULL, queued_sender, &arg));
	ASSERT_EQ(0, wait_fdinfo(self->ep, "senders-waiting", 1));
	proc_line(id, line, sizeof(line));
	ASSERT_EQ(9, sscanf(line, "%llu %d %63s %u %u %u %u %llu %llu", &got, &pid,
			    comm, &ns, &nr, &sw, &rw, &msgs, &errors));
	EXPECT_EQ(getpid(), pid);
	EXPECT_EQ(2, ns);
	EXPECT_EQ(1, nr);
	EXPECT_EQ(1, sw);
	EXPECT_EQ(0, rw);
	ASSERT_EQ(0, kipc_recv(&self->c, self->ep, INF));
	pthread_join(t, NULL);
	proc_line(id, line, sizeof(line));
	ASSERT_EQ(9, sscanf(line, "%llu %d %63s %u %u %u %u %llu %llu", &got, &pid,
			    comm, &ns, &nr, &sw, &rw, &msgs, &errors));
	EXPECT_EQ(0, sw);
	EXPECT_EQ(1, msgs);

	close(snd);
	close(self->ep);
	self->ep = -1;
	proc_line(id, line, sizeof(line));
	EXPECT_STREQ("", line);
}

/* A comm with blanks or backslashes stays one column, octal-escaped. */
TEST_F(obs, proc_endpoints_comm_escaped)
{
	char old[16] = "", line[512], comm[64];
	unsigned long long id, got, msgs, errors;
	unsigned int ns, nr, sw, rw;
	int ep, pid;

	ASSERT_EQ(0, prctl(PR_GET_NAME, old));
	ASSERT_EQ(0, prctl(PR_SET_NAME, "a b\\c"));
	ep = kipc_ep_create(&self->c, 0);
	ASSERT_EQ(0, prctl(PR_SET_NAME, old));
	ASSERT_GE(ep, 0);
	id = fdinfo_value(0, ep, "kipc-endpoint");
	proc_line(id, line, sizeof(line));
	ASSERT_EQ(9, sscanf(line, "%llu %d %63s %u %u %u %u %llu %llu", &got, &pid,
			    comm, &ns, &nr, &sw, &rw, &msgs, &errors));
	EXPECT_STREQ("a\\040b\\134c", comm);
	EXPECT_EQ(1, ns);
	EXPECT_EQ(1, nr);
	close(ep);
}

static const char *kipcctl_path(void)
{
	static const char *const paths[] = { "/tools/kipcctl", "build/tools/kipcctl" };

	for (unsigned int i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

/* kipcctl prints the live endpoints and a process's handles. */
TEST_F(obs, kipcctl)
{
	unsigned long long id = fdinfo_value(0, self->ep, "kipc-endpoint");
	const char *tool = kipcctl_path();
	char cmd[256], line[512], want[64];
	int found = 0, badge = 0;
	FILE *p;
	int h;

	if (!tool)
		SKIP(return, "kipcctl not built");
	h = kipc_ep_mint(&self->c, self->ep, KIPC_RIGHT_SEND, 0xb0b, KIPC_MINT_BADGE);
	ASSERT_GE(h, 0);
	snprintf(cmd, sizeof(cmd), "%s list", tool);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	snprintf(want, sizeof(want), "%llu", id);
	while (fgets(line, sizeof(line), p)) {
		char first[64];

		if (sscanf(line, "%63s", first) == 1 && !strcmp(first, want) &&
		    strstr(line, "observe"))
			found = 1;
	}
	EXPECT_EQ(0, pclose(p));
	EXPECT_EQ(1, found);

	snprintf(cmd, sizeof(cmd), "%s handles %d", tool, getpid());
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "0xb0b"))
			badge = 1;
	EXPECT_EQ(0, pclose(p));
	EXPECT_EQ(1, badge);
	close(h);
}

/* kipcctl names lists the published names, kipcctl stats the counts. */
TEST_F(obs, kipcctl_names_stats)
{
	const char *tool = kipcctl_path();
	char cmd[256], line[512];
	int found = 0, names = 0;
	FILE *p;

	if (!tool)
		SKIP(return, "kipcctl not built");
	ASSERT_EQ(0, kipc_publish(&self->c, "test.kipcctl", self->ep, 0640,
				  KIPC_PUBLISH_BADGE, 0xcafe));
	snprintf(cmd, sizeof(cmd), "%s names", tool);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "test.kipcctl") && strstr(line, "0640") &&
		    strstr(line, "0xcafe"))
			found = 1;
	EXPECT_EQ(0, pclose(p));
	EXPECT_EQ(1, found);
	snprintf(cmd, sizeof(cmd), "%s stats", tool);
	p = popen(cmd, "r");
	ASSERT_NE(NULL, p);
	while (fgets(line, sizeof(line), p)) {
		long v;

		if (sscanf(line, "names %ld", &v) == 1 && v >= 1)
			names = 1;
	}
	EXPECT_EQ(0, pclose(p));
	EXPECT_EQ(1, names);
	EXPECT_EQ(0, kipc_unpublish(&self->c, "test.kipcctl", self->ep));
}

/* kipcctl served: an accounting endpoint's calls per badge and uid. */
TEST_F(obs, kipcctl_served)
{
	const char *tool = kipcctl_path();
	int ep = kipc_ep_create(&self->c, KIPC_EP_ACCOUNT);
	unsigned long long id = fdinfo_value(0, ep, "kipc-endpoint");
	int h = kipc_ep_mint(&self->c, ep, KIPC_RIGHT_SEND, 0x5e7, KIPC_MINT_BADGE);
	struct partner p;
	char cmd[256], line[512], want[64];
	int by_badge = 0, by_uid = 0;
	FILE *f;

	if (!tool)
		SKIP(return, "kipcctl not built");
	ASSERT_GE(ep, 0);
	ASSERT_GE(h, 0);
	ASSERT_EQ(0, partner_start(&p, ep, partner_echo, NULL));
	for (int i = 0; i < 3; i++)
		ASSERT_EQ(0, kipc_call(&self->c, h, KIPC_TAG(i, 0), INF));
	snprintf(cmd, sizeof(cmd), "%s served", tool);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	snprintf(want, sizeof(want), "%llu", id);
	while (fgets(line, sizeof(line), f)) {
		char e[32], by[16], who[32];
		unsigned long long calls;

		if (sscanf(line, "%31s %15s %31s %llu", e, by, who, &calls) != 4 ||
		    strcmp(e, want))
			continue;
		by_badge |= !strcmp(by, "badge") && !strcmp(who, "0x5e7") && calls == 3;
		by_uid |= !strcmp(by, "uid") && !strcmp(who, "0") && calls == 3;
	}
	EXPECT_EQ(0, pclose(f));
	EXPECT_EQ(1, by_badge);
	EXPECT_EQ(1, by_uid);
	close(h);
	close(ep);
	EXPECT_EQ(3, partner_join(&p));
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	int ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -EIO;
}

static void *trace_server(void *arg)
{
	int ep = *(int *)arg;
	struct kipc_ctx c;

	ctx_open(&c);
	if (!kipc_recv(&c, ep, INF))
		kipc_reply(&c, KIPC_TAG(2, 0));
	kipc_ctx_close(&c);
	return NULL;
}

/* Every kipc tracepoint fires where it should. */
TEST_F(obs, tracepoints)
{
	static const char *const events[] = {
		"kipc_ep_create:", "kipc_call:", "kipc_recv:", "kipc_transfer:",
		"kipc_reply:", "kipc_wake:", "kipc_error:", "kipc_send:",
		"kipc_ep_destroy:",
	};
	int seen[sizeof(events) / sizeof(events[0])] = { 0 };
	char line[1024];
	int arg, ep;
	pthread_t t;
	FILE *f;

	if (access(TRACEFS "/events/kipc/enable", W_OK))
		SKIP(return, "tracefs with kipc events not available");
	ASSERT_EQ(0, write_file(TRACEFS "/trace", ""));
	ASSERT_EQ(0, write_file(TRACEFS "/events/kipc/enable", "1"));
	ASSERT_EQ(0, write_file(TRACEFS "/tracing_on", "1"));

	ep = kipc_ep_create(&self->c, 0);
	ASSERT_GE(ep, 0);
	arg = ep;
	ASSERT_EQ(0, pthread_create(&t, NULL, trace_server, &arg));
	ASSERT_EQ(0, kipc_call(&self->c, ep, KIPC_TAG(0x77, 1), INF));
	pthread_join(t, NULL);
	EXPECT_EQ(-EAGAIN, kipc_send(&self->c, ep, KIPC_TAG(1, 0), KIPC_TIMEOUT_POLL));
	close(ep);

	ASSERT_EQ(0, write_file(TRACEFS "/events/kipc/enable", "0"));
	f = fopen(TRACEFS "/trace", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		for (unsigned int i = 0; i < sizeof(events) / sizeof(events[0]); i++)
			if (strstr(line, events[i]))
				seen[i]++;
		if (strstr(line, "kipc_call:"))
			EXPECT_NE(NULL, strstr(line, "label=0x77 nr=1"));
		if (strstr(line, "kipc_error:"))
			EXPECT_NE(NULL, strstr(line, "op=send"));
	}
	fclose(f);
	for (unsigned int i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		TH_LOG("%s %d", events[i], seen[i]);
		EXPECT_GT(seen[i], 0);
	}
}

/* /proc/kipc/stats counts live objects, and they go away with their fds. */
TEST_F(obs, stats_count_objects)
{
	long ctx0 = kipc_stat("contexts"), ep0 = kipc_stat("endpoints");
	long h0 = kipc_stat("handles");
	struct kipc_ctx c2;
	int ep2, m;

	ASSERT_GE(ctx0, 1);
	ASSERT_GE(ep0, 1);
	ASSERT_GE(h0, 1);
	ctx_open(&c2);
	ep2 = kipc_ep_create(&c2, 0);
	ASSERT_GE(ep2, 0);
	m = kipc_ep_mint(&c2, ep2, KIPC_RIGHT_SEND, 1, KIPC_MINT_BADGE);
	ASSERT_GE(m, 0);
	EXPECT_EQ(ctx0 + 1, kipc_stat("contexts"));
	EXPECT_EQ(ep0 + 1, kipc_stat("endpoints"));
	EXPECT_EQ(h0 + 2, kipc_stat("handles"));
	close(m);
	EXPECT_EQ(h0 + 1, kipc_stat("handles"));
	EXPECT_EQ(ep0 + 1, kipc_stat("endpoints"));
	close(ep2);
	EXPECT_EQ(h0, kipc_stat("handles"));
	EXPECT_EQ(ep0, kipc_stat("endpoints"));
	kipc_ctx_close(&c2);
	EXPECT_EQ(ctx0, kipc_stat("contexts"));
}

/*
 * /proc/kipc/version: the ABI version KIPC_IOC_VERSION reports and the
 * version of the /proc and fdinfo formats, "key value" lines.
 */
TEST_F(obs, proc_version)
{
	unsigned int major = 0, minor = 0, format = 0;
	int abi_lines = 0, format_lines = 0;
	struct kipc_version v;
	char line[128];
	struct stat st;
	FILE *f;

	ASSERT_EQ(0, stat("/proc/kipc/version", &st));
	EXPECT_EQ(0444, st.st_mode & 07777);
	ASSERT_EQ(0, kipc_version(&self->c, &v));
	f = fopen("/proc/kipc/version", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "abi %u.%u", &major, &minor) == 2)
			abi_lines++;
		else if (sscanf(line, "proc-format %u", &format) == 1)
			format_lines++;
	}
	fclose(f);
	EXPECT_EQ(1, abi_lines);
	EXPECT_EQ(1, format_lines);
	EXPECT_EQ(v.abi_major, major);
	EXPECT_EQ(v.abi_minor, minor);
	EXPECT_EQ(KIPC_ABI_MAJOR, major);
	EXPECT_EQ(KIPC_ABI_MINOR, minor);
	/* This test knows format 1; a new format must update it. */
	EXPECT_EQ(1, format);
}

TEST_HARNESS_MAIN
