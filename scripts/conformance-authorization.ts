// The authorization server scenarios of the MCP conformance suite (0.2.0-alpha, `conformance authorization`,
// the devDependency alias @modelcontextprotocol/conformance-authorization) against the authorization
// servers a caller of a tunnel meets:
//   - tunnel-service's own, for a key tunnel's connector URL; a member approves through the console's API;
//   - the OAuth stub's own (`tunnel-client dev mcp-stub --oauth`, which approves at once), once for the
//     stub's /mcp (directly) and once for a public tunnel's connector URL (what a caller through the tunnel
//     asks a token for).
// `npm run conformance` prints them after the server scenarios (scripts/conformance.ts); run alone:
//
//   node scripts/conformance-authorization.ts
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { createRuntime } from '../test/support/management-api.ts';
import { publicTunnel, startOAuthStub, type OAuthStub } from '../test/support/oauth-stub.ts';
import { registerClient } from '../test/support/oauth.ts';
import { ROOT, startProcess, type Proc } from '../test/support/processes.ts';
import { startService, type Service } from '../test/support/service-process.ts';

const CONFORMANCE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance-authorization/dist/index.js');

export interface AuthorizationRow {
  name: string;
  stub: string;
  stubForTunnel: string;
  service: string;
}

/** How a member approves the request at `url`; resolves once the browser would be back at the callback. */
type Approve = (url: URL) => Promise<void>;

/**
 * Runs `conformance authorization` against one authorization server; the code-grant scenario prints the
 * authorization URL and waits for its callback, which `approve` brings about.
 */
async function runScenarios(
  issuer: string,
  resource: string,
  register: (redirectUri: string) => Promise<string>,
  approve: Approve,
): Promise<Map<string, string>> {
  const port = randomInt(20_000, 60_000);
  const clientId = await register(`http://127.0.0.1:${port}/callback`);
  const proc: Proc = startProcess([
    CONFORMANCE,
    'authorization',
    '--url',
    issuer,
    '--client-id',
    clientId,
    '--resource',
    resource,
    '--port',
    String(port),
  ]);
  try {
    const [line] = await proc.waitFor(/^https?:\/\/\S+\?\S*response_type=code\S*$/m, 30_000);
    await proc.waitFor(/Callback server started/, 10_000);
    await approve(new URL(line));
    await new Promise((resolve) => proc.child.once('exit', resolve));
  } finally {
    await proc.stop();
  }
  const results = new Map<string, string>();
  for (const match of proc.output().matchAll(/^[✓✗] ([\w-]+): (\d+) passed, (\d+) failed$/gmu))
    results.set(
      match[1]!,
      match[3] === '0' ? 'pass' : `FAIL (${match[3]}/${Number(match[2]) + Number(match[3])})`,
    );
  if (results.size === 0) throw new Error(`the conformance runner gave no result:\n${proc.output()}`);
  return results;
}

/** The owner's console sign-in: the cookie and CSRF token the consent page sends its decision with. */
async function signInOwner(service: Service): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(new URL('/v1/auth/setup', service.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${service.ownerKey}` },
    body: JSON.stringify({ email: 'owner@example.com', name: 'Owner', password: 'conformance password' }),
  });
  const body = (await response.json()) as { csrf_token: string };
  return { cookie: response.headers.get('set-cookie')!.split(';')[0]!, csrf: body.csrf_token };
}

export async function authorizationRows(): Promise<AuthorizationRow[]> {
  let service: Service | undefined;
  let stub: OAuthStub | undefined;
  try {
    service = await startService();
    const session = await signInOwner(service);
    const keyTunnel = await createRuntime(service, { tunnelName: 'conformance oauth' });
    const { connectorUrl } = await publicTunnel(service, 'conformance public');
    const publicConnector = connectorUrl.href;
    stub = await startOAuthStub([publicConnector]);
    const stubMcp = stub.mcpUrl;
    const stubIssuer = stub.issuer;

    const viaService = service;
    // The member approves on the consent page, which posts the request back with the decision.
    const consent: Approve = async (url) => {
      const answer = await fetch(new URL('/v1/oauth/authorization', viaService.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: session.cookie, 'x-csrf-token': session.csrf },
        body: JSON.stringify({ ...Object.fromEntries(url.searchParams), decision: 'approve' }),
      });
      const { redirect_to } = (await answer.json()) as { redirect_to: string };
      await fetch(redirect_to);
    };
    // The stub approves at once: following its redirect is what the browser would do.
    const follow: Approve = async (url) => void (await fetch(url));
    const stubRegister = (redirectUri: string) => registerAt(`${stubIssuer}/register`, redirectUri);

    const direct = await runScenarios(stubIssuer, stubMcp, stubRegister, follow);
    const throughTunnel = await runScenarios(stubIssuer, publicConnector, stubRegister, follow);
    const own = await runScenarios(
      service.url,
      `${service.url}/v1/mcp/${keyTunnel.tunnelId}`,
      (redirectUri) => registerClient(viaService.url, redirectUri, 'conformance'),
      consent,
    );
    return [...new Set([...direct.keys(), ...throughTunnel.keys(), ...own.keys()])].map((name) => ({
      name,
      stub: direct.get(name) ?? 'missing',
      stubForTunnel: throughTunnel.get(name) ?? 'missing',
      service: own.get(name) ?? 'missing',
    }));
  } finally {
    await stub?.proc.stop();
    await service?.stop();
  }
}

async function registerAt(endpoint: string, redirectUri: string): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'conformance', redirect_uris: [redirectUri] }),
  });
  return ((await response.json()) as { client_id: string }).client_id;
}

export function authorizationTable(rows: AuthorizationRow[]): string {
  const width = Math.max(22, ...rows.map((row) => row.name.length));
  const line = (a: string, b: string, c: string, d: string) =>
    `| ${a.padEnd(width)} | ${b.padEnd(12)} | ${c.padEnd(24)} | ${d.padEnd(22)} |`;
  return [
    line('authorization scenario', 'stub (/mcp)', 'stub (public connector)', 'tunnel-service (key)'),
    `|${'-'.repeat(width + 2)}|--------------|--------------------------|------------------------|`,
    ...rows.map((row) => line(row.name, row.stub, row.stubForTunnel, row.service)),
  ].join('\n');
}

export const authorizationFailed = (rows: AuthorizationRow[]) =>
  rows.some((row) => [row.stub, row.stubForTunnel, row.service].some((verdict) => verdict !== 'pass'));

if (import.meta.main) {
  const rows = await authorizationRows();
  console.log(authorizationTable(rows));
  process.exit(authorizationFailed(rows) ? 1 : 0);
}
