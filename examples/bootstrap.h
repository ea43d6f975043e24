/* SPDX-License-Identifier: MIT */
/*
 * bootstrap.h: hand one file descriptor over a UNIX stream socket.
 *
 * kipc has no name service yet, so a client cannot look an endpoint up by
 * name: somebody has to give it its first handle.  Until named services
 * exist, the examples do it the classic Unix way: the server listens on a
 * socket path and passes each client that connects one handle with
 * SCM_RIGHTS.  Everything after that first handle is plain kipc.
 */
#ifndef KIPC_EXAMPLES_BOOTSTRAP_H
#define KIPC_EXAMPLES_BOOTSTRAP_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static inline int bootstrap_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

/*
 * Listen on @path, replacing a stale socket there.  The socket is bound
 * under a temporary name and renamed to @path once it listens, so whoever
 * sees @path can connect at once.  Anyone may connect (mode 0666).
 * Returns the listening socket or -errno.
 */
static inline int bootstrap_listen(const char *path)
{
	struct sockaddr_un sa;
	char tmp[sizeof(sa.sun_path)];
	int s, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	err = bootstrap_addr(&sa, tmp);
	if (err)
		return err;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	unlink(tmp);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) || listen(s, 16) ||
	    chmod(tmp, 0666) || rename(tmp, path)) {
		err = -errno;
		unlink(tmp);
		close(s);
		return err;
	}
	return s;
}

/*
 * Accept one connection on @lsock, send it @fd (with one byte of data, as
 * SCM_RIGHTS needs some) and close the connection.  @fd stays open here.
 * Returns 0 or -errno.
 */
static inline int bootstrap_accept_send(int lsock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'k';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *cmsg;
	int c, err = 0;

	do
		c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0)
		return -errno;

	memset(&u, 0, sizeof(u));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	if (sendmsg(c, &msg, MSG_NOSIGNAL) != 1)
		err = -errno;
	close(c);
	return err;
}

/*
 * Connect to @path and receive the file descriptor the other side sends.
 * Returns it (close-on-exec) or -errno.
 */
static inline int bootstrap_connect_recv(const char *path)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf),
	};
	struct sockaddr_un sa;
	struct cmsghdr *cmsg;
	int s, fd = -EBADMSG;
	ssize_t n;

	s = bootstrap_addr(&sa, path);
	if (s)
		return s;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		fd = -errno;
		goto out;
	}
	do
		n = recvmsg(s, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		fd = -errno;
		goto out;
	}
	cmsg = CMSG_FIRSTHDR(&msg);
	if (n == 1 && cmsg && cmsg->cmsg_level == SOL_SOCKET &&
	    cmsg->cmsg_type == SCM_RIGHTS &&
	    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
out:
	close(s);
	return fd;
}

#endif /* KIPC_EXAMPLES_BOOTSTRAP_H */
