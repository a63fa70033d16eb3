#!/bin/bash
# The layer order of doc/architecture.md ("Layers"), checked on the built objects. For each
# folder with a "```layers FOLDER" block there, the file-level call graph of its program
# comes from nm: a symbol undefined in A.o and defined in B.o of the same folder is an edge
# A -> B (libcommon and libc define nothing in the folder, so they drop out). It fails when
# a file calls into a higher layer than its own, when files of the folder call each other
# in a cycle, or when a .c file of the folder is in no layer (or a layer names a file that
# is gone).
set -u

srcdir=${PRIVFSD_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${PRIVFSD_BUILDDIR:-$srcdir/build}

for tool in python3 nm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done

exec python3 - "$srcdir" "$builddir" <<'EOF'
import glob, os, re, subprocess, sys

srcdir, builddir = sys.argv[1], sys.argv[2]
doc = os.path.join(srcdir, 'doc', 'architecture.md')
errors = []


def parse_blocks(path):
    """{folder: {file: layer}} from every ```layers FOLDER block."""
    blocks, folder, lineno = {}, None, 0
    for lineno, line in enumerate(open(path), 1):
        line = line.rstrip('\n')
        m = re.match(r'^```layers\s+(\S+)\s*$', line)
        if folder is None:
            if m:
                folder = m.group(1)
                if folder in blocks:
                    errors.append('%s:%d: a second block for %s' % (path, lineno, folder))
                blocks[folder] = {}
            continue
        if line.startswith('```'):
            folder = None
            continue
        words = line.split('#', 1)[0].split()
        if not words:
            continue
        if not words[0].isdigit() or len(words) < 2:
            errors.append('%s:%d: expected "N file.c ...": %s' % (path, lineno, line))
            continue
        for f in words[1:]:
            if f in blocks[folder]:
                errors.append('%s:%d: %s/%s is in two layers' % (path, lineno, folder, f))
            blocks[folder][f] = int(words[0])
    if folder is not None:
        errors.append('%s: the block for %s is not closed' % (path, folder))
    return blocks


def object_of(folder, cfile):
    """The object of the installed (non-test) program: X.o or PROGRAM-X.o."""
    d = os.path.join(builddir, folder)
    base = cfile[:-2]
    cands = [p for p in glob.glob(os.path.join(d, '*-' + base + '.o'))
             if 'test' not in os.path.basename(p)[:-len(base) - 3]]
    if os.path.exists(os.path.join(d, base + '.o')):
        cands.append(os.path.join(d, base + '.o'))
    if not cands:
        errors.append('%s/%s: no object in %s (build first)' % (folder, cfile, d))
        return None
    return max(cands, key=os.path.getmtime)


def symbols(obj):
    """(defined, undefined) external symbols of one object."""
    out = subprocess.run(['nm', '-P', '-g', obj], capture_output=True, text=True,
                         check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        if parts[1] == 'U':
            undefined.add(parts[0])
        elif parts[1] not in 'vw':
            defined.add(parts[0])
    return defined, undefined


def call_graph(folder, files):
    """{A: {B: [symbols]}} between the files of one folder."""
    defs, undefs, owner = {}, {}, {}
    for f in files:
        obj = object_of(folder, f)
        if obj is None:
            continue
        defs[f], undefs[f] = symbols(obj)
        for s in defs[f]:
            owner[s] = f
    graph = {f: {} for f in defs}
    for f in defs:
        for s in sorted(undefs[f]):
            if s in owner and owner[s] != f:
                graph[f].setdefault(owner[s], []).append(s)
    return graph


def cycles(graph):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def check(folder, layer):
    files = sorted(os.path.basename(p)
                   for p in glob.glob(os.path.join(srcdir, folder, '*.c')))
    for f in files:
        if f not in layer:
            errors.append('%s/%s: in no layer of doc/architecture.md' % (folder, f))
    for f in sorted(layer):
        if f not in files:
            errors.append('%s/%s: named in a layer but not in the tree' % (folder, f))
    graph = call_graph(folder, [f for f in files if f in layer])
    nedges = 0
    for a in sorted(graph):
        for b, syms in sorted(graph[a].items()):
            nedges += 1
            if layer[b] > layer[a]:
                errors.append('%s: %s (layer %d) calls up into %s (layer %d): %s'
                              % (folder, a, layer[a], b, layer[b], ' '.join(syms)))
    for comp in cycles(graph):
        edges = ['%s -> %s (%s)' % (a, b, ' '.join(graph[a][b]))
                 for a in comp for b in sorted(graph[a]) if b in comp]
        errors.append('%s: call cycle between %s: %s'
                      % (folder, ' '.join(comp), '; '.join(edges)))
    print('%s: %d files, %d layers, %d edges' % (folder, len(graph),
                                                len(set(layer.values())), nedges))


blocks = parse_blocks(doc)
if not blocks:
    errors.append('%s: no ```layers block' % doc)
for folder in sorted(blocks):
    check(folder, blocks[folder])
for e in errors:
    print('FAIL: ' + e)
sys.exit(1 if errors else 0)
EOF
