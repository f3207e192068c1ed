import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Contract } from '../../../test/support/contract.ts';
import {
  FakeHostedService,
  type FakeHostedServiceOptions,
} from '../../../test/support/fake-hosted-service.ts';
import { createLogger, type Logger } from '../src/ops/logger.ts';

export const FIXTURE_SERVER = fileURLToPath(new URL('./fixtures/test-server.ts', import.meta.url));
export const FIXTURE_COMMAND = `"${process.execPath}" "${FIXTURE_SERVER}"`;
export const TUNNEL_ID = 'tunnel_0123456789abcdef0123456789abcdef';

/** A logger whose JSON lines are kept for assertions. */
export function memoryLogger(level: 'debug' | 'info' = 'debug'): {
  log: Logger;
  lines: () => Record<string, unknown>[];
} {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level, format: 'json' }, out);
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** The contract-true fake of the hosted service for TUNNEL_ID, started on a loopback port. */
export function startFakeService(
  contract: Contract,
  options: { apiKey: string } & Partial<FakeHostedServiceOptions>,
): Promise<FakeHostedService> {
  return new FakeHostedService({ tunnelId: TUNNEL_ID, contract, maxPollWaitMs: 300, ...options }).start();
}
