// The tunnel-client against the contract-true fake of the hosted service with 2026-07-28 traffic: the
// per-request envelope, the standard headers, `server/discover`, `input_required` rounds and
// `subscriptions/listen`. The hosted service offers no extension, so a listen is an ordinary command that
// ends at its response_timeout; it still holds no worker. Every test ends with no contract violation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CONTRACT_MISSING_NOTICE } from '../../../../test/support/contract.ts';
import { modernCommand, type FakeHostedService } from '../../../../test/support/fake-hosted-service.ts';
import { NOTES, NOTES_HTTP } from '../../../../test/support/mcp-servers.ts';
import { startProcess, type Proc } from '../../../../test/support/processes.ts';
import { defineConfig, startTunnelClient, type TunnelClientHandle } from '../../src/index.ts';
import { API_KEY, TUNNEL_ID, contract, startFake } from '../support/fake-service.ts';
import { memoryLogger } from '../support/memory-logger.ts';

if (!contract) console.log(CONTRACT_MISSING_NOTICE);

const resultOf = (response: { payload: { resp_json?: Record<string, unknown> | null } }) =>
  response.payload.resp_json?.result as Record<string, unknown> | undefined;

describe('2026-07-28 traffic from the hosted service', { skip: !contract, timeout: 180_000 }, () => {
  let fake: FakeHostedService;
  let client: TunnelClientHandle;
  let notesHttp: Proc;
  const logs = memoryLogger();

  before(async () => {
    notesHttp = startProcess([NOTES_HTTP, '0']);
    const url = (await notesHttp.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
    fake = await startFake();
    client = await startTunnelClient(
      defineConfig({
        control_plane: { base_url: fake.url, tunnel_id: TUNNEL_ID, api_key: API_KEY },
        health: { listen_addr: '127.0.0.1:0' },
        mcp: {
          commands: [{ channel: 'main', command: `"${process.execPath}" "${NOTES}"` }],
          server_urls: [{ channel: 'http', url }],
          // One worker: a listen that held it would stall every other call.
          max_concurrent_requests: 1,
        },
      }),
      { logger: logs.log },
    );
    await client.started;
  });

  after(async () => {
    await client?.stop();
    await fake?.stop();
    await notesHttp?.stop();
    assert.deepEqual(fake?.violations ?? [], []);
  });

  for (const channel of ['main', 'http'])
    test(`server/discover on ${channel}: the server's own answer, the same every time, no session`, async () => {
      const answers = [];
      for (const id of [1, 2]) {
        const response = await fake.terminal(
          fake.enqueue(modernCommand(id, 'server/discover', {}, { channel, response_timeout: '60s' })),
          60_000,
        );
        assert.equal(response.payload.resp_code, 200);
        assert.equal(response.payload.resp_headers?.['Mcp-Session-Id'], undefined);
        answers.push(resultOf(response));
      }
      assert.ok(
        (answers[0]?.supportedVersions as string[]).includes('2026-07-28'),
        JSON.stringify(answers[0]),
      );
      assert.deepEqual(answers[1], answers[0]);
    });

  test('the standard headers reach a Streamable HTTP server: Mcp-Param-Region agrees, or -32020 comes back', async () => {
    const call = (id: number, region: string) =>
      fake.enqueue(
        modernCommand(
          id,
          'tools/call',
          { name: 'region', arguments: { region: 'eu' } },
          { channel: 'http', response_timeout: '30s', headers: { 'Mcp-Param-Region': [region] } },
        ),
      );
    const agreed = await fake.terminal(call(3, 'eu'));
    assert.equal((resultOf(agreed)?.content as { text: string }[])[0]!.text, 'region eu');
    const mismatched = await fake.terminal(call(4, 'us'));
    assert.equal(mismatched.payload.resp_code, 400);
    assert.equal((mismatched.payload.resp_json?.error as { code: number }).code, -32020);
  });

  test('input_required rounds: each round is one command, requestState comes back byte for byte', async () => {
    const first = resultOf(
      await fake.terminal(
        fake.enqueue(modernCommand(5, 'tools/call', { name: 'greet' }, { response_timeout: '30s' })),
      ),
    )!;
    assert.equal(first.resultType, 'input_required');
    const state = first.requestState as string;
    const second = resultOf(
      await fake.terminal(
        fake.enqueue(
          modernCommand(
            6,
            'tools/call',
            {
              name: 'greet',
              inputResponses: { name: { action: 'accept', content: { name: 'Ada' } } },
              requestState: state,
            },
            { response_timeout: '30s' },
          ),
        ),
      ),
    )!;
    assert.equal(second.resultType, 'input_required');
    assert.notEqual(second.requestState, state);
  });

  for (const channel of ['main', 'http'])
    test(`a listen on ${channel} carries events and holds no worker`, async () => {
      const listen = fake.enqueue(
        modernCommand(
          7,
          'subscriptions/listen',
          { notifications: { resourceSubscriptions: ['notes://all'] } },
          { channel, response_timeout: '60s' },
        ),
      );
      const notices = () => fake.responsesFor(listen).filter((r) => r.payload.resp_type === 'jsonrpc_notify');
      await fake.waitFor(() => notices().length >= 1, 60_000, 'the listen acknowledgement');
      // With one worker, this call completes only if the listen holds none.
      const note = await fake.terminal(
        fake.enqueue(
          modernCommand(
            8,
            'tools/call',
            { name: 'add-note', arguments: { text: channel } },
            { channel, response_timeout: '30s' },
          ),
        ),
        30_000,
      );
      assert.equal(note.payload.resp_code, 200);
      await fake.waitFor(
        () => notices().some((r) => r.payload.resp_json?.method === 'notifications/resources/updated'),
        30_000,
        'the update on the listen',
      );
      assert.equal(
        fake.responsesFor(listen).filter((r) => r.payload.resp_type !== 'jsonrpc_notify').length,
        0,
        'the listen stays open',
      );
      // The hosted service offers no extension, so none is declared: the listen is an ordinary command.
      assert.ok(fake.requests.every((r) => r.headers['x-tunnel-extensions'] === undefined));
    });
});
