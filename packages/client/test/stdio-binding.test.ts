import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonRpcMessage } from '@mcp-tunnel/protocol';
import { BindingFailure } from '../src/bindings/binding.ts';
import { splitCommandLine } from '../src/bindings/command-line.ts';
import { createStdioBinding } from '../src/bindings/stdio.ts';
import { eventually } from '../../../test/support/eventually.ts';
import { memoryLogger } from './support/memory-logger.ts';
import { FIXTURE_COMMAND, call } from './support/mcp-servers.ts';

function request(message: JsonRpcMessage, sessionId: string, signal = AbortSignal.timeout(10_000)) {
  const notices: JsonRpcMessage[] = [];
  return {
    notices,
    message,
    sessionId,
    headers: {},
    signal,
    onMessage: (m: JsonRpcMessage) => notices.push(m),
  };
}

test('splits command lines like a shell without running one', () => {
  assert.deepEqual(splitCommandLine(`"/usr/bin/my node" 'a b' c\\ d "e\\"f" $HOME`), [
    '/usr/bin/my node',
    'a b',
    'c d',
    'e"f',
    '$HOME',
  ]);
  assert.throws(() => splitCommandLine('node "unclosed'), /unclosed " quote/);
});

test(
  'stdio binding: initialize, id remapping for two callers using id 1, progress routing, stderr to the log',
  { timeout: 30_000 },
  async () => {
    const { log, lines } = memoryLogger();
    const binding = createStdioBinding({ channel: 'main', command: FIXTURE_COMMAND, log });
    await binding.start();
    try {
      await eventually(() => binding.status().initialized, 15_000, 'the child to answer initialize');
      assert.equal(binding.status().detail, 'answered initialize');

      const init = await binding.send(
        request(
          {
            jsonrpc: '2.0',
            id: 1,
            method: 'initialize',
            params: {
              protocolVersion: '2025-06-18',
              capabilities: {},
              clientInfo: { name: 't', version: '1' },
            },
          } as JsonRpcMessage,
          'session-a',
        ),
      );
      assert.equal(init.status, 200);
      assert.equal(init.message?.id, 1);
      assert.equal(
        (init.message?.result as { serverInfo: { name: string } }).serverInfo.name,
        'tunnel-client-test-server',
      );

      // Two sessions both use id 1; the slower one is sent first, so answers come back in the other order.
      const a = request(call(1, 'slow', { ms: 400, tag: 'A' }, { progressToken: 'progress-A' }), 'session-a');
      const b = request(call(1, 'slow', { ms: 50, tag: 'B' }, { progressToken: 'progress-B' }), 'session-b');
      const [answerA, answerB] = await Promise.all([binding.send(a), binding.send(b)]);
      assert.equal(answerA.message?.id, 1);
      assert.equal(answerB.message?.id, 1);
      assert.deepEqual((answerA.message?.result as { content: unknown[] }).content, [
        { type: 'text', text: 'done A' },
      ]);
      assert.deepEqual((answerB.message?.result as { content: unknown[] }).content, [
        { type: 'text', text: 'done B' },
      ]);
      // Progress came back to each caller, and only its own, with the token that caller gave.
      for (const [notices, tag] of [
        [a.notices, 'A'],
        [b.notices, 'B'],
      ] as const) {
        const tokens = notices
          .filter((n) => n.method === 'notifications/progress')
          .map((n) => (n.params as { progressToken: unknown }).progressToken);
        assert.deepEqual(tokens, [`progress-${tag}`], `progress for ${tag}`);
      }

      const add = await binding.send(request(call('x', 'add', { a: 5, b: 3 }), 'session-a'));
      assert.deepEqual(add.message, {
        jsonrpc: '2.0',
        id: 'x',
        result: { content: [{ type: 'text', text: '5 + 3 = 8' }] },
      });

      const ack = await binding.send(
        request({ jsonrpc: '2.0', method: 'notifications/initialized' } as JsonRpcMessage, 'session-a'),
      );
      assert.equal(ack.status, 202);
      assert.ok(lines().some((l) => l.stream === 'stderr' && /test server \d+ ready/.test(String(l.msg))));
    } finally {
      await binding.close();
    }
  },
);

test(
  'stdio binding: a child that exits fails in-flight requests at once and is restarted',
  { timeout: 30_000 },
  async () => {
    const { log } = memoryLogger();
    let restarts = 0;
    const binding = createStdioBinding({
      channel: 'main',
      command: FIXTURE_COMMAND,
      log,
      onRestart: () => restarts++,
    });
    await binding.start();
    try {
      await eventually(() => binding.status().initialized, 15_000, 'initialize');
      const slow = binding.send(request(call(1, 'slow', { ms: 5000, tag: 'lost' }), 's'));
      const started = performance.now();
      const exit = binding.send(request(call(2, 'exit', {}), 's'));
      for (const pending of [slow, exit]) {
        await assert.rejects(pending, (error: unknown) => {
          assert.ok(error instanceof BindingFailure);
          assert.equal(error.failure.source, 'transport_closed');
          return true;
        });
      }
      assert.ok(performance.now() - started < 3000, 'failed promptly, not at a timeout');
      await eventually(() => restarts === 1 && binding.status().initialized, 15_000, 'the restarted child');
      const add = await binding.send(request(call(3, 'add', { a: 1, b: 2 }), 's'));
      assert.equal((add.message?.result as { content: { text: string }[] }).content[0]!.text, '1 + 2 = 3');
    } finally {
      await binding.close();
    }
  },
);

test(
  'stdio binding: a deadline cancels the request and retires its id; the child stays up',
  { timeout: 30_000 },
  async () => {
    const { log } = memoryLogger();
    const binding = createStdioBinding({ channel: 'main', command: FIXTURE_COMMAND, log });
    await binding.start();
    try {
      await eventually(() => binding.status().initialized, 15_000, 'initialize');
      const controller = new AbortController();
      const pending = binding.send(
        request(call(1, 'slow', { ms: 300, tag: 'late' }), 's', controller.signal),
      );
      setTimeout(() => controller.abort(new Error('deadline')), 50);
      await assert.rejects(pending, /deadline/);
      await new Promise((r) => setTimeout(r, 400));
      const add = await binding.send(request(call(1, 'add', { a: 2, b: 2 }), 's'));
      assert.equal((add.message?.result as { content: { text: string }[] }).content[0]!.text, '2 + 2 = 4');
    } finally {
      await binding.close();
    }
  },
);

test(
  'stdio binding: a command that cannot start is reported, and requests fail with a connect failure',
  { timeout: 30_000 },
  async () => {
    const { log } = memoryLogger();
    const binding = createStdioBinding({ channel: 'main', command: '/nonexistent/mcp-server --flag', log });
    await binding.start();
    try {
      await eventually(
        () => /could not be started/.test(binding.status().detail),
        10_000,
        'the start failure',
      );
      await assert.rejects(
        binding.send(request(call(1, 'add', { a: 1, b: 1 }), 's', AbortSignal.timeout(20_000))),
        (error: unknown) => {
          assert.ok(error instanceof BindingFailure);
          assert.equal(error.failure.source, 'connect');
          return true;
        },
      );
    } finally {
      await binding.close();
    }
  },
);

test(
  'stdio binding: mcp.server_wait_timeout bounds how long a request waits for a restarting child',
  { timeout: 30_000 },
  async () => {
    for (const [startupWaitMs, expectAnswer] of [
      [10_000, true],
      [0, false],
    ] as const) {
      const { log } = memoryLogger();
      const binding = createStdioBinding({ channel: 'main', command: FIXTURE_COMMAND, log, startupWaitMs });
      await binding.start();
      try {
        await eventually(() => binding.status().initialized, 15_000, 'initialize');
        await assert.rejects(binding.send(request(call(1, 'exit', {}), 's')), BindingFailure);
        // The child is gone and its restart is pending: this request arrives in between.
        const during = binding.send(
          request(call(2, 'add', { a: 2, b: 3 }), 's', AbortSignal.timeout(20_000)),
        );
        if (expectAnswer) {
          const answer = await during;
          assert.equal(
            (answer.message?.result as { content: { text: string }[] }).content[0]!.text,
            '2 + 3 = 5',
          );
        } else
          await assert.rejects(during, (error: unknown) => {
            assert.ok(error instanceof BindingFailure);
            assert.equal(error.failure.source, 'connect');
            return true;
          });
      } finally {
        await binding.close();
      }
    }
  },
);
