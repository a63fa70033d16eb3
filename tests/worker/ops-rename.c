/*
 * RENAME/RENAME2 against the real worker: plain, across directories, NOREPLACE,
 * EXCHANGE, WHITEOUT, unknown flags, and an unprivileged caller.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#define RENAME_EXCHANGE		(1 << 1)
#define RENAME_WHITEOUT		(1 << 2)
#endif

/* First byte of a host file. */
static char
first(const struct wh *w, const char *name)
{
	char	c = 0;
	int	fd;

	if ((fd = open(wh_path(w, name), O_RDONLY)) != -1) {
		if (read(fd, &c, 1) != 1)
			c = 0;
		close(fd);
	}
	return c;
}

int
main(void)
{
	struct wh		w;
	struct msg_entry	d, a;
	struct msg_attr		attr;
	struct stat		st;

	wh_start_session(&w, NULL, 0);
	wh_host_file(&w, "a", "A");
	wh_host_file(&w, "b", "B");
	wh_host_mkdir(&w, "d");
	CHECK(wh_lookup(&w, WH_ROOT, "d", &d) == 0);
	CHECK(wh_lookup(&w, WH_ROOT, "a", &a) == 0);

	/* plain, then across directories; the node follows its inode */
	CHECK(wh_rename(&w, WH_ROOT, "a", WH_ROOT, "c", 0) == 0);
	CHECK(!wh_host_exists(&w, "a") && first(&w, "c") == 'A');
	CHECK(wh_rename(&w, WH_ROOT, "c", d.nodeid, "c", 0) == 0);
	CHECK(first(&w, "d/c") == 'A');
	CHECK(wh_getattr(&w, a.nodeid, &attr) == 0 && attr.size == 1);
	CHECK(wh_rename(&w, WH_ROOT, "nope", WH_ROOT, "x", 0) == ENOENT);

	/* replacing, and refusing to */
	CHECK(wh_rename(&w, d.nodeid, "c", WH_ROOT, "b", RENAME_NOREPLACE) == EEXIST);
	CHECK(first(&w, "b") == 'B');
	CHECK(wh_rename(&w, d.nodeid, "c", WH_ROOT, "b", 0) == 0);
	CHECK(first(&w, "b") == 'A' && !wh_host_exists(&w, "d/c"));

	/* exchange */
	wh_host_file(&w, "e", "E");
	CHECK(wh_rename(&w, WH_ROOT, "b", WH_ROOT, "e", RENAME_EXCHANGE) == 0);
	CHECK(first(&w, "b") == 'E' && first(&w, "e") == 'A');
	CHECK(wh_rename(&w, WH_ROOT, "b", WH_ROOT, "none", RENAME_EXCHANGE) == ENOENT);
	CHECK(wh_rename(&w, WH_ROOT, "b", WH_ROOT, "e",
	    RENAME_EXCHANGE | RENAME_NOREPLACE) == EINVAL);

	/* whiteout: a 0:0 character device is left behind */
	CHECK(wh_rename(&w, WH_ROOT, "e", WH_ROOT, "w", RENAME_WHITEOUT) == 0);
	wh_host_stat(&w, "e", &st);
	CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0));
	CHECK(first(&w, "w") == 'A');

	/* flags nobody knows */
	CHECK(wh_rename(&w, WH_ROOT, "w", WH_ROOT, "v", 1u << 3) == EINVAL);
	CHECK(wh_rename(&w, WH_ROOT, "w", WH_ROOT, "v", 0x80000000u) == EINVAL);
	CHECK(wh_host_exists(&w, "w") && !wh_host_exists(&w, "v"));
	/* a bad new directory */
	CHECK(wh_rename(&w, WH_ROOT, "w", 987654, "v", 0) > 0);

	/* an unprivileged caller: no write access to the root directory */
	wh_uid = wh_gid = 1000;
	CHECK(wh_rename(&w, WH_ROOT, "w", WH_ROOT, "v", 0) == EACCES);
	/* whiteouts need CAP_MKNOD locally */
	chmod(wh_path(&w, "d"), 0777);
	wh_host_file(&w, "d/m", "M");
	CHECK(wh_rename(&w, d.nodeid, "m", d.nodeid, "n", RENAME_WHITEOUT) == EPERM);
	CHECK(wh_rename(&w, d.nodeid, "m", d.nodeid, "n", 0) == 0);
	CHECK(first(&w, "d/n") == 'M');
	wh_uid = wh_gid = 0;

	wh_finish(&w);
	return check_done("ops-rename");
}
