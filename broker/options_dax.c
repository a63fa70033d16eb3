/*
 * The DAX options: --dax=never|always|inode, --dax-window=SIZE, --dax-vmm=shmem|fs-map
 * (and their -o forms). The window's size is the operator's, never the guest's: it is
 * declared to the VMM (GET_SHMEM_CONFIG) and every map request is checked against it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

#define DAX_WINDOW_DEFAULT	(1ULL << 30)

const char *
options_dax(const char *val, struct msg_config *c)
{
	if (strcmp(val, "never") == 0)
		c->dax = DAX_NEVER;
	else if (strcmp(val, "always") == 0)
		c->dax = DAX_ALWAYS;
	else if (strcmp(val, "inode") == 0)
		c->dax = DAX_INODE;
	else
		return "must be never, always or inode";
	return NULL;
}

const char *
options_dax_vmm(const char *val, struct msg_config *c)
{
	if (strcmp(val, "shmem") == 0)
		c->dax_vmm = DAX_VMM_SHMEM;
	else if (strcmp(val, "fs-map") == 0)
		c->dax_vmm = DAX_VMM_FS_MAP;
	else
		return "must be shmem or fs-map";
	return NULL;
}

/* Bytes, or a number with K, M or G (powers of 1024). */
const char *
options_dax_window(const char *val, struct msg_config *c)
{
	unsigned long long	 n, unit = 1;
	char			*end;

	if (*val < '0' || *val > '9')
		return "must be a size such as 1G or 512M";
	n = strtoull(val, &end, 10);
	switch (*end) {
	case 'K': case 'k': unit = 1ULL << 10; end++; break;
	case 'M': case 'm': unit = 1ULL << 20; end++; break;
	case 'G': case 'g': unit = 1ULL << 30; end++; break;
	}
	if (*end != '\0')
		return "must be a size such as 1G or 512M";
	if (n > DAX_WINDOW_MAX / unit)
		return "larger than 1T";
	n *= unit;
	if (n < DAX_WINDOW_MIN || n % DAX_WINDOW_MIN != 0)
		return "must be a multiple of 2M (the guest maps 2 MiB ranges)";
	c->dax_window = n;
	return NULL;
}

/* After every option: a window only with DAX, and DAX always with a window. */
void
options_dax_finish(struct msg_config *c)
{
	if (c->dax == DAX_NEVER) {
		if (c->dax_window != 0)
			options_fail("--dax-window", "needs --dax=always or --dax=inode");
		return;
	}
	if (c->dax_window == 0)
		c->dax_window = DAX_WINDOW_DEFAULT;
}
