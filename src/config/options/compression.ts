/** Options of the table: compression: every server process. */
import type { OptionSpec } from '../schema.js';
import { SERVERS, KiB, GiB } from './shared.js';

export const COMPRESSION_OPTIONS = [
  {
    key: 'compress',
    flag: 'compress',
    type: 'enum',
    default: 'on',
    values: ['on', 'off'],
    group: 'content',
    commands: SERVERS,
    help: 'gzip/brotli for static files and JSON answers larger than --compress-threshold when Accept-Encoding allows (never for images, video, archives or fonts that are compressed already). The dispatcher compresses its own pages and JSON only; forwarded answers pass as the worker sent them.',
  },
  {
    key: 'compressThreshold',
    flag: 'compress-threshold',
    type: 'size',
    default: KiB,
    min: 0,
    max: GiB,
    group: 'content',
    commands: SERVERS,
    help: 'Bodies up to this size go out uncompressed: below about a kilobyte the coding costs more than it saves.',
  },
] satisfies OptionSpec[];
