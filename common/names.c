/*
 * Checks on guest-supplied names (doc/security.md, invariant 2): applied by the frontend
 * when it parses, and again by the worker before any *at() call.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <linux/limits.h>

#include "names.h"

int
name_check(const char *name, size_t len, int flags)
{
	if (len == 0)
		return EINVAL;
	if (len > NAME_MAX)
		return ENAMETOOLONG;
	if (memchr(name, '\0', len) != NULL || memchr(name, '/', len) != NULL)
		return EINVAL;
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return (flags & NAME_OK_DOTS) ? 0 : EINVAL;
	return 0;
}

int
link_target_check(const char *target, size_t len)
{
	if (len == 0)
		return ENOENT;	/* what symlink(2) says of an empty target */
	if (len >= PATH_MAX)
		return ENAMETOOLONG;
	if (memchr(target, '\0', len) != NULL)
		return EINVAL;
	return 0;
}

int
xattr_name_check(const char *name, size_t len)
{
	if (len == 0)
		return ERANGE;	/* what setxattr(2) says of an empty name */
	if (len > XATTR_NAME_MAX)
		return ERANGE;
	if (memchr(name, '\0', len) != NULL)
		return EINVAL;
	return 0;
}
