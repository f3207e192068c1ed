// The OAuth mode of `tunnel-client dev mcp-stub --transport http --oauth`: the stub's /mcp becomes an OAuth
// protected resource (RFC 9728) with a small authorization server of its own on the same port (RFC 8414
// metadata, Dynamic Client Registration, authorization code with PKCE S256, refresh tokens). It approves
// every authorization request at once (there is nobody to ask), so the whole flow through a public tunnel
// can be tried on one machine. For trying things only: everything lives in memory.
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface StubOAuthOptions {
  /** `http://host:port` of the stub: the issuer, and the base of /mcp. */
  base: string;
  /**
   * Resource identifiers accepted besides the stub's own /mcp: a public tunnel's connector URL, which is
   * what callers through the tunnel ask tokens for.
   */
  resources: string[];
}

interface Grant {
  clientId: string;
  redirectUri: string;
  challenge: string;
  resource: string;
}

const ACCESS_LIFETIME_S = 3600;
const METADATA_PATH = '/.well-known/oauth-protected-resource';

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) {
    text += String(chunk);
    if (text.length > 64 * 1024) throw new Error('body too large');
  }
  return text;
}

const secret = () => randomBytes(24).toString('base64url');

export class StubAuthorization {
  readonly #options: StubOAuthOptions;
  readonly #clients = new Map<string, string[]>();
  readonly #codes = new Map<string, Grant>();
  readonly #access = new Map<string, { resource: string; expiresAt: number }>();
  readonly #refresh = new Map<string, Grant>();

  constructor(options: StubOAuthOptions) {
    this.#options = options;
  }

  get resource(): string {
    return `${this.#options.base}/mcp`;
  }

  get metadataUrl(): string {
    return `${this.#options.base}${METADATA_PATH}/mcp`;
  }

  /** Serves the OAuth endpoints; false when the path is not one of them. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', this.#options.base);
    const base = this.#options.base;
    switch (`${req.method} ${url.pathname}`) {
      case `GET ${METADATA_PATH}/mcp`:
      case `GET ${METADATA_PATH}`:
        json(res, 200, {
          resource: this.resource,
          authorization_servers: [base],
          scopes_supported: ['mcp'],
          bearer_methods_supported: ['header'],
        });
        return true;
      case 'GET /.well-known/oauth-authorization-server':
        json(res, 200, {
          issuer: base,
          authorization_endpoint: `${base}/authorize`,
          token_endpoint: `${base}/token`,
          registration_endpoint: `${base}/register`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code', 'refresh_token'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: ['none'],
          scopes_supported: ['mcp'],
          authorization_response_iss_parameter_supported: true,
        });
        return true;
      case 'POST /register':
        this.#register(res, await readBody(req));
        return true;
      case 'GET /authorize':
        this.#authorize(res, url.searchParams);
        return true;
      case 'POST /token':
        this.#token(res, new URLSearchParams(await readBody(req)));
        return true;
      default:
        return false;
    }
  }

  /** Whether a request to /mcp carries a live token for a resource the stub accepts; answers 401 if not. */
  authorized(req: IncomingMessage, res: ServerResponse): boolean {
    const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const grant = token ? this.#access.get(token) : undefined;
    if (grant && grant.expiresAt > Date.now() && this.#accepts(grant.resource)) return true;
    const error = token ? ', error="invalid_token", error_description="unknown or expired token"' : '';
    json(
      res,
      401,
      { error: 'invalid_token', error_description: 'This MCP server needs an OAuth access token.' },
      { 'www-authenticate': `Bearer resource_metadata="${this.metadataUrl}", scope="mcp"${error}` },
    );
    return false;
  }

  #accepts(resource: string): boolean {
    return resource === this.resource || this.#options.resources.includes(resource);
  }

  #register(res: ServerResponse, body: string) {
    let metadata: { redirect_uris?: unknown; client_name?: unknown };
    try {
      metadata = JSON.parse(body) as typeof metadata;
    } catch {
      return json(res, 400, { error: 'invalid_client_metadata', error_description: 'not JSON' });
    }
    const uris = metadata.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || !uris.every((u) => typeof u === 'string'))
      return json(res, 400, {
        error: 'invalid_redirect_uri',
        error_description: 'redirect_uris is required',
      });
    const clientId = `stub-client-${secret()}`;
    this.#clients.set(clientId, uris as string[]);
    json(res, 201, {
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      redirect_uris: uris,
      ...(typeof metadata.client_name === 'string' ? { client_name: metadata.client_name } : {}),
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
  }

  #authorize(res: ServerResponse, query: URLSearchParams) {
    const clientId = query.get('client_id') ?? '';
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!this.#clients.get(clientId)?.includes(redirectUri)) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown client_id or redirect_uri\n');
      return;
    }
    const back = new URL(redirectUri);
    const state = query.get('state');
    if (state !== null) back.searchParams.set('state', state);
    back.searchParams.set('iss', this.#options.base);
    const resource = query.get('resource') ?? this.resource;
    const challenge = query.get('code_challenge');
    if (query.get('response_type') !== 'code' || !challenge || query.get('code_challenge_method') !== 'S256')
      back.searchParams.set('error', 'invalid_request');
    else if (!this.#accepts(resource)) back.searchParams.set('error', 'invalid_target');
    else {
      const code = secret();
      this.#codes.set(code, { clientId, redirectUri, challenge, resource });
      back.searchParams.set('code', code);
    }
    res.writeHead(302, { location: back.href }).end();
  }

  #token(res: ServerResponse, form: URLSearchParams) {
    const refuse = (error: string, description: string) =>
      json(res, 400, { error, error_description: description });
    let grant: Grant | undefined;
    if (form.get('grant_type') === 'authorization_code') {
      const code = form.get('code') ?? '';
      grant = this.#codes.get(code);
      this.#codes.delete(code);
      if (
        !grant ||
        grant.clientId !== form.get('client_id') ||
        grant.redirectUri !== form.get('redirect_uri')
      )
        return refuse('invalid_grant', 'unknown code, client or redirect_uri');
      const verifier = form.get('code_verifier') ?? '';
      if (createHash('sha256').update(verifier).digest('base64url') !== grant.challenge)
        return refuse('invalid_grant', 'code_verifier does not match');
    } else if (form.get('grant_type') === 'refresh_token') {
      const token = form.get('refresh_token') ?? '';
      grant = this.#refresh.get(token);
      this.#refresh.delete(token);
      if (!grant || grant.clientId !== form.get('client_id'))
        return refuse('invalid_grant', 'unknown refresh token');
    } else return refuse('unsupported_grant_type', 'use authorization_code or refresh_token');
    const access = secret();
    const refresh = secret();
    this.#access.set(access, { resource: grant.resource, expiresAt: Date.now() + ACCESS_LIFETIME_S * 1000 });
    this.#refresh.set(refresh, grant);
    json(res, 200, {
      access_token: access,
      token_type: 'Bearer',
      expires_in: ACCESS_LIFETIME_S,
      refresh_token: refresh,
      scope: 'mcp',
    });
  }
}
