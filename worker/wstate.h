/*
 * The layout of the worker's state memfd (CHAN_FD_STATE, --worker-restart): what one
 * worker keeps for the next one of the same export. A header page, then one record per
 * node table slot index (index 0 and the root, index 1, are never recorded), then the
 * long-name area (struct wstate_rec).
 *
 * Everything here was written by a previous worker, which may have been compromised:
 * a reader copies a record out before checking it, and checks every field.
 */
#ifndef PRIVFSD_WSTATE_H
#define PRIVFSD_WSTATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define WSTATE_MAGIC		0x6574617473667770ULL	/* "pwfstate" */
#define WSTATE_VERSION		2
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
	uint32_t	record_size;	/* sizeof(struct wstate_rec) */
	uint32_t	session_active;	/* 1 between SESSION_INIT and DESTROY */
	uint32_t	session_flags;	/* SESSION_* of that INIT */
	/* Every generation given out so far is below these (exclusive high-waters). */
	uint32_t	node_gen_next;
	uint32_t	handle_gen_next;
	uint32_t	max_index;	/* highest record index ever written */
	uint32_t	pad;
};

/*
 * A node as the store's users see it (wstate_node_put/get): the node's last known name,
 * (parent index + generation, one component), and what it is.
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

/*
 * How a node is stored: the same fields, with the name inline when it is shorter than
 * WSTATE_NAME_INLINE, else in the node's slot of the long-name area, which follows the
 * records. Most names are short: a record is 96 bytes instead of 312, and the pages of
 * the long-name area are only allocated for the slots that hold one (the store is a
 * sparse memfd, and its pages count in the worker's memory while serving).
 * seq is odd while the record or its long name is being written: a worker killed in the
 * middle leaves it odd, and the next one ignores the record.
 */
#define WSTATE_NAME_INLINE	40
struct wstate_rec {
	uint32_t	seq;
	uint32_t	gen;
	uint64_t	nlookup;
	uint64_t	dev, ino, mnt_id;
	uint32_t	type;
	uint32_t	parent_index;
	uint32_t	parent_gen;
	uint32_t	name_len;	/* < WSTATE_NAME_INLINE: name here, NUL-terminated */
	char		name[WSTATE_NAME_INLINE];
};

struct wstate_long {
	char		name[NAME_MAX + 1];
};

/* Records, then as many long-name slots, each area starting on a page. */
#define WSTATE_NRECORDS(bytes)	\
	(((bytes) - 2 * WSTATE_HEADER_BYTES) / \
	(sizeof(struct wstate_rec) + sizeof(struct wstate_long)))
#define WSTATE_LONG_OFFSET(bytes)	\
	((WSTATE_HEADER_BYTES + WSTATE_NRECORDS(bytes) * sizeof(struct wstate_rec) + \
	WSTATE_HEADER_BYTES - 1) / WSTATE_HEADER_BYTES * WSTATE_HEADER_BYTES)

_Static_assert(sizeof(struct wstate_header) <= WSTATE_HEADER_BYTES, "header too big");
_Static_assert(sizeof(struct wstate_rec) == 96, "record layout");
/* The two layouts are the same up to the name, which is copied apart. */
#define WSTATE_FIELDS_END	offsetof(struct wstate_rec, name)
_Static_assert(offsetof(struct wstate_node, name) == WSTATE_FIELDS_END &&
    offsetof(struct wstate_node, name_len) == offsetof(struct wstate_rec, name_len),
    "shared fields");

#endif
