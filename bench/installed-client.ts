// The tunnel-client the benchmarks measure: its program as the npm package ships it (the bundle that
// `npm run release` builds, scripts/release/bundle.ts), built afresh from this checkout into
// release/bench/client, so a figure never comes from a stale release.
import { join } from 'node:path';
import { stageClientProgram } from '../scripts/release/npm-packages.ts';
import { ROOT } from '../test/support/processes.ts';

export const INSTALLED_CLIENT_DIR = join(ROOT, 'release', 'bench', 'client');

/** Builds the npm package's program; returns its bin/tunnel-client.js, which Node runs as the package's bin does. */
export function buildInstalledClient(): Promise<string> {
  return stageClientProgram(ROOT, INSTALLED_CLIENT_DIR);
}
