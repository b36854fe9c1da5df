import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commandHelp, configurationMarkdown, generalHelp } from '../../src/cli/help.js';
import { parseCommand } from '../../src/cli/options.js';
import { COMMANDS, envName, optionsFor } from '../../src/config/schema.js';
import { projectRoot } from '../helpers/paths.js';

describe('help', () => {
  it('every command lists every option with its env twin and default', () => {
    for (const command of COMMANDS) {
      const result = parseCommand([command, '--help'], {});
      assert.ok('help' in result);
      assert.equal(result.help, commandHelp(command));
      assert.match(result.help, new RegExp(`^Usage: dhttp ${command}`));
      for (const spec of optionsFor(command)) {
        const flag = spec.type === 'bool' ? `--[no-]${spec.flag}` : `--${spec.flag} `;
        assert.ok(result.help.includes(flag), `${command} --help lacks ${flag}`);
        assert.ok(result.help.includes(envName(spec)), `${command} --help lacks ${envName(spec)}`);
      }
    }
    const worker = commandHelp('worker');
    assert.match(worker, /--queue-size <n> +Compute tasks waiting/);
    assert.match(worker, /default: 64 · env: DHTTP_QUEUE_SIZE · allowed: 0–100000/);
    assert.match(worker, /env: DHTTP_PORT, PORT/);
    assert.match(commandHelp('bench'), /-c, --connections <n>/);
    assert.match(commandHelp('bench'), /--\[no-\]json/);
  });

  it('-h, help <command> and no command', () => {
    assert.deepEqual(parseCommand(['worker', '-h'], {}), { help: commandHelp('worker') });
    assert.deepEqual(parseCommand(['help', 'bench'], {}), { help: commandHelp('bench') });
    assert.deepEqual(parseCommand([], {}), { help: generalHelp() });
    assert.deepEqual(parseCommand(['--help'], {}), { help: generalHelp() });
    // Help wins even after a bad value: asking for help should not need a valid command line.
    assert.deepEqual(parseCommand(['worker', '--help', '--port', 'x'], {}), { help: commandHelp('worker') });
  });
});

describe('docs/configuration.md', () => {
  it('equals the text generated from the schema', () => {
    const file = join(projectRoot(), 'docs', 'configuration.md');
    const expected = configurationMarkdown();
    if (process.env.UPDATE_DOCS === '1') writeFileSync(file, expected);
    assert.equal(readFileSync(file, 'utf8'), expected, 'regenerate: UPDATE_DOCS=1 node --import tsx --test test/cli/docs.test.ts');
  });

  it('mentions every flag and env twin', () => {
    const md = configurationMarkdown();
    for (const command of COMMANDS) {
      for (const spec of optionsFor(command)) {
        assert.ok(md.includes(spec.type === 'bool' ? `--[no-]${spec.flag}` : `--${spec.flag} `), spec.flag);
        assert.ok(md.includes(envName(spec)));
      }
    }
  });
});
