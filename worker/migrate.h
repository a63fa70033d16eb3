/*
 * The device state stream of a live migration (vhost-user SET_DEVICE_STATE_FD): what a
 * source worker writes into the VMM's pipe (migrate_save.c) and a destination worker
 * reads back (migrate_load.c). doc/wire.md describes it. Integers are in host order: a
 * VMM migrates between hosts of one architecture, and the magic tells a foreign order.
 *
 * The stream comes from the VMM, which passes on what another host's worker wrote: for
 * the destination it is hostile input. Every field is copied out and checked.
 */
#ifndef PRIVFSD_MIGRATE_H
#define PRIVFSD_MIGRATE_H

#include <fcntl.h>
#include <stdint.h>

#include "msg.h"

#define MIG_MAGIC		0x0031474d44534650ULL	/* "PFSDMG1\0" */
#define MIG_VERSION		1
#define MIG_MAX_BYTES		(256U << 20)	/* a longer stream is refused */
#define MIG_MAX_NODES		(1U << 20)
#define MIG_MAX_HANDLES		(1U << 20)
#define MIG_MAX_INDEX		(1U << 22)	/* node and handle slot indices */
#define MIG_MAX_FH		128		/* MAX_HANDLE_SZ */

/* A handle's open flags that travel: the access mode and what changes its I/O. */
#define MIG_HANDLE_FLAGS	(O_ACCMODE | O_APPEND | O_DIRECT | O_NOATIME | O_SYNC | \
	O_DSYNC | O_DIRECTORY | O_LARGEFILE)

/* mig_header.flags */
#define MIG_F_FILE_HANDLES	0x1	/* node records carry file handles */

struct mig_header {
	uint64_t	magic;
	uint32_t	version;
	uint32_t	header_size;	/* sizeof(struct mig_header) */
	uint64_t	total_size;	/* the whole stream, header included */
	uint32_t	mode;		/* the source's enum migration_mode */
	uint32_t	flags;		/* MIG_F_* */
	uint32_t	session_active;	/* 1: the worker had a session (SESSION_INIT) */
	uint32_t	session_flags;	/* its SESSION_* */
	uint32_t	node_gen_next;	/* every node generation sent is below it */
	uint32_t	handle_gen_next;
	uint32_t	nnodes;
	uint32_t	nhandles;
	struct msg_fuse_state fuse;	/* the frontend's session */
};

/* mig_node.flags */
#define MIG_NODE_LOST		0x1	/* the source could not find it again either */

/*
 * Followed by the name (u32 length + bytes, one component, no NUL) and the file handle
 * (u32 length + u32 handle type + bytes; length 0: none).
 */
struct mig_node {
	uint32_t	index;
	uint32_t	gen;
	uint64_t	nlookup;
	uint64_t	dev;
	uint64_t	ino;
	uint32_t	type;		/* S_IFMT bits */
	uint32_t	parent_index;	/* 1: the root */
	uint32_t	parent_gen;
	uint32_t	flags;		/* MIG_NODE_* */
};

struct mig_handle {
	uint32_t	index;
	uint32_t	gen;
	uint64_t	nodeid;
	uint32_t	flags;		/* O_* to open the node again with */
	uint32_t	is_dir;
};

#endif
