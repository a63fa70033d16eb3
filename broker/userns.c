/*
 * privfsd started by a user other than root. The sandboxes need capabilities (a mount
 * namespace, pivot_root, the worker's file operations on behalf of the guest), which such
 * a user has nowhere but in a user namespace of its own. So, like the Rust virtiofsd, the
 * broker first makes one in which the invoking user is root and nobody else exists
 * ("0 UID 1", setgroups denied), and everything it starts runs there with the sandbox
 * code unchanged. What any process gains there is power over what the user owns already;
 * nothing in the host's initial user namespace.
 *
 * What changes (privfsd(8), "Running as an unprivileged user"): the privsep user does not
 * exist in the namespace, so the frontend stays uid 0 with no capabilities (sandbox.c);
 * the guest sees one owner, 0, and only guest id 0 exists unless id rules say otherwise
 * (options_idmap.c); open_by_handle_at needs CAP_DAC_READ_SEARCH in the initial
 * namespace, so there are no file handles.
 */
#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"

int
userns_write_proc(const char *path, const char *text)
{
	size_t	len = strlen(text);
	ssize_t	n;
	int	fd, saved;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, text, len);
	saved = errno;
	close(fd);
	errno = saved;
	if (n == -1)
		return -1;
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Why unshare(CLONE_NEWUSER) failed, in the words of the knob that decides it. */
static const char *
unshare_hint(int error)
{
	switch (error) {
	case EPERM:
		return " (unprivileged user namespaces disabled or restricted: sysctl "
		    "kernel.unprivileged_userns_clone or "
		    "kernel.apparmor_restrict_unprivileged_userns, or a seccomp filter)";
	case ENOSPC:
		return " (sysctl user.max_user_namespaces)";
	case EUSERS:
		return " (user namespaces nested too deeply)";
	default:
		return "";
	}
}

/*
 * What the user asked for that a user namespace cannot give: said before anything
 * starts, and refused where nothing else would do.
 */
void
userns_adjust(struct broker_opts *o)
{
	struct msg_config	*c = &o->config;
	const char		*why;

	if ((why = idmap_userns(c->uid_map)) != NULL)
		fatalx("--uid-map/--translate-uid: %s", why);
	if ((why = idmap_userns(c->gid_map)) != NULL)
		fatalx("--gid-map/--translate-gid: %s", why);

	userns_no_file_handles(c, "an unprivileged user's privfsd");
}

/* open_by_handle_at needs CAP_DAC_READ_SEARCH in the host's initial user namespace. */
void
userns_no_file_handles(struct msg_config *c, const char *whose)
{
	if (c->migration_mode == MIGRATION_FILE_HANDLES)
		fatalx("--migration-mode=file-handles: open_by_handle_at needs "
		    "CAP_DAC_READ_SEARCH in the host's user namespace, which %s never has; "
		    "use --migration-mode=find-paths", whose);
	if (c->inode_file_handles == FILE_HANDLES_MANDATORY)
		fatalx("--inode-file-handles=mandatory: open_by_handle_at needs "
		    "CAP_DAC_READ_SEARCH in the host's user namespace, which %s never has",
		    whose);
	if (c->inode_file_handles == FILE_HANDLES_PREFER) {
		log_warnx("--inode-file-handles=prefer: no file handles for %s "
		    "(open_by_handle_at needs CAP_DAC_READ_SEARCH in the host's user "
		    "namespace); the worker keeps an fd per inode", whose);
		c->inode_file_handles = FILE_HANDLES_NEVER;
	}
}

void
userns_enter(void)
{
	uid_t	uid = geteuid();
	gid_t	gid = getegid();
	char	map[64];
	int	n;

	if (unshare(CLONE_NEWUSER) == -1) {
		n = errno;
		fatalx("not started as root, and cannot make the user namespace privfsd then "
		    "needs: unshare(CLONE_NEWUSER): %s%s", strerror(n), unshare_hint(n));
	}
	/* An unprivileged process may write gid_map only once setgroups is denied. */
	if (userns_write_proc("/proc/self/setgroups", "deny") == -1)
		fatal("/proc/self/setgroups");
	n = snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)uid);
	if (n < 0 || (size_t)n >= sizeof(map))
		fatalx("uid_map too long");
	if (userns_write_proc("/proc/self/uid_map", map) == -1)
		fatal("/proc/self/uid_map");
	n = snprintf(map, sizeof(map), "0 %lu 1\n", (unsigned long)gid);
	if (n < 0 || (size_t)n >= sizeof(map))
		fatalx("gid_map too long");
	if (userns_write_proc("/proc/self/gid_map", map) == -1)
		fatal("/proc/self/gid_map");
	if (getuid() != 0 || geteuid() != 0 || getgid() != 0 || getegid() != 0)
		fatalx("not uid/gid 0 in the new user namespace");
	/* Once, for whoever reads the log: the separation is not what privfsd(8) says first. */
	log_warnx("running as uid %lu, not root: in a user namespace of our own, where the "
	    "frontend keeps uid 0 (this user) without capabilities instead of the user %s; "
	    "the guest sees this user's files as uid/gid 0, and no other guest id exists "
	    "but through id rules (privfsd(8), \"Running as an unprivileged user\")",
	    (unsigned long)uid, PRIVSEP_USER);
}
