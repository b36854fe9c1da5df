export { createStaticHandler, STATIC_DEFAULTS, type StaticOptions } from './handler.js';
