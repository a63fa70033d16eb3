/*
 * Guest <-> host id mapping (--uid-map/--gid-map/--translate-uid/--translate-gid).
 *
 * Rules (struct msg_idmap.kind): 1 maps guest [from, from+count) onto host [to, to+count);
 * 2 squashes guest [from, from+count) (every id when count is 0) onto host `to`; 3 forbids
 * guest [from, from+count). The first matching rule wins.
 *
 * A table with a map rule (kind 1) works like a user namespace: only the ids its rules
 * name exist. A guest id that no rule names is refused (EPERM for the request), and a host
 * id that no rule maps back shows as ID_OVERFLOW, as the kernel shows unmapped ids. Without
 * a map rule (squash and forbid rules only, or none) the other ids pass unchanged: those
 * rules change a few ids and leave the rest alone.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/syscall.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "worker.h"

#define IDMAP_MAP	1
#define IDMAP_SQUASH	2
#define IDMAP_FORBID	3
#define ID_FORBIDDEN	((uint32_t)-1)

static struct msg_idmap	uid_rules[CONFIG_MAX_IDMAP];
static struct msg_idmap	gid_rules[CONFIG_MAX_IDMAP];
static int		uid_closed, gid_closed;	/* a map rule: unnamed ids do not exist */
static int		uid_any, gid_any;	/* any rule at all */

static int
in_range(uint32_t id, uint32_t from, uint32_t count)
{
	return id >= from && (uint64_t)id - from < count;
}

static void
rules_copy(struct msg_idmap *dst, const struct msg_idmap *src, const char *what,
    int *closed, int *any)
{
	int i;

	*closed = *any = 0;
	for (i = 0; i < CONFIG_MAX_IDMAP; i++) {
		dst[i] = src[i];
		if (dst[i].kind > IDMAP_FORBID ||
		    (dst[i].kind == IDMAP_MAP &&
		    (uint64_t)dst[i].to + dst[i].count > (uint64_t)UINT32_MAX + 1)) {
			log_warnx("%s map rule %d ignored", what, i);
			dst[i].kind = 0;
		}
		if (dst[i].kind == IDMAP_MAP)
			*closed = 1;
		if (dst[i].kind != 0)
			*any = 1;
	}
}

void
idmap_init(const struct msg_config *cfg)
{
	rules_copy(uid_rules, cfg->uid_map, "uid", &uid_closed, &uid_any);
	rules_copy(gid_rules, cfg->gid_map, "gid", &gid_closed, &gid_any);
}

int
idmap_active(void)
{
	return uid_any || gid_any;
}

static uint32_t
to_host(const struct msg_idmap *rules, int closed, uint32_t id)
{
	int i;

	for (i = 0; i < CONFIG_MAX_IDMAP; i++) {
		const struct msg_idmap *m = &rules[i];

		switch (m->kind) {
		case IDMAP_MAP:
			if (in_range(id, m->from, m->count))
				return m->to + (id - m->from);
			break;
		case IDMAP_SQUASH:
			if (m->count == 0 || in_range(id, m->from, m->count))
				return m->to;
			break;
		case IDMAP_FORBID:
			if (in_range(id, m->from, m->count))
				return ID_FORBIDDEN;
			break;
		}
	}
	return closed ? ID_FORBIDDEN : id;
}

static uint32_t
to_guest(const struct msg_idmap *rules, int closed, uint32_t id)
{
	int i;

	for (i = 0; i < CONFIG_MAX_IDMAP; i++) {
		const struct msg_idmap *m = &rules[i];

		if (m->kind == IDMAP_MAP && in_range(id, m->to, m->count))
			return m->from + (id - m->to);
		if (m->kind == IDMAP_SQUASH && id == m->to)
			return m->from;
	}
	return closed ? ID_OVERFLOW : id;
}

uid_t
uid_to_host(uint32_t guest_uid)
{
	return (uid_t)to_host(uid_rules, uid_closed, guest_uid);
}

gid_t
gid_to_host(uint32_t guest_gid)
{
	return (gid_t)to_host(gid_rules, gid_closed, guest_gid);
}

uint32_t
uid_to_guest(uid_t host_uid)
{
	return to_guest(uid_rules, uid_closed, (uint32_t)host_uid);
}

uint32_t
gid_to_guest(gid_t host_gid)
{
	return to_guest(gid_rules, gid_closed, (uint32_t)host_gid);
}
