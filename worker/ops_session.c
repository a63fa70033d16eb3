/*
 * Session INIT and DESTROY: a new INIT (remount, reboot) or a DESTROY (unmount) drops
 * every node and handle, so nothing from the old session can be named again.
 */
#include "config.h"

#include <sys/types.h>

#include <string.h>

#include "log.h"
#include "msg.h"
#include "worker.h"
#include "wcore.h"

void
op_session_init(struct wreq *r)
{
	struct msg_session s;

	memcpy(&s, r->data, sizeof(s));		/* size checked by the dispatch table */
	nodes_reset();
	wk_session_flags = s.flags;
	log_debug("session: flags %#x, max_write %u", s.flags, s.max_write);
	reply_status(r, 0);
}

void
op_session_destroy(struct wreq *r)
{
	nodes_reset();
	wk_session_flags = 0;
	reply_status(r, 0);
}
