/**
 * --help text and docs/configuration.md, both generated from the schema so neither can
 * drift from what the parser accepts.
 */
import {
  COMMANDS,
  COMMAND_SPECS,
  OPTIONS,
  OPTION_GROUPS,
  type CommandName,
  type OptionGroup,
  type OptionSpec,
  defaultFor,
  envName,
  optionsFor,
} from '../config/schema.js';
import { allowedShort, formatValue } from '../config/values.js';

const WIDTH = 100;
const FLAG_COLUMN = 36;

const PLACEHOLDER: Readonly<Record<OptionSpec['type'], string>> = Object.freeze({
  int: '<n>',
  number: '<n>',
  bool: '',
  string: '<string>',
  path: '<path>',
  duration: '<duration>',
  size: '<size>',
  enum: '<name>',
  list: '<list>',
  url: '<url>',
  'host:port': '<host:port>',
});

/** Enums this short show their values as the placeholder: `--compress <on|off>`. */
const SPELLED_ENUM_CHARS = 8;

function placeholderOf(spec: OptionSpec): string {
  if (spec.type === 'list') return spec.item === 'upstream' ? '<addresses>' : spec.item === 'url' ? '<urls>' : '<value>';
  const values = spec.values?.join('|') ?? '';
  if (spec.type === 'enum' && values.length <= SPELLED_ENUM_CHARS) return `<${values}>`;
  return PLACEHOLDER[spec.type];
}

export function flagSpelling(spec: OptionSpec): string {
  const placeholder = placeholderOf(spec);
  const long = spec.type === 'bool' ? `--[no-]${spec.flag}` : `--${spec.flag} ${placeholder}`;
  return spec.short !== undefined ? `-${spec.short}, ${long}` : long;
}

/** The default as a user would type it, or the words for a computed one. */
export function defaultText(spec: OptionSpec, command?: CommandName): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  const show = (v: ReturnType<typeof defaultFor>): string => {
    if (v === undefined) return 'unset';
    if (Array.isArray(v) && v.length === 0) return 'none';
    return formatValue(spec, v);
  };
  if (command !== undefined) return show(defaultFor(spec, command));
  const special = Object.entries(spec.defaultFor ?? {});
  if (special.length === 0) return show(spec.default);
  const others = spec.commands.filter((c) => spec.defaultFor?.[c] === undefined);
  const parts = special.map(([c, v]) => `${show(v)} (${c})`);
  if (others.length > 0) parts.unshift(`${show(spec.default)} (${others.join(', ')})`);
  return parts.join(', ');
}

function envText(spec: OptionSpec): string {
  return spec.key === 'port' ? `${envName(spec)}, PORT` : envName(spec);
}

function wrap(text: string, indent: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent + line.length + 1 + word.length > WIDTH) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function optionLines(command: CommandName, spec: OptionSpec): string[] {
  const pad = ' '.repeat(FLAG_COLUMN);
  const flag = `  ${flagSpelling(spec)}`;
  const help = wrap(spec.help.replaceAll('`', ''), FLAG_COLUMN);
  const first = flag.length < FLAG_COLUMN ? flag.padEnd(FLAG_COLUMN) + help[0] : `${flag}\n${pad}${help[0]}`;
  const facts = [`default: ${defaultText(spec, command)}`, `env: ${envText(spec)}`];
  if (spec.type !== 'path' && spec.type !== 'bool' && (spec.type !== 'string' || spec.pattern !== undefined)) {
    facts.push(`allowed: ${allowedShort(spec)}`);
  }
  return [first, ...help.slice(1).map((l) => pad + l), ...wrap(facts.join(' · '), FLAG_COLUMN).map((l) => pad + l)];
}

/** The groups that have options, in OPTION_GROUPS order, each with its options in table order. */
function grouped(specs: readonly OptionSpec[]): [OptionGroup, OptionSpec[]][] {
  return (Object.keys(OPTION_GROUPS) as OptionGroup[])
    .map((g): [OptionGroup, OptionSpec[]] => [g, specs.filter((s) => s.group === g)])
    .filter(([, list]) => list.length > 0);
}

export function commandHelp(command: CommandName): string {
  const cmd = COMMAND_SPECS[command];
  const pos = cmd.positionals.map((p) => ` ${p.name}`).join('');
  const out = [`Usage: dhttp ${command}${pos} [options]`, '', cmd.summary, ''];
  for (const p of cmd.positionals) out.push(`  ${p.name.padEnd(FLAG_COLUMN - 2)}${p.help}`);
  if (cmd.positionals.length > 0) out.push('');
  out.push('Options (flag > environment twin > default; durations need a unit: 250ms, 5s, 1m, 1h).', '');
  for (const [group, specs] of grouped(optionsFor(command))) {
    out.push(`${OPTION_GROUPS[group]}:`);
    for (const spec of specs) out.push(...optionLines(command, spec));
    out.push('');
  }
  out.push(`  ${'-h, --help'.padEnd(FLAG_COLUMN - 2)}Show this help.`);
  out.push(`  ${'-V, --version'.padEnd(FLAG_COLUMN - 2)}Show the version of dhttp and of Node.js.`, '');
  out.push('Examples:');
  for (const e of cmd.examples) out.push(`  ${e.line}`, ...wrap(e.does, 6).map((l) => `      ${l}`));
  out.push('');
  return out.join('\n');
}

export function generalHelp(): string {
  const out = ['Usage: dhttp <command> [options]', '', 'Commands:'];
  for (const c of COMMANDS) out.push(`  ${c.padEnd(12)}${COMMAND_SPECS[c].summary}`);
  out.push(
    '',
    'Options:',
    `  ${'-h, --help'.padEnd(16)}Show this help.`,
    `  ${'-V, --version'.padEnd(16)}Show the version of dhttp and of Node.js.`,
  );
  out.push('', 'Run "dhttp <command> --help" for its options and examples. See docs/configuration.md.', '');
  return out.join('\n');
}

const INTRO = `# Configuration

<!-- Generated from src/config/schema.ts by configurationMarkdown() in src/cli/help.ts.
     Do not edit by hand: test/cli/docs.test.ts fails when this file differs;
     regenerate with UPDATE_DOCS=1 node --import tsx --test test/cli/docs.test.ts -->

Commands: \`dhttp start\` (embedded cluster), \`dhttp worker\`, \`dhttp dispatcher\`,
\`dhttp bench URL\`. \`dhttp <command> --help\` prints the options below for one command.

## How options are read

- Flags: \`--flag value\` or \`--flag=value\`; booleans \`--flag\` / \`--no-flag\`; \`--\` ends the options.
  A flag given twice keeps its last value, except lists, which collect every occurrence.
- Every flag has an environment twin \`DHTTP_<FLAG>\` (\`--queue-size\` ⇒ \`DHTTP_QUEUE_SIZE\`);
  \`PORT\` also sets \`--port\`. Precedence: flag > \`DHTTP_\` variable > \`PORT\` > default.
  An empty variable counts as unset.
- Durations need a unit: \`250ms\`, \`5s\`, \`1m\`, \`1h\` (\`0\` needs none and is accepted only where
  the table says what it means).
- Sizes are bytes, optionally with a unit: \`KiB\`, \`MiB\`, \`GiB\`, \`TiB\` (powers of 1024, also
  \`k\`, \`m\`, \`g\` as in nginx) or \`KB\`, \`MB\`, \`GB\`, \`TB\` (powers of 1000).
- Paths are resolved against the working directory at start.
- A \`DHTTP_\` variable that names no option of any command is reported once at start
  (\`dhttp: warning: unknown variable DHTTP_WORKRS; did you mean DHTTP_WORKERS? (ignored)\`).
- Everything is validated at start. A bad value, an unknown flag or an unexpected argument
  exits with status 2 and one line naming the field, the value and what is allowed, e.g.
  \`invalid --queue-size "abc": must be an integer in [0, 100000]\`.
- \`dhttp start\` passes its worker options (\`--www\`, \`--data-dir\`, \`--threads\`, \`--queue-size\`,
  \`--task-timeout\`, \`--static-cache-bytes\`, \`--montecarlo-chunk\`, \`--max-countwords-bytes\`, \`--max-word-bytes\`, \`--max-distinct-words\`,
  the engine limits, \`--compress\`, \`--compress-threshold\` and \`--log-level\`) on to its workers as flags, whether they came from flags
  or the environment. Its workers listen on \`127.0.0.1\`, ephemeral ports, and do not rate-limit
  (the dispatcher does, per client address); \`--keep-alive-timeout\` and
  \`--max-requests-per-connection\` are for the cluster's clients: toward the dispatcher's
  connection pool the workers keep the default keep-alive timeout and never recycle a
  connection (a close after the Nth answer would cut the requests pipelined behind it).

## Choices where SPEC.md is silent

- \`--max-requests-per-connection\` 1000 and \`--max-connections\` 20000 follow nginx's
  \`keepalive_requests\` and a typical \`worker_connections\` × cores.
- \`--shutdown-timeout\` 10s: long enough for ordinary requests, short enough for orchestrators'
  default grace periods (Docker 10s, Kubernetes 30s).
- \`--rate-burst\` defaults to max(10, 2 × \`--rate-limit\`): short bursts of page assets pass.
- \`--threads\` under \`dhttp start\` defaults to max(1, ⌊cores / workers⌋) so the cluster does not
  run workers × cores compute threads.
- \`--upstream-timeout\` 60s like nginx \`proxy_read_timeout\`; \`--retries\` 3.
- \`--restart-backoff\` starts at 250ms and doubles per crash in a row up to \`--restart-backoff-max\`.
- \`--compress-threshold\` 1KiB: below about a kilobyte gzip's and brotli's framing eats most of the
  gain (nginx's \`gzip_min_length\` is 20 bytes, Cloudflare's threshold is about 1KB).
- \`dhttp bench\` runs for 10s when neither \`-n\` nor \`-d\` is given; \`-n\` counts responses and errors.
`;

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** docs/configuration.md, byte for byte. Independent of the machine it runs on. */
export function configurationMarkdown(): string {
  const out = [INTRO];
  for (const [group, specs] of grouped(OPTIONS)) {
    out.push(`## ${OPTION_GROUPS[group]}`, '');
    if (group === 'load') out.push('`dhttp bench URL`: `URL` (positional) is the http:// URL to load.', '');
    out.push('| option | environment | default | allowed | commands | meaning |', '|---|---|---|---|---|---|');
    for (const spec of specs) {
      const allowed = allowedShort(spec);
      out.push(
        `| \`${cell(flagSpelling(spec))}\` | \`${cell(envText(spec))}\` | ${cell(defaultText(spec))} | ${cell(allowed)} | ${COMMANDS.filter((c) => spec.commands.includes(c)).join(', ')} | ${cell(spec.help)} |`,
      );
    }
    out.push('');
  }
  out.push('## Examples', '');
  for (const c of COMMANDS) {
    out.push('```sh');
    for (const e of COMMAND_SPECS[c].examples) out.push(`# ${e.does}`, e.line);
    out.push('```', '');
  }
  return out.join('\n');
}
