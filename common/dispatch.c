/*
 * The one generic dispatcher: a message reaches its handler only when its type is in the
 * receiver's table, its size obeys the row's rule and it carries an fd exactly when the row
 * allows one. Anything else means the peer is broken or compromised: fatal.
 */
#include <unistd.h>

#include "chan.h"
#include "dispatch.h"
#include "log.h"

void
dispatch_msg(struct chan *c, const struct dispatch_entry *table, struct chan_msg *m,
    void *arg)
{
	const struct dispatch_entry *e;

	for (e = table; e->handler != NULL; e++)
		if (e->type == m->hdr.type)
			break;
	if (e->handler == NULL)
		fatalx("%s sent unexpected message type %u", chan_peer(c), m->hdr.type);
	if ((e->size_rule == SIZE_EXACT && m->hdr.len != e->size) ||
	    (e->size_rule == SIZE_MIN && m->hdr.len < e->size))
		fatalx("%s sent message type %u with bad size %u (%s %zu)", chan_peer(c),
		    m->hdr.type, m->hdr.len,
		    e->size_rule == SIZE_EXACT ? "expected" : "minimum", e->size);
	if (e->fd_rule == FD_NONE && m->fd != -1)
		fatalx("%s sent an fd with message type %u", chan_peer(c), m->hdr.type);
	if (e->fd_rule == FD_REQUIRED && m->fd == -1)
		fatalx("%s sent message type %u without its fd", chan_peer(c), m->hdr.type);
	e->handler(c, m, arg);
}
