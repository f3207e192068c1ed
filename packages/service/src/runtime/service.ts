import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { isIP, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { startAuditRetention, type AuditRetention } from './audit-retention.ts';
import { Authenticator } from '../auth/principal.ts';
import { bootstrapOwner } from '../auth/bootstrap.ts';
import type { Redis } from 'ioredis';
import { StoreSignInLimiter } from '../auth/store-sign-in-limiter.ts';
import { RedisSignInLimiter } from '../auth/redis-sign-in-limiter.ts';
import type { SignInLimiter } from '../auth/sign-in-limiter.ts';
import type { CommandBroker } from '../broker/command-broker.ts';
import type { EventBuffer, EventBufferLimits } from '../broker/event-buffer.ts';
import type { TrafficLog } from '../broker/traffic-log.ts';
import { MemoryCommandBroker } from '../broker/memory-command-broker.ts';
import { MemoryEventBuffer } from '../broker/memory-event-buffer.ts';
import { MemoryTrafficLog } from '../broker/memory-traffic-log.ts';
import { openRedis, redisLocation } from '../broker/redis-connection.ts';
import { RedisCommandBroker } from '../broker/redis-command-broker.ts';
import { RedisEventBuffer } from '../broker/redis-event-buffer.ts';
import { RedisTrafficLog } from '../broker/redis-traffic-log.ts';
import { ShardTokens } from '../broker/shard-token.ts';
import { OAUTH_REGISTRATION_MODES, SETTINGS } from '../config/settings.ts';
import type { Store } from '../store/types.ts';
import { lastKnownStore } from '../store/last-known.ts';
import { openStore } from './store.ts';
import type { ServiceContext } from '../http/context.ts';
import { buildServer } from '../http/server.ts';
import { startTracing } from '../observability/tracing.ts';
import { listenForScrapes, type MetricsListener } from '../observability/metrics-listener.ts';

/**
 * How to run the service. Each option is a row of the settings table (config/settings.ts), which gives
 * its default and meaning; docs/service-config.md lists them.
 */
export interface ServiceOptions {
  /** Where the embedded store lives; created (mode 0700) if missing. Unused with `databaseUrl`. */
  dataDir: string;
  /** A PostgreSQL database shared by every node, instead of SQLite in `dataDir`. */
  databaseUrl?: string;
  databasePoolSize?: number;
  /** 0 picks a free port (see `RunningService.port`). */
  port?: number;
  host?: string;
  /** Ignored when `logger` is given. */
  logLevel?: string;
  logger?: Logger;
  allowedOrigins?: string[];
  /** Addresses (IP, CIDR or `loopback`) of reverse proxies whose X-Forwarded-* headers are believed. */
  trustedProxies?: string[];
  maxBodyBytes?: number;
  maxJsonDepth?: number;
  maxPollWaitMs?: number;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** 0: no limit. */
  maxConnectionsPerAddress?: number;
  eventBufferEvents?: number;
  /** An event larger than this is not kept. */
  eventBufferBytes?: number;
  eventBufferAgeMs?: number;
  auditRetentionDays?: number;
  /** An origin; the URL the service listens on when absent. */
  oauthIssuer?: string;
  oauthAccessTokenLifetimeMs?: number;
  oauthRefreshTokenLifetimeMs?: number;
  oauthRegistration?: (typeof OAUTH_REGISTRATION_MODES)[number];
  oauthClientMetadataAddresses?: 'public' | 'any';
  /** Makes this process a node of a cluster: the broker's seams and sign-in limits live in this Redis. */
  redisUrl?: string;
  redisKeyPrefix?: string;
  /** Serves GET /metrics on this port (0 picks a free one); no metrics listener when absent. */
  metricsPort?: number;
  metricsHost?: string;
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
  /** This node's name in a cluster (the shard tokens it issues carry it). */
  nodeId: string;
  /** Where the cluster's broker lives (the Redis URL without its password); undefined when embedded. */
  broker: string | undefined;
  /** Where Prometheus scrapes this node (`http://host:port/metrics`); undefined without --metrics-port. */
  metricsUrl: string | undefined;
  /** Ends long-polls and waiting callers, closes the server, then the store. Safe to call twice. */
  close(): Promise<void>;
}

/** How long a poll waits when the tunnel-client names no timeout_ms (at most maxPollWaitMs). */
const DEFAULT_POLL_WAIT_MS = 25_000;
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

/** What the nodes share while calls run: in this process, or in Redis for a cluster. */
interface Seams {
  broker: CommandBroker;
  eventBuffer: EventBuffer;
  trafficLog: TrafficLog;
  signInLimiter: SignInLimiter;
  /** Ends polls and waiting callers. */
  close(): Promise<void>;
  /** Lets go of the connections, once the server no longer uses them. */
  disconnect(): void;
}

async function openSeams(
  options: ServiceOptions,
  store: Store,
  eventBufferLimits: EventBufferLimits,
  maxPollWaitMs: number,
  logger: Logger,
): Promise<Seams> {
  if (!options.redisUrl) {
    const broker = new MemoryCommandBroker();
    const eventBuffer = new MemoryEventBuffer(eventBufferLimits);
    return {
      broker,
      eventBuffer,
      trafficLog: new MemoryTrafficLog(),
      signInLimiter: new StoreSignInLimiter(store.signInAttempts),
      close: async () => {
        await broker.close();
        await eventBuffer.close();
      },
      disconnect: () => {},
    };
  }
  const where = { redis: redisLocation(options.redisUrl) };
  const events = {
    onDown: (error: Error | undefined) =>
      logger.error(
        { ...where, err: error },
        'lost the connection to Redis: calls and polls are refused with 503 until it is back',
      ),
    onUp: () => logger.warn(where, 'connected to Redis again'),
  };
  const keyPrefix = options.redisKeyPrefix ?? SETTINGS.redisKeyPrefix.defaultValue;
  const connections: Redis[] = [];
  try {
    const redis = await openRedis(options.redisUrl, events);
    connections.push(redis);
    const subscriber = await openRedis(options.redisUrl);
    connections.push(subscriber);
    const broker = await RedisCommandBroker.start({ redis, subscriber, keyPrefix, maxPollWaitMs });
    const watcher = await openRedis(options.redisUrl);
    connections.push(watcher);
    const eventBuffer = new RedisEventBuffer(redis, watcher, keyPrefix, eventBufferLimits);
    return {
      broker,
      eventBuffer,
      trafficLog: new RedisTrafficLog(redis, keyPrefix),
      signInLimiter: new RedisSignInLimiter(redis, keyPrefix),
      close: async () => {
        await broker.close();
        await eventBuffer.close();
      },
      disconnect: () => redis.disconnect(),
    };
  } catch (error) {
    for (const connection of connections) connection.disconnect();
    throw error;
  }
}

/** The issuer as given: an origin (scheme, host, port), since the service's routes live at the root. */
function issuerOrigin(issuer: string): string {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new Error(
      `--oauth-issuer ${issuer} is not a URL: give the origin callers reach the service at, e.g. https://tunnels.example.com`,
    );
  }
  if (
    !['http:', 'https:'].includes(url.protocol) ||
    url.pathname !== '/' ||
    url.search ||
    url.hash ||
    url.username
  )
    throw new Error(
      `--oauth-issuer ${issuer} must be an origin only (scheme, host and port, no path), e.g. https://tunnels.example.com`,
    );
  return url.origin;
}

/** The names a caller may reach the service by; addresses need no list (no page rebinds to an address). */
function serviceNames(host: string, issuer: string | undefined, origins: Iterable<string>): Set<string> {
  const names = new Set(['localhost', hostname().toLowerCase()]);
  if (isIP(host) === 0) names.add(host.toLowerCase());
  for (const origin of [...(issuer ? [issuer] : []), ...origins]) {
    try {
      names.add(new URL(origin).hostname.toLowerCase());
    } catch {
      // An allowed origin that is no URL names no host; the Origin check compares it as given.
    }
  }
  return names;
}

/** The trusted proxies as given (a list item may hold several, comma-separated), each checked. */
function trustedProxies(given: string[]): string[] {
  const addresses = given
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter(Boolean);
  for (const address of addresses) {
    const [ip, bits, extra] = address.split('/');
    const version = isIP(ip!);
    const validBits =
      bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 6 ? 128 : 32));
    if (address !== 'loopback' && (version === 0 || !validBits || extra !== undefined))
      throw new Error(
        `--trusted-proxy ${address} is not an IP address or CIDR range: give the address the proxy connects from, e.g. 10.0.0.5, 10.0.0.0/8 or loopback`,
      );
  }
  return addresses;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const host = options.host ?? SETTINGS.host.defaultValue;
  const proxies = trustedProxies(options.trustedProxies ?? []);
  const configuredIssuer = options.oauthIssuer ? issuerOrigin(options.oauthIssuer) : undefined;
  const registration = options.oauthRegistration ?? SETTINGS.oauthRegistration.defaultValue;
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
  const tracing = await startTracing(process.env, logger);
  const opened = await openStore(options).catch(async (error: unknown) => {
    await tracing?.shutdown();
    throw error;
  });
  // A database shared over the network can go away for a while; the embedded file cannot.
  const store = options.databaseUrl ? lastKnownStore(opened) : opened;
  const eventBufferLimits = {
    events: options.eventBufferEvents ?? SETTINGS.eventBufferEvents.defaultValue,
    bytes: options.eventBufferBytes ?? SETTINGS.eventBufferBytes.defaultValue,
    ageMs: options.eventBufferAgeMs ?? SETTINGS.eventBufferAgeMs.defaultValue,
  };
  const maxPollWaitMs = options.maxPollWaitMs ?? SETTINGS.maxPollWaitMs.defaultValue;
  let seams: Seams | undefined;
  let app: Awaited<ReturnType<typeof buildServer>> | undefined;
  let retention: AuditRetention | undefined;
  let scrapes: MetricsListener | undefined;
  try {
    seams = await openSeams(options, store, eventBufferLimits, maxPollWaitMs, logger);
    const { broker, eventBuffer, trafficLog, signInLimiter } = seams;
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
    // Loaded only when a listener is asked for: the Prometheus library costs memory and start-up time.
    const metrics =
      options.metricsPort === undefined
        ? undefined
        : new (await import('../observability/metrics.ts')).ServiceMetrics({
            store: options.databaseUrl ? 'postgres' : 'sqlite',
            broker: options.redisUrl ? 'redis' : 'memory',
          });
    const context: ServiceContext = {
      store,
      broker,
      eventBuffer,
      trafficLog,
      authenticator: new Authenticator(store),
      signInLimiter,
      shardTokens: new ShardTokens(Buffer.from(secret, 'hex'), broker.nodeId),
      limits: {
        maxBodyBytes,
        maxJsonDepth: options.maxJsonDepth ?? SETTINGS.maxJsonDepth.defaultValue,
        maxPollWaitMs,
        defaultPollWaitMs: Math.min(DEFAULT_POLL_WAIT_MS, maxPollWaitMs),
        eventBuffer: eventBufferLimits,
        connections: {
          headersTimeoutMs: options.headersTimeoutMs ?? SETTINGS.headersTimeoutMs.defaultValue,
          bodyTimeoutMs: options.bodyTimeoutMs ?? SETTINGS.bodyTimeoutMs.defaultValue,
          keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? SETTINGS.keepAliveTimeoutMs.defaultValue,
          maxPerAddress: options.maxConnectionsPerAddress ?? SETTINGS.maxConnectionsPerAddress.defaultValue,
        },
      },
      operatorOrganizationId: operatorOrganization!.id,
      allowedOrigins,
      trustedProxies: proxies,
      serviceNames: serviceNames(host, configuredIssuer, allowedOrigins),
      oauth: {
        issuer: configuredIssuer ?? '',
        lifetimes: {
          accessMs: options.oauthAccessTokenLifetimeMs ?? SETTINGS.oauthAccessTokenLifetimeMs.defaultValue,
          refreshMs: options.oauthRefreshTokenLifetimeMs ?? SETTINGS.oauthRefreshTokenLifetimeMs.defaultValue,
        },
        clients: {
          metadataDocuments: registration === 'all' || registration === 'metadata-document',
          dynamicRegistration: registration === 'all' || registration === 'dynamic',
          allowPrivateMetadata: (options.oauthClientMetadataAddresses ?? 'public') === 'any',
        },
      },
      metrics,
    };
    app = await buildServer(context, logger);
    await listenQuietly(app, host, options.port ?? SETTINGS.port.defaultValue);
    const port = (app.server.address() as AddressInfo).port;
    if (metrics && options.metricsPort !== undefined)
      scrapes = await listenForScrapes(
        metrics,
        options.metricsHost ?? SETTINGS.metricsHost.defaultValue,
        options.metricsPort,
        logger,
      );
    for (const origin of ownOrigins(host, port)) allowedOrigins.add(origin);
    context.oauth.issuer = configuredIssuer ?? `http://${urlHost(host)}:${port}`;
    if (
      new URL(context.oauth.issuer).protocol === 'http:' &&
      !LOOPBACK.has(new URL(context.oauth.issuer).hostname.replace(/^\[|\]$/g, ''))
    )
      logger.warn(
        { issuer: context.oauth.issuer },
        'the OAuth issuer is plain http on a non-loopback address: OAuth clients require https. Put the service behind a TLS proxy and set --oauth-issuer to its https URL.',
      );

    let closing: Promise<void> | undefined;
    const server = app;
    const shared = seams;
    const metricsListener = scrapes;
    return {
      url: `http://${urlHost(host)}:${port}`,
      host,
      port,
      ownerKey,
      dataDir: options.dataDir,
      store,
      nodeId: broker.nodeId,
      broker: options.redisUrl ? redisLocation(options.redisUrl) : undefined,
      metricsUrl: scrapes?.url,
      close: () =>
        (closing ??= (async () => {
          retention?.stop();
          await metricsListener?.close();
          await shared.close();
          await server.close();
          shared.disconnect();
          await store.close();
          await tracing?.shutdown();
        })()),
    };
  } catch (error) {
    retention?.stop();
    await scrapes?.close();
    await seams?.close();
    await app?.close();
    seams?.disconnect();
    await store.close();
    await tracing?.shutdown();
    throw error;
  }
}
