// Column kinds read what SQLite and PostgreSQL drivers hand back, and refuse anything else by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flag, integer, nullable, oneOf, readColumn, stringList, text } from '../../src/store/columns.ts';

test('each column kind reads the loose values drivers return and nothing else', () => {
  assert.equal(text.read('a'), 'a');
  assert.equal(text.read(1), undefined);
  assert.equal(flag.read(1), true);
  assert.equal(flag.read(0n), false);
  assert.equal(flag.read('1'), undefined);
  assert.equal(flag.read(2), undefined);
  assert.equal(flag.write(true), 1);
  // PostgreSQL returns COUNT(*) as a string of digits.
  assert.equal(integer.read('42'), 42);
  assert.equal(integer.read(7n), 7);
  assert.equal(integer.read('4x'), undefined);
  assert.equal(oneOf('key', 'public').read('public'), 'public');
  assert.equal(oneOf('key', 'public').read('private'), undefined);
  assert.deepEqual(stringList().read('["a","b"]'), ['a', 'b']);
  assert.equal(stringList().read('[1]'), undefined);
  assert.equal(stringList().read('{"a":"b"}'), undefined);
  assert.equal(stringList().read('not json'), undefined);
  assert.equal(stringList().write(['a']), '["a"]');
  assert.equal(nullable(text).read(null), null);
  assert.equal(nullable(text).read(3), undefined);
  assert.equal(nullable(stringList()).write(null), null);
});

test('readColumn names the column and the value it cannot read', () => {
  assert.equal(readColumn(text, 'ok', 'tunnels.name'), 'ok');
  assert.throws(
    () => readColumn(flag, 'yes', 'mcp_sessions.minted'),
    /mcp_sessions\.minted holds "yes", which is not 0 or 1/,
  );
});
