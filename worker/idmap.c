/*
 * Guest <-> host id mapping (--uid-map/--gid-map/--translate-uid/--translate-gid) and the
 * per-request credentials: each request runs with fsuid/fsgid set to the caller's mapped
 * ids, so the host kernel does the permission checks.
 *
 * Rules (struct msg_idmap.kind): 1 maps guest [from, from+count) onto host [to, to+count);
 * 2 squashes guest [from, from+count) (every id when count is 0) onto host `to`; 3 forbids
 * guest [from, from+count). The first matching rule wins; ids no rule names pass unchanged.
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
#include "wcore.h"

#define IDMAP_MAP	1
#define IDMAP_SQUASH	2
#define IDMAP_FORBID	3
#define ID_FORBIDDEN	((uint32_t)-1)

static struct msg_idmap	uid_rules[CONFIG_MAX_IDMAP];
static struct msg_idmap	gid_rules[CONFIG_MAX_IDMAP];

static int
in_range(uint32_t id, uint32_t from, uint32_t count)
{
	return id >= from && (uint64_t)id - from < count;
}

static void
rules_copy(struct msg_idmap *dst, const struct msg_idmap *src, const char *what)
{
	int i;

	for (i = 0; i < CONFIG_MAX_IDMAP; i++) {
		dst[i] = src[i];
		if (dst[i].kind > IDMAP_FORBID ||
		    (dst[i].kind == IDMAP_MAP &&
		    (uint64_t)dst[i].to + dst[i].count > (uint64_t)UINT32_MAX + 1)) {
			log_warnx("%s map rule %d ignored", what, i);
			dst[i].kind = 0;
		}
	}
}

void
idmap_init(const struct msg_config *cfg)
{
	rules_copy(uid_rules, cfg->uid_map, "uid");
	rules_copy(gid_rules, cfg->gid_map, "gid");
}

static uint32_t
to_host(const struct msg_idmap *rules, uint32_t id)
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
	return id;
}

static uint32_t
to_guest(const struct msg_idmap *rules, uint32_t id)
{
	int i;

	for (i = 0; i < CONFIG_MAX_IDMAP; i++) {
		const struct msg_idmap *m = &rules[i];

		if (m->kind == IDMAP_MAP && in_range(id, m->to, m->count))
			return m->from + (id - m->to);
		if (m->kind == IDMAP_SQUASH && id == m->to)
			return m->from;
	}
	return id;
}

uid_t
uid_to_host(uint32_t guest_uid)
{
	return (uid_t)to_host(uid_rules, guest_uid);
}

gid_t
gid_to_host(uint32_t guest_gid)
{
	return (gid_t)to_host(gid_rules, guest_gid);
}

uint32_t
uid_to_guest(uid_t host_uid)
{
	return to_guest(uid_rules, (uint32_t)host_uid);
}

uint32_t
gid_to_guest(gid_t host_gid)
{
	return to_guest(gid_rules, (uint32_t)host_gid);
}

/*
 * setfsuid/setfsgid are per thread (raw syscalls, not glibc's set*id broadcast) and report
 * no error: the only way to know the change took is to ask again with an invalid id.
 *
 * Each switch allocates kernel credentials, which costs more than a small read, so a
 * thread keeps the caller's ids after a request and switches only when the next request
 * maps to other ids. th_fsuid/th_fsgid are what this thread's fsuid/fsgid are now
 * (FSID_UNKNOWN at start: the first creds_enter() switches); every change of them goes
 * through fsid_switch() or restores the value it found (node_handle_fd, cmtime_as_owner).
 */
#define FSID_UNKNOWN	((uint32_t)-1)

static __thread uint32_t	th_fsuid = FSID_UNKNOWN;
static __thread uint32_t	th_fsgid = FSID_UNKNOWN;

static int
set_fsid(long nr, uint32_t id)
{
	syscall(nr, id);
	return (uint32_t)syscall(nr, (uint32_t)-1) == id ? 0 : -1;
}

/* 0, or -1 when one of them did not take (the cache then says unknown). */
static int
fsid_switch(uint32_t uid, uint32_t gid)
{
	if (gid != th_fsgid) {
		th_fsgid = FSID_UNKNOWN;
		if (set_fsid(SYS_setfsgid, gid) == -1) {
			log_warnx("setfsgid %u did not take", gid);
			return -1;
		}
		th_fsgid = gid;
	}
	if (uid != th_fsuid) {
		th_fsuid = FSID_UNKNOWN;
		if (set_fsid(SYS_setfsuid, uid) == -1) {
			log_warnx("setfsuid %u did not take", uid);
			return -1;
		}
		th_fsuid = uid;
	}
	return 0;
}

int
creds_enter(uint32_t guest_uid, uint32_t guest_gid)
{
	uint32_t uid = uid_to_host(guest_uid), gid = gid_to_host(guest_gid);

	if (uid == ID_FORBIDDEN || gid == ID_FORBIDDEN)
		return EPERM;
	if (fsid_switch(uid, gid) == -1) {
		creds_leave();
		return EPERM;
	}
	return 0;
}

void
creds_leave(void)
{
	/* Back to the worker's own ids (root in the namespace); fatal if that fails. */
	if (fsid_switch((uint32_t)geteuid(), (uint32_t)getegid()) == -1)
		fatalx("cannot restore fsuid/fsgid");
}

/*
 * fsuid 0 for one call on this thread: it brings the file system capabilities back into
 * the effective set. Returns the fsuid to give to creds_fsuid_restore(), which checks
 * that it took: the thread goes on serving its caller with it.
 */
uint32_t
creds_fsuid_zero(void)
{
	th_fsuid = FSID_UNKNOWN;
	return (uint32_t)syscall(SYS_setfsuid, 0);
}

void
creds_fsuid_restore(uint32_t old)
{
	if (set_fsid(SYS_setfsuid, old) == -1)
		fatalx("cannot restore fsuid %u", old);
	th_fsuid = old;
}
