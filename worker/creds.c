/*
 * Who a worker thread is while it serves a request: the caller's mapped host ids as
 * fsuid/fsgid, and in its effective capability set only what a local process of that
 * host uid would have. Capabilities are per thread in Linux, so each thread carries its
 * current caller's set and nothing a request can do reaches another thread's.
 *
 *	mapped host uid 0	the worker's file capabilities (CHOWN, DAC_OVERRIDE,
 *				FOWNER, FSETID, MKNOD, SETFCAP, DAC_READ_SEARCH if kept)
 *	any other uid		none
 *
 * CAP_SETUID and CAP_SETGID stay in the permitted set and are effective only inside
 * the switch itself. The few operations where local semantics need more than the
 * caller has are in privop.c, each on exactly the object it checked; nothing else
 * raises a capability (tests/worker/privop-audit.sh keeps it so).
 *
 * setfsuid/setfsgid report no error: the only way to know a change took is to ask again
 * with an invalid id. Each switch allocates kernel credentials, which costs more than a
 * small read, so a thread keeps its caller's ids and capabilities after a request and
 * switches only when the next request maps to other ids.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

#define FSID_UNKNOWN	((uint32_t)-1)
#define ID_FORBIDDEN	((uint32_t)-1)
#define CAPBIT(c)	(1ULL << (c))
#define SWITCH_CAPS	(CAPBIT(CAP_SETUID) | CAPBIT(CAP_SETGID))

static __thread uint32_t	th_fsuid = FSID_UNKNOWN;
static __thread uint32_t	th_fsgid = FSID_UNKNOWN;
static __thread uint64_t	th_eff;		/* this thread's effective set, as set */
static __thread int		th_known;	/* th_eff is what the kernel has */

static struct __user_cap_data_struct	caps_base[2];	/* permitted, inheritable */
static uint64_t				caps_root;	/* effective for host uid 0 */

static uint64_t
caps_permitted(void)
{
	return (uint64_t)caps_base[1].permitted << 32 | caps_base[0].permitted;
}

void
creds_init(void)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };

	if (syscall(SYS_capget, &hdr, caps_base) == -1)
		fatal("capget");
	caps_root = caps_permitted() & ~SWITCH_CAPS;
	creds_leave();
}

/* This thread's effective set becomes eff (within the permitted set). */
static void
caps_effective(uint64_t eff)
{
	struct __user_cap_header_struct	hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct	d[2];

	if (th_known && th_eff == eff)
		return;
	d[0] = caps_base[0];
	d[1] = caps_base[1];
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	/* pid 0 is the calling thread; a failure would leave the wrong set: fatal. */
	if (syscall(SYS_capset, &hdr, d) == -1)
		fatal("capset %#llx", (unsigned long long)eff);
	th_eff = eff;
	th_known = 1;
}

uint64_t
caps_for_uid(uint32_t host_uid)
{
	return host_uid == 0 ? caps_root : 0;
}

uint64_t
caps_raise(uint64_t caps)
{
	uint64_t old = th_known ? th_eff : caps_for_uid(th_fsuid);

	if ((caps & ~caps_permitted()) != 0)
		return UINT64_MAX;
	caps_effective(old | caps);
	return old;
}

void
caps_restore(uint64_t old)
{
	caps_effective(old);
}

uint32_t
creds_host_uid(void)
{
	return th_fsuid;
}

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
	if (uid == th_fsuid && gid == th_fsgid)
		return 0;
	caps_effective((th_known ? th_eff : 0) | SWITCH_CAPS);
	if (gid != th_fsgid) {
		th_fsgid = FSID_UNKNOWN;
		if (set_fsid(SYS_setfsgid, gid) == -1) {
			log_warnx_rl("setfsgid %u did not take", gid);	/* per request */
			return -1;
		}
		th_fsgid = gid;
	}
	if (uid != th_fsuid) {
		th_fsuid = FSID_UNKNOWN;
		if (set_fsid(SYS_setfsuid, uid) == -1) {
			log_warnx_rl("setfsuid %u did not take", uid);	/* per request */
			return -1;
		}
		th_fsuid = uid;
	}
	/* setfsuid moved the file capabilities by its own rules: set them as we mean. */
	th_known = 0;
	caps_effective(caps_for_uid(uid));
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
	/*
	 * Back to the worker's own ids (root in the namespace) with no effective
	 * capability: a thread that acts for nobody needs none. Fatal if that fails.
	 */
	if (fsid_switch((uint32_t)geteuid(), (uint32_t)getegid()) == -1)
		fatalx("cannot restore fsuid/fsgid");
	caps_effective(0);
	/* Not a caller's state: the next creds_enter() switches and sets the caps again. */
	th_fsuid = FSID_UNKNOWN;
}
