/*
 * The C virtiofsd's -o lists ("-o source=/srv,cache=none,xattr"), which libvirt still
 * passes, and what both option styles share: the value parsers and the error report.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "log.h"

/*
 * An export of privfsd.conf is checked as its command line: each argument's origin is the
 * file and line it came from, and what only the whole line can get wrong (a missing
 * --shared-dir) is the export's first line.
 */
static char *const	*arg_origins;
static const char	*whole_origin;
static int		 arg_current = -1;

const char *
options_origin(void)
{
	if (arg_origins == NULL)
		return NULL;
	if (arg_current >= 0 && arg_origins[arg_current] != NULL &&
	    arg_origins[arg_current][0] != '\0')
		return arg_origins[arg_current];
	return whole_origin;
}

void
options_set_origins(char *const *origins, const char *whole)
{
	arg_origins = origins;
	whole_origin = whole;
}

void
options_set_current(int argi)
{
	arg_current = argi;
}

void
options_fail(const char *arg, const char *why)
{
	const char *origin = options_origin();

	if (origin != NULL)
		fprintf(stderr, "privfsd: %s: %s: %s\n", origin, arg, why);
	else
		fprintf(stderr, "privfsd: %s: %s\nTry 'privfsd --help' for more "
		    "information.\n", arg, why);
	exit(1);
}

const char *
options_shared_dir(const char *val, struct msg_config *c)
{
	static char	 why[128];
	struct stat	 st;
	char		*real;
	size_t		 n;

	if (*val == '\0')
		return "empty path";
	if ((real = realpath(val, NULL)) == NULL) {
		(void)snprintf(why, sizeof(why), "%s", strerror(errno));
		return why;
	}
	if (stat(real, &st) == -1 || !S_ISDIR(st.st_mode)) {
		free(real);
		return "not a directory";
	}
	n = strlcpy(c->shared_dir, real, sizeof(c->shared_dir));
	free(real);
	return n >= sizeof(c->shared_dir) ? "path too long" : NULL;
}

const char *
options_cache(const char *val, struct msg_config *c)
{
	if (strcmp(val, "auto") == 0)
		c->cache = CACHE_AUTO;
	else if (strcmp(val, "always") == 0)
		c->cache = CACHE_ALWAYS;
	else if (strcmp(val, "never") == 0 || strcmp(val, "none") == 0)
		c->cache = CACHE_NEVER;	/* "none" is the C virtiofsd's name */
	else if (strcmp(val, "metadata") == 0)
		c->cache = CACHE_METADATA;
	else
		return "must be auto, always, never (or none) or metadata";
	return NULL;
}

const char *
options_sandbox(const char *val, struct msg_config *c)
{
	if (strcmp(val, "namespace") == 0)
		c->sandbox = SANDBOX_NAMESPACE;
	else if (strcmp(val, "chroot") == 0)
		c->sandbox = SANDBOX_CHROOT;
	else if (strcmp(val, "none") == 0)
		c->sandbox = SANDBOX_NONE;
	else
		return "must be namespace, chroot or none";
	return NULL;
}

/* Our names, plus the C virtiofsd's "err" and the Rust one's "trace" and "off". */
const char *
options_log_level(const char *val, struct msg_config *c)
{
	int level;

	if ((level = log_level_parse(val)) != -1)
		c->log_level = (uint32_t)level;
	else if (strcmp(val, "err") == 0 || strcmp(val, "off") == 0)
		c->log_level = LOG_LEVEL_ERROR;
	else if (strcmp(val, "trace") == 0)
		c->log_level = LOG_LEVEL_DEBUG;
	else
		return "must be error, warn, info or debug";
	return NULL;
}

/* Stored verbatim: the worker parses the rules; mapping implies xattr support. */
const char *
options_xattrmap(const char *val, struct msg_config *c)
{
	if (*val == '\0')
		return "empty rule list";
	if (strlcpy(c->xattrmap, val, sizeof(c->xattrmap)) >= sizeof(c->xattrmap))
		return "rules too long (4095 bytes at most)";
	c->flags |= CONFIG_XATTR;
	return NULL;
}

/* Switches: NAME sets, no_NAME clears (bits of msg_config.flags). */
static const struct {
	const char	*name;
	uint32_t	 flags;
} compat_switches[] = {
	{ "xattr",		CONFIG_XATTR },
	{ "writeback",		CONFIG_WRITEBACK },
	{ "posix_acl",		CONFIG_POSIX_ACL | CONFIG_XATTR },
	{ "security_label",	CONFIG_SECURITY_LABEL | CONFIG_XATTR },
	{ "announce_submounts",	CONFIG_ANNOUNCE_SUBMOUNTS },
	{ "killpriv_v2",	CONFIG_KILLPRIV_V2 },
	{ "allow_direct_io",	CONFIG_ALLOW_DIRECT_IO },
};

/*
 * Accepted for compatibility and without effect (see CAVEATS in privfsd(8)). libvirt
 * passes the lock switches from <lock posix= flock=>; the bit of each one given is kept
 * in broker_opts.ignored so that the log says once that they changed nothing.
 */
static const char *const compat_ignored[] = {
	"flock", "no_flock", "posix_lock", "no_posix_lock", "allow_root",
};
#define NCOMPAT_IGNORED	(sizeof(compat_ignored) / sizeof(compat_ignored[0]))
#define IGNORED_LOCKS	0xfU	/* the first four */

static int
compat_switch(const char *opt, struct broker_opts *o)
{
	size_t	i;
	int	neg = strncmp(opt, "no_", 3) == 0;

	for (i = 0; i < NCOMPAT_IGNORED; i++)
		if (strcmp(opt, compat_ignored[i]) == 0) {
			o->ignored |= 1U << i;
			return 1;
		}
	if (strcmp(opt, "readdirplus") == 0 || strcmp(opt, "no_readdirplus") == 0) {
		o->readdirplus_set = 1;
		if (neg)
			o->config.flags |= CONFIG_NO_READDIRPLUS;
		else
			o->config.flags &= ~CONFIG_NO_READDIRPLUS;
		return 1;
	}
	for (i = 0; i < sizeof(compat_switches) / sizeof(compat_switches[0]); i++) {
		uint32_t f = compat_switches[i].flags;

		if (strcmp(opt + (neg ? 3 : 0), compat_switches[i].name) != 0)
			continue;
		/* no_posix_acl and no_security_label leave xattr support alone */
		if (neg && f != CONFIG_XATTR)
			f &= ~CONFIG_XATTR;
		if (neg)
			o->config.flags &= ~f;
		else
			o->config.flags |= f;
		return 1;
	}
	if (strcmp(opt, "debug") == 0) {
		o->config.log_level = LOG_LEVEL_DEBUG;
		return 1;
	}
	return 0;
}

/* key=value items; returns NULL or why the item is bad. */
static const char *
compat_value(const char *key, const char *val, struct broker_opts *o)
{
	long long	 n;
	const char	*errstr;

	if (strcmp(key, "source") == 0)
		return options_shared_dir(val, &o->config);
	if (strcmp(key, "cache") == 0)
		return options_cache(val, &o->config);
	if (strcmp(key, "sandbox") == 0)
		return options_sandbox(val, &o->config);
	if (strcmp(key, "log_level") == 0)
		return options_log_level(val, &o->config);
	if (strcmp(key, "xattrmap") == 0)
		return options_xattrmap(val, &o->config);
	if (strcmp(key, "dax") == 0)
		return options_dax(val, &o->config);
	if (strcmp(key, "dax_window") == 0)
		return options_dax_window(val, &o->config);
	if (strcmp(key, "dax_vmm") == 0)
		return options_dax_vmm(val, &o->config);
	if (strcmp(key, "modcaps") == 0)
		return "not supported: each privfsd process has a fixed capability set";
	if (strcmp(key, "timeout") == 0 || strcmp(key, "max_idle_threads") == 0) {
		n = strtonum(val, 0, INT_MAX, &errstr);
		(void)n;	/* the C virtiofsd's thread pool tuning: no equivalent */
		return errstr != NULL ? "not a valid number" : NULL;
	}
	return "unknown -o option";
}

static void
compat_item(char *item, struct broker_opts *o)
{
	char		 shown[PATH_MAX + 64], *eq;
	const char	*why;

	if (*item == '\0')
		return;
	(void)snprintf(shown, sizeof(shown), "-o %s", item);
	if ((eq = strchr(item, '=')) == NULL) {
		if (!compat_switch(item, o))
			options_fail(shown, "unknown -o option");
		return;
	}
	*eq = '\0';
	if ((why = compat_value(item, eq + 1, o)) != NULL)
		options_fail(shown, why);
}

/*
 * Split on commas. A comma inside a value is written ",," (libvirt escapes paths that way)
 * or "\," (libfuse's fuse_opt escape).
 */
void
options_compat(const char *list, struct broker_opts *o)
{
	char	*item, *w;
	size_t	 len = strlen(list);

	if (len == 0)
		options_fail("-o", "needs a value");
	if ((item = malloc(len + 1)) == NULL)
		fatal("malloc");
	w = item;
	for (; *list != '\0'; list++) {
		if ((list[0] == ',' && list[1] == ',') ||
		    (list[0] == '\\' && list[1] == ',')) {
			*w++ = ',';
			list++;
		} else if (list[0] == ',') {
			*w = '\0';
			compat_item(item, o);
			w = item;
		} else
			*w++ = *list;
	}
	*w = '\0';
	compat_item(item, o);
	free(item);
}

/* One line for every ignored -o switch given, however often: after log_init(). */
void
options_log_ignored(const struct broker_opts *o)
{
	char	line[128] = "";
	size_t	i;

	if (o->ignored == 0)
		return;
	for (i = 0; i < NCOMPAT_IGNORED; i++) {
		if ((o->ignored & (1U << i)) == 0)
			continue;
		if (line[0] != '\0')
			(void)strlcat(line, ", ", sizeof(line));
		(void)strlcat(line, compat_ignored[i], sizeof(line));
	}
	log_info("-o %s: accepted for compatibility and ignored%s", line,
	    (o->ignored & IGNORED_LOCKS) != 0 ?
	    " (POSIX and flock(2) locks are always served)" : "");
}
