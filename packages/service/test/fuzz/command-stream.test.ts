// Fuzzing the command stream (protocol extension command-stream) as a broken or hostile tunnel-client could:
// frames of any shape on one open stream. The stream never closes over a frame, and a well-formed response
// frame sent after each one is still acked, in order, with the response POST's answer (never a 5xx).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { openStream } from '../../../../test/support/command-stream.ts';
import {
  anyValue,
  assertStillAnswering,
  bodyText,
  fuzzedTunnel,
  fuzzParameters,
  headerValue,
} from './support.ts';

const fuzzed = fuzzedTunnel();

const frame = bodyText({
  type: fc.oneof(fc.constantFrom('credit', 'response'), anyValue),
  credits: fc.oneof(fc.integer({ min: -5, max: 2000 }), anyValue),
  id: fc.oneof(fc.integer({ min: -5, max: 100 }), anyValue),
  shard_token: fc.oneof(headerValue, anyValue),
  payload: fc.oneof(
    fc.record({ request_id: anyValue, resp_code: anyValue, resp_type: anyValue }, { requiredKeys: [] }),
    anyValue,
  ),
  trace_context: anyValue,
});

test(
  'frames of any shape never end the stream, and each later response is still acked',
  { timeout: 600_000 },
  async () => {
    const stream = await openStream(fuzzed.service.url, fuzzed.runtime);
    // Ids far above those the fuzzed frames use, so a probe's ack is its own.
    let probeId = 2 ** 40;
    await fc.assert(
      fc.asyncProperty(frame, async (text) => {
        stream.send(text);
        const id = probeId++;
        stream.send({
          type: 'response',
          id,
          shard_token: 'not-a-token',
          payload: { request_id: 'req_fuzz_probe', resp_code: 200, resp_type: 'jsonrpc_response' },
        });
        const ack = await stream.next((received) => received.type === 'ack' && received.id === id);
        assert.equal(ack.status, 401, JSON.stringify(ack));
        assert.equal(ack.body.error.code, 'tunnel_request_mismatch');
      }),
      fuzzParameters(100),
    );
    stream.close();
    const closed = await stream.closed;
    assert.equal(closed.code, 1000, 'the stream stayed open until the client closed it');
    await assertStillAnswering(fuzzed.service.url, fuzzed.service.ownerKey);
  },
);
