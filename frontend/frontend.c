/*
 * privfsd-frontend: one per vhost-user connection. Speaks vhost-user to QEMU, reads the
 * rings, parses FUSE, and talks to the worker (typed requests) and the broker (memory fds,
 * the back-end channel). It starts with its channels on fixed fds, takes its configuration
 * from the broker, drops into its sandbox and only then reads anything from the guest.
 * It is also the top layer: it gives each lower layer its upward calls (sinks) at init.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "msg.h"
#include "chan.h"
#include "dispatch.h"
#include "sandbox.h"
#include "fuse.h"
#include "vhost_user.h"
#include "virtq.h"
#include "guest_mem.h"
#include "worker_link.h"

#define CONFIG_TIMEOUT_MS	5000

static struct event_base	*fe_base;
static struct msg_config	 fe_config;
static struct chan		*fe_broker;

extern char		**environ;

static void
fe_send_broker(uint32_t type, int fd, const void *data, size_t len)
{
	chan_compose(fe_broker, type, 0, fd, data, len);
}

/*
 * A ring's place and its call fd, for the worker to complete chains (frontend/virtq.c,
 * "the worker completes chains itself"), then its kick fd, to wake with us.
 */
static void
fe_send_direct_ring(const struct msg_direct_ring *dr, int call_fd, int kick_fd)
{
	struct msg_direct_kick dk;

	fe_send_broker(IMSG_FRONTEND_DIRECT_RING, call_fd, dr, sizeof(*dr));
	if (kick_fd == -1)
		return;
	memset(&dk, 0, sizeof(dk));
	dk.queue = dr->queue;
	dk.gen = dr->gen;
	fe_send_broker(IMSG_FRONTEND_DIRECT_KICK, kick_fd, &dk, sizeof(dk));
}

/* The layers' upward calls, wired here so that no layer calls into one above it. */
static const struct fuse_sinks fuse_sinks = {
	.send_worker = wl_send,
	.drained = vu_check_drained,
};

static const struct vu_sinks vu_sinks = {
	.request = fuse_request,
	.inflight = fuse_inflight,
	.inflight_detached = fuse_inflight_detached,
	.lock_waits = fuse_lock_waits,
	.session_reset = fuse_session_reset,
	.send_broker = fe_send_broker,
	.dax_window = fuse_dax_window,
	.fuse_state_save = fuse_state_save,
	.fuse_state_load = fuse_state_load,
};

/* ---- broker channel ---- */

static void
broker_connection(struct chan *c, struct chan_msg *msg, void *arg)
{
	vu_start(msg->fd);
	msg->fd = -1;
}

static const struct dispatch_entry broker_table[] = {
	{ IMSG_BROKER_CONNECTION, SIZE_EXACT, 0, FD_REQUIRED, broker_connection },
	{ IMSG_BROKER_WORKER_CHAN, SIZE_EXACT, sizeof(struct msg_worker_chan), FD_REQUIRED,
	    wl_new_channel },
	DISPATCH_END
};

/* A lost broker ends the export (a lost worker is worker_link.c's). */
__attribute__((__noreturn__)) static void
channel_closed(struct chan *c, void *arg)
{
	log_warnx("channel to the %s closed", chan_peer(c));
	exit(1);
}

static void
get_config(void)
{
	struct chan_msg msg;

	if (chan_recv_blocking(fe_broker, &msg, CONFIG_TIMEOUT_MS) == -1)
		fatal("no configuration from the broker");
	if (msg.hdr.type != IMSG_BROKER_CONFIG || msg.hdr.len != sizeof(fe_config) ||
	    msg.fd != -1)
		fatalx("expected the configuration (%zu bytes), got type %u, %u bytes",
		    sizeof(fe_config), msg.hdr.type, msg.hdr.len);
	memcpy(&fe_config, msg.data, sizeof(fe_config));
	if (memchr(fe_config.shared_dir, '\0', sizeof(fe_config.shared_dir)) == NULL ||
	    memchr(fe_config.xattrmap, '\0', sizeof(fe_config.xattrmap)) == NULL ||
	    memchr(fe_config.tag, '\0', sizeof(fe_config.tag)) == NULL ||
	    fe_config.log_level > LOG_LEVEL_DEBUG)
		fatalx("malformed configuration from the broker");
}

int
main(int argc, char *argv[])
{
	struct msg_hello		hello;
	struct vu_device_opts	dev_opts;

	setproctitle_init(argc, argv, environ);
	log_init(0, LOG_LEVEL_INFO);
	log_procinit("frontend");
	vq_share_map();		/* fd 7 mapped and closed: the sandbox sees no extra fd */

	fe_broker = chan_new(CHAN_FD_BROKER, "broker", 1);
	get_config();
	/* Even with --syslog: no socket for us, the broker sends our stderr on to syslog. */
	log_init(0, fe_config.log_level);
	log_procinit("frontend");
	/* "-": no program name prefix, so ps shows "privfsd: frontend" like the others */
	setproctitle("-privfsd: frontend");

	/* A vanished QEMU shows as EPIPE on write, not as a signal. */
	signal(SIGPIPE, SIG_IGN);
	if ((fe_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	chan_set_dispatch(fe_broker, broker_table, NULL);
	chan_set_closed_cb(fe_broker, channel_closed, NULL);
	chan_event_add(fe_broker, fe_base);
	wl_init(fe_base, &fe_config);
	vu_init(fe_base, &vu_sinks);
	vq_direct_init(fe_send_direct_ring, fuse_direct_done, wl_worker_gone);
	memset(&dev_opts, 0, sizeof(dev_opts));
	dev_opts.dax_window = fe_config.dax == DAX_NEVER ? 0 : fe_config.dax_window;
	dev_opts.dax_shmem = fe_config.dax_vmm == DAX_VMM_SHMEM;
	dev_opts.tag = fe_config.tag;
	vu_set_device_opts(&dev_opts);
	vq_look_init(fe_config.poll_max_ns);
	fuse_layer_init(&fe_config, &fuse_sinks);
	gm_sigbus_init();

	sandbox_frontend(&fe_config);
#ifdef PRIVFSD_TEST_HOOKS
	sandbox_test_hook("frontend");
#endif

	memset(&hello, 0, sizeof(hello));
	hello.version = PRIVFSD_PROTO_VERSION;
	hello.role = ROLE_FRONTEND;
	fe_send_broker(IMSG_CHILD_HELLO, -1, &hello, sizeof(hello));

	/* One turn at a time: a SIGBUS on guest memory is acted on right after it. */
	while (event_base_loop(fe_base, EVLOOP_ONCE) == 0)
		if (gm_lost() != 0)
			vu_mem_lost();
	fatalx("event loop ended");
}
