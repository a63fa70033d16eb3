/*
 * The --xattrmap rule engine (virtiofsd syntax). Rules are read once and never change
 * afterwards, so lookups need no lock. The first rule that matches decides; a final
 * "bad, all" catch-all is added when the rules do not end with one, as virtiofsd does.
 */
#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "xattrmap.h"

#define XMAP_MAX_RULES	64
#define XMAP_FIELD_MAX	256

enum xmap_type {
	XMAP_PREFIX,
	XMAP_OK,
	XMAP_BAD,
	XMAP_UNSUPPORTED,
};

#define XMAP_CLIENT	0x1
#define XMAP_SERVER	0x2
#define XMAP_ALL	(XMAP_CLIENT | XMAP_SERVER)

struct xmap_rule {
	enum xmap_type	type;
	int		scope;
	char		key[XMAP_FIELD_MAX];
	char		prepend[XMAP_FIELD_MAX];
};

static struct xmap_rule	rules[XMAP_MAX_RULES];
static int		nrules;

static int
rule_add(enum xmap_type type, int scope, const char *key, const char *prepend)
{
	struct xmap_rule	*r;

	if (nrules == XMAP_MAX_RULES) {
		log_warnx("xattrmap: more than %d rules", XMAP_MAX_RULES);
		return -1;
	}
	r = &rules[nrules++];
	r->type = type;
	r->scope = scope;
	if (strlcpy(r->key, key, sizeof(r->key)) >= sizeof(r->key) ||
	    strlcpy(r->prepend, prepend, sizeof(r->prepend)) >= sizeof(r->prepend)) {
		log_warnx("xattrmap: field too long");
		return -1;
	}
	return 0;
}

/* One field up to the next sep; *p moves past it. -1 when sep never comes. */
static int
field(const char **p, char sep, char *out, size_t outsize)
{
	const char	*end;
	size_t		 len;

	if ((end = strchr(*p, sep)) == NULL) {
		log_warnx("xattrmap: missing '%c' separator", sep);
		return -1;
	}
	len = (size_t)(end - *p);
	if (len >= outsize) {
		log_warnx("xattrmap: field too long");
		return -1;
	}
	memcpy(out, *p, len);
	out[len] = '\0';
	*p = end + 1;
	return 0;
}

/* ":map:key:prepend:" as the rules virtiofsd expands it to. */
static int
rule_map(const char *key, const char *prepend)
{
	if (rule_add(XMAP_PREFIX, XMAP_ALL, key, prepend) == -1)
		return -1;
	if (*key == '\0')	/* everything is prefixed: hide the host's own names */
		return rule_add(XMAP_BAD, XMAP_ALL, "", "");
	/* hide unprefixed host names like key; keep the guest off prefixed ones */
	if (rule_add(XMAP_BAD, XMAP_SERVER, "", key) == -1 ||
	    rule_add(XMAP_BAD, XMAP_CLIENT, prepend, "") == -1)
		return -1;
	return rule_add(XMAP_OK, XMAP_ALL, "", "");
}

static int
rule_typed(const char *type, const char *scope, const char *key, const char *prepend)
{
	enum xmap_type	t;
	int		s;

	if (strcmp(type, "prefix") == 0)
		t = XMAP_PREFIX;
	else if (strcmp(type, "ok") == 0)
		t = XMAP_OK;
	else if (strcmp(type, "bad") == 0)
		t = XMAP_BAD;
	else if (strcmp(type, "unsupported") == 0)
		t = XMAP_UNSUPPORTED;
	else {
		log_warnx("xattrmap: unknown rule type '%s'", type);
		return -1;
	}
	if (strcmp(scope, "client") == 0)
		s = XMAP_CLIENT;
	else if (strcmp(scope, "server") == 0)
		s = XMAP_SERVER;
	else if (strcmp(scope, "all") == 0)
		s = XMAP_ALL;
	else {
		log_warnx("xattrmap: unknown scope '%s'", scope);
		return -1;
	}
	return rule_add(t, s, key, prepend);
}

static int
rule_parse(const char **p, int *saw_map)
{
	char	sep, type[XMAP_FIELD_MAX], scope[XMAP_FIELD_MAX];
	char	key[XMAP_FIELD_MAX], prepend[XMAP_FIELD_MAX];

	if (*saw_map) {
		log_warnx("xattrmap: 'map' must be the last rule");
		return -1;
	}
	sep = *(*p)++;
	if (field(p, sep, type, sizeof(type)) == -1)
		return -1;
	if (strcmp(type, "map") == 0) {
		*saw_map = 1;
		if (field(p, sep, key, sizeof(key)) == -1 ||
		    field(p, sep, prepend, sizeof(prepend)) == -1)
			return -1;
		return rule_map(key, prepend);
	}
	if (field(p, sep, scope, sizeof(scope)) == -1 ||
	    field(p, sep, key, sizeof(key)) == -1 ||
	    field(p, sep, prepend, sizeof(prepend)) == -1)
		return -1;
	return rule_typed(type, scope, key, prepend);
}

int
xattrmap_parse(const char *spec)
{
	const char		*p = spec;
	const struct xmap_rule	*last;
	int			 saw_map = 0;

	nrules = 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		if (rule_parse(&p, &saw_map) == -1) {
			nrules = 0;
			return -1;
		}
	}
	if (nrules == 0)
		return 0;
	last = &rules[nrules - 1];
	if (last->type != XMAP_PREFIX && last->scope == XMAP_ALL &&
	    last->key[0] == '\0' && last->prepend[0] == '\0')
		return 0;
	/* No catch-all at the end: whatever no rule names is refused and hidden. */
	if (rule_add(XMAP_BAD, XMAP_ALL, "", "") == -1) {
		nrules = 0;
		return -1;
	}
	return 0;
}

int
xattrmap_active(void)
{
	return nrules > 0;
}

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
xattrmap_to_server(const char *name, char *out, size_t outsize)
{
	const struct xmap_rule	*r;
	int			 i, len;

	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		if ((r->scope & XMAP_CLIENT) == 0 || !has_prefix(name, r->key))
			continue;
		switch (r->type) {
		case XMAP_PREFIX:
			len = snprintf(out, outsize, "%s%s", r->prepend, name);
			return len < 0 || (size_t)len >= outsize ? ERANGE : 0;
		case XMAP_OK:
			return strlcpy(out, name, outsize) >= outsize ? ERANGE : 0;
		case XMAP_BAD:
			return EPERM;
		case XMAP_UNSUPPORTED:
			return EOPNOTSUPP;
		}
	}
	return EPERM;
}

int
xattrmap_to_client(const char *name, char *out, size_t outsize)
{
	const struct xmap_rule	*r;
	int			 i;

	for (i = 0; i < nrules; i++) {
		r = &rules[i];
		if ((r->scope & XMAP_SERVER) == 0 || !has_prefix(name, r->prepend))
			continue;
		switch (r->type) {
		case XMAP_PREFIX:
			name += strlen(r->prepend);
			if (*name == '\0')
				return -1;
			/* FALLTHROUGH */
		case XMAP_OK:
			return strlcpy(out, name, outsize) >= outsize ? -1 : 0;
		case XMAP_BAD:
		case XMAP_UNSUPPORTED:
			return -1;
		}
	}
	return -1;
}
