// V8 flags each program runs with where its build can set them: the single executables
// (single-executables.ts) and the processes the tests and benchmarks start (test/support/processes.ts), so
// those run as the executables do. An npm install runs `node` as the user's shell finds it, without flags,
// so docs/deployment.md gives them for NODE_OPTIONS; V8 reads them only when it sets up its heap, so a
// program cannot give them to itself (`v8.setFlagsFromString` comes too late), and a
// `#!/usr/bin/env -S node ...` line is not understood by every `env` (BusyBox's, on Alpine).
export const V8_FLAGS: Record<'tunnel-client' | 'tunnel-service', string[]> = {
  // A tunnel-client stays up for days beside its MCP server: a young generation of 1 MiB semi-spaces
  // instead of up to 16 MiB keeps about 5 MB off its idle memory and 30-40 MB off it after a minute of load, for
  // more frequent (and smaller) scavenges.
  'tunnel-client': ['--max-semi-space-size=1'],
  // Left to itself the service's young generation grows to 128 MB under a steady stream of long-polls,
  // most of its memory when it holds thousands of idle tunnels, for no gain in speed measured
  // (docs/performance.md).
  'tunnel-service': ['--max-semi-space-size=4'],
};
