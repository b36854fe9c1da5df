/** Renders docs/errors.md from the ERRORS table, so the two can never disagree. */
import { ERRORS } from './errors.js';

export function renderErrorsDoc(): string {
  const rows = Object.entries(ERRORS)
    .sort(([a, x], [b, y]) => x.status - y.status || (a < b ? -1 : 1))
    .map(([code, d]) => `| \`${code}\` | ${d.status} | ${d.meaning} |`);
  return [
    '# Error codes',
    '',
    'Every error response of a dhttp worker or dispatcher is JSON (SPEC §2):',
    '',
    '```json',
    '{"error":{"code":"INVALID_PARAM","message":"num must be an integer in [0, 10000]"},"request_id":"…"}',
    '```',
    '',
    'The `code` is stable; the `message` is for people and may change. `request_id` equals the',
    "response's `X-Request-Id` header. 405 responses carry `Allow`; 429 and 503 carry `Retry-After`.",
    'Errors detected before a request could be parsed (malformed request line, oversized head,',
    'timeouts while receiving it) close the connection after the response.',
    '',
    '<!-- generated from src/common/errors.ts by renderErrorsDoc(); test/common/errors-doc.test.ts keeps it in sync -->',
    '',
    '| code | status | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
