/*
 * The VMM's side of DAX: a cache window of address space and a thread serving the
 * back-end channel's map requests into it, with the rules of the VMM being played.
 *
 *   shmem   (QEMU 11.1, VHOST_USER_PROTOCOL_F_SHMEM_MAP) SHMEM_MAP and SHMEM_UNMAP: a map
 *           over a live mapping fails, an unmap must name exactly one whole live mapping,
 *           shmid must be a region we declared (0, the virtio-fs cache). Like QEMU 11.1,
 *           every range is mapped writable whatever the flags say (a read-only map only
 *           marks the fd read-only), so the mmap of a read-only fd fails with EACCES;
 *           and a range past the end of the file is refused (QEMU checks the size of
 *           the backing file against fd_offset + len).
 *   fs-map  (the old virtio-fs DAX branch of QEMU) FS_MAP and FS_UNMAP, eight entries
 *           each: a map simply replaces what was there (MAP_FIXED), an unmap puts back
 *           inaccessible memory over any range, len ~0 meaning the whole window.
 *
 * The window is a PROT_NONE reservation, so touching an unmapped part faults as it does
 * in a guest. Every range is checked to lie inside the window before anything is mapped;
 * one that does not is counted in "outside": the back-end under test must never send one,
 * and the tests fail on it.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vu_driver.h"

#define PAGE		4096ULL
#define FS_MAP_ENTRIES	8
#define FS_MAP_R	1
#define FS_MAP_W	2
#define SHMEM_WRITABLE	1
#define MAX_BODY	4096

struct shmem_msg {		/* SHMEM_MAP, SHMEM_UNMAP */
	uint8_t		shmid;
	uint8_t		pad[7];
	uint64_t	fd_offset;
	uint64_t	shm_offset;
	uint64_t	len;
	uint64_t	flags;
};

struct fs_map_msg {		/* FS_MAP, FS_UNMAP */
	uint64_t	fd_offset[FS_MAP_ENTRIES];
	uint64_t	c_offset[FS_MAP_ENTRIES];
	uint64_t	len[FS_MAP_ENTRIES];
	uint64_t	flags[FS_MAP_ENTRIES];
};

const char *
vu_dax_flavour_name(int f)
{
	return f == VU_DAX_FS_MAP ? "fs-map" : "shmem";
}

static void __attribute__((__format__(printf, 2, 3)))
dax_log(const struct vu_dax *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->verbose)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "driver: dax: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---- the live list (sorted by offset, no overlaps); called with the lock held ------ */

static int
overlaps(const struct vu_dax_map *m, uint64_t off, uint64_t len)
{
	return m->shm_offset < off + len && off < m->shm_offset + m->len;
}

static int
live_insert(struct vu_dax *d, uint64_t off, uint64_t len, uint64_t fd_off, int w)
{
	size_t i, n = d->st.nlive;

	if (n >= VU_DAX_MAX_LIVE)
		return -1;
	for (i = 0; i < n && d->live[i].shm_offset < off; i++)
		;
	memmove(&d->live[i + 1], &d->live[i], (n - i) * sizeof(d->live[0]));
	d->live[i].shm_offset = off;
	d->live[i].len = len;
	d->live[i].fd_offset = fd_off;
	d->live[i].writable = w;
	d->st.nlive++;
	return 0;
}

/* Take [off, off + len) out of every live mapping, cutting those it crosses in two. */
static int
live_subtract(struct vu_dax *d, uint64_t off, uint64_t len)
{
	struct vu_dax_map keep[2], *m;
	size_t i = 0;
	int k, nk;

	while (i < d->st.nlive) {
		m = &d->live[i];
		if (!overlaps(m, off, len)) {
			i++;
			continue;
		}
		nk = 0;
		if (m->shm_offset < off) {
			keep[nk] = *m;
			keep[nk++].len = off - m->shm_offset;
		}
		if (m->shm_offset + m->len > off + len) {
			keep[nk] = *m;
			keep[nk].shm_offset = off + len;
			keep[nk].fd_offset += off + len - m->shm_offset;
			keep[nk++].len = m->shm_offset + m->len - (off + len);
		}
		memmove(m, m + 1, (d->st.nlive - i - 1) * sizeof(*m));
		d->st.nlive--;
		for (k = 0; k < nk; k++)
			if (live_insert(d, keep[k].shm_offset, keep[k].len, keep[k].fd_offset,
			    keep[k].writable) == -1)
				return -1;
		i = 0;	/* the list moved; pieces left never overlap again */
	}
	return 0;
}

static ssize_t
live_exact(const struct vu_dax *d, uint64_t off, uint64_t len)
{
	size_t i;

	for (i = 0; i < d->st.nlive; i++)
		if (d->live[i].shm_offset == off && d->live[i].len == len)
			return (ssize_t)i;
	return -1;
}

/* ---- mapping --------------------------------------------------------------------- */

/* Inside the window, no wrap. A zero length is malformed, not outside. */
static int
in_window(const struct vu_dax *d, uint64_t off, uint64_t len)
{
	return off <= d->size && len <= d->size - off;
}

static int
outside(struct vu_dax *d, const char *what, uint64_t off, uint64_t len)
{
	d->st.outside++;
	fprintf(stderr, "driver: dax: %s [0x%llx, +0x%llx) is not inside the %llu-byte "
	    "window: the back-end must never send this\n", what, (unsigned long long)off,
	    (unsigned long long)len, (unsigned long long)d->size);
	return -1;
}

static int
map_fixed(struct vu_dax *d, int fd, uint64_t off, uint64_t len, uint64_t fd_off, int w)
{
	void *p;

	if (off % PAGE != 0 || len % PAGE != 0 || fd_off % PAGE != 0 || len == 0) {
		dax_log(d, "map [0x%llx, +0x%llx) fd offset 0x%llx: not page aligned",
		    (unsigned long long)off, (unsigned long long)len, (unsigned long long)fd_off);
		return -1;
	}
	if (fd_off > (uint64_t)INT64_MAX - len)
		return -1;
	p = mmap(d->window + off, len, PROT_READ | (w ? PROT_WRITE : 0), MAP_SHARED | MAP_FIXED,
	    fd, (off_t)fd_off);
	if (p == MAP_FAILED) {
		dax_log(d, "mmap: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int
unmap_fixed(struct vu_dax *d, uint64_t off, uint64_t len)
{
	void *p;

	if (off % PAGE != 0 || len % PAGE != 0 || len == 0)
		return -1;
	p = mmap(d->window + off, len, PROT_NONE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
	return p == MAP_FAILED ? -1 : 0;
}

static int
shmem_map(struct vu_dax *d, const struct shmem_msg *m, int fd)
{
	struct stat st;
	size_t i;

	if (m->shmid != 0)
		return outside(d, "SHMEM_MAP of an undeclared region", m->shm_offset, m->len);
	if (!in_window(d, m->shm_offset, m->len))
		return outside(d, "SHMEM_MAP", m->shm_offset, m->len);
	if (fd < 0 || m->len == 0 || (m->flags & ~(uint64_t)SHMEM_WRITABLE) != 0)
		return -1;
	for (i = 0; i < d->st.nlive; i++)
		if (overlaps(&d->live[i], m->shm_offset, m->len)) {
			dax_log(d, "SHMEM_MAP over a live mapping: refused as QEMU does");
			return -1;
		}
	if (d->st.nlive >= VU_DAX_MAX_LIVE)
		return -1;
	if (fstat(fd, &st) == -1 || st.st_size < 0 || m->fd_offset > (uint64_t)st.st_size ||
	    m->len > (uint64_t)st.st_size - m->fd_offset) {
		dax_log(d, "SHMEM_MAP past the end of the file: refused as QEMU 11.1 does");
		return -1;
	}
	if (map_fixed(d, fd, m->shm_offset, m->len, m->fd_offset, 1) == -1)
		return -1;
	return live_insert(d, m->shm_offset, m->len, m->fd_offset, 1);
}

static int
shmem_unmap(struct vu_dax *d, const struct shmem_msg *m)
{
	ssize_t i;

	if (m->shmid != 0)
		return outside(d, "SHMEM_UNMAP of an undeclared region", m->shm_offset, m->len);
	if (!in_window(d, m->shm_offset, m->len))
		return outside(d, "SHMEM_UNMAP", m->shm_offset, m->len);
	if ((i = live_exact(d, m->shm_offset, m->len)) == -1) {
		dax_log(d, "SHMEM_UNMAP names no whole live mapping: refused as QEMU does");
		return -1;
	}
	if (unmap_fixed(d, m->shm_offset, m->len) == -1)
		return -1;
	memmove(&d->live[i], &d->live[i + 1], (d->st.nlive - i - 1) * sizeof(d->live[0]));
	d->st.nlive--;
	return 0;
}

/* The old QEMU checked every entry first, then mapped them. */
static int
fs_map(struct vu_dax *d, const struct fs_map_msg *m, int fd, int unmap)
{
	unsigned int i;
	uint64_t len;
	int w;

	for (i = 0; i < FS_MAP_ENTRIES; i++) {
		len = m->len[i];
		if (unmap && len == UINT64_MAX && m->c_offset[i] == 0)
			continue;	/* the whole window */
		if (len != 0 && !in_window(d, m->c_offset[i], len))
			return outside(d, unmap ? "FS_UNMAP" : "FS_MAP", m->c_offset[i], len);
	}
	if (!unmap && fd < 0)
		return -1;
	for (i = 0; i < FS_MAP_ENTRIES; i++) {
		len = m->len[i];
		if (len == 0)
			continue;
		if (unmap) {
			if (len == UINT64_MAX)
				len = d->size;
			if (unmap_fixed(d, m->c_offset[i], len) == -1 ||
			    live_subtract(d, m->c_offset[i], len) == -1)
				return -1;
			continue;
		}
		w = (m->flags[i] & FS_MAP_W) != 0;
		if ((m->flags[i] & ~(uint64_t)(FS_MAP_R | FS_MAP_W)) != 0 ||
		    map_fixed(d, fd, m->c_offset[i], len, m->fd_offset[i], w) == -1 ||
		    live_subtract(d, m->c_offset[i], len) == -1 ||
		    live_insert(d, m->c_offset[i], len, m->fd_offset[i], w) == -1)
			return -1;
	}
	return 0;
}

/* ---- the channel ------------------------------------------------------------------ */

static void
record(struct vu_dax *d, uint32_t request, const uint8_t *body, uint32_t size, int result)
{
	struct vu_dax_rec *r = &d->log[d->nlog++ % VU_DAX_LOG];
	struct shmem_msg sm;
	struct fs_map_msg fm;

	memset(r, 0, sizeof(*r));
	r->request = request;
	r->result = result;
	if (size == sizeof(sm) && (request == VU_BE_SHMEM_MAP || request == VU_BE_SHMEM_UNMAP)) {
		memcpy(&sm, body, sizeof(sm));
		r->shm_offset = sm.shm_offset;
		r->len = sm.len;
		r->fd_offset = sm.fd_offset;
		r->flags = sm.flags;
	} else if (size == sizeof(fm) && (request == VU_BE_FS_MAP || request == VU_BE_FS_UNMAP)) {
		memcpy(&fm, body, sizeof(fm));	/* the first entry */
		r->shm_offset = fm.c_offset[0];
		r->len = fm.len[0];
		r->fd_offset = fm.fd_offset[0];
		r->flags = fm.flags[0];
	}
}

/* One request, with the lock held: 0 done, -1 refused. */
static int
serve_one(struct vu_dax *d, const struct vu_hdr *h, const uint8_t *body, int fd)
{
	struct shmem_msg sm;
	struct fs_map_msg fm;
	int shmem = d->flavour == VU_DAX_SHMEM;

	if ((h->flags & 0x3) != VU_FLAG_VERSION || (h->flags & VU_FLAG_REPLY))
		return -1;
	switch (h->request) {
	case VU_BE_SHMEM_MAP:
	case VU_BE_SHMEM_UNMAP:
		if (!shmem || h->size != sizeof(sm))
			return -1;
		memcpy(&sm, body, sizeof(sm));
		return h->request == VU_BE_SHMEM_MAP ? shmem_map(d, &sm, fd) :
		    shmem_unmap(d, &sm);
	case VU_BE_FS_MAP:
	case VU_BE_FS_UNMAP:
		if (shmem || h->size != sizeof(fm))
			return -1;
		memcpy(&fm, body, sizeof(fm));
		return fs_map(d, &fm, fd, h->request == VU_BE_FS_UNMAP);
	}
	dax_log(d, "unknown back-end request %u", h->request);
	return -1;
}

/* The header with any fds (they come with its first byte), then the body. */
static int
recv_msg(struct vu_dax *d, struct vu_hdr *h, uint8_t *body, int *fds, int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
		struct cmsghdr align;
	} cm;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *c;
	size_t got = 0, want, n;
	ssize_t r;

	*nfds = 0;
	while (got < sizeof(*h)) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = (uint8_t *)h + got;
		iov.iov_len = sizeof(*h) - got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		r = recvmsg(d->fd, &mh, MSG_CMSG_CLOEXEC);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			while (n-- > 0) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + n * sizeof(int), sizeof(int));
				if (*nfds < VU_MAX_FDS)
					fds[(*nfds)++] = fd;
				else
					close(fd);
			}
		}
		got += (size_t)r;
	}
	/* An oversized body is read and dropped (over itself); the request is refused. */
	for (got = 0; got < h->size; got += (size_t)r) {
		n = got % MAX_BODY;
		want = h->size - got;
		if (want > MAX_BODY - n)
			want = MAX_BODY - n;
		r = recv(d->fd, body + n, want, 0);
		if (r == -1 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0)
			return -1;
	}
	return 0;
}

static void
reply(struct vu_dax *d, uint32_t request, int result)
{
	uint64_t v = result == 0 ? 0 : 1;
	struct vu_hdr h;

	h.request = request;
	h.flags = VU_FLAG_VERSION | VU_FLAG_REPLY;
	h.size = sizeof(v);
	if (vu_send_raw(d->fd, &h, &v, sizeof(v), NULL, 0) == -1)
		dax_log(d, "reply: %s", strerror(errno));
}

static void *
serve(void *arg)
{
	struct vu_dax *d = arg;
	struct pollfd pfd[2];
	struct vu_hdr h;
	uint8_t *body;
	int fds[VU_MAX_FDS], nfds, i, result;

	if ((body = malloc(MAX_BODY)) == NULL)
		return NULL;
	pfd[0].fd = d->stop[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = d->fd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents)
			break;
		if (!pfd[1].revents)
			continue;
		if (recv_msg(d, &h, body, fds, &nfds) == -1)
			break;	/* the back-end closed the channel */
		pthread_mutex_lock(&d->lock);
		d->st.requests++;
		if (d->no_reply) {
			d->st.unanswered++;
			record(d, h.request, body, h.size, 1);
			pthread_mutex_unlock(&d->lock);
		} else {
			result = h.size > MAX_BODY ? -1 :
			    serve_one(d, &h, body, nfds == 1 ? fds[0] : -1);
			if (result == 0 && (h.request == VU_BE_SHMEM_MAP ||
			    h.request == VU_BE_FS_MAP))
				d->st.maps++;
			else if (result == 0)
				d->st.unmaps++;
			else
				d->st.failures++;
			record(d, h.request, body, h.size, result);
			dax_log(d, "request %u size %u fds %d: %s", h.request, h.size, nfds,
			    result == 0 ? "done" : "refused");
			pthread_mutex_unlock(&d->lock);
			if ((h.flags & VU_FLAG_NEED_REPLY) && d->reply_ack)
				reply(d, h.request, result);
		}
		for (i = 0; i < nfds; i++)
			close(fds[i]);
	}
	free(body);
	return NULL;
}

int
vu_dax_start(struct vu_dax *d, int fd, uint64_t size, int flavour, int reply_ack)
{
	void *w;

	memset(d, 0, sizeof(*d));
	d->verbose = getenv("VU_DAX_VERBOSE") != NULL;
	if (size == 0 || size % PAGE != 0 || size > (1ULL << 40)) {
		errno = EINVAL;
		return -1;
	}
	w = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (w == MAP_FAILED)
		return -1;
	if ((d->live = calloc(VU_DAX_MAX_LIVE, sizeof(*d->live))) == NULL ||
	    pipe2(d->stop, O_CLOEXEC) == -1) {
		free(d->live);
		munmap(w, size);
		return -1;
	}
	d->window = w;
	d->size = size;
	d->flavour = flavour;
	d->fd = fd;
	d->reply_ack = reply_ack;
	pthread_mutex_init(&d->lock, NULL);
	if (pthread_create(&d->thread, NULL, serve, d) != 0) {
		close(d->stop[0]);
		close(d->stop[1]);
		free(d->live);
		munmap(w, size);
		d->window = NULL;
		errno = EAGAIN;
		return -1;
	}
	d->running = 1;
	return 0;
}

void
vu_dax_stop(struct vu_dax *d)
{
	if (!d->running)
		return;
	(void)!write(d->stop[1], "x", 1);
	/* a thread blocked inside a message (a back-end that sent half of one) wakes too */
	shutdown(d->fd, SHUT_RD);
	pthread_join(d->thread, NULL);
	close(d->stop[0]);
	close(d->stop[1]);
	munmap(d->window, d->size);
	free(d->live);
	pthread_mutex_destroy(&d->lock);
	d->window = NULL;
	d->live = NULL;
	d->running = 0;
}

void
vu_dax_stats(struct vu_dax *d, struct vu_dax_stats *st)
{
	if (!d->running) {
		memset(st, 0, sizeof(*st));
		return;
	}
	pthread_mutex_lock(&d->lock);
	*st = d->st;
	pthread_mutex_unlock(&d->lock);
}

int
vu_dax_find(struct vu_dax *d, uint64_t off, struct vu_dax_map *m)
{
	size_t i;
	int found = 0;

	if (!d->running)
		return 0;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->st.nlive && !found; i++) {
		if (overlaps(&d->live[i], off, 1)) {
			*m = d->live[i];
			found = 1;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return found;
}

int
vu_dax_last(struct vu_dax *d, unsigned int k, struct vu_dax_rec *r)
{
	int found = 0;

	if (!d->running)
		return 0;
	pthread_mutex_lock(&d->lock);
	if (k < VU_DAX_LOG && k < d->nlog) {
		*r = d->log[(d->nlog - 1 - k) % VU_DAX_LOG];
		found = 1;
	}
	pthread_mutex_unlock(&d->lock);
	return found;
}

int
vu_dax_wait(struct vu_dax *d, int (*pred)(const struct vu_dax_stats *, void *), void *arg,
    int timeout_ms)
{
	struct vu_dax_stats st;
	int64_t end = vu_now_ms() + timeout_ms;

	for (;;) {
		vu_dax_stats(d, &st);
		if (pred(&st, arg))
			return 1;
		if (vu_now_ms() >= end)
			return 0;
		usleep(10 * 1000);
	}
}
