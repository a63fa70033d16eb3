/*
 * Readers over the private copy of a request's arguments. Every read is bounds-checked
 * against what is left; a short or malformed argument is EINVAL for the guest.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "msg_reader.h"
#include "names.h"
#include "fuse_priv.h"

int
arg_fixed(struct fuse_ctx *c, void *dst, size_t len)
{
	if (c->left < len)
		return EINVAL;
	memcpy(dst, c->arg, len);
	c->arg += len;
	c->left -= len;
	return 0;
}

int
arg_skip(struct fuse_ctx *c, size_t len)
{
	if (c->left < len)
		return EINVAL;
	c->arg += len;
	c->left -= len;
	return 0;
}

int
arg_string(struct fuse_ctx *c, const char **s, size_t *len)
{
	const uint8_t *nul;

	/* The terminating NUL must lie within the declared length. */
	if ((nul = memchr(c->arg, '\0', c->left)) == NULL)
		return EINVAL;
	*s = (const char *)c->arg;
	*len = (size_t)(nul - c->arg);
	c->arg = nul + 1;
	c->left -= (uint32_t)(*len + 1);
	return 0;
}

int
arg_name(struct fuse_ctx *c, const char **s, int flags)
{
	size_t len;
	int error;

	if ((error = arg_string(c, s, &len)) != 0)
		return error;
	return name_check(*s, len, flags);
}

int
arg_end(struct fuse_ctx *c)
{
	uint32_t i;

	/*
	 * Linux sends exactly the arguments of the opcode. Up to 7 zero bytes (a request
	 * built from a padded C struct, which libfuse-based servers accept) are tolerated;
	 * anything else after the last argument is a confused guest.
	 */
	if (c->left >= 8)
		return EINVAL;
	for (i = 0; i < c->left; i++)
		if (c->arg[i] != 0)
			return EINVAL;
	return 0;
}

int
arg_only(struct fuse_ctx *c, void *dst, size_t len)
{
	int error;

	if ((error = arg_fixed(c, dst, len)) != 0)
		return error;
	return arg_end(c);
}

/*
 * The security context block (FUSE_SECURITY_CTX): fuse_secctx_header {size, nr_secctx},
 * then for each context fuse_secctx {size}, the xattr name NUL-terminated, the value, and
 * padding to 8 bytes. Linux sends it after the names (7.37) or as the request extension
 * counted by total_extlen (7.38); either way it is the rest of the arguments, and Linux
 * sends at most one context (none when no LSM labels the file).
 */
static int
secctx_one(struct fuse_ctx *c, struct fuse_secctx_arg *out)
{
	struct fuse_secctx sc;
	const char *name;
	size_t namelen;
	uint32_t used;
	int error;

	if ((error = arg_fixed(c, &sc, sizeof(sc))) != 0)
		return error;
	if ((error = arg_string(c, &name, &namelen)) != 0)
		return error;
	if ((error = xattr_name_check(name, namelen)) != 0)
		return error;
	if (sc.size == 0 || sc.size > MSG_MAX_XATTR || sc.size > c->left)
		return EINVAL;
	out->value = c->arg;
	out->len = sc.size;
	if ((error = arg_skip(c, sc.size)) != 0)
		return error;
	/* What remains is the padding to the 8-byte record size, nothing else. */
	used = (uint32_t)(sizeof(sc) + namelen + 1 + sc.size);
	if (c->left != FUSE_REC_ALIGN(used) - used)
		return EINVAL;
	out->name = name;
	return arg_skip(c, c->left);
}

int
arg_secctx(struct fuse_ctx *c, struct fuse_secctx_arg *out)
{
	struct fuse_secctx_header sh;
	int error;

	memset(out, 0, sizeof(*out));
	if ((fuse_sess.flags & FUSE_SECURITY_CTX) == 0)
		return arg_end(c);
	if (c->extlen != 0 && c->left != c->extlen)
		return EINVAL;
	if ((error = arg_fixed(c, &sh, sizeof(sh))) != 0)
		return error;
	if (sh.size != c->left + sizeof(sh))
		return EINVAL;
	if (sh.nr_secctx == 0)
		return arg_end(c);
	if (sh.nr_secctx != 1)
		return EINVAL;
	return secctx_one(c, out);
}

void
put_secctx(struct msg_writer *w, const struct fuse_secctx_arg *sc)
{
	if (sc->name == NULL)
		return;
	msg_put_str(w, sc->name);
	msg_put_bytes(w, sc->value, sc->len);
}
