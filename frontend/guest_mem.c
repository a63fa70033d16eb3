/*
 * The guest memory table: regions QEMU shares with us (SET_MEM_TABLE, ADD_MEM_REG,
 * REM_MEM_REG), mapped here. A commit reports the slots that changed, and its caller
 * mirrors them, slot by slot, to the worker through the broker.
 *
 * Slot numbers are stable: a region keeps its slot for as long as it is in the table, so
 * a change only sends the slots that changed. Changes are staged first (every check and
 * every mmap done, the live table untouched) and committed only when no request holds
 * segments of the old table (vhost_user.c waits for that).
 *
 * A region file that shrinks after we checked its size turns our next access past its
 * new end into SIGBUS. So each region is sealed against shrinking (F_SEAL_SHRINK) where
 * the file allows it; where it does not (a file backend, a memfd whose seals are sealed),
 * gm_sigbus() survives the fault: it maps anonymous memory over the whole region, so the
 * access completes on zeros, and flags the loss, which the event loop turns into a
 * broken device and a clean exit (gm_lost()).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "vhost_user.h"
#include "guest_mem.h"

struct gm_region {
	int		 in_use;
	uint64_t	 gpa;
	uint64_t	 size;
	uint64_t	 uaddr;
	uint64_t	 mmap_offset;
	uint8_t		*map;		/* fd offset 0 .. maplen */
	size_t		 maplen;
	dev_t		 dev;		/* identity of the fd, to keep unchanged regions */
	ino_t		 ino;
};

static struct gm_region	gm_slots[MEM_MAX_SLOTS];
static uint32_t		gm_active[MEM_MAX_SLOTS];	/* slot numbers in use */
static uint32_t		gm_nactive;
static uint32_t		gm_generation;
static uint32_t		gm_hint;			/* index into gm_active of the last hit */
static volatile sig_atomic_t gm_lost_slot;		/* slot + 1 of a region that shrank */

/* A staged change: slots to drop, regions to add (already mapped, fd kept to pass on). */
static struct {
	uint32_t		ndel;
	uint32_t		del[MEM_MAX_SLOTS];
	uint32_t		nadd;
	uint32_t		add_slot[VU_TABLE_REGIONS];
	struct gm_region	add[VU_TABLE_REGIONS];
	int			add_fd[VU_TABLE_REGIONS];
} gm_stage;

uint32_t
gm_gen(void)
{
	return gm_generation;
}

int
gm_piece_live(uint32_t slot, const uint8_t *host, size_t len)
{
	const struct gm_region *r;

	if (slot >= MEM_MAX_SLOTS || !(r = &gm_slots[slot])->in_use || host < r->map ||
	    (size_t)(host - r->map) > r->maplen || len > r->maplen - (size_t)(host - r->map))
		return 0;
	return 1;
}

uint32_t
gm_nslots(void)
{
	return gm_nactive;
}

/* [a, a + alen) and [b, b + blen) overlap; lengths > 0 and ends checked already. */
static int
ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Sizes and ends of a region from QEMU: nothing may wrap around. */
static int
region_check(const struct vu_mem_region *r)
{
	uint64_t end;

	if (r->size == 0) {
		log_warnx_rl("memory region with size 0");
		return -1;
	}
	if (__builtin_add_overflow(r->gpa, r->size, &end) ||
	    __builtin_add_overflow(r->uaddr, r->size, &end) ||
	    __builtin_add_overflow(r->mmap_offset, r->size, &end) || end > SIZE_MAX ||
	    end > INT64_MAX) {
		log_warnx_rl("memory region gpa 0x%llx size 0x%llx uaddr 0x%llx offset 0x%llx "
		    "wraps around", (unsigned long long)r->gpa, (unsigned long long)r->size,
		    (unsigned long long)r->uaddr, (unsigned long long)r->mmap_offset);
		return -1;
	}
	return 0;
}

static int
region_overlaps(const struct vu_mem_region *r, const struct gm_region *g)
{
	return ranges_overlap(r->gpa, r->size, g->gpa, g->size) ||
	    ranges_overlap(r->uaddr, r->size, g->uaddr, g->size);
}

/*
 * QEMU's memory-backend-memfd seals its memfd itself (seal=on, the default); with seal=off
 * the seal is ours, which only forbids what QEMU never does to guest RAM.
 */
int
gm_seal_shrink(int fd)
{
	int seals;

	if ((seals = fcntl(fd, F_GET_SEALS)) != -1 && (seals & F_SEAL_SHRINK))
		return 1;
	/* EINVAL: not a memfd (a file backend); EPERM: its seals are sealed. */
	return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0;
}

/* Seal, fstat checks, then map [0, mmap_offset + size) of the fd shared. */
static int
region_map(const struct vu_mem_region *r, int fd, struct gm_region *out)
{
	struct stat st;
	size_t len = r->mmap_offset + r->size;	/* checked by region_check */
	void *p;
	int sealed;

	/* Before the size check, so the size we check is the size that stays. */
	sealed = gm_seal_shrink(fd);
	if (fstat(fd, &st) == -1) {
		log_warn_rl("memory region fstat");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		log_warnx_rl("memory region fd is not a regular file (mode 0%o)",
		    (unsigned int)st.st_mode);
		return -1;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size < len) {
		log_warnx_rl("memory region fd holds %lld bytes, the region needs %zu",
		    (long long)st.st_size, len);
		return -1;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		log_warn_rl("mmap of a memory region (%zu bytes)", len);
		return -1;
	}
	if (!sealed)
		log_info_rl("memory region gpa 0x%llx cannot be sealed against shrinking; "
		    "a shrink ends the export", (unsigned long long)r->gpa);
	memset(out, 0, sizeof(*out));
	out->in_use = 1;
	out->gpa = r->gpa;
	out->size = r->size;
	out->uaddr = r->uaddr;
	out->mmap_offset = r->mmap_offset;
	out->map = p;
	out->maplen = len;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	return 0;
}

static void
stage_clear(int unmap)
{
	uint32_t i;

	for (i = 0; i < gm_stage.nadd; i++) {
		if (unmap)
			munmap(gm_stage.add[i].map, gm_stage.add[i].maplen);
		if (gm_stage.add_fd[i] != -1)
			close(gm_stage.add_fd[i]);
	}
	gm_stage.nadd = 0;
	gm_stage.ndel = 0;
}

/* Lowest slot free now and not taken by another staged addition. */
static int
stage_free_slot(uint32_t *slot)
{
	uint32_t s, i;

	for (s = 0; s < MEM_MAX_SLOTS; s++) {
		if (gm_slots[s].in_use)
			continue;
		for (i = 0; i < gm_stage.nadd; i++)
			if (gm_stage.add_slot[i] == s)
				break;
		if (i == gm_stage.nadd) {
			*slot = s;
			return 0;
		}
	}
	return -1;
}

/* Map r and stage it as an addition; fd passes to the stage (kept to send on). */
static int
stage_add_one(const struct vu_mem_region *r, int fd)
{
	uint32_t i = gm_stage.nadd;

	if (i >= VU_TABLE_REGIONS || stage_free_slot(&gm_stage.add_slot[i]) == -1) {
		log_warnx_rl("memory table full (%u slots)", MEM_MAX_SLOTS);
		close(fd);
		return -1;
	}
	if (region_map(r, fd, &gm_stage.add[i]) == -1) {
		close(fd);
		return -1;
	}
	gm_stage.add_fd[i] = fd;
	gm_stage.nadd++;
	return 0;
}

/* A current slot that is this region of this file: it stays as it is. */
static int
find_same(const struct vu_mem_region *r, int fd, uint32_t *slot)
{
	struct stat st;
	uint32_t i, s;

	if (fstat(fd, &st) == -1)
		return -1;
	for (i = 0; i < gm_nactive; i++) {
		s = gm_active[i];
		if (gm_slots[s].gpa == r->gpa && gm_slots[s].size == r->size &&
		    gm_slots[s].uaddr == r->uaddr && gm_slots[s].mmap_offset == r->mmap_offset &&
		    gm_slots[s].dev == st.st_dev && gm_slots[s].ino == st.st_ino) {
			*slot = s;
			return 0;
		}
	}
	return -1;
}

static int
table_check(const struct vu_mem_table *t)
{
	uint32_t i, j;
	struct gm_region g;

	for (i = 0; i < t->nregions; i++) {
		if (region_check(&t->regions[i]) == -1)
			return -1;
		for (j = 0; j < i; j++) {
			g.gpa = t->regions[j].gpa;
			g.uaddr = t->regions[j].uaddr;
			g.size = t->regions[j].size;
			if (region_overlaps(&t->regions[i], &g)) {
				log_warnx_rl("memory regions %u and %u overlap", j, i);
				return -1;
			}
		}
	}
	return 0;
}

static void
close_fds(const int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
}

int
gm_stage_table(const struct vu_mem_table *t, const int *fds, unsigned int nfds)
{
	uint8_t keep[MEM_MAX_SLOTS];
	uint32_t i, s;

	stage_clear(1);
	if (nfds != t->nregions || table_check(t) == -1) {
		if (nfds != t->nregions)
			log_warnx_rl("memory table of %u regions came with %u fds",
			    t->nregions, nfds);
		close_fds(fds, nfds);
		return -1;
	}
	memset(keep, 0, sizeof(keep));
	for (i = 0; i < t->nregions; i++) {
		if (find_same(&t->regions[i], fds[i], &s) == 0 && !keep[s]) {
			keep[s] = 1;
			close(fds[i]);
			continue;
		}
		if (stage_add_one(&t->regions[i], fds[i]) == -1) {
			close_fds(fds + i + 1, nfds - i - 1);
			stage_clear(1);
			return -1;
		}
	}
	for (i = 0; i < gm_nactive; i++)
		if (!keep[gm_active[i]])
			gm_stage.del[gm_stage.ndel++] = gm_active[i];
	return 0;
}

int
gm_stage_add(const struct vu_mem_region *r, int fd)
{
	uint32_t i;

	stage_clear(1);
	if (region_check(r) == -1) {
		close(fd);
		return -1;
	}
	for (i = 0; i < gm_nactive; i++) {
		if (region_overlaps(r, &gm_slots[gm_active[i]])) {
			log_warnx_rl("added memory region gpa 0x%llx overlaps slot %u",
			    (unsigned long long)r->gpa, gm_active[i]);
			close(fd);
			return -1;
		}
	}
	return stage_add_one(r, fd);
}

int
gm_stage_rem(const struct vu_mem_region *r)
{
	uint32_t i, s;

	stage_clear(1);
	/* The region is named by guest address, user address and size (not the offset). */
	for (i = 0; i < gm_nactive; i++) {
		s = gm_active[i];
		if (gm_slots[s].gpa == r->gpa && gm_slots[s].size == r->size &&
		    gm_slots[s].uaddr == r->uaddr) {
			gm_stage.del[gm_stage.ndel++] = s;
			return 0;
		}
	}
	log_warnx_rl("removed memory region gpa 0x%llx size 0x%llx uaddr 0x%llx is not in "
	    "the table", (unsigned long long)r->gpa, (unsigned long long)r->size,
	    (unsigned long long)r->uaddr);
	return -1;
}

static void
rebuild_active(void)
{
	uint32_t s;

	gm_nactive = 0;
	gm_hint = 0;
	for (s = 0; s < MEM_MAX_SLOTS; s++)
		if (gm_slots[s].in_use)
			gm_active[gm_nactive++] = s;
}

/* Unmap the slots the stage drops; their numbers go to out. */
static void
commit_del(struct gm_change *out)
{
	struct gm_region *g;
	uint32_t i, s;

	for (i = 0; i < gm_stage.ndel; i++) {
		s = gm_stage.del[i];
		g = &gm_slots[s];
		munmap(g->map, g->maplen);
		memset(g, 0, sizeof(*g));
		out->del[out->ndel++] = s;
		log_debug("memory gen %u: slot %u removed", gm_generation, s);
	}
}

/* Install the staged regions; their slots, ranges and fds go to out. */
static void
commit_add(struct gm_change *out)
{
	struct vu_mem_region *r;
	struct gm_region *g;
	uint32_t i, s;

	for (i = 0; i < gm_stage.nadd; i++) {
		s = gm_stage.add_slot[i];
		g = &gm_slots[s];
		*g = gm_stage.add[i];
		r = &out->add[out->nadd];
		r->gpa = g->gpa;
		r->size = g->size;
		r->uaddr = g->uaddr;
		r->mmap_offset = g->mmap_offset;
		out->add_slot[out->nadd] = s;
		/* We keep only the mapping: the fd is the caller's to pass on. */
		out->add_fd[out->nadd++] = gm_stage.add_fd[i];
		gm_stage.add_fd[i] = -1;
		log_debug("memory gen %u: slot %u gpa 0x%llx size 0x%llx uaddr 0x%llx "
		    "offset 0x%llx", gm_generation, s, (unsigned long long)g->gpa,
		    (unsigned long long)g->size, (unsigned long long)g->uaddr,
		    (unsigned long long)g->mmap_offset);
	}
}

void
gm_commit(struct gm_change *out)
{
	memset(out, 0, sizeof(*out));
	gm_generation++;
	commit_del(out);
	commit_add(out);
	gm_stage.nadd = 0;
	gm_stage.ndel = 0;
	rebuild_active();
	out->gen = gm_generation;
	out->nslots = gm_nactive;
}

/*
 * SIGBUS in a guest region: its file shrank under us (or its memory failed). Async-signal
 * context: only the slot table is read (it is changed only by code that does not touch
 * guest memory), and mmap is a plain system call. A fault elsewhere is a bug of ours:
 * the default action runs when the access is retried.
 */
static void
gm_sigbus(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr;
	struct gm_region *g;
	uint32_t s;

	for (s = 0; s < MEM_MAX_SLOTS; s++) {
		g = &gm_slots[s];
		if (!g->in_use || a < (uintptr_t)g->map || a - (uintptr_t)g->map >= g->maplen)
			continue;
		/* The whole region: a hugetlbfs mapping cannot be replaced page by page. */
		if (mmap(g->map, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_FIXED | MAP_NORESERVE, -1, 0) == MAP_FAILED)
			break;
		if (gm_lost_slot == 0)
			gm_lost_slot = (sig_atomic_t)s + 1;
		return;
	}
	signal(SIGBUS, SIG_DFL);
}

void
gm_sigbus_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = gm_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) == -1)
		fatal("sigaction SIGBUS");
}

uint32_t
gm_lost(void)
{
	return (uint32_t)gm_lost_slot;
}

uint64_t
gm_slot_gpa(uint32_t slot)
{
	return slot < MEM_MAX_SLOTS ? gm_slots[slot].gpa : 0;
}

/* The slot whose guest (or, with user set, QEMU virtual) range holds addr. */
static struct gm_region *
lookup(uint64_t addr, int user, uint64_t *base)
{
	struct gm_region *g;
	uint32_t i, k;
	uint64_t start;

	for (k = 0; k < gm_nactive; k++) {
		i = (gm_hint + k) % gm_nactive;
		g = &gm_slots[gm_active[i]];
		start = user ? g->uaddr : g->gpa;
		if (addr >= start && addr - start < g->size) {
			gm_hint = i;
			*base = start;
			return g;
		}
	}
	return NULL;
}

int
gm_gpa(uint64_t gpa, uint64_t len, struct gm_piece *out)
{
	struct gm_region *g;
	uint64_t base, off, left;

	if ((g = lookup(gpa, 0, &base)) == NULL)
		return -1;
	off = gpa - base;
	left = g->size - off;
	out->offset = g->mmap_offset + off;
	out->host = g->map + out->offset;
	out->len = len < left ? len : left;
	out->slot = (uint32_t)(g - gm_slots);
	return 0;
}

int
gm_uaddr_piece(uint64_t uaddr, uint64_t len, struct gm_piece *out)
{
	struct gm_region *g;
	uint64_t base, off;

	if (len == 0 || (g = lookup(uaddr, 1, &base)) == NULL)
		return -1;
	off = uaddr - base;
	if (len > g->size - off)
		return -1;
	out->offset = g->mmap_offset + off;
	out->host = g->map + out->offset;
	out->len = len;
	out->slot = (uint32_t)(g - gm_slots);
	return 0;
}

void *
gm_uaddr(uint64_t uaddr, uint64_t len)
{
	struct gm_piece p;

	return gm_uaddr_piece(uaddr, len, &p) == 0 ? p.host : NULL;
}
