/*
 * The command line, compatible with both virtiofsd implementations: the Rust one's long
 * options (--opt=value or --opt value) and the C one's -o lists. Every bad argument ends
 * the program with "privfsd: ARG: WHY" and a usage hint, before anything is started.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cap-ng.h>

#include "broker.h"
#include "log.h"
#include "sandbox.h"

#define DEFAULT_THREAD_POOL_SIZE	8
/* worker/pool.c, frontend/virtq_look.c: long enough for an emulated guest's round trip */
#define DEFAULT_POLL_MAX_NS		100000
#define POLL_MAX_NS_LIMIT		1000000

#define ARG_NONE	0
#define ARG_VALUE	1

struct option_def {
	const char	*name;		/* long name, without "--" */
	int		 has_arg;
	const char	*(*set)(const char *val, struct broker_opts *);
	uint32_t	 set_flags;	/* plain switches: CONFIG_* bits to set ... */
	uint32_t	 clear_flags;	/* ... and to clear */
};

static const char *
number(const char *val, long long max, long long *out)
{
	static char	 why[64];
	const char	*errstr;

	*out = strtonum(val, 0, max, &errstr);
	if (errstr == NULL)
		return NULL;
	(void)snprintf(why, sizeof(why), "must be a number from 0 to %lld (%s)", max, errstr);
	return why;
}

/* A number from 0 to max into *field, or why not. */
static const char *
number_u32(const char *val, long long max, uint32_t *field)
{
	long long n;
	const char *why;

	if ((why = number(val, max, &n)) != NULL)
		return why;
	*field = (uint32_t)n;
	return NULL;
}

static const char *
set_socket_path(const char *val, struct broker_opts *o)
{
	struct sockaddr_un sun;

	if (*val == '\0')
		return "empty path";
	if (strlen(val) >= sizeof(sun.sun_path))
		return "path too long for a unix socket";
	(void)strlcpy(o->socket_path, val, sizeof(o->socket_path));
	return NULL;
}

static const char *
set_fd(const char *val, struct broker_opts *o)
{
	long long n;
	const char *why;

	if ((why = number(val, INT_MAX, &n)) != NULL)
		return why;
	o->listen_fd = (int)n;
	return NULL;
}

static const char *
set_socket_group(const char *val, struct broker_opts *o)
{
	struct group	*gr;
	long long	 n;

	if ((gr = getgrnam(val)) != NULL) {
		o->socket_gid = gr->gr_gid;
		return NULL;
	}
	if (number(val, INT_MAX, &n) == NULL) {
		o->socket_gid = (gid_t)n;
		return NULL;
	}
	return "no such group";
}

static const char *
set_shared_dir(const char *val, struct broker_opts *o)
{
	return options_shared_dir(val, &o->config);
}

static const char *
set_sandbox(const char *val, struct broker_opts *o)
{
	return options_sandbox(val, &o->config);
}

static const char *
set_seccomp(const char *val, struct broker_opts *o)
{
	static const char *const names[] = { "kill", "log", "trap", "none" };
	uint32_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(val, names[i]) == 0) {
			o->config.seccomp = i;	/* enum seccomp_mode order */
			return NULL;
		}
	return "must be kill, log, trap or none";
}

static const char *
set_log_level(const char *val, struct broker_opts *o)
{
	return options_log_level(val, &o->config);
}

static const char *
set_cache(const char *val, struct broker_opts *o)
{
	return options_cache(val, &o->config);
}

/* Served in the device's config space with GET_CONFIG (the generic vhost-user device). */
static const char *
set_tag(const char *val, struct broker_opts *o)
{
	if (*val == '\0')
		return "empty tag";
	if (strlcpy(o->config.tag, val, sizeof(o->config.tag)) >= sizeof(o->config.tag))
		return "longer than 36 bytes (the virtio-fs config space)";
	return NULL;
}

static const char *
set_export_name(const char *val, struct broker_opts *o)
{
	size_t n;

	for (n = 0; val[n] != '\0'; n++)
		if (val[n] < 0x21 || val[n] > 0x7e)
			return "only printable characters, no blanks";
	if (n == 0 || n >= sizeof(o->export_name))
		return "from 1 to 63 characters";
	(void)strlcpy(o->export_name, val, sizeof(o->export_name));
	return NULL;
}

static const char *
set_worker_restart(const char *val, struct broker_opts *o)
{
	if (strcmp(val, "yes") == 0)
		o->worker_restart = 1;
	else if (strcmp(val, "no") == 0)
		o->worker_restart = 0;
	else
		return "must be yes or no";
	return NULL;
}

/* Resolved and checked at start (worker_userns.c): a name may need /etc/subuid. */
static const char *
set_worker_userns(const char *val, struct broker_opts *o)
{
	if (val[0] == '\0')
		return "expected UID:GID:COUNT or a user name";
	if (strlcpy(o->worker_userns, val, sizeof(o->worker_userns)) >=
	    sizeof(o->worker_userns))
		return "too long";
	return NULL;
}

static const char *
set_dax(const char *val, struct broker_opts *o)
{
	return options_dax(val, &o->config);
}

static const char *
set_dax_window(const char *val, struct broker_opts *o)
{
	return options_dax_window(val, &o->config);
}

static const char *
set_dax_vmm(const char *val, struct broker_opts *o)
{
	return options_dax_vmm(val, &o->config);
}

static const char *
set_xattrmap(const char *val, struct broker_opts *o)
{
	return options_xattrmap(val, &o->config);
}

static const char *
set_rlimit_nofile(const char *val, struct broker_opts *o)
{
	long long n;
	const char *why;

	if ((why = number(val, INT_MAX, &n)) != NULL)
		return why;
	o->config.rlimit_nofile = (uint64_t)n;
	return NULL;
}

/* MiB in the option, KiB in the configuration (so that tests can go small). */
static const char *
set_memory_budget(const char *val, struct broker_opts *o)
{
	long long n;
	const char *why;

	if ((why = number(val, UINT32_MAX / 1024, &n)) != NULL)
		return why;
	o->config.memory_budget_kib = (uint32_t)n * 1024;
	return NULL;
}

static const char *
set_thread_pool_size(const char *val, struct broker_opts *o)
{
	return number_u32(val, 1024, &o->config.thread_pool_size);
}

static const char *
set_poll_max_ns(const char *val, struct broker_opts *o)
{
	return number_u32(val, POLL_MAX_NS_LIMIT, &o->config.poll_max_ns);
}

static const char *
set_inode_file_handles(const char *val, struct broker_opts *o)
{
	if (strcmp(val, "never") == 0)
		o->config.inode_file_handles = FILE_HANDLES_NEVER;
	else if (strcmp(val, "prefer") == 0 || strcmp(val, "fallback") == 0)
		o->config.inode_file_handles = FILE_HANDLES_PREFER;
	else if (strcmp(val, "mandatory") == 0)
		o->config.inode_file_handles = FILE_HANDLES_MANDATORY;
	else
		return "must be never, prefer or mandatory";
	return NULL;
}

static const char *
set_migration_mode(const char *val, struct broker_opts *o)
{
	if (strcmp(val, "find-paths") == 0)
		o->config.migration_mode = MIGRATION_FIND_PATHS;
	else if (strcmp(val, "file-handles") == 0)
		o->config.migration_mode = MIGRATION_FILE_HANDLES;
	else
		return "must be find-paths or file-handles";
	return NULL;
}

static const char *
set_migration_on_error(const char *val, struct broker_opts *o)
{
	if (strcmp(val, "abort") == 0)
		o->config.migration_flags &= ~MIGRATION_GUEST_ERROR;
	else if (strcmp(val, "guest-error") == 0)
		o->config.migration_flags |= MIGRATION_GUEST_ERROR;
	else
		return "must be abort or guest-error";
	return NULL;
}

static const char *
set_migration_verify_handles(const char *val, struct broker_opts *o)
{
	o->config.migration_flags |= MIGRATION_VERIFY_HANDLES;
	return NULL;
}

static const char *
set_migration_confirm_paths(const char *val, struct broker_opts *o)
{
	o->config.migration_flags |= MIGRATION_CONFIRM_PATHS;
	return NULL;
}

static const char *
set_inode_numbers(const char *val, struct broker_opts *o)
{
	if (strcmp(val, "host") == 0)
		o->config.flags &= ~CONFIG_HASHED_INODES;
	else if (strcmp(val, "hashed") == 0)
		o->config.flags |= CONFIG_HASHED_INODES;
	else
		return "must be host or hashed";
	return NULL;
}

static const char *
set_translate_uid(const char *val, struct broker_opts *o)
{
	o->translate_ids = 1;
	return idmap_translate(val, o->config.uid_map);
}

static const char *
set_translate_gid(const char *val, struct broker_opts *o)
{
	o->translate_ids = 1;
	return idmap_translate(val, o->config.gid_map);
}

static const char *
set_uid_map(const char *val, struct broker_opts *o)
{
	return idmap_namespace(val, o->config.uid_map);
}

static const char *
set_gid_map(const char *val, struct broker_opts *o)
{
	return idmap_namespace(val, o->config.gid_map);
}

static const char *
set_modcaps(const char *val, struct broker_opts *o)
{
	return "not supported: each privfsd process has a fixed capability set";
}

static const char *
set_nothing(const char *val, struct broker_opts *o)
{
	return NULL;	/* -f: privfsd always stays in the foreground */
}

static void usage(void) __attribute__((__noreturn__));
static void print_version(void) __attribute__((__noreturn__));
static void print_capabilities(void) __attribute__((__noreturn__));

static const char *
do_help(const char *val, struct broker_opts *o)
{
	usage();
}

static const char *
do_version(const char *val, struct broker_opts *o)
{
	print_version();
}

static const char *
do_print_capabilities(const char *val, struct broker_opts *o)
{
	print_capabilities();
}

static const struct option_def long_options[] = {
	{ "socket-path",	ARG_VALUE, set_socket_path, 0, 0 },
	{ "socket",		ARG_VALUE, set_socket_path, 0, 0 },	/* Rust, deprecated */
	{ "fd",			ARG_VALUE, set_fd, 0, 0 },
	{ "socket-group",	ARG_VALUE, set_socket_group, 0, 0 },
	{ "shared-dir",		ARG_VALUE, set_shared_dir, 0, 0 },
	{ "sandbox",		ARG_VALUE, set_sandbox, 0, 0 },
	{ "seccomp",		ARG_VALUE, set_seccomp, 0, 0 },
	{ "log-level",		ARG_VALUE, set_log_level, 0, 0 },
	{ "syslog",		ARG_NONE, NULL, CONFIG_SYSLOG, 0 },
	{ "foreground",		ARG_NONE, set_nothing, 0, 0 },
	{ "help",		ARG_NONE, do_help, 0, 0 },
	{ "version",		ARG_NONE, do_version, 0, 0 },
	{ "print-capabilities",	ARG_NONE, do_print_capabilities, 0, 0 },
	{ "cache",		ARG_VALUE, set_cache, 0, 0 },
	{ "writeback",		ARG_NONE, NULL, CONFIG_WRITEBACK, 0 },
	{ "allow-direct-io",	ARG_NONE, NULL, CONFIG_ALLOW_DIRECT_IO, 0 },
	{ "allow-mmap",		ARG_NONE, NULL, CONFIG_ALLOW_MMAP, 0 },
	{ "readonly",		ARG_NONE, NULL, CONFIG_READONLY, 0 },
	{ "no-readdirplus",	ARG_NONE, NULL, CONFIG_NO_READDIRPLUS, 0 },
	{ "xattr",		ARG_NONE, NULL, CONFIG_XATTR, 0 },
	{ "xattrmap",		ARG_VALUE, set_xattrmap, 0, 0 },
	{ "posix-acl",		ARG_NONE, NULL, CONFIG_POSIX_ACL | CONFIG_XATTR, 0 },
	{ "security-label",	ARG_NONE, NULL, CONFIG_SECURITY_LABEL | CONFIG_XATTR, 0 },
	{ "announce-submounts",	ARG_NONE, NULL, CONFIG_ANNOUNCE_SUBMOUNTS, 0 },
	{ "no-announce-submounts", ARG_NONE, NULL, 0, CONFIG_ANNOUNCE_SUBMOUNTS },
	{ "killpriv-v2",	ARG_NONE, NULL, CONFIG_KILLPRIV_V2, 0 },
	{ "no-killpriv-v2",	ARG_NONE, NULL, 0, CONFIG_KILLPRIV_V2 },
	{ "preserve-noatime",	ARG_NONE, NULL, CONFIG_PRESERVE_NOATIME, 0 },
	{ "rlimit-nofile",	ARG_VALUE, set_rlimit_nofile, 0, 0 },
	{ "memory-budget",	ARG_VALUE, set_memory_budget, 0, 0 },
	{ "thread-pool-size",	ARG_VALUE, set_thread_pool_size, 0, 0 },
	{ "poll-max-ns",	ARG_VALUE, set_poll_max_ns, 0, 0 },
	{ "inode-file-handles",	ARG_VALUE, set_inode_file_handles, 0, 0 },
	{ "inode-numbers",	ARG_VALUE, set_inode_numbers, 0, 0 },
	{ "translate-uid",	ARG_VALUE, set_translate_uid, 0, 0 },
	{ "translate-gid",	ARG_VALUE, set_translate_gid, 0, 0 },
	{ "uid-map",		ARG_VALUE, set_uid_map, 0, 0 },
	{ "gid-map",		ARG_VALUE, set_gid_map, 0, 0 },
	{ "modcaps",		ARG_VALUE, set_modcaps, 0, 0 },
	{ "tag",		ARG_VALUE, set_tag, 0, 0 },
	{ "dax",		ARG_VALUE, set_dax, 0, 0 },
	{ "worker-restart",	ARG_VALUE, set_worker_restart, 0, 0 },
	{ "worker-userns",	ARG_VALUE, set_worker_userns, 0, 0 },
	{ "export-name",	ARG_VALUE, set_export_name, 0, 0 },
	{ "config",		ARG_VALUE, NULL, 0, 0 },	/* service.c's */
	{ "dax-window",		ARG_VALUE, set_dax_window, 0, 0 },
	{ "dax-vmm",		ARG_VALUE, set_dax_vmm, 0, 0 },
	{ "migration-mode",	ARG_VALUE, set_migration_mode, 0, 0 },
	{ "migration-on-error",	ARG_VALUE, set_migration_on_error, 0, 0 },
	{ "migration-verify-handles", ARG_NONE, set_migration_verify_handles, 0, 0 },
	{ "migration-confirm-paths", ARG_NONE, set_migration_confirm_paths, 0, 0 },
	{ NULL,			ARG_NONE, NULL, 0, 0 }
};

static const struct option_def *
find_long(const char *name, size_t len)
{
	const struct option_def *d;

	for (d = long_options; d->name != NULL; d++)
		if (strlen(d->name) == len && strncmp(d->name, name, len) == 0)
			return d;
	return NULL;
}

int
options_takes_value(const char *name)
{
	const struct option_def *d;

	if ((d = find_long(name, strlen(name))) == NULL)
		return -1;
	return d->has_arg == ARG_VALUE;
}


static void
apply(const struct option_def *d, const char *shown, const char *val, struct broker_opts *o)
{
	const char *why;

	o->config.flags |= d->set_flags;
	o->config.flags &= ~d->clear_flags;
	if (d->set != NULL && (why = d->set(val, o)) != NULL)
		options_fail(shown, why);
}

/* "--name", "--name=value" or "--name value"; returns how many argv entries it used. */
static int
parse_long(char **argv, int i, int argc, struct broker_opts *o)
{
	const struct option_def	*d;
	const char		*arg = argv[i] + 2, *eq, *val = NULL;
	char			 shown[PATH_MAX + 64];
	int			 used = 1;

	eq = strchr(arg, '=');
	if ((d = find_long(arg, eq ? (size_t)(eq - arg) : strlen(arg))) == NULL)
		options_fail(argv[i], "unknown option");
	(void)snprintf(shown, sizeof(shown), "%s", argv[i]);
	if (d->has_arg == ARG_NONE && eq != NULL)
		options_fail(argv[i], "takes no value");
	if (d->has_arg == ARG_VALUE) {
		if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
			val = argv[i + 1];
			used = 2;
			(void)snprintf(shown, sizeof(shown), "%s %s", argv[i], val);
		} else
			options_fail(argv[i], "needs a value");
	}
	apply(d, shown, val, o);
	return used;
}

/* -h -V -f -d, and -o LIST or -oLIST. */
static int
parse_short(char **argv, int i, int argc, struct broker_opts *o)
{
	const char *a = argv[i];

	if (strcmp(a, "-h") == 0)
		usage();
	if (strcmp(a, "-V") == 0)
		print_version();
	if (strcmp(a, "-f") == 0)
		return 1;
	if (strcmp(a, "-d") == 0) {
		o->config.log_level = LOG_LEVEL_DEBUG;
		return 1;
	}
	if (strncmp(a, "-o", 2) == 0 && a[2] != '\0') {
		options_compat(a + 2, o);
		return 1;
	}
	if (strcmp(a, "-o") == 0) {
		if (i + 1 >= argc)
			options_fail(a, "needs a value");
		options_compat(argv[i + 1], o);
		return 2;
	}
	options_fail(a, "unknown option");
}

static void
set_defaults(struct broker_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->listen_fd = -1;
	o->socket_gid = (gid_t)-1;
	o->worker_restart = -1;
	o->config.sandbox = SANDBOX_NAMESPACE;
	o->config.seccomp = SECCOMP_MODE_KILL;
	o->config.log_level = LOG_LEVEL_INFO;
	o->config.cache = CACHE_AUTO;
	o->config.inode_file_handles = FILE_HANDLES_NEVER;
	/* Rust virtiofsd's defaults: submounts announced, killpriv_v2 off. */
	o->config.flags = CONFIG_ANNOUNCE_SUBMOUNTS;
	o->config.rlimit_nofile = UINT64_MAX;	/* "not given": see default_rlimit_nofile() */
	/* A slow read or a stuck host file system must not stall every other request. */
	o->config.thread_pool_size = DEFAULT_THREAD_POOL_SIZE;
	o->config.poll_max_ns = DEFAULT_POLL_MAX_NS;
}

/*
 * virtiofsd's default fd budget: min(1000000, fs.file-max - 16384), so one guest cannot
 * exhaust the host's file table (CVE-2020-10717). Without CAP_SYS_RESOURCE the worker
 * cannot go past our hard limit, so the default stays below it rather than promising a
 * budget the worker would meet as EMFILE.
 */
static uint64_t
default_rlimit_nofile(void)
{
	FILE		*f;
	struct rlimit	 rl;
	unsigned long long max = 0;
	uint64_t	 n = 1000000;

	if ((f = fopen("/proc/sys/fs/file-max", "r")) != NULL) {
		if (fscanf(f, "%llu", &max) == 1 && max > 16384 + 1024 && max - 16384 < n)
			n = max - 16384;
		fclose(f);
	}
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_RESOURCE) &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY &&
	    rl.rlim_max > WORKER_NOFILE_HEADROOM + 1024 &&
	    rl.rlim_max - WORKER_NOFILE_HEADROOM < n)
		n = rl.rlim_max - WORKER_NOFILE_HEADROOM;
	return n;
}

static void
lookup_privsep_user(struct msg_config *c)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(PRIVSEP_USER)) == NULL) {
		fprintf(stderr, "privfsd: privilege separation user \"%s\" does not exist; "
		    "create it (useradd --system %s)\n", PRIVSEP_USER, PRIVSEP_USER);
		exit(1);
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		fprintf(stderr, "privfsd: privilege separation user \"%s\" must not have "
		    "uid or gid 0\n", PRIVSEP_USER);
		exit(1);
	}
	c->privsep_uid = pw->pw_uid;
	c->privsep_gid = pw->pw_gid;
}

/* What only makes sense once every option is known. */
static void
check_combination(struct broker_opts *o)
{
	struct msg_config	*c = &o->config;
	const char		*why;

	if (c->shared_dir[0] == '\0')
		options_fail("--shared-dir", "missing: the directory to export is required");
	if (o->socket_path[0] == '\0' && o->listen_fd == -1)
		options_fail("--socket-path", "missing: a socket path or --fd is required");
	if (o->socket_path[0] != '\0' && o->listen_fd != -1)
		options_fail("--fd", "cannot be combined with --socket-path");
	if (o->socket_gid != (gid_t)-1 && o->socket_path[0] == '\0')
		options_fail("--socket-group", "only applies to --socket-path");
	if (o->translate_ids && (c->flags & CONFIG_POSIX_ACL))
		options_fail("--posix-acl", "cannot be combined with --translate-uid/gid "
		    "(translated ids would break ACLs)");
	if ((why = options_dax_finish(c)) != NULL)
		options_fail("--dax-window", why);
	/* A new worker would not know the window's mappings: DAX exports end instead. */
	if (o->worker_restart == 1 && c->dax != DAX_NEVER)
		options_fail("--worker-restart=yes", "cannot be combined with --dax");
	if (o->worker_restart == 1 || (o->worker_restart == -1 && c->dax == DAX_NEVER))
		c->flags |= CONFIG_WORKER_RESTART;
	/* The C virtiofsd: readdirplus is off with cache=none unless asked for. */
	if (c->cache == CACHE_NEVER && !o->readdirplus_set)
		c->flags |= CONFIG_NO_READDIRPLUS;
	if (c->rlimit_nofile == UINT64_MAX)
		c->rlimit_nofile = default_rlimit_nofile();
	/* Only root has the capabilities the sandboxes use; others get them in a userns. */
	if (geteuid() != 0 && c->sandbox != SANDBOX_NONE)
		c->flags |= CONFIG_USERNS;
}

/*
 * systemd socket activation (sd_listen_fds(3)): when LISTEN_PID names us, the listening
 * socket is fd 3, as with --fd=3. The variables are removed once they are ours, so that
 * no child takes the socket for its own; meant for another process, they are left alone.
 */
#define SD_LISTEN_FDS_START	3

static void
socket_activation(struct broker_opts *o)
{
	const char	*pid, *fds, *errstr;
	long long	 n;

	if ((pid = getenv("LISTEN_PID")) == NULL || (fds = getenv("LISTEN_FDS")) == NULL)
		return;
	n = strtonum(pid, 1, INT_MAX, &errstr);
	if (errstr != NULL || (pid_t)n != getpid())
		return;
	n = strtonum(fds, 0, INT_MAX, &errstr);
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	if (errstr != NULL)
		options_fail("LISTEN_FDS", "not a number");
	if (n == 0)
		return;
	/* One connection per privfsd: a second socket would never be served. */
	if (n > 1)
		log_warnx("LISTEN_FDS=%lld: only fd 3 is served; give the socket unit a "
		    "single ListenStream=", n);
	if (o->socket_path[0] != '\0')
		options_fail("--socket-path", "cannot be combined with a socket from systemd "
		    "(LISTEN_FDS)");
	if (o->listen_fd != -1 && o->listen_fd != SD_LISTEN_FDS_START)
		options_fail("--fd", "systemd passed its socket as fd 3 (LISTEN_FDS)");
	o->listen_fd = SD_LISTEN_FDS_START;
	o->socket_activated = 1;
}

void
options_parse(int argc, char **argv, struct broker_opts *o)
{
	int i = 1;

	set_defaults(o);
	while (i < argc) {
		options_set_current(i);
		if (strncmp(argv[i], "--", 2) == 0 && argv[i][2] != '\0')
			i += parse_long(argv, i, argc, o);
		else if (argv[i][0] == '-' && argv[i][1] != '\0' && argv[i][1] != '-')
			i += parse_short(argv, i, argc, o);
		else
			options_fail(argv[i], "unexpected argument");
	}
	options_set_current(-1);
	socket_activation(o);
	check_combination(o);
	/* In a user namespace of our own the privsep user has no id (userns.c). */
	if ((o->config.flags & CONFIG_USERNS) == 0)
		lookup_privsep_user(&o->config);
}

static void
usage(void)
{
	printf("usage: privfsd --shared-dir=DIR (--socket-path=PATH | --fd=N) [options]\n"
	    "\n"
	    "  --socket-path=PATH         listen for one vhost-user connection at PATH\n"
	    "  --fd=N                     use the inherited listening socket N instead\n"
	    "                             (fd 3 when started by systemd: LISTEN_FDS)\n"
	    "  --socket-group=GROUP       make the socket 0660 and owned by GROUP\n"
	    "  --shared-dir=DIR           directory to export (also -o source=DIR)\n"
	    "  --sandbox=namespace|chroot|none\n"
	    "  --seccomp=kill|log|trap|none\n"
	    "  --worker-restart=yes|no    replace a dead worker (default yes, no with --dax)\n"
	    "  --worker-userns=UID:GID:COUNT|USER\n"
	    "                             run the worker in a user namespace over that host\n"
	    "                             id range (USER: its range in /etc/subuid, subgid)\n"
	    "  --export-name=NAME         the export's name in the log (default: --shared-dir)\n"
	    "  --config=FILE [-n]         serve the exports of FILE (privfsd.conf(5)); -n: check it\n"
	    "  --log-level=error|warn|info|debug   (-d: debug)\n"
	    "  --syslog                   log to syslog instead of stderr\n"
	    "  -f, --foreground           accepted; privfsd never daemonizes\n"
	    "  --cache=auto|always|never|metadata\n"
	    "  --writeback  --allow-direct-io  --allow-mmap  --readonly  --no-readdirplus\n"
	    "  --xattr  --xattrmap=RULES  --posix-acl  --security-label\n"
	    "  --[no-]announce-submounts  --[no-]killpriv-v2  --preserve-noatime\n"
	    "  --rlimit-nofile=N          file descriptors the guest may hold open\n"
	    "  --memory-budget=MIB        worker memory the guest may hold (0: default)\n"
	    "  --thread-pool-size=N       worker threads (default 8; 0: none)\n"
	    "  --poll-max-ns=NS           wait awake for the next request (default 100000)\n"
	    "  --inode-file-handles=never|prefer|mandatory\n"
	    "  --inode-numbers=host|hashed\n"
	    "  --translate-uid=TYPE:FROM:TO:COUNT   --translate-gid=...\n"
	    "  --uid-map=:GUEST:HOST:COUNT:   --gid-map=...\n"
	    "  --tag=TAG                  serve the device config (tag) over GET_CONFIG\n"
	    "  --dax=never|always|inode   let the guest map files through a DAX window\n"
	    "  --dax-window=SIZE          the window (default 1G with --dax)\n"
	    "  --dax-vmm=shmem|fs-map     the VMM's map messages (default shmem)\n"
	    "  --migration-mode=find-paths|file-handles   how a destination finds nodes\n"
	    "  --migration-on-error=abort|guest-error     a node not found again\n"
	    "  --migration-verify-handles --migration-confirm-paths\n"
	    "  -o LIST                    options of the C virtiofsd (source=, cache=, ...)\n"
	    "  --print-capabilities       print the vhost-user backend JSON for libvirt\n"
	    "  -h, --help  -V, --version\n"
	    "\n"
	    "See privfsd(8).\n");
	exit(0);
}

static void
print_version(void)
{
	printf("privfsd %s\n", PACKAGE_VERSION);
	exit(0);
}

/*
 * --print-capabilities, in the JSON a management tool (libvirt) reads: the back-end's
 * type and the features of QEMU's vhost-user.json schema (type "fs") that are true.
 * "separate-options": the long options libvirt then passes (--shared-dir DIR, --cache,
 * --sandbox, --xattr, --thread-pool-size, --rlimit-nofile, --log-level, --uid-map,
 * --gid-map) are all ours. "migrate-precopy": the device state moves with the VMM's
 * SET_DEVICE_STATE_FD (--migration-mode, find-paths by default).
 */
static void
print_capabilities(void)
{
	printf("{\n  \"type\": \"fs\",\n  \"features\": [\n"
	    "    \"migrate-precopy\",\n    \"separate-options\"\n  ]\n}\n");
	exit(0);
}
