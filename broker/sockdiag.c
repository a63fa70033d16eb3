/*
 * Is someone listening on this socket file? Asked of the kernel (sock_diag), not by
 * connecting: a live privfsd accepts exactly one connection, so a probe would take the
 * place of its QEMU and end that export.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <netinet/tcp.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"

/* The kernel reports the raw super block dev_t (major << 20 | minor). */
static int
same_file(const struct unix_diag_vfs *v, dev_t dev, ino_t ino)
{
	dev_t kdev = makedev(v->udiag_vfs_dev >> 20, v->udiag_vfs_dev & 0xfffff);

	return kdev == dev && v->udiag_vfs_ino == (uint32_t)ino;
}

/* One dump message: 1 when it is a listener bound to dev/ino. */
static int
msg_matches(struct nlmsghdr *h, dev_t dev, ino_t ino)
{
	struct unix_diag_msg	*m = NLMSG_DATA(h);
	struct rtattr		*a;
	int			 len;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return 0;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (a = (struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == UNIX_DIAG_VFS &&
		    RTA_PAYLOAD(a) >= sizeof(struct unix_diag_vfs) &&
		    same_file(RTA_DATA(a), dev, ino))
			return 1;
	return 0;
}

static int
dump_request(int fd)
{
	struct {
		struct nlmsghdr		nlh;
		struct unix_diag_req	req;
	} r;

	memset(&r, 0, sizeof(r));
	r.nlh.nlmsg_len = sizeof(r);
	r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.req.sdiag_family = AF_UNIX;
	r.req.udiag_states = 1u << TCP_LISTEN;
	r.req.udiag_show = UDIAG_SHOW_VFS;
	return send(fd, &r, sizeof(r), 0) == (ssize_t)sizeof(r) ? 0 : -1;
}

int
sockdiag_is_listening(dev_t dev, ino_t ino)
{
	static uint8_t	 buf[16384] __attribute__((__aligned__(NLMSG_ALIGNTO)));
	struct nlmsghdr	*h;
	ssize_t		 n;
	int		 fd, found = 0;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) == -1)
		return -1;
	if (dump_request(fd) == -1)
		goto fail;
	for (;;) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) <= 0)
			goto fail;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				close(fd);
				return found;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				goto fail;
			if (msg_matches(h, dev, ino))
				found = 1;
		}
	}
fail:
	close(fd);
	return -1;
}
