/**
 * native/ by job, without circles (issue 19): every quoted #include of native/ is resolved, files
 * are grouped into units (x.c or x.cc with its x.h), and the units' include graph must be acyclic
 * — no file includes a header of a file that includes it back, directly or around a longer loop,
 * so no two files call each other in a circle. And native/build.json, the one build description,
 * lists every source file of native/ exactly once.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/fixtures.js';

const NATIVE = join(ROOT, 'native');

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

const files = walk(NATIVE).filter((f) => /\.(c|cc|h)$/.test(f));
const unitOf = (file: string) => relative(NATIVE, file).replace(/\.(c|cc|h)$/, '');

/** Quoted includes resolved as the compilers see them: beside the file, then from native/. */
function includes(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const name = m[1]!;
    const found = [join(dirname(file), name), join(NATIVE, name)].find((p) => existsSync(p) && p.startsWith(NATIVE + '/'));
    if (found) out.push(found);
  }
  return out;
}

/** A cycle in the unit graph (as a list of units), or null. */
export function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (u: string): string[] | null => {
    state.set(u, 'open');
    stack.push(u);
    for (const v of graph.get(u) ?? []) {
      if (state.get(v) === 'open') return [...stack.slice(stack.indexOf(v)), v];
      if (!state.has(v)) {
        const c = visit(v);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(u, 'done');
    return null;
  };
  for (const u of graph.keys()) {
    if (!state.has(u)) {
      const c = visit(u);
      if (c) return c;
    }
  }
  return null;
}

function unitGraph(): Map<string, Set<string>> {
  const g = new Map<string, Set<string>>();
  for (const f of files) {
    const u = unitOf(f);
    if (!g.has(u)) g.set(u, new Set());
    for (const inc of includes(f)) {
      const v = unitOf(inc);
      if (v !== u) g.get(u)!.add(v);
    }
  }
  return g;
}

describe('native/ include graph', () => {
  it('has no cycle between files (a unit is x.c/x.cc with its x.h)', () => {
    const cycle = findCycle(unitGraph());
    expect(cycle, cycle ? `include cycle: ${cycle.join(' → ')}` : '').toBeNull();
  });

  it('the check finds a cycle when there is one', () => {
    const g = new Map([['ops/load', new Set(['fast/fast'])], ['fast/fast', new Set(['fast/layers'])], ['fast/layers', new Set(['ops/load'])]]);
    expect(findCycle(g)).toEqual(['ops/load', 'fast/fast', 'fast/layers', 'ops/load']);
    expect(findCycle(new Map([['a', new Set(['b'])], ['b', new Set<string>()]]))).toBeNull();
  });

  it('every quoted include names a file that exists', () => {
    const missing: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(f, 'utf8').matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
        const name = m[1]!;
        // Darknet's own headers and utils.c come from the Darknet source tree
        if (['darknet.h', 'utils.c'].includes(name) || name.startsWith('cuda') || name.startsWith('cudnn')) continue;
        if (![join(dirname(f), name), join(NATIVE, name)].some((p) => existsSync(p))) missing.push(`${relative(ROOT, f)}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('native/build.json', () => {
  const build = JSON.parse(readFileSync(join(NATIVE, 'build.json'), 'utf8')) as {
    darknet: { extra: string[] };
    groups: Record<string, { sources: string[]; cflags: string[] }>;
  };
  it('lists every source file of native/ exactly once, and only files that exist', () => {
    const groups = Object.values(build.groups).filter((g) => typeof g === 'object');
    const listed = [...build.darknet.extra, ...groups.flatMap((g) => g.sources)];
    expect(new Set(listed).size).toBe(listed.length);
    const onDisk = files.filter((f) => !f.endsWith('.h')).map((f) => relative(ROOT, f)).sort();
    expect([...listed].sort()).toEqual(onDisk);
  });
});
