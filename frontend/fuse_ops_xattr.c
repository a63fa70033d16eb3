/*
 * Extended attribute opcodes: SETXATTR, GETXATTR, LISTXATTR, REMOVEXATTR. Names are checked
 * here for shape only; which names a guest may touch is the worker's xattr policy.
 */
#include "config.h"

#include <sys/xattr.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "virtq.h"
#include "fuse_priv.h"

static int
arg_xattr_name(struct fuse_ctx *c, const char **name)
{
	size_t len;
	int error;

	if ((error = arg_string(c, name, &len)) != 0)
		return error;
	return xattr_name_check(*name, len);
}

int
fop_setxattr(struct fuse_ctx *c)
{
	struct fuse_setxattr_in in;
	struct msg_writer *w;
	struct msg_xattr x;
	const char *name;
	size_t insize;
	int error;

	/* Without SETXATTR_EXT the guest sends the 8-byte compat struct. */
	memset(&in, 0, sizeof(in));
	insize = (fuse_sess.flags & FUSE_SETXATTR_EXT) ? sizeof(in) :
	    FUSE_COMPAT_SETXATTR_IN_SIZE;
	if ((error = arg_fixed(c, &in, insize)) != 0 ||
	    (error = arg_xattr_name(c, &name)) != 0)
		return error;
	if (in.size > MSG_MAX_XATTR || in.size != c->left)
		return in.size > MSG_MAX_XATTR ? E2BIG : EINVAL;
	if ((in.flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE)) != 0 ||
	    (in.setxattr_flags & ~(uint32_t)FUSE_SETXATTR_ACL_KILL_SGID) != 0)
		return EINVAL;
	memset(&x, 0, sizeof(x));
	x.size = in.size;
	x.flags = in.flags;
	x.setxattr_flags = in.setxattr_flags;
	w = fuse_msg_begin();
	msg_put(w, &x, sizeof(x));
	msg_put_str(w, name);
	msg_put_bytes(w, c->arg, in.size);
	return fuse_msg_send(c, IMSG_FRONTEND_SETXATTR);
}

/* GET/LIST: size 0 asks for the length (fuse_getxattr_out), else for the bytes. */
static int
xattr_size(struct fuse_ctx *c, uint32_t size)
{
	uint32_t room = c->req->wr_len - FUSE_OUT_HDR;

	if (size > MSG_MAX_XATTR)
		return E2BIG;
	if (size == 0 ? room < sizeof(struct fuse_getxattr_out) : size > room)
		return EINVAL;
	c->size = size;
	return 0;
}

int
fop_getxattr(struct fuse_ctx *c)
{
	struct fuse_getxattr_in in;
	struct msg_writer *w;
	struct msg_xattr x;
	const char *name;
	int error;

	if ((error = arg_fixed(c, &in, sizeof(in))) != 0 ||
	    (error = arg_xattr_name(c, &name)) != 0 || (error = arg_end(c)) != 0 ||
	    (error = xattr_size(c, in.size)) != 0)
		return error;
	memset(&x, 0, sizeof(x));
	x.size = in.size;
	w = fuse_msg_begin();
	msg_put(w, &x, sizeof(x));
	msg_put_str(w, name);
	return fuse_msg_send(c, IMSG_FRONTEND_GETXATTR);
}

int
fop_listxattr(struct fuse_ctx *c)
{
	struct fuse_getxattr_in in;
	struct msg_xattr x;
	int error;

	if ((error = arg_only(c, &in, sizeof(in))) != 0 ||
	    (error = xattr_size(c, in.size)) != 0)
		return error;
	memset(&x, 0, sizeof(x));
	x.size = in.size;
	return fuse_msg_send_fixed(c, IMSG_FRONTEND_LISTXATTR, &x, sizeof(x));
}

int
fop_removexattr(struct fuse_ctx *c)
{
	const char *name;
	int error;

	if ((error = arg_xattr_name(c, &name)) != 0 || (error = arg_end(c)) != 0)
		return error;
	msg_put_str(fuse_msg_begin(), name);
	return fuse_msg_send(c, IMSG_FRONTEND_REMOVEXATTR);
}
