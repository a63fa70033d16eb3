/*
 * Device state transfer as QEMU 8.2+ drives a live migration of a vhost-user-fs device
 * (DEVICE_STATE protocol feature): on the source, the rings stopped, SET_DEVICE_STATE_FD
 * (save, phase stopped) with a pipe whose read end we drain, then CHECK_DEVICE_STATE;
 * on the destination (a second back-end on the same directory) SET_DEVICE_STATE_FD
 * (load) with the stream written into a pipe, CHECK_DEVICE_STATE, and then the guest goes
 * on without a new INIT: the ids and file handle it had keep working.
 *
 * Two cases, one per back-end: device-state-save writes the stream and the ids it needs
 * into $PROTO_STATE_FILE; device-state-load reads them back. A third, device-state-bad,
 * loads a damaged stream and wants CHECK_DEVICE_STATE to report the failure; a fourth,
 * device-state-worker-dies, kills the worker in the middle of a save.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto.h"

#define VU_SET_DEVICE_STATE_FD		42
#define VU_CHECK_DEVICE_STATE		43
#define VU_PROTO_DEVICE_STATE		19
#define STATE_NO_FD			0x100ULL

struct saved_ids {
	uint64_t	dir, file, fh;
	uint64_t	len;		/* stream bytes that follow */
};

static const char content[] = "migrated bytes\n";

/* QEMU's negotiation again, with DEVICE_STATE when the back-end offers it. */
static int
want_device_state(struct vu_dev *dev)
{
	uint64_t bit = 1ULL << VU_PROTO_DEVICE_STATE;

	check((dev->offered_protocol_features & bit) != 0, "back-end offers DEVICE_STATE");
	if ((dev->offered_protocol_features & bit) == 0)
		return -1;
	dev->protocol_features |= bit;
	if (vu_send(dev->sock, VU_SET_PROTOCOL_FEATURES, 0, &dev->protocol_features, 8,
	    NULL, 0) == -1)
		return -1;
	return 0;
}

static int
state_fd(struct vu_dev *dev, uint32_t direction, int fd)
{
	uint32_t	body[2] = { direction, 0 };
	uint64_t	reply = ~0ULL;
	struct vu_hdr	h;
	int		r;

	if (vu_send(dev->sock, VU_SET_DEVICE_STATE_FD, 0, body, sizeof(body), &fd, 1) == -1)
		return -1;
	r = vu_recv(dev->sock, &h, &reply, sizeof(reply), 5000);
	check(r == 1 && h.request == VU_SET_DEVICE_STATE_FD && h.size == 8 &&
	    reply == STATE_NO_FD, "SET_DEVICE_STATE_FD (%s): reply %#llx (want 0x100: ok, "
	    "no fd back)", direction == 0 ? "save" : "load", (unsigned long long)reply);
	return r == 1 && reply == STATE_NO_FD ? 0 : -1;
}

static int
check_state(struct vu_dev *dev, uint64_t *result)
{
	struct vu_hdr	h;
	int		r;

	*result = ~0ULL;
	if (vu_send(dev->sock, VU_CHECK_DEVICE_STATE, 0, NULL, 0, NULL, 0) == -1)
		return -1;
	r = vu_recv(dev->sock, &h, result, sizeof(*result), 10000);
	return r == 1 && h.request == VU_CHECK_DEVICE_STATE && h.size == 8 ? 0 : -1;
}

static FILE *
state_file(const char *mode)
{
	const char	*path = getenv("PROTO_STATE_FILE");
	FILE		*f;

	if (path == NULL || (f = fopen(path, mode)) == NULL) {
		check(0, "PROTO_STATE_FILE %s: %s", path ? path : "(unset)", strerror(errno));
		return NULL;
	}
	return f;
}

/*
 * The source's start, the same in every case that saves: the files in --host-dir, a
 * back-end with DEVICE_STATE negotiated, then INIT. 0, or -1 after a failure (the device
 * closed again, or never opened).
 */
static int
open_source(struct vu_dev *dev)
{
	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return -1;
	}
	if (open_dev(dev, &cli.opts) == -1 || want_device_state(dev) == -1 ||
	    do_init(dev) == -1) {
		vu_dev_close(dev);
		return -1;
	}
	return 0;
}

void
case_state_save(void)
{
	struct fuse_entry_out	 e;
	struct fuse_open_out	 o;
	struct saved_ids	 ids;
	struct vu_dev		 dev;
	uint8_t			*buf = NULL;
	size_t			 cap = 0;
	uint64_t		 result;
	uint32_t		 written;
	ssize_t			 n;
	FILE			*f;
	int			 p[2], r;

	memset(&ids, 0, sizeof(ids));
	if (open_source(&dev) == -1)
		return;
	r = vu_fuse_lookup(&dev, 1, "dir", &e);
	check(r == 0, "LOOKUP dir: %s", vu_fuse_why(&dev, r));
	ids.dir = e.nodeid;
	r = vu_fuse_lookup(&dev, ids.dir, "a", &e);
	check(r == 0, "LOOKUP dir/a: %s", vu_fuse_why(&dev, r));
	ids.file = e.nodeid;
	r = vu_fuse_open(&dev, ids.file, O_RDWR, 0, &o);
	check(r == 0, "OPEN O_RDWR: %s", vu_fuse_why(&dev, r));
	ids.fh = o.fh;
	r = vu_fuse_write(&dev, ids.file, ids.fh, 0, content, sizeof(content) - 1, &written);
	check(r == 0 && written == sizeof(content) - 1, "WRITE before the move");
	if (failures)
		goto out;
	/* QEMU stops the device, then asks for its state. */
	check(vu_dev_stop(&dev, NULL) == 0, "rings stopped");
	if (pipe2(p, O_CLOEXEC) == -1 || state_fd(&dev, 0, p[1]) == -1)
		goto out;
	close(p[1]);
	for (;;) {
		if (ids.len == cap && (buf = realloc(buf, cap = cap ? cap * 2 : 65536)) == NULL)
			abort();
		if ((n = read(p[0], buf + ids.len, cap - ids.len)) <= 0)
			break;
		ids.len += (uint64_t)n;
	}
	close(p[0]);
	check(ids.len > 0, "read %llu bytes of device state", (unsigned long long)ids.len);
	check(check_state(&dev, &result) == 0 && result == 0,
	    "CHECK_DEVICE_STATE after the save: %#llx (want 0)", (unsigned long long)result);
	if ((f = state_file("w")) != NULL) {
		check(fwrite(&ids, sizeof(ids), 1, f) == 1 &&
		    fwrite(buf, 1, ids.len, f) == ids.len && fclose(f) == 0,
		    "state kept for the destination");
	}
out:
	free(buf);
	vu_dev_close(&dev);
}

static uint8_t *
read_saved(struct saved_ids *ids)
{
	uint8_t	*buf;
	FILE	*f;

	if ((f = state_file("r")) == NULL)
		return NULL;
	if (fread(ids, sizeof(*ids), 1, f) != 1 || ids->len > (64U << 20) ||
	    (buf = malloc(ids->len + 1)) == NULL ||
	    fread(buf, 1, ids->len, f) != ids->len) {
		fclose(f);
		check(0, "the source's state file is incomplete");
		return NULL;
	}
	fclose(f);
	return buf;
}

/* The destination takes the stream in; 0 with CHECK_DEVICE_STATE's result. */
static int
load(struct vu_dev *dev, const uint8_t *buf, size_t len, uint64_t *result)
{
	ssize_t	n;
	int	p[2];

	if (pipe2(p, O_CLOEXEC) == -1 || state_fd(dev, 1, p[0]) == -1)
		return -1;
	close(p[0]);
	while (len > 0 && (n = write(p[1], buf, len)) > 0) {
		buf += n;
		len -= (size_t)n;
	}
	close(p[1]);
	return check_state(dev, result);
}

void
case_state_load(void)
{
	struct fuse_attr_out	 at;
	struct fuse_entry_out	 e;
	struct saved_ids	 ids;
	struct vu_dev		 dev;
	uint64_t		 result;
	uint32_t		 written;
	uint8_t			*buf;
	char			 got[64];
	size_t			 n = 0;
	int			 r;

	if ((buf = read_saved(&ids)) == NULL)
		return;
	if (open_dev(&dev, &cli.opts) == -1 || want_device_state(&dev) == -1)
		goto out;
	r = load(&dev, buf, ids.len, &result);
	check(r == 0 && result == 0, "CHECK_DEVICE_STATE after the load: %#llx (want 0)",
	    (unsigned long long)result);
	/* No INIT: the session came with the state. */
	r = vu_fuse_getattr(&dev, ids.file, &at);
	check(r == 0 && at.attr.size == sizeof(content) - 1,
	    "GETATTR of the migrated node id: %s", vu_fuse_why(&dev, r));
	memset(got, 0, sizeof(got));
	r = vu_fuse_read(&dev, ids.file, ids.fh, 0, sizeof(got), got, &n);
	check(r == 0 && n == sizeof(content) - 1 && memcmp(got, content, n) == 0,
	    "READ through the migrated fh: %s", vu_fuse_why(&dev, r));
	r = vu_fuse_write(&dev, ids.file, ids.fh, n, "more\n", 5, &written);
	check(r == 0 && written == 5, "WRITE through the migrated fh: %s",
	    vu_fuse_why(&dev, r));
	r = vu_fuse_lookup(&dev, ids.dir, "a", &e);
	check(r == 0 && e.nodeid == ids.file, "LOOKUP finds the migrated id: %s",
	    vu_fuse_why(&dev, r));
	r = vu_fuse_release(&dev, ids.file, ids.fh, 0);
	check(r == 0, "RELEASE of the migrated fh: %s", vu_fuse_why(&dev, r));
out:
	free(buf);
	vu_dev_close(&dev);
}

void
case_state_bad(void)
{
	struct fuse_attr_out	 at;
	struct saved_ids	 ids;
	struct vu_dev		 dev;
	uint64_t		 result;
	uint8_t			*buf;
	int			 r;

	if ((buf = read_saved(&ids)) == NULL)
		return;
	if (open_dev(&dev, &cli.opts) == -1 || want_device_state(&dev) == -1)
		goto out;
	buf[0] ^= 0xff;		/* the magic */
	r = load(&dev, buf, ids.len, &result);
	check(r == 0 && result != 0, "CHECK_DEVICE_STATE after a damaged stream: %#llx "
	    "(want non-zero)", (unsigned long long)result);
	r = vu_fuse_getattr(&dev, ids.file, &at);
	check(r != 0, "the damaged stream's ids resolve nothing: %s", vu_fuse_why(&dev, r));
	buf[0] ^= 0xff;
	r = load(&dev, buf, ids.len - 1, &result);
	check(r == 0 && result != 0, "CHECK_DEVICE_STATE after a truncated stream: %#llx",
	    (unsigned long long)result);
	r = load(&dev, buf, ids.len, &result);
	check(r == 0 && result == 0, "the whole stream still loads after: %#llx",
	    (unsigned long long)result);
out:
	free(buf);
	vu_dev_close(&dev);
}

/* The pid of the privfsd worker serving dir (its title names it), or -1. */
static pid_t
worker_pid(const char *dir)
{
	char		 path[300], buf[PATH_MAX + 64], want[PATH_MAX + 32];
	struct dirent	*de;
	DIR		*d;
	pid_t		 pid = -1;
	ssize_t		 n;
	int		 fd;

	snprintf(want, sizeof(want), "privfsd: worker %s", dir);
	if ((d = opendir("/proc")) == NULL)
		return -1;
	while (pid == -1 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (strncmp(buf, want, strlen(want)) == 0)
			pid = (pid_t)strtol(de->d_name, NULL, 10);
	}
	closedir(d);
	return pid;
}

/*
 * The worker dies in the middle of a save (blocked on a full pipe nobody reads): the
 * CHECK_DEVICE_STATE that waits for it gets a failure at once, not a hang. With
 * --worker-restart (the default) the frontend stays and answers 1; without, it exits and
 * the connection closes.
 */
void
case_state_worker_dies(void)
{
	struct fuse_entry_out	 e;
	struct vu_dev		 dev;
	struct vu_hdr		 h;
	uint64_t		 result = ~0ULL;
	int64_t			 t0;
	pid_t			 pid;
	char			 name[32];
	int			 p[2], i, r, n = 0;

	if (open_source(&dev) == -1)
		return;
	/* Enough nodes that the stream overflows a one-page pipe. */
	for (i = 0; i < 60; i++) {
		snprintf(name, sizeof(name), "file-with-a-longish-name-%02d", i);
		if (vu_fuse_lookup(&dev, 1, name, &e) == 0)
			n++;
	}
	check(n == 60, "%d names looked up", n);
	check(vu_dev_stop(&dev, NULL) == 0, "rings stopped");
	if (pipe2(p, O_CLOEXEC) == -1 || fcntl(p[1], F_SETPIPE_SZ, 4096) == -1 ||
	    state_fd(&dev, 0, p[1]) == -1)
		goto out;
	close(p[1]);
	usleep(300 * 1000);	/* the worker fills the pipe and waits for us */
	if (vu_send(dev.sock, VU_CHECK_DEVICE_STATE, 0, NULL, 0, NULL, 0) == -1)
		goto out;
	usleep(200 * 1000);
	pid = worker_pid(cli.host_dir);
	check(pid > 0 && kill(pid, SIGKILL) == 0, "worker %d killed in the middle of the save",
	    (int)pid);
	t0 = vu_now_ms();
	r = vu_recv(dev.sock, &h, &result, sizeof(result), 5000);
	check((r == 1 && h.request == VU_CHECK_DEVICE_STATE && result != 0) || r == -1,
	    "CHECK_DEVICE_STATE: %s in %lld ms (want a failure or the connection closed, "
	    "promptly)", r == 1 ? (result != 0 ? "failure" : "success") :
	    r == 0 ? "no answer" : "connection closed", (long long)(vu_now_ms() - t0));
	check(vu_now_ms() - t0 < 4000, "answered before the time-out");
	close(p[0]);
out:
	vu_dev_close(&dev);
}
