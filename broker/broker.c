/*
 * privfsd: the broker. Parses the command line, opens the vhost-user socket, spawns the
 * frontend and the worker, gives up its own privileges, then only passes checked fds
 * between them and supervises them until the export ends.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"
#include "sandbox.h"

extern char **environ;

/*
 * libbsd marks only the end of argv[0] as changed; with more arguments Linux then shows
 * the whole old argument area (the title, then blanks). A non-NUL last byte of that area
 * makes /proc/PID/cmdline stop at the title's NUL, so ps shows exactly "privfsd: broker".
 */
static void
proctitle(char *area_start, char *area_last)
{
	setproctitle("-privfsd: %s", "broker");
	if (area_last > area_start + strlen(area_start))
		*area_last = '.';
}

/* fds 0-2 must be open, or a socketpair could land there and be kept by the children. */
static void
sanitize_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= STDERR_FILENO)
		;
	if (fd > STDERR_FILENO)
		close(fd);
}

int
main(int argc, char **argv)
{
	static struct broker_opts	 opts;
	struct event_base		*base;
	struct child			*failed;
	const char			*why;
	int				 listen_fd, state_fd, used_fd;
	char				*arg0 = argv[0];
	char				*arg_last = argv[argc - 1] + strlen(argv[argc - 1]);

	sanitize_std_fds();
	log_init(0, LOG_LEVEL_INFO);
	if (service_wanted(argc, argv))
		service_main(argc, argv);	/* privfsd.conf: a broker per export */
	setproctitle_init(argc, argv, environ);
	log_procinit("broker");
	options_parse(argc, argv, &opts);
	/* With --syslog, ours is the one connection: the children's lines come through us. */
	log_init((opts.config.flags & CONFIG_SYSLOG) != 0, opts.config.log_level);
	options_log_ignored(&opts);
	log_setexport(opts.export_name[0] != '\0' ? opts.export_name : opts.config.shared_dir);
	connlog_init(opts.export_name[0] != '\0' ? opts.export_name : opts.config.shared_dir);
	/* "privfsd: broker" whatever argv[0] is (the children title themselves the same way). */
	proctitle(arg0, arg_last);

	worker_userns_setup(&opts);
	if (opts.config.flags & CONFIG_USERNS)
		userns_adjust(&opts);
	else if (geteuid() != 0)
		log_warnx("not running as root and --sandbox=none: the frontend cannot "
		    "change to the user %s", PRIVSEP_USER);
	signal(SIGPIPE, SIG_IGN);
	atexit(supervise_cleanup);
	/*
	 * The socket first, as the invoking user on the host: its owner, and the group of
	 * --socket-group, are host ids that the user namespace does not map.
	 */
	listen_fd = listener_open(&opts);
	/* Before any child: each of them, the respawner too, runs inside it. */
	if (opts.config.flags & CONFIG_USERNS)
		userns_enter();
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	supervise_start(base);

	state_fd = spawn_children(&opts.config, &used_fd);
	backend_set_config(&opts.config);
	logrelay_start(base, (opts.config.flags & CONFIG_SYSLOG) != 0);
	if ((failed = handshake_children(&why)) != NULL)
		child_start_failed(failed, why);
	if (state_fd != -1) {		/* --worker-restart */
		/* before we give up the privileges */
		respawn_start(&opts.config, state_fd, used_fd);
		supervise_restarts(respawn_worker, respawn_stop);
		relay_keep_memory();
	}
	sandbox_broker(&opts.config);
#ifdef PRIVFSD_TEST_HOOKS
	sandbox_test_hook("broker");
#endif

	relay_start();
	supervise_children(base);
	listener_start(listen_fd, base, relay_send_connection);
	log_info("exporting %s on %s", opts.config.shared_dir,
	    opts.socket_path[0] != '\0' ? opts.socket_path :
	    opts.socket_activated ? "the socket from systemd" : "an inherited socket");
	/*
	 * The Rust virtiofsd's words: Kata's runtime-rs starts the VM only once a line of
	 * the daemon's stderr contains them. Both children are up and the socket listens.
	 */
	log_announce("Waiting for vhost-user socket connection...");
	event_base_dispatch(base);
	fatalx("event loop ended");
}
