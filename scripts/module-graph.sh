#!/usr/bin/env bash
# Prints the graph of top-level modules under src/ (src/<module>/...) from their #include "<module>/..."
# lines, one edge per line with the number of including files, and fails when two or more modules
# depend on each other (a cycle). Used by `make test`; run it by hand to see the layering.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 - "$@" <<'PY'
import os, re, sys
src = "src"
mods = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
edges = {}
inc = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]+"', re.M)
for m in mods:
    for root, _, files in os.walk(os.path.join(src, m)):
        for f in files:
            if not f.endswith((".c", ".h")):
                continue
            path = os.path.join(root, f)
            with open(path, encoding="utf-8", errors="replace") as fh:
                for dep in inc.findall(fh.read()):
                    if dep in mods and dep != m:
                        edges.setdefault((m, dep), set()).add(path)
print("module graph (src/<from> -> src/<to>: files):")
for (a, b), files in sorted(edges.items()):
    print(f"  {a} -> {b}: {len(files)}")
# Tarjan's strongly connected components: any component with more than one module is a cycle
graph = {m: sorted(b for (a, b) in edges if a == m) for m in mods}
index, low, stack, on, comps, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        comps.append(comp)
for m in mods:
    if m not in index:
        visit(m)
cycles = [sorted(c) for c in comps if len(c) > 1]
if cycles:
    for c in cycles:
        print("module-graph: cycle between " + ", ".join(c))
        for (a, b), files in sorted(edges.items()):
            if a in c and b in c:
                print(f"    {a} -> {b} via " + ", ".join(sorted(files)))
    print("module-graph: FAILED")
    sys.exit(1)
print("module-graph: no cycles")
PY
