import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, EnvHttpProxyAgent, ProxyAgent, type Dispatcher } from 'undici';
import type { OutboundConfig } from '../config/schema.ts';

/** Loopback is never reached through a proxy named by the environment, as in Go's net/http. */
const ALWAYS_DIRECT = ['localhost', '127.0.0.1', '::1'];

export interface OutboundOverrides {
  /** Dial every connection over this Unix socket; proxies do not apply. */
  unixSocket?: string;
  httpProxy?: string;
  clientCert?: string;
  clientKey?: string;
}

function tlsOptions(config: OutboundConfig, overrides: OutboundOverrides) {
  // An extra CA is added to the system roots, never a replacement for them.
  const ca = config.caBundle ? [...rootCertificates, readFileSync(config.caBundle, 'utf8')] : undefined;
  const certPath = overrides.clientCert ?? config.clientCert;
  const keyPath = overrides.clientKey ?? config.clientKey;
  return {
    ca,
    cert: certPath ? readFileSync(certPath) : undefined,
    key: keyPath ? readFileSync(keyPath) : undefined,
  };
}

/**
 * The undici agent (an undici Dispatcher) for connections to one destination: an explicit proxy when configured, else the
 * standard proxy variable for the destination's scheme (HTTPS_PROXY for https, HTTP_PROXY for http, as
 * in Go's net/http: HTTP_PROXY alone never carries https traffic) minus NO_PROXY, else direct; with the
 * extra CA and client certificate on every TLS connection to the destination (through a proxy tunnel too).
 */
export function createOutboundAgent(
  config: OutboundConfig,
  destination: URL,
  overrides: OutboundOverrides = {},
  agentOptions: Agent.Options = {},
): Dispatcher {
  const tls = tlsOptions(config, overrides);
  if (overrides.unixSocket)
    return new Agent({ ...agentOptions, connect: { ...tls, socketPath: overrides.unixSocket } });
  const proxyTls = { ca: tls.ca };
  const proxy = overrides.httpProxy ?? config.httpProxy;
  if (proxy) return new ProxyAgent({ ...agentOptions, uri: proxy, requestTls: tls, proxyTls });
  const { noProxy } = config.proxyEnv;
  const schemeProxy =
    destination.protocol === 'https:' ? config.proxyEnv.httpsProxy : config.proxyEnv.httpProxy;
  if (schemeProxy)
    return new EnvHttpProxyAgent({
      ...agentOptions,
      // Both set to the scheme's proxy, so undici never falls back to the other variable on its own.
      httpProxy: schemeProxy,
      httpsProxy: schemeProxy,
      noProxy: [noProxy, ...ALWAYS_DIRECT].filter(Boolean).join(','),
      connect: tls,
      requestTls: tls,
      proxyTls,
    });
  return new Agent({ ...agentOptions, connect: tls });
}

/**
 * Hands out an agent whose connections are not reused beyond `maxAgeMs`: once the current agent is that
 * old it is replaced by a new one, and the old one closes after the requests it carries finish.
 */
export class RenewingAgent {
  private readonly make: () => Dispatcher;
  private readonly maxAgeMs: number;
  private agent: Dispatcher;
  private createdAt = performance.now();

  constructor(make: () => Dispatcher, maxAgeMs: number) {
    this.make = make;
    this.maxAgeMs = maxAgeMs;
    this.agent = make();
  }

  current(): Dispatcher {
    if (performance.now() - this.createdAt >= this.maxAgeMs) {
      const old = this.agent;
      this.agent = this.make();
      this.createdAt = performance.now();
      void old.close().catch(() => {});
    }
    return this.agent;
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => {});
  }
}
