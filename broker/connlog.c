/*
 * One log line when the vhost-user connection starts and one when it ends, for an
 * operator to grep:
 *
 *   vhost-user connection start: export=DIR peer_pid=N peer_uid=N peer_gid=N
 *   vhost-user connection end: export=DIR peer_pid=N duration=S.Ss result=clean|failed
 *       cause="..."
 *
 * The peer is what SO_PEERCRED says ("-" when it says nothing). The cause is the first
 * event that ended the export (QEMU's disconnect, a signal, a failed check), or the
 * deaths of children that died on their own, each named ("frontend (pid N) exited with
 * status 1; worker (pid M) killed by signal 9 (SIGKILL)": which came first is not always
 * known). What the broker does after that, such as killing the other child, is a
 * consequence and not recorded.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "log.h"

static const char	*conn_export = "-";
static int		 conn_open;		/* a start line was written, no end line yet */
static char		 conn_peer[32] = "-";
static struct timespec	 conn_since;
static char		 conn_cause[256];

void
connlog_init(const char *export)
{
	conn_export = export;
}

void
connlog_accepted(int fd)
{
	struct ucred	cr;
	socklen_t	len = sizeof(cr);
	char		ids[64] = "peer_uid=- peer_gid=-";

	memset(&cr, 0, sizeof(cr));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 && len == sizeof(cr)) {
		(void)snprintf(conn_peer, sizeof(conn_peer), "%ld", (long)cr.pid);
		(void)snprintf(ids, sizeof(ids), "peer_uid=%ld peer_gid=%ld", (long)cr.uid,
		    (long)cr.gid);
	}
	clock_gettime(CLOCK_MONOTONIC, &conn_since);
	conn_open = 1;
	log_info("vhost-user connection start: export=%s peer_pid=%s %s", conn_export,
	    conn_peer, ids);
}

void
connlog_cause(const char *fmt, ...)
{
	va_list ap;

	if (conn_cause[0] != '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(conn_cause, sizeof(conn_cause), fmt, ap);	/* truncated is fine */
	va_end(ap);
}

/* One more thing that ended it, after the first: "FIRST; THIS". */
void
connlog_also(const char *fmt, ...)
{
	char	more[128];
	size_t	len = strlen(conn_cause);
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(more, sizeof(more), fmt, ap);
	va_end(ap);
	if (len == 0)
		(void)strlcpy(conn_cause, more, sizeof(conn_cause));
	else if (len + 2 < sizeof(conn_cause))
		(void)snprintf(conn_cause + len, sizeof(conn_cause) - len, "; %s", more);
}

void
connlog_end(int clean)
{
	struct timespec	now;
	long long	ds;

	if (!conn_open)
		return;
	conn_open = 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ds = ((long long)now.tv_sec - conn_since.tv_sec) * 10 +
	    (now.tv_nsec - conn_since.tv_nsec) / 100000000;
	if (ds < 0)
		ds = 0;
	log_info("vhost-user connection end: export=%s peer_pid=%s duration=%lld.%llds "
	    "result=%s cause=\"%s\"", conn_export, conn_peer, ds / 10, ds % 10,
	    clean ? "clean" : "failed",
	    conn_cause[0] != '\0' ? conn_cause : "the broker exited");
}
