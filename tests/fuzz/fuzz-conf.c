/*
 * libFuzzer target: privfsd.conf (broker/conf.c) as the service reads it, the input being
 * the whole file. The file is written to a private temporary file (mode 0600, ours) and
 * read with conf_load(). A refused file must come with a "FILE:LINE: what" message; an
 * accepted one must be what service.c execs: at least one export, each a NULL-ended
 * argument vector of "--name" or "--name=value" words starting with "privfsd", with an
 * origin per argument, a valid name, and a socket path of its own. Everything is freed
 * (leaks are checked).
 */
#include "config.h"

#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	path[PATH_MAX];
static int	fd = -1;

static void
check_export(const struct conf *c, size_t i)
{
	const struct conf_export *e = &c->exports[i];
	size_t j;
	int a;

	if (e->name[0] == '\0' || strnlen(e->name, sizeof(e->name)) == sizeof(e->name) ||
	    e->socket_path[0] == '\0' || e->argc < 3 || e->argv[e->argc] != NULL ||
	    strcmp(e->argv[0], "privfsd") != 0 || e->origins == NULL ||
	    e->nglobals < 0 || e->nglobals >= e->argc)
		abort();
	for (a = 1; a < e->argc; a++)
		if (strncmp(e->argv[a], "--", 2) != 0 || e->origins[a] == NULL ||
		    strncmp(e->origins[a], path, strlen(path)) != 0)
			abort();
	for (j = 0; j < i; j++)
		if (strcmp(c->exports[j].name, e->name) == 0 ||
		    strcmp(c->exports[j].socket_path, e->socket_path) == 0)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	c;
	char		err[1024];
	size_t		i;

	if (fd == -1) {
		(void)snprintf(path, sizeof(path), "%s/fuzz-conf.XXXXXX",
		    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
		if ((fd = mkstemp(path)) == -1 || fchmod(fd, 0600) == -1)
			abort();
		log_init(0, LOG_LEVEL_ERROR);
	}
	if (ftruncate(fd, 0) == -1 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	memset(err, 0, sizeof(err));
	if (conf_load(path, &c, err, sizeof(err)) == -1) {
		/* The message names the file, and a line unless the file itself is wrong. */
		if (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':')
			abort();
		return 0;
	}
	if (c.nexports == 0)
		abort();
	for (i = 0; i < c.nexports; i++)
		check_export(&c, i);
	conf_free(&c);
	return 0;
}
