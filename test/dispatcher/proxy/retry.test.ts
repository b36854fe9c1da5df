import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ClientSideError,
  RetryBudget,
  classify,
  describeError,
  isRetryable,
  spendsBudget,
  type FailureKind,
} from '../../../src/dispatcher/proxy/retry.js';
import { clientError, UnansweredError } from '../../../src/client/errors.js';

function coded(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

describe('classify', () => {
  const table: Array<[unknown, FailureKind]> = [
    [coded('ECONNREFUSED'), 'connect'],
    [coded('EHOSTUNREACH'), 'connect'],
    [coded('CONNECT_TIMEOUT'), 'connect'],
    [coded('QUEUE_TIMEOUT'), 'busy'],
    [coded('BAD_RESPONSE'), 'bad_response'],
    [coded('TOO_LARGE'), 'bad_response'],
    [coded('UNANSWERED'), 'reset'],
    [coded('DEADLINE'), 'timeout'],
    [new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]), 'connect'],
    [new AggregateError([coded('ECONNREFUSED'), coded('ECONNRESET')]), 'other'],
    [coded('ECONNRESET'), 'reset'],
    [coded('EPIPE'), 'reset'],
    [coded('SOCKET', 'other side closed'), 'reset'],
    [coded('HEADERS_TIMEOUT'), 'timeout'],
    [coded('BODY_TIMEOUT'), 'timeout'],
    [new DOMException('signal timed out', 'TimeoutError'), 'timeout'],
    [new ClientSideError(new Error('413')), 'client'],
    [new Error('weird'), 'other'],
    ['a string', 'other'],
  ];
  for (const [err, kind] of table) {
    test(`${describeError(err)} → ${kind}`, () => assert.equal(classify(err), kind));
  }
});

describe('isRetryable: the rule as a table', () => {
  const refused = coded('ECONNREFUSED');
  const reset = coded('ECONNRESET');
  const timeout = coded('HEADERS_TIMEOUT');
  const busy = coded('QUEUE_TIMEOUT');
  const malformed = coded('BAD_RESPONSE');
  const other = new Error('content-length mismatch');
  const rows: Array<[string, unknown, string, { body?: boolean; sent?: boolean; started?: boolean; responded?: boolean }, boolean]> = [
    ['connect failure, any method', refused, 'POST', {}, true],
    ['busy worker, any method', busy, 'POST', {}, true],
    ['malformed answer, GET', malformed, 'GET', {}, true],
    ['malformed answer, POST', malformed, 'POST', {}, false],
    ['connect failure even with a body "sent"', refused, 'POST', { body: true }, true],
    ['never once the client got bytes', refused, 'GET', { started: true }, false],
    ['reset before the response, POST without body', reset, 'POST', {}, true],
    ['reset after a streamed POST body', reset, 'POST', { body: true }, false],
    ['reset after a streamed PUT body (not replayable)', reset, 'PUT', { body: true }, false],
    ['reset after a buffered POST body reached the worker', reset, 'POST', { sent: true }, false],
    ['reset after a buffered PUT body reached the worker (replayable, idempotent)', reset, 'PUT', { sent: true }, true],
    ['reset after the upstream head, GET', reset, 'GET', { responded: true }, true],
    ['reset after the upstream head, POST', reset, 'POST', { responded: true }, false],
    ['response timeout, GET', timeout, 'GET', {}, true],
    ['response timeout, get (case)', timeout, 'get', {}, true],
    ['response timeout, DELETE', timeout, 'DELETE', {}, true],
    ['response timeout, POST', timeout, 'POST', {}, false],
    ['response timeout, PATCH', timeout, 'PATCH', {}, false],
    ['other failure, HEAD', other, 'HEAD', {}, true],
    ['other failure, POST', other, 'POST', {}, false],
    ['client-side failure, GET', new ClientSideError(new Error('x')), 'GET', {}, false],
  ];
  for (const [name, err, method, s, expected] of rows) {
    test(`${name} → ${expected}`, () => {
      const state = {
        method,
        bodySpent: s.body ?? false,
        bodySent: s.sent ?? s.body ?? false,
        responseStarted: s.started ?? false,
        upstreamResponded: s.responded ?? false,
      };
      assert.equal(isRetryable(err, state), expected);
    });
  }
});

describe('RetryBudget', () => {
  test('counts retries of failures that reached a worker; connect failures are free', () => {
    const now = 0;
    const b = new RetryBudget({ retries: 2, tryDurationMs: 1000 }, () => now);
    const refused = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    const reset = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    assert.equal(b.spend(spendsBudget(refused)), true);
    assert.equal(b.spend(spendsBudget(refused)), true);
    assert.equal(b.spend(spendsBudget(reset)), true);
    assert.equal(b.spend(spendsBudget(clientError('HEADERS_TIMEOUT', 'slow'))), true);
    assert.equal(b.spend(spendsBudget(new Error('other'))), false);
    assert.equal(b.retriesUsed, 3);
  });

  test('busy workers and requests handed back through no fault of the worker spend nothing', () => {
    assert.equal(spendsBudget(clientError('QUEUE_TIMEOUT', 'busy')), false);
    assert.equal(spendsBudget(new UnansweredError('closed in order', false)), false);
    assert.equal(spendsBudget(new UnansweredError('reset', true)), true);
    assert.equal(spendsBudget(clientError('BAD_RESPONSE', 'space before colon')), true);
  });

  test('an attempt cut on a health verdict is a reset that spends nothing, and so is a request pipelined behind it', () => {
    const cut = clientError('CUT', 'w1 stopped answering its health checks');
    assert.equal(classify(cut), 'reset');
    assert.equal(spendsBudget(cut), false);
    assert.equal(spendsBudget(new UnansweredError('behind a cut', true, cut)), false);
    assert.equal(spendsBudget(new UnansweredError('behind a reset', true, clientError('SOCKET', 'closed'))), true);
    // Still a reset for what may be retried: a POST whose body reached the worker is not.
    assert.equal(isRetryable(cut, { method: 'POST', responseStarted: false, bodySent: true, bodySpent: false }), false);
    assert.equal(isRetryable(cut, { method: 'GET', responseStarted: false, bodySpent: false }), true);
    const b = new RetryBudget({ retries: 0, tryDurationMs: 1000 }, () => 0);
    assert.equal(b.spend(spendsBudget(cut)), true);
    assert.equal(b.spend(spendsBudget(cut)), true);
    assert.equal(b.retriesUsed, 0);
  });

  test('stops retrying once tryDuration is spent; 0 means count only', () => {
    let now = 100;
    const b = new RetryBudget({ retries: 100, tryDurationMs: 50 }, () => now);
    assert.equal(b.spend(false), true);
    now = 150;
    assert.equal(b.spend(false), false);
    const unbounded = new RetryBudget({ retries: 1, tryDurationMs: 0 }, () => now);
    now = 1e9;
    assert.equal(unbounded.spend(true), true);
    assert.equal(unbounded.spend(true), false);
  });

  test('hold re-checks every tryInterval until available (fake clock)', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const sleep = async (ms: number): Promise<void> => {
      sleeps.push(ms);
      now += ms;
    };
    const b = new RetryBudget({ tryDurationMs: 1000, tryIntervalMs: 10 }, () => now);
    assert.equal(await b.hold(() => now >= 35, undefined, sleep), true);
    assert.deepEqual(sleeps, [10, 10, 10, 10]);
  });

  test('hold gives up when tryDuration is spent (fake clock)', async () => {
    let now = 0;
    let sleeps = 0;
    const b = new RetryBudget({ tryDurationMs: 100, tryIntervalMs: 10 }, () => now);
    const ok = await b.hold(
      () => false,
      undefined,
      async (ms) => {
        sleeps++;
        now += ms;
      },
    );
    assert.equal(ok, false);
    assert.equal(sleeps, 10);
  });

  test('hold is bounded even when the clock never moves', async () => {
    let sleeps = 0;
    const b = new RetryBudget({ tryDurationMs: 100, tryIntervalMs: 10 }, () => 0);
    assert.equal(
      await b.hold(
        () => false,
        undefined,
        async () => void sleeps++,
      ),
      false,
    );
    assert.ok(sleeps <= 12);
  });

  test('hold with real timers: tiny durations, and an abort ends it at once', async () => {
    const b = new RetryBudget({ tryDurationMs: 30, tryIntervalMs: 5 });
    const t0 = performance.now();
    assert.equal(await b.hold(() => false), false);
    assert.ok(performance.now() - t0 >= 20);
    const ac = new AbortController();
    const b2 = new RetryBudget({ tryDurationMs: 60_000, tryIntervalMs: 5 });
    setTimeout(() => ac.abort(), 20);
    assert.equal(await b2.hold(() => false, ac.signal), false);
    const b3 = new RetryBudget({ tryDurationMs: 0 });
    assert.equal(await b3.hold(() => false), false);
    assert.equal(await b3.hold(() => true), true);
  });
});
