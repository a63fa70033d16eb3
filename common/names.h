/*
 * Checks on names that come from the guest. The frontend applies them when it parses a
 * request; the worker applies them again before any *at() call (doc/security.md, invariant 2).
 */
#ifndef PRIVFSD_NAMES_H
#define PRIVFSD_NAMES_H

#include <stddef.h>

#define NAME_OK_DOTS	0x1	/* "." and ".." are allowed (LOOKUP only) */

/*
 * One path component: 1..NAME_MAX bytes, no '/', no NUL within len; "." and ".." only with
 * NAME_OK_DOTS. Returns 0 or an errno value (EINVAL, ENAMETOOLONG, EPERM for dots).
 */
int	name_check(const char *name, size_t len, int flags);
/* A symlink target: 1..PATH_MAX-1 bytes, no NUL within len. 0 or an errno value. */
int	link_target_check(const char *target, size_t len);
/* An xattr name: 1..XATTR_NAME_MAX bytes, no NUL within len. 0 or an errno value. */
int	xattr_name_check(const char *name, size_t len);

#endif
