// `npm run bench:idle`: how many idle tunnels one tunnel-service holds, and what each costs. N tunnels
// (`--tunnels N`, 18,000 by default: about the most one process holds under a 20,000 open-file limit)
// each have a light scripted client in this process (apart from the service) that speaks as a tunnel-client
// does. `--carrier stream` (the default) is what our tunnel-client does against our service: a first poll,
// then, as that answer offers the command-stream extension, one WebSocket per tunnel with 5 credits, every
// command answered over it. `--carrier poll` is what OpenAI's Go tunnel-client does: long-polls (one open at
// a time, 30 s wait) and response POSTs. One more tunnel is served by the real tunnel-client and the
// calculator. Once all poll, it measures the service's
// resident memory per idle tunnel above the service before any poll, then sends `--probes` connector
// calls to random idle tunnels and times each until its poller holds the command (delivery), while the
// real client answers SDK calls. Every error is counted. The real client's own poll is in the baseline.
// Prints the table of targets; `--json <file>`.
import { Agent, request, type IncomingMessage } from 'node:http';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { COMMAND_STREAM_PATH } from '@mcp-tunnel/protocol';
import { api, createRuntime, keyWith, type Runtime } from '../test/support/management-api.ts';
import { CLIENT_HEADERS } from '../test/support/scripted-tunnel-client.ts';
import { startService } from '../test/support/service-process.ts';
import { startTunnel } from '../test/support/system.ts';
import { connectSdk } from '../test/support/mcp-callers.ts';
import { limitRow, machine, percentile, printTable, rssOf, writeJson, type Row } from './report.ts';
import { ensureOpenFiles } from './open-files.ts';

const { values } = parseArgs({
  options: {
    tunnels: { type: 'string', default: '18000' },
    probes: { type: 'string', default: '500' },
    carrier: { type: 'string', default: 'stream' },
    'settle-seconds': { type: 'string', default: '75' },
    json: { type: 'string' },
  },
});
const TUNNELS = Number(values.tunnels);
const PROBES = Number(values.probes);
const SETTLE_MS = Number(values['settle-seconds']) * 1000;
const POLL_WAIT_MS = 30_000;
const CARRIERS = ['stream', 'poll'] as const;
const CARRIER = values.carrier as (typeof CARRIERS)[number];
if (!CARRIERS.includes(CARRIER)) {
  console.error(
    `--carrier ${values.carrier} is not a carrier: use --carrier stream (the command-stream WebSocket, as our tunnel-client against our service) or --carrier poll (long-polls and response POSTs, as OpenAI's Go tunnel-client).`,
  );
  process.exit(2);
}
// The service holds one connection per poller (the pollers live in this process, apart from it), plus
// its database, the real tunnel-client's connections and the probes'.
ensureOpenFiles(TUNNELS + 200, `--tunnels ${TUNNELS}`);
const before = machine();

const errors = { create: 0, poll: 0, respond: 0, probe: 0, sdk: 0 };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` on every item with at most `concurrency` at a time. */
async function inBatches<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** One HTTP exchange on the shared keep-alive agent, with the body read as text. */
function exchange(
  url: URL,
  agent: Agent,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; text: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent }, (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface WireCommand {
  request_id: string;
  shard_token: string;
  jsonrpc?: { id?: number | string };
}

/** The echo a scripted client answers every command with: a response POST's body. */
const echo = (command: WireCommand) => ({
  request_id: command.request_id,
  channel: 'main',
  resp_type: 'jsonrpc_response',
  resp_code: 200,
  resp_headers: { 'Content-Type': ['application/json'] },
  resp_json: { jsonrpc: '2.0', id: command.jsonrpc?.id ?? null, result: {} },
});

/** As many commands as one poll asks for, and as many credits as a stream keeps outstanding. */
const LIMIT = 5;

/**
 * A scripted tunnel-client for one tunnel, on `CARRIER`: each command answered with an echo.
 * `onCommand` is told when a command arrives (for delivery timing).
 */
function poller(
  base: string,
  runtime: Runtime,
  instance: number,
  agent: Agent,
  onCommand: (command: WireCommand) => void,
) {
  const headers = {
    authorization: `Bearer ${runtime.runtimeKey}`,
    ...CLIENT_HEADERS,
    'x-tunnel-client-instance-id': `idle-${instance}`,
  };
  const poll = (waitMs: number) =>
    exchange(
      new URL(`/v1/tunnels/${runtime.tunnelId}/poll?limit=${LIMIT}&timeout_ms=${waitMs}`, base),
      agent,
      'GET',
      headers,
    );
  const respond = (command: WireCommand) =>
    exchange(
      new URL(`/v1/tunnels/${runtime.tunnelId}/response`, base),
      agent,
      'POST',
      { ...headers, 'content-type': 'application/json', 'x-tunnel-shard-token': command.shard_token },
      JSON.stringify(echo(command)),
    ).then(
      ({ status }) => {
        if (status !== 200) errors.respond++;
      },
      () => errors.respond++,
    );
  let stopped = false;
  let socket: WebSocket | undefined;
  const received = (answer: { status: number; text: string }) => {
    if (answer.status === 204) return;
    if (answer.status !== 200) {
      errors.poll++;
      return;
    }
    for (const command of (JSON.parse(answer.text) as { commands: WireCommand[] }).commands) {
      onCommand(command);
      void respond(command);
    }
  };
  const longPoll = async () => {
    while (!stopped) {
      try {
        const answer = await poll(POLL_WAIT_MS);
        // What a closing service answers is no error of the run.
        if (!stopped) received(answer);
      } catch {
        if (stopped) return;
        errors.poll++;
        await pause(1000);
      }
    }
  };
  /**
   * The command stream, as the tunnel-client opens it: the poll's headers declaring the extension, credits
   * for LIMIT commands, one more credit as each response is acked. Resolves once it is open; a stream that
   * breaks counts as a poll error and is opened again a second later.
   */
  const openStream = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const url = new URL(`/v1/tunnels/${runtime.tunnelId}${COMMAND_STREAM_PATH}`, base);
      const ws = new WebSocket(url.href.replace(/^http/, 'ws'), {
        headers: { ...headers, 'x-tunnel-extensions': 'command-stream' },
        perMessageDeflate: false,
      });
      socket = ws;
      let nextAck = 0;
      ws.on('open', () => {
        ws.send(JSON.stringify({ type: 'credit', credits: LIMIT }));
        resolve();
      });
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as
          { type: 'commands'; commands: WireCommand[] } | { type: 'ack'; status: number } | { type: 'error' };
        if (frame.type === 'commands') {
          for (const command of frame.commands) {
            onCommand(command);
            ws.send(
              JSON.stringify({
                type: 'response',
                id: nextAck++,
                shard_token: command.shard_token,
                payload: echo(command),
              }),
            );
          }
        } else if (frame.type === 'ack') {
          if (frame.status !== 200) errors.respond++;
          ws.send(JSON.stringify({ type: 'credit', credits: 1 }));
        } else errors.respond++;
      });
      ws.on('error', reject);
      ws.on('close', () => {
        reject(new Error('the command stream closed before it opened'));
        if (stopped) return;
        errors.poll++;
        void pause(1000).then(() => (stopped ? undefined : openStream().catch(() => errors.poll++)));
      });
    });
  return {
    /**
     * The first poll, answered at once as the tunnel-client's first poll is: it is now present. With the
     * stream carrier, the command stream opens next, when that answer offered it.
     */
    async start(): Promise<void> {
      const first = await poll(1);
      received(first);
      if (CARRIER === 'poll') {
        void longPoll();
        return;
      }
      const offered = /(^|,)\s*command-stream\s*(,|$)/.test(
        String(first.headers['x-tunnel-extensions'] ?? ''),
      );
      if (!offered) throw new Error('the service did not offer command-stream on the first poll');
      await openStream();
    },
    stop() {
      stopped = true;
      socket?.close(1000);
    },
  };
}

// Every poller connects from this one address: the service's per-address connection limit is lifted.
const service = await startService({
  extraArgs: ['--log-level', 'warn', '--max-connections-per-address', '0'],
});
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const pollers: ReturnType<typeof poller>[] = [];
const figures = {
  tunnels: TUNNELS,
  carrier: CARRIER,
  emptyRssBytes: 0,
  pollingRssBytes: 0,
  deliveryMs: { p50: 0, p99: 0, max: 0 },
  sdkCallMs: { p50: 0, p99: 0 },
  errors,
};
let realClient: Awaited<ReturnType<typeof startTunnel>> | undefined;
try {
  // One service account key polls every tunnel of the organization, as one key may.
  const first = await createRuntime(service);
  const runtimes: Runtime[] = [first];
  const ids = Array.from({ length: TUNNELS - 1 }, (_, i) => i);
  await inBatches(ids, 8, async (i) => {
    try {
      const tunnel = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/tunnels', {
        name: `idle ${i}`,
      });
      runtimes.push({ tunnelId: tunnel.id, runtimeKey: first.runtimeKey });
    } catch {
      errors.create++;
    }
  });
  console.log(`${runtimes.length} tunnels created`);
  // The real client starts first: once thousands poll, a loaded machine may take long to start it.
  realClient = await startTunnel(service);
  await pause(2000);
  figures.emptyRssBytes = await rssOf(service.proc.child.pid!);

  const delivered = new Map<string, (at: number) => void>();
  const onCommand = (command: WireCommand) => delivered.get(String(command.jsonrpc?.id))?.(performance.now());
  await inBatches(runtimes, 64, async (runtime) => {
    const p = poller(service.url, runtime, pollers.length, agent, onCommand);
    pollers.push(p);
    await p.start().catch((error: unknown) => {
      if (errors.poll++ < 3) console.log(`a poller did not start: ${String(error)}`);
    });
  });
  console.log(`${pollers.length} pollers on ${CARRIER}; settling ${SETTLE_MS / 1000} s`);
  await pause(SETTLE_MS);
  figures.pollingRssBytes = await rssOf(service.proc.child.pid!);
  console.log(
    `service RSS: ${(figures.emptyRssBytes / 2 ** 20).toFixed(1)} MB with the tunnels and no poll, ${(figures.pollingRssBytes / 2 ** 20).toFixed(1)} MB with every tunnel waiting for commands`,
  );

  const caller = await keyWith(service, ['tunnel.use']);
  const sdk = await connectSdk(realClient.connectorUrl, caller);
  const sdkMs: number[] = [];
  let probing = true;
  const sdkCalls = (async () => {
    while (probing) {
      const t0 = performance.now();
      try {
        const result = await sdk.mcp.callTool({ name: 'add', arguments: { a: 5, b: 3 } });
        if ((result.content as { text: string }[])[0]?.text !== '5 + 3 = 8') errors.sdk++;
        sdkMs.push(performance.now() - t0);
      } catch {
        errors.sdk++;
      }
    }
  })();

  const deliveryMs: number[] = [];
  await inBatches(
    Array.from({ length: PROBES }, (_, i) => i),
    4,
    async (i) => {
      const runtime = runtimes[Math.floor(Math.random() * runtimes.length)]!;
      const id = `probe-${i}`;
      const t0 = performance.now();
      const arrived = new Promise<number>((resolve) => delivered.set(id, resolve));
      try {
        const answer = await exchange(
          new URL(`/v1/mcp/${runtime.tunnelId}`, service.url),
          agent,
          'POST',
          {
            authorization: `Bearer ${caller}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' }),
        );
        if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.text}`);
        deliveryMs.push((await arrived) - t0);
      } catch (error) {
        errors.probe++;
        if (errors.probe <= 3) console.log(`probe failed: ${String(error)}`);
      } finally {
        delivered.delete(id);
      }
    },
  );
  probing = false;
  await sdkCalls;
  await sdk.end();
  deliveryMs.sort((a, b) => a - b);
  sdkMs.sort((a, b) => a - b);
  // A run where every probe failed has no delivery time: it shows as NaN beside its errors.
  const at = (sorted: number[], p: number) => (sorted.length > 0 ? percentile(sorted, p) : NaN);
  figures.deliveryMs = { p50: at(deliveryMs, 50), p99: at(deliveryMs, 99), max: at(deliveryMs, 100) };
  figures.sdkCallMs = { p50: at(sdkMs, 50), p99: at(sdkMs, 99) };
} finally {
  for (const p of pollers) p.stop();
  await realClient?.stop();
  await service.stop();
  agent.destroy();
}

const perTunnelKb = (figures.pollingRssBytes - figures.emptyRssBytes) / TUNNELS / 1024;
const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
const rows: Row[] = [
  limitRow(`service RSS per idle tunnel (${TUNNELS} on ${CARRIER})`, 'KB', perTunnelKb, 15),
  { measure: 'errors', unit: '', ours: errorCount, target: '= 0', met: errorCount === 0 },
  limitRow(`command delivery p99 while all wait (${CARRIER})`, 'ms', figures.deliveryMs.p99, 50),
];
const after = machine();
console.log(
  `carrier ${CARRIER}: delivery p50 ${figures.deliveryMs.p50.toFixed(1)} ms, max ${figures.deliveryMs.max.toFixed(1)} ms; real tunnel-client add: p50 ${figures.sdkCallMs.p50.toFixed(1)} ms, p99 ${figures.sdkCallMs.p99.toFixed(1)} ms; errors ${JSON.stringify(errors)}`,
);
console.log('');
printTable(rows, before, after);
if (values.json) writeJson(values.json, 'idle-tunnels', rows, { before, after }, figures);
