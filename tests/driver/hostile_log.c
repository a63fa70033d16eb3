/*
 * Hostile-VMM cases for the dirty page log (SET_LOG_BASE): a bitmap the back-end cannot
 * safely map must be refused, never mapped to fault later (a write past a file's end is a
 * SIGBUS), and a bitmap smaller than guest memory only loses the marks past its end.
 */
#include "config.h"

#include <sys/eventfd.h>
#include <sys/mman.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hostile.h"

/* SET_LOG_BASE {size, offset} with fd: "accepted", "refused", "closed" or "nothing". */
static const char *
log_base(struct hctx *h, int fd, uint64_t size, uint64_t offset)
{
	uint64_t	log[2] = { size, offset }, ans[2];
	struct vu_hdr	hdr;
	int		r;

	if (vu_send(h->dev.sock, VU_SET_LOG_BASE, 0, log, sizeof(log), &fd, 1) == -1)
		return "closed";
	r = vu_recv(h->dev.sock, &hdr, ans, sizeof(ans), 3000);
	if (r == 0)
		return "nothing";
	if (r < 0)
		return "closed";
	return hdr.request == VU_SET_LOG_BASE && hdr.size != 0 ? "accepted" : "refused";
}

static int
memfd_of(size_t size, int sealable)
{
	int fd = memfd_create("log", MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0));

	if (fd != -1 && ftruncate(fd, (off_t)size) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
h_log_base_bad(struct hctx *h)
{
	static const struct {
		const char	*what;
		size_t		 file;
		int		 sealable;
		uint64_t	 size, offset;
	} bad[] = {
		{ "size 0", 4096, 1, 0, 0 },
		{ "1 TiB of bitmap", 4096, 1, 1ULL << 40, 0 },
		{ "offset + size wrapping around 2^64", 4096, 1, 4096, UINT64_MAX - 100 },
		{ "8 KiB in a file of 4 KiB", 4096, 1, 8192, 0 },
		{ "4 KiB at offset 4 KiB in a file of 4 KiB", 4096, 1, 4096, 4096 },
		{ "a memfd that can shrink (not sealable)", 65536, 0, 4096, 0 },
	};
	struct fuse_attr_out ao;
	const char *rep;
	size_t i;
	int fd, ok = 1, rc;

	if (!((h->dev.protocol_features >> VU_PROTO_LOG_SHMFD) & 1))
		return hcheck(cli.peer, "LOG_SHMFD negotiated");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if ((fd = memfd_of(bad[i].file, bad[i].sealable)) == -1)
			return hcheck(0, "memfd");
		rep = log_base(h, fd, bad[i].size, bad[i].offset);
		close(fd);
		ok &= hcheck(strcmp(rep, "refused") == 0 || strcmp(rep, "closed") == 0,
		    "SET_LOG_BASE with %s: %s", bad[i].what, rep);
		if (strcmp(rep, "closed") == 0)
			return ok;
	}
	if ((fd = eventfd(0, EFD_CLOEXEC)) == -1)
		return hcheck(0, "eventfd");
	rep = log_base(h, fd, 8, 0);
	close(fd);
	ok &= hcheck(strcmp(rep, "refused") == 0 || strcmp(rep, "closed") == 0,
	    "SET_LOG_BASE with an eventfd: %s", rep);
	rc = vu_fuse_getattr(&h->dev, FUSE_ROOT_ID, &ao);
	return ok & hcheck(rc == 0, "GETATTR after the refusals: %s", vu_fuse_why(&h->dev, rc));
}

/* One byte of bitmap: 32 KiB of guest memory; the marks past it are dropped, once said. */
int
h_log_base_short(struct hctx *h)
{
	uint64_t features = h->dev.features | (1ULL << VU_F_LOG_ALL);
	struct fuse_attr_out ao;
	const char *rep;
	int fd, rc, i;

	if (!((h->dev.protocol_features >> VU_PROTO_LOG_SHMFD) & 1))
		return hcheck(cli.peer, "LOG_SHMFD negotiated");
	if ((fd = memfd_of(4096, 1)) == -1 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == -1)
		return hcheck(0, "memfd");
	rep = log_base(h, fd, 1, 0);
	close(fd);
	if (!hcheck(strcmp(rep, "accepted") == 0, "SET_LOG_BASE of 1 byte: %s", rep))
		return 0;
	if (vu_dev_request(&h->dev, VU_SET_FEATURES, &features, sizeof(features), NULL, 0) ==
	    -1)
		return hcheck(0, "SET_FEATURES with LOG_ALL: %s", h->dev.err);
	for (i = 0, rc = 0; i < 20 && rc == 0; i++)
		rc = vu_fuse_getattr(&h->dev, FUSE_ROOT_ID, &ao);
	return hcheck(rc == 0 && (cli.peer || log_soon("past the bitmap")),
	    "20 GETATTRs with guest memory past the bitmap: %s%s", vu_fuse_why(&h->dev, rc),
	    cli.peer ? "" : ", one log line");
}
