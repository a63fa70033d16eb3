/*
 * The --xattrmap rule engine (worker/xattrmap.c, built into this test): parsing in
 * virtiofsd's syntax, and names mapped both ways with prefix, ok, bad, unsupported and
 * map rules.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "log.h"
#include "xattrmap.h"

static char	out[256];

static int
to_server(const char *name)
{
	memset(out, 0, sizeof(out));
	return xattrmap_to_server(name, out, sizeof(out));
}

/* The guest's view of a host name, or "" when hidden. */
static const char *
to_client(const char *name)
{
	memset(out, 0, sizeof(out));
	if (xattrmap_to_client(name, out, sizeof(out)) == -1)
		return "";
	return out;
}

static void
test_parse(void)
{
	CHECK(xattrmap_parse("") == 0 && !xattrmap_active());
	CHECK(xattrmap_parse("  \n ") == 0 && !xattrmap_active());
	CHECK(xattrmap_parse(":ok:all:::") == 0 && xattrmap_active());
	CHECK(xattrmap_parse(":bogus:all:::") == -1 && !xattrmap_active());
	CHECK(xattrmap_parse(":ok:nowhere:::") == -1);
	CHECK(xattrmap_parse(":ok:all::") == -1);		/* missing field */
	CHECK(xattrmap_parse(":ok:all:::x") == -1);		/* trailing junk */
	CHECK(xattrmap_parse(":map:a.:b.::ok:all:::") == -1);	/* map not last */
	CHECK(xattrmap_parse("/ok/all/:/:/") == 0);		/* any separator */
}

static void
test_prefix_all(void)
{
	/* example 1 of the virtiofsd documentation */
	CHECK(xattrmap_parse(":prefix:all::user.virtiofs.::bad:all:::") == 0);
	CHECK(to_server("trusted.overlay.x") == 0 &&
	    strcmp(out, "user.virtiofs.trusted.overlay.x") == 0);
	CHECK(to_server("user.a") == 0 && strcmp(out, "user.virtiofs.user.a") == 0);
	CHECK(strcmp(to_client("user.virtiofs.security.selinux"), "security.selinux") == 0);
	CHECK(strcmp(to_client("security.selinux"), "") == 0);	/* the host's own: hidden */
	CHECK(strcmp(to_client("user.virtiofs."), "") == 0);
}

static void
test_selective(void)
{
	/* example 2: prefix trusted., keep the rest, guard the prefix */
	CHECK(xattrmap_parse("/prefix/all/trusted./user.virtiofs./\n"
	    "/bad/server//trusted./\n/bad/client/user.virtiofs.//\n/ok/all///") == 0);
	CHECK(to_server("trusted.a") == 0 && strcmp(out, "user.virtiofs.trusted.a") == 0);
	CHECK(to_server("user.virtiofs.x") == EPERM);
	CHECK(to_server("user.plain") == 0 && strcmp(out, "user.plain") == 0);
	CHECK(strcmp(to_client("user.virtiofs.trusted.a"), "trusted.a") == 0);
	CHECK(strcmp(to_client("trusted.host"), "") == 0);
	CHECK(strcmp(to_client("user.plain"), "user.plain") == 0);
}

static void
test_map_unsupported(void)
{
	CHECK(xattrmap_parse(":map:trusted.:user.virtiofs.:") == 0);
	CHECK(to_server("trusted.a") == 0 && strcmp(out, "user.virtiofs.trusted.a") == 0);
	CHECK(to_server("user.virtiofs.a") == EPERM);
	CHECK(to_server("security.x") == 0 && strcmp(out, "security.x") == 0);
	CHECK(strcmp(to_client("trusted.host"), "") == 0);
	CHECK(strcmp(to_client("user.virtiofs.trusted.a"), "trusted.a") == 0);
	CHECK(strcmp(to_client("user.other"), "user.other") == 0);

	CHECK(xattrmap_parse(":map::user.g.:") == 0);
	CHECK(to_server("security.x") == 0 && strcmp(out, "user.g.security.x") == 0);
	CHECK(strcmp(to_client("user.g.a"), "a") == 0);
	CHECK(strcmp(to_client("user.h"), "") == 0);

	CHECK(xattrmap_parse("/unsupported/all/security.selinux/security.selinux/"
	    "/ok/all///") == 0);
	CHECK(to_server("security.selinux") == EOPNOTSUPP);
	CHECK(strcmp(to_client("security.selinux"), "") == 0);
	CHECK(to_server("user.x") == 0);

	/* no catch-all: what no rule names is refused and hidden */
	CHECK(xattrmap_parse(":ok:client:user.::") == 0);
	CHECK(to_server("user.x") == 0 && to_server("trusted.x") == EPERM);
	CHECK(strcmp(to_client("user.x"), "") == 0);

	/* prefixing past XATTR_NAME_MAX */
	CHECK(xattrmap_parse(":prefix:all::user.virtiofs.::bad:all:::") == 0);
	memset(out, 'a', 250);
	out[250] = '\0';
	{
		char	name[256];

		strlcpy(name, out, sizeof(name));
		CHECK(xattrmap_to_server(name, out, XATTR_NAME_MAX + 1) == ERANGE);
	}
}

int
main(void)
{
	log_init(0, LOG_LEVEL_ERROR);
	test_parse();
	test_prefix_all();
	test_selective();
	test_map_unsupported();
	return check_done("ops-xattrmap");
}
