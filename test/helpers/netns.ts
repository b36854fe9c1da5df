/**
 * A small network of test hosts on one machine: one network namespace per host, each with
 * an `eth0` veth whose other end is a port of a bridge that lives in a namespace of its
 * own (the switch), so nothing is added to the machine's own network. Faults are applied
 * at the switch: `blackhole` detaches a host's port from the bridge (its packets go
 * nowhere, nothing is reset and both ends keep their carrier), `restore` attaches it
 * again, `linkDown`/`linkUp` take the port down (the host sees its carrier go).
 *
 * Needs root and iproute2's `ip netns`. Names carry the creating PID, so namespaces left by
 * a run that died are removed by the next one; everything is also removed on `destroy`, on
 * process exit, and every `ip` call is bounded in time.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PREFIX = 'dhttp-lab-';
const IP_TIMEOUT_MS = 10_000;

async function ip(...args: string[]): Promise<string> {
  const { stdout } = await run('ip', args, { timeout: IP_TIMEOUT_MS });
  return stdout;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function namespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** Why the lab cannot run here, or undefined when it can. */
export async function labUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)';
  const probe = `${PREFIX}probe-${process.pid}`;
  try {
    await ip('netns', 'add', probe);
    await ip('-n', probe, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', probe, 'link', 'add', 'probe0', 'type', 'veth', 'peer', 'name', 'probe1');
  } catch (err) {
    return `ip netns, bridge or veth unavailable: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await ip('netns', 'del', probe).catch(() => undefined);
  }
  return undefined;
}

/** Removes namespaces of earlier runs whose process is gone (a crashed or killed run). */
async function sweepStale(): Promise<void> {
  for (const name of namespaces()) {
    const m = /^dhttp-lab-(\d+)-/.exec(name);
    if (m !== null && !alive(Number(m[1]))) await ip('netns', 'del', name).catch(() => undefined);
  }
}

export interface Host {
  readonly name: string;
  /** Namespace name. */
  readonly ns: string;
  readonly address: string;
}

const labs = new Set<Lab>();
process.on('exit', () => {
  for (const lab of labs) lab.destroySync();
});

export class Lab {
  readonly #id: string;
  readonly #switch: string;
  readonly #hosts = new Map<string, Host>();
  readonly #procs = new Set<ChildProcess>();
  #destroyed = false;

  private constructor(id: string) {
    this.#id = id;
    this.#switch = `${PREFIX}${id}-sw`;
  }

  /** Creates the switch and one host per name, at `${subnet}.${10 + i}/24`. */
  static async create(hostNames: readonly string[], subnet = '10.213.7'): Promise<Lab> {
    await sweepStale();
    const lab = new Lab(`${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
    labs.add(lab);
    try {
      await ip('netns', 'add', lab.#switch);
      await ip('-n', lab.#switch, 'link', 'add', 'br0', 'type', 'bridge');
      await ip('-n', lab.#switch, 'link', 'set', 'br0', 'up');
      let i = 0;
      for (const name of hostNames) await lab.#addHost(name, `${subnet}.${10 + i++}`);
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  async #addHost(name: string, address: string): Promise<void> {
    const ns = `${PREFIX}${this.#id}-${name}`;
    const port = this.#port(name);
    await ip('netns', 'add', ns);
    this.#hosts.set(name, { name, ns, address });
    // Both ends are created directly in their namespaces: no name is taken in the host's.
    await ip('-n', this.#switch, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await ip('-n', this.#switch, 'link', 'set', port, 'master', 'br0');
    await ip('-n', this.#switch, 'link', 'set', port, 'up');
    await ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
  }

  #port(name: string): string {
    return `p-${name}`.slice(0, 15);
  }

  host(name: string): Host {
    const h = this.#hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name}`);
    return h;
  }

  /** Runs `command` inside the host's namespace; the child is killed on destroy. */
  spawn(name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.host(name).ns, command, ...args], {
      env: env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#procs.add(child);
    child.once('exit', () => this.#procs.delete(child));
    return child;
  }

  /** Detaches the host's switch port from the bridge: a silent black hole, carrier kept. */
  async blackhole(name: string): Promise<void> {
    await ip('-n', this.#switch, 'link', 'set', this.#port(name), 'nomaster');
  }

  async restore(name: string): Promise<void> {
    await ip('-n', this.#switch, 'link', 'set', this.#port(name), 'master', 'br0');
  }

  /** Takes the host's switch port down: the host loses its carrier. */
  async linkDown(name: string): Promise<void> {
    await ip('-n', this.#switch, 'link', 'set', this.#port(name), 'down');
  }

  async linkUp(name: string): Promise<void> {
    await ip('-n', this.#switch, 'link', 'set', this.#port(name), 'up');
  }

  /** Kills every process started here, then removes every namespace (and so every link). */
  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const exits = [...this.#procs].map(
      (p) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve()))),
    );
    for (const p of this.#procs) p.kill('SIGKILL');
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000))]);
    for (const h of this.#hosts.values()) await ip('netns', 'del', h.ns).catch(() => undefined);
    await ip('netns', 'del', this.#switch).catch(() => undefined);
    labs.delete(this);
  }

  /** For process exit: no promise will be awaited any more. */
  destroySync(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const p of this.#procs) p.kill('SIGKILL');
    for (const ns of [...[...this.#hosts.values()].map((h) => h.ns), this.#switch]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { timeout: IP_TIMEOUT_MS, stdio: 'ignore' });
      } catch {
        // Already gone.
      }
    }
  }

  /** Namespaces of this lab still present (for the test's own cleanup check). */
  leftovers(): string[] {
    return namespaces().filter((n) => n.startsWith(`${PREFIX}${this.#id}-`));
  }
}
