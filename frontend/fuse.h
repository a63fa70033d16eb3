/*
 * The FUSE layer of the frontend: turns validated chains into typed worker requests and
 * typed worker replies into FUSE replies in the guest's buffers. It calls down into the
 * rings (virtq.h) and up only through the sinks given to fuse_layer_init().
 */
#ifndef PRIVFSD_FUSE_H
#define PRIVFSD_FUSE_H

#include <stdint.h>

struct iovec;
struct vq_req;
struct chan_msg;
struct msg_config;

/* Upward calls: what the FUSE layer asks of the process that wires it up. */
struct fuse_sinks {
	/*
	 * One typed request to the worker (never an fd). trailer: bytes at its end that are
	 * a completion trailer (struct msg_direct) for the worker, 0 when none.
	 */
	void	(*send_worker)(uint32_t type, uint32_t trailer, const struct iovec *iov,
		    int iovcnt);
	/* fuse_inflight() dropped to zero: a drain that waits for it may go on. */
	void	(*drained)(void);
};

void	fuse_layer_init(const struct msg_config *, const struct fuse_sinks *);
/* A chain from any queue; the FUSE layer owns req from here on and completes it. */
void	fuse_request(struct vq_req *req);
/* Every IMSG_WORKER_REPLY_* from the worker (size and type already checked). */
void	fuse_worker_reply(struct chan_msg *msg);
/* The worker completed call id on vq's used ring itself (vq_direct_init()'s done). */
struct vq;
void	fuse_direct_done(struct vq *vq, uint64_t id);
/* The worker died (--worker-restart): every request it had gets error. */
void	fuse_worker_lost(int error);
/* Requests sent to the worker and not yet answered (GET_VRING_BASE and SET_MEM_TABLE
 * wait for this to drain). */
unsigned int fuse_inflight(void);
/* Of those, the DAX requests, which a memory change does not wait for (vq_detach()). */
unsigned int fuse_inflight_detached(void);
/*
 * While the frontend waits for every request to come back (device stop, reset, memory
 * change), a SETLKW must not wait for a lock: allow 0 ends every wait (ENOLCK) and
 * starts none until allow 1.
 */
void	fuse_lock_waits(int allow);
/* The device was reset or the rings stopped: forget the session (a new INIT follows). */
void	fuse_session_reset(void);
/*
 * Migration: the session as the device state carries it, and back from a destination's
 * stream (checked; -1 when it is not a session an INIT here could have made).
 */
struct msg_fuse_state;
void	fuse_state_save(struct msg_fuse_state *);
int	fuse_state_load(const struct msg_fuse_state *);
/* The DAX window the VMM maps for this connection (0: none); the next INIT offers it. */
void	fuse_dax_window(uint64_t size);

#endif
