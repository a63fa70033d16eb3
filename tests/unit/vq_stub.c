/* The queue accessors of virtq.h over the stub queue of vq_stub.h. */
#include "virtq.h"
#include "vq_stub.h"

unsigned int
vq_index(const struct vq *vq)
{
	return vq->index;
}

unsigned int
vq_num(const struct vq *vq)
{
	return vq->num;
}
