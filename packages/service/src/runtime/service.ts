import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { startAuditRetention, type AuditRetention } from './audit-retention.ts';
import { Authenticator } from '../auth/principal.ts';
import { bootstrapOwner } from '../auth/bootstrap.ts';
import { StoreSignInLimiter } from '../auth/store-sign-in-limiter.ts';
import { MemoryCommandBroker } from '../broker/memory-command-broker.ts';
import { MemoryEventBuffer } from '../broker/memory-event-buffer.ts';
import { MemoryTrafficLog } from '../broker/memory-traffic-log.ts';
import { ShardTokens } from '../broker/shard-token.ts';
import { SETTINGS } from '../config/settings.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/types.ts';
import type { ServiceContext } from '../http/context.ts';
import { buildServer } from '../http/server.ts';

/**
 * How to run the service. Each option is a row of the settings table (config/settings.ts), which gives
 * its default and meaning; docs/service-config.md lists them.
 */
export interface ServiceOptions {
  /** Where the embedded store lives; created (mode 0700) if missing. */
  dataDir: string;
  /** 0 picks a free port (see `RunningService.port`). */
  port?: number;
  host?: string;
  /** Ignored when `logger` is given. */
  logLevel?: string;
  logger?: Logger;
  allowedOrigins?: string[];
  maxBodyBytes?: number;
  maxPollWaitMs?: number;
  eventBufferEvents?: number;
  /** An event larger than this is not kept. */
  eventBufferBytes?: number;
  eventBufferAgeMs?: number;
  auditRetentionDays?: number;
}

export interface RunningService {
  /** `http://host:port`, with the real port when 0 was asked for. */
  url: string;
  host: string;
  port: number;
  /** The owner API key, present only on the start that created the organization: show it once. */
  ownerKey: string | undefined;
  dataDir: string;
  store: Store;
  /** Ends long-polls and waiting callers, closes the server, then the store. Safe to call twice. */
  close(): Promise<void>;
}

/** How long a poll waits when the tunnel-client names no timeout_ms (at most maxPollWaitMs). */
const DEFAULT_POLL_WAIT_MS = 25_000;
export const DATABASE_FILE = 'tunnel-service.db';
const SHARD_SECRET_SETTING = 'shard_token_secret';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The origins a browser uses for the service itself; a loopback service is reachable under each loopback name. */
function ownOrigins(host: string, port: number): string[] {
  const hosts = LOOPBACK.has(host) ? [...LOOPBACK] : [host];
  return hosts.map((h) => `http://${urlHost(h)}:${port}`);
}

/**
 * Listens without Fastify's own "Server listening at" record: `tunnel-service start` says where it listens
 * in its human-readable start-up lines, and one JSON record among them only repeated it.
 */
async function listenQuietly(app: FastifyInstance, host: string, port: number): Promise<void> {
  // Plugins take child loggers at their level while getting ready: let them, before the level drops.
  await app.ready();
  const level = app.log.level;
  if (['trace', 'debug', 'info'].includes(level)) app.log.level = 'warn';
  try {
    await app.listen({ host, port });
  } finally {
    app.log.level = level;
  }
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const host = options.host ?? SETTINGS.host.defaultValue;
  const logger =
    options.logger ??
    pino(
      {
        name: 'tunnel-service',
        level: options.logLevel ?? SETTINGS.logLevel.defaultValue,
        redact: ['req.headers.authorization', 'req.headers["x-tunnel-shard-token"]'],
      },
      pino.destination(2),
    );
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const store = await openSqliteStore(join(options.dataDir, DATABASE_FILE));
  const eventBufferLimits = {
    events: options.eventBufferEvents ?? SETTINGS.eventBufferEvents.defaultValue,
    bytes: options.eventBufferBytes ?? SETTINGS.eventBufferBytes.defaultValue,
    ageMs: options.eventBufferAgeMs ?? SETTINGS.eventBufferAgeMs.defaultValue,
  };
  const broker = new MemoryCommandBroker();
  const eventBuffer = new MemoryEventBuffer(eventBufferLimits);
  let app: Awaited<ReturnType<typeof buildServer>> | undefined;
  let retention: AuditRetention | undefined;
  try {
    const ownerKey = await bootstrapOwner(store);
    retention = await startAuditRetention(
      store,
      options.auditRetentionDays ?? SETTINGS.auditRetentionDays.defaultValue,
      logger,
    );
    const secret = await store.settings.init(SHARD_SECRET_SETTING, randomBytes(32).toString('hex'));
    const allowedOrigins = new Set(options.allowedOrigins ?? []);
    const [operatorOrganization] = await store.organizations.list();
    const maxBodyBytes = options.maxBodyBytes ?? SETTINGS.maxBodyBytes.defaultValue;
    const maxPollWaitMs = options.maxPollWaitMs ?? SETTINGS.maxPollWaitMs.defaultValue;
    const context: ServiceContext = {
      store,
      broker,
      eventBuffer,
      trafficLog: new MemoryTrafficLog(),
      authenticator: new Authenticator(store),
      signInLimiter: new StoreSignInLimiter(store.signInAttempts),
      shardTokens: new ShardTokens(Buffer.from(secret, 'hex'), broker.nodeId),
      limits: {
        maxBodyBytes,
        maxPollWaitMs,
        defaultPollWaitMs: Math.min(DEFAULT_POLL_WAIT_MS, maxPollWaitMs),
        eventBuffer: eventBufferLimits,
      },
      operatorOrganizationId: operatorOrganization!.id,
      allowedOrigins,
    };
    app = await buildServer(context, logger);
    await listenQuietly(app, host, options.port ?? SETTINGS.port.defaultValue);
    const port = (app.server.address() as AddressInfo).port;
    for (const origin of ownOrigins(host, port)) allowedOrigins.add(origin);

    let closing: Promise<void> | undefined;
    const server = app;
    return {
      url: `http://${urlHost(host)}:${port}`,
      host,
      port,
      ownerKey,
      dataDir: options.dataDir,
      store,
      close: () =>
        (closing ??= (async () => {
          retention?.stop();
          await broker.close();
          await eventBuffer.close();
          await server.close();
          await store.close();
        })()),
    };
  } catch (error) {
    retention?.stop();
    await broker.close();
    await eventBuffer.close();
    await app?.close();
    await store.close();
    throw error;
  }
}
