/*
 * Worker: per-request credentials when threads keep the last caller's fsuid/fsgid between
 * requests. Callers uid 1000 and 1001 (and root now and then) take turns, pipelined, on
 * files and directories only one of them may use; every answer must be the one for the
 * caller that sent it. With no thread pool (the loop thread serves everyone in turn) and
 * with 4 threads (any thread may serve any caller next).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#define ROUNDS	300
#define BATCH	24		/* requests in flight at once */

struct treq {
	uint64_t	id;
	int		want;		/* expected error */
	uint32_t	type;		/* reply type on success */
	const char	*what;
};

static struct msg_entry	ent_u[2], ent_g, ent_d[2];

static void
own(const struct wh *w, const char *name, uid_t uid, gid_t gid, mode_t mode)
{
	if (chown(wh_path(w, name), uid, gid) == -1 || chmod(wh_path(w, name), mode) == -1) {
		perror(name);
		CHECK(0);
	}
}

static void
setup(struct wh *w)
{
	wh_host_file(w, "u1000", "a");
	wh_host_file(w, "u1001", "b");
	wh_host_file(w, "g1001", "c");
	wh_host_mkdir(w, "d1000");
	wh_host_mkdir(w, "d1001");
	wh_host_file(w, "d1000/x", "x");
	wh_host_file(w, "d1001/x", "x");
	own(w, "u1000", 1000, 1000, 0600);
	own(w, "u1001", 1001, 1001, 0600);
	own(w, "g1001", 1001, 1001, 0640);	/* group 1001 may read */
	own(w, "d1000", 1000, 1000, 0700);
	own(w, "d1001", 1001, 1001, 0700);
	CHECK(wh_lookup(w, WH_ROOT, "u1000", &ent_u[0]) == 0);
	CHECK(wh_lookup(w, WH_ROOT, "u1001", &ent_u[1]) == 0);
	CHECK(wh_lookup(w, WH_ROOT, "g1001", &ent_g) == 0);
	CHECK(wh_lookup(w, WH_ROOT, "d1000", &ent_d[0]) == 0);
	CHECK(wh_lookup(w, WH_ROOT, "d1001", &ent_d[1]) == 0);
}

static void
send_access(struct wh *w, struct treq *t, uint64_t node, uint32_t uid, uint32_t gid,
    int want, const char *what)
{
	struct msg_access a;

	memset(&a, 0, sizeof(a));
	a.mask = R_OK;
	t->id = wh_send_as(w, IMSG_FRONTEND_ACCESS, node, uid, gid, &a, sizeof(a));
	t->want = want;
	t->type = IMSG_WORKER_REPLY_STATUS;
	t->what = what;
}

static void
send_open(struct wh *w, struct treq *t, uint64_t node, uint32_t uid, int want)
{
	struct msg_open o;

	memset(&o, 0, sizeof(o));
	o.flags = O_RDONLY;
	t->id = wh_send_as(w, IMSG_FRONTEND_OPEN, node, uid, uid, &o, sizeof(o));
	t->want = want;
	t->type = IMSG_WORKER_REPLY_OPEN;
	t->what = "open";
}

static void
send_lookup(struct wh *w, struct treq *t, uint64_t dir, uint32_t uid, int want)
{
	uint8_t	body[64];
	size_t	len = wh_name_body(body, sizeof(body), "x");

	t->id = wh_send_as(w, IMSG_FRONTEND_LOOKUP, dir, uid, uid, body, len);
	t->want = want;
	t->type = IMSG_WORKER_REPLY_ENTRY;
	t->what = "lookup";
}

/* One round's requests for caller uid (1000 or 1001, or 0): 7 of them. */
static int
send_round(struct wh *w, struct treq *t, uint32_t uid)
{
	int	me = uid == 1001, root = uid == 0, n = 0;

	send_access(w, &t[n++], ent_u[0].nodeid, uid, uid, root || !me ? 0 : EACCES,
	    "access u1000");
	send_access(w, &t[n++], ent_u[1].nodeid, uid, uid, root || me ? 0 : EACCES,
	    "access u1001");
	/* gid on its own: uid 1000 with group 1001 may read g1001, with group 1000 not */
	send_access(w, &t[n++], ent_g.nodeid, uid, 1001, 0, "access g1001 gid 1001");
	send_access(w, &t[n++], ent_g.nodeid, uid, 1000, root || me ? 0 : EACCES,
	    "access g1001 gid 1000");
	send_open(w, &t[n++], ent_u[me].nodeid, uid, 0);
	send_open(w, &t[n++], ent_u[!me].nodeid, uid, root ? 0 : EACCES);
	send_lookup(w, &t[n++], ent_d[!me].nodeid, uid, root ? 0 : EACCES);
	return n;
}

static int
check_replies(struct wh *w, struct treq *t, int n, uint32_t *uids)
{
	static struct wh_reply	rep;
	struct msg_opened	opened;
	struct msg_entry	e;
	int			i, bad = 0;

	for (i = 0; i < n; i++) {
		if (wh_recv(w, t[i].id, &rep, WH_TIMEOUT_MS) != 0) {
			fprintf(stderr, "no reply to %s\n", t[i].what);
			return -1;
		}
		if (rep.error != t[i].want) {
			fprintf(stderr, "uid %u %s: error %d, want %d\n", uids[i], t[i].what,
			    rep.error, t[i].want);
			bad++;
			continue;
		}
		if (rep.error != 0)
			continue;
		if (rep.type != t[i].type)
			bad++;
		else if (t[i].type == IMSG_WORKER_REPLY_OPEN && rep.len >= sizeof(opened)) {
			memcpy(&opened, rep.data, sizeof(opened));
			CHECK(wh_release(w, opened.fh) == 0);
		} else if (t[i].type == IMSG_WORKER_REPLY_ENTRY && rep.len >= sizeof(e)) {
			memcpy(&e, rep.data, sizeof(e));
			wh_forget(w, e.nodeid, 1);
		}
	}
	return bad;
}

static void
run(unsigned int threads)
{
	struct treq	t[BATCH + 8];
	uint32_t	uids[BATCH + 8], uid;
	struct wh_opts	o;
	struct wh	w;
	int		r, n = 0, k, bad = 0, total = 0;

	wh_opts_default(&o);
	o.threads = threads;
	if (wh_start(&w, &o) != 0)
		return;
	setup(&w);
	for (r = 0; r < ROUNDS; r++) {
		/* 1000, 1001, 1000, 1001, ..., root every 10th round */
		uid = r % 10 == 9 ? 0 : 1000 + (uint32_t)(r & 1);
		k = send_round(&w, &t[n], uid);
		while (k-- > 0)
			uids[n++] = uid;
		if (n >= BATCH || r == ROUNDS - 1) {
			total += n;
			if ((k = check_replies(&w, t, n, uids)) < 0) {
				CHECK(0);
				break;
			}
			bad += k;
			n = 0;
		}
	}
	if (bad != 0)
		fprintf(stderr, "threads %u: %d of %d answers for the wrong caller\n",
		    threads, bad, total);
	CHECK(bad == 0);
	CHECK(total == ROUNDS * 7);
	/* SYNCFS runs part of itself with the worker's ids: the caller's come back after. */
	t[0].id = wh_send_as(&w, IMSG_FRONTEND_SYNCFS, WH_ROOT, 1001, 1001, NULL, 0);
	t[0].want = 0;
	t[0].type = IMSG_WORKER_REPLY_STATUS;
	t[0].what = "syncfs";
	send_access(&w, &t[1], ent_u[0].nodeid, 1001, 1001, EACCES, "access u1000 after syncfs");
	send_access(&w, &t[2], ent_u[0].nodeid, 0, 0, 0, "root access u1000 after syncfs");
	send_access(&w, &t[3], ent_u[0].nodeid, 1001, 1001, EACCES, "access u1000 after root");
	uids[0] = uids[1] = uids[3] = 1001;
	uids[2] = 0;
	CHECK(check_replies(&w, t, 4, uids) == 0);
	CHECK(wh_finish(&w) == 0);
}

int
main(void)
{
	run(0);
	run(4);
	return check_done("ops-creds");
}
