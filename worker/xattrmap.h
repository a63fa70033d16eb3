/*
 * The --xattrmap rule engine, in virtiofsd's syntax: ":type:scope:key:prepend:" rules
 * (types prefix/ok/bad/unsupported, scopes client/server/all) and one final
 * ":map:key:prepend:".
 */
#ifndef PRIVFSD_XATTRMAP_H
#define PRIVFSD_XATTRMAP_H

#include <stddef.h>

/* Parse the rules (replacing any earlier set). 0, or -1 after logging why. */
int	xattrmap_parse(const char *spec);
/* 1 when rules are in force. */
int	xattrmap_active(void);
/*
 * A name from the guest to the host's name, into out (outsize bytes): 0, EPERM (bad),
 * EOPNOTSUPP (unsupported) or ERANGE (too long once prefixed).
 */
int	xattrmap_to_server(const char *name, char *out, size_t outsize);
/* A host name as the guest sees it: 0 (out filled) or -1 when it is hidden. */
int	xattrmap_to_client(const char *name, char *out, size_t outsize);

#endif
