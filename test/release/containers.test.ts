// The container images (deploy/docker/*.Dockerfile) built with podman and run with a read-only root
// file system, a tmpfs at /tmp and the images' own non-root user, through the same seed walkthrough and
// command lines as the executables. Nothing is pulled: the build stage's Debian 12 base image is stood in
// for by one made here from busybox and this Debian 12 machine's C libraries (the same files
// debian:bookworm-slim carries). Needs podman (and runc where crun cannot run here); skipped without
// them, except under CI=true.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CALCULATOR_HTTP } from '../support/mcp-servers.ts';
import { NODE_DIR, ROOT, releaseFile, startCommand, walkthrough } from './support.ts';

const PODMAN = '/usr/bin/podman';
const BASE = 'localhost/mcp-tunnel-test/bookworm-base';
const TAG = 'localhost/mcp-tunnel-test';
const LIBS = ['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'libstdc++.so.6', 'libgcc_s.so.1'];

function unavailable(): string | false {
  if (existsSync(PODMAN) && existsSync('/bin/busybox')) return false;
  if (process.env.CI === 'true')
    throw new Error(`${PODMAN} or /bin/busybox is missing and CI=true makes this test mandatory`);
  return 'container test skipped: podman or busybox is missing (sudo apt-get install podman runc busybox-static)';
}

const podman = (args: string[]) =>
  execFileSync(PODMAN, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 2 ** 20 }).toString();

/** A stand-in for debian:bookworm-slim with what rootfs.sh uses: busybox's sh and coreutils, the C libraries. */
function buildBaseImage(): void {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-tunnel-base-'));
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'lib', 'x86_64-linux-gnu'), { recursive: true });
    mkdirSync(join(dir, 'lib64'));
    copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
    for (const tool of ['sh', 'mkdir', 'cp', 'chmod', 'chown', 'echo'])
      symlinkSync('busybox', join(dir, 'bin', tool));
    for (const lib of LIBS)
      copyFileSync(`/lib/x86_64-linux-gnu/${lib}`, join(dir, 'lib', 'x86_64-linux-gnu', lib));
    copyFileSync('/lib64/ld-linux-x86-64.so.2', join(dir, 'lib64', 'ld-linux-x86-64.so.2'));
    execFileSync('tar', ['-C', dir, '-cf', `${dir}.tar`, '.']);
    podman(['import', `${dir}.tar`, BASE]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.tar`, { force: true });
  }
}

/**
 * What `podman run` needs on this machine: nothing where crun works; where it cannot set podman's default
 * limits or drive this kernel's mixed cgroups (as in some sandboxes), runc with limits it may set.
 */
function runtimeFlags(): string[] {
  const candidates = [
    [],
    ['--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'],
  ];
  const errors: string[] = [];
  for (const flags of candidates) {
    try {
      podman(['run', '--rm', ...flags, '--entrypoint', '/bin/busybox', BASE, 'true']);
      return flags;
    } catch (error) {
      errors.push(String((error as { stderr?: Buffer }).stderr ?? error));
    }
  }
  throw new Error(`podman cannot run containers here:\n${errors.join('\n')}`);
}

const skip = unavailable();
let flags: string[] = [];

before(async () => {
  if (skip) return;
  releaseFile('bin', `tunnel-client-${process.platform}-${process.arch}`);
  buildBaseImage();
  flags = runtimeFlags();
  for (const program of ['tunnel-client', 'tunnel-service'])
    podman([
      'build',
      '--layers=false',
      '--format',
      'docker',
      ...flags,
      '--build-arg',
      `BASE_IMAGE=${BASE}`,
      '-f',
      join(ROOT, 'deploy', 'docker', `${program}.Dockerfile`),
      '-t',
      `${TAG}/${program}`,
      ROOT,
    ]);
});

after(() => {
  if (!skip) podman(['rmi', '-f', `${TAG}/tunnel-client`, `${TAG}/tunnel-service`, BASE]);
});

test(
  'the images are non-root, health-checked, and hold only the executable and its libraries',
  { skip },
  () => {
    for (const program of ['tunnel-client', 'tunnel-service']) {
      const [image] = JSON.parse(podman(['image', 'inspect', `${TAG}/${program}`])) as {
        Config: { User: string; Entrypoint: string[] };
        Healthcheck?: { Test: string[] };
        Size: number;
      }[];
      assert.equal(image!.Config.User, '65532:65532');
      assert.deepEqual(image!.Config.Entrypoint, [`/usr/local/bin/${program}`]);
      assert.deepEqual(image!.Healthcheck?.Test.slice(0, 3), ['CMD', `/usr/local/bin/${program}`, 'health']);
      // The executable (about 130 MB) and its C libraries (about 5 MB): no shell, no package manager.
      assert.ok(image!.Size < 150 * 2 ** 20, `${program} image is ${image!.Size} bytes`);
    }
  },
);

test(
  'the images run the seed walkthrough read-only, as their non-root user',
  { skip, timeout: 180_000 },
  async () => {
    const calculator = startCommand(join(NODE_DIR, 'node'), [CALCULATOR_HTTP, '0'], { PATH: NODE_DIR }, ROOT);
    try {
      const [calculatorUrl] = await calculator.waitFor(/http:\/\/\S+\/mcp/);
      const run = (program: string) => (home: string) => [
        PODMAN,
        'run',
        '--rm',
        ...flags,
        '--network=host',
        '--read-only',
        '--tmpfs',
        '/tmp',
        '-v',
        `${home}:${home}`,
        '-e',
        'HOME',
        '-e',
        'CONTROL_PLANE_API_KEY',
        `${TAG}/${program}`,
      ];
      await walkthrough({
        service: run('tunnel-service'),
        client: run('tunnel-client'),
        env: { PATH: '/usr/bin:/bin' },
        calculatorUrl,
        // The images' user owns the folder the walkthrough keeps its profile and data in.
        prepareHome: (home) => chownSync(home, 65532, 65532),
      });
    } finally {
      await calculator.stop();
    }
  },
);

/** Runs `check` every 250 ms until it returns true, failing after `timeoutMs` with what it saw last. */
async function until(check: () => { ok: boolean; seen: string }, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = '';
  while (Date.now() < deadline) {
    const result = check();
    if (result.ok) return;
    seen = result.seen;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`still not so after ${timeoutMs} ms: ${seen}`);
}

function exitOf(args: string[]): { code: number; out: string } {
  try {
    return { code: 0, out: podman(args) };
  } catch (error) {
    const { status, stdout, stderr } = error as { status: number; stdout: Buffer; stderr: Buffer };
    return { code: status, out: `${stdout}${stderr}` };
  }
}

test(
  "each image's health check runs its program's health command inside the container",
  { skip, timeout: 120_000 },
  async () => {
    // Own network namespaces (loopback only), so the checks' fixed ports cannot meet anything else here.
    const common = [
      'run',
      '-d',
      ...flags,
      '--network=none',
      '--read-only',
      '--tmpfs',
      '/tmp',
      '--health-interval=disable',
    ];
    const service = podman([...common, `${TAG}/tunnel-service`]).trim();
    const client = podman([
      ...common,
      '-e',
      'CONTROL_PLANE_TUNNEL_ID=tunnel_0123456789abcdef0123456789abcdef',
      '-e',
      'CONTROL_PLANE_API_KEY=unused',
      '-e',
      'CONTROL_PLANE_BASE_URL=http://127.0.0.1:9',
      '-e',
      'MCP_SERVER_URL=http://127.0.0.1:9/mcp',
      `${TAG}/tunnel-client`,
    ]).trim();
    try {
      await until(() => {
        const check = exitOf(['healthcheck', 'run', service]);
        return { ok: check.code === 0, seen: check.out };
      }, 30_000);
      // The client is up but cannot reach its tunnel service: its check reaches /readyz, which answers 503
      // with the reason, and exits 2 as Go's does when health is not ok.
      await until(() => {
        const check = exitOf(['exec', client, '/usr/local/bin/tunnel-client', 'health', '--port', '8080']);
        return {
          ok: check.code === 2 && /Healthz: PASS[^\n]*\nReadyz: FAIL \|[^\n]*HTTP 503/.test(check.out),
          seen: `${check.code} ${check.out}`,
        };
      }, 30_000);
      assert.notEqual(exitOf(['healthcheck', 'run', client]).code, 0);
    } finally {
      podman(['rm', '-f', '-v', service, client]);
    }
  },
);
