/** /reverse, /toupper, /hash: small string work done inline (the URI limit bounds it). */
import { createHash } from 'node:crypto';
import { reverseGraphemes } from '../tasks/reverse-graphemes.js';
import { textParam } from '../../jobs/params.js';
import type { RouteDef, RouteGroup } from '../context.js';

const TEXT = 'any string (required; bounded by --max-uri)';

export const textRoutes: RouteGroup = (ctx): RouteDef[] => [
  {
    methods: ['GET'],
    path: '/reverse',
    handler: (req, res) => {
      const text = textParam(req, 'text');
      return ctx.compression.json(req, res, 200, { text, result: reverseGraphemes(text) });
    },
    doc: { summary: 'Reverses text by user-perceived characters (grapheme clusters).', params: { text: TEXT } },
  },
  {
    methods: ['GET'],
    path: '/toupper',
    handler: (req, res) => {
      const text = textParam(req, 'text');
      return ctx.compression.json(req, res, 200, { text, result: text.toUpperCase() });
    },
    doc: { summary: 'Upper-cases text (locale-independent).', params: { text: TEXT } },
  },
  {
    methods: ['GET'],
    path: '/hash',
    handler: (req, res) => {
      const text = textParam(req, 'text');
      res.json(200, { algorithm: 'sha256', hash: createHash('sha256').update(text, 'utf8').digest('hex') });
    },
    doc: { summary: 'SHA-256 of the UTF-8 bytes of text, in hex.', params: { text: TEXT } },
  },
];
