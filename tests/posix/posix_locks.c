/*
 * posixsuite: locks between processes: fcntl (POSIX) record locks, OFD locks, flock.
 * Every wait has a time limit so that a lock that never comes back cannot hang the suite.
 */
#include <sys/file.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

static int
setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = start;
	fl.l_len = len;
	return fcntl(fd, cmd, &fl);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* wait_child: the child's exit status, or -1 (killed, e.g. by its alarm). */
static int
wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A child that opens "f" itself and tries a lock: exits with 0 or the errno. */
static pid_t
child_trylock(int cmd, short type, off_t start, off_t len)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) != 0)
		return pid;
	alarm(10);
	if ((fd = open("f", O_RDWR)) == -1)
		_exit(200);
	_exit(setlk(fd, cmd, type, start, len) == -1 ? errno : 0);
}

static int
fcntl_lock_conflict(void)
{
	pid_t pid;
	int fd;

	T_SYS(put_file("f", "0123456789", 0644));
	T_SYS(fd = open("f", O_RDWR));
	T_SYS(setlk(fd, F_SETLK, F_WRLCK, 0, 100));
	T_EQ(wait_child(child_trylock(F_SETLK, F_WRLCK, 50, 10)), EAGAIN);
	T_EQ(wait_child(child_trylock(F_SETLK, F_RDLCK, 0, 1)), EAGAIN);
	T_EQ(wait_child(child_trylock(F_SETLK, F_WRLCK, 100, 10)), 0);	/* beyond the range */
	/* A child using the inherited descriptor is another owner: it conflicts too. */
	T_SYS(pid = fork());
	if (pid == 0) {
		alarm(10);
		_exit(setlk(fd, F_SETLK, F_WRLCK, 0, 1) == -1 ? errno : 0);
	}
	T_EQ(wait_child(pid), EAGAIN);
	/* Downgrade to a read lock: readers may share it, writers may not. */
	T_SYS(setlk(fd, F_SETLK, F_RDLCK, 0, 100));
	T_EQ(wait_child(child_trylock(F_SETLK, F_RDLCK, 0, 100)), 0);
	T_EQ(wait_child(child_trylock(F_SETLK, F_WRLCK, 0, 1)), EAGAIN);
	T_SYS(setlk(fd, F_SETLK, F_UNLCK, 0, 0));
	T_EQ(wait_child(child_trylock(F_SETLK, F_WRLCK, 0, 0)), 0);
	close(fd);
	return R_PASS;
}

static int
fcntl_getlk(void)
{
	struct flock fl;
	pid_t pid;
	int fd, p[2], q[2];
	char c;

	T_SYS(put_file("f", "0123456789", 0644));
	T_SYS(pipe(p));
	T_SYS(pipe(q));
	T_SYS(pid = fork());
	if (pid == 0) {
		alarm(10);
		if ((fd = open("f", O_RDWR)) == -1 || setlk(fd, F_SETLK, F_WRLCK, 10, 20) == -1)
			_exit(1);
		(void)write(p[1], "l", 1);
		(void)read(q[0], &c, 1);	/* hold it until the parent has looked */
		_exit(0);
	}
	T_EQ(read(p[0], &c, 1), 1);
	T_SYS(fd = open("f", O_RDWR));
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = 0;
	T_SYS(fcntl(fd, F_GETLK, &fl));
	(void)write(q[1], "u", 1);
	T_EQ(wait_child(pid), 0);
	note("F_GETLK saw type %d start %lld len %lld pid %d (holder %d)", fl.l_type,
	    (long long)fl.l_start, (long long)fl.l_len, (int)fl.l_pid, (int)pid);
	T_EQ(fl.l_type, F_WRLCK);
	T_EQ(fl.l_start, 10);
	T_EQ(fl.l_len, 20);
	T_EQ(fl.l_pid, pid);
	/* Nothing held any more: F_GETLK answers F_UNLCK. */
	fl.l_type = F_WRLCK;
	fl.l_start = 0;
	fl.l_len = 0;
	T_SYS(fcntl(fd, F_GETLK, &fl));
	T_EQ(fl.l_type, F_UNLCK);
	close(fd);
	return R_PASS;
}

static int
fcntl_setlkw_blocks(void)
{
	double t0, waited;
	pid_t pid;
	int fd, p[2], st;
	char c;

	T_SYS(put_file("f", "0123456789", 0644));
	T_SYS(fd = open("f", O_RDWR));
	T_SYS(setlk(fd, F_SETLK, F_WRLCK, 0, 0));
	T_SYS(pipe(p));
	T_SYS(pid = fork());
	if (pid == 0) {
		int cfd;

		alarm(10);	/* a lock that never comes kills the child: the check fails */
		if ((cfd = open("f", O_RDWR)) == -1)
			_exit(200);
		(void)write(p[1], "s", 1);
		t0 = now();
		if (setlk(cfd, F_SETLKW, F_WRLCK, 0, 0) == -1)
			_exit(errno);
		waited = now() - t0;
		_exit(waited < 0.3 ? 100 : 0);	/* it must have waited for the unlock */
	}
	T_EQ(read(p[0], &c, 1), 1);
	usleep(600000);
	T_SYS(setlk(fd, F_SETLK, F_UNLCK, 0, 0));
	st = wait_child(pid);
	T_ASSERT(st != 100, "F_SETLKW returned before the holder unlocked");
	T_ASSERT(st != -1, "F_SETLKW did not return within 10 s of the unlock");
	T_EQ(st, 0);
	close(fd);
	return R_PASS;
}

static int
fcntl_close_releases(void)
{
	int fd, fd2;

	T_SYS(put_file("f", "0123456789", 0644));
	T_SYS(fd = open("f", O_RDWR));
	T_SYS(setlk(fd, F_SETLK, F_WRLCK, 0, 0));
	T_EQ(wait_child(child_trylock(F_SETLK, F_WRLCK, 0, 0)), EAGAIN);
	/* POSIX: closing any descriptor of the file drops the process's locks on it. */
	T_SYS(fd2 = open("f", O_RDONLY));
	T_SYS(close(fd2));
	T_EQ(wait_child(child_trylock(F_SETLK, F_WRLCK, 0, 0)), 0);
	close(fd);
	return R_PASS;
}

static int
ofd_locks(void)
{
	struct flock fl;
	int a, b;

	T_SYS(put_file("f", "0123456789", 0644));
	T_SYS(a = open("f", O_RDWR));
	T_SYS(b = open("f", O_RDWR));
	T_SYS(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10));
	/* Same process, another open file description: they conflict. */
	T_ERR(setlk(b, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	T_SYS(fcntl(b, F_OFD_GETLK, &fl));
	T_EQ(fl.l_type, F_WRLCK);
	T_EQ(fl.l_pid, -1);
	T_EQ(wait_child(child_trylock(F_OFD_SETLK, F_RDLCK, 0, 1)), EAGAIN);
	T_SYS(setlk(a, F_OFD_SETLK, F_UNLCK, 0, 10));
	T_SYS(setlk(b, F_OFD_SETLK, F_WRLCK, 5, 1));
	T_ERR(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 0), EAGAIN);
	close(b);	/* closing the description drops its lock */
	if (setlk(a, F_OFD_SETLK, F_WRLCK, 0, 0) == -1) {
		int e = errno, ms;

		/* Say whether it comes free a little later or stays held. */
		for (ms = 0; ms < 2000; ms += 100) {
			usleep(100000);
			if (setlk(a, F_OFD_SETLK, F_WRLCK, 0, 0) == 0)
				T_FAIL("an OFD lock outlived close() of its description by about "
				    "%d ms (%s at once)", ms + 100, ename(e));
		}
		T_FAIL("an OFD lock is still held 2 s after close() of its description (%s)",
		    ename(e));
	}
	close(a);
	return R_PASS;
}

static pid_t
child_flock(int op)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) != 0)
		return pid;
	alarm(10);
	if ((fd = open("f", O_RDONLY)) == -1)
		_exit(200);
	_exit(flock(fd, op) == -1 ? errno : 0);
}

static int
flock_conflict(void)
{
	pid_t pid;
	int fd, st;

	T_SYS(put_file("f", "0123456789", 0644));
	T_SYS(fd = open("f", O_RDONLY));
	T_SYS(flock(fd, LOCK_EX));
	T_EQ(wait_child(child_flock(LOCK_EX | LOCK_NB)), EWOULDBLOCK);
	T_EQ(wait_child(child_flock(LOCK_SH | LOCK_NB)), EWOULDBLOCK);
	T_SYS(flock(fd, LOCK_SH));	/* convert */
	T_EQ(wait_child(child_flock(LOCK_SH | LOCK_NB)), 0);
	T_EQ(wait_child(child_flock(LOCK_EX | LOCK_NB)), EWOULDBLOCK);
	/* A blocking LOCK_EX waits for the unlock. */
	T_SYS(pid = child_flock(LOCK_EX));
	usleep(300000);
	T_ASSERT(waitpid(pid, &st, WNOHANG) == 0, "a blocking LOCK_EX did not wait");
	T_SYS(flock(fd, LOCK_UN));
	T_EQ(wait_child(pid), 0);
	/* flock and fcntl locks do not see each other on Linux. */
	T_SYS(flock(fd, LOCK_EX));
	T_EQ(wait_child(child_trylock(F_SETLK, F_WRLCK, 0, 0)), 0);
	close(fd);
	return R_PASS;
}

const struct check locks_checks[] = {
	{ "fcntl_lock_conflict", fcntl_lock_conflict, 0 },
	{ "fcntl_getlk", fcntl_getlk, 0 },
	{ "fcntl_setlkw_blocks", fcntl_setlkw_blocks, 0 },
	{ "fcntl_close_releases", fcntl_close_releases, 0 },
	{ "ofd_locks", ofd_locks, 0 },
	{ "flock_conflict", flock_conflict, 0 },
	{ NULL, NULL, 0 }
};
