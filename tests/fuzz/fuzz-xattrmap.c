/*
 * libFuzzer target: the --xattrmap rule parser and engine (worker/xattrmap.c) on its own.
 *
 * Input layout: the rules (as --xattrmap gets them) up to the first NUL byte, at most
 * CONFIG_XATTRMAP_MAX bytes as the broker allows; then NUL-separated names, each mapped
 * both ways when the rules parsed. The first byte of each name picks the output buffer
 * size (1..256, allocated to the byte so ASan sees an overrun); a mapped name must fit.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "xattrmap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
map(const char *name, size_t outsize)
{
	char *out;
	int rc;

	if ((out = malloc(outsize)) == NULL)
		abort();
	rc = xattrmap_to_server(name, out, outsize);
	if (rc != 0 && rc != EPERM && rc != EOPNOTSUPP && rc != ERANGE)
		abort();
	if (rc == 0 && strnlen(out, outsize) == outsize)
		abort();
	if (xattrmap_to_client(name, out, outsize) == 0 &&
	    strnlen(out, outsize) == outsize)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	char *buf, *p, *end;
	size_t speclen;

	if (!once) {
		log_init(0, LOG_LEVEL_ERROR + 0);
		once = 1;
	}
	/* A NUL-terminated copy: the parser gets a C string, like the broker's. */
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	speclen = strlen(buf);
	if (speclen >= CONFIG_XATTRMAP_MAX) {
		free(buf);
		return 0;
	}
	if (xattrmap_parse(buf) == 0) {
		end = buf + size;
		for (p = buf + speclen + 1; p < end; p += strlen(p) + 1) {
			size_t outsize = (uint8_t)*p + 1;

			if (*p != '\0')
				p++;
			map(p, outsize);
		}
	}
	free(buf);
	return 0;
}
