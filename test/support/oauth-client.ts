// An MCP client that signs in with OAuth through the official SDK's client auth (OAuthClientProvider), as
// ChatGPT, Claude or any SDK-based application does: discovery from the 401, registration (a Client ID
// Metadata Document URL, or Dynamic Client Registration), PKCE, the browser sent to the authorization URL,
// and the code coming back to a loopback redirect URI, which this module serves.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';

/** What came back to the redirect URI: the query of each redirect, in order. */
export class RedirectCatcher {
  readonly #server: Server;
  readonly #waiting: ((query: URLSearchParams) => void)[] = [];
  readonly #arrived: URLSearchParams[] = [];
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://catcher');
      // A browser also asks for /favicon.ico: only the redirect URI itself counts.
      if (url.pathname !== '/callback') return void res.writeHead(404).end();
      const query = url.searchParams;
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end('<!doctype html><title>Done</title><p>You can close this window.</p>');
      const waiter = this.#waiting.shift();
      if (waiter) waiter(query);
      else this.#arrived.push(query);
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/callback`;
    return this;
  }

  /** The next redirect's query. */
  next(): Promise<URLSearchParams> {
    const arrived = this.#arrived.shift();
    if (arrived) return Promise.resolve(arrived);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/** The provider an application keeps: its registration, tokens and PKCE verifier, in memory. */
export class TestOAuthProvider implements OAuthClientProvider {
  readonly redirectUrl: string;
  readonly clientMetadataUrl: string | undefined;
  readonly #name: string;
  #client: OAuthClientInformationMixed | undefined;
  #tokens: OAuthTokens | undefined;
  #verifier = '';
  #state = '';
  /** Where the application sent the browser last. */
  authorizationUrl: URL | undefined;

  constructor(redirectUrl: string, options: { name?: string; clientMetadataUrl?: string } = {}) {
    this.redirectUrl = redirectUrl;
    this.clientMetadataUrl = options.clientMetadataUrl;
    this.#name = options.name ?? 'SDK test application';
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.#name,
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  state(): string {
    this.#state = randomBytes(12).toString('hex');
    return this.#state;
  }

  /** The state of the last authorization request, which the redirect must carry back. */
  get lastState(): string {
    return this.#state;
  }

  clientInformation() {
    return this.#client;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.#client = info;
  }

  tokens() {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  /** The SDK drops what the authorization server refused (a revoked grant's tokens), as applications do. */
  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'client') this.#client = undefined;
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    return this.#verifier;
  }
}
