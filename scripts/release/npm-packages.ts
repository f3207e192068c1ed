// The npm packages a user installs: each workspace package under packages/ compiled to JavaScript with
// type declarations, staged in release/build/<folder>/ with the same layout as its source folder (so
// every file the code finds beside itself, such as its package.json, the consoles and the SQL
// migrations, is where the code looks for it), given a publish manifest generated from its development
// one, and packed into release/npm/.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isBuiltin } from 'node:module';
import ts from 'typescript';
import { bundlePrograms } from './bundle.ts';

/** The fields of a package.json this script reads or writes; the others are carried over as they are. */
export interface PackageJson {
  name: string;
  version: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  [field: string]: unknown;
}

/** A development package.json: entry points are TypeScript sources. */
interface DevPackageJson extends PackageJson {
  exports?: Record<string, string>;
}

/** One released package: where its source and its staged build are, and the files it ships besides code. */
export interface ReleasedPackage {
  manifest: PackageJson;
  /** e.g. packages/client */
  sourceDir: string;
  /** e.g. release/build/client */
  stageDir: string;
  /** Files, relative to the package folder, that are not compiled code: package.json, browser modules, SQL, the built console. */
  assets: string[];
  tarball: string;
}

/** Folders a package ships as they are, beside its compiled code (they must exist before the release). */
const SHIPPED_FOLDERS: Record<string, { folder: string; missing: string }[]> = {
  '@mcp-tunnel/service': [
    { folder: 'console/dist', missing: 'run `npm run build` to build the web console' },
  ],
};

/**
 * Packages whose programs ship as a bundle of compiled JavaScript (bundle.ts) rather than as the
 * compiled modules one by one: a tunnel-client runs beside every MCP server, so its start-up time and
 * memory count.
 */
const BUNDLED_PROGRAMS = new Set(['@mcp-tunnel/client']);

/** Folders that hold code: compiled from TypeScript, the rest of their files copied as they are. */
const CODE_FOLDERS = ['src', 'bin'];

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Workspace packages under packages/, each after the workspace packages it depends on. */
export function workspacePackages(root: string): { manifest: DevPackageJson; sourceDir: string }[] {
  const found = readdirSync(join(root, 'packages'))
    .map((folder) => join('packages', folder))
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((sourceDir) => ({
      sourceDir,
      manifest: readJson<DevPackageJson>(join(root, sourceDir, 'package.json')),
    }));
  const names = new Set(found.map((p) => p.manifest.name));
  const ordered: typeof found = [];
  const visit = (pkg: (typeof found)[number]) => {
    if (ordered.includes(pkg)) return;
    for (const dep of Object.keys(pkg.manifest.dependencies ?? {}))
      if (names.has(dep)) visit(found.find((p) => p.manifest.name === dep)!);
    ordered.push(pkg);
  };
  found.forEach(visit);
  return ordered;
}

const toJs = (path: string) => path.replace(/\.ts$/, '.js');

/** `zod` for `zod/mini`, `@scope/name` for `@scope/name/sub`. */
export const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * Refuses a package whose compiled code imports a package it does not declare: inside the workspace such
 * an import is satisfied by another package's dependency, in a user's install it fails.
 */
function checkDeclaredImports(stageDir: string, manifest: PackageJson): void {
  const declared = new Set(Object.keys(manifest.dependencies ?? {}));
  const code = CODE_FOLDERS.map((folder) => join(stageDir, folder)).filter((dir) => existsSync(dir));
  for (const file of code.flatMap(filesUnder).filter((f) => /\.m?js$/.test(f))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of importedFiles) {
      // Node's own modules, with `node:` or without (a bundled dependency's `require('util')`).
      if (/^(\.|\/)/.test(specifier) || isBuiltin(specifier) || declared.has(packageOf(specifier))) continue;
      throw new Error(
        `${relative(stageDir, file)} in ${manifest.name} imports ${specifier}, which is not among its dependencies: add it to ${manifest.name}'s package.json`,
      );
    }
  }
}

/**
 * The manifest npm publishes, made from the development one: no `private`, entry points on the built
 * JavaScript with its declarations, a `files` allowlist, and the workspace packages it depends on at
 * exactly their released version (installed from their own tarball, or from the registry once published).
 */
export function publishManifest(
  dev: DevPackageJson,
  released: Map<string, string>,
  shippedFolders: string[],
): PackageJson {
  const { private: _private, devDependencies: _dev, scripts: _scripts, exports, bin, ...rest } = dev;
  const dependencies = { ...dev.dependencies };
  for (const name of Object.keys(dependencies))
    if (released.has(name)) dependencies[name] = released.get(name)!;
  const entry = (path: string) => ({ types: path.replace(/\.ts$/, '.d.ts'), default: toJs(path) });
  return {
    ...rest,
    ...(exports && {
      types: exports['.'] && entry(exports['.']).types,
      exports: Object.fromEntries(Object.entries(exports).map(([key, path]) => [key, entry(path)])),
    }),
    ...(bin && { bin: Object.fromEntries(Object.entries(bin).map(([name, path]) => [name, toJs(path)])) }),
    files: [...CODE_FOLDERS.map((folder) => `${folder}/`), ...shippedFolders.map((folder) => `${folder}/`)],
    ...(Object.keys(dependencies).length > 0 && { dependencies }),
  };
}

/** Compiles every package's src/ and bin/ in one TypeScript program into release/build/<folder>/. */
function compile(root: string, releaseDir: string): void {
  mkdirSync(releaseDir, { recursive: true });
  const config = join(releaseDir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: relative(releaseDir, join(root, 'tsconfig.json')),
      compilerOptions: {
        noEmit: false,
        declaration: true,
        rootDir: relative(releaseDir, join(root, 'packages')),
        outDir: 'build',
      },
      include: CODE_FOLDERS.map((folder) => relative(releaseDir, join(root, 'packages', '*', folder))),
    }),
  );
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', config], { stdio: 'inherit' });
}

/**
 * Copies whatever sits beside the code and is not TypeScript (browser modules, SQL, ...), to ship as it
 * is; returns those files, relative to the package folder.
 */
function stageFilesBesideCode(root: string, sourceDir: string, stageDir: string): string[] {
  const staged: string[] = [];
  for (const folder of CODE_FOLDERS) {
    const from = join(root, sourceDir, folder);
    if (!existsSync(from)) continue;
    for (const file of filesUnder(from).filter((f) => !f.endsWith('.ts'))) {
      const inPackage = relative(join(root, sourceDir), file);
      mkdirSync(dirname(join(stageDir, inPackage)), { recursive: true });
      cpSync(file, join(stageDir, inPackage));
      staged.push(inPackage);
    }
  }
  return staged;
}

/**
 * The client's program as its npm package runs it (the bundle and the files beside the code), without
 * the library's compiled modules and declarations, which the program does not load: for the benchmarks,
 * which measure what users run. Returns the path of bin/tunnel-client.js.
 */
export async function stageClientProgram(root: string, stageDir: string): Promise<string> {
  const sourceDir = join('packages', 'client');
  rmSync(stageDir, { recursive: true, force: true });
  stageFilesBesideCode(root, sourceDir, stageDir);
  cpSync(join(root, sourceDir, 'package.json'), join(stageDir, 'package.json'));
  const { bin } = readJson<DevPackageJson>(join(root, sourceDir, 'package.json'));
  await bundlePrograms(root, sourceDir, stageDir, Object.values(bin ?? {}));
  return join(stageDir, 'bin', 'tunnel-client.js');
}

export async function buildNpmPackages(root: string, releaseDir: string): Promise<ReleasedPackage[]> {
  const packages = workspacePackages(root);
  const released = new Map(packages.map((p) => [p.manifest.name, p.manifest.version]));
  compile(root, releaseDir);
  const npmDir = join(releaseDir, 'npm');
  mkdirSync(npmDir, { recursive: true });
  const done: ReleasedPackage[] = [];
  for (const { manifest, sourceDir } of packages) {
    const stageDir = join(releaseDir, 'build', relative('packages', sourceDir));
    const assets = ['package.json', ...stageFilesBesideCode(root, sourceDir, stageDir)];
    if (BUNDLED_PROGRAMS.has(manifest.name))
      await bundlePrograms(root, sourceDir, stageDir, Object.values(manifest.bin ?? {}));
    const shipped = SHIPPED_FOLDERS[manifest.name] ?? [];
    for (const { folder, missing } of shipped) {
      const from = join(root, sourceDir, folder);
      if (!existsSync(from))
        throw new Error(`${manifest.name} ships ${folder}, which is missing: ${missing}`);
      cpSync(from, join(stageDir, folder), { recursive: true });
      assets.push(...filesUnder(from).map((file) => relative(join(root, sourceDir), file)));
    }
    const readme = join(root, sourceDir, 'README.md');
    if (!existsSync(readme))
      throw new Error(`${sourceDir}/README.md is missing: every released package has one`);
    cpSync(readme, join(stageDir, 'README.md'));
    const publish = publishManifest(
      manifest,
      released,
      shipped.map((s) => s.folder),
    );
    writeFileSync(join(stageDir, 'package.json'), `${JSON.stringify(publish, null, 2)}\n`);
    checkDeclaredImports(stageDir, publish);
    const packed = JSON.parse(
      execFileSync('npm', ['pack', stageDir, '--pack-destination', npmDir, '--json', '--ignore-scripts'], {
        encoding: 'utf8',
      }),
    ) as { filename: string }[];
    done.push({
      manifest: publish,
      sourceDir,
      stageDir,
      assets,
      tarball: join(npmDir, packed[0]!.filename),
    });
  }
  return done;
}
