/**
 * The worker's CPU and memory as /ping reports them to the dispatcher's health checker:
 * cores busy (process CPU time over wall time, compute threads included; 1 = one core)
 * and resident bytes. Sampled at most every `minIntervalMs`, on demand: /ping is the
 * benchmarked trivial request, so most answers reuse the last sample (a string), and an
 * idle worker keeps no timer.
 */
import { cpuUsage, memoryUsage } from 'node:process';

/** @default 500 */
const MIN_INTERVAL_MS = 500;

export class ProcessUsage {
  readonly #minIntervalMs: number;
  #at = performance.now();
  #cpu = cpuUsage();
  #fields = '';
  #fieldsAt = -Infinity;

  constructor(minIntervalMs = MIN_INTERVAL_MS) {
    this.#minIntervalMs = minIntervalMs;
  }

  /** `,"cpu":…,"rss":…` for a JSON object (refreshed when older than the interval). */
  jsonFields(now = performance.now()): string {
    if (now - this.#fieldsAt >= this.#minIntervalMs) {
      const cpu = cpuUsage();
      const wallUs = (now - this.#at) * 1000;
      const usedUs = cpu.user - this.#cpu.user + (cpu.system - this.#cpu.system);
      const cores = wallUs > 0 ? Math.round((usedUs / wallUs) * 1000) / 1000 : 0;
      this.#at = now;
      this.#cpu = cpu;
      this.#fields = `,"cpu":${cores},"rss":${memoryUsage.rss()}`;
      this.#fieldsAt = now;
    }
    return this.#fields;
  }
}
