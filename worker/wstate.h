/*
 * The layout of the worker's state memfd (CHAN_FD_STATE, --worker-restart): what one
 * worker keeps for the next one of the same export. A header page, then one record per
 * node table slot index (index 0 and the root, index 1, are never recorded).
 *
 * Everything here was written by a previous worker, which may have been compromised:
 * a reader copies a record out before checking it, and checks every field.
 */
#ifndef PRIVFSD_WSTATE_H
#define PRIVFSD_WSTATE_H

#include <limits.h>
#include <stdint.h>

#define WSTATE_MAGIC		0x6574617473667770ULL	/* "pwfstate" */
#define WSTATE_VERSION		1
#define WSTATE_HEADER_BYTES	4096

/*
 * The highest generation floor a new worker takes from the store. Above it a lying
 * predecessor could leave every slot retired at once; an honest one never gets there
 * (2^30 reuses of one slot before it, summed over all restarts).
 */
#define WSTATE_GEN_FLOOR_MAX	(UINT32_MAX - (1U << 30))

struct wstate_header {
	uint64_t	magic;
	uint32_t	version;
	uint32_t	record_size;	/* sizeof(struct wstate_node) */
	uint32_t	session_active;	/* 1 between SESSION_INIT and DESTROY */
	uint32_t	session_flags;	/* SESSION_* of that INIT */
	/* Every generation given out so far is below these (exclusive high-waters). */
	uint32_t	node_gen_next;
	uint32_t	handle_gen_next;
	uint32_t	max_index;	/* highest record index ever written */
	uint32_t	pad;
};

/*
 * seq is odd while the record is being written: a worker killed in the middle leaves it
 * odd, and the next one ignores the record. A record is the node's last known name:
 * (parent index + generation, one component).
 */
struct wstate_node {
	uint32_t	seq;
	uint32_t	gen;
	uint64_t	nlookup;	/* 0: not a node the guest holds */
	uint64_t	dev, ino, mnt_id;
	uint32_t	type;		/* S_IFMT bits */
	uint32_t	parent_index;
	uint32_t	parent_gen;
	uint32_t	name_len;	/* strlen(name) */
	char		name[NAME_MAX + 1];
};

#define WSTATE_NRECORDS(bytes)	\
	(((bytes) - WSTATE_HEADER_BYTES) / sizeof(struct wstate_node))

_Static_assert(sizeof(struct wstate_header) <= WSTATE_HEADER_BYTES, "header too big");

#endif
