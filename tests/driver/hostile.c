/*
 * driver/vu-hostile: runs hostile-guest cases against a back-end, one connection per case.
 * After each case: is the connection still there, does a normal request still work (unless
 * the case was meant to break the queue), and DRIVER_CHECK_CMD (run with "all" while the
 * connection is open, or "broker" after the back-end closed it) says whether the back-end's
 * processes are all still running.
 */
#include "config.h"

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

struct vu_cli	cli;
int		failures;

static const struct hcase cases[] = {
	/* doc/wire.md section 4 (what the guest writes); doc/security.md "Ring attacks" */
	{ "avail-idx-jump", "wire 4 avail.idx", h_avail_idx_jump, H_BREAKS },
	{ "head-out-of-range", "wire 4 head, next", h_head_out_of_range, H_BREAKS },
	{ "next-out-of-range", "wire 4 head, next", h_next_out_of_range, H_BREAKS },
	{ "desc-loop", "wire 4 head, next", h_desc_loop, H_BREAKS },
	{ "indirect-len-0", "wire 4 indirect", h_indirect_len0, H_BREAKS | H_INDIRECT },
	{ "indirect-len-not-16", "wire 4 indirect", h_indirect_len_not16, H_BREAKS | H_INDIRECT },
	{ "indirect-too-large", "wire 4 indirect", h_indirect_too_large, H_BREAKS | H_INDIRECT },
	{ "indirect-nested", "wire 4 indirect", h_indirect_nested, H_BREAKS | H_INDIRECT },
	{ "indirect-next", "wire 4 indirect", h_indirect_next, H_BREAKS | H_INDIRECT },
	{ "indirect-not-negotiated", "wire 4 indirect", h_indirect_not_negotiated, H_BREAKS },
	{ "buffer-outside-memory", "wire 4 addr", h_buffer_outside, H_BREAKS },
	{ "buffer-crossing-regions", "wire 4 addr CVE-2019-18960", h_buffer_cross_regions,
	    H_CONTIG_REGIONS },
	{ "addr-overflow", "wire 4 addr", h_addr_overflow, H_BREAKS },
	{ "readable-after-writable", "wire 4 order", h_readable_after_writable, H_BREAKS },
	{ "ring-outside-memory", "wire 4 ring layout", h_ring_outside, H_BREAKS | H_MAY_CLOSE | H_NOSTART },
	{ "ring-misaligned", "wire 4 ring layout", h_ring_misaligned, H_BREAKS | H_MAY_CLOSE | H_NOSTART },
	{ "used-over-avail", "wire 4 ring layout", h_used_over_avail, H_BREAKS | H_MAY_CLOSE | H_NOSTART },
	{ "kick-not-pollable", "vhost-user row", h_kick_not_pollable, H_BREAKS | H_MAY_CLOSE | H_NOSTART },
	{ "queue-size-not-pow2", "wire 4 ring layout", h_queue_size_not_pow2,
	    H_BREAKS | H_MAY_CLOSE | H_NOSTART },
	/* doc/security.md "A vhost-user message larger than the buffer ..."; doc/wire.md 1 */
	{ "vu-oversized-message", "vhost-user row", h_vu_oversized, H_MAY_CLOSE },
	{ "vu-wrong-payload-size", "vhost-user row", h_vu_wrong_size, H_MAY_CLOSE },
	{ "vu-unknown-request", "vhost-user row", h_vu_unknown_request, H_MAY_CLOSE },
	{ "vu-extra-fds", "vhost-user row", h_vu_extra_fds, H_MAY_CLOSE },
	{ "vu-mem-table-bad", "vhost-user row", h_vu_mem_table_bad, H_MAY_CLOSE },
	{ "log-base-bad", "dirty page log row", h_log_base_bad, H_MAY_CLOSE },
	{ "log-base-short", "dirty page log row", h_log_base_short, 0 },
	/* the FUSE rows of doc/security.md, attacks */
	{ "fuse-truncated-header", "truncated header row", h_fuse_truncated_header, 0 },
	{ "fuse-len-larger-than-chain", "truncated header row", h_fuse_len_larger_than_chain, 0 },
	{ "fuse-len-too-large", "truncated header row", h_fuse_len_too_large, 0 },
	{ "fuse-body-short", "truncated header row", h_fuse_body_short, 0 },
	{ "name-not-nul-terminated", "name row", h_name_no_nul, 0 },
	{ "name-embedded-nul", "name row", h_name_embedded_nul, 0 },
	{ "name-too-long", "name row", h_name_too_long, 0 },
	{ "name-slash", "name with '/' row", h_name_slash, 0 },
	{ "name-dotdot", "name with '..' row", h_name_dotdot, 0 },
	{ "name-empty-absolute", "name with '/' row", h_name_empty_abs, 0 },
	{ "bogus-nodeid", "bogus node id row", h_bogus_nodeid, 0 },
	{ "forget-unknown", "bogus node id row", h_forget_unknown, 0 },
	{ "double-release", "bogus node id row", h_double_release, 0 },
	{ "batch-forget-overflow", "BATCH_FORGET row", h_batch_forget_overflow, 0 },
	{ "read-size-too-large", "sizes above the maximum row", h_read_size_too_large, 0 },
	{ "getxattr-size-too-large", "sizes above the maximum row", h_getxattr_size_too_large, 0 },
	{ "toctou-header", "TOCTOU row", h_toctou_header, 0 },
	{ "reply-padding", "replies leaking daemon memory row", h_reply_padding, 0 },
	{ "worker-lies", "shared page section", h_worker_lies, 0 },
	{ "open-flags", "O_CREAT / O_TMPFILE row", h_open_flags, 0 },
	{ "open-special-file", "OPEN of a device node / FIFO row", h_open_special, 0 },
	{ "symlink-escape", "symlink followed out of the share row", h_symlink_escape, 0 },
	/* device stop during a lock wait, guest memory file shrunk, log flood */
	{ "lock-wait-device-stop", "device stop waiting for a lock row", h_lock_wait_stop, 0 },
	{ "lock-wait-device-stop-host", "device stop waiting for a lock row",
	    h_lock_wait_stop_host, 0 },
	{ "log-flood-bad-init", "guest-triggered log lines row", h_log_flood, 0 },
	{ "mem-shrink-sealable", "VMM shrinks the guest memory file row",
	    h_mem_shrink_sealable, H_MEM_SEALABLE },
	{ "mem-shrink-unsealable", "VMM shrinks the guest memory file row",
	    h_mem_shrink_unsealable, H_BREAKS | H_MAY_CLOSE },
};

int
hcheck(int ok, const char *fmt, ...)
{
	va_list ap;

	if (cli.peer)
		printf("peer: %s %s: ", cli.backend, ok ? "as privfsd must" : "DIFFERS");
	else
		printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok && !cli.peer)
		failures++;
	return ok;
}

static int
log_has_any(const char *const *pats, size_t n)
{
	const char *path = getenv("DRIVER_BACKEND_LOG");
	char line[1024];
	FILE *f;
	size_t i;
	int found = 0;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		for (i = 0; i < n && !found; i++)
			found = strstr(line, pats[i]) != NULL;
	fclose(f);
	return found;
}

int
log_has(const char *s)
{
	return log_has_any(&s, 1);
}

/*
 * The frontend's and the worker's lines reach the log through the broker's relay, so a
 * line about a request may land after its reply: on a loaded machine, well after.
 */
int
log_soon_any(const char *const *pats, size_t n)
{
	int64_t t0 = vu_now_ms();

	while (!log_has_any(pats, n)) {
		if (vu_now_ms() - t0 > LOG_SOON_MS)
			return 0;
		usleep(20 * 1000);
	}
	return 1;
}

int
log_soon(const char *s)
{
	return log_soon_any(&s, 1);
}

/* DRIVER_CHECK_CMD all|broker: the back-end's processes. */
static void
check_processes(int closed)
{
	const char *cmd = getenv("DRIVER_CHECK_CMD");
	char buf[1024];
	int st;

	if (cmd == NULL)
		return;
	if (closed)
		usleep(300 * 1000);	/* let a child that is meant to stop do so */
	if ((size_t)snprintf(buf, sizeof(buf), "%s %s", cmd, closed ? "broker" : "all") >=
	    sizeof(buf))
		return;
	fflush(stdout);
	st = system(buf);
	hcheck(WIFEXITED(st) && WEXITSTATUS(st) == 0, "back-end processes after the case "
	    "(%s)", closed ? "connection closed: broker must live, or the export ended "
	    "after a logged protocol error" :
	    "broker, frontend and worker must live");
}

static int
lookup_hello(struct hctx *h)
{
	struct fuse_entry_out e;
	int r;

	if (cli.host_dir != NULL) {
		char path[4096];
		int fd;

		snprintf(path, sizeof(path), "%s/hello.txt", cli.host_dir);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1) {
			(void)!write(fd, "hello, world\n", 13);
			close(fd);
		}
	}
	r = vu_fuse_lookup(&h->dev, 1, "hello.txt", &e);
	h->hello = r == 0 ? e.nodeid : 0;
	return r;
}

static int
setup(struct hctx *h, const struct hcase *c)
{
	struct fuse_init_out io;
	struct vu_opts o = cli.opts;
	int r;

	if (c->flags & H_INDIRECT)
		o.indirect = 1;
	if (c->flags & H_MEM_SEALABLE)
		o.mem_sealable = 1;
	if (c->flags & H_CONTIG_REGIONS) {
		o.nregions = 3;
		o.gpa_gap = 0;
	}
	if (c->flags & H_NOSTART)
		r = vu_dev_connect(&h->dev, &o) == -1 || vu_dev_realize(&h->dev) == -1;
	else
		r = vu_dev_open(&h->dev, &o) == -1;
	if (r) {
		printf("FAIL: setup: %s\n", h->dev.err);
		failures++;
		return -1;
	}
	if ((c->flags & (H_NOINIT | H_NOSTART)) == 0) {
		if ((r = vu_fuse_init(&h->dev, &io)) != 0 || (r = lookup_hello(h)) != 0) {
			printf("FAIL: setup: INIT/LOOKUP: %s\n", vu_fuse_why(&h->dev, r));
			failures++;
			return -1;
		}
	}
	return 0;
}

/* After the case: connection, a normal request, the processes. */
static void
aftermath(struct hctx *h, const struct hcase *c)
{
	static const char *const why_closed[] = {
		"protocol error", "refused", "broken", "fatal"
	};
	struct fuse_attr_out at;
	uint64_t feat;
	int closed, r;

	closed = vu_dev_peer_closed(&h->dev, 100);
	if (!closed && vu_dev_get_u64(&h->dev, VU_GET_FEATURES, &feat) == -1)
		closed = 1;
	if (closed) {
		vu_note("%s closed the vhost-user connection", cli.backend);
		if (!(c->flags & H_MAY_CLOSE))
			hcheck(0, "connection must stay open for this case");
		else if (!cli.peer)
			hcheck(getenv("DRIVER_BACKEND_LOG") == NULL ||
			    log_soon_any(why_closed, sizeof(why_closed) / sizeof(why_closed[0])),
			    "privfsd logged why it closed the connection");
	} else if (!(c->flags & (H_BREAKS | H_NOSTART))) {
		r = vu_fuse_getattr(&h->dev, 1, &at);
		hcheck(r == 0, "GETATTR root still works on the same queue: %s",
		    vu_fuse_why(&h->dev, r));
	} else {
		vu_note("connection still open; vhost-user still answers");
		if (!(c->flags & H_NOSTART)) {
			r = vu_fuse_forget(&h->dev, 0x4242, 1);
			vu_note("hiprio queue after that: FORGET %s", vu_fuse_why(&h->dev, r));
		}
	}
	check_processes(closed);
}

static int
run_case(const struct hcase *c)
{
	struct hctx h;
	int before = failures;

	printf("== %s [%s] (%s)\n", c->name, c->ref, cli.backend);
	memset(&h, 0, sizeof(h));
	if (setup(&h, c) == 0) {
		c->fn(&h);
		aftermath(&h, c);
	}
	vu_dev_close(&h.dev);
	printf("-- %s: %s\n", c->name, failures == before ? (cli.peer ? "recorded" : "pass") :
	    "FAIL");
	fflush(stdout);
	return failures == before;
}

int
main(int argc, char *argv[])
{
	size_t i;
	int a, found;

	vu_cli_parse(&cli, argc, argv, "a case name; \"list\" prints them (one case per connection)");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (cli.opts.timeout_ms == 5000)
		cli.opts.timeout_ms = 3000;
	for (a = 0; a < cli.argc; a++) {
		if (strcmp(cli.argv[a], "list") == 0) {
			for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
				printf("%s\n", cases[i].name);
			return 0;
		}
		found = 0;
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (strcmp(cli.argv[a], cases[i].name) != 0)
				continue;
			found = 1;
			run_case(&cases[i]);
		}
		if (!found) {
			fprintf(stderr, "unknown case %s\n", cli.argv[a]);
			return 2;
		}
	}
	return failures ? 1 : 0;
}
