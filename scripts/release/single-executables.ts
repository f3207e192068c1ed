// Single-file executables of tunnel-client and tunnel-service: each program's bin entry point bundled by
// esbuild into one CommonJS file (Node 24's single executable applications run CommonJS), then
// injected with its files (see shipped-files.ts) into a copy of the Node 24 binary that runs this script.
// The result runs on a machine without Node.js.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { createRequire, findPackageJSON } from 'node:module';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { importMetaUrlPlugin } from './bundle.ts';
import { V8_FLAGS } from './v8-flags.ts';
import { packageOf, type ReleasedPackage } from './npm-packages.ts';

const SHIPPED_FILES_MODULE = new URL('./shipped-files.ts', import.meta.url).pathname;
// The fuse Node looks for to run an injected application (documented with single executable applications).
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/**
 * Files of dependencies the program reads as files rather than imports (the client's /ui serves preact,
 * htm and uPlot from theirs): for each declared, unbundled package the bundle resolves by name
 * (`require.resolve('preact/hooks')`), the folder of the file it resolves to, its package.json and its
 * licence.
 */
function dependencyFilesReadAtRunTime(
  root: string,
  pkg: ReleasedPackage,
  bundle: string,
  inputs: string[],
): string[] {
  const from = join(root, pkg.sourceDir, 'package.json');
  const require = createRequire(from);
  const declared = new Set(Object.keys(pkg.manifest.dependencies ?? {}));
  const files = new Set<string>();
  for (const [, specifier] of readFileSync(bundle, 'utf8').matchAll(/\.resolve\("([^"]+)"\)/g)) {
    const name = packageOf(specifier!);
    if (!declared.has(name)) continue;
    const folder = realpathSync(dirname(findPackageJSON(name, pathToFileURL(from))!));
    if (inputs.some((input) => input.startsWith(`${relative(root, folder)}/`))) continue;
    const near = dirname(require.resolve(specifier!));
    for (const entry of readdirSync(near, { withFileTypes: true }))
      if (entry.isFile()) files.add(join(near, entry.name));
    for (const entry of readdirSync(folder))
      if (entry === 'package.json' || /^licen[cs]e/i.test(entry)) files.add(join(folder, entry));
  }
  return [...files];
}

export interface BuiltExecutable {
  path: string;
  bytes: number;
}

export async function buildSingleExecutable(
  root: string,
  releaseDir: string,
  pkg: ReleasedPackage,
  command: string,
): Promise<BuiltExecutable> {
  const workDir = join(releaseDir, 'sea', command);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const bundle = join(workDir, `${command}.cjs`);
  const entry = join(root, pkg.sourceDir, String(pkg.manifest.bin![command]).replace(/\.js$/, '.ts'));
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node24',
    outfile: bundle,
    // Not minified: an operator's stack trace names real functions and lines (size: +3 MB of 125).
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    // Every module of ours that uses `import.meta.url` (absent from CommonJS) gets the URL it would have
    // in the unpacked tree, so `new URL('./ui/', import.meta.url)` and the like find the shipped files.
    plugins: [
      importMetaUrlPlugin(root, (sourcePath) => ({
        prelude: `import { shippedFileUrl as __shippedFileUrl } from ${JSON.stringify(SHIPPED_FILES_MODULE)};`,
        expression: `__shippedFileUrl(${JSON.stringify(sourcePath)})`,
      })),
    ],
  });
  const inputs = Object.keys(result.metafile.inputs);

  // The assets: the package's own shipped files, then the files of dependencies it reads at run time.
  const assets: Record<string, string> = {};
  for (const file of pkg.assets) assets[join(pkg.sourceDir, file)] = join(pkg.stageDir, file);
  for (const file of dependencyFilesReadAtRunTime(root, pkg, bundle, inputs))
    assets[relative(root, file)] = file;

  const blob = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      ...(command in V8_FLAGS && { execArgv: V8_FLAGS[command as keyof typeof V8_FLAGS] }),
      assets,
    }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'pipe' });

  const binDir = join(releaseDir, 'bin');
  mkdirSync(binDir, { recursive: true });
  const path = join(binDir, `${command}-${process.platform}-${process.arch}`);
  copyFileSync(process.execPath, path);
  // postject's own command line, so its harmless ELF notices stay out of the output unless it fails.
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  try {
    execFileSync(process.execPath, [postject, path, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
      stdio: 'pipe',
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout: Buffer; stderr: Buffer };
    throw new Error(`postject could not inject ${blob} into ${path}:\n${stdout}${stderr}`, { cause: error });
  }
  return { path, bytes: statSync(path).size };
}
