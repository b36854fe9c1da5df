import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFile, openDataFile } from '../../src/data-files/data-files.js';

describe('createFile is atomic', () => {
  let tmp: string;
  before(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dhttp-atomic-'));
  });
  after(async () => {
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('a concurrent reader only ever sees the old or the new complete file', async () => {
    const file = path.join(tmp, 'big.txt');
    const OLD = 'o'.repeat(1000);
    await createFile(tmp, 'big.txt', OLD, 1);
    const unit = 'abcdefghij'.repeat(10); // 100 bytes
    const sizes = new Set([OLD.length]);
    let writing = true;
    let observations = 0;
    const reader = (async () => {
      while (writing) {
        const st = await fs.stat(file);
        assert.ok(sizes.has(st.size), `saw a partial file of ${st.size} bytes`);
        const body = await fs.readFile(file, 'latin1');
        assert.ok(sizes.has(body.length), `read a partial file of ${body.length} bytes`);
        observations++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (const repeat of [40_000, 20_000, 60_000]) {
      sizes.add(unit.length * repeat);
      const res = await createFile(tmp, 'big.txt', unit, repeat);
      assert.equal(res.bytes, unit.length * repeat);
    }
    writing = false;
    await reader;
    assert.ok(observations > 0);
    const chunks: Buffer[] = [];
    for await (const c of await openDataFile(tmp, 'big.txt')) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('latin1');
    assert.equal(body.length, 6_000_000);
    assert.equal(body, unit.repeat(60_000));
    assert.deepEqual(
      (await fs.readdir(tmp)).filter((n) => n.startsWith('.')),
      [],
    );
  });

  it('concurrent creates of one name end with one complete winner', async () => {
    await Promise.all([
      createFile(tmp, 'race.txt', 'A', 200_000),
      createFile(tmp, 'race.txt', 'B', 300_000),
      createFile(tmp, 'race.txt', 'C', 100_000),
    ]);
    const body = await fs.readFile(path.join(tmp, 'race.txt'), 'latin1');
    assert.ok(
      body === 'A'.repeat(200_000) || body === 'B'.repeat(300_000) || body === 'C'.repeat(100_000),
      `mixed file of ${body.length} bytes`,
    );
  });
});
