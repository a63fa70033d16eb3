/*
 * Per-role dispatch tables in the shape of OpenSSH monitor.c: one row per message type a
 * peer may send, with its size rule and whether it may carry an fd. One generic dispatcher
 * checks all of that before any handler runs and is fatal on anything else: a peer that
 * sends an unexpected message is compromised or broken, and we stop talking to it.
 */
#ifndef PRIVFSD_DISPATCH_H
#define PRIVFSD_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

struct chan;
struct chan_msg;

enum dispatch_size {
	SIZE_EXACT,		/* payload length == size */
	SIZE_MIN,		/* payload length >= size (handler reads the rest with msg_reader) */
};

enum dispatch_fd {
	FD_NONE,		/* an fd is a protocol violation */
	FD_REQUIRED,		/* exactly one fd must come with it */
	FD_OPTIONAL,
};

typedef void (*dispatch_fn)(struct chan *, struct chan_msg *, void *arg);

struct dispatch_entry {
	uint32_t		 type;
	enum dispatch_size	 size_rule;
	size_t			 size;
	enum dispatch_fd	 fd_rule;
	dispatch_fn		 handler;
};

/* Tables end with a row whose handler is NULL. */
#define DISPATCH_END	{ 0, SIZE_EXACT, 0, FD_NONE, NULL }

/* Checks type, size and fd against the table, then calls the handler; fatal otherwise. */
void	dispatch_msg(struct chan *, const struct dispatch_entry *table,
	    struct chan_msg *, void *arg);

#endif
