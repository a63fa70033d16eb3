/*
 * The dirty page bitmap of live migration (LOG_SHMFD, VHOST_F_LOG_ALL). QEMU passes a
 * shared memory file with SET_LOG_BASE and turns logging on with SET_FEATURES; from then
 * on each guest page we or the worker write is marked: bit (gpa / 4096) % 8 of byte
 * gpa / 4096 / 8, set atomically since QEMU reads and clears the bitmap concurrently.
 *
 * Everything the back-end writes into guest memory goes through a chain completion
 * (virtq.c): the reply in the chain's writable buffers (the worker's READ data too: it
 * wrote them before it answered) and the used ring element and index. So virtq.c marks
 * all of a completed chain's writable buffers, whatever was written (a page too many is
 * sent again; a page missing would be stale on the destination), and the used ring at
 * its log address when the ring asked for it (VHOST_VRING_F_LOG).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "log.h"
#include "guest_mem.h"
#include "dirty_log.h"

static uint8_t	*dlog_map;	/* the mapping, from file offset 0 */
static size_t	 dlog_maplen;
static uint8_t	*dlog_bits;	/* the bitmap, at the offset QEMU gave */
static uint64_t	 dlog_size;	/* its bytes */
static int	 dlog_all;	/* VHOST_F_LOG_ALL acked */
static int	 dlog_warned;

int
dlog_set_base(int fd, uint64_t size, uint64_t offset)
{
	struct stat	 st;
	uint64_t	 end;
	void		*p;

	if (size == 0 || size > DLOG_MAX_BYTES ||
	    __builtin_add_overflow(size, offset, &end) || end > SIZE_MAX) {
		log_warnx("refused SET_LOG_BASE: size %llu at offset %llu (at most %llu bytes)",
		    (unsigned long long)size, (unsigned long long)offset, DLOG_MAX_BYTES);
		goto fail;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < end) {
		log_warnx("refused SET_LOG_BASE: the fd is not a file of at least %llu bytes",
		    (unsigned long long)end);
		goto fail;
	}
	/* A file that could shrink would make a mark past its new end a SIGBUS. */
	if (!gm_seal_shrink(fd)) {
		log_warnx("refused SET_LOG_BASE: the log file can shrink (not a sealable memfd)");
		goto fail;
	}
	if ((p = mmap(NULL, (size_t)end, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED) {
		log_warn("refused SET_LOG_BASE: mmap %llu bytes", (unsigned long long)end);
		goto fail;
	}
	close(fd);
	dlog_reset();
	dlog_map = p;
	dlog_maplen = (size_t)end;
	dlog_bits = dlog_map + offset;
	dlog_size = size;
	log_info("dirty page log: %llu bytes (guest memory up to %llu MiB)",
	    (unsigned long long)size, (unsigned long long)(size * 8 * DLOG_PAGE >> 20));
	return 0;
fail:
	close(fd);
	return -1;
}

void
dlog_set_all(int on)
{
	if (on != dlog_all)
		log_info("dirty page logging %s", on ? "on" : "off");
	dlog_all = on;
}

int
dlog_active(void)
{
	return dlog_all && dlog_bits != NULL;
}

void
dlog_mark(uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (!dlog_active() || len == 0)
		return;
	page = gpa / DLOG_PAGE;
	last = (gpa + len - 1) / DLOG_PAGE;
	if (last < page)
		last = UINT64_MAX / DLOG_PAGE;		/* wrapped: clipped below */
	for (; page <= last; page++) {
		if (page / 8 >= dlog_size) {
			if (!dlog_warned++)
				log_warnx("dirty page log: page 0x%llx is past the bitmap "
				    "(%llu bytes); not marked", (unsigned long long)page,
				    (unsigned long long)dlog_size);
			return;
		}
		__atomic_fetch_or(&dlog_bits[page / 8], (uint8_t)(1u << (page % 8)),
		    __ATOMIC_RELAXED);
	}
}

void
dlog_reset(void)
{
	if (dlog_map != NULL)
		munmap(dlog_map, dlog_maplen);
	dlog_map = dlog_bits = NULL;
	dlog_maplen = 0;
	dlog_size = 0;
	dlog_warned = 0;
}
