// What the benchmarks share: the table of targets (our figure, the peer's, the ratio, the target and
// whether it is met), how loaded the machine was while they ran, and the JSON file `--json` writes.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';

/** One row of a benchmark's table. */
export interface Row {
  measure: string;
  unit: string;
  ours: number;
  /** The peer compared with, and its figure in the same run. */
  peer?: { name: string; value: number };
  /** ours / peer, when there is a peer. */
  ratio?: number;
  target: string;
  met: boolean;
}

/** A row whose target is a ratio to the peer: `ours / peer` at most (`<=`) or at least (`>=`) `limit`. */
export function ratioRow(
  measure: string,
  unit: string,
  ours: number,
  peer: { name: string; value: number },
  op: '<=' | '>=',
  limit: number,
): Row {
  const ratio = ours / peer.value;
  return {
    measure,
    unit,
    ours,
    peer,
    ratio,
    target: `${op === '<=' ? '≤' : '≥'} ${limit}× ${peer.name}`,
    met: op === '<=' ? ratio <= limit : ratio >= limit,
  };
}

/** A row whose target is an absolute figure (below `limit`); a peer, when given, is shown for context. */
export function limitRow(
  measure: string,
  unit: string,
  ours: number,
  limit: number,
  peer?: { name: string; value: number },
): Row {
  return {
    measure,
    unit,
    ours,
    ...(peer && { peer, ratio: ours / peer.value }),
    target: `< ${limit} ${unit}`,
    met: ours < limit,
  };
}

/** The machine's load (1-minute average) and core count: figures from a loaded machine are only ratios. */
export function machine() {
  return { load1: Number(loadavg()[0]!.toFixed(2)), cpus: cpus().length, node: process.version };
}

export type Machine = ReturnType<typeof machine>;

const figure = (n: number) =>
  Number.isInteger(n) ? String(n) : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

/** Prints the rows as a Markdown table, so a run can be pasted into docs/performance.md as it is. */
export function printTable(rows: Row[], before: Machine, after: Machine): void {
  const lines = [
    ['measure', 'tunnel', 'peer', 'ratio', 'target', 'met'],
    ...rows.map((row) => [
      row.measure,
      `${figure(row.ours)} ${row.unit}`,
      row.peer ? `${figure(row.peer.value)} ${row.unit} (${row.peer.name})` : '—',
      row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}×`,
      row.target,
      row.met ? 'yes' : 'NO',
    ]),
  ];
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((line) => line[i]!.length)));
  const format = (line: string[]) => `| ${line.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(format(lines[0]!));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const line of lines.slice(1)) console.log(format(line));
  console.log('');
  console.log(
    `Node ${after.node}, ${after.cpus} cores; load average (1 min) ${before.load1} at the start, ${after.load1} at the end: on a loaded machine only the ratios of one run count.`,
  );
}

/** Writes the run as JSON for tooling: the rows, the machine, and the benchmark's own details. */
export function writeJson(
  path: string,
  bench: string,
  rows: Row[],
  machines: { before: Machine; after: Machine },
  details: unknown,
): void {
  writeFileSync(
    path,
    `${JSON.stringify({ bench, at: new Date().toISOString(), machine: machines, rows, details }, null, 2)}\n`,
  );
  console.log(`wrote ${path}`);
}

/** The resident set size of a process of this machine, in bytes (Linux: /proc/<pid>/status). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb[1]) * 1024;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

export const MB = 1024 * 1024;

/** CPU time (user + system) a process of this machine has used so far, in ms (Linux: /proc/<pid>/stat). */
export async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may hold spaces, start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** The process ids of a process's descendants (Linux: /proc/<pid>/task/<pid>/children), nearest first. */
export async function descendantsOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const children = text.split(' ').filter(Boolean).map(Number);
  const below = await Promise.all(children.map(descendantsOf));
  return [...children, ...below.flat()];
}
