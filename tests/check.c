/* The tally behind CHECK() (check.h), and the raw send of the hostile channel tests. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

int check_count, check_failures;

int
check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

long
check_rawsend(int sock, const struct iovec *iov, int iovcnt, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 mh;
	struct cmsghdr	*c;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = (size_t)iovcnt;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_len = CMSG_LEN(sizeof(int));
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return (long)sendmsg(sock, &mh, MSG_NOSIGNAL);
}
