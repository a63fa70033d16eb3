/*
 * vu-seclabel SOCKET NAME CONTEXT: plays a guest whose LSM (SELinux, Smack) labels new
 * files, which the end-to-end guest (no LSM with dentry_init_security) cannot: INIT with
 * SECURITY_CTX offered, then MKDIR NAME under the root with one security context
 * "security.selinux" = CONTEXT laid out as Linux 6.1 sends it (fuse_secctx_header,
 * fuse_secctx, name, value, padded to 8 bytes). Prints "init security_ctx=0|1" and
 * "mkdir OK" or "mkdir ERR <errno>"; the caller checks the xattr on the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/fuse.h>

#include "../driver/vu_driver.h"
#include "../driver/vu_fuse.h"

#define LABEL_NAME	"security.selinux"

static size_t
build_mkdir(struct vu_dev *dev, unsigned char *buf, const char *name, const char *ctx)
{
	struct fuse_in_header		h;
	struct fuse_mkdir_in		mi = { .mode = 0755, .umask = 022 };
	struct fuse_secctx_header	sh;
	struct fuse_secctx		sc = { .size = (uint32_t)strlen(ctx) + 1 };
	size_t				rec, off = sizeof(h);

	rec = sizeof(sc) + sizeof(LABEL_NAME) + sc.size;
	sh.size = (uint32_t)(sizeof(sh) + FUSE_REC_ALIGN(rec));
	sh.nr_secctx = 1;
	memcpy(buf + off, &mi, sizeof(mi));
	off += sizeof(mi);
	memcpy(buf + off, name, strlen(name) + 1);
	off += strlen(name) + 1;
	memcpy(buf + off, &sh, sizeof(sh));
	off += sizeof(sh);
	memcpy(buf + off, &sc, sizeof(sc));
	memcpy(buf + off + sizeof(sc), LABEL_NAME, sizeof(LABEL_NAME));
	memcpy(buf + off + sizeof(sc) + sizeof(LABEL_NAME), ctx, sc.size);
	off += FUSE_REC_ALIGN(rec);
	vu_fuse_hdr(dev, &h, FUSE_MKDIR, FUSE_ROOT_ID, off);
	memcpy(buf, &h, sizeof(h));
	return off;
}

int
main(int argc, char **argv)
{
	struct vu_opts		o;
	struct vu_dev		dev;
	struct fuse_init_out	io;
	struct fuse_entry_out	e;
	unsigned char		buf[1024];
	size_t			len, got;
	int			r;

	if (argc != 4 || strlen(argv[2]) > 200 || strlen(argv[3]) > 200) {
		fprintf(stderr, "usage: vu-seclabel SOCKET NAME CONTEXT\n");
		return 2;
	}
	vu_opts_default(&o);
	o.socket = argv[1];
	if (vu_dev_open(&dev, &o) != 0) {
		fprintf(stderr, "vu-seclabel: cannot start the device\n");
		return 2;
	}
	if ((r = vu_fuse_init(&dev, &io)) != 0) {
		printf("init ERR %s\n", vu_fuse_why(&dev, r));
		return 1;
	}
	printf("init security_ctx=%d\n", (io.flags2 & (FUSE_SECURITY_CTX >> 32)) ? 1 : 0);
	memset(buf, 0, sizeof(buf));
	len = build_mkdir(&dev, buf, argv[2], argv[3]);
	r = vu_fuse_call(&dev, buf, len, sizeof(e), 0, &e, sizeof(e), &got);
	if (r != 0)
		printf("mkdir ERR %s\n", vu_fuse_why(&dev, r));
	else
		printf("mkdir OK\n");
	vu_fuse_destroy(&dev);
	vu_dev_close(&dev);
	return r == 0 ? 0 : 1;
}
