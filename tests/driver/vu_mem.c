/*
 * Guest memory: one memfd, cut into regions placed at guest physical addresses we choose
 * (like QEMU's pc machine: one backend, several regions at different fd offsets), and a
 * first-fit allocator over guest physical addresses for rings and buffers.
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vu_driver.h"

#define PAGE	4096ULL

static int
region_of(const struct vu_mem *mem, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < mem->nreg; i++)
		if (gpa >= mem->reg[i].gpa && gpa - mem->reg[i].gpa < mem->reg[i].size)
			return (int)i;
	return -1;
}

static int
free_insert_at(struct vu_mem *mem, size_t at, uint64_t gpa, uint64_t len)
{
	if (mem->nfree == mem->capfree) {
		size_t cap = mem->capfree ? mem->capfree * 2 : 64;
		struct vu_extent *n = reallocarray(mem->free, cap, sizeof(*n));

		if (n == NULL)
			return -1;
		mem->free = n;
		mem->capfree = cap;
	}
	memmove(&mem->free[at + 1], &mem->free[at], (mem->nfree - at) * sizeof(*mem->free));
	mem->free[at].gpa = gpa;
	mem->free[at].len = len;
	mem->nfree++;
	return 0;
}

static void
free_remove_at(struct vu_mem *mem, size_t at)
{
	memmove(&mem->free[at], &mem->free[at + 1], (mem->nfree - at - 1) * sizeof(*mem->free));
	mem->nfree--;
}

int
vu_mem_init(struct vu_mem *mem, const struct vu_opts *o)
{
	uint64_t per, gpa;
	unsigned int i;
	uint8_t *map;
	int fd;

	memset(mem, 0, sizeof(*mem));
	if (o->nregions == 0 || o->nregions > VU_MAX_REGIONS) {
		errno = EINVAL;
		return -1;
	}
	per = (o->mem_size / o->nregions) & ~(PAGE - 1);
	if (per == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = memfd_create("vu-driver-guest", MFD_CLOEXEC |
	    (o->mem_sealable ? MFD_ALLOW_SEALING : 0));
	if (fd == -1)
		return -1;
	if (ftruncate(fd, (off_t)(per * o->nregions)) == -1) {
		close(fd);
		return -1;
	}
	map = mmap(NULL, per * o->nregions, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		close(fd);
		return -1;
	}
	gpa = o->gpa_base;
	for (i = 0; i < o->nregions; i++) {
		mem->reg[i].gpa = gpa;
		mem->reg[i].size = per;
		mem->reg[i].mmap_offset = per * i;
		mem->reg[i].map = map;
		mem->reg[i].fd = fd;
		if (free_insert_at(mem, mem->nfree, gpa, per) == -1)
			return -1;
		gpa += per + o->gpa_gap;
	}
	mem->nreg = o->nregions;
	return 0;
}

void
vu_mem_fini(struct vu_mem *mem)
{
	if (mem->nreg > 0) {
		munmap(mem->reg[0].map, mem->reg[0].size * mem->nreg);
		close(mem->reg[0].fd);
	}
	free(mem->free);
	memset(mem, 0, sizeof(*mem));
}

void *
vu_mem_ptr(struct vu_mem *mem, uint64_t gpa, uint64_t len)
{
	int i = region_of(mem, gpa);
	struct vu_region *r;

	if (i < 0)
		return NULL;
	r = &mem->reg[i];
	if (len > r->size - (gpa - r->gpa))
		return NULL;
	return r->map + r->mmap_offset + (gpa - r->gpa);
}

uint64_t
vu_mem_uaddr(struct vu_mem *mem, uint64_t gpa)
{
	int i = region_of(mem, gpa);

	if (i < 0)	/* hostile tests pass addresses outside memory on purpose */
		return gpa;
	return (uint64_t)(uintptr_t)(mem->reg[i].map + mem->reg[i].mmap_offset) +
	    (gpa - mem->reg[i].gpa);
}

/* Walk [gpa, gpa + len) region by region. */
static int
mem_walk(struct vu_mem *mem, uint64_t gpa, size_t len, uint8_t *buf, int dir, int c)
{
	while (len > 0) {
		int i = region_of(mem, gpa);
		struct vu_region *r;
		uint64_t n;
		uint8_t *p;

		if (i < 0) {
			errno = EFAULT;
			return -1;
		}
		r = &mem->reg[i];
		n = r->size - (gpa - r->gpa);
		if (n > len)
			n = len;
		p = r->map + r->mmap_offset + (gpa - r->gpa);
		if (dir == 0)
			memcpy(p, buf, n);
		else if (dir == 1)
			memcpy(buf, p, n);
		else
			memset(p, c, n);
		if (buf != NULL)
			buf += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

int
vu_mem_write(struct vu_mem *mem, uint64_t gpa, const void *buf, size_t len)
{
	return mem_walk(mem, gpa, len, (uint8_t *)(uintptr_t)buf, 0, 0);
}

int
vu_mem_read(struct vu_mem *mem, uint64_t gpa, void *buf, size_t len)
{
	return mem_walk(mem, gpa, len, buf, 1, 0);
}

int
vu_mem_fill(struct vu_mem *mem, uint64_t gpa, int c, size_t len)
{
	return mem_walk(mem, gpa, len, NULL, 2, c);
}

uint64_t
vu_mem_alloc(struct vu_mem *mem, uint64_t len, uint64_t align)
{
	size_t i;

	if (len == 0)
		len = 1;
	if (align == 0)
		align = 8;
	len = (len + 7) & ~7ULL;	/* keep extents 8-aligned */
	for (i = 0; i < mem->nfree; i++) {
		struct vu_extent *e = &mem->free[i];
		uint64_t start = (e->gpa + align - 1) & ~(align - 1);
		uint64_t end = e->gpa + e->len;

		if (start < e->gpa || start > end || end - start < len)
			continue;
		if (start + len < end) {
			/* tail stays free */
			if (start == e->gpa) {
				e->gpa += len;
				e->len -= len;
				return start;
			}
			if (free_insert_at(mem, i + 1, start + len, end - start - len) == -1)
				return 0;
			e = &mem->free[i];
		}
		if (start == e->gpa)
			free_remove_at(mem, i);
		else
			e->len = start - e->gpa;
		return start;
	}
	return 0;
}

void
vu_mem_free(struct vu_mem *mem, uint64_t gpa, uint64_t len)
{
	size_t i;

	if (gpa == 0)
		return;
	if (len == 0)
		len = 1;
	len = (len + 7) & ~7ULL;
	for (i = 0; i < mem->nfree && mem->free[i].gpa < gpa; i++)
		;
	if (free_insert_at(mem, i, gpa, len) == -1)
		return;		/* leak it: tests run short */
	/* merge with the next and the previous extent within the same region */
	if (i + 1 < mem->nfree && gpa + len == mem->free[i + 1].gpa &&
	    region_of(mem, gpa) == region_of(mem, mem->free[i + 1].gpa)) {
		mem->free[i].len += mem->free[i + 1].len;
		free_remove_at(mem, i + 1);
	}
	if (i > 0 && mem->free[i - 1].gpa + mem->free[i - 1].len == gpa &&
	    region_of(mem, gpa) == region_of(mem, mem->free[i - 1].gpa)) {
		mem->free[i - 1].len += mem->free[i].len;
		free_remove_at(mem, i);
	}
}

uint64_t
vu_mem_avail(const struct vu_mem *mem)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < mem->nfree; i++)
		n += mem->free[i].len;
	return n;
}
