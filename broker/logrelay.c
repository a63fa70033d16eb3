/*
 * The children's stderr comes to the broker through a pipe, and the broker copies it to
 * its own stderr. That lets the frontend run with RLIMIT_FSIZE 0 even when the broker's
 * stderr is a regular file (a log file under libvirt or the tests): the limit applies to
 * regular files only, never to pipes. Log lines are written whole (common/log.c) and are
 * shorter than PIPE_BUF, so lines of the three processes never interleave.
 *
 * With --syslog the children still write to their pipe (they may not open a socket), and
 * the broker cuts what comes into lines and sends each to syslog under the child's role
 * and pid (log_relay_line). A line longer than the buffer goes out in pieces; a piece
 * without its newline waits for the rest, or for the child's end.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "broker.h"
#include "log.h"

#define LINE_MAX_RELAYED	2048

struct pending {
	char	buf[LINE_MAX_RELAYED];
	size_t	len;
};

static int		 relay_fd[NCHILDREN] = { -1, -1 };
static struct event	*relay_ev[NCHILDREN];
static int		 relay_syslog;
static struct event_base *relay_base;
static struct pending	 pending[NCHILDREN];
static const char	*relay_title[NCHILDREN];
static long		 relay_pid[NCHILDREN];

int
logrelay_pipe(int child)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe2");
	relay_fd[child] = p[0];
	return p[1];
}

static void
pending_flush(int child)
{
	struct pending *pl = &pending[child];

	if (pl->len == 0)
		return;
	pl->buf[pl->len] = '\0';
	log_relay_line(relay_title[child], relay_pid[child], pl->buf);
	pl->len = 0;
}

void
logrelay_child(int child, const char *title, pid_t pid)
{
	relay_title[child] = title;
	relay_pid[child] = (long)pid;
}

/* Cut what came into lines; a full buffer goes out as it is. */
static void
to_syslog(int child, const char *data, size_t len)
{
	struct pending	*pl = &pending[child];
	const char	*nl;
	size_t		 n;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		if (n > sizeof(pl->buf) - 1 - pl->len)
			n = sizeof(pl->buf) - 1 - pl->len;
		memcpy(pl->buf + pl->len, data, n);
		pl->len += n;
		data += n;
		len -= n;
		if (len > 0 && *data == '\n') {
			data++;
			len--;
			pending_flush(child);
		} else if (pl->len == sizeof(pl->buf) - 1)
			pending_flush(child);
	}
}

/* Copy what is there now; 0 at EOF (the child and all its threads are gone). */
static int
relay_copy(int child)
{
	char	 buf[16384];
	ssize_t	 n;

	while ((n = read(relay_fd[child], buf, sizeof(buf))) > 0) {
		if (relay_syslog)
			to_syslog(child, buf, (size_t)n);
		else
			(void)write(STDERR_FILENO, buf, (size_t)n);
	}
	return !(n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR));
}

static void
relay_close(int child)
{
	pending_flush(child);	/* its last words, even without a newline */
	if (relay_ev[child] != NULL) {
		event_free(relay_ev[child]);
		relay_ev[child] = NULL;
	}
	if (relay_fd[child] != -1) {
		close(relay_fd[child]);
		relay_fd[child] = -1;
	}
}

static void
relay_cb(evutil_socket_t fd, short ev, void *arg)
{
	int child = (int)(intptr_t)arg;

	if (!relay_copy(child))
		relay_close(child);
}

static void
relay_watch(int child)
{
	relay_ev[child] = event_new(relay_base, relay_fd[child], EV_READ | EV_PERSIST,
	    relay_cb, (void *)(intptr_t)child);
	if (relay_ev[child] == NULL || event_add(relay_ev[child], NULL) == -1)
		fatalx("logrelay: event_add");
}

void
logrelay_start(struct event_base *base, int use_syslog)
{
	int i;

	relay_syslog = use_syslog;
	relay_base = base;
	for (i = 0; i < NCHILDREN; i++)
		if (relay_fd[i] != -1)
			relay_watch(i);
}

void
logrelay_adopt(int child, int fd)
{
	logrelay_drain(child);		/* the old one's last words first */
	relay_close(child);
	relay_fd[child] = fd;
	relay_watch(child);
}

void
logrelay_drain(int child)
{
	if (relay_fd[child] != -1 && !relay_copy(child))
		relay_close(child);
}
