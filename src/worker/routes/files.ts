/** /createfile and /deletefile over the data dir (atomic writes, names validated). */
import { httpError } from '../../common/errors.js';
import { createFile, deleteFile, DATA_FILE_DEFAULTS, MAX_NAME_BYTES } from '../../data-files/index.js';
import { intParam, rangeText, textParam } from '../../jobs/params.js';
import type { RouteDef, RouteGroup } from '../context.js';
import type { HttpRequest } from '../../server/types.js';

export const REPEAT = Object.freeze({ min: 1, max: 1e6, default: 1 });
const NAME_DOC = `file name (required): at most ${MAX_NAME_BYTES} bytes, no "/", "\\", "..", NUL or control characters, no leading dot`;

/** HEAD runs GET handlers; a HEAD must never write or delete a file. */
function refuseHead(req: HttpRequest): void {
  if (req.method === 'HEAD') throw httpError('METHOD_NOT_ALLOWED', `HEAD is not allowed on ${req.path}; allowed: GET`, { Allow: 'GET' });
}

export const fileRoutes: RouteGroup = (ctx): RouteDef[] => [
  {
    methods: ['GET'],
    path: '/createfile',
    handler: async (req, res) => {
      refuseHead(req);
      const name = textParam(req, 'name', { describe: 'a file name' });
      const content = textParam(req, 'content');
      const repeat = intParam(req, 'repeat', REPEAT);
      const r = await createFile(ctx.config.dataDir, name, content, repeat, { signal: req.signal });
      res.json(201, { name: r.name, bytes: r.bytes });
    },
    doc: {
      summary: 'Writes content repeated `repeat` times to a data-dir file, atomically (201).',
      params: {
        name: NAME_DOC,
        content: 'text (required; bounded by --max-uri)',
        repeat: `integer in ${rangeText(REPEAT)}, default 1; content × repeat ≤ ${DATA_FILE_DEFAULTS.maxBytes} bytes (else 413)`,
      },
    },
  },
  {
    methods: ['GET'],
    path: '/deletefile',
    handler: async (req, res) => {
      refuseHead(req);
      const name = textParam(req, 'name', { describe: 'a file name' });
      const r = await deleteFile(ctx.config.dataDir, name);
      res.json(200, { name: r.name, deleted: true });
    },
    doc: { summary: 'Deletes a data-dir file (404 FILE_NOT_FOUND when absent).', params: { name: NAME_DOC } },
  },
];
