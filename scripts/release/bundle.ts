// What the npm package's and the single executable's bundles of a program share: esbuild's view of our
// modules that find files beside themselves with `import.meta.url` (the client's package.json and
// console, the service's SQL migrations). Bundled, such a module no longer sits where it did, so each
// use of `import.meta.url` in it is given the URL the module has where the files are shipped.
//
// The npm package's program bundle (`bundlePrograms`): the bin entry point and everything it imports,
// dependencies included, as ES modules split at every dynamic `import()`, so what a command does not use
// (the console's server until it is asked for, doctor, the MCP stub, ...) is neither read nor compiled.
// Compiled JavaScript in a few files starts faster and holds less memory than the TypeScript sources
// stripped at load, or than the hundreds of files of the dependencies resolved one by one.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * Rewrites `import.meta.url` in every module of ours (under `root`, outside node_modules): `replace`
 * gets the module's path relative to `root` and returns the code to put in its place, and optionally a
 * line to put before the module.
 */
export function importMetaUrlPlugin(
  root: string,
  replace: (sourcePath: string) => { expression: string; prelude?: string },
): Plugin {
  return {
    name: 'import-meta-url-of-shipped-files',
    setup(build) {
      build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        const sourcePath = relative(root, args.path);
        if (sourcePath.startsWith('..') || sourcePath.split(sep).includes('node_modules')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const { expression, prelude } = replace(sourcePath);
        return {
          contents: `${prelude ? `${prelude}\n` : ''}${text.replaceAll('import.meta.url', expression)}`,
          loader: args.path.endsWith('ts') ? 'ts' : 'js',
        };
      });
    },
  };
}

/**
 * Bundles the programs `bin/<file>.ts` of the package at `sourceDir` into `stageDir/bin/<file>.js`, their
 * shared chunks beside them, replacing what the TypeScript compiler put there. Each module of the package keeps
 * the `import.meta.url` of its compiled file in the package (src/ is shipped for the library anyway,
 * with the files its modules find beside them).
 */
export async function bundlePrograms(
  root: string,
  sourceDir: string,
  stageDir: string,
  binFiles: string[],
): Promise<void> {
  const outDir = join(stageDir, 'bin');
  if (existsSync(outDir))
    for (const entry of readdirSync(outDir)) if (/\.(js|d\.ts)$/.test(entry)) rmSync(join(outDir, entry));
  const result = await build({
    entryPoints: binFiles.map((file) => join(root, sourceDir, file.replace(/\.js$/, '.ts'))),
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outdir: outDir,
    entryNames: '[name]',
    chunkNames: '[name]-[hash]',
    // The CommonJS dependencies bundled as ES modules still call require() for Node's built-in modules.
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
    // Not minified: an operator's stack trace names real functions and lines.
    legalComments: 'eof',
    logLevel: 'warning',
    write: false,
    plugins: [
      importMetaUrlPlugin(root, (sourcePath) => {
        const inPackage = relative(sourceDir, sourcePath).replace(/\.ts$/, '.js');
        if (inPackage.startsWith('..'))
          throw new Error(
            `${sourcePath} uses import.meta.url and is bundled into ${sourceDir}'s program: it would look for its files outside the package`,
          );
        const fromBin = posix.relative('bin', inPackage.split(sep).join('/'));
        return { expression: `new URL(${JSON.stringify(fromBin)}, import.meta.url).href` };
      }),
    ],
  });
  for (const file of result.outputFiles) {
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, asciiOnly(file.text));
  }
}

/**
 * esbuild writes code in ASCII (`charset` defaults to it) but keeps the comments it carries as they are. V8
 * keeps every script's source in memory, and a single character beyond Latin-1 (an em dash in a comment)
 * stores the whole source at two bytes a character: megabytes for the large chunks. Outside strings,
 * which esbuild has escaped already, such a character can only be in a comment, where an escape reads the same.
 */
function asciiOnly(code: string): string {
  return code.replace(/[^\p{ASCII}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}
