/*
 * Between sandbox.c and seccomp.c only: the roles' privilege drops tell the filter code
 * who they are and which policy to load, and sanitizer builds check for leaks before the
 * filter makes it impossible.
 */
#ifndef PRIVFSD_SANDBOX_PRIV_H
#define PRIVFSD_SANDBOX_PRIV_H

struct seccomp_rule;

/* Loads the role's policy; the --seccomp mode gives the action for everything else. */
void	sandbox_seccomp(const struct seccomp_rule *list, unsigned int mode);

/* The role named in the --seccomp=trap report. */
void	seccomp_trap_role(const char *role);

#ifdef PRIVFSD_SANITIZERS
/*
 * LeakSanitizer's end-of-process check cannot work in any sandbox: run it now (which also
 * switches the end-of-process check off).
 */
void	sanitizer_leak_check_now(void);
#endif

#endif
