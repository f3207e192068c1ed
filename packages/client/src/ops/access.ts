import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface AccessPolicy {
  /** admin_ui.allow_remote: callers from other machines may use the console. */
  allowRemote: boolean;
  /** The host the ops server listens on (health.listen_addr). */
  listenHost: string;
  /** Served on a Unix socket (health.unix_socket): its file permissions decide who may connect. */
  unixSocket?: boolean;
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.replace(/^::ffff:/i, '');
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);

function hostOnly(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hostHeader);
  if (bracketed) return bracketed[1]!.toLowerCase();
  return hostHeader.replace(/:\d+$/, '').toLowerCase();
}

/**
 * Names this server may be reached by. A browser sends the name it resolved in Host, so a page on
 * another site that rebinds its own DNS name to 127.0.0.1 still shows its own name here and is refused.
 */
function acceptedHosts(policy: AccessPolicy): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  const listen = policy.listenHost.toLowerCase();
  if (listen !== '0.0.0.0' && listen !== '::') names.add(listen);
  if (policy.allowRemote) {
    // Reached from elsewhere, the console answers to this machine's own name and addresses.
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces()))
      for (const entry of list ?? []) names.add(entry.address.toLowerCase());
  }
  return names;
}

function hostAccepted(host: string, names: Set<string>): boolean {
  if (names.has(host) || host.endsWith('.localhost')) return true;
  return isLoopbackAddress(host);
}

/** An Origin header names this server when it is http://<the Host the request was sent to>. */
function sameOrigin(origin: string, hostHeader: string): boolean {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' && url.host.toLowerCase() === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}

/** A refusal: status and a message that says what was wrong and what to do. */
export interface Refusal {
  status: number;
  error: string;
}

/**
 * Who may use the console and its API: loopback callers only (unless allow_remote), a Host that names
 * this server, an Origin (when a browser sends one) equal to this server's, and for changes a
 * same-origin JSON request, which a page elsewhere cannot send without a CORS preflight we never grant.
 */
export function checkAccess(
  request: Pick<FastifyRequest, 'headers' | 'method'> & { remoteAddress: string | undefined },
  policy: AccessPolicy,
  names = acceptedHosts(policy),
): Refusal | undefined {
  if (!policy.allowRemote && !policy.unixSocket && !isLoopbackAddress(request.remoteAddress))
    return {
      status: 403,
      error: `the console answers only on this machine (caller ${request.remoteAddress ?? 'unknown'}); set admin_ui.allow_remote (--allow-remote-ui) to let other machines use it`,
    };
  const hostHeader = request.headers.host;
  if (!hostHeader || !hostAccepted(hostOnly(hostHeader), names))
    return {
      status: 421,
      error: `Host ${JSON.stringify(hostHeader ?? '')} does not name this tunnel-client; open the console as http://127.0.0.1:<port>/ui or http://localhost:<port>/ui`,
    };
  const origin = request.headers.origin;
  if (origin !== undefined) {
    if (!sameOrigin(origin, hostHeader))
      return {
        status: 403,
        error: `requests from ${origin} are refused: only pages served by this console may use its API`,
      };
  }
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite === 'cross-site' || fetchSite === 'same-site')
    return { status: 403, error: 'cross-site requests are refused: use the console page itself' };
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const type = String(request.headers['content-type'] ?? '');
    if (!/^application\/json\b/i.test(type))
      return { status: 415, error: 'send changes as JSON (Content-Type: application/json)' };
  }
  return undefined;
}

/** A Fastify onRequest hook applying checkAccess. */
export function accessHook(policy: AccessPolicy) {
  const names = acceptedHosts(policy);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const refusal = checkAccess(
      { headers: request.headers, method: request.method, remoteAddress: request.socket.remoteAddress },
      policy,
      names,
    );
    if (refusal) return reply.code(refusal.status).send({ error: refusal.error });
  };
}
