import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ClientConfig } from '../config/schema.ts';
import { CLIENT_VERSION } from '../base/version.ts';
import type { Logger } from '../observability/logger.ts';
import {
  LOG_LEVELS,
  type LogBuffer,
  type LogLevelControl,
  type LogLevelName,
} from '../observability/log-buffer.ts';
import type { ClientMetrics } from '../observability/metrics.ts';
import type { Redactor } from '../observability/redact.ts';
import type { ClientStatus } from '../observability/status.ts';
import type { TrafficRecorder } from '../observability/traffic.ts';

/** What the console's API reads and changes. */
export interface ConsoleDeps {
  status: ClientStatus;
  metrics: ClientMetrics;
  traffic: TrafficRecorder;
  /** Recent log lines; absent when the client logs through a logger it was handed. */
  logs: LogBuffer | undefined;
  levels: LogLevelControl;
  config: ClientConfig;
  redactor: Redactor;
  log: Logger;
}

const MAX_EXPORT_MINUTES = 24 * 60;

function statusBody(deps: ConsoleDeps) {
  const { status, traffic, levels } = deps;
  return {
    tunnel_id: status.tunnelId,
    tunnel_name: status.tunnelName ?? null,
    instance_id: status.instanceId,
    control_plane: {
      state: status.controlPlane.state,
      detail: status.controlPlane.detail,
      last_poll_at: status.controlPlane.lastPollAt?.toISOString() ?? null,
    },
    readiness: status.readiness(),
    started_at: status.startedAt.toISOString(),
    uptime_seconds: Math.round((Date.now() - status.startedAt.getTime()) / 1000),
    versions: { tunnel_client: CLIENT_VERSION, node: process.versions.node, platform: process.platform },
    capture: traffic.capturing,
    log_level: levels.level,
    channels: status.channels().map((c) => {
      const stats = traffic.channel(c.name);
      return {
        name: c.name,
        kind: c.kind,
        initialized: c.initialized,
        detail: c.detail,
        pid: c.pid ?? null,
        restarts: c.restarts ?? null,
        in_flight: stats.inFlight,
        total: stats.total,
        errors: stats.errors,
      };
    }),
  };
}

function metricsBody(deps: ConsoleDeps) {
  return {
    bucket_seconds: deps.traffic.bucketSeconds,
    points: deps.traffic.points(),
  };
}

/** The console's JSON API under /api; the access hook in server.ts guards every route. */
export function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { traffic, levels, redactor } = deps;
  const streams = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
  });

  app.get('/api/status', async () => ({ ...statusBody(deps), counts: await deps.metrics.counts() }));

  app.get('/api/traffic', async (request) => {
    const after = Number((request.query as { after?: string }).after ?? 0);
    return { capture: traffic.capturing, capacity: traffic.capacity, calls: traffic.list(after || 0) };
  });

  app.get('/api/traffic/:id', async (request, reply) => {
    const id = Number((request.params as { id: string }).id);
    const call = Number.isInteger(id) ? traffic.get(id) : undefined;
    if (!call)
      return reply.code(404).send({
        error: `no call ${(request.params as { id: string }).id} in the last ${traffic.capacity} calls`,
      });
    return call;
  });

  // Live traffic as server-sent events: one `call` event when a call starts and one when it ends.
  app.get('/api/traffic/stream', (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
    });
    raw.write('retry: 2000\n\n');
    const unsubscribe = traffic.subscribe((call) =>
      raw.write(`event: call\ndata: ${JSON.stringify(call)}\n\n`),
    );
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
    streams.add(raw);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(raw);
    });
  });

  app.get('/api/traffic/capture', async () => ({ capture: traffic.capturing }));
  app.put('/api/traffic/capture', async (request, reply) => {
    const capture = (request.body as { capture?: unknown } | undefined)?.capture;
    if (typeof capture !== 'boolean')
      return reply.code(400).send({ error: 'send {"capture": true} or {"capture": false}' });
    traffic.setCapture(capture);
    deps.log.info({ capture }, 'payload capture changed from the console');
    return { capture: traffic.capturing };
  });

  app.get('/api/log-level', async () => ({ level: levels.level }));
  app.put('/api/log-level', async (request, reply) => {
    const level = (request.body as { level?: unknown } | undefined)?.level;
    if (typeof level !== 'string' || !(LOG_LEVELS as readonly string[]).includes(level))
      return reply
        .code(400)
        .send({ error: `send {"level": "<level>"} with one of ${LOG_LEVELS.join(', ')}` });
    levels.set(level as LogLevelName);
    deps.log.info({ level }, 'log level changed from the console');
    return { level: levels.level };
  });

  app.get('/api/logs', async (request) => {
    const after = Number((request.query as { after?: string }).after ?? 0);
    return {
      available: deps.logs !== undefined,
      capacity: deps.logs?.capacity ?? 0,
      lines: (deps.logs?.list({ after: after || 0 }) ?? []).map((line) => ({
        ...line,
        msg: redactor.text(line.msg),
        line: redactor.text(line.line),
      })),
    };
  });

  app.get('/api/metrics/series', async () => metricsBody(deps));

  app.get('/api/logs/export', async (request, reply) => {
    const raw = (request.query as { minutes?: string }).minutes ?? '15';
    const minutes = Number(raw);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_EXPORT_MINUTES)
      return reply
        .code(400)
        .send({ error: `minutes must be a whole number from 1 to ${MAX_EXPORT_MINUTES}, got ${raw}` });
    const since = Date.now() - minutes * 60_000;
    const bundle = {
      generated_at: new Date().toISOString(),
      minutes,
      status: statusBody(deps),
      config: deps.config,
      logs: deps.logs?.list({ sinceTime: since }) ?? [],
      traffic: traffic.list().filter((c) => Date.parse(c.time) >= since),
      metrics: { series: metricsBody(deps), prometheus: await deps.metrics.exposition() },
    };
    const stamp = bundle.generated_at.replace(/[:.]/g, '-');
    return reply
      .header('content-disposition', `attachment; filename="tunnel-client-support-${stamp}.json"`)
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(redactor.value(bundle), null, 2));
  });
}
