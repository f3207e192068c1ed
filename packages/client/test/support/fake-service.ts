// The contract-true fake of the hosted service (test/support/fake-hosted-service.ts) for the client's
// tests, on one fixed tunnel id.
import { loadContract, type Contract } from '../../../../test/support/contract.ts';
import {
  FakeHostedService,
  type FakeHostedServiceOptions,
} from '../../../../test/support/fake-hosted-service.ts';

export const TUNNEL_ID = 'tunnel_0123456789abcdef0123456789abcdef';

/** The contract-true fake of the hosted service for TUNNEL_ID, started on a loopback port. */
export function startFakeService(
  contract: Contract,
  options: { apiKey: string } & Partial<FakeHostedServiceOptions>,
): Promise<FakeHostedService> {
  return new FakeHostedService({ tunnelId: TUNNEL_ID, contract, maxPollWaitMs: 300, ...options }).start();
}

export const contract = loadContract();
export const API_KEY = 'mcpt_runtime_key';

/** The fake with API_KEY and short polls, for the runtime tests. */
export async function startFake(
  options: { ignoreLimit?: boolean; overDeliver?: number; pathPrefix?: string } = {},
) {
  return startFakeService(contract!, { apiKey: API_KEY, maxPollWaitMs: 200, ...options });
}
