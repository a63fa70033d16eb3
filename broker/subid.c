/*
 * The host id range of --worker-userns: UID:GID:COUNT as given, or a user's subordinate
 * ranges, the first line for that user in /etc/subuid and in /etc/subgid (subuid(5):
 * NAME-OR-UID:START:COUNT), as podman and the shadow tools read them.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

#define SUBUID_FILE	"/etc/subuid"
#define SUBGID_FILE	"/etc/subgid"

static char	why_buf[512];

/* Exactly n colon-separated decimal u32 numbers; 0 or -1. */
static int
numbers(const char *s, uint32_t *out, int n)
{
	char		 buf[128], *p, *field;
	const char	*errstr;
	int		 i = 0;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	p = buf;
	while ((field = strsep(&p, ":")) != NULL) {
		if (i == n)
			return -1;
		out[i++] = (uint32_t)strtonum(field, 0, UINT32_MAX, &errstr);
		if (errstr != NULL)
			return -1;
	}
	return i == n ? 0 : -1;
}

#ifdef PRIVFSD_TEST_HOOKS
/* Test builds only: the suite cannot write the host's /etc/subuid. */
static const char *
subid_file(const char *path, const char *env)
{
	return getenv(env) != NULL ? getenv(env) : path;
}
#else
#define subid_file(path, env)	(path)
#endif

/* The first line of file whose owner field is name or uid (as text). NULL or why not. */
static const char *
subid_lookup(const char *file, const char *name, const char *uid, struct subid_range *r)
{
	FILE		*f;
	char		 line[256], *colon, *nl;
	uint32_t	 v[2];
	unsigned int	 lineno = 0;
	int		 saved;

	if ((f = fopen(file, "re")) == NULL) {
		saved = errno;
		(void)snprintf(why_buf, sizeof(why_buf), "cannot read %s: %s", file,
		    strerror(saved));
		return why_buf;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '#' || (colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		if (strcmp(line, name) != 0 && strcmp(line, uid) != 0)
			continue;
		fclose(f);
		if (numbers(colon + 1, v, 2) == -1 || v[1] == 0) {
			(void)snprintf(why_buf, sizeof(why_buf), "%s line %u: expected "
			    "%.64s:START:COUNT with decimal numbers and COUNT > 0", file, lineno,
			    line);
			return why_buf;
		}
		r->base = v[0];
		r->count = v[1];
		return NULL;
	}
	fclose(f);
	(void)snprintf(why_buf, sizeof(why_buf), "user %s has no range in %s", name, file);
	return why_buf;
}

/*
 * --worker-userns=VAL into the uid and gid ranges: NULL, or why not (a static buffer).
 * Whether the ranges are safe to use is worker_userns.c's to check.
 */
const char *
subid_parse(const char *val, struct subid_range *uids, struct subid_range *gids)
{
	struct passwd	*pw;
	char		 uid[16];
	const char	*why;
	uint32_t	 v[3];

	if (strchr(val, ':') != NULL) {
		if (numbers(val, v, 3) == -1)
			return "expected UID:GID:COUNT with decimal numbers";
		uids->base = v[0];
		gids->base = v[1];
		uids->count = gids->count = v[2];
		return NULL;
	}
	errno = 0;
	if ((pw = getpwnam(val)) == NULL) {
		(void)snprintf(why_buf, sizeof(why_buf), "no user %s (the value is a user "
		    "whose ranges are in %s and %s, or UID:GID:COUNT)", val, SUBUID_FILE,
		    SUBGID_FILE);
		return why_buf;
	}
	(void)snprintf(uid, sizeof(uid), "%lu", (unsigned long)pw->pw_uid);
	if ((why = subid_lookup(subid_file(SUBUID_FILE, "PRIVFSD_TEST_SUBUID"), val, uid,
	    uids)) != NULL)
		return why;
	return subid_lookup(subid_file(SUBGID_FILE, "PRIVFSD_TEST_SUBGID"), val, uid, gids);
}
