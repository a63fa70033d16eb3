/* The queue accessors of virtq.h over the stub queue of vq_stub.h. */
#include <stdlib.h>

#include "virtq.h"
#include "vq_stub.h"

unsigned int
vq_index(const struct vq *vq)
{
	return vq->index;
}

/* No memory changes here: a detached chain stays as it is. */
void
vq_detach(struct vq_req *req)
{
	(void)req;
}

int
vq_req_live(const struct vq_req *req)
{
	(void)req;
	return 1;
}

unsigned int
vq_num(const struct vq *vq)
{
	return vq->num;
}

unsigned int
vq_chain_max(const struct vq *vq)
{
	return vq->num;		/* as on a ring without indirect tables */
}

/* No page shared with a worker here: every reply is built by the FUSE layer. */
int
vq_direct_req(const struct vq_req *req, uint32_t len, struct msg_direct *d,
    struct msg_iov *seg)
{
	(void)req;
	(void)len;
	(void)d;
	(void)seg;
	return -1;
}

void
vq_release(struct vq_req *req)
{
	(void)req;
	abort();	/* nothing completes without a page */
}
