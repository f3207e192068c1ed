import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { scopedSignal } from '../src/base/scoped-signal.ts';

test('a scoped signal aborts with its parent, or at its timeout', async () => {
  const parent = new AbortController();
  const withParent = scopedSignal(parent.signal, 60_000);
  parent.abort(new Error('stopping'));
  assert.equal(withParent.signal.aborted, true);
  assert.equal((withParent.signal.reason as Error).message, 'stopping');
  withParent.dispose();

  const timed = scopedSignal(new AbortController().signal, 20);
  await new Promise((resolve) => timed.signal.addEventListener('abort', resolve, { once: true }));
  assert.equal((timed.signal.reason as DOMException).name, 'TimeoutError');
  timed.dispose();

  const already = new AbortController();
  already.abort(new Error('gone'));
  assert.equal(scopedSignal(already.signal, 60_000).signal.aborted, true);
});

test('dispose leaves nothing registered on a long-lived parent', () => {
  const parent = new AbortController();
  for (let i = 0; i < 1000; i++) scopedSignal(parent.signal, 60_000).dispose();
  assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
  const open = scopedSignal(parent.signal, 60_000);
  assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
  open.dispose();
  assert.equal(getEventListeners(parent.signal, 'abort').length, 0);
});
