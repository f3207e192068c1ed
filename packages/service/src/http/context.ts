import { isTunnelId, PERMISSION_LABELS, TUNNEL_ID_SHAPE, type PermissionAtom } from '@mcp-tunnel/protocol';
import type { Authenticator, Principal } from '../auth/principal.ts';
import type { ConnectionLimits } from './connections.ts';
import type { SignInLimiter } from '../auth/sign-in-limiter.ts';
import type { CommandBroker } from '../broker/command-broker.ts';
import type { EventBuffer, EventBufferLimits } from '../broker/event-buffer.ts';
import type { TrafficLog } from '../broker/traffic-log.ts';
import type { ShardTokens } from '../broker/shard-token.ts';
import type { TunnelRow } from '../store/repositories/tunnels.ts';
import type { Store } from '../store/types.ts';
import { badRequest, forbidden, notFound, type ApiRefusal } from './errors.ts';
import type { OAuthSettings } from './oauth/resource.ts';
import type { ServiceMetrics } from '../observability/metrics.ts';

/** Everything the routes share; built once by startService. */
export interface ServiceContext {
  store: Store;
  broker: CommandBroker;
  /** The SSE events kept for callers that resume with Last-Event-ID. */
  eventBuffer: EventBuffer;
  trafficLog: TrafficLog;
  authenticator: Authenticator;
  signInLimiter: SignInLimiter;
  shardTokens: ShardTokens;
  limits: {
    maxBodyBytes: number;
    /** How deeply a JSON body may nest objects and arrays. */
    maxJsonDepth: number;
    maxPollWaitMs: number;
    defaultPollWaitMs: number;
    /** The per-session buffer of SSE events kept for callers that resume with Last-Event-ID. */
    eventBuffer: EventBufferLimits;
    connections: ConnectionLimits;
  };
  /**
   * The organization created at first start: the operator's. Refusals no organization can be told from
   * (an unknown key, a sign-in for an unknown email) go to its audit log.
   */
  operatorOrganizationId: string;
  /** Origins allowed to call the connector endpoint besides the service's own. */
  allowedOrigins: ReadonlySet<string>;
  /**
   * The host names callers reach the service by (lower case): localhost, the machine's name, the listen
   * host, the OAuth issuer's and the allowed origins'. A GET to the connector under another name is refused.
   */
  serviceNames: ReadonlySet<string>;
  /** Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; none by default. */
  trustedProxies: readonly string[];
  /** The service as OAuth authorization server of its connector URLs. */
  oauth: OAuthSettings;
  /**
   * What GET /metrics reports, when a metrics listener is configured (--metrics-port). Without one there is
   * nothing to count into: the Prometheus library is not even loaded.
   */
  metrics: ServiceMetrics | undefined;
}

/** Fetches a tunnel visible to the caller's organization; another organization's tunnel does not exist for it. */
export async function visibleTunnel(
  context: ServiceContext,
  principal: Principal,
  tunnelId: string,
): Promise<TunnelRow> {
  if (!isTunnelId(tunnelId))
    throw badRequest(
      'invalid_tunnel_id_format',
      `Tunnel id ${JSON.stringify(tunnelId)} is malformed: it must be ${TUNNEL_ID_SHAPE}, e.g. tunnel_0123456789abcdef0123456789abcdef. Copy the exact id from GET /v1/tunnels.`,
      'tunnel_id',
    );
  const tunnel = await context.store.tunnels.get(tunnelId);
  if (!tunnel || !tunnel.organization_ids.includes(principal.organizationId))
    throw notFound(
      'not_found',
      `No tunnel ${tunnelId} in your organization. List the tunnels your key can see with GET /v1/tunnels.`,
    );
  return tunnel;
}

/** Refuses unless the caller holds at least one of `atoms`. */
export function requireAny(
  principal: Principal,
  atoms: PermissionAtom[],
  code: string = 'permission_denied',
  refusal?: (missing: string) => ApiRefusal,
): void {
  if (atoms.some((atom) => principal.permissions.has(atom))) return;
  const names = atoms.map((atom) => `${PERMISSION_LABELS[atom]} (${atom})`).join(' or ');
  if (refusal) throw refusal(names);
  throw forbidden(
    code,
    `This API key lacks ${names}. Use a key whose owner holds a role with that permission, or ask an owner to grant it.`,
  );
}

export function requireAll(principal: Principal, atoms: PermissionAtom[]): void {
  for (const atom of atoms) requireAny(principal, [atom]);
}
