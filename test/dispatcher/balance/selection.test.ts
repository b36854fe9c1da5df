import { BALANCE_POLICIES } from '../../../src/config/schema.js';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Upstream } from '../../../src/dispatcher/upstreams/upstream.js';
import { LeastLoad, PowerOfTwoChoices, RoundRobin, createPolicy, type SelectionPolicy } from '../../../src/dispatcher/balance/selection.js';

function pool(n: number, active = true): Upstream[] {
  return Array.from({ length: n }, (_, i) => {
    const u = new Upstream(`w${i + 1}`, `http://127.0.0.1:${1000 + i}`);
    if (active) u.markUp();
    return u;
  });
}

/** A deterministic RNG (mulberry32) so the p2c contract runs are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const policies: Array<[string, () => SelectionPolicy]> = [
  ['RoundRobin', () => new RoundRobin()],
  ['LeastLoad', () => new LeastLoad()],
  ['PowerOfTwoChoices', () => new PowerOfTwoChoices(seeded(42))],
  ...BALANCE_POLICIES.map((name): [string, () => SelectionPolicy] => [`createPolicy(${name})`, () => createPolicy(name)]),
];

for (const [name, make] of policies) {
  describe(`selection contract: ${name}`, () => {
    test('returns undefined when there is no candidate', () => {
      assert.equal(make().pick([]), undefined);
      assert.equal(make().pick(pool(3, false)), undefined);
    });

    test('never picks an inactive, draining or excluded upstream', () => {
      const p = make();
      const ups = pool(5);
      ups[0].markDown('x');
      ups[2].draining = true;
      const exclude = new Set([ups[4]]);
      for (let i = 0; i < 200; i++) {
        const u = p.pick(ups, exclude);
        assert.ok(u === ups[1] || u === ups[3], `picked ${u?.id}`);
      }
      assert.equal(p.pick(ups, new Set([ups[1], ups[3], ups[4]])), undefined);
    });

    test('the only eligible upstream is always picked', () => {
      const p = make();
      const ups = pool(4, false);
      ups[2].markUp();
      for (let i = 0; i < 20; i++) assert.equal(p.pick(ups), ups[2]);
    });

    test('spreads equal-load picks over every upstream', () => {
      const p = make();
      const ups = pool(4);
      const counts = new Map<Upstream, number>();
      for (let i = 0; i < 400; i++) {
        const u = p.pick(ups);
        assert.ok(u);
        counts.set(u, (counts.get(u) ?? 0) + 1);
      }
      for (const u of ups) assert.ok((counts.get(u) ?? 0) >= 50, `${u.id} got ${counts.get(u) ?? 0}`);
    });

    test('balances in-flight load when requests stay open', () => {
      const p = make();
      const ups = pool(4);
      for (let i = 0; i < 400; i++) p.pick(ups)?.begin();
      const loads = ups.map((u) => u.load);
      assert.equal(
        loads.reduce((a, b) => a + b),
        400,
      );
      assert.ok(Math.max(...loads) - Math.min(...loads) <= 40, `loads ${loads}`);
    });

    test('copes with the candidate list changing between picks', () => {
      const p = make();
      let ups = pool(5);
      for (let i = 0; i < 50; i++) {
        ups = i % 2 === 0 ? ups.slice(0, 2) : pool(5);
        const u = p.pick(ups);
        assert.ok(u && ups.includes(u));
      }
    });
  });
}

describe('policy specifics', () => {
  test('RoundRobin cycles in order, skipping ineligible ones', () => {
    const p = new RoundRobin();
    const ups = pool(3);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => p.pick(ups)?.id),
      ['w1', 'w2', 'w3', 'w1'],
    );
    ups[2].markDown('x');
    assert.deepEqual(
      [1, 2, 3].map(() => p.pick(ups)?.id),
      ['w2', 'w1', 'w2'],
    );
  });

  test('LeastLoad picks the least loaded; ties rotate instead of favouring the first', () => {
    const p = new LeastLoad();
    const ups = pool(3);
    ups[0].load = 5;
    ups[1].load = 2;
    ups[2].load = 7;
    assert.equal(p.pick(ups), ups[1]);
    for (const u of ups) u.load = 0;
    const picked = new Set([1, 2, 3, 4, 5, 6].map(() => p.pick(ups)?.id));
    assert.deepEqual([...picked].sort(), ['w1', 'w2', 'w3']);
  });

  test('PowerOfTwoChoices takes the less loaded of two distinct random picks', () => {
    const ups = pool(3);
    ups[0].load = 9;
    ups[1].load = 1;
    // Draws: i = floor(0 * 3) = 0, then j among the others = 1 + floor(0 * 2) = 1.
    assert.equal(new PowerOfTwoChoices(() => 0).pick(ups), ups[1]);
    // An RNG stuck near 1 still draws two distinct upstreams: i = 2, j = (2 + 1 + 1) % 3 = 1.
    ups[2].load = 5;
    assert.equal(new PowerOfTwoChoices(() => 0.9999).pick(ups), ups[1]);
  });

  test('PowerOfTwoChoices never picks the most loaded of three', () => {
    const p = new PowerOfTwoChoices(seeded(7));
    const ups = pool(3);
    ups[0].load = 100;
    for (let i = 0; i < 100; i++) assert.notEqual(p.pick(ups), ups[0]);
  });

  test('createPolicy rejects unknown names, naming the allowed ones', () => {
    assert.throws(() => createPolicy('random'), /round-robin, least-load, p2c/);
  });
});
