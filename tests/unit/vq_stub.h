/*
 * The vhost side below the frontend's FUSE layer, as the tests of that layer stub it
 * (unit/fuse-parse, fuzz/fuzz-fuse): a queue is its index and size; vq_stub.c gives the
 * two accessors, and each test its own vq_complete() and the rest of virtq.h.
 */
#ifndef PRIVFSD_TESTS_VQ_STUB_H
#define PRIVFSD_TESTS_VQ_STUB_H

struct vq {
	unsigned int	index;
	unsigned int	num;
};

#endif
