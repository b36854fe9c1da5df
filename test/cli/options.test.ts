import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import {
  type BenchConfig,
  type ClusterConfig,
  ConfigError,
  type DispatcherConfig,
  type WorkerConfig,
  parseAs,
  parseCommand,
  workerChildArgv,
  workerChildEnv,
} from '../../src/cli/options.js';
import { formatDuration, formatSize, parseDuration, parseSize } from '../../src/config/units.js';

/** Asserts a ConfigError whose message is exactly `message` (one line). */
function rejects(argv: string[], message: string | RegExp, env: NodeJS.ProcessEnv = {}): void {
  assert.throws(
    () => parseCommand(argv, env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      assert.ok(!err.message.includes('\n'), 'message must be one line');
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

// Every interface field listed once; tsc rejects a missing or an extra key, and the run-time
// checks below compare these lists with what the schema produces. Together they keep
// config-types.ts and schema.ts in step.
const ENGINE_KEYS = {
  host: true,
  port: true,
  maxUri: true,
  maxHeaderBytes: true,
  maxHeaders: true,
  maxBody: true,
  headerTimeout: true,
  bodyTimeout: true,
  keepAliveTimeout: true,
  maxRequestsPerConnection: true,
  maxConnections: true,
  shutdownTimeout: true,
  sendTimeout: true,
  logLevel: true,
  compress: true,
  compressThreshold: true,
  tlsCert: true,
  tlsKey: true,
  tlsMinVersion: true,
  redirectHttp: true,
  logBuffer: true,
  accessLog: true,
  accessLogSample: true,
  accessLogFieldMax: true,
} as const;
const SHARED_KEYS = {
  dataDir: true,
  rateLimit: true,
  rateBurst: true,
  rateLimitClients: true,
  maxCountwordsBytes: true,
  maxWordBytes: true,
  maxDistinctWords: true,
  montecarloChunk: true,
} as const;
const TOKEN_KEYS = { clusterToken: true, clusterTokenFile: true } as const;
const POOL_KEYS = {
  www: true,
  threads: true,
  queueSize: true,
  taskTimeout: true,
  staticCacheBytes: true,
  wsMaxMessage: true,
  wsIdleTimeout: true,
} as const;
const WORKER_KEYS = {
  ...ENGINE_KEYS,
  ...SHARED_KEYS,
  ...POOL_KEYS,
  ...TOKEN_KEYS,
  register: true,
  advertise: true,
  registerInterval: true,
  id: true,
  unixSocket: true,
} as const satisfies Record<keyof WorkerConfig, true>;
const DISPATCHER_KEYS = {
  ...ENGINE_KEYS,
  ...SHARED_KEYS,
  ...TOKEN_KEYS,
  upstreams: true,
  discover: true,
  discoverInterval: true,
  balance: true,
  healthInterval: true,
  healthTimeout: true,
  healthFails: true,
  healthPasses: true,
  tryDuration: true,
  tryInterval: true,
  retries: true,
  upstreamTimeout: true,
  upstreamQueueTimeout: true,
  upstreamConnections: true,
  proxyBuffer: true,
  proxyBodyTimeout: true,
  proxyMinRate: true,
  upstreamPipelining: true,
  upstreamCa: true,
  tunnelIdleTimeout: true,
  countwordsChunk: true,
  maxRegistered: true,
  trustedProxies: true,
  statusHistory: true,
  jobsHistory: true,
  workerMetricsTimeout: true,
  workerMetricsMaxBytes: true,
} as const satisfies Record<keyof DispatcherConfig, true>;
const CLUSTER_KEYS = {
  ...DISPATCHER_KEYS,
  ...POOL_KEYS,
  workers: true,
  restartBackoff: true,
  restartBackoffMax: true,
} as const satisfies Record<keyof ClusterConfig, true>;
const BENCH_KEYS = {
  url: true,
  connections: true,
  requests: true,
  duration: true,
  warmup: true,
  method: true,
  body: true,
  header: true,
  timeout: true,
  threads: true,
  rate: true,
  pipeline: true,
  json: true,
} as const satisfies Record<keyof BenchConfig, true>;
// The reverse direction: no key the interfaces lack.
type Exact<K, T> = Exclude<keyof K, keyof T> extends never ? true : never;
const exact: [
  Exact<typeof WORKER_KEYS, WorkerConfig>,
  Exact<typeof DISPATCHER_KEYS, DispatcherConfig>,
  Exact<typeof CLUSTER_KEYS, ClusterConfig>,
  Exact<typeof BENCH_KEYS, BenchConfig>,
] = [true, true, true, true];

describe('config shape', () => {
  it('each command yields exactly the fields of its config type', () => {
    assert.deepEqual(exact, [true, true, true, true]);
    const sorted = (o: object): string[] => Object.keys(o).sort();
    assert.deepEqual(sorted(parseAs('worker', [])), sorted(WORKER_KEYS));
    assert.deepEqual(sorted(parseAs('dispatcher', [])), sorted(DISPATCHER_KEYS));
    assert.deepEqual(sorted(parseAs('start', [])), sorted(CLUSTER_KEYS));
    assert.deepEqual(sorted(parseAs('bench', ['http://127.0.0.1:1/'])), sorted(BENCH_KEYS));
  });

  it('results are frozen, nested values too', () => {
    const c = parseAs('dispatcher', ['--upstreams', 'http://a:1', '--discover', 'w:8081']);
    assert.ok(Object.isFrozen(c));
    assert.ok(Object.isFrozen(c.upstreams));
    assert.ok(Object.isFrozen(c.discover));
    const r = parseCommand(['worker'], {});
    assert.ok(Object.isFrozen(r));
  });
});

describe('defaults', () => {
  it('worker', () => {
    const c = parseAs('worker', []);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.port, 8081);
    assert.equal(c.maxUri, 8 * 1024);
    assert.equal(c.maxHeaderBytes, 16 * 1024);
    assert.equal(c.maxHeaders, 200);
    assert.equal(c.maxBody, 1024 * 1024);
    assert.equal(c.headerTimeout, 10_000);
    assert.equal(c.bodyTimeout, 30_000);
    assert.equal(c.keepAliveTimeout, 5_000);
    assert.equal(c.maxRequestsPerConnection, 1000);
    assert.equal(c.maxConnections, 20_000);
    assert.equal(c.shutdownTimeout, 10_000);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.www, resolve('www'));
    assert.equal(c.dataDir, resolve('data'));
    assert.equal(c.threads, availableParallelism());
    assert.equal(c.queueSize, 64);
    assert.equal(c.taskTimeout, 60_000);
    assert.equal(c.rateLimit, 0);
    assert.equal(c.rateBurst, 10);
    assert.equal(c.maxCountwordsBytes, 4 * 1024 ** 3);
    assert.equal(c.maxWordBytes, 1024 ** 2);
    assert.equal(c.maxDistinctWords, 1_000_000);
    assert.equal(c.montecarloChunk, 1_000_000);
    assert.equal(c.staticCacheBytes, 32 * 1024 ** 2);
    assert.deepEqual(c.register, []);
    assert.equal(c.advertise, undefined);
    assert.equal(c.registerInterval, 3_000);
    assert.equal(c.id, undefined);
    assert.equal(c.unixSocket, undefined);
  });

  it('dispatcher', () => {
    const c = parseAs('dispatcher', []);
    assert.equal(c.port, 8080);
    assert.deepEqual(c.upstreams, []);
    assert.equal(c.discover, undefined);
    assert.equal(c.discoverInterval, 5_000);
    assert.equal(c.balance, 'p2c');
    assert.equal(c.healthInterval, 1_000);
    assert.equal(c.healthTimeout, 500);
    assert.equal(c.healthFails, 2);
    assert.equal(c.healthPasses, 1);
    assert.equal(c.tryDuration, 30_000);
    assert.equal(c.tryInterval, 10);
    assert.equal(c.retries, 3);
    assert.equal(c.upstreamTimeout, 60_000);
    assert.equal(c.countwordsChunk, 4 * 1024 ** 2);
  });

  it('start', () => {
    const c = parseAs('start', []);
    assert.equal(c.port, 8080);
    assert.equal(c.workers, Math.max(2, availableParallelism()));
    assert.equal(c.threads, Math.max(1, Math.floor(availableParallelism() / c.workers)));
    assert.equal(c.restartBackoff, 250);
    assert.equal(c.restartBackoffMax, 10_000);
    assert.equal(parseAs('start', ['--threads', '3']).threads, 3);
  });

  it('rate-burst follows rate-limit unless given', () => {
    assert.equal(parseAs('worker', ['--rate-limit', '100']).rateBurst, 200);
    assert.equal(parseAs('worker', ['--rate-limit', '2']).rateBurst, 10);
    assert.equal(parseAs('worker', ['--rate-limit', '100', '--rate-burst', '5']).rateBurst, 5);
  });

  it('bench runs 10s unless -n or -d is given', () => {
    const d = parseAs('bench', ['http://127.0.0.1:8080/ping']);
    assert.equal(d.duration, 10_000);
    assert.equal(d.requests, 0);
    assert.equal(d.connections, 100);
    assert.equal(d.method, 'GET');
    assert.equal(d.timeout, 10_000);
    assert.equal(d.json, false);
    const n = parseAs('bench', ['http://127.0.0.1:8080/ping', '-n', '500']);
    assert.equal(n.duration, 0);
    assert.equal(n.requests, 500);
    rejects(['bench', 'http://127.0.0.1/', '-d', '0'], /^invalid --duration "0": must be a positive duration/);
  });
});

describe('flags and environment', () => {
  it('--flag value, --flag=value, short flags', () => {
    assert.equal(parseAs('worker', ['--queue-size', '12']).queueSize, 12);
    assert.equal(parseAs('worker', ['--queue-size=13']).queueSize, 13);
    const b = parseAs('bench', ['-c', '7', '-n5', '-d=2s', 'http://127.0.0.1:9/x?y=1']);
    assert.equal(b.connections, 7);
    assert.equal(b.requests, 5);
    assert.equal(b.duration, 2_000);
    assert.equal(b.url, 'http://127.0.0.1:9/x?y=1');
  });

  it('booleans: --flag, --no-flag, --flag=false, env', () => {
    const url = 'http://127.0.0.1:1/';
    assert.equal(parseAs('bench', [url, '--json']).json, true);
    assert.equal(parseAs('bench', [url, '--json', '--no-json']).json, false);
    assert.equal(parseAs('bench', [url, '--json=false']).json, false);
    assert.equal(parseAs('bench', [url], { DHTTP_JSON: 'true' }).json, true);
    rejects(['bench', url, '--json=maybe'], 'invalid --json "maybe": must be true or false');
    rejects(['bench', url, '--no-json=1'], 'option --no-json takes no value');
  });

  it('environment twins and PORT', () => {
    const c = parseAs('worker', [], { DHTTP_QUEUE_SIZE: '99', DHTTP_WWW: '/srv/www', DHTTP_HEADER_TIMEOUT: '2s' });
    assert.equal(c.queueSize, 99);
    assert.equal(c.www, '/srv/www');
    assert.equal(c.headerTimeout, 2_000);
    assert.equal(parseAs('start', [], { DHTTP_WORKERS: '4' }).workers, 4);
    assert.equal(parseAs('worker', [], { PORT: '9000' }).port, 9000);
    assert.equal(parseAs('dispatcher', [], { DHTTP_UPSTREAMS: 'http://a:1, http://b:2/' }).upstreams.join(' '), 'http://a:1 http://b:2');
    // An empty variable is unset, not an error.
    assert.equal(parseAs('worker', [], { DHTTP_QUEUE_SIZE: '' }).queueSize, 64);
  });

  it('precedence: flag > DHTTP_ env > PORT > default', () => {
    const env = { DHTTP_PORT: '7000', PORT: '9000' };
    assert.equal(parseAs('worker', ['--port', '6000'], env).port, 6000);
    assert.equal(parseAs('worker', [], env).port, 7000);
    assert.equal(parseAs('worker', [], { PORT: '9000' }).port, 9000);
    assert.equal(parseAs('worker', ['--port=6000'], { PORT: '9000' }).port, 6000);
    assert.equal(parseAs('worker', []).port, 8081);
  });

  it('the last of repeated scalar flags wins; lists collect', () => {
    assert.equal(parseAs('worker', ['--threads', '2', '--threads', '3']).threads, 3);
    const d = parseAs('dispatcher', ['--upstreams', 'http://a:1,http://b:2', '--upstreams=http://c:3']);
    assert.deepEqual(d.upstreams, ['http://a:1', 'http://b:2', 'http://c:3']);
    const b = parseAs('bench', ['http://127.0.0.1/', '-H', 'X-A: 1, 2', '--header', 'Accept: */*']);
    assert.deepEqual(b.header, ['X-A: 1, 2', 'Accept: */*']);
    assert.deepEqual(parseAs('bench', ['http://127.0.0.1/'], { DHTTP_HEADER: 'X-A: 1\nX-B: 2' }).header, ['X-A: 1', 'X-B: 2']);
  });

  it('unknown flags, commands and arguments', () => {
    rejects(
      ['worker', '--queue-sise', '3'],
      'unknown option --queue-sise for "dhttp worker"; did you mean --queue-size? (see dhttp worker --help)',
    );
    rejects(['worker', '--upstreams', 'http://a:1'], /^unknown option --upstreams for "dhttp worker"/);
    rejects(['worker', '-x'], /^unknown option -x/);
    rejects(['serve'], 'unknown command "serve": must be one of start, worker, dispatcher, bench');
    rejects(['worker', 'extra'], /^unexpected argument "extra" for "dhttp worker"/);
    rejects(['bench'], 'missing URL: usage is dhttp bench URL [options]');
    rejects(['bench', 'ftp://x/'], 'invalid URL "ftp://x/": must be an http:// URL');
    rejects(['bench', 'https://x/'], /^invalid URL "https:\/\/x": must be an http:\/\/ URL/);
    rejects(['worker', '--port'], 'missing value for --port: must be followed by a value');
    rejects(['worker', '--port', '--threads', '2'], 'missing value for --port: must be followed by a value');
  });

  it('-- ends options', () => {
    assert.equal(parseAs('bench', ['-n', '1', '--', 'http://127.0.0.1:1/']).url, 'http://127.0.0.1:1');
  });
});

describe('types and their error lines', () => {
  it('int', () => {
    rejects(['worker', '--queue-size', 'abc'], 'invalid --queue-size "abc": must be an integer in [0, 100000]');
    rejects(['worker', '--queue-size', '1.5'], 'invalid --queue-size "1.5": must be an integer in [0, 100000]');
    rejects(['worker', '--queue-size', '100001'], 'invalid --queue-size "100001": must be an integer in [0, 100000]');
    rejects(['worker'], 'invalid DHTTP_QUEUE_SIZE "-1": must be an integer in [0, 100000]', { DHTTP_QUEUE_SIZE: '-1' });
    rejects(['worker'], 'invalid PORT "http": must be an integer in [0, 65535]', { PORT: 'http' });
    assert.equal(parseAs('worker', ['--montecarlo-chunk', '1e6']).montecarloChunk, 1_000_000);
    assert.equal(parseAs('worker', ['--max-requests-per-connection', '0']).maxRequestsPerConnection, 0);
  });

  it('number', () => {
    assert.equal(parseAs('worker', ['--rate-limit', '2.5']).rateLimit, 2.5);
    rejects(['worker', '--rate-limit', 'lots'], 'invalid --rate-limit "lots": must be a number in [0.01, 1000000000], or 0 (off)');
  });

  it('duration', () => {
    assert.equal(parseAs('worker', ['--header-timeout', '250ms']).headerTimeout, 250);
    assert.equal(parseAs('worker', ['--header-timeout', '1m']).headerTimeout, 60_000);
    assert.equal(parseAs('worker', ['--header-timeout', '1.5s']).headerTimeout, 1_500);
    assert.equal(parseAs('worker', ['--task-timeout', '0']).taskTimeout, 0);
    rejects(
      ['worker', '--header-timeout', '10'],
      'invalid --header-timeout "10": must be a duration with a unit (ms, s, m, h) in [1ms, 1h]',
    );
    rejects(['worker', '--header-timeout', '0'], 'invalid --header-timeout "0": must be a duration with a unit (ms, s, m, h) in [1ms, 1h]');
    rejects(['worker', '--header-timeout', '2h'], /^invalid --header-timeout "2h"/);
    rejects(
      ['worker', '--task-timeout', 'soon'],
      'invalid --task-timeout "soon": must be a duration with a unit (ms, s, m, h) in [1ms, 24h], or 0 (off)',
    );
    rejects(['start', '--restart-backoff', '20s'], 'invalid --restart-backoff "20s": must not exceed --restart-backoff-max');
  });

  it('size', () => {
    assert.equal(parseAs('worker', ['--max-body', '8KiB']).maxBody, 8192);
    assert.equal(parseAs('worker', ['--max-body', '1MB']).maxBody, 1_000_000);
    assert.equal(parseAs('worker', ['--max-body', '123']).maxBody, 123);
    assert.equal(parseAs('worker', ['--max-countwords-bytes', '4GiB']).maxCountwordsBytes, 4 * 1024 ** 3);
    assert.equal(parseAs('dispatcher', ['--max-word-bytes', '64KiB']).maxWordBytes, 64 * 1024);
    assert.equal(parseAs('worker', ['--max-body', '2m']).maxBody, 2 * 1024 ** 2);
    rejects(
      ['worker', '--max-body', '1XB'],
      'invalid --max-body "1XB": must be a size in bytes, optionally with a unit (KiB, MiB, GiB, KB, MB, GB) in [0, 1TiB]',
    );
    rejects(['worker', '--max-uri', '10'], /^invalid --max-uri "10": .* in \[64, 1MiB\]$/);
  });

  it('enum', () => {
    assert.equal(parseAs('dispatcher', ['--balance', 'round-robin']).balance, 'round-robin');
    rejects(['dispatcher', '--balance', 'random'], 'invalid --balance "random": must be one of round-robin, least-load, p2c');
    rejects(
      ['worker', '--log-level', 'verbose'],
      'invalid --log-level "verbose": must be one of fatal, error, warn, info, debug, trace, silent',
    );
  });

  it('url and list of urls', () => {
    assert.deepEqual(parseAs('worker', ['--register', 'http://dispatcher:8080/']).register, ['http://dispatcher:8080']);
    assert.deepEqual(parseAs('worker', ['--register', 'http://d1:8080,https://d2:8443/', '--register=http://d3:8080']).register, [
      'http://d1:8080',
      'https://d2:8443',
      'http://d3:8080',
    ]);
    assert.deepEqual(parseAs('worker', [], { DHTTP_REGISTER: 'http://d1:8080, http://d2:8080' }).register, [
      'http://d1:8080',
      'http://d2:8080',
    ]);
    rejects(
      ['worker', '--register', 'dispatcher:8080'],
      'invalid --register "dispatcher:8080": must be comma-separated http:// or https:// URLs without query or fragment',
    );
    rejects(
      ['worker', '--register', 'http://d1:8080,ftp://d2'],
      'invalid --register "ftp://d2": must be comma-separated http:// or https:// URLs without query or fragment',
    );
    const allowed = 'must be comma-separated http(s)://host:port origins or unix:/absolute/socket/paths (at most 100 bytes)';
    rejects(['dispatcher', '--upstreams', 'http://a:1,nope'], `invalid --upstreams "nope": ${allowed}`);
    // Workers may serve TLS: https:// upstreams are accepted (trusted with --upstream-ca).
    assert.deepEqual(parseAs('dispatcher', ['--upstreams', 'https://a:1']).upstreams, ['https://a:1']);
    rejects(['dispatcher', '--upstreams', 'http://a:1/api'], `invalid --upstreams "http://a:1/api": ${allowed}`);
  });

  it('upstreams on Unix-domain sockets: unix: and an absolute path of at most 100 bytes', () => {
    const path = `/${'s'.repeat(99)}`;
    const d = parseAs('dispatcher', ['--upstreams', `http://a:1,unix:/run/w1.sock,unix:${path}`]);
    assert.deepEqual(d.upstreams, ['http://a:1', 'unix:/run/w1.sock', `unix:${path}`]);
    assert.deepEqual(parseAs('dispatcher', [], { DHTTP_UPSTREAMS: 'unix:/tmp/a.sock' }).upstreams, ['unix:/tmp/a.sock']);
    for (const bad of ['unix:run/w1.sock', 'unix:', `unix:${path}x`, 'unix:/tmp/caf\u00e9.sock']) {
      rejects(['dispatcher', '--upstreams', bad], /^invalid --upstreams ".*": must be comma-separated/);
    }
  });

  it('host:port', () => {
    assert.deepEqual(parseAs('dispatcher', ['--discover', 'worker:8081']).discover, { host: 'worker', port: 8081 });
    assert.deepEqual(parseAs('dispatcher', ['--discover', '[::1]:8081']).discover, { host: '::1', port: 8081 });
    rejects(['dispatcher', '--discover', 'worker'], 'invalid --discover "worker": must be host:port with a port in [1, 65535]');
    rejects(['dispatcher', '--discover', 'worker:0'], /^invalid --discover "worker:0"/);
  });

  it('string with a pattern, and paths', () => {
    assert.equal(parseAs('worker', ['--id', 'w-1']).id, 'w-1');
    rejects(['worker', '--id', 'a b'], 'invalid --id "a b": must be 1–64 characters of [A-Za-z0-9._:-]');
    assert.equal(parseAs('worker', ['--data-dir', 'x/y']).dataDir, resolve('x/y'));
    rejects(['bench', 'http://127.0.0.1/', '--method', 'GE T'], 'invalid --method "GE T": must be an HTTP method token');
    rejects(['bench', 'http://127.0.0.1/', '-H', 'nocolon'], 'invalid -H "nocolon": must be "Name: value"');
  });

  it('--unix-socket: absolute, at most 100 bytes, worker only', () => {
    assert.equal(parseAs('worker', ['--unix-socket', '/run/dhttp/w1.sock']).unixSocket, '/run/dhttp/w1.sock');
    assert.equal(parseAs('worker', [], { DHTTP_UNIX_SOCKET: '/tmp/w.sock' }).unixSocket, '/tmp/w.sock');
    assert.equal(parseAs('worker', ['--unix-socket', `/${'x'.repeat(99)}`]).unixSocket?.length, 100);
    const allowed = 'must be an absolute path of at most 100 bytes (printable ASCII)';
    rejects(['worker', '--unix-socket', 'w.sock'], `invalid --unix-socket "w.sock": ${allowed}`);
    rejects(['worker', '--unix-socket', `/${'x'.repeat(100)}`], `invalid --unix-socket "/${'x'.repeat(100)}": ${allowed}`);
    // Non-ASCII would make characters and bytes differ; refused rather than miscounted.
    rejects(['worker', '--unix-socket', '/tmp/é.sock'], /^invalid --unix-socket/);
    rejects(['start', '--unix-socket', '/tmp/w.sock'], /^unknown option --unix-socket for "dhttp start"/);
  });

  it('--cluster-token: a bearer token of 16-1024 characters, from a flag, the environment or a file', (t) => {
    const token = 'a'.repeat(16);
    const tokenOf = (argv: string[], env: NodeJS.ProcessEnv = {}): unknown => {
      const parsed = parseCommand(argv, env);
      return 'config' in parsed && 'clusterToken' in parsed.config ? parsed.config.clusterToken : 'no field';
    };
    for (const command of ['worker', 'dispatcher', 'start']) {
      assert.equal(tokenOf([command, '--cluster-token', token]), token);
      assert.equal(tokenOf([command], { DHTTP_CLUSTER_TOKEN: token }), token);
      assert.equal(tokenOf([command]), undefined);
    }
    rejects(['dispatcher', '--cluster-token', 'short'], /^invalid --cluster-token "short": must be 16–1024 characters/);
    rejects(['dispatcher', '--cluster-token', `${token} x`], /^invalid --cluster-token/);

    const dir = mkdtempSync(join(tmpdir(), 'dhttp-token-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'token');
    writeFileSync(file, `${token}\n`);
    const fromFile = parseAs('dispatcher', ['--cluster-token-file', file]);
    assert.equal(fromFile.clusterToken, token, 'the trailing newline is trimmed');
    assert.equal(fromFile.clusterTokenFile, file);
    assert.equal(parseAs('worker', [], { DHTTP_CLUSTER_TOKEN_FILE: file }).clusterToken, token);

    const missing = join(dir, 'nope');
    rejects(
      ['dispatcher', '--cluster-token-file', missing],
      `invalid --cluster-token-file ${JSON.stringify(missing)}: cannot read it (ENOENT)`,
    );
    rejects(['dispatcher', '--cluster-token-file', dir], `invalid --cluster-token-file ${JSON.stringify(dir)}: not a regular file`);
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    rejects(['worker', '--cluster-token-file', empty], `invalid --cluster-token-file ${JSON.stringify(empty)}: the file is empty`);
    const spaced = join(dir, 'spaced');
    writeFileSync(spaced, 'secret with spaces in it\n');
    assert.throws(
      () => parseCommand(['dispatcher', '--cluster-token-file', spaced], {}),
      (err: unknown) => err instanceof ConfigError && /its content must be/.test(err.message) && !err.message.includes('secret'),
      'names the file, never its content',
    );
    rejects(['dispatcher'], /^invalid DHTTP_CLUSTER_TOKEN_FILE ".*": cannot read it \(ENOENT\)$/, { DHTTP_CLUSTER_TOKEN_FILE: missing });
    rejects(
      ['dispatcher', '--cluster-token', token, '--cluster-token-file', file],
      'invalid --cluster-token-file: give the cluster token or a file holding it, not both',
    );
  });

  it('--trusted-proxies: IPv4 and IPv6 addresses and CIDRs, checked at start', () => {
    assert.deepEqual(parseAs('dispatcher', []).trustedProxies, []);
    assert.deepEqual(
      parseAs('dispatcher', ['--trusted-proxies', '10.0.0.0/8, 192.168.1.7,fd00::/8', '--trusted-proxies', '::1']).trustedProxies,
      ['10.0.0.0/8', '192.168.1.7/32', 'fd00::/8', '::1/128'],
    );
    assert.deepEqual(parseAs('start', [], { DHTTP_TRUSTED_PROXIES: '172.16.0.0/12,2001:db8::/32' }).trustedProxies, [
      '172.16.0.0/12',
      '2001:db8::/32',
    ]);
    const allowed = 'must be comma-separated IPv4 or IPv6 addresses or CIDRs (10.0.0.0/8, fd00::/8)';
    rejects(['dispatcher', '--trusted-proxies', '10.0.0.0/33'], `invalid --trusted-proxies "10.0.0.0/33": ${allowed}`);
    rejects(['dispatcher', '--trusted-proxies', '10.0.0.0/8,proxy.local'], `invalid --trusted-proxies "proxy.local": ${allowed}`);
    rejects(['dispatcher', '--trusted-proxies', 'fd00::/129'], `invalid --trusted-proxies "fd00::/129": ${allowed}`);
    rejects(['dispatcher', '--trusted-proxies', '10.0.0.1/'], `invalid --trusted-proxies "10.0.0.1/": ${allowed}`);
    rejects(['worker', '--trusted-proxies', '10.0.0.1'], /^unknown option --trusted-proxies for "dhttp worker"/);
  });

  it('units round-trip', () => {
    for (const ms of [0, 1, 10, 250, 1000, 1500, 60_000, 90_000, 3_600_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }
    for (const b of [0, 1, 1000, 1024, 8192, 1_000_000, 1024 ** 2, 3 * 1024 ** 3]) {
      assert.equal(parseSize(formatSize(b)), b);
    }
    assert.equal(parseDuration('5'), undefined);
    assert.equal(parseDuration('0.5ms'), undefined);
  });
});

describe('workerChildArgv', () => {
  it('round-trips the start config through the worker parser', () => {
    const cluster = parseAs(
      'start',
      [
        '--workers',
        '3',
        '--threads',
        '2',
        '--queue-size',
        '7',
        '--max-body',
        '3MiB',
        '--header-timeout',
        '1500ms',
        '--www',
        'public',
        '--task-timeout',
        '0',
        '--cluster-token',
        'not-for-children-0123456789',
        '--log-level',
        'warn',
        '--rate-limit',
        '50',
        '--port',
        '9999',
        '--keep-alive-timeout',
        '300ms',
      ],
      { DHTTP_DATA_DIR: '/tmp/dhttp-data', DHTTP_MAX_HEADERS: '50' },
    );
    const args = workerChildArgv(cluster, { id: 'w2', register: 'http://127.0.0.1:9999' });
    // Children inherit nothing through the environment.
    const worker = parseAs('worker', args, { DHTTP_QUEUE_SIZE: '1' });
    assert.equal(worker.queueSize, 7);
    assert.equal(worker.host, '127.0.0.1');
    assert.equal(worker.port, 0);
    assert.equal(worker.id, 'w2');
    assert.deepEqual(worker.register, ['http://127.0.0.1:9999']);
    assert.equal(worker.rateLimit, 0, 'the dispatcher rate-limits, not the workers');
    assert.ok(!args.some((a) => a.startsWith('--cluster-token')), 'the token never goes on a child command line');
    assert.equal(cluster.keepAliveTimeout, 300);
    assert.equal(worker.keepAliveTimeout, 5_000, "the clients' keep-alive is not the dispatcher pool's");
    assert.equal(cluster.maxRequestsPerConnection, 1000);
    assert.equal(worker.maxRequestsPerConnection, 1e9, "the pool's connections to a child are never recycled");
    for (const key of [
      ...Object.keys(ENGINE_KEYS),
      ...Object.keys(POOL_KEYS),
      'dataDir',
      'maxCountwordsBytes',
      'maxWordBytes',
      'maxDistinctWords',
      'montecarloChunk',
    ] as const) {
      if (key === 'host' || key === 'port' || key === 'keepAliveTimeout' || key === 'maxRequestsPerConnection') continue;
      assert.deepEqual(worker[key as keyof WorkerConfig], cluster[key as keyof ClusterConfig], key);
    }
    assert.equal(worker.dataDir, '/tmp/dhttp-data');
    assert.equal(worker.maxHeaders, 50);
    assert.equal(worker.www, resolve('public'));
    assert.equal(worker.taskTimeout, 0);
  });

  it('child env drops DHTTP_* and PORT only', () => {
    assert.deepEqual(workerChildEnv({ PATH: '/bin', PORT: '1', DHTTP_WORKERS: '3', HOME: '/h' }), { PATH: '/bin', HOME: '/h' });
  });
});
