/*
 * SETUPMAPPING and REMOVEMAPPING, and the broker's DAX results: the worker's whole DAX
 * placeholder. Until the DAX window lands the worker says the operation is not supported
 * (the guest then uses the page cache; stock QEMU has no cache window and never sends
 * these), and no DAX request ever goes to the broker, so no result is awaited.
 */
#include "config.h"

#include <errno.h>

#include "log.h"
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

void
dax_result(const struct msg_dax_result *res)
{
	log_warnx("DAX result %llu without a DAX request", (unsigned long long)res->id);
}
