/* Guest name checks: every rejected form of a hostile name (doc/security.md) and the limits. */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "names.h"
#include "check.h"

int
main(void)
{
	char long_name[NAME_MAX + 2];

	CHECK(name_check("a", 1, 0) == 0);
	CHECK(name_check("file.txt", 8, 0) == 0);
	CHECK(name_check("", 0, 0) == EINVAL);
	CHECK(name_check("a/b", 3, 0) == EINVAL);
	CHECK(name_check("/", 1, 0) == EINVAL);
	CHECK(name_check("/etc", 4, 0) == EINVAL);
	CHECK(name_check("a\0b", 3, 0) == EINVAL);
	CHECK(name_check(".", 1, 0) == EINVAL);
	CHECK(name_check("..", 2, 0) == EINVAL);
	CHECK(name_check(".", 1, NAME_OK_DOTS) == 0);
	CHECK(name_check("..", 2, NAME_OK_DOTS) == 0);
	CHECK(name_check("../x", 4, NAME_OK_DOTS) == EINVAL);
	CHECK(name_check("...", 3, 0) == 0);
	CHECK(name_check(".hidden", 7, 0) == 0);
	memset(long_name, 'x', sizeof(long_name));
	CHECK(name_check(long_name, NAME_MAX, 0) == 0);
	CHECK(name_check(long_name, NAME_MAX + 1, 0) == ENAMETOOLONG);

	CHECK(link_target_check("../../etc/passwd", 16) == 0);	/* stored, never followed */
	CHECK(link_target_check("", 0) == ENOENT);
	CHECK(link_target_check("a\0b", 3) == EINVAL);
	CHECK(link_target_check("x", PATH_MAX) == ENAMETOOLONG);

	CHECK(xattr_name_check("user.a", 6) == 0);
	CHECK(xattr_name_check("", 0) == ERANGE);
	CHECK(xattr_name_check("user.\0", 6) == EINVAL);
	CHECK(xattr_name_check("user.a", 256) == ERANGE);
	return check_done("test_names");
}
