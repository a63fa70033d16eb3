/*
 * Helpers shared by the worker's modifying operations (ops_*.c): request parsing, the
 * read-only check, /proc/self/fd names, per-thread umask/cwd and CAP_FSETID.
 */
#ifndef PRIVFSD_OPS_UTIL_H
#define PRIVFSD_OPS_UTIL_H

#include <sys/types.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct wreq;
struct wnode;
struct msg_reader;

#define OPS_PROCNAME_LEN	16	/* decimal fd number under /proc/self/fd */

/* On a read-only export: answer EROFS and return 1. */
int	ops_readonly(struct wreq *);
/* Read a name field and check it is one component (no dots). 0 or an errno value. */
int	ops_get_name(struct msg_reader *, char name[NAME_MAX + 1]);
/* Start reading req's payload with its fixed struct. 0 or EINVAL. */
int	ops_begin(struct wreq *, struct msg_reader *, void *fixed, size_t len);
/* The node the request names, or NULL after answering the error. */
struct wnode *ops_node(struct wreq *, uint64_t nodeid);
/* "N" for fd under wk_proc_self_fd. 0, or EBADF when there is no proc fd. */
int	ops_procname(int fd, char buf[OPS_PROCNAME_LEN]);

/*
 * The calling thread gets its own umask and cwd (unshare(CLONE_FS), once per thread),
 * so creates apply the guest's umask through the kernel (default ACLs win, as locally)
 * and xattr calls can chdir into /proc/self/fd without racing other threads.
 * 0 or an errno value.
 */
int	ops_thread_fs(void);
/* Set the thread's umask for the next create; returns the mode to pass. */
mode_t	ops_create_mode(uint32_t mode, uint32_t umask);

/*
 * Clear SUID, and SGID where it is a privilege (always for an ACL change), on the node
 * or on fd when it is not -1: what killpriv_v2 asks of us where the guest's caller would
 * have lost them locally. 0 or an errno value.
 */
int	ops_kill_suidgid(struct wnode *, int fd, int acl);

/*
 * ops_xattr.c: a new node's security label (a guest xattr name, mapped like any other)
 * set on the inode behind fd (O_PATH or not), as the caller. 0 or an errno value.
 */
int	ops_xattr_label(int fd, const char *name, const void *value, size_t len);

/* ops_lock.c: close the lock fd of (node, owner): its POSIX locks go, as on close(). */
void	locks_drop_owner(struct wnode *, uint64_t owner);
/* ops_lock.c: RELEASE of fh closes the lock fds of the owners that locked through it. */
void	locks_release_fh(uint64_t fh);

/* 1 when the caller maps to host root (checks the guest kernel does by capabilities). */
int	ops_caller_root(const struct wreq *);

#endif
