/*
 * Id mappings in the Rust virtiofsd's syntax, into msg_idmap entries (guest ids
 * [from, from + count) -> host ids). The worker applies them in both directions.
 *
 *   --translate-uid map:GUEST:HOST:COUNT     kind map
 *   --translate-uid guest:GUEST:HOST:COUNT   kind map (privfsd maps both directions)
 *   --translate-uid host:HOST:GUEST:COUNT    kind map, same range seen from the host
 *   --translate-uid squash-guest:GUEST:HOST:COUNT   kind squash: all to HOST
 *   --translate-uid forbid-guest:GUEST:COUNT        kind forbid (GUEST:X:COUNT also taken)
 *   --uid-map :GUEST:HOST:COUNT:             kind map (Rust: a user namespace mapping)
 * squash-host and forbid-host only change how host ids look to the guest; msg_idmap has
 * no such kind, so they are refused rather than silently ignored.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

#define IDMAP_MAP	1
#define IDMAP_SQUASH	2
#define IDMAP_FORBID	3

/* Up to 3 colon-separated u32 numbers from s; returns how many, or -1 on garbage. */
static int
parse_numbers(const char *s, uint32_t *out, int max)
{
	char		 buf[128], *p, *field;
	const char	*errstr;
	int		 n = 0;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf))
		return -1;
	p = buf;
	while ((field = strsep(&p, ":")) != NULL) {
		if (n == max)
			return -1;
		out[n++] = (uint32_t)strtonum(field, 0, UINT32_MAX, &errstr);
		if (errstr != NULL)
			return -1;
	}
	return n;
}

static const char *
idmap_add(struct msg_idmap *table, uint32_t kind, uint32_t from, uint32_t to,
    uint32_t count)
{
	int i;

	if (count == 0)
		return "count must not be 0";
	if ((uint64_t)from + count > (uint64_t)UINT32_MAX + 1)
		return "guest range overflows 32 bits";
	if (kind == IDMAP_MAP && (uint64_t)to + count > (uint64_t)UINT32_MAX + 1)
		return "host range overflows 32 bits";
	for (i = 0; i < CONFIG_MAX_IDMAP && table[i].kind != 0; i++)
		if (from < table[i].from + (uint64_t)table[i].count &&
		    table[i].from < from + (uint64_t)count)
			return "overlaps an earlier mapping of the same guest ids";
	if (i == CONFIG_MAX_IDMAP)
		return "too many mappings (8 at most per id type)";
	table[i].kind = kind;
	table[i].from = from;
	table[i].to = to;
	table[i].count = count;
	return NULL;
}

const char *
idmap_translate(const char *val, struct msg_idmap *table)
{
	const char	*colon = strchr(val, ':');
	size_t		 tlen;
	uint32_t	 v[3];
	int		 n;

	if (colon == NULL)
		return "expected TYPE:FROM:TO:COUNT";
	tlen = (size_t)(colon - val);
	n = parse_numbers(colon + 1, v, 3);
#define IS(t)	(tlen == strlen(t) && strncmp(val, t, tlen) == 0)
	if (IS("forbid-guest") && n == 2)
		return idmap_add(table, IDMAP_FORBID, v[0], 0, v[1]);
	if (IS("squash-host") || IS("forbid-host"))
		return "not supported: privfsd maps only ranges of guest ids";
	if (n != 3)
		return "expected TYPE:FROM:TO:COUNT with decimal numbers";
	if (IS("map") || IS("guest"))
		return idmap_add(table, IDMAP_MAP, v[0], v[1], v[2]);
	if (IS("host"))
		return idmap_add(table, IDMAP_MAP, v[1], v[0], v[2]);
	if (IS("squash-guest"))
		return idmap_add(table, IDMAP_SQUASH, v[0], v[1], v[2]);
	if (IS("forbid-guest"))
		return idmap_add(table, IDMAP_FORBID, v[0], 0, v[2]);
#undef IS
	return "unknown type (map, guest, host, squash-guest, forbid-guest)";
}

/* :GUEST:HOST:COUNT: (the outer colons are the Rust syntax; the last one may be left off) */
const char *
idmap_namespace(const char *val, struct msg_idmap *table)
{
	char		 buf[128];
	size_t		 len;
	uint32_t	 v[3];

	if (val[0] != ':')
		return "expected :GUEST:HOST:COUNT:";
	if ((len = strlcpy(buf, val + 1, sizeof(buf))) >= sizeof(buf))
		return "too long";
	if (len > 0 && buf[len - 1] == ':')
		buf[len - 1] = '\0';
	if (parse_numbers(buf, v, 3) != 3)
		return "expected :GUEST:HOST:COUNT: with decimal numbers";
	return idmap_add(table, IDMAP_MAP, v[0], v[1], v[2]);
}

/*
 * An unprivileged user's privfsd (userns.c): the worker's ids are those of the user
 * namespace, where only 0, the invoking user, exists. Without rules the table becomes
 * the namespace's own map, 0 to 0, so that a request from any other guest id is refused
 * (EPERM) before the worker tries an id the kernel would not take. Rules given must lead
 * to host id 0 only.
 */
const char *
idmap_userns(struct msg_idmap *table)
{
	int i;

	if (table[0].kind == 0)
		return idmap_namespace(":0:0:1:", table);
	for (i = 0; i < CONFIG_MAX_IDMAP && table[i].kind != 0; i++) {
		if (table[i].kind == IDMAP_MAP && (table[i].to != 0 || table[i].count != 1))
			return "maps to host ids other than 0, which do not exist in the "
			    "user namespace of an unprivileged privfsd (0 is the invoking user)";
		if (table[i].kind == IDMAP_SQUASH && table[i].to != 0)
			return "squashes to a host id other than 0, which does not exist in "
			    "the user namespace of an unprivileged privfsd (0 is the invoking "
			    "user)";
	}
	return NULL;
}

/*
 * --worker-userns (worker_userns.c): the worker's ids are those of its user namespace,
 * 0 to count - 1, the host range's ids in order. Without rules the table becomes that
 * range, so that a request from a guest id past it is refused (EPERM) before the worker
 * tries an id the kernel would not take. Rules given must lead into it.
 */
const char *
idmap_within(struct msg_idmap *table, uint32_t count)
{
	int i;

	if (table[0].kind == 0)
		return idmap_add(table, IDMAP_MAP, 0, 0, count);
	for (i = 0; i < CONFIG_MAX_IDMAP && table[i].kind != 0; i++) {
		if (table[i].kind == IDMAP_MAP &&
		    (uint64_t)table[i].to + table[i].count > count)
			return "maps to host ids outside the worker's user namespace: with "
			    "--worker-userns a rule's host ids are the namespace's, 0 to the "
			    "range's COUNT - 1";
		if (table[i].kind == IDMAP_SQUASH && table[i].to >= count)
			return "squashes to a host id outside the worker's user namespace: "
			    "with --worker-userns a rule's host ids are the namespace's, 0 to "
			    "the range's COUNT - 1";
	}
	return NULL;
}
