/*
 * Weak stand-ins for the operations another part of the worker provides (worker/ops.am),
 * so the worker links and answers before those land: each replies EOPNOTSUPP. Any real
 * definition replaces them at link time. This file goes once every op exists.
 */
#include "config.h"

#include <errno.h>

#include "log.h"
#include "msg.h"
#include "worker.h"

#define FALLBACK_OP(name)						\
	__attribute__((weak)) void					\
	op_##name(struct wreq *r)					\
	{								\
		log_warnx("operation " #name " is not implemented");	\
		reply_status(r, EOPNOTSUPP);				\
	}

FALLBACK_OP(setattr)
FALLBACK_OP(access)
FALLBACK_OP(create)
FALLBACK_OP(mknod)
FALLBACK_OP(mkdir)
FALLBACK_OP(symlink)
FALLBACK_OP(link)
FALLBACK_OP(tmpfile)
FALLBACK_OP(unlink)
FALLBACK_OP(rmdir)
FALLBACK_OP(rename)
FALLBACK_OP(write)
FALLBACK_OP(flush)
FALLBACK_OP(fsync)
FALLBACK_OP(fsyncdir)
FALLBACK_OP(syncfs)
FALLBACK_OP(fallocate)
FALLBACK_OP(lseek)
FALLBACK_OP(copy_file_range)
FALLBACK_OP(setxattr)
FALLBACK_OP(getxattr)
FALLBACK_OP(listxattr)
FALLBACK_OP(removexattr)
FALLBACK_OP(getlk)
FALLBACK_OP(setlk)
FALLBACK_OP(setupmapping)
FALLBACK_OP(removemapping)
