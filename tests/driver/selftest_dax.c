/*
 * The driver's DAX window alone: the test plays the back-end on a socketpair and sends the
 * map requests of both flavours, checking the VMM's rules (what is refused, what the window
 * then holds, what is counted as outside), a fault on an unmapped range and the switch
 * that makes the VMM stop answering. Part of driver/vu-selftest.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vu_driver.h"

#define MIB		(1ULL << 20)
#define WINDOW		(8 * MIB)
#define FILE_SIZE	(4 * MIB)

int	selftest_dax(void);	/* called by selftest.c's main */

static int failures;

static void
check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failures++;
}

struct shmem_req {
	uint8_t		shmid;
	uint8_t		pad[7];
	uint64_t	fd_offset, shm_offset, len, flags;
};

struct fs_req {
	uint64_t	fd_offset[8], c_offset[8], len[8], flags[8];
};

/* Send a request with NEED_REPLY: the u64 answered, -1 for no (valid) answer in time. */
static int64_t
ask(int be, uint32_t request, const void *body, uint32_t size, int fd, int wait_ms)
{
	struct vu_hdr h;
	uint64_t v;

	if (vu_send(be, request, VU_FLAG_NEED_REPLY, body, size, fd >= 0 ? &fd : NULL,
	    fd >= 0) == -1)
		return -1;
	if (vu_recv(be, &h, &v, sizeof(v), wait_ms) != 1 || h.request != request ||
	    h.flags != (VU_FLAG_VERSION | VU_FLAG_REPLY) || h.size != sizeof(v))
		return -1;
	return (int64_t)v;
}

static int64_t
shmem(int be, uint32_t request, uint8_t shmid, uint64_t off, uint64_t len, uint64_t fd_off,
    uint64_t flags, int fd)
{
	struct shmem_req r;

	memset(&r, 0, sizeof(r));
	r.shmid = shmid;
	r.shm_offset = off;
	r.len = len;
	r.fd_offset = fd_off;
	r.flags = flags;
	return ask(be, request, &r, sizeof(r), fd, 2000);
}

/* A forked child reads the window at off: the signal it died of, 0 when it could read. */
static int
touch(const uint8_t *w, uint64_t off)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		volatile uint8_t x;

		/* die of the fault itself, not of a sanitizer's report */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		x = w[off];

		(void)x;
		_exit(0);
	}
	if (pid == -1 || waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static int
file_setup(uint8_t *pattern)
{
	uint64_t i;
	int fd;

	for (i = 0; i < FILE_SIZE; i++)
		pattern[i] = (uint8_t)(i * 7 + i / 4096);
	fd = memfd_create("dax-selftest", MFD_CLOEXEC);
	if (fd == -1 || write(fd, pattern, FILE_SIZE) != (ssize_t)FILE_SIZE)
		return -1;
	return fd;
}

static void
test_shmem(int fd, const uint8_t *pattern)
{
	char path[64];
	int rofd;

	struct vu_dax d;
	struct vu_dax_stats st;
	struct vu_dax_map m;
	int sv[2];
	uint8_t b = 0;

	printf("== dax window, shmem flavour\n");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rofd = open(path, O_RDONLY | O_CLOEXEC);
	if (rofd == -1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    vu_dax_start(&d, sv[0], WINDOW, VU_DAX_SHMEM, 1) == -1) {
		check(0, "set-up");
		return;
	}
	check(touch(d.window, 0) == SIGSEGV, "an unmapped window page faults (SIGSEGV)");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 0, 2 * MIB, 0, 0, fd) == 0 &&
	    memcmp(d.window, pattern, 2 * MIB) == 0, "read-only SHMEM_MAP: the file is there");
	check(vu_dax_find(&d, 4096, &m) && m.shm_offset == 0 && m.len == 2 * MIB &&
	    m.writable, "the live list has it, writable all the same (as QEMU 11.1)");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 6 * MIB, 4096, 0, 0, rofd) == 1,
	    "a map of a read-only fd is refused (EACCES, as QEMU 11.1)");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 6 * MIB, 2 * MIB, 3 * MIB, 0, fd) == 1,
	    "a map past the end of the file is refused (as QEMU 11.1)");
	check(touch(d.window, 2 * MIB - 1) == 0, "a mapped page reads in a child");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, MIB, 2 * MIB, 0, 0, fd) == 1,
	    "a map over a live mapping is refused");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 2 * MIB, 2 * MIB, 2 * MIB, 1, fd) == 0,
	    "writable SHMEM_MAP next to it");
	d.window[2 * MIB + 5] = 0x5a;
	check(pread(fd, &b, 1, 2 * MIB + 5) == 1 && b == 0x5a, "a write through it is in the file");
	d.window[2 * MIB + 5] = pattern[2 * MIB + 5];
	check(shmem(sv[1], VU_BE_SHMEM_UNMAP, 0, 0, MIB, 0, 0, -1) == 1,
	    "an unmap of part of a mapping is refused");
	check(shmem(sv[1], VU_BE_SHMEM_UNMAP, 0, 0, 4 * MIB, 0, 0, -1) == 1,
	    "an unmap of two mappings at once is refused");
	check(shmem(sv[1], VU_BE_SHMEM_UNMAP, 0, 0, 2 * MIB, 0, 0, -1) == 0 &&
	    touch(d.window, 0) == SIGSEGV, "an unmap of one whole mapping; the range faults again");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 4096, 4096, 0, 0, -1) == 1,
	    "a map without an fd is refused");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 100, 4096, 0, 0, fd) == 1,
	    "a map at an unaligned offset is refused");
	vu_dax_stats(&d, &st);
	check(st.outside == 0 && st.maps == 2 && st.unmaps == 1 && st.failures == 7 &&
	    st.nlive == 1, "counters: 2 maps, 1 unmap, 7 refused, none outside, 1 live");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 6 * MIB, 4 * MIB, 0, 0, fd) == 1,
	    "a map past the end of the window is refused");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 4 * MIB, UINT64_MAX - 2 * MIB, 0, 0, fd) == 1,
	    "a wrapping map is refused");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 1, 0, 4096, 0, 0, fd) == 1,
	    "a map in an undeclared region is refused");
	check(shmem(sv[1], VU_BE_SHMEM_UNMAP, 0, WINDOW, 4096, 0, 0, -1) == 1,
	    "an unmap past the window is refused");
	vu_dax_stats(&d, &st);
	check(st.outside == 4, "all four counted as outside the window (a failed test)");
	d.no_reply = 1;
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 0, 4096, 0, 0, fd) == -1,
	    "a VMM that stopped answering does not answer");
	d.no_reply = 0;
	vu_dax_stats(&d, &st);
	check(st.unanswered == 1 && !vu_dax_find(&d, 0, &m), "... and mapped nothing");
	check(shmem(sv[1], 99, 0, 0, 4096, 0, 0, -1) == 1, "an unknown request is refused");
	vu_dax_stop(&d);
	close(sv[0]);
	close(sv[1]);
	close(rofd);
}

static int64_t
fs(int be, uint32_t request, const uint64_t (*e)[4], unsigned int n, int fd)
{
	struct fs_req r;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < n; i++) {
		r.c_offset[i] = e[i][0];
		r.len[i] = e[i][1];
		r.fd_offset[i] = e[i][2];
		r.flags[i] = e[i][3];
	}
	return ask(be, request, &r, sizeof(r), fd, 2000);
}

static void
test_fs_map(int fd, const uint8_t *pattern)
{
	const uint64_t two[2][4] = { { 0, 2 * MIB, 0, 1 }, { 2 * MIB, 2 * MIB, 2 * MIB, 3 } };
	const uint64_t mid[1][4] = { { MIB, 2 * MIB, 0, 1 } };
	const uint64_t all[1][4] = { { 0, 4 * MIB, 0, 0 } };
	const uint64_t bad[2][4] = { { 0, 4096, 0, 1 }, { WINDOW - 4096, 8192, 0, 1 } };
	const uint64_t whole[1][4] = { { 0, UINT64_MAX, 0, 0 } };
	struct vu_dax d;
	struct vu_dax_stats st;
	struct vu_dax_map m;
	int sv[2];

	printf("== dax window, fs-map flavour\n");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    vu_dax_start(&d, sv[0], WINDOW, VU_DAX_FS_MAP, 1) == -1) {
		check(0, "set-up");
		return;
	}
	check(fs(sv[1], VU_BE_FS_MAP, two, 2, fd) == 0 && memcmp(d.window, pattern, 4 * MIB) == 0,
	    "FS_MAP of two entries: the file is there");
	check(fs(sv[1], VU_BE_FS_MAP, mid, 1, fd) == 0 &&
	    memcmp(d.window + MIB, pattern, 2 * MIB) == 0, "an overlapping FS_MAP replaces");
	vu_dax_stats(&d, &st);
	check(st.nlive == 3 && vu_dax_find(&d, 3 * MIB, &m) && m.shm_offset == 3 * MIB &&
	    m.fd_offset == 3 * MIB && m.writable, "the live list was cut around it");
	check(fs(sv[1], VU_BE_FS_UNMAP, all, 1, -1) == 0 && touch(d.window, 3 * MIB) == SIGSEGV,
	    "FS_UNMAP of all of it; the range faults again");
	check(fs(sv[1], VU_BE_FS_MAP, bad, 2, fd) == 1 && !vu_dax_find(&d, 0, &m),
	    "FS_MAP with an entry past the window is refused, and nothing mapped");
	check(fs(sv[1], VU_BE_FS_MAP, two, 2, fd) == 0 &&
	    fs(sv[1], VU_BE_FS_UNMAP, whole, 1, -1) == 0,
	    "FS_UNMAP of length ~0 unmaps the whole window");
	vu_dax_stats(&d, &st);
	check(st.nlive == 0 && st.outside == 1 && st.maps == 3 && st.unmaps == 2,
	    "counters: 3 maps, 2 unmaps, 1 outside");
	check(shmem(sv[1], VU_BE_SHMEM_MAP, 0, 0, 4096, 0, 0, fd) == 1,
	    "SHMEM_MAP is not the fs-map flavour's");
	vu_dax_stop(&d);
	close(sv[0]);
	close(sv[1]);
}

int
selftest_dax(void)
{
	uint8_t *pattern;
	int fd;

	if ((pattern = malloc(FILE_SIZE)) == NULL || (fd = file_setup(pattern)) == -1) {
		check(0, "dax set-up");
		free(pattern);
		return 1;
	}
	test_shmem(fd, pattern);
	test_fs_map(fd, pattern);
	close(fd);
	free(pattern);
	return failures;
}
