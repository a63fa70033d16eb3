/*
 * The vhost-user back-end channel (SET_BACKEND_REQ_FD), which the VMM gave the frontend
 * and the frontend handed to us: the broker alone writes on it, to map file ranges into
 * the DAX window and to remove them. Two message sets, picked by what was negotiated:
 *
 *   SHMEM_MAP = 9 / SHMEM_UNMAP = 10 (protocol feature SHMEM_MAP, QEMU 11): a 40-byte
 *   struct {u8 shmid, 7 pad, fd_offset, shm_offset, len, flags (bit 0 writable)}, the
 *   file's fd with the map. The VMM refuses a map over a live mapping and an unmap that is
 *   not exactly one whole mapping; the worker's table keeps to that.
 *
 *   FS_MAP = 6 / FS_UNMAP = 7 (the virtio-fs DAX branch of QEMU, --dax-vmm=fs-map; those
 *   numbers mean other things to a current QEMU, so they are only sent on the operator's
 *   word): four arrays of 8 u64 (fd_offset, c_offset, len, flags: 1 read, 2 write), one
 *   entry used.
 *
 * Every request asks for an answer (REPLY_ACK) and waits for it a bounded time. A VMM
 * that does not answer in time leaves the channel out of step (a late answer would be
 * taken for the next request's), so the channel is dropped and DAX fails from then on.
 * Every range is checked against the operator's window here, whatever the worker says.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "log.h"

#define BACKEND_REPLY_TIMEOUT_MS	3000

/* vhost-user: header, flags, the features and requests used here. */
#define VU_VERSION		0x1u
#define VU_FLAG_REPLY		0x4u
#define VU_FLAG_NEED_REPLY	0x8u
#define VU_PROTO_F_REPLY_ACK	3
#define VU_PROTO_F_SHMEM_MAP	22
#define VU_BACKEND_FS_MAP	6
#define VU_BACKEND_FS_UNMAP	7
#define VU_BACKEND_SHMEM_MAP	9
#define VU_BACKEND_SHMEM_UNMAP	10
#define SHMEM_ID_DAX_CACHE	0	/* virtio-fs: the cache window is region 0 */

struct vu_backend_hdr {
	uint32_t	request;
	uint32_t	flags;
	uint32_t	size;
};

struct vu_shmem_mmap {
	uint8_t		shmid;
	uint8_t		pad[7];
	uint64_t	fd_offset;
	uint64_t	shm_offset;
	uint64_t	len;
	uint64_t	flags;
};
#define SHMEM_MAP_WRITABLE	0x1

#define FS_MAP_ENTRIES		8
struct vu_fs_map {
	uint64_t	fd_offset[FS_MAP_ENTRIES];
	uint64_t	c_offset[FS_MAP_ENTRIES];
	uint64_t	len[FS_MAP_ENTRIES];
	uint64_t	flags[FS_MAP_ENTRIES];
};
#define FS_MAP_R		0x1
#define FS_MAP_W		0x2

static int		 backend_fd = -1;
static uint64_t		 backend_protocol;
static uint32_t		 dax_mode;
static uint32_t		 dax_vmm;
static uint64_t		 dax_window;

void
backend_set_config(const struct msg_config *c)
{
	dax_mode = c->dax;
	dax_vmm = c->dax_vmm;
	dax_window = c->dax_window;
}

/* A new SET_BACKEND_REQ_FD (after a device reset) replaces the old channel. */
void
backend_set_channel(int fd, uint64_t protocol_features)
{
	if (backend_fd != -1)
		close(backend_fd);
	backend_fd = fd;
	backend_protocol = protocol_features;
	log_debug("vhost-user back-end channel received (protocol features %#llx)",
	    (unsigned long long)protocol_features);
}

static void
backend_drop(const char *why)
{
	log_warnx("vhost-user back-end channel: %s; DAX requests fail from now on", why);
	close(backend_fd);
	backend_fd = -1;
}

/* Which message set, or 0 when DAX cannot be served on this connection. */
static int
backend_flavour(void)
{
	if (dax_mode == DAX_NEVER || backend_fd == -1 ||
	    !(backend_protocol & (1ULL << VU_PROTO_F_REPLY_ACK)))
		return 0;
	if (dax_vmm == DAX_VMM_FS_MAP)
		return VU_BACKEND_FS_MAP;
	if (backend_protocol & (1ULL << VU_PROTO_F_SHMEM_MAP))
		return VU_BACKEND_SHMEM_MAP;
	return 0;
}

/* Inside the window, without wrapping, on the window's granule. */
int
backend_range_ok(uint64_t window_offset, uint64_t len)
{
	return len != 0 && window_offset <= dax_window && len <= dax_window - window_offset &&
	    window_offset % DAX_ALIGN == 0 && len % DAX_ALIGN == 0;
}

static int
backend_send(uint32_t request, const void *payload, uint32_t size, int fd)
{
	struct vu_backend_hdr	 hdr = { request, VU_VERSION | VU_FLAG_NEED_REPLY, size };
	struct iovec		 iov[2] = { { &hdr, sizeof(hdr) }, { (void *)payload, size } };
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cmsg;
	struct msghdr		 mh;
	struct cmsghdr		*cm;
	ssize_t			 n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (fd != -1) {
		memset(&cmsg, 0, sizeof(cmsg));
		mh.msg_control = cmsg.buf;
		mh.msg_controllen = sizeof(cmsg.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	while ((n = sendmsg(backend_fd, &mh, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		;
	if (n != (ssize_t)(sizeof(hdr) + size)) {
		backend_drop(n == -1 ? strerror(errno) : "short write");
		return EIO;
	}
	return 0;
}

/* Read exactly len bytes before the deadline; 0, or an errno value. */
static int
backend_read(void *buf, size_t len, int64_t deadline)
{
	struct pollfd	 pfd = { backend_fd, POLLIN, 0 };
	uint8_t		*p = buf;
	ssize_t		 n;
	int64_t		 left;

	while (len > 0) {
		if ((left = deadline - now_ms()) <= 0)
			return ETIMEDOUT;
		if ((n = poll(&pfd, 1, (int)left)) == -1 && errno != EINTR)
			return EIO;
		if (n <= 0)
			continue;
		if ((n = recv(backend_fd, p, len, MSG_DONTWAIT)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return EIO;
		}
		if (n == 0)
			return EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Said once at warning level: QEMU 11 refuses a map that reaches past the end of the
 * file (its check of the backing file's size), and Linux asks for whole 2 MiB ranges, so
 * the tail of most files cannot be mapped there; the guest sees EIO.
 */
static void
backend_refused(uint32_t request, uint64_t status)
{
	static int said;

	if (said++ == 0)
		log_warnx("the VMM refused a DAX request (%u, status %llu); QEMU refuses ranges "
		    "past the end of a file: see privfsd(8), DAX", request,
		    (unsigned long long)status);
	else
		log_debug("the VMM refused a DAX request (%u, status %llu)", request,
		    (unsigned long long)status);
}

/* The VMM's answer to request: 0, or an errno value (EIO for a refusal). */
static int
backend_wait_ack(uint32_t request)
{
	struct vu_backend_hdr	hdr;
	uint64_t		status;
	int64_t			deadline = now_ms() + BACKEND_REPLY_TIMEOUT_MS;
	int			error;

	if ((error = backend_read(&hdr, sizeof(hdr), deadline)) == 0 &&
	    (hdr.request != request || !(hdr.flags & VU_FLAG_REPLY) ||
	    hdr.size != sizeof(status)))
		error = EPROTO;
	if (error == 0)
		error = backend_read(&status, sizeof(status), deadline);
	switch (error) {
	case 0:
		if (status != 0)
			backend_refused(request, status);
		return status == 0 ? 0 : EIO;
	case ETIMEDOUT:
		backend_drop("the VMM did not answer a map request in time");
		return ETIMEDOUT;
	default:
		backend_drop(error == EPROTO ? "unexpected answer" : "closed or failed");
		return EIO;
	}
}

static int
backend_request(uint32_t request, const void *payload, uint32_t size, int fd)
{
	int error;

	if ((error = backend_send(request, payload, size, fd)) != 0)
		return error;
	error = backend_wait_ack(request);
	log_debug("back-end request %u: %s", request, error == 0 ? "done" : strerror(error));
	return error;
}

/*
 * One map (fd != -1) or unmap (fd -1) of [window_offset, + len) in the message set the
 * connection speaks. file_offset and writable only matter for a map.
 */
static int
backend_dax(uint64_t window_offset, uint64_t len, uint64_t file_offset, int writable, int fd)
{
	struct vu_shmem_mmap	sm;
	struct vu_fs_map	fm;
	int			flavour = backend_flavour(), map = fd != -1;

	if (flavour == 0)
		return backend_fd == -1 && dax_mode != DAX_NEVER ? EIO : EOPNOTSUPP;
	log_debug("%s window %#llx+%#llx file %#llx%s", map ? "map" : "unmap",
	    (unsigned long long)window_offset, (unsigned long long)len,
	    (unsigned long long)file_offset, writable ? " writable" : "");
	if (flavour == VU_BACKEND_SHMEM_MAP) {
		memset(&sm, 0, sizeof(sm));
		sm.shmid = SHMEM_ID_DAX_CACHE;
		sm.fd_offset = file_offset;
		sm.shm_offset = window_offset;
		sm.len = len;
		sm.flags = writable ? SHMEM_MAP_WRITABLE : 0;
		return backend_request(map ? VU_BACKEND_SHMEM_MAP : VU_BACKEND_SHMEM_UNMAP,
		    &sm, sizeof(sm), fd);
	}
	memset(&fm, 0, sizeof(fm));
	fm.fd_offset[0] = file_offset;
	fm.c_offset[0] = window_offset;
	fm.len[0] = len;
	fm.flags[0] = map ? FS_MAP_R | (writable ? FS_MAP_W : 0) : 0;
	return backend_request(map ? VU_BACKEND_FS_MAP : VU_BACKEND_FS_UNMAP, &fm, sizeof(fm),
	    fd);
}

int
backend_dax_map(const struct msg_dax_map *d, int fd)
{
	if (fd == -1)
		return EBADF;
	return backend_dax(d->window_offset, d->len, d->fd_offset,
	    (d->flags & DAX_MAP_WRITE) != 0, fd);
}

int
backend_dax_unmap(const struct msg_dax_range *r)
{
	return backend_dax(r->window_offset, r->len, 0, 0, -1);
}
