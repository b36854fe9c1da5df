export { createStaticHandler } from './handler.js';
