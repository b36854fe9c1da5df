import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandHelp, generalHelp } from '../../src/cli/help.js';
import { parseCommand } from '../../src/cli/options.js';
import { COMMANDS, COMMAND_SPECS, OPTION_GROUPS, type OptionGroup, optionsFor } from '../../src/config/schema.js';

/** Heading line → the flags listed under it, from the help text itself. */
function sections(help: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of help.split('\n')) {
    if (/^\S.*:$/.test(line)) out.set(line.slice(0, -1), (current = []));
    else if (line === '') current = undefined;
    else {
      const flag = /^ {2}(?:-\w, )?--(?:\[no-\])?([a-z0-9-]+)/.exec(line);
      if (flag !== null && current !== undefined) current.push(flag[1]);
    }
  }
  return out;
}

/** "VAR=x dhttp start --a b" → env and argv, as a shell without quoting would split it. */
function parseExample(line: string): { env: Record<string, string>; argv: string[] } {
  const words = line.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0])) {
    const [k, ...v] = (words.shift() as string).split('=');
    env[k] = v.join('=');
  }
  assert.equal(words.shift(), 'dhttp', line);
  return { env, argv: words };
}

describe('--help', () => {
  it('lists each option once, under the heading of its group, groups in the documented order', () => {
    const titles = Object.values(OPTION_GROUPS) as string[];
    for (const command of COMMANDS) {
      const found = sections(commandHelp(command));
      const groupHeadings = [...found.keys()].filter((h) => titles.includes(h));
      const expected = (Object.keys(OPTION_GROUPS) as OptionGroup[])
        .filter((g) => optionsFor(command).some((s) => s.group === g))
        .map((g) => OPTION_GROUPS[g]);
      assert.deepEqual(groupHeadings, expected, command);
      for (const spec of optionsFor(command)) {
        const under = [...found].filter(([, flags]) => flags.includes(spec.flag)).map(([h]) => h);
        assert.deepEqual(under, [OPTION_GROUPS[spec.group]], `${command} --${spec.flag}`);
      }
    }
  });

  it('a server command has the listen, limits, cluster, jobs and logging groups', () => {
    const headings = [...sections(commandHelp('start')).keys()];
    for (const g of ['listen', 'limits', 'content', 'jobs', 'cluster', 'proxy', 'health', 'logging'] as const) {
      assert.ok(headings.includes(OPTION_GROUPS[g]), g);
    }
  });

  it('ends with at least two examples per command, each one a valid command line', () => {
    for (const command of COMMANDS) {
      const examples = COMMAND_SPECS[command].examples;
      assert.ok(examples.length >= 2, command);
      const help = commandHelp(command);
      const tail = help.slice(help.indexOf('\nExamples:\n'));
      for (const e of examples) {
        assert.ok(tail.includes(`\n  ${e.line}\n`), `${command} --help shows ${e.line}`);
        const { env, argv } = parseExample(e.line);
        assert.equal(argv[0], command, e.line);
        const parsed = parseCommand(argv, env);
        assert.ok('command' in parsed && parsed.command === command, e.line);
      }
    }
  });

  it('the general help names the commands and --version', () => {
    const help = generalHelp();
    for (const c of COMMANDS) assert.match(help, new RegExp(`^ {2}${c} `, 'm'));
    assert.match(help, /-V, --version/);
  });
});
