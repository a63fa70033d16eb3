/*
 * The vhost-user listening socket: created at --socket-path (0600, or 0660 for
 * --socket-group) or inherited with --fd. Like virtiofsd, exactly one connection is
 * accepted; it goes to the frontend and the listener is closed.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"

/* What we need to remove our socket file at exit, even after chdir or a rename. */
static int		 sock_dirfd = -1;
static char		 sock_base[NAME_MAX + 1];
static dev_t		 sock_dev;
static ino_t		 sock_ino;
static struct event	*listen_ev;
static void		(*listen_accepted)(int);	/* from listener_start() */

/* what: how the fd came, for the error ("--fd=7", "LISTEN_FDS (fd 3)"). */
static void
check_inherited(int fd, const char *what)
{
	int		 v;
	socklen_t	 len;

	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == -1)
		fatal("%s", what);
	if (v != AF_UNIX)
		fatalx("%s: not an AF_UNIX socket", what);
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == -1 || v != SOCK_STREAM)
		fatalx("%s: not a SOCK_STREAM socket", what);
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == -1 || v != 1)
		fatalx("%s: not a listening socket", what);
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fatal("%s: fcntl", what);
}

/* Fallback when sock_diag is unavailable: a refused connection means stale. */
static int
probe_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, live;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	live = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
	    (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return live;
}

/* Refuse a live socket, remove a stale one, and never touch anything else. */
static void
clear_old_socket(const char *path)
{
	struct stat	st;
	int		live;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return;
		fatal("%s", path);
	}
	if (!S_ISSOCK(st.st_mode))
		fatalx("%s: exists and is not a socket; not removing it", path);
	if ((live = sockdiag_is_listening(st.st_dev, st.st_ino)) == -1)
		live = probe_connect(path);
	if (live)
		fatalx("%s: a live socket is already there (another privfsd?)", path);
	log_info("%s: removing stale socket", path);
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("%s: unlink", path);
}

static void
remember_socket(const char *path)
{
	char		 dir[PATH_MAX], base[PATH_MAX];
	struct stat	 st;

	(void)strlcpy(dir, path, sizeof(dir));
	(void)strlcpy(base, path, sizeof(base));
	if ((sock_dirfd = open(dirname(dir), O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("%s: directory", path);
	if (strlcpy(sock_base, basename(base), sizeof(sock_base)) >= sizeof(sock_base))
		fatalx("%s: name too long", path);
	if (fstatat(sock_dirfd, sock_base, &st, AT_SYMLINK_NOFOLLOW) == -1)
		fatal("%s", path);
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
}

static int
create_socket(const char *path, gid_t group)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd;

	clear_old_socket(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		fatal("socket");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, path, sizeof(sun.sun_path));	/* length checked */
	old = umask(0177);	/* born 0600: never reachable by others, not even briefly */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("%s: bind", path);
	umask(old);
	remember_socket(path);
	if (group != (gid_t)-1) {
		if (fchownat(sock_dirfd, sock_base, (uid_t)-1, group, AT_SYMLINK_NOFOLLOW) == -1 ||
		    fchmodat(sock_dirfd, sock_base, 0660, 0) == -1)
			fatal("%s: socket group", path);
	}
	if (listen(fd, 1) == -1)
		fatal("%s: listen", path);
	return fd;
}

int
listener_open(const struct broker_opts *o)
{
	char what[64];

	if (o->listen_fd != -1) {
		if (o->socket_activated)
			(void)snprintf(what, sizeof(what), "LISTEN_FDS (fd %d)", o->listen_fd);
		else
			(void)snprintf(what, sizeof(what), "--fd=%d", o->listen_fd);
		check_inherited(o->listen_fd, what);
		return o->listen_fd;
	}
	return create_socket(o->socket_path, o->socket_gid);
}

static void
listener_accept(int fd, short events, void *arg)
{
	int conn;

	if ((conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		fatal("accept");
	}
	connlog_accepted(conn);
	listen_accepted(conn);
	/* One connection per privfsd, as with virtiofsd: nobody else gets in. */
	event_free(listen_ev);
	listen_ev = NULL;
	close(fd);
}

void
listener_start(int fd, struct event_base *base, void (*accepted)(int))
{
	listen_accepted = accepted;
	if ((listen_ev = event_new(base, fd, EV_READ | EV_PERSIST, listener_accept,
	    NULL)) == NULL || event_add(listen_ev, NULL) == -1)
		fatalx("listener event");
}

int
listener_waiting(void)
{
	return listen_ev != NULL;
}

/* Only the file we bound, still the same inode: never someone else's. */
void
listener_remove_socket(void)
{
	struct stat st;

	if (sock_dirfd == -1)
		return;
	if (fstatat(sock_dirfd, sock_base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_dev == sock_dev && st.st_ino == sock_ino &&
	    unlinkat(sock_dirfd, sock_base, 0) == -1)
		log_warn("remove socket %s", sock_base);
	close(sock_dirfd);
	sock_dirfd = -1;
}
