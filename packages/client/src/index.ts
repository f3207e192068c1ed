// The tunnel-client as a library: put an SDK MCP server on a tunnel in one call (serveOverTunnel), or
// configure, start in-process (with stdio, HTTP or in-process MCP servers), observe, stop.
export { startTunnelClient, STARTED_MESSAGE } from './runtime/client.ts';
export type { TunnelClientHandle, TunnelClientOptions } from './runtime/client.ts';
export { serveOverTunnel } from './embedding.ts';
export type { ServeOverTunnelOptions, TunnelServing } from './embedding.ts';
export { resolveConfig, defineConfig, SETTINGS } from './config/schema.ts';
export type { ClientConfig, ConfigSources, Setting } from './config/schema.ts';
export { ConfigError } from './config/errors.ts';
export { findProfile, readProfile } from './config/profiles.ts';
export type { Binding, ServerReply, BindingRequest } from './bindings/binding.ts';
export type { InProcessServer } from './bindings/memory.ts';
export type { ClientStatus } from './observability/status.ts';
export { CLIENT_NAME, CLIENT_VERSION } from './base/version.ts';
