/*
 * libFuzzer target: the broker's id mapping options (broker/options_idmap.c), which turn
 * --translate-uid/gid and --uid-map/--gid-map values into the msg_idmap table the worker
 * applies.
 *
 * Input layout: NUL-separated option values into one table, each preceded by a byte whose
 * low bit picks the syntax (0 --translate-*, 1 --uid-map). After every value the table
 * must hold what the worker assumes: used entries first, none empty, no range past 2^32,
 * no two guest ranges overlapping.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct msg_idmap *t)
{
	int i, j, used = 1;

	for (i = 0; i < CONFIG_MAX_IDMAP; i++) {
		if (t[i].kind == 0) {
			used = 0;
			continue;
		}
		if (!used || t[i].kind > 3 || t[i].count == 0 ||
		    (uint64_t)t[i].from + t[i].count > (uint64_t)UINT32_MAX + 1 ||
		    (t[i].kind == 1 && (uint64_t)t[i].to + t[i].count > (uint64_t)UINT32_MAX + 1)) {
			fprintf(stderr, "entry %d: kind %u %u -> %u count %u\n", i, t[i].kind,
			    t[i].from, t[i].to, t[i].count);
			abort();
		}
		for (j = 0; j < i; j++)
			if (t[i].from < (uint64_t)t[j].from + t[j].count &&
			    t[j].from < (uint64_t)t[i].from + t[i].count) {
				fprintf(stderr, "entries %d and %d overlap\n", j, i);
				abort();
			}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_idmap table[CONFIG_MAX_IDMAP];
	char *buf, *p, *end;

	/* A NUL-terminated copy: values come from argv, C strings. */
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	memset(table, 0, sizeof(table));
	end = buf + size;
	for (p = buf; p < end; p += strlen(p) + 1) {
		int ns = *p & 1;

		if (*p != '\0')
			p++;
		if (ns)
			(void)idmap_namespace(p, table);
		else
			(void)idmap_translate(p, table);
		check(table);
	}
	free(buf);
	return 0;
}
