#!/usr/bin/env python3
"""instr_cmp.py DIR_A DIR_B [N]: per-request inclusive instructions by function of two
bench/stream_instr.sh runs, largest growth from A to B first."""
import re, subprocess, sys

def load(d):
    n = int(re.search(r'requests=(\d+)', open(d + '/wrk.out').read()).group(1))
    out = subprocess.run(['callgrind_annotate', '--inclusive=yes', '--threshold=100', d + '/cg.out'],
                         capture_output=True, text=True).stdout
    r = {}
    for line in out.splitlines():
        m = re.match(r'\s*([\d,]+) \([\d. %]+\)\s+(\S+)', line)
        if m and ':' in m.group(2):
            fn = m.group(2).split('/')[-1]
            if fn not in r:
                r[fn] = int(m.group(1).replace(',', '')) / n
    return r

a = load(sys.argv[1]); b = load(sys.argv[2])
rows = sorted(set(a) | set(b), key=lambda k: -(b.get(k, 0) - a.get(k, 0)))
lim = int(sys.argv[3]) if len(sys.argv) > 3 else 45
for k in rows[:lim]:
    print("%8.0f %8.0f %+8.0f %s" % (a.get(k, 0), b.get(k, 0), b.get(k, 0) - a.get(k, 0), k))
print('...')
for k in rows[-12:]:
    print("%8.0f %8.0f %+8.0f %s" % (a.get(k, 0), b.get(k, 0), b.get(k, 0) - a.get(k, 0), k))
