/*
 * What the frontend's parts share: the two channels and the event base.
 */
#ifndef PRIVFSD_FRONTEND_H
#define PRIVFSD_FRONTEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct event_base;
struct msg_config;

extern struct event_base	*fe_base;
extern struct msg_config	 fe_config;

/* To the worker (typed requests; never an fd) and to the broker. */
void	fe_send_worker(uint32_t type, const struct iovec *iov, int iovcnt);
void	fe_send_broker(uint32_t type, int fd, const void *data, size_t len);

/* Called by the FUSE layer whenever fuse_inflight() drops to zero. */
void	fe_inflight_drained(void);

#endif
