/*
 * Protocol tests against a vhost-user-fs back-end: the mount sequence, multi-queue,
 * indirect descriptors, EVENT_IDX, completions out of order, reboot with requests in
 * flight, and the session rules (ENOSYS, EIO before INIT, a second INIT resets).
 *
 * Each case prints what it checked; "differs:" lines note where a peer legitimately
 * behaves otherwise than privfsd. Exit 0 when every case passed.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vu_cli.h"
#include "vu_fuse.h"
#include "proto.h"

struct vu_cli	 cli;
int		 failures;

void
check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok)
		failures++;
}

int
open_dev(struct vu_dev *dev, const struct vu_opts *o)
{
	if (vu_dev_open(dev, o) == -1) {
		check(0, "vhost-user start sequence: %s", dev->err);
		return -1;
	}
	check(1, "vhost-user start sequence (features 0x%llx, protocol 0x%llx, %u queues)",
	    (unsigned long long)dev->features, (unsigned long long)dev->protocol_features,
	    dev->nqueues);
	return 0;
}

int
do_init(struct vu_dev *dev)
{
	struct fuse_init_out io;
	int r = vu_fuse_init(dev, &io);

	check(r == 0 && io.major == 7, "FUSE_INIT 7.37: %s (back-end %u.%u, max_write %u, "
	    "flags 0x%x flags2 0x%x)", r ? dev->err : "ok", io.major, io.minor, io.max_write,
	    io.flags, io.flags2);
	return r == 0 ? 0 : -1;
}

/* Sorted newline-separated listing of a host directory, without "." and "..". */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
host_listing(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL, *s;
	size_t n = 0, i, total = 1;

	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = reallocarray(names, n + 1, sizeof(*names));
		names[n] = strdup(de->d_name);
		total += strlen(names[n]) + 1;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	s = malloc(total);
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		strlcat(s, names[i], total);
		strlcat(s, "\n", total);
		free(names[i]);
	}
	free(names);
	return s;
}

static const struct proto_case cases[] = {
	{ "mount", case_mount, 0 },
	{ "mq", case_mq, 0 },
	{ "indirect", case_indirect, 0 },
	{ "event-idx", case_event_idx, 0 },
	{ "late-used-event", case_late_used_event, 0 },
	{ "unkicked-chain", case_unkicked_chain, 0 },
	{ "out-of-order", case_out_of_order, 0 },
	{ "reboot", case_reboot, 0 },
	{ "enosys", case_enosys, 0 },
	{ "before-init", case_before_init, 0 },
	{ "second-init", case_second_init, 0 },
	{ "add-mem-reg", case_add_mem_reg, 0 },
	{ "qemu-acks", case_qemu_acks, 0 },
	{ "dirty-log", case_dirty_log, 0 },
	/* device-state.sh: a save on one back-end, loads on a second (PROTO_STATE_FILE) */
	{ "device-state-save", case_state_save, 0 },
	{ "device-state-load", case_state_load, 0 },
	{ "device-state-bad", case_state_bad, 0 },
	{ "device-state-worker-dies", case_state_worker_dies, 0 },
};

int
main(int argc, char *argv[])
{
	size_t i;
	int a, found;

	vu_cli_parse(&cli, argc, argv, "mount mq indirect event-idx late-used-event "
	    "unkicked-chain out-of-order reboot enosys before-init second-init add-mem-reg "
	    "qemu-acks\n(one case per connection: privfsd and virtiofsd end when the "
	    "front-end disconnects)");
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (a = 0; a < cli.argc; a++) {
		found = 0;
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			if (strcmp(cli.argv[a], cases[i].name) != 0)
				continue;
			found = 1;
			printf("== %s (%s)\n", cases[i].name, cli.backend);
			cases[i].fn();
		}
		if (!found) {
			fprintf(stderr, "unknown case %s\n", cli.argv[a]);
			return 2;
		}
	}
	printf("%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
