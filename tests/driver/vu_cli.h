/*
 * Command line shared by the driver's programs:
 *   PROG --socket=S [--backend=NAME] [--host-dir=DIR] [--queues=N] [--queue-size=N]
 *        [--indirect] [--event-idx] [--regions=N] [--gpa-gap=BYTES] [--add-mem-reg]
 *        [--qemu-acks] [--timeout=MS] [--verbose] [--dax-window=SIZE]
 *        [--dax-vmm=shmem|fs-map] CASE...
 * --dax-window gives the device a DAX cache window (in the shmem flavour any size asks for
 * one, and the back-end's GET_SHMEM_CONFIG decides its size).
 * NAME is privfsd, virtiofsd or virtiofsd-rust: tests print where a peer differs and,
 * for a peer, report instead of failing on hostile cases.
 */
#ifndef VU_CLI_H
#define VU_CLI_H

#include "vu_driver.h"

struct vu_cli {
	struct vu_opts	 opts;
	const char	*backend;	/* "privfsd" default */
	const char	*host_dir;	/* the shared directory, as the host sees it */
	int		 peer;		/* backend is not privfsd */
	int		 argc;		/* remaining arguments: case names */
	char		**argv;
};

/* Exits with a usage message on errors. */
void	vu_cli_parse(struct vu_cli *, int argc, char **argv, const char *usage_cases);
/* A "note: ..." line on stdout, flushed at once (it must come before a crash's output). */
void	vu_note(const char *fmt, ...) __attribute__((__format__(printf, 1, 2)));
/* The number after key ("VmRSS:") in a /proc status-style file, or -1. */
long	vu_proc_field(const char *path, const char *key);

#endif
