/**
 * The constants option tables share: who takes an option, and units (ms, bytes).
 */
import type { CommandName } from '../schema.js';
import { cpuBudget } from '../cpus.js';

export const SERVERS: readonly CommandName[] = ['worker', 'dispatcher', 'start'];
export const WORKERS: readonly CommandName[] = ['worker', 'start'];
export const DISPATCHERS: readonly CommandName[] = ['dispatcher', 'start'];
export const BENCH: readonly CommandName[] = ['bench'];

export const LOG_LEVELS = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);
export const BALANCE_POLICIES = Object.freeze(['round-robin', 'least-load', 'p2c'] as const);
export const TLS_VERSIONS = Object.freeze(['TLSv1.2', 'TLSv1.3'] as const);

export const KiB = 1024;
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
export const TiB = 1024 ** 4;
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

const CPU_BUDGET = cpuBudget();
/** CPUs this process may use: the host's, capped by a cgroup CPU quota (a container's CPU limit). */
export const CORES = CPU_BUDGET.cpus;

/** The CPU budget's source, for --help texts. */
export const CPU_SOURCE = CPU_BUDGET;
