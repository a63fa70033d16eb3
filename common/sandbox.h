/*
 * Privilege drop, one function per role (OpenSSH ssh-sandbox.h shape). Each is called by
 * the role itself, early, while still root, after it opened what it needs (log socket,
 * shared directory) and before it reads a byte from a peer that could be hostile.
 * Every function is fatal on any failure: a half-dropped process must not run.
 */
#ifndef PRIVFSD_SANDBOX_H
#define PRIVFSD_SANDBOX_H

struct msg_config;

/*
 * Frontend: private mount namespace with an empty read-only root (pivot_root), the privsep
 * user with no supplementary groups and no capabilities in any set, RLIMIT_NPROC and
 * RLIMIT_FSIZE 0, no_new_privs, seccomp allow-list without open/creat/execve/socket.
 */
void	sandbox_frontend(const struct msg_config *);

/*
 * Worker: private mount namespace whose root is the shared directory (pivot_root, old
 * root detached, no /proc reachable by name), uid 0 with only the file capabilities,
 * no supplementary groups, no_new_privs, the worker's allow-list. Before pivoting it opens
 * /proc/self/fd as an O_PATH directory (to reopen O_PATH fds, as virtiofsd does) and
 * returns it in *proc_self_fd (-1 with --sandbox=none when /proc is not mounted).
 */
void	sandbox_worker(const struct msg_config *, int *proc_self_fd);
/* After a role's sandbox: 1 when it runs in a user namespace other than the initial one. */
int	sandbox_user_namespace(void);
/* fds the worker needs beside the guest's fd budget: memory slots, channels, threads. */
#define WORKER_NOFILE_HEADROOM	(509 + 64)	/* MEM_MAX_SLOTS + 64 */

/*
 * Broker, after its children run: only CAP_KILL (children run under other uids) and the
 * broker's allow-list; no_new_privs.
 */
void	sandbox_broker(const struct msg_config *);
/* --worker-restart: what starting a worker needs, and nothing else (no seccomp). */
void	sandbox_respawner(void);

#ifdef PRIVFSD_TEST_HOOKS
/*
 * Test builds only: when PRIVFSD_TEST_FORBIDDEN_SYSCALL names this role, make a syscall
 * the role's list forbids right after the sandbox is in place, so a test can see the
 * process die of SIGSYS.
 */
void	sandbox_test_hook(const char *role);
#endif

#endif
