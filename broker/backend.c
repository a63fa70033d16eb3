/*
 * The vhost-user back-end channel (SET_BACKEND_REQ_FD), which QEMU gave the frontend and
 * the frontend handed to us: the broker alone talks on it, for DAX window mappings.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"

static int backend_fd = -1;

/* A new SET_BACKEND_REQ_FD (after a device reset) replaces the old channel. */
void
backend_set_channel(int fd)
{
	if (backend_fd != -1)
		close(backend_fd);
	backend_fd = fd;
	log_debug("vhost-user back-end channel received");
}

/*
 * Send one DAX map request to QEMU on the back-end channel and return 0 or an errno
 * value for the worker. Not implemented yet: stock QEMU has no DAX window, and the message
 * format is not settled upstream (doc/wire.md: SHMEM_MAP vs the old FS_MAP). Until the
 * DAX issue lands this fails honestly; it never claims a mapping exists.
 */
int
backend_dax_map(const struct msg_dax_map *d, int fd)
{
	(void)d;
	(void)fd;
	return EOPNOTSUPP;
}

/* Same for removing a range of the window. */
int
backend_dax_unmap(const struct msg_dax_range *r)
{
	(void)r;
	return EOPNOTSUPP;
}
