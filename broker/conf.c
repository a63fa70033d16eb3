/*
 * privfsd.conf(5): the exports one privfsd service serves. The file is read whole and cut
 * into words; every statement is one line. Outside a block a line sets an option for every
 * export; "export NAME {" ... "}" declares one export with its own lines. Each option line
 * is a long option of privfsd(8) without its dashes, with its value as the next word, so
 * the file says nothing the command line cannot, and each export becomes the command line
 * of its own broker (service.c). Syntax is checked here; values are checked by the same
 * code as the command line's (options.c), which names the file and line of a bad one.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "log.h"

/* A configuration is a few hundred lines; a bigger file is a mistake. */
#define CONF_MAX_BYTES		(1024 * 1024)
#define CONF_MAX_WORDS		16

/* Options that make no sense in the file: each export listens on its own socket-path. */
static const char *const not_in_file[] = {
	"config", "fd", "help", "version", "print-capabilities", "export-name", NULL
};

struct conf_parse {
	const char	*path;
	char		*text;
	size_t		 len;
	size_t		 pos;
	unsigned int	 line;
	char		 err[512];
};

static int	conf_error(struct conf_parse *, unsigned int, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));

static int
conf_error(struct conf_parse *p, unsigned int line, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	n = snprintf(p->err, sizeof(p->err), "%s:%u: ", p->path, line);
	if (n < 0 || (size_t)n >= sizeof(p->err))
		n = 0;
	va_start(ap, fmt);
	(void)vsnprintf(p->err + n, sizeof(p->err) - n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The file must be ours (or root's) and writable by nobody else, as sshd wants its keys. */
static int
conf_read(struct conf_parse *p)
{
	struct stat	st;
	ssize_t		n;
	int		fd;

	if ((fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return snprintf(p->err, sizeof(p->err), "%s: %s", p->path, strerror(errno)), -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return snprintf(p->err, sizeof(p->err), "%s: not a regular file", p->path), -1;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		close(fd);
		return snprintf(p->err, sizeof(p->err), "%s: must be owned by root or by us and "
		    "writable by its owner only", p->path), -1;
	}
	if (st.st_size > CONF_MAX_BYTES) {
		close(fd);
		return snprintf(p->err, sizeof(p->err), "%s: larger than %d bytes", p->path,
		    CONF_MAX_BYTES), -1;
	}
	if ((p->text = malloc((size_t)st.st_size + 1)) == NULL)
		fatal("%s", __func__);
	p->len = 0;
	while (p->len < (size_t)st.st_size &&
	    (n = read(fd, p->text + p->len, (size_t)st.st_size - p->len)) > 0)
		p->len += (size_t)n;
	close(fd);
	p->text[p->len] = '\0';
	if (memchr(p->text, '\0', p->len) != NULL)
		return snprintf(p->err, sizeof(p->err), "%s: contains a NUL byte", p->path), -1;
	return 0;
}

/* One "quoted word", with \" and \\ inside; p->pos is on the opening quote. */
static int
word_quoted(struct conf_parse *p, char *out, size_t outsz)
{
	size_t	n = 0;
	char	c;

	for (p->pos++; p->pos < p->len; p->pos++) {
		c = p->text[p->pos];
		if (c == '\n')
			break;
		if (c == '"') {
			p->pos++;
			out[n] = '\0';
			return 0;
		}
		if (c == '\\' && p->pos + 1 < p->len &&
		    (p->text[p->pos + 1] == '"' || p->text[p->pos + 1] == '\\'))
			c = p->text[++p->pos];
		if (n + 1 >= outsz)
			return conf_error(p, p->line, "word longer than %zu bytes", outsz - 1);
		out[n++] = c;
	}
	return conf_error(p, p->line, "unterminated quoted word");
}

static int
is_word_char(char c)
{
	return !isspace((unsigned char)c) && c != '"' && c != '#' && c != '{' && c != '}';
}

/*
 * The next line's words into words[] (each PATH_MAX bytes); *nwords is 0 at the end of the
 * file. Empty and comment-only lines are skipped. { and } are words of their own.
 */
static int
next_line(struct conf_parse *p, char words[][PATH_MAX], int *nwords, unsigned int *line)
{
	size_t	n;
	char	c;

	*nwords = 0;
	for (;;) {
		if (p->pos >= p->len)
			return 0;
		c = p->text[p->pos];
		if (c == '\n') {
			p->pos++;
			p->line++;
			if (*nwords > 0)
				return 0;
			continue;
		}
		if (isspace((unsigned char)c)) {
			p->pos++;
			continue;
		}
		if (c == '#') {
			while (p->pos < p->len && p->text[p->pos] != '\n')
				p->pos++;
			continue;
		}
		if (*nwords == CONF_MAX_WORDS)
			return conf_error(p, p->line, "too many words on one line");
		*line = p->line;
		if (c == '"') {
			if (word_quoted(p, words[*nwords], PATH_MAX) == -1)
				return -1;
		} else if (c == '{' || c == '}') {
			words[*nwords][0] = c;
			words[*nwords][1] = '\0';
			p->pos++;
		} else {
			for (n = 0; p->pos < p->len && is_word_char(p->text[p->pos]); p->pos++) {
				if (n + 1 >= PATH_MAX)
					return conf_error(p, p->line, "word longer than %d bytes",
					    PATH_MAX - 1);
				words[*nwords][n++] = p->text[p->pos];
			}
			words[*nwords][n] = '\0';
		}
		(*nwords)++;
	}
}

static void
argv_add(struct conf_export *e, const char *arg, const char *origin)
{
	char	**na, **no;

	if ((na = reallocarray(e->argv, e->argc + 2, sizeof(*na))) == NULL ||
	    (e->argv = na, no = reallocarray(e->origins, e->argc + 2, sizeof(*no))) == NULL)
		fatal("%s", __func__);
	e->origins = no;
	if ((e->argv[e->argc] = strdup(arg)) == NULL ||
	    (e->origins[e->argc] = strdup(origin)) == NULL)
		fatal("%s", __func__);
	e->argc++;
	e->argv[e->argc] = NULL;
	e->origins[e->argc] = NULL;
}

/* One option line into e's command line: "--name" or "--name=value". */
static int
option_line(struct conf_parse *p, struct conf_export *e, char words[][PATH_MAX], int nwords,
    unsigned int line)
{
	char	arg[PATH_MAX + 64], origin[PATH_MAX + 16];
	int	i, n, takes;

	for (i = 0; not_in_file[i] != NULL; i++)
		if (strcmp(words[0], not_in_file[i]) == 0)
			return conf_error(p, line, "%s: not allowed in the file", words[0]);
	if ((takes = options_takes_value(words[0])) == -1)
		return conf_error(p, line, "%s: unknown option", words[0]);
	if (takes && nwords != 2)
		return conf_error(p, line, "%s: needs one value", words[0]);
	if (!takes && nwords != 1)
		return conf_error(p, line, "%s: takes no value", words[0]);
	if (takes)
		n = snprintf(arg, sizeof(arg), "--%s=%s", words[0], words[1]);
	else
		n = snprintf(arg, sizeof(arg), "--%s", words[0]);
	if (n < 0 || (size_t)n >= sizeof(arg))
		return conf_error(p, line, "%s: value too long", words[0]);
	(void)snprintf(origin, sizeof(origin), "%s:%u", p->path, line);
	argv_add(e, arg, origin);
	return 0;
}

static int
export_name_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '-' && s[n] != '_' && s[n] != '.')
			return 0;
	return n > 0 && n < CONF_NAME_MAX;
}

static int
export_open(struct conf_parse *p, struct conf *c, char words[][PATH_MAX], int nwords,
    unsigned int line, const struct conf_export *globals)
{
	struct conf_export	*e, *ne;
	size_t			 i;
	char			 arg[CONF_NAME_MAX + 32];

	if (nwords != 3 || strcmp(words[2], "{") != 0)
		return conf_error(p, line, "export: want \"export NAME {\"");
	if (!export_name_ok(words[1]))
		return conf_error(p, line, "export %s: a name is 1 to %d letters, digits, "
		    "'-', '_' or '.'", words[1], CONF_NAME_MAX - 1);
	for (i = 0; i < c->nexports; i++)
		if (strcmp(c->exports[i].name, words[1]) == 0)
			return conf_error(p, line, "export %s: declared twice (first on line %u)",
			    words[1], c->exports[i].line);
	if ((ne = reallocarray(c->exports, c->nexports + 1, sizeof(*ne))) == NULL)
		fatal("%s", __func__);
	c->exports = ne;
	e = &c->exports[c->nexports++];
	memset(e, 0, sizeof(*e));
	(void)strlcpy(e->name, words[1], sizeof(e->name));
	e->line = line;
	argv_add(e, "privfsd", "");
	for (i = 1; i < (size_t)globals->argc; i++)
		argv_add(e, globals->argv[i], globals->origins[i]);
	e->nglobals = globals->argc - 1;
	(void)snprintf(arg, sizeof(arg), "--export-name=%s", e->name);
	(void)snprintf(e->origin, sizeof(e->origin), "%s:%u", p->path, line);
	argv_add(e, arg, e->origin);
	return 0;
}

/* Every export's socket-path, once its block is complete: two exports cannot share one. */
static int
export_close(struct conf_parse *p, struct conf *c, unsigned int line)
{
	struct conf_export	*e = &c->exports[c->nexports - 1];
	size_t			 i;
	int			 a;

	for (a = 1; a < e->argc; a++)
		if (strncmp(e->argv[a], "--socket-path=", 14) == 0 ||
		    strncmp(e->argv[a], "--socket=", 9) == 0)
			(void)strlcpy(e->socket_path, strchr(e->argv[a], '=') + 1,
			    sizeof(e->socket_path));
	if (e->socket_path[0] == '\0')
		return conf_error(p, e->line, "export %s: no socket-path", e->name);
	for (i = 0; i + 1 < c->nexports; i++)
		if (strcmp(c->exports[i].socket_path, e->socket_path) == 0)
			return conf_error(p, line, "export %s: socket-path %s is export %s's too",
			    e->name, e->socket_path, c->exports[i].name);
	return 0;
}

static int
conf_parse_lines(struct conf_parse *p, struct conf *c)
{
	static char		 words[CONF_MAX_WORDS][PATH_MAX];
	struct conf_export	 globals;
	unsigned int		 line = 0;
	int			 nwords, in_export = 0, rc = -1;

	memset(&globals, 0, sizeof(globals));
	argv_add(&globals, "privfsd", "");
	for (;;) {
		if (next_line(p, words, &nwords, &line) == -1)
			goto out;
		if (nwords == 0)
			break;
		if (strcmp(words[0], "export") == 0) {
			if (in_export) {
				conf_error(p, line, "export inside export %s (a \"}\" missing?)",
				    c->exports[c->nexports - 1].name);
				goto out;
			}
			if (export_open(p, c, words, nwords, line, &globals) == -1)
				goto out;
			in_export = 1;
		} else if (strcmp(words[0], "}") == 0) {
			if (!in_export || nwords != 1) {
				conf_error(p, line, "\"}\" without an export");
				goto out;
			}
			if (export_close(p, c, line) == -1)
				goto out;
			in_export = 0;
		} else if (strcmp(words[0], "{") == 0) {
			conf_error(p, line, "\"{\" without an export");
			goto out;
		} else if (option_line(p, in_export ? &c->exports[c->nexports - 1] : &globals,
		    words, nwords, line) == -1)
			goto out;
	}
	if (in_export)
		conf_error(p, p->line, "end of file inside export %s (a \"}\" missing)",
		    c->exports[c->nexports - 1].name);
	else if (c->nexports == 0)
		conf_error(p, p->line, "no export declared");
	else
		rc = 0;
out:
	conf_export_free(&globals);
	return rc;
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errsz)
{
	struct conf_parse	p;
	int			rc;

	memset(c, 0, sizeof(*c));
	memset(&p, 0, sizeof(p));
	p.path = path;
	p.line = 1;
	rc = conf_read(&p);
	if (rc == 0)
		rc = conf_parse_lines(&p, c);
	free(p.text);
	if (rc == -1) {
		(void)strlcpy(err, p.err, errsz);
		conf_free(c);
	}
	return rc;
}

void
conf_export_free(struct conf_export *e)
{
	int i;

	for (i = 0; i < e->argc; i++) {
		free(e->argv[i]);
		free(e->origins[i]);
	}
	free(e->argv);
	free(e->origins);
	e->argv = e->origins = NULL;
	e->argc = 0;
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->nexports; i++)
		conf_export_free(&c->exports[i]);
	free(c->exports);
	c->exports = NULL;
	c->nexports = 0;
}

/* Two declarations of one export that would start the same broker. */
int
conf_export_same(const struct conf_export *a, const struct conf_export *b)
{
	int i;

	if (a->argc != b->argc)
		return 0;
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return 0;
	return 1;
}
