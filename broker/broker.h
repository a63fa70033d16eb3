/*
 * The broker's parts: command line, listening socket, children, relay of fds between them,
 * supervision. Only the broker keeps privileges after start-up, so it stays small.
 */
#ifndef PRIVFSD_BROKER_H
#define PRIVFSD_BROKER_H

#include <sys/types.h>
#include <limits.h>

#include "msg.h"

struct chan;
struct event_base;

/* What the command line says: the children's config plus what only the broker uses. */
struct broker_opts {
	struct msg_config config;
	char		socket_path[PATH_MAX];	/* "" with --fd */
	int		listen_fd;		/* --fd, or -1 */
	gid_t		socket_gid;		/* --socket-group, or (gid_t)-1 */
	int		translate_ids;		/* a --translate-uid/gid was given */
	int		readdirplus_set;	/* -o readdirplus given explicitly */
	int		socket_activated;	/* listen_fd came from systemd's LISTEN_FDS */
	uint32_t	ignored;		/* -o switches given that have no effect */
	int		worker_restart;		/* --worker-restart: 1, 0, or -1 (default) */
	char		export_name[64];	/* --export-name, or "" */
	char		worker_userns[128];	/* --worker-userns, as given; "" none */
};

/* options.c: parse argv into opts; prints "privfsd: ARG: WHY" and exits 1 on any error. */
void	options_parse(int argc, char **argv, struct broker_opts *);

/* 1: --name takes a value, 0: a switch, -1: no such option (privfsd.conf's lines). */
int	options_takes_value(const char *name);
/*
 * Arguments from privfsd.conf: options_fail() names origins[i] ("FILE:LINE") for argv[i],
 * and whole for what only the whole command line gets wrong. NULL: the command line.
 */
void	options_set_origins(char *const *origins, const char *whole);
const char *options_origin(void);
void	options_set_current(int argi);		/* the argv index being parsed, or -1 */

/* options_compat.c: one -o list of the C virtiofsd ("source=DIR,cache=none,xattr"). */
void	options_compat(const char *list, struct broker_opts *);
/* Log once which of the ignored -o switches were given (call after log_init). */
void	options_log_ignored(const struct broker_opts *);
/* Report a bad argument the same way everywhere. */
__attribute__((__noreturn__))
void	options_fail(const char *arg, const char *why);
/* Shared value parsers: return NULL or why the value is bad. */
const char *options_cache(const char *val, struct msg_config *);
const char *options_sandbox(const char *val, struct msg_config *);
const char *options_log_level(const char *val, struct msg_config *);
const char *options_xattrmap(const char *val, struct msg_config *);
const char *options_shared_dir(const char *val, struct msg_config *);

/* options_dax.c: --dax, --dax-window, --dax-vmm; _finish() after every option. */
const char *options_dax(const char *val, struct msg_config *);
const char *options_dax_window(const char *val, struct msg_config *);
const char *options_dax_vmm(const char *val, struct msg_config *);
const char *options_dax_finish(struct msg_config *);

/* options_idmap.c: --translate-uid/gid and --uid-map/gid-map into msg_idmap tables. */
const char *idmap_translate(const char *val, struct msg_idmap *table);
const char *idmap_namespace(const char *val, struct msg_idmap *table);
/* CONFIG_USERNS: only host id 0 exists; an empty table becomes 0 -> 0. NULL or why not. */
const char *idmap_userns(struct msg_idmap *table);
/* --worker-userns: host ids are [0, count); an empty table becomes that range. */
const char *idmap_within(struct msg_idmap *table, uint32_t count);

/*
 * userns.c: an unprivileged user's privfsd (CONFIG_USERNS). userns_adjust() turns off what
 * such a privfsd cannot do (and refuses what cannot be turned off); userns_enter() makes
 * the user namespace, whose one uid and gid 0 are the invoking user's, and says so in the
 * log. Fatal on failure.
 */
void	userns_adjust(struct broker_opts *);
void	userns_enter(void);
/* Write all of text to a /proc file (an id map) in one write(2); 0, or -1 with errno. */
int	userns_write_proc(const char *path, const char *text);
/* No file handles for whose worker: mandatory is fatal, prefer becomes never (a warning). */
void	userns_no_file_handles(struct msg_config *, const char *whose);

/*
 * --worker-userns (subid.c, worker_userns.c): a host id range, the first of each type
 * that the worker's user namespace maps from its id 0 on.
 */
struct subid_range {
	uint32_t	base;
	uint32_t	count;
};
/* UID:GID:COUNT, or a user's ranges in /etc/subuid and /etc/subgid. NULL or why not. */
const char *subid_parse(const char *val, struct subid_range *uids, struct subid_range *gids);
/*
 * worker_userns_setup() checks the range (after options_parse; fatal with the option's
 * name) and adjusts the configuration; worker_clone() is fork, or clone with flags, for
 * a worker: into a user namespace of its own over the range when one was asked for.
 */
void	worker_userns_setup(struct broker_opts *);
pid_t	worker_clone(unsigned long flags);

/* conf.c: privfsd.conf(5). Each export is the command line of the broker serving it. */
#define CONF_NAME_MAX	64
struct conf_export {
	char		  name[CONF_NAME_MAX];
	unsigned int	  line;			/* of "export NAME {" */
	char		  origin[PATH_MAX + 16];	/* "FILE:LINE" of it */
	char		  socket_path[PATH_MAX];
	int		  argc;
	int		  nglobals;		/* argv[1..nglobals]: the file's global lines */
	char		**argv;			/* "privfsd", globals, --export-name, its own */
	char		**origins;		/* "FILE:LINE" of each argv entry */
};
struct conf {
	struct conf_export	*exports;
	size_t			 nexports;
};
/* 0, or -1 with "FILE:LINE: what" in err. */
int	conf_load(const char *path, struct conf *, char *err, size_t errsz);
void	conf_free(struct conf *);
void	conf_export_free(struct conf_export *);
int	conf_export_same(const struct conf_export *, const struct conf_export *);

/* service.c: privfsd --config: one broker per export, restarted, reloaded on SIGHUP. */
int	service_wanted(int argc, char **argv);
__attribute__((__noreturn__))
void	service_main(int argc, char **argv);

/* listener.c: the vhost-user listening socket. */
int	listener_open(const struct broker_opts *);	/* fatal on failure */
/* Accept one connection and hand it to accepted (which owns it from then on). */
void	listener_start(int fd, struct event_base *, void (*accepted)(int fd));
void	listener_remove_socket(void);			/* unlink it if we created it */
int	listener_waiting(void);		/* 1 until the one connection came */

/* sockdiag.c: 1 when a listening AF_UNIX socket is bound to dev/ino, 0 not, -1 unknown. */
int	sockdiag_is_listening(dev_t dev, ino_t ino);

/* spawn.c: the two children. What each may send us is relay.c's. */
struct child {
	const char		*title;		/* "frontend", "worker" */
	enum privfsd_role	 role;
	const char		*exe;		/* file name under the libexec dir */
	pid_t			 pid;		/* 0 once reaped */
	struct chan		*chan;		/* NULL once closed */
};
extern struct child	children[];
#define CHILD_FRONTEND	0
#define CHILD_WORKER	1
#define NCHILDREN	2

/* Start both; returns the worker's state memfd with CONFIG_WORKER_RESTART, else -1. */
int	spawn_children(const struct msg_config *, int *used_fd);
/*
 * Wait for both hellos: NULL when both came in time, else the child whose channel closed
 * or stayed silent, and why (the caller ends the export). A wrong hello is fatal here.
 */
struct child	*handshake_children(const char **why);
/* One child's hello by deadline (now_ms(), clock.h): NULL, or why it did not come. */
const char	*spawn_expect_hello(struct child *, int64_t deadline);
int		 chan_pair(int sv[2], int type);	/* SOCK_CLOEXEC | SOCK_NONBLOCK */

/* What a child gets on its fixed fds (spawn_exec); state is -1 but for the worker. */
struct spawn_fds {
	int	chan;		/* fd 3: to the broker */
	int	peer;		/* fd 4: frontend <-> worker, ordered */
	int	requests;	/* fd 5: frontend <-> worker, requests */
	int	state;		/* fd 6: the worker's state memfd, or -1 */
	int	used;		/* fd 7: the shared used-ring page, or -1 */
	int	err;		/* fd 2: the log relay pipe */
};
/* In a new child: put the fds in place and exec the role's program. Never returns. */
__attribute__((__noreturn__))
void	spawn_exec(const char *title, const char *exe, const struct spawn_fds *);

/*
 * respawn.c, --worker-restart: the respawner, a child forked before the broker gives up
 * its privileges, starts each new worker for it (respawn_start owns state_fd and used_fd
 * from then
 * on). respawn_worker() replaces a dead worker and tells the frontend; 0 on success, else
 * it says why and the caller ends the export.
 */
void	respawn_start(const struct msg_config *, int state_fd, int used_fd);
int	respawn_worker(struct event_base *);
void	respawn_stop(void);		/* kill and reap it (the end of the export) */

/*
 * logrelay.c: each child's stderr is a pipe to us. logrelay_pipe() makes it before the
 * fork (returns the child's end); logrelay_drain() copies out what a child wrote, so its
 * last words come before the line that reports its death.
 */
int	logrelay_pipe(int child);
/* A new child in the slot (a restarted worker): its pipe is fd, its events start now. */
void	logrelay_adopt(int child, int fd);
/* Whose pipe it is, for the syslog lines: set after the fork. */
void	logrelay_child(int child, const char *title, pid_t pid);
/* use_syslog: each line of theirs goes to syslog instead of our stderr. */
void	logrelay_start(struct event_base *, int use_syslog);
void	logrelay_drain(int child);

/*
 * connlog.c: the grep-able start and end lines of the vhost-user connection. The first
 * connlog_cause() is the one the end line gives; connlog_also() adds one (a child's
 * death); connlog_end() writes the end line once, if a connection started.
 */
void	connlog_init(const char *export);
void	connlog_accepted(int fd);		/* who connected (SO_PEERCRED) */
void	connlog_cause(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	connlog_also(const char *, ...) __attribute__((__format__(printf, 1, 2)));
void	connlog_end(int clean);

/* relay.c: dispatch tables and the fd passing between children. */
void	relay_start(void);		/* route what the children send, after hello */
void	relay_send_connection(int fd);
/* --worker-restart: keep a copy of the guest memory table (before relay_start). */
void	relay_keep_memory(void);
/* A new worker: its dispatch table, then the guest memory table as it stands. */
void	relay_worker_start(void);
void	relay_replay_memory(void);

/* backend.c: the vhost-user back-end channel; DAX requests go out on it. */
void	backend_set_channel(int fd, uint64_t protocol_features);
void	backend_set_config(const struct msg_config *);
int	backend_dax_map(const struct msg_dax_map *, int fd);	/* 0 or an errno value */
int	backend_dax_unmap(const struct msg_dax_range *);
/* Inside the window, not wrapping, on DAX_ALIGN: what every request must be. */
int	backend_range_ok(uint64_t window_offset, uint64_t len);

/* supervise.c */
void	supervise_start(struct event_base *);		/* signals */
void	supervise_children(struct event_base *);	/* channels, after relay_start() */
void	supervise_child(struct child *, struct event_base *);	/* one (a new worker) */
/*
 * --worker-restart: restart() replaces a dead worker (0, or -1 to end the export), stop()
 * ends the respawner with the export. Set by broker.c: supervision calls no layer above.
 */
void	supervise_restarts(int (*restart)(struct event_base *), void (*stop)(void));
__attribute__((__noreturn__))
void	child_start_failed(struct child *, const char *why);
void	supervise_cleanup(void);		/* atexit: kill children, remove the socket */
__attribute__((__noreturn__))
void	broker_shutdown(int code, const char *why);	/* kill children, clean up, exit */

#endif
