/**
 * README's "Try it" block is runnable as written on Linux: every file it uses is created
 * by the block, every program exists, and every line does what it says against a real
 * `dhttp start` (on an ephemeral port instead of 8080; `npm ci` is not run: no network).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { call } from '../helpers/http.js';
import { projectRoot } from '../helpers/paths.js';
import { startProcess } from '../helpers/processes.js';

const README = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
const PKG = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** The lines of the first sh block after "## Try it", comments removed. */
function tryIt(): string[] {
  const section = README.slice(README.indexOf('\n## Try it\n'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block !== null, 'README has a Try it sh block');
  return block[1]
    .split('\n')
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter((l) => l !== '');
}

/** The programs a line runs: the first word of each pipeline stage and loop body. */
function programs(line: string): string[] {
  return line
    .replace(/'[^']*'|"[^"]*"/g, "''")
    .split(/\s*(?:\||&&|;|&)\s*/)
    .map((stage) => stage.replace(/^(?:until|while|do|then)\s+/, '').split(/\s+/)[0])
    .filter((w) => w !== '' && w !== 'done' && !w.startsWith('>'));
}

function sh(line: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', line], { cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

/** Whether a program is on PATH. */
async function has(program: string): Promise<boolean> {
  return (await sh(`command -v ${program}`, projectRoot())).code === 0;
}

describe('README "Try it"', () => {
  const lines = tryIt();

  it('creates every file it reads, runs only programs that exist, and no macOS open', async () => {
    const created = new Set<string>();
    for (const line of lines) {
      for (const m of line.matchAll(/@(\S+)/g)) assert.ok(created.has(m[1]), `${m[1]} is used before the block creates it: ${line}`);
      for (const m of line.matchAll(/>\s*([\w./-]+)/g)) created.add(m[1]);
      for (const p of programs(line)) {
        assert.notEqual(p, 'open', `macOS open: ${line}`);
        if (p === 'xdg-open' || p === 'kill') continue; // desktop-only; a shell builtin
        // curl is the reader's; a CI image without it cannot check its lines (see below).
        if (p === 'curl' && !(await has('curl'))) continue;
        assert.ok(await has(p), `program ${p} not found (${line})`);
      }
      const npm = /^npm (?:run )?(\S+)/.exec(line);
      if (npm !== null && npm[1] !== 'ci') assert.ok(PKG.scripts[npm[1]] !== undefined, `npm script ${npm[1]}`);
    }
    assert.ok(created.has('big.txt'));
    assert.match(PKG.scripts.start, /main\.js start$/, 'npm start runs dhttp start');
    assert.ok(
      lines.some((l) => l.startsWith('npm start &')),
      'the cluster runs in the background, so the next lines can run',
    );
  });

  it('every line works against a real cluster', async (t) => {
    if (!(await has('curl'))) return t.skip('curl is not installed here: the README lines cannot run');
    const cwd = mkdtempSync(join(tmpdir(), 'dhttp-readme-'));
    t.after(() => rmSync(cwd, { recursive: true, force: true }));
    const cluster = await startProcess('start', ['--host', '127.0.0.1', '--port', '0', '--workers', '2', '--threads', '1'], {
      context: t,
      env: { DHTTP_LOG_LEVEL: 'warn' },
    });
    const outputs: string[] = [];
    for (const line of lines) {
      if (/^npm (ci|start)\b/.test(line) || line.startsWith('kill ')) continue; // the cluster above stands in for them
      const local = line.replaceAll('localhost:8080', `127.0.0.1:${cluster.port}`);
      if (line.startsWith('xdg-open ')) {
        const r = await call(local.split(/\s+/)[1]);
        assert.equal(r.status, 200, line);
        continue;
      }
      // --fail: an HTTP error fails the line instead of printing an error body.
      const r = await sh(local.replaceAll(/\bcurl -s\b/g, 'curl -sf'), cwd);
      assert.equal(r.code, 0, `${line}\n${r.stderr}`);
      outputs.push(r.stdout);
    }
    const text = outputs.join('\n');
    // /ready means one worker serves; the other may still be starting, so either is listed.
    assert.match(text, /"ID":"w[12]"/);
    assert.match(text, /"result":"2880067194370816120"/);
    assert.match(text, /"pi":3\.14/);
    assert.match(text, /"total_words":\d{6,}/);
    const dashboard = await call(`${cluster.url}/dashboard`);
    const sent = Number(/(\d+) bytes/.exec(text)?.[1]);
    assert.ok(
      sent > 0 && sent < dashboard.text.length / 2,
      `the dashboard goes out compressed (${sent} of ${dashboard.text.length} bytes)`,
    );
  });
});
