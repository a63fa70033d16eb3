/*
 * Dirty page logging for live migration (dirty_log.c): while the VMM asks for it
 * (VHOST_F_LOG_ALL), every guest page this process or the worker may have written is
 * marked in the VMM's bitmap, so that the pages are sent again to the destination.
 */
#ifndef PRIVFSD_DIRTY_LOG_H
#define PRIVFSD_DIRTY_LOG_H

#include <stdint.h>

/* The log page: one bit of the bitmap for each 4 KiB of guest physical memory. */
#define DLOG_PAGE		4096
/* Largest bitmap accepted: 128 MiB covers 4 TiB of guest memory. */
#define DLOG_MAX_BYTES		(128ull * 1024 * 1024)

/*
 * SET_LOG_BASE: the bitmap is size bytes at offset in fd (which we own). 0, or -1 with a
 * log line (the old bitmap, if any, stays). The fd must not be able to shrink under us.
 */
int	dlog_set_base(int fd, uint64_t size, uint64_t offset);
/* SET_FEATURES: VHOST_F_LOG_ALL on or off. */
void	dlog_set_all(int on);
/* Logging is on and there is a bitmap. */
int	dlog_active(void);
/* Mark the pages of [gpa, gpa + len); pages beyond the bitmap are skipped (logged once). */
void	dlog_mark(uint64_t gpa, uint64_t len);
/* The connection ends: unmap the bitmap. */
void	dlog_reset(void);

#endif
