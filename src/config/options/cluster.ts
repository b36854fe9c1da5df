/** Options of the table: embedded cluster. */
import type { OptionSpec } from '../schema.js';
import { SECOND, HOUR, CORES, CPU_SOURCE } from './shared.js';

export const CLUSTER_OPTIONS = [
  {
    key: 'workers',
    flag: 'workers',
    type: 'int',
    // Under a CPU quota the container's replicas give redundancy; a second process on one
    // allowed CPU only competes for it.
    default: CPU_SOURCE.quota === undefined ? Math.max(2, CORES) : CORES,
    min: 1,
    max: 1024,
    group: 'cluster',
    commands: ['start'],
    defaultText: 'max(2, cores); one per allowed CPU under a cgroup CPU quota',
    help: 'Worker child processes.',
  },
  {
    key: 'restartBackoff',
    flag: 'restart-backoff',
    type: 'duration',
    default: 250,
    min: 1,
    max: HOUR,
    group: 'cluster',
    commands: ['start'],
    help: 'Delay before restarting a crashed worker; doubles after each crash in a row.',
  },
  {
    key: 'restartBackoffMax',
    flag: 'restart-backoff-max',
    type: 'duration',
    default: 10 * SECOND,
    min: 1,
    max: HOUR,
    group: 'cluster',
    commands: ['start'],
    help: 'Upper bound of the doubling restart delay.',
  },
] satisfies OptionSpec[];
