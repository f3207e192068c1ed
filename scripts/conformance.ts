// `npm run conformance`: the MCP conformance suite's server scenarios (@modelcontextprotocol/conformance)
// against a reference MCP server twice: called directly, and behind the tunnel (the real tunnel-service and
// tunnel-client on loopback). Prints pass/fail per scenario in two columns and exits 1 when a scenario does
// worse through the tunnel than directly.
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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, freePort, startProcess, type Proc } from '../test/support/processes.ts';
import { startSystem, type System } from '../test/support/system.ts';
import { authorizationFailed, authorizationRows, authorizationTable } from './conformance-authorization.ts';

const CONFORMANCE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const REFERENCE = join(ROOT, 'test/support/conformance-server.ts');

export interface ScenarioResult {
  passed: number;
  failed: number;
}

/** Runs the conformance CLI against `url`; returns each scenario's checks passed and failed. */
async function runConformance(url: string, scenarios: string[]): Promise<Map<string, ScenarioResult>> {
  const results = new Map<string, ScenarioResult>();
  const runs = scenarios.length ? scenarios.map((s) => ['--scenario', s]) : [[]];
  const outputDir = mkdtempSync(join(tmpdir(), 'conformance-'));
  try {
    for (const extra of runs) {
      const proc = startProcess([CONFORMANCE, 'server', '--url', url, '--output-dir', outputDir, ...extra]);
      await new Promise((resolve) => proc.child.once('exit', resolve));
      for (const match of proc.output().matchAll(/^[✓✗] ([\w-]+): (\d+) passed, (\d+) failed$/gmu))
        results.set(match[1]!, { passed: Number(match[2]), failed: Number(match[3]) });
      if (extra.length && !results.has(extra[1]!))
        throw new Error(`the conformance runner gave no result for ${extra[1]}:\n${proc.output()}`);
    }
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
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

/** Runs the scenarios (all of the active suite when none are named) directly and through the tunnel. */
export async function compare(scenarios: string[]): Promise<Row[]> {
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

    const direct = await runConformance(directUrl, scenarios);
    const tunnel = await runConformance(tunnelUrl, scenarios);
    return [...new Set([...direct.keys(), ...tunnel.keys()])].map((name) => ({
      name,
      direct: verdict(direct.get(name)),
      tunnel: verdict(tunnel.get(name)),
      worse: worse(direct.get(name), tunnel.get(name)),
    }));
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

if (import.meta.main) {
  const { values } = parseArgs({ options: { scenario: { type: 'string', multiple: true } } });
  const started = performance.now();
  const rows = await compare(values.scenario ?? []);
  console.log(table(rows));
  const worseRows = rows.filter((row) => row.worse);
  console.log(
    `\n${rows.length} scenarios in ${Math.round((performance.now() - started) / 1000)} s: ` +
      `${rows.filter((r) => r.direct === 'pass').length} pass directly, ` +
      `${rows.filter((r) => r.tunnel === 'pass').length} pass through the tunnel, ` +
      `${worseRows.length} worse through the tunnel${worseRows.length ? ` (${worseRows.map((r) => r.name).join(', ')})` : ''}.`,
  );
  // The authorization server scenarios: a table of their own (scripts/conformance-authorization.ts).
  const authorization = await authorizationRows();
  console.log(`\n${authorizationTable(authorization)}`);
  process.exit(worseRows.length || authorizationFailed(authorization) ? 1 : 0);
}
