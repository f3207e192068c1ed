// The MCP servers the end-to-end tests, the demo and the benchmarks run behind the tunnel.
import { fileURLToPath } from 'node:url';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** The seed walkthrough's calculator (add, subtract, multiply, divide) over stdio. */
export const CALCULATOR = at('../../examples/calculator/src/server.ts');
/** The same calculator over Streamable HTTP. */
export const CALCULATOR_HTTP = at('../../examples/calculator/src/http-server.ts');
/** The stdio server of test/e2e/fixtures/features-server.ts (pid, slow, block, ask, big, digest). */
export const FEATURES_SERVER = at('../e2e/fixtures/features-server.ts');
/** test/fixtures/changing-server.ts: tools and resources that change, over stdio or (--http) Streamable HTTP. */
export const CHANGING_SERVER = at('../fixtures/changing-server.ts');
/** The notes server of examples/dual-era (SDK v2) over stdio: both eras, or 2026-07-28 only with --modern-only. */
export const NOTES = at('../../examples/dual-era/src/server.ts');
/** The same notes server over Streamable HTTP (`createMcpHandler`). */
export const NOTES_HTTP = at('../../examples/dual-era/src/http-server.ts');
