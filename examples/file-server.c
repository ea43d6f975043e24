// SPDX-License-Identifier: MIT
/*
 * file-server: a file server that answers reads straight into its callers'
 * memory windows (ABI 1.5).
 *
 *   file-server DIR NAME...
 *
 * The program serves the files of DIR to clients it forks, one per NAME:
 * each client calls with its request in registers (offset, length), the
 * file's name in a READ window and a WRITE window for the bytes, then
 * compares what it got with the file read directly, and prints
 * "NAME: N bytes in M calls".  Exits 0 when every client got every file.
 *
 * What the server shows:
 *   - the name is copied once into the server's own buffer and checked
 *     there (NUL within the length, no '/', not "." or ".."); it is never
 *     read from the caller's memory again, which the caller may change at
 *     any moment: the server only ever trusts its own copy;
 *   - the data goes into the caller's WRITE window with kipc_win_write(),
 *     as much as fits, from the server's read of the file: the caller's
 *     buffer is written by the kernel, once, while the call waits;
 *   - a small name usually needs no read at all: the server posted a
 *     receive buffer (kipc_rbuf_set()) that the kernel fills with the first
 *     READ window when it fits (KIPC_WIN_COPIED);
 *   - every error goes back as a negative errno in register 0, and the
 *     server serves on.
 * Build: cc ... file-server.c -lkipc
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* accept4(), and glibc's other extensions */
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kipc.h>

#define OP_READ		1
#define CHUNK		(256 * 1024)	/* what one call asks for */
#define NAME_MAX_	255

static void die(const char *what, int err)
{
	fprintf(stderr, "file-server: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/*
 * Copy the name (window 0) into @name, once, and check it there.  Returns
 * 0 or -errno; from here on only @name is used.
 */
static int take_name(struct kipc_ctx *s, char *name, const char *rbuf)
{
	uint64_t len;

	if (kipc_nwins(s) != 2 || !(kipc_win_flags(s, 0) & KIPC_WIN_READ) ||
	    !(kipc_win_flags(s, 1) & KIPC_WIN_WRITE))
		return -EINVAL;
	len = kipc_win_len(s, 0);
	if (len == 0 || len > NAME_MAX_)
		return -ENAMETOOLONG;
	if (kipc_win_flags(s, 0) & KIPC_WIN_COPIED)
		memcpy(name, rbuf, len);	/* the kernel's copy, in our buffer */
	else if (kipc_win_read(s, 0, 0, name, len) != (ssize_t)len)
		return -EFAULT;
	name[len] = '\0';
	/* Checked on our copy: the caller cannot change it any more. */
	if (strlen(name) != len || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

/* One request: returns the bytes written into the caller's window or -errno. */
static long serve_read(struct kipc_ctx *s, int dir, const char *rbuf, char *buf)
{
	char name[NAME_MAX_ + 1];
	uint64_t off, want;
	ssize_t n;
	int fd, ret;

	if (KIPC_TAG_LABEL(kipc_tag(s)) != OP_READ || KIPC_TAG_NR(kipc_tag(s)) != 2)
		return -EBADMSG;
	off = kipc_mr(s)[0];
	want = kipc_mr(s)[1];
	ret = take_name(s, name, rbuf);
	if (ret)
		return ret;
	if (want > kipc_win_len(s, 1))
		want = kipc_win_len(s, 1);
	if (want > CHUNK)
		want = CHUNK;
	fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, want, off);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	/* Into the caller's window, at its start: one copy. */
	return n ? kipc_win_write(s, 1, 0, buf, n) : 0;
}

static int server(int ep, int dir)
{
	static char rbuf[NAME_MAX_ + 1], buf[CHUNK];
	struct kipc_ctx s;
	uint64_t tag = 0;
	long served = 0;
	int ret = kipc_ctx_open(&s);

	if (ret)
		die("server context", ret);
	/* Names up to 255 bytes arrive with the call, copied by the kernel. */
	ret = kipc_rbuf_set(&s, rbuf, sizeof(rbuf));
	if (ret)
		die("kipc_rbuf_set", ret);
	for (;;) {
		ret = kipc_reply_recv(&s, ep, tag, KIPC_TIMEOUT_INFINITE);
		if (ret == -EPIPE)
			break;		/* every client is gone */
		if (ret)
			die("kipc_reply_recv", ret);
		kipc_mr(&s)[0] = serve_read(&s, dir, rbuf, buf);
		tag = KIPC_TAG(0, 1);
		served++;
	}
	kipc_ctx_close(&s);
	fprintf(stderr, "file-server: served %ld calls\n", served);
	return 0;
}

/* A client: the whole file through the server, compared with a direct read. */
static int client(int ep, int dir, const char *name)
{
	struct kipc_ctx c;
	char *got = NULL, *want = NULL;
	size_t len = 0, cap = 0;
	long calls = 0;
	int ret = kipc_ctx_open(&c), fd;
	struct stat st;

	if (ret)
		die("client context", ret);
	for (;;) {
		if (cap - len < CHUNK) {
			cap = cap * 2 + CHUNK;
			got = realloc(got, cap);
			if (!got)
				die("realloc", ENOMEM);
		}
		kipc_mr(&c)[0] = len;
		kipc_mr(&c)[1] = CHUNK;
		kipc_win_set(&c, 0, name, strlen(name), KIPC_WIN_READ);
		kipc_win_set(&c, 1, got + len, CHUNK, KIPC_WIN_WRITE);
		ret = kipc_call(&c, ep, KIPC_TAG_WITH_WINS(KIPC_TAG(OP_READ, 2), 2),
				KIPC_TIMEOUT_INFINITE);
		if (ret)
			die("kipc_call", ret);
		calls++;
		if ((int64_t)kipc_mr(&c)[0] < 0) {
			fprintf(stderr, "%s: %s\n", name, strerror(-(int64_t)kipc_mr(&c)[0]));
			return 1;
		}
		if (!kipc_mr(&c)[0])
			break;
		len += kipc_mr(&c)[0];
	}
	fd = openat(dir, name, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(name, errno);
	want = malloc(st.st_size + 1);
	if (!want || read(fd, want, st.st_size) != st.st_size)
		die(name, EIO);
	close(fd);
	if ((off_t)len != st.st_size || memcmp(got, want, len)) {
		fprintf(stderr, "%s: got %zu bytes, not the file's %lld\n", name, len,
			(long long)st.st_size);
		return 1;
	}
	printf("%s: %zu bytes in %ld calls\n", name, len, calls);
	kipc_ctx_close(&c);
	return 0;
}

int main(int argc, char **argv)
{
	struct kipc_ctx c;
	int ep, rx, tx, dir, ret, failed = 0;
	pid_t srv;

	if (argc < 3) {
		fprintf(stderr, "usage: file-server DIR NAME...\n");
		return 2;
	}
	dir = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		die(argv[1], errno);
	ret = kipc_ctx_open(&c);
	if (ret)
		die("kipc_ctx_open", ret);
	ep = kipc_ep_create(&c, 0);
	if (ep < 0)
		die("kipc_ep_create", ep);
	/* The server gets the receive right only, the clients the send right. */
	rx = kipc_ep_mint(&c, ep, KIPC_RIGHT_RECV, 0, 0);
	tx = kipc_ep_mint(&c, ep, KIPC_RIGHT_SEND, 0, 0);
	if (rx < 0 || tx < 0)
		die("kipc_ep_mint", rx < 0 ? rx : tx);
	close(ep);
	kipc_ctx_close(&c);
	srv = fork();
	if (srv < 0)
		die("fork", errno);
	if (!srv) {
		close(tx);
		return server(rx, dir);
	}
	close(rx);
	for (int i = 2; i < argc; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork", errno);
		if (!pid)
			return client(tx, dir, argv[i]);
	}
	/* The last send right closes with the clients: the server ends (EPIPE). */
	close(tx);
	for (int i = 2; i <= argc; i++) {
		int st;

		if (wait(&st) < 0)
			break;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed = 1;
	}
	return failed;
}
