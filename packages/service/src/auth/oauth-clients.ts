import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { OAuthClientRow } from '../store/repositories/oauth-clients.ts';
import type { Store } from '../store/types.ts';
import { fetchClientMetadata, MetadataFetchRefused } from './client-metadata-fetch.ts';

/** How clients make themselves known to this service (the --oauth-registration setting). */
export interface ClientPolicy {
  metadataDocuments: boolean;
  dynamicRegistration: boolean;
  /** Metadata documents may come from loopback and private addresses (development only). */
  allowPrivateMetadata: boolean;
}

/** A client the service will not deal with, and why, in words the member or developer can act on. */
export class ClientProblem extends Error {
  readonly error: 'invalid_client' | 'invalid_client_metadata' | 'invalid_redirect_uri';
  constructor(error: ClientProblem['error'], message: string) {
    super(message);
    this.error = error;
  }
}

/** A refetch of a metadata document happens at most this often per client. */
const METADATA_CACHE_MS = 5 * 60_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Redirect URIs: absolute, no fragment, https or http on loopback (native apps), nothing else. */
export function redirectUriProblem(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${JSON.stringify(uri)} is not an absolute URL`;
  }
  if (url.hash) return `${uri} has a fragment, which redirect URIs may not have`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return `${uri} is neither https nor http on a loopback address`;
}

const RedirectUris = z
  .array(z.string().max(2000))
  .min(1, 'redirect_uris needs at least one URI')
  .max(10)
  .superRefine((uris, ctx) => {
    for (const uri of uris) {
      const problem = redirectUriProblem(uri);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }
  });

/** The metadata both registration and metadata documents carry (RFC 7591 §2); the rest is ignored. */
const ClientMetadata = z.looseObject({
  redirect_uris: RedirectUris,
  client_name: z.string().trim().min(1).max(200).optional(),
  client_uri: z.url().max(2000).optional(),
  grant_types: z
    .array(z.string())
    .refine((types) => types.includes('authorization_code'), 'grant_types must include authorization_code')
    .optional(),
  response_types: z
    .array(z.string())
    .refine((types) => types.includes('code'), 'response_types must include code')
    .optional(),
  token_endpoint_auth_method: z.string().optional(),
});

function describe(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'document'}: ${issue.message}`).join('; ');
}

/** Dynamic Client Registration (RFC 7591): every client is public and proves itself with PKCE. */
export async function registerClient(store: Store, body: unknown): Promise<OAuthClientRow> {
  const parsed = ClientMetadata.safeParse(body);
  if (!parsed.success) throw new ClientProblem('invalid_client_metadata', describe(parsed.error));
  const metadata = parsed.data;
  const client: OAuthClientRow = {
    id: `oauthc_${randomBytes(16).toString('hex')}`,
    kind: 'registered',
    name: metadata.client_name ?? 'Unnamed application',
    redirect_uris: metadata.redirect_uris,
    client_uri: metadata.client_uri ?? null,
    created_at: new Date().toISOString(),
    fetched_at: null,
  };
  await store.oauthClients.create(client);
  return client;
}

/** A client_id that is the URL of a metadata document: https, with a path, no fragment or credentials. */
export function metadataDocumentUrl(clientId: string): URL | undefined {
  if (!clientId.startsWith('https://')) return undefined;
  try {
    const url = new URL(clientId);
    if (url.pathname === '/' || url.hash || url.username || url.password) return undefined;
    if (/(^|\/)\.\.?(\/|$)/.test(clientId.slice(url.origin.length))) return undefined;
    return url;
  } catch {
    return undefined;
  }
}

async function fromMetadataDocument(store: Store, url: URL, policy: ClientPolicy): Promise<OAuthClientRow> {
  const clientId = url.href;
  const cached = await store.oauthClients.get(clientId);
  if (cached?.fetched_at && Date.now() - Date.parse(cached.fetched_at) < METADATA_CACHE_MS) return cached;
  let document: unknown;
  try {
    document = await fetchClientMetadata(url, policy.allowPrivateMetadata);
  } catch (error) {
    const reason = error instanceof MetadataFetchRefused ? error.message : String(error);
    throw new ClientProblem(
      'invalid_client',
      `The client's metadata document ${clientId} was not accepted: ${reason}.`,
    );
  }
  const parsed = ClientMetadata.extend({ client_id: z.string() }).safeParse(document);
  if (!parsed.success)
    throw new ClientProblem(
      'invalid_client',
      `The metadata document ${clientId} is invalid: ${describe(parsed.error)}.`,
    );
  if (parsed.data.client_id !== clientId)
    throw new ClientProblem(
      'invalid_client',
      `The metadata document ${clientId} names client_id ${JSON.stringify(parsed.data.client_id)}; it must name its own URL.`,
    );
  const method = parsed.data.token_endpoint_auth_method ?? 'none';
  if (method !== 'none')
    throw new ClientProblem(
      'invalid_client',
      `The metadata document ${clientId} asks for token_endpoint_auth_method ${method}; this service takes public clients ("none") with PKCE.`,
    );
  const now = new Date().toISOString();
  const client: OAuthClientRow = {
    id: clientId,
    kind: 'metadata_document',
    name: parsed.data.client_name ?? url.host,
    redirect_uris: parsed.data.redirect_uris,
    client_uri: parsed.data.client_uri ?? null,
    created_at: cached?.created_at ?? now,
    fetched_at: now,
  };
  await store.oauthClients.put(client);
  return client;
}

/** The client a client_id names: a metadata document URL (fetched, validated, cached) or a registered id. */
export async function resolveClient(
  store: Store,
  clientId: string,
  policy: ClientPolicy,
): Promise<OAuthClientRow> {
  const url = metadataDocumentUrl(clientId);
  if (url) {
    if (!policy.metadataDocuments)
      throw new ClientProblem(
        'invalid_client',
        'This service does not accept Client ID Metadata Documents (--oauth-registration). Register the client instead.',
      );
    return fromMetadataDocument(store, url, policy);
  }
  const client = clientId.startsWith('https://') ? undefined : await store.oauthClients.get(clientId);
  if (!client || client.kind !== 'registered')
    throw new ClientProblem(
      'invalid_client',
      clientId.startsWith('https://')
        ? `client_id ${clientId} is not a usable metadata document URL: it needs a path, and no fragment, credentials or dot segments.`
        : `Unknown client_id ${JSON.stringify(clientId)}: register the client first (the registration_endpoint of the authorization server metadata), or use a metadata document URL as client_id.`,
    );
  return client;
}
