import { readFileSync } from 'node:fs';

export const CLIENT_NAME = 'mcp-tunnel-client';
export const CLIENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
