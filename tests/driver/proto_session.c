/*
 * Session rules: an unknown opcode gets ENOSYS, anything before INIT gets EIO, a second
 * INIT resets the session (nodes from before are gone).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

static int
raw_op(struct vu_dev *dev, uint32_t opcode, uint64_t nodeid)
{
	struct {
		struct fuse_in_header h;
		uint8_t body[64];
	} in;

	memset(&in, 0, sizeof(in));
	vu_fuse_hdr(dev, &in.h, opcode, nodeid, sizeof(in));
	return vu_fuse_call(dev, &in, sizeof(in), 256, 0, NULL, 0, NULL);
}

void
case_enosys(void)
{
	struct fuse_attr_out at;
	struct vu_dev dev;
	int r;

	if (open_dev(&dev, &cli.opts) == -1 || do_init(&dev) == -1)
		goto out;
	r = raw_op(&dev, 19, 1);
	check(r == -ENOSYS, "opcode 19 (unassigned): %s (want ENOSYS)", vu_fuse_why(&dev, r));
	r = raw_op(&dev, 4242, 1);
	check(r == -ENOSYS, "opcode 4242: %s (want ENOSYS)", vu_fuse_why(&dev, r));
	r = vu_fuse_getattr(&dev, 1, &at);
	check(r == 0, "GETATTR after: %s", vu_fuse_why(&dev, r));
out:
	vu_dev_close(&dev);
}

void
case_before_init(void)
{
	struct fuse_attr_out at;
	struct fuse_entry_out e;
	struct vu_dev dev;
	int r;

	if (open_dev(&dev, &cli.opts) == -1)
		goto out;
	r = vu_fuse_getattr(&dev, 1, &at);
	if (cli.peer && r != -EIO && r < 0)
		vu_note("differs: %s answers GETATTR before INIT with %s", cli.backend,
		    vu_fuse_why(&dev, r));
	else
		check(r == -EIO, "GETATTR before INIT: %s (want EIO)", vu_fuse_why(&dev, r));
	r = vu_fuse_lookup(&dev, 1, "hello.txt", &e);
	if (cli.peer && r != -EIO && r < 0)
		vu_note("differs: %s answers LOOKUP before INIT with %s", cli.backend,
		    vu_fuse_why(&dev, r));
	else
		check(r == -EIO, "LOOKUP before INIT: %s (want EIO)", vu_fuse_why(&dev, r));
	if (do_init(&dev) == -1)
		goto out;
	r = vu_fuse_getattr(&dev, 1, &at);
	check(r == 0, "GETATTR after INIT: %s", vu_fuse_why(&dev, r));
out:
	vu_dev_close(&dev);
}

void
case_second_init(void)
{
	struct fuse_attr_out at;
	struct fuse_entry_out e;
	struct vu_dev dev;
	struct fuse_init_out io;
	int r;

	if (cli.host_dir == NULL || populate(cli.host_dir) == -1) {
		check(0, "populate --host-dir");
		return;
	}
	if (open_dev(&dev, &cli.opts) == -1 || do_init(&dev) == -1)
		goto out;
	r = vu_fuse_lookup(&dev, 1, "hello.txt", &e);
	check(r == 0, "LOOKUP hello.txt in the first session: %s, nodeid %llu",
	    vu_fuse_why(&dev, r), (unsigned long long)e.nodeid);
	r = vu_fuse_init(&dev, &io);
	if (cli.peer && r != 0) {
		vu_note("differs: %s answers a second INIT with %s", cli.backend,
		    vu_fuse_why(&dev, r));
		goto out;
	}
	check(r == 0 && io.major == 7, "second INIT accepted: %s", vu_fuse_why(&dev, r));
	r = vu_fuse_getattr(&dev, e.nodeid, &at);
	if (cli.peer && (r == 0 || (r != -EBADF && r != -ESTALE)))
		vu_note("differs: %s after a second INIT, GETATTR of an old node id: %s",
		    cli.backend, vu_fuse_why(&dev, r));
	else
		check(r == -EBADF || r == -ESTALE, "old node id after the reset: %s (want EBADF "
		    "or ESTALE)", vu_fuse_why(&dev, r));
	r = vu_fuse_lookup(&dev, 1, "hello.txt", &e);
	check(r == 0, "LOOKUP in the new session: %s", vu_fuse_why(&dev, r));
out:
	vu_dev_close(&dev);
}
