import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ERRORS, HttpError, errorBody } from '../../src/common/errors.js';
import { renderErrorsDoc } from '../../src/common/errors-doc.js';
import { join } from 'node:path';
import { projectRoot } from '../helpers/paths.js';

const DOC = join(projectRoot(), 'docs', 'errors.md');

test('docs/errors.md lists exactly the codes in src/common/errors.ts', async () => {
  const expected = renderErrorsDoc();
  if (process.env.UPDATE_DOCS === '1') await writeFile(DOC, expected);
  const actual = await readFile(DOC, 'utf8');
  assert.equal(actual, expected, 'docs/errors.md is stale: run UPDATE_DOCS=1 node --import tsx --test test/common/errors-doc.test.ts');
  for (const code of Object.keys(ERRORS)) assert.ok(actual.includes(`\`${code}\``));
});

test('an HttpError carries its status and renders the SPEC §2 JSON', () => {
  const e = new HttpError('QUEUE_FULL', 'queue full', { 'Retry-After': '1' });
  assert.equal(e.status, 503);
  assert.deepEqual(JSON.parse(errorBody(e.code, e.message, 'r1')), {
    error: { code: 'QUEUE_FULL', message: 'queue full' },
    request_id: 'r1',
  });
});
