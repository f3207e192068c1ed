// `node bench/profile-summary.ts FILE.cpuprofile [--top 25]`: where one process spent its time, from a
// V8 CPU profile (`npm run bench:profile` writes one per process). Prints the functions with the most
// self time, the modules (our files, or the package a file belongs to) with the most self time, and the
// functions with the most inclusive time (each sample counted once per function on its stack).
// `--callers NAME [--depth 6]` adds the call paths (the nearest frames) by which functions named NAME were reached.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    callers: { type: 'string' },
    depth: { type: 'string', default: '6' },
  },
});
const TOP = Number(values.top);

/** Where a frame's code lives: `our/file.ts`, a package name, `node:…`, or V8's own (GC, idle, program). */
function moduleOf(url: string): string {
  if (!url) return '(v8)';
  if (url.startsWith('node:')) return url;
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const ours = url.match(/\/(packages|examples|test|bench)\/.*$/);
  return ours ? ours[0].slice(1) : url;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${moduleOf(url)}:${lineNumber + 1}`;
}

function summarise(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const modules = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const paths = new Map<string, number>();
  let total = 0;
  let idle = 0;
  const add = (map: Map<string, number>, key: string, us: number) => map.set(key, (map.get(key) ?? 0) + us);
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id)!;
    total += us;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      return;
    }
    add(self, frameName(node), us);
    add(modules, moduleOf(node.callFrame.url), us);
    const seen = new Set<string>();
    const stack: string[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!);
      if (!seen.has(name)) add(inclusive, name, us);
      seen.add(name);
      stack.push(name);
    }
    const reached = stack.findIndex((name) => name.startsWith(`${values.callers} `));
    if (values.callers && reached >= 0)
      add(paths, stack.slice(reached, reached + Number(values.depth)).join(' < '), us);
  });
  const busy = total - idle;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const share = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title}`);
    for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, TOP))
      console.log(`${ms(us)} ${share(us)}  ${name}`);
  };
  console.log(`${file}: ${ms(busy).trim()} busy of ${ms(total).trim()} (shares are of busy time)`);
  print('self time by function', self);
  print('self time by module', modules);
  print('inclusive time by function', inclusive);
  if (values.callers) print(`call paths to ${values.callers}`, paths);
}

if (positionals.length === 0) {
  console.error('Name one or more .cpuprofile files: node bench/profile-summary.ts DIR/*.cpuprofile');
  process.exit(2);
}
for (const file of positionals) summarise(file);
