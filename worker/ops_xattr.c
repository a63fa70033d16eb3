/*
 * SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR. There is no xattr call that takes an O_PATH
 * fd, so the call goes to the node's name under /proc/self/fd, with this thread's own
 * cwd (ops_thread_fs) set there: the magic link leads to the inode itself, symlinks and
 * special files included, and nothing the guest named is resolved.
 * Names pass the --xattrmap rules both ways; POSIX ACLs only with --posix-acl.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/xattr.h>
#include <endian.h>
#include <linux/fuse.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "worker.h"
#include "xattrmap.h"

#define ACL_PREFIX	"system.posix_acl_"
#define ACL_ACCESS	"system.posix_acl_access"
#define FILE_CAPS	"security.capability"

/* The POSIX ACL xattr value: a version word, then 8-byte entries (tag, perm, id). */
#define ACL_XATTR_VERSION	2
#define ACL_XATTR_ENTRY		8
#define ACL_TAG_USER		0x02
#define ACL_TAG_GROUP		0x08

enum xattr_op { XA_GET, XA_SET, XA_LIST, XA_REMOVE };

struct xattr_call {
	enum xattr_op	 op;
	const char	*name;
	void		*buf;		/* GET/LIST: out; SET: the value */
	size_t		 size;
	int		 flags;
	int		 kill_sgid;	/* SET: FUSE_SETXATTR_ACL_KILL_SGID on an ACL */
	int		 acl_ids;	/* GET: an ACL value whose ids go back to the guest's */
};

static pthread_once_t	xattrmap_once = PTHREAD_ONCE_INIT;
static int		xattrmap_broken;

static void
xattrmap_load(void)
{
	const char	*spec = wk_config.xattrmap;

#ifdef PRIVFSD_TEST_HOOKS
	/* Test builds: the worker harness passes rules in the environment instead. */
	if (spec[0] == '\0' && getenv("PRIVFSD_TEST_XATTRMAP") != NULL)
		spec = getenv("PRIVFSD_TEST_XATTRMAP");
#endif
	if (xattrmap_parse(spec) == -1) {
		log_warnx("xattrmap rules rejected: every xattr call fails");
		xattrmap_broken = 1;
	}
}

/* Back to the export's root, so no relative name of ours ever lands in /proc. */
static void
cwd_leave_proc(void)
{
	struct wnode	*root;
	int		 err;

	if ((root = node_get(FUSE_ROOT_ID, &err)) == NULL)
		return;
	if (fchdir(node_fd(root)) == -1)
		log_debug("fchdir to the export root failed");
	node_put(root);
}

/* Returns the byte count (GET/LIST) or 0, or -errno. */
static ssize_t
xattr_do(int fd, const struct xattr_call *c)
{
	char	proc[PROCFD_NAME_LEN];
	ssize_t	ret;
	int	err;

	if ((err = ops_thread_fs()) != 0 || (err = procfd_name(fd, proc)) != 0)
		return -EOPNOTSUPP;
	if (fchdir(wk_proc_self_fd) == -1)
		return -errno;
	switch (c->op) {
	case XA_GET:
		ret = getxattr(proc, c->name, c->buf, c->size);
		break;
	case XA_SET:
		ret = setxattr(proc, c->name, c->buf, c->size, c->flags);
		break;
	case XA_LIST:
		ret = listxattr(proc, c->buf, c->size);
		break;
	case XA_REMOVE:
	default:
		ret = removexattr(proc, c->name);
		break;
	}
	err = errno;
	cwd_leave_proc();
	return ret == -1 ? -err : ret;
}

int
ops_xattr_label(int fd, const char *name, const void *value, size_t len)
{
	struct xattr_call	c;
	char			host[XATTR_NAME_MAX + 1];
	ssize_t			ret;
	int			err;

	/* The label's name goes through the same mapping as any xattr name. */
	pthread_once(&xattrmap_once, xattrmap_load);
	if (xattrmap_broken)
		return EIO;
	if (!xattrmap_active()) {
		if (strlcpy(host, name, sizeof(host)) >= sizeof(host))
			return ERANGE;
	} else if ((err = xattrmap_to_server(name, host, sizeof(host))) != 0)
		return err;
	memset(&c, 0, sizeof(c));
	c.op = XA_SET;
	c.name = host;
	c.buf = (void *)(uintptr_t)value;
	c.size = len;
	ret = xattr_do(fd, &c);
	return ret < 0 ? (int)-ret : 0;
}

/*
 * Policy for a guest name: xattrs enabled, ACL names only with --posix-acl, then the
 * mapping. 0 with the host name in out, or an errno value.
 */
static int
xattr_name_in(const char *name, char out[XATTR_NAME_MAX + 1])
{
	int	err;

	if ((wk_config.flags & CONFIG_XATTR) == 0)
		return ENOSYS;		/* as virtiofsd without -o xattr */
	if ((err = xattr_name_check(name, strlen(name))) != 0)
		return err;
	if (strncmp(name, ACL_PREFIX, strlen(ACL_PREFIX)) == 0 &&
	    (wk_config.flags & CONFIG_POSIX_ACL) == 0)
		return EOPNOTSUPP;
	pthread_once(&xattrmap_once, xattrmap_load);
	if (xattrmap_broken)
		return EIO;
	if (!xattrmap_active())
		return strlcpy(out, name, XATTR_NAME_MAX + 1) > XATTR_NAME_MAX ? ERANGE : 0;
	return xattrmap_to_server(name, out, XATTR_NAME_MAX + 1);
}

/*
 * POSIX ACL values carry ids in their ACL_USER and ACL_GROUP entries. Under id rules
 * those are the guest's ids on the way in and the host's on the way out, like a file's
 * owner: translated both ways, and an entry whose id no rule maps is refused (EINVAL, as
 * the kernel refuses an id outside a user namespace). Without rules nothing changes.
 */
static int
acl_is(const char *guest_name)
{
	return strncmp(guest_name, ACL_PREFIX, strlen(ACL_PREFIX)) == 0 && idmap_active();
}

static int
acl_translate(uint8_t *v, size_t len, int to_host)
{
	uint32_t	ver, id, nid;
	uint16_t	tag;
	size_t		off;

	if (len < 4 || (len - 4) % ACL_XATTR_ENTRY != 0)
		return EINVAL;
	memcpy(&ver, v, 4);
	if (le32toh(ver) != ACL_XATTR_VERSION)
		return EINVAL;
	for (off = 4; off < len; off += ACL_XATTR_ENTRY) {
		memcpy(&tag, v + off, 2);
		memcpy(&id, v + off + 4, 4);
		id = le32toh(id);
		switch (le16toh(tag)) {
		case ACL_TAG_USER:
			nid = to_host ? (uint32_t)uid_to_host(id) : uid_to_guest(id);
			break;
		case ACL_TAG_GROUP:
			nid = to_host ? (uint32_t)gid_to_host(id) : gid_to_guest(id);
			break;
		default:
			continue;
		}
		if (nid == (uint32_t)-1)
			return EINVAL;
		nid = htole32(nid);
		memcpy(v + off + 4, &nid, 4);
	}
	return 0;
}

/*
 * Changing file capabilities takes CAP_SETFCAP, which the worker holds for everyone;
 * locally only a privileged caller has it (the guest kernel checks the same).
 */
static int
xattr_caps_check(const struct wreq *req, const char *name)
{
	if (strcmp(name, FILE_CAPS) == 0 && !ops_caller_root(req))
		return EPERM;
	return 0;
}

/* Parse msg_xattr (when m is not NULL) + name. 0 or an errno value. */
static int
xattr_parse_named(struct wreq *req, struct msg_reader *r, struct msg_xattr *m,
    char name[XATTR_NAME_MAX + 1])
{
	if (ops_begin(req, r, m, m != NULL ? sizeof(*m) : 0) != 0 ||
	    msg_get_str(r, name, XATTR_NAME_MAX + 1) == -1)
		return EINVAL;
	return 0;
}

/* Run c on the request's node and answer: a count, the bytes, or the error. */
static void
xattr_node_reply(struct wreq *req, struct xattr_call *c, int want_data)
{
	struct wnode	*node;
	ssize_t		 ret;

	if ((node = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	ret = xattr_do(node_fd(node), c);
	/* A host ACL that does not parse is not the guest's to see. */
	if (ret > 0 && c->acl_ids && c->size > 0 &&
	    acl_translate(c->buf, (size_t)ret, 0) != 0)
		ret = -EIO;
	/* ACL_KILL_SGID: the caller is not in the group; locally SGID would go. */
	if (ret >= 0 && c->kill_sgid)
		ret = -ops_kill_suidgid(node, -1, 1);
	node_put(node);
	if (ret < 0)
		reply_status(req, (int)-ret);
	else if (!want_data)
		reply_status(req, 0);
	else if (c->size == 0)
		reply_count(req, (uint64_t)ret);
	else
		reply_data(req, c->buf, (size_t)ret);
}

void
op_getxattr(struct wreq *req)
{
	struct msg_reader	r;
	struct msg_xattr	m;
	struct xattr_call	c;
	char			name[XATTR_NAME_MAX + 1], host[XATTR_NAME_MAX + 1];
	int			err;

	if ((err = xattr_parse_named(req, &r, &m, name)) == 0 && msg_end(&r) == -1)
		err = EINVAL;
	if (err == 0 && (err = xattr_name_in(name, host)) == EPERM)
		err = ENODATA;		/* a "bad" name reads as absent, as in virtiofsd */
	if (err != 0) {
		reply_status(req, err);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.op = XA_GET;
	c.name = host;
	c.acl_ids = acl_is(name);
	c.size = m.size > MSG_MAX_XATTR ? MSG_MAX_XATTR : m.size;
	if (c.size > 0 && (c.buf = calloc(1, c.size)) == NULL) {
		reply_status(req, ENOMEM);
		return;
	}
	xattr_node_reply(req, &c, 1);
	free(c.buf);
}

/*
 * What SETXATTR and REMOVEXATTR check once parsed (err: the parse result), in this order:
 * xattrs on, the export writable, the name allowed and mapped into host. 0 to go on;
 * otherwise the request has been answered.
 */
static int
xattr_change_check(struct wreq *req, int err, const char *name, char *host)
{
	/* ENOSYS as virtiofsd without -o xattr: Linux then stops sending this request. */
	if (err == 0 && (wk_config.flags & CONFIG_XATTR) == 0)
		err = ENOSYS;
	if (err != 0) {
		reply_status(req, err);
		return -1;
	}
	if (ops_readonly(req))
		return -1;
	if ((err = xattr_name_in(name, host)) != 0 ||
	    (err = xattr_caps_check(req, name)) != 0) {
		reply_status(req, err);
		return -1;
	}
	return 0;
}

void
op_setxattr(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_xattr	 m;
	struct xattr_call	 c;
	const uint8_t		*value;
	uint32_t		 vlen;
	char			 name[XATTR_NAME_MAX + 1], host[XATTR_NAME_MAX + 1];
	int			 err;

	if ((err = xattr_parse_named(req, &r, &m, name)) == 0 &&
	    (msg_get_bytes(&r, &value, &vlen, MSG_MAX_XATTR) == -1 ||
	    msg_end(&r) == -1 || vlen != m.size ||
	    (m.flags & ~(XATTR_CREATE | XATTR_REPLACE)) != 0))
		err = EINVAL;
	if (xattr_change_check(req, err, name, host) != 0)
		return;
	memset(&c, 0, sizeof(c));
	c.op = XA_SET;
	c.name = host;
	/* The payload is this request's own copy: ACL ids are translated in place. */
	c.buf = (void *)(uintptr_t)value;
	c.size = vlen;
	if (acl_is(name) && (err = acl_translate(c.buf, c.size, 1)) != 0) {
		reply_status(req, err);
		return;
	}
	c.flags = (int)m.flags;
	if ((m.setxattr_flags & FUSE_SETXATTR_ACL_KILL_SGID) &&
	    strcmp(name, ACL_ACCESS) == 0)
		c.kill_sgid = 1;
	xattr_node_reply(req, &c, 0);
}

void
op_removexattr(struct wreq *req)
{
	struct msg_reader	r;
	struct xattr_call	c;
	char			name[XATTR_NAME_MAX + 1], host[XATTR_NAME_MAX + 1];
	int			err;

	if ((err = xattr_parse_named(req, &r, NULL, name)) == 0 && msg_end(&r) == -1)
		err = EINVAL;
	if (xattr_change_check(req, err, name, host) != 0)
		return;
	memset(&c, 0, sizeof(c));
	c.op = XA_REMOVE;
	c.name = host;
	xattr_node_reply(req, &c, 0);
}

/* Keep only the names the rules show the guest, renamed; returns the new length. */
static size_t
xattr_list_filter(const char *in, size_t len, char *out)
{
	char	 shown[XATTR_NAME_MAX + 1];
	size_t	 off = 0, n, outlen = 0;

	while (off < len) {
		n = strnlen(in + off, len - off);
		if (off + n == len)
			break;		/* no NUL: not a name the kernel gave us */
		if (xattrmap_to_client(in + off, shown, sizeof(shown)) == 0) {
			memcpy(out + outlen, shown, strlen(shown) + 1);
			outlen += strlen(shown) + 1;
		}
		off += n + 1;
	}
	return outlen;
}

void
op_listxattr(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_xattr	 m;
	struct xattr_call	 c;
	struct wnode		*node;
	char			*out = NULL;
	ssize_t			 ret;
	size_t			 len;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1) {
		reply_status(req, EINVAL);
		return;
	}
	if ((wk_config.flags & CONFIG_XATTR) == 0) {
		reply_status(req, ENOSYS);	/* as in xattr_change_check() */
		return;
	}
	pthread_once(&xattrmap_once, xattrmap_load);
	memset(&c, 0, sizeof(c));
	c.op = XA_LIST;
	c.size = m.size > MSG_MAX_XATTR ? MSG_MAX_XATTR : m.size;
	if (!xattrmap_active()) {
		if (c.size > 0 && (c.buf = calloc(1, c.size)) == NULL) {
			reply_status(req, ENOMEM);
			return;
		}
		xattr_node_reply(req, &c, 1);
		free(c.buf);
		return;
	}
	/* With rules, the guest's size is that of the mapped list: read it all. */
	if ((node = ops_node(req, req->hdr.nodeid)) == NULL)
		return;
	c.size = MSG_MAX_XATTR;
	if ((c.buf = calloc(1, c.size)) == NULL || (out = calloc(1, c.size)) == NULL)
		ret = -ENOMEM;
	else
		ret = xattr_do(node_fd(node), &c);
	node_put(node);
	if (ret >= 0) {
		len = xattr_list_filter(c.buf, (size_t)ret, out);
		if (m.size == 0)
			reply_count(req, len);
		else if (len > m.size)
			reply_status(req, ERANGE);
		else
			reply_data(req, out, len);
	} else
		reply_status(req, (int)-ret);
	free(out);
	free(c.buf);
}
