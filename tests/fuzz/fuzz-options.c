/*
 * libFuzzer target: the broker's command line (broker/options.c, options_compat.c, with
 * options_idmap.c behind them), as options_parse() gets it from main().
 *
 * Input layout: the arguments after argv[0], separated by NUL bytes (at most 64). Both
 * files are built with exit() renamed to fuzz_exit() (fuzz.am), which jumps back here:
 * a rejected argument, --help and --version end the parse, not the process. A parse that
 * returns must leave a configuration the children can rely on (checked below): the
 * strings terminated, every enum in range, the id maps in the worker's shape.
 *
 * Rejections jump out of options_compat() while it holds its copy of the -o list; the
 * real program exits there, so allocations during the parse are not leak-checked.
 */
#include "config.h"

#include <sys/un.h>

#include <sanitizer/lsan_interface.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "log.h"
#include "sandbox.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

#define MAXARGS	64

static jmp_buf	fuzz_jmp;

/* exit() of options.c and options_compat.c (-Dexit=fuzz_exit). */
void
fuzz_exit(int code)
{
	longjmp(fuzz_jmp, code + 1);
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
check_idmap(const struct msg_idmap *t)
{
	int i, used = 1;

	for (i = 0; i < CONFIG_MAX_IDMAP; i++) {
		if (t[i].kind == 0) {
			used = 0;
			continue;
		}
		if (!used || t[i].kind > 3 || t[i].count == 0 ||
		    (uint64_t)t[i].from + t[i].count > (uint64_t)UINT32_MAX + 1) {
			fprintf(stderr, "id map entry %d: kind %u from %u count %u\n", i,
			    t[i].kind, t[i].from, t[i].count);
			abort();
		}
	}
}

static void
check(const struct broker_opts *o)
{
	const struct msg_config *c = &o->config;
	struct sockaddr_un sun;

	if (!terminated(c->shared_dir, sizeof(c->shared_dir)) || c->shared_dir[0] != '/' ||
	    !terminated(c->xattrmap, sizeof(c->xattrmap)) ||
	    !terminated(o->socket_path, sizeof(o->socket_path)) ||
	    strlen(o->socket_path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "a string of the configuration is bad\n");
		abort();
	}
	if ((o->socket_path[0] == '\0') == (o->listen_fd == -1)) {
		fprintf(stderr, "socket path \"%s\" and fd %d\n", o->socket_path, o->listen_fd);
		abort();
	}
	if (c->sandbox > SANDBOX_NONE || c->seccomp > SECCOMP_MODE_NONE ||
	    c->log_level > LOG_LEVEL_DEBUG || c->cache > CACHE_METADATA ||
	    c->inode_file_handles > FILE_HANDLES_MANDATORY || c->thread_pool_size > 1024 ||
	    ((c->privsep_uid == 0 || c->privsep_gid == 0) && !(c->flags & CONFIG_USERNS))) {
		fprintf(stderr, "an enum of the configuration is out of range\n");
		abort();
	}
	check_idmap(c->uid_map);
	check_idmap(c->gid_map);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* --help and --version print on stdout: keep libFuzzer's output readable. */
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct broker_opts opts;
	char *buf, *argv[MAXARGS + 2], *p, *end;
	volatile int argc = 1;

	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "privfsd";
	end = buf + size;
	for (p = buf; p < end && argc <= MAXARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	__lsan_disable();
	if (setjmp(fuzz_jmp) == 0) {
		options_parse(argc, argv, &opts);
		check(&opts);
	}
	__lsan_enable();
	free(buf);
	return 0;
}
