import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LightSignal, toAbortSignal } from '../../src/common/light-signal.js';

test('LightSignal: listeners fire once on abort, removed ones never; reason kept', () => {
  const s = new LightSignal();
  const calls: string[] = [];
  const a = (): void => void calls.push('a');
  const b = (): void => void calls.push('b');
  s.addEventListener('abort', a);
  s.addEventListener('abort', b);
  s.removeEventListener('abort', b);
  assert.equal(s.aborted, false);
  const reason = new Error('gone');
  s.abort(reason);
  s.abort(new Error('again'));
  assert.deepEqual(calls, ['a']);
  assert.equal(s.aborted, true);
  assert.equal(s.reason, reason);
});

test('toAbortSignal: a real signal follows the light one (before and after abort)', () => {
  const s = new LightSignal();
  const real = toAbortSignal(s);
  assert.equal(real.aborted, false);
  s.abort('why');
  assert.equal(real.aborted, true);
  assert.equal(real.reason, 'why');
  assert.equal(toAbortSignal(s).aborted, true, 'already aborted');
  const ac = new AbortController();
  assert.equal(toAbortSignal(ac.signal), ac.signal, 'an AbortSignal is passed through');
});
