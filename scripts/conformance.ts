// `npm run conformance`: the MCP conformance suites' server scenarios against a reference MCP server twice:
// called directly, and behind the tunnel (the real tunnel-service and tunnel-client on loopback). Three
// suites: the stable 0.1.16, and the 0.2.0 alpha with its default set and with `--requirements 2026-07-28`.
// Prints pass/fail per scenario in two columns, then one line per suite (`direct P/T through P/T`), and
// exits 1 when a scenario does worse through the tunnel than directly.
//
//   npm run conformance [-- --scenario NAME ...]
//
// The reference server is test/support/conformance-server.ts: the tools, resources and prompts the
// scenarios call, built on the official SDK over Streamable HTTP. The conformance runner cannot send an
// API key, so a loopback forwarder in front of the connector endpoint adds the caller's key, as an MCP
// client configured with one would; it passes Host and Origin through untouched, so the connector's own
// Origin allowlist is what the dns-rebinding-protection scenario tests.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, freePort, startProcess, type Proc } from '../test/support/processes.ts';
import { startSystem, type System } from '../test/support/system.ts';
import { authorizationFailed, authorizationRows, authorizationTable } from './conformance-authorization.ts';

const CONFORMANCE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance');
const ALPHA = join(ROOT, 'node_modules/@modelcontextprotocol/conformance-authorization');

/** One run of a conformance suite: which package, and the arguments that pick its scenarios. */
export interface Suite {
  name: string;
  cli: string;
  args: string[];
}

const version = (dir: string) =>
  (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;

export const SUITES: Suite[] = [
  { name: `conformance ${version(CONFORMANCE)}`, cli: CONFORMANCE, args: [] },
  { name: `conformance ${version(ALPHA)}`, cli: ALPHA, args: [] },
  {
    name: `conformance ${version(ALPHA)} --requirements 2026-07-28`,
    cli: ALPHA,
    args: ['--requirements', '2026-07-28'],
  },
];
const REFERENCE = join(ROOT, 'test/support/conformance-server.ts');

export interface ScenarioResult {
  passed: number;
  failed: number;
}

/**
 * Runs a conformance suite against `url`; returns each scored scenario's checks passed and failed (the
 * alpha names the scenarios a requirement set runs but does not score, extensions and pending ones: they
 * are left out).
 */
async function runConformance(
  suite: Suite,
  url: string,
  scenarios: string[],
): Promise<Map<string, ScenarioResult>> {
  const results = new Map<string, ScenarioResult>();
  const runs = scenarios.length ? scenarios.map((s) => ['--scenario', s]) : [[]];
  const outputDir = mkdtempSync(join(tmpdir(), 'conformance-'));
  try {
    for (const extra of runs) {
      const proc = startProcess([
        join(suite.cli, 'dist/index.js'),
        'server',
        '--url',
        url,
        '--output-dir',
        outputDir,
        ...suite.args,
        ...extra,
      ]);
      await new Promise((resolve) => proc.child.once('exit', resolve));
      const output = proc.output();
      for (const match of output.matchAll(/^[✓✗] ([\w-]+): (\d+) passed, (\d+) failed$/gmu))
        results.set(match[1]!, { passed: Number(match[2]), failed: Number(match[3]) });
      const unscored = output.split(/^Not scored.*$/mu)[1] ?? '';
      for (const match of unscored.matchAll(/^\s+[✓✗] ([\w-]+) \(/gmu)) results.delete(match[1]!);
    }
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
  // A named scenario may belong to another suite; a whole suite that gave nothing did not run.
  if (!scenarios.length && !results.size) throw new Error(`${suite.name} gave no results for ${url}`);
  return results;
}

/**
 * Forwards every request to the connector endpoint, adding the caller's API key; answers stream back as
 * they come. It listens before the service starts, because its address is the Origin the service allows.
 */
class KeyForwarder {
  target: { url: URL; apiKey: string } | undefined;
  readonly #server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!this.target) return void res.writeHead(503).end();
    const { url, apiKey } = this.target;
    const upstream = request(
      url,
      { method: req.method, headers: { ...req.headers, host: url.host, authorization: `Bearer ${apiKey}` } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

const verdict = (result: ScenarioResult | undefined) =>
  !result
    ? 'missing'
    : result.failed === 0
      ? 'pass'
      : `FAIL (${result.failed}/${result.passed + result.failed})`;

/** Worse through the tunnel: fewer checks passed or more failed than directly. */
export function worse(direct: ScenarioResult | undefined, tunnel: ScenarioResult | undefined): boolean {
  if (!direct) return false;
  return !tunnel || tunnel.failed > direct.failed || tunnel.passed < direct.passed;
}

export interface Row {
  name: string;
  direct: string;
  tunnel: string;
  worse: boolean;
}

export interface SuiteRows {
  suite: Suite;
  rows: Row[];
}

/**
 * Runs the scenarios (all of each suite's set when none are named) of every suite, directly and through
 * the tunnel.
 */
export async function compare(scenarios: string[], suites: Suite[] = SUITES): Promise<SuiteRows[]> {
  let reference: Proc | undefined;
  let system: System | undefined;
  const forwarder = new KeyForwarder();
  try {
    const port = await freePort();
    reference = startProcess([REFERENCE, String(port)]);
    await reference.waitFor(/http:\/\/127\.0\.0\.1:\d+\/mcp/);
    const directUrl = `http://127.0.0.1:${port}/mcp`;

    const forwarderPort = await forwarder.listen();
    system = await startSystem({
      service: {
        extraArgs: ['127.0.0.1', 'localhost'].flatMap((host) => [
          '--allowed-origin',
          `http://${host}:${forwarderPort}`,
        ]),
      },
      tunnelName: 'conformance',
      client: { mcpServerUrl: directUrl },
    });
    forwarder.target = { url: system.connectorUrl, apiKey: system.runtime.runtimeKey };
    const tunnelUrl = `http://127.0.0.1:${forwarderPort}/mcp`;

    const results: SuiteRows[] = [];
    for (const suite of suites) {
      const direct = await runConformance(suite, directUrl, scenarios);
      const tunnel = await runConformance(suite, tunnelUrl, scenarios);
      const rows = [...new Set([...direct.keys(), ...tunnel.keys()])].map((name) => ({
        name,
        direct: verdict(direct.get(name)),
        tunnel: verdict(tunnel.get(name)),
        worse: worse(direct.get(name), tunnel.get(name)),
      }));
      results.push({ suite, rows });
    }
    return results;
  } finally {
    await forwarder.close();
    await system?.stop();
    await reference?.stop();
  }
}

export function table(rows: Row[]): string {
  const width = Math.max(8, ...rows.map((row) => row.name.length));
  const line = (a: string, b: string, c: string, d = '') =>
    `| ${a.padEnd(width)} | ${b.padEnd(12)} | ${c.padEnd(12)} |${d}`;
  return [
    line('scenario', 'direct', 'tunnel'),
    `|${'-'.repeat(width + 2)}|--------------|--------------|`,
    ...rows.map((row) =>
      line(row.name, row.direct, row.tunnel, row.worse ? ' worse through the tunnel' : ''),
    ),
  ].join('\n');
}

/** One line per suite: scenarios passed of those run, directly and through the tunnel. */
export function summary({ suite, rows }: SuiteRows): string {
  const passing = (column: 'direct' | 'tunnel') => rows.filter((row) => row[column] === 'pass').length;
  const worseRows = rows.filter((row) => row.worse);
  return (
    `${suite.name}: direct ${passing('direct')}/${rows.length} through ${passing('tunnel')}/${rows.length}` +
    (worseRows.length ? `, worse through the tunnel: ${worseRows.map((row) => row.name).join(', ')}` : '')
  );
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { scenario: { type: 'string', multiple: true } } });
  const started = performance.now();
  const results = await compare(values.scenario ?? []);
  for (const result of results) console.log(`\n${result.suite.name}\n${table(result.rows)}`);
  console.log(`\nin ${Math.round((performance.now() - started) / 1000)} s:`);
  for (const result of results) console.log(summary(result));
  const worseRows = results.flatMap((result) => result.rows.filter((row) => row.worse));
  // The authorization server scenarios: a table of their own (scripts/conformance-authorization.ts).
  const authorization = await authorizationRows();
  console.log(`\n${authorizationTable(authorization)}`);
  process.exit(worseRows.length || authorizationFailed(authorization) ? 1 : 0);
}
