// What every CommandBroker must do, whatever holds its queues: run with a factory for each implementation
// (embedded.test.ts). Responses reach listeners asynchronously in a cluster, so tests wait for them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TunnelResponsePayload } from '@mcp-tunnel/protocol';
import type {
  CommandBroker,
  CommandFailure,
  PollingClient,
  QueuedCommand,
  ResponseListener,
  TakeOptions,
} from '../../src/broker/command-broker.ts';
import { ShardTokens } from '../../src/broker/shard-token.ts';
import { delay, freshTunnelId, using, type Factory } from './factory.ts';

export interface CommandBrokerOptions {
  /** How long a tunnel stays online after its last poll ended. */
  presenceWindowMs?: number;
  /** How long a client whose poll was dropped has to poll again before it is gone. */
  droppedPollGraceMs?: number;
}

type Heard = TunnelResponsePayload | 'closed' | `failed:${CommandFailure}`;

/** A listener that keeps what it is told, and lets a test wait for the next thing. */
class Recorder implements ResponseListener {
  readonly heard: Heard[] = [];
  #waiting: (() => void) | undefined;

  onResponse(payload: TunnelResponsePayload): void {
    this.#hear(payload);
  }

  onClosed(): void {
    this.#hear('closed');
  }

  onFailed(reason: CommandFailure): void {
    this.#hear(`failed:${reason}`);
  }

  /** Resolves once at least `count` things were heard; fails after 5 s. */
  async heardAtLeast(count: number): Promise<void> {
    const until = Date.now() + 5000;
    while (this.heard.length < count) {
      if (Date.now() > until) throw new Error(`heard ${this.heard.length} of ${count} after 5 s`);
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
        setTimeout(resolve, 100);
      });
    }
  }

  #hear(what: Heard): void {
    this.heard.push(what);
    this.#waiting?.();
  }
}

const secret = randomBytes(32);
let sequence = 0;

function commandOf(
  broker: CommandBroker,
  tunnelId: string,
  overrides: Partial<QueuedCommand> = {},
): QueuedCommand {
  const requestId = `req_${process.pid}_${++sequence}`;
  return {
    requestId,
    tunnelId,
    channel: 'main',
    commandType: 'jsonrpc',
    shardToken: new ShardTokens(secret, broker.nodeId).issue(requestId, tunnelId),
    createdAt: new Date().toISOString(),
    deadlineAt: Date.now() + 30_000,
    headers: {},
    jsonrpc: { jsonrpc: '2.0', id: sequence, method: 'tools/list' },
    ...overrides,
  };
}

function answer(command: QueuedCommand, type: TunnelResponsePayload['resp_type'] = 'jsonrpc_response') {
  return {
    request_id: command.requestId,
    resp_code: 200,
    resp_type: type,
    resp_json: { jsonrpc: '2.0', id: 1, result: { type } },
  } satisfies TunnelResponsePayload;
}

function takeOptions(overrides: Partial<TakeOptions> = {}): TakeOptions {
  return {
    limit: 25,
    waitMs: 0,
    extensions: new Set(),
    instanceId: 'instance-1',
    credential: 'key:key_1',
    signal: new AbortController().signal,
    ...overrides,
  };
}

const ids = (commands: QueuedCommand[]) => commands.map((c) => c.requestId);

const client = (instanceId: string, credential = 'key:key_1'): PollingClient => ({
  instanceId,
  name: 'tunnel-client',
  version: '1.2.3',
  serverInfo: null,
  extensions: ['standalone-stream'],
  credential,
});

/** The client's poll as tunnel-api runs it: present while it waits, then ended as answered or dropped. */
async function poll(
  broker: CommandBroker,
  tunnelId: string,
  polling: PollingClient,
  options: Partial<TakeOptions> = {},
): Promise<QueuedCommand[]> {
  await broker.pollStarted(tunnelId, polling);
  try {
    return await broker.take(
      tunnelId,
      takeOptions({ instanceId: polling.instanceId, credential: polling.credential, ...options }),
    );
  } finally {
    await broker.pollEnded(tunnelId, polling, 'answered');
  }
}

/** What each listener heard, as plain words. */
const said = (...listeners: Recorder[]) =>
  listeners.map((l) => l.heard.map((p) => (typeof p === 'string' ? p : p.resp_type)));

export function commandBrokerContract(
  implementation: string,
  factory: Factory<CommandBroker, CommandBrokerOptions>,
): void {
  const withBroker = (body: (broker: CommandBroker) => Promise<void>, options: CommandBrokerOptions = {}) =>
    using(factory, options, body);

  describe(`CommandBroker: ${implementation}`, { timeout: 30_000 }, () => {
    test('names its node, and the shard tokens issued with that name are its own', () =>
      withBroker(async (broker) => {
        assert.match(broker.nodeId, /\S/);
        const tunnelId = freshTunnelId();
        const command = commandOf(broker, tunnelId);
        assert.ok(command.shardToken.startsWith(`${broker.nodeId}.`));
      }));

    test('a queued command is taken once, and its responses reach the listener in order', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const listener = new Recorder();
        const command = commandOf(broker, tunnelId);
        await broker.enqueue(command, listener);
        assert.deepEqual(await broker.take(tunnelId, takeOptions()), [command]);
        assert.deepEqual(await broker.take(tunnelId, takeOptions()), [], 'taken once');

        assert.equal(
          await broker.deliver(tunnelId, command.shardToken, answer(command, 'jsonrpc_notify')),
          true,
        );
        assert.equal(await broker.deliver(tunnelId, command.shardToken, answer(command)), true);
        await listener.heardAtLeast(2);
        assert.deepEqual(said(listener), [['jsonrpc_notify', 'jsonrpc_response']]);
        assert.equal(
          await broker.deliver(tunnelId, command.shardToken, answer(command)),
          false,
          'a terminal response ends the command: a second one finds nothing',
        );
      }));

    test('a waiting poll is woken by a new command; otherwise it ends empty after its wait', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const waiting = broker.take(tunnelId, takeOptions({ waitMs: 10_000 }));
        const command = commandOf(broker, tunnelId);
        await broker.enqueue(command, new Recorder());
        assert.deepEqual(ids(await waiting), [command.requestId]);

        const started = Date.now();
        assert.deepEqual(await broker.take(tunnelId, takeOptions({ waitMs: 100 })), []);
        assert.ok(Date.now() - started >= 90, 'waited');
      }));

    test('an aborted poll ends at once with nothing', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const gone = new AbortController();
        const waiting = broker.take(tunnelId, takeOptions({ waitMs: 20_000, signal: gone.signal }));
        gone.abort();
        assert.deepEqual(await waiting, []);
        // A command queued after the poll left goes to the next poll.
        const command = commandOf(broker, tunnelId);
        await broker.enqueue(command, new Recorder());
        assert.deepEqual(ids(await broker.take(tunnelId, takeOptions())), [command.requestId]);
      }));

    test('take hands out the oldest first, up to its limit, only of its own tunnel', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const other = freshTunnelId();
        const commands = [
          commandOf(broker, tunnelId),
          commandOf(broker, tunnelId),
          commandOf(broker, tunnelId),
        ];
        for (const command of commands) await broker.enqueue(command, new Recorder());
        await broker.enqueue(commandOf(broker, other), new Recorder());
        assert.deepEqual(
          ids(await broker.take(tunnelId, takeOptions({ limit: 2 }))),
          ids(commands.slice(0, 2)),
        );
        assert.deepEqual(ids(await broker.take(tunnelId, takeOptions())), ids(commands.slice(2)));
      }));

    test('a poller gets only the channels it asks for, and commands of extensions it declared', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const main = commandOf(broker, tunnelId);
        const docs = commandOf(broker, tunnelId, { channel: 'docs' });
        const stream = commandOf(broker, tunnelId, {
          commandType: 'standalone_stream',
          extension: 'standalone-stream',
        });
        for (const command of [main, docs, stream]) await broker.enqueue(command, new Recorder());

        const docsOnly = await broker.take(tunnelId, takeOptions({ channels: new Set(['docs']) }));
        assert.deepEqual(ids(docsOnly), [docs.requestId]);
        const plain = await broker.take(tunnelId, takeOptions());
        assert.deepEqual(ids(plain), [main.requestId], 'the stream waits for a poller that declared it');
        const declared = await broker.take(
          tunnelId,
          takeOptions({ extensions: new Set(['standalone-stream']) }),
        );
        assert.deepEqual(ids(declared), [stream.requestId]);
      }));

    test('a command past its deadline is never handed out', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const expired = commandOf(broker, tunnelId, { deadlineAt: Date.now() - 1 });
        const live = commandOf(broker, tunnelId);
        await broker.enqueue(expired, new Recorder());
        await broker.enqueue(live, new Recorder());
        assert.deepEqual(ids(await broker.take(tunnelId, takeOptions())), [live.requestId]);
      }));

    test('requeued commands go back at the head, unless abandoned or past their deadline', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const [first, second, third] = [1, 2, 3].map(() => commandOf(broker, tunnelId));
        for (const command of [first!, second!, third!]) await broker.enqueue(command, new Recorder());
        const taken = await broker.take(tunnelId, takeOptions({ limit: 2 }));
        assert.deepEqual(ids(taken), [first!.requestId, second!.requestId]);
        await broker.requeue(taken);
        assert.deepEqual(ids(await broker.take(tunnelId, takeOptions({ limit: 1 }))), [first!.requestId]);

        await broker.abandon(tunnelId, second!.requestId);
        await broker.requeue([second!]);
        await broker.requeue([{ ...third!, deadlineAt: Date.now() - 1 }]);
        assert.deepEqual(ids(await broker.take(tunnelId, takeOptions())), [third!.requestId]);
      }));

    test('a response for another tunnel, with another shard token or for an unknown request is refused', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const listener = new Recorder();
        const command = commandOf(broker, tunnelId);
        const other = commandOf(broker, tunnelId);
        await broker.enqueue(command, listener);
        await broker.enqueue(other, new Recorder());
        assert.equal(await broker.deliver(freshTunnelId(), command.shardToken, answer(command)), false);
        assert.equal(await broker.deliver(tunnelId, other.shardToken, answer(command)), false);
        assert.equal(
          await broker.deliver(tunnelId, command.shardToken, {
            ...answer(command),
            request_id: 'req_unknown',
          }),
          false,
        );
        assert.deepEqual(listener.heard, []);
        assert.equal(
          await broker.deliver(tunnelId, command.shardToken, answer(command)),
          true,
          'still pending',
        );
        await listener.heardAtLeast(1);
      }));

    test('an abandoned command is not handed out and its late response is refused', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const [taken, queued] = [commandOf(broker, tunnelId), commandOf(broker, tunnelId)];
        const listener = new Recorder();
        await broker.enqueue(taken, listener);
        assert.deepEqual(ids(await broker.take(tunnelId, takeOptions())), [taken.requestId]);
        await broker.enqueue(queued, listener);
        await broker.abandon(tunnelId, queued.requestId);
        await broker.abandon(tunnelId, taken.requestId);
        await broker.abandon(tunnelId, 'req_never_queued');
        assert.deepEqual(await broker.take(tunnelId, takeOptions()), []);
        assert.equal(await broker.deliver(tunnelId, taken.shardToken, answer(taken)), false);
        await delay(20);
        assert.deepEqual(listener.heard, [], 'an abandoned command tells its listener nothing');
      }));

    test('abandon names the tunnel: another tunnel cannot abandon a command', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const command = commandOf(broker, tunnelId);
        await broker.enqueue(command, new Recorder());
        await broker.abandon(freshTunnelId(), command.requestId);
        assert.deepEqual(ids(await broker.take(tunnelId, takeOptions())), [command.requestId]);
      }));

    test('close ends waiting polls and tells every waiting caller, and any caller after it', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const waiting = broker.take(tunnelId, takeOptions({ waitMs: 20_000, channels: new Set(['none']) }));
        const before = new Recorder();
        await broker.enqueue(commandOf(broker, tunnelId), before);
        await broker.close();
        assert.deepEqual(await waiting, []);
        await before.heardAtLeast(1);
        assert.deepEqual(before.heard, ['closed']);
        const after = new Recorder();
        await broker.enqueue(commandOf(broker, tunnelId), after);
        await after.heardAtLeast(1);
        assert.deepEqual(after.heard, ['closed']);
      }));

    test('a tunnel is online while a client polls and within the presence window after', () =>
      withBroker(
        async (broker) => {
          const tunnelId = freshTunnelId();
          assert.equal(await broker.isOnline(tunnelId), false, 'never polled');
          assert.deepEqual(await broker.clients(tunnelId), []);

          const polling = client('instance-1');
          await broker.pollStarted(tunnelId, polling);
          assert.equal(await broker.isOnline(tunnelId), true);
          const [seen] = await broker.clients(tunnelId);
          assert.deepEqual({ ...seen, lastPollAt: undefined }, { ...polling, lastPollAt: undefined });
          assert.ok(Math.abs(Date.parse(seen!.lastPollAt) - Date.now()) < 5000, seen!.lastPollAt);
          await delay(400);
          assert.equal(await broker.isOnline(tunnelId), true, 'an open poll keeps it online');

          await broker.pollEnded(tunnelId, polling, 'answered');
          assert.equal(await broker.isOnline(tunnelId), true, 'just ended: still online');
          assert.equal((await broker.clients(tunnelId)).length, 1, 'just ended: still present');
          assert.deepEqual(await broker.clients(freshTunnelId()), []);

          await delay(500);
          assert.equal(await broker.isOnline(tunnelId), false, 'offline once the window has passed');
          assert.deepEqual(await broker.clients(tunnelId), []);
        },
        { presenceWindowMs: 300 },
      ));

    test('each client instance is listed once, however many polls it holds', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const one = client('instance-1');
        await broker.pollStarted(tunnelId, one);
        await broker.pollStarted(tunnelId, one);
        await broker.pollStarted(tunnelId, client('instance-2'));
        await broker.pollEnded(tunnelId, one, 'answered');
        const listed = (await broker.clients(tunnelId)).map((c) => c.instanceId).sort();
        assert.deepEqual(listed, ['instance-1', 'instance-2']);
      }));

    test('a client that leaves: what it holds fails at once, what it released goes to the client left', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const [leaving, staying] = [client('instance-1'), client('instance-2')];
        await poll(broker, tunnelId, staying, { limit: 1, waitMs: 1 });
        const [running, unstarted, queued] = [1, 2, 3].map(() => commandOf(broker, tunnelId));
        const [runningHeard, unstartedHeard, queuedHeard] = [1, 2, 3].map(() => new Recorder());
        await broker.enqueue(running!, runningHeard!);
        await broker.enqueue(unstarted!, unstartedHeard!);
        assert.deepEqual(ids(await poll(broker, tunnelId, leaving)), ids([running!, unstarted!]));
        await broker.enqueue(queued!, queuedHeard!);

        await broker.clientLeft(tunnelId, leaving.instanceId, [unstarted!.requestId, 'req_unknown']);
        await runningHeard!.heardAtLeast(1);
        assert.deepEqual(said(runningHeard!, unstartedHeard!, queuedHeard!), [
          ['failed:client_gone'],
          [],
          [],
        ]);
        assert.equal(await broker.deliver(tunnelId, running!.shardToken, answer(running!)), false);
        assert.deepEqual(
          (await broker.clients(tunnelId)).map((c) => c.instanceId),
          [staying.instanceId],
          'listed no more, at once',
        );
        assert.equal(await broker.isOnline(tunnelId), true, 'another client is present');
        assert.deepEqual(
          ids(await poll(broker, tunnelId, staying)),
          ids([unstarted!, queued!]),
          'the released command first, then the queued one',
        );
        assert.equal(await broker.deliver(tunnelId, unstarted!.shardToken, answer(unstarted!)), true);
        await unstartedHeard!.heardAtLeast(1);
      }));

    test('the last client leaving fails every queued command as offline, and the tunnel is offline at once', () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const only = client('instance-1');
        await poll(broker, tunnelId, only, { waitMs: 1 });
        const [held, released, queued] = [1, 2, 3].map(() => commandOf(broker, tunnelId));
        const heard = [1, 2, 3].map(() => new Recorder());
        await broker.enqueue(held!, heard[0]!);
        await broker.enqueue(released!, heard[1]!);
        await poll(broker, tunnelId, only);
        await broker.enqueue(queued!, heard[2]!);
        const other = new Recorder();
        await broker.enqueue(commandOf(broker, freshTunnelId()), other);

        await broker.clientLeft(tunnelId, only.instanceId, [released!.requestId]);
        for (const recorder of heard) await recorder.heardAtLeast(1);
        assert.deepEqual(said(...heard), [
          ['failed:client_gone'],
          ['failed:tunnel_offline'],
          ['failed:tunnel_offline'],
        ]);
        assert.equal(await broker.isOnline(tunnelId), false);
        assert.deepEqual(await broker.clients(tunnelId), []);
        assert.deepEqual(await broker.take(tunnelId, takeOptions()), []);
        await delay(20);
        assert.deepEqual(other.heard, [], "another tunnel's command is untouched");
      }));

    test("a departure ends the departing client's open polls, and no other's", () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const [leaving, staying] = [client('instance-1'), client('instance-2')];
        const left = poll(broker, tunnelId, leaving, { waitMs: 20_000 });
        const stays = new AbortController();
        const other = poll(broker, tunnelId, staying, { waitMs: 20_000, signal: stays.signal });
        await delay(50);
        await broker.clientLeft(tunnelId, leaving.instanceId, []);
        assert.deepEqual(await left, []);
        const command = commandOf(broker, tunnelId);
        await broker.enqueue(command, new Recorder());
        assert.deepEqual(ids(await other), [command.requestId], 'the other poll still waits, and is woken');
      }));

    test('a client whose poll was dropped stays within the grace, and is gone after it unless it polls again', () =>
      withBroker(
        async (broker) => {
          const tunnelId = freshTunnelId();
          const [back, killed] = [client('instance-1'), client('instance-2')];
          await broker.pollStarted(tunnelId, back);
          await broker.pollEnded(tunnelId, back, 'dropped');
          assert.equal(await broker.isOnline(tunnelId), true, 'within the grace');
          const waiting = poll(broker, tunnelId, back, { waitMs: 1500 });
          await delay(600);
          assert.equal(await broker.isOnline(tunnelId), true, 'it polled again: not gone');
          assert.deepEqual(await waiting, []);

          const held = commandOf(broker, tunnelId);
          const heldHeard = new Recorder();
          await broker.enqueue(held, heldHeard);
          await broker.pollStarted(tunnelId, killed);
          assert.deepEqual(ids(await broker.take(tunnelId, takeOptions({ instanceId: killed.instanceId }))), [
            held.requestId,
          ]);
          await broker.pollEnded(tunnelId, killed, 'dropped');
          const queued = new Recorder();
          await broker.enqueue(commandOf(broker, tunnelId), queued);
          const started = Date.now();
          await heldHeard.heardAtLeast(1);
          assert.deepEqual(heldHeard.heard, ['failed:client_gone']);
          assert.ok(
            Date.now() - started < 3000,
            `gone after the grace, not later (${Date.now() - started} ms)`,
          );
          assert.deepEqual(
            (await broker.clients(tunnelId)).map((c) => c.instanceId),
            [back.instanceId],
          );
          await delay(100);
          assert.deepEqual(queued.heard, [], 'queued work waits for the client still present');
        },
        { droppedPollGraceMs: 300, presenceWindowMs: 2000 },
      ));

    test('the last client gone after a dropped poll fails queued commands as offline', () =>
      withBroker(
        async (broker) => {
          const tunnelId = freshTunnelId();
          const killed = client('instance-1');
          await broker.pollStarted(tunnelId, killed);
          await broker.pollEnded(tunnelId, killed, 'dropped');
          const queued = new Recorder();
          await broker.enqueue(commandOf(broker, tunnelId), queued);
          assert.equal(await broker.isOnline(tunnelId), true, 'within the grace');
          await queued.heardAtLeast(1);
          assert.deepEqual(queued.heard, ['failed:tunnel_offline']);
          assert.equal(await broker.isOnline(tunnelId), false);
        },
        { droppedPollGraceMs: 300 },
      ));

    test('a client that only stops polling for longer than the window is unlisted, but what it holds stays pending', () =>
      withBroker(
        async (broker) => {
          const tunnelId = freshTunnelId();
          const busy = client('instance-1');
          const command = commandOf(broker, tunnelId);
          const heard = new Recorder();
          await broker.enqueue(command, heard);
          assert.deepEqual(ids(await poll(broker, tunnelId, busy)), [command.requestId]);
          await delay(400);
          assert.equal(await broker.isOnline(tunnelId), false);
          assert.equal(await broker.deliver(tunnelId, command.shardToken, answer(command)), true);
          await heard.heardAtLeast(1);
          assert.deepEqual(said(heard), [['jsonrpc_response']]);
        },
        { presenceWindowMs: 200 },
      ));

    test("a revoked credential: its clients' polls end, what they hold fails, queued work fails only if no client is left", () =>
      withBroker(async (broker) => {
        const tunnelId = freshTunnelId();
        const revoked = client('instance-1', 'key:key_revoked');
        const valid = client('instance-2', 'key:key_valid');
        const held = commandOf(broker, tunnelId);
        const heldHeard = new Recorder();
        await broker.enqueue(held, heldHeard);
        assert.deepEqual(ids(await poll(broker, tunnelId, revoked)), [held.requestId]);
        const open = poll(broker, tunnelId, revoked, { waitMs: 20_000 });
        const otherTunnel = freshTunnelId();
        const elsewhere = poll(broker, otherTunnel, revoked, { waitMs: 20_000 });
        await poll(broker, tunnelId, valid, { waitMs: 1 });
        await delay(50);

        await broker.credentialRevoked('key:key_revoked');
        assert.deepEqual(await open, [], 'its open poll ends');
        assert.deepEqual(await elsewhere, [], 'on every tunnel');
        await heldHeard.heardAtLeast(1);
        assert.deepEqual(heldHeard.heard, ['failed:credential_revoked']);
        assert.deepEqual(
          (await broker.clients(tunnelId)).map((c) => c.instanceId),
          [valid.instanceId],
        );
        assert.equal(await broker.isOnline(otherTunnel), false);

        const queued = commandOf(broker, tunnelId);
        const queuedHeard = new Recorder();
        await broker.enqueue(queued, queuedHeard);
        assert.deepEqual(
          ids(await poll(broker, tunnelId, valid)),
          [queued.requestId],
          'the valid client gets new work',
        );
        await broker.credentialRevoked('key:key_valid');
        await queuedHeard.heardAtLeast(1);
        assert.deepEqual(queuedHeard.heard, ['failed:credential_revoked']);
      }));
  });
}
