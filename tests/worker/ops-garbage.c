/*
 * Hostile payloads for every modifying operation: right-sized fixed parts full of random
 * values, random or half-valid tails (names with '/' and dots, lengths that lie). Each
 * request gets exactly one answer, nothing escapes the shared directory, and the worker
 * (sandbox and seccomp kill on) survives them all.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define ROUNDS	3000

struct optype {
	uint32_t	type;
	size_t		size;		/* the fixed part */
	int		tail;		/* SIZE_MIN: more may follow */
};

static const struct optype ops[] = {
	{ IMSG_FRONTEND_SETATTR, sizeof(struct msg_setattr), 0 },
	{ IMSG_FRONTEND_SYMLINK, sizeof(struct msg_newnode), 1 },
	{ IMSG_FRONTEND_MKNOD, sizeof(struct msg_newnode), 1 },
	{ IMSG_FRONTEND_MKDIR, sizeof(struct msg_newnode), 1 },
	{ IMSG_FRONTEND_UNLINK, sizeof(uint32_t), 1 },
	{ IMSG_FRONTEND_RMDIR, sizeof(uint32_t), 1 },
	{ IMSG_FRONTEND_RENAME, sizeof(struct msg_rename), 1 },
	{ IMSG_FRONTEND_LINK, sizeof(struct msg_link), 1 },
	{ IMSG_FRONTEND_WRITE, sizeof(struct msg_io), 1 },
	{ IMSG_FRONTEND_FSYNC, sizeof(struct msg_fsync), 0 },
	{ IMSG_FRONTEND_SETXATTR, sizeof(struct msg_xattr), 1 },
	{ IMSG_FRONTEND_GETXATTR, sizeof(struct msg_xattr), 1 },
	{ IMSG_FRONTEND_LISTXATTR, sizeof(struct msg_xattr), 0 },
	{ IMSG_FRONTEND_REMOVEXATTR, sizeof(uint32_t), 1 },
	{ IMSG_FRONTEND_FLUSH, sizeof(struct msg_release), 0 },
	{ IMSG_FRONTEND_FSYNCDIR, sizeof(struct msg_fsync), 0 },
	{ IMSG_FRONTEND_GETLK, sizeof(struct msg_lock), 0 },
	{ IMSG_FRONTEND_SETLK, sizeof(struct msg_lock), 0 },
	{ IMSG_FRONTEND_ACCESS, sizeof(struct msg_access), 0 },
	{ IMSG_FRONTEND_CREATE, sizeof(struct msg_newnode), 1 },
	{ IMSG_FRONTEND_FALLOCATE, sizeof(struct msg_fallocate), 0 },
	{ IMSG_FRONTEND_LSEEK, sizeof(struct msg_lseek), 0 },
	{ IMSG_FRONTEND_COPY_FILE_RANGE, sizeof(struct msg_copy_range), 0 },
	{ IMSG_FRONTEND_SYNCFS, 0, 0 },
	{ IMSG_FRONTEND_TMPFILE, sizeof(struct msg_newnode), 1 },
	{ IMSG_FRONTEND_SETUPMAPPING, sizeof(struct msg_setupmapping), 0 },
	{ IMSG_FRONTEND_REMOVEMAPPING, sizeof(uint32_t), 1 },
};
#define NOPTYPES	(sizeof(ops) / sizeof(ops[0]))

static uint64_t	seed = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

/* A short name from an alphabet that makes '/' and dots likely. */
static void
put_name(struct wh_body *b)
{
	static const char	alpha[] = "ab./";
	char			name[8];
	uint32_t		i, len = (uint32_t)(rnd() % 6);

	for (i = 0; i < len; i++)
		name[i] = alpha[rnd() % 4];
	name[len] = '\0';
	wh_body_str(b, name);
}

static void
put_tail(struct wh_body *b)
{
	uint8_t		junk[64];
	uint32_t	i, n;

	for (n = (uint32_t)(rnd() % 4), i = 0; i < n; i++)
		put_name(b);
	switch (rnd() % 4) {
	case 0:		/* a length prefix that promises more than there is */
		n = (uint32_t)rnd();
		wh_body_put(b, &n, sizeof(n));
		break;
	case 1:
		for (i = 0, n = (uint32_t)(rnd() % sizeof(junk)); i < n; i++)
			junk[i] = (uint8_t)rnd();
		wh_body_put(b, junk, n);
		break;
	default:
		break;
	}
}

/* Small values often, so ids and handles sometimes name something real. */
static void
fill_fixed(uint8_t *p, size_t len)
{
	size_t		i;
	uint64_t	v;

	for (i = 0; i + 8 <= len; i += 8) {
		v = rnd();
		if (v % 3 == 0)
			v %= 4;
		memcpy(p + i, &v, 8);
	}
	for (; i < len; i++)
		p[i] = (uint8_t)rnd();
}

int
main(void)
{
	struct wh		 w;
	struct wh_opts		 o;
	struct wh_reply		 r;
	struct wh_body		 b;
	const struct optype	*op;
	uint8_t			 fixed[256];
	uint64_t		 id, nodeid;
	int			 i, answered = 0, succeeded = 0;

	wh_opts_default(&o);
	o.flags = CONFIG_XATTR | CONFIG_POSIX_ACL;
	o.threads = 2;
	wh_start_session(&w, &o, SESSION_KILLPRIV_V2);
	wh_host_mkdir(&w, "a");
	wh_host_file(&w, "b", "bbbb");
	for (i = 0; i < ROUNDS && wh_alive(&w); i++) {
		op = &ops[rnd() % NOPTYPES];
		fill_fixed(fixed, op->size);
		if (op->type == IMSG_FRONTEND_SETLK)	/* no SETLKW that may wait for ever */
			((struct msg_lock *)(void *)fixed)->sleep = 0;
		wh_body_init(&b);
		wh_body_put(&b, fixed, op->size);
		if (op->tail)
			put_tail(&b);
		nodeid = rnd() % 2 ? 1 : rnd() % 8;
		id = wh_send_as(&w, op->type, nodeid, (uint32_t)(rnd() % 2 ? 0 : 1000),
		    (uint32_t)(rnd() % 2 ? 0 : 1000), b.buf, b.len);
		if (wh_recv(&w, id, &r, WH_TIMEOUT_MS) == 0) {
			answered++;
			succeeded += r.error == 0;
		}
	}
	printf("ops-garbage: %d requests, %d answered, %d succeeded\n", ROUNDS, answered,
	    succeeded);
	CHECK(answered == ROUNDS);
	CHECK(wh_alive(&w));
	/* nothing but the shared directory changed: the harness's top holds only it and the log */
	CHECK(access(wh_path(&w, "../log"), F_OK) == 0);
	if (check_failures)
		wh_dump_log(&w);
	wh_stop(&w);
	return check_done("ops-garbage");
}
