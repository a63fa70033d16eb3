/*
 * The FUSE session's state: what INIT negotiated (fuse_ops_session.c), resets, and what
 * the cache mode means for timeouts and open flags. A session exists between a successful
 * INIT and DESTROY (or a device reset).
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "fuse.h"
#include "fuse_priv.h"

struct fuse_sess	fuse_sess;

void
fuse_session_init(const struct msg_config *cfg)
{
	memset(&fuse_sess, 0, sizeof(fuse_sess));
	fuse_sess.config_flags = cfg->flags;
	fuse_sess.cache = cfg->cache;
	fuse_sess.dax = cfg->dax;
	/* We cannot know what the worker holds: the first INIT starts from a clean slate. */
	fuse_sess.worker_dirty = 1;
	if (cfg->flags & CONFIG_ALLOW_MMAP)
		log_info("fuse: --allow-mmap needs FUSE 7.39 (DIRECT_IO_ALLOW_MMAP); ignored");
}

void
fuse_dax_window(uint64_t size)
{
	fuse_sess.dax_window = fuse_sess.dax == DAX_NEVER ? 0 : size;
	log_debug("fuse: DAX window %llu bytes", (unsigned long long)fuse_sess.dax_window);
}

void
fuse_session_reset(void)
{
	if (fuse_sess.state != FUSE_STATE_NONE)
		log_debug("fuse: session reset");
	/* The worker keeps its nodes until the next INIT sends SESSION_DESTROY first. */
	fuse_sess.state = FUSE_STATE_NONE;
	fuse_sess.flags = 0;
	fuse_sess.epoch++;
}

uint64_t
fuse_cache_timeout(void)
{
	/* virtiofsd's numbers: never 0, auto 1 s, metadata and always a day. */
	switch (fuse_sess.cache) {
	case CACHE_NEVER:
		return 0;
	case CACHE_METADATA:
	case CACHE_ALWAYS:
		return 86400;
	default:
		return 1;
	}
}

uint32_t
fuse_open_flags(int is_dir)
{
	/* As virtiofsd: never and metadata bypass the guest's page cache for files. */
	switch (fuse_sess.cache) {
	case CACHE_NEVER:
		return is_dir ? 0 : FOPEN_DIRECT_IO;
	case CACHE_METADATA:
		return is_dir ? FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE : FOPEN_DIRECT_IO;
	case CACHE_ALWAYS:
		return is_dir ? FOPEN_CACHE_DIR | FOPEN_KEEP_CACHE : FOPEN_KEEP_CACHE;
	default:
		return 0;
	}
}
