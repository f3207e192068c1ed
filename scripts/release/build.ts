// `npm run release`: everything a user installs, built into release/ (see docs/deployment.md):
// release/npm/*.tgz, the npm packages, and release/bin/*, the single-file executables.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { buildNpmPackages } from './npm-packages.ts';
import { buildSingleExecutable } from './single-executables.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const releaseDir = join(root, 'release');
rmSync(releaseDir, { recursive: true, force: true });

const packages = await buildNpmPackages(root, releaseDir);
for (const pkg of packages) console.log(`npm   ${pkg.tarball}`);
for (const pkg of packages)
  for (const command of Object.keys(pkg.manifest.bin ?? {})) {
    const built = await buildSingleExecutable(root, releaseDir, pkg, command);
    console.log(`bin   ${built.path} (${(built.bytes / 2 ** 20).toFixed(1)} MiB)`);
  }
