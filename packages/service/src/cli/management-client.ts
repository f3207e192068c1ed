// How the operator commands (`tunnel-service roles|service-accounts|api-keys|tunnels ...`) reach a running
// service: its URL, the API key they act with (never written on the command line, where every user of the
// machine could read it), and one call to its management API.
import { readFileSync } from 'node:fs';

export const API_KEY_ENV = 'TUNNEL_SERVICE_API_KEY';
export const URL_ENV = 'TUNNEL_SERVICE_URL';
const REQUEST_TIMEOUT_MS = 30_000;

/** The command line or environment is wrong: exit 2. */
export class UsageError extends Error {}

/** The service could not be reached, or refused: exit 1. */
export class ServiceError extends Error {}

/** `http://host:port` without a trailing slash (or `/healthz`), or undefined when it is not a service URL. */
export function serviceBaseUrl(text: string): string | undefined {
  const base = text.trim().replace(/\/(healthz)?\/?$/, '');
  return /^https?:\/\/[^/\s]+$/.test(base) ? base : undefined;
}

/**
 * The key to act with: `--api-key env:NAME` or `--api-key file:PATH`, else $TUNNEL_SERVICE_API_KEY. A key
 * written on the command line itself is refused without being repeated.
 */
export function resolveApiKey(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag === undefined) {
    const key = env[API_KEY_ENV]?.trim();
    if (key) return key;
    throw new UsageError(
      `No API key: export ${API_KEY_ENV}=<the owner key tunnel-service start printed, or a key with the permissions this needs>, or pass --api-key env:NAME or --api-key file:PATH (e.g. the --owner-key-file).`,
    );
  }
  if (flag.startsWith('env:')) {
    const name = flag.slice(4);
    const key = env[name]?.trim();
    if (!key)
      throw new UsageError(`--api-key ${flag}: the environment variable ${name} is not set or empty.`);
    return key;
  }
  if (flag.startsWith('file:')) {
    const path = flag.slice(5);
    let key: string;
    try {
      key = readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`--api-key ${flag}: cannot read ${path} (${(error as { code?: string }).code}).`);
    }
    if (!key) throw new UsageError(`--api-key ${flag}: ${path} is empty.`);
    return key;
  }
  throw new UsageError(
    `--api-key takes a reference, env:NAME or file:PATH, never the key itself (the command line is visible to every user of this machine): export ${API_KEY_ENV}=<key> instead.`,
  );
}

export interface ManagementTarget {
  /** The service's base URL, e.g. http://127.0.0.1:8787. */
  url: string;
  key: string;
}

/** One call to the management API; the service's own error message on a refusal. */
export async function managementCall<T>(
  target: ManagementTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${target.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${target.key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
        : ((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message);
    throw new ServiceError(
      `The tunnel-service at ${target.url} is unreachable (${why}): is it running (tunnel-service start), and is --url (or $${URL_ENV}) its address?`,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: the status and raw text say what happened
  }
  if (!response.ok) {
    const error = (parsed as { error?: { message?: unknown; code?: unknown } } | undefined)?.error;
    const message = typeof error?.message === 'string' ? error.message : text.slice(0, 300) || '(no body)';
    const code = typeof error?.code === 'string' ? ` ${error.code}` : '';
    throw new ServiceError(`${method} ${path} answered ${response.status}${code}: ${message}`);
  }
  if (parsed === undefined)
    throw new ServiceError(
      `${method} ${path} answered ${response.status} without JSON: is ${target.url} a tunnel-service?`,
    );
  return parsed as T;
}
