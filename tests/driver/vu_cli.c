/*
 * Command line parsing for the driver's programs.
 */
#include "config.h"

#include <err.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vu_cli.h"

enum {
	OPT_SOCKET = 256, OPT_BACKEND, OPT_HOST_DIR, OPT_QUEUES, OPT_QUEUE_SIZE, OPT_INDIRECT,
	OPT_EVENT_IDX, OPT_REGIONS, OPT_GPA_GAP, OPT_ADD_MEM_REG, OPT_TIMEOUT, OPT_VERBOSE, OPT_QEMU_ACKS,
	OPT_DAX_WINDOW, OPT_DAX_VMM,
};

static const struct option longopts[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "host-dir", required_argument, NULL, OPT_HOST_DIR },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "queue-size", required_argument, NULL, OPT_QUEUE_SIZE },
	{ "indirect", no_argument, NULL, OPT_INDIRECT },
	{ "event-idx", no_argument, NULL, OPT_EVENT_IDX },
	{ "regions", required_argument, NULL, OPT_REGIONS },
	{ "gpa-gap", required_argument, NULL, OPT_GPA_GAP },
	{ "add-mem-reg", no_argument, NULL, OPT_ADD_MEM_REG },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "qemu-acks", no_argument, NULL, OPT_QEMU_ACKS },
	{ "dax-window", required_argument, NULL, OPT_DAX_WINDOW },
	{ "dax-vmm", required_argument, NULL, OPT_DAX_VMM },
	{ NULL, 0, NULL, 0 },
};

static __attribute__((__noreturn__)) void
usage(const char *prog, const char *cases)
{
	fprintf(stderr, "usage: %s --socket=PATH [--backend=privfsd|virtiofsd|virtiofsd-rust]\n"
	    "\t[--host-dir=DIR] [--queues=N] [--queue-size=N] [--indirect] [--event-idx]\n"
	    "\t[--regions=N] [--gpa-gap=BYTES] [--add-mem-reg] [--qemu-acks] [--timeout=MS]"
	    " [--verbose]\n\t[--dax-window=SIZE] [--dax-vmm=shmem|fs-map]"
	    " CASE...\ncases: %s\n", prog, cases);
	exit(2);
}

static long long
num(const char *prog, const char *cases, const char *s, long long min, long long max)
{
	const char *e;
	long long v = strtonum(s, min, max, &e);

	if (e != NULL) {
		warnx("%s: %s", s, e);
		usage(prog, cases);
	}
	return v;
}

/* Bytes, or a number with K, M or G; a multiple of 4 KiB, at most 1 TiB. */
static uint64_t
size_arg(const char *prog, const char *cases, const char *s)
{
	char num_part[32];
	size_t n = strlen(s);
	uint64_t unit = 1;

	if (n > 0 && strchr("kKmMgG", s[n - 1]) != NULL) {
		unit = strchr("kK", s[n - 1]) ? 1ULL << 10 : strchr("mM", s[n - 1]) ? 1ULL << 20 :
		    1ULL << 30;
		n--;
	}
	if (n == 0 || n >= sizeof(num_part)) {
		warnx("%s: not a size", s);
		usage(prog, cases);
	}
	memcpy(num_part, s, n);
	num_part[n] = '\0';
	unit *= (uint64_t)num(prog, cases, num_part, 1, (1LL << 40) / (long long)unit);
	if (unit % 4096 != 0) {
		warnx("%s: not a multiple of 4 KiB", s);
		usage(prog, cases);
	}
	return unit;
}

void
vu_cli_parse(struct vu_cli *c, int argc, char **argv, const char *cases)
{
	int ch;

	memset(c, 0, sizeof(*c));
	vu_opts_default(&c->opts);
	c->backend = "privfsd";
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SOCKET:
			c->opts.socket = optarg;
			break;
		case OPT_BACKEND:
			c->backend = optarg;
			break;
		case OPT_HOST_DIR:
			c->host_dir = optarg;
			break;
		case OPT_QUEUES:
			c->opts.num_request_queues = num(argv[0], cases, optarg, 1, VU_MAX_QUEUES - 1);
			break;
		case OPT_QUEUE_SIZE:
			c->opts.queue_size = num(argv[0], cases, optarg, 1, 32768);
			break;
		case OPT_INDIRECT:
			c->opts.indirect = 1;
			break;
		case OPT_EVENT_IDX:
			c->opts.event_idx = 1;
			break;
		case OPT_REGIONS:
			c->opts.nregions = num(argv[0], cases, optarg, 1, VU_MAX_REGIONS);
			break;
		case OPT_GPA_GAP:
			c->opts.gpa_gap = num(argv[0], cases, optarg, 0, 1LL << 40);
			break;
		case OPT_ADD_MEM_REG:
			c->opts.add_mem_reg = 1;
			break;
		case OPT_TIMEOUT:
			c->opts.timeout_ms = num(argv[0], cases, optarg, 1, 600000);
			break;
		case OPT_VERBOSE:
			c->opts.verbose = 1;
			break;
		case OPT_QEMU_ACKS:
			c->opts.qemu_acks = 1;
			break;
		case OPT_DAX_WINDOW:
			c->opts.dax_window = size_arg(argv[0], cases, optarg);
			break;
		case OPT_DAX_VMM:
			if (strcmp(optarg, "shmem") == 0)
				c->opts.dax_vmm = VU_DAX_SHMEM;
			else if (strcmp(optarg, "fs-map") == 0)
				c->opts.dax_vmm = VU_DAX_FS_MAP;
			else
				usage(argv[0], cases);
			break;
		default:
			usage(argv[0], cases);
		}
	}
	if (c->opts.socket == NULL || optind >= argc)
		usage(argv[0], cases);
	c->peer = strcmp(c->backend, "privfsd") != 0;
	c->argc = argc - optind;
	c->argv = argv + optind;
}

void
vu_note(const char *fmt, ...)
{
	va_list ap;

	printf("note: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

long
vu_proc_field(const char *path, const char *key)
{
	char	 line[256];
	size_t	 klen = strlen(key);
	long	 v = -1;
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0) {
			v = strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}
