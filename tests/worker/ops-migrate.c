/*
 * Live migration's device state (worker/migrate_save.c, migrate_load.c): a worker with a
 * populated table (nested directories, a hard link, lookup counts, open file and
 * directory handles, a session) saves its state; a fresh worker on the same directory
 * loads it, and every id names the same file, every fh reads and writes. Then hostile
 * streams, each refused cleanly with nothing resolved: truncated, too long, oversized,
 * wrong magic or version, an index out of range, duplicate ids, parent cycles, bad names
 * ('/', "..", empty, NUL, too long), a parent that is not a directory, a symlink that
 * leads out of the export. And the options: --migration-on-error=guest-error (a node
 * renamed away answers EIO, the rest works), --migration-verify-handles (a file replaced
 * under the same name is not taken for the old one), --migration-confirm-paths, and
 * --migration-mode=file-handles (a renamed directory found by its handle; a handle of a
 * directory outside the export refused).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "harness.h"
#include "migrate.h"

#define SESSION	(SESSION_DONT_MASK | SESSION_POSIX_ACL)

struct ids {
	uint64_t	d1, d2, f, g, hl, w, fh_f, fh_w, fh_d1;
};

static const struct msg_fuse_state fuse_in = {
	.ready = 1, .minor = 38, .flags = 0x12345678abcULL, .max_pages = 256,
	.max_write = 1 << 20, .max_readahead = 65536,
};

static uint32_t migration_mode;	/* MIGRATION_*, for every worker started */

static void
start(struct wh *w, const char *dir, uint32_t flags)
{
	struct wh_opts o;

	wh_opts_default(&o);
	o.shared_dir = dir;
	o.migration_mode = migration_mode;
	o.migration_flags = flags;
	if (wh_start(w, &o) != 0)
		exit(1);
}

static void
check_same(struct wh *w, uint64_t nodeid, const char *name)
{
	struct msg_attr a;

	CHECK(wh_getattr(w, nodeid, &a) == 0 && a.ino == wh_host_ino(w, name));
}

static void
populate(struct wh *w, struct ids *id)
{
	char g[PATH_MAX];

	wh_host_mkdir(w, "d1");
	wh_host_mkdir(w, "d1/d2");
	wh_host_file(w, "d1/d2/f", "file f\n");
	wh_host_file(w, "g", "g and hl\n");
	strlcpy(g, wh_path(w, "g"), sizeof(g));
	CHECK(link(g, wh_path(w, "d1/hl")) == 0);
	wh_host_file(w, "w", "0123456789");
	CHECK(wh_session(w, SESSION) == 0);
	id->d1 = wh_node_at(w, WH_ROOT, "d1");
	id->d2 = wh_node_at(w, id->d1, "d2");
	CHECK(wh_node_at(w, id->d1, "d2") == id->d2);	/* nlookup 2 */
	id->f = wh_node_at(w, id->d2, "f");
	id->g = wh_node_at(w, WH_ROOT, "g");
	id->hl = wh_node_at(w, id->d1, "hl");
	CHECK(id->hl == id->g);
	id->w = wh_node_at(w, WH_ROOT, "w");
	CHECK(wh_open(w, id->f, O_RDONLY, &id->fh_f) == 0);
	CHECK(wh_open(w, id->w, O_RDWR | O_APPEND, &id->fh_w) == 0);
	CHECK(wh_opendir(w, id->d1, &id->fh_d1) == 0);
}

static void
check_loaded(struct wh *w, const struct ids *id)
{
	struct wh_reply	 rep;
	struct msg_attr	 a;
	uint64_t	 got;
	char		 buf[64];
	int		 fd;
	ssize_t		 n;

	check_same(w, id->d1, "d1");
	check_same(w, id->d2, "d1/d2");
	check_same(w, id->f, "d1/d2/f");
	check_same(w, id->g, "g");
	check_same(w, id->hl, "d1/hl");
	check_same(w, id->w, "w");
	CHECK(wh_read(w, id->fh_f, 0, 16, 0, &got) == 0 && got == 7 &&
	    memcmp(wh_guest(w, 0), "file f\n", 7) == 0);
	/* O_APPEND came along: the write lands at the end whatever the offset. */
	CHECK(wh_write(w, id->fh_w, 0, "ABC", 3, 0, &got) == 0 && got == 3);
	fd = open(wh_path(w, "w"), O_RDONLY);
	CHECK(fd != -1 && (n = read(fd, buf, sizeof(buf))) == 13 &&
	    memcmp(buf, "0123456789ABC", 13) == 0);
	close(fd);
	CHECK(wh_readdir(w, id->fh_d1, 0, 4096, 0, &rep) == 0);
	/* New lookups find the migrated nodes; lookup counts came along. */
	CHECK(wh_node_at(w, id->d1, "d2") == id->d2);
	wh_forget(w, id->d2, 2);
	CHECK(wh_getattr(w, id->d2, &a) == 0);
	wh_forget(w, id->d2, 1);
	CHECK(wh_getattr(w, id->d2, &a) != 0);
	CHECK(wh_release(w, id->fh_f) == 0);
	CHECK(wh_release(w, id->fh_w) == 0);
	CHECK(wh_releasedir(w, id->fh_d1) == 0);
}

/* A migrated worker migrates on: its nodes kept their names, its handles their flags. */
static void
migrate_back(struct wh *b, const struct ids *id)
{
	struct msg_state_done	 done;
	struct wh		 c;
	uint8_t			*again;
	size_t			 len;

	CHECK(wh_state_save(b, &fuse_in, &again, &len) == 0);
	CHECK(wh_log_has(b, "migration: sent 5 nodes, 3 handles"));
	start(&c, b->dir, 0);
	CHECK(wh_state_load(&c, again, len, &done) == 0);
	CHECK(wh_log_has(&c, "migration: 5 nodes found again, 0 lost, 0 of 3 handles lost"));
	check_same(&c, id->f, "d1/d2/f");
	check_same(&c, id->hl, "d1/hl");
	CHECK(wh_finish(&c) == 0);
	if (check_failures)
		wh_dump_log(&c);
	wh_stop(&c);
	free(again);
}

/* The state of a populated worker, and a load of it on the same directory. */
static struct wh	first;		/* its directory serves the hostile streams too */

static void
round_trip(uint8_t **stream, size_t *len, struct ids *id, char *dir, size_t dirsize)
{
	struct msg_state_done	done;
	struct wh		*a = &first, b;
	uint64_t		n;

	start(a, NULL, 0);
	populate(a, id);
	CHECK(wh_state_save(a, &fuse_in, stream, len) == 0);
	CHECK(*len > sizeof(struct mig_header));
	CHECK(wh_log_has(a, "migration: sent 5 nodes, 3 handles"));
	strlcpy(dir, a->dir, dirsize);

	start(&b, a->dir, 0);
	CHECK(wh_state_load(&b, *stream, *len, &done) == 0);
	CHECK(memcmp(&done.fuse, &fuse_in, sizeof(fuse_in)) == 0);
	CHECK(wh_log_has(&b, "migration: 5 nodes found again, 0 lost, 0 of 3 handles lost"));
	migrate_back(&b, id);
	check_loaded(&b, id);
	/* A new node never takes a migrated id. */
	wh_host_file(&b, "new", "");
	n = wh_node_at(&b, WH_ROOT, "new");
	CHECK(n != id->d1 && n != id->d2 && n != id->f && n != id->g && n != id->w);
	CHECK(wh_finish(&b) == 0);
	if (check_failures) {
		wh_dump_log(a);
		wh_dump_log(&b);
	}
	/* a's directory is the one both used: kept until the end. */
	wh_stop(&b);
	wh_kill(a);
}

/* ---- hostile streams, built by hand ---- */

struct sb {
	uint8_t			buf[8192];
	size_t			len;
	struct mig_header	h;
};

static void
sb_init(struct sb *s)
{
	memset(s, 0, sizeof(*s));
	s->h.magic = MIG_MAGIC;
	s->h.version = MIG_VERSION;
	s->h.header_size = sizeof(s->h);
	s->h.node_gen_next = 100;
	s->h.handle_gen_next = 100;
	s->h.fuse = fuse_in;
	s->len = sizeof(s->h);
}

static void
sb_put(struct sb *s, const void *p, size_t len)
{
	if (s->len + len > sizeof(s->buf))
		abort();
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

static void
sb_node(struct sb *s, uint32_t index, uint32_t type, uint32_t parent, const char *name,
    uint32_t name_len)
{
	struct mig_node	m;
	uint32_t	zero = 0;

	memset(&m, 0, sizeof(m));
	m.index = index;
	m.gen = 7;
	m.nlookup = 1;
	m.type = type;
	m.parent_index = parent;
	m.parent_gen = parent == 1 ? 0 : 7;
	sb_put(s, &m, sizeof(m));
	sb_put(s, &name_len, sizeof(name_len));
	sb_put(s, name, name_len);
	sb_put(s, &zero, sizeof(zero));
	s->h.nnodes++;
}

/* A directory record carrying the file handle of path (file-handles mode). */
static void
sb_dir_fh(struct sb *s, uint32_t index, uint32_t parent, const char *name, const char *path)
{
	struct {
		struct file_handle	fh;
		unsigned char		bytes[MIG_MAX_FH];
	} h;
	struct mig_node	m;
	uint32_t	len = (uint32_t)strlen(name), fhlen, type;
	int		mnt;

	memset(&h, 0, sizeof(h));
	h.fh.handle_bytes = MIG_MAX_FH;
	CHECK(name_to_handle_at(AT_FDCWD, path, &h.fh, &mnt, 0) == 0);
	memset(&m, 0, sizeof(m));
	m.index = index;
	m.gen = 7;
	m.nlookup = 1;
	m.type = S_IFDIR;
	m.parent_index = parent;
	m.parent_gen = parent == 1 ? 0 : 7;
	sb_put(s, &m, sizeof(m));
	sb_put(s, &len, sizeof(len));
	sb_put(s, name, len);
	fhlen = h.fh.handle_bytes + sizeof(type);
	type = (uint32_t)h.fh.handle_type;
	sb_put(s, &fhlen, sizeof(fhlen));
	sb_put(s, &type, sizeof(type));
	sb_put(s, h.fh.f_handle, h.fh.handle_bytes);
	s->h.nnodes++;
	s->h.flags |= MIG_F_FILE_HANDLES;
	s->h.mode = MIGRATION_FILE_HANDLES;
}

static void
sb_end(struct sb *s)
{
	s->h.total_size = s->len;
	memcpy(s->buf, &s->h, sizeof(s->h));
}

#define ID(index)	((uint64_t)7 << 32 | (index))

/* A load of s refused with error (-1: any), the worker alive, no id resolved. */
static void
refused(struct wh *w, const struct sb *s, size_t len, int error, const char *what)
{
	struct msg_state_done	done;
	struct msg_attr		a;
	uint32_t		i;
	int			rc;

	rc = wh_state_load(w, s->buf, len, &done);
	if (!(rc > 0 && (error == -1 || rc == error))) {
		fprintf(stderr, "%s: load answered %d, expected %d\n", what, rc, error);
		CHECK(0);
	}
	CHECK(wh_alive(w));
	for (i = 2; i < 8; i++)
		CHECK(wh_getattr(w, ID(i), &a) != 0);
}

static void
hostile_header(struct wh *w)
{
	struct sb	s;

	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "d1", 2);
	sb_end(&s);
	refused(w, &s, s.len - 1, EPROTO, "truncated");
	refused(w, &s, sizeof(s.h) - 3, EPROTO, "truncated header");
	refused(w, &s, 0, EPROTO, "empty");
	s.buf[s.len] = 0;
	refused(w, &s, s.len + 1, EPROTO, "longer than its header");
	s.h.total_size = (uint64_t)MIG_MAX_BYTES + 1;
	memcpy(s.buf, &s.h, sizeof(s.h));
	refused(w, &s, s.len, EPROTO, "oversized");
	sb_end(&s);
	s.h.magic ^= 1;
	memcpy(s.buf, &s.h, sizeof(s.h));
	refused(w, &s, s.len, EPROTO, "magic");
	sb_end(&s);
	s.h.version = 2;
	memcpy(s.buf, &s.h, sizeof(s.h));
	refused(w, &s, s.len, EPROTO, "version");
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "d1", 2);
	s.h.nnodes = 1000;	/* more records than bytes */
	sb_end(&s);
	refused(w, &s, s.len, EPROTO, "node count");
	sb_init(&s);
	s.h.node_gen_next = UINT32_MAX;
	sb_end(&s);
	refused(w, &s, s.len, EPROTO, "generation floor");
}

static void
hostile_records(struct wh *w)
{
	struct sb	s;
	char		longname[NAME_MAX + 2];

	sb_init(&s);
	sb_node(&s, MIG_MAX_INDEX, S_IFDIR, 1, "d1", 2);
	sb_end(&s);
	refused(w, &s, s.len, EPROTO, "index out of range");
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, MIG_MAX_INDEX + 5, "d1", 2);
	sb_end(&s);
	refused(w, &s, s.len, EPROTO, "parent index out of range");
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "d1", 2);
	sb_node(&s, 2, S_IFREG, 1, "g", 1);
	sb_end(&s);
	refused(w, &s, s.len, EPROTO, "duplicate id");
	sb_init(&s);
	sb_node(&s, 3, S_IFDIR, 4, "d1", 2);
	sb_node(&s, 4, S_IFDIR, 3, "d2", 2);
	sb_end(&s);
	refused(w, &s, s.len, ENOENT, "parent cycle");
	sb_init(&s);
	sb_node(&s, 3, S_IFDIR, 3, "d1", 2);
	sb_end(&s);
	refused(w, &s, s.len, ENOENT, "own parent");
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "d1/d2", 5);
	sb_end(&s);
	refused(w, &s, s.len, ENOENT, "name with '/'");
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "..", 2);
	sb_end(&s);
	refused(w, &s, s.len, ENOENT, "name ..");
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "", 0);
	sb_end(&s);
	refused(w, &s, s.len, ENOENT, "empty name");
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "d1\0x", 4);
	sb_end(&s);
	refused(w, &s, s.len, EPROTO, "name with NUL");
	memset(longname, 'a', sizeof(longname));
	sb_init(&s);
	sb_node(&s, 2, S_IFREG, 1, longname, NAME_MAX + 1);
	sb_end(&s);
	refused(w, &s, s.len, EPROTO, "name too long");
	/* d1/d2/f is a file: nothing is found under it. */
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "d1", 2);
	sb_node(&s, 3, S_IFDIR, 2, "d2", 2);
	sb_node(&s, 4, S_IFREG, 3, "f", 1);
	sb_node(&s, 5, S_IFREG, 4, "x", 1);
	sb_end(&s);
	refused(w, &s, s.len, ENOENT, "parent not a directory");
	/* "out" is a symlink to a directory outside: never followed, never a parent. */
	sb_init(&s);
	sb_node(&s, 2, S_IFDIR, 1, "out", 3);
	sb_node(&s, 3, S_IFREG, 2, "secret", 6);
	sb_end(&s);
	refused(w, &s, s.len, ENOENT, "symlink out of the export as a directory");
	sb_init(&s);
	sb_node(&s, 2, S_IFLNK, 1, "out", 3);
	sb_node(&s, 3, S_IFREG, 2, "secret", 6);
	sb_end(&s);
	refused(w, &s, s.len, ENOENT, "symlink out of the export as a parent");
}

static void
hostile(const char *dir)
{
	char		outside[PATH_MAX + 16], link_path[PATH_MAX + 32];
	struct wh	w;
	int		fd, n;

	n = snprintf(outside, sizeof(outside), "%s.outside", dir);
	CHECK(n > 0 && (size_t)n < sizeof(outside));
	CHECK(mkdir(outside, 0755) == 0 || errno == EEXIST);
	n = snprintf(link_path, sizeof(link_path), "%s/secret", outside);
	CHECK(n > 0 && (size_t)n < sizeof(link_path));
	CHECK((fd = open(link_path, O_CREAT | O_WRONLY, 0644)) != -1);
	close(fd);
	start(&w, dir, 0);
	CHECK(symlink(outside, wh_path(&w, "out")) == 0);
	hostile_header(&w);
	hostile_records(&w);
	CHECK(wh_finish(&w) == 0);
	if (check_failures)
		wh_dump_log(&w);
	wh_stop(&w);
	unlink(link_path);
	rmdir(outside);
}

/* ---- the options ---- */

/*
 * f renamed away on the host between save and load: abort fails the load;
 * guest-error loads, f's id and its handle answer EIO, the rest works.
 */
static void
guest_error(void)
{
	struct msg_state_done	 done;
	struct wh		 a, b, c;
	struct ids		 id;
	struct msg_attr		 attr;
	uint8_t			*stream;
	size_t			 len;
	uint64_t		 got;
	char			 from[PATH_MAX];

	start(&a, NULL, 0);
	populate(&a, &id);
	CHECK(wh_state_save(&a, &fuse_in, &stream, &len) == 0);
	strlcpy(from, wh_path(&a, "d1/d2/f"), sizeof(from));
	CHECK(rename(from, wh_path(&a, "f-moved")) == 0);

	start(&b, a.dir, 0);
	CHECK(wh_state_load(&b, stream, len, &done) == ENOENT);
	CHECK(wh_getattr(&b, id.d1, &attr) != 0);	/* nothing of it stays */
	CHECK(wh_finish(&b) == 0);
	wh_stop(&b);

	start(&c, a.dir, MIGRATION_GUEST_ERROR);
	CHECK(wh_state_load(&c, stream, len, &done) == 0);
	CHECK(wh_getattr(&c, id.f, &attr) == EIO);
	CHECK(wh_read(&c, id.fh_f, 0, 4, 0, &got) == EIO);
	CHECK(wh_release(&c, id.fh_f) == 0);
	CHECK(wh_read(&c, id.fh_f, 0, 4, 0, &got) != 0);
	check_same(&c, id.d2, "d1/d2");
	check_same(&c, id.g, "g");
	CHECK(wh_write(&c, id.fh_w, 0, "Z", 1, 0, &got) == 0 && got == 1);
	wh_forget(&c, id.f, 1);				/* an error node can be forgotten */
	CHECK(wh_getattr(&c, id.f, &attr) != 0);
	CHECK(wh_finish(&c) == 0);
	if (check_failures) {
		wh_dump_log(&b);
		wh_dump_log(&c);
	}
	wh_stop(&c);
	wh_stop(&a);
	free(stream);
}

/* A file replaced by another of the same name: only verify-handles notices. */
static void
verify_handles(void)
{
	struct msg_state_done	 done;
	struct wh		 a, b, c;
	struct ids		 id;
	uint8_t			*stream;
	size_t			 len;

	start(&a, NULL, MIGRATION_VERIFY_HANDLES);
	populate(&a, &id);
	CHECK(wh_state_save(&a, &fuse_in, &stream, &len) == 0);
	/* The same stream loads where nothing changed. */
	start(&b, a.dir, MIGRATION_VERIFY_HANDLES);
	CHECK(wh_state_load(&b, stream, len, &done) == 0);
	check_same(&b, id.f, "d1/d2/f");
	wh_kill(&b);
	CHECK(unlink(wh_path(&a, "g")) == 0 && unlink(wh_path(&a, "d1/hl")) == 0);
	wh_host_file(&a, "d1/hl", "another file\n");
	start(&c, a.dir, MIGRATION_VERIFY_HANDLES);
	CHECK(wh_state_load(&c, stream, len, &done) == ENOENT);
	CHECK(wh_log_has(&c, "(\"hl\" under"));
	CHECK(wh_finish(&c) == 0);
	if (check_failures) {
		wh_dump_log(&a);
		wh_dump_log(&c);
	}
	wh_stop(&c);
	wh_stop(&b);
	wh_stop(&a);
	free(stream);
}

/* The source notices a name that no longer leads to its node and sends it as lost. */
static void
confirm_paths(void)
{
	struct msg_state_done	 done;
	struct wh		 a, b;
	struct ids		 id;
	struct msg_attr		 attr;
	uint8_t			*stream;
	size_t			 len;
	char			 from[PATH_MAX];

	start(&a, NULL, MIGRATION_CONFIRM_PATHS);
	populate(&a, &id);
	strlcpy(from, wh_path(&a, "w"), sizeof(from));
	CHECK(rename(from, wh_path(&a, "w2")) == 0);
	wh_host_file(&a, "w", "an impostor");
	CHECK(wh_state_save(&a, &fuse_in, &stream, &len) == 0);
	CHECK(wh_log_has(&a, "migration: 1 nodes no longer found by their names"));
	start(&b, a.dir, MIGRATION_GUEST_ERROR);
	CHECK(wh_state_load(&b, stream, len, &done) == 0);
	CHECK(wh_getattr(&b, id.w, &attr) == EIO);
	check_same(&b, id.f, "d1/d2/f");
	CHECK(wh_finish(&b) == 0);
	if (check_failures) {
		wh_dump_log(&a);
		wh_dump_log(&b);
	}
	wh_stop(&b);
	wh_stop(&a);
	free(stream);
}

/*
 * --migration-mode=file-handles: a directory renamed on the host between save and load
 * is found by its handle (find-paths loses it); a handle of a directory outside the
 * export is never taken, whatever name comes with it.
 */
static void
file_handles(void)
{
	struct msg_state_done	 done;
	struct wh		 a, b, c, d;
	struct ids		 id;
	struct sb		 s;
	uint8_t			*stream;
	size_t			 len;
	char			 from[PATH_MAX], outside[PATH_MAX + 16];
	int			 n;

	migration_mode = MIGRATION_FILE_HANDLES;
	start(&a, NULL, 0);
	populate(&a, &id);
	CHECK(wh_state_save(&a, &fuse_in, &stream, &len) == 0);
	strlcpy(from, wh_path(&a, "d1"), sizeof(from));
	CHECK(rename(from, wh_path(&a, "d1-moved")) == 0);
	start(&b, a.dir, 0);
	CHECK(wh_state_load(&b, stream, len, &done) == 0);
	check_same(&b, id.d1, "d1-moved");
	check_same(&b, id.d2, "d1-moved/d2");
	check_same(&b, id.f, "d1-moved/d2/f");
	check_same(&b, id.g, "d1-moved/hl");
	CHECK(wh_finish(&b) == 0);
	if (check_failures)
		wh_dump_log(&b);
	wh_stop(&b);
	/* The same stream in find-paths mode: d1 is gone from its name. */
	migration_mode = MIGRATION_FIND_PATHS;
	start(&c, a.dir, 0);
	CHECK(wh_state_load(&c, stream, len, &done) == ENOENT);
	CHECK(wh_finish(&c) == 0);
	wh_stop(&c);

	/* A directory outside the export, by handle, named as one inside. */
	migration_mode = MIGRATION_FILE_HANDLES;
	n = snprintf(outside, sizeof(outside), "%s.fh-outside", a.dir);
	CHECK(n > 0 && (size_t)n < sizeof(outside));
	CHECK(mkdir(outside, 0755) == 0 || errno == EEXIST);
	start(&d, a.dir, 0);
	sb_init(&s);
	sb_dir_fh(&s, 2, 1, "no-such-dir", outside);
	sb_end(&s);
	refused(&d, &s, s.len, ENOENT, "a handle outside the export");
	/* And the handle of a directory inside loads. */
	sb_init(&s);
	sb_dir_fh(&s, 2, 1, "renamed-away", wh_path(&a, "d1-moved"));
	sb_end(&s);
	CHECK(wh_state_load(&d, s.buf, s.len, &done) == 0);
	check_same(&d, ID(2), "d1-moved");
	CHECK(wh_finish(&d) == 0);
	if (check_failures)
		wh_dump_log(&d);
	wh_stop(&d);
	rmdir(outside);
	wh_stop(&a);
	free(stream);
	migration_mode = MIGRATION_FIND_PATHS;
}

int
main(void)
{
	struct ids	 id;
	uint8_t		*stream;
	size_t		 len;
	char		 dir[PATH_MAX];

	if (geteuid() != 0) {
		printf("SKIP: the worker needs root\n");
		return 77;
	}
	round_trip(&stream, &len, &id, dir, sizeof(dir));
	free(stream);
	hostile(dir);
	guest_error();
	verify_handles();
	confirm_paths();
	file_handles();
	wh_stop(&first);
	return check_done("ops-migrate");
}
