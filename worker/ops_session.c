/*
 * Session INIT and DESTROY: a new INIT (remount, reboot) or a DESTROY (unmount) drops
 * every node and handle, so nothing from the old session can be named again.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

/*
 * The tables hold each other in one direction: handles and lock fds hold node
 * references, nodes hold none of theirs. So the handles go first, then the lock fds (their
 * POSIX and flock locks go with them, as on close), then the nodes, which the two before
 * have let go of. A request still in flight keeps its own references; what it holds goes
 * at its last put.
 */
static void
session_reset(void)
{
	/* Nothing of the old session stays mapped: the guest cannot name it any more. */
	dax_table_reset();
	handles_reset();
	locks_reset();
	nodes_reset();
}

void
op_session_init(struct wreq *req)
{
	struct msg_reader	r;
	struct msg_session	s;

	if (ops_begin(req, &r, &s, sizeof(s)) != 0 || msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	session_reset();
	wk_session_flags = s.flags;
	/* A restarted worker serves the same session without a new INIT. */
	wstate_session(1, s.flags);
	log_debug("session: flags %#x, max_write %u", s.flags, s.max_write);
	reply_status(req, 0);
}

void
op_session_destroy(struct wreq *req)
{
	session_reset();
	wk_session_flags = 0;
	wstate_session(0, 0);
	reply_status(req, 0);
}

/* Everything the ordered channel carried before this has run: say so. */
void
op_sync(struct wreq *req)
{
	reply_status(req, 0);
}
