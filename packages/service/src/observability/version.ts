import { readFileSync } from 'node:fs';

/** The release this service runs, as its package.json says. */
export const SERVICE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
