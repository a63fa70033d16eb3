/*
 * SETUPMAPPING and REMOVEMAPPING: the DAX window is an issue of its own. Until it lands
 * the worker says the operation is not supported (the guest then uses the page cache;
 * stock QEMU has no cache window and never sends these).
 */
#include "config.h"

#include <errno.h>

#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

void
op_setupmapping(struct wreq *req)
{
	reply_status(req, EOPNOTSUPP);
}

void
op_removemapping(struct wreq *req)
{
	reply_status(req, EOPNOTSUPP);
}
