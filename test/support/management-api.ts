// The management API as the walkthrough uses it: one call, the seed's runtime set-up, and keys with
// exactly the permissions a test needs. Works against any running tunnel-service, the CLI child
// process of the end-to-end tests as well as the in-process one of the service's own tests.
import { randomUUID } from 'node:crypto';

/** Where a tunnel-service answers, and its owner key (which holds every permission). */
export interface ServiceAddress {
  url: string;
  ownerKey: string;
}

/** One call to the management API; throws with the service's own message on a non-2xx answer. */
export async function api<T = Record<string, unknown>>(
  baseUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

export interface Runtime {
  tunnelId: string;
  runtimeKey: string;
}

/**
 * The seed's platform steps: a role with Tunnels Read + Use, a service account holding it (whose key is
 * the tunnel-client's runtime key), and a tunnel.
 */
export interface RuntimeOptions {
  tunnelName?: string;
  /** The tunnel's response_timeout, e.g. `1s`; the service's default (60s) when not given. */
  responseTimeout?: string;
}

export async function createRuntime(service: ServiceAddress, options: RuntimeOptions = {}): Promise<Runtime> {
  const role = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/roles', {
    name: `tunnel runtime ${randomUUID()}`,
    permissions: ['tunnel.read', 'tunnel.use'],
  });
  const account = await api<{ api_key: { secret: string } }>(
    service.url,
    service.ownerKey,
    'POST',
    '/v1/service_accounts',
    { name: `tunnel-client ${Date.now()}`, role_ids: [role.id] },
  );
  const tunnel = await api<{ id: string }>(service.url, service.ownerKey, 'POST', '/v1/tunnels', {
    name: options.tunnelName ?? 'calculator',
    description: 'The seed walkthrough calculator',
    ...(options.responseTimeout ? { response_timeout: options.responseTimeout } : {}),
  });
  return { tunnelId: tunnel.id, runtimeKey: account.api_key.secret };
}

/** The secret of a new API key of the owner restricted to exactly `permissions`. */
export async function keyWith(service: ServiceAddress, permissions: string[]): Promise<string> {
  const key = await api<{ secret: string }>(service.url, service.ownerKey, 'POST', '/v1/api_keys', {
    name: `restricted to ${permissions.join(' + ')}`,
    permissions,
  });
  return key.secret;
}
