/*
 * Opcodes that make a node: SYMLINK, MKNOD, MKDIR, CREATE, TMPFILE. Each may end with a
 * security context when FUSE_SECURITY_CTX was negotiated (fuse_args.c).
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "fuse_priv.h"

/* msg_newnode, then name (none for TMPFILE), target (SYMLINK), then the context. */
static int
newnode_send(struct fuse_ctx *c, uint32_t type, struct msg_newnode *n, const char *name,
    const char *target)
{
	struct fuse_secctx_arg sc;
	struct msg_writer *w;
	int error;

	if ((error = arg_secctx(c, &sc)) != 0)
		return error;
	if (sc.name != NULL)
		n->flags |= NEWNODE_SECCTX;
	w = fuse_msg_begin();
	msg_put(w, n, sizeof(*n));
	if (name != NULL)
		msg_put_str(w, name);
	if (target != NULL)
		msg_put_str(w, target);
	put_secctx(w, &sc);
	return fuse_msg_send(c, type);
}

int
fop_symlink(struct fuse_ctx *c)
{
	struct msg_newnode n;
	const char *name, *target;
	size_t tlen;
	int error;

	/* Linux sends the new name first, then the target. */
	if ((error = arg_name(c, &name, 0)) != 0 ||
	    (error = arg_string(c, &target, &tlen)) != 0 ||
	    (error = link_target_check(target, tlen)) != 0)
		return error;
	memset(&n, 0, sizeof(n));
	n.mode = S_IFLNK | 0777;
	return newnode_send(c, IMSG_FRONTEND_SYMLINK, &n, name, target);
}

int
fop_mknod(struct fuse_ctx *c)
{
	struct fuse_mknod_in in;
	struct msg_newnode n;
	const char *name;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0 ||
	    (error = arg_name(c, &name, 0)) != 0)
		return error;
	/* mknod(2) makes files, devices, FIFOs and sockets; directories and links have ops. */
	switch (in.mode & S_IFMT) {
	case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		break;
	default:
		return EINVAL;
	}
	memset(&n, 0, sizeof(n));
	n.mode = in.mode & (S_IFMT | 07777);
	n.umask = in.umask & 0777;
	n.rdev = in.rdev;
	return newnode_send(c, IMSG_FRONTEND_MKNOD, &n, name, NULL);
}

int
fop_mkdir(struct fuse_ctx *c)
{
	struct fuse_mkdir_in in;
	struct msg_newnode n;
	const char *name;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0 ||
	    (error = arg_name(c, &name, 0)) != 0)
		return error;
	memset(&n, 0, sizeof(n));
	/* Linux sends permission bits only. */
	n.mode = S_IFDIR | (in.mode & 07777);
	n.umask = in.umask & 0777;
	return newnode_send(c, IMSG_FRONTEND_MKDIR, &n, name, NULL);
}

static int
create_in(struct fuse_ctx *c, struct msg_newnode *n)
{
	struct fuse_create_in in;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0)
		return error;
	memset(n, 0, sizeof(*n));
	if ((error = fuse_open_flags_in(in.flags, c->in.opcode, &n->open_flags)) != 0)
		return error;
	/* Only regular files are created this way, whatever the guest says. */
	n->mode = S_IFREG | (in.mode & 07777);
	n->umask = in.umask & 0777;
	if ((in.open_flags & FUSE_OPEN_KILL_SUIDGID) &&
	    (fuse_sess.flags & FUSE_HANDLE_KILLPRIV_V2))
		n->flags |= NEWNODE_KILL_SUIDGID;
	return 0;
}

int
fop_create(struct fuse_ctx *c)
{
	struct msg_newnode n;
	const char *name;
	int error;

	/* The worker always creates with O_CREAT|O_EXCL (doc/security.md, invariant 2). */
	if ((error = create_in(c, &n)) != 0 || (error = arg_name(c, &name, 0)) != 0)
		return error;
	return newnode_send(c, IMSG_FRONTEND_CREATE, &n, name, NULL);
}

int
fop_tmpfile(struct fuse_ctx *c)
{
	struct msg_newnode n;
	const char *name;
	size_t len;
	int error;

	/* Linux sends the placeholder name of the unnamed dentry ("/"): checked, unused. */
	if ((error = create_in(c, &n)) != 0 || (error = arg_string(c, &name, &len)) != 0)
		return error;
	return newnode_send(c, IMSG_FRONTEND_TMPFILE, &n, NULL, NULL);
}
