/** The cluster token check (access-control.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterToken } from '../../src/dispatcher/access-control.js';
import { HttpError } from '../../src/common/errors.js';

const TOKEN = 'a-cluster-token-0123456789';

function refusal(check: () => void): { status: number; code: string; challenge: string | undefined } | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof HttpError);
    return { status: err.status, code: err.code, challenge: err.headers['WWW-Authenticate'] };
  }
}

test('the right token passes, in any spelling of the Bearer scheme', () => {
  const t = new ClusterToken(TOKEN);
  for (const auth of [`Bearer ${TOKEN}`, `bearer ${TOKEN}`, `BEARER   ${TOKEN}`, `Bearer ${TOKEN} `]) {
    assert.equal(
      refusal(() => t.verify(auth)),
      undefined,
      auth,
    );
  }
});

test('missing, malformed or wrong: 401 with a Bearer challenge', () => {
  const t = new ClusterToken(TOKEN);
  for (const auth of [
    undefined,
    '',
    TOKEN,
    `Basic ${TOKEN}`,
    'Bearer',
    `Bearer ${TOKEN} extra`,
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.slice(1)}`,
    `Bearer ${TOKEN}, Bearer ${TOKEN}`,
  ]) {
    const r = refusal(() => t.verify(auth));
    assert.equal(r?.status, 401, String(auth));
    assert.equal(r?.code, 'UNAUTHORIZED');
    assert.match(r?.challenge ?? '', /^Bearer realm="dhttp"/);
  }
});

test('no token configured: 403 for everyone', () => {
  const t = new ClusterToken(undefined);
  for (const auth of [undefined, `Bearer ${TOKEN}`]) {
    assert.deepEqual(
      refusal(() => t.verify(auth)),
      { status: 403, code: 'REGISTRATION_DISABLED', challenge: undefined },
    );
  }
});
