/*
 * The frontend's channels to the worker, and its part in a worker restart
 * (worker_link.c). Part of the process's wiring: only frontend.c calls it.
 */
#ifndef PRIVFSD_WORKER_LINK_H
#define PRIVFSD_WORKER_LINK_H

#include <stddef.h>
#include <stdint.h>

struct chan;
struct chan_msg;
struct event_base;
struct iovec;
struct msg_config;
struct msg_mem_commit;

/* The channels on fds 4 and 5, watched on base. */
void	wl_init(struct event_base *, const struct msg_config *);
/* One typed request (the FUSE layer's send_worker sink); kept while there is no worker. */
void	wl_send(uint32_t type, uint32_t trailer, const struct iovec *iov, int iovcnt);
void	wl_send_one(uint32_t type, const void *data, size_t len);
/* IMSG_BROKER_WORKER_CHAN: a new worker's channel end (a broker channel handler). */
void	wl_new_channel(struct chan *, struct chan_msg *, void *);
/* 1 when the worker is gone (its channel closed, or a new one is coming). */
int	wl_worker_gone(void);
/* The new worker's first MEM_READY: it serves from now on. */
void	wl_ready(const struct msg_mem_commit *);

#endif
