/*
 * The worker as it runs: in its own mount namespace rooted at the shared directory, under
 * seccomp (a forbidden syscall kills it), no_new_privs; each request with the caller's
 * mapped fsuid/fsgid; a session reset; either channel closing ends it with status 0.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chan.h"
#include "msg.h"
#include "harness.h"

static int
proc_status_has(pid_t pid, const char *line)
{
	char	 path[64], buf[256];
	FILE	*f;
	int	 found = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (strncmp(buf, line, strlen(line)) == 0)
			found = 1;
	fclose(f);
	return found;
}

/* The Groups: line lists no supplementary group. */
static int
no_groups(pid_t pid)
{
	char	 path[64], buf[256];
	FILE	*f;
	int	 none = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		if (strncmp(buf, "Groups:", 7) == 0)
			none = strpbrk(buf + 7, "0123456789") == NULL;
	fclose(f);
	return none;
}

/* ps shows "privfsd: worker DIR". */
static int
title_is(pid_t pid, const char *prefix, const char *dir)
{
	char	 path[64], buf[PATH_MAX + 64], want[PATH_MAX + 64];
	size_t	 n;
	FILE	*f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	snprintf(want, sizeof(want), "%s%s", prefix, dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strncmp(buf, want, strlen(want)) == 0;
}

static void
test_confined(void)
{
	struct wh_opts	o;
	struct wh	w;
	struct stat	root, shared, ns_self, ns_worker;
	char		path[64];

	wh_opts_default(&o);
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/root", (int)w.pid);
	CHECK(stat(path, &root) == 0 && stat(w.dir, &shared) == 0);
	CHECK(root.st_dev == shared.st_dev && root.st_ino == shared.st_ino);
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)w.pid);
	CHECK(stat(path, &ns_worker) == 0 && stat("/proc/self/ns/mnt", &ns_self) == 0);
	CHECK(ns_worker.st_ino != ns_self.st_ino);
	CHECK(proc_status_has(w.pid, "NoNewPrivs:\t1"));
	CHECK(proc_status_has(w.pid, "Seccomp:\t2"));
	CHECK(no_groups(w.pid));
	CHECK(title_is(w.pid, "privfsd: worker ", w.dir));
	CHECK(wh_stop(&w) == 0);
}

/* The test build makes a forbidden syscall after the sandbox when asked to. */
static void
test_seccomp_kill(void)
{
	struct wh_opts	o;
	struct wh	w;
	int		status;

	wh_opts_default(&o);
	o.env = "PRIVFSD_TEST_FORBIDDEN_SYSCALL=worker";
	CHECK(wh_start(&w, &o) == -1);	/* dies before HELLO */
	status = wh_stop(&w);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS);
}

/* Only the frontend channel closes: the worker exits 0 on its own. */
static void
test_frontend_gone(void)
{
	struct wh_opts	o;
	struct wh	w;
	int		i;

	wh_opts_default(&o);
	o.threads = 2;
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	chan_free(w.fe);
	w.fe = NULL;
	for (i = 0; i < 50 && wh_alive(&w); i++)
		usleep(100000);
	CHECK(!wh_alive(&w));
	CHECK(WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0);
	wh_stop(&w);
}

/*
 * Requests run with the caller's mapped fsuid/fsgid: guest 1000 is host 4242 here, which
 * may not search a root-only directory; ids map back in attributes; a forbidden guest id
 * is refused.
 */
static void
test_ids(void)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e;
	struct wh_reply		rep;
	uint8_t			body[64];
	size_t			len;
	uint64_t		id;

	wh_opts_default(&o);
	o.uid_map[0] = (struct msg_idmap){ .from = 1000, .to = 4242, .count = 10, .kind = 1 };
	o.gid_map[0] = (struct msg_idmap){ .from = 1000, .to = 4242, .count = 10, .kind = 1 };
	o.uid_map[1] = (struct msg_idmap){ .from = 666, .to = 0, .count = 1, .kind = 3 };
	/* With map rules only the ids they name exist: root is named to stay root. */
	o.uid_map[2] = (struct msg_idmap){ .from = 0, .to = 0, .count = 1, .kind = 1 };
	o.gid_map[1] = (struct msg_idmap){ .from = 0, .to = 0, .count = 1, .kind = 1 };
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	wh_host_mkdir(&w, "private");
	wh_host_file(&w, "private/secret", "s");
	chmod(wh_path(&w, "private"), 0700);
	wh_host_file(&w, "mine", "m");
	CHECK(chown(wh_path(&w, "mine"), 4243, 4244) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "private", &e) == 0);
	len = wh_name_body(body, sizeof(body), "secret");
	id = wh_send_as(&w, IMSG_FRONTEND_LOOKUP, e.nodeid, 1000, 1000, body, len);
	CHECK(wh_recv(&w, id, &rep, WH_TIMEOUT_MS) == 0 && rep.error == EACCES);
	id = wh_send_as(&w, IMSG_FRONTEND_LOOKUP, e.nodeid, 0, 0, body, len);
	CHECK(wh_recv(&w, id, &rep, WH_TIMEOUT_MS) == 0 && rep.error == 0);
	id = wh_send_as(&w, IMSG_FRONTEND_LOOKUP, e.nodeid, 666, 0, body, len);
	CHECK(wh_recv(&w, id, &rep, WH_TIMEOUT_MS) == 0 && rep.error == EPERM);
	/* Root again afterwards: the fsuid went back. */
	CHECK(wh_lookup(&w, e.nodeid, "secret", &e) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "mine", &e) == 0);
	CHECK(e.attr.uid == 1001 && e.attr.gid == 1002);
	CHECK(wh_stop(&w) == 0);
}

/* DESTROY and a new INIT drop every node and handle; the root stays node 1. */
static void
test_session(void)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e;
	struct msg_attr		a;
	struct msg_session	s;
	struct wh_reply		rep;
	uint64_t		fh;

	wh_opts_default(&o);
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	wh_host_file(&w, "f", "x");
	memset(&s, 0, sizeof(s));
	CHECK(wh_call(&w, IMSG_FRONTEND_SESSION_INIT, 0, &s, sizeof(s), &rep) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "f", &e) == 0);
	CHECK(wh_open(&w, e.nodeid, O_RDONLY, &fh) == 0);
	CHECK(wh_call(&w, IMSG_FRONTEND_SESSION_DESTROY, 0, NULL, 0, &rep) == 0);
	CHECK(wh_getattr(&w, e.nodeid, &a) == ESTALE);
	CHECK(wh_release(&w, fh) == EBADF);
	CHECK(wh_getattr(&w, WH_ROOT, &a) == 0);
	CHECK(wh_call(&w, IMSG_FRONTEND_SESSION_INIT, 0, &s, sizeof(s), &rep) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "f", &e) == 0);
	CHECK(wh_getattr(&w, e.nodeid, &a) == 0);
	CHECK(wh_stop(&w) == 0);
}

/* --sandbox=chroot|none: ".." still stops at the export root (with none it is not "/"). */
static void
test_other_sandbox(uint32_t mode)
{
	struct wh_opts		o;
	struct wh		w;
	struct msg_entry	e, sub;
	uint64_t		fh, got;

	wh_opts_default(&o);
	o.sandbox = mode;
	if (wh_start(&w, &o) != 0) {
		CHECK(!"worker did not start");
		return;
	}
	wh_host_mkdir(&w, "d");
	wh_host_file(&w, "d/f", "hi");
	CHECK(wh_lookup(&w, WH_ROOT, "..", &e) == 0 && e.nodeid == WH_ROOT);
	CHECK(wh_lookup(&w, WH_ROOT, "d", &sub) == 0);
	CHECK(wh_lookup(&w, sub.nodeid, "..", &e) == 0 && e.nodeid == WH_ROOT);
	CHECK(wh_lookup(&w, sub.nodeid, "f", &e) == 0);
	CHECK(wh_open(&w, e.nodeid, O_RDONLY, &fh) == 0);
	CHECK(wh_read(&w, fh, 0, 2, 0, &got) == 0 && got == 2);
	CHECK(wh_release(&w, fh) == 0);
	CHECK(wh_stop(&w) == 0);
}

int
main(void)
{
	test_confined();
	test_seccomp_kill();
	test_frontend_gone();
	test_ids();
	test_session();
	test_other_sandbox(SANDBOX_CHROOT);
	test_other_sandbox(SANDBOX_NONE);
	return check_done("t_sandbox");
}
